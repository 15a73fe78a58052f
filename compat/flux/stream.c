/* stream.c - Flux streams and groupings -> the DSL's `streams` (stream.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "compat/flux/classes.h"
#include "compat/flux/conv.h"
#include "compat/flux/dslwriter.h"
#include "compat/flux/stream.h"
#include "compat/flux/vertex.h"
#include "topology/suggest.h"

static const char *const stream_keys[] = { "name", "from", "to",
    "grouping" };
static const char *const grouping_keys[] = { "type", "streamId", "args",
    "customClass" };

/* The fields of a `ref` to an org.apache.storm.tuple.Fields component, or
 * NULL after reporting. */
static gale_value_t *
ref_fields(gale_flux_conv_t *c, const gale_ynode_t *arg, const char *ctx)
{
    const gale_ynode_t *ref = gale_ynode_get(arg, "ref"), *d, *ca;
    const char *id;

    if (ref == NULL || (id = gale_flux_scalar(c, ref, ctx, "ref")) == NULL) {
        if (arg->kind == GALE_Y_SEQ)
            return gale_flux_strings(c, arg, ctx, "the fields");
        gale_flux_err(c, arg,
            "%sexpected a `ref` to a Fields component or a list of "
            "fields", ctx);
        return NULL;
    }
    if ((d = gale_flux_bean(c, ref, ctx)) == NULL)
        return NULL;
    if (strcmp(gale_flux_bean_class(d), "org.apache.storm.tuple.Fields") != 0) {
        gale_flux_err(c, ref,
            "%sref `%s` is not an org.apache.storm.tuple.Fields "
            "component", ctx, id);
        return NULL;
    }
    ca = gale_ynode_get(d, "constructorArgs");
    if (ca != NULL && ca->kind == GALE_Y_SEQ && ca->n == 1 &&
        ca->items[0]->kind == GALE_Y_SEQ)
        ca = ca->items[0];
    if (ca == NULL) {
        gale_flux_err(c, d,
            "component `%s`: Fields without constructorArgs", id);
        return NULL;
    }
    return gale_flux_strings(c, ca, "", "Fields constructorArgs");
}

/* Converts one stream def. */
void
gale_flux_stream_convert(gale_flux_conv_t *c, const gale_ynode_t *d)
{
    static const char *const types[] = { "ALL", "CUSTOM", "DIRECT",
        "SHUFFLE", "LOCAL_OR_SHUFFLE", "FIELDS", "GLOBAL", "NONE" };
    static const char *const dsl[] = { "all", "custom", "direct", "shuffle",
        "local_or_shuffle", "fields", "global", "none" };
    const gale_ynode_t *n, *g, *t, *a, *cc, *cn;
    const char *from, *to, *type, *hint, *sid = NULL;
    gale_flux_stream_t s = { 0 };
    char *ctx = NULL;
    size_t i;
    int fi, ti;

    if (d->kind != GALE_Y_MAP) {
        gale_flux_err(c, d, "each of `streams` must be a mapping, not %s",
            gale_ynode_phrase(d));
        return;
    }
    gale_flux_check_keys(c, d, "stream: ", stream_keys, NELEM(stream_keys));
    s.node = d;
    if ((n = gale_ynode_get(d, "from")) == NULL) {
        gale_flux_err(c, d, "stream: missing `from`");
        return;
    }
    if ((from = gale_flux_scalar(c, n, "stream: ", "from")) == NULL)
        return;
    if ((fi = gale_flux_vertex_find(c, from)) < 0) {
        gale_flux_err(c, n, "stream from `%s`: no spout or bolt has that id",
            from);
        return;
    }
    if ((n = gale_ynode_get(d, "to")) == NULL) {
        gale_flux_err(c, d, "stream: missing `to`");
        return;
    }
    if ((to = gale_flux_scalar(c, n, "stream: ", "to")) == NULL)
        return;
    if ((ti = gale_flux_vertex_find(c, to)) < 0) {
        gale_flux_err(c, n, "stream to `%s`: no spout or bolt has that id",
            to);
        return;
    }
    if (c->oc[ti].kind == GALE_SPOUT) {
        gale_flux_err(c, n,
            "stream to `%s`: it is a spout, and spouts consume no "
            "streams", to);
        return;
    }
    c->oc[ti].fed = true;
    xasprintf(&ctx, "stream %s -> %s: ", from, to);
    if ((n = gale_ynode_get(d, "name")) != NULL && n->kind == GALE_Y_SCALAR &&
        !gale_ynode_is_null(n))
        s.name = xstrdup(n->text);
    if ((g = gale_ynode_get(d, "grouping")) == NULL || g->kind != GALE_Y_MAP) {
        gale_flux_err(c, g != NULL ? g : d,
            "%s`grouping` must be a mapping with a `type`", ctx);
        goto fail;
    }
    gale_flux_check_keys(c, g, ctx, grouping_keys, NELEM(grouping_keys));
    if ((t = gale_ynode_get(g, "type")) == NULL) {
        gale_flux_err(c, g, "%sgrouping without a `type`", ctx);
        goto fail;
    }
    if ((type = gale_flux_scalar(c, t, ctx, "type")) == NULL)
        goto fail;
    for (i = 0; i < NELEM(types); i++)
        if (strcmp(type, types[i]) == 0)
            break;
    if (i == NELEM(types)) {
        hint = gale_suggest(type, types, NELEM(types));
        if (strcmp(type, "PARTIAL_KEY") == 0)
            gale_flux_err(c, t,
                "%sFlux has no grouping PARTIAL_KEY (use CUSTOM with "
                "customClass org.apache.storm.grouping.PartialKeyGrouping)",
                ctx);
        else
            gale_flux_err(c, t,
                "%sunknown grouping type `%s`%s%s%s (Flux's are ALL, "
                "CUSTOM, DIRECT, SHUFFLE, LOCAL_OR_SHUFFLE, FIELDS, GLOBAL, "
                "NONE)", ctx, type, hint != NULL ? " (did you mean `" : "",
                hint != NULL ? hint : "", hint != NULL ? "`?)" : "");
        goto fail;
    }
    s.grouping = dsl[i];
    if ((n = gale_ynode_get(g, "streamId")) != NULL) {
        if ((sid = gale_flux_scalar(c, n, ctx, "streamId")) == NULL)
            goto fail;
        if (strcmp(sid, "default") != 0)
            s.stream = xstrdup(sid);
    }
    a = gale_ynode_get(g, "args");
    cc = gale_ynode_get(g, "customClass");
    if (strcmp(type, "FIELDS") == 0) {
        if (a == NULL || a->kind != GALE_Y_SEQ || a->n == 0) {
            gale_flux_err(c, a != NULL ? a : g,
                "%sa FIELDS grouping needs `args`, a "
                "non-empty list of fields", ctx);
            goto fail;
        }
        if ((s.fields = gale_flux_strings(c, a, ctx, "`args`")) == NULL)
            goto fail;
    } else if (a != NULL) {
        gale_flux_err(c, a,
            "%s`args` apply only to a FIELDS grouping (Flux ignores "
            "them on %s)", ctx, type);
        goto fail;
    }
    if (strcmp(type, "CUSTOM") == 0) {
        if (cc == NULL || cc->kind != GALE_Y_MAP ||
            (cn = gale_ynode_get(cc, "className")) == NULL ||
            cn->kind != GALE_Y_SCALAR) {
            gale_flux_err(c, cc != NULL ? cc : g, "%sa CUSTOM grouping needs "
                "`customClass` with a `className`", ctx);
            goto fail;
        }
        gale_flux_check_keys(c, cc, ctx, gale_flux_bean_keys,
            gale_flux_nbean_keys);
        if (strcmp(cn->text, "org.apache.storm.grouping.PartialKeyGrouping")
            != 0) {
            gale_flux_err(c, cn,
                "%scustom grouping class `%s` has no gale equivalent "
                "(write it as a gale plugin grouping and use `custom` in "
                "the DSL)", ctx, cn->text);
            goto fail;
        }
        if ((n = gale_ynode_key(cc, "properties")) != NULL ||
            (n = gale_ynode_key(cc, "configMethods")) != NULL ||
            (n = gale_ynode_key(cc, "factory")) != NULL) {
            gale_flux_err(c, n,
                "%sPartialKeyGrouping: `%s` has no gale equivalent",
                ctx, n->text);
            goto fail;
        }
        s.grouping = "partial_key";
        if ((n = gale_ynode_get(cc, "constructorArgs")) != NULL &&
            n->kind == GALE_Y_SEQ && n->n > 0) {
            if (n->n != 1) {
                gale_flux_err(c, n,
                    "%sPartialKeyGrouping takes one constructor "
                    "argument (its Fields)", ctx);
                goto fail;
            }
            if ((s.fields = ref_fields(c, n->items[0], ctx)) == NULL)
                goto fail;
        }
        /* Without fields Storm keys on the first value: the first field of
         * the stream, filled in once every component is known. */
    } else if (cc != NULL) {
        gale_flux_err(c, cc,
            "%s`customClass` applies only to a CUSTOM grouping", ctx);
        goto fail;
    }
    s.from = fi;
    s.to = ti;
    c->os = xreallocarray(c->os, c->nos + 1, sizeof(*c->os));
    c->os[c->nos++] = s;
    free(ctx);
    return;
fail:
    free(ctx);
    free(s.name);
    free(s.stream);
    gale_value_destroy(&s.fields);
}

/* Fills in what depends on the streams: a count's key, partial-key
 * fields without Fields, direct streams. */
void
gale_flux_streams_resolve(gale_flux_conv_t *c)
{
    gale_flux_stream_t *s;
    gale_flux_decl_t *dl;
    gale_flux_comp_t *to;
    size_t i;

    for (i = 0; i < c->nos; i++) {
        s = &c->os[i];
        to = &c->oc[s->to];
        dl = gale_flux_vertex_decl(&c->oc[s->from],
            s->stream != NULL ? s->stream :
            "default");
        if (dl == NULL || c->oc[s->from].cls == NULL)
            continue;               /* gale validate reports it, or refused */
        if (strcmp(s->grouping, "direct") == 0)
            dl->direct = true;
        if (strcmp(s->grouping, "partial_key") == 0 && s->fields == NULL &&
            dl->fields->u.list.len > 0) {
            s->fields = gale_value_list();
            gale_value_list_append(s->fields,
                gale_value_clone(dl->fields->u.list.items[0]));
        }
        if (to->cls != NULL && to->cls->from_input != NULL && to->key == NULL &&
            dl->fields->u.list.len > 0)
            to->key = xstrdup(dl->fields->u.list.items[0]->u.s.ptr);
    }
}

void
gale_flux_streams_write(gale_flux_conv_t *c, gale_dslw_t *w)
{
    char *cause = NULL;
    size_t i;

    if (c->nos > 0)
        gale_dslw_printf(w, "streams = (");
    for (i = 0; i < c->nos; i++) {
        gale_flux_stream_t *s = &c->os[i];

        gale_dslw_printf(w, "%s\n  { from = ", i > 0 ? "," : "");
        gale_dslw_string(w, c->oc[s->from].id);
        gale_dslw_printf(w, "; to = ");
        gale_dslw_string(w, c->oc[s->to].id);
        gale_dslw_printf(w, ";");
        if (s->stream != NULL) {
            gale_dslw_printf(w, " stream = ");
            gale_dslw_string(w, s->stream);
            gale_dslw_printf(w, ";");
        }
        gale_dslw_printf(w, " grouping = \"%s\";", s->grouping);
        if (s->fields != NULL) {
            gale_dslw_printf(w, " fields = ");
            gale_dslw_value(w, s->fields, &cause);
            gale_dslw_printf(w, ";");
        }
        if (s->name != NULL) {
            gale_dslw_printf(w, " name = ");
            gale_dslw_string(w, s->name);
            gale_dslw_printf(w, ";");
        }
        gale_dslw_printf(w, " }");
    }
    if (c->nos > 0)
        gale_dslw_printf(w, "\n);\n");
    free(cause);
}
