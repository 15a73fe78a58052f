/* component.h - spouts, bolts and custom groupings, as tables of functions.
 *
 * A component type is described by a gale_component_def_t. Built-ins and
 * plugins use the same definition: a built-in has no power a plugin lacks.
 * A plugin exports one symbol,
 *
 *     const gale_plugin_t gale_plugin = { GALE_ABI_VERSION, defs, groupings };
 *
 * listing the component types and custom groupings it provides.
 *
 * Lifecycle of a task (Storm's, with checkpoint hooks from the start):
 *   spout: open -> [restore] -> activate -> next* (ack/fail interleaved)
 *          -> deactivate -> close
 *   bolt:  prepare -> [restore] -> execute* -> finish -> cleanup
 * snapshot is called at a checkpoint barrier and checkpoint_complete when
 * every task has acknowledged a checkpoint ("everything <= id is complete").
 * Unset (NULL) functions are skipped.
 */
#ifndef GALE_COMPONENT_H
#define GALE_COMPONENT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include <gale/value.h>
#include <gale/tuple.h>
#include <gale/state.h>

/* The engine's handle on one task, passed to every call. */
typedef struct gale_ctx gale_ctx_t;

typedef enum gale_kind {
    GALE_SPOUT = 1,
    GALE_BOLT = 2
} gale_kind_t;

/* What spout next() returns besides -errno. */
enum {
    GALE_EMITTED = 0,   /* emitted at least one tuple, or may have */
    GALE_IDLE = 1,      /* nothing to emit now; the engine backs off briefly */
    GALE_DONE = 2       /* bounded input is exhausted; next() is not called again */
};

/* A parameter a component type accepts, checked by `gale validate`. */
typedef struct gale_param_spec {
    const char *name;       /* setting name in the component's DSL group */
    gale_type_t type;       /* expected type; GALE_NULL = any */
    bool required;          /* missing is an error */
    const char *help;       /* one line for `gale validate --types` */
} gale_param_spec_t;

typedef struct gale_spout_ops {
    /* Allocates the task's private state into *self. 0 or -errno. */
    int (*open)(gale_ctx_t *ctx, void **self);
    /* Emits zero or more tuples. GALE_EMITTED, GALE_IDLE, GALE_DONE or -errno. */
    int (*next)(gale_ctx_t *ctx, void *self);
    void (*ack)(gale_ctx_t *ctx, void *self, uint64_t msgid);
    void (*fail)(gale_ctx_t *ctx, void *self, uint64_t msgid);
    void (*activate)(gale_ctx_t *ctx, void *self);
    void (*deactivate)(gale_ctx_t *ctx, void *self);
    /* Records the read position in operator state (gale_ctx_operator_state).
     * Called between two next() calls. 0 or -errno. */
    int (*snapshot)(gale_ctx_t *ctx, void *self, uint64_t checkpoint_id);
    /* Seeks to the position recorded in operator state. 0 or -errno. */
    int (*restore)(gale_ctx_t *ctx, void *self);
    void (*checkpoint_complete)(gale_ctx_t *ctx, void *self, uint64_t checkpoint_id);
    /* Frees *self's resources. */
    void (*close)(gale_ctx_t *ctx, void *self);
} gale_spout_ops_t;

/* A fired window, as a windowed bolt's on_window receives it
 * (docs/windows.md). Borrowed: valid during the call. */
typedef struct gale_window {
    int64_t start, end;                 /* [start, end): event-time ms;
                                           count windows: tuple ordinals */
    const gale_datum_t *key;            /* the `key` fields' values */
    size_t nkey;
    /* aggregate = "collect" (a windowed bolt's default): the window's
     * values of field `value`, each distinct one once in value order
     * with how often it came; "top": the top values in rank order with
     * their counts. */
    const gale_datum_t *values;
    const int64_t *counts;
    size_t nvalues;
    /* Another aggregate (count, sum, min, max, avg, distinct): its
     * value; GALE_NULL otherwise. */
    gale_datum_t aggregate;
} gale_window_t;

typedef struct gale_bolt_ops {
    int (*prepare)(gale_ctx_t *ctx, void **self);
    /* Processes one tuple; may emit. 0 or -errno (a task failure). */
    int (*execute)(gale_ctx_t *ctx, void *self, const gale_tuple_t *t);
    /* Every input has ended; may still emit (e.g. open windows). */
    int (*finish)(gale_ctx_t *ctx, void *self);
    int (*snapshot)(gale_ctx_t *ctx, void *self, uint64_t checkpoint_id);
    int (*restore)(gale_ctx_t *ctx, void *self);
    void (*checkpoint_complete)(gale_ctx_t *ctx, void *self, uint64_t checkpoint_id);
    void (*cleanup)(gale_ctx_t *ctx, void *self);
    /* Event time reached wm_ms (docs/windows.md): the task's input
     * watermark advanced, so no tuple with an event time <= wm_ms is
     * expected any more; GALE_EVENT_TIME_END once every input ended
     * (before finish). Called between execute() calls, with keyed state
     * reaching every key group the task owns (gale_ctx_scope_key_group
     * narrows it); may emit. The engine forwards the watermark downstream
     * after it returns. Also called with the wall clock when the task
     * asked for gale_ctx_clock_watermarks. 0 or -errno. */
    int (*on_watermark)(gale_ctx_t *ctx, void *self, int64_t wm_ms);
    /* A windowed bolt (docs/windows.md): set this and the engine runs the
     * window bolt's machinery in front of the component (its parameters
     * are the window bolt's, plus the component's own) and calls
     * on_window for each fired window, with keyed state scoped to the
     * window's key group; it may emit. execute and on_watermark are not
     * called. 0 or -errno. */
    int (*on_window)(gale_ctx_t *ctx, void *self, const gale_window_t *w);
} gale_bolt_ops_t;

typedef struct gale_component_def {
    const char *type;                   /* the DSL's `type` */
    gale_kind_t kind;                   /* spout or bolt */
    const char *summary;                /* one line */
    const gale_param_spec_t *params;    /* terminated by a {NULL} entry */
    const gale_spout_ops_t *spout;      /* set for GALE_SPOUT */
    const gale_bolt_ops_t *bolt;        /* set for GALE_BOLT */
    const void *data;                   /* anything; gale_ctx_def_data */
} gale_component_def_t;

/* A custom grouping: chooses target task indexes (0 .. ntargets-1, into
 * the consumer's tasks sorted ascending) for one tuple. */
typedef struct gale_grouping_def {
    const char *name;                   /* the DSL's custom = { name = ... } */
    /* Optional: reads args (a MAP or NULL) into *self. 0 or -errno. */
    int (*prepare)(const gale_value_t *args, int ntargets, void **self);
    /* Writes up to ntargets indexes into out; returns how many, or -errno. */
    int (*choose)(void *self, int source_task, const gale_tuple_t *t,
        int *out, int ntargets);
    void (*cleanup)(void *self);
} gale_grouping_def_t;

typedef struct gale_plugin {
    uint32_t abi;                                   /* GALE_ABI_VERSION */
    const gale_component_def_t *const *components;  /* NULL-terminated */
    const gale_grouping_def_t *const *groupings;    /* NULL-terminated, or NULL */
} gale_plugin_t;

/* ---- The task's context ---- */

const char *gale_ctx_component(const gale_ctx_t *ctx);
/* The `data` of the task's component def (one set of ops serving several
 * defs tells them apart by it). */
const void *gale_ctx_def_data(const gale_ctx_t *ctx);
int gale_ctx_task(const gale_ctx_t *ctx);             /* global task id */
int gale_ctx_task_index(const gale_ctx_t *ctx);       /* 0 .. ntasks-1 */
int gale_ctx_ntasks(const gale_ctx_t *ctx);           /* tasks of the component */
int gale_ctx_parallelism(const gale_ctx_t *ctx);      /* executors of the component */
/* The attempt epoch: 1 for a fresh run, bumped by every recovery. Staged
 * output names carry it so that a retried attempt never collides. */
uint32_t gale_ctx_attempt(const gale_ctx_t *ctx);
/* The component's parameter called name, or NULL. Borrowed. */
const gale_value_t *gale_ctx_param(const gale_ctx_t *ctx, const char *name);
/* Typed shorthands returning def when the parameter is absent. */
const char *gale_ctx_param_str(const gale_ctx_t *ctx, const char *name, const char *def);
int64_t gale_ctx_param_int(const gale_ctx_t *ctx, const char *name, int64_t def);
double gale_ctx_param_double(const gale_ctx_t *ctx, const char *name, double def);
bool gale_ctx_param_bool(const gale_ctx_t *ctx, const char *name, bool def);
/* The task's Storm configuration (topology merged with component, dotted
 * Storm key names, defaults included): a MAP. Borrowed. */
const gale_value_t *gale_ctx_conf(const gale_ctx_t *ctx);

/* The task's Storm TopologyContext as TopologyContext.toJSONString()
 * shows it to multilang children: "task->component" (every task id, as a
 * string, to its component id), "taskid", "componentid", "streams",
 * "stream->outputfields", "stream->target->grouping" and
 * "source->stream->grouping" (groupings by their Thrift names, with
 * "fields" for fields groupings), "source->stream->fields". A MAP the
 * caller frees with gale_value_destroy(). */
gale_value_t *gale_ctx_storm_context(const gale_ctx_t *ctx);
/* true once the engine is tearing the task down (the run failed, or was
 * aborted). A component that waits inside a call (on a child process, a
 * socket) polls this, at least every 100 ms, and then returns -ECANCELED.
 * Polling it also lets the executor report meanwhile, which keeps its
 * worker process alive for the runtime (gale.worker.timeout.ms). Never
 * waits. */
bool gale_ctx_cancelled(gale_ctx_t *ctx);

/* ---- Emitting ---- */

/* Handle of an output stream the component declared ("default" included),
 * or -ENOENT. Look it up once in open/prepare. */
int gale_ctx_stream(const gale_ctx_t *ctx, const char *name);
/* The handle of the "default" stream, when the component declares it. */
#define GALE_STREAM_DEFAULT 0

typedef struct gale_emit_opts {
    int stream;                             /* stream handle */
    int direct_task;                        /* -1, or a task id: emit_direct */
    bool has_msgid;                         /* spouts: reliable emit */
    uint64_t msgid;                         /* spouts: the id ack/fail get */
    const gale_tuple_t *const *anchors;     /* bolts: accepted for Storm parity */
    size_t nanchors;
    int *tasks_out;                         /* optional: receives the target task ids */
    size_t tasks_cap;                       /* room in tasks_out */
    size_t *ntasks_out;                     /* optional: number of targets */
} gale_emit_opts_t;

/* Emits one tuple of n values (copied). 0 or -errno: -ENOENT unknown
 * stream, -EINVAL value count differs from the stream's fields,
 * -EPERM regular emit on a direct stream ("Cannot do regular emit to
 * direct stream") or emit_direct to a task expecting a regular grouping,
 * -ESRCH direct task that is not a consumer's. */
int gale_emit_ex(gale_ctx_t *ctx, const gale_emit_opts_t *opts,
    const gale_datum_t *vals, size_t n);
/* Shorthands for gale_emit_ex. */
int gale_emit(gale_ctx_t *ctx, int stream, const gale_datum_t *vals, size_t n);
int gale_emit_direct(gale_ctx_t *ctx, int task, int stream,
    const gale_datum_t *vals, size_t n);
int gale_spout_emit(gale_ctx_t *ctx, int stream, const gale_datum_t *vals,
    size_t n, uint64_t msgid);

/* ---- Event time ---- */

/* Event times and watermarks are milliseconds (int64; since the epoch by
 * convention). No watermark yet, and every input ended: */
#define GALE_EVENT_TIME_NONE INT64_MIN
#define GALE_EVENT_TIME_END INT64_MAX

/* The task's input watermark: the minimum over its input channels
 * (GALE_EVENT_TIME_NONE before the first). Spouts: the watermark they
 * generate from their timestamp field (docs/windows.md). */
int64_t gale_ctx_watermark(const gale_ctx_t *ctx);
/* Asks the engine to call on_watermark with the wall clock (ms since the
 * epoch) every interval_ms (>= 1) from now on: processing-time windows.
 * Call it from prepare. */
void gale_ctx_clock_watermarks(gale_ctx_t *ctx, int interval_ms);
/* The wall clock, milliseconds since the epoch. */
int64_t gale_wall_ms(void);

/* ---- Key groups ---- */

/* The key group keyed state is scoped to: the one the tuple being
 * executed was routed by (fields grouping), or -1 (outside execute, or a
 * tuple that came by another grouping). */
int gale_ctx_key_group(const gale_ctx_t *ctx);
/* Scopes keyed state to key group kg (one the task owns, as
 * gale_ctx_key_group returned it for one of its tuples), or to every key
 * group with -1: for timers that fire outside execute. Only between
 * calls of the engine's: the scope is reset before each callback. 0, or
 * -ERANGE for a key group the task does not own. */
int gale_ctx_scope_key_group(gale_ctx_t *ctx, int kg);

/* ---- Combined tuples ---- */

/* Called from prepare by a bolt that can execute a tuple together with
 * its multiplicity (gale_tuple_weight): on a stream declared
 * `combine = true`, equal tuples then arrive as one call with the weight
 * n instead of n calls. A bolt that does not call it always sees weight
 * 1 (the engine calls it n times). */
void gale_ctx_accept_weights(gale_ctx_t *ctx);

/* ---- State ---- */

/* The task's keyed state called name (created empty). Never NULL. */
gale_kv_t *gale_ctx_keyed_state(gale_ctx_t *ctx, const char *name);
/* The task's operator state called name (created empty). Never NULL. */
gale_kv_t *gale_ctx_operator_state(gale_ctx_t *ctx, const char *name);

/* ---- Logging and counters ---- */

enum { GALE_LOG_TRACE = 0, GALE_LOG_DEBUG = 1, GALE_LOG_INFO = 2,
       GALE_LOG_WARN = 3, GALE_LOG_ERROR = 4 };    /* Storm's multilang levels */
void gale_ctx_log(gale_ctx_t *ctx, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Reports an error shown in the run summary (Storm's reportError). */
void gale_ctx_report_error(gale_ctx_t *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Adds delta to the task's counter called name (created at 0). */
void gale_ctx_count(gale_ctx_t *ctx, const char *name, int64_t delta);
/* Records one tuple's process latency, ns (Storm's: from the tuple's
 * arrival to its ack): a bolt that finishes tuples after execute()
 * returns (the shell bolt) says when. Served as
 * gale_component_process_latency_seconds (docs/metrics.md). */
void gale_ctx_process_latency(gale_ctx_t *ctx, uint64_t ns);

#endif
