/* unconverted.c - what gale refuses or leaves out of a Flux file, and
 * says so: a topologySource, worker hooks, `components` other than Fields,
 * bolts nobody feeds (unconverted.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "compat/flux/conv.h"
#include "compat/flux/dslwriter.h"
#include "compat/flux/kafka.h"
#include "compat/flux/unconverted.h"
#include "compat/flux/windowing.h"

static const char *const source_keys[] = { "className", "methodName",
    "constructorArgs", "properties", "configMethods", "factory",
    "factoryArgs", "id" };

/* Refuses every `components` entry gale cannot build (all but Fields). */
void
gale_flux_unconverted_components(gale_flux_conv_t *c)
{
    const gale_ynode_t *d, *cls;
    const char *id;
    char *ctx;
    size_t i;

    for (i = 0; i < c->comps.n; i++) {
        d = c->comps.v[i];
        id = gale_ynode_get(d, "id")->text;
        xasprintf(&ctx, "component `%s`: ", id);
        gale_flux_check_keys(c, d, ctx, gale_flux_bean_keys,
            gale_flux_nbean_keys);
        if ((cls = gale_ynode_get(d, "className")) == NULL)
            gale_flux_err(c, d, "%smissing `className`", ctx);
        else if (gale_flux_scalar(c, cls, ctx, "className") != NULL &&
            strcmp(cls->text, "org.apache.storm.tuple.Fields") != 0 &&
            !gale_flux_windowing_arg_class(cls->text) &&
            !gale_flux_kafka_bean_class(cls->text))
            gale_flux_err(c, cls,
                "%sJava class `%s` cannot be built by gale (only "
                "org.apache.storm.tuple.Fields components convert, as "
                "PartialKeyGrouping's fields, BaseWindowedBolt$Count "
                "and $Duration, as a windowed bolt's window, and "
                "KafkaSpoutConfig and its Builder, as a KafkaSpout's)", ctx,
                cls->text);
        free(ctx);
    }
}

bool
gale_flux_unconverted_source(gale_flux_conv_t *c)
{
    const gale_ynode_t *cn;

    if (c->tsource == NULL)
        return false;
    cn = gale_ynode_get(c->tsource, "className");
    if (c->tsource->kind == GALE_Y_MAP)
        gale_flux_check_keys(c, c->tsource, "topologySource: ", source_keys,
            NELEM(source_keys));
    if (c->spouts.n > 0 || c->bolts.n > 0 || c->streams.n > 0)
        gale_flux_err(c, c->tsource, "Spouts, bolts and streams cannot be "
            "defined in the same configuration as a topologySource");
    gale_flux_err(c, c->tsource, "topologySource: gale cannot run `%s`, a "
        "Java method that builds the topology in code; describe the "
        "topology with spouts, bolts and streams",
        cn != NULL && cn->kind == GALE_Y_SCALAR ? cn->text : "?");
    return true;
}

void
gale_flux_unconverted_hooks(gale_flux_conv_t *c)
{
    const gale_ynode_t *cn;
    size_t i;

    for (i = 0; i < c->hooks.n; i++) {
        cn = gale_ynode_get(c->hooks.v[i], "className");
        gale_flux_err(c, c->hooks.v[i], "worker hook `%s`: Java IWorkerHook "
            "objects have no gale equivalent", cn != NULL &&
            cn->kind == GALE_Y_SCALAR ? cn->text : "?");
    }
}

void
gale_flux_unconverted_unfed(gale_flux_conv_t *c)
{
    size_t i;

    for (i = 0; i < c->noc; i++) {
        if (c->oc[i].kind == GALE_BOLT && !c->oc[i].fed) {
            gale_flux_warn(c, c->oc[i].node, "bolt `%s` is fed by no "
                "stream: Flux drops it silently, and gale flux-import "
                "leaves it out", c->oc[i].id);
            gale_flux_nvec_add(&c->dropped, c->oc[i].node);
        }
    }
}

void
gale_flux_unconverted_write(gale_flux_conv_t *c, gale_dslw_t *w)
{
    size_t i;

    for (i = 0; i < c->dropped.n; i++)
        gale_dslw_printf(w, "# bolt \"%s\" (%s:%d) is fed by no stream: "
            "Flux drops it, and so does this file.\n",
            gale_ynode_get(c->dropped.v[i], "id")->text,
            c->dropped.v[i]->file, c->dropped.v[i]->line);
}
