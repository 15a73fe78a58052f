/* control.h - messages between the runtime and its executors.
 *
 * The runtime sends each executor control messages on a PAIR socket; the
 * executors report to the runtime on one PULL socket. Messages are small
 * fixed structs (same process, same build); across processes (the next
 * issue) they get a versioned encoding.
 */
#ifndef GALE_CONTROL_H
#define GALE_CONTROL_H

#include <stdint.h>

enum gale_ctl_type {
    GALE_CTL_STOP = 1,      /* graceful: spouts deactivate and end their streams */
    GALE_CTL_EXIT = 2,      /* leave now: after DONE, or to abort */
    GALE_CTL_CHECKPOINT = 3,/* arg: checkpoint id to take (spouts emit its
                               barrier; finished tasks snapshot at once) */
    GALE_CTL_COMPLETE = 4,  /* arg: every checkpoint <= arg is complete */
    GALE_CTL_DECLINE = 5,   /* arg: checkpoint given up; stop aligning it */
    GALE_CTL_ACTIVATE = 6,  /* spouts: call next() again (after DEACTIVATE) */
    GALE_CTL_DEACTIVATE = 7 /* spouts: stop calling next(); barriers, acks
                               and everything downstream go on */
};

typedef struct gale_ctl_msg {
    uint32_t type;          /* gale_ctl_type */
    uint32_t pad;
    uint64_t arg;           /* reserved for checkpoint ids */
} gale_ctl_msg_t;

enum gale_report_type {
    GALE_REPORT_STATS = 1,  /* counters; followed by ntasks gale_report_task_t */
    GALE_REPORT_DONE = 2,   /* every task finished and END was sent */
    GALE_REPORT_FAILED = 3, /* a task failed; followed by a NUL-terminated message */
    GALE_REPORT_ACK = 4,    /* a task's snapshot is durable; followed by a
                               gale_report_ack_t, then the file name */
    GALE_REPORT_NOTIFIED = 5/* an executor ran checkpoint_complete(arg) */
};

/* A task's acknowledgement of checkpoint `ckpt` (from the writer). */
typedef struct gale_report_ack {
    int32_t task;           /* task id */
    uint32_t pad;
    uint64_t ckpt;          /* checkpoint id */
    uint64_t bytes;         /* size of the file written */
    uint64_t align_ns;      /* time from the first barrier to alignment */
    uint64_t sync_ns;       /* time of the synchronous part */
} gale_report_ack_t;

typedef struct gale_report_hdr {
    uint32_t type;          /* gale_report_type */
    int32_t exec;           /* executor index */
    uint32_t ntasks;        /* STATS: entries that follow */
    uint32_t epoch;         /* the sender's attempt epoch; 0: not known
                               (checkpoint writer). Others are dropped. */
    uint64_t arg;           /* STATS: ns the executor waited on full channels;
                               NOTIFIED: the checkpoint id; else 0 */
} gale_report_hdr_t;

typedef struct gale_report_task {
    int32_t task;           /* task id */
    uint32_t pad;
    uint64_t emitted;
    uint64_t transferred;
    uint64_t executed;
    uint64_t exec_ns;
    uint64_t errors;
} gale_report_task_t;

#endif
