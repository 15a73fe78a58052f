/* savepoint.h - savepoints, and restoring state into a changed topology.
 *
 * A savepoint is a checkpoint kept until an operator deletes it, in a
 * self-contained directory that can be moved or copied anywhere:
 *
 *   <dir>/SAVEPOINT            what it is (text: format, checkpoint id,
 *                              topology name, source file, time)
 *   <dir>/topology.cfg         a copy of the topology file it came from
 *   <dir>/files/...            the snapshot files of its chains
 *   <dir>/meta/<n:020>.meta    its metadata (docs/checkpoints.md)
 *
 * Every name inside is relative, so the directory restores wherever it
 * lies. Its layout is a checkpoint store's, so the same reader verifies
 * it.
 *
 * Restoring from a savepoint (or from any retained checkpoint) goes
 * through an import: the state of each component is rewritten, by key-group
 * ranges, into one base file per task of the new plan in the topology's
 * own store, under a fresh checkpoint id, and that checkpoint's metadata is
 * written. From then on the run restores it like any checkpoint of its
 * own, so a crash before the next checkpoint does not lose the restore
 * point. State follows component ids, not task ids: keyed state moves by
 * key groups (task = kg x tasks / max_parallelism); operator state stays
 * with the task index when a component keeps its task count, and goes
 * from old task i to new task i mod tasks when a bolt's count changes; a
 * spout's task count cannot change (its positions belong to its tasks'
 * shares of the input). Used from the coordinator's thread.
 */
#ifndef GALE_SAVEPOINT_H
#define GALE_SAVEPOINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/checkpoint/ckpt.h"
#include "topology/plan.h"

/* The format version written in SAVEPOINT. */
#define GALE_SAVEPOINT_VERSION 1

/* Writes checkpoint m of the store at store_dir as a savepoint at dst,
 * which must not exist: built under a temporary name beside it (files
 * hard-linked where the filesystem allows, else copied, each fsynced) and
 * renamed into place, so dst is either complete or absent. topo_path (may
 * be NULL) is copied as topology.cfg. 0 or -errno with *cause. */
int gale_savepoint_write(const char *store_dir, const gale_ckpt_meta_t *m,
    const char *topo_path, const char *dst, char **cause);

/* Whether dir looks like a savepoint (has SAVEPOINT). */
bool gale_savepoint_is(const char *dir);
/* Checks that dir is a savepoint of a format this gale reads. 0, or -1
 * with *cause ("not a savepoint", "savepoint format N; this gale reads
 * formats 1 to M"). */
int gale_savepoint_check(const char *dir, char **cause);

/* Imports checkpoint id (0: the newest valid one) of the store at src_dir
 * (a savepoint, or dst's own directory) into dst for plan, as described at
 * the top, under a fresh id (*new_id). src_label names the source in
 * messages and in the new metadata ("restored.from"). Refuses, with
 * *cause: another max_parallelism; a component that holds state in the
 * source but is missing from plan (unless allow_missing; then its state
 * is dropped and said so in the log); a spout whose task count changed
 * while it holds operator state. 0, or -1 with *cause. */
int gale_savepoint_import(gale_ckpt_t *dst, const char *src_dir, uint64_t id,
    const char *src_label, const gale_plan_t *plan, bool allow_missing,
    uint64_t *new_id, char **cause);

/* Prints what the savepoint (or checkpoint store) at dir holds: format,
 * topology, checkpoint, and per component and task the key groups, files
 * and bytes. 0, or -1 with *cause. */
int gale_savepoint_inspect(const char *dir, FILE *out, char **cause);

#endif
