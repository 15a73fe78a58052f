/* linefmt.c - the line format of the sinks (linefmt.h). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bolts/linefmt.h"

int
gale_linebuf_add(gale_linebuf_t *b, const void *p, size_t n)
{
    size_t cap;
    char *np;

    if (b->len + n > b->cap) {
        for (cap = b->cap > 0 ? b->cap : 256; cap < b->len + n; cap *= 2)
            ;
        if ((np = realloc(b->ptr, cap)) == NULL)
            return -ENOMEM;
        b->ptr = np;
        b->cap = cap;
    }
    if (n > 0)
        memcpy(b->ptr + b->len, p, n);
    b->len += n;
    return 0;
}

void
gale_linebuf_release(gale_linebuf_t *b)
{
    free(b->ptr);
    b->ptr = NULL;
    b->len = b->cap = 0;
}

static int
add_str(gale_linebuf_t *b, const char *s)
{
    return gale_linebuf_add(b, s, strlen(s));
}

static int
add_hex(gale_linebuf_t *b, const unsigned char *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char two[2];
    size_t i;
    int rc;

    for (i = 0; i < n; i++) {
        two[0] = digits[p[i] >> 4];
        two[1] = digits[p[i] & 15];
        if ((rc = gale_linebuf_add(b, two, 2)) != 0)
            return rc;
    }
    return 0;
}

/* The shortest of %.15g and %.17g that reads back as the same double. */
static int
add_double(gale_linebuf_t *b, double x)
{
    char tmp[40];

    snprintf(tmp, sizeof tmp, "%.15g", x);
    if (strtod(tmp, NULL) != x)
        snprintf(tmp, sizeof tmp, "%.17g", x);
    return add_str(b, tmp);
}

static int
add_int(gale_linebuf_t *b, int64_t i)
{
    char tmp[24];

    snprintf(tmp, sizeof tmp, "%" PRId64, i);
    return add_str(b, tmp);
}

int
gale_linefmt_datum(gale_linebuf_t *b, const gale_datum_t *d)
{
    switch (d->type) {
    case GALE_NULL:
        return 0;
    case GALE_BOOL:
        return add_str(b, d->u.b ? "true" : "false");
    case GALE_INT:
        return add_int(b, d->u.i);
    case GALE_DOUBLE:
        return add_double(b, d->u.d);
    case GALE_STRING:
        return gale_linebuf_add(b, d->u.s.ptr, d->u.s.len);
    case GALE_BYTES:
        return add_hex(b, d->u.s.ptr, d->u.s.len);
    default:
        return -EINVAL;
    }
}

/* A JSON string literal of s[0, n). */
static int
add_json_string(gale_linebuf_t *b, const char *s, size_t n)
{
    char esc[8];
    size_t i, run = 0;
    int rc = 0;
    unsigned char c;

    if ((rc = gale_linebuf_add(b, "\"", 1)) != 0)
        return rc;
    for (i = 0; i < n; i++) {
        c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if ((rc = gale_linebuf_add(b, s + run, i - run)) != 0)
            return rc;
        run = i + 1;
        switch (c) {
        case '"': rc = add_str(b, "\\\""); break;
        case '\\': rc = add_str(b, "\\\\"); break;
        case '\n': rc = add_str(b, "\\n"); break;
        case '\t': rc = add_str(b, "\\t"); break;
        case '\r': rc = add_str(b, "\\r"); break;
        default:
            snprintf(esc, sizeof esc, "\\u%04x", c);
            rc = add_str(b, esc);
            break;
        }
        if (rc != 0)
            return rc;
    }
    if ((rc = gale_linebuf_add(b, s + run, n - run)) != 0)
        return rc;
    return gale_linebuf_add(b, "\"", 1);
}

int
gale_linefmt_json(gale_linebuf_t *b, const gale_value_t *v)
{
    size_t i;
    int rc = 0;

    switch (v->type) {
    case GALE_NULL:
        return add_str(b, "null");
    case GALE_BOOL:
        return add_str(b, v->u.b ? "true" : "false");
    case GALE_INT:
        return add_int(b, v->u.i);
    case GALE_DOUBLE:
        return isfinite(v->u.d) ? add_double(b, v->u.d) : add_str(b, "null");
    case GALE_STRING:
        return add_json_string(b, v->u.s.ptr, v->u.s.len);
    case GALE_BYTES:
        if ((rc = gale_linebuf_add(b, "\"", 1)) != 0 ||
            (rc = add_hex(b, (const unsigned char *)v->u.s.ptr,
                v->u.s.len)) != 0)
            return rc;
        return gale_linebuf_add(b, "\"", 1);
    case GALE_LIST:
        if ((rc = gale_linebuf_add(b, "[", 1)) != 0)
            return rc;
        for (i = 0; i < v->u.list.len; i++)
            if ((i > 0 && (rc = gale_linebuf_add(b, ",", 1)) != 0) ||
                (rc = gale_linefmt_json(b, v->u.list.items[i])) != 0)
                return rc;
        return gale_linebuf_add(b, "]", 1);
    case GALE_MAP:
        if ((rc = gale_linebuf_add(b, "{", 1)) != 0)
            return rc;
        for (i = 0; i < v->u.map.len; i++)
            if ((i > 0 && (rc = gale_linebuf_add(b, ",", 1)) != 0) ||
                (rc = add_json_string(b, v->u.map.keys[i],
                    strlen(v->u.map.keys[i]))) != 0 ||
                (rc = gale_linebuf_add(b, ":", 1)) != 0 ||
                (rc = gale_linefmt_json(b, v->u.map.vals[i])) != 0)
                return rc;
        return gale_linebuf_add(b, "}", 1);
    }
    return -EINVAL;
}

/* Lists and maps go through an owned tree (gale_tuple_value): rare in
 * sinks, and the tree is what JSON is written from. */
int
gale_linefmt_field(gale_linebuf_t *b, const gale_tuple_t *t, size_t i)
{
    gale_value_t *v;
    gale_datum_t d;
    int rc;

    if ((rc = gale_tuple_get(t, i, &d)) != 0)
        return rc;
    if (d.type != GALE_LIST && d.type != GALE_MAP)
        return gale_linefmt_datum(b, &d);
    if ((v = gale_tuple_value(t, i)) == NULL)
        return -EINVAL;
    rc = gale_linefmt_json(b, v);
    gale_value_destroy(&v);
    return rc;
}

int
gale_linefmt_tuple(gale_linebuf_t *b, const gale_tuple_t *t, const char *sep)
{
    size_t i, n = gale_tuple_size(t);
    int rc;

    for (i = 0; i < n; i++)
        if ((i > 0 && (rc = add_str(b, sep)) != 0) ||
            (rc = gale_linefmt_field(b, t, i)) != 0)
            return rc;
    return 0;
}
