/* plan.c - the physical plan (plan.h): tasks, executors, workers and
 * channels, derived deterministically from a loaded topology. */
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "topology/plan.h"

/* Bounds that keep a plan's tables in memory: far above any topology
 * that fits on a cluster, far below what would exhaust a machine. */
#define MAX_TASKS 1000000
#define MAX_CHANNELS (1 << 22)

/* Whether component c may be chained: not a shell component (its child
 * process is already a thread of its own; in its producer's thread every
 * tuple would wait for the child's answer) and not `chaining = false`. */
static bool
chain_ok(const gale_comp_t *c)
{
    const gale_value_t *v = gale_value_map_get(c->conf, "gale.chaining");

    if (c->type != NULL && strcmp(c->type, "shell") == 0)
        return false;
    return v == NULL || v->type != GALE_BOOL || v->u.b;
}

/* Whether edge e is chained (plan.h). */
static bool
chainable(const gale_topology_t *t, size_t e)
{
    const gale_edge_t *edge = &t->edges[e];
    const gale_comp_t *a = &t->comps[edge->from], *b = &t->comps[edge->to];
    size_t k;

    switch (edge->grouping) {
    case GALE_GROUPING_SHUFFLE:
    case GALE_GROUPING_LOCAL_OR_SHUFFLE:
    case GALE_GROUPING_NONE:
        /* Any task will do: the one of the same index. */
        break;
    case GALE_GROUPING_FIELDS:
    case GALE_GROUPING_GLOBAL:
    case GALE_GROUPING_ALL:
    case GALE_GROUPING_PARTIAL_KEY:
        /* Every tuple goes to the consumer's one task anyway. */
        if (a->ntasks != 1 || b->ntasks != 1)
            return false;
        break;
    default:
        /* direct and custom groupings choose tasks themselves. */
        return false;
    }
    if (b->kind != GALE_BOLT || edge->combine || edge->from == edge->to ||
        a->parallelism != b->parallelism || a->ntasks != b->ntasks ||
        !chain_ok(a) || !chain_ok(b))
        return false;
    for (k = 0; k < t->nedges; k++)
        if (k != e && t->edges[k].to == edge->to)
            return false;
    return true;
}

/* The component at the head of c's chain. */
static int
chain_head(const gale_plan_t *p, int c)
{
    while (p->chain_from[c] >= 0)
        c = p->topo->edges[p->chain_from[c]].from;
    return c;
}

/* Lists in x's members the components chained below component head,
 * breadth first: each after the component it is chained to. */
static void
add_members(gale_plan_t *p, gale_executor_t *x, int head)
{
    size_t k;
    int i = -1, c = head;

    for (;;) {
        for (k = 0; k < p->topo->nedges; k++) {
            if (!p->chained[k] || p->topo->edges[k].from != c)
                continue;
            x->members = xreallocarray(x->members, (size_t)x->nmembers + 1,
                sizeof *x->members);
            x->members[x->nmembers++] = p->topo->edges[k].to;
        }
        if (++i >= x->nmembers)
            break;
        c = x->members[i];
    }
}

/* Orders channels by (from_task, to_task). */
static int
chan_cmp(const void *a, const void *b)
{
    const gale_channel_t *x = a, *y = b;

    if (x->from_task != y->from_task)
        return x->from_task < y->from_task ? -1 : 1;
    if (x->to_task != y->to_task)
        return x->to_task < y->to_task ? -1 : 1;
    return 0;
}

gale_plan_t *
gale_plan_new(const gale_topology_t *t, gale_diag_t *diag)
{
    gale_plan_t *p = xcalloc(1, sizeof(*p));
    const gale_comp_t *c;
    gale_executor_t *x;
    size_t ci, e, n, cap = 0, total = 0;
    int task, exec, i, k, per, extra, ft, *targets = NULL, nt, maxt = 0;

    p->topo = t;
    for (ci = 0; ci < t->ncomps; ci++) {
        total += (size_t)t->comps[ci].ntasks;
        p->nexecs += (size_t)t->comps[ci].parallelism;
        if (t->comps[ci].ntasks > maxt)
            maxt = t->comps[ci].ntasks;
    }
    if (p->nexecs == 0) {
        gale_diag_add(diag, t->path, 0, "the topology has no components");
        goto fail;
    }
    if (total > MAX_TASKS) {
        gale_diag_add(diag, t->path, 0, "%zu tasks in all: more than gale "
            "plans (%d)", total, MAX_TASKS);
        goto fail;
    }
    for (e = 0, n = 0; e < t->nedges; e++)
        n += (size_t)t->comps[t->edges[e].from].ntasks *
            (size_t)t->comps[t->edges[e].to].ntasks;
    if (n > MAX_CHANNELS) {
        gale_diag_add(diag, t->path, 0, "the streams need up to %zu "
            "channels: more than gale plans (%d)", n, MAX_CHANNELS);
        goto fail;
    }
    p->ntasks = total;
    p->tasks = xcalloc(total, sizeof(*p->tasks));
    p->comp_first_task = xcalloc(t->ncomps, sizeof(int));
    p->comp_first_exec = xcalloc(t->ncomps, sizeof(int));
    p->chained = xcalloc(t->nedges + 1, sizeof(*p->chained));
    p->chain_from = xcalloc(t->ncomps, sizeof(int));
    for (ci = 0; ci < t->ncomps; ci++)
        p->chain_from[ci] = -1;
    for (e = 0; e < t->nedges; e++) {
        if ((p->chained[e] = chainable(t, e))) {
            p->chain_from[t->edges[e].to] = (int)e;
            p->nexecs -= (size_t)t->comps[t->edges[e].to].parallelism;
        }
    }
    p->execs = xcalloc(p->nexecs, sizeof(*p->execs));
    /* A worker with no executor would run nothing: use fewer. */
    p->nworkers = t->workers < 1 ? 1 : t->workers;
    if ((size_t)p->nworkers > p->nexecs)
        p->nworkers = (int)p->nexecs;

    /* Task ids, as Storm assigns them, whatever is chained. */
    task = 1;
    for (ci = 0; ci < t->ncomps; ci++) {
        p->comp_first_task[ci] = task;
        for (k = 0; k < t->comps[ci].ntasks; k++, task++) {
            p->tasks[task - 1].id = task;
            p->tasks[task - 1].comp = (int)ci;
            p->tasks[task - 1].index = k;
        }
    }
    /* Executors of the components that head a chain (or are in none);
     * a member's tasks run in its head's executors, index for index. */
    exec = 0;
    for (ci = 0; ci < t->ncomps; ci++) {
        c = &t->comps[ci];
        if (p->chain_from[ci] >= 0)
            continue;
        p->comp_first_exec[ci] = exec;
        per = c->ntasks / c->parallelism;
        extra = c->ntasks % c->parallelism;
        task = p->comp_first_task[ci];
        for (i = 0; i < c->parallelism; i++, exec++) {
            x = &p->execs[exec];
            x->id = exec;
            x->comp = (int)ci;
            x->first_task = task;
            x->ntasks = per + (i < extra ? 1 : 0);
            x->worker = exec % p->nworkers;
            add_members(p, x, (int)ci);
            for (k = 0; k < x->ntasks; k++, task++) {
                p->tasks[task - 1].executor = exec;
                p->tasks[task - 1].worker = x->worker;
            }
        }
    }
    for (ci = 0; ci < t->ncomps; ci++) {
        int head = chain_head(p, (int)ci), off;

        if (head == (int)ci)
            continue;
        p->comp_first_exec[ci] = p->comp_first_exec[head];
        for (k = 0; k < t->comps[ci].ntasks; k++) {
            off = p->comp_first_task[head] + k;
            p->tasks[p->comp_first_task[ci] + k - 1].executor =
                p->tasks[off - 1].executor;
            p->tasks[p->comp_first_task[ci] + k - 1].worker =
                p->tasks[off - 1].worker;
        }
    }

    targets = xcalloc((size_t)maxt + 1, sizeof(int));
    for (e = 0; e < t->nedges; e++) {
        if (p->chained[e])
            continue;
        c = &t->comps[t->edges[e].from];
        ft = p->comp_first_task[t->edges[e].from];
        for (k = 0; k < c->ntasks; k++) {
            nt = gale_plan_edge_targets(p, (int)e, ft + k, targets);
            for (i = 0; i < nt; i++) {
                if (p->nchans == cap) {
                    cap = cap == 0 ? 64 : cap * 2;
                    p->chans = xreallocarray(p->chans, cap,
                        sizeof(*p->chans));
                }
                p->chans[p->nchans].from_task = ft + k;
                p->chans[p->nchans].to_task = targets[i];
                p->nchans++;
            }
        }
    }
    free(targets);
    if (p->nchans > 0)
        qsort(p->chans, p->nchans, sizeof(*p->chans), chan_cmp);
    n = 0;
    for (e = 0; e < p->nchans; e++) {
        if (n > 0 && chan_cmp(&p->chans[n - 1], &p->chans[e]) == 0)
            continue;
        p->chans[n] = p->chans[e];
        p->chans[n].id = (int)n;
        n++;
    }
    p->nchans = n;
    return p;
fail:
    gale_plan_destroy(&p);
    return NULL;
}

void
gale_plan_destroy(gale_plan_t **pp)
{
    gale_plan_t *p;
    size_t i;

    if (pp == NULL || (p = *pp) == NULL)
        return;
    free(p->tasks);
    for (i = 0; p->execs != NULL && i < p->nexecs; i++)
        free(p->execs[i].members);
    free(p->execs);
    free(p->chained);
    free(p->chain_from);
    free(p->chans);
    free(p->comp_first_task);
    free(p->comp_first_exec);
    free(p);
    *pp = NULL;
}

int
gale_plan_channel(const gale_plan_t *p, int from_task, int to_task)
{
    gale_channel_t key = { 0, from_task, to_task };
    const gale_channel_t *c;

    if (p->nchans == 0)
        return -1;
    c = bsearch(&key, p->chans, p->nchans, sizeof(*p->chans), chan_cmp);
    return c == NULL ? -1 : c->id;
}

int
gale_plan_edge_targets(const gale_plan_t *p, int edge, int from_task,
    int *out)
{
    const gale_edge_t *e = &p->topo->edges[edge];
    int first = p->comp_first_task[e->to];
    int n = p->topo->comps[e->to].ntasks, i, k = 0, w;

    if (p->chained[edge]) {
        out[0] = first + p->tasks[from_task - 1].index;
        return 1;
    }
    if (e->grouping == GALE_GROUPING_GLOBAL) {
        out[0] = first;
        return 1;
    }
    if (e->grouping == GALE_GROUPING_LOCAL_OR_SHUFFLE) {
        w = p->tasks[from_task - 1].worker;
        for (i = 0; i < n; i++)
            if (p->tasks[first + i - 1].worker == w)
                out[k++] = first + i;
        if (k > 0)
            return k;
    }
    for (i = 0; i < n; i++)
        out[i] = first + i;
    return n;
}

int
gale_plan_exec_task(const gale_plan_t *p, int exec, int comp, int k)
{
    const gale_executor_t *x = &p->execs[exec];

    return p->comp_first_task[comp] + (x->first_task -
        p->comp_first_task[x->comp]) + k;
}

/* Sockets an executor opens besides its channels: control, report and
 * the checkpoint writer's; and a process's own (console, reports, HTTP,
 * bridges). */
#define SOCKETS_PER_EXEC 4
#define SOCKETS_PER_PROCESS 32

size_t
gale_plan_sockets(const gale_plan_t *p, int worker)
{
    size_t n = SOCKETS_PER_PROCESS, i;

    for (i = 0; i < p->nchans; i++) {
        n += worker < 0 || p->tasks[p->chans[i].from_task - 1].worker == worker;
        n += worker < 0 || p->tasks[p->chans[i].to_task - 1].worker == worker;
    }
    for (i = 0; i < p->nexecs; i++)
        if (worker < 0 || p->execs[i].worker == worker)
            n += SOCKETS_PER_EXEC;
    return n;
}
