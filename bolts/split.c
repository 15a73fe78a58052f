/* split.c - the "split" bolt: one tuple per whitespace-separated word of
 * a string field. Without `lower` it copies nothing: each emitted datum
 * points into the input tuple (the engine copies it into the outgoing
 * batch). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <gale/gale.h>

#include "bolts/builtins.h"

typedef struct split {
    char *field;                /* owned input field name; NULL = the first */
    gale_field_t fieldf;        /* that field, looked up once a stream */
    bool lower;                 /* ASCII-lowercase the words */
    char *low;                  /* owned scratch for a lowered word */
    size_t lowcap;              /* its size */
} split_t;

/* Spaces, tabs, newlines, CR, VT and FF separate words. */
static const unsigned char space[256] = {
    [' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1, ['\v'] = 1, ['\f'] = 1
};

static void
split_cleanup(gale_ctx_t *ctx, void *self)
{
    split_t *s = self;

    if (s == NULL)
        return;
    free(s->field);
    free(s->low);
    free(s);
}

static int
split_prepare(gale_ctx_t *ctx, void **self)
{
    const char *field = gale_ctx_param_str(ctx, "field", NULL);
    split_t *s = calloc(1, sizeof *s);

    if (s == NULL)
        return -ENOMEM;
    if (field != NULL && (s->field = strdup(field)) == NULL) {
        split_cleanup(ctx, s);
        return -ENOMEM;
    }
    s->fieldf = GALE_FIELD_INIT(s->field);
    s->lower = gale_ctx_param_bool(ctx, "lower", false);
    *self = s;
    return 0;
}

/* Emits w[0, n), lowered into scratch when asked to. */
static int
emit_word(gale_ctx_t *ctx, split_t *s, const char *w, size_t n)
{
    gale_datum_t d;
    size_t i;
    char *nl;

    if (s->lower) {
        if (n > s->lowcap) {
            if ((nl = realloc(s->low, n)) == NULL)
                return -ENOMEM;
            s->low = nl;
            s->lowcap = n;
        }
        for (i = 0; i < n; i++)
            s->low[i] = (w[i] >= 'A' && w[i] <= 'Z') ? (char)(w[i] + 32) : w[i];
        w = s->low;
    }
    d = gale_d_str(w, n);
    return gale_emit(ctx, GALE_STREAM_DEFAULT, &d, 1);
}

/* -ENOENT (reported) when the field is missing; a field that is not a
 * string or bytes yields no words. */
static int
split_execute(gale_ctx_t *ctx, void *self, const gale_tuple_t *t)
{
    split_t *s = self;
    const char *p, *end, *w;
    gale_datum_t d;
    int rc;

    rc = s->field == NULL ? gale_tuple_get(t, 0, &d) :
        gale_tuple_field(t, &s->fieldf, &d);
    if (rc != 0) {
        gale_ctx_report_error(ctx, "split: tuple from %s has no field %s",
            gale_tuple_component(t), s->field != NULL ? s->field : "0");
        return -ENOENT;
    }
    if (d.type != GALE_STRING && d.type != GALE_BYTES)
        return 0;
    p = d.u.s.ptr;
    end = p + d.u.s.len;
    for (;;) {
        while (p < end && space[(unsigned char)*p])
            p++;
        if (p == end)
            break;
        w = p;
        while (p < end && !space[(unsigned char)*p])
            p++;
        if ((rc = emit_word(ctx, s, w, (size_t)(p - w))) < 0)
            return rc;
    }
    return 0;
}

static const gale_param_spec_t split_params[] = {
    { "field", GALE_STRING, false, "input field to split; default the first" },
    { "lower", GALE_BOOL, false, "lower-case the words (ASCII); default false" },
    { NULL, GALE_NULL, false, NULL }
};

static const gale_bolt_ops_t split_ops = {
    .prepare = split_prepare,
    .execute = split_execute,
    .cleanup = split_cleanup,
};

const gale_component_def_t gale_builtin_split = {
    .type = "split",
    .kind = GALE_BOLT,
    .summary = "one tuple per whitespace-separated word of a string field",
    .params = split_params,
    .bolt = &split_ops,
};
