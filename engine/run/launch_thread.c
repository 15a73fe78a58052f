/* launch_thread.c - the thread launcher: local mode, every executor a
 * thread of this process, snapshots written by this process's checkpoint
 * writer. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "engine/checkpoint/ckptwriter.h"
#include "engine/exec/executor.h"
#include "engine/run/launcher.h"
#include "engine/transport/chanstat.h"
#include "engine/wire/control.h"

typedef struct launch_thread {
    gale_launcher_t base;           /* first: the interface */
    void *zctx;                     /* borrowed */
    const gale_plan_t *plan;        /* borrowed */
    gale_exec_t **execs;            /* per executor, NULL when not running */
    gale_ckptwriter_t *writer;      /* the attempt's, or NULL */
    gale_chanstat_t *chanstat;      /* the attempt's channel counts */
    void *const *ctl;               /* the attempt's control sockets,
                                       borrowed from the master */
} launch_thread_t;

static void
thread_prefix(gale_launcher_t *l, int run, uint32_t epoch, char *buf,
    size_t len)
{
    (void)l;
    snprintf(buf, len, "inproc://gale-%d-%d-%u/", (int)getpid(), run, epoch);
}

/* Starts the checkpoint writer (with checkpoints) and one thread per
 * executor. -1 when the writer cannot start (logged); an executor that
 * cannot start is fatal. */
static int
thread_start(gale_launcher_t *l, const gale_launch_t *a, bool *host_failure)
{
    launch_thread_t *lt = (launch_thread_t *)l;
    const gale_plan_t *plan = lt->plan;
    gale_executor_cfg_t ec;
    char *why = NULL;
    size_t i;

    (void)host_failure;
    lt->ctl = a->ctl;
    if (a->ckpt_dir != NULL && (lt->writer = gale_ckptwriter_start(lt->zctx,
        a->prefix, a->prefix, a->ckpt_dir, &why)) == NULL) {
        log_error("%s", why);
        free(why);
        return -1;
    }
    memset(&ec, 0, sizeof ec);
    ec.plan = plan;
    ec.zctx = lt->zctx;
    ec.prefix = a->prefix;
    ec.epoch = a->epoch;
    ec.report_ms = a->report_ms;
    ec.checkpoints = a->ckpt_dir != NULL;
    ec.aligned = plan->topo->guarantee == GALE_GUARANTEE_EXACTLY_ONCE;
    ec.ckpt_dir = a->ckpt_dir;
    ec.restore = a->restore;
    ec.publish_only = a->publish_only;
    /* A new table per attempt: its channels start over. */
    lt->chanstat = gale_chanstat_new(plan->nchans);
    ec.chanstat = lt->chanstat;
    ec.one_process = true;
    for (i = 0; i < plan->nexecs; i++) {
        ec.exec = (int)i;
        lt->execs[i] = gale_executor_new(&ec);
        if (gale_executor_start(lt->execs[i]) != 0)
            fatal("starting executor %zu", i);
    }
    return 0;
}

/* Joins every executor thread, then stops the writer (after the
 * snapshots queued before). */
static void
thread_end(gale_launcher_t *l)
{
    launch_thread_t *lt = (launch_thread_t *)l;
    gale_ctl_msg_t m = { .type = GALE_CTL_EXIT };
    uint8_t buf[GALE_CTL_MSG_SIZE];
    size_t i;

    gale_ctl_msg_encode(&m, buf);
    /* An executor that connects its control socket after EXIT went out
     * (the attempt failed while it was still starting) never saw it: EXIT
     * is repeated until every thread is done. */
    for (i = 0; i < lt->plan->nexecs; i++) {
        while (lt->execs[i] != NULL && !gale_executor_finished(lt->execs[i])) {
            zmq_send(lt->ctl[i], buf, sizeof buf, ZMQ_DONTWAIT);
            usleep(1000);
        }
        gale_executor_destroy(&lt->execs[i]);
    }
    gale_ckptwriter_stop(&lt->writer);
    gale_chanstat_destroy(&lt->chanstat);
    lt->ctl = NULL;
}

static void
thread_destroy(gale_launcher_t *l)
{
    launch_thread_t *lt = (launch_thread_t *)l;

    free(lt->execs);
    free(lt);
}

static const gale_launcher_ops_t thread_ops = {
    .prefix = thread_prefix,
    .start = thread_start,
    .end = thread_end,
    .destroy = thread_destroy,
};

gale_launcher_t *
gale_launcher_thread_new(void *zctx, const gale_plan_t *plan)
{
    launch_thread_t *lt = xcalloc(1, sizeof *lt);

    lt->base.ops = &thread_ops;
    lt->base.remote = false;
    lt->zctx = zctx;
    lt->plan = plan;
    lt->execs = xcalloc(plan->nexecs + 1, sizeof *lt->execs);
    return &lt->base;
}
