/* builtins.h - the built-in bolt types; each is written against the
 * public API only (include/gale), as a plugin's would be. The registry
 * (cli/registry.c) lists them. */
#ifndef GALE_BOLTS_BUILTINS_H
#define GALE_BOLTS_BUILTINS_H

#include <gale/gale.h>

extern const gale_component_def_t gale_builtin_split;
extern const gale_component_def_t gale_builtin_count;
extern const gale_component_def_t gale_builtin_filter;
extern const gale_component_def_t gale_builtin_log;
extern const gale_component_def_t gale_builtin_file_sink;
extern const gale_component_def_t gale_builtin_stdout;
extern const gale_component_def_t gale_builtin_window;
/* The def that runs windowed bolt inner (one with on_window) behind the
 * window bolt's machinery: the window bolt's parameters and inner's, the
 * same type name; made once per inner and kept. NULL on out-of-memory. */
const gale_component_def_t *gale_window_host(const gale_component_def_t *inner);
extern const gale_component_def_t gale_builtin_kafka_sink;

#endif
