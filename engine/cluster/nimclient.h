/* nimclient.h - a client of nimbus (engine/cluster/nimbus.h has the
 * wire): one request, one reply. For the gale command's cluster verbs.
 * Main thread; gale_netsec_init() is called here, so a process uses this
 * before it makes any other cluster socket.
 */
#ifndef GALE_CLUSTER_NIMCLIENT_H
#define GALE_CLUSTER_NIMCLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/net/cluster.h"

/* What nimbus answered. */
typedef struct gale_nimreply {
    bool ok;                    /* "ok" (else "error") */
    char *text;                 /* owned */
    char **items;               /* owned, each owned */
    size_t nitems;
} gale_nimreply_t;

/* Frees what r holds and zeroes it. */
void gale_nimreply_release(gale_nimreply_t *r);

typedef struct gale_nimclient gale_nimclient_t;

/* A client of c's nimbus that runs as key pair key (a name under the
 * cluster's keys, or a path to a .key_secret file): initialises this
 * process's netsec (once per process) and connects. c must outlive it.
 * NULL with *cause (caller frees). */
gale_nimclient_t *gale_nimclient_new(const gale_cluster_t *c,
    const char *key, char **cause);
/* Closes and sets *clp to NULL. Accepts NULL and *NULL. */
void gale_nimclient_destroy(gale_nimclient_t **clp);

/* Sends VERB ARG... (nargs strings) and waits up to timeout_ms for the
 * reply. 0 with *r filled (ok or error); -EACCES when nimbus refused the
 * client's key (with curve: its ZAP handler said no); -ETIMEDOUT when no
 * reply came (nimbus is down or unreachable; a refusal of a server that
 * does not say why looks the same); another -errno with *cause (caller
 * frees). */
int gale_nimclient_call(gale_nimclient_t *cl, const char *verb,
    const char *const *args, size_t nargs, int timeout_ms,
    gale_nimreply_t *r, char **cause);

#endif
