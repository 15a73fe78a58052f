/* check_combiner.c - the combiner: equal encodings merged with their
 * weights, distinct ones kept in first-seen order, bounded, drained. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec/combiner.h"

#define MAXSEEN 4096

/* What a drain saw. */
typedef struct seen {
    char enc[MAXSEEN][64];
    size_t len[MAXSEEN];
    uint64_t weight[MAXSEEN];
    int n;
    int stop_at;                    /* return -EIO at this call; -1 never */
} seen_t;

static int
collect(void *arg, const uint8_t *enc, size_t len, uint64_t weight)
{
    seen_t *s = arg;

    if (s->n == s->stop_at)
        return -EIO;
    ck_assert_int_lt(s->n, MAXSEEN);
    ck_assert_uint_le(len, sizeof s->enc[0]);
    memcpy(s->enc[s->n], enc, len);
    s->len[s->n] = len;
    s->weight[s->n++] = weight;
    return 0;
}

/* Writes key i as an encoding of len bytes (4..64) into buf. */
static size_t
key(char *buf, int i, size_t len)
{
    char tmp[80];

    memset(buf, 'x', len);
    snprintf(tmp, sizeof tmp, "%d.", i);
    memcpy(buf, tmp, strlen(tmp) < len ? strlen(tmp) : len);
    return len;
}

START_TEST(test_equal_merge_distinct_keep_order)
{
    /* Encodings of every length from 4 to 40 (inline and arena), each
     * added i % 7 + 1 times, interleaved: one entry each, in first-seen
     * order, with the right weight and the same bytes. */
    gale_combiner_t *c = gale_combiner_new(1024, 65536);
    static seen_t s;
    char buf[64];
    size_t len;
    uint64_t total = 0;
    int i, r;

    for (r = 0; r < 7; r++)
        for (i = 0; i < 200; i++) {
            if (r > i % 7)
                continue;
            len = key(buf, i, 4 + (size_t)i % 37);
            ck_assert_int_eq(gale_combiner_add(c, buf, len), 0);
            total++;
        }
    ck_assert_uint_eq(gale_combiner_count(c), 200);
    ck_assert_uint_eq(gale_combiner_tuples(c), total);
    s.n = 0;
    s.stop_at = -1;
    ck_assert_int_eq(gale_combiner_drain(c, collect, &s), 0);
    ck_assert_int_eq(s.n, 200);
    for (i = 0; i < 200; i++) {
        len = key(buf, i, 4 + (size_t)i % 37);
        ck_assert_uint_eq(s.len[i], len);
        ck_assert(memcmp(s.enc[i], buf, len) == 0);
        ck_assert_uint_eq(s.weight[i], (uint64_t)(i % 7 + 1));
    }
    ck_assert_uint_eq(gale_combiner_count(c), 0);
    ck_assert_uint_eq(gale_combiner_tuples(c), 0);
    /* Empty again: the same keys start over at weight 1. */
    len = key(buf, 3, 9);
    ck_assert_int_eq(gale_combiner_add(c, buf, len), 0);
    s.n = 0;
    ck_assert_int_eq(gale_combiner_drain(c, collect, &s), 0);
    ck_assert_int_eq(s.n, 1);
    ck_assert_uint_eq(s.weight[0], 1);
    gale_combiner_destroy(&c);
    ck_assert_ptr_null(c);
}
END_TEST

START_TEST(test_same_prefix_other_length)
{
    /* Encodings that differ only in length, or only in a middle byte,
     * are different tuples. */
    gale_combiner_t *c = gale_combiner_new(64, 4096);
    static seen_t s;
    char a[32], b[32];
    size_t n;

    memset(a, 'a', sizeof a);
    memcpy(b, a, sizeof b);
    for (n = 4; n <= 20; n++)
        ck_assert_int_eq(gale_combiner_add(c, a, n), 0);
    b[9] = 'b';
    ck_assert_int_eq(gale_combiner_add(c, b, 16), 0);
    ck_assert_int_eq(gale_combiner_add(c, a, 16), 0);
    ck_assert_uint_eq(gale_combiner_count(c), 18);
    ck_assert_int_eq(gale_combiner_add(c, a, 3), -EINVAL);
    s.n = 0;
    s.stop_at = -1;
    ck_assert_int_eq(gale_combiner_drain(c, collect, &s), 0);
    ck_assert_uint_eq(s.len[12], 16);
    ck_assert_uint_eq(s.weight[12], 2);     /* a, 16 bytes: twice */
    ck_assert(memcmp(s.enc[17], b, 16) == 0);
    ck_assert_uint_eq(s.weight[17], 1);
    gale_combiner_destroy(&c);
}
END_TEST

START_TEST(test_bounds)
{
    /* Full in entries: a new encoding is refused, a known one still
     * merges. Full in bytes: a long one is refused, a short (inline) one
     * is not. An encoding larger than the byte bound never fits. */
    gale_combiner_t *c = gale_combiner_new(8, 100);
    char buf[128];
    int i;

    for (i = 0; i < 8; i++)
        ck_assert_int_eq(gale_combiner_add(c, buf, key(buf, i, 6)), 0);
    ck_assert_int_eq(gale_combiner_add(c, buf, key(buf, 8, 6)), -ENOSPC);
    ck_assert_int_eq(gale_combiner_add(c, buf, key(buf, 5, 6)), 0);
    ck_assert_uint_eq(gale_combiner_tuples(c), 9);
    gale_combiner_destroy(&c);

    c = gale_combiner_new(8, 100);
    ck_assert_int_eq(gale_combiner_add(c, buf, key(buf, 1, 60)), 0);
    ck_assert_int_eq(gale_combiner_add(c, buf, key(buf, 2, 60)), -ENOSPC);
    ck_assert_int_eq(gale_combiner_add(c, buf, key(buf, 3, 10)), 0);
    ck_assert_int_eq(gale_combiner_add(c, buf, key(buf, 4, 101 + 10)), -ENOSPC);
    gale_combiner_destroy(&c);
    gale_combiner_destroy(&c);              /* NULL is fine */
}
END_TEST

START_TEST(test_failed_drain_keeps_the_rest)
{
    /* A drain stopped by an error keeps the entries from the one that
     * failed on, long and short, with their weights, still merging. */
    gale_combiner_t *c = gale_combiner_new(64, 2048);
    static seen_t s;
    char buf[64];
    int i;

    for (i = 0; i < 30; i++) {
        ck_assert_int_eq(gale_combiner_add(c, buf, key(buf, i, i % 2 ? 40 : 8)), 0);
        ck_assert_int_eq(gale_combiner_add(c, buf, key(buf, i, i % 2 ? 40 : 8)), 0);
    }
    s.n = 0;
    s.stop_at = 11;
    ck_assert_int_eq(gale_combiner_drain(c, collect, &s), -EIO);
    ck_assert_int_eq(s.n, 11);
    ck_assert_uint_eq(gale_combiner_count(c), 19);
    ck_assert_uint_eq(gale_combiner_tuples(c), 38);
    ck_assert_int_eq(gale_combiner_add(c, buf, key(buf, 12, 8)), 0);   /* merges */
    ck_assert_int_eq(gale_combiner_add(c, buf, key(buf, 13, 40)), 0);  /* merges */
    ck_assert_uint_eq(gale_combiner_count(c), 19);
    s.n = 0;
    s.stop_at = -1;
    ck_assert_int_eq(gale_combiner_drain(c, collect, &s), 0);
    ck_assert_int_eq(s.n, 19);
    for (i = 0; i < 19; i++) {
        size_t len = key(buf, 11 + i, (11 + i) % 2 ? 40 : 8);

        ck_assert_uint_eq(s.len[i], len);
        ck_assert(memcmp(s.enc[i], buf, len) == 0);
        ck_assert_uint_eq(s.weight[i], 11 + i == 12 || 11 + i == 13 ? 3 : 2);
    }
    gale_combiner_destroy(&c);
}
END_TEST

START_TEST(test_many_keys)
{
    /* 4000 distinct keys, the first ones far more often (a skewed
     * stream): weights sum to the tuples added, each key once. */
    gale_combiner_t *c = gale_combiner_new(4096, 1 << 20);
    static seen_t s;
    char buf[64];
    uint64_t sum = 0, total = 0;
    int i, k;

    for (i = 0; i < 4000; i++)
        for (k = 0; k < 1 + 4000 / (i + 1) / 50; k++) {
            ck_assert_int_eq(gale_combiner_add(c, buf, key(buf, i, 12)), 0);
            total++;
        }
    ck_assert_uint_eq(gale_combiner_count(c), 4000);
    s.n = 0;
    s.stop_at = -1;
    ck_assert_int_eq(gale_combiner_drain(c, collect, &s), 0);
    for (i = 0; i < s.n; i++)
        sum += s.weight[i];
    ck_assert_int_eq(s.n, 4000);
    ck_assert_uint_eq(sum, total);
    gale_combiner_destroy(&c);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("combiner");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int nf;

    tcase_add_test(tc, test_equal_merge_distinct_keep_order);
    tcase_add_test(tc, test_same_prefix_other_length);
    tcase_add_test(tc, test_bounds);
    tcase_add_test(tc, test_failed_drain_keeps_the_rest);
    tcase_add_test(tc, test_many_keys);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
