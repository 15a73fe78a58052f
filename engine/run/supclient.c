/* supclient.c - a master's line to the supervisors (supclient.h).
 *
 * One DEALER per supervisor, with ZMQ_IMMEDIATE: a request goes only to
 * a connected supervisor, so nothing piles up for a dead host and comes
 * out late when it returns (a late spawn would start a worker nobody
 * waits for any more). A ping that cannot go is simply dropped: the next
 * one goes when the host is back. A spawn waits (up to its timeout) for
 * the connection; one that got no reply resets its socket, so the request
 * cannot reach the host afterwards. A kill that cannot go yet is kept
 * here and sent by a later poll. ZMTP heartbeats drop a connection whose
 * host went silent, which is what makes "connected" mean something.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "engine/net/netsec.h"
#include "engine/run/supclient.h"
#include "engine/transport/outlet.h"

#define ORIGIN          "supclient"
#define MAX_ITEMS       4096        /* workers read from one ping reply */
#define MAX_KILLS       16          /* kills kept for one supervisor */
#define MAX_REPLY       (1 << 20)   /* bytes of one reply frame */
#define SNDHWM          16
#define HEARTBEAT_MS    1000
#define CLOSE_LINGER_MS 1000

/* A kill not sent yet. */
typedef struct pending_kill {
    char topology[GALE_SUP_MAX_NAME + 1];
    uint32_t epoch;                 /* 0: every epoch */
} pending_kill_t;

/* The line to one supervisor. */
typedef struct link {
    const gale_cluster_member_t *m; /* in the cluster */
    char *ep;                       /* its endpoint */
    void *sock;                     /* DEALER, or NULL when connect failed */
    uint64_t pinged_ns;             /* last ping attempt; 0 never */
    uint64_t heard_ns;              /* last reply, or the client's birth */
    uint64_t ping_seq;              /* SEQ of the ping reply applied last */
    gale_sup_worker_t *w;           /* its workers, from that reply; NULL
                                       until the first one (callers tell
                                       "never answered" by it) */
    int nw;
    pending_kill_t kills[MAX_KILLS]; /* kills waiting for the connection */
    int nkills;
} link_t;

struct gale_supclient {
    void *zctx;                     /* borrowed */
    const gale_cluster_t *c;        /* borrowed */
    link_t *l;                      /* one per c->sups[i] */
    int n;
    uint64_t seq;                   /* last SEQ used */
};

/* A reply a caller waits for. */
typedef struct awaited {
    int link;                       /* which supervisor */
    uint64_t seq;                   /* its SEQ */
    bool found;                     /* set when it came */
    bool ok;                        /* "ok" (else "error") */
    char *text;                     /* its TEXT (owned) */
} awaited_t;

static void flush_kills(link_t *l);

/* Makes link l's socket and connects it. Failures are logged: the
 * supervisor then never answers. */
static void
link_open(gale_supclient_t *sc, link_t *l)
{
    int zero = 0, one = 1, hwm = SNDHWM, ivl = HEARTBEAT_MS;
    int hbto = sc->c->supervisor_timeout_ms, rmax = 1000;
    int64_t maxmsg = MAX_REPLY;

    if ((l->sock = zmq_socket(sc->zctx, ZMQ_DEALER)) == NULL) {
        log_msg(LOG_ERROR, ORIGIN, "zmq_socket: %s", zmq_strerror(errno));
        return;
    }
    zmq_setsockopt(l->sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(l->sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(l->sock, ZMQ_IMMEDIATE, &one, sizeof one);
    zmq_setsockopt(l->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    zmq_setsockopt(l->sock, ZMQ_RECONNECT_IVL_MAX, &rmax, sizeof rmax);
    zmq_setsockopt(l->sock, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl);
    if (hbto < 2 * HEARTBEAT_MS)
        hbto = 2 * HEARTBEAT_MS;
    zmq_setsockopt(l->sock, ZMQ_HEARTBEAT_TIMEOUT, &hbto, sizeof hbto);
    if (gale_netsec_connect(l->sock, l->ep, l->m->key) != 0) {
        log_msg(LOG_ERROR, ORIGIN, "supervisor %s: cannot connect to %s: %s",
            l->m->name, l->ep, zmq_strerror(errno));
        zmq_close(l->sock);
        l->sock = NULL;
    }
}

/* Drops link l's socket, and with it whatever it had queued, and makes a
 * new one. */
static void
link_reset(gale_supclient_t *sc, link_t *l)
{
    if (l->sock != NULL)
        zmq_close(l->sock);
    l->sock = NULL;
    link_open(sc, l);
}

gale_supclient_t *
gale_supclient_new(void *zctx, const gale_cluster_t *c)
{
    gale_supclient_t *sc = xcalloc(1, sizeof *sc);
    uint64_t now = gale_now_ns();
    int i;

    sc->zctx = zctx;
    sc->c = c;
    sc->n = c->nsups;
    sc->l = xcalloc((size_t)(sc->n > 0 ? sc->n : 1), sizeof *sc->l);
    for (i = 0; i < sc->n; i++) {
        sc->l[i].m = &c->sups[i];
        sc->l[i].ep = gale_cluster_endpoint(&c->sups[i]);
        sc->l[i].heard_ns = now;
        link_open(sc, &sc->l[i]);
    }
    return sc;
}

void
gale_supclient_destroy(gale_supclient_t **scp)
{
    gale_supclient_t *sc;
    int i;

    if (scp == NULL || (sc = *scp) == NULL)
        return;
    for (i = 0; i < sc->n; i++) {
        if (sc->l[i].sock != NULL) {
            /* A master's last act is often a kill: what is queued for a
             * connected supervisor gets CLOSE_LINGER_MS to leave (the
             * context's termination waits that long at most). */
            int linger = CLOSE_LINGER_MS;

            flush_kills(&sc->l[i]);
            zmq_setsockopt(sc->l[i].sock, ZMQ_LINGER, &linger, sizeof linger);
            zmq_close(sc->l[i].sock);
        }
        free(sc->l[i].ep);
        free(sc->l[i].w);
    }
    free(sc->l);
    free(sc);
    *scp = NULL;
}

/* Sends the n strings of frames to link l as one request, without
 * waiting. 0, or -1 when it cannot go now (nothing was sent). */
static int
send_frames(link_t *l, const char *const *frames, int n)
{
    int i;

    if (l->sock == NULL)
        return -1;
    for (i = 0; i < n; i++)
        if (zmq_send(l->sock, frames[i], strlen(frames[i]),
            ZMQ_DONTWAIT | (i + 1 < n ? ZMQ_SNDMORE : 0)) < 0)
            /* Only the first frame can fail: once it is queued, the
             * rest of the message is too. */
            return -1;
    return 0;
}

/* Takes a ping reply's items as link l's worker list. */
static void
apply_ping(link_t *l, char *const *items, int nitems)
{
    int i;

    l->w = xreallocarray(l->w, (size_t)(nitems > 0 ? nitems : 1),
        sizeof *l->w);
    l->nw = 0;
    for (i = 0; i < nitems; i++)
        if (gale_supproto_worker_parse(items[i], &l->w[l->nw]))
            l->nw++;
}

/* Reads one message from link i and takes it in: any well-formed reply
 * counts as the supervisor being alive at now; a newer ping reply
 * replaces its worker list; the reply aw waits for is copied there.
 * false when there was nothing to read. */
static bool
read_one(gale_supclient_t *sc, int i, uint64_t now, awaited_t *aw)
{
    link_t *l = &sc->l[i];
    char **f = NULL;
    gale_sup_reply_t r;
    int nf = 0, more = 1, k;
    zmq_msg_t m;

    while (more) {
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, l->sock, nf == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close(&m);
            if (nf == 0)
                return false;
            break;
        }
        more = zmq_msg_more(&m);
        if (nf < MAX_ITEMS + GALE_SUP_F_ITEM) {
            f = xreallocarray(f, (size_t)nf + 1, sizeof *f);
            f[nf++] = xstrndup(zmq_msg_data(&m), zmq_msg_size(&m));
        }
        zmq_msg_close(&m);
    }
    if (!gale_supproto_reply_parse(f, nf, &r)) {
        log_msg(LOG_DEBUG, ORIGIN, "supervisor %s: malformed reply dropped",
            l->m->name);
        goto out;
    }
    if (now > l->heard_ns)
        l->heard_ns = now;
    if (strcmp(r.verb, GALE_SUP_PING) == 0 && r.ok && r.seq > l->ping_seq) {
        l->ping_seq = r.seq;
        apply_ping(l, r.items, r.nitems);
    }
    if (aw != NULL && aw->link == i && aw->seq == r.seq && !aw->found) {
        aw->found = true;
        aw->ok = r.ok;
        aw->text = f[GALE_SUP_F_TEXT];
        f[GALE_SUP_F_TEXT] = NULL;
    }
out:
    for (k = 0; k < nf; k++)
        free(f[k]);
    free(f);
    return true;
}

/* Reads everything that came from every supervisor. */
static void
read_all(gale_supclient_t *sc, uint64_t now, awaited_t *aw)
{
    int i;

    for (i = 0; i < sc->n; i++)
        while (sc->l[i].sock != NULL && read_one(sc, i, now, aw))
            ;
}

/* Sends link l's kills that can go now (SEQ 0: nobody waits for their
 * replies). */
static void
flush_kills(link_t *l)
{
    const char *frames[GALE_SUP_KILL_FRAMES], *args[2];
    char seq[24], epoch[16];
    int n;

    while (l->nkills > 0) {
        snprintf(epoch, sizeof epoch, "%u", l->kills[0].epoch);
        args[0] = l->kills[0].topology;
        args[1] = epoch;
        n = gale_supproto_request(frames, seq, GALE_SUP_KILL, 0, args, 2);
        if (send_frames(l, frames, n) != 0)
            return;
        memmove(&l->kills[0], &l->kills[1],
            (size_t)(l->nkills - 1) * sizeof l->kills[0]);
        l->nkills--;
    }
}

void
gale_supclient_poll(gale_supclient_t *sc, uint64_t now_ns, int every_ms)
{
    const char *frames[GALE_SUP_PING_FRAMES];
    char seq[24];
    int i, n;

    for (i = 0; i < sc->n; i++) {
        link_t *l = &sc->l[i];

        flush_kills(l);
        if (l->pinged_ns != 0 &&
            now_ns - l->pinged_ns < (uint64_t)every_ms * 1000000u)
            continue;
        /* Not sent when not connected: a ping is only worth its answer. */
        l->pinged_ns = now_ns;
        n = gale_supproto_request(frames, seq, GALE_SUP_PING, ++sc->seq,
            NULL, 0);
        send_frames(l, frames, n);
    }
    read_all(sc, now_ns, NULL);
}

bool
gale_supclient_alive(const gale_supclient_t *sc, int i, uint64_t now_ns,
    int timeout_ms)
{
    const link_t *l = &sc->l[i];

    return now_ns <= l->heard_ns ||
        now_ns - l->heard_ns <= (uint64_t)timeout_ms * 1000000u;
}

const gale_sup_worker_t *
gale_supclient_workers(const gale_supclient_t *sc, int i, int *n)
{
    *n = sc->l[i].nw;
    return sc->l[i].w;
}

/* Waits up to ms for input on any supervisor, or for supervisor out to
 * take a message (out >= 0). Returns whether out can take one. */
static bool
wait_io(gale_supclient_t *sc, int out, int ms)
{
    zmq_pollitem_t *items = xcalloc((size_t)sc->n, sizeof *items);
    bool writable = false;
    int i, k = 0, outk = -1;

    for (i = 0; i < sc->n; i++) {
        if (sc->l[i].sock == NULL)
            continue;
        items[k].socket = sc->l[i].sock;
        items[k].events = ZMQ_POLLIN | (i == out ? ZMQ_POLLOUT : 0);
        if (i == out)
            outk = k;
        k++;
    }
    if (zmq_poll(items, k, ms) > 0 && outk >= 0)
        writable = (items[outk].revents & ZMQ_POLLOUT) != 0;
    free(items);
    return writable;
}

/* Milliseconds from now to deadline (0 when past). */
static int
ms_left(uint64_t deadline)
{
    uint64_t now = gale_now_ns();

    return now >= deadline ? 0 : (int)((deadline - now + 999999) / 1000000);
}

int
gale_supclient_spawn(gale_supclient_t *sc, int i, const char *topology,
    int worker, uint32_t epoch, const char *cwd, const char *file_text,
    const char *spec, char *const *argv, int timeout_ms, int *pid,
    char **cause)
{
    uint64_t deadline = gale_now_ns() + (uint64_t)timeout_ms * 1000000u;
    link_t *l = &sc->l[i];
    awaited_t aw = { .link = i };
    char seq[24], wtxt[16], etxt[16];
    const char **frames, **args;
    int nargs = 0, nf, k, rc = -1;
    bool sent = false;

    while (argv != NULL && argv[nargs] != NULL)
        nargs++;
    /* The spawn's own arguments, then the worker's. */
    args = xcalloc((size_t)nargs + 6, sizeof *args);
    frames = xcalloc((size_t)nargs + GALE_SUP_SPAWN_FRAMES + 1,
        sizeof *frames);
    aw.seq = ++sc->seq;
    snprintf(wtxt, sizeof wtxt, "%d", worker);
    snprintf(etxt, sizeof etxt, "%u", epoch);
    args[0] = topology;
    args[1] = wtxt;
    args[2] = etxt;
    args[3] = cwd != NULL ? cwd : "";
    args[4] = file_text;
    args[5] = spec;
    for (k = 0; k < nargs; k++)
        args[6 + k] = argv[k];
    nf = gale_supproto_request(frames, seq, GALE_SUP_SPAWN, aw.seq, args,
        6 + nargs);

    /* Sent once the supervisor is connected; the reply looked for while
     * every supervisor's other replies are taken in as poll would. */
    for (;;) {
        if (!sent && send_frames(l, frames, nf) == 0)
            sent = true;
        read_all(sc, gale_now_ns(), &aw);
        if (aw.found || ms_left(deadline) == 0)
            break;
        wait_io(sc, sent ? -1 : i, ms_left(deadline));
    }
    if (!aw.found) {
        if (sent) {
            xasprintf(cause, "no reply from supervisor %s (%s) within %d ms",
                l->m->name, l->ep, timeout_ms);
            /* The request may still be queued: it must not arrive late. */
            link_reset(sc, l);
        } else {
            xasprintf(cause, "supervisor %s (%s) is not connected",
                l->m->name, l->ep);
        }
    } else if (!aw.ok) {
        xasprintf(cause, "supervisor %s: %s", l->m->name, aw.text);
    } else if (!gale_supproto_spawned_parse(aw.text, pid)) {
        xasprintf(cause, "supervisor %s: unexpected reply \"%s\"",
            l->m->name, aw.text);
    } else {
        rc = 0;
    }
    free(aw.text);
    free(frames);
    free(args);
    return rc;
}

void
gale_supclient_kill(gale_supclient_t *sc, int i, const char *topology,
    uint32_t epoch)
{
    link_t *l = &sc->l[i];
    pending_kill_t *p = NULL;
    int k;

    for (k = 0; k < l->nkills && p == NULL; k++)
        if (strcmp(l->kills[k].topology, topology) == 0)
            p = &l->kills[k];
    if (p != NULL) {
        /* One kill covers both: the wider of the two. */
        if (p->epoch != 0 && (epoch == 0 || epoch > p->epoch))
            p->epoch = epoch;
    } else if (l->nkills == MAX_KILLS) {
        log_msg(LOG_WARN, ORIGIN, "supervisor %s: too many kills waiting; "
            "kill %s %u dropped", l->m->name, topology, epoch);
        return;
    } else {
        p = &l->kills[l->nkills++];
        snprintf(p->topology, sizeof p->topology, "%s", topology);
        p->epoch = epoch;
    }
    flush_kills(l);
}
