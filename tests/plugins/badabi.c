/* badabi.c - a plugin that claims another ABI version: the registry must
 * refuse it (tests/check_builtins.c). */
#include <gale/gale.h>

static const gale_component_def_t *const none[] = { NULL };

const gale_plugin_t gale_plugin = { GALE_ABI_VERSION + 1, none, NULL };
