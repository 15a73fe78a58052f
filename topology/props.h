/* props.h - a Java .properties file, read for `${NAME}` substitution
 * (gale's --properties, Flux's --filter). Read-only once loaded; any
 * thread may read it. */
#ifndef GALE_PROPS_H
#define GALE_PROPS_H

#include <stddef.h>

typedef struct gale_props gale_props_t;

/* Reads the file at path: `key=value`, `key: value` or `key value` lines,
 * `#` and `!` comments, a trailing backslash continues a line, and the
 * escapes \t \n \r \f \\ \uXXXX (encoded as UTF-8). A later key replaces
 * an earlier one. Returns NULL when the file cannot be read; then, if
 * cause is not NULL, *cause is "PATH: cannot open: <strerror>" (caller
 * frees). Caller owns the result. */
gale_props_t *gale_props_load(const char *path, char **cause);
/* Parses properties from the len bytes at buf. Never fails. */
gale_props_t *gale_props_parse(const char *buf, size_t len);
/* Frees and sets *pp to NULL. Accepts NULL. */
void gale_props_destroy(gale_props_t **pp);
/* The value of key, or NULL. Borrowed from props. */
const char *gale_props_get(const gale_props_t *props, const char *key);
/* Number of entries. */
size_t gale_props_count(const gale_props_t *props);

#endif
