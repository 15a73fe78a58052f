/* check_ckptwriter.c - the checkpoint writer thread (engine/checkpoint/
 * ckptwriter): snapshots submitted on a PUSH socket are written in the
 * background, durable under their final name, and acknowledged on the
 * report socket with the submitter's executor, task, checkpoint and the
 * file's real size; a write that fails is reported as FAILED; stop drains
 * the queue first; a submit that cannot be sent frees the snapshot. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zmq.h>

#include "common/xalloc.h"
#include "engine/checkpoint/ckpt.h"
#include "engine/checkpoint/ckptwriter.h"
#include "engine/state/kvstate.h"
#include "engine/wire/control.h"
#include "tests/testutil.h"

#define MAXP 128

static void *zctx;
static char dir[64];
static char prefix[96];             /* inproc, unique per test */
static void *report;                /* PULL: the coordinator's end */
static void *push;                  /* PUSH: an executor's end */
static gale_ckptwriter_t *w;

static void
setup(void)
{
    static int n;
    gale_ckpt_t *c;
    char ep[160], *cause = NULL;
    int linger = 0;

    zctx = zmq_ctx_new();
    strcpy(dir, "/tmp/check_ckptwriter.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    /* The writer writes into a store the coordinator opened (files/). */
    ck_assert_msg((c = gale_ckpt_open(dir, &cause)) != NULL, "%s", cause);
    gale_ckpt_close(&c);
    snprintf(prefix, sizeof prefix, "inproc://ckw-%ld-%d/", (long)getpid(), n++);
    report = zmq_socket(zctx, ZMQ_PULL);
    zmq_setsockopt(report, ZMQ_LINGER, &linger, sizeof linger);
    snprintf(ep, sizeof ep, "%sreport", prefix);
    ck_assert_int_eq(zmq_bind(report, ep), 0);
    push = zmq_socket(zctx, ZMQ_PUSH);
    zmq_setsockopt(push, ZMQ_LINGER, &linger, sizeof linger);
    w = NULL;
}

static void
teardown(void)
{
    gale_ckptwriter_stop(&w);
    ck_assert_ptr_null(w);
    zmq_close(push);
    zmq_close(report);
    zmq_ctx_term(zctx);
    test_rm_tree(dir);
}

/* Starts the writer on dir d and connects the executor's PUSH to it. */
static void
start_writer(const char *d)
{
    char ep[160], *cause = NULL;

    w = gale_ckptwriter_start(zctx, prefix, prefix, d, &cause);
    ck_assert_msg(w != NULL, "start: %s", cause);
    snprintf(ep, sizeof ep, "%swriter", prefix);
    ck_assert_int_eq(zmq_connect(push, ep), 0);
}

/* A snapshot of task/ckpt holding n operator entries "k<i>" = "v<i>-<ckpt>"
 * and one keyed entry in key group 3. */
static gale_snap_t *
make_snap(int task, uint64_t ckpt, int n)
{
    gale_kvstore_t *s = gale_kvstore_new(MAXP, 0, MAXP - 1);
    gale_snap_t *snap;
    char k[32], v[32];
    int i;

    for (i = 0; i < n; i++) {
        snprintf(k, sizeof k, "k%d", i);
        snprintf(v, sizeof v, "v%d-%llu", i, (unsigned long long)ckpt);
        ck_assert_int_eq(gale_kv_put(gale_kvstore_operator(s, "op"), k,
            strlen(k), v, strlen(v)), 0);
    }
    gale_kvstore_set_keygroup(s, 3);
    ck_assert_int_eq(gale_kv_put(gale_kvstore_keyed(s, "keyed"), "word", 4,
        "7", 1), 0);
    gale_kvstore_set_keygroup(s, -1);
    snap = gale_snap_take(s, task, ckpt);
    ck_assert_uint_eq(gale_snap_count(snap), (size_t)n + 1);
    gale_kvstore_destroy(&s);
    return snap;
}

/* Receives one report (waits up to 5 s): its header, then into ack and
 * file (or msg for FAILED). Returns the header type. */
static int
recv_report(gale_report_hdr_t *h, gale_report_ack_t *ack, char *file,
    size_t flen)
{
    zmq_pollitem_t item = { report, 0, ZMQ_POLLIN, 0 };
    uint8_t wire[GALE_REPORT_ACK_SIZE + 1];
    int more = 0, n;
    size_t sz = sizeof more;

    ck_assert_int_eq(zmq_poll(&item, 1, 5000), 1);
    n = zmq_recv(report, wire, sizeof wire, 0);
    ck_assert_int_eq(n, GALE_REPORT_HDR_SIZE);
    ck_assert_int_eq(gale_report_hdr_decode(wire, (size_t)n, h), 0);
    zmq_getsockopt(report, ZMQ_RCVMORE, &more, &sz);
    ck_assert_int_eq(more, 1);
    if (h->type == GALE_REPORT_ACK) {
        n = zmq_recv(report, wire, sizeof wire, 0);
        ck_assert_int_eq(n, GALE_REPORT_ACK_SIZE);
        ck_assert_int_eq(gale_report_ack_decode(wire, (size_t)n, ack), 0);
        zmq_getsockopt(report, ZMQ_RCVMORE, &more, &sz);
        ck_assert_int_eq(more, 1);
    }
    n = zmq_recv(report, file, flen - 1, 0);
    ck_assert_int_gt(n, 0);
    file[n] = '\0';
    zmq_getsockopt(report, ZMQ_RCVMORE, &more, &sz);
    ck_assert_int_eq(more, 0);
    return (int)h->type;
}

/* Size of dir/files/name, or -1. */
static long
file_size(const char *d, const char *name)
{
    char path[512];
    struct stat st;

    snprintf(path, sizeof path, "%s/files/%s", d, name);
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Restores file (task's chain of one) into a fresh store and checks it
 * holds what make_snap(task, ckpt, n) put there. */
static void
check_restores(int task, uint64_t ckpt, const char *file, uint64_t bytes, int n)
{
    gale_ckpt_t *c;
    gale_ckpt_meta_t *m = gale_ckpt_meta_new(ckpt, 1, "t", MAXP);
    gale_ckpt_task_t *t = gale_ckpt_meta_add_task(m, task, "c", 0, 0, MAXP - 1);
    gale_kvstore_t *s = gale_kvstore_new(MAXP, 0, MAXP - 1);
    const void *val;
    size_t vlen;
    char k[32], v[32], *cause = NULL;
    int i;

    gale_ckpt_task_append(t, file, bytes);
    ck_assert_ptr_nonnull(c = gale_ckpt_open(dir, &cause));
    ck_assert_msg(gale_ckpt_restore_task(c, t, s, &cause) == 0, "%s", cause);
    for (i = 0; i < n; i++) {
        snprintf(k, sizeof k, "k%d", i);
        snprintf(v, sizeof v, "v%d-%llu", i, (unsigned long long)ckpt);
        ck_assert_int_eq(gale_kv_get(gale_kvstore_operator(s, "op"), k,
            strlen(k), &val, &vlen), 0);
        ck_assert_uint_eq(vlen, strlen(v));
        ck_assert(memcmp(val, v, vlen) == 0);
    }
    gale_kvstore_set_keygroup(s, 3);
    ck_assert_int_eq(gale_kv_get(gale_kvstore_keyed(s, "keyed"), "word", 4,
        &val, &vlen), 0);
    ck_assert_uint_eq(vlen, 1);
    ck_assert(memcmp(val, "7", 1) == 0);
    gale_kvstore_set_keygroup(s, -1);
    gale_kvstore_destroy(&s);
    gale_ckpt_close(&c);
    gale_ckpt_meta_destroy(&m);
}

START_TEST(test_ack_names_task_ckpt_and_bytes)
{
    gale_report_ack_t in = { .task = 5, .ckpt = 9, .align_ns = 1234,
        .sync_ns = 56 }, ack;
    gale_report_hdr_t h;
    char file[256];

    start_writer(dir);
    ck_assert_int_eq(gale_ckptwriter_submit(push, 2, make_snap(5, 9, 10),
        &in), 0);
    ck_assert_int_eq(recv_report(&h, &ack, file, sizeof file), GALE_REPORT_ACK);
    ck_assert_int_eq(h.exec, 2);
    ck_assert_uint_eq(h.epoch, 0);          /* the writer knows no epoch */
    ck_assert_int_eq(ack.task, 5);
    ck_assert_uint_eq(ack.ckpt, 9);
    ck_assert_uint_eq(ack.align_ns, 1234);  /* passed through */
    ck_assert_uint_eq(ack.sync_ns, 56);
    ck_assert_str_eq(file, "t5-9.delta");
    /* bytes is the durable file's size, and the file is complete. */
    ck_assert_int_gt((long)ack.bytes, 0);
    ck_assert_int_eq(file_size(dir, file), (long)ack.bytes);
    check_restores(5, 9, file, ack.bytes, 10);
}
END_TEST

START_TEST(test_acks_in_submission_order)
{
    gale_report_ack_t in = { 0 }, ack;
    gale_report_hdr_t h;
    char file[256], want[64];
    int i;

    start_writer(dir);
    /* Several executors' snapshots, submitted back to back without
     * waiting: each acknowledged once, in order, under its executor. */
    for (i = 0; i < 6; i++) {
        in.task = 1 + i % 3;
        in.ckpt = 1 + (uint64_t)i / 3;
        ck_assert_int_eq(gale_ckptwriter_submit(push, i % 3,
            make_snap(in.task, in.ckpt, 50 * (i + 1)), &in), 0);
    }
    for (i = 0; i < 6; i++) {
        ck_assert_int_eq(recv_report(&h, &ack, file, sizeof file),
            GALE_REPORT_ACK);
        ck_assert_int_eq(h.exec, i % 3);
        ck_assert_int_eq(ack.task, 1 + i % 3);
        ck_assert_uint_eq(ack.ckpt, 1 + (uint64_t)i / 3);
        snprintf(want, sizeof want, "t%d-%d.delta", 1 + i % 3, 1 + i / 3);
        ck_assert_str_eq(file, want);
        ck_assert_int_eq(file_size(dir, file), (long)ack.bytes);
        check_restores(ack.task, ack.ckpt, file, ack.bytes, 50 * (i + 1));
    }
    /* Bigger snapshots made bigger files. */
    ck_assert_int_gt(file_size(dir, "t3-2.delta"), file_size(dir, "t1-1.delta"));
}
END_TEST

START_TEST(test_stop_drains_queued_jobs)
{
    gale_report_ack_t in = { .task = 4 }, ack;
    gale_report_hdr_t h;
    char file[256], want[64];
    int i;

    start_writer(dir);
    for (i = 1; i <= 20; i++) {
        in.ckpt = (uint64_t)i;
        ck_assert_int_eq(gale_ckptwriter_submit(push, 0, make_snap(4, in.ckpt,
            200), &in), 0);
    }
    /* Stop right away: the jobs already queued are written first. */
    gale_ckptwriter_stop(&w);
    ck_assert_ptr_null(w);
    for (i = 1; i <= 20; i++) {
        snprintf(want, sizeof want, "t4-%d.delta", i);
        ck_assert_int_gt(file_size(dir, want), 0);
        ck_assert_int_eq(recv_report(&h, &ack, file, sizeof file),
            GALE_REPORT_ACK);
        ck_assert_str_eq(file, want);
        ck_assert_uint_eq(ack.ckpt, (uint64_t)i);
    }
}
END_TEST

START_TEST(test_write_failure_reported)
{
    gale_report_ack_t in = { .task = 7, .ckpt = 3 }, ack;
    gale_report_hdr_t h;
    char bad[128], msg[512];
    FILE *fp;

    /* A store whose files/ is a regular file: the write cannot happen. */
    snprintf(bad, sizeof bad, "%s/broken", dir);
    ck_assert_int_eq(mkdir(bad, 0700), 0);
    snprintf(msg, sizeof msg, "%s/files", bad);
    ck_assert_ptr_nonnull(fp = fopen(msg, "w"));
    fclose(fp);
    start_writer(bad);
    ck_assert_int_eq(gale_ckptwriter_submit(push, 1, make_snap(7, 3, 5), &in), 0);
    ck_assert_int_eq(recv_report(&h, &ack, msg, sizeof msg), GALE_REPORT_FAILED);
    ck_assert_int_eq(h.exec, 1);
    ck_assert_msg(strncmp(msg, "task 7: writing checkpoint 3: ",
        strlen("task 7: writing checkpoint 3: ")) == 0,
        "message: %s", msg);
    ck_assert_msg(strstr(msg, strerror(ENOTDIR)) != NULL, "message: %s", msg);
    /* The writer goes on after a failure. */
    in.ckpt = 4;
    ck_assert_int_eq(gale_ckptwriter_submit(push, 1, make_snap(7, 4, 5), &in), 0);
    ck_assert_int_eq(recv_report(&h, &ack, msg, sizeof msg), GALE_REPORT_FAILED);
    ck_assert_ptr_nonnull(strstr(msg, "checkpoint 4"));
}
END_TEST

START_TEST(test_submit_failure_frees_snapshot)
{
    gale_report_ack_t in = { .task = 1, .ckpt = 1 };
    void *sub = zmq_socket(zctx, ZMQ_SUB);

    /* A socket that cannot send: the error comes back, and the snapshot
     * is freed (valgrind's leak check holds this test to that). */
    ck_assert_int_eq(gale_ckptwriter_submit(sub, 0, make_snap(1, 1, 3), &in),
        -ENOTSUP);
    zmq_close(sub);
}
END_TEST

START_TEST(test_start_fails_on_taken_endpoint)
{
    gale_ckptwriter_t *w2;
    char *cause = NULL;

    start_writer(dir);
    w2 = gale_ckptwriter_start(zctx, prefix, prefix, dir, &cause);
    ck_assert_ptr_null(w2);
    ck_assert_ptr_nonnull(cause);
    ck_assert_msg(strstr(cause, "writer") != NULL, "cause: %s", cause);
    free(cause);
    gale_ckptwriter_stop(&w2);          /* accepts NULL */
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("ckptwriter");
    TCase *tc = tcase_create("core");
    SRunner *sr = srunner_create(s);
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_ack_names_task_ckpt_and_bytes);
    tcase_add_test(tc, test_acks_in_submission_order);
    tcase_add_test(tc, test_stop_drains_queued_jobs);
    tcase_add_test(tc, test_write_failure_reported);
    tcase_add_test(tc, test_submit_failure_frees_snapshot);
    tcase_add_test(tc, test_start_fails_on_taken_endpoint);
    suite_add_tcase(s, tc);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
