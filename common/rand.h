/* rand.h - the one small PRNG gale uses where it needs cheap, seeded,
 * reproducible randomness (shuffle order, none grouping, generators). */
#ifndef GALE_RAND_H
#define GALE_RAND_H

#include <stdint.h>

/* xorshift64*: advances *state (which must not be 0) and returns the next
 * 64-bit value. */
static inline uint64_t
gale_xorshift64s(uint64_t *state)
{
    uint64_t x = *state;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

#endif
