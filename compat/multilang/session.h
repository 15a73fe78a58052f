/* session.h - one task's conversation with its multilang child: spawn,
 * handshake (pidDir, conf, context; the pid reply), sending, waiting for
 * messages with the subprocess timeout, and what spouts and bolts share
 * (emit, log, error, metrics). Owned by the task's executor thread; every
 * gale_ctx and gale_emit call is made from it.
 *
 * The first failure is sticky: it is reported once (gale_ctx_report_error,
 * naming the component, the task and what the child sent) and every later
 * call returns the same -errno, so that the engine recovers.
 */
#ifndef GALE_ML_SESSION_H
#define GALE_ML_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include <gale/gale.h>

#include "common/buf.h"
#include "compat/multilang/child.h"

typedef struct gale_mlsession {
    gale_ctx_t *ctx;                /* the task, borrowed */
    const char *kind;               /* "spout" or "bolt", for messages */
    gale_mlchild_t *child;          /* owned */
    char *pid_dir;                  /* owned: the per-task pid dir */
    int timeout_ms;                 /* topology.subprocess.timeout.secs */
    uint64_t owed_since;            /* ns: when the child began to owe an
                                       answer (liveness counts from here or
                                       from its last output) */
    int err;                        /* sticky -errno, 0 while healthy */
    uint64_t polled_ns;             /* last gale_ctx_cancelled poll */
    gale_buf_t out;                 /* framing scratch */
    void **blocks;                  /* per-field LIST/MAP encodings for emit
                                       (gale_value_to_datum), owned */
    gale_value_t **trees;           /* per-field converted values for emit */
    gale_datum_t *vals;             /* emit scratch */
    size_t cap;                     /* room in scratch, trees, vals */
} gale_mlsession_t;

/* Spawns the child the component's `command`, `cwd` and `env` describe
 * and runs the handshake. 0, or -errno after reporting why. */
int gale_mlsession_open(gale_mlsession_t *s, gale_ctx_t *ctx, const char *kind);
/* Kills and reaps the child, removes the pid dir, frees. Idempotent. */
void gale_mlsession_close(gale_mlsession_t *s);
/* Sends msg (the reference is stolen). 0 or -errno (failure recorded). */
int gale_mlsession_send(gale_mlsession_t *s, json_t *msg);
/* The next message: 1 with *msg (caller json_decref()s), 0 when none came
 * within wait_ms, or -errno (failure recorded): the child died, wrote
 * garbage, or, when owed is true, stayed silent for the timeout. Returns
 * -ECANCELED when the engine tears the task down. */
int gale_mlsession_recv(gale_mlsession_t *s, json_t **msg, int wait_ms,
    bool owed);
/* Records a failure: reports "shell <kind> <comp>[<task>]: <what>" with an
 * excerpt of msg (may be NULL) and returns rc. A second failure only
 * returns the first one's code. */
int gale_mlsession_fail(gale_mlsession_t *s, int rc, const json_t *msg,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Handles log, error and metrics. 1 if msg was one of them, else 0. */
int gale_mlsession_common(gale_mlsession_t *s, const json_t *msg,
    const char *cmd);
/* Emits what an `emit` message asks (tuple, stream, task = direct) and,
 * unless it is direct or need_task_ids is false, answers with the task
 * ids. With drop, emits nothing but still answers (with no task ids):
 * for a spout's duplicate. 0 or -errno (failure recorded). */
int gale_mlsession_emit(gale_mlsession_t *s, const json_t *msg, bool drop);
/* The command name of msg, or NULL when it has none. */
const char *gale_mlsession_command(const json_t *msg);

#endif
