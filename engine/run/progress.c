/* progress.c - progress lines and summaries of a run. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "engine/run/progress.h"
#include "engine/transport/outlet.h"

struct gale_progress {
    const gale_plan_t *plan;        /* borrowed */
    gale_report_task_t *tasks;      /* by task id - 1: last report */
    uint64_t start_ns;              /* the run's start */
    int drawn;                      /* progress lines on screen */
    gale_comp_totals_t *prev;       /* totals at the last redraw */
    uint64_t prev_ns;               /* time of the last redraw */
};

gale_progress_t *
gale_progress_new(const gale_plan_t *plan, uint64_t start_ns)
{
    gale_progress_t *p = xcalloc(1, sizeof *p);

    p->plan = plan;
    p->tasks = xcalloc(plan->ntasks + 1, sizeof *p->tasks);
    p->prev = xcalloc(plan->topo->ncomps + 1, sizeof *p->prev);
    p->start_ns = p->prev_ns = start_ns;
    return p;
}

void
gale_progress_destroy(gale_progress_t **pp)
{
    gale_progress_t *p;

    if (pp == NULL || (p = *pp) == NULL)
        return;
    free(p->tasks);
    free(p->prev);
    free(p);
    *pp = NULL;
}

void
gale_progress_update(gale_progress_t *p, const gale_report_task_t *r)
{
    if (r->task >= 1 && (size_t)r->task <= p->plan->ntasks)
        p->tasks[r->task - 1] = *r;
}

const gale_report_task_t *
gale_progress_task(const gale_progress_t *p, int task_id)
{
    if (task_id < 1 || (size_t)task_id > p->plan->ntasks)
        return NULL;
    return &p->tasks[task_id - 1];
}

void
gale_progress_counts(const gale_progress_t *p, unsigned long long *emitted,
    unsigned long long *executed)
{
    const gale_plan_t *plan = p->plan;
    size_t i;

    *emitted = *executed = 0;
    for (i = 0; i < plan->ntasks; i++) {
        if (plan->topo->comps[plan->tasks[i].comp].kind == GALE_SPOUT)
            *emitted += p->tasks[i].emitted;
        else
            *executed += p->tasks[i].executed;
    }
}

/* Sums the task counters per component. */
static void
totals(const gale_progress_t *p, gale_comp_totals_t *out)
{
    const gale_plan_t *plan = p->plan;
    size_t i;

    memset(out, 0, sizeof *out * plan->topo->ncomps);
    for (i = 0; i < plan->ntasks; i++) {
        gale_comp_totals_t *c = &out[plan->tasks[i].comp];
        const gale_report_task_t *r = &p->tasks[i];

        c->emitted += r->emitted;
        c->transferred += r->transferred;
        c->executed += r->executed;
        c->exec_ns += r->exec_ns;
        c->errors += r->errors;
    }
}

/* Formats n compactly: 1234567 -> "1.23M". */
static const char *
human(unsigned long long n, char *buf, size_t len)
{
    if (n >= 1000000000ULL)
        snprintf(buf, len, "%.2fG", n / 1e9);
    else if (n >= 1000000ULL)
        snprintf(buf, len, "%.2fM", n / 1e6);
    else if (n >= 10000ULL)
        snprintf(buf, len, "%.1fk", n / 1e3);
    else
        snprintf(buf, len, "%llu", n);
    return buf;
}

void
gale_progress_draw(gale_progress_t *p, bool final)
{
    const gale_topology_t *t = p->plan->topo;
    gale_comp_totals_t *cur = xcalloc(t->ncomps, sizeof *cur);
    uint64_t now = gale_now_ns();
    double dt = (now - p->prev_ns) / 1e9;

    if (final) {
        memset(p->prev, 0, sizeof *p->prev * t->ncomps);
        dt = (now - p->start_ns) / 1e9;
    }
    char a[32], b[32], c[32];
    size_t i;

    totals(p, cur);
    if (p->drawn > 0)
        fprintf(stderr, "\033[%dA", p->drawn);
    for (i = 0; i < t->ncomps; i++) {
        const gale_comp_t *comp = &t->comps[i];
        unsigned long long n = comp->kind == GALE_SPOUT ? cur[i].emitted :
            cur[i].executed;
        unsigned long long pn = comp->kind == GALE_SPOUT ? p->prev[i].emitted :
            p->prev[i].executed;

        fprintf(stderr, "\033[2K%-20s %-6s %8s %s  (%s/s)  emitted %s\n",
            comp->id, comp->kind == GALE_SPOUT ? "spout" : "bolt",
            human(n, a, sizeof a),
            comp->kind == GALE_SPOUT ? "emitted " : "executed",
            human(dt > 0 ? (unsigned long long)((n - pn) / dt) : 0, b, sizeof b),
            human(cur[i].emitted, c, sizeof c));
    }
    p->drawn = (int)t->ncomps;
    memcpy(p->prev, cur, sizeof *cur * t->ncomps);
    p->prev_ns = now;
    free(cur);
}

void
gale_progress_summary(const gale_progress_t *p, FILE *fp, const char *outcome)
{
    const gale_topology_t *t = p->plan->topo;
    gale_comp_totals_t *cur = xcalloc(t->ncomps, sizeof *cur);
    double secs = (gale_now_ns() - p->start_ns) / 1e9;
    size_t i;

    totals(p, cur);
    fprintf(fp, "%-20s %-5s %5s %14s %14s %14s %12s\n", "component", "kind",
        "tasks", "emitted", "transferred", "executed", "exec lat us");
    for (i = 0; i < t->ncomps; i++) {
        const gale_comp_t *c = &t->comps[i];
        double lat = cur[i].executed ? cur[i].exec_ns / 1e3 / cur[i].executed : 0;

        fprintf(fp, "%-20s %-5s %5d %14llu %14llu %14llu %12.3f\n", c->id,
            c->kind == GALE_SPOUT ? "spout" : "bolt", c->ntasks, cur[i].emitted,
            cur[i].transferred, cur[i].executed, lat);
    }
    fprintf(fp, "%s: %s in %.3f s\n", t->name, outcome, secs);
    free(cur);
}

void
gale_progress_checkpoints(FILE *fp, gale_coord_t *coord, int recoveries,
    const char *recovery_log)
{
    static const char *const names[] = { "completed", "declined",
        "abandoned" };
    const gale_coord_stats_t *s;
    const gale_coord_record_t *r;
    size_t n, i, from;

    if (coord == NULL)
        return;
    s = gale_coord_stats(coord);
    fprintf(fp, "checkpoints: %llu completed (last %llu), %llu declined, "
        "%.1f KiB written, mean %.1f ms, max %.1f ms, mean alignment %.2f ms\n",
        (unsigned long long)s->completed, (unsigned long long)s->last_id,
        (unsigned long long)s->declined, s->bytes / 1024.0,
        s->completed ? s->total_ns / 1e6 / s->completed : 0.0,
        s->max_ns / 1e6, s->completed ? s->align_ns / 1e6 / s->completed : 0.0);
    r = gale_coord_records(coord, &n);
    from = n > 10 ? n - 10 : 0;
    if (n > 0)
        fprintf(fp, "  %10s %7s %-9s %10s %10s %12s\n", "checkpoint",
            "attempt", "outcome", "ms", "align ms", "bytes");
    for (i = from; i < n; i++)
        fprintf(fp, "  %10llu %7u %-9s %10.1f %10.2f %12llu\n",
            (unsigned long long)r[i].id, r[i].attempt, names[r[i].outcome],
            r[i].duration_ns / 1e6, r[i].align_ns / 1e6,
            (unsigned long long)r[i].bytes);
    if (from > 0)
        fprintf(fp, "  (all %zu: %s/checkpoints.log)\n", n,
            gale_coord_dir(coord));
    if (recoveries > 0)
        fprintf(fp, "recoveries: %d (%s)\n", recoveries, recovery_log);
}
