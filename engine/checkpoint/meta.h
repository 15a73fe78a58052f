/* meta.h - checkpoint metadata: which tasks a checkpoint holds and the
 * chain of files of each, in memory and as meta/<n:020>.meta (a text file
 * ending with its CRC32C, written last: a checkpoint exists if and only if
 * its metadata file exists and verifies).
 *
 * Threads: a metadata record belongs to whoever holds it; reading and
 * writing the file go through the store's owner thread.
 */
#ifndef GALE_CHECKPOINT_META_H
#define GALE_CHECKPOINT_META_H

#include <stddef.h>
#include <stdint.h>

/* The format version written in every file header and metadata file. */
#define GALE_CKPT_VERSION 1

typedef struct gale_ckpt gale_ckpt_t;

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
 * now, topology copied). Never NULL; free with gale_ckpt_meta_destroy. */
gale_ckpt_meta_t *gale_ckpt_meta_new(uint64_t id, uint32_t attempt,
    const char *topology, int max_parallelism);
/* Frees m and everything it owns; sets *mp to NULL. Accepts NULL, *NULL. */
void gale_ckpt_meta_destroy(gale_ckpt_meta_t **mp);
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
/* As gale_ckpt_task_append for a file a snapshot writer acknowledged: a
 * base (t<task>-<n>.base, the task's whole state at n) replaces the files
 * before it, since a chain has its base first. */
void gale_ckpt_task_add(gale_ckpt_task_t *t, const char *file,
    uint64_t bytes);
/* Writes m as meta/<id:020>.meta atomically (tmp, fsync, rename, fsync
 * dir), ending with its CRC32C. From then on checkpoint m->id exists.
 * 0 or -errno (then it does not exist). Files m names are released from
 * compaction's pin (see gale_ckpt_gc). */
int gale_ckpt_write_meta(gale_ckpt_t *c, const gale_ckpt_meta_t *m);
/* Reads and verifies checkpoint id's metadata into *m (caller frees with
 * gale_ckpt_meta_destroy): 0, -ENOENT (no such checkpoint), -EBADMSG (bad
 * checksum, truncated, unknown version, malformed) with *cause, or another
 * -errno with *cause. *m is NULL on failure. */
int gale_ckpt_read_meta(gale_ckpt_t *c, uint64_t id, gale_ckpt_meta_t **m,
    char **cause);

#endif
