/* launcher.c - the launcher interface's dispatch. */
#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "engine/run/launcher.h"

void
gale_launcher_destroy(gale_launcher_t **lp)
{
    gale_launcher_t *l;

    if (lp == NULL || (l = *lp) == NULL)
        return;
    l->ops->destroy(l);
    *lp = NULL;
}

void
gale_launcher_prefix(gale_launcher_t *l, int run, uint32_t epoch, char *buf,
    size_t len)
{
    l->ops->prefix(l, run, epoch, buf, len);
}

int
gale_launcher_start(gale_launcher_t *l, const gale_launch_t *a,
    bool *host_failure)
{
    return l->ops->start(l, a, host_failure);
}

void
gale_launcher_heard(gale_launcher_t *l, int exec, uint64_t now)
{
    if (l->ops->heard != NULL)
        l->ops->heard(l, exec, now);
}

void
gale_launcher_check(gale_launcher_t *l, uint64_t now, bool quiet,
    char **failure, bool *host_failure)
{
    if (l->ops->check != NULL)
        l->ops->check(l, now, quiet, failure, host_failure);
}

void
gale_launcher_abort(gale_launcher_t *l)
{
    if (l->ops->abort != NULL)
        l->ops->abort(l);
}

void
gale_launcher_end(gale_launcher_t *l)
{
    if (l->ops->end != NULL)
        l->ops->end(l);
}

const char *
gale_launcher_host(const gale_launcher_t *l, int w)
{
    /* The master's thread is the only caller (launcher.h). */
    static char name[256];

    if (l->ops->host != NULL)
        return l->ops->host(l, w);
    if (name[0] == '\0' && (gethostname(name, sizeof name - 1) != 0 ||
        name[0] == '\0'))
        snprintf(name, sizeof name, "localhost");
    return name;
}

bool
gale_launcher_remote(const gale_launcher_t *l)
{
    return l->remote;
}

int
gale_launcher_worker_timeout_ms(const gale_plan_t *plan)
{
    const gale_value_t *v = gale_value_map_get(plan->topo->conf,
        "gale.worker.timeout.ms");

    return v != NULL && v->type == GALE_INT ? (int)v->u.i : 4000;
}
