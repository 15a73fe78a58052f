/* check_metrics.c - the metrics registry, its histograms and the
 * Prometheus text they are written as (engine/metrics/). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/metrics/chanreport.h"
#include "engine/metrics/histogram.h"
#include "engine/metrics/prommerge.h"
#include "engine/transport/chanstat.h"
#include "engine/metrics/promtext.h"
#include "engine/metrics/registry.h"
#include "engine/metrics/userstats.h"

START_TEST(test_hist_buckets_tile_the_line)
{
    uint64_t v;
    int i;

    /* Every bucket starts where the one before ends, and each value
     * lands in the bucket whose range holds it. */
    for (i = 1; i < GALE_HIST_BUCKETS; i++)
        ck_assert_uint_eq(gale_hist_lower(i), gale_hist_upper(i - 1));
    for (v = 0; v < 5000; v++) {
        i = gale_hist_bucket(v);
        ck_assert_uint_le(gale_hist_lower(i), v);
        ck_assert_uint_gt(gale_hist_upper(i), v);
    }
    ck_assert_int_eq(gale_hist_bucket(3), 3);
    ck_assert_int_eq(gale_hist_bucket(4), 4);
    ck_assert_int_eq(gale_hist_bucket(1ULL << 20), 4 * 19);
    ck_assert_int_eq(gale_hist_bucket(UINT64_MAX), GALE_HIST_BUCKETS - 1);
    ck_assert_uint_eq(gale_hist_upper(GALE_HIST_BUCKETS - 1), UINT64_MAX);
}
END_TEST

START_TEST(test_hist_quantiles_within_bucket_error)
{
    gale_hist_t h;
    double p50, p99;
    uint64_t v;

    memset(&h, 0, sizeof h);
    ck_assert(gale_hist_quantile(&h, 0.5) == 0);
    /* 1..100000: the true p50 is 50000, p99 99000. */
    for (v = 1; v <= 100000; v++)
        gale_hist_record_n(&h, v, 1);
    ck_assert_uint_eq(h.count, 100000);
    ck_assert_uint_eq(h.sum, 100000ULL * 100001 / 2);
    p50 = gale_hist_quantile(&h, 0.5);
    p99 = gale_hist_quantile(&h, 0.99);
    ck_assert_msg(fabs(p50 - 50000) / 50000 < 0.19, "p50 %f", p50);
    ck_assert_msg(fabs(p99 - 99000) / 99000 < 0.19, "p99 %f", p99);
    ck_assert(gale_hist_quantile(&h, 0) <= gale_hist_quantile(&h, 0.5));
    ck_assert(p99 <= gale_hist_quantile(&h, 1.0));
}
END_TEST

START_TEST(test_hist_weighted_and_merged)
{
    gale_hist_t a, b;

    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    gale_hist_record_n(&a, 1000, 99);       /* a batch of 99 at 1 us */
    gale_hist_record_n(&b, 1000000, 1);     /* one at 1 ms */
    gale_hist_merge(&a, &b);
    ck_assert_uint_eq(a.count, 100);
    ck_assert_uint_eq(a.sum, 99 * 1000 + 1000000);
    /* p50 is in 1000's bucket, the max in 1 ms's. */
    ck_assert(gale_hist_quantile(&a, 0.5) >= gale_hist_lower(
        gale_hist_bucket(1000)));
    ck_assert(gale_hist_quantile(&a, 0.5) < gale_hist_upper(
        gale_hist_bucket(1000)));
    ck_assert(gale_hist_quantile(&a, 1.0) >= 1000000 * 0.81);
    ck_assert_uint_eq(gale_hist_count_below(&a, 1024), 99);
    ck_assert_uint_eq(gale_hist_count_below(&a, 1 << 20), 100);
    ck_assert_uint_eq(gale_hist_count_below(&a, 512), 0);
}
END_TEST

START_TEST(test_hist_codec_round_trip_and_rejects)
{
    uint8_t buf[GALE_HIST_ENCODED_MAX];
    gale_hist_t h, d;
    size_t len;

    memset(&h, 0, sizeof h);
    gale_hist_record_n(&h, 7, 3);
    gale_hist_record_n(&h, 123456789, 2);
    gale_hist_record_n(&h, UINT64_MAX / 4, 1);
    len = gale_hist_encode(&h, buf);
    ck_assert_uint_eq(len, 17 + 3 * 9);
    ck_assert_int_eq(gale_hist_decode(buf, len, &d), (int)len);
    ck_assert_mem_eq(&h, &d, sizeof h);
    /* Short, counts that do not add up, buckets out of order. */
    ck_assert_int_eq(gale_hist_decode(buf, len - 1, &d), -EMSGSIZE);
    ck_assert_int_eq(gale_hist_decode(buf, 10, &d), -EMSGSIZE);
    buf[0] ^= 1;
    ck_assert_int_eq(gale_hist_decode(buf, len, &d), -EINVAL);
    ck_assert_uint_eq(d.count, 0);
    buf[0] ^= 1;
    buf[17 + 9] = buf[17];
    ck_assert_int_eq(gale_hist_decode(buf, len, &d), -EINVAL);
    buf[17 + 9] = GALE_HIST_BUCKETS;
    ck_assert_int_eq(gale_hist_decode(buf, len, &d), -EINVAL);
    /* An empty bucket listed: never written, so refused. */
    len = gale_hist_encode(&h, buf);
    memset(buf + 17 + 1, 0, 8);
    buf[0] -= 3;                    /* count still adds up */
    ck_assert_int_eq(gale_hist_decode(buf, len, &d), -EINVAL);
}
END_TEST

static int part_seen;
static uint64_t part_sum;

static void
on_part(void *arg, int32_t task, const gale_hist_t *h)
{
    (void)arg;
    part_seen++;
    part_sum += (uint64_t)task * 1000 + h->count;
}

START_TEST(test_hist_part_round_trip)
{
    uint8_t buf[GALE_HIST_PART_MAX(2)];
    gale_hist_t a, b;
    const gale_hist_t *hs[2] = { &a, &b };
    int32_t ids[2] = { 3, 7 };
    size_t len;

    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    gale_hist_record_n(&a, 500, 2);
    len = gale_hist_part_encode(ids, hs, 2, buf);
    ck_assert_uint_eq(len, 1 + 4 + 17 + 9 + 4 + 17);
    part_seen = 0;
    part_sum = 0;
    ck_assert_int_eq(gale_hist_part_decode(buf, len, on_part, NULL), 0);
    ck_assert_int_eq(part_seen, 2);
    ck_assert_uint_eq(part_sum, 3002 + 7000);
    ck_assert_int_eq(gale_hist_part_decode(buf, len - 1, on_part, NULL),
        -EMSGSIZE);
    buf[0] = 2;
    ck_assert_int_eq(gale_hist_part_decode(buf, len, on_part, NULL), -EPROTO);
    ck_assert_int_eq(gale_hist_part_decode(buf, 0, on_part, NULL), -EMSGSIZE);
}
END_TEST

static char user_seen[512];

static void
on_user(void *arg, int32_t task, const char *name, int64_t value)
{
    size_t n = strlen(user_seen);

    (void)arg;
    snprintf(user_seen + n, sizeof user_seen - n, "%d:%s=%lld;", task, name,
        (long long)value);
}

START_TEST(test_userstats_round_trip_and_rejects)
{
    char longname[300];
    gale_buf_t b;

    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    gale_buf_init(&b, 0);
    gale_userstats_begin(&b);
    gale_userstats_add(&b, 3, "late", 7);
    gale_userstats_add(&b, 3, "", 9);               /* left out */
    gale_userstats_add(&b, 4, "windows_fired", -2);
    gale_userstats_add(&b, 4, longname, 1);         /* cut to 100 */
    user_seen[0] = '\0';
    ck_assert_int_eq(gale_userstats_decode(b.data, b.len, on_user, NULL), 0);
    ck_assert_uint_eq(strlen(user_seen), strlen("3:late=7;4:windows_fired=-2;")
        + 2 + GALE_USERSTATS_NAME_MAX + 3);
    ck_assert_int_eq(strncmp(user_seen, "3:late=7;4:windows_fired=-2;4:xxx",
        33), 0);
    /* Cut short, bad version, empty, a NUL in a name, a zero length. */
    ck_assert_int_eq(gale_userstats_decode(b.data, b.len - 1, on_user, NULL),
        -EMSGSIZE);
    ck_assert_int_eq(gale_userstats_decode(b.data, 0, on_user, NULL),
        -EMSGSIZE);
    b.data[0] = 2;
    ck_assert_int_eq(gale_userstats_decode(b.data, b.len, on_user, NULL),
        -EPROTO);
    b.data[0] = 1;
    b.data[1 + 5 + 1] = '\0';                      /* "l\0te" */
    ck_assert_int_eq(gale_userstats_decode(b.data, b.len, on_user, NULL),
        -EINVAL);
    b.data[1 + 4] = 0;
    ck_assert_int_eq(gale_userstats_decode(b.data, b.len, on_user, NULL),
        -EINVAL);
    /* Only the version byte: no counters. */
    gale_userstats_begin(&b);
    user_seen[0] = '\0';
    ck_assert_int_eq(gale_userstats_decode(b.data, b.len, on_user, NULL), 0);
    ck_assert_str_eq(user_seen, "");
    gale_buf_release(&b);
}
END_TEST

static gale_chanreport_t chans_seen[4];
static int nchans_seen;

static void
on_chan(void *arg, const gale_chanreport_t *e)
{
    (void)arg;
    if (nchans_seen < 4)
        chans_seen[nchans_seen] = *e;
    nchans_seen++;
}

START_TEST(test_chanreport_round_trip_and_rejects)
{
    gale_chanreport_t a = { .channel = 7, .side = GALE_CHAN_IN, .frames = 4,
        .tuples = 256, .window = 5, .through_frames = 1ull << 40,
        .through_tuples = 99 };
    gale_chanreport_t b2 = { .channel = 0x12345678, .side = GALE_CHAN_OUT,
        .frames = 0, .tuples = 0xffffffffffull, .window = 17 };
    gale_buf_t b;

    gale_buf_init(&b, 8);
    gale_chanreport_begin(&b);
    gale_chanreport_add(&b, &a);
    gale_chanreport_add(&b, &b2);
    ck_assert_uint_eq(b.len, 1 + 2 * GALE_CHANREPORT_ENTRY);
    nchans_seen = 0;
    ck_assert_int_eq(gale_chanreport_decode(b.data, b.len, on_chan, NULL), 0);
    ck_assert_int_eq(nchans_seen, 2);
    ck_assert_int_eq(chans_seen[0].channel, 7);
    ck_assert_uint_eq(chans_seen[0].tuples, 256);
    ck_assert_uint_eq(chans_seen[0].window, 5);
    ck_assert_int_eq(chans_seen[1].channel, 0x12345678);
    ck_assert_uint_eq(chans_seen[1].side, GALE_CHAN_OUT);
    ck_assert_uint_eq(chans_seen[1].tuples, 0xffffffffffull);
    ck_assert(chans_seen[0].has_through);
    ck_assert_uint_eq(chans_seen[0].through_frames, 1ull << 40);
    ck_assert_uint_eq(chans_seen[0].through_tuples, 99);
    ck_assert_uint_eq(chans_seen[1].through_frames, 0);
    /* Cut short, empty, bad version, bad side: nothing passed on. */
    nchans_seen = 0;
    ck_assert_int_eq(gale_chanreport_decode(b.data, b.len - 1, on_chan, NULL),
        -EMSGSIZE);
    ck_assert_int_eq(gale_chanreport_decode(b.data, 0, on_chan, NULL),
        -EMSGSIZE);
    b.data[1 + GALE_CHANREPORT_ENTRY + 4] = 2;
    ck_assert_int_eq(gale_chanreport_decode(b.data, b.len, on_chan, NULL),
        -EINVAL);
    b.data[0] = 3;
    ck_assert_int_eq(gale_chanreport_decode(b.data, b.len, on_chan, NULL),
        -EPROTO);
    ck_assert_int_eq(nchans_seen, 0);
    /* Version 1 (an older executor): 21-byte entries, no totals. A
     * version-2 length is not a whole number of them. */
    ck_assert_int_eq(gale_chanreport_decode(b.data, 1 + GALE_CHANREPORT_ENTRY,
        on_chan, NULL), -EPROTO);
    b.data[0] = 1;
    ck_assert_int_eq(gale_chanreport_decode(b.data, 1 + GALE_CHANREPORT_ENTRY,
        on_chan, NULL), -EMSGSIZE);
    b.data[1 + 4] = GALE_CHAN_IN;
    ck_assert_int_eq(gale_chanreport_decode(b.data,
        1 + GALE_CHANREPORT_ENTRY_V1, on_chan, NULL), 0);
    ck_assert_int_eq(nchans_seen, 1);
    ck_assert_int_eq(chans_seen[0].channel, 7);
    ck_assert_uint_eq(chans_seen[0].window, 5);
    ck_assert(!chans_seen[0].has_through);
    nchans_seen = 0;
    /* Version byte only: no channels. */
    gale_chanreport_begin(&b);
    ck_assert_int_eq(gale_chanreport_decode(b.data, b.len, on_chan, NULL), 0);
    ck_assert_int_eq(nchans_seen, 0);
    gale_buf_release(&b);
}
END_TEST

START_TEST(test_chanstat_counts)
{
    gale_chanstat_t *cs = gale_chanstat_new(3);
    gale_chanstat_read_t r;

    gale_chanstat_sent(cs, 1, 5, 300);
    gale_chanstat_recv(cs, 1, 2, 100);
    gale_chanstat_sent(cs, 3, 1, 1);            /* outside: ignored */
    gale_chanstat_sent(NULL, 1, 1, 1);          /* no table: ignored */
    ck_assert_int_eq(gale_chanstat_get(cs, 1, &r), 0);
    ck_assert_uint_eq(r.sent_frames - r.recv_frames, 3);
    ck_assert_uint_eq(r.sent_tuples - r.recv_tuples, 200);
    ck_assert_int_eq(gale_chanstat_get(cs, 0, &r), 0);
    ck_assert_uint_eq(r.sent_frames, 0);
    ck_assert_int_eq(gale_chanstat_get(cs, 3, &r), -ERANGE);
    ck_assert_int_eq(gale_chanstat_get(cs, -1, &r), -ERANGE);
    gale_chanstat_destroy(&cs);
    ck_assert_ptr_null(cs);
    gale_chanstat_destroy(&cs);
}
END_TEST

START_TEST(test_prommerge_groups_families)
{
    static const char a[] =
        "# HELP gale_up 1 while up\n"
        "# TYPE gale_up gauge\n"
        "gale_up{topology=\"a\"} 1\n"
        "# HELP gale_lat_seconds latency\n"
        "# TYPE gale_lat_seconds histogram\n"
        "gale_lat_seconds_bucket{topology=\"a\",le=\"+Inf\"} 3\n"
        "gale_lat_seconds_sum{topology=\"a\"} 0.5\n"
        "gale_lat_seconds_count{topology=\"a\"} 3\n";
    static const char b[] =
        "# HELP gale_up another help, ignored\n"
        "# TYPE gale_up gauge\n"
        "gale_up{topology=\"b\"} 1\n"
        "not a sample\n"
        "# HELP gale_new_total new\n"
        "# TYPE gale_new_total counter\n"
        "gale_new_total{topology=\"b\"} 7";     /* no final newline */
    static const char want[] =
        "# HELP gale_up 1 while up\n"
        "# TYPE gale_up gauge\n"
        "gale_up{topology=\"a\"} 1\n"
        "gale_up{topology=\"b\"} 1\n"
        "# HELP gale_lat_seconds latency\n"
        "# TYPE gale_lat_seconds histogram\n"
        "gale_lat_seconds_bucket{topology=\"a\",le=\"+Inf\"} 3\n"
        "gale_lat_seconds_sum{topology=\"a\"} 0.5\n"
        "gale_lat_seconds_count{topology=\"a\"} 3\n"
        "# HELP gale_new_total new\n"
        "# TYPE gale_new_total counter\n"
        "gale_new_total{topology=\"b\"} 7\n";
    gale_prommerge_t *m = gale_prommerge_new();
    size_t len;
    char *out;

    ck_assert_uint_eq(gale_prommerge_add(m, a, strlen(a)), 0);
    ck_assert_uint_eq(gale_prommerge_add(m, b, strlen(b)), 1);
    out = gale_prommerge_write(m, &len);
    ck_assert_str_eq(out, want);
    ck_assert_uint_eq(len, strlen(want));
    free(out);
    gale_prommerge_destroy(&m);
    ck_assert_ptr_null(m);
    gale_prommerge_destroy(&m);
}
END_TEST

START_TEST(test_registry_merges_series)
{
    gale_registry_t *r = gale_registry_new();
    const char *const t1[] = { "component", "count", "task", "3", NULL };
    const char *const t2[] = { "component", "count", "task", "4", NULL };
    const char *const c[] = { "component", "count", NULL };
    double v;
    int f, g;

    f = gale_registry_family(r, "gale_task_executed_total",
        GALE_METRIC_COUNTER, "tuples");
    ck_assert_int_ge(f, 0);
    ck_assert_int_eq(gale_registry_family(r, "gale_task_executed_total",
        GALE_METRIC_COUNTER, "again"), f);
    ck_assert_int_eq(gale_registry_family(r, "gale_task_executed_total",
        GALE_METRIC_GAUGE, ""), -EEXIST);
    ck_assert_int_eq(gale_registry_family(r, "9lives", GALE_METRIC_GAUGE,
        ""), -EINVAL);
    ck_assert_int_eq(gale_registry_family(r, "a-b", GALE_METRIC_GAUGE,
        ""), -EINVAL);
    g = gale_registry_family(r, "gale_component_executed_total",
        GALE_METRIC_COUNTER, "");
    ck_assert_int_eq(gale_registry_add(r, f, t1, 5), 0);
    ck_assert_int_eq(gale_registry_add(r, f, t2, 7), 0);
    ck_assert_int_eq(gale_registry_add(r, f, t1, 1), 0);
    ck_assert_int_eq(gale_registry_add(r, g, c, 5), 0);
    ck_assert_int_eq(gale_registry_add(r, g, c, 7), 0);
    ck_assert_uint_eq(gale_registry_nseries(r, f), 2);
    ck_assert_int_eq(gale_registry_get(r, "gale_task_executed_total", t1,
        &v), 0);
    ck_assert(v == 6);
    ck_assert_int_eq(gale_registry_get(r, "gale_component_executed_total",
        c, &v), 0);
    ck_assert(v == 12);
    ck_assert_int_eq(gale_registry_get(r, "gale_component_executed_total",
        t1, &v), -ENOENT);
    /* A counter does not go down; a gauge is not observed; bad labels. */
    ck_assert_int_eq(gale_registry_add(r, f, t1, -1), -EINVAL);
    ck_assert_int_eq(gale_registry_set(r, f, t1, 3), -EINVAL);
    {
        const char *const bad[] = { "__name__", "x", NULL };
        const char *const bad2[] = { "1x", "x", NULL };

        ck_assert_int_eq(gale_registry_add(r, f, bad, 1), -EINVAL);
        ck_assert_int_eq(gale_registry_add(r, f, bad2, 1), -EINVAL);
    }
    ck_assert_int_eq(gale_registry_add(r, 99, t1, 1), -EINVAL);
    gale_registry_destroy(&r);
    ck_assert_ptr_null(r);
    gale_registry_destroy(&r);
}
END_TEST

START_TEST(test_registry_many_series)
{
    gale_registry_t *r = gale_registry_new();
    char task[16];
    double v;
    int f, i, round;

    /* 5000 series, each added to three times: the index grows (and is
     * rebuilt) many times over and every series stays one. */
    f = gale_registry_family(r, "gale_t_total", GALE_METRIC_COUNTER, "");
    for (round = 1; round <= 3; round++)
        for (i = 0; i < 5000; i++) {
            snprintf(task, sizeof task, "%d", i);
            const char *const l[] = { "component", i % 2 ? "a" : "b",
                "task", task, NULL };

            ck_assert_int_eq(gale_registry_add(r, f, l, i), 0);
        }
    ck_assert_uint_eq(gale_registry_nseries(r, f), 5000);
    for (i = 0; i < 5000; i += 499) {
        snprintf(task, sizeof task, "%d", i);
        const char *const l[] = { "component", i % 2 ? "a" : "b", "task",
            task, NULL };

        ck_assert_int_eq(gale_registry_get(r, "gale_t_total", l, &v), 0);
        ck_assert(v == 3.0 * i);
    }
    {
        /* Same values, other label order or names: other series. */
        const char *const l[] = { "task", "7", "component", "a", NULL };

        ck_assert_int_eq(gale_registry_add(r, f, l, 1), 0);
        ck_assert_uint_eq(gale_registry_nseries(r, f), 5001);
    }
    gale_registry_destroy(&r);
}
END_TEST

START_TEST(test_promtext_format)
{
    gale_registry_t *r = gale_registry_new();
    const char *const l[] = { "topology", "w\"c\\\n", NULL };
    gale_hist_t h;
    char *text;
    size_t len;
    int f, g, k;

    f = gale_registry_family(r, "gale_up", GALE_METRIC_GAUGE,
        "1 while running\\ok");
    g = gale_registry_family(r, "gale_lat_seconds", GALE_METRIC_HISTOGRAM,
        "latency");
    k = gale_registry_family(r, "gale_n_total", GALE_METRIC_COUNTER, "n");
    ck_assert_int_eq(gale_registry_set(r, f, NULL, 1), 0);
    ck_assert_int_eq(gale_registry_add(r, k, l, 200000), 0);
    memset(&h, 0, sizeof h);
    gale_hist_record_n(&h, 1000, 4);        /* 1 us */
    gale_hist_record_n(&h, 3000000, 1);     /* 3 ms */
    ck_assert_int_eq(gale_registry_observe(r, g, l, &h), 0);
    ck_assert_int_eq(gale_registry_observe(r, f, l, &h), -EINVAL);
    text = gale_promtext_write(r, 1e-9, &len);
    ck_assert_uint_eq(len, strlen(text));
    ck_assert_ptr_nonnull(strstr(text, "# HELP gale_up 1 while running"
        "\\\\ok\n# TYPE gale_up gauge\ngale_up 1\n"));
    ck_assert_ptr_nonnull(strstr(text, "# TYPE gale_n_total counter\n"
        "gale_n_total{topology=\"w\\\"c\\\\\\n\"} 200000\n"));
    ck_assert_ptr_nonnull(strstr(text, "# TYPE gale_lat_seconds histogram\n"));
    /* 2^10 ns: the four at 1 us; 2^22 ns (4.19 ms): all five. */
    ck_assert_ptr_nonnull(strstr(text, "gale_lat_seconds_bucket{topology="
        "\"w\\\"c\\\\\\n\",le=\"1.024e-06\"} 4\n"));
    ck_assert_ptr_nonnull(strstr(text, "le=\"5.12e-07\"} 0\n"));
    ck_assert_ptr_nonnull(strstr(text, "le=\"0.002097152\"} 4\n"));
    ck_assert_ptr_nonnull(strstr(text, "le=\"0.004194304\"} 5\n"));
    ck_assert_ptr_nonnull(strstr(text, "le=\"+Inf\"} 5\n"));
    ck_assert_ptr_nonnull(strstr(text, "gale_lat_seconds_sum{topology="
        "\"w\\\"c\\\\\\n\"} 0.003004\n"));
    ck_assert_ptr_nonnull(strstr(text, "gale_lat_seconds_count{topology="
        "\"w\\\"c\\\\\\n\"} 5\n"));
    free(text);
    gale_registry_destroy(&r);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("core");
    SRunner *sr = srunner_create(s);
    int failed;

    tcase_add_test(tc, test_hist_buckets_tile_the_line);
    tcase_add_test(tc, test_hist_quantiles_within_bucket_error);
    tcase_add_test(tc, test_hist_weighted_and_merged);
    tcase_add_test(tc, test_hist_codec_round_trip_and_rejects);
    tcase_add_test(tc, test_hist_part_round_trip);
    tcase_add_test(tc, test_userstats_round_trip_and_rejects);
    tcase_add_test(tc, test_chanreport_round_trip_and_rejects);
    tcase_add_test(tc, test_chanstat_counts);
    tcase_add_test(tc, test_prommerge_groups_families);
    tcase_add_test(tc, test_registry_merges_series);
    tcase_add_test(tc, test_registry_many_series);
    tcase_add_test(tc, test_promtext_format);
    suite_add_tcase(s, tc);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
