/* nimbus.h - the cluster's coordinator daemon (`gale nimbus`): takes
 * topologies, runs a master process for each, keeps a durable record of
 * them, forwards the operator's verbs to the masters, and tracks the
 * supervisors that announce themselves.
 *
 * The wire: nimbus binds a ROUTER at tcp://NIMBUS_HOST:NIMBUS_PORT
 * (gale_netsec_bind: a CURVE server letting in the cluster's keys only,
 * when security is curve). A request is the frames
 *   "GALE-NIMBUS1", VERB, ARG...
 * (from a DEALER; a REQ client's empty delimiter is accepted and echoed)
 * and its reply
 *   "GALE-NIMBUS1", "ok" | "error", TEXT, ITEM...
 * Verbs:
 *   submit SOURCE TEXT CWD OPTION...  starts topology TEXT (SOURCE names
 *                       it in messages; CWD is where its master runs;
 *                       OPTIONs are `gale run` options: -c K=V,
 *                       --properties FILE, -e C=N, --from-savepoint DIR,
 *                       --from-checkpoint ID, --allow-non-restored-state,
 *                       --ttl SECS) -> ok "submitted NAME ..."
 *   list             -> ok "N topologies", ITEM per topology:
 *                       "name=N status=S tasks=T workers=W uptime=U
 *                        slot=K pid=P restarts=R"
 *   kill NAME SECS   -> the master's answer, or ok "removed NAME" for a
 *                       topology that had finished
 *   activate NAME, deactivate NAME
 *   rebalance NAME SPEC  (SPEC as the console's: "C=N ... workers=N")
 *   supervisors      -> ok "N supervisors", ITEM per supervisor:
 *                       "name=N host=H port=P pid=P workers=K
 *                        seen_ms=MS alive=yes|no"
 *   register NAME HOST PORT PID NWORKERS   (from supervisors, every
 *                       second; no reply)
 * A malformed request gets an error reply. docs/nimbus.md has the rest.
 */
#ifndef GALE_CLUSTER_NIMBUS_H
#define GALE_CLUSTER_NIMBUS_H

#include <signal.h>
#include <stdbool.h>

#include "engine/net/cluster.h"

/* The first frame of every request and reply. */
#define GALE_NIMBUS_MAGIC "GALE-NIMBUS1"

typedef struct gale_nimbus_opts {
    const char *cluster_path;   /* the cluster file, absolute: given to
                                   every master */
    const char *self_key;       /* key pair nimbus runs as; NULL: the
                                   file's nimbus.key */
    bool local_masters;         /* masters run without --cluster/--slot
                                   (local mode; tests) */
    volatile sig_atomic_t *stop;/* set (by a signal handler) to stop */
} gale_nimbus_opts_t;

/* Runs nimbus on c until *o->stop is set: loads the record, adopts or
 * restarts masters, serves requests. Masters are left running when it
 * returns. 0, or -errno with *cause (caller frees) when it cannot start
 * (the port is taken, the record cannot be read, a key is missing). */
int gale_nimbus_run(const gale_cluster_t *c, const gale_nimbus_opts_t *o,
    char **cause);

#endif
