/* kvstate.c - one task's keyed and operator state: in memory, with an
 * optional LevelDB spill under a memory cap.
 *
 * Each named state (a handle) is a compact hash table in two arrays:
 *
 * - entries: dense, moved only by growth or by a compaction (below), so an
 *   entry's index is a stable name for it between those (the dirty lists
 *   hold indexes). An entry carries its key group, its key and value
 *   (inline when they fit in KV_INLINE bytes, else in one heap block), and
 *   the epoch in which it last changed. Freed entries go on a free list.
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
 * Spill (gale_kvstore_set_spill): memory is authoritative for every key it
 * holds (a value or a tombstone); a key not in memory has the value
 * LevelDB holds, if any. LevelDB keys are [key group, big-endian u16]
 * [state name][0x00][key], operator state under key group 0xFFFF, so a
 * key-group range of one state is one contiguous scan.
 *
 * - Eviction: when the store's bytes pass the cap, a CLOCK hand sweeps the
 *   entries of every handle. It skips dirty entries (changed in this epoch),
 *   tombstones and entries a caller may still be reading (pinned, below);
 *   if that is not enough, a second sweep takes dirty entries and
 *   tombstones too (ENT_MARK), each also written as a mark
 *   [0xfffe][epoch][LevelDB key] -> [deleted or not][value], which the next
 *   take_dirty reports unless memory holds a newer change of the key, and
 *   takes out of the dirty lists; an entry referenced since
 *   the hand last passed (ENT_REF) gets a second chance. Victims are chosen
 *   until the projected bytes fall to 90% of the cap, written in one
 *   WriteBatch (skipping those LevelDB already holds unchanged, ENT_SYNC),
 *   and only then dropped from memory. Dropping frees heap blocks and
 *   entries; a handle whose tables are then much larger than its entries
 *   need is compacted (entries moved, index rebuilt, dirty list renamed),
 *   which the projection counts, so inline entries (words and counts)
 *   give memory back too.
 * - Misses: get, add_i64 and delete consult LevelDB only for a handle that
 *   has spilled. get brings the entry back clean (ENT_SYNC); add_i64 brings
 *   it back changed. A put of a key that may be on disk writes memory only
 *   and marks the entry ENT_DISK; deleting an ENT_DISK entry, or a key that
 *   is only on disk, deletes the LevelDB copy at once and leaves a
 *   tombstone in memory for the next snapshot.
 * - Pins: a value returned by get must stay readable until the caller's
 *   next write to that handle or the next set_keygroup. get stamps the
 *   entry with the handle's token (the sum of the store's scope counter
 *   and the handle's write counter, so either call changes it); an entry
 *   whose stamp equals the token is never dropped, and a handle with any
 *   such entry is never compacted. A load that would have to move such a
 *   handle's entries, or that comes during an iterate, lends out a heap
 *   copy instead (freed at a later load or write once the token changed). The add_i64 hit path does not bump the write counter
 *   (it must stay a few nanoseconds): a pin then simply lasts until the
 *   next set_keygroup.
 * - iterate walks memory, then LevelDB, reporting a LevelDB key only if
 *   memory holds no newer version of it (memory reports the entries that
 *   differ from LevelDB; ENT_SYNC copies are reported from LevelDB). While
 *   a walk runs, nothing is evicted and get does not load into memory
 *   (it lends copies).
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <leveldb/c.h>

#include "common/fs.h"
#include "common/xalloc.h"
#include "engine/state/kvstate.h"

/* Bytes of key plus value kept inside the entry; the rest go to the heap.
 * 32 makes an entry one 64-byte cache line and holds a word and its count. */
#define KV_INLINE 32
/* The entries' array starts on a cache line (malloc's 16-byte alignment
 * would make every entry straddle two lines: two misses per lookup). */
#define KV_LINE 64

#define ENT_TOMB 0x01u          /* deleted; reported by take_dirty, then freed */
#define ENT_FREE 0x02u          /* on the free list */
#define ENT_REF 0x04u           /* used since the CLOCK hand last passed */
#define ENT_DISK 0x08u          /* LevelDB may hold some value of the key */
#define ENT_SYNC 0x10u          /* LevelDB holds this very value (clean) */
#define ENT_VICTIM 0x20u        /* chosen by the eviction under way */
#define ENT_MARK 0x40u          /* a changed victim: also gets a mark */

#define KV_MIN_SLOTS 16u
/* Entries fetched ahead of the one take_dirty reports. */
#define TAKE_AHEAD 8u
#define KV_MIN_ENTS 8u

/* The LevelDB key group of operator state. */
#define KG_OPERATOR 0xffffu
/* The LevelDB prefix of marks: [0xff 0xfe][epoch, big-endian u32][an
 * entry's LevelDB key] holds the value of an entry evicted while changed
 * in that epoch (see the top of the file). Key groups stop below it
 * (max_parallelism <= 65534). */
#define KG_MARK 0xfffeu

struct kv_entry {
    uint32_t hash;              /* low 32 bits of kv_hash(kg, key) */
    int32_t kg;                 /* key group; -1 in operator state */
    uint32_t epoch;             /* store epoch of the last change; 0 = none */
    uint32_t klen;              /* key bytes */
    uint32_t vlen;              /* value bytes; 0 in a tombstone */
    uint32_t cap;               /* bytes of u.heap; 0 when the data is inline */
    uint32_t flags;             /* ENT_* */
    union {
        uint32_t next;          /* free entry: index + 1 of the next, 0 = end */
        uint32_t pin;           /* live entry: handle token at its last get */
    } l;                        /* free-list link or pin, by ENT_FREE */
    union {
        unsigned char in[KV_INLINE];    /* key then value, when they fit */
        unsigned char *heap;            /* owned: key then value */
    } u;                        /* the key and value bytes */
};
_Static_assert(sizeof(struct kv_entry) == KV_LINE, "an entry is one cache line");

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
    /* Spill only (see the top of the file). */
    size_t namelen;             /* strlen(name), for LevelDB keys */
    bool spilled;               /* LevelDB may hold keys of this handle */
    uint32_t wgen;              /* writes by the slow paths, for pins */
    uint32_t pinned;            /* token at the last get; == token: pins exist */
    void **loans;               /* owned; copies lent out by get */
    size_t nloans;              /* used length of loans */
    size_t loancap;             /* allocated length of loans */
    uint32_t loan_token;        /* token when the loans were made */
    bool mov;                   /* eviction scratch: may be compacted */
    bool filter;                /* eviction scratch: lost changed entries */
    uint32_t nleft;             /* eviction scratch: nslotted after victims */
};

/* An entry chosen for eviction: handle kvs[kvi], entry idx. */
struct kv_victim {
    uint32_t kvi;               /* the handle's position in the store */
    uint32_t idx;               /* the entry's index */
};

struct gale_kvstore {
    int max_parallelism;        /* key groups of the topology */
    int kg_first;               /* first key group owned by the task */
    int kg_last;                /* last key group owned (kg_first - 1: none) */
    int kg;                     /* scope of keyed handles; -1 outside execute */
    uint32_t epoch;             /* current change epoch, never 0 */
    uint32_t lgen;              /* scope changes, for pins (set_keygroup) */
    gale_kv_t **kvs;            /* owned; every handle, in creation order */
    size_t nkvs;                /* handles in kvs */
    size_t kvscap;              /* allocated length of kvs */
    size_t ndirty;              /* sum of the handles' ndirty */
    size_t bytes;               /* tables and out-of-line data (see the .h) */
    /* Spill only; without it cap and evict_at are SIZE_MAX. */
    size_t cap;                 /* the memory cap */
    size_t low;                 /* eviction target: 90% of the cap */
    size_t evict_at;            /* bytes above which a write evicts */
    unsigned busy;              /* iterate walks under way: no eviction */
    size_t hand_kv;             /* CLOCK hand: handle position */
    uint32_t hand;              /* CLOCK hand: entry index in that handle */
    leveldb_t *db;              /* owned; NULL without spill */
    leveldb_options_t *opts;    /* owned */
    leveldb_filterpolicy_t *bloom;  /* owned; makes misses cheap */
    leveldb_readoptions_t *ropts;   /* owned */
    leveldb_writeoptions_t *wopts;  /* owned; not synced */
    char *dir;                  /* owned; the LevelDB directory */
    char *err;                  /* owned; the last LevelDB error, or NULL */
    unsigned char *kbuf;        /* owned; one LevelDB key being built */
    size_t kbufcap;             /* allocated bytes of kbuf */
    struct kv_victim *vic;      /* owned; victims of the eviction under way */
    size_t nvic;                /* used length of vic */
    size_t viccap;              /* allocated length of vic */
    gale_kvstore_stats_t stats; /* counters (resident is filled on demand) */
    uint32_t mark_epoch;        /* the epoch in the keys of new marks: the
                                   store's, but for marks kept by a take
                                   that failed */
    size_t nmarked;             /* marks under mark_epoch */
    bool oldmarks;              /* LevelDB may hold marks of older epochs */
    uint32_t drop_epoch;        /* the oldest epoch whose marks may be left */
    unsigned char *markval;     /* owned; one mark's value being built */
    size_t markcap;             /* allocated bytes of markval */
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

/* Whether the n bytes at a and b are equal: short keys (words, ids) by a
 * few overlapping loads, inline, without a call. */
static inline bool
key_eq(const unsigned char *a, const unsigned char *b, size_t n)
{
    if (n >= 8 && n <= 16)
        return rd64(a) == rd64(b) && rd64(a + n - 8) == rd64(b + n - 8);
    if (n >= 4 && n < 8)
        return rd32(a) == rd32(b) && rd32(a + n - 4) == rd32(b + n - 4);
    if (n < 4)
        return n == 0 || (a[0] == b[0] && a[n >> 1] == b[n >> 1] &&
            a[n - 1] == b[n - 1]);
    return memcmp(a, b, n) == 0;
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

/* Records that entry idx changed in this epoch, once per epoch. The first
 * change also ends the entry's agreement with LevelDB (ENT_SYNC) and marks
 * it used for the CLOCK. */
static inline void
kv_touch(gale_kv_t *kv, uint32_t idx)
{
    gale_kvstore_t *s = kv->store;
    struct kv_entry *e = &kv->ents[idx];

    if (e->epoch == s->epoch)
        return;
    e->epoch = s->epoch;
    e->flags = (e->flags & ~ENT_SYNC) | ENT_REF;
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
        if (e->kg == kg && e->klen == klen &&
            key_eq(e->cap != 0 ? e->u.heap : e->u.in, key, klen)) {
            *slotp = i;
            return sl->idx1;
        }
    }
    *slotp = i;
    return 0;
}

/* Puts (hash h, entry idx1) into a slot array of n (a power of two)
 * slots that has room. */
static inline void
kv_slot_put(struct kv_slot *sl, uint32_t n, uint32_t h, uint32_t idx1)
{
    uint32_t j;

    for (j = h & (n - 1); sl[j].idx1 != 0; j = (j + 1) & (n - 1))
        ;
    sl[j].hash = h;
    sl[j].idx1 = idx1;
}

/* Doubles the index (or creates it) and reinserts every slot from its
 * stored hash; entries do not move. */
static void
kv_grow_index(gale_kv_t *kv)
{
    uint32_t oldn = kv->slots == NULL ? 0 : kv->mask + 1;
    uint32_t newn = oldn == 0 ? KV_MIN_SLOTS : oldn * 2;
    struct kv_slot *old = kv->slots, *ns;
    uint32_t i;

    assert(newn > oldn);
    ns = xcalloc(newn, sizeof *ns);
    for (i = 0; i < oldn; i++)
        if (old[i].idx1 != 0)
            kv_slot_put(ns, newn, old[i].hash, old[i].idx1);
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
 * entry's index, clean (not stamped). Under a memory cap the entry array
 * grows by an eighth instead of doubling once doubling would pass the cap. */
static uint32_t
kv_insert_clean(gale_kv_t *kv, int kg, uint32_t h, const void *key,
    size_t klen, uint32_t slot)
{
    gale_kvstore_t *s = kv->store;
    struct kv_entry *e, *ents;
    uint32_t idx, ncap, step;

    if (kv->slots == NULL || (kv->nslotted + 1) * 2 > kv->mask + 1) {
        kv_grow_index(kv);
        (void)kv_find(kv, kg, h, key, klen, &slot);
    }
    if (kv->freelist != 0) {
        idx = kv->freelist - 1;
        kv->freelist = kv->ents[idx].l.next;
    } else {
        if (kv->nents == kv->entcap) {
            ncap = kv->entcap == 0 ? KV_MIN_ENTS : kv->entcap * 2;
            if (s->db != NULL && s->bytes + (size_t)(ncap - kv->entcap) *
                sizeof *kv->ents > s->cap) {
                step = kv->entcap / 8;
                ncap = kv->entcap + (step > KV_MIN_ENTS ? step : KV_MIN_ENTS);
            }
            assert(ncap > kv->entcap && ncap < UINT32_MAX);
            ents = xcalloc_aligned(KV_LINE, ncap, sizeof *kv->ents);
            if (kv->entcap > 0)
                memcpy(ents, kv->ents, kv->entcap * sizeof *kv->ents);
            free(kv->ents);
            kv->ents = ents;
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
    return idx;
}

/* kv_insert_clean, then stamped as changed in this epoch. */
static inline uint32_t
kv_insert(gale_kv_t *kv, int kg, uint32_t h, const void *key, size_t klen,
    uint32_t slot)
{
    uint32_t idx = kv_insert_clean(kv, kg, h, key, klen, slot);

    kv_touch(kv, idx);
    return idx;
}

/* Removes entry idx for good (a reported tombstone, or an entry whose
 * value is now in LevelDB): out of the index, onto the free list. */
static void
kv_drop(gale_kv_t *kv, uint32_t idx)
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
    e->l.next = kv->freelist;
    kv->freelist = idx + 1;
}

/* The key group a handle's operation applies to: the scope for keyed
 * state (-1 if outside execute), -1 for operator state. */
static inline int
kv_scope(const gale_kv_t *kv)
{
    return kv->keyed ? kv->store->kg : -1;
}

/* ---- pins and loans -------------------------------------------------- */

/* The handle's current token: changes with every slow-path write to the
 * handle and every set_keygroup. An entry whose pin equals it may be
 * borrowed by a caller. */
static inline uint32_t
kv_token(const gale_kv_t *kv)
{
    return kv->store->lgen + kv->wgen + 1;
}

/* True if a caller may hold values of kv that get returned from its
 * entries (loans are copies, which nothing moves). */
static inline bool
kv_has_pins(const gale_kv_t *kv)
{
    return kv->pinned == kv_token(kv);
}

/* Frees the copies get lent out, once the token has moved on. */
static void
kv_release_loans(gale_kv_t *kv, bool all)
{
    size_t i;

    if (kv->nloans == 0 || (!all && kv->loan_token == kv_token(kv)))
        return;
    for (i = 0; i < kv->nloans; i++)
        free(kv->loans[i]);
    kv->nloans = 0;
}

/* Ends the current token (a write to kv). */
static inline void
kv_wrote(gale_kv_t *kv)
{
    kv->wgen++;
    kv_release_loans(kv, false);
}

/* ---- tables: sizes and compaction ------------------------------------ */

/* Bytes of kv's two arrays as allocated. */
static size_t
kv_table_bytes(const gale_kv_t *kv)
{
    return (size_t)kv->entcap * sizeof(struct kv_entry) +
        (kv->slots == NULL ? 0 : ((size_t)kv->mask + 1) * sizeof(struct kv_slot));
}

/* Entries a compaction allocates for n entries: an eighth of headroom. */
static size_t
kv_fit_ents(size_t n)
{
    return n + n / 8 + KV_MIN_ENTS;
}

/* Slots for an entry array of ents: load at most 1/2, a power of two. */
static size_t
kv_fit_slots(size_t ents)
{
    size_t n = KV_MIN_SLOTS;

    while (n < 2 * ents)
        n *= 2;
    return n;
}

/* Bytes of the arrays a compaction of n entries allocates. */
static size_t
kv_fit_bytes(size_t n)
{
    size_t ents = kv_fit_ents(n);

    return ents * sizeof(struct kv_entry) +
        kv_fit_slots(ents) * sizeof(struct kv_slot);
}

/* True if compacting kv to n entries is worth it: the arrays would shrink
 * by at least a fifth. */
static bool
kv_worth_compacting(const gale_kv_t *kv, size_t n)
{
    size_t fit = kv_fit_bytes(n);

    return fit + fit / 4 < kv_table_bytes(kv);
}

/* The table bytes the eviction under way projects for kv with n entries
 * left: compacted if kv may move and it pays, else as they are. */
static size_t
kv_table_after(const gale_kv_t *kv, size_t n)
{
    if (kv->mov && kv_worth_compacting(kv, n))
        return kv_fit_bytes(n);
    return kv_table_bytes(kv);
}

/* Moves kv's entries into arrays sized for them (kv_fit_*), rebuilding
 * the index and renaming the indexes in the dirty list. Values that get
 * returned from kv are invalid afterwards: callers check kv_has_pins. */
static void
kv_compact(gale_kv_t *kv)
{
    gale_kvstore_t *s = kv->store;
    size_t ncap = kv_fit_ents(kv->nslotted);
    size_t nslots = kv_fit_slots(ncap);
    struct kv_entry *ne;
    struct kv_slot *ns;
    uint32_t *map, i, j = 0;

    assert(ncap < UINT32_MAX && nslots <= (size_t)UINT32_MAX + 1);
    ne = xcalloc_aligned(KV_LINE, ncap, sizeof *ne);
    ns = xcalloc(nslots, sizeof *ns);
    map = xcalloc(kv->nents == 0 ? 1 : kv->nents, sizeof *map);
    for (i = 0; i < kv->nents; i++) {
        if (kv->ents[i].flags & ENT_FREE)
            continue;
        ne[j] = kv->ents[i];
        map[i] = j;
        kv_slot_put(ns, (uint32_t)nslots, ne[j].hash, j + 1);
        j++;
    }
    assert(j == kv->nslotted);
    for (i = 0; i < kv->ndirty; i++)
        kv->dirty[i] = map[kv->dirty[i]];
    s->bytes -= kv_table_bytes(kv);
    free(map);
    free(kv->ents);
    free(kv->slots);
    kv->ents = ne;
    kv->slots = ns;
    kv->mask = (uint32_t)(nslots - 1);
    kv->entcap = (uint32_t)ncap;
    kv->nents = j;
    kv->freelist = 0;
    s->bytes += kv_table_bytes(kv);
}

/* ---- LevelDB --------------------------------------------------------- */

/* Keeps a LevelDB error message (consumed) as the store's last error. */
static void
kvstore_keep_error(gale_kvstore_t *s, const char *what, char *lerr)
{
    free(s->err);
    xasprintf(&s->err, "spill store %s: %s: %s", s->dir, what, lerr);
    leveldb_free(lerr);
}

/* Builds the LevelDB key of (kg, key) of kv in s->kbuf; returns its
 * length. The buffer is the store's and is reused by the next call. */
static size_t
kv_disk_key(gale_kv_t *kv, int kg, const void *key, size_t klen)
{
    gale_kvstore_t *s = kv->store;
    size_t n = 2 + kv->namelen + 1 + klen;
    unsigned g = kg < 0 ? KG_OPERATOR : (unsigned)kg;

    if (n > s->kbufcap) {
        s->kbufcap = n < 64 ? 64 : n * 2;
        s->kbuf = xrealloc(s->kbuf, s->kbufcap);
    }
    s->kbuf[0] = (unsigned char)(g >> 8);
    s->kbuf[1] = (unsigned char)g;
    memcpy(s->kbuf + 2, kv->name, kv->namelen + 1);
    if (klen > 0)
        memcpy(s->kbuf + 3 + kv->namelen, key, klen);
    return n;
}

#define MARK_PFX 6              /* the mark prefix and the epoch */
#define MARK_DEL 0              /* a mark's first byte: the key was deleted */
#define MARK_PUT 1              /* a mark's first byte: its value follows */

/* Writes the prefix of the marks of epoch into p (MARK_PFX bytes). */
static void
kv_mark_prefix(unsigned char *p, uint32_t epoch)
{
    p[0] = (unsigned char)(KG_MARK >> 8);
    p[1] = (unsigned char)KG_MARK;
    p[2] = (unsigned char)(epoch >> 24);
    p[3] = (unsigned char)(epoch >> 16);
    p[4] = (unsigned char)(epoch >> 8);
    p[5] = (unsigned char)epoch;
}

/* Turns the LevelDB key of n bytes in s->kbuf (kv_disk_key) into its
 * mark's key in this epoch, of n + MARK_PFX bytes. */
static void
kv_mark_key(gale_kvstore_t *s, size_t n)
{
    if (n + MARK_PFX > s->kbufcap) {
        s->kbufcap = (n + MARK_PFX) * 2;
        s->kbuf = xrealloc(s->kbuf, s->kbufcap);
    }
    memmove(s->kbuf + MARK_PFX, s->kbuf, n);
    kv_mark_prefix(s->kbuf, s->mark_epoch);
}

/* Reads (kg, key) of kv from LevelDB. 0 with *val (the caller frees it
 * with leveldb_free) and *vlen; -ENOENT; -EIO (kept in s->err). An empty
 * value comes back as a non-NULL pointer: LevelDB copies values with
 * malloc, which glibc never answers with NULL for 0 bytes. */
static int
kv_disk_get(gale_kv_t *kv, int kg, const void *key, size_t klen,
    char **val, size_t *vlen)
{
    gale_kvstore_t *s = kv->store;
    size_t n = kv_disk_key(kv, kg, key, klen);
    char *lerr = NULL;

    *val = leveldb_get(s->db, s->ropts, (const char *)s->kbuf, n, vlen, &lerr);
    if (lerr != NULL) {
        kvstore_keep_error(s, "get", lerr);
        return -EIO;
    }
    if (*val == NULL) {
        s->stats.disk_misses++;
        return -ENOENT;
    }
    return 0;
}

/* Deletes (kg, key) of kv from LevelDB (present or not). 0 or -EIO. */
static int
kv_disk_delete(gale_kv_t *kv, int kg, const void *key, size_t klen)
{
    gale_kvstore_t *s = kv->store;
    size_t n = kv_disk_key(kv, kg, key, klen);
    char *lerr = NULL;

    leveldb_delete(s->db, s->wopts, (const char *)s->kbuf, n, &lerr);
    if (lerr != NULL) {
        kvstore_keep_error(s, "delete", lerr);
        return -EIO;
    }
    return 0;
}

/* ---- eviction -------------------------------------------------------- */

/* True if the CLOCK may take e of kv: live, not borrowed, and clean
 * unless changed entries may go too. */
static inline bool
kv_evictable(const gale_kv_t *kv, const struct kv_entry *e, bool changed)
{
    return !(e->flags & (ENT_FREE | ENT_VICTIM)) &&
        (changed || !(e->flags & ENT_TOMB)) &&
        (changed || e->epoch != kv->store->epoch) &&
        e->l.pin != kv_token(kv);
}

/* Chooses victims with the CLOCK, starting from the projected bytes proj,
 * until the projection reaches s->low or two turns found nothing more;
 * changed entries too if changed (they are marked ENT_MARK). Returns the
 * projection. */
static size_t
kvstore_choose(gale_kvstore_t *s, size_t proj, bool changed)
{
    size_t steps, before, total = s->nkvs;
    gale_kv_t *kv;
    struct kv_entry *e;
    uint32_t j;

    for (size_t i = 0; i < s->nkvs; i++)
        total += s->kvs[i]->nents;
    for (steps = 2 * total + 1; proj > s->low && steps > 0; steps--) {
        if (s->hand_kv >= s->nkvs) {
            s->hand_kv = 0;
            s->hand = 0;
        }
        kv = s->kvs[s->hand_kv];
        if (s->hand >= kv->nents) {
            s->hand_kv++;
            s->hand = 0;
            continue;
        }
        j = s->hand++;
        e = &kv->ents[j];
        if (!kv_evictable(kv, e, changed))
            continue;
        if (e->flags & ENT_REF) {
            e->flags &= ~ENT_REF;
            continue;
        }
        if (s->nvic == s->viccap) {
            s->viccap = s->viccap == 0 ? 256 : s->viccap * 2;
            s->vic = xreallocarray(s->vic, s->viccap, sizeof *s->vic);
        }
        s->vic[s->nvic].kvi = (uint32_t)s->hand_kv;
        s->vic[s->nvic].idx = j;
        s->nvic++;
        e->flags |= ENT_VICTIM;
        if (e->epoch == s->epoch)
            e->flags |= ENT_MARK;
        before = kv_table_after(kv, kv->nleft);
        kv->nleft--;
        proj -= e->cap + (before - kv_table_after(kv, kv->nleft));
    }
    return proj;
}

/* Takes the entries an eviction dropped (now ENT_FREE) out of kv's dirty
 * list, before anything can reuse their indexes. */
static void
kv_filter_dirty(gale_kv_t *kv)
{
    uint32_t i, j;

    for (i = j = 0; i < kv->ndirty; i++)
        if (!(kv->ents[kv->dirty[i]].flags & ENT_FREE))
            kv->dirty[j++] = kv->dirty[i];
    kv->store->ndirty -= kv->ndirty - j;
    kv->ndirty = j;
}

/* Brings the store's bytes down to about 90% of the cap: chooses clean
 * entries (kvstore_choose), writes those LevelDB lacks in one batch, drops
 * them, and compacts handles that may move (self, or any without pins)
 * when that pays. Then sets the next trigger: the cap if it got down to
 * 90% of it, else (dirty or pinned entries hold the memory) an eighth or a
 * tenth of the cap above the bytes now, whichever is more, so that a store
 * over its cap does not sweep on every write. 0, or -EIO if the
 * batch failed (nothing dropped; the error is in s->err). */
static int
kvstore_evict(gale_kvstore_t *s, gale_kv_t *self)
{
    leveldb_writebatch_t *wb = NULL;
    struct kv_entry *e;
    gale_kv_t *kv;
    size_t i, proj, live = 0, nwrite = 0, nmark = 0, n, grow;
    char *lerr = NULL;
    unsigned char *d;
    int rc = 0;

    if (s->db == NULL || s->busy > 0)
        return 0;
    s->stats.evictions++;
    proj = s->bytes;
    for (i = 0; i < s->nkvs; i++) {
        kv = s->kvs[i];
        kv->mov = kv == self || !kv_has_pins(kv);
        kv->nleft = kv->nslotted;
        live += kv->nslotted;
        proj = proj - kv_table_bytes(kv) + kv_table_after(kv, kv->nleft);
    }
    s->nvic = 0;
    /* Tombstones are always dirty, so if every entry is dirty there is
     * no clean one to choose. Clean entries go first; if they are not
     * enough, changed ones, each with a mark for the next take. */
    if (live > s->ndirty)
        proj = kvstore_choose(s, proj, false);
    if (proj > s->low && s->ndirty > 0)
        (void)kvstore_choose(s, proj, true);
    if (s->nvic > 0) {
        wb = leveldb_writebatch_create();
        for (i = 0; i < s->nvic; i++) {
            kv = s->kvs[s->vic[i].kvi];
            e = &kv->ents[s->vic[i].idx];
            if (e->flags & ENT_SYNC)
                continue;
            d = ent_data(e);
            n = kv_disk_key(kv, e->kg, d, e->klen);
            /* A tombstone's LevelDB copy went with the delete. */
            if (!(e->flags & ENT_TOMB))
                leveldb_writebatch_put(wb, (const char *)s->kbuf, n,
                    (const char *)d + e->klen, e->vlen);
            nwrite++;
            if (e->flags & ENT_MARK) {
                kv_mark_key(s, n);
                if (e->vlen + 1 > s->markcap) {
                    s->markcap = (e->vlen + 1) * 2;
                    s->markval = xrealloc(s->markval, s->markcap);
                }
                s->markval[0] = (e->flags & ENT_TOMB) ? MARK_DEL : MARK_PUT;
                if (e->vlen > 0)
                    memcpy(s->markval + 1, d + e->klen, e->vlen);
                leveldb_writebatch_put(wb, (const char *)s->kbuf, n + MARK_PFX,
                    (const char *)s->markval, e->vlen + 1);
                nmark++;
            }
        }
        if (nwrite > 0)
            leveldb_write(s->db, s->wopts, wb, &lerr);
        leveldb_writebatch_destroy(wb);
        if (lerr != NULL) {
            kvstore_keep_error(s, "write", lerr);
            for (i = 0; i < s->nvic; i++)
                s->kvs[s->vic[i].kvi]->ents[s->vic[i].idx].flags &=
                    ~(ENT_VICTIM | ENT_MARK);
            s->nvic = 0;
            rc = -EIO;
            goto out;
        }
        for (i = 0; i < s->nvic; i++) {
            kv = s->kvs[s->vic[i].kvi];
            kv->filter = kv->filter ||
                (kv->ents[s->vic[i].idx].flags & ENT_MARK);
            kv_drop(kv, s->vic[i].idx);
            kv->spilled = true;
        }
        if (nmark > 0)
            for (i = 0; i < s->nkvs; i++)
                if (s->kvs[i]->filter) {
                    kv_filter_dirty(s->kvs[i]);
                    s->kvs[i]->filter = false;
                }
        s->nmarked += nmark;
        s->stats.marked += nmark;
        s->stats.evicted += s->nvic;
        s->stats.written += nwrite;
        s->nvic = 0;
        for (i = 0; i < s->nkvs; i++) {
            kv = s->kvs[i];
            if (kv->mov && kv_worth_compacting(kv, kv->nslotted))
                kv_compact(kv);
        }
    }
out:
    if (s->bytes <= s->low)
        s->evict_at = s->cap;
    else {
        grow = s->bytes / 8 > s->cap - s->low ? s->bytes / 8 : s->cap - s->low;
        s->evict_at = s->bytes + grow > s->cap ? s->bytes + grow : s->cap;
    }
    return rc;
}

/* After a write to kv: evicts if the store passed its trigger. 0 or the
 * eviction's -EIO. Cheap without spill (evict_at is SIZE_MAX). */
static inline int
kv_after_write(gale_kv_t *kv)
{
    gale_kvstore_t *s = kv->store;

    return s->bytes > s->evict_at ? kvstore_evict(s, kv) : 0;
}

/* ---- the store ------------------------------------------------------- */

gale_kvstore_t *
gale_kvstore_new(int max_parallelism, int kg_first, int kg_last)
{
    gale_kvstore_t *s;

    /* The on-disk layout gives a key group 16 bits. A task may own no key
     * group (more tasks than key groups): kg_last = kg_first - 1. */
    assert(max_parallelism > 0 && max_parallelism <= 65536);
    assert(kg_first >= 0 && kg_last >= kg_first - 1 &&
        kg_last < max_parallelism);
    s = xcalloc(1, sizeof *s);
    s->max_parallelism = max_parallelism;
    s->kg_first = kg_first;
    s->kg_last = kg_last;
    s->kg = -1;
    s->epoch = 1;
    s->mark_epoch = 1;
    s->drop_epoch = 1;
    s->cap = SIZE_MAX;
    s->low = SIZE_MAX;
    s->evict_at = SIZE_MAX;
    return s;
}

/* Creates the missing parents of path (LevelDB creates path itself).
 * 0 or -errno. */
static int
make_parent(const char *path)
{
    char *p = xstrdup(path), *slash = strrchr(p, '/');
    int rc = 0;

    if (slash != NULL && slash != p) {
        *slash = '\0';
        rc = gale_mkdir_p(p);
    }
    free(p);
    return rc;
}

int
gale_kvstore_set_spill(gale_kvstore_t *s, const char *dir, size_t cap_bytes,
    char **cause)
{
    char *lerr = NULL;
    int rc;

    assert(s != NULL && dir != NULL && s->db == NULL && s->bytes == 0);
    if (cap_bytes == 0 || s->max_parallelism > (int)KG_MARK) {
        if (cause != NULL)
            xasprintf(cause, "spill store %s: %s", dir, cap_bytes == 0 ?
                "the memory cap must be at least 1 byte" :
                "max_parallelism above 65534 collides with the spill's "
                "operator state and marks");
        return -EINVAL;
    }
    if ((rc = make_parent(dir)) != 0) {
        if (cause != NULL)
            xasprintf(cause, "spill store %s: creating its parent: %s", dir,
                strerror(-rc));
        return rc;
    }
    s->opts = leveldb_options_create();
    leveldb_options_set_create_if_missing(s->opts, 1);
    s->bloom = leveldb_filterpolicy_create_bloom(10);
    leveldb_options_set_filter_policy(s->opts, s->bloom);
    s->ropts = leveldb_readoptions_create();
    s->wopts = leveldb_writeoptions_create();
    /* A spill is rebuilt from checkpoints: what an earlier run left is
     * stale, so it goes before the open. */
    leveldb_destroy_db(s->opts, dir, &lerr);
    if (lerr == NULL)
        s->db = leveldb_open(s->opts, dir, &lerr);
    if (lerr != NULL) {
        if (cause != NULL)
            xasprintf(cause, "spill store %s: %s", dir, lerr);
        leveldb_free(lerr);
        s->db = NULL;
        leveldb_readoptions_destroy(s->ropts);
        leveldb_writeoptions_destroy(s->wopts);
        leveldb_options_destroy(s->opts);
        leveldb_filterpolicy_destroy(s->bloom);
        s->ropts = NULL;
        s->wopts = NULL;
        s->opts = NULL;
        s->bloom = NULL;
        return -EIO;
    }
    s->dir = xstrdup(dir);
    s->cap = cap_bytes;
    s->low = cap_bytes - cap_bytes / 10;
    s->evict_at = cap_bytes;
    return 0;
}

const char *
gale_kvstore_spill_error(const gale_kvstore_t *s)
{
    return s->err;
}

void
gale_kvstore_stats(const gale_kvstore_t *s, gale_kvstore_stats_t *st)
{
    size_t i;

    *st = s->stats;
    st->resident = 0;
    for (i = 0; i < s->nkvs; i++)
        st->resident += s->kvs[i]->nslotted;
}

/* Frees one handle and everything it holds. */
static void
kv_free(gale_kv_t *kv)
{
    uint32_t i;

    for (i = 0; i < kv->nents; i++)
        if (kv->ents[i].cap != 0 && !(kv->ents[i].flags & ENT_FREE))
            free(kv->ents[i].u.heap);
    kv_release_loans(kv, true);
    free(kv->loans);
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
    char *lerr = NULL;
    size_t i;

    if (sp == NULL || (s = *sp) == NULL)
        return;
    for (i = 0; i < s->nkvs; i++)
        kv_free(s->kvs[i]);
    free(s->kvs);
    if (s->db != NULL) {
        /* The spill is scratch: its files and directory go with it. */
        leveldb_close(s->db);
        leveldb_destroy_db(s->opts, s->dir, &lerr);
        leveldb_free(lerr);
        (void)rmdir(s->dir);
        leveldb_readoptions_destroy(s->ropts);
        leveldb_writeoptions_destroy(s->wopts);
        leveldb_options_destroy(s->opts);
        leveldb_filterpolicy_destroy(s->bloom);
    }
    free(s->dir);
    free(s->err);
    free(s->kbuf);
    free(s->markval);
    free(s->vic);
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
    kv->namelen = strlen(name);
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
    s->lgen++;                  /* ends the pins of the call that ends */
}

int
gale_kvstore_keygroup(const gale_kvstore_t *s)
{
    return s->kg;
}

void
gale_kvstore_keygroups(const gale_kvstore_t *s, int *first, int *last)
{
    *first = s->kg_first;
    *last = s->kg_last;
}

size_t
gale_kvstore_bytes(const gale_kvstore_t *s)
{
    return s->bytes;
}

size_t
gale_kvstore_dirty_count(const gale_kvstore_t *s)
{
    return s->ndirty + s->nmarked;
}

bool
gale_kvstore_dirty_is_whole(const gale_kvstore_t *s)
{
    size_t i;

    if (s->ndirty == 0)
        return false;
    for (i = 0; i < s->nkvs; i++)
        if (s->kvs[i]->spilled || s->kvs[i]->ndirty != s->kvs[i]->nslotted)
            return false;
    return true;
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
    s->drop_epoch = 1;
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

/* The handle of s called name (nlen bytes, not terminated), keyed or
 * operator, or NULL. */
static gale_kv_t *
kvstore_find(const gale_kvstore_t *s, const char *name, size_t nlen,
    bool keyed)
{
    size_t i;

    for (i = 0; i < s->nkvs; i++)
        if (s->kvs[i]->keyed == keyed && s->kvs[i]->namelen == nlen &&
            memcmp(s->kvs[i]->name, name, nlen) == 0)
            return s->kvs[i];
    return NULL;
}

/* Walks the marks of this epoch (entries evicted while changed, with the
 * values they had then): each goes to fn unless memory holds a version
 * changed in this epoch, which the dirty lists report. 0, fn's non-zero
 * result, or -EIO. */
static int
kvstore_walk_marks(gale_kvstore_t *s, gale_kvstore_dirty_fn fn, void *arg)
{
    unsigned char pfx[MARK_PFX];
    leveldb_iterator_t *it;
    const unsigned char *k, *nm, *key;
    const char *v;
    size_t kl, vl, nlen, klen;
    char *lerr = NULL;
    gale_kv_t *kv;
    uint32_t idx1, slot;
    unsigned g;
    int kg, rc = 0;

    kv_mark_prefix(pfx, s->mark_epoch);
    it = leveldb_create_iterator(s->db, s->ropts);
    for (leveldb_iter_seek(it, (const char *)pfx, MARK_PFX);
        rc == 0 && leveldb_iter_valid(it); leveldb_iter_next(it)) {
        k = (const unsigned char *)leveldb_iter_key(it, &kl);
        if (kl < MARK_PFX + 3 || memcmp(k, pfx, MARK_PFX) != 0)
            break;
        g = (unsigned)k[MARK_PFX] << 8 | k[MARK_PFX + 1];
        nm = k + MARK_PFX + 2;
        if ((key = memchr(nm, 0, kl - MARK_PFX - 2)) == NULL)
            continue;               /* not a key this store writes */
        nlen = (size_t)(key - nm);
        key++;
        klen = kl - MARK_PFX - 2 - nlen - 1;
        kg = g == KG_OPERATOR ? -1 : (int)g;
        if ((kv = kvstore_find(s, (const char *)nm, nlen, kg >= 0)) == NULL)
            continue;
        if (kv->slots != NULL && (idx1 = kv_find(kv, kg,
            kv_hash(kg, key, klen), key, klen, &slot)) != 0 &&
            kv->ents[idx1 - 1].epoch == s->epoch)
            continue;
        v = leveldb_iter_value(it, &vl);
        if (vl == 0)
            continue;               /* not a mark this store writes */
        rc = fn(arg, kg, kv->name, key, klen,
            v[0] == MARK_DEL ? NULL : v + 1, v[0] == MARK_DEL ? 0 : vl - 1);
    }
    leveldb_iter_get_error(it, &lerr);
    leveldb_iter_destroy(it);
    if (lerr != NULL) {
        kvstore_keep_error(s, "reading marks", lerr);
        return rc != 0 ? rc : -EIO;
    }
    return rc;
}

/* Deletes the marks of epochs before mark_epoch (reported by a take that
 * succeeded; the walk never reads them, so a failure leaves garbage, not
 * an error, and the next take tries again). */
static void
kvstore_drop_marks(gale_kvstore_t *s)
{
    unsigned char pfx[MARK_PFX], keep[MARK_PFX];
    leveldb_iterator_t *it;
    leveldb_writebatch_t *wb = leveldb_writebatch_create();
    const char *k;
    size_t kl;
    char *lerr = NULL;

    /* From the oldest epoch that may have marks left, not from the
     * first mark key: LevelDB would step over the deletions of every
     * earlier take until it compacts them. */
    kv_mark_prefix(pfx, s->drop_epoch);
    kv_mark_prefix(keep, s->mark_epoch);
    it = leveldb_create_iterator(s->db, s->ropts);
    for (leveldb_iter_seek(it, (const char *)pfx, MARK_PFX);
        leveldb_iter_valid(it); leveldb_iter_next(it)) {
        k = leveldb_iter_key(it, &kl);
        if (kl < MARK_PFX || memcmp(k, pfx, 2) != 0 ||
            memcmp(k, keep, MARK_PFX) >= 0)
            break;                  /* past the marks, or still to report */
        leveldb_writebatch_delete(wb, k, kl);
    }
    leveldb_iter_get_error(it, &lerr);
    leveldb_iter_destroy(it);
    if (lerr == NULL)
        leveldb_write(s->db, s->wopts, wb, &lerr);
    leveldb_writebatch_destroy(wb);
    if (lerr != NULL)
        kvstore_keep_error(s, "deleting marks", lerr);
    else {
        s->oldmarks = false;
        s->drop_epoch = s->mark_epoch;
    }
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

    /* Changed entries that were evicted first, while the epoch still
     * tells which entries in memory are changed (those are reported from
     * the lists). Nothing has moved yet if this fails. */
    if (s->nmarked > 0 && (rc = kvstore_walk_marks(s, fn, arg)) != 0)
        return rc;
    /* The synchronous part: a new epoch and empty lists. The old lists
     * (now in spare, with their length kept in ndirty) are walked below. */
    kvstore_next_epoch(s);
    for (i = 0; i < s->nkvs; i++)
        kv_swap_dirty(s->kvs[i]);
    for (i = 0; i < s->nkvs && rc == 0; i++) {
        kv = s->kvs[i];
        for (j = 0; j < kv->ndirty && rc == 0; j++) {
            /* The list is in order of first change, the entries are
             * scattered: fetch a few ahead (a 1 M-key take waits on
             * memory, not on work). */
            if (j + TAKE_AHEAD < kv->ndirty)
                __builtin_prefetch(&kv->ents[kv->spare[j + TAKE_AHEAD]]);
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
                kv_drop(kv, taken[j]);
        kv->ndirty = 0;
    }
    s->ndirty = 0;
    /* The marks are reported; those of the new epoch start empty. */
    if (s->nmarked > 0)
        s->oldmarks = true;
    s->nmarked = 0;
    s->mark_epoch = s->epoch;
    if (s->oldmarks)
        kvstore_drop_marks(s);
    /* What was dirty is clean now: the next write may evict it. */
    s->evict_at = s->cap;
    return 0;
}

/* ---- the public state API (include/gale/state.h) -------------------- */

/* gale_kv_get after a memory miss in a handle that spilled: reads
 * LevelDB and brings the entry back clean and pinned (or, during an
 * iterate, or when the handle's pinned entries would have to move, lends
 * out a copy instead). 0, -ENOENT or -EIO. */
static int
kv_get_spilled(gale_kv_t *kv, int kg, uint32_t h, const void *key,
    size_t klen, uint32_t slot, const void **val, size_t *vlen)
{
    gale_kvstore_t *s = kv->store;
    struct kv_entry *e;
    char *dv;
    size_t dn;
    void *copy;
    uint32_t idx, idx1;
    bool pins;
    int rc;

    if ((rc = kv_disk_get(kv, kg, key, klen, &dv, &dn)) != 0)
        return rc;
    s->stats.loads++;
    kv_release_loans(kv, false);
    pins = kv_has_pins(kv);
    if (s->busy > 0 || (pins && kv_ents_full(kv))) {
        /* An iterate is walking the entries, or inserting would move
         * entries a caller is reading: lend a copy, freed once the token
         * moves on. Rare: pins last one execute call. */
        if (kv->nloans == kv->loancap) {
            kv->loancap = kv->loancap == 0 ? 8 : kv->loancap * 2;
            kv->loans = xreallocarray(kv->loans, kv->loancap,
                sizeof *kv->loans);
        }
        copy = xmalloc(dn == 0 ? 1 : dn);
        kv->loans[kv->nloans++] = copy;
        kv->loan_token = kv_token(kv);
        if (dn > 0)
            memcpy(copy, dv, dn);
        leveldb_free(dv);
        *val = copy;
        *vlen = dn;
        return 0;
    }
    idx = kv_insert_clean(kv, kg, h, key, klen, slot);
    e = &kv->ents[idx];
    ent_set(s, e, ent_data(e), klen, dv, dn);
    leveldb_free(dv);
    e->flags |= ENT_DISK | ENT_SYNC | ENT_REF;
    e->l.pin = kv->pinned = kv_token(kv);
    if (s->bytes > s->evict_at) {
        /* The new entry is pinned; kv may move only if nothing else of it
         * was borrowed. A failed eviction does not fail the read. */
        (void)kvstore_evict(s, pins ? NULL : kv);
        idx1 = kv_find(kv, kg, h, key, klen, &slot);
        assert(idx1 != 0);
        e = &kv->ents[idx1 - 1];
    }
    *val = ent_data(e) + e->klen;
    *vlen = e->vlen;
    return 0;
}

int
gale_kv_get(gale_kv_t *kv, const void *key, size_t klen, const void **val,
    size_t *vlen)
{
    int kg = kv_scope(kv);
    uint32_t h, idx1, slot = 0;
    struct kv_entry *e;

    if (kv->keyed && kg < 0)
        return -EINVAL;
    if (kv->slots == NULL && !kv->spilled)
        return -ENOENT;
    h = kv_hash(kg, key, klen);
    if (kv->slots != NULL &&
        (idx1 = kv_find(kv, kg, h, key, klen, &slot)) != 0) {
        e = &kv->ents[idx1 - 1];
        if (e->flags & ENT_TOMB)
            return -ENOENT;
        if (kv->store->db != NULL) {
            e->flags |= ENT_REF;
            e->l.pin = kv->pinned = kv_token(kv);
        }
        *val = ent_data(e) + e->klen;
        *vlen = e->vlen;
        return 0;
    }
    if (!kv->spilled)
        return -ENOENT;
    return kv_get_spilled(kv, kg, h, key, klen, slot, val, vlen);
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
        /* The key may have a value in LevelDB, which this one shadows:
         * a delete must remove that copy too. */
        if (kv->spilled)
            kv->ents[idx1 - 1].flags |= ENT_DISK;
    }
    e = &kv->ents[idx1 - 1];
    ent_set(kv->store, e, ent_data(e), klen, val, vlen);
    e->flags &= ~ENT_TOMB;
    kv_touch(kv, idx1 - 1);
    free(copy);
    kv_wrote(kv);
    return kv_after_write(kv);
}

int
gale_kv_delete(gale_kv_t *kv, const void *key, size_t klen)
{
    int kg = kv_scope(kv);
    uint32_t h, idx1 = 0, slot = 0;
    struct kv_entry *e;
    char *dv;
    size_t dn;
    int rc;

    if (kv->keyed && kg < 0)
        return -EINVAL;
    if (kv->slots == NULL && !kv->spilled)
        return 0;
    h = kv_hash(kg, key, klen);
    if (kv->slots != NULL)
        idx1 = kv_find(kv, kg, h, key, klen, &slot);
    if (idx1 != 0) {
        e = &kv->ents[idx1 - 1];
        if (e->flags & ENT_TOMB)
            return 0;
        if ((e->flags & ENT_DISK) &&
            (rc = kv_disk_delete(kv, kg, key, klen)) != 0)
            return rc;
        e->flags &= ~(ENT_DISK | ENT_SYNC);
        ent_set(kv->store, e, ent_data(e), e->klen, NULL, 0);
        e->flags |= ENT_TOMB;
        kv_touch(kv, idx1 - 1);
        kv_wrote(kv);
        return 0;
    }
    if (!kv->spilled)
        return 0;
    /* Only LevelDB may have it: a tombstone if it does, so that the next
     * snapshot records the deletion. */
    if ((rc = kv_disk_get(kv, kg, key, klen, &dv, &dn)) != 0)
        return rc == -ENOENT ? 0 : rc;
    leveldb_free(dv);
    if ((rc = kv_disk_delete(kv, kg, key, klen)) != 0)
        return rc;
    idx1 = kv_insert(kv, kg, h, key, klen, slot) + 1;
    kv->ents[idx1 - 1].flags |= ENT_TOMB;
    kv_wrote(kv);
    return kv_after_write(kv);
}

/* Calls fn for each key of kv in LevelDB under key group kg (-1: operator
 * state) that memory does not hold a newer version of. 0, fn's non-zero
 * result, or -EIO. */
static int
kv_iterate_disk(gale_kv_t *kv, leveldb_iterator_t *it, int kg,
    int (*fn)(void *arg, const void *key, size_t klen, const void *val,
    size_t vlen), void *arg)
{
    size_t plen = 2 + kv->namelen + 1, kl, vl, ukl;
    unsigned char *pfx = xmalloc(plen);
    const char *k, *v;
    const unsigned char *uk;
    uint32_t idx1, slot;
    int rc = 0;

    /* The store's key buffer is reused by any get that fn makes. */
    (void)kv_disk_key(kv, kg, NULL, 0);
    memcpy(pfx, kv->store->kbuf, plen);
    for (leveldb_iter_seek(it, (const char *)pfx, plen);
        rc == 0 && leveldb_iter_valid(it); leveldb_iter_next(it)) {
        k = leveldb_iter_key(it, &kl);
        if (kl < plen || memcmp(k, pfx, plen) != 0)
            break;
        uk = (const unsigned char *)k + plen;
        ukl = kl - plen;
        if (kv->slots != NULL && (idx1 = kv_find(kv, kg,
            kv_hash(kg, uk, ukl), uk, ukl, &slot)) != 0 &&
            !(kv->ents[idx1 - 1].flags & ENT_SYNC))
            continue;
        v = leveldb_iter_value(it, &vl);
        rc = fn(arg, uk, ukl, v, vl);
    }
    free(pfx);
    return rc;
}

int
gale_kv_iterate(gale_kv_t *kv, int (*fn)(void *arg, const void *key,
    size_t klen, const void *val, size_t vlen), void *arg)
{
    gale_kvstore_t *s = kv->store;
    int kg = kv_scope(kv), g;
    leveldb_iterator_t *it;
    const struct kv_entry *e;
    const unsigned char *d;
    char *lerr = NULL;
    uint32_t i;
    int rc = 0;

    /* Memory first: what LevelDB holds unchanged (ENT_SYNC) is left to
     * the LevelDB walk, so each key comes once. */
    s->busy++;
    for (i = 0; i < kv->nents && rc == 0; i++) {
        e = &kv->ents[i];
        if (e->flags & (ENT_TOMB | ENT_FREE | ENT_SYNC))
            continue;
        if (kg >= 0 && e->kg != kg)
            continue;
        d = e->cap != 0 ? e->u.heap : e->u.in;
        rc = fn(arg, d, e->klen, d + e->klen, e->vlen);
    }
    if (rc == 0 && kv->spilled) {
        it = leveldb_create_iterator(s->db, s->ropts);
        if (!kv->keyed)
            rc = kv_iterate_disk(kv, it, -1, fn, arg);
        else if (kg >= 0)
            rc = kv_iterate_disk(kv, it, kg, fn, arg);
        else
            for (g = s->kg_first; g <= s->kg_last && rc == 0; g++)
                rc = kv_iterate_disk(kv, it, g, fn, arg);
        leveldb_iter_get_error(it, &lerr);
        if (lerr != NULL) {
            kvstore_keep_error(s, "iterate", lerr);
            if (rc == 0)
                rc = -EIO;
        }
        leveldb_iter_destroy(it);
    }
    s->busy--;
    return rc;
}

/* gale_kv_add_i64 after a memory miss in a handle that spilled: the
 * counter comes back from LevelDB (absent counts as 0) into memory,
 * changed. 0, -EINVAL (not 8 bytes), -EOVERFLOW or -EIO. */
static int
kv_add_spilled(gale_kv_t *kv, int kg, uint32_t h, const void *key,
    size_t klen, uint32_t slot, int64_t delta, int64_t *out)
{
    unsigned char buf[8];
    struct kv_entry *e;
    int64_t cur = 0, sum;
    uint32_t idx;
    char *dv = NULL;
    size_t dn = 0;
    bool disk;
    int rc;

    if ((rc = kv_disk_get(kv, kg, key, klen, &dv, &dn)) != 0 &&
        rc != -ENOENT)
        return rc;
    disk = rc == 0;
    if (disk) {
        kv->store->stats.loads++;
        if (dn != 8) {
            leveldb_free(dv);
            return -EINVAL;
        }
        cur = ld_le64((const unsigned char *)dv);
        leveldb_free(dv);
    }
    if (__builtin_add_overflow(cur, delta, &sum))
        return -EOVERFLOW;
    idx = kv_insert(kv, kg, h, key, klen, slot);
    st_le64(buf, sum);
    e = &kv->ents[idx];
    ent_set(kv->store, e, ent_data(e), klen, buf, sizeof buf);
    if (disk)
        e->flags |= ENT_DISK;
    kv_wrote(kv);
    if (out != NULL)
        *out = sum;
    return kv_after_write(kv);
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
    } else if (kv->spilled)
        return kv_add_spilled(kv, kg, h, key, klen, slot, delta, out);
    else
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
    kv_wrote(kv);
    if (out != NULL)
        *out = delta;
    return kv_after_write(kv);
}

