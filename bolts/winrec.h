/* winrec.h - the windows of one key: what the "window" bolt keeps per key
 * in keyed state, and the rules by which tuples enter windows and windows
 * fire (docs/windows.md).
 *
 * A window spec says how tuples are grouped: by event time (tumbling,
 * sliding, session) or by count (tumbling, sliding: the key's last
 * `length` tuples every `slide` tuples), and what is computed per window
 * (count, sum, min, max, avg, distinct count, top-N values, all values).
 * A record
 * holds one key's open windows with their running aggregates (count
 * windows: the key's last tuples' values) and the time of its next timer;
 * it is encoded into bytes for keyed state and decoded back.
 *
 * Time windows are [start, end) in event-time milliseconds; one fires
 * when the watermark reaches end - 1 (a session: end, since a tuple at
 * end would still extend it) and is dropped when it reaches that time +
 * lateness; a tuple for a window that fired but is still kept
 * updates it and fires it again. A tuple whose windows were all dropped
 * is late. Pure functions over memory; a record belongs to its caller.
 */
#ifndef GALE_BOLTS_WINREC_H
#define GALE_BOLTS_WINREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gale/value.h>

enum win_kind {
    WIN_TUMBLING = 1,           /* time: length */
    WIN_SLIDING = 2,            /* time: length, slide */
    WIN_SESSION = 3,            /* time: gap */
    WIN_COUNT_TUMBLING = 4,     /* count: length */
    WIN_COUNT_SLIDING = 5       /* count: length, slide */
};

enum win_agg {
    AGG_COUNT = 1, AGG_SUM, AGG_MIN, AGG_MAX, AGG_AVG, AGG_DISTINCT, AGG_TOP,
    AGG_COLLECT                 /* the window's values, a sorted multiset */
};

typedef struct win_spec {
    enum win_kind kind;
    enum win_agg agg;
    int64_t length;             /* ms, or tuples for count windows */
    int64_t slide;              /* ms, or tuples; = length when tumbling */
    int64_t gap;                /* sessions: ms */
    int64_t lateness;           /* allowed lateness, ms */
    int top_n;                  /* AGG_TOP: how many values */
} win_spec_t;

/* A value seen in a window (distinct, top) or a count window's tuple:
 * an int, a double or a string/bytes, with how often it was seen. */
typedef struct win_item {
    gale_type_t type;           /* GALE_INT, GALE_DOUBLE, GALE_STRING, GALE_BYTES */
    int64_t i;                  /* GALE_INT */
    double d;                   /* GALE_DOUBLE */
    char *s;                    /* owned: STRING/BYTES */
    size_t len;
    int64_t count;
} win_item_t;

/* The running aggregate of one window. */
typedef struct win_acc {
    int64_t count;              /* tuples */
    int64_t nvals;              /* numeric values seen */
    bool all_int;               /* every numeric value was an int */
    int64_t sum_i;              /* ints summed (wrapping) */
    double sum_d;               /* doubles summed */
    int64_t min_i, max_i;       /* when all_int */
    double min_d, max_d;        /* of all values */
    win_item_t *items;          /* distinct, top: values seen, sorted */
    size_t nitems, itemcap;
} win_acc_t;

typedef struct win_window {
    int64_t start, end;         /* [start, end); count windows: ordinals */
    bool fired;                 /* fired at least once */
    win_acc_t acc;
} win_window_t;

typedef struct win_rec {
    int64_t timer;              /* the timer registered for it; INT64_MAX = none */
    win_window_t *wins;         /* time windows, by start */
    size_t nwins;
    int64_t seen;               /* count windows: tuples seen */
    win_item_t *ring;           /* count windows: the last `length` values */
    size_t nring;               /* values in the ring, <= length */
} win_rec_t;

/* A window's result, handed to the fire callback: the window and its
 * value (an int or a double; NULL for count windows of no value), or, for
 * AGG_TOP, the top values in rank order (top, ntop), or, for AGG_COLLECT,
 * every value of the window in value order, each item with how many
 * times it came (top, ntop). */
typedef struct win_result {
    int64_t start, end;
    gale_datum_t value;         /* GALE_NULL when there is none (an empty
                                   sum/min/max/avg: no numeric value) */
    const win_item_t *top;      /* AGG_TOP */
    size_t ntop;
} win_result_t;

typedef int (*win_fire_fn)(void *arg, const win_result_t *r);

/* Checks a spec: 0, or -EINVAL with *why (static text) saying what is
 * wrong. */
int win_spec_check(const win_spec_t *s, const char **why);
/* Whether s groups by event time (else by count). */
bool win_spec_timed(const win_spec_t *s);

void win_rec_init(win_rec_t *r);
void win_rec_clear(win_rec_t *r);
/* Whether r holds nothing (its state entry can go). */
bool win_rec_empty(const win_rec_t *r);

/* Decodes len bytes of keyed state into r (initialised by the call). 0,
 * or -EINVAL for bytes that are not a record. */
int win_rec_decode(win_rec_t *r, const void *data, size_t len);
/* Encodes r into *out (malloc()ed; caller frees) and *len. 0 or -ENOMEM. */
int win_rec_encode(const win_rec_t *r, void **out, size_t *len);

/* Adds a tuple with event time ts (ignored by count windows) and value v
 * (NULL: none; the count aggregate needs none) at watermark wm. Windows
 * that must fire now (count windows that filled, fired time windows a
 * late tuple updated) go to fire. Returns 0, 1 when the tuple is late
 * (every window it belongs to was dropped: r is unchanged), -EINVAL for a
 * value the aggregate cannot take (*why says so), or fire's non-zero
 * return. */
int win_rec_add(win_rec_t *r, const win_spec_t *s, int64_t ts,
    const gale_datum_t *v, int64_t wm, win_fire_fn fire, void *arg,
    const char **why);
/* Event time reached wm: fires the windows whose end - 1 <= wm that have
 * not fired, drops those whose end - 1 + lateness <= wm. 0 or fire's
 * non-zero return. */
int win_rec_advance(win_rec_t *r, const win_spec_t *s, int64_t wm,
    win_fire_fn fire, void *arg);
/* When r's next timer must go off: the earliest time a window that has
 * not fired is due, or due + lateness for one that has; INT64_MAX when
 * none (count windows never need one). */
int64_t win_rec_next_timer(const win_rec_t *r, const win_spec_t *s);

#endif
