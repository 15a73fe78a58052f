/* httpd.h - an HTTP/1.1 server on libmicrohttpd, driven from its owner's
 * poll loop: no thread of its own. The owner adds the server's sockets to
 * its zmq_poll (gale_httpd_pollitems) and calls gale_httpd_run after
 * each poll; every request is then handled on the owner's thread, so the
 * handler reads the owner's state without locks (the topology master
 * serves /metrics, the REST API and the UI this way: engine/run/webapi.c).
 *
 * libmicrohttpd parses the requests: a malformed one gets its 400 from
 * the library, never the handler. The server caps a request's headers
 * (16 KiB) and body (max_body bytes: larger ones get 413 and are not
 * read), connections (64) and idle time (10 s).
 *
 * Not thread-safe: the thread that opened it is its only user.
 */
#ifndef GALE_WEB_HTTPD_H
#define GALE_WEB_HTTPD_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <zmq.h>

typedef struct gale_httpd gale_httpd_t;     /* opaque */

/* One request, borrowed for the handler's call. */
typedef struct gale_http_req {
    const char *method;             /* "GET", "POST", ... */
    const char *path;               /* without the query string */
    const char *body;               /* NUL-terminated; "" when none */
    size_t body_len;
    bool loopback;                  /* the peer is 127.0.0.0/8 or ::1 */
    void *conn;                     /* for gale_httpd_header/_query */
} gale_http_req_t;

/* The handler's answer. body is malloc()ed and taken by the server;
 * NULL with status only sends an empty body. */
typedef struct gale_http_resp {
    int status;                     /* 200, 404, ... */
    const char *type;               /* Content-Type (static string) */
    char *body;                     /* owned by the server once returned */
    size_t len;
    const char *allow;              /* 405: the Allow header; else NULL */
} gale_http_resp_t;

/* Fills resp for req. */
typedef void (*gale_http_fn)(void *arg, const gale_http_req_t *req,
    gale_http_resp_t *resp);

/* Parses "HOST:PORT" ("127.0.0.1:8080", "[::1]:0", "localhost:9000";
 * port 0: any free port). 0, or -EINVAL with *cause (caller frees). */
int gale_httpd_parse_address(const char *addr, char **host, int *port,
    char **cause);
/* Listens on addr and calls fn(arg, ...) for each request. NULL with
 * *cause (caller frees) when addr is not valid or cannot be bound. */
gale_httpd_t *gale_httpd_open(const char *addr, size_t max_body,
    gale_http_fn fn, void *arg, char **cause);
/* Stops listening, drops open connections, sets *hp to NULL. Accepts
 * NULL and *NULL. */
void gale_httpd_close(gale_httpd_t **hp);
/* The address it listens on, "HOST:PORT" with the port bound. */
const char *gale_httpd_address(const gale_httpd_t *h);
/* Fills up to max items with what to poll (one item: libmicrohttpd's
 * epoll descriptor); returns how many (0 for a NULL server). *timeout_ms is lowered to when the server must
 * run next, if sooner. */
int gale_httpd_pollitems(gale_httpd_t *h, zmq_pollitem_t *items, int max,
    long *timeout_ms);
/* Accepts, reads, handles and writes what is ready. Never blocks.
 * Accepts NULL. */
void gale_httpd_run(gale_httpd_t *h);
/* resp = the JSON document j (its reference is taken), with status. */
void gale_httpd_json(gale_http_resp_t *resp, int status, json_t *j);
/* resp = {"error": shortmsg, "errorMessage": the formatted text}, the
 * shape of Storm UI's errors. */
void gale_httpd_json_error(gale_http_resp_t *resp, int status,
    const char *shortmsg, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Request header name, or NULL. */
const char *gale_httpd_header(const gale_http_req_t *req, const char *name);
/* Query argument name ("?name=value"), or NULL. */
const char *gale_httpd_query(const gale_http_req_t *req, const char *name);

#endif
