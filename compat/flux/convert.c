/* convert.c - Flux YAML -> gale DSL (convert.h): the order of the steps.
 * The parts are docs.c (the files and includes), cfg.c (config keys),
 * vertex.c (spouts and bolts), stream.c (streams), unconverted.c (what
 * is refused or left out), on the state and helpers of conv.c. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "compat/flux/cfg.h"
#include "compat/flux/conv.h"
#include "compat/flux/convert.h"
#include "compat/flux/docs.h"
#include "compat/flux/dslwriter.h"
#include "compat/flux/stream.h"
#include "compat/flux/unconverted.h"
#include "compat/flux/vertex.h"
#include "compat/flux/windowing.h"

/* Writes the whole DSL file. Caller frees. */
static char *
write_dsl(gale_flux_conv_t *c, const char *path)
{
    gale_dslw_t *w = gale_dslw_new();
    bool first;
    size_t i;
    char *out;
    int pass;

    gale_dslw_printf(w, "# Converted from the Flux file %s by gale "
        "flux-import.\n", path);
    gale_dslw_printf(w, "name = ");
    gale_dslw_string(w, c->name->text);
    gale_dslw_printf(w, ";\n");
    if (!gale_flux_cfg_empty(&c->cfg)) {
        gale_dslw_printf(w, "config = {\n");
        gale_flux_cfg_write(c, w, &c->cfg, "  ", c->name);
        gale_dslw_printf(w, "};\n");
    }
    for (pass = 0; pass < 2; pass++) {
        first = true;
        for (i = 0; i < c->noc; i++) {
            if (c->oc[i].kind != (pass == 0 ? GALE_SPOUT : GALE_BOLT) ||
                (pass == 1 && !c->oc[i].fed))
                continue;
            gale_dslw_printf(w, "%s\n", first ? (pass == 0 ? "spouts = (" :
                "bolts = (") : ",");
            gale_flux_vertex_write(c, w, &c->oc[i]);
            first = false;
        }
        if (!first)
            gale_dslw_printf(w, "\n);\n");
    }
    gale_flux_unconverted_write(c, w);
    gale_flux_streams_write(c, w);
    out = xstrdup(gale_dslw_text(w));
    gale_dslw_destroy(&w);
    return out;
}

/* Frees what c owns (not c itself). */
static void
conv_clear(gale_flux_conv_t *c)
{
    size_t i, j;

    for (i = 0; i < c->noc; i++) {
        gale_flux_comp_t *o = &c->oc[i];

        gale_value_destroy(&o->cmd);
        gale_value_destroy(&o->env);
        for (j = 0; j < o->ndecls; j++) {
            free(o->decls[j].id);
            gale_value_destroy(&o->decls[j].fields);
        }
        free(o->decls);
        gale_flux_cfg_release(&o->cfg);
        for (j = 0; j < o->nnotes; j++)
            free(o->notes[j]);
        free(o->notes);
        free(o->key);
        gale_dslw_destroy(&o->params);
        free(o->ts_field);
        free(o->late);
        free(o->wm_field);
    }
    free(c->oc);
    for (i = 0; i < c->nos; i++) {
        free(c->os[i].stream);
        free(c->os[i].name);
        gale_value_destroy(&c->os[i].fields);
    }
    free(c->os);
    gale_flux_cfg_release(&c->cfg);
    for (i = 0; i < c->ndocs; i++)
        gale_ydoc_destroy(&c->docs[i]);
    free(c->docs);
    free(c->ckeys.v);
    free(c->cvals.v);
    free(c->comps.v);
    free(c->spouts.v);
    free(c->bolts.v);
    free(c->streams.v);
    free(c->hooks.v);
    free(c->dropped.v);
    gale_props_destroy(&c->props);
}

char *
gale_flux_convert(const char *path, const char *buf, size_t len,
    const gale_flux_opts_t *opts, gale_diag_t *errs, gale_diag_t *warns)
{
    gale_flux_conv_t c;
    const gale_ynode_t *root, *m;
    size_t before = gale_diag_count(errs), i;
    char *cause = NULL, *out = NULL;
    bool ok;

    memset(&c, 0, sizeof(c));
    c.errs = errs;
    c.warns = warns;
    gale_flux_cfg_init(&c.cfg);
    if (opts != NULL && opts->properties != NULL) {
        c.props_path = opts->properties;
        if ((c.props = gale_props_load(opts->properties, &cause)) == NULL) {
            gale_diag_add(errs, NULL, 0, "%s", cause);
            free(cause);
            goto out;
        }
    }
    root = gale_flux_doc_load(&c, path, buf, len, NULL, &ok);
    if (!ok)
        goto out;
    gale_flux_doc_collect(&c, root, path, false, false);
    if (root != NULL && (m = gale_ynode_get(root, "includes")) != NULL)
        gale_flux_doc_includes(&c, m, path);
    if (gale_flux_unconverted_source(&c))
        goto out;
    if (c.name == NULL)
        gale_diag_add(errs, path, 0, "missing `name`");
    else if (gale_flux_scalar(&c, c.name, "", "name") == NULL)
        c.name = NULL;
    for (i = 0; i < c.ckeys.n; i++)
        gale_flux_cfg_add(&c, &c.cfg, c.ckeys.v[i], c.ckeys.v[i]->text,
            c.cvals.v[i], false, "");
    gale_flux_unconverted_components(&c);
    gale_flux_unconverted_hooks(&c);
    if (c.spouts.n == 0)
        gale_diag_add(errs, path, 0, "no spouts: a topology needs one at "
            "least");
    for (i = 0; i < c.spouts.n; i++)
        gale_flux_vertex_convert(&c, c.spouts.v[i], GALE_SPOUT);
    for (i = 0; i < c.bolts.n; i++) {
        if (gale_flux_vertex_find(&c, gale_ynode_get(c.bolts.v[i],
            "id")->text) >= 0) {
            gale_flux_err(&c, c.bolts.v[i], "bolt id `%s` is also a spout's",
                gale_ynode_get(c.bolts.v[i], "id")->text);
            continue;
        }
        gale_flux_vertex_convert(&c, c.bolts.v[i], GALE_BOLT);
    }
    for (i = 0; i < c.streams.n; i++)
        gale_flux_stream_convert(&c, c.streams.v[i]);
    gale_flux_unconverted_unfed(&c);
    if (gale_diag_count(errs) != before)
        goto out;
    gale_flux_streams_resolve(&c);
    gale_flux_windowing_resolve(&c);
    if (gale_diag_count(errs) != before)
        goto out;
    out = write_dsl(&c, path);
    if (gale_diag_count(errs) != before) {
        free(out);
        out = NULL;
    }
out:
    conv_clear(&c);
    return out;
}
