/* validate.h - the checks that need the whole topology: streams against
 * what their producers declare, groupings against streams, bolts nobody
 * feeds, and cycles. Called by the loader once every component and edge
 * has been read; not thread-safe (it fills in the edges it checks). */
#ifndef GALE_VALIDATE_H
#define GALE_VALIDATE_H

#include "topology/diag.h"
#include "topology/topology.h"

/* Resolves every edge's stream_idx and field_idx and adds one message to
 * diag for each problem found. Returns the number of problems (0: valid).
 * t must have its components sorted and its edges' from/to resolved. */
int gale_validate_topology(gale_topology_t *t, gale_diag_t *diag);

#endif
