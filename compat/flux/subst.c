/* subst.c - ${...} substitution in Flux YAML text (subst.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "compat/flux/subst.h"

/* A growing output buffer. */
typedef struct out {
    char *p;                        /* owned, NUL-terminated */
    size_t len;                     /* bytes used */
    size_t cap;                     /* bytes allocated */
} out_t;

/* Appends n bytes of s. */
static void
out_add(out_t *o, const char *s, size_t n)
{
    if (o->len + n + 1 > o->cap) {
        while (o->len + n + 1 > o->cap)
            o->cap = o->cap == 0 ? 1024 : o->cap * 2;
        o->p = xrealloc(o->p, o->cap);
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

/* Element idx of a list-valued property `["a", "b"]` (brackets optional),
 * with blanks and one pair of quotes around it removed, as a new string;
 * NULL when the list has no such element. */
static char *
list_element(const char *val, unsigned long idx)
{
    const char *p = val, *end = val + strlen(val), *start, *stop;
    unsigned long i = 0;

    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if (p < end && *p == '[' && end[-1] == ']') {
        p++;
        end--;
    }
    for (;;) {
        stop = memchr(p, ',', (size_t)(end - p));
        if (stop == NULL)
            stop = end;
        if (i == idx) {
            start = p;
            while (start < stop && (*start == ' ' || *start == '\t'))
                start++;
            while (stop > start && (stop[-1] == ' ' || stop[-1] == '\t'))
                stop--;
            if (stop - start >= 2 && (*start == '"' || *start == '\'') &&
                stop[-1] == *start) {
                start++;
                stop--;
            }
            return xstrndup(start, (size_t)(stop - start));
        }
        if (stop == end)
            return NULL;
        p = stop + 1;
        i++;
    }
}

/* Resolves the name inside ${...} (n bytes at name). Returns a new
 * string, or NULL after reporting why at file:line. */
static char *
resolve(const char *file, int line, const char *name, size_t n,
    const gale_props_t *props, const char *props_path, gale_diag_t *diag)
{
    char *key = xstrndup(name, n), *br, *end, *val = NULL;
    const char *v;
    unsigned long idx = 0;
    size_t kn;
    bool indexed = false;

    if (strncmp(key, "ENV-", 4) == 0) {
        if ((v = getenv(key + 4)) == NULL)
            gale_diag_add(diag, file, line, "${%s} is not defined "
                "(environment variable %s is not set)", key, key + 4);
        else
            val = xstrdup(v);
        goto out;
    }
    /* key may be shorter than n (a NUL byte inside ${...}): its length
     * is what bounds it. */
    kn = strlen(key);
    if ((br = strchr(key, '[')) != NULL && kn > 0 && key[kn - 1] == ']' &&
        br[1] >= '0' && br[1] <= '9') {
        idx = strtoul(br + 1, &end, 10);
        if (end == key + kn - 1) {
            indexed = true;
            *br = '\0';
        }
    }
    if (props == NULL) {
        gale_diag_add(diag, file, line, "${%.*s} is not defined (no "
            "--properties file given)", (int)n, name);
        goto out;
    }
    if ((v = gale_props_get(props, key)) == NULL) {
        gale_diag_add(diag, file, line, "${%.*s} is not defined (no "
            "property %s in %s)", (int)n, name, key, props_path);
        goto out;
    }
    if (!indexed)
        val = xstrdup(v);
    else if ((val = list_element(v, idx)) == NULL)
        gale_diag_add(diag, file, line, "${%.*s} is not defined (property "
            "%s has no element %lu)", (int)n, name, key, idx);
out:
    if (val != NULL && strpbrk(val, "\r\n") != NULL) {
        gale_diag_add(diag, file, line, "${%.*s}: its value contains a "
            "line break", (int)n, name);
        free(val);
        val = NULL;
    }
    free(key);
    return val;
}

/* Where the YAML comment of the line [p, nl) starts, or nl. Quotes are
 * followed within the line only (a heuristic: Flux does no better, it
 * substitutes comments too). */
static const char *
comment_start(const char *p, const char *nl)
{
    const char *s;
    char quote = 0;

    for (s = p; s < nl; s++) {
        if (quote != 0) {
            if (*s == quote)
                quote = 0;
            else if (*s == '\\' && quote == '"' && s + 1 < nl)
                s++;
        } else if (*s == '\'' || *s == '"')
            quote = *s;
        else if (*s == '#' && (s == p || s[-1] == ' ' || s[-1] == '\t'))
            return s;
    }
    return nl;
}

char *
gale_flux_subst(const char *file, const char *text, size_t len,
    const gale_props_t *props, const char *props_path, gale_diag_t *diag,
    size_t *outlen)
{
    out_t o = { NULL, 0, 0 };
    const char *p = text, *end = text + len, *q, *close, *nl, *cend;
    size_t before = gale_diag_count(diag);
    char *val;
    int line = 1;

    out_add(&o, "", 0);
    while (p < end) {
        nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            nl = end;
        /* one line: [p, nl); a YAML comment (a '#' outside quotes, at
         * the start or after a blank) is copied as it is */
        cend = comment_start(p, nl);
        while (p < cend) {
            q = memchr(p, '$', (size_t)(cend - p));
            if (q == NULL || q + 1 >= cend || q[1] != '{' ||
                (close = memchr(q + 2, '}', (size_t)(cend - q - 2))) == NULL) {
                q = q == NULL ? cend : q + 1;
                out_add(&o, p, (size_t)(q - p));
                p = q;
                continue;
            }
            out_add(&o, p, (size_t)(q - p));
            val = resolve(file, line, q + 2, (size_t)(close - q - 2), props,
                props_path, diag);
            if (val != NULL)
                out_add(&o, val, strlen(val));
            free(val);
            p = close + 1;
        }
        out_add(&o, cend, (size_t)(nl - cend));
        if (nl < end)
            out_add(&o, "\n", 1);
        p = nl + 1;
        line++;
    }
    if (gale_diag_count(diag) != before) {
        free(o.p);
        return NULL;
    }
    *outlen = o.len;
    return o.p;
}
