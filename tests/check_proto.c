/* check_proto.c - the protocol definitions: the console's status reply
 * (engine/run/status.c), the supervisor protocol's texts (engine/net/
 * supproto.c) and the nimbus protocol's messages (engine/net/nimproto.c).
 * Each side's sockets are tested in check_supervisor and check_nimbus. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/net/nimproto.h"
#include "engine/net/supproto.h"
#include "engine/run/status.h"

START_TEST(test_status_round_trip)
{
    gale_status_t st = {
        .word = "REBALANCING", .tasks = 12, .workers = 3, .uptime_s = 61,
        .pid = 4242, .emitted = 1000000, .executed = 999999, .last_ckpt = 17,
    }, back;
    char *text = gale_status_format(&st);

    ck_assert_str_eq(text,
        "ok REBALANCING 12 3 61 4242 1000000 999999 17");
    ck_assert_int_eq(gale_status_parse(text, &back), 0);
    ck_assert_str_eq(back.word, st.word);
    ck_assert_uint_eq(back.tasks, st.tasks);
    ck_assert_int_eq(back.workers, st.workers);
    ck_assert(back.uptime_s == 61);
    ck_assert_int_eq(back.pid, st.pid);
    ck_assert_uint_eq(back.emitted, st.emitted);
    ck_assert_uint_eq(back.executed, st.executed);
    ck_assert_uint_eq(back.last_ckpt, st.last_ckpt);
    free(text);
}
END_TEST

START_TEST(test_status_malformed_rejected)
{
    static const char *bad[] = {
        NULL,
        "",
        "ok",
        "error unknown verb",
        "ok ACTIVE",
        "ok ACTIVE 4 1 10 99",                  /* counters missing */
        "ok ACTIVE 4 1 10 99 1 2",
        "ok ACTIVE four 1 10 99 1 2 3",
        "ok ACTIVE 4 1 10 99 1 2 3 extra",
        "ok ACTIVE 4 1 10 99 1 2 3x",
        "ok ABCDEFGHIJKLMNOPQRSTUVWXYZ 4 1 10 99 1 2 3",  /* word too long */
        "okACTIVE 4 1 10 99 1 2 3",
    };
    gale_status_t st;
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&st, 0xff, sizeof st);
        ck_assert_msg(gale_status_parse(bad[i], &st) == -EINVAL,
            "accepted \"%s\"", bad[i] != NULL ? bad[i] : "(null)");
        ck_assert_int_eq(st.pid, 0);
        ck_assert_str_eq(st.word, "");
    }
}
END_TEST

START_TEST(test_supproto_worker_round_trip)
{
    gale_sup_worker_t w[3] = {
        { .topology = "wc", .worker = 2, .epoch = 7, .pid = 100 },
        { .topology = "wc", .worker = 0, .epoch = 7, .pid = 101,
          .exited = 1, .status = 3 },
        { .topology = "a.b-c_d", .worker = 9, .epoch = 4294967295u,
          .pid = 102, .exited = 2, .status = 9 },
    }, back;
    char *item;
    int i, pid = 0;
    char text[32];

    for (i = 0; i < 3; i++) {
        item = gale_supproto_worker_format(&w[i]);
        ck_assert(gale_supproto_worker_parse(item, &back));
        ck_assert_str_eq(back.topology, w[i].topology);
        ck_assert_int_eq(back.worker, w[i].worker);
        ck_assert_uint_eq(back.epoch, w[i].epoch);
        ck_assert_int_eq(back.pid, w[i].pid);
        ck_assert_int_eq(back.exited, w[i].exited);
        ck_assert_int_eq(back.status, w[i].status);
        free(item);
    }
    ck_assert(!gale_supproto_worker_parse("topology=wc worker=1 epoch=2",
        &back));
    ck_assert(!gale_supproto_worker_parse("topology=wc worker=1 epoch=2 "
        "pid=3 state=dozing", &back));
    gale_supproto_spawned_format(text, sizeof text, 4321);
    ck_assert(gale_supproto_spawned_parse(text, &pid));
    ck_assert_int_eq(pid, 4321);
    ck_assert(!gale_supproto_spawned_parse("killed=1", &pid));
}
END_TEST

START_TEST(test_supproto_request)
{
    const char *f[GALE_SUP_F_ARG + 2], *args[] = { "wc", "7" };
    char seq[24];

    ck_assert_int_eq(gale_supproto_request(f, seq, GALE_SUP_KILL, 42, args,
        2), GALE_SUP_KILL_FRAMES);
    ck_assert_str_eq(f[0], "GALE-SUP1");
    ck_assert_str_eq(f[1], "kill");
    ck_assert_str_eq(f[2], "42");
    ck_assert_str_eq(f[3], "wc");
    ck_assert_str_eq(f[4], "7");
    ck_assert_int_eq(gale_supproto_request(f, seq, GALE_SUP_PING, 0, NULL,
        0), GALE_SUP_PING_FRAMES);
    ck_assert_str_eq(f[2], "0");
}
END_TEST

START_TEST(test_supproto_reply)
{
    char *ok[] = { GALE_SUP_MAGIC, GALE_SUP_PING, "12", GALE_SUP_OK,
        "name=h pid=1 workers=0", "item" };
    char *badmagic[] = { "GALE-SUP0", GALE_SUP_PING, "12", GALE_SUP_OK, "" };
    char *badseq[] = { GALE_SUP_MAGIC, GALE_SUP_PING, "x", GALE_SUP_OK, "" };
    char *badstatus[] = { GALE_SUP_MAGIC, GALE_SUP_PING, "1", "fine", "" };
    gale_sup_reply_t r;

    ck_assert(gale_supproto_reply_parse(ok, 6, &r));
    ck_assert_str_eq(r.verb, GALE_SUP_PING);
    ck_assert_uint_eq(r.seq, 12);
    ck_assert(r.ok);
    ck_assert_str_eq(r.text, "name=h pid=1 workers=0");
    ck_assert_int_eq(r.nitems, 1);
    ck_assert_str_eq(r.items[0], "item");
    ck_assert(!gale_supproto_reply_parse(ok, 4, &r));
    ck_assert(!gale_supproto_reply_parse(badmagic, 5, &r));
    ck_assert(!gale_supproto_reply_parse(badseq, 5, &r));
    ck_assert(!gale_supproto_reply_parse(badstatus, 5, &r));
}
END_TEST

START_TEST(test_nimproto_register_round_trip)
{
    gale_nim_register_t reg = { .name = "h1", .host = "10.0.0.11",
        .port = 6700, .pid = 77, .workers = 2 }, back;
    gale_nim_register_buf_t buf;
    const char *f[GALE_NIM_REGISTER_FRAMES];
    char *copy[GALE_NIM_REGISTER_FRAMES];
    int i;

    gale_nimproto_register_frames(&reg, &buf, f);
    for (i = 0; i < GALE_NIM_REGISTER_FRAMES; i++)
        copy[i] = (char *)f[i];
    ck_assert_str_eq(copy[0], GALE_NIMBUS_MAGIC);
    ck_assert_str_eq(copy[1], GALE_NIM_REGISTER);
    ck_assert(gale_nimproto_register_parse(copy, GALE_NIM_REGISTER_FRAMES,
        &back));
    ck_assert_str_eq(back.name, "h1");
    ck_assert_str_eq(back.host, "10.0.0.11");
    ck_assert_int_eq(back.port, 6700);
    ck_assert_int_eq(back.pid, 77);
    ck_assert_int_eq(back.workers, 2);
    ck_assert(!gale_nimproto_register_parse(copy, 6, &back));
    copy[4] = "-1";
    ck_assert(!gale_nimproto_register_parse(copy, 7, &back));
    copy[4] = "67x";
    ck_assert(!gale_nimproto_register_parse(copy, 7, &back));
}
END_TEST

START_TEST(test_nimproto_reply)
{
    char *ok[] = { GALE_NIMBUS_MAGIC, GALE_NIM_OK, "2 topologies" };
    char *err[] = { GALE_NIMBUS_MAGIC, GALE_NIM_ERROR, "no" };
    char *bad[] = { "GALE-SUP1", GALE_NIM_OK, "x" };
    bool isok = false;

    ck_assert(gale_nimproto_reply_parse(ok, 3, &isok));
    ck_assert(isok);
    ck_assert(gale_nimproto_reply_parse(err, 3, &isok));
    ck_assert(!isok);
    ck_assert(!gale_nimproto_reply_parse(ok, 2, &isok));
    ck_assert(!gale_nimproto_reply_parse(bad, 3, &isok));
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("proto");
    TCase *st = tcase_create("status");
    TCase *sup = tcase_create("supproto");
    TCase *nim = tcase_create("nimproto");
    SRunner *sr;
    int failed;

    tcase_add_test(st, test_status_round_trip);
    tcase_add_test(st, test_status_malformed_rejected);
    suite_add_tcase(s, st);
    tcase_add_test(sup, test_supproto_worker_round_trip);
    tcase_add_test(sup, test_supproto_request);
    tcase_add_test(sup, test_supproto_reply);
    suite_add_tcase(s, sup);
    tcase_add_test(nim, test_nimproto_register_round_trip);
    tcase_add_test(nim, test_nimproto_reply);
    suite_add_tcase(s, nim);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
