/* runtime.h - the topology master: runs a planned topology, in this
 * process or over worker processes, here or on a cluster's hosts.
 *
 * The master owns the ZeroMQ context, binds each attempt's control plane
 * (engine/wire/control.h) and has a launcher start its executors
 * (engine/run/launcher.h: threads here, worker processes here, or workers
 * placed on supervisors); it collects their reports (engine/run/
 * progress.h: progress lines, summary), triggers and completes
 * checkpoints (engine/checkpoint/coordinator.h), takes console requests
 * (engine/run/console_server.h: list, kill, savepoint, rebalance), and on
 * a failure rolls back to the last complete checkpoint and starts a new
 * attempt with the next epoch (a cluster master records its epochs:
 * engine/run/epoch.h). SIGINT/SIGTERM stop it gracefully (spouts end
 * their streams, the rest drains); a second signal aborts. Once all are
 * done, every executor is told to exit. One call at a time, on the
 * calling thread; it installs its own SIGINT/SIGTERM handlers while it
 * runs.
 */
#ifndef GALE_RUNTIME_H
#define GALE_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/net/cluster.h"
#include "topology/plan.h"

typedef struct gale_runtime_opts {
    bool progress;          /* redraw a live line per component on stderr */
    FILE *summary;          /* where the final table goes, or NULL */
    int report_ms;          /* executors' report period; 0 = 500 */
    double ttl_secs;        /* > 0: stop gracefully after this long */
    /* With workers > 1 (or a cluster): the command that starts a worker
     * process, as argv (argv[0] the gale binary, then "worker", the
     * topology file and its --properties/-c options), NULL-terminated.
     * NULL: everything runs in this process (engine/run/launch_thread.c). */
    char *const *worker_argv;
    /* Where to start from instead of the newest checkpoint: a savepoint
     * directory, or a checkpoint id of the topology's own store (NULL and
     * 0: the newest checkpoint, if any). Either is imported into the
     * topology's store (engine/checkpoint/savepoint.h), rescaled to the plan. */
    const char *restore_from;
    uint64_t restore_id;
    bool allow_missing;     /* --allow-non-restored-state */
    /* A cluster master (`gale run --cluster`; needs worker_argv): the
     * workers run on the cluster's supervisors (engine/run/placement.h,
     * engine/run/launch_supervisor.c), the control
     * plane and the data between workers go over tcp, through
     * engine/net/netsec.h (gale_netsec_init must have run), on the
     * ports of slot (cluster->ports_first + slot * ports_per_topology).
     * NULL: local. */
    const gale_cluster_t *cluster;
    int slot;
    struct gale_runtime_result *result; /* filled on REBALANCE, or NULL */
} gale_runtime_opts_t;

/* What a run that ends for `gale rebalance` hands back (owned by the
 * caller once filled): the savepoint to restart from and the new
 * parallelism, "COMPONENT=N ..." and "workers=N". */
typedef struct gale_runtime_result {
    char *savepoint;
    char *spec;
} gale_runtime_result_t;

/* Why a run ended, besides finishing or failing. Only REBALANCE is also
 * a result of gale_runtime_run; a run stopped with a savepoint returns 0
 * (its summary says so). */
enum {
    GALE_RUNTIME_SAVEPOINT = 4,     /* stopped with a savepoint: exit 0 */
    GALE_RUNTIME_REBALANCE = 3      /* stopped for a rebalance: restart */
};

/* Runs the plan to completion. Returns 0 when every task finished (or
 * the topology was stopped with a savepoint), 1 when a task failed or the
 * run was aborted (the cause is logged), GALE_RUNTIME_REBALANCE when it
 * stopped for a rebalance (opts->result says how to restart). */
int gale_runtime_run(const gale_plan_t *plan, const gale_runtime_opts_t *opts);

#endif
