/* nimmaster.h - a topology's master process as nimbus sees it: how one
 * is started, and how a running one is recognised after a nimbus restart.
 *
 * A master is `gale run DIR/topology.cfg [--cluster FILE --slot K]
 * OPTION...`, started with posix_spawn (nimbus holds a ZeroMQ context, so
 * it never forks) in a session of its own (POSIX_SPAWN_SETSID), so that
 * it outlives nimbus and a signal to nimbus's process group. Plain
 * functions of nimbus's main thread.
 */
#ifndef GALE_CLUSTER_NIMMASTER_H
#define GALE_CLUSTER_NIMMASTER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* What to start. Strings are borrowed. */
typedef struct gale_nimmaster_spec {
    const char *exe;            /* the gale binary (absolute) */
    const char *cfg;            /* DIR/topology.cfg (absolute) */
    const char *cluster;        /* the cluster file (absolute), or NULL:
                                   no --cluster/--slot (local-mode masters,
                                   for tests) */
    int slot;                   /* its port slot */
    char *const *args;          /* run options, after the file */
    size_t nargs;
    const char *cwd;            /* where it runs; NULL or missing: DIR */
    const char *log;            /* stdout and stderr are appended here */
    const char *exit_file;      /* the master writes its exit status here
                                   (GALE_EXIT_STATUS_FILE), removed first;
                                   or NULL */
} gale_nimmaster_spec_t;

/* The exit status a master wrote to path (-1: none yet). */
int gale_nimmaster_exit_status(const char *path);

/* Starts a master. 0 with *pid, or -errno with *cause (caller frees). */
int gale_nimmaster_spawn(const gale_nimmaster_spec_t *s, pid_t *pid,
    char **cause);
/* Whether pid is alive and is `gale run CFG ...` (its /proc/PID/cmdline
 * names cfg as the file of a run). A zombie is not. */
bool gale_nimmaster_is(pid_t pid, const char *cfg);

#endif
