/* check_window.c - event time: the watermark clock of a task
 * (engine/exec/watermark.c) and the windows of one key (bolts/winrec.c):
 * each window kind, out-of-order input, lateness, sessions merging, idle
 * inputs, and the state encoding. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bolts/winrec.h"
#include "engine/exec/watermark.h"

/* ---- watermark clock ---- */

START_TEST(test_wm_minimum)
{
    gale_wmark_t *w = gale_wmark_new(3);

    ck_assert_int_eq(gale_wmark_current(w), GALE_WM_NONE);
    ck_assert(!gale_wmark_update(w, 0, 100));
    ck_assert(!gale_wmark_update(w, 1, 50));
    ck_assert(gale_wmark_update(w, 2, 70));         /* all three: min 50 */
    ck_assert_int_eq(gale_wmark_current(w), 50);
    ck_assert(!gale_wmark_update(w, 1, 40));        /* goes back: ignored */
    ck_assert_int_eq(gale_wmark_current(w), 50);
    ck_assert(gale_wmark_update(w, 1, 200));        /* min is now 70 */
    ck_assert_int_eq(gale_wmark_current(w), 70);
    ck_assert(gale_wmark_end(w, 2));                /* 100 */
    ck_assert_int_eq(gale_wmark_current(w), 100);
    ck_assert(gale_wmark_end(w, 0));
    ck_assert(gale_wmark_end(w, 1));
    ck_assert_int_eq(gale_wmark_current(w), GALE_WM_END);
    gale_wmark_destroy(&w);
    ck_assert_ptr_null(w);
}
END_TEST

START_TEST(test_wm_idle)
{
    gale_wmark_t *w = gale_wmark_new(2);

    gale_wmark_update(w, 0, 10);
    gale_wmark_update(w, 1, 5);
    ck_assert_int_eq(gale_wmark_current(w), 5);
    /* Channel 1 goes idle: channel 0 alone holds the watermark. */
    ck_assert(gale_wmark_idle(w, 1));
    ck_assert_int_eq(gale_wmark_current(w), 10);
    ck_assert(gale_wmark_update(w, 0, 30));
    ck_assert_int_eq(gale_wmark_current(w), 30);
    ck_assert(!gale_wmark_all_idle(w));
    ck_assert(!gale_wmark_idle(w, 0));              /* both idle: no move */
    ck_assert(gale_wmark_all_idle(w));
    ck_assert_int_eq(gale_wmark_current(w), 30);
    /* Data on channel 1 again: it counts, at its old 5, but the task's
     * watermark never goes back. */
    gale_wmark_active(w, 1);
    ck_assert(!gale_wmark_all_idle(w));
    ck_assert_int_eq(gale_wmark_current(w), 30);
    ck_assert(!gale_wmark_update(w, 1, 20));        /* min(30, 20) < 30 */
    ck_assert(gale_wmark_update(w, 0, 60) == false); /* channel 1 at 20 */
    ck_assert(gale_wmark_update(w, 1, 45));
    ck_assert_int_eq(gale_wmark_current(w), 45);
    gale_wmark_destroy(&w);
}
END_TEST

START_TEST(test_wm_stop)
{
    gale_wmark_t *w = gale_wmark_new(2);

    gale_wmark_update(w, 0, 10);
    gale_wmark_update(w, 1, 20);
    /* A stopped input keeps its watermark: no jump to the end. */
    ck_assert(!gale_wmark_stop(w, 0));
    ck_assert(!gale_wmark_update(w, 0, 50));        /* ended: ignored */
    ck_assert(!gale_wmark_stop(w, 1));
    ck_assert_int_eq(gale_wmark_current(w), 10);
    gale_wmark_destroy(&w);
}
END_TEST

START_TEST(test_wm_floor)
{
    gale_wmark_t *w = gale_wmark_new(2);

    gale_wmark_set_floor(w, 1000);                  /* a restored task */
    ck_assert_int_eq(gale_wmark_current(w), 1000);
    ck_assert(!gale_wmark_update(w, 0, 500));
    ck_assert(!gale_wmark_update(w, 1, 900));
    ck_assert_int_eq(gale_wmark_current(w), 1000);
    ck_assert(!gale_wmark_update(w, 0, 1500));
    ck_assert(gale_wmark_update(w, 1, 1200));
    ck_assert_int_eq(gale_wmark_current(w), 1200);
    gale_wmark_destroy(&w);
}
END_TEST

/* ---- windows ---- */

#define MAXFIRED 64
typedef struct fired {
    int n;
    int64_t start[MAXFIRED], end[MAXFIRED];
    gale_datum_t v[MAXFIRED];
    char top[MAXFIRED][64];
} fired_t;

static int
on_fire(void *arg, const win_result_t *r)
{
    fired_t *f = arg;
    size_t i;
    int off = 0;

    ck_assert_int_lt(f->n, MAXFIRED);
    f->start[f->n] = r->start;
    f->end[f->n] = r->end;
    f->v[f->n] = r->value;
    f->top[f->n][0] = '\0';
    for (i = 0; i < r->ntop; i++)
        off += snprintf(f->top[f->n] + off, sizeof f->top[0] - (size_t)off,
            "%s%.*s:%lld", i ? " " : "", (int)r->top[i].len, r->top[i].s,
            (long long)r->top[i].count);
    f->n++;
    return 0;
}

/* Adds (ts, int value) at watermark wm; returns win_rec_add's result. */
static int
add(win_rec_t *r, const win_spec_t *s, int64_t ts, int64_t v, int64_t wm,
    fired_t *f)
{
    gale_datum_t d = gale_d_int(v);
    const char *why = NULL;

    return win_rec_add(r, s, ts, &d, wm, on_fire, f, &why);
}

/* Encodes and decodes r in place: what keyed state does between tuples. */
static void
roundtrip(win_rec_t *r)
{
    void *enc;
    size_t len;
    win_rec_t back;

    ck_assert_int_eq(win_rec_encode(r, &enc, &len), 0);
    ck_assert_int_eq(win_rec_decode(&back, enc, len), 0);
    /* A truncated record is refused, never read past its end. */
    if (len > 1) {
        win_rec_t bad;

        ck_assert_int_eq(win_rec_decode(&bad, enc, len - 1), -EINVAL);
    }
    free(enc);
    win_rec_clear(r);
    *r = back;
}

START_TEST(test_tumbling_out_of_order)
{
    win_spec_t s = { .kind = WIN_TUMBLING, .agg = AGG_SUM, .length = 10 };
    fired_t f = { 0 };
    win_rec_t r;

    win_rec_init(&r);
    ck_assert_int_eq(add(&r, &s, 3, 1, GALE_WM_NONE, &f), 0);
    ck_assert_int_eq(add(&r, &s, 12, 10, GALE_WM_NONE, &f), 0);
    roundtrip(&r);
    ck_assert_int_eq(add(&r, &s, 7, 100, GALE_WM_NONE, &f), 0);   /* back in [0,10) */
    ck_assert_int_eq(win_rec_next_timer(&r, &s), 9);
    ck_assert_int_eq(win_rec_advance(&r, &s, 8, on_fire, &f), 0);
    ck_assert_int_eq(f.n, 0);                       /* 9 not reached */
    ck_assert_int_eq(win_rec_advance(&r, &s, 9, on_fire, &f), 0);
    ck_assert_int_eq(f.n, 1);
    ck_assert_int_eq(f.start[0], 0);
    ck_assert_int_eq(f.end[0], 10);
    ck_assert_int_eq(f.v[0].u.i, 101);
    /* A tuple of the fired window, without lateness: late, r unchanged. */
    ck_assert_int_eq(add(&r, &s, 5, 1000, 9, &f), 1);
    ck_assert_int_eq(win_rec_next_timer(&r, &s), 19);
    ck_assert_int_eq(win_rec_advance(&r, &s, GALE_WM_END, on_fire, &f), 0);
    ck_assert_int_eq(f.n, 2);
    ck_assert_int_eq(f.v[1].u.i, 10);
    ck_assert(win_rec_empty(&r));
    win_rec_clear(&r);
}
END_TEST

START_TEST(test_sliding_and_lateness)
{
    win_spec_t s = { .kind = WIN_SLIDING, .agg = AGG_COUNT, .length = 20,
        .slide = 10, .lateness = 5 };
    fired_t f = { 0 };
    win_rec_t r;

    win_rec_init(&r);
    ck_assert_int_eq(add(&r, &s, 15, 0, GALE_WM_NONE, &f), 0);   /* [0,20) [10,30) */
    ck_assert_uint_eq(r.nwins, 2);
    ck_assert_int_eq(win_rec_advance(&r, &s, 19, on_fire, &f), 0);
    ck_assert_int_eq(f.n, 1);                       /* [0,20) fired: 1 */
    ck_assert_int_eq(f.v[0].u.i, 1);
    /* Late by 2 ms, within the 5 ms lateness: [0,20) fires again with 2,
     * [10,30) just counts it. */
    ck_assert_int_eq(add(&r, &s, 11, 0, 21, &f), 0);
    ck_assert_int_eq(f.n, 2);
    ck_assert_int_eq(f.start[1], 0);
    ck_assert_int_eq(f.v[1].u.i, 2);
    roundtrip(&r);
    /* At 24 [0,20) is dropped; a tuple only it would take is late. */
    ck_assert_int_eq(win_rec_advance(&r, &s, 24, on_fire, &f), 0);
    ck_assert_uint_eq(r.nwins, 1);
    ck_assert_int_eq(add(&r, &s, 5, 0, 24, &f), 1);
    ck_assert_int_eq(win_rec_advance(&r, &s, 29, on_fire, &f), 0);
    ck_assert_int_eq(f.n, 3);
    ck_assert_int_eq(f.start[2], 10);
    ck_assert_int_eq(f.v[2].u.i, 2);
    win_rec_clear(&r);
}
END_TEST

START_TEST(test_sessions_merge)
{
    win_spec_t s = { .kind = WIN_SESSION, .agg = AGG_MAX, .gap = 10 };
    fired_t f = { 0 };
    win_rec_t r;

    win_rec_init(&r);
    add(&r, &s, 0, 5, GALE_WM_NONE, &f);            /* [0,10) */
    add(&r, &s, 30, 7, GALE_WM_NONE, &f);           /* [30,40) */
    ck_assert_uint_eq(r.nwins, 2);
    roundtrip(&r);
    add(&r, &s, 15, 9, GALE_WM_NONE, &f);           /* [15,25): alone */
    ck_assert_uint_eq(r.nwins, 3);
    add(&r, &s, 22, 1, GALE_WM_NONE, &f);           /* bridges to [15,32) -> [15,40) */
    ck_assert_uint_eq(r.nwins, 2);
    ck_assert_int_eq(r.wins[1].start, 15);
    ck_assert_int_eq(r.wins[1].end, 40);
    add(&r, &s, 9, 2, GALE_WM_NONE, &f);            /* [0,19) touches [15,40) */
    ck_assert_uint_eq(r.nwins, 1);
    /* Due at its end (40), not end - 1: a tuple at 40 would extend it. */
    ck_assert_int_eq(win_rec_advance(&r, &s, 39, on_fire, &f), 0);
    ck_assert_int_eq(f.n, 0);
    ck_assert_int_eq(win_rec_advance(&r, &s, 40, on_fire, &f), 0);
    ck_assert_int_eq(f.n, 1);
    ck_assert_int_eq(f.start[0], 0);
    ck_assert_int_eq(f.end[0], 40);
    ck_assert_int_eq(f.v[0].u.i, 9);
    win_rec_clear(&r);
}
END_TEST

START_TEST(test_count_windows)
{
    win_spec_t s = { .kind = WIN_COUNT_SLIDING, .agg = AGG_SUM, .length = 3,
        .slide = 2 };
    fired_t f = { 0 };
    win_rec_t r;
    int i;

    win_rec_init(&r);
    for (i = 1; i <= 6; i++) {
        add(&r, &s, 0, i, GALE_WM_NONE, &f);
        if (i == 3)
            roundtrip(&r);
    }
    /* Every 2 tuples, the last (up to) 3: {1,2} {2,3,4} {4,5,6}. */
    ck_assert_int_eq(f.n, 3);
    ck_assert_int_eq(f.v[0].u.i, 3);
    ck_assert_int_eq(f.v[1].u.i, 9);
    ck_assert_int_eq(f.v[2].u.i, 15);
    ck_assert_int_eq(f.start[2], 3);
    ck_assert_int_eq(f.end[2], 6);
    win_rec_clear(&r);
    /* collect over a count window: the window's last tuples' values. */
    {
        const char *w[] = { "x", "y", "x", "z", "z", "y" };
        const char *why = NULL;
        gale_datum_t d;

        s.agg = AGG_COLLECT;
        memset(&f, 0, sizeof f);
        win_rec_init(&r);
        for (i = 0; i < 6; i++) {
            d = gale_d_str(w[i], 1);
            ck_assert_int_eq(win_rec_add(&r, &s, 0, &d, GALE_WM_NONE,
                on_fire, &f, &why), 0);
        }
        ck_assert_int_eq(f.n, 3);
        ck_assert_str_eq(f.top[0], "x:1 y:1");
        ck_assert_str_eq(f.top[1], "x:1 y:1 z:1");
        ck_assert_str_eq(f.top[2], "y:1 z:2");
        win_rec_clear(&r);
    }
}
END_TEST

START_TEST(test_aggregates)
{
    win_spec_t s = { .kind = WIN_TUMBLING, .length = 100, .top_n = 2 };
    const char *words[] = { "b", "a", "c", "a", "b", "a" };
    const char *why = NULL;
    gale_datum_t d;
    fired_t f;
    win_rec_t r;
    int i, g;

    for (g = AGG_MIN; g <= AGG_COLLECT; g++) {
        memset(&f, 0, sizeof f);
        s.agg = (enum win_agg)g;
        win_rec_init(&r);
        for (i = 0; i < 6; i++) {
            d = g >= AGG_DISTINCT ? gale_d_str(words[i], 1) :
                i == 5 ? gale_d_double(2.5) : gale_d_int(10 - i);
            ck_assert_int_eq(win_rec_add(&r, &s, i, &d, GALE_WM_NONE, on_fire,
                &f, &why), 0);
        }
        roundtrip(&r);
        win_rec_advance(&r, &s, GALE_WM_END, on_fire, &f);
        ck_assert_int_eq(f.n, 1);
        switch (g) {
        case AGG_MIN: ck_assert_double_eq(f.v[0].u.d, 2.5); break;
        case AGG_MAX: ck_assert_double_eq(f.v[0].u.d, 10); break;
        case AGG_AVG: ck_assert_double_eq_tol(f.v[0].u.d, (10 + 9 + 8 + 7 + 6 + 2.5) / 6, 1e-9); break;
        case AGG_DISTINCT: ck_assert_int_eq(f.v[0].u.i, 3); break;
        case AGG_TOP: ck_assert_str_eq(f.top[0], "a:3 b:2"); break;
        /* Every value, in value order, with how often it came. */
        case AGG_COLLECT: ck_assert_str_eq(f.top[0], "a:3 b:2 c:1"); break;
        }
        win_rec_clear(&r);
    }
    /* A string into a sum: refused with a reason, nothing changed. */
    s.agg = AGG_SUM;
    win_rec_init(&r);
    d = gale_d_str("x", 1);
    ck_assert_int_eq(win_rec_add(&r, &s, 0, &d, GALE_WM_NONE, on_fire, &f, &why), -EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "not a number"));
    ck_assert(win_rec_empty(&r));
    win_rec_clear(&r);
}
END_TEST

START_TEST(test_spec_check)
{
    win_spec_t s = { .kind = WIN_SLIDING, .agg = AGG_COUNT, .length = 10 };
    const char *why = NULL;

    ck_assert_int_eq(win_spec_check(&s, &why), -EINVAL);
    ck_assert_ptr_nonnull(why);
    s.slide = 5;
    ck_assert_int_eq(win_spec_check(&s, &why), 0);
    s.lateness = -1;
    ck_assert_int_eq(win_spec_check(&s, &why), -EINVAL);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("window");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_wm_minimum);
    tcase_add_test(tc, test_wm_idle);
    tcase_add_test(tc, test_wm_stop);
    tcase_add_test(tc, test_wm_floor);
    tcase_add_test(tc, test_tumbling_out_of_order);
    tcase_add_test(tc, test_sliding_and_lateness);
    tcase_add_test(tc, test_sessions_merge);
    tcase_add_test(tc, test_count_windows);
    tcase_add_test(tc, test_aggregates);
    tcase_add_test(tc, test_spec_check);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
