/* outlet.h - the sending ends of one executor's output channels.
 *
 * Each channel batches records until batch_size tuples or batch_bytes are
 * reached, or its flush interval passes, then sends the batch as one DATA
 * frame (zero-copy) tagged with (epoch, channel id, sequence number).
 * Control frames (END, BARRIER, WATERMARK) go in-band, after the channel's
 * pending batch, so they keep their place in the stream.
 *
 * Backpressure: a channel's transport holds at most queue_depth frames.
 * When it is full, sending waits, polling the executor's control socket
 * meanwhile so that control messages are still handled (the callback),
 * never dropped. Owned by the executor thread that created it.
 */
#ifndef GALE_OUTLET_H
#define GALE_OUTLET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gale/clock.h>   /* the now_ns arguments are on its clock */

typedef struct gale_outlet gale_outlet_t;

typedef struct gale_outlet_cfg {
    void *zctx;                 /* ZeroMQ context */
    const char *prefix;         /* endpoint prefix, e.g. "inproc://gale-1/ch/" */
    uint32_t epoch;             /* attempt epoch stamped on every frame */
    int batch_size;             /* tuples per batch */
    size_t batch_bytes;         /* bytes per batch */
    int flush_interval_ms;      /* a partial batch waits at most this */
    int queue_depth;            /* frames in flight per channel */
    void *ctl;                  /* control socket polled while blocked, or NULL */
    /* Called with the control socket readable while a send waits; a
     * non-zero return abandons the send with -ECANCELED. */
    int (*on_control)(void *arg);
    /* Called by gale_outlet_cancelled, which a component waiting inside a
     * call polls (>= every 100 ms), and every 100 ms while a send waits for
     * room: the executor's periodic work that must go on meanwhile (stats
     * reports, which keep its worker alive). May be NULL. */
    void (*on_wait)(void *arg);
    void *arg;
    /* The process's channel counts (chanstat.h), or NULL: each channel
     * stores its frames and tuples sent there after every send. */
    struct gale_chanstat *chanstat;
} gale_outlet_cfg_t;

/* NULL on failure with *cause (caller frees). cfg is copied. */
gale_outlet_t *gale_outlet_new(const gale_outlet_cfg_t *cfg, char **cause);
/* Closes the sockets and frees unsent batches. Accepts NULL. */
void gale_outlet_destroy(gale_outlet_t **op);
/* Connects the sending end of channel id; returns its index in the
 * outlet, or -errno. */
int gale_outlet_add(gale_outlet_t *o, int channel_id);
size_t gale_outlet_count(const gale_outlet_t *o);
/* Appends one encoded record to channel idx; sends the batch when full
 * (which may wait for room). 0 or -errno. */
int gale_outlet_append(gale_outlet_t *o, int idx, const void *rec, size_t len);
/* The same in two steps, so that a record is encoded straight into the
 * batch: room for len bytes in channel idx's batch (sending the batch
 * first when the record does not fit, or when it holds records of the
 * other kind: a batch is WEIGHTED, its records carrying multiplicities,
 * or not), or NULL with *rc = -errno; then, once the record is written
 * there, gale_outlet_commit counts it (and sends the batch when full).
 * Nothing else may touch channel idx in between. */
uint8_t *gale_outlet_room(gale_outlet_t *o, int idx, size_t len,
    bool weighted, int *rc);
int gale_outlet_commit(gale_outlet_t *o, int idx, size_t len);
/* Sends channel idx's partial batch now. 0 or -errno. */
int gale_outlet_flush(gale_outlet_t *o, int idx);
/* Sends every partial batch whose flush interval has passed at now_ns
 * (CLOCK_MONOTONIC). 0 or -errno. */
int gale_outlet_flush_due(gale_outlet_t *o, uint64_t now_ns);
/* Nanoseconds until the next partial batch is due, or -1 if none. */
int64_t gale_outlet_next_due(const gale_outlet_t *o, uint64_t now_ns);
/* Flushes channel idx, then sends a control frame of kind with arg. */
int gale_outlet_control(gale_outlet_t *o, int idx, int kind, uint64_t arg);
/* Tuples and frames sent so far, over all channels. */
uint64_t gale_outlet_frames(const gale_outlet_t *o);
/* The channel id of channel idx. */
int gale_outlet_channel_id(const gale_outlet_t *o, int idx);
/* Frames a channel may hold before a send waits: the credit window of an
 * in-process channel (the sender's queue_depth plus the receiver's 1). */
int gale_outlet_window(const gale_outlet_t *o);
/* Nanoseconds spent waiting for room (backpressure), over all channels. */
uint64_t gale_outlet_blocked_ns(const gale_outlet_t *o);

/* true once the control callback asked to leave (EXIT): polls the control
 * socket without waiting and runs the callback if a message is there; runs
 * on_wait first. For components that wait inside a call
 * (gale_ctx_cancelled). Sticky. */
bool gale_outlet_cancelled(gale_outlet_t *o);

#endif
