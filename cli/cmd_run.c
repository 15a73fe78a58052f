/* cmd_run.c - `gale run FILE`: runs a topology in this process (Storm's
 * local mode) until its bounded input is processed, or until SIGINT or
 * SIGTERM stops it (a second signal aborts). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "common/log.h"
#include "engine/runtime.h"
#include "topology/plan.h"
#include "topology/topology.h"

static const gale_cmd_info_t run_info = {
    .name = "run",
    .operands = "FILE",
    .summary = "Run the topology in FILE in this process (local mode).",
    .details =
        "Loads and checks FILE as `gale validate` does, then runs every\n"
        "executor as a thread of this process, with channels over ZeroMQ\n"
        "inproc. On a terminal, shows a live line per component on stderr.\n"
        "A bounded topology (its spouts' input ends) exits 0 once every\n"
        "task has finished; SIGINT or SIGTERM stops it gracefully (spouts\n"
        "end their streams and the rest drains), a second signal aborts.\n"
        "At the end a summary table goes to stderr: per component its\n"
        "tasks, tuples emitted, transferred and executed, and the mean\n"
        "execute latency. Exits 1 if a task failed, 2 on bad input.\n",
    .flags = GALE_OPT_TOPOLOGY | GALE_OPT_VERBOSE,
    .min_args = 1,
    .max_args = 1,
};

int
cmd_run(int argc, char **argv)
{
    gale_runtime_opts_t ro = { 0 };
    gale_topology_t *t = NULL;
    gale_plan_t *p = NULL;
    gale_opts_t o;
    int rc;

    if ((rc = gale_opts_parse(&o, &run_info, argc, argv)) != 0) {
        gale_opts_clear(&o);
        return gale_opts_status(rc);
    }
    if ((rc = gale_opts_load(&o, &t, &p)) != 0) {
        gale_opts_clear(&o);
        return rc;
    }
    ro.progress = isatty(STDERR_FILENO);
    ro.summary = stderr;
    if (o.verbose > 0)
        log_set_level(LOG_DEBUG);
    rc = gale_runtime_run(p, &ro);
    gale_plan_free(&p);
    gale_topology_free(&t);
    gale_opts_clear(&o);
    return rc;
}
