/* windowing.c - Storm's windowed bolts -> the `window` bolt (windowing.h). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "compat/flux/classes.h"
#include "compat/flux/conv.h"
#include "compat/flux/vertex.h"
#include "topology/suggest.h"

#define COUNT_CLASS "org.apache.storm.topology.base.BaseWindowedBolt$Count"
#define DURATION_CLASS \
    "org.apache.storm.topology.base.BaseWindowedBolt$Duration"

/* Storm's default watermark interval (topology.bolts.watermark.event.
 * interval.ms). */
#define STORM_WM_INTERVAL_MS 1000

/* A window length or sliding interval: tuples or milliseconds. */
typedef struct win_arg {
    bool count;
    long long v;
} win_arg_t;

static const struct { const char *name; long long ms; } units[] = {
    { "MILLISECONDS", 1 }, { "SECONDS", 1000 }, { "MINUTES", 60000 },
    { "HOURS", 3600000 }, { "DAYS", 86400000 },
};

/* Duration's static factories: of(ms), seconds(n), ... */
static const struct { const char *name; long long ms; } factories[] = {
    { "of", 1 }, { "seconds", 1000 }, { "minutes", 60000 },
    { "hours", 3600000 }, { "days", 86400000 },
};

bool
gale_flux_windowing_arg_class(const char *cls)
{
    return strcmp(cls, COUNT_CLASS) == 0 || strcmp(cls, DURATION_CLASS) == 0;
}

/* A Duration's value in ms from value n of unit ms_per, checked. */
static int
duration_ms(gale_flux_conv_t *c, const gale_ynode_t *n, const char *ctx,
    long long ms_per, long long *out)
{
    long long v;

    if (gale_flux_int(c, n, ctx, "the Duration's value", 1, &v) != 0)
        return -1;
    if (v > LLONG_MAX / ms_per / 1000) {
        gale_flux_err(c, n, "%sthe Duration is too long", ctx);
        return -1;
    }
    *out = v * ms_per;
    return 0;
}

/* Reads a Count or Duration argument of a window builder (a `ref`). 0, or
 * -1 after reporting. */
static int
read_arg(gale_flux_conv_t *c, const gale_ynode_t *arg, const char *ctx,
    win_arg_t *out)
{
    const gale_ynode_t *ref = gale_ynode_get(arg, "ref"), *d, *cls, *ca, *fa,
        *fy;
    const char *f;
    size_t i;

    if (ref == NULL || gale_flux_scalar(c, ref, ctx, "ref") == NULL) {
        if (ref == NULL)
            gale_flux_err(c, arg, "%sa window length or interval is a `ref` "
                "to a BaseWindowedBolt$Count or $Duration component", ctx);
        return -1;
    }
    if ((d = gale_flux_bean(c, ref, ctx)) == NULL)
        return -1;
    cls = gale_ynode_get(d, "className");
    if (cls == NULL || cls->kind != GALE_Y_SCALAR ||
        !gale_flux_windowing_arg_class(cls->text)) {
        gale_flux_err(c, ref, "%sref `%s` is not a BaseWindowedBolt$Count or "
            "$Duration component", ctx, ref->text);
        return -1;
    }
    out->count = strcmp(cls->text, COUNT_CLASS) == 0;
    ca = gale_ynode_get(d, "constructorArgs");
    fy = gale_ynode_get(d, "factory");
    fa = gale_ynode_get(d, "factoryArgs");
    if (fy != NULL) {
        if ((f = gale_flux_scalar(c, fy, ctx, "factory")) == NULL)
            return -1;
        if (fa == NULL || fa->kind != GALE_Y_SEQ || fa->n != 1) {
            gale_flux_err(c, fa != NULL ? fa : fy, "%sfactory `%s` takes one "
                "argument", ctx, f);
            return -1;
        }
        if (out->count) {
            if (strcmp(f, "of") != 0) {
                gale_flux_err(c, fy, "%sCount has the factory `of`, not "
                    "`%s`", ctx, f);
                return -1;
            }
            return gale_flux_int(c, fa->items[0], ctx, "the Count", 1,
                &out->v) == 0 ? 0 : -1;
        }
        for (i = 0; i < NELEM(factories); i++)
            if (strcmp(f, factories[i].name) == 0)
                return duration_ms(c, fa->items[0], ctx, factories[i].ms,
                    &out->v);
        gale_flux_err(c, fy, "%sDuration has the factories of, seconds, "
            "minutes, hours and days, not `%s`", ctx, f);
        return -1;
    }
    if (out->count) {
        if (ca == NULL || ca->kind != GALE_Y_SEQ || ca->n != 1) {
            gale_flux_err(c, ca != NULL ? ca : d, "%sCount `%s` takes "
                "constructorArgs [count]", ctx, ref->text);
            return -1;
        }
        return gale_flux_int(c, ca->items[0], ctx, "the Count", 1,
            &out->v) == 0 ? 0 : -1;
    }
    if (ca == NULL || ca->kind != GALE_Y_SEQ || ca->n != 2) {
        gale_flux_err(c, ca != NULL ? ca : d, "%sDuration `%s` takes "
            "constructorArgs [value, TimeUnit] (or a factory: seconds, "
            "minutes, ...)", ctx, ref->text);
        return -1;
    }
    if ((f = gale_flux_scalar(c, ca->items[1], ctx, "the TimeUnit")) == NULL)
        return -1;
    for (i = 0; i < NELEM(units); i++)
        if (strcmp(f, units[i].name) == 0)
            return duration_ms(c, ca->items[0], ctx, units[i].ms, &out->v);
    gale_flux_err(c, ca->items[1], "%sTimeUnit `%s`: gale windows take "
        "MILLISECONDS, SECONDS, MINUTES, HOURS or DAYS", ctx, f);
    return -1;
}

/* Appends `name = v;` to o's parameters. */
static void
wparam(gale_flux_comp_t *o, const char *name, long long v)
{
    if (o->params == NULL)
        o->params = gale_dslw_new();
    gale_dslw_printf(o->params, "%s%s = %lld;", gale_dslw_len(o->params) ?
        " " : "", name, v);
}

/* withWindow(length[, slide]) and withTumblingWindow(length). */
static void
set_window(gale_flux_conv_t *c, gale_flux_comp_t *o, const gale_ynode_t *m,
    const gale_ynode_t *a, bool tumbling, const char *ctx)
{
    win_arg_t len, slide;
    bool has_slide = !tumbling && a->n == 2;

    if (o->wnode != NULL) {
        gale_flux_err(c, m, "%sthe window is set twice (first at line %d)",
            ctx, o->wnode->line);
        return;
    }
    o->wnode = m;
    if (read_arg(c, a->items[0], ctx, &len) != 0 ||
        (has_slide && read_arg(c, a->items[1], ctx, &slide) != 0))
        return;
    if (has_slide && slide.count != len.count) {
        gale_flux_err(c, m, "%sa %s window with a %s sliding interval: "
            "gale's window bolt slides a count window by count and a "
            "duration window by time", ctx, len.count ? "count" : "duration",
            slide.count ? "count" : "duration");
        return;
    }
    if (!tumbling && !has_slide && !len.count) {
        gale_flux_err(c, m, "%swithWindow(Duration) slides on every tuple in "
            "Storm; gale's duration windows slide by time: give withWindow "
            "a Duration sliding interval, or use withTumblingWindow", ctx);
        return;
    }
    if (!tumbling && !has_slide)
        slide.v = 1, slide.count = true;   /* Storm: slides on every tuple */
    wparam(o, len.count ? "length_count" : "length_ms", len.v);
    if (has_slide || !tumbling)
        if (slide.v != len.v)
            wparam(o, slide.count ? "slide_count" : "slide_ms", slide.v);
    o->wcount = len.count;
}

/* True if name is one of the n names of known. */
static bool
is_known(const char *name, const char *const *known, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(name, known[i]) == 0)
            return true;
    return false;
}

void
gale_flux_windowing_methods(gale_flux_conv_t *c, gale_flux_comp_t *o,
    const gale_ynode_t *list, const char *ctx)
{
    static const char *const known[] = { "withWindow", "withTumblingWindow",
        "withTimestampField", "withLag", "withWatermarkInterval",
        "withLateTupleStream" };
    const gale_ynode_t *m, *nm, *a;
    const char *name, *s, *hint;
    win_arg_t d;
    size_t i;

    o->lag_ms = 0;
    o->wm_interval_ms = STORM_WM_INTERVAL_MS;
    if (list != NULL && list->kind != GALE_Y_SEQ) {
        gale_flux_err(c, list, "%s`configMethods` must be a list, not %s",
            ctx, gale_ynode_phrase(list));
        return;
    }
    for (i = 0; list != NULL && i < list->n; i++) {
        m = list->items[i];
        if (m->kind != GALE_Y_MAP || (nm = gale_ynode_get(m, "name")) == NULL ||
            (name = gale_flux_scalar(c, nm, ctx, "name")) == NULL) {
            gale_flux_err(c, m, "%seach configMethod is a mapping with a "
                "`name`", ctx);
            continue;
        }
        a = gale_ynode_get(m, "args");
        if (strcmp(name, "withWindow") == 0 ||
            strcmp(name, "withTumblingWindow") == 0) {
            bool tum = name[4] == 'T';

            if (a == NULL || a->kind != GALE_Y_SEQ || a->n < 1 ||
                a->n > (tum ? 1u : 2u)) {
                gale_flux_err(c, a != NULL ? a : m, "%sconfigMethod `%s` "
                    "takes %s", ctx, name, tum ? "one argument (a Count or "
                    "Duration)" : "a window length and optionally a "
                    "sliding interval");
                continue;
            }
            set_window(c, o, m, a, tum, ctx);
        } else if (!is_known(name, known, NELEM(known))) {
            hint = gale_suggest(name, known, NELEM(known));
            gale_flux_err(c, nm, "%sconfigMethod `%s` has no gale equivalent "
                "(a windowed bolt takes withWindow, withTumblingWindow, "
                "withTimestampField, withLag, withWatermarkInterval and "
                "withLateTupleStream)%s%s%s", ctx, name,
                hint != NULL ? " (did you mean `" : "",
                hint != NULL ? hint : "", hint != NULL ? "`?)" : "");
        } else if (a == NULL || a->kind != GALE_Y_SEQ || a->n != 1) {
            gale_flux_err(c, a != NULL ? a : m, "%sconfigMethod `%s` takes "
                "one argument", ctx, name);
        } else if (strcmp(name, "withTimestampField") == 0) {
            if ((s = gale_flux_scalar(c, a->items[0], ctx,
                "the timestamp field")) != NULL) {
                free(o->ts_field);
                o->ts_field = xstrdup(s);
                o->tsnode = m;
            }
        } else if (strcmp(name, "withLateTupleStream") == 0) {
            if ((s = gale_flux_scalar(c, a->items[0], ctx,
                "the late tuple stream")) != NULL) {
                free(o->late);
                o->late = xstrdup(s);
            }
        } else if (strcmp(name, "withLag") == 0 ||
            strcmp(name, "withWatermarkInterval") == 0) {
            if (read_arg(c, a->items[0], ctx, &d) != 0)
                continue;
            if (d.count) {
                gale_flux_err(c, a->items[0], "%s%s takes a Duration, not a "
                    "Count", ctx, name);
                continue;
            }
            if (name[4] == 'L')
                o->lag_ms = d.v;
            else
                o->wm_interval_ms = d.v;
        }
    }
    if (o->wnode == NULL)
        gale_flux_err(c, list != NULL ? list : o->node, "%sa windowed bolt "
            "needs configMethod withWindow or withTumblingWindow", ctx);
    if (o->ts_field != NULL && o->params != NULL && o->wcount)
        gale_flux_err(c, o->tsnode, "%swithTimestampField with a count "
            "window: gale's count windows take tuples in arrival order", ctx);
    if (o->ts_field == NULL && o->late != NULL)
        gale_flux_err(c, o->node, "%swithLateTupleStream needs "
            "withTimestampField (as in Storm)", ctx);
}

/* Declares o's late stream with the fields of its input. */
static void
declare_late(gale_flux_conv_t *c, gale_flux_comp_t *o, size_t bolt)
{
    const gale_value_t *in = NULL;
    gale_flux_decl_t *dl;
    size_t i;

    for (i = 0; i < c->nos; i++) {
        gale_flux_stream_t *s = &c->os[i];

        if ((size_t)s->to != bolt || c->oc[s->from].cls == NULL)
            continue;
        dl = gale_flux_vertex_decl(&c->oc[s->from], s->stream != NULL ?
            s->stream : "default");
        if (dl == NULL)
            continue;
        if (in != NULL && !gale_value_equal(in, dl->fields)) {
            gale_flux_err(c, s->node, "bolt `%s`: withLateTupleStream: its "
                "inputs have different fields; gale's late stream carries "
                "the input tuple's fields", o->id);
            return;
        }
        in = dl->fields;
    }
    if (in == NULL)
        return;
    o->decls = xreallocarray(o->decls, o->ndecls + 1, sizeof(*o->decls));
    o->decls[o->ndecls].id = xstrdup(o->late);
    o->decls[o->ndecls].fields = gale_value_clone(in);
    o->decls[o->ndecls].direct = false;
    o->ndecls++;
}

/* True if the list of field names holds name. */
static bool
has_field(const gale_value_t *fields, const char *name)
{
    size_t i;

    for (i = 0; i < fields->u.list.len; i++)
        if (strcmp(fields->u.list.items[i]->u.s.ptr, name) == 0)
            return true;
    return false;
}

void
gale_flux_windowing_resolve(gale_flux_conv_t *c)
{
    gale_flux_decl_t *dl;
    gale_flux_comp_t *o, *up;
    size_t b, i;

    for (b = 0; b < c->noc; b++) {
        o = &c->oc[b];
        if (o->cls == NULL || !o->cls->windowed || o->ts_field == NULL)
            continue;
        if (o->late != NULL)
            declare_late(c, o, b);
        for (i = 0; i < c->nos; i++) {
            gale_flux_stream_t *s = &c->os[i];

            if ((size_t)s->to != b || c->oc[s->from].cls == NULL)
                continue;
            up = &c->oc[s->from];
            dl = gale_flux_vertex_decl(up, s->stream != NULL ? s->stream :
                "default");
            if (dl == NULL)
                continue;           /* gale validate reports it */
            if (!has_field(dl->fields, o->ts_field)) {
                gale_flux_err(c, s->node, "bolt `%s`: withTimestampField "
                    "`%s`: its input from `%s` has no such field", o->id,
                    o->ts_field, up->id);
                continue;
            }
            if (up->wm_for != NULL && (strcmp(up->wm_field, o->ts_field) != 0 ||
                up->wm_lag != o->lag_ms ||
                up->wm_interval != o->wm_interval_ms)) {
                gale_flux_err(c, s->node, "bolt `%s`: `%s` already generates "
                    "watermarks for bolt `%s` from field `%s` with lag %lld "
                    "ms, interval %lld ms; gale generates them at the "
                    "sender, so windowed bolts it feeds must agree", o->id,
                    up->id, up->wm_for, up->wm_field, up->wm_lag,
                    up->wm_interval);
                continue;
            }
            up->wm_for = o->id;
            free(up->wm_field);
            up->wm_field = xstrdup(o->ts_field);
            up->wm_lag = o->lag_ms;
            up->wm_interval = o->wm_interval_ms;
        }
    }
}
