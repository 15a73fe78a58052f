/* yamldoc.h - a YAML document read into a tree that remembers, for every
 * node, the file and line it was written on (libyaml does the parsing).
 *
 * Flux files are YAML; the converter needs `file:line:` for every element
 * it converts or refuses, so each node carries both. Aliases are expanded
 * into copies (bounded, so that an alias bomb or a recursive alias is an
 * error, not a hang). Plain scalars keep their text; `plain` says whether
 * YAML 1.1 typing (numbers, booleans, null) applies to them. Owned by one
 * thread; read-only once parsed. */
#ifndef GALE_FLUX_YAMLDOC_H
#define GALE_FLUX_YAMLDOC_H

#include <stdbool.h>
#include <stddef.h>

#include <gale/value.h>

typedef enum gale_ynode_kind {
    GALE_Y_SCALAR = 0,
    GALE_Y_SEQ,
    GALE_Y_MAP
} gale_ynode_kind_t;

typedef struct gale_ynode gale_ynode_t;

struct gale_ynode {
    gale_ynode_kind_t kind;
    const char *file;               /* borrowed from the document */
    int line;                       /* 1-based */
    char *text;                     /* SCALAR: its value (NUL-terminated) */
    size_t len;                     /* SCALAR: its length in bytes */
    bool plain;                     /* SCALAR: unquoted and untagged */
    gale_ynode_t **items;           /* SEQ: items; MAP: values */
    gale_ynode_t **keys;            /* MAP: keys (scalars), parallel */
    size_t n;                       /* SEQ, MAP: number of entries */
};

typedef struct gale_ydoc gale_ydoc_t;

/* Parses the len bytes at buf, the text of the file named file. An empty
 * document is a NULL root. Returns NULL on a YAML error, a non-scalar or
 * duplicate mapping key, a second document or an expansion too large;
 * then *cause (caller frees) is "file:line: message". */
gale_ydoc_t *gale_ydoc_parse(const char *file, const char *buf, size_t len,
    char **cause);
/* Frees and sets *dp to NULL. Accepts NULL. */
void gale_ydoc_destroy(gale_ydoc_t **dp);
/* The root node, or NULL for an empty document. Borrowed. */
const gale_ynode_t *gale_ydoc_root(const gale_ydoc_t *d);
/* The file name given to gale_ydoc_parse. Borrowed. */
const char *gale_ydoc_file(const gale_ydoc_t *d);

/* The value of key in MAP m, or NULL (also when m is not a MAP). */
const gale_ynode_t *gale_ynode_get(const gale_ynode_t *m, const char *key);
/* The key node of the entry named key in m, or NULL. */
const gale_ynode_t *gale_ynode_key(const gale_ynode_t *m, const char *key);
/* true when n is a plain scalar that YAML 1.1 reads as null (~, null,
 * or nothing at all). */
bool gale_ynode_is_null(const gale_ynode_t *n);
/* "a mapping", "a list", "a string", ... for messages. */
const char *gale_ynode_phrase(const gale_ynode_t *n);
/* The value of n as SnakeYAML (YAML 1.1) types it: plain scalars that
 * read as null, booleans (true/false, yes/no, on/off in any of their
 * three spellings), integers (decimal, 0x hex, 0 octal, '_' separators)
 * or floats become those; everything else is a string; lists and
 * mappings recurse. Caller owns the result. */
gale_value_t *gale_ynode_value(const gale_ynode_t *n);

#endif
