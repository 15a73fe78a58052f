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
#include <signal.h>
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
#include "engine/net/netsec.h"
#include "engine/cluster/nimbus.h"
#include "engine/cluster/nimbus_int.h"
#include "engine/cluster/nimmaster.h"
#include "engine/cluster/nimrecord.h"
#include "engine/run/console.h"
#include "engine/run/status.h"
#include "engine/web/httpd.h"

/* ---- topologies ----------------------------------------------------- */

topo_t *
nimbus_topo_find(const nimbus_t *n, const char *name)
{
    size_t i;

    for (i = 0; i < n->ntopos; i++)
        if (strcmp(n->topos[i]->rec->name, name) == 0)
            return n->topos[i];
    return NULL;
}

/* Takes rec into the table. */
topo_t *
nimbus_topo_add(nimbus_t *n, gale_nimrec_t *rec)
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
    gale_nimrec_destroy(&t->rec);
    free(t->cfg);
    free(t->page);
    free(t->prom);
    free(t);
}

/* Removes t from the table and its record from disk. */
void
nimbus_topo_remove(nimbus_t *n, topo_t *t)
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
void
nimbus_topo_save(nimbus_t *n, topo_t *t)
{
    int rc;

    if ((rc = gale_nimrec_save(n->root, t->rec)) != 0)
        log_error("nimbus: %s: cannot write its record: %s", t->rec->name,
            strerror(-rc));
}

/* The lowest slot no live topology holds, or -1 when the ports run out. */
int
nimbus_free_slot(const nimbus_t *n)
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
int
nimbus_start_master(nimbus_t *n, topo_t *t)
{
    gale_nimmaster_spec_t s = { 0 };
    char *dir = gale_nimrec_dir(n->root, t->rec->name), *log = NULL;
    char *exit_file = NULL;
    char *cause = NULL;
    pid_t pid;
    int rc;

    xasprintf(&log, "%s/master.log", dir);
    xasprintf(&exit_file, "%s/master.exit", dir);
    s.exit_file = exit_file;
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
    t->console_pid = 0;
    t->poll_ns = 0;
    t->started_ns = gale_now_ns();
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
    nimbus_topo_save(n, t);
    free(cause);
    free(log);
    free(exit_file);
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

    if (how == -1) {
        /* Adopted: the status it wrote, if it got to write one. */
        char *dir = gale_nimrec_dir(n->root, name), *path = NULL;
        int st;

        xasprintf(&path, "%s/master.exit", dir);
        st = gale_nimmaster_exit_status(path);
        free(path);
        free(dir);
        if (st >= 0)
            how = W_EXITCODE(st, 0);    /* as a wait status */
    }
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
        nimbus_topo_remove(n, t);
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
        schedule_restart(t, gale_now_ns());
    }
    nimbus_topo_save(n, t);
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
                t->rec->name, t->rec->pid,
                t->term_sent ? "SIGKILL" : "SIGTERM");
            kill(t->rec->pid, t->term_sent ? SIGKILL : SIGTERM);
            t->term_sent++;
            t->term_at = now + 60000 * MS;
        }
        if (t->restart_at != 0 && now >= t->restart_at &&
            t->rec->status == GALE_NIMREC_ACTIVE) {
            t->rec->restarts++;
            nimbus_start_master(n, t);
        }
        i++;
    }
}

void
nimbus_sigterm(topo_t *t)
{
    log_warn("nimbus: %s: sending its master (pid %d) SIGTERM: a graceful "
        "stop", t->rec->name, t->rec->pid);
    kill(t->rec->pid, SIGTERM);
    t->term_sent = 1;
    t->term_at = gale_now_ns() + 60000 * MS;
}

/* ---- replies -------------------------------------------------------- */

/* Sends a reply to route: magic, "ok"/"error", text, items. Never blocks:
 * a client that went away loses it. */
void
nimbus_send_reply(nimbus_t *n, const void *route, size_t routelen,
    bool envelope, bool ok, const char *text, char *const *items,
    size_t nitems)
{
    const char *status = ok ? GALE_NIM_OK : GALE_NIM_ERROR;
    size_t i;
    int more = ZMQ_SNDMORE | ZMQ_DONTWAIT;

    if (zmq_send(n->router, route, routelen, more) < 0)
        return;
    if (envelope)
        zmq_send(n->router, "", 0, more);
    zmq_send(n->router, GALE_NIMBUS_MAGIC, strlen(GALE_NIMBUS_MAGIC), more);
    zmq_send(n->router, status, strlen(status), more);
    zmq_send(n->router, text, strlen(text), nitems > 0 ? more : ZMQ_DONTWAIT);
    for (i = 0; i < nitems; i++)
        zmq_send(n->router, items[i], strlen(items[i]),
            i + 1 < nitems ? more : ZMQ_DONTWAIT);
}

/* Replies to q with a formatted text and no items. */
void __attribute__((format(printf, 4, 5)))
nimbus_reply(nimbus_t *n, const req_t *q, bool ok, const char *fmt, ...)
{
    va_list ap;
    char *text;

    va_start(ap, fmt);
    xvasprintf(&text, fmt, ap);
    va_end(ap);
    if (q->http) {
        /* The HTTP handler reads it once the verb returns. */
        free(n->http_reply);
        n->http_reply = text;
        n->http_ok = ok;
        return;
    }
    nimbus_send_reply(n, q->route, q->routelen, q->envelope, ok, text, NULL, 0);
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
int
nimbus_forward(nimbus_t *n, topo_t *t, const req_t *q, const char *verb,
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
    f->deadline = gale_now_ns() + (uint64_t)timeout_ms * MS;
    if (q != NULL && q->http) {
        f->http = true;
    } else if (q != NULL) {
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
            nimbus_reply(n, q, false, "%s: cannot reach its master: %s",
                t->rec->name, zmq_strerror(errno));
        free(ep);
        fwd_free(f);
        return -1;
    }
    free(ep);
    if (q == NULL) {
        t->polling = true;
        t->poll_ns = gale_now_ns();
    } else if (q->http) {
        n->http_forwarded = true;
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
    nimbus_topo_save(n, t);
}

/* Sends f's client its reply; one asked over HTTP (answered 202 at
 * once) is logged instead. */
static void
fwd_reply(nimbus_t *n, const fwd_t *f, bool ok, const char *text)
{
    if (f->http)
        log_info("nimbus: %s: http %s: %s%s", f->name, f->verb,
            ok ? "" : "refused: ", text);
    else
        nimbus_send_reply(n, f->route, f->routelen, f->envelope, ok, text,
            NULL, 0);
}

/* Handles the answer (or, with answer NULL, the timeout) of f. */
static void
fwd_done(nimbus_t *n, fwd_t *f, const char *answer)
{
    topo_t *t = nimbus_topo_find(n, f->name);
    bool ok = answer != NULL && strncmp(answer, "ok", 2) == 0;
    const char *text;
    char *msg = NULL;

    if (f->route == NULL && !f->http && strcmp(f->verb, "metrics") == 0) {
        /* The second part of a poll: the topology page for the HTTP
         * server (nimweb.c); then the third, its /metrics text. */
        if (t == NULL)
            return;
        t->polling = false;
        if (ok) {
            free(t->page);
            t->page = xstrdup(answer + 3);
            t->page_ns = gale_now_ns();
            nimbus_forward(n, t, NULL, "prometheus", "prometheus", NULL,
                STATUS_EVERY_MS);
        }
        return;
    }
    if (f->route == NULL && !f->http && strcmp(f->verb, "prometheus") == 0) {
        if (t == NULL)
            return;
        t->polling = false;
        if (ok) {
            free(t->prom);
            t->prom = xstrdup(answer + 3);
            t->prom_ns = gale_now_ns();
        }
        return;
    }
    if (f->route == NULL && !f->http) {     /* a status poll */
        if (t == NULL)
            return;
        t->polling = false;
        if (answer == NULL)
            t->console_pid = 0;             /* whoever held it is gone */
        if (ok) {
            gale_status_t st;
            int pid = 0;

            if (gale_status_parse(answer, &st) == 0) {
                memcpy(t->status, st.word, sizeof st.word);
                t->tasks = st.tasks;
                t->workers = st.workers;
                t->status_ns = gale_now_ns();
                t->uptime_s = st.uptime_s;
                t->emitted = st.emitted;
                t->executed = st.executed;
                t->last_ckpt = st.last_ckpt;
                pid = st.pid;
            }
            /* Another process of this user on this host may hold the
             * console's name (a `gale run` of a topology of the same
             * name): its answers are not the master's. */
            if (pid > 0 && pid != t->rec->pid && pid != t->console_pid)
                log_warn("nimbus: %s: its console is held by pid %d, not by "
                    "its master (pid %d): the topology cannot be reached "
                    "until that process stops", t->rec->name, pid,
                    t->rec->pid);
            t->console_pid = pid;
            /* Its page too, when someone may read it. */
            if (n->httpd != NULL && pid == t->rec->pid)
                nimbus_forward(n, t, NULL, "metrics", "metrics", NULL,
                    STATUS_EVERY_MS);
        }
        return;
    }
    if (answer == NULL && strcmp(f->verb, "kill") == 0 && t != NULL &&
        t->rec->pid != 0) {
        nimbus_sigterm(t);
        xasprintf(&msg, "killing %s: its master did not answer, so it got "
            "SIGTERM (a graceful stop)", f->name);
        fwd_reply(n, f, true, msg);
        free(msg);
        return;
    }
    if (answer == NULL) {
        xasprintf(&msg, "%s: its master did not answer `%s` within %d s (it "
            "may be starting, or busy with a savepoint; try again)", f->name,
            f->verb, f->timeout_ms / 1000);
        log_warn("nimbus: %s", msg);
        fwd_reply(n, f, false, msg);
        free(msg);
        return;
    }
    text = answer + (ok ? 2 : strncmp(answer, "error", 5) == 0 ? 5 : 0);
    text += *text == ' ';
    if (strcmp(f->verb, "metrics") != 0)    /* a page a second: not logged */
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
    fwd_reply(n, f, ok, text);
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
            nimbus_forward(n, t, NULL, "status", "status", NULL,
                STATUS_EVERY_MS);
    }
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
        t = nimbus_topo_add(n, rec);
        if (gale_nimrec_live(rec->status) && rec->pid != 0 &&
            gale_nimmaster_is(rec->pid, t->cfg)) {
            t->child = false;
            t->started_ns = gale_now_ns();
            if (rec->status == GALE_NIMREC_KILLING)
                t->term_at = t->started_ns + KILL_GRACE_MS * MS;
            adopted++;
            log_info("nimbus: %s: adopted its running master, pid %d (%s)",
                rec->name, rec->pid, gale_nimrec_status_name(rec->status));
        } else if (rec->status == GALE_NIMREC_KILLING) {
            log_info("nimbus: %s: was being killed and its master is gone: "
                "record removed", rec->name);
            nimbus_topo_remove(n, t);
        } else if (rec->status == GALE_NIMREC_ACTIVE) {
            if (rec->pid != 0)
                log_info("nimbus: %s: its master (pid %d) is gone: starting "
                    "it again", rec->name, rec->pid);
            rec->pid = 0;
            rec->restarts++;
            nimbus_start_master(n, t);
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
    gale_httpd_close(&n->httpd);
    free(n->http_token);
    free(n->http_reply);
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
    /* Before any master starts: a bad address stops nimbus at once. */
    if ((o->http == NULL || strcmp(o->http, "off") != 0) &&
        nimbus_web_open(&n, o->http != NULL ? o->http : "127.0.0.1:0",
        cause) != 0) {
        rc = -EINVAL;
        goto out;
    }
    if ((rc = load_records(&n, cause)) != 0)
        goto out;
    while (!*o->stop) {
        uint64_t now;
        uint64_t r;
        long timeout = TICK_MS;
        int k, nweb;

        items = xreallocarray(items, n.nfwds + 2, sizeof *items);
        items[0] = (zmq_pollitem_t){ .socket = n.router, .events = ZMQ_POLLIN };
        for (i = 0; i < n.nfwds; i++)
            items[i + 1] = (zmq_pollitem_t){ .socket = n.fwds[i]->sock,
                .events = ZMQ_POLLIN };
        /* The HTTP server (nimweb.c) last: one epoll descriptor. */
        nweb = gale_httpd_pollitems(n.httpd, items + n.nfwds + 1, 1, &timeout);
        if (zmq_poll(items, (int)n.nfwds + 1 + nweb, timeout) < 0 &&
            errno != EINTR) {
            rc = -errno;
            xasprintf(cause, "poll: %s", zmq_strerror(errno));
            goto out;
        }
        now = gale_now_ns();
        npolled = n.nfwds;          /* dispatch may add more */
        if (items[0].revents & ZMQ_POLLIN) {
            for (k = 0; k < 64; k++) {
                int r2 = nimbus_req_read(&n, &q);

                if (r2 < 0)
                    break;
                nimbus_dispatch(&n, &q, r2);
                nimbus_req_clear(&q);
            }
        }
        fwd_service(&n, items + 1, npolled, now);
        gale_httpd_run(n.httpd);
        reap(&n);
        if (now >= n.next_check) {
            check_masters(&n, now);
            nimbus_check_sups(&n, now);
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
