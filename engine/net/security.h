/* security.h - CurveZMQ between hosts: the security mode, whether CURVE
 * is there, and making CURVE server and client sockets. It includes the
 * parts, one noun each: keypair.h (key pairs and their files), keyset.h
 * (the cluster's allowed keys) and zap.h (the ZAP handler that enforces
 * them).
 *
 * The model (docs/security.md): every socket that crosses hosts speaks
 * CURVE (RFC 26: encrypted and authenticated); every process that binds
 * such a socket runs one ZAP handler (RFC 27) in its ZeroMQ context, which
 * lets a client in only when its long-term public key is one of the
 * cluster's. libzmq consults ZAP only for sockets that have a ZAP domain
 * and only when a handler is bound; with neither it lets in any client
 * that knows the server's public key. So a server socket is made through
 * gale_security_server_setup(), which demands a running handler and sets
 * the domain, and the handler is stopped only after every server socket of
 * its context is closed.
 *
 * Threads: the functions here hold no state; keypair.h, keyset.h and
 * zap.h say who owns their objects.
 */
#ifndef GALE_SECURITY_H
#define GALE_SECURITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/net/keypair.h"
#include "engine/net/keyset.h"
#include "engine/net/zap.h"

/* The cluster config's `security = "..."`. */
typedef enum gale_security_mode {
    GALE_SECURITY_CURVE,            /* "curve": the default */
    GALE_SECURITY_NONE,             /* "none": plain tcp, see below */
} gale_security_mode_t;

/* What `security = "none"` exposes, for the daemons to log at start. */
#define GALE_SECURITY_NONE_WARNING \
    "security = \"none\": sockets between hosts are neither encrypted nor " \
    "authenticated; anyone who can reach their ports can inject tuples, " \
    "read the data and command the coordinator"

/* Parses "curve" or "none" into *mode. 0, or -EINVAL with *cause (caller
 * frees) when cause != NULL. */
int gale_security_mode_parse(const char *s, gale_security_mode_t *mode,
    char **cause);
/* "curve" or "none". */
const char *gale_security_mode_name(gale_security_mode_t mode);

/* 0 when this libzmq was built with CURVE; -ENOTSUP otherwise, with
 * *cause (caller frees) saying so and how to get one. */
int gale_security_check_curve(char **cause);

/* Makes sock (not yet bound) a CURVE server with kp's secret key whose
 * clients zap decides on. zap must be the running handler of sock's
 * context: -EINVAL without one. 0 or -errno (ZeroMQ's). */
int gale_security_server_setup(void *sock, const gale_security_keypair_t *kp,
    const gale_security_zap_t *zap);
/* Makes sock (not yet connected) a CURVE client with key pair kp, of the
 * server whose public key is server_z85. 0 or -errno (-EINVAL for a key
 * that is not one). */
int gale_security_client_setup(void *sock, const gale_security_keypair_t *kp,
    const char *server_z85);

#endif
