/* winrec.c - the windows of one key (winrec.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bolts/winrec.h"

#define REC_TIME 1              /* encoding versions: time windows */
#define REC_COUNT 2             /* count windows */
#define MAX_WINDOWS_PER_TUPLE 100000

/* ---- specs ---- */

bool
win_spec_timed(const win_spec_t *s)
{
    return s->kind == WIN_TUMBLING || s->kind == WIN_SLIDING ||
        s->kind == WIN_SESSION;
}

int
win_spec_check(const win_spec_t *s, const char **why)
{
    switch (s->kind) {
    case WIN_TUMBLING:
    case WIN_COUNT_TUMBLING:
        if (s->length < 1) {
            *why = "the window length must be at least 1";
            return -EINVAL;
        }
        break;
    case WIN_SLIDING:
    case WIN_COUNT_SLIDING:
        if (s->length < 1 || s->slide < 1) {
            *why = "the window length and the sliding interval must be at least 1";
            return -EINVAL;
        }
        if (s->kind == WIN_SLIDING && s->length / s->slide > MAX_WINDOWS_PER_TUPLE) {
            *why = "length / sliding interval exceeds 100000 windows per tuple";
            return -EINVAL;
        }
        if (s->kind == WIN_COUNT_SLIDING && s->length > 10000000) {
            *why = "a count window holds at most 10000000 tuples";
            return -EINVAL;
        }
        break;
    case WIN_SESSION:
        if (s->gap < 1) {
            *why = "the session gap must be at least 1 ms";
            return -EINVAL;
        }
        break;
    default:
        *why = "unknown window kind";
        return -EINVAL;
    }
    if (s->lateness < 0) {
        *why = "the allowed lateness must not be negative";
        return -EINVAL;
    }
    if (s->agg < AGG_COUNT || s->agg > AGG_COLLECT) {
        *why = "unknown aggregate";
        return -EINVAL;
    }
    if (s->agg == AGG_TOP && s->top_n < 1) {
        *why = "top needs top_n >= 1";
        return -EINVAL;
    }
    return 0;
}

/* ---- items ---- */

static void
item_clear(win_item_t *it)
{
    free(it->s);
    it->s = NULL;
}

/* Orders items by type, then value. */
static int
item_cmp(const win_item_t *a, const win_item_t *b)
{
    size_t n;
    int c;

    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    switch (a->type) {
    case GALE_INT:
        return a->i < b->i ? -1 : a->i > b->i;
    case GALE_DOUBLE:
        return a->d < b->d ? -1 : a->d > b->d;
    case GALE_STRING:
    case GALE_BYTES:
        n = a->len < b->len ? a->len : b->len;
        if ((c = n ? memcmp(a->s, b->s, n) : 0) != 0)
            return c;
        return a->len < b->len ? -1 : a->len > b->len;
    default:
        return 0;
    }
}

/* A view of datum v as an item (not owned). -EINVAL for another type. */
static int
item_view(const gale_datum_t *v, win_item_t *it)
{
    memset(it, 0, sizeof *it);
    if (v == NULL) {
        it->type = GALE_NULL;
        return 0;
    }
    it->type = v->type;
    switch (v->type) {
    case GALE_INT: it->i = v->u.i; return 0;
    case GALE_DOUBLE: it->d = v->u.d; return 0;
    case GALE_STRING:
    case GALE_BYTES:
        it->s = (char *)v->u.s.ptr;
        it->len = v->u.s.len;
        return 0;
    case GALE_NULL: return 0;
    default: return -EINVAL;
    }
}

/* An owned copy of item view into *dst. -ENOMEM. */
static int
item_copy(win_item_t *dst, const win_item_t *src)
{
    *dst = *src;
    dst->s = NULL;
    if (src->type == GALE_STRING || src->type == GALE_BYTES) {
        if ((dst->s = malloc(src->len ? src->len : 1)) == NULL)
            return -ENOMEM;
        if (src->len)
            memcpy(dst->s, src->s, src->len);
    }
    return 0;
}

/* Adds n of value it to the sorted items of acc. 0 or -ENOMEM. */
static int
items_add(win_acc_t *acc, const win_item_t *it, int64_t n)
{
    size_t lo = 0, hi = acc->nitems, mid;
    win_item_t *p;
    int c;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        c = item_cmp(&acc->items[mid], it);
        if (c == 0) {
            acc->items[mid].count += n;
            return 0;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (acc->nitems == acc->itemcap) {
        size_t cap = acc->itemcap ? acc->itemcap * 2 : 4;

        if ((p = realloc(acc->items, cap * sizeof *p)) == NULL)
            return -ENOMEM;
        acc->items = p;
        acc->itemcap = cap;
    }
    memmove(&acc->items[lo + 1], &acc->items[lo],
        (acc->nitems - lo) * sizeof *acc->items);
    if (item_copy(&acc->items[lo], it) != 0) {
        memmove(&acc->items[lo], &acc->items[lo + 1],
            (acc->nitems - lo) * sizeof *acc->items);
        return -ENOMEM;
    }
    acc->items[lo].count = n;
    acc->nitems++;
    return 0;
}

/* ---- aggregates ---- */

static void
acc_init(win_acc_t *a)
{
    memset(a, 0, sizeof *a);
    a->all_int = true;
}

static void
acc_clear(win_acc_t *a)
{
    size_t i;

    for (i = 0; i < a->nitems; i++)
        item_clear(&a->items[i]);
    free(a->items);
    acc_init(a);
}

static bool
agg_numeric(enum win_agg g)
{
    return g == AGG_SUM || g == AGG_MIN || g == AGG_MAX || g == AGG_AVG;
}

/* Checks that item it suits aggregate g. 0 or -EINVAL with *why. */
static int
acc_check(enum win_agg g, const win_item_t *it, const char **why)
{
    if (agg_numeric(g) && it->type != GALE_INT && it->type != GALE_DOUBLE) {
        *why = it->type == GALE_NULL ? "has no value field" :
            "has a value that is not a number (int or double)";
        return -EINVAL;
    }
    if ((g == AGG_DISTINCT || g == AGG_TOP || g == AGG_COLLECT) &&
        it->type == GALE_NULL) {
        *why = "has no value field";
        return -EINVAL;
    }
    return 0;
}

/* Adds n tuples of value it (checked) to a. 0 or -ENOMEM. */
static int
acc_add(win_acc_t *a, enum win_agg g, const win_item_t *it, int64_t n)
{
    a->count += n;
    if (agg_numeric(g)) {
        double d = it->type == GALE_INT ? (double)it->i : it->d;

        if (a->nvals == 0 || d < a->min_d)
            a->min_d = d;
        if (a->nvals == 0 || d > a->max_d)
            a->max_d = d;
        if (it->type == GALE_INT) {
            if (a->nvals == 0 || it->i < a->min_i)
                a->min_i = it->i;
            if (a->nvals == 0 || it->i > a->max_i)
                a->max_i = it->i;
            a->sum_i = (int64_t)((uint64_t)a->sum_i + (uint64_t)it->i * (uint64_t)n);
        } else {
            a->all_int = false;
            a->sum_d += it->d * (double)n;
        }
        a->nvals += n;
        return 0;
    }
    if (g == AGG_DISTINCT || g == AGG_TOP || g == AGG_COLLECT)
        return items_add(a, it, n);
    return 0;
}

/* Merges b into a (sessions). 0 or -ENOMEM. */
static int
acc_merge(win_acc_t *a, const win_acc_t *b)
{
    size_t i;
    int rc;

    if (b->nvals > 0) {
        if (a->nvals == 0 || b->min_d < a->min_d)
            a->min_d = b->min_d;
        if (a->nvals == 0 || b->max_d > a->max_d)
            a->max_d = b->max_d;
        if (b->all_int && a->all_int) {
            if (a->nvals == 0 || b->min_i < a->min_i)
                a->min_i = b->min_i;
            if (a->nvals == 0 || b->max_i > a->max_i)
                a->max_i = b->max_i;
        }
    }
    a->all_int = a->all_int && b->all_int;
    a->count += b->count;
    a->nvals += b->nvals;
    a->sum_i = (int64_t)((uint64_t)a->sum_i + (uint64_t)b->sum_i);
    a->sum_d += b->sum_d;
    for (i = 0; i < b->nitems; i++)
        if ((rc = items_add(a, &b->items[i], b->items[i].count)) != 0)
            return rc;
    return 0;
}

/* Orders items by count (descending), then value. */
static int
top_cmp(const void *pa, const void *pb)
{
    const win_item_t *a = pa, *b = pb;

    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return item_cmp(a, b);
}

/* Calls fire with window [start, end)'s result from a. */
static int
fire_acc(const win_acc_t *a, const win_spec_t *s, int64_t start, int64_t end,
    win_fire_fn fire, void *arg)
{
    win_result_t r;
    win_item_t *top = NULL;
    int rc;

    memset(&r, 0, sizeof r);
    r.start = start;
    r.end = end;
    r.value = gale_d_null();
    switch (s->agg) {
    case AGG_COUNT: r.value = gale_d_int(a->count); break;
    case AGG_DISTINCT: r.value = gale_d_int((int64_t)a->nitems); break;
    case AGG_SUM:
        if (a->nvals > 0)
            r.value = a->all_int ? gale_d_int(a->sum_i) :
                gale_d_double(a->sum_d + (double)a->sum_i);
        break;
    case AGG_MIN:
        if (a->nvals > 0)
            r.value = a->all_int ? gale_d_int(a->min_i) : gale_d_double(a->min_d);
        break;
    case AGG_MAX:
        if (a->nvals > 0)
            r.value = a->all_int ? gale_d_int(a->max_i) : gale_d_double(a->max_d);
        break;
    case AGG_AVG:
        if (a->nvals > 0)
            r.value = gale_d_double((a->sum_d + (double)a->sum_i) / (double)a->nvals);
        break;
    case AGG_TOP:
        if (a->nitems > 0) {
            if ((top = malloc(a->nitems * sizeof *top)) == NULL)
                return -ENOMEM;
            memcpy(top, a->items, a->nitems * sizeof *top);
            qsort(top, a->nitems, sizeof *top, top_cmp);
        }
        r.top = top;
        r.ntop = a->nitems < (size_t)s->top_n ? a->nitems : (size_t)s->top_n;
        break;
    case AGG_COLLECT:
        r.top = a->items;
        r.ntop = a->nitems;
        break;
    }
    rc = fire(arg, &r);
    free(top);
    return rc;
}

/* ---- records ---- */

void
win_rec_init(win_rec_t *r)
{
    memset(r, 0, sizeof *r);
    r->timer = INT64_MAX;
}

static void
ring_clear(win_rec_t *r)
{
    size_t i;

    for (i = 0; i < r->nring; i++)
        item_clear(&r->ring[i]);
    free(r->ring);
    r->ring = NULL;
    r->nring = 0;
}

void
win_rec_clear(win_rec_t *r)
{
    size_t i;

    for (i = 0; i < r->nwins; i++)
        acc_clear(&r->wins[i].acc);
    free(r->wins);
    ring_clear(r);
    win_rec_init(r);
}

bool
win_rec_empty(const win_rec_t *r)
{
    return r->nwins == 0 && r->nring == 0 && r->seen == 0;
}

/* Drops window i of r. */
static void
drop_window(win_rec_t *r, size_t i)
{
    acc_clear(&r->wins[i].acc);
    memmove(&r->wins[i], &r->wins[i + 1], (r->nwins - i - 1) * sizeof *r->wins);
    r->nwins--;
}

/* The index of the window starting at start, created (empty, by start
 * order) if absent; -ENOMEM. */
static long
window_at(win_rec_t *r, int64_t start, int64_t end)
{
    size_t i;
    win_window_t *p;

    for (i = 0; i < r->nwins && r->wins[i].start < start; i++)
        ;
    if (i < r->nwins && r->wins[i].start == start)
        return (long)i;
    if ((p = realloc(r->wins, (r->nwins + 1) * sizeof *p)) == NULL)
        return -ENOMEM;
    r->wins = p;
    memmove(&r->wins[i + 1], &r->wins[i], (r->nwins - i) * sizeof *p);
    memset(&r->wins[i], 0, sizeof *p);
    r->wins[i].start = start;
    r->wins[i].end = end;
    acc_init(&r->wins[i].acc);
    r->nwins++;
    return (long)i;
}

/* a + b, saturating at INT64_MAX (b >= 0). */
static int64_t
sat_add(int64_t a, int64_t b)
{
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* When window [., end) is complete: at end - 1 (no tuple <= the
 * watermark can come), except a session, which a tuple at end would
 * still extend. */
static int64_t
due(int64_t end, const win_spec_t *s)
{
    return s->kind == WIN_SESSION ? end : end - 1;
}

/* Whether window [., end) is kept no longer at watermark wm. */
static bool
expired(int64_t end, const win_spec_t *s, int64_t wm)
{
    return wm != INT64_MIN && sat_add(due(end, s), s->lateness) <= wm;
}

static int64_t
floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;

    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Sliding or tumbling: adds the tuple to each of its windows not yet
 * dropped; fires those already fired again. */
static int
add_aligned(win_rec_t *r, const win_spec_t *s, int64_t ts,
    const win_item_t *it, int64_t wm, win_fire_fn fire, void *arg)
{
    int64_t slide = s->kind == WIN_TUMBLING ? s->length : s->slide;
    int64_t last = floor_div(ts, slide) * slide, start;
    bool any = false;
    long i;
    int rc;

    for (start = last; start > ts - s->length; start -= slide)
        if (!expired(start + s->length, s, wm))
            any = true;
    if (!any)
        return 1;
    for (start = last; start > ts - s->length; start -= slide) {
        if (expired(start + s->length, s, wm))
            continue;
        if ((i = window_at(r, start, start + s->length)) < 0)
            return (int)i;
        if ((rc = acc_add(&r->wins[i].acc, s->agg, it, 1)) != 0)
            return rc;
        if (r->wins[i].fired && (rc = fire_acc(&r->wins[i].acc, s,
            r->wins[i].start, r->wins[i].end, fire, arg)) != 0)
            return rc;
    }
    return 0;
}

/* Sessions: the tuple's window [ts, ts + gap) merges with every window
 * it touches. */
static int
add_session(win_rec_t *r, const win_spec_t *s, int64_t ts,
    const win_item_t *it, int64_t wm, win_fire_fn fire, void *arg)
{
    int64_t start = ts, end = sat_add(ts, s->gap);
    bool fired = false, touches = false;
    win_acc_t acc;
    size_t i;
    long k;
    int rc;

    for (i = 0; i < r->nwins; i++)
        if (r->wins[i].start <= end && r->wins[i].end >= start)
            touches = true;
    if (!touches && expired(end, s, wm))
        return 1;
    acc_init(&acc);
    if ((rc = acc_add(&acc, s->agg, it, 1)) != 0) {
        acc_clear(&acc);
        return rc;
    }
    /* Merge every window that touches the growing one, until none does. */
    for (i = 0; i < r->nwins;) {
        win_window_t *w = &r->wins[i];

        if (w->start <= end && w->end >= start) {
            if ((rc = acc_merge(&acc, &w->acc)) != 0) {
                acc_clear(&acc);
                return rc;
            }
            if (w->start < start)
                start = w->start;
            if (w->end > end)
                end = w->end;
            fired = fired || w->fired;
            drop_window(r, i);
            i = 0;
            continue;
        }
        i++;
    }
    if ((k = window_at(r, start, end)) < 0) {
        acc_clear(&acc);
        return (int)k;
    }
    r->wins[k].acc = acc;
    /* A merged session that is already due (a late tuple within the
     * lateness) fires again now; one that is not waits for its timer. */
    if (fired && due(end, s) <= wm) {
        r->wins[k].fired = true;
        return fire_acc(&r->wins[k].acc, s, start, end, fire, arg);
    }
    return 0;
}

/* Count windows: the key's last `length` values; every `slide` tuples
 * the window over them fires (Storm's count windows: the first ones hold
 * fewer than length tuples). */
static int
add_count(win_rec_t *r, const win_spec_t *s, const win_item_t *it,
    win_fire_fn fire, void *arg)
{
    int64_t slide = s->kind == WIN_COUNT_TUMBLING ? s->length : s->slide;
    win_item_t *p;
    win_acc_t acc;
    size_t i;
    int rc;

    if (r->nring == (size_t)s->length) {
        item_clear(&r->ring[0]);
        memmove(&r->ring[0], &r->ring[1], (r->nring - 1) * sizeof *r->ring);
        r->nring--;
    } else if ((p = realloc(r->ring, (r->nring + 1) * sizeof *p)) == NULL) {
        return -ENOMEM;
    } else {
        r->ring = p;
    }
    if ((rc = item_copy(&r->ring[r->nring], it)) != 0)
        return rc;
    r->ring[r->nring].count = 1;
    r->nring++;
    r->seen++;
    if (r->seen % slide != 0)
        return 0;
    acc_init(&acc);
    for (i = 0; i < r->nring; i++)
        if ((rc = acc_add(&acc, s->agg, &r->ring[i], 1)) != 0) {
            acc_clear(&acc);
            return rc;
        }
    rc = fire_acc(&acc, s, r->seen - (int64_t)r->nring, r->seen, fire, arg);
    acc_clear(&acc);
    if (s->kind == WIN_COUNT_TUMBLING)
        ring_clear(r);
    return rc;
}

int
win_rec_add(win_rec_t *r, const win_spec_t *s, int64_t ts,
    const gale_datum_t *v, int64_t wm, win_fire_fn fire, void *arg,
    const char **why)
{
    win_item_t it;

    if (item_view(v, &it) != 0) {
        *why = "has a value of a type windows do not aggregate (lists, maps, booleans)";
        return -EINVAL;
    }
    if (acc_check(s->agg, &it, why) != 0)
        return -EINVAL;
    switch (s->kind) {
    case WIN_TUMBLING:
    case WIN_SLIDING:
        return add_aligned(r, s, ts, &it, wm, fire, arg);
    case WIN_SESSION:
        return add_session(r, s, ts, &it, wm, fire, arg);
    default:
        return add_count(r, s, &it, fire, arg);
    }
}

int
win_rec_advance(win_rec_t *r, const win_spec_t *s, int64_t wm,
    win_fire_fn fire, void *arg)
{
    size_t i;
    int rc;

    if (!win_spec_timed(s))
        return 0;
    for (i = 0; i < r->nwins;) {
        win_window_t *w = &r->wins[i];

        if (!w->fired && due(w->end, s) <= wm) {
            w->fired = true;
            if ((rc = fire_acc(&w->acc, s, w->start, w->end, fire, arg)) != 0)
                return rc;
        }
        if (w->fired && expired(w->end, s, wm)) {
            drop_window(r, i);
            continue;
        }
        i++;
    }
    return 0;
}

int64_t
win_rec_next_timer(const win_rec_t *r, const win_spec_t *s)
{
    int64_t best = INT64_MAX, t;
    size_t i;

    for (i = 0; i < r->nwins; i++) {
        t = r->wins[i].fired ? sat_add(due(r->wins[i].end, s), s->lateness) :
            due(r->wins[i].end, s);
        if (t < best)
            best = t;
    }
    return best;
}

/* ---- encoding (little-endian) ---- */

typedef struct wbuf {
    unsigned char *p;
    size_t len, cap;
    bool oom;
} wbuf_t;

static void
w_bytes(wbuf_t *b, const void *src, size_t n)
{
    unsigned char *np;
    size_t cap;

    if (b->oom)
        return;
    if (b->len + n > b->cap) {
        cap = b->cap ? b->cap : 64;
        while (cap < b->len + n)
            cap *= 2;
        if ((np = realloc(b->p, cap)) == NULL) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void
w_u64(wbuf_t *b, uint64_t v)
{
    unsigned char x[8];
    int i;

    for (i = 0; i < 8; i++)
        x[i] = (unsigned char)(v >> (8 * i));
    w_bytes(b, x, 8);
}

static void
w_f64(wbuf_t *b, double d)
{
    uint64_t v;

    memcpy(&v, &d, sizeof v);
    w_u64(b, v);
}

static void
w_item(wbuf_t *b, const win_item_t *it)
{
    unsigned char t = (unsigned char)it->type;

    w_bytes(b, &t, 1);
    w_u64(b, (uint64_t)it->count);
    switch (it->type) {
    case GALE_INT: w_u64(b, (uint64_t)it->i); break;
    case GALE_DOUBLE: w_f64(b, it->d); break;
    case GALE_STRING:
    case GALE_BYTES:
        w_u64(b, it->len);
        w_bytes(b, it->s, it->len);
        break;
    default: break;
    }
}

int
win_rec_encode(const win_rec_t *r, void **out, size_t *len)
{
    wbuf_t b = { NULL, 0, 0, false };
    unsigned char v = r->ring != NULL || r->seen > 0 ? REC_COUNT : REC_TIME;
    size_t i, j;

    w_bytes(&b, &v, 1);
    if (v == REC_COUNT) {
        w_u64(&b, (uint64_t)r->seen);
        w_u64(&b, r->nring);
        for (i = 0; i < r->nring; i++)
            w_item(&b, &r->ring[i]);
    } else {
        w_u64(&b, (uint64_t)r->timer);
        w_u64(&b, r->nwins);
        for (i = 0; i < r->nwins; i++) {
            const win_window_t *w = &r->wins[i];
            const win_acc_t *a = &w->acc;
            unsigned char f = (unsigned char)(w->fired | (a->all_int << 1));

            w_u64(&b, (uint64_t)w->start);
            w_u64(&b, (uint64_t)w->end);
            w_bytes(&b, &f, 1);
            w_u64(&b, (uint64_t)a->count);
            w_u64(&b, (uint64_t)a->nvals);
            w_u64(&b, (uint64_t)a->sum_i);
            w_f64(&b, a->sum_d);
            w_u64(&b, (uint64_t)a->min_i);
            w_u64(&b, (uint64_t)a->max_i);
            w_f64(&b, a->min_d);
            w_f64(&b, a->max_d);
            w_u64(&b, a->nitems);
            for (j = 0; j < a->nitems; j++)
                w_item(&b, &a->items[j]);
        }
    }
    if (b.oom) {
        free(b.p);
        return -ENOMEM;
    }
    *out = b.p;
    *len = b.len;
    return 0;
}

typedef struct rbuf {
    const unsigned char *p;
    size_t len, off;
    bool bad;
} rbuf_t;

static uint64_t
r_u64(rbuf_t *b)
{
    uint64_t v = 0;
    int i;

    if (b->bad || b->len - b->off < 8) {
        b->bad = true;
        return 0;
    }
    for (i = 0; i < 8; i++)
        v |= (uint64_t)b->p[b->off + i] << (8 * i);
    b->off += 8;
    return v;
}

static double
r_f64(rbuf_t *b)
{
    uint64_t v = r_u64(b);
    double d;

    memcpy(&d, &v, sizeof d);
    return d;
}

/* Reads an item into *it (owned). 0 or -EINVAL/-ENOMEM. */
static int
r_item(rbuf_t *b, win_item_t *it)
{
    uint64_t n;

    memset(it, 0, sizeof *it);
    if (b->bad || b->off >= b->len)
        return -EINVAL;
    it->type = (gale_type_t)b->p[b->off++];
    it->count = (int64_t)r_u64(b);
    switch (it->type) {
    case GALE_INT: it->i = (int64_t)r_u64(b); break;
    case GALE_DOUBLE: it->d = r_f64(b); break;
    case GALE_STRING:
    case GALE_BYTES:
        n = r_u64(b);
        if (b->bad || n > b->len - b->off)
            return -EINVAL;
        if ((it->s = malloc(n ? n : 1)) == NULL)
            return -ENOMEM;
        memcpy(it->s, b->p + b->off, n);
        it->len = n;
        b->off += n;
        break;
    case GALE_NULL: break;
    default: return -EINVAL;
    }
    return b->bad ? -EINVAL : 0;
}

int
win_rec_decode(win_rec_t *r, const void *data, size_t len)
{
    rbuf_t b = { data, len, 0, false };
    uint64_t n, m, i, j;
    unsigned char v, f;
    int rc = 0;

    win_rec_init(r);
    if (len < 1)
        return -EINVAL;
    v = b.p[b.off++];
    if (v == REC_COUNT) {
        r->seen = (int64_t)r_u64(&b);
        n = r_u64(&b);
        if (b.bad || n > len)
            return -EINVAL;
        if (n > 0 && (r->ring = calloc(n, sizeof *r->ring)) == NULL)
            return -ENOMEM;
        for (i = 0; i < n && rc == 0; i++, r->nring++)
            rc = r_item(&b, &r->ring[i]);
    } else if (v == REC_TIME) {
        r->timer = (int64_t)r_u64(&b);
        n = r_u64(&b);
        if (b.bad || n > len)
            return -EINVAL;
        if (n > 0 && (r->wins = calloc(n, sizeof *r->wins)) == NULL)
            return -ENOMEM;
        for (i = 0; i < n && rc == 0 && !b.bad; i++) {
            win_window_t *w = &r->wins[i];
            win_acc_t *a = &w->acc;

            r->nwins++;
            w->start = (int64_t)r_u64(&b);
            w->end = (int64_t)r_u64(&b);
            if (b.bad || b.off >= b.len)
                return win_rec_clear(r), -EINVAL;
            f = b.p[b.off++];
            w->fired = f & 1;
            a->all_int = (f >> 1) & 1;
            a->count = (int64_t)r_u64(&b);
            a->nvals = (int64_t)r_u64(&b);
            a->sum_i = (int64_t)r_u64(&b);
            a->sum_d = r_f64(&b);
            a->min_i = (int64_t)r_u64(&b);
            a->max_i = (int64_t)r_u64(&b);
            a->min_d = r_f64(&b);
            a->max_d = r_f64(&b);
            m = r_u64(&b);
            if (b.bad || m > len)
                return win_rec_clear(r), -EINVAL;
            if (m > 0 && (a->items = calloc(m, sizeof *a->items)) == NULL)
                return win_rec_clear(r), -ENOMEM;
            a->itemcap = m;
            for (j = 0; j < m && rc == 0; j++, a->nitems++)
                rc = r_item(&b, &a->items[j]);
        }
    } else {
        return -EINVAL;
    }
    if (rc == 0 && (b.bad || b.off != b.len))
        rc = -EINVAL;
    if (rc != 0)
        win_rec_clear(r);
    return rc;
}
