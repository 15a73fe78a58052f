/* registry.h - component types and custom groupings by name: the
 * built-ins, and those of plugins loaded with dlopen. Used from the main
 * thread while a topology is loaded; lookups after that are read-only.
 * Plugins stay loaded until the process exits (their code may still be on
 * a stack; gale never dlcloses). */
#ifndef GALE_REGISTRY_H
#define GALE_REGISTRY_H

#include <gale/gale.h>

/* The definition of component type `type`: from the plugin at path
 * `plugin` when it is not NULL, else a built-in. Of a type with a def of
 * each kind ("shell": ShellSpout and ShellBolt), the one of kind; of
 * another type, its only def whatever kind asks (the caller reports the
 * mismatch). NULL with *cause (caller frees; may suggest a close name)
 * when unknown, when the plugin cannot be loaded, or when it was built for
 * another GALE_ABI_VERSION. Signature of gale_type_lookup_fn; arg is
 * unused. */
const gale_component_def_t *gale_registry_lookup(void *arg, const char *type,
    gale_kind_t kind, const char *plugin, char **cause);
/* The custom grouping `name`, likewise (gale_grouping_lookup_fn). */
const gale_grouping_def_t *gale_registry_lookup_grouping(void *arg,
    const char *name, const char *plugin, char **cause);
/* The built-in component definitions, NULL-terminated. */
const gale_component_def_t *const *gale_registry_builtins(void);

#endif
