/* snap.h - a snapshot: one task's state changes since its last
 * checkpoint, taken on the executor thread and written as a delta file
 * (files/t<task>-<n>.delta) by a writer thread.
 *
 * Threads: a gale_snap_t belongs to whoever holds it (taken on the
 * executor thread, handed to a writer thread). gale_ckpt_write_snap
 * touches only the filesystem and may run on any thread.
 */
#ifndef GALE_CHECKPOINT_SNAP_H
#define GALE_CHECKPOINT_SNAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/state/kvstate.h"

typedef struct gale_snap gale_snap_t;

/* Snapshots of at least this many changes that are the task's whole state
 * (gale_kvstore_dirty_is_whole: every key changed since the last
 * checkpoint, nothing spilled) are written as a base, not a delta: the
 * chain then restarts at that file, and the compaction that a delta as
 * large as the base would trigger (rereading and rewriting the whole state
 * on the coordinator thread) is not needed. Smaller snapshots stay deltas;
 * compacting them costs milliseconds. */
#define GALE_SNAP_BASE_MIN 65536

/* The synchronous part, on the executor thread: moves every change since
 * the last take out of store (gale_kvstore_take_dirty) into a new snapshot,
 * copying keys and values (one append each, to a buffer per key group;
 * the sort by state name and key within each group is left to
 * gale_ckpt_write_snap, on the writer thread).
 * See GALE_SNAP_BASE_MIN for when it becomes a base.
 * Never NULL (aborts on OOM); the caller owns the snapshot and frees it
 * with gale_snap_destroy, typically on the writer thread. */
gale_snap_t *gale_snap_take(gale_kvstore_t *store, int task_id,
    uint64_t ckpt_id);
/* Frees the snapshot; sets *sp to NULL. Accepts NULL and *NULL. */
void gale_snap_destroy(gale_snap_t **sp);
/* Number of changed entries (puts and deletions) in s. */
size_t gale_snap_count(const gale_snap_t *s);
/* Bytes of keys and values in s (a deletion counts its key only). */
size_t gale_snap_payload(const gale_snap_t *s);
/* Whether s holds the task's whole state and is written as a base file
 * (t<task>-<n>.base, its deletions left out), else a delta. */
bool gale_snap_is_base(const gale_snap_t *s);

/* Writes s as dir/files/t<task>-<n>.delta or .base (a temporary name, fsync,
 * rename, fsync of the directory: a file under its final name is always
 * complete). *file gets the file's name without directory (caller frees),
 * *bytes its size. 0 or -errno (*file untouched). Touches nothing but the
 * filesystem, so a writer thread may call it while the owner thread uses
 * the store; dir is the directory given to gale_ckpt_open. */
int gale_ckpt_write_snap(const char *dir, const gale_snap_t *s, char **file,
    size_t *bytes);

#endif
