/* chanstat.h - per-channel frame and tuple counts shared by the two ends
 * of the channels inside one process, so that an executor can tell how
 * many frames and tuples wait in a channel (queue depth) and how much room
 * its sender has left (credits), in gale's own counts rather than
 * ZeroMQ's (which keeps its pipe counts private).
 *
 * One slot per channel id. Each field has one writer: the sending end
 * (an outlet, or the bridge writing what came from another process)
 * stores its running totals of frames and tuples sent, the receiving end
 * (an inlet, or the bridge reading for another process) its totals of
 * frames and tuples received. A writer stores its own total after each
 * frame (atomic stores, the frames' with release order: plain moves on
 * x86, no read-modify-write, no lock); any thread of the process may
 * read. This is the one structure executors and the bridge share instead
 * of messaging: counters for monitoring, never used for a decision on
 * the data path.
 *
 * The table is created by whoever starts the executors of a process
 * (engine/run/launch_thread.c, engine/run/worker.c) before they and the
 * bridge start, and destroyed after they are joined and it stopped.
 */
#ifndef GALE_CHANSTAT_H
#define GALE_CHANSTAT_H

#include <stddef.h>
#include <stdint.h>

typedef struct gale_chanstat gale_chanstat_t;

/* One channel's counts as read at one instant. */
typedef struct gale_chanstat_read {
    uint64_t sent_frames;       /* frames the sending end put in */
    uint64_t sent_tuples;       /* tuples of those (DATA frames' counts) */
    uint64_t recv_frames;       /* frames the receiving end took out */
    uint64_t recv_tuples;
} gale_chanstat_read_t;

/* A table for channel ids 0 .. nchans-1, all counts 0. */
gale_chanstat_t *gale_chanstat_new(size_t nchans);
/* Frees and sets *csp to NULL. Accepts NULL and *NULL. */
void gale_chanstat_destroy(gale_chanstat_t **csp);
/* The sending end of channel id now has sent frames and tuples in all.
 * Ignored for an id outside the table or a NULL table. */
void gale_chanstat_sent(gale_chanstat_t *cs, int id, uint64_t frames,
    uint64_t tuples);
/* The receiving end of channel id has taken frames and tuples in all. */
void gale_chanstat_recv(gale_chanstat_t *cs, int id, uint64_t frames,
    uint64_t tuples);
/* Reads channel id's counts. The receiving side is read first, so that
 * when the caller is the receiver (whose counts do not move meanwhile)
 * sent - received is what the channel held at the read of 'sent'. -ERANGE
 * for an id outside the table (then *r is zeroed). */
int gale_chanstat_get(const gale_chanstat_t *cs, int id,
    gale_chanstat_read_t *r);

#endif
