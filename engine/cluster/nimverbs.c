/* nimverbs.c - nimbus's requests and their verbs: submit, list, kill,
 * activate, deactivate, rebalance, supervisors, register (nimproto.h has
 * the wire). Runs on the daemon's thread. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "engine/cluster/nimbus_int.h"
#include "engine/cluster/nimrecord.h"
#include "engine/run/console.h"
#include "topology/topology.h"

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

/* The pid of a live process of this host that holds the console of
 * topology name (a `gale run` started by hand), or 0. */
static int
console_holder(const char *name)
{
    gale_console_entry_t *e;
    size_t ne, i;
    int pid = 0;

    if (gale_console_list(&e, &ne) != 0)
        return 0;
    for (i = 0; i < ne; i++)
        if (strcmp(e[i].name, name) == 0)
            pid = (int)e[i].pid;
    gale_console_entries_destroy(e, ne);
    return pid;
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
    int line, slot, pid;

    if (q->nf < 5) {
        nimbus_reply(n, q, false,
            "submit: expected SOURCE, TEXT, CWD and options");
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
            nimbus_reply(n, q, false,
                "submit: `%s` is not a run option", q->f[i]);
            goto done;
        }
        if (run_options[k].value && i + 1 == q->nf) {
            nimbus_reply(n, q, false, "submit: `%s` needs a value", q->f[i]);
            goto done;
        }
        if (strchr(q->f[i], '\n') != NULL ||
            (run_options[k].value && strchr(q->f[i + 1], '\n') != NULL)) {
            nimbus_reply(n, q, false, "submit: options cannot hold a newline");
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
        nimbus_reply(n, q, false,
            "submit: the directory must be an absolute path");
        goto done;
    }
    if ((line = include_line(text, len)) != 0) {
        xasprintf(&cause, "%s:%d: @include is not supported by gale submit "
            "(the cluster gets this file's text only): paste the file in",
            source, line);
        nimbus_send_reply(n, q->route, q->routelen, q->envelope, false,
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
        nimbus_send_reply(n, q->route, q->routelen, q->envelope, false,
            "the topology does not load", items, nitems);
        free(items);
        goto done;
    }
    if (!gale_nimrec_name_ok(topo->name)) {
        nimbus_reply(n, q, false,
            "submit: a topology submitted to a cluster needs a "
            "name of letters, digits, '.', '_' and '-' (not starting with "
            "'.'), not `%s`", topo->name);
        goto done;
    }
    if ((old = nimbus_topo_find(n, topo->name)) != NULL &&
        gale_nimrec_live(old->rec->status)) {
        nimbus_reply(n, q, false,
            "submit: a topology called `%s` is already on the "
            "cluster (%s); kill it first", topo->name,
            gale_nimrec_status_name(old->rec->status));
        goto done;
    }
    if ((pid = console_holder(topo->name)) != 0) {
        nimbus_reply(n, q, false, "submit: a topology called `%s` already "
            "runs on the nimbus host outside the cluster (pid %d): its "
            "master could not take commands; stop it first", topo->name, pid);
        goto done;
    }
    if (old != NULL) {
        log_info("nimbus: %s: replacing the record of the %s topology",
            topo->name, gale_nimrec_status_name(old->rec->status));
        nimbus_topo_remove(n, old);
    }
    if ((slot = nimbus_free_slot(n)) < 0) {
        nimbus_reply(n, q, false,
            "submit: no free port slot (ports.first + slots "
            "x ports.per_topology would pass 65535)");
        goto done;
    }
    t = nimbus_topo_add(n, gale_nimrec_new(topo->name, slot, cwd, q->f + 5,
        q->nf - 5));
    if ((line = gale_nimrec_save_text(n->root, topo->name, text, len)) != 0 ||
        (line = gale_nimrec_save(n->root, t->rec)) != 0) {
        nimbus_reply(n, q, false,
            "submit: cannot write the record of %s under %s: %s",
            topo->name, n->root, strerror(-line));
        nimbus_topo_remove(n, t);
        goto done;
    }
    log_info("nimbus: %s: submitted from %s (cwd %s), slot %d", topo->name,
        source, cwd, slot);
    nimbus_start_master(n, t);
    if (t->rec->pid == 0) {
        nimbus_reply(n, q, false,
            "submit: %s: its master did not start (nimbus's log "
            "says why); nimbus tries again", topo->name);
        goto done;
    }
    nimbus_reply(n, q, true,
        "submitted %s: slot %d, master pid %d, log %s/topologies/"
        "%s/master.log", topo->name, slot, t->rec->pid, n->root, topo->name);
done:
    gale_topology_destroy(&topo);
    gale_diag_destroy(&diag);
    free(ovr);
    free(cause);
}

const char *
nimbus_status_word(const topo_t *t, uint64_t now)
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
    if (t->console_pid != 0 && t->console_pid != t->rec->pid)
        return "UNREACHABLE";               /* another holds its console */
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
    uint64_t now = gale_now_ns();
    char **items = xcalloc(n->ntopos + 1, sizeof *items), *text;
    size_t i;

    if (n->ntopos > 1)
        qsort(n->topos, n->ntopos, sizeof *n->topos, by_topo_name);
    for (i = 0; i < n->ntopos; i++) {
        const topo_t *t = n->topos[i];

        xasprintf(&items[i], "name=%s status=%s tasks=%lu workers=%d "
            "uptime=%lld slot=%d pid=%d restarts=%d", t->rec->name,
            nimbus_status_word(t, now), t->tasks, t->workers,
            (long long)time(NULL) - t->rec->submitted, t->rec->slot,
            t->rec->pid, t->rec->restarts);
    }
    xasprintf(&text, "%zu topologies", n->ntopos);
    nimbus_send_reply(n, q->route, q->routelen, q->envelope, true, text, items,
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
        nimbus_reply(n, q, false,
            "%s: expected %zu argument(s), got %zu", q->f[1],
            nargs, q->nf - 2);
        return NULL;
    }
    if ((t = nimbus_topo_find(n, q->f[2])) == NULL)
        nimbus_reply(n, q, false,
            "%s: no topology called `%s` on the cluster (see "
            "`gale list`)", q->f[1], q->f[2]);
    return t;
}

/* Whether t's console is its master's (as far as its last status
 * said); replies why not. */
static bool
console_ours(nimbus_t *n, const req_t *q, const topo_t *t)
{
    if (t->console_pid == 0 || t->console_pid == t->rec->pid)
        return true;
    nimbus_reply(n, q, false, "%s: the console of `%s` on the nimbus host is "
        "held by pid %d, not by its master (pid %d); stop that process",
        q->f[1], t->rec->name, t->console_pid, t->rec->pid);
    return false;
}

/* Whether t's master can take a command now; replies why not. */
static bool
running(nimbus_t *n, const req_t *q, const topo_t *t)
{
    if (t->rec->status != GALE_NIMREC_ACTIVE) {
        nimbus_reply(n, q, false, "%s: %s is %s", q->f[1], t->rec->name,
            t->rec->status == GALE_NIMREC_KILLING ? "being killed" :
            gale_nimrec_status_name(t->rec->status));
        return false;
    }
    if (t->rec->pid == 0) {
        nimbus_reply(n, q, false,
            "%s: the master of %s is not running (it restarts "
            "shortly; try again)", q->f[1], t->rec->name);
        return false;
    }
    return console_ours(n, q, t);
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
        nimbus_reply(n, q, false,
            "kill: SECS must be a number of seconds, not `%s`",
            q->f[3]);
        return;
    }
    if (!gale_nimrec_live(t->rec->status)) {
        log_info("nimbus: %s: kill: removing the record of the %s topology",
            t->rec->name, gale_nimrec_status_name(t->rec->status));
        nimbus_reply(n, q, true, "removed %s (it had %s)", t->rec->name,
            gale_nimrec_status_name(t->rec->status));
        nimbus_topo_remove(n, t);
        return;
    }
    if (t->rec->status == GALE_NIMREC_KILLING && t->rec->pid != 0) {
        nimbus_reply(n, q, true, "%s is already being killed", t->rec->name);
        return;
    }
    t->rec->status = GALE_NIMREC_KILLING;
    log_info("nimbus: %s: kill (in %ld s)", t->rec->name, secs);
    if (t->rec->pid == 0) {
        /* No master (a restart was pending): nothing to stop. */
        nimbus_reply(n, q, true, "killed %s (its master was not running)",
            t->rec->name);
        log_info("nimbus: %s: killed; its record is removed", t->rec->name);
        nimbus_topo_remove(n, t);
        return;
    }
    nimbus_topo_save(n, t);
    if (t->console_pid != 0 && t->console_pid != t->rec->pid) {
        /* Its console is another process's: the master cannot be asked. */
        nimbus_sigterm(t);
        nimbus_reply(n, q, true, "killing %s: its console is held by pid %d, "
            "so its master got SIGTERM (a graceful stop)", t->rec->name,
            t->console_pid);
        return;
    }
    t->term_at = gale_now_ns() +
        ((uint64_t)secs * 1000 + KILL_GRACE_MS) * MS;
    snprintf(req, sizeof req, "kill %ld", secs);
    nimbus_forward(n, t, q, "kill", req, NULL, QUICK_MS);
}

/* stop-savepoint NAME DIR: `gale kill --savepoint DIR --cluster`. The
 * master takes the savepoint, waits for its sinks, answers and exits 0,
 * so the topology ends FINISHED (its exit status says so, also after a
 * nimbus restart) and `gale submit --from-savepoint DIR` resumes it. */
static void
do_stop_savepoint(nimbus_t *n, const req_t *q)
{
    topo_t *t = named(n, q, 2);
    char *req;

    if (t == NULL || !running(n, q, t))
        return;
    if (q->f[3][0] != '/' || strchr(q->f[3], '\n') != NULL) {
        nimbus_reply(n, q, false, "kill --savepoint: DIR must be an absolute "
            "path on one line, not `%s`", q->f[3]);
        return;
    }
    log_info("nimbus: %s: stop with a savepoint into %s", t->rec->name,
        q->f[3]);
    xasprintf(&req, "stop-savepoint %s", q->f[3]);
    nimbus_forward(n, t, q, "stop-savepoint", req, NULL, REBALANCE_MS);
    free(req);
}

/* savepoint NAME DIR: a savepoint of a running topology into DIR
 * (absolute on the nimbus host, or "-": the master's default place). */
static void
do_savepoint(nimbus_t *n, const req_t *q)
{
    topo_t *t = named(n, q, 2);
    char *req;

    if (t == NULL || !running(n, q, t))
        return;
    if ((q->f[3][0] != '/' && strcmp(q->f[3], "-") != 0) ||
        strchr(q->f[3], '\n') != NULL) {
        nimbus_reply(n, q, false, "savepoint: DIR must be an absolute path "
            "on one line (or -), not `%s`", q->f[3]);
        return;
    }
    xasprintf(&req, "savepoint %s", q->f[3]);
    nimbus_forward(n, t, q, "savepoint", req, NULL, REBALANCE_MS);
    free(req);
}

/* activate NAME, deactivate NAME */
static void
do_toggle(nimbus_t *n, const req_t *q)
{
    topo_t *t = named(n, q, 1);

    if (t != NULL && running(n, q, t))
        nimbus_forward(n, t, q, q->f[1], q->f[1], NULL, QUICK_MS);
}

/* metrics NAME: the master's page, asked now (`gale top --cluster`). */
static void
do_metrics(nimbus_t *n, const req_t *q)
{
    topo_t *t = named(n, q, 1);

    if (t != NULL && running(n, q, t))
        nimbus_forward(n, t, q, GALE_NIM_METRICS, "metrics", NULL, QUICK_MS);
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
        nimbus_reply(n, q, false,
            "rebalance: SPEC must be one line: COMPONENT=N ... "
            "workers=N");
        return;
    }
    /* "-": the master chooses <checkpoint dir>/savepoints/NAME-TIME, as
     * `gale rebalance` on the master's host does. */
    xasprintf(&req, "rebalance - %s", q->f[3]);
    nimbus_forward(n, t, q, "rebalance", req, q->f[3], REBALANCE_MS);
    free(req);
}

/* supervisors */
static void
do_supervisors(nimbus_t *n, const req_t *q)
{
    uint64_t now = gale_now_ns();
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
    nimbus_send_reply(n, q->route, q->routelen, q->envelope, true, text, items,
        n->nsups);
    for (i = 0; i < n->nsups; i++)
        free(items[i]);
    free(items);
    free(text);
}

/* register NAME HOST PORT PID NWORKERS: no reply. */
static void
do_register(nimbus_t *n, const req_t *q)
{
    gale_nim_register_t r;
    size_t i;
    sup_t *s;

    if (!gale_nimproto_register_parse(q->f, q->nf, &r)) {
        log_warn("nimbus: a malformed register (%zu frames) was ignored",
            q->nf);
        return;
    }
    if (gale_cluster_sup(n->c, r.name) == NULL) {
        for (i = 0; i < n->nunknown; i++)
            if (strcmp(n->unknown[i], r.name) == 0)
                return;
        log_warn("nimbus: supervisor `%s` (%s:%d) is not in %s; ignored",
            r.name, r.host, r.port, n->c->path);
        if (n->nunknown < 64) {
            n->unknown = xreallocarray(n->unknown, n->nunknown + 1,
                sizeof *n->unknown);
            n->unknown[n->nunknown++] = xstrdup(r.name);
        }
        return;
    }
    for (i = 0; i < n->nsups; i++)
        if (strcmp(n->sups[i].name, r.name) == 0)
            break;
    if (i == n->nsups) {
        n->sups = xreallocarray(n->sups, n->nsups + 1, sizeof *n->sups);
        memset(&n->sups[i], 0, sizeof n->sups[i]);
        n->sups[i].name = xstrdup(r.name);
        n->nsups++;
    }
    s = &n->sups[i];
    if (!s->alive || s->pid != r.pid || s->host == NULL ||
        strcmp(s->host, r.host) != 0 || s->port != r.port)
        log_info("nimbus: supervisor %s registered: %s:%d, pid %d, %d "
            "worker(s)", s->name, r.host, r.port, r.pid, r.workers);
    free(s->host);
    s->host = xstrdup(r.host);
    s->port = r.port;
    s->pid = r.pid;
    s->workers = r.workers;
    s->seen_ns = gale_now_ns();
    s->alive = true;
}

/* Marks supervisors not heard within the cluster's timeout as dead. */
void
nimbus_check_sups(nimbus_t *n, uint64_t now)
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

void
nimbus_req_clear(req_t *q)
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
int
nimbus_req_read(nimbus_t *n, req_t *q)
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

void
nimbus_dispatch(nimbus_t *n, req_t *q, int rc)
{
    const char *verb;
    size_t i;

    if (rc != 0 || q->nf <= GALE_NIM_F_VERB ||
        strcmp(q->f[GALE_NIM_F_MAGIC], GALE_NIMBUS_MAGIC) != 0) {
        log_warn("nimbus: a malformed request (%zu frames) was refused", q->nf);
        nimbus_reply(n, q, false, "malformed request: expected \"%s\", VERB, "
            "ARG... (at most %d frames)", GALE_NIMBUS_MAGIC, MAX_FRAMES);
        return;
    }
    for (i = 1; i < q->nf; i++)
        if (i != 3 && has_nul(q, i)) {
            nimbus_reply(n, q, false,
                "%s: an argument holds a NUL byte", q->f[1]);
            return;
        }
    verb = q->f[GALE_NIM_F_VERB];
    if (strcmp(verb, GALE_NIM_REGISTER) == 0)
        do_register(n, q);
    else if (strcmp(verb, GALE_NIM_SUBMIT) == 0)
        do_submit(n, q);
    else if (strcmp(verb, GALE_NIM_LIST) == 0)
        do_list(n, q);
    else if (strcmp(verb, GALE_NIM_KILL) == 0)
        do_kill(n, q);
    else if (strcmp(verb, GALE_NIM_ACTIVATE) == 0 ||
        strcmp(verb, GALE_NIM_DEACTIVATE) == 0)
        do_toggle(n, q);
    else if (strcmp(verb, GALE_NIM_REBALANCE) == 0)
        do_rebalance(n, q);
    else if (strcmp(verb, GALE_NIM_STOP_SAVEPOINT) == 0)
        do_stop_savepoint(n, q);
    else if (strcmp(verb, GALE_NIM_SAVEPOINT) == 0)
        do_savepoint(n, q);
    else if (strcmp(verb, GALE_NIM_METRICS) == 0)
        do_metrics(n, q);
    else if (strcmp(verb, GALE_NIM_SUPERVISORS) == 0)
        do_supervisors(n, q);
    else
        nimbus_reply(n, q, false, "unknown verb `%.64s`", q->f[1]);
}
