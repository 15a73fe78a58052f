/* docs.h - the Flux documents of one conversion: reading a file (or a
 * buffer) through ${...} substitution into a YAML document, and taking
 * its elements (name, config, components, spouts, bolts, streams,
 * workerHooks, topologySource) into the conversion as Flux's
 * FluxParser.applyIncludes merges the main file and its `includes`.
 * Part of one conversion (conv.h); used from one thread. */
#ifndef GALE_FLUX_DOCS_H
#define GALE_FLUX_DOCS_H

#include <stdbool.h>
#include <stddef.h>

#include "compat/flux/conv.h"

/* Reads and substitutes the file at path (or the len bytes at buf) and
 * parses it; the document is kept in c. Returns its root (NULL for an
 * empty file); *ok says whether it loaded. from is the include's node
 * for messages, or NULL for the main file. */
const gale_ynode_t *gale_flux_doc_load(gale_flux_conv_t *c,
    const char *path, const char *buf, size_t len, const gale_ynode_t *from,
    bool *ok);
/* Takes the elements of document root (of file) into c; an included
 * document's replace the main one's only when override. */
void gale_flux_doc_collect(gale_flux_conv_t *c, const gale_ynode_t *root,
    const char *file, bool included, bool override);
/* Loads and collects every entry of the main file's `includes` list,
 * resolving their paths against mainpath's directory. */
void gale_flux_doc_includes(gale_flux_conv_t *c, const gale_ynode_t *list,
    const char *mainpath);

#endif
