/* registry.h - a set of metric families, the way Prometheus names them: a
 * family is a name, a type (counter, gauge or histogram) and a help line;
 * its series are told apart by their labels. Counters and gauges are a
 * value per series, histograms a gale_hist_t per series: they are the
 * value kinds of a series, not modules of their own.
 *
 * Built off the data path: the topology master fills one at each scrape
 * from the counters the executors last reported (engine/run/monitor.c)
 * and adding to a series that exists merges into it, which is how task
 * counters become component, worker and topology totals. Not
 * thread-safe: its builder is its only user.
 */
#ifndef GALE_METRICS_REGISTRY_H
#define GALE_METRICS_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/metrics/histogram.h"

typedef enum gale_metric_type {
    GALE_METRIC_COUNTER,            /* only goes up (resets on restart) */
    GALE_METRIC_GAUGE,              /* any value */
    GALE_METRIC_HISTOGRAM           /* a distribution (histogram.h) */
} gale_metric_type_t;

typedef struct gale_registry gale_registry_t;   /* opaque */

/* One series as the writer sees it. */
typedef struct gale_series_view {
    const char *const *labels;      /* name, value, name, value, ... */
    size_t nlabels;                 /* pairs */
    double value;                   /* counter, gauge */
    const gale_hist_t *hist;        /* histogram; NULL otherwise */
} gale_series_view_t;

/* An empty registry. Never NULL (aborts on OOM). */
gale_registry_t *gale_registry_new(void);
/* Frees and sets *rp to NULL. Accepts NULL and *NULL. */
void gale_registry_destroy(gale_registry_t **rp);

/* Whether name is a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*). */
bool gale_metric_name_ok(const char *name);
/* Whether name is a valid label name ([a-zA-Z_][a-zA-Z0-9_]*, not
 * starting with "__", which Prometheus keeps for itself). */
bool gale_label_name_ok(const char *name);

/* Declares family name. Returns its index (>= 0); declaring it again with
 * the same type returns the same index. -EINVAL when the name is not
 * valid, -EEXIST when it exists with another type. help is copied. */
int gale_registry_family(gale_registry_t *r, const char *name,
    gale_metric_type_t type, const char *help);
/* Adds v to the series of counter or gauge family f whose labels are the
 * NULL-terminated list of name, value pairs (NULL: no labels), creating
 * it at 0 first. 0, or -EINVAL (f not a counter or gauge, a label name
 * not valid, v negative for a counter). */
int gale_registry_add(gale_registry_t *r, int f, const char *const *labels,
    double v);
/* Sets the gauge series to v. 0 or -EINVAL (f not a gauge, bad label). */
int gale_registry_set(gale_registry_t *r, int f, const char *const *labels,
    double v);
/* Merges h into the histogram series. 0 or -EINVAL. */
int gale_registry_observe(gale_registry_t *r, int f,
    const char *const *labels, const gale_hist_t *h);

/* Walking it, in declaration order (series in the order created). */
size_t gale_registry_nfamilies(const gale_registry_t *r);
/* Family f's name, type and help. */
const char *gale_registry_name(const gale_registry_t *r, int f,
    gale_metric_type_t *type, const char **help);
size_t gale_registry_nseries(const gale_registry_t *r, int f);
/* Series k of family f; borrowed until r changes. */
void gale_registry_series(const gale_registry_t *r, int f, size_t k,
    gale_series_view_t *out);
/* The value of a counter or gauge series with exactly these labels, in
 * *v. 0, or -ENOENT. */
int gale_registry_get(const gale_registry_t *r, const char *name,
    const char *const *labels, double *v);

#endif
