/* check_kvstate.c - keyed and operator state in memory (engine/kvstate). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/kvstate.h"

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

START_TEST(test_take_dirty_exact_then_nothing)
{
    gale_kv_t *kv = gale_kvstore_keyed(st, "m");
    gale_kv_t *op = gale_kvstore_operator(st, "o");
    int64_t out;

    ck_assert_uint_eq(gale_kvstore_dirty_count(st), 0);
    assert_take("");
    gale_kvstore_set_keygroup(st, 2);
    ck_assert_int_eq(put_s(kv, "a", "1"), 0);
    ck_assert_int_eq(put_s(kv, "a", "2"), 0);
    ck_assert_int_eq(put_s(kv, "b", "1"), 0);
    ck_assert_int_eq(put_s(kv, "c", "1"), 0);
    ck_assert_int_eq(gale_kv_add_i64(kv, "n", 1, 1, &out), 0);
    ck_assert_int_eq(gale_kv_add_i64(kv, "n", 1, 1, &out), 0);
    ck_assert_int_eq(put_s(op, "pos", "7"), 0);
    ck_assert_uint_eq(gale_kvstore_dirty_count(st), 5);
    /* Reads and deletes of absent keys change nothing. */
    assert_val(kv, "a", "2");
    ck_assert_int_eq(gale_kv_delete(kv, "zz", 2), 0);
    ck_assert_uint_eq(gale_kvstore_dirty_count(st), 5);
    assert_take("-1/o/pos=7 2/m/a=2 2/m/b=1 2/m/c=1 2/m/n=#2");
    ck_assert_uint_eq(gale_kvstore_dirty_count(st), 0);
    assert_take("");
    /* Only what changed since, deletions once. */
    ck_assert_int_eq(gale_kv_delete(kv, "b", 1), 0);
    ck_assert_int_eq(gale_kv_add_i64(kv, "n", 1, 1, &out), 0);
    gale_kvstore_set_keygroup(st, 8);
    ck_assert_int_eq(put_s(kv, "a", "x"), 0);
    ck_assert_uint_eq(gale_kvstore_dirty_count(st), 3);
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
    ck_assert_uint_eq(gale_kvstore_dirty_count(st), 2);
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
            ck_assert_uint_eq(gale_kvstore_dirty_count(st), nchanged);
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

int
main(void)
{
    Suite *s = suite_create("kvstate");
    TCase *tc = tcase_create("core");
    TCase *big = tcase_create("big");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_get_missing_is_enoent);
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
