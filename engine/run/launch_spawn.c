/* launch_spawn.c - the spawn launcher: one worker process per plan worker
 * on this host, started with posix_spawn (this process holds a ZeroMQ
 * context and must not fork), watched by waitpid and heartbeats. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
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
    bool swept;                     /* an earlier run's workers are gone */
} launch_spawn_t;

/* The start time of process pid (field 22 of /proc/PID/stat, in clock
 * ticks since boot), which tells it apart from a later process with the
 * same pid; 0 if there is no such process or it is a zombie. */
static unsigned long long
proc_start(pid_t pid)
{
    char path[64], buf[1024], *p;
    unsigned long long start = 0;
    ssize_t n;
    int fd, field;

    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return 0;
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    /* After the command, which is in parentheses and may hold anything. */
    if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ' || p[2] == 'Z' ||
        p[2] == 'X')
        return 0;
    for (field = 3, p += 2; *p != '\0' && field < 22; p++)
        if (*p == ' ')
            field++;
    if (field == 22)
        start = strtoull(p, NULL, 10);
    return start;
}

/* The file that names the running attempt's worker processes. */
static char *
pids_path(const char *ckpt_dir)
{
    char *path;

    xasprintf(&path, "%s/workers.pid", ckpt_dir);
    return path;
}

/* A coordinator started again (after kill -9, or while the one before is
 * stopped) must not run its workers beside its predecessor's: those
 * named in <checkpoint dir>/workers.pid that still run (same pid, same
 * start time) are killed, and waited for until they are gone, which
 * SIGKILL makes a matter of milliseconds: no timeout stands in for
 * knowing. Workers die with their coordinator (PR_SET_PDEATHSIG), so
 * usually there is none left. */
static void
sweep_earlier(const char *ckpt_dir)
{
    char *path = pids_path(ckpt_dir), line[128];
    FILE *fp = fopen(path, "re");
    unsigned long long start;
    uint64_t deadline;
    int pid, killed = 0;

    free(path);
    if (fp == NULL)
        return;
    while (fgets(line, sizeof line, fp) != NULL) {
        if (sscanf(line, "%d %llu", &pid, &start) != 2 || pid <= 1 ||
            pid == (int)getpid() || proc_start(pid) != start)
            continue;
        log_warn("worker pid %d of an earlier coordinator still runs: "
            "killing it", pid);
        kill(pid, SIGKILL);
        deadline = gale_now_ns() + 5000000000ull;
        while (proc_start(pid) == start && gale_now_ns() < deadline)
            usleep(1000);
        if (proc_start(pid) == start)
            log_error("worker pid %d of an earlier coordinator survived "
                "SIGKILL for 5 s", pid);
        killed++;
    }
    fclose(fp);
    if (killed > 0)
        log_info("%d worker(s) of an earlier coordinator are gone", killed);
}

/* Names this attempt's workers in <checkpoint dir>/workers.pid (written
 * under a temporary name and renamed: whole or absent). */
static void
save_pids(launch_spawn_t *ls, const char *ckpt_dir)
{
    char *path = pids_path(ckpt_dir), *tmp;
    FILE *fp;
    int w;

    xasprintf(&tmp, "%s.tmp", path);
    if ((fp = fopen(tmp, "we")) != NULL) {
        for (w = 0; w < ls->plan->nworkers; w++)
            if (ls->pids[w] > 0)
                fprintf(fp, "%d %llu\n", (int)ls->pids[w],
                    proc_start(ls->pids[w]));
        if (fclose(fp) == 0 && rename(tmp, path) == 0) {
            free(tmp);
            free(path);
            return;
        }
    }
    log_warn("%s: %s", tmp, strerror(errno));
    unlink(tmp);
    free(tmp);
    free(path);
}

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
    if (!ls->swept && a->ckpt_dir != NULL)
        sweep_earlier(a->ckpt_dir);
    ls->swept = true;
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
    if (a->ckpt_dir != NULL)
        save_pids(ls, a->ckpt_dir);
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
