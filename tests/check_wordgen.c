/* check_wordgen.c - the corpus generator and the spouts' rate limit. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "spouts/pace.h"
#include "spouts/wordgen.h"

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

START_TEST(test_vocabulary_unique_and_sized)
{
    gale_wordgen_t *g = gale_wordgen_new(10000);
    char **w = calloc(10000, sizeof *w);
    const char *p;
    size_t len;
    int r;

    ck_assert_ptr_nonnull(g);
    ck_assert_int_eq(gale_wordgen_vocabulary(g), 10000);
    for (r = 0; r < 10000; r++) {
        p = gale_wordgen_word(g, r, &len);
        ck_assert_uint_ge(len, 3);
        ck_assert_uint_le(len, 10);
        w[r] = strndup(p, len);
        ck_assert_uint_eq(strspn(w[r], "abcdefghijklmnopqrstuvwxyz"), len);
    }
    qsort(w, 10000, sizeof *w, cmp_str);
    for (r = 1; r < 10000; r++)
        ck_assert_str_ne(w[r - 1], w[r]);
    for (r = 0; r < 10000; r++)
        free(w[r]);
    free(w);
    gale_wordgen_destroy(&g);
    ck_assert_ptr_null(g);
}
END_TEST

START_TEST(test_vocabulary_depends_on_size_only)
{
    gale_wordgen_t *a = gale_wordgen_new(500), *b = gale_wordgen_new(500);
    const char *pa, *pb;
    size_t la, lb;
    int r;

    for (r = 0; r < 500; r++) {
        pa = gale_wordgen_word(a, r, &la);
        pb = gale_wordgen_word(b, r, &lb);
        ck_assert_uint_eq(la, lb);
        ck_assert_int_eq(memcmp(pa, pb, la), 0);
    }
    gale_wordgen_destroy(&a);
    gale_wordgen_destroy(&b);
}
END_TEST

START_TEST(test_range_checked)
{
    ck_assert_ptr_null(gale_wordgen_new(0));
    ck_assert_ptr_null(gale_wordgen_new(GALE_WORDGEN_MAXVOCAB + 1));
    gale_wordgen_destroy(NULL);
}
END_TEST

START_TEST(test_same_seed_same_sentences)
{
    gale_wordgen_t *g = gale_wordgen_new(10000);
    uint64_t a = gale_wordgen_seed(42), b = gale_wordgen_seed(42);
    uint64_t c = gale_wordgen_seed(43);
    char x[400], y[400], z[400];
    size_t lx, ly, lz;
    int i, differ = 0;

    ck_assert_uint_ne(gale_wordgen_seed(0), 0);
    for (i = 0; i < 100; i++) {
        lx = gale_wordgen_sentence(g, &a, 10, x);
        ly = gale_wordgen_sentence(g, &b, 10, y);
        lz = gale_wordgen_sentence(g, &c, 10, z);
        ck_assert_uint_eq(lx, ly);
        ck_assert_int_eq(memcmp(x, y, lx), 0);
        differ += lx != lz || memcmp(x, z, lx) != 0;
    }
    ck_assert_int_gt(differ, 90);
    gale_wordgen_destroy(&g);
}
END_TEST

START_TEST(test_sentence_shape)
{
    gale_wordgen_t *g = gale_wordgen_new(100);
    uint64_t s = gale_wordgen_seed(7);
    char buf[2000];
    size_t len, i;
    int spaces = 0;

    ck_assert_uint_ge(gale_wordgen_sentence_max(7), 7 * 11);
    len = gale_wordgen_sentence(g, &s, 7, buf);
    ck_assert_uint_le(len, gale_wordgen_sentence_max(7));
    ck_assert(buf[0] != ' ' && buf[len - 1] != ' ');
    for (i = 0; i < len; i++) {
        ck_assert(buf[i] != '\n');
        if (buf[i] == ' ') {
            spaces++;
            ck_assert(buf[i + 1] != ' ');
        }
    }
    ck_assert_int_eq(spaces, 6);
    gale_wordgen_destroy(&g);
}
END_TEST

/* Zipf(1.0) over 10000 ranks: P(rank 0) = 1/H(10000) = 0.1020, and rank
 * 1 is half as likely as rank 0. */
START_TEST(test_zipf_frequencies)
{
    gale_wordgen_t *g = gale_wordgen_new(10000);
    uint64_t s = gale_wordgen_seed(1);
    int i, r, n = 400000, c0 = 0, c1 = 0, maxr = 0;

    for (i = 0; i < n; i++) {
        r = gale_wordgen_draw(g, &s);
        ck_assert_int_ge(r, 0);
        ck_assert_int_lt(r, 10000);
        c0 += r == 0;
        c1 += r == 1;
        if (r > maxr)
            maxr = r;
    }
    ck_assert_double_eq_tol((double)c0 / n, 0.1020, 0.003);
    ck_assert_double_eq_tol((double)c1 / c0, 0.5, 0.03);
    ck_assert_int_gt(maxr, 9000);
    gale_wordgen_destroy(&g);
}
END_TEST

START_TEST(test_pace_unlimited)
{
    gale_pace_t p;

    gale_pace_init(&p, 0);
    ck_assert_uint_eq(gale_pace_allow_at(&p, 256, 1), 256);
    gale_pace_spend(&p, 256);
    ck_assert_uint_eq(gale_pace_allow(&p, 256), 256);
}
END_TEST

START_TEST(test_pace_rate)
{
    const uint64_t ms = 1000000, t0 = 1000 * ms;
    gale_pace_t p;

    gale_pace_init(&p, 100);                /* 1 per 10 ms, burst 10 */
    ck_assert_uint_eq(gale_pace_allow_at(&p, 256, t0), 1);
    gale_pace_spend(&p, 1);
    ck_assert_uint_eq(gale_pace_allow_at(&p, 256, t0), 0);
    ck_assert_uint_eq(gale_pace_allow_at(&p, 256, t0 + 5 * ms), 0);
    ck_assert_uint_eq(gale_pace_allow_at(&p, 256, t0 + 50 * ms), 5);
    gale_pace_spend(&p, 5);
    /* A long stall does not let more than a tenth of a second through. */
    ck_assert_uint_eq(gale_pace_allow_at(&p, 256, t0 + 10000 * ms), 10);
    ck_assert_uint_eq(gale_pace_allow_at(&p, 3, t0 + 10000 * ms), 3);
}
END_TEST

START_TEST(test_pace_slow_rate)
{
    const uint64_t ms = 1000000, t0 = 5000 * ms;
    gale_pace_t p;

    gale_pace_init(&p, 10);                 /* Storm's 100 ms sleep */
    ck_assert_uint_eq(gale_pace_allow_at(&p, 256, t0), 1);
    gale_pace_spend(&p, 1);
    ck_assert_uint_eq(gale_pace_allow_at(&p, 256, t0 + 99 * ms), 0);
    ck_assert_uint_eq(gale_pace_allow_at(&p, 256, t0 + 100 * ms), 1);
    gale_pace_spend(&p, 1);
    ck_assert_uint_eq(gale_pace_allow_at(&p, 256, t0 + 1000 * ms), 1);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("wordgen");
    TCase *tc = tcase_create("wordgen"), *tp = tcase_create("pace");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_vocabulary_unique_and_sized);
    tcase_add_test(tc, test_vocabulary_depends_on_size_only);
    tcase_add_test(tc, test_range_checked);
    tcase_add_test(tc, test_same_seed_same_sentences);
    tcase_add_test(tc, test_sentence_shape);
    tcase_add_test(tc, test_zipf_frequencies);
    tcase_add_test(tp, test_pace_unlimited);
    tcase_add_test(tp, test_pace_rate);
    tcase_add_test(tp, test_pace_slow_rate);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, tp);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
