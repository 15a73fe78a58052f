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
#include "common/xalloc.h"
#include "engine/runtime.h"
#include "topology/plan.h"
#include "topology/topology.h"

static const gale_cmd_info_t run_info = {
    .name = "run",
    .operands = "FILE",
    .summary = "Run the topology in FILE in this process (local mode).",
    .details =
        "Loads and checks FILE as `gale validate` does, then runs it. With\n"
        "workers = 1 every executor is a thread of this process (local mode,\n"
        "channels over ZeroMQ inproc); with workers = N, this process is the\n"
        "coordinator and starts N worker processes (`gale worker`), with\n"
        "channels between them over ipc. On a terminal, shows a live line\n"
        "per component on stderr.\n"
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

/* The argv that starts a worker process for the same topology: this
 * binary, "worker", the file and its --properties and -c options.
 * Caller frees the array and argv[0]. */
static char **
worker_argv(const gale_opts_t *o)
{
    char **av = xcalloc(6 + 2 * o->noverrides, sizeof *av);
    char exe[4096];
    ssize_t n;
    size_t i, k = 0;

    if ((n = readlink("/proc/self/exe", exe, sizeof exe - 1)) < 0)
        n = 0;
    exe[n] = '\0';
    av[k++] = xstrdup(n > 0 ? exe : "gale");
    av[k++] = "worker";
    if (o->properties != NULL) {
        av[k++] = "--properties";
        av[k++] = (char *)o->properties;
    }
    for (i = 0; i < o->noverrides; i++) {
        av[k++] = "-c";
        av[k++] = (char *)o->overrides[i];
    }
    av[k++] = "--";
    av[k++] = o->args[0];
    av[k] = NULL;
    return av;
}

int
cmd_run(int argc, char **argv)
{
    gale_runtime_opts_t ro = { 0 };
    gale_topology_t *t = NULL;
    gale_plan_t *p = NULL;
    gale_opts_t o;
    char **wargv;
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
    wargv = worker_argv(&o);
    ro.worker_argv = wargv;
    rc = gale_runtime_run(p, &ro);
    free(wargv[0]);
    free(wargv);
    gale_plan_free(&p);
    gale_topology_free(&t);
    gale_opts_clear(&o);
    return rc;
}
