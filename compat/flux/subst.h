/* subst.h - Flux's ${...} substitution, done on a YAML file's text before
 * it is parsed (Flux's --filter and --env-filter; gale flux-import's
 * --properties and the environment).
 *
 * `${NAME}` is the property NAME; `${NAME[N]}` is element N (0-based) of a
 * property written as a list, `["a", "b"]` (quotes around elements are
 * stripped); `${ENV-NAME}` is the environment variable NAME. Unlike Flux,
 * which replaces one ${...} per line and leaves an unknown one in place,
 * every ${...} is replaced and an unknown one is an error. Any thread. */
#ifndef GALE_FLUX_SUBST_H
#define GALE_FLUX_SUBST_H

#include <stddef.h>

#include "topology/diag.h"
#include "topology/props.h"

/* Returns the substituted copy of the len bytes at text (NUL-terminated,
 * *outlen bytes; caller frees), or NULL after adding a "file:line: ..."
 * error to diag for every ${...} that cannot be resolved. props may be
 * NULL (no --properties); props_path names it in messages. Lines are
 * kept: a value holding a line break is an error. */
char *gale_flux_subst(const char *file, const char *text, size_t len,
    const gale_props_t *props, const char *props_path, gale_diag_t *diag,
    size_t *outlen);

#endif
