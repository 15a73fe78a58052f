/* record.c - tuple records and batches. This is the per-tuple path: no
 * allocation per record, one pass to size a record and one to write it. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "engine/wire/record.h"

void
gale_batch_init(gale_batch_t *b, size_t cap)
{
    if (cap < GALE_FRAME_HDR_SIZE)
        cap = GALE_FRAME_HDR_SIZE;
    b->buf = xmalloc(cap);
    b->len = GALE_FRAME_HDR_SIZE;
    b->cap = cap;
    b->alloc = cap;
    b->count = 0;
    b->weighted = false;
}

uint8_t *
gale_batch_room(gale_batch_t *b, size_t len)
{
    if (b->count > 0 && (b->len > b->cap || len > b->cap - b->len))
        return NULL;
    if (b->count == UINT32_MAX)
        return NULL;
    if (len > b->alloc - b->len) {
        /* Only an oversize record alone in the batch gets here. */
        b->alloc = b->len + len;
        b->buf = xrealloc(b->buf, b->alloc);
    }
    return b->buf + b->len;
}

int
gale_batch_append(gale_batch_t *b, const void *rec, size_t len)
{
    uint8_t *p = gale_batch_room(b, len);

    if (p == NULL)
        return -ENOSPC;
    memcpy(p, rec, len);
    gale_batch_commit(b, len);
    return 0;
}

uint8_t *
gale_batch_take(gale_batch_t *b, gale_frame_hdr_t *h, size_t *len)
{
    uint8_t *buf = b->buf;

    h->count = b->count;
    h->flags = b->weighted ? GALE_FRAME_WEIGHTED : 0;
    gale_frame_hdr_write(h, buf);
    *len = b->len;
    gale_batch_init(b, b->cap);
    return buf;
}

void
gale_batch_release(gale_batch_t *b)
{
    free(b->buf);
    memset(b, 0, sizeof *b);
}

/* Bytes the encoding of d takes, or 0 if d is invalid. LIST/MAP bytes are
 * scanned in full, since a bad one would poison every receiver. */
static size_t
datum_size(const gale_datum_t *d)
{
    const uint8_t *p, *next = NULL;

    switch (d->type) {
    case GALE_NULL:
    case GALE_BOOL:
        return 1;
    case GALE_INT:
        return 1 + gale_varint_size(gale_zigzag(d->u.i));
    case GALE_DOUBLE:
        return 9;
    case GALE_STRING:
    case GALE_BYTES:
        return 1 + gale_varint_size(d->u.s.len) + d->u.s.len;
    case GALE_LIST:
    case GALE_MAP:
        p = d->u.s.ptr;
        if (d->u.s.len == 0 || p == NULL || p[0] != (d->type == GALE_LIST ?
            GALE_TAG_LIST : GALE_TAG_MAP))
            return 0;
        if (gale_value_scan(p, p + d->u.s.len, &next, NULL) != 0 ||
            next != p + d->u.s.len)
            return 0;
        return d->u.s.len;
    }
    return 0;
}

/* Writes d (already sized by datum_size) at p; returns the byte after. */
static uint8_t *
datum_put(uint8_t *p, const gale_datum_t *d)
{
    uint64_t u;
    int i;

    switch (d->type) {
    case GALE_NULL:
        *p++ = GALE_TAG_NULL;
        break;
    case GALE_BOOL:
        *p++ = d->u.b ? GALE_TAG_TRUE : GALE_TAG_FALSE;
        break;
    case GALE_INT:
        *p++ = GALE_TAG_INT;
        p = gale_varint_put(p, gale_zigzag(d->u.i));
        break;
    case GALE_DOUBLE:
        *p++ = GALE_TAG_DOUBLE;
        memcpy(&u, &d->u.d, sizeof u);
        for (i = 0; i < 8; i++, u >>= 8)
            *p++ = (uint8_t)u;
        break;
    case GALE_STRING:
    case GALE_BYTES:
        *p++ = d->type == GALE_STRING ? GALE_TAG_STRING : GALE_TAG_BYTES;
        p = gale_varint_put(p, d->u.s.len);
        if (d->u.s.len != 0)
            memcpy(p, d->u.s.ptr, d->u.s.len);
        p += d->u.s.len;
        break;
    case GALE_LIST:
    case GALE_MAP:
        memcpy(p, d->u.s.ptr, d->u.s.len);
        p += d->u.s.len;
        break;
    }
    return p;
}

size_t
gale_record_size(unsigned stream, int keygroup, uint64_t weight,
    const gale_datum_t *vals, size_t n, size_t *bodyp)
{
    uint64_t kg1 = (uint64_t)((int64_t)keygroup + 1);
    size_t body, sz, i;

    if (keygroup < -1)
        return 0;
    body = gale_varint_size(stream) + gale_varint_size(kg1) +
        gale_varint_size(n) + (weight != 0 ? gale_varint_size(weight) : 0);
    for (i = 0; i < n; i++) {
        if ((sz = datum_size(&vals[i])) == 0)
            return 0;
        body += sz;
    }
    *bodyp = body;
    return gale_varint_size(body) + body;
}

size_t
gale_record_write(uint8_t *out, size_t body, unsigned stream, int keygroup,
    uint64_t weight, const gale_datum_t *vals, size_t n)
{
    uint8_t *p = out;
    size_t i;

    p = gale_varint_put(p, body);
    p = gale_varint_put(p, stream);
    p = gale_varint_put(p, (uint64_t)((int64_t)keygroup + 1));
    if (weight != 0)
        p = gale_varint_put(p, weight);
    p = gale_varint_put(p, n);
    for (i = 0; i < n; i++)
        p = datum_put(p, &vals[i]);
    return (size_t)(p - out);
}

/* Copies n (<= 16) bytes with fixed-size moves, overlapping, and no load
 * or store past either end. */
static inline void
copy_short(uint8_t *dst, const uint8_t *src, size_t n)
{
    uint64_t a, b;
    uint32_t c, d;

    if (n >= 8) {
        memcpy(&a, src, 8);
        memcpy(&b, src + n - 8, 8);
        memcpy(dst, &a, 8);
        memcpy(dst + n - 8, &b, 8);
    } else if (n >= 4) {
        memcpy(&c, src, 4);
        memcpy(&d, src + n - 4, 4);
        memcpy(dst, &c, 4);
        memcpy(dst + n - 4, &d, 4);
    } else if (n > 0) {
        dst[0] = src[0];
        dst[n / 2] = src[n / 2];
        dst[n - 1] = src[n - 1];
    }
}

size_t
gale_record_put_small(uint8_t *out, size_t cap, unsigned stream,
    int keygroup, uint64_t weight, const gale_datum_t *vals, size_t n)
{
    /* The body starts after a one-byte length: at most 127 bytes. */
    uint8_t *p = out + 1, *end = out + (cap < 128 ? cap : 128);
    size_t i, len;
    uint64_t u;
    int k;

    if (keygroup < -1 || cap < 32 || n > 15)
        return 0;
    p = gale_varint_put(p, stream);
    p = gale_varint_put(p, (uint64_t)((int64_t)keygroup + 1));
    if (weight != 0)
        p = gale_varint_put(p, weight);
    *p++ = (uint8_t)n;
    if (p > end)
        return 0;
    for (i = 0; i < n; i++) {
        const gale_datum_t *d = &vals[i];

        switch (d->type) {
        case GALE_NULL:
        case GALE_BOOL:
            if (p + 1 > end)
                return 0;
            *p++ = d->type == GALE_NULL ? GALE_TAG_NULL :
                d->u.b ? GALE_TAG_TRUE : GALE_TAG_FALSE;
            break;
        case GALE_INT:
            u = gale_zigzag(d->u.i);
            if ((size_t)(end - p) < 1 + gale_varint_size(u))
                return 0;
            *p++ = GALE_TAG_INT;
            p = gale_varint_put(p, u);
            break;
        case GALE_DOUBLE:
            if (end - p < 9)
                return 0;
            *p++ = GALE_TAG_DOUBLE;
            memcpy(&u, &d->u.d, sizeof u);
            for (k = 0; k < 8; k++, u >>= 8)
                *p++ = (uint8_t)u;
            break;
        case GALE_STRING:
        case GALE_BYTES:
            len = d->u.s.len;
            if (len > 125 || (size_t)(end - p) < 2 + len)
                return 0;
            *p++ = d->type == GALE_STRING ? GALE_TAG_STRING : GALE_TAG_BYTES;
            *p++ = (uint8_t)len;
            if (len <= 16)
                copy_short(p, d->u.s.ptr, len);
            else
                memcpy(p, d->u.s.ptr, len);
            p += len;
            break;
        default:
            return 0;
        }
    }
    out[0] = (uint8_t)(p - out - 1);
    return (size_t)(p - out);
}

int
gale_record_encode(gale_buf_t *out, unsigned stream, int keygroup,
    const gale_datum_t *vals, size_t n)
{
    size_t body, sz = gale_record_size(stream, keygroup, 0, vals, n, &body);

    if (sz == 0)
        return -EINVAL;
    out->len += gale_record_write(gale_buf_reserve(out, sz), body, stream,
        keygroup, 0, vals, n);
    return 0;
}

/* Reads a varint: one-byte values inline, the rest bounds-checked. */
static inline int
get_varint(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
    if (*pp < end && **pp < 0x80) {
        *v = *(*pp)++;
        return 0;
    }
    return gale_varint_get(pp, end, v, NULL);
}

void
gale_batch_reader_init(gale_batch_reader_t *r, const void *frame,
    size_t len, const gale_frame_hdr_t *h)
{
    const uint8_t *base = frame;

    r->end = base + len;
    if (len < GALE_FRAME_HDR_SIZE || h->kind != GALE_FRAME_DATA) {
        r->p = r->end;
        r->left = 0;
        r->weighted = false;
        return;
    }
    r->p = base + GALE_FRAME_HDR_SIZE;
    r->left = h->count;
    r->weighted = (h->flags & GALE_FRAME_WEIGHTED) != 0;
}

int
gale_batch_next(gale_batch_reader_t *r, gale_record_t *rec)
{
    const uint8_t *p = r->p, *rend;
    uint64_t rlen, stream, kg1, nfields, weight = 1;

    if (r->left == 0)
        return r->p == r->end ? 0 : -EPROTO;
    if (get_varint(&p, r->end, &rlen) != 0 ||
        rlen > (uint64_t)(r->end - p))
        goto stop;
    rend = p + rlen;
    if (get_varint(&p, rend, &stream) != 0 || stream > UINT_MAX ||
        get_varint(&p, rend, &kg1) != 0 || kg1 > (uint64_t)INT_MAX + 1 ||
        (r->weighted && (get_varint(&p, rend, &weight) != 0 || weight == 0)) ||
        get_varint(&p, rend, &nfields) != 0 || nfields > UINT32_MAX)
        goto stop;
    rec->stream = (unsigned)stream;
    rec->keygroup = (int)((int64_t)kg1 - 1);
    rec->weight = weight;
    rec->nfields = (uint32_t)nfields;
    rec->data = p;
    rec->len = (size_t)(rend - p);
    r->p = rend;
    r->left--;
    return 1;
stop:
    r->p = r->end;
    r->left = 0;
    return -EPROTO;
}

int
gale_record_fields(const gale_record_t *rec, gale_datum_t *out, size_t cap)
{
    const uint8_t *p = rec->data, *end = rec->data + rec->len, *start;
    gale_datum_t *d;
    uint64_t u, n;
    uint32_t i;
    int k;

    if (rec->nfields > rec->len)
        return -EPROTO;             /* every field takes a byte at least */
    if (rec->nfields > cap)
        return -ENOSPC;
    if (rec->nfields > INT_MAX)
        return -EPROTO;
    for (i = 0; i < rec->nfields; i++) {
        d = &out[i];
        if (p >= end)
            return -EPROTO;
        start = p;
        switch (*p++) {
        case GALE_TAG_NULL:
            d->type = GALE_NULL;
            d->u.i = 0;
            break;
        case GALE_TAG_FALSE:
        case GALE_TAG_TRUE:
            d->type = GALE_BOOL;
            d->u.b = *start == GALE_TAG_TRUE;
            break;
        case GALE_TAG_INT:
            if (get_varint(&p, end, &u) != 0)
                return -EPROTO;
            d->type = GALE_INT;
            d->u.i = gale_unzigzag(u);
            break;
        case GALE_TAG_DOUBLE:
            if (end - p < 8)
                return -EPROTO;
            u = 0;
            for (k = 7; k >= 0; k--)
                u = (u << 8) | p[k];
            d->type = GALE_DOUBLE;
            memcpy(&d->u.d, &u, sizeof u);
            p += 8;
            break;
        case GALE_TAG_STRING:
        case GALE_TAG_BYTES:
            if (get_varint(&p, end, &n) != 0 || n > (uint64_t)(end - p))
                return -EPROTO;
            d->type = *start == GALE_TAG_STRING ? GALE_STRING : GALE_BYTES;
            d->u.s.ptr = p;
            d->u.s.len = (size_t)n;
            p += n;
            break;
        case GALE_TAG_LIST:
        case GALE_TAG_MAP:
            if (gale_value_scan(start, end, &p, NULL) != 0)
                return -EPROTO;
            d->type = *start == GALE_TAG_LIST ? GALE_LIST : GALE_MAP;
            d->u.s.ptr = start;
            d->u.s.len = (size_t)(p - start);
            break;
        default:
            return -EPROTO;
        }
    }
    if (p != end)
        return -EPROTO;             /* trailing bytes after the last field */
    return (int)rec->nfields;
}
