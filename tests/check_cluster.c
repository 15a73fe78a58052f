/* check_cluster.c - the cluster config file (engine/net/cluster.c) and
 * a process's network security (engine/net/netsec.c) over tcp on
 * 127.0.0.1.
 *
 * netsec's configuration is per process; Check runs each test in a
 * process of its own (CK_FORK), so each test initialises it afresh.
 * No assertion is about time: a refusal is shown by the ZAP handler's
 * counter (waited for, up to a generous bound), and only then is the
 * server polled briefly to show that nothing got through. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "common/fs.h"
#include "engine/net/cluster.h"
#include "engine/net/netsec.h"
#include "engine/net/security.h"

#define WAIT_MS 10000
#define QUIET_MS 300

static char dir[64];

static void
setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/check_cluster.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
    gale_netsec_clear();
    gale_rm_rf(dir);
}

/* Writes text to dir/name; returns the path (static buffer). */
static const char *
write_file(const char *name, const char *text)
{
    static char path[256];
    FILE *fp;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    fputs(text, fp);
    fclose(fp);
    return path;
}

/* Makes key pair name in dir/sub (made when missing). */
static void
make_key(const char *sub, const char *name, gale_security_keypair_t *kp)
{
    char path[256], *cause = NULL;

    snprintf(path, sizeof path, "%s/%s", dir, sub);
    ck_assert_int_eq(gale_mkdir_p(path), 0);
    ck_assert_int_eq(gale_security_keypair_generate(kp), 0);
    ck_assert_msg(gale_security_keypair_write(path, name, kp, &cause) == 0,
        "%s", cause);
}

/* Loads text as a cluster file and returns the error (caller frees). */
static char *
load_error(const char *text)
{
    char *cause = NULL;
    gale_cluster_t *c = gale_cluster_load(write_file("c.cfg", text), &cause);

    ck_assert_ptr_null(c);
    ck_assert_ptr_nonnull(cause);
    return cause;
}

START_TEST(test_load_defaults_and_members)
{
    char *cause = NULL, *ep;
    gale_cluster_t *c;

    c = gale_cluster_load(write_file("c.cfg",
        "security = \"none\";\n"
        "nimbus = { host = \"10.0.0.1\"; };\n"
        "supervisors = ( { name = \"a\"; host = \"10.0.0.2\"; },\n"
        "                { name = \"b\"; host = \"fd00::3\"; port = 6801; } );\n"),
        &cause);
    ck_assert_msg(c != NULL, "%s", cause);
    ck_assert_int_eq(c->security, GALE_SECURITY_NONE);
    ck_assert_int_eq(c->nimbus.port, 6627);
    ck_assert_str_eq(c->nimbus.key, "nimbus");
    ck_assert_int_eq(c->nsups, 2);
    ck_assert_int_eq(c->sups[0].port, 6700);
    ck_assert_str_eq(c->sups[0].key, "a");
    ck_assert_int_eq(c->sups[1].port, 6801);
    ck_assert_int_eq(c->supervisor_timeout_ms, 3000);
    ck_assert_int_eq(c->ports_first, 7000);
    ck_assert_ptr_eq(gale_cluster_sup(c, "b"), &c->sups[1]);
    ck_assert_ptr_null(gale_cluster_sup(c, "z"));
    ep = gale_cluster_endpoint(&c->sups[1]);
    ck_assert_str_eq(ep, "tcp://[fd00::3]:6801");
    free(ep);
    ep = gale_cluster_endpoint(&c->nimbus);
    ck_assert_str_eq(ep, "tcp://10.0.0.1:6627");
    free(ep);
    gale_cluster_destroy(&c);
    ck_assert_ptr_null(c);
}
END_TEST

START_TEST(test_load_errors_name_file_and_line)
{
    char *e, want[300];

    e = load_error("nimbus = { host = \"h\"; };\nsupervisors = ( { name = \"a\"; "
        "host = \"x\"; } );\nsecurity = \"none\";\nbogus = 1;\n");
    snprintf(want, sizeof want, "%s/c.cfg:4: unknown setting `bogus`", dir);
    ck_assert_msg(strncmp(e, want, strlen(want)) == 0, "%s", e);
    free(e);
    e = load_error("security = \"tls\";\n");
    ck_assert_msg(strstr(e, "c.cfg:1: `security` must be \"curve\" or "
        "\"none\"") != NULL, "%s", e);
    free(e);
    e = load_error("security = \"none\";\nnimbus = { host = \"h\"; };\n");
    ck_assert_msg(strstr(e, "needs a list `supervisors") != NULL, "%s", e);
    free(e);
    e = load_error("security = \"none\";\nnimbus = { host = \"h\"; };\n"
        "supervisors = ( { name = \"a\"; host = \"x\"; },\n"
        "  { name = \"a\"; host = \"y\"; } );\n");
    ck_assert_msg(strstr(e, "c.cfg:4: supervisor `a` is listed twice") != NULL,
        "%s", e);
    free(e);
    e = load_error("security = \"none\";\nnimbus = { host = \"h\"; };\n"
        "supervisors = ( { name = \"a\"; host = \"x\"; port = 70000; } );\n");
    ck_assert_msg(strstr(e, "`port` = 70000 is out of range") != NULL, "%s", e);
    free(e);
    /* curve reads every member's public key. */
    e = load_error("keys = \"k\";\nnimbus = { host = \"h\"; };\n"
        "supervisors = ( { name = \"a\"; host = \"x\"; } );\n");
    ck_assert_msg(strstr(e, "nimbus's public key") != NULL, "%s", e);
    free(e);
    e = load_error("nimbus = { host = \"h\"; ");
    ck_assert_msg(strstr(e, "c.cfg:1: ") != NULL, "%s", e);
    free(e);
}
END_TEST

/* A cluster of nimbus and host a with keys in dir/keys; rogue's pair is
 * made outside it. */
static gale_cluster_t *
curve_cluster(gale_security_keypair_t *nimbus, gale_security_keypair_t *a,
    gale_security_keypair_t *rogue)
{
    gale_cluster_t *c;
    char *cause = NULL;

    make_key("keys", "nimbus", nimbus);
    make_key("keys", "a", a);
    make_key("other", "rogue", rogue);
    c = gale_cluster_load(write_file("c.cfg",
        "keys = \"keys\";\n"
        "nimbus = { host = \"127.0.0.1\"; };\n"
        "supervisors = ( { name = \"a\"; host = \"127.0.0.1\"; } );\n"), &cause);
    ck_assert_msg(c != NULL, "%s", cause);
    ck_assert_str_eq(c->nimbus.public_z85, nimbus->public_z85);
    return c;
}

/* A REP server bound through netsec on an ephemeral port; its endpoint
 * goes to ep. */
static void *
server_on(void *ctx, char *ep, size_t len)
{
    void *s = zmq_socket(ctx, ZMQ_ROUTER);
    int zero = 0;

    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    ck_assert_int_eq(gale_netsec_bind(ctx, s, "tcp://127.0.0.1:*"), 0);
    ck_assert_int_eq(zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &len), 0);
    return s;
}

/* Whether text sent by client c reaches server s (polled up to ms). */
static int
arrives(void *c, void *s, int ms)
{
    zmq_pollitem_t it = { .socket = s, .events = ZMQ_POLLIN };

    zmq_send(c, "hello", 5, ZMQ_DONTWAIT);
    return zmq_poll(&it, 1, ms) > 0;
}

/* Waits until ctx's handler refused at least one handshake. */
static void
wait_refused(void *ctx)
{
    struct timespec ts = { 0, 10 * 1000 * 1000 };
    int i;

    for (i = 0; i < WAIT_MS / 10 && gale_netsec_refused(ctx) == 0; i++)
        nanosleep(&ts, NULL);
    ck_assert_uint_ge(gale_netsec_refused(ctx), 1);
}

START_TEST(test_netsec_listed_key_gets_in)
{
    gale_security_keypair_t n, a, r;
    gale_cluster_t *c = curve_cluster(&n, &a, &r);
    void *ctx = zmq_ctx_new(), *s, *cl;
    char ep[128], *cause = NULL;
    int zero = 0;

    /* This process runs as host a, and talks to "nimbus" (itself). */
    ck_assert_msg(gale_netsec_init(c, "a", &cause) == 0, "%s", cause);
    ck_assert_int_eq(gale_netsec_curve(), 1);
    ck_assert_int_eq(gale_netsec_start(ctx, &cause), 0);
    s = server_on(ctx, ep, sizeof ep);
    cl = zmq_socket(ctx, ZMQ_DEALER);
    zmq_setsockopt(cl, ZMQ_LINGER, &zero, sizeof zero);
    /* The server presents a's key (this process's): connect as to a. */
    ck_assert_int_eq(gale_netsec_connect(cl, ep, "a"), 0);
    ck_assert(arrives(cl, s, WAIT_MS));
    ck_assert_uint_eq(gale_netsec_refused(ctx), 0);
    /* A peer the cluster does not name has no key to expect. */
    ck_assert_int_eq(gale_netsec_connect(cl, ep, "nobody"), -1);
    ck_assert_int_eq(errno, ENOKEY);
    zmq_close(cl);
    zmq_close(s);
    gale_netsec_stop(ctx);
    zmq_ctx_term(ctx);
    gale_cluster_destroy(&c);
}
END_TEST

START_TEST(test_netsec_unlisted_and_keyless_refused)
{
    gale_security_keypair_t n, a, r;
    gale_cluster_t *c = curve_cluster(&n, &a, &r);
    void *ctx = zmq_ctx_new(), *s, *rogue, *bare;
    char ep[128], *cause = NULL;
    int zero = 0;

    ck_assert_msg(gale_netsec_init(c, "a", &cause) == 0, "%s", cause);
    ck_assert_int_eq(gale_netsec_start(ctx, &cause), 0);
    s = server_on(ctx, ep, sizeof ep);
    /* A valid key pair that is not in the keys directory. */
    rogue = zmq_socket(ctx, ZMQ_DEALER);
    zmq_setsockopt(rogue, ZMQ_LINGER, &zero, sizeof zero);
    ck_assert_int_eq(gale_security_client_setup(rogue, &r, a.public_z85), 0);
    ck_assert_int_eq(zmq_connect(rogue, ep), 0);
    zmq_send(rogue, "hello", 5, ZMQ_DONTWAIT);
    wait_refused(ctx);
    ck_assert(!arrives(rogue, s, QUIET_MS));
    zmq_close(rogue);
    /* No keys at all: a plain client. */
    bare = zmq_socket(ctx, ZMQ_DEALER);
    zmq_setsockopt(bare, ZMQ_LINGER, &zero, sizeof zero);
    ck_assert_int_eq(zmq_connect(bare, ep), 0);
    ck_assert(!arrives(bare, s, 2 * QUIET_MS));
    zmq_close(bare);
    zmq_close(s);
    gale_netsec_stop(ctx);
    zmq_ctx_term(ctx);
    gale_cluster_destroy(&c);
}
END_TEST

START_TEST(test_netsec_no_handler_no_bind)
{
    gale_security_keypair_t n, a, r;
    gale_cluster_t *c = curve_cluster(&n, &a, &r);
    void *ctx = zmq_ctx_new(), *s;
    char *cause = NULL;
    int zero = 0;

    ck_assert_msg(gale_netsec_init(c, "nimbus", &cause) == 0, "%s", cause);
    /* Without a running handler a tcp bind would let anyone in: refused.
     * inproc and ipc are not between hosts: plain. */
    s = zmq_socket(ctx, ZMQ_ROUTER);
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    ck_assert_int_eq(gale_netsec_bind(ctx, s, "tcp://127.0.0.1:*"), -1);
    ck_assert_int_eq(gale_netsec_bind(ctx, s, "inproc://check-cluster"), 0);
    zmq_close(s);
    zmq_ctx_term(ctx);
    gale_cluster_destroy(&c);
}
END_TEST

START_TEST(test_netsec_missing_secret)
{
    gale_security_keypair_t n, a, r;
    gale_cluster_t *c = curve_cluster(&n, &a, &r);
    char *cause = NULL;

    ck_assert_int_ne(gale_netsec_init(c, "h9", &cause), 0);
    ck_assert_ptr_nonnull(cause);
    ck_assert_msg(strstr(cause, "h9.key_secret") != NULL, "%s", cause);
    free(cause);
    gale_cluster_destroy(&c);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("cluster");
    TCase *tc = tcase_create("config");
    TCase *ns = tcase_create("netsec");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_load_defaults_and_members);
    tcase_add_test(tc, test_load_errors_name_file_and_line);
    suite_add_tcase(s, tc);
    tcase_add_checked_fixture(ns, setup, teardown);
    tcase_set_timeout(ns, 60);
    tcase_add_test(ns, test_netsec_listed_key_gets_in);
    tcase_add_test(ns, test_netsec_unlisted_and_keyless_refused);
    tcase_add_test(ns, test_netsec_no_handler_no_bind);
    tcase_add_test(ns, test_netsec_missing_secret);
    suite_add_tcase(s, ns);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
