/* pace.c - token-bucket rate limit for spouts (pace.h). */
#include <time.h>

#include <gale/clock.h>

#include "spouts/pace.h"

void
gale_pace_init(gale_pace_t *p, int64_t rate)
{
    p->rate = rate;
    p->tokens = 1;
    p->burst = rate > 10 ? (double)rate / 10 : 1;
    p->last_ns = 0;
}

/* The bucket refills continuously; its cap keeps a spout that was held
 * up (by backpressure, say) from bursting far above its rate after. */
size_t
gale_pace_allow_at(gale_pace_t *p, size_t want, uint64_t now_ns)
{
    if (p->rate <= 0)
        return want;
    if (p->last_ns != 0 && now_ns > p->last_ns)
        p->tokens += (double)(now_ns - p->last_ns) * (double)p->rate / 1e9;
    if (p->tokens > p->burst)
        p->tokens = p->burst;
    p->last_ns = now_ns;
    if (p->tokens < 1)
        return 0;
    return (double)want < p->tokens ? want : (size_t)p->tokens;
}

size_t
gale_pace_allow(gale_pace_t *p, size_t want)
{
    if (p->rate <= 0)
        return want;
    return gale_pace_allow_at(p, want, gale_now_ns());
}

void
gale_pace_spend(gale_pace_t *p, size_t n)
{
    if (p->rate > 0)
        p->tokens -= (double)n;
}
