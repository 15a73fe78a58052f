/* linefmt.h - tuples as text lines, shared by the file_sink, stdout, log
 * and filter bolts: strings raw, ints and doubles in decimal, bools as
 * true/false, null as nothing, bytes in lowercase hex, lists and maps as
 * JSON. A small growable buffer to format into, without per-line
 * allocation once it has grown. Owned by one task's thread. */
#ifndef GALE_LINEFMT_H
#define GALE_LINEFMT_H

#include <stddef.h>

#include <gale/gale.h>

typedef struct gale_linebuf {
    char *ptr;                  /* owned bytes; NULL until the first append */
    size_t len;                 /* bytes in use */
    size_t cap;                 /* bytes allocated */
} gale_linebuf_t;

/* Appends n bytes. 0 or -ENOMEM. */
int gale_linebuf_add(gale_linebuf_t *b, const void *p, size_t n);
/* Frees the bytes; b can be reused. */
void gale_linebuf_release(gale_linebuf_t *b);

/* Appends field i of t in the line format. 0, -ERANGE, -ENOMEM. */
int gale_linefmt_field(gale_linebuf_t *b, const gale_tuple_t *t, size_t i);
/* Appends every field of t separated by sep (the sinks use "\t"), without
 * a newline. 0 or -ENOMEM. */
int gale_linefmt_tuple(gale_linebuf_t *b, const gale_tuple_t *t,
    const char *sep);
/* Appends v as JSON (bytes as a hex string, non-finite doubles as null).
 * 0 or -ENOMEM. */
int gale_linefmt_json(gale_linebuf_t *b, const gale_value_t *v);
/* Appends a scalar datum (not LIST or MAP) in the line format.
 * 0 or -ENOMEM; -EINVAL for a LIST or MAP. */
int gale_linefmt_datum(gale_linebuf_t *b, const gale_datum_t *d);

#endif
