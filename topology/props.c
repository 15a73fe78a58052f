/* props.c - Java .properties reader (props.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "topology/props.h"

struct gale_props {
    char **keys;                    /* owned keys */
    char **vals;                    /* owned values, parallel to keys */
    size_t n;                       /* entries */
    size_t cap;                     /* allocated slots */
};

/* A growing byte buffer. */
typedef struct buf {
    char *p;                        /* owned bytes, NUL-terminated */
    size_t len;                     /* bytes used */
    size_t cap;                     /* allocated */
} buf_t;

/* Appends c, keeping the buffer NUL-terminated. */
static void
buf_add(buf_t *b, char c)
{
    if (b->len + 2 > b->cap) {
        b->cap = b->cap == 0 ? 32 : b->cap * 2;
        b->p = xrealloc(b->p, b->cap);
    }
    b->p[b->len++] = c;
    b->p[b->len] = '\0';
}

/* Appends code point cp as UTF-8. */
static void
buf_add_utf8(buf_t *b, unsigned cp)
{
    if (cp < 0x80)
        buf_add(b, (char)cp);
    else if (cp < 0x800) {
        buf_add(b, (char)(0xc0 | (cp >> 6)));
        buf_add(b, (char)(0x80 | (cp & 0x3f)));
    } else {
        buf_add(b, (char)(0xe0 | (cp >> 12)));
        buf_add(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
        buf_add(b, (char)(0x80 | (cp & 0x3f)));
    }
}

/* Sets key to val, taking ownership of both; a later key wins. */
static void
props_set(gale_props_t *props, char *key, char *val)
{
    size_t i;

    for (i = 0; i < props->n; i++) {
        if (strcmp(props->keys[i], key) == 0) {
            free(props->vals[i]);
            free(key);
            props->vals[i] = val;
            return;
        }
    }
    if (props->n == props->cap) {
        props->cap = props->cap == 0 ? 8 : props->cap * 2;
        props->keys = xreallocarray(props->keys, props->cap, sizeof(char *));
        props->vals = xreallocarray(props->vals, props->cap, sizeof(char *));
    }
    props->keys[props->n] = key;
    props->vals[props->n++] = val;
}

/* Joins continued lines and undoes escapes of the logical line that
 * starts at *pp, leaving *pp after it. Returns the raw characters in out
 * with escaped characters marked in esc (parallel flags). */
static void
logical_line(const char **pp, const char *end, buf_t *out, buf_t *esc)
{
    const char *p = *pp;
    unsigned cp;
    int k;
    char c;

    while (p < end && *p != '\n' && *p != '\r') {
        c = *p++;
        if (c != '\\') {
            buf_add(out, c);
            buf_add(esc, 0);
            continue;
        }
        if (p == end)
            break;
        c = *p++;
        if (c == '\n' || c == '\r') {
            /* Continuation: skip the line end and leading blanks. */
            if (c == '\r' && p < end && *p == '\n')
                p++;
            while (p < end && (*p == ' ' || *p == '\t' || *p == '\f'))
                p++;
            continue;
        }
        switch (c) {
        case 't': c = '\t'; break;
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 'f': c = '\f'; break;
        case 'u':
            cp = 0;
            for (k = 0; k < 4 && p < end; k++, p++) {
                if (*p >= '0' && *p <= '9') cp = cp * 16 + (unsigned)(*p - '0');
                else if (*p >= 'a' && *p <= 'f') cp = cp * 16 + (unsigned)(*p - 'a' + 10);
                else if (*p >= 'A' && *p <= 'F') cp = cp * 16 + (unsigned)(*p - 'A' + 10);
                else break;
            }
            if (cp == 0)
                cp = '?';
            buf_add_utf8(out, cp);
            while (esc->len < out->len)
                buf_add(esc, 1);
            continue;
        default: break;
        }
        buf_add(out, c);
        buf_add(esc, 1);
    }
    while (p < end && (*p == '\n' || *p == '\r'))
        p++;
    *pp = p;
}

gale_props_t *
gale_props_parse(const char *buf, size_t len)
{
    gale_props_t *props = xcalloc(1, sizeof(*props));
    const char *p = buf, *end = buf + len;
    buf_t line = { NULL, 0, 0 }, esc = { NULL, 0, 0 };
    size_t i, ks, ke, vs;

    while (p < end) {
        /* Leading blanks and comment lines are not part of the line. */
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\f'))
            p++;
        if (p < end && (*p == '#' || *p == '!')) {
            while (p < end && *p != '\n')
                p++;
            continue;
        }
        if (p < end && (*p == '\n' || *p == '\r')) {
            p++;
            continue;
        }
        line.len = esc.len = 0;
        logical_line(&p, end, &line, &esc);
        if (line.len == 0)
            continue;
        ks = 0;
        for (i = 0; i < line.len; i++) {
            if (esc.p[i] == 0 && (line.p[i] == '=' || line.p[i] == ':' ||
                line.p[i] == ' ' || line.p[i] == '\t' || line.p[i] == '\f'))
                break;
        }
        ke = i;
        while (i < line.len && esc.p[i] == 0 &&
            (line.p[i] == ' ' || line.p[i] == '\t' || line.p[i] == '\f'))
            i++;
        if (i < line.len && esc.p[i] == 0 &&
            (line.p[i] == '=' || line.p[i] == ':'))
            i++;
        while (i < line.len && esc.p[i] == 0 &&
            (line.p[i] == ' ' || line.p[i] == '\t' || line.p[i] == '\f'))
            i++;
        vs = i;
        props_set(props, xstrndup(line.p + ks, ke - ks),
            xstrndup(line.p + vs, line.len - vs));
    }
    free(line.p);
    free(esc.p);
    return props;
}

gale_props_t *
gale_props_load(const char *path, char **cause)
{
    gale_props_t *props = NULL;
    char *data = NULL;
    size_t len = 0, cap = 0, r;
    FILE *fp;

    errno = 0;
    if ((fp = fopen(path, "r")) == NULL)
        goto fail;
    for (;;) {
        if (cap - len < 4096) {
            cap = cap == 0 ? 8192 : cap * 2;
            data = xrealloc(data, cap);
        }
        r = fread(data + len, 1, cap - len, fp);
        len += r;
        if (r == 0)
            break;
    }
    if (ferror(fp)) {
        int saved = errno != 0 ? errno : EIO;

        fclose(fp);
        errno = saved;
        goto fail;
    }
    fclose(fp);
    props = gale_props_parse(data, len);
    free(data);
    return props;
fail:
    if (cause != NULL)
        xasprintf(cause, "%s: cannot open: %s", path, strerror(errno));
    free(data);
    return NULL;
}

void
gale_props_destroy(gale_props_t **pp)
{
    gale_props_t *props;
    size_t i;

    if (pp == NULL || (props = *pp) == NULL)
        return;
    for (i = 0; i < props->n; i++) {
        free(props->keys[i]);
        free(props->vals[i]);
    }
    free(props->keys);
    free(props->vals);
    free(props);
    *pp = NULL;
}

const char *
gale_props_get(const gale_props_t *props, const char *key)
{
    size_t i;

    if (props == NULL)
        return NULL;
    for (i = 0; i < props->n; i++)
        if (strcmp(props->keys[i], key) == 0)
            return props->vals[i];
    return NULL;
}

size_t
gale_props_count(const gale_props_t *props)
{
    return props == NULL ? 0 : props->n;
}
