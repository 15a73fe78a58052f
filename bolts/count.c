/* count.c - the "count" bolt: a running count per value of a key field,
 * kept in keyed state "counts" so that it is checkpointed and moves with
 * its key group; emits [key, count] for every tuple. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <gale/gale.h>

#include "bolts/builtins.h"

typedef struct count {
    char *key;                  /* owned key field name */
    gale_field_t keyf;          /* the key field, looked up once a stream */
    gale_kv_t *counts;          /* keyed state, engine-owned */
    unsigned char *kbuf;        /* owned scratch for a non-string key */
    size_t kcap;                /* its size */
} count_t;

static void
count_cleanup(gale_ctx_t *ctx, void *self)
{
    count_t *c = self;

    if (c == NULL)
        return;
    free(c->key);
    free(c->kbuf);
    free(c);
}

/* -EINVAL (reported) without a key parameter. */
static int
count_prepare(gale_ctx_t *ctx, void **self)
{
    const char *key = gale_ctx_param_str(ctx, "key", NULL);
    count_t *c;

    if (key == NULL) {
        gale_ctx_report_error(ctx, "count: parameter key is required");
        return -EINVAL;
    }
    if ((c = calloc(1, sizeof *c)) == NULL || (c->key = strdup(key)) == NULL) {
        count_cleanup(ctx, c);
        return -ENOMEM;
    }
    c->keyf = GALE_FIELD_INIT(c->key);
    c->counts = gale_ctx_keyed_state(ctx, "counts");
    gale_ctx_accept_weights(ctx);   /* a combined tuple adds its weight */
    *self = c;
    return 0;
}

/* The state key of a datum: a string's or bytes' own bytes (so the state
 * reads naturally); any other type is a zero byte, its type, then its
 * value (little-endian for numbers, the wire encoding for lists/maps). */
static int
state_key(count_t *c, const gale_datum_t *d, const void **k, size_t *klen)
{
    size_t n = 2, i;
    unsigned char *nb;
    uint64_t v = 0;

    if (d->type == GALE_STRING || d->type == GALE_BYTES) {
        *k = d->u.s.ptr;
        *klen = d->u.s.len;
        return 0;
    }
    if (d->type == GALE_LIST || d->type == GALE_MAP)
        n += d->u.s.len;
    else
        n += 8;
    if (n > c->kcap) {
        if ((nb = realloc(c->kbuf, n)) == NULL)
            return -ENOMEM;
        c->kbuf = nb;
        c->kcap = n;
    }
    c->kbuf[0] = 0;
    c->kbuf[1] = (unsigned char)d->type;
    if (d->type == GALE_LIST || d->type == GALE_MAP) {
        memcpy(c->kbuf + 2, d->u.s.ptr, d->u.s.len);
    } else {
        if (d->type == GALE_BOOL)
            v = d->u.b;
        else if (d->type == GALE_INT)
            v = (uint64_t)d->u.i;
        else if (d->type == GALE_DOUBLE)
            memcpy(&v, &d->u.d, 8);
        for (i = 0; i < 8; i++)
            c->kbuf[2 + i] = (unsigned char)(v >> (8 * i));
    }
    *k = c->kbuf;
    *klen = n;
    return 0;
}

/* -ENOENT (reported) when the tuple lacks the key field. */
static int
count_execute(gale_ctx_t *ctx, void *self, const gale_tuple_t *t)
{
    count_t *c = self;
    gale_datum_t out[2];
    const void *k;
    size_t klen;
    int64_t n;
    int rc;

    if (gale_tuple_field(t, &c->keyf, &out[0]) != 0) {
        gale_ctx_report_error(ctx, "count: tuple from %s has no field %s",
            gale_tuple_component(t), c->key);
        return -ENOENT;
    }
    if ((rc = state_key(c, &out[0], &k, &klen)) != 0 ||
        (rc = gale_kv_add_i64(c->counts, k, klen,
        (int64_t)gale_tuple_weight(t), &n)) != 0)
        return rc;
    /* Field by field: out[1] = gale_d_int(n) compiled to two narrow
     * stores and a 16-byte reload of them (a failed store-to-load
     * forward on every tuple: 65% of count_execute's samples). */
    out[1].type = GALE_INT;
    out[1].u.i = n;
    return gale_emit(ctx, GALE_STREAM_DEFAULT, out, 2);
}

static const gale_param_spec_t count_params[] = {
    { "key", GALE_STRING, true, "the field to count by" },
    { NULL, GALE_NULL, false, NULL }
};

static const gale_bolt_ops_t count_ops = {
    .prepare = count_prepare,
    .execute = count_execute,
    .cleanup = count_cleanup,
};

const gale_component_def_t gale_builtin_count = {
    .type = "count",
    .kind = GALE_BOLT,
    .summary = "running count per key in keyed state; emits [key, count]",
    .params = count_params,
    .bolt = &count_ops,
};
