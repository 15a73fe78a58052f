/* keyhash.c - the key hash H and the key-group mapping.
 *
 * H (docs/wire.md gives the exact definition and test vectors) reads its
 * input as 8-byte little-endian words, the last one zero-padded, mixes
 * each into a 64-bit state and finishes with the length and a splitmix64
 * finaliser. Values are encoded canonically into a small stack buffer as
 * they are hashed, so hashing a short key is a few multiplications and no
 * allocation. */
#include "config.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "engine/wire/keyhash.h"
#include "engine/wire/valuecodec.h"

#define H_SEED 0x243F6A8885A308D3ULL    /* pi's fraction */
#define H_P1 0x9E3779B97F4A7C15ULL      /* 2^64 / golden ratio, odd */
#define H_P2 0xD6E8FEB86659FD93ULL      /* an odd 64-bit multiplier */
#define H_CANON_NAN 0x7FF8000000000000ULL

#define HBUF 64                          /* bytes buffered before mixing */

/* A hash in progress: words not yet mixed wait in buf. */
typedef struct hstate {
    uint64_t h;         /* the running state */
    uint64_t done;      /* bytes already mixed in */
    size_t fill;        /* bytes waiting in buf */
    uint8_t buf[HBUF];  /* pending bytes; HBUF is a multiple of 8 */
} hstate_t;

/* One entry of a map being put in canonical order. */
typedef struct mentry {
    const uint8_t *key;     /* key bytes */
    size_t klen;            /* their length */
    const uint8_t *val;     /* the value's encoding */
    size_t index;           /* position in the map, to keep sorting stable */
} mentry_t;

static inline uint64_t
load_le64(const uint8_t *p)
{
    uint64_t w;

    memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

static inline uint64_t
rotl64(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

/* Mixes one word: bijective in h for a fixed w and in w for a fixed h. */
static inline uint64_t
h_round(uint64_t h, uint64_t w)
{
    return rotl64(h ^ (w * H_P1), 31) * H_P2;
}

/* The splitmix64 finaliser, over the state with the length folded in. */
static inline uint64_t
h_final(uint64_t h, uint64_t len)
{
    h ^= len * H_P1;
    h ^= h >> 30;
    h *= 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 27;
    h *= 0x94D049BB133111EBULL;
    h ^= h >> 31;
    return h;
}

static inline void
h_init(hstate_t *s)
{
    s->h = H_SEED;
    s->done = 0;
    s->fill = 0;
}

/* Mixes the first n (a multiple of 8) bytes at p. */
static void
h_words(hstate_t *s, const uint8_t *p, size_t n)
{
    uint64_t h = s->h;
    size_t i;

    for (i = 0; i < n; i += 8)
        h = h_round(h, load_le64(p + i));
    s->h = h;
    s->done += n;
}

/* The part of h_absorb that mixes: fills buf, mixes it, mixes whole words
 * straight from p and keeps the rest. Out of line, so that the short
 * pieces the callers feed stay a memcpy. */
static void __attribute__((noinline))
h_absorb_slow(hstate_t *s, const uint8_t *p, size_t n)
{
    size_t k;

    k = HBUF - s->fill;
    memcpy(s->buf + s->fill, p, k);
    h_words(s, s->buf, HBUF);
    p += k;
    n -= k;
    k = n & ~(size_t)7;
    h_words(s, p, k);
    memcpy(s->buf, p + k, n - k);
    s->fill = n - k;
}

/* Feeds n bytes; short pieces only land in buf. */
static inline void
h_absorb(hstate_t *s, const void *src, size_t n)
{
    if (n <= HBUF - s->fill) {
        memcpy(s->buf + s->fill, src, n);
        s->fill += n;
        return;
    }
    h_absorb_slow(s, src, n);
}

static uint64_t
h_finish(hstate_t *s)
{
    uint8_t tail[8] = { 0 };
    size_t whole = s->fill & ~(size_t)7;
    uint64_t len = s->done + s->fill;

    h_words(s, s->buf, whole);
    if (whole < s->fill) {
        memcpy(tail, s->buf + whole, s->fill - whole);
        s->h = h_round(s->h, load_le64(tail));
    }
    return h_final(s->h, len);
}

uint64_t
gale_keyhash_bytes(const void *p, size_t len)
{
    hstate_t s;

    h_init(&s);
    h_absorb(&s, p, len);
    return h_finish(&s);
}

/* Feeds a tag byte followed by a varint. */
static inline void
h_tag_varint(hstate_t *s, uint8_t tag, uint64_t v)
{
    uint8_t tmp[1 + GALE_VARINT_MAX], *p;

    tmp[0] = tag;
    p = gale_varint_put(tmp + 1, v);
    h_absorb(s, tmp, (size_t)(p - tmp));
}

/* Feeds a double canonically: -0.0 as 0.0, every NaN as one quiet NaN. */
static void
h_double(hstate_t *s, double d)
{
    uint8_t tmp[9];
    uint64_t u;
    int i;

    if (d == 0)
        d = 0.0;
    memcpy(&u, &d, sizeof u);
    if (d != d)
        u = H_CANON_NAN;
    tmp[0] = GALE_TAG_DOUBLE;
    for (i = 0; i < 8; i++, u >>= 8)
        tmp[1 + i] = (uint8_t)u;
    h_absorb(s, tmp, sizeof tmp);
}

/* Orders map entries bytewise by key, then by position. */
static int
mentry_cmp(const void *a, const void *b)
{
    const mentry_t *x = a, *y = b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = n != 0 ? memcmp(x->key, y->key, n) : 0;

    if (c != 0)
        return c;
    if (x->klen != y->klen)
        return x->klen < y->klen ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Feeds the canonical form of the value at *pp, which gale_value_scan
 * accepted, and advances *pp past it. */
static void
h_value(hstate_t *s, const uint8_t **pp, const uint8_t *end)
{
    const uint8_t *p = *pp, *start = p;
    mentry_t small[16], *ents;
    uint64_t n, i, klen;

    switch (*p++) {
    case GALE_TAG_DOUBLE:
        h_double(s, ((union { uint64_t u; double d; }){ .u =
            load_le64(p) }).d);
        p += 8;
        break;
    case GALE_TAG_LIST:
        (void)gale_varint_get(&p, end, &n, NULL);
        h_tag_varint(s, GALE_TAG_LIST, n);
        for (i = 0; i < n; i++)
            h_value(s, &p, end);
        break;
    case GALE_TAG_MAP:
        (void)gale_varint_get(&p, end, &n, NULL);
        h_tag_varint(s, GALE_TAG_MAP, n);
        ents = n <= 16 ? small : xreallocarray(NULL, n, sizeof *ents);
        for (i = 0; i < n; i++) {
            (void)gale_varint_get(&p, end, &klen, NULL);
            ents[i].key = p;
            ents[i].klen = klen;
            ents[i].index = i;
            p += klen;
            ents[i].val = p;
            (void)gale_value_scan(p, end, &p, NULL);
        }
        if (n > 1)
            qsort(ents, n, sizeof *ents, mentry_cmp);
        for (i = 0; i < n; i++) {
            uint8_t tmp[GALE_VARINT_MAX];
            const uint8_t *v = ents[i].val;

            h_absorb(s, tmp, (size_t)(gale_varint_put(tmp, ents[i].klen) - tmp));
            h_absorb(s, ents[i].key, ents[i].klen);
            h_value(s, &v, end);
        }
        if (ents != small)
            free(ents);
        break;
    default:
        /* Scalars, strings and bytes are canonical as they stand. */
        (void)gale_value_scan(start, end, &p, NULL);
        h_absorb(s, start, (size_t)(p - start));
        break;
    }
    *pp = p;
}

/* Feeds one datum in canonical form. */
static void
h_datum(hstate_t *s, const gale_datum_t *d)
{
    const uint8_t *p, *next = NULL;
    uint8_t tag;

    switch (d->type) {
    case GALE_NULL:
        h_absorb(s, "\0", 1);
        return;
    case GALE_BOOL:
        tag = d->u.b ? GALE_TAG_TRUE : GALE_TAG_FALSE;
        h_absorb(s, &tag, 1);
        return;
    case GALE_INT:
        h_tag_varint(s, GALE_TAG_INT, gale_zigzag(d->u.i));
        return;
    case GALE_DOUBLE:
        h_double(s, d->u.d);
        return;
    case GALE_STRING:
    case GALE_BYTES:
        h_tag_varint(s, d->type == GALE_STRING ? GALE_TAG_STRING :
            GALE_TAG_BYTES, d->u.s.len);
        h_absorb(s, d->u.s.ptr, d->u.s.len);
        return;
    case GALE_LIST:
    case GALE_MAP:
        p = d->u.s.ptr;
        tag = d->type == GALE_LIST ? GALE_TAG_LIST : GALE_TAG_MAP;
        if (d->u.s.len != 0 && p[0] == tag &&
            gale_value_scan(p, p + d->u.s.len, &next, NULL) == 0 &&
            next == p + d->u.s.len) {
            h_value(s, &p, next);
            return;
        }
        break;
    }
    /* Malformed: the byte 0xFF, then the raw bytes of LIST/MAP. */
    tag = 0xFF;
    h_absorb(s, &tag, 1);
    if ((d->type == GALE_LIST || d->type == GALE_MAP) && d->u.s.len != 0)
        h_absorb(s, d->u.s.ptr, d->u.s.len);
}

/* p[0..n) (n <= 8) as a little-endian word, zero-padded, loading no byte
 * past p + n: two overlapping loads of 4, or three single bytes. */
static inline uint64_t
load_tail(const uint8_t *p, size_t n)
{
    uint32_t a, b;

    if (n >= 8)
        return load_le64(p);
    if (n >= 4) {
        memcpy(&a, p, 4);
        memcpy(&b, p + n - 4, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        a = __builtin_bswap32(a);
        b = __builtin_bswap32(b);
#endif
        return (uint64_t)a | (uint64_t)b << ((n - 4) * 8);
    }
    if (n == 0)
        return 0;
    return (uint64_t)p[0] | (uint64_t)p[n / 2] << (n / 2 * 8) |
        (uint64_t)p[n - 1] << ((n - 1) * 8);
}

/* H of one string or bytes datum of len < 128: its encoding is the tag,
 * one length byte and the bytes, hashed word by word straight from the
 * datum (no buffer, no memcpy call): the same words h_absorb and
 * h_finish would mix. The common key of a fields grouping. */
static uint64_t
h_short_str(uint8_t tag, const uint8_t *p, size_t len)
{
    uint64_t h = H_SEED;
    size_t k;

    h = h_round(h, (uint64_t)tag | (uint64_t)len << 8 |
        load_tail(p, len < 6 ? len : 6) << 16);
    for (k = 6; k < len; k += 8)
        h = h_round(h, load_tail(p + k, len - k < 8 ? len - k : 8));
    return h_final(h, len + 2);
}

uint64_t
gale_keyhash(const gale_datum_t *vals, size_t n)
{
    hstate_t s;
    size_t i;

    if (n == 1 && (vals[0].type == GALE_STRING ||
        vals[0].type == GALE_BYTES) && vals[0].u.s.len < 0x80)
        return h_short_str(vals[0].type == GALE_STRING ? GALE_TAG_STRING :
            GALE_TAG_BYTES, vals[0].u.s.ptr, vals[0].u.s.len);
    h_init(&s);
    for (i = 0; i < n; i++)
        h_datum(&s, &vals[i]);
    return h_finish(&s);
}

int
gale_keygroup(uint64_t h, int max_parallelism)
{
    assert(max_parallelism > 0);
    return (int)(h % (uint64_t)max_parallelism);
}

int
gale_keygroup_task(int kg, int ntasks, int max_parallelism)
{
    assert(max_parallelism > 0 && ntasks > 0);
    assert(kg >= 0 && kg < max_parallelism);
    return (int)((int64_t)kg * ntasks / max_parallelism);
}

/* Task i owns the kg with i <= kg x ntasks / maxp < i + 1, that is
 * ceil(i x maxp / ntasks) <= kg <= floor(((i + 1) x maxp - 1) / ntasks).
 * With ntasks > maxp some tasks own nothing (*first > *last). */
void
gale_keygroup_range(int i, int ntasks, int max_parallelism, int *first,
    int *last)
{
    int64_t m = max_parallelism, t = ntasks;

    assert(max_parallelism > 0 && ntasks > 0 && i >= 0 && i < ntasks);
    *first = (int)(((int64_t)i * m + t - 1) / t);
    *last = (int)((((int64_t)i + 1) * m - 1) / t);
}
