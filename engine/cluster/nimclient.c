/* nimclient.c - one request to nimbus, one reply (nimclient.h). */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

#include <gale/clock.h>

#include "common/xalloc.h"
#include "engine/net/netsec.h"
#include "engine/net/nimproto.h"
#include "engine/cluster/nimclient.h"

void
gale_nimreply_release(gale_nimreply_t *r)
{
    size_t i;

    for (i = 0; i < r->nitems; i++)
        free(r->items[i]);
    free(r->items);
    free(r->text);
    memset(r, 0, sizeof *r);
}

/* gale_now_ns in ms. */
static long long
now_ms(void)
{
    return (long long)(gale_now_ns() / 1000000u);
}

/* Reads one reply into r. 0, or -EPROTO when it is not one. */
static int
read_reply(void *s, gale_nimreply_t *r)
{
    zmq_msg_t m;
    char **f = NULL;
    size_t k, nf = 0;
    bool more = true, good;

    while (more) {
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s, 0) < 0) {
            zmq_msg_close(&m);
            good = false;
            goto out;
        }
        more = zmq_msg_more(&m);
        f = xreallocarray(f, nf + 1, sizeof *f);
        f[nf++] = xstrndup(zmq_msg_data(&m), zmq_msg_size(&m));
        zmq_msg_close(&m);
    }
    if ((good = gale_nimproto_reply_parse(f, nf, &r->ok))) {
        r->text = f[GALE_NIM_F_TEXT];
        f[GALE_NIM_F_TEXT] = NULL;
        for (k = GALE_NIM_F_ITEM; k < nf; k++) {
            r->items = xreallocarray(r->items, r->nitems + 1,
                sizeof *r->items);
            r->items[r->nitems++] = f[k];
            f[k] = NULL;
        }
    }
out:
    for (k = 0; k < nf; k++)
        free(f[k]);
    free(f);
    return good ? 0 : -EPROTO;
}

struct gale_nimclient {
    void *zctx;                 /* owned */
    void *sock;                 /* owned; DEALER to nimbus */
    void *mon;                  /* owned; sock's handshake failures (curve),
                                   or NULL */
    char *ep;                   /* owned; nimbus's endpoint */
};

/* The handshake failures a client can see; AUTH is a refused key. */
#define FAILED_EVENTS (ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | \
    ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)

/* Reads one event from monitor m: its number (value and address are
 * dropped). 0 when it could not be read. */
static int
read_event(void *m)
{
    zmq_msg_t msg;
    uint16_t ev = 0;
    bool more;

    zmq_msg_init(&msg);
    if (zmq_msg_recv(&msg, m, 0) < 0) {
        zmq_msg_close(&msg);
        return 0;
    }
    if (zmq_msg_size(&msg) >= sizeof ev)
        memcpy(&ev, zmq_msg_data(&msg), sizeof ev);
    more = zmq_msg_more(&msg);
    while (more) {
        zmq_msg_close(&msg);
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, m, 0) < 0)
            break;
        more = zmq_msg_more(&msg);
    }
    zmq_msg_close(&msg);
    return ev;
}

gale_nimclient_t *
gale_nimclient_new(const gale_cluster_t *c, const char *key, char **cause)
{
    static bool inited;         /* netsec is per process */
    gale_nimclient_t *cl = xcalloc(1, sizeof *cl);
    int linger = 0;

    *cause = NULL;
    cl->ep = gale_cluster_endpoint(&c->nimbus);
    if (!inited && gale_netsec_init(c, key, cause) != 0)
        goto fail;
    inited = true;
    cl->zctx = zmq_ctx_new();
    cl->sock = zmq_socket(cl->zctx, ZMQ_DEALER);
    zmq_setsockopt(cl->sock, ZMQ_LINGER, &linger, sizeof linger);
    /* A refused key gets no reply, only a failed handshake: watched, so
     * that the client can say so at once instead of timing out. */
    if (gale_netsec_curve() &&
        zmq_socket_monitor(cl->sock, "inproc://gale-nimclient-monitor",
        FAILED_EVENTS) == 0) {
        cl->mon = zmq_socket(cl->zctx, ZMQ_PAIR);
        zmq_setsockopt(cl->mon, ZMQ_LINGER, &linger, sizeof linger);
        if (zmq_connect(cl->mon, "inproc://gale-nimclient-monitor") != 0) {
            zmq_close(cl->mon);
            cl->mon = NULL;
        }
    }
    if (gale_netsec_connect(cl->sock, cl->ep, c->nimbus.key) != 0) {
        xasprintf(cause, "cannot connect to %s: %s", cl->ep,
            zmq_strerror(errno));
        goto fail;
    }
    return cl;
fail:
    gale_nimclient_destroy(&cl);
    return NULL;
}

void
gale_nimclient_destroy(gale_nimclient_t **clp)
{
    gale_nimclient_t *cl;

    if (clp == NULL || (cl = *clp) == NULL)
        return;
    if (cl->mon != NULL)
        zmq_close(cl->mon);
    if (cl->sock != NULL)
        zmq_close(cl->sock);
    if (cl->zctx != NULL)
        zmq_ctx_term(cl->zctx);
    free(cl->ep);
    free(cl);
    *clp = NULL;
}

int
gale_nimclient_call(gale_nimclient_t *cl, const char *verb,
    const char *const *args, size_t nargs, int timeout_ms,
    gale_nimreply_t *r, char **cause)
{
    long long deadline = now_ms() + timeout_ms;
    void *s = cl->sock;
    size_t i;
    int rc;

    memset(r, 0, sizeof *r);
    *cause = NULL;
    /* Queued until the connection (and CURVE handshake) is made. */
    if (zmq_send(s, GALE_NIMBUS_MAGIC, strlen(GALE_NIMBUS_MAGIC),
        ZMQ_SNDMORE) < 0 ||
        zmq_send(s, verb, strlen(verb), nargs > 0 ? ZMQ_SNDMORE : 0) < 0)
        goto send_failed;
    for (i = 0; i < nargs; i++)
        if (zmq_send(s, args[i], strlen(args[i]),
            i + 1 < nargs ? ZMQ_SNDMORE : 0) < 0)
            goto send_failed;
    for (;;) {
        zmq_pollitem_t items[2] = {
            { .socket = s, .events = ZMQ_POLLIN },
            { .socket = cl->mon, .events = ZMQ_POLLIN },
        };
        long long left = deadline - now_ms();

        if (left <= 0)
            return -ETIMEDOUT;
        rc = zmq_poll(items, cl->mon != NULL ? 2 : 1, (long)left);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0) {
            rc = -errno;
            xasprintf(cause, "poll: %s", zmq_strerror(errno));
            return rc;
        }
        /* A reply that is not one (another program on the port) is
         * skipped: the deadline still holds. */
        if ((items[0].revents & ZMQ_POLLIN) && read_reply(s, r) == 0)
            return 0;
        if (cl->mon != NULL && (items[1].revents & ZMQ_POLLIN) &&
            read_event(cl->mon) == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
            return -EACCES;
    }
send_failed:
    rc = -errno;
    xasprintf(cause, "cannot send to %s: %s", cl->ep, zmq_strerror(errno));
    return rc;
}
