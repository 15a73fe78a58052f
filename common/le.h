/* le.h - little-endian stores and loads of n bytes (1 to 8), independent
 * of the host's byte order: the encodings of docs/wire.md. Pure; any
 * thread. */
#ifndef GALE_COMMON_LE_H
#define GALE_COMMON_LE_H

#include <stdint.h>

/* Writes the n low bytes of v at p, least significant first. */
static inline void
gale_put_le(uint8_t *p, uint64_t v, int n)
{
    int i;

    for (i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Reads n bytes at p, least significant first. */
static inline uint64_t
gale_get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    int i;

    for (i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

#endif
