/* kvstate.c - one task's keyed and operator state, in memory.
 *
 * Each named state (a handle) is a compact hash table in two arrays:
 *
 * - entries: dense, never moved by a rehash, so an entry's index is a
 *   stable name for it (the dirty lists hold indexes). An entry carries its
 *   key group, its key and value (inline when they fit in KV_INLINE bytes,
 *   else in one heap block), and the epoch in which it last changed. Freed
 *   entries go on a free list.
 * - slots: an open-addressing index (linear probing, load at most 1/2) of
 *   (32-bit hash, entry index + 1) pairs. A probe compares stored hashes
 *   first, so a miss rarely touches an entry. Growth doubles it.
 *
 * The key group is folded into the hash and compared with the key, so the
 * same key in two key groups is two entries. Operator state uses key group
 * -1 whatever the scope.
 *
 * Changes: the store has an epoch; a write to an entry whose epoch differs
 * stamps it and appends its index to the handle's dirty list, so tracking
 * costs one compare on the hot path and no second lookup. A delete keeps
 * the entry as a tombstone (key kept, value dropped) until take_dirty has
 * reported it; a put revives it in place. take_dirty bumps the epoch and
 * swaps each dirty list with an empty spare before walking the old ones.
 *
 * Issue 4 builds on this: a memory cap evicts clean entries (epoch older
 * than the current one) to LevelDB, a miss consults LevelDB, and a delete
 * of a key that is only on disk creates a tombstone entry.
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "engine/kvstate.h"

/* Bytes of key plus value kept inside the entry; the rest go to the heap.
 * 32 makes an entry one 64-byte cache line and holds a word and its count. */
#define KV_INLINE 32

#define ENT_TOMB 0x1u           /* deleted; reported by take_dirty, then freed */
#define ENT_FREE 0x2u           /* on the free list */

#define KV_MIN_SLOTS 16u
#define KV_MIN_ENTS 8u

struct kv_entry {
    uint32_t hash;              /* low 32 bits of kv_hash(kg, key) */
    int32_t kg;                 /* key group; -1 in operator state */
    uint32_t epoch;             /* store epoch of the last change; 0 = none */
    uint32_t klen;              /* key bytes */
    uint32_t vlen;              /* value bytes; 0 in a tombstone */
    uint32_t cap;               /* bytes of u.heap; 0 when the data is inline */
    uint32_t flags;             /* ENT_TOMB, ENT_FREE */
    uint32_t next;              /* free list: index + 1 of the next, 0 = end */
    union {
        unsigned char in[KV_INLINE];    /* key then value, when they fit */
        unsigned char *heap;            /* owned: key then value */
    } u;                        /* the key and value bytes */
};

struct kv_slot {
    uint32_t hash;              /* the entry's hash, compared before the key */
    uint32_t idx1;              /* entry index + 1; 0 = empty slot */
};

struct gale_kv {
    gale_kvstore_t *store;      /* the owner: scope, epoch, accounting */
    char *name;                 /* owned; the state's name */
    bool keyed;                 /* keyed state (else operator state) */
    struct kv_slot *slots;      /* owned; mask + 1 of them, NULL when empty */
    uint32_t mask;              /* number of slots - 1 */
    uint32_t nslotted;          /* entries in the index: live + tombstones */
    struct kv_entry *ents;      /* owned; entcap of them, nents used */
    uint32_t nents;             /* entries ever used (high-water mark) */
    uint32_t entcap;            /* allocated entries */
    uint32_t freelist;          /* index + 1 of the first free entry; 0 = none */
    uint32_t *dirty;            /* owned; entries changed in this epoch */
    uint32_t ndirty;            /* used length of dirty */
    uint32_t dirtycap;          /* allocated length of dirty */
    uint32_t *spare;            /* owned; empty list swapped in by take_dirty */
    uint32_t sparecap;          /* allocated length of spare */
};

struct gale_kvstore {
    int max_parallelism;        /* key groups of the topology */
    int kg_first;               /* first key group owned by the task */
    int kg_last;                /* last key group owned (kg_first - 1: none) */
    int kg;                     /* scope of keyed handles; -1 outside execute */
    uint32_t epoch;             /* current change epoch, never 0 */
    gale_kv_t **kvs;            /* owned; every handle, in creation order */
    size_t nkvs;                /* handles in kvs */
    size_t kvscap;              /* allocated length of kvs */
    size_t ndirty;              /* sum of the handles' ndirty */
    size_t bytes;               /* tables and out-of-line data (see the .h) */
};

/* ---- hashing --------------------------------------------------------- */

#define HK0 UINT64_C(0x9e3779b97f4a7c15)
#define HK1 UINT64_C(0xd6e8feb86659fd93)
#define HK2 UINT64_C(0xa0761d6478bd642f)

/* Multiplies to 128 bits and folds the halves: every input bit reaches
 * many output bits at the cost of one multiply. */
static inline uint64_t
fold(uint64_t a, uint64_t b)
{
    __extension__ unsigned __int128 p = (unsigned __int128)a * b;

    return (uint64_t)p ^ (uint64_t)(p >> 64);
}

/* Loads 8 unaligned bytes in host order (hashing only). */
static inline uint64_t
rd64(const unsigned char *p)
{
    uint64_t v;

    memcpy(&v, p, sizeof v);
    return v;
}

/* Loads 4 unaligned bytes in host order (hashing only). */
static inline uint64_t
rd32(const unsigned char *p)
{
    uint32_t v;

    memcpy(&v, p, sizeof v);
    return v;
}

/* A 32-bit hash of (kg, key), for this process only (it is never stored
 * on disk or sent, so it may change between versions). Short keys take two
 * multiplies; reads may overlap but never leave the key. */
static inline uint32_t
kv_hash(int kg, const void *key, size_t n)
{
    const unsigned char *p = key;
    uint64_t h = fold((uint64_t)(uint32_t)kg ^ HK0, (uint64_t)n ^ HK1);
    uint64_t a, b;
    size_t i;

    if (n <= 16) {
        if (n >= 8) {
            a = rd64(p);
            b = rd64(p + n - 8);
        } else if (n >= 4) {
            a = rd32(p);
            b = rd32(p + n - 4);
        } else if (n > 0) {
            a = (uint64_t)p[0] << 16 | (uint64_t)p[n >> 1] << 8 | p[n - 1];
            b = 0;
        } else
            a = b = 0;
    } else {
        for (i = n; i > 16; i -= 16, p += 16)
            h = fold(rd64(p) ^ HK1, rd64(p + 8) ^ h);
        a = rd64(p + i - 16);
        b = rd64(p + i - 8);
    }
    h = fold(a ^ HK2, b ^ h);
    return (uint32_t)(h ^ h >> 32);
}

/* ---- entries --------------------------------------------------------- */

/* The entry's key, followed by its value. */
static inline unsigned char *
ent_data(struct kv_entry *e)
{
    return e->cap != 0 ? e->u.heap : e->u.in;
}

/* Reads a counter: 8 bytes, little-endian, whatever the host. */
static inline int64_t
ld_le64(const unsigned char *p)
{
    uint64_t v;

    memcpy(&v, p, sizeof v);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return (int64_t)v;
}

/* Writes a counter in the layout ld_le64 reads. */
static inline void
st_le64(unsigned char *p, int64_t x)
{
    uint64_t v = (uint64_t)x;

#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    memcpy(p, &v, sizeof v);
}

/* Stores key and val in e. key is either the caller's (a new entry, whose
 * cap is 0) or e's own key; val may point anywhere, including into e's own
 * value, which stays readable until the copy is done. Grows or frees the
 * heap block as needed and keeps the store's byte count. */
static void
ent_set(gale_kvstore_t *s, struct kv_entry *e, const void *key, size_t klen,
    const void *val, size_t vlen)
{
    size_t need = klen + vlen;
    unsigned char *blk;

    if (need <= KV_INLINE) {
        if (e->cap != 0) {
            /* Back inline: the block is the key's (and maybe the value's)
             * source, so it is freed only after the copy. */
            blk = e->u.heap;
            memmove(e->u.in, blk, klen);
            if (vlen > 0)
                memmove(e->u.in + klen, val, vlen);
            free(blk);
            s->bytes -= e->cap;
            e->cap = 0;
        } else {
            if (key != e->u.in && klen > 0)
                memcpy(e->u.in, key, klen);
            if (vlen > 0)
                memmove(e->u.in + klen, val, vlen);
        }
    } else if (e->cap != 0 && need <= e->cap && need >= e->cap / 2) {
        if (vlen > 0)
            memmove(e->u.heap + klen, val, vlen);
    } else {
        blk = xmalloc(need);
        if (klen > 0)
            memcpy(blk, key, klen);
        if (vlen > 0)
            memcpy(blk + klen, val, vlen);
        if (e->cap != 0) {
            free(e->u.heap);
            s->bytes -= e->cap;
        }
        e->u.heap = blk;
        e->cap = (uint32_t)need;
        s->bytes += need;
    }
    e->klen = (uint32_t)klen;
    e->vlen = (uint32_t)vlen;
}

/* Records that entry idx changed in this epoch, once per epoch. */
static inline void
kv_touch(gale_kv_t *kv, uint32_t idx)
{
    gale_kvstore_t *s = kv->store;
    struct kv_entry *e = &kv->ents[idx];

    if (e->epoch == s->epoch)
        return;
    e->epoch = s->epoch;
    if (kv->ndirty == kv->dirtycap) {
        uint32_t ncap = kv->dirtycap == 0 ? 64 : kv->dirtycap * 2;

        kv->dirty = xreallocarray(kv->dirty, ncap, sizeof *kv->dirty);
        kv->dirtycap = ncap;
    }
    kv->dirty[kv->ndirty++] = idx;
    s->ndirty++;
}

/* ---- the index ------------------------------------------------------- */

/* Looks (kg, key) up. Returns the entry index + 1, or 0 if absent; in both
 * cases *slotp is the slot where it is, or where it would go. The table
 * must have slots. */
static inline uint32_t
kv_find(const gale_kv_t *kv, int kg, uint32_t h, const void *key, size_t klen,
    uint32_t *slotp)
{
    uint32_t i = h & kv->mask;
    const struct kv_slot *sl;
    const struct kv_entry *e;

    for (;; i = (i + 1) & kv->mask) {
        sl = &kv->slots[i];
        if (sl->idx1 == 0)
            break;
        if (sl->hash != h)
            continue;
        e = &kv->ents[sl->idx1 - 1];
        if (e->kg == kg && e->klen == klen && (klen == 0 ||
            memcmp(e->cap != 0 ? e->u.heap : e->u.in, key, klen) == 0)) {
            *slotp = i;
            return sl->idx1;
        }
    }
    *slotp = i;
    return 0;
}

/* Doubles the index (or creates it) and reinserts every slot from its
 * stored hash; entries do not move. */
static void
kv_grow_index(gale_kv_t *kv)
{
    uint32_t oldn = kv->slots == NULL ? 0 : kv->mask + 1;
    uint32_t newn = oldn == 0 ? KV_MIN_SLOTS : oldn * 2;
    struct kv_slot *old = kv->slots, *ns;
    uint32_t i, j;

    assert(newn > oldn);
    ns = xcalloc(newn, sizeof *ns);
    for (i = 0; i < oldn; i++) {
        if (old[i].idx1 == 0)
            continue;
        for (j = old[i].hash & (newn - 1); ns[j].idx1 != 0;
            j = (j + 1) & (newn - 1))
            ;
        ns[j] = old[i];
    }
    free(old);
    kv->slots = ns;
    kv->mask = newn - 1;
    kv->store->bytes += (size_t)(newn - oldn) * sizeof *ns;
}

/* Empties slot i, shifting later slots of the same probe run back so that
 * linear probing needs no deletion markers. */
static void
kv_unslot(gale_kv_t *kv, uint32_t i)
{
    uint32_t j, home;

    for (j = (i + 1) & kv->mask; kv->slots[j].idx1 != 0;
        j = (j + 1) & kv->mask) {
        home = kv->slots[j].hash & kv->mask;
        /* Slot j may fill the hole at i only if its home is not in (i, j]. */
        if (((j - home) & kv->mask) >= ((j - i) & kv->mask)) {
            kv->slots[i] = kv->slots[j];
            i = j;
        }
    }
    kv->slots[i].idx1 = 0;
    kv->slots[i].hash = 0;
    kv->nslotted--;
}

/* True if the next insert will move the entry array (so pointers into
 * inline data go stale). */
static inline bool
kv_ents_full(const gale_kv_t *kv)
{
    return kv->freelist == 0 && kv->nents == kv->entcap;
}

/* Adds (kg, key) with an empty value at slot *slotp (from a kv_find miss),
 * growing the index first if it would pass half full. Returns the new
 * entry's index, stamped dirty. */
static uint32_t
kv_insert(gale_kv_t *kv, int kg, uint32_t h, const void *key, size_t klen,
    uint32_t slot)
{
    gale_kvstore_t *s = kv->store;
    struct kv_entry *e;
    uint32_t idx;

    if (kv->slots == NULL || (kv->nslotted + 1) * 2 > kv->mask + 1) {
        kv_grow_index(kv);
        (void)kv_find(kv, kg, h, key, klen, &slot);
    }
    if (kv->freelist != 0) {
        idx = kv->freelist - 1;
        kv->freelist = kv->ents[idx].next;
    } else {
        if (kv->nents == kv->entcap) {
            uint32_t ncap = kv->entcap == 0 ? KV_MIN_ENTS : kv->entcap * 2;

            assert(ncap > kv->entcap && ncap < UINT32_MAX);
            kv->ents = xreallocarray(kv->ents, ncap, sizeof *kv->ents);
            s->bytes += (size_t)(ncap - kv->entcap) * sizeof *kv->ents;
            kv->entcap = ncap;
        }
        idx = kv->nents++;
    }
    e = &kv->ents[idx];
    memset(e, 0, sizeof *e);
    e->hash = h;
    e->kg = kg;
    ent_set(s, e, key, klen, NULL, 0);
    kv->slots[slot].hash = h;
    kv->slots[slot].idx1 = idx + 1;
    kv->nslotted++;
    kv_touch(kv, idx);
    return idx;
}

/* Removes tombstone idx for good: out of the index, onto the free list. */
static void
kv_forget(gale_kv_t *kv, uint32_t idx)
{
    struct kv_entry *e = &kv->ents[idx];
    uint32_t i;

    for (i = e->hash & kv->mask; kv->slots[i].idx1 != idx + 1;
        i = (i + 1) & kv->mask)
        assert(kv->slots[i].idx1 != 0);
    kv_unslot(kv, i);
    if (e->cap != 0) {
        free(e->u.heap);
        kv->store->bytes -= e->cap;
    }
    e->cap = 0;
    e->flags = ENT_FREE;
    e->next = kv->freelist;
    kv->freelist = idx + 1;
}

/* The key group a handle's operation applies to: the scope for keyed
 * state (-1 if outside execute), -1 for operator state. */
static inline int
kv_scope(const gale_kv_t *kv)
{
    return kv->keyed ? kv->store->kg : -1;
}

/* ---- the store ------------------------------------------------------- */

gale_kvstore_t *
gale_kvstore_new(int max_parallelism, int kg_first, int kg_last)
{
    gale_kvstore_t *s;

    /* The on-disk layout (issue 4) gives a key group 16 bits. A task may own
     * no key group (more tasks than key groups): kg_last = kg_first - 1. */
    assert(max_parallelism > 0 && max_parallelism <= 65536);
    assert(kg_first >= 0 && kg_last >= kg_first - 1 &&
        kg_last < max_parallelism);
    s = xcalloc(1, sizeof *s);
    s->max_parallelism = max_parallelism;
    s->kg_first = kg_first;
    s->kg_last = kg_last;
    s->kg = -1;
    s->epoch = 1;
    return s;
}

/* Frees one handle and everything it holds. */
static void
kv_free(gale_kv_t *kv)
{
    uint32_t i;

    for (i = 0; i < kv->nents; i++)
        if (kv->ents[i].cap != 0 && !(kv->ents[i].flags & ENT_FREE))
            free(kv->ents[i].u.heap);
    free(kv->ents);
    free(kv->slots);
    free(kv->dirty);
    free(kv->spare);
    free(kv->name);
    free(kv);
}

void
gale_kvstore_destroy(gale_kvstore_t **sp)
{
    gale_kvstore_t *s;
    size_t i;

    if (sp == NULL || (s = *sp) == NULL)
        return;
    for (i = 0; i < s->nkvs; i++)
        kv_free(s->kvs[i]);
    free(s->kvs);
    free(s);
    *sp = NULL;
}

/* Finds or creates the handle (keyed, name). Lookup is a linear scan: a
 * task has a handful of states and components look them up in prepare. */
static gale_kv_t *
kvstore_handle(gale_kvstore_t *s, const char *name, bool keyed)
{
    gale_kv_t *kv;
    size_t i;

    assert(s != NULL && name != NULL);
    for (i = 0; i < s->nkvs; i++)
        if (s->kvs[i]->keyed == keyed && strcmp(s->kvs[i]->name, name) == 0)
            return s->kvs[i];
    if (s->nkvs == s->kvscap) {
        s->kvscap = s->kvscap == 0 ? 4 : s->kvscap * 2;
        s->kvs = xreallocarray(s->kvs, s->kvscap, sizeof *s->kvs);
    }
    kv = xcalloc(1, sizeof *kv);
    kv->store = s;
    kv->name = xstrdup(name);
    kv->keyed = keyed;
    s->kvs[s->nkvs++] = kv;
    return kv;
}

gale_kv_t *
gale_kvstore_keyed(gale_kvstore_t *s, const char *name)
{
    return kvstore_handle(s, name, true);
}

gale_kv_t *
gale_kvstore_operator(gale_kvstore_t *s, const char *name)
{
    return kvstore_handle(s, name, false);
}

void
gale_kvstore_set_keygroup(gale_kvstore_t *s, int kg)
{
    assert(kg == -1 || (kg >= s->kg_first && kg <= s->kg_last));
    s->kg = kg;
}

int
gale_kvstore_keygroup(const gale_kvstore_t *s)
{
    return s->kg;
}

size_t
gale_kvstore_bytes(const gale_kvstore_t *s)
{
    return s->bytes;
}

size_t
gale_kvstore_dirty_count(const gale_kvstore_t *s)
{
    return s->ndirty;
}

/* Starts a new epoch. On the (once in 2^32 checkpoints) wrap, every stamp
 * is cleared so that no old entry looks changed in the new epoch. */
static void
kvstore_next_epoch(gale_kvstore_t *s)
{
    size_t i;
    uint32_t j;

    if (++s->epoch != 0)
        return;
    for (i = 0; i < s->nkvs; i++)
        for (j = 0; j < s->kvs[i]->nents; j++)
            s->kvs[i]->ents[j].epoch = 0;
    s->epoch = 1;
}

/* Swaps a handle's dirty list with its empty spare. */
static void
kv_swap_dirty(gale_kv_t *kv)
{
    uint32_t *l = kv->dirty, cap = kv->dirtycap;

    kv->dirty = kv->spare;
    kv->dirtycap = kv->sparecap;
    kv->spare = l;
    kv->sparecap = cap;
}

int
gale_kvstore_take_dirty(gale_kvstore_t *s, gale_kvstore_dirty_fn fn, void *arg)
{
    gale_kv_t *kv;
    struct kv_entry *e;
    const unsigned char *d;
    uint32_t *taken, j, n;
    size_t i;
    int rc = 0;

    /* The synchronous part: a new epoch and empty lists. The old lists
     * (now in spare, with their length kept in ndirty) are walked below. */
    kvstore_next_epoch(s);
    for (i = 0; i < s->nkvs; i++)
        kv_swap_dirty(s->kvs[i]);
    for (i = 0; i < s->nkvs && rc == 0; i++) {
        kv = s->kvs[i];
        for (j = 0; j < kv->ndirty && rc == 0; j++) {
            e = &kv->ents[kv->spare[j]];
            d = ent_data(e);
            rc = fn(arg, e->kg, kv->name, d, e->klen,
                (e->flags & ENT_TOMB) ? NULL : d + e->klen, e->vlen);
        }
    }
    if (rc != 0) {
        /* Keep every change for the next attempt: the lists go back and
         * their entries are stamped with the new epoch. fn wrote nothing,
         * so the current lists are still empty. */
        for (i = 0; i < s->nkvs; i++) {
            kv = s->kvs[i];
            kv_swap_dirty(kv);
            for (j = 0; j < kv->ndirty; j++)
                kv->ents[kv->dirty[j]].epoch = s->epoch;
        }
        return rc;
    }
    for (i = 0; i < s->nkvs; i++) {
        kv = s->kvs[i];
        taken = kv->spare;
        n = kv->ndirty;
        for (j = 0; j < n; j++)
            if (kv->ents[taken[j]].flags & ENT_TOMB)
                kv_forget(kv, taken[j]);
        kv->ndirty = 0;
    }
    s->ndirty = 0;
    return 0;
}

/* ---- the public state API (include/gale/state.h) -------------------- */

int
gale_kv_get(gale_kv_t *kv, const void *key, size_t klen, const void **val,
    size_t *vlen)
{
    int kg = kv_scope(kv);
    uint32_t h, idx1, slot = 0;
    struct kv_entry *e;

    if (kv->keyed && kg < 0)
        return -EINVAL;
    if (kv->slots == NULL)
        return -ENOENT;
    h = kv_hash(kg, key, klen);
    if ((idx1 = kv_find(kv, kg, h, key, klen, &slot)) == 0)
        return -ENOENT;
    e = &kv->ents[idx1 - 1];
    if (e->flags & ENT_TOMB)
        return -ENOENT;
    *val = ent_data(e) + e->klen;
    *vlen = e->vlen;
    return 0;
}

int
gale_kv_put(gale_kv_t *kv, const void *key, size_t klen, const void *val,
    size_t vlen)
{
    int kg = kv_scope(kv);
    uint32_t h, idx1, slot = 0;
    struct kv_entry *e;
    void *copy = NULL;
    uintptr_t v, lo, hi;

    if (kv->keyed && kg < 0)
        return -EINVAL;
    if (klen > UINT32_MAX || vlen > UINT32_MAX - klen)
        return -EINVAL;
    h = kv_hash(kg, key, klen);
    idx1 = kv->slots == NULL ? 0 : kv_find(kv, kg, h, key, klen, &slot);
    if (idx1 == 0) {
        /* val may be a borrowed value of this handle, inline in the entry
         * array that the insert is about to move. */
        if (vlen > 0 && kv_ents_full(kv) && kv->ents != NULL) {
            v = (uintptr_t)val;
            lo = (uintptr_t)kv->ents;
            hi = (uintptr_t)(kv->ents + kv->entcap);
            if (v >= lo && v < hi) {
                copy = xmalloc(vlen);
                memcpy(copy, val, vlen);
                val = copy;
            }
        }
        idx1 = kv_insert(kv, kg, h, key, klen, slot) + 1;
    }
    e = &kv->ents[idx1 - 1];
    ent_set(kv->store, e, ent_data(e), klen, val, vlen);
    e->flags &= ~ENT_TOMB;
    kv_touch(kv, idx1 - 1);
    free(copy);
    return 0;
}

int
gale_kv_delete(gale_kv_t *kv, const void *key, size_t klen)
{
    int kg = kv_scope(kv);
    uint32_t h, idx1, slot = 0;
    struct kv_entry *e;

    if (kv->keyed && kg < 0)
        return -EINVAL;
    if (kv->slots == NULL)
        return 0;
    h = kv_hash(kg, key, klen);
    if ((idx1 = kv_find(kv, kg, h, key, klen, &slot)) == 0)
        return 0;
    e = &kv->ents[idx1 - 1];
    if (e->flags & ENT_TOMB)
        return 0;
    ent_set(kv->store, e, ent_data(e), e->klen, NULL, 0);
    e->flags |= ENT_TOMB;
    kv_touch(kv, idx1 - 1);
    return 0;
}

int
gale_kv_iterate(gale_kv_t *kv, int (*fn)(void *arg, const void *key,
    size_t klen, const void *val, size_t vlen), void *arg)
{
    int kg = kv_scope(kv);
    const struct kv_entry *e;
    const unsigned char *d;
    uint32_t i;
    int rc;

    for (i = 0; i < kv->nents; i++) {
        e = &kv->ents[i];
        if (e->flags & (ENT_TOMB | ENT_FREE))
            continue;
        if (kg >= 0 && e->kg != kg)
            continue;
        d = e->cap != 0 ? e->u.heap : e->u.in;
        if ((rc = fn(arg, d, e->klen, d + e->klen, e->vlen)) != 0)
            return rc;
    }
    return 0;
}

int
gale_kv_add_i64(gale_kv_t *kv, const void *key, size_t klen, int64_t delta,
    int64_t *out)
{
    int kg = kv_scope(kv);
    uint32_t h, idx1, slot = 0;
    struct kv_entry *e;
    unsigned char *v;
    int64_t cur = 0, sum;

    if (kv->keyed && kg < 0)
        return -EINVAL;
    if (klen > UINT32_MAX - 8)
        return -EINVAL;
    h = kv_hash(kg, key, klen);
    idx1 = kv->slots == NULL ? 0 : kv_find(kv, kg, h, key, klen, &slot);
    if (idx1 != 0) {
        e = &kv->ents[idx1 - 1];
        if (!(e->flags & ENT_TOMB)) {
            if (e->vlen != 8)
                return -EINVAL;
            v = ent_data(e) + e->klen;
            cur = ld_le64(v);
            if (__builtin_add_overflow(cur, delta, &sum))
                return -EOVERFLOW;
            st_le64(v, sum);
            kv_touch(kv, idx1 - 1);
            if (out != NULL)
                *out = sum;
            return 0;
        }
    } else
        idx1 = kv_insert(kv, kg, h, key, klen, slot) + 1;
    /* A new key or a tombstone: absent counts as 0. */
    {
        unsigned char buf[8];

        st_le64(buf, delta);
        e = &kv->ents[idx1 - 1];
        ent_set(kv->store, e, ent_data(e), klen, buf, sizeof buf);
        e->flags &= ~ENT_TOMB;
        kv_touch(kv, idx1 - 1);
    }
    if (out != NULL)
        *out = delta;
    return 0;
}
