/* shellbolt.c - Storm's ShellBolt: a bolt whose tuples a child process
 * handles (docs/multilang.md).
 *
 * The child works asynchronously: execute() sends a tuple and returns; the
 * child's emits, acks and logs are taken off the reader's queue and acted
 * on (on the executor thread) at the next execute, snapshot or finish.
 * At most topology.shellbolt.max.pending tuples are with the child; when
 * that many are, execute waits (backpressure). A snapshot waits until the
 * child acked or failed every tuple sent before the barrier, so that the
 * barrier is forwarded after everything they caused.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rand.h"
#include "common/xalloc.h"
#include "compat/multilang/mlproto.h"
#include "compat/multilang/session.h"
#include "compat/multilang/shell.h"

#define HEARTBEAT_NS 1000000000ull     /* Storm's: every second */

typedef struct shellbolt {
    gale_mlsession_t s;             /* the child */
    uint64_t *pending;              /* ids of tuples with the child */
    uint64_t *sent_ns;              /* ... and when each was sent */
    size_t npending;
    size_t max_pending;             /* topology.shellbolt.max.pending */
    uint64_t rng;                   /* tuple id generator */
    bool hb_out;                    /* a heartbeat awaits its sync */
    uint64_t hb_sent;               /* ns of the last heartbeat sent */
} shellbolt_t;

/* true while the child owes an answer (liveness is checked then). */
static bool
owes(const shellbolt_t *b)
{
    return b->npending > 0 || b->hb_out;
}

/* Sends msg, starting the liveness clock if the child owed nothing. */
static int
send_owed(shellbolt_t *b, json_t *msg)
{
    if (!owes(b))
        b->s.owed_since = gale_now_ns();
    return gale_mlsession_send(&b->s, msg);
}

/* A fresh tuple id: a random signed 64-bit number, as Storm's. */
static uint64_t
new_id(shellbolt_t *b)
{
    return gale_xorshift64s(&b->rng);
}

/* Its decimal text as a JSON string. */
static json_t *
id_json(uint64_t id)
{
    char buf[24];

    snprintf(buf, sizeof buf, "%lld", (long long)(int64_t)id);
    return json_string(buf);
}

/* The pending index of the id JSON value j names (a string, or a number
 * from a lenient client), or -1. */
static long
find_pending(const shellbolt_t *b, const json_t *j)
{
    uint64_t id;
    char *end;
    size_t i;

    if (json_is_integer(j))
        id = (uint64_t)json_integer_value(j);
    else if (json_is_string(j)) {
        errno = 0;
        id = (uint64_t)strtoll(json_string_value(j), &end, 10);
        if (errno != 0 || *end != '\0' || end == json_string_value(j))
            return -1;
    } else
        return -1;
    for (i = 0; i < b->npending; i++)
        if (b->pending[i] == id)
            return (long)i;
    return -1;
}

/* Checks that every anchor of an emit is a tuple with the child. */
static int
check_anchors(shellbolt_t *b, const json_t *msg)
{
    const json_t *a = json_object_get(msg, "anchors"), *x;
    size_t i;

    if (a == NULL || json_is_null(a))
        return 0;
    if (json_is_string(a))
        return find_pending(b, a) >= 0 ? 0 : gale_mlsession_fail(&b->s,
            -EPROTO, msg, "Anchored onto %s after ack/fail",
            json_string_value(a));
    if (!json_is_array(a))
        return gale_mlsession_fail(&b->s, -EPROTO, msg, "`anchors` must be "
            "a list of tuple ids");
    json_array_foreach(a, i, x) {
        if (find_pending(b, x) < 0)
            return gale_mlsession_fail(&b->s, -EPROTO, msg, "Anchored onto "
                "%s after ack/fail", json_is_string(x) ? json_string_value(x) :
                "a non-string id");
    }
    return 0;
}

/* Acts on one message of the child. 0 or -errno. */
static int
handle(shellbolt_t *b, json_t *msg)
{
    const char *cmd = gale_mlsession_command(msg);
    long k;
    int rc;

    if (cmd == NULL)
        return gale_mlsession_fail(&b->s, -EPROTO, msg, "a message without "
            "a `command`");
    if (strcmp(cmd, "emit") == 0) {
        if ((rc = check_anchors(b, msg)) != 0)
            return rc;
        return gale_mlsession_emit(&b->s, msg, false);
    }
    if (strcmp(cmd, "ack") == 0 || strcmp(cmd, "fail") == 0) {
        if ((k = find_pending(b, json_object_get(msg, "id"))) < 0)
            return gale_mlsession_fail(&b->s, -EPROTO, msg, "%s of a tuple id "
                "that is not pending (unknown, or already acked or failed)",
                cmd);
        if (cmd[0] == 'f')
            return gale_mlsession_fail(&b->s, -EREMOTEIO, msg, "the child "
                "failed a tuple: gale replays no single tuple, so the task "
                "fails and the topology rolls back to its last checkpoint "
                "(gale.restart.attempts bounds a tuple that always fails)");
        /* Process latency: sent to the child, to its ack as read here. */
        gale_ctx_process_latency(b->s.ctx, gale_now_ns() - b->sent_ns[k]);
        b->npending--;
        b->pending[k] = b->pending[b->npending];
        b->sent_ns[k] = b->sent_ns[b->npending];
        return 0;
    }
    if (strcmp(cmd, "sync") == 0) {
        b->hb_out = false;
        return 0;
    }
    gale_mlsession_common(&b->s, msg, cmd);
    return 0;   /* ShellBolt ignores other commands (they count as output) */
}

/* Sends a heartbeat tuple when one is due (or now, with force) and none
 * is out. 0 or -errno. */
static int
heartbeat(shellbolt_t *b, bool force)
{
    uint64_t now = gale_now_ns();
    json_t *hb;
    int rc;

    if (b->hb_out || (!force && now - b->hb_sent < HEARTBEAT_NS))
        return 0;
    hb = json_object();
    json_object_set_new(hb, "id", id_json(new_id(b)));
    json_object_set_new(hb, "comp", json_null());
    json_object_set_new(hb, "stream", json_string("__heartbeat"));
    json_object_set_new(hb, "task", json_integer(-1));
    json_object_set_new(hb, "tuple", json_array());
    rc = send_owed(b, hb);
    b->hb_out = true;
    b->hb_sent = now;
    return rc;
}

/* Takes one message, waiting up to wait_ms, and acts on it. 1 if one
 * came, 0 if none, -errno. */
static int
step(shellbolt_t *b, int wait_ms)
{
    json_t *msg;
    int rc;

    if ((rc = heartbeat(b, false)) != 0)
        return rc;
    rc = gale_mlsession_recv(&b->s, &msg, wait_ms, owes(b));
    if (rc <= 0)
        return rc;
    rc = handle(b, msg);
    json_decref(msg);
    return rc < 0 ? rc : 1;
}

/* Acts on every message already queued. 0 or -errno. */
static int
take_queued(shellbolt_t *b)
{
    int rc;

    while ((rc = step(b, 0)) == 1)
        ;
    return rc;
}

/* Waits until at most max tuples are with the child. 0 or -errno. */
static int
wait_pending(shellbolt_t *b, size_t max)
{
    int rc;

    while (b->npending > max)
        if ((rc = step(b, 100)) < 0)
            return rc;
    return 0;
}

static int
shellbolt_prepare(gale_ctx_t *ctx, void **self)
{
    shellbolt_t *b = xcalloc(1, sizeof *b);
    const gale_value_t *v = gale_value_map_get(gale_ctx_conf(ctx),
        "topology.shellbolt.max.pending");
    int rc;

    *self = b;
    b->max_pending = v != NULL && v->type == GALE_INT && v->u.i > 0 ?
        (size_t)v->u.i : 100;
    b->pending = xcalloc(b->max_pending, sizeof *b->pending);
    b->sent_ns = xcalloc(b->max_pending, sizeof *b->sent_ns);
    b->rng = 0x9e3779b97f4a7c15ull ^ ((uint64_t)gale_ctx_task(ctx) << 32) ^
        gale_now_ns();
    if (b->rng == 0)
        b->rng = 1;
    b->hb_sent = gale_now_ns();
    if ((rc = gale_mlsession_open(&b->s, ctx, "bolt")) != 0) {
        /* cleanup is only called after a successful prepare. */
        gale_mlsession_close(&b->s);
        free(b->pending);
        free(b->sent_ns);
        free(b);
        *self = NULL;
        return rc;
    }
    return 0;
}

static int
shellbolt_execute(gale_ctx_t *ctx, void *self, const gale_tuple_t *t)
{
    shellbolt_t *b = self;
    const char *comp = gale_tuple_component(t);
    json_t *msg, *vals, *j;
    gale_datum_t d;
    uint64_t id;
    size_t i, n = gale_tuple_size(t);
    int rc;

    if ((rc = take_queued(b)) < 0 ||
        (rc = wait_pending(b, b->max_pending - 1)) < 0)
        return rc;
    vals = json_array();
    for (i = 0; i < n; i++) {
        gale_tuple_get(t, i, &d);
        if ((j = gale_mlproto_from_datum(&d)) == NULL) {
            json_decref(vals);
            return gale_mlsession_fail(&b->s, -EPROTO, NULL, "field %zu of "
                "a tuple from %s cannot be read", i, comp);
        }
        json_array_append_new(vals, j);
    }
    id = new_id(b);
    msg = json_object();
    json_object_set_new(msg, "id", id_json(id));
    json_object_set_new(msg, "comp", json_string(comp));
    json_object_set_new(msg, "stream", json_string(gale_tuple_stream(t)));
    json_object_set_new(msg, "task", json_integer(gale_tuple_source_task(t)));
    json_object_set_new(msg, "tuple", vals);
    b->sent_ns[b->npending] = gale_now_ns();
    rc = send_owed(b, msg);
    b->pending[b->npending++] = id;
    return rc;
}

/* Waits until the child answered for every tuple sent so far, then for
 * a heartbeat sent after that: the child handles its input in order, so
 * whatever it sent before that sync (an emit after its last ack, a log)
 * has been acted on too. 0 or -errno. */
static int
drain(shellbolt_t *b)
{
    int rc;

    if ((rc = take_queued(b)) < 0 || (rc = wait_pending(b, 0)) < 0)
        return rc;
    while (b->hb_out)                   /* one sent before: wait for it */
        if ((rc = step(b, 100)) < 0)
            return rc;
    if ((rc = heartbeat(b, true)) < 0)
        return rc;
    while (b->hb_out)
        if ((rc = step(b, 100)) < 0)
            return rc;
    return 0;
}

/* The barrier goes on only after the child answered for every tuple sent
 * before it (drain). A child that never acks blocks here, answering
 * heartbeats; the coordinator declines the checkpoint after
 * gale.checkpoint.timeout.ms and, past gale.checkpoint.tolerable.failures,
 * fails the attempt: the teardown cancels this wait (gale_ctx_cancelled). */
static int
shellbolt_snapshot(gale_ctx_t *ctx, void *self, uint64_t checkpoint_id)
{
    return drain(self);
}

static int
shellbolt_finish(gale_ctx_t *ctx, void *self)
{
    return drain(self);
}

static void
shellbolt_cleanup(gale_ctx_t *ctx, void *self)
{
    shellbolt_t *b = self;

    if (b == NULL)
        return;
    gale_mlsession_close(&b->s);
    free(b->pending);
    free(b->sent_ns);
    free(b);
}

const gale_param_spec_t gale_ml_shell_params[] = {
    { "command", GALE_LIST, true, "the child's command and arguments" },
    { "cwd", GALE_STRING, false, "its working directory (relative to the "
        "topology file's; default: that directory)" },
    { "env", GALE_MAP, false, "variables added to its environment (PATH "
        "is appended)" },
    { NULL, GALE_NULL, false, NULL }
};

static const gale_bolt_ops_t shellbolt_ops = {
    .prepare = shellbolt_prepare,
    .execute = shellbolt_execute,
    .finish = shellbolt_finish,
    .snapshot = shellbolt_snapshot,
    .cleanup = shellbolt_cleanup,
};

const gale_component_def_t gale_builtin_shell_bolt = {
    .type = "shell",
    .kind = GALE_BOLT,
    .summary = "Storm's ShellBolt: a multilang child process (storm.py, "
        "storm.js, storm.rb)",
    .params = gale_ml_shell_params,
    .bolt = &shellbolt_ops,
};
