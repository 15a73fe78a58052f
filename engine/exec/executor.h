/* executor.h - one executor: a thread running one or more tasks of one
 * component (Storm's executor). It owns its tasks, its input channels
 * (inlet) and its output channels (outlet); the topology master talks to
 * it only by messages (engine/wire/control.h). The same executor code
 * runs in local mode (engine/run/launch_thread.c) and inside worker
 * processes (engine/run/worker.c), here or on a cluster's hosts.
 */
#ifndef GALE_EXECUTOR_H
#define GALE_EXECUTOR_H

#include <pthread.h>
#include <stdint.h>

#include "engine/checkpoint/ckpt.h"
#include "topology/plan.h"

/* The running executor; plan.h's gale_executor_t is its placement.
 *
 * Checkpoints (docs/checkpoints.md, "Protocol"): a spout executor takes
 * checkpoint n when the master triggers it (between next() calls): each
 * task snapshots, then BARRIER(n) goes out on every output channel. A bolt
 * task that receives BARRIER(n) on a channel blocks that channel (aligned
 * mode) until every input channel has delivered BARRIER(n) or END; then it
 * snapshots, forwards BARRIER(n) on its output channels and unblocks. A
 * finished task snapshots as soon as it hears of n. Snapshots are taken
 * synchronously (the changed keys move out of the task's store) and
 * written by the checkpoint writer, which acknowledges them to the
 * master. COMPLETE(n) calls checkpoint_complete(n) on every task. */
typedef struct gale_exec gale_exec_t;

typedef struct gale_executor_cfg {
    const gale_plan_t *plan;        /* borrowed; outlives the executor */
    int exec;                       /* executor index in the plan */
    void *zctx;                     /* ZeroMQ context */
    const char *prefix;             /* this process's endpoints: channels and
                                       the checkpoint writer ("inproc://...") */
    const char *ctl_prefix;         /* the master's: ctl/<exec>, report
                                       (NULL: prefix, in local mode; ipc://
                                       or tcp:// from a worker process) */
    uint32_t epoch;                 /* attempt epoch */
    int report_ms;                  /* period of STATS reports */
    bool checkpoints;               /* guarantee is not "none" */
    bool aligned;                   /* exactly_once: block channels at barriers */
    const char *ckpt_dir;           /* checkpoint directory, when checkpoints */
    const gale_ckpt_meta_t *restore;/* restore tasks from it, or NULL; borrowed */
    bool publish_only;              /* restore, notify complete(restore id), done */
    /* The process's channel counts (engine/transport/chanstat.h;
     * borrowed, outliving the executor), or NULL: not reported. */
    struct gale_chanstat *chanstat;
    bool one_process;               /* every executor runs in this process
                                       (local mode); else the plan's
                                       workers tell which channels are */
} gale_executor_cfg_t;

/* Creates the executor (no thread yet). */
gale_exec_t *gale_executor_new(const gale_executor_cfg_t *cfg);
/* Starts its thread. 0 or -errno. */
int gale_executor_start(gale_exec_t *e);
/* Whether the executor's thread has finished (or never started): then
 * gale_executor_destroy does not wait. */
bool gale_executor_finished(gale_exec_t *e);
/* Joins the thread (after it was told to exit), frees and sets *ep to
 * NULL. Accepts NULL. */
void gale_executor_destroy(gale_exec_t **ep);

#endif
