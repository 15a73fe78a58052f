/* ckpt.h - the checkpoint store: snapshot files, metadata, restore.
 * This header states the store's layout and conventions and includes
 * its parts, one noun each: snap.h (snapshots, written as delta files),
 * meta.h (checkpoint metadata), store.h (the store: ids, restore, the
 * latest checkpoint, retention) and compaction.h (bases, imports). The
 * file format's reader and writer are internal (ckpt_int.h, snapfile.c).
 *
 * A store is a directory (docs/checkpoints.md has the layout byte by
 * byte, format version 1):
 *
 *   <dir>/COUNTER                  the next checkpoint id, durable
 *   <dir>/files/t<task>-<n>.delta  task's changes at checkpoint n, sorted
 *   <dir>/files/t<task>-<n>.base   task's full state at n (compaction)
 *   <dir>/meta/<n:020>.meta        checkpoint n's metadata, written last
 *
 * A checkpoint exists if and only if its metadata file exists and its
 * checksum verifies. Each task's state at a checkpoint is a chain of files:
 * an optional base, then deltas, oldest first.
 *
 * Threads: a gale_snap_t belongs to whoever holds it (taken on the executor
 * thread, handed to a writer thread). gale_ckpt_write_snap touches only
 * the filesystem and may run on any thread. A gale_ckpt_t has one owner
 * thread (the coordinator's, or a worker's for restore); several processes
 * may open the same directory, but only one (the coordinator) may call
 * next_id, write_meta, compact and gc.
 *
 * Errors: actions return 0 or -errno; -EBADMSG means a file is corrupt,
 * truncated or of an unknown format version, and *cause (when asked for)
 * says which file and why. Nothing here logs except gale_ckpt_latest and
 * gale_ckpt_gc, which skip corrupt metadata and say so once, and
 * gale_ckpt_compact, which has no cause to return the reason in.
 */
#ifndef GALE_CKPT_H
#define GALE_CKPT_H

#include "engine/checkpoint/compaction.h"
#include "engine/checkpoint/meta.h"
#include "engine/checkpoint/snap.h"
#include "engine/checkpoint/store.h"

#endif
