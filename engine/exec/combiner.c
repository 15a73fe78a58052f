/* combiner.c - equal tuples of one route, merged before they are sent.
 * Entries (length, hash, weight, and the bytes themselves when short, else
 * their offset in an arena) are dense, in insertion order; an
 * open-addressing index (linear probing, at most half full) holds
 * (hash, entry index + 1) per slot, so that a probe rarely touches an
 * entry that is not the one. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "engine/exec/combiner.h"

/* Encodings up to this many bytes are kept in the entry itself (a word
 * and its record header fit), as two words (key_words). */
#define INLINE 16

typedef struct comb_ent {
    uint32_t len;               /* encoding bytes */
    uint32_t hash;              /* of those bytes */
    uint64_t weight;            /* tuples it stands for */
    union {
        uint64_t in[2];         /* len <= INLINE: key_words of the bytes */
        size_t off;             /* else: where they start in the arena */
    } u;
} comb_ent_t;

struct gale_combiner {
    uint32_t max_ents;
    size_t max_bytes;
    comb_ent_t *ents;           /* owned; max_ents of them */
    uint32_t nents;
    uint64_t *slots;            /* owned; hash << 32 | entry index + 1;
                                 * 0 = empty */
    uint32_t mask;              /* slots - 1 */
    uint8_t *arena;             /* owned; max_bytes, for long encodings */
    size_t used;                /* arena bytes in use */
    uint64_t tuples;            /* sum of the weights */
};

gale_combiner_t *
gale_combiner_new(uint32_t max_ents, size_t max_bytes)
{
    gale_combiner_t *c = xcalloc(1, sizeof *c);
    uint32_t n = 16;

    if (max_ents < 1)
        max_ents = 1;
    while (n < 2 * max_ents)
        n *= 2;
    c->max_ents = max_ents;
    c->max_bytes = max_bytes;
    c->ents = xcalloc(max_ents, sizeof *c->ents);
    c->slots = xcalloc(n, sizeof *c->slots);
    c->mask = n - 1;
    c->arena = xmalloc(max_bytes > 0 ? max_bytes : 1);
    return c;
}

void
gale_combiner_destroy(gale_combiner_t **cp)
{
    gale_combiner_t *c;

    if (cp == NULL || (c = *cp) == NULL)
        return;
    free(c->ents);
    free(c->slots);
    free(c->arena);
    free(c);
    *cp = NULL;
}

/* The two words that name an encoding of 4 to 16 bytes given its length:
 * its first and last 8 bytes (4 below 8), overlapping; key_bytes gives
 * the bytes back. Fixed-size loads, no byte loop. */
static inline void
key_words(const uint8_t *p, size_t n, uint64_t w[2])
{
    uint32_t a, b;

    if (n >= 8) {
        memcpy(&w[0], p, 8);
        memcpy(&w[1], p + n - 8, 8);
    } else {
        memcpy(&a, p, 4);
        memcpy(&b, p + n - 4, 4);
        w[0] = a;
        w[1] = b;
    }
}

static inline void
key_bytes(uint8_t *out, size_t n, const uint64_t w[2])
{
    uint32_t a = (uint32_t)w[0], b = (uint32_t)w[1];

    if (n >= 8) {
        memcpy(out, &w[0], 8);
        memcpy(out + n - 8, &w[1], 8);
    } else {
        memcpy(out, &a, 4);
        memcpy(out + n - 4, &b, 4);
    }
}

/* Mixes two words and a length into 32 bits. */
static inline uint32_t
mix(uint64_t a, uint64_t b, size_t n)
{
    uint64_t h = (a ^ 0x9E3779B97F4A7C15ULL) * 0xD6E8FEB86659FD93ULL;

    h = (h ^ (h >> 32) ^ b ^ (uint64_t)n << 56) * 0xBF58476D1CE4E5B9ULL;
    return (uint32_t)(h ^ (h >> 29) ^ (h >> 47));
}

/* A hash of a long encoding: 8 bytes at a time, then its last 8. */
static uint32_t
long_hash(const uint8_t *p, size_t n)
{
    uint64_t h = n, w, t;
    size_t i;

    for (i = 0; i + 8 <= n; i += 8) {
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0xD6E8FEB86659FD93ULL;
        h ^= h >> 32;
    }
    memcpy(&t, p + n - 8, 8);
    return mix(h, t, n);
}

int
gale_combiner_add(gale_combiner_t *c, const void *rec, size_t len)
{
    uint64_t w[2] = { 0, 0 }, slot;
    uint32_t h, i;
    comb_ent_t *e;

    if (len < 4)
        return -EINVAL;             /* no record is this short */
    if (len <= INLINE) {
        key_words(rec, len, w);
        h = mix(w[0], w[1], len);
    } else {
        h = long_hash(rec, len);
    }
    for (i = h & c->mask; (slot = c->slots[i]) != 0; i = (i + 1) & c->mask) {
        if ((uint32_t)(slot >> 32) != h)
            continue;
        e = &c->ents[(uint32_t)slot - 1];
        if (e->len != len)
            continue;
        if (len <= INLINE ? (e->u.in[0] == w[0] && e->u.in[1] == w[1]) :
            memcmp(c->arena + e->u.off, rec, len) == 0) {
            e->weight++;
            c->tuples++;
            return 0;
        }
    }
    if (c->nents == c->max_ents ||
        (len > INLINE && len > c->max_bytes - c->used))
        return -ENOSPC;
    e = &c->ents[c->nents];
    e->len = (uint32_t)len;
    e->hash = h;
    e->weight = 1;
    if (len <= INLINE) {
        e->u.in[0] = w[0];
        e->u.in[1] = w[1];
    } else {
        e->u.off = c->used;
        memcpy(c->arena + c->used, rec, len);
        c->used += len;
    }
    c->slots[i] = (uint64_t)h << 32 | ++c->nents;
    c->tuples++;
    return 0;
}

uint32_t
gale_combiner_count(const gale_combiner_t *c)
{
    return c->nents;
}

uint64_t
gale_combiner_tuples(const gale_combiner_t *c)
{
    return c->tuples;
}

int
gale_combiner_drain(gale_combiner_t *c, int (*fn)(void *arg,
    const uint8_t *enc, size_t len, uint64_t weight), void *arg)
{
    uint32_t i, j, k, n = c->nents;
    size_t base = 0;
    int rc = 0;

    for (i = 0; i < n; i++) {
        comb_ent_t *e = &c->ents[i];
        uint8_t b[INLINE];

        if (e->len <= INLINE)
            key_bytes(b, e->len, e->u.in);
        if ((rc = fn(arg, e->len <= INLINE ? b : c->arena + e->u.off, e->len,
            e->weight)) != 0)
            break;
        c->tuples -= e->weight;
    }
    memset(c->slots, 0, ((size_t)c->mask + 1) * sizeof *c->slots);
    if (i == n) {
        c->nents = 0;
        c->used = 0;
        return 0;
    }
    /* Keep entries i.. (an error stopped the drain): move them, and the
     * arena bytes of the long ones, to the front and index them again. */
    for (j = i; j < n; j++)
        if (c->ents[j].len > INLINE) {
            base = c->ents[j].u.off;
            break;
        }
    if (j == n)
        base = c->used;
    memmove(c->arena, c->arena + base, c->used - base);
    c->used -= base;
    for (j = 0; i + j < n; j++) {
        c->ents[j] = c->ents[i + j];
        if (c->ents[j].len > INLINE)
            c->ents[j].u.off -= base;
        for (k = c->ents[j].hash & c->mask; c->slots[k] != 0;
            k = (k + 1) & c->mask)
            ;
        c->slots[k] = (uint64_t)c->ents[j].hash << 32 | (j + 1);
    }
    c->nents = j;
    return rc;
}
