/* task.c - the task context, emit, and the tuple view. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "engine/exec/chain.h"
#include "engine/exec/combiner.h"
#include "engine/wire/keyhash.h"
#include "engine/wire/record.h"
#include "engine/exec/task.h"

/* With state_memory_mb set, caps the task's in-memory state and spills
 * the rest to a LevelDB of its own under <checkpoint dir>/spill/t<id>
 * (rebuilt from checkpoints on restore, so it is not itself durable).
 * 0, or -1 with *cause. */
static int
spill_state(gale_ctx_t *ctx, char **cause)
{
    const gale_topology_t *t = ctx->topo;
    const gale_value_t *v = gale_value_map_get(t->conf, "gale.state.memory.mb");
    char *dir;
    int rc;

    if (v == NULL || v->type != GALE_INT || v->u.i <= 0)
        return 0;
    if (t->checkpoint_dir != NULL)
        xasprintf(&dir, "%s/spill/t%d", t->checkpoint_dir, ctx->task_id);
    else
        xasprintf(&dir, "state/%s/spill/t%d", t->name, ctx->task_id);
    rc = gale_kvstore_set_spill(ctx->state, dir, (size_t)v->u.i << 20, cause);
    free(dir);
    return rc == 0 ? 0 : -1;
}

gale_ctx_t *
gale_task_new(const gale_plan_t *plan, int task_id, gale_outlet_t *outlet,
    gale_out_fn out, void *arg, char **cause)
{
    const gale_topology_t *t = plan->topo;
    const gale_task_t *pt = &plan->tasks[task_id - 1];
    gale_ctx_t *ctx = xcalloc(1, sizeof *ctx);
    const gale_comp_t *c = &t->comps[pt->comp];
    int first, last;
    size_t i;

    ctx->plan = plan;
    ctx->topo = t;
    ctx->comp = c;
    ctx->comp_idx = pt->comp;
    ctx->task_id = task_id;
    ctx->task_index = pt->index;
    ctx->attempt = 1;
    ctx->def = c->def;
    ctx->outlet = outlet;
    snprintf(ctx->origin, sizeof ctx->origin, "%s[%d]", c->id, task_id);
    gale_keygroup_range(pt->index, c->ntasks, t->max_parallelism, &first, &last);
    ctx->kg_first = first;
    ctx->kg_last = last;
    ctx->state = gale_kvstore_new(t->max_parallelism, first, last);
    if (spill_state(ctx, cause) != 0) {
        gale_task_destroy(&ctx);
        return NULL;
    }
    gale_buf_init(&ctx->scratch, 256);
    ctx->npicks = 1;
    for (i = 0; i < t->ncomps; i++)
        if ((size_t)t->comps[i].ntasks > ctx->npicks)
            ctx->npicks = (size_t)t->comps[i].ntasks;
    ctx->picks = xcalloc(ctx->npicks, sizeof *ctx->picks);
    if ((ctx->router = gale_router_new(plan, task_id, out, arg, cause)) == NULL) {
        gale_task_destroy(&ctx);
        return NULL;
    }
    ctx->wm_max = ctx->wm_sent = GALE_WM_NONE;
    if (c->wm_field != NULL) {
        ctx->wm_idx = xcalloc(c->nstreams ? c->nstreams : 1, sizeof *ctx->wm_idx);
        for (i = 0; i < c->nstreams; i++) {
            size_t j;

            ctx->wm_idx[i] = -1;
            for (j = 0; j < c->streams[i].nfields; j++)
                if (strcmp(c->streams[i].fields[j], c->wm_field) == 0)
                    ctx->wm_idx[i] = (int)j;
        }
    }
    return ctx;
}

void
gale_task_destroy(gale_ctx_t **tp)
{
    gale_ctx_t *ctx;
    size_t i;

    if (tp == NULL || (ctx = *tp) == NULL)
        return;
    gale_router_destroy(&ctx->router);
    gale_kvstore_destroy(&ctx->state);
    gale_buf_release(&ctx->scratch);
    free(ctx->dvals);
    for (i = 0; i < ctx->ncounters; i++)
        free(ctx->counters[i].name);
    free(ctx->counters);
    free(ctx->picks);
    free(ctx->last_error);
    free(ctx->wm_idx);
    gale_wmark_destroy(&ctx->wm);
    free(ctx);
    *tp = NULL;
}

/* ---- context accessors ---- */

const char *
gale_ctx_component(const gale_ctx_t *ctx)
{
    return ctx->comp->id;
}

int
gale_ctx_task(const gale_ctx_t *ctx)
{
    return ctx->task_id;
}

void
gale_task_view(const gale_ctx_t *from, int s, const gale_datum_t *vals,
    size_t n, struct gale_tuple *view)
{
    view->vals = vals;
    view->n = n;
    view->decl = &from->comp->streams[s];
    view->component = from->comp->id;
    view->stream = view->decl->id;
    view->source_task = from->task_id;
    view->weight = 1;
}

const void *
gale_ctx_def_data(const gale_ctx_t *ctx)
{
    return ctx->def->data;
}

int
gale_ctx_task_index(const gale_ctx_t *ctx)
{
    return ctx->task_index;
}

int
gale_ctx_ntasks(const gale_ctx_t *ctx)
{
    return ctx->comp->ntasks;
}

int
gale_ctx_parallelism(const gale_ctx_t *ctx)
{
    return ctx->comp->parallelism;
}

uint32_t
gale_ctx_attempt(const gale_ctx_t *ctx)
{
    return ctx->attempt;
}

const gale_value_t *
gale_ctx_param(const gale_ctx_t *ctx, const char *name)
{
    if (ctx->comp->params == NULL)
        return NULL;
    return gale_value_map_get(ctx->comp->params, name);
}

const char *
gale_ctx_param_str(const gale_ctx_t *ctx, const char *name, const char *def)
{
    const gale_value_t *v = gale_ctx_param(ctx, name);

    return v != NULL && v->type == GALE_STRING ? v->u.s.ptr : def;
}

int64_t
gale_ctx_param_int(const gale_ctx_t *ctx, const char *name, int64_t def)
{
    const gale_value_t *v = gale_ctx_param(ctx, name);

    if (v == NULL)
        return def;
    if (v->type == GALE_INT)
        return v->u.i;
    if (v->type == GALE_DOUBLE)
        return (int64_t)v->u.d;
    return def;
}

double
gale_ctx_param_double(const gale_ctx_t *ctx, const char *name, double def)
{
    const gale_value_t *v = gale_ctx_param(ctx, name);

    if (v == NULL)
        return def;
    if (v->type == GALE_DOUBLE)
        return v->u.d;
    if (v->type == GALE_INT)
        return (double)v->u.i;
    return def;
}

bool
gale_ctx_param_bool(const gale_ctx_t *ctx, const char *name, bool def)
{
    const gale_value_t *v = gale_ctx_param(ctx, name);

    return v != NULL && v->type == GALE_BOOL ? v->u.b : def;
}

const gale_value_t *
gale_ctx_conf(const gale_ctx_t *ctx)
{
    /* The loader stores the topology's conf merged with the component's. */
    return ctx->comp->conf;
}

int
gale_ctx_stream(const gale_ctx_t *ctx, const char *name)
{
    int i = gale_comp_find_stream(ctx->comp, name);

    return i < 0 ? -ENOENT : i;
}

void
gale_ctx_accept_weights(gale_ctx_t *ctx)
{
    ctx->weights = true;
}

int64_t
gale_ctx_watermark(const gale_ctx_t *ctx)
{
    if (ctx->wm_idx != NULL && ctx->def != NULL && ctx->def->kind == GALE_SPOUT)
        return ctx->wm_max == GALE_WM_NONE ? GALE_WM_NONE :
            ctx->wm_max - ctx->comp->wm_lag_ms - 1;
    return ctx->wm != NULL ? gale_wmark_current(ctx->wm) : GALE_WM_NONE;
}

void
gale_ctx_clock_watermarks(gale_ctx_t *ctx, int interval_ms)
{
    ctx->clock_wm_ns = (uint64_t)(interval_ms < 1 ? 1 : interval_ms) * 1000000u;
    ctx->clock_wm_next_ns = gale_now_ns() + ctx->clock_wm_ns;
}

int
gale_ctx_key_group(const gale_ctx_t *ctx)
{
    return gale_kvstore_keygroup(ctx->state);
}

int
gale_ctx_scope_key_group(gale_ctx_t *ctx, int kg)
{
    if (kg != -1 && (kg < ctx->kg_first || kg > ctx->kg_last))
        return -ERANGE;
    gale_kvstore_set_keygroup(ctx->state, kg);
    return 0;
}

int
gale_task_note_time(gale_ctx_t *ctx, int s, const gale_datum_t *vals)
{
    int k = ctx->wm_idx[s];

    if (k < 0)
        return 0;
    if (vals[k].type != GALE_INT) {
        gale_ctx_report_error(ctx, "field `%s` of a tuple emitted on stream "
            "`%s` is %s, not an event time (integer milliseconds)",
            ctx->comp->wm_field, ctx->comp->streams[s].id,
            gale_type_name(vals[k].type));
        return -EINVAL;
    }
    if (vals[k].u.i > ctx->wm_max)
        ctx->wm_max = vals[k].u.i;
    return 0;
}

gale_kv_t *
gale_ctx_keyed_state(gale_ctx_t *ctx, const char *name)
{
    return gale_kvstore_keyed(ctx->state, name);
}

gale_kv_t *
gale_ctx_operator_state(gale_ctx_t *ctx, const char *name)
{
    return gale_kvstore_operator(ctx->state, name);
}

void
gale_ctx_log(gale_ctx_t *ctx, int level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vmsg(level, ctx->origin, fmt, ap);
    va_end(ap);
}

void
gale_ctx_report_error(gale_ctx_t *ctx, const char *fmt, ...)
{
    va_list ap;

    free(ctx->last_error);
    va_start(ap, fmt);
    xvasprintf(&ctx->last_error, fmt, ap);
    va_end(ap);
    ctx->stats.errors++;
    log_msg(LOG_ERROR, ctx->origin, "%s", ctx->last_error);
}

void
gale_ctx_count(gale_ctx_t *ctx, const char *name, int64_t delta)
{
    size_t i;

    for (i = 0; i < ctx->ncounters; i++) {
        if (strcmp(ctx->counters[i].name, name) == 0) {
            ctx->counters[i].value += delta;
            return;
        }
    }
    ctx->counters = xreallocarray(ctx->counters, ctx->ncounters + 1,
        sizeof *ctx->counters);
    ctx->counters[ctx->ncounters].name = xstrdup(name);
    ctx->counters[ctx->ncounters++].value = delta;
}

void
gale_ctx_process_latency(gale_ctx_t *ctx, uint64_t ns)
{
    gale_hist_record_n(&ctx->stats.done_lat, ns, 1);
}

/* ---- emit ---- */

/* A tuple being emitted: its values and, once sized for a key group,
 * the size of its record. */
typedef struct emission {
    unsigned stream;
    const gale_datum_t *vals;
    size_t n;
    int kg;                         /* key group sized for; -2 = none yet */
    size_t size;                    /* record bytes for kg */
    size_t body;                    /* for gale_record_write */
} emission_t;

/* Writes the tuple's record for key group kg straight into the batch of
 * target pick of route rt. 0 or -errno (-EINVAL: an invalid value). */
static int
send_to(gale_ctx_t *ctx, emission_t *em, const gale_route_t *rt, int pick,
    int kg)
{
    uint8_t *p;
    int rc = 0;

    if (kg != em->kg) {
        em->size = gale_record_size(em->stream, kg, 0, em->vals, em->n,
            &em->body);
        if (em->size == 0)
            return -EINVAL;
        em->kg = kg;
    }
    ctx->stats.transferred++;
    if ((p = gale_outlet_room(ctx->outlet, rt->outs[pick], em->size, false,
        &rc)) == NULL)
        return rc;
    gale_record_write(p, em->body, em->stream, kg, 0, em->vals, em->n);
    return gale_outlet_commit(ctx->outlet, rt->outs[pick], em->size);
}

/* A route being drained, for drain_one. */
typedef struct drain_ref {
    gale_ctx_t *ctx;
    gale_route_t *rt;
} drain_ref_t;

/* A combiner drain callback: routes one distinct tuple (its encoding, a
 * record without key group) and sends it with its weight. */
static int
drain_one(void *arg, const uint8_t *enc, size_t len, uint64_t weight)
{
    drain_ref_t *d = arg;
    gale_ctx_t *ctx = d->ctx;
    gale_batch_reader_t r = { enc, enc + len, 1, false };
    gale_record_t rec;
    size_t body, sz;
    uint8_t *p;
    int nf, k, i, kg, rc = 0;

    if (gale_batch_next(&r, &rec) != 1)
        return -EPROTO;
    while ((nf = gale_record_fields(&rec, ctx->dvals, ctx->dcap)) == -ENOSPC) {
        ctx->dcap = ctx->dcap ? ctx->dcap * 2 : 16;
        ctx->dvals = xreallocarray(ctx->dvals, ctx->dcap, sizeof *ctx->dvals);
    }
    if (nf < 0)
        return nf;
    k = gale_route_choose(d->rt, ctx->task_id, ctx->dvals, (size_t)nf, NULL,
        ctx->picks, &kg);
    if (k < 0)
        return k;
    sz = gale_record_size(rec.stream, kg, weight, ctx->dvals, (size_t)nf, &body);
    if (sz == 0)
        return -EINVAL;
    for (i = 0; i < k; i++) {
        int out = d->rt->outs[ctx->picks[i]];

        if ((p = gale_outlet_room(ctx->outlet, out, sz, true, &rc)) == NULL)
            return rc;
        gale_record_write(p, body, rec.stream, kg, weight, ctx->dvals,
            (size_t)nf);
        if ((rc = gale_outlet_commit(ctx->outlet, out, sz)) != 0)
            return rc;
    }
    return 0;
}

/* Sends what route rt's combiner holds. 0 or -errno. */
static int
drain_route(gale_ctx_t *ctx, gale_route_t *rt)
{
    drain_ref_t d = { ctx, rt };

    if (gale_combiner_count(rt->comb) == 0)
        return 0;
    return gale_combiner_drain(rt->comb, drain_one, &d);
}

int
gale_task_drain(gale_ctx_t *ctx)
{
    size_t s, r;
    int rc;

    if (ctx->comb_due_ns == 0)
        return 0;
    for (s = 0; s < ctx->router->nstreams; s++) {
        for (r = 0; r < ctx->router->streams[s].nroutes; r++) {
            gale_route_t *rt = &ctx->router->streams[s].routes[r];

            if (rt->comb != NULL && (rc = drain_route(ctx, rt)) != 0)
                return rc;
        }
    }
    ctx->comb_due_ns = 0;
    return 0;
}

/* Adds the tuple to route rt's combiner (sending what it holds first
 * when it is full). A caller that wants the tasks is told the one task a
 * fields or global grouping gives it. 0 or -errno. */
static int
combine_to(gale_ctx_t *ctx, emission_t *em, gale_route_t *rt,
    const gale_emit_opts_t *opts, size_t *ntasks)
{
    uint8_t small[64], *p = small;
    size_t body, sz = gale_record_put_small(small, sizeof small, em->stream,
        -1, 0, em->vals, em->n);
    int k, kg, rc;

    if (sz == 0) {
        /* Not small: two passes, in scratch if need be. */
        if ((sz = gale_record_size(em->stream, -1, 0, em->vals, em->n,
            &body)) == 0)
            return -EINVAL;
        if (sz > sizeof small) {
            gale_buf_reset(&ctx->scratch);
            p = gale_buf_reserve(&ctx->scratch, sz);
        }
        gale_record_write(p, body, em->stream, -1, 0, em->vals, em->n);
    }
    if ((rc = gale_combiner_add(rt->comb, p, sz)) == -ENOSPC &&
        (rc = drain_route(ctx, rt)) == 0)
        rc = gale_combiner_add(rt->comb, p, sz);
    if (rc == -ENOSPC) {
        /* Larger than the combiner: it goes on its own. */
        if ((k = gale_route_choose(rt, ctx->task_id, em->vals, em->n, NULL,
            ctx->picks, &kg)) < 0)
            return k;
        return k > 0 ? send_to(ctx, em, rt, ctx->picks[0], kg) : 0;
    }
    if (rc != 0)
        return rc;
    ctx->stats.transferred++;
    if (ctx->comb_due_ns == 0)
        ctx->comb_due_ns = gale_now_ns() +
            (uint64_t)ctx->topo->combine_interval_ms * 1000000u;
    if (opts->tasks_out != NULL || opts->ntasks_out != NULL) {
        if ((k = gale_route_choose(rt, ctx->task_id, em->vals, em->n, NULL,
            ctx->picks, &kg)) < 0)
            return k;
        if (k > 0 && opts->tasks_out != NULL && *ntasks < opts->tasks_cap)
            opts->tasks_out[*ntasks] = rt->targets[ctx->picks[0]];
        *ntasks += k > 0;
    } else if (rt->ntargets > 0) {
        (*ntasks)++;
    }
    return 0;
}

/* Logs an emitted tuple when topology.debug is on. */
static void
debug_emit(gale_ctx_t *ctx, int stream, const gale_datum_t *vals, size_t n)
{
    char line[512];
    size_t i, k = 0;

    for (i = 0; i < n && k < sizeof line - 32; i++) {
        const gale_datum_t *d = &vals[i];
        int w;

        switch (d->type) {
        case GALE_STRING:
            w = snprintf(line + k, sizeof line - k, "%s\"%.*s\"", i ? ", " : "",
                (int)(d->u.s.len > 64 ? 64 : d->u.s.len), (const char *)d->u.s.ptr);
            break;
        case GALE_INT:
            w = snprintf(line + k, sizeof line - k, "%s%lld", i ? ", " : "",
                (long long)d->u.i);
            break;
        case GALE_DOUBLE:
            w = snprintf(line + k, sizeof line - k, "%s%g", i ? ", " : "", d->u.d);
            break;
        case GALE_BOOL:
            w = snprintf(line + k, sizeof line - k, "%s%s", i ? ", " : "",
                d->u.b ? "true" : "false");
            break;
        default:
            w = snprintf(line + k, sizeof line - k, "%s<%s>", i ? ", " : "",
                gale_type_name(d->type));
            break;
        }
        if (w < 0)
            break;
        k += (size_t)w < sizeof line - k ? (size_t)w : sizeof line - k - 1;
    }
    line[k] = '\0';
    log_msg(LOG_INFO, ctx->origin, "Emitting: %s [%s]",
        ctx->comp->streams[stream].id, line);
}

int
gale_emit_ex(gale_ctx_t *ctx, const gale_emit_opts_t *opts,
    const gale_datum_t *vals, size_t n)
{
    const gale_stream_out_t *so;
    struct gale_tuple view;
    emission_t em;
    size_t r, ntasks = 0;
    int s = opts->stream, i, k, kg, rc;

    if (s < 0 || (size_t)s >= ctx->router->nstreams)
        return -ENOENT;
    so = &ctx->router->streams[s];
    if (n != so->nfields)
        return -EINVAL;
    if (ctx->topo->debug)
        debug_emit(ctx, s, vals, n);
    if (ctx->wm_idx != NULL && (rc = gale_task_note_time(ctx, s, vals)) != 0)
        return rc;
    em.stream = (unsigned)s;
    em.vals = vals;
    em.n = n;
    em.kg = -2;
    if (opts->direct_task >= 0) {
        if (!so->direct) {
            gale_ctx_report_error(ctx, "Cannot emitDirect to a task expecting "
                "a regular grouping (stream %s)", ctx->comp->streams[s].id);
            return -EPERM;
        }
        for (r = 0; r < so->nroutes; r++) {
            const gale_route_t *rt = &so->routes[r];

            for (i = 0; i < rt->ntargets; i++) {
                if (rt->targets[i] != opts->direct_task)
                    continue;
                if ((rc = send_to(ctx, &em, rt, i, -1)) != 0)
                    return rc;
                if (opts->tasks_out != NULL && ntasks < opts->tasks_cap)
                    opts->tasks_out[ntasks] = rt->targets[i];
                ntasks++;
            }
        }
        if (ntasks == 0)
            return -ESRCH;
        goto done;
    }
    if (so->direct) {
        gale_ctx_report_error(ctx, "Cannot do regular emit to direct stream %s",
            ctx->comp->streams[s].id);
        return -EPERM;
    }
    if (so->custom) {
        /* Only a custom grouping reads the tuple as a tuple. */
        gale_task_view(ctx, s, vals, n, &view);
    }
    for (r = 0; r < so->nroutes; r++) {
        gale_route_t *rt = &so->routes[r];

        if (rt->fused != NULL) {
            /* Chained (chain.h): only a fields grouping's key group is
             * wanted of the router. */
            kg = -1;
            if (rt->grouping == GALE_GROUPING_FIELDS &&
                (k = gale_route_choose(rt, ctx->task_id, vals, n, NULL,
                ctx->picks, &kg)) < 0)
                return k;
            if ((rc = gale_chain_push(ctx, rt->fused, s, vals, n, kg)) != 0)
                return rc;
            if (opts->tasks_out != NULL && ntasks < opts->tasks_cap)
                opts->tasks_out[ntasks] = rt->targets[0];
            ntasks++;
            continue;
        }
        if (rt->comb != NULL) {
            if ((rc = combine_to(ctx, &em, rt, opts, &ntasks)) != 0)
                return rc;
            continue;
        }
        k = gale_route_choose(rt, ctx->task_id, vals, n,
            so->custom ? &view : NULL, ctx->picks, &kg);
        if (k < 0)
            return k;
        for (i = 0; i < k; i++) {
            if ((rc = send_to(ctx, &em, rt, ctx->picks[i], kg)) != 0)
                return rc;
            if (opts->tasks_out != NULL && ntasks < opts->tasks_cap)
                opts->tasks_out[ntasks] = rt->targets[ctx->picks[i]];
            ntasks++;
        }
    }
done:
    ctx->stats.emitted++;
    if (opts->ntasks_out != NULL)
        *opts->ntasks_out = ntasks;
    return 0;
}

int
gale_emit(gale_ctx_t *ctx, int stream, const gale_datum_t *vals, size_t n)
{
    gale_emit_opts_t o = { .stream = stream, .direct_task = -1 };

    return gale_emit_ex(ctx, &o, vals, n);
}

int
gale_emit_direct(gale_ctx_t *ctx, int task, int stream,
    const gale_datum_t *vals, size_t n)
{
    gale_emit_opts_t o = { .stream = stream, .direct_task = task };

    return gale_emit_ex(ctx, &o, vals, n);
}

int
gale_spout_emit(gale_ctx_t *ctx, int stream, const gale_datum_t *vals,
    size_t n, uint64_t msgid)
{
    gale_emit_opts_t o = { .stream = stream, .direct_task = -1,
        .has_msgid = true, .msgid = msgid };

    return gale_emit_ex(ctx, &o, vals, n);
}

/* ---- the tuple view ---- */

size_t
gale_tuple_size(const gale_tuple_t *t)
{
    return t->n;
}

int
gale_tuple_get(const gale_tuple_t *t, size_t i, gale_datum_t *d)
{
    const gale_datum_t *v;

    if (i >= t->n)
        return -ERANGE;
    /* Member by member: the decoder has just written this datum with a
     * 4- and two 8-byte stores, and a wider load spanning two of them
     * (what *d = *v compiles to) cannot be forwarded from them. */
    v = &t->vals[i];
    d->type = v->type;
    d->u.s.ptr = v->u.s.ptr;
    d->u.s.len = v->u.s.len;
    return 0;
}

int
gale_tuple_index(const gale_tuple_t *t, const char *name)
{
    size_t i;

    if (t->decl == NULL)
        return strcmp(name, "rate_secs") == 0 && t->n == 1 ? 0 : -ENOENT;
    for (i = 0; i < t->decl->nfields; i++)
        if (strcmp(t->decl->fields[i], name) == 0)
            return (int)i;
    return -ENOENT;
}

int
gale_tuple_get_by_name(const gale_tuple_t *t, const char *name, gale_datum_t *d)
{
    int i = gale_tuple_index(t, name);

    if (i < 0)
        return i;
    return gale_tuple_get(t, (size_t)i, d);
}

int
gale_tuple_field(const gale_tuple_t *t, gale_field_t *f, gale_datum_t *d)
{
    int i;

    if (t->decl == NULL || t->decl != f->decl) {
        /* Another stream (or a tick): look the name up, remember it. */
        i = gale_tuple_index(t, f->name);
        if (t->decl != NULL) {
            f->decl = t->decl;
            f->index = i;
        }
    } else {
        i = f->index;
    }
    if (i < 0)
        return i;
    return gale_tuple_get(t, (size_t)i, d);
}

gale_value_t *
gale_tuple_value(const gale_tuple_t *t, size_t i)
{
    if (i >= t->n)
        return NULL;
    return gale_datum_to_value(&t->vals[i]);
}

const char *
gale_tuple_component(const gale_tuple_t *t)
{
    return t->component;
}

const char *
gale_tuple_stream(const gale_tuple_t *t)
{
    return t->stream;
}

int
gale_tuple_source_task(const gale_tuple_t *t)
{
    return t->source_task;
}

uint64_t
gale_tuple_weight(const gale_tuple_t *t)
{
    return t->weight > 1 ? t->weight : 1;
}

bool
gale_tuple_is_tick(const gale_tuple_t *t)
{
    return t->source_task == -1 && strcmp(t->stream, "__tick") == 0;
}

/* ---- Storm's TopologyContext, for multilang ---- */

/* A LIST of the n strings at s. */
static gale_value_t *
string_list(char *const *s, size_t n)
{
    gale_value_t *l = gale_value_list();
    size_t i;

    for (i = 0; i < n; i++)
        gale_value_list_append(l, gale_value_string(s[i], strlen(s[i])));
    return l;
}

/* {"type": <Thrift name>[, "fields": [...]]} for edge e. */
static gale_value_t *
grouping_value(const gale_edge_t *e)
{
    const char *name = gale_grouping_storm_name(e->grouping);
    gale_value_t *g = gale_value_map();

    gale_value_map_set(g, "type", gale_value_string(name, strlen(name)));
    if (e->grouping == GALE_GROUPING_FIELDS ||
        e->grouping == GALE_GROUPING_PARTIAL_KEY)
        gale_value_map_set(g, "fields", string_list(e->fields, e->nfields));
    return g;
}

/* The MAP under key in map, created empty when absent. Borrowed. */
static gale_value_t *
submap(gale_value_t *map, const char *key)
{
    const gale_value_t *v = gale_value_map_get(map, key);

    if (v == NULL) {
        gale_value_map_set(map, key, gale_value_map());
        v = gale_value_map_get(map, key);
    }
    return (gale_value_t *)v;
}

gale_value_t *
gale_ctx_storm_context(const gale_ctx_t *ctx)
{
    const gale_topology_t *t = ctx->topo;
    const gale_comp_t *c = ctx->comp, *src;
    gale_value_t *m = gale_value_map(), *v, *sub;
    char key[24];
    size_t i;

    v = gale_value_map();
    for (i = 0; i < ctx->plan->ntasks; i++) {
        const char *id = t->comps[ctx->plan->tasks[i].comp].id;

        snprintf(key, sizeof key, "%d", ctx->plan->tasks[i].id);
        gale_value_map_set(v, key, gale_value_string(id, strlen(id)));
    }
    gale_value_map_set(m, "task->component", v);
    gale_value_map_set(m, "taskid", gale_value_int(ctx->task_id));
    gale_value_map_set(m, "componentid", gale_value_string(c->id, strlen(c->id)));
    v = gale_value_list();
    for (i = 0; i < c->nstreams; i++)
        gale_value_list_append(v, gale_value_string(c->streams[i].id,
            strlen(c->streams[i].id)));
    gale_value_map_set(m, "streams", v);
    v = gale_value_map();
    for (i = 0; i < c->nstreams; i++)
        gale_value_map_set(v, c->streams[i].id,
            string_list(c->streams[i].fields, c->streams[i].nfields));
    gale_value_map_set(m, "stream->outputfields", v);
    v = gale_value_map();
    for (i = 0; i < t->nedges; i++) {
        const gale_edge_t *e = &t->edges[i];

        if (e->from != ctx->comp_idx)
            continue;
        sub = submap(v, e->stream);
        gale_value_map_set(sub, t->comps[e->to].id, grouping_value(e));
    }
    gale_value_map_set(m, "stream->target->grouping", v);
    v = gale_value_map();
    for (i = 0; i < t->nedges; i++) {
        const gale_edge_t *e = &t->edges[i];

        if (e->to != ctx->comp_idx)
            continue;
        sub = submap(v, t->comps[e->from].id);
        gale_value_map_set(sub, e->stream, grouping_value(e));
    }
    gale_value_map_set(m, "source->stream->grouping", v);
    v = gale_value_map();
    for (i = 0; i < t->nedges; i++) {
        const gale_edge_t *e = &t->edges[i];

        if (e->to != ctx->comp_idx)
            continue;
        src = &t->comps[e->from];
        sub = submap(v, src->id);
        gale_value_map_set(sub, e->stream, string_list(
            src->streams[e->stream_idx].fields,
            src->streams[e->stream_idx].nfields));
    }
    gale_value_map_set(m, "source->stream->fields", v);
    return m;
}

bool
gale_ctx_cancelled(gale_ctx_t *ctx)
{
    return gale_outlet_cancelled(ctx->outlet);
}
