/* combiner.h - equal tuples of one route, merged before they are sent.
 *
 * On a stream edge declared `combine = true` (fields or global grouping,
 * so that equal tuples go to one task anyway), the sending task keeps the
 * tuples it emits on that edge in a combiner instead of routing each: an
 * equal tuple only adds to the weight of the one already there. When the
 * combiner is full, when the flush interval passes, and before a barrier
 * or END leaves the task, each distinct tuple is routed once and sent
 * with its multiplicity (a WEIGHTED DATA frame, docs/wire.md). The
 * receiver executes it as that many equal tuples in a row, or once with
 * the weight when the bolt takes weights (gale_ctx_accept_weights). What
 * changes is the order of tuples between two drains (equal tuples move up
 * to the first of them) and how many calls a weight-aware bolt gets: why
 * it is asked for per stream.
 *
 * A combiner is a hash set of byte strings (the tuples' encodings) in
 * insertion order, with their weights, bounded in entries and bytes.
 * Owned by one task's route (one thread).
 */
#ifndef GALE_COMBINER_H
#define GALE_COMBINER_H

#include <stddef.h>
#include <stdint.h>

typedef struct gale_combiner gale_combiner_t;

/* A combiner that holds at most max_ents distinct records and max_bytes
 * of them. Aborts on out-of-memory. */
gale_combiner_t *gale_combiner_new(uint32_t max_ents, size_t max_bytes);
void gale_combiner_destroy(gale_combiner_t **cp);

/* Adds one tuple's encoding (len bytes, a record: at least 4; equal
 * tuples, equal bytes). 0, -EINVAL below 4 bytes, or -ENOSPC when it
 * holds no room for an encoding it lacks (drain it, then add again); one
 * of over max_bytes never fits. */
int gale_combiner_add(gale_combiner_t *c, const void *rec, size_t len);
/* Distinct tuples held (settling the adds not yet looked up, see
 * combiner.c), and the tuples they stand for. */
uint32_t gale_combiner_count(gale_combiner_t *c);
uint64_t gale_combiner_tuples(const gale_combiner_t *c);

/* Calls fn on every encoding held, in the order they were first added,
 * with its weight; stops at fn's first non-zero return, which it
 * returns, keeping that record and the ones after it. 0 when every record
 * went: the combiner is then empty. */
int gale_combiner_drain(gale_combiner_t *c, int (*fn)(void *arg,
    const uint8_t *enc, size_t len, uint64_t weight), void *arg);

#endif
