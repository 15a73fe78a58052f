/* worker.c - one worker process. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <zmq.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "engine/net/endpoint.h"
#include "engine/transport/bridge.h"
#include "engine/transport/chanstat.h"
#include "engine/checkpoint/ckpt.h"
#include "engine/checkpoint/ckptwriter.h"
#include "engine/net/netsec.h"
#include "engine/exec/executor.h"
#include "engine/transport/outlet.h"
#include "engine/run/worker.h"
#include "engine/transport/zctx.h"

/* The plan's channels that cross between this worker and another:
 * outgoing (local sender) and incoming (local receiver), with their peers. */
static void
remote_channels(const gale_plan_t *p, int w, int **out, int **out_peer,
    size_t *nout, int **in, int **in_peer, size_t *nin)
{
    size_t k;

    *out = xcalloc(p->nchans + 1, sizeof **out);
    *out_peer = xcalloc(p->nchans + 1, sizeof **out_peer);
    *in = xcalloc(p->nchans + 1, sizeof **in);
    *in_peer = xcalloc(p->nchans + 1, sizeof **in_peer);
    *nout = *nin = 0;
    for (k = 0; k < p->nchans; k++) {
        int fw = p->tasks[p->chans[k].from_task - 1].worker;
        int tw = p->tasks[p->chans[k].to_task - 1].worker;

        if (fw == tw)
            continue;
        if (fw == w) {
            (*out)[*nout] = p->chans[k].id;
            (*out_peer)[(*nout)++] = tw;
        } else if (tw == w) {
            (*in)[*nin] = p->chans[k].id;
            (*in_peer)[(*nin)++] = fw;
        }
    }
}

/* Waits until every executor of this worker has finished, while checking
 * the coordinator's lease (a message on <ctl prefix>lease at least every
 * gale.worker.timeout.ms). 0 when all finished, -1 when the lease was
 * lost (logged). */
static int
hold_lease(void *zctx, const gale_worker_opts_t *o, const gale_plan_t *plan,
    gale_exec_t **execs)
{
    const gale_value_t *v = gale_value_map_get(plan->topo->conf,
        "gale.worker.timeout.ms");
    uint64_t lease_ns = (uint64_t)(v != NULL && v->type == GALE_INT &&
        v->u.i > 0 ? v->u.i : 4000) * 1000000u;
    uint64_t last = gale_now_ns();
    void *sub = zmq_socket(zctx, ZMQ_SUB);
    char ep[160], buf[64];
    int n;
    size_t i;
    int linger = 0, rc = 0;
    bool left;

    zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
    if (gale_endpoint(ep, sizeof ep, o->ctl_prefix, "lease") == 0)
        gale_netsec_connect(sub, ep, GALE_NETSEC_CONTROL);
    for (;;) {
        zmq_pollitem_t item = { sub, 0, ZMQ_POLLIN, 0 };

        left = false;
        for (i = 0; i < plan->nexecs; i++)
            if (execs[i] != NULL && !gale_executor_finished(execs[i]))
                left = true;
        if (!left)
            break;
        if (zmq_poll(&item, 1, 100) > 0)
            while ((n = zmq_recv(sub, buf, sizeof buf, ZMQ_DONTWAIT)) >= 0)
                /* Only this attempt's lease counts: a master restarted on
                 * the same ports is not the one that started us. */
                if ((size_t)n == strlen(o->run_id) &&
                    memcmp(buf, o->run_id, (size_t)n) == 0)
                    last = gale_now_ns();
        if (gale_now_ns() > last + lease_ns) {
            log_error("worker %d: lost the coordinator's lease (nothing from "
                "it for %llu ms): stopping", o->worker,
                (unsigned long long)(lease_ns / 1000000u));
            rc = -1;
            break;
        }
    }
    zmq_close(sub);
    return rc;
}

int
gale_worker_run(const gale_plan_t *plan, const gale_worker_opts_t *o)
{
    const gale_topology_t *t = plan->topo;
    gale_executor_cfg_t ec;
    gale_bridge_cfg_t bc;
    gale_bridge_t *bridge = NULL;
    gale_chanstat_t *chanstat = NULL;
    gale_ckptwriter_t *writer = NULL;
    gale_ckpt_meta_t *meta = NULL;
    gale_ckpt_t *store = NULL;
    gale_exec_t **execs;
    int *out = NULL, *out_peer = NULL, *in = NULL, *in_peer = NULL;
    size_t nout, nin, i;
    char prefix[96], chprefix[112], *dir = NULL, *why = NULL;
    const char **hosts = NULL, **keys = NULL;
    void *zctx;
    int status = 1;

    /* Die with the coordinator, even if it is killed with SIGKILL. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1)
        return 1;
    snprintf(prefix, sizeof prefix, "inproc://gale-w%d/", o->worker);
    snprintf(chprefix, sizeof chprefix, "%sch/", prefix);
    zctx = gale_zctx_new();
    execs = xcalloc(plan->nexecs + 1, sizeof *execs);
    {
        char where[48];

        snprintf(where, sizeof where, "worker %d", o->worker);
        if (gale_zctx_check(zctx, gale_plan_sockets(plan, o->worker), where,
            &why) != 0)
            goto fail;
    }
    if (gale_netsec_start(zctx, &why) != 0)
        goto fail;
    if (t->guarantee != GALE_GUARANTEE_NONE) {
        if (t->checkpoint_dir != NULL)
            dir = xstrdup(t->checkpoint_dir);
        else
            xasprintf(&dir, "state/%s", t->name);
        if ((writer = gale_ckptwriter_start(zctx, prefix, o->ctl_prefix, dir,
            &why)) == NULL)
            goto fail;
        if (o->restore_id != 0 &&
            ((store = gale_ckpt_open(dir, &why)) == NULL ||
            gale_ckpt_read_meta(store, o->restore_id, &meta, &why) != 0))
            goto fail;
    }
    remote_channels(plan, o->worker, &out, &out_peer, &nout, &in, &in_peer, &nin);
    memset(&bc, 0, sizeof bc);
    bc.zctx = zctx;
    bc.inproc_prefix = chprefix;
    bc.run_id = o->run_id;
    bc.epoch = o->epoch;
    bc.worker = o->worker;
    {
        const gale_value_t *tv = gale_value_map_get(t->conf, "gale.transport");
        const gale_value_t *pv = gale_value_map_get(t->conf,
            "gale.tcp.base.port");

        /* tcp between workers (the same code as between hosts): each
         * receiving worker listens on base + from * workers + to. */
        if (tv != NULL && tv->type == GALE_STRING &&
            strcmp(tv->u.s.ptr, "tcp") == 0) {
            bc.endpoint_fmt = "tcp://127.0.0.1:%p";
            bc.base_port = pv != NULL && pv->type == GALE_INT ?
                (int)pv->u.i : 7100;
        }
    }
    if (o->cluster != NULL) {
        /* Between hosts: each worker listens on its host's address. */
        hosts = xcalloc((size_t)plan->nworkers + 1, sizeof *hosts);
        keys = xcalloc((size_t)plan->nworkers + 1, sizeof *keys);
        for (i = 0; i < (size_t)plan->nworkers; i++) {
            const gale_cluster_member_t *m = gale_cluster_sup(o->cluster,
                o->hosts[i]);

            if (m == NULL) {
                xasprintf(&why, "host %s of worker %zu is not in %s",
                    o->hosts[i], i, o->cluster->path);
                goto fail;
            }
            hosts[i] = m->host;
            keys[i] = m->key;
        }
        bc.endpoint_fmt = "tcp://%h:%p";
        bc.base_port = o->data_base;
        bc.hosts = hosts;
        bc.host_keys = keys;
    }
    bc.nworkers = plan->nworkers;
    bc.queue_depth = t->queue_depth;
    bc.out_chans = out;
    bc.out_peer = out_peer;
    bc.nout = nout;
    bc.in_chans = in;
    bc.in_peer = in_peer;
    bc.nin = nin;
    chanstat = gale_chanstat_new(plan->nchans);
    bc.chanstat = chanstat;
    if ((bridge = gale_bridge_start(&bc, &why)) == NULL)
        goto fail;
    memset(&ec, 0, sizeof ec);
    ec.plan = plan;
    ec.zctx = zctx;
    ec.prefix = prefix;
    ec.ctl_prefix = o->ctl_prefix;
    ec.epoch = o->epoch;
    ec.report_ms = 500;
    ec.checkpoints = writer != NULL;
    ec.aligned = t->guarantee == GALE_GUARANTEE_EXACTLY_ONCE;
    ec.ckpt_dir = dir;
    ec.restore = meta;
    ec.publish_only = o->publish_only;
    ec.chanstat = chanstat;
    for (i = 0; i < plan->nexecs; i++) {
        if (plan->execs[i].worker != o->worker)
            continue;
        ec.exec = (int)i;
        execs[i] = gale_executor_new(&ec);
        if (gale_executor_start(execs[i]) != 0) {
            why = xstrdup("cannot start an executor thread");
            goto fail;
        }
    }
    /* The executors leave when the coordinator says EXIT. Meanwhile the
     * coordinator's lease must keep arriving: a coordinator that stopped
     * (SIGSTOP, a hung host) without dying leaves no one to recover, so
     * its workers stop themselves. */
    if (hold_lease(zctx, o, plan, execs) != 0) {
        why = NULL;
        _exit(3);
    }
    for (i = 0; i < plan->nexecs; i++)
        gale_executor_destroy(&execs[i]);
    status = 0;
fail:
    if (why != NULL)
        log_error("worker %d: %s", o->worker, why);
    for (i = 0; i < plan->nexecs; i++)
        gale_executor_destroy(&execs[i]);
    if (bridge != NULL)
        gale_bridge_stop(&bridge, NULL);
    gale_ckptwriter_stop(&writer);
    gale_chanstat_destroy(&chanstat);
    gale_ckpt_meta_destroy(&meta);
    gale_ckpt_close(&store);
    gale_netsec_stop(zctx);
    zmq_ctx_term(zctx);
    free(hosts);
    free(keys);
    free(execs);
    free(out);
    free(out_peer);
    free(in);
    free(in_peer);
    free(dir);
    free(why);
    return status;
}
