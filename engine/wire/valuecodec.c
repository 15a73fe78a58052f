/* valuecodec.c - the wire encoding of one typed value (docs/wire.md). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "engine/wire/valuecodec.h"

/* Fills err and returns -EPROTO; errors are rare, so formatting is fine. */
static int __attribute__((format(printf, 3, 4)))
wire_fail(gale_wire_err_t *err, const uint8_t *at, const char *fmt, ...)
{
    va_list ap;

    if (err != NULL) {
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->at = at;
    }
    return -EPROTO;
}

/* Reads the 8 little-endian bytes of a double. */
static double
get_double(const uint8_t *p)
{
    uint64_t u = 0;
    double d;
    int i;

    for (i = 7; i >= 0; i--)
        u = (u << 8) | p[i];
    memcpy(&d, &u, sizeof d);
    return d;
}

/* Writes d as 8 little-endian bytes at p. */
static void
put_double(uint8_t *p, double d)
{
    uint64_t u;
    int i;

    memcpy(&u, &d, sizeof u);
    for (i = 0; i < 8; i++, u >>= 8)
        p[i] = (uint8_t)u;
}

/* The slow path of varint decoding: every byte is bounds-checked, and the
 * encoding must be the shortest one for its value. */
int
gale_varint_get(const uint8_t **pp, const uint8_t *end, uint64_t *v,
    gale_wire_err_t *err)
{
    const uint8_t *p = *pp;
    uint64_t x = 0;
    size_t i;
    uint8_t c;

    if (p < end && *p < 0x80) {
        *v = *p;
        *pp = p + 1;
        return 0;
    }
    for (i = 0; i < GALE_VARINT_MAX; i++) {
        if ((size_t)(end - p) <= i)
            return wire_fail(err, p, "truncated varint");
        c = p[i];
        if (i == GALE_VARINT_MAX - 1 && c > 1)
            return wire_fail(err, p, "varint longer than 64 bits");
        x |= (uint64_t)(c & 0x7f) << (7 * i);
        if ((c & 0x80) == 0) {
            if (c == 0 && i > 0)
                return wire_fail(err, p, "overlong varint");
            *v = x;
            *pp = p + i + 1;
            return 0;
        }
    }
    return wire_fail(err, p, "varint longer than 64 bits");
}

/* gale_value_scan at nesting depth 'depth' (the number of lists and maps
 * around the value). Recursion is bounded by GALE_WIRE_MAX_DEPTH. */
static int
scan(const uint8_t *p, const uint8_t *end, int depth, const uint8_t **next,
    gale_wire_err_t *err)
{
    const uint8_t *tagp = p, *lenp;
    uint64_t n, i, klen;
    int rc;

    if (p >= end)
        return wire_fail(err, p, "value truncated (no tag byte)");
    switch (*p++) {
    case GALE_TAG_NULL:
    case GALE_TAG_FALSE:
    case GALE_TAG_TRUE:
        break;
    case GALE_TAG_INT:
        if ((rc = gale_varint_get(&p, end, &n, err)) != 0)
            return rc;
        break;
    case GALE_TAG_DOUBLE:
        if (end - p < 8)
            return wire_fail(err, tagp, "double truncated (%zu of 8 bytes)",
                (size_t)(end - p));
        p += 8;
        break;
    case GALE_TAG_STRING:
    case GALE_TAG_BYTES:
        lenp = p;
        if ((rc = gale_varint_get(&p, end, &n, err)) != 0)
            return rc;
        if (n > (uint64_t)(end - p))
            return wire_fail(err, lenp, "%s length %llu past end",
                *tagp == GALE_TAG_STRING ? "string" : "bytes",
                (unsigned long long)n);
        p += n;
        break;
    case GALE_TAG_LIST:
        if (depth >= GALE_WIRE_MAX_DEPTH)
            return wire_fail(err, tagp, "lists and maps nested deeper than %d",
                GALE_WIRE_MAX_DEPTH);
        lenp = p;
        if ((rc = gale_varint_get(&p, end, &n, err)) != 0)
            return rc;
        if (n > (uint64_t)(end - p))
            return wire_fail(err, lenp, "list of %llu items past end",
                (unsigned long long)n);
        for (i = 0; i < n; i++) {
            if ((rc = scan(p, end, depth + 1, &p, err)) != 0)
                return rc;
        }
        break;
    case GALE_TAG_MAP:
        if (depth >= GALE_WIRE_MAX_DEPTH)
            return wire_fail(err, tagp, "lists and maps nested deeper than %d",
                GALE_WIRE_MAX_DEPTH);
        lenp = p;
        if ((rc = gale_varint_get(&p, end, &n, err)) != 0)
            return rc;
        if (n > (uint64_t)(end - p) / 2)
            return wire_fail(err, lenp, "map of %llu entries past end",
                (unsigned long long)n);
        for (i = 0; i < n; i++) {
            lenp = p;
            if ((rc = gale_varint_get(&p, end, &klen, err)) != 0)
                return rc;
            if (klen > (uint64_t)(end - p))
                return wire_fail(err, lenp, "map key length %llu past end",
                    (unsigned long long)klen);
            if (memchr(p, 0, klen) != NULL)
                return wire_fail(err, lenp, "map key contains a NUL byte");
            p += klen;
            if ((rc = scan(p, end, depth + 1, &p, err)) != 0)
                return rc;
        }
        break;
    default:
        return wire_fail(err, tagp, "bad tag %u", *tagp);
    }
    *next = p;
    return 0;
}

int
gale_value_scan(const uint8_t *p, const uint8_t *end, const uint8_t **next,
    gale_wire_err_t *err)
{
    return scan(p, end, 0, next, err);
}

/* Appends a varint to out. */
static void
buf_put_varint(gale_buf_t *out, uint64_t v)
{
    uint8_t *p = gale_buf_reserve(out, GALE_VARINT_MAX);

    out->len += (size_t)(gale_varint_put(p, v) - p);
}

void
gale_value_encode(const gale_value_t *v, gale_buf_t *out)
{
    size_t i, klen;

    switch (v->type) {
    case GALE_NULL:
        gale_buf_append_byte(out, GALE_TAG_NULL);
        break;
    case GALE_BOOL:
        gale_buf_append_byte(out, v->u.b ? GALE_TAG_TRUE : GALE_TAG_FALSE);
        break;
    case GALE_INT:
        gale_buf_append_byte(out, GALE_TAG_INT);
        buf_put_varint(out, gale_zigzag(v->u.i));
        break;
    case GALE_DOUBLE:
        gale_buf_append_byte(out, GALE_TAG_DOUBLE);
        put_double(gale_buf_reserve(out, 8), v->u.d);
        out->len += 8;
        break;
    case GALE_STRING:
    case GALE_BYTES:
        gale_buf_append_byte(out,
            v->type == GALE_STRING ? GALE_TAG_STRING : GALE_TAG_BYTES);
        buf_put_varint(out, v->u.s.len);
        gale_buf_append(out, v->u.s.ptr, v->u.s.len);
        break;
    case GALE_LIST:
        gale_buf_append_byte(out, GALE_TAG_LIST);
        buf_put_varint(out, v->u.list.len);
        for (i = 0; i < v->u.list.len; i++)
            gale_value_encode(v->u.list.items[i], out);
        break;
    case GALE_MAP:
        gale_buf_append_byte(out, GALE_TAG_MAP);
        buf_put_varint(out, v->u.map.len);
        for (i = 0; i < v->u.map.len; i++) {
            klen = strlen(v->u.map.keys[i]);
            buf_put_varint(out, klen);
            gale_buf_append(out, v->u.map.keys[i], klen);
            gale_value_encode(v->u.map.vals[i], out);
        }
        break;
    }
}

/* Builds the tree of one value at *pp that gale_value_scan accepted, and
 * advances *pp past it. Caller owns the result. */
static gale_value_t *
build(const uint8_t **pp, const uint8_t *end)
{
    const uint8_t *p = *pp;
    gale_value_t *v = NULL;
    uint64_t n, i, klen;
    char small[64], *key;
    uint8_t tag = *p++;

    switch (tag) {
    case GALE_TAG_NULL:
        v = gale_value_null();
        break;
    case GALE_TAG_FALSE:
    case GALE_TAG_TRUE:
        v = gale_value_bool(tag == GALE_TAG_TRUE);
        break;
    case GALE_TAG_INT:
        (void)gale_varint_get(&p, end, &n, NULL);
        v = gale_value_int(gale_unzigzag(n));
        break;
    case GALE_TAG_DOUBLE:
        v = gale_value_double(get_double(p));
        p += 8;
        break;
    case GALE_TAG_STRING:
    case GALE_TAG_BYTES:
        (void)gale_varint_get(&p, end, &n, NULL);
        if (tag == GALE_TAG_STRING)
            v = gale_value_string(n != 0 ? (const char *)p : "", n);
        else
            v = gale_value_bytes(n != 0 ? p : (const void *)"", n);
        p += n;
        break;
    case GALE_TAG_LIST:
        (void)gale_varint_get(&p, end, &n, NULL);
        v = gale_value_list();
        for (i = 0; i < n; i++)
            gale_value_list_append(v, build(&p, end));
        break;
    case GALE_TAG_MAP:
        (void)gale_varint_get(&p, end, &n, NULL);
        v = gale_value_map();
        for (i = 0; i < n; i++) {
            (void)gale_varint_get(&p, end, &klen, NULL);
            key = klen < sizeof small ? small : xmalloc(klen + 1);
            memcpy(key, p, klen);
            key[klen] = '\0';
            p += klen;
            gale_value_map_set(v, key, build(&p, end));
            if (key != small)
                free(key);
        }
        break;
    }
    *pp = p;
    return v;
}

int
gale_value_decode(const void *p, size_t len, gale_value_t **out)
{
    const uint8_t *start = p, *end = start + len, *next = NULL;

    *out = NULL;
    if (gale_value_scan(start, end, &next, NULL) != 0 || next != end)
        return -EPROTO;
    *out = build(&start, end);
    return 0;
}

gale_value_t *
gale_datum_to_value(const gale_datum_t *d)
{
    gale_value_t *v = NULL;
    const uint8_t *p;

    switch (d->type) {
    case GALE_NULL:
        return gale_value_null();
    case GALE_BOOL:
        return gale_value_bool(d->u.b);
    case GALE_INT:
        return gale_value_int(d->u.i);
    case GALE_DOUBLE:
        return gale_value_double(d->u.d);
    case GALE_STRING:
        return gale_value_string(d->u.s.len != 0 ? d->u.s.ptr : "",
            d->u.s.len);
    case GALE_BYTES:
        return gale_value_bytes(d->u.s.len != 0 ? d->u.s.ptr : "",
            d->u.s.len);
    case GALE_LIST:
    case GALE_MAP:
        p = d->u.s.ptr;
        if (d->u.s.len == 0 || p[0] != (d->type == GALE_LIST ?
            GALE_TAG_LIST : GALE_TAG_MAP))
            return NULL;
        if (gale_value_decode(p, d->u.s.len, &v) != 0)
            return NULL;
        return v;
    }
    return NULL;
}

void
gale_value_to_datum_buf(const gale_value_t *v, gale_buf_t *scratch,
    gale_datum_t *d)
{
    size_t off;

    d->type = v->type;
    switch (v->type) {
    case GALE_NULL:
        d->u.i = 0;
        break;
    case GALE_BOOL:
        d->u.b = v->u.b;
        break;
    case GALE_INT:
        d->u.i = v->u.i;
        break;
    case GALE_DOUBLE:
        d->u.d = v->u.d;
        break;
    case GALE_STRING:
    case GALE_BYTES:
        d->u.s.ptr = v->u.s.ptr;
        d->u.s.len = v->u.s.len;
        break;
    case GALE_LIST:
    case GALE_MAP:
        off = scratch->len;
        gale_value_encode(v, scratch);
        d->u.s.ptr = scratch->data + off;
        d->u.s.len = scratch->len - off;
        break;
    }
}

void
gale_value_to_datum(const gale_value_t *v, gale_datum_t *d, void **block)
{
    gale_buf_t b;

    *block = NULL;
    if (v->type != GALE_LIST && v->type != GALE_MAP) {
        gale_value_to_datum_buf(v, NULL, d);
        return;
    }
    gale_buf_init(&b, 0);
    gale_value_to_datum_buf(v, &b, d);
    *block = b.data;            /* *d points into it; the caller frees */
}
