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

/* One change: this header, then its key and value, in data. Records are
 * back to back, so that the take appends to one buffer and the writer,
 * in sorted order, touches one place per record. */
struct snap_rec {
    int32_t kg;                     /* key group; -1 for operator state */
    uint32_t name;                  /* index into names */
    uint32_t klen;                  /* key bytes */
    uint32_t vlen;                  /* value bytes; 0 for a deletion */
    uint32_t put;                   /* 0: the key was deleted */
};

struct gale_snap {
    int task_id;                    /* the task the changes belong to */
    uint64_t ckpt_id;               /* the checkpoint they were taken for */
    gale_buf_t data;                /* owned; the records (struct snap_rec,
                                     * key, value), back to back */
    size_t nrecs;                   /* records in data */
    char **names;                   /* owned; the state names, as seen */
    size_t nnames;                  /* length of names */
    const char *lastname;           /* borrowed during take: names[lastidx] */
    uint32_t lastidx;               /* index of lastname */
    size_t payload;                 /* bytes of keys and values */
    bool base;                      /* the whole state: written as a base */
};

/* take_dirty callback: copies one change into the snapshot. */
static int
snap_add(void *arg, int kg, const char *name, const void *key, size_t klen,
    const void *val, size_t vlen)
{
    gale_snap_t *s = arg;
    struct snap_rec r;
    size_t i;

    assert(klen <= UINT32_MAX && vlen <= UINT32_MAX);
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
    r.kg = kg;
    r.name = s->lastidx;
    r.klen = (uint32_t)klen;
    r.put = val != NULL;
    r.vlen = r.put ? (uint32_t)vlen : 0;
    gale_buf_append(&s->data, &r, sizeof r);
    gale_buf_append(&s->data, key, klen);
    if (r.put)
        gale_buf_append(&s->data, val, vlen);
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

/* One record's sort key: file order is (key group, name, key), and the
 * first two and the key's first 8 bytes fit here, so that most comparisons
 * read only this array, in order, instead of the records and their keys
 * scattered over the snapshot (a 10 M-key snapshot sorted through the
 * records took 11 s, most of it waiting on cache misses). */
struct snap_key {
    uint32_t group;                 /* key group + 1 (operator state: 0) */
    uint32_t rank;                  /* the name's rank among sorted names */
    uint64_t pfx;                   /* the key's first 8 bytes, big-endian,
                                     * zero-padded: ordered as the keys are,
                                     * equal only if the keys may tie */
    size_t off;                     /* the record's offset in data */
};

/* The header of the record at off in s's data (copied out: records are
 * not aligned). */
static inline struct snap_rec
snap_rec_at(const gale_snap_t *s, size_t off)
{
    struct snap_rec r;

    memcpy(&r, s->data.data + off, sizeof r);
    return r;
}

/* The first 8 bytes of key p (n bytes), big-endian, zero-padded. Keys
 * that differ in their first 8 bytes compare as these numbers do; a key
 * that is a prefix of the other is not larger (its padding is zeros). */
static uint64_t
key_prefix(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    size_t i;

    for (i = 0; i < 8; i++)
        v = v << 8 | (i < n ? p[i] : 0);
    return v;
}

/* snap_keys in file order: < 0, 0 or > 0 (s: the snapshot). The key
 * bytes are read only when everything else ties. */
static inline int
snap_key_cmp(const struct snap_key *x, const struct snap_key *y,
    const gale_snap_t *s)
{
    struct snap_rec rx, ry;

    if (x->group != y->group)
        return x->group < y->group ? -1 : 1;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    if (x->pfx != y->pfx)
        return x->pfx < y->pfx ? -1 : 1;
    rx = snap_rec_at(s, x->off);
    ry = snap_rec_at(s, y->off);
    return ckpt_bytes_cmp(s->data.data + x->off + sizeof rx, rx.klen,
        s->data.data + y->off + sizeof ry, ry.klen);
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
snap_sift(struct snap_key *k, size_t i, size_t n, const gale_snap_t *s)
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
snap_sort(struct snap_key *k, size_t n, const gale_snap_t *s, int depth)
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

/* Sorts k[0..n), records of one key group, in file order: a
 * least-significant-digit radix sort on the 8-byte key prefixes (a byte a
 * pass, skipping the bytes every key shares), then one stable pass on the
 * name's rank if there are several names (nranks), then snap_sort on each
 * run of keys that tie on both (keys longer than 8 bytes that share their
 * first 8). tmp has room for n keys. Comparison sorts took most of the
 * writer's time on a million-key snapshot: each comparison a branch the
 * CPU cannot predict. */
static void
snap_radix(struct snap_key *k, struct snap_key *tmp, size_t n, size_t nranks,
    const gale_snap_t *s)
{
    struct snap_key *from = k, *to = tmp, *t;
    size_t count[256], i, j, sum, c, *rcount;
    unsigned shift, b;
    int depth;

    for (shift = 0; shift < 64; shift += 8) {
        memset(count, 0, sizeof count);
        for (i = 0; i < n; i++)
            count[(from[i].pfx >> shift) & 0xff]++;
        if (count[(from[0].pfx >> shift) & 0xff] == n)
            continue;               /* every key has this byte */
        for (b = 0, sum = 0; b < 256; b++) {
            c = count[b];
            count[b] = sum;
            sum += c;
        }
        for (i = 0; i < n; i++)
            to[count[(from[i].pfx >> shift) & 0xff]++] = from[i];
        t = from;
        from = to;
        to = t;
    }
    if (nranks > 1) {
        rcount = xcalloc(nranks + 1, sizeof(*rcount));
        for (i = 0; i < n; i++)
            rcount[from[i].rank + 1]++;
        for (j = 1; j <= nranks; j++)
            rcount[j] += rcount[j - 1];
        for (i = 0; i < n; i++)
            to[rcount[from[i].rank]++] = from[i];
        free(rcount);
        t = from;
        from = to;
        to = t;
    }
    if (from != k)
        memcpy(k, from, n * sizeof(*k));
    for (i = 0; i < n; i = j) {
        for (j = i + 1; j < n && k[j].pfx == k[i].pfx &&
            k[j].rank == k[i].rank; j++)
            ;
        if (j - i > 1) {
            for (depth = 0; (j - i) >> (depth / 2) > 1; depth += 2)
                ;
            snap_sort(k + i, j - i, s, depth);
        }
    }
}

/* s's records in file order (key group, name, key): a new array of sort
 * keys whose idx fields name the records, which the caller frees. The
 * snapshot itself is left as taken, so that the sort runs on the writer
 * thread, not in the executor's pause. The records are first distributed
 * by key group (a counting sort: one pass to count, one to place), then
 * each group is sorted on its own (snap_radix, or snap_sort if short): a
 * task's keys spread over many groups, so each sort's array stays in
 * cache. */
static struct snap_key *
snap_sorted(const gale_snap_t *s)
{
    struct snap_key *keys, *tmp;
    struct snap_rec r;
    uint32_t *order, *rank, g, lo = UINT32_MAX, hi = 0;
    size_t *start, i, n, off;
    int depth;

    order = xreallocarray(NULL, s->nnames + 1, sizeof(*order));
    rank = xreallocarray(NULL, s->nnames + 1, sizeof(*rank));
    for (i = 0; i < s->nnames; i++)
        order[i] = (uint32_t)i;
    qsort_r(order, s->nnames, sizeof(*order), snap_name_cmp, s->names);
    for (i = 0; i < s->nnames; i++)
        rank[order[i]] = (uint32_t)i;
    /* One pass over the records, in taken order, into tmp; then a
     * counting sort by group from tmp into keys; tmp is then the radix
     * sort's scratch. */
    tmp = xreallocarray(NULL, s->nrecs + 1, sizeof(*tmp));
    keys = xreallocarray(NULL, s->nrecs + 1, sizeof(*keys));
    for (i = 0, off = 0; i < s->nrecs; i++) {
        r = snap_rec_at(s, off);
        g = (uint32_t)(r.kg + 1);
        lo = g < lo ? g : lo;
        hi = g > hi ? g : hi;
        tmp[i].group = g;
        tmp[i].rank = rank[r.name];
        tmp[i].pfx = key_prefix(s->data.data + off + sizeof r, r.klen);
        tmp[i].off = off;
        off += sizeof r + r.klen + r.vlen;
    }
    if (s->nrecs == 0)
        lo = hi = 0;
    /* start[g - lo] is where group g begins; then, while placing, where
     * its next record goes. */
    start = xcalloc((size_t)(hi - lo) + 2, sizeof(*start));
    for (i = 0; i < s->nrecs; i++)
        start[tmp[i].group - lo + 1]++;
    for (g = 1; g <= hi - lo + 1; g++)
        start[g] += start[g - 1];
    for (i = 0; i < s->nrecs; i++)
        keys[start[tmp[i].group - lo]++] = tmp[i];
    /* start[g - lo] is now where group g ends. */
    for (g = 0, i = 0; g <= hi - lo; g++) {
        n = start[g] - i;
        if (n >= RADIX_MIN)
            snap_radix(keys + i, tmp, n, s->nnames, s);
        else {
            for (depth = 0; n >> (depth / 2) > 1; depth += 2)
                ;
            snap_sort(keys + i, n, s, depth);
        }
        i = start[g];
    }
    free(tmp);
    free(start);
    free(order);
    free(rank);
    return keys;
}

gale_snap_t *
gale_snap_take(gale_kvstore_t *store, int task_id, uint64_t ckpt_id)
{
    gale_snap_t *s = xcalloc(1, sizeof(*s));
    size_t n = gale_kvstore_dirty_count(store);

    s->task_id = task_id;
    s->ckpt_id = ckpt_id;
    /* One allocation, not a doubling series of copies: room for the
     * headers and short keys and values (a word and its count). */
    gale_buf_init(&s->data, n * (sizeof(struct snap_rec) + 24));
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
    gale_buf_release(&s->data);
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
    const uint8_t *k;
    char *name;
    uint64_t size;
    struct snap_key *idx = snap_sorted(s);
    size_t i, *nlen = xreallocarray(NULL, s->nnames + 1, sizeof(*nlen));
    int rc;

    for (i = 0; i < s->nnames; i++)
        nlen[i] = strlen(s->names[i]);

    xasprintf(&name, "t%d-%" PRIu64 ".%s", s->task_id, s->ckpt_id,
        s->base ? "base" : "delta");
    if ((rc = ckpt_fw_open(&w, dir, name, s->task_id, s->ckpt_id,
        s->base ? SNAP_BASE : SNAP_DELTA)) != 0)
        goto fail;
    for (i = 0; i < s->nrecs; i++) {
        /* Sorted order is random order in data: fetch ahead. */
        if (i + WRITE_AHEAD < s->nrecs)
            __builtin_prefetch(s->data.data + idx[i + WRITE_AHEAD].off);
        r = snap_rec_at(s, idx[i].off);
        if (s->base && !r.put)
            continue;               /* a base lists what exists */
        k = s->data.data + idx[i].off + sizeof r;
        rc = ckpt_fw_record(&w, r.kg, s->names[r.name], nlen[r.name], k,
            r.klen, r.put != 0, k + r.klen, r.vlen);
        if (rc != 0) {
            ckpt_fw_abort(&w);
            goto fail;
        }
    }
    if ((rc = ckpt_fw_commit(&w, &size)) != 0)
        goto fail;
    free(idx);
    free(nlen);
    *file = name;
    *bytes = (size_t)size;
    return 0;
fail:
    free(idx);
    free(nlen);
    free(name);
    return rc;
}
