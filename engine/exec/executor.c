/* executor.c - the executor thread: spouts call next(), bolts execute the
 * tuples of their input channels; both flush batches on time, send END
 * when done, and report counters to the runtime. */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "common/failpoint.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "engine/net/endpoint.h"
#include "engine/checkpoint/ckpt.h"
#include "engine/checkpoint/ckptwriter.h"
#include "engine/wire/control.h"
#include "engine/net/netsec.h"
#include "engine/exec/executor.h"
#include "engine/transport/inlet.h"
#include "engine/transport/outlet.h"
#include "engine/wire/record.h"
#include "engine/exec/task.h"
#include "engine/exec/watermark.h"
#include "engine/metrics/chanreport.h"
#include "engine/metrics/userstats.h"
#include "engine/transport/chanstat.h"

/* The operator state where the engine keeps a task's event time across a
 * restore: "in.<task index>" its input watermark, "max.<task index>" the
 * highest event time it emitted (when it generates watermarks). */
#define TIME_STATE "__gale.time"

/* What an input channel feeds. */
typedef struct in_map {
    int task;                       /* local task index */
    int from_task;                  /* producer task id */
    const gale_comp_t *producer;    /* producer component */
    uint64_t barrier;               /* last checkpoint barrier it delivered */
    int wm_ch;                      /* its index in the task's watermark clock */
} in_map_t;

/* Snapshots remembered per spout task for max.spout.pending (at most one
 * checkpoint is in flight, and declined ones are covered by the next). */
#define PENDING_RING 8

/* The executor's checkpoint bookkeeping for one of its tasks. */
typedef struct task_rt {
    int *outs;                      /* the task's outlet indexes, deduplicated */
    size_t nouts;
    uint64_t aligning;              /* checkpoint being aligned, 0 = none */
    uint64_t align_start_ns;        /* when its first barrier arrived */
    uint64_t last_snap;             /* last checkpoint snapshotted */
    bool restored;                  /* state came from a checkpoint */
    /* Spouts, topology.max.spout.pending: tuples emitted when each recent
     * snapshot was taken, and when the last completed one was. */
    uint64_t snap_id[PENDING_RING];
    uint64_t snap_emitted[PENDING_RING];
    uint64_t done_emitted;
    /* Spouts, complete latency: when the task first emitted after its
     * last snapshot (0: not yet), and that time for each recent
     * snapshot (0: recorded, or nothing emitted). */
    uint64_t first_emit_ns;
    uint64_t snap_first_ns[PENDING_RING];
    int fused_from;                 /* a chain member (chain.h): the local
                                       task that feeds it; else -1 */
} task_rt_t;

struct gale_exec {
    gale_executor_cfg_t cfg;        /* copy; prefix owned below */
    char *prefix;                   /* owned */
    char *ctl_prefix;               /* owned */
    const gale_comp_t *comp;        /* the component it runs */
    gale_ctx_t **tasks;             /* owned */
    task_rt_t *trt;                 /* per task, owned */
    int ntasks;
    gale_outlet_t *outlet;          /* owned */
    bool set_up;                    /* setup() completed: tasks exist */
    bool first_reported;            /* a task executed: reported at once */
    gale_inlet_t *inlet;            /* owned */
    in_map_t *in_map;               /* per inlet index */
    int *chan_out;                  /* channel id -> outlet index, or -1 */
    void *ctl;                      /* PAIR to the runtime */
    void *report;                   /* PUSH to the runtime */
    void *writer;                   /* PUSH to the checkpoint writer, or NULL */
    uint64_t trigger;               /* highest CHECKPOINT id received */
    uint64_t triggered;             /* highest one acted on */
    uint64_t complete;              /* highest COMPLETE id received */
    uint64_t notified;              /* highest one passed to the tasks */
    uint64_t declined;              /* highest DECLINE id received */
    uint64_t declined_done;         /* highest one acted on */
    bool ended_out;                 /* END sent on every output channel */
    gale_datum_t *fields;           /* decode scratch */
    size_t fields_cap;
    bool stopping;                  /* STOP received */
    bool stopped_in;                /* an input ended by a stop */
    bool inactive;                  /* DEACTIVATE received (spouts idle) */
    uint64_t max_pending;           /* topology.max.spout.pending; 0 = none */
    bool inactive_seen;             /* the spouts were told (deactivate()) */
    bool aborting;                  /* EXIT received before DONE */
    bool started;                   /* thread started */
    atomic_bool finished;           /* the thread is about to return */
    pthread_t thread;
    uint64_t next_report_ns;        /* when to send STATS */
    char *chain_error;              /* owned: a chained task's failure */
    bool chain_reported;            /* it was reported */
};

gale_exec_t *
gale_executor_new(const gale_executor_cfg_t *cfg)
{
    gale_exec_t *e = xcalloc(1, sizeof *e);

    e->cfg = *cfg;
    e->prefix = xstrdup(cfg->prefix);
    e->cfg.prefix = e->prefix;
    e->ctl_prefix = xstrdup(cfg->ctl_prefix != NULL ? cfg->ctl_prefix : cfg->prefix);
    e->cfg.ctl_prefix = e->ctl_prefix;
    e->comp = &cfg->plan->topo->comps[cfg->plan->execs[cfg->exec].comp];
    if (cfg->checkpoints && e->comp->kind == GALE_SPOUT) {
        const gale_value_t *v = gale_value_map_get(e->comp->conf,
            "topology.max.spout.pending");

        /* Storm's pending = emitted, not yet acked; gale's = emitted, not
         * yet covered by a completed checkpoint. Without checkpoints
         * nothing is ever pending (Storm ignores it without ackers). */
        if (v != NULL && v->type == GALE_INT && v->u.i > 0)
            e->max_pending = (uint64_t)v->u.i;
    }
    return e;
}

/* Sends a report header (encoded: engine/wire/control.h) with flags
 * (ZMQ_SNDMORE when parts follow). What zmq_send returns. */
static int
send_report_hdr(void *sock, const gale_report_hdr_t *h, int flags)
{
    uint8_t hb[GALE_REPORT_HDR_SIZE];

    gale_report_hdr_encode(h, hb);
    return zmq_send(sock, hb, sizeof hb, flags);
}

/* Sends a FAILED report with a message. */
static void
report_failed(gale_exec_t *e, const char *fmt, ...)
{
    gale_report_hdr_t h = { .type = GALE_REPORT_FAILED, .exec = e->cfg.exec,
        .epoch = e->cfg.epoch };
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_msg(LOG_ERROR, e->comp->id, "%s", msg);
    if (e->report == NULL)
        return;
    send_report_hdr(e->report, &h, ZMQ_SNDMORE);
    zmq_send(e->report, msg, strlen(msg) + 1, 0);
}

/* Whether a chained task failed (chain.h); reports it, once. A caller
 * that sees true leaves with -1: nothing may be snapshotted after it. */
static bool
chain_failed(gale_exec_t *e)
{
    if (e->chain_error == NULL)
        return false;
    if (!e->chain_reported && !e->aborting)
        report_failed(e, "%s", e->chain_error);
    e->chain_reported = true;
    return true;
}

/* The frames channel id holds before its sender waits, as its receiver
 * sees it: inside a process the sender's queue_depth plus the inlet's 1;
 * from another worker, the credits (queue_depth: frames on the way or
 * waiting in the bridge) plus the bridge's local leg (its 1 and the
 * inlet's 1; engine/transport/bridge.c). */
static uint32_t
in_window(const gale_exec_t *e, int id)
{
    const gale_plan_t *p = e->cfg.plan;
    int from = p->chans[id].from_task;

    if (e->cfg.one_process || p->tasks[from - 1].worker ==
        p->execs[e->cfg.exec].worker)
        return (uint32_t)gale_outlet_window(e->outlet);
    return (uint32_t)p->topo->queue_depth + 2;
}

/* Sends one histogram of every task (the one at offset off in its
 * stats: a gale_hist_t) as a STATS part, with zmq_send's flags. */
static void
send_hist_part(gale_exec_t *e, size_t off, int flags)
{
    const gale_hist_t **hs = xcalloc((size_t)e->ntasks, sizeof *hs);
    int32_t *ids = xcalloc((size_t)e->ntasks, sizeof *ids);
    uint8_t *part = xmalloc(GALE_HIST_PART_MAX(e->ntasks));
    size_t len;
    int i;

    for (i = 0; i < e->ntasks; i++) {
        ids[i] = e->tasks[i]->task_id;
        hs[i] = (const gale_hist_t *)((const char *)&e->tasks[i]->stats + off);
    }
    len = gale_hist_part_encode(ids, hs, (size_t)e->ntasks, part);
    zmq_send(e->report, part, len, flags);
    free(part);
    free(ids);
    free(hs);
}

/* Sends the STATS report's last part: each task's process (bolts) or
 * complete (spouts) latency histogram, as the third part's. */
static void
send_report_done_lat(gale_exec_t *e)
{
    send_hist_part(e, offsetof(gale_task_stats_t, done_lat), 0);
}

/* Sends the STATS report's fifth part: the channels inside this process
 * that the executor receives or sends on (engine/metrics/chanreport.h),
 * read from the process's counts, off the data path. */
static void
send_report_chans(gale_exec_t *e)
{
    gale_chanstat_read_t r;
    gale_chanreport_t c;
    gale_buf_t b;
    size_t k;
    int id;

    gale_buf_init(&b, 64);
    gale_chanreport_begin(&b);
    for (k = 0; e->cfg.chanstat != NULL && k < gale_inlet_count(e->inlet);
        k++) {
        id = gale_inlet_channel_id(e->inlet, (int)k);
        if (gale_chanstat_get(e->cfg.chanstat, id, &r) != 0)
            continue;
        memset(&c, 0, sizeof c);
        c.channel = id;
        c.side = GALE_CHAN_IN;
        /* Our own counts do not move while we read: sent - received is
         * what the channel held when 'sent' was read. */
        c.frames = r.sent_frames > r.recv_frames ?
            (uint32_t)(r.sent_frames - r.recv_frames) : 0;
        c.tuples = r.sent_tuples > r.recv_tuples ?
            r.sent_tuples - r.recv_tuples : 0;
        c.window = in_window(e, id);
        /* What entered the channel here (across workers: what reached
         * this process's bridge); the master subtracts it from the
         * sender's total to count the frames between the bridges. */
        c.through_frames = r.sent_frames;
        c.through_tuples = r.sent_tuples;
        gale_chanreport_add(&b, &c);
    }
    /* To another worker: the leg to this process's bridge, whose window
     * is the same as a local receiver's. */
    for (k = 0; e->cfg.chanstat != NULL && k < gale_outlet_count(e->outlet);
        k++) {
        id = gale_outlet_channel_id(e->outlet, (int)k);
        if (gale_chanstat_get(e->cfg.chanstat, id, &r) != 0)
            continue;
        memset(&c, 0, sizeof c);
        c.channel = id;
        c.side = GALE_CHAN_OUT;
        c.frames = r.sent_frames > r.recv_frames ?
            (uint32_t)(r.sent_frames - r.recv_frames) : 0;
        c.tuples = r.sent_tuples > r.recv_tuples ?
            r.sent_tuples - r.recv_tuples : 0;
        c.window = (uint32_t)gale_outlet_window(e->outlet);
        c.through_frames = r.recv_frames;
        c.through_tuples = r.recv_tuples;
        gale_chanreport_add(&b, &c);
    }
    zmq_send(e->report, b.data, b.len, ZMQ_SNDMORE);
    gale_buf_release(&b);
    send_report_done_lat(e);
}

/* Sends the STATS report's fourth part: the tasks' named counters
 * (gale_ctx_count; engine/metrics/userstats.h), then the fifth. */
static void
send_report_user(gale_exec_t *e)
{
    gale_buf_t b;
    size_t k;
    int i;

    gale_buf_init(&b, 64);
    gale_userstats_begin(&b);
    for (i = 0; i < e->ntasks; i++)
        for (k = 0; k < e->tasks[i]->ncounters &&
            k < GALE_USERSTATS_PER_TASK; k++)
            gale_userstats_add(&b, e->tasks[i]->task_id,
                e->tasks[i]->counters[k].name, e->tasks[i]->counters[k].value);
    zmq_send(e->report, b.data, b.len, ZMQ_SNDMORE);
    gale_buf_release(&b);
    send_report_chans(e);
}

/* Sends the STATS report's third part: every task's execute latency
 * histogram (engine/metrics/histogram.h), then the fourth. */
static void
send_report_hists(gale_exec_t *e)
{
    send_hist_part(e, offsetof(gale_task_stats_t, exec_lat), ZMQ_SNDMORE);
    send_report_user(e);
}

/* Sends the counters of every task. */
static void
report_stats(gale_exec_t *e)
{
    gale_report_hdr_t h = { .type = GALE_REPORT_STATS, .exec = e->cfg.exec,
        .epoch = e->cfg.epoch };
    gale_report_task_t *rt = xcalloc((size_t)e->ntasks, sizeof *rt);
    uint8_t *body;
    size_t len = GALE_REPORT_TASKS_SIZE(e->ntasks);
    int i;

    h.ntasks = (uint32_t)e->ntasks;
    h.arg = e->outlet != NULL ? gale_outlet_blocked_ns(e->outlet) : 0;
    for (i = 0; i < e->ntasks; i++) {
        const gale_task_stats_t *s = &e->tasks[i]->stats;

        rt[i].task = e->tasks[i]->task_id;
        rt[i].emitted = s->emitted;
        rt[i].transferred = s->transferred;
        rt[i].executed = s->executed;
        rt[i].exec_ns = s->exec_ns;
        rt[i].errors = s->errors;
        rt[i].watermark_ms = gale_ctx_watermark(e->tasks[i]);
        if (e->tasks[i]->state != NULL) {
            gale_kvstore_stats_t ks;

            gale_kvstore_stats(e->tasks[i]->state, &ks);
            rt[i].state_bytes = gale_kvstore_bytes(e->tasks[i]->state);
            rt[i].spilled = ks.written;
        }
    }
    body = xmalloc(len);
    gale_report_tasks_encode(rt, (size_t)e->ntasks, body);
    send_report_hdr(e->report, &h, ZMQ_SNDMORE);
    zmq_send(e->report, body, len, ZMQ_SNDMORE);
    free(body);
    free(rt);
    send_report_hists(e);
}

/* Reads every waiting control message. Checkpoint messages are only
 * recorded here (this also runs while a send waits, in the middle of a
 * component's call); handle_pending acts on them at a safe point. Returns
 * non-zero when the executor must leave (EXIT). */
static int
read_control(gale_exec_t *e)
{
    uint8_t buf[GALE_CTL_MSG_SIZE + 1];
    gale_ctl_msg_t m;
    int n;

    /* One byte more than a message: a longer one is seen as such (zmq_recv
     * reports the full size) and dropped by the decoder. */
    while ((n = zmq_recv(e->ctl, buf, sizeof buf, ZMQ_DONTWAIT)) >= 0) {
        if (gale_ctl_msg_decode(buf, (size_t)n < sizeof buf ? (size_t)n :
            sizeof buf, &m) != 0)
            continue;
        if (m.type == GALE_CTL_STOP)
            e->stopping = true;
        else if (m.type == GALE_CTL_EXIT)
            e->aborting = true;
        else if (m.type == GALE_CTL_CHECKPOINT && m.arg > e->trigger)
            e->trigger = m.arg;
        else if (m.type == GALE_CTL_COMPLETE && m.arg > e->complete)
            e->complete = m.arg;
        else if (m.type == GALE_CTL_DECLINE && m.arg > e->declined)
            e->declined = m.arg;
        else if (m.type == GALE_CTL_DEACTIVATE)
            e->inactive = true;
        else if (m.type == GALE_CTL_ACTIVATE)
            e->inactive = false;
    }
    return e->aborting;
}

/* Outlet callback: control arrived while a send waits. */
static int
on_control(void *arg)
{
    return read_control(arg);
}

/* Outlet callback: a component waits inside a call (a multilang child
 * that is slow to answer). Reports stats when due, so that the runtime
 * still hears from this executor's worker (its liveness check). */
static void
on_wait(void *arg)
{
    gale_exec_t *e = arg;
    uint64_t now = gale_now_ns();

    if (e->report == NULL || !e->set_up || now < e->next_report_ns)
        return;
    report_stats(e);
    e->next_report_ns = now + (uint64_t)e->cfg.report_ms * 1000000u;
}

/* Router callback: the outlet index of channel id, connecting it once. */
static int
out_index(void *arg, int channel_id)
{
    gale_exec_t *e = arg;
    int idx;

    if (e->chan_out[channel_id] >= 0)
        return e->chan_out[channel_id];
    if ((idx = gale_outlet_add(e->outlet, channel_id)) < 0)
        return idx;
    e->chan_out[channel_id] = idx;
    return idx;
}

/* Lists the outlet indexes task t sends on (its routes' targets), once
 * each: where its barriers go. */
static void
collect_outs(const gale_ctx_t *t, task_rt_t *tr)
{
    size_t s, r, k;
    int i;

    for (s = 0; s < t->router->nstreams; s++) {
        for (r = 0; r < t->router->streams[s].nroutes; r++) {
            const gale_route_t *rt = &t->router->streams[s].routes[r];

            for (i = 0; i < rt->ntargets; i++) {
                if (rt->outs[i] < 0)
                    continue;       /* chained: no channel */
                for (k = 0; k < tr->nouts && tr->outs[k] != rt->outs[i]; k++)
                    ;
                if (k < tr->nouts)
                    continue;
                tr->outs = xreallocarray(tr->outs, tr->nouts + 1, sizeof *tr->outs);
                tr->outs[tr->nouts++] = rt->outs[i];
            }
        }
    }
}

/* Loads every task's state from the checkpoint to restore. 0, or -1 with
 * *cause. A task missing from the checkpoint starts empty. */
static int
restore_state(gale_exec_t *e, char **cause)
{
    const gale_ckpt_meta_t *m = e->cfg.restore;
    gale_ckpt_t *c;
    char *why = NULL;
    size_t k;
    int i, rc = 0;

    if ((c = gale_ckpt_open(e->cfg.ckpt_dir, &why)) == NULL) {
        xasprintf(cause, "opening checkpoints: %s", why ? why : "?");
        free(why);
        return -1;
    }
    for (i = 0; i < e->ntasks && rc == 0; i++) {
        for (k = 0; k < m->ntasks; k++) {
            if (m->tasks[k].task_id != e->tasks[i]->task_id)
                continue;
            if (gale_ckpt_restore_task(c, &m->tasks[k], e->tasks[i]->state,
                &why) != 0) {
                xasprintf(cause, "%s: restoring checkpoint %llu: %s",
                    e->tasks[i]->origin, (unsigned long long)m->id,
                    why ? why : "?");
                free(why);
                rc = -1;
                break;
            }
            e->trt[i].restored = true;
            e->trt[i].last_snap = m->id;
        }
    }
    gale_ckpt_close(&c);
    return rc;
}

/* Reads back what restore_time's counterpart, save_time, kept of task
 * t's event time: its input watermark becomes a floor (a restored window
 * must not take, as on time, a tuple that was late before the failure),
 * and a generating task resumes from its highest event time. After a
 * rescale a task may hold several old tasks' values: the lowest of each
 * kind is the safe one. */
static int
time_entry(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
    int64_t *mins = arg, v;
    int which;

    if (vlen != sizeof v)
        return 0;
    if (klen > 3 && memcmp(key, "in.", 3) == 0)
        which = 0;
    else if (klen > 4 && memcmp(key, "max.", 4) == 0)
        which = 1;
    else
        return 0;
    memcpy(&v, val, sizeof v);
    if (mins[which] == GALE_WM_NONE || v < mins[which])
        mins[which] = v;
    return 0;
}

static void
restore_time(gale_ctx_t *t)
{
    int64_t mins[2] = { GALE_WM_NONE, GALE_WM_NONE };
    gale_kv_t *kv = gale_kvstore_operator(t->state, TIME_STATE);

    gale_kvstore_set_keygroup(t->state, -1);
    gale_kv_iterate(kv, time_entry, mins);
    if (t->wm != NULL && mins[0] != GALE_WM_NONE)
        gale_wmark_set_floor(t->wm, mins[0]);
    if (t->wm_idx != NULL && mins[1] != GALE_WM_NONE)
        t->wm_max = mins[1];
}

/* Keeps task t's event time in its operator state for restore_time:
 * only once it has one. 0 or -errno. */
static int
save_time(gale_ctx_t *t)
{
    gale_kv_t *kv;
    char key[32];
    int64_t v;
    int rc, n;

    if ((t->wm == NULL || gale_wmark_current(t->wm) == GALE_WM_NONE) &&
        t->wm_max == GALE_WM_NONE)
        return 0;
    kv = gale_kvstore_operator(t->state, TIME_STATE);
    if (t->wm != NULL && (v = gale_wmark_current(t->wm)) != GALE_WM_NONE) {
        n = snprintf(key, sizeof key, "in.%d", t->task_index);
        if ((rc = gale_kv_put(kv, key, (size_t)n, &v, sizeof v)) != 0)
            return rc;
    }
    if (t->wm_max != GALE_WM_NONE) {
        n = snprintf(key, sizeof key, "max.%d", t->task_index);
        v = t->wm_max;
        if ((rc = gale_kv_put(kv, key, (size_t)n, &v, sizeof v)) != 0)
            return rc;
    }
    return 0;
}

/* The local index of task id, or -1. */
static int
local_task(const gale_exec_t *e, int id)
{
    int i;

    for (i = 0; i < e->ntasks; i++)
        if (e->tasks[i]->task_id == id)
            return i;
    return -1;
}

/* Points each chained route of the executor's tasks at its consumer task
 * (chain.h): that task's one input, watermark channel 0. */
static void
fuse_tasks(gale_exec_t *e)
{
    const gale_plan_t *p = e->cfg.plan;
    size_t s, r;
    int i, j;

    for (i = 0; i < e->ntasks; i++) {
        gale_router_t *ro = e->tasks[i]->router;

        for (s = 0; s < ro->nstreams; s++) {
            for (r = 0; r < ro->streams[s].nroutes; r++) {
                gale_route_t *rt = &ro->streams[s].routes[r];

                if (!p->chained[rt->edge] || rt->ntargets != 1)
                    continue;
                j = local_task(e, rt->targets[0]);
                assert(j > i && e->trt[j].fused_from < 0);
                rt->fused = e->tasks[j];
                e->trt[j].fused_from = i;
                e->tasks[j]->inputs_open++;
            }
        }
    }
}

/* Creates sockets, channels and tasks. 0, or -1 after reporting. */
static int
setup(gale_exec_t *e)
{
    const gale_plan_t *p = e->cfg.plan;
    const gale_executor_cfg_t *c = &e->cfg;
    const gale_executor_t *x = &p->execs[c->exec];
    gale_outlet_cfg_t oc;
    char ep[256], name[32], *cause = NULL, *chp;
    int i, linger = 0, first = p->execs[c->exec].first_task, idx;
    size_t k;

    e->ctl = zmq_socket(c->zctx, ZMQ_PAIR);
    e->report = zmq_socket(c->zctx, ZMQ_PUSH);
    zmq_setsockopt(e->ctl, ZMQ_LINGER, &linger, sizeof linger);
    snprintf(name, sizeof name, "ctl/%d", c->exec);
    if (e->ctl == NULL || gale_endpoint(ep, sizeof ep, c->ctl_prefix, name) != 0 ||
        gale_netsec_connect(e->ctl, ep, GALE_NETSEC_CONTROL) != 0)
        goto zfail;
    if (e->report == NULL ||
        gale_endpoint(ep, sizeof ep, c->ctl_prefix, "report") != 0 ||
        gale_netsec_connect(e->report, ep, GALE_NETSEC_CONTROL) != 0)
        goto zfail;
    if (c->checkpoints) {
        e->writer = zmq_socket(c->zctx, ZMQ_PUSH);
        zmq_setsockopt(e->writer, ZMQ_LINGER, &linger, sizeof linger);
        snprintf(ep, sizeof ep, "%swriter", c->prefix);
        if (e->writer == NULL || zmq_connect(e->writer, ep) != 0)
            goto zfail;
    }
    xasprintf(&chp, "%sch/", c->prefix);
    memset(&oc, 0, sizeof oc);
    oc.zctx = c->zctx;
    oc.prefix = chp;
    oc.epoch = c->epoch;
    oc.batch_size = p->topo->batch_size;
    oc.batch_bytes = p->topo->batch_bytes;
    oc.flush_interval_ms = p->topo->flush_interval_ms;
    oc.queue_depth = p->topo->queue_depth;
    oc.ctl = e->ctl;
    oc.on_control = on_control;
    oc.on_wait = on_wait;
    oc.arg = e;
    oc.chanstat = c->chanstat;
    e->outlet = gale_outlet_new(&oc, &cause);
    e->inlet = gale_inlet_new(c->zctx, chp, c->epoch, p->topo->queue_depth, &cause);
    free(chp);
    if (e->outlet == NULL || e->inlet == NULL)
        goto fail;
    gale_inlet_set_chanstat(e->inlet, c->chanstat);
    e->chan_out = xcalloc(p->nchans + 1, sizeof *e->chan_out);
    for (k = 0; k < p->nchans; k++)
        e->chan_out[k] = -1;
    /* Its component's tasks, then those of each component chained into
     * it (plan.h), as many of each. */
    e->ntasks = x->ntasks * (1 + x->nmembers);
    e->tasks = xcalloc((size_t)e->ntasks, sizeof *e->tasks);
    e->trt = xcalloc((size_t)e->ntasks, sizeof *e->trt);
    for (i = 0; i < e->ntasks; i++) {
        int comp = i < x->ntasks ? x->comp : x->members[i / x->ntasks - 1];

        e->trt[i].fused_from = -1;
        if ((e->tasks[i] = gale_task_new(p, gale_plan_exec_task(p, c->exec,
            comp, i % x->ntasks), e->outlet, out_index, e, &cause)) == NULL)
            goto fail;
        e->tasks[i]->attempt = c->epoch;
        e->tasks[i]->chain_error = &e->chain_error;
        collect_outs(e->tasks[i], &e->trt[i]);
    }
    fuse_tasks(e);
    if (c->restore != NULL && restore_state(e, &cause) != 0)
        goto fail;
    /* Input channels: every channel whose receiver is one of our tasks
     * (a chain member has none: its one input is fused). */
    for (k = 0; k < p->nchans; k++) {
        const gale_channel_t *ch = &p->chans[k];
        int ti;

        if (p->tasks[ch->to_task - 1].executor != c->exec)
            continue;
        ti = ch->to_task >= first && ch->to_task < first + x->ntasks ?
            ch->to_task - first : local_task(e, ch->to_task);
        if ((idx = gale_inlet_add(e->inlet, ch->id)) < 0) {
            xasprintf(&cause, "channel %d: %s", ch->id, zmq_strerror(-idx));
            goto fail;
        }
        e->in_map = xreallocarray(e->in_map, (size_t)idx + 1, sizeof *e->in_map);
        memset(&e->in_map[idx], 0, sizeof e->in_map[idx]);
        e->in_map[idx].task = ti;
        e->in_map[idx].from_task = ch->from_task;
        e->in_map[idx].producer = &p->topo->comps[p->tasks[ch->from_task - 1].comp];
        e->in_map[idx].wm_ch = e->tasks[ti]->inputs_open++;
    }
    for (i = 0; i < e->ntasks; i++) {
        gale_ctx_t *t = e->tasks[i];

        if (t->comp->kind == GALE_BOLT)
            t->wm = gale_wmark_new((size_t)t->inputs_open);
        if (e->trt[i].restored)
            restore_time(t);
    }
    e->set_up = true;
    return 0;
zfail:
    xasprintf(&cause, "%s: %s", ep, zmq_strerror(errno));
fail:
    report_failed(e, "%s: setup failed: %s", e->comp->id, cause ? cause : "?");
    free(cause);
    return -1;
}

/* Opens (spouts) or prepares (bolts) every task. 0 or -1 after reporting. */
static int
open_tasks(gale_exec_t *e)
{
    int i, rc;

    for (i = 0; i < e->ntasks; i++) {
        gale_ctx_t *t = e->tasks[i];

        if (t->def == NULL) {
            report_failed(e, "%s: type %s cannot run in this build", t->origin,
                t->comp->type);
            return -1;
        }
        if (t->def->kind == GALE_SPOUT)
            rc = t->def->spout->open ? t->def->spout->open(t, &t->self) : 0;
        else
            rc = t->def->bolt->prepare ? t->def->bolt->prepare(t, &t->self) : 0;
        if (rc != 0) {
            report_failed(e, "%s: %s failed: %s", t->origin,
                t->def->kind == GALE_SPOUT ? "open" : "prepare",
                strerror(rc < 0 ? -rc : rc));
            return -1;
        }
        t->opened = true;
        if (e->trt[i].restored) {
            gale_kvstore_set_keygroup(t->state, -1);
            rc = t->def->kind == GALE_SPOUT ?
                (t->def->spout->restore ? t->def->spout->restore(t, t->self) : 0) :
                (t->def->bolt->restore ? t->def->bolt->restore(t, t->self) : 0);
            if (rc != 0) {
                report_failed(e, "%s: restore failed: %s", t->origin,
                    strerror(rc < 0 ? -rc : rc));
                return -1;
            }
        }
        if (t->def->kind == GALE_SPOUT && t->def->spout->activate)
            t->def->spout->activate(t, t->self);
        if (t->comp->tick_secs > 0)
            t->next_tick_ns = gale_now_ns() + (uint64_t)t->comp->tick_secs * 1000000000u;
    }
    return 0;
}

/* Closes (spouts) or cleans up (bolts) the tasks that were opened. */
static void
close_tasks(gale_exec_t *e)
{
    int i;

    for (i = 0; i < e->ntasks; i++) {
        gale_ctx_t *t = e->tasks[i];

        if (t == NULL || !t->opened)
            continue;
        if (t->def->kind == GALE_SPOUT) {
            if (t->def->spout->deactivate && !t->done)
                t->def->spout->deactivate(t, t->self);
            if (t->def->spout->close)
                t->def->spout->close(t, t->self);
        } else if (t->def->bolt->cleanup) {
            t->def->bolt->cleanup(t, t->self);
        }
        t->opened = false;
    }
}

static int deliver_watermark(gale_exec_t *e, int i);
static int finish_task(gale_exec_t *e, gale_ctx_t *t);
static int snapshot_task(gale_exec_t *e, int i, uint64_t n, uint64_t align_ns);
static int forward_barrier(gale_exec_t *e, int i, uint64_t n);

/* The executor's own tasks are done: its chain members' input ends, in
 * chain order (each after the task feeding it), as END on a channel
 * would: the watermark ends (or stays, when stopped), finish() runs, and
 * a checkpoint heard of but not yet taken is taken. 0, or -1 after
 * reporting. */
static int
end_members(gale_exec_t *e)
{
    bool stopped = e->stopping || e->stopped_in;
    int j;

    for (j = 0; j < e->ntasks; j++) {
        gale_ctx_t *t = e->tasks[j];

        if (e->trt[j].fused_from < 0 || t->done)
            continue;
        t->inputs_open--;
        if ((stopped ? gale_wmark_stop : gale_wmark_end)(t->wm, 0) &&
            deliver_watermark(e, j) != 0)
            return -1;
        if (finish_task(e, t) != 0 || chain_failed(e))
            return -1;
        if (e->triggered > e->trt[j].last_snap && e->triggered > e->declined &&
            (snapshot_task(e, j, e->triggered, 0) != 0 ||
            forward_barrier(e, j, e->triggered) != 0))
            return -1;
    }
    return 0;
}

/* Sends END on every output channel. 0 or -errno (-ECANCELED after a
 * chain member's failure, reported). */
static int
send_end(gale_exec_t *e)
{
    size_t i;
    int rc;

    if (end_members(e) != 0)
        return -ECANCELED;
    for (i = 0; i < (size_t)e->ntasks; i++)
        if ((rc = gale_task_drain(e->tasks[i])) != 0)
            return rc;
    /* A stream stopped before its input ended says so: downstream, event
     * time must not jump to the end (watermark.h). */
    for (i = 0; i < gale_outlet_count(e->outlet); i++)
        if ((rc = gale_outlet_control(e->outlet, (int)i, GALE_FRAME_END,
            e->stopping || e->stopped_in ? GALE_END_STOPPED : 0)) != 0)
            return rc;
    e->ended_out = true;
    return 0;
}

/* ---- checkpoints ---- */

/* Snapshots task i for checkpoint n: the component's hook (which may
 * write operator state), then the synchronous part (the changed keys move
 * into a snapshot), handed to the writer. 0, or -1 after reporting. */
/* "Everything <= n is complete": the tuples a spout task emitted before
 * its newest snapshot <= n are no longer pending. Each snapshot <= n
 * whose interval emitted gives lat one complete latency: now less its
 * interval's first emit, the oldest tuple it covers. */
static void
pending_complete(task_rt_t *tr, uint64_t n, gale_hist_t *lat)
{
    uint64_t best = 0, now = gale_now_ns();
    int k;

    for (k = 0; k < PENDING_RING; k++) {
        if (tr->snap_id[k] != 0 && tr->snap_id[k] <= n &&
            tr->snap_first_ns[k] != 0) {
            gale_hist_record_n(lat, now - tr->snap_first_ns[k], 1);
            tr->snap_first_ns[k] = 0;
        }
    }
    for (k = 0; k < PENDING_RING; k++) {
        if (tr->snap_id[k] != 0 && tr->snap_id[k] <= n && tr->snap_id[k] > best) {
            best = tr->snap_id[k];
            if (tr->snap_emitted[k] > tr->done_emitted)
                tr->done_emitted = tr->snap_emitted[k];
        }
    }
}

static int
snapshot_task(gale_exec_t *e, int i, uint64_t n, uint64_t align_ns)
{
    gale_ctx_t *t = e->tasks[i];
    gale_report_ack_t ack = { .task = t->task_id, .ckpt = n, .align_ns = align_ns };
    uint64_t t0 = gale_now_ns();
    gale_snap_t *snap;
    int rc = 0;

    if (chain_failed(e))
        return -1;                  /* its lost tuples must not be covered */
    gale_kvstore_set_keygroup(t->state, -1);
    if (t->def->kind == GALE_SPOUT && t->def->spout->snapshot)
        rc = t->def->spout->snapshot(t, t->self, n);
    else if (t->def->kind == GALE_BOLT && t->def->bolt->snapshot)
        rc = t->def->bolt->snapshot(t, t->self, n);
    if (rc == 0)
        rc = save_time(t);
    if (rc != 0) {
        report_failed(e, "%s: snapshot of checkpoint %llu failed: %s",
            t->origin, (unsigned long long)n, strerror(rc < 0 ? -rc : rc));
        return -1;
    }
    if (t->def->kind == GALE_SPOUT) {
        task_rt_t *tr = &e->trt[i];

        tr->snap_id[n % PENDING_RING] = n;
        /* Set when the task emitted since its snapshot before. */
        tr->snap_first_ns[n % PENDING_RING] = tr->first_emit_ns;
        tr->first_emit_ns = 0;
        tr->snap_emitted[n % PENDING_RING] = t->stats.emitted;
    }
    snap = gale_snap_take(t->state, t->task_id, n);
    ack.sync_ns = gale_now_ns() - t0;
    e->trt[i].last_snap = n;
    if ((rc = gale_ckptwriter_submit(e->writer, e->cfg.exec, snap, &ack)) != 0) {
        report_failed(e, "%s: submitting checkpoint %llu: %s", t->origin,
            (unsigned long long)n, zmq_strerror(-rc));
        return -1;
    }
    return 0;
}

static int fused_control(gale_exec_t *e, int j, int kind, uint64_t arg);

/* Sends a control frame (BARRIER, WATERMARK) with arg on task i's output
 * channels, after the tuples its combiners hold, unless END went out. 0
 * or -1 after reporting. */
static int
send_control(gale_exec_t *e, int i, int kind, uint64_t arg)
{
    size_t k;
    int rc;

    if (e->ended_out)
        return 0;
    if ((rc = gale_task_drain(e->tasks[i])) == 0)
        for (k = 0; k < e->trt[i].nouts && rc == 0; k++)
            rc = gale_outlet_control(e->outlet, e->trt[i].outs[k], kind, arg);
    if (rc != 0) {
        if (rc != -ECANCELED)
            report_failed(e, "%s: sending %s %llu: %s", e->tasks[i]->origin,
                gale_frame_kind_name(kind), (unsigned long long)arg,
                zmq_strerror(-rc));
        return -1;
    }
    /* Chain members fed by task i hear of it now, after every tuple it
     * emitted before (they were executed when emitted). */
    for (k = (size_t)i + 1; k < (size_t)e->ntasks; k++)
        if (e->trt[k].fused_from == i && fused_control(e, (int)k, kind, arg) != 0)
            return -1;
    return 0;
}

/* Sends BARRIER(n) on task i's output channels. 0 or -1. */
static int
forward_barrier(gale_exec_t *e, int i, uint64_t n)
{
    return send_control(e, i, GALE_FRAME_BARRIER, n);
}

/* ---- event time ---- */

/* Sends WATERMARK(arg) on task i's output channels. 0 or -1. */
static int
send_watermark(gale_exec_t *e, int i, uint64_t arg)
{
    return send_control(e, i, GALE_FRAME_WATERMARK, arg);
}

/* Calls bolt task t's on_watermark with wm. 0 or -1 after reporting. */
static int
call_on_watermark(gale_exec_t *e, gale_ctx_t *t, int64_t wm)
{
    int rc;

    if (t->def->bolt->on_watermark == NULL || !t->opened || t->done)
        return 0;
    gale_kvstore_set_keygroup(t->state, -1);
    if ((rc = t->def->bolt->on_watermark(t, t->self, wm)) != 0) {
        if (!e->aborting && !chain_failed(e))
            report_failed(e, "%s: on_watermark(%lld) failed: %s", t->origin,
                (long long)wm, strerror(rc < 0 ? -rc : rc));
        return -1;
    }
    return 0;
}

/* Task i's input watermark advanced: the bolt hears of it, then it goes
 * downstream (END carries the last one; a task that generates its own
 * watermarks keeps its inputs' to itself). 0 or -1. */
static int
deliver_watermark(gale_exec_t *e, int i)
{
    gale_ctx_t *t = e->tasks[i];
    int64_t wm = gale_wmark_current(t->wm);

    if (call_on_watermark(e, t, wm) != 0)
        return -1;
    if (t->wm_idx != NULL || wm == GALE_WM_END || wm <= t->wm_sent)
        return 0;
    t->wm_sent = wm;
    t->wm_idle_sent = false;
    return send_watermark(e, i, (uint64_t)wm);
}

/* WATERMARK(arg) arrived at task i on its watermark channel ch. 0 or
 * -1. */
static int
on_watermark(gale_exec_t *e, int i, int ch, uint64_t arg)
{
    gale_ctx_t *t = e->tasks[i];
    bool idle = arg == GALE_WM_IDLE_ARG;

    if (idle ? gale_wmark_idle(t->wm, (size_t)ch) :
        gale_wmark_update(t->wm, (size_t)ch, (int64_t)arg))
        return deliver_watermark(e, i);
    if (idle && t->wm_idx == NULL && !t->wm_idle_sent &&
        gale_wmark_all_idle(t->wm)) {
        /* Every input is idle: so are the task's outputs. */
        t->wm_idle_sent = true;
        return send_watermark(e, i, GALE_WM_IDLE_ARG);
    }
    return 0;
}

/* WATERMARK(arg) arrived on input channel idx. 0 or -1. */
static int
on_watermark_frame(gale_exec_t *e, int idx, uint64_t arg)
{
    return on_watermark(e, e->in_map[idx].task, e->in_map[idx].wm_ch, arg);
}

/* Periodic event-time work at now: tasks that generate watermarks send
 * max(event time emitted) - lag - 1 when it advanced, or IDLE after
 * idle_ms without emitting; tasks on the wall clock hear it. 0 or -1. */
static int
event_time(gale_exec_t *e, uint64_t now)
{
    int i;

    for (i = 0; i < e->ntasks; i++) {
        gale_ctx_t *t = e->tasks[i];
        const gale_comp_t *c = t->comp;
        int64_t wm;

        if (t->done)
            continue;
        if (t->clock_wm_ns != 0 && now >= t->clock_wm_next_ns) {
            t->clock_wm_next_ns = now + t->clock_wm_ns;
            if (t->def->kind == GALE_BOLT &&
                call_on_watermark(e, t, gale_wall_ms()) != 0)
                return -1;
        }
        if (t->wm_idx == NULL)
            continue;
        if (t->stats.emitted != t->wm_seen || t->wm_quiet_ns == 0) {
            t->wm_seen = t->stats.emitted;
            t->wm_quiet_ns = now;
            t->wm_idle_sent = false;
        }
        if (now < t->wm_next_ns)
            continue;
        t->wm_next_ns = now + (uint64_t)c->wm_interval_ms * 1000000u;
        if (t->wm_max != GALE_WM_NONE && t->wm_max > INT64_MIN + c->wm_lag_ms + 1 &&
            (wm = t->wm_max - c->wm_lag_ms - 1) > t->wm_sent) {
            t->wm_sent = wm;
            if (send_watermark(e, i, (uint64_t)wm) != 0)
                return -1;
        } else if (c->wm_idle_ms > 0 && !t->wm_idle_sent &&
            now - t->wm_quiet_ns >= (uint64_t)c->wm_idle_ms * 1000000u) {
            t->wm_idle_sent = true;
            if (send_watermark(e, i, GALE_WM_IDLE_ARG) != 0)
                return -1;
        }
    }
    return 0;
}

/* Unblocks every input channel of task i. */
static void
unblock_task(gale_exec_t *e, int i)
{
    size_t k;

    for (k = 0; k < gale_inlet_count(e->inlet); k++)
        if (e->in_map[k].task == i)
            gale_inlet_block(e->inlet, (int)k, false);
}

/* Completes task i's alignment when every input channel has delivered the
 * barrier or END: snapshot, forward the barrier, unblock. 0 or -1. */
static int
try_align(gale_exec_t *e, int i)
{
    task_rt_t *tr = &e->trt[i];
    uint64_t n = tr->aligning;
    size_t k;

    if (n == 0)
        return 0;
    for (k = 0; k < gale_inlet_count(e->inlet); k++) {
        if (e->in_map[k].task != i)
            continue;
        if (!gale_inlet_ended(e->inlet, (int)k) && e->in_map[k].barrier < n)
            return 0;
    }
    tr->aligning = 0;
    if (snapshot_task(e, i, n, gale_now_ns() - tr->align_start_ns) != 0 ||
        forward_barrier(e, i, n) != 0)
        return -1;
    unblock_task(e, i);
    return 0;
}

/* BARRIER(n) arrived on input channel idx. 0 or -1. */
static int
on_barrier(gale_exec_t *e, int idx, uint64_t n)
{
    in_map_t *m = &e->in_map[idx];
    task_rt_t *tr = &e->trt[m->task];

    if (n <= e->declined || n <= tr->last_snap)
        return 0;                   /* given up, or already taken */
    m->barrier = n;
    if (tr->aligning != n) {
        tr->aligning = n;
        tr->align_start_ns = gale_now_ns();
    }
    if (e->cfg.aligned)
        gale_inlet_block(e->inlet, idx, true);
    gale_failpoint("align");
    return try_align(e, m->task);
}

/* A control frame of kind (BARRIER, WATERMARK) with arg reaches chain
 * member j from the task that feeds it (send_control): its one input
 * delivered it, so a barrier is aligned at once. 0 or -1. */
static int
fused_control(gale_exec_t *e, int j, int kind, uint64_t arg)
{
    task_rt_t *tr = &e->trt[j];

    if (kind == GALE_FRAME_WATERMARK)
        return on_watermark(e, j, 0, arg);
    if (kind != GALE_FRAME_BARRIER || arg <= e->declined || arg <= tr->last_snap)
        return 0;
    tr->aligning = arg;
    tr->align_start_ns = gale_now_ns();
    return try_align(e, j);
}

/* Acts on recorded control messages at a safe point (between next() or
 * execute() calls): declines, triggers, completion notices. 0 or -1. */
static int
handle_pending(gale_exec_t *e)
{
    gale_report_hdr_t h = { .type = GALE_REPORT_NOTIFIED, .exec = e->cfg.exec,
        .epoch = e->cfg.epoch };
    uint64_t n;
    int i;

    if (e->declined > e->declined_done) {
        e->declined_done = e->declined;
        for (i = 0; i < e->ntasks; i++) {
            if (e->trt[i].aligning != 0 && e->trt[i].aligning <= e->declined) {
                e->trt[i].aligning = 0;
                unblock_task(e, i);
            }
        }
    }
    if (e->trigger > e->triggered && e->trigger > e->declined) {
        n = e->triggered = e->trigger;
        for (i = 0; i < e->ntasks; i++) {
            gale_ctx_t *t = e->tasks[i];

            /* Spouts and finished tasks take it now; running bolt tasks
             * when their barriers have arrived. */
            if (e->trt[i].last_snap >= n ||
                (t->def->kind == GALE_BOLT && !t->done))
                continue;
            if (snapshot_task(e, i, n, 0) != 0 || forward_barrier(e, i, n) != 0)
                return -1;
        }
    }
    if (e->complete > e->notified) {
        n = e->notified = e->complete;
        for (i = 0; i < e->ntasks; i++) {
            gale_ctx_t *t = e->tasks[i];
            void (*done)(gale_ctx_t *, void *, uint64_t) = t->def->kind ==
                GALE_SPOUT ? t->def->spout->checkpoint_complete :
                t->def->bolt->checkpoint_complete;

            if (t->def->kind == GALE_SPOUT)
                pending_complete(&e->trt[i], n, &t->stats.done_lat);
            if (done != NULL && t->opened) {
                gale_kvstore_set_keygroup(t->state, -1);
                done(t, t->self, n);
                gale_failpoint("publish");
            }
        }
        h.arg = n;
        send_report_hdr(e->report, &h, 0);
    }
    return 0;
}

/* Delivers a tick tuple to bolt task t when due. 0 or -1 after reporting. */
static int
tick(gale_exec_t *e, gale_ctx_t *t, uint64_t now)
{
    gale_datum_t v = gale_d_int(t->comp->tick_secs);
    struct gale_tuple view = { &v, 1, NULL, "__system", "__tick", -1, 1 };
    int rc;

    if (t->next_tick_ns == 0 || now < t->next_tick_ns || t->done)
        return 0;
    t->next_tick_ns = now + (uint64_t)t->comp->tick_secs * 1000000000u;
    if (t->def->kind != GALE_BOLT)
        return 0;
    gale_kvstore_set_keygroup(t->state, -1);
    if ((rc = t->def->bolt->execute(t, t->self, &view)) != 0) {
        if (chain_failed(e))
            return -1;
        report_failed(e, "%s: execute failed on a tick tuple: %s", t->origin,
            strerror(rc < 0 ? -rc : rc));
        return -1;
    }
    return 0;
}

/* A take_dirty callback that keeps nothing. */
static int
drop_changes(void *arg, int kg, const char *name, const void *key, size_t klen,
    const void *val, size_t vlen)
{
    (void)arg, (void)kg, (void)name, (void)key, (void)klen, (void)val, (void)vlen;
    return 0;
}

/* Periodic work: flush due batches, ticks, reports. 0 or -1. */
static int
housekeeping(gale_exec_t *e)
{
    uint64_t now = gale_now_ns();
    int i, rc;

    for (i = 0; i < e->ntasks; i++) {
        gale_ctx_t *t = e->tasks[i];

        if (t->comb_due_ns != 0 && t->comb_due_ns <= now &&
            (rc = gale_task_drain(t)) != 0) {
            if (rc != -ECANCELED)
                report_failed(e, "%s: send failed: %s", t->origin,
                    zmq_strerror(-rc));
            return -1;
        }
    }
    if ((rc = gale_outlet_flush_due(e->outlet, now)) != 0) {
        if (rc == -ECANCELED)
            return -1;
        report_failed(e, "%s: send failed: %s", e->comp->id, zmq_strerror(-rc));
        return -1;
    }
    for (i = 0; i < e->ntasks; i++)
        if (tick(e, e->tasks[i], now) != 0)
            return -1;
    if (event_time(e, now) != 0)
        return -1;
    if (!e->first_reported) {
        /* The attempt's first executed tuple is reported at once: the
         * runtime times recoveries by it (to the tuple, not to the next
         * report period). */
        for (i = 0; i < e->ntasks; i++)
            if (e->tasks[i]->stats.executed > 0) {
                e->first_reported = true;
                e->next_report_ns = now;
                break;
            }
    }
    if (now >= e->next_report_ns) {
        /* Without checkpoints nothing takes the changed keys, and only
         * unchanged ones can be spilled: forget them periodically. */
        if (!e->cfg.checkpoints)
            for (i = 0; i < e->ntasks; i++)
                gale_kvstore_take_dirty(e->tasks[i]->state, drop_changes, NULL);
        report_stats(e);
        e->next_report_ns = now + (uint64_t)e->cfg.report_ms * 1000000u;
    }
    return 0;
}

/* The executor has nothing to do (its spouts are idle, or no input is
 * waiting): sends its partial batches now instead of at their flush
 * interval, so that a tuple waits for a batch to fill only while more
 * tuples are coming (busy: full batches; idle: low latency). Combiners
 * keep their interval: combining is asked for per stream, to trade
 * latency for fewer tuples. 0 or -1. */
static int
flush_idle(gale_exec_t *e)
{
    int rc;

    if ((rc = gale_outlet_flush_due(e->outlet, UINT64_MAX)) != 0) {
        if (rc != -ECANCELED)
            report_failed(e, "%s: send failed: %s", e->comp->id,
                zmq_strerror(-rc));
        return -1;
    }
    return 0;
}

/* Lowers *best (ns from now) to the time until due, a clock reading;
 * 0 means nothing is due. */
static void
sooner(int64_t *best, uint64_t due, uint64_t now)
{
    int64_t d;

    if (due == 0)
        return;
    d = due > now ? (int64_t)(due - now) : 0;
    if (d < *best)
        *best = d;
}

/* Milliseconds until the next timed work (flush, tick, report). */
static long
next_timeout_ms(gale_exec_t *e)
{
    uint64_t now = gale_now_ns();
    int64_t d = gale_outlet_next_due(e->outlet, now), best;
    int i;

    best = e->next_report_ns > now ? (int64_t)(e->next_report_ns - now) : 0;
    if (d >= 0 && d < best)
        best = d;
    for (i = 0; i < e->ntasks; i++) {
        const gale_ctx_t *t = e->tasks[i];

        sooner(&best, t->comb_due_ns, now);
        if (t->done)
            continue;
        sooner(&best, t->next_tick_ns, now);
        if (t->wm_idx != NULL)     /* 0: its first one is due now */
            sooner(&best, t->wm_next_ns ? t->wm_next_ns : now, now);
        if (t->clock_wm_ns != 0)
            sooner(&best, t->clock_wm_next_ns, now);
    }
    return (long)((best + 999999) / 1000000);
}

/* The spout loop: next() round-robin over the tasks until all are done. */
static int
run_spouts(gale_exec_t *e)
{
    zmq_pollitem_t item = { e->ctl, 0, ZMQ_POLLIN, 0 };
    unsigned iter = 0;
    uint64_t emitted;
    int i, rc, live, idle;

    for (;;) {
        live = idle = 0;
        if (e->inactive != e->inactive_seen && !e->stopping) {
            /* Storm's deactivate/activate: the spouts are told once. */
            for (i = 0; i < e->ntasks; i++) {
                gale_ctx_t *t = e->tasks[i];

                if (t->done || t->def->kind != GALE_SPOUT)
                    continue;
                if (e->inactive && t->def->spout->deactivate)
                    t->def->spout->deactivate(t, t->self);
                else if (!e->inactive && t->def->spout->activate)
                    t->def->spout->activate(t, t->self);
            }
            e->inactive_seen = e->inactive;
        }
        for (i = 0; i < e->ntasks; i++) {
            gale_ctx_t *t = e->tasks[i];

            /* Chain members (bolts) run inside the spouts' emits. */
            if (t->done || t->def->kind != GALE_SPOUT)
                continue;
            if ((e->inactive && !e->stopping) || (e->max_pending > 0 &&
                t->stats.emitted - e->trt[i].done_emitted >= e->max_pending &&
                !e->stopping)) {
                /* Deactivated, or topology.max.spout.pending tuples not
                 * yet covered by a completed checkpoint: wait. */
                live++;
                idle++;
                continue;
            }
            if (e->stopping) {
                if (t->def->spout->deactivate && !e->inactive_seen)
                    t->def->spout->deactivate(t, t->self);
                t->done = true;
                continue;
            }
            live++;
            emitted = t->stats.emitted;
            rc = t->def->spout->next(t, t->self);
            /* The interval's first emit (complete latency): a compare
             * per next(), a clock read per checkpoint interval. */
            if (t->stats.emitted != emitted && e->trt[i].first_emit_ns == 0)
                e->trt[i].first_emit_ns = gale_now_ns();
            if (e->aborting || chain_failed(e))
                return -1;
            if (rc == GALE_DONE) {
                t->done = true;
            } else if (rc == GALE_IDLE) {
                idle++;
            } else if (rc < 0) {
                report_failed(e, "%s: next failed: %s", t->origin, strerror(-rc));
                return -1;
            }
        }
        if (live == 0)
            break;
        if (idle == live) {
            /* Nothing to emit: send what is batched, then wait a little,
             * for control or timed work. */
            long to;

            if (flush_idle(e) != 0)
                return -1;
            to = next_timeout_ms(e);

            if (zmq_poll(&item, 1, to < 1 ? 1 : to > 10 ? 10 : to) > 0 &&
                read_control(e))
                return -1;
        } else if ((++iter & 63) == 0 && read_control(e)) {
            return -1;
        }
        if (chain_failed(e) || handle_pending(e) != 0 || housekeeping(e) != 0)
            return -1;
    }
    return 0;
}

/* Reports a malformed DATA frame on input idx, with what the full parser
 * says is wrong in it (the hot path only knows that something is). */
static void
report_bad_frame(gale_exec_t *e, int idx, const void *data, size_t len)
{
    gale_frame_hdr_t h;
    char *cause = NULL;

    if (gale_frame_parse(data, len, &h, &cause) == 0)
        cause = xstrdup("malformed record");
    report_failed(e, "%s: channel %d: %s", e->comp->id,
        gale_inlet_channel_id(e->inlet, idx), cause);
    free(cause);
}

/* Executes the tuples of one DATA frame from input idx, validating each
 * record as it decodes it (a malformed one fails the channel there). 0
 * or -1. */
static int
execute_frame(gale_exec_t *e, int idx, const void *data, size_t len,
    const gale_frame_hdr_t *h)
{
    const in_map_t *m = &e->in_map[idx];
    gale_ctx_t *t = e->tasks[m->task];
    gale_batch_reader_t r;
    gale_record_t rec;
    struct gale_tuple view;
    uint64_t t0 = gale_now_ns(), n = 0, w;
    int nf, rc;

    view.component = m->producer->id;
    view.source_task = m->from_task;
    gale_batch_reader_init(&r, data, len, h);
    while ((rc = gale_batch_next(&r, &rec)) == 1) {
        if (rec.stream >= m->producer->nstreams) {
            report_failed(e, "%s: frame from task %d names stream %u, which "
                "%s does not declare", t->origin, m->from_task, rec.stream,
                m->producer->id);
            return -1;
        }
        while ((nf = gale_record_fields(&rec, e->fields, e->fields_cap)) == -ENOSPC) {
            e->fields_cap = e->fields_cap ? e->fields_cap * 2 : 16;
            e->fields = xreallocarray(e->fields, e->fields_cap, sizeof *e->fields);
        }
        if (nf < 0)
            break;
        view.vals = e->fields;
        view.n = (size_t)nf;
        view.decl = &m->producer->streams[rec.stream];
        view.stream = view.decl->id;
        gale_kvstore_set_keygroup(t->state, rec.keygroup >= t->kg_first &&
            rec.keygroup <= t->kg_last ? rec.keygroup : -1);
        if (rec.weight == 1 || t->weights) {
            view.weight = rec.weight;
            rc = t->def->bolt->execute(t, t->self, &view);
            n += rec.weight;
        } else {
            /* A combined tuple, for a bolt that takes no weights: the
             * equal tuples it stands for, one after the other. */
            view.weight = 1;
            for (w = 0, rc = 0; w < rec.weight && rc == 0; w++, n++)
                rc = t->def->bolt->execute(t, t->self, &view);
        }
        if (rc != 0 || e->chain_error != NULL) {
            if (e->aborting || chain_failed(e))
                return -1;
            report_failed(e, "%s: execute failed on a tuple from %s[%d] "
                "stream %s: %s", t->origin, m->producer->id, m->from_task,
                view.stream, strerror(rc < 0 ? -rc : rc));
            return -1;
        }
    }
    t0 = gale_now_ns() - t0;
    t->stats.executed += n;
    t->stats.exec_ns += t0;
    if (n > 0)
        gale_hist_record_n(&t->stats.exec_lat, t0 / n, n);
    if (rc != 0) {
        report_bad_frame(e, idx, data, len);
        return -1;
    }
    return 0;
}

/* Task t's inputs have all ended: finish() it. 0 or -1. */
static int
finish_task(gale_exec_t *e, gale_ctx_t *t)
{
    int rc;

    gale_kvstore_set_keygroup(t->state, -1);
    if (t->def->bolt->finish != NULL && (rc = t->def->bolt->finish(t, t->self)) != 0) {
        if (!e->aborting && !chain_failed(e))
            report_failed(e, "%s: finish failed: %s", t->origin,
                strerror(rc < 0 ? -rc : rc));
        return -1;
    }
    t->done = true;
    return 0;
}

/* The bolt loop: read frames from open channels until every task's inputs
 * have ended. */
static int
run_bolts(gale_exec_t *e)
{
    gale_frame_hdr_t h;
    zmq_msg_t msg;
    char *cause = NULL;
    int i, idx, rc, live;
    bool batched;

    for (;;) {
        live = 0;
        for (i = 0; i < e->ntasks; i++) {
            gale_ctx_t *t = e->tasks[i];

            if (e->trt[i].fused_from >= 0)
                continue;           /* a chain member: ends in send_end */
            if (!t->done && t->inputs_open == 0) {
                if (finish_task(e, t) != 0)
                    return -1;
                /* A checkpoint it heard of but got no barrier for (its
                 * inputs ended first): take it now. */
                if (e->triggered > e->trt[i].last_snap &&
                    e->triggered > e->declined &&
                    (snapshot_task(e, i, e->triggered, 0) != 0 ||
                    forward_barrier(e, i, e->triggered) != 0))
                    return -1;
            }
            live += !t->done;
        }
        if (live == 0)
            return 0;
        /* With partial batches out, look without waiting first: if no
         * input is there, send them (flush_idle) before blocking. */
        batched = gale_outlet_next_due(e->outlet, 0) >= 0;
        idx = gale_inlet_poll(e->inlet, e->ctl, batched ? 0 : next_timeout_ms(e));
        if (idx == -EAGAIN && batched) {
            if (flush_idle(e) != 0)
                return -1;
            continue;
        }
        if (idx == GALE_INLET_EXTRA) {
            if (read_control(e))
                return -1;
        } else if (idx >= 0) {
            zmq_msg_init(&msg);
            rc = gale_inlet_recv(e->inlet, idx, &msg, &h, &cause);
            if (rc < 0 && rc != -EAGAIN) {
                report_failed(e, "%s: channel %d: %s", e->comp->id,
                    gale_inlet_channel_id(e->inlet, idx),
                    cause ? cause : zmq_strerror(-rc));
                free(cause);
                zmq_msg_close(&msg);
                return -1;
            }
            if (rc == 0 && h.kind == GALE_FRAME_DATA) {
                gale_ctx_t *t = e->tasks[e->in_map[idx].task];

                /* Data from an idle input: it counts again. */
                gale_wmark_active(t->wm, (size_t)e->in_map[idx].wm_ch);
                t->wm_idle_sent = false;
                rc = execute_frame(e, idx, zmq_msg_data(&msg),
                    zmq_msg_size(&msg), &h);
            } else if (rc == 0 && h.kind == GALE_FRAME_END) {
                int ti = e->in_map[idx].task;

                gale_inlet_set_ended(e->inlet, idx);
                e->tasks[ti]->inputs_open--;
                if (h.arg == GALE_END_STOPPED)
                    e->stopped_in = true;
                rc = (h.arg == GALE_END_STOPPED ? gale_wmark_stop :
                    gale_wmark_end)(e->tasks[ti]->wm,
                    (size_t)e->in_map[idx].wm_ch) ?
                    deliver_watermark(e, ti) : 0;
                if (rc == 0)
                    rc = try_align(e, ti);
            } else if (rc == 0 && h.kind == GALE_FRAME_BARRIER) {
                rc = on_barrier(e, idx, h.arg);
            } else if (rc == 0 && h.kind == GALE_FRAME_WATERMARK) {
                rc = on_watermark_frame(e, idx, h.arg);
            }
            zmq_msg_close(&msg);
            if (rc < 0)
                return -1;
        } else if (idx != -EAGAIN) {
            report_failed(e, "%s: poll failed: %s", e->comp->id, zmq_strerror(-idx));
            return -1;
        }
        if (chain_failed(e) || handle_pending(e) != 0 || housekeeping(e) != 0)
            return -1;
    }
}

/* The thread: set up, run, send END, report DONE, wait for EXIT. */
static void *
executor_main(void *arg)
{
    gale_exec_t *e = arg;
    gale_report_hdr_t h = { .type = GALE_REPORT_DONE, .epoch = e->cfg.epoch };
    char name[16];
    int rc = -1;

    /* "component#exec", cut to the 15 bytes Linux keeps: shown by top -H,
     * ps -L and perf. */
    snprintf(name, sizeof name, "%.10s#%d", e->comp->id, e->cfg.exec);
    pthread_setname_np(pthread_self(), name);

    if (setup(e) == 0 && open_tasks(e) == 0) {
        e->next_report_ns = gale_now_ns() + (uint64_t)e->cfg.report_ms * 1000000u;
        /* The first report says "ready": its control socket is connected,
         * so the runtime's control messages reach it from now on. */
        report_stats(e);
        if (e->cfg.publish_only) {
            /* The restored checkpoint was the final one: only publish. */
            e->complete = e->cfg.restore->id;
            rc = handle_pending(e);
        } else {
            rc = e->comp->kind == GALE_SPOUT ? run_spouts(e) : run_bolts(e);
            if (rc == 0 && (rc = send_end(e)) != 0 && rc != -ECANCELED)
                report_failed(e, "%s: sending END failed: %s", e->comp->id,
                    zmq_strerror(-rc));
        }
    }
    if (e->report != NULL) {
        if (e->set_up)
            report_stats(e);
        if (rc == 0) {
            h.exec = e->cfg.exec;
            send_report_hdr(e->report, &h, 0);
        }
    }
    /* Sockets and tasks stay until EXIT: queued frames are delivered, and
     * finished tasks still take the final checkpoint and publish on its
     * completion. */
    while (!e->aborting && e->ctl != NULL) {
        zmq_pollitem_t item = { e->ctl, 0, ZMQ_POLLIN, 0 };

        /* Reports go on while it waits: they are the worker's heartbeat,
         * and a worker whose executors have all finished must not look
         * dead while the rest of the topology drains. */
        if (zmq_poll(&item, 1, e->cfg.report_ms) < 0 && errno != EINTR)
            break;
        on_wait(e);
        if (read_control(e))
            break;
        if (rc == 0 && handle_pending(e) != 0)
            rc = -1;
    }
    close_tasks(e);
    atomic_store(&e->finished, true);
    return NULL;
}

int
gale_executor_start(gale_exec_t *e)
{
    int rc = pthread_create(&e->thread, NULL, executor_main, e);

    if (rc != 0)
        return -rc;
    e->started = true;
    return 0;
}

bool
gale_executor_finished(gale_exec_t *e)
{
    return !e->started || atomic_load(&e->finished);
}

void
gale_executor_destroy(gale_exec_t **ep)
{
    gale_exec_t *e;
    int i;

    if (ep == NULL || (e = *ep) == NULL)
        return;
    if (e->started)
        pthread_join(e->thread, NULL);
    for (i = 0; i < e->ntasks; i++) {
        gale_task_destroy(&e->tasks[i]);
        if (e->trt != NULL)
            free(e->trt[i].outs);
    }
    free(e->tasks);
    free(e->trt);
    gale_outlet_destroy(&e->outlet);
    gale_inlet_destroy(&e->inlet);
    if (e->ctl != NULL)
        zmq_close(e->ctl);
    if (e->report != NULL)
        zmq_close(e->report);
    if (e->writer != NULL)
        zmq_close(e->writer);
    free(e->in_map);
    free(e->chan_out);
    free(e->fields);
    free(e->chain_error);
    free(e->prefix);
    free(e->ctl_prefix);
    free(e);
    *ep = NULL;
}
