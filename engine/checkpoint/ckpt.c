/* ckpt.c - the checkpoint store: snapshot files, metadata, restore.
 *
 * docs/checkpoints.md describes the formats byte by byte; in short:
 *
 * - A snapshot file (delta or base) is a 28-byte header, records sorted by
 *   (key group, state name, key) with varint length prefixes, and a 12-byte
 *   trailer (record count, CRC32C of everything before the CRC). Readers
 *   map the file and verify it whole before using any record, so a corrupt
 *   chain is rejected before it touches a store.
 * - Metadata is a line-oriented text file (an operator can read it) whose
 *   last line is the CRC32C of the lines before it. Strings are escaped
 *   (%XX) so that a field never holds a space or a newline.
 *
 * Every file is written under a temporary name, fsynced, renamed and its
 * directory fsynced: a file under its final name is complete.
 */
#include "config.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/fs.h"
#include "common/xalloc.h"
#include "engine/checkpoint/ckpt.h"
#include "engine/wire/crc32c.h"

#define SNAP_MAGIC "GALESNP1"
#define SNAP_HEADER 28              /* magic 8, version 4, task 4, id 8, kind 4 */
#define SNAP_TRAILER 12             /* record count 8, crc 4 */
#define SNAP_DELTA 1                /* header kind: changes at one checkpoint */
#define SNAP_BASE 2                 /* header kind: full state */
#define REC_TOMB 0                  /* record flag: the key was deleted */
#define REC_PUT 1                   /* record flag: the key has a value */
#define WRITE_CHUNK (1u << 20)      /* buffered bytes before a write(2) */
#define META_MAGIC "gale-checkpoint"

/* ---- small helpers ------------------------------------------------------- */

/* Formats *cause (the caller frees it) unless cause is NULL. */
static void __attribute__((format(printf, 2, 3)))
set_cause(char **cause, const char *fmt, ...)
{
    va_list ap;

    if (cause == NULL)
        return;
    va_start(ap, fmt);
    xvasprintf(cause, fmt, ap);
    va_end(ap);
}

/* Appends v as 4 little-endian bytes. */
static void
put_u32(gale_buf_t *b, uint32_t v)
{
    uint8_t *p = gale_buf_reserve(b, 4);
    int i;

    for (i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
    b->len += 4;
}

/* Appends v as 8 little-endian bytes. */
static void
put_u64(gale_buf_t *b, uint64_t v)
{
    uint8_t *p = gale_buf_reserve(b, 8);
    int i;

    for (i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
    b->len += 8;
}

/* Appends v as an unsigned LEB128 varint (1 to 10 bytes). */
static void
put_varint(gale_buf_t *b, uint64_t v)
{
    uint8_t *p = gale_buf_reserve(b, 10);
    size_t n = 0;

    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    b->len += n;
}

/* Reads 4 little-endian bytes. */
static uint32_t
get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
        (uint32_t)p[3] << 24;
}

/* Reads 8 little-endian bytes. */
static uint64_t
get_u64(const uint8_t *p)
{
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

/* Reads a varint at *pp (not past end) into *v and advances *pp. false if
 * it runs past end or is longer than 10 bytes. */
static bool
get_varint(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
    const uint8_t *p = *pp;
    uint64_t r = 0;
    int shift;

    for (shift = 0; shift < 70 && p < end; shift += 7) {
        r |= (uint64_t)(*p & 0x7f) << shift;
        if ((*p++ & 0x80) == 0) {
            *v = r;
            *pp = p;
            return true;
        }
    }
    return false;
}

/* Orders two byte strings as memcmp does, a prefix before the longer. */
static int
bytes_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
    int r = memcmp(a, b, alen < blen ? alen : blen);

    if (r != 0)
        return r;
    return alen < blen ? -1 : alen > blen;
}

/* Milliseconds since the epoch. */
static uint64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Parses a snapshot file name "t<task>-<id>.delta" or ".base", optionally
 * followed by ".tmp". true and the parts (any may be NULL) if it is one. */
static bool
fname_parse(const char *name, int *task, uint64_t *id, int *kind, bool *tmp)
{
    const char *p = name;
    char *end;
    long t;
    unsigned long long n;
    int k;

    if (*p++ != 't' || *p < '0' || *p > '9')
        return false;
    errno = 0;
    t = strtol(p, &end, 10);
    if (errno != 0 || t > INT32_MAX || *end != '-')
        return false;
    p = end + 1;
    if (*p < '0' || *p > '9')
        return false;
    n = strtoull(p, &end, 10);
    if (errno != 0)
        return false;
    if (strncmp(end, ".delta", 6) == 0) {
        k = SNAP_DELTA;
        end += 6;
    } else if (strncmp(end, ".base", 5) == 0) {
        k = SNAP_BASE;
        end += 5;
    } else
        return false;
    if (*end != '\0' && strcmp(end, ".tmp") != 0)
        return false;
    if (task != NULL)
        *task = (int)t;
    if (id != NULL)
        *id = n;
    if (kind != NULL)
        *kind = k;
    if (tmp != NULL)
        *tmp = *end != '\0';
    return true;
}

/* Parses a metadata file name "<20 digits>.meta", optionally followed by
 * ".tmp". true and *id, *tmp if it is one. */
static bool
mname_parse(const char *name, uint64_t *id, bool *tmp)
{
    uint64_t n = 0;
    int i;

    for (i = 0; i < 20; i++) {
        if (name[i] < '0' || name[i] > '9')
            return false;
        if (n > (UINT64_MAX - 9) / 10)
            return false;
        n = n * 10 + (uint64_t)(name[i] - '0');
    }
    if (strcmp(name + 20, ".meta") == 0)
        *tmp = false;
    else if (strcmp(name + 20, ".meta.tmp") == 0)
        *tmp = true;
    else
        return false;
    *id = n;
    return true;
}

/* ---- snapshots ------------------------------------------------------------ */

struct snap_rec {
    int32_t kg;                     /* key group; -1 for operator state */
    uint32_t name;                  /* index into names */
    uint32_t klen;                  /* key bytes */
    uint32_t vlen;                  /* value bytes; 0 for a deletion */
    size_t koff;                    /* key's offset in data; value follows */
    bool put;                       /* false: the key was deleted */
};

struct gale_snap {
    int task_id;                    /* the task the changes belong to */
    uint64_t ckpt_id;               /* the checkpoint they were taken for */
    gale_buf_t data;                /* owned; keys and values, back to back */
    struct snap_rec *recs;          /* owned; nrecs of them */
    size_t nrecs;                   /* records in recs */
    size_t reccap;                  /* allocated length of recs */
    char **names;                   /* owned; the state names, as seen */
    size_t nnames;                  /* length of names */
    const char *lastname;           /* borrowed during take: names[lastidx] */
    uint32_t lastidx;               /* index of lastname */
    size_t payload;                 /* bytes of keys and values */
};

/* take_dirty callback: copies one change into the snapshot. */
static int
snap_add(void *arg, int kg, const char *name, const void *key, size_t klen,
    const void *val, size_t vlen)
{
    gale_snap_t *s = arg;
    struct snap_rec *r;
    size_t i;

    assert(klen <= UINT32_MAX && vlen <= UINT32_MAX);
    if (s->lastname == NULL || (name != s->lastname &&
        strcmp(name, s->names[s->lastidx]) != 0)) {
        for (i = 0; i < s->nnames; i++)
            if (strcmp(name, s->names[i]) == 0)
                break;
        if (i == s->nnames) {
            s->names = xreallocarray(s->names, s->nnames + 1,
                sizeof(*s->names));
            s->names[s->nnames++] = xstrdup(name);
        }
        s->lastidx = (uint32_t)i;
    }
    s->lastname = name;
    if (s->nrecs == s->reccap) {
        s->reccap = s->reccap == 0 ? 64 : s->reccap * 2;
        s->recs = xreallocarray(s->recs, s->reccap, sizeof(*s->recs));
    }
    r = &s->recs[s->nrecs++];
    r->kg = kg;
    r->name = s->lastidx;
    r->klen = (uint32_t)klen;
    r->koff = s->data.len;
    r->put = val != NULL;
    r->vlen = r->put ? (uint32_t)vlen : 0;
    gale_buf_append(&s->data, key, klen);
    if (r->put)
        gale_buf_append(&s->data, val, vlen);
    s->payload += klen + r->vlen;
    return 0;
}

/* qsort_r comparator of names by strcmp (arg: the names). */
static int
snap_name_cmp(const void *a, const void *b, void *arg)
{
    char **names = arg;

    return strcmp(names[*(const uint32_t *)a], names[*(const uint32_t *)b]);
}

/* One record's sort key: file order is (key group, name, key), and the
 * first two and the key's first 8 bytes fit here, so that most comparisons
 * read only this array, in order, instead of the records and their keys
 * scattered over the snapshot (a 10 M-key snapshot sorted through the
 * records took 11 s, most of it waiting on cache misses). */
struct snap_key {
    uint32_t group;                 /* key group + 1 (operator state: 0) */
    uint32_t rank;                  /* the name's rank among sorted names */
    uint64_t pfx;                   /* the key's first 8 bytes, big-endian,
                                     * zero-padded: ordered as the keys are,
                                     * equal only if the keys may tie */
    size_t idx;                     /* the record's index */
};

/* The first 8 bytes of key p (n bytes), big-endian, zero-padded. Keys
 * that differ in their first 8 bytes compare as these numbers do; a key
 * that is a prefix of the other is not larger (its padding is zeros). */
static uint64_t
key_prefix(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    size_t i;

    for (i = 0; i < 8; i++)
        v = v << 8 | (i < n ? p[i] : 0);
    return v;
}

/* qsort_r comparator of snap_keys in file order (arg: the snapshot): the
 * key bytes are read only when everything else ties. */
static int
snap_key_cmp(const void *a, const void *b, void *arg)
{
    const struct snap_key *x = a, *y = b;
    const gale_snap_t *s = arg;
    const struct snap_rec *rx, *ry;

    if (x->group != y->group)
        return x->group < y->group ? -1 : 1;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    if (x->pfx != y->pfx)
        return x->pfx < y->pfx ? -1 : 1;
    rx = &s->recs[x->idx];
    ry = &s->recs[y->idx];
    return bytes_cmp(s->data.data + rx->koff, rx->klen,
        s->data.data + ry->koff, ry->klen);
}

/* s's records in file order (key group, name, key): a new array of sort
 * keys whose idx fields name the records, which the caller frees. The
 * snapshot itself is left as taken, so that the sort runs on the writer
 * thread, not in the executor's pause. */
static struct snap_key *
snap_sorted(const gale_snap_t *s)
{
    struct snap_key *keys;
    const struct snap_rec *r;
    uint32_t *order, *rank;
    size_t i;

    order = xreallocarray(NULL, s->nnames + 1, sizeof(*order));
    rank = xreallocarray(NULL, s->nnames + 1, sizeof(*rank));
    for (i = 0; i < s->nnames; i++)
        order[i] = (uint32_t)i;
    qsort_r(order, s->nnames, sizeof(*order), snap_name_cmp, s->names);
    for (i = 0; i < s->nnames; i++)
        rank[order[i]] = (uint32_t)i;
    keys = xreallocarray(NULL, s->nrecs + 1, sizeof(*keys));
    for (i = 0; i < s->nrecs; i++) {
        r = &s->recs[i];
        keys[i].group = (uint32_t)(r->kg + 1);
        keys[i].rank = rank[r->name];
        keys[i].pfx = key_prefix(s->data.data + r->koff, r->klen);
        keys[i].idx = i;
    }
    qsort_r(keys, s->nrecs, sizeof(*keys), snap_key_cmp, (void *)s);
    free(order);
    free(rank);
    return keys;
}

gale_snap_t *
gale_snap_take(gale_kvstore_t *store, int task_id, uint64_t ckpt_id)
{
    gale_snap_t *s = xcalloc(1, sizeof(*s));

    s->task_id = task_id;
    s->ckpt_id = ckpt_id;
    gale_buf_init(&s->data, 0);
    /* One allocation for the records, not a doubling series of copies. */
    if ((s->reccap = gale_kvstore_dirty_count(store)) > 0)
        s->recs = xreallocarray(NULL, s->reccap, sizeof(*s->recs));
    (void)gale_kvstore_take_dirty(store, snap_add, s);
    s->lastname = NULL;
    return s;
}

void
gale_snap_destroy(gale_snap_t **sp)
{
    gale_snap_t *s;
    size_t i;

    if (sp == NULL || (s = *sp) == NULL)
        return;
    gale_buf_release(&s->data);
    free(s->recs);
    for (i = 0; i < s->nnames; i++)
        free(s->names[i]);
    free(s->names);
    free(s);
    *sp = NULL;
}

size_t
gale_snap_count(const gale_snap_t *s)
{
    return s->nrecs;
}

size_t
gale_snap_payload(const gale_snap_t *s)
{
    return s->payload;
}

/* ---- writing snapshot files -------------------------------------------------- */

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

/* Writes the buffered bytes out, folding them into the CRC. 0 or -errno. */
static int
fw_flush(struct fwriter *w)
{
    int rc;

    w->crc = gale_crc32c_extend(w->crc, w->buf.data, w->buf.len);
    if ((rc = gale_write_all(w->fd, w->buf.data, w->buf.len)) != 0)
        return rc;
    w->size += w->buf.len;
    gale_buf_reset(&w->buf);
    return 0;
}

/* Closes and unlinks the temporary file and frees w's memory. */
static void
fw_abort(struct fwriter *w)
{
    if (w->fd != -1) {
        close(w->fd);
        unlink(w->tmp);
    }
    w->fd = -1;
    free(w->dir);
    free(w->path);
    free(w->tmp);
    gale_buf_release(&w->buf);
}

/* Starts dir/files/name with its header. 0 or -errno (w then needs no
 * cleanup). */
static int
fw_open(struct fwriter *w, const char *dir, const char *name, int task_id,
    uint64_t ckpt_id, uint32_t kind)
{
    memset(w, 0, sizeof(*w));
    xasprintf(&w->dir, "%s/files", dir);
    xasprintf(&w->path, "%s/%s", w->dir, name);
    xasprintf(&w->tmp, "%s.tmp", w->path);
    gale_buf_init(&w->buf, 4096);
    w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (w->fd == -1) {
        int rc = -errno;

        fw_abort(w);
        return rc;
    }
    gale_buf_append(&w->buf, SNAP_MAGIC, 8);
    put_u32(&w->buf, GALE_CKPT_VERSION);
    put_u32(&w->buf, (uint32_t)task_id);
    put_u64(&w->buf, ckpt_id);
    put_u32(&w->buf, kind);
    return 0;
}

/* Appends one record; flushes now and then. 0 or -errno. */
static int
fw_record(struct fwriter *w, int32_t kg, const void *name, size_t nlen,
    const void *key, size_t klen, bool put, const void *val, size_t vlen)
{
    put_u32(&w->buf, (uint32_t)kg);
    put_varint(&w->buf, nlen);
    gale_buf_append(&w->buf, name, nlen);
    put_varint(&w->buf, klen);
    gale_buf_append(&w->buf, key, klen);
    gale_buf_append_byte(&w->buf, put ? REC_PUT : REC_TOMB);
    if (put) {
        put_varint(&w->buf, vlen);
        gale_buf_append(&w->buf, val, vlen);
    }
    w->count++;
    return w->buf.len >= WRITE_CHUNK ? fw_flush(w) : 0;
}

/* Ends the file with its trailer, makes it durable under its final name
 * and frees w. *bytes gets its size. 0 or -errno (nothing left behind). */
static int
fw_commit(struct fwriter *w, uint64_t *bytes)
{
    uint8_t crc[4];
    int rc, i;

    put_u64(&w->buf, w->count);
    if ((rc = fw_flush(w)) != 0)
        goto fail;
    for (i = 0; i < 4; i++)
        crc[i] = (uint8_t)(w->crc >> (8 * i));
    if ((rc = gale_write_all(w->fd, crc, 4)) != 0)
        goto fail;
    w->size += 4;
    if (fsync(w->fd) == -1) {
        rc = -errno;
        goto fail;
    }
    rc = close(w->fd);
    w->fd = -1;
    if (rc == -1 || rename(w->tmp, w->path) == -1) {
        rc = -errno;
        unlink(w->tmp);
        goto fail;
    }
    if ((rc = gale_fsync_dir(w->dir)) != 0)
        goto fail;
    *bytes = w->size;
    fw_abort(w);
    return 0;
fail:
    fw_abort(w);
    return rc;
}

int
gale_ckpt_write_snap(const char *dir, const gale_snap_t *s, char **file,
    size_t *bytes)
{
    struct fwriter w;
    const struct snap_rec *r;
    const uint8_t *k;
    const char *nm;
    char *name;
    uint64_t size;
    struct snap_key *idx = snap_sorted(s);
    size_t i;
    int rc;

    xasprintf(&name, "t%d-%" PRIu64 ".delta", s->task_id, s->ckpt_id);
    if ((rc = fw_open(&w, dir, name, s->task_id, s->ckpt_id, SNAP_DELTA)) != 0)
        goto fail;
    for (i = 0; i < s->nrecs; i++) {
        r = &s->recs[idx[i].idx];
        k = s->data.data + r->koff;
        nm = s->names[r->name];
        rc = fw_record(&w, r->kg, nm, strlen(nm), k, r->klen, r->put,
            k + r->klen, r->vlen);
        if (rc != 0) {
            fw_abort(&w);
            goto fail;
        }
    }
    if ((rc = fw_commit(&w, &size)) != 0)
        goto fail;
    free(idx);
    *file = name;
    *bytes = (size_t)size;
    return 0;
fail:
    free(idx);
    free(name);
    return rc;
}

/* ---- reading snapshot files ---------------------------------------------------- */

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

/* Unmaps the file and frees r's memory. */
static void
fr_close(struct freader *r)
{
    if (r->map != NULL)
        munmap(r->map, r->size);
    r->map = NULL;
    free(r->rel);
    r->rel = NULL;
}

/* Decodes the record at r->p into *f. false if malformed. */
static bool
fr_decode(struct freader *r, struct frec *f)
{
    const uint8_t *p = r->p, *end = r->end;
    uint64_t n;

    if ((size_t)(end - p) < 4)
        return false;
    f->kg = (int32_t)get_u32(p);
    p += 4;
    if (f->kg < -1 || f->kg > 65535)
        return false;
    if (!get_varint(&p, end, &n) || n > (uint64_t)(end - p))
        return false;
    f->name = p;
    f->nlen = n;
    p += n;
    if (memchr(f->name, '\0', f->nlen) != NULL)
        return false;
    if (!get_varint(&p, end, &n) || n > (uint64_t)(end - p))
        return false;
    f->key = p;
    f->klen = n;
    p += n;
    if (p == end || (*p != REC_PUT && *p != REC_TOMB))
        return false;
    f->put = *p++ == REC_PUT;
    f->val = NULL;
    f->vlen = 0;
    if (f->put) {
        if (!get_varint(&p, end, &n) || n > (uint64_t)(end - p))
            return false;
        f->val = p;
        f->vlen = n;
        p += n;
    }
    r->p = p;
    return true;
}

/* Orders two records as files store them: key group, name, key. */
static int
frec_cmp(const struct frec *a, const struct frec *b)
{
    int c;

    if (a->kg != b->kg)
        return a->kg < b->kg ? -1 : 1;
    if ((c = bytes_cmp(a->name, a->nlen, b->name, b->nlen)) != 0)
        return c;
    return bytes_cmp(a->key, a->klen, b->key, b->klen);
}

/* Reads the next record into r->cur: 1, 0 at the end, or -EBADMSG. */
static int
fr_next(struct freader *r)
{
    struct frec f;

    if (r->p == r->end) {
        r->has = false;
        return r->seen == r->count ? 0 : -EBADMSG;
    }
    if (!fr_decode(r, &f) || (r->has && frec_cmp(&r->cur, &f) >= 0))
        return -EBADMSG;
    r->cur = f;
    r->has = true;
    r->seen++;
    return 1;
}

/* Opens dir/files/name, maps it and verifies it whole: size (want_size
 * unless 0), magic, version, header against the name and task_id, every
 * record's form and order, count and CRC. 0, or -EBADMSG / -errno with
 * *cause; r needs fr_close either way. */
static int
fr_open(struct freader *r, const char *dir, const char *name, int task_id,
    uint64_t want_size, char **cause)
{
    struct stat st;
    char *path;
    uint64_t id;
    uint32_t version, crc;
    int fd = -1, rc, ntask, kind;
    const char *why = NULL;

    memset(r, 0, sizeof(*r));
    xasprintf(&r->rel, "files/%s", name);
    xasprintf(&path, "%s/%s", dir, r->rel);
    if (!fname_parse(name, &ntask, &id, &kind, NULL) ||
        strstr(name, ".tmp") != NULL) {
        rc = -EINVAL;
        why = "not a snapshot file name";
        goto fail;
    }
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 || fstat(fd, &st) == -1) {
        rc = -errno;
        goto fail;
    }
    r->size = (size_t)st.st_size;
    if (want_size != 0 && (uint64_t)st.st_size != want_size) {
        rc = -EBADMSG;
        set_cause(cause, "%s: size %" PRIu64 ", metadata says %" PRIu64,
            r->rel, (uint64_t)st.st_size, want_size);
        goto fail_caused;
    }
    if (r->size < SNAP_HEADER + SNAP_TRAILER) {
        rc = -EBADMSG;
        why = "truncated";
        goto fail;
    }
    r->map = mmap(NULL, r->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (r->map == MAP_FAILED) {
        r->map = NULL;
        rc = -errno;
        goto fail;
    }
    rc = -EBADMSG;
    if (memcmp(r->map, SNAP_MAGIC, 8) != 0) {
        why = "not a gale snapshot file";
        goto fail;
    }
    if ((version = get_u32(r->map + 8)) != GALE_CKPT_VERSION) {
        set_cause(cause, "%s: unknown format version %" PRIu32, r->rel,
            version);
        goto fail_caused;
    }
    crc = gale_crc32c_value(r->map, r->size - 4);
    if (crc != get_u32(r->map + r->size - 4)) {
        why = "bad checksum";
        goto fail;
    }
    r->task_id = (int)get_u32(r->map + 12);
    r->ckpt_id = get_u64(r->map + 16);
    r->kind = get_u32(r->map + 24);
    if (r->task_id != ntask || r->ckpt_id != id || r->kind != (uint32_t)kind) {
        why = "header does not match the file name";
        goto fail;
    }
    if (r->task_id != task_id) {
        set_cause(cause, "%s: belongs to task %d, not %d", r->rel,
            r->task_id, task_id);
        goto fail_caused;
    }
    r->count = get_u64(r->map + r->size - SNAP_TRAILER);
    r->p = r->map + SNAP_HEADER;
    r->end = r->map + r->size - SNAP_TRAILER;
    while ((rc = fr_next(r)) == 1)
        ;
    if (rc != 0) {
        why = r->p == r->end ? "record count mismatch" : "malformed record";
        goto fail;
    }
    r->p = r->map + SNAP_HEADER;
    r->seen = 0;
    r->has = false;
    close(fd);
    free(path);
    return 0;
fail:
    set_cause(cause, "%s: %s", r->rel, why != NULL ? why : strerror(-rc));
fail_caused:
    if (fd != -1)
        close(fd);
    free(path);
    return rc;
}

/* Opens and verifies every file of t's chain into rs (t->nfiles of them):
 * the tasks, a base only first, checkpoint ids increasing. 0 or -errno with
 * *cause; rs needs closing either way. */
static int
chain_open(const char *dir, const gale_ckpt_task_t *t, struct freader *rs,
    char **cause)
{
    size_t i;
    int rc;

    for (i = 0; i < t->nfiles; i++) {
        rc = fr_open(&rs[i], dir, t->files[i], t->task_id,
            t->sizes != NULL ? t->sizes[i] : 0, cause);
        if (rc != 0)
            return rc;
        if (i > 0 && rs[i].kind == SNAP_BASE) {
            set_cause(cause, "%s: a base after the start of task %d's chain",
                rs[i].rel, t->task_id);
            return -EBADMSG;
        }
        if (i > 0 && rs[i].ckpt_id <= rs[i - 1].ckpt_id) {
            set_cause(cause, "%s: checkpoint ids not increasing in task %d's"
                " chain", rs[i].rel, t->task_id);
            return -EBADMSG;
        }
    }
    return 0;
}

/* ---- restore --------------------------------------------------------------------- */

/* take_dirty callback that drops every change: restored entries are the
 * checkpoint's, not news for the next one. */
static int
drop_change(void *arg, int kg, const char *name, const void *key,
    size_t klen, const void *val, size_t vlen)
{
    return 0;
}

/* Restored entries are marked clean every this many records: a store with
 * a memory cap can only evict clean entries, so a large restore would
 * otherwise hold the whole state in memory until the end. */
#define RESTORE_DRAIN 4096

/* Applies every record of r to store; keyed records outside [first, last]
 * are skipped. *applied counts the records applied so far. 0 or -errno
 * from the store. */
static int
restore_file(struct freader *r, gale_kvstore_t *store, int first, int last,
    size_t *applied)
{
    gale_kv_t *kv = NULL;
    const uint8_t *lname = NULL;
    size_t lnlen = 0;
    int32_t lkg = -2;
    char *name;
    int rc;

    while (fr_next(r) == 1) {
        const struct frec *f = &r->cur;

        if (f->kg != -1 && (f->kg < first || f->kg > last))
            continue;
        /* Handles are looked up when the name or the kind changes. */
        if (kv == NULL || (f->kg == -1) != (lkg == -1) ||
            bytes_cmp(f->name, f->nlen, lname, lnlen) != 0) {
            name = xstrndup((const char *)f->name, f->nlen);
            kv = f->kg == -1 ? gale_kvstore_operator(store, name) :
                gale_kvstore_keyed(store, name);
            free(name);
            lname = f->name;
            lnlen = f->nlen;
        }
        if (f->kg != lkg && f->kg != -1)
            gale_kvstore_set_keygroup(store, f->kg);
        lkg = f->kg;
        if (f->put)
            rc = gale_kv_put(kv, f->key, f->klen, f->val, f->vlen);
        else
            rc = gale_kv_delete(kv, f->key, f->klen);
        if (rc != 0)
            return rc;
        if (++*applied % RESTORE_DRAIN == 0)
            (void)gale_kvstore_take_dirty(store, drop_change, NULL);
    }
    return 0;
}

int
gale_ckpt_restore_task(gale_ckpt_t *c, const gale_ckpt_task_t *t,
    gale_kvstore_t *store, char **cause)
{
    const char *dir = gale_ckpt_dir(c);
    struct freader *rs = xcalloc(t->nfiles + 1, sizeof(*rs));
    int scope = gale_kvstore_keygroup(store);
    size_t i, applied = 0;
    int rc;

    if ((rc = chain_open(dir, t, rs, cause)) != 0)
        goto done;
    for (i = 0; i < t->nfiles && rc == 0; i++)
        rc = restore_file(&rs[i], store, t->kg_first, t->kg_last, &applied);
    gale_kvstore_set_keygroup(store, scope);
    if (rc != 0) {
        set_cause(cause, "restoring task %d: %s", t->task_id, strerror(-rc));
        goto done;
    }
    (void)gale_kvstore_take_dirty(store, drop_change, NULL);
done:
    for (i = 0; i < t->nfiles; i++)
        fr_close(&rs[i]);
    free(rs);
    return rc;
}

/* ---- the store ----------------------------------------------------------------------- */

struct gale_ckpt {
    char *dir;                      /* owned; the store's directory */
    char *files;                    /* owned; dir/files */
    char *meta;                     /* owned; dir/meta */
    uint64_t next;                  /* the next id next_id hands out */
    char **pins;                    /* owned; compacted bases not yet in
                                     * written metadata (gc keeps them) */
    size_t npins;                   /* length of pins */
};

const char *
gale_ckpt_dir(const gale_ckpt_t *c)
{
    return c->dir;
}

/* The largest checkpoint id named by an entry of directory path (snapshot
 * or metadata names, temporary or not) into *max. 0 or -errno. */
static int
scan_max_id(const char *path, uint64_t *max)
{
    DIR *d;
    struct dirent *e;
    uint64_t id;
    bool tmp;

    if ((d = opendir(path)) == NULL)
        return -errno;
    while ((e = readdir(d)) != NULL) {
        if ((fname_parse(e->d_name, NULL, &id, NULL, NULL) ||
            mname_parse(e->d_name, &id, &tmp)) && id > *max)
            *max = id;
    }
    closedir(d);
    return 0;
}

gale_ckpt_t *
gale_ckpt_open(const char *dir, char **cause)
{
    gale_ckpt_t *c = xcalloc(1, sizeof(*c));
    char *path = NULL, buf[32], *end;
    uint64_t max = 0, counter = 1;
    ssize_t n;
    int fd = -1, rc;
    const char *what = dir;

    c->dir = xstrdup(dir);
    xasprintf(&c->files, "%s/files", dir);
    xasprintf(&c->meta, "%s/meta", dir);
    if ((rc = gale_mkdir_p(c->dir)) != 0 ||
        (rc = gale_mkdir_p(what = c->files)) != 0 ||
        (rc = gale_mkdir_p(what = c->meta)) != 0 ||
        (rc = scan_max_id(what = c->files, &max)) != 0 ||
        (rc = scan_max_id(what = c->meta, &max)) != 0)
        goto fail;
    xasprintf(&path, "%s/COUNTER", dir);
    what = path;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
        if ((n = read(fd, buf, sizeof(buf) - 1)) == -1) {
            rc = -errno;
            goto fail;
        }
        buf[n] = '\0';
        errno = 0;
        counter = strtoull(buf, &end, 10);
        if (n == 0 || buf[0] < '0' || buf[0] > '9' || errno != 0 ||
            strcmp(end, "\n") != 0 || counter == 0) {
            rc = -EBADMSG;
            goto fail;
        }
        close(fd);
        fd = -1;
    } else if (errno != ENOENT) {
        rc = -errno;
        goto fail;
    }
    c->next = counter > max ? counter : max + 1;
    free(path);
    return c;
fail:
    set_cause(cause, "checkpoint store %s: %s", what,
            rc == -EBADMSG ? "malformed" : strerror(-rc));
    if (fd != -1)
        close(fd);
    free(path);
    gale_ckpt_close(&c);
    return NULL;
}

void
gale_ckpt_close(gale_ckpt_t **cp)
{
    gale_ckpt_t *c;
    size_t i;

    if (cp == NULL || (c = *cp) == NULL)
        return;
    for (i = 0; i < c->npins; i++)
        free(c->pins[i]);
    free(c->pins);
    free(c->dir);
    free(c->files);
    free(c->meta);
    free(c);
    *cp = NULL;
}

int
gale_ckpt_next_id(gale_ckpt_t *c, uint64_t *id)
{
    char *path, *text;
    int len, rc;

    xasprintf(&path, "%s/COUNTER", c->dir);
    len = xasprintf(&text, "%" PRIu64 "\n", c->next + 1);
    rc = gale_write_atomic(c->dir, path, text, (size_t)len);
    free(path);
    free(text);
    if (rc != 0)
        return rc;
    *id = c->next++;
    return 0;
}

/* ---- compaction and import -------------------------------------------------------- */

/* Whether r's current record is one merge_files keeps. */
static bool
merge_wants(const struct frec *f, int first, int last, bool with_op)
{
    if (f->kg == -1)
        return with_op;
    return f->kg >= first && f->kg <= last;
}

/* Moves r to its next record that merge_files keeps (or its end). */
static void
merge_next(struct freader *r, int first, int last, bool with_op)
{
    while (fr_next(r) == 1 && !merge_wants(&r->cur, first, last, with_op))
        ;
}

/* Merges the verified, opened files rs[0..n) — a higher index is newer —
 * into the base file `name` of c for task_id and checkpoint id: a k-way
 * merge where the smallest head wins and, among equal keys, the newest
 * file holds the value (the others are skipped); tombstones are dropped;
 * keyed records outside [first, last], and operator records of files
 * whose with_op is false, are left out. The base is pinned (gc keeps it
 * until metadata names it). 0 with *size, or -errno. */
static int
merge_files(gale_ckpt_t *c, struct freader *rs, const bool *with_op, size_t n,
    int first, int last, int task_id, uint64_t id, const char *name,
    uint64_t *size)
{
    struct fwriter w;
    const struct frec *min;
    size_t i, win;
    int rc;

    for (i = 0; i < n; i++) {
        (void)fr_next(&rs[i]);      /* verified: cannot fail */
        if (rs[i].has && !merge_wants(&rs[i].cur, first, last, with_op[i]))
            merge_next(&rs[i], first, last, with_op[i]);
    }
    if ((rc = fw_open(&w, c->dir, name, task_id, id, SNAP_BASE)) != 0)
        return rc;
    for (;;) {
        min = NULL;
        win = 0;
        for (i = 0; i < n; i++) {
            if (!rs[i].has)
                continue;
            if (min == NULL || frec_cmp(&rs[i].cur, min) <= 0) {
                min = &rs[i].cur;
                win = i;
            }
        }
        if (min == NULL)
            break;
        if (min->put && (rc = fw_record(&w, min->kg, min->name, min->nlen,
            min->key, min->klen, true, min->val, min->vlen)) != 0) {
            fw_abort(&w);
            return rc;
        }
        for (i = 0; i < n; i++)
            if (i != win && rs[i].has && frec_cmp(&rs[i].cur, min) == 0)
                merge_next(&rs[i], first, last, with_op[i]);
        merge_next(&rs[win], first, last, with_op[win]);
    }
    if ((rc = fw_commit(&w, size)) != 0)
        return rc;
    c->pins = xreallocarray(c->pins, c->npins + 1, sizeof(*c->pins));
    c->pins[c->npins++] = xstrdup(name);
    return 0;
}

int
gale_ckpt_compact(gale_ckpt_t *c, const gale_ckpt_task_t *t, char **base)
{
    struct freader *rs = xcalloc(t->nfiles + 1, sizeof(*rs));
    bool *all = xcalloc(t->nfiles + 1, sizeof(*all));
    char *name = NULL, *cause = NULL;
    uint64_t size;
    size_t i;
    int rc;

    if (t->nfiles == 0) {
        rc = -EINVAL;
        goto done;
    }
    if ((rc = chain_open(c->dir, t, rs, &cause)) != 0)
        goto done;
    xasprintf(&name, "t%d-%" PRIu64 ".base", t->task_id,
        rs[t->nfiles - 1].ckpt_id);
    if (t->nfiles == 1 && rs[0].kind == SNAP_BASE) {
        c->pins = xreallocarray(c->pins, c->npins + 1, sizeof(*c->pins));
        c->pins[c->npins++] = xstrdup(name);
        goto done;
    }
    for (i = 0; i < t->nfiles; i++)
        all[i] = true;
    rc = merge_files(c, rs, all, t->nfiles, 0, INT32_MAX, t->task_id,
        rs[t->nfiles - 1].ckpt_id, name, &size);
done:
    if (rc == 0) {
        *base = name;
        name = NULL;
    } else if (cause != NULL) {
        log_warn("checkpoint store %s: compacting task %d: %s", c->dir,
            t->task_id, cause);
    }
    for (i = 0; i < t->nfiles; i++)
        fr_close(&rs[i]);
    free(rs);
    free(all);
    free(name);
    free(cause);
    return rc;
}

int
gale_ckpt_import_task(gale_ckpt_t *c, const char *src_dir,
    const gale_ckpt_task_t *const *srcs, const bool *with_op, size_t nsrcs,
    int kg_first, int kg_last, int task_id, uint64_t id, char **file,
    uint64_t *bytes, char **cause)
{
    struct freader *rs;
    bool *op;
    char *name = NULL;
    size_t i, k, n = 0;
    int rc = 0;

    for (i = 0; i < nsrcs; i++)
        n += srcs[i]->nfiles;
    rs = xcalloc(n + 1, sizeof(*rs));
    op = xcalloc(n + 1, sizeof(*op));
    /* One reader per file, chain after chain: a higher index is newer
     * within a chain, and a later chain wins on shared operator keys. */
    for (i = 0, k = 0; i < nsrcs; i++) {
        if ((rc = chain_open(src_dir, srcs[i], rs + k, cause)) != 0)
            goto done;
        for (size_t j = 0; j < srcs[i]->nfiles; j++)
            op[k + j] = with_op[i];
        k += srcs[i]->nfiles;
    }
    xasprintf(&name, "t%d-%" PRIu64 ".base", task_id, id);
    if ((rc = merge_files(c, rs, op, n, kg_first, kg_last, task_id, id, name,
        bytes)) != 0) {
        set_cause(cause, "files/%s: %s", name, strerror(-rc));
        goto done;
    }
    *file = name;
    name = NULL;
done:
    for (i = 0; i < n; i++)
        fr_close(&rs[i]);
    free(rs);
    free(op);
    free(name);
    return rc;
}

bool
gale_ckpt_task_wants_compaction(const gale_ckpt_task_t *t, size_t max_files)
{
    uint64_t rest = 0;
    size_t i;

    if (t->nfiles < 2)
        return false;
    if (t->nfiles > max_files)
        return true;
    for (i = 1; i < t->nfiles; i++)
        rest += t->sizes[i];
    return rest >= t->sizes[0] / 2;
}

/* ---- metadata: building ------------------------------------------------------------ */

gale_ckpt_meta_t *
gale_ckpt_meta_new(uint64_t id, uint32_t attempt, const char *topology,
    int max_parallelism)
{
    gale_ckpt_meta_t *m = xcalloc(1, sizeof(*m));

    m->version = GALE_CKPT_VERSION;
    m->id = id;
    m->attempt = attempt;
    m->topology = xstrdup(topology);
    m->max_parallelism = max_parallelism;
    m->created_ms = now_ms();
    return m;
}

void
gale_ckpt_meta_free(gale_ckpt_meta_t **mp)
{
    gale_ckpt_meta_t *m;
    gale_ckpt_task_t *t;
    size_t i, j;

    if (mp == NULL || (m = *mp) == NULL)
        return;
    for (i = 0; i < m->ntasks; i++) {
        t = &m->tasks[i];
        free(t->component);
        for (j = 0; j < t->nfiles; j++)
            free(t->files[j]);
        free(t->files);
        free(t->sizes);
    }
    free(m->tasks);
    for (i = 0; i < m->nkv; i++) {
        free(m->keys[i]);
        free(m->vals[i]);
    }
    free(m->keys);
    free(m->vals);
    free(m->topology);
    free(m);
    *mp = NULL;
}

gale_ckpt_task_t *
gale_ckpt_meta_add_task(gale_ckpt_meta_t *m, int task_id,
    const char *component, int task_index, int kg_first, int kg_last)
{
    gale_ckpt_task_t *t;

    m->tasks = xreallocarray(m->tasks, m->ntasks + 1, sizeof(*m->tasks));
    t = &m->tasks[m->ntasks++];
    memset(t, 0, sizeof(*t));
    t->task_id = task_id;
    t->component = xstrdup(component);
    t->task_index = task_index;
    t->kg_first = kg_first;
    t->kg_last = kg_last;
    return t;
}

void
gale_ckpt_meta_set(gale_ckpt_meta_t *m, const char *key, const char *val)
{
    size_t i;

    for (i = 0; i < m->nkv; i++) {
        if (strcmp(m->keys[i], key) == 0) {
            free(m->vals[i]);
            m->vals[i] = xstrdup(val);
            return;
        }
    }
    m->keys = xreallocarray(m->keys, m->nkv + 1, sizeof(*m->keys));
    m->vals = xreallocarray(m->vals, m->nkv + 1, sizeof(*m->vals));
    m->keys[m->nkv] = xstrdup(key);
    m->vals[m->nkv++] = xstrdup(val);
}

const char *
gale_ckpt_meta_get(const gale_ckpt_meta_t *m, const char *key)
{
    size_t i;

    for (i = 0; i < m->nkv; i++)
        if (strcmp(m->keys[i], key) == 0)
            return m->vals[i];
    return NULL;
}

gale_ckpt_task_t *
gale_ckpt_meta_task(const gale_ckpt_meta_t *m, int task_id)
{
    size_t i;

    for (i = 0; i < m->ntasks; i++)
        if (m->tasks[i].task_id == task_id)
            return &m->tasks[i];
    return NULL;
}

gale_ckpt_meta_t *
gale_ckpt_meta_copy(const gale_ckpt_meta_t *m, uint64_t id, uint32_t attempt)
{
    gale_ckpt_meta_t *n;
    const gale_ckpt_task_t *s;
    gale_ckpt_task_t *t;
    size_t i, j;

    n = gale_ckpt_meta_new(id, attempt, m->topology, m->max_parallelism);
    for (i = 0; i < m->ntasks; i++) {
        s = &m->tasks[i];
        t = gale_ckpt_meta_add_task(n, s->task_id, s->component,
            s->task_index, s->kg_first, s->kg_last);
        for (j = 0; j < s->nfiles; j++)
            gale_ckpt_task_append(t, s->files[j],
                s->sizes != NULL ? s->sizes[j] : 0);
    }
    for (i = 0; i < m->nkv; i++)
        gale_ckpt_meta_set(n, m->keys[i], m->vals[i]);
    return n;
}

void
gale_ckpt_task_append(gale_ckpt_task_t *t, const char *file, uint64_t bytes)
{
    t->files = xreallocarray(t->files, t->nfiles + 1, sizeof(*t->files));
    t->sizes = xreallocarray(t->sizes, t->nfiles + 1, sizeof(*t->sizes));
    t->files[t->nfiles] = xstrdup(file);
    t->sizes[t->nfiles++] = bytes;
    t->bytes += bytes;
}

int
gale_ckpt_task_rebase(gale_ckpt_t *c, gale_ckpt_task_t *t, const char *base)
{
    struct stat st;
    char *path;
    uint64_t bid, id;
    int task, kind;
    bool tmp;
    size_t i, j;

    if (!fname_parse(base, &task, &bid, &kind, &tmp) || tmp ||
        kind != SNAP_BASE || task != t->task_id)
        return -EINVAL;
    xasprintf(&path, "%s/%s", c->files, base);
    if (stat(path, &st) == -1) {
        free(path);
        return -errno;
    }
    free(path);
    /* Keep the files newer than the base, after it. */
    t->bytes = (uint64_t)st.st_size;
    for (i = j = 0; i < t->nfiles; i++) {
        if (fname_parse(t->files[i], NULL, &id, NULL, NULL) && id > bid) {
            t->files[j] = t->files[i];
            t->sizes[j++] = t->sizes[i];
            t->bytes += t->sizes[i];
        } else
            free(t->files[i]);
    }
    t->files = xreallocarray(t->files, j + 1, sizeof(*t->files));
    t->sizes = xreallocarray(t->sizes, j + 1, sizeof(*t->sizes));
    memmove(t->files + 1, t->files, j * sizeof(*t->files));
    memmove(t->sizes + 1, t->sizes, j * sizeof(*t->sizes));
    t->files[0] = xstrdup(base);
    t->sizes[0] = (uint64_t)st.st_size;
    t->nfiles = j + 1;
    return 0;
}

/* ---- metadata: the text form ------------------------------------------------------ */

/* Appends s escaped: bytes that are not printable ASCII, the space and
 * '%' become %XX, so that a field is one token. */
static void
esc_append(gale_buf_t *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p;

    for (p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p <= ' ' || *p >= 0x7f || *p == '%') {
            gale_buf_append_byte(b, '%');
            gale_buf_append_byte(b, (uint8_t)hex[*p >> 4]);
            gale_buf_append_byte(b, (uint8_t)hex[*p & 15]);
        } else
            gale_buf_append_byte(b, *p);
    }
}

/* Appends formatted text to b. */
static void __attribute__((format(printf, 2, 3)))
buf_printf(gale_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    char *s;
    int n;

    va_start(ap, fmt);
    n = xvasprintf(&s, fmt, ap);
    va_end(ap);
    gale_buf_append(b, s, (size_t)n);
    free(s);
}

/* Renders m in the text form, CRC line included. */
static void
meta_render(const gale_ckpt_meta_t *m, gale_buf_t *b)
{
    const gale_ckpt_task_t *t;
    size_t i, j;

    buf_printf(b, "%s %d\n", META_MAGIC, GALE_CKPT_VERSION);
    buf_printf(b, "id %" PRIu64 "\nattempt %" PRIu32 "\ntopology ", m->id,
        m->attempt);
    esc_append(b, m->topology != NULL ? m->topology : "");
    buf_printf(b, "\nmax_parallelism %d\ncreated_ms %" PRIu64 "\n",
        m->max_parallelism, m->created_ms);
    for (i = 0; i < m->ntasks; i++) {
        t = &m->tasks[i];
        buf_printf(b, "task %d ", t->task_id);
        esc_append(b, t->component != NULL ? t->component : "");
        buf_printf(b, " %d %d %d %zu\n", t->task_index, t->kg_first,
            t->kg_last, t->nfiles);
        for (j = 0; j < t->nfiles; j++) {
            buf_printf(b, "file ");
            esc_append(b, t->files[j]);
            buf_printf(b, " %" PRIu64 "\n", t->sizes != NULL ? t->sizes[j] : 0);
        }
    }
    for (i = 0; i < m->nkv; i++) {
        buf_printf(b, "kv ");
        esc_append(b, m->keys[i]);
        gale_buf_append_byte(b, ' ');
        esc_append(b, m->vals[i]);
        gale_buf_append_byte(b, '\n');
    }
    buf_printf(b, "crc32c %08" PRIx32 "\n", gale_crc32c_value(b->data, b->len));
}

/* Removes name from c's pins if there. */
static void
unpin(gale_ckpt_t *c, const char *name)
{
    size_t i;

    for (i = 0; i < c->npins; i++) {
        if (strcmp(c->pins[i], name) == 0) {
            free(c->pins[i]);
            c->pins[i] = c->pins[--c->npins];
            return;
        }
    }
}

int
gale_ckpt_write_meta(gale_ckpt_t *c, const gale_ckpt_meta_t *m)
{
    gale_buf_t b;
    char *path;
    size_t i, j;
    int rc;

    gale_buf_init(&b, 1024);
    meta_render(m, &b);
    xasprintf(&path, "%s/%020" PRIu64 ".meta", c->meta, m->id);
    rc = gale_write_atomic(c->meta, path, b.data, b.len);
    free(path);
    gale_buf_release(&b);
    if (rc == 0)
        for (i = 0; i < m->ntasks; i++)
            for (j = 0; j < m->tasks[i].nfiles; j++)
                unpin(c, m->tasks[i].files[j]);
    return rc;
}

/* Undoes esc_append in place. false if an escape is malformed or
 * yields a NUL. */
static bool
unescape(char *s)
{
    char *w = s, hexs[3] = { 0 };
    unsigned long v;

    for (; *s != '\0'; s++) {
        if (*s != '%') {
            *w++ = *s;
            continue;
        }
        if (s[1] == '\0' || s[2] == '\0')
            return false;
        hexs[0] = s[1];
        hexs[1] = s[2];
        if (strspn(hexs, "0123456789ABCDEFabcdef") != 2 ||
            (v = strtoul(hexs, NULL, 16)) == 0)
            return false;
        *w++ = (char)v;
        s += 2;
    }
    *w = '\0';
    return true;
}

/* Splits line (NUL-terminated, modified) at single spaces into at most
 * max tokens. Returns the number of tokens, or max + 1 if there are more. */
static int
tokenize(char *line, char **tok, int max)
{
    int n = 0;
    char *sp;

    for (;;) {
        if (n == max)
            return max + 1;
        tok[n++] = line;
        if ((sp = strchr(line, ' ')) == NULL)
            return n;
        *sp = '\0';
        line = sp + 1;
    }
}

/* Parses a decimal integer token into *v within [lo, hi]. */
static bool
tok_int(const char *s, long long lo, long long hi, long long *v)
{
    char *end;

    if (*s == '\0' || (*s != '-' && (*s < '0' || *s > '9')))
        return false;
    errno = 0;
    *v = strtoll(s, &end, 10);
    return errno == 0 && *end == '\0' && *v >= lo && *v <= hi;
}

/* Parses a decimal u64 token into *v. */
static bool
tok_u64(const char *s, uint64_t *v)
{
    char *end;

    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    *v = strtoull(s, &end, 10);
    return errno == 0 && *end == '\0';
}

/* Parses the text of one metadata file (len bytes at text, modified) into
 * *mp. 0, or -EBADMSG with *why (a static string or one written into
 * whybuf). */
static int
meta_parse(char *text, size_t len, gale_ckpt_meta_t **mp, const char **why,
    char *whybuf, size_t whylen)
{
    gale_ckpt_meta_t *m = NULL;
    gale_ckpt_task_t *t = NULL;
    char *line, *nl, *tok[8], *crcline, *first;
    long long a, b, c2, d;
    uint64_t u;
    uint32_t crc;
    size_t want = 0, lineno = 0;
    unsigned seen = 0;
    int n;

    *why = "truncated";
    if (len == 0 || text[len - 1] != '\n' || memchr(text, '\0', len) != NULL)
        goto fail;
    text[len - 1] = '\0';
    /* The version first: a future format may end differently. */
    if ((nl = strchr(text, '\n')) == NULL)
        goto fail;
    first = xstrndup(text, (size_t)(nl - text));
    n = tokenize(first, tok, 2);
    if (n != 2 || strcmp(tok[0], META_MAGIC) != 0)
        *why = "not a gale checkpoint metadata file";
    else if (!tok_int(tok[1], 0, INT32_MAX, &a) || a != GALE_CKPT_VERSION) {
        snprintf(whybuf, whylen, "unknown format version %.20s", tok[1]);
        *why = whybuf;
    } else
        *why = NULL;
    free(first);
    if (*why != NULL)
        goto fail;
    *why = "truncated";
    if ((crcline = strrchr(text, '\n')) == NULL ||
        strncmp(crcline + 1, "crc32c ", 7) != 0 ||
        strlen(crcline + 8) != 8 || strspn(crcline + 8, "0123456789abcdef") != 8)
        goto fail;
    crc = (uint32_t)strtoul(crcline + 8, NULL, 16);
    if (crc != gale_crc32c_value(text, (size_t)(crcline + 1 - text))) {
        *why = "bad checksum";
        goto fail;
    }
    *crcline = '\0';
    m = xcalloc(1, sizeof(*m));
    m->version = GALE_CKPT_VERSION;
    line = nl == crcline ? NULL : nl + 1;
    lineno = 1;
    *why = whybuf;
    for (; line != NULL; line = nl) {
        lineno++;
        if ((nl = strchr(line, '\n')) != NULL)
            *nl++ = '\0';
        n = tokenize(line, tok, 7);
        if (t != NULL && t->nfiles < want && strcmp(tok[0], "file") != 0)
            goto missing;
        if (n == 2 && strcmp(tok[0], "id") == 0 && tok_u64(tok[1], &u) &&
            !(seen & 1)) {
            m->id = u;
            seen |= 1;
        } else if (n == 2 && strcmp(tok[0], "attempt") == 0 &&
            tok_int(tok[1], 0, UINT32_MAX, &a) && !(seen & 2)) {
            m->attempt = (uint32_t)a;
            seen |= 2;
        } else if (n == 2 && strcmp(tok[0], "topology") == 0 &&
            unescape(tok[1]) && !(seen & 4)) {
            m->topology = xstrdup(tok[1]);
            seen |= 4;
        } else if (n == 2 && strcmp(tok[0], "max_parallelism") == 0 &&
            tok_int(tok[1], 0, INT32_MAX, &a) && !(seen & 8)) {
            m->max_parallelism = (int)a;
            seen |= 8;
        } else if (n == 2 && strcmp(tok[0], "created_ms") == 0 &&
            tok_u64(tok[1], &u) && !(seen & 16)) {
            m->created_ms = u;
            seen |= 16;
        } else if (n == 7 && strcmp(tok[0], "task") == 0 &&
            tok_int(tok[1], INT32_MIN, INT32_MAX, &a) && unescape(tok[2]) &&
            tok_int(tok[3], INT32_MIN, INT32_MAX, &b) &&
            tok_int(tok[4], -1, 65535, &c2) &&
            tok_int(tok[5], -2, 65535, &d) && tok_u64(tok[6], &u) &&
            u < 1000000) {
            t = gale_ckpt_meta_add_task(m, (int)a, tok[2], (int)b, (int)c2,
                (int)d);
            want = (size_t)u;
        } else if (n == 3 && strcmp(tok[0], "file") == 0 && t != NULL &&
            t->nfiles < want && unescape(tok[1]) && tok_u64(tok[2], &u)) {
            gale_ckpt_task_append(t, tok[1], u);
        } else if (n == 3 && strcmp(tok[0], "kv") == 0 && unescape(tok[1]) &&
            unescape(tok[2])) {
            gale_ckpt_meta_set(m, tok[1], tok[2]);
        } else {
            snprintf(whybuf, whylen, "malformed line %zu", lineno);
            goto fail;
        }
    }
    if (t != NULL && t->nfiles < want)
        goto missing;
    if (seen != 31) {
        snprintf(whybuf, whylen, "missing fields");
        goto fail;
    }
    *mp = m;
    return 0;
missing:
    snprintf(whybuf, whylen, "task %d lists %zu files, has %zu",
        t->task_id, want, t->nfiles);
fail:
    gale_ckpt_meta_free(&m);
    return -EBADMSG;
}

int
gale_ckpt_read_meta(gale_ckpt_t *c, uint64_t id, gale_ckpt_meta_t **m,
    char **cause)
{
    char *path, *text = NULL, whybuf[96];
    const char *why = NULL;
    size_t len = 0;
    int rc;

    *m = NULL;
    xasprintf(&path, "%s/%020" PRIu64 ".meta", c->meta, id);
    if ((rc = gale_read_file(path, &text, &len)) != 0)
        why = rc == -ENOENT ? "no such checkpoint" : strerror(-rc);
    else if ((rc = meta_parse(text, len, m, &why, whybuf,
        sizeof(whybuf))) == 0 && (*m)->id != id) {
        snprintf(whybuf, sizeof(whybuf), "holds checkpoint %" PRIu64,
            (*m)->id);
        why = whybuf;
        gale_ckpt_meta_free(m);
        rc = -EBADMSG;
    }
    if (rc != 0)
        set_cause(cause, "meta/%020" PRIu64 ".meta: %s", id, why);
    free(text);
    free(path);
    return rc;
}

/* ---- latest and retention -------------------------------------------------------------- */

/* qsort comparator: u64s, largest first. */
static int
u64_desc(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? 1 : x > y ? -1 : 0;
}

/* The ids of meta/'s metadata files into *ids (caller frees), newest first,
 * temporary ones left out. 0 or -errno. */
static int
list_meta(gale_ckpt_t *c, uint64_t **ids, size_t *n)
{
    DIR *d;
    struct dirent *e;
    uint64_t id;
    bool tmp;

    *ids = NULL;
    *n = 0;
    if ((d = opendir(c->meta)) == NULL)
        return -errno;
    while ((e = readdir(d)) != NULL) {
        if (!mname_parse(e->d_name, &id, &tmp) || tmp)
            continue;
        *ids = xreallocarray(*ids, *n + 1, sizeof(**ids));
        (*ids)[(*n)++] = id;
    }
    closedir(d);
    if (*n > 0)
        qsort(*ids, *n, sizeof(**ids), u64_desc);
    return 0;
}

int
gale_ckpt_latest(gale_ckpt_t *c, uint64_t *id)
{
    gale_ckpt_meta_t *m;
    uint64_t *ids;
    char *cause = NULL;
    size_t n, i;
    int rc;

    if ((rc = list_meta(c, &ids, &n)) != 0)
        return rc;
    rc = -ENOENT;
    for (i = 0; i < n && rc != 0; i++) {
        if (gale_ckpt_read_meta(c, ids[i], &m, &cause) == 0) {
            *id = ids[i];
            rc = 0;
        } else
            log_warn("checkpoint store %s: skipping %s", c->dir, cause);
        gale_ckpt_meta_free(&m);
        free(cause);
        cause = NULL;
    }
    free(ids);
    return rc;
}

/* qsort/bsearch comparator of strings. */
static int
str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Unlinks dir/name; true if it was removed. */
static bool
remove_file(const char *dir, const char *name)
{
    char *path;
    int rc;

    xasprintf(&path, "%s/%s", dir, name);
    if ((rc = unlink(path)) == -1)
        log_warn("checkpoint store: removing %s: %s", path, strerror(errno));
    free(path);
    return rc == 0;
}

/* Collects the file names the metadata m references into refs. */
static void
collect_refs(const gale_ckpt_meta_t *m, char ***refs, size_t *n)
{
    size_t i, j;

    for (i = 0; i < m->ntasks; i++) {
        for (j = 0; j < m->tasks[i].nfiles; j++) {
            *refs = xreallocarray(*refs, *n + 1, sizeof(**refs));
            (*refs)[(*n)++] = xstrdup(m->tasks[i].files[j]);
        }
    }
}

/* Removes files/ entries that are neither referenced (refs, sorted) nor
 * pinned nor newer than newest, and temporary ones up to newest. Returns
 * how many were removed, or -errno. */
static int
gc_files(gale_ckpt_t *c, char **refs, size_t nrefs, uint64_t newest)
{
    DIR *d;
    struct dirent *e;
    uint64_t id;
    bool tmp, keep;
    const char *name;
    size_t i;
    int removed = 0;

    if ((d = opendir(c->files)) == NULL)
        return -errno;
    while ((e = readdir(d)) != NULL) {
        name = e->d_name;
        if (!fname_parse(name, NULL, &id, NULL, &tmp) || id > newest)
            continue;               /* not ours, or in flight */
        keep = false;
        if (!tmp) {
            keep = bsearch(&name, refs, nrefs, sizeof(*refs), str_cmp) != NULL;
            for (i = 0; i < c->npins && !keep; i++)
                keep = strcmp(c->pins[i], name) == 0;
        }
        if (!keep && remove_file(c->files, name))
            removed++;
    }
    closedir(d);
    return removed;
}

int
gale_ckpt_gc(gale_ckpt_t *c, int retain)
{
    DIR *d;
    struct dirent *e;
    gale_ckpt_meta_t *m;
    uint64_t *ids, cutoff = 0, newest = 0, id;
    char **refs = NULL, *cause = NULL, *name;
    size_t n, nrefs = 0, i;
    int kept = 0, removed = 0, rc;
    bool tmp;

    assert(retain >= 1);
    if ((rc = list_meta(c, &ids, &n)) != 0)
        return rc;
    for (i = 0; i < n && kept < retain; i++) {
        if (gale_ckpt_read_meta(c, ids[i], &m, &cause) == 0) {
            if (kept++ == 0)
                newest = ids[i];
            cutoff = ids[i];
            collect_refs(m, &refs, &nrefs);
            gale_ckpt_meta_free(&m);
        } else
            log_warn("checkpoint store %s: gc skips %s", c->dir, cause);
        free(cause);
        cause = NULL;
    }
    free(ids);
    if (kept == 0) {
        rc = -ENOENT;
        goto done;
    }
    /* Metadata first: once it is gone, its files are unreferenced. */
    if ((d = opendir(c->meta)) == NULL) {
        rc = -errno;
        goto done;
    }
    while ((e = readdir(d)) != NULL) {
        name = e->d_name;
        if (mname_parse(name, &id, &tmp) &&
            (id < cutoff || (tmp && id <= newest)) &&
            remove_file(c->meta, name))
            removed++;
    }
    closedir(d);
    if (nrefs > 0)
        qsort(refs, nrefs, sizeof(*refs), str_cmp);
    if ((rc = gc_files(c, refs, nrefs, newest)) >= 0)
        rc += removed;
done:
    for (i = 0; i < nrefs; i++)
        free(refs[i]);
    free(refs);
    return rc;
}
