/* supproto.h - the supervisor protocol, defined once: what a topology
 * master (engine/run/supclient.c) and a supervisor (engine/cluster/
 * supervisor.c) say to each other. This module owns the magic, the verbs,
 * the frame layout, building requests, reading replies and the texts of
 * the replies; the two sides own their sockets.
 *
 * Each supervisor binds a ROUTER at tcp://HOST:PORT (CURVE server with
 * its host's key); a client holds one DEALER per supervisor (CURVE client
 * of that key). A request is the frames
 *   GALE_SUP_MAGIC, VERB, SEQ (decimal text), ARG...
 * and its reply
 *   GALE_SUP_MAGIC, VERB, SEQ, "ok" | "error", TEXT, ITEM...
 * (the supervisor sees a routing id before them). Verbs:
 *   ping                         -> ok "name=N pid=P workers=K",
 *                                   ITEM per worker process it holds:
 *                                   "topology=T worker=W epoch=E pid=P
 *                                    state=running|exited:S|signal:S"
 *   spawn T W E CWD FILE SPEC ARG...
 *                                -> ok "pid=P"; first kills (SIGKILL,
 *                                   reaped) T's workers of epochs < E and
 *                                   any running T/W; writes FILE's text to
 *                                   DIR/T/topology.cfg; runs `gale worker
 *                                   DIR/T/topology.cfg ARG...` in CWD (or
 *                                   DIR/T when CWD is missing) with
 *                                   GALE_WORKER_SPEC=SPEC;cluster=PATH;
 *                                   self=NAME, output appended to
 *                                   DIR/T/worker-W.log
 *   kill T E                     -> ok "killed=K": SIGKILLs and reaps T's
 *                                   workers of epochs <= E (E = 0: all)
 * Unknown verbs and malformed requests get an error reply, never a crash.
 *
 * Pure functions on strings: any thread.
 */
#ifndef GALE_NET_SUPPROTO_H
#define GALE_NET_SUPPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The first frame of every request and reply. */
#define GALE_SUP_MAGIC      "GALE-SUP1"

/* The verbs. */
#define GALE_SUP_PING       "ping"
#define GALE_SUP_SPAWN      "spawn"
#define GALE_SUP_KILL       "kill"

/* A reply's status frame. */
#define GALE_SUP_OK         "ok"
#define GALE_SUP_ERROR      "error"

/* Where each frame is, counted from the magic (the supervisor adds one
 * for the routing id). */
enum {
    GALE_SUP_F_MAGIC = 0,
    GALE_SUP_F_VERB = 1,
    GALE_SUP_F_SEQ = 2,
    GALE_SUP_F_ARG = 3,             /* a request's first argument */
    GALE_SUP_F_STATUS = 3,          /* a reply's "ok" | "error" */
    GALE_SUP_F_TEXT = 4,
    GALE_SUP_F_ITEM = 5             /* a reply's first item */
};

/* Frames of each request, magic included (spawn: at least, then ARGs). */
#define GALE_SUP_PING_FRAMES    3
#define GALE_SUP_SPAWN_FRAMES   9
#define GALE_SUP_KILL_FRAMES    5

/* Longest topology name a supervisor takes. */
#define GALE_SUP_MAX_NAME       127

/* One worker process a supervisor holds: one item of a ping reply. */
typedef struct gale_sup_worker {
    char topology[GALE_SUP_MAX_NAME + 1];
    int worker;
    uint32_t epoch;
    int pid;
    int exited;             /* 0 running; 1 exited (status); 2 signal */
    int status;             /* exit status or signal number */
} gale_sup_worker_t;

/* A reply as its frames are: borrowed pointers into the caller's
 * strings. */
typedef struct gale_sup_reply {
    const char *verb;
    unsigned long long seq;
    bool ok;                        /* "ok" (else "error") */
    const char *text;
    char *const *items;             /* the frames after TEXT */
    int nitems;
} gale_sup_reply_t;

/* Fills f with the request VERB SEQ ARG... (nargs args): f needs room for
 * GALE_SUP_F_ARG + nargs frames. The SEQ frame's text goes into seqbuf,
 * which (like verb and args) must outlive f. Returns the frame count. */
int gale_supproto_request(const char **f, char seqbuf[24], const char *verb,
    unsigned long long seq, const char *const *args, int nargs);

/* w as a ping reply's item. Caller frees. */
char *gale_supproto_worker_format(const gale_sup_worker_t *w);
/* Parses a ping reply's item into w. false when it is malformed. */
bool gale_supproto_worker_parse(const char *item, gale_sup_worker_t *w);

/* Ping's TEXT. Caller frees. */
char *gale_supproto_ping_format(const char *name, int pid, int workers);
/* Spawn's TEXT, "pid=P", into buf (len >= 32 always fits). */
void gale_supproto_spawned_format(char *buf, size_t len, int pid);
/* Parses spawn's TEXT. false when it is not "pid=P". */
bool gale_supproto_spawned_parse(const char *text, int *pid);
/* Kill's TEXT, "killed=K", into buf (len >= 32 always fits). */
void gale_supproto_killed_format(char *buf, size_t len, int killed);

/* Reads the nf frames f of a reply into r (pointers into f). false when
 * they are not a reply of this protocol. */
bool gale_supproto_reply_parse(char *const *f, int nf, gale_sup_reply_t *r);

#endif
