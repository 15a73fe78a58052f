/* kv_bench.c - nanoseconds per gale_kv_add_i64 on a word-count workload.
 *
 * 10,000 distinct words of 3-10 letters, drawn with Zipf(1.0) frequencies
 * (the top word about 10% of draws), as the count bolt sees them. The draws
 * and each word's key group are computed before timing; the timed loop does
 * what the executor and the count bolt do per word: set the key group, then
 * add 1. A second loop with only the set_keygroup call and the same memory
 * walk gives the loop's own cost.
 *
 * Usage: kv_bench [-n draws] [-r repetitions]   (defaults 20000000, 5)
 * Prints the median of the repetitions.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/state/kvstate.h"

#define NWORDS 10000
#define MAXPAR 128

struct draw {
    const char *word;           /* one of the vocabulary's words */
    uint32_t len;               /* its length */
    int32_t kg;                 /* its key group */
};

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint64_t
next_rand(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545f4914f6cdd1dULL;
}

static double
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
    static char words[NWORDS][11];
    static uint32_t lens[NWORDS];
    static double cdf[NWORDS];
    size_t ndraws = 20000000, i;
    int reps = 5, r, c, w, lo, hi, mid;
    struct draw *d;
    double sum = 0, u, t0, *ns_add, *ns_loop;
    int64_t out, total;
    volatile int64_t sink = 0;
    gale_kvstore_t *s;
    gale_kv_t *kv;

    while ((c = getopt(argc, argv, "n:r:")) != -1) {
        if (c == 'n')
            ndraws = strtoul(optarg, NULL, 10);
        else if (c == 'r')
            reps = atoi(optarg);
        else {
            fprintf(stderr, "usage: kv_bench [-n draws] [-r reps]\n");
            return 2;
        }
    }
    if (reps < 1 || ndraws == 0)
        return 2;
    /* The vocabulary: random words of 3-10 letters, made distinct by
     * spelling the word's number in base 26 in its first three letters
     * (26^3 > NWORDS). */
    for (w = 0; w < NWORDS; w++) {
        lens[w] = 3 + (uint32_t)(next_rand() % 8);
        words[w][0] = (char)('a' + w / 676);
        words[w][1] = (char)('a' + w / 26 % 26);
        words[w][2] = (char)('a' + w % 26);
        for (i = 3; i < lens[w]; i++)
            words[w][i] = (char)('a' + next_rand() % 26);
    }
    for (w = 0; w < NWORDS; w++) {
        sum += 1.0 / (w + 1);
        cdf[w] = sum;
    }
    d = malloc(ndraws * sizeof *d);
    for (i = 0; i < ndraws; i++) {
        u = (double)(next_rand() >> 11) / 9007199254740992.0 * sum;
        for (lo = 0, hi = NWORDS - 1; lo < hi;) {
            mid = (lo + hi) / 2;
            if (cdf[mid] < u)
                lo = mid + 1;
            else
                hi = mid;
        }
        d[i].word = words[lo];
        d[i].len = lens[lo];
        d[i].kg = lo % MAXPAR;
    }
    ns_add = calloc((size_t)reps, sizeof *ns_add);
    ns_loop = calloc((size_t)reps, sizeof *ns_loop);
    for (r = 0; r < reps; r++) {
        s = gale_kvstore_new(MAXPAR, 0, MAXPAR - 1);
        kv = gale_kvstore_keyed(s, "counts");
        t0 = now_ns();
        for (i = 0; i < ndraws; i++) {
            gale_kvstore_set_keygroup(s, d[i].kg);
            if (gale_kv_add_i64(kv, d[i].word, d[i].len, 1, &out) != 0)
                abort();
        }
        ns_add[r] = (now_ns() - t0) / (double)ndraws;
        /* Check: the counts sum to the draws. */
        gale_kvstore_set_keygroup(s, -1);
        total = 0;
        for (w = 0; w < NWORDS; w++) {
            const void *v;
            size_t n;

            gale_kvstore_set_keygroup(s, w % MAXPAR);
            if (gale_kv_get(kv, words[w], lens[w], &v, &n) == 0) {
                int64_t x;

                memcpy(&x, v, sizeof x);
                total += x;
            }
        }
        if ((size_t)total != ndraws) {
            fprintf(stderr, "counts sum to %lld, not %zu\n",
                (long long)total, ndraws);
            return 1;
        }
        if (r == 0)
            printf("distinct keys %zu, dirty %zu, state bytes %zu\n",
                (size_t)NWORDS, gale_kvstore_dirty_count(s),
                gale_kvstore_bytes(s));
        gale_kvstore_destroy(&s);
        s = gale_kvstore_new(MAXPAR, 0, MAXPAR - 1);
        t0 = now_ns();
        for (i = 0; i < ndraws; i++) {
            gale_kvstore_set_keygroup(s, d[i].kg);
            sink += d[i].word[0] + d[i].len;
        }
        ns_loop[r] = (now_ns() - t0) / (double)ndraws;
        gale_kvstore_destroy(&s);
    }
    qsort(ns_add, (size_t)reps, sizeof *ns_add, cmp_double);
    qsort(ns_loop, (size_t)reps, sizeof *ns_loop, cmp_double);
    printf("draws %zu, reps %d (median; min-max)\n", ndraws, reps);
    printf("set_keygroup + add_i64: %.1f ns/word (%.1f-%.1f), %.1f M words/s\n",
        ns_add[reps / 2], ns_add[0], ns_add[reps - 1], 1e3 / ns_add[reps / 2]);
    printf("loop alone:             %.1f ns/word\n", ns_loop[reps / 2]);
    printf("add_i64 net:            %.1f ns/word\n",
        ns_add[reps / 2] - ns_loop[reps / 2]);
    free(ns_add);
    free(ns_loop);
    free(d);
    return 0;
}
