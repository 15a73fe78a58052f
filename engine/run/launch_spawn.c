/* launch_spawn.c - the spawn launcher: one worker process per plan worker
 * on this host, started with posix_spawn (this process holds a ZeroMQ
 * context and must not fork), watched by waitpid and heartbeats. */
#include "config.h"

#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "engine/run/launcher.h"
#include "engine/transport/outlet.h"

extern char **environ;

typedef struct launch_spawn {
    gale_launcher_t base;           /* first: the interface */
    const gale_plan_t *plan;        /* borrowed */
    char *const *argv;              /* `gale worker ...`, borrowed */
    pid_t *pids;                    /* per worker, 0 when not running */
    uint64_t *last_seen;            /* per worker: last report, ns */
    int worker_timeout_ms;          /* no report for this long: failed */
    int ctl_base;                   /* transport tcp: control plane's base
                                       port (engine/net/endpoint.h); 0: ipc */
} launch_spawn_t;

static void
spawn_prefix(gale_launcher_t *l, int run, uint32_t epoch, char *buf,
    size_t len)
{
    launch_spawn_t *ls = (launch_spawn_t *)l;

    if (ls->ctl_base > 0)
        /* transport = "tcp": the control plane too (engine/net/endpoint.h). */
        snprintf(buf, len, "tcp://127.0.0.1:%d/", ls->ctl_base);
    else
        snprintf(buf, len, "ipc://@gale-%d-%d-%u/", (int)getpid(), run, epoch);
}

/* Starts the workers, telling each in its environment which worker it is
 * and where the master listens (GALE_WORKER_SPEC). 0 or -1 (logged). */
static int
spawn_start(gale_launcher_t *l, const gale_launch_t *a, bool *host_failure)
{
    launch_spawn_t *ls = (launch_spawn_t *)l;
    const gale_plan_t *plan = ls->plan;
    size_t nenv = 0, i;
    char **envp, *spec = NULL;
    int w, rc;

    (void)host_failure;
    while (environ[nenv] != NULL)
        nenv++;
    envp = xcalloc(nenv + 2, sizeof *envp);
    for (w = 0; w < plan->nworkers; w++) {
        size_t k = 0;

        for (i = 0; i < nenv; i++)
            if (strncmp(environ[i], "GALE_WORKER_SPEC=", 17) != 0)
                envp[k++] = environ[i];
        free(spec);
        xasprintf(&spec, "GALE_WORKER_SPEC=worker=%d;ctl=%s;run=%s;"
            "epoch=%u;restore=%llu;publish=%d", w, a->prefix, a->run_id,
            a->epoch, a->restore != NULL ?
            (unsigned long long)a->restore->id : 0ULL, a->publish_only ? 1 : 0);
        envp[k++] = spec;
        envp[k] = NULL;
        rc = posix_spawn(&ls->pids[w], ls->argv[0], NULL, NULL, ls->argv,
            envp);
        if (rc != 0) {
            log_error("starting worker %d (%s): %s", w, ls->argv[0],
                strerror(rc));
            ls->pids[w] = 0;
            free(spec);
            free(envp);
            return -1;
        }
        /* From its first report on, the heartbeat timeout alone applies. */
        ls->last_seen[w] = gale_now_ns() + GALE_WORKER_START_GRACE_NS;
        log_debug("worker %d: pid %d", w, (int)ls->pids[w]);
    }
    free(spec);
    free(envp);
    return 0;
}

static void
spawn_heard(gale_launcher_t *l, int exec, uint64_t now)
{
    launch_spawn_t *ls = (launch_spawn_t *)l;

    if (exec >= 0 && (size_t)exec < ls->plan->nexecs)
        ls->last_seen[ls->plan->execs[exec].worker] = now;
}

/* Notices a worker process that exited (or was killed) before it was
 * told to, or that stopped reporting. */
static void
spawn_check(gale_launcher_t *l, uint64_t now, bool quiet, char **failure,
    bool *host_failure)
{
    launch_spawn_t *ls = (launch_spawn_t *)l;
    pid_t pid;
    int st, w;

    (void)quiet;
    (void)host_failure;
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
        for (w = 0; w < ls->plan->nworkers; w++) {
            if (ls->pids[w] != pid)
                continue;
            ls->pids[w] = 0;
            if (*failure != NULL)
                break;
            if (WIFSIGNALED(st))
                xasprintf(failure, "worker %d (pid %d) was killed by "
                    "signal %d", w, (int)pid, WTERMSIG(st));
            else
                xasprintf(failure, "worker %d (pid %d) exited with "
                    "status %d", w, (int)pid, WEXITSTATUS(st));
        }
    }
    for (w = 0; w < ls->plan->nworkers && *failure == NULL; w++) {
        if (ls->pids[w] == 0 || now <= ls->last_seen[w] +
            (uint64_t)ls->worker_timeout_ms * 1000000u)
            continue;
        xasprintf(failure, "worker %d (pid %d) stopped answering: no "
            "heartbeat for %d ms", w, (int)ls->pids[w], ls->worker_timeout_ms);
    }
}

/* Stops the worker processes: on success they leave by themselves after
 * EXIT (waited for up to 5 s); after a failure, or past that, SIGKILL. */
static void
reap(launch_spawn_t *ls, bool kill_now)
{
    uint64_t deadline = gale_now_ns() + 5000000000ull;
    int w, st, left;

    for (;;) {
        left = 0;
        for (w = 0; w < ls->plan->nworkers; w++) {
            if (ls->pids[w] == 0)
                continue;
            if (kill_now)
                kill(ls->pids[w], SIGKILL);
            if (waitpid(ls->pids[w], &st, WNOHANG) == ls->pids[w])
                ls->pids[w] = 0;
            else
                left++;
        }
        if (left == 0)
            return;
        if (gale_now_ns() > deadline)
            kill_now = true;
        usleep(10000);
    }
}

static void
spawn_abort(gale_launcher_t *l)
{
    reap((launch_spawn_t *)l, true);
}

static void
spawn_end(gale_launcher_t *l)
{
    reap((launch_spawn_t *)l, false);
}

static void
spawn_destroy(gale_launcher_t *l)
{
    launch_spawn_t *ls = (launch_spawn_t *)l;

    free(ls->pids);
    free(ls->last_seen);
    free(ls);
}

static const gale_launcher_ops_t spawn_ops = {
    .prefix = spawn_prefix,
    .start = spawn_start,
    .heard = spawn_heard,
    .check = spawn_check,
    .abort = spawn_abort,
    .end = spawn_end,
    .destroy = spawn_destroy,
};

gale_launcher_t *
gale_launcher_spawn_new(const gale_plan_t *plan, char *const *argv)
{
    launch_spawn_t *ls = xcalloc(1, sizeof *ls);
    const gale_value_t *v;

    ls->base.ops = &spawn_ops;
    ls->base.remote = true;
    ls->plan = plan;
    ls->argv = argv;
    ls->pids = xcalloc((size_t)plan->nworkers + 1, sizeof *ls->pids);
    ls->last_seen = xcalloc((size_t)plan->nworkers + 1, sizeof *ls->last_seen);
    ls->worker_timeout_ms = gale_launcher_worker_timeout_ms(plan);
    v = gale_value_map_get(plan->topo->conf, "gale.transport");
    if (v != NULL && v->type == GALE_STRING && strcmp(v->u.s.ptr, "tcp") == 0) {
        const gale_value_t *pv = gale_value_map_get(plan->topo->conf,
            "gale.tcp.base.port");

        /* After the data ports: base + f * workers + t. */
        ls->ctl_base = (pv != NULL && pv->type == GALE_INT ? (int)pv->u.i :
            7100) + plan->nworkers * plan->nworkers;
    }
    return &ls->base;
}
