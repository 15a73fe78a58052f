/* stream.h - Flux streams and their groupings -> the DSL's `streams`
 * list: from and to, streamId, FIELDS args, PartialKeyGrouping as the
 * partial_key grouping. Part of one conversion (conv.h), after every
 * spout and bolt is converted; used from one thread. */
#ifndef GALE_FLUX_STREAM_H
#define GALE_FLUX_STREAM_H

#include "compat/flux/conv.h"
#include "compat/flux/dslwriter.h"

/* Converts the stream def d and appends it to c->os, marking its
 * consumer fed; a stream with a problem is reported and dropped. */
void gale_flux_stream_convert(gale_flux_conv_t *c, const gale_ynode_t *d);
/* Fills in what depends on the streams once all are read: a counting
 * bolt's key, partial-key fields without Fields, direct streams. */
void gale_flux_streams_resolve(gale_flux_conv_t *c);
/* Writes the `streams` list (nothing when there are none). */
void gale_flux_streams_write(gale_flux_conv_t *c, gale_dslw_t *w);

#endif
