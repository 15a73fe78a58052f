/* bridge.h - channels between worker processes, with per-channel credits.
 *
 * One bridge thread per worker process carries every channel whose two
 * ends are in different workers. Executors do not know: inside the
 * process each channel is still an inproc PAIR pair at
 * `<inproc_prefix><id>`. For a channel whose sender is local the bridge
 * binds that endpoint (it plays the receiver), reads frames and forwards
 * them to the receiving worker; for a channel whose receiver is local it
 * connects to it (it plays the sender) and writes the frames that arrive.
 *
 * Between two workers there is one ZeroMQ DEALER-DEALER connection per
 * direction: the receiving worker binds, the sending worker connects. Data
 * frames travel forward, CREDIT and END_ACK frames travel back on the same
 * connection. The receiving bridge grants each channel queue_depth
 * credits, always drains its connections, and returns a credit once it
 * has written a frame into the local inproc socket; the sending bridge
 * reads a channel's inproc socket only while it holds credit for it. So a
 * receiver that blocks one channel (alignment) stops that channel only.
 * Frames are forwarded as they are (never re-encoded); the channel id in
 * their header demultiplexes them. Protocol: docs/transport.md.
 *
 * The bridge object is owned by the thread that started it (the worker's
 * main thread); the bridge's own sockets live on the bridge thread. They
 * talk over an inproc PAIR pipe: STOP one way, events the other.
 */
#ifndef GALE_BRIDGE_H
#define GALE_BRIDGE_H

#include <stddef.h>
#include <stdint.h>

typedef struct gale_bridge gale_bridge_t;

typedef struct gale_bridge_cfg {
    void *zctx;                 /* ZeroMQ context (borrowed; outlives the bridge) */
    const char *inproc_prefix;  /* executors' channel prefix, "inproc://.../ch/" */
    /* Endpoint template between workers, NULL for the default
     * "ipc://@gale-%r-w%f-w%t". %r = run_id, %f = sending worker, %t =
     * receiving worker, %p = base_port + f * nworkers + t, %h = the
     * receiving worker's host (hosts[t]), %% = '%'. The
     * receiving worker binds it and the sending worker connects to it. */
    const char *endpoint_fmt;
    /* Template the receiving worker binds instead, or NULL for the same
     * as endpoint_fmt (e.g. "tcp://0.0.0.0:%p" with "tcp://host:%p"). */
    const char *bind_fmt;
    int base_port;              /* for %p */
    /* Per worker (nworkers entries, borrowed, outliving the bridge), or
     * NULL: its host's address (for %h) and, for CURVE between hosts,
     * the key pair name its host's sockets present (engine/cluster/
     * netsec.h: the bridge binds and connects through it). */
    const char *const *hosts;
    const char *const *host_keys;
    const char *run_id;         /* for %r: unique per run and attempt */
    uint32_t epoch;             /* stamped on CREDIT/END_ACK; other epochs dropped */
    int worker;                 /* this worker, 0 .. nworkers-1 */
    int nworkers;               /* number of workers */
    int queue_depth;            /* credits per channel, >= 1 */
    const int *out_chans;       /* channels whose sender is local */
    const int *out_peer;        /* ... and the worker that receives each */
    size_t nout;
    const int *in_chans;        /* channels whose receiver is local */
    const int *in_peer;         /* ... and the worker that sends each */
    size_t nin;
    /* The process's channel counts (chanstat.h; borrowed, outliving the
     * bridge), or NULL: the bridge is the receiving end of out_chans'
     * local legs (frames it read from the local sender) and the sending
     * end of in_chans' (frames that arrived for the local receiver), so
     * that executors count bridged channels as local ones. */
    struct gale_chanstat *chanstat;
} gale_bridge_cfg_t;

/* Events the bridge reports to its owner. */
enum gale_bridge_event {
    GALE_BRIDGE_DRAINED = 1,    /* every channel's END delivered and acknowledged */
    GALE_BRIDGE_FAILED = 2      /* the bridge stopped on an error (cause given) */
};

/* Counters, returned by gale_bridge_stop. */
typedef struct gale_bridge_stats {
    uint64_t frames_out;        /* frames forwarded to other workers */
    uint64_t frames_in;         /* frames written into local channels */
    uint64_t bytes_out;         /* bytes of frames forwarded */
    uint64_t bytes_in;          /* bytes of frames written locally */
    uint64_t credits_sent;      /* credits returned to senders */
    uint64_t stale;             /* frames of another epoch, dropped */
} gale_bridge_stats_t;

/* Checks cfg, starts the bridge thread and waits until it has bound and
 * connected every socket (binding an endpoint that is in use fails here).
 * cfg and the arrays it points to are copied. Returns NULL on failure
 * with *cause (caller frees) if cause is not NULL. */
gale_bridge_t *gale_bridge_start(const gale_bridge_cfg_t *cfg, char **cause);
/* Tells the bridge thread to stop, joins it, closes its sockets without
 * linger and frees the bridge; sets *bp to NULL. Call it only after the
 * bridge reported DRAINED (or to abandon the attempt): frames still in
 * flight are dropped. Fills *stats if not NULL. Returns 0, or the -errno
 * the bridge failed with. Accepts NULL and *NULL (returns 0). */
int gale_bridge_stop(gale_bridge_t **bp, gale_bridge_stats_t *stats);
/* The owner's end of the event pipe, to include in a zmq_poll
 * (ZMQ_POLLIN): readable when an event is waiting. Do not read it
 * directly; use gale_bridge_event. */
void *gale_bridge_socket(gale_bridge_t *b);
/* Waits up to timeout_ms (0: not at all, -1: forever) for the next event.
 * Returns GALE_BRIDGE_DRAINED; GALE_BRIDGE_FAILED with *cause (caller
 * frees; not set if cause is NULL); -EAGAIN if none came; or -errno.
 * Each event is reported once. */
int gale_bridge_event(gale_bridge_t *b, long timeout_ms, char **cause);
/* Expands an endpoint template (see gale_bridge_cfg_t) for the channel
 * direction from -> to into out (size outlen). 0, or -EINVAL for an
 * unknown %-sequence (or %h without host), -ENAMETOOLONG if it does not
 * fit. host is the receiving worker's address, or NULL. */
int gale_bridge_endpoint(const char *fmt, const char *run_id, int base_port,
    int nworkers, int from, int to, const char *host, char *out,
    size_t outlen);

#endif
