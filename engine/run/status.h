/* status.h - the console's status reply, defined once: the master
 * (engine/run/console_server.c) formats it, nimbus (engine/cluster/nimbus.c)
 * and `gale list` (cli/cmd_console.c) parse it. The reply is the line
 *   ok WORD TASKS WORKERS UPTIME PID EMITTED EXECUTED LAST_CHECKPOINT
 * WORD is ACTIVE, INACTIVE, KILLED or REBALANCING; UPTIME is whole
 * seconds; EMITTED counts the spouts' tuples, EXECUTED the bolts';
 * LAST_CHECKPOINT is the last completed checkpoint's id (0: none).
 *
 * Pure functions on strings: any thread.
 */
#ifndef GALE_RUN_STATUS_H
#define GALE_RUN_STATUS_H

/* One status reply. */
typedef struct gale_status {
    char word[24];                  /* ACTIVE, INACTIVE, ... */
    unsigned long tasks;            /* tasks of the topology */
    int workers;                    /* worker processes */
    double uptime_s;                /* since the master started */
    int pid;                        /* the master's (the console holder's) */
    unsigned long long emitted;     /* tuples the spouts emitted */
    unsigned long long executed;    /* tuples the bolts executed */
    unsigned long long last_ckpt;   /* last completed checkpoint id */
} gale_status_t;

/* st as the reply line (no newline). Caller frees. */
char *gale_status_format(const gale_status_t *st);
/* Parses a reply line into *st. 0, or -EINVAL when reply is not a status
 * reply (an error, a field missing or not a number, text after the last
 * field); *st is then zeroed. */
int gale_status_parse(const char *reply, gale_status_t *st);

#endif
