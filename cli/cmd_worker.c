/* cmd_worker.c - `gale worker FILE`: a worker process, started by `gale
 * run` for topologies with workers > 1 (not meant to be run by hand). What
 * to run comes in GALE_WORKER_SPEC, set by the coordinator:
 * "worker=W;ctl=PREFIX;run=ID;epoch=E;restore=N;publish=0|1", and on a
 * cluster (from the master and the supervisor that starts it)
 * ";hosts=H0,H1,...;dport=PORT;cluster=FILE;self=NAME". */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "engine/net/netsec.h"
#include "engine/run/worker.h"

static const gale_cmd_info_t worker_info = {
    .name = "worker",
    .operands = "FILE",
    .summary = "Run one worker process of a topology (started by gale run).",
    .details =
        "Internal: `gale run` starts one of these per worker when the\n"
        "topology has workers > 1, with GALE_WORKER_SPEC saying which worker\n"
        "it is and where the coordinator listens. It exits with its parent.\n",
    .flags = GALE_OPT_TOPOLOGY | GALE_OPT_RUN,
    .min_args = 1,
    .max_args = 1,
};

/* What a worker on a cluster needs besides gale_worker_opts_t. */
typedef struct cluster_spec {
    char *hosts;                /* "H0,H1,..." (into buf) */
    const char *cluster;        /* the cluster file */
    const char *self;           /* the supervisor that started us */
} cluster_spec_t;

/* Parses GALE_WORKER_SPEC into o and cs (strings point into buf). 0 or
 * -1. */
static int
parse_spec(char *buf, gale_worker_opts_t *o, cluster_spec_t *cs)
{
    char *save = NULL, *tok, *eq;
    int seen = 0;

    for (tok = strtok_r(buf, ";", &save); tok != NULL; tok = strtok_r(NULL, ";", &save)) {
        if ((eq = strchr(tok, '=')) == NULL)
            return -1;
        *eq++ = '\0';
        if (strcmp(tok, "worker") == 0)
            o->worker = atoi(eq), seen |= 1;
        else if (strcmp(tok, "ctl") == 0)
            o->ctl_prefix = eq, seen |= 2;
        else if (strcmp(tok, "run") == 0)
            o->run_id = eq, seen |= 4;
        else if (strcmp(tok, "epoch") == 0)
            o->epoch = (uint32_t)strtoul(eq, NULL, 10), seen |= 8;
        else if (strcmp(tok, "restore") == 0)
            o->restore_id = strtoull(eq, NULL, 10);
        else if (strcmp(tok, "publish") == 0)
            o->publish_only = strcmp(eq, "1") == 0;
        else if (strcmp(tok, "hosts") == 0)
            cs->hosts = eq;
        else if (strcmp(tok, "dport") == 0)
            o->data_base = atoi(eq);
        else if (strcmp(tok, "cluster") == 0)
            cs->cluster = eq;
        else if (strcmp(tok, "self") == 0)
            cs->self = eq;
        else
            return -1;
    }
    if (cs->cluster != NULL && (cs->hosts == NULL || cs->self == NULL ||
        o->data_base <= 0))
        return -1;
    return seen == 15 ? 0 : -1;
}

/* Loads the cluster a supervisor started us for and takes its host's key
 * pair; splits the hosts list into *hosts (n entries, into cs->hosts).
 * 0, or 2 after saying why. */
static int
join_cluster(const cluster_spec_t *cs, gale_cluster_t **cp, char ***hosts,
    int n)
{
    const gale_cluster_member_t *me;
    char *why = NULL, *save = NULL, *tok;
    int i = 0;

    if ((*cp = gale_cluster_load(cs->cluster, &why)) == NULL ||
        (me = gale_cluster_sup(*cp, cs->self)) == NULL ||
        gale_netsec_init(*cp, me->key, &why) != 0) {
        fprintf(stderr, "gale: worker: %s\n", why != NULL ? why :
            "this host is not one of the cluster's supervisors");
        free(why);
        return 2;
    }
    *hosts = xcalloc((size_t)n + 1, sizeof **hosts);
    for (tok = strtok_r(cs->hosts, ",", &save); tok != NULL && i < n;
        tok = strtok_r(NULL, ",", &save))
        (*hosts)[i++] = tok;
    if (i != n || tok != NULL) {
        fprintf(stderr, "gale: worker: GALE_WORKER_SPEC names %d hosts for "
            "%d workers\n", i, n);
        return 2;
    }
    return 0;
}

int
cmd_worker(int argc, char **argv)
{
    gale_worker_opts_t wo = { 0 };
    cluster_spec_t cs = { 0 };
    gale_cluster_t *cluster = NULL;
    char **hosts = NULL;
    gale_topology_t *t = NULL;
    gale_plan_t *p = NULL;
    gale_opts_t o;
    const char *spec = getenv("GALE_WORKER_SPEC");
    char *buf;
    int rc;

    if ((rc = gale_opts_parse(&o, &worker_info, argc, argv)) != 0) {
        gale_opts_release(&o);
        return gale_opts_status(rc);
    }
    buf = xstrdup(spec != NULL ? spec : "");
    if (parse_spec(buf, &wo, &cs) != 0) {
        fprintf(stderr, "gale: worker: GALE_WORKER_SPEC is missing or malformed "
            "(gale run sets it; this command is not meant to be run by hand)\n");
        free(buf);
        gale_opts_release(&o);
        return 2;
    }
    /* Ctrl-C reaches the whole process group; the coordinator handles it. */
    signal(SIGINT, SIG_IGN);
    if ((rc = gale_opts_load(&o, &t, &p)) == 0) {
        if (wo.worker < 0 || wo.worker >= p->nworkers) {
            fprintf(stderr, "gale: worker: no worker %d in a plan of %d\n",
                wo.worker, p->nworkers);
            rc = 2;
        } else if (cs.cluster != NULL &&
            (rc = join_cluster(&cs, &cluster, &hosts, p->nworkers)) != 0) {
            /* said why */
        } else {
            wo.cluster = cluster;
            wo.hosts = hosts;
            rc = gale_worker_run(p, &wo);
        }
    }
    gale_plan_destroy(&p);
    gale_topology_destroy(&t);
    gale_opts_release(&o);
    gale_cluster_destroy(&cluster);
    gale_netsec_clear();
    free(hosts);
    free(buf);
    return rc;
}
