/* value.h - typed values: what tuple fields, component parameters and
 * configuration are made of.
 *
 * Two forms:
 * - gale_datum_t is a borrowed view of one value, used to read a tuple field
 *   and to emit one without allocating. STRING and BYTES point at bytes the
 *   view does not own; LIST and MAP carry their wire encoding (docs/wire.md).
 * - gale_value_t is an owned tree, used for configuration, parameters and
 *   for lists and maps that a component builds or inspects.
 */
#ifndef GALE_VALUE_H
#define GALE_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum gale_type {
    GALE_NULL = 0,
    GALE_BOOL = 1,
    GALE_INT = 2,       /* int64_t */
    GALE_DOUBLE = 3,
    GALE_STRING = 4,    /* UTF-8 by convention; length-delimited */
    GALE_BYTES = 5,
    GALE_LIST = 6,
    GALE_MAP = 7        /* string keys, in insertion order */
} gale_type_t;

typedef struct gale_datum {
    gale_type_t type;                       /* which member of u is set */
    union {
        bool b;                             /* GALE_BOOL */
        int64_t i;                          /* GALE_INT */
        double d;                           /* GALE_DOUBLE */
        struct {
            const void *ptr;                /* borrowed bytes */
            size_t len;                     /* their length */
        } s;                                /* STRING, BYTES; LIST, MAP encoded */
    } u;
} gale_datum_t;

/* Convenience constructors for emit arrays. */
static inline gale_datum_t gale_d_null(void) { gale_datum_t d = { GALE_NULL, { .i = 0 } }; return d; }
static inline gale_datum_t gale_d_bool(bool b) { gale_datum_t d = { GALE_BOOL, { .b = b } }; return d; }
static inline gale_datum_t gale_d_int(int64_t i) { gale_datum_t d = { GALE_INT, { .i = i } }; return d; }
static inline gale_datum_t gale_d_double(double x) { gale_datum_t d = { GALE_DOUBLE, { .d = x } }; return d; }
static inline gale_datum_t gale_d_str(const char *p, size_t n) { gale_datum_t d = { GALE_STRING, { .s = { p, n } } }; return d; }
static inline gale_datum_t gale_d_bytes(const void *p, size_t n) { gale_datum_t d = { GALE_BYTES, { .s = { p, n } } }; return d; }

typedef struct gale_value gale_value_t;
struct gale_value {
    gale_type_t type;                       /* which member of u is set */
    union {
        bool b;
        int64_t i;
        double d;
        struct {
            char *ptr;                      /* owned, NUL-terminated */
            size_t len;                     /* length without the NUL */
        } s;                                /* STRING, BYTES */
        struct {
            gale_value_t **items;           /* owned items */
            size_t len;                     /* number of items */
            size_t cap;                     /* allocated slots */
        } list;                             /* LIST */
        struct {
            char **keys;                    /* owned keys */
            gale_value_t **vals;            /* owned values, parallel to keys */
            size_t len;                     /* number of entries */
            size_t cap;                     /* allocated slots */
        } map;                              /* MAP */
    } u;
};

/* Constructors; they abort on out-of-memory. Caller owns the result. */
gale_value_t *gale_value_null(void);
gale_value_t *gale_value_bool(bool b);
gale_value_t *gale_value_int(int64_t i);
gale_value_t *gale_value_double(double d);
gale_value_t *gale_value_string(const char *s, size_t len);
gale_value_t *gale_value_bytes(const void *p, size_t len);
gale_value_t *gale_value_list(void);
gale_value_t *gale_value_map(void);
/* Deep copy. */
gale_value_t *gale_value_clone(const gale_value_t *v);
/* Frees v and everything it owns; sets *vp to NULL. Accepts NULL. */
void gale_value_destroy(gale_value_t **vp);

/* Appends item to a LIST; the list takes ownership. */
void gale_value_list_append(gale_value_t *list, gale_value_t *item);
/* Sets key in a MAP, replacing (and freeing) an earlier value; the map
 * takes ownership of val and copies key. */
void gale_value_map_set(gale_value_t *map, const char *key, gale_value_t *val);
/* The value of key in a MAP, or NULL. Borrowed. */
const gale_value_t *gale_value_map_get(const gale_value_t *map, const char *key);
/* true if a and b are equal in type and content (maps: same keys and
 * values, in any order). */
bool gale_value_equal(const gale_value_t *a, const gale_value_t *b);

/* Lists and maps nest at most this deep in a tuple: a deeper value cannot
 * be emitted (it encodes, but every receiver rejects it). */
#define GALE_VALUE_MAX_DEPTH 64

/* Datums and values. A datum (a tuple's field, see tuple.h) views its
 * bytes; a value owns them. */
/* The datum as an owned tree (a LIST or MAP datum decoded); the caller
 * frees it with gale_value_destroy(). NULL if the datum is malformed (unknown
 * type, or LIST/MAP bytes that are not one value of that type). */
gale_value_t *gale_datum_to_value(const gale_datum_t *d);
/* Fills *d viewing v, for gale_emit() and friends. STRING and BYTES point
 * into v, so v must outlive *d. A LIST or MAP is encoded into a malloc()ed
 * block that *block receives and *d points into: the caller free()s *block
 * after its last use of *d. For the other types *block is set to NULL. */
void gale_value_to_datum(const gale_value_t *v, gale_datum_t *d, void **block);

/* The name of a type ("null", "bool", "int", ...). */
const char *gale_type_name(gale_type_t t);

#endif
