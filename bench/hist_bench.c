/* hist_bench.c - what the executor's latency histogram costs: N calls of
 * gale_hist_record_n (one per frame on the hot path) with varying values,
 * timed; prints ns per call. Built on demand: make bench/hist_bench.
 *
 *   ./bench/hist_bench [N]      (default 200000000)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "engine/metrics/histogram.h"

int
main(int argc, char **argv)
{
    unsigned long long n = argc > 1 ? strtoull(argv[1], NULL, 10) :
        200000000ULL, i, x = 88172645463325252ULL;
    struct timespec a, b;
    static gale_hist_t h;
    double ns;

    clock_gettime(CLOCK_MONOTONIC, &a);
    for (i = 0; i < n; i++) {
        /* xorshift: latencies of 0 to ~1 ms, not predictable */
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        gale_hist_record_n(&h, x & 0xfffff, 1 + (x >> 60));
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
    printf("RESULT hist_record calls=%llu ns_per_call=%.2f p50_ns=%.0f "
        "(count %llu)\n", n, ns / (double)n, gale_hist_quantile(&h, 0.5),
        (unsigned long long)h.count);
    return h.count > 0 ? 0 : 1;
}
