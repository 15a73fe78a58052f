/* vertex.h - Flux spouts and bolts (its "vertices") -> gale components:
 * the class (classes.h), parallelism and numTasks, constructorArgs, the
 * shell components' configMethods, the per-component config, and the
 * component's DSL group. Part of one conversion (conv.h); used from one
 * thread. */
#ifndef GALE_FLUX_VERTEX_H
#define GALE_FLUX_VERTEX_H

#include "compat/flux/conv.h"
#include "compat/flux/dslwriter.h"

/* Converts the spout or bolt def d (of kind) and appends it to c->oc;
 * problems are reported, and a refused class leaves its cls NULL. */
void gale_flux_vertex_convert(gale_flux_conv_t *c, const gale_ynode_t *d,
    gale_kind_t kind);
/* Index in c->oc of the converted component with this id, or -1. */
int gale_flux_vertex_find(const gale_flux_conv_t *c, const char *id);
/* The declared stream id of component o (owned by o), or NULL. */
gale_flux_decl_t *gale_flux_vertex_decl(gale_flux_comp_t *o,
    const char *id);
/* Writes component o as a DSL group (without the list's separator). */
void gale_flux_vertex_write(gale_flux_conv_t *c, gale_dslw_t *w,
    gale_flux_comp_t *o);

#endif
