/* ckpt.h - the checkpoint store: snapshot files, metadata, restore.
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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/state/kvstate.h"

/* The format version written in every file header and metadata file. */
#define GALE_CKPT_VERSION 1

/* ---- snapshots: one task's changes, in memory -------------------------- */

typedef struct gale_snap gale_snap_t;

/* The synchronous part, on the executor thread: moves every change since
 * the last take out of store (gale_kvstore_take_dirty) into a new snapshot,
 * copying keys and values (one append each; the sort by key group, state
 * name and key is left to gale_ckpt_write_snap, on the writer thread).
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

/* ---- the store --------------------------------------------------------- */

typedef struct gale_ckpt gale_ckpt_t;

/* Opens the store at dir, creating dir, dir/files and dir/meta if needed,
 * and reads COUNTER (if COUNTER is missing, the next id is one past every
 * id found in meta/ and files/, so ids are not reused even then). NULL on
 * failure, with *cause (caller frees) if cause is not NULL. The caller
 * owns the store and closes it with gale_ckpt_close. */
gale_ckpt_t *gale_ckpt_open(const char *dir, char **cause);
/* Frees the store (nothing on disk changes); sets *cp to NULL. Accepts
 * NULL and *NULL. */
void gale_ckpt_close(gale_ckpt_t **cp);
/* The store's directory, borrowed for the store's life. */
const char *gale_ckpt_dir(const gale_ckpt_t *c);
/* Takes the next checkpoint id (the first is 1) into *id, after making
 * COUNTER durable past it (tmp file, fsync, rename, fsync directory), so
 * no id is handed out twice, even across crashes and rollbacks. 0 or
 * -errno (then *id is untouched and the id is not consumed). */
int gale_ckpt_next_id(gale_ckpt_t *c, uint64_t *id);

/* Writes s as dir/files/t<task>-<n>.delta (a temporary name, fsync,
 * rename, fsync of the directory: a file under its final name is always
 * complete). *file gets the file's name without directory (caller frees),
 * *bytes its size. 0 or -errno (*file untouched). Touches nothing but the
 * filesystem, so a writer thread may call it while the owner thread uses
 * the store; dir is the directory given to gale_ckpt_open. */
int gale_ckpt_write_snap(const char *dir, const gale_snap_t *s, char **file,
    size_t *bytes);

/* ---- metadata ---------------------------------------------------------- */

typedef struct gale_ckpt_task {     /* one task in a checkpoint */
    int task_id;                    /* the task's global id */
    char *component;                /* owned; its component's id */
    int task_index;                 /* index among the component's tasks */
    int kg_first;                   /* first key group it owns */
    int kg_last;                    /* last key group (kg_first - 1: none) */
    char **files;                   /* owned; chain: base (optional) then
                                     * deltas, oldest first, names in files/ */
    uint64_t *sizes;                /* owned; bytes of each file, nfiles */
    size_t nfiles;                  /* length of files and sizes */
    uint64_t bytes;                 /* sum of sizes */
} gale_ckpt_task_t;

typedef struct gale_ckpt_meta {     /* one checkpoint */
    uint32_t version;               /* format version (GALE_CKPT_VERSION) */
    uint64_t id;                    /* the checkpoint id */
    uint32_t attempt;               /* attempt epoch that completed it */
    char *topology;                 /* owned; the topology's name */
    int max_parallelism;            /* key groups of the topology */
    uint64_t created_ms;            /* creation time, ms since the epoch */
    gale_ckpt_task_t *tasks;        /* owned; ntasks of them */
    size_t ntasks;                  /* length of tasks */
    char **keys;                    /* owned; free-form keys, nkv */
    char **vals;                    /* owned; their values, nkv */
    size_t nkv;                     /* length of keys and vals */
} gale_ckpt_meta_t;

/* A new, empty metadata record for checkpoint id (version set, created_ms
 * now, topology copied). Never NULL; free with gale_ckpt_meta_free. */
gale_ckpt_meta_t *gale_ckpt_meta_new(uint64_t id, uint32_t attempt,
    const char *topology, int max_parallelism);
/* Frees m and everything it owns; sets *mp to NULL. Accepts NULL, *NULL. */
void gale_ckpt_meta_free(gale_ckpt_meta_t **mp);
/* Appends a task with an empty chain (component copied) and returns it,
 * borrowed until the next add_task on m. */
gale_ckpt_task_t *gale_ckpt_meta_add_task(gale_ckpt_meta_t *m, int task_id,
    const char *component, int task_index, int kg_first, int kg_last);
/* Sets the free-form key to val (both copied), replacing an earlier value. */
void gale_ckpt_meta_set(gale_ckpt_meta_t *m, const char *key, const char *val);
/* The value of key (borrowed), or NULL. */
const char *gale_ckpt_meta_get(const gale_ckpt_meta_t *m, const char *key);
/* The task with task_id in m (borrowed), or NULL. */
gale_ckpt_task_t *gale_ckpt_meta_task(const gale_ckpt_meta_t *m, int task_id);
/* A deep copy of m for checkpoint id (the coordinator builds checkpoint
 * n+1's metadata from n's); created_ms is now. Never NULL. */
gale_ckpt_meta_t *gale_ckpt_meta_copy(const gale_ckpt_meta_t *m, uint64_t id,
    uint32_t attempt);

/* The chain for the next checkpoint: appends file (a name in files/, as
 * write_snap returned it; copied) of bytes to t's chain. */
void gale_ckpt_task_append(gale_ckpt_task_t *t, const char *file,
    uint64_t bytes);
/* After compaction: replaces the files of t's chain whose checkpoint id is
 * at most base's (those base folds in) by base, keeping deltas written
 * while compaction ran. 0, or -EINVAL if base is not a name compact gives
 * for this task, or -errno from stat (its size is read from disk). */
int gale_ckpt_task_rebase(gale_ckpt_t *c, gale_ckpt_task_t *t,
    const char *base);

/* Writes m as meta/<id:020>.meta atomically (tmp, fsync, rename, fsync
 * dir), ending with its CRC32C. From then on checkpoint m->id exists.
 * 0 or -errno (then it does not exist). Files m names are released from
 * compaction's pin (see gale_ckpt_gc). */
int gale_ckpt_write_meta(gale_ckpt_t *c, const gale_ckpt_meta_t *m);
/* Reads and verifies checkpoint id's metadata into *m (caller frees with
 * gale_ckpt_meta_free): 0, -ENOENT (no such checkpoint), -EBADMSG (bad
 * checksum, truncated, unknown version, malformed) with *cause, or another
 * -errno with *cause. *m is NULL on failure. */
int gale_ckpt_read_meta(gale_ckpt_t *c, uint64_t id, gale_ckpt_meta_t **m,
    char **cause);
/* The newest checkpoint whose metadata is valid into *id (corrupt ones are
 * skipped and logged; a meta.tmp alone is no checkpoint), or -ENOENT, or
 * -errno if meta/ cannot be read. */
int gale_ckpt_latest(gale_ckpt_t *c, uint64_t *id);

/* ---- restore, compaction, retention -------------------------------------- */

/* Loads task t's chain into store (which must hold nothing of t's yet):
 * files applied oldest first, tombstones delete. Every file is verified
 * (size, header, order, CRC) before anything is applied, so a corrupt
 * chain leaves store untouched. Keyed entries outside [t->kg_first,
 * t->kg_last] are skipped (rescaling passes a narrower range); the
 * range must lie within store's own. Operator state (key group -1) is
 * always restored. The restored entries are not left dirty and the
 * store's scope is as before. 0, -EBADMSG with *cause, or another -errno
 * with *cause (a missing file is -ENOENT). */
int gale_ckpt_restore_task(gale_ckpt_t *c, const gale_ckpt_task_t *t,
    gale_kvstore_t *store, char **cause);
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
/* Retention: deletes every metadata file older than the newest `retain`
 * valid checkpoints (retain >= 1), then every file in files/ that no
 * remaining metadata references, except files of checkpoints newer than
 * the newest valid one (in flight) and files pinned by compaction; also
 * stale temporary files. Returns the number of files removed, or -errno
 * if a directory cannot be read (-ENOENT: no valid checkpoint, nothing
 * removed). */
int gale_ckpt_gc(gale_ckpt_t *c, int retain);

#endif
