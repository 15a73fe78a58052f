/* source.h - a DSL file's text, ready for libconfig.
 *
 * libconfig 1.5 has no include hook and no variable substitution, so this
 * module does both before parsing, textually (as Flux does): every line
 * `@include "path"` (path relative to the including file's directory) is
 * replaced by that file's lines, recursively; `${NAME}` is replaced by the
 * property NAME of the --properties file and `${ENV-NAME}` by the
 * environment variable NAME, outside comments. A line map remembers, for
 * every line of the expanded text, the file and line it came from, so
 * that messages about the parsed tree name the original place. Owned by
 * one thread. */
#ifndef GALE_SOURCE_H
#define GALE_SOURCE_H

#include <stddef.h>

#include "topology/diag.h"
#include "topology/props.h"

typedef struct gale_source gale_source_t;

/* Reads the file at path, or, when buf is not NULL, takes its len bytes
 * as the contents of a file named path. props (may be NULL) supplies
 * ${NAME}; props_path names it in messages (NULL: no --properties given).
 * Returns NULL with every problem found added to diag (a missing file,
 * a missing include, an include loop, an undefined ${NAME}). Caller owns
 * the result. */
gale_source_t *gale_source_new(const char *path, const char *buf,
    size_t len, const gale_props_t *props, const char *props_path,
    gale_diag_t *diag);
/* Frees and sets *sp to NULL. Accepts NULL. */
void gale_source_destroy(gale_source_t **sp);
/* The expanded text, NUL-terminated. Borrowed. */
const char *gale_source_text(const gale_source_t *s);
/* The original file and line of line `line` (1-based) of the expanded
 * text. A line past the end maps to the last line (libconfig reports an
 * error at the end of input there); line 0 maps to the main file and 0. *file is
 * borrowed from s (see gale_source_take_files). */
void gale_source_where(const gale_source_t *s, int line, const char **file,
    int *fline);
/* Hands over the file names (main file first, then includes in the order
 * met) that gale_source_where's answers point into; s keeps pointing to
 * them, so the caller must keep them alive while it uses s. */
char **gale_source_take_files(gale_source_t *s, size_t *n);

#endif
