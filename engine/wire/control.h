/* control.h - messages between the topology master and its executors.
 *
 * The master sends each executor control messages (gale_ctl_msg_t) on a
 * PAIR socket; executors and checkpoint writers report to the master on
 * one PULL socket (a gale_report_hdr_t part, then what its type says).
 * These travel between threads, between worker processes (ipc) and
 * between hosts (tcp), so every part goes out in one versioned
 * little-endian encoding (docs/wire.md, "Control messages"): the structs
 * below are the decoded form, never sent as they are. Pure functions;
 * safe on any thread.
 */
#ifndef GALE_CONTROL_H
#define GALE_CONTROL_H

#include <stddef.h>
#include <stdint.h>

/* The first byte of every encoded part. */
#define GALE_CONTROL_VERSION 1

/* Sizes of the encoded parts. */
#define GALE_CTL_MSG_SIZE 10        /* version, type, arg */
#define GALE_REPORT_HDR_SIZE 22     /* version, type, exec, ntasks, epoch, arg */
#define GALE_REPORT_ACK_SIZE 37     /* version, task, ckpt, bytes, align, sync */
#define GALE_REPORT_TASK_SIZE 68    /* one entry: task, five counters,
                                       watermark, state bytes, spilled */
/* A STATS part of n entries: the version byte, then the entries. */
#define GALE_REPORT_TASKS_SIZE(n) (1 + (size_t)(n) * GALE_REPORT_TASK_SIZE)

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
    uint32_t type;          /* gale_ctl_type (encoded in one byte) */
    uint32_t pad;           /* not encoded */
    uint64_t arg;           /* checkpoint id, or 0 */
} gale_ctl_msg_t;

enum gale_report_type {
    GALE_REPORT_STATS = 1,  /* counters; followed by a part of ntasks
                               gale_report_task_t */
    GALE_REPORT_DONE = 2,   /* every task finished and END was sent */
    GALE_REPORT_FAILED = 3, /* a task failed; followed by a NUL-terminated message */
    GALE_REPORT_ACK = 4,    /* a task's snapshot is durable; followed by a
                               gale_report_ack_t part, then the file name */
    GALE_REPORT_NOTIFIED = 5/* an executor ran checkpoint_complete(arg) */
};

/* A task's acknowledgement of checkpoint `ckpt` (from the writer). */
typedef struct gale_report_ack {
    int32_t task;           /* task id */
    uint32_t pad;           /* not encoded */
    uint64_t ckpt;          /* checkpoint id */
    uint64_t bytes;         /* size of the file written */
    uint64_t align_ns;      /* time from the first barrier to alignment */
    uint64_t sync_ns;       /* time of the synchronous part */
} gale_report_ack_t;

typedef struct gale_report_hdr {
    uint32_t type;          /* gale_report_type (encoded in one byte) */
    int32_t exec;           /* executor index */
    uint32_t ntasks;        /* STATS: entries that follow */
    uint32_t epoch;         /* the sender's attempt epoch; 0: not known
                               (checkpoint writer). Others are dropped. */
    uint64_t arg;           /* STATS: ns the executor waited on full channels;
                               NOTIFIED: the checkpoint id; else 0 */
} gale_report_hdr_t;

typedef struct gale_report_task {
    int32_t task;           /* task id */
    uint32_t pad;           /* not encoded */
    uint64_t emitted;       /* tuples emitted */
    uint64_t transferred;   /* tuples sent to other tasks */
    uint64_t executed;      /* tuples executed */
    uint64_t exec_ns;       /* time spent in execute() */
    uint64_t errors;        /* failed calls */
    int64_t watermark_ms;   /* its event time (INT64_MIN: none yet,
                               INT64_MAX: its input ended) */
    uint64_t state_bytes;   /* its keyed and operator state in memory */
    uint64_t spilled;       /* state entries written to its spill */
} gale_report_task_t;

/* Encoders write exactly the part's size into out and return it. The
 * type must fit in a byte (every gale_*_type does). */
size_t gale_ctl_msg_encode(const gale_ctl_msg_t *m,
    uint8_t out[GALE_CTL_MSG_SIZE]);
size_t gale_report_hdr_encode(const gale_report_hdr_t *h,
    uint8_t out[GALE_REPORT_HDR_SIZE]);
size_t gale_report_ack_encode(const gale_report_ack_t *a,
    uint8_t out[GALE_REPORT_ACK_SIZE]);
/* Writes n entries into out, which holds GALE_REPORT_TASKS_SIZE(n) bytes. */
size_t gale_report_tasks_encode(const gale_report_task_t *t, size_t n,
    uint8_t *out);

/* Decoders read one received part of len bytes (never past it). 0, or
 * -EMSGSIZE when len is not the part's size (short, long, or for a STATS
 * part not a whole number of entries), or -EPROTO when the version byte
 * is not GALE_CONTROL_VERSION; on failure *out is untouched. */
int gale_ctl_msg_decode(const void *buf, size_t len, gale_ctl_msg_t *out);
int gale_report_hdr_decode(const void *buf, size_t len,
    gale_report_hdr_t *out);
int gale_report_ack_decode(const void *buf, size_t len,
    gale_report_ack_t *out);
/* Decodes a STATS part: *out is malloc()ed (caller frees; NULL when there
 * are no entries) and holds *n entries. Fails as above. */
int gale_report_tasks_decode(const void *buf, size_t len,
    gale_report_task_t **out, size_t *n);

#endif
