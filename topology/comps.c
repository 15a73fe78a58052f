/* comps.c - the DSL's `spouts` and `bolts` lists (comps.h). */
#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "topology/comps.h"
#include "topology/conf.h"
#include "topology/suggest.h"

static const char *const comp_keys[] = {
    "id", "type", "parallelism", "tasks", "fields", "direct", "streams",
    "config", "plugin"
};
static const char *const decl_keys[] = { "id", "fields", "direct" };
static const char *const shell_keys[] = { "command", "cwd", "env" };

/* Reads the positive integer setting s into *out; reports otherwise. */
static int
want_positive(gale_reader_t *l, const config_setting_t *s, const char *id,
    int *out)
{
    long long v;

    if (config_setting_type(s) != CONFIG_TYPE_INT &&
        config_setting_type(s) != CONFIG_TYPE_INT64) {
        gale_reader_error(l, s,
            "component `%s`: `%s` must be a positive integer, not %s",
            id, config_setting_name(s), gale_reader_phrase(s));
        return -EINVAL;
    }
    v = config_setting_get_int64(s);
    if (v < 1 || v > INT_MAX) {
        gale_reader_error(l, s,
            "component `%s`: `%s` must be a positive integer, not %lld",
            id, config_setting_name(s), v);
        return -EINVAL;
    }
    *out = (int)v;
    return 0;
}

/* Appends a declared stream to c. */
static gale_stream_decl_t *
add_decl(gale_comp_t *c, const char *id, gale_where_t w)
{
    gale_stream_decl_t *d;

    c->streams = xreallocarray(c->streams, c->nstreams + 1,
        sizeof(*c->streams));
    d = &c->streams[c->nstreams++];
    memset(d, 0, sizeof(*d));
    d->id = xstrdup(id);
    d->where = w;
    return d;
}

/* Reads a component's `streams` list of named output streams. */
static void
parse_decls(gale_reader_t *l, gale_comp_t *c, const config_setting_t *list)
{
    config_setting_t *g, *m, *idset;
    gale_stream_decl_t *d;
    const char *id;
    char *ctx;
    int i, j;

    xasprintf(&ctx, "component `%s`: ", c->id);
    if (config_setting_type(list) != CONFIG_TYPE_LIST &&
        config_setting_type(list) != CONFIG_TYPE_ARRAY) {
        gale_reader_error(l, list,
            "%s`streams` must be a list of groups, not %s", ctx,
            gale_reader_phrase(list));
        goto out;
    }
    for (i = 0; i < config_setting_length(list); i++) {
        g = config_setting_get_elem(list, (unsigned)i);
        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
            gale_reader_error(l, g, "%seach of `streams` must be a group",
                ctx);
            continue;
        }
        if ((idset = config_setting_get_member(g, "id")) == NULL) {
            gale_reader_error(l, g, "%sa declared stream has no `id`", ctx);
            continue;
        }
        if ((id = gale_reader_string(l, idset, ctx)) == NULL)
            continue;
        if (*id == '\0') {
            gale_reader_error(l, idset, "%sa stream `id` must not be empty",
                ctx);
            continue;
        }
        if (gale_comp_find_stream(c, id) >= 0) {
            gale_reader_error(l, idset, "%sstream `%s` is declared twice",
                ctx, id);
            continue;
        }
        d = add_decl(c, id, gale_reader_where(l, g));
        for (j = 0; j < config_setting_length(g); j++) {
            m = config_setting_get_elem(g, (unsigned)j);
            if (strcmp(config_setting_name(m), "id") == 0)
                continue;
            if (strcmp(config_setting_name(m), "fields") == 0)
                gale_reader_strings(l, m, ctx, &d->fields, &d->nfields);
            else if (strcmp(config_setting_name(m), "direct") == 0) {
                if (config_setting_type(m) != CONFIG_TYPE_BOOL)
                    gale_reader_error(l, m,
                        "%s`direct` must be a boolean, not %s", ctx,
                        gale_reader_phrase(m));
                else
                    d->direct = config_setting_get_bool(m);
            } else
                gale_reader_unknown(l, m, ctx, "stream key",
                    config_setting_name(m), decl_keys, NELEM(decl_keys));
        }
    }
out:
    free(ctx);
}

/* Checks the parameters of a "shell" component. */
static void
check_shell(gale_reader_t *l, gale_comp_t *c, const config_setting_t *g,
    const char *ctx)
{
    config_setting_t *m;
    char **cmd;
    size_t n;
    int i;

    if ((m = config_setting_get_member(g, "command")) == NULL)
        gale_reader_error(l, g,
            "%smissing required parameter `command` of type `shell`", ctx);
    else if (gale_reader_strings(l, m, ctx, &cmd, &n) == 0 && n == 0) {
        gale_reader_error(l, m, "%s`command` must not be empty", ctx);
        gale_topology_strings_destroy(cmd, n);
    } else
        gale_topology_strings_destroy(cmd, n);
    for (i = 0; i < (int)c->params->u.map.len; i++) {
        const char *key = c->params->u.map.keys[i];

        m = config_setting_get_member(g, key);
        if (strcmp(key, "cwd") == 0)
            gale_reader_string(l, m, ctx);
        else if (strcmp(key, "env") == 0) {
            if (config_setting_type(m) != CONFIG_TYPE_GROUP)
                gale_reader_error(l, m, "%s`env` must be a group, not %s", ctx,
                    gale_reader_phrase(m));
        } else if (strcmp(key, "command") != 0)
            gale_reader_unknown(l, m, ctx, "parameter", key, shell_keys,
                NELEM(shell_keys));
    }
}

/* Checks c's parameters against its type's specs. */
static void
check_params(gale_reader_t *l, gale_comp_t *c, const config_setting_t *g,
    const char *ctx)
{
    const gale_param_spec_t *p;
    const gale_value_t *v;
    config_setting_t *m;
    const char **names;
    size_t i, n = 0;
    bool known;

    for (p = c->def->params; p != NULL && p->name != NULL; p++) {
        v = gale_value_map_get(c->params, p->name);
        if (v == NULL) {
            if (p->required)
                gale_reader_error(l, g,
                    "%smissing required parameter `%s` of type `%s`",
                    ctx, p->name, c->type);
            continue;
        }
        if (p->type == GALE_NULL || v->type == p->type ||
            (p->type == GALE_DOUBLE && v->type == GALE_INT))
            continue;
        m = config_setting_get_member(g, p->name);
        gale_reader_error(l, m, "%sparameter `%s` must be %s, not %s", ctx,
            p->name, p->type == GALE_INT ? "an integer" :
            p->type == GALE_DOUBLE ? "a number" :
            p->type == GALE_BOOL ? "a boolean" :
            p->type == GALE_STRING ? "a string" :
            p->type == GALE_LIST ? "a list" :
            p->type == GALE_MAP ? "a group" : gale_type_name(p->type),
            gale_reader_phrase(m));
    }
    for (p = c->def->params; p != NULL && p->name != NULL; p++)
        n++;
    names = xcalloc(n + NELEM(comp_keys) + 1, sizeof(*names));
    for (i = 0; i < n; i++)
        names[i] = c->def->params[i].name;
    for (i = 0; i < NELEM(comp_keys); i++)
        names[n + i] = comp_keys[i];
    for (i = 0; i < c->params->u.map.len; i++) {
        known = false;
        for (p = c->def->params; p != NULL && p->name != NULL; p++)
            if (strcmp(p->name, c->params->u.map.keys[i]) == 0)
                known = true;
        if (!known) {
            m = config_setting_get_member(g, c->params->u.map.keys[i]);
            gale_reader_unknown(l, m, ctx, "setting", c->params->u.map.keys[i],
                names, n + NELEM(comp_keys));
        }
    }
    free(names);
}

/* Without a type to check parameters against, still reports a parameter
 * that looks like a misspelt component setting (`paralelism`). */
static void
check_typos(gale_reader_t *l, gale_comp_t *c, const config_setting_t *g,
    const char *ctx)
{
    const char *key;
    size_t i;

    for (i = 0; i < c->params->u.map.len; i++) {
        key = c->params->u.map.keys[i];
        if (gale_suggest(key, comp_keys, NELEM(comp_keys)) != NULL)
            gale_reader_unknown(l, config_setting_get_member(g, key), ctx,
                "setting", key, comp_keys, NELEM(comp_keys));
    }
}

/* Makes a shell component's `cwd` absolute, or relative to the cwd of
 * gale as `plugin` is: resolved against the directory of the file it is
 * written in. Without `cwd`, the child runs in that directory (Storm runs
 * it in the topology's resources/ dir, where the scripts are). */
static void
shell_cwd(const gale_reader_t *l, gale_comp_t *c, const config_setting_t *g)
{
    const gale_value_t *v = gale_value_map_get(c->params, "cwd");
    const config_setting_t *m = config_setting_get_member(g, "cwd");
    char *dir;

    if (v != NULL && v->type == GALE_STRING && m != NULL)
        dir = gale_reader_path(l, m, v->u.s.ptr);
    else if (v == NULL)
        dir = gale_reader_path(l, g, ".");
    else
        return;
    gale_value_map_set(c->params, "cwd", gale_value_string(dir, strlen(dir)));
    free(dir);
}

/* Reads one spout or bolt group and appends it to the topology. */
static void
parse_comp(gale_reader_t *l, const config_setting_t *g, gale_kind_t kind,
    int seq)
{
    const char *kname = kind == GALE_SPOUT ? "spout" : "bolt";
    gale_topology_t *t = l->t;
    config_setting_t *m, *ids, *types, *fieldsset = NULL, *directset = NULL;
    gale_comp_t c;
    gale_stream_decl_t *d;
    const char *name, *s;
    char *ctx = NULL, *cause = NULL;
    bool tasks_set = false, direct = false;
    int i;

    memset(&c, 0, sizeof(c));
    if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
        gale_reader_error(l, g, "each of `%ss` must be a group, not %s", kname,
            gale_reader_phrase(g));
        return;
    }
    if ((ids = config_setting_get_member(g, "id")) == NULL) {
        gale_reader_error(l, g, "a %s has no `id`", kname);
        return;
    }
    if ((s = gale_reader_string(l, ids, "")) == NULL)
        return;
    if (*s == '\0') {
        gale_reader_error(l, ids, "a %s has an empty `id`", kname);
        return;
    }
    c.id = xstrdup(s);
    c.kind = kind;
    c.parallelism = 1;
    c.where = gale_reader_where(l, g);
    c.params = gale_value_map();
    c.conf = gale_value_clone(t->conf);
    xasprintf(&ctx, "component `%s`: ", c.id);
    if ((types = config_setting_get_member(g, "type")) == NULL)
        gale_reader_error(l, g, "%sno `type`", ctx);
    else if ((s = gale_reader_string(l, types, ctx)) != NULL)
        c.type = xstrdup(s);
    for (i = 0; i < config_setting_length(g); i++) {
        m = config_setting_get_elem(g, (unsigned)i);
        name = config_setting_name(m);
        if (strcmp(name, "id") == 0 || strcmp(name, "type") == 0)
            continue;
        if (strcmp(name, "parallelism") == 0)
            want_positive(l, m, c.id, &c.parallelism);
        else if (strcmp(name, "tasks") == 0)
            tasks_set = want_positive(l, m, c.id, &c.ntasks) == 0;
        else if (strcmp(name, "fields") == 0)
            fieldsset = m;
        else if (strcmp(name, "direct") == 0) {
            if (config_setting_type(m) != CONFIG_TYPE_BOOL)
                gale_reader_error(l, m,
                    "%s`direct` must be a boolean, not %s", ctx,
                    gale_reader_phrase(m));
            else
                direct = config_setting_get_bool(m);
            directset = m;
        } else if (strcmp(name, "streams") == 0)
            continue;
        else if (strcmp(name, "config") == 0)
            gale_conf_read(l, m, c.conf, true, ctx);
        else if (strcmp(name, "plugin") == 0) {
            if ((s = gale_reader_string(l, m, ctx)) != NULL)
                c.plugin = gale_reader_path(l, m, s);
        } else
            gale_value_map_set(c.params, name, gale_reader_value(m));
    }
    if (fieldsset != NULL) {
        d = add_decl(&c, "default", gale_reader_where(l, fieldsset));
        gale_reader_strings(l, fieldsset, ctx, &d->fields, &d->nfields);
        d->direct = direct;
    } else if (directset != NULL)
        gale_reader_error(l, directset,
            "%s`direct` applies to the default stream, which "
            "needs `fields`", ctx);
    if ((m = config_setting_get_member(g, "streams")) != NULL)
        parse_decls(l, &c, m);
    if ((i = gale_comp_find_stream(&c, "default")) > 0) {
        gale_stream_decl_t def = c.streams[i];

        memmove(&c.streams[1], &c.streams[0], (size_t)i * sizeof(def));
        c.streams[0] = def;
    }
    if (!tasks_set)
        c.ntasks = c.parallelism;
    else if (c.ntasks < c.parallelism)
        gale_reader_error(l, config_setting_get_member(g, "tasks"),
            "%s`tasks` (%d) is "
            "fewer than `parallelism` (%d): every executor needs at least "
            "one task", ctx, c.ntasks, c.parallelism);
    if (c.ntasks > t->max_parallelism)
        gale_reader_error(l, config_setting_get_member(g, tasks_set ? "tasks" :
            "parallelism"), "%s%d tasks exceed max_parallelism (%d): each "
            "task owns at least one key group", ctx, c.ntasks,
            t->max_parallelism);
    c.tick_secs = (int)gale_conf_int(c.conf, "topology.tick.tuple.freq.secs",
        0);
    if (c.type != NULL && strcmp(c.type, "shell") == 0) {
        check_shell(l, &c, g, ctx);
        shell_cwd(l, &c, g);
        /* Its spout or bolt def comes by kind; a lookup that knows no
         * "shell" (topology-only tools) leaves def NULL. */
        if (l->opts != NULL && l->opts->lookup_type != NULL)
            c.def = l->opts->lookup_type(l->opts->lookup_arg, c.type, kind,
                NULL, &cause);
        free(cause);
        cause = NULL;
    } else if (c.type == NULL || l->opts == NULL ||
        l->opts->lookup_type == NULL)
        check_typos(l, &c, g, ctx);
    else {
        c.def = l->opts->lookup_type(l->opts->lookup_arg, c.type, kind,
            c.plugin, &cause);
        if (c.def == NULL)
            gale_reader_error(l, types, "%s%s", ctx, cause != NULL ? cause :
                "unknown component type");
        else if (c.def->kind != kind)
            gale_reader_error(l, types, "%stype `%s` is a %s, not a %s", ctx,
                c.type, c.def->kind == GALE_SPOUT ? "spout" : "bolt", kname);
        else
            check_params(l, &c, g, ctx);
        free(cause);
    }
    free(ctx);
    t->comps = xreallocarray(t->comps, t->ncomps + 1, sizeof(*t->comps));
    l->seq = xreallocarray(l->seq, t->ncomps + 1, sizeof(*l->seq));
    l->seq[t->ncomps] = seq;
    t->comps[t->ncomps++] = c;
}

/* Reads the `spouts` or `bolts` list. */
void
gale_comps_read(gale_reader_t *l, const config_setting_t *list,
    gale_kind_t kind, int *seq)
{
    int i;

    if (config_setting_type(list) != CONFIG_TYPE_LIST &&
        config_setting_type(list) != CONFIG_TYPE_ARRAY) {
        gale_reader_error(l, list, "`%s` must be a list of groups, not %s",
            config_setting_name(list), gale_reader_phrase(list));
        return;
    }
    for (i = 0; i < config_setting_length(list); i++)
        parse_comp(l, config_setting_get_elem(list, (unsigned)i), kind,
            (*seq)++);
}

/* Sorts components by id (file order among equal ids) and reports
 * duplicates. */
void
gale_comps_sort(gale_reader_t *l)
{
    gale_topology_t *t = l->t;
    gale_comp_t tmp;
    size_t i, j;
    int stmp;

    /* Insertion sort: stable, and topologies have tens of components. */
    for (i = 1; i < t->ncomps; i++) {
        for (j = i; j > 0 && strcmp(t->comps[j - 1].id, t->comps[j].id) > 0;
            j--) {
            tmp = t->comps[j];
            t->comps[j] = t->comps[j - 1];
            t->comps[j - 1] = tmp;
            stmp = l->seq[j];
            l->seq[j] = l->seq[j - 1];
            l->seq[j - 1] = stmp;
        }
    }
    for (i = 1; i < t->ncomps; i++) {
        for (j = i; j > 0 && strcmp(t->comps[j - 1].id, t->comps[j].id) == 0;
            j--)
            ;
        if (j < i)
            gale_diag_add(l->diag, t->comps[i].where.file,
                t->comps[i].where.line,
                "duplicate component id `%s` (first defined at %s:%d)",
                t->comps[i].id, t->comps[j].where.file,
                t->comps[j].where.line);
    }
}
