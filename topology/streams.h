/* streams.h - the DSL's `streams` list: the edges from a producer's
 * stream to a consumer, with their groupings (custom ones resolved when
 * the caller can look them up). Part of one load (reader.h); needs the
 * components read and sorted first. Not thread-safe. */
#ifndef GALE_STREAMS_H
#define GALE_STREAMS_H

#include "topology/reader.h"

/* Reads the `streams` list into l->t's edges. An entry with a problem
 * is reported and dropped. The stream and field indexes are left for
 * gale_validate_topology(). */
void gale_streams_read(gale_reader_t *l, const config_setting_t *list);

#endif
