/* cfg.h - Storm config keys in a conversion: a topology's or a
 * component's Flux `config` entries sorted into the DSL's own names (and
 * its `checkpoint` group), the user's keys (`user`) and dotted keys gale
 * passes on unchanged (`passthrough`), then written as a DSL `config`
 * group. Keys are checked against topology/keys.h. Part of one
 * conversion (conv.h); used from one thread. */
#ifndef GALE_FLUX_CFG_H
#define GALE_FLUX_CFG_H

#include <stdbool.h>

#include "compat/flux/conv.h"
#include "compat/flux/dslwriter.h"

/* Makes cfg's four maps empty; gale_flux_cfg_release() frees them. */
void gale_flux_cfg_init(gale_flux_cfg_t *cfg);
/* Frees cfg's maps. */
void gale_flux_cfg_release(gale_flux_cfg_t *cfg);
/* Adds Storm conf key `key` (written at node kn) = node vn to cfg, a
 * component's when comp; a problem is reported and the key skipped. */
void gale_flux_cfg_add(gale_flux_conv_t *c, gale_flux_cfg_t *cfg,
    const gale_ynode_t *kn, const char *key, const gale_ynode_t *vn,
    bool comp, const char *ctx);
/* Writes cfg's entries to w at indent ind; a value with no DSL spelling
 * is reported at node at. */
void gale_flux_cfg_write(gale_flux_conv_t *c, gale_dslw_t *w,
    const gale_flux_cfg_t *cfg, const char *ind, const gale_ynode_t *at);
/* Whether cfg has nothing to write. */
bool gale_flux_cfg_empty(const gale_flux_cfg_t *cfg);

#endif
