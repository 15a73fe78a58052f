/* chanreport.h - the STATS report's channels part: for each channel end
 * an executor holds inside its process, what the channel holds (queue
 * depth, frames and tuples) and its credit window, from the executor to
 * the master, which serves them as gale_channel_* (docs/metrics.md).
 *
 * The part (docs/wire.md) is a version byte (2), then entries of
 * GALE_CHANREPORT_ENTRY bytes: channel (4, little-endian, signed), side
 * (1: 0 the executor receives on it, 1 it sends on it), frames (4) and
 * tuples (8) sent into the channel and not yet taken out by the
 * receiver, window (4: the frames the channel holds before its sender
 * waits), then the running totals of frames (8) and tuples (8) that
 * passed this process's other end of the leg: on the receiving side
 * those that entered it here (from a local sender, or from the network
 * through the bridge), on the sending side those that left it here (to
 * a local receiver, or into the bridge). The master subtracts the
 * receiver's from the sender's for a channel between two workers: the
 * frames between the two bridges. Version 1 (21-byte entries, no
 * totals), from an older executor, still decodes. Pure functions; any
 * thread.
 */
#ifndef GALE_METRICS_CHANREPORT_H
#define GALE_METRICS_CHANREPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define GALE_CHANREPORT_ENTRY 37      /* version 2 */
#define GALE_CHANREPORT_ENTRY_V1 21

enum gale_chan_side {
    GALE_CHAN_IN = 0,           /* the reporting executor receives */
    GALE_CHAN_OUT = 1           /* the reporting executor sends */
};

typedef struct gale_chanreport {
    int32_t channel;            /* the plan's channel id */
    uint8_t side;               /* gale_chan_side */
    uint32_t frames;            /* frames in the channel */
    uint64_t tuples;            /* tuples in those frames */
    uint32_t window;            /* frames it holds before the sender waits */
    bool has_through;           /* through_* are there (version 2) */
    uint64_t through_frames;    /* frames past this process's other end */
    uint64_t through_tuples;    /* ... and their tuples */
} gale_chanreport_t;

/* Starts a part in b (emptied first). */
void gale_chanreport_begin(gale_buf_t *b);
/* Appends one entry (version 2: with its through_* totals). */
void gale_chanreport_add(gale_buf_t *b, const gale_chanreport_t *e);
/* Reads a part of version 1 or 2, calling fn per entry. 0, or -EMSGSIZE
 * (empty, or not a whole number of entries), -EPROTO (another version),
 * -EINVAL (a side other than 0 or 1); then fn was called for no entry. */
int gale_chanreport_decode(const void *buf, size_t len,
    void (*fn)(void *arg, const gale_chanreport_t *e), void *arg);

#endif
