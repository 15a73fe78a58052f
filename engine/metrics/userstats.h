/* userstats.h - the STATS report's user counters part: each task's named
 * counters (gale_ctx_count, and what a multilang child sends with Storm's
 * `metrics` command), from the executor that owns them to the master,
 * which serves them as gale_task_user_counter (docs/metrics.md).
 *
 * The part (docs/wire.md) is a version byte (1), then one entry per
 * counter: task (4 bytes, little-endian, signed), name length (1 byte,
 * 1 to GALE_USERSTATS_NAME_MAX), the name (no NUL), value (8 bytes,
 * little-endian, signed). Pure functions; any thread.
 */
#ifndef GALE_METRICS_USERSTATS_H
#define GALE_METRICS_USERSTATS_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define GALE_USERSTATS_NAME_MAX 100     /* longer names are cut */
#define GALE_USERSTATS_PER_TASK 64      /* counters sent per task */

/* Starts a part in b (emptied first). */
void gale_userstats_begin(gale_buf_t *b);
/* Appends task's counter name = value to the part. An empty name is left
 * out; a longer one than GALE_USERSTATS_NAME_MAX is cut. */
void gale_userstats_add(gale_buf_t *b, int32_t task, const char *name,
    int64_t value);
/* Reads a part, calling fn for each counter (name NUL-terminated,
 * borrowed for the call). 0, or -EMSGSIZE (empty or cut short), -EPROTO
 * (version), -EINVAL (a name empty or holding a NUL); the entries before
 * a bad one were passed to fn. */
int gale_userstats_decode(const void *buf, size_t len,
    void (*fn)(void *arg, int32_t task, const char *name, int64_t value),
    void *arg);

#endif
