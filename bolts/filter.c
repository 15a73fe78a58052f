/* filter.c - the "filter" bolt: passes on, unchanged, the tuples whose
 * field satisfies every condition given (equals, not_equals, contains,
 * match, min, max). Text conditions compare the field's line-format text
 * (linefmt.h); min and max compare numbers (ints, doubles, or strings
 * that are entirely a number). */
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <gale/gale.h>

#include "bolts/builtins.h"
#include "bolts/linefmt.h"

typedef struct filter {
    char *field;                /* owned field name */
    char *equals;               /* owned text, or NULL */
    char *not_equals;           /* owned text, or NULL */
    char *contains;             /* owned text, or NULL */
    regex_t re;                 /* compiled match, if has_re */
    bool has_re;                /* match was given */
    bool has_min, has_max;      /* numeric bounds given */
    double min, max;            /* inclusive bounds */
    gale_linebuf_t text;        /* scratch: the field's text */
    gale_datum_t *vals;         /* owned scratch: the fields to re-emit */
    size_t nvals;               /* room in vals */
} filter_t;

static void
filter_cleanup(gale_ctx_t *ctx, void *self)
{
    filter_t *f = self;

    if (f == NULL)
        return;
    free(f->field);
    free(f->equals);
    free(f->not_equals);
    free(f->contains);
    if (f->has_re)
        regfree(&f->re);
    gale_linebuf_release(&f->text);
    free(f->vals);
    free(f);
}

/* The text of a scalar parameter, in the line format, into *out (caller
 * frees). 0, -EINVAL for a list or map, -ENOMEM. */
static int
param_text(const gale_value_t *v, char **out)
{
    gale_linebuf_t b = { NULL, 0, 0 };
    gale_datum_t d;
    int rc;

    d.type = v->type;
    switch (v->type) {
    case GALE_BOOL: d.u.b = v->u.b; break;
    case GALE_INT: d.u.i = v->u.i; break;
    case GALE_DOUBLE: d.u.d = v->u.d; break;
    case GALE_STRING:
    case GALE_BYTES:
        d.u.s.ptr = v->u.s.ptr;
        d.u.s.len = v->u.s.len;
        break;
    case GALE_NULL: break;
    default: return -EINVAL;
    }
    if ((rc = gale_linefmt_datum(&b, &d)) != 0 ||
        (rc = gale_linebuf_add(&b, "", 1)) != 0) {
        gale_linebuf_release(&b);
        return rc;
    }
    *out = b.ptr;
    return 0;
}

/* Reads one text condition. 0 (absent is fine), -EINVAL reported. */
static int
text_param(gale_ctx_t *ctx, const char *name, char **out, int *nconds)
{
    const gale_value_t *v = gale_ctx_param(ctx, name);

    if (v == NULL)
        return 0;
    (*nconds)++;
    if (param_text(v, out) != 0) {
        gale_ctx_report_error(ctx, "filter: %s must be a string, number or "
            "bool", name);
        return -EINVAL;
    }
    return 0;
}

/* Reads one numeric bound. 0 (absent is fine), -EINVAL reported. */
static int
number_param(gale_ctx_t *ctx, const char *name, double *out, bool *has,
    int *nconds)
{
    const gale_value_t *v = gale_ctx_param(ctx, name);

    if (v == NULL)
        return 0;
    (*nconds)++;
    *has = true;
    if (v->type == GALE_INT)
        *out = (double)v->u.i;
    else if (v->type == GALE_DOUBLE)
        *out = v->u.d;
    else {
        gale_ctx_report_error(ctx, "filter: %s must be a number", name);
        return -EINVAL;
    }
    return 0;
}

/* -EINVAL (reported) without field or any condition, for a bad bound or
 * a regular expression that does not compile. */
static int
filter_prepare(gale_ctx_t *ctx, void **self)
{
    const char *field = gale_ctx_param_str(ctx, "field", NULL);
    const char *match = gale_ctx_param_str(ctx, "match", NULL);
    filter_t *f = calloc(1, sizeof *f);
    int nconds = 0, rc = -EINVAL, rerr;
    char msg[256];

    if (f == NULL)
        return -ENOMEM;
    if (field == NULL) {
        gale_ctx_report_error(ctx, "filter: parameter field is required");
        goto fail;
    }
    if ((f->field = strdup(field)) == NULL) {
        rc = -ENOMEM;
        goto fail;
    }
    if (text_param(ctx, "equals", &f->equals, &nconds) != 0 ||
        text_param(ctx, "not_equals", &f->not_equals, &nconds) != 0 ||
        text_param(ctx, "contains", &f->contains, &nconds) != 0 ||
        number_param(ctx, "min", &f->min, &f->has_min, &nconds) != 0 ||
        number_param(ctx, "max", &f->max, &f->has_max, &nconds) != 0)
        goto fail;
    if (match != NULL) {
        nconds++;
        if ((rerr = regcomp(&f->re, match, REG_EXTENDED | REG_NOSUB)) != 0) {
            regerror(rerr, &f->re, msg, sizeof msg);
            gale_ctx_report_error(ctx, "filter: match \"%s\": %s", match, msg);
            goto fail;
        }
        f->has_re = true;
    }
    if (nconds == 0) {
        gale_ctx_report_error(ctx, "filter: give at least one of equals, "
            "not_equals, contains, match, min, max");
        goto fail;
    }
    *self = f;
    return 0;
fail:
    filter_cleanup(ctx, f);
    return rc;
}

/* The field as a number: ints, doubles, and strings that are one number
 * entirely. false otherwise. */
static bool
as_number(const gale_datum_t *d, double *x)
{
    char tmp[64], *end;

    switch (d->type) {
    case GALE_INT:
        *x = (double)d->u.i;
        return true;
    case GALE_DOUBLE:
        *x = d->u.d;
        return !isnan(*x);
    case GALE_STRING:
        if (d->u.s.len == 0 || d->u.s.len >= sizeof tmp)
            return false;
        memcpy(tmp, d->u.s.ptr, d->u.s.len);
        tmp[d->u.s.len] = '\0';
        *x = strtod(tmp, &end);
        return *end == '\0' && !isnan(*x);
    default:
        return false;
    }
}

/* true if field idx of t satisfies every condition; -errno on failure. */
static int
matches(filter_t *f, const gale_tuple_t *t, int idx, const gale_datum_t *d)
{
    const char *s;
    double x;
    int rc;

    if (f->has_min || f->has_max) {
        if (!as_number(d, &x))
            return 0;
        if ((f->has_min && x < f->min) || (f->has_max && x > f->max))
            return 0;
    }
    if (f->equals == NULL && f->not_equals == NULL && f->contains == NULL &&
        !f->has_re)
        return 1;
    f->text.len = 0;
    if ((rc = gale_linefmt_field(&f->text, t, (size_t)idx)) != 0 ||
        (rc = gale_linebuf_add(&f->text, "", 1)) != 0)
        return rc;
    s = f->text.ptr;
    /* The text is NUL-terminated; a NUL inside the field ends it for
     * the comparisons below, as it would for a C string. */
    if (f->equals != NULL && strcmp(s, f->equals) != 0)
        return 0;
    if (f->not_equals != NULL && strcmp(s, f->not_equals) == 0)
        return 0;
    if (f->contains != NULL && strstr(s, f->contains) == NULL)
        return 0;
    if (f->has_re && regexec(&f->re, s, 0, NULL, 0) != 0)
        return 0;
    return 1;
}

/* -ENOENT (reported) when the tuple lacks the field. */
static int
filter_execute(gale_ctx_t *ctx, void *self, const gale_tuple_t *t)
{
    filter_t *f = self;
    size_t i, n = gale_tuple_size(t);
    gale_datum_t *nv;
    int idx, rc;

    if ((idx = gale_tuple_index(t, f->field)) < 0) {
        gale_ctx_report_error(ctx, "filter: tuple from %s has no field %s",
            gale_tuple_component(t), f->field);
        return -ENOENT;
    }
    if (n > f->nvals) {
        if ((nv = realloc(f->vals, n * sizeof *nv)) == NULL)
            return -ENOMEM;
        f->vals = nv;
        f->nvals = n;
    }
    for (i = 0; i < n; i++)
        gale_tuple_get(t, i, &f->vals[i]);
    if ((rc = matches(f, t, idx, &f->vals[idx])) <= 0)
        return rc;
    return gale_emit(ctx, GALE_STREAM_DEFAULT, f->vals, n);
}

static const gale_param_spec_t filter_params[] = {
    { "field", GALE_STRING, true, "the field the conditions test" },
    { "equals", GALE_NULL, false, "pass when the field's text equals this" },
    { "not_equals", GALE_NULL, false,
      "pass when the field's text differs from this" },
    { "contains", GALE_STRING, false,
      "pass when the field's text contains this" },
    { "match", GALE_STRING, false,
      "pass when the field's text matches this POSIX extended regex" },
    { "min", GALE_NULL, false, "pass when the field is a number >= this" },
    { "max", GALE_NULL, false, "pass when the field is a number <= this" },
    { NULL, GALE_NULL, false, NULL }
};

static const gale_bolt_ops_t filter_ops = {
    .prepare = filter_prepare,
    .execute = filter_execute,
    .cleanup = filter_cleanup,
};

const gale_component_def_t gale_builtin_filter = {
    .type = "filter",
    .kind = GALE_BOLT,
    .summary = "passes on the tuples whose field meets every condition",
    .params = filter_params,
    .bolt = &filter_ops,
};
