/* testkit.c - a plugin of components for gale's own end-to-end tests,
 * built like any user's plugin (public API only):
 *   slow (bolt): sleeps delay_us per tuple, emits nothing; a deliberately
 *     slow consumer for the backpressure test.
 *   tasklog (bolt): emits [source component, source task, own task, the
 *     tuple's first field as text] per tuple, so a sink shows where each
 *     tuple went (grouping end-to-end tests).
 *   failer (bolt): returns an error on the tuple number fail_at (1-based)
 *     that it executes, in attempt `attempt` only (0: in every attempt).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gale/gale.h>

typedef struct slow {
    long delay_us;              /* per tuple */
} slow_t;

static int
slow_prepare(gale_ctx_t *ctx, void **self)
{
    slow_t *s = calloc(1, sizeof *s);

    if (s == NULL)
        return -ENOMEM;
    s->delay_us = (long)gale_ctx_param_int(ctx, "delay_us", 1000);
    *self = s;
    return 0;
}

static int
slow_execute(gale_ctx_t *ctx, void *self, const gale_tuple_t *t)
{
    slow_t *s = self;
    struct timespec ts = { s->delay_us / 1000000, (s->delay_us % 1000000) * 1000 };

    (void)ctx;
    (void)t;
    nanosleep(&ts, NULL);
    return 0;
}

static void
slow_cleanup(gale_ctx_t *ctx, void *self)
{
    (void)ctx;
    free(self);
}

static const gale_param_spec_t slow_params[] = {
    { "delay_us", GALE_INT, false, "microseconds to sleep per tuple" },
    { NULL, GALE_NULL, false, NULL }
};

static const gale_bolt_ops_t slow_ops = {
    .prepare = slow_prepare, .execute = slow_execute, .cleanup = slow_cleanup,
};

static const gale_component_def_t slow_def = {
    "slow", GALE_BOLT, "sleeps per tuple", slow_params, NULL, &slow_ops, NULL,
};

static int
tasklog_execute(gale_ctx_t *ctx, void *self, const gale_tuple_t *t)
{
    gale_datum_t out[4], d;
    char buf[64];
    int n;

    (void)self;
    out[0] = gale_d_str(gale_tuple_component(t), strlen(gale_tuple_component(t)));
    out[1] = gale_d_int(gale_tuple_source_task(t));
    out[2] = gale_d_int(gale_ctx_task(ctx));
    if (gale_tuple_get(t, 0, &d) == 0 && d.type == GALE_STRING) {
        out[3] = d;
    } else if (gale_tuple_get(t, 0, &d) == 0 && d.type == GALE_INT) {
        n = snprintf(buf, sizeof buf, "%" PRId64, d.u.i);
        out[3] = gale_d_str(buf, (size_t)n);
    } else {
        out[3] = gale_d_str("", 0);
    }
    return gale_emit(ctx, GALE_STREAM_DEFAULT, out, 4);
}

static const gale_bolt_ops_t tasklog_ops = { .execute = tasklog_execute };

static const gale_param_spec_t no_params[] = { { NULL, GALE_NULL, false, NULL } };

static const gale_component_def_t tasklog_def = {
    "tasklog", GALE_BOLT, "emits where each tuple went", no_params, NULL,
    &tasklog_ops, NULL,
};

typedef struct failer {
    int64_t seen;               /* tuples executed */
    int64_t fail_at;            /* the one that fails */
    int64_t attempt;            /* the attempt it fails in; 0 = every one */
} failer_t;

static int
failer_prepare(gale_ctx_t *ctx, void **self)
{
    failer_t *f = calloc(1, sizeof *f);

    if (f == NULL)
        return -ENOMEM;
    f->fail_at = gale_ctx_param_int(ctx, "fail_at", 1);
    f->attempt = gale_ctx_param_int(ctx, "attempt", 0);
    *self = f;
    return 0;
}

static int
failer_execute(gale_ctx_t *ctx, void *self, const gale_tuple_t *t)
{
    failer_t *f = self;

    (void)t;
    if (++f->seen == f->fail_at &&
        (f->attempt == 0 || f->attempt == (int64_t)gale_ctx_attempt(ctx))) {
        gale_ctx_report_error(ctx, "failing on tuple %" PRId64 " as asked",
            f->seen);
        return -EIO;
    }
    return 0;
}

static const gale_param_spec_t failer_params[] = {
    { "fail_at", GALE_INT, false, "1-based tuple number that fails" },
    { "attempt", GALE_INT, false, "the attempt to fail in; 0: every one" },
    { NULL, GALE_NULL, false, NULL }
};

static const gale_bolt_ops_t failer_ops = {
    .prepare = failer_prepare, .execute = failer_execute, .cleanup = slow_cleanup,
};

static const gale_component_def_t failer_def = {
    "failer", GALE_BOLT, "fails on a given tuple", failer_params, NULL,
    &failer_ops, NULL,
};

/* winsum: a windowed bolt (on_window). Each fired window's values (the
 * window machinery's `collect`, each distinct value with its count) are
 * summed and emitted after the key, start and end; `fail_on_window` > 0
 * fails the task at that window in attempt 1 (recovery through a
 * windowed bolt). */
typedef struct winsum {
    int64_t windows, fail_at;
} winsum_t;

static int
winsum_prepare(gale_ctx_t *ctx, void **self)
{
    winsum_t *w = calloc(1, sizeof *w);

    if (w == NULL)
        return -ENOMEM;
    w->fail_at = gale_ctx_param_int(ctx, "fail_on_window", 0);
    *self = w;
    return 0;
}

static int
winsum_on_window(gale_ctx_t *ctx, void *self, const gale_window_t *win)
{
    winsum_t *w = self;
    gale_datum_t out[8];
    int64_t sum = 0;
    size_t i;

    if (++w->windows == w->fail_at && gale_ctx_attempt(ctx) == 1) {
        gale_ctx_report_error(ctx, "failing on window %" PRId64 " as asked",
            w->windows);
        return -EIO;
    }
    if (win->nkey > 5)
        return -EINVAL;
    for (i = 0; i < win->nvalues; i++) {
        if (win->values[i].type != GALE_INT)
            return -EINVAL;
        sum += win->values[i].u.i * win->counts[i];
    }
    for (i = 0; i < win->nkey; i++)
        out[i] = win->key[i];
    out[i++] = gale_d_int(win->start);
    out[i++] = gale_d_int(win->end);
    out[i++] = gale_d_int(sum);
    return gale_emit(ctx, GALE_STREAM_DEFAULT, out, i);
}

static const gale_param_spec_t winsum_params[] = {
    { "fail_on_window", GALE_INT, false, "fail at this window in attempt 1" },
    { NULL, GALE_NULL, false, NULL }
};

static const gale_bolt_ops_t winsum_ops = {
    .prepare = winsum_prepare, .cleanup = slow_cleanup,
    .on_window = winsum_on_window,
};

static const gale_component_def_t winsum_def = {
    .type = "winsum", .kind = GALE_BOLT,
    .summary = "sums each window's values (a windowed bolt)",
    .params = winsum_params, .bolt = &winsum_ops,
};

static const gale_component_def_t *const defs[] = {
    &slow_def, &tasklog_def, &failer_def, &winsum_def, NULL
};

const gale_plugin_t gale_plugin = { GALE_ABI_VERSION, defs, NULL };
