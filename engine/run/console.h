/* console.h - where running topologies on this host take commands.
 *
 * Every `gale run`/`gale local` coordinator binds a ZeroMQ REP socket at
 * ipc://@gale-console-<uid>-<name> (an abstract socket: nothing on disk,
 * gone when the process is) and writes a file <rundir>/<name>.topology
 * naming its pid, topology file, start time, tasks and workers, so that
 * `gale list` can find it. rundir is $XDG_RUNTIME_DIR/gale, or
 * /tmp/gale-<uid> without it. A second topology with the same name on the
 * same host cannot bind and is refused, as Storm refuses a name in use.
 *
 * Requests and replies are one line of text each: the request's verb and
 * arguments, the reply "ok ..." or "error ...". Verbs: status, activate,
 * deactivate, kill SECS, savepoint DIR, stop-savepoint DIR,
 * rebalance DIR SPEC, metrics (the reply: "ok " and the JSON of the REST
 * API's topology page, docs/rest.md), prometheus (the reply: "ok " and
 * the master's /metrics text, which nimbus relays; it spans lines, the
 * one reply that does). docs/operations.md describes them; the status
 * reply is defined in status.h. The server side is console_server.c; this
 * module names things and is the client. Main thread only.
 */
#ifndef GALE_CONSOLE_H
#define GALE_CONSOLE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The endpoint of topology name's console (caller frees). */
char *gale_console_endpoint(const char *name);
/* The directory of the .topology files (caller frees). */
char *gale_console_rundir(void);

/* Writes <rundir>/<name>.topology for this process. 0 or -errno. */
int gale_console_register(const char *name, const char *file, int tasks,
    int workers);
/* Removes <rundir>/<name>.topology if this process wrote it. */
void gale_console_unregister(const char *name);

/* One running topology, as its .topology file says. */
typedef struct gale_console_entry {
    char *name;                     /* owned */
    char *file;                     /* owned; its topology file */
    pid_t pid;                      /* its coordinator */
    uint64_t started_ms;            /* ms since the epoch */
    int tasks;
    int workers;
} gale_console_entry_t;

/* The topologies whose coordinators are alive, sorted by name (files of
 * dead ones are removed). *out is owned by the caller: free with
 * gale_console_entries_destroy. 0 or -errno. */
int gale_console_list(gale_console_entry_t **out, size_t *n);
void gale_console_entries_destroy(gale_console_entry_t *e, size_t n);

/* Sends request to topology name and waits up to timeout_ms for the
 * reply. 0 with *reply (caller frees; "ok ..." or "error ..."), -ESRCH
 * when no topology of that name runs here, -ETIMEDOUT when it does not
 * answer, -ECONNRESET when its process ended before answering, another
 * -errno otherwise. */
int gale_console_request(const char *name, const char *request,
    int timeout_ms, char **reply);

#endif
