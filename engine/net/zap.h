/* zap.h - the ZAP handler (ZeroMQ RFC 27) of one ZeroMQ context: lets a
 * CURVE client of gale's server sockets in only when its long-term public
 * key is in the allowed set (keyset.h); every refusal is logged once.
 *
 * Threads: the handler runs its own thread; the thread that started it is
 * the one that reloads and stops it (they are messages over an inproc
 * pipe). Its counters may be read from any thread.
 */
#ifndef GALE_NET_ZAP_H
#define GALE_NET_ZAP_H

#include <stdint.h>

#include "engine/net/keyset.h"

/* The ZAP domain of gale's server sockets; the handler refuses others. */
#define GALE_SECURITY_ZAP_DOMAIN "gale"

/* A ZAP handler: a thread answering inproc://zeromq.zap.01 of one
 * ZeroMQ context. */
typedef struct gale_security_zap gale_security_zap_t;

/* Binds inproc://zeromq.zap.01 in ctx and starts answering it with keys
 * (ownership passes to the handler, also on failure). The endpoint is
 * bound when this returns, so a server made afterwards is never without
 * a handler. NULL with *cause; -EADDRINUSE's cause says that ctx already
 * has a handler (there can be one per context). */
gale_security_zap_t *gale_security_zap_start(void *ctx,
    gale_security_keyset_t *keys, char **cause);
/* Stops the thread, unbinds, frees, sets *zapp to NULL. Close the server
 * sockets first: without a handler libzmq would let any client in.
 * Accepts NULL and *NULL. */
void gale_security_zap_stop(gale_security_zap_t **zapp);
/* Replaces the allowed set with keys (ownership passes, also on failure)
 * for every handshake from now on; connections already made stay. 0 when
 * the handler has the new set, or -errno. */
int gale_security_zap_reload(gale_security_zap_t *zap,
    gale_security_keyset_t *keys);
/* Handshakes let in and refused since start (any thread). */
uint64_t gale_security_zap_accepted(const gale_security_zap_t *zap);
uint64_t gale_security_zap_refused(const gale_security_zap_t *zap);

#endif
