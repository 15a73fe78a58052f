/* runtime.h - local mode: runs a planned topology in this process, one
 * thread per executor, channels over ZeroMQ inproc.
 *
 * The runtime owns the ZeroMQ context, starts the executors, collects
 * their reports (progress, summary), turns SIGINT/SIGTERM into a graceful
 * stop (spouts end their streams, the rest drains) and a second signal
 * into an abort, and tells every executor to exit once all are done.
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
    /* With workers > 1: the command that starts a worker process, as
     * argv (argv[0] the gale binary, then "worker", the topology file and
     * its --properties/-c options), NULL-terminated. NULL: everything runs
     * in this process. */
    char *const *worker_argv;
    /* Where to start from instead of the newest checkpoint: a savepoint
     * directory, or a checkpoint id of the topology's own store (NULL and
     * 0: the newest checkpoint, if any). Either is imported into the
     * topology's store (engine/checkpoint/savepoint.h), rescaled to the plan. */
    const char *restore_from;
    uint64_t restore_id;
    bool allow_missing;     /* --allow-non-restored-state */
    /* A cluster master (`gale run --cluster`): the workers run on the
     * cluster's supervisors (engine/run/placement.h), the control
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

/* gale_runtime_run's results besides 0 (done) and 1 (failed). */
enum {
    GALE_RUNTIME_SAVEPOINT = 4,     /* stopped with a savepoint: exit 0 */
    GALE_RUNTIME_REBALANCE = 3      /* stopped for a rebalance: restart */
};

/* Runs the plan to completion. Returns 0 when every task finished (or
 * the topology was stopped with a savepoint), 1 when a task failed or the
 * run was aborted (the cause is logged), GALE_RUNTIME_REBALANCE when it
 * stopped for a rebalance (opts->result says how to restart). */
int gale_runtime_run(const gale_plan_t *plan, const gale_runtime_opts_t *opts);

/* Per-component totals of the last run, for tests and the summary. */
typedef struct gale_comp_totals {
    unsigned long long emitted;
    unsigned long long transferred;
    unsigned long long executed;
    unsigned long long exec_ns;
    unsigned long long errors;
} gale_comp_totals_t;

#endif
