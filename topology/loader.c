/* loader.c - DSL file -> gale_topology_t (topology.h).
 *
 * The file is first expanded by source.c (includes, ${...}), then parsed
 * by libconfig, then read setting by setting into the model. Every
 * problem is reported with the file and line of the offending setting
 * and reading goes on, so that one run shows every mistake; the loader
 * returns NULL if there was any. Whole-topology checks live in
 * validate.c. */
#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "topology/keys.h"
#include "topology/props.h"
#include "topology/source.h"
#include "topology/suggest.h"
#include "topology/topology.h"
#include "topology/validate.h"

/* State of one load. */
typedef struct loader {
    gale_topology_t *t;             /* the model being built */
    gale_source_t *src;             /* expanded text and line map */
    const gale_load_opts_t *opts;   /* caller's options */
    gale_diag_t *diag;              /* where problems go */
    int *seq;                       /* file order of each component */
    bool guarantee_set;             /* the file or -c sets gale.guarantee */
} loader_t;

static const char *const top_keys[] = {
    "name", "config", "spouts", "bolts", "streams"
};
static const char *const comp_keys[] = {
    "id", "type", "parallelism", "tasks", "fields", "direct", "streams",
    "config", "plugin"
};
static const char *const decl_keys[] = { "id", "fields", "direct" };
static const char *const edge_keys[] = {
    "from", "to", "stream", "grouping", "fields", "custom", "name"
};
static const char *const custom_keys[] = { "name", "plugin", "args" };
static const char *const shell_keys[] = { "command", "cwd", "env" };

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

/* Where setting s was written. */
static gale_where_t
where_of(const loader_t *l, const config_setting_t *s)
{
    gale_where_t w;

    gale_source_where(l->src, (int)config_setting_source_line(s), &w.file,
        &w.line);
    return w;
}

/* Reports a problem at setting s. */
static void __attribute__((format(printf, 3, 4)))
lerr(loader_t *l, const config_setting_t *s, const char *fmt, ...)
{
    gale_where_t w = where_of(l, s);
    va_list ap;

    va_start(ap, fmt);
    gale_diag_vadd(l->diag, w.file, w.line, fmt, ap);
    va_end(ap);
}

/* Reports "unknown WHAT `name`", with a suggestion from cands. */
static void
unknown(loader_t *l, const config_setting_t *s, const char *prefix,
    const char *what, const char *name, const char *const *cands, size_t n)
{
    const char *hint = gale_suggest(name, cands, n);

    if (hint != NULL)
        lerr(l, s, "%sunknown %s `%s` (did you mean `%s`?)", prefix, what,
            name, hint);
    else
        lerr(l, s, "%sunknown %s `%s`", prefix, what, name);
}

/* What to call a libconfig setting's type in a message. */
static const char *
setting_phrase(const config_setting_t *s)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:     return "an integer";
    case CONFIG_TYPE_FLOAT:     return "a number";
    case CONFIG_TYPE_STRING:    return "a string";
    case CONFIG_TYPE_BOOL:      return "a boolean";
    case CONFIG_TYPE_ARRAY:
    case CONFIG_TYPE_LIST:      return "a list";
    case CONFIG_TYPE_GROUP:     return "a group";
    }
    return "nothing";
}

/* The value of setting s as an owned tree. */
static gale_value_t *
to_value(const config_setting_t *s)
{
    gale_value_t *v;
    config_setting_t *c;
    const char *str;
    int i, n;

    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        return gale_value_int(config_setting_get_int64(s));
    case CONFIG_TYPE_FLOAT:
        return gale_value_double(config_setting_get_float(s));
    case CONFIG_TYPE_STRING:
        str = config_setting_get_string(s);
        return gale_value_string(str, strlen(str));
    case CONFIG_TYPE_BOOL:
        return gale_value_bool(config_setting_get_bool(s));
    case CONFIG_TYPE_ARRAY:
    case CONFIG_TYPE_LIST:
        v = gale_value_list();
        n = config_setting_length(s);
        for (i = 0; i < n; i++)
            gale_value_list_append(v,
                to_value(config_setting_get_elem(s, (unsigned)i)));
        return v;
    case CONFIG_TYPE_GROUP:
        v = gale_value_map();
        n = config_setting_length(s);
        for (i = 0; i < n; i++) {
            c = config_setting_get_elem(s, (unsigned)i);
            gale_value_map_set(v, config_setting_name(c), to_value(c));
        }
        return v;
    }
    return gale_value_null();
}

/* The string value of s, or NULL with a problem reported. */
static const char *
want_string(loader_t *l, const config_setting_t *s, const char *ctx)
{
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        lerr(l, s, "%s`%s` must be a string, not %s", ctx,
            config_setting_name(s), setting_phrase(s));
        return NULL;
    }
    return config_setting_get_string(s);
}

/* Reads a list of distinct non-empty strings into *out and *n (owned
 * by the caller). 0, or -EINVAL with a problem reported. */
static int
want_strings(loader_t *l, const config_setting_t *s, const char *ctx,
    char ***out, size_t *n)
{
    config_setting_t *e;
    const char *str;
    int i, len, j;

    *out = NULL;
    *n = 0;
    if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
        config_setting_type(s) != CONFIG_TYPE_LIST) {
        lerr(l, s, "%s`%s` must be a list of strings, not %s", ctx,
            config_setting_name(s), setting_phrase(s));
        return -EINVAL;
    }
    len = config_setting_length(s);
    *out = xcalloc((size_t)len + 1, sizeof(char *));
    for (i = 0; i < len; i++) {
        e = config_setting_get_elem(s, (unsigned)i);
        if (config_setting_type(e) != CONFIG_TYPE_STRING ||
            *(str = config_setting_get_string(e)) == '\0') {
            lerr(l, s, "%s`%s` must be a list of non-empty strings", ctx,
                config_setting_name(s));
            return -EINVAL;
        }
        for (j = 0; j < i; j++) {
            if (strcmp((*out)[j], str) == 0) {
                lerr(l, s, "%s`%s` names `%s` twice", ctx,
                    config_setting_name(s), str);
                return -EINVAL;
            }
        }
        (*out)[(*n)++] = xstrdup(str);
    }
    return 0;
}

/* Frees the n strings of v and v itself. Accepts NULL. */
static void
free_strings(char **v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Sets key k in conf from setting s, after checking it. */
static void
set_key(loader_t *l, const config_setting_t *s, const gale_key_t *k,
    gale_value_t *conf, const char *ctx)
{
    gale_value_t *v = to_value(s);
    char *cause = NULL;

    if (gale_keys_check(k, &v, &cause) != 0) {
        lerr(l, s, "%sconfig key `%s` %s", ctx, k->name, cause);
        free(cause);
        gale_value_free(&v);
        return;
    }
    gale_value_map_set(conf, k->conf, v);
}

/* The DSL names of the keys that may appear in a config group
 * (component-level ones only when comp), plus "user" and, at topology
 * level, "checkpoint". Caller frees the array. */
static const char **
config_names(bool comp, size_t *n)
{
    size_t i, nk = gale_keys_count();
    const char **names = xcalloc(nk + 3, sizeof(*names));
    const gale_key_t *k;

    *n = 0;
    for (i = 0; i < nk; i++) {
        k = gale_keys_at(i);
        if (strchr(k->name, '.') == NULL && (!comp || k->component))
            names[(*n)++] = k->name;
    }
    names[(*n)++] = "user";
    names[(*n)++] = "passthrough";
    if (!comp)
        names[(*n)++] = "checkpoint";
    return names;
}

/* Reads a `passthrough` list: `{ key = "dotted.name"; value = ...; }`
 * groups, conf keys the table does not know (Storm's or the user's, which
 * need dots the DSL's names cannot hold), set in conf unchanged. */
static void
parse_passthrough(loader_t *l, const config_setting_t *m,
    gale_value_t *conf, const char *ctx)
{
    const config_setting_t *e, *kn, *vn, *x;
    const gale_key_t *k;
    const char *key;
    int i, j;

    if (config_setting_type(m) != CONFIG_TYPE_LIST &&
        !(config_setting_type(m) == CONFIG_TYPE_ARRAY &&
          config_setting_length(m) == 0)) {
        lerr(l, m, "%s`passthrough` must be a list of { key; value; } "
            "groups, not %s", ctx, setting_phrase(m));
        return;
    }
    for (i = 0; i < config_setting_length(m); i++) {
        e = config_setting_get_elem(m, (unsigned)i);
        if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
            lerr(l, e, "%s`passthrough` entries must be { key; value; } "
                "groups, not %s", ctx, setting_phrase(e));
            continue;
        }
        for (j = 0; j < config_setting_length(e); j++) {
            x = config_setting_get_elem(e, (unsigned)j);
            if (strcmp(config_setting_name(x), "key") != 0 &&
                strcmp(config_setting_name(x), "value") != 0)
                lerr(l, x, "%s`passthrough` entry: unknown setting `%s` "
                    "(an entry has `key` and `value`)", ctx,
                    config_setting_name(x));
        }
        kn = config_setting_get_member(e, "key");
        vn = config_setting_get_member(e, "value");
        if (kn == NULL || vn == NULL) {
            lerr(l, e, "%s`passthrough` entry without `%s`", ctx,
                kn == NULL ? "key" : "value");
            continue;
        }
        if ((key = want_string(l, kn, ctx)) == NULL)
            continue;
        if (*key == '\0') {
            lerr(l, kn, "%s`passthrough` key must not be empty", ctx);
            continue;
        }
        if ((k = gale_keys_find_conf(key)) != NULL) {
            lerr(l, kn, "%sconfig key `%s` has a DSL name: set it as `%s`",
                ctx, key, k->name);
            continue;
        }
        gale_value_map_set(conf, key, to_value(vn));
    }
}

/* Reads a `config` group into conf: topology level, or a component's
 * (comp; ctx prefixes messages). */
static void
parse_config(loader_t *l, const config_setting_t *g, gale_value_t *conf,
    bool comp, const char *ctx)
{
    const gale_key_t *k;
    config_setting_t *m, *c;
    const char **names;
    const char *name;
    char *full;
    size_t n;
    int i, j;

    if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
        lerr(l, g, "%s`config` must be a group, not %s", ctx,
            setting_phrase(g));
        return;
    }
    for (i = 0; i < config_setting_length(g); i++) {
        m = config_setting_get_elem(g, (unsigned)i);
        name = config_setting_name(m);
        if (strcmp(name, "user") == 0) {
            if (config_setting_type(m) != CONFIG_TYPE_GROUP) {
                lerr(l, m, "%s`user` must be a group, not %s", ctx,
                    setting_phrase(m));
                continue;
            }
            for (j = 0; j < config_setting_length(m); j++) {
                c = config_setting_get_elem(m, (unsigned)j);
                gale_value_map_set(conf, config_setting_name(c),
                    to_value(c));
            }
            continue;
        }
        if (strcmp(name, "passthrough") == 0) {
            parse_passthrough(l, m, conf, ctx);
            continue;
        }
        if (!comp && strcmp(name, "checkpoint") == 0) {
            if (config_setting_type(m) != CONFIG_TYPE_GROUP) {
                lerr(l, m, "`checkpoint` must be a group, not %s",
                    setting_phrase(m));
                continue;
            }
            for (j = 0; j < config_setting_length(m); j++) {
                c = config_setting_get_elem(m, (unsigned)j);
                xasprintf(&full, "checkpoint.%s", config_setting_name(c));
                if ((k = gale_keys_find(full)) == NULL) {
                    static const char *const ck[] = { "interval_ms", "dir",
                        "timeout_ms", "min_pause_ms", "retain",
                        "tolerable_failures" };
                    unknown(l, c, "", "checkpoint key",
                        config_setting_name(c), ck, NELEM(ck));
                } else
                    set_key(l, c, k, conf, ctx);
                free(full);
            }
            continue;
        }
        k = gale_keys_find(name);
        if (k == NULL || strchr(k->name, '.') != NULL) {
            names = config_names(comp, &n);
            unknown(l, m, ctx, "config key", name, names, n);
            free(names);
            continue;
        }
        if (comp && !k->component) {
            lerr(l, m, "%sconfig key `%s` cannot be set per component "
                "(Storm applies only its component whitelist there)", ctx,
                name);
            continue;
        }
        if (!comp && strcmp(k->name, "guarantee") == 0)
            l->guarantee_set = true;
        set_key(l, m, k, conf, ctx);
    }
}

/* Applies the -c KEY=VALUE overrides to the topology conf. */
static void
apply_overrides(loader_t *l, gale_value_t *conf)
{
    const char *const *o;
    const char **names;
    const gale_key_t *k;
    const char *eq, *hint;
    gale_value_t *v;
    char *key, *cause = NULL;
    size_t i, n;

    if (l->opts == NULL || l->opts->overrides == NULL)
        return;
    for (o = l->opts->overrides; *o != NULL; o++) {
        if ((eq = strchr(*o, '=')) == NULL || eq == *o) {
            gale_diag_add(l->diag, NULL, 0,
                "-c %s: expected KEY=VALUE", *o);
            continue;
        }
        key = xstrndup(*o, (size_t)(eq - *o));
        if ((k = gale_keys_find_conf(key)) == NULL) {
            /* Storm takes any key with -c; a near miss of a known key is
             * a typo, not a new key. */
            n = gale_keys_count();
            names = xcalloc(n, sizeof(*names));
            for (i = 0; i < n; i++)
                names[i] = gale_keys_at(i)->conf;
            hint = gale_suggest(key, names, n);
            if (hint != NULL)
                gale_diag_add(l->diag, NULL, 0, "-c %s: unknown config key "
                    "`%s` (did you mean `%s`?)", *o, key, hint);
            else
                gale_value_map_set(conf, key, gale_keys_parse_value(eq + 1));
            free(names);
            free(key);
            continue;
        }
        if (strcmp(k->conf, "gale.guarantee") == 0)
            l->guarantee_set = true;
        v = gale_keys_parse_value(eq + 1);
        if (gale_keys_check(k, &v, &cause) != 0) {
            gale_diag_add(l->diag, NULL, 0, "-c %s: `%s` %s", *o, key,
                cause);
            free(cause);
            cause = NULL;
            gale_value_free(&v);
        } else
            gale_value_map_set(conf, k->conf, v);
        free(key);
    }
}

/* Storm's topology.acker.executors = 0 acks every tuple as it leaves the
 * spout: no guarantee at all. gale has no ackers; 0 means guarantee
 * "none" (no checkpoints), unless the file or -c sets the guarantee. */
static void
ackers_none(loader_t *l, gale_value_t *conf)
{
    const gale_value_t *v = gale_value_map_get(conf,
        "topology.acker.executors");

    if (v != NULL && v->type == GALE_INT && v->u.i == 0 && !l->guarantee_set)
        gale_value_map_set(conf, "gale.guarantee",
            gale_value_string("none", 4));
}

/* An integer from conf, or def when absent or not an integer. */
static int64_t
conf_int(const gale_value_t *conf, const char *key, int64_t def)
{
    const gale_value_t *v = gale_value_map_get(conf, key);

    return v != NULL && v->type == GALE_INT ? v->u.i : def;
}

/* Fills the topology's typed fields from its conf map. */
static void
derive(gale_topology_t *t)
{
    const gale_value_t *v;

    t->workers = (int)conf_int(t->conf, "topology.workers", 1);
    t->max_parallelism = (int)conf_int(t->conf, "gale.max.parallelism", 128);
    t->batch_size = (int)conf_int(t->conf, "gale.batch.size", 1024);
    t->batch_bytes = (size_t)conf_int(t->conf, "gale.batch.bytes", 65536);
    t->flush_interval_ms = (int)conf_int(t->conf,
        "topology.batch.flush.interval.millis", 5);
    t->queue_depth = (int)conf_int(t->conf, "gale.queue.depth", 4);
    t->checkpoint_interval_ms = (int)conf_int(t->conf,
        "topology.state.checkpoint.interval.ms", 1000);
    v = gale_value_map_get(t->conf, "gale.checkpoint.dir");
    t->checkpoint_dir = v != NULL && v->type == GALE_STRING ?
        xstrdup(v->u.s.ptr) : NULL;
    v = gale_value_map_get(t->conf, "topology.debug");
    t->debug = v != NULL && v->type == GALE_BOOL && v->u.b;
    v = gale_value_map_get(t->conf, "gale.guarantee");
    t->guarantee = GALE_GUARANTEE_EXACTLY_ONCE;
    if (v != NULL && v->type == GALE_STRING) {
        if (strcmp(v->u.s.ptr, "none") == 0)
            t->guarantee = GALE_GUARANTEE_NONE;
        else if (strcmp(v->u.s.ptr, "at_least_once") == 0)
            t->guarantee = GALE_GUARANTEE_AT_LEAST_ONCE;
    }
}

/* Reads the positive integer setting s into *out; reports otherwise. */
static int
want_positive(loader_t *l, const config_setting_t *s, const char *id,
    int *out)
{
    long long v;

    if (config_setting_type(s) != CONFIG_TYPE_INT &&
        config_setting_type(s) != CONFIG_TYPE_INT64) {
        lerr(l, s, "component `%s`: `%s` must be a positive integer, not %s",
            id, config_setting_name(s), setting_phrase(s));
        return -EINVAL;
    }
    v = config_setting_get_int64(s);
    if (v < 1 || v > INT_MAX) {
        lerr(l, s, "component `%s`: `%s` must be a positive integer, not %lld",
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
parse_decls(loader_t *l, gale_comp_t *c, const config_setting_t *list)
{
    config_setting_t *g, *m, *idset;
    gale_stream_decl_t *d;
    const char *id;
    char *ctx;
    int i, j;

    xasprintf(&ctx, "component `%s`: ", c->id);
    if (config_setting_type(list) != CONFIG_TYPE_LIST &&
        config_setting_type(list) != CONFIG_TYPE_ARRAY) {
        lerr(l, list, "%s`streams` must be a list of groups, not %s", ctx,
            setting_phrase(list));
        goto out;
    }
    for (i = 0; i < config_setting_length(list); i++) {
        g = config_setting_get_elem(list, (unsigned)i);
        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
            lerr(l, g, "%seach of `streams` must be a group", ctx);
            continue;
        }
        if ((idset = config_setting_get_member(g, "id")) == NULL) {
            lerr(l, g, "%sa declared stream has no `id`", ctx);
            continue;
        }
        if ((id = want_string(l, idset, ctx)) == NULL)
            continue;
        if (*id == '\0') {
            lerr(l, idset, "%sa stream `id` must not be empty", ctx);
            continue;
        }
        if (gale_comp_find_stream(c, id) >= 0) {
            lerr(l, idset, "%sstream `%s` is declared twice", ctx, id);
            continue;
        }
        d = add_decl(c, id, where_of(l, g));
        for (j = 0; j < config_setting_length(g); j++) {
            m = config_setting_get_elem(g, (unsigned)j);
            if (strcmp(config_setting_name(m), "id") == 0)
                continue;
            if (strcmp(config_setting_name(m), "fields") == 0)
                want_strings(l, m, ctx, &d->fields, &d->nfields);
            else if (strcmp(config_setting_name(m), "direct") == 0) {
                if (config_setting_type(m) != CONFIG_TYPE_BOOL)
                    lerr(l, m, "%s`direct` must be a boolean, not %s", ctx,
                        setting_phrase(m));
                else
                    d->direct = config_setting_get_bool(m);
            } else
                unknown(l, m, ctx, "stream key", config_setting_name(m),
                    decl_keys, NELEM(decl_keys));
        }
    }
out:
    free(ctx);
}

/* Checks the parameters of a "shell" component. */
static void
check_shell(loader_t *l, gale_comp_t *c, const config_setting_t *g,
    const char *ctx)
{
    config_setting_t *m;
    char **cmd;
    size_t n;
    int i;

    if ((m = config_setting_get_member(g, "command")) == NULL)
        lerr(l, g, "%smissing required parameter `command` of type `shell`",
            ctx);
    else if (want_strings(l, m, ctx, &cmd, &n) == 0 && n == 0) {
        lerr(l, m, "%s`command` must not be empty", ctx);
        free_strings(cmd, n);
    } else
        free_strings(cmd, n);
    for (i = 0; i < (int)c->params->u.map.len; i++) {
        const char *key = c->params->u.map.keys[i];

        m = config_setting_get_member(g, key);
        if (strcmp(key, "cwd") == 0)
            want_string(l, m, ctx);
        else if (strcmp(key, "env") == 0) {
            if (config_setting_type(m) != CONFIG_TYPE_GROUP)
                lerr(l, m, "%s`env` must be a group, not %s", ctx,
                    setting_phrase(m));
        } else if (strcmp(key, "command") != 0)
            unknown(l, m, ctx, "parameter", key, shell_keys,
                NELEM(shell_keys));
    }
}

/* Checks c's parameters against its type's specs. */
static void
check_params(loader_t *l, gale_comp_t *c, const config_setting_t *g,
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
                lerr(l, g, "%smissing required parameter `%s` of type `%s`",
                    ctx, p->name, c->type);
            continue;
        }
        if (p->type == GALE_NULL || v->type == p->type ||
            (p->type == GALE_DOUBLE && v->type == GALE_INT))
            continue;
        m = config_setting_get_member(g, p->name);
        lerr(l, m, "%sparameter `%s` must be %s, not %s", ctx, p->name,
            p->type == GALE_INT ? "an integer" :
            p->type == GALE_DOUBLE ? "a number" :
            p->type == GALE_BOOL ? "a boolean" :
            p->type == GALE_STRING ? "a string" :
            p->type == GALE_LIST ? "a list" :
            p->type == GALE_MAP ? "a group" : gale_type_name(p->type),
            setting_phrase(m));
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
            unknown(l, m, ctx, "setting", c->params->u.map.keys[i],
                names, n + NELEM(comp_keys));
        }
    }
    free(names);
}

/* Without a type to check parameters against, still reports a parameter
 * that looks like a misspelt component setting (`paralelism`). */
static void
check_typos(loader_t *l, gale_comp_t *c, const config_setting_t *g,
    const char *ctx)
{
    const char *key;
    size_t i;

    for (i = 0; i < c->params->u.map.len; i++) {
        key = c->params->u.map.keys[i];
        if (gale_suggest(key, comp_keys, NELEM(comp_keys)) != NULL)
            unknown(l, config_setting_get_member(g, key), ctx, "setting",
                key, comp_keys, NELEM(comp_keys));
    }
}

/* Resolves a path written in the file of setting s against that file's
 * directory. Caller frees. */
static char *
resolve_path(const loader_t *l, const config_setting_t *s, const char *p)
{
    gale_where_t w = where_of(l, s);
    const char *slash = strrchr(w.file, '/');
    char *out;

    if (p[0] == '/' || slash == NULL)
        return xstrdup(p);
    xasprintf(&out, "%.*s/%s", (int)(slash - w.file), w.file, p);
    return out;
}

/* Makes a shell component's `cwd` absolute, or relative to the cwd of
 * gale as `plugin` is: resolved against the directory of the file it is
 * written in. Without `cwd`, the child runs in that directory (Storm runs
 * it in the topology's resources/ dir, where the scripts are). */
static void
shell_cwd(const loader_t *l, gale_comp_t *c, const config_setting_t *g)
{
    const gale_value_t *v = gale_value_map_get(c->params, "cwd");
    const config_setting_t *m = config_setting_get_member(g, "cwd");
    char *dir;

    if (v != NULL && v->type == GALE_STRING && m != NULL)
        dir = resolve_path(l, m, v->u.s.ptr);
    else if (v == NULL)
        dir = resolve_path(l, g, ".");
    else
        return;
    gale_value_map_set(c->params, "cwd", gale_value_string(dir, strlen(dir)));
    free(dir);
}

/* Frees what component c owns and zeroes it. */
static void
comp_clear(gale_comp_t *c)
{
    size_t i;

    free(c->id);
    free(c->type);
    free(c->plugin);
    for (i = 0; i < c->nstreams; i++) {
        free(c->streams[i].id);
        free_strings(c->streams[i].fields, c->streams[i].nfields);
    }
    free(c->streams);
    gale_value_free(&c->params);
    gale_value_free(&c->conf);
    memset(c, 0, sizeof(*c));
}

/* Reads one spout or bolt group and appends it to the topology. */
static void
parse_comp(loader_t *l, const config_setting_t *g, gale_kind_t kind,
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
        lerr(l, g, "each of `%ss` must be a group, not %s", kname,
            setting_phrase(g));
        return;
    }
    if ((ids = config_setting_get_member(g, "id")) == NULL) {
        lerr(l, g, "a %s has no `id`", kname);
        return;
    }
    if ((s = want_string(l, ids, "")) == NULL)
        return;
    if (*s == '\0') {
        lerr(l, ids, "a %s has an empty `id`", kname);
        return;
    }
    c.id = xstrdup(s);
    c.kind = kind;
    c.parallelism = 1;
    c.where = where_of(l, g);
    c.params = gale_value_map();
    c.conf = gale_value_clone(t->conf);
    xasprintf(&ctx, "component `%s`: ", c.id);
    if ((types = config_setting_get_member(g, "type")) == NULL)
        lerr(l, g, "%sno `type`", ctx);
    else if ((s = want_string(l, types, ctx)) != NULL)
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
                lerr(l, m, "%s`direct` must be a boolean, not %s", ctx,
                    setting_phrase(m));
            else
                direct = config_setting_get_bool(m);
            directset = m;
        } else if (strcmp(name, "streams") == 0)
            continue;
        else if (strcmp(name, "config") == 0)
            parse_config(l, m, c.conf, true, ctx);
        else if (strcmp(name, "plugin") == 0) {
            if ((s = want_string(l, m, ctx)) != NULL)
                c.plugin = resolve_path(l, m, s);
        } else
            gale_value_map_set(c.params, name, to_value(m));
    }
    if (fieldsset != NULL) {
        d = add_decl(&c, "default", where_of(l, fieldsset));
        want_strings(l, fieldsset, ctx, &d->fields, &d->nfields);
        d->direct = direct;
    } else if (directset != NULL)
        lerr(l, directset, "%s`direct` applies to the default stream, which "
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
        lerr(l, config_setting_get_member(g, "tasks"), "%s`tasks` (%d) is "
            "fewer than `parallelism` (%d): every executor needs at least "
            "one task", ctx, c.ntasks, c.parallelism);
    if (c.ntasks > t->max_parallelism)
        lerr(l, config_setting_get_member(g, tasks_set ? "tasks" :
            "parallelism"), "%s%d tasks exceed max_parallelism (%d): each "
            "task owns at least one key group", ctx, c.ntasks,
            t->max_parallelism);
    c.tick_secs = (int)conf_int(c.conf, "topology.tick.tuple.freq.secs", 0);
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
            lerr(l, types, "%s%s", ctx, cause != NULL ? cause :
                "unknown component type");
        else if (c.def->kind != kind)
            lerr(l, types, "%stype `%s` is a %s, not a %s", ctx, c.type,
                c.def->kind == GALE_SPOUT ? "spout" : "bolt", kname);
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
static void
parse_comps(loader_t *l, const config_setting_t *list, gale_kind_t kind,
    int *seq)
{
    int i;

    if (config_setting_type(list) != CONFIG_TYPE_LIST &&
        config_setting_type(list) != CONFIG_TYPE_ARRAY) {
        lerr(l, list, "`%s` must be a list of groups, not %s",
            config_setting_name(list), setting_phrase(list));
        return;
    }
    for (i = 0; i < config_setting_length(list); i++)
        parse_comp(l, config_setting_get_elem(list, (unsigned)i), kind,
            (*seq)++);
}

/* Sorts components by id (file order among equal ids) and reports
 * duplicates. */
static void
sort_comps(loader_t *l)
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

/* Index of the component called by setting s, or -1 with a problem
 * reported. */
static int
find_comp(loader_t *l, const config_setting_t *s, const char *dir)
{
    const char **names, *hint, *id;
    size_t i;
    int idx;

    if ((id = want_string(l, s, "stream: ")) == NULL)
        return -1;
    if ((idx = gale_topology_find(l->t, id)) >= 0)
        return idx;
    names = xcalloc(l->t->ncomps + 1, sizeof(*names));
    for (i = 0; i < l->t->ncomps; i++)
        names[i] = l->t->comps[i].id;
    hint = gale_suggest(id, names, l->t->ncomps);
    if (hint != NULL)
        lerr(l, s, "stream %s unknown component `%s` (did you mean `%s`?)",
            dir, id, hint);
    else
        lerr(l, s, "stream %s unknown component `%s`", dir, id);
    free(names);
    return -1;
}

/* Reads a custom grouping's `custom` group into e. 0 or -EINVAL. */
static int
parse_custom(loader_t *l, gale_edge_t *e, const config_setting_t *g)
{
    config_setting_t *m;
    const char *s, *name;
    char *cause = NULL;
    int i, rc = 0;

    if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
        lerr(l, g, "stream: `custom` must be a group, not %s",
            setting_phrase(g));
        return -EINVAL;
    }
    for (i = 0; i < config_setting_length(g); i++) {
        m = config_setting_get_elem(g, (unsigned)i);
        name = config_setting_name(m);
        if (strcmp(name, "name") == 0) {
            if ((s = want_string(l, m, "stream: ")) != NULL)
                e->custom = xstrdup(s);
            else
                rc = -EINVAL;
        } else if (strcmp(name, "plugin") == 0) {
            if ((s = want_string(l, m, "stream: ")) != NULL)
                e->custom_plugin = resolve_path(l, m, s);
            else
                rc = -EINVAL;
        } else if (strcmp(name, "args") == 0) {
            if (config_setting_type(m) != CONFIG_TYPE_GROUP) {
                lerr(l, m, "stream: `args` must be a group, not %s",
                    setting_phrase(m));
                rc = -EINVAL;
            } else
                e->custom_args = to_value(m);
        } else {
            unknown(l, m, "stream: ", "custom grouping key", name,
                custom_keys, NELEM(custom_keys));
            rc = -EINVAL;
        }
    }
    if (e->custom == NULL) {
        if (rc == 0)
            lerr(l, g, "stream: custom grouping needs a `name`");
        return -EINVAL;
    }
    if (rc == 0 && l->opts != NULL && l->opts->lookup_grouping != NULL) {
        e->custom_def = l->opts->lookup_grouping(l->opts->lookup_arg,
            e->custom, e->custom_plugin, &cause);
        if (e->custom_def == NULL) {
            lerr(l, g, "stream: custom grouping `%s`: %s", e->custom,
                cause != NULL ? cause : "unknown grouping");
            rc = -EINVAL;
        }
        free(cause);
    }
    return rc;
}

/* Frees what edge e owns and zeroes it. */
static void
edge_clear(gale_edge_t *e)
{
    free(e->stream);
    free_strings(e->fields, e->nfields);
    free(e->field_idx);
    free(e->custom);
    free(e->custom_plugin);
    gale_value_free(&e->custom_args);
    memset(e, 0, sizeof(*e));
}

/* Reads one `streams` entry; appends it when it is sound. */
static void
parse_edge(loader_t *l, const config_setting_t *g)
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
        lerr(l, g, "each of `streams` must be a group, not %s",
            setting_phrase(g));
        return;
    }
    e.where = where_of(l, g);
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
                lerr(l, m, "stream to `%s`: it is a spout, and spouts "
                    "consume no streams", l->t->comps[e.to].id);
                bad = true;
            }
        } else if (strcmp(name, "stream") == 0) {
            if ((s = want_string(l, m, "stream: ")) == NULL)
                bad = true;
            else
                e.stream = xstrdup(s);
        } else if (strcmp(name, "grouping") == 0) {
            if ((s = want_string(l, m, "stream: ")) == NULL) {
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
                    lerr(l, m, "stream: unknown grouping `%s` (did you mean "
                        "`%s`?)", s, hint);
                else
                    lerr(l, m, "stream: unknown grouping `%s` (one of: "
                        "shuffle, fields, all, global, none, direct, "
                        "local_or_shuffle, partial_key, custom)", s);
                bad = true;
            } else
                e.grouping = (gale_grouping_t)k;
        } else if (strcmp(name, "fields") == 0) {
            fieldsset = m;
            if (want_strings(l, m, "stream: ", &e.fields, &e.nfields) != 0)
                bad = true;
        } else if (strcmp(name, "custom") == 0)
            customset = m;
        else if (strcmp(name, "name") != 0) {
            unknown(l, m, "stream: ", "stream key", name, edge_keys,
                NELEM(edge_keys));
            bad = true;
        }
    }
    if (config_setting_get_member(g, "from") == NULL)
        lerr(l, g, "stream: missing `from`");
    if (config_setting_get_member(g, "to") == NULL)
        lerr(l, g, "stream: missing `to`");
    if (config_setting_get_member(g, "grouping") == NULL)
        lerr(l, g, "stream: missing `grouping`");
    if (e.from < 0 || e.to < 0 || !have_grouping)
        bad = true;
    if (bad)
        goto drop;
    if (e.grouping == GALE_GROUPING_FIELDS ||
        e.grouping == GALE_GROUPING_PARTIAL_KEY) {
        if (e.nfields == 0) {
            lerr(l, fieldsset != NULL ? fieldsset : g, "stream: %s grouping "
                "needs a non-empty `fields` list",
                gale_grouping_name(e.grouping));
            goto drop;
        }
    } else if (fieldsset != NULL) {
        lerr(l, fieldsset, "stream: `fields` is only for the fields and "
            "partial_key groupings, not %s", gale_grouping_name(e.grouping));
        goto drop;
    }
    if (e.grouping == GALE_GROUPING_CUSTOM) {
        if (customset == NULL) {
            lerr(l, g, "stream: custom grouping needs `custom = { name = "
                "\"...\"; }`");
            goto drop;
        }
        if (parse_custom(l, &e, customset) != 0)
            goto drop;
    } else if (customset != NULL) {
        lerr(l, customset, "stream: `custom` is only for the custom "
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
    edge_clear(&e);
}

/* Reads the `streams` list. */
static void
parse_edges(loader_t *l, const config_setting_t *list)
{
    int i;

    if (config_setting_type(list) != CONFIG_TYPE_LIST &&
        config_setting_type(list) != CONFIG_TYPE_ARRAY) {
        lerr(l, list, "`streams` must be a list of groups, not %s",
            setting_phrase(list));
        return;
    }
    for (i = 0; i < config_setting_length(list); i++)
        parse_edge(l, config_setting_get_elem(list, (unsigned)i));
}

/* Reads the parsed tree into l->t. */
static void
parse_root(loader_t *l, const config_setting_t *root)
{
    gale_topology_t *t = l->t;
    config_setting_t *m;
    const gale_key_t *k;
    const char *s;
    size_t i;
    int seq = 0;

    for (i = 0; i < (size_t)config_setting_length(root); i++) {
        m = config_setting_get_elem(root, (unsigned)i);
        s = config_setting_name(m);
        if (strcmp(s, "name") != 0 && strcmp(s, "config") != 0 &&
            strcmp(s, "spouts") != 0 && strcmp(s, "bolts") != 0 &&
            strcmp(s, "streams") != 0)
            unknown(l, m, "", "top-level setting", s, top_keys,
                NELEM(top_keys));
    }
    if ((m = config_setting_get_member(root, "name")) == NULL)
        gale_diag_add(l->diag, t->path, 0, "missing `name`");
    else if ((s = want_string(l, m, "")) != NULL) {
        if (*s == '\0')
            lerr(l, m, "`name` must not be empty");
        t->name = xstrdup(s);
    }
    t->conf = gale_value_map();
    for (i = 0; i < gale_keys_count(); i++) {
        k = gale_keys_at(i);
        if (k->def != NULL)
            gale_value_map_set(t->conf, k->conf, gale_keys_default(k));
    }
    if (t->name != NULL)
        gale_value_map_set(t->conf, "topology.name",
            gale_value_string(t->name, strlen(t->name)));
    if ((m = config_setting_get_member(root, "config")) != NULL)
        parse_config(l, m, t->conf, false, "");
    apply_overrides(l, t->conf);
    ackers_none(l, t->conf);
    derive(t);
    if ((m = config_setting_get_member(root, "spouts")) != NULL)
        parse_comps(l, m, GALE_SPOUT, &seq);
    if ((m = config_setting_get_member(root, "bolts")) != NULL)
        parse_comps(l, m, GALE_BOLT, &seq);
    sort_comps(l);
    if ((m = config_setting_get_member(root, "streams")) != NULL)
        parse_edges(l, m);
}

gale_topology_t *
gale_topology_load_buffer(const char *path, const char *buf, size_t len,
    const gale_load_opts_t *opts, gale_diag_t *diag)
{
    loader_t l = { NULL, NULL, opts, diag, NULL, false };
    gale_props_t *props = NULL;
    const char *props_path = NULL, *file, *text;
    size_t before = gale_diag_count(diag);
    char *cause = NULL;
    config_t cfg;
    int line;

    config_init(&cfg);
    if (opts != NULL && opts->properties != NULL) {
        props_path = opts->properties;
        if ((props = gale_props_load(props_path, &cause)) == NULL) {
            gale_diag_add(diag, NULL, 0, "%s", cause);
            free(cause);
            goto fail;
        }
    }
    l.src = gale_source_new(path, buf, len, props, props_path, diag);
    if (l.src == NULL)
        goto fail;
    l.t = xcalloc(1, sizeof(*l.t));
    l.t->path = xstrdup(path);
    if (config_read_string(&cfg, gale_source_text(l.src)) != CONFIG_TRUE) {
        gale_source_where(l.src, config_error_line(&cfg), &file, &line);
        text = config_error_text(&cfg);
        if (text == NULL || strcmp(text, "syntax error") == 0)
            gale_diag_add(diag, file, line, "syntax error");
        else
            gale_diag_add(diag, file, line, "syntax error: %s", text);
        goto fail;
    }
    parse_root(&l, config_root_setting(&cfg));
    if (gale_diag_count(diag) == before)
        gale_validate_topology(l.t, diag);
    if (gale_diag_count(diag) != before)
        goto fail;
    l.t->files = gale_source_take_files(l.src, &l.t->nfiles);
    config_destroy(&cfg);
    gale_source_free(&l.src);
    gale_props_free(&props);
    free(l.seq);
    return l.t;
fail:
    if (l.t != NULL && l.src != NULL)
        l.t->files = gale_source_take_files(l.src, &l.t->nfiles);
    config_destroy(&cfg);
    gale_source_free(&l.src);
    gale_props_free(&props);
    gale_topology_free(&l.t);
    free(l.seq);
    return NULL;
}

gale_topology_t *
gale_topology_load(const char *path, const gale_load_opts_t *opts,
    gale_diag_t *diag)
{
    return gale_topology_load_buffer(path, NULL, 0, opts, diag);
}

void
gale_topology_free(gale_topology_t **tp)
{
    gale_topology_t *t;
    size_t i;

    if (tp == NULL || (t = *tp) == NULL)
        return;
    for (i = 0; i < t->ncomps; i++)
        comp_clear(&t->comps[i]);
    free(t->comps);
    for (i = 0; i < t->nedges; i++)
        edge_clear(&t->edges[i]);
    free(t->edges);
    gale_value_free(&t->conf);
    free_strings(t->files, t->nfiles);
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
