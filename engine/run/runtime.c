/* runtime.c - local mode. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "common/fs.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "engine/net/endpoint.h"
#include "engine/checkpoint/ckptwriter.h"
#include "engine/net/netsec.h"
#include "engine/run/placement.h"
#include "engine/run/console.h"
#include "engine/wire/control.h"
#include "engine/checkpoint/coordinator.h"
#include "engine/exec/executor.h"
#include "engine/transport/outlet.h"
#include "engine/run/runtime.h"
#include "engine/run/status.h"
#include "engine/checkpoint/savepoint.h"

extern char **environ;

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
    void *lease;                    /* PUB: the lease workers must hear */
    uint64_t lease_at;              /* when the next lease goes out */
    void **ctl;                     /* PAIR per executor */
    gale_exec_t **execs;
    bool *done;                     /* per executor */
    size_t ndone;
    task_seen_t *tasks;             /* by task id - 1 */
    char *failure;                  /* first failure message, owned */
    gale_coord_t *coord;            /* checkpoints, or NULL (guarantee none) */
    int run;                        /* this process's run number */
    int stopped;                    /* signals handled when STOP went out */
    bool aborted;                   /* a second signal: no recovery */
    uint64_t stop_at;               /* ttl: stop then; 0 = never */
    int recoveries;                 /* attempts restarted */
    char *recovery_log;             /* what each recovery restored, owned */
    bool procs;                     /* executors run in worker processes */
    pid_t *pids;                    /* per worker, 0 when not running */
    uint64_t *last_seen;            /* per worker: last report, ns */
    int worker_timeout_ms;          /* no report for this long: failed */
    int ctl_base;                   /* transport tcp: control plane's base
                                       port (engine/net/endpoint.h); 0: ipc */
    gale_placement_t *place;        /* cluster master: remote workers */
    bool host_failure;              /* the failure is a host's (dead, back,
                                       or refusing workers): it does not
                                       count against restart attempts */
    char run_id[64];                /* the attempt's: bridge names, lease */
    uint64_t start_ns;
    int drawn;                      /* progress lines on screen */
    gale_comp_totals_t *prev;       /* totals at the last redraw */
    uint64_t prev_ns;
    /* The console: commands from `gale list`, `gale kill`, ... */
    void *console;                  /* REP, or NULL (none, or name taken) */
    bool console_busy;              /* a request waits for its reply */
    char *sp_verb;                  /* savepoint, stop-savepoint, rebalance */
    char *sp_dir;                   /* where the savepoint goes, owned */
    char *sp_spec;                  /* rebalance: the new parallelism */
    uint64_t sp_id;                 /* its checkpoint; 0: not triggered */
    bool sp_written;                /* the savepoint directory is complete */
    int ending;                     /* 0, or GALE_RUNTIME_* why it ends */
    bool inactive;                  /* deactivated (spouts idle) */
    uint64_t kill_at;               /* `gale kill -w`: stop then; 0 = no */
} runtime_t;

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
    fprintf(fp, "%s: %s in %.3f s\n", t->name, rt->failure ? "failed" :
        rt->ending == GALE_RUNTIME_SAVEPOINT ? "stopped with a savepoint" :
        rt->ending == GALE_RUNTIME_REBALANCE ? "stopped to rebalance" :
        "finished", secs);
    free(cur);
}

/* One attempt's sockets and executors. */
typedef struct attempt {
    uint32_t epoch;                 /* attempt epoch, from 1 */
    char prefix[96];                /* endpoint prefix: inproc, or ipc://@
                                       with worker processes */
    gale_ckptwriter_t *writer;      /* checkpoint writer, or NULL */
    gale_ckpt_meta_t *restore;      /* restore point copy, owned, or NULL */
    size_t nnotified;               /* executors that ran complete(final) */
    uint64_t *notified_upto;        /* per executor: highest complete(n) run */
    bool *ready;                    /* per executor: reported at least once
                                       (its control socket is connected) */
    size_t nready;
    uint64_t final_id;              /* the final checkpoint, 0 until taken */
    uint64_t stale_seen;            /* reports of other epochs dropped */
    bool *notified;                 /* per executor, for final_id */
} attempt_t;

/* Sends a control message with an argument to every executor. */
static void
broadcast(runtime_t *rt, uint32_t type, uint64_t arg)
{
    gale_ctl_msg_t m = { .type = type, .arg = arg };
    size_t i;

    for (i = 0; i < rt->plan->nexecs; i++)
        if (rt->ctl[i] != NULL)
            zmq_send(rt->ctl[i], &m, sizeof m, ZMQ_DONTWAIT);
}

/* Answers the console request that waits, with a formatted line. */
static void __attribute__((format(printf, 2, 3)))
console_reply(runtime_t *rt, const char *fmt, ...)
{
    va_list ap;
    char *line;

    if (!rt->console_busy)
        return;
    va_start(ap, fmt);
    if (vasprintf(&line, fmt, ap) < 0)
        line = NULL;
    va_end(ap);
    zmq_send(rt->console, line != NULL ? line : "error", line != NULL ?
        strlen(line) : 5, 0);
    free(line);
    rt->console_busy = false;
}

/* Forgets the savepoint in progress. */
static void
savepoint_clear(runtime_t *rt)
{
    free(rt->sp_verb);
    free(rt->sp_dir);
    free(rt->sp_spec);
    rt->sp_verb = rt->sp_dir = rt->sp_spec = NULL;
    rt->sp_id = 0;
    rt->sp_written = false;
}

/* The savepoint's checkpoint completed: copies it out. A plain savepoint
 * is answered now; stop-savepoint and rebalance wait for the sinks to
 * publish (run_attempt). */
static void
savepoint_done(runtime_t *rt)
{
    const gale_ckpt_meta_t *m = gale_coord_last(rt->coord);
    char *why = NULL;

    if (gale_savepoint_write(gale_coord_dir(rt->coord), m,
        rt->plan->topo->path, rt->sp_dir, &why) != 0) {
        log_error("%s: savepoint %s: %s", rt->plan->topo->name, rt->sp_dir,
            why ? why : "?");
        console_reply(rt, "error savepoint %s: %s", rt->sp_dir, why ? why : "?");
        free(why);
        savepoint_clear(rt);
        return;
    }
    log_info("%s: savepoint %s written (checkpoint %llu)",
        rt->plan->topo->name, rt->sp_dir, (unsigned long long)m->id);
    rt->sp_written = true;
    if (strcmp(rt->sp_verb, "savepoint") == 0) {
        console_reply(rt, "ok savepoint %s (checkpoint %llu)", rt->sp_dir,
            (unsigned long long)m->id);
        savepoint_clear(rt);
    }
}

/* The status word Storm's `list` shows. */
static const char *
status_word(const runtime_t *rt)
{
    if (rt->sp_verb != NULL && strcmp(rt->sp_verb, "rebalance") == 0)
        return "REBALANCING";
    if (rt->kill_at != 0 || rt->stopped)
        return "KILLED";
    return rt->inactive ? "INACTIVE" : "ACTIVE";
}

/* Checks a rebalance's spec ("COMPONENT=N ... workers=N") against the
 * topology before anything stops: unknown components, bad numbers, and
 * spouts whose task count would change are refused. 0, or -1 with the
 * reason in why. */
static int
check_rebalance(const runtime_t *rt, const char *spec, char *why, size_t len)
{
    const gale_topology_t *t = rt->plan->topo;
    char *copy = xstrdup(spec), *tok, *save = NULL, *eq, *end;
    long n;
    int k, rc = 0;

    for (tok = strtok_r(copy, " ", &save); tok != NULL && rc == 0;
        tok = strtok_r(NULL, " ", &save)) {
        const gale_comp_t *c = NULL;

        if ((eq = strchr(tok, '=')) == NULL) {
            snprintf(why, len, "`%s`: expected COMPONENT=N", tok);
            rc = -1;
            break;
        }
        *eq = '\0';
        n = strtol(eq + 1, &end, 10);
        if (*end != '\0' || eq[1] == '\0' || n < 1 ||
            n > t->max_parallelism) {
            snprintf(why, len, "%s: expected a number from 1 to %d, not `%s`",
                tok, t->max_parallelism, eq + 1);
            rc = -1;
            break;
        }
        if (strcmp(tok, "workers") == 0)
            continue;
        if ((k = gale_topology_find(t, tok)) >= 0)
            c = &t->comps[k];
        if (c == NULL) {
            snprintf(why, len, "no component `%s` in %s", tok, t->name);
            rc = -1;
        } else if (c->kind == GALE_SPOUT &&
            gale_comp_tasks_for(c, (int)n) != c->ntasks) {
            snprintf(why, len, "spout `%s` has %d tasks and would get %ld: a "
                "spout's recorded positions belong to its tasks, so its task "
                "count cannot change (give it more tasks in the file to allow "
                "more executors)", tok, c->ntasks, n);
            rc = -1;
        }
    }
    free(copy);
    return rc;
}

/* Reads and acts on one console request. Most are answered at once; a
 * savepoint is answered when it is written (or fails). */
static void
handle_console(runtime_t *rt)
{
    const gale_plan_t *p = rt->plan;
    char req[4096], verb[32], arg[4096];
    int n, secs;

    if ((n = zmq_recv(rt->console, req, sizeof req - 1, ZMQ_DONTWAIT)) < 0)
        return;
    rt->console_busy = true;
    req[n < (int)sizeof req ? n : (int)sizeof req - 1] = '\0';
    verb[0] = arg[0] = '\0';
    sscanf(req, "%31s %4095[^\n]", verb, arg);
    if (strcmp(verb, "status") == 0) {
        unsigned long long emitted = 0, executed = 0;
        size_t i;

        for (i = 0; i < p->ntasks; i++) {
            if (p->topo->comps[p->tasks[i].comp].kind == GALE_SPOUT)
                emitted += rt->tasks[i].r.emitted;
            else
                executed += rt->tasks[i].r.executed;
        }
        gale_status_t st = {
            .tasks = p->ntasks, .workers = p->nworkers,
            .uptime_s = (gale_now_ns() - rt->start_ns) / 1e9,
            .pid = (int)getpid(), .emitted = emitted, .executed = executed,
            .last_ckpt = rt->coord != NULL ?
                (unsigned long long)gale_coord_stats(rt->coord)->last_id : 0,
        };
        char *text;

        snprintf(st.word, sizeof st.word, "%s", status_word(rt));
        text = gale_status_format(&st);
        console_reply(rt, "%s", text);
        free(text);
    } else if (strcmp(verb, "activate") == 0 ||
        strcmp(verb, "deactivate") == 0) {
        rt->inactive = verb[0] == 'd';
        broadcast(rt, rt->inactive ? GALE_CTL_DEACTIVATE : GALE_CTL_ACTIVATE, 0);
        log_info("%s: %sactivated", p->topo->name, rt->inactive ? "de" : "");
        console_reply(rt, "ok %s", status_word(rt));
    } else if (strcmp(verb, "kill") == 0) {
        secs = atoi(arg);
        rt->inactive = true;
        broadcast(rt, GALE_CTL_DEACTIVATE, 0);
        rt->kill_at = gale_now_ns() + (uint64_t)(secs > 0 ? secs : 0) *
            1000000000ull + 1;
        log_info("%s: killed: spouts deactivated, stopping in %d s",
            p->topo->name, secs);
        console_reply(rt, "ok killing %s in %d s", p->topo->name, secs);
    } else if (strcmp(verb, "savepoint") == 0 ||
        strcmp(verb, "stop-savepoint") == 0 || strcmp(verb, "rebalance") == 0) {
        char dir[4096] = "", spec[4096] = "";

        sscanf(arg, "%4095s %4095[^\n]", dir, spec);
        if (rt->coord == NULL)
            console_reply(rt, "error %s runs with guarantee \"none\": no "
                "checkpoints, so no savepoints", p->topo->name);
        else if (rt->sp_verb != NULL)
            console_reply(rt, "error a %s is already in progress", rt->sp_verb);
        else if (rt->stopped || rt->kill_at != 0)
            console_reply(rt, "error %s is stopping", p->topo->name);
        else if (strcmp(verb, "rebalance") == 0 &&
            check_rebalance(rt, spec, arg, sizeof arg) != 0)
            console_reply(rt, "error %s", arg);
        else if (dir[0] != '/' && strcmp(dir, "-") != 0)
            console_reply(rt, "error the savepoint directory must be an "
                "absolute path");
        else {
            if (strcmp(dir, "-") == 0) {
                char *abs = realpath(gale_coord_dir(rt->coord), NULL);

                snprintf(dir, sizeof dir, "%s/savepoints/%s-%llu",
                    abs != NULL ? abs : gale_coord_dir(rt->coord),
                    p->topo->name, (unsigned long long)time(NULL));
                free(abs);
            }
            rt->sp_verb = xstrdup(verb);
            rt->sp_dir = xstrdup(dir);
            rt->sp_spec = xstrdup(spec);
            log_info("%s: %s requested into %s", p->topo->name, verb, dir);
            return;                 /* answered when written */
        }
    } else {
        console_reply(rt, "error unknown request `%s`", verb);
    }
}

/* Reads and drops the remaining parts of a message. */
static void
drop_rest(void *sock)
{
    zmq_msg_t part;
    int more = 1;
    size_t len = sizeof more;

    while (zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &len) == 0 && more) {
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, sock, 0) < 0) {
            zmq_msg_close(&part);
            return;
        }
        zmq_msg_close(&part);
    }
}

/* Reads one report message. */
static void
read_report(runtime_t *rt, attempt_t *at)
{
    gale_report_hdr_t h;
    zmq_msg_t part, part2;
    gale_report_task_t r;
    gale_report_ack_t ack;
    uint64_t done;
    char *why = NULL;
    size_t i, n;
    int more, rc;
    size_t more_len = sizeof more;

    if (zmq_recv(rt->report, &h, sizeof h, 0) < (int)sizeof h)
        return;
    if (h.epoch != 0 && h.epoch != at->epoch) {
        /* A worker of an earlier attempt (a host that was cut off and
         * came back): nothing it says counts. Said once per attempt. */
        drop_rest(rt->report);
        if (at->stale_seen++ == 0)
            log_warn("%s: dropping what executor %d of attempt %u still "
                "sends (this is attempt %u)", rt->plan->topo->name, h.exec,
                h.epoch, at->epoch);
        return;
    }
    if (rt->procs && h.exec >= 0 && (size_t)h.exec < rt->plan->nexecs)
        rt->last_seen[rt->plan->execs[h.exec].worker] = gale_now_ns();
    if (h.exec >= 0 && (size_t)h.exec < rt->plan->nexecs && at->ready != NULL &&
        !at->ready[h.exec]) {
        at->ready[h.exec] = true;
        at->nready++;
    }
    more = 0;
    zmq_getsockopt(rt->report, ZMQ_RCVMORE, &more, &more_len);
    zmq_msg_init(&part);
    zmq_msg_init(&part2);
    if (more && zmq_msg_recv(&part, rt->report, 0) < 0)
        goto out;
    more = 0;
    zmq_getsockopt(rt->report, ZMQ_RCVMORE, &more, &more_len);
    if (more && zmq_msg_recv(&part2, rt->report, 0) < 0)
        goto out;
    switch (h.type) {
    case GALE_REPORT_STATS:
        /* Copied out: a message's bytes need not be aligned for the struct. */
        n = zmq_msg_size(&part) / sizeof r;
        for (i = 0; i < n; i++) {
            memcpy(&r, (const char *)zmq_msg_data(&part) + i * sizeof r, sizeof r);
            if (r.task >= 1 && (size_t)r.task <= rt->plan->ntasks)
                rt->tasks[r.task - 1].r = r;
        }
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
    case GALE_REPORT_ACK:
        if (rt->coord == NULL || zmq_msg_size(&part) != sizeof ack ||
            zmq_msg_size(&part2) == 0)
            break;
        memcpy(&ack, zmq_msg_data(&part), sizeof ack);
        {
            char *file = xstrndup(zmq_msg_data(&part2), zmq_msg_size(&part2));

            rc = gale_coord_ack(rt->coord, &ack, file, &done, &why);
            free(file);
        }
        if (rc < 0 && rt->failure == NULL) {
            rt->failure = why;
            why = NULL;
        } else if (rc == 1) {
            log_debug("checkpoint %llu complete", (unsigned long long)done);
            broadcast(rt, GALE_CTL_COMPLETE, done);
            if (rt->sp_id != 0 && done >= rt->sp_id && !rt->sp_written)
                savepoint_done(rt);
        }
        free(why);
        break;
    case GALE_REPORT_NOTIFIED:
        if (h.exec >= 0 && (size_t)h.exec < rt->plan->nexecs &&
            h.arg > at->notified_upto[h.exec])
            at->notified_upto[h.exec] = h.arg;
        if (at->final_id != 0 && h.arg >= at->final_id &&
            h.exec >= 0 && (size_t)h.exec < rt->plan->nexecs &&
            !at->notified[h.exec]) {
            at->notified[h.exec] = true;
            at->nnotified++;
        }
        break;
    }
out:
    zmq_msg_close(&part);
    zmq_msg_close(&part2);
}

#define WORKER_START_GRACE_NS 10000000000ull

/* Starts one worker process per plan worker (posix_spawn: this process
 * holds a ZeroMQ context and must not fork), telling each in its
 * environment which worker it is and where the coordinator listens.
 * 0 or -1. */
static int
spawn_workers(runtime_t *rt, attempt_t *at, bool publish_only)
{
    const gale_plan_t *plan = rt->plan;
    size_t nenv = 0, i;
    char **envp, *spec = NULL;
    int w, rc;

    while (environ[nenv] != NULL)
        nenv++;
    envp = xcalloc(nenv + 2, sizeof *envp);
    memset(rt->done, 0, sizeof *rt->done * plan->nexecs);
    rt->ndone = 0;
    at->notified = xcalloc(plan->nexecs + 1, sizeof *at->notified);
    at->notified_upto = xcalloc(plan->nexecs + 1, sizeof *at->notified_upto);
    at->ready = xcalloc(plan->nexecs + 1, sizeof *at->ready);
    at->nready = 0;
    if (rt->place != NULL) {
        /* A cluster master: the supervisors start them. */
        char *why = NULL;

        free(envp);
        xasprintf(&spec, "ctl=%s;run=%s;epoch=%u;restore=%llu;publish=%d",
            at->prefix, rt->run_id, at->epoch, at->restore != NULL ?
            (unsigned long long)at->restore->id : 0ULL, publish_only ? 1 : 0);
        rc = gale_placement_spawn(rt->place, plan->nworkers, at->epoch, spec,
            &why);
        free(spec);
        /* Not local pids: "started, or maybe started" (what did start is
         * stopped with the attempt, through the supervisors). */
        for (w = 0; w < plan->nworkers; w++) {
            rt->pids[w] = 1;
            rt->last_seen[w] = gale_now_ns() + WORKER_START_GRACE_NS;
        }
        if (rc != 0) {
            log_error("%s: %s", plan->topo->name, why);
            free(why);
            /* A host that died while its workers started, or none that
             * answers: the hosts' failure. */
            rt->host_failure = true;
            return -1;
        }
        return 0;
    }
    for (w = 0; w < plan->nworkers; w++) {
        size_t k = 0;

        for (i = 0; i < nenv; i++)
            if (strncmp(environ[i], "GALE_WORKER_SPEC=", 17) != 0)
                envp[k++] = environ[i];
        free(spec);
        xasprintf(&spec, "GALE_WORKER_SPEC=worker=%d;ctl=%s;run=%s;"
            "epoch=%u;restore=%llu;publish=%d", w, at->prefix, rt->run_id,
            at->epoch, at->restore != NULL ?
            (unsigned long long)at->restore->id : 0ULL, publish_only ? 1 : 0);
        envp[k++] = spec;
        envp[k] = NULL;
        rc = posix_spawn(&rt->pids[w], rt->opts->worker_argv[0], NULL, NULL,
            rt->opts->worker_argv, envp);
        if (rc != 0) {
            log_error("starting worker %d (%s): %s", w,
                rt->opts->worker_argv[0], strerror(rc));
            rt->pids[w] = 0;
            free(spec);
            free(envp);
            return -1;
        }
        /* A grace for starting (exec, loading the topology, restoring
         * state) on a loaded host; from its first report on, the
         * heartbeat timeout alone applies. */
        rt->last_seen[w] = gale_now_ns() + WORKER_START_GRACE_NS;
        log_debug("worker %d: pid %d", w, (int)rt->pids[w]);
    }
    free(spec);
    free(envp);
    return 0;
}

/* Sends the workers their lease now and then; notices a worker process
 * that exited (or was killed) before it was
 * told to: sets rt->failure. */
static void
check_workers(runtime_t *rt)
{
    uint64_t now = gale_now_ns();
    pid_t pid;
    int st, w, rc;
    char *why = NULL;

    if (rt->lease != NULL && now >= rt->lease_at) {
        /* The lease: workers that hear nothing for their timeout stop.
         * It names the attempt, so a worker of another one (or of a
         * master before a restart) does not take it for its own. */
        zmq_send(rt->lease, rt->run_id, strlen(rt->run_id), ZMQ_DONTWAIT);
        rt->lease_at = now + 250000000u;
    }
    if (rt->place != NULL) {
        rc = gale_placement_check(rt->place, now, &why);
        if (rc < 0 || (rc == 1 && rt->ndone == 0 && !rt->stopped &&
            rt->sp_verb == NULL && rt->failure == NULL)) {
            if (rt->failure == NULL) {
                rt->failure = why;
                rt->host_failure = true;
                why = NULL;
            }
        }
        free(why);
    }

    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
        for (w = 0; w < rt->plan->nworkers; w++) {
            if (rt->pids[w] != pid)
                continue;
            rt->pids[w] = 0;
            if (rt->failure != NULL)
                break;
            if (WIFSIGNALED(st))
                xasprintf(&rt->failure, "worker %d (pid %d) was killed by "
                    "signal %d", w, (int)pid, WTERMSIG(st));
            else
                xasprintf(&rt->failure, "worker %d (pid %d) exited with "
                    "status %d", w, (int)pid, WEXITSTATUS(st));
        }
    }
    for (w = 0; w < rt->plan->nworkers && rt->failure == NULL; w++) {
        if (rt->pids[w] == 0 || now <= rt->last_seen[w] +
            (uint64_t)rt->worker_timeout_ms * 1000000u)
            continue;
        if (rt->place != NULL) {
            xasprintf(&rt->failure, "worker %d on host %s stopped answering: "
                "no heartbeat for %d ms", w, gale_placement_host(rt->place, w),
                rt->worker_timeout_ms);
            /* Its host is silent too: the host's failure, not the
             * worker's (it does not count against restart attempts). */
            rt->host_failure = gale_placement_host_quiet(rt->place, w, now,
                1000);
        } else {
            xasprintf(&rt->failure, "worker %d (pid %d) stopped answering: no "
                "heartbeat for %d ms", w, (int)rt->pids[w], rt->worker_timeout_ms);
        }
    }
}

/* Stops the worker processes: on success they leave by themselves after
 * EXIT (waited for up to 5 s); after a failure, or past that, SIGKILL. */
static void
reap_workers(runtime_t *rt, bool kill_now)
{
    uint64_t deadline = gale_now_ns() + 5000000000ull;
    int w, st, left;

    if (rt->place != NULL) {
        gale_placement_stop(rt->place, kill_now);
        memset(rt->pids, 0, sizeof *rt->pids * (size_t)rt->plan->nworkers);
        return;
    }
    for (;;) {
        left = 0;
        for (w = 0; w < rt->plan->nworkers; w++) {
            if (rt->pids[w] == 0)
                continue;
            if (kill_now)
                kill(rt->pids[w], SIGKILL);
            if (waitpid(rt->pids[w], &st, WNOHANG) == rt->pids[w])
                rt->pids[w] = 0;
            else
                left++;
        }
        if (left == 0)
            return;
        if (gale_now_ns() > deadline)
            kill_now = true;
        usleep(10000);
    }
}

/* Creates the attempt's sockets, writer and executors. 0 or -1. */
static int
start_attempt(runtime_t *rt, attempt_t *at, bool publish_only)
{
    const gale_plan_t *plan = rt->plan;
    gale_executor_cfg_t ec;
    char ep[160], name[32], *why = NULL;
    size_t i;
    int linger = 0;

    snprintf(rt->run_id, sizeof rt->run_id, "%d-%d-%u", (int)getpid(),
        rt->run, at->epoch);
    if (rt->place != NULL)
        /* A cluster master: on nimbus's address, in one of two port sets
         * by epoch, so that workers of the last attempt still trying to
         * reach it (a host that was cut off) find nothing there. */
        snprintf(at->prefix, sizeof at->prefix, "tcp://%s:%d/",
            rt->opts->cluster->nimbus.host, rt->ctl_base +
            (int)(at->epoch % 2) * (2 + (int)plan->nexecs));
    else if (rt->procs && rt->ctl_base > 0)
        /* transport = "tcp": the control plane too (engine/net/endpoint.h). */
        snprintf(at->prefix, sizeof at->prefix, "tcp://127.0.0.1:%d/",
            rt->ctl_base);
    else
        snprintf(at->prefix, sizeof at->prefix, "%s://%sgale-%d-%d-%u/",
            rt->procs ? "ipc" : "inproc", rt->procs ? "@" : "", (int)getpid(),
            rt->run, at->epoch);
    rt->report = zmq_socket(rt->zctx, ZMQ_PULL);
    zmq_setsockopt(rt->report, ZMQ_LINGER, &linger, sizeof linger);
    if (gale_endpoint(ep, sizeof ep, at->prefix, "report") != 0 ||
        gale_netsec_bind(rt->zctx, rt->report, ep) != 0) {
        log_error("%s: %s", ep, zmq_strerror(errno));
        return -1;
    }
    for (i = 0; i < plan->nexecs; i++) {
        rt->ctl[i] = zmq_socket(rt->zctx, ZMQ_PAIR);
        zmq_setsockopt(rt->ctl[i], ZMQ_LINGER, &linger, sizeof linger);
        snprintf(name, sizeof name, "ctl/%zu", i);
        if (gale_endpoint(ep, sizeof ep, at->prefix, name) != 0 ||
            gale_netsec_bind(rt->zctx, rt->ctl[i], ep) != 0) {
            log_error("%s: %s", ep, zmq_strerror(errno));
            return -1;
        }
    }
    if (rt->procs) {
        rt->lease = zmq_socket(rt->zctx, ZMQ_PUB);
        zmq_setsockopt(rt->lease, ZMQ_LINGER, &linger, sizeof linger);
        if (gale_endpoint(ep, sizeof ep, at->prefix, "lease") != 0 ||
            gale_netsec_bind(rt->zctx, rt->lease, ep) != 0) {
            log_error("%s: %s", ep, zmq_strerror(errno));
            return -1;
        }
        return spawn_workers(rt, at, publish_only);
    }
    if (rt->coord != NULL && (at->writer = gale_ckptwriter_start(rt->zctx,
        at->prefix, at->prefix, gale_coord_dir(rt->coord), &why)) == NULL) {
        log_error("%s", why);
        free(why);
        return -1;
    }
    memset(&ec, 0, sizeof ec);
    ec.plan = plan;
    ec.zctx = rt->zctx;
    ec.prefix = at->prefix;
    ec.epoch = at->epoch;
    ec.report_ms = rt->opts->report_ms > 0 ? rt->opts->report_ms : 500;
    ec.checkpoints = rt->coord != NULL;
    ec.aligned = plan->topo->guarantee == GALE_GUARANTEE_EXACTLY_ONCE;
    ec.ckpt_dir = rt->coord != NULL ? gale_coord_dir(rt->coord) : NULL;
    ec.restore = at->restore;
    ec.publish_only = publish_only;
    memset(rt->done, 0, sizeof *rt->done * plan->nexecs);
    rt->ndone = 0;
    at->notified = xcalloc(plan->nexecs + 1, sizeof *at->notified);
    at->notified_upto = xcalloc(plan->nexecs + 1, sizeof *at->notified_upto);
    at->ready = xcalloc(plan->nexecs + 1, sizeof *at->ready);
    at->nready = 0;
    for (i = 0; i < plan->nexecs; i++) {
        ec.exec = (int)i;
        rt->execs[i] = gale_executor_new(&ec);
        if (gale_executor_start(rt->execs[i]) != 0)
            fatal("starting executor %zu", i);
    }
    return 0;
}

/* Tells every executor to exit, joins them, closes the attempt. */
static void
end_attempt(runtime_t *rt, attempt_t *at)
{
    zmq_pollitem_t item;
    size_t i;

    if (rt->procs && rt->failure != NULL)
        reap_workers(rt, true);
    broadcast(rt, GALE_CTL_EXIT, 0);
    /* An executor that connects its control socket after EXIT went out
     * (the attempt failed while it was still starting) never saw it: EXIT
     * is repeated until every thread is done. */
    for (i = 0; i < rt->plan->nexecs; i++) {
        gale_ctl_msg_t m = { .type = GALE_CTL_EXIT };

        while (rt->execs[i] != NULL && !gale_executor_finished(rt->execs[i])) {
            zmq_send(rt->ctl[i], &m, sizeof m, ZMQ_DONTWAIT);
            usleep(1000);
        }
        gale_executor_destroy(&rt->execs[i]);
    }
    if (rt->procs)
        reap_workers(rt, false);
    gale_ckptwriter_stop(&at->writer);
    /* Last reports (final counters) sent before the executors left. */
    item.socket = rt->report;
    item.events = ZMQ_POLLIN;
    while (rt->report != NULL && zmq_poll(&item, 1, 0) > 0)
        read_report(rt, at);
    for (i = 0; i < rt->plan->nexecs; i++) {
        if (rt->ctl[i] != NULL)
            zmq_close(rt->ctl[i]);
        rt->ctl[i] = NULL;
    }
    if (rt->report != NULL)
        zmq_close(rt->report);
    rt->report = NULL;
    if (rt->lease != NULL)
        zmq_close(rt->lease);
    rt->lease = NULL;
    free(at->notified);
    at->notified = NULL;
    free(at->notified_upto);
    at->notified_upto = NULL;
    free(at->ready);
    at->ready = NULL;
    gale_ckpt_meta_free(&at->restore);
}

/* Whether every executor ran checkpoint_complete(n) or later. */
static bool
notified_all(const runtime_t *rt, const attempt_t *at, uint64_t n)
{
    size_t i;

    for (i = 0; i < rt->plan->nexecs; i++)
        if (at->notified_upto[i] < n)
            return false;
    return true;
}

/* Runs one attempt until every task finished (and, with checkpoints, the
 * final checkpoint is complete and published) or something failed.
 * Returns 0, or -1 with rt->failure set. */
static int
run_attempt(runtime_t *rt, attempt_t *at)
{
    const gale_plan_t *plan = rt->plan;
    uint64_t next_draw = gale_now_ns() + 1000000000u, id;
    char *why = NULL;
    int rc;

    while (rt->failure == NULL) {
        zmq_pollitem_t items[2] = { { rt->report, 0, ZMQ_POLLIN, 0 },
            { rt->console, 0, ZMQ_POLLIN, 0 } };
        int nitems = rt->console != NULL && !rt->console_busy ? 2 : 1;
        uint64_t now;

        if (zmq_poll(items, nitems, 50) > 0) {
            while (zmq_poll(items, 1, 0) > 0)
                read_report(rt, at);
            if (nitems == 2 && (items[1].revents & ZMQ_POLLIN))
                handle_console(rt);
        }
        if (rt->procs)
            check_workers(rt);
        if (rt->failure != NULL)
            break;
        now = gale_now_ns();
        if ((signals_seen > 0 || (rt->stop_at && now >= rt->stop_at) ||
            (rt->kill_at && now >= rt->kill_at)) && !rt->stopped) {
            log_info("%s: stopping: spouts end their streams, the rest drains "
                "(signal again to abort)", plan->topo->name);
            broadcast(rt, GALE_CTL_STOP, 0);
            rt->stopped = signals_seen > 0 ? (int)signals_seen : 1;
        } else if (rt->stopped && signals_seen > rt->stopped) {
            rt->failure = xstrdup("aborted by signal");
            rt->aborted = true;
            break;
        }
        if (rt->coord != NULL && at->nready < plan->nexecs) {
            /* Not every executor is listening yet: a trigger now could
             * miss one, and the checkpoint would wait for its timeout. */
        } else if (rt->coord != NULL) {
            if ((rc = gale_coord_check_timeout(rt->coord, now, &id, &why)) < 0) {
                rt->failure = why;
                why = NULL;
                break;
            } else if (rc == 1) {
                broadcast(rt, GALE_CTL_DECLINE, id);
                if (id == rt->sp_id && !rt->sp_written) {
                    console_reply(rt, "error the savepoint's checkpoint %llu "
                        "was declined (not acknowledged within the checkpoint "
                        "timeout); try again", (unsigned long long)id);
                    savepoint_clear(rt);
                }
            }
            if (rt->sp_verb != NULL && rt->sp_id == 0 && at->final_id == 0 &&
                !gale_coord_busy(rt->coord)) {
                /* A savepoint: a checkpoint now, copied out when complete. */
                if (gale_coord_maybe_trigger(rt->coord, now, true, &id, &why) < 0) {
                    rt->failure = why;
                    why = NULL;
                    break;
                }
                rt->sp_id = id;
                broadcast(rt, GALE_CTL_CHECKPOINT, id);
            }
            if (rt->sp_written && notified_all(rt, at, rt->sp_id)) {
                /* stop-savepoint, rebalance: the sinks have published. */
                bool rebalance = strcmp(rt->sp_verb, "rebalance") == 0;

                console_reply(rt, "ok savepoint %s (checkpoint %llu); %s",
                    rt->sp_dir, (unsigned long long)rt->sp_id, rebalance ?
                    "restarting with the new parallelism" : "stopped");
                rt->ending = rebalance ? GALE_RUNTIME_REBALANCE :
                    GALE_RUNTIME_SAVEPOINT;
                break;
            }
            if (rt->ndone == plan->nexecs && at->final_id == 0 &&
                !gale_coord_busy(rt->coord)) {
                /* Every task finished: the final checkpoint. */
                gale_coord_set_final(rt->coord);
                if (gale_coord_maybe_trigger(rt->coord, now, true, &id, &why) < 0) {
                    rt->failure = why;
                    why = NULL;
                    break;
                }
                at->final_id = id;
                broadcast(rt, GALE_CTL_CHECKPOINT, id);
            } else if (rt->ndone < plan->nexecs) {
                rc = gale_coord_maybe_trigger(rt->coord, now, false, &id, &why);
                if (rc < 0) {
                    rt->failure = why;
                    why = NULL;
                    break;
                }
                if (rc == 1)
                    broadcast(rt, GALE_CTL_CHECKPOINT, id);
            }
            if (at->final_id != 0 && at->nnotified == plan->nexecs)
                break;              /* the final checkpoint is published */
        } else if (rt->ndone == plan->nexecs) {
            break;
        }
        if (now >= next_draw) {
            if (rt->opts->progress)
                draw_progress(rt, false);
            if (rt->inactive)       /* executors of a new attempt, too */
                broadcast(rt, GALE_CTL_DEACTIVATE, 0);
            if (rt->stopped)        /* and those that were not yet listening */
                broadcast(rt, GALE_CTL_STOP, 0);
            next_draw = now + 1000000000u;
        }
    }
    return rt->failure != NULL ? -1 : 0;
}

/* Prints checkpoint and recovery figures under the summary table. */
static void
print_ckpt_summary(runtime_t *rt, FILE *fp)
{
    const gale_coord_stats_t *s;

    if (rt->coord == NULL)
        return;
    s = gale_coord_stats(rt->coord);
    fprintf(fp, "checkpoints: %llu completed (last %llu), %llu declined, "
        "%.1f KiB written, mean %.1f ms, max %.1f ms, mean alignment %.2f ms\n",
        (unsigned long long)s->completed, (unsigned long long)s->last_id,
        (unsigned long long)s->declined, s->bytes / 1024.0,
        s->completed ? s->total_ns / 1e6 / s->completed : 0.0,
        s->max_ns / 1e6, s->completed ? s->align_ns / 1e6 / s->completed : 0.0);
    {
        static const char *const names[] = { "completed", "declined",
            "abandoned" };
        const gale_coord_record_t *r;
        size_t n, i, from;

        r = gale_coord_records(rt->coord, &n);
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
                gale_coord_dir(rt->coord));
    }
    if (rt->recoveries > 0)
        fprintf(fp, "recoveries: %d (%s)\n", rt->recoveries, rt->recovery_log);
}

/* Binds the console and registers the topology for `gale list`. Another
 * topology of the same name on this host keeps the console: this one
 * runs without (a warning says so). */
static void
console_open(runtime_t *rt)
{
    const gale_topology_t *t = rt->plan->topo;
    char *ep = gale_console_endpoint(t->name);
    int linger = 0;

    rt->console = zmq_socket(rt->zctx, ZMQ_REP);
    zmq_setsockopt(rt->console, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind(rt->console, ep) != 0) {
        log_warn("%s: another topology of this name runs on this host: this "
            "one takes no commands (gale list, kill, savepoint)", t->name);
        zmq_close(rt->console);
        rt->console = NULL;
    } else {
        (void)gale_console_register(t->name, t->path, (int)rt->plan->ntasks,
            rt->plan->nworkers);
    }
    free(ep);
}

/* --from-savepoint / --from-checkpoint: imports the chosen state into the
 * topology's store as its newest checkpoint (savepoint.h), unless that
 * newest checkpoint already descends from it (a restarted coordinator
 * given the same command resumes instead of going back again). 0, or -1
 * with *cause. */
static int
restore_point(runtime_t *rt, char **cause)
{
    const gale_runtime_opts_t *o = rt->opts;
    gale_ckpt_t *own = gale_coord_store(rt->coord);
    gale_ckpt_meta_t *m = NULL;
    char *label = NULL, *abs = NULL, *prefix = NULL;
    const char *src, *from;
    uint64_t latest, nid;
    int rc = -1;

    if (o->restore_from == NULL && o->restore_id == 0)
        return 0;
    if (o->restore_from != NULL) {
        if ((abs = realpath(o->restore_from, NULL)) == NULL) {
            xasprintf(cause, "%s: %s", o->restore_from, strerror(errno));
            return -1;
        }
        if (gale_savepoint_check(abs, cause) != 0) {
            free(abs);
            return -1;
        }
        src = abs;
        label = xstrdup(abs);
    } else {
        src = gale_coord_dir(rt->coord);
        xasprintf(&label, "checkpoint store %s", src);
    }
    /* A savepoint holds one checkpoint: any id of it matches; a
     * --from-checkpoint restore matches its id exactly. */
    if (o->restore_from != NULL)
        xasprintf(&prefix, "%s#", label);
    else
        xasprintf(&prefix, "%s#%llu", label,
            (unsigned long long)o->restore_id);
    if (gale_ckpt_latest(own, &latest) == 0 &&
        gale_ckpt_read_meta(own, latest, &m, NULL) == 0 &&
        (from = gale_ckpt_meta_get(m, "restored.from")) != NULL &&
        (o->restore_from != NULL ? strncmp(from, prefix, strlen(prefix)) == 0 :
        strcmp(from, prefix) == 0)) {
        log_info("%s: checkpoint %llu descends from %s: resuming from it",
            rt->plan->topo->name, (unsigned long long)latest, from);
        rc = 0;
        goto done;
    }
    if (gale_savepoint_import(own, src, o->restore_id, label, rt->plan,
        o->allow_missing, &nid, cause) != 0)
        goto done;
    if (o->restore_id != 0)
        log_info("%s: restored checkpoint %llu as checkpoint %llu",
            rt->plan->topo->name, (unsigned long long)o->restore_id,
            (unsigned long long)nid);
    else
        log_info("%s: restored savepoint %s as checkpoint %llu",
            rt->plan->topo->name, label, (unsigned long long)nid);
    rc = 0;
done:
    gale_ckpt_meta_free(&m);
    free(label);
    free(prefix);
    free(abs);
    return rc;
}

/* The last attempt epoch a cluster master of this checkpoint store used
 * (<dir>/epoch), or 0. A restarted master goes on above it, so workers of
 * its predecessor (still running until they lose the lease) carry an
 * older epoch and everything they send is dropped. */
static uint32_t
epoch_load(const char *dir)
{
    char *path, buf[32];
    FILE *fp;
    unsigned long v = 0;

    xasprintf(&path, "%s/epoch", dir);
    if ((fp = fopen(path, "re")) != NULL) {
        if (fgets(buf, sizeof buf, fp) != NULL)
            v = strtoul(buf, NULL, 10);
        fclose(fp);
    }
    free(path);
    return v > UINT32_MAX / 2 ? 0 : (uint32_t)v;
}

/* Records epoch as the last used, durably. 0 or -1 (logged). */
static int
epoch_save(const char *dir, uint32_t epoch)
{
    char *path, buf[32];
    int n = snprintf(buf, sizeof buf, "%u\n", epoch), rc;

    xasprintf(&path, "%s/epoch", dir);
    if ((rc = gale_write_atomic(dir, path, buf, (size_t)n)) != 0)
        log_error("%s: %s", path, strerror(-rc));
    free(path);
    return rc != 0 ? -1 : 0;
}

/* Sets up a cluster master: ports of the slot, the ZAP handler, the
 * placement. 0 or -1 (logged). */
static int
cluster_open(runtime_t *rt)
{
    const gale_cluster_t *c = rt->opts->cluster;
    const gale_plan_t *plan = rt->plan;
    char *why = NULL;
    char **args;
    size_t n = 0, i;
    int per_set = 2 + (int)plan->nexecs;
    const char *s = plan->topo->name;

    /* The name becomes a directory and a word on the supervisors. */
    if (s[0] == '.' || s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        "abcdefghijklmnopqrstuvwxyz0123456789._-")] != '\0') {
        log_error("%s: a topology on a cluster needs a name of letters, "
            "digits, '.', '_' and '-' (not starting with '.')", s);
        return -1;
    }
    rt->procs = true;
    rt->ctl_base = c->ports_first + rt->opts->slot * c->ports_per_topology;
    if (2 * per_set + 2 * plan->nworkers * plan->nworkers >
        c->ports_per_topology ||
        rt->ctl_base + c->ports_per_topology > 65536) {
        log_error("%s: %zu executors on %d workers need %d ports, more than "
            "the %d of a slot (ports.per_topology in %s), or slot %d is past "
            "port 65535", plan->topo->name, plan->nexecs, plan->nworkers,
            2 * per_set + 2 * plan->nworkers * plan->nworkers,
            c->ports_per_topology, c->path, rt->opts->slot);
        return -1;
    }
    if (gale_netsec_start(rt->zctx, &why) != 0) {
        log_error("%s: %s", plan->topo->name, why);
        free(why);
        return -1;
    }
    /* The workers' arguments: what `gale worker` gets after its file. */
    while (rt->opts->worker_argv[n] != NULL)
        n++;
    args = xcalloc(n + 1, sizeof *args);
    for (i = 2, n = 0; rt->opts->worker_argv[i] != NULL &&
        strcmp(rt->opts->worker_argv[i], "--") != 0; i++)
        args[n++] = rt->opts->worker_argv[i];
    rt->place = gale_placement_new(rt->zctx, c, plan->topo->name,
        plan->topo->path, args, rt->ctl_base + 2 * per_set, &why);
    free(args);
    if (rt->place == NULL) {
        log_error("%s: %s", plan->topo->name, why);
        free(why);
        return -1;
    }
    return 0;
}

int
gale_runtime_run(const gale_plan_t *plan, const gale_runtime_opts_t *opts)
{
    static int runs;
    const gale_topology_t *t = plan->topo;
    const gale_ckpt_meta_t *latest = NULL;
    const gale_value_t *v;
    runtime_t rt;
    attempt_t at;
    struct sigaction sa, old_int, old_term;
    char *why = NULL, *dir = NULL, *msg;
    int status = 1, attempts, delay_ms, rc;
    uint32_t first_epoch;
    int counted = 0;                /* failures that count as restarts */
    bool publish_only = false;

    memset(&rt, 0, sizeof rt);
    memset(&at, 0, sizeof at);
    rt.plan = plan;
    rt.opts = opts;
    rt.run = ++runs;
    rt.start_ns = rt.prev_ns = gale_now_ns();
    rt.zctx = zmq_ctx_new();
    rt.ctl = xcalloc(plan->nexecs + 1, sizeof *rt.ctl);
    rt.execs = xcalloc(plan->nexecs + 1, sizeof *rt.execs);
    rt.done = xcalloc(plan->nexecs + 1, sizeof *rt.done);
    rt.tasks = xcalloc(plan->ntasks + 1, sizeof *rt.tasks);
    rt.prev = xcalloc(t->ncomps + 1, sizeof *rt.prev);
    rt.recovery_log = xstrdup("");
    v = gale_value_map_get(t->conf, "gale.restart.attempts");
    attempts = v != NULL && v->type == GALE_INT ? (int)v->u.i : 3;
    v = gale_value_map_get(t->conf, "gale.restart.delay.ms");
    delay_ms = v != NULL && v->type == GALE_INT ? (int)v->u.i : 1000;
    if (opts->ttl_secs > 0)
        rt.stop_at = rt.start_ns + (uint64_t)(opts->ttl_secs * 1e9);
    rt.procs = plan->nworkers > 1 && opts->worker_argv != NULL;
    rt.pids = xcalloc((size_t)plan->nworkers + 1, sizeof *rt.pids);
    rt.last_seen = xcalloc((size_t)plan->nworkers + 1, sizeof *rt.last_seen);
    v = gale_value_map_get(t->conf, "gale.worker.timeout.ms");
    rt.worker_timeout_ms = v != NULL && v->type == GALE_INT ? (int)v->u.i : 4000;
    v = gale_value_map_get(t->conf, "gale.transport");
    if (rt.procs && v != NULL && v->type == GALE_STRING &&
        strcmp(v->u.s.ptr, "tcp") == 0) {
        const gale_value_t *pv = gale_value_map_get(t->conf,
            "gale.tcp.base.port");

        /* After the data ports: base + f * workers + t. */
        rt.ctl_base = (pv != NULL && pv->type == GALE_INT ? (int)pv->u.i :
            7100) + plan->nworkers * plan->nworkers;
    }

    if (opts->cluster != NULL) {
        if (opts->worker_argv == NULL || cluster_open(&rt) != 0)
            goto done;
    }
    if (t->guarantee != GALE_GUARANTEE_NONE) {
        if (t->checkpoint_dir != NULL)
            dir = xstrdup(t->checkpoint_dir);
        else
            xasprintf(&dir, "state/%s", t->name);
        if ((rt.coord = gale_coord_open(plan, dir, &why)) == NULL ||
            restore_point(&rt, &why) != 0 ||
            (rc = gale_coord_load_latest(rt.coord, &latest, &why)) < 0) {
            log_error("%s: %s", t->name, why ? why : "cannot open checkpoints");
            goto done;
        }
        if (latest != NULL && gale_coord_is_final(latest)) {
            log_info("%s: checkpoint %llu in %s is the final one of a finished "
                "run: publishing it and exiting (remove %s to run again)",
                t->name, (unsigned long long)latest->id, dir, dir);
            publish_only = true;
        } else if (latest != NULL) {
            log_info("%s: restoring checkpoint %llu from %s", t->name,
                (unsigned long long)latest->id, dir);
        }
    }

    if (t->guarantee == GALE_GUARANTEE_NONE &&
        (opts->restore_from != NULL || opts->restore_id != 0)) {
        log_error("%s: guarantee \"none\" keeps no checkpoints: nothing to "
            "restore into it", t->name);
        goto done;
    }
    console_open(&rt);

    signals_seen = 0;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    /* A cluster master's epochs go on from its predecessor's (a
     * checkpoint store records them; without one, the clock stands in). */
    first_epoch = rt.place == NULL ? 1 : dir != NULL ? epoch_load(dir) + 1 :
        (uint32_t)(time(NULL) % 1000000000) + 1;
    for (at.epoch = first_epoch;; at.epoch++) {
        uint64_t t0 = gale_now_ns();

        if (rt.place != NULL && dir != NULL && epoch_save(dir, at.epoch) != 0) {
            rt.failure = xstrdup("cannot record the attempt epoch");
            break;
        }
        latest = rt.coord != NULL ? gale_coord_last(rt.coord) : NULL;
        at.restore = latest != NULL ?
            gale_ckpt_meta_copy(latest, latest->id, latest->attempt) : NULL;
        at.final_id = publish_only && latest != NULL ? latest->id : 0;
        at.nnotified = 0;
        at.stale_seen = 0;
        if (rt.coord != NULL)
            gale_coord_set_attempt(rt.coord, at.epoch);
        if (start_attempt(&rt, &at, publish_only) != 0) {
            rt.failure = xstrdup(rt.place != NULL ? "cannot start the "
                "attempt (the cause is logged above)" : "cannot start the "
                "executors");
            if (rt.place == NULL) {
                end_attempt(&rt, &at);
                break;
            }
            /* On a cluster, try again: a host may have died while its
             * workers started (that does not count as a restart), or a
             * port be taken for a while (that does). */
            rc = -1;
        } else if (publish_only) {
            while (rt.ndone < plan->nexecs && rt.failure == NULL) {
                zmq_pollitem_t item = { rt.report, 0, ZMQ_POLLIN, 0 };

                if (zmq_poll(&item, 1, 100) > 0)
                    read_report(&rt, &at);
                if (rt.procs)
                    check_workers(&rt);
            }
            rc = rt.failure != NULL ? -1 : 0;
        } else {
            rc = run_attempt(&rt, &at);
        }
        end_attempt(&rt, &at);
        if (rc == 0 || rt.aborted || rt.coord == NULL || publish_only)
            break;
        if (rt.place != NULL && signals_seen > 0) {
            /* Told to stop while failing (say, with no host up): a
             * master does not start another attempt. */
            log_warn("%s: stopping on a signal instead of restarting",
                t->name);
            break;
        }
        /* Recovery: roll everything back to the last complete checkpoint. */
        gale_coord_abandon(rt.coord);
        if (rt.sp_verb != NULL) {
            console_reply(&rt, "error the %s failed: %s (the topology is "
                "recovering; try again)", rt.sp_verb, rt.failure);
            savepoint_clear(&rt);
        }
        if (!rt.host_failure)
            counted++;
        if (counted > attempts) {
            msg = rt.failure;
            xasprintf(&rt.failure, "%s (gave up after %d restarts)", msg, attempts);
            free(msg);
            break;
        }
        latest = gale_coord_last(rt.coord);
        if (latest != NULL)
            log_warn("%s: attempt %u failed: %s; restarting from checkpoint "
                "%llu in %d ms", t->name, at.epoch, rt.failure,
                (unsigned long long)latest->id, delay_ms);
        else
            log_warn("%s: attempt %u failed: %s; restarting from the "
                "beginning in %d ms", t->name, at.epoch, rt.failure, delay_ms);
        if (latest != NULL)
            xasprintf(&msg, "%s%sattempt %u -> checkpoint %llu after %.0f ms",
                rt.recovery_log, rt.recoveries ? "; " : "", at.epoch + 1,
                (unsigned long long)latest->id, (gale_now_ns() - t0) / 1e6);
        else
            xasprintf(&msg, "%s%sattempt %u -> the beginning after %.0f ms",
                rt.recovery_log, rt.recoveries ? "; " : "", at.epoch + 1,
                (gale_now_ns() - t0) / 1e6);
        free(rt.recovery_log);
        rt.recovery_log = msg;
        rt.recoveries++;
        free(rt.failure);
        rt.failure = NULL;
        rt.host_failure = false;
        if (delay_ms > 0)
            usleep((useconds_t)delay_ms * 1000);
    }
    if (opts->progress)
        draw_progress(&rt, true);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (rt.failure != NULL)
        log_error("%s: %s", t->name, rt.failure);
    if (opts->summary != NULL) {
        print_summary(&rt, opts->summary);
        print_ckpt_summary(&rt, opts->summary);
    }
    status = rt.failure != NULL ? 1 : 0;
    if (status == 0 && rt.ending == GALE_RUNTIME_REBALANCE &&
        opts->result != NULL) {
        opts->result->savepoint = rt.sp_dir;
        opts->result->spec = rt.sp_spec;
        rt.sp_dir = rt.sp_spec = NULL;
        status = GALE_RUNTIME_REBALANCE;
    }
done:
    console_reply(&rt, "error %s has stopped", t->name);
    if (rt.console != NULL) {
        zmq_close(rt.console);
        gale_console_unregister(t->name);
    }
    savepoint_clear(&rt);
    gale_coord_close(&rt.coord);
    gale_placement_destroy(&rt.place);
    gale_netsec_stop(rt.zctx);
    zmq_ctx_term(rt.zctx);
    free(dir);
    free(why);
    free(rt.ctl);
    free(rt.execs);
    free(rt.done);
    free(rt.tasks);
    free(rt.prev);
    free(rt.failure);
    free(rt.recovery_log);
    free(rt.pids);
    free(rt.last_seen);
    return status;
}
