/* conv.c - the state of one conversion: reporting and reading Flux nodes
 * (conv.h). */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "compat/flux/conv.h"
#include "topology/suggest.h"

/* The keys of a Flux bean (a `components` entry or a customClass). */
const char *const gale_flux_bean_keys[] = { "id", "className",
    "constructorArgs", "properties", "configMethods", "factory",
    "factoryArgs" };
const size_t gale_flux_nbean_keys = NELEM(gale_flux_bean_keys);

/* Reports an error at node n. */
void
gale_flux_err(gale_flux_conv_t *c, const gale_ynode_t *n, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    gale_diag_vadd(c->errs, n->file, n->line, fmt, ap);
    va_end(ap);
}

/* Reports a warning at node n. */
void
gale_flux_warn(gale_flux_conv_t *c, const gale_ynode_t *n, const char *fmt,
    ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    xvasprintf(&s, fmt, ap);
    va_end(ap);
    gale_diag_add(c->warns, n->file, n->line, "warning: %s", s);
    free(s);
}

/* Appends node n to v. */
void
gale_flux_nvec_add(gale_flux_nvec_t *v, const gale_ynode_t *n)
{
    v->v = xreallocarray(v->v, v->n + 1, sizeof(*v->v));
    v->v[v->n++] = n;
}

/* Reports every key of map m not in keys[nkeys]; ctx prefixes. */
void
gale_flux_check_keys(gale_flux_conv_t *c, const gale_ynode_t *m,
    const char *ctx, const char *const *keys, size_t nkeys)
{
    const char *hint;
    size_t i, j;

    for (i = 0; i < m->n; i++) {
        for (j = 0; j < nkeys; j++)
            if (strcmp(m->keys[i]->text, keys[j]) == 0)
                break;
        if (j < nkeys)
            continue;
        hint = gale_suggest(m->keys[i]->text, keys, nkeys);
        if (hint != NULL)
            gale_flux_err(c, m->keys[i],
                "%sunknown Flux key `%s` (did you mean "
                "`%s`?)", ctx, m->keys[i]->text, hint);
        else
            gale_flux_err(c, m->keys[i], "%sunknown Flux key `%s`", ctx,
                m->keys[i]->text);
    }
}

/* The text of scalar n, or NULL after reporting that `what` must be one. */
const char *
gale_flux_scalar(gale_flux_conv_t *c, const gale_ynode_t *n, const char *ctx,
    const char *what)
{
    if (n->kind != GALE_Y_SCALAR || gale_ynode_is_null(n)) {
        gale_flux_err(c, n, "%s`%s` must be a string, not %s", ctx, what,
            gale_ynode_phrase(n));
        return NULL;
    }
    return n->text;
}

/* Reads the integer n into *out (at least min); reports otherwise. */
int
gale_flux_int(gale_flux_conv_t *c, const gale_ynode_t *n, const char *ctx,
    const char *what, long long min, long long *out)
{
    gale_value_t *v = gale_ynode_value(n);
    int rc = -EINVAL;

    if (v->type != GALE_INT && n->kind == GALE_Y_SCALAR)
        gale_flux_err(c, n, "%s`%s` must be an integer, not `%s`", ctx, what,
            n->text);
    else if (v->type != GALE_INT)
        gale_flux_err(c, n, "%s`%s` must be an integer, not %s", ctx, what,
            gale_ynode_phrase(n));
    else if (v->u.i < min || v->u.i > INT_MAX)
        gale_flux_err(c, n, "%s`%s` must be between %lld and %d, not %lld",
            ctx, what, min, INT_MAX, (long long)v->u.i);
    else {
        *out = v->u.i;
        rc = 0;
    }
    gale_value_destroy(&v);
    return rc;
}

/* A boolean node's value into *out; reports otherwise. */
int
gale_flux_bool(gale_flux_conv_t *c, const gale_ynode_t *n, const char *ctx,
    const char *what, bool *out)
{
    gale_value_t *v = gale_ynode_value(n);
    int rc = -EINVAL;

    if (v->type != GALE_BOOL)
        gale_flux_err(c, n, "%s`%s` must be true or false", ctx, what);
    else {
        *out = v->u.b;
        rc = 0;
    }
    gale_value_destroy(&v);
    return rc;
}

/* Converts a list of scalars into a LIST of strings; reports otherwise
 * (refs included: gale has no Java objects to pass). */
gale_value_t *
gale_flux_strings(gale_flux_conv_t *c, const gale_ynode_t *n, const char *ctx,
    const char *what)
{
    gale_value_t *v;
    size_t i;

    if (n->kind != GALE_Y_SEQ) {
        if (n->kind == GALE_Y_MAP && (gale_ynode_get(n, "ref") != NULL ||
            gale_ynode_get(n, "reflist") != NULL))
            gale_flux_err(c, n, "%s%s: a `ref` to a Java object has no gale "
                "equivalent; write the list itself", ctx, what);
        else
            gale_flux_err(c, n, "%s%s must be a list of strings, not %s", ctx,
                what, gale_ynode_phrase(n));
        return NULL;
    }
    v = gale_value_list();
    for (i = 0; i < n->n; i++) {
        if (n->items[i]->kind != GALE_Y_SCALAR ||
            gale_ynode_is_null(n->items[i])) {
            gale_flux_err(c, n->items[i],
                "%s%s must be a list of strings, not a list "
                "holding %s", ctx, what, gale_ynode_phrase(n->items[i]));
            gale_value_destroy(&v);
            return NULL;
        }
        gale_value_list_append(v, gale_value_string(n->items[i]->text,
            n->items[i]->len));
    }
    return v;
}

/* The `components` entry that ref (a scalar: its id) names, defined before
 * it; NULL after reporting. */
const gale_ynode_t *
gale_flux_bean(gale_flux_conv_t *c, const gale_ynode_t *ref, const char *ctx)
{
    size_t i;

    for (i = 0; i < c->comps.n; i++) {
        const gale_ynode_t *d = c->comps.v[i];

        if (strcmp(gale_ynode_get(d, "id")->text, ref->text) != 0)
            continue;
        if (d->file == ref->file && d->line > ref->line) {
            gale_flux_err(c, ref, "%sref `%s` is used before its definition "
                "at line %d (Flux resolves references in order)", ctx,
                ref->text, d->line);
            return NULL;
        }
        return d;
    }
    gale_flux_err(c, ref, "%sref `%s` names no component", ctx, ref->text);
    return NULL;
}

/* The className of bean d, or "" when it has none. */
const char *
gale_flux_bean_class(const gale_ynode_t *d)
{
    const gale_ynode_t *cls = gale_ynode_get(d, "className");

    return cls != NULL && cls->kind == GALE_Y_SCALAR ? cls->text : "";
}

/* Adds a comment line to o's output. */
void
gale_flux_note(gale_flux_comp_t *o, const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    xvasprintf(&s, fmt, ap);
    va_end(ap);
    o->notes = xreallocarray(o->notes, o->nnotes + 1, sizeof(*o->notes));
    o->notes[o->nnotes++] = s;
}
