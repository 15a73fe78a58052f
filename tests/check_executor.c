/* check_executor.c - an executor's checkpoint barrier alignment
 * (engine/exec/executor), on a real executor thread with its real inproc
 * sockets: the test plays the runtime (control PAIR, report PULL), the
 * checkpoint writer is the real one, the two upstream spout tasks are
 * outlets the test drives, and the downstream task is an inlet the test
 * reads.
 *
 * Topology: spouts s1 and s2 feed bolt b, which feeds bolt c. Task ids
 * (sorted components): b = 1, c = 2, s1 = 3, s2 = 4; executors: b = 0;
 * channels: b->c = 0, s1->b = 1, s2->b = 2. Only executor 0 runs.
 *
 * What is checked: BARRIER(n) on one input blocks that input (its later
 * tuples are not executed) until BARRIER(n) or END arrived on every input;
 * then the task snapshots exactly the tuples before the barriers, the
 * writer acknowledges it, BARRIER(n) goes downstream once, after the
 * output of those tuples and before the output of the later ones; DECLINE
 * unblocks without a snapshot; unaligned mode (at-least-once) does not
 * block; COMPLETE reaches the task. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zmq.h>

#include "common/buf.h"
#include "common/xalloc.h"
#include "engine/checkpoint/ckpt.h"
#include "engine/checkpoint/ckptwriter.h"
#include "engine/exec/executor.h"
#include "engine/transport/inlet.h"
#include "engine/transport/outlet.h"
#include "engine/wire/control.h"
#include "engine/wire/frame.h"
#include "engine/wire/record.h"
#include "topology/plan.h"
#include "topology/topology.h"
#include "tests/testutil.h"

#define EPOCH 3
#define MAXP 16
#define CH_OUT 0                    /* b -> c */
#define CH_A 1                      /* s1 -> b */
#define CH_B 2                      /* s2 -> b */
#define WAIT_MS 10000               /* generous: valgrind */

/* ---- what the bolt saw (written on the executor thread) ---------------- */

#define MAXLOG 256

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t executed[MAXLOG];    /* b's tuples, in execution order */
static int nexecuted;
static uint64_t snap_ids[16];       /* b's snapshot() calls */
static int snap_at[16];             /* nexecuted at each */
static int nsnaps;
static uint64_t completed_id;       /* last checkpoint_complete() */

static int
tbolt_execute(gale_ctx_t *ctx, void *self, const gale_tuple_t *t)
{
    gale_kv_t *seen = gale_ctx_operator_state(ctx, "seen");
    gale_datum_t d;
    char k[32];
    int rc;

    (void)self;
    if (gale_tuple_size(t) != 1 || gale_tuple_get(t, 0, &d) != 0 ||
        d.type != GALE_INT)
        return -EINVAL;
    snprintf(k, sizeof k, "%" PRId64, d.u.i);
    if ((rc = gale_kv_put(seen, k, strlen(k), "1", 1)) != 0)
        return rc;
    pthread_mutex_lock(&lock);
    if (nexecuted < MAXLOG)
        executed[nexecuted++] = d.u.i;
    pthread_mutex_unlock(&lock);
    return gale_emit(ctx, GALE_STREAM_DEFAULT, &d, 1);
}

static int
tbolt_snapshot(gale_ctx_t *ctx, void *self, uint64_t id)
{
    (void)ctx, (void)self;
    pthread_mutex_lock(&lock);
    if (nsnaps < 16) {
        snap_ids[nsnaps] = id;
        snap_at[nsnaps++] = nexecuted;
    }
    pthread_mutex_unlock(&lock);
    return 0;
}

static void
tbolt_complete(gale_ctx_t *ctx, void *self, uint64_t id)
{
    (void)ctx, (void)self;
    pthread_mutex_lock(&lock);
    completed_id = id;
    pthread_mutex_unlock(&lock);
}

/* The spout emits 1, 2, ... while fewer than spout_quota went out, and
 * records each in operator state "seen" as the bolt does. */
static atomic_int spout_quota;
static atomic_int spout_emitted;

static int
tspout_next(gale_ctx_t *ctx, void *self)
{
    gale_datum_t d;
    char k[32];
    int rc;

    (void)self;
    if (atomic_load(&spout_emitted) >= atomic_load(&spout_quota))
        return GALE_IDLE;
    d = gale_d_int(atomic_load(&spout_emitted) + 1);
    snprintf(k, sizeof k, "%d", (int)d.u.i);
    if ((rc = gale_kv_put(gale_ctx_operator_state(ctx, "seen"), k, strlen(k),
        "1", 1)) != 0)
        return rc;
    if ((rc = gale_emit(ctx, GALE_STREAM_DEFAULT, &d, 1)) != 0)
        return rc;
    atomic_fetch_add(&spout_emitted, 1);
    return GALE_EMITTED;
}

static int
tspout_snapshot(gale_ctx_t *ctx, void *self, uint64_t id)
{
    (void)ctx, (void)self;
    pthread_mutex_lock(&lock);
    if (nsnaps < 16) {
        snap_ids[nsnaps] = id;
        snap_at[nsnaps++] = atomic_load(&spout_emitted);
    }
    pthread_mutex_unlock(&lock);
    return 0;
}

static const gale_bolt_ops_t tbolt_ops = { .execute = tbolt_execute,
    .snapshot = tbolt_snapshot, .checkpoint_complete = tbolt_complete };
static const gale_spout_ops_t tspout_ops = { .next = tspout_next,
    .snapshot = tspout_snapshot };
static const gale_param_spec_t no_params[] = { { NULL, GALE_NULL, false, NULL } };
static const gale_component_def_t tbolt = { .type = "tbolt",
    .kind = GALE_BOLT, .summary = "test bolt", .params = no_params,
    .bolt = &tbolt_ops };
static const gale_component_def_t tspout = { .type = "tspout",
    .kind = GALE_SPOUT, .summary = "test spout", .params = no_params,
    .spout = &tspout_ops };

static const gale_component_def_t *
lookup(void *arg, const char *type, gale_kind_t kind, const char *plugin,
    char **cause)
{
    (void)arg, (void)kind, (void)plugin;
    if (strcmp(type, "tbolt") == 0)
        return &tbolt;
    if (strcmp(type, "tspout") == 0)
        return &tspout;
    xasprintf(cause, "unknown type %s", type);
    return NULL;
}

/* ---- the test's side: runtime, upstream, downstream ---------------------- */

static void *zctx;
static char dir[64];
static char prefix[96];
static gale_topology_t *topo;
static gale_plan_t *plan;
static void *ctl;                   /* PAIR to executor 0 */
static void *report;                /* PULL from executor and writer */
static gale_ckptwriter_t *writer;
static gale_outlet_t *up;           /* s1's and s2's channels */
static int up_a, up_b;              /* their indexes */
static gale_inlet_t *down;          /* c's channel */
static gale_exec_t *ex;

/* Acknowledgements received so far. */
static gale_report_ack_t acks[16];
static char ack_files[16][64];
static int nacks;
static int done_seen;               /* DONE reports */
static uint64_t notified_seen;      /* last NOTIFIED arg */

static void
setup(void)
{
    static int n;
    const char *text =
        "name = \"align\";\n"
        "config = { max_parallelism = 16; guarantee = \"exactly_once\";\n"
        "           queue_depth = 64; };\n"
        "spouts = ( { id = \"s1\"; type = \"tspout\"; fields = [\"n\"]; },\n"
        "           { id = \"s2\"; type = \"tspout\"; fields = [\"n\"]; } );\n"
        "bolts = ( { id = \"b\"; type = \"tbolt\"; fields = [\"n\"]; },\n"
        "          { id = \"c\"; type = \"tbolt\"; } );\n"
        "streams = ( { from = \"s1\"; to = \"b\"; grouping = \"shuffle\"; },\n"
        "            { from = \"s2\"; to = \"b\"; grouping = \"shuffle\"; },\n"
        "            { from = \"b\"; to = \"c\"; grouping = \"shuffle\"; } );\n";
    gale_load_opts_t o = { .lookup_type = lookup };
    gale_diag_t *d = gale_diag_new();
    gale_ckpt_t *c;
    char ep[160], chp[160], *cause = NULL;
    int linger = 0;

    pthread_mutex_lock(&lock);
    nexecuted = nsnaps = 0;
    completed_id = 0;
    pthread_mutex_unlock(&lock);
    nacks = done_seen = 0;
    notified_seen = 0;
    ex = NULL;
    atomic_store(&spout_quota, 0);
    atomic_store(&spout_emitted, 0);

    topo = gale_topology_load_buffer("align.cfg", text, strlen(text), &o, d);
    ck_assert_msg(topo != NULL, "%s", gale_diag_message(d, 0));
    ck_assert_ptr_nonnull(plan = gale_plan_new(topo, d));
    gale_diag_destroy(&d);
    /* The layout the header comment relies on. */
    ck_assert_uint_eq(plan->nchans, 3);
    ck_assert_int_eq(plan->chans[CH_OUT].from_task, 1);
    ck_assert_int_eq(plan->chans[CH_OUT].to_task, 2);
    ck_assert_int_eq(plan->chans[CH_A].from_task, 3);
    ck_assert_int_eq(plan->chans[CH_B].from_task, 4);
    ck_assert_int_eq(plan->chans[CH_B].to_task, 1);
    ck_assert_int_eq(plan->execs[0].first_task, 1);
    ck_assert_int_eq(plan->execs[0].ntasks, 1);

    zctx = zmq_ctx_new();
    strcpy(dir, "/tmp/check_executor.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_msg((c = gale_ckpt_open(dir, &cause)) != NULL, "%s", cause);
    gale_ckpt_close(&c);
    snprintf(prefix, sizeof prefix, "inproc://check-exec-%ld-%d/",
        (long)getpid(), n++);

    /* The runtime's sockets, bound before the executor connects. */
    report = zmq_socket(zctx, ZMQ_PULL);
    zmq_setsockopt(report, ZMQ_LINGER, &linger, sizeof linger);
    snprintf(ep, sizeof ep, "%sreport", prefix);
    ck_assert_int_eq(zmq_bind(report, ep), 0);
    ctl = zmq_socket(zctx, ZMQ_PAIR);
    zmq_setsockopt(ctl, ZMQ_LINGER, &linger, sizeof linger);
    snprintf(ep, sizeof ep, "%sctl/0", prefix);
    ck_assert_int_eq(zmq_bind(ctl, ep), 0);
    writer = gale_ckptwriter_start(zctx, prefix, prefix, dir, &cause);
    ck_assert_msg(writer != NULL, "writer: %s", cause);

    up = NULL;
    /* Downstream: c's end of b's output. */
    snprintf(chp, sizeof chp, "%sch/", prefix);
    ck_assert_ptr_nonnull(down = gale_inlet_new(zctx, chp, EPOCH, 16, &cause));
    ck_assert_int_eq(gale_inlet_add(down, CH_OUT), 0);
}

/* Sends control message m on sock in its wire encoding. Returns what
 * zmq_send returns. */
static int
send_ctl(void *sock, const gale_ctl_msg_t *m)
{
    uint8_t b[GALE_CTL_MSG_SIZE];
    size_t n = gale_ctl_msg_encode(m, b);

    return zmq_send(sock, b, n, 0);
}

static void
teardown(void)
{
    gale_ctl_msg_t m = { .type = GALE_CTL_EXIT };

    if (ex != NULL) {
        send_ctl(ctl, &m);
        gale_executor_destroy(&ex);
    }
    gale_ckptwriter_stop(&writer);
    gale_outlet_destroy(&up);
    gale_inlet_destroy(&down);
    zmq_close(ctl);
    zmq_close(report);
    zmq_ctx_term(zctx);
    gale_plan_destroy(&plan);
    gale_topology_destroy(&topo);
    test_rm_tree(dir);
}

/* Reads the reports waiting (up to ms for the first), keeping ACKs,
 * DONE and NOTIFIED; fails the test on FAILED. Returns how many. */
static int
pump_reports(long ms)
{
    zmq_pollitem_t item = { report, 0, ZMQ_POLLIN, 0 };
    gale_report_hdr_t h;
    uint8_t wire[GALE_REPORT_ACK_SIZE + 1];
    char part[1024];
    int more, n = 0, got;
    size_t sz;

    while (zmq_poll(&item, 1, n == 0 ? ms : 0) == 1) {
        got = zmq_recv(report, wire, sizeof wire, 0);
        ck_assert_int_eq(got, GALE_REPORT_HDR_SIZE);
        ck_assert_int_eq(gale_report_hdr_decode(wire, (size_t)got, &h), 0);
        n++;
        if (h.type == GALE_REPORT_ACK) {
            ck_assert_int_lt(nacks, 16);
            got = zmq_recv(report, wire, sizeof wire, 0);
            ck_assert_int_eq(got, GALE_REPORT_ACK_SIZE);
            ck_assert_int_eq(gale_report_ack_decode(wire, (size_t)got,
                &acks[nacks]), 0);
            got = zmq_recv(report, ack_files[nacks], sizeof ack_files[0] - 1, 0);
            ck_assert_int_gt(got, 0);
            ack_files[nacks][got] = '\0';
            nacks++;
        } else if (h.type == GALE_REPORT_FAILED) {
            got = zmq_recv(report, part, sizeof part - 1, 0);
            part[got > 0 ? got : 0] = '\0';
            ck_abort_msg("executor failed: %s", part);
        } else if (h.type == GALE_REPORT_DONE) {
            ck_assert_uint_eq(h.epoch, EPOCH);
            done_seen++;
        } else if (h.type == GALE_REPORT_NOTIFIED) {
            notified_seen = h.arg;
        }
        /* The rest of a multipart report (STATS' counters). */
        for (;;) {
            more = 0;
            sz = sizeof more;
            zmq_getsockopt(report, ZMQ_RCVMORE, &more, &sz);
            if (!more)
                break;
            zmq_recv(report, part, sizeof part, 0);
        }
    }
    return n;
}

/* Starts executor exec (aligned or not) and waits for its "ready"
 * report; its control socket must be bound. */
static void
start_exec_n(int exec, bool aligned)
{
    gale_executor_cfg_t c = { .plan = plan, .exec = exec, .zctx = zctx,
        .prefix = prefix, .ctl_prefix = prefix, .epoch = EPOCH,
        .report_ms = 50, .checkpoints = true, .aligned = aligned,
        .ckpt_dir = dir };

    ck_assert_ptr_nonnull(ex = gale_executor_new(&c));
    ck_assert_int_eq(gale_executor_start(ex), 0);
    ck_assert_int_gt(pump_reports(WAIT_MS), 0);
}

/* Starts executor 0, b's, and the test's ends of its inputs (one tuple
 * per frame, so that every tuple is a unit the inlet may hold back). Not
 * made in setup: an inproc PAIR that connected before the bind and was
 * closed still takes the bound end's one peer. */
static void
start_exec(bool aligned)
{
    gale_outlet_cfg_t oc;
    char chp[160], *cause = NULL;

    snprintf(chp, sizeof chp, "%sch/", prefix);
    memset(&oc, 0, sizeof oc);
    oc.zctx = zctx;
    oc.prefix = chp;
    oc.epoch = EPOCH;
    oc.batch_size = 1;
    oc.batch_bytes = 4096;
    oc.flush_interval_ms = 1;
    oc.queue_depth = 16;
    ck_assert_ptr_nonnull(up = gale_outlet_new(&oc, &cause));
    ck_assert_int_ge(up_a = gale_outlet_add(up, CH_A), 0);
    ck_assert_int_ge(up_b = gale_outlet_add(up, CH_B), 0);
    start_exec_n(0, aligned);
}

/* Sends value v on upstream channel idx. */
static void
send_val(int idx, int64_t v)
{
    gale_buf_t b;
    gale_datum_t d = gale_d_int(v);

    gale_buf_init(&b, 32);
    ck_assert_int_eq(gale_record_encode(&b, 0, -1, &d, 1), 0);
    ck_assert_int_eq(gale_outlet_append(up, idx, b.data, b.len), 0);
    gale_buf_release(&b);
}

static void
send_ctl_frame(int idx, int kind, uint64_t arg)
{
    ck_assert_int_eq(gale_outlet_control(up, idx, kind, arg), 0);
}

static void
send_ctl_msg(uint32_t type, uint64_t arg)
{
    gale_ctl_msg_t m = { .type = type, .arg = arg };

    ck_assert_int_eq(send_ctl(ctl, &m), GALE_CTL_MSG_SIZE);
}

static int
executed_count(void)
{
    int n;

    pthread_mutex_lock(&lock);
    n = nexecuted;
    pthread_mutex_unlock(&lock);
    return n;
}

/* Waits until b executed n tuples (pumping reports meanwhile). */
static void
wait_executed(int n)
{
    uint64_t end = gale_now_ns() + (uint64_t)WAIT_MS * 1000000u;

    while (executed_count() < n && gale_now_ns() < end)
        pump_reports(5);
    ck_assert_int_eq(executed_count(), n);
}

/* Waits until n acknowledgements arrived. */
static void
wait_acks(int n)
{
    uint64_t end = gale_now_ns() + (uint64_t)WAIT_MS * 1000000u;

    while (nacks < n && gale_now_ns() < end)
        pump_reports(20);
    ck_assert_int_eq(nacks, n);
}

/* Whether b executed value v. */
static bool
was_executed(int64_t v)
{
    bool found = false;
    int i;

    pthread_mutex_lock(&lock);
    for (i = 0; i < nexecuted; i++)
        found |= executed[i] == v;
    pthread_mutex_unlock(&lock);
    return found;
}

/* Lets time pass (reports flow) and asserts b stays at n tuples and no
 * new acknowledgement arrived. */
static void
assert_stalled(int n)
{
    int acks_before = nacks;
    uint64_t end = gale_now_ns() + 300 * 1000000u;

    while (gale_now_ns() < end)
        pump_reports(20);
    ck_assert_int_eq(executed_count(), n);
    ck_assert_int_eq(nacks, acks_before);
}

/* iterate callback: appends the key (a number) to a sorted-later list. */
struct keys {
    int64_t v[MAXLOG];
    int n;
};

static int
collect_key(void *arg, const void *key, size_t klen, const void *val,
    size_t vlen)
{
    struct keys *k = arg;
    char buf[32];

    (void)val, (void)vlen;
    ck_assert_uint_lt(klen, sizeof buf);
    memcpy(buf, key, klen);
    buf[klen] = '\0';
    ck_assert_int_lt(k->n, MAXLOG);
    k->v[k->n++] = strtoll(buf, NULL, 10);
    return 0;
}

static int
cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

/* The values in the snapshot file of acknowledgement i, sorted, as a
 * string "1,2,3". */
static char *
snap_values(int i)
{
    gale_ckpt_t *c;
    gale_ckpt_meta_t *m = gale_ckpt_meta_new(acks[i].ckpt, EPOCH, "align", MAXP);
    gale_ckpt_task_t *t = gale_ckpt_meta_add_task(m, acks[i].task, "b", 0, 0,
        MAXP - 1);
    gale_kvstore_t *s = gale_kvstore_new(MAXP, 0, MAXP - 1);
    struct keys k = { .n = 0 };
    gale_buf_t out;
    char *cause = NULL, *r;
    int j;

    gale_ckpt_task_append(t, ack_files[i], acks[i].bytes);
    ck_assert_ptr_nonnull(c = gale_ckpt_open(dir, &cause));
    ck_assert_msg(gale_ckpt_restore_task(c, t, s, &cause) == 0, "%s", cause);
    gale_kv_iterate(gale_kvstore_operator(s, "seen"), collect_key, &k);
    qsort(k.v, (size_t)k.n, sizeof k.v[0], cmp64);
    gale_buf_init(&out, 64);
    for (j = 0; j < k.n; j++) {
        char num[32];

        snprintf(num, sizeof num, "%s%" PRId64, j ? "," : "", k.v[j]);
        gale_buf_append(&out, num, strlen(num));
    }
    gale_buf_append(&out, "", 1);
    r = xstrdup((const char *)out.data);
    gale_buf_release(&out);
    gale_kvstore_destroy(&s);
    gale_ckpt_close(&c);
    gale_ckpt_meta_destroy(&m);
    return r;
}

/* Checks acknowledgement i: task b (1), checkpoint id, the file's size. */
static void
check_ack(int i, uint64_t id)
{
    char path[256];
    struct stat st;

    ck_assert_int_eq(acks[i].task, 1);
    ck_assert_uint_eq(acks[i].ckpt, id);
    snprintf(path, sizeof path, "%s/files/%s", dir, ack_files[i]);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq((uint64_t)st.st_size, acks[i].bytes);
}

/* What c received, until END: "DATA" values as "v,v,..." with "|B<n>"
 * for each barrier, e.g. "1,2|B1|3". Values between two barriers are
 * sorted (two inputs interleave freely). Caller frees. */
static char *
read_from(gale_inlet_t *in)
{
    gale_frame_hdr_t h;
    gale_batch_reader_t r;
    gale_record_t rec;
    gale_datum_t d;
    zmq_msg_t msg;
    int64_t seg[MAXLOG];
    int nseg = 0, idx, rc, j;
    gale_buf_t out;
    char num[32], *res;
    bool first = true;

    gale_buf_init(&out, 128);
    for (;;) {
        idx = gale_inlet_poll(in, NULL, WAIT_MS);
        ck_assert_int_eq(idx, 0);
        zmq_msg_init(&msg);
        rc = gale_inlet_recv(in, idx, &msg, &h, NULL);
        if (rc == -EAGAIN) {
            zmq_msg_close(&msg);
            continue;
        }
        ck_assert_int_eq(rc, 0);
        if (h.kind == GALE_FRAME_DATA) {
            gale_batch_reader_init(&r, zmq_msg_data(&msg), zmq_msg_size(&msg), &h);
            while (gale_batch_next(&r, &rec) == 1) {
                ck_assert_int_eq(gale_record_fields(&rec, &d, 1), 1);
                ck_assert_int_lt(nseg, MAXLOG);
                seg[nseg++] = d.u.i;
            }
        }
        if (h.kind == GALE_FRAME_BARRIER || h.kind == GALE_FRAME_END) {
            qsort(seg, (size_t)nseg, sizeof seg[0], cmp64);
            for (j = 0; j < nseg; j++) {
                snprintf(num, sizeof num, "%s%" PRId64, first ? "" : ",", seg[j]);
                first = false;
                gale_buf_append(&out, num, strlen(num));
            }
            nseg = 0;
        }
        if (h.kind == GALE_FRAME_BARRIER) {
            snprintf(num, sizeof num, "|B%" PRIu64 "|", h.arg);
            gale_buf_append(&out, num, strlen(num));
            first = true;
        }
        zmq_msg_close(&msg);
        if (h.kind == GALE_FRAME_END)
            break;
    }
    gale_inlet_set_ended(in, 0);
    gale_buf_append(&out, "", 1);
    res = xstrdup((const char *)out.data);
    gale_buf_release(&out);
    return res;
}

static char *
read_downstream(void)
{
    return read_from(down);
}

/* Ends the inputs still open (a: A, b: B), reads what c received (see
 * read_downstream) and waits for DONE. Caller frees. */
static char *
end_inputs(bool a, bool b)
{
    uint64_t end;
    char *s;

    if (a)
        send_ctl_frame(up_a, GALE_FRAME_END, 0);
    if (b)
        send_ctl_frame(up_b, GALE_FRAME_END, 0);
    s = read_downstream();
    end = gale_now_ns() + (uint64_t)WAIT_MS * 1000000u;
    while (done_seen == 0 && gale_now_ns() < end)
        pump_reports(20);
    ck_assert_int_eq(done_seen, 1);
    return s;
}

/* ---- the tests --------------------------------------------------------- */

START_TEST(test_barrier_blocks_channel_until_aligned)
{
    char *s;
    uint64_t end;

    start_exec(true);
    send_val(up_a, 1);
    send_val(up_a, 2);
    send_val(up_a, 3);
    send_ctl_frame(up_a, GALE_FRAME_BARRIER, 1);
    send_val(up_a, 4);
    send_val(up_a, 5);
    send_val(up_a, 6);
    send_val(up_b, 101);
    send_val(up_b, 102);
    send_val(up_b, 103);
    /* B flows; A's tuples after its barrier wait. */
    wait_executed(6);
    assert_stalled(6);
    ck_assert(!was_executed(4) && !was_executed(5) && !was_executed(6));
    ck_assert(was_executed(101) && was_executed(103));
    pthread_mutex_lock(&lock);
    ck_assert_int_eq(nsnaps, 0);
    pthread_mutex_unlock(&lock);

    /* B's barrier aligns: snapshot of exactly the six, then A resumes. */
    send_ctl_frame(up_b, GALE_FRAME_BARRIER, 1);
    send_val(up_b, 104);
    wait_acks(1);
    check_ack(0, 1);
    s = snap_values(0);
    ck_assert_str_eq(s, "1,2,3,101,102,103");
    free(s);
    pthread_mutex_lock(&lock);
    ck_assert_int_eq(nsnaps, 1);
    ck_assert_uint_eq(snap_ids[0], 1);
    ck_assert_int_eq(snap_at[0], 6);
    pthread_mutex_unlock(&lock);
    wait_executed(10);
    ck_assert(was_executed(4) && was_executed(6) && was_executed(104));

    /* COMPLETE reaches the task, and the executor says so. */
    send_ctl_msg(GALE_CTL_COMPLETE, 1);
    end = gale_now_ns() + (uint64_t)WAIT_MS * 1000000u;
    while (notified_seen != 1 && gale_now_ns() < end)
        pump_reports(20);
    ck_assert_uint_eq(notified_seen, 1);
    pthread_mutex_lock(&lock);
    ck_assert_uint_eq(completed_id, 1);
    pthread_mutex_unlock(&lock);

    /* Downstream: the barrier once, between the two sets of outputs. */
    s = end_inputs(true, true);
    ck_assert_str_eq(s, "1,2,3,101,102,103|B1|4,5,6,104");
    free(s);
    ck_assert_int_eq(nacks, 1);
}
END_TEST

START_TEST(test_end_counts_as_aligned)
{
    char *s;

    start_exec(true);
    send_val(up_a, 1);
    send_val(up_a, 2);
    send_ctl_frame(up_a, GALE_FRAME_BARRIER, 1);
    send_val(up_a, 3);
    wait_executed(2);
    assert_stalled(2);
    ck_assert(!was_executed(3));
    /* B delivers a tuple and ends without a barrier: that aligns. */
    send_val(up_b, 10);
    send_ctl_frame(up_b, GALE_FRAME_END, 0);
    wait_acks(1);
    check_ack(0, 1);
    s = snap_values(0);
    ck_assert_str_eq(s, "1,2,10");
    free(s);
    wait_executed(4);
    ck_assert(was_executed(3));
    s = end_inputs(true, false);
    ck_assert_str_eq(s, "1,2,10|B1|3");
    free(s);
}
END_TEST

START_TEST(test_ended_input_then_barrier_aligns_at_once)
{
    char *s;

    start_exec(true);
    send_val(up_b, 10);
    send_ctl_frame(up_b, GALE_FRAME_END, 0);
    wait_executed(1);
    /* The only open input's barrier completes the alignment. */
    send_val(up_a, 1);
    send_ctl_frame(up_a, GALE_FRAME_BARRIER, 1);
    send_val(up_a, 2);
    wait_acks(1);
    check_ack(0, 1);
    s = snap_values(0);
    ck_assert_str_eq(s, "1,10");
    free(s);
    wait_executed(3);
    s = end_inputs(true, false);
    ck_assert_str_eq(s, "1,10|B1|2");
    free(s);
}
END_TEST

START_TEST(test_two_checkpoints_snapshot_deltas)
{
    char *s;

    start_exec(true);
    send_val(up_a, 1);
    send_val(up_b, 10);
    send_ctl_frame(up_a, GALE_FRAME_BARRIER, 1);
    send_ctl_frame(up_b, GALE_FRAME_BARRIER, 1);
    send_val(up_a, 2);
    send_ctl_frame(up_a, GALE_FRAME_BARRIER, 2);
    send_val(up_a, 3);
    send_val(up_b, 20);
    send_ctl_frame(up_b, GALE_FRAME_BARRIER, 2);
    wait_acks(2);
    check_ack(0, 1);
    check_ack(1, 2);
    /* Each snapshot holds the changes since the one before. */
    s = snap_values(0);
    ck_assert_str_eq(s, "1,10");
    free(s);
    s = snap_values(1);
    ck_assert_str_eq(s, "2,20");
    free(s);
    wait_executed(5);
    s = end_inputs(true, true);
    ck_assert_str_eq(s, "1,10|B1|2,20|B2|3");
    free(s);
}
END_TEST

START_TEST(test_decline_unblocks_without_snapshot)
{
    char *s;

    start_exec(true);
    send_val(up_a, 1);
    send_ctl_frame(up_a, GALE_FRAME_BARRIER, 1);
    send_val(up_a, 2);
    send_val(up_b, 10);
    wait_executed(2);
    assert_stalled(2);
    ck_assert(!was_executed(2));
    /* The coordinator gives checkpoint 1 up: A flows again, nothing is
     * snapshotted or forwarded, and B's late barrier 1 is ignored. */
    send_ctl_msg(GALE_CTL_DECLINE, 1);
    wait_executed(3);
    ck_assert(was_executed(2));
    send_ctl_frame(up_b, GALE_FRAME_BARRIER, 1);
    send_val(up_b, 11);
    wait_executed(4);
    assert_stalled(4);
    ck_assert_int_eq(nacks, 0);
    /* Checkpoint 2 then holds every change, 1's included. */
    send_ctl_frame(up_a, GALE_FRAME_BARRIER, 2);
    send_ctl_frame(up_b, GALE_FRAME_BARRIER, 2);
    wait_acks(1);
    check_ack(0, 2);
    s = snap_values(0);
    ck_assert_str_eq(s, "1,2,10,11");
    free(s);
    s = end_inputs(true, true);
    ck_assert_str_eq(s, "1,2,10,11|B2|");
    free(s);
}
END_TEST

START_TEST(test_unaligned_mode_does_not_block)
{
    char *s;

    start_exec(false);
    send_val(up_a, 1);
    send_ctl_frame(up_a, GALE_FRAME_BARRIER, 1);
    send_val(up_a, 2);
    send_val(up_b, 10);
    /* At-least-once: A's tuple after its barrier runs before B's barrier
     * arrived; the checkpoint waits for B's barrier all the same. */
    wait_executed(3);
    ck_assert(was_executed(2));
    assert_stalled(3);
    send_ctl_frame(up_b, GALE_FRAME_BARRIER, 1);
    wait_acks(1);
    check_ack(0, 1);
    s = snap_values(0);
    ck_assert_str_eq(s, "1,2,10");
    free(s);
    s = end_inputs(true, true);
    ck_assert_str_eq(s, "1,2,10|B1|");
    free(s);
}
END_TEST

START_TEST(test_finished_task_snapshots_on_trigger)
{
    char *s;

    start_exec(true);
    send_val(up_a, 1);
    send_val(up_b, 2);
    s = end_inputs(true, true);
    ck_assert_str_eq(s, "1,2");
    free(s);
    ck_assert_int_eq(nacks, 0);
    /* Finished, it takes checkpoint 1 when told of it (no barrier will
     * come), and has nowhere to forward it. */
    send_ctl_msg(GALE_CTL_CHECKPOINT, 1);
    wait_acks(1);
    check_ack(0, 1);
    s = snap_values(0);
    ck_assert_str_eq(s, "1,2");
    free(s);
    /* Once only. */
    send_ctl_msg(GALE_CTL_CHECKPOINT, 1);
    assert_stalled(2);
}
END_TEST

/* Waits until the spout emitted n. */
static void
wait_spout(int n)
{
    uint64_t end = gale_now_ns() + (uint64_t)WAIT_MS * 1000000u;

    while (atomic_load(&spout_emitted) < n && gale_now_ns() < end)
        pump_reports(5);
    ck_assert_int_eq(atomic_load(&spout_emitted), n);
}

START_TEST(test_spout_snapshots_then_emits_barrier)
{
    gale_ctl_msg_t m = { .type = GALE_CTL_CHECKPOINT, .arg = 1 };
    gale_inlet_t *b_in;
    void *ctl2;
    char ep[160], chp[160], *s, *cause = NULL;
    int linger = 0;

    /* The test plays b now: s1's channel is read, not written. */
    snprintf(chp, sizeof chp, "%sch/", prefix);
    ck_assert_ptr_nonnull(b_in = gale_inlet_new(zctx, chp, EPOCH, 16, &cause));
    ck_assert_int_eq(gale_inlet_add(b_in, CH_A), 0);
    ctl2 = zmq_socket(zctx, ZMQ_PAIR);
    zmq_setsockopt(ctl2, ZMQ_LINGER, &linger, sizeof linger);
    snprintf(ep, sizeof ep, "%sctl/2", prefix);
    ck_assert_int_eq(zmq_bind(ctl2, ep), 0);
    ck_assert_int_eq(plan->execs[2].first_task, 3);     /* s1 */

    atomic_store(&spout_quota, 3);
    start_exec_n(2, true);
    wait_spout(3);
    /* CHECKPOINT: the spout task snapshots between two next() calls, then
     * BARRIER(1) goes out after what it emitted before. */
    ck_assert_int_eq(send_ctl(ctl2, &m), GALE_CTL_MSG_SIZE);
    wait_acks(1);
    ck_assert_int_eq(acks[0].task, 3);
    ck_assert_uint_eq(acks[0].ckpt, 1);
    s = snap_values(0);
    ck_assert_str_eq(s, "1,2,3");
    free(s);
    pthread_mutex_lock(&lock);
    ck_assert_int_eq(nsnaps, 1);
    ck_assert_uint_eq(snap_ids[0], 1);
    ck_assert_int_eq(snap_at[0], 3);
    pthread_mutex_unlock(&lock);
    /* More after it, then STOP ends the stream. */
    atomic_store(&spout_quota, 5);
    wait_spout(5);
    m.type = GALE_CTL_STOP;
    m.arg = 0;
    ck_assert_int_eq(send_ctl(ctl2, &m), GALE_CTL_MSG_SIZE);
    s = read_from(b_in);
    ck_assert_str_eq(s, "1,2,3|B1|4,5");
    free(s);
    ck_assert_int_eq(nacks, 1);
    m.type = GALE_CTL_EXIT;
    send_ctl(ctl2, &m);
    gale_executor_destroy(&ex);
    zmq_close(ctl2);
    gale_inlet_destroy(&b_in);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("executor");
    TCase *tc = tcase_create("align");
    SRunner *sr = srunner_create(s);
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_barrier_blocks_channel_until_aligned);
    tcase_add_test(tc, test_end_counts_as_aligned);
    tcase_add_test(tc, test_ended_input_then_barrier_aligns_at_once);
    tcase_add_test(tc, test_two_checkpoints_snapshot_deltas);
    tcase_add_test(tc, test_decline_unblocks_without_snapshot);
    tcase_add_test(tc, test_unaligned_mode_does_not_block);
    tcase_add_test(tc, test_finished_task_snapshots_on_trigger);
    tcase_add_test(tc, test_spout_snapshots_then_emits_barrier);
    suite_add_tcase(s, tc);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
