/* snap.c - snapshots (snap.h): one task's changes taken out of its state
 * on the executor thread, then sorted and written as a delta file on a
 * writer thread (the file format is snapfile.c's). */
#include "config.h"

#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/xalloc.h"
#include "engine/checkpoint/ckpt_int.h"

/* Records fetched ahead of the one being written. */
#define WRITE_AHEAD 8

/* One change: this header, then its key and value, in the buffer of its
 * key group. Records are back to back, so that the take appends to one
 * buffer per group and the writer, which sorts and writes one group at a
 * time, reads a group's records while they are still in its cache. */
struct snap_rec {
    uint32_t name;                  /* index into names */
    uint32_t klen;                  /* key bytes */
    uint32_t vlen;                  /* value bytes; 0 for a deletion */
    uint32_t put;                   /* 0: the key was deleted */
};

/* The records of one key group. */
struct snap_group {
    gale_buf_t data;                /* owned; the records, back to back */
    size_t nrecs;                   /* records in data */
};

struct gale_snap {
    int task_id;                    /* the task the changes belong to */
    uint64_t ckpt_id;               /* the checkpoint they were taken for */
    struct snap_group *groups;      /* owned; groups[kg + 1] holds key group
                                     * kg's records (operator state: [0]) */
    size_t ngroups;                 /* length of groups */
    size_t hint;                    /* bytes reserved for a new group's
                                     * buffer */
    size_t nrecs;                   /* records in every group */
    char **names;                   /* owned; the state names, as seen */
    size_t nnames;                  /* length of names */
    const char *lastname;           /* borrowed during take: names[lastidx] */
    uint32_t lastidx;               /* index of lastname */
    size_t payload;                 /* bytes of keys and values */
    bool base;                      /* the whole state: written as a base */
};

/* take_dirty callback: copies one change into its group's buffer. */
static int
snap_add(void *arg, int kg, const char *name, const void *key, size_t klen,
    const void *val, size_t vlen)
{
    gale_snap_t *s = arg;
    struct snap_group *g;
    struct snap_rec r;
    size_t i, gi = (size_t)(kg + 1), n;
    uint8_t *p;

    assert(kg >= -1 && klen <= UINT32_MAX && vlen <= UINT32_MAX);
    if (s->lastname == NULL || (name != s->lastname &&
        strcmp(name, s->names[s->lastidx]) != 0)) {
        for (i = 0; i < s->nnames; i++)
            if (strcmp(name, s->names[i]) == 0)
                break;
        if (i == s->nnames) {
            s->names = xreallocarray(s->names, s->nnames + 1,
                sizeof(*s->names));
            s->names[s->nnames++] = xstrdup(name);
        }
        s->lastidx = (uint32_t)i;
    }
    s->lastname = name;
    if (gi >= s->ngroups) {
        n = s->ngroups * 2 > gi + 1 ? s->ngroups * 2 : gi + 1;
        s->groups = xreallocarray(s->groups, n, sizeof(*s->groups));
        memset(s->groups + s->ngroups, 0,
            (n - s->ngroups) * sizeof(*s->groups));
        s->ngroups = n;
    }
    g = &s->groups[gi];
    if (g->data.cap == 0)
        gale_buf_init(&g->data, kg < 0 ? 256 : s->hint);
    r.name = s->lastidx;
    r.klen = (uint32_t)klen;
    r.put = val != NULL;
    r.vlen = r.put ? (uint32_t)vlen : 0;
    p = gale_buf_reserve(&g->data, sizeof r + klen + r.vlen);
    memcpy(p, &r, sizeof r);
    if (klen > 0)
        memcpy(p + sizeof r, key, klen);
    if (r.vlen > 0)
        memcpy(p + sizeof r + klen, val, r.vlen);
    g->data.len += sizeof r + klen + r.vlen;
    g->nrecs++;
    s->nrecs++;
    s->payload += klen + r.vlen;
    return 0;
}

/* qsort_r comparator of names by strcmp (arg: the names). */
static int
snap_name_cmp(const void *a, const void *b, void *arg)
{
    char **names = arg;

    return strcmp(names[*(const uint32_t *)a], names[*(const uint32_t *)b]);
}

/* One record's sort key within its key group: file order is (key group,
 * name, key), and the name's rank and the key's first 8 bytes fit here, so
 * that most comparisons read only this array, in order, instead of the
 * records and their keys (a 10 M-key snapshot sorted through the records
 * took 11 s, most of it waiting on cache misses). */
struct snap_key {
    uint64_t pfx;                   /* the key's first 8 bytes, big-endian,
                                     * zero-padded: ordered as the keys are,
                                     * equal only if the keys may tie */
    size_t off;                     /* the record's offset in the group's
                                     * data */
    uint32_t rank;                  /* the name's rank among sorted names */
};

/* The header of the record at p (copied out: records are not aligned). */
static inline struct snap_rec
snap_rec_at(const uint8_t *p)
{
    struct snap_rec r;

    memcpy(&r, p, sizeof r);
    return r;
}

/* The first 8 bytes of key p (n bytes), big-endian, zero-padded. Keys
 * that differ in their first 8 bytes compare as these numbers do; a key
 * that is a prefix of the other is not larger (its padding is zeros). */
static inline uint64_t
key_prefix(const uint8_t *p, size_t n)
{
    uint64_t v;
    size_t i;

    if (n >= 8) {
        memcpy(&v, p, sizeof v);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        v = __builtin_bswap64(v);
#endif
        return v;
    }
    for (i = 0, v = 0; i < 8; i++)
        v = v << 8 | (i < n ? p[i] : 0);
    return v;
}

/* snap_keys of one group in file order: < 0, 0 or > 0 (d: the group's
 * data). The key bytes are read only when everything else ties. */
static inline int
snap_key_cmp(const struct snap_key *x, const struct snap_key *y,
    const uint8_t *d)
{
    struct snap_rec rx, ry;

    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    if (x->pfx != y->pfx)
        return x->pfx < y->pfx ? -1 : 1;
    rx = snap_rec_at(d + x->off);
    ry = snap_rec_at(d + y->off);
    return ckpt_bytes_cmp(d + x->off + sizeof rx, rx.klen,
        d + y->off + sizeof ry, ry.klen);
}

static inline void
snap_key_swap(struct snap_key *a, struct snap_key *b)
{
    struct snap_key t = *a;

    *a = *b;
    *b = t;
}

/* Sifts k[i] down the max-heap k[0..n). */
static void
snap_sift(struct snap_key *k, size_t i, size_t n, const uint8_t *s)
{
    size_t c;

    while ((c = 2 * i + 1) < n) {
        if (c + 1 < n && snap_key_cmp(&k[c], &k[c + 1], s) < 0)
            c++;
        if (snap_key_cmp(&k[i], &k[c], s) >= 0)
            return;
        snap_key_swap(&k[i], &k[c]);
        i = c;
    }
}

/* Sorts k[0..n) in file order: quicksort (median of three, Hoare's
 * partition, which splits runs of equal keys evenly) with the comparison
 * inlined and the elements moved as values, insertion sort for short
 * ranges, and heapsort where the recursion grows deeper than 2 log2 n (so
 * never worse than n log n). glibc's qsort_r, through a function pointer
 * and memcpy per move, took three times as long on a million keys. */
static void
snap_sort(struct snap_key *k, size_t n, const uint8_t *s, int depth)
{
    size_t i, j, m;
    struct snap_key p, t;

    while (n > 16) {
        if (depth-- == 0) {
            for (i = n / 2; i-- > 0;)
                snap_sift(k, i, n, s);
            for (i = n - 1; i > 0; i--) {
                snap_key_swap(&k[0], &k[i]);
                snap_sift(k, 0, i, s);
            }
            return;
        }
        m = n / 2;
        if (snap_key_cmp(&k[m], &k[0], s) < 0)
            snap_key_swap(&k[m], &k[0]);
        if (snap_key_cmp(&k[n - 1], &k[m], s) < 0) {
            snap_key_swap(&k[n - 1], &k[m]);
            if (snap_key_cmp(&k[m], &k[0], s) < 0)
                snap_key_swap(&k[m], &k[0]);
        }
        p = k[m];
        i = 0;
        j = n - 1;
        for (;;) {
            while (snap_key_cmp(&k[i], &p, s) < 0)
                i++;
            while (snap_key_cmp(&p, &k[j], s) < 0)
                j--;
            if (i >= j)
                break;
            snap_key_swap(&k[i], &k[j]);
            i++;
            j--;
        }
        /* k[0..j] <= p <= k[j+1..n): recurse on the smaller side. */
        if (j + 1 < n - j - 1) {
            snap_sort(k, j + 1, s, depth);
            k += j + 1;
            n -= j + 1;
        } else {
            snap_sort(k + j + 1, n - j - 1, s, depth);
            n = j + 1;
        }
    }
    for (i = 1; i < n; i++) {
        t = k[i];
        for (j = i; j > 0 && snap_key_cmp(&t, &k[j - 1], s) < 0; j--)
            k[j] = k[j - 1];
        k[j] = t;
    }
}

/* Groups at least this long are radix sorted (snap_radix), shorter ones
 * by comparisons. */
#define RADIX_MIN 256

/* Ranges shorter than this are sorted by comparisons (snap_sort: an
 * insertion sort at this size). */
#define MSD_MIN 24

/* depth for snap_sort of n keys: 2 log2 n. */
static int
sort_depth(size_t n)
{
    int depth;

    for (depth = 0; n >> (depth / 2) > 1; depth += 2)
        ;
    return depth;
}

/* Sorts k[0..n), keys of one key group and one name, in file order: an
 * insertion sort on the prefixes alone (a compare of two numbers), then
 * snap_sort on each run of equal prefixes (keys that may tie on more than
 * 8 bytes). For the short buckets snap_msd leaves. */
static void
snap_ins(struct snap_key *k, size_t n, const uint8_t *d)
{
    struct snap_key t;
    size_t i, j;

    for (i = 1; i < n; i++) {
        t = k[i];
        for (j = i; j > 0 && k[j - 1].pfx > t.pfx; j--)
            k[j] = k[j - 1];
        k[j] = t;
    }
    for (i = 0; i < n; i = j) {
        for (j = i + 1; j < n && k[j].pfx == k[i].pfx; j++)
            ;
        if (j - i > 1)
            snap_sort(k + i, j - i, d, sort_depth(j - i));
    }
}

/* Sorts k[0..n), keys of one key group and one name that agree on the
 * bytes of their prefixes above bit shift + 8, in file order: a
 * most-significant-digit radix sort on the prefix's byte at shift (one
 * sweep to count, one to place into tmp, a copy back), then the same on
 * each bucket with the next byte; buckets shorter than MSD_MIN go to
 * snap_ins, and keys whose 8-byte prefixes all tie to snap_sort (which
 * reads the keys' bytes). A byte that every key shares
 * costs one sweep. tmp has room for n keys; d is the group's data. */
static void
snap_msd(struct snap_key *k, struct snap_key *tmp, size_t n, int shift,
    const uint8_t *d)
{
    size_t count[256], pos[256], i, c, sum;
    unsigned b;

    while (n >= MSD_MIN && shift >= 0) {
        memset(count, 0, sizeof count);
        for (i = 0; i < n; i++)
            count[(k[i].pfx >> shift) & 0xff]++;
        if (count[(k[0].pfx >> shift) & 0xff] == n) {
            shift -= 8;             /* every key has this byte */
            continue;
        }
        for (b = 0, sum = 0; b < 256; b++) {
            pos[b] = sum;
            sum += count[b];
        }
        for (i = 0; i < n; i++)
            tmp[pos[(k[i].pfx >> shift) & 0xff]++] = k[i];
        memcpy(k, tmp, n * sizeof(*k));
        for (b = 0, sum = 0; b < 256; b++) {
            c = count[b];
            if (c > 1)
                snap_msd(k + sum, tmp, c, shift - 8, d);
            sum += c;
        }
        return;
    }
    if (n > 1 && shift >= 0)
        snap_ins(k, n, d);
    else if (n > 1)
        snap_sort(k, n, d, sort_depth(n));
}

/* Sorts k[0..n), records of one key group, in file order: a stable
 * counting pass on the name's rank if there are several names (nranks),
 * then snap_msd on each name's keys. tmp has room for n keys; d is the
 * group's data. Comparison sorts took most of the writer's time on a
 * million-key snapshot (each comparison a branch the CPU cannot
 * predict), and a least-significant-digit radix sort, eight passes of
 * the whole group for keys of 8 letters, half of it (2026-12-03). */
static void
snap_radix(struct snap_key *k, struct snap_key *tmp, size_t n, size_t nranks,
    const uint8_t *d)
{
    size_t *rcount, i, j;

    if (nranks <= 1) {
        snap_msd(k, tmp, n, 56, d);
        return;
    }
    rcount = xcalloc(nranks + 1, sizeof(*rcount));
    for (i = 0; i < n; i++)
        rcount[k[i].rank + 1]++;
    for (j = 1; j <= nranks; j++)
        rcount[j] += rcount[j - 1];
    for (i = 0; i < n; i++)
        tmp[rcount[k[i].rank]++] = k[i];
    memcpy(k, tmp, n * sizeof(*k));
    /* rcount[r] is now where rank r ends. */
    for (j = 0, i = 0; j < nranks; j++) {
        if (rcount[j] - i > 1)
            snap_msd(k + i, tmp, rcount[j] - i, 56, d);
        i = rcount[j];
    }
    free(rcount);
}

/* Fills keys[0..g->nrecs) with the sort keys of group g's records (one
 * sweep over its data, in taken order; rank maps name indexes to ranks)
 * and sorts them in file order (snap_radix, or snap_sort if short). */
static void
snap_sort_group(const struct snap_group *g, const uint32_t *rank,
    size_t nranks, struct snap_key *keys, struct snap_key *tmp)
{
    const uint8_t *d = g->data.data;
    struct snap_rec r;
    size_t i, off, n = g->nrecs;

    for (i = 0, off = 0; i < n; i++) {
        r = snap_rec_at(d + off);
        keys[i].rank = rank[r.name];
        keys[i].pfx = key_prefix(d + off + sizeof r, r.klen);
        keys[i].off = off;
        off += sizeof r + r.klen + r.vlen;
    }
    if (n >= RADIX_MIN)
        snap_radix(keys, tmp, n, nranks, d);
    else if (n > 1)
        snap_sort(keys, n, d, sort_depth(n));
}

gale_snap_t *
gale_snap_take(gale_kvstore_t *store, int task_id, uint64_t ckpt_id)
{
    gale_snap_t *s = xcalloc(1, sizeof(*s));
    size_t n = gale_kvstore_dirty_count(store);
    int first, last;

    s->task_id = task_id;
    s->ckpt_id = ckpt_id;
    /* Each group's buffer starts with room for its share of the changes
     * (headers and short keys and values: a word and its count, and an
     * eighth more), not with a doubling series of copies. Only groups
     * that have changes allocate one. */
    gale_kvstore_keygroups(store, &first, &last);
    s->hint = n * (sizeof(struct snap_rec) + 24) /
        (size_t)(last >= first ? last - first + 1 : 1);
    s->hint += s->hint / 8 + 256;
    /* Asked before the take, which cleans what it reports. */
    s->base = n >= GALE_SNAP_BASE_MIN && gale_kvstore_dirty_is_whole(store);
    (void)gale_kvstore_take_dirty(store, snap_add, s);
    s->lastname = NULL;
    return s;
}

void
gale_snap_destroy(gale_snap_t **sp)
{
    gale_snap_t *s;
    size_t i;

    if (sp == NULL || (s = *sp) == NULL)
        return;
    for (i = 0; i < s->ngroups; i++)
        gale_buf_release(&s->groups[i].data);
    free(s->groups);
    for (i = 0; i < s->nnames; i++)
        free(s->names[i]);
    free(s->names);
    free(s);
    *sp = NULL;
}

size_t
gale_snap_count(const gale_snap_t *s)
{
    return s->nrecs;
}

size_t
gale_snap_payload(const gale_snap_t *s)
{
    return s->payload;
}

bool
gale_snap_is_base(const gale_snap_t *s)
{
    return s->base;
}

int
gale_ckpt_write_snap(const char *dir, const gale_snap_t *s, char **file,
    size_t *bytes)
{
    struct fwriter w;
    struct snap_rec r;
    const struct snap_group *g;
    const uint8_t *d, *p;
    char *name;
    uint64_t size;
    struct snap_key *keys, *tmp;
    uint32_t *order, *rank;
    size_t i, gi, maxn = 0, *nlen;
    int rc;

    /* The names' ranks in byte order: the order of names within a key
     * group in the file. */
    order = xreallocarray(NULL, s->nnames + 1, sizeof(*order));
    rank = xreallocarray(NULL, s->nnames + 1, sizeof(*rank));
    nlen = xreallocarray(NULL, s->nnames + 1, sizeof(*nlen));
    for (i = 0; i < s->nnames; i++) {
        order[i] = (uint32_t)i;
        nlen[i] = strlen(s->names[i]);
    }
    qsort_r(order, s->nnames, sizeof(*order), snap_name_cmp, s->names);
    for (i = 0; i < s->nnames; i++)
        rank[order[i]] = (uint32_t)i;
    for (gi = 0; gi < s->ngroups; gi++)
        if (s->groups[gi].nrecs > maxn)
            maxn = s->groups[gi].nrecs;
    keys = xreallocarray(NULL, maxn + 1, sizeof(*keys));
    tmp = xreallocarray(NULL, maxn + 1, sizeof(*tmp));

    xasprintf(&name, "t%d-%" PRIu64 ".%s", s->task_id, s->ckpt_id,
        s->base ? "base" : "delta");
    if ((rc = ckpt_fw_open(&w, dir, name, s->task_id, s->ckpt_id,
        s->base ? SNAP_BASE : SNAP_DELTA)) != 0)
        goto fail;
    /* One key group at a time, in order (operator state, group -1,
     * first): its records were just read to make its sort keys, so the
     * writes in sorted order find them in cache. */
    for (gi = 0; gi < s->ngroups; gi++) {
        g = &s->groups[gi];
        if (g->nrecs == 0)
            continue;
        snap_sort_group(g, rank, s->nnames, keys, tmp);
        d = g->data.data;
        for (i = 0; i < g->nrecs; i++) {
            if (i + WRITE_AHEAD < g->nrecs)
                __builtin_prefetch(d + keys[i + WRITE_AHEAD].off);
            p = d + keys[i].off;
            r = snap_rec_at(p);
            if (s->base && !r.put)
                continue;           /* a base lists what exists */
            p += sizeof r;
            rc = ckpt_fw_record(&w, (int32_t)gi - 1, s->names[r.name],
                nlen[r.name], p, r.klen, r.put != 0, p + r.klen, r.vlen);
            if (rc != 0) {
                ckpt_fw_abort(&w);
                goto fail;
            }
        }
    }
    if ((rc = ckpt_fw_commit(&w, &size)) != 0)
        goto fail;
    *file = name;
    *bytes = (size_t)size;
    name = NULL;
fail:
    free(keys);
    free(tmp);
    free(order);
    free(rank);
    free(nlen);
    free(name);
    return rc;
}
