/* check_channel.c - channels: batching, in-band END, and per-channel
 * blocking (a blocked channel stalls its sender within its bound while
 * the other channels flow; its data arrives complete and in order once
 * unblocked). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "common/buf.h"
#include "engine/wire/frame.h"
#include "engine/transport/inlet.h"
#include "engine/transport/outlet.h"
#include "engine/wire/record.h"

#define PREFIX "inproc://check-channel/"
#define DEPTH 4

static void *zctx;

typedef struct sender {
    int channel;                /* channel id */
    int n;                      /* records to send */
    int batch_size;             /* tuples per batch */
    atomic_int sent;            /* records handed to the outlet */
    atomic_int release;         /* set when the receiver has drained */
    int rc;                     /* first error */
} sender_t;

/* Sends n records (one int field: the sequence 0..n-1), then END. */
static void *
send_main(void *arg)
{
    sender_t *s = arg;
    gale_outlet_cfg_t cfg = { .zctx = zctx, .prefix = PREFIX, .epoch = 7,
        .batch_size = s->batch_size, .batch_bytes = 4096,
        .flush_interval_ms = 1, .queue_depth = DEPTH };
    gale_outlet_t *o = gale_outlet_new(&cfg, NULL);
    gale_buf_t b;
    gale_datum_t d;
    int i, idx = gale_outlet_add(o, s->channel);

    gale_buf_init(&b, 64);
    for (i = 0; i < s->n && s->rc == 0; i++) {
        gale_buf_reset(&b);
        d = gale_d_int(i);
        gale_record_encode(&b, 0, -1, &d, 1);
        s->rc = gale_outlet_append(o, idx, b.data, b.len);
        atomic_store(&s->sent, i + 1);
    }
    if (s->rc == 0)
        s->rc = gale_outlet_control(o, idx, GALE_FRAME_END, 0);
    gale_buf_release(&b);
    /* Keep the socket open until the receiver has drained it. */
    while (!atomic_load(&s->release))
        usleep(1000);
    gale_outlet_destroy(&o);
    return NULL;
}

/* Receives from channel idx until END; checks values are 0..n-1 in order. */
static int
drain(gale_inlet_t *in, int idx, int n)
{
    gale_frame_hdr_t h;
    gale_batch_reader_t r;
    gale_record_t rec;
    gale_datum_t d;
    zmq_msg_t msg;
    int next = 0, rc, got;

    for (;;) {
        got = gale_inlet_poll(in, NULL, 5000);
        ck_assert_int_ge(got, 0);
        if (got != idx)
            continue;
        zmq_msg_init(&msg);
        rc = gale_inlet_recv(in, idx, &msg, &h, NULL);
        if (rc == -EAGAIN) {
            zmq_msg_close(&msg);
            continue;
        }
        ck_assert_int_eq(rc, 0);
        ck_assert_uint_eq(h.epoch, 7);
        if (h.kind == GALE_FRAME_END) {
            zmq_msg_close(&msg);
            break;
        }
        ck_assert_int_eq(h.kind, GALE_FRAME_DATA);
        gale_batch_reader_init(&r, zmq_msg_data(&msg), zmq_msg_size(&msg), &h);
        while (gale_batch_next(&r, &rec) == 1) {
            ck_assert_int_eq(gale_record_fields(&rec, &d, 1), 1);
            ck_assert_int_eq(d.type, GALE_INT);
            ck_assert_int_eq(d.u.i, next);
            next++;
        }
        zmq_msg_close(&msg);
    }
    gale_inlet_set_ended(in, idx);
    return next;
}

static void
setup(void)
{
    zctx = zmq_ctx_new();
}

static void
teardown(void)
{
    zmq_ctx_term(zctx);
}

START_TEST(test_blocked_channel_stalls_other_flows)
{
    gale_inlet_t *in = gale_inlet_new(zctx, PREFIX, 7, DEPTH, NULL);
    sender_t a = { .channel = 0, .n = 1000, .batch_size = 1 };
    sender_t b = { .channel = 1, .n = 1000, .batch_size = 1 };
    pthread_t ta, tb;
    int ia, ib, stalled;

    ia = gale_inlet_add(in, 0);
    ib = gale_inlet_add(in, 1);
    ck_assert_int_ge(ia, 0);
    ck_assert_int_ge(ib, 0);
    gale_inlet_block(in, ia, true);
    pthread_create(&ta, NULL, send_main, &a);
    pthread_create(&tb, NULL, send_main, &b);

    /* B flows completely while A is blocked. */
    ck_assert_int_eq(drain(in, ib, 1000), 1000);
    /* A's sender stalled within its bound: DEPTH frames queued at the
     * sender, 1 at the receiver, 1 in hand. Give it time to (not) move. */
    usleep(200 * 1000);
    stalled = atomic_load(&a.sent);
    ck_assert_int_le(stalled, DEPTH + 2);
    ck_assert_int_ge(stalled, 1);
    usleep(100 * 1000);
    ck_assert_int_eq(atomic_load(&a.sent), stalled);

    /* Unblocked, A's data arrives complete and in order. */
    gale_inlet_block(in, ia, false);
    ck_assert_int_eq(drain(in, ia, 1000), 1000);
    ck_assert_int_eq(a.rc, 0);
    ck_assert_int_eq(b.rc, 0);
    atomic_store(&a.release, 1);
    atomic_store(&b.release, 1);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    gale_inlet_destroy(&in);
}
END_TEST

START_TEST(test_batches_and_end_in_order)
{
    gale_inlet_t *in = gale_inlet_new(zctx, PREFIX, 7, DEPTH, NULL);
    sender_t a = { .channel = 5, .n = 10007, .batch_size = 100 };
    pthread_t ta;
    int ia = gale_inlet_add(in, 5);

    pthread_create(&ta, NULL, send_main, &a);
    /* 10007 records in batches of 100, the last partial one flushed by
     * END, then END itself: all in order. */
    ck_assert_int_eq(drain(in, ia, 10007), 10007);
    ck_assert_int_eq(a.rc, 0);
    atomic_store(&a.release, 1);
    pthread_join(ta, NULL);
    gale_inlet_destroy(&in);
}
END_TEST

START_TEST(test_stale_epoch_dropped_and_gap_detected)
{
    gale_inlet_t *in = gale_inlet_new(zctx, PREFIX, 7, DEPTH, NULL);
    void *s = zmq_socket(zctx, ZMQ_PAIR);
    gale_frame_hdr_t h = { .version = GALE_WIRE_VERSION, .kind = GALE_FRAME_END,
        .epoch = 6, .channel = 9, .seq = 1 };
    uint8_t buf[GALE_FRAME_HDR_SIZE];
    zmq_msg_t msg;
    char *cause = NULL;
    int idx = gale_inlet_add(in, 9), linger = 0;

    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    ck_assert_int_eq(zmq_connect(s, PREFIX "9"), 0);
    gale_frame_hdr_write(&h, buf);
    zmq_send(s, buf, sizeof buf, 0);            /* old epoch: dropped */
    h.epoch = 7;
    h.seq = 2;                                  /* gap: 1 is missing */
    gale_frame_hdr_write(&h, buf);
    zmq_send(s, buf, sizeof buf, 0);
    ck_assert_int_eq(gale_inlet_poll(in, NULL, 5000), idx);
    zmq_msg_init(&msg);
    ck_assert_int_eq(gale_inlet_recv(in, idx, &msg, &h, NULL), 1);
    zmq_msg_close(&msg);
    ck_assert_int_eq(gale_inlet_poll(in, NULL, 5000), idx);
    zmq_msg_init(&msg);
    ck_assert_int_eq(gale_inlet_recv(in, idx, &msg, &h, &cause), -EPROTO);
    ck_assert_str_eq(cause, "channel 9: sequence gap (expected 1, got 2)");
    free(cause);
    zmq_msg_close(&msg);
    zmq_close(s);
    gale_inlet_destroy(&in);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("channel");
    TCase *tc = tcase_create("core");
    SRunner *sr = srunner_create(s);
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_blocked_channel_stalls_other_flows);
    tcase_add_test(tc, test_batches_and_end_in_order);
    tcase_add_test(tc, test_stale_epoch_dropped_and_gap_detected);
    suite_add_tcase(s, tc);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
