/* window.c - the "window" bolt: Storm's windowed bolts (tumbling and
 * sliding, by duration or by count) and Flink's session windows, keyed or
 * not, by event time (a timestamp field and the watermarks of the inputs)
 * or by processing time, with allowed lateness and a late-tuple stream,
 * computing a built-in aggregate per window (docs/windows.md).
 *
 * Each key's windows are one entry of keyed state "windows" (bolts/
 * winrec.h), so they are checkpointed with the barriers, restored after
 * a failure and moved with their key group on a rescale. The state key
 * is the key group (2 bytes) and then the key's fields, so that a
 * restored task can rebuild its timers, which live in memory: a min-heap
 * of (time, key). A key has one live timer, the one its record names; a
 * popped timer the record no longer names is stale and skipped. Without
 * `key` the windows are the task's own: operator state, one entry.
 *
 * Output tuples: the key's fields, the window's start and end (ms, end
 * exclusive; tuple ordinals for count windows) and the aggregate; top-N
 * emits one tuple per value, with its count. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <gale/gale.h>

#include "bolts/builtins.h"
#include "bolts/wincache.h"
#include "bolts/winrec.h"
#include "common/le.h"

typedef struct wtimer {
    int64_t at;
    int kg;
    unsigned char *key;         /* owned: the state key */
    size_t klen;
} wtimer_t;

typedef struct window {
    win_spec_t spec;
    char **keys;                /* owned key field names */
    gale_field_t *keyf;
    size_t nkeys;
    char *ts_name;              /* owned; NULL: processing time */
    gale_field_t tsf;
    char *val_name;             /* owned; NULL: none */
    gale_field_t valf;
    int late_stream;            /* stream handle, or -1 */
    gale_kv_t *state;           /* "windows", keyed (or operator) */
    wincache_t *cache;          /* owned: decoded records, written back at
                                   the barriers */
    wtimer_t *heap;             /* timers, a min-heap on at */
    size_t nheap, heapcap;
    unsigned char *kbuf;        /* owned scratch: a state key */
    size_t kcap;
    gale_datum_t *out;          /* owned scratch: an output tuple */
    /* Hosting a windowed bolt (gale_window_host): its def and self. */
    const gale_component_def_t *inner;
    void *inner_self;
    gale_datum_t *wvals;        /* owned scratch: on_window's values */
    int64_t *wcounts;
    size_t wcap;
    gale_datum_t *kvals;        /* owned scratch: decoded key fields */
} window_t;

/* What a fire callback needs: where to emit, and the key's fields. */
typedef struct fire_arg {
    gale_ctx_t *ctx;
    window_t *w;
} fire_arg_t;

static const char *const agg_names[] = {
    NULL, "count", "sum", "min", "max", "avg", "distinct", "top", "collect"
};

/* ---- timers ---- */

static int
heap_push(window_t *w, int64_t at, int kg, const void *key, size_t klen)
{
    wtimer_t t, *p;
    size_t i;

    if (w->nheap == w->heapcap) {
        size_t cap = w->heapcap ? w->heapcap * 2 : 64;

        if ((p = realloc(w->heap, cap * sizeof *p)) == NULL)
            return -ENOMEM;
        w->heap = p;
        w->heapcap = cap;
    }
    if ((t.key = malloc(klen ? klen : 1)) == NULL)
        return -ENOMEM;
    memcpy(t.key, key, klen);
    t.klen = klen;
    t.at = at;
    t.kg = kg;
    for (i = w->nheap++; i > 0 && w->heap[(i - 1) / 2].at > at; i = (i - 1) / 2)
        w->heap[i] = w->heap[(i - 1) / 2];
    w->heap[i] = t;
    return 0;
}

/* Removes the earliest timer into *t (the caller frees t->key). */
static void
heap_pop(window_t *w, wtimer_t *t)
{
    wtimer_t last;
    size_t i = 0, c;

    *t = w->heap[0];
    last = w->heap[--w->nheap];
    while ((c = 2 * i + 1) < w->nheap) {
        if (c + 1 < w->nheap && w->heap[c + 1].at < w->heap[c].at)
            c++;
        if (w->heap[c].at >= last.at)
            break;
        w->heap[i] = w->heap[c];
        i = c;
    }
    if (w->nheap > 0)
        w->heap[i] = last;
}

/* ---- keys ---- */

/* The state key of a tuple's key fields in w->kbuf: key group (2 bytes),
 * then per field its type byte and value (8 bytes for numbers; length
 * and bytes for strings). *klen set. 0, -EINVAL for a field type a key
 * cannot have, -ENOMEM. */
static int
make_key(window_t *w, int kg, const gale_datum_t *vals, size_t *klen)
{
    size_t n = 2, i, off;
    unsigned char *p;

    for (i = 0; i < w->nkeys; i++)
        n += 1 + 8 + (vals[i].type == GALE_STRING || vals[i].type == GALE_BYTES ?
            vals[i].u.s.len : 0);
    if (n > w->kcap) {
        if ((p = realloc(w->kbuf, n)) == NULL)
            return -ENOMEM;
        w->kbuf = p;
        w->kcap = n;
    }
    p = w->kbuf;
    p[0] = (unsigned char)(kg & 0xff);
    p[1] = (unsigned char)((kg >> 8) & 0xff);
    for (i = 0, off = 2; i < w->nkeys; i++) {
        const gale_datum_t *d = &vals[i];

        p[off++] = (unsigned char)d->type;
        switch (d->type) {
        case GALE_INT: gale_put_le(p + off, (uint64_t)d->u.i, 8); off += 8; break;
        case GALE_DOUBLE: memcpy(p + off, &d->u.d, 8); off += 8; break;
        case GALE_BOOL: gale_put_le(p + off, d->u.b, 8); off += 8; break;
        case GALE_NULL: gale_put_le(p + off, 0, 8); off += 8; break;
        case GALE_STRING:
        case GALE_BYTES:
            gale_put_le(p + off, d->u.s.len, 8);
            off += 8;
            memcpy(p + off, d->u.s.ptr, d->u.s.len);
            off += d->u.s.len;
            break;
        default:
            return -EINVAL;
        }
    }
    *klen = off;
    return 0;
}

/* Decodes a state key's fields into w->kvals (pointing into key). */
static void
read_key(window_t *w, const unsigned char *key, size_t klen)
{
    size_t i, off = 2;

    for (i = 0; i < w->nkeys && off + 9 <= klen; i++) {
        gale_datum_t *d = &w->kvals[i];

        d->type = (gale_type_t)key[off++];
        switch (d->type) {
        case GALE_INT: d->u.i = (int64_t)gale_get_le(key + off, 8); break;
        case GALE_DOUBLE: memcpy(&d->u.d, key + off, 8); break;
        case GALE_BOOL: d->u.b = gale_get_le(key + off, 8) != 0; break;
        case GALE_STRING:
        case GALE_BYTES:
            d->u.s.len = (size_t)gale_get_le(key + off, 8);
            d->u.s.ptr = key + off + 8;
            off += d->u.s.len;
            break;
        default: break;
        }
        off += 8;
    }
}

static int
key_group_of(const unsigned char *key)
{
    return key[0] | key[1] << 8;
}

/* ---- firing ---- */

static gale_datum_t
item_datum(const win_item_t *it)
{
    switch (it->type) {
    case GALE_INT: return gale_d_int(it->i);
    case GALE_DOUBLE: return gale_d_double(it->d);
    case GALE_STRING: return gale_d_str(it->s, it->len);
    case GALE_BYTES: return gale_d_bytes(it->s, it->len);
    default: return gale_d_null();
    }
}

/* The value of an item, owned. */
static gale_value_t *
item_value(const win_item_t *it)
{
    switch (it->type) {
    case GALE_INT: return gale_value_int(it->i);
    case GALE_DOUBLE: return gale_value_double(it->d);
    case GALE_STRING: return gale_value_string(it->s, it->len);
    case GALE_BYTES: return gale_value_bytes(it->s, it->len);
    default: return gale_value_null();
    }
}

/* collect: one tuple, the window's values as a list (each value as many
 * times as it came, in value order) after the key, start and end
 * (w->out, filled). */
static int
emit_collected(fire_arg_t *fa, const win_result_t *r)
{
    window_t *w = fa->w;
    gale_value_t *list = gale_value_list();
    void *block = NULL;
    size_t i;
    int64_t n;
    int rc;

    for (i = 0; i < r->ntop; i++)
        for (n = 0; n < r->top[i].count; n++)
            gale_value_list_append(list, item_value(&r->top[i]));
    gale_value_to_datum(list, &w->out[w->nkeys + 2], &block);
    rc = gale_emit(fa->ctx, GALE_STREAM_DEFAULT, w->out, w->nkeys + 3);
    free(block);
    gale_value_destroy(&list);
    return rc;
}

/* A hosted windowed bolt: the window goes to its on_window. */
static int
hand_window(fire_arg_t *fa, const win_result_t *r)
{
    window_t *w = fa->w;
    gale_window_t gw;
    size_t i;

    if (r->ntop > w->wcap) {
        gale_datum_t *v = realloc(w->wvals, r->ntop * sizeof *v);
        int64_t *c;

        if (v == NULL)
            return -ENOMEM;
        w->wvals = v;
        if ((c = realloc(w->wcounts, r->ntop * sizeof *c)) == NULL)
            return -ENOMEM;
        w->wcounts = c;
        w->wcap = r->ntop;
    }
    for (i = 0; i < r->ntop; i++) {
        w->wvals[i] = item_datum(&r->top[i]);
        w->wcounts[i] = r->top[i].count;
    }
    memset(&gw, 0, sizeof gw);
    gw.start = r->start;
    gw.end = r->end;
    gw.key = w->kvals;
    gw.nkey = w->nkeys;
    gw.values = w->wvals;
    gw.counts = w->wcounts;
    gw.nvalues = r->ntop;
    gw.aggregate = r->value;
    return w->inner->bolt->on_window(fa->ctx, w->inner_self, &gw);
}

/* Emits a fired window: key fields (w->kvals), start, end, value; top-N
 * one tuple per value with its count; collect the list of values. */
static int
emit_result(void *arg, const win_result_t *r)
{
    fire_arg_t *fa = arg;
    window_t *w = fa->w;
    size_t k = w->nkeys, i;
    int rc;

    memcpy(w->out, w->kvals, k * sizeof *w->out);
    w->out[k] = gale_d_int(r->start);
    w->out[k + 1] = gale_d_int(r->end);
    gale_ctx_count(fa->ctx, "windows_fired", 1);
    if (w->inner != NULL)
        return hand_window(fa, r);
    if (w->spec.agg == AGG_COLLECT)
        return emit_collected(fa, r);
    if (w->spec.agg != AGG_TOP) {
        w->out[k + 2] = r->value;
        rc = gale_emit(fa->ctx, GALE_STREAM_DEFAULT, w->out, k + 3);
        return rc;
    }
    for (i = 0; i < r->ntop; i++) {
        w->out[k + 2] = item_datum(&r->top[i]);
        w->out[k + 3] = gale_d_int(r->top[i].count);
        if ((rc = gale_emit(fa->ctx, GALE_STREAM_DEFAULT, w->out, k + 4)) != 0)
            return rc;
    }
    return 0;
}

/* Registers rec's next timer when that is earlier than the one it has.
 * 0 or -ENOMEM. */
static int
schedule(window_t *w, win_rec_t *rec, int kg, const unsigned char *key,
    size_t klen)
{
    int64_t next = win_rec_next_timer(rec, &w->spec);

    if (next >= rec->timer)
        return 0;
    rec->timer = next;
    return heap_push(w, next, kg, key, klen);
}

/* ---- the bolt ---- */

static void
window_cleanup(gale_ctx_t *ctx, void *self)
{
    window_t *w = self;
    size_t i;

    (void)ctx;
    if (w == NULL)
        return;
    for (i = 0; i < w->nkeys; i++)
        free(w->keys[i]);
    free(w->keys);
    free(w->keyf);
    free(w->ts_name);
    free(w->val_name);
    for (i = 0; i < w->nheap; i++)
        free(w->heap[i].key);
    free(w->heap);
    free(w->kbuf);
    free(w->out);
    free(w->kvals);
    wincache_destroy(w->cache);
    free(w->wvals);
    free(w->wcounts);
    free(w);
}

/* The integer parameter name, else Storm's conf key, else def. */
static int64_t
param_or_conf(gale_ctx_t *ctx, const char *name, const char *conf, int64_t def)
{
    const gale_value_t *v = gale_ctx_param(ctx, name), *c = gale_ctx_conf(ctx);

    if (v != NULL && v->type == GALE_INT)
        return v->u.i;
    if (conf != NULL && c != NULL && (v = gale_value_map_get(c, conf)) != NULL &&
        v->type == GALE_INT)
        return v->u.i;
    return def;
}

static const char *
str_or_conf(gale_ctx_t *ctx, const char *name, const char *conf)
{
    const gale_value_t *v = gale_ctx_param(ctx, name), *c = gale_ctx_conf(ctx);

    if (v != NULL && v->type == GALE_STRING)
        return v->u.s.ptr;
    if (conf != NULL && c != NULL && (v = gale_value_map_get(c, conf)) != NULL &&
        v->type == GALE_STRING)
        return v->u.s.ptr;
    return NULL;
}

/* The number of fields the bolt's default stream declares, or -1. */
static long
declared_fields(gale_ctx_t *ctx)
{
    gale_value_t *sc = gale_ctx_storm_context(ctx);
    const gale_value_t *of, *df;
    long n = -1;

    if (sc != NULL && (of = gale_value_map_get(sc, "stream->outputfields")) != NULL &&
        (df = gale_value_map_get(of, "default")) != NULL && df->type == GALE_LIST)
        n = (long)df->u.list.len;
    gale_value_destroy(&sc);
    return n;
}

/* Reads the spec from the parameters (Storm's conf names as fallbacks).
 * 0 or -EINVAL (reported). */
static int
read_spec(gale_ctx_t *ctx, window_t *w)
{
    win_spec_t *s = &w->spec;
    int64_t len_ms = param_or_conf(ctx, "length_ms",
        "topology.bolts.window.length.duration.ms", 0);
    int64_t slide_ms = param_or_conf(ctx, "slide_ms",
        "topology.bolts.window.sliding.interval.duration.ms", 0);
    int64_t len_n = param_or_conf(ctx, "length_count",
        "topology.bolts.window.length.count", 0);
    int64_t slide_n = param_or_conf(ctx, "slide_count",
        "topology.bolts.window.sliding.interval.count", 0);
    int64_t gap = param_or_conf(ctx, "gap_ms", NULL, 0);
    const char *agg = gale_ctx_param_str(ctx, "aggregate",
        w->inner != NULL ? "collect" : "count");
    const char *why = NULL;
    int kinds = (len_ms > 0) + (len_n > 0) + (gap > 0), i;

    if (kinds != 1) {
        gale_ctx_report_error(ctx, "window: set exactly one of length_ms "
            "(tumbling or, with slide_ms, sliding by time), length_count "
            "(by count, with slide_count to slide) or gap_ms (sessions)");
        return -EINVAL;
    }
    if (gap > 0)
        s->kind = WIN_SESSION, s->gap = gap;
    else if (len_ms > 0) {
        s->length = len_ms;
        s->slide = slide_ms > 0 ? slide_ms : len_ms;
        s->kind = s->slide == len_ms ? WIN_TUMBLING : WIN_SLIDING;
    } else {
        s->length = len_n;
        s->slide = slide_n > 0 ? slide_n : len_n;
        s->kind = s->slide == len_n ? WIN_COUNT_TUMBLING : WIN_COUNT_SLIDING;
    }
    if ((len_ms > 0 && slide_n > 0) || (len_n > 0 && slide_ms > 0)) {
        gale_ctx_report_error(ctx, "window: a duration window slides by "
            "slide_ms and a count window by slide_count, not the other way");
        return -EINVAL;
    }
    s->lateness = param_or_conf(ctx, "lateness_ms", NULL, 0);
    s->top_n = (int)gale_ctx_param_int(ctx, "top_n", 10);
    for (i = 1; i <= AGG_COLLECT; i++)
        if (strcmp(agg, agg_names[i]) == 0)
            s->agg = (enum win_agg)i;
    if (s->agg == 0) {
        gale_ctx_report_error(ctx, "window: aggregate \"%s\" is not one of "
            "count, sum, min, max, avg, distinct, top, collect", agg);
        return -EINVAL;
    }
    if (win_spec_check(s, &why) != 0) {
        gale_ctx_report_error(ctx, "window: %s", why);
        return -EINVAL;
    }
    if (s->agg != AGG_COUNT && w->val_name == NULL) {
        gale_ctx_report_error(ctx, "window: aggregate \"%s\" needs `value`, "
            "the field it aggregates", agg);
        return -EINVAL;
    }
    if (!win_spec_timed(s) && w->ts_name != NULL) {
        gale_ctx_report_error(ctx, "window: count windows take tuples in "
            "arrival order; drop timestamp_field, or use length_ms");
        return -EINVAL;
    }
    return 0;
}

/* Reads `key`: one field name or a list of them. 0 or -EINVAL. */
static int
read_keys(gale_ctx_t *ctx, window_t *w)
{
    const gale_value_t *v = gale_ctx_param(ctx, "key");
    size_t i, n;

    if (v == NULL)
        return 0;
    if (v->type == GALE_STRING)
        n = 1;
    else if (v->type == GALE_LIST)
        n = v->u.list.len;
    else {
        gale_ctx_report_error(ctx, "window: `key` must be a field name or a "
            "list of them");
        return -EINVAL;
    }
    w->keys = calloc(n ? n : 1, sizeof *w->keys);
    w->keyf = calloc(n ? n : 1, sizeof *w->keyf);
    if (w->keys == NULL || w->keyf == NULL)
        return -ENOMEM;
    for (i = 0; i < n; i++) {
        const gale_value_t *f = v->type == GALE_STRING ? v : v->u.list.items[i];

        if (f->type != GALE_STRING) {
            gale_ctx_report_error(ctx, "window: `key` must list field names");
            return -EINVAL;
        }
        if ((w->keys[i] = strdup(f->u.s.ptr)) == NULL)
            return -ENOMEM;
        w->keyf[i] = GALE_FIELD_INIT(w->keys[i]);
        w->nkeys++;
    }
    return 0;
}

/* Reads the parameters into a new window_t; inner: the windowed bolt it
 * hosts, or NULL for the window bolt itself (then the output is checked
 * against the declared fields). 0 or -errno (reported). */
static int
window_open(gale_ctx_t *ctx, const gale_component_def_t *inner,
    window_t **self)
{
    window_t *w = calloc(1, sizeof *w);
    const char *ts, *val, *late;
    int64_t cache;
    long want, nf;
    int rc = -ENOMEM;

    if (w == NULL)
        return -ENOMEM;
    w->late_stream = -1;
    w->inner = inner;
    if ((rc = read_keys(ctx, w)) != 0)
        goto fail;
    ts = str_or_conf(ctx, "timestamp_field",
        "topology.bolts.tuple.timestamp.field.name");
    val = gale_ctx_param_str(ctx, "value", NULL);
    rc = -ENOMEM;
    if ((ts != NULL && (w->ts_name = strdup(ts)) == NULL) ||
        (val != NULL && (w->val_name = strdup(val)) == NULL))
        goto fail;
    w->tsf = GALE_FIELD_INIT(w->ts_name);
    w->valf = GALE_FIELD_INIT(w->val_name);
    if ((rc = read_spec(ctx, w)) != 0)
        goto fail;
    late = str_or_conf(ctx, "late_stream", "topology.bolts.late.tuple.stream");
    if (late != NULL && (w->late_stream = gale_ctx_stream(ctx, late)) < 0) {
        gale_ctx_report_error(ctx, "window: late_stream \"%s\" is not one of "
            "the streams the bolt declares (add it to `streams`, with the "
            "input's fields)", late);
        rc = -EINVAL;
        goto fail;
    }
    want = (long)w->nkeys + (w->spec.agg == AGG_TOP ? 4 : 3);
    if (inner == NULL && (nf = declared_fields(ctx)) != want) {
        gale_ctx_report_error(ctx, "window: the default stream must declare "
            "%ld fields (%s%sstart, end, %s), not %ld", want,
            w->nkeys ? "the key fields" : "", w->nkeys ? ", " : "",
            w->spec.agg == AGG_TOP ? "value, count" : agg_names[w->spec.agg],
            nf < 0 ? 0 : nf);
        rc = -EINVAL;
        goto fail;
    }
    rc = -ENOMEM;
    if ((w->out = calloc((size_t)want, sizeof *w->out)) == NULL ||
        (w->kvals = calloc(w->nkeys ? w->nkeys : 1, sizeof *w->kvals)) == NULL)
        goto fail;
    w->state = w->nkeys > 0 ? gale_ctx_keyed_state(ctx, "windows") :
        gale_ctx_operator_state(ctx, "windows");
    cache = gale_ctx_param_int(ctx, "cache_records", 65536);
    if (cache < 1) {
        gale_ctx_report_error(ctx, "window: cache_records must be at least "
            "1, not %lld", (long long)cache);
        rc = -EINVAL;
        goto fail;
    }
    if ((w->cache = wincache_new(w->state, w->nkeys > 0, (size_t)cache)) ==
        NULL)
        goto fail;
    if (w->ts_name == NULL && win_spec_timed(&w->spec)) {
        int64_t p = w->spec.kind == WIN_SESSION ? w->spec.gap : w->spec.slide;

        p /= 10;
        gale_ctx_clock_watermarks(ctx, (int)(p < 10 ? 10 : p > 1000 ? 1000 : p));
    }
    *self = w;
    return 0;
fail:
    window_cleanup(ctx, w);
    return rc;
}

static int
window_prepare(gale_ctx_t *ctx, void **self)
{
    window_t *w;
    int rc = window_open(ctx, NULL, &w);

    if (rc == 0)
        *self = w;
    return rc;
}

/* Sends a tuple that cannot go into a window to the late stream, if
 * there is one (1), else nothing (0); -errno from emit. */
static int
to_late_stream(gale_ctx_t *ctx, window_t *w, const gale_tuple_t *t)
{
    gale_datum_t d[64];
    size_t i, n = gale_tuple_size(t);

    if (w->late_stream < 0)
        return 0;
    if (n > 64) {
        gale_ctx_report_error(ctx, "window: a late tuple of %zu fields; the "
            "late stream takes at most 64", n);
        return -EINVAL;
    }
    for (i = 0; i < n; i++)
        gale_tuple_get(t, i, &d[i]);
    return gale_emit(ctx, w->late_stream, d, n) == 0 ? 1 : -EINVAL;
}

static int
window_execute(gale_ctx_t *ctx, void *self, const gale_tuple_t *t)
{
    window_t *w = self;
    gale_datum_t ts = gale_d_int(0), val, *valp = NULL;
    int64_t when, wm;
    fire_arg_t fa = { ctx, w };
    const char *why = "";
    win_rec_t *rec;
    size_t i, klen;
    int kg = -1, rc;

    if (gale_tuple_is_tick(t))
        return 0;
    for (i = 0; i < w->nkeys; i++) {
        if (gale_tuple_field(t, &w->keyf[i], &w->kvals[i]) != 0) {
            gale_ctx_report_error(ctx, "window: a tuple from %s (stream %s) "
                "has no key field `%s`", gale_tuple_component(t),
                gale_tuple_stream(t), w->keys[i]);
            return -EINVAL;
        }
    }
    if (w->ts_name != NULL) {
        if (gale_tuple_field(t, &w->tsf, &ts) != 0 || ts.type != GALE_INT) {
            gale_ctx_count(ctx, "bad_timestamp", 1);
            if ((rc = to_late_stream(ctx, w, t)) != 0)
                return rc < 0 ? rc : 0;
            gale_ctx_report_error(ctx, "window: a tuple from %s (stream %s) "
                "%s `%s`%s", gale_tuple_component(t), gale_tuple_stream(t),
                ts.type == GALE_INT ? "has no timestamp field" :
                "has a timestamp field", w->ts_name,
                ts.type == GALE_INT ? "" : " that is not an integer (ms): "
                "set late_stream to route such tuples there");
            return -EINVAL;
        }
        when = ts.u.i;
        wm = gale_ctx_watermark(ctx);
    } else {
        when = wm = gale_wall_ms();
    }
    if (w->val_name != NULL) {
        if (gale_tuple_field(t, &w->valf, &val) != 0) {
            gale_ctx_report_error(ctx, "window: a tuple from %s (stream %s) "
                "has no value field `%s`", gale_tuple_component(t),
                gale_tuple_stream(t), w->val_name);
            return -EINVAL;
        }
        valp = &val;
    }
    if (w->nkeys > 0 && (kg = gale_ctx_key_group(ctx)) < 0) {
        gale_ctx_report_error(ctx, "window: keyed by `%s`, but the tuples "
            "from %s (stream %s) do not come by a fields grouping on it: "
            "keyed windows need one", w->keys[0], gale_tuple_component(t),
            gale_tuple_stream(t));
        return -EINVAL;
    }
    if ((rc = make_key(w, kg < 0 ? 0 : kg, w->kvals, &klen)) != 0) {
        if (rc == -EINVAL)
            gale_ctx_report_error(ctx, "window: key field `%s` is a list or "
                "a map; a key must be a string, number or boolean",
                w->keys[0]);
        return rc;
    }
    if ((rec = wincache_get(w->cache, ctx, kg < 0 ? 0 : kg, w->kbuf, klen,
        &rc)) == NULL)
        return rc;
    rc = win_rec_add(rec, &w->spec, when, valp, wm, emit_result, &fa, &why);
    if (rc == 1) {
        gale_ctx_count(ctx, "late", 1);
        rc = to_late_stream(ctx, w, t);
        return rc < 0 ? rc : 0;
    }
    if (rc == -EINVAL) {
        gale_ctx_report_error(ctx, "window: a tuple from %s (stream %s) %s "
            "(`%s`, aggregate %s)", gale_tuple_component(t),
            gale_tuple_stream(t), why, w->val_name ? w->val_name : "",
            agg_names[w->spec.agg]);
    }
    if (rc == 0)
        rc = schedule(w, rec, kg < 0 ? 0 : kg, w->kbuf, klen);
    return rc;
}

/* Fires what is due at wm: the timers up to it, each key's record
 * advanced. */
static int
window_on_watermark(gale_ctx_t *ctx, void *self, int64_t wm)
{
    window_t *w = self;
    fire_arg_t fa = { ctx, w };
    win_rec_t *rec;
    wtimer_t t;
    int rc = 0;

    if (w->ts_name == NULL && wm != GALE_EVENT_TIME_END)
        wm = gale_wall_ms();
    while (rc == 0 && w->nheap > 0 && w->heap[0].at <= wm) {
        heap_pop(w, &t);
        if (w->nkeys > 0 && (rc = gale_ctx_scope_key_group(ctx, t.kg)) != 0) {
            free(t.key);
            break;
        }
        if ((rec = wincache_get(w->cache, ctx, t.kg, t.key, t.klen,
            &rc)) != NULL && rec->timer == t.at) {
            read_key(w, t.key, t.klen);
            rec->timer = INT64_MAX;
            rc = win_rec_advance(rec, &w->spec, wm, emit_result, &fa);
            if (rc == 0)
                rc = schedule(w, rec, t.kg, t.key, t.klen);
        }
        free(t.key);
    }
    if (w->nkeys > 0)
        gale_ctx_scope_key_group(ctx, -1);
    return rc;
}

/* Rebuilds the timers from restored state: each record's own. */
static int
timer_of(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
    window_t *w = arg;
    win_rec_t rec;
    int rc;

    if (klen < 2 || win_rec_decode(&rec, val, vlen) != 0)
        return -EIO;
    rc = rec.timer != INT64_MAX ?
        heap_push(w, rec.timer, key_group_of(key), key, klen) : 0;
    win_rec_clear(&rec);
    return rc;
}

/* At the barrier: the changed records go to state, so the checkpoint
 * holds every tuple before it. */
static int
window_snapshot(gale_ctx_t *ctx, void *self, uint64_t checkpoint_id)
{
    window_t *w = self;

    (void)checkpoint_id;
    return wincache_flush(w->cache, ctx);
}

static int
window_restore(gale_ctx_t *ctx, void *self)
{
    window_t *w = self;
    int rc = gale_kv_iterate(w->state, timer_of, w);

    if (rc == -EIO)
        gale_ctx_report_error(ctx, "window: a corrupt entry in restored "
            "state \"windows\"");
    return rc;
}

static const gale_param_spec_t window_params[] = {
    { "key", GALE_NULL, false,
      "field name or list of them: one window set per key (fields grouping "
      "on them upstream); absent: the task's tuples together" },
    { "timestamp_field", GALE_STRING, false,
      "the field with each tuple's event time (integer ms); absent: "
      "processing time" },
    { "length_ms", GALE_INT, false, "window length by time (tumbling, or sliding with slide_ms)" },
    { "slide_ms", GALE_INT, false, "sliding interval by time" },
    { "length_count", GALE_INT, false, "window length in tuples (count windows)" },
    { "slide_count", GALE_INT, false, "sliding interval in tuples" },
    { "gap_ms", GALE_INT, false, "session windows: the gap that closes a session" },
    { "lateness_ms", GALE_INT, false,
      "allowed lateness: a fired window is kept this long for late tuples" },
    { "late_stream", GALE_STRING, false,
      "declared stream that receives late tuples (Storm's withLateTupleStream)" },
    { "aggregate", GALE_STRING, false,
      "count (default), sum, min, max, avg, distinct, top or collect (the window's values as a list)" },
    { "value", GALE_STRING, false, "the field the aggregate reads" },
    { "top_n", GALE_INT, false, "top: how many values per window, default 10" },
    { "cache_records", GALE_INT, false,
      "decoded key records kept between barriers, default 65536" },
    { NULL, GALE_NULL, false, NULL }
};

static const gale_bolt_ops_t window_ops = {
    .prepare = window_prepare,
    .execute = window_execute,
    .restore = window_restore,
    .snapshot = window_snapshot,
    .cleanup = window_cleanup,
    .on_watermark = window_on_watermark,
};

const gale_component_def_t gale_builtin_window = {
    .type = "window",
    .kind = GALE_BOLT,
    .summary = "windows by event or processing time, or by count, with an aggregate per window",
    .params = window_params,
    .bolt = &window_ops,
};

/* ---- hosting a windowed bolt (on_window) ---- */

static int
host_prepare(gale_ctx_t *ctx, void **self)
{
    const gale_component_def_t *inner = gale_ctx_def_data(ctx);
    window_t *w;
    int rc;

    if ((rc = window_open(ctx, inner, &w)) != 0)
        return rc;
    if (inner->bolt->prepare != NULL &&
        (rc = inner->bolt->prepare(ctx, &w->inner_self)) != 0) {
        window_cleanup(ctx, w);
        return rc;
    }
    *self = w;
    return 0;
}

static int
host_finish(gale_ctx_t *ctx, void *self)
{
    window_t *w = self;

    return w->inner->bolt->finish != NULL ?
        w->inner->bolt->finish(ctx, w->inner_self) : 0;
}

static int
host_snapshot(gale_ctx_t *ctx, void *self, uint64_t id)
{
    window_t *w = self;
    int rc = window_snapshot(ctx, self, id);

    if (rc == 0 && w->inner->bolt->snapshot != NULL)
        rc = w->inner->bolt->snapshot(ctx, w->inner_self, id);
    return rc;
}

static int
host_restore(gale_ctx_t *ctx, void *self)
{
    window_t *w = self;
    int rc = window_restore(ctx, self);

    if (rc == 0 && w->inner->bolt->restore != NULL)
        rc = w->inner->bolt->restore(ctx, w->inner_self);
    return rc;
}

static void
host_complete(gale_ctx_t *ctx, void *self, uint64_t id)
{
    window_t *w = self;

    if (w->inner->bolt->checkpoint_complete != NULL)
        w->inner->bolt->checkpoint_complete(ctx, w->inner_self, id);
}

static void
host_cleanup(gale_ctx_t *ctx, void *self)
{
    window_t *w = self;

    if (w == NULL)
        return;
    if (w->inner->bolt->cleanup != NULL)
        w->inner->bolt->cleanup(ctx, w->inner_self);
    window_cleanup(ctx, w);
}

static const gale_bolt_ops_t host_ops = {
    .prepare = host_prepare,
    .execute = window_execute,
    .finish = host_finish,
    .snapshot = host_snapshot,
    .restore = host_restore,
    .checkpoint_complete = host_complete,
    .cleanup = host_cleanup,
    .on_watermark = window_on_watermark,
};

/* A host def, made once per windowed bolt def (the registry's, main
 * thread) and kept for the process, as plugins are. */
typedef struct host_def {
    gale_component_def_t def;
    gale_param_spec_t *params;
    struct host_def *next;
} host_def_t;

static host_def_t *hosts;

const gale_component_def_t *
gale_window_host(const gale_component_def_t *inner)
{
    const gale_param_spec_t *p;
    host_def_t *h;
    size_t n = 0, i, k;

    for (h = hosts; h != NULL; h = h->next)
        if (h->def.data == inner)
            return &h->def;
    for (p = window_params; p->name != NULL; p++)
        n++;
    for (p = inner->params; p != NULL && p->name != NULL; p++)
        n++;
    if ((h = calloc(1, sizeof *h)) == NULL ||
        (h->params = calloc(n + 1, sizeof *h->params)) == NULL) {
        free(h);
        return NULL;
    }
    for (k = 0, p = window_params; p->name != NULL; p++)
        h->params[k++] = *p;
    for (p = inner->params; p != NULL && p->name != NULL; p++) {
        for (i = 0; i < k && strcmp(h->params[i].name, p->name) != 0; i++)
            ;
        if (i == k)             /* a window parameter wins a clash */
            h->params[k++] = *p;
    }
    h->def.type = inner->type;
    h->def.kind = GALE_BOLT;
    h->def.summary = inner->summary;
    h->def.params = h->params;
    h->def.bolt = &host_ops;
    h->def.data = inner;
    h->next = hosts;
    hosts = h;
    return &h->def;
}
