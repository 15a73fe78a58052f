/* upper.c - an example gale plugin, built as any plugin author builds one:
 *
 *     cc -std=c11 -shared -fPIC $(pkg-config --cflags gale) -o upper.so upper.c
 *
 * It provides a bolt type "upper", which upper-cases (ASCII) one string
 * field and passes every other field on unchanged, and a custom grouping
 * "first_n", which sends every tuple to the first n tasks of the consumer,
 * as Storm's NGrouping test grouping does. Only include/gale is used: the
 * engine's gale_* functions resolve against the gale binary at load time.
 */
#define _POSIX_C_SOURCE 200809L     /* strdup */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <gale/gale.h>

/* ---- the "upper" bolt ---- */

typedef struct upper {
    char *field;                /* owned field name; NULL = the first */
    char *buf;                  /* owned scratch for the upper-cased text */
    size_t cap;                 /* its size */
    gale_datum_t *vals;         /* owned scratch: the fields to emit */
    size_t nvals;               /* room in vals */
} upper_t;

static void
upper_cleanup(gale_ctx_t *ctx, void *self)
{
    upper_t *u = self;

    (void)ctx;
    if (u == NULL)
        return;
    free(u->field);
    free(u->buf);
    free(u->vals);
    free(u);
}

static int
upper_prepare(gale_ctx_t *ctx, void **self)
{
    const char *field = gale_ctx_param_str(ctx, "field", NULL);
    upper_t *u = calloc(1, sizeof *u);

    if (u == NULL)
        return -ENOMEM;
    if (field != NULL && (u->field = strdup(field)) == NULL) {
        upper_cleanup(ctx, u);
        return -ENOMEM;
    }
    *self = u;
    return 0;
}

/* Emits the tuple with its field upper-cased. -ENOENT (reported) if the
 * tuple has no such field; a field that is not a string passes as is. */
static int
upper_execute(gale_ctx_t *ctx, void *self, const gale_tuple_t *t)
{
    upper_t *u = self;
    size_t i, n = gale_tuple_size(t), len;
    int idx = u->field == NULL ? 0 : gale_tuple_index(t, u->field);
    const char *s;
    void *p;

    if (idx < 0 || (size_t)idx >= n) {
        gale_ctx_report_error(ctx, "upper: tuple from %s has no field %s",
            gale_tuple_component(t), u->field != NULL ? u->field : "0");
        return -ENOENT;
    }
    if (n > u->nvals) {
        if ((p = realloc(u->vals, n * sizeof *u->vals)) == NULL)
            return -ENOMEM;
        u->vals = p;
        u->nvals = n;
    }
    for (i = 0; i < n; i++)
        gale_tuple_get(t, i, &u->vals[i]);
    if (u->vals[idx].type == GALE_STRING) {
        s = u->vals[idx].u.s.ptr;
        len = u->vals[idx].u.s.len;
        if (len > u->cap) {
            if ((p = realloc(u->buf, len)) == NULL)
                return -ENOMEM;
            u->buf = p;
            u->cap = len;
        }
        for (i = 0; i < len; i++)
            u->buf[i] = (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 32) : s[i];
        u->vals[idx] = gale_d_str(u->buf, len);
    }
    return gale_emit(ctx, GALE_STREAM_DEFAULT, u->vals, n);
}

static const gale_param_spec_t upper_params[] = {
    { "field", GALE_STRING, false, "field to upper-case; default the first" },
    { NULL, GALE_NULL, false, NULL }
};

static const gale_bolt_ops_t upper_ops = {
    .prepare = upper_prepare,
    .execute = upper_execute,
    .cleanup = upper_cleanup,
};

static const gale_component_def_t upper_def = {
    .type = "upper",
    .kind = GALE_BOLT,
    .summary = "upper-cases a string field (example plugin)",
    .params = upper_params,
    .bolt = &upper_ops,
};

/* ---- the "first_n" grouping ---- */

/* Reads args.n (an int >= 1, default 1) into *self. -EINVAL otherwise. */
static int
first_n_prepare(const gale_value_t *args, int ntargets, void **self)
{
    const gale_value_t *v = args != NULL ? gale_value_map_get(args, "n") : NULL;
    int *n;

    if (v != NULL && (v->type != GALE_INT || v->u.i < 1))
        return -EINVAL;
    if ((n = malloc(sizeof *n)) == NULL)
        return -ENOMEM;
    *n = v == NULL ? 1 : (v->u.i > ntargets ? ntargets : (int)v->u.i);
    *self = n;
    return 0;
}

/* The first n target indexes, whatever the tuple. */
static int
first_n_choose(void *self, int source_task, const gale_tuple_t *t, int *out,
    int ntargets)
{
    int n = *(int *)self, i;

    (void)source_task;
    (void)t;
    if (n > ntargets)
        n = ntargets;
    for (i = 0; i < n; i++)
        out[i] = i;
    return n;
}

static void
first_n_cleanup(void *self)
{
    free(self);
}

static const gale_grouping_def_t first_n_def = {
    .name = "first_n",
    .prepare = first_n_prepare,
    .choose = first_n_choose,
    .cleanup = first_n_cleanup,
};

/* ---- what the plugin exports ---- */

static const gale_component_def_t *const components[] = { &upper_def, NULL };
static const gale_grouping_def_t *const groupings[] = { &first_n_def, NULL };

const gale_plugin_t gale_plugin = { GALE_ABI_VERSION, components, groupings };
