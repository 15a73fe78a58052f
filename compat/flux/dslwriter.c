/* dslwriter.c - gale DSL text writer (dslwriter.h). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "compat/flux/dslwriter.h"

struct gale_dslw {
    char *p;                        /* owned text, NUL-terminated */
    size_t len;                     /* bytes used */
    size_t cap;                     /* bytes allocated */
};

gale_dslw_t *
gale_dslw_new(void)
{
    gale_dslw_t *w = xcalloc(1, sizeof(*w));

    w->cap = 1024;
    w->p = xmalloc(w->cap);
    w->p[0] = '\0';
    return w;
}

void
gale_dslw_destroy(gale_dslw_t **wp)
{
    if (wp == NULL || *wp == NULL)
        return;
    free((*wp)->p);
    free(*wp);
    *wp = NULL;
}

const char *
gale_dslw_text(const gale_dslw_t *w)
{
    return w->p;
}

size_t
gale_dslw_len(const gale_dslw_t *w)
{
    return w->len;
}

/* Appends n bytes of s. */
static void
add(gale_dslw_t *w, const char *s, size_t n)
{
    if (w->len + n + 1 > w->cap) {
        while (w->len + n + 1 > w->cap)
            w->cap *= 2;
        w->p = xrealloc(w->p, w->cap);
    }
    memcpy(w->p + w->len, s, n);
    w->len += n;
    w->p[w->len] = '\0';
}

void
gale_dslw_printf(gale_dslw_t *w, const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    xvasprintf(&s, fmt, ap);
    va_end(ap);
    add(w, s, strlen(s));
    free(s);
}

void
gale_dslw_string(gale_dslw_t *w, const char *s)
{
    char esc[8];
    unsigned char c;

    add(w, "\"", 1);
    for (; *s != '\0'; s++) {
        c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            add(w, esc, 2);
        } else if (c == '\n')
            add(w, "\\n", 2);
        else if (c == '\t')
            add(w, "\\t", 2);
        else if (c == '\r')
            add(w, "\\r", 2);
        else if (c == '\f')
            add(w, "\\f", 2);
        else if (c < 0x20 || c == 0x7f || (c == '$' && s[1] == '{')) {
            snprintf(esc, sizeof(esc), "\\x%02x", c);
            add(w, esc, 4);
        } else
            add(w, s, 1);
    }
    add(w, "\"", 1);
}

void
gale_dslw_strings(gale_dslw_t *w, char *const *s, size_t n)
{
    size_t i;

    add(w, "[", 1);
    for (i = 0; i < n; i++) {
        if (i > 0)
            add(w, ", ", 2);
        gale_dslw_string(w, s[i]);
    }
    add(w, "]", 1);
}

bool
gale_dslw_is_name(const char *s)
{
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '*'))
        return false;
    for (s++; *s != '\0'; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
            (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '*'))
            return false;
    return true;
}

/* true when every item of list v is a scalar of one type (an array). */
static bool
is_array(const gale_value_t *v)
{
    size_t i;
    gale_type_t t;

    if (v->u.list.len == 0)
        return true;
    t = v->u.list.items[0]->type;
    if (t != GALE_INT && t != GALE_DOUBLE && t != GALE_BOOL &&
        t != GALE_STRING)
        return false;
    for (i = 1; i < v->u.list.len; i++)
        if (v->u.list.items[i]->type != t)
            return false;
    return true;
}

int
gale_dslw_value(gale_dslw_t *w, const gale_value_t *v, char **cause)
{
    char num[64];
    size_t i;
    bool arr;

    switch (v->type) {
    case GALE_BOOL:
        gale_dslw_printf(w, "%s", v->u.b ? "true" : "false");
        return 0;
    case GALE_INT:
        gale_dslw_printf(w, "%" PRId64 "%s", v->u.i,
            v->u.i > INT32_MAX || v->u.i < INT32_MIN ? "L" : "");
        return 0;
    case GALE_DOUBLE:
        if (!isfinite(v->u.d)) {
            xasprintf(cause, "a non-finite number cannot be written in the "
                "DSL");
            return -EINVAL;
        }
        snprintf(num, sizeof(num), "%.17g", v->u.d);
        if (strtod(num, NULL) != v->u.d)
            abort();
        for (i = 15; i <= 17; i++) {    /* the shortest that reads back */
            snprintf(num, sizeof(num), "%.*g", (int)i, v->u.d);
            if (strtod(num, NULL) == v->u.d)
                break;
        }
        if (strpbrk(num, ".eE") == NULL)
            strcat(num, ".0");
        gale_dslw_printf(w, "%s", num);
        return 0;
    case GALE_STRING:
        if (memchr(v->u.s.ptr, '\0', v->u.s.len) != NULL) {
            xasprintf(cause, "a string with a NUL byte cannot be written in "
                "the DSL");
            return -EINVAL;
        }
        gale_dslw_string(w, v->u.s.ptr);
        return 0;
    case GALE_LIST:
        arr = is_array(v);
        add(w, arr ? "[" : "(", 1);
        for (i = 0; i < v->u.list.len; i++) {
            if (i > 0)
                add(w, ", ", 2);
            if (gale_dslw_value(w, v->u.list.items[i], cause) != 0)
                return -EINVAL;
        }
        add(w, arr ? "]" : ")", 1);
        return 0;
    case GALE_MAP:
        add(w, "{", 1);
        for (i = 0; i < v->u.map.len; i++) {
            if (!gale_dslw_is_name(v->u.map.keys[i])) {
                xasprintf(cause, "key `%s` is not a DSL setting name "
                    "(letters, digits, '_' and '-', starting with a letter)",
                    v->u.map.keys[i]);
                return -EINVAL;
            }
            gale_dslw_printf(w, " %s = ", v->u.map.keys[i]);
            if (gale_dslw_value(w, v->u.map.vals[i], cause) != 0)
                return -EINVAL;
            add(w, ";", 1);
        }
        add(w, " }", 2);
        return 0;
    default:
        xasprintf(cause, "a %s value cannot be written in the DSL",
            gale_type_name(v->type));
        return -EINVAL;
    }
}
