/* supervisor.c - the supervisor daemon (supervisor.h; the wire is in
 * engine/net/supproto.h). One thread: a zmq_poll loop over the ROUTER
 * that masters talk to, ticking every TICK_MS to reap workers and to
 * register with nimbus. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "common/fs.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "engine/net/netsec.h"
#include "engine/net/nimproto.h"
#include "engine/net/supproto.h"
#include "engine/cluster/supervisor.h"
#include "engine/transport/outlet.h"

extern char **environ;

#define ORIGIN          "supervisor"
#define MAX_FRAMES      80          /* kept of a request, routing id too */
#define MAX_ARGS        64          /* worker arguments of one spawn */
#define MAX_TEXT        8192        /* any frame but FILE */
#define MAX_FILE        (4u << 20)  /* a topology file's text */
#define MAX_NAME        GALE_SUP_MAX_NAME /* a topology's name */
#define MAX_RUNNING     1024        /* worker processes at once */
#define MAX_EXITED      64          /* exited ones still reported */
#define MAX_BATCH       64          /* requests read per wake-up */
#define TICK_MS         100
#define REGISTER_NS     1000000000ull

/* Where a worker process is. */
typedef enum wstate { W_RUNNING, W_EXITED, W_SIGNAL } wstate_t;

/* One worker process started here, running or gone. */
typedef struct entry {
    char topology[MAX_NAME + 1];    /* T */
    int worker;                     /* W */
    uint32_t epoch;                 /* E */
    pid_t pid;                      /* its process (and process group) */
    wstate_t state;
    int status;                     /* exit status or signal, once gone */
    uint64_t gone;                  /* order of going, oldest dropped first */
} entry_t;

/* The daemon. Owned by the thread in gale_supervisor_run. */
typedef struct sup {
    const gale_cluster_t *c;        /* borrowed */
    const gale_cluster_member_t *self; /* in c */
    char *dir;                      /* DIR: supervisor_dir/NAME, absolute */
    char *cluster_path;             /* absolute, for the workers */
    char *exe;                      /* the program workers run */
    bool self_path;                 /* exe is our own file's path */
    char *ep;                       /* where the ROUTER is bound */
    void *zctx;                     /* owned */
    void *router;                   /* masters' requests */
    void *nimbus;                   /* DEALER for registrations */
    entry_t *e;                     /* workers, in start order */
    int n;                          /* entries in e */
    int cap;                        /* slots in e */
    uint64_t ngone;                 /* exits seen (entry_t.gone) */
    uint64_t register_at;           /* next registration (gale_now_ns) */
} sup_t;

/* Frame i of supproto.h's layout is f[FR(i)]: f[0] is the routing id. */
#define FR(i)           (1 + (i))
/* A request's argument k (0 the first). */
#define ARG(k)          FR(GALE_SUP_F_ARG + (k))

/* One request's frames, f[0] the routing id. */
typedef struct req {
    zmq_msg_t f[MAX_FRAMES];        /* the first n, initialised */
    int n;                          /* frames kept */
    int total;                      /* frames the request had */
} req_t;

static volatile sig_atomic_t stop_requested;

static void
on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* Frame i of r as a new string (caller frees), or NULL when r has no
 * frame i, or it is longer than max or holds a NUL. */
static char *
frame_str(req_t *r, int i, size_t max)
{
    size_t len;
    const char *p;

    if (i >= r->n)
        return NULL;
    len = zmq_msg_size(&r->f[i]);
    p = zmq_msg_data(&r->f[i]);
    if (len > max || (len > 0 && memchr(p, '\0', len) != NULL))
        return NULL;
    return xstrndup(p, len);
}

/* Whether s is a decimal number of at most max; *v gets it. */
static bool
parse_num(const char *s, unsigned long long max, unsigned long long *v)
{
    unsigned long long x = 0;

    if (s == NULL || *s == '\0' || strlen(s) > 20)
        return false;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return false;
        if (x > (ULLONG_MAX - (unsigned)(*s - '0')) / 10)
            return false;
        x = x * 10 + (unsigned)(*s - '0');
    }
    if (x > max)
        return false;
    *v = x;
    return true;
}

/* Whether t can name a topology here: it becomes a directory name and a
 * word of ping's items, so letters, digits, '.', '_' and '-' only, not
 * starting with '.'. */
static bool
topology_ok(const char *t)
{
    size_t i, len = t != NULL ? strlen(t) : 0;

    if (len == 0 || len > MAX_NAME || t[0] == '.')
        return false;
    for (i = 0; i < len; i++)
        if (!((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z') ||
            (t[i] >= '0' && t[i] <= '9') || t[i] == '.' || t[i] == '_' ||
            t[i] == '-'))
            return false;
    return true;
}

/* Sends the reply to r: the magic, r's verb and seq (echoed when short, so
 * that even a malformed request's sender can match it), status, text and
 * the nitems items. A reply that cannot be queued is dropped (the ROUTER
 * drops it too when the client is gone). */
static void
send_reply(sup_t *s, req_t *r, const char *status, const char *text,
    char *const *items, int nitems)
{
    const int more = ZMQ_SNDMORE | ZMQ_DONTWAIT;
    int i, k;

    if (r->n < 1)
        return;
    if (zmq_send(s->router, zmq_msg_data(&r->f[0]), zmq_msg_size(&r->f[0]),
        more) < 0)
        return;
    zmq_send(s->router, GALE_SUP_MAGIC, strlen(GALE_SUP_MAGIC), more);
    for (k = FR(GALE_SUP_F_VERB); k <= FR(GALE_SUP_F_SEQ); k++) {
        if (k < r->n && zmq_msg_size(&r->f[k]) <= 32)
            zmq_send(s->router, zmq_msg_data(&r->f[k]),
                zmq_msg_size(&r->f[k]), more);
        else
            zmq_send(s->router, "", 0, more);
    }
    zmq_send(s->router, status, strlen(status), more);
    zmq_send(s->router, text, strlen(text), nitems > 0 ? more : ZMQ_DONTWAIT);
    for (i = 0; i < nitems; i++)
        zmq_send(s->router, items[i], strlen(items[i]),
            i + 1 < nitems ? more : ZMQ_DONTWAIT);
}

static void __attribute__((format(printf, 3, 4)))
reply_error(sup_t *s, req_t *r, const char *fmt, ...)
{
    char *text = NULL;
    va_list ap;

    va_start(ap, fmt);
    xvasprintf(&text, fmt, ap);
    va_end(ap);
    log_msg(LOG_DEBUG, ORIGIN, "refused a request: %s", text);
    send_reply(s, r, GALE_SUP_ERROR, text, NULL, 0);
    free(text);
}

/* The number of running workers. */
static int
running(const sup_t *s)
{
    int i, k = 0;

    for (i = 0; i < s->n; i++)
        k += s->e[i].state == W_RUNNING;
    return k;
}

/* Records how entry x's process ended (st from waitpid) and logs it. */
static void
note_gone(sup_t *s, entry_t *x, int st, const char *how)
{
    if (WIFSIGNALED(st)) {
        x->state = W_SIGNAL;
        x->status = WTERMSIG(st);
    } else {
        x->state = W_EXITED;
        x->status = WIFEXITED(st) ? WEXITSTATUS(st) : 255;
    }
    x->gone = ++s->ngone;
    log_msg(x->state == W_EXITED && x->status == 0 ? LOG_INFO : LOG_WARN,
        ORIGIN, "%s topology=%s worker=%d epoch=%u pid=%d: %s %d", how,
        x->topology, x->worker, x->epoch, (int)x->pid,
        x->state == W_EXITED ? "exit status" : "signal", x->status);
}

/* SIGKILLs entry x's process group and process (the group: a worker's own
 * children go too). */
static void
kill_entry(const entry_t *x)
{
    kill(-x->pid, SIGKILL);
    kill(x->pid, SIGKILL);
}

/* Waits for entry x's process, which was sent SIGKILL. */
static void
wait_entry(sup_t *s, entry_t *x, const char *how)
{
    int st = 0;
    pid_t r;

    do
        r = waitpid(x->pid, &st, 0);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        st = 0xff00;        /* already gone (ECHILD): report exit 255 */
    note_gone(s, x, st, how);
}

/* Whether entry x is topology t's of an epoch below 'below', or worker w's
 * (w >= 0) of any epoch. */
static bool
matches(const entry_t *x, const char *t, uint64_t below, int w)
{
    return strcmp(x->topology, t) == 0 &&
        ((uint64_t)x->epoch < below || x->worker == w);
}

/* SIGKILLs and reaps the running workers that match (t, below, w), then
 * drops every matching entry, running or gone. Returns how many were
 * running. */
static int
kill_matching(sup_t *s, const char *t, uint64_t below, int w, const char *how)
{
    int i, k, killed = 0;

    for (i = 0; i < s->n; i++)
        if (s->e[i].state == W_RUNNING && matches(&s->e[i], t, below, w)) {
            kill_entry(&s->e[i]);
            killed++;
        }
    for (i = 0; i < s->n; i++)
        if (s->e[i].state == W_RUNNING && matches(&s->e[i], t, below, w))
            wait_entry(s, &s->e[i], how);
    for (i = k = 0; i < s->n; i++)
        if (!matches(&s->e[i], t, below, w))
            s->e[k++] = s->e[i];
    s->n = k;
    return killed;
}

/* Drops the entries of exited workers beyond MAX_EXITED, oldest first. */
static void
trim_exited(sup_t *s)
{
    int i, k, oldest, nexited = 0;

    for (i = 0; i < s->n; i++)
        nexited += s->e[i].state != W_RUNNING;
    while (nexited > MAX_EXITED) {
        oldest = -1;
        for (i = 0; i < s->n; i++)
            if (s->e[i].state != W_RUNNING &&
                (oldest < 0 || s->e[i].gone < s->e[oldest].gone))
                oldest = i;
        for (k = oldest; k + 1 < s->n; k++)
            s->e[k] = s->e[k + 1];
        s->n--;
        nexited--;
    }
}

/* Notices workers that ended by themselves. */
static void
reap(sup_t *s)
{
    int i, st;
    pid_t r;

    for (i = 0; i < s->n; i++) {
        if (s->e[i].state != W_RUNNING)
            continue;
        r = waitpid(s->e[i].pid, &st, WNOHANG);
        if (r == s->e[i].pid)
            note_gone(s, &s->e[i], st, "worker ended");
        else if (r < 0 && errno == ECHILD)
            note_gone(s, &s->e[i], 0xff00, "worker lost");
    }
    trim_exited(s);
}

/* ping -> ok "name=N pid=P workers=K" and one item per entry. */
static void
do_ping(sup_t *s, req_t *r)
{
    char **items, *text;
    int i;

    if (r->total != FR(GALE_SUP_PING_FRAMES)) {
        reply_error(s, r, "ping takes no arguments");
        return;
    }
    items = xcalloc((size_t)s->n + 1, sizeof *items);
    for (i = 0; i < s->n; i++) {
        const entry_t *x = &s->e[i];
        gale_sup_worker_t w = {
            .worker = x->worker, .epoch = x->epoch, .pid = (int)x->pid,
            .exited = x->state == W_RUNNING ? 0 : x->state == W_EXITED ? 1 : 2,
            .status = x->status,
        };

        snprintf(w.topology, sizeof w.topology, "%s", x->topology);
        items[i] = gale_supproto_worker_format(&w);
    }
    text = gale_supproto_ping_format(s->self->name, (int)getpid(), running(s));
    send_reply(s, r, GALE_SUP_OK, text, items, s->n);
    for (i = 0; i < s->n; i++)
        free(items[i]);
    free(items);
    free(text);
}

/* kill T E -> ok "killed=K". */
static void
do_kill(sup_t *s, req_t *r)
{
    unsigned long long e;
    char *t = frame_str(r, ARG(0), MAX_TEXT);
    char *etxt = frame_str(r, ARG(1), MAX_TEXT);
    char text[32];
    int killed;

    if (r->total != FR(GALE_SUP_KILL_FRAMES))
        reply_error(s, r, "kill takes TOPOLOGY EPOCH");
    else if (!topology_ok(t))
        reply_error(s, r, "kill: bad topology name");
    else if (!parse_num(etxt, UINT32_MAX, &e))
        reply_error(s, r, "kill: EPOCH must be a number");
    else {
        killed = kill_matching(s, t, e == 0 ? UINT64_MAX : e + 1, -1,
            "killed");
        log_msg(LOG_INFO, ORIGIN, "kill topology=%s epoch<=%llu: %d killed",
            t, e, killed);
        gale_supproto_killed_format(text, sizeof text, killed);
        send_reply(s, r, GALE_SUP_OK, text, NULL, 0);
    }
    free(t);
    free(etxt);
}

/* The workers' environment: ours without GALE_WORKER_SPEC, then spec.
 * The array is the caller's to free, its strings are borrowed. */
static char **
worker_env(char *spec)
{
    size_t n = 0, i, k = 0;
    char **env;

    while (environ[n] != NULL)
        n++;
    env = xcalloc(n + 2, sizeof *env);
    for (i = 0; i < n; i++)
        if (strncmp(environ[i], "GALE_WORKER_SPEC=", 17) != 0)
            env[k++] = environ[i];
    env[k++] = spec;
    env[k] = NULL;
    return env;
}

/* The program to run as a worker: s->exe when it is there, else (gale
 * removed) the file this process runs. Caller frees. */
static char *
worker_exe(const sup_t *s)
{
    if (s->self_path && access(s->exe, X_OK) != 0)
        return xstrdup("/proc/self/exe");
    return xstrdup(s->exe);
}

/* Starts `EXE worker FILE ARG...` for entry x in cwd with output to
 * logfd. 0 with x->pid, or an errno value. */
static int
start_worker(const char *exe, sup_t *s, entry_t *x, const char *file,
    const char *cwd, const char *spec, char **args, int nargs, int logfd)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, dflt;
    char **argv, **env, *envspec;
    int i, rc;

    argv = xcalloc((size_t)nargs + 4, sizeof *argv);
    argv[0] = (char *)exe;
    argv[1] = (char *)"worker";
    argv[2] = (char *)file;
    for (i = 0; i < nargs; i++)
        argv[3 + i] = args[i];
    xasprintf(&envspec, "GALE_WORKER_SPEC=%s;cluster=%s;self=%s", spec,
        s->cluster_path, s->self->name);
    env = worker_env(envspec);

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, logfd, 1);
    posix_spawn_file_actions_adddup2(&fa, logfd, 2);
    posix_spawn_file_actions_addchdir_np(&fa, cwd);
    posix_spawnattr_init(&attr);
    sigemptyset(&none);
    sigemptyset(&dflt);
    sigaddset(&dflt, SIGINT);
    sigaddset(&dflt, SIGTERM);
    sigaddset(&dflt, SIGPIPE);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &dflt);
    /* Its own process group: a kill takes what the worker started too,
     * and a Ctrl-C at the supervisor's terminal is the supervisor's. */
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
        POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    rc = posix_spawn(&x->pid, exe, &fa, &attr, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    free(env);
    free(envspec);
    free(argv);
    return rc;
}

/* Whether path is a directory. */
static bool
is_dir(const char *path)
{
    struct stat st;

    return path[0] != '\0' && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* spawn T W E CWD FILE SPEC ARG... -> ok "pid=P". */
static void
do_spawn(sup_t *s, req_t *r)
{
    unsigned long long w, e;
    char *t = frame_str(r, ARG(0), MAX_TEXT);
    char *wtxt = frame_str(r, ARG(1), MAX_TEXT);
    char *etxt = frame_str(r, ARG(2), MAX_TEXT);
    char *cwd = frame_str(r, ARG(3), PATH_MAX);
    char *file = frame_str(r, ARG(4), MAX_FILE);
    char *spec = frame_str(r, ARG(5), MAX_TEXT);
    char *tdir = NULL, *cfg = NULL, *logpath = NULL, *why = NULL;
    char *exe = NULL;
    char **args = NULL, text[32];
    int nargs = r->total - FR(GALE_SUP_SPAWN_FRAMES), i, rc, logfd = -1;
    entry_t x;

    if (nargs < 0) {
        reply_error(s, r, "spawn takes TOPOLOGY WORKER EPOCH CWD FILE SPEC "
            "ARG...");
        goto out;
    }
    if (nargs > MAX_ARGS) {
        reply_error(s, r, "spawn: more than %d worker arguments", MAX_ARGS);
        goto out;
    }
    if (!topology_ok(t)) {
        reply_error(s, r, "spawn: bad topology name (letters, digits, '.', "
            "'_' and '-')");
        goto out;
    }
    if (!parse_num(wtxt, 65535, &w) || !parse_num(etxt, UINT32_MAX, &e)) {
        reply_error(s, r, "spawn: WORKER and EPOCH must be numbers");
        goto out;
    }
    if (cwd == NULL || file == NULL || spec == NULL) {
        reply_error(s, r, "spawn: %s is too long or holds a NUL",
            cwd == NULL ? "CWD" : file == NULL ? "FILE" : "SPEC");
        goto out;
    }
    args = xcalloc((size_t)nargs + 1, sizeof *args);
    for (i = 0; i < nargs; i++)
        if ((args[i] = frame_str(r, FR(GALE_SUP_SPAWN_FRAMES) + i,
            MAX_TEXT)) == NULL) {
            reply_error(s, r, "spawn: argument %d is too long or holds a "
                "NUL", i + 1);
            goto out;
        }

    /* The old epochs and this worker's previous process go first. */
    kill_matching(s, t, e, (int)w, "replaced");
    if (running(s) >= MAX_RUNNING) {
        reply_error(s, r, "spawn: already %d workers here", MAX_RUNNING);
        goto out;
    }
    xasprintf(&tdir, "%s/%s", s->dir, t);
    xasprintf(&cfg, "%s/topology.cfg", tdir);
    xasprintf(&logpath, "%s/worker-%llu.log", tdir, w);
    if ((rc = gale_mkdir_p(tdir)) != 0 ||
        (rc = gale_write_atomic(tdir, cfg, file, strlen(file))) != 0) {
        xasprintf(&why, "%s: %s", rc != 0 && !is_dir(tdir) ? tdir : cfg,
            strerror(-rc));
        goto fail;
    }
    if ((logfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
        0644)) < 0) {
        xasprintf(&why, "%s: %s", logpath, strerror(errno));
        goto fail;
    }
    memset(&x, 0, sizeof x);
    snprintf(x.topology, sizeof x.topology, "%s", t);
    x.worker = (int)w;
    x.epoch = (uint32_t)e;
    x.state = W_RUNNING;
    dprintf(logfd, "--- gale supervisor %s: worker %llu of %s, epoch %llu "
        "(at %lld)\n", s->self->name, w, t, e, (long long)time(NULL));
    if (!is_dir(cwd))
        cwd[0] = '\0';
    exe = worker_exe(s);
    if ((rc = start_worker(exe, s, &x, cfg, cwd[0] != '\0' ? cwd : tdir,
        spec, args, nargs, logfd)) != 0) {
        xasprintf(&why, "cannot start %s in %s: %s", exe,
            cwd[0] != '\0' ? cwd : tdir, strerror(rc));
        goto fail;
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 16;
        s->e = xreallocarray(s->e, (size_t)s->cap, sizeof *s->e);
    }
    s->e[s->n++] = x;
    log_msg(LOG_INFO, ORIGIN, "spawned topology=%s worker=%d epoch=%u "
        "pid=%d", x.topology, x.worker, x.epoch, (int)x.pid);
    gale_supproto_spawned_format(text, sizeof text, (int)x.pid);
    send_reply(s, r, GALE_SUP_OK, text, NULL, 0);
    goto out;
fail:
    log_msg(LOG_ERROR, ORIGIN, "spawn topology=%s worker=%llu epoch=%llu: %s",
        t, w, e, why);
    reply_error(s, r, "spawn: %s", why);
out:
    if (logfd >= 0)
        close(logfd);
    for (i = 0; args != NULL && i < nargs; i++)
        free(args[i]);
    free(args);
    free(why);
    free(exe);
    free(logpath);
    free(cfg);
    free(tdir);
    free(t);
    free(wtxt);
    free(etxt);
    free(cwd);
    free(file);
    free(spec);
}

/* Whether frame i of r is a decimal number of 1 to 20 digits. */
static bool
frame_is_num(req_t *r, int i)
{
    const char *p = zmq_msg_data(&r->f[i]);
    size_t k, len = zmq_msg_size(&r->f[i]);

    if (len == 0 || len > 20)
        return false;
    for (k = 0; k < len; k++)
        if (p[k] < '0' || p[k] > '9')
            return false;
    return true;
}

/* Answers request r. */
static void
handle(sup_t *s, req_t *r)
{
    const size_t mlen = strlen(GALE_SUP_MAGIC);
    char *verb = frame_str(r, FR(GALE_SUP_F_VERB), 32);

    if (r->n < FR(1) || zmq_msg_size(&r->f[FR(GALE_SUP_F_MAGIC)]) != mlen ||
        memcmp(zmq_msg_data(&r->f[FR(GALE_SUP_F_MAGIC)]), GALE_SUP_MAGIC,
        mlen) != 0)
        reply_error(s, r, "not a " GALE_SUP_MAGIC " request");
    else if (r->n < FR(GALE_SUP_F_ARG))
        reply_error(s, r, "a request is " GALE_SUP_MAGIC " VERB SEQ ARG...");
    else if (r->total > MAX_FRAMES)
        reply_error(s, r, "too many frames (%d)", r->total);
    else if (!frame_is_num(r, FR(GALE_SUP_F_SEQ)))
        reply_error(s, r, "SEQ must be a number");
    else if (verb != NULL && strcmp(verb, GALE_SUP_PING) == 0)
        do_ping(s, r);
    else if (verb != NULL && strcmp(verb, GALE_SUP_SPAWN) == 0)
        do_spawn(s, r);
    else if (verb != NULL && strcmp(verb, GALE_SUP_KILL) == 0)
        do_kill(s, r);
    else
        reply_error(s, r, "unknown verb");
    free(verb);
}

/* Reads one request into r (frames beyond MAX_FRAMES are counted and
 * dropped). false when none is waiting. */
static bool
read_request(sup_t *s, req_t *r)
{
    zmq_msg_t extra;
    int more = 1;

    r->n = r->total = 0;
    while (more) {
        zmq_msg_t *m = r->n < MAX_FRAMES ? &r->f[r->n] : &extra;

        zmq_msg_init(m);
        if (zmq_msg_recv(m, s->router, r->total == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close(m);
            break;
        }
        more = zmq_msg_more(m);
        r->total++;
        if (m == &extra)
            zmq_msg_close(m);
        else
            r->n++;
    }
    return r->total > 0;
}

static void
req_clear(req_t *r)
{
    int i;

    for (i = 0; i < r->n; i++)
        zmq_msg_close(&r->f[i]);
    r->n = r->total = 0;
}

/* Tells nimbus this host is here, if the message can go now. */
static void
register_nimbus(sup_t *s)
{
    const int more = ZMQ_SNDMORE | ZMQ_DONTWAIT;
    gale_nim_register_t reg = {
        .name = s->self->name, .host = s->self->host, .port = s->self->port,
        .pid = (int)getpid(), .workers = running(s),
    };
    gale_nim_register_buf_t buf;
    const char *f[GALE_NIM_REGISTER_FRAMES];
    int i;

    if (s->nimbus == NULL)
        return;
    gale_nimproto_register_frames(&reg, &buf, f);
    /* Once the first frame is queued the others are too. */
    if (zmq_send(s->nimbus, f[0], strlen(f[0]), more) < 0)
        return;
    for (i = 1; i < GALE_NIM_REGISTER_FRAMES; i++)
        zmq_send(s->nimbus, f[i], strlen(f[i]),
            i + 1 < GALE_NIM_REGISTER_FRAMES ? more : ZMQ_DONTWAIT);
}

/* Reads and drops whatever nimbus sent (nothing is expected). */
static void
drain_nimbus(sup_t *s)
{
    zmq_msg_t m;

    if (s->nimbus == NULL)
        return;
    for (;;) {
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s->nimbus, ZMQ_DONTWAIT) < 0)
            break;
        zmq_msg_close(&m);
    }
    zmq_msg_close(&m);
}

/* Makes and binds the ROUTER and connects the nimbus DEALER. 0 or -errno
 * with *cause. */
static int
open_sockets(sup_t *s, char **cause)
{
    int64_t maxmsg = 2 * (int64_t)MAX_FILE;
    int zero = 0, one = 1, hwm = 2, rc;
    char *nep;

    s->router = zmq_socket(s->zctx, ZMQ_ROUTER);
    s->nimbus = zmq_socket(s->zctx, ZMQ_DEALER);
    if (s->router == NULL || s->nimbus == NULL) {
        rc = -errno;
        xasprintf(cause, "zmq_socket: %s", zmq_strerror(errno));
        return rc;
    }
    zmq_setsockopt(s->router, ZMQ_LINGER, &zero, sizeof zero);
    /* A frame past this drops the connection; below it, a too long frame
     * gets an error reply. */
    zmq_setsockopt(s->router, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    s->ep = gale_cluster_endpoint(s->self);
    if (gale_netsec_bind(s->zctx, s->router, s->ep) != 0) {
        rc = -errno;
        xasprintf(cause, "cannot listen on %s: %s", s->ep, zmq_strerror(errno));
        return rc;
    }
    /* Registrations are only worth sending now: none queue while nimbus is
     * away, and none linger at exit. */
    zmq_setsockopt(s->nimbus, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s->nimbus, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s->nimbus, ZMQ_IMMEDIATE, &one, sizeof one);
    nep = gale_cluster_endpoint(&s->c->nimbus);
    rc = gale_netsec_connect(s->nimbus, nep, s->c->nimbus.key);
    if (rc != 0) {
        rc = -errno;
        xasprintf(cause, "cannot connect to nimbus at %s: %s", nep,
            zmq_strerror(errno));
    }
    free(nep);
    return rc;
}

/* Kills and reaps every running worker (the daemon is stopping). */
static void
kill_all(sup_t *s)
{
    int i;

    for (i = 0; i < s->n; i++)
        if (s->e[i].state == W_RUNNING)
            kill_entry(&s->e[i]);
    for (i = 0; i < s->n; i++)
        if (s->e[i].state == W_RUNNING)
            wait_entry(s, &s->e[i], "killed at stop");
}

/* The daemon's loop, until a stop signal. */
static void
serve(sup_t *s)
{
    zmq_pollitem_t items[2];
    uint64_t now;
    req_t *r = xcalloc(1, sizeof *r);
    int k;

    while (!stop_requested) {
        items[0] = (zmq_pollitem_t){ s->router, 0, ZMQ_POLLIN, 0 };
        items[1] = (zmq_pollitem_t){ s->nimbus, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll(items, 2, TICK_MS) < 0 && errno != EINTR) {
            log_msg(LOG_ERROR, ORIGIN, "zmq_poll: %s", zmq_strerror(errno));
            break;
        }
        for (k = 0; k < MAX_BATCH && read_request(s, r); k++) {
            handle(s, r);
            req_clear(r);
        }
        drain_nimbus(s);
        reap(s);
        now = gale_now_ns();
        if (now >= s->register_at) {
            register_nimbus(s);
            s->register_at = now + REGISTER_NS;
        }
    }
    free(r);
}

/* Takes the absolute form of cluster_path and makes DIR. 0 or -errno
 * with *cause. */
static int
prepare_paths(sup_t *s, const char *cluster_path, char **cause)
{
    char *dir;
    int rc;

    if ((s->cluster_path = realpath(cluster_path, NULL)) == NULL) {
        rc = -errno;
        xasprintf(cause, "%s: %s", cluster_path, strerror(errno));
        return rc;
    }
    xasprintf(&dir, "%s/%s", s->c->supervisor_dir, s->self->name);
    if ((rc = gale_mkdir_p(dir)) != 0 ||
        (s->dir = realpath(dir, NULL)) == NULL) {
        rc = rc != 0 ? rc : -errno;
        xasprintf(cause, "%s: %s", dir, strerror(-rc));
    }
    free(dir);
    return rc;
}

int
gale_supervisor_run(const gale_cluster_t *c, const char *name,
    const char *cluster_path, const char *exe, char **cause)
{
    struct sigaction sa, old_term, old_int;
    sup_t s = { .c = c };
    char *why = NULL;
    int rc;

    if ((s.self = gale_cluster_sup(c, name)) == NULL) {
        xasprintf(&why, "%s lists no supervisor `%s`", c->path, name);
        rc = -ENOENT;
        goto fail;
    }
    if (exe != NULL) {
        s.exe = xstrdup(exe);
    } else {
        /* By path, read now: after an upgrade in place (a new file at
         * the path) the next workers run the new gale, as the next
         * masters do. */
        s.exe = realpath("/proc/self/exe", NULL);
        s.self_path = s.exe != NULL;
        if (s.exe == NULL)
            s.exe = xstrdup("/proc/self/exe");
    }
    if ((rc = prepare_paths(&s, cluster_path, &why)) != 0 ||
        (rc = gale_netsec_init(c, s.self->key, &why)) != 0)
        goto fail;
    if ((s.zctx = zmq_ctx_new()) == NULL) {
        rc = -errno;
        xasprintf(&why, "zmq_ctx_new: %s", zmq_strerror(errno));
        goto fail;
    }
    if ((rc = gale_netsec_start(s.zctx, &why)) != 0 ||
        (rc = open_sockets(&s, &why)) != 0)
        goto fail;

    stop_requested = 0;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGINT, &sa, &old_int);
    log_msg(LOG_INFO, ORIGIN, "%s listening on %s (security %s), pid %d, "
        "files in %s", s.self->name, s.ep,
        gale_security_mode_name(c->security), (int)getpid(), s.dir);
    serve(&s);
    kill_all(&s);
    log_msg(LOG_INFO, ORIGIN, "%s stopped", s.self->name);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGINT, &old_int, NULL);
    rc = 0;
fail:
    if (s.router != NULL)
        zmq_close(s.router);
    if (s.nimbus != NULL)
        zmq_close(s.nimbus);
    if (s.zctx != NULL) {
        gale_netsec_stop(s.zctx);
        zmq_ctx_term(s.zctx);
    }
    if (rc != 0) {
        if (cause != NULL)
            *cause = why;
        else
            free(why);
    }
    free(s.e);
    free(s.ep);
    free(s.exe);
    free(s.dir);
    free(s.cluster_path);
    return rc;
}
