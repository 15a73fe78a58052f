/* promtext.h - a registry in the Prometheus text exposition format,
 * version 0.0.4 (what /metrics serves): "# HELP" and "# TYPE" lines per
 * family, then one line per series, label values escaped (\\, \", \n).
 * A histogram's series become NAME_bucket{le="..."} lines, cumulative,
 * at every power of two of its unit from 2^7 to 2^36 (a latency in ns:
 * 128 ns to 69 s, written in seconds), then le="+Inf", NAME_sum and
 * NAME_count. Pure: any thread.
 */
#ifndef GALE_METRICS_PROMTEXT_H
#define GALE_METRICS_PROMTEXT_H

#include <stddef.h>

#include "engine/metrics/registry.h"

/* The content type of the format. */
#define GALE_PROMTEXT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* r as text; *len its length. Caller frees. hist_scale multiplies a
 * histogram's bucket edges and sum (1e-9: ns recorded, seconds shown). */
char *gale_promtext_write(const gale_registry_t *r, double hist_scale,
    size_t *len);

#endif
