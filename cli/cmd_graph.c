/* cmd_graph.c - `gale graph FILE`: the topology as a Graphviz DOT graph. */
#include "config.h"

#include <stdio.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "topology/dot.h"
#include "topology/topology.h"

static const gale_cmd_info_t graph_info = {
    .name = "graph",
    .operands = "FILE",
    .summary = "Print the topology in FILE as a Graphviz DOT graph.",
    .details =
        "A node per component, labelled with its id, type and parallelism;\n"
        "an edge per stream, labelled with the stream (when not \"default\")\n"
        "and the grouping. Render it with, for example:\n"
        "  gale graph topo.cfg | dot -Tsvg > topo.svg\n"
        "An invalid FILE is reported as by 'gale validate' (exit 2).\n",
    .flags = GALE_OPT_TOPOLOGY,
    .min_args = 1,
    .max_args = 1,
};

int
cmd_graph(int argc, char **argv)
{
    gale_opts_t o;
    gale_topology_t *t = NULL;
    int rc;

    if ((rc = gale_opts_parse(&o, &graph_info, argc, argv)) != 0) {
        gale_opts_release(&o);
        return gale_opts_status(rc);
    }
    /* A failed write is reported by main, which checks stdout. */
    if ((rc = gale_opts_load(&o, &t, NULL)) == 0 &&
        gale_topology_write_dot(t, stdout) != 0)
        rc = 1;
    gale_topology_destroy(&t);
    gale_opts_release(&o);
    return rc;
}
