/* conf.c - the DSL's `config` sections and -c overrides (conf.h). */
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "topology/conf.h"
#include "topology/keys.h"
#include "topology/suggest.h"

/* Sets key k in conf from setting s, after checking it. */
static void
set_key(gale_reader_t *l, const config_setting_t *s, const gale_key_t *k,
    gale_value_t *conf, const char *ctx)
{
    gale_value_t *v = gale_reader_value(s);
    char *cause = NULL;

    if (gale_keys_check(k, &v, &cause) != 0) {
        gale_reader_error(l, s, "%sconfig key `%s` %s", ctx, k->name, cause);
        free(cause);
        gale_value_destroy(&v);
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
parse_passthrough(gale_reader_t *l, const config_setting_t *m,
    gale_value_t *conf, const char *ctx)
{
    const config_setting_t *e, *kn, *vn, *x;
    const gale_key_t *k;
    const char *key;
    int i, j;

    if (config_setting_type(m) != CONFIG_TYPE_LIST &&
        !(config_setting_type(m) == CONFIG_TYPE_ARRAY &&
          config_setting_length(m) == 0)) {
        gale_reader_error(l, m,
            "%s`passthrough` must be a list of { key; value; } "
            "groups, not %s", ctx, gale_reader_phrase(m));
        return;
    }
    for (i = 0; i < config_setting_length(m); i++) {
        e = config_setting_get_elem(m, (unsigned)i);
        if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
            gale_reader_error(l, e,
                "%s`passthrough` entries must be { key; value; } "
                "groups, not %s", ctx, gale_reader_phrase(e));
            continue;
        }
        for (j = 0; j < config_setting_length(e); j++) {
            x = config_setting_get_elem(e, (unsigned)j);
            if (strcmp(config_setting_name(x), "key") != 0 &&
                strcmp(config_setting_name(x), "value") != 0)
                gale_reader_error(l, x,
                    "%s`passthrough` entry: unknown setting `%s` "
                    "(an entry has `key` and `value`)", ctx,
                    config_setting_name(x));
        }
        kn = config_setting_get_member(e, "key");
        vn = config_setting_get_member(e, "value");
        if (kn == NULL || vn == NULL) {
            gale_reader_error(l, e, "%s`passthrough` entry without `%s`", ctx,
                kn == NULL ? "key" : "value");
            continue;
        }
        if ((key = gale_reader_string(l, kn, ctx)) == NULL)
            continue;
        if (*key == '\0') {
            gale_reader_error(l, kn, "%s`passthrough` key must not be empty",
                ctx);
            continue;
        }
        if ((k = gale_keys_find_conf(key)) != NULL) {
            gale_reader_error(l, kn,
                "%sconfig key `%s` has a DSL name: set it as `%s`",
                ctx, key, k->name);
            continue;
        }
        gale_value_map_set(conf, key, gale_reader_value(vn));
    }
}

/* Reads a `config` group into conf: topology level, or a component's
 * (comp; ctx prefixes messages). */
void
gale_conf_read(gale_reader_t *l, const config_setting_t *g, gale_value_t *conf,
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
        gale_reader_error(l, g, "%s`config` must be a group, not %s", ctx,
            gale_reader_phrase(g));
        return;
    }
    for (i = 0; i < config_setting_length(g); i++) {
        m = config_setting_get_elem(g, (unsigned)i);
        name = config_setting_name(m);
        if (strcmp(name, "user") == 0) {
            if (config_setting_type(m) != CONFIG_TYPE_GROUP) {
                gale_reader_error(l, m, "%s`user` must be a group, not %s",
                    ctx, gale_reader_phrase(m));
                continue;
            }
            for (j = 0; j < config_setting_length(m); j++) {
                c = config_setting_get_elem(m, (unsigned)j);
                gale_value_map_set(conf, config_setting_name(c),
                    gale_reader_value(c));
            }
            continue;
        }
        if (strcmp(name, "passthrough") == 0) {
            parse_passthrough(l, m, conf, ctx);
            continue;
        }
        if (!comp && strcmp(name, "checkpoint") == 0) {
            if (config_setting_type(m) != CONFIG_TYPE_GROUP) {
                gale_reader_error(l, m, "`checkpoint` must be a group, not %s",
                    gale_reader_phrase(m));
                continue;
            }
            for (j = 0; j < config_setting_length(m); j++) {
                c = config_setting_get_elem(m, (unsigned)j);
                xasprintf(&full, "checkpoint.%s", config_setting_name(c));
                if ((k = gale_keys_find(full)) == NULL) {
                    static const char *const ck[] = { "interval_ms", "dir",
                        "timeout_ms", "min_pause_ms", "retain",
                        "tolerable_failures" };
                    gale_reader_unknown(l, c, "", "checkpoint key",
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
            gale_reader_unknown(l, m, ctx, "config key", name, names, n);
            free(names);
            continue;
        }
        if (comp && !k->component) {
            gale_reader_error(l, m,
                "%sconfig key `%s` cannot be set per component "
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
void
gale_conf_overrides(gale_reader_t *l, gale_value_t *conf)
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
            gale_value_destroy(&v);
        } else
            gale_value_map_set(conf, k->conf, v);
        free(key);
    }
}

/* Storm's topology.acker.executors = 0 acks every tuple as it leaves the
 * spout: no guarantee at all. gale has no ackers; 0 means guarantee
 * "none" (no checkpoints), unless the file or -c sets the guarantee. */
void
gale_conf_ackers(gale_reader_t *l, gale_value_t *conf)
{
    const gale_value_t *v = gale_value_map_get(conf,
        "topology.acker.executors");

    if (v != NULL && v->type == GALE_INT && v->u.i == 0 && !l->guarantee_set)
        gale_value_map_set(conf, "gale.guarantee",
            gale_value_string("none", 4));
}

/* An integer from conf, or def when absent or not an integer. */
int64_t
gale_conf_int(const gale_value_t *conf, const char *key, int64_t def)
{
    const gale_value_t *v = gale_value_map_get(conf, key);

    return v != NULL && v->type == GALE_INT ? v->u.i : def;
}

/* Fills the topology's typed fields from its conf map. */
void
gale_conf_derive(gale_topology_t *t)
{
    const gale_value_t *v;

    t->workers = (int)gale_conf_int(t->conf, "topology.workers", 1);
    t->max_parallelism = (int)gale_conf_int(t->conf, "gale.max.parallelism",
        128);
    t->batch_size = (int)gale_conf_int(t->conf, "gale.batch.size", 8192);
    t->batch_bytes = (size_t)gale_conf_int(t->conf, "gale.batch.bytes", 65536);
    t->flush_interval_ms = (int)gale_conf_int(t->conf,
        "topology.batch.flush.interval.millis", 5);
    t->queue_depth = (int)gale_conf_int(t->conf, "gale.queue.depth", 4);
    t->combine_entries = (int)gale_conf_int(t->conf, "gale.combine.entries",
        8192);
    t->combine_interval_ms = (int)gale_conf_int(t->conf,
        "gale.combine.interval.ms", t->flush_interval_ms);
    t->checkpoint_interval_ms = (int)gale_conf_int(t->conf,
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
