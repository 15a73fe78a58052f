/* histogram.c - log-bucketed histograms (histogram.h). */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "common/le.h"
#include "engine/metrics/histogram.h"

uint64_t
gale_hist_lower(int i)
{
    int e;

    if (i < 4)
        return (uint64_t)i;
    e = i / 4 + 1;
    return (uint64_t)(4 + i % 4) << (e - 2);
}

uint64_t
gale_hist_upper(int i)
{
    return i >= GALE_HIST_BUCKETS - 1 ? UINT64_MAX : gale_hist_lower(i + 1);
}

void
gale_hist_merge(gale_hist_t *dst, const gale_hist_t *src)
{
    int i;

    for (i = 0; i < GALE_HIST_BUCKETS; i++)
        dst->b[i] += src->b[i];
    dst->count += src->count;
    dst->sum += src->sum;
}

double
gale_hist_quantile(const gale_hist_t *h, double q)
{
    double rank, below = 0, lo, hi;
    int i;

    if (h->count == 0)
        return 0;
    if (q < 0)
        q = 0;
    if (q > 1)
        q = 1;
    rank = q * (double)h->count;
    for (i = 0; i < GALE_HIST_BUCKETS; i++) {
        if (h->b[i] == 0)
            continue;
        if (below + (double)h->b[i] >= rank) {
            lo = (double)gale_hist_lower(i);
            /* The last bucket is open: its lower edge is the estimate. */
            hi = i == GALE_HIST_BUCKETS - 1 ? lo : (double)gale_hist_upper(i);
            return lo + (hi - lo) * ((rank - below) / (double)h->b[i]);
        }
        below += (double)h->b[i];
    }
    return (double)gale_hist_lower(GALE_HIST_BUCKETS - 1);
}

uint64_t
gale_hist_count_below(const gale_hist_t *h, uint64_t bound)
{
    uint64_t n = 0;
    int i;

    for (i = 0; i < GALE_HIST_BUCKETS && gale_hist_upper(i) <= bound; i++)
        n += h->b[i];
    return n;
}

size_t
gale_hist_encode(const gale_hist_t *h, uint8_t *out)
{
    size_t len = 17;
    int i, nz = 0;

    gale_put_le(out, h->count, 8);
    gale_put_le(out + 8, h->sum, 8);
    for (i = 0; i < GALE_HIST_BUCKETS; i++) {
        if (h->b[i] == 0)
            continue;
        out[len] = (uint8_t)i;
        gale_put_le(out + len + 1, h->b[i], 8);
        len += 9;
        nz++;
    }
    out[16] = (uint8_t)nz;
    return len;
}

int
gale_hist_decode(const void *buf, size_t len, gale_hist_t *h)
{
    const uint8_t *p = buf;
    uint64_t total = 0;
    size_t need;
    int i, nz, idx, last = -1;

    memset(h, 0, sizeof *h);
    if (len < 17)
        return -EMSGSIZE;
    nz = p[16];
    need = 17 + (size_t)nz * 9;
    if (len < need)
        return -EMSGSIZE;
    h->count = gale_get_le(p, 8);
    h->sum = gale_get_le(p + 8, 8);
    for (i = 0; i < nz; i++) {
        idx = p[17 + i * 9];
        if (idx >= GALE_HIST_BUCKETS || idx <= last)
            goto bad;
        last = idx;
        /* An empty bucket is never written: one listed is not ours. */
        if ((h->b[idx] = gale_get_le(p + 17 + i * 9 + 1, 8)) == 0)
            goto bad;
        total += h->b[idx];
    }
    if (total != h->count)
        goto bad;
    return (int)need;
bad:
    memset(h, 0, sizeof *h);
    return -EINVAL;
}

size_t
gale_hist_part_encode(const int32_t *tasks, const gale_hist_t *const *hists,
    size_t n, uint8_t *out)
{
    size_t len = 1, i;

    out[0] = 1;
    for (i = 0; i < n; i++) {
        gale_put_le(out + len, (uint32_t)tasks[i], 4);
        len += 4;
        len += gale_hist_encode(hists[i], out + len);
    }
    return len;
}

int
gale_hist_part_decode(const void *buf, size_t len,
    void (*fn)(void *arg, int32_t task, const gale_hist_t *h), void *arg)
{
    const uint8_t *p = buf;
    gale_hist_t h;
    size_t off = 1;
    int32_t task;
    int rc;

    if (len < 1)
        return -EMSGSIZE;
    if (p[0] != 1)
        return -EPROTO;
    while (off < len) {
        if (len - off < 4)
            return -EMSGSIZE;
        task = (int32_t)(uint32_t)gale_get_le(p + off, 4);
        off += 4;
        if ((rc = gale_hist_decode(p + off, len - off, &h)) < 0)
            return rc;
        off += (size_t)rc;
        fn(arg, task, &h);
    }
    return 0;
}
