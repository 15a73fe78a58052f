/* builtins.h - the built-in spout types; each is written against the
 * public API only (include/gale), as a plugin's would be. The registry
 * (cli/registry.c) lists them. */
#ifndef GALE_SPOUTS_BUILTINS_H
#define GALE_SPOUTS_BUILTINS_H

#include <gale/gale.h>

extern const gale_component_def_t gale_builtin_lines;
extern const gale_component_def_t gale_builtin_generator;
extern const gale_component_def_t gale_builtin_random_sentence;
extern const gale_component_def_t gale_builtin_kafka;

#endif
