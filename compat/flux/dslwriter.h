/* dslwriter.h - writes gale DSL (libconfig) text: a growing buffer with
 * helpers that quote strings and write values as libconfig spells them.
 * Used by the Flux converter. Owned by one thread. */
#ifndef GALE_FLUX_DSLWRITER_H
#define GALE_FLUX_DSLWRITER_H

#include <stdbool.h>
#include <stddef.h>

#include <gale/value.h>

typedef struct gale_dslw gale_dslw_t;

gale_dslw_t *gale_dslw_new(void);
/* Frees and sets *wp to NULL. Accepts NULL. */
void gale_dslw_destroy(gale_dslw_t **wp);
/* The text written so far, NUL-terminated. Borrowed. */
const char *gale_dslw_text(const gale_dslw_t *w);
size_t gale_dslw_len(const gale_dslw_t *w);
/* Appends formatted text. */
void gale_dslw_printf(gale_dslw_t *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends s as a double-quoted libconfig string. `${` is written as
 * `\x24{`, so that gale's own ${...} substitution leaves it alone. */
void gale_dslw_string(gale_dslw_t *w, const char *s);
/* Appends a list of strings as an array: ["a", "b"]. */
void gale_dslw_strings(gale_dslw_t *w, char *const *s, size_t n);
/* Appends v as a libconfig value: an array for a list of scalars of one
 * type, a list `( ... )` otherwise, a group for a map. Returns 0, or
 * -EINVAL with *cause (caller frees) when libconfig cannot hold v (a
 * null, a non-finite number, a map key that is not a setting name);
 * then what was appended is unspecified. */
int gale_dslw_value(gale_dslw_t *w, const gale_value_t *v, char **cause);
/* true when s is a valid libconfig setting name. */
bool gale_dslw_is_name(const char *s);

#endif
