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
    "config", "plugin", "watermark"
};
static const char *const wm_keys[] = { "field", "lag_ms", "interval_ms", "idle_ms" };
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

/* Reads the non-negative integer setting s (milliseconds) into *out, at
 * most max; reports otherwise. */
static void
want_ms(gale_reader_t *l, const config_setting_t *s, const char *ctx,
    int64_t max, int64_t *out)
{
    long long v;

    if (config_setting_type(s) != CONFIG_TYPE_INT &&
        config_setting_type(s) != CONFIG_TYPE_INT64) {
        gale_reader_error(l, s, "%s`watermark.%s` must be an integer "
            "(milliseconds), not %s", ctx, config_setting_name(s),
            gale_reader_phrase(s));
        return;
    }
    v = config_setting_get_int64(s);
    if (v < 0 || v > max) {
        gale_reader_error(l, s, "%s`watermark.%s` must be 0 .. %lld, not "
            "%lld", ctx, config_setting_name(s), (long long)max, v);
        return;
    }
    *out = v;
}

/* Reads a component's `watermark` group: the event-time field of its
 * output and how watermarks are generated from it (docs/windows.md). The
 * field must be one of a declared stream's (checked by the caller, once
 * the streams are read). */
static void
parse_watermark(gale_reader_t *l, gale_comp_t *c, const config_setting_t *g,
    const char *ctx)
{
    config_setting_t *m;
    const char *s;
    int64_t v;
    int i;

    c->wm_interval_ms = 200;
    if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
        gale_reader_error(l, g, "%s`watermark` must be a group "
            "({ field = \"ts\"; lag_ms = ...; }), not %s", ctx,
            gale_reader_phrase(g));
        return;
    }
    for (i = 0; i < config_setting_length(g); i++) {
        m = config_setting_get_elem(g, (unsigned)i);
        if (strcmp(config_setting_name(m), "field") == 0) {
            if ((s = gale_reader_string(l, m, ctx)) != NULL && *s != '\0')
                c->wm_field = xstrdup(s);
            else if (s != NULL)
                gale_reader_error(l, m, "%s`watermark.field` is empty", ctx);
        } else if (strcmp(config_setting_name(m), "lag_ms") == 0)
            want_ms(l, m, ctx, INT64_MAX / 4, &c->wm_lag_ms);
        else if (strcmp(config_setting_name(m), "interval_ms") == 0) {
            v = c->wm_interval_ms;
            want_ms(l, m, ctx, 3600000, &v);
            c->wm_interval_ms = v < 1 ? 1 : (int)v;
        } else if (strcmp(config_setting_name(m), "idle_ms") == 0) {
            v = 0;
            want_ms(l, m, ctx, 86400000, &v);
            c->wm_idle_ms = (int)v;
        } else
            gale_reader_unknown(l, m, ctx, "watermark key",
                config_setting_name(m), wm_keys, NELEM(wm_keys));
    }
    if (c->wm_field == NULL && config_setting_get_member(g, "field") == NULL)
        gale_reader_error(l, g, "%s`watermark` needs `field`: the output "
            "field that holds each tuple's event time (ms)", ctx);
}

/* Whether some declared stream of c has the field called name. */
static bool
has_field(const gale_comp_t *c, const char *name)
{
    size_t i, j;

    for (i = 0; i < c->nstreams; i++)
        for (j = 0; j < c->streams[i].nfields; j++)
            if (strcmp(c->streams[i].fields[j], name) == 0)
                return true;
    return false;
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
    config_setting_t *wmset = NULL;
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
        } else if (strcmp(name, "watermark") == 0)
            wmset = m;
        else
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
    if (wmset != NULL) {
        parse_watermark(l, &c, wmset, ctx);
        if (c.wm_field != NULL && !has_field(&c, c.wm_field))
            gale_reader_error(l, config_setting_get_member(wmset, "field"),
                "%s`watermark.field` names `%s`, which none of its "
                "output streams declares", ctx, c.wm_field);
    }
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
