/* worker.h - one worker process: runs the executors the plan assigns to
 * worker w, with channels between its own executors over inproc, a bridge
 * for the channels that cross to other workers, and its own checkpoint
 * writer. Its executors talk to the coordinator (the `gale run` process)
 * over ipc on ctl_prefix, exactly as they do in local mode over inproc.
 * The process dies with its parent (PR_SET_PDEATHSIG).
 */
#ifndef GALE_WORKER_H
#define GALE_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/net/cluster.h"
#include "topology/plan.h"

typedef struct gale_worker_opts {
    int worker;                 /* this worker's index */
    const char *ctl_prefix;     /* coordinator endpoints, "ipc://@.../" */
    const char *run_id;         /* unique per run and attempt (bridge names) */
    uint32_t epoch;             /* attempt epoch */
    uint64_t restore_id;        /* checkpoint to restore, 0 = none */
    bool publish_only;          /* restore, publish, done */
    /* On a cluster (started by a supervisor): the cluster (netsec is
     * initialised), per worker the name of the supervisor it runs on
     * (nworkers entries), and the first data port (bridge %p). NULL:
     * on this host. */
    const gale_cluster_t *cluster;
    char *const *hosts;
    int data_base;
} gale_worker_opts_t;

/* Runs until the coordinator tells the executors to exit. Returns the
 * process exit status (0, or 1 after logging the cause). */
int gale_worker_run(const gale_plan_t *plan, const gale_worker_opts_t *o);

#endif
