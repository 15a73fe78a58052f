/* check_kvstate.c - keyed and operator state in memory, and its spill to
 * LevelDB under a memory cap (engine/kvstate). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <leveldb/c.h>

#include "engine/state/kvstate.h"

static gale_kvstore_t *st;

static void
setup(void)
{
    /* A task owning key groups 2..9 of 16. */
    st = gale_kvstore_new(16, 2, 9);
    ck_assert_ptr_nonnull(st);
}

static void
teardown(void)
{
    gale_kvstore_destroy(&st);
    ck_assert_ptr_null(st);
}

/* ---- helpers --------------------------------------------------------- */

static int
put_s(gale_kv_t *kv, const char *k, const char *v)
{
    return gale_kv_put(kv, k, strlen(k), v, strlen(v));
}

/* The value of k as a new string, or NULL if absent (asserts on errors
 * other than -ENOENT). */
static char *
get_s(gale_kv_t *kv, const char *k)
{
    const void *v;
    size_t n;
    char *s;
    int rc = gale_kv_get(kv, k, strlen(k), &v, &n);

    if (rc == -ENOENT)
        return NULL;
    ck_assert_int_eq(rc, 0);
    s = malloc(n + 1);
    memcpy(s, v, n);
    s[n] = '\0';
    return s;
}

static void
assert_val(gale_kv_t *kv, const char *k, const char *want)
{
    char *got = get_s(kv, k);

    if (want == NULL)
        ck_assert_msg(got == NULL, "%s: expected absent, got \"%s\"", k, got);
    else {
        ck_assert_msg(got != NULL, "%s: expected \"%s\", got absent", k, want);
        ck_assert_str_eq(got, want);
    }
    free(got);
}

static int64_t
ld64(const void *p)
{
    const unsigned char *b = p;
    uint64_t v = 0;
    int i;

    for (i = 7; i >= 0; i--)
        v = v << 8 | b[i];
    return (int64_t)v;
}

/* Collects what iterate or take_dirty reports, as "kg/name/key=val" lines
 * (val "-" for a deletion, "#n" for an 8-byte counter), sorted, joined by
 * spaces. */
struct seen {
    char **lines;
    size_t n, cap;
};

static void
seen_add(struct seen *s, int kg, const char *name, const void *key,
    size_t klen, const void *val, size_t vlen)
{
    char *line;
    int len;

    if (s->n == s->cap) {
        s->cap = s->cap == 0 ? 16 : s->cap * 2;
        s->lines = realloc(s->lines, s->cap * sizeof *s->lines);
    }
    if (val == NULL)
        len = asprintf(&line, "%d/%s/%.*s=-", kg, name, (int)klen,
            (const char *)key);
    else if (vlen == 8 && memchr(val, 0, vlen) != NULL)
        len = asprintf(&line, "%d/%s/%.*s=#%lld", kg, name, (int)klen,
            (const char *)key, (long long)ld64(val));
    else
        len = asprintf(&line, "%d/%s/%.*s=%.*s", kg, name, (int)klen,
            (const char *)key, (int)vlen, (const char *)val);
    ck_assert_int_ge(len, 0);
    s->lines[s->n++] = line;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted and joined; frees the lines. Caller frees the result. */
static char *
seen_join(struct seen *s)
{
    size_t i, len = 1;
    char *out;

    if (s->n > 0)
        qsort(s->lines, s->n, sizeof *s->lines, cmp_str);
    for (i = 0; i < s->n; i++)
        len += strlen(s->lines[i]) + 1;
    out = calloc(1, len);
    for (i = 0; i < s->n; i++) {
        if (i > 0)
            strcat(out, " ");
        strcat(out, s->lines[i]);
        free(s->lines[i]);
    }
    free(s->lines);
    memset(s, 0, sizeof *s);
    return out;
}

static int
dirty_cb(void *arg, int kg, const char *name, const void *key, size_t klen,
    const void *val, size_t vlen)
{
    seen_add(arg, kg, name, key, klen, val, vlen);
    return 0;
}

/* take_dirty's report as a sorted string; caller frees. */
static char *
take(void)
{
    struct seen s = { 0 };

    ck_assert_int_eq(gale_kvstore_take_dirty(st, dirty_cb, &s), 0);
    return seen_join(&s);
}

static void
assert_take(const char *want)
{
    char *got = take();

    ck_assert_str_eq(got, want);
    free(got);
}

static int
iter_cb(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
    seen_add(arg, 0, "", key, klen, val, vlen);
    return 0;
}

static void
assert_iter(gale_kv_t *kv, const char *want)
{
    struct seen s = { 0 };
    char *got;

    ck_assert_int_eq(gale_kv_iterate(kv, iter_cb, &s), 0);
    got = seen_join(&s);
    ck_assert_str_eq(got, want);
    free(got);
}

/* ---- get, put, delete ------------------------------------------------ */

START_TEST(test_get_missing_is_enoent)
{
    gale_kv_t *kv = gale_kvstore_keyed(st, "counts");
    const void *v = (const void *)0x1;
    size_t n = 77;

    gale_kvstore_set_keygroup(st, 3);
    ck_assert_int_eq(gale_kv_get(kv, "a", 1, &v, &n), -ENOENT);
    ck_assert_ptr_eq(v, (const void *)0x1);
    ck_assert_uint_eq(n, 77);
    ck_assert_int_eq(put_s(kv, "b", "x"), 0);
    ck_assert_int_eq(gale_kv_get(kv, "a", 1, &v, &n), -ENOENT);
}
END_TEST

START_TEST(test_put_get_replace)
{
    gale_kv_t *kv = gale_kvstore_keyed(st, "m");

    gale_kvstore_set_keygroup(st, 2);
    ck_assert_int_eq(put_s(kv, "apple", "red"), 0);
    ck_assert_int_eq(put_s(kv, "banana", "yellow"), 0);
    assert_val(kv, "apple", "red");
    assert_val(kv, "banana", "yellow");
    /* Replacing with longer and shorter values, across the inline limit. */
    ck_assert_int_eq(put_s(kv, "apple",
        "a much longer value that no longer fits inline in the entry"), 0);
    assert_val(kv, "apple",
        "a much longer value that no longer fits inline in the entry");
    ck_assert_int_eq(put_s(kv, "apple", "green"), 0);
    assert_val(kv, "apple", "green");
    assert_val(kv, "banana", "yellow");
    /* Keys that differ only in length or in one byte. */
    ck_assert_int_eq(put_s(kv, "appl", "1"), 0);
    ck_assert_int_eq(put_s(kv, "applf", "2"), 0);
    assert_val(kv, "apple", "green");
    assert_val(kv, "appl", "1");
    assert_val(kv, "applf", "2");
}
END_TEST

START_TEST(test_delete)
{
    gale_kv_t *kv = gale_kvstore_keyed(st, "m");

    gale_kvstore_set_keygroup(st, 5);
    ck_assert_int_eq(gale_kv_delete(kv, "nothing", 7), 0);
    ck_assert_int_eq(put_s(kv, "a", "1"), 0);
    ck_assert_int_eq(put_s(kv, "b", "2"), 0);
    ck_assert_int_eq(gale_kv_delete(kv, "a", 1), 0);
    assert_val(kv, "a", NULL);
    assert_val(kv, "b", "2");
    ck_assert_int_eq(gale_kv_delete(kv, "a", 1), 0);
    assert_iter(kv, "0//b=2");
    /* A deleted key comes back with a put. */
    ck_assert_int_eq(put_s(kv, "a", "3"), 0);
    assert_val(kv, "a", "3");
    assert_iter(kv, "0//a=3 0//b=2");
}
END_TEST

START_TEST(test_binary_and_empty_keys)
{
    gale_kv_t *kv = gale_kvstore_operator(st, "bin");
    const unsigned char k1[] = { 0, 1, 0, 2 }, k2[] = { 0, 1, 0, 3 };
    const void *v;
    size_t n;

    ck_assert_int_eq(gale_kv_put(kv, k1, sizeof k1, "x", 1), 0);
    ck_assert_int_eq(gale_kv_put(kv, k2, sizeof k2, "y", 1), 0);
    ck_assert_int_eq(gale_kv_put(kv, "", 0, "empty", 5), 0);
    ck_assert_int_eq(gale_kv_get(kv, k1, sizeof k1, &v, &n), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(memcmp(v, "x", 1), 0);
    ck_assert_int_eq(gale_kv_get(kv, k2, sizeof k2, &v, &n), 0);
    ck_assert_int_eq(memcmp(v, "y", 1), 0);
    ck_assert_int_eq(gale_kv_get(kv, NULL, 0, &v, &n), 0);
    ck_assert_uint_eq(n, 5);
    ck_assert_int_eq(memcmp(v, "empty", 5), 0);
    ck_assert_int_eq(gale_kv_delete(kv, "", 0), 0);
    ck_assert_int_eq(gale_kv_get(kv, "", 0, &v, &n), -ENOENT);
}
END_TEST

/* ---- add_i64 --------------------------------------------------------- */

START_TEST(test_add_i64)
{
    gale_kv_t *kv = gale_kvstore_keyed(st, "counts");
    const void *v;
    size_t n;
    int64_t out = 0;

    gale_kvstore_set_keygroup(st, 4);
    ck_assert_int_eq(gale_kv_add_i64(kv, "w", 1, 5, &out), 0);
    ck_assert_int_eq(out, 5);
    ck_assert_int_eq(gale_kv_add_i64(kv, "w", 1, 3, &out), 0);
    ck_assert_int_eq(out, 8);
    ck_assert_int_eq(gale_kv_add_i64(kv, "w", 1, -10, NULL), 0);
    /* The value is 8 bytes, little-endian. */
    ck_assert_int_eq(gale_kv_get(kv, "w", 1, &v, &n), 0);
    ck_assert_uint_eq(n, 8);
    ck_assert_int_eq(ld64(v), -2);
    ck_assert_int_eq(((const unsigned char *)v)[0], 0xfe);
    /* A value written by put in the same layout counts. */
    ck_assert_int_eq(gale_kv_put(kv, "p", 1, "\x10\0\0\0\0\0\0\0", 8), 0);
    ck_assert_int_eq(gale_kv_add_i64(kv, "p", 1, 1, &out), 0);
    ck_assert_int_eq(out, 17);
    /* A value of another size is not a counter. */
    ck_assert_int_eq(put_s(kv, "s", "abc"), 0);
    ck_assert_int_eq(gale_kv_add_i64(kv, "s", 1, 1, &out), -EINVAL);
    assert_val(kv, "s", "abc");
    /* Overflow leaves the value alone. */
    ck_assert_int_eq(gale_kv_add_i64(kv, "big", 3, INT64_MAX, &out), 0);
    ck_assert_int_eq(gale_kv_add_i64(kv, "big", 3, 1, &out), -EOVERFLOW);
    ck_assert_int_eq(gale_kv_add_i64(kv, "big", 3, 0, &out), 0);
    ck_assert_int_eq(out, INT64_MAX);
    /* A deleted counter restarts from 0. */
    ck_assert_int_eq(gale_kv_delete(kv, "w", 1), 0);
    ck_assert_int_eq(gale_kv_add_i64(kv, "w", 1, 2, &out), 0);
    ck_assert_int_eq(out, 2);
    /* Long keys (out of line) count too. */
    ck_assert_int_eq(gale_kv_add_i64(kv,
        "a key well beyond the inline limit of an entry", 46, 7, &out), 0);
    ck_assert_int_eq(gale_kv_add_i64(kv,
        "a key well beyond the inline limit of an entry", 46, 7, &out), 0);
    ck_assert_int_eq(out, 14);
}
END_TEST

/* ---- key groups and scope -------------------------------------------- */

START_TEST(test_near_keys_stay_distinct)
{
    /* Keys of every length from 1 to 40 and, for each, the key with one
     * byte changed at every position: all distinct counters (the short
     * keys are compared by overlapping loads, not byte by byte). */
    gale_kv_t *kv = gale_kvstore_keyed(st, "near");
    unsigned char k[40];
    int64_t out;
    size_t n, i;

    gale_kvstore_set_keygroup(st, 6);
    for (n = 1; n <= 40; n++) {
        memset(k, 'a', sizeof k);
        ck_assert_int_eq(gale_kv_add_i64(kv, k, n, 1000, &out), 0);
        ck_assert_int_eq(out, 1000);
        for (i = 0; i < n; i++) {
            k[i] = 'b';
            ck_assert_int_eq(gale_kv_add_i64(kv, k, n, (int64_t)i + 1, &out), 0);
            ck_assert_int_eq(out, (int64_t)i + 1);
            k[i] = 'a';
        }
    }
    for (n = 1; n <= 40; n++) {
        memset(k, 'a', sizeof k);
        ck_assert_int_eq(gale_kv_add_i64(kv, k, n, 1, &out), 0);
        ck_assert_int_eq(out, 1001);
        for (i = 0; i < n; i++) {
            k[i] = 'b';
            ck_assert_int_eq(gale_kv_add_i64(kv, k, n, 0, &out), 0);
            ck_assert_int_eq(out, (int64_t)i + 1);
            k[i] = 'a';
        }
    }
}
END_TEST

START_TEST(test_same_key_two_keygroups)
{
    gale_kv_t *kv = gale_kvstore_keyed(st, "m");
    int64_t out;

    gale_kvstore_set_keygroup(st, 3);
    ck_assert_int_eq(put_s(kv, "k", "three"), 0);
    ck_assert_int_eq(gale_kv_add_i64(kv, "c", 1, 1, &out), 0);
    gale_kvstore_set_keygroup(st, 4);
    assert_val(kv, "k", NULL);
    ck_assert_int_eq(put_s(kv, "k", "four"), 0);
    ck_assert_int_eq(gale_kv_add_i64(kv, "c", 1, 10, &out), 0);
    ck_assert_int_eq(out, 10);
    assert_val(kv, "k", "four");
    assert_iter(kv, "0//c=#10 0//k=four");
    gale_kvstore_set_keygroup(st, 3);
    assert_val(kv, "k", "three");
    ck_assert_int_eq(gale_kv_add_i64(kv, "c", 1, 1, &out), 0);
    ck_assert_int_eq(out, 2);
    ck_assert_int_eq(gale_kv_delete(kv, "k", 1), 0);
    gale_kvstore_set_keygroup(st, 4);
    assert_val(kv, "k", "four");
    /* Outside execute, iterate sees both key groups. */
    gale_kvstore_set_keygroup(st, -1);
    assert_take("3/m/c=#2 3/m/k=- 4/m/c=#10 "
        "4/m/k=four");
}
END_TEST

static int
count_cb(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
    (*(size_t *)arg)++;
    return 0;
}

START_TEST(test_scope_minus_one)
{
    gale_kv_t *kv = gale_kvstore_keyed(st, "m");
    const void *v;
    size_t n = 0;
    int64_t out;

    ck_assert_int_eq(gale_kvstore_keygroup(st), -1);
    ck_assert_int_eq(gale_kv_get(kv, "a", 1, &v, &n), -EINVAL);
    ck_assert_int_eq(put_s(kv, "a", "1"), -EINVAL);
    ck_assert_int_eq(gale_kv_delete(kv, "a", 1), -EINVAL);
    ck_assert_int_eq(gale_kv_add_i64(kv, "a", 1, 1, &out), -EINVAL);
    ck_assert_uint_eq(gale_kvstore_dirty_count(st), 0);
    gale_kvstore_set_keygroup(st, 2);
    ck_assert_int_eq(put_s(kv, "a", "2"), 0);
    gale_kvstore_set_keygroup(st, 9);
    ck_assert_int_eq(put_s(kv, "a", "9"), 0);
    ck_assert_int_eq(put_s(kv, "b", "9"), 0);
    assert_iter(kv, "0//a=9 0//b=9");
    gale_kvstore_set_keygroup(st, 2);
    assert_iter(kv, "0//a=2");
    gale_kvstore_set_keygroup(st, -1);
    assert_iter(kv, "0//a=2 0//a=9 0//b=9");
    ck_assert_int_eq(gale_kv_iterate(kv, count_cb, &n), 0);
    ck_assert_uint_eq(n, 3);
    gale_kvstore_set_keygroup(st, 5);
    assert_iter(kv, "");
}
END_TEST

START_TEST(test_keygroup_out_of_range_asserts)
{
    gale_kvstore_set_keygroup(st, 10);
}
END_TEST

START_TEST(test_operator_state_ignores_keygroups)
{
    gale_kv_t *op = gale_kvstore_operator(st, "pos");
    gale_kv_t *keyed = gale_kvstore_keyed(st, "pos");
    int64_t out;

    ck_assert_ptr_ne(op, keyed);
    ck_assert_int_eq(put_s(op, "offset", "100"), 0);
    gale_kvstore_set_keygroup(st, 3);
    assert_val(op, "offset", "100");
    ck_assert_int_eq(gale_kv_add_i64(op, "n", 1, 1, &out), 0);
    ck_assert_int_eq(put_s(keyed, "offset", "keyed"), 0);
    gale_kvstore_set_keygroup(st, 7);
    assert_val(op, "offset", "100");
    ck_assert_int_eq(gale_kv_add_i64(op, "n", 1, 1, &out), 0);
    ck_assert_int_eq(out, 2);
    assert_val(keyed, "offset", NULL);
    assert_iter(op, "0//n=#2 0//offset=100");
    gale_kvstore_set_keygroup(st, -1);
    assert_val(op, "offset", "100");
    assert_iter(op, "0//n=#2 0//offset=100");
    assert_take("-1/pos/n=#2 -1/pos/offset=100 3/pos/offset=keyed");
}
END_TEST

START_TEST(test_handles_by_name)
{
    gale_kv_t *a = gale_kvstore_keyed(st, "a");
    gale_kv_t *b = gale_kvstore_keyed(st, "b");
    char name[8];

    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_ne(a, b);
    strcpy(name, "a");
    ck_assert_ptr_eq(gale_kvstore_keyed(st, name), a);
    ck_assert_ptr_eq(gale_kvstore_operator(st, "a"),
        gale_kvstore_operator(st, "a"));
    gale_kvstore_set_keygroup(st, 6);
    ck_assert_int_eq(put_s(a, "k", "in a"), 0);
    assert_val(b, "k", NULL);
    ck_assert_int_eq(put_s(b, "k", "in b"), 0);
    assert_val(a, "k", "in a");
    /* Many handles: earlier ones stay valid as the list grows. */
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "s%d", i);
        ck_assert_int_eq(put_s(gale_kvstore_keyed(st, name), "k", name), 0);
    }
    ck_assert_ptr_eq(gale_kvstore_keyed(st, "a"), a);
    assert_val(a, "k", "in a");
    assert_val(gale_kvstore_keyed(st, "s17"), "k", "s17");
}
END_TEST

/* ---- growth ---------------------------------------------------------- */

START_TEST(test_growth_past_a_million_keys)
{
    gale_kv_t *kv = gale_kvstore_keyed(st, "big");
    const size_t nkeys = 1100000;
    char key[32];
    const void *v;
    size_t i, n, klen, count = 0;
    int64_t out;
    int kg;

    for (i = 0; i < nkeys; i++) {
        gale_kvstore_set_keygroup(st, 2 + (int)(i % 8));
        klen = (size_t)snprintf(key, sizeof key, "key-%zu", i / 8);
        ck_assert_int_eq(gale_kv_add_i64(kv, key, klen, (int64_t)i, &out), 0);
        if (out != (int64_t)i)
            ck_abort_msg("key %s: %lld", key, (long long)out);
    }
    ck_assert_uint_eq(gale_kvstore_dirty_count(st), nkeys);
    for (i = 0; i < nkeys; i++) {
        kg = 2 + (int)(i % 8);
        gale_kvstore_set_keygroup(st, kg);
        klen = (size_t)snprintf(key, sizeof key, "key-%zu", i / 8);
        if (gale_kv_get(kv, key, klen, &v, &n) != 0 || n != 8 ||
            ld64(v) != (int64_t)i)
            ck_abort_msg("key %s in %d lost", key, kg);
    }
    gale_kvstore_set_keygroup(st, -1);
    ck_assert_int_eq(gale_kv_iterate(kv, count_cb, &count), 0);
    ck_assert_uint_eq(count, nkeys);
    ck_assert_uint_ge(gale_kvstore_bytes(st), nkeys * 8);
}
END_TEST

/* ---- changes --------------------------------------------------------- */

/* gale_kvstore_dirty_count(st) is want, or with a spill that evicted
 * changed entries (and marked them) at least want: every eviction of a
 * changed entry counts once (kvstate.h). take_dirty's reports stay exact,
 * which the callers check. */
static void
assert_dirty_count(size_t want)
{
    gale_kvstore_stats_t stats;
    size_t n = gale_kvstore_dirty_count(st);

    gale_kvstore_stats(st, &stats);
    if (stats.marked == 0)
        ck_assert_uint_eq(n, want);
    else
        ck_assert_uint_ge(n, want);
}

START_TEST(test_take_dirty_exact_then_nothing)
{
    gale_kv_t *kv = gale_kvstore_keyed(st, "m");
    gale_kv_t *op = gale_kvstore_operator(st, "o");
    int64_t out;

    assert_dirty_count(0);
    assert_take("");
    gale_kvstore_set_keygroup(st, 2);
    ck_assert_int_eq(put_s(kv, "a", "1"), 0);
    ck_assert_int_eq(put_s(kv, "a", "2"), 0);
    ck_assert_int_eq(put_s(kv, "b", "1"), 0);
    ck_assert_int_eq(put_s(kv, "c", "1"), 0);
    ck_assert_int_eq(gale_kv_add_i64(kv, "n", 1, 1, &out), 0);
    ck_assert_int_eq(gale_kv_add_i64(kv, "n", 1, 1, &out), 0);
    ck_assert_int_eq(put_s(op, "pos", "7"), 0);
    assert_dirty_count(5);
    /* Reads and deletes of absent keys change nothing. */
    assert_val(kv, "a", "2");
    ck_assert_int_eq(gale_kv_delete(kv, "zz", 2), 0);
    assert_dirty_count(5);
    assert_take("-1/o/pos=7 2/m/a=2 2/m/b=1 2/m/c=1 2/m/n=#2");
    assert_dirty_count(0);
    assert_take("");
    /* Only what changed since, deletions once. */
    ck_assert_int_eq(gale_kv_delete(kv, "b", 1), 0);
    ck_assert_int_eq(gale_kv_add_i64(kv, "n", 1, 1, &out), 0);
    gale_kvstore_set_keygroup(st, 8);
    ck_assert_int_eq(put_s(kv, "a", "x"), 0);
    assert_dirty_count(3);
    assert_take("2/m/b=- 2/m/n=#3 8/m/a=x");
    assert_take("");
    gale_kvstore_set_keygroup(st, 2);
    assert_val(kv, "b", NULL);
    assert_val(kv, "a", "2");
    assert_val(kv, "c", "1");
    /* Deleted then put again within one epoch: reported once, live. */
    ck_assert_int_eq(gale_kv_delete(kv, "c", 1), 0);
    ck_assert_int_eq(put_s(kv, "c", "again"), 0);
    /* Put then deleted within one epoch: reported once, deleted. */
    ck_assert_int_eq(put_s(kv, "d", "brief"), 0);
    ck_assert_int_eq(gale_kv_delete(kv, "d", 1), 0);
    assert_dirty_count(2);
    assert_take("2/m/c=again 2/m/d=-");
    assert_take("");
    assert_iter(kv, "0//a=2 0//c=again 0//n=#3");
}
END_TEST

struct failing {
    int calls;                  /* calls so far */
    int fail_at;                /* call number that fails */
};

static int
failing_cb(void *arg, int kg, const char *name, const void *key, size_t klen,
    const void *val, size_t vlen)
{
    struct failing *f = arg;

    return ++f->calls == f->fail_at ? 42 : 0;
}

START_TEST(test_take_dirty_failure_keeps_changes)
{
    gale_kv_t *kv = gale_kvstore_keyed(st, "m");
    struct failing f = { 0, 2 };

    gale_kvstore_set_keygroup(st, 3);
    ck_assert_int_eq(put_s(kv, "a", "1"), 0);
    ck_assert_int_eq(put_s(kv, "b", "1"), 0);
    ck_assert_int_eq(put_s(kv, "c", "1"), 0);
    assert_take("3/m/a=1 3/m/b=1 3/m/c=1");
    ck_assert_int_eq(gale_kv_delete(kv, "a", 1), 0);
    ck_assert_int_eq(put_s(kv, "b", "2"), 0);
    ck_assert_int_eq(gale_kvstore_take_dirty(st, failing_cb, &f), 42);
    ck_assert_int_eq(f.calls, 2);
    ck_assert_uint_eq(gale_kvstore_dirty_count(st), 2);
    /* Newer changes merge with the kept ones, each key still once. */
    ck_assert_int_eq(put_s(kv, "b", "3"), 0);
    ck_assert_int_eq(put_s(kv, "c", "3"), 0);
    ck_assert_uint_eq(gale_kvstore_dirty_count(st), 3);
    assert_take("3/m/a=- 3/m/b=3 3/m/c=3");
    assert_take("");
    assert_val(kv, "a", NULL);
}
END_TEST

START_TEST(test_forgotten_entries_are_reused)
{
    gale_kv_t *kv = gale_kvstore_keyed(st, "m");
    char key[16];
    size_t i, klen, before;
    int64_t out;

    gale_kvstore_set_keygroup(st, 2);
    for (i = 0; i < 1000; i++) {
        klen = (size_t)snprintf(key, sizeof key, "k%zu", i);
        ck_assert_int_eq(gale_kv_add_i64(kv, key, klen, 1, &out), 0);
    }
    free(take());
    before = gale_kvstore_bytes(st);
    /* Delete and forget half, then insert as many new keys: the table
     * reuses the freed entries instead of growing. */
    for (i = 0; i < 1000; i += 2) {
        klen = (size_t)snprintf(key, sizeof key, "k%zu", i);
        ck_assert_int_eq(gale_kv_delete(kv, key, klen), 0);
    }
    free(take());
    for (i = 0; i < 1000; i += 2) {
        klen = (size_t)snprintf(key, sizeof key, "n%zu", i);
        ck_assert_int_eq(gale_kv_add_i64(kv, key, klen, 5, &out), 0);
    }
    free(take());
    ck_assert_uint_eq(gale_kvstore_bytes(st), before);
    for (i = 0; i < 1000; i++) {
        const void *v;
        size_t n;

        klen = (size_t)snprintf(key, sizeof key, "k%zu", i);
        ck_assert_int_eq(gale_kv_get(kv, key, klen, &v, &n),
            i % 2 == 0 ? -ENOENT : 0);
        klen = (size_t)snprintf(key, sizeof key, "n%zu", i);
        ck_assert_int_eq(gale_kv_get(kv, key, klen, &v, &n),
            i % 2 == 0 ? 0 : -ENOENT);
    }
}
END_TEST

/* A random workload against a plain array model: every key's value and
 * every take_dirty report must match, across growth, tombstones, forgetting
 * (which reorganises probe runs) and revival. */
#define MODEL_KEYS 3000

struct model {
    int64_t val[8][MODEL_KEYS];     /* per key group offset; -1 = absent */
    unsigned char changed[8][MODEL_KEYS];
    size_t nreported;               /* reports seen in the last take */
    int bad;                        /* a report did not match */
};

static int
model_cb(void *arg, int kg, const char *name, const void *key, size_t klen,
    const void *val, size_t vlen)
{
    struct model *m = arg;
    char buf[16];
    unsigned long k;
    int g = kg - 2;

    memcpy(buf, key, klen);
    buf[klen] = '\0';
    k = strtoul(buf, NULL, 10);
    m->nreported++;
    if (g < 0 || g >= 8 || k >= MODEL_KEYS || !m->changed[g][k])
        m->bad++;
    else if (m->val[g][k] < 0 ? val != NULL :
        (val == NULL || vlen != 8 || ld64(val) != m->val[g][k]))
        m->bad++;
    else
        m->changed[g][k] = 0;
    return 0;
}

START_TEST(test_random_against_model)
{
    gale_kv_t *kv = gale_kvstore_keyed(st, "r");
    struct model *m = calloc(1, sizeof *m);
    uint64_t rng = 88172645463325252u;
    size_t i, klen, nchanged = 0;
    char key[16];
    const void *v;
    size_t n;
    int64_t out;
    int g, k, op, rc;

    memset(m->val, 0xff, sizeof m->val);
    for (i = 0; i < 200000; i++) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        g = (int)(rng % 8);
        k = (int)((rng >> 8) % MODEL_KEYS);
        op = (int)((rng >> 40) % 10);
        gale_kvstore_set_keygroup(st, g + 2);
        klen = (size_t)snprintf(key, sizeof key, "%d", k);
        if (op < 5) {
            ck_assert_int_eq(gale_kv_add_i64(kv, key, klen, 1, &out), 0);
            m->val[g][k] = m->val[g][k] < 0 ? 1 : m->val[g][k] + 1;
            ck_assert_int_eq(out, m->val[g][k]);
        } else if (op < 8) {
            ck_assert_int_eq(gale_kv_delete(kv, key, klen), 0);
            if (m->val[g][k] < 0)
                continue;
            m->val[g][k] = -1;
        } else {
            rc = gale_kv_get(kv, key, klen, &v, &n);
            if (m->val[g][k] < 0)
                ck_assert_int_eq(rc, -ENOENT);
            else {
                ck_assert_int_eq(rc, 0);
                ck_assert_int_eq(ld64(v), m->val[g][k]);
            }
            continue;
        }
        if (!m->changed[g][k])
            nchanged++;
        m->changed[g][k] = 1;
        if (i % 20000 == 19999) {
            assert_dirty_count(nchanged);
            m->nreported = 0;
            ck_assert_int_eq(gale_kvstore_take_dirty(st, model_cb, m), 0);
            ck_assert_int_eq(m->bad, 0);
            ck_assert_uint_eq(m->nreported, nchanged);
            nchanged = 0;
        }
    }
    for (g = 0; g < 8; g++) {
        gale_kvstore_set_keygroup(st, g + 2);
        for (k = 0; k < MODEL_KEYS; k++) {
            klen = (size_t)snprintf(key, sizeof key, "%d", k);
            rc = gale_kv_get(kv, key, klen, &v, &n);
            if (m->val[g][k] < 0)
                ck_assert_int_eq(rc, -ENOENT);
            else {
                ck_assert_int_eq(rc, 0);
                ck_assert_int_eq(ld64(v), m->val[g][k]);
            }
        }
    }
    free(m);
}
END_TEST

/* ---- values of varied sizes, memory ---------------------------------- */

START_TEST(test_value_sizes)
{
    gale_kv_t *kv = gale_kvstore_keyed(st, "v");
    const size_t mib = 1 << 20;
    unsigned char *big = malloc(mib);
    const void *v;
    size_t i, n, before, with_big;

    for (i = 0; i < mib; i++)
        big[i] = (unsigned char)(i * 31 + 7);
    gale_kvstore_set_keygroup(st, 9);
    ck_assert_uint_eq(gale_kvstore_bytes(st), 0);
    /* 0 bytes: present, with a non-NULL pointer. */
    ck_assert_int_eq(gale_kv_put(kv, "zero", 4, NULL, 0), 0);
    v = NULL;
    n = 99;
    ck_assert_int_eq(gale_kv_get(kv, "zero", 4, &v, &n), 0);
    ck_assert_ptr_nonnull(v);
    ck_assert_uint_eq(n, 0);
    before = gale_kvstore_bytes(st);
    ck_assert_uint_gt(before, 0);
    /* 1 MiB. */
    ck_assert_int_eq(gale_kv_put(kv, "big", 3, big, mib), 0);
    ck_assert_int_eq(gale_kv_get(kv, "big", 3, &v, &n), 0);
    ck_assert_uint_eq(n, mib);
    ck_assert_int_eq(memcmp(v, big, mib), 0);
    with_big = gale_kvstore_bytes(st);
    ck_assert_uint_ge(with_big, before + mib);
    /* Sizes around the inline limit, up and down. */
    for (i = 0; i < 80; i++) {
        ck_assert_int_eq(gale_kv_put(kv, "edge", 4, big, i), 0);
        ck_assert_int_eq(gale_kv_get(kv, "edge", 4, &v, &n), 0);
        ck_assert_uint_eq(n, i);
        ck_assert_int_eq(memcmp(v, big, i), 0);
    }
    for (i = 80; i-- > 0;) {
        ck_assert_int_eq(gale_kv_put(kv, "edge", 4, big + 1, i), 0);
        ck_assert_int_eq(gale_kv_get(kv, "edge", 4, &v, &n), 0);
        ck_assert_uint_eq(n, i);
        ck_assert_int_eq(memcmp(v, big + 1, i), 0);
    }
    /* Shrinking the big value gives its memory back. */
    ck_assert_int_eq(gale_kv_put(kv, "big", 3, "small", 5), 0);
    ck_assert_uint_lt(gale_kvstore_bytes(st), with_big - mib / 2);
    ck_assert_int_eq(gale_kv_put(kv, "big", 3, big, mib), 0);
    ck_assert_int_eq(gale_kv_delete(kv, "big", 3), 0);
    ck_assert_uint_lt(gale_kvstore_bytes(st), with_big - mib / 2);
    free(take());
    assert_iter(kv, "0//edge= 0//zero=");
    free(big);
}
END_TEST

START_TEST(test_put_with_borrowed_value)
{
    gale_kv_t *kv = gale_kvstore_operator(st, "alias");
    char key[16];
    const void *v;
    size_t i, n, klen;

    /* Copy a borrowed value to new keys while the entry array grows. */
    ck_assert_int_eq(put_s(kv, "src", "borrowed value"), 0);
    for (i = 0; i < 100; i++) {
        ck_assert_int_eq(gale_kv_get(kv, "src", 3, &v, &n), 0);
        klen = (size_t)snprintf(key, sizeof key, "dst%zu", i);
        ck_assert_int_eq(gale_kv_put(kv, key, klen, v, n), 0);
    }
    assert_val(kv, "dst0", "borrowed value");
    assert_val(kv, "dst99", "borrowed value");
    /* A key's own value, shortened or moved out of line. */
    ck_assert_int_eq(gale_kv_get(kv, "src", 3, &v, &n), 0);
    ck_assert_int_eq(gale_kv_put(kv, "src", 3, (const char *)v + 9, 5), 0);
    assert_val(kv, "src", "value");
    ck_assert_int_eq(put_s(kv, "long",
        "a value long enough to live in a heap block"), 0);
    ck_assert_int_eq(gale_kv_get(kv, "long", 4, &v, &n), 0);
    ck_assert_int_eq(gale_kv_put(kv, "long", 4, (const char *)v + 2, 5), 0);
    assert_val(kv, "long", "value");
}
END_TEST

static int
stop_cb(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
    return ++*(int *)arg == 3 ? -ECANCELED : 0;
}

START_TEST(test_iterate_stops)
{
    gale_kv_t *kv = gale_kvstore_operator(st, "it");
    char key[8];
    int i, calls = 0;

    for (i = 0; i < 10; i++) {
        snprintf(key, sizeof key, "%d", i);
        ck_assert_int_eq(put_s(kv, key, "v"), 0);
    }
    ck_assert_int_eq(gale_kv_iterate(kv, stop_cb, &calls), -ECANCELED);
    ck_assert_int_eq(calls, 3);
}
END_TEST

START_TEST(test_empty_range_store)
{
    gale_kvstore_t *s = gale_kvstore_new(4, 3, 2);
    gale_kv_t *op = gale_kvstore_operator(s, "o");

    ck_assert_int_eq(gale_kv_put(op, "k", 1, "v", 1), 0);
    gale_kvstore_set_keygroup(s, -1);
    gale_kvstore_destroy(&s);
    gale_kvstore_destroy(&s);
    gale_kvstore_destroy(NULL);
}
END_TEST

/* ---- spill: a memory cap over LevelDB ---------------------------------- */

static char spill_tmp[64];      /* the test's temporary directory */
static char spill_dir[96];      /* the LevelDB directory inside it */
static size_t spill_cap = 1;    /* cap for setup_spill */

/* Opens st with a spill in a fresh directory, capped at spill_cap. */
static void
setup_spill(void)
{
    char *cause = NULL;

    strcpy(spill_tmp, "/tmp/check_kvstate.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(spill_tmp));
    snprintf(spill_dir, sizeof spill_dir, "%s/spill/t3", spill_tmp);
    st = gale_kvstore_new(16, 2, 9);
    ck_assert_int_eq(gale_kvstore_set_spill(st, spill_dir, spill_cap, &cause),
        0);
    ck_assert_ptr_null(cause);
    ck_assert_ptr_null(gale_kvstore_spill_error(st));
}

/* Destroying the store removes its LevelDB directory (not the parents). */
static void
teardown_spill(void)
{
    char parent[128];

    gale_kvstore_destroy(&st);
    ck_assert_int_eq(access(spill_dir, F_OK), -1);
    ck_assert_int_eq(errno, ENOENT);
    snprintf(parent, sizeof parent, "%s/spill", spill_tmp);
    ck_assert_int_eq(rmdir(parent), 0);
    ck_assert_int_eq(rmdir(spill_tmp), 0);
}

/* The tests of the core case that do not assert exact byte counts run
 * again with a spill capped at 1 byte: every write evicts whatever is
 * clean, so every path goes through LevelDB. */
static void
setup_spill_1(void)
{
    spill_cap = 1;
    setup_spill();
}

static void
setup_spill_1m(void)
{
    spill_cap = 1 << 20;
    setup_spill();
}

static void
setup_spill_16k(void)
{
    spill_cap = 16 << 10;
    setup_spill();
}

static void
setup_spill_64k(void)
{
    spill_cap = 64 << 10;
    setup_spill();
}

static int
noop_cb(void *arg, int kg, const char *name, const void *key, size_t klen,
    const void *val, size_t vlen)
{
    (*(size_t *)arg)++;
    return 0;
}

/* A checkpoint that writes nothing: the changes become clean. Returns the
 * number reported. */
static size_t
checkpoint(void)
{
    size_t n = 0;

    ck_assert_int_eq(gale_kvstore_take_dirty(st, noop_cb, &n), 0);
    return n;
}

/* The 64-byte value of key i: every byte depends on i. */
static void
val64(size_t i, unsigned char *v)
{
    for (size_t j = 0; j < 64; j++)
        v[j] = (unsigned char)(i * 131 + j * 7 + (i >> 8));
}

/* An upper bound on one changed entry's memory: the entry, up to 4 index
 * slots, and its out-of-line key and value. */
#define DIRTY_BYTES(vlen) (64 + 32 + 16 + (vlen))

START_TEST(test_spill_200k_values_exact)
{
    gale_kv_t *kv = gale_kvstore_keyed(st, "values");
    const size_t nkeys = 200000, cap = 1 << 20;
    unsigned char want[64];
    char key[32];
    const void *v;
    size_t i, n, klen, peak = 0;
    gale_kvstore_stats_t stats;

    for (i = 0; i < nkeys; i++) {
        gale_kvstore_set_keygroup(st, 2 + (int)(i % 8));
        klen = (size_t)snprintf(key, sizeof key, "key-%zu", i);
        val64(i, want);
        ck_assert_int_eq(gale_kv_put(kv, key, klen, want, sizeof want), 0);
        /* Memory stays near the cap plus the changes not yet taken. */
        if (gale_kvstore_bytes(st) > cap + cap / 8 +
            gale_kvstore_dirty_count(st) * DIRTY_BYTES(64))
            ck_abort_msg("after %zu puts: %zu bytes, %zu dirty", i + 1,
                gale_kvstore_bytes(st), gale_kvstore_dirty_count(st));
        if (i % 4096 == 4095)
            ck_assert_uint_eq(checkpoint(), 4096);
    }
    ck_assert_uint_eq(checkpoint(), nkeys % 4096);
    /* Every value is readable and exact, in an order unrelated to the
     * writes', and memory stays near the cap while reading (the reads are
     * clean: nothing is dirty). */
    for (i = 0; i < nkeys; i++) {
        size_t k = (i * 7919) % nkeys;

        gale_kvstore_set_keygroup(st, 2 + (int)(k % 8));
        klen = (size_t)snprintf(key, sizeof key, "key-%zu", k);
        val64(k, want);
        if (gale_kv_get(kv, key, klen, &v, &n) != 0 || n != 64 ||
            memcmp(v, want, 64) != 0)
            ck_abort_msg("%s lost or wrong", key);
        if (gale_kvstore_bytes(st) > peak)
            peak = gale_kvstore_bytes(st);
    }
    ck_assert_uint_le(peak, cap + cap / 8);
    ck_assert_uint_eq(gale_kvstore_dirty_count(st), 0);
    gale_kvstore_stats(st, &stats);
    ck_assert_uint_gt(stats.evicted, nkeys / 2);
    ck_assert_uint_ge(stats.loads, nkeys / 2);
    ck_assert_uint_lt(stats.resident, nkeys / 10);
    /* A key in no key group of the data is absent. */
    gale_kvstore_set_keygroup(st, 2);
    ck_assert_int_eq(gale_kv_get(kv, "key-1", 5, &v, &n), -ENOENT);
    ck_assert_ptr_null(gale_kvstore_spill_error(st));
}
END_TEST

/* Zipf(1) draws of nwords words (word w drawn with weight 1/(w+1)). */
struct zipf {
    double *cdf;                /* cumulative weights */
    int n;                      /* words */
    uint64_t rng;               /* xorshift state */
};

static void
zipf_init(struct zipf *z, int n)
{
    double sum = 0;

    z->cdf = malloc((size_t)n * sizeof *z->cdf);
    z->n = n;
    z->rng = 0x9e3779b97f4a7c15u;
    for (int w = 0; w < n; w++) {
        sum += 1.0 / (w + 1);
        z->cdf[w] = sum;
    }
}

static int
zipf_next(struct zipf *z)
{
    double u;
    int lo = 0, hi = z->n - 1, mid;

    z->rng ^= z->rng << 13;
    z->rng ^= z->rng >> 7;
    z->rng ^= z->rng << 17;
    u = (double)(z->rng >> 11) / 9007199254740992.0 * z->cdf[z->n - 1];
    while (lo < hi) {
        mid = (lo + hi) / 2;
        if (z->cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Folds take_dirty's counter reports into a "restored" array, as a
 * checkpoint chain would. */
struct restored {
    int64_t *count;             /* per word; 0 = absent */
    int nwords;                 /* length of count */
    int bad;                    /* reports that were not counters */
};

static int
restore_cb(void *arg, int kg, const char *name, const void *key, size_t klen,
    const void *val, size_t vlen)
{
    struct restored *r = arg;
    char buf[16];
    long w;

    if (klen < 2 || klen >= sizeof buf || val == NULL || vlen != 8) {
        r->bad++;
        return 0;
    }
    memcpy(buf, key, klen);
    buf[klen] = '\0';
    w = strtol(buf + 1, NULL, 10);
    if (w < 0 || w >= r->nwords || kg != 2 + (int)(w % 8))
        r->bad++;
    else
        r->count[w] = ld64(val);
    return 0;
}

static int
sum_cb(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
    int64_t *acc = arg;

    acc[0] += ld64(val);
    acc[1]++;
    return 0;
}

START_TEST(test_spill_zipf_counts_exact)
{
    gale_kv_t *kv = gale_kvstore_keyed(st, "counts");
    const int nwords = 60000, ndraws = 600000;
    int64_t *model = calloc(nwords, sizeof *model), out, acc[2] = { 0, 0 };
    struct restored r = { calloc(nwords, sizeof(int64_t)), nwords, 0 };
    struct zipf z;
    char key[16];
    const void *v;
    size_t n, klen;
    int i, w;
    gale_kvstore_stats_t stats;

    zipf_init(&z, nwords);
    for (i = 0; i < ndraws; i++) {
        w = zipf_next(&z);
        gale_kvstore_set_keygroup(st, 2 + w % 8);
        klen = (size_t)snprintf(key, sizeof key, "w%d", w);
        ck_assert_int_eq(gale_kv_add_i64(kv, key, klen, 1, &out), 0);
        if (out != ++model[w])
            ck_abort_msg("draw %d: %s counted %lld, want %lld", i, key,
                (long long)out, (long long)model[w]);
        if (i % 5000 == 4999) {
            ck_assert_int_eq(gale_kvstore_take_dirty(st, restore_cb, &r), 0);
            ck_assert_int_eq(r.bad, 0);
        }
    }
    ck_assert_int_eq(gale_kvstore_take_dirty(st, restore_cb, &r), 0);
    ck_assert_int_eq(r.bad, 0);
    gale_kvstore_stats(st, &stats);
    ck_assert_uint_gt(stats.evicted, 0);
    ck_assert_uint_gt(stats.loads, 0);
    /* The state, and what the checkpoints recorded, are exact. */
    for (w = 0; w < nwords; w++) {
        gale_kvstore_set_keygroup(st, 2 + w % 8);
        klen = (size_t)snprintf(key, sizeof key, "w%d", w);
        if (model[w] == 0) {
            ck_assert_int_eq(gale_kv_get(kv, key, klen, &v, &n), -ENOENT);
            continue;
        }
        if (gale_kv_get(kv, key, klen, &v, &n) != 0 || n != 8 ||
            ld64(v) != model[w])
            ck_abort_msg("%s: wrong count", key);
        if (r.count[w] != model[w])
            ck_abort_msg("%s: checkpoints say %lld, want %lld", key,
                (long long)r.count[w], (long long)model[w]);
    }
    gale_kvstore_set_keygroup(st, -1);
    ck_assert_int_eq(gale_kv_iterate(kv, sum_cb, acc), 0);
    ck_assert_int_eq(acc[0], ndraws);
    for (w = 0, n = 0; w < nwords; w++)
        n += model[w] != 0;
    ck_assert_int_eq(acc[1], (int64_t)n);
    free(z.cdf);
    free(r.count);
    free(model);
}
END_TEST

/* Counts reports per word "w<i>" (kg 2 + i % 8): how often each was
 * reported, and its value (-1 for a deletion). */
struct tally {
    unsigned char *times;       /* per word: reports in this take */
    int64_t *val;               /* per word: the reported value, -1 deleted */
    int nwords;                 /* length of both */
    size_t calls;               /* reports */
    size_t stop_after;          /* fail the report after this many; 0 never */
    int bad;                    /* not a word of the test, or a repeat */
};

static int
tally_cb(void *arg, int kg, const char *name, const void *key, size_t klen,
    const void *val, size_t vlen)
{
    struct tally *t = arg;
    char buf[16];
    long w;

    (void)name;
    if (t->stop_after != 0 && t->calls == t->stop_after)
        return 42;
    t->calls++;
    if (klen < 2 || klen >= sizeof buf || (val != NULL && vlen != 8)) {
        t->bad++;
        return 0;
    }
    memcpy(buf, key, klen);
    buf[klen] = '\0';
    w = strtol(buf + 1, NULL, 10);
    if (w < 0 || w >= t->nwords || kg != 2 + (int)(w % 8) ||
        t->times[w]++ != 0)
        t->bad++;
    else
        t->val[w] = val == NULL ? -1 : ld64(val);
    return 0;
}

/* Every key changes between two takes, far more of them than the cap
 * holds: changed entries are evicted with marks, memory stays under the
 * cap, and each take reports every change exactly once with its latest
 * value, whether it was in memory or only in the spill (issue 13). */
START_TEST(test_spill_cap_holds_while_all_dirty)
{
    gale_kv_t *kv = gale_kvstore_keyed(st, "c");
    const int nwords = 100000;
    const size_t cap = 1 << 20;
    int64_t *model = calloc(nwords, sizeof *model), out;
    struct tally t = { calloc(nwords, 1), calloc(nwords, sizeof(int64_t)),
        nwords, 0, 0, 0 };
    gale_kvstore_stats_t stats;
    size_t klen, peak = 0, round;
    char key[16];
    int i, w;

    for (round = 0; round < 3; round++) {
        /* Every word once, then a third of them again, in another order;
         * in the last round a tenth are deleted. */
        for (i = 0; i < nwords + nwords / 3; i++) {
            w = i < nwords ? i : (int)(((size_t)i * 7919) % nwords);
            gale_kvstore_set_keygroup(st, 2 + w % 8);
            klen = (size_t)snprintf(key, sizeof key, "w%d", w);
            if (round == 2 && w % 10 == 3) {
                ck_assert_int_eq(gale_kv_delete(kv, key, klen), 0);
                model[w] = -1;
            } else {
                ck_assert_int_eq(gale_kv_add_i64(kv, key, klen, 1, &out), 0);
                model[w] = model[w] < 0 ? 1 : model[w] + 1;
                if (out != model[w])
                    ck_abort_msg("round %zu: %s is %lld, want %lld", round,
                        key, (long long)out, (long long)model[w]);
            }
            if (gale_kvstore_bytes(st) > peak)
                peak = gale_kvstore_bytes(st);
        }
        gale_kvstore_set_keygroup(st, -1);
        ck_assert_uint_ge(gale_kvstore_dirty_count(st), (size_t)nwords);
        if (round == 1) {
            /* A take that fails half-way keeps every change, marked ones
             * too; the next one reports them all. */
            t.stop_after = (size_t)nwords / 2;
            ck_assert_int_eq(gale_kvstore_take_dirty(st, tally_cb, &t), 42);
            memset(t.times, 0, (size_t)nwords);
            t.calls = 0;
            t.stop_after = 0;
        }
        ck_assert_int_eq(gale_kvstore_take_dirty(st, tally_cb, &t), 0);
        ck_assert_int_eq(t.bad, 0);
        ck_assert_uint_eq(t.calls, (size_t)nwords);
        for (w = 0; w < nwords; w++)
            if (t.times[w] != 1 || t.val[w] != model[w])
                ck_abort_msg("round %zu: w%d reported %d times as %lld, "
                    "want %lld", round, w, t.times[w], (long long)t.val[w],
                    (long long)model[w]);
        memset(t.times, 0, (size_t)nwords);
        t.calls = 0;
        /* Nothing changed since: nothing to report. */
        ck_assert_uint_eq(gale_kvstore_dirty_count(st), 0);
        ck_assert_uint_eq(checkpoint(), 0);
    }
    /* The cap held throughout: 100 000 changed counters need about 10 MB. */
    ck_assert_uint_le(peak, cap);
    gale_kvstore_stats(st, &stats);
    ck_assert_uint_gt(stats.marked, (uint64_t)nwords);
    free(t.times);
    free(t.val);
    free(model);
}
END_TEST

/* Marks keys "k<i>" seen by iterate in a byte map; counts repeats. */
struct keymap {
    unsigned char *seen;        /* per key: times seen */
    size_t n;                   /* length of seen */
    size_t calls;               /* callbacks */
    int bad;                    /* unknown keys, repeats, wrong values */
};

static int
keymap_cb(void *arg, const void *key, size_t klen, const void *val,
    size_t vlen)
{
    struct keymap *m = arg;
    char buf[24];
    size_t i;

    m->calls++;
    if (klen < 2 || klen >= sizeof buf) {
        m->bad++;
        return 0;
    }
    memcpy(buf, key, klen);
    buf[klen] = '\0';
    i = strtoul(buf + 1, NULL, 10);
    if (i >= m->n || m->seen[i]++ != 0 || vlen != 40 ||
        ((const unsigned char *)val)[0] != (unsigned char)i ||
        ((const unsigned char *)val)[39] != (unsigned char)(i >> 8))
        m->bad++;
    return 0;
}

/* Deleted keys: a report of deletions, and a key set without them. */
struct deletions {
    unsigned char *deleted;     /* per key: reported deleted */
    size_t n;                   /* length of deleted */
    size_t nput;                /* values reported */
    int bad;                    /* unexpected reports */
};

static int
deletions_cb(void *arg, int kg, const char *name, const void *key,
    size_t klen, const void *val, size_t vlen)
{
    struct deletions *d = arg;
    char buf[24];
    size_t i;

    if (val != NULL) {
        d->nput++;
        return 0;
    }
    memcpy(buf, key, klen);
    buf[klen] = '\0';
    i = strtoul(buf + 1, NULL, 10);
    if (kg != 2 || i >= d->n || d->deleted[i]++ != 0)
        d->bad++;
    return 0;
}

/* Puts k<i> = 40 bytes derived from i, in key group 2. */
static void
put40(gale_kv_t *kv, size_t i)
{
    unsigned char v[40];
    char key[24];
    size_t klen = (size_t)snprintf(key, sizeof key, "k%zu", i);

    memset(v, 'x', sizeof v);
    v[0] = (unsigned char)i;
    v[39] = (unsigned char)(i >> 8);
    ck_assert_int_eq(gale_kv_put(kv, key, klen, v, sizeof v), 0);
}

START_TEST(test_spill_delete_spilled_keys)
{
    gale_kv_t *kv = gale_kvstore_keyed(st, "d");
    const size_t nkeys = 20000;
    struct deletions d = { calloc(nkeys, 1), nkeys, 0, 0 };
    struct keymap m = { calloc(nkeys, 1), nkeys, 0, 0 };
    gale_kvstore_stats_t before, after;
    char key[24];
    const void *v;
    size_t i, n, klen, ndel = 0;

    gale_kvstore_set_keygroup(st, 2);
    for (i = 0; i < nkeys; i++) {
        put40(kv, i);
        if (i % 1000 == 999)
            checkpoint();
    }
    checkpoint();
    gale_kvstore_stats(st, &before);
    ck_assert_uint_lt(before.resident, nkeys / 4);
    /* Delete every third key, most of them only on disk. */
    for (i = 0; i < nkeys; i += 3) {
        klen = (size_t)snprintf(key, sizeof key, "k%zu", i);
        ck_assert_int_eq(gale_kv_delete(kv, key, klen), 0);
        ndel++;
    }
    /* Deleting absent keys (never there, or just deleted) changes nothing. */
    ck_assert_int_eq(gale_kv_delete(kv, "k0", 2), 0);
    ck_assert_int_eq(gale_kv_delete(kv, "nothing", 7), 0);
    ck_assert_uint_eq(gale_kvstore_dirty_count(st), ndel);
    ck_assert_int_eq(gale_kvstore_take_dirty(st, deletions_cb, &d), 0);
    ck_assert_int_eq(d.bad, 0);
    ck_assert_uint_eq(d.nput, 0);
    for (i = 0; i < nkeys; i++)
        ck_assert_int_eq(d.deleted[i], i % 3 == 0);
    /* Churn: the rest is read back and evicted again. They stay deleted. */
    for (i = 0; i < nkeys; i++) {
        klen = (size_t)snprintf(key, sizeof key, "k%zu", i);
        gale_kvstore_set_keygroup(st, 2);
        if (i % 3 == 0)
            ck_assert_int_eq(gale_kv_get(kv, key, klen, &v, &n), -ENOENT);
        else {
            ck_assert_int_eq(gale_kv_get(kv, key, klen, &v, &n), 0);
            ck_assert_uint_eq(n, 40);
            if (i % 3 == 1)
                put40(kv, i);
        }
        if (i % 1000 == 999)
            checkpoint();
    }
    checkpoint();
    gale_kvstore_stats(st, &after);
    ck_assert_uint_gt(after.evicted, before.evicted);
    ck_assert_uint_eq(gale_kvstore_dirty_count(st), 0);
    for (i = 0; i < nkeys; i += 3) {
        klen = (size_t)snprintf(key, sizeof key, "k%zu", i);
        ck_assert_int_eq(gale_kv_get(kv, key, klen, &v, &n), -ENOENT);
    }
    /* iterate sees every remaining key once, with its value. */
    ck_assert_int_eq(gale_kv_iterate(kv, keymap_cb, &m), 0);
    ck_assert_int_eq(m.bad, 0);
    ck_assert_uint_eq(m.calls, nkeys - ndel);
    for (i = 0; i < nkeys; i++)
        ck_assert_int_eq(m.seen[i], i % 3 != 0);
    free(m.seen);
    free(d.deleted);
}
END_TEST

/* A random workload against a model, with a small cap: two handles, puts
 * of every size around the inline limit, counters, deletes and reads.
 * Every take_dirty report and every iterate is checked in full. */
#define SPM_KEYS 300            /* keys per key group and handle */
#define SPM_GROUPS 9            /* 8 key groups, then operator state */

struct spm_val {
    int len;                    /* -1 = absent; 8 for a counter */
    uint32_t seed;              /* content of a blob */
    int64_t num;                /* value of a counter */
    unsigned char changed;      /* changed since the last take */
};

struct spm {
    struct spm_val v[SPM_GROUPS][SPM_KEYS];  /* the model */
    size_t reported;            /* reports in this take / iterate */
    int bad;                    /* mismatches */
    int group;                  /* iterate: the group walked, -1 = all */
    unsigned char seen[SPM_GROUPS][SPM_KEYS];   /* iterate: seen */
};

/* Key k of group g (0-7: key group g + 2; 8: operator state): counters
 * below SPM_KEYS / 2, blobs above. The group is in the key so that an
 * iterate over every key group can tell them apart. */
static size_t
spm_key(char *buf, size_t size, int g, int k)
{
    return (size_t)snprintf(buf, size, "%c%d", 'a' + g, k);
}

static void
spm_blob(unsigned char *b, int len, uint32_t seed)
{
    for (int j = 0; j < len; j++)
        b[j] = (unsigned char)(seed * 31 + (uint32_t)j * 7);
}

/* True if (val, vlen) is what the model holds for v. */
static bool
spm_match(const struct spm_val *v, const void *val, size_t vlen)
{
    unsigned char b[128];

    if (v->len < 0 || (size_t)v->len != vlen)
        return false;
    if (v->len == 8 && v->seed == 0)
        return ld64(val) == v->num;
    spm_blob(b, v->len, v->seed);
    return memcmp(val, b, vlen) == 0;
}

static int
spm_parse(const void *key, size_t klen, int *g, int *k)
{
    char buf[16];

    if (klen < 2 || klen >= sizeof buf)
        return -1;
    memcpy(buf, key, klen);
    buf[klen] = '\0';
    *g = buf[0] - 'a';
    *k = atoi(buf + 1);
    return *g >= 0 && *g < SPM_GROUPS && *k >= 0 && *k < SPM_KEYS ? 0 : -1;
}

static int
spm_take_cb(void *arg, int kg, const char *name, const void *key, size_t klen,
    const void *val, size_t vlen)
{
    struct spm *m = arg;
    struct spm_val *v;
    int g, k;

    m->reported++;
    if (spm_parse(key, klen, &g, &k) != 0 ||
        (g < 8 ? kg != g + 2 || strcmp(name, "r") != 0 :
        kg != -1 || strcmp(name, "o") != 0)) {
        m->bad++;
        return 0;
    }
    v = &m->v[g][k];
    if (!v->changed || (val == NULL ? v->len >= 0 : !spm_match(v, val, vlen)))
        m->bad++;
    v->changed = 0;
    return 0;
}

static int
spm_iter_cb(void *arg, const void *key, size_t klen, const void *val,
    size_t vlen)
{
    struct spm *m = arg;
    int g, k;

    m->reported++;
    if (spm_parse(key, klen, &g, &k) != 0 ||
        (m->group >= 0 && g != m->group) || m->seen[g][k]++ != 0 ||
        !spm_match(&m->v[g][k], val, vlen))
        m->bad++;
    return 0;
}

/* Iterates h (scope set by the caller) and checks against groups
 * [g0, g1] of the model. */
static void
spm_check_iter(struct spm *m, gale_kv_t *h, int group, int g0, int g1)
{
    size_t live = 0;

    memset(m->seen, 0, sizeof m->seen);
    m->reported = 0;
    m->group = group;
    ck_assert_int_eq(gale_kv_iterate(h, spm_iter_cb, m), 0);
    ck_assert_int_eq(m->bad, 0);
    for (int g = g0; g <= g1; g++)
        for (int k = 0; k < SPM_KEYS; k++)
            live += m->v[g][k].len >= 0;
    ck_assert_uint_eq(m->reported, live);
}

START_TEST(test_spill_random_against_model)
{
    gale_kv_t *kv = gale_kvstore_keyed(st, "r");
    gale_kv_t *op = gale_kvstore_operator(st, "o");
    struct spm *m = calloc(1, sizeof *m);
    uint64_t rng = 0x853c49e6748fea9bu;
    unsigned char blob[128];
    size_t i, klen, nchanged = 0, n;
    struct spm_val *mv;
    gale_kvstore_stats_t stats;
    gale_kv_t *h;
    const void *v;
    char key[16];
    int g, k, op_, rc, len;
    int64_t out, delta;

    for (g = 0; g < SPM_GROUPS; g++)
        for (k = 0; k < SPM_KEYS; k++)
            m->v[g][k].len = -1;
    for (i = 0; i < 150000; i++) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        g = (int)(rng % SPM_GROUPS);
        k = (int)((rng >> 8) % SPM_KEYS);
        op_ = (int)((rng >> 24) % 10);
        mv = &m->v[g][k];
        h = g < 8 ? kv : op;
        gale_kvstore_set_keygroup(st, g < 8 ? g + 2 : 2 + (int)(rng >> 60) % 8);
        klen = spm_key(key, sizeof key, g, k);
        if (op_ < 5 && k < SPM_KEYS / 2) {
            delta = (int64_t)((rng >> 32) % 7) - 2;
            ck_assert_int_eq(gale_kv_add_i64(h, key, klen, delta, &out), 0);
            if (mv->len < 0) {
                mv->len = 8;
                mv->seed = 0;
                mv->num = 0;
            }
            mv->num += delta;
            ck_assert_int_eq(out, mv->num);
        } else if (op_ < 5) {
            len = (int)((rng >> 32) % 100);
            mv->len = len;
            mv->seed = (uint32_t)(rng >> 40) | 1;
            spm_blob(blob, len, mv->seed);
            ck_assert_int_eq(gale_kv_put(h, key, klen, blob, (size_t)len), 0);
        } else if (op_ < 7) {
            ck_assert_int_eq(gale_kv_delete(h, key, klen), 0);
            if (mv->len < 0)
                continue;
            mv->len = -1;
        } else {
            rc = gale_kv_get(h, key, klen, &v, &n);
            if (mv->len < 0)
                ck_assert_int_eq(rc, -ENOENT);
            else {
                ck_assert_int_eq(rc, 0);
                ck_assert_msg(spm_match(mv, v, n), "get %s: wrong value", key);
            }
            continue;
        }
        if (!mv->changed)
            nchanged++;
        mv->changed = 1;
        if (i % 400 == 399) {
            assert_dirty_count(nchanged);
            m->reported = 0;
            ck_assert_int_eq(gale_kvstore_take_dirty(st, spm_take_cb, m), 0);
            ck_assert_int_eq(m->bad, 0);
            ck_assert_uint_eq(m->reported, nchanged);
            nchanged = 0;
        }
        if (i % 5000 == 4999) {
            gale_kvstore_set_keygroup(st, -1);
            spm_check_iter(m, kv, -1, 0, 7);
            spm_check_iter(m, op, 8, 8, 8);
            g = (int)(i / 5000 % 8);
            gale_kvstore_set_keygroup(st, g + 2);
            spm_check_iter(m, kv, g, g, g);
        }
    }
    gale_kvstore_stats(st, &stats);
    ck_assert_uint_gt(stats.evicted, 1000);
    ck_assert_uint_gt(stats.loads, 1000);
    ck_assert_uint_gt(stats.written, 1000);
    ck_assert_uint_lt(stats.written, stats.evicted);
    ck_assert_ptr_null(gale_kvstore_spill_error(st));
    free(m);
}
END_TEST

/* Values returned by get stay readable until the next write to the handle
 * or the next set_keygroup, whatever gets and writes to other handles do
 * meanwhile. Under valgrind a dropped or moved entry shows as an invalid
 * read. */
START_TEST(test_spill_borrowed_values_stay)
{
    gale_kv_t *kv = gale_kvstore_keyed(st, "b");
    gale_kv_t *other = gale_kvstore_keyed(st, "other");
    const void *held[64];
    unsigned char want[64];
    char key[24];
    size_t i, n, klen;
    int j;

    gale_kvstore_set_keygroup(st, 4);
    for (i = 0; i < 5000; i++) {
        klen = (size_t)snprintf(key, sizeof key, "k%zu", i);
        val64(i, want);
        /* Short values stay inline, long ones go to the heap. */
        ck_assert_int_eq(gale_kv_put(kv, key, klen, want, i % 2 ? 64 : 16), 0);
    }
    checkpoint();
    for (j = 0; j < 64; j++) {
        klen = (size_t)snprintf(key, sizeof key, "k%d", j * 71);
        ck_assert_int_eq(gale_kv_get(kv, key, klen, &held[j], &n), 0);
    }
    /* Reads of every other key (loads, evictions) and writes to another
     * handle (evictions that may compact it). */
    for (i = 0; i < 5000; i++) {
        klen = (size_t)snprintf(key, sizeof key, "k%zu", i);
        ck_assert_int_eq(gale_kv_get(kv, key, klen, &held[63 - (i % 2)], &n), 0);
        klen = (size_t)snprintf(key, sizeof key, "o%zu", i);
        ck_assert_int_eq(gale_kv_put(other, key, klen, want, 64), 0);
        if (i % 500 == 0)
            checkpoint();
    }
    for (j = 0; j < 62; j++) {
        val64((size_t)j * 71, want);
        if (memcmp(held[j], want, j * 71 % 2 ? 64 : 16) != 0)
            ck_abort_msg("borrowed value %d changed", j);
    }
}
END_TEST

/* gets on the handle being iterated (keys on disk) do not disturb the
 * walk: each key is still seen once. */
struct getter {
    gale_kv_t *kv;              /* the handle walked */
    struct keymap m;            /* what the walk saw */
    int bad;                    /* failed gets */
};

static int
getter_cb(void *arg, const void *key, size_t klen, const void *val,
    size_t vlen)
{
    struct getter *g = arg;
    char other[24];
    const void *v;
    size_t n, olen;

    olen = (size_t)snprintf(other, sizeof other, "k%zu",
        (g->m.calls * 37) % g->m.n);
    if (gale_kv_get(g->kv, other, olen, &v, &n) != 0 || n != 40)
        g->bad++;
    return keymap_cb(&g->m, key, klen, val, vlen);
}

START_TEST(test_spill_get_during_iterate)
{
    const size_t nkeys = 3000;
    struct getter g = { gale_kvstore_keyed(st, "d"),
        { calloc(nkeys, 1), nkeys, 0, 0 }, 0 };
    size_t i;

    gale_kvstore_set_keygroup(st, 2);
    for (i = 0; i < nkeys; i++) {
        put40(g.kv, i);
        if (i % 100 == 99)
            checkpoint();
    }
    ck_assert_int_eq(gale_kv_iterate(g.kv, getter_cb, &g), 0);
    ck_assert_int_eq(g.bad, 0);
    ck_assert_int_eq(g.m.bad, 0);
    ck_assert_uint_eq(g.m.calls, nkeys);
    free(g.m.seen);
}
END_TEST

START_TEST(test_spill_old_contents_destroyed)
{
    gale_kvstore_t *s;
    gale_kv_t *kv;
    leveldb_options_t *o = leveldb_options_create();
    leveldb_t *db;
    char *lerr = NULL, dir[128];
    /* [key group 2]["m"\0]["ghost"] */
    const char ghost[] = "\0\2m\0ghost";
    size_t count = 0;

    snprintf(dir, sizeof dir, "%s/old", spill_tmp);
    leveldb_options_set_create_if_missing(o, 1);
    db = leveldb_open(o, dir, &lerr);
    ck_assert_ptr_null(lerr);
    leveldb_writeoptions_t *wo = leveldb_writeoptions_create();
    leveldb_put(db, wo, ghost, sizeof ghost - 1, "x", 1, &lerr);
    ck_assert_ptr_null(lerr);
    leveldb_writeoptions_destroy(wo);
    leveldb_close(db);
    leveldb_options_destroy(o);

    s = gale_kvstore_new(16, 2, 9);
    ck_assert_int_eq(gale_kvstore_set_spill(s, dir, 1, NULL), 0);
    kv = gale_kvstore_keyed(s, "m");
    gale_kvstore_set_keygroup(s, 2);
    ck_assert_int_eq(gale_kv_put(kv, "real", 4, "1", 1), 0);
    ck_assert_int_eq(gale_kvstore_take_dirty(s, noop_cb, &count), 0);
    ck_assert_int_eq(gale_kv_put(kv, "real2", 5, "2", 1), 0);
    ck_assert_int_eq(gale_kvstore_take_dirty(s, noop_cb, &count), 0);
    ck_assert_int_eq(gale_kv_put(kv, "real3", 5, "3", 1), 0);
    count = 0;
    ck_assert_int_eq(gale_kv_iterate(kv, count_cb, &count), 0);
    ck_assert_uint_eq(count, 3);
    ck_assert_int_eq(gale_kv_get(kv, "ghost", 5, &(const void *){ NULL },
        &count), -ENOENT);
    gale_kvstore_destroy(&s);
    ck_assert_int_eq(access(dir, F_OK), -1);
}
END_TEST

START_TEST(test_spill_bad_arguments)
{
    gale_kvstore_t *s = gale_kvstore_new(16, 2, 9);
    gale_kvstore_t *wide = gale_kvstore_new(65536, 0, 65535);
    char *cause = NULL, file[128], under[160];
    FILE *f;
    int rc;

    ck_assert_int_eq(gale_kvstore_set_spill(s, "/tmp/x", 0, &cause), -EINVAL);
    ck_assert_str_eq(cause,
        "spill store /tmp/x: the memory cap must be at least 1 byte");
    free(cause);
    ck_assert_int_eq(gale_kvstore_set_spill(wide, "/tmp/x", 1, &cause),
        -EINVAL);
    ck_assert_str_eq(cause, "spill store /tmp/x: max_parallelism above "
        "65534 collides with the spill's operator state and marks");
    free(cause);
    /* A parent that is a file. */
    snprintf(file, sizeof file, "%s/file", spill_tmp);
    ck_assert_ptr_nonnull(f = fopen(file, "w"));
    fclose(f);
    snprintf(under, sizeof under, "%s/sub/db", file);
    rc = gale_kvstore_set_spill(s, under, 1, &cause);
    ck_assert_int_eq(rc, -ENOTDIR);
    ck_assert_ptr_nonnull(strstr(cause, "creating its parent"));
    free(cause);
    snprintf(under, sizeof under, "%s/db", file);
    ck_assert_int_eq(gale_kvstore_set_spill(s, under, 1, &cause), -EIO);
    ck_assert_ptr_nonnull(strstr(cause, under));
    free(cause);
    /* The store still works, without a spill. */
    gale_kvstore_set_keygroup(s, 2);
    ck_assert_int_eq(gale_kv_put(gale_kvstore_keyed(s, "m"), "k", 1, "v", 1),
        0);
    ck_assert_int_eq(unlink(file), 0);
    gale_kvstore_destroy(&s);
    gale_kvstore_destroy(&wide);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("kvstate");
    TCase *tc = tcase_create("core");
    TCase *big = tcase_create("big");
    TCase *sc = tcase_create("spill-core");
    TCase *sp = tcase_create("spill");
    TCase *s1m = tcase_create("spill-1m");
    TCase *s16k = tcase_create("spill-16k");
    TCase *s64k = tcase_create("spill-64k");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_get_missing_is_enoent);
    tcase_add_test(tc, test_near_keys_stay_distinct);
    tcase_add_test(tc, test_put_get_replace);
    tcase_add_test(tc, test_delete);
    tcase_add_test(tc, test_binary_and_empty_keys);
    tcase_add_test(tc, test_add_i64);
    tcase_add_test(tc, test_same_key_two_keygroups);
    tcase_add_test(tc, test_scope_minus_one);
    tcase_add_test(tc, test_operator_state_ignores_keygroups);
    tcase_add_test(tc, test_handles_by_name);
    tcase_add_test(tc, test_take_dirty_exact_then_nothing);
    tcase_add_test(tc, test_take_dirty_failure_keeps_changes);
    tcase_add_test(tc, test_forgotten_entries_are_reused);
    tcase_add_test(tc, test_value_sizes);
    tcase_add_test(tc, test_put_with_borrowed_value);
    tcase_add_test(tc, test_iterate_stops);
    tcase_add_test(tc, test_empty_range_store);
    suite_add_tcase(s, tc);
    /* Workloads large enough to need more than the default timeout under
     * valgrind. */
    tcase_add_checked_fixture(big, setup, teardown);
    tcase_set_timeout(big, 300);
    tcase_add_test(big, test_growth_past_a_million_keys);
    tcase_add_test(big, test_random_against_model);
    suite_add_tcase(s, big);
    /* The core tests again, every clean entry evicted at each write. */
    tcase_add_checked_fixture(sc, setup_spill_1, teardown_spill);
    tcase_set_timeout(sc, 300);
    tcase_add_test(sc, test_get_missing_is_enoent);
    tcase_add_test(sc, test_put_get_replace);
    tcase_add_test(sc, test_delete);
    tcase_add_test(sc, test_binary_and_empty_keys);
    tcase_add_test(sc, test_add_i64);
    tcase_add_test(sc, test_same_key_two_keygroups);
    tcase_add_test(sc, test_scope_minus_one);
    tcase_add_test(sc, test_operator_state_ignores_keygroups);
    tcase_add_test(sc, test_handles_by_name);
    tcase_add_test(sc, test_take_dirty_exact_then_nothing);
    tcase_add_test(sc, test_take_dirty_failure_keeps_changes);
    tcase_add_test(sc, test_value_sizes);
    tcase_add_test(sc, test_put_with_borrowed_value);
    tcase_add_test(sc, test_iterate_stops);
    tcase_add_test(sc, test_random_against_model);
    suite_add_tcase(s, sc);
    tcase_add_checked_fixture(sp, setup_spill_1, teardown_spill);
    tcase_set_timeout(sp, 300);
    tcase_add_test(sp, test_spill_delete_spilled_keys);
    tcase_add_test(sp, test_spill_borrowed_values_stay);
    tcase_add_test(sp, test_spill_get_during_iterate);
    tcase_add_test(sp, test_spill_old_contents_destroyed);
    tcase_add_test(sp, test_spill_bad_arguments);
    suite_add_tcase(s, sp);
    tcase_add_checked_fixture(s1m, setup_spill_1m, teardown_spill);
    tcase_set_timeout(s1m, 600);
    tcase_add_test(s1m, test_spill_200k_values_exact);
    tcase_add_test(s1m, test_spill_cap_holds_while_all_dirty);
    suite_add_tcase(s, s1m);
    tcase_add_checked_fixture(s16k, setup_spill_16k, teardown_spill);
    tcase_set_timeout(s16k, 600);
    tcase_add_test(s16k, test_spill_random_against_model);
    suite_add_tcase(s, s16k);
    tcase_add_checked_fixture(s64k, setup_spill_64k, teardown_spill);
    tcase_set_timeout(s64k, 600);
    tcase_add_test(s64k, test_spill_zipf_counts_exact);
    suite_add_tcase(s, s64k);
    sr = srunner_create(s);
    /* An assert kills the process, so only a forked test can expect it. */
    if (srunner_fork_status(sr) != CK_NOFORK) {
        TCase *death = tcase_create("death");

        tcase_add_checked_fixture(death, setup, teardown);
        tcase_add_test_raise_signal(death, test_keygroup_out_of_range_asserts,
            SIGABRT);
        suite_add_tcase(s, death);
    }
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
