/* httpd.c - the HTTP server on libmicrohttpd (httpd.h). */
#include "config.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "engine/web/httpd.h"

#define HEADER_LIMIT (16 * 1024)    /* connection memory: headers */
#define CONN_LIMIT 64               /* open connections */
#define IDLE_SECS 10                /* an idle connection is closed */

struct gale_httpd {
    struct MHD_Daemon *d;           /* owned */
    gale_http_fn fn;                /* the owner's handler */
    void *arg;                      /* its argument, borrowed */
    size_t max_body;                /* larger bodies get 413 */
    char *address;                  /* owned: "HOST:PORT" as bound */
};

/* One connection's request while its body arrives. */
typedef struct request {
    char *body;                     /* owned, NUL-terminated */
    size_t len;
    bool too_big;                   /* past max_body: dropped, 413 */
} request_t;

int
gale_httpd_parse_address(const char *addr, char **host, int *port,
    char **cause)
{
    const char *colon, *h = addr, *hend;
    char *end;
    long p;

    *host = NULL;
    if (addr == NULL || *addr == '\0')
        goto bad;
    if (*addr == '[') {
        if ((hend = strchr(addr, ']')) == NULL || hend[1] != ':')
            goto bad;
        h = addr + 1;
        colon = hend + 1;
    } else {
        if ((colon = strrchr(addr, ':')) == NULL || colon == addr)
            goto bad;
        hend = colon;
    }
    p = strtol(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end != '\0' || p < 0 || p > 65535)
        goto bad;
    *host = xstrndup(h, (size_t)(hend - h));
    *port = (int)p;
    return 0;
bad:
    if (cause != NULL)
        xasprintf(cause, "`%s`: expected HOST:PORT (127.0.0.1:8080, "
            "[::1]:0; port 0 picks a free one)", addr != NULL ? addr : "");
    return -EINVAL;
}

/* libmicrohttpd's own messages (a bind that failed, a client that went
 * away): debug lines, since whoever handles the failure logs it once. */
static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char buf[512];
    size_t n;

    (void)cls;
    vsnprintf(buf, sizeof buf, fmt, ap);
    n = strlen(buf);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    log_msg(LOG_DEBUG, "http", "%s", buf);
}

/* Whether sa is a loopback address. */
static bool
is_loopback(const struct sockaddr *sa)
{
    if (sa == NULL)
        return false;
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >>
            24) == 127;
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a =
            &((const struct sockaddr_in6 *)sa)->sin6_addr;

        return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) &&
            a->s6_addr[12] == 127);
    }
    return false;
}

/* Queues resp on c and frees its parts. */
static enum MHD_Result
send_resp(struct MHD_Connection *c, gale_http_resp_t *resp)
{
    struct MHD_Response *r;
    enum MHD_Result rc;

    r = MHD_create_response_from_buffer(resp->body != NULL ? resp->len : 0,
        resp->body != NULL ? resp->body : (void *)"",
        resp->body != NULL ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (r == NULL) {
        free(resp->body);
        return MHD_NO;
    }
    if (resp->type != NULL)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->type);
    if (resp->allow != NULL)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, resp->allow);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    rc = MHD_queue_response(c, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    return rc;
}

/* A plain-text error answer. */
static enum MHD_Result
send_error(struct MHD_Connection *c, int status, const char *msg)
{
    gale_http_resp_t resp = { .status = status,
        .type = "text/plain; charset=utf-8" };

    xasprintf(&resp.body, "%s\n", msg);
    resp.len = strlen(resp.body);
    return send_resp(c, &resp);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *data,
    size_t *data_len, void **state)
{
    gale_httpd_t *h = cls;
    request_t *rq = *state;
    const union MHD_ConnectionInfo *ci;
    gale_http_resp_t resp;
    gale_http_req_t req;
    const char *cl;

    (void)version;
    if (rq == NULL) {
        /* First call: headers only. A body announced too big is refused
         * before it is read. */
        cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
            MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl != NULL && strtoull(cl, NULL, 10) > h->max_body)
            return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
                "request body too large");
        *state = rq = xcalloc(1, sizeof *rq);
        rq->body = xstrdup("");
        return MHD_YES;
    }
    if (*data_len > 0) {
        if (!rq->too_big && rq->len + *data_len <= h->max_body) {
            rq->body = xrealloc(rq->body, rq->len + *data_len + 1);
            memcpy(rq->body + rq->len, data, *data_len);
            rq->len += *data_len;
            rq->body[rq->len] = '\0';
        } else {
            rq->too_big = true;
        }
        *data_len = 0;
        return MHD_YES;
    }
    if (rq->too_big)
        return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
            "request body too large");
    ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    memset(&req, 0, sizeof req);
    req.method = method;
    req.path = url;
    req.body = rq->body;
    req.body_len = rq->len;
    req.loopback = ci != NULL && is_loopback(ci->client_addr);
    req.conn = c;
    memset(&resp, 0, sizeof resp);
    resp.status = 500;
    h->fn(h->arg, &req, &resp);
    return send_resp(c, &resp);
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **state,
    enum MHD_RequestTerminationCode why)
{
    request_t *rq = *state;

    (void)cls;
    (void)c;
    (void)why;
    if (rq == NULL)
        return;
    free(rq->body);
    free(rq);
    *state = NULL;
}

gale_httpd_t *
gale_httpd_open(const char *addr, size_t max_body, gale_http_fn fn,
    void *arg, char **cause)
{
    struct addrinfo hints, *ai = NULL;
    const union MHD_DaemonInfo *di;
    gale_httpd_t *h = NULL;
    char *host = NULL, port[16], shown[INET6_ADDRSTRLEN];
    unsigned flags = MHD_USE_ERROR_LOG | MHD_USE_EPOLL;
    int p, rc;

    if (gale_httpd_parse_address(addr, &host, &p, cause) != 0)
        return NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(port, sizeof port, "%d", p);
    if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
        if (cause != NULL)
            xasprintf(cause, "`%s`: %s", addr, gai_strerror(rc));
        goto fail;
    }
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    h = xcalloc(1, sizeof *h);
    h->fn = fn;
    h->arg = arg;
    h->max_body = max_body;
    h->d = MHD_start_daemon(flags, (uint16_t)p, NULL, NULL, on_request, h,
        MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HEADER_LIMIT,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_LIMIT,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_SECS,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_END);
    if (h->d == NULL) {
        if (cause != NULL)
            xasprintf(cause, "cannot listen on %s: %s", addr,
                strerror(errno ? errno : EADDRINUSE));
        goto fail;
    }
    di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    if (ai->ai_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr,
            shown, sizeof shown);
    else
        inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr,
            shown, sizeof shown);
    xasprintf(&h->address, ai->ai_family == AF_INET6 ? "[%s]:%u" : "%s:%u",
        shown, di != NULL ? (unsigned)di->port : (unsigned)p);
    freeaddrinfo(ai);
    free(host);
    return h;
fail:
    if (ai != NULL)
        freeaddrinfo(ai);
    free(host);
    gale_httpd_close(&h);
    return NULL;
}

void
gale_httpd_close(gale_httpd_t **hp)
{
    gale_httpd_t *h;

    if (hp == NULL || (h = *hp) == NULL)
        return;
    if (h->d != NULL)
        MHD_stop_daemon(h->d);
    free(h->address);
    free(h);
    *hp = NULL;
}

const char *
gale_httpd_address(const gale_httpd_t *h)
{
    return h->address;
}

int
gale_httpd_pollitems(gale_httpd_t *h, zmq_pollitem_t *items, int max,
    long *timeout_ms)
{
    const union MHD_DaemonInfo *di;
    MHD_UNSIGNED_LONG_LONG to;

    if (h == NULL || max < 1 ||
        (di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD)) == NULL)
        return 0;
    /* One epoll descriptor stands for the listening socket and every
     * connection: no FD_SETSIZE limit, whatever the process holds. */
    memset(items, 0, sizeof *items);
    items->fd = di->epoll_fd;
    items->events = ZMQ_POLLIN;
    if (MHD_get_timeout(h->d, &to) == MHD_YES && (long long)to < *timeout_ms)
        *timeout_ms = (long)to;
    return 1;
}

void
gale_httpd_run(gale_httpd_t *h)
{
    if (h != NULL)
        MHD_run(h->d);
}

const char *
gale_httpd_header(const gale_http_req_t *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *
gale_httpd_query(const gale_http_req_t *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND,
        name);
}

void
gale_httpd_json(gale_http_resp_t *resp, int status, json_t *j)
{
    resp->status = status;
    resp->type = "application/json";
    resp->body = json_dumps(j, JSON_COMPACT);
    resp->len = resp->body != NULL ? strlen(resp->body) : 0;
    json_decref(j);
}

void
gale_httpd_json_error(gale_http_resp_t *resp, int status, const char *shortmsg,
    const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    gale_httpd_json(resp, status, json_pack("{s:s, s:s}", "error", shortmsg,
        "errorMessage", msg != NULL ? msg : shortmsg));
    free(msg);
}
