/* child.c - a multilang child process and its reader threads (child.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gale/clock.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "compat/multilang/child.h"
#include "compat/multilang/mlproto.h"

extern char **environ;

/* One entry of the message queue: a message, or the error that ended
 * the stream. */
typedef struct item {
    json_t *msg;                    /* owned, or NULL for an error */
    int err;                        /* -errno when msg is NULL */
    char *cause;                    /* owned, with err */
    struct item *next;
} item_t;

struct gale_mlchild {
    pid_t pid;                      /* 0 once reaped */
    int status;                     /* wait status once reaped */
    int in;                         /* write end of its stdin, non-blocking */
    int out;                        /* read end of its stdout (reader thread) */
    int err;                        /* read end of its stderr (log thread) */
    char *origin;                   /* owned: "component[task]" */
    size_t max_msg;
    pthread_t reader, logger;
    bool reader_started, logger_started;
    atomic_bool stop;               /* threads leave at their next poll */
    atomic_bool writing;            /* a write waits for room in the child's
                                       stdin: the reader must not throttle
                                       (the child may be blocked on its
                                       stdout, waiting for us to read) */
    atomic_uint_fast64_t last_output; /* ns of the last byte read */
    size_t max_queued;              /* bound on nqueued */
    pthread_mutex_t lock;           /* guards the queue */
    pthread_cond_t cond;            /* signalled on push */
    pthread_cond_t room;            /* signalled when a message is taken */
    item_t *head, *tail;            /* the queue, oldest first */
    size_t nqueued;                 /* messages in it */
};

/* Appends a message or an error to the queue (reader thread). */
static void
push(gale_mlchild_t *c, json_t *msg, int err, char *cause)
{
    item_t *it = xcalloc(1, sizeof *it);

    it->msg = msg;
    it->err = err;
    it->cause = cause;
    pthread_mutex_lock(&c->lock);
    if (msg != NULL)
        c->nqueued++;
    if (c->tail != NULL)
        c->tail->next = it;
    else
        c->head = it;
    c->tail = it;
    pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

/* Waits until the queue has room for a message; false when told to stop.
 * The child blocks on its stdout meanwhile (backpressure); the wait
 * counts as its output for the liveness check. */
static bool
wait_room(gale_mlchild_t *c)
{
    struct timespec ts;
    uint64_t until;
    bool waited = false;

    pthread_mutex_lock(&c->lock);
    while (c->nqueued >= c->max_queued && !atomic_load(&c->stop) &&
        !atomic_load(&c->writing)) {
        waited = true;
        until = gale_now_ns() + 100000000u;
        ts.tv_sec = (time_t)(until / 1000000000u);
        ts.tv_nsec = (long)(until % 1000000000u);
        pthread_cond_timedwait(&c->room, &c->lock, &ts);
    }
    pthread_mutex_unlock(&c->lock);
    if (waited)
        atomic_store(&c->last_output, gale_now_ns());
    return !atomic_load(&c->stop);
}

/* Waits up to 100 ms for fd to be readable; false when told to stop. */
static bool
wait_readable(gale_mlchild_t *c, int fd)
{
    struct pollfd p = { fd, POLLIN, 0 };

    while (!atomic_load(&c->stop)) {
        if (poll(&p, 1, 100) != 0)
            return true;
    }
    return false;
}

/* The stdout thread: bytes -> messages -> queue, until EOF or garbage. */
static void *
read_stdout(void *arg)
{
    gale_mlchild_t *c = arg;
    gale_mlreader_t *r = gale_mlreader_new(c->max_msg);
    char buf[65536], *cause = NULL;
    json_t *msg;
    ssize_t n;
    int rc;

    while (wait_readable(c, c->out)) {
        n = read(c->out, buf, sizeof buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0) {
            if (gale_mlreader_pending(r) > 0) {
                /* A message cut short: quote it. */
                gale_mlreader_feed(r, "\nend\n", 5);
                if (gale_mlreader_next(r, &msg, &cause) < 0) {
                    push(c, NULL, -EBADMSG, cause);
                    break;
                }
                json_decref(msg);
            }
            push(c, NULL, -EPIPE, NULL);
            break;
        }
        atomic_store(&c->last_output, gale_now_ns());
        gale_mlreader_feed(r, buf, (size_t)n);
        while ((rc = gale_mlreader_next(r, &msg, &cause)) == 1) {
            if (!wait_room(c)) {
                json_decref(msg);
                break;
            }
            push(c, msg, 0, NULL);
        }
        if (rc < 0) {
            push(c, NULL, rc, cause);
            break;
        }
    }
    gale_mlreader_destroy(&r);
    return NULL;
}

/* The stderr thread: logs each line at INFO with the child's origin. */
static void *
read_stderr(void *arg)
{
    gale_mlchild_t *c = arg;
    char buf[4096], line[1024];
    size_t k = 0;
    ssize_t n, i;

    while (wait_readable(c, c->err)) {
        n = read(c->err, buf, sizeof buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            break;
        atomic_store(&c->last_output, gale_now_ns());
        for (i = 0; i < n; i++) {
            if (buf[i] != '\n' && k < sizeof line - 1) {
                line[k++] = buf[i];
                continue;
            }
            line[k] = '\0';
            log_msg(LOG_INFO, c->origin, "stderr: %s", line);
            k = 0;
            if (buf[i] != '\n')
                line[k++] = buf[i];     /* a long line goes out in pieces */
        }
    }
    if (k > 0) {
        line[k] = '\0';
        log_msg(LOG_INFO, c->origin, "stderr: %s", line);
    }
    return NULL;
}

/* The environment for the child: ours, with cfg's additions (PATH is
 * appended to ours, as Storm's ShellProcess does). Caller frees the
 * strings and the array. */
static char **
child_env(char *const *add)
{
    size_t n = 0, na = 0, i, j, k;
    char **env, *eq;

    while (environ[n] != NULL)
        n++;
    while (add != NULL && add[na] != NULL)
        na++;
    env = xcalloc(n + na + 1, sizeof *env);
    for (i = 0; i < n; i++)
        env[i] = xstrdup(environ[i]);
    for (j = 0; j < na; j++) {
        if ((eq = strchr(add[j], '=')) == NULL)
            continue;
        for (k = 0; k < n; k++)
            if (strncmp(env[k], add[j], (size_t)(eq - add[j]) + 1) == 0)
                break;
        if (k < n && strncmp(add[j], "PATH=", 5) == 0) {
            char *p;

            xasprintf(&p, "%s:%s", env[k], eq + 1);
            free(env[k]);
            env[k] = p;
        } else if (k < n) {
            free(env[k]);
            env[k] = xstrdup(add[j]);
        } else {
            env[n++] = xstrdup(add[j]);
        }
    }
    env[n] = NULL;
    return env;
}

gale_mlchild_t *
gale_mlchild_open(const gale_mlchild_cfg_t *cfg, char **cause)
{
    gale_mlchild_t *c = xcalloc(1, sizeof *c);
    int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    pthread_condattr_t ca;
    sigset_t none, dflt;
    char **env = NULL;
    int rc, i;

    c->in = c->out = c->err = -1;
    c->origin = xstrdup(cfg->origin != NULL ? cfg->origin : "multilang");
    c->max_msg = cfg->max_msg ? cfg->max_msg : GALE_ML_MAX_MSG;
    c->max_queued = cfg->max_queued ? cfg->max_queued : GALE_ML_MAX_QUEUED;
    pthread_mutex_init(&c->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&c->cond, &ca);
    pthread_cond_init(&c->room, &ca);
    pthread_condattr_destroy(&ca);
    atomic_init(&c->stop, false);
    atomic_init(&c->writing, false);
    atomic_init(&c->last_output, gale_now_ns());
    if (pipe2(pin, O_CLOEXEC) != 0 || pipe2(pout, O_CLOEXEC) != 0 ||
        pipe2(perr, O_CLOEXEC) != 0) {
        xasprintf(cause, "pipe: %s", strerror(errno));
        goto fail;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
    posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
    posix_spawn_file_actions_adddup2(&fa, perr[1], 2);
    if (cfg->cwd != NULL)
        posix_spawn_file_actions_addchdir_np(&fa, cfg->cwd);
    posix_spawnattr_init(&attr);
    sigemptyset(&none);
    sigemptyset(&dflt);
    sigaddset(&dflt, SIGPIPE);
    sigaddset(&dflt, SIGINT);
    sigaddset(&dflt, SIGTERM);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &dflt);
    /* Its own process group, so that close kills what it started too. */
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
        POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    env = child_env(cfg->env);
    rc = posix_spawnp(&c->pid, cfg->argv[0], &fa, &attr, cfg->argv, env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    for (i = 0; env[i] != NULL; i++)
        free(env[i]);
    free(env);
    if (rc != 0) {
        c->pid = 0;
        xasprintf(cause, "cannot start `%s`%s%s: %s", cfg->argv[0],
            cfg->cwd != NULL ? " in " : "", cfg->cwd != NULL ? cfg->cwd : "",
            strerror(rc));
        goto fail;
    }
    close(pin[0]);
    close(pout[1]);
    close(perr[1]);
    pin[0] = pout[1] = perr[1] = -1;
    c->in = pin[1];
    c->out = pout[0];
    c->err = perr[0];
    fcntl(c->in, F_SETFL, fcntl(c->in, F_GETFL) | O_NONBLOCK);
    if (pthread_create(&c->reader, NULL, read_stdout, c) != 0 ||
        !(c->reader_started = true) ||
        pthread_create(&c->logger, NULL, read_stderr, c) != 0) {
        xasprintf(cause, "cannot start the reader threads");
        goto fail;
    }
    c->logger_started = true;
    return c;
fail:
    for (i = 0; i < 2; i++) {
        if (pin[i] >= 0 && pin[i] != c->in)
            close(pin[i]);
        if (pout[i] >= 0 && pout[i] != c->out)
            close(pout[i]);
        if (perr[i] >= 0 && perr[i] != c->err)
            close(perr[i]);
    }
    gale_mlchild_close(&c);
    return NULL;
}

/* Reaps the child if it has exited; waits up to wait_ms. */
static void
reap(gale_mlchild_t *c, int wait_ms)
{
    uint64_t deadline = gale_now_ns() + (uint64_t)wait_ms * 1000000u;

    while (c->pid != 0) {
        if (waitpid(c->pid, &c->status, WNOHANG) == c->pid) {
            c->pid = -c->pid;           /* reaped: keep the id for messages */
            return;
        }
        if (gale_now_ns() >= deadline)
            return;
        usleep(5000);
    }
}

void
gale_mlchild_close(gale_mlchild_t **cp)
{
    gale_mlchild_t *c;
    item_t *it;

    if (cp == NULL || (c = *cp) == NULL)
        return;
    if (c->pid > 0) {
        kill(-c->pid, SIGKILL);
        kill(c->pid, SIGKILL);
        while (waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR)
            ;
    }
    atomic_store(&c->stop, true);
    if (c->reader_started)
        pthread_join(c->reader, NULL);
    if (c->logger_started)
        pthread_join(c->logger, NULL);
    if (c->in >= 0)
        close(c->in);
    if (c->out >= 0)
        close(c->out);
    if (c->err >= 0)
        close(c->err);
    while ((it = c->head) != NULL) {
        c->head = it->next;
        json_decref(it->msg);
        free(it->cause);
        free(it);
    }
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->cond);
    pthread_cond_destroy(&c->room);
    free(c->origin);
    free(c);
    *cp = NULL;
}

pid_t
gale_mlchild_pid(const gale_mlchild_t *c)
{
    return c->pid < 0 ? -c->pid : c->pid;
}

uint64_t
gale_mlchild_last_output(gale_mlchild_t *c)
{
    return atomic_load(&c->last_output);
}

size_t
gale_mlchild_queued(gale_mlchild_t *c)
{
    size_t n;

    pthread_mutex_lock(&c->lock);
    n = c->nqueued;
    pthread_mutex_unlock(&c->lock);
    return n;
}

int
gale_mlchild_write(gale_mlchild_t *c, const void *p, size_t len,
    int timeout_ms)
{
    uint64_t deadline = gale_now_ns() + (uint64_t)timeout_ms * 1000000u;
    const char *s = p;
    struct pollfd pf = { c->in, POLLOUT, 0 };
    struct timespec zero = { 0, 0 };
    sigset_t pipe_set, old;
    ssize_t n;
    int rc = 0;

    /* A write to a dead child raises SIGPIPE at this thread: block it
     * and take it back, so that only -EPIPE tells. */
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    while (len > 0) {
        n = write(c->in, s, len);
        if (n > 0) {
            s += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EPIPE) {
            rc = -EPIPE;
            sigtimedwait(&pipe_set, NULL, &zero);
            break;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            rc = -errno;
            break;
        }
        if (gale_now_ns() >= deadline) {
            rc = -ETIMEDOUT;
            break;
        }
        if (!atomic_load(&c->writing)) {
            /* Lift the read-ahead bound while we wait: a child blocked
             * writing its stdout reads no stdin until we read. */
            atomic_store(&c->writing, true);
            pthread_mutex_lock(&c->lock);
            pthread_cond_signal(&c->room);
            pthread_mutex_unlock(&c->lock);
        }
        poll(&pf, 1, 100);
    }
    atomic_store(&c->writing, false);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

/* "exited with status N" / "was killed by signal N" / "is still running". */
static void
describe_exit(gale_mlchild_t *c, char *buf, size_t len)
{
    reap(c, 500);
    if (c->pid > 0)
        snprintf(buf, len, "pid %d is still running", (int)c->pid);
    else if (WIFSIGNALED(c->status))
        snprintf(buf, len, "pid %d was killed by signal %d", (int)-c->pid,
            WTERMSIG(c->status));
    else
        snprintf(buf, len, "pid %d exited with status %d", (int)-c->pid,
            WEXITSTATUS(c->status));
}

int
gale_mlchild_read(gale_mlchild_t *c, json_t **msg, int wait_ms, char **cause)
{
    struct timespec ts;
    item_t *it;
    char how[96];
    uint64_t until;
    int rc;

    *msg = NULL;
    pthread_mutex_lock(&c->lock);
    if (c->head == NULL && wait_ms > 0) {
        until = gale_now_ns() + (uint64_t)wait_ms * 1000000u;
        ts.tv_sec = (time_t)(until / 1000000000u);
        ts.tv_nsec = (long)(until % 1000000000u);
        while (c->head == NULL &&
            pthread_cond_timedwait(&c->cond, &c->lock, &ts) == 0)
            ;
    }
    if ((it = c->head) == NULL) {
        pthread_mutex_unlock(&c->lock);
        return 0;
    }
    if (it->msg != NULL) {
        c->head = it->next;
        if (c->head == NULL)
            c->tail = NULL;
        c->nqueued--;
        pthread_cond_signal(&c->room);
    }
    pthread_mutex_unlock(&c->lock);
    if (it->msg != NULL) {
        *msg = it->msg;
        free(it);
        return 1;
    }
    /* An error stays at the head: every later read returns it too. */
    rc = it->err;
    describe_exit(c, how, sizeof how);
    if (rc == -EPIPE)
        xasprintf(cause, "pipe to subprocess seems to be broken: it closed "
            "its stdout (%s)", how);
    else
        xasprintf(cause, "%s (%s)", it->cause != NULL ? it->cause : "?", how);
    return rc;
}
