/* docs.c - the Flux documents: reading the main file and its includes
 * and merging their elements as Flux does (docs.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/xalloc.h"
#include "compat/flux/conv.h"
#include "compat/flux/docs.h"
#include "compat/flux/subst.h"

/* Larger files are refused rather than read into memory. */
#define MAX_FILE (16 * 1024 * 1024)

static const char *const top_keys[] = { "name", "config", "components",
    "spouts", "bolts", "streams", "workerHooks", "includes",
    "topologySource" };
static const char *const include_keys[] = { "resource", "file",
    "override" };

/* Reads and substitutes the file at path (or buf) and parses it. Returns
 * its root (may be NULL for an empty file; *ok says whether it loaded). */
const gale_ynode_t *
gale_flux_doc_load(gale_flux_conv_t *c, const char *path, const char *buf,
    size_t len, const gale_ynode_t *from, bool *ok)
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
                gale_flux_err(c, from, "cannot open include file `%s`: %s",
                    path, strerror(errno));
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
def_id(gale_flux_conv_t *c, const gale_ynode_t *d, const char *what)
{
    const gale_ynode_t *id;

    if (d->kind != GALE_Y_MAP) {
        gale_flux_err(c, d, "each of `%s` must be a mapping, not %s", what,
            gale_ynode_phrase(d));
        return NULL;
    }
    if ((id = gale_ynode_get(d, "id")) == NULL) {
        gale_flux_err(c, d, "%s entry without an `id`", what);
        return NULL;
    }
    return gale_flux_scalar(c, id, "", "id");
}

/* Merges a list of defs (`spouts`, `bolts` or `components`) into v, by
 * id: an included file's def replaces one of the same id only when
 * override is true (Flux's addAll...). */
static void
merge_defs(gale_flux_conv_t *c, gale_flux_nvec_t *v, const gale_ynode_t *list,
    const char *what, bool included, bool override)
{
    const char *id, *other;
    size_t i, j;

    if (list->kind != GALE_Y_SEQ) {
        if (!gale_ynode_is_null(list))
            gale_flux_err(c, list, "`%s` must be a list, not %s", what,
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
            gale_flux_nvec_add(v, list->items[i]);
        else if (!included)
            gale_flux_err(c, list->items[i],
                "duplicate %s id `%s` (first defined at "
                "%s:%d)", what, id, v->v[j]->file, v->v[j]->line);
        else if (override)
            v->v[j] = list->items[i];
        else
            gale_flux_warn(c, list->items[i],
                "%s `%s` of the include is ignored: "
                "%s:%d defines it and `override` is false", what, id,
                v->v[j]->file, v->v[j]->line);
    }
}

/* Takes the elements of one Flux document (the main file, or an included
 * one) into c, as FluxParser.applyIncludes merges them. */
void
gale_flux_doc_collect(gale_flux_conv_t *c, const gale_ynode_t *root,
    const char *file, bool included, bool override)
{
    const gale_ynode_t *m, *k, *v;
    size_t i, j;

    if (root == NULL || root->kind != GALE_Y_MAP) {
        if (root == NULL)
            gale_diag_add(c->errs, file, 0, "empty Flux file");
        else
            gale_flux_err(c, root, "a Flux file must be a mapping, not %s",
                gale_ynode_phrase(root));
        return;
    }
    gale_flux_check_keys(c, root, "", top_keys, NELEM(top_keys));
    if ((m = gale_ynode_get(root, "name")) != NULL &&
        (!included || override || c->name == NULL))
        c->name = m;
    if ((m = gale_ynode_get(root, "config")) != NULL) {
        if (m->kind != GALE_Y_MAP) {
            if (!gale_ynode_is_null(m))
                gale_flux_err(c, m, "`config` must be a mapping, not %s",
                    gale_ynode_phrase(m));
        } else {
            for (i = 0; i < m->n; i++) {
                k = m->keys[i];
                v = m->items[i];
                for (j = 0; j < c->ckeys.n; j++)
                    if (strcmp(c->ckeys.v[j]->text, k->text) == 0)
                        break;
                if (j == c->ckeys.n) {
                    gale_flux_nvec_add(&c->ckeys, k);
                    gale_flux_nvec_add(&c->cvals, v);
                } else if (override) {
                    c->ckeys.v[j] = k;
                    c->cvals.v[j] = v;
                } else
                    gale_flux_warn(c, k,
                        "config `%s` of the include is ignored: "
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
                gale_flux_nvec_add(&c->streams, m->items[i]);
        else if (!gale_ynode_is_null(m))
            gale_flux_err(c, m, "`streams` must be a list, not %s",
                gale_ynode_phrase(m));
    }
    if ((m = gale_ynode_get(root, "workerHooks")) != NULL) {
        if (m->kind == GALE_Y_SEQ)
            for (i = 0; i < m->n; i++)
                gale_flux_nvec_add(&c->hooks, m->items[i]);
        else if (!gale_ynode_is_null(m))
            gale_flux_err(c, m, "`workerHooks` must be a list, not %s",
                gale_ynode_phrase(m));
    }
    if ((m = gale_ynode_get(root, "topologySource")) != NULL)
        c->tsource = m;
    if (included && (m = gale_ynode_key(root, "includes")) != NULL)
        gale_flux_err(c, m,
            "`includes` inside an included file: Flux ignores them "
            "(includes are not recursive), gale refuses them");
}

/* Applies the main file's `includes` list. */
void
gale_flux_doc_includes(gale_flux_conv_t *c, const gale_ynode_t *list,
    const char *mainpath)
{
    const gale_ynode_t *inc, *f, *r, *o, *root;
    bool resource = false, override = false, ok;
    const char *file, *slash;
    char *path;
    size_t i;

    if (list->kind != GALE_Y_SEQ) {
        if (!gale_ynode_is_null(list))
            gale_flux_err(c, list, "`includes` must be a list, not %s",
                gale_ynode_phrase(list));
        return;
    }
    for (i = 0; i < list->n; i++) {
        inc = list->items[i];
        if (inc->kind != GALE_Y_MAP) {
            gale_flux_err(c, inc,
                "each of `includes` must be a mapping, not %s",
                gale_ynode_phrase(inc));
            continue;
        }
        gale_flux_check_keys(c, inc, "include: ", include_keys,
            NELEM(include_keys));
        resource = override = false;
        if ((r = gale_ynode_get(inc, "resource")) != NULL &&
            gale_flux_bool(c, r, "include: ", "resource", &resource) != 0)
            continue;
        if ((o = gale_ynode_get(inc, "override")) != NULL &&
            gale_flux_bool(c, o, "include: ", "override", &override) != 0)
            continue;
        if ((f = gale_ynode_get(inc, "file")) == NULL) {
            gale_flux_err(c, inc, "include without a `file`");
            continue;
        }
        if ((file = gale_flux_scalar(c, f, "include: ", "file")) == NULL)
            continue;
        if (resource) {
            gale_flux_err(c, r,
                "include `%s`: a classpath resource cannot be read "
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
        root = gale_flux_doc_load(c, path, NULL, 0, f, &ok);
        if (ok)
            gale_flux_doc_collect(c, root, path, true, override);
        free(path);
    }
}
