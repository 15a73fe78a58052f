/* watermark.c - a task's event-time clock (watermark.h). */
#include "config.h"

#include <stdlib.h>

#include "common/xalloc.h"
#include "engine/exec/watermark.h"

enum { CH_ACTIVE = 0, CH_IDLE = 1, CH_ENDED = 2 };

struct gale_wmark {
    int64_t *wm;                /* per channel: its last watermark */
    uint8_t *state;             /* per channel: CH_* */
    size_t n;
    size_t nidle;               /* channels in CH_IDLE */
    int64_t current;            /* the task's watermark, monotonic */
};

gale_wmark_t *
gale_wmark_new(size_t nchans)
{
    gale_wmark_t *w = xcalloc(1, sizeof *w);
    size_t i;

    w->n = nchans;
    w->wm = xcalloc(nchans ? nchans : 1, sizeof *w->wm);
    w->state = xcalloc(nchans ? nchans : 1, 1);
    for (i = 0; i < nchans; i++)
        w->wm[i] = GALE_WM_NONE;
    w->current = GALE_WM_NONE;
    return w;
}

void
gale_wmark_destroy(gale_wmark_t **wp)
{
    gale_wmark_t *w;

    if (wp == NULL || (w = *wp) == NULL)
        return;
    free(w->wm);
    free(w->state);
    free(w);
    *wp = NULL;
}

/* Recomputes the minimum over the counted channels; true if the task's
 * watermark advanced. Every channel idle (or none there) moves nothing. */
static bool
recompute(gale_wmark_t *w)
{
    int64_t min = GALE_WM_END;
    bool any = false;
    size_t i;

    for (i = 0; i < w->n; i++) {
        if (w->state[i] == CH_IDLE)
            continue;
        any = true;
        if (w->wm[i] < min)
            min = w->wm[i];
    }
    if (!any || min <= w->current)
        return false;
    w->current = min;
    return true;
}

bool
gale_wmark_update(gale_wmark_t *w, size_t ch, int64_t wm)
{
    if (ch >= w->n || w->state[ch] == CH_ENDED)
        return false;
    if (w->state[ch] == CH_IDLE) {
        w->state[ch] = CH_ACTIVE;
        w->nidle--;
    }
    if (wm <= w->wm[ch])
        return false;
    w->wm[ch] = wm;
    return recompute(w);
}

bool
gale_wmark_idle(gale_wmark_t *w, size_t ch)
{
    if (ch >= w->n || w->state[ch] != CH_ACTIVE)
        return false;
    w->state[ch] = CH_IDLE;
    w->nidle++;
    return recompute(w);
}

bool
gale_wmark_active(gale_wmark_t *w, size_t ch)
{
    if (w->nidle == 0 || ch >= w->n || w->state[ch] != CH_IDLE)
        return false;
    w->state[ch] = CH_ACTIVE;
    w->nidle--;
    return false;
}

bool
gale_wmark_end(gale_wmark_t *w, size_t ch)
{
    if (ch >= w->n || w->state[ch] == CH_ENDED)
        return false;
    if (w->state[ch] == CH_IDLE)
        w->nidle--;
    w->state[ch] = CH_ENDED;
    w->wm[ch] = GALE_WM_END;
    return recompute(w);
}

bool
gale_wmark_stop(gale_wmark_t *w, size_t ch)
{
    if (ch >= w->n || w->state[ch] == CH_ENDED)
        return false;
    if (w->state[ch] == CH_IDLE)
        w->nidle--;
    w->state[ch] = CH_ENDED;
    return recompute(w);
}

void
gale_wmark_set_floor(gale_wmark_t *w, int64_t floor)
{
    size_t i;

    if (floor <= w->current)
        return;
    w->current = floor;
    /* A channel below the floor would only hold nothing back: the task's
     * watermark never goes back. Raise them so that the minimum starts
     * from the floor. */
    for (i = 0; i < w->n; i++)
        if (w->state[i] != CH_ENDED && w->wm[i] < floor)
            w->wm[i] = floor;
}

int64_t
gale_wmark_current(const gale_wmark_t *w)
{
    return w->current;
}

bool
gale_wmark_all_idle(const gale_wmark_t *w)
{
    size_t i;

    if (w->nidle == 0)
        return false;
    for (i = 0; i < w->n; i++)
        if (w->state[i] == CH_ACTIVE)
            return false;
    return true;
}
