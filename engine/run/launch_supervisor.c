/* launch_supervisor.c - the supervisor launcher: a cluster master's
 * workers, placed on the cluster's hosts and started by their supervisors
 * (engine/run/placement.h); the control plane and the data between
 * workers go over tcp through engine/net/netsec.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "engine/net/netsec.h"
#include "engine/run/launcher.h"
#include "engine/run/placement.h"
#include "engine/transport/outlet.h"

typedef struct launch_supervisor {
    gale_launcher_t base;           /* first: the interface */
    void *zctx;                     /* borrowed; runs the ZAP handler */
    const gale_plan_t *plan;        /* borrowed */
    const gale_cluster_t *cluster;  /* borrowed */
    gale_placement_t *place;        /* the workers' hosts, owned */
    bool *started;                  /* per worker: started, or maybe started
                                       (stopped with the attempt, through
                                       the supervisors) */
    uint64_t *last_seen;            /* per worker: last report, ns */
    int worker_timeout_ms;          /* no report for this long: failed */
    int ctl_base;                   /* the slot's first port: control plane */
} launch_supervisor_t;

/* On nimbus's address, in one of two port sets by epoch, so that workers
 * of the last attempt still trying to reach it (a host that was cut off)
 * find nothing there. */
static void
sup_prefix(gale_launcher_t *l, int run, uint32_t epoch, char *buf, size_t len)
{
    launch_supervisor_t *ls = (launch_supervisor_t *)l;

    (void)run;
    snprintf(buf, len, "tcp://%s:%d/", ls->cluster->nimbus.host,
        ls->ctl_base + (int)(epoch % 2) * (2 + (int)ls->plan->nexecs));
}

/* Has the supervisors start the workers. -1 (logged) is a host's failure:
 * one died while its workers started, or none answers. */
static int
sup_start(gale_launcher_t *l, const gale_launch_t *a, bool *host_failure)
{
    launch_supervisor_t *ls = (launch_supervisor_t *)l;
    const gale_plan_t *plan = ls->plan;
    char *why = NULL, *spec = NULL;
    int w, rc;

    xasprintf(&spec, "ctl=%s;run=%s;epoch=%u;restore=%llu;publish=%d",
        a->prefix, a->run_id, a->epoch, a->restore != NULL ?
        (unsigned long long)a->restore->id : 0ULL, a->publish_only ? 1 : 0);
    rc = gale_placement_spawn(ls->place, plan->nworkers, a->epoch, spec, &why);
    free(spec);
    for (w = 0; w < plan->nworkers; w++) {
        ls->started[w] = true;
        ls->last_seen[w] = gale_now_ns() + GALE_WORKER_START_GRACE_NS;
    }
    if (rc != 0) {
        log_error("%s: %s", plan->topo->name, why);
        free(why);
        *host_failure = true;
        return -1;
    }
    return 0;
}

static void
sup_heard(gale_launcher_t *l, int exec, uint64_t now)
{
    launch_supervisor_t *ls = (launch_supervisor_t *)l;

    if (exec >= 0 && (size_t)exec < ls->plan->nexecs)
        ls->last_seen[ls->plan->execs[exec].worker] = now;
}

/* A host of the placement that stopped answering, one of its workers
 * that exited, or (when quiet) a host that came back and could take
 * workers fails the attempt as a host's failure; a silent worker fails
 * it as the host's when its host is silent too. */
static void
sup_check(gale_launcher_t *l, uint64_t now, bool quiet, char **failure,
    bool *host_failure)
{
    launch_supervisor_t *ls = (launch_supervisor_t *)l;
    char *why = NULL;
    int w, rc;

    rc = gale_placement_check(ls->place, now, &why);
    if ((rc < 0 || (rc == 1 && quiet)) && *failure == NULL) {
        *failure = why;
        *host_failure = true;
        why = NULL;
    }
    free(why);
    for (w = 0; w < ls->plan->nworkers && *failure == NULL; w++) {
        if (!ls->started[w] || now <= ls->last_seen[w] +
            (uint64_t)ls->worker_timeout_ms * 1000000u)
            continue;
        xasprintf(failure, "worker %d on host %s stopped answering: "
            "no heartbeat for %d ms", w, gale_placement_host(ls->place, w),
            ls->worker_timeout_ms);
        /* Its host is silent too: the host's failure, not the
         * worker's (it does not count against restart attempts). */
        *host_failure = gale_placement_host_quiet(ls->place, w, now, 1000);
    }
}

/* Stops the attempt's workers through their supervisors. */
static void
stop(launch_supervisor_t *ls, bool kill_now)
{
    gale_placement_stop(ls->place, kill_now);
    memset(ls->started, 0, sizeof *ls->started * (size_t)ls->plan->nworkers);
}

static void
sup_abort(gale_launcher_t *l)
{
    stop((launch_supervisor_t *)l, true);
}

static void
sup_end(gale_launcher_t *l)
{
    stop((launch_supervisor_t *)l, false);
}

static void
sup_destroy(gale_launcher_t *l)
{
    launch_supervisor_t *ls = (launch_supervisor_t *)l;

    gale_placement_destroy(&ls->place);
    gale_netsec_stop(ls->zctx);
    free(ls->started);
    free(ls->last_seen);
    free(ls);
}

/* The supervisor's name (the cluster file's) of worker w's host. */
static const char *
sup_host(const gale_launcher_t *l, int w)
{
    const launch_supervisor_t *ls = (const launch_supervisor_t *)l;

    return ls->place != NULL ? gale_placement_host(ls->place, w) : "?";
}

static const gale_launcher_ops_t sup_ops = {
    .prefix = sup_prefix,
    .start = sup_start,
    .heard = sup_heard,
    .check = sup_check,
    .abort = sup_abort,
    .end = sup_end,
    .destroy = sup_destroy,
    .host = sup_host,
};

gale_launcher_t *
gale_launcher_supervisor_new(void *zctx, const gale_plan_t *plan,
    const gale_cluster_t *c, int slot, char *const *argv)
{
    launch_supervisor_t *ls;
    char *why = NULL;
    char **args;
    size_t n = 0, i;
    int per_set = 2 + (int)plan->nexecs, ctl_base;
    const char *s = plan->topo->name;

    /* The name becomes a directory and a word on the supervisors. */
    if (s[0] == '.' || s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        "abcdefghijklmnopqrstuvwxyz0123456789._-")] != '\0') {
        log_error("%s: a topology on a cluster needs a name of letters, "
            "digits, '.', '_' and '-' (not starting with '.')", s);
        return NULL;
    }
    ctl_base = c->ports_first + slot * c->ports_per_topology;
    if (2 * per_set + 2 * plan->nworkers * plan->nworkers >
        c->ports_per_topology ||
        ctl_base + c->ports_per_topology > 65536) {
        log_error("%s: %zu executors on %d workers need %d ports, more than "
            "the %d of a slot (ports.per_topology in %s), or slot %d is past "
            "port 65535", plan->topo->name, plan->nexecs, plan->nworkers,
            2 * per_set + 2 * plan->nworkers * plan->nworkers,
            c->ports_per_topology, c->path, slot);
        return NULL;
    }
    if (gale_netsec_start(zctx, &why) != 0) {
        log_error("%s: %s", plan->topo->name, why);
        free(why);
        return NULL;
    }
    ls = xcalloc(1, sizeof *ls);
    ls->base.ops = &sup_ops;
    ls->base.remote = true;
    ls->zctx = zctx;
    ls->plan = plan;
    ls->cluster = c;
    ls->ctl_base = ctl_base;
    ls->started = xcalloc((size_t)plan->nworkers + 1, sizeof *ls->started);
    ls->last_seen = xcalloc((size_t)plan->nworkers + 1, sizeof *ls->last_seen);
    ls->worker_timeout_ms = gale_launcher_worker_timeout_ms(plan);
    /* The workers' arguments: what `gale worker` gets after its file. */
    while (argv[n] != NULL)
        n++;
    args = xcalloc(n + 1, sizeof *args);
    for (i = 2, n = 0; argv[i] != NULL && strcmp(argv[i], "--") != 0; i++)
        args[n++] = argv[i];
    ls->place = gale_placement_new(zctx, c, plan->topo->name,
        plan->topo->path, args, ctl_base + 2 * per_set, &why);
    free(args);
    if (ls->place == NULL) {
        log_error("%s: %s", plan->topo->name, why);
        free(why);
        sup_destroy(&ls->base);
        return NULL;
    }
    return &ls->base;
}
