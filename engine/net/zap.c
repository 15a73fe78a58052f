/* zap.c - the ZAP handler (zap.h): a thread answering ZeroMQ's
 * authentication requests of one context against the allowed set, logging
 * each refusal once. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "engine/net/security_int.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"

/* ---- the ZAP handler ------------------------------------------------ */

/* Refusals already logged, so that a client retrying does not flood the
 * log: each (address, mechanism, key) is logged once, the rest counted. */
#define SEEN_MAX 64

typedef struct seen {
    char address[64];               /* the peer's IP address */
    char mechanism[8];              /* "CURVE", "NULL", "PLAIN" */
    uint8_t key[KEY_BYTES];         /* zeros unless CURVE */
} seen_t;

struct gale_security_zap {
    void *ctx;                      /* borrowed: the context served */
    void *zap;                      /* REP on ZAP_ENDPOINT; the thread's */
    void *pipe;                     /* PAIR: the starting thread's end */
    void *tpipe;                    /* PAIR: the handler thread's end */
    pthread_t thread;               /* the handler */
    bool started;                   /* thread was created */
    gale_security_keyset_t *keys;   /* owned by the thread once started */
    _Atomic uint64_t accepted;      /* handshakes let in */
    _Atomic uint64_t refused;       /* handshakes refused */
    seen_t seen[SEEN_MAX];          /* the thread's: refusals logged */
    size_t nseen;                   /* entries used */
    size_t seen_next;               /* next to overwrite when full */
};

/* The commands on the pipe: one frame, a letter then a payload. */
#define CMD_RELOAD 'R'              /* payload: a gale_security_keyset_t * */
#define CMD_STOP   'S'

/* Logs a refusal unless this (address, mechanism, key) was logged. */
static void
log_refusal(gale_security_zap_t *zap, const char *address,
    const char *mechanism, const uint8_t *key, const char *why)
{
    char z85[GALE_SECURITY_Z85_LEN + 1] = "";
    seen_t s;
    size_t i;

    memset(&s, 0, sizeof s);
    snprintf(s.address, sizeof s.address, "%s", address);
    snprintf(s.mechanism, sizeof s.mechanism, "%s", mechanism);
    if (key != NULL)
        memcpy(s.key, key, KEY_BYTES);
    for (i = 0; i < zap->nseen; i++)
        if (memcmp(&zap->seen[i], &s, sizeof s) == 0)
            return;
    if (zap->nseen < SEEN_MAX)
        zap->seen[zap->nseen++] = s;
    else {
        zap->seen[zap->seen_next] = s;
        zap->seen_next = (zap->seen_next + 1) % SEEN_MAX;
    }
    if (key != NULL)
        zmq_z85_encode(z85, key, KEY_BYTES);
    log_msg(LOG_WARN, "security", "refused a %s client from %s%s%s: %s "
        "(further refusals of it are counted, not logged)", mechanism,
        address[0] != '\0' ? address : "(unknown address)",
        key != NULL ? " with public key " : "", z85, why);
}

/* Sends one reply frame; more says whether others follow. */
static void
send_frame(void *s, const void *data, size_t len, bool more)
{
    /* A REP socket's reply cannot block: it goes to the requester, whose
     * ZAP pipe has no high-water mark. */
    zmq_send(s, data, len, more ? ZMQ_SNDMORE : 0);
}

/* Answers one ZAP request waiting on zap->zap. */
static void
answer(gale_security_zap_t *zap)
{
    enum { NFRAMES = 8 };
    zmq_msg_t f[NFRAMES];
    char address[64] = "", mechanism[8] = "";
    const char *code = "400", *text, *user = "";
    const uint8_t *key = NULL;
    size_t n = 0, i, len;
    int more = 1, rc;
    size_t more_len = sizeof more;

    /* Every frame is drained, even past the ones we read. */
    while (more) {
        zmq_msg_t extra;
        zmq_msg_t *m = n < NFRAMES ? &f[n] : &extra;

        zmq_msg_init(m);
        if ((rc = zmq_msg_recv(m, zap->zap, 0)) < 0) {
            zmq_msg_close(m);
            break;
        }
        if (n < NFRAMES)
            n++;
        else
            zmq_msg_close(&extra);
        if (zmq_getsockopt(zap->zap, ZMQ_RCVMORE, &more, &more_len) != 0)
            more = 0;
    }
#define FRAME_IS(i, s) (zmq_msg_size(&f[i]) == strlen(s) && \
    memcmp(zmq_msg_data(&f[i]), (s), strlen(s)) == 0)
    if (n >= 4) {
        len = zmq_msg_size(&f[3]);
        len = len < sizeof address ? len : sizeof address - 1;
        memcpy(address, zmq_msg_data(&f[3]), len);
        address[len] = '\0';
    }
    if (n >= 6) {
        len = zmq_msg_size(&f[5]);
        len = len < sizeof mechanism ? len : sizeof mechanism - 1;
        memcpy(mechanism, zmq_msg_data(&f[5]), len);
        mechanism[len] = '\0';
    }
    if (n < 6 || !FRAME_IS(0, "1.0"))
        text = "malformed ZAP request";
    else if (!FRAME_IS(2, GALE_SECURITY_ZAP_DOMAIN))
        text = "unknown ZAP domain";
    else if (!FRAME_IS(5, "CURVE"))
        text = "CURVE required";
    else if (n != 7 || zmq_msg_size(&f[6]) != KEY_BYTES)
        text = "malformed CURVE credentials";
    else {
        key = zmq_msg_data(&f[6]);
        if ((user = gale_security_keyset_find(zap->keys, key)) != NULL) {
            code = "200";
            text = "OK";
        } else {
            user = "";
            text = "public key not in the cluster's allowed keys";
        }
    }
    /* The reply: version, request id, status, text, user id, metadata. */
    send_frame(zap->zap, "1.0", 3, true);
    if (n >= 2)
        send_frame(zap->zap, zmq_msg_data(&f[1]), zmq_msg_size(&f[1]), true);
    else
        send_frame(zap->zap, "", 0, true);
    send_frame(zap->zap, code, 3, true);
    send_frame(zap->zap, text, strlen(text), true);
    send_frame(zap->zap, user, strlen(user), true);
    send_frame(zap->zap, "", 0, false);
    if (code[0] == '2')
        atomic_fetch_add(&zap->accepted, 1);
    else {
        atomic_fetch_add(&zap->refused, 1);
        log_refusal(zap, address, mechanism[0] != '\0' ? mechanism : "?",
            key, text);
    }
#undef FRAME_IS
    for (i = 0; i < n; i++)
        zmq_msg_close(&f[i]);
}

/* Handles one command from the pipe. Returns false on CMD_STOP. */
static bool
command(gale_security_zap_t *zap)
{
    char buf[1 + sizeof(gale_security_keyset_t *)];
    gale_security_keyset_t *keys;
    int n = zmq_recv(zap->tpipe, buf, sizeof buf, 0);

    if (n < 1 || buf[0] == CMD_STOP)
        return false;
    if (buf[0] == CMD_RELOAD && n == (int)sizeof buf) {
        memcpy(&keys, buf + 1, sizeof keys);
        gale_security_keyset_destroy(&zap->keys);
        zap->keys = keys;
        /* A key now allowed may have been logged as refused. */
        zap->nseen = 0;
        zap->seen_next = 0;
        zmq_send(zap->tpipe, "ok", 2, 0);
    }
    return true;
}

/* The handler thread: answers requests until told to stop or until its
 * context is terminated under it. */
static void *
run(void *arg)
{
    gale_security_zap_t *zap = arg;
    zmq_pollitem_t items[2];

    items[0].socket = zap->tpipe;
    items[0].events = ZMQ_POLLIN;
    items[1].socket = zap->zap;
    items[1].events = ZMQ_POLLIN;
    for (;;) {
        if (zmq_poll(items, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if ((items[0].revents & ZMQ_POLLIN) && !command(zap))
            break;
        if (items[1].revents & ZMQ_POLLIN)
            answer(zap);
    }
    return NULL;
}

/* Closes the sockets and frees zap; the thread must have ended. */
static void
zap_free(gale_security_zap_t *zap)
{
    if (zap->zap != NULL)
        zmq_close(zap->zap);
    if (zap->tpipe != NULL)
        zmq_close(zap->tpipe);
    if (zap->pipe != NULL)
        zmq_close(zap->pipe);
    gale_security_keyset_destroy(&zap->keys);
    free(zap);
}

gale_security_zap_t *
gale_security_zap_start(void *ctx, gale_security_keyset_t *keys,
    char **cause)
{
    gale_security_zap_t *zap = xcalloc(1, sizeof *zap);
    char ep[64];
    int linger = 0, rc;

    zap->ctx = ctx;
    zap->keys = keys;
    atomic_init(&zap->accepted, 0);
    atomic_init(&zap->refused, 0);
    if (keys == NULL) {
        sec_fail(cause, -EINVAL, "ZAP handler: no allowed keys");
        goto fail;
    }
    if ((zap->zap = zmq_socket(ctx, ZMQ_REP)) == NULL ||
        zmq_setsockopt(zap->zap, ZMQ_LINGER, &linger, sizeof linger) != 0)
        goto zmq_fail;
    if (zmq_bind(zap->zap, ZAP_ENDPOINT) != 0) {
        if (errno == EADDRINUSE)
            sec_fail(cause, -EADDRINUSE, "ZAP handler: this ZeroMQ context "
                "already has one (%s is bound); there is one per context",
                ZAP_ENDPOINT);
        else
            sec_fail(cause, -errno, "ZAP handler: bind %s: %s", ZAP_ENDPOINT,
                zmq_strerror(errno));
        goto fail;
    }
    snprintf(ep, sizeof ep, "inproc://gale-zap-pipe-%p", (void *)zap);
    if ((zap->tpipe = zmq_socket(ctx, ZMQ_PAIR)) == NULL ||
        zmq_setsockopt(zap->tpipe, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_bind(zap->tpipe, ep) != 0 ||
        (zap->pipe = zmq_socket(ctx, ZMQ_PAIR)) == NULL ||
        zmq_setsockopt(zap->pipe, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_connect(zap->pipe, ep) != 0)
        goto zmq_fail;
    if ((rc = pthread_create(&zap->thread, NULL, run, zap)) != 0) {
        sec_fail(cause, -rc, "ZAP handler: cannot start its thread: %s",
            strerror(rc));
        goto fail;
    }
    zap->started = true;
    return zap;
zmq_fail:
    sec_fail(cause, -errno, "ZAP handler: %s", zmq_strerror(errno));
fail:
    zap_free(zap);
    return NULL;
}

void
gale_security_zap_stop(gale_security_zap_t **zapp)
{
    gale_security_zap_t *zap;
    char cmd = CMD_STOP;

    if (zapp == NULL || (zap = *zapp) == NULL)
        return;
    if (zap->started) {
        /* If the context is already being terminated the send fails, and
         * the thread has left its poll with ETERM on its own. */
        zmq_send(zap->pipe, &cmd, 1, 0);
        pthread_join(zap->thread, NULL);
    }
    zap_free(zap);
    *zapp = NULL;
}

int
gale_security_zap_reload(gale_security_zap_t *zap,
    gale_security_keyset_t *keys)
{
    char buf[1 + sizeof keys], ack[2];

    if (keys == NULL)
        return -EINVAL;
    buf[0] = CMD_RELOAD;
    memcpy(buf + 1, &keys, sizeof keys);
    if (zmq_send(zap->pipe, buf, sizeof buf, 0) < 0) {
        int rc = -errno;

        gale_security_keyset_destroy(&keys);
        return rc;
    }
    /* From here the thread owns keys; wait until it uses them, so that
     * the caller knows every later handshake sees the new set. */
    if (zmq_recv(zap->pipe, ack, sizeof ack, 0) < 0)
        return -errno;
    return 0;
}

uint64_t
gale_security_zap_accepted(const gale_security_zap_t *zap)
{
    return atomic_load(&((gale_security_zap_t *)zap)->accepted);
}

uint64_t
gale_security_zap_refused(const gale_security_zap_t *zap)
{
    return atomic_load(&((gale_security_zap_t *)zap)->refused);
}

bool
sec_zap_started(const gale_security_zap_t *zap)
{
    return zap != NULL && zap->started;
}
