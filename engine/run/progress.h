/* progress.h - what the topology master tells a person about a run: the
 * per-task counters as last reported, the live progress lines on stderr,
 * and the summary tables at the end.
 *
 * Not thread-safe: the master's thread is its only user.
 */
#ifndef GALE_PROGRESS_H
#define GALE_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/checkpoint/coordinator.h"
#include "engine/wire/control.h"
#include "topology/plan.h"

typedef struct gale_progress gale_progress_t;   /* opaque */

/* Per-component totals of the task counters. */
typedef struct gale_comp_totals {
    unsigned long long emitted;         /* tuples emitted */
    unsigned long long transferred;     /* tuples sent to other tasks */
    unsigned long long executed;        /* tuples executed */
    unsigned long long exec_ns;         /* time in execute() */
    unsigned long long errors;          /* failed calls */
} gale_comp_totals_t;

/* Counters start at 0; rates are measured from start_ns. The plan is
 * borrowed and outlives the object. Never NULL (aborts on OOM). */
gale_progress_t *gale_progress_new(const gale_plan_t *plan, uint64_t start_ns);
/* Frees and sets *pp to NULL. Accepts NULL and *NULL. */
void gale_progress_destroy(gale_progress_t **pp);
/* Takes a task's reported counters; an entry for a task id the plan does
 * not have is ignored. */
void gale_progress_update(gale_progress_t *p, const gale_report_task_t *r);
/* Task id's counters as last reported (zero before its first report),
 * or NULL when the plan has no such task. Borrowed until the next update. */
const gale_report_task_t *gale_progress_task(const gale_progress_t *p,
    int task_id);
/* Tuples emitted by spout tasks and executed by bolt tasks, all tasks. */
void gale_progress_counts(const gale_progress_t *p,
    unsigned long long *emitted, unsigned long long *executed);
/* Redraws the live progress lines on stderr: totals and the rate since
 * the last redraw, or, when final, the mean rate over the whole run. */
void gale_progress_draw(gale_progress_t *p, bool final);
/* Prints the final table, then "NAME: OUTCOME in S s". */
void gale_progress_summary(const gale_progress_t *p, FILE *fp,
    const char *outcome);
/* Prints checkpoint and recovery figures under the summary table
 * (nothing when coord is NULL: guarantee "none"). */
void gale_progress_checkpoints(FILE *fp, gale_coord_t *coord,
    int recoveries, const char *recovery_log);

#endif
