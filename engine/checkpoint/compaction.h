/* compaction.h - compaction: folding a task's chain of files into one
 * base file (files/t<task>-<n>.base), importing other chains into a base
 * (savepoints, rescaling), deciding when a chain is worth it, and
 * rebasing a chain's metadata on the new base. Runs on the store's owner
 * thread; memory does not grow with the state.
 */
#ifndef GALE_CHECKPOINT_COMPACTION_H
#define GALE_CHECKPOINT_COMPACTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/checkpoint/meta.h"

/* Merges t's chain (newest wins, tombstones dropped) into one base file
 * named t<task>-<n>.base, n the chain's last checkpoint id; *base gets its
 * name (caller frees). Streams: memory does not grow with the state. The
 * base stays pinned in c (gc keeps it) until metadata naming it is
 * written. A chain that is already a single base is returned as is.
 * 0, -EBADMSG (corrupt input; nothing written) or another -errno. */
int gale_ckpt_compact(gale_ckpt_t *c, const gale_ckpt_task_t *t,
    char **base);
/* Savepoints and rescaling: writes into c one base file
 * t<task_id>-<id>.base (durable, pinned like a compacted base until
 * metadata names it) that holds the state of the chains srcs[0..nsrcs),
 * read from the store directory src_dir (c's own, or a savepoint's): each
 * chain applied oldest first, then the next chain; the keyed entries in
 * [kg_first, kg_last] and, from the chains whose with_op[i] is true,
 * operator state. Chains should not share keyed entries (their tasks
 * owned disjoint key groups); on a shared operator entry the later chain
 * wins. Every input file is verified before anything is written; memory
 * does not grow with the state. *file gets the name (caller frees), *bytes
 * its size. 0, -EBADMSG or another -errno with *cause. */
int gale_ckpt_import_task(gale_ckpt_t *c, const char *src_dir,
    const gale_ckpt_task_t *const *srcs, const bool *with_op, size_t nsrcs,
    int kg_first, int kg_last, int task_id, uint64_t id, char **file,
    uint64_t *bytes, char **cause);

/* Whether t's chain is worth compacting: it has more than max_files
 * files, or the files after the first add up to at least half the first's
 * bytes (the first is the base, or the delta that held the whole state
 * when the task started). A count of files alone ignores sizes: with a
 * 315 MB base and 3.3 MB deltas, compacting every 8 files rewrites the
 * base for every 27 MB of deltas, 13 times the deltas' bytes (bench/
 * ckpt_bench, docs/performance.md). At half the base, compaction writes at
 * most 2 bytes (plus the live keys the deltas added) per byte of delta,
 * and a restore reads at most 1.5 times the base. Chains of fewer than 2
 * files never are. */
bool gale_ckpt_task_wants_compaction(const gale_ckpt_task_t *t,
    size_t max_files);
/* After compaction: replaces the files of t's chain whose checkpoint id is
 * at most base's (those base folds in) by base, keeping deltas written
 * while compaction ran. 0, or -EINVAL if base is not a name compact gives
 * for this task, or -errno from stat (its size is read from disk). */
int gale_ckpt_task_rebase(gale_ckpt_t *c, gale_ckpt_task_t *t,
    const char *base);

#endif
