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
/* A field named once and found fast: a bolt keeps one per field it reads
 * by name (in its state, from prepare on) and passes it to
 * gale_tuple_field, which looks the name up only when the tuple comes
 * from a stream other than the last one's, and otherwise reuses the index
 * it found then. Initialise with GALE_FIELD_INIT(name); name must outlive
 * it. Belongs to the one task that uses it. */
typedef struct gale_field {
    const char *name;               /* the field's name */
    const void *decl;               /* private: the stream last seen */
    int index;                      /* private: its index there, or -ENOENT */
} gale_field_t;
#define GALE_FIELD_INIT(n) ((gale_field_t){ .name = (n), .decl = NULL, .index = -1 })
/* Fills *d with the field f names. 0, -ENOENT. Same answer as
 * gale_tuple_get_by_name(t, f->name, d). */
int gale_tuple_field(const gale_tuple_t *t, gale_field_t *f, gale_datum_t *d);
/* Field i as an owned tree (any type, lists and maps included), or NULL
 * if i is out of range. Caller frees with gale_value_destroy(). */
gale_value_t *gale_tuple_value(const gale_tuple_t *t, size_t i);

/* The number of equal tuples this one stands for: 1, or more on a
 * combining stream for a bolt that called gale_ctx_accept_weights. */
uint64_t gale_tuple_weight(const gale_tuple_t *t);

/* The producing component's id, its stream's id and its task id. Tick
 * tuples come from component "__system", stream "__tick", task -1. */
const char *gale_tuple_component(const gale_tuple_t *t);
const char *gale_tuple_stream(const gale_tuple_t *t);
int gale_tuple_source_task(const gale_tuple_t *t);
/* true for a tick tuple. */
bool gale_tuple_is_tick(const gale_tuple_t *t);

#endif
