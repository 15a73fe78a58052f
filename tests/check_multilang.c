/* check_multilang.c - the multilang wire format (framing, JSON <-> values)
 * and child processes (spawn, messages, stderr, EOF, garbage, cwd, env). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/xalloc.h"
#include "compat/multilang/child.h"
#include "compat/multilang/mlproto.h"
#include "engine/wire/valuecodec.h"

/* Long enough for a loaded machine; tests assert content, not time. */
#define WAIT_MS 20000

/* ---- framing ---- */

START_TEST(test_reader_split_feeds)
{
    gale_mlreader_t *r = gale_mlreader_new(1 << 20);
    const char *in = "{\"command\": \"emit\",\n \"tuple\": [\"a\"]}\nend\n"
        "{\"command\":\"sync\"}\nend\r\n";
    char *cause = NULL;
    json_t *m;
    size_t i;
    int got = 0, rc;

    /* Byte by byte: a message appears only once its `end` line is in. */
    for (i = 0; in[i] != '\0'; i++) {
        gale_mlreader_feed(r, in + i, 1);
        while ((rc = gale_mlreader_next(r, &m, &cause)) == 1) {
            got++;
            if (got == 1) {
                ck_assert_str_eq(json_string_value(json_object_get(m,
                    "command")), "emit");
                ck_assert_str_eq(json_string_value(json_array_get(
                    json_object_get(m, "tuple"), 0)), "a");
            } else {
                ck_assert_str_eq(json_string_value(json_object_get(m,
                    "command")), "sync");
            }
            json_decref(m);
        }
        ck_assert_int_eq(rc, 0);
    }
    ck_assert_int_eq(got, 2);
    ck_assert_uint_eq(gale_mlreader_pending(r), 0);
    gale_mlreader_destroy(&r);
    ck_assert_ptr_null(r);
}
END_TEST

START_TEST(test_reader_many_in_one_feed)
{
    gale_mlreader_t *r = gale_mlreader_new(1 << 20);
    const char *in = "{\"pid\": 42}\nend\n\n{\"command\":\"log\",\"msg\":\"h\\u00e9\"}\nend\n{\"comm";
    char *cause = NULL;
    json_t *m;

    gale_mlreader_feed(r, in, strlen(in));
    ck_assert_int_eq(gale_mlreader_next(r, &m, &cause), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(m, "pid")), 42);
    json_decref(m);
    ck_assert_int_eq(gale_mlreader_next(r, &m, &cause), 1);
    ck_assert_str_eq(json_string_value(json_object_get(m, "msg")), "h\xc3\xa9");
    json_decref(m);
    ck_assert_int_eq(gale_mlreader_next(r, &m, &cause), 0);
    ck_assert_ptr_null(m);
    ck_assert_uint_eq(gale_mlreader_pending(r), 6);
    gale_mlreader_destroy(&r);
}
END_TEST

START_TEST(test_reader_garbage)
{
    gale_mlreader_t *r = gale_mlreader_new(1 << 20);
    char *cause = NULL;
    json_t *m;

    /* A stray print: refused at its newline, quoted. */
    gale_mlreader_feed(r, "hello ", 6);
    ck_assert_int_eq(gale_mlreader_next(r, &m, &cause), 0);
    gale_mlreader_feed(r, "w\xc3\xb6rld\x01\n{}\nend\n", 15);
    ck_assert_int_eq(gale_mlreader_next(r, &m, &cause), -EBADMSG);
    ck_assert_str_eq(cause, "not a multilang message (a JSON object and a "
        "line `end`): \"hello w\xc3\xb6rld\\x01\"");
    free(cause);
    /* The stream stays failed. */
    ck_assert_int_eq(gale_mlreader_next(r, &m, &cause), -EBADMSG);
    free(cause);
    gale_mlreader_destroy(&r);
}
END_TEST

START_TEST(test_reader_bad_json)
{
    gale_mlreader_t *r;
    char *cause = NULL;
    json_t *m;

    r = gale_mlreader_new(1 << 20);
    gale_mlreader_feed(r, "{\"command\": emit}\nend\n", 22);
    ck_assert_int_eq(gale_mlreader_next(r, &m, &cause), -EBADMSG);
    ck_assert_ptr_nonnull(strstr(cause, "malformed JSON"));
    ck_assert_ptr_nonnull(strstr(cause, "\"{\"command\": emit}\""));
    free(cause);
    gale_mlreader_destroy(&r);

    r = gale_mlreader_new(1 << 20);
    gale_mlreader_feed(r, "{\"a\":1} {\"b\":2}\nend\n", 20);
    ck_assert_int_eq(gale_mlreader_next(r, &m, &cause), -EBADMSG);
    free(cause);
    gale_mlreader_destroy(&r);

    /* No `end` within the limit. */
    r = gale_mlreader_new(64);
    gale_mlreader_feed(r, "{\"tuple\": [\n", 12);
    ck_assert_int_eq(gale_mlreader_next(r, &m, &cause), 0);
    for (int i = 0; i < 10; i++)
        gale_mlreader_feed(r, "\"xxxxxxxxxx\",\n", 14);
    ck_assert_int_eq(gale_mlreader_next(r, &m, &cause), -EMSGSIZE);
    ck_assert_ptr_nonnull(strstr(cause, "no line `end`"));
    free(cause);
    gale_mlreader_destroy(&r);
}
END_TEST

START_TEST(test_frame)
{
    gale_buf_t b;
    json_t *m = json_pack("{s:s, s:s}", "command", "next", "id", "");
    json_t *ids = json_pack("[i]", 3);

    gale_buf_init(&b, 0);
    ck_assert_int_eq(gale_mlproto_frame(m, &b), 0);
    ck_assert_int_eq(gale_mlproto_frame(ids, &b), 0);
    ck_assert_uint_eq(b.len, strlen("{\"command\":\"next\",\"id\":\"\"}\nend\n[3]\nend\n"));
    ck_assert(memcmp(b.data, "{\"command\":\"next\",\"id\":\"\"}\nend\n[3]\nend\n",
        b.len) == 0);
    gale_buf_release(&b);
    json_decref(m);
    json_decref(ids);
}
END_TEST

/* ---- conversions ---- */

START_TEST(test_from_datum)
{
    static const uint8_t raw[] = { 0, 255 };
    gale_datum_t d;
    json_t *j;

    d = gale_d_str("ok \xe2\x98\x83", 6);
    j = gale_mlproto_from_datum(&d);
    ck_assert_str_eq(json_string_value(j), "ok \xe2\x98\x83");
    json_decref(j);
    /* Bad UTF-8 becomes U+FFFD; an embedded NUL stays. */
    d = gale_d_str("a\xff" "b\0c", 5);
    j = gale_mlproto_from_datum(&d);
    ck_assert_uint_eq(json_string_length(j), 7);
    ck_assert(memcmp(json_string_value(j), "a\xef\xbf\xbd" "b\0c", 7) == 0);
    json_decref(j);
    d = gale_d_bytes(raw, 2);
    j = gale_mlproto_from_datum(&d);
    ck_assert_int_eq(json_integer_value(json_array_get(j, 1)), 255);
    json_decref(j);
    d = gale_d_double(NAN);
    j = gale_mlproto_from_datum(&d);
    ck_assert(json_is_null(j));
    json_decref(j);
    d = gale_d_int(INT64_MIN);
    j = gale_mlproto_from_datum(&d);
    ck_assert(json_integer_value(j) == INT64_MIN);
    json_decref(j);
}
END_TEST

START_TEST(test_value_roundtrip)
{
    const char *text = "{\"n\":[1,2.5,true,null,\"x\"],\"m\":{\"k\":\"v\"}}";
    json_t *j = json_loads(text, 0, NULL), *back;
    gale_value_t *v = gale_mlproto_to_value(j);
    gale_datum_t d;
    gale_buf_t scratch;
    char *s;

    ck_assert_int_eq(v->type, GALE_MAP);
    ck_assert_int_eq(gale_value_map_get(v, "n")->u.list.items[0]->type, GALE_INT);
    ck_assert_int_eq(gale_value_map_get(v, "n")->u.list.items[1]->type, GALE_DOUBLE);
    /* Through a tuple field's datum (wire-encoded MAP) and back. */
    gale_buf_init(&scratch, 0);
    gale_value_to_datum_buf(v, &scratch, &d);
    back = gale_mlproto_from_datum(&d);
    s = json_dumps(back, JSON_COMPACT);
    ck_assert_str_eq(s, text);
    free(s);
    json_decref(back);
    gale_buf_release(&scratch);
    gale_value_destroy(&v);
    json_decref(j);
}
END_TEST

START_TEST(test_excerpt)
{
    char *s = gale_mlproto_excerpt("ab\\c\n\xe6\x97\xa5\xff", 9, 100);

    ck_assert_str_eq(s, "ab\\x5cc\\x0a\xe6\x97\xa5\\xff");
    free(s);
    s = gale_mlproto_excerpt("abcdef", 6, 3);
    ck_assert_str_eq(s, "abc...");
    free(s);
}
END_TEST

/* ---- child processes ---- */

static gale_mlchild_t *
spawn_sh(const char *script, const char *cwd, char *const *env, char **cause)
{
    char *argv[] = { "/bin/sh", "-c", (char *)script, NULL };
    gale_mlchild_cfg_t cfg = { argv, cwd, env, "test[1]", 1 << 20, 0 };

    return gale_mlchild_open(&cfg, cause);
}

START_TEST(test_child_echo_and_eof)
{
    /* Answers the handshake with its pid, echoes one line, exits 7. */
    gale_mlchild_t *c = spawn_sh("read line; read line; echo '{\"pid\":'$$'}'; echo end;"
        " read a; read b; echo \"$a\"; echo end; echo to-stderr >&2; exit 7",
        NULL, NULL, NULL);
    char *cause = NULL;
    json_t *m;
    const char *hs = "{\"pidDir\":\"/tmp\"}\nend\n{\"command\":\"next\"}\nend\n";

    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(gale_mlchild_write(c, hs, strlen(hs), WAIT_MS), 0);
    ck_assert_int_eq(gale_mlchild_read(c, &m, WAIT_MS, &cause), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(m, "pid")),
        gale_mlchild_pid(c));
    json_decref(m);
    ck_assert_int_eq(gale_mlchild_read(c, &m, WAIT_MS, &cause), 1);
    ck_assert_str_eq(json_string_value(json_object_get(m, "command")), "next");
    json_decref(m);
    ck_assert_int_eq(gale_mlchild_read(c, &m, WAIT_MS, &cause), -EPIPE);
    ck_assert_ptr_nonnull(strstr(cause, "exited with status 7"));
    free(cause);
    /* The error stays: every later read says so too. */
    ck_assert_int_eq(gale_mlchild_read(c, &m, 0, &cause), -EPIPE);
    free(cause);
    /* Writing to it fails with -EPIPE, without SIGPIPE killing us. */
    ck_assert_int_eq(gale_mlchild_write(c, hs, strlen(hs), WAIT_MS), -EPIPE);
    gale_mlchild_close(&c);
    ck_assert_ptr_null(c);
}
END_TEST

START_TEST(test_child_garbage)
{
    gale_mlchild_t *c = spawn_sh("echo 'Hello, I am not JSON'; sleep 30", NULL,
        NULL, NULL);
    char *cause = NULL;
    json_t *m;

    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(gale_mlchild_read(c, &m, WAIT_MS, &cause), -EBADMSG);
    ck_assert_ptr_nonnull(strstr(cause, "\"Hello, I am not JSON\""));
    ck_assert_ptr_nonnull(strstr(cause, "is still running"));
    free(cause);
    gale_mlchild_close(&c);     /* kills the sleeping child */
}
END_TEST

START_TEST(test_child_cwd_env)
{
    char *env[] = { "ML_TEST_VAR=h\xc3\xa9llo", "PATH=/nonexistent-ml-dir", NULL };
    gale_mlchild_t *c = spawn_sh("printf '{\"cwd\":\"%s\",\"v\":\"%s\",\"p\":\"%s\"}\\nend\\n'"
        " \"$(pwd)\" \"$ML_TEST_VAR\" \"$PATH\"", "/", env, NULL);
    char *cause = NULL;
    const char *p;
    json_t *m;

    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(gale_mlchild_read(c, &m, WAIT_MS, &cause), 1);
    ck_assert_str_eq(json_string_value(json_object_get(m, "cwd")), "/");
    ck_assert_str_eq(json_string_value(json_object_get(m, "v")), "h\xc3\xa9llo");
    /* PATH is appended to ours, as Storm does. */
    p = json_string_value(json_object_get(m, "p"));
    ck_assert_uint_gt(strlen(p), strlen(":/nonexistent-ml-dir"));
    ck_assert_str_eq(p + strlen(p) - strlen(":/nonexistent-ml-dir"),
        ":/nonexistent-ml-dir");
    json_decref(m);
    gale_mlchild_close(&c);
}
END_TEST

START_TEST(test_child_bounded_queue)
{
    /* 2000 messages, read ahead at most 16 at a time: all arrive, in
     * order, and the queue never holds more than the bound. */
    char *argv[] = { "/bin/sh", "-c", "i=0; while [ $i -lt 2000 ]; do "
        "echo '{\"n\":'$i'}'; echo end; i=$((i + 1)); done", NULL };
    gale_mlchild_cfg_t cfg = { argv, NULL, NULL, "test[1]", 1 << 20, 16 };
    gale_mlchild_t *c = gale_mlchild_open(&cfg, NULL);
    char *cause = NULL;
    json_t *m;
    int i;

    ck_assert_ptr_nonnull(c);
    for (i = 0; i < 2000; i++) {
        ck_assert_uint_le(gale_mlchild_queued(c), 16);
        ck_assert_int_eq(gale_mlchild_read(c, &m, WAIT_MS, &cause), 1);
        ck_assert_int_eq(json_integer_value(json_object_get(m, "n")), i);
        json_decref(m);
    }
    ck_assert_int_eq(gale_mlchild_read(c, &m, WAIT_MS, &cause), -EPIPE);
    free(cause);
    gale_mlchild_close(&c);
}
END_TEST

START_TEST(test_child_write_while_full)
{
    /* The child writes 300 messages of 1 KiB (more than a pipe holds)
     * before it reads its stdin; we write 1 MiB to it before reading
     * anything: with a read-ahead of 4 this completes only because a
     * waiting write lifts the bound. */
    char *argv[] = { "/bin/sh", "-c", "pad=$(printf '%1000s' '' | tr ' ' x); "
        "i=0; while [ $i -lt 300 ]; do "
        "echo '{\"n\":'$i',\"pad\":\"'$pad'\"}'; echo end; i=$((i + 1)); done; "
        "wc -c > /dev/null; echo '{\"done\":1}'; echo end", NULL };
    gale_mlchild_cfg_t cfg = { argv, NULL, NULL, "test[1]", 1 << 20, 4 };
    gale_mlchild_t *c = gale_mlchild_open(&cfg, NULL);
    size_t len = 1 << 20;
    char *big = xmalloc(len), *cause = NULL;
    json_t *m;
    int i;

    ck_assert_ptr_nonnull(c);
    memset(big, 'x', len);
    ck_assert_int_eq(gale_mlchild_write(c, big, len, WAIT_MS), 0);
    free(big);
    for (i = 0; i < 300; i++) {
        ck_assert_int_eq(gale_mlchild_read(c, &m, WAIT_MS, &cause), 1);
        ck_assert_int_eq(json_integer_value(json_object_get(m, "n")), i);
        json_decref(m);
    }
    gale_mlchild_close(&c);
}
END_TEST

START_TEST(test_child_cannot_start)
{
    char *argv[] = { "/nonexistent/prog", NULL };
    gale_mlchild_cfg_t cfg = { argv, NULL, NULL, "test[1]", 0, 0 };
    char *cause = NULL;

    ck_assert_ptr_null(gale_mlchild_open(&cfg, &cause));
    ck_assert_str_eq(cause, "cannot start `/nonexistent/prog`: No such file "
        "or directory");
    free(cause);
    argv[0] = "/bin/sh";
    cfg.cwd = "/nonexistent-dir";
    ck_assert_ptr_null(gale_mlchild_open(&cfg, &cause));
    ck_assert_str_eq(cause, "cannot start `/bin/sh` in /nonexistent-dir: No "
        "such file or directory");
    free(cause);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("multilang");
    TCase *tc = tcase_create("proto");
    TCase *tch = tcase_create("child");
    SRunner *sr = srunner_create(s);
    int failed;

    tcase_add_test(tc, test_reader_split_feeds);
    tcase_add_test(tc, test_reader_many_in_one_feed);
    tcase_add_test(tc, test_reader_garbage);
    tcase_add_test(tc, test_reader_bad_json);
    tcase_add_test(tc, test_frame);
    tcase_add_test(tc, test_from_datum);
    tcase_add_test(tc, test_value_roundtrip);
    tcase_add_test(tc, test_excerpt);
    suite_add_tcase(s, tc);
    tcase_set_timeout(tch, 60);
    tcase_add_test(tch, test_child_echo_and_eof);
    tcase_add_test(tch, test_child_garbage);
    tcase_add_test(tch, test_child_cwd_env);
    tcase_add_test(tch, test_child_bounded_queue);
    tcase_add_test(tch, test_child_write_while_full);
    tcase_add_test(tch, test_child_cannot_start);
    suite_add_tcase(s, tch);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
