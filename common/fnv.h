/* fnv.h - FNV-1a, 64 bits: a quick hash for in-memory tables (never for
 * anything on the wire or on disk). Pure; any thread. */
#ifndef GALE_COMMON_FNV_H
#define GALE_COMMON_FNV_H

#include <stddef.h>
#include <stdint.h>

#define GALE_FNV_BASIS 0xcbf29ce484222325ull    /* the offset basis */

/* h, continued over the n bytes at p. */
static inline uint64_t
gale_fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    size_t i;

    for (i = 0; i < n; i++)
        h = (h ^ c[i]) * 0x100000001b3ull;
    return h;
}

#endif
