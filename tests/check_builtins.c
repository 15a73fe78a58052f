/* check_builtins.c - the built-in spouts and bolts, the registry and the
 * example plugin, run against a fake task context defined here (the
 * public API of include/gale, without the engine): what a component
 * emits, logs, reports and keeps in state is recorded and checked. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gale/gale.h>

#include "bolts/builtins.h"
#include "cli/registry.h"
#include "spouts/builtins.h"
#include "spouts/wordgen.h"

/* ---- the fake engine ---------------------------------------------- */

struct gale_kv {
    char name[64];              /* "k:" or "o:" + state name */
    size_t n;                   /* entries */
    void *key[256];             /* owned keys */
    size_t klen[256];
    void *val[256];             /* owned values */
    size_t vlen[256];
};

struct gale_ctx {
    gale_value_t *params;       /* MAP of the component's parameters */
    int task_index;             /* 0 .. ntasks-1 */
    int ntasks;                 /* tasks of the component */
    uint32_t attempt;           /* attempt epoch, 1 unless a test sets it */
    gale_value_t *emitted;      /* LIST of LISTs: every emitted tuple */
    gale_kv_t *kvs[8];          /* state handles, owned */
    size_t nkv;
    char error[512];            /* last reported error */
    char logged[512];           /* last log message */
    int loglevel;               /* its level */
};

#define MAXF 8
struct gale_tuple {
    size_t n;                   /* fields */
    gale_datum_t d[MAXF];       /* their values (LIST/MAP: see trees) */
    const char *names[MAXF];    /* field names */
    gale_value_t *trees[MAXF];  /* owned: LIST/MAP fields */
    const char *comp;           /* producer */
    int src;                    /* producer task */
    bool tick;                  /* a tick tuple */
};

const char *gale_ctx_component(const gale_ctx_t *ctx) { return "comp"; }
int gale_ctx_task(const gale_ctx_t *ctx) { return ctx->task_index + 1; }
int gale_ctx_task_index(const gale_ctx_t *ctx) { return ctx->task_index; }
int gale_ctx_ntasks(const gale_ctx_t *ctx) { return ctx->ntasks; }
int gale_ctx_parallelism(const gale_ctx_t *ctx) { return ctx->ntasks; }
uint32_t gale_ctx_attempt(const gale_ctx_t *ctx) { return ctx->attempt; }
const gale_value_t *gale_ctx_conf(const gale_ctx_t *ctx) { return ctx->params; }
/* What the shell components (linked in through the registry) call. */
gale_value_t *gale_ctx_storm_context(const gale_ctx_t *ctx) { return gale_value_map(); }
bool gale_ctx_cancelled(gale_ctx_t *ctx) { return false; }
void gale_ctx_count(gale_ctx_t *ctx, const char *name, int64_t delta) { (void)name; }
void gale_ctx_process_latency(gale_ctx_t *ctx, uint64_t ns) { (void)ns; }

const gale_value_t *
gale_ctx_param(const gale_ctx_t *ctx, const char *name)
{
    return gale_value_map_get(ctx->params, name);
}

const char *
gale_ctx_param_str(const gale_ctx_t *ctx, const char *name, const char *def)
{
    const gale_value_t *v = gale_ctx_param(ctx, name);

    return v != NULL && v->type == GALE_STRING ? v->u.s.ptr : def;
}

int64_t
gale_ctx_param_int(const gale_ctx_t *ctx, const char *name, int64_t def)
{
    const gale_value_t *v = gale_ctx_param(ctx, name);

    return v != NULL && v->type == GALE_INT ? v->u.i : def;
}

double
gale_ctx_param_double(const gale_ctx_t *ctx, const char *name, double def)
{
    const gale_value_t *v = gale_ctx_param(ctx, name);

    return v != NULL && v->type == GALE_DOUBLE ? v->u.d : def;
}

bool
gale_ctx_param_bool(const gale_ctx_t *ctx, const char *name, bool def)
{
    const gale_value_t *v = gale_ctx_param(ctx, name);

    return v != NULL && v->type == GALE_BOOL ? v->u.b : def;
}

int
gale_ctx_stream(const gale_ctx_t *ctx, const char *name)
{
    return strcmp(name, "default") == 0 ? 0 : -ENOENT;
}

int
gale_emit_ex(gale_ctx_t *ctx, const gale_emit_opts_t *opts,
    const gale_datum_t *vals, size_t n)
{
    gale_value_t *t = gale_value_list(), *v;
    size_t i;

    if (opts->stream != 0)
        return -ENOENT;
    for (i = 0; i < n; i++) {
        switch (vals[i].type) {
        case GALE_BOOL: v = gale_value_bool(vals[i].u.b); break;
        case GALE_INT: v = gale_value_int(vals[i].u.i); break;
        case GALE_DOUBLE: v = gale_value_double(vals[i].u.d); break;
        case GALE_STRING:
            v = gale_value_string(vals[i].u.s.ptr, vals[i].u.s.len);
            break;
        case GALE_BYTES:
            v = gale_value_bytes(vals[i].u.s.ptr, vals[i].u.s.len);
            break;
        default: v = gale_value_null(); break;
        }
        gale_value_list_append(t, v);
    }
    gale_value_list_append(ctx->emitted, t);
    return 0;
}

int
gale_emit(gale_ctx_t *ctx, int stream, const gale_datum_t *vals, size_t n)
{
    gale_emit_opts_t o = { .stream = stream, .direct_task = -1 };

    return gale_emit_ex(ctx, &o, vals, n);
}

int
gale_emit_direct(gale_ctx_t *ctx, int task, int stream,
    const gale_datum_t *vals, size_t n)
{
    return -EPERM;
}

int
gale_spout_emit(gale_ctx_t *ctx, int stream, const gale_datum_t *vals,
    size_t n, uint64_t msgid)
{
    return gale_emit(ctx, stream, vals, n);
}

static gale_kv_t *
state(gale_ctx_t *ctx, const char *prefix, const char *name)
{
    char full[64];
    size_t i;

    snprintf(full, sizeof full, "%s%s", prefix, name);
    for (i = 0; i < ctx->nkv; i++)
        if (strcmp(ctx->kvs[i]->name, full) == 0)
            return ctx->kvs[i];
    ck_assert_uint_lt(ctx->nkv, 8);
    ctx->kvs[ctx->nkv] = calloc(1, sizeof(gale_kv_t));
    strcpy(ctx->kvs[ctx->nkv]->name, full);
    return ctx->kvs[ctx->nkv++];
}

gale_kv_t *gale_ctx_keyed_state(gale_ctx_t *ctx, const char *name)
{ return state(ctx, "k:", name); }
gale_kv_t *gale_ctx_operator_state(gale_ctx_t *ctx, const char *name)
{ return state(ctx, "o:", name); }

void
gale_ctx_log(gale_ctx_t *ctx, int level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(ctx->logged, sizeof ctx->logged, fmt, ap);
    va_end(ap);
    ctx->loglevel = level;
}

void
gale_ctx_report_error(gale_ctx_t *ctx, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(ctx->error, sizeof ctx->error, fmt, ap);
    va_end(ap);
}


static int
kv_find(gale_kv_t *kv, const void *key, size_t klen)
{
    size_t i;

    for (i = 0; i < kv->n; i++)
        if (kv->klen[i] == klen && memcmp(kv->key[i], key, klen) == 0)
            return (int)i;
    return -1;
}

int
gale_kv_get(gale_kv_t *kv, const void *key, size_t klen, const void **val,
    size_t *vlen)
{
    int i = kv_find(kv, key, klen);

    if (i < 0)
        return -ENOENT;
    *val = kv->val[i];
    *vlen = kv->vlen[i];
    return 0;
}

int
gale_kv_put(gale_kv_t *kv, const void *key, size_t klen, const void *val,
    size_t vlen)
{
    int i = kv_find(kv, key, klen);

    if (i < 0) {
        ck_assert_uint_lt(kv->n, 256);
        i = (int)kv->n++;
        kv->key[i] = malloc(klen + 1);
        memcpy(kv->key[i], key, klen);
        kv->klen[i] = klen;
    } else
        free(kv->val[i]);
    kv->val[i] = malloc(vlen + 1);
    memcpy(kv->val[i], val, vlen);
    kv->vlen[i] = vlen;
    return 0;
}

int
gale_kv_delete(gale_kv_t *kv, const void *key, size_t klen)
{
    int i = kv_find(kv, key, klen);

    if (i < 0)
        return 0;
    free(kv->key[i]);
    free(kv->val[i]);
    kv->n--;
    kv->key[i] = kv->key[kv->n];
    kv->klen[i] = kv->klen[kv->n];
    kv->val[i] = kv->val[kv->n];
    kv->vlen[i] = kv->vlen[kv->n];
    return 0;
}

int
gale_kv_iterate(gale_kv_t *kv, int (*fn)(void *, const void *, size_t,
    const void *, size_t), void *arg)
{
    size_t i;
    int rc;

    /* Newest first: callers must not rely on any order. */
    for (i = kv->n; i-- > 0; )
        if ((rc = fn(arg, kv->key[i], kv->klen[i], kv->val[i], kv->vlen[i])))
            return rc;
    return 0;
}

int
gale_kv_add_i64(gale_kv_t *kv, const void *key, size_t klen, int64_t delta,
    int64_t *out)
{
    const void *v;
    size_t vlen;
    int64_t cur = 0;

    if (gale_kv_get(kv, key, klen, &v, &vlen) == 0)
        memcpy(&cur, v, 8);
    cur += delta;
    *out = cur;
    return gale_kv_put(kv, key, klen, &cur, 8);
}

size_t gale_tuple_size(const gale_tuple_t *t) { return t->n; }

int
gale_tuple_get(const gale_tuple_t *t, size_t i, gale_datum_t *d)
{
    if (i >= t->n)
        return -ERANGE;
    *d = t->d[i];
    return 0;
}

int
gale_tuple_index(const gale_tuple_t *t, const char *name)
{
    size_t i;

    for (i = 0; i < t->n; i++)
        if (strcmp(t->names[i], name) == 0)
            return (int)i;
    return -ENOENT;
}

int
gale_tuple_get_by_name(const gale_tuple_t *t, const char *name,
    gale_datum_t *d)
{
    int i = gale_tuple_index(t, name);

    return i < 0 ? i : gale_tuple_get(t, (size_t)i, d);
}

/* The harness executes every tuple once, with weight 1. */
void
gale_ctx_accept_weights(gale_ctx_t *ctx)
{
    (void)ctx;
}

/* Event time and key groups: the harness has neither (the window bolt is
 * tested end to end, tests/e2e/windows.sh, and its rules in
 * tests/check_window.c). */
int64_t gale_ctx_watermark(const gale_ctx_t *ctx) { (void)ctx; return GALE_EVENT_TIME_NONE; }
void gale_ctx_clock_watermarks(gale_ctx_t *ctx, int ms) { (void)ctx, (void)ms; }
int gale_ctx_key_group(const gale_ctx_t *ctx) { (void)ctx; return -1; }
int gale_ctx_scope_key_group(gale_ctx_t *ctx, int kg) { (void)ctx, (void)kg; return 0; }
const void *gale_ctx_def_data(const gale_ctx_t *ctx) { (void)ctx; return NULL; }

uint64_t
gale_tuple_weight(const gale_tuple_t *t)
{
    (void)t;
    return 1;
}

/* The harness's tuples have no stream declaration to cache against:
 * every lookup is by name. */
int
gale_tuple_field(const gale_tuple_t *t, gale_field_t *f, gale_datum_t *d)
{
    return gale_tuple_get_by_name(t, f->name, d);
}

gale_value_t *
gale_tuple_value(const gale_tuple_t *t, size_t i)
{
    if (i >= t->n)
        return NULL;
    if (t->trees[i] != NULL)
        return gale_value_clone(t->trees[i]);
    switch (t->d[i].type) {
    case GALE_STRING: return gale_value_string(t->d[i].u.s.ptr, t->d[i].u.s.len);
    case GALE_INT: return gale_value_int(t->d[i].u.i);
    default: return gale_value_null();
    }
}

const char *gale_tuple_component(const gale_tuple_t *t) { return t->comp; }
const char *gale_tuple_stream(const gale_tuple_t *t) { return "default"; }
int gale_tuple_source_task(const gale_tuple_t *t) { return t->src; }
bool gale_tuple_is_tick(const gale_tuple_t *t) { return t->tick; }

/* ---- helpers ----------------------------------------------------------- */

static gale_ctx_t *
ctx_new(int index, int ntasks)
{
    gale_ctx_t *c = calloc(1, sizeof *c);

    c->params = gale_value_map();
    c->emitted = gale_value_list();
    c->task_index = index;
    c->ntasks = ntasks;
    c->attempt = 1;
    return c;
}

static void
ctx_free(gale_ctx_t *c)
{
    size_t i, j;

    for (i = 0; i < c->nkv; i++) {
        for (j = 0; j < c->kvs[i]->n; j++) {
            free(c->kvs[i]->key[j]);
            free(c->kvs[i]->val[j]);
        }
        free(c->kvs[i]);
    }
    gale_value_destroy(&c->params);
    gale_value_destroy(&c->emitted);
    free(c);
}

static void
set_str(gale_ctx_t *c, const char *k, const char *v)
{
    gale_value_map_set(c->params, k, gale_value_string(v, strlen(v)));
}

static void
set_int(gale_ctx_t *c, const char *k, int64_t v)
{
    gale_value_map_set(c->params, k, gale_value_int(v));
}

static void
set_bool(gale_ctx_t *c, const char *k, bool v)
{
    gale_value_map_set(c->params, k, gale_value_bool(v));
}

static size_t
nemitted(const gale_ctx_t *c)
{
    return c->emitted->u.list.len;
}

/* Field j of emitted tuple i. */
static const gale_value_t *
out(const gale_ctx_t *c, size_t i, size_t j)
{
    ck_assert_uint_lt(i, c->emitted->u.list.len);
    ck_assert_uint_lt(j, c->emitted->u.list.items[i]->u.list.len);
    return c->emitted->u.list.items[i]->u.list.items[j];
}

static const char *
out_str(const gale_ctx_t *c, size_t i)
{
    const gale_value_t *v = out(c, i, 0);

    ck_assert_int_eq(v->type, GALE_STRING);
    return v->u.s.ptr;
}

static void
tuple_init(gale_tuple_t *t, const char *comp)
{
    memset(t, 0, sizeof *t);
    t->comp = comp;
    t->src = 3;
}

static void
tuple_str(gale_tuple_t *t, const char *name, const char *s)
{
    t->names[t->n] = name;
    t->d[t->n++] = gale_d_str(s, strlen(s));
}

static void
tuple_datum(gale_tuple_t *t, const char *name, gale_datum_t d)
{
    t->names[t->n] = name;
    t->d[t->n++] = d;
}

static void
tuple_tree(gale_tuple_t *t, const char *name, gale_value_t *v)
{
    t->names[t->n] = name;
    t->d[t->n].type = v->type;
    t->d[t->n].u.s.ptr = "";
    t->d[t->n].u.s.len = 0;
    t->trees[t->n++] = v;
}

static void
tuple_clear(gale_tuple_t *t)
{
    size_t i;

    for (i = 0; i < t->n; i++)
        gale_value_destroy(&t->trees[i]);
}

/* Runs a bounded spout to GALE_DONE; returns the number of next() calls. */
static int
drain(const gale_component_def_t *def, gale_ctx_t *c, void *self)
{
    int calls = 0, rc;

    do {
        rc = def->spout->next(c, self);
        ck_assert_int_ge(rc, 0);
        ck_assert_int_lt(++calls, 100000);
    } while (rc != GALE_DONE);
    return calls;
}

static char tmpdir[64];

static void
setup(void)
{
    strcpy(tmpdir, "/tmp/check_builtins.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown(void)
{
    char cmd[128];

    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

static char *
write_file(const char *name, const char *content)
{
    char *path;
    FILE *f;

    ck_assert_int_gt(asprintf(&path, "%s/%s", tmpdir, name), 0);
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    fputs(content, f);
    fclose(f);
    return path;
}

static char *
read_all(const char *path)
{
    char *buf = calloc(1, 1 << 16);
    int fd = open(path, O_RDONLY);
    ssize_t n;

    ck_assert_int_ge(fd, 0);
    n = read(fd, buf, (1 << 16) - 1);
    ck_assert_int_ge(n, 0);
    close(fd);
    return buf;
}

/* ---- generator ------------------------------------------------------- */

START_TEST(test_generator_matches_wordgen)
{
    const gale_component_def_t *def = &gale_builtin_generator;
    gale_ctx_t *c = ctx_new(0, 1);
    gale_wordgen_t *g = gale_wordgen_new(10000);
    uint64_t rng = gale_wordgen_seed(42);
    char buf[400];
    void *self = NULL;
    size_t i, len;

    set_int(c, "seed", 42);
    set_int(c, "count", 1000);
    ck_assert_int_eq(def->spout->open(c, &self), 0);
    drain(def, c, self);
    ck_assert_uint_eq(nemitted(c), 1000);
    for (i = 0; i < 1000; i++) {
        len = gale_wordgen_sentence(g, &rng, 10, buf);
        buf[len] = '\0';
        ck_assert_str_eq(out_str(c, i), buf);
    }
    /* Done stays done. */
    ck_assert_int_eq(def->spout->next(c, self), GALE_DONE);
    def->spout->close(c, self);
    gale_wordgen_destroy(&g);
    ctx_free(c);
}
END_TEST

START_TEST(test_generator_splits_count_between_tasks)
{
    const gale_component_def_t *def = &gale_builtin_generator;
    gale_wordgen_t *g = gale_wordgen_new(10000);
    size_t want[3] = { 4, 3, 3 }, len;
    char buf[400];
    uint64_t rng;
    void *self;
    int i;

    for (i = 0; i < 3; i++) {
        gale_ctx_t *c = ctx_new(i, 3);

        set_int(c, "count", 10);
        ck_assert_int_eq(def->spout->open(c, &self), 0);
        drain(def, c, self);
        ck_assert_uint_eq(nemitted(c), want[i]);
        rng = gale_wordgen_seed(1 + (uint64_t)i);   /* default seed 1 */
        len = gale_wordgen_sentence(g, &rng, 10, buf);
        buf[len] = '\0';
        ck_assert_str_eq(out_str(c, 0), buf);
        def->spout->close(c, self);
        ctx_free(c);
    }
    gale_wordgen_destroy(&g);
}
END_TEST

START_TEST(test_generator_snapshot_restore_resumes)
{
    const gale_component_def_t *def = &gale_builtin_generator;
    gale_ctx_t *a = ctx_new(0, 1), *b = ctx_new(0, 1);
    void *sa, *sb;
    size_t i, cut;

    set_int(a, "count", 700);
    set_int(b, "count", 700);
    set_int(a, "words", 3);
    set_int(b, "words", 3);
    ck_assert_int_eq(def->spout->open(a, &sa), 0);
    ck_assert_int_eq(def->spout->next(a, sa), GALE_EMITTED);
    cut = nemitted(a);
    ck_assert_uint_eq(cut, 256);
    ck_assert_int_eq(def->spout->snapshot(a, sa, 1), 0);
    drain(def, a, sa);
    ck_assert_uint_eq(nemitted(a), 700);
    /* b gets a's operator state before it opens, as after a restart. */
    b->kvs[0] = a->kvs[0];
    a->nkv = 0;
    b->nkv = 1;
    ck_assert_int_eq(def->spout->open(b, &sb), 0);
    ck_assert_int_eq(def->spout->restore(b, sb), 0);
    drain(def, b, sb);
    ck_assert_uint_eq(nemitted(b), 700 - cut);
    for (i = 0; i < 700 - cut; i++)
        ck_assert_str_eq(out_str(b, i), out_str(a, cut + i));
    def->spout->close(a, sa);
    def->spout->close(b, sb);
    ctx_free(a);
    ctx_free(b);
}
END_TEST

START_TEST(test_generator_words_and_integers)
{
    const gale_component_def_t *def = &gale_builtin_generator;
    gale_ctx_t *w = ctx_new(0, 1), *n = ctx_new(0, 1);
    void *sw, *sn;
    size_t i;

    set_str(w, "mode", "words");
    set_int(w, "count", 50);
    set_int(w, "vocabulary", 20);
    set_str(n, "mode", "integers");
    set_int(n, "count", 50);
    set_int(n, "vocabulary", 20);
    ck_assert_int_eq(def->spout->open(w, &sw), 0);
    ck_assert_int_eq(def->spout->open(n, &sn), 0);
    drain(def, w, sw);
    drain(def, n, sn);
    ck_assert_uint_eq(nemitted(w), 50);
    ck_assert_uint_eq(nemitted(n), 50);
    for (i = 0; i < 50; i++) {
        ck_assert_ptr_null(strchr(out_str(w, i), ' '));
        ck_assert_int_eq(out(n, i, 0)->type, GALE_INT);
        ck_assert_int_ge(out(n, i, 0)->u.i, 0);
        ck_assert_int_lt(out(n, i, 0)->u.i, 20);
    }
    def->spout->close(w, sw);
    def->spout->close(n, sn);
    ctx_free(w);
    ctx_free(n);
}
END_TEST

START_TEST(test_generator_bad_mode)
{
    gale_ctx_t *c = ctx_new(0, 1);
    void *self = NULL;

    set_str(c, "mode", "poems");
    ck_assert_int_eq(gale_builtin_generator.spout->open(c, &self), -EINVAL);
    ck_assert_str_eq(c->error, "generator: mode \"poems\" is not one of "
        "sentences, words, integers, sequence, events");
    ctx_free(c);
}
END_TEST

START_TEST(test_generator_unbounded_and_rate)
{
    const gale_component_def_t *def = &gale_builtin_generator;
    gale_ctx_t *c = ctx_new(0, 1);
    void *self;
    int i;

    set_int(c, "rate", 1);          /* one now, the next in a second */
    ck_assert_int_eq(def->spout->open(c, &self), 0);
    ck_assert_int_eq(def->spout->next(c, self), GALE_EMITTED);
    ck_assert_uint_eq(nemitted(c), 1);
    for (i = 0; i < 10; i++)
        ck_assert_int_eq(def->spout->next(c, self), GALE_IDLE);
    def->spout->close(c, self);
    ctx_free(c);
}
END_TEST

/* ---- lines ------------------------------------------------------------- */

START_TEST(test_lines_bounded)
{
    const gale_component_def_t *def = &gale_builtin_lines;
    gale_ctx_t *c = ctx_new(0, 1);
    char *path = write_file("in.txt", "alpha beta\r\n\ngamma\nlast");
    void *self;

    set_str(c, "path", path);
    ck_assert_int_eq(def->spout->open(c, &self), 0);
    drain(def, c, self);
    ck_assert_uint_eq(nemitted(c), 4);
    ck_assert_str_eq(out_str(c, 0), "alpha beta");
    ck_assert_str_eq(out_str(c, 1), "");
    ck_assert_str_eq(out_str(c, 2), "gamma");
    ck_assert_str_eq(out_str(c, 3), "last");
    def->spout->close(c, self);
    ctx_free(c);
    free(path);
}
END_TEST

START_TEST(test_lines_missing_file)
{
    gale_ctx_t *c = ctx_new(0, 1);
    char *path, *msg;
    void *self = NULL;

    ck_assert_int_gt(asprintf(&path, "%s/nope.txt", tmpdir), 0);
    set_str(c, "path", path);
    ck_assert_int_eq(gale_builtin_lines.spout->open(c, &self), -ENOENT);
    ck_assert_int_gt(asprintf(&msg, "lines: %s: No such file or directory",
        path), 0);
    ck_assert_str_eq(c->error, msg);
    free(msg);
    free(path);
    ctx_free(c);
}
END_TEST

START_TEST(test_lines_snapshot_restore)
{
    const gale_component_def_t *def = &gale_builtin_lines;
    gale_ctx_t *a = ctx_new(0, 1), *b = ctx_new(0, 1);
    char *text = malloc(3000 * 8), *path, want[16];
    size_t i, pos = 0;
    void *sa, *sb;

    for (i = 0; i < 3000; i++)
        pos += (size_t)sprintf(text + pos, "l%05zu\n", i);
    path = write_file("many.txt", text);
    set_str(a, "path", path);
    set_str(b, "path", path);
    ck_assert_int_eq(def->spout->open(a, &sa), 0);
    ck_assert_int_eq(def->spout->next(a, sa), GALE_EMITTED);
    ck_assert_uint_eq(nemitted(a), 1024);
    ck_assert_int_eq(def->spout->snapshot(a, sa, 7), 0);
    b->kvs[0] = a->kvs[0];
    b->nkv = 1;
    a->nkv = 0;
    ck_assert_int_eq(def->spout->open(b, &sb), 0);
    ck_assert_int_eq(def->spout->restore(b, sb), 0);
    drain(def, b, sb);
    ck_assert_uint_eq(nemitted(b), 3000 - 1024);
    for (i = 0; i < 3000 - 1024; i++) {
        sprintf(want, "l%05zu", i + 1024);
        ck_assert_str_eq(out_str(b, i), want);
    }
    def->spout->close(a, sa);
    def->spout->close(b, sb);
    ctx_free(a);
    ctx_free(b);
    free(path);
    free(text);
}
END_TEST

START_TEST(test_lines_follow)
{
    const gale_component_def_t *def = &gale_builtin_lines;
    gale_ctx_t *c = ctx_new(0, 1);
    char *path = write_file("log.txt", "first\npart");
    void *self;
    FILE *f;

    set_str(c, "path", path);
    set_bool(c, "follow", true);
    ck_assert_int_eq(def->spout->open(c, &self), 0);
    ck_assert_int_eq(def->spout->next(c, self), GALE_EMITTED);
    ck_assert_uint_eq(nemitted(c), 1);
    ck_assert_int_eq(def->spout->next(c, self), GALE_IDLE);
    ck_assert_int_eq(def->spout->next(c, self), GALE_IDLE);
    ck_assert_ptr_nonnull(f = fopen(path, "a"));
    fputs("ial\nnext\n", f);
    fclose(f);
    ck_assert_int_eq(def->spout->next(c, self), GALE_EMITTED);
    ck_assert_uint_eq(nemitted(c), 3);
    ck_assert_str_eq(out_str(c, 1), "partial");
    ck_assert_str_eq(out_str(c, 2), "next");
    ck_assert_int_eq(def->spout->next(c, self), GALE_IDLE);
    def->spout->close(c, self);
    ctx_free(c);
    free(path);
}
END_TEST

/* The text of the ranged tests: lines of 0 to 2 999 bytes (one far longer
 * than a range of 7), CRLF, empty lines, no final newline. Writes the
 * lines' expected tuples into want (n of them) and returns the text. */
static char *
ranged_text(char ***want, size_t *n)
{
    size_t cap = 1 << 16, len = 0, i, k, wl;
    char *t = malloc(cap), **w = calloc(400, sizeof *w);

    for (i = 0; i < 400; i++) {
        wl = i == 200 ? 2999 : (i * 37) % 23;
        if (i % 50 == 7)
            wl = 0;
        if (len + wl + 3 >= cap)
            t = realloc(t, cap *= 2);
        w[i] = malloc(wl + 1);
        for (k = 0; k < wl; k++)
            w[i][k] = t[len + k] = (char)('a' + (i + k) % 26);
        w[i][wl] = '\0';
        len += wl;
        if (i % 9 == 4)
            t[len++] = '\r';
        if (i < 399)
            t[len++] = '\n';
    }
    t[len] = '\0';
    *want = w;
    *n = 400;
    return t;
}

START_TEST(test_lines_ranged)
{
    /* N tasks, each its range: their outputs, in task order, are the
     * file's lines, each once, for N = 1..12. */
    const gale_component_def_t *def = &gale_builtin_lines;
    char **want, *text, *path;
    size_t nwant, got, k;
    int n, i;

    text = ranged_text(&want, &nwant);
    path = write_file("ranged.txt", text);
    for (n = 1; n <= 12; n++) {
        got = 0;
        for (i = 0; i < n; i++) {
            gale_ctx_t *c = ctx_new(i, n);
            void *self;

            set_str(c, "path", path);
            ck_assert_int_eq(def->spout->open(c, &self), 0);
            drain(def, c, self);
            for (k = 0; k < nemitted(c); k++, got++) {
                ck_assert_uint_lt(got, nwant);
                ck_assert_msg(strcmp(out_str(c, k), want[got]) == 0,
                    "n=%d task %d: line %zu differs", n, i, got);
            }
            def->spout->close(c, self);
            ctx_free(c);
        }
        ck_assert_msg(got == nwant, "n=%d: %zu lines of %zu", n, got, nwant);
    }
    for (k = 0; k < nwant; k++)
        free(want[k]);
    free(want);
    free(text);
    free(path);
}
END_TEST

START_TEST(test_lines_ranged_restore)
{
    /* Task 1 of 3 snapshotted before its first line and after 1 024 lines,
     * restored from each: the rest of its range, once; the range recorded
     * is kept though the file grew since. */
    const gale_component_def_t *def = &gale_builtin_lines;
    char *text = malloc(6000 * 8), *path, want[16];
    size_t i, pos = 0, first;
    gale_ctx_t *a = ctx_new(1, 3), *b = ctx_new(1, 3), *c = ctx_new(1, 3);
    void *sa, *sb, *sc;
    FILE *f;

    for (i = 0; i < 6000; i++)
        pos += (size_t)sprintf(text + pos, "l%05zu\n", i);
    path = write_file("ranged-many.txt", text);
    set_str(a, "path", path);
    set_str(b, "path", path);
    set_str(c, "path", path);
    ck_assert_int_eq(def->spout->open(a, &sa), 0);
    ck_assert_int_eq(def->spout->snapshot(a, sa, 1), 0);
    /* The file grows: a task that restores keeps the first start's range. */
    ck_assert_ptr_nonnull(f = fopen(path, "a"));
    fputs("extra1\nextra2\n", f);
    fclose(f);
    b->kvs[0] = a->kvs[0];
    b->nkv = 1;
    ck_assert_int_eq(def->spout->open(b, &sb), 0);
    ck_assert_int_eq(def->spout->restore(b, sb), 0);
    drain(def, b, sb);
    /* Range 1 of 3 of 42 000 bytes: [14 000, 28 000), lines 2 000..3 999. */
    ck_assert_uint_eq(nemitted(b), 2000);
    first = 2000;
    for (i = 0; i < 2000; i++) {
        sprintf(want, "l%05zu", i + first);
        ck_assert_str_eq(out_str(b, i), want);
    }
    ck_assert_int_eq(def->spout->next(a, sa), GALE_EMITTED);
    ck_assert_uint_eq(nemitted(a), 1024);
    ck_assert_int_eq(def->spout->snapshot(a, sa, 2), 0);
    c->kvs[0] = a->kvs[0];
    c->nkv = 1;
    a->nkv = 0;
    b->nkv = 0;
    ck_assert_int_eq(def->spout->open(c, &sc), 0);
    ck_assert_int_eq(def->spout->restore(c, sc), 0);
    drain(def, c, sc);
    ck_assert_uint_eq(nemitted(c), 2000 - 1024);
    sprintf(want, "l%05zu", first + 1024);
    ck_assert_str_eq(out_str(c, 0), want);
    sprintf(want, "l%05zu", first + 1999);
    ck_assert_str_eq(out_str(c, 2000 - 1024 - 1), want);
    def->spout->close(a, sa);
    def->spout->close(b, sb);
    def->spout->close(c, sc);
    ctx_free(a);
    ctx_free(b);
    ctx_free(c);
    free(path);
    free(text);
}
END_TEST

START_TEST(test_lines_ranged_follow_refused)
{
    gale_ctx_t *c = ctx_new(0, 2);
    char *path = write_file("f.txt", "x\n"), *msg;
    void *self = NULL;

    set_str(c, "path", path);
    set_bool(c, "follow", true);
    ck_assert_int_eq(gale_builtin_lines.spout->open(c, &self), -EINVAL);
    ck_assert_int_gt(asprintf(&msg, "lines: %s: follow reads a growing file "
        "from one task: parallelism must be 1, not 2", path), 0);
    ck_assert_str_eq(c->error, msg);
    free(msg);
    free(path);
    ctx_free(c);
}
END_TEST

/* ---- random_sentence ---------------------------------------------------- */

START_TEST(test_random_sentence)
{
    const gale_component_def_t *def = &gale_builtin_random_sentence;
    gale_ctx_t *c = ctx_new(0, 1), *d = ctx_new(0, 1);
    void *sc, *sd;
    size_t i;

    set_int(c, "count", 40);
    set_int(c, "rate", 0);
    set_int(d, "count", 40);
    set_int(d, "rate", 0);
    ck_assert_int_eq(def->spout->open(c, &sc), 0);
    ck_assert_int_eq(def->spout->open(d, &sd), 0);
    drain(def, c, sc);
    drain(def, d, sd);
    ck_assert_uint_eq(nemitted(c), 40);
    for (i = 0; i < 40; i++) {
        const char *s = out_str(c, i);

        ck_assert(strcmp(s, "the cow jumped over the moon") == 0 ||
            strcmp(s, "an apple a day keeps the doctor away") == 0 ||
            strcmp(s, "four score and seven years ago") == 0 ||
            strcmp(s, "snow white and the seven dwarfs") == 0 ||
            strcmp(s, "i am at two with nature") == 0);
        ck_assert_str_eq(s, out_str(d, i));
    }
    def->spout->close(c, sc);
    def->spout->close(d, sd);
    ctx_free(c);
    ctx_free(d);
}
END_TEST

START_TEST(test_random_sentence_default_rate)
{
    const gale_component_def_t *def = &gale_builtin_random_sentence;
    gale_ctx_t *c = ctx_new(0, 1);
    void *self;

    ck_assert_int_eq(def->spout->open(c, &self), 0);
    ck_assert_int_eq(def->spout->next(c, self), GALE_EMITTED);
    ck_assert_int_eq(def->spout->next(c, self), GALE_IDLE);
    ck_assert_uint_eq(nemitted(c), 1);
    def->spout->close(c, self);
    ctx_free(c);
}
END_TEST

/* ---- split and count ---------------------------------------------------- */

START_TEST(test_split_whitespace_runs)
{
    const gale_component_def_t *def = &gale_builtin_split;
    gale_ctx_t *c = ctx_new(0, 1);
    gale_tuple_t t;
    void *self;

    ck_assert_int_eq(def->bolt->prepare(c, &self), 0);
    tuple_init(&t, "spout");
    tuple_str(&t, "sentence", "  The\tcow  jumped\n\nover ");
    ck_assert_int_eq(def->bolt->execute(c, self, &t), 0);
    ck_assert_uint_eq(nemitted(c), 4);
    ck_assert_str_eq(out_str(c, 0), "The");
    ck_assert_str_eq(out_str(c, 1), "cow");
    ck_assert_str_eq(out_str(c, 2), "jumped");
    ck_assert_str_eq(out_str(c, 3), "over");
    tuple_init(&t, "spout");
    tuple_str(&t, "sentence", " \t ");
    ck_assert_int_eq(def->bolt->execute(c, self, &t), 0);
    ck_assert_uint_eq(nemitted(c), 4);
    def->bolt->cleanup(c, self);
    ctx_free(c);
}
END_TEST

START_TEST(test_split_field_and_lower)
{
    const gale_component_def_t *def = &gale_builtin_split;
    gale_ctx_t *c = ctx_new(0, 1);
    gale_tuple_t t;
    void *self;

    set_str(c, "field", "text");
    set_bool(c, "lower", true);
    ck_assert_int_eq(def->bolt->prepare(c, &self), 0);
    tuple_init(&t, "spout");
    tuple_datum(&t, "id", gale_d_int(5));
    tuple_str(&t, "text", "Snow WHITE");
    ck_assert_int_eq(def->bolt->execute(c, self, &t), 0);
    ck_assert_uint_eq(nemitted(c), 2);
    ck_assert_str_eq(out_str(c, 0), "snow");
    ck_assert_str_eq(out_str(c, 1), "white");
    tuple_init(&t, "other");
    tuple_str(&t, "line", "x");
    ck_assert_int_eq(def->bolt->execute(c, self, &t), -ENOENT);
    ck_assert_str_eq(c->error, "split: tuple from other has no field text");
    def->bolt->cleanup(c, self);
    ctx_free(c);
}
END_TEST

START_TEST(test_count_running_counts)
{
    const gale_component_def_t *def = &gale_builtin_count;
    const char *words[] = { "a", "b", "a", "a", "b" };
    int64_t want[] = { 1, 1, 2, 3, 2 }, v;
    gale_ctx_t *c = ctx_new(0, 1);
    const void *val;
    gale_tuple_t t;
    size_t vlen, i;
    void *self;

    set_str(c, "key", "word");
    ck_assert_int_eq(def->bolt->prepare(c, &self), 0);
    for (i = 0; i < 5; i++) {
        tuple_init(&t, "split");
        tuple_str(&t, "word", words[i]);
        ck_assert_int_eq(def->bolt->execute(c, self, &t), 0);
        ck_assert_str_eq(out_str(c, i), words[i]);
        ck_assert_int_eq(out(c, i, 1)->type, GALE_INT);
        ck_assert_int_eq(out(c, i, 1)->u.i, want[i]);
    }
    /* The counts are in keyed state "counts", keyed by the word's bytes. */
    ck_assert_int_eq(gale_kv_get(gale_ctx_keyed_state(c, "counts"), "a", 1,
        &val, &vlen), 0);
    ck_assert_uint_eq(vlen, 8);
    memcpy(&v, val, 8);
    ck_assert_int_eq(v, 3);
    /* Ints are keys too, distinct from strings. */
    tuple_init(&t, "split");
    tuple_datum(&t, "word", gale_d_int(97));
    ck_assert_int_eq(def->bolt->execute(c, self, &t), 0);
    ck_assert_int_eq(out(c, 5, 0)->u.i, 97);
    ck_assert_int_eq(out(c, 5, 1)->u.i, 1);
    def->bolt->cleanup(c, self);
    ctx_free(c);
}
END_TEST

START_TEST(test_count_requires_key)
{
    gale_ctx_t *c = ctx_new(0, 1);
    void *self = NULL;

    ck_assert_int_eq(gale_builtin_count.bolt->prepare(c, &self), -EINVAL);
    ck_assert_str_eq(c->error, "count: parameter key is required");
    ctx_free(c);
}
END_TEST

/* ---- filter ------------------------------------------------------------- */

/* Runs filter with the given setup over values; returns a bitmask of
 * which passed. */
static unsigned
run_filter(void (*conf)(gale_ctx_t *), const gale_datum_t *vals, size_t n)
{
    const gale_component_def_t *def = &gale_builtin_filter;
    gale_ctx_t *c = ctx_new(0, 1);
    unsigned mask = 0;
    gale_tuple_t t;
    void *self;
    size_t i, before;

    set_str(c, "field", "v");
    conf(c);
    ck_assert_int_eq(def->bolt->prepare(c, &self), 0);
    for (i = 0; i < n; i++) {
        tuple_init(&t, "src");
        tuple_str(&t, "tag", "x");
        tuple_datum(&t, "v", vals[i]);
        before = nemitted(c);
        ck_assert_int_eq(def->bolt->execute(c, self, &t), 0);
        if (nemitted(c) > before) {
            mask |= 1u << i;
            /* Passed unchanged: both fields. */
            ck_assert_str_eq(out_str(c, before), "x");
            ck_assert_int_eq(out(c, before, 1)->type, vals[i].type);
        }
    }
    def->bolt->cleanup(c, self);
    ctx_free(c);
    return mask;
}

static void conf_equals(gale_ctx_t *c) { set_str(c, "equals", "cow"); }
static void conf_equals_int(gale_ctx_t *c) { set_int(c, "equals", 7); }
static void conf_not_equals(gale_ctx_t *c) { set_str(c, "not_equals", "cow"); }
static void conf_contains(gale_ctx_t *c) { set_str(c, "contains", "ow"); }
static void conf_match(gale_ctx_t *c) { set_str(c, "match", "^(c|m)o+"); }
static void
conf_range(gale_ctx_t *c)
{
    set_int(c, "min", 2);
    gale_value_map_set(c->params, "max", gale_value_double(7.5));
}

START_TEST(test_filter_conditions)
{
    gale_datum_t words[] = { gale_d_str("cow", 3), gale_d_str("moon", 4),
        gale_d_str("snow", 4), gale_d_str("cows", 4) };
    gale_datum_t nums[] = { gale_d_int(1), gale_d_int(2), gale_d_double(7.5),
        gale_d_double(7.6), gale_d_str("3", 1), gale_d_str("3x", 2),
        gale_d_int(7) };

    ck_assert_uint_eq(run_filter(conf_equals, words, 4), 0x1);
    ck_assert_uint_eq(run_filter(conf_not_equals, words, 4), 0xe);
    ck_assert_uint_eq(run_filter(conf_contains, words, 4), 0xd);
    ck_assert_uint_eq(run_filter(conf_match, words, 4), 0xb);
    ck_assert_uint_eq(run_filter(conf_range, nums, 7), 0x56);
    ck_assert_uint_eq(run_filter(conf_equals_int, nums, 7), 0x40);
}
END_TEST

START_TEST(test_filter_errors)
{
    const gale_component_def_t *def = &gale_builtin_filter;
    gale_ctx_t *c = ctx_new(0, 1), *d = ctx_new(0, 1);
    void *self = NULL;

    set_str(c, "field", "v");
    ck_assert_int_eq(def->bolt->prepare(c, &self), -EINVAL);
    ck_assert_str_eq(c->error, "filter: give at least one of equals, "
        "not_equals, contains, match, min, max");
    set_str(d, "field", "v");
    set_str(d, "match", "(");
    ck_assert_int_eq(def->bolt->prepare(d, &self), -EINVAL);
    ck_assert_ptr_nonnull(strstr(d->error, "filter: match \"(\": "));
    ctx_free(c);
    ctx_free(d);
}
END_TEST

/* ---- sinks and log ------------------------------------------------------ */

static void
fill_mixed(gale_tuple_t *t)
{
    gale_value_t *list = gale_value_list(), *map = gale_value_map();

    gale_value_list_append(list, gale_value_int(1));
    gale_value_list_append(list, gale_value_string("a\"b", 3));
    gale_value_list_append(list, gale_value_null());
    gale_value_map_set(map, "k", gale_value_bool(true));
    gale_value_map_set(map, "d", gale_value_double(0.1));
    tuple_init(t, "count");
    tuple_str(t, "s", "hello world");
    tuple_datum(t, "i", gale_d_int(-42));
    tuple_datum(t, "d", gale_d_double(2.5));
    tuple_datum(t, "n", gale_d_null());
    tuple_datum(t, "b", gale_d_bytes("\x01\xab", 2));
    tuple_datum(t, "t", gale_d_bool(false));
    tuple_tree(t, "l", list);
    tuple_tree(t, "m", map);
}

/* The names in dir, hidden ones excluded, sorted, separated by a space.
 * Caller frees. */
static char *
listing(const char *dir)
{
    struct dirent **de;
    char *s = calloc(1, 4096);
    int n, i;

    ck_assert_int_ge(n = scandir(dir, &de, NULL, alphasort), 0);
    for (i = 0; i < n; i++) {
        if (de[i]->d_name[0] != '.') {
            if (s[0] != '\0')
                strcat(s, " ");
            ck_assert_uint_lt(strlen(s) + strlen(de[i]->d_name), 4000);
            strcat(s, de[i]->d_name);
        }
        free(de[i]);
    }
    free(de);
    return s;
}

/* What a reader sees: `cat dir/part-*` in name order. Caller frees. */
static char *
published(const char *dir)
{
    struct dirent **de;
    char *s = calloc(1, 1 << 16), *path, *got;
    int n, i;

    ck_assert_int_ge(n = scandir(dir, &de, NULL, alphasort), 0);
    for (i = 0; i < n; i++) {
        if (strncmp(de[i]->d_name, "part-", 5) == 0) {
            ck_assert_int_gt(asprintf(&path, "%s/%s", dir, de[i]->d_name), 0);
            got = read_all(path);
            ck_assert_uint_lt(strlen(s) + strlen(got), (1 << 16) - 1);
            strcat(s, got);
            free(got);
            free(path);
        }
        free(de[i]);
    }
    free(de);
    return s;
}

#define MIXED_LINE "hello world\t-42\t2.5\t\t01ab\tfalse\t[1,\"a\\\"b\",null]" \
    "\t{\"k\":true,\"d\":0.1}\n"

START_TEST(test_file_sink_format)
{
    const gale_component_def_t *def = &gale_builtin_file_sink;
    gale_ctx_t *c = ctx_new(2, 3);
    char *dir, *file, *got;
    gale_tuple_t t;
    void *self;

    ck_assert_int_gt(asprintf(&dir, "%s/out/nested", tmpdir), 0);
    set_str(c, "path", dir);
    set_str(c, "gale.guarantee", "none");
    ck_assert_int_eq(def->bolt->prepare(c, &self), 0);
    fill_mixed(&t);
    ck_assert_int_eq(def->bolt->execute(c, self, &t), 0);
    tuple_clear(&t);
    tuple_init(&t, "count");
    tuple_str(&t, "w", "cow");
    tuple_datum(&t, "c", gale_d_int(3));
    ck_assert_int_eq(def->bolt->execute(c, self, &t), 0);
    ck_assert_int_eq(def->bolt->finish(c, self), 0);
    ck_assert_int_gt(asprintf(&file, "%s/part-00002", dir), 0);
    got = read_all(file);
    ck_assert_str_eq(got, MIXED_LINE "cow\t3\n");
    /* Guarantee none: checkpoints neither stage nor rename anything. */
    ck_assert_int_eq(def->bolt->snapshot(c, self, 1), 0);
    def->bolt->checkpoint_complete(c, self, 1);
    ck_assert_int_eq(def->bolt->restore(c, self), 0);
    def->bolt->cleanup(c, self);
    free(got);
    got = listing(dir);
    ck_assert_str_eq(got, "part-00002");
    ck_assert_uint_eq(nemitted(c), 0);
    ck_assert_str_eq(c->error, "");
    free(got);
    free(file);
    free(dir);
    ctx_free(c);
}
END_TEST

START_TEST(test_file_sink_bad_dir)
{
    gale_ctx_t *c = ctx_new(0, 1);
    char *file = write_file("plain", "x"), *dir;
    void *self = NULL;

    ck_assert_int_gt(asprintf(&dir, "%s/sub", file), 0);
    set_str(c, "path", dir);
    ck_assert_int_eq(gale_builtin_file_sink.bolt->prepare(c, &self), -ENOTDIR);
    ck_assert_ptr_nonnull(strstr(c->error, "Not a directory"));
    free(dir);
    free(file);
    ctx_free(c);
}
END_TEST

/* ---- file_sink: two-phase commit ----------------------------------- */

#define SINK (&gale_builtin_file_sink)

/* A context for file_sink task index of 2 writing to dir, with the given
 * attempt and guarantee. */
static gale_ctx_t *
sink_ctx(const char *dir, int index, uint32_t attempt, const char *guarantee)
{
    gale_ctx_t *c = ctx_new(index, 2);

    set_str(c, "path", dir);
    set_str(c, "gale.guarantee", guarantee);
    c->attempt = attempt;
    return c;
}

/* Executes a one-field tuple holding line. */
static void
sink_put(gale_ctx_t *c, void *self, const char *line)
{
    gale_tuple_t t;

    tuple_init(&t, "count");
    tuple_str(&t, "w", line);
    ck_assert_int_eq(SINK->bolt->execute(c, self, &t), 0);
}

/* What the engine does when it restores a checkpoint into a fresh task:
 * dst's operator state becomes a copy of src's (as saved at the barrier). */
static void
copy_opstate(gale_ctx_t *dst, gale_ctx_t *src)
{
    size_t i, j;
    gale_kv_t *from, *to;

    for (i = 0; i < src->nkv; i++) {
        from = src->kvs[i];
        if (strncmp(from->name, "o:", 2) != 0)
            continue;
        to = gale_ctx_operator_state(dst, from->name + 2);
        for (j = 0; j < from->n; j++)
            gale_kv_put(to, from->key[j], from->klen[j], from->val[j],
                from->vlen[j]);
    }
}

/* The attempt recorded for staged checkpoint id in operator state "sink",
 * as a string in buf, or "-" when there is none. */
static const char *
staged_entry(gale_ctx_t *c, const char *key, char *buf)
{
    const void *v;
    size_t n;

    if (gale_kv_get(gale_ctx_operator_state(c, "sink"), key, strlen(key),
        &v, &n) != 0)
        return "-";
    /* The value is "attempt<TAB>directory": the attempt is checked. */
    if (memchr(v, '\t', n) != NULL)
        n = (size_t)((const char *)memchr(v, '\t', n) - (const char *)v);
    memcpy(buf, v, n);
    buf[n] = '\0';
    return buf;
}

/* Asserts the listing of dir (see listing()). */
#define ck_listing(dir, want) do {                                      \
    char *l_ = listing(dir);                                            \
    ck_assert_str_eq(l_, want);                                         \
    free(l_);                                                           \
} while (0)

/* Asserts what a reader of dir sees. */
#define ck_published(dir, want) do {                                    \
    char *p_ = published(dir);                                          \
    ck_assert_str_eq(p_, want);                                         \
    free(p_);                                                           \
} while (0)

static char *sdir, *stg;        /* output directory and its .staging */

static void
sink_setup(void)
{
    setup();
    ck_assert_int_gt(asprintf(&sdir, "%s/out", tmpdir), 0);
    ck_assert_int_gt(asprintf(&stg, "%s/out/.staging", tmpdir), 0);
}

static void
sink_teardown(void)
{
    free(sdir);
    free(stg);
    teardown();
}

START_TEST(test_file_sink_stage_and_publish)
{
    gale_ctx_t *c = sink_ctx(sdir, 0, 1, "exactly_once");
    char buf[32];
    void *self;

    ck_assert_int_eq(SINK->bolt->prepare(c, &self), 0);
    ck_listing(sdir, "");
    ck_listing(stg, "");
    sink_put(c, self, "a");
    sink_put(c, self, "b");
    ck_assert_int_eq(SINK->bolt->snapshot(c, self, 1), 0);
    /* Staged, durable, recorded; nothing visible. */
    ck_listing(sdir, "");
    ck_listing(stg, "part-00000.1.1");
    ck_published(stg, "a\nb\n");
    ck_assert_str_eq(staged_entry(c, "staged:0:1", buf), "1");
    sink_put(c, self, "c");
    SINK->bolt->checkpoint_complete(c, self, 1);
    ck_listing(sdir, "part-00000-000000000001");
    ck_published(sdir, "a\nb\n");
    ck_assert_str_eq(staged_entry(c, "staged:0:1", buf), "-");
    ck_assert_uint_eq(gale_ctx_operator_state(c, "sink")->n, 0);
    /* c is staged at 2 only after finish and the final snapshot. */
    ck_assert_int_eq(SINK->bolt->finish(c, self), 0);
    ck_listing(stg, "part-00000.2.1.tmp");
    ck_listing(sdir, "part-00000-000000000001");
    ck_assert_int_eq(SINK->bolt->snapshot(c, self, 2), 0);
    ck_listing(stg, "part-00000.2.1");
    /* A checkpoint without output stages nothing. */
    ck_assert_int_eq(SINK->bolt->snapshot(c, self, 3), 0);
    ck_listing(stg, "part-00000.2.1");
    ck_assert_str_eq(staged_entry(c, "staged:0:3", buf), "-");
    SINK->bolt->checkpoint_complete(c, self, 3);
    ck_listing(stg, "");
    ck_listing(sdir, "part-00000-000000000001 part-00000-000000000002");
    ck_published(sdir, "a\nb\nc\n");
    /* A repeated notification changes nothing. */
    SINK->bolt->checkpoint_complete(c, self, 3);
    SINK->bolt->cleanup(c, self);
    ck_published(sdir, "a\nb\nc\n");
    ck_listing(stg, "");
    ck_assert_str_eq(c->error, "");
    ctx_free(c);
}
END_TEST

/* Checkpoints 1 and 2 are staged but only 3 completes: publishing <= 3
 * covers them, oldest first. at_least_once stages the same way. */
START_TEST(test_file_sink_declined_rolls_into_next)
{
    gale_ctx_t *c = sink_ctx(sdir, 1, 1, "at_least_once");
    void *self;

    ck_assert_int_eq(SINK->bolt->prepare(c, &self), 0);
    sink_put(c, self, "one");
    ck_assert_int_eq(SINK->bolt->snapshot(c, self, 1), 0);
    sink_put(c, self, "two");
    ck_assert_int_eq(SINK->bolt->snapshot(c, self, 2), 0);
    sink_put(c, self, "three");
    ck_assert_int_eq(SINK->bolt->snapshot(c, self, 3), 0);
    sink_put(c, self, "four");
    ck_listing(stg, "part-00001.1.1 part-00001.2.1 part-00001.3.1");
    SINK->bolt->checkpoint_complete(c, self, 2);
    ck_listing(sdir, "part-00001-000000000001 part-00001-000000000002");
    ck_listing(stg, "part-00001.3.1");
    ck_published(sdir, "one\ntwo\n");
    SINK->bolt->checkpoint_complete(c, self, 5);
    ck_published(sdir, "one\ntwo\nthree\n");
    ck_listing(stg, "");
    /* cleanup never publishes: "four" was never staged. */
    SINK->bolt->cleanup(c, self);
    ck_published(sdir, "one\ntwo\nthree\n");
    ck_assert_str_eq(c->error, "");
    ctx_free(c);
}
END_TEST

/* A task stages 1 and 2, has an open transaction, and dies before 1's
 * completion reached it; the topology restores checkpoint 1. */
START_TEST(test_file_sink_crash_restore)
{
    gale_ctx_t *a = sink_ctx(sdir, 0, 1, "exactly_once"), *b, *other;
    void *sa, *sb, *so;
    char buf[32];

    ck_assert_int_eq(SINK->bolt->prepare(a, &sa), 0);
    /* Task 1's staging must survive task 0's restore. */
    other = sink_ctx(sdir, 1, 1, "exactly_once");
    ck_assert_int_eq(SINK->bolt->prepare(other, &so), 0);
    sink_put(other, so, "task1");
    ck_assert_int_eq(SINK->bolt->snapshot(other, so, 2), 0);

    sink_put(a, sa, "a");
    ck_assert_int_eq(SINK->bolt->snapshot(a, sa, 1), 0);
    b = sink_ctx(sdir, 0, 2, "exactly_once");
    copy_opstate(b, a);             /* checkpoint 1's operator state */
    sink_put(a, sa, "b");
    ck_assert_int_eq(SINK->bolt->snapshot(a, sa, 2), 0);
    sink_put(a, sa, "c");
    ck_assert_int_eq(SINK->bolt->finish(a, sa), 0);
    ck_listing(stg, "part-00000.1.1 part-00000.2.1 part-00000.3.1.tmp "
        "part-00001.2.1");
    ck_listing(sdir, "");
    /* a is dead from here on: no cleanup until the end. */

    ck_assert_int_eq(SINK->bolt->prepare(b, &sb), 0);
    ck_assert_int_eq(SINK->bolt->restore(b, sb), 0);
    ck_listing(sdir, "part-00000-000000000001");
    ck_published(sdir, "a\n");
    ck_listing(stg, "part-00001.2.1");
    ck_assert_str_eq(staged_entry(b, "staged:0:1", buf), "-");
    /* The new attempt goes on from checkpoint 1. */
    sink_put(b, sb, "x");
    ck_assert_int_eq(SINK->bolt->snapshot(b, sb, 4), 0);
    ck_listing(stg, "part-00000.4.2 part-00001.2.1");
    SINK->bolt->checkpoint_complete(b, sb, 4);
    ck_listing(sdir, "part-00000-000000000001 part-00000-000000000004");
    ck_published(sdir, "a\nx\n");
    SINK->bolt->cleanup(b, sb);
    /* The dead task's late cleanup publishes nothing. */
    SINK->bolt->cleanup(a, sa);
    SINK->bolt->cleanup(other, so);
    ck_published(sdir, "a\nx\n");
    ck_listing(stg, "part-00001.2.1");
    ck_assert_str_eq(a->error, "");
    ck_assert_str_eq(b->error, "");
    ctx_free(a);
    ctx_free(b);
    ctx_free(other);
}
END_TEST

/* Checkpoint 1 completed and was published, but its operator state still
 * lists the staged transaction; restoring it twice (a second crash before
 * the next checkpoint) gives the same output each time. */
START_TEST(test_file_sink_restore_idempotent)
{
    gale_ctx_t *a = sink_ctx(sdir, 0, 1, "exactly_once"), *b, *c;
    void *sa, *sb, *sc;

    ck_assert_int_eq(SINK->bolt->prepare(a, &sa), 0);
    sink_put(a, sa, "a");
    ck_assert_int_eq(SINK->bolt->snapshot(a, sa, 1), 0);
    b = sink_ctx(sdir, 0, 2, "exactly_once");
    c = sink_ctx(sdir, 0, 3, "exactly_once");
    copy_opstate(b, a);
    copy_opstate(c, a);
    SINK->bolt->checkpoint_complete(a, sa, 1);
    sink_put(a, sa, "b");
    ck_assert_int_eq(SINK->bolt->snapshot(a, sa, 2), 0);
    ck_published(sdir, "a\n");

    ck_assert_int_eq(SINK->bolt->prepare(b, &sb), 0);
    ck_assert_int_eq(SINK->bolt->restore(b, sb), 0);
    sink_put(b, sb, "lost");
    ck_assert_int_eq(SINK->bolt->finish(b, sb), 0);
    ck_listing(stg, "part-00000.open.2.tmp");
    ck_published(sdir, "a\n");

    ck_assert_int_eq(SINK->bolt->prepare(c, &sc), 0);
    ck_assert_int_eq(SINK->bolt->restore(c, sc), 0);
    ck_assert_int_eq(SINK->bolt->restore(c, sc), 0);
    ck_listing(sdir, "part-00000-000000000001");
    ck_published(sdir, "a\n");
    ck_listing(stg, "");
    ck_assert_str_eq(b->error, "");
    ck_assert_str_eq(c->error, "");
    SINK->bolt->cleanup(a, sa);
    SINK->bolt->cleanup(b, sb);
    SINK->bolt->cleanup(c, sc);
    ctx_free(a);
    ctx_free(b);
    ctx_free(c);
}
END_TEST

/* An old attempt that still runs (a zombie) and the new one write the
 * same task's staging without touching each other's files; only what the
 * operator state lists is published. */
START_TEST(test_file_sink_attempts_never_collide)
{
    gale_ctx_t *old = sink_ctx(sdir, 0, 1, "exactly_once");
    gale_ctx_t *cur = sink_ctx(sdir, 0, 2, "exactly_once");
    void *so, *sc;
    char *f, *got;

    ck_assert_int_eq(SINK->bolt->prepare(old, &so), 0);
    ck_assert_int_eq(SINK->bolt->prepare(cur, &sc), 0);
    sink_put(old, so, "old");
    sink_put(cur, sc, "new");
    ck_assert_int_eq(SINK->bolt->finish(old, so), 0);
    ck_assert_int_eq(SINK->bolt->finish(cur, sc), 0);
    ck_listing(stg, "part-00000.open.1.tmp part-00000.open.2.tmp");
    ck_assert_int_eq(SINK->bolt->snapshot(old, so, 5), 0);
    ck_assert_int_eq(SINK->bolt->snapshot(cur, sc, 5), 0);
    ck_listing(stg, "part-00000.5.1 part-00000.5.2");
    SINK->bolt->checkpoint_complete(cur, sc, 5);
    ck_published(sdir, "new\n");
    ck_listing(stg, "part-00000.5.1");
    ck_assert_int_gt(asprintf(&f, "%s/part-00000.5.1", stg), 0);
    got = read_all(f);
    ck_assert_str_eq(got, "old\n");
    free(got);
    free(f);
    SINK->bolt->cleanup(old, so);
    SINK->bolt->cleanup(cur, sc);
    ctx_free(old);
    ctx_free(cur);
}
END_TEST

/* Publication is in checkpoint order and stops at a transaction that
 * cannot be published, so that a reader never sees a later one without
 * an earlier one; the entries that remain are retried next time. */
START_TEST(test_file_sink_publishes_in_order)
{
    gale_ctx_t *c = sink_ctx(sdir, 0, 1, "exactly_once");
    char buf[32], *f, *held;
    void *self;

    ck_assert_int_eq(SINK->bolt->prepare(c, &self), 0);
    sink_put(c, self, "1");
    ck_assert_int_eq(SINK->bolt->snapshot(c, self, 1), 0);
    sink_put(c, self, "2");
    ck_assert_int_eq(SINK->bolt->snapshot(c, self, 2), 0);
    sink_put(c, self, "3");
    ck_assert_int_eq(SINK->bolt->snapshot(c, self, 3), 0);
    ck_assert_int_gt(asprintf(&f, "%s/part-00000.2.1", stg), 0);
    ck_assert_int_gt(asprintf(&held, "%s/held", tmpdir), 0);
    ck_assert_int_eq(rename(f, held), 0);
    SINK->bolt->checkpoint_complete(c, self, 3);
    ck_published(sdir, "1\n");
    ck_assert_ptr_nonnull(strstr(c->error,
        "file_sink: publishing checkpoint 2 ("));
    ck_assert_str_eq(staged_entry(c, "staged:0:1", buf), "-");
    ck_assert_str_eq(staged_entry(c, "staged:0:2", buf), "1");
    ck_assert_str_eq(staged_entry(c, "staged:0:3", buf), "1");
    ck_listing(stg, "part-00000.3.1");
    /* The next notification retries. */
    ck_assert_int_eq(rename(held, f), 0);
    SINK->bolt->checkpoint_complete(c, self, 3);
    ck_published(sdir, "1\n2\n3\n");
    ck_listing(stg, "");
    ck_assert_uint_eq(gale_ctx_operator_state(c, "sink")->n, 0);
    SINK->bolt->cleanup(c, self);
    free(held);
    free(f);
    ctx_free(c);
}
END_TEST

/* Rescaling (2 sink tasks -> 1): the operator state of old task 1 is
 * restored into new task 0, which publishes old task 1's staged
 * transaction under its original name and discards old task 1's later
 * staging; a restore with another output path publishes the restored
 * transactions where they were staged, not in the new directory. */
START_TEST(test_file_sink_rescaled_and_moved)
{
    gale_ctx_t *a = sink_ctx(sdir, 1, 1, "exactly_once"), *b;
    void *sa, *sb;
    char *moved;

    ck_assert_int_eq(SINK->bolt->prepare(a, &sa), 0);
    sink_put(a, sa, "x");
    ck_assert_int_eq(SINK->bolt->snapshot(a, sa, 5), 0);
    sink_put(a, sa, "after");
    ck_assert_int_eq(SINK->bolt->snapshot(a, sa, 6), 0);
    ck_listing(stg, "part-00001.5.1 part-00001.6.1");
    /* Restore checkpoint 5's state (the staged entry of 5 only) into a
     * one-task sink writing elsewhere. */
    ck_assert_int_gt(asprintf(&moved, "%s/moved", tmpdir), 0);
    b = ctx_new(0, 1);
    set_str(b, "path", moved);
    set_str(b, "gale.guarantee", "exactly_once");
    b->attempt = 2;
    copy_opstate(b, a);
    gale_kv_delete(gale_ctx_operator_state(b, "sink"), "staged:1:6", 10);
    ck_assert_int_eq(SINK->bolt->prepare(b, &sb), 0);
    ck_assert_int_eq(SINK->bolt->restore(b, sb), 0);
    ck_listing(sdir, "part-00001-000000000005");
    ck_published(sdir, "x\n");
    ck_assert_uint_eq(gale_ctx_operator_state(b, "sink")->n, 0);
    /* Old task 1's staging maps to new task 0 (1 mod 1): discarded, in
     * b's own directory; the original directory keeps what it had. */
    ck_listing(stg, "part-00001.6.1");
    SINK->bolt->cleanup(a, sa);
    SINK->bolt->cleanup(b, sb);
    ctx_free(a);
    ctx_free(b);
    free(moved);
}
END_TEST

/* A staged transaction listed in operator state whose file is gone and
 * was never published cannot be restored: an error, and nothing is
 * discarded. */
START_TEST(test_file_sink_restore_missing_staged)
{
    gale_ctx_t *a = sink_ctx(sdir, 0, 1, "exactly_once"), *b;
    void *sa, *sb;
    char *f;

    ck_assert_int_eq(SINK->bolt->prepare(a, &sa), 0);
    sink_put(a, sa, "a");
    ck_assert_int_eq(SINK->bolt->snapshot(a, sa, 7), 0);
    sink_put(a, sa, "b");
    ck_assert_int_eq(SINK->bolt->finish(a, sa), 0);
    ck_assert_int_gt(asprintf(&f, "%s/part-00000.7.1", stg), 0);
    ck_assert_int_eq(unlink(f), 0);
    b = sink_ctx(sdir, 0, 2, "exactly_once");
    copy_opstate(b, a);
    ck_assert_int_eq(SINK->bolt->prepare(b, &sb), 0);
    ck_assert_int_eq(SINK->bolt->restore(b, sb), -ENOENT);
    ck_assert_ptr_nonnull(strstr(b->error,
        "file_sink: publishing checkpoint 7 ("));
    ck_assert_ptr_nonnull(strstr(b->error,
        "part-00000.7.1): No such file or directory"));
    ck_listing(stg, "part-00000.8.1.tmp");
    ck_listing(sdir, "");
    SINK->bolt->cleanup(a, sa);
    SINK->bolt->cleanup(b, sb);
    ctx_free(a);
    ctx_free(b);
    free(f);
}
END_TEST

START_TEST(test_stdout_lines)
{
    const gale_component_def_t *def = &gale_builtin_stdout;
    gale_ctx_t *c = ctx_new(0, 1);
    char *path, *got;
    gale_tuple_t t;
    int fd, saved;
    void *self;

    ck_assert_int_gt(asprintf(&path, "%s/stdout.txt", tmpdir), 0);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    saved = dup(STDOUT_FILENO);
    dup2(fd, STDOUT_FILENO);
    ck_assert_int_eq(def->bolt->prepare(c, &self), 0);
    fill_mixed(&t);
    ck_assert_int_eq(def->bolt->execute(c, self, &t), 0);
    tuple_clear(&t);
    t.tick = true;
    ck_assert_int_eq(def->bolt->execute(c, self, &t), 0);
    def->bolt->cleanup(c, self);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    close(fd);
    got = read_all(path);
    ck_assert_str_eq(got, MIXED_LINE);
    free(got);
    free(path);
    ctx_free(c);
}
END_TEST

START_TEST(test_log_bolt)
{
    const gale_component_def_t *def = &gale_builtin_log;
    gale_ctx_t *c = ctx_new(0, 1), *d = ctx_new(0, 1);
    gale_tuple_t t;
    void *self = NULL;

    set_str(c, "level", "warn");
    ck_assert_int_eq(def->bolt->prepare(c, &self), 0);
    tuple_init(&t, "split");
    tuple_str(&t, "word", "hello");
    tuple_datum(&t, "n", gale_d_int(2));
    ck_assert_int_eq(def->bolt->execute(c, self, &t), 0);
    ck_assert_str_eq(c->logged, "source: split:3, stream: default, [hello, 2]");
    ck_assert_int_eq(c->loglevel, GALE_LOG_WARN);
    ck_assert_uint_eq(nemitted(c), 0);
    def->bolt->cleanup(c, self);
    set_str(d, "level", "loud");
    ck_assert_int_eq(def->bolt->prepare(d, &self), -EINVAL);
    ck_assert_str_eq(d->error, "log: level \"loud\" is not one of trace, "
        "debug, info, warn, error");
    ctx_free(c);
    ctx_free(d);
}
END_TEST

/* ---- registry and the example plugin ------------------------------------ */

static char *
built(const char *rel)
{
    const char *top = getenv("top_builddir");
    char *p;

    ck_assert_int_gt(asprintf(&p, "%s/%s", top != NULL ? top : ".", rel), 0);
    return p;
}

START_TEST(test_registry_builtins)
{
    const gale_component_def_t *const *b = gale_registry_builtins();
    const gale_param_spec_t *ps;
    char *cause = NULL;
    size_t n;

    for (n = 0; b[n] != NULL; n++) {
        ck_assert_ptr_eq(gale_registry_lookup(NULL, b[n]->type, b[n]->kind,
            NULL, NULL), b[n]);
        ck_assert(b[n]->kind == GALE_SPOUT ? b[n]->spout != NULL :
            b[n]->bolt != NULL);
        ck_assert_ptr_nonnull(b[n]->params);
        for (ps = b[n]->params; ps->name != NULL; ps++)
            ck_assert_ptr_nonnull(ps->help);
    }
    ck_assert_uint_eq(n, 14);    /* with window, kafka and kafka_sink */
    /* "shell" has a def of each kind; other types ignore the kind. */
    ck_assert_int_eq(gale_registry_lookup(NULL, "shell", GALE_SPOUT, NULL,
        NULL)->kind, GALE_SPOUT);
    ck_assert_int_eq(gale_registry_lookup(NULL, "shell", GALE_BOLT, NULL,
        NULL)->kind, GALE_BOLT);
    ck_assert_int_eq(gale_registry_lookup(NULL, "count", GALE_SPOUT, NULL,
        NULL)->kind, GALE_BOLT);
    ck_assert_ptr_null(gale_registry_lookup(NULL, "splt", GALE_BOLT, NULL,
        &cause));
    ck_assert_str_eq(cause, "unknown component type `splt` "
        "(did you mean `split`?)");
    free(cause);
    ck_assert_ptr_null(gale_registry_lookup(NULL, "zzzzzzzz", GALE_BOLT, NULL,
        &cause));
    ck_assert_str_eq(cause, "unknown component type `zzzzzzzz`");
    free(cause);
    ck_assert_ptr_null(gale_registry_lookup_grouping(NULL, "first_n", NULL,
        &cause));
    ck_assert_str_eq(cause, "custom grouping `first_n` needs the `plugin` "
        "that provides it (gale has no built-in custom groupings)");
    free(cause);
}
END_TEST

START_TEST(test_registry_plugins)
{
    char *upper = built("examples/plugins/upper.so");
    char *bad = built("tests/plugins/badabi.so");
    char *cause = NULL, *want;
    const gale_component_def_t *d1, *d2;
    const gale_grouping_def_t *g;

    ck_assert_ptr_nonnull(d1 = gale_registry_lookup(NULL, "upper", GALE_BOLT,
        upper, &cause));
    ck_assert_ptr_null(cause);
    ck_assert_ptr_nonnull(d2 = gale_registry_lookup(NULL, "upper", GALE_BOLT,
        upper, NULL));
    ck_assert_ptr_eq(d1, d2);           /* cached */
    ck_assert_str_eq(d1->type, "upper");
    ck_assert_int_eq(d1->kind, GALE_BOLT);
    ck_assert_ptr_nonnull(g = gale_registry_lookup_grouping(NULL, "first_n",
        upper, NULL));
    ck_assert_ptr_null(gale_registry_lookup(NULL, "uper", GALE_BOLT, upper,
        &cause));
    ck_assert_int_gt(asprintf(&want, "plugin %s has no component type `uper` "
        "(did you mean `upper`?)", upper), 0);
    ck_assert_str_eq(cause, want);
    free(want);
    free(cause);
    ck_assert_ptr_null(gale_registry_lookup_grouping(NULL, "frist_n", upper,
        &cause));
    ck_assert_int_gt(asprintf(&want, "plugin %s has no grouping `frist_n` "
        "(did you mean `first_n`?)", upper), 0);
    ck_assert_str_eq(cause, want);
    free(want);
    free(cause);
    ck_assert_ptr_null(gale_registry_lookup(NULL, "x", GALE_BOLT, bad, &cause));
    ck_assert_int_gt(asprintf(&want, "plugin %s was built for gale ABI %d, "
        "but this gale has ABI %d: rebuild it against this gale's headers",
        bad, GALE_ABI_VERSION + 1, GALE_ABI_VERSION), 0);
    ck_assert_str_eq(cause, want);
    free(want);
    free(cause);
    ck_assert_ptr_null(gale_registry_lookup(NULL, "x", GALE_BOLT,
        "/nonexistent/p.so",
        &cause));
    ck_assert_ptr_nonnull(strstr(cause,
        "cannot load plugin /nonexistent/p.so: "));
    free(cause);
    free(upper);
    free(bad);
}
END_TEST

START_TEST(test_upper_plugin)
{
    char *upper = built("examples/plugins/upper.so");
    const gale_component_def_t *def = gale_registry_lookup(NULL, "upper",
        GALE_BOLT, upper, NULL);
    const gale_grouping_def_t *g = gale_registry_lookup_grouping(NULL,
        "first_n", upper, NULL);
    gale_value_t *args = gale_value_map();
    gale_ctx_t *c = ctx_new(0, 1);
    int picks[8], n;
    gale_tuple_t t;
    void *self, *gs;

    ck_assert_ptr_nonnull(def);
    set_str(c, "field", "w");
    ck_assert_int_eq(def->bolt->prepare(c, &self), 0);
    tuple_init(&t, "split");
    tuple_datum(&t, "n", gale_d_int(4));
    tuple_str(&t, "w", "Hello, world");
    ck_assert_int_eq(def->bolt->execute(c, self, &t), 0);
    ck_assert_int_eq(out(c, 0, 0)->u.i, 4);
    ck_assert_str_eq(out(c, 0, 1)->u.s.ptr, "HELLO, WORLD");
    def->bolt->cleanup(c, self);
    /* first_n: n = 2 of 4 targets, and n capped by the targets. */
    gale_value_map_set(args, "n", gale_value_int(2));
    ck_assert_int_eq(g->prepare(args, 4, &gs), 0);
    n = g->choose(gs, 1, &t, picks, 4);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(picks[0], 0);
    ck_assert_int_eq(picks[1], 1);
    g->cleanup(gs);
    gale_value_map_set(args, "n", gale_value_int(9));
    ck_assert_int_eq(g->prepare(args, 3, &gs), 0);
    ck_assert_int_eq(g->choose(gs, 1, &t, picks, 3), 3);
    g->cleanup(gs);
    gale_value_map_set(args, "n", gale_value_int(0));
    ck_assert_int_eq(g->prepare(args, 3, &gs), -EINVAL);
    gale_value_destroy(&args);
    ctx_free(c);
    free(upper);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("builtins");
    TCase *sp = tcase_create("spouts"), *bo = tcase_create("bolts");
    TCase *re = tcase_create("registry");
    TCase *tx = tcase_create("file_sink_2pc");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(sp, setup, teardown);
    tcase_add_checked_fixture(bo, setup, teardown);
    tcase_add_checked_fixture(tx, sink_setup, sink_teardown);
    tcase_add_test(sp, test_generator_matches_wordgen);
    tcase_add_test(sp, test_generator_splits_count_between_tasks);
    tcase_add_test(sp, test_generator_snapshot_restore_resumes);
    tcase_add_test(sp, test_generator_words_and_integers);
    tcase_add_test(sp, test_generator_bad_mode);
    tcase_add_test(sp, test_generator_unbounded_and_rate);
    tcase_add_test(sp, test_lines_bounded);
    tcase_add_test(sp, test_lines_missing_file);
    tcase_add_test(sp, test_lines_snapshot_restore);
    tcase_add_test(sp, test_lines_follow);
    tcase_add_test(sp, test_lines_ranged);
    tcase_add_test(sp, test_lines_ranged_restore);
    tcase_add_test(sp, test_lines_ranged_follow_refused);
    tcase_add_test(sp, test_random_sentence);
    tcase_add_test(sp, test_random_sentence_default_rate);
    tcase_add_test(bo, test_split_whitespace_runs);
    tcase_add_test(bo, test_split_field_and_lower);
    tcase_add_test(bo, test_count_running_counts);
    tcase_add_test(bo, test_count_requires_key);
    tcase_add_test(bo, test_filter_conditions);
    tcase_add_test(bo, test_filter_errors);
    tcase_add_test(bo, test_file_sink_format);
    tcase_add_test(bo, test_file_sink_bad_dir);
    tcase_add_test(bo, test_stdout_lines);
    tcase_add_test(bo, test_log_bolt);
    tcase_add_test(tx, test_file_sink_stage_and_publish);
    tcase_add_test(tx, test_file_sink_declined_rolls_into_next);
    tcase_add_test(tx, test_file_sink_crash_restore);
    tcase_add_test(tx, test_file_sink_restore_idempotent);
    tcase_add_test(tx, test_file_sink_attempts_never_collide);
    tcase_add_test(tx, test_file_sink_publishes_in_order);
    tcase_add_test(tx, test_file_sink_restore_missing_staged);
    tcase_add_test(tx, test_file_sink_rescaled_and_moved);
    tcase_add_test(re, test_registry_builtins);
    tcase_add_test(re, test_registry_plugins);
    tcase_add_test(re, test_upper_plugin);
    suite_add_tcase(s, sp);
    suite_add_tcase(s, bo);
    suite_add_tcase(s, tx);
    suite_add_tcase(s, re);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
