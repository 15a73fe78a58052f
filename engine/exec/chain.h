/* chain.h - a chained edge's tuples: executed by the consumer task in the
 * producer's thread, without encoding, channel or hand-off.
 *
 * When the plan chains an edge (topology/plan.h, docs/engine.md
 * "Chaining"), the producer's task i and the consumer's task i run in one
 * executor, and the producer's route for the edge points at the consumer
 * task (gale_route_t.fused). Emitting on it calls the consumer's execute
 * at once, with a tuple view over the emitted values (borrowed for the
 * call, as a decoded frame's are). Barriers, watermarks and END reach the
 * consumer through the executor (engine/exec/executor.c) in the same
 * order as they would over a channel: after every tuple emitted before
 * them. Used on the executor thread only.
 */
#ifndef GALE_CHAIN_H
#define GALE_CHAIN_H

#include <stddef.h>

#include <gale/gale.h>

/* Executes the tuple (vals, n) that task from emits on stream s in the
 * chained consumer task to, in key group kg (a fields grouping's, as the
 * router chose it: keyed state is laid out as without chaining; -1 for
 * none). 0; or -ECANCELED when to's execute failed,
 * now or before (the first failure's message is in *to->chain_error for
 * the executor to report: a producer that ignores emit's result must not
 * hide it), without executing. */
int gale_chain_push(gale_ctx_t *from, gale_ctx_t *to, int s,
    const gale_datum_t *vals, size_t n, int kg);

#endif
