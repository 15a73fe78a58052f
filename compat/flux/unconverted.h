/* unconverted.h - the report of what a Flux file holds that gale does not
 * convert: errors for what it cannot run (a topologySource, worker hooks,
 * `components` other than org.apache.storm.tuple.Fields), warnings and
 * comments in the output for what it leaves out on purpose (bolts no
 * stream feeds). Part of one conversion (conv.h); used from one thread. */
#ifndef GALE_FLUX_UNCONVERTED_H
#define GALE_FLUX_UNCONVERTED_H

#include <stdbool.h>

#include "compat/flux/conv.h"
#include "compat/flux/dslwriter.h"

/* Refuses the file's topologySource, if it has one: returns true after
 * reporting it (nothing else is converted then), false when there is
 * none. */
bool gale_flux_unconverted_source(gale_flux_conv_t *c);
/* Refuses every `components` entry gale cannot build (all but Fields). */
void gale_flux_unconverted_components(gale_flux_conv_t *c);
/* Refuses every worker hook. */
void gale_flux_unconverted_hooks(gale_flux_conv_t *c);
/* Warns of every converted bolt no stream feeds and keeps it in
 * c->dropped; such bolts are left out of the output. */
void gale_flux_unconverted_unfed(gale_flux_conv_t *c);
/* Writes a comment for each bolt left out. */
void gale_flux_unconverted_write(gale_flux_conv_t *c, gale_dslw_t *w);

#endif
