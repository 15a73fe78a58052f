/* console_server.h - the topology master's end of the console: takes the
 * requests of `gale list`, `gale kill`, `gale savepoint`, ... (protocol:
 * engine/run/console.h, the client's side) and answers them.
 *
 * It owns the REP socket and the registration of the topology for `gale
 * list`. A request acts on the part of the master's state that the
 * console may change (gale_console_state_t, owned by the master and lent
 * for each call); a savepoint request is only recorded there, and the
 * master answers it when the savepoint is written or fails. Not
 * thread-safe: the master's thread is its only user. Every function
 * accepts a NULL server (a topology running without a console).
 */
#ifndef GALE_CONSOLE_SERVER_H
#define GALE_CONSOLE_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/checkpoint/coordinator.h"
#include "engine/run/progress.h"
#include "topology/plan.h"

typedef struct gale_console_server gale_console_server_t;  /* opaque */

/* What console requests read and change of the topology master. */
typedef struct gale_console_state {
    int stopped;            /* signals handled when STOP went out; 0: not
                               stopping (the master's; read here) */
    bool inactive;          /* deactivated (spouts idle) */
    uint64_t kill_at;       /* `gale kill -w`: stop then; 0 = no */
    char *sp_verb;          /* savepoint, stop-savepoint, rebalance; owned;
                               NULL: none in progress */
    char *sp_dir;           /* where the savepoint goes, owned */
    char *sp_spec;          /* rebalance: the new parallelism, owned */
    uint64_t sp_id;         /* its checkpoint; 0: not triggered */
    bool sp_written;        /* the savepoint directory is complete */
} gale_console_state_t;

/* Binds the console of plan's topology and registers it for `gale list`.
 * NULL when another topology of the same name on this host has the
 * console (a warning says this one takes no commands). plan, coord (NULL
 * with guarantee "none") and progress are borrowed and outlive the
 * server; start_ns is when the run started (its uptime). */
gale_console_server_t *gale_console_server_open(void *zctx,
    const gale_plan_t *plan, gale_coord_t *coord,
    const gale_progress_t *progress, uint64_t start_ns);
/* Unregisters, closes and sets *sp to NULL. Accepts NULL and *NULL. */
void gale_console_server_close(gale_console_server_t **sp);
/* The socket to poll for a request, or NULL when a request still waits
 * for its reply (or there is no console). */
void *gale_console_server_pollable(const gale_console_server_t *s);
/* Reads and acts on one request, if one is there. Most are answered at
 * once; a savepoint is recorded in st and answered by the master. Returns
 * the control message (GALE_CTL_*) the master must send every executor,
 * or 0. */
uint32_t gale_console_server_handle(gale_console_server_t *s,
    gale_console_state_t *st);
/* Answers the request that waits, with a formatted line ("ok ..." or
 * "error ..."). Does nothing when none waits. */
void gale_console_server_reply(gale_console_server_t *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* What the `metrics` request answers ("ok " and this text): a JSON
 * document the master makes (engine/run/monitor.h's topology page), or
 * NULL when it cannot. Caller frees. */
typedef char *(*gale_console_describe_fn)(void *arg);
/* Lets `metrics` requests be answered with fn(arg) (`gale top`). */
void gale_console_server_set_describe(gale_console_server_t *s,
    gale_console_describe_fn fn, void *arg);
/* Lets `prometheus` requests be answered with fn(arg): the master's
 * /metrics text (Prometheus's format), which nimbus relays on its own
 * /metrics (docs/nimbus.md). */
void gale_console_server_set_prometheus(gale_console_server_t *s,
    gale_console_describe_fn fn, void *arg);
/* The status word of st, as `gale list` shows it: ACTIVE, INACTIVE,
 * KILLED or REBALANCING (a static string). */
const char *gale_console_status_word(const gale_console_state_t *st);
/* Runs one request line (the console's protocol: "deactivate",
 * "savepoint DIR", ...) on behalf of another front end (the REST API,
 * engine/run/webapi.c) as if it had come on the socket. *reply is the
 * answer (caller frees), or NULL when the master answers it later (a
 * savepoint: the REST caller polls the status). Returns the control
 * message the master must send every executor, or 0. -1 without a
 * server (*reply NULL). */
int64_t gale_console_server_exec(gale_console_server_t *s,
    gale_console_state_t *st, const char *request, char **reply);
/* Forgets the savepoint in progress in st. */
void gale_console_state_clear_savepoint(gale_console_state_t *st);

#endif
