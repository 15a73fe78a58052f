/* shell.h - the `shell` component type: Storm's ShellSpout and ShellBolt
 * (the multilang protocol, docs/multilang.md). One type, a def of each
 * kind; the registry hands out the one the component is declared as. */
#ifndef GALE_ML_SHELL_H
#define GALE_ML_SHELL_H

#include <gale/gale.h>

extern const gale_component_def_t gale_builtin_shell_spout;
extern const gale_component_def_t gale_builtin_shell_bolt;
/* Their parameters: command, cwd, env. */
extern const gale_param_spec_t gale_ml_shell_params[];

#endif
