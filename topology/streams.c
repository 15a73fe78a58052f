/* streams.c - the DSL's `streams` list: the edges between components
 * (streams.h). */
#include <errno.h>
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "topology/streams.h"
#include "topology/suggest.h"

static const char *const edge_keys[] = {
    "from", "to", "stream", "grouping", "fields", "custom", "combine", "name"
};
static const char *const custom_keys[] = { "name", "plugin", "args" };

/* Index of the component called by setting s, or -1 with a problem
 * reported. */
static int
find_comp(gale_reader_t *l, const config_setting_t *s, const char *dir)
{
    const char **names, *hint, *id;
    size_t i;
    int idx;

    if ((id = gale_reader_string(l, s, "stream: ")) == NULL)
        return -1;
    if ((idx = gale_topology_find(l->t, id)) >= 0)
        return idx;
    names = xcalloc(l->t->ncomps + 1, sizeof(*names));
    for (i = 0; i < l->t->ncomps; i++)
        names[i] = l->t->comps[i].id;
    hint = gale_suggest(id, names, l->t->ncomps);
    if (hint != NULL)
        gale_reader_error(l, s,
            "stream %s unknown component `%s` (did you mean `%s`?)",
            dir, id, hint);
    else
        gale_reader_error(l, s, "stream %s unknown component `%s`", dir, id);
    free(names);
    return -1;
}

/* Reads a custom grouping's `custom` group into e. 0 or -EINVAL. */
static int
parse_custom(gale_reader_t *l, gale_edge_t *e, const config_setting_t *g)
{
    config_setting_t *m;
    const char *s, *name;
    char *cause = NULL;
    int i, rc = 0;

    if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
        gale_reader_error(l, g, "stream: `custom` must be a group, not %s",
            gale_reader_phrase(g));
        return -EINVAL;
    }
    for (i = 0; i < config_setting_length(g); i++) {
        m = config_setting_get_elem(g, (unsigned)i);
        name = config_setting_name(m);
        if (strcmp(name, "name") == 0) {
            if ((s = gale_reader_string(l, m, "stream: ")) != NULL)
                e->custom = xstrdup(s);
            else
                rc = -EINVAL;
        } else if (strcmp(name, "plugin") == 0) {
            if ((s = gale_reader_string(l, m, "stream: ")) != NULL)
                e->custom_plugin = gale_reader_path(l, m, s);
            else
                rc = -EINVAL;
        } else if (strcmp(name, "args") == 0) {
            if (config_setting_type(m) != CONFIG_TYPE_GROUP) {
                gale_reader_error(l, m,
                    "stream: `args` must be a group, not %s",
                    gale_reader_phrase(m));
                rc = -EINVAL;
            } else
                e->custom_args = gale_reader_value(m);
        } else {
            gale_reader_unknown(l, m, "stream: ", "custom grouping key", name,
                custom_keys, NELEM(custom_keys));
            rc = -EINVAL;
        }
    }
    if (e->custom == NULL) {
        if (rc == 0)
            gale_reader_error(l, g, "stream: custom grouping needs a `name`");
        return -EINVAL;
    }
    if (rc == 0 && l->opts != NULL && l->opts->lookup_grouping != NULL) {
        e->custom_def = l->opts->lookup_grouping(l->opts->lookup_arg,
            e->custom, e->custom_plugin, &cause);
        if (e->custom_def == NULL) {
            gale_reader_error(l, g, "stream: custom grouping `%s`: %s",
                e->custom, cause != NULL ? cause : "unknown grouping");
            rc = -EINVAL;
        }
        free(cause);
    }
    return rc;
}

/* Reads one `streams` entry; appends it when it is sound. */
static void
parse_edge(gale_reader_t *l, const config_setting_t *g)
{
    static const char *const gnames[] = { "shuffle", "fields", "all",
        "global", "none", "direct", "local_or_shuffle", "partial_key",
        "custom" };
    config_setting_t *m, *fieldsset = NULL, *customset = NULL;
    const char *name, *s, *hint;
    gale_edge_t e;
    bool bad = false, have_grouping = false;
    int i, k;

    memset(&e, 0, sizeof(e));
    e.from = e.to = -1;
    if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
        gale_reader_error(l, g, "each of `streams` must be a group, not %s",
            gale_reader_phrase(g));
        return;
    }
    e.where = gale_reader_where(l, g);
    for (i = 0; i < config_setting_length(g); i++) {
        m = config_setting_get_elem(g, (unsigned)i);
        name = config_setting_name(m);
        if (strcmp(name, "from") == 0) {
            if ((e.from = find_comp(l, m, "from")) < 0)
                bad = true;
        } else if (strcmp(name, "to") == 0) {
            if ((e.to = find_comp(l, m, "to")) < 0)
                bad = true;
            else if (l->t->comps[e.to].kind == GALE_SPOUT) {
                gale_reader_error(l, m,
                    "stream to `%s`: it is a spout, and spouts "
                    "consume no streams", l->t->comps[e.to].id);
                bad = true;
            }
        } else if (strcmp(name, "stream") == 0) {
            if ((s = gale_reader_string(l, m, "stream: ")) == NULL)
                bad = true;
            else
                e.stream = xstrdup(s);
        } else if (strcmp(name, "grouping") == 0) {
            if ((s = gale_reader_string(l, m, "stream: ")) == NULL) {
                bad = true;
                have_grouping = true;
                continue;
            }
            have_grouping = true;
            for (k = 0; k < (int)NELEM(gnames); k++)
                if (strcmp(s, gnames[k]) == 0)
                    break;
            if (k == (int)NELEM(gnames)) {
                hint = gale_suggest(s, gnames, NELEM(gnames));
                if (hint != NULL)
                    gale_reader_error(l, m,
                        "stream: unknown grouping `%s` (did you mean "
                        "`%s`?)", s, hint);
                else
                    gale_reader_error(l, m,
                        "stream: unknown grouping `%s` (one of: "
                        "shuffle, fields, all, global, none, direct, "
                        "local_or_shuffle, partial_key, custom)", s);
                bad = true;
            } else
                e.grouping = (gale_grouping_t)k;
        } else if (strcmp(name, "fields") == 0) {
            fieldsset = m;
            if (gale_reader_strings(l, m, "stream: ", &e.fields,
                &e.nfields) != 0)
                bad = true;
        } else if (strcmp(name, "custom") == 0)
            customset = m;
        else if (strcmp(name, "combine") == 0) {
            if (config_setting_type(m) != CONFIG_TYPE_BOOL) {
                gale_reader_error(l, m, "stream: `combine` must be true or "
                    "false, not %s", gale_reader_phrase(m));
                bad = true;
            } else
                e.combine = config_setting_get_bool(m) != 0;
        }
        else if (strcmp(name, "name") != 0) {
            gale_reader_unknown(l, m, "stream: ", "stream key", name,
                edge_keys, NELEM(edge_keys));
            bad = true;
        }
    }
    if (config_setting_get_member(g, "from") == NULL)
        gale_reader_error(l, g, "stream: missing `from`");
    if (config_setting_get_member(g, "to") == NULL)
        gale_reader_error(l, g, "stream: missing `to`");
    if (config_setting_get_member(g, "grouping") == NULL)
        gale_reader_error(l, g, "stream: missing `grouping`");
    if (e.from < 0 || e.to < 0 || !have_grouping)
        bad = true;
    if (bad)
        goto drop;
    if (e.grouping == GALE_GROUPING_FIELDS ||
        e.grouping == GALE_GROUPING_PARTIAL_KEY) {
        if (e.nfields == 0) {
            gale_reader_error(l, fieldsset != NULL ? fieldsset : g,
                "stream: %s grouping needs a non-empty `fields` list",
                gale_grouping_name(e.grouping));
            goto drop;
        }
    } else if (fieldsset != NULL) {
        gale_reader_error(l, fieldsset,
            "stream: `fields` is only for the fields and "
            "partial_key groupings, not %s", gale_grouping_name(e.grouping));
        goto drop;
    }
    if (e.combine && e.grouping != GALE_GROUPING_FIELDS &&
        e.grouping != GALE_GROUPING_GLOBAL) {
        gale_reader_error(l, config_setting_get_member(g, "combine"),
            "stream: `combine` needs the fields or global grouping (equal "
            "tuples must all go to one task), not %s",
            gale_grouping_name(e.grouping));
        goto drop;
    }
    if (e.grouping == GALE_GROUPING_CUSTOM) {
        if (customset == NULL) {
            gale_reader_error(l, g,
                "stream: custom grouping needs `custom = { name = "
                "\"...\"; }`");
            goto drop;
        }
        if (parse_custom(l, &e, customset) != 0)
            goto drop;
    } else if (customset != NULL) {
        gale_reader_error(l, customset,
            "stream: `custom` is only for the custom "
            "grouping, not %s", gale_grouping_name(e.grouping));
        goto drop;
    }
    if (e.stream == NULL)
        e.stream = xstrdup("default");
    e.stream_idx = -1;
    l->t->edges = xreallocarray(l->t->edges, l->t->nedges + 1,
        sizeof(*l->t->edges));
    l->t->edges[l->t->nedges++] = e;
    return;
drop:
    gale_edge_release(&e);
}

/* Reads the `streams` list. */
void
gale_streams_read(gale_reader_t *l, const config_setting_t *list)
{
    int i;

    if (config_setting_type(list) != CONFIG_TYPE_LIST &&
        config_setting_type(list) != CONFIG_TYPE_ARRAY) {
        gale_reader_error(l, list,
            "`streams` must be a list of groups, not %s",
            gale_reader_phrase(list));
        return;
    }
    for (i = 0; i < config_setting_length(list); i++)
        parse_edge(l, config_setting_get_elem(list, (unsigned)i));
}
