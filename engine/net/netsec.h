/* netsec.h - this process's place in the cluster's security: its own key
 * pair, the keys it lets in, the servers' keys it expects.
 *
 * A process of a cluster (nimbus, a topology's master, a supervisor, a
 * worker, a CLI client) calls gale_netsec_init() once, before it makes
 * sockets, with the key pair it runs as. From then on every socket that
 * may cross hosts is bound with gale_netsec_bind() and connected with
 * gale_netsec_connect(): over tcp:// with security curve they become
 * CURVE servers (behind this context's ZAP handler, which lets in only
 * the cluster's keys) and CURVE clients of the named peer's key. Other
 * endpoints (inproc, ipc) and processes that never called init (local
 * mode) get plain zmq_bind/zmq_connect, so the engine's code is the same
 * everywhere.
 *
 * Threads: init, start and stop from the main thread; bind and connect
 * from any thread once init returned (the configuration is read-only).
 */
#ifndef GALE_CLUSTER_NETSEC_H
#define GALE_CLUSTER_NETSEC_H

#include <stdint.h>

#include "engine/net/cluster.h"

/* The peer whose key a control-plane server (a topology's master, which
 * runs beside nimbus and holds its key) presents. */
#define GALE_NETSEC_CONTROL NULL

/* Takes c's security: with curve, reads the secret of key pair self_key
 * (KEYS/SELF.key_secret, or self_key itself when it contains a '/'), and
 * the allowed set (every .key file in KEYS). 0, or -errno with *cause. */
int gale_netsec_init(const gale_cluster_t *c, const char *self_key,
    char **cause);
/* Forgets what init took (wiping the secret), so that init may run
 * again; stop every handler first. */
void gale_netsec_clear(void);
/* Whether init ran with security curve. */
int gale_netsec_curve(void);
/* Starts the ZAP handler of zctx (a process may have a few contexts, one
 * handler each). Without init or with security none: nothing, 0. */
int gale_netsec_start(void *zctx, char **cause);
/* Stops zctx's handler; close its server sockets first. */
void gale_netsec_stop(void *zctx);
/* Handshakes refused by zctx's handler so far (0 without one). */
uint64_t gale_netsec_refused(void *zctx);

/* zmq_bind(sock, ep), as a CURVE server when ep is tcp:// and security is
 * curve (zctx's handler must be running). 0, or -1 with errno. */
int gale_netsec_bind(void *zctx, void *sock, const char *ep);
/* zmq_connect(sock, ep), as a CURVE client of key pair peer's public key
 * (GALE_NETSEC_CONTROL: the control plane's, i.e. nimbus's) when ep is
 * tcp:// and security is curve. 0, or -1 with errno. */
int gale_netsec_connect(void *sock, const char *ep, const char *peer);

#endif
