/* runtime.c - the topology master: runs a plan's attempts until the
 * topology finishes, fails for good, or stops (signal, ttl, console). */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "engine/checkpoint/coordinator.h"
#include "engine/checkpoint/savepoint.h"
#include "engine/net/endpoint.h"
#include "engine/net/netsec.h"
#include "engine/run/console_server.h"
#include "engine/run/epoch.h"
#include "engine/run/launcher.h"
#include "engine/run/monitor.h"
#include "engine/run/progress.h"
#include "engine/run/runtime.h"
#include "engine/run/webapi.h"
#include "engine/metrics/promtext.h"
#include "engine/metrics/registry.h"
#include "engine/transport/outlet.h"
#include "engine/transport/zctx.h"
#include "engine/wire/control.h"

/* Set by the signal handler only; read by the attempt loop. */
static volatile sig_atomic_t signals_seen;

static void
on_signal(int sig)
{
    (void)sig;
    signals_seen++;
}

/* Control messages kept per executor while its socket cannot take them. */
#define GALE_PENDING_MAX 16

/* One recovery's times (the run summary, "recovery times"). */
typedef struct gale_recovery_stat {
    uint32_t epoch;                 /* the attempt that recovered */
    bool restart;                   /* a restarted process: times are from
                                       its start, the fault was before */
    uint64_t ckpt;                  /* checkpoint restored, 0: none */
    double restore_ms;              /* fault seen -> restore started */
    double first_ms;                /* fault seen -> first tuple executed */
} gale_recovery_stat_t;

typedef struct runtime {
    const gale_plan_t *plan;        /* borrowed */
    const gale_runtime_opts_t *opts;/* borrowed */
    void *zctx;                     /* owned */
    gale_launcher_t *launcher;      /* starts and stops executors, owned */
    bool procs;                     /* executors run in worker processes */
    bool cluster;                   /* a cluster master (supervisor launcher) */
    void *report;                   /* PULL */
    void *lease;                    /* PUB: the lease workers must hear */
    uint64_t lease_at;              /* when the next lease goes out */
    void **ctl;                     /* PAIR per executor */
    bool *done;                     /* per executor */
    size_t ndone;                   /* executors done */
    gale_progress_t *progress;      /* task counters, progress, summary */
    char *failure;                  /* first failure message, owned */
    gale_coord_t *coord;            /* checkpoints, or NULL (guarantee none) */
    int run;                        /* this process's run number */
    bool aborted;                   /* a second signal: no recovery */
    uint64_t stop_at;               /* ttl: stop then; 0 = never */
    int recoveries;                 /* attempts restarted */
    char *recovery_log;             /* what each recovery restored, owned */
    bool host_failure;              /* the failure is a host's (dead, back,
                                       or refusing workers): it does not
                                       count against restart attempts */
    char run_id[64];                /* the attempt's: bridge names, lease */
    uint64_t start_ns;              /* the run's start */
    /* Control messages an executor's PAIR could not take yet (it was not
     * connected: a report can arrive before its control socket is up), in
     * order, sent again before anything newer (flush_pending). A dropped
     * CHECKPOINT would leave the checkpoint waiting for its timeout
     * (60 s) and, declined, fail the attempt. */
    uint8_t (*pending)[GALE_PENDING_MAX][GALE_CTL_MSG_SIZE];
    size_t *npending;               /* per executor */
    /* Recovery times (the run summary): one line per recovery. */
    char *recovery_times;           /* owned */
    gale_recovery_stat_t *rstats;   /* per recovery, owned */
    size_t nrstats;
    /* The console: commands from `gale list`, `gale kill`, ... */
    gale_console_server_t *console; /* NULL: none (name taken) */
    gale_console_state_t cs;        /* stopping, inactive, kill, savepoint */
    int ending;                     /* 0, or GALE_RUNTIME_* why it ends */
    /* Metrics, the REST API and the UI (docs/metrics.md, docs/rest.md). */
    gale_monitor_t *monitor;        /* owned */
    gale_webapi_t *web;             /* owned; NULL: gale.http.address off */
} runtime_t;

/* One attempt's state. */
typedef struct attempt {
    uint64_t fault_ns;              /* when the failure this attempt
                                       recovers from was seen; 0: none (the
                                       process's first attempt) */
    uint64_t restore_ns;            /* when this attempt started */
    uint64_t first_ns;              /* its first executed tuple (a report
                                       with a tuple executed), 0 until then */
    uint32_t epoch;                 /* attempt epoch, from 1 */
    char prefix[96];                /* control-plane endpoint prefix
                                       (gale_launcher_prefix) */
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

/* Sends executor i what waits for it, oldest first, while its socket
 * takes them. */
static void
flush_pending(runtime_t *rt, size_t i)
{
    size_t k = 0;

    while (k < rt->npending[i] && rt->ctl[i] != NULL &&
        zmq_send(rt->ctl[i], rt->pending[i][k], GALE_CTL_MSG_SIZE,
        ZMQ_DONTWAIT) >= 0)
        k++;
    if (k == 0)
        return;
    memmove(rt->pending[i], rt->pending[i][k],
        (rt->npending[i] - k) * GALE_CTL_MSG_SIZE);
    rt->npending[i] -= k;
}

/* Sends a control message with an argument to every executor. A socket
 * that cannot take it now (its executor is not connected yet) gets it
 * later, in order (rt->pending); past GALE_PENDING_MAX waiting the oldest
 * goes (an executor that far behind is failed by its heartbeat). */
static void
broadcast(runtime_t *rt, uint32_t type, uint64_t arg)
{
    gale_ctl_msg_t m = { .type = type, .arg = arg };
    uint8_t buf[GALE_CTL_MSG_SIZE];
    size_t i;

    gale_ctl_msg_encode(&m, buf);
    for (i = 0; i < rt->plan->nexecs; i++) {
        if (rt->ctl[i] == NULL)
            continue;
        flush_pending(rt, i);
        if (rt->npending[i] == 0 &&
            zmq_send(rt->ctl[i], buf, sizeof buf, ZMQ_DONTWAIT) >= 0)
            continue;
        if (rt->npending[i] == GALE_PENDING_MAX) {
            memmove(rt->pending[i], rt->pending[i][1],
                (GALE_PENDING_MAX - 1) * GALE_CTL_MSG_SIZE);
            rt->npending[i]--;
        }
        memcpy(rt->pending[i][rt->npending[i]++], buf, sizeof buf);
        log_debug("executor %zu: control message %u waits for its socket",
            i, type);
    }
}

/* Notes the attempt's first executed tuple, and how long the recovery
 * took: from the failure being seen (or, for a restarted process, from
 * its start) to the restore's start and to that tuple. */
static void
note_first_tuple(runtime_t *rt, attempt_t *at, uint64_t now)
{
    gale_recovery_stat_t *r;
    char *msg;

    at->first_ns = now;
    if (at->fault_ns == 0 && (at->restore == NULL || rt->run > 1))
        return;                     /* a fresh start: nothing recovered */
    rt->rstats = xreallocarray(rt->rstats, rt->nrstats + 1, sizeof *rt->rstats);
    r = &rt->rstats[rt->nrstats++];
    r->epoch = at->epoch;
    r->restart = at->fault_ns == 0;
    r->ckpt = at->restore != NULL ? at->restore->id : 0;
    r->restore_ms = r->restart ? (at->restore_ns - rt->start_ns) / 1e6 :
        (at->restore_ns - at->fault_ns) / 1e6;
    r->first_ms = r->restart ? (now - rt->start_ns) / 1e6 :
        (now - at->fault_ns) / 1e6;
    if (r->restart)
        log_info("%s: recovered: processing again from checkpoint %llu "
            "%.0f ms after this process started (restore started at %.0f ms)",
            rt->plan->topo->name, (unsigned long long)r->ckpt, r->first_ms,
            r->restore_ms);
    else
        log_info("%s: recovered: attempt %u processing again %.0f ms after "
            "the failure was seen (restore started at %.0f ms)",
            rt->plan->topo->name, at->epoch, r->first_ms, r->restore_ms);
    xasprintf(&msg, "%s  %s %u from checkpoint %llu: fault seen %s, restore "
        "started +%.0f ms, first tuple +%.0f ms\n", rt->recovery_times,
        r->restart ? "restart, attempt" : "attempt", r->epoch,
        (unsigned long long)r->ckpt, r->restart ? "before this process "
        "started (times from its start)" : "at 0", r->restore_ms,
        r->first_ms);
    free(rt->recovery_times);
    rt->recovery_times = msg;
}

/* Reads and acts on one console request. */
static void
handle_console(runtime_t *rt)
{
    uint32_t send = gale_console_server_handle(rt->console, &rt->cs);

    if (send != 0)
        broadcast(rt, send, 0);
}

/* The REST API's actions (engine/run/webapi.h): a console request run
 * here, its control message sent as handle_console sends it. */
static int
web_act(void *arg, const char *request, char **reply)
{
    runtime_t *rt = arg;
    int64_t send = gale_console_server_exec(rt->console, &rt->cs, request,
        reply);

    if (send < 0)
        return -1;
    if (send > 0)
        broadcast(rt, (uint32_t)send, 0);
    return *reply == NULL ? 1 : 0;
}

/* The console's `metrics` answer (`gale top`): the topology page. */
static char *
describe(void *arg)
{
    runtime_t *rt = arg;
    json_t *j = gale_monitor_topology_json(rt->monitor);
    char *text = json_dumps(j, JSON_COMPACT);

    json_decref(j);
    return text;
}

/* The console's `prometheus` answer (nimbus's /metrics): the master's
 * own /metrics text. */
static char *
prometheus(void *arg)
{
    runtime_t *rt = arg;
    gale_registry_t *r = gale_monitor_registry(rt->monitor);
    size_t len;
    char *text = gale_promtext_write(r, 1e-9, &len);

    gale_registry_destroy(&r);
    return text;
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
        rt->plan->topo->path, rt->cs.sp_dir, &why) != 0) {
        log_error("%s: savepoint %s: %s", rt->plan->topo->name, rt->cs.sp_dir,
            why ? why : "?");
        gale_console_server_reply(rt->console, "error savepoint %s: %s",
            rt->cs.sp_dir, why ? why : "?");
        free(why);
        gale_console_state_clear_savepoint(&rt->cs);
        return;
    }
    log_info("%s: savepoint %s written (checkpoint %llu)",
        rt->plan->topo->name, rt->cs.sp_dir, (unsigned long long)m->id);
    rt->cs.sp_written = true;
    if (strcmp(rt->cs.sp_verb, "savepoint") == 0) {
        gale_console_server_reply(rt->console,
            "ok savepoint %s (checkpoint %llu)", rt->cs.sp_dir,
            (unsigned long long)m->id);
        gale_console_state_clear_savepoint(&rt->cs);
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
    uint8_t hb[GALE_REPORT_HDR_SIZE + 1];
    gale_report_hdr_t h;
    zmq_msg_t part, part2, part3, part4, part5;
    gale_report_task_t *r = NULL;
    gale_report_ack_t ack;
    uint64_t done;
    char *why = NULL;
    size_t i, n;
    int more, rc;
    size_t more_len = sizeof more;

    /* One byte more than a header: a longer one is seen as such (zmq_recv
     * reports the full size) and rejected by the decoder. */
    if ((rc = zmq_recv(rt->report, hb, sizeof hb, 0)) < 0)
        return;
    if (gale_report_hdr_decode(hb, (size_t)rc < sizeof hb ? (size_t)rc :
        sizeof hb, &h) != 0) {
        drop_rest(rt->report);
        return;
    }
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
    if (rt->procs)
        gale_launcher_heard(rt->launcher, h.exec, gale_now_ns());
    if (h.exec >= 0 && (size_t)h.exec < rt->plan->nexecs && at->ready != NULL &&
        !at->ready[h.exec]) {
        at->ready[h.exec] = true;
        at->nready++;
    }
    more = 0;
    zmq_getsockopt(rt->report, ZMQ_RCVMORE, &more, &more_len);
    zmq_msg_init(&part);
    zmq_msg_init(&part2);
    zmq_msg_init(&part3);
    zmq_msg_init(&part4);
    zmq_msg_init(&part5);
    if (more && zmq_msg_recv(&part, rt->report, 0) < 0)
        goto out;
    more = 0;
    zmq_getsockopt(rt->report, ZMQ_RCVMORE, &more, &more_len);
    if (more && zmq_msg_recv(&part2, rt->report, 0) < 0)
        goto out;
    more = 0;
    zmq_getsockopt(rt->report, ZMQ_RCVMORE, &more, &more_len);
    if (more && zmq_msg_recv(&part3, rt->report, 0) < 0)
        goto out;
    more = 0;
    zmq_getsockopt(rt->report, ZMQ_RCVMORE, &more, &more_len);
    if (more && zmq_msg_recv(&part4, rt->report, 0) < 0)
        goto out;
    more = 0;
    zmq_getsockopt(rt->report, ZMQ_RCVMORE, &more, &more_len);
    if (more && zmq_msg_recv(&part5, rt->report, 0) < 0)
        goto out;
    drop_rest(rt->report);
    switch (h.type) {
    case GALE_REPORT_STATS:
        if (gale_report_tasks_decode(zmq_msg_data(&part), zmq_msg_size(&part),
            &r, &n) != 0)
            break;
        for (i = 0; i < n; i++) {
            gale_progress_update(rt->progress, &r[i]);
            if (r[i].executed > 0 && at->first_ns == 0)
                note_first_tuple(rt, at, gale_now_ns());
        }
        free(r);
        gale_monitor_stats(rt->monitor, &h, zmq_msg_data(&part2),
            zmq_msg_size(&part2), zmq_msg_data(&part3), zmq_msg_size(&part3));
        gale_monitor_channels(rt->monitor, zmq_msg_data(&part4),
            zmq_msg_size(&part4));
        gale_monitor_latencies(rt->monitor, zmq_msg_data(&part5),
            zmq_msg_size(&part5));
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
        if (rt->coord == NULL || gale_report_ack_decode(zmq_msg_data(&part),
            zmq_msg_size(&part), &ack) != 0 || zmq_msg_size(&part2) == 0)
            break;
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
            if (rt->cs.sp_id != 0 && done >= rt->cs.sp_id && !rt->cs.sp_written)
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
    zmq_msg_close(&part3);
    zmq_msg_close(&part4);
    zmq_msg_close(&part5);
}

/* Sends the workers their lease now and then; has the launcher look at
 * their health (a failure sets rt->failure). */
static void
check_workers(runtime_t *rt)
{
    uint64_t now = gale_now_ns();

    if (rt->lease != NULL && now >= rt->lease_at) {
        /* The lease: workers that hear nothing for their timeout stop.
         * It names the attempt, so a worker of another one (or of a
         * master before a restart) does not take it for its own. */
        zmq_send(rt->lease, rt->run_id, strlen(rt->run_id), ZMQ_DONTWAIT);
        rt->lease_at = now + 250000000u;
    }
    gale_launcher_check(rt->launcher, now, rt->ndone == 0 && !rt->cs.stopped &&
        rt->cs.sp_verb == NULL && rt->failure == NULL, &rt->failure,
        &rt->host_failure);
}

/* Binds the attempt's control plane and has the launcher start its
 * executors. 0 or -1. */
static int
start_attempt(runtime_t *rt, attempt_t *at, bool publish_only)
{
    const gale_plan_t *plan = rt->plan;
    gale_launch_t la;
    char ep[160], name[32];
    size_t i;
    int linger = 0, w;

    snprintf(rt->run_id, sizeof rt->run_id, "%d-%d-%u", (int)getpid(),
        rt->run, at->epoch);
    gale_launcher_prefix(rt->launcher, rt->run, at->epoch, at->prefix,
        sizeof at->prefix);
    rt->report = zmq_socket(rt->zctx, ZMQ_PULL);
    zmq_setsockopt(rt->report, ZMQ_LINGER, &linger, sizeof linger);
    if (gale_endpoint(ep, sizeof ep, at->prefix, "report") != 0 ||
        gale_netsec_bind(rt->zctx, rt->report, ep) != 0) {
        log_error("%s: %s", ep, zmq_strerror(errno));
        return -1;
    }
    for (i = 0; i < plan->nexecs; i++) {
        rt->ctl[i] = zmq_socket(rt->zctx, ZMQ_PAIR);
        rt->npending[i] = 0;
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
    }
    memset(rt->done, 0, sizeof *rt->done * plan->nexecs);
    rt->ndone = 0;
    at->notified = xcalloc(plan->nexecs + 1, sizeof *at->notified);
    at->notified_upto = xcalloc(plan->nexecs + 1, sizeof *at->notified_upto);
    at->ready = xcalloc(plan->nexecs + 1, sizeof *at->ready);
    at->nready = 0;
    memset(&la, 0, sizeof la);
    la.prefix = at->prefix;
    la.run_id = rt->run_id;
    la.epoch = at->epoch;
    la.restore = at->restore;
    la.publish_only = publish_only;
    la.ckpt_dir = rt->coord != NULL ? gale_coord_dir(rt->coord) : NULL;
    la.report_ms = rt->opts->report_ms > 0 ? rt->opts->report_ms : 500;
    la.ctl = rt->ctl;
    if (gale_launcher_start(rt->launcher, &la, &rt->host_failure) != 0)
        return -1;
    /* Where each worker runs now: the metrics' host label. */
    for (w = 0; w < plan->nworkers; w++)
        gale_monitor_host(rt->monitor, w, gale_launcher_host(rt->launcher,
            w));
    return 0;
}

/* Tells every executor to exit, waits for them, closes the attempt. */
static void
end_attempt(runtime_t *rt, attempt_t *at)
{
    zmq_pollitem_t item;
    size_t i;

    if (rt->failure != NULL)
        gale_launcher_abort(rt->launcher);
    broadcast(rt, GALE_CTL_EXIT, 0);
    gale_launcher_end(rt->launcher);
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
    gale_ckpt_meta_destroy(&at->restore);
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

/* A stop-savepoint or rebalance was triggered: the run ends at its
 * checkpoint, so no later one may start. */
static bool
stopping_savepoint(const runtime_t *rt)
{
    return rt->cs.sp_verb != NULL && rt->cs.sp_id != 0 &&
        strcmp(rt->cs.sp_verb, "savepoint") != 0;
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
    size_t i;
    int rc;

    while (rt->failure == NULL) {
        void *console = gale_console_server_pollable(rt->console);
        zmq_pollitem_t items[3] = { { rt->report, 0, ZMQ_POLLIN, 0 },
            { console, 0, ZMQ_POLLIN, 0 } };
        long timeout = 50;
        int nitems = 2, nweb;
        uint64_t now;

        /* The HTTP server (engine/run/webapi.h) after the two. */
        nweb = gale_webapi_pollitems(rt->web, items + 2, 1, &timeout);
        if (zmq_poll(items, nitems + nweb, timeout) > 0) {
            while (zmq_poll(items, 1, 0) > 0)
                read_report(rt, at);
            if (console != NULL && (items[1].revents & ZMQ_POLLIN))
                handle_console(rt);
        }
        if (nweb > 0)
            gale_webapi_run(rt->web);
        for (i = 0; i < plan->nexecs; i++)
            if (rt->npending[i] > 0)
                flush_pending(rt, i);
        if (rt->procs)
            check_workers(rt);
        if (rt->failure != NULL)
            break;
        now = gale_now_ns();
        if ((signals_seen > 0 || (rt->stop_at && now >= rt->stop_at) ||
            (rt->cs.kill_at && now >= rt->cs.kill_at)) && !rt->cs.stopped) {
            log_info("%s: stopping: spouts end their streams, the rest drains "
                "(signal again to abort)", plan->topo->name);
            broadcast(rt, GALE_CTL_STOP, 0);
            rt->cs.stopped = signals_seen > 0 ? (int)signals_seen : 1;
        } else if (rt->cs.stopped && signals_seen > rt->cs.stopped) {
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
                if (id == rt->cs.sp_id && !rt->cs.sp_written) {
                    gale_console_server_reply(rt->console,
                        "error the savepoint's checkpoint %llu "
                        "was declined (not acknowledged within the checkpoint "
                        "timeout); try again", (unsigned long long)id);
                    gale_console_state_clear_savepoint(&rt->cs);
                }
            }
            if (rt->cs.sp_verb != NULL && rt->cs.sp_id == 0 && at->final_id == 0 &&
                !gale_coord_busy(rt->coord)) {
                /* A savepoint: a checkpoint now, copied out when complete. */
                if (gale_coord_maybe_trigger(rt->coord, now, true, &id, &why) < 0) {
                    rt->failure = why;
                    why = NULL;
                    break;
                }
                rt->cs.sp_id = id;
                broadcast(rt, GALE_CTL_CHECKPOINT, id);
            }
            if (rt->cs.sp_written && notified_all(rt, at, rt->cs.sp_id)) {
                /* stop-savepoint, rebalance: the sinks have published. */
                bool rebalance = strcmp(rt->cs.sp_verb, "rebalance") == 0;

                gale_console_server_reply(rt->console,
                    "ok savepoint %s (checkpoint %llu); %s",
                    rt->cs.sp_dir, (unsigned long long)rt->cs.sp_id, rebalance ?
                    "restarting with the new parallelism" : "stopped");
                rt->ending = rebalance ? GALE_RUNTIME_REBALANCE :
                    GALE_RUNTIME_SAVEPOINT;
                break;
            }
            if (rt->ndone == plan->nexecs && at->final_id == 0 &&
                !gale_coord_busy(rt->coord) && !stopping_savepoint(rt)) {
                /* Every task finished: the final checkpoint. */
                gale_coord_set_final(rt->coord);
                if (gale_coord_maybe_trigger(rt->coord, now, true, &id, &why) < 0) {
                    rt->failure = why;
                    why = NULL;
                    break;
                }
                at->final_id = id;
                broadcast(rt, GALE_CTL_CHECKPOINT, id);
            } else if (rt->ndone < plan->nexecs && !stopping_savepoint(rt)) {
                /* Periodic checkpoints; none after a stopping savepoint's:
                 * it would commit sink output the resume replays. */
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
                gale_progress_draw(rt->progress, false);
            if (rt->cs.inactive)    /* executors of a new attempt, too */
                broadcast(rt, GALE_CTL_DEACTIVATE, 0);
            if (rt->cs.stopped)     /* and those that were not yet listening */
                broadcast(rt, GALE_CTL_STOP, 0);
            next_draw = now + 1000000000u;
        }
    }
    return rt->failure != NULL ? -1 : 0;
}

/* The summary's recovery times: one line per recovery, then p50, p99 and
 * max of fault seen -> first tuple. */
static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static void
print_recovery_times(const runtime_t *rt, FILE *fp)
{
    double *v = xcalloc(rt->nrstats, sizeof *v);
    size_t i;

    for (i = 0; i < rt->nrstats; i++)
        v[i] = rt->rstats[i].first_ms;
    qsort(v, rt->nrstats, sizeof *v, cmp_double);
    fprintf(fp, "recovery times: %zu, fault seen -> first tuple p50 %.0f ms, "
        "p99 %.0f ms, max %.0f ms\n%s", rt->nrstats, v[(rt->nrstats - 1) / 2],
        v[(size_t)((rt->nrstats - 1) * 0.99)], v[rt->nrstats - 1],
        rt->recovery_times);
    free(v);
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
    gale_ckpt_meta_destroy(&m);
    free(label);
    free(prefix);
    free(abs);
    return rc;
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
    rt.start_ns = gale_now_ns();
    rt.zctx = gale_zctx_new();
    rt.ctl = xcalloc(plan->nexecs + 1, sizeof *rt.ctl);
    rt.done = xcalloc(plan->nexecs + 1, sizeof *rt.done);
    rt.progress = gale_progress_new(plan, rt.start_ns);
    rt.recovery_log = xstrdup("");
    rt.recovery_times = xstrdup("");
    rt.pending = xcalloc(plan->nexecs + 1, sizeof *rt.pending);
    rt.npending = xcalloc(plan->nexecs + 1, sizeof *rt.npending);
    v = gale_value_map_get(t->conf, "gale.restart.attempts");
    attempts = v != NULL && v->type == GALE_INT ? (int)v->u.i : 3;
    v = gale_value_map_get(t->conf, "gale.restart.delay.ms");
    delay_ms = v != NULL && v->type == GALE_INT ? (int)v->u.i : 1000;
    if (opts->ttl_secs > 0)
        rt.stop_at = rt.start_ns + (uint64_t)(opts->ttl_secs * 1e9);

    /* How the executors start: on the cluster's hosts, in worker
     * processes here, or as threads of this process. */
    if (opts->cluster != NULL) {
        if (opts->worker_argv == NULL || (rt.launcher =
            gale_launcher_supervisor_new(rt.zctx, plan, opts->cluster,
            opts->slot, opts->worker_argv)) == NULL)
            goto done;
        rt.cluster = true;
    } else if (plan->nworkers > 1 && opts->worker_argv != NULL) {
        rt.launcher = gale_launcher_spawn_new(plan, opts->worker_argv);
    } else {
        rt.launcher = gale_launcher_thread_new(rt.zctx, plan);
    }
    rt.procs = gale_launcher_remote(rt.launcher);
    if (!rt.procs && gale_zctx_check(rt.zctx, gale_plan_sockets(plan, -1),
        "the topology, in one process,", &why) != 0) {
        log_error("%s: %s", t->name, why);
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
    rt.console = gale_console_server_open(rt.zctx, plan, rt.coord,
        rt.progress, rt.start_ns);
    rt.monitor = gale_monitor_new(plan, rt.progress, rt.coord, &rt.cs,
        rt.start_ns);
    gale_console_server_set_describe(rt.console, describe, &rt);
    gale_console_server_set_prometheus(rt.console, prometheus, &rt);
    if (gale_webapi_address(plan) != NULL) {
        if ((rt.web = gale_webapi_open(gale_webapi_address(plan), plan,
            rt.monitor, web_act, &rt, &why)) == NULL) {
            log_error("%s: gale.http.address: %s", t->name, why);
            goto done;
        }
        log_info("%s: http: metrics at http://%s/metrics, the UI at "
            "http://%s/ui/", t->name, gale_webapi_bound(rt.web),
            gale_webapi_bound(rt.web));
    }

    signals_seen = 0;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    /* A cluster master's epochs go on from its predecessor's (a
     * checkpoint store records them; without one, the clock stands in). */
    first_epoch = !rt.cluster ? 1 : dir != NULL ? gale_epoch_load(dir) + 1 :
        (uint32_t)(time(NULL) % 1000000000) + 1;
    for (at.epoch = first_epoch;; at.epoch++) {
        uint64_t t0 = gale_now_ns(), seen;
        int pause_ms;

        at.restore_ns = t0;
        at.first_ns = 0;
        gale_monitor_attempt(rt.monitor, rt.recoveries, at.epoch);

        if (rt.cluster && dir != NULL && gale_epoch_save(dir, at.epoch) != 0) {
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
            rt.failure = xstrdup(rt.cluster ? "cannot start the "
                "attempt (the cause is logged above)" : "cannot start the "
                "executors");
            if (!rt.cluster) {
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
        seen = gale_now_ns();   /* run_attempt returns within 50 ms of it */
        /* The pause before the next attempt is for a failure that comes
         * back at once (a start that cannot succeed): an attempt that had
         * processed tuples failed by a fault, and its recovery starts now. */
        pause_ms = at.first_ns != 0 ? 0 : delay_ms;
        end_attempt(&rt, &at);
        if (rc == 0 || rt.aborted || rt.coord == NULL || publish_only)
            break;
        if (rt.cluster && signals_seen > 0) {
            /* Told to stop while failing (say, with no host up): a
             * master does not start another attempt. */
            log_warn("%s: stopping on a signal instead of restarting",
                t->name);
            break;
        }
        /* Recovery: roll everything back to the last complete checkpoint. */
        gale_coord_abandon(rt.coord);
        if (rt.cs.sp_verb != NULL) {
            gale_console_server_reply(rt.console, "error the %s failed: %s "
                "(the topology is recovering; try again)", rt.cs.sp_verb,
                rt.failure);
            gale_console_state_clear_savepoint(&rt.cs);
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
                (unsigned long long)latest->id, pause_ms);
        else
            log_warn("%s: attempt %u failed: %s; restarting from the "
                "beginning in %d ms", t->name, at.epoch, rt.failure, pause_ms);
        /* "ran": how long the failed attempt ran (not the recovery's
         * time: that is the summary's "recovery times"). */
        if (latest != NULL)
            xasprintf(&msg, "%s%sattempt %u -> checkpoint %llu, attempt %u "
                "ran %.0f ms", rt.recovery_log, rt.recoveries ? "; " : "",
                at.epoch + 1, (unsigned long long)latest->id, at.epoch,
                (seen - t0) / 1e6);
        else
            xasprintf(&msg, "%s%sattempt %u -> the beginning, attempt %u ran "
                "%.0f ms", rt.recovery_log, rt.recoveries ? "; " : "",
                at.epoch + 1, at.epoch, (seen - t0) / 1e6);
        free(rt.recovery_log);
        rt.recovery_log = msg;
        rt.recoveries++;
        free(rt.failure);
        rt.failure = NULL;
        rt.host_failure = false;
        at.fault_ns = seen;
        if (pause_ms > 0)
            usleep((useconds_t)pause_ms * 1000);
    }
    if (opts->progress)
        gale_progress_draw(rt.progress, true);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (rt.failure != NULL)
        log_error("%s: %s", t->name, rt.failure);
    if (opts->summary != NULL) {
        gale_progress_summary(rt.progress, opts->summary, rt.failure ?
            "failed" : rt.ending == GALE_RUNTIME_SAVEPOINT ?
            "stopped with a savepoint" : rt.ending == GALE_RUNTIME_REBALANCE ?
            "stopped to rebalance" : "finished");
        gale_progress_checkpoints(opts->summary, rt.coord, rt.recoveries,
            rt.recovery_log);
        if (rt.nrstats > 0)
            print_recovery_times(&rt, opts->summary);
    }
    status = rt.failure != NULL ? 1 : 0;
    if (status == 0 && rt.ending == GALE_RUNTIME_REBALANCE &&
        opts->result != NULL) {
        opts->result->savepoint = rt.cs.sp_dir;
        opts->result->spec = rt.cs.sp_spec;
        rt.cs.sp_dir = rt.cs.sp_spec = NULL;
        status = GALE_RUNTIME_REBALANCE;
    }
done:
    gale_console_server_reply(rt.console, "error %s has stopped", t->name);
    gale_webapi_close(&rt.web);
    gale_monitor_destroy(&rt.monitor);
    gale_console_server_close(&rt.console);
    gale_console_state_clear_savepoint(&rt.cs);
    gale_coord_close(&rt.coord);
    gale_launcher_destroy(&rt.launcher);
    zmq_ctx_term(rt.zctx);
    free(dir);
    free(why);
    free(rt.ctl);
    free(rt.done);
    free(rt.failure);
    free(rt.recovery_log);
    free(rt.recovery_times);
    free(rt.rstats);
    free(rt.pending);
    free(rt.npending);
    gale_progress_destroy(&rt.progress);
    return status;
}
