/* topology.h - the logical topology: what a DSL file says, validated.
 *
 * Built by gale_topology_load() (topology/loader.c) from a libconfig file;
 * the model's own functions (names, lookups, freeing) are in topology.c,
 * below both the loader and validate.c;
 * consumed by the planner (plan.h), `gale graph`, and the engine. Read-only
 * once loaded; components are kept in sorted order of their ids (the order
 * in which Storm assigns task ids), so a component's index is stable for
 * a given set of ids. No runtime code lives in topology/.
 */
#ifndef GALE_TOPOLOGY_H
#define GALE_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>

#include <gale/gale.h>

#include "topology/diag.h"

typedef enum gale_grouping {
    GALE_GROUPING_SHUFFLE = 0,
    GALE_GROUPING_FIELDS,
    GALE_GROUPING_ALL,
    GALE_GROUPING_GLOBAL,
    GALE_GROUPING_NONE,
    GALE_GROUPING_DIRECT,
    GALE_GROUPING_LOCAL_OR_SHUFFLE,
    GALE_GROUPING_PARTIAL_KEY,
    GALE_GROUPING_CUSTOM
} gale_grouping_t;

typedef enum gale_guarantee {
    GALE_GUARANTEE_NONE = 0,        /* no checkpoints */
    GALE_GUARANTEE_AT_LEAST_ONCE,   /* barriers, not aligned */
    GALE_GUARANTEE_EXACTLY_ONCE     /* aligned barriers */
} gale_guarantee_t;

/* Where a setting came from, for `file:line:` messages. */
typedef struct gale_where {
    const char *file;               /* interned in the topology; never NULL */
    int line;                       /* 1-based; 0 when unknown */
} gale_where_t;

/* An output stream a component declares. */
typedef struct gale_stream_decl {
    char *id;                       /* "default" or a named stream */
    char **fields;                  /* output field names */
    size_t nfields;
    bool direct;                    /* consumers must use direct grouping */
    gale_where_t where;
} gale_stream_decl_t;

/* A spout or bolt. */
typedef struct gale_comp {
    char *id;                       /* unique; sorted order in the topology */
    gale_kind_t kind;               /* GALE_SPOUT or GALE_BOLT */
    char *type;                     /* built-in, "shell", or a plugin's type */
    char *plugin;                   /* plugin .so path (resolved), or NULL */
    int parallelism;                /* executors (threads) */
    int ntasks;                     /* tasks >= executors, fixed for its state */
    gale_stream_decl_t *streams;    /* declared outputs; "default" first if any */
    size_t nstreams;
    gale_value_t *params;           /* MAP: the type's parameters */
    gale_value_t *conf;             /* MAP: the topology's conf merged with the
                                       component's, dotted Storm names */
    int tick_secs;                  /* tick tuple period; 0 = none */
    /* `watermark = { ... }`: the component generates watermarks from the
     * event times in field wm_field of the tuples it emits
     * (docs/windows.md). wm_field NULL: it forwards its inputs'. */
    char *wm_field;
    int64_t wm_lag_ms;              /* bounded out-of-orderness */
    int wm_interval_ms;             /* how often one goes out */
    int wm_idle_ms;                 /* idle after this long; 0 = never */
    const gale_component_def_t *def;/* resolved type; NULL for "shell" (compat) */
    gale_where_t where;             /* the component's group */
} gale_comp_t;

/* One `streams` entry: consumer `to` subscribes to `stream` of `from`. */
typedef struct gale_edge {
    int from;                       /* producer's component index */
    int to;                         /* consumer's component index */
    char *stream;                   /* stream id */
    int stream_idx;                 /* index into comps[from].streams */
    gale_grouping_t grouping;
    char **fields;                  /* FIELDS, PARTIAL_KEY: grouping fields */
    size_t nfields;
    int *field_idx;                 /* their indexes in the stream's fields */
    char *custom;                   /* CUSTOM: grouping name */
    char *custom_plugin;            /* CUSTOM: plugin path, or NULL */
    gale_value_t *custom_args;      /* CUSTOM: MAP or NULL */
    const gale_grouping_def_t *custom_def; /* CUSTOM: resolved */
    bool combine;                   /* equal tuples merged before sending
                                       (engine/transport/combiner.h) */
    gale_where_t where;             /* the stream's group */
} gale_edge_t;

typedef struct gale_topology {
    char *name;
    char *path;                     /* the file it was loaded from */
    char **files;                   /* interned file names (main + includes) */
    size_t nfiles;
    gale_value_t *conf;             /* MAP: topology conf, dotted Storm names,
                                       gale's defaults included */
    int workers;                    /* worker processes */
    int max_parallelism;            /* key groups; fixed for the state's life */
    gale_guarantee_t guarantee;
    int batch_size;                 /* tuples per batch */
    size_t batch_bytes;             /* bytes per batch, cap */
    int flush_interval_ms;          /* a partial batch waits at most this */
    int queue_depth;                /* batches in flight per channel */
    int combine_entries;            /* distinct tuples a combining channel
                                       holds before sending them */
    int combine_interval_ms;        /* longest a combined tuple waits
                                       (default: flush_interval_ms) */
    int checkpoint_interval_ms;
    char *checkpoint_dir;           /* NULL: state/<name> */
    bool debug;                     /* topology.debug */
    gale_comp_t *comps;             /* sorted by id */
    size_t ncomps;
    gale_edge_t *edges;             /* in file order */
    size_t nedges;
} gale_topology_t;

/* Resolves a component type: returns its definition, or NULL with *cause
 * (caller frees) saying why. kind is what the component is declared as
 * (spouts or bolts): a type with a def of each kind ("shell") returns the
 * one of that kind; others may ignore it (the loader reports a mismatch).
 * plugin is the component's `plugin` path or NULL. Supplied by the caller
 * so that topology/ needs no runtime. */
typedef const gale_component_def_t *(*gale_type_lookup_fn)(void *arg,
    const char *type, gale_kind_t kind, const char *plugin, char **cause);
/* Resolves a custom grouping the same way. */
typedef const gale_grouping_def_t *(*gale_grouping_lookup_fn)(void *arg,
    const char *name, const char *plugin, char **cause);

typedef struct gale_load_opts {
    const char *properties;         /* --properties FILE, or NULL */
    const char *const *overrides;   /* -c key=value strings, NULL-terminated */
    gale_type_lookup_fn lookup_type;        /* NULL: types are not checked */
    gale_grouping_lookup_fn lookup_grouping;/* NULL: custom not checked */
    void *lookup_arg;
} gale_load_opts_t;

/* Loads, substitutes, parses and validates the file at path. Returns the
 * topology, or NULL with every error found added to diag. Caller frees. */
gale_topology_t *gale_topology_load(const char *path,
    const gale_load_opts_t *opts, gale_diag_t *diag);
/* The same, with the len bytes at buf as the contents of the file named
 * path (includes are still read from disk). Used by the fuzzer. */
gale_topology_t *gale_topology_load_buffer(const char *path, const char *buf,
    size_t len, const gale_load_opts_t *opts, gale_diag_t *diag);
/* Frees t and all it owns and sets *tp to NULL. Accepts NULL and *NULL. */
void gale_topology_destroy(gale_topology_t **tp);
/* Frees what edge e owns (not e itself) and zeroes it. */
void gale_edge_release(gale_edge_t *e);
/* Frees the n strings of v and v itself. Accepts NULL. */
void gale_topology_strings_destroy(char **v, size_t n);

/* Index of the component with this id, or -1. */
int gale_topology_find(const gale_topology_t *t, const char *id);
/* The tasks component c gets when it is given n executors (`-e C=N`,
 * `gale rebalance -e`): n when the file gave it as many tasks as
 * executors, or fewer tasks than n; else its tasks as they are. */
int gale_comp_tasks_for(const gale_comp_t *c, int n);
/* Index of stream id among comp's declared streams, or -1. */
int gale_comp_find_stream(const gale_comp_t *c, const char *id);

const char *gale_grouping_name(gale_grouping_t g);      /* DSL spelling */
const char *gale_grouping_storm_name(gale_grouping_t g);/* Thrift name */
const char *gale_guarantee_name(gale_guarantee_t g);

#endif
