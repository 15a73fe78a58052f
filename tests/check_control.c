/* check_control.c - the encoding of control messages (engine/wire/control.h). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/wire/control.h"

START_TEST(test_ctl_round_trip_every_type)
{
    static const uint32_t types[] = { GALE_CTL_STOP, GALE_CTL_EXIT,
        GALE_CTL_CHECKPOINT, GALE_CTL_COMPLETE, GALE_CTL_DECLINE,
        GALE_CTL_ACTIVATE, GALE_CTL_DEACTIVATE };
    uint8_t buf[GALE_CTL_MSG_SIZE];
    size_t i;

    for (i = 0; i < sizeof types / sizeof types[0]; i++) {
        gale_ctl_msg_t m = { .type = types[i], .arg = UINT64_MAX - i }, d;

        ck_assert_uint_eq(gale_ctl_msg_encode(&m, buf), GALE_CTL_MSG_SIZE);
        memset(&d, 0xff, sizeof d);
        ck_assert_int_eq(gale_ctl_msg_decode(buf, sizeof buf, &d), 0);
        ck_assert_uint_eq(d.type, m.type);
        ck_assert_uint_eq(d.arg, m.arg);
        ck_assert_uint_eq(d.pad, 0);
    }
}
END_TEST

START_TEST(test_ctl_bytes_fixed)
{
    static const uint8_t want[GALE_CTL_MSG_SIZE] = { 0x01, 0x03,
        0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01 };
    gale_ctl_msg_t m = { .type = GALE_CTL_CHECKPOINT,
        .arg = 0x0102030405060708ull };
    uint8_t buf[GALE_CTL_MSG_SIZE];

    gale_ctl_msg_encode(&m, buf);
    ck_assert_mem_eq(buf, want, sizeof want);
}
END_TEST

START_TEST(test_hdr_bytes_fixed)
{
    static const uint8_t want[GALE_REPORT_HDR_SIZE] = { 0x01, 0x04,
        0xfe, 0xff, 0xff, 0xff,                 /* exec -2 */
        0x03, 0x00, 0x00, 0x00,                 /* ntasks 3 */
        0x04, 0x03, 0x02, 0x01,                 /* epoch */
        0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80 };
    gale_report_hdr_t h = { .type = GALE_REPORT_ACK, .exec = -2, .ntasks = 3,
        .epoch = 0x01020304, .arg = 0x8000000000000005ull }, d;
    uint8_t buf[GALE_REPORT_HDR_SIZE];

    ck_assert_uint_eq(gale_report_hdr_encode(&h, buf), sizeof want);
    ck_assert_mem_eq(buf, want, sizeof want);
    ck_assert_int_eq(gale_report_hdr_decode(buf, sizeof buf, &d), 0);
    ck_assert_int_eq(d.exec, -2);
}
END_TEST

START_TEST(test_hdr_round_trip_every_type)
{
    static const uint32_t types[] = { GALE_REPORT_STATS, GALE_REPORT_DONE,
        GALE_REPORT_FAILED, GALE_REPORT_ACK, GALE_REPORT_NOTIFIED };
    uint8_t buf[GALE_REPORT_HDR_SIZE];
    size_t i;

    for (i = 0; i < sizeof types / sizeof types[0]; i++) {
        gale_report_hdr_t h = { .type = types[i], .exec = (int32_t)i * 1000,
            .ntasks = (uint32_t)i + 7, .epoch = UINT32_MAX - (uint32_t)i,
            .arg = 0x1122334455667788ull + i }, d;

        ck_assert_uint_eq(gale_report_hdr_encode(&h, buf), sizeof buf);
        ck_assert_int_eq(gale_report_hdr_decode(buf, sizeof buf, &d), 0);
        ck_assert_mem_eq(&d, &h, sizeof h);
    }
}
END_TEST

START_TEST(test_ack_round_trip)
{
    gale_report_ack_t a = { .task = 42, .ckpt = 9, .bytes = 1ull << 40,
        .align_ns = 123456789, .sync_ns = UINT64_MAX }, d;
    uint8_t buf[GALE_REPORT_ACK_SIZE];

    ck_assert_uint_eq(gale_report_ack_encode(&a, buf), sizeof buf);
    ck_assert_uint_eq(buf[0], GALE_CONTROL_VERSION);
    ck_assert_uint_eq(buf[1], 42);
    ck_assert_int_eq(gale_report_ack_decode(buf, sizeof buf, &d), 0);
    ck_assert_mem_eq(&d, &a, sizeof a);
}
END_TEST

START_TEST(test_tasks_round_trip)
{
    gale_report_task_t t[3], *d = NULL;
    uint8_t buf[GALE_REPORT_TASKS_SIZE(3)];
    size_t n = 99, i;

    memset(t, 0, sizeof t);
    for (i = 0; i < 3; i++) {
        t[i].task = (int32_t)i + 1;
        t[i].emitted = 10 * i + 1;
        t[i].transferred = 10 * i + 2;
        t[i].executed = 10 * i + 3;
        t[i].exec_ns = UINT64_MAX - i;
        t[i].errors = i;
        t[i].watermark_ms = i == 0 ? INT64_MIN : i == 1 ? -5 : INT64_MAX;
        t[i].state_bytes = 1000 + i;
        t[i].spilled = 7 * i;
    }
    ck_assert_uint_eq(gale_report_tasks_encode(t, 3, buf), sizeof buf);
    ck_assert_uint_eq(sizeof buf, 1 + 3 * 68);
    ck_assert_int_eq(gale_report_tasks_decode(buf, sizeof buf, &d, &n), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_mem_eq(d, t, sizeof t);
    free(d);
    /* No entries: the version byte alone. */
    ck_assert_uint_eq(gale_report_tasks_encode(t, 0, buf), 1);
    ck_assert_int_eq(gale_report_tasks_decode(buf, 1, &d, &n), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(d);
}
END_TEST

START_TEST(test_truncated_rejected)
{
    gale_ctl_msg_t m = { .type = GALE_CTL_STOP, .arg = 1 }, dm;
    gale_report_hdr_t h = { .type = GALE_REPORT_DONE }, dh;
    gale_report_ack_t a = { .task = 1 }, da;
    gale_report_task_t t = { .task = 1 }, *dt = NULL;
    uint8_t cb[GALE_CTL_MSG_SIZE + 1], hb[GALE_REPORT_HDR_SIZE + 1];
    uint8_t ab[GALE_REPORT_ACK_SIZE + 1], tb[GALE_REPORT_TASKS_SIZE(1) + 1];
    size_t len, n;

    gale_ctl_msg_encode(&m, cb);
    gale_report_hdr_encode(&h, hb);
    gale_report_ack_encode(&a, ab);
    gale_report_tasks_encode(&t, 1, tb);
    cb[sizeof cb - 1] = hb[sizeof hb - 1] = ab[sizeof ab - 1] = 0;
    tb[sizeof tb - 1] = 0;
    /* Every shorter length, and one byte too many. */
    for (len = 0; len < GALE_CTL_MSG_SIZE; len++)
        ck_assert_int_eq(gale_ctl_msg_decode(cb, len, &dm), -EMSGSIZE);
    ck_assert_int_eq(gale_ctl_msg_decode(cb, sizeof cb, &dm), -EMSGSIZE);
    for (len = 0; len < GALE_REPORT_HDR_SIZE; len++)
        ck_assert_int_eq(gale_report_hdr_decode(hb, len, &dh), -EMSGSIZE);
    ck_assert_int_eq(gale_report_hdr_decode(hb, sizeof hb, &dh), -EMSGSIZE);
    for (len = 0; len < GALE_REPORT_ACK_SIZE; len++)
        ck_assert_int_eq(gale_report_ack_decode(ab, len, &da), -EMSGSIZE);
    ck_assert_int_eq(gale_report_ack_decode(ab, sizeof ab, &da), -EMSGSIZE);
    ck_assert_int_eq(gale_report_tasks_decode(tb, 0, &dt, &n), -EMSGSIZE);
    for (len = 2; len < GALE_REPORT_TASKS_SIZE(1); len++)
        ck_assert_int_eq(gale_report_tasks_decode(tb, len, &dt, &n),
            -EMSGSIZE);
    ck_assert_int_eq(gale_report_tasks_decode(tb, sizeof tb, &dt, &n),
        -EMSGSIZE);
    ck_assert_ptr_null(dt);
}
END_TEST

START_TEST(test_truncated_reads_in_bounds)
{
    gale_report_hdr_t h = { .type = GALE_REPORT_STATS, .arg = 7 }, d;
    uint8_t full[GALE_REPORT_HDR_SIZE];
    size_t len;

    /* Each prefix is copied to a buffer of exactly its length, so that a
     * read past it is a heap overflow (valgrind, ASan). */
    gale_report_hdr_encode(&h, full);
    for (len = 1; len < sizeof full; len++) {
        uint8_t *p = malloc(len);

        memcpy(p, full, len);
        ck_assert_int_eq(gale_report_hdr_decode(p, len, &d), -EMSGSIZE);
        free(p);
    }
}
END_TEST

START_TEST(test_wrong_version_rejected)
{
    gale_ctl_msg_t m = { .type = GALE_CTL_EXIT }, dm = { .type = 77 };
    gale_report_hdr_t h = { .type = GALE_REPORT_DONE }, dh = { .type = 77 };
    gale_report_ack_t a = { .task = 1 }, da;
    gale_report_task_t t = { .task = 1 }, *dt = NULL;
    uint8_t cb[GALE_CTL_MSG_SIZE], hb[GALE_REPORT_HDR_SIZE];
    uint8_t ab[GALE_REPORT_ACK_SIZE], tb[GALE_REPORT_TASKS_SIZE(1)];
    size_t n;

    gale_ctl_msg_encode(&m, cb);
    gale_report_hdr_encode(&h, hb);
    gale_report_ack_encode(&a, ab);
    gale_report_tasks_encode(&t, 1, tb);
    cb[0] = hb[0] = ab[0] = tb[0] = GALE_CONTROL_VERSION + 1;
    ck_assert_int_eq(gale_ctl_msg_decode(cb, sizeof cb, &dm), -EPROTO);
    ck_assert_uint_eq(dm.type, 77);
    ck_assert_int_eq(gale_report_hdr_decode(hb, sizeof hb, &dh), -EPROTO);
    ck_assert_uint_eq(dh.type, 77);
    ck_assert_int_eq(gale_report_ack_decode(ab, sizeof ab, &da), -EPROTO);
    ck_assert_int_eq(gale_report_tasks_decode(tb, sizeof tb, &dt, &n), -EPROTO);
    ck_assert_ptr_null(dt);
    /* Version 0: what a raw struct of an older build starts with. */
    cb[0] = 0;
    ck_assert_int_eq(gale_ctl_msg_decode(cb, sizeof cb, &dm), -EPROTO);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("control");
    TCase *tc = tcase_create("core");
    SRunner *sr = srunner_create(s);
    int failed;

    tcase_add_test(tc, test_ctl_round_trip_every_type);
    tcase_add_test(tc, test_ctl_bytes_fixed);
    tcase_add_test(tc, test_hdr_bytes_fixed);
    tcase_add_test(tc, test_hdr_round_trip_every_type);
    tcase_add_test(tc, test_ack_round_trip);
    tcase_add_test(tc, test_tasks_round_trip);
    tcase_add_test(tc, test_truncated_rejected);
    tcase_add_test(tc, test_truncated_reads_in_bounds);
    tcase_add_test(tc, test_wrong_version_rejected);
    suite_add_tcase(s, tc);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
