/* runtime.c - local mode. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "engine/control.h"
#include "engine/executor.h"
#include "engine/outlet.h"
#include "engine/runtime.h"

/* Set by the signal handler only; read by the runtime loop. */
static volatile sig_atomic_t signals_seen;

static void
on_signal(int sig)
{
    (void)sig;
    signals_seen++;
}

/* Per-task counters as last reported. */
typedef struct task_seen {
    gale_report_task_t r;           /* last report */
} task_seen_t;

typedef struct runtime {
    const gale_plan_t *plan;
    const gale_runtime_opts_t *opts;
    void *zctx;
    void *report;                   /* PULL */
    void **ctl;                     /* PAIR per executor */
    gale_exec_t **execs;
    bool *done;                     /* per executor */
    size_t ndone;
    task_seen_t *tasks;             /* by task id - 1 */
    uint64_t *blocked_ns;           /* per executor */
    char *failure;                  /* first failure message, owned */
    uint64_t start_ns;
    int drawn;                      /* progress lines on screen */
    gale_comp_totals_t *prev;       /* totals at the last redraw */
    uint64_t prev_ns;
} runtime_t;

/* Sends a control message to executor i. */
static void
send_ctl(runtime_t *rt, size_t i, uint32_t type)
{
    gale_ctl_msg_t m = { .type = type };

    zmq_send(rt->ctl[i], &m, sizeof m, ZMQ_DONTWAIT);
}

/* Sums the task counters per component. */
static void
totals(const runtime_t *rt, gale_comp_totals_t *out)
{
    const gale_plan_t *p = rt->plan;
    size_t i;

    memset(out, 0, sizeof *out * p->topo->ncomps);
    for (i = 0; i < p->ntasks; i++) {
        gale_comp_totals_t *c = &out[p->tasks[i].comp];
        const gale_report_task_t *r = &rt->tasks[i].r;

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

/* Redraws the live progress lines on stderr: totals and the rate since
 * the last redraw, or, when final, the mean rate over the whole run. */
static void
draw_progress(runtime_t *rt, bool final)
{
    const gale_topology_t *t = rt->plan->topo;
    gale_comp_totals_t *cur = xcalloc(t->ncomps, sizeof *cur);
    uint64_t now = gale_now_ns();
    double dt = (now - rt->prev_ns) / 1e9;

    if (final) {
        memset(rt->prev, 0, sizeof *rt->prev * t->ncomps);
        dt = (now - rt->start_ns) / 1e9;
    }
    char a[32], b[32], c[32];
    size_t i;

    totals(rt, cur);
    if (rt->drawn > 0)
        fprintf(stderr, "\033[%dA", rt->drawn);
    for (i = 0; i < t->ncomps; i++) {
        const gale_comp_t *comp = &t->comps[i];
        unsigned long long n = comp->kind == GALE_SPOUT ? cur[i].emitted :
            cur[i].executed;
        unsigned long long pn = comp->kind == GALE_SPOUT ? rt->prev[i].emitted :
            rt->prev[i].executed;

        fprintf(stderr, "\033[2K%-20s %-6s %8s %s  (%s/s)  emitted %s\n",
            comp->id, comp->kind == GALE_SPOUT ? "spout" : "bolt",
            human(n, a, sizeof a),
            comp->kind == GALE_SPOUT ? "emitted " : "executed",
            human(dt > 0 ? (unsigned long long)((n - pn) / dt) : 0, b, sizeof b),
            human(cur[i].emitted, c, sizeof c));
    }
    rt->drawn = (int)t->ncomps;
    memcpy(rt->prev, cur, sizeof *cur * t->ncomps);
    rt->prev_ns = now;
    free(cur);
}

/* Prints the final table. */
static void
print_summary(runtime_t *rt, FILE *fp)
{
    const gale_topology_t *t = rt->plan->topo;
    gale_comp_totals_t *cur = xcalloc(t->ncomps, sizeof *cur);
    double secs = (gale_now_ns() - rt->start_ns) / 1e9;
    size_t i;

    totals(rt, cur);
    fprintf(fp, "%-20s %-5s %5s %14s %14s %14s %12s\n", "component", "kind",
        "tasks", "emitted", "transferred", "executed", "exec lat us");
    for (i = 0; i < t->ncomps; i++) {
        const gale_comp_t *c = &t->comps[i];
        double lat = cur[i].executed ? cur[i].exec_ns / 1e3 / cur[i].executed : 0;

        fprintf(fp, "%-20s %-5s %5d %14llu %14llu %14llu %12.3f\n", c->id,
            c->kind == GALE_SPOUT ? "spout" : "bolt", c->ntasks, cur[i].emitted,
            cur[i].transferred, cur[i].executed, lat);
    }
    fprintf(fp, "%s: %s in %.3f s\n", t->name,
        rt->failure ? "failed" : "finished", secs);
    free(cur);
}

/* Reads one report message. */
static void
read_report(runtime_t *rt)
{
    gale_report_hdr_t h;
    zmq_msg_t part;
    const gale_report_task_t *r;
    size_t i, n;
    int more;
    size_t more_len = sizeof more;

    if (zmq_recv(rt->report, &h, sizeof h, 0) < (int)sizeof h)
        return;
    more = 0;
    zmq_getsockopt(rt->report, ZMQ_RCVMORE, &more, &more_len);
    zmq_msg_init(&part);
    if (more && zmq_msg_recv(&part, rt->report, 0) < 0) {
        zmq_msg_close(&part);
        return;
    }
    switch (h.type) {
    case GALE_REPORT_STATS:
        r = zmq_msg_data(&part);
        n = zmq_msg_size(&part) / sizeof *r;
        for (i = 0; i < n; i++)
            if (r[i].task >= 1 && (size_t)r[i].task <= rt->plan->ntasks)
                rt->tasks[r[i].task - 1].r = r[i];
        if (h.exec >= 0 && (size_t)h.exec < rt->plan->nexecs)
            rt->blocked_ns[h.exec] = h.blocked_ns;
        break;
    case GALE_REPORT_DONE:
        if (h.exec >= 0 && (size_t)h.exec < rt->plan->nexecs && !rt->done[h.exec]) {
            rt->done[h.exec] = true;
            rt->ndone++;
        }
        break;
    case GALE_REPORT_FAILED:
        if (rt->failure == NULL)
            rt->failure = xstrndup(zmq_msg_size(&part) ? zmq_msg_data(&part) : "",
                zmq_msg_size(&part));
        break;
    }
    zmq_msg_close(&part);
}

int
gale_runtime_run(const gale_plan_t *plan, const gale_runtime_opts_t *opts)
{
    static int runs;
    runtime_t rt;
    gale_executor_cfg_t ec;
    struct sigaction sa, old_int, old_term;
    char prefix[64], ep[96];
    uint64_t next_draw, stop_at = 0;
    size_t i;
    int linger = 0, stopped = 0, status;

    memset(&rt, 0, sizeof rt);
    rt.plan = plan;
    rt.opts = opts;
    rt.start_ns = rt.prev_ns = gale_now_ns();
    rt.zctx = zmq_ctx_new();
    rt.ctl = xcalloc(plan->nexecs + 1, sizeof *rt.ctl);
    rt.execs = xcalloc(plan->nexecs + 1, sizeof *rt.execs);
    rt.done = xcalloc(plan->nexecs + 1, sizeof *rt.done);
    rt.blocked_ns = xcalloc(plan->nexecs + 1, sizeof *rt.blocked_ns);
    rt.tasks = xcalloc(plan->ntasks + 1, sizeof *rt.tasks);
    rt.prev = xcalloc(plan->topo->ncomps + 1, sizeof *rt.prev);
    snprintf(prefix, sizeof prefix, "inproc://gale-%d-%d/", (int)getpid(), ++runs);

    rt.report = zmq_socket(rt.zctx, ZMQ_PULL);
    zmq_setsockopt(rt.report, ZMQ_LINGER, &linger, sizeof linger);
    snprintf(ep, sizeof ep, "%sreport", prefix);
    if (zmq_bind(rt.report, ep) != 0)
        fatalx("%s: %s", ep, zmq_strerror(errno));
    for (i = 0; i < plan->nexecs; i++) {
        rt.ctl[i] = zmq_socket(rt.zctx, ZMQ_PAIR);
        zmq_setsockopt(rt.ctl[i], ZMQ_LINGER, &linger, sizeof linger);
        snprintf(ep, sizeof ep, "%sctl/%zu", prefix, i);
        if (zmq_bind(rt.ctl[i], ep) != 0)
            fatalx("%s: %s", ep, zmq_strerror(errno));
    }

    signals_seen = 0;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    memset(&ec, 0, sizeof ec);
    ec.plan = plan;
    ec.zctx = rt.zctx;
    ec.prefix = prefix;
    ec.epoch = 1;
    ec.report_ms = opts->report_ms > 0 ? opts->report_ms : 500;
    for (i = 0; i < plan->nexecs; i++) {
        ec.exec = (int)i;
        rt.execs[i] = gale_executor_new(&ec);
        if (gale_executor_start(rt.execs[i]) != 0)
            fatal("starting executor %zu", i);
    }
    if (opts->ttl_secs > 0)
        stop_at = rt.start_ns + (uint64_t)(opts->ttl_secs * 1e9);
    next_draw = rt.start_ns + 1000000000u;
    while (rt.ndone < plan->nexecs && rt.failure == NULL) {
        zmq_pollitem_t item = { rt.report, 0, ZMQ_POLLIN, 0 };
        uint64_t now;

        if (zmq_poll(&item, 1, 200) > 0)
            while (zmq_poll(&item, 1, 0) > 0)
                read_report(&rt);
        now = gale_now_ns();
        if ((signals_seen > 0 || (stop_at && now >= stop_at)) && !stopped) {
            log_info("%s: stopping: spouts end their streams, the rest drains "
                "(signal again to abort)", plan->topo->name);
            for (i = 0; i < plan->nexecs; i++)
                if (plan->topo->comps[plan->execs[i].comp].kind == GALE_SPOUT)
                    send_ctl(&rt, i, GALE_CTL_STOP);
            stopped = signals_seen > 0 ? (int)signals_seen : 1;
        } else if (stopped && signals_seen > stopped) {
            rt.failure = xstrdup("aborted by signal");
        }
        if (opts->progress && now >= next_draw) {
            draw_progress(&rt, false);
            next_draw = now + 1000000000u;
        }
    }
    for (i = 0; i < plan->nexecs; i++)
        send_ctl(&rt, i, GALE_CTL_EXIT);
    for (i = 0; i < plan->nexecs; i++)
        gale_executor_destroy(&rt.execs[i]);
    /* Last reports (final counters) sent before the executors left. */
    {
        zmq_pollitem_t item = { rt.report, 0, ZMQ_POLLIN, 0 };

        while (zmq_poll(&item, 1, 0) > 0)
            read_report(&rt);
    }
    if (opts->progress)
        draw_progress(&rt, true);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (rt.failure != NULL)
        log_error("%s: %s", plan->topo->name, rt.failure);
    if (opts->summary != NULL)
        print_summary(&rt, opts->summary);
    status = rt.failure != NULL ? 1 : 0;
    for (i = 0; i < plan->nexecs; i++)
        zmq_close(rt.ctl[i]);
    zmq_close(rt.report);
    zmq_ctx_term(rt.zctx);
    free(rt.ctl);
    free(rt.execs);
    free(rt.done);
    free(rt.blocked_ns);
    free(rt.tasks);
    free(rt.prev);
    free(rt.failure);
    return status;
}
