/* histogram.h - a log-bucketed histogram of non-negative integers
 * (latencies in ns): 4 buckets per power of two, so a quantile read from
 * it is within 19% of the true value, in a fixed 1.3 KiB with no
 * allocation. Recording is one count-leading-zeros and two adds: cheap
 * enough for an executor's hot path, where it runs once per batch
 * (gale_hist_record_n with the batch's mean and size).
 *
 * Bucket i < 4 holds exactly the value i; above, bucket 4(e-1)+s holds
 * [(4+s) 2^(e-2), (5+s) 2^(e-2)) for e = floor(log2 v) >= 2. Values of
 * 2^41 and more (36 minutes in ns) go to the last bucket.
 *
 * Not thread-safe: one owner writes it (an executor thread); readers get
 * a copy (the encoded report part, decoded on the master's thread).
 */
#ifndef GALE_METRICS_HISTOGRAM_H
#define GALE_METRICS_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

#define GALE_HIST_BUCKETS 160

typedef struct gale_hist {
    uint64_t count;                 /* values recorded */
    uint64_t sum;                   /* their sum (wraps after 2^64) */
    uint64_t b[GALE_HIST_BUCKETS];  /* values per bucket */
} gale_hist_t;

/* The bucket of value v. */
static inline int
gale_hist_bucket(uint64_t v)
{
    int e, i;

    if (v < 4)
        return (int)v;
    e = 63 - __builtin_clzll(v);
    i = 4 * (e - 1) + (int)((v >> (e - 2)) & 3);
    return i < GALE_HIST_BUCKETS ? i : GALE_HIST_BUCKETS - 1;
}

/* Records n values of v (a batch of n tuples that took v each on
 * average). */
static inline void
gale_hist_record_n(gale_hist_t *h, uint64_t v, uint64_t n)
{
    h->b[gale_hist_bucket(v)] += n;
    h->count += n;
    h->sum += v * n;
}

/* The smallest value bucket i holds. */
uint64_t gale_hist_lower(int i);
/* One past the largest value bucket i holds (UINT64_MAX for the last). */
uint64_t gale_hist_upper(int i);
/* Adds src's counts into dst. */
void gale_hist_merge(gale_hist_t *dst, const gale_hist_t *src);
/* An estimate of quantile q (0..1) of the values recorded: the value
 * below which a fraction q of them lie, interpolated linearly inside its
 * bucket. 0 when the histogram is empty. */
double gale_hist_quantile(const gale_hist_t *h, double q);
/* How many values recorded are below bound, counted over whole buckets:
 * exact when bound is a bucket's lower edge (every power of two is). */
uint64_t gale_hist_count_below(const gale_hist_t *h, uint64_t bound);

/* The encoding (docs/wire.md, "STATS histograms"): count and sum as
 * 8-byte little-endian, the number of non-empty buckets in one byte, then
 * per non-empty bucket its index (one byte) and count (8 bytes). */
#define GALE_HIST_ENCODED_MAX (17 + GALE_HIST_BUCKETS * 9)
/* Writes h into out (GALE_HIST_ENCODED_MAX bytes are enough); returns
 * the bytes written. */
size_t gale_hist_encode(const gale_hist_t *h, uint8_t *out);
/* Reads one histogram from buf (len bytes, never past it) into *h.
 * Returns the bytes read, or -EMSGSIZE when buf is short, -EINVAL when a
 * bucket index is out of range, repeated or out of order, a bucket listed
 * is empty, or the bucket counts do not add up to count; *h is then
 * zeroed. What it accepts encodes back to the same bytes. */
int gale_hist_decode(const void *buf, size_t len, gale_hist_t *h);

/* The STATS report's third part (docs/wire.md): a version byte (1),
 * then per task its id (4 bytes, little-endian) and its histogram as
 * above. At most GALE_HIST_PART_MAX(n) bytes for n tasks. */
#define GALE_HIST_PART_MAX(n) (1 + (size_t)(n) * (4 + GALE_HIST_ENCODED_MAX))
/* Writes the part for n tasks into out; returns its length. */
size_t gale_hist_part_encode(const int32_t *tasks,
    const gale_hist_t *const *hists, size_t n, uint8_t *out);
/* Reads a part: calls fn for each task's histogram (borrowed for the
 * call). 0, or -EPROTO (version), -EMSGSIZE or -EINVAL (a histogram does
 * not decode: see gale_hist_decode); entries before the bad one were
 * passed to fn. */
int gale_hist_part_decode(const void *buf, size_t len,
    void (*fn)(void *arg, int32_t task, const gale_hist_t *h), void *arg);

#endif
