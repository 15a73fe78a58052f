/* nimbus.h - the cluster's coordinator daemon (`gale nimbus`): takes
 * topologies, runs a master process for each, keeps a durable record of
 * them, forwards the operator's verbs to the masters, and tracks the
 * supervisors that announce themselves.
 *
 * The wire is engine/net/nimproto.h; docs/nimbus.md has the rest.
 */
#ifndef GALE_CLUSTER_NIMBUS_H
#define GALE_CLUSTER_NIMBUS_H

#include <signal.h>
#include <stdbool.h>

#include "engine/net/cluster.h"
#include "engine/net/nimproto.h"

typedef struct gale_nimbus_opts {
    const char *cluster_path;   /* the cluster file, absolute: given to
                                   every master */
    const char *self_key;       /* key pair nimbus runs as; NULL: the
                                   file's nimbus.key */
    bool local_masters;         /* masters run without --cluster/--slot
                                   (local mode; tests) */
    volatile sig_atomic_t *stop;/* set (by a signal handler) to stop */
    const char *http;           /* where /metrics and the read-only REST
                                   API are served (HOST:PORT), "off", or
                                   NULL: 127.0.0.1:0 (docs/nimbus.md) */
    const char *http_token;     /* a file whose first line is the bearer
                                   token that lets a peer other than
                                   loopback POST actions; NULL: none */
} gale_nimbus_opts_t;

/* Runs nimbus on c until *o->stop is set: loads the record, adopts or
 * restarts masters, serves requests. Masters are left running when it
 * returns. 0, or -errno with *cause (caller frees) when it cannot start
 * (the port is taken, the record cannot be read, a key is missing). */
int gale_nimbus_run(const gale_cluster_t *c, const gale_nimbus_opts_t *o,
    char **cause);

#endif
