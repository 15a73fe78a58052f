/* reader.h - the state of one load and the helpers that read libconfig
 * settings into it: where a setting was written, reporting a problem
 * there, and reading strings, lists and values. Used by the loader and
 * its parsers (conf.c, comps.c, streams.c) only; not a public type.
 * Not thread-safe: one load, one thread. */
#ifndef GALE_READER_H
#define GALE_READER_H

#include <stdbool.h>
#include <stddef.h>

#include <libconfig.h>

#include "topology/diag.h"
#include "topology/source.h"
#include "topology/topology.h"

#ifndef NELEM
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* State of one load. The loader owns it; the parsers fill in t. */
typedef struct gale_reader {
    gale_topology_t *t;             /* the model being built; owned */
    gale_source_t *src;             /* expanded text and line map; owned */
    const gale_load_opts_t *opts;   /* caller's options; may be NULL */
    gale_diag_t *diag;              /* where problems go; the caller's */
    int *seq;                       /* file order of each component; owned */
    bool guarantee_set;             /* the file or -c sets gale.guarantee */
} gale_reader_t;

/* Where setting s was written (file and line of the original text). */
gale_where_t gale_reader_where(const gale_reader_t *l,
    const config_setting_t *s);
/* Reports a problem at setting s. */
void gale_reader_error(gale_reader_t *l, const config_setting_t *s,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Reports "PREFIXunknown WHAT `name`", with a suggestion from the n
 * names of cands when one is close. */
void gale_reader_unknown(gale_reader_t *l, const config_setting_t *s,
    const char *prefix, const char *what, const char *name,
    const char *const *cands, size_t n);
/* What to call a libconfig setting's type in a message ("a string"). */
const char *gale_reader_phrase(const config_setting_t *s);
/* The value of setting s as a tree the caller owns. */
gale_value_t *gale_reader_value(const config_setting_t *s);
/* The string value of s (owned by the libconfig tree), or NULL with a
 * problem reported; ctx prefixes the message. */
const char *gale_reader_string(gale_reader_t *l, const config_setting_t *s,
    const char *ctx);
/* Reads a list of distinct non-empty strings into *out and *n (owned
 * by the caller, gale_topology_strings_destroy()). 0, or -EINVAL with a
 * problem reported (*out may then hold the strings read so far). */
int gale_reader_strings(gale_reader_t *l, const config_setting_t *s,
    const char *ctx, char ***out, size_t *n);
/* Resolves path p, written in the file of setting s, against that
 * file's directory. Caller frees. */
char *gale_reader_path(const gale_reader_t *l, const config_setting_t *s,
    const char *p);

#endif
