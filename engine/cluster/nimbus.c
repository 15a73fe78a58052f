/* nimbus.c - the cluster's coordinator daemon (see nimbus.h).
 *
 * One thread. Its loop polls the ROUTER and the requests it forwarded to
 * masters' consoles (one REQ socket each, so that a long rebalance of one
 * topology never holds up the others), then does the periodic work: reap
 * masters that exited, check adopted ones, start the restarts that are
 * due, ask every master for its status, log new ZAP refusals.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "common/fs.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "engine/cluster/netsec.h"
#include "engine/cluster/nimbus.h"
#include "engine/cluster/nimmaster.h"
#include "engine/cluster/nimrecord.h"
#include "engine/console.h"
#include "topology/topology.h"

#define TICK_MS 200             /* the loop's poll timeout */
#define STATUS_EVERY_MS 2000    /* a master's status is asked this often */
#define STATUS_FRESH_MS 6000    /* an answer older than this is stale */
#define STARTING_MS 30000       /* no answer yet: STARTING for this long */
#define QUICK_MS 5000           /* activate, deactivate, kill */
#define REBALANCE_MS (30 * 60 * 1000)
#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS 30000
#define STABLE_MS 60000         /* a master that ran this long starts over */
#define KILL_GRACE_MS 300000    /* killed, still there after SECS + this:
                                   SIGTERM; a minute later SIGKILL */
#define MAX_FRAMES 1024         /* frames of a request */
#define MAX_MSG (64 << 20)      /* bytes of one frame */
#define MS (UINT64_C(1000000))  /* ns per ms */

/* A topology nimbus holds. */
typedef struct topo {
    gale_nimrec_t *rec;         /* owned; what its record file says */
    char *cfg;                  /* owned; ROOT/topologies/NAME/topology.cfg */
    bool child;                 /* rec->pid is our child; else adopted */
    uint64_t started_ns;        /* its master's start or adoption */
    uint64_t restart_at;        /* a restart is due then (ns); 0: none */
    int backoff_ms;             /* the delay of the next restart */
    uint64_t term_at;           /* killing: signal the master then; 0 none */
    int term_sent;              /* 0, 1 (SIGTERM sent), 2 (SIGKILL sent) */
    char status[24];            /* its console's last status word, or "" */
    unsigned long tasks;        /* from that status */
    int workers;                /* from that status */
    uint64_t status_ns;         /* when it was read */
    uint64_t poll_ns;           /* when a status was last asked */
    bool polling;               /* a status request is in flight */
} topo_t;

/* A request forwarded to a master's console. */
typedef struct fwd {
    void *sock;                 /* owned REQ socket */
    char *name;                 /* owned; the topology */
    char *verb;                 /* owned; for replies and the log */
    char *spec;                 /* owned; rebalance's spec, else NULL */
    void *route;                /* owned; the client's routing id; NULL for
                                   a status poll */
    size_t routelen;
    bool envelope;              /* the client is a REQ: echo the delimiter */
    int timeout_ms;             /* for the error message */
    uint64_t deadline;          /* ns */
} fwd_t;

/* A supervisor that registered. */
typedef struct sup {
    char *name;                 /* owned */
    char *host;                 /* owned */
    int port;
    int pid;
    int workers;
    uint64_t seen_ns;           /* its last register */
    bool alive;                 /* heard within the cluster's timeout */
} sup_t;

/* A request read from the ROUTER. Frames after the envelope, NUL added. */
typedef struct req {
    void *route;                /* owned */
    size_t routelen;
    bool envelope;
    char **f;                   /* owned; f[0] magic, f[1] verb, args */
    size_t *flen;
    size_t nf;
} req_t;

typedef struct nimbus {
    const gale_cluster_t *c;    /* borrowed */
    const gale_nimbus_opts_t *o;/* borrowed */
    char *root;                 /* owned; the record's root, absolute */
    char *exe;                  /* owned; the gale binary */
    char *ep;                   /* owned; where the ROUTER listens */
    void *zctx;                 /* owned */
    void *router;               /* owned */
    bool zap;                   /* gale_netsec_start ran */
    bool listening;             /* the ROUTER was bound */
    topo_t **topos;             /* owned */
    size_t ntopos;
    fwd_t **fwds;               /* owned */
    size_t nfwds;
    sup_t *sups;                /* owned */
    size_t nsups;
    char **unknown;             /* owned; unlisted supervisors, logged once */
    size_t nunknown;
    uint64_t refused;           /* ZAP refusals logged so far */
    uint64_t next_check;        /* adopted masters are checked then (ns) */
} nimbus_t;

static uint64_t
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- topologies ----------------------------------------------------- */

static topo_t *
topo_find(const nimbus_t *n, const char *name)
{
    size_t i;

    for (i = 0; i < n->ntopos; i++)
        if (strcmp(n->topos[i]->rec->name, name) == 0)
            return n->topos[i];
    return NULL;
}

/* Takes rec into the table. */
static topo_t *
topo_add(nimbus_t *n, gale_nimrec_t *rec)
{
    topo_t *t = xcalloc(1, sizeof *t);
    char *dir = gale_nimrec_dir(n->root, rec->name);

    t->rec = rec;
    xasprintf(&t->cfg, "%s/topology.cfg", dir);
    free(dir);
    t->backoff_ms = BACKOFF_FIRST_MS;
    n->topos = xreallocarray(n->topos, n->ntopos + 1, sizeof *n->topos);
    n->topos[n->ntopos++] = t;
    return t;
}

static void
topo_free(topo_t *t)
{
    gale_nimrec_free(&t->rec);
    free(t->cfg);
    free(t);
}

/* Removes t from the table and its record from disk. */
static void
topo_remove(nimbus_t *n, topo_t *t)
{
    size_t i;
    int rc;

    if ((rc = gale_nimrec_remove(n->root, t->rec->name)) != 0)
        log_error("nimbus: %s: cannot remove its record: %s", t->rec->name,
            strerror(-rc));
    for (i = 0; i < n->ntopos; i++)
        if (n->topos[i] == t) {
            memmove(n->topos + i, n->topos + i + 1,
                (n->ntopos - i - 1) * sizeof *n->topos);
            n->ntopos--;
            break;
        }
    topo_free(t);
}

/* Writes t's record; a failure is logged (the record on disk stays the
 * previous one, which a restarted nimbus copes with). */
static void
topo_save(nimbus_t *n, topo_t *t)
{
    int rc;

    if ((rc = gale_nimrec_save(n->root, t->rec)) != 0)
        log_error("nimbus: %s: cannot write its record: %s", t->rec->name,
            strerror(-rc));
}

/* The lowest slot no live topology holds, or -1 when the ports run out. */
static int
free_slot(const nimbus_t *n)
{
    int k;
    size_t i;

    for (k = 0;; k++) {
        if (n->c->ports_per_topology > 0 &&
            (long)n->c->ports_first + (long)(k + 1) *
            n->c->ports_per_topology > 65536)
            return -1;
        for (i = 0; i < n->ntopos; i++)
            if (gale_nimrec_live(n->topos[i]->rec->status) &&
                n->topos[i]->rec->slot == k)
                break;
        if (i == n->ntopos)
            return k;
    }
}

/* Schedules t's next master start after its backoff. */
static void
schedule_restart(topo_t *t, uint64_t now)
{
    if (t->started_ns != 0 && now - t->started_ns >= STABLE_MS * MS)
        t->backoff_ms = BACKOFF_FIRST_MS;
    t->restart_at = now + (uint64_t)t->backoff_ms * MS;
    log_info("nimbus: %s: restarting its master in %d s", t->rec->name,
        t->backoff_ms / 1000);
    t->backoff_ms = t->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
        t->backoff_ms * 2;
}

/* Starts t's master and records its pid. 0, or -errno (logged; a restart
 * is scheduled). */
static int
start_master(nimbus_t *n, topo_t *t)
{
    gale_nimmaster_spec_t s = { 0 };
    char *dir = gale_nimrec_dir(n->root, t->rec->name), *log = NULL;
    char *cause = NULL;
    pid_t pid;
    int rc;

    xasprintf(&log, "%s/master.log", dir);
    s.exe = n->exe;
    s.cfg = t->cfg;
    s.cluster = n->o->local_masters ? NULL : n->o->cluster_path;
    s.slot = t->rec->slot;
    s.args = t->rec->args;
    s.nargs = t->rec->nargs;
    s.cwd = t->rec->cwd;
    s.log = log;
    t->restart_at = 0;
    t->status[0] = '\0';
    t->status_ns = 0;
    t->poll_ns = 0;
    t->started_ns = now_ns();
    if ((rc = gale_nimmaster_spawn(&s, &pid, &cause)) != 0) {
        log_error("nimbus: %s: %s", t->rec->name, cause);
        t->rec->pid = 0;
        schedule_restart(t, t->started_ns);
    } else {
        t->rec->pid = (int)pid;
        t->child = true;
        log_info("nimbus: %s: master started, pid %d (slot %d, log %s)",
            t->rec->name, (int)pid, t->rec->slot, log);
    }
    topo_save(n, t);
    free(cause);
    free(log);
    free(dir);
    return rc;
}

/* t's master is gone: how is a wait status (child), or -1 when it was
 * adopted and vanished (its status is unknown). Decides what follows.
 * Returns true when t was removed (a killed topology). */
static bool
master_gone(nimbus_t *n, topo_t *t, int how)
{
    const char *name = t->rec->name;
    int pid = t->rec->pid;

    if (how == -1)
        log_warn("nimbus: %s: adopted master pid %d is gone (its exit status "
            "is unknown)", name, pid);
    else if (WIFEXITED(how))
        log_info("nimbus: %s: master pid %d exited with status %d", name, pid,
            WEXITSTATUS(how));
    else
        log_warn("nimbus: %s: master pid %d was killed by signal %d", name, pid,
            WIFSIGNALED(how) ? WTERMSIG(how) : 0);
    t->rec->pid = 0;
    t->child = false;
    t->status[0] = '\0';
    if (t->rec->status == GALE_NIMREC_KILLING) {
        log_info("nimbus: %s: killed; its record is removed", name);
        topo_remove(n, t);
        return true;
    }
    if (how != -1 && WIFEXITED(how) && WEXITSTATUS(how) == 0) {
        t->rec->status = GALE_NIMREC_FINISHED;
        log_info("nimbus: %s: finished", name);
    } else if (how != -1 && WIFEXITED(how) && WEXITSTATUS(how) == 2) {
        /* gale run's "bad input": starting it again would not help. */
        t->rec->status = GALE_NIMREC_FAILED;
        log_error("nimbus: %s: failed: its master refused its input (see "
            "master.log); not restarted", name);
    } else {
        schedule_restart(t, now_ns());
    }
    topo_save(n, t);
    return false;
}

/* Reaps the masters that exited. */
static void
reap(nimbus_t *n)
{
    size_t i;
    pid_t pid;
    int st;

    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
        for (i = 0; i < n->ntopos; i++)
            if (n->topos[i]->child && n->topos[i]->rec->pid == (int)pid)
                break;
        if (i < n->ntopos)
            master_gone(n, n->topos[i], st);
    }
}

/* Checks adopted masters (not our children: no exit status reaches us)
 * and killed ones that overstay; starts the restarts that are due. */
static void
check_masters(nimbus_t *n, uint64_t now)
{
    size_t i = 0;

    while (i < n->ntopos) {
        topo_t *t = n->topos[i];

        if (t->rec->pid != 0 && !t->child &&
            !gale_nimmaster_is(t->rec->pid, t->cfg) &&
            master_gone(n, t, -1))
            continue;               /* removed: i is the next one */
        if (t->rec->status == GALE_NIMREC_KILLING && t->rec->pid != 0 &&
            t->term_at != 0 && now >= t->term_at && t->term_sent < 2) {
            log_warn("nimbus: %s: killed master pid %d is still running: %s",
                t->rec->name, t->rec->pid, t->term_sent ? "SIGKILL" : "SIGTERM");
            kill(t->rec->pid, t->term_sent ? SIGKILL : SIGTERM);
            t->term_sent++;
            t->term_at = now + 60000 * MS;
        }
        if (t->restart_at != 0 && now >= t->restart_at &&
            t->rec->status == GALE_NIMREC_ACTIVE) {
            t->rec->restarts++;
            start_master(n, t);
        }
        i++;
    }
}

/* ---- replies -------------------------------------------------------- */

/* Sends a reply to route: magic, "ok"/"error", text, items. Never blocks:
 * a client that went away loses it. */
static void
send_reply(nimbus_t *n, const void *route, size_t routelen, bool envelope,
    bool ok, const char *text, char *const *items, size_t nitems)
{
    size_t i;
    int more = ZMQ_SNDMORE | ZMQ_DONTWAIT;

    if (zmq_send(n->router, route, routelen, more) < 0)
        return;
    if (envelope)
        zmq_send(n->router, "", 0, more);
    zmq_send(n->router, GALE_NIMBUS_MAGIC, strlen(GALE_NIMBUS_MAGIC), more);
    zmq_send(n->router, ok ? "ok" : "error", ok ? 2 : 5, more);
    zmq_send(n->router, text, strlen(text), nitems > 0 ? more : ZMQ_DONTWAIT);
    for (i = 0; i < nitems; i++)
        zmq_send(n->router, items[i], strlen(items[i]),
            i + 1 < nitems ? more : ZMQ_DONTWAIT);
}

/* Replies to q with a formatted text and no items. */
static void __attribute__((format(printf, 4, 5)))
reply(nimbus_t *n, const req_t *q, bool ok, const char *fmt, ...)
{
    va_list ap;
    char *text;

    va_start(ap, fmt);
    xvasprintf(&text, fmt, ap);
    va_end(ap);
    send_reply(n, q->route, q->routelen, q->envelope, ok, text, NULL, 0);
    free(text);
}

/* ---- forwarding to masters' consoles -------------------------------- */

static void
fwd_free(fwd_t *f)
{
    if (f->sock != NULL)
        zmq_close(f->sock);
    free(f->name);
    free(f->verb);
    free(f->spec);
    free(f->route);
    free(f);
}

/* Sends request to t's console; the answer goes to q's client (or, with
 * q NULL, into t's status). 0, or -1 after replying with the error. */
static int
forward(nimbus_t *n, topo_t *t, const req_t *q, const char *verb,
    const char *request, const char *spec, int timeout_ms)
{
    fwd_t *f = xcalloc(1, sizeof *f);
    char *ep = gale_console_endpoint(t->rec->name);
    int linger = 0;

    f->sock = zmq_socket(n->zctx, ZMQ_REQ);
    f->name = xstrdup(t->rec->name);
    f->verb = xstrdup(verb);
    f->spec = spec != NULL ? xstrdup(spec) : NULL;
    f->timeout_ms = timeout_ms;
    f->deadline = now_ns() + (uint64_t)timeout_ms * MS;
    if (q != NULL) {
        f->route = xmalloc(q->routelen);
        memcpy(f->route, q->route, q->routelen);
        f->routelen = q->routelen;
        f->envelope = q->envelope;
    }
    if (f->sock == NULL ||
        zmq_setsockopt(f->sock, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_connect(f->sock, ep) != 0 ||
        zmq_send(f->sock, request, strlen(request), ZMQ_DONTWAIT) < 0) {
        if (q != NULL)
            reply(n, q, false, "%s: cannot reach its master: %s",
                t->rec->name, zmq_strerror(errno));
        free(ep);
        fwd_free(f);
        return -1;
    }
    free(ep);
    if (q == NULL) {
        t->polling = true;
        t->poll_ns = now_ns();
    }
    n->fwds = xreallocarray(n->fwds, n->nfwds + 1, sizeof *n->fwds);
    n->fwds[n->nfwds++] = f;
    return 0;
}

/* Appends a rebalance's spec to t's run options, so that a master started
 * again (after a crash, or by a restarted nimbus) keeps the new
 * parallelism: later -e and -c options override earlier ones. */
static void
record_rebalance(nimbus_t *n, topo_t *t, const char *spec)
{
    char *copy = xstrdup(spec), *tok, *save = NULL, *opt;

    for (tok = strtok_r(copy, " ", &save); tok != NULL;
        tok = strtok_r(NULL, " ", &save)) {
        if (strncmp(tok, "workers=", 8) == 0) {
            xasprintf(&opt, "topology.workers=%s", tok + 8);
            gale_nimrec_add_arg(t->rec, "-c");
        } else {
            opt = xstrdup(tok);
            gale_nimrec_add_arg(t->rec, "-e");
        }
        gale_nimrec_add_arg(t->rec, opt);
        free(opt);
    }
    free(copy);
    topo_save(n, t);
}

/* Handles the answer (or, with answer NULL, the timeout) of f. */
static void
fwd_done(nimbus_t *n, fwd_t *f, const char *answer)
{
    topo_t *t = topo_find(n, f->name);
    bool ok = answer != NULL && strncmp(answer, "ok", 2) == 0;
    const char *text;
    char *msg = NULL;

    if (f->route == NULL) {                 /* a status poll */
        if (t == NULL)
            return;
        t->polling = false;
        if (ok) {
            char word[24] = "";

            if (sscanf(answer + 2, " %23s %lu %d", word, &t->tasks,
                &t->workers) >= 1) {
                memcpy(t->status, word, sizeof word);
                t->status_ns = now_ns();
            }
        }
        return;
    }
    if (answer == NULL) {
        xasprintf(&msg, "%s: its master did not answer `%s` within %d s (it "
            "may be starting, or busy with a savepoint; try again)", f->name,
            f->verb, f->timeout_ms / 1000);
        log_warn("nimbus: %s", msg);
        send_reply(n, f->route, f->routelen, f->envelope, false, msg, NULL, 0);
        free(msg);
        return;
    }
    text = answer + (ok ? 2 : strncmp(answer, "error", 5) == 0 ? 5 : 0);
    text += *text == ' ';
    log_info("nimbus: %s: %s: %s", f->name, f->verb, answer);
    if (ok && t != NULL) {
        if (f->spec != NULL)
            record_rebalance(n, t, f->spec);
        t->poll_ns = 0;                     /* ask its status soon */
        if (strcmp(f->verb, "kill") == 0)
            snprintf(t->status, sizeof t->status, "KILLED");
        else if (strcmp(f->verb, "activate") == 0)
            snprintf(t->status, sizeof t->status, "ACTIVE");
        else if (strcmp(f->verb, "deactivate") == 0)
            snprintf(t->status, sizeof t->status, "INACTIVE");
    }
    send_reply(n, f->route, f->routelen, f->envelope, ok, text, NULL, 0);
}

/* Reads answers of forwarded requests (revents from the poll) and expires
 * the late ones. */
static void
fwd_service(nimbus_t *n, const zmq_pollitem_t *items, size_t nitems,
    uint64_t now)
{
    size_t i = 0, k;

    while (i < n->nfwds) {
        fwd_t *f = n->fwds[i];
        bool done = false;

        for (k = 0; k < nitems; k++)
            if (items[k].socket == f->sock)
                break;
        if (k < nitems && (items[k].revents & ZMQ_POLLIN)) {
            zmq_msg_t m;

            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, f->sock, ZMQ_DONTWAIT) >= 0) {
                char *answer = xstrndup(zmq_msg_data(&m), zmq_msg_size(&m));

                fwd_done(n, f, answer);
                free(answer);
                done = true;
            }
            zmq_msg_close(&m);
        }
        if (!done && now >= f->deadline) {
            fwd_done(n, f, NULL);
            done = true;
        }
        if (done) {
            fwd_free(f);
            memmove(n->fwds + i, n->fwds + i + 1,
                (n->nfwds - i - 1) * sizeof *n->fwds);
            n->nfwds--;
        } else {
            i++;
        }
    }
}

/* Asks every running master for its status now and then. */
static void
poll_statuses(nimbus_t *n, uint64_t now)
{
    size_t i;

    for (i = 0; i < n->ntopos; i++) {
        topo_t *t = n->topos[i];

        if (t->rec->pid != 0 && !t->polling &&
            now - t->poll_ns >= STATUS_EVERY_MS * MS)
            forward(n, t, NULL, "status", "status", NULL, STATUS_EVERY_MS);
    }
}

/* ---- verbs ---------------------------------------------------------- */

/* The options of `gale run` a submit may carry, and whether each takes a
 * value. */
static const struct {
    const char *name;
    bool value;
} run_options[] = {
    { "-c", true }, { "--properties", true }, { "-e", true },
    { "--from-savepoint", true }, { "--from-checkpoint", true },
    { "--ttl", true }, { "--allow-non-restored-state", false },
};

/* The line of text's first `@include`, or 0. */
static int
include_line(const char *text, size_t len)
{
    size_t i = 0;
    int line = 1;

    while (i < len) {
        size_t j = i;

        while (j < len && (text[j] == ' ' || text[j] == '\t'))
            j++;
        if (len - j >= 8 && strncmp(text + j, "@include", 8) == 0)
            return line;
        while (i < len && text[i] != '\n')
            i++;
        i++;
        line++;
    }
    return 0;
}

/* The diagnostics of d as reply items (caller frees the array, not the
 * strings, which d owns). */
static char **
diag_items(const gale_diag_t *d, size_t *n)
{
    char **v;
    size_t i;

    *n = gale_diag_count(d);
    v = xcalloc(*n + 1, sizeof *v);
    for (i = 0; i < *n; i++)
        v[i] = (char *)gale_diag_message(d, i);
    return v;
}

/* submit SOURCE TEXT CWD OPTION... */
static void
do_submit(nimbus_t *n, const req_t *q)
{
    const char *source, *text, *cwd, *props = NULL, **ovr;
    gale_load_opts_t lo = { 0 };
    gale_topology_t *topo = NULL;
    gale_diag_t *diag = NULL;
    char **items, *cause = NULL;
    size_t i, k, nitems, novr = 0, len;
    topo_t *t, *old;
    int line, slot;

    if (q->nf < 5) {
        reply(n, q, false, "submit: expected SOURCE, TEXT, CWD and options");
        return;
    }
    source = q->f[2];
    text = q->f[3];
    len = q->flen[3];
    cwd = q->f[4];
    ovr = xcalloc(q->nf, sizeof *ovr);
    for (i = 5; i < q->nf; i++) {
        for (k = 0; k < sizeof run_options / sizeof run_options[0]; k++)
            if (strcmp(q->f[i], run_options[k].name) == 0)
                break;
        if (k == sizeof run_options / sizeof run_options[0]) {
            reply(n, q, false, "submit: `%s` is not a run option", q->f[i]);
            goto done;
        }
        if (run_options[k].value && i + 1 == q->nf) {
            reply(n, q, false, "submit: `%s` needs a value", q->f[i]);
            goto done;
        }
        if (strchr(q->f[i], '\n') != NULL ||
            (run_options[k].value && strchr(q->f[i + 1], '\n') != NULL)) {
            reply(n, q, false, "submit: options cannot hold a newline");
            goto done;
        }
        if (!run_options[k].value)
            continue;
        i++;
        if (strcmp(run_options[k].name, "-c") == 0)
            ovr[novr++] = q->f[i];
        else if (strcmp(run_options[k].name, "--properties") == 0)
            props = q->f[i];
    }
    if (cwd[0] != '/' || strchr(cwd, '\n') != NULL) {
        reply(n, q, false, "submit: the directory must be an absolute path");
        goto done;
    }
    if ((line = include_line(text, len)) != 0) {
        xasprintf(&cause, "%s:%d: @include is not supported by gale submit "
            "(the cluster gets this file's text only): paste the file in",
            source, line);
        send_reply(n, q->route, q->routelen, q->envelope, false,
            "the topology does not load", &cause, 1);
        goto done;
    }
    /* Checked again here (the client did it with its plugins): nimbus
     * needs the name, and bad text never reaches the record. Component
     * types are not looked up: plugins are the workers' business. */
    lo.properties = props;
    lo.overrides = ovr;
    diag = gale_diag_new();
    if ((topo = gale_topology_load_buffer(source, text, len, &lo, diag)) ==
        NULL || gale_diag_count(diag) > 0) {
        if (gale_diag_count(diag) == 0)
            gale_diag_add(diag, source, 0, "cannot load topology");
        items = diag_items(diag, &nitems);
        send_reply(n, q->route, q->routelen, q->envelope, false,
            "the topology does not load", items, nitems);
        free(items);
        goto done;
    }
    if (!gale_nimrec_name_ok(topo->name)) {
        reply(n, q, false, "submit: a topology submitted to a cluster needs a "
            "name of letters, digits, '.', '_' and '-' (not starting with "
            "'.'), not `%s`", topo->name);
        goto done;
    }
    if ((old = topo_find(n, topo->name)) != NULL &&
        gale_nimrec_live(old->rec->status)) {
        reply(n, q, false, "submit: a topology called `%s` is already on the "
            "cluster (%s); kill it first", topo->name,
            gale_nimrec_status_name(old->rec->status));
        goto done;
    }
    if (old != NULL) {
        log_info("nimbus: %s: replacing the record of the %s topology",
            topo->name, gale_nimrec_status_name(old->rec->status));
        topo_remove(n, old);
    }
    if ((slot = free_slot(n)) < 0) {
        reply(n, q, false, "submit: no free port slot (ports.first + slots "
            "x ports.per_topology would pass 65535)");
        goto done;
    }
    t = topo_add(n, gale_nimrec_new(topo->name, slot, cwd, q->f + 5,
        q->nf - 5));
    if ((line = gale_nimrec_save_text(n->root, topo->name, text, len)) != 0 ||
        (line = gale_nimrec_save(n->root, t->rec)) != 0) {
        reply(n, q, false, "submit: cannot write the record of %s under %s: %s",
            topo->name, n->root, strerror(-line));
        topo_remove(n, t);
        goto done;
    }
    log_info("nimbus: %s: submitted from %s (cwd %s), slot %d", topo->name,
        source, cwd, slot);
    start_master(n, t);
    if (t->rec->pid == 0) {
        reply(n, q, false, "submit: %s: its master did not start (nimbus's log "
            "says why); nimbus tries again", topo->name);
        goto done;
    }
    reply(n, q, true, "submitted %s: slot %d, master pid %d, log %s/topologies/"
        "%s/master.log", topo->name, slot, t->rec->pid, n->root, topo->name);
done:
    gale_topology_free(&topo);
    gale_diag_free(&diag);
    free(ovr);
    free(cause);
}

/* The status `gale list` shows for t. */
static const char *
status_of(const topo_t *t, uint64_t now)
{
    switch (t->rec->status) {
    case GALE_NIMREC_FINISHED:
        return "FINISHED";
    case GALE_NIMREC_FAILED:
        return "FAILED";
    case GALE_NIMREC_KILLING:
        return "KILLED";
    case GALE_NIMREC_ACTIVE:
        break;
    }
    if (t->restart_at != 0 || t->rec->pid == 0)
        return "RESTARTING";
    if (t->status[0] != '\0' && now - t->status_ns < STATUS_FRESH_MS * MS)
        return t->status;
    if (t->status_ns == 0 && now - t->started_ns < STARTING_MS * MS)
        return "STARTING";
    return "UNREACHABLE";
}

static int
by_topo_name(const void *a, const void *b)
{
    return strcmp((*(topo_t *const *)a)->rec->name,
        (*(topo_t *const *)b)->rec->name);
}

static void
do_list(nimbus_t *n, const req_t *q)
{
    uint64_t now = now_ns();
    char **items = xcalloc(n->ntopos + 1, sizeof *items), *text;
    size_t i;

    if (n->ntopos > 1)
        qsort(n->topos, n->ntopos, sizeof *n->topos, by_topo_name);
    for (i = 0; i < n->ntopos; i++) {
        const topo_t *t = n->topos[i];

        xasprintf(&items[i], "name=%s status=%s tasks=%lu workers=%d "
            "uptime=%lld slot=%d pid=%d restarts=%d", t->rec->name,
            status_of(t, now), t->tasks, t->workers,
            (long long)time(NULL) - t->rec->submitted, t->rec->slot,
            t->rec->pid, t->rec->restarts);
    }
    xasprintf(&text, "%zu topologies", n->ntopos);
    send_reply(n, q->route, q->routelen, q->envelope, true, text, items,
        n->ntopos);
    for (i = 0; i < n->ntopos; i++)
        free(items[i]);
    free(items);
    free(text);
}

/* The topology q names in f[2], or NULL after replying that there is
 * none. */
static topo_t *
named(nimbus_t *n, const req_t *q, size_t nargs)
{
    topo_t *t;

    if (q->nf != 2 + nargs) {
        reply(n, q, false, "%s: expected %zu argument(s), got %zu", q->f[1],
            nargs, q->nf - 2);
        return NULL;
    }
    if ((t = topo_find(n, q->f[2])) == NULL)
        reply(n, q, false, "%s: no topology called `%s` on the cluster (see "
            "`gale list`)", q->f[1], q->f[2]);
    return t;
}

/* Whether t's master can take a command now; replies why not. */
static bool
running(nimbus_t *n, const req_t *q, const topo_t *t)
{
    if (t->rec->status != GALE_NIMREC_ACTIVE) {
        reply(n, q, false, "%s: %s is %s", q->f[1], t->rec->name,
            t->rec->status == GALE_NIMREC_KILLING ? "being killed" :
            gale_nimrec_status_name(t->rec->status));
        return false;
    }
    if (t->rec->pid == 0) {
        reply(n, q, false, "%s: the master of %s is not running (it restarts "
            "shortly; try again)", q->f[1], t->rec->name);
        return false;
    }
    return true;
}

/* kill NAME SECS */
static void
do_kill(nimbus_t *n, const req_t *q)
{
    topo_t *t = named(n, q, 2);
    char req[64], *end;
    long secs;

    if (t == NULL)
        return;
    secs = strtol(q->f[3], &end, 10);
    if (*end != '\0' || end == q->f[3] || secs < 0 || secs > 86400 * 365) {
        reply(n, q, false, "kill: SECS must be a number of seconds, not `%s`",
            q->f[3]);
        return;
    }
    if (!gale_nimrec_live(t->rec->status)) {
        log_info("nimbus: %s: kill: removing the record of the %s topology",
            t->rec->name, gale_nimrec_status_name(t->rec->status));
        reply(n, q, true, "removed %s (it had %s)", t->rec->name,
            gale_nimrec_status_name(t->rec->status));
        topo_remove(n, t);
        return;
    }
    if (t->rec->status == GALE_NIMREC_KILLING && t->rec->pid != 0) {
        reply(n, q, true, "%s is already being killed", t->rec->name);
        return;
    }
    t->rec->status = GALE_NIMREC_KILLING;
    log_info("nimbus: %s: kill (in %ld s)", t->rec->name, secs);
    if (t->rec->pid == 0) {
        /* No master (a restart was pending): nothing to stop. */
        reply(n, q, true, "killed %s (its master was not running)",
            t->rec->name);
        log_info("nimbus: %s: killed; its record is removed", t->rec->name);
        topo_remove(n, t);
        return;
    }
    topo_save(n, t);
    t->term_at = now_ns() + ((uint64_t)secs * 1000 + KILL_GRACE_MS) * MS;
    snprintf(req, sizeof req, "kill %ld", secs);
    forward(n, t, q, "kill", req, NULL, QUICK_MS);
}

/* activate NAME, deactivate NAME */
static void
do_toggle(nimbus_t *n, const req_t *q)
{
    topo_t *t = named(n, q, 1);

    if (t != NULL && running(n, q, t))
        forward(n, t, q, q->f[1], q->f[1], NULL, QUICK_MS);
}

/* rebalance NAME SPEC */
static void
do_rebalance(nimbus_t *n, const req_t *q)
{
    topo_t *t = named(n, q, 2);
    char *req;

    if (t == NULL || !running(n, q, t))
        return;
    if (q->f[3][0] == '\0' || strchr(q->f[3], '\n') != NULL) {
        reply(n, q, false, "rebalance: SPEC must be one line: COMPONENT=N ... "
            "workers=N");
        return;
    }
    /* "-": the master chooses <checkpoint dir>/savepoints/NAME-TIME, as
     * `gale rebalance` on the master's host does. */
    xasprintf(&req, "rebalance - %s", q->f[3]);
    forward(n, t, q, "rebalance", req, q->f[3], REBALANCE_MS);
    free(req);
}

/* supervisors */
static void
do_supervisors(nimbus_t *n, const req_t *q)
{
    uint64_t now = now_ns();
    char **items = xcalloc(n->nsups + 1, sizeof *items), *text;
    size_t i;

    for (i = 0; i < n->nsups; i++) {
        const sup_t *s = &n->sups[i];

        xasprintf(&items[i], "name=%s host=%s port=%d pid=%d workers=%d "
            "seen_ms=%" PRIu64 " alive=%s", s->name, s->host, s->port, s->pid,
            s->workers, now > s->seen_ns ? (now - s->seen_ns) / MS : 0,
            s->alive ? "yes" : "no");
    }
    xasprintf(&text, "%zu supervisors", n->nsups);
    send_reply(n, q->route, q->routelen, q->envelope, true, text, items,
        n->nsups);
    for (i = 0; i < n->nsups; i++)
        free(items[i]);
    free(items);
    free(text);
}

/* Parses a non-negative int; -1 when s is not one. */
static int
parse_int(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);

    return *end != '\0' || end == s || v < 0 || v > 0x7fffffff ? -1 : (int)v;
}

/* register NAME HOST PORT PID NWORKERS: no reply. */
static void
do_register(nimbus_t *n, const req_t *q)
{
    int port, pid, workers;
    size_t i;
    sup_t *s;

    if (q->nf != 7 || (port = parse_int(q->f[4])) < 0 ||
        (pid = parse_int(q->f[5])) < 0 || (workers = parse_int(q->f[6])) < 0 ||
        strlen(q->f[2]) > 256 || strlen(q->f[3]) > 256) {
        log_warn("nimbus: a malformed register (%zu frames) was ignored",
            q->nf);
        return;
    }
    if (gale_cluster_sup(n->c, q->f[2]) == NULL) {
        for (i = 0; i < n->nunknown; i++)
            if (strcmp(n->unknown[i], q->f[2]) == 0)
                return;
        log_warn("nimbus: supervisor `%s` (%s:%d) is not in %s; ignored",
            q->f[2], q->f[3], port, n->c->path);
        if (n->nunknown < 64) {
            n->unknown = xreallocarray(n->unknown, n->nunknown + 1,
                sizeof *n->unknown);
            n->unknown[n->nunknown++] = xstrdup(q->f[2]);
        }
        return;
    }
    for (i = 0; i < n->nsups; i++)
        if (strcmp(n->sups[i].name, q->f[2]) == 0)
            break;
    if (i == n->nsups) {
        n->sups = xreallocarray(n->sups, n->nsups + 1, sizeof *n->sups);
        memset(&n->sups[i], 0, sizeof n->sups[i]);
        n->sups[i].name = xstrdup(q->f[2]);
        n->nsups++;
    }
    s = &n->sups[i];
    if (!s->alive || s->pid != pid || s->host == NULL ||
        strcmp(s->host, q->f[3]) != 0 || s->port != port)
        log_info("nimbus: supervisor %s registered: %s:%d, pid %d, %d "
            "worker(s)", s->name, q->f[3], port, pid, workers);
    free(s->host);
    s->host = xstrdup(q->f[3]);
    s->port = port;
    s->pid = pid;
    s->workers = workers;
    s->seen_ns = now_ns();
    s->alive = true;
}

/* Marks supervisors not heard within the cluster's timeout as dead. */
static void
check_sups(nimbus_t *n, uint64_t now)
{
    uint64_t limit = (uint64_t)(n->c->supervisor_timeout_ms > 0 ?
        n->c->supervisor_timeout_ms : 5000) * MS;
    size_t i;

    for (i = 0; i < n->nsups; i++)
        if (n->sups[i].alive && now > n->sups[i].seen_ns &&
            now - n->sups[i].seen_ns > limit) {
            n->sups[i].alive = false;
            log_warn("nimbus: supervisor %s not heard for %" PRIu64 " ms",
                n->sups[i].name, (now - n->sups[i].seen_ns) / MS);
        }
}

/* ---- requests ------------------------------------------------------- */

static void
req_clear(req_t *q)
{
    size_t i;

    for (i = 0; i < q->nf; i++)
        free(q->f[i]);
    free(q->f);
    free(q->flen);
    free(q->route);
    memset(q, 0, sizeof *q);
}

/* Reads one message from the ROUTER into q. 0; -1 when there was none;
 * 1 when it was read but is malformed (too many frames: drained). */
static int
req_read(nimbus_t *n, req_t *q)
{
    zmq_msg_t m;
    bool first = true, more = true, over = false;

    memset(q, 0, sizeof *q);
    while (more) {
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, n->router, first ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close(&m);
            return first ? -1 : 1;
        }
        more = zmq_msg_more(&m);
        if (first) {
            q->routelen = zmq_msg_size(&m);
            q->route = xmalloc(q->routelen > 0 ? q->routelen : 1);
            memcpy(q->route, zmq_msg_data(&m), q->routelen);
            first = false;
        } else if (q->nf == 0 && !q->envelope && zmq_msg_size(&m) == 0) {
            q->envelope = true;     /* a REQ client's delimiter */
        } else if (q->nf >= MAX_FRAMES) {
            over = true;
        } else {
            q->f = xreallocarray(q->f, q->nf + 1, sizeof *q->f);
            q->flen = xreallocarray(q->flen, q->nf + 1, sizeof *q->flen);
            q->flen[q->nf] = zmq_msg_size(&m);
            q->f[q->nf++] = xstrndup(zmq_msg_data(&m), zmq_msg_size(&m));
        }
        zmq_msg_close(&m);
    }
    return over ? 1 : 0;
}

/* Whether frame i of q holds a NUL byte (text must not; the file text
 * is checked by the loader). */
static bool
has_nul(const req_t *q, size_t i)
{
    return strlen(q->f[i]) != q->flen[i];
}

static void
dispatch(nimbus_t *n, req_t *q, int rc)
{
    size_t i;

    if (rc != 0 || q->nf < 2 || strcmp(q->f[0], GALE_NIMBUS_MAGIC) != 0) {
        log_warn("nimbus: a malformed request (%zu frames) was refused", q->nf);
        reply(n, q, false, "malformed request: expected \"%s\", VERB, "
            "ARG... (at most %d frames)", GALE_NIMBUS_MAGIC, MAX_FRAMES);
        return;
    }
    for (i = 1; i < q->nf; i++)
        if (i != 3 && has_nul(q, i)) {
            reply(n, q, false, "%s: an argument holds a NUL byte", q->f[1]);
            return;
        }
    if (strcmp(q->f[1], "register") == 0)
        do_register(n, q);
    else if (strcmp(q->f[1], "submit") == 0)
        do_submit(n, q);
    else if (strcmp(q->f[1], "list") == 0)
        do_list(n, q);
    else if (strcmp(q->f[1], "kill") == 0)
        do_kill(n, q);
    else if (strcmp(q->f[1], "activate") == 0 ||
        strcmp(q->f[1], "deactivate") == 0)
        do_toggle(n, q);
    else if (strcmp(q->f[1], "rebalance") == 0)
        do_rebalance(n, q);
    else if (strcmp(q->f[1], "supervisors") == 0)
        do_supervisors(n, q);
    else
        reply(n, q, false, "unknown verb `%.64s`", q->f[1]);
}

/* ---- start and stop ------------------------------------------------- */

/* Loads every record and adopts or starts its master. */
static int
load_records(nimbus_t *n, char **cause)
{
    char **names, *why = NULL;
    size_t nnames, i, adopted = 0, started = 0;
    int rc;

    if ((rc = gale_nimrec_list(n->root, &names, &nnames)) != 0) {
        xasprintf(cause, "%s/topologies: %s", n->root, strerror(-rc));
        return rc;
    }
    for (i = 0; i < nnames; i++) {
        gale_nimrec_t *rec = gale_nimrec_load(n->root, names[i], &why);
        topo_t *t;

        if (rec == NULL) {
            log_error("nimbus: %s (left alone)", why);
            free(why);
            why = NULL;
            free(names[i]);
            continue;
        }
        t = topo_add(n, rec);
        if (gale_nimrec_live(rec->status) && rec->pid != 0 &&
            gale_nimmaster_is(rec->pid, t->cfg)) {
            t->child = false;
            t->started_ns = now_ns();
            adopted++;
            log_info("nimbus: %s: adopted its running master, pid %d (%s)",
                rec->name, rec->pid, gale_nimrec_status_name(rec->status));
        } else if (rec->status == GALE_NIMREC_KILLING) {
            log_info("nimbus: %s: was being killed and its master is gone: "
                "record removed", rec->name);
            topo_remove(n, t);
        } else if (rec->status == GALE_NIMREC_ACTIVE) {
            if (rec->pid != 0)
                log_info("nimbus: %s: its master (pid %d) is gone: starting "
                    "it again", rec->name, rec->pid);
            rec->pid = 0;
            rec->restarts++;
            start_master(n, t);
            started++;
        }
        free(names[i]);
    }
    free(names);
    log_info("nimbus: %zu topologies in the record (%zu masters adopted, %zu "
        "started)", n->ntopos, adopted, started);
    return 0;
}

static void
nimbus_close(nimbus_t *n)
{
    size_t i, left = 0;

    for (i = 0; i < n->nfwds; i++)
        fwd_free(n->fwds[i]);
    free(n->fwds);
    for (i = 0; i < n->ntopos; i++) {
        left += n->topos[i]->rec->pid != 0;
        topo_free(n->topos[i]);
    }
    free(n->topos);
    for (i = 0; i < n->nsups; i++) {
        free(n->sups[i].name);
        free(n->sups[i].host);
    }
    free(n->sups);
    for (i = 0; i < n->nunknown; i++)
        free(n->unknown[i]);
    free(n->unknown);
    if (n->router != NULL)
        zmq_close(n->router);
    if (n->zap)
        gale_netsec_stop(n->zctx);
    if (n->zctx != NULL)
        zmq_ctx_term(n->zctx);
    if (n->listening)
        log_info("nimbus: stopped; %zu master(s) left running", left);
    free(n->root);
    free(n->exe);
    free(n->ep);
}

int
gale_nimbus_run(const gale_cluster_t *c, const gale_nimbus_opts_t *o,
    char **cause)
{
    nimbus_t n = { .c = c, .o = o };
    zmq_pollitem_t *items = NULL;
    char exe[4096], *dir = NULL;
    int64_t maxmsg = MAX_MSG;
    int rc, linger = 0, mandatory = 1;
    ssize_t len;
    size_t i, npolled;
    req_t q;

    *cause = NULL;
    if ((len = readlink("/proc/self/exe", exe, sizeof exe - 1)) <= 0) {
        rc = -errno;
        xasprintf(cause, "/proc/self/exe: %s", strerror(errno));
        goto out;
    }
    exe[len] = '\0';
    n.exe = xstrdup(exe);
    xasprintf(&dir, "%s/topologies", c->nimbus_dir);
    if ((rc = gale_mkdir_p(dir)) != 0 ||
        (n.root = realpath(c->nimbus_dir, NULL)) == NULL) {
        rc = rc != 0 ? rc : -errno;
        xasprintf(cause, "%s: %s", dir, strerror(-rc));
        goto out;
    }
    if ((rc = gale_netsec_init(c, o->self_key != NULL ? o->self_key :
        c->nimbus.key, cause)) != 0)
        goto out;
    n.zctx = zmq_ctx_new();
    if ((rc = gale_netsec_start(n.zctx, cause)) != 0)
        goto out;
    n.zap = true;
    n.router = zmq_socket(n.zctx, ZMQ_ROUTER);
    zmq_setsockopt(n.router, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(n.router, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    /* A reply to a client that went away fails at once, never blocks. */
    zmq_setsockopt(n.router, ZMQ_ROUTER_MANDATORY, &mandatory,
        sizeof mandatory);
    n.ep = gale_cluster_endpoint(&c->nimbus);
    if (gale_netsec_bind(n.zctx, n.router, n.ep) != 0) {
        rc = -errno;
        xasprintf(cause, "cannot listen at %s: %s (is another nimbus "
            "running?)", n.ep, zmq_strerror(errno));
        goto out;
    }
    n.listening = true;
    log_info("nimbus: listening at %s (security %s, key %s), record in %s",
        n.ep, gale_security_mode_name(c->security), o->self_key != NULL ?
        o->self_key : c->nimbus.key, n.root);
    if (c->security == GALE_SECURITY_NONE)
        log_warn("nimbus: %s", GALE_SECURITY_NONE_WARNING);
    if ((rc = load_records(&n, cause)) != 0)
        goto out;
    while (!*o->stop) {
        uint64_t now;
        uint64_t r;
        int k;

        items = xreallocarray(items, n.nfwds + 1, sizeof *items);
        items[0] = (zmq_pollitem_t){ .socket = n.router, .events = ZMQ_POLLIN };
        for (i = 0; i < n.nfwds; i++)
            items[i + 1] = (zmq_pollitem_t){ .socket = n.fwds[i]->sock,
                .events = ZMQ_POLLIN };
        if (zmq_poll(items, (int)n.nfwds + 1, TICK_MS) < 0 && errno != EINTR) {
            rc = -errno;
            xasprintf(cause, "poll: %s", zmq_strerror(errno));
            goto out;
        }
        now = now_ns();
        npolled = n.nfwds;          /* dispatch may add more */
        if (items[0].revents & ZMQ_POLLIN) {
            for (k = 0; k < 64; k++) {
                int r2 = req_read(&n, &q);

                if (r2 < 0)
                    break;
                dispatch(&n, &q, r2);
                req_clear(&q);
            }
        }
        fwd_service(&n, items + 1, npolled, now);
        reap(&n);
        if (now >= n.next_check) {
            check_masters(&n, now);
            check_sups(&n, now);
            n.next_check = now + 1000 * MS;
        }
        poll_statuses(&n, now);
        if ((r = gale_netsec_refused(n.zctx)) > n.refused) {
            log_warn("nimbus: refused %" PRIu64 " connection(s) from keys not "
                "on the cluster's list", r);
            n.refused = r;
        }
    }
    rc = 0;
out:
    free(items);
    free(dir);
    nimbus_close(&n);
    return rc;
}
