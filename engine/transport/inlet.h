/* inlet.h - the receiving ends of one executor's input channels.
 *
 * One queue per channel (inside a process: one ZeroMQ inproc socket per
 * channel), each of which can be blocked on its own: a blocked channel is
 * not read, so its sender stalls once queue_depth frames are queued, while
 * the other channels keep flowing. Checkpoint alignment depends on this.
 * Frames of another attempt epoch are dropped; a sequence gap or a
 * malformed frame is an error (-EPROTO). Owned by one executor thread.
 */
#ifndef GALE_INLET_H
#define GALE_INLET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zmq.h>

#include "engine/wire/frame.h"

typedef struct gale_inlet gale_inlet_t;

/* NULL on failure with *cause. */
gale_inlet_t *gale_inlet_new(void *zctx, const char *prefix, uint32_t epoch,
    int queue_depth, char **cause);
void gale_inlet_destroy(gale_inlet_t **ip);
/* Has every channel store its frames and tuples received in cs (the
 * process's chanstat.h table; borrowed, outliving the inlet), or not
 * (NULL). */
struct gale_chanstat;
void gale_inlet_set_chanstat(gale_inlet_t *in, struct gale_chanstat *cs);
/* Binds the receiving end of channel id; returns its index, or -errno. */
int gale_inlet_add(gale_inlet_t *in, int channel_id);
size_t gale_inlet_count(const gale_inlet_t *in);
int gale_inlet_channel_id(const gale_inlet_t *in, int idx);
/* Blocks or unblocks channel idx. */
void gale_inlet_block(gale_inlet_t *in, int idx, bool blocked);
bool gale_inlet_blocked(const gale_inlet_t *in, int idx);
/* Marks channel idx as ended (it delivered END): it is no longer polled. */
void gale_inlet_set_ended(gale_inlet_t *in, int idx);
bool gale_inlet_ended(const gale_inlet_t *in, int idx);
/* Number of channels neither ended nor blocked. */
size_t gale_inlet_open(const gale_inlet_t *in);

/* Waits up to timeout_ms (-1 forever) for a frame on an open, unblocked
 * channel or for extra (a socket, or NULL) to be readable. Returns the
 * index of a ready channel (round-robin among the ready ones, so that no
 * channel starves), GALE_INLET_EXTRA when only extra is ready, -EAGAIN on
 * timeout, or -errno. */
#define GALE_INLET_EXTRA (-1000)
int gale_inlet_poll(gale_inlet_t *in, void *extra, long timeout_ms);
/* Receives one frame from channel idx without waiting into msg (which the
 * caller initialised and closes) and parses its header into *h. 0;
 * -EAGAIN if no frame; 1 if a stale-epoch frame was dropped; -EPROTO
 * (with *cause) for a malformed header or a sequence gap. A DATA frame's
 * records are validated by the reader that decodes them (record.h). */
int gale_inlet_recv(gale_inlet_t *in, int idx, zmq_msg_t *msg,
    gale_frame_hdr_t *h, char **cause);

#endif
