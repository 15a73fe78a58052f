/* commands.h - the gale command's subcommands. Each takes the arguments
 * after its name (argv[0] is the subcommand name) and returns the process
 * exit status: 0 success, 1 runtime failure, 2 bad usage or bad input. */
#ifndef GALE_COMMANDS_H
#define GALE_COMMANDS_H

#include <stdbool.h>

int cmd_validate(int argc, char **argv);
int cmd_graph(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_local(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_activate(int argc, char **argv);
int cmd_deactivate(int argc, char **argv);
int cmd_savepoint(int argc, char **argv);
int cmd_rebalance(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_flux_import(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_supervisor(int argc, char **argv);
int cmd_worker(int argc, char **argv);  /* internal: a worker process */
int cmd_submit(int argc, char **argv);
int cmd_nimbus(int argc, char **argv);

/* Whether a console verb (list, kill, activate, deactivate, rebalance)
 * names a cluster (--cluster FILE, or GALE_CLUSTER in the environment):
 * then cmd_cluster_verb() asks its nimbus instead of this host. */
bool cmd_cluster_wanted(int argc, char **argv);
int cmd_cluster_verb(int argc, char **argv);

#endif
