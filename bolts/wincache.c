/* wincache.c - the window bolt's write-back cache (wincache.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bolts/wincache.h"
#include "common/fnv.h"

typedef struct centry {
    struct centry *next;        /* in its bucket */
    uint64_t h;
    int kg;
    bool dirty;
    win_rec_t rec;
    size_t klen;
    unsigned char key[];        /* the state key */
} centry_t;

struct wincache {
    gale_kv_t *state;
    bool keyed;
    size_t max, n;
    centry_t **b;               /* buckets, a power of two of them */
    size_t nb;
};

wincache_t *
wincache_new(gale_kv_t *state, bool keyed, size_t max)
{
    wincache_t *c = calloc(1, sizeof *c);

    if (c == NULL)
        return NULL;
    c->state = state;
    c->keyed = keyed;
    c->max = max ? max : 1;
    for (c->nb = 64; c->nb < c->max; c->nb *= 2)
        ;
    if ((c->b = calloc(c->nb, sizeof *c->b)) == NULL) {
        free(c);
        return NULL;
    }
    return c;
}

static void
free_entry(centry_t *e)
{
    win_rec_clear(&e->rec);
    free(e);
}

void
wincache_destroy(wincache_t *c)
{
    centry_t *e, *n;
    size_t i;

    if (c == NULL)
        return;
    for (i = 0; i < c->nb; i++)
        for (e = c->b[i]; e != NULL; e = n) {
            n = e->next;
            free_entry(e);
        }
    free(c->b);
    free(c);
}

size_t
wincache_size(const wincache_t *c)
{
    return c->n;
}

/* Writes e back under its key group. 0 or -errno. */
static int
write_back(wincache_t *c, gale_ctx_t *ctx, centry_t *e)
{
    void *enc;
    size_t len;
    int rc;

    if (c->keyed && (rc = gale_ctx_scope_key_group(ctx, e->kg)) != 0)
        return rc;
    if (win_rec_empty(&e->rec))
        rc = gale_kv_delete(c->state, e->key, e->klen);
    else if ((rc = win_rec_encode(&e->rec, &enc, &len)) == 0) {
        rc = gale_kv_put(c->state, e->key, e->klen, enc, len);
        free(enc);
    }
    if (rc == 0)
        e->dirty = false;
    return rc;
}

int
wincache_flush(wincache_t *c, gale_ctx_t *ctx)
{
    centry_t **pp, *e;
    size_t i;
    int rc = 0;

    for (i = 0; i < c->nb && rc == 0; i++)
        for (pp = &c->b[i]; (e = *pp) != NULL && rc == 0; ) {
            if (e->dirty)
                rc = write_back(c, ctx, e);
            if (rc == 0 && win_rec_empty(&e->rec)) {
                *pp = e->next;
                free_entry(e);
                c->n--;
            } else {
                pp = &e->next;
            }
        }
    if (c->keyed)
        gale_ctx_scope_key_group(ctx, -1);
    return rc;
}

/* Writes everything changed back and empties the cache. 0 or -errno. */
static int
drain(wincache_t *c, gale_ctx_t *ctx)
{
    centry_t *e, *n;
    size_t i;
    int rc = 0;

    for (i = 0; i < c->nb; i++) {
        for (e = c->b[i]; e != NULL; e = n) {
            n = e->next;
            if (rc == 0 && e->dirty)
                rc = write_back(c, ctx, e);
            free_entry(e);
        }
        c->b[i] = NULL;
    }
    c->n = 0;
    return rc;
}

win_rec_t *
wincache_get(wincache_t *c, gale_ctx_t *ctx, int kg, const void *key,
    size_t klen, int *rc)
{
    uint64_t h = gale_fnv(GALE_FNV_BASIS, key, klen);
    centry_t *e;
    const void *v;
    size_t vlen;

    for (e = c->b[h & (c->nb - 1)]; e != NULL; e = e->next)
        if (e->h == h && e->klen == klen && memcmp(e->key, key, klen) == 0) {
            e->dirty = true;
            return &e->rec;
        }
    if (c->n >= c->max) {
        if ((*rc = drain(c, ctx)) != 0)
            return NULL;
        if (c->keyed && (*rc = gale_ctx_scope_key_group(ctx, kg)) != 0)
            return NULL;
    }
    if ((e = malloc(sizeof *e + (klen ? klen : 1))) == NULL) {
        *rc = -ENOMEM;
        return NULL;
    }
    memcpy(e->key, key, klen);
    e->klen = klen;
    e->h = h;
    e->kg = kg;
    e->dirty = true;
    if (gale_kv_get(c->state, key, klen, &v, &vlen) != 0)
        win_rec_init(&e->rec);
    else if (win_rec_decode(&e->rec, v, vlen) != 0) {
        gale_ctx_report_error(ctx, "window: a corrupt entry in state "
            "\"windows\" (%zu bytes)", vlen);
        free(e);
        *rc = -EIO;
        return NULL;
    }
    e->next = c->b[h & (c->nb - 1)];
    c->b[h & (c->nb - 1)] = e;
    c->n++;
    return &e->rec;
}
