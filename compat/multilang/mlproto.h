/* mlproto.h - Storm's multilang wire format: JSON documents, each followed
 * by a line "end" (STORM-SURFACE.md §2.1), and the conversions between
 * JSON and gale's values.
 *
 * A gale_mlreader_t turns the bytes a child writes on its stdout into
 * messages. It is owned by one thread (the child's reader thread, or a
 * test); the conversion functions are pure and usable from any thread.
 */
#ifndef GALE_MLPROTO_H
#define GALE_MLPROTO_H

#include <stddef.h>

#include <jansson.h>

#include <gale/gale.h>

#include "common/buf.h"

/* What a reader refuses by default: a message longer than this. */
#define GALE_ML_MAX_MSG (64u << 20)

typedef struct gale_mlreader gale_mlreader_t;

/* A reader refusing messages longer than max_msg bytes. */
gale_mlreader_t *gale_mlreader_new(size_t max_msg);
/* Frees the reader and sets *rp to NULL. Accepts NULL and *NULL. */
void gale_mlreader_destroy(gale_mlreader_t **rp);
/* Appends len bytes the child wrote. */
void gale_mlreader_feed(gale_mlreader_t *r, const void *p, size_t len);
/* The next complete message: 1 with *msg (a JSON object; caller
 * json_decref()s it), 0 when more bytes are needed, or -EBADMSG (not a
 * JSON object: garbage on stdout) or -EMSGSIZE (no `end` within max_msg
 * bytes) with *cause (caller frees) quoting what was read, truncated.
 * After an error the reader stays failed. */
int gale_mlreader_next(gale_mlreader_t *r, json_t **msg, char **cause);
/* Bytes buffered that do not form a message yet. */
size_t gale_mlreader_pending(const gale_mlreader_t *r);

/* Appends msg's compact encoding and "\nend\n" to out. 0, or -EINVAL if
 * jansson cannot encode it. */
int gale_mlproto_frame(const json_t *msg, gale_buf_t *out);

/* JSON for a gale value (configuration, context). STRING that is not
 * valid UTF-8 has its bad bytes replaced by U+FFFD, BYTES become an array
 * of byte values, NaN and infinities become null. New reference. */
json_t *gale_mlproto_from_value(const gale_value_t *v);
/* JSON for a tuple field, likewise (LIST and MAP fields decoded). New
 * reference; NULL only for a malformed LIST/MAP datum. */
json_t *gale_mlproto_from_datum(const gale_datum_t *d);
/* The gale value of a JSON value (what a child emits): integers are INT,
 * reals DOUBLE, arrays LIST, objects MAP. Caller frees. */
gale_value_t *gale_mlproto_to_value(const json_t *j);
/* A printable excerpt of len bytes at p for error messages: control
 * bytes, backslashes and bytes that are not valid UTF-8 escaped as \xNN,
 * at most max bytes of input, "..." when cut. Caller frees. */
char *gale_mlproto_excerpt(const char *p, size_t len, size_t max);

#endif
