/* check_keyhash.c - the key hash H, its canonical encoding and the
 * key-group mapping. The vectors are the ones docs/wire.md publishes. */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "common/buf.h"
#include "engine/wire/keyhash.h"
#include "engine/wire/valuecodec.h"

static uint64_t
hash_str(const char *s)
{
    gale_datum_t d = gale_d_str(s, strlen(s));

    return gale_keyhash(&d, 1);
}

static uint64_t
hash_one(gale_datum_t d)
{
    return gale_keyhash(&d, 1);
}

/* A LIST or MAP datum over len encoded bytes. */
static gale_datum_t
enc_datum(gale_type_t t, const char *p, size_t len)
{
    gale_datum_t d;

    d.type = t;
    d.u.s.ptr = p;
    d.u.s.len = len;
    return d;
}

START_TEST(test_vectors_bytes)
{
    ck_assert_uint_eq(gale_keyhash_bytes("", 0), 0xe9e0033e3badaf36ULL);
    ck_assert_uint_eq(gale_keyhash_bytes("a", 1), 0xe549fd94c9d2140fULL);
    ck_assert_uint_eq(gale_keyhash_bytes("abcdefgh", 8), 0x1f99e46a4b5042bbULL);
    ck_assert_uint_eq(gale_keyhash_bytes("hello world", 11),
        0x53601cb682858012ULL);
}
END_TEST

START_TEST(test_vectors_values)
{
    gale_datum_t d[2];

    ck_assert_uint_eq(hash_str("the"), 0xecab5ef4467629fdULL);
    ck_assert_uint_eq(hash_str("hello"), 0x383b671b9199ea17ULL);
    ck_assert_uint_eq(hash_str("gale"), 0xb1762d0410a36f29ULL);
    ck_assert_uint_eq(hash_str("exactly-once"), 0x8260014abd678b51ULL);
    ck_assert_int_eq(gale_keygroup(hash_str("the"), 128), 125);
    ck_assert_int_eq(gale_keygroup(hash_str("hello"), 128), 23);
    ck_assert_uint_eq(hash_one(gale_d_int(0)), 0xcfa5b4965b8ab492ULL);
    ck_assert_uint_eq(hash_one(gale_d_int(-1)), 0x156aa529a06ac3dcULL);
    ck_assert_uint_eq(hash_one(gale_d_int(42)), 0x8d99678137616d8dULL);
    ck_assert_uint_eq(hash_one(gale_d_double(1.5)), 0x285b103392b2c96dULL);
    ck_assert_uint_eq(hash_one(gale_d_null()), 0x26ad26da64b3105dULL);
    ck_assert_uint_eq(hash_one(gale_d_bool(true)), 0x835c975e29befe29ULL);
    d[0] = gale_d_str("hello", 5);
    d[1] = gale_d_int(42);
    ck_assert_uint_eq(gale_keyhash(d, 2), 0x4e2073f67e718ab3ULL);
    /* Over no values, H is H of the empty string. */
    ck_assert_uint_eq(gale_keyhash(d, 0), 0xe9e0033e3badaf36ULL);
    /* The key hash is H over the canonical encoding. */
    ck_assert_uint_eq(gale_keyhash(d, 2),
        gale_keyhash_bytes("\x05\x05hello\x03\x54", 9));
}
END_TEST

START_TEST(test_canonical_doubles)
{
    uint64_t nan2 = 0x7ff0000000000123ULL;
    double other_nan;

    memcpy(&other_nan, &nan2, sizeof other_nan);
    ck_assert(isnan(other_nan));
    ck_assert_uint_eq(hash_one(gale_d_double(-0.0)), 0x3b2a0bd077f3c04cULL);
    ck_assert_uint_eq(hash_one(gale_d_double(0.0)), 0x3b2a0bd077f3c04cULL);
    ck_assert_uint_eq(hash_one(gale_d_double(NAN)), 0xc19a3c2b99fc6b27ULL);
    ck_assert_uint_eq(hash_one(gale_d_double(-NAN)), 0xc19a3c2b99fc6b27ULL);
    ck_assert_uint_eq(hash_one(gale_d_double(other_nan)), 0xc19a3c2b99fc6b27ULL);
    /* Inside a list too: [ "x", -0.0 ] and [ "x", 0.0 ]. */
    ck_assert_uint_eq(hash_one(enc_datum(GALE_LIST,
        "\x07\x02\x05\x01x\x04\x00\x00\x00\x00\x00\x00\x00\x80", 14)),
        0x663ba9782b456244ULL);
    ck_assert_uint_eq(hash_one(enc_datum(GALE_LIST,
        "\x07\x02\x05\x01x\x04\x00\x00\x00\x00\x00\x00\x00\x00", 14)),
        0x663ba9782b456244ULL);
    ck_assert_uint_eq(gale_keyhash_bytes(
        "\x07\x02\x05\x01x\x04\x00\x00\x00\x00\x00\x00\x00\x00", 14),
        0x663ba9782b456244ULL);
    /* Types are part of the key: 1 and 1.0 differ, "a" and b"a" differ. */
    ck_assert_uint_ne(hash_one(gale_d_int(1)), hash_one(gale_d_double(1.0)));
    ck_assert_uint_ne(hash_one(gale_d_str("a", 1)),
        hash_one(gale_d_bytes("a", 1)));
}
END_TEST

START_TEST(test_canonical_maps)
{
    gale_value_t *m1 = gale_value_map(), *m2 = gale_value_map(), *inner;
    gale_buf_t s1, s2;
    gale_datum_t d1, d2;

    /* { "b": 1, "a": 2 } and { "a": 2, "b": 1 } */
    ck_assert_uint_eq(hash_one(enc_datum(GALE_MAP,
        "\x08\x02\x01" "b" "\x03\x02\x01" "a" "\x03\x04", 10)),
        0xcd59521f019d5351ULL);
    ck_assert_uint_eq(hash_one(enc_datum(GALE_MAP,
        "\x08\x02\x01" "a" "\x03\x04\x01" "b" "\x03\x02", 10)),
        0xcd59521f019d5351ULL);
    ck_assert_uint_eq(gale_keyhash_bytes(
        "\x08\x02\x01" "a" "\x03\x04\x01" "b" "\x03\x02", 10),
        0xcd59521f019d5351ULL);

    /* Trees built in different orders, nested, with a prefix key and more
     * than 16 entries (the allocating path). */
    gale_buf_init(&s1, 0);
    gale_buf_init(&s2, 0);
    for (int i = 0; i < 20; i++) {
        char k[8];

        snprintf(k, sizeof k, "k%d", i);
        gale_value_map_set(m1, k, gale_value_int(i));
        snprintf(k, sizeof k, "k%d", 19 - i);
        gale_value_map_set(m2, k, gale_value_int(19 - i));
    }
    inner = gale_value_map();
    gale_value_map_set(inner, "ab", gale_value_double(-0.0));
    gale_value_map_set(inner, "a", gale_value_null());
    gale_value_map_set(m1, "inner", inner);
    inner = gale_value_map();
    gale_value_map_set(inner, "a", gale_value_null());
    gale_value_map_set(inner, "ab", gale_value_double(0.0));
    gale_value_map_set(m2, "inner", inner);
    gale_value_to_datum_buf(m1, &s1, &d1);
    gale_value_to_datum_buf(m2, &s2, &d2);
    ck_assert(s1.len == s2.len && memcmp(s1.data, s2.data, s1.len) != 0);
    ck_assert_uint_eq(gale_keyhash(&d1, 1), gale_keyhash(&d2, 1));
    gale_value_destroy(&m1);
    gale_value_destroy(&m2);
    gale_buf_release(&s1);
    gale_buf_release(&s2);
}
END_TEST

START_TEST(test_streaming_matches_bytes)
{
    /* Fields crossing the 64-byte buffer in every way hash as their
     * concatenated encoding does. */
    char big[300];
    gale_datum_t d[40];
    gale_buf_t enc;
    gale_value_t *v;
    size_t n, i;

    memset(big, 'q', sizeof big);
    for (n = 1; n <= 40; n++) {
        gale_buf_init(&enc, 0);
        for (i = 0; i < n; i++) {
            d[i] = gale_d_str(big, (i * 37) % sizeof big);
            v = gale_value_string(big, d[i].u.s.len);
            gale_value_encode(v, &enc);
            gale_value_destroy(&v);
        }
        ck_assert_uint_eq(gale_keyhash(d, n), gale_keyhash_bytes(enc.data,
            enc.len));
        gale_buf_release(&enc);
    }
}
END_TEST

START_TEST(test_short_key_matches_bytes)
{
    /* One string or bytes field shorter than 128 bytes (hashed straight
     * from the datum) hashes as its encoding does, at every length and
     * with every byte value in every position. */
    uint8_t raw[128], enc[130];
    unsigned seed = 7;
    size_t len, i, r;
    int t;

    for (t = 0; t < 2; t++) {
        for (len = 0; len < sizeof raw; len++) {
            for (r = 0; r < 8; r++) {
                gale_datum_t d;

                for (i = 0; i < len; i++) {
                    seed = seed * 1103515245u + 12345u;
                    raw[i] = (uint8_t)(r == 0 ? 0xff : seed >> 16);
                }
                enc[0] = t == 0 ? 5 : 6;        /* STRING, BYTES tags */
                enc[1] = (uint8_t)len;
                memcpy(enc + 2, raw, len);
                d = t == 0 ? gale_d_str((const char *)raw, len) :
                    gale_d_bytes(raw, len);
                ck_assert_msg(gale_keyhash(&d, 1) ==
                    gale_keyhash_bytes(enc, len + 2), "type %d, len %zu", t,
                    len);
            }
        }
    }
}
END_TEST

START_TEST(test_malformed_datum_hashes)
{
    /* Bad LIST bytes still hash, as 0xFF then the raw bytes. */
    ck_assert_uint_eq(hash_one(enc_datum(GALE_LIST, "\x07\x05", 2)),
        gale_keyhash_bytes("\xff\x07\x05", 3));
}
END_TEST

START_TEST(test_mapping_properties)
{
    static const int maxps[] = { 1, 2, 7, 128, 1000, 32768 };
    static const int tasks[] = { 1, 2, 3, 5, 7, 64, 128 };
    int mi, ti, kg, i, first, last, next;

    for (mi = 0; mi < 6; mi++) {
        for (ti = 0; ti < 7; ti++) {
            int m = maxps[mi], t = tasks[ti];

            if (t > m)
                continue;
            next = 0;
            for (i = 0; i < t; i++) {
                gale_keygroup_range(i, t, m, &first, &last);
                /* Contiguous, in order, never empty with t <= m. */
                ck_assert_int_eq(first, next);
                ck_assert_int_le(first, last);
                for (kg = first; kg <= last; kg++)
                    ck_assert_int_eq(gale_keygroup_task(kg, t, m), i);
                next = last + 1;
            }
            ck_assert_int_eq(next, m);
        }
    }
    gale_keygroup_range(0, 3, 128, &first, &last);
    ck_assert(first == 0 && last == 42);
    gale_keygroup_range(1, 3, 128, &first, &last);
    ck_assert(first == 43 && last == 85);
    gale_keygroup_range(2, 3, 128, &first, &last);
    ck_assert(first == 86 && last == 127);
    ck_assert_int_eq(gale_keygroup(UINT64_MAX, 128), 127);
    ck_assert_int_eq(gale_keygroup(0x8000000000000000ULL, 1000), 808);
}
END_TEST

START_TEST(test_spread)
{
    int counts[128] = { 0 }, i, j, len, min = 1 << 30, max = 0;
    uint32_t x = 12345;
    char w[16];

    /* 10,000 distinct pseudo-words of 3..10 letters; the index makes them
     * distinct. */
    for (i = 0; i < 10000; i++) {
        x = x * 1103515245u + 12345u;
        len = 3 + (int)((x >> 16) % 5);
        for (j = 0; j < len; j++) {
            x = x * 1103515245u + 12345u;
            w[j] = (char)('a' + (x >> 16) % 26);
        }
        len += snprintf(w + len, sizeof w - (size_t)len, "%d", i % 1000);
        (void)len;
        counts[gale_keygroup(hash_str(w), 128)]++;
    }
    for (i = 0; i < 128; i++) {
        if (counts[i] < min)
            min = counts[i];
        if (counts[i] > max)
            max = counts[i];
    }
    ck_assert_int_gt(min, 0);
    ck_assert_int_le(max, 3 * 10000 / 128);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("keyhash");
    TCase *tc = tcase_create("core");
    SRunner *sr = srunner_create(s);
    int failed;

    tcase_add_test(tc, test_vectors_bytes);
    tcase_add_test(tc, test_vectors_values);
    tcase_add_test(tc, test_canonical_doubles);
    tcase_add_test(tc, test_canonical_maps);
    tcase_add_test(tc, test_streaming_matches_bytes);
    tcase_add_test(tc, test_short_key_matches_bytes);
    tcase_add_test(tc, test_malformed_datum_hashes);
    tcase_add_test(tc, test_mapping_properties);
    tcase_add_test(tc, test_spread);
    suite_add_tcase(s, tc);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
