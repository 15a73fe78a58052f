/* shellspout.c - Storm's ShellSpout: a spout whose tuples a child process
 * produces (docs/multilang.md).
 *
 * Every command is synchronous: next() sends `next` and acts on the
 * child's emits until its `sync`, so a checkpoint barrier (taken between
 * two next() calls) never falls inside one. Message ids map onto
 * checkpoints: the ids emitted before snapshot n are acked to the child
 * when checkpoint n completes (cumulative), and a rollback restarts the
 * child, which fails the rest implicitly. A restarted source may deliver
 * again ids that a completed checkpoint already covers: the spout keeps
 * those it may see again (not acked yet, or acked recently) in operator
 * state and drops them, acking them once more.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fnv.h"
#include "common/xalloc.h"
#include "compat/multilang/mlproto.h"
#include "compat/multilang/session.h"
#include "compat/multilang/shell.h"

/* Acked ids remembered for a source that redelivers an id it was told
 * about but had not recorded yet when it restarted. */
#define RECENT_ACKED 4096
#define STATE_NAME "multilang"
#define STATE_KEY "covered"

/* An id emitted and not acked yet. */
typedef struct inflight {
    char *id;                       /* owned: the id's compact JSON */
    uint64_t ckpt;                  /* first checkpoint covering it; 0 none yet */
} inflight_t;

/* A set of strings (open addressing; a removed entry leaves a tombstone
 * until the next growth). */
typedef struct strset {
    char **slots;                   /* owned strings, NULL = empty, or TOMB */
    size_t cap;                     /* power of two, or 0 */
    size_t n;                       /* live entries */
    size_t used;                    /* live entries and tombstones */
} strset_t;

static char tomb[1];                /* a removed entry's slot */
#define TOMB tomb

typedef struct shellspout {
    gale_mlsession_t s;             /* the child */
    gale_kv_t *state;               /* operator state, engine-owned */
    inflight_t *inflight;           /* in emission order */
    size_t ninflight, capinflight;
    size_t max_pending;             /* topology.max.spout.pending; 0 = none */
    char **toack;                   /* owned ids to ack before the next command */
    size_t ntoack, captoack;
    char *recent[RECENT_ACKED];     /* ring of owned acked ids */
    size_t nrecent, recent_next;
    strset_t covered;               /* restored ids to drop */
    bool checkpoints;               /* false: ack at once (guarantee none) */
    bool done;                      /* the child said its input ended */
    bool active;                    /* activate was answered */
} shellspout_t;

/* FNV-1a. */
static uint64_t
hash(const char *s)
{
    return gale_fnv(GALE_FNV_BASIS, s, strlen(s));
}

/* The slot holding s, or -1. */
static long
strset_find(const strset_t *set, const char *s)
{
    size_t i;

    if (set->cap == 0)
        return -1;
    for (i = hash(s) & (set->cap - 1); set->slots[i] != NULL;
        i = (i + 1) & (set->cap - 1))
        if (set->slots[i] != TOMB && strcmp(set->slots[i], s) == 0)
            return (long)i;
    return -1;
}

static bool
strset_has(const strset_t *set, const char *s)
{
    return strset_find(set, s) >= 0;
}

static void
strset_add(strset_t *set, const char *s)
{
    char **old = set->slots;
    size_t i, k, oldcap = set->cap;

    if (strset_has(set, s))
        return;
    if ((set->used + 1) * 2 > set->cap) {
        while ((set->n + 1) * 4 > set->cap)
            set->cap = set->cap ? set->cap * 2 : 64;
        set->slots = xcalloc(set->cap, sizeof *set->slots);
        for (i = 0; i < oldcap; i++) {
            if (old[i] == NULL || old[i] == TOMB)
                continue;
            for (k = hash(old[i]) & (set->cap - 1); set->slots[k] != NULL;
                k = (k + 1) & (set->cap - 1))
                ;
            set->slots[k] = old[i];
        }
        free(old);
        set->used = set->n;
    }
    for (i = hash(s) & (set->cap - 1); set->slots[i] != NULL;
        i = (i + 1) & (set->cap - 1))
        ;
    set->slots[i] = xstrdup(s);
    set->n++;
    set->used++;
}

/* Removes s if it is there. */
static void
strset_remove(strset_t *set, const char *s)
{
    long i = strset_find(set, s);

    if (i < 0)
        return;
    free(set->slots[i]);
    set->slots[i] = TOMB;
    set->n--;
}

static void
strset_clear(strset_t *set)
{
    size_t i;

    for (i = 0; i < set->cap; i++)
        if (set->slots[i] != TOMB)
            free(set->slots[i]);
    free(set->slots);
    memset(set, 0, sizeof *set);
}

/* The compact JSON text of id. Caller frees. */
static char *
id_text(const json_t *id)
{
    char *t = json_dumps(id, JSON_COMPACT | JSON_ENCODE_ANY);

    return t != NULL ? t : xstrdup("null");
}

/* Queues id (owned, taken) for an ack before the next command. */
static void
queue_ack(shellspout_t *sp, char *id)
{
    if (sp->ntoack == sp->captoack) {
        sp->captoack = sp->captoack ? sp->captoack * 2 : 16;
        sp->toack = xreallocarray(sp->toack, sp->captoack, sizeof *sp->toack);
    }
    sp->toack[sp->ntoack++] = id;
}

/* Remembers an acked id (owned, taken) in the ring. */
static void
remember(shellspout_t *sp, char *id)
{
    free(sp->recent[sp->recent_next]);
    sp->recent[sp->recent_next] = id;
    sp->recent_next = (sp->recent_next + 1) % RECENT_ACKED;
    if (sp->nrecent < RECENT_ACKED)
        sp->nrecent++;
}

/* Acts on one message of the child during a command. 1 when it was the
 * closing sync, 0 otherwise, -errno. */
static int
handle(shellspout_t *sp, json_t *msg)
{
    const char *cmd = gale_mlsession_command(msg);
    const json_t *id;
    char *text;
    int rc;

    if (cmd == NULL)
        return gale_mlsession_fail(&sp->s, -EPROTO, msg, "a message without "
            "a `command`");
    if (strcmp(cmd, "sync") == 0) {
        /* gale's extension for bounded sources: the input has ended. */
        if (json_is_true(json_object_get(msg, "done")))
            sp->done = true;
        return 1;
    }
    if (strcmp(cmd, "emit") == 0) {
        id = json_object_get(msg, "id");
        if (id == NULL || json_is_null(id))
            return gale_mlsession_emit(&sp->s, msg, false);   /* unreliable */
        text = id_text(id);
        if (strset_has(&sp->covered, text)) {
            /* A completed checkpoint holds it already: drop, ack again
             * (from here on the ack queue and the recent ring hold it). */
            strset_remove(&sp->covered, text);
            queue_ack(sp, text);
            return gale_mlsession_emit(&sp->s, msg, true);
        }
        if ((rc = gale_mlsession_emit(&sp->s, msg, false)) != 0) {
            free(text);
            return rc;
        }
        if (!sp->checkpoints) {
            queue_ack(sp, text);        /* no checkpoints: acked on leaving */
            return 0;
        }
        if (sp->ninflight == sp->capinflight) {
            sp->capinflight = sp->capinflight ? sp->capinflight * 2 : 64;
            sp->inflight = xreallocarray(sp->inflight, sp->capinflight,
                sizeof *sp->inflight);
        }
        sp->inflight[sp->ninflight].id = text;
        sp->inflight[sp->ninflight++].ckpt = 0;
        return 0;
    }
    if (gale_mlsession_common(&sp->s, msg, cmd))
        return 0;
    return gale_mlsession_fail(&sp->s, -EPROTO, msg, "Unknown command "
        "received: %s", cmd);
}

/* Sends a command ({"command": cmd, "id": id}; id is stolen, NULL = "")
 * and acts on the child's messages until its sync. 0 or -errno. */
static int
command(shellspout_t *sp, const char *cmd, json_t *id)
{
    json_t *msg = json_object();
    int rc;

    json_object_set_new(msg, "command", json_string(cmd));
    json_object_set_new(msg, "id", id != NULL ? id : json_string(""));
    sp->s.owed_since = gale_now_ns();
    if ((rc = gale_mlsession_send(&sp->s, msg)) != 0)
        return rc;
    for (;;) {
        rc = gale_mlsession_recv(&sp->s, &msg, 100, true);
        if (rc < 0)
            return rc;
        if (rc == 0)
            continue;
        rc = handle(sp, msg);
        json_decref(msg);
        if (rc != 0)
            return rc < 0 ? rc : 0;
    }
}

/* Sends the queued acks. 0 or -errno. */
static int
send_acks(shellspout_t *sp)
{
    json_t *id;
    size_t i;
    int rc = 0;

    for (i = 0; i < sp->ntoack && rc == 0; i++) {
        if ((id = json_loads(sp->toack[i], JSON_DECODE_ANY, NULL)) == NULL)
            id = json_null();
        rc = command(sp, "ack", id);
        remember(sp, sp->toack[i]);
        sp->toack[i] = NULL;
    }
    for (; i < sp->ntoack; i++)
        free(sp->toack[i]);
    sp->ntoack = 0;
    return rc;
}

static int
shellspout_open(gale_ctx_t *ctx, void **self)
{
    shellspout_t *sp = xcalloc(1, sizeof *sp);
    const gale_value_t *conf = gale_ctx_conf(ctx), *v;
    int rc;

    *self = sp;
    sp->state = gale_ctx_operator_state(ctx, STATE_NAME);
    v = gale_value_map_get(conf, "topology.max.spout.pending");
    sp->max_pending = v != NULL && v->type == GALE_INT && v->u.i > 0 ?
        (size_t)v->u.i : 0;
    v = gale_value_map_get(conf, "gale.guarantee");
    sp->checkpoints = !(v != NULL && v->type == GALE_STRING &&
        strcmp(v->u.s.ptr, "none") == 0);
    if ((rc = gale_mlsession_open(&sp->s, ctx, "spout")) != 0) {
        /* close is only called after a successful open. */
        gale_mlsession_close(&sp->s);
        free(sp);
        *self = NULL;
        return rc;
    }
    return 0;
}

static int
shellspout_next(gale_ctx_t *ctx, void *self)
{
    shellspout_t *sp = self;
    size_t before = sp->ninflight;
    uint64_t emitted;
    int rc;

    if (sp->s.err != 0)
        return sp->s.err;
    if (sp->done)
        return GALE_DONE;
    if ((rc = send_acks(sp)) != 0)
        return rc;
    if (sp->max_pending > 0 && sp->ninflight >= sp->max_pending)
        return GALE_IDLE;       /* wait for a checkpoint to complete */
    emitted = sp->ntoack;
    if ((rc = command(sp, "next", NULL)) != 0)
        return rc;
    /* Emitted: new in-flight ids, or acks queued for unreliable/no-ckpt. */
    if (sp->ninflight > before || sp->ntoack > emitted)
        return GALE_EMITTED;
    return sp->done ? GALE_DONE : GALE_IDLE;
}

static void
shellspout_activate(gale_ctx_t *ctx, void *self)
{
    shellspout_t *sp = self;

    if (sp->s.err == 0 && command(sp, "activate", NULL) == 0)
        sp->active = true;
}

static void
shellspout_deactivate(gale_ctx_t *ctx, void *self)
{
    shellspout_t *sp = self;

    if (sp->s.err == 0 && sp->active && command(sp, "deactivate", NULL) == 0)
        sp->active = false;
}

/* Appends text to the state's JSON array under construction. */
static void
add_text(gale_buf_t *b, const char *text)
{
    if (b->len > 1)
        gale_buf_append_byte(b, ',');
    gale_buf_append(b, text, strlen(text));
}

/* Records the ids a rollback to this checkpoint may see again: those in
 * flight (all emitted before this barrier), those queued for an ack, the
 * recently acked ones, and those restored from an earlier checkpoint that
 * the source has not delivered again yet (a second rollback must still
 * drop them). Bounded by max.spout.pending + RECENT_ACKED (+ the acks of
 * one next()) + what a restore brought and was not seen again. */
static int
shellspout_snapshot(gale_ctx_t *ctx, void *self, uint64_t checkpoint_id)
{
    shellspout_t *sp = self;
    gale_buf_t b;
    size_t i;
    int rc;

    if (sp->s.err != 0)
        return sp->s.err;
    for (i = 0; i < sp->ninflight; i++)
        if (sp->inflight[i].ckpt == 0)
            sp->inflight[i].ckpt = checkpoint_id;
    gale_buf_init(&b, 256);
    gale_buf_append_byte(&b, '[');
    for (i = 0; i < sp->ninflight; i++)
        add_text(&b, sp->inflight[i].id);
    for (i = 0; i < sp->ntoack; i++)
        add_text(&b, sp->toack[i]);
    for (i = 0; i < sp->nrecent; i++)
        add_text(&b, sp->recent[(sp->recent_next + RECENT_ACKED - 1 - i) %
            RECENT_ACKED]);
    for (i = 0; i < sp->covered.cap; i++)
        if (sp->covered.slots[i] != NULL && sp->covered.slots[i] != TOMB)
            add_text(&b, sp->covered.slots[i]);
    gale_buf_append_byte(&b, ']');
    rc = gale_kv_put(sp->state, STATE_KEY, strlen(STATE_KEY), b.data, b.len);
    gale_buf_release(&b);
    return rc;
}

/* Loads the ids to drop from operator state. */
static int
shellspout_restore(gale_ctx_t *ctx, void *self)
{
    shellspout_t *sp = self;
    const void *val;
    json_error_t jerr;
    json_t *a, *x;
    size_t vlen, i;
    char *text;

    if (gale_kv_get(sp->state, STATE_KEY, strlen(STATE_KEY), &val, &vlen) != 0)
        return 0;
    if ((a = json_loadb(val, vlen, 0, &jerr)) == NULL || !json_is_array(a)) {
        json_decref(a);
        return gale_mlsession_fail(&sp->s, -EPROTO, NULL, "operator state "
            "`%s` is not a JSON array", STATE_KEY);
    }
    json_array_foreach(a, i, x) {
        text = id_text(x);
        strset_add(&sp->covered, text);
        free(text);
    }
    json_decref(a);
    gale_ctx_log(ctx, GALE_LOG_INFO, "restored %zu message ids a completed "
        "checkpoint covers: the child's redeliveries of them are dropped",
        sp->covered.n);
    return 0;
}

/* Acks every id a checkpoint <= n covers, oldest first. */
static void
shellspout_complete(gale_ctx_t *ctx, void *self, uint64_t checkpoint_id)
{
    shellspout_t *sp = self;
    size_t k;

    for (k = 0; k < sp->ninflight && sp->inflight[k].ckpt != 0 &&
        sp->inflight[k].ckpt <= checkpoint_id; k++)
        queue_ack(sp, sp->inflight[k].id);
    if (k > 0) {
        memmove(sp->inflight, sp->inflight + k,
            (sp->ninflight - k) * sizeof *sp->inflight);
        sp->ninflight -= k;
    }
    if (sp->s.err == 0)
        send_acks(sp);
}

static void
shellspout_close(gale_ctx_t *ctx, void *self)
{
    shellspout_t *sp = self;
    size_t i;

    if (sp == NULL)
        return;
    gale_mlsession_close(&sp->s);
    for (i = 0; i < sp->ninflight; i++)
        free(sp->inflight[i].id);
    free(sp->inflight);
    for (i = 0; i < sp->ntoack; i++)
        free(sp->toack[i]);
    free(sp->toack);
    for (i = 0; i < RECENT_ACKED; i++)
        free(sp->recent[i]);
    strset_clear(&sp->covered);
    free(sp);
}

static const gale_spout_ops_t shellspout_ops = {
    .open = shellspout_open,
    .next = shellspout_next,
    .activate = shellspout_activate,
    .deactivate = shellspout_deactivate,
    .snapshot = shellspout_snapshot,
    .restore = shellspout_restore,
    .checkpoint_complete = shellspout_complete,
    .close = shellspout_close,
};

const gale_component_def_t gale_builtin_shell_spout = {
    .type = "shell",
    .kind = GALE_SPOUT,
    .summary = "Storm's ShellSpout: a multilang child process (storm.py, "
        "storm.js, storm.rb)",
    .params = gale_ml_shell_params,
    .spout = &shellspout_ops,
};
