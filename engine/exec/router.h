/* router.h - where a task's emitted tuples go: one route per subscribing
 * edge of each output stream, with Storm's grouping semantics.
 *
 * Targets of a route are the consumer task ids that the plan lets this
 * task reach (plan.h: gale_plan_edge_targets), ascending; choosing returns
 * indexes into them. Owned by the executor thread of the sending task.
 */
#ifndef GALE_ROUTER_H
#define GALE_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gale/gale.h>

#include "topology/plan.h"

typedef struct gale_route {
    int edge;                       /* edge index in the topology */
    gale_grouping_t grouping;
    int *targets;                   /* consumer task ids, ascending */
    int *outs;                      /* outlet index per target */
    int ntargets;
    const int *field_idx;           /* FIELDS / PARTIAL_KEY: selected fields */
    size_t nfields;
    int max_parallelism;            /* key groups */
    uint64_t kg_mask;               /* FIELDS: max_parallelism - 1 when that
                                     * is a power of two (H mod it = H & mask) */
    bool kg_pow2;                   /* kg_mask applies */
    int *kg_pick;                   /* FIELDS: key group -> target index */
    struct gale_combiner *comb;     /* combine = true: equal tuples wait
                                     * here (combiner.h); else NULL */
    bool all_tasks;                 /* targets are every consumer task */
    uint64_t rr;                    /* SHUFFLE / LOCAL_OR_SHUFFLE position */
    int *order;                     /* SHUFFLE: targets shuffled once */
    uint64_t rng;                   /* NONE: xorshift state */
    uint64_t *sent;                 /* PARTIAL_KEY: tuples sent per target */
    gale_ctx_t *fused;              /* a chained edge (plan.h): the one
                                     * target task, in this thread
                                     * (chain.h); its outs[0] is -1 */
    const gale_grouping_def_t *custom; /* CUSTOM: definition */
    void *custom_self;              /* CUSTOM: its state */
} gale_route_t;

typedef struct gale_stream_out {
    gale_route_t *routes;           /* subscribing edges */
    size_t nroutes;
    bool direct;                    /* declared direct */
    bool custom;                    /* some route has a custom grouping */
    size_t nfields;                 /* declared field count */
} gale_stream_out_t;

typedef struct gale_router {
    gale_stream_out_t *streams;     /* per declared stream of the component */
    size_t nstreams;
} gale_router_t;

/* Maps a channel id to an outlet index (adding it when new); -errno. */
typedef int (*gale_out_fn)(void *arg, int channel_id);

/* Builds the routes of task_id. NULL with *cause on failure (a custom
 * grouping whose prepare failed). */
gale_router_t *gale_router_new(const gale_plan_t *plan, int task_id,
    gale_out_fn out, void *arg, char **cause);
void gale_router_destroy(gale_router_t **rp);

/* Chooses the targets of one tuple on route rt: writes indexes into
 * rt->targets to picks (room for rt->ntargets) and returns their number,
 * or -errno (a custom grouping's error). *kg is the tuple's key group for
 * FIELDS, else -1. view is the tuple (read by custom groupings only; may
 * be NULL on a stream without one). */
int gale_route_choose(gale_route_t *rt, int source_task,
    const gale_datum_t *vals, size_t n, const gale_tuple_t *view,
    int *picks, int *kg);

#endif
