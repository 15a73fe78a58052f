/* supervisor.h - the supervisor daemon of one host (`gale supervisor`):
 * starts and stops the worker processes that topology masters ask for,
 * and tells nimbus that the host is there.
 *
 * It answers the protocol of supclient.h on a ROUTER bound at its
 * member's tcp://HOST:PORT, keeps its files under DIR = supervisor_dir/
 * NAME (DIR/T/topology.cfg, DIR/T/worker-W.log), and every second sends
 * nimbus "GALE-NIMBUS1" "register" NAME HOST PORT PID NWORKERS, fire and
 * forget. docs/supervisor.md describes it for operators.
 *
 * The whole daemon is one thread: the one that calls gale_supervisor_run.
 * It never forks (it holds a ZeroMQ context): workers are started with
 * posix_spawn.
 */
#ifndef GALE_CLUSTER_SUPERVISOR_H
#define GALE_CLUSTER_SUPERVISOR_H

#include "engine/cluster/config.h"

/* The program a supervisor runs by default: the running gale itself. */
#define GALE_SUPERVISOR_EXE "/proc/self/exe"

/* Runs the supervisor called name of cluster c until SIGTERM or SIGINT,
 * then kills (SIGKILL) and reaps every worker it started and returns 0.
 * cluster_path is the cluster file as workers should read it (made
 * absolute here). Workers run `EXE worker DIR/T/topology.cfg ARG...`
 * with EXE = exe, or GALE_SUPERVISOR_EXE when exe is NULL. It sets up the
 * process's network security (gale_netsec_init with its member's key) and
 * its own ZeroMQ context. Returns -errno with *cause (caller frees) when
 * it cannot start: unknown name, keys, the directory, the bind. */
int gale_supervisor_run(const gale_cluster_t *c, const char *name,
    const char *cluster_path, const char *exe, char **cause);

#endif
