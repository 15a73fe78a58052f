/* snapfile.c - the snapshot file format (ckpt_int.h): a writer that
 * streams records into a delta or base file and makes it durable, and a
 * reader that maps a file, verifies it whole and walks its records.
 *
 * A snapshot file (delta or base) is a 28-byte header, records sorted by
 * (key group, state name, key) with varint length prefixes, and a 12-byte
 * trailer (record count, CRC32C of everything before the CRC). Readers
 * map the file and verify it whole before using any record, so a corrupt
 * chain is rejected before it touches a store. docs/checkpoints.md has
 * the bytes.
 *
 * Every file is written under a temporary name, fsynced, renamed and its
 * directory fsynced: a file under its final name is complete.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/fs.h"
#include "common/xalloc.h"
#include "engine/checkpoint/ckpt_int.h"
#include "engine/wire/crc32c.h"

#define SNAP_MAGIC "GALESNP1"
#define SNAP_HEADER 28              /* magic 8, version 4, task 4, id 8, kind 4 */
#define SNAP_TRAILER 12             /* record count 8, crc 4 */
#define REC_TOMB 0                  /* record flag: the key was deleted */
#define REC_PUT 1                   /* record flag: the key has a value */
#define WRITE_CHUNK (1u << 20)      /* buffered bytes before a write(2) */

/* ---- encoding ---------------------------------------------------------- */

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
int
ckpt_bytes_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
    int r = memcmp(a, b, alen < blen ? alen : blen);

    if (r != 0)
        return r;
    return alen < blen ? -1 : alen > blen;
}

/* Parses a snapshot file name "t<task>-<id>.delta" or ".base", optionally
 * followed by ".tmp". true and the parts (any may be NULL) if it is one. */
bool
ckpt_fname_parse(const char *name, int *task, uint64_t *id, int *kind,
    bool *tmp)
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

/* ---- writing snapshot files -------------------------------------------- */

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
void
ckpt_fw_abort(struct fwriter *w)
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
int
ckpt_fw_open(struct fwriter *w, const char *dir, const char *name, int task_id,
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

        ckpt_fw_abort(w);
        return rc;
    }
    gale_buf_append(&w->buf, SNAP_MAGIC, 8);
    put_u32(&w->buf, GALE_CKPT_VERSION);
    put_u32(&w->buf, (uint32_t)task_id);
    put_u64(&w->buf, ckpt_id);
    put_u32(&w->buf, kind);
    return 0;
}

/* Writes v at p as an unsigned LEB128 varint; returns its bytes (1 to
 * 10). */
static inline size_t
enc_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;

    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* Appends one record; flushes now and then. 0 or -errno. The record is
 * encoded in place after one reservation, not field by field. */
int
ckpt_fw_record(struct fwriter *w, int32_t kg, const void *name, size_t nlen,
    const void *key, size_t klen, bool put, const void *val, size_t vlen)
{
    uint8_t *p0, *p;
    uint32_t g = (uint32_t)kg;

    if (!put)
        vlen = 0;
    p0 = p = gale_buf_reserve(&w->buf, 4 + 10 + nlen + 10 + klen + 1 +
        10 + vlen);
    p[0] = (uint8_t)g;
    p[1] = (uint8_t)(g >> 8);
    p[2] = (uint8_t)(g >> 16);
    p[3] = (uint8_t)(g >> 24);
    p += 4;
    p += enc_varint(p, nlen);
    memcpy(p, name, nlen);
    p += nlen;
    p += enc_varint(p, klen);
    if (klen > 0)
        memcpy(p, key, klen);
    p += klen;
    *p++ = put ? REC_PUT : REC_TOMB;
    if (put) {
        p += enc_varint(p, vlen);
        if (vlen > 0)
            memcpy(p, val, vlen);
        p += vlen;
    }
    w->buf.len += (size_t)(p - p0);
    w->count++;
    return w->buf.len >= WRITE_CHUNK ? fw_flush(w) : 0;
}

/* Ends the file with its trailer, makes it durable under its final name
 * and frees w. *bytes gets its size. 0 or -errno (nothing left behind). */
int
ckpt_fw_commit(struct fwriter *w, uint64_t *bytes)
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
    ckpt_fw_abort(w);
    return 0;
fail:
    ckpt_fw_abort(w);
    return rc;
}

/* ---- reading snapshot files -------------------------------------------- */

/* Unmaps the file and frees r's memory. */
void
ckpt_fr_close(struct freader *r)
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
int
ckpt_frec_cmp(const struct frec *a, const struct frec *b)
{
    int c;

    if (a->kg != b->kg)
        return a->kg < b->kg ? -1 : 1;
    if ((c = ckpt_bytes_cmp(a->name, a->nlen, b->name, b->nlen)) != 0)
        return c;
    return ckpt_bytes_cmp(a->key, a->klen, b->key, b->klen);
}

/* Reads the next record into r->cur: 1, 0 at the end, or -EBADMSG. */
int
ckpt_fr_next(struct freader *r)
{
    struct frec f;

    if (r->p == r->end) {
        r->has = false;
        return r->seen == r->count ? 0 : -EBADMSG;
    }
    if (!fr_decode(r, &f) || (r->has && ckpt_frec_cmp(&r->cur, &f) >= 0))
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
    if (!ckpt_fname_parse(name, &ntask, &id, &kind, NULL) ||
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
        ckpt_set_cause(cause, "%s: size %" PRIu64 ", metadata says %" PRIu64,
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
        ckpt_set_cause(cause, "%s: unknown format version %" PRIu32, r->rel,
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
        ckpt_set_cause(cause, "%s: belongs to task %d, not %d", r->rel,
            r->task_id, task_id);
        goto fail_caused;
    }
    r->count = get_u64(r->map + r->size - SNAP_TRAILER);
    r->p = r->map + SNAP_HEADER;
    r->end = r->map + r->size - SNAP_TRAILER;
    while ((rc = ckpt_fr_next(r)) == 1)
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
    ckpt_set_cause(cause, "%s: %s", r->rel, why != NULL ? why : strerror(-rc));
fail_caused:
    if (fd != -1)
        close(fd);
    free(path);
    return rc;
}

/* Opens and verifies every file of t's chain into rs (t->nfiles of them):
 * the tasks, a base only first, checkpoint ids increasing. 0 or -errno with
 * *cause; rs needs closing either way. */
int
ckpt_chain_open(const char *dir, const gale_ckpt_task_t *t, struct freader *rs,
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
            ckpt_set_cause(cause, "%s: a base after the start of task %d's"
                " chain", rs[i].rel, t->task_id);
            return -EBADMSG;
        }
        if (i > 0 && rs[i].ckpt_id <= rs[i - 1].ckpt_id) {
            ckpt_set_cause(cause, "%s: checkpoint ids not increasing in task "
                "%d's chain", rs[i].rel, t->task_id);
            return -EBADMSG;
        }
    }
    return 0;
}
