/* windowing.h - Storm's windowed bolts in a Flux file -> gale's `window`
 * bolt: the BaseWindowedBolt builders a windowed bolt's configMethods call
 * (withWindow, withTumblingWindow, withTimestampField, withLag,
 * withWatermarkInterval, withLateTupleStream), their Count and Duration
 * arguments (`components` of class BaseWindowedBolt$Count and $Duration),
 * and what event time needs around the bolt: a watermark on each
 * component that feeds it, a declared late stream. docs/flux.md lists
 * what converts. Part of one conversion (conv.h); one thread. */
#ifndef GALE_FLUX_WINDOWING_H
#define GALE_FLUX_WINDOWING_H

#include <stdbool.h>

#include "compat/flux/conv.h"

/* True for the Java classes of the Count and Duration arguments. */
bool gale_flux_windowing_arg_class(const char *cls);

/* Reads windowed bolt o's configMethods list into its window parameters
 * (o->wparams) and event-time settings; problems are reported at their
 * line. A bolt without withWindow/withTumblingWindow is an error. */
void gale_flux_windowing_methods(gale_flux_conv_t *c, gale_flux_comp_t *o,
    const gale_ynode_t *list, const char *ctx);

/* After the streams are converted: every component feeding an event-time
 * windowed bolt generates watermarks from its timestamp field (Storm
 * computes them at the bolt's input; gale at the sender), and a late
 * stream is declared with the bolt's input fields. Conflicts and missing
 * timestamp fields are reported. */
void gale_flux_windowing_resolve(gale_flux_conv_t *c);

#endif
