/* supclient.h - a topology master's line to the cluster's supervisors:
 * which hosts answer, start a worker on one, stop a topology's workers.
 *
 * The wire is engine/net/supproto.h (engine/cluster/supervisor.c is
 * the other side).
 *
 * Main thread of the master only.
 */
#ifndef GALE_CLUSTER_SUPCLIENT_H
#define GALE_CLUSTER_SUPCLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/net/cluster.h"
#include "engine/net/supproto.h"

typedef struct gale_supclient gale_supclient_t;

/* gale_sup_worker_t: one worker process a supervisor holds, from its
 * last ping reply (supproto.h). */

/* Connects to every supervisor of c (nothing is sent yet). zctx must
 * outlive the client; gale_netsec_init() must have run for curve. */
gale_supclient_t *gale_supclient_new(void *zctx, const gale_cluster_t *c);
void gale_supclient_destroy(gale_supclient_t **scp);

/* Pings every supervisor when its last ping is older than every_ms and
 * reads whatever replies came; never blocks. Call it often. */
void gale_supclient_poll(gale_supclient_t *sc, uint64_t now_ns, int every_ms);
/* Whether supervisor i (index in c->sups) answered within timeout_ms
 * before now_ns. A supervisor never heard from counts as answered at
 * the client's creation (so a fresh client gives them a timeout). */
bool gale_supclient_alive(const gale_supclient_t *sc, int i, uint64_t now_ns,
    int timeout_ms);
/* The workers supervisor i listed in its last ping reply (*n of them;
 * valid until the next poll). NULL (and *n = 0) until its first ping
 * reply, never NULL after. */
const gale_sup_worker_t *gale_supclient_workers(const gale_supclient_t *sc,
    int i, int *n);

/* Sends spawn to supervisor i and waits up to timeout_ms for its reply
 * (other replies that arrive meanwhile are read as poll would). argv is
 * NULL-terminated (the worker's arguments after `gale worker FILE`).
 * 0 with *pid, or -1 with *cause (error reply, or no reply in time). */
int gale_supclient_spawn(gale_supclient_t *sc, int i, const char *topology,
    int worker, uint32_t epoch, const char *cwd, const char *file_text,
    const char *spec, char *const *argv, int timeout_ms, int *pid,
    char **cause);
/* Sends kill T E to supervisor i without waiting for the reply. When it
 * is not connected, the kill is kept and sent by a later poll (or at
 * destroy, which gives queued requests up to a second to leave). */
void gale_supclient_kill(gale_supclient_t *sc, int i, const char *topology,
    uint32_t epoch);

#endif
