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
#include <stdio.h>

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
} gale_runtime_opts_t;

/* Runs the plan to completion. Returns 0 when every task finished, 1 when
 * a task failed or the run was aborted (the cause is logged). */
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
