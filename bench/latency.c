/* latency.c - a gale plugin for `make bench`'s end-to-end latency figure:
 * a paced spout that stamps every tuple with the engine's clock, a relay,
 * and a sink that records how long each tuple took to reach it.
 *
 * Built by `make bench` as a plugin author builds one (include/gale only;
 * the gale_* symbols resolve against the gale binary when it loads):
 *
 *     cc -std=c11 -shared -fPIC -I include -o bench/latency.so bench/latency.c
 *
 * Types:
 *   pace_ts       spout: emits [key, ts_ns] at `rate` tuples per second
 *                 (0 = as fast as it may), `count` tuples, keys 0..keys-1.
 *                 ts_ns is gale_now_ns() (CLOCK_MONOTONIC, one clock for
 *                 every process of a host) when the tuple is emitted.
 *   relay         bolt: emits its input's first two fields unchanged.
 *   latency_sink  bolt: records gale_now_ns() - ts_ns of every tuple in a
 *                 histogram and, at finish, writes one RESULT line (p50,
 *                 p90, p99, p99.9, max; tuples per second between the
 *                 first measured tuple and the last) to `path` (with
 *                 ".<task index>" appended when it has several tasks) and
 *                 to the log.
 *
 * The spout's pacing is its own token bucket (a plugin cannot use
 * spouts/pace.h): tokens accrue at `rate` per second, at most 10 ms worth,
 * so a spout held back (backpressure, the executor's idle wait) for longer
 * than that drops the excess and runs below `rate`; the sink's measured
 * rate shows it. Each next() emits at most BURST tuples, re-reading the
 * clock every STAMP_EVERY of them. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gale/gale.h>

#define BURST 256               /* tuples per next() at most */
#define STAMP_EVERY 64          /* tuples emitted per clock reading */
#define POSITION_KEY "emitted"  /* operator state: tuples emitted so far */
#define KEY_STEP 2654435761ull  /* a prime: keys visit 0..keys-1 in a jumble */

/* ---- pace_ts: the paced, time-stamping spout ---- */

typedef struct pace_ts {
    int64_t rate;               /* tuples per second; 0 = unlimited */
    int64_t count;              /* tuples to emit; 0 = unbounded */
    int64_t keys;               /* distinct keys */
    int64_t emitted;            /* tuples emitted so far */
    double tokens;              /* tuples that may be emitted now */
    double burst;               /* cap on tokens */
    uint64_t last_ns;           /* when tokens was last refilled */
    gale_kv_t *position;        /* operator state, engine-owned */
} pace_ts_t;

/* Reads the parameters. -EINVAL (reported) for a negative rate or count,
 * or keys below 1. */
static int
pace_open(gale_ctx_t *ctx, void **self)
{
    pace_ts_t *p = calloc(1, sizeof *p);

    if (p == NULL)
        return -ENOMEM;
    p->rate = gale_ctx_param_int(ctx, "rate", 0);
    p->count = gale_ctx_param_int(ctx, "count", 0);
    p->keys = gale_ctx_param_int(ctx, "keys", 10000);
    if (p->rate < 0 || p->count < 0 || p->keys < 1) {
        gale_ctx_report_error(ctx, "pace_ts: rate and count must be >= 0 "
            "and keys >= 1");
        free(p);
        return -EINVAL;
    }
    p->burst = p->rate / 100.0 > 1.0 ? p->rate / 100.0 : 1.0;
    p->tokens = 1.0;
    p->position = gale_ctx_operator_state(ctx, "position");
    *self = p;
    return 0;
}

/* How many tuples the bucket allows now, at most want. */
static int64_t
pace_allow(pace_ts_t *p, int64_t want, uint64_t now)
{
    if (p->rate == 0)
        return want;
    if (p->last_ns != 0 && now > p->last_ns) {
        p->tokens += (double)(now - p->last_ns) * (double)p->rate / 1e9;
        if (p->tokens > p->burst)
            p->tokens = p->burst;
    }
    p->last_ns = now;
    return (int64_t)p->tokens < want ? (int64_t)p->tokens : want;
}

static int
pace_next(gale_ctx_t *ctx, void *self)
{
    pace_ts_t *p = self;
    int64_t want = BURST, n, i;
    uint64_t now = gale_now_ns();
    gale_datum_t vals[2];
    int rc;

    if (p->count > 0 && p->emitted >= p->count)
        return GALE_DONE;
    if (p->count > 0 && p->count - p->emitted < want)
        want = p->count - p->emitted;
    if ((n = pace_allow(p, want, now)) == 0)
        return GALE_IDLE;
    for (i = 0; i < n; i++) {
        if (i > 0 && i % STAMP_EVERY == 0)
            now = gale_now_ns();
        vals[0] = gale_d_int((int64_t)(((uint64_t)p->emitted * KEY_STEP) %
            (uint64_t)p->keys));
        vals[1] = gale_d_int((int64_t)now);
        if ((rc = gale_emit(ctx, GALE_STREAM_DEFAULT, vals, 2)) != 0)
            return rc;
        p->emitted++;
    }
    if (p->rate > 0)
        p->tokens -= (double)n;
    return GALE_EMITTED;
}

/* Records the tuples emitted so far (8 bytes, little-endian). */
static int
pace_snapshot(gale_ctx_t *ctx, void *self, uint64_t checkpoint_id)
{
    pace_ts_t *p = self;
    unsigned char buf[8];
    uint64_t v = (uint64_t)p->emitted;
    int i;

    (void)ctx;
    (void)checkpoint_id;
    for (i = 0; i < 8; i++)
        buf[i] = (unsigned char)(v >> (8 * i));
    return gale_kv_put(p->position, POSITION_KEY, strlen(POSITION_KEY),
        buf, sizeof buf);
}

/* Resumes after the tuples the restored checkpoint covers. -EINVAL if the
 * recorded position is malformed. */
static int
pace_restore(gale_ctx_t *ctx, void *self)
{
    pace_ts_t *p = self;
    const void *val;
    size_t len, i;
    uint64_t v = 0;

    (void)ctx;
    if (gale_kv_get(p->position, POSITION_KEY, strlen(POSITION_KEY), &val,
        &len) != 0)
        return 0;
    if (len != 8)
        return -EINVAL;
    for (i = 0; i < 8; i++)
        v |= (uint64_t)((const unsigned char *)val)[i] << (8 * i);
    p->emitted = (int64_t)v;
    return 0;
}

static void
pace_close(gale_ctx_t *ctx, void *self)
{
    (void)ctx;
    free(self);
}

static const gale_param_spec_t pace_params[] = {
    { "rate", GALE_INT, false, "tuples per second; 0 = as fast as possible" },
    { "count", GALE_INT, false, "tuples to emit; 0 = unbounded" },
    { "keys", GALE_INT, false, "distinct keys (default 10000)" },
    { NULL, GALE_NULL, false, NULL }
};

static const gale_spout_ops_t pace_ops = {
    .open = pace_open,
    .next = pace_next,
    .snapshot = pace_snapshot,
    .restore = pace_restore,
    .close = pace_close,
};

static const gale_component_def_t pace_def = {
    .type = "pace_ts",
    .kind = GALE_SPOUT,
    .summary = "paced spout emitting [key, ts_ns] (bench/latency.c)",
    .params = pace_params,
    .spout = &pace_ops,
};

/* ---- relay: passes [key, ts_ns] on ---- */

/* Emits fields 0 and 1. -EINVAL (reported) for a tuple with fewer. */
static int
relay_execute(gale_ctx_t *ctx, void *self, const gale_tuple_t *t)
{
    gale_datum_t vals[2];

    (void)self;
    if (gale_tuple_get(t, 0, &vals[0]) != 0 || gale_tuple_get(t, 1, &vals[1]) != 0) {
        gale_ctx_report_error(ctx, "relay: a tuple from %s has fewer than 2 "
            "fields", gale_tuple_component(t));
        return -EINVAL;
    }
    return gale_emit(ctx, GALE_STREAM_DEFAULT, vals, 2);
}

static const gale_param_spec_t no_params[] = {
    { NULL, GALE_NULL, false, NULL }
};

static const gale_bolt_ops_t relay_ops = {
    .execute = relay_execute,
};

static const gale_component_def_t relay_def = {
    .type = "relay",
    .kind = GALE_BOLT,
    .summary = "emits its input's two fields unchanged (bench/latency.c)",
    .params = no_params,
    .bolt = &relay_ops,
};

/* ---- latency_sink: the histogram ---- */

/* A log-linear histogram of nanoseconds: values below 2 * SUB have a
 * bucket each; above, each power of two is cut into SUB buckets, so a
 * bucket is less than 1 / SUB (0.8%) wide relative to its values. */
#define SUB_BITS 7
#define SUB (1u << SUB_BITS)
#define NBUCKETS ((64 - SUB_BITS + 1) * SUB)

typedef struct lat_sink {
    char *path;                 /* owned; NULL = the log only */
    uint64_t warmup_ns;         /* tuples stamped this soon after the first are not counted */
    uint64_t *hist;             /* owned, NBUCKETS counters */
    uint64_t tuples;            /* every tuple received */
    uint64_t measured;          /* tuples in hist */
    uint64_t start_ts;          /* ts_ns of the first tuple received; 0 = none yet */
    uint64_t first_ns;          /* when the first measured tuple arrived */
    uint64_t last_ns;           /* when the last measured tuple arrived */
    uint64_t max_ns;            /* the largest latency measured */
} lat_sink_t;

static unsigned
bucket_of(uint64_t v)
{
    unsigned shift;

    if (v < 2 * SUB)
        return (unsigned)v;
    shift = (unsigned)(63 - __builtin_clzll(v)) - SUB_BITS;
    return (shift + 1) * SUB + (unsigned)((v >> shift) - SUB);
}

/* The largest value bucket b holds. */
static uint64_t
bucket_top(unsigned b)
{
    unsigned shift;

    if (b < 2 * SUB)
        return b;
    shift = b / SUB - 1;
    return (((uint64_t)(b % SUB + SUB) + 1) << shift) - 1;
}

/* The q-quantile (0 < q <= 1) of the measured latencies: the top of the
 * bucket holding the ceil(q * n)-th smallest, at most the maximum seen. */
static uint64_t
quantile(const lat_sink_t *s, double q)
{
    double want = q * (double)s->measured;
    uint64_t rank = (uint64_t)want, seen = 0;
    unsigned b;

    if ((double)rank < want)
        rank++;
    if (rank < 1)
        rank = 1;
    for (b = 0; b < NBUCKETS; b++) {
        seen += s->hist[b];
        if (seen >= rank)
            return bucket_top(b) < s->max_ns ? bucket_top(b) : s->max_ns;
    }
    return s->max_ns;
}

static void
sink_cleanup(gale_ctx_t *ctx, void *self)
{
    lat_sink_t *s = self;

    (void)ctx;
    if (s == NULL)
        return;
    free(s->path);
    free(s->hist);
    free(s);
}

/* Reads path and warmup_ms. -EINVAL (reported) for a negative warm-up. */
static int
sink_prepare(gale_ctx_t *ctx, void **self)
{
    const char *path = gale_ctx_param_str(ctx, "path", NULL);
    int64_t warmup = gale_ctx_param_int(ctx, "warmup_ms", 0);
    lat_sink_t *s = calloc(1, sizeof *s);
    size_t len;

    if (s == NULL || (s->hist = calloc(NBUCKETS, sizeof *s->hist)) == NULL)
        goto nomem;
    if (warmup < 0) {
        gale_ctx_report_error(ctx, "latency_sink: warmup_ms must be >= 0");
        sink_cleanup(ctx, s);
        return -EINVAL;
    }
    s->warmup_ns = (uint64_t)warmup * 1000000u;
    if (path != NULL) {
        len = strlen(path) + 16;
        if ((s->path = malloc(len)) == NULL)
            goto nomem;
        if (gale_ctx_ntasks(ctx) > 1)
            snprintf(s->path, len, "%s.%d", path, gale_ctx_task_index(ctx));
        else
            snprintf(s->path, len, "%s", path);
    }
    *self = s;
    return 0;
nomem:
    sink_cleanup(ctx, s);
    return -ENOMEM;
}

/* Records now - ts_ns of the tuple's second field. -EINVAL (reported) if
 * that field is not an int. */
static int
sink_execute(gale_ctx_t *ctx, void *self, const gale_tuple_t *t)
{
    lat_sink_t *s = self;
    uint64_t now = gale_now_ns(), ts, d;
    gale_datum_t v;

    if (gale_tuple_get(t, 1, &v) != 0 || v.type != GALE_INT) {
        gale_ctx_report_error(ctx, "latency_sink: a tuple from %s has no "
            "int field 1 (ts_ns)", gale_tuple_component(t));
        return -EINVAL;
    }
    ts = (uint64_t)v.u.i;
    s->tuples++;
    if (s->start_ts == 0)
        s->start_ts = ts;
    if (ts < s->start_ts + s->warmup_ns)
        return 0;
    d = now > ts ? now - ts : 0;
    s->hist[bucket_of(d)]++;
    if (d > s->max_ns)
        s->max_ns = d;
    if (s->measured++ == 0)
        s->first_ns = now;
    s->last_ns = now;
    return 0;
}

/* Writes the RESULT line to path and the log. -EIO (reported) if path
 * cannot be written; -ENODATA (reported) if no tuple was measured. */
static int
sink_finish(gale_ctx_t *ctx, void *self)
{
    lat_sink_t *s = self;
    double span = (double)(s->last_ns - s->first_ns) / 1e9;
    char line[320];
    FILE *f;
    int bad;

    if (s->measured == 0) {
        gale_ctx_report_error(ctx, "latency_sink: no tuple measured (%llu "
            "received, all within the warm-up)", (unsigned long long)s->tuples);
        return -ENODATA;
    }
    snprintf(line, sizeof line, "RESULT latency tuples=%llu measured=%llu "
        "p50_us=%.1f p90_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f "
        "span_s=%.3f tuples_per_s=%.0f\n", (unsigned long long)s->tuples,
        (unsigned long long)s->measured, quantile(s, 0.50) / 1e3,
        quantile(s, 0.90) / 1e3, quantile(s, 0.99) / 1e3,
        quantile(s, 0.999) / 1e3, s->max_ns / 1e3, span,
        span > 0 ? (double)(s->measured - 1) / span : 0.0);
    gale_ctx_log(ctx, GALE_LOG_INFO, "%.*s", (int)strlen(line) - 1, line);
    if (s->path == NULL)
        return 0;
    if ((f = fopen(s->path, "w")) != NULL) {
        bad = fputs(line, f) == EOF;
        if (fclose(f) != 0)
            bad = 1;
        if (!bad)
            return 0;
    }
    gale_ctx_report_error(ctx, "latency_sink: cannot write %s: %s", s->path,
        strerror(errno));
    return -EIO;
}

static const gale_param_spec_t sink_params[] = {
    { "path", GALE_STRING, false, "file for the RESULT line; default the log only" },
    { "warmup_ms", GALE_INT, false, "tuples stamped this soon after the first are not measured" },
    { NULL, GALE_NULL, false, NULL }
};

static const gale_bolt_ops_t sink_ops = {
    .prepare = sink_prepare,
    .execute = sink_execute,
    .finish = sink_finish,
    .cleanup = sink_cleanup,
};

static const gale_component_def_t sink_def = {
    .type = "latency_sink",
    .kind = GALE_BOLT,
    .summary = "end-to-end latency histogram of [key, ts_ns] (bench/latency.c)",
    .params = sink_params,
    .bolt = &sink_ops,
};

/* ---- what the plugin exports ---- */

static const gale_component_def_t *const components[] = {
    &pace_def, &relay_def, &sink_def, NULL
};

const gale_plugin_t gale_plugin = { GALE_ABI_VERSION, components, NULL };
