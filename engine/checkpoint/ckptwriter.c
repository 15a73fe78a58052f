/* ckptwriter.c - the thread that writes task snapshots to disk. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "common/failpoint.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "engine/net/endpoint.h"
#include "engine/checkpoint/ckptwriter.h"
#include "engine/net/netsec.h"

/* One job: a snapshot to write and the ack to send once it is durable.
 * A job with snap == NULL stops the thread. */
typedef struct job {
    gale_snap_t *snap;          /* owned by whoever holds the job */
    int32_t exec;               /* executor index for the report */
    gale_report_ack_t ack;      /* filled in by the executor */
} job_t;

struct gale_ckptwriter {
    void *zctx;                 /* borrowed */
    char *dir;                  /* checkpoint directory, owned */
    char ep[256];               /* the jobs endpoint */
    void *pull;                 /* jobs in (bound) */
    void *report;               /* acks out (connected) */
    pthread_t thread;
};

/* Writes one job's file and acknowledges it. A failed write is reported
 * as FAILED (the checkpoint then times out and is declined). */
static void
write_job(gale_ckptwriter_t *w, job_t *j)
{
    gale_report_hdr_t h = { .exec = j->exec };
    uint8_t hb[GALE_REPORT_HDR_SIZE], ab[GALE_REPORT_ACK_SIZE];
    char *file = NULL, msg[512];
    size_t bytes = 0;
    int rc;

    gale_failpoint("snapshot_write");
    rc = gale_ckpt_write_snap(w->dir, j->snap, &file, &bytes);
    gale_snap_destroy(&j->snap);
    if (rc != 0) {
        h.type = GALE_REPORT_FAILED;
        snprintf(msg, sizeof msg, "task %d: writing checkpoint %llu: %s",
            j->ack.task, (unsigned long long)j->ack.ckpt, strerror(-rc));
        gale_report_hdr_encode(&h, hb);
        zmq_send(w->report, hb, sizeof hb, ZMQ_SNDMORE);
        zmq_send(w->report, msg, strlen(msg) + 1, 0);
        return;
    }
    h.type = GALE_REPORT_ACK;
    j->ack.bytes = bytes;
    gale_report_hdr_encode(&h, hb);
    gale_report_ack_encode(&j->ack, ab);
    zmq_send(w->report, hb, sizeof hb, ZMQ_SNDMORE);
    zmq_send(w->report, ab, sizeof ab, ZMQ_SNDMORE);
    zmq_send(w->report, file, strlen(file) + 1, 0);
    free(file);
}

static void *
writer_main(void *arg)
{
    gale_ckptwriter_t *w = arg;
    job_t j;
    int n;

    pthread_setname_np(pthread_self(), "gale-ckptwrite");
    for (;;) {
        n = zmq_recv(w->pull, &j, sizeof j, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n != (int)sizeof j)
            break;
        if (j.snap == NULL) {
            /* The stop job. PULL fair-queues over its peers, so it can
             * overtake jobs that executors submitted on their own sockets
             * before stop was called: write those too. */
            while (zmq_recv(w->pull, &j, sizeof j, ZMQ_DONTWAIT) ==
                (int)sizeof j)
                if (j.snap != NULL)
                    write_job(w, &j);
            break;
        }
        write_job(w, &j);
    }
    return NULL;
}

gale_ckptwriter_t *
gale_ckptwriter_start(void *zctx, const char *prefix,
    const char *report_prefix, const char *dir, char **cause)
{
    gale_ckptwriter_t *w = xcalloc(1, sizeof *w);
    char ep[256];
    int linger = 0, rc;

    w->zctx = zctx;
    w->dir = xstrdup(dir);
    w->pull = zmq_socket(zctx, ZMQ_PULL);
    w->report = zmq_socket(zctx, ZMQ_PUSH);
    zmq_setsockopt(w->pull, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(w->report, ZMQ_LINGER, &linger, sizeof linger);
    snprintf(ep, sizeof ep, "%swriter", prefix);
    snprintf(w->ep, sizeof w->ep, "%s", ep);
    if (zmq_bind(w->pull, ep) != 0)
        goto zfail;
    if (gale_endpoint(ep, sizeof ep, report_prefix, "report") != 0 ||
        gale_netsec_connect(w->report, ep, GALE_NETSEC_CONTROL) != 0)
        goto zfail;
    if ((rc = pthread_create(&w->thread, NULL, writer_main, w)) != 0) {
        xasprintf(cause, "checkpoint writer: %s", strerror(rc));
        goto fail;
    }
    return w;
zfail:
    xasprintf(cause, "%s: %s", ep, zmq_strerror(errno));
fail:
    zmq_close(w->pull);
    zmq_close(w->report);
    free(w->dir);
    free(w);
    return NULL;
}

void
gale_ckptwriter_stop(gale_ckptwriter_t **wp)
{
    gale_ckptwriter_t *w;
    job_t stop = { 0 };
    void *push;
    int linger = 0;

    if (wp == NULL || (w = *wp) == NULL)
        return;
    /* The writer drains the jobs already submitted when the stop job
     * arrives (writer_main). */
    push = zmq_socket(w->zctx, ZMQ_PUSH);
    zmq_setsockopt(push, ZMQ_LINGER, &linger, sizeof linger);
    if (push != NULL && zmq_connect(push, w->ep) == 0)
        zmq_send(push, &stop, sizeof stop, 0);
    pthread_join(w->thread, NULL);
    if (push != NULL)
        zmq_close(push);
    zmq_close(w->pull);
    zmq_close(w->report);
    free(w->dir);
    free(w);
    *wp = NULL;
}

int
gale_ckptwriter_submit(void *sock, int exec, gale_snap_t *snap,
    const gale_report_ack_t *ack)
{
    job_t j = { .snap = snap, .exec = exec, .ack = *ack };
    int rc;

    if (zmq_send(sock, &j, sizeof j, 0) != (int)sizeof j) {
        rc = -errno;
        gale_snap_destroy(&snap);
        return rc;
    }
    return 0;
}
