/* console_server.c - the topology master's end of the console. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "engine/run/console.h"
#include "engine/run/console_server.h"
#include "engine/run/status.h"
#include "engine/transport/outlet.h"
#include "engine/wire/control.h"

struct gale_console_server {
    void *sock;                     /* REP, owned */
    bool busy;                      /* a request waits for its reply */
    const gale_plan_t *plan;        /* borrowed */
    gale_coord_t *coord;            /* borrowed; NULL: no checkpoints */
    const gale_progress_t *progress;/* borrowed */
    uint64_t start_ns;              /* the run's start */
    bool capture;                   /* gale_console_server_exec: replies
                                       go to captured, not the socket */
    char *captured;                 /* the reply captured, owned */
    gale_console_describe_fn describe; /* `metrics`; NULL: none */
    void *describe_arg;
    gale_console_describe_fn prom;  /* `prometheus`; NULL: none */
    void *prom_arg;
};

gale_console_server_t *
gale_console_server_open(void *zctx, const gale_plan_t *plan,
    gale_coord_t *coord, const gale_progress_t *progress, uint64_t start_ns)
{
    const gale_topology_t *t = plan->topo;
    char *ep = gale_console_endpoint(t->name);
    gale_console_server_t *s;
    int linger = 0;
    void *sock;

    sock = zmq_socket(zctx, ZMQ_REP);
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind(sock, ep) != 0) {
        log_warn("%s: another topology of this name runs on this host: this "
            "one takes no commands (gale list, kill, savepoint)", t->name);
        zmq_close(sock);
        free(ep);
        return NULL;
    }
    (void)gale_console_register(t->name, t->path, (int)plan->ntasks,
        plan->nworkers);
    free(ep);
    s = xcalloc(1, sizeof *s);
    s->sock = sock;
    s->plan = plan;
    s->coord = coord;
    s->progress = progress;
    s->start_ns = start_ns;
    return s;
}

void
gale_console_server_close(gale_console_server_t **sp)
{
    gale_console_server_t *s;

    if (sp == NULL || (s = *sp) == NULL)
        return;
    zmq_close(s->sock);
    free(s->captured);
    gale_console_unregister(s->plan->topo->name);
    free(s);
    *sp = NULL;
}

void *
gale_console_server_pollable(const gale_console_server_t *s)
{
    return s != NULL && !s->busy ? s->sock : NULL;
}

void
gale_console_server_reply(gale_console_server_t *s, const char *fmt, ...)
{
    va_list ap;
    char *line;

    if (s == NULL || !s->busy)
        return;
    va_start(ap, fmt);
    if (vasprintf(&line, fmt, ap) < 0)
        line = NULL;
    va_end(ap);
    if (s->capture) {
        free(s->captured);
        s->captured = line != NULL ? line : xstrdup("error");
        s->busy = false;
        return;
    }
    zmq_send(s->sock, line != NULL ? line : "error", line != NULL ?
        strlen(line) : 5, 0);
    free(line);
    s->busy = false;
}

void
gale_console_state_clear_savepoint(gale_console_state_t *st)
{
    free(st->sp_verb);
    free(st->sp_dir);
    free(st->sp_spec);
    st->sp_verb = st->sp_dir = st->sp_spec = NULL;
    st->sp_id = 0;
    st->sp_written = false;
}

const char *
gale_console_status_word(const gale_console_state_t *st)
{
    if (st->sp_verb != NULL && strcmp(st->sp_verb, "rebalance") == 0)
        return "REBALANCING";
    if (st->kill_at != 0 || st->stopped)
        return "KILLED";
    return st->inactive ? "INACTIVE" : "ACTIVE";
}

/* Answers `status`: the one place its reply is formatted ("ok WORD TASKS
 * WORKERS UPTIME_S PID EMITTED EXECUTED LAST_CHECKPOINT"). */
static void
reply_status(gale_console_server_t *s, const gale_console_state_t *st)
{
    const gale_plan_t *p = s->plan;
    unsigned long long emitted, executed;

    gale_status_t reply = { .tasks = p->ntasks, .workers = p->nworkers,
        .pid = (int)getpid() };
    char *text;

    gale_progress_counts(s->progress, &emitted, &executed);
    snprintf(reply.word, sizeof reply.word, "%s", gale_console_status_word(st));
    reply.uptime_s = (gale_now_ns() - s->start_ns) / 1e9;
    reply.emitted = emitted;
    reply.executed = executed;
    reply.last_ckpt = s->coord != NULL ?
        (unsigned long long)gale_coord_stats(s->coord)->last_id : 0ULL;
    text = gale_status_format(&reply);
    gale_console_server_reply(s, "%s", text);
    free(text);
}

/* Checks a rebalance's spec ("COMPONENT=N ... workers=N") against the
 * topology before anything stops: unknown components, bad numbers, and
 * spouts whose task count would change are refused. 0, or -1 with the
 * reason in why. */
static int
check_rebalance(const gale_plan_t *plan, const char *spec, char *why,
    size_t len)
{
    const gale_topology_t *t = plan->topo;
    char *copy = xstrdup(spec), *tok, *save = NULL, *eq, *end;
    long n;
    int k, rc = 0;

    for (tok = strtok_r(copy, " ", &save); tok != NULL && rc == 0;
        tok = strtok_r(NULL, " ", &save)) {
        const gale_comp_t *c = NULL;

        if ((eq = strchr(tok, '=')) == NULL) {
            snprintf(why, len, "`%s`: expected COMPONENT=N", tok);
            rc = -1;
            break;
        }
        *eq = '\0';
        n = strtol(eq + 1, &end, 10);
        if (*end != '\0' || eq[1] == '\0' || n < 1 ||
            n > t->max_parallelism) {
            snprintf(why, len, "%s: expected a number from 1 to %d, not `%s`",
                tok, t->max_parallelism, eq + 1);
            rc = -1;
            break;
        }
        if (strcmp(tok, "workers") == 0)
            continue;
        if ((k = gale_topology_find(t, tok)) >= 0)
            c = &t->comps[k];
        if (c == NULL) {
            snprintf(why, len, "no component `%s` in %s", tok, t->name);
            rc = -1;
        } else if (c->kind == GALE_SPOUT &&
            gale_comp_tasks_for(c, (int)n) != c->ntasks) {
            snprintf(why, len, "spout `%s` has %d tasks and would get %ld: a "
                "spout's recorded positions belong to its tasks, so its task "
                "count cannot change (give it more tasks in the file to allow "
                "more executors)", tok, c->ntasks, n);
            rc = -1;
        }
    }
    free(copy);
    return rc;
}

/* savepoint, stop-savepoint, rebalance: checks the request and records
 * it in st (the master answers it), or answers with the reason. */
static void
request_savepoint(gale_console_server_t *s, gale_console_state_t *st,
    const char *verb, char *arg, size_t arglen)
{
    const gale_plan_t *p = s->plan;
    char dir[4096] = "", spec[4096] = "";

    sscanf(arg, "%4095s %4095[^\n]", dir, spec);
    if (s->coord == NULL)
        gale_console_server_reply(s, "error %s runs with guarantee \"none\": "
            "no checkpoints, so no savepoints", p->topo->name);
    else if (st->sp_verb != NULL)
        gale_console_server_reply(s, "error a %s is already in progress",
            st->sp_verb);
    else if (st->stopped || st->kill_at != 0)
        gale_console_server_reply(s, "error %s is stopping", p->topo->name);
    else if (strcmp(verb, "rebalance") == 0 &&
        check_rebalance(p, spec, arg, arglen) != 0)
        gale_console_server_reply(s, "error %s", arg);
    else if (dir[0] != '/' && strcmp(dir, "-") != 0)
        gale_console_server_reply(s, "error the savepoint directory must be "
            "an absolute path");
    else {
        if (strcmp(dir, "-") == 0) {
            char *abs = realpath(gale_coord_dir(s->coord), NULL);

            snprintf(dir, sizeof dir, "%s/savepoints/%s-%llu",
                abs != NULL ? abs : gale_coord_dir(s->coord),
                p->topo->name, (unsigned long long)time(NULL));
            free(abs);
        }
        st->sp_verb = xstrdup(verb);
        st->sp_dir = xstrdup(dir);
        st->sp_spec = xstrdup(spec);
        log_info("%s: %s requested into %s", p->topo->name, verb, dir);
        /* answered when written */
    }
}

/* Acts on request line req; s->busy is set (a reply is expected).
 * Returns the control message for every executor, or 0. */
static uint32_t
dispatch(gale_console_server_t *s, gale_console_state_t *st, const char *req)
{
    const gale_plan_t *p = s->plan;
    char verb[32], arg[4096];
    uint32_t send = 0;
    int secs;

    verb[0] = arg[0] = '\0';
    sscanf(req, "%31s %4095[^\n]", verb, arg);
    if (strcmp(verb, "status") == 0) {
        reply_status(s, st);
    } else if (strcmp(verb, "metrics") == 0) {
        char *text = s->describe != NULL ? s->describe(s->describe_arg) :
            NULL;

        if (text != NULL)
            gale_console_server_reply(s, "ok %s", text);
        else
            gale_console_server_reply(s, "error no metrics here");
        free(text);
    } else if (strcmp(verb, "prometheus") == 0) {
        char *text = s->prom != NULL ? s->prom(s->prom_arg) : NULL;

        if (text != NULL)
            gale_console_server_reply(s, "ok %s", text);
        else
            gale_console_server_reply(s, "error no metrics here");
        free(text);
    } else if (strcmp(verb, "activate") == 0 ||
        strcmp(verb, "deactivate") == 0) {
        st->inactive = verb[0] == 'd';
        send = st->inactive ? GALE_CTL_DEACTIVATE : GALE_CTL_ACTIVATE;
        log_info("%s: %sactivated", p->topo->name, st->inactive ? "de" : "");
        gale_console_server_reply(s, "ok %s", gale_console_status_word(st));
    } else if (strcmp(verb, "kill") == 0) {
        secs = atoi(arg);
        st->inactive = true;
        send = GALE_CTL_DEACTIVATE;
        st->kill_at = gale_now_ns() + (uint64_t)(secs > 0 ? secs : 0) *
            1000000000ull + 1;
        log_info("%s: killed: spouts deactivated, stopping in %d s",
            p->topo->name, secs);
        gale_console_server_reply(s, "ok killing %s in %d s", p->topo->name,
            secs);
    } else if (strcmp(verb, "savepoint") == 0 ||
        strcmp(verb, "stop-savepoint") == 0 || strcmp(verb, "rebalance") == 0) {
        request_savepoint(s, st, verb, arg, sizeof arg);
    } else {
        gale_console_server_reply(s, "error unknown request `%s`", verb);
    }
    return send;
}

void
gale_console_server_set_describe(gale_console_server_t *s,
    gale_console_describe_fn fn, void *arg)
{
    if (s == NULL)
        return;
    s->describe = fn;
    s->describe_arg = arg;
}

void
gale_console_server_set_prometheus(gale_console_server_t *s,
    gale_console_describe_fn fn, void *arg)
{
    if (s == NULL)
        return;
    s->prom = fn;
    s->prom_arg = arg;
}

uint32_t
gale_console_server_handle(gale_console_server_t *s, gale_console_state_t *st)
{
    char req[4096];
    int n;

    if (s == NULL ||
        (n = zmq_recv(s->sock, req, sizeof req - 1, ZMQ_DONTWAIT)) < 0)
        return 0;
    s->busy = true;
    req[n < (int)sizeof req ? n : (int)sizeof req - 1] = '\0';
    return dispatch(s, st, req);
}

int64_t
gale_console_server_exec(gale_console_server_t *s, gale_console_state_t *st,
    const char *request, char **reply)
{
    bool was_busy;
    uint32_t send;

    *reply = NULL;
    if (s == NULL)
        return -1;
    /* A console request that waits for its reply (a savepoint) keeps
     * waiting: this one is answered here, and the socket's stays owed. */
    was_busy = s->busy;
    s->busy = true;
    s->capture = true;
    send = dispatch(s, st, request);
    s->capture = false;
    s->busy = was_busy;
    *reply = s->captured;
    s->captured = NULL;
    return send;
}
