/* pace.h - a token bucket that holds a spout to `rate` tuples per second.
 *
 * A small value type that a spout embeds in its private state (no
 * allocation); its fields are private to pace.c. Used by one task's
 * thread only.
 */
#ifndef GALE_PACE_H
#define GALE_PACE_H

#include <stddef.h>
#include <stdint.h>

typedef struct gale_pace {
    int64_t rate;           /* tuples per second; <= 0 = unlimited */
    double tokens;          /* tuples that may be emitted now */
    double burst;           /* cap on tokens: a tenth of a second's worth */
    uint64_t last_ns;       /* when tokens was last refilled; 0 = never */
} gale_pace_t;

/* Starts a bucket for `rate` tuples/s (<= 0: no limit). It holds one
 * token at first, so the first tuple goes out at once. */
void gale_pace_init(gale_pace_t *p, int64_t rate);
/* How many of `want` tuples may be emitted now (0: back off). The caller
 * then reports what it emitted with gale_pace_spend. */
size_t gale_pace_allow(gale_pace_t *p, size_t want);
/* Takes n tokens out of the bucket. */
void gale_pace_spend(gale_pace_t *p, size_t n);
/* Same as allow, with an explicit monotonic time (for tests). */
size_t gale_pace_allow_at(gale_pace_t *p, size_t want, uint64_t now_ns);

#endif
