/* supervisor.h - the supervisor daemon of one host (`gale supervisor`):
 * starts and stops the worker processes that topology masters ask for,
 * and tells nimbus that the host is there.
 *
 * It answers the protocol of engine/net/supproto.h on a ROUTER bound at
 * its member's tcp://HOST:PORT, keeps its files under DIR =
 * supervisor_dir/NAME (DIR/T/topology.cfg, DIR/T/worker-W.log), and every
 * second sends nimbus a register (engine/net/nimproto.h: NAME HOST PORT
 * PID NWORKERS), fire and forget. docs/supervisor.md describes it for
 * operators.
 *
 * The whole daemon is one thread: the one that calls gale_supervisor_run.
 * It never forks (it holds a ZeroMQ context): workers are started with
 * posix_spawn.
 */
#ifndef GALE_CLUSTER_SUPERVISOR_H
#define GALE_CLUSTER_SUPERVISOR_H

#include "engine/net/cluster.h"

/* Runs the supervisor called name of cluster c until SIGTERM or SIGINT,
 * then kills (SIGKILL) and reaps every worker it started and returns 0.
 * cluster_path is the cluster file as workers should read it (made
 * absolute here). Workers run `EXE worker DIR/T/topology.cfg ARG...`
 * with EXE = exe or, when exe is NULL, the path of the file this process
 * was started from (so that a gale upgraded in place runs the next
 * workers, as it runs the next masters; /proc/self/exe while no file is
 * at that path). It sets
 * up the process's network security (gale_netsec_init with its member's
 * key) and its own ZeroMQ context. Returns -errno with *cause (caller
 * frees) when it cannot start: unknown name, keys, the directory, the
 * bind. */
int gale_supervisor_run(const gale_cluster_t *c, const char *name,
    const char *cluster_path, const char *exe, char **cause);

#endif
