/* cfg.c - Storm config keys: a Flux `config` mapping sorted into the DSL's
 * names, `user`, `checkpoint` and `passthrough`, and written out (cfg.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "compat/flux/cfg.h"
#include "compat/flux/conv.h"
#include "compat/flux/dslwriter.h"
#include "topology/keys.h"

/* Adds Storm conf key `key` = node v to cfg (a component's when comp). */
void
gale_flux_cfg_add(gale_flux_conv_t *c, gale_flux_cfg_t *cfg,
    const gale_ynode_t *kn, const char *key,
    const gale_ynode_t *vn, bool comp, const char *ctx)
{
    gale_value_t *v = gale_ynode_value(vn);
    const gale_key_t *k;
    char *cause = NULL;

    if (v->type == GALE_NULL) {
        gale_flux_err(c, vn,
            "%sconfig `%s`: null has no DSL spelling; leave the key "
            "out for Storm's default", ctx, key);
        goto out;
    }
    if ((k = gale_keys_find_conf(key)) != NULL) {
        if (comp && !k->component) {
            gale_flux_err(c, kn,
                "%sconfig `%s` cannot be set per component (Storm "
                "strips it from a component's conf)", ctx, key);
            goto out;
        }
        if (gale_keys_check(k, &v, &cause) != 0) {
            gale_flux_err(c, vn, "%sconfig `%s` %s", ctx, key, cause);
            free(cause);
            goto out;
        }
        if (strncmp(k->name, "checkpoint.", 11) == 0)
            gale_value_map_set(cfg->ckpt, k->name + 11, v);
        else
            gale_value_map_set(cfg->dsl, k->name, v);
        return;
    }
    if (gale_dslw_is_name(key))
        gale_value_map_set(cfg->user, key, v);
    else
        gale_value_map_set(cfg->pass, key, v);
    return;
out:
    gale_value_destroy(&v);
}

/* Makes cfg's four maps empty. */
void
gale_flux_cfg_init(gale_flux_cfg_t *cfg)
{
    cfg->dsl = gale_value_map();
    cfg->ckpt = gale_value_map();
    cfg->user = gale_value_map();
    cfg->pass = gale_value_map();
}

/* Frees cfg's maps. */
void
gale_flux_cfg_release(gale_flux_cfg_t *cfg)
{
    gale_value_destroy(&cfg->dsl);
    gale_value_destroy(&cfg->ckpt);
    gale_value_destroy(&cfg->user);
    gale_value_destroy(&cfg->pass);
}

/* Writes a config group's entries at indent ind. */
void
gale_flux_cfg_write(gale_flux_conv_t *c, gale_dslw_t *w,
    const gale_flux_cfg_t *cfg, const char *ind, const gale_ynode_t *at)
{
    const gale_value_t *m;
    char *cause = NULL;
    size_t i;
    int g;

    for (g = 0; g < 3; g++) {
        m = g == 0 ? cfg->dsl : g == 1 ? cfg->user : cfg->ckpt;
        if (m->u.map.len == 0)
            continue;
        if (g == 1)
            gale_dslw_printf(w, "%suser = {\n", ind);
        if (g == 2)
            gale_dslw_printf(w, "%scheckpoint = {\n", ind);
        for (i = 0; i < m->u.map.len; i++) {
            gale_dslw_printf(w, "%s%s%s = ", ind, g > 0 ? "  " : "",
                m->u.map.keys[i]);
            if (gale_dslw_value(w, m->u.map.vals[i], &cause) != 0) {
                gale_flux_err(c, at, "config `%s`: %s", m->u.map.keys[i],
                    cause);
                free(cause);
                cause = NULL;
            }
            gale_dslw_printf(w, ";\n");
        }
        if (g > 0)
            gale_dslw_printf(w, "%s};\n", ind);
    }
    m = cfg->pass;
    if (m->u.map.len == 0)
        return;
    gale_dslw_printf(w, "%s# Keys gale does not act on: passed to the "
        "components' conf as they are.\n%spassthrough = (\n", ind, ind);
    for (i = 0; i < m->u.map.len; i++) {
        gale_dslw_printf(w, "%s  { key = ", ind);
        gale_dslw_string(w, m->u.map.keys[i]);
        gale_dslw_printf(w, "; value = ");
        if (gale_dslw_value(w, m->u.map.vals[i], &cause) != 0) {
            gale_flux_err(c, at, "config `%s`: %s", m->u.map.keys[i], cause);
            free(cause);
            cause = NULL;
        }
        gale_dslw_printf(w, "; }%s\n", i + 1 < m->u.map.len ? "," : "");
    }
    gale_dslw_printf(w, "%s);\n", ind);
}

/* Whether cfg has nothing to write. */
bool
gale_flux_cfg_empty(const gale_flux_cfg_t *cfg)
{
    return cfg->dsl->u.map.len == 0 && cfg->user->u.map.len == 0 &&
        cfg->ckpt->u.map.len == 0 && cfg->pass->u.map.len == 0;
}
