/* placement.h - a topology master's worker processes on the cluster's
 * hosts: which supervisors are alive, where each worker runs (Storm's
 * even scheduler), starting and stopping them, and noticing a host that
 * died or came back.
 *
 * The supervisor launcher (engine/run/launch_supervisor.c) uses it instead
 * of posix_spawn when the master runs on a cluster (`gale run --cluster`):
 * per attempt it spawns every worker through the supervisors
 * (engine/run/supclient.h), checks them while the attempt runs, and stops
 * them when it ends. A host
 * counts as alive while its supervisor answers pings within the cluster's
 * supervisor timeout; workers go round robin over the live hosts in the
 * cluster file's order, so every host gets work when there are at least
 * as many workers as hosts. Main thread of the master only.
 */
#ifndef GALE_CLUSTER_PLACEMENT_H
#define GALE_CLUSTER_PLACEMENT_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/net/cluster.h"

typedef struct gale_placement gale_placement_t;

/* For topology name, whose workers run `gale worker FILE worker_args...`
 * (worker_args NULL-terminated, copied) from this process's working
 * directory, with their data ports from data_base (bridge %p). Reads
 * FILE's text (sent to the supervisors). NULL with *cause. */
gale_placement_t *gale_placement_new(void *zctx, const gale_cluster_t *c,
    const char *name, const char *file, char *const *worker_args,
    int data_base, char **cause);
void gale_placement_destroy(gale_placement_t **pp);

/* Places nworkers on the live hosts and starts them for epoch: worker w
 * gets GALE_WORKER_SPEC "worker=w;<spec>;hosts=H0,H1,...;dport=BASE"
 * (host names per worker; BASE is data_base, plus nworkers * nworkers
 * for odd epochs, so a new attempt's ports are not the last one's).
 * Waits up to the supervisor timeout for hosts
 * that never answered yet. 0, or -1 with *cause (no live host, a spawn
 * refused or unanswered). */
int gale_placement_spawn(gale_placement_t *p, int nworkers, uint32_t epoch,
    const char *spec, char **cause);
/* Pings and reads answers (never blocks). -1 with *cause when a host of
 * the current placement stopped answering or one of its workers exited;
 * 1 (with *cause saying why) when a live host runs none of the workers
 * and could (a host that came back: spread again); 0 otherwise. */
int gale_placement_check(gale_placement_t *p, uint64_t now_ns, char **cause);
/* Stops the current epoch's workers: after a failure at once (SIGKILL by
 * their supervisors), else after they left by themselves or 5 s. Hosts
 * that do not answer cannot be told: their workers stop themselves when
 * they lose the master's lease. */
void gale_placement_stop(gale_placement_t *p, bool kill_now);
/* Whether the host of worker w has not answered a ping for ms (its
 * workers' silence is then the host's: a host failure). */
bool gale_placement_host_quiet(const gale_placement_t *p, int w,
    uint64_t now_ns, int ms);
/* The host name worker w runs on in the current placement, or "?". */
const char *gale_placement_host(const gale_placement_t *p, int w);

#endif
