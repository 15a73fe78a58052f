/* prommerge.c - merges Prometheus texts by family (prommerge.h). */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/xalloc.h"
#include "engine/metrics/prommerge.h"

typedef struct family {
    char *name;                 /* owned */
    char *help;                 /* owned: the whole "# HELP" line, or NULL */
    char *type;                 /* owned: the whole "# TYPE" line, or NULL */
    gale_buf_t samples;         /* its sample lines, each with '\n' */
} family_t;

struct gale_prommerge {
    family_t *fams;             /* owned, in first-seen order */
    size_t n, cap;
};

gale_prommerge_t *
gale_prommerge_new(void)
{
    return xcalloc(1, sizeof(gale_prommerge_t));
}

void
gale_prommerge_destroy(gale_prommerge_t **mp)
{
    gale_prommerge_t *m;
    size_t i;

    if (mp == NULL || (m = *mp) == NULL)
        return;
    for (i = 0; i < m->n; i++) {
        free(m->fams[i].name);
        free(m->fams[i].help);
        free(m->fams[i].type);
        gale_buf_release(&m->fams[i].samples);
    }
    free(m->fams);
    free(m);
    *mp = NULL;
}

/* The index of the family called name (len bytes), created when new
 * (which may move m->fams). */
static size_t
family(gale_prommerge_t *m, const char *name, size_t len)
{
    size_t i;

    for (i = 0; i < m->n; i++)
        if (strlen(m->fams[i].name) == len &&
            memcmp(m->fams[i].name, name, len) == 0)
            return i;
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 32;
        m->fams = xreallocarray(m->fams, m->cap, sizeof *m->fams);
    }
    memset(&m->fams[m->n], 0, sizeof m->fams[0]);
    m->fams[m->n].name = xstrndup(name, len);
    gale_buf_init(&m->fams[m->n].samples, 256);
    return m->n++;
}

/* Whether c may be in a metric name. */
static bool
name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || c == '_' || c == ':';
}

/* Whether sample name s (len bytes) belongs to family f. */
static bool
belongs(const family_t *f, const char *s, size_t len)
{
    static const char *const sfx[] = { "", "_bucket", "_sum", "_count" };
    size_t fl = strlen(f->name), i, sl;

    if (len < fl || memcmp(s, f->name, fl) != 0)
        return false;
    for (i = 0; i < 4; i++) {
        sl = strlen(sfx[i]);
        if (len == fl + sl && memcmp(s + fl, sfx[i], sl) == 0)
            return true;
    }
    return false;
}

/* Whether p (len bytes, from just after the metric name) is a sample's
 * rest: an optional {labels} (quotes and escapes minded), a space, a
 * number (strtod's, which takes +Inf and NaN), then nothing or a space
 * and a timestamp. */
static bool
sample_rest(const char *p, size_t len)
{
    const char *end = p + len;
    char num[64], *e;
    bool quoted = false;
    size_t n;

    if (p < end && *p == '{') {
        for (p++; p < end; p++) {
            if (quoted && *p == '\\' && p + 1 < end)
                p++;
            else if (*p == '"')
                quoted = !quoted;
            else if (!quoted && *p == '}')
                break;
        }
        if (p == end)
            return false;
        p++;
    }
    if (p == end || *p != ' ')
        return false;
    p++;
    for (n = 0; p + n < end && p[n] != ' '; n++)
        ;
    if (n == 0 || n >= sizeof num)
        return false;
    memcpy(num, p, n);
    num[n] = '\0';
    (void)strtod(num, &e);
    return *e == '\0';
}

size_t
gale_prommerge_add(gale_prommerge_t *m, const char *text, size_t len)
{
    const char *p = text, *end = text + len, *nl, *q;
    size_t dropped = 0, ll, nlen, cur = (size_t)-1, f;
    char **slot;

    while (p < end) {
        nl = memchr(p, '\n', (size_t)(end - p));
        ll = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
        if (ll == 0)
            goto next;
        if (p[0] == '#') {
            /* "# HELP NAME ..." or "# TYPE NAME ...": its family's. */
            if (ll > 7 && (memcmp(p, "# HELP ", 7) == 0 ||
                memcmp(p, "# TYPE ", 7) == 0)) {
                for (q = p + 7; q < p + ll && name_char(*q); q++)
                    ;
                nlen = (size_t)(q - (p + 7));
                if (nlen == 0) {
                    dropped++;
                    goto next;
                }
                cur = family(m, p + 7, nlen);
                slot = p[2] == 'H' ? &m->fams[cur].help : &m->fams[cur].type;
                if (*slot == NULL)
                    *slot = xstrndup(p, ll);
            }
            goto next;
        }
        for (q = p; q < p + ll && name_char(*q); q++)
            ;
        nlen = (size_t)(q - p);
        if (nlen == 0 || !sample_rest(q, ll - nlen)) {
            dropped++;
            goto next;
        }
        if (cur != (size_t)-1 && belongs(&m->fams[cur], p, nlen))
            f = cur;
        else
            f = family(m, p, nlen);
        gale_buf_append(&m->fams[f].samples, p, ll);
        gale_buf_append_byte(&m->fams[f].samples, '\n');
next:
        p += ll + (nl != NULL);
    }
    return dropped;
}

char *
gale_prommerge_write(const gale_prommerge_t *m, size_t *len)
{
    gale_buf_t b;
    size_t i;
    char *out;

    gale_buf_init(&b, 4096);
    for (i = 0; i < m->n; i++) {
        const family_t *f = &m->fams[i];

        if (f->help != NULL) {
            gale_buf_append(&b, f->help, strlen(f->help));
            gale_buf_append_byte(&b, '\n');
        }
        if (f->type != NULL) {
            gale_buf_append(&b, f->type, strlen(f->type));
            gale_buf_append_byte(&b, '\n');
        }
        gale_buf_append(&b, f->samples.data, f->samples.len);
    }
    *len = b.len;
    out = xmalloc(b.len + 1);
    if (b.len > 0)
        memcpy(out, b.data, b.len);
    out[b.len] = '\0';
    gale_buf_release(&b);
    return out;
}
