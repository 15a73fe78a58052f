/* cluster.h - a cluster's config file: who the coordinator (nimbus) and
 * the supervisors are, where they listen, which keys they hold.
 *
 * One libconfig file, the same on every host (docs/operations.md):
 *
 *   security = "curve";               # or "none" (docs/security.md)
 *   keys = "/etc/gale/keys";          # the cluster's public keys (*.key);
 *                                     # a host's own NAME.key_secret too
 *   nimbus = { host = "10.0.0.1"; port = 6627; key = "nimbus";
 *              dir = "/var/lib/gale/nimbus"; };
 *   supervisor = { port = 6700; dir = "/var/lib/gale/supervisor";
 *                  timeout_ms = 3000; };
 *   supervisors = ( { name = "h1"; host = "10.0.0.11"; },
 *                   { name = "h2"; host = "10.0.0.12"; port = 6701; } );
 *   ports = { first = 7000; per_topology = 1000; };
 *
 * A member's `key` names its key pair: the public key is KEYS/KEY.key and
 * its secret KEYS/KEY.key_secret (present on that member's host only). A
 * supervisor's key defaults to its name. Relative paths are relative to
 * the file's directory. Errors are "file:line: what is wrong".
 */
#ifndef GALE_CLUSTER_CLUSTER_H
#define GALE_CLUSTER_CLUSTER_H

#include <stdbool.h>

#include "engine/net/security.h"

typedef struct gale_cluster_member {
    char *name;             /* "nimbus" for the coordinator */
    char *host;             /* address (IPv4/IPv6 literal or DNS name) */
    int port;               /* its daemon's port */
    char *key;              /* key pair name under keys/ */
    char public_z85[GALE_SECURITY_Z85_LEN + 1]; /* "" with security none */
} gale_cluster_member_t;

typedef struct gale_cluster {
    char *path;             /* the file, as given */
    gale_security_mode_t security;
    char *keys_dir;         /* absolute or relative to cwd; NULL: none */
    gale_cluster_member_t nimbus;
    char *nimbus_dir;       /* the durable record */
    char *supervisor_dir;   /* where supervisors keep worker files, logs */
    int supervisor_port;    /* default port of supervisors */
    int supervisor_timeout_ms; /* no answer this long: host dead */
    gale_cluster_member_t *sups;
    int nsups;
    int ports_first;        /* first port of topology slot 0 */
    int ports_per_topology; /* ports per topology slot */
} gale_cluster_t;

/* Reads and checks path (every member's public key is read when security
 * is curve). NULL with *cause ("file:line: ..." where it has a line). */
gale_cluster_t *gale_cluster_load(const char *path, char **cause);
void gale_cluster_destroy(gale_cluster_t **cp);

/* The supervisor called name, or NULL. */
const gale_cluster_member_t *gale_cluster_sup(const gale_cluster_t *c,
    const char *name);
/* The path of key pair name's public (secret = false) or secret file
 * (caller frees). */
char *gale_cluster_key_path(const gale_cluster_t *c, const char *name,
    bool secret);
/* "tcp://HOST:PORT" of m (caller frees); IPv6 literals get brackets. */
char *gale_cluster_endpoint(const gale_cluster_member_t *m);

#endif
