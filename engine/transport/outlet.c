/* outlet.c - the sending ends of one executor's output channels. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

#include "common/xalloc.h"
#include "engine/wire/frame.h"
#include "engine/transport/chanstat.h"
#include "engine/transport/outlet.h"
#include "engine/wire/record.h"

/* One output channel. */
typedef struct out_chan {
    int id;                     /* channel id */
    void *sock;                 /* ZMQ_PAIR, connected */
    gale_batch_t batch;         /* records waiting to be sent */
    uint64_t seq;               /* last sequence number sent */
    uint64_t due_ns;            /* when the partial batch must go; 0 = empty */
    uint64_t frames;            /* frames sent */
    uint64_t tuples;            /* tuples sent (DATA frames' counts) */
} out_chan_t;

struct gale_outlet {
    gale_outlet_cfg_t cfg;      /* copy; prefix owned below */
    char *prefix;               /* owned copy of cfg.prefix */
    out_chan_t *chans;          /* owned array */
    size_t nchans;
    size_t cap;
    uint64_t frames;            /* frames sent */
    uint64_t blocked_ns;        /* time spent waiting for room */
    bool cancelled;             /* the control callback asked to leave */
};

gale_outlet_t *
gale_outlet_new(const gale_outlet_cfg_t *cfg, char **cause)
{
    gale_outlet_t *o;

    if (cfg->zctx == NULL || cfg->batch_size < 1 || cfg->batch_bytes <
        GALE_FRAME_HDR_SIZE + 16 || cfg->queue_depth < 1) {
        if (cause != NULL)
            *cause = xstrdup("outlet: invalid configuration");
        return NULL;
    }
    o = xcalloc(1, sizeof *o);
    o->cfg = *cfg;
    o->prefix = xstrdup(cfg->prefix);
    o->cfg.prefix = o->prefix;
    return o;
}

void
gale_outlet_destroy(gale_outlet_t **op)
{
    gale_outlet_t *o;
    size_t i;

    if (op == NULL || (o = *op) == NULL)
        return;
    for (i = 0; i < o->nchans; i++) {
        if (o->chans[i].sock != NULL)
            zmq_close(o->chans[i].sock);
        gale_batch_release(&o->chans[i].batch);
    }
    free(o->chans);
    free(o->prefix);
    free(o);
    *op = NULL;
}

int
gale_outlet_add(gale_outlet_t *o, int channel_id)
{
    char ep[256];
    out_chan_t *c;
    void *sock;
    int hwm = o->cfg.queue_depth, linger = 0, rc;

    snprintf(ep, sizeof ep, "%s%d", o->prefix, channel_id);
    if ((sock = zmq_socket(o->cfg.zctx, ZMQ_PAIR)) == NULL)
        return -errno;
    /* Inside a process the pipe holds SNDHWM + the receiver's RCVHWM. */
    zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(sock, ep) != 0) {
        rc = -errno;
        zmq_close(sock);
        return rc;
    }
    if (o->nchans == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 8;
        o->chans = xreallocarray(o->chans, o->cap, sizeof *o->chans);
    }
    c = &o->chans[o->nchans];
    memset(c, 0, sizeof *c);
    c->id = channel_id;
    c->sock = sock;
    gale_batch_init(&c->batch, o->cfg.batch_bytes);
    return (int)o->nchans++;
}

size_t
gale_outlet_count(const gale_outlet_t *o)
{
    return o->nchans;
}

/* Frees a frame buffer once ZeroMQ is done with it. */
static void
free_frame(void *data, void *hint)
{
    (void)hint;
    free(data);
}

/* Sends buf (ownership passes to ZeroMQ, a frame of 'tuples' tuples) on
 * c, waiting for room while handling control messages. 0 or -errno (buf
 * is freed either way). */
static int
send_frame(gale_outlet_t *o, out_chan_t *c, uint8_t *buf, size_t len,
    uint32_t tuples)
{
    zmq_pollitem_t items[2];
    uint64_t t0 = 0;
    zmq_msg_t msg;
    int rc, n;

    if (zmq_msg_init_data(&msg, buf, len, free_frame, NULL) != 0) {
        free(buf);
        return -errno;
    }
    for (;;) {
        if (zmq_msg_send(&msg, c->sock, ZMQ_DONTWAIT) >= 0)
            break;
        if (errno != EAGAIN && errno != EINTR) {
            rc = -errno;
            zmq_msg_close(&msg);
            return rc;
        }
        if (t0 == 0)
            t0 = gale_now_ns();
        /* Backpressure is no sign of death: keep reporting. */
        if (o->cfg.on_wait != NULL)
            o->cfg.on_wait(o->cfg.arg);
        /* Full: wait for room, but keep answering control messages. */
        items[0].socket = c->sock;
        items[0].events = ZMQ_POLLOUT;
        n = 1;
        if (o->cfg.ctl != NULL) {
            items[1].socket = o->cfg.ctl;
            items[1].events = ZMQ_POLLIN;
            n = 2;
        }
        if (zmq_poll(items, n, 100) < 0 && errno != EINTR) {
            rc = -errno;
            zmq_msg_close(&msg);
            return rc;
        }
        if (n == 2 && (items[1].revents & ZMQ_POLLIN) && o->cfg.on_control
            && o->cfg.on_control(o->cfg.arg) != 0) {
            o->cancelled = true;
            zmq_msg_close(&msg);
            return -ECANCELED;
        }
    }
    if (t0 != 0)
        o->blocked_ns += gale_now_ns() - t0;
    o->frames++;
    c->frames++;
    c->tuples += tuples;
    gale_chanstat_sent(o->cfg.chanstat, c->id, c->frames, c->tuples);
    return 0;
}

/* Sends c's batch as a DATA frame if it holds any record. */
static int
send_batch(gale_outlet_t *o, out_chan_t *c)
{
    gale_frame_hdr_t h;
    uint32_t count = c->batch.count;
    uint8_t *buf;
    size_t len;

    if (count == 0)
        return 0;
    memset(&h, 0, sizeof h);
    h.version = GALE_WIRE_VERSION;
    h.kind = GALE_FRAME_DATA;
    h.epoch = o->cfg.epoch;
    h.channel = (uint32_t)c->id;
    h.seq = ++c->seq;
    buf = gale_batch_take(&c->batch, &h, &len);
    c->due_ns = 0;
    return send_frame(o, c, buf, len, count);
}

uint8_t *
gale_outlet_room(gale_outlet_t *o, int idx, size_t len, bool weighted,
    int *rc)
{
    out_chan_t *c = &o->chans[idx];
    uint8_t *p;

    /* A batch holds records of one kind: weighted or not. */
    if (c->batch.count > 0 && c->batch.weighted != weighted &&
        (*rc = send_batch(o, c)) != 0)
        return NULL;
    if ((p = gale_batch_room(&c->batch, len)) == NULL) {
        if ((*rc = send_batch(o, c)) != 0)
            return NULL;
        if ((p = gale_batch_room(&c->batch, len)) == NULL) {
            *rc = -ENOSPC;
            return NULL;
        }
    }
    c->batch.weighted = weighted;
    return p;
}

int
gale_outlet_commit(gale_outlet_t *o, int idx, size_t len)
{
    out_chan_t *c = &o->chans[idx];

    gale_batch_commit(&c->batch, len);
    if (c->due_ns == 0)
        c->due_ns = gale_now_ns() + (uint64_t)o->cfg.flush_interval_ms * 1000000u;
    if (c->batch.count >= (uint32_t)o->cfg.batch_size)
        return send_batch(o, c);
    return 0;
}

int
gale_outlet_append(gale_outlet_t *o, int idx, const void *rec, size_t len)
{
    uint8_t *p;
    int rc = 0;

    if ((p = gale_outlet_room(o, idx, len, false, &rc)) == NULL)
        return rc;
    memcpy(p, rec, len);
    return gale_outlet_commit(o, idx, len);
}

int
gale_outlet_flush(gale_outlet_t *o, int idx)
{
    return send_batch(o, &o->chans[idx]);
}

int
gale_outlet_flush_due(gale_outlet_t *o, uint64_t now_ns)
{
    size_t i;
    int rc;

    for (i = 0; i < o->nchans; i++) {
        if (o->chans[i].due_ns != 0 && o->chans[i].due_ns <= now_ns &&
            (rc = send_batch(o, &o->chans[i])) != 0)
            return rc;
    }
    return 0;
}

int64_t
gale_outlet_next_due(const gale_outlet_t *o, uint64_t now_ns)
{
    int64_t best = -1, d;
    size_t i;

    for (i = 0; i < o->nchans; i++) {
        if (o->chans[i].due_ns == 0)
            continue;
        d = o->chans[i].due_ns > now_ns ? (int64_t)(o->chans[i].due_ns - now_ns) : 0;
        if (best < 0 || d < best)
            best = d;
    }
    return best;
}

int
gale_outlet_control(gale_outlet_t *o, int idx, int kind, uint64_t arg)
{
    out_chan_t *c = &o->chans[idx];
    gale_frame_hdr_t h;
    uint8_t *buf;
    int rc;

    if ((rc = send_batch(o, c)) != 0)
        return rc;
    memset(&h, 0, sizeof h);
    h.version = GALE_WIRE_VERSION;
    h.kind = (uint8_t)kind;
    h.epoch = o->cfg.epoch;
    h.channel = (uint32_t)c->id;
    h.seq = ++c->seq;
    h.arg = arg;
    buf = xmalloc(GALE_FRAME_HDR_SIZE);
    gale_frame_hdr_write(&h, buf);
    return send_frame(o, c, buf, GALE_FRAME_HDR_SIZE, 0);
}

uint64_t
gale_outlet_frames(const gale_outlet_t *o)
{
    return o->frames;
}

int
gale_outlet_channel_id(const gale_outlet_t *o, int idx)
{
    return o->chans[idx].id;
}

int
gale_outlet_window(const gale_outlet_t *o)
{
    /* ZeroMQ's inproc pipe holds the sender's SNDHWM plus the receiver's
     * RCVHWM (inlet.c sets 1). */
    return o->cfg.queue_depth + 1;
}

uint64_t
gale_outlet_blocked_ns(const gale_outlet_t *o)
{
    return o->blocked_ns;
}

bool
gale_outlet_cancelled(gale_outlet_t *o)
{
    zmq_pollitem_t item;

    if (o == NULL || o->cancelled)
        return o != NULL;
    if (o->cfg.on_wait != NULL)
        o->cfg.on_wait(o->cfg.arg);
    if (o->cfg.ctl == NULL || o->cfg.on_control == NULL)
        return false;
    item.socket = o->cfg.ctl;
    item.fd = 0;
    item.events = ZMQ_POLLIN;
    item.revents = 0;
    if (zmq_poll(&item, 1, 0) > 0 && (item.revents & ZMQ_POLLIN) &&
        o->cfg.on_control(o->cfg.arg) != 0)
        o->cancelled = true;
    return o->cancelled;
}
