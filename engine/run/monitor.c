/* monitor.c - the master's view of a running topology (monitor.h). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gale/gale.h>

#include "common/xalloc.h"
#include "engine/metrics/chanreport.h"
#include "engine/metrics/histogram.h"
#include "engine/metrics/userstats.h"
#include "engine/run/monitor.h"
#include "engine/transport/outlet.h"

/* Rate samples kept: one a second, the last two minutes. */
#define SAMPLES 120
#define SAMPLE_NS 1000000000ull

/* A task's named counters as last reported (gale_ctx_count). */
typedef struct user_counters {
    char **names;                   /* owned */
    int64_t *values;
    size_t n;                       /* entries in use */
    size_t cap;                     /* entries allocated */
} user_counters_t;

/* When a channel end's last two reports came, and the first's totals
 * (chanreport.h's through_*): to read the end's totals at the instant of
 * the other end's report. */
typedef struct chan_times {
    uint64_t t_ns;                  /* the last report's arrival; 0: none */
    uint64_t prev_ns;               /* the one before; 0: none */
    uint64_t prev_frames;           /* its through_frames */
    uint64_t prev_tuples;           /* its through_tuples */
} chan_times_t;

/* The component totals at one instant. */
typedef struct sample {
    uint64_t t_ns;                  /* when; 0: an empty slot */
    gale_comp_totals_t *comps;      /* per component, owned */
    uint64_t *exec_ns;              /* per executor: time in execute() */
} sample_t;

struct gale_monitor {
    const gale_plan_t *plan;        /* borrowed */
    const gale_progress_t *progress;/* borrowed: the task counters */
    gale_coord_t *coord;            /* borrowed; NULL: no checkpoints */
    const gale_console_state_t *cs; /* borrowed: status word */
    uint64_t start_ns;              /* the run's start */
    gale_hist_t *hists;             /* per task (id - 1): last reported */
    gale_hist_t *done_lat;          /* per task (id - 1): process (bolts) or
                                       complete (spouts) latency */
    uint64_t *blocked_ns;           /* per executor: waits on full channels */
    user_counters_t *users;         /* per task (id - 1): named counters */
    gale_chanreport_t *chan_in;     /* per channel: its receiver's last
                                       report (window 0: none yet) */
    gale_chanreport_t *chan_out;    /* per channel: its sender's */
    chan_times_t *in_t;             /* per channel: its receiver's times */
    chan_times_t *out_t;            /* per channel: its sender's times */
    uint64_t chan_now;              /* the channels part being read came */
    sample_t ring[SAMPLES];         /* rate samples, oldest overwritten */
    size_t next;                    /* the slot the next sample takes */
    int recoveries;                 /* attempts restarted */
    uint32_t epoch;                 /* the current attempt */
    char **hosts;                   /* per worker: its host's name, owned;
                                       NULL: not told yet */
};

gale_monitor_t *
gale_monitor_new(const gale_plan_t *plan, const gale_progress_t *progress,
    gale_coord_t *coord, const gale_console_state_t *cs, uint64_t start_ns)
{
    gale_monitor_t *m = xcalloc(1, sizeof *m);
    size_t i;

    m->plan = plan;
    m->progress = progress;
    m->coord = coord;
    m->cs = cs;
    m->start_ns = start_ns;
    m->hists = xcalloc(plan->ntasks + 1, sizeof *m->hists);
    m->done_lat = xcalloc(plan->ntasks + 1, sizeof *m->done_lat);
    m->blocked_ns = xcalloc(plan->nexecs + 1, sizeof *m->blocked_ns);
    m->users = xcalloc(plan->ntasks + 1, sizeof *m->users);
    m->chan_in = xcalloc(plan->nchans + 1, sizeof *m->chan_in);
    m->chan_out = xcalloc(plan->nchans + 1, sizeof *m->chan_out);
    m->in_t = xcalloc(plan->nchans + 1, sizeof *m->in_t);
    m->out_t = xcalloc(plan->nchans + 1, sizeof *m->out_t);
    m->hosts = xcalloc((size_t)plan->nworkers + 1, sizeof *m->hosts);
    for (i = 0; i < SAMPLES; i++) {
        m->ring[i].comps = xcalloc(plan->topo->ncomps + 1,
            sizeof *m->ring[i].comps);
        m->ring[i].exec_ns = xcalloc(plan->nexecs + 1,
            sizeof *m->ring[i].exec_ns);
    }
    m->epoch = 1;
    return m;
}

/* Forgets a task's named counters (keeps the arrays). */
static void
clear_users(user_counters_t *u)
{
    size_t i;

    for (i = 0; i < u->n; i++)
        free(u->names[i]);
    u->n = 0;
}

void
gale_monitor_destroy(gale_monitor_t **mp)
{
    gale_monitor_t *m;
    size_t i;

    if (mp == NULL || (m = *mp) == NULL)
        return;
    for (i = 0; i < SAMPLES; i++) {
        free(m->ring[i].comps);
        free(m->ring[i].exec_ns);
    }
    for (i = 0; i < m->plan->ntasks; i++) {
        clear_users(&m->users[i]);
        free(m->users[i].names);
        free(m->users[i].values);
    }
    for (i = 0; i < (size_t)m->plan->nworkers; i++)
        free(m->hosts[i]);
    free(m->hosts);
    free(m->users);
    free(m->chan_in);
    free(m->chan_out);
    free(m->in_t);
    free(m->out_t);
    free(m->hists);
    free(m->done_lat);
    free(m->blocked_ns);
    free(m);
    *mp = NULL;
}

/* gale_hist_part_decode callback: keeps a task's histogram. */
static void
take_hist(void *arg, int32_t task, const gale_hist_t *h)
{
    gale_monitor_t *m = arg;

    if (task >= 1 && (size_t)task <= m->plan->ntasks)
        m->hists[task - 1] = *h;
}

/* gale_userstats_decode callback: one of a task's counters (its old
 * ones were cleared when the report came). */
static void
take_user(void *arg, int32_t task, const char *name, int64_t value)
{
    gale_monitor_t *m = arg;
    user_counters_t *u;

    if (task < 1 || (size_t)task > m->plan->ntasks)
        return;
    u = &m->users[task - 1];
    if (u->n == GALE_USERSTATS_PER_TASK)
        return;
    if (u->n == u->cap) {
        u->cap = u->cap ? 2 * u->cap : 4;
        u->names = xreallocarray(u->names, u->cap, sizeof *u->names);
        u->values = xreallocarray(u->values, u->cap, sizeof *u->values);
    }
    u->names[u->n] = xstrdup(name);
    u->values[u->n++] = value;
}

void
gale_monitor_stats(gale_monitor_t *m, const gale_report_hdr_t *h,
    const void *hists, size_t len, const void *users, size_t ulen)
{
    const gale_executor_t *x;
    int t;

    if (h->exec >= 0 && (size_t)h->exec < m->plan->nexecs) {
        m->blocked_ns[h->exec] = h->arg;
        /* A counter dropped from the report drops here too: the
         * executor's tasks start empty, the part refills them. */
        x = &m->plan->execs[h->exec];
        if (users != NULL && ulen > 0)
            for (t = x->first_task; t < x->first_task + x->ntasks; t++)
                if (t >= 1 && (size_t)t <= m->plan->ntasks)
                    clear_users(&m->users[t - 1]);
    }
    if (hists != NULL && len > 0)
        (void)gale_hist_part_decode(hists, len, take_hist, m);
    if (users != NULL && ulen > 0)
        (void)gale_userstats_decode(users, ulen, take_user, m);
    gale_monitor_sample(m, gale_now_ns());
}

/* gale_chanreport_decode callback: keeps a channel end's figures. */
static void
take_chan(void *arg, const gale_chanreport_t *e)
{
    gale_monitor_t *m = arg;
    gale_chanreport_t *last;
    chan_times_t *ct;

    if (e->channel < 0 || (size_t)e->channel >= m->plan->nchans)
        return;
    last = e->side == GALE_CHAN_IN ? &m->chan_in[e->channel] :
        &m->chan_out[e->channel];
    ct = e->side == GALE_CHAN_IN ? &m->in_t[e->channel] :
        &m->out_t[e->channel];
    ct->prev_ns = last->has_through ? ct->t_ns : 0;
    ct->prev_frames = last->through_frames;
    ct->prev_tuples = last->through_tuples;
    ct->t_ns = m->chan_now;
    *last = *e;
}

/* gale_hist_part_decode callback: keeps a task's process or complete
 * latency. */
static void
take_done_lat(void *arg, int32_t task, const gale_hist_t *h)
{
    gale_monitor_t *m = arg;

    if (task >= 1 && (size_t)task <= m->plan->ntasks)
        m->done_lat[task - 1] = *h;
}

void
gale_monitor_latencies(gale_monitor_t *m, const void *hists, size_t len)
{
    if (hists != NULL && len > 0)
        (void)gale_hist_part_decode(hists, len, take_done_lat, m);
}

void
gale_monitor_channels(gale_monitor_t *m, const void *chans, size_t len)
{
    m->chan_now = gale_now_ns();
    if (chans != NULL && len > 0)
        (void)gale_chanreport_decode(chans, len, take_chan, m);
}

/* Tuples waiting in component c's input channels, as last reported. */
static uint64_t
queued_tuples(const gale_monitor_t *m, int c)
{
    const gale_plan_t *p = m->plan;
    uint64_t n = 0;
    size_t k;

    for (k = 0; k < p->nchans; k++)
        if (p->tasks[p->chans[k].to_task - 1].comp == c)
            n += m->chan_in[k].tuples;
    return n;
}

/* A channel end's through_* totals at instant at (not after its last
 * report): interpolated between its last two reports when at falls
 * between them, else the last report's. */
static void
through_at(const gale_chanreport_t *e, const chan_times_t *ct, uint64_t at,
    uint64_t *frames, uint64_t *tuples)
{
    double f;

    *frames = e->through_frames;
    *tuples = e->through_tuples;
    if (ct->prev_ns == 0 || at >= ct->t_ns || at < ct->prev_ns ||
        ct->t_ns <= ct->prev_ns || e->through_frames < ct->prev_frames ||
        e->through_tuples < ct->prev_tuples)
        return;                     /* no span, or counters restarted */
    f = (double)(at - ct->prev_ns) / (double)(ct->t_ns - ct->prev_ns);
    *frames = ct->prev_frames + (uint64_t)(f * (double)(e->through_frames -
        ct->prev_frames) + 0.5);
    *tuples = ct->prev_tuples + (uint64_t)(f * (double)(e->through_tuples -
        ct->prev_tuples) + 0.5);
}

/* Channel k between two workers: the frames and tuples between the two
 * bridges, the total the sender's bridge took less the total the
 * receiver's received. The two ends report from two processes at their
 * own times (up to a report period apart), so the one that reported
 * later is read at the other's instant, interpolated between its last
 * two reports; what is left is off by how unevenly the channel moved
 * meanwhile, so the figure is clamped to 0 and to the credits a receiver
 * grants (queue_depth: its window less the bridge's two local frames).
 * Exact when the channel stands still. false for a channel inside a
 * process, or before both ends reported totals. */
static bool
transit(const gale_monitor_t *m, size_t k, uint64_t *frames, uint64_t *tuples)
{
    const gale_plan_t *p = m->plan;
    const gale_chanreport_t *in = &m->chan_in[k], *out = &m->chan_out[k];
    uint64_t cap = in->window > 2 ? in->window - 2 : 0, at, of, ot, inf, it;

    *frames = *tuples = 0;
    if (p->tasks[p->chans[k].from_task - 1].worker ==
        p->tasks[p->chans[k].to_task - 1].worker || !in->has_through ||
        !out->has_through || in->window == 0 || out->window == 0)
        return false;
    at = m->in_t[k].t_ns < m->out_t[k].t_ns ? m->in_t[k].t_ns :
        m->out_t[k].t_ns;
    through_at(out, &m->out_t[k], at, &of, &ot);
    through_at(in, &m->in_t[k], at, &inf, &it);
    if (of > inf)
        *frames = of - inf;
    if (*frames > cap)
        *frames = cap;
    if (*frames > 0 && ot > it)
        *tuples = ot - it;
    return true;
}

/* The credits channel k's sender holds: its window less what is in the
 * channel (never below 0). */
static uint32_t
credits(const gale_chanreport_t *e)
{
    return e->frames < e->window ? e->window - e->frames : 0;
}

void
gale_monitor_host(gale_monitor_t *m, int worker, const char *host)
{
    if (worker < 0 || worker >= m->plan->nworkers || host == NULL)
        return;
    free(m->hosts[worker]);
    m->hosts[worker] = xstrdup(host);
}

/* The host worker runs on, "?" before the monitor was told. */
static const char *
host_of(const gale_monitor_t *m, int worker)
{
    return worker >= 0 && worker < m->plan->nworkers &&
        m->hosts[worker] != NULL ? m->hosts[worker] : "?";
}

void
gale_monitor_attempt(gale_monitor_t *m, int recoveries, uint32_t epoch)
{
    m->recoveries = recoveries;
    m->epoch = epoch;
}

/* Sums the task counters per component and per executor into s. */
static void
totals(const gale_monitor_t *m, sample_t *s)
{
    const gale_plan_t *p = m->plan;
    size_t i;

    memset(s->comps, 0, sizeof *s->comps * p->topo->ncomps);
    memset(s->exec_ns, 0, sizeof *s->exec_ns * p->nexecs);
    for (i = 0; i < p->ntasks; i++) {
        const gale_report_task_t *r = gale_progress_task(m->progress,
            p->tasks[i].id);
        gale_comp_totals_t *c = &s->comps[p->tasks[i].comp];

        c->emitted += r->emitted;
        c->transferred += r->transferred;
        c->executed += r->executed;
        c->exec_ns += r->exec_ns;
        c->errors += r->errors;
        s->exec_ns[p->tasks[i].executor] += r->exec_ns;
    }
}

void
gale_monitor_sample(gale_monitor_t *m, uint64_t now_ns)
{
    const sample_t *last = &m->ring[(m->next + SAMPLES - 1) % SAMPLES];
    sample_t *s = &m->ring[m->next];

    if (last->t_ns != 0 && now_ns - last->t_ns < SAMPLE_NS)
        return;
    totals(m, s);
    s->t_ns = now_ns;
    m->next = (m->next + 1) % SAMPLES;
}

/* The newest sample and the one about `back` samples before it (the
 * oldest there is); NULL when there are not two. */
static const sample_t *
window(const gale_monitor_t *m, size_t back, const sample_t **newest)
{
    size_t k;

    *newest = &m->ring[(m->next + SAMPLES - 1) % SAMPLES];
    if ((*newest)->t_ns == 0)
        return NULL;
    for (k = back; k >= 1; k--) {
        const sample_t *old = &m->ring[(m->next + SAMPLES - 1 - k) % SAMPLES];

        if (old->t_ns != 0 && old->t_ns < (*newest)->t_ns)
            return old;
    }
    return NULL;
}

/* A component's rates over the last ten seconds or so: tuples per second
 * (emitted for a spout, executed for a bolt) and Storm's capacity, the
 * busiest executor's share of wall time spent in execute(). */
static void
rates(const gale_monitor_t *m, int comp, double *emit_rate,
    double *exec_rate, double *capacity)
{
    const gale_plan_t *p = m->plan;
    const sample_t *now, *old = window(m, 10, &now);
    double dt;
    int e, first, n;

    *emit_rate = *exec_rate = *capacity = 0;
    if (old == NULL)
        return;
    dt = (double)(now->t_ns - old->t_ns) / 1e9;
    /* Counters go back to a checkpoint's on a recovery: no rate then. */
    if (now->comps[comp].emitted >= old->comps[comp].emitted)
        *emit_rate = (double)(now->comps[comp].emitted -
            old->comps[comp].emitted) / dt;
    if (now->comps[comp].executed >= old->comps[comp].executed)
        *exec_rate = (double)(now->comps[comp].executed -
            old->comps[comp].executed) / dt;
    first = p->comp_first_exec[comp];
    n = p->topo->comps[comp].parallelism;
    for (e = first; e < first + n && (size_t)e < p->nexecs; e++) {
        double c;

        if (now->exec_ns[e] < old->exec_ns[e])
            continue;
        c = (double)(now->exec_ns[e] - old->exec_ns[e]) / 1e9 / dt;
        if (c > *capacity)
            *capacity = c;
    }
}

/* ---- Prometheus -------------------------------------------------------- */

/* The families, in the order /metrics lists them (docs/metrics.md). */
enum {
    F_UP, F_ACTIVE, F_UPTIME, F_TASKS, F_WORKERS, F_RECOVERIES, F_ATTEMPT,
    F_OEMIT, F_OTRANS, F_OEXEC, F_OERR, F_OLAT,
    F_TEMIT, F_TTRANS, F_TEXEC, F_TEXEC_S, F_TERR,
    F_CEMIT, F_CTRANS, F_CEXEC, F_CERR, F_CLAT, F_CAP, F_RATE,
    F_WEMIT, F_WTRANS, F_WEXEC, F_WERR,
    F_HEMIT, F_HTRANS, F_HEXEC, F_HEXEC_S, F_HERR, F_HLAT, F_HWORKERS,
    F_HTASKS, F_HBLOCKED, F_HQUEUE, F_HSTATE,
    F_BLOCKED, F_TUSER, F_CUSER,
    F_TWM, F_TWM_LAG, F_TSTATE, F_TSPILL, F_CSTATE,
    F_CK_DONE, F_CK_DECLINED, F_CK_LAST, F_CK_BYTES, F_CK_SECS, F_CK_MAX,
    F_CK_ALIGN,
    F_QFRAMES, F_QTUPLES, F_QWINDOW, F_CREDITS, F_CQUEUE, F_PLAT, F_CPLAT,
    F_XFRAMES, F_XTUPLES, F_CTRANSIT, F_CACKED,
    NFAMILIES
};

static const struct family {
    const char *name;               /* Prometheus's: _total, _seconds */
    gale_metric_type_t type;        /* counter, gauge or histogram */
    const char *help;               /* the # HELP line */
} families[NFAMILIES] = {
#define C GALE_METRIC_COUNTER
#define G GALE_METRIC_GAUGE
    [F_UP] = { "gale_topology_up", G, "1 while the topology's master runs" },
    [F_ACTIVE] = { "gale_topology_active", G, "1 when the spouts are "
        "active, 0 when deactivated, killed or stopping" },
    [F_UPTIME] = { "gale_topology_uptime_seconds", G, "seconds since the "
        "master started" },
    [F_TASKS] = { "gale_topology_tasks", G, "tasks of the topology" },
    [F_WORKERS] = { "gale_topology_workers", G, "worker processes of the "
        "topology" },
    [F_RECOVERIES] = { "gale_topology_recoveries_total", C, "attempts "
        "restarted from a checkpoint after a failure" },
    [F_ATTEMPT] = { "gale_topology_attempt", G, "the current attempt epoch "
        "(from 1)" },
    [F_OEMIT] = { "gale_topology_emitted_total", C, "tuples every task "
        "of the topology emitted (the sum over its hosts)" },
    [F_OTRANS] = { "gale_topology_transferred_total", C, "tuples every "
        "task of the topology sent to other tasks" },
    [F_OEXEC] = { "gale_topology_executed_total", C, "tuples the "
        "topology's tasks executed" },
    [F_OERR] = { "gale_topology_errors_total", C, "errors the topology's "
        "tasks reported" },
    [F_OLAT] = { "gale_topology_execute_latency_seconds",
        GALE_METRIC_HISTOGRAM, "execute() time per tuple over every bolt "
        "task of the topology" },
    [F_TEMIT] = { "gale_task_emitted_total", C, "tuples the task emitted "
        "(one per emit call)" },
    [F_TTRANS] = { "gale_task_transferred_total", C, "tuples the task sent "
        "to other tasks (one per target)" },
    [F_TEXEC] = { "gale_task_executed_total", C, "tuples the task executed "
        "(bolts)" },
    [F_TEXEC_S] = { "gale_task_execute_seconds_total", C, "seconds the task "
        "spent in execute()" },
    [F_TERR] = { "gale_task_errors_total", C, "errors the task reported" },
    [F_CEMIT] = { "gale_component_emitted_total", C, "tuples the "
        "component's tasks emitted" },
    [F_CTRANS] = { "gale_component_transferred_total", C, "tuples the "
        "component's tasks sent" },
    [F_CEXEC] = { "gale_component_executed_total", C, "tuples the "
        "component's tasks executed" },
    [F_CERR] = { "gale_component_errors_total", C, "errors the component's "
        "tasks reported" },
    [F_CLAT] = { "gale_component_execute_latency_seconds",
        GALE_METRIC_HISTOGRAM, "execute() time per tuple (each frame's "
        "mean, weighted by its tuples)" },
    [F_CAP] = { "gale_component_capacity", G, "Storm's capacity over the "
        "last 10 s: the busiest executor's share of time in execute() "
        "(near 1: a bottleneck)" },
    [F_RATE] = { "gale_component_tuples_per_second", G, "tuples per second "
        "over the last 10 s: emitted for a spout, executed for a bolt" },
    [F_WEMIT] = { "gale_worker_emitted_total", C, "tuples the worker's "
        "tasks emitted" },
    [F_WTRANS] = { "gale_worker_transferred_total", C, "tuples the "
        "worker's tasks sent to other tasks" },
    [F_WEXEC] = { "gale_worker_executed_total", C, "tuples the worker's "
        "tasks executed" },
    [F_WERR] = { "gale_worker_errors_total", C, "errors the worker's tasks "
        "reported" },
    [F_HEMIT] = { "gale_host_emitted_total", C, "tuples the tasks on the "
        "host emitted (the sum over its workers)" },
    [F_HTRANS] = { "gale_host_transferred_total", C, "tuples the tasks on "
        "the host sent to other tasks" },
    [F_HEXEC] = { "gale_host_executed_total", C, "tuples the tasks on the "
        "host executed" },
    [F_HEXEC_S] = { "gale_host_execute_seconds_total", C, "seconds the "
        "tasks on the host spent in execute()" },
    [F_HERR] = { "gale_host_errors_total", C, "errors the tasks on the "
        "host reported" },
    [F_HLAT] = { "gale_host_execute_latency_seconds",
        GALE_METRIC_HISTOGRAM, "execute() time per tuple of the bolt tasks "
        "on the host (their histograms merged)" },
    [F_HWORKERS] = { "gale_host_workers", G, "worker processes of the "
        "topology on the host" },
    [F_HTASKS] = { "gale_host_tasks", G, "tasks of the topology on the "
        "host" },
    [F_HBLOCKED] = { "gale_host_backpressure_seconds_total", C, "seconds "
        "the executors on the host waited for room on full output "
        "channels, summed" },
    [F_HQUEUE] = { "gale_host_queue_tuples", G, "tuples waiting in the "
        "input channels of the tasks on the host" },
    [F_HSTATE] = { "gale_host_state_bytes", G, "bytes of the state in "
        "memory of the tasks on the host" },
    [F_BLOCKED] = { "gale_executor_backpressure_seconds_total", C, "seconds "
        "the executor waited for room on full output channels" },
    [F_TUSER] = { "gale_task_user_counter", G, "the task's named counters "
        "(gale_ctx_count, a multilang child's metrics command), by name" },
    [F_CUSER] = { "gale_component_user_counter", G, "the component's named "
        "counters, summed over its tasks" },
    [F_TWM] = { "gale_task_watermark_seconds", G, "the task's event-time "
        "watermark, seconds since the epoch (tasks with event time only)" },
    [F_TWM_LAG] = { "gale_task_watermark_lag_seconds", G, "how far the "
        "task's watermark is behind the wall clock" },
    [F_TSTATE] = { "gale_task_state_bytes", G, "bytes of the task's keyed "
        "and operator state in memory" },
    [F_TSPILL] = { "gale_task_state_spilled_total", C, "state entries the "
        "task wrote to its spill (LevelDB) under the memory cap" },
    [F_CSTATE] = { "gale_component_state_bytes", G, "bytes of the "
        "component's state in memory, summed over its tasks" },
    [F_CK_DONE] = { "gale_checkpoints_completed_total", C, "checkpoints "
        "completed" },
    [F_CK_DECLINED] = { "gale_checkpoints_declined_total", C, "checkpoints "
        "declined (not acknowledged within the timeout)" },
    [F_CK_LAST] = { "gale_checkpoint_last_id", G, "id of the last completed "
        "checkpoint" },
    [F_CK_BYTES] = { "gale_checkpoint_written_bytes_total", C, "snapshot "
        "bytes written by completed checkpoints" },
    [F_CK_SECS] = { "gale_checkpoint_duration_seconds_total", C, "trigger "
        "to completion, summed over completed checkpoints" },
    [F_CK_MAX] = { "gale_checkpoint_duration_seconds_max", G, "the slowest "
        "checkpoint's trigger to completion" },
    [F_CK_ALIGN] = { "gale_checkpoint_alignment_seconds_total", C, "barrier "
        "alignment (the slowest task's per checkpoint), summed" },
    [F_QFRAMES] = { "gale_channel_queue_frames", G, "frames sent into the "
        "task's input channel from from_task and not yet taken by it "
        "(channels inside a process)" },
    [F_QTUPLES] = { "gale_channel_queue_tuples", G, "tuples in those "
        "frames: received by the channel, not yet executed" },
    [F_QWINDOW] = { "gale_channel_window_frames", G, "frames the channel "
        "holds before its sender waits (the credit window)" },
    [F_CREDITS] = { "gale_channel_credits", G, "frames the task may still "
        "send on its output channel to to_task before it waits: the "
        "window less what the channel holds" },
    [F_CQUEUE] = { "gale_component_queue_tuples", G, "tuples waiting in "
        "the component's input channels, summed" },
    [F_PLAT] = { "gale_component_process_latency_seconds",
        GALE_METRIC_HISTOGRAM, "Storm's process latency: a tuple's arrival "
        "to its ack (bolts that ack: shell bolts, from sending the tuple to "
        "the child to its ack)" },
    [F_CPLAT] = { "gale_component_complete_latency_seconds",
        GALE_METRIC_HISTOGRAM, "complete latency, one value per completed "
        "checkpoint: from the first tuple the spout task emitted after its "
        "previous snapshot to the completion of the checkpoint covering "
        "it" },
    [F_CACKED] = { "gale_component_acked_total", C, "tuples the "
        "component's tasks acked (Storm's acked; bolts that ack: shell "
        "bolts, one per ack of their child, the count of "
        "gale_component_process_latency_seconds). A child's fail fails "
        "its task (gale replays no single tuple): it counts in "
        "gale_component_errors_total and the rollback in "
        "gale_topology_recoveries_total" },
    [F_XFRAMES] = { "gale_channel_transit_frames", G, "frames of a channel "
        "between two workers that the sender's bridge took and the "
        "receiver's has not received yet (on the network), from the two "
        "ends' last reports" },
    [F_XTUPLES] = { "gale_channel_transit_tuples", G, "tuples in those "
        "frames" },
    [F_CTRANSIT] = { "gale_component_transit_tuples", G, "tuples on their "
        "way to the component between two workers' bridges, summed" },
#undef C
#undef G
};

/* Adds v to the series of counter or gauge family f: for a gauge that
 * is a sum (component, host), where put would keep the last value. */
static void
sum(gale_registry_t *r, const int *fam, int f, const char *const *labels,
    double v)
{
    gale_registry_add(r, fam[f], labels, v);
}

/* Adds or sets (by the family's type) v in the series of family f. */
static void
put(gale_registry_t *r, const int *fam, int f, const char *const *labels,
    double v)
{
    if (families[f].type == GALE_METRIC_GAUGE)
        gale_registry_set(r, fam[f], labels, v);
    else
        gale_registry_add(r, fam[f], labels, v);
}

/* Task index i's named counters: labels tl and cl (the task's and its
 * component's) with name added. */
static void
user_series(gale_monitor_t *m, gale_registry_t *r, const int *fam, size_t i,
    const char *const *tl, const char *const *cl)
{
    const user_counters_t *u = &m->users[i];
    const char *l[12];
    size_t k, j;

    for (k = 0; k < u->n; k++) {
        for (j = 0; tl[j] != NULL; j++)
            l[j] = tl[j];
        l[j] = "name";
        l[j + 1] = u->names[k];
        l[j + 2] = NULL;
        gale_registry_set(r, fam[F_TUSER], l, (double)u->values[k]);
        for (j = 0; cl[j] != NULL; j++)
            l[j] = cl[j];
        l[j] = "name";
        l[j + 1] = u->names[k];
        l[j + 2] = NULL;
        gale_registry_add(r, fam[F_CUSER], l, (double)u->values[k]);
    }
}

/* The task series, and their sums per component and per worker. */
static void
task_series(gale_monitor_t *m, gale_registry_t *r, const int *fam)
{
    const gale_plan_t *p = m->plan;
    const gale_topology_t *t = p->topo;
    char task[24], worker[24];
    size_t i;

    for (i = 0; i < p->ntasks; i++) {
        const gale_task_t *tk = &p->tasks[i];
        const gale_report_task_t *rp = gale_progress_task(m->progress, tk->id);
        const char *cid = t->comps[tk->comp].id;

        snprintf(task, sizeof task, "%d", tk->id);
        snprintf(worker, sizeof worker, "%d", tk->worker);
        const char *const tl[] = { "topology", t->name, "component", cid,
            "task", task, "worker", worker, NULL };
        const char *const cl[] = { "topology", t->name, "component", cid,
            NULL };
        const char *host = host_of(m, tk->worker);
        const char *const wl[] = { "topology", t->name, "worker", worker,
            "host", host, NULL };
        const char *const hl[] = { "topology", t->name, "host", host, NULL };
        const char *const ol[] = { "topology", t->name, NULL };
        bool bolt = t->comps[tk->comp].kind == GALE_BOLT;

        put(r, fam, F_TEMIT, tl, (double)rp->emitted);
        put(r, fam, F_TTRANS, tl, (double)rp->transferred);
        put(r, fam, F_TEXEC, tl, (double)rp->executed);
        put(r, fam, F_TEXEC_S, tl, (double)rp->exec_ns / 1e9);
        put(r, fam, F_TERR, tl, (double)rp->errors);
        put(r, fam, F_CEMIT, cl, (double)rp->emitted);
        put(r, fam, F_CTRANS, cl, (double)rp->transferred);
        put(r, fam, F_CEXEC, cl, (double)rp->executed);
        put(r, fam, F_CERR, cl, (double)rp->errors);
        put(r, fam, F_WEMIT, wl, (double)rp->emitted);
        put(r, fam, F_WTRANS, wl, (double)rp->transferred);
        put(r, fam, F_WEXEC, wl, (double)rp->executed);
        put(r, fam, F_WERR, wl, (double)rp->errors);
        put(r, fam, F_HEMIT, hl, (double)rp->emitted);
        put(r, fam, F_HTRANS, hl, (double)rp->transferred);
        put(r, fam, F_HEXEC, hl, (double)rp->executed);
        put(r, fam, F_HEXEC_S, hl, (double)rp->exec_ns / 1e9);
        put(r, fam, F_HERR, hl, (double)rp->errors);
        sum(r, fam, F_HTASKS, hl, 1);
        sum(r, fam, F_HSTATE, hl, (double)rp->state_bytes);
        put(r, fam, F_OEMIT, ol, (double)rp->emitted);
        put(r, fam, F_OTRANS, ol, (double)rp->transferred);
        put(r, fam, F_OEXEC, ol, (double)rp->executed);
        put(r, fam, F_OERR, ol, (double)rp->errors);
        if (bolt) {
            gale_registry_observe(r, fam[F_HLAT], hl, &m->hists[i]);
            gale_registry_observe(r, fam[F_OLAT], ol, &m->hists[i]);
        }
        if (rp->watermark_ms != INT64_MIN && rp->watermark_ms != INT64_MAX) {
            put(r, fam, F_TWM, tl, (double)rp->watermark_ms / 1e3);
            put(r, fam, F_TWM_LAG, tl,
                (double)(gale_wall_ms() - rp->watermark_ms) / 1e3);
        }
        put(r, fam, F_TSTATE, tl, (double)rp->state_bytes);
        put(r, fam, F_TSPILL, tl, (double)rp->spilled);
        sum(r, fam, F_CSTATE, cl, (double)rp->state_bytes);
        if (t->comps[tk->comp].kind == GALE_BOLT)
            gale_registry_observe(r, fam[F_CLAT], cl, &m->hists[i]);
        /* Only where there is one: bolts that ack, spouts with
         * checkpoints. */
        if (t->comps[tk->comp].kind == GALE_BOLT && m->done_lat[i].count > 0) {
            gale_registry_observe(r, fam[F_PLAT], cl, &m->done_lat[i]);
            sum(r, fam, F_CACKED, cl, (double)m->done_lat[i].count);
        }
        else if (t->comps[tk->comp].kind == GALE_SPOUT && m->coord != NULL)
            gale_registry_observe(r, fam[F_CPLAT], cl, &m->done_lat[i]);
        user_series(m, r, fam, i, tl, cl);
    }
}

/* The channel series: each channel inside a process, from its
 * receiver's report (queue) and its sender's (credits). */
static void
chan_series(gale_monitor_t *m, gale_registry_t *r, const int *fam)
{
    const gale_plan_t *p = m->plan;
    const gale_topology_t *t = p->topo;
    char to[24], from[24];
    size_t k;
    int c;

    for (c = 0; c < (int)t->ncomps; c++) {
        const char *const cl[] = { "topology", t->name, "component",
            t->comps[c].id, NULL };

        if (t->comps[c].kind == GALE_BOLT)
            put(r, fam, F_CQUEUE, cl, (double)queued_tuples(m, c));
    }
    for (k = 0; k < p->nchans; k++) {
        const gale_channel_t *ch = &p->chans[k];
        const char *tc = t->comps[p->tasks[ch->to_task - 1].comp].id;
        uint64_t xf, xt;

        snprintf(from, sizeof from, "%d", ch->from_task);
        snprintf(to, sizeof to, "%d", ch->to_task);
        const char *const il[] = { "topology", t->name, "component", tc,
            "task", to, "from_component",
            t->comps[p->tasks[ch->from_task - 1].comp].id, "from_task", from,
            NULL };
        const char *const cl[] = { "topology", t->name, "component", tc,
            NULL };

        if (!transit(m, k, &xf, &xt))
            continue;
        put(r, fam, F_XFRAMES, il, (double)xf);
        put(r, fam, F_XTUPLES, il, (double)xt);
        sum(r, fam, F_CTRANSIT, cl, (double)xt);
    }
    for (k = 0; k < p->nchans; k++) {
        const gale_channel_t *ch = &p->chans[k];
        const char *fc = t->comps[p->tasks[ch->from_task - 1].comp].id;
        const char *tc = t->comps[p->tasks[ch->to_task - 1].comp].id;

        snprintf(from, sizeof from, "%d", ch->from_task);
        snprintf(to, sizeof to, "%d", ch->to_task);
        const char *const il[] = { "topology", t->name, "component", tc,
            "task", to, "from_component", fc, "from_task", from, NULL };
        const char *const ol[] = { "topology", t->name, "component", fc,
            "task", from, "to_component", tc, "to_task", to, NULL };
        const char *const hl[] = { "topology", t->name, "host",
            host_of(m, p->tasks[ch->to_task - 1].worker), NULL };

        if (m->chan_in[k].window > 0) {
            sum(r, fam, F_HQUEUE, hl, (double)m->chan_in[k].tuples);
            put(r, fam, F_QFRAMES, il, m->chan_in[k].frames);
            put(r, fam, F_QTUPLES, il, (double)m->chan_in[k].tuples);
            put(r, fam, F_QWINDOW, il, m->chan_in[k].window);
        }
        if (m->chan_out[k].window > 0)
            put(r, fam, F_CREDITS, ol, credits(&m->chan_out[k]));
    }
}

gale_registry_t *
gale_monitor_registry(gale_monitor_t *m)
{
    const gale_plan_t *p = m->plan;
    const gale_topology_t *t = p->topo;
    const char *const tl[] = { "topology", t->name, NULL };
    gale_registry_t *r = gale_registry_new();
    int fam[NFAMILIES], f, c;
    char exec[24];
    size_t i;

    gale_monitor_sample(m, gale_now_ns());
    for (f = 0; f < NFAMILIES; f++)
        if (m->coord != NULL || f < F_CK_DONE || f > F_CK_ALIGN)
            fam[f] = gale_registry_family(r, families[f].name,
                families[f].type, families[f].help);
    put(r, fam, F_UP, tl, 1);
    put(r, fam, F_ACTIVE, tl, m->cs == NULL ||
        strcmp(gale_console_status_word(m->cs), "ACTIVE") == 0);
    put(r, fam, F_UPTIME, tl, (double)(gale_now_ns() - m->start_ns) / 1e9);
    put(r, fam, F_TASKS, tl, (double)p->ntasks);
    put(r, fam, F_WORKERS, tl, p->nworkers);
    put(r, fam, F_RECOVERIES, tl, m->recoveries);
    put(r, fam, F_ATTEMPT, tl, m->epoch);
    task_series(m, r, fam);
    for (c = 0; c < (int)t->ncomps; c++) {
        const char *const cl[] = { "topology", t->name, "component",
            t->comps[c].id, NULL };
        double er, xr, cap;

        rates(m, c, &er, &xr, &cap);
        put(r, fam, F_RATE, cl, t->comps[c].kind == GALE_SPOUT ? er : xr);
        if (t->comps[c].kind == GALE_BOLT)
            put(r, fam, F_CAP, cl, cap);
    }
    for (i = 0; i < p->nexecs; i++) {
        snprintf(exec, sizeof exec, "%zu", i);
        const char *const el[] = { "topology", t->name, "component",
            t->comps[p->execs[i].comp].id, "executor", exec, NULL };
        const char *const hl[] = { "topology", t->name, "host",
            host_of(m, p->execs[i].worker), NULL };

        put(r, fam, F_BLOCKED, el, (double)m->blocked_ns[i] / 1e9);
        put(r, fam, F_HBLOCKED, hl, (double)m->blocked_ns[i] / 1e9);
    }
    for (c = 0; c < p->nworkers; c++) {
        const char *const hl[] = { "topology", t->name, "host",
            host_of(m, c), NULL };

        sum(r, fam, F_HWORKERS, hl, 1);
        sum(r, fam, F_HQUEUE, hl, 0);
    }
    chan_series(m, r, fam);
    if (m->coord != NULL) {
        const gale_coord_stats_t *s = gale_coord_stats(m->coord);

        put(r, fam, F_CK_DONE, tl, (double)s->completed);
        put(r, fam, F_CK_DECLINED, tl, (double)s->declined);
        put(r, fam, F_CK_LAST, tl, (double)s->last_id);
        put(r, fam, F_CK_BYTES, tl, (double)s->bytes);
        put(r, fam, F_CK_SECS, tl, (double)s->total_ns / 1e9);
        put(r, fam, F_CK_MAX, tl, (double)s->max_ns / 1e9);
        put(r, fam, F_CK_ALIGN, tl, (double)s->align_ns / 1e9);
    }
    return r;
}

/* ---- JSON -------------------------------------------------------------- */

/* The topology's fields shared by the summary and its page. */
static json_t *
topology_head(const gale_monitor_t *m)
{
    const gale_plan_t *p = m->plan;
    const gale_topology_t *t = p->topo;
    static const char *const guarantees[] = { "none", "at_least_once",
        "exactly_once" };
    unsigned long long emitted, executed;

    gale_progress_counts(m->progress, &emitted, &executed);
    return json_pack("{s:s, s:s, s:s, s:s, s:f, s:I, s:i, s:i, s:I, s:I, "
        "s:i, s:I, s:i}",
        "id", t->name, "name", t->name,
        "status", m->cs != NULL ? gale_console_status_word(m->cs) : "ACTIVE",
        "guarantee", (unsigned)t->guarantee < 3 ?
            guarantees[t->guarantee] : "?",
        "uptimeSeconds", (double)(gale_now_ns() - m->start_ns) / 1e9,
        "tasksTotal", (json_int_t)p->ntasks, "executorsTotal", (int)p->nexecs,
        "workersTotal", p->nworkers, "emitted", (json_int_t)emitted,
        "executed", (json_int_t)executed, "pid", (int)getpid(),
        "lastCheckpoint", (json_int_t)(m->coord != NULL ?
            gale_coord_stats(m->coord)->last_id : 0),
        "recoveries", m->recoveries);
}

json_t *
gale_monitor_summary_json(gale_monitor_t *m)
{
    return json_pack("{s:[o]}", "topologies", topology_head(m));
}

/* {"name": value, ...}: the named counters of task index task, or with
 * task -1 their sums over component c's tasks. */
static json_t *
users_json(const gale_monitor_t *m, int c, long task)
{
    json_t *o = json_object(), *v;
    size_t i, k;

    for (i = 0; i < m->plan->ntasks; i++) {
        const user_counters_t *u = &m->users[i];

        if (task >= 0 ? (size_t)task != i : m->plan->tasks[i].comp != c)
            continue;
        for (k = 0; k < u->n; k++) {
            json_int_t sum = (json_int_t)u->values[k];

            if ((v = json_object_get(o, u->names[k])) != NULL)
                sum += json_integer_value(v);
            json_object_set_new(o, u->names[k], json_integer(sum));
        }
    }
    return o;
}

/* Adds to row component c's channel and backpressure figures, as last
 * reported: queuedFrames and queueWindowFrames (its input channels',
 * summed), outputCredits and outputWindowFrames (its output channels'),
 * backpressureSeconds (its executors' waits, summed), transitTuples
 * (tuples between two workers' bridges on their way to it). */
static void
chan_sums(const gale_monitor_t *m, int c, json_t *row)
{
    const gale_plan_t *p = m->plan;
    uint64_t qf = 0, qw = 0, oc = 0, ow = 0, blocked = 0, xt = 0, f, tu;
    size_t k;

    for (k = 0; k < p->nchans; k++) {
        if (p->tasks[p->chans[k].to_task - 1].comp == c &&
            transit(m, k, &f, &tu))
            xt += tu;
        if (p->tasks[p->chans[k].to_task - 1].comp == c &&
            m->chan_in[k].window > 0) {
            qf += m->chan_in[k].frames;
            qw += m->chan_in[k].window;
        }
        if (p->tasks[p->chans[k].from_task - 1].comp == c &&
            m->chan_out[k].window > 0) {
            oc += credits(&m->chan_out[k]);
            ow += m->chan_out[k].window;
        }
    }
    for (k = 0; k < p->nexecs; k++)
        if (p->execs[k].comp == c)
            blocked += m->blocked_ns[k];
    json_object_set_new(row, "queuedFrames", json_integer((json_int_t)qf));
    json_object_set_new(row, "queueWindowFrames",
        json_integer((json_int_t)qw));
    json_object_set_new(row, "outputCredits", json_integer((json_int_t)oc));
    json_object_set_new(row, "outputWindowFrames",
        json_integer((json_int_t)ow));
    json_object_set_new(row, "backpressureSeconds",
        json_real((double)blocked / 1e9));
    json_object_set_new(row, "transitTuples", json_integer((json_int_t)xt));
}

/* One component's row: counters, rates, latency quantiles. */
static json_t *
component_row(gale_monitor_t *m, int c, const sample_t *now)
{
    const gale_plan_t *p = m->plan;
    const gale_comp_t *comp = &p->topo->comps[c];
    const gale_comp_totals_t *tot = &now->comps[c];
    gale_hist_t h, d;
    double er, xr, cap;
    size_t i;
    json_t *row;
    const char *dk = comp->kind == GALE_SPOUT ? "complete" : "process";
    char key[40];

    memset(&h, 0, sizeof h);
    memset(&d, 0, sizeof d);
    for (i = 0; i < p->ntasks; i++)
        if (p->tasks[i].comp == c) {
            gale_hist_merge(&h, &m->hists[i]);
            gale_hist_merge(&d, &m->done_lat[i]);
        }
    rates(m, c, &er, &xr, &cap);
    row = json_pack("{s:s, s:s, s:s, s:i, s:i, s:I, s:I, s:I, s:I, s:f, "
        "s:f, s:f, s:f, s:f, s:f, s:o, s:I}",
        "id", comp->id, "type", comp->kind == GALE_SPOUT ? "spout" : "bolt",
        "impl", comp->type != NULL ? comp->type : "",
        "executors", comp->parallelism, "tasks", comp->ntasks,
        "emitted", (json_int_t)tot->emitted,
        "transferred", (json_int_t)tot->transferred,
        "executed", (json_int_t)tot->executed,
        "errors", (json_int_t)tot->errors,
        "emitRate", er, "executeRate", xr, "capacity", cap,
        "executeLatencyMeanMs", tot->executed ?
            (double)tot->exec_ns / 1e6 / (double)tot->executed : 0.0,
        "executeLatencyP50Ms", gale_hist_quantile(&h, 0.5) / 1e6,
        "executeLatencyP99Ms", gale_hist_quantile(&h, 0.99) / 1e6,
        "userCounters", users_json(m, c, -1),
        "queuedTuples", (json_int_t)queued_tuples(m, c));
    /* processLatency... (bolts) or completeLatency... (spouts): Storm's
     * names; 0 when none was measured. */
    snprintf(key, sizeof key, "%sLatencyMeanMs", dk);
    json_object_set_new(row, key, json_real(d.count ? (double)d.sum / 1e6 /
        (double)d.count : 0.0));
    snprintf(key, sizeof key, "%sLatencyP50Ms", dk);
    json_object_set_new(row, key, json_real(gale_hist_quantile(&d, 0.5) / 1e6));
    snprintf(key, sizeof key, "%sLatencyP99Ms", dk);
    json_object_set_new(row, key, json_real(gale_hist_quantile(&d, 0.99) /
        1e6));
    snprintf(key, sizeof key, "%sLatencyCount", dk);
    json_object_set_new(row, key, json_integer((json_int_t)d.count));
    /* Storm's acked: a bolt's acks are its process latency's records.
     * (A fail fails the task: an error and a recovery, not a count.) */
    if (comp->kind == GALE_BOLT)
        json_object_set_new(row, "acked", json_integer((json_int_t)d.count));
    chan_sums(m, c, row);
    return row;
}

/* Component c's channels inside a process: its inputs (queue depth)
 * and its outputs (credits). */
static void
chans_json(const gale_monitor_t *m, int c, json_t **inputs, json_t **outputs)
{
    const gale_plan_t *p = m->plan;
    const gale_topology_t *t = p->topo;
    size_t k;

    *inputs = json_array();
    *outputs = json_array();
    for (k = 0; k < p->nchans; k++) {
        const gale_channel_t *ch = &p->chans[k];
        int fc = p->tasks[ch->from_task - 1].comp;
        int tc = p->tasks[ch->to_task - 1].comp;
        const gale_chanreport_t *in = &m->chan_in[k], *out = &m->chan_out[k];

        if (tc == c && in->window > 0) {
            json_t *e = json_pack("{s:i, s:i, s:s, s:i, s:i, s:I, s:i}",
                "channel", (int)k, "task", ch->to_task,
                "fromComponent", t->comps[fc].id, "fromTask", ch->from_task,
                "queuedFrames", (int)in->frames,
                "queuedTuples", (json_int_t)in->tuples,
                "windowFrames", (int)in->window);
            uint64_t xf, xt;

            if (transit(m, k, &xf, &xt)) {
                json_object_set_new(e, "transitFrames",
                    json_integer((json_int_t)xf));
                json_object_set_new(e, "transitTuples",
                    json_integer((json_int_t)xt));
            }
            json_array_append_new(*inputs, e);
        }
        if (fc == c && out->window > 0)
            json_array_append_new(*outputs, json_pack("{s:i, s:i, s:s, s:i, "
                "s:i, s:i, s:i}", "channel", (int)k, "task", ch->from_task,
                "toComponent", t->comps[tc].id, "toTask", ch->to_task,
                "inFlightFrames", (int)out->frames,
                "credits", (int)credits(out),
                "windowFrames", (int)out->window));
    }
}

/* Adds to top "hosts" (per host, in the order of its first worker: its
 * workers and tasks, the sums of its tasks' counters, its bolt tasks'
 * execute latency quantiles, its executors' backpressure and its tasks'
 * queued tuples) and "totals" (every task's counters summed: the sums
 * over the hosts). */
static void
hosts_json(const gale_monitor_t *m, json_t *top)
{
    const gale_plan_t *p = m->plan;
    size_t nh = 0, i, k;
    int w, *hix = xcalloc((size_t)p->nworkers + 1, sizeof *hix);
    struct hsum {
        const char *name;
        json_t *workers;
        json_int_t tasks;
        gale_comp_totals_t tot;
        gale_hist_t lat;
        uint64_t blocked_ns, queued;
    } *h = xcalloc((size_t)p->nworkers + 1, sizeof *h);
    gale_comp_totals_t all;
    json_t *list = json_array();

    memset(&all, 0, sizeof all);
    for (w = 0; w < p->nworkers; w++) {
        for (k = 0; k < nh && strcmp(h[k].name, host_of(m, w)) != 0; k++)
            ;
        if (k == nh) {
            h[nh].name = host_of(m, w);
            h[nh++].workers = json_array();
        }
        hix[w] = (int)k;
        json_array_append_new(h[k].workers, json_integer(w));
    }
    for (i = 0; i < p->ntasks; i++) {
        const gale_report_task_t *r = gale_progress_task(m->progress,
            p->tasks[i].id);
        struct hsum *x = &h[hix[p->tasks[i].worker]];

        x->tasks++;
        x->tot.emitted += r->emitted;
        x->tot.transferred += r->transferred;
        x->tot.executed += r->executed;
        x->tot.exec_ns += r->exec_ns;
        x->tot.errors += r->errors;
        all.emitted += r->emitted;
        all.transferred += r->transferred;
        all.executed += r->executed;
        all.errors += r->errors;
        if (p->topo->comps[p->tasks[i].comp].kind == GALE_BOLT)
            gale_hist_merge(&x->lat, &m->hists[i]);
    }
    for (i = 0; i < p->nexecs; i++)
        h[hix[p->execs[i].worker]].blocked_ns += m->blocked_ns[i];
    for (i = 0; i < p->nchans; i++)
        if (m->chan_in[i].window > 0)
            h[hix[p->tasks[p->chans[i].to_task - 1].worker]].queued +=
                m->chan_in[i].tuples;
    for (k = 0; k < nh; k++)
        json_array_append_new(list, json_pack("{s:s, s:o, s:I, s:I, s:I, "
            "s:I, s:I, s:f, s:f, s:f, s:I}", "host", h[k].name,
            "workers", h[k].workers, "tasks", h[k].tasks,
            "emitted", (json_int_t)h[k].tot.emitted,
            "transferred", (json_int_t)h[k].tot.transferred,
            "executed", (json_int_t)h[k].tot.executed,
            "errors", (json_int_t)h[k].tot.errors,
            "executeLatencyP50Ms", gale_hist_quantile(&h[k].lat, 0.5) / 1e6,
            "executeLatencyP99Ms", gale_hist_quantile(&h[k].lat, 0.99) / 1e6,
            "backpressureSeconds", (double)h[k].blocked_ns / 1e9,
            "queuedTuples", (json_int_t)h[k].queued));
    json_object_set_new(top, "hosts", list);
    json_object_set_new(top, "totals", json_pack("{s:I, s:I, s:I, s:I}",
        "emitted", (json_int_t)all.emitted,
        "transferred", (json_int_t)all.transferred,
        "executed", (json_int_t)all.executed,
        "errors", (json_int_t)all.errors));
    free(h);
    free(hix);
}

static const char *
grouping_name(gale_grouping_t g)
{
    static const char *const names[] = { "shuffle", "fields", "all",
        "global", "none", "direct", "local_or_shuffle", "partial_key",
        "custom" };

    return (unsigned)g < sizeof names / sizeof names[0] ? names[g] : "?";
}

json_t *
gale_monitor_topology_json(gale_monitor_t *m)
{
    const gale_plan_t *p = m->plan;
    const gale_topology_t *t = p->topo;
    json_t *top = topology_head(m), *spouts = json_array(),
        *bolts = json_array(), *edges = json_array(), *ckpts = json_array(),
        *hist = json_array(), *row;
    const sample_t *now, *prev = NULL;
    size_t i, k;

    gale_monitor_sample(m, gale_now_ns());
    now = &m->ring[(m->next + SAMPLES - 1) % SAMPLES];
    for (i = 0; i < t->ncomps; i++) {
        row = component_row(m, (int)i, now);
        json_array_append_new(t->comps[i].kind == GALE_SPOUT ? spouts : bolts,
            row);
    }
    for (i = 0; i < t->nedges; i++) {
        uint64_t qf = 0, qw = 0;

        /* Channels are per task pair, not per stream: every stream
         * between the same two components shows their channels. */
        for (k = 0; k < p->nchans; k++)
            if (p->tasks[p->chans[k].from_task - 1].comp ==
                t->edges[i].from &&
                p->tasks[p->chans[k].to_task - 1].comp == t->edges[i].to &&
                m->chan_in[k].window > 0) {
                qf += m->chan_in[k].frames;
                qw += m->chan_in[k].window;
            }
        json_array_append_new(edges, json_pack("{s:s, s:s, s:s, s:s, s:I, "
            "s:I}", "from", t->comps[t->edges[i].from].id,
            "to", t->comps[t->edges[i].to].id,
            "stream", t->edges[i].stream,
            "grouping", grouping_name(t->edges[i].grouping),
            "queuedFrames", (json_int_t)qf, "windowFrames", (json_int_t)qw));
    }
    if (m->coord != NULL) {
        static const char *const outcomes[] = { "completed", "declined",
            "abandoned" };
        const gale_coord_record_t *r = gale_coord_records(m->coord, &k);
        const gale_coord_stats_t *st;
        size_t from = k > 50 ? k - 50 : 0;

        for (i = from; i < k; i++)
            json_array_append_new(ckpts, json_pack("{s:I, s:i, s:s, s:f, "
                "s:f, s:I}", "id", (json_int_t)r[i].id,
                "attempt", (int)r[i].attempt,
                "outcome", (unsigned)r[i].outcome < 3 ?
                    outcomes[r[i].outcome] : "?",
                "durationMs", (double)r[i].duration_ns / 1e6,
                "alignmentMs", (double)r[i].align_ns / 1e6,
                "bytes", (json_int_t)r[i].bytes));
        st = gale_coord_stats(m->coord);
        json_object_set_new(top, "checkpointStats", json_pack("{s:I, s:I, "
            "s:I, s:f, s:f, s:f}", "completed", (json_int_t)st->completed,
            "declined", (json_int_t)st->declined,
            "bytes", (json_int_t)st->bytes,
            "durationMsTotal", (double)st->total_ns / 1e6,
            "durationMsMax", (double)st->max_ns / 1e6,
            "alignmentMsTotal", (double)st->align_ns / 1e6));
    }
    /* The throughput chart: per sample, tuples per second of each
     * component since the sample before it. */
    for (k = 0; k < SAMPLES; k++) {
        const sample_t *s = &m->ring[(m->next + k) % SAMPLES];
        json_t *vals;
        double dt;

        if (s->t_ns == 0)
            continue;
        if (prev != NULL && s->t_ns > prev->t_ns) {
            dt = (double)(s->t_ns - prev->t_ns) / 1e9;
            vals = json_object();
            for (i = 0; i < t->ncomps; i++) {
                uint64_t a = t->comps[i].kind == GALE_SPOUT ?
                    prev->comps[i].emitted : prev->comps[i].executed;
                uint64_t b = t->comps[i].kind == GALE_SPOUT ?
                    s->comps[i].emitted : s->comps[i].executed;

                json_object_set_new(vals, t->comps[i].id,
                    json_real(b >= a ? (double)(b - a) / dt : 0.0));
            }
            json_array_append_new(hist, json_pack("{s:f, s:o}", "t",
                (double)(s->t_ns - m->start_ns) / 1e9, "rates", vals));
        }
        prev = s;
    }
    json_object_set_new(top, "spouts", spouts);
    json_object_set_new(top, "bolts", bolts);
    json_object_set_new(top, "streams", edges);
    json_object_set_new(top, "checkpoints", ckpts);
    json_object_set_new(top, "throughput", hist);
    hosts_json(m, top);
    return top;
}

json_t *
gale_monitor_component_json(gale_monitor_t *m, const char *comp)
{
    const gale_plan_t *p = m->plan;
    const gale_topology_t *t = p->topo;
    int c = gale_topology_find(t, comp);
    json_t *row, *tasks, *execs, *ins, *outs;
    const sample_t *now;
    size_t i;

    if (c < 0)
        return NULL;
    gale_monitor_sample(m, gale_now_ns());
    now = &m->ring[(m->next + SAMPLES - 1) % SAMPLES];
    row = component_row(m, c, now);
    tasks = json_array();
    execs = json_array();
    for (i = 0; i < p->ntasks; i++) {
        const gale_report_task_t *r;

        if (p->tasks[i].comp != c)
            continue;
        r = gale_progress_task(m->progress, p->tasks[i].id);
        json_array_append_new(tasks, json_pack("{s:i, s:i, s:i, s:s, s:I, "
            "s:I, s:I, s:I, s:f, s:f, s:o}", "id", p->tasks[i].id,
            "executor", p->tasks[i].executor, "worker", p->tasks[i].worker,
            "host", host_of(m, p->tasks[i].worker),
            "emitted", (json_int_t)r->emitted,
            "transferred", (json_int_t)r->transferred,
            "executed", (json_int_t)r->executed,
            "errors", (json_int_t)r->errors,
            "executeLatencyP50Ms", gale_hist_quantile(&m->hists[i], 0.5) / 1e6,
            "executeLatencyP99Ms", gale_hist_quantile(&m->hists[i], 0.99) /
                1e6, "userCounters", users_json(m, c, (long)i)));
    }
    for (i = 0; i < p->nexecs; i++)
        if (p->execs[i].comp == c)
            json_array_append_new(execs, json_pack("{s:i, s:i, s:s, s:i, "
                "s:i, s:f}", "id", (int)i, "worker", p->execs[i].worker,
                "host", host_of(m, p->execs[i].worker),
                "firstTask", p->execs[i].first_task,
                "tasks", p->execs[i].ntasks,
                "backpressureSeconds", (double)m->blocked_ns[i] / 1e9));
    json_object_set_new(row, "topologyId", json_string(t->name));
    json_object_set_new(row, "taskStats", tasks);
    json_object_set_new(row, "executorStats", execs);
    chans_json(m, c, &ins, &outs);
    json_object_set_new(row, "inputChannels", ins);
    json_object_set_new(row, "outputChannels", outs);
    return row;
}
