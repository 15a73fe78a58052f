/* plan.h - the physical plan: tasks, executors, channels and workers.
 *
 * Task ids are assigned as Storm assigns them with no ackers: from 1, a
 * contiguous block per component, components in sorted order of their ids.
 * A component's tasks are split into `parallelism` executors of contiguous
 * task ranges (the first ntasks % parallelism executors get one more).
 * Executors, listed component by component, are dealt round-robin onto
 * `workers` (Storm's even scheduler). A channel is the FIFO from one
 * upstream task to one downstream task that some edge's grouping can use;
 * several edges between the same two tasks share one channel. Channels are
 * numbered from 0 in order of (from_task, to_task). Read-only once built.
 *
 * Chaining (docs/engine.md, "Chaining"): an edge is chained when it is its
 * consumer's only input, both ends have as many executors and as many
 * tasks, its grouping is shuffle, local_or_shuffle or none (or fields,
 * global, all or partial_key between components of one task each: every
 * tuple goes to that task anyway), it does not combine, neither end is a
 * shell component and neither sets `chaining = false`. Then the
 * consumer's task i runs in the executor of the producer's task i and
 * gets every tuple that task emits on the edge, by a direct call: the
 * edge has no channels, the consumer no executors of its own (its tasks
 * name the producer's executor and worker), and the producer's executor
 * lists it among its members. Task ids are the same as without chaining.
 */
#ifndef GALE_PLAN_H
#define GALE_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "topology/topology.h"

typedef struct gale_task {
    int id;                         /* global task id, from 1 */
    int comp;                       /* component index */
    int index;                      /* 0 .. ntasks-1 within the component */
    int executor;                   /* executor index */
    int worker;                     /* worker index, 0 .. nworkers-1 */
} gale_task_t;

typedef struct gale_executor {
    int id;                         /* executor index */
    int comp;                       /* component index (the chain's head) */
    int first_task;                 /* task id of its first task */
    int ntasks;                     /* contiguous task ids */
    int worker;
    int *members;                   /* owned: components chained into it,
                                       each upstream of the ones after it */
    int nmembers;
} gale_executor_t;

typedef struct gale_channel {
    int id;                         /* index in chans */
    int from_task;                  /* sending task id */
    int to_task;                    /* receiving task id */
} gale_channel_t;

typedef struct gale_plan {
    const gale_topology_t *topo;    /* borrowed; must outlive the plan */
    gale_task_t *tasks;             /* tasks[id - 1] */
    size_t ntasks;
    gale_executor_t *execs;
    size_t nexecs;
    gale_channel_t *chans;          /* sorted by (from_task, to_task) */
    size_t nchans;
    int nworkers;
    int *comp_first_task;           /* per component: its first task id */
    int *comp_first_exec;           /* per component: its first executor
                                       (a chain member: its head's) */
    bool *chained;                  /* per edge: fused, no channels */
    int *chain_from;                /* per component: its chained input
                                       edge, or -1 */
} gale_plan_t;

/* Builds the plan. NULL with errors in diag (e.g. more executors than a
 * worker layout allows). Caller frees. */
gale_plan_t *gale_plan_new(const gale_topology_t *t, gale_diag_t *diag);
void gale_plan_destroy(gale_plan_t **pp);

/* The channel from task a to task b, or -1. O(log n). */
int gale_plan_channel(const gale_plan_t *p, int from_task, int to_task);
/* The target task ids that edge e's grouping may use from sending task
 * from_task, ascending, into out (room for the consumer's ntasks).
 * Returns their number. local_or_shuffle keeps only same-worker tasks
 * when there are any; global keeps the lowest; a chained edge, the
 * consumer's task of the same index. */
int gale_plan_edge_targets(const gale_plan_t *p, int edge, int from_task,
    int *out);

/* About how many ZeroMQ sockets worker's executors open (-1: every
 * worker's, a run in one process): one per channel end there, a few per
 * executor, and the process's own. Each takes a file descriptor. */
size_t gale_plan_sockets(const gale_plan_t *p, int worker);

/* The task id of the k-th task executor exec runs of component comp (its
 * head or one of its members). */
int gale_plan_exec_task(const gale_plan_t *p, int exec, int comp, int k);

#endif
