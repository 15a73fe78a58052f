/* netsec.c - this process's cluster security (netsec.h). */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "common/xalloc.h"
#include "engine/net/netsec.h"

#define MAX_CTX 8

/* A server's key, by its key pair's name. */
typedef struct peer_key {
    char *name;
    char z85[GALE_SECURITY_Z85_LEN + 1];
} peer_key_t;

/* Set once by init (main thread, before any socket), read-only after. */
static struct {
    bool inited;
    bool curve;
    gale_security_keypair_t self;
    char *keys_dir;
    char *control;                  /* the control plane's key name */
    peer_key_t *peers;
    int npeers;
} ns;

/* The ZAP handlers, per context; bind runs on other threads too. */
static pthread_mutex_t zaps_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    void *zctx;
    gale_security_zap_t *zap;
} zaps[MAX_CTX];

static void
add_peer(const gale_cluster_member_t *m)
{
    int i;

    for (i = 0; i < ns.npeers; i++)
        if (strcmp(ns.peers[i].name, m->key) == 0)
            return;
    ns.peers = xrealloc(ns.peers, (size_t)(ns.npeers + 1) * sizeof *ns.peers);
    ns.peers[ns.npeers].name = xstrdup(m->key);
    memcpy(ns.peers[ns.npeers].z85, m->public_z85, sizeof m->public_z85);
    ns.npeers++;
}

int
gale_netsec_init(const gale_cluster_t *c, const char *self_key, char **cause)
{
    char *path;
    int i, rc;

    if (ns.inited) {
        if (cause != NULL)
            *cause = xstrdup("netsec: initialised twice");
        return -EALREADY;
    }
    ns.curve = c->security == GALE_SECURITY_CURVE;
    if (ns.curve) {
        if ((rc = gale_security_check_curve(cause)) != 0)
            return rc;
        if (strchr(self_key, '/') != NULL)
            path = xstrdup(self_key);
        else
            path = gale_cluster_key_path(c, self_key, true);
        rc = gale_security_secret_read(path, &ns.self, cause);
        free(path);
        if (rc != 0)
            return rc;
        ns.keys_dir = xstrdup(c->keys_dir);
        add_peer(&c->nimbus);
        for (i = 0; i < c->nsups; i++)
            add_peer(&c->sups[i]);
    }
    ns.control = xstrdup(c->nimbus.key);
    ns.inited = true;
    return 0;
}

void
gale_netsec_clear(void)
{
    int i;

    for (i = 0; i < ns.npeers; i++)
        free(ns.peers[i].name);
    free(ns.peers);
    free(ns.keys_dir);
    free(ns.control);
    gale_security_keypair_release(&ns.self);
    memset(&ns, 0, sizeof ns);
}

int
gale_netsec_curve(void)
{
    return ns.inited && ns.curve;
}

/* The slot of zctx's handler, or -1. Hold zaps_lock. */
static int
zap_slot(void *zctx)
{
    int i;

    for (i = 0; i < MAX_CTX; i++)
        if (zaps[i].zctx == zctx && zaps[i].zap != NULL)
            return i;
    return -1;
}

int
gale_netsec_start(void *zctx, char **cause)
{
    gale_security_keyset_t *keys;
    gale_security_zap_t *zap;
    int i;

    if (!gale_netsec_curve())
        return 0;
    /* Loaded now, not at init: a key added to the directory counts from
     * the next process or attempt on. */
    if ((keys = gale_security_keyset_load_dir(ns.keys_dir, cause)) == NULL)
        return -EINVAL;
    if ((zap = gale_security_zap_start(zctx, keys, cause)) == NULL)
        return -EINVAL;
    pthread_mutex_lock(&zaps_lock);
    for (i = 0; i < MAX_CTX && zaps[i].zap != NULL; i++)
        ;
    if (i < MAX_CTX) {
        zaps[i].zctx = zctx;
        zaps[i].zap = zap;
    }
    pthread_mutex_unlock(&zaps_lock);
    if (i == MAX_CTX) {
        gale_security_zap_stop(&zap);
        if (cause != NULL)
            *cause = xstrdup("netsec: too many ZeroMQ contexts");
        return -ENOSPC;
    }
    return 0;
}

void
gale_netsec_stop(void *zctx)
{
    gale_security_zap_t *zap = NULL;
    int i;

    pthread_mutex_lock(&zaps_lock);
    if ((i = zap_slot(zctx)) >= 0) {
        zap = zaps[i].zap;
        zaps[i].zap = NULL;
        zaps[i].zctx = NULL;
    }
    pthread_mutex_unlock(&zaps_lock);
    gale_security_zap_stop(&zap);
}

uint64_t
gale_netsec_refused(void *zctx)
{
    uint64_t n = 0;
    int i;

    pthread_mutex_lock(&zaps_lock);
    if ((i = zap_slot(zctx)) >= 0)
        n = gale_security_zap_refused(zaps[i].zap);
    pthread_mutex_unlock(&zaps_lock);
    return n;
}

int
gale_netsec_bind(void *zctx, void *sock, const char *ep)
{
    int i, rc = -EINVAL;

    if (gale_netsec_curve() && strncmp(ep, "tcp://", 6) == 0) {
        pthread_mutex_lock(&zaps_lock);
        if ((i = zap_slot(zctx)) >= 0)
            rc = gale_security_server_setup(sock, &ns.self, zaps[i].zap);
        pthread_mutex_unlock(&zaps_lock);
        if (rc != 0) {
            /* No handler (or a bad key): never bind an open door. */
            errno = rc == -EINVAL ? EPROTO : -rc;
            return -1;
        }
    }
    return zmq_bind(sock, ep);
}

int
gale_netsec_connect(void *sock, const char *ep, const char *peer)
{
    const char *name = peer != NULL ? peer : ns.control;
    int i, rc;

    if (gale_netsec_curve() && strncmp(ep, "tcp://", 6) == 0) {
        for (i = 0; i < ns.npeers; i++)
            if (strcmp(ns.peers[i].name, name) == 0)
                break;
        if (i == ns.npeers) {
            errno = ENOKEY;
            return -1;
        }
        if ((rc = gale_security_client_setup(sock, &ns.self,
            ns.peers[i].z85)) != 0) {
            errno = -rc;
            return -1;
        }
    }
    return zmq_connect(sock, ep);
}
