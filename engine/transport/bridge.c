/* bridge.c - channels between worker processes, with per-channel credits.
 *
 * The bridge thread runs one zmq_poll loop and never blocks on a send:
 * every send is ZMQ_DONTWAIT, and what does not go out now is kept (one
 * held frame per outgoing channel, at most queue_depth pending frames
 * per incoming channel, credits and END_ACKs owed as counters) and
 * retried when the socket polls writable. The protocol is described in
 * docs/transport.md, "Between processes".
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "common/xalloc.h"
#include "engine/transport/bridge.h"
#include "engine/transport/chanstat.h"
#include "engine/net/netsec.h"
#include "engine/wire/frame.h"

#define DEFAULT_ENDPOINT "ipc://@gale-%r-w%f-w%t"

/* Messages on the control pipe (first byte). */
enum {
    PIPE_STOP = 's',            /* owner -> bridge: stop now */
    PIPE_READY = 'r',           /* bridge -> owner: every socket is set up */
    PIPE_DRAINED = 'd',         /* bridge -> owner: GALE_BRIDGE_DRAINED */
    PIPE_FAILED = 'f'           /* bridge -> owner: failed; the cause follows */
};

/* A channel whose sender is local: read from inproc, forward to a peer. */
typedef struct out_ch {
    int id;                     /* channel id */
    int peer;                   /* the worker that receives it */
    void *sock;                 /* ZMQ_PAIR bound at <prefix><id>; owned */
    uint64_t credit;            /* frames we may still forward */
    zmq_msg_t held;             /* read, not yet taken by the connection */
    bool has_held;              /* held holds a frame */
    bool end_sent;              /* END forwarded: the inproc socket is not read again */
    bool acked;                 /* END_ACK arrived */
    uint64_t rseq;              /* last sequence number of the reverse frames */
    uint64_t frames;            /* frames read from the local sender */
    uint64_t tuples;            /* ... and their tuples (chanstat.h) */
} out_ch_t;

/* A channel whose receiver is local: frames from a peer, written to inproc. */
typedef struct in_ch {
    int id;                     /* channel id */
    int peer;                   /* the worker that sends it */
    void *sock;                 /* ZMQ_PAIR connected to <prefix><id>; owned */
    zmq_msg_t *pend;            /* ring of queue_depth frames awaiting room; owned */
    size_t phead;               /* index of the oldest pending frame */
    size_t plen;                /* pending frames */
    uint64_t owed;              /* credits to return to the sender */
    bool end_seen;              /* END arrived from the peer */
    bool ack_owed;              /* END written locally; END_ACK not yet sent */
    bool acked;                 /* END_ACK handed to the connection */
    uint64_t rseq;              /* last sequence number of the reverse frames */
    uint64_t frames;            /* frames that arrived for the local receiver */
    uint64_t tuples;            /* ... and their tuples (chanstat.h) */
} in_ch_t;

/* One direction of the connection with a peer worker. */
typedef struct conn {
    void *sock;                 /* ZMQ_DEALER; owned; NULL if unused */
    size_t *chans;              /* indexes of the channels it carries; owned */
    size_t nchans;              /* number of them */
} conn_t;

/* Channel id -> index, sorted by id for bsearch. */
typedef struct id_idx {
    int id;                     /* channel id */
    size_t idx;                 /* index in outs or ins */
} id_idx_t;

/* What a poll item stands for. */
typedef struct item_ref {
    int kind;                   /* REF_* */
    size_t idx;                 /* index of the channel or peer */
} item_ref_t;

enum { REF_CTL, REF_TX, REF_RX, REF_OUT, REF_IN };

/* The bridge thread's state. Built by gale_bridge_start before the
 * thread starts, then used by the bridge thread alone until it is joined. */
typedef struct brun {
    gale_bridge_cfg_t cfg;      /* copy; the arrays point into the fields below */
    char *prefix;               /* owned copy of cfg.inproc_prefix */
    char *endpoint_fmt;         /* owned copy, or the default */
    char *bind_fmt;             /* owned copy, or NULL */
    char *run_id;               /* owned copy */
    char ctl_ep[64];            /* the control pipe's endpoint */
    void *ctl;                  /* bridge's end of the control pipe; owned */
    out_ch_t *outs;             /* nout channels we send; owned */
    in_ch_t *ins;               /* nin channels we receive; owned */
    id_idx_t *out_map;          /* outs by id; owned */
    id_idx_t *in_map;           /* ins by id; owned */
    conn_t *tx;                 /* per peer: we connect, data goes out; owned */
    conn_t *rx;                 /* per peer: we bind, data comes in; owned */
    zmq_pollitem_t *items;      /* poll scratch; owned */
    item_ref_t *refs;           /* what each poll item is; owned */
    bool drained_told;          /* DRAINED was reported */
    int err;                    /* 0, or the -errno the bridge failed with */
    gale_bridge_stats_t stats;  /* counters */
} brun_t;

struct gale_bridge {
    pthread_t thread;           /* the bridge thread */
    bool started;               /* thread was created */
    void *ctl;                  /* owner's end of the control pipe; owned */
    brun_t *run;                /* the thread's state; owned; read after join */
};

/* Reads little-endian integers. */
static uint32_t
rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
        (uint32_t)p[3] << 24;
}

static uint64_t
rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* Reads a frame's header without looking at its body: the bridge only
 * needs the kind, epoch and channel (the receiving inlet validates the
 * rest). 0, or -EPROTO if the message is too short or not our version. */
static int
peek_hdr(zmq_msg_t *m, gale_frame_hdr_t *h)
{
    const uint8_t *p = zmq_msg_data(m);

    if (zmq_msg_size(m) < GALE_FRAME_HDR_SIZE || p[0] != GALE_WIRE_VERSION)
        return -EPROTO;
    h->version = p[0];
    h->kind = p[1];
    h->flags = (uint16_t)(p[2] | p[3] << 8);
    h->epoch = rd32(p + 4);
    h->channel = rd32(p + 8);
    h->count = rd32(p + 12);
    h->seq = rd64(p + 16);
    h->arg = rd64(p + 24);
    return 0;
}

static int
cmp_id(const void *a, const void *b)
{
    const id_idx_t *x = a, *y = b;

    return (x->id > y->id) - (x->id < y->id);
}

/* The index of channel id in map, or -1. */
static long
find_id(const id_idx_t *map, size_t n, int id)
{
    id_idx_t key = { .id = id }, *hit;

    hit = bsearch(&key, map, n, sizeof *map, cmp_id);
    return hit == NULL ? -1 : (long)hit->idx;
}

int
gale_bridge_endpoint(const char *fmt, const char *run_id, int base_port,
    int nworkers, int from, int to, const char *host, char *out,
    size_t outlen)
{
    size_t len = 0;
    const char *p;
    char num[32];
    const char *add;
    size_t n;

    for (p = fmt; *p != '\0'; p++) {
        add = num;
        if (*p != '%') {
            num[0] = *p;
            num[1] = '\0';
        } else {
            switch (*++p) {
            case 'r':
                add = run_id;
                break;
            case 'h':
                if (host == NULL)
                    return -EINVAL;
                add = host;
                break;
            case 'f':
                snprintf(num, sizeof num, "%d", from);
                break;
            case 't':
                snprintf(num, sizeof num, "%d", to);
                break;
            case 'p':
                snprintf(num, sizeof num, "%ld",
                    (long)base_port + (long)from * nworkers + to);
                break;
            case '%':
                strcpy(num, "%");
                break;
            default:
                return -EINVAL;
            }
        }
        n = strlen(add);
        if (len + n + 1 > outlen)
            return -ENAMETOOLONG;
        memcpy(out + len, add, n);
        len += n;
    }
    if (outlen == 0)
        return -ENAMETOOLONG;
    out[len] = '\0';
    return 0;
}

/* Sends a small message on the control pipe: a type byte, then text. */
static void
pipe_send(void *sock, int type, const char *text)
{
    size_t n = text != NULL ? strlen(text) : 0;
    char *buf = xmalloc(n + 1);

    buf[0] = (char)type;
    if (n > 0)
        memcpy(buf + 1, text, n);
    zmq_send(sock, buf, n + 1, 0);
    free(buf);
}

/* Sets the options every bridge socket shares: no linger (END_ACK, not
 * linger, decides when a channel may close) and the given HWMs. */
static void
sock_opts(void *s, int sndhwm, int rcvhwm)
{
    int zero = 0;

    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_SNDHWM, &sndhwm, sizeof sndhwm);
    zmq_setsockopt(s, ZMQ_RCVHWM, &rcvhwm, sizeof rcvhwm);
}

/* Creates one socket and binds or connects it to ep (through netsec: a
 * CURVE server, or a client of peer's key, between hosts). The socket, or
 * NULL with *cause set (caller frees). */
static void *
open_sock(brun_t *r, int type, bool bind, const char *ep, const char *peer,
    int sndhwm, int rcvhwm, char **cause)
{
    void *s;

    if ((s = zmq_socket(r->cfg.zctx, type)) == NULL) {
        xasprintf(cause, "bridge: socket: %s", zmq_strerror(errno));
        return NULL;
    }
    sock_opts(s, sndhwm, rcvhwm);
    if ((bind ? gale_netsec_bind(r->cfg.zctx, s, ep) :
        gale_netsec_connect(s, ep, peer)) != 0) {
        xasprintf(cause, "bridge: %s %s: %s", bind ? "bind" : "connect", ep,
            zmq_strerror(errno));
        zmq_close(s);
        return NULL;
    }
    return s;
}

/* Opens every socket of the bridge (on the bridge thread, which owns
 * them). 0, or -errno with *cause (caller frees). */
static int
setup(brun_t *r, char **cause)
{
    const gale_bridge_cfg_t *c = &r->cfg;
    char ep[512];
    size_t i;
    int p, rc;

    for (i = 0; i < c->nout; i++) {
        snprintf(ep, sizeof ep, "%s%d", r->prefix, r->outs[i].id);
        /* The local sender's SNDHWM (queue_depth) plus this 1 bound the
         * inproc leg, exactly as when the receiver is local. */
        if ((r->outs[i].sock = open_sock(r, ZMQ_PAIR, true, ep, NULL, 1, 1,
            cause)) == NULL)
            return -EADDRINUSE;
    }
    for (i = 0; i < c->nin; i++) {
        snprintf(ep, sizeof ep, "%s%d", r->prefix, r->ins[i].id);
        if ((r->ins[i].sock = open_sock(r, ZMQ_PAIR, false, ep, NULL, 1, 1,
            cause)) == NULL)
            return -ECONNREFUSED;
    }
    for (p = 0; p < c->nworkers; p++) {
        /* Credits bound what the connections hold, so their HWMs are off:
         * a DONTWAIT send to a connected peer then never fails. */
        if (r->rx[p].nchans > 0) {
            rc = gale_bridge_endpoint(r->bind_fmt != NULL ? r->bind_fmt :
                r->endpoint_fmt, r->run_id, c->base_port, c->nworkers, p,
                c->worker, c->hosts != NULL ? c->hosts[c->worker] : NULL, ep,
                sizeof ep);
            if (rc != 0)
                goto bad_template;
            if ((r->rx[p].sock = open_sock(r, ZMQ_DEALER, true, ep, NULL,
                0, 0, cause)) == NULL)
                return -EADDRINUSE;
        }
        if (r->tx[p].nchans > 0) {
            rc = gale_bridge_endpoint(r->endpoint_fmt, r->run_id,
                c->base_port, c->nworkers, c->worker, p, c->hosts != NULL ?
                c->hosts[p] : NULL, ep, sizeof ep);
            if (rc != 0)
                goto bad_template;
            if ((r->tx[p].sock = open_sock(r, ZMQ_DEALER, false, ep,
                c->host_keys != NULL ? c->host_keys[p] : NULL, 0, 0,
                cause)) == NULL)
                return -ECONNREFUSED;
        }
    }
    return 0;
bad_template:
    xasprintf(cause, "bridge: bad endpoint template \"%s\": %s",
        r->bind_fmt != NULL ? r->bind_fmt : r->endpoint_fmt, strerror(-rc));
    return rc;
}

/* Sends a reverse control frame (CREDIT or END_ACK) for channel ch on
 * conn without waiting. 0, -EAGAIN if the connection cannot take it now,
 * or -errno. */
static int
send_reverse(brun_t *r, void *sock, in_ch_t *ch, int kind, uint64_t arg)
{
    gale_frame_hdr_t h;
    uint8_t buf[GALE_FRAME_HDR_SIZE];

    memset(&h, 0, sizeof h);
    h.version = GALE_WIRE_VERSION;
    h.kind = (uint8_t)kind;
    h.epoch = r->cfg.epoch;
    h.channel = (uint32_t)ch->id;
    h.seq = ch->rseq + 1;
    h.arg = arg;
    gale_frame_hdr_write(&h, buf);
    if (zmq_send(sock, buf, sizeof buf, ZMQ_DONTWAIT) < 0)
        return errno == EINTR ? -EAGAIN : -errno;
    ch->rseq++;
    return 0;
}

/* Sends the credits and END_ACKs owed on rx connection p, as far as it
 * takes them; the rest stays owed. 0 or -errno. */
static int
flush_owed(brun_t *r, int p)
{
    conn_t *cn = &r->rx[p];
    in_ch_t *ch;
    size_t k;
    int rc;

    for (k = 0; k < cn->nchans; k++) {
        ch = &r->ins[cn->chans[k]];
        if (ch->owed > 0) {
            if ((rc = send_reverse(r, cn->sock, ch, GALE_FRAME_CREDIT,
                ch->owed)) != 0)
                return rc == -EAGAIN ? 0 : rc;
            r->stats.credits_sent += ch->owed;
            ch->owed = 0;
        }
        if (ch->ack_owed) {
            if ((rc = send_reverse(r, cn->sock, ch, GALE_FRAME_END_ACK,
                0)) != 0)
                return rc == -EAGAIN ? 0 : rc;
            ch->ack_owed = false;
            ch->acked = true;
        }
    }
    return 0;
}

/* Accounts for a frame of kind that was just written into ch's local
 * socket: a credit goes back for data, an END_ACK for END. */
static void
delivered(brun_t *r, in_ch_t *ch, int kind, size_t len)
{
    r->stats.frames_in++;
    r->stats.bytes_in += len;
    if (kind == GALE_FRAME_END)
        ch->ack_owed = true;
    else
        ch->owed++;
}

/* Writes ch's pending frames into its local socket, oldest first, until
 * it is full. 0 or -errno. */
static int
flush_pending(brun_t *r, in_ch_t *ch)
{
    size_t depth = (size_t)r->cfg.queue_depth, len;
    zmq_msg_t *m;
    int kind;

    while (ch->plen > 0) {
        m = &ch->pend[ch->phead];
        kind = ((const uint8_t *)zmq_msg_data(m))[1];
        len = zmq_msg_size(m);
        if (zmq_msg_send(m, ch->sock, ZMQ_DONTWAIT) < 0)
            return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        /* A sent message is left empty: the slot can be reused as is. */
        ch->phead = (ch->phead + 1) % depth;
        ch->plen--;
        delivered(r, ch, kind, len);
    }
    return 0;
}

/* Reads every frame waiting on rx connection p (we always drain it, so
 * that a blocked channel never holds up the others) and writes each into
 * its channel's local socket, or queues it there. 0, or -errno with
 * *cause. */
static int
drain_rx(brun_t *r, int p, char **cause)
{
    size_t depth = (size_t)r->cfg.queue_depth;
    gale_frame_hdr_t h;
    zmq_msg_t msg;
    in_ch_t *ch;
    long idx;
    int rc = 0;

    zmq_msg_init(&msg);
    for (;;) {
        if (zmq_msg_recv(&msg, r->rx[p].sock, ZMQ_DONTWAIT) < 0) {
            if (errno != EAGAIN && errno != EINTR)
                rc = -errno;
            break;
        }
        if (peek_hdr(&msg, &h) != 0 || h.kind < GALE_FRAME_DATA ||
            h.kind > GALE_FRAME_END) {
            xasprintf(cause, "bridge: malformed frame from worker %d", p);
            rc = -EPROTO;
            break;
        }
        if (h.epoch != r->cfg.epoch) {
            r->stats.stale++;
            continue;
        }
        if ((idx = find_id(r->in_map, r->cfg.nin, (int)h.channel)) < 0 ||
            r->ins[idx].peer != p) {
            xasprintf(cause, "bridge: worker %d sent a frame for channel "
                "%u, which it does not send here", p, h.channel);
            rc = -EPROTO;
            break;
        }
        ch = &r->ins[idx];
        if (ch->end_seen) {
            xasprintf(cause, "bridge: channel %d: %s frame after END",
                ch->id, gale_frame_kind_name(h.kind));
            rc = -EPROTO;
            break;
        }
        if (h.kind == GALE_FRAME_END)
            ch->end_seen = true;
        /* In this process now, pending or written: the receiver's queue
         * (it counts what it takes out). */
        ch->frames++;
        ch->tuples += h.kind == GALE_FRAME_DATA ? h.count : 0;
        gale_chanstat_sent(r->cfg.chanstat, ch->id, ch->frames, ch->tuples);
        if (ch->plen == 0) {
            size_t len = zmq_msg_size(&msg);

            if (zmq_msg_send(&msg, ch->sock, ZMQ_DONTWAIT) >= 0) {
                delivered(r, ch, h.kind, len);
                continue;
            }
            if (errno != EAGAIN && errno != EINTR) {
                rc = -errno;
                break;
            }
        }
        if (ch->plen == depth) {
            xasprintf(cause, "bridge: channel %d: worker %d sent more "
                "frames than its credits (%zu)", ch->id, p, depth);
            rc = -EPROTO;
            break;
        }
        zmq_msg_move(&ch->pend[(ch->phead + ch->plen) % depth], &msg);
        ch->plen++;
    }
    zmq_msg_close(&msg);
    return rc;
}

/* Reads the CREDIT and END_ACK frames waiting on tx connection p. 0, or
 * -errno with *cause. */
static int
drain_tx(brun_t *r, int p, char **cause)
{
    gale_frame_hdr_t h;
    zmq_msg_t msg;
    out_ch_t *ch;
    long idx;
    int rc = 0;

    zmq_msg_init(&msg);
    for (;;) {
        if (zmq_msg_recv(&msg, r->tx[p].sock, ZMQ_DONTWAIT) < 0) {
            if (errno != EAGAIN && errno != EINTR)
                rc = -errno;
            break;
        }
        if (peek_hdr(&msg, &h) != 0 || (h.kind != GALE_FRAME_CREDIT &&
            h.kind != GALE_FRAME_END_ACK)) {
            xasprintf(cause, "bridge: malformed reverse frame from worker %d",
                p);
            rc = -EPROTO;
            break;
        }
        if (h.epoch != r->cfg.epoch) {
            r->stats.stale++;
            continue;
        }
        if ((idx = find_id(r->out_map, r->cfg.nout, (int)h.channel)) < 0 ||
            r->outs[idx].peer != p) {
            xasprintf(cause, "bridge: worker %d sent %s for channel %u, "
                "which it does not receive", p, gale_frame_kind_name(h.kind),
                h.channel);
            rc = -EPROTO;
            break;
        }
        ch = &r->outs[idx];
        if (h.seq != ch->rseq + 1) {
            xasprintf(cause, "bridge: channel %d: reverse sequence gap "
                "(expected %llu, got %llu)", ch->id,
                (unsigned long long)ch->rseq + 1, (unsigned long long)h.seq);
            rc = -EPROTO;
            break;
        }
        ch->rseq = h.seq;
        if (h.kind == GALE_FRAME_CREDIT) {
            ch->credit += h.arg;
        } else if (!ch->end_sent) {
            xasprintf(cause, "bridge: channel %d: END_ACK before END",
                ch->id);
            rc = -EPROTO;
            break;
        } else {
            ch->acked = true;
        }
    }
    zmq_msg_close(&msg);
    return rc;
}

/* Hands ch's held frame to its connection if it takes it. 0 (the frame
 * may still be held) or -errno. */
static int
send_held(brun_t *r, out_ch_t *ch)
{
    size_t len = zmq_msg_size(&ch->held);

    if (zmq_msg_send(&ch->held, r->tx[ch->peer].sock, ZMQ_DONTWAIT) < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : -errno;
    ch->has_held = false;
    r->stats.frames_out++;
    r->stats.bytes_out += len;
    return 0;
}

/* Forwards frames from ch's local socket while it has credit and its
 * connection takes them. 0, or -errno with *cause. */
static int
forward(brun_t *r, out_ch_t *ch, char **cause)
{
    gale_frame_hdr_t h;
    int rc;

    while (ch->credit > 0 && !ch->has_held && !ch->end_sent) {
        if (zmq_msg_recv(&ch->held, ch->sock, ZMQ_DONTWAIT) < 0)
            return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        if (peek_hdr(&ch->held, &h) != 0 || h.channel != (uint32_t)ch->id ||
            h.kind < GALE_FRAME_DATA || h.kind > GALE_FRAME_END) {
            xasprintf(cause, "bridge: channel %d: malformed local frame",
                ch->id);
            return -EPROTO;
        }
        ch->has_held = true;
        ch->credit--;
        ch->frames++;
        ch->tuples += h.kind == GALE_FRAME_DATA ? h.count : 0;
        gale_chanstat_recv(r->cfg.chanstat, ch->id, ch->frames, ch->tuples);
        if (h.kind == GALE_FRAME_END)
            ch->end_sent = true;
        if ((rc = send_held(r, ch)) != 0)
            return rc;
    }
    return 0;
}

/* Whether every channel ended: each END we forwarded was acknowledged,
 * and each END we received was delivered and its END_ACK sent. */
static bool
drained(const brun_t *r)
{
    size_t i;

    for (i = 0; i < r->cfg.nout; i++)
        if (!r->outs[i].acked)
            return false;
    for (i = 0; i < r->cfg.nin; i++)
        if (!r->ins[i].acked)
            return false;
    return true;
}

/* Adds a poll item. */
static void
add_item(brun_t *r, size_t *n, void *sock, short events, int kind,
    size_t idx)
{
    r->items[*n].socket = sock;
    r->items[*n].fd = 0;
    r->items[*n].events = events;
    r->items[*n].revents = 0;
    r->refs[*n].kind = kind;
    r->refs[*n].idx = idx;
    (*n)++;
}

/* Whether rx connection p owes its sender anything. */
static bool
rx_owes(const brun_t *r, int p)
{
    const conn_t *cn = &r->rx[p];
    size_t k;

    for (k = 0; k < cn->nchans; k++)
        if (r->ins[cn->chans[k]].owed > 0 || r->ins[cn->chans[k]].ack_owed)
            return true;
    return false;
}

/* Whether tx connection p has a held frame waiting for room. */
static bool
tx_holds(const brun_t *r, int p)
{
    const conn_t *cn = &r->tx[p];
    size_t k;

    for (k = 0; k < cn->nchans; k++)
        if (r->outs[cn->chans[k]].has_held)
            return true;
    return false;
}

/* Fills the poll set for this cycle: the control pipe; every connection
 * for reading (always) and for writing (when something waits); each
 * outgoing channel with credit; each incoming channel with pending
 * frames. Returns the number of items. */
static size_t
build_items(brun_t *r)
{
    size_t i, n = 0;
    int p;

    add_item(r, &n, r->ctl, ZMQ_POLLIN, REF_CTL, 0);
    for (p = 0; p < r->cfg.nworkers; p++) {
        if (r->rx[p].sock != NULL)
            add_item(r, &n, r->rx[p].sock, (short)(ZMQ_POLLIN |
                (rx_owes(r, p) ? ZMQ_POLLOUT : 0)), REF_RX, (size_t)p);
        if (r->tx[p].sock != NULL)
            add_item(r, &n, r->tx[p].sock, (short)(ZMQ_POLLIN |
                (tx_holds(r, p) ? ZMQ_POLLOUT : 0)), REF_TX, (size_t)p);
    }
    for (i = 0; i < r->cfg.nout; i++)
        if (r->outs[i].credit > 0 && !r->outs[i].has_held &&
            !r->outs[i].end_sent)
            add_item(r, &n, r->outs[i].sock, ZMQ_POLLIN, REF_OUT, i);
    for (i = 0; i < r->cfg.nin; i++)
        if (r->ins[i].plen > 0)
            add_item(r, &n, r->ins[i].sock, ZMQ_POLLOUT, REF_IN, i);
    return n;
}

/* Does the work one poll cycle found ready. 0, 1 when told to stop, or
 * -errno with *cause. */
static int
cycle(brun_t *r, size_t n, char **cause)
{
    const conn_t *cn;
    size_t k, j;
    char c = 0;
    int rc, p;

    for (k = 0; k < n; k++) {
        if (r->items[k].revents == 0)
            continue;
        p = (int)r->refs[k].idx;
        switch (r->refs[k].kind) {
        case REF_CTL:
            if (zmq_recv(r->ctl, &c, 1, ZMQ_DONTWAIT) >= 0 && c == PIPE_STOP)
                return 1;
            break;
        case REF_RX:
            if ((r->items[k].revents & ZMQ_POLLIN) &&
                (rc = drain_rx(r, p, cause)) != 0)
                return rc;
            break;
        case REF_TX:
            if ((r->items[k].revents & ZMQ_POLLIN) &&
                (rc = drain_tx(r, p, cause)) != 0)
                return rc;
            if (r->items[k].revents & ZMQ_POLLOUT) {
                cn = &r->tx[p];
                for (j = 0; j < cn->nchans; j++)
                    if (r->outs[cn->chans[j]].has_held &&
                        (rc = send_held(r, &r->outs[cn->chans[j]])) != 0)
                        return rc;
            }
            break;
        case REF_OUT:
            if ((rc = forward(r, &r->outs[r->refs[k].idx], cause)) != 0)
                return rc;
            break;
        case REF_IN:
            if ((rc = flush_pending(r, &r->ins[r->refs[k].idx])) != 0)
                return rc;
            break;
        }
    }
    /* Credits coalesce over the cycle: one CREDIT frame per channel. */
    for (p = 0; p < r->cfg.nworkers; p++)
        if (r->rx[p].sock != NULL && rx_owes(r, p) &&
            (rc = flush_owed(r, p)) != 0)
            return rc;
    return 0;
}

/* The poll loop. 0 when told to stop, or -errno with *cause. */
static int
loop(brun_t *r, char **cause)
{
    size_t n;
    int rc;

    for (;;) {
        if (!r->drained_told && drained(r)) {
            r->drained_told = true;
            pipe_send(r->ctl, PIPE_DRAINED, NULL);
        }
        n = build_items(r);
        if (zmq_poll(r->items, (int)n, -1) < 0) {
            if (errno == EINTR)
                continue;
            rc = -errno;
            xasprintf(cause, "bridge: poll: %s", zmq_strerror(errno));
            return rc;
        }
        if ((rc = cycle(r, n, cause)) != 0)
            return rc > 0 ? 0 : rc;
    }
}

/* Closes every data socket of the bridge (no linger) and frees what the
 * channels hold. */
static void
close_socks(brun_t *r)
{
    size_t i, k;
    int p;

    for (i = 0; i < r->cfg.nout; i++) {
        if (r->outs[i].sock != NULL)
            zmq_close(r->outs[i].sock);
        r->outs[i].sock = NULL;
        zmq_msg_close(&r->outs[i].held);
        r->outs[i].has_held = false;
    }
    for (i = 0; i < r->cfg.nin; i++) {
        if (r->ins[i].sock != NULL)
            zmq_close(r->ins[i].sock);
        r->ins[i].sock = NULL;
        for (k = 0; k < (size_t)r->cfg.queue_depth; k++)
            zmq_msg_close(&r->ins[i].pend[k]);
        r->ins[i].plen = 0;
    }
    for (p = 0; p < r->cfg.nworkers; p++) {
        if (r->tx[p].sock != NULL)
            zmq_close(r->tx[p].sock);
        if (r->rx[p].sock != NULL)
            zmq_close(r->rx[p].sock);
        r->tx[p].sock = r->rx[p].sock = NULL;
    }
}

/* The bridge thread: sets up, reports READY (or FAILED), runs the loop
 * and, if it fails, reports FAILED and waits for STOP, so that the owner
 * always ends it the same way. */
static void *
bridge_main(void *arg)
{
    brun_t *r = arg;
    char *cause = NULL, c = 0;
    int rc;

    pthread_setname_np(pthread_self(), "gale-bridge");
    if ((rc = setup(r, &cause)) == 0) {
        pipe_send(r->ctl, PIPE_READY, NULL);
        rc = loop(r, &cause);
    }
    close_socks(r);
    if (rc != 0) {
        r->err = rc;
        pipe_send(r->ctl, PIPE_FAILED, cause != NULL ? cause : "bridge failed");
        while (zmq_recv(r->ctl, &c, 1, 0) >= 0 || errno == EINTR)
            if (c == PIPE_STOP)
                break;
    }
    free(cause);
    zmq_close(r->ctl);
    r->ctl = NULL;
    return NULL;
}

/* Frees the thread's state; its data sockets are closed already, and its
 * end of the control pipe too unless the thread never ran. */
static void
brun_free(brun_t *r)
{
    size_t i;

    if (r == NULL)
        return;
    if (r->ctl != NULL)
        zmq_close(r->ctl);
    for (i = 0; i < r->cfg.nin; i++)
        free(r->ins[i].pend);
    for (i = 0; r->tx != NULL && i < (size_t)r->cfg.nworkers; i++) {
        free(r->tx[i].chans);
        free(r->rx[i].chans);
    }
    free(r->outs);
    free(r->ins);
    free(r->out_map);
    free(r->in_map);
    free(r->tx);
    free(r->rx);
    free(r->items);
    free(r->refs);
    free(r->prefix);
    free(r->endpoint_fmt);
    free(r->bind_fmt);
    free(r->run_id);
    free(r);
}

/* Checks cfg. NULL, or a message the caller frees. */
static char *
check_cfg(const gale_bridge_cfg_t *c)
{
    char *msg = NULL;
    size_t i, j;
    char ep[512];
    int rc;

    if (c->zctx == NULL || c->inproc_prefix == NULL || c->run_id == NULL)
        return xstrdup("bridge: zctx, inproc_prefix and run_id are required");
    if (c->nworkers < 1 || c->worker < 0 || c->worker >= c->nworkers)
        return xstrdup("bridge: worker out of range");
    if (c->queue_depth < 1)
        return xstrdup("bridge: queue_depth must be at least 1");
    if ((c->nout > 0 && (c->out_chans == NULL || c->out_peer == NULL)) ||
        (c->nin > 0 && (c->in_chans == NULL || c->in_peer == NULL)))
        return xstrdup("bridge: channel arrays missing");
    for (i = 0; i < c->nout + c->nin; i++) {
        int id = i < c->nout ? c->out_chans[i] : c->in_chans[i - c->nout];
        int peer = i < c->nout ? c->out_peer[i] : c->in_peer[i - c->nout];

        if (id < 0)
            xasprintf(&msg, "bridge: bad channel id %d", id);
        else if (peer < 0 || peer >= c->nworkers || peer == c->worker)
            xasprintf(&msg, "bridge: channel %d: peer worker %d is not "
                "another worker", id, peer);
        for (j = 0; msg == NULL && j < i; j++)
            if ((j < c->nout ? c->out_chans[j] : c->in_chans[j - c->nout])
                == id)
                xasprintf(&msg, "bridge: channel %d listed twice", id);
        if (msg != NULL)
            return msg;
    }
    rc = gale_bridge_endpoint(c->endpoint_fmt != NULL ? c->endpoint_fmt :
        DEFAULT_ENDPOINT, c->run_id, c->base_port, c->nworkers, 0, 0,
        c->hosts != NULL ? c->hosts[0] : NULL, ep, sizeof ep);
    if (rc == 0 && c->bind_fmt != NULL)
        rc = gale_bridge_endpoint(c->bind_fmt, c->run_id, c->base_port,
            c->nworkers, 0, 0, c->hosts != NULL ? c->hosts[0] : NULL, ep,
            sizeof ep);
    if (rc != 0)
        xasprintf(&msg, "bridge: bad endpoint template: %s", strerror(-rc));
    return msg;
}

/* Builds the thread's state from a checked cfg. */
static brun_t *
brun_new(const gale_bridge_cfg_t *c)
{
    brun_t *r = xcalloc(1, sizeof *r);
    size_t i, nmax;
    int p;

    r->cfg = *c;
    r->prefix = xstrdup(c->inproc_prefix);
    r->endpoint_fmt = xstrdup(c->endpoint_fmt != NULL ? c->endpoint_fmt :
        DEFAULT_ENDPOINT);
    r->bind_fmt = c->bind_fmt != NULL ? xstrdup(c->bind_fmt) : NULL;
    r->run_id = xstrdup(c->run_id);
    r->cfg.inproc_prefix = r->prefix;
    r->cfg.endpoint_fmt = r->endpoint_fmt;
    r->cfg.bind_fmt = r->bind_fmt;
    r->cfg.run_id = r->run_id;
    r->cfg.out_chans = r->cfg.out_peer = NULL;
    r->cfg.in_chans = r->cfg.in_peer = NULL;
    r->outs = xcalloc(c->nout + 1, sizeof *r->outs);
    r->ins = xcalloc(c->nin + 1, sizeof *r->ins);
    r->out_map = xcalloc(c->nout + 1, sizeof *r->out_map);
    r->in_map = xcalloc(c->nin + 1, sizeof *r->in_map);
    r->tx = xcalloc((size_t)c->nworkers, sizeof *r->tx);
    r->rx = xcalloc((size_t)c->nworkers, sizeof *r->rx);
    for (p = 0; p < c->nworkers; p++) {
        r->tx[p].chans = xcalloc(c->nout + 1, sizeof *r->tx[p].chans);
        r->rx[p].chans = xcalloc(c->nin + 1, sizeof *r->rx[p].chans);
    }
    for (i = 0; i < c->nout; i++) {
        out_ch_t *ch = &r->outs[i];

        ch->id = c->out_chans[i];
        ch->peer = c->out_peer[i];
        zmq_msg_init(&ch->held);
        r->out_map[i].id = ch->id;
        r->out_map[i].idx = i;
        r->tx[ch->peer].chans[r->tx[ch->peer].nchans++] = i;
    }
    for (i = 0; i < c->nin; i++) {
        in_ch_t *ch = &r->ins[i];
        int k;

        ch->id = c->in_chans[i];
        ch->peer = c->in_peer[i];
        ch->pend = xcalloc((size_t)c->queue_depth, sizeof *ch->pend);
        for (k = 0; k < c->queue_depth; k++)
            zmq_msg_init(&ch->pend[k]);
        /* The initial grant: sent once the sender has connected. */
        ch->owed = (uint64_t)c->queue_depth;
        r->in_map[i].id = ch->id;
        r->in_map[i].idx = i;
        r->rx[ch->peer].chans[r->rx[ch->peer].nchans++] = i;
    }
    if (c->nout > 0)
        qsort(r->out_map, c->nout, sizeof *r->out_map, cmp_id);
    if (c->nin > 0)
        qsort(r->in_map, c->nin, sizeof *r->in_map, cmp_id);
    nmax = 1 + 2 * (size_t)c->nworkers + c->nout + c->nin;
    r->items = xcalloc(nmax, sizeof *r->items);
    r->refs = xcalloc(nmax, sizeof *r->refs);
    return r;
}

/* Reads one message from the control pipe, waiting up to timeout_ms.
 * Returns its type byte with *cause set to the text after it for FAILED
 * (caller frees), -EAGAIN on timeout, or -errno. */
static int
pipe_recv(void *sock, long timeout_ms, char **cause)
{
    zmq_pollitem_t it = { .socket = sock, .events = ZMQ_POLLIN };
    zmq_msg_t msg;
    const char *d;
    int rc, type;

    if ((rc = zmq_poll(&it, 1, timeout_ms)) < 0)
        return errno == EINTR ? -EAGAIN : -errno;
    if (rc == 0)
        return -EAGAIN;
    zmq_msg_init(&msg);
    if (zmq_msg_recv(&msg, sock, ZMQ_DONTWAIT) < 0) {
        rc = errno == EINTR ? -EAGAIN : -errno;
        zmq_msg_close(&msg);
        return rc;
    }
    d = zmq_msg_data(&msg);
    type = zmq_msg_size(&msg) > 0 ? (unsigned char)d[0] : 0;
    if (type == PIPE_FAILED && cause != NULL)
        *cause = xstrndup(d + 1, zmq_msg_size(&msg) - 1);
    zmq_msg_close(&msg);
    return type;
}

gale_bridge_t *
gale_bridge_start(const gale_bridge_cfg_t *cfg, char **cause)
{
    static unsigned long counter;
    gale_bridge_t *b;
    char *msg;
    int type, zero = 0;

    if ((msg = check_cfg(cfg)) != NULL) {
        if (cause != NULL)
            *cause = msg;
        else
            free(msg);
        return NULL;
    }
    b = xcalloc(1, sizeof *b);
    b->run = brun_new(cfg);
    snprintf(b->run->ctl_ep, sizeof b->run->ctl_ep,
        "inproc://gale-bridge-%p-%lu", (void *)b,
        __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
    /* Both ends of the pipe are made here; the bridge's end moves to the
     * bridge thread (pthread_create is the barrier ZeroMQ asks for). */
    if ((b->ctl = zmq_socket(cfg->zctx, ZMQ_PAIR)) == NULL)
        goto fail_zmq;
    zmq_setsockopt(b->ctl, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_bind(b->ctl, b->run->ctl_ep) != 0)
        goto fail_zmq;
    if ((b->run->ctl = zmq_socket(cfg->zctx, ZMQ_PAIR)) == NULL)
        goto fail_zmq;
    zmq_setsockopt(b->run->ctl, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_connect(b->run->ctl, b->run->ctl_ep) != 0)
        goto fail_zmq;
    if (pthread_create(&b->thread, NULL, bridge_main, b->run) != 0) {
        msg = xstrdup("bridge: cannot create thread");
        goto fail;
    }
    b->started = true;
    /* The thread reports READY, or FAILED with a cause. */
    do
        type = pipe_recv(b->ctl, -1, &msg);
    while (type == -EAGAIN);
    if (type == PIPE_READY)
        return b;
    if (msg == NULL)
        xasprintf(&msg, "bridge: failed to start: %s",
            type < 0 ? zmq_strerror(-type) : "unexpected message");
    goto fail;
fail_zmq:
    xasprintf(&msg, "bridge: control pipe: %s", zmq_strerror(errno));
fail:
    if (cause != NULL)
        *cause = msg;
    else
        free(msg);
    gale_bridge_stop(&b, NULL);
    return NULL;
}

int
gale_bridge_stop(gale_bridge_t **bp, gale_bridge_stats_t *stats)
{
    gale_bridge_t *b;
    char c = PIPE_STOP;
    int rc = 0;

    if (bp == NULL || (b = *bp) == NULL)
        return 0;
    if (b->started) {
        zmq_send(b->ctl, &c, 1, ZMQ_DONTWAIT);
        pthread_join(b->thread, NULL);
    }
    if (b->run != NULL) {
        rc = b->run->err;
        if (stats != NULL)
            *stats = b->run->stats;
    }
    if (b->ctl != NULL)
        zmq_close(b->ctl);
    brun_free(b->run);
    free(b);
    *bp = NULL;
    return rc;
}

void *
gale_bridge_socket(gale_bridge_t *b)
{
    return b->ctl;
}

int
gale_bridge_event(gale_bridge_t *b, long timeout_ms, char **cause)
{
    int type;

    for (;;) {
        type = pipe_recv(b->ctl, timeout_ms, cause);
        if (type == PIPE_DRAINED)
            return GALE_BRIDGE_DRAINED;
        if (type == PIPE_FAILED)
            return GALE_BRIDGE_FAILED;
        if (type < 0)
            return type;
        /* Anything else (a late READY) is not an event. */
    }
}
