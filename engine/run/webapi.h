/* webapi.h - the topology master's HTTP front: /metrics (Prometheus
 * text), the REST API shaped like Storm UI's (/api/v1/...,
 * docs/rest.md) and the web UI (/ui/, docs/ui.md), on an
 * engine/web/httpd.h server polled by the master's loop.
 *
 * Reads come from the monitor (engine/run/monitor.h). Writes (POST
 * activate, deactivate, kill, savepoint, stop-savepoint, rebalance) are
 * console requests (engine/run/console.h's protocol), run through the
 * act callback that the master implements with gale_console_server_exec:
 * the same checks and the same code paths as `gale deactivate` and the
 * rest. A POST is taken from a loopback peer, or from any peer that sends
 * "Authorization: Bearer TOKEN" when the topology sets gale.http.token;
 * others get 403.
 *
 * Not thread-safe: the master's thread is its only user.
 */
#ifndef GALE_RUN_WEBAPI_H
#define GALE_RUN_WEBAPI_H

#include <zmq.h>

#include "engine/run/monitor.h"
#include "engine/web/httpd.h"
#include "topology/plan.h"

typedef struct gale_webapi gale_webapi_t;       /* opaque */

/* Runs console request line request. Returns 0 with *reply (caller
 * frees: "ok ..." or "error ..."), 1 when it was accepted and is
 * answered later (a savepoint), -1 when the topology takes no commands. */
typedef int (*gale_webapi_act_fn)(void *arg, const char *request,
    char **reply);

/* Whether req may change a topology: it comes from loopback, or carries
 * "Authorization: Bearer TOKEN" with token (NULL or "": none). Compares
 * in constant time. Shared with nimbus's HTTP API. */
bool gale_webapi_may_write(const gale_http_req_t *req, const char *token);
/* Builds the console request line of POST action (activate, deactivate,
 * kill, savepoint, stop-savepoint, rebalance) from req's JSON body (or
 * ?wait= for kill): "kill 5", "savepoint DIR", "rebalance DIR SPEC"...
 * Caller frees. NULL with why set when the body does not make one (why
 * starts "unknown action" for an action not in the list). */
char *gale_webapi_action_request(const gale_http_req_t *req,
    const char *action, char *why, size_t wlen);
/* The first steps of a POST action handler, the master's and nimbus's:
 * whether req may write (gale_webapi_may_write with token; token_name
 * says in the 403's message what the token is, e.g. "nimbus's
 * --http-token"), then the console request line of action
 * (gale_webapi_action_request). The line (caller frees), or NULL when
 * resp holds the answer: 403, 404 (unknown action) or 400. */
char *gale_webapi_post_request(const gale_http_req_t *req, const char *token,
    const char *token_name, const char *action, gale_http_resp_t *resp);
/* The address plan's topology serves on: its gale.http.address
 * ("127.0.0.1:0" by default), or NULL when that is "off". */
const char *gale_webapi_address(const gale_plan_t *plan);
/* Listens on addr. monitor is borrowed and outlives the server. NULL
 * with *cause (caller frees) when addr cannot be used. */
gale_webapi_t *gale_webapi_open(const char *addr, const gale_plan_t *plan,
    gale_monitor_t *monitor, gale_webapi_act_fn act, void *arg,
    char **cause);
/* Stops serving and sets *wp to NULL. Accepts NULL and *NULL. */
void gale_webapi_close(gale_webapi_t **wp);
/* "HOST:PORT" as bound. */
const char *gale_webapi_bound(const gale_webapi_t *w);
/* As gale_httpd_pollitems and gale_httpd_run; accept NULL. */
int gale_webapi_pollitems(gale_webapi_t *w, zmq_pollitem_t *items, int max,
    long *timeout_ms);
void gale_webapi_run(gale_webapi_t *w);

#endif
