/* gale.h - the public C API of gale, for spout, bolt and grouping plugins.
 *
 * Conventions, stated once (as LevelDB's c.h does):
 * - Every function is called on the thread of the executor that runs the
 *   task, with the gale_ctx_t that the engine passed in; nothing here is
 *   thread-safe, and a plugin starts no thread that calls back into gale.
 * - Actions return 0 or a negative errno value.
 * - Pointers returned as `const` are borrowed and stay valid for the call
 *   in which they were obtained (a tuple's strings: until execute returns).
 * - A plugin is a shared object that exports `gale_plugin` (see component.h)
 *   and is built with `pkg-config --cflags gale`; its undefined gale_*
 *   symbols resolve against the gale binary when it is loaded.
 */
#ifndef GALE_GALE_H
#define GALE_GALE_H

#define GALE_VERSION_MAJOR 0
#define GALE_VERSION_MINOR 1
#define GALE_VERSION_PATCH 0

/* Bumped whenever a struct or function in include/gale changes
 * incompatibly; a plugin built for another ABI is refused at load.
 * 2: gale_value_free became gale_value_destroy (one destructor verb);
 *    gale/clock.h, gale/file.h and the datum/value conversions added.
 * 3: gale_bolt_ops_t.on_watermark; event time and key-group scoping in
 *    component.h.
 * 4: gale_bolt_ops_t.on_window and gale_window_t (windowed bolts);
 *    gale_component_def_t.data and gale_ctx_def_data. */
#define GALE_ABI_VERSION 4

#include <gale/value.h>
#include <gale/tuple.h>
#include <gale/state.h>
#include <gale/component.h>
#include <gale/clock.h>
#include <gale/file.h>

#endif
