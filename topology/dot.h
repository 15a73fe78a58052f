/* dot.h - a topology as a Graphviz DOT digraph, for `gale graph`. */
#ifndef GALE_DOT_H
#define GALE_DOT_H

#include <stdio.h>

#include "topology/topology.h"

/* Writes t as a DOT digraph named after it: a node per component
 * (spouts as ellipses, bolts as boxes) labelled "id\ntype ×parallelism",
 * an edge per stream labelled with its stream (unless "default") and its
 * grouping (with its fields). 0, or -EIO when writing failed. */
int gale_topology_write_dot(const gale_topology_t *t, FILE *fp);

#endif
