/* child.h - a multilang child process: spawned with posix_spawn (never
 * fork: the process holds a ZeroMQ context), talked to over pipes.
 *
 * Two threads per child: one reads its stdout and splits it into messages
 * (mlproto.h) onto a queue, one logs its stderr line by line with the
 * component and task as origin. Everything else — writing to its stdin,
 * taking messages off the queue, closing — belongs to the one thread that
 * opened it (the task's executor thread).
 */
#ifndef GALE_ML_CHILD_H
#define GALE_ML_CHILD_H

#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

typedef struct gale_mlchild gale_mlchild_t;

typedef struct gale_mlchild_cfg {
    char *const *argv;              /* command and arguments, NULL-terminated */
    const char *cwd;                /* working directory, or NULL */
    char *const *env;               /* NAME=VALUE added to the environment
                                       (PATH is appended to the current one),
                                       NULL-terminated, or NULL */
    const char *origin;             /* "component[task]" for log lines */
    size_t max_msg;                 /* longest message accepted */
    size_t max_queued;              /* messages read ahead at most (the
                                       reader then stops reading, and the
                                       child blocks: backpressure; lifted
                                       while a write to the child waits);
                                       0 = GALE_ML_MAX_QUEUED */
} gale_mlchild_cfg_t;

#define GALE_ML_MAX_QUEUED 4096

/* Starts the child. NULL with *cause (caller frees) when it cannot be
 * spawned (no such program, bad cwd). */
gale_mlchild_t *gale_mlchild_open(const gale_mlchild_cfg_t *cfg, char **cause);
/* Kills the child (and its process group) with SIGKILL, reaps it, joins
 * the threads, frees. Sets *cp to NULL; accepts NULL and *NULL. */
void gale_mlchild_close(gale_mlchild_t **cp);
pid_t gale_mlchild_pid(const gale_mlchild_t *c);

/* Writes the len bytes at p to the child's stdin, waiting at most
 * timeout_ms for room. 0, -ETIMEDOUT, or -EPIPE (the child closed its
 * stdin or died); SIGPIPE is never raised. */
int gale_mlchild_write(gale_mlchild_t *c, const void *p, size_t len,
    int timeout_ms);
/* The next message from the child: 1 with *msg (caller json_decref()s),
 * 0 when none came within wait_ms (0: do not wait), or an error with
 * *cause (caller frees): -EBADMSG garbage on stdout, -EMSGSIZE, -EPIPE the
 * child closed its stdout (the cause says how it exited, if it did). */
int gale_mlchild_read(gale_mlchild_t *c, json_t **msg, int wait_ms,
    char **cause);
/* CLOCK_MONOTONIC ns of the child's last output (stdout or stderr), or of
 * the spawn. Time the reader spent waiting for room in the queue counts
 * as output: the child was writing. */
uint64_t gale_mlchild_last_output(gale_mlchild_t *c);
/* Messages read and not taken yet (at most max_queued). */
size_t gale_mlchild_queued(gale_mlchild_t *c);

#endif
