/* inlet.c - the receiving ends of one executor's input channels. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "common/xalloc.h"
#include "engine/transport/chanstat.h"
#include "engine/transport/inlet.h"

/* One input channel. */
typedef struct in_chan {
    int id;                     /* channel id */
    void *sock;                 /* ZMQ_PAIR, bound */
    uint64_t seq;               /* last sequence number received */
    bool blocked;               /* not read until unblocked */
    bool ended;                 /* delivered END */
    uint64_t frames;            /* frames taken, stale ones included */
    uint64_t tuples;            /* tuples of those (DATA frames' counts) */
} in_chan_t;

struct gale_inlet {
    void *zctx;                 /* borrowed */
    char *prefix;               /* endpoint prefix, owned */
    uint32_t epoch;             /* frames of other epochs are dropped */
    int queue_depth;            /* receive high-water mark */
    in_chan_t *chans;           /* owned array */
    size_t nchans;
    size_t cap;
    zmq_pollitem_t *items;      /* scratch for poll, nchans + 1 */
    int *item_chan;             /* poll item -> channel index */
    size_t rr;                  /* round-robin start for fairness */
    gale_chanstat_t *chanstat;  /* borrowed, or NULL */
};

gale_inlet_t *
gale_inlet_new(void *zctx, const char *prefix, uint32_t epoch,
    int queue_depth, char **cause)
{
    gale_inlet_t *in;

    if (zctx == NULL || queue_depth < 1) {
        if (cause != NULL)
            *cause = xstrdup("inlet: invalid configuration");
        return NULL;
    }
    in = xcalloc(1, sizeof *in);
    in->zctx = zctx;
    in->prefix = xstrdup(prefix);
    in->epoch = epoch;
    in->queue_depth = queue_depth;
    return in;
}

void
gale_inlet_destroy(gale_inlet_t **ip)
{
    gale_inlet_t *in;
    size_t i;

    if (ip == NULL || (in = *ip) == NULL)
        return;
    for (i = 0; i < in->nchans; i++)
        if (in->chans[i].sock != NULL)
            zmq_close(in->chans[i].sock);
    free(in->chans);
    free(in->items);
    free(in->item_chan);
    free(in->prefix);
    free(in);
    *ip = NULL;
}

void
gale_inlet_set_chanstat(gale_inlet_t *in, gale_chanstat_t *cs)
{
    in->chanstat = cs;
}

int
gale_inlet_add(gale_inlet_t *in, int channel_id)
{
    char ep[256];
    void *sock;
    int hwm = 1, linger = 0, rc;

    snprintf(ep, sizeof ep, "%s%d", in->prefix, channel_id);
    if ((sock = zmq_socket(in->zctx, ZMQ_PAIR)) == NULL)
        return -errno;
    /* The sender's SNDHWM (queue_depth) plus this one bound the channel. */
    zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind(sock, ep) != 0) {
        rc = -errno;
        zmq_close(sock);
        return rc;
    }
    if (in->nchans == in->cap) {
        in->cap = in->cap ? in->cap * 2 : 8;
        in->chans = xreallocarray(in->chans, in->cap, sizeof *in->chans);
        in->items = xreallocarray(in->items, in->cap + 1, sizeof *in->items);
        in->item_chan = xreallocarray(in->item_chan, in->cap + 1, sizeof *in->item_chan);
    }
    memset(&in->chans[in->nchans], 0, sizeof in->chans[0]);
    in->chans[in->nchans].id = channel_id;
    in->chans[in->nchans].sock = sock;
    return (int)in->nchans++;
}

size_t
gale_inlet_count(const gale_inlet_t *in)
{
    return in->nchans;
}

int
gale_inlet_channel_id(const gale_inlet_t *in, int idx)
{
    return in->chans[idx].id;
}

void
gale_inlet_block(gale_inlet_t *in, int idx, bool blocked)
{
    in->chans[idx].blocked = blocked;
}

bool
gale_inlet_blocked(const gale_inlet_t *in, int idx)
{
    return in->chans[idx].blocked;
}

void
gale_inlet_set_ended(gale_inlet_t *in, int idx)
{
    in->chans[idx].ended = true;
}

bool
gale_inlet_ended(const gale_inlet_t *in, int idx)
{
    return in->chans[idx].ended;
}

size_t
gale_inlet_open(const gale_inlet_t *in)
{
    size_t i, n = 0;

    for (i = 0; i < in->nchans; i++)
        if (!in->chans[i].blocked && !in->chans[i].ended)
            n++;
    return n;
}

int
gale_inlet_poll(gale_inlet_t *in, void *extra, long timeout_ms)
{
    size_t i, k, n = 0, start;
    int rc;

    /* Poll the open channels starting after the last one served. */
    start = in->nchans ? in->rr % in->nchans : 0;
    for (k = 0; k < in->nchans; k++) {
        i = (start + k) % in->nchans;
        if (in->chans[i].blocked || in->chans[i].ended)
            continue;
        in->items[n].socket = in->chans[i].sock;
        in->items[n].fd = 0;
        in->items[n].events = ZMQ_POLLIN;
        in->items[n].revents = 0;
        in->item_chan[n] = (int)i;
        n++;
    }
    if (extra != NULL) {
        in->items[n].socket = extra;
        in->items[n].fd = 0;
        in->items[n].events = ZMQ_POLLIN;
        in->items[n].revents = 0;
        in->item_chan[n] = GALE_INLET_EXTRA;
        n++;
    }
    if (n == 0)
        return -EAGAIN;
    rc = zmq_poll(in->items, (int)n, timeout_ms);
    if (rc < 0)
        return errno == EINTR ? -EAGAIN : -errno;
    if (rc == 0)
        return -EAGAIN;
    for (k = 0; k < n; k++) {
        if (!(in->items[k].revents & ZMQ_POLLIN))
            continue;
        if (in->item_chan[k] == GALE_INLET_EXTRA)
            continue;
        in->rr = (size_t)in->item_chan[k] + 1;
        return in->item_chan[k];
    }
    return GALE_INLET_EXTRA;
}

int
gale_inlet_recv(gale_inlet_t *in, int idx, zmq_msg_t *msg,
    gale_frame_hdr_t *h, char **cause)
{
    in_chan_t *c = &in->chans[idx];
    int rc;

    if (zmq_msg_recv(msg, c->sock, ZMQ_DONTWAIT) < 0)
        return errno == EAGAIN || errno == EINTR ? -EAGAIN : -errno;
    if ((rc = gale_frame_hdr_parse(zmq_msg_data(msg), zmq_msg_size(msg), h,
        cause)) != 0)
        return rc;
    /* Out of the queue, whatever it turns out to be. */
    c->frames++;
    c->tuples += h->kind == GALE_FRAME_DATA ? h->count : 0;
    gale_chanstat_recv(in->chanstat, c->id, c->frames, c->tuples);
    if (h->epoch != in->epoch)
        return 1;
    if (h->channel != (uint32_t)c->id) {
        if (cause != NULL)
            xasprintf(cause, "frame for channel %u arrived on channel %d",
                h->channel, c->id);
        return -EPROTO;
    }
    if (h->seq != c->seq + 1) {
        if (cause != NULL)
            xasprintf(cause, "channel %d: sequence gap (expected %llu, got %llu)",
                c->id, (unsigned long long)c->seq + 1,
                (unsigned long long)h->seq);
        return -EPROTO;
    }
    c->seq = h->seq;
    return 0;
}
