/* ckpt_int.h - what the files of the checkpoint store share: the store's
 * struct, the snapshot file writer and reader (snapfile.c), file names,
 * and the store's pins and causes (store.c). Internal to engine/
 * checkpoint/{snapfile,snap,store,compaction,meta}.c; the public API is
 * ckpt.h and the headers it includes. */
#ifndef GALE_CHECKPOINT_CKPT_INT_H
#define GALE_CHECKPOINT_CKPT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "engine/checkpoint/ckpt.h"

#define SNAP_DELTA 1                /* header kind: changes at one checkpoint */
#define SNAP_BASE 2                 /* header kind: full state */

struct gale_ckpt {
    char *dir;                      /* owned; the store's directory */
    char *files;                    /* owned; dir/files */
    char *meta;                     /* owned; dir/meta */
    uint64_t next;                  /* the next id next_id hands out */
    char **pins;                    /* owned; compacted bases not yet in
                                     * written metadata (gc keeps them) */
    size_t npins;                   /* length of pins */
};

/* ---- store.c ----------------------------------------------------------- */

/* Formats *cause (the caller frees it) unless cause is NULL. */
void ckpt_set_cause(char **cause, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Removes name from c's pins if there. */
void ckpt_unpin(gale_ckpt_t *c, const char *name);

/* ---- meta.c ------------------------------------------------------------ */

/* Parses a metadata file name "<20 digits>.meta", optionally followed by
 * ".tmp". true and *id, *tmp if it is one. */
bool ckpt_mname_parse(const char *name, uint64_t *id, bool *tmp);

/* ---- snapfile.c: names and order --------------------------------------- */

/* Orders two byte strings as memcmp does, a prefix before the longer. */
int ckpt_bytes_cmp(const void *a, size_t alen, const void *b, size_t blen);
/* Parses a snapshot file name "t<task>-<id>.delta" or ".base", optionally
 * followed by ".tmp". true and the parts (any may be NULL) if it is one. */
bool ckpt_fname_parse(const char *name, int *task, uint64_t *id, int *kind,
    bool *tmp);

/* ---- snapfile.c: the writer -------------------------------------------- */

struct fwriter {
    int fd;                         /* the temporary file; -1 when closed */
    char *dir;                      /* owned; the directory (files/) */
    char *path;                     /* owned; the final path */
    char *tmp;                      /* owned; path + ".tmp" */
    gale_buf_t buf;                 /* owned; bytes not yet written */
    uint32_t crc;                   /* CRC32C of the bytes written so far */
    uint64_t size;                  /* bytes written so far */
    uint64_t count;                 /* records appended */
};


/* Starts dir/files/name with its header. 0 or -errno (w then needs no
 * cleanup). */
int ckpt_fw_open(struct fwriter *w, const char *dir, const char *name,
    int task_id, uint64_t ckpt_id, uint32_t kind);
/* Appends one record; flushes now and then. 0 or -errno. */
int ckpt_fw_record(struct fwriter *w, int32_t kg, const void *name,
    size_t nlen, const void *key, size_t klen, bool put, const void *val,
    size_t vlen);
/* Ends the file with its trailer, makes it durable under its final name
 * and frees w. *bytes gets its size. 0 or -errno (nothing left behind). */
int ckpt_fw_commit(struct fwriter *w, uint64_t *bytes);
/* Closes and unlinks the temporary file and frees w's memory. */
void ckpt_fw_abort(struct fwriter *w);

/* ---- snapfile.c: the reader -------------------------------------------- */

struct frec {
    int32_t kg;                     /* key group; -1 for operator state */
    const uint8_t *name;            /* the state name (not NUL-terminated) */
    size_t nlen;                    /* its length */
    const uint8_t *key;             /* the key */
    size_t klen;                    /* its length */
    bool put;                       /* false: a deletion */
    const uint8_t *val;             /* the value (put only) */
    size_t vlen;                    /* its length */
};

struct freader {
    char *rel;                      /* owned; "files/<name>", for causes */
    uint8_t *map;                   /* the mapped file; NULL when closed */
    size_t size;                    /* its length */
    int task_id;                    /* header: the task */
    uint64_t ckpt_id;               /* header: the checkpoint */
    uint32_t kind;                  /* header: SNAP_DELTA or SNAP_BASE */
    uint64_t count;                 /* trailer: records in the file */
    const uint8_t *p;               /* next record */
    const uint8_t *end;             /* where the records end */
    uint64_t seen;                  /* records read so far */
    struct frec cur;                /* the record read last */
    bool has;                       /* cur holds a record */
};


/* Reads the next record into r->cur: 1, 0 at the end, or -EBADMSG. */
int ckpt_fr_next(struct freader *r);
/* Unmaps the file and frees r's memory. */
void ckpt_fr_close(struct freader *r);
/* Orders two records as files store them: key group, name, key. */
int ckpt_frec_cmp(const struct frec *a, const struct frec *b);
/* Opens and verifies every file of t's chain into rs (t->nfiles of them):
 * the tasks, a base only first, checkpoint ids increasing. 0 or -errno with
 * *cause; rs needs closing either way. */
int ckpt_chain_open(const char *dir, const gale_ckpt_task_t *t,
    struct freader *rs, char **cause);

#endif
