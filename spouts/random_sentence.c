/* random_sentence.c - the "random_sentence" spout: storm-starter's
 * RandomSentenceSpout, made deterministic (a seeded PRNG picks among its
 * five sentences) and optionally bounded. Storm's sleeps 100 ms between
 * tuples; the default rate of 10 tuples/s keeps that pace. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <gale/gale.h>

#include "spouts/builtins.h"
#include "spouts/pace.h"
#include "spouts/wordgen.h"

#define BATCH 256
#define POSITION_KEY "position"

static const char *const sentences[] = {
    "the cow jumped over the moon",
    "an apple a day keeps the doctor away",
    "four score and seven years ago",
    "snow white and the seven dwarfs",
    "i am at two with nature",
};
#define NSENTENCES (sizeof sentences / sizeof sentences[0])

typedef struct rsentence {
    uint64_t rng;               /* PRNG state */
    uint64_t emitted;           /* tuples emitted by this task */
    uint64_t limit;             /* this task's share of count */
    bool unbounded;             /* count was 0 */
    gale_pace_t pace;           /* rate limit */
    gale_kv_t *position;        /* operator state, engine-owned */
} rsentence_t;

static void
rs_close(gale_ctx_t *ctx, void *self)
{
    free(self);
}

/* -EINVAL (reported) for a negative count or rate. */
static int
rs_open(gale_ctx_t *ctx, void **self)
{
    int64_t seed = gale_ctx_param_int(ctx, "seed", 1);
    int64_t count = gale_ctx_param_int(ctx, "count", 0);
    int64_t rate = gale_ctx_param_int(ctx, "rate", 10);
    int64_t ntasks = gale_ctx_ntasks(ctx), index = gale_ctx_task_index(ctx);
    rsentence_t *s;

    if (count < 0 || rate < 0) {
        gale_ctx_report_error(ctx,
            "random_sentence: count and rate must be >= 0");
        return -EINVAL;
    }
    if ((s = calloc(1, sizeof *s)) == NULL)
        return -ENOMEM;
    s->rng = gale_wordgen_seed((uint64_t)seed + (uint64_t)index);
    s->limit = (uint64_t)(count / ntasks + (index < count % ntasks));
    s->unbounded = count == 0;
    gale_pace_init(&s->pace, rate);
    s->position = gale_ctx_operator_state(ctx, "position");
    *self = s;
    return 0;
}

static int
rs_next(gale_ctx_t *ctx, void *self)
{
    rsentence_t *s = self;
    size_t want = BATCH, n, i;
    const char *p;
    gale_datum_t d;
    int rc;

    if (!s->unbounded) {
        if (s->emitted >= s->limit)
            return GALE_DONE;
        if (s->limit - s->emitted < want)
            want = (size_t)(s->limit - s->emitted);
    }
    if ((n = gale_pace_allow(&s->pace, want)) == 0)
        return GALE_IDLE;
    for (i = 0; i < n; i++) {
        p = sentences[gale_wordgen_next(&s->rng) % NSENTENCES];
        d = gale_d_str(p, strlen(p));
        if ((rc = gale_emit(ctx, GALE_STREAM_DEFAULT, &d, 1)) < 0)
            return rc;
        s->emitted++;
    }
    gale_pace_spend(&s->pace, n);
    return GALE_EMITTED;
}

/* Records (tuples emitted, PRNG state), 16 bytes little-endian. */
static int
rs_snapshot(gale_ctx_t *ctx, void *self, uint64_t checkpoint_id)
{
    rsentence_t *s = self;
    unsigned char v[16];
    int i;

    for (i = 0; i < 8; i++) {
        v[i] = (unsigned char)(s->emitted >> (8 * i));
        v[8 + i] = (unsigned char)(s->rng >> (8 * i));
    }
    return gale_kv_put(s->position, POSITION_KEY, strlen(POSITION_KEY),
        v, sizeof v);
}

/* -EINVAL for a malformed record; none recorded is the start. */
static int
rs_restore(gale_ctx_t *ctx, void *self)
{
    rsentence_t *s = self;
    const unsigned char *v;
    const void *vp;
    size_t len;
    int i;

    if (gale_kv_get(s->position, POSITION_KEY, strlen(POSITION_KEY),
        &vp, &len) != 0)
        return 0;
    if (len != 16)
        return -EINVAL;
    v = vp;
    s->emitted = s->rng = 0;
    for (i = 0; i < 8; i++) {
        s->emitted |= (uint64_t)v[i] << (8 * i);
        s->rng |= (uint64_t)v[8 + i] << (8 * i);
    }
    return 0;
}

static const gale_param_spec_t rs_params[] = {
    { "seed", GALE_INT, false, "PRNG seed, default 1; task i uses seed + i" },
    { "count", GALE_INT, false,
      "sentences to emit in all (split between tasks); 0 or absent: unbounded" },
    { "rate", GALE_INT, false,
      "sentences per second per task, default 10 (Storm's 100 ms sleep); "
      "0: unlimited" },
    { NULL, GALE_NULL, false, NULL }
};

static const gale_spout_ops_t rs_ops = {
    .open = rs_open,
    .next = rs_next,
    .snapshot = rs_snapshot,
    .restore = rs_restore,
    .close = rs_close,
};

const gale_component_def_t gale_builtin_random_sentence = {
    .type = "random_sentence",
    .kind = GALE_SPOUT,
    .summary = "storm-starter's RandomSentenceSpout, deterministic from a seed",
    .params = rs_params,
    .spout = &rs_ops,
};
