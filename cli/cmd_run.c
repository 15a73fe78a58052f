/* cmd_run.c - `gale run FILE`: runs a topology in this process (Storm's
 * local mode) until its bounded input is processed, or until SIGINT or
 * SIGTERM stops it (a second signal aborts). */
#include "config.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "engine/net/netsec.h"
#include "engine/run/runtime.h"
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
        "execute latency. Exits 1 if a task failed, 2 on bad input.\n"
        "While it runs, `gale list`, `gale kill`, `gale activate`,\n"
        "`gale deactivate`, `gale savepoint` and `gale rebalance` reach it\n"
        "by its name.\n",
    .flags = GALE_OPT_TOPOLOGY | GALE_OPT_VERBOSE | GALE_OPT_RUN,
    .min_args = 1,
    .max_args = 1,
};

/* The argv that starts a worker process for the same topology: this
 * binary, "worker", the file and its --properties and -c options.
 * Caller frees the array and argv[0]. */
static char **
worker_argv(const gale_opts_t *o)
{
    char **av = xcalloc(6 + 2 * o->noverrides + 2 * o->nexecs, sizeof *av);
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
    for (i = 0; i < o->nexecs; i++) {
        av[k++] = "-e";
        av[k++] = (char *)o->execs[i];
    }
    av[k++] = "--";
    av[k++] = o->args[0];
    av[k] = NULL;
    return av;
}

/* Adds a rebalance's new parallelism (spec: "COMPONENT=N ... workers=N")
 * to o's -e and -c options. The strings are kept in *keep (freed by the
 * caller), since o borrows them. */
static void
add_rebalance(gale_opts_t *o, const char *spec, char ***keep, size_t *nkeep)
{
    char *copy = xstrdup(spec), *tok, *save = NULL, *s;

    for (tok = strtok_r(copy, " ", &save); tok != NULL;
        tok = strtok_r(NULL, " ", &save)) {
        if (strncmp(tok, "workers=", 8) == 0) {
            xasprintf(&s, "topology.workers=%s", tok + 8);
            o->overrides = xreallocarray(o->overrides, o->noverrides + 2,
                sizeof *o->overrides);
            o->overrides[o->noverrides++] = s;
            o->overrides[o->noverrides] = NULL;
        } else {
            s = xstrdup(tok);
            o->execs = xreallocarray(o->execs, o->nexecs + 2, sizeof *o->execs);
            o->execs[o->nexecs++] = s;
            o->execs[o->nexecs] = NULL;
        }
        *keep = xreallocarray(*keep, *nkeep + 1, sizeof **keep);
        (*keep)[(*nkeep)++] = s;
    }
    free(copy);
}

static const gale_cmd_info_t local_info = {
    .name = "local",
    .operands = "FILE",
    .summary = "Run the topology in FILE locally for a while (Storm's "
        "`storm local`).",
    .details =
        "As `gale run`, but stops gracefully after --local-ttl seconds (20\n"
        "by default, as Storm's), or earlier when its bounded input ends.\n",
    .flags = GALE_OPT_TOPOLOGY | GALE_OPT_VERBOSE | GALE_OPT_RUN,
    .min_args = 1,
    .max_args = 1,
};

/* Writes status to GALE_EXIT_STATUS_FILE when set (gale nimbus sets it
 * for the masters it starts: one it adopted after a restart is not its
 * child, and learns how it ended from the file). */
static void
write_exit_status(int status)
{
    const char *path = getenv("GALE_EXIT_STATUS_FILE");
    char *dir, buf[16];
    int n, rc;

    if (path == NULL || *path == '\0')
        return;
    n = snprintf(buf, sizeof buf, "%d\n", status);
    dir = xstrdup(path);
    if ((rc = gale_write_atomic(dirname(dir), path, buf, (size_t)n)) != 0)
        log_error("%s: %s", path, strerror(-rc));
    free(dir);
}

/* gale run and gale local: info says which; default_ttl applies when no
 * --ttl/--local-ttl was given (0: none). */
static int
run_main(int argc, char **argv, const gale_cmd_info_t *info,
    double default_ttl)
{
    gale_runtime_opts_t ro = { 0 };
    gale_runtime_result_t res = { 0 };
    gale_topology_t *t = NULL;
    gale_plan_t *p = NULL;
    gale_opts_t o;
    char **wargv, **keep = NULL, *from = NULL;
    gale_cluster_t *cluster = NULL;
    size_t nkeep = 0, i;
    int rc;

    if ((rc = gale_opts_parse(&o, info, argc, argv)) != 0) {
        gale_opts_release(&o);
        return gale_opts_status(rc);
    }
    if (o.verbose > 0)
        log_set_level(LOG_DEBUG);
    if (o.ttl == 0)
        o.ttl = default_ttl;
    ro.restore_from = o.from_savepoint;
    ro.restore_id = o.from_checkpoint;
    ro.allow_missing = o.allow_missing;
    ro.ttl_secs = o.ttl;
    ro.result = &res;
    if (o.cluster != NULL) {
        /* A topology's master on a cluster (gale nimbus starts it so): it
         * runs with nimbus's key pair, on nimbus's host. */
        char *why = NULL;

        if ((cluster = gale_cluster_load(o.cluster, &why)) == NULL ||
            gale_netsec_init(cluster, cluster->nimbus.key, &why) != 0) {
            fprintf(stderr, "gale: %s: %s\n", info->name, why);
            free(why);
            gale_cluster_destroy(&cluster);
            gale_opts_release(&o);
            return 2;
        }
        if (cluster->security == GALE_SECURITY_NONE)
            log_warn("%s", GALE_SECURITY_NONE_WARNING);
        ro.cluster = cluster;
        ro.slot = o.slot;
    }
    for (;;) {
        if ((rc = gale_opts_load(&o, &t, &p)) != 0)
            break;
        ro.progress = isatty(STDERR_FILENO);
        ro.summary = stderr;
        wargv = worker_argv(&o);
        ro.worker_argv = wargv;
        rc = gale_runtime_run(p, &ro);
        free(wargv[0]);
        free(wargv);
        gale_plan_destroy(&p);
        gale_topology_destroy(&t);
        if (rc != GALE_RUNTIME_REBALANCE)
            break;
        /* gale rebalance: the same file with the new parallelism, from the
         * savepoint just taken. */
        log_info("rebalance: restarting with %s from %s", res.spec,
            res.savepoint);
        add_rebalance(&o, res.spec, &keep, &nkeep);
        free(from);
        from = res.savepoint;
        free(res.spec);
        memset(&res, 0, sizeof res);
        ro.restore_from = from;
        ro.restore_id = 0;
        ro.allow_missing = false;
    }
    for (i = 0; i < nkeep; i++)
        free(keep[i]);
    free(keep);
    free(from);
    gale_opts_release(&o);
    gale_cluster_destroy(&cluster);
    gale_netsec_clear();
    write_exit_status(rc);
    return rc;
}

int
cmd_run(int argc, char **argv)
{
    return run_main(argc, argv, &run_info, 0);
}

int
cmd_local(int argc, char **argv)
{
    return run_main(argc, argv, &local_info, 20);
}
