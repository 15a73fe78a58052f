/* coordinator.h - checkpoint coordination for one topology run.
 *
 * Triggers checkpoint n every interval (at most one in flight, a minimum
 * pause after the last), collects every task's acknowledgement (its
 * snapshot file is durable), then completes n by writing its metadata
 * atomically (no metadata, no checkpoint) and says so to the caller, who
 * notifies the executors ("everything <= n is complete"). A checkpoint
 * not acknowledged within the timeout is declined; more consecutive
 * declines than tolerated fail the run. Checkpoint ids come from the
 * store's durable counter and are never reused, not even after a
 * rollback. Owned by the runtime thread.
 */
#ifndef GALE_COORDINATOR_H
#define GALE_COORDINATOR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/checkpoint/ckpt.h"
#include "engine/wire/control.h"
#include "topology/plan.h"

typedef struct gale_coord gale_coord_t;

/* Counters for the run summary. */
typedef struct gale_coord_stats {
    uint64_t completed;             /* checkpoints completed */
    uint64_t declined;              /* checkpoints declined (timeouts) */
    uint64_t bytes;                 /* snapshot bytes written */
    uint64_t total_ns;              /* trigger to completion, summed */
    uint64_t max_ns;                /* the slowest */
    uint64_t align_ns;              /* alignment time, max per checkpoint, summed */
    uint64_t last_id;               /* the last completed id */
} gale_coord_stats_t;

/* How one checkpoint ended. */
typedef enum gale_coord_outcome {
    GALE_COORD_COMPLETED = 0,
    GALE_COORD_DECLINED = 1,        /* timed out; its changes roll into the next */
    GALE_COORD_ABANDONED = 2        /* a failure restarted the run meanwhile */
} gale_coord_outcome_t;

/* One checkpoint of this run, for the summary (and checkpoints.log). */
typedef struct gale_coord_record {
    uint64_t id;
    uint32_t attempt;
    gale_coord_outcome_t outcome;
    uint64_t duration_ns;           /* trigger to completion (or to the end) */
    uint64_t align_ns;              /* the slowest task's alignment */
    uint64_t bytes;                 /* snapshot bytes acknowledged */
} gale_coord_record_t;

/* Opens the checkpoint directory for plan's topology. NULL with *cause. */
gale_coord_t *gale_coord_open(const gale_plan_t *plan, const char *dir,
    char **cause);
void gale_coord_close(gale_coord_t **cp);
const char *gale_coord_dir(const gale_coord_t *c);
/* The checkpoint store (borrowed; the coordinator's thread only). */
gale_ckpt_t *gale_coord_store(gale_coord_t *c);

/* The newest valid checkpoint, loaded as the restore point: 1 and *meta
 * set (borrowed), 0 when there is none, -1 with *cause when it does not
 * fit the plan (other tasks or key groups: rescaling is not supported yet). */
int gale_coord_load_latest(gale_coord_t *c, const gale_ckpt_meta_t **meta,
    char **cause);
/* Whether the checkpoint of meta was the final one of a bounded run. */
bool gale_coord_is_final(const gale_ckpt_meta_t *meta);

/* The attempt epoch in force (stamped into metadata). */
void gale_coord_set_attempt(gale_coord_t *c, uint32_t attempt);
/* Starts checkpoint *id if one is due at now_ns (or at once when force):
 * 1 and *id set, 0 when none is due, -1 with *cause on a store error. */
int gale_coord_maybe_trigger(gale_coord_t *c, uint64_t now_ns, bool force,
    uint64_t *id, char **cause);
/* Records an acknowledgement. 1 when it completed the checkpoint (its
 * metadata is written; *done is its id), 0 otherwise, -1 with *cause. */
int gale_coord_ack(gale_coord_t *c, const gale_report_ack_t *ack,
    const char *file, uint64_t *done, char **cause);
/* Declines the checkpoint in flight if it has timed out: 1 and *id set,
 * -1 with *cause when declines exceed the tolerated number, else 0. */
int gale_coord_check_timeout(gale_coord_t *c, uint64_t now_ns, uint64_t *id,
    char **cause);
/* Forgets the checkpoint in flight (a failure restarts the run). */
void gale_coord_abandon(gale_coord_t *c);
/* Whether a checkpoint is in flight. */
bool gale_coord_busy(const gale_coord_t *c);
/* Marks the next checkpoint as the final one of a bounded run. */
void gale_coord_set_final(gale_coord_t *c);
/* The last completed checkpoint's metadata (borrowed), or NULL. */
const gale_ckpt_meta_t *gale_coord_last(const gale_coord_t *c);
const gale_coord_stats_t *gale_coord_stats(const gale_coord_t *c);
/* Every checkpoint of this run so far, oldest first (borrowed until the
 * next call on c); *n gets their number. */
const gale_coord_record_t *gale_coord_records(const gale_coord_t *c,
    size_t *n);

#endif
