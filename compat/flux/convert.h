/* convert.h - Storm Flux YAML -> gale DSL (`gale flux-import`).
 *
 * Reads a Flux file (with ${...} substitution and its `includes`), checks
 * every element of the Flux schema and writes the equivalent gale DSL
 * text. An element with no gale equivalent (a Java class gale cannot run,
 * a topologySource, a classpath include, ...) is an error at the file and
 * line that wrote it; nothing is dropped silently: what gale leaves out
 * on purpose (an unfed bolt, RAS resource hints) is a warning and a
 * comment in the output. docs/flux.md describes every element. Used from
 * one thread. */
#ifndef GALE_FLUX_CONVERT_H
#define GALE_FLUX_CONVERT_H

#include <stddef.h>

#include "topology/diag.h"

typedef struct gale_flux_opts {
    const char *properties;         /* --properties FILE, or NULL */
} gale_flux_opts_t;

/* Converts the Flux file at path, or, when buf is not NULL, the len bytes
 * at buf as that file's text (includes are still read from disk). Returns
 * the DSL text (caller frees), or NULL with every error found added to
 * errs. Warnings are added to warns (either way). */
char *gale_flux_convert(const char *path, const char *buf, size_t len,
    const gale_flux_opts_t *opts, gale_diag_t *errs, gale_diag_t *warns);

#endif
