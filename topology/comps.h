/* comps.h - the DSL's `spouts` and `bolts` lists: each component's id,
 * type, parallelism and tasks, declared output streams, parameters
 * (checked against its type when the caller can look types up) and
 * config. Part of one load (reader.h); not thread-safe. */
#ifndef GALE_COMPS_H
#define GALE_COMPS_H

#include "topology/reader.h"

/* Reads the `spouts` or `bolts` list into l->t's components, each of
 * kind; *seq counts components in file order across both lists.
 * Problems are reported; a component is kept whenever it has an id. */
void gale_comps_read(gale_reader_t *l, const config_setting_t *list,
    gale_kind_t kind, int *seq);
/* Sorts l->t's components by id (file order among equal ids), the
 * order in which Storm assigns task ids, and reports duplicate ids. */
void gale_comps_sort(gale_reader_t *l);

#endif
