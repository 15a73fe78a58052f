/* registry.c - component types and custom groupings by name (registry.h):
 * the built-in table, and plugins loaded with dlopen, cached per path and
 * never unloaded. */
#include "config.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "bolts/builtins.h"
#include "common/xalloc.h"
#include "compat/multilang/shell.h"
#include "cli/registry.h"
#include "spouts/builtins.h"
#include "topology/suggest.h"

/* The built-ins, in the order `gale validate --types` lists them. */
static const gale_component_def_t *const builtins[] = {
    &gale_builtin_lines,
    &gale_builtin_generator,
    &gale_builtin_random_sentence,
    &gale_builtin_kafka,
    &gale_builtin_split,
    &gale_builtin_count,
    &gale_builtin_filter,
    &gale_builtin_log,
    &gale_builtin_file_sink,
    &gale_builtin_stdout,
    &gale_builtin_window,
    &gale_builtin_kafka_sink,
    &gale_builtin_shell_spout,
    &gale_builtin_shell_bolt,
    NULL
};

/* A plugin loaded once; the list lives as long as the process, as the
 * plugins' code does. */
typedef struct plugin {
    char *path;                     /* owned: the path it was loaded from */
    const gale_plugin_t *def;       /* its gale_plugin symbol */
    struct plugin *next;            /* next loaded plugin */
} plugin_t;

static plugin_t *plugins;           /* main thread only, see registry.h */

const gale_component_def_t *const *
gale_registry_builtins(void)
{
    return builtins;
}

/* The plugin at path, loading it on first use. NULL with *cause (caller
 * frees) when dlopen fails, when it exports no gale_plugin, or when it was
 * built for another ABI. A refused plugin stays mapped: gale never
 * dlcloses, since a constructor of it may have left pointers behind. */
static const gale_plugin_t *
load_plugin(const char *path, char **cause)
{
    const gale_plugin_t *def;
    plugin_t *p;
    void *h;

    for (p = plugins; p != NULL; p = p->next)
        if (strcmp(p->path, path) == 0)
            return p->def;
    if ((h = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
        xasprintf(cause, "cannot load plugin %s: %s", path, dlerror());
        return NULL;
    }
    if ((def = dlsym(h, "gale_plugin")) == NULL) {
        xasprintf(cause, "plugin %s exports no `gale_plugin` symbol "
            "(see include/gale/component.h)", path);
        return NULL;
    }
    if (def->abi != GALE_ABI_VERSION) {
        xasprintf(cause, "plugin %s was built for gale ABI %u, but this gale "
            "has ABI %u: rebuild it against this gale's headers", path,
            (unsigned)def->abi, (unsigned)GALE_ABI_VERSION);
        return NULL;
    }
    p = xcalloc(1, sizeof *p);
    p->path = xstrdup(path);
    p->def = def;
    p->next = plugins;
    plugins = p;
    return def;
}

/* " (did you mean `x`?)" when a name in cands is close to word, else "".
 * Caller frees. */
static char *
hint(const char *word, const char *const *cands, size_t n)
{
    const char *best = gale_suggest(word, cands, n);
    char *s;

    if (best == NULL)
        return xstrdup("");
    xasprintf(&s, " (did you mean `%s`?)", best);
    return s;
}

/* def, or for a windowed bolt (on_window) the def that hosts it behind
 * the window bolt's machinery (docs/windows.md). */
static const gale_component_def_t *
windowed(const gale_component_def_t *def, char **cause)
{
    const gale_component_def_t *h;

    if (def->kind != GALE_BOLT || def->bolt == NULL ||
        def->bolt->on_window == NULL)
        return def;
    if ((h = gale_window_host(def)) == NULL)
        xasprintf(cause, "out of memory hosting windowed bolt `%s`",
            def->type);
    return h;
}

const gale_component_def_t *
gale_registry_lookup(void *arg, const char *type, gale_kind_t kind,
    const char *plugin, char **cause)
{
    const gale_component_def_t *const *defs, *other = NULL;
    const gale_plugin_t *pl;
    const char **names;
    char *h, *dummy = NULL;
    size_t i, n;

    if (cause == NULL)
        cause = &dummy;
    if (plugin == NULL)
        defs = builtins;
    else if ((pl = load_plugin(plugin, cause)) == NULL)
        goto fail;
    else
        defs = pl->components;
    /* A type may have a def of each kind ("shell"): prefer kind's. */
    for (n = 0; defs != NULL && defs[n] != NULL; n++) {
        if (strcmp(defs[n]->type, type) != 0)
            continue;
        if (defs[n]->kind == kind)
            return windowed(defs[n], cause);
        if (other == NULL)
            other = defs[n];
    }
    if (other != NULL)
        return windowed(other, cause);
    names = xcalloc(n + 1, sizeof *names);
    for (i = 0; i < n; i++)
        names[i] = defs[i]->type;
    h = hint(type, names, n);
    free(names);
    if (plugin == NULL)
        xasprintf(cause, "unknown component type `%s`%s", type, h);
    else
        xasprintf(cause, "plugin %s has no component type `%s`%s", plugin,
            type, h);
    free(h);
fail:
    free(dummy);
    return NULL;
}

const gale_grouping_def_t *
gale_registry_lookup_grouping(void *arg, const char *name, const char *plugin,
    char **cause)
{
    const gale_plugin_t *pl;
    const char **names;
    char *h, *dummy = NULL;
    size_t i, n;

    if (cause == NULL)
        cause = &dummy;
    if (plugin == NULL) {
        xasprintf(cause, "custom grouping `%s` needs the `plugin` that "
            "provides it (gale has no built-in custom groupings)", name);
        goto fail;
    }
    if ((pl = load_plugin(plugin, cause)) == NULL)
        goto fail;
    for (n = 0; pl->groupings != NULL && pl->groupings[n] != NULL; n++)
        if (strcmp(pl->groupings[n]->name, name) == 0)
            return pl->groupings[n];
    names = xcalloc(n + 1, sizeof *names);
    for (i = 0; i < n; i++)
        names[i] = pl->groupings[i]->name;
    h = hint(name, names, n);
    free(names);
    xasprintf(cause, "plugin %s has no grouping `%s`%s", plugin, name, h);
    free(h);
fail:
    free(dummy);
    return NULL;
}
