/* mlproto.c - multilang framing and JSON conversions (mlproto.h). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "compat/multilang/mlproto.h"

struct gale_mlreader {
    char *buf;                  /* owned: bytes not consumed yet */
    size_t len;                 /* bytes in buf */
    size_t cap;                 /* allocated */
    size_t scan;                /* bytes of buf already split into lines */
    size_t max_msg;             /* longest message accepted */
    bool failed;                /* an error was returned */
};

gale_mlreader_t *
gale_mlreader_new(size_t max_msg)
{
    gale_mlreader_t *r = xcalloc(1, sizeof *r);

    r->max_msg = max_msg;
    return r;
}

void
gale_mlreader_destroy(gale_mlreader_t **rp)
{
    if (rp == NULL || *rp == NULL)
        return;
    free((*rp)->buf);
    free(*rp);
    *rp = NULL;
}

void
gale_mlreader_feed(gale_mlreader_t *r, const void *p, size_t len)
{
    if (len == 0)
        return;
    if (r->len + len > r->cap) {
        r->cap = r->cap ? r->cap : 4096;
        while (r->cap < r->len + len)
            r->cap *= 2;
        r->buf = xrealloc(r->buf, r->cap);
    }
    memcpy(r->buf + r->len, p, len);
    r->len += len;
}

size_t
gale_mlreader_pending(const gale_mlreader_t *r)
{
    return r->len;
}

/* Drops the first n bytes of the buffer. */
static void
consume(gale_mlreader_t *r, size_t n)
{
    memmove(r->buf, r->buf + n, r->len - n);
    r->len -= n;
    r->scan = 0;
}

/* Fails the reader with a message quoting the n bytes at p. */
static int
refuse(gale_mlreader_t *r, int rc, const char *why, const char *p, size_t n,
    char **cause)
{
    char *ex = gale_mlproto_excerpt(p, n, 200);

    r->failed = true;
    xasprintf(cause, "%s: \"%s\"", why, ex);
    free(ex);
    return rc;
}

int
gale_mlreader_next(gale_mlreader_t *r, json_t **msg, char **cause)
{
    json_error_t jerr;
    size_t i, ls, start;
    char *nl;
    json_t *j;

    *msg = NULL;
    if (r->failed)
        return refuse(r, -EBADMSG, "the stream already failed", "", 0, cause);
    /* A message is an object: its first non-blank byte must be '{'. This
     * catches a stray print() at once instead of at the timeout. */
    for (start = 0; start < r->len && strchr(" \t\r\n", r->buf[start]) &&
        r->buf[start] != '\0'; start++)
        ;
    if (start < r->len && r->buf[start] != '{') {
        nl = memchr(r->buf + start, '\n', r->len - start);
        if (nl == NULL && r->len - start < 200)
            return 0;       /* wait for the whole line, to quote it */
        return refuse(r, -EBADMSG, "not a multilang message (a JSON object "
            "and a line `end`)", r->buf + start,
            nl != NULL ? (size_t)(nl - (r->buf + start)) : r->len - start,
            cause);
    }
    for (;;) {
        ls = r->scan;
        nl = memchr(r->buf + ls, '\n', r->len - ls);
        if (nl == NULL)
            break;
        i = (size_t)(nl - r->buf);
        r->scan = i + 1;
        if (!((i - ls == 3 && memcmp(r->buf + ls, "end", 3) == 0) ||
            (i - ls == 4 && memcmp(r->buf + ls, "end\r", 4) == 0)))
            continue;
        /* The document is everything before this line. */
        j = json_loadb(r->buf, ls, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
        if (j == NULL || !json_is_object(j)) {
            char why[256];

            if (j == NULL)
                snprintf(why, sizeof why, "malformed JSON (%s, at byte %d)",
                    jerr.text, jerr.position);
            else
                snprintf(why, sizeof why, "a JSON %s, not an object",
                    json_is_array(j) ? "array" : "scalar");
            json_decref(j);
            return refuse(r, -EBADMSG, why, r->buf, ls > 0 &&
                r->buf[ls - 1] == '\n' ? ls - 1 : ls, cause);
        }
        consume(r, r->scan);
        *msg = j;
        return 1;
    }
    if (r->len > r->max_msg)
        return refuse(r, -EMSGSIZE, "no line `end` within the message size "
            "limit", r->buf, r->len, cause);
    return 0;
}

int
gale_mlproto_frame(const json_t *msg, gale_buf_t *out)
{
    size_t n = json_dumpb(msg, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
    uint8_t *p;

    if (n == 0)
        return -EINVAL;
    p = gale_buf_reserve(out, n + 5);
    if (json_dumpb(msg, (char *)p, n, JSON_COMPACT | JSON_ENCODE_ANY) != n)
        return -EINVAL;
    memcpy(p + n, "\nend\n", 5);
    out->len += n + 5;
    return 0;
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0. */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
    size_t k, i;
    unsigned c = p[0], cp;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        k = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        k = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        k = 4, cp = c & 0x07;
    else
        return 0;
    if (n < k)
        return 0;
    for (i = 1; i < k; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((k == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (k == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return k;
}

/* A JSON string of n bytes at p, bad UTF-8 replaced by U+FFFD. */
static json_t *
string_json(const char *p, size_t n)
{
    json_t *j = json_stringn(p, n);
    gale_buf_t b;
    size_t i, k;

    if (j != NULL)
        return j;
    gale_buf_init(&b, n + 16);
    for (i = 0; i < n; i += k) {
        if ((k = utf8_seq((const unsigned char *)p + i, n - i)) == 0) {
            gale_buf_append(&b, "\xef\xbf\xbd", 3);
            k = 1;
        } else {
            gale_buf_append(&b, p + i, k);
        }
    }
    j = json_stringn((const char *)b.data, b.len);
    gale_buf_release(&b);
    return j != NULL ? j : json_string("");
}

/* JSON for a double: null when it is not finite (JSON has no NaN). */
static json_t *
real_json(double d)
{
    return isfinite(d) ? json_real(d) : json_null();
}

/* An array of the n byte values at p. */
static json_t *
bytes_json(const void *p, size_t n)
{
    json_t *a = json_array();
    size_t i;

    for (i = 0; i < n; i++)
        json_array_append_new(a, json_integer(((const unsigned char *)p)[i]));
    return a;
}

json_t *
gale_mlproto_from_value(const gale_value_t *v)
{
    json_t *j, *k;
    size_t i;

    if (v == NULL)
        return json_null();
    switch (v->type) {
    case GALE_BOOL:
        return json_boolean(v->u.b);
    case GALE_INT:
        return json_integer(v->u.i);
    case GALE_DOUBLE:
        return real_json(v->u.d);
    case GALE_STRING:
        return string_json(v->u.s.ptr, v->u.s.len);
    case GALE_BYTES:
        return bytes_json(v->u.s.ptr, v->u.s.len);
    case GALE_LIST:
        j = json_array();
        for (i = 0; i < v->u.list.len; i++)
            json_array_append_new(j, gale_mlproto_from_value(v->u.list.items[i]));
        return j;
    case GALE_MAP:
        j = json_object();
        for (i = 0; i < v->u.map.len; i++) {
            k = string_json(v->u.map.keys[i], strlen(v->u.map.keys[i]));
            json_object_set_new(j, json_string_value(k),
                gale_mlproto_from_value(v->u.map.vals[i]));
            json_decref(k);
        }
        return j;
    case GALE_NULL:
    default:
        return json_null();
    }
}

json_t *
gale_mlproto_from_datum(const gale_datum_t *d)
{
    gale_value_t *v;
    json_t *j;

    switch (d->type) {
    case GALE_NULL:
        return json_null();
    case GALE_BOOL:
        return json_boolean(d->u.b);
    case GALE_INT:
        return json_integer(d->u.i);
    case GALE_DOUBLE:
        return real_json(d->u.d);
    case GALE_STRING:
        return string_json(d->u.s.ptr, d->u.s.len);
    case GALE_BYTES:
        return bytes_json(d->u.s.ptr, d->u.s.len);
    default:
        if ((v = gale_datum_to_value(d)) == NULL)
            return NULL;
        j = gale_mlproto_from_value(v);
        gale_value_destroy(&v);
        return j;
    }
}

gale_value_t *
gale_mlproto_to_value(const json_t *j)
{
    gale_value_t *v;
    const char *key;
    json_t *item;
    size_t i;

    switch (json_typeof(j)) {
    case JSON_OBJECT:
        v = gale_value_map();
        json_object_foreach((json_t *)j, key, item)
            gale_value_map_set(v, key, gale_mlproto_to_value(item));
        return v;
    case JSON_ARRAY:
        v = gale_value_list();
        json_array_foreach(j, i, item)
            gale_value_list_append(v, gale_mlproto_to_value(item));
        return v;
    case JSON_STRING:
        return gale_value_string(json_string_value(j), json_string_length(j));
    case JSON_INTEGER:
        return gale_value_int((int64_t)json_integer_value(j));
    case JSON_REAL:
        return gale_value_double(json_real_value(j));
    case JSON_TRUE:
        return gale_value_bool(true);
    case JSON_FALSE:
        return gale_value_bool(false);
    case JSON_NULL:
    default:
        return gale_value_null();
    }
}

char *
gale_mlproto_excerpt(const char *p, size_t len, size_t max)
{
    gale_buf_t b;
    size_t i, k, n = len < max ? len : max;
    char esc[8];
    char *s;

    gale_buf_init(&b, n + 8);
    for (i = 0; i < n; i += k) {
        unsigned char c = (unsigned char)p[i];

        k = c >= 0x80 ? utf8_seq((const unsigned char *)p + i, n - i) : 1;
        if (c >= 0x80 && k > 0) {
            gale_buf_append(&b, p + i, k);          /* valid UTF-8 stays */
        } else if (c >= 0x20 && c < 0x7f && c != '\\') {
            gale_buf_append_byte(&b, c);
        } else {
            snprintf(esc, sizeof esc, "\\x%02x", c);
            gale_buf_append(&b, esc, 4);
            k = 1;
        }
    }
    if (n < len)
        gale_buf_append(&b, "...", 3);
    s = xstrndup((const char *)b.data, b.len);
    gale_buf_release(&b);
    return s;
}
