/* convert.c - Flux YAML -> gale DSL (convert.h). */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/xalloc.h"
#include "compat/flux/classes.h"
#include "compat/flux/convert.h"
#include "compat/flux/dslwriter.h"
#include "compat/flux/subst.h"
#include "compat/flux/yamldoc.h"
#include "topology/keys.h"
#include "topology/props.h"
#include "topology/suggest.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
/* Larger files are refused rather than read into memory. */
#define MAX_FILE (16 * 1024 * 1024)

static const char *const top_keys[] = { "name", "config", "components",
    "spouts", "bolts", "streams", "workerHooks", "includes",
    "topologySource" };
static const char *const bean_keys[] = { "id", "className",
    "constructorArgs", "properties", "configMethods", "factory",
    "factoryArgs" };
static const char *const vertex_keys[] = { "id", "className",
    "constructorArgs", "properties", "configMethods", "factory",
    "factoryArgs", "parallelism", "numTasks", "onHeapMemoryLoad",
    "offHeapMemoryLoad", "cpuLoad", "config" };
static const char *const stream_keys[] = { "name", "from", "to",
    "grouping" };
static const char *const grouping_keys[] = { "type", "streamId", "args",
    "customClass" };
static const char *const include_keys[] = { "resource", "file",
    "override" };
static const char *const source_keys[] = { "className", "methodName",
    "constructorArgs", "properties", "configMethods", "factory",
    "factoryArgs", "id" };
static const char *const method_keys[] = { "name", "args" };

/* A list of YAML nodes (borrowed from the documents). */
typedef struct nvec {
    const gale_ynode_t **v;         /* owned array */
    size_t n;                       /* entries */
} nvec_t;

/* A config group being built: DSL names in `dsl` (with the checkpoint
 * subgroup), keys of the user's own in `user`, the rest in `pass`. */
typedef struct cfg {
    gale_value_t *dsl;              /* MAP, DSL name -> value */
    gale_value_t *ckpt;             /* MAP, checkpoint key -> value */
    gale_value_t *user;             /* MAP, user key -> value */
    gale_value_t *pass;             /* MAP, dotted conf key -> value */
} cfg_t;

/* An output stream a converted component declares. */
typedef struct decl {
    char *id;                       /* stream id */
    gale_value_t *fields;           /* LIST of strings */
    bool direct;                    /* a DIRECT grouping consumes it */
} decl_t;

/* A converted spout or bolt. */
typedef struct ocomp {
    const gale_ynode_t *node;       /* its Flux definition */
    const char *id;                 /* borrowed from node */
    gale_kind_t kind;
    const gale_flux_class_t *cls;   /* NULL: refused (an error is out) */
    gale_value_t *cmd;              /* shell: LIST of strings, or NULL */
    gale_value_t *env;              /* shell: MAP, or NULL */
    decl_t *decls;                  /* declared streams */
    size_t ndecls;
    cfg_t cfg;                      /* component config */
    long long parallelism;          /* 0: not given */
    long long tasks;                /* 0: not given */
    char **notes;                   /* comments for the output */
    size_t nnotes;
    bool fed;                       /* a stream targets it */
    char *key;                      /* key_from_input: the key field */
} ocomp_t;

/* A converted stream. */
typedef struct ostream {
    const gale_ynode_t *node;       /* its Flux definition */
    int from, to;                   /* indexes into oc */
    char *stream;                   /* NULL: default */
    const char *grouping;           /* DSL name */
    gale_value_t *fields;           /* LIST, or NULL */
    char *name;                     /* Flux's label, or NULL */
} ostream_t;

typedef struct conv {
    gale_diag_t *errs;              /* borrowed */
    gale_diag_t *warns;             /* borrowed */
    gale_props_t *props;            /* owned, or NULL */
    const char *props_path;         /* borrowed, or NULL */
    gale_ydoc_t **docs;             /* owned documents (main + includes) */
    size_t ndocs;
    const gale_ynode_t *name;       /* the name node in effect */
    nvec_t ckeys, cvals;            /* config entries in effect */
    nvec_t comps, spouts, bolts, streams, hooks;
    const gale_ynode_t *tsource;    /* topologySource, or NULL */
    ocomp_t *oc;                    /* spouts then bolts */
    size_t noc;
    ostream_t *os;
    size_t nos;
    cfg_t cfg;                      /* topology config */
    nvec_t dropped;                 /* unfed bolts (for comments) */
} conv_t;

/* Reports an error at node n. */
static void __attribute__((format(printf, 3, 4)))
err(conv_t *c, const gale_ynode_t *n, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    gale_diag_vadd(c->errs, n->file, n->line, fmt, ap);
    va_end(ap);
}

/* Reports a warning at node n. */
static void __attribute__((format(printf, 3, 4)))
warn(conv_t *c, const gale_ynode_t *n, const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        abort();
    va_end(ap);
    gale_diag_add(c->warns, n->file, n->line, "warning: %s", s);
    free(s);
}

static void
nvec_add(nvec_t *v, const gale_ynode_t *n)
{
    v->v = xreallocarray(v->v, v->n + 1, sizeof(*v->v));
    v->v[v->n++] = n;
}

/* Reports every key of map m not in keys[nkeys]; ctx prefixes. */
static void
check_keys(conv_t *c, const gale_ynode_t *m, const char *ctx,
    const char *const *keys, size_t nkeys)
{
    const char *hint;
    size_t i, j;

    for (i = 0; i < m->n; i++) {
        for (j = 0; j < nkeys; j++)
            if (strcmp(m->keys[i]->text, keys[j]) == 0)
                break;
        if (j < nkeys)
            continue;
        hint = gale_suggest(m->keys[i]->text, keys, nkeys);
        if (hint != NULL)
            err(c, m->keys[i], "%sunknown Flux key `%s` (did you mean "
                "`%s`?)", ctx, m->keys[i]->text, hint);
        else
            err(c, m->keys[i], "%sunknown Flux key `%s`", ctx,
                m->keys[i]->text);
    }
}

/* The text of scalar n, or NULL after reporting that `what` must be one. */
static const char *
want_scalar(conv_t *c, const gale_ynode_t *n, const char *ctx,
    const char *what)
{
    if (n->kind != GALE_Y_SCALAR || gale_ynode_is_null(n)) {
        err(c, n, "%s`%s` must be a string, not %s", ctx, what,
            gale_ynode_phrase(n));
        return NULL;
    }
    return n->text;
}

/* Reads the integer n into *out (at least min); reports otherwise. */
static int
want_int(conv_t *c, const gale_ynode_t *n, const char *ctx, const char *what,
    long long min, long long *out)
{
    gale_value_t *v = gale_ynode_value(n);
    int rc = -EINVAL;

    if (v->type != GALE_INT && n->kind == GALE_Y_SCALAR)
        err(c, n, "%s`%s` must be an integer, not `%s`", ctx, what, n->text);
    else if (v->type != GALE_INT)
        err(c, n, "%s`%s` must be an integer, not %s", ctx, what,
            gale_ynode_phrase(n));
    else if (v->u.i < min || v->u.i > INT_MAX)
        err(c, n, "%s`%s` must be between %lld and %d, not %lld", ctx, what,
            min, INT_MAX, (long long)v->u.i);
    else {
        *out = v->u.i;
        rc = 0;
    }
    gale_value_free(&v);
    return rc;
}

/* A boolean node's value into *out; reports otherwise. */
static int
want_bool(conv_t *c, const gale_ynode_t *n, const char *ctx,
    const char *what, bool *out)
{
    gale_value_t *v = gale_ynode_value(n);
    int rc = -EINVAL;

    if (v->type != GALE_BOOL)
        err(c, n, "%s`%s` must be true or false", ctx, what);
    else {
        *out = v->u.b;
        rc = 0;
    }
    gale_value_free(&v);
    return rc;
}

/* Converts a list of scalars into a LIST of strings; reports otherwise
 * (refs included: gale has no Java objects to pass). */
static gale_value_t *
want_strings(conv_t *c, const gale_ynode_t *n, const char *ctx,
    const char *what)
{
    gale_value_t *v;
    size_t i;

    if (n->kind != GALE_Y_SEQ) {
        if (n->kind == GALE_Y_MAP && (gale_ynode_get(n, "ref") != NULL ||
            gale_ynode_get(n, "reflist") != NULL))
            err(c, n, "%s%s: a `ref` to a Java object has no gale "
                "equivalent; write the list itself", ctx, what);
        else
            err(c, n, "%s%s must be a list of strings, not %s", ctx, what,
                gale_ynode_phrase(n));
        return NULL;
    }
    v = gale_value_list();
    for (i = 0; i < n->n; i++) {
        if (n->items[i]->kind != GALE_Y_SCALAR ||
            gale_ynode_is_null(n->items[i])) {
            err(c, n->items[i], "%s%s must be a list of strings, not a list "
                "holding %s", ctx, what, gale_ynode_phrase(n->items[i]));
            gale_value_free(&v);
            return NULL;
        }
        gale_value_list_append(v, gale_value_string(n->items[i]->text,
            n->items[i]->len));
    }
    return v;
}

/* Reads and substitutes the file at path (or buf) and parses it. Returns
 * its root (may be NULL for an empty file; *ok says whether it loaded). */
static const gale_ynode_t *
load_doc(conv_t *c, const char *path, const char *buf, size_t len,
    const gale_ynode_t *from, bool *ok)
{
    char *data = NULL, *text, *cause = NULL;
    size_t tlen, n = 0;
    gale_ydoc_t *d;
    struct stat st;
    FILE *fp = NULL;

    *ok = false;
    if (buf == NULL) {
        if ((fp = fopen(path, "rb")) == NULL || fstat(fileno(fp), &st) != 0) {
            if (from != NULL)
                err(c, from, "cannot open include file `%s`: %s", path,
                    strerror(errno));
            else
                gale_diag_add(c->errs, path, 0, "cannot open: %s",
                    strerror(errno));
            goto out;
        }
        if (!S_ISREG(st.st_mode) || st.st_size > MAX_FILE) {
            gale_diag_add(c->errs, path, 0, "not a regular file of at most "
                "%d bytes", MAX_FILE);
            goto out;
        }
        data = xmalloc((size_t)st.st_size + 1);
        n = fread(data, 1, (size_t)st.st_size, fp);
        if (ferror(fp)) {
            gale_diag_add(c->errs, path, 0, "cannot read: %s",
                strerror(errno));
            goto out;
        }
        buf = data;
        len = n;
    }
    if ((text = gale_flux_subst(path, buf, len, c->props, c->props_path,
        c->errs, &tlen)) == NULL)
        goto out;
    d = gale_ydoc_parse(path, text, tlen, &cause);
    free(text);
    if (d == NULL) {
        gale_diag_add(c->errs, NULL, 0, "%s", cause);
        free(cause);
        goto out;
    }
    c->docs = xreallocarray(c->docs, c->ndocs + 1, sizeof(*c->docs));
    c->docs[c->ndocs++] = d;
    *ok = true;
out:
    if (fp != NULL)
        fclose(fp);
    free(data);
    return *ok ? gale_ydoc_root(c->docs[c->ndocs - 1]) : NULL;
}

/* The id of a bean or vertex def, or NULL after reporting. */
static const char *
def_id(conv_t *c, const gale_ynode_t *d, const char *what)
{
    const gale_ynode_t *id;

    if (d->kind != GALE_Y_MAP) {
        err(c, d, "each of `%s` must be a mapping, not %s", what,
            gale_ynode_phrase(d));
        return NULL;
    }
    if ((id = gale_ynode_get(d, "id")) == NULL) {
        err(c, d, "%s entry without an `id`", what);
        return NULL;
    }
    return want_scalar(c, id, "", "id");
}

/* Merges a list of defs (`spouts`, `bolts` or `components`) into v, by
 * id: an included file's def replaces one of the same id only when
 * override is true (Flux's addAll...). */
static void
merge_defs(conv_t *c, nvec_t *v, const gale_ynode_t *list, const char *what,
    bool included, bool override)
{
    const char *id, *other;
    size_t i, j;

    if (list->kind != GALE_Y_SEQ) {
        if (!gale_ynode_is_null(list))
            err(c, list, "`%s` must be a list, not %s", what,
                gale_ynode_phrase(list));
        return;
    }
    for (i = 0; i < list->n; i++) {
        if ((id = def_id(c, list->items[i], what)) == NULL)
            continue;
        for (j = 0; j < v->n; j++) {
            other = gale_ynode_get(v->v[j], "id")->text;
            if (strcmp(other, id) == 0)
                break;
        }
        if (j == v->n)
            nvec_add(v, list->items[i]);
        else if (!included)
            err(c, list->items[i], "duplicate %s id `%s` (first defined at "
                "%s:%d)", what, id, v->v[j]->file, v->v[j]->line);
        else if (override)
            v->v[j] = list->items[i];
        else
            warn(c, list->items[i], "%s `%s` of the include is ignored: "
                "%s:%d defines it and `override` is false", what, id,
                v->v[j]->file, v->v[j]->line);
    }
}

/* Takes the elements of one Flux document (the main file, or an included
 * one) into c, as FluxParser.applyIncludes merges them. */
static void
collect(conv_t *c, const gale_ynode_t *root, const char *file,
    bool included, bool override)
{
    const gale_ynode_t *m, *k, *v;
    size_t i, j;

    if (root == NULL || root->kind != GALE_Y_MAP) {
        if (root == NULL)
            gale_diag_add(c->errs, file, 0, "empty Flux file");
        else
            err(c, root, "a Flux file must be a mapping, not %s",
                gale_ynode_phrase(root));
        return;
    }
    check_keys(c, root, "", top_keys, NELEM(top_keys));
    if ((m = gale_ynode_get(root, "name")) != NULL &&
        (!included || override || c->name == NULL))
        c->name = m;
    if ((m = gale_ynode_get(root, "config")) != NULL) {
        if (m->kind != GALE_Y_MAP) {
            if (!gale_ynode_is_null(m))
                err(c, m, "`config` must be a mapping, not %s",
                    gale_ynode_phrase(m));
        } else {
            for (i = 0; i < m->n; i++) {
                k = m->keys[i];
                v = m->items[i];
                for (j = 0; j < c->ckeys.n; j++)
                    if (strcmp(c->ckeys.v[j]->text, k->text) == 0)
                        break;
                if (j == c->ckeys.n) {
                    nvec_add(&c->ckeys, k);
                    nvec_add(&c->cvals, v);
                } else if (override) {
                    c->ckeys.v[j] = k;
                    c->cvals.v[j] = v;
                } else
                    warn(c, k, "config `%s` of the include is ignored: "
                        "%s:%d sets it and `override` is false", k->text,
                        c->ckeys.v[j]->file, c->ckeys.v[j]->line);
            }
        }
    }
    if ((m = gale_ynode_get(root, "components")) != NULL)
        merge_defs(c, &c->comps, m, "component", included, override);
    if ((m = gale_ynode_get(root, "spouts")) != NULL)
        merge_defs(c, &c->spouts, m, "spout", included, override);
    if ((m = gale_ynode_get(root, "bolts")) != NULL)
        merge_defs(c, &c->bolts, m, "bolt", included, override);
    if ((m = gale_ynode_get(root, "streams")) != NULL) {
        if (m->kind == GALE_Y_SEQ)
            for (i = 0; i < m->n; i++)
                nvec_add(&c->streams, m->items[i]);
        else if (!gale_ynode_is_null(m))
            err(c, m, "`streams` must be a list, not %s",
                gale_ynode_phrase(m));
    }
    if ((m = gale_ynode_get(root, "workerHooks")) != NULL) {
        if (m->kind == GALE_Y_SEQ)
            for (i = 0; i < m->n; i++)
                nvec_add(&c->hooks, m->items[i]);
        else if (!gale_ynode_is_null(m))
            err(c, m, "`workerHooks` must be a list, not %s",
                gale_ynode_phrase(m));
    }
    if ((m = gale_ynode_get(root, "topologySource")) != NULL)
        c->tsource = m;
    if (included && (m = gale_ynode_key(root, "includes")) != NULL)
        err(c, m, "`includes` inside an included file: Flux ignores them "
            "(includes are not recursive), gale refuses them");
}

/* Applies the main file's `includes` list. */
static void
apply_includes(conv_t *c, const gale_ynode_t *list, const char *mainpath)
{
    const gale_ynode_t *inc, *f, *r, *o, *root;
    bool resource = false, override = false, ok;
    const char *file, *slash;
    char *path;
    size_t i;

    if (list->kind != GALE_Y_SEQ) {
        if (!gale_ynode_is_null(list))
            err(c, list, "`includes` must be a list, not %s",
                gale_ynode_phrase(list));
        return;
    }
    for (i = 0; i < list->n; i++) {
        inc = list->items[i];
        if (inc->kind != GALE_Y_MAP) {
            err(c, inc, "each of `includes` must be a mapping, not %s",
                gale_ynode_phrase(inc));
            continue;
        }
        check_keys(c, inc, "include: ", include_keys, NELEM(include_keys));
        resource = override = false;
        if ((r = gale_ynode_get(inc, "resource")) != NULL &&
            want_bool(c, r, "include: ", "resource", &resource) != 0)
            continue;
        if ((o = gale_ynode_get(inc, "override")) != NULL &&
            want_bool(c, o, "include: ", "override", &override) != 0)
            continue;
        if ((f = gale_ynode_get(inc, "file")) == NULL) {
            err(c, inc, "include without a `file`");
            continue;
        }
        if ((file = want_scalar(c, f, "include: ", "file")) == NULL)
            continue;
        if (resource) {
            err(c, r, "include `%s`: a classpath resource cannot be read "
                "(gale has no Java classpath); extract it and include it "
                "as a file (resource: false)", file);
            continue;
        }
        slash = strrchr(mainpath, '/');
        if (file[0] == '/' || slash == NULL)
            path = xstrdup(file);
        else
            xasprintf(&path, "%.*s/%s", (int)(slash - mainpath), mainpath,
                file);
        root = load_doc(c, path, NULL, 0, f, &ok);
        if (ok)
            collect(c, root, path, true, override);
        free(path);
    }
}

/* Adds Storm conf key `key` = node v to cfg (a component's when comp). */
static void
cfg_add(conv_t *c, cfg_t *cfg, const gale_ynode_t *kn, const char *key,
    const gale_ynode_t *vn, bool comp, const char *ctx)
{
    gale_value_t *v = gale_ynode_value(vn);
    const gale_key_t *k;
    char *cause = NULL;

    if (v->type == GALE_NULL) {
        err(c, vn, "%sconfig `%s`: null has no DSL spelling; leave the key "
            "out for Storm's default", ctx, key);
        goto out;
    }
    if ((k = gale_keys_find_conf(key)) != NULL) {
        if (comp && !k->component) {
            err(c, kn, "%sconfig `%s` cannot be set per component (Storm "
                "strips it from a component's conf)", ctx, key);
            goto out;
        }
        if (gale_keys_check(k, &v, &cause) != 0) {
            err(c, vn, "%sconfig `%s` %s", ctx, key, cause);
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
    gale_value_free(&v);
}

static void
cfg_init(cfg_t *cfg)
{
    cfg->dsl = gale_value_map();
    cfg->ckpt = gale_value_map();
    cfg->user = gale_value_map();
    cfg->pass = gale_value_map();
}

static void
cfg_clear(cfg_t *cfg)
{
    gale_value_free(&cfg->dsl);
    gale_value_free(&cfg->ckpt);
    gale_value_free(&cfg->user);
    gale_value_free(&cfg->pass);
}

/* Adds (or replaces) declared stream id of o. */
static void
decl_set(ocomp_t *o, const char *id, gale_value_t *fields)
{
    size_t i;

    for (i = 0; i < o->ndecls; i++) {
        if (strcmp(o->decls[i].id, id) == 0) {
            gale_value_free(&o->decls[i].fields);
            o->decls[i].fields = fields;
            return;
        }
    }
    o->decls = xreallocarray(o->decls, o->ndecls + 1, sizeof(*o->decls));
    o->decls[o->ndecls].id = xstrdup(id);
    o->decls[o->ndecls].fields = fields;
    o->decls[o->ndecls].direct = false;
    o->ndecls++;
}

static void
note(ocomp_t *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Adds a comment line to o's output. */
static void
note(ocomp_t *o, const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        abort();
    va_end(ap);
    o->notes = xreallocarray(o->notes, o->nnotes + 1, sizeof(*o->notes));
    o->notes[o->nnotes++] = s;
}

/* Reads a per-component `config` mapping (Storm's master-only vertex
 * config) into o's cfg. */
static void
vertex_config(conv_t *c, ocomp_t *o, const gale_ynode_t *m, const char *ctx)
{
    size_t i;

    if (m->kind != GALE_Y_MAP) {
        if (!gale_ynode_is_null(m))
            err(c, m, "%s`config` must be a mapping, not %s", ctx,
                gale_ynode_phrase(m));
        return;
    }
    for (i = 0; i < m->n; i++)
        cfg_add(c, &o->cfg, m->keys[i], m->keys[i]->text, m->items[i], true,
            ctx);
}

/* The args list of a configMethod, checked to have n entries. */
static const gale_ynode_t *
method_args(conv_t *c, const gale_ynode_t *meth, const char *name, size_t n,
    const char *ctx)
{
    const gale_ynode_t *a = gale_ynode_get(meth, "args");

    if (a == NULL || a->kind != GALE_Y_SEQ || a->n != n) {
        err(c, a != NULL ? a : meth, "%sconfigMethod `%s` takes %zu "
            "argument%s", ctx, name, n, n == 1 ? "" : "s");
        return NULL;
    }
    return a;
}

/* The configMethods of a FluxShellSpout/FluxShellBolt. */
static void
shell_methods(conv_t *c, ocomp_t *o, const gale_ynode_t *list,
    const char *ctx)
{
    static const char *const known[] = { "setDefaultStream",
        "setNamedStream", "addComponentConfig", "setEnv", "changeChildCWD" };
    const gale_ynode_t *m, *nm, *a;
    const char *name, *hint, *sid, *key;
    gale_value_t *fields, *v;
    bool b;
    size_t i, j;

    if (list->kind != GALE_Y_SEQ) {
        err(c, list, "%s`configMethods` must be a list, not %s", ctx,
            gale_ynode_phrase(list));
        return;
    }
    for (i = 0; i < list->n; i++) {
        m = list->items[i];
        if (m->kind != GALE_Y_MAP) {
            err(c, m, "%seach configMethod must be a mapping", ctx);
            continue;
        }
        check_keys(c, m, ctx, method_keys, NELEM(method_keys));
        if ((nm = gale_ynode_get(m, "name")) == NULL) {
            err(c, m, "%sconfigMethod without a `name`", ctx);
            continue;
        }
        if ((name = want_scalar(c, nm, ctx, "name")) == NULL)
            continue;
        if (strcmp(name, "setDefaultStream") == 0) {
            if ((a = method_args(c, m, name, 1, ctx)) != NULL &&
                (fields = want_strings(c, a->items[0], ctx,
                "setDefaultStream's fields")) != NULL)
                decl_set(o, "default", fields);
        } else if (strcmp(name, "setNamedStream") == 0) {
            if ((a = method_args(c, m, name, 2, ctx)) == NULL ||
                (sid = want_scalar(c, a->items[0], ctx,
                "setNamedStream's stream")) == NULL)
                continue;
            if ((fields = want_strings(c, a->items[1], ctx,
                "setNamedStream's fields")) != NULL)
                decl_set(o, sid, fields);
        } else if (strcmp(name, "addComponentConfig") == 0) {
            if ((a = method_args(c, m, name, 2, ctx)) != NULL &&
                (key = want_scalar(c, a->items[0], ctx,
                "addComponentConfig's key")) != NULL)
                cfg_add(c, &o->cfg, a->items[0], key, a->items[1], true,
                    ctx);
        } else if (strcmp(name, "setEnv") == 0) {
            if ((a = method_args(c, m, name, 1, ctx)) == NULL)
                continue;
            if (a->items[0]->kind != GALE_Y_MAP) {
                err(c, a->items[0], "%ssetEnv takes a mapping of variables",
                    ctx);
                continue;
            }
            if (o->env == NULL)
                o->env = gale_value_map();
            for (j = 0; j < a->items[0]->n; j++) {
                const gale_ynode_t *ev = a->items[0]->items[j];

                if (ev->kind != GALE_Y_SCALAR || gale_ynode_is_null(ev) ||
                    !gale_dslw_is_name(a->items[0]->keys[j]->text)) {
                    err(c, ev, "%ssetEnv: variable `%s` must be a name with "
                        "a string value", ctx, a->items[0]->keys[j]->text);
                    continue;
                }
                gale_value_map_set(o->env, a->items[0]->keys[j]->text,
                    gale_value_string(ev->text, ev->len));
            }
        } else if (strcmp(name, "changeChildCWD") == 0) {
            if ((a = method_args(c, m, name, 1, ctx)) != NULL &&
                want_bool(c, a->items[0], ctx, "changeChildCWD", &b) == 0)
                note(o, "changeChildCWD(%s): Storm runs the command in %s",
                    b ? "true" : "false", b ? "the topology's resources/ "
                    "directory" : "the worker's directory");
        } else {
            hint = gale_suggest(name, known, NELEM(known));
            err(c, nm, "%sconfigMethod `%s` has no gale equivalent (a shell "
                "component takes %s)%s%s%s", ctx, name, "setDefaultStream, "
                "setNamedStream, addComponentConfig, setEnv and "
                "changeChildCWD", hint != NULL ? " (did you mean `" : "",
                hint != NULL ? hint : "", hint != NULL ? "`?)" : "");
        }
        (void)v;
    }
}

/* Converts one spout or bolt def. */
static void
convert_vertex(conv_t *c, const gale_ynode_t *d, gale_kind_t kind)
{
    const char *kname = kind == GALE_SPOUT ? "spout" : "bolt", *cls, *f;
    const gale_ynode_t *n, *ca;
    ocomp_t *o;
    char *ctx, *fl, *tok, *save;
    gale_value_t *fields;
    bool distributed;
    size_t i;

    c->oc = xreallocarray(c->oc, c->noc + 1, sizeof(*c->oc));
    o = &c->oc[c->noc++];
    memset(o, 0, sizeof(*o));
    o->node = d;
    o->id = gale_ynode_get(d, "id")->text;
    o->kind = kind;
    cfg_init(&o->cfg);
    xasprintf(&ctx, "%s `%s`: ", kname, o->id);
    check_keys(c, d, ctx, vertex_keys, NELEM(vertex_keys));
    if ((n = gale_ynode_get(d, "parallelism")) != NULL)
        want_int(c, n, ctx, "parallelism", 1, &o->parallelism);
    if ((n = gale_ynode_get(d, "numTasks")) != NULL)
        want_int(c, n, ctx, "numTasks", 1, &o->tasks);
    if (o->tasks > 0 && o->tasks < (o->parallelism > 0 ? o->parallelism : 1)) {
        warn(c, n, "%snumTasks (%lld) is fewer than parallelism (%lld): "
            "Storm runs one executor per task, so parallelism becomes %lld",
            ctx, o->tasks, o->parallelism, o->tasks);
        note(o, "Flux parallelism %lld capped to numTasks", o->parallelism);
        o->parallelism = o->tasks;
    }
    for (i = 0; i < 3; i++) {
        static const char *const res[] = { "onHeapMemoryLoad",
            "offHeapMemoryLoad", "cpuLoad" };

        if ((n = gale_ynode_get(d, res[i])) != NULL) {
            warn(c, n, "%s`%s` (resource-aware scheduling) has no effect in "
                "gale", ctx, res[i]);
            note(o, "Flux %s: %s (resource-aware scheduling; no effect in "
                "gale)", res[i], n->kind == GALE_Y_SCALAR ? n->text : "...");
        }
    }
    if ((n = gale_ynode_get(d, "config")) != NULL)
        vertex_config(c, o, n, ctx);
    if ((n = gale_ynode_get(d, "className")) == NULL) {
        err(c, d, "%smissing `className`", ctx);
        goto out;
    }
    if ((cls = want_scalar(c, n, ctx, "className")) == NULL)
        goto out;
    if ((o->cls = gale_flux_class_find(cls)) == NULL) {
        err(c, n, "%sJava class `%s` has no gale equivalent (docs/flux.md "
            "lists the classes that convert; write it as a FluxShell%s or a "
            "gale plugin)", ctx, cls, kind == GALE_SPOUT ? "Spout" : "Bolt");
        goto out;
    }
    if (o->cls->kind != kind) {
        err(c, n, "%s`%s` is a %s, not a %s", ctx, cls,
            o->cls->kind == GALE_SPOUT ? "spout" : "bolt", kname);
        o->cls = NULL;
        goto out;
    }
    if ((n = gale_ynode_key(d, "factory")) != NULL)
        err(c, n, "%s`factory` (a static Java factory method) has no gale "
            "equivalent", ctx);
    if ((n = gale_ynode_key(d, "factoryArgs")) != NULL &&
        gale_ynode_key(d, "factory") == NULL)
        err(c, n, "%s`factoryArgs` without `factory`", ctx);
    if ((n = gale_ynode_key(d, "properties")) != NULL)
        err(c, n, "%s`properties` (Java setters and fields) have no gale "
            "equivalent for `%s`", ctx, cls);
    if (o->cls->fields != NULL) {
        fields = gale_value_list();
        fl = xstrdup(o->cls->fields);
        for (tok = strtok_r(fl, ",", &save); tok != NULL;
            tok = strtok_r(NULL, ",", &save))
            gale_value_list_append(fields, gale_value_string(tok,
                strlen(tok)));
        free(fl);
        decl_set(o, "default", fields);
    }
    ca = gale_ynode_get(d, "constructorArgs");
    switch (o->cls->args) {
    case GALE_FLUX_ARGS_SHELL:
        if (ca == NULL || ca->kind != GALE_Y_SEQ || ca->n < 1 || ca->n > 2) {
            err(c, ca != NULL ? ca : d, "%s%s takes constructorArgs "
                "[command] or [command, output fields]", ctx, cls);
            break;
        }
        o->cmd = want_strings(c, ca->items[0], ctx, "the command");
        if (o->cmd != NULL && o->cmd->u.list.len == 0) {
            err(c, ca->items[0], "%sthe command must not be empty", ctx);
            gale_value_free(&o->cmd);
        }
        if (ca->n == 2 && (fields = want_strings(c, ca->items[1], ctx,
            "the output fields")) != NULL)
            decl_set(o, "default", fields);
        break;
    case GALE_FLUX_ARGS_DISTRIBUTED:
        if (ca == NULL)
            break;
        if (ca->kind != GALE_Y_SEQ || ca->n > 1) {
            err(c, ca, "%s%s takes constructorArgs [] or [isDistributed]",
                ctx, cls);
            break;
        }
        if (ca->n == 1 && want_bool(c, ca->items[0], ctx, "isDistributed",
            &distributed) == 0 && !distributed) {
            /* Storm: a non-distributed TestWordSpout asks for one task. */
            gale_value_map_set(o->cfg.dsl, "max_task_parallelism",
                gale_value_int(1));
        }
        break;
    default:
        if (ca != NULL && !(ca->kind == GALE_Y_SEQ && ca->n == 0))
            err(c, ca, "%s%s takes no constructorArgs", ctx, cls);
        break;
    }
    if ((n = gale_ynode_get(d, "configMethods")) != NULL) {
        if (o->cls->args == GALE_FLUX_ARGS_SHELL)
            shell_methods(c, o, n, ctx);
        else if (n->kind == GALE_Y_SEQ && n->n > 0) {
            const gale_ynode_t *nm = gale_ynode_get(n->items[0], "name");

            f = nm != NULL && nm->kind == GALE_Y_SCALAR ? nm->text : "?";
            err(c, n->items[0], "%sconfigMethod `%s` of `%s` has no gale "
                "equivalent", ctx, f, cls);
        }
    }
out:
    free(ctx);
}

/* Index of the converted component with this id, or -1. */
static int
find_comp(const conv_t *c, const char *id)
{
    size_t i;

    for (i = 0; i < c->noc; i++)
        if (strcmp(c->oc[i].id, id) == 0)
            return (int)i;
    return -1;
}

/* The fields of a `ref` to an org.apache.storm.tuple.Fields component, or
 * NULL after reporting. */
static gale_value_t *
ref_fields(conv_t *c, const gale_ynode_t *arg, const gale_ynode_t *use,
    const char *ctx)
{
    const gale_ynode_t *ref = gale_ynode_get(arg, "ref"), *cls, *ca;
    const char *id;
    size_t i;

    if (ref == NULL || (id = want_scalar(c, ref, ctx, "ref")) == NULL) {
        if (arg->kind == GALE_Y_SEQ)
            return want_strings(c, arg, ctx, "the fields");
        err(c, arg, "%sexpected a `ref` to a Fields component or a list of "
            "fields", ctx);
        return NULL;
    }
    for (i = 0; i < c->comps.n; i++) {
        const gale_ynode_t *d = c->comps.v[i];

        if (strcmp(gale_ynode_get(d, "id")->text, id) != 0)
            continue;
        if (d->file == use->file && d->line > use->line) {
            err(c, ref, "%sref `%s` is used before its definition at line "
                "%d (Flux resolves references in order)", ctx, id, d->line);
            return NULL;
        }
        cls = gale_ynode_get(d, "className");
        if (cls == NULL || cls->kind != GALE_Y_SCALAR ||
            strcmp(cls->text, "org.apache.storm.tuple.Fields") != 0) {
            err(c, ref, "%sref `%s` is not an org.apache.storm.tuple.Fields "
                "component", ctx, id);
            return NULL;
        }
        ca = gale_ynode_get(d, "constructorArgs");
        if (ca != NULL && ca->kind == GALE_Y_SEQ && ca->n == 1 &&
            ca->items[0]->kind == GALE_Y_SEQ)
            ca = ca->items[0];
        if (ca == NULL) {
            err(c, d, "component `%s`: Fields without constructorArgs", id);
            return NULL;
        }
        return want_strings(c, ca, "", "Fields constructorArgs");
    }
    err(c, ref, "%sref `%s` names no component", ctx, id);
    return NULL;
}

/* Converts one stream def. */
static void
convert_stream(conv_t *c, const gale_ynode_t *d)
{
    static const char *const types[] = { "ALL", "CUSTOM", "DIRECT",
        "SHUFFLE", "LOCAL_OR_SHUFFLE", "FIELDS", "GLOBAL", "NONE" };
    static const char *const dsl[] = { "all", "custom", "direct", "shuffle",
        "local_or_shuffle", "fields", "global", "none" };
    const gale_ynode_t *n, *g, *t, *a, *cc, *cn;
    const char *from, *to, *type, *hint, *sid = NULL;
    ostream_t s = { 0 };
    char *ctx = NULL;
    size_t i;
    int fi, ti;

    if (d->kind != GALE_Y_MAP) {
        err(c, d, "each of `streams` must be a mapping, not %s",
            gale_ynode_phrase(d));
        return;
    }
    check_keys(c, d, "stream: ", stream_keys, NELEM(stream_keys));
    s.node = d;
    if ((n = gale_ynode_get(d, "from")) == NULL) {
        err(c, d, "stream: missing `from`");
        return;
    }
    if ((from = want_scalar(c, n, "stream: ", "from")) == NULL)
        return;
    if ((fi = find_comp(c, from)) < 0) {
        err(c, n, "stream from `%s`: no spout or bolt has that id", from);
        return;
    }
    if ((n = gale_ynode_get(d, "to")) == NULL) {
        err(c, d, "stream: missing `to`");
        return;
    }
    if ((to = want_scalar(c, n, "stream: ", "to")) == NULL)
        return;
    if ((ti = find_comp(c, to)) < 0) {
        err(c, n, "stream to `%s`: no spout or bolt has that id", to);
        return;
    }
    if (c->oc[ti].kind == GALE_SPOUT) {
        err(c, n, "stream to `%s`: it is a spout, and spouts consume no "
            "streams", to);
        return;
    }
    c->oc[ti].fed = true;
    xasprintf(&ctx, "stream %s -> %s: ", from, to);
    if ((n = gale_ynode_get(d, "name")) != NULL && n->kind == GALE_Y_SCALAR &&
        !gale_ynode_is_null(n))
        s.name = xstrdup(n->text);
    if ((g = gale_ynode_get(d, "grouping")) == NULL || g->kind != GALE_Y_MAP) {
        err(c, g != NULL ? g : d, "%s`grouping` must be a mapping with a "
            "`type`", ctx);
        goto fail;
    }
    check_keys(c, g, ctx, grouping_keys, NELEM(grouping_keys));
    if ((t = gale_ynode_get(g, "type")) == NULL) {
        err(c, g, "%sgrouping without a `type`", ctx);
        goto fail;
    }
    if ((type = want_scalar(c, t, ctx, "type")) == NULL)
        goto fail;
    for (i = 0; i < NELEM(types); i++)
        if (strcmp(type, types[i]) == 0)
            break;
    if (i == NELEM(types)) {
        hint = gale_suggest(type, types, NELEM(types));
        if (strcmp(type, "PARTIAL_KEY") == 0)
            err(c, t, "%sFlux has no grouping PARTIAL_KEY (use CUSTOM with "
                "customClass org.apache.storm.grouping.PartialKeyGrouping)",
                ctx);
        else
            err(c, t, "%sunknown grouping type `%s`%s%s%s (Flux's are ALL, "
                "CUSTOM, DIRECT, SHUFFLE, LOCAL_OR_SHUFFLE, FIELDS, GLOBAL, "
                "NONE)", ctx, type, hint != NULL ? " (did you mean `" : "",
                hint != NULL ? hint : "", hint != NULL ? "`?)" : "");
        goto fail;
    }
    s.grouping = dsl[i];
    if ((n = gale_ynode_get(g, "streamId")) != NULL) {
        if ((sid = want_scalar(c, n, ctx, "streamId")) == NULL)
            goto fail;
        if (strcmp(sid, "default") != 0)
            s.stream = xstrdup(sid);
    }
    a = gale_ynode_get(g, "args");
    cc = gale_ynode_get(g, "customClass");
    if (strcmp(type, "FIELDS") == 0) {
        if (a == NULL || a->kind != GALE_Y_SEQ || a->n == 0) {
            err(c, a != NULL ? a : g, "%sa FIELDS grouping needs `args`, a "
                "non-empty list of fields", ctx);
            goto fail;
        }
        if ((s.fields = want_strings(c, a, ctx, "`args`")) == NULL)
            goto fail;
    } else if (a != NULL) {
        err(c, a, "%s`args` apply only to a FIELDS grouping (Flux ignores "
            "them on %s)", ctx, type);
        goto fail;
    }
    if (strcmp(type, "CUSTOM") == 0) {
        if (cc == NULL || cc->kind != GALE_Y_MAP ||
            (cn = gale_ynode_get(cc, "className")) == NULL ||
            cn->kind != GALE_Y_SCALAR) {
            err(c, cc != NULL ? cc : g, "%sa CUSTOM grouping needs "
                "`customClass` with a `className`", ctx);
            goto fail;
        }
        check_keys(c, cc, ctx, bean_keys, NELEM(bean_keys));
        if (strcmp(cn->text, "org.apache.storm.grouping.PartialKeyGrouping")
            != 0) {
            err(c, cn, "%scustom grouping class `%s` has no gale equivalent "
                "(write it as a gale plugin grouping and use `custom` in "
                "the DSL)", ctx, cn->text);
            goto fail;
        }
        if ((n = gale_ynode_key(cc, "properties")) != NULL ||
            (n = gale_ynode_key(cc, "configMethods")) != NULL ||
            (n = gale_ynode_key(cc, "factory")) != NULL) {
            err(c, n, "%sPartialKeyGrouping: `%s` has no gale equivalent",
                ctx, n->text);
            goto fail;
        }
        s.grouping = "partial_key";
        if ((n = gale_ynode_get(cc, "constructorArgs")) != NULL &&
            n->kind == GALE_Y_SEQ && n->n > 0) {
            if (n->n != 1) {
                err(c, n, "%sPartialKeyGrouping takes one constructor "
                    "argument (its Fields)", ctx);
                goto fail;
            }
            if ((s.fields = ref_fields(c, n->items[0], d, ctx)) == NULL)
                goto fail;
        }
        /* Without fields Storm keys on the first value: the first field of
         * the stream, filled in once every component is known. */
    } else if (cc != NULL) {
        err(c, cc, "%s`customClass` applies only to a CUSTOM grouping", ctx);
        goto fail;
    }
    s.from = fi;
    s.to = ti;
    c->os = xreallocarray(c->os, c->nos + 1, sizeof(*c->os));
    c->os[c->nos++] = s;
    free(ctx);
    return;
fail:
    free(ctx);
    free(s.name);
    free(s.stream);
    gale_value_free(&s.fields);
}

/* The declared stream id of component o, or NULL. */
static decl_t *
find_decl(ocomp_t *o, const char *id)
{
    size_t i;

    for (i = 0; i < o->ndecls; i++)
        if (strcmp(o->decls[i].id, id) == 0)
            return &o->decls[i];
    return NULL;
}

/* Fills in what depends on the streams: a count's key, partial-key
 * fields without Fields, direct streams. */
static void
resolve_streams(conv_t *c)
{
    ostream_t *s;
    decl_t *dl;
    ocomp_t *to;
    size_t i;

    for (i = 0; i < c->nos; i++) {
        s = &c->os[i];
        to = &c->oc[s->to];
        dl = find_decl(&c->oc[s->from], s->stream != NULL ? s->stream :
            "default");
        if (dl == NULL || c->oc[s->from].cls == NULL)
            continue;               /* gale validate reports it, or refused */
        if (strcmp(s->grouping, "direct") == 0)
            dl->direct = true;
        if (strcmp(s->grouping, "partial_key") == 0 && s->fields == NULL &&
            dl->fields->u.list.len > 0) {
            s->fields = gale_value_list();
            gale_value_list_append(s->fields,
                gale_value_clone(dl->fields->u.list.items[0]));
        }
        if (to->cls != NULL && to->cls->key_from_input && to->key == NULL &&
            dl->fields->u.list.len > 0)
            to->key = xstrdup(dl->fields->u.list.items[0]->u.s.ptr);
    }
}

/* Writes a config group's entries at indent ind. */
static void
write_cfg(conv_t *c, gale_dslw_t *w, const cfg_t *cfg, const char *ind,
    const gale_ynode_t *at)
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
                err(c, at, "config `%s`: %s", m->u.map.keys[i], cause);
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
            err(c, at, "config `%s`: %s", m->u.map.keys[i], cause);
            free(cause);
            cause = NULL;
        }
        gale_dslw_printf(w, "; }%s\n", i + 1 < m->u.map.len ? "," : "");
    }
    gale_dslw_printf(w, "%s);\n", ind);
}

static bool
cfg_empty(const cfg_t *cfg)
{
    return cfg->dsl->u.map.len == 0 && cfg->user->u.map.len == 0 &&
        cfg->ckpt->u.map.len == 0 && cfg->pass->u.map.len == 0;
}

/* Writes one converted component group. */
static void
write_comp(conv_t *c, gale_dslw_t *w, ocomp_t *o)
{
    char *cause = NULL;
    size_t i;

    gale_dslw_printf(w, "  # %s:%d: %s\n", o->node->file, o->node->line,
        o->cls->note);
    for (i = 0; i < o->nnotes; i++)
        gale_dslw_printf(w, "  # %s\n", o->notes[i]);
    gale_dslw_printf(w, "  { id = ");
    gale_dslw_string(w, o->id);
    gale_dslw_printf(w, "; type = \"%s\";", o->cls->type);
    if (o->parallelism > 0)
        gale_dslw_printf(w, " parallelism = %lld;", o->parallelism);
    if (o->tasks > 0)
        gale_dslw_printf(w, " tasks = %lld;", o->tasks);
    gale_dslw_printf(w, "\n");
    if (o->cmd != NULL) {
        gale_dslw_printf(w, "    command = ");
        gale_dslw_value(w, o->cmd, &cause);
        gale_dslw_printf(w, ";\n");
    }
    if (o->env != NULL) {
        gale_dslw_printf(w, "    env = ");
        gale_dslw_value(w, o->env, &cause);
        gale_dslw_printf(w, ";\n");
    }
    if (*o->cls->params != '\0')
        gale_dslw_printf(w, "    %s\n", o->cls->params);
    if (o->cls->key_from_input)
        gale_dslw_printf(w, "    key = \"%s\";\n", o->key != NULL ? o->key :
            "word");
    for (i = 0; i < o->ndecls; i++) {
        if (strcmp(o->decls[i].id, "default") != 0)
            continue;
        gale_dslw_printf(w, "    fields = ");
        gale_dslw_value(w, o->decls[i].fields, &cause);
        gale_dslw_printf(w, ";%s\n", o->decls[i].direct ?
            " direct = true;  # a DIRECT grouping consumes it" : "");
    }
    if (o->ndecls > (find_decl(o, "default") != NULL ? 1u : 0u)) {
        gale_dslw_printf(w, "    streams = (");
        for (i = 0; i < o->ndecls; i++) {
            if (strcmp(o->decls[i].id, "default") == 0)
                continue;
            gale_dslw_printf(w, "%s\n      { id = ", i > 0 &&
                !(i == 1 && strcmp(o->decls[0].id, "default") == 0) ?
                "," : "");
            gale_dslw_string(w, o->decls[i].id);
            gale_dslw_printf(w, "; fields = ");
            gale_dslw_value(w, o->decls[i].fields, &cause);
            gale_dslw_printf(w, ";%s }", o->decls[i].direct ?
                " direct = true;" : "");
        }
        gale_dslw_printf(w, " );\n");
    }
    if (!cfg_empty(&o->cfg)) {
        gale_dslw_printf(w, "    config = {\n");
        write_cfg(c, w, &o->cfg, "      ", o->node);
        gale_dslw_printf(w, "    };\n");
    }
    gale_dslw_printf(w, "  }");
    free(cause);
}

/* Writes the whole DSL file. */
static char *
write_dsl(conv_t *c, const char *path)
{
    gale_dslw_t *w = gale_dslw_new();
    bool first;
    size_t i, k;
    char *out, *cause = NULL;
    int pass;

    gale_dslw_printf(w, "# Converted from the Flux file %s by gale "
        "flux-import.\n", path);
    gale_dslw_printf(w, "name = ");
    gale_dslw_string(w, c->name->text);
    gale_dslw_printf(w, ";\n");
    if (!cfg_empty(&c->cfg)) {
        gale_dslw_printf(w, "config = {\n");
        write_cfg(c, w, &c->cfg, "  ", c->name);
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
            write_comp(c, w, &c->oc[i]);
            first = false;
        }
        if (!first)
            gale_dslw_printf(w, "\n);\n");
    }
    for (i = 0; i < c->dropped.n; i++)
        gale_dslw_printf(w, "# bolt \"%s\" (%s:%d) is fed by no stream: "
            "Flux drops it, and so does this file.\n",
            gale_ynode_get(c->dropped.v[i], "id")->text,
            c->dropped.v[i]->file, c->dropped.v[i]->line);
    if (c->nos > 0)
        gale_dslw_printf(w, "streams = (");
    for (i = 0; i < c->nos; i++) {
        ostream_t *s = &c->os[i];

        gale_dslw_printf(w, "%s\n  { from = ", i > 0 ? "," : "");
        gale_dslw_string(w, c->oc[s->from].id);
        gale_dslw_printf(w, "; to = ");
        gale_dslw_string(w, c->oc[s->to].id);
        gale_dslw_printf(w, ";");
        if (s->stream != NULL) {
            gale_dslw_printf(w, " stream = ");
            gale_dslw_string(w, s->stream);
            gale_dslw_printf(w, ";");
        }
        gale_dslw_printf(w, " grouping = \"%s\";", s->grouping);
        if (s->fields != NULL) {
            gale_dslw_printf(w, " fields = ");
            gale_dslw_value(w, s->fields, &cause);
            gale_dslw_printf(w, ";");
        }
        if (s->name != NULL) {
            gale_dslw_printf(w, " name = ");
            gale_dslw_string(w, s->name);
            gale_dslw_printf(w, ";");
        }
        gale_dslw_printf(w, " }");
        (void)k;
    }
    if (c->nos > 0)
        gale_dslw_printf(w, "\n);\n");
    free(cause);
    out = xstrdup(gale_dslw_text(w));
    gale_dslw_free(&w);
    return out;
}

/* Refuses every `components` entry gale cannot build (all but Fields). */
static void
check_components(conv_t *c)
{
    const gale_ynode_t *d, *cls;
    const char *id;
    char *ctx;
    size_t i;

    for (i = 0; i < c->comps.n; i++) {
        d = c->comps.v[i];
        id = gale_ynode_get(d, "id")->text;
        xasprintf(&ctx, "component `%s`: ", id);
        check_keys(c, d, ctx, bean_keys, NELEM(bean_keys));
        if ((cls = gale_ynode_get(d, "className")) == NULL)
            err(c, d, "%smissing `className`", ctx);
        else if (want_scalar(c, cls, ctx, "className") != NULL &&
            strcmp(cls->text, "org.apache.storm.tuple.Fields") != 0)
            err(c, cls, "%sJava class `%s` cannot be built by gale (only "
                "org.apache.storm.tuple.Fields components convert, as "
                "PartialKeyGrouping's fields)", ctx, cls->text);
        free(ctx);
    }
}

static void
conv_clear(conv_t *c)
{
    size_t i, j;

    for (i = 0; i < c->noc; i++) {
        ocomp_t *o = &c->oc[i];

        gale_value_free(&o->cmd);
        gale_value_free(&o->env);
        for (j = 0; j < o->ndecls; j++) {
            free(o->decls[j].id);
            gale_value_free(&o->decls[j].fields);
        }
        free(o->decls);
        cfg_clear(&o->cfg);
        for (j = 0; j < o->nnotes; j++)
            free(o->notes[j]);
        free(o->notes);
        free(o->key);
    }
    free(c->oc);
    for (i = 0; i < c->nos; i++) {
        free(c->os[i].stream);
        free(c->os[i].name);
        gale_value_free(&c->os[i].fields);
    }
    free(c->os);
    cfg_clear(&c->cfg);
    for (i = 0; i < c->ndocs; i++)
        gale_ydoc_free(&c->docs[i]);
    free(c->docs);
    free(c->ckeys.v);
    free(c->cvals.v);
    free(c->comps.v);
    free(c->spouts.v);
    free(c->bolts.v);
    free(c->streams.v);
    free(c->hooks.v);
    free(c->dropped.v);
    gale_props_free(&c->props);
}

char *
gale_flux_convert(const char *path, const char *buf, size_t len,
    const gale_flux_opts_t *opts, gale_diag_t *errs, gale_diag_t *warns)
{
    conv_t c;
    const gale_ynode_t *root, *m, *cn;
    size_t before = gale_diag_count(errs), i;
    char *cause = NULL, *out = NULL;
    bool ok;

    memset(&c, 0, sizeof(c));
    c.errs = errs;
    c.warns = warns;
    cfg_init(&c.cfg);
    if (opts != NULL && opts->properties != NULL) {
        c.props_path = opts->properties;
        if ((c.props = gale_props_load(opts->properties, &cause)) == NULL) {
            gale_diag_add(errs, NULL, 0, "%s", cause);
            free(cause);
            goto out;
        }
    }
    root = load_doc(&c, path, buf, len, NULL, &ok);
    if (!ok)
        goto out;
    collect(&c, root, path, false, false);
    if (root != NULL && (m = gale_ynode_get(root, "includes")) != NULL)
        apply_includes(&c, m, path);
    if (c.tsource != NULL) {
        cn = gale_ynode_get(c.tsource, "className");
        if (c.tsource->kind == GALE_Y_MAP)
            check_keys(&c, c.tsource, "topologySource: ", source_keys,
                NELEM(source_keys));
        if (c.spouts.n > 0 || c.bolts.n > 0 || c.streams.n > 0)
            err(&c, c.tsource, "Spouts, bolts and streams cannot be defined "
                "in the same configuration as a topologySource");
        err(&c, c.tsource, "topologySource: gale cannot run `%s`, a Java "
            "method that builds the topology in code; describe the topology "
            "with spouts, bolts and streams",
            cn != NULL && cn->kind == GALE_Y_SCALAR ? cn->text : "?");
        goto out;
    }
    if (c.name == NULL)
        gale_diag_add(errs, path, 0, "missing `name`");
    else if (want_scalar(&c, c.name, "", "name") == NULL)
        c.name = NULL;
    for (i = 0; i < c.ckeys.n; i++)
        cfg_add(&c, &c.cfg, c.ckeys.v[i], c.ckeys.v[i]->text, c.cvals.v[i],
            false, "");
    check_components(&c);
    for (i = 0; i < c.hooks.n; i++) {
        cn = gale_ynode_get(c.hooks.v[i], "className");
        err(&c, c.hooks.v[i], "worker hook `%s`: Java IWorkerHook objects "
            "have no gale equivalent", cn != NULL &&
            cn->kind == GALE_Y_SCALAR ? cn->text : "?");
    }
    if (c.spouts.n == 0)
        gale_diag_add(errs, path, 0, "no spouts: a topology needs one at "
            "least");
    for (i = 0; i < c.spouts.n; i++)
        convert_vertex(&c, c.spouts.v[i], GALE_SPOUT);
    for (i = 0; i < c.bolts.n; i++) {
        if (find_comp(&c, gale_ynode_get(c.bolts.v[i], "id")->text) >= 0) {
            err(&c, c.bolts.v[i], "bolt id `%s` is also a spout's",
                gale_ynode_get(c.bolts.v[i], "id")->text);
            continue;
        }
        convert_vertex(&c, c.bolts.v[i], GALE_BOLT);
    }
    for (i = 0; i < c.streams.n; i++)
        convert_stream(&c, c.streams.v[i]);
    for (i = 0; i < c.noc; i++) {
        if (c.oc[i].kind == GALE_BOLT && !c.oc[i].fed) {
            warn(&c, c.oc[i].node, "bolt `%s` is fed by no stream: Flux "
                "drops it silently, and gale flux-import leaves it out",
                c.oc[i].id);
            nvec_add(&c.dropped, c.oc[i].node);
        }
    }
    if (gale_diag_count(errs) != before)
        goto out;
    resolve_streams(&c);
    out = write_dsl(&c, path);
    if (gale_diag_count(errs) != before) {
        free(out);
        out = NULL;
    }
out:
    conv_clear(&c);
    return out;
}
