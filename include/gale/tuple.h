/* tuple.h - reading the tuple a bolt is executing.
 *
 * A tuple is a borrowed view into the batch it arrived in: its strings
 * point into that batch and stay valid until execute() returns. Fields are
 * addressed by index (0-based) or by the name the producer declared.
 */
#ifndef GALE_TUPLE_H
#define GALE_TUPLE_H

#include <gale/value.h>

typedef struct gale_tuple gale_tuple_t;

/* Number of fields. */
size_t gale_tuple_size(const gale_tuple_t *t);
/* Fills *d with field i. 0, or -ERANGE if i is out of range. */
int gale_tuple_get(const gale_tuple_t *t, size_t i, gale_datum_t *d);
/* Index of the field called name in the producer's stream declaration,
 * or -ENOENT. */
int gale_tuple_index(const gale_tuple_t *t, const char *name);
/* Fills *d with the field called name. 0, -ENOENT. */
int gale_tuple_get_by_name(const gale_tuple_t *t, const char *name, gale_datum_t *d);
/* Field i as an owned tree (any type, lists and maps included), or NULL
 * if i is out of range. Caller frees with gale_value_destroy(). */
gale_value_t *gale_tuple_value(const gale_tuple_t *t, size_t i);

/* The producing component's id, its stream's id and its task id. Tick
 * tuples come from component "__system", stream "__tick", task -1. */
const char *gale_tuple_component(const gale_tuple_t *t);
const char *gale_tuple_stream(const gale_tuple_t *t);
int gale_tuple_source_task(const gale_tuple_t *t);
/* true for a tick tuple. */
bool gale_tuple_is_tick(const gale_tuple_t *t);

#endif
