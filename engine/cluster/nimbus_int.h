/* nimbus_int.h - what nimbus.c (the daemon: its table of topologies,
 * their masters, forwarding to consoles, the loop) and nimverbs.c (the
 * requests and their verbs) share. Internal to those two files; the
 * daemon's one thread owns every structure here. */
#ifndef GALE_CLUSTER_NIMBUS_INT_H
#define GALE_CLUSTER_NIMBUS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gale/clock.h>

#include "engine/net/cluster.h"
#include "engine/cluster/nimbus.h"
#include "engine/cluster/nimrecord.h"

#define TICK_MS 200             /* the loop's poll timeout */
#define STATUS_EVERY_MS 2000    /* a master's status is asked this often */
#define STATUS_FRESH_MS 6000    /* an answer older than this is stale */
#define STARTING_MS 30000       /* no answer yet: STARTING for this long */
#define QUICK_MS 5000           /* activate, deactivate, kill */
#define REBALANCE_MS (30 * 60 * 1000)
#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS 30000
#define STABLE_MS 60000         /* a master that ran this long starts over */
#define KILL_GRACE_MS 300000    /* killed, still there after SECS + this:
                                   SIGTERM; a minute later SIGKILL */
#define MAX_FRAMES 1024         /* frames of a request */
#define MAX_MSG (64 << 20)      /* bytes of one frame */
#define MS (UINT64_C(1000000))  /* ns per ms */

/* A topology nimbus holds. */
typedef struct topo {
    gale_nimrec_t *rec;         /* owned; what its record file says */
    char *cfg;                  /* owned; ROOT/topologies/NAME/topology.cfg */
    bool child;                 /* rec->pid is our child; else adopted */
    uint64_t started_ns;        /* its master's start or adoption */
    uint64_t restart_at;        /* a restart is due then (ns); 0: none */
    int backoff_ms;             /* the delay of the next restart */
    uint64_t term_at;           /* killing: signal the master then; 0 none */
    int term_sent;              /* 0, 1 (SIGTERM sent), 2 (SIGKILL sent) */
    char status[24];            /* its console's last status word, or "" */
    unsigned long tasks;        /* from that status */
    int workers;                /* from that status */
    uint64_t status_ns;         /* when it was read */
    int console_pid;            /* the pid that status named; 0: none yet */
    uint64_t poll_ns;           /* when a status was last asked */
    bool polling;               /* a status request is in flight */
    double uptime_s;            /* from that status */
    unsigned long long emitted; /* from that status: the spouts' */
    unsigned long long executed;/* from that status: the bolts' */
    unsigned long long last_ckpt;/* from that status */
    char *page;                 /* owned; its console's `metrics` answer
                                   (the REST topology page), or NULL */
    uint64_t page_ns;           /* when it was read */
    char *prom;                 /* owned; its console's `prometheus` answer
                                   (the master's /metrics text), or NULL */
    uint64_t prom_ns;           /* when it was read */
} topo_t;

/* A request forwarded to a master's console. */
typedef struct fwd {
    void *sock;                 /* owned REQ socket */
    char *name;                 /* owned; the topology */
    char *verb;                 /* owned; for replies and the log */
    char *spec;                 /* owned; rebalance's spec, else NULL */
    void *route;                /* owned; the client's routing id; NULL for
                                   a status poll */
    size_t routelen;
    bool envelope;              /* the client is a REQ: echo the delimiter */
    bool http;                  /* asked over nimbus's HTTP API (nimweb.c):
                                   the answer is only logged */
    int timeout_ms;             /* for the error message */
    uint64_t deadline;          /* ns */
} fwd_t;

/* A supervisor that registered. */
typedef struct sup {
    char *name;                 /* owned */
    char *host;                 /* owned */
    int port;
    int pid;
    int workers;
    uint64_t seen_ns;           /* its last register */
    bool alive;                 /* heard within the cluster's timeout */
} sup_t;

/* A request read from the ROUTER. Frames after the envelope, NUL added. */
typedef struct req {
    void *route;                /* owned */
    size_t routelen;
    bool envelope;
    char **f;                   /* owned; f[0] magic, f[1] verb, args */
    size_t *flen;
    size_t nf;
    bool http;                  /* made by nimbus's HTTP API (nimweb.c): no
                                   client to send to; a reply goes into
                                   nimbus's http_reply */
} req_t;

typedef struct nimbus {
    const gale_cluster_t *c;    /* borrowed */
    const gale_nimbus_opts_t *o;/* borrowed */
    char *root;                 /* owned; the record's root, absolute */
    char *exe;                  /* owned; the gale binary */
    char *ep;                   /* owned; where the ROUTER listens */
    void *zctx;                 /* owned */
    void *router;               /* owned */
    bool zap;                   /* gale_netsec_start ran */
    bool listening;             /* the ROUTER was bound */
    topo_t **topos;             /* owned */
    size_t ntopos;
    fwd_t **fwds;               /* owned */
    size_t nfwds;
    sup_t *sups;                /* owned */
    size_t nsups;
    char **unknown;             /* owned; unlisted supervisors, logged once */
    size_t nunknown;
    uint64_t refused;           /* ZAP refusals logged so far */
    uint64_t next_check;        /* adopted masters are checked then (ns) */
    struct gale_httpd *httpd;   /* owned: engine/cluster/nimweb.c; NULL:
                                   off */
    char *http_token;           /* owned: the bearer token that lets a peer
                                   other than loopback POST; NULL: none */
    char *http_reply;           /* owned: the reply to the last HTTP
                                   request (req_t.http), or NULL */
    bool http_ok;               /* ... and whether it said ok */
    bool http_forwarded;        /* ... or it went to its master */
} nimbus_t;


/* The topology called name, or NULL. */
topo_t *nimbus_topo_find(const nimbus_t *n, const char *name);
/* Takes rec into the table; returns its entry. */
topo_t *nimbus_topo_add(nimbus_t *n, gale_nimrec_t *rec);
/* Removes t from the table and its record from disk (a failure is
 * logged); t is freed. */
void nimbus_topo_remove(nimbus_t *n, topo_t *t);
/* Writes t's record; a failure is logged (the previous record stays,
 * which a restarted nimbus copes with). */
void nimbus_topo_save(nimbus_t *n, topo_t *t);
/* The lowest slot no live topology holds, or -1 when the ports run out. */
int nimbus_free_slot(const nimbus_t *n);
/* Starts t's master and records its pid. 0, or -errno (logged; a restart
 * is scheduled). */
int nimbus_start_master(nimbus_t *n, topo_t *t);
/* A killed topology whose master cannot be asked: SIGTERM (gale run
 * stops gracefully), and SIGKILL a minute later if it is still there. */
void nimbus_sigterm(topo_t *t);
/* Sends request to t's console; the answer goes to q's client (or, with
 * q NULL, into t's status). 0, or -1 after replying with the error. */
int nimbus_forward(nimbus_t *n, topo_t *t, const req_t *q, const char *verb,
    const char *request, const char *spec, int timeout_ms);

/* Sends a reply to route: magic, "ok"/"error", text, items. Never blocks:
 * a client that went away loses it. */
void nimbus_send_reply(nimbus_t *n, const void *route, size_t routelen,
    bool envelope, bool ok, const char *text, char *const *items,
    size_t nitems);
/* Replies to q with a formatted text and no items. */
void nimbus_reply(nimbus_t *n, const req_t *q, bool ok, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

/* Reads one message from the ROUTER into q. 0; -1 when there was none;
 * 1 when it was read but is malformed (too many frames: drained). */
int nimbus_req_read(nimbus_t *n, req_t *q);
/* Frees what q holds and zeroes it. */
void nimbus_req_clear(req_t *q);
/* Handles q (rc: what nimbus_req_read returned), replying unless it is a
 * supervisor's register. */
void nimbus_dispatch(nimbus_t *n, req_t *q, int rc);
/* Marks supervisors not heard within the cluster's timeout as dead. */
void nimbus_check_sups(nimbus_t *n, uint64_t now);

/* nimweb.c: starts n's HTTP server on addr (/metrics, the read-only REST
 * API, from what the status and metrics polls brought). 0, or -1 with
 * *cause. */
int nimbus_web_open(nimbus_t *n, const char *addr, char **cause);
/* The status `gale list --cluster` shows for t (a static string). */
const char *nimbus_status_word(const topo_t *t, uint64_t now);
/* Whether a topology's status is recent enough to count as up. */
bool nimbus_status_fresh(const topo_t *t, uint64_t now);

#endif
