/* nimproto.h - the nimbus protocol, defined once: what clients (the gale
 * command's cluster verbs through engine/cluster/nimclient.c, and the
 * supervisors' register) and nimbus (engine/cluster/nimbus.c and
 * nimverbs.c) say to each other. This module owns the magic, the verbs,
 * the frame layout, reading a reply's frames and the register message;
 * the two sides own their sockets.
 *
 * Nimbus binds a ROUTER at tcp://NIMBUS_HOST:NIMBUS_PORT (gale_netsec_bind:
 * a CURVE server letting in the cluster's keys only, when security is
 * curve). A request is the frames
 *   GALE_NIMBUS_MAGIC, VERB, ARG...
 * (from a DEALER; a REQ client's empty delimiter is accepted and echoed)
 * and its reply
 *   GALE_NIMBUS_MAGIC, "ok" | "error", TEXT, ITEM...
 * Verbs:
 *   submit SOURCE TEXT CWD OPTION...  starts topology TEXT (SOURCE names
 *                       it in messages; CWD is where its master runs;
 *                       OPTIONs are `gale run` options: -c K=V,
 *                       --properties FILE, -e C=N, --from-savepoint DIR,
 *                       --from-checkpoint ID, --allow-non-restored-state,
 *                       --ttl SECS) -> ok "submitted NAME ..."
 *   list             -> ok "N topologies", ITEM per topology:
 *                       "name=N status=S tasks=T workers=W uptime=U
 *                        slot=K pid=P restarts=R"
 *   kill NAME SECS   -> the master's answer, or ok "removed NAME" for a
 *                       topology that had finished
 *   activate NAME, deactivate NAME
 *   rebalance NAME SPEC  (SPEC as the console's: "C=N ... workers=N")
 *   savepoint NAME DIR, stop-savepoint NAME DIR
 *   metrics NAME     -> ok and the master's console `metrics` answer: the
 *                       REST topology page as JSON (`gale top --cluster`)
 *   supervisors      -> ok "N supervisors", ITEM per supervisor:
 *                       "name=N host=H port=P pid=P workers=K
 *                        seen_ms=MS alive=yes|no"
 *   register NAME HOST PORT PID NWORKERS   (from supervisors, every
 *                       second; no reply)
 * A malformed request gets an error reply. docs/nimbus.md has the rest.
 *
 * Pure functions on strings: any thread.
 */
#ifndef GALE_NET_NIMPROTO_H
#define GALE_NET_NIMPROTO_H

#include <stdbool.h>
#include <stddef.h>

/* The first frame of every request and reply. */
#define GALE_NIMBUS_MAGIC       "GALE-NIMBUS1"

/* The verbs. */
#define GALE_NIM_SUBMIT         "submit"
#define GALE_NIM_LIST           "list"
#define GALE_NIM_KILL           "kill"
#define GALE_NIM_ACTIVATE       "activate"
#define GALE_NIM_DEACTIVATE     "deactivate"
#define GALE_NIM_REBALANCE      "rebalance"
#define GALE_NIM_SAVEPOINT      "savepoint"
#define GALE_NIM_STOP_SAVEPOINT "stop-savepoint"
#define GALE_NIM_SUPERVISORS    "supervisors"
#define GALE_NIM_METRICS        "metrics"
#define GALE_NIM_REGISTER       "register"

/* A reply's status frame. */
#define GALE_NIM_OK             "ok"
#define GALE_NIM_ERROR          "error"

/* Where each frame is (after a REQ client's delimiter, if any). */
enum {
    GALE_NIM_F_MAGIC = 0,
    GALE_NIM_F_VERB = 1,
    GALE_NIM_F_ARG = 2,             /* a request's first argument */
    GALE_NIM_F_STATUS = 1,          /* a reply's "ok" | "error" */
    GALE_NIM_F_TEXT = 2,
    GALE_NIM_F_ITEM = 3             /* a reply's first item */
};

/* A register's frames, magic included. */
#define GALE_NIM_REGISTER_FRAMES 7
/* Longest NAME and HOST of a register nimbus takes. */
#define GALE_NIM_REGISTER_MAX   256

/* A supervisor's register. */
typedef struct gale_nim_register {
    const char *name;               /* borrowed */
    const char *host;               /* borrowed */
    int port;
    int pid;
    int workers;                    /* running worker processes */
} gale_nim_register_t;

/* The numbers of a register as text (gale_nimproto_register_frames). */
typedef struct gale_nim_register_buf {
    char port[16];
    char pid[16];
    char workers[16];
} gale_nim_register_buf_t;

/* Fills f with r's GALE_NIM_REGISTER_FRAMES frames; its numbers are
 * written into buf, which (like r's strings) must outlive f. */
void gale_nimproto_register_frames(const gale_nim_register_t *r,
    gale_nim_register_buf_t *buf, const char *f[GALE_NIM_REGISTER_FRAMES]);
/* Reads the nf frames f of a register into r (pointing into f). false
 * when they are malformed: the wrong count, a number that is not a
 * non-negative int, a NAME or HOST over GALE_NIM_REGISTER_MAX. */
bool gale_nimproto_register_parse(char *const *f, size_t nf,
    gale_nim_register_t *r);

/* Whether the nf frames f are a reply of this protocol; *ok tells "ok"
 * (anything else is an error). */
bool gale_nimproto_reply_parse(char *const *f, size_t nf, bool *ok);

#endif
