/* placement.c - a master's workers on the cluster's hosts (placement.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "engine/run/placement.h"
#include "engine/run/supclient.h"
#include "engine/transport/outlet.h"

#define PING_MS 250
#define FRESH_MS (4 * PING_MS)

struct gale_placement {
    const gale_cluster_t *c;        /* borrowed */
    gale_supclient_t *sc;
    char *name;                     /* the topology */
    char *text;                     /* its file's text */
    char *cwd;
    char **args;                    /* worker arguments, NULL-terminated */
    int data_base;
    bool *heard;                    /* per host: answered at least once */
    int *host;                      /* per worker: host index, -1 none */
    int nworkers;
    uint32_t epoch;                 /* of the current placement, 0: none */
};

gale_placement_t *
gale_placement_new(void *zctx, const gale_cluster_t *c, const char *name,
    const char *file, char *const *worker_args, int data_base, char **cause)
{
    gale_placement_t *p = xcalloc(1, sizeof *p);
    size_t n = 0, i;
    int rc;

    p->c = c;
    p->name = xstrdup(name);
    if ((rc = gale_read_file(file, &p->text, NULL)) != 0) {
        xasprintf(cause, "%s: %s", file, strerror(-rc));
        gale_placement_destroy(&p);
        return NULL;
    }
    if ((p->cwd = getcwd(NULL, 0)) == NULL)
        p->cwd = xstrdup("/");
    while (worker_args != NULL && worker_args[n] != NULL)
        n++;
    p->args = xcalloc(n + 1, sizeof *p->args);
    for (i = 0; i < n; i++)
        p->args[i] = xstrdup(worker_args[i]);
    p->data_base = data_base;
    p->heard = xcalloc((size_t)c->nsups, sizeof *p->heard);
    p->sc = gale_supclient_new(zctx, c);
    return p;
}

void
gale_placement_destroy(gale_placement_t **pp)
{
    gale_placement_t *p;
    size_t i;

    if (pp == NULL || (p = *pp) == NULL)
        return;
    gale_supclient_destroy(&p->sc);
    for (i = 0; p->args != NULL && p->args[i] != NULL; i++)
        free(p->args[i]);
    free(p->args);
    free(p->name);
    free(p->text);
    free(p->cwd);
    free(p->heard);
    free(p->host);
    free(p);
    *pp = NULL;
}

/* Polls and notes which hosts have answered. */
static void
poll_hosts(gale_placement_t *p, uint64_t now)
{
    int i, n;

    gale_supclient_poll(p->sc, now, PING_MS);
    for (i = 0; i < p->c->nsups; i++)
        if (!p->heard[i] && gale_supclient_workers(p->sc, i, &n) != NULL)
            p->heard[i] = true;
}

/* Whether host i can take workers: it answered, and lately. */
static bool
usable(const gale_placement_t *p, int i, uint64_t now)
{
    return p->heard[i] && gale_supclient_alive(p->sc, i, now,
        p->c->supervisor_timeout_ms);
}

/* Whether a usable host still runs a worker of this topology with an
 * epoch in [lo, hi]. */
static bool
any_running(gale_placement_t *p, uint64_t now, uint32_t lo, uint32_t hi)
{
    const gale_sup_worker_t *ws;
    int i, k, n;

    for (i = 0; i < p->c->nsups; i++) {
        if (!usable(p, i, now))
            continue;
        ws = gale_supclient_workers(p->sc, i, &n);
        for (k = 0; ws != NULL && k < n; k++)
            if (ws[k].epoch >= lo && ws[k].epoch <= hi && ws[k].exited == 0 &&
                strcmp(ws[k].topology, p->name) == 0)
                return true;
    }
    return false;
}

int
gale_placement_spawn(gale_placement_t *p, int nworkers, uint32_t epoch,
    const char *spec, char **cause)
{
    uint64_t now = gale_now_ns(), until = now +
        (uint64_t)p->c->supervisor_timeout_ms * 1000000u;
    int *live = xcalloc((size_t)p->c->nsups, sizeof *live);
    char *hosts = NULL, *full = NULL, *more, *why = NULL;
    int nlive, i, w, pid, rc = -1;

    /* Hosts that never answered get the supervisor timeout to do so; a
     * host that answered before and went quiet is dead already. */
    for (;;) {
        int pending = 0;

        poll_hosts(p, now = gale_now_ns());
        for (i = 0; i < p->c->nsups; i++)
            if (!p->heard[i] && gale_supclient_alive(p->sc, i, now,
                p->c->supervisor_timeout_ms))
                pending++;
        if (pending == 0 || now >= until)
            break;
        usleep(20000);
    }
    /* Hosts that answered lately; failing that, within the timeout (a
     * host silent for a second but not yet declared dead is a poor bet:
     * its workers' start would wait for it). */
    for (i = 0, nlive = 0; i < p->c->nsups; i++)
        if (usable(p, i, now) && gale_supclient_alive(p->sc, i, now,
            FRESH_MS))
            live[nlive++] = i;
    if (nlive == 0)
        for (i = 0; i < p->c->nsups; i++)
            if (usable(p, i, now))
                live[nlive++] = i;
    /* None answers: wait a supervisor timeout for one to (come back),
     * so that a cluster without live hosts is not retried in a loop. */
    until = now + (uint64_t)p->c->supervisor_timeout_ms * 1000000u;
    while (nlive == 0 && (now = gale_now_ns()) < until) {
        usleep(50000);
        poll_hosts(p, now);
        for (i = 0; i < p->c->nsups; i++)
            if (usable(p, i, now))
                live[nlive++] = i;
    }
    if (nlive == 0) {
        xasprintf(cause, "no supervisor answers (%d listed in %s)",
            p->c->nsups, p->c->path);
        goto out;
    }
    /* Workers of earlier attempts still running (on a host that was cut
     * off and came back) are stopped first: they hold ports. Their
     * supervisors answer a kill before the pings sent after it. */
    for (i = 0; i < nlive && epoch > 1; i++)
        gale_supclient_kill(p->sc, live[i], p->name, epoch - 1);
    until = gale_now_ns() + (uint64_t)p->c->supervisor_timeout_ms * 1000000u;
    while (epoch > 1 && any_running(p, gale_now_ns(), 1, epoch - 1) &&
        gale_now_ns() < until) {
        usleep(20000);
        poll_hosts(p, gale_now_ns());
    }
    free(p->host);
    p->host = xcalloc((size_t)nworkers, sizeof *p->host);
    p->nworkers = nworkers;
    p->epoch = epoch;
    hosts = xstrdup("");
    for (w = 0; w < nworkers; w++) {
        p->host[w] = live[w % nlive];
        xasprintf(&more, "%s%s%s", hosts, w > 0 ? "," : "",
            p->c->sups[p->host[w]].name);
        free(hosts);
        hosts = more;
    }
    for (w = 0; w < nworkers; w++) {
        free(full);
        /* Two port sets, by epoch, as the control plane's. */
        xasprintf(&full, "worker=%d;%s;hosts=%s;dport=%d", w, spec, hosts,
            p->data_base + (int)(epoch % 2) * nworkers * nworkers);
        if (gale_supclient_spawn(p->sc, p->host[w], p->name, w, epoch, p->cwd,
            p->text, full, p->args, p->c->supervisor_timeout_ms, &pid,
            &why) != 0) {
            xasprintf(cause, "starting worker %d on host %s: %s", w,
                p->c->sups[p->host[w]].name, why != NULL ? why : "no answer");
            free(why);
            goto out;
        }
        log_info("%s: worker %d (epoch %u) runs on %s as pid %d", p->name, w,
            epoch, p->c->sups[p->host[w]].name, pid);
    }
    rc = 0;
out:
    free(live);
    free(hosts);
    free(full);
    return rc;
}

int
gale_placement_check(gale_placement_t *p, uint64_t now, char **cause)
{
    const gale_sup_worker_t *ws;
    bool used;
    int i, k, n, w, nused = 0, nlive = 0;

    poll_hosts(p, now);
    if (p->epoch == 0)
        return 0;
    for (i = 0; i < p->c->nsups; i++) {
        used = false;
        for (w = 0; w < p->nworkers; w++)
            used = used || p->host[w] == i;
        nused += used;
        if (usable(p, i, now))
            nlive++;
        if (!used)
            continue;
        if (!gale_supclient_alive(p->sc, i, now,
            p->c->supervisor_timeout_ms)) {
            xasprintf(cause, "host %s (%s) stopped answering for %d ms: "
                "declared dead", p->c->sups[i].name, p->c->sups[i].host,
                p->c->supervisor_timeout_ms);
            return -1;
        }
        ws = gale_supclient_workers(p->sc, i, &n);
        for (k = 0; ws != NULL && k < n; k++) {
            if (ws[k].epoch != p->epoch || ws[k].exited == 0 ||
                strcmp(ws[k].topology, p->name) != 0)
                continue;
            if (ws[k].exited == 2)
                xasprintf(cause, "worker %d on host %s (pid %d) was killed by "
                    "signal %d", ws[k].worker, p->c->sups[i].name, ws[k].pid,
                    ws[k].status);
            else
                xasprintf(cause, "worker %d on host %s (pid %d) exited with "
                    "status %d", ws[k].worker, p->c->sups[i].name, ws[k].pid,
                    ws[k].status);
            return -1;
        }
    }
    if (nused < p->nworkers && nlive > nused) {
        xasprintf(cause, "%d host(s) answer but only %d run workers: "
            "spreading the workers again", nlive, nused);
        return 1;
    }
    return 0;
}

void
gale_placement_stop(gale_placement_t *p, bool kill_now)
{
    uint64_t until = gale_now_ns() + 5000000000ull, now;
    int i;

    if (p->epoch == 0)
        return;
    if (!kill_now) {
        /* Pings go out every PING_MS: a few rounds show who has left. */
        usleep(PING_MS * 1000 * 2);
        while ((now = gale_now_ns()) < until) {
            poll_hosts(p, now);
            if (!any_running(p, now, p->epoch, p->epoch))
                break;
            usleep(20000);
        }
    }
    for (i = 0; i < p->c->nsups; i++)
        gale_supclient_kill(p->sc, i, p->name, p->epoch);
    p->epoch = 0;
}

bool
gale_placement_host_quiet(const gale_placement_t *p, int w, uint64_t now,
    int ms)
{
    if (p->host == NULL || w < 0 || w >= p->nworkers)
        return false;
    return !gale_supclient_alive(p->sc, p->host[w], now, ms);
}

const char *
gale_placement_host(const gale_placement_t *p, int w)
{
    if (p->host == NULL || w < 0 || w >= p->nworkers)
        return "?";
    return p->c->sups[p->host[w]].name;
}
