/* watermark.h - a task's event-time clock: the minimum of the watermarks
 * its input channels delivered.
 *
 * A watermark W on a channel says that no tuple with an event time <= W
 * is expected on it any more (Flink's definition; times are milliseconds,
 * int64). A task's input watermark is the minimum over its channels that
 * are neither idle nor ended: a channel that delivered END counts as
 * +infinity, and an idle one (its source said so with an IDLE watermark,
 * docs/windows.md) is left out until it delivers data or a watermark
 * again, so that a silent input cannot hold the others back forever.
 * The result never goes back: it only advances, and a floor (the value a
 * checkpoint recorded) can be set under it.
 *
 * Pure bookkeeping, no I/O; owned by the executor thread of its task.
 */
#ifndef GALE_WATERMARK_H
#define GALE_WATERMARK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* No watermark yet (below every event time). */
#define GALE_WM_NONE INT64_MIN
/* Every input ended: event time is over. */
#define GALE_WM_END INT64_MAX
/* The END frame argument of a stream stopped before its input ended. */
#define GALE_END_STOPPED 1
/* The WATERMARK frame argument that means "this channel is idle". A
 * watermark of INT64_MIN is never sent, so the value is free. */
#define GALE_WM_IDLE_ARG ((uint64_t)1 << 63)

typedef struct gale_wmark gale_wmark_t;

/* A clock over nchans input channels (0 allowed: then it stays at
 * GALE_WM_NONE until set_floor). Aborts on out-of-memory. */
gale_wmark_t *gale_wmark_new(size_t nchans);
void gale_wmark_destroy(gale_wmark_t **wp);

/* Channel ch delivered watermark w (a value older than the channel's
 * last one is ignored: a channel's watermarks only advance). The channel
 * is active again if it was idle. Returns true when the task's watermark
 * advanced (read it with gale_wmark_current). */
bool gale_wmark_update(gale_wmark_t *w, size_t ch, int64_t wm);
/* Channel ch said it is idle: left out of the minimum. true when the
 * task's watermark advanced. */
bool gale_wmark_idle(gale_wmark_t *w, size_t ch);
/* Channel ch delivered data: it counts again if it was idle. Cheap when
 * it was not. true when the task's watermark advanced (it cannot: an
 * active channel only lowers the minimum, which never goes back; kept
 * for symmetry, always false). */
bool gale_wmark_active(gale_wmark_t *w, size_t ch);
/* Channel ch ended: +infinity from now on. true when the task's
 * watermark advanced. */
bool gale_wmark_end(gale_wmark_t *w, size_t ch);
/* Channel ch ended because the topology is stopping (an END whose
 * argument is GALE_END_STOPPED: a savepoint stop, a kill), not because
 * its input was exhausted: its watermark stays where it was, so that no
 * window fires on the way down that the resumed run would fire again
 * with more tuples. true when the task's watermark advanced. */
bool gale_wmark_stop(gale_wmark_t *w, size_t ch);
/* Raises the task's watermark to at least floor (after a restore). */
void gale_wmark_set_floor(gale_wmark_t *w, int64_t floor);

/* The task's watermark: GALE_WM_NONE before any, GALE_WM_END when every
 * channel ended. */
int64_t gale_wmark_current(const gale_wmark_t *w);
/* true when every channel that has not ended is idle (and at least one
 * is): the task's outputs are idle too. */
bool gale_wmark_all_idle(const gale_wmark_t *w);

#endif
