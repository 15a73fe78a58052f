/* classes.h - the Java classes of Flux files that have a gale equivalent:
 * Storm's test and example spouts and bolts that map onto gale built-ins,
 * and the multilang wrappers (FluxShellSpout, FluxShellBolt) that become
 * `shell` components. Any other class is refused by the converter.
 * Read-only; any thread. */
#ifndef GALE_FLUX_CLASSES_H
#define GALE_FLUX_CLASSES_H

#include <stdbool.h>
#include <stddef.h>

#include <gale/gale.h>

/* How a class's constructorArgs convert. */
typedef enum gale_flux_args {
    GALE_FLUX_ARGS_NONE = 0,        /* no constructorArgs allowed */
    GALE_FLUX_ARGS_DISTRIBUTED,     /* optional boolean isDistributed */
    GALE_FLUX_ARGS_SHELL,           /* [command], [output fields] */
    GALE_FLUX_ARGS_KAFKA            /* [ref: KafkaSpoutConfig] (kafka.h) */
} gale_flux_args_t;

typedef struct gale_flux_class {
    const char *cls;                /* fully qualified Java class */
    gale_kind_t kind;               /* where it may appear */
    const char *type;               /* gale component type */
    const char *params;             /* DSL text of fixed parameters, or "" */
    const char *fields;             /* default stream fields, comma-separated;
                                       NULL: no default stream (or, for shell,
                                       from the constructor) */
    gale_flux_args_t args;          /* constructorArgs handling */
    const char *from_input;         /* parameter set to the first field
                                       of its input ("key", "value"), or
                                       NULL */
    bool windowed;                  /* a BaseWindowedBolt: its
                                       configMethods are the window's
                                       (windowing.h) */
    const char *note;               /* one-line comment for the output */
} gale_flux_class_t;

/* The entry for Java class cls, or NULL. */
const gale_flux_class_t *gale_flux_class_find(const char *cls);
/* Number of entries and the i-th one (docs and tests list them). */
size_t gale_flux_class_count(void);
const gale_flux_class_t *gale_flux_class_at(size_t i);

#endif
