/* check_bridge.c - channels between workers: two "workers" in one test
 * process (one ZeroMQ context and one bridge each), executors' ends made
 * with the real outlet and inlet. A blocked channel stalls its sender
 * within credits + inproc bounds while another channel on the same
 * connection flows; END is acknowledged; bad peers are reported. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zmq.h>

#include "common/buf.h"
#include "engine/transport/bridge.h"
#include "engine/wire/frame.h"
#include "engine/transport/inlet.h"
#include "engine/transport/outlet.h"
#include "engine/wire/record.h"

#ifndef DEPTH
#define DEPTH 4
#endif
#define EPOCH 7
#define CH_A 10
#define CH_B 11

/* One worker of the test: its context, channel prefix and bridge. */
typedef struct worker {
    void *zctx;                 /* owned */
    char prefix[64];            /* inproc channel prefix */
    gale_bridge_t *br;          /* owned */
} worker_t;

static worker_t w[2];
static char run_id[64];

/* Per test: two contexts (two workers) and a run id no other test run
 * on this host uses. */
static void
setup(void)
{
    static int n;
    int i;

    snprintf(run_id, sizeof run_id, "chk%ld-%d", (long)getpid(), n++);
    for (i = 0; i < 2; i++) {
        w[i].zctx = zmq_ctx_new();
        snprintf(w[i].prefix, sizeof w[i].prefix, "inproc://w%d/ch/", i);
        w[i].br = NULL;
    }
}

static void
teardown(void)
{
    int i;

    for (i = 0; i < 2; i++) {
        gale_bridge_stop(&w[i].br, NULL);
        zmq_ctx_term(w[i].zctx);
    }
}

/* Starts worker 0's bridge sending chans to worker 1, and worker 1's
 * receiving them, over endpoint template fmt (NULL: the default ipc). */
static void
start_pair(const int *chans, size_t n, const char *fmt, int base_port)
{
    int peer0[8], peer1[8];
    gale_bridge_cfg_t c;
    char *cause = NULL;
    size_t i;

    for (i = 0; i < n; i++) {
        peer0[i] = 1;
        peer1[i] = 0;
    }
    memset(&c, 0, sizeof c);
    c.endpoint_fmt = fmt;
    c.base_port = base_port;
    c.run_id = run_id;
    c.epoch = EPOCH;
    c.nworkers = 2;
    c.queue_depth = DEPTH;

    c.zctx = w[1].zctx;
    c.inproc_prefix = w[1].prefix;
    c.worker = 1;
    c.in_chans = chans;
    c.in_peer = peer1;
    c.nin = n;
    w[1].br = gale_bridge_start(&c, &cause);
    ck_assert_msg(w[1].br != NULL, "%s", cause);

    c.zctx = w[0].zctx;
    c.inproc_prefix = w[0].prefix;
    c.worker = 0;
    c.in_chans = c.in_peer = NULL;
    c.nin = 0;
    c.out_chans = chans;
    c.out_peer = peer0;
    c.nout = n;
    w[0].br = gale_bridge_start(&c, &cause);
    ck_assert_msg(w[0].br != NULL, "%s", cause);
}

typedef struct sender {
    int channel;                /* channel id */
    int n;                      /* records to send */
    int batch_size;             /* tuples per batch */
    atomic_int sent;            /* records handed to the outlet */
    atomic_int release;         /* set when the receiver has drained */
    int rc;                     /* first error */
} sender_t;

/* An executor of worker 0: sends n records (one int field, 0..n-1) on
 * its channel, then END, and keeps its socket until released. */
static void *
send_main(void *arg)
{
    sender_t *s = arg;
    gale_outlet_cfg_t cfg = { .zctx = w[0].zctx, .prefix = w[0].prefix,
        .epoch = EPOCH, .batch_size = s->batch_size, .batch_bytes = 65536,
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
    while (!atomic_load(&s->release))
        usleep(1000);
    gale_outlet_destroy(&o);
    return NULL;
}

/* Receives channel idx until END: values must be 0..n-1 in order and
 * sequence numbers 1, 2, ... Returns the number of records. */
static int
drain(gale_inlet_t *in, int idx)
{
    gale_frame_hdr_t h;
    gale_batch_reader_t r;
    gale_record_t rec;
    gale_datum_t d;
    zmq_msg_t msg;
    uint64_t seq = 0;
    int next = 0, rc, got;
    char *cause = NULL;

    for (;;) {
        got = gale_inlet_poll(in, NULL, 10000);
        ck_assert_int_ge(got, 0);
        if (got != idx)
            continue;
        zmq_msg_init(&msg);
        rc = gale_inlet_recv(in, idx, &msg, &h, &cause);
        if (rc == -EAGAIN) {
            zmq_msg_close(&msg);
            continue;
        }
        ck_assert_msg(rc == 0, "recv: %d %s", rc, cause);
        ck_assert_uint_eq(h.epoch, EPOCH);
        ck_assert_uint_eq(h.seq, ++seq);
        if (h.kind == GALE_FRAME_END) {
            zmq_msg_close(&msg);
            break;
        }
        ck_assert_int_eq(h.kind, GALE_FRAME_DATA);
        gale_batch_reader_init(&r, zmq_msg_data(&msg), zmq_msg_size(&msg), &h);
        while (gale_batch_next(&r, &rec) == 1) {
            ck_assert_int_eq(gale_record_fields(&rec, &d, 1), 1);
            ck_assert_int_eq(d.u.i, next);
            next++;
        }
        zmq_msg_close(&msg);
    }
    gale_inlet_set_ended(in, idx);
    return next;
}

START_TEST(test_endpoint_template)
{
    char ep[64];

    ck_assert_int_eq(gale_bridge_endpoint("ipc://@gale-%r-w%f-w%t", "run1",
        0, 3, 2, 0, NULL, ep, sizeof ep), 0);
    ck_assert_str_eq(ep, "ipc://@gale-run1-w2-w0");
    ck_assert_int_eq(gale_bridge_endpoint("tcp://127.0.0.1:%p", "x", 7000,
        3, 2, 1, NULL, ep, sizeof ep), 0);
    ck_assert_str_eq(ep, "tcp://127.0.0.1:7007");
    /* %h: the receiving worker's host; without one, an error. */
    ck_assert_int_eq(gale_bridge_endpoint("tcp://%h:%p", "x", 7000, 3, 2, 1,
        "10.1.2.3", ep, sizeof ep), 0);
    ck_assert_str_eq(ep, "tcp://10.1.2.3:7007");
    ck_assert_int_eq(gale_bridge_endpoint("tcp://%h:%p", "x", 7000, 3, 2, 1,
        NULL, ep, sizeof ep), -EINVAL);
    ck_assert_int_eq(gale_bridge_endpoint("a%%b", "x", 0, 1, 0, 0, NULL, ep,
        sizeof ep), 0);
    ck_assert_str_eq(ep, "a%b");
    ck_assert_int_eq(gale_bridge_endpoint("ipc://@%d", "x", 0, 1, 0, 0, NULL, ep,
        sizeof ep), -EINVAL);
    ck_assert_int_eq(gale_bridge_endpoint("ipc://@%", "x", 0, 1, 0, 0, NULL, ep,
        sizeof ep), -EINVAL);
    ck_assert_int_eq(gale_bridge_endpoint("ipc://@gale-%r", "run1", 0, 1, 0,
        0, NULL, ep, 12), -ENAMETOOLONG);
}
END_TEST

START_TEST(test_bad_config)
{
    int chans[2] = { 3, 3 }, self[2] = { 0, 0 }, peers[2] = { 1, 1 };
    gale_bridge_cfg_t c = { .zctx = w[0].zctx, .inproc_prefix = w[0].prefix,
        .run_id = run_id, .epoch = EPOCH, .worker = 0, .nworkers = 2,
        .queue_depth = DEPTH, .out_chans = chans, .out_peer = self,
        .nout = 1 };
    char *cause = NULL;

    ck_assert_ptr_null(gale_bridge_start(&c, &cause));
    ck_assert_str_eq(cause, "bridge: channel 3: peer worker 0 is not "
        "another worker");
    free(cause);
    c.out_peer = peers;
    c.nout = 2;
    ck_assert_ptr_null(gale_bridge_start(&c, &cause));
    ck_assert_str_eq(cause, "bridge: channel 3 listed twice");
    free(cause);
    c.nout = 1;
    c.queue_depth = 0;
    ck_assert_ptr_null(gale_bridge_start(&c, &cause));
    ck_assert_str_eq(cause, "bridge: queue_depth must be at least 1");
    free(cause);
    c.queue_depth = DEPTH;
    c.endpoint_fmt = "ipc://@x-%q";
    ck_assert_ptr_null(gale_bridge_start(&c, &cause));
    ck_assert_str_eq(cause, "bridge: bad endpoint template: Invalid argument");
    free(cause);
    ck_assert_ptr_null(gale_bridge_start(&c, NULL));
}
END_TEST

/* A second bridge cannot bind what the first one bound; the cause names
 * the endpoint. */
START_TEST(test_endpoint_in_use)
{
    int chans[1] = { 5 }, peers[1] = { 0 };
    gale_bridge_cfg_t c = { .zctx = w[1].zctx, .inproc_prefix = w[1].prefix,
        .run_id = run_id, .epoch = EPOCH, .worker = 1, .nworkers = 2,
        .queue_depth = DEPTH, .in_chans = chans, .in_peer = peers,
        .nin = 1 };
    char *cause = NULL, want[256];

    ck_assert_ptr_nonnull(w[1].br = gale_bridge_start(&c, NULL));
    c.zctx = w[0].zctx;
    c.inproc_prefix = w[0].prefix;
    ck_assert_ptr_null(gale_bridge_start(&c, &cause));
    snprintf(want, sizeof want, "bridge: bind ipc://@gale-%s-w0-w1: "
        "Address already in use", run_id);
    ck_assert_str_eq(cause, want);
    free(cause);
}
END_TEST

/* A bridge without remote channels is drained at once. */
START_TEST(test_no_channels_drained)
{
    gale_bridge_cfg_t c = { .zctx = w[0].zctx, .inproc_prefix = w[0].prefix,
        .run_id = run_id, .worker = 0, .nworkers = 1, .queue_depth = 1 };
    gale_bridge_stats_t st;

    ck_assert_ptr_nonnull(w[0].br = gale_bridge_start(&c, NULL));
    ck_assert_int_eq(gale_bridge_event(w[0].br, 10000, NULL),
        GALE_BRIDGE_DRAINED);
    ck_assert_int_eq(gale_bridge_event(w[0].br, 0, NULL), -EAGAIN);
    ck_assert_int_eq(gale_bridge_stop(&w[0].br, &st), 0);
    ck_assert_ptr_null(w[0].br);
    ck_assert_uint_eq(st.frames_out + st.frames_in, 0);
}
END_TEST

/* The scenario of the brief, over the given endpoint template. */
static void
blocked_channel(const char *fmt, int base_port)
{
    int chans[2] = { CH_A, CH_B };
    sender_t a = { .channel = CH_A, .n = 1000, .batch_size = 1 };
    sender_t b = { .channel = CH_B, .n = 1000, .batch_size = 1 };
    gale_inlet_t *in;
    gale_bridge_stats_t s0, s1;
    pthread_t ta, tb;
    int ia, ib, stalled;

    start_pair(chans, 2, fmt, base_port);
    /* Worker 1's executor: input A blocked (alignment), B open. */
    in = gale_inlet_new(w[1].zctx, w[1].prefix, EPOCH, DEPTH, NULL);
    ia = gale_inlet_add(in, CH_A);
    ib = gale_inlet_add(in, CH_B);
    ck_assert_int_ge(ia, 0);
    ck_assert_int_ge(ib, 0);
    gale_inlet_block(in, ia, true);
    pthread_create(&ta, NULL, send_main, &a);
    pthread_create(&tb, NULL, send_main, &b);

    /* B flows completely over the connection A shares. */
    ck_assert_int_eq(drain(in, ib), 1000);
    /* A's sender is stalled within its bound: DEPTH + 1 frames on the
     * local inproc leg, DEPTH credits between the bridges, 2 on the
     * receiving inproc leg (an appended record counts once it is sent). */
    usleep(200 * 1000);
    stalled = atomic_load(&a.sent);
    printf("blocked channel %s: sender stalled after %d frames\n",
        fmt != NULL ? fmt : "ipc", stalled);
    ck_assert_int_le(stalled, 2 * DEPTH + 3);
    ck_assert_int_ge(stalled, 1);
    ck_assert_int_eq(a.rc, 0);
    /* Nobody is drained while A has not ended. */
    ck_assert_int_eq(gale_bridge_event(w[0].br, 0, NULL), -EAGAIN);
    ck_assert_int_eq(gale_bridge_event(w[1].br, 0, NULL), -EAGAIN);

    /* Unblocked, A arrives complete and in order. */
    gale_inlet_block(in, ia, false);
    ck_assert_int_eq(drain(in, ia), 1000);

    /* Both ENDs were delivered, so both bridges drain: the receiving one
     * after sending END_ACKs, the sending one after receiving them. */
    ck_assert_int_eq(gale_bridge_event(w[1].br, 10000, NULL),
        GALE_BRIDGE_DRAINED);
    ck_assert_int_eq(gale_bridge_event(w[0].br, 10000, NULL),
        GALE_BRIDGE_DRAINED);
    atomic_store(&a.release, 1);
    atomic_store(&b.release, 1);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    ck_assert_int_eq(a.rc, 0);
    ck_assert_int_eq(b.rc, 0);
    gale_inlet_destroy(&in);

    ck_assert_int_eq(gale_bridge_stop(&w[0].br, &s0), 0);
    ck_assert_int_eq(gale_bridge_stop(&w[1].br, &s1), 0);
    /* 1000 DATA frames and END per channel, each forwarded once. */
    ck_assert_uint_eq(s0.frames_out, 2002);
    ck_assert_uint_eq(s1.frames_in, 2002);
    ck_assert_uint_eq(s0.bytes_out, s1.bytes_in);
    /* The initial grant plus one credit per DATA frame delivered. */
    ck_assert_uint_eq(s1.credits_sent, 2 * DEPTH + 2000);
    ck_assert_uint_eq(s0.stale + s1.stale, 0);
}

START_TEST(test_blocked_channel_ipc)
{
    blocked_channel(NULL, 0);
}
END_TEST

START_TEST(test_blocked_channel_tcp)
{
    blocked_channel("tcp://127.0.0.1:%p", 20000 + (int)(getpid() % 20000) * 2);
}
END_TEST

/* A raw peer in worker 0's place: connects to worker 1's bridge and
 * sends hand-made frames. */
static void *
raw_peer(void)
{
    char ep[128];
    void *s = zmq_socket(w[0].zctx, ZMQ_DEALER);
    int zero = 0;

    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    gale_bridge_endpoint("ipc://@gale-%r-w%f-w%t", run_id, 0, 2, 0, 1, NULL, ep,
        sizeof ep);
    ck_assert_int_eq(zmq_connect(s, ep), 0);
    return s;
}

static void
raw_send(void *s, int kind, uint32_t epoch, uint32_t chan, uint64_t seq)
{
    gale_frame_hdr_t h = { .version = GALE_WIRE_VERSION, .kind = (uint8_t)kind,
        .epoch = epoch, .channel = chan, .seq = seq };
    uint8_t buf[GALE_FRAME_HDR_SIZE];

    gale_frame_hdr_write(&h, buf);
    ck_assert_int_eq(zmq_send(s, buf, sizeof buf, 0), (int)sizeof buf);
}

/* Worker 1's bridge, receiving channel 5 from worker 0. */
static void
start_receiver(void)
{
    static int chans[1] = { 5 }, peers[1] = { 0 };
    gale_bridge_cfg_t c = { .zctx = w[1].zctx, .inproc_prefix = w[1].prefix,
        .run_id = run_id, .epoch = EPOCH, .worker = 1, .nworkers = 2,
        .queue_depth = DEPTH, .in_chans = chans, .in_peer = peers,
        .nin = 1 };

    ck_assert_ptr_nonnull(w[1].br = gale_bridge_start(&c, NULL));
}

/* Frames of another epoch are dropped; a frame for a channel the peer
 * does not send here fails the bridge with a cause. */
START_TEST(test_stale_and_unknown_channel)
{
    gale_bridge_stats_t st;
    char *cause = NULL;
    void *s;

    start_receiver();
    s = raw_peer();
    raw_send(s, GALE_FRAME_BARRIER, EPOCH - 1, 5, 1);
    raw_send(s, GALE_FRAME_BARRIER, EPOCH, 99, 1);
    ck_assert_int_eq(gale_bridge_event(w[1].br, 10000, &cause),
        GALE_BRIDGE_FAILED);
    ck_assert_str_eq(cause, "bridge: worker 0 sent a frame for channel 99, "
        "which it does not send here");
    free(cause);
    ck_assert_int_eq(gale_bridge_stop(&w[1].br, &st), -EPROTO);
    ck_assert_uint_eq(st.stale, 1);
    zmq_close(s);
}
END_TEST

/* A peer that sends past its credits while the receiver does not read is
 * caught, not buffered without bound. */
START_TEST(test_credit_overrun)
{
    gale_inlet_t *in;
    char *cause = NULL;
    uint64_t seq;
    void *s;

    in = gale_inlet_new(w[1].zctx, w[1].prefix, EPOCH, DEPTH, NULL);
    ck_assert_int_ge(gale_inlet_add(in, 5), 0);
    start_receiver();
    s = raw_peer();
    for (seq = 1; seq <= 64; seq++)
        raw_send(s, GALE_FRAME_BARRIER, EPOCH, 5, seq);
    ck_assert_int_eq(gale_bridge_event(w[1].br, 10000, &cause),
        GALE_BRIDGE_FAILED);
    ck_assert_str_eq(cause, "bridge: channel 5: worker 0 sent more frames "
        "than its credits (4)");
    free(cause);
    ck_assert_int_eq(gale_bridge_stop(&w[1].br, NULL), -EPROTO);
    zmq_close(s);
    gale_inlet_destroy(&in);
}
END_TEST

/* worker 0's executor for the throughput check: nframes batches of
 * 1024 one-string tuples, then END. */
typedef struct bulk {
    int nframes;                /* batches to send */
    atomic_int release;         /* set when the receiver has drained */
    int rc;                     /* first error */
} bulk_t;

static void *
bulk_main(void *arg)
{
    bulk_t *k = arg;
    gale_outlet_cfg_t oc = { .zctx = w[0].zctx, .prefix = w[0].prefix,
        .epoch = EPOCH, .batch_size = 1024, .batch_bytes = 65536,
        .flush_interval_ms = 100, .queue_depth = DEPTH };
    gale_outlet_t *o = gale_outlet_new(&oc, NULL);
    gale_datum_t d = gale_d_str("exactly", 7);
    int i, oi = gale_outlet_add(o, CH_A);
    gale_buf_t b;

    gale_buf_init(&b, 64);
    gale_record_encode(&b, 0, -1, &d, 1);
    for (i = 0; i < k->nframes * 1024 && k->rc == 0; i++)
        k->rc = gale_outlet_append(o, oi, b.data, b.len);
    if (k->rc == 0)
        k->rc = gale_outlet_control(o, oi, GALE_FRAME_END, 0);
    gale_buf_release(&b);
    while (!atomic_load(&k->release))
        usleep(1000);
    gale_outlet_destroy(&o);
    return NULL;
}

/* Not asserted: frames/s of 1024-tuple batches over ipc, printed. */
START_TEST(test_throughput_ipc)
{
    int chans[1] = { CH_A };
    const char *env = getenv("CHECK_BRIDGE_FRAMES");
    bulk_t k = { .nframes = env != NULL ? atoi(env) : 5000 };
    gale_inlet_t *in;
    gale_frame_hdr_t h;
    zmq_msg_t msg;
    uint64_t t0, tuples = 0, frames = 0;
    pthread_t t;
    double secs;
    int ii, rc;

    start_pair(chans, 1, NULL, 0);
    in = gale_inlet_new(w[1].zctx, w[1].prefix, EPOCH, DEPTH, NULL);
    ii = gale_inlet_add(in, CH_A);
    t0 = gale_now_ns();
    pthread_create(&t, NULL, bulk_main, &k);
    for (;;) {
        ck_assert_int_ge(gale_inlet_poll(in, NULL, 10000), 0);
        zmq_msg_init(&msg);
        rc = gale_inlet_recv(in, ii, &msg, &h, NULL);
        zmq_msg_close(&msg);
        if (rc == -EAGAIN)
            continue;
        ck_assert_int_eq(rc, 0);
        if (h.kind == GALE_FRAME_END)
            break;
        tuples += h.count;
        frames++;
    }
    secs = (double)(gale_now_ns() - t0) / 1e9;
    printf("bridge over ipc: %llu frames of 1024 tuples in %.3f s: "
        "%.0f frames/s, %.1f M tuples/s\n", (unsigned long long)frames,
        secs, (double)frames / secs, (double)tuples / secs / 1e6);
    ck_assert_uint_eq(tuples, (uint64_t)k.nframes * 1024);
    ck_assert_int_eq(gale_bridge_event(w[0].br, 10000, NULL),
        GALE_BRIDGE_DRAINED);
    atomic_store(&k.release, 1);
    pthread_join(t, NULL);
    ck_assert_int_eq(k.rc, 0);
    gale_inlet_destroy(&in);
}
END_TEST

/* A bridge for worker `me` of two, carrying channel CH_A. */
static gale_bridge_t *
start_one(void *zctx, const char *prefix, int me)
{
    static int chans[1] = { CH_A }, peer0[1] = { 1 }, peer1[1] = { 0 };
    gale_bridge_cfg_t c = { .zctx = zctx, .inproc_prefix = prefix,
        .run_id = run_id, .epoch = EPOCH, .worker = me, .nworkers = 2,
        .queue_depth = DEPTH };

    if (me == 0) {
        c.out_chans = chans;
        c.out_peer = peer0;
        c.nout = 1;
    } else {
        c.in_chans = chans;
        c.in_peer = peer1;
        c.nin = 1;
    }
    return gale_bridge_start(&c, NULL);
}

/* Worker 0 as a real process: sends nframes batches of 1024 tuples and
 * END, then exits once its bridge is drained (END acknowledged). */
static int
child_worker(int nframes)
{
    void *zctx = zmq_ctx_new();
    gale_outlet_cfg_t oc = { .zctx = zctx, .prefix = "inproc://p0/ch/",
        .epoch = EPOCH, .batch_size = 1024, .batch_bytes = 65536,
        .flush_interval_ms = 100, .queue_depth = DEPTH };
    gale_bridge_t *br = start_one(zctx, "inproc://p0/ch/", 0);
    gale_outlet_t *o = gale_outlet_new(&oc, NULL);
    gale_datum_t d = gale_d_str("exactly", 7);
    int i, oi = gale_outlet_add(o, CH_A), rc = br == NULL;
    gale_buf_t b;

    gale_buf_init(&b, 64);
    gale_record_encode(&b, 0, -1, &d, 1);
    for (i = 0; i < nframes * 1024 && rc == 0; i++)
        rc = gale_outlet_append(o, oi, b.data, b.len);
    if (rc == 0)
        rc = gale_outlet_control(o, oi, GALE_FRAME_END, 0);
    if (rc == 0 && gale_bridge_event(br, 30000, NULL) != GALE_BRIDGE_DRAINED)
        rc = 1;
    gale_buf_release(&b);
    gale_outlet_destroy(&o);
    if (gale_bridge_stop(&br, NULL) != 0)
        rc = 1;
    zmq_ctx_term(zctx);
    return rc == 0 ? 0 : 1;
}

/* Two real processes (forked before either makes a ZeroMQ context): the
 * receiving side prints frames/s of 1024-tuple batches over ipc, and both
 * sides end by END and END_ACK, not by linger. */
START_TEST(test_two_processes)
{
    const char *env = getenv("CHECK_BRIDGE_FRAMES");
    int nframes = env != NULL ? atoi(env) : 5000, ii, rc, status;
    uint64_t t0 = 0, tuples = 0, frames = 0;
    gale_frame_hdr_t h;
    gale_inlet_t *in;
    gale_bridge_t *br;
    zmq_msg_t msg;
    void *zctx;
    double secs;
    pid_t pid;

    snprintf(run_id, sizeof run_id, "chkp%ld", (long)getpid());
    fflush(NULL);
    if ((pid = fork()) == 0)
        _exit(child_worker(nframes));
    ck_assert_int_gt(pid, 0);
    zctx = zmq_ctx_new();
    ck_assert_ptr_nonnull(br = start_one(zctx, "inproc://p1/ch/", 1));
    in = gale_inlet_new(zctx, "inproc://p1/ch/", EPOCH, DEPTH, NULL);
    ii = gale_inlet_add(in, CH_A);
    for (;;) {
        ck_assert_int_ge(gale_inlet_poll(in, NULL, 30000), 0);
        zmq_msg_init(&msg);
        rc = gale_inlet_recv(in, ii, &msg, &h, NULL);
        zmq_msg_close(&msg);
        if (rc == -EAGAIN)
            continue;
        ck_assert_int_eq(rc, 0);
        if (t0 == 0)
            t0 = gale_now_ns();
        if (h.kind == GALE_FRAME_END)
            break;
        tuples += h.count;
        frames++;
    }
    secs = (double)(gale_now_ns() - t0) / 1e9;
    printf("bridge between two processes over ipc: %llu frames of 1024 "
        "tuples in %.3f s: %.0f frames/s, %.1f M tuples/s\n",
        (unsigned long long)frames, secs, (double)frames / secs,
        (double)tuples / secs / 1e6);
    ck_assert_uint_eq(tuples, (uint64_t)nframes * 1024);
    ck_assert_int_eq(gale_bridge_event(br, 30000, NULL), GALE_BRIDGE_DRAINED);
    /* Keep the bridge until the sender exits: it needs our END_ACK. */
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    ck_assert_int_eq(gale_bridge_stop(&br, NULL), 0);
    gale_inlet_destroy(&in);
    zmq_ctx_term(zctx);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("bridge");
    TCase *tc = tcase_create("core");
    SRunner *sr = srunner_create(s);
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_endpoint_template);
    tcase_add_test(tc, test_bad_config);
    tcase_add_test(tc, test_endpoint_in_use);
    tcase_add_test(tc, test_no_channels_drained);
    tcase_add_test(tc, test_blocked_channel_ipc);
    tcase_add_test(tc, test_blocked_channel_tcp);
    tcase_add_test(tc, test_stale_and_unknown_channel);
    tcase_add_test(tc, test_credit_overrun);
    tcase_add_test(tc, test_throughput_ipc);
    suite_add_tcase(s, tc);
    /* No fixture: the test forks before making any ZeroMQ context. */
    tc = tcase_create("processes");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_two_processes);
    suite_add_tcase(s, tc);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
