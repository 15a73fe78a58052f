/* generator.c - the "generator" spout: deterministic sentences, words or
 * integers from a seed (spouts/wordgen.h), bounded or not, optionally
 * rate-limited. Its position (tuples emitted and PRNG state) lives in
 * operator state, so a restored task resumes the very same stream. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <gale/gale.h>

#include "common/le.h"
#include "spouts/builtins.h"
#include "spouts/pace.h"
#include "spouts/wordgen.h"

#define BATCH 256               /* tuples per next() at most */
#define POSITION_KEY "position" /* key in operator state "position" */

enum mode { MODE_SENTENCES, MODE_WORDS, MODE_INTEGERS, MODE_SEQUENCE, MODE_EVENTS };

typedef struct generator {
    gale_wordgen_t *wg;         /* owned vocabulary */
    enum mode mode;             /* what a tuple carries */
    int words;                  /* words per sentence */
    uint64_t index, ntasks;     /* sequence: task i emits i, i+n, i+2n, ... */
    uint64_t rng;               /* PRNG state: the stream's position */
    uint64_t emitted;           /* tuples emitted by this task */
    uint64_t limit;             /* this task's share of count */
    bool unbounded;             /* count was 0: no limit */
    gale_pace_t pace;           /* rate limit */
    int64_t start, step, disorder; /* events: event times */
    char *buf;                  /* owned: one sentence */
    gale_kv_t *position;        /* operator state, engine-owned */
} generator_t;

static void
generator_close(gale_ctx_t *ctx, void *self)
{
    generator_t *g = self;

    if (g == NULL)
        return;
    gale_wordgen_destroy(&g->wg);
    free(g->buf);
    free(g);
}

/* Reads and checks the parameters. -EINVAL (reported) on a bad one; the
 * engine owns *self on success and passes it to close. */
static int
generator_open(gale_ctx_t *ctx, void **self)
{
    generator_t *g = calloc(1, sizeof *g);
    const char *mode = gale_ctx_param_str(ctx, "mode", "sentences");
    int64_t seed = gale_ctx_param_int(ctx, "seed", 1);
    int64_t count = gale_ctx_param_int(ctx, "count", 0);
    int64_t rate = gale_ctx_param_int(ctx, "rate", 0);
    int64_t words = gale_ctx_param_int(ctx, "words", 10);
    int64_t vocab = gale_ctx_param_int(ctx, "vocabulary", 10000);
    int64_t ntasks = gale_ctx_ntasks(ctx), index = gale_ctx_task_index(ctx);

    if (g == NULL)
        return -ENOMEM;
    if (strcmp(mode, "sentences") == 0)
        g->mode = MODE_SENTENCES;
    else if (strcmp(mode, "words") == 0)
        g->mode = MODE_WORDS;
    else if (strcmp(mode, "integers") == 0)
        g->mode = MODE_INTEGERS;
    else if (strcmp(mode, "sequence") == 0)
        g->mode = MODE_SEQUENCE;
    else if (strcmp(mode, "events") == 0)
        g->mode = MODE_EVENTS;
    else {
        gale_ctx_report_error(ctx, "generator: mode \"%s\" is not one of "
            "sentences, words, integers, sequence, events", mode);
        goto fail;
    }
    g->start = gale_ctx_param_int(ctx, "start_ms", 1700000000000);
    g->step = gale_ctx_param_int(ctx, "step_ms", 1);
    g->disorder = gale_ctx_param_int(ctx, "disorder_ms", 0);
    if (g->step < 0 || g->disorder < 0 || g->step > 86400000 ||
        g->disorder > 86400000000) {
        gale_ctx_report_error(ctx, "generator: step_ms must be in 0..86400000 "
            "and disorder_ms in 0..86400000000");
        goto fail;
    }
    if (count < 0 || rate < 0 || words < 1 || words > 100000) {
        gale_ctx_report_error(ctx, "generator: count and rate must be >= 0 "
            "and words in 1..100000");
        goto fail;
    }
    if (vocab < 1 || vocab > GALE_WORDGEN_MAXVOCAB) {
        gale_ctx_report_error(ctx, "generator: vocabulary must be in 1..%d",
            GALE_WORDGEN_MAXVOCAB);
        goto fail;
    }
    if ((g->wg = gale_wordgen_new((int)vocab)) == NULL)
        goto fail;
    g->words = (int)words;
    g->index = (uint64_t)index;
    g->ntasks = (uint64_t)ntasks;
    /* Each task its own stream, and the tasks' shares add up to count. */
    g->rng = gale_wordgen_seed((uint64_t)seed + (uint64_t)index);
    g->limit = (uint64_t)(count / ntasks + (index < count % ntasks));
    g->unbounded = count == 0;
    gale_pace_init(&g->pace, rate);
    if ((g->buf = malloc(gale_wordgen_sentence_max(g->words))) == NULL)
        goto fail;
    g->position = gale_ctx_operator_state(ctx, "position");
    *self = g;
    return 0;
fail:
    generator_close(ctx, g);
    return -EINVAL;
}

/* Emits up to BATCH tuples. GALE_DONE once this task's share is out. */
static int
generator_next(gale_ctx_t *ctx, void *self)
{
    generator_t *g = self;
    size_t want = BATCH, n, i, len;
    gale_datum_t d, ev[3];
    int64_t ts, value;
    int rc, r;

    if (!g->unbounded) {
        if (g->emitted >= g->limit)
            return GALE_DONE;
        if (g->limit - g->emitted < want)
            want = (size_t)(g->limit - g->emitted);
    }
    if ((n = gale_pace_allow(&g->pace, want)) == 0)
        return GALE_IDLE;
    for (i = 0; i < n; i++) {
        switch (g->mode) {
        case MODE_SENTENCES:
            len = gale_wordgen_sentence(g->wg, &g->rng, g->words, g->buf);
            d = gale_d_str(g->buf, len);
            break;
        case MODE_WORDS:
            r = gale_wordgen_draw(g->wg, &g->rng);
            d.type = GALE_STRING;
            d.u.s.ptr = gale_wordgen_word(g->wg, r, &d.u.s.len);
            break;
        case MODE_SEQUENCE:
            /* Distinct integers: every key new (state-size benchmarks). */
            d = gale_d_int((int64_t)((g->emitted + i) * g->ntasks + g->index));
            break;
        case MODE_EVENTS:
            /* (key, ts, value), out of order by up to disorder_ms. */
            gale_wordgen_event(g->wg, &g->rng, g->emitted + i, g->start,
                g->step, g->disorder, &r, &ts, &value);
            ev[0].type = GALE_STRING;
            ev[0].u.s.ptr = gale_wordgen_word(g->wg, r, &ev[0].u.s.len);
            ev[1] = gale_d_int(ts);
            ev[2] = gale_d_int(value);
            if ((rc = gale_emit(ctx, GALE_STREAM_DEFAULT, ev, 3)) == -EINVAL)
                gale_ctx_report_error(ctx, "generator: mode \"events\" "
                    "emits 3 fields (key, event time, value): declare "
                    "fields = [\"key\", \"ts\", \"value\"] or similar");
            if (rc < 0)
                return rc;
            continue;
        default:
            d = gale_d_int(gale_wordgen_draw(g->wg, &g->rng));
            break;
        }
        if ((rc = gale_emit(ctx, GALE_STREAM_DEFAULT, &d, 1)) < 0)
            return rc;
    }
    g->emitted += n;
    gale_pace_spend(&g->pace, n);
    return GALE_EMITTED;
}

/* Records (tuples emitted, PRNG state): 16 bytes, little-endian. */
static int
generator_snapshot(gale_ctx_t *ctx, void *self, uint64_t checkpoint_id)
{
    generator_t *g = self;
    unsigned char v[16];

    gale_put_le(v, g->emitted, 8);
    gale_put_le(v + 8, g->rng, 8);
    return gale_kv_put(g->position, POSITION_KEY, strlen(POSITION_KEY),
        v, sizeof v);
}

/* Seeks to the recorded position; none recorded is the start. -EINVAL
 * for a malformed record. */
static int
generator_restore(gale_ctx_t *ctx, void *self)
{
    generator_t *g = self;
    const void *v;
    size_t len;

    if (gale_kv_get(g->position, POSITION_KEY, strlen(POSITION_KEY),
        &v, &len) != 0)
        return 0;
    if (len != 16)
        return -EINVAL;
    g->emitted = gale_get_le(v, 8);
    g->rng = gale_get_le((const unsigned char *)v + 8, 8);
    return 0;
}

static const gale_param_spec_t generator_params[] = {
    { "mode", GALE_STRING, false,
      "\"sentences\" (default), \"words\", \"integers\" (Zipf ranks) or "
      "\"sequence\" (distinct integers) or \"events\" (key, event time, "
      "value: an out-of-order event stream)" },
    { "start_ms", GALE_INT, false,
      "events: the first event time, default 1700000000000" },
    { "step_ms", GALE_INT, false, "events: event time per event, default 1" },
    { "disorder_ms", GALE_INT, false,
      "events: how far an event time may fall behind, default 0" },
    { "seed", GALE_INT, false, "PRNG seed, default 1; task i uses seed + i" },
    { "count", GALE_INT, false,
      "tuples to emit in all (split between tasks); 0 or absent: unbounded" },
    { "rate", GALE_INT, false, "tuples per second per task; 0: unlimited" },
    { "words", GALE_INT, false, "words per sentence, default 10" },
    { "vocabulary", GALE_INT, false,
      "distinct words, Zipf(1.0) distributed, default 10000" },
    { NULL, GALE_NULL, false, NULL }
};

static const gale_spout_ops_t generator_ops = {
    .open = generator_open,
    .next = generator_next,
    .snapshot = generator_snapshot,
    .restore = generator_restore,
    .close = generator_close,
};

const gale_component_def_t gale_builtin_generator = {
    .type = "generator",
    .kind = GALE_SPOUT,
    .summary = "deterministic sentences, words or integers from a seed",
    .params = generator_params,
    .spout = &generator_ops,
};
