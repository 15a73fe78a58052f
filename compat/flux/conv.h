/* conv.h - the state of one Flux conversion, shared by the converter's
 * parts (docs.c, cfg.c, vertex.c, stream.c, unconverted.c, convert.c),
 * and the helpers that report problems at a YAML node and read scalars,
 * integers, booleans and string lists with the converter's messages.
 * Not a public type: convert.h is the interface. Used from one thread. */
#ifndef GALE_FLUX_CONV_H
#define GALE_FLUX_CONV_H

#include <stdbool.h>
#include <stddef.h>

#include "compat/flux/classes.h"
#include "compat/flux/dslwriter.h"
#include "compat/flux/yamldoc.h"
#include "topology/diag.h"
#include "topology/props.h"

#ifndef NELEM
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* A list of YAML nodes (borrowed from the documents). */
typedef struct gale_flux_nvec {
    const gale_ynode_t **v;         /* owned array */
    size_t n;                       /* entries */
} gale_flux_nvec_t;

/* A config group being built: DSL names in `dsl` (with the checkpoint
 * subgroup), keys of the user's own in `user`, the rest in `pass`. */
typedef struct gale_flux_cfg {
    gale_value_t *dsl;              /* MAP, DSL name -> value */
    gale_value_t *ckpt;             /* MAP, checkpoint key -> value */
    gale_value_t *user;             /* MAP, user key -> value */
    gale_value_t *pass;             /* MAP, dotted conf key -> value */
} gale_flux_cfg_t;

/* An output stream a converted component declares. */
typedef struct gale_flux_decl {
    char *id;                       /* stream id */
    gale_value_t *fields;           /* LIST of strings */
    bool direct;                    /* a DIRECT grouping consumes it */
} gale_flux_decl_t;

/* A converted spout or bolt. */
typedef struct gale_flux_comp {
    const gale_ynode_t *node;       /* its Flux definition */
    const char *id;                 /* borrowed from node */
    gale_kind_t kind;
    const gale_flux_class_t *cls;   /* NULL: refused (an error is out) */
    gale_value_t *cmd;              /* shell: LIST of strings, or NULL */
    gale_value_t *env;              /* shell: MAP, or NULL */
    gale_flux_decl_t *decls;                  /* declared streams */
    size_t ndecls;
    gale_flux_cfg_t cfg;                      /* component config */
    long long parallelism;          /* 0: not given */
    long long tasks;                /* 0: not given */
    char **notes;                   /* comments for the output */
    size_t nnotes;
    bool fed;                       /* a stream targets it */
    char *key;                      /* from_input: the first input field */
    gale_dslw_t *params;            /* DSL parameters the conversion of
                                       its configMethods and constructor
                                       set (windowing.c, kafka.c), or NULL */
    /* A windowed bolt (windowing.h): */
    bool wcount;                    /* a count window */
    const gale_ynode_t *wnode;      /* the method that set the window */
    char *ts_field;                 /* withTimestampField, or NULL */
    const gale_ynode_t *tsnode;     /* its method */
    long long lag_ms;               /* withLag */
    long long wm_interval_ms;       /* withWatermarkInterval */
    char *late;                     /* withLateTupleStream, or NULL */
    /* A component feeding an event-time windowed bolt: */
    const char *wm_for;             /* that bolt's id (borrowed), or NULL */
    char *wm_field;                 /* it generates watermarks from this */
    long long wm_lag, wm_interval;
} gale_flux_comp_t;

/* A converted stream. */
typedef struct gale_flux_stream {
    const gale_ynode_t *node;       /* its Flux definition */
    int from, to;                   /* indexes into oc */
    char *stream;                   /* NULL: default */
    const char *grouping;           /* DSL name */
    gale_value_t *fields;           /* LIST, or NULL */
    char *name;                     /* Flux's label, or NULL */
} gale_flux_stream_t;

/* State of one conversion. */
typedef struct gale_flux_conv {
    gale_diag_t *errs;              /* borrowed */
    gale_diag_t *warns;             /* borrowed */
    gale_props_t *props;            /* owned, or NULL */
    const char *props_path;         /* borrowed, or NULL */
    gale_ydoc_t **docs;             /* owned documents (main + includes) */
    size_t ndocs;
    const gale_ynode_t *name;       /* the name node in effect */
    gale_flux_nvec_t ckeys, cvals;            /* config entries in effect */
    gale_flux_nvec_t comps, spouts, bolts, streams, hooks;
    const gale_ynode_t *tsource;    /* topologySource, or NULL */
    gale_flux_comp_t *oc;                    /* spouts then bolts */
    size_t noc;
    gale_flux_stream_t *os;
    size_t nos;
    gale_flux_cfg_t cfg;                      /* topology config */
    gale_flux_nvec_t dropped;                 /* unfed bolts (for comments) */
} gale_flux_conv_t;

/* The keys of a Flux bean (a `components` entry or a customClass). */
extern const char *const gale_flux_bean_keys[];
extern const size_t gale_flux_nbean_keys;

/* Reports an error at node n. */
void gale_flux_err(gale_flux_conv_t *c, const gale_ynode_t *n,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Reports a warning ("warning: ...") at node n. */
void gale_flux_warn(gale_flux_conv_t *c, const gale_ynode_t *n,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Appends node n (borrowed) to v. */
void gale_flux_nvec_add(gale_flux_nvec_t *v, const gale_ynode_t *n);
/* Reports every key of map m not in keys[nkeys], with a suggestion;
 * ctx prefixes the messages. */
void gale_flux_check_keys(gale_flux_conv_t *c, const gale_ynode_t *m,
    const char *ctx, const char *const *keys, size_t nkeys);
/* The text of scalar n (owned by its document), or NULL after reporting
 * that `what` must be a string. */
const char *gale_flux_scalar(gale_flux_conv_t *c, const gale_ynode_t *n,
    const char *ctx, const char *what);
/* Reads the integer n (min..INT_MAX) into *out. 0, or -EINVAL after
 * reporting. */
int gale_flux_int(gale_flux_conv_t *c, const gale_ynode_t *n,
    const char *ctx, const char *what, long long min, long long *out);
/* Reads the boolean n into *out. 0, or -EINVAL after reporting. */
int gale_flux_bool(gale_flux_conv_t *c, const gale_ynode_t *n,
    const char *ctx, const char *what, bool *out);
/* A list of scalars as a LIST of strings (caller frees), or NULL after
 * reporting (a `ref` included: gale has no Java objects to pass). */
gale_value_t *gale_flux_strings(gale_flux_conv_t *c, const gale_ynode_t *n,
    const char *ctx, const char *what);
/* The `components` entry the scalar ref names (defined before it), or NULL
 * after reporting; and a bean's className ("" without one). */
const gale_ynode_t *gale_flux_bean(gale_flux_conv_t *c,
    const gale_ynode_t *ref, const char *ctx);
const char *gale_flux_bean_class(const gale_ynode_t *d);
/* Adds a comment line to component o's output. */
void gale_flux_note(gale_flux_comp_t *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
