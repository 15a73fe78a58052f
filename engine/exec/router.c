/* router.c - Storm's groupings over the plan's channels. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/rand.h"
#include "common/xalloc.h"
#include "engine/wire/frame.h"
#include "engine/wire/keyhash.h"
#include "engine/exec/combiner.h"
#include "engine/exec/router.h"

/* Fills rt for edge e of the sending task. 0 or -errno. */
static int
route_init(gale_route_t *rt, const gale_plan_t *plan, int e, int task_id,
    gale_out_fn out, void *arg, char **cause)
{
    const gale_topology_t *t = plan->topo;
    const gale_edge_t *edge = &t->edges[e];
    const gale_comp_t *to = &t->comps[edge->to];
    int i, ch, rc;

    rt->edge = e;
    rt->grouping = edge->grouping;
    if (edge->combine)
        rt->comb = gale_combiner_new((uint32_t)t->combine_entries,
            t->batch_bytes - GALE_FRAME_HDR_SIZE);
    rt->targets = xcalloc((size_t)to->ntasks, sizeof *rt->targets);
    rt->outs = xcalloc((size_t)to->ntasks, sizeof *rt->outs);
    rt->ntargets = gale_plan_edge_targets(plan, e, task_id, rt->targets);
    rt->all_tasks = rt->ntargets == to->ntasks;
    rt->field_idx = edge->field_idx;
    rt->nfields = edge->nfields;
    rt->max_parallelism = t->max_parallelism;
    rt->rng = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)task_id << 32) ^ (uint64_t)e;
    for (i = 0; i < rt->ntargets; i++) {
        if (plan->chained[e]) {
            rt->outs[i] = -1;       /* no channel: the executor fuses it */
            continue;
        }
        if ((ch = gale_plan_channel(plan, task_id, rt->targets[i])) < 0) {
            xasprintf(cause, "no channel from task %d to task %d",
                task_id, rt->targets[i]);
            return -ENOENT;
        }
        if ((rc = out(arg, ch)) < 0) {
            xasprintf(cause, "channel %d: %s", ch, strerror(-rc));
            return rc;
        }
        rt->outs[i] = rc;
    }
    switch (rt->grouping) {
    case GALE_GROUPING_SHUFFLE:
    case GALE_GROUPING_LOCAL_OR_SHUFFLE:
        /* Storm's classic shuffle: round-robin over a list shuffled once. */
        rt->order = xcalloc((size_t)rt->ntargets + 1, sizeof *rt->order);
        for (i = 0; i < rt->ntargets; i++)
            rt->order[i] = i;
        for (i = rt->ntargets - 1; i > 0; i--) {
            int j = (int)(gale_xorshift64s(&rt->rng) % (uint64_t)(i + 1));
            int tmp = rt->order[i];

            rt->order[i] = rt->order[j];
            rt->order[j] = tmp;
        }
        break;
    case GALE_GROUPING_FIELDS:
        /* The key group of H and its task, as gale_keygroup and
         * gale_keygroup_task define them, without a division per tuple. */
        rt->kg_pow2 = (t->max_parallelism & (t->max_parallelism - 1)) == 0;
        rt->kg_mask = (uint64_t)t->max_parallelism - 1;
        rt->kg_pick = xcalloc((size_t)t->max_parallelism, sizeof *rt->kg_pick);
        for (i = 0; i < t->max_parallelism && rt->ntargets > 0; i++)
            rt->kg_pick[i] = gale_keygroup_task(i, rt->ntargets,
                t->max_parallelism);
        break;
    case GALE_GROUPING_PARTIAL_KEY:
        rt->sent = xcalloc((size_t)rt->ntargets + 1, sizeof *rt->sent);
        break;
    case GALE_GROUPING_CUSTOM:
        rt->custom = edge->custom_def;
        if (rt->custom == NULL) {
            xasprintf(cause, "custom grouping %s is not loaded", edge->custom);
            return -ENOENT;
        }
        if (rt->custom->prepare != NULL &&
            (rc = rt->custom->prepare(edge->custom_args, rt->ntargets,
            &rt->custom_self)) != 0) {
            xasprintf(cause, "custom grouping %s: prepare failed: %s",
                edge->custom, strerror(rc < 0 ? -rc : rc));
            return rc < 0 ? rc : -EINVAL;
        }
        break;
    default:
        break;
    }
    return 0;
}

static void
route_free(gale_route_t *rt)
{
    if (rt->custom != NULL && rt->custom->cleanup != NULL)
        rt->custom->cleanup(rt->custom_self);
    free(rt->targets);
    free(rt->outs);
    free(rt->order);
    free(rt->sent);
    free(rt->kg_pick);
    gale_combiner_destroy(&rt->comb);
}

gale_router_t *
gale_router_new(const gale_plan_t *plan, int task_id, gale_out_fn out,
    void *arg, char **cause)
{
    const gale_topology_t *t = plan->topo;
    const gale_task_t *task = &plan->tasks[task_id - 1];
    const gale_comp_t *c = &t->comps[task->comp];
    gale_router_t *r = xcalloc(1, sizeof *r);
    gale_stream_out_t *so;
    size_t e, s;
    char *why = NULL;

    r->nstreams = c->nstreams;
    r->streams = xcalloc(c->nstreams + 1, sizeof *r->streams);
    for (s = 0; s < c->nstreams; s++) {
        r->streams[s].direct = c->streams[s].direct;
        r->streams[s].nfields = c->streams[s].nfields;
    }
    for (e = 0; e < t->nedges; e++) {
        const gale_edge_t *edge = &t->edges[e];

        if (edge->from != task->comp)
            continue;
        so = &r->streams[edge->stream_idx];
        so->custom |= edge->grouping == GALE_GROUPING_CUSTOM;
        so->routes = xreallocarray(so->routes, so->nroutes + 1,
            sizeof *so->routes);
        memset(&so->routes[so->nroutes], 0, sizeof so->routes[0]);
        if (route_init(&so->routes[so->nroutes++], plan, (int)e, task_id,
            out, arg, &why) != 0) {
            if (cause != NULL)
                xasprintf(cause, "task %d (%s): %s", task_id, c->id, why);
            free(why);
            gale_router_destroy(&r);
            return NULL;
        }
    }
    return r;
}

void
gale_router_destroy(gale_router_t **rp)
{
    gale_router_t *r;
    size_t s, i;

    if (rp == NULL || (r = *rp) == NULL)
        return;
    for (s = 0; s < r->nstreams; s++) {
        for (i = 0; i < r->streams[s].nroutes; i++)
            route_free(&r->streams[s].routes[i]);
        free(r->streams[s].routes);
    }
    free(r->streams);
    free(r);
    *rp = NULL;
}

/* H over the route's grouping fields of vals, in grouping order. */
static uint64_t
key_hash(const gale_route_t *rt, const gale_datum_t *vals, size_t n)
{
    gale_datum_t sel[16], *selp = sel;
    uint64_t h;
    size_t i;

    if (rt->nfields == 1 && (size_t)rt->field_idx[0] < n)
        return gale_keyhash(&vals[rt->field_idx[0]], 1);   /* the usual case */
    if (rt->nfields > 16)
        selp = xcalloc(rt->nfields, sizeof *selp);
    else
        memset(sel, 0, sizeof sel);
    for (i = 0; i < rt->nfields; i++)
        selp[i] = (size_t)rt->field_idx[i] < n ? vals[rt->field_idx[i]] :
            gale_d_null();
    h = gale_keyhash(selp, rt->nfields);
    if (selp != sel)
        free(selp);
    return h;
}

int
gale_route_choose(gale_route_t *rt, int source_task, const gale_datum_t *vals,
    size_t n, const gale_tuple_t *view, int *picks, int *kg)
{
    uint64_t h;
    int i, k, a, b, rc;

    *kg = -1;
    if (rt->ntargets == 0)
        return 0;
    switch (rt->grouping) {
    case GALE_GROUPING_SHUFFLE:
    case GALE_GROUPING_LOCAL_OR_SHUFFLE:
        picks[0] = rt->order[rt->rr++ % (uint64_t)rt->ntargets];
        return 1;
    case GALE_GROUPING_NONE:
        /* Storm's NoneGrouper: a uniformly random task. */
        picks[0] = (int)(gale_xorshift64s(&rt->rng) % (uint64_t)rt->ntargets);
        return 1;
    case GALE_GROUPING_GLOBAL:
        picks[0] = 0;               /* the plan keeps only the lowest task */
        return 1;
    case GALE_GROUPING_ALL:
        for (i = 0; i < rt->ntargets; i++)
            picks[i] = i;
        return rt->ntargets;
    case GALE_GROUPING_FIELDS:
        h = key_hash(rt, vals, n);
        *kg = rt->kg_pow2 ? (int)(h & rt->kg_mask) :
            gale_keygroup(h, rt->max_parallelism);
        picks[0] = rt->kg_pick[*kg];
        return 1;
    case GALE_GROUPING_PARTIAL_KEY:
        /* Two candidates from the key; the one this sender has sent fewer
         * tuples to wins (Storm's PartialKeyGrouping). */
        h = key_hash(rt, vals, n);
        a = (int)(h % (uint64_t)rt->ntargets);
        b = rt->ntargets > 1 ? (int)((h >> 32) * 0x9E3779B1u %
            (uint64_t)(rt->ntargets - 1)) : 0;
        if (rt->ntargets > 1 && b >= a)
            b++;
        picks[0] = rt->sent[b] < rt->sent[a] ? b : a;
        rt->sent[picks[0]]++;
        return 1;
    case GALE_GROUPING_CUSTOM:
        rc = rt->custom->choose(rt->custom_self, source_task, view, picks,
            rt->ntargets);
        if (rc < 0)
            return rc;
        for (i = k = 0; i < rc; i++)
            if (picks[i] >= 0 && picks[i] < rt->ntargets)
                picks[k++] = picks[i];
        return k;
    case GALE_GROUPING_DIRECT:
        return 0;                   /* only emit_direct reaches these */
    }
    return 0;
}
