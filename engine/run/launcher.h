/* launcher.h - how the topology master starts and stops an attempt's
 * executors: one interface, three implementations.
 *
 *   thread      local mode: the executors are threads of this process,
 *               with a checkpoint writer (launch_thread.c)
 *   spawn       one worker process per plan worker on this host, started
 *               with posix_spawn (launch_spawn.c)
 *   supervisor  a cluster master: workers placed on the cluster's hosts
 *               and started by their supervisors (engine/run/placement.h,
 *               launch_supervisor.c)
 *
 * The master binds the attempt's control plane (report, ctl/<exec>, and
 * for worker processes lease) under the launcher's prefix, then starts
 * the attempt; executors connect back to it. An attempt ends with abort
 * (after a failure, before EXIT goes out) and end (after EXIT). A
 * launcher lives as long as the run; the master's thread is its only
 * user.
 */
#ifndef GALE_LAUNCHER_H
#define GALE_LAUNCHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/checkpoint/ckpt.h"
#include "engine/net/cluster.h"
#include "topology/plan.h"

/* A worker process that has not reported yet gets this long (exec,
 * loading the topology, restoring state on a loaded host) before the
 * heartbeat timeout applies. */
#define GALE_WORKER_START_GRACE_NS 10000000000ull

/* One attempt, as the master sets it up (everything borrowed until the
 * attempt ends). */
typedef struct gale_launch {
    const char *prefix;             /* the control plane's endpoint prefix */
    const char *run_id;             /* the attempt's: bridge names, lease */
    uint32_t epoch;                 /* attempt epoch */
    const gale_ckpt_meta_t *restore;/* restore point, or NULL */
    bool publish_only;              /* restore, publish the final checkpoint,
                                       done */
    const char *ckpt_dir;           /* checkpoint directory; NULL: guarantee
                                       "none" */
    int report_ms;                  /* executors' report period */
    void *const *ctl;               /* the master's PAIR per executor, bound */
} gale_launch_t;

typedef struct gale_launcher gale_launcher_t;

/* The vtable. prefix, start and destroy are required; a NULL heard,
 * check, abort or end means there is nothing to do. */
typedef struct gale_launcher_ops {
    /* Writes the attempt's control-plane prefix ("inproc://...",
     * "ipc://@...", "tcp://HOST:PORT/") for run number run and epoch. */
    void (*prefix)(gale_launcher_t *l, int run, uint32_t epoch, char *buf,
        size_t len);
    /* Starts the attempt's executors. 0, or -1 (logged), with
     * *host_failure set when a host is to blame (it does not count
     * against restart attempts). */
    int (*start)(gale_launcher_t *l, const gale_launch_t *a,
        bool *host_failure);
    /* An executor reported at now: its worker is alive. */
    void (*heard)(gale_launcher_t *l, int exec, uint64_t now);
    /* Looks at the workers' health. When *failure is NULL and a worker
     * exited, was killed, stopped answering, or its host failed, sets
     * *failure (caller frees) and, for a host's failure, *host_failure.
     * quiet: nothing is happening that a respread would disturb (no
     * executor done, not stopping, no savepoint, no failure), so a host
     * that came back may take workers. */
    void (*check)(gale_launcher_t *l, uint64_t now, bool quiet,
        char **failure, bool *host_failure);
    /* After a failure, before EXIT goes out: stop the workers at once. */
    void (*abort)(gale_launcher_t *l);
    /* After EXIT went out: waits for the executors to leave (stopping
     * those that do not in time). */
    void (*end)(gale_launcher_t *l);
    /* Frees the implementation. */
    void (*destroy)(gale_launcher_t *l);
    /* The name of the host worker w runs on in the current attempt
     * (borrowed until the next start); NULL op: this host. */
    const char *(*host)(const gale_launcher_t *l, int w);
} gale_launcher_ops_t;

/* The head of every implementation's struct. */
struct gale_launcher {
    const gale_launcher_ops_t *ops; /* the implementation */
    bool remote;                    /* executors run in other processes */
};

/* Local mode: threads of this process on zctx. Never NULL. */
gale_launcher_t *gale_launcher_thread_new(void *zctx, const gale_plan_t *plan);
/* Worker processes on this host: argv is `gale worker FILE OPTIONS`
 * (borrowed, outlives the launcher). With gale.transport "tcp" the
 * control plane is on tcp ports after the data ports. Never NULL. */
gale_launcher_t *gale_launcher_spawn_new(const gale_plan_t *plan,
    char *const *argv);
/* A cluster master on slot `slot` of cluster c (borrowed, outlives the
 * launcher): checks the topology's name and the slot's ports, starts the
 * ZAP handler on zctx (engine/net/netsec.h) and the placement. NULL on
 * failure (logged). */
gale_launcher_t *gale_launcher_supervisor_new(void *zctx,
    const gale_plan_t *plan, const gale_cluster_t *c, int slot,
    char *const *argv);
/* Frees and sets *lp to NULL. Accepts NULL and *NULL. */
void gale_launcher_destroy(gale_launcher_t **lp);

/* Calls the operation of the same name (see gale_launcher_ops_t). */
void gale_launcher_prefix(gale_launcher_t *l, int run, uint32_t epoch,
    char *buf, size_t len);
int gale_launcher_start(gale_launcher_t *l, const gale_launch_t *a,
    bool *host_failure);
void gale_launcher_heard(gale_launcher_t *l, int exec, uint64_t now);
void gale_launcher_check(gale_launcher_t *l, uint64_t now, bool quiet,
    char **failure, bool *host_failure);
void gale_launcher_abort(gale_launcher_t *l);
void gale_launcher_end(gale_launcher_t *l);
/* The host worker w runs on (see gale_launcher_ops_t; this host's name,
 * gethostname(), for the thread and spawn launchers). Borrowed until the
 * next start. */
const char *gale_launcher_host(const gale_launcher_t *l, int w);
/* Whether the executors run in other processes (then the master sends a
 * lease and watches their heartbeats). */
bool gale_launcher_remote(const gale_launcher_t *l);

/* For the implementations: the configured heartbeat timeout of plan's
 * workers (gale.worker.timeout.ms, 4000). */
int gale_launcher_worker_timeout_ms(const gale_plan_t *plan);

#endif
