/* combiner.c - equal tuples of one route, merged before they are sent.
 * One open-addressing table (linear probing, at most half full) holds the
 * entries themselves (length, hash, weight, and the bytes when short,
 * else their offset in an arena), so that a probe costs one cache line;
 * an array of table positions in insertion order gives the drain its
 * order.
 *
 * That cache line is the cost: a table of a few thousand words is larger
 * than the core's L1 and shared L2, and the probe's first load stalled for
 * most of an add (docs/performance.md). So a short encoding is not looked
 * up when it is added: its hash is computed, its slot prefetched, and it
 * waits in a ring of AHEAD pending adds; it is looked up when AHEAD more
 * have come (its line has arrived by then), or when the combiner is
 * counted or drained. Pending adds are taken in order, so the drain order
 * is unchanged; the ring only takes an add when every pending one could
 * be a new entry (nents + npend < max_ents), so taking them never runs
 * out of room. */
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
    union {
        uint64_t in[2];         /* len <= INLINE: key_words of the bytes */
        size_t off;             /* else: where they start in the arena */
    } u;
    uint32_t len;               /* encoding bytes; 0 = a free slot */
    uint32_t hash;              /* of those bytes */
    uint64_t weight;            /* tuples it stands for */
} comb_ent_t;

/* Pending adds (a power of two), and one of them. */
#define AHEAD 8u

typedef struct comb_pend {
    uint64_t w[2];              /* key_words of the encoding */
    uint32_t len;               /* its length, <= INLINE */
    uint32_t hash;              /* mix() of it */
} comb_pend_t;

struct gale_combiner {
    uint32_t max_ents;
    size_t max_bytes;
    comb_ent_t *tab;            /* owned; mask + 1 slots */
    uint32_t mask;
    uint32_t *order;            /* owned; max_ents table positions, in
                                 * insertion order */
    uint32_t nents;
    uint8_t *arena;             /* owned; max_bytes, for long encodings */
    size_t used;                /* arena bytes in use */
    uint64_t tuples;            /* sum of the weights (pending adds not
                                 * included) */
    comb_pend_t pend[AHEAD];    /* pending adds, a ring */
    uint32_t phead;             /* the oldest pending add */
    uint32_t npend;             /* pending adds */
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
    c->tab = xcalloc(n, sizeof *c->tab);
    c->mask = n - 1;
    c->order = xcalloc(max_ents, sizeof *c->order);
    c->arena = xmalloc(max_bytes > 0 ? max_bytes : 1);
    return c;
}

void
gale_combiner_destroy(gale_combiner_t **cp)
{
    gale_combiner_t *c;

    if (cp == NULL || (c = *cp) == NULL)
        return;
    free(c->tab);
    free(c->order);
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

/* The free slot where an entry of hash h goes (it is not in the table). */
static inline uint32_t
free_slot(const gale_combiner_t *c, uint32_t h)
{
    uint32_t i;

    for (i = h & c->mask; c->tab[i].len != 0; i = (i + 1) & c->mask)
        ;
    return i;
}

/* Adds a short encoding (key words w, length len, hash h): merged with an
 * equal entry, or a new one. The caller made sure a new one fits. */
static inline void
add_inline(gale_combiner_t *c, const uint64_t w[2], uint32_t len, uint32_t h)
{
    comb_ent_t *e;
    uint32_t i;

    for (i = h & c->mask; (e = &c->tab[i])->len != 0; i = (i + 1) & c->mask) {
        if (e->hash == h && e->len == len && e->u.in[0] == w[0] &&
            e->u.in[1] == w[1]) {
            e->weight++;
            c->tuples++;
            return;
        }
    }
    e->len = len;
    e->hash = h;
    e->weight = 1;
    e->u.in[0] = w[0];
    e->u.in[1] = w[1];
    c->order[c->nents++] = i;
    c->tuples++;
}

/* Takes the oldest pending add. */
static inline void
settle_one(gale_combiner_t *c)
{
    const comb_pend_t *p = &c->pend[c->phead];

    add_inline(c, p->w, p->len, p->hash);
    c->phead = (c->phead + 1) & (AHEAD - 1);
    c->npend--;
}

/* Takes every pending add, oldest first. */
static void
settle(gale_combiner_t *c)
{
    while (c->npend > 0)
        settle_one(c);
}

int
gale_combiner_add(gale_combiner_t *c, const void *rec, size_t len)
{
    uint64_t w[2] = { 0, 0 };
    uint32_t h, i;
    comb_ent_t *e;

    if (len < 4)
        return -EINVAL;             /* no record is this short */
    if (len <= INLINE && c->nents + c->npend < c->max_ents) {
        comb_pend_t *p;

        key_words(rec, len, w);
        h = mix(w[0], w[1], len);
        __builtin_prefetch(&c->tab[h & c->mask], 1);
        if (c->npend == AHEAD)
            settle_one(c);
        p = &c->pend[(c->phead + c->npend) & (AHEAD - 1)];
        p->w[0] = w[0];
        p->w[1] = w[1];
        p->len = (uint32_t)len;
        p->hash = h;
        c->npend++;
        return 0;
    }
    settle(c);
    if (len <= INLINE) {
        key_words(rec, len, w);
        h = mix(w[0], w[1], len);
    } else {
        h = long_hash(rec, len);
    }
    for (i = h & c->mask; (e = &c->tab[i])->len != 0; i = (i + 1) & c->mask) {
        if (e->hash != h || e->len != len)
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
    c->order[c->nents++] = i;
    c->tuples++;
    return 0;
}

uint32_t
gale_combiner_count(gale_combiner_t *c)
{
    settle(c);
    return c->nents;
}

uint64_t
gale_combiner_tuples(const gale_combiner_t *c)
{
    return c->tuples + c->npend;
}

int
gale_combiner_drain(gale_combiner_t *c, int (*fn)(void *arg,
    const uint8_t *enc, size_t len, uint64_t weight), void *arg)
{
    uint32_t i, j, n = c->nents;
    comb_ent_t *kept;
    size_t base;
    int rc = 0;

    settle(c);
    n = c->nents;
    for (i = 0; i < n; i++) {
        comb_ent_t *e = &c->tab[c->order[i]];
        uint8_t b[INLINE];

        if (e->len <= INLINE)
            key_bytes(b, e->len, e->u.in);
        if ((rc = fn(arg, e->len <= INLINE ? b : c->arena + e->u.off, e->len,
            e->weight)) != 0)
            break;
        c->tuples -= e->weight;
    }
    if (i == n) {
        /* Free the slots in use: fewer stores than clearing the table
         * when the drain comes early (the flush interval). */
        if (n < (c->mask + 1) / 8) {
            for (j = 0; j < n; j++)
                c->tab[c->order[j]].len = 0;
        } else {
            memset(c->tab, 0, ((size_t)c->mask + 1) * sizeof *c->tab);
        }
        c->nents = 0;
        c->used = 0;
        return 0;
    }
    /* Keep entries i.. (an error stopped the drain): take them out, move
     * the arena bytes of the long ones to the front and put them back in
     * their order. */
    kept = xreallocarray(NULL, n - i, sizeof *kept);
    for (j = i; j < n; j++)
        kept[j - i] = c->tab[c->order[j]];
    base = c->used;
    for (j = 0; j < n - i; j++)
        if (kept[j].len > INLINE) {
            base = kept[j].u.off;
            break;
        }
    memmove(c->arena, c->arena + base, c->used - base);
    c->used -= base;
    memset(c->tab, 0, ((size_t)c->mask + 1) * sizeof *c->tab);
    for (j = 0; j < n - i; j++) {
        uint32_t k = free_slot(c, kept[j].hash);

        if (kept[j].len > INLINE)
            kept[j].u.off -= base;
        c->tab[k] = kept[j];
        c->order[j] = k;
    }
    c->nents = n - i;
    free(kept);
    return rc;
}
