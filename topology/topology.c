/* topology.c - the logical topology's model (topology.h): the names of
 * its enums, lookups, and freeing. Below the loader and validate.c, which
 * both use it; it reads no files. */
#include <stdlib.h>
#include <string.h>

#include "topology/topology.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* DSL spelling, Storm (Thrift) name. */
static const struct {
    const char *name;               /* DSL spelling */
    const char *storm;              /* Thrift/multilang name */
} groupings[] = {
    [GALE_GROUPING_SHUFFLE] = { "shuffle", "SHUFFLE" },
    [GALE_GROUPING_FIELDS] = { "fields", "FIELDS" },
    [GALE_GROUPING_ALL] = { "all", "ALL" },
    [GALE_GROUPING_GLOBAL] = { "global", "FIELDS" },
    [GALE_GROUPING_NONE] = { "none", "NONE" },
    [GALE_GROUPING_DIRECT] = { "direct", "DIRECT" },
    [GALE_GROUPING_LOCAL_OR_SHUFFLE] = { "local_or_shuffle", "LOCAL_OR_SHUFFLE" },
    [GALE_GROUPING_PARTIAL_KEY] = { "partial_key", "CUSTOM_SERIALIZED" },
    [GALE_GROUPING_CUSTOM] = { "custom", "CUSTOM_SERIALIZED" },
};

const char *
gale_grouping_name(gale_grouping_t g)
{
    return (size_t)g < NELEM(groupings) ? groupings[g].name : "?";
}

const char *
gale_grouping_storm_name(gale_grouping_t g)
{
    return (size_t)g < NELEM(groupings) ? groupings[g].storm : "?";
}

const char *
gale_guarantee_name(gale_guarantee_t g)
{
    switch (g) {
    case GALE_GUARANTEE_NONE:           return "none";
    case GALE_GUARANTEE_AT_LEAST_ONCE:  return "at_least_once";
    case GALE_GUARANTEE_EXACTLY_ONCE:   return "exactly_once";
    }
    return "?";
}

/* Frees the n strings of v and v itself. Accepts NULL. */
void
gale_topology_strings_destroy(char **v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Frees what component c owns and zeroes it. */
static void
comp_clear(gale_comp_t *c)
{
    size_t i;

    free(c->id);
    free(c->type);
    free(c->plugin);
    free(c->wm_field);
    for (i = 0; i < c->nstreams; i++) {
        free(c->streams[i].id);
        gale_topology_strings_destroy(c->streams[i].fields,
            c->streams[i].nfields);
    }
    free(c->streams);
    gale_value_destroy(&c->params);
    gale_value_destroy(&c->conf);
    memset(c, 0, sizeof(*c));
}

/* Frees what edge e owns and zeroes it. */
void
gale_edge_release(gale_edge_t *e)
{
    free(e->stream);
    gale_topology_strings_destroy(e->fields, e->nfields);
    free(e->field_idx);
    free(e->custom);
    free(e->custom_plugin);
    gale_value_destroy(&e->custom_args);
    memset(e, 0, sizeof(*e));
}

void
gale_topology_destroy(gale_topology_t **tp)
{
    gale_topology_t *t;
    size_t i;

    if (tp == NULL || (t = *tp) == NULL)
        return;
    for (i = 0; i < t->ncomps; i++)
        comp_clear(&t->comps[i]);
    free(t->comps);
    for (i = 0; i < t->nedges; i++)
        gale_edge_release(&t->edges[i]);
    free(t->edges);
    gale_value_destroy(&t->conf);
    gale_topology_strings_destroy(t->files, t->nfiles);
    free(t->name);
    free(t->path);
    free(t->checkpoint_dir);
    free(t);
    *tp = NULL;
}

int
gale_comp_tasks_for(const gale_comp_t *c, int n)
{
    return c->ntasks == c->parallelism || c->ntasks < n ? n : c->ntasks;
}

int
gale_topology_find(const gale_topology_t *t, const char *id)
{
    size_t lo = 0, hi = t->ncomps, mid;
    int c;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        c = strcmp(t->comps[mid].id, id);
        if (c == 0)
            return (int)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

int
gale_comp_find_stream(const gale_comp_t *c, const char *id)
{
    size_t i;

    for (i = 0; i < c->nstreams; i++)
        if (strcmp(c->streams[i].id, id) == 0)
            return (int)i;
    return -1;
}
