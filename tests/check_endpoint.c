/* check_endpoint.c - the control plane's endpoint names. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>

#include "engine/net/endpoint.h"

START_TEST(test_ipc_appends)
{
    char buf[64];

    ck_assert_int_eq(gale_endpoint(buf, sizeof buf, "ipc://@gale-1-2-3/",
        "ctl/4"), 0);
    ck_assert_str_eq(buf, "ipc://@gale-1-2-3/ctl/4");
    ck_assert_int_eq(gale_endpoint(buf, sizeof buf, "inproc://x/", "report"), 0);
    ck_assert_str_eq(buf, "inproc://x/report");
    ck_assert_int_eq(gale_endpoint(buf, 8, "inproc://x/", "report"), -ENOSPC);
}
END_TEST

START_TEST(test_tcp_ports)
{
    char buf[64];

    ck_assert_int_eq(gale_endpoint(buf, sizeof buf, "tcp://10.0.0.1:7200/",
        "report"), 0);
    ck_assert_str_eq(buf, "tcp://10.0.0.1:7200");
    ck_assert_int_eq(gale_endpoint(buf, sizeof buf, "tcp://10.0.0.1:7200/",
        "lease"), 0);
    ck_assert_str_eq(buf, "tcp://10.0.0.1:7201");
    ck_assert_int_eq(gale_endpoint(buf, sizeof buf, "tcp://10.0.0.1:7200/",
        "ctl/0"), 0);
    ck_assert_str_eq(buf, "tcp://10.0.0.1:7202");
    ck_assert_int_eq(gale_endpoint(buf, sizeof buf, "tcp://[::1]:7200/",
        "ctl/13"), 0);
    ck_assert_str_eq(buf, "tcp://[::1]:7215");
}
END_TEST

START_TEST(test_tcp_refusals)
{
    char buf[64];

    /* Names without a port, malformed prefixes, ports past 65535. */
    ck_assert_int_eq(gale_endpoint(buf, sizeof buf, "tcp://h:7200/", "writer"),
        -EINVAL);
    ck_assert_int_eq(gale_endpoint(buf, sizeof buf, "tcp://h:7200/", "ctl/x"),
        -EINVAL);
    ck_assert_int_eq(gale_endpoint(buf, sizeof buf, "tcp://h:7200", "report"),
        -EINVAL);
    ck_assert_int_eq(gale_endpoint(buf, sizeof buf, "tcp://h/", "report"),
        -EINVAL);
    ck_assert_int_eq(gale_endpoint(buf, sizeof buf, "tcp://h:0/", "report"),
        -EINVAL);
    ck_assert_int_eq(gale_endpoint(buf, sizeof buf, "tcp://h:65535/", "lease"),
        -EINVAL);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("endpoint");
    TCase *tc = tcase_create("names");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_ipc_appends);
    tcase_add_test(tc, test_tcp_ports);
    tcase_add_test(tc, test_tcp_refusals);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
