/* task.h - one task: the engine's side of a gale_ctx_t.
 *
 * A task is an instance of a component with its own id, router (where its
 * emits go), state store and counters. It belongs to one executor and is
 * used only on that executor's thread. The public gale_ctx_* and gale_emit*
 * functions (include/gale/component.h) are implemented here.
 */
#ifndef GALE_TASK_H
#define GALE_TASK_H

#include <stdbool.h>
#include <stdint.h>

#include <gale/gale.h>

#include "common/buf.h"
#include "engine/state/kvstate.h"
#include "engine/transport/outlet.h"
#include "engine/exec/router.h"
#include "engine/exec/watermark.h"
#include "engine/metrics/histogram.h"
#include "topology/plan.h"

/* A tuple being executed: a view over decoded fields (tuple.h). */
struct gale_tuple {
    const gale_datum_t *vals;       /* decoded fields, borrowed */
    size_t n;                       /* number of fields */
    const gale_stream_decl_t *decl; /* producer's stream, for names; NULL for ticks */
    const char *component;          /* producer's id */
    const char *stream;             /* stream id */
    int source_task;                /* producer task id; -1 for ticks */
    uint64_t weight;                /* tuples it stands for; 0 reads as 1 */
};

typedef struct gale_counter {
    char *name;                     /* owned */
    int64_t value;
} gale_counter_t;

/* Counters a task keeps, read by the executor for reports. */
typedef struct gale_task_stats {
    uint64_t emitted;               /* tuples emitted (one per emit call) */
    uint64_t transferred;           /* tuples sent to targets (per target) */
    uint64_t executed;              /* tuples executed (bolts) */
    uint64_t exec_ns;               /* time inside execute, summed */
    uint64_t errors;                /* reported errors */
    gale_hist_t exec_lat;           /* execute latency per tuple, ns: one
                                       record per frame (its mean) */
    gale_hist_t done_lat;           /* ns. Bolts: process latency, what the
                                       component records (a shell bolt: a
                                       tuple sent to its child to its ack);
                                       spouts: complete latency, one record
                                       per completed checkpoint (executor.c) */
} gale_task_stats_t;

struct gale_ctx {
    const gale_plan_t *plan;        /* borrowed */
    const gale_topology_t *topo;    /* borrowed */
    const gale_comp_t *comp;        /* borrowed */
    int comp_idx;                   /* component index */
    int task_id;                    /* global id */
    int task_index;                 /* 0 .. ntasks-1 */
    uint32_t attempt;               /* attempt epoch of the run */
    const gale_component_def_t *def;/* type */
    void *self;                     /* the component's private state */
    gale_router_t *router;          /* owned */
    gale_outlet_t *outlet;          /* the executor's, borrowed */
    gale_kvstore_t *state;          /* owned */
    gale_buf_t scratch;             /* a tuple on its way to a combiner */
    gale_datum_t *dvals;            /* a combined tuple's values, decoded */
    size_t dcap;                    /* room in dvals */
    uint64_t comb_due_ns;           /* when its combiners must be drained;
                                       0 = they hold nothing */
    int *picks;                     /* route choice scratch */
    size_t npicks;
    int kg_first;                   /* first key group the task owns */
    int kg_last;                    /* last key group the task owns */
    int inputs_open;                /* input channels that have not ended */
    bool opened;                    /* open/prepare succeeded */
    bool weights;                   /* execute takes a tuple's weight */
    bool done;                      /* spout exhausted, or bolt finished */
    bool ended;                     /* END sent downstream */
    uint64_t next_tick_ns;          /* next tick tuple; 0 = none */
    /* Event time (docs/windows.md). */
    gale_wmark_t *wm;               /* owned: bolts' input watermark clock */
    int *wm_idx;                    /* owned, per stream: the timestamp
                                       field's index or -1; NULL when the
                                       task generates no watermarks */
    int64_t wm_max;                 /* highest event time it emitted */
    int64_t wm_sent;                /* last watermark sent downstream */
    bool wm_idle_sent;              /* IDLE went out, nothing since */
    uint64_t wm_next_ns;            /* next generated watermark */
    uint64_t wm_seen;               /* stats.emitted at the last look */
    uint64_t wm_quiet_ns;           /* since when it emitted nothing */
    uint64_t clock_wm_ns;           /* gale_ctx_clock_watermarks period */
    uint64_t clock_wm_next_ns;
    gale_task_stats_t stats;
    gale_counter_t *counters;       /* gale_ctx_count */
    size_t ncounters;
    char *last_error;               /* owned; last reported error */
    char **chain_error;             /* the executor's: the first failure of
                                       a chained task (chain.h) */
    char origin[96];                /* "component[task]" for logs */
};

/* Creates task task_id of plan, emitting through outlet (whose channels
 * out() adds). NULL with *cause on failure. */
gale_ctx_t *gale_task_new(const gale_plan_t *plan, int task_id,
    gale_outlet_t *outlet, gale_out_fn out, void *arg, char **cause);
/* Records the event time of a tuple the task emits on stream s, when it
 * generates watermarks (ctx->wm_idx). 0, or -EINVAL (reported) when the
 * timestamp field is not an integer. */
int gale_task_note_time(gale_ctx_t *ctx, int s, const gale_datum_t *vals);
/* Fills *view as the tuple task `from` emits on stream s with the n
 * values vals (borrowed), weight 1: what a custom grouping and a chained
 * consumer read. */
void gale_task_view(const gale_ctx_t *from, int s, const gale_datum_t *vals,
    size_t n, struct gale_tuple *view);
/* Frees the task (not the component's state: call close/cleanup first). */
void gale_task_destroy(gale_ctx_t **tp);
/* Sends what the task's combiners hold (combiner.h), if anything: when
 * ctx->comb_due_ns has passed, and before a barrier or END leaves the
 * task. 0 or -errno. */
int gale_task_drain(gale_ctx_t *ctx);

#endif
