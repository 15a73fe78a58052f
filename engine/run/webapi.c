/* webapi.c - /metrics, the REST API and the UI (webapi.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "engine/metrics/promtext.h"
#include "engine/run/webapi.h"
#include "engine/web/assets.h"
#include "engine/web/httpd.h"

/* A request body is an action's few options: 64 KiB is plenty. */
#define MAX_BODY (64 * 1024)

struct gale_webapi {
    gale_httpd_t *httpd;            /* owned */
    const gale_plan_t *plan;        /* borrowed */
    gale_monitor_t *monitor;        /* borrowed */
    gale_webapi_act_fn act;         /* runs the actions' console requests */
    void *arg;                      /* act's argument, borrowed */
    const char *token;              /* gale.http.token, borrowed; NULL: none */
};

/* A string value of the topology's conf, or NULL. */
static const char *
conf_string(const gale_plan_t *plan, const char *key)
{
    const gale_value_t *v = gale_value_map_get(plan->topo->conf, key);

    return v != NULL && v->type == GALE_STRING ? v->u.s.ptr : NULL;
}

const char *
gale_webapi_address(const gale_plan_t *plan)
{
    const char *a = conf_string(plan, "gale.http.address");

    if (a == NULL)
        return "127.0.0.1:0";
    return strcmp(a, "off") == 0 ? NULL : a;
}

/* Whether a equals secret, in a time that does not depend on where they
 * first differ (a guess is not told how much of it was right). */
static bool
same_secret(const char *a, const char *secret)
{
    size_t la = strlen(a), ls = strlen(secret), i;
    unsigned char d = la != ls;

    for (i = 0; i < la; i++)
        d |= (unsigned char)a[i] ^ (unsigned char)secret[i % (ls ? ls : 1)];
    return d == 0 && ls > 0;
}

bool
gale_webapi_may_write(const gale_http_req_t *req, const char *token)
{
    const char *auth;

    if (req->loopback)
        return true;
    if (token == NULL || *token == '\0')
        return false;
    auth = gale_httpd_header(req, "Authorization");
    return auth != NULL && strncmp(auth, "Bearer ", 7) == 0 &&
        same_secret(auth + 7, token);
}

/* Whether s holds a space, a control character or a quote: an argument
 * that would not stay one word of a console request. */
static bool
bad_word(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s <= ' ' || *s == '"' || *s == 0x7f)
            return true;
    return false;
}

char *
gale_webapi_action_request(const gale_http_req_t *req, const char *action, char *why,
    size_t wlen)
{
    json_t *body = NULL, *v, *ex;
    json_error_t jerr;
    const char *dir, *key, *q;
    char *line = NULL, *spec = NULL, *s;
    long wait = 0;

    if (req->body_len > 0 && (body = json_loadb(req->body, req->body_len, 0,
        &jerr)) == NULL) {
        snprintf(why, wlen, "the body is not JSON: %s (line %d)", jerr.text,
            jerr.line);
        return NULL;
    }
    if (body != NULL && !json_is_object(body)) {
        snprintf(why, wlen, "the body must be a JSON object");
        goto out;
    }
    if (strcmp(action, "activate") == 0 || strcmp(action, "deactivate") == 0) {
        line = xstrdup(action);
    } else if (strcmp(action, "kill") == 0) {
        /* Storm: POST .../kill/:wait-time; here ?wait=SECS or {"wait":
         * SECS}. */
        if ((q = gale_httpd_query(req, "wait")) != NULL) {
            char *end;

            wait = strtol(q, &end, 10);
            if (*q == '\0' || *end != '\0' || wait < 0 || wait > 86400) {
                snprintf(why, wlen, "wait: expected seconds (0 to 86400)");
                goto out;
            }
        } else if ((v = json_object_get(body, "wait")) != NULL) {
            if (!json_is_integer(v) || json_integer_value(v) < 0 ||
                json_integer_value(v) > 86400) {
                snprintf(why, wlen, "wait: expected seconds (0 to 86400)");
                goto out;
            }
            wait = (long)json_integer_value(v);
        }
        xasprintf(&line, "kill %ld", wait);
    } else if (strcmp(action, "savepoint") == 0 ||
        strcmp(action, "stop-savepoint") == 0 ||
        strcmp(action, "rebalance") == 0) {
        v = json_object_get(body, "dir");
        dir = v == NULL ? "-" : json_string_value(v);
        if (dir == NULL || *dir == '\0' || bad_word(dir)) {
            snprintf(why, wlen, "dir: expected an absolute path without "
                "spaces, or \"-\" (the checkpoint directory's savepoints/)");
            goto out;
        }
        if (strcmp(action, "rebalance") != 0) {
            xasprintf(&line, "%s %s", action, dir);
            goto out;
        }
        /* {"workers": N, "executors": {"count": N, ...}}: Storm's
         * rebalanceOptions numWorkers and executors, flattened. */
        spec = xstrdup("");
        if ((v = json_object_get(body, "workers")) != NULL) {
            if (!json_is_integer(v)) {
                snprintf(why, wlen, "workers: expected an integer");
                goto out;
            }
            xasprintf(&s, "%s workers=%lld", spec,
                (long long)json_integer_value(v));
            free(spec);
            spec = s;
        }
        ex = json_object_get(body, "executors");
        if (ex != NULL && !json_is_object(ex)) {
            snprintf(why, wlen, "executors: expected {\"COMPONENT\": N, ...}");
            goto out;
        }
        json_object_foreach(ex, key, v) {
            if (!json_is_integer(v) || bad_word(key) || strchr(key, '=')) {
                snprintf(why, wlen, "executors: expected {\"COMPONENT\": N, "
                    "...}");
                goto out;
            }
            xasprintf(&s, "%s %s=%lld", spec, key,
                (long long)json_integer_value(v));
            free(spec);
            spec = s;
        }
        if (*spec == '\0') {
            snprintf(why, wlen, "rebalance: give \"workers\" or "
                "\"executors\"");
            goto out;
        }
        xasprintf(&line, "rebalance %s%s", dir, spec);
    } else {
        snprintf(why, wlen, "unknown action `%s` (activate, deactivate, "
            "kill, savepoint, stop-savepoint, rebalance)", action);
    }
out:
    free(spec);
    json_decref(body);
    return line;
}

char *
gale_webapi_post_request(const gale_http_req_t *req, const char *token,
    const char *token_name, const char *action, gale_http_resp_t *resp)
{
    char why[512] = "", *line;

    if (!gale_webapi_may_write(req, token)) {
        gale_httpd_json_error(resp, 403, "forbidden", "%s changes the "
            "topology: only from loopback, or with %s as a bearer token",
            action, token_name);
        return NULL;
    }
    if ((line = gale_webapi_action_request(req, action, why, sizeof why)) ==
        NULL)
        gale_httpd_json_error(resp, strncmp(why, "unknown action", 14) == 0 ?
            404 : 400, "bad request", "%s", why);
    return line;
}

/* POST /api/v1/topology/:id/ACTION. */
static void
post_action(gale_webapi_t *w, const gale_http_req_t *req, const char *action,
    gale_http_resp_t *resp)
{
    char *line, *reply = NULL;
    int rc;

    if ((line = gale_webapi_post_request(req, w->token, "the topology's "
        "gale.http.token", action, resp)) == NULL)
        return;
    rc = w->act(w->arg, line, &reply);
    if (rc < 0)
        gale_httpd_json_error(resp, 503, "unavailable", "%s takes no "
            "commands (another topology of this name on this host has the "
            "console)",
            w->plan->topo->name);
    else if (rc == 1)
        gale_httpd_json(resp, 202, json_pack("{s:s, s:s, s:s}", "status",
            "accepted", "action", action, "request", line));
    else if (reply != NULL && strncmp(reply, "ok", 2) == 0)
        gale_httpd_json(resp, 200, json_pack("{s:s, s:s, s:s}", "status",
            "success", "action", action, "reply", reply + (reply[2] ? 3 : 2)));
    else
        gale_httpd_json_error(resp, 409, "refused", "%s", reply != NULL &&
            strlen(reply) > 6 ? reply + 6 : "refused");
    log_info("%s: http: POST %s: %s", w->plan->topo->name, line,
        rc == 1 ? "accepted" : reply != NULL ? reply : "no console");
    free(reply);
    free(line);
}

/* /api/v1/topology/...: rest is what follows "topology/". */
static void
api_topology(gale_webapi_t *w, const gale_http_req_t *req, const char *rest,
    gale_http_resp_t *resp)
{
    const char *name = w->plan->topo->name, *slash, *sub;
    bool get = strcmp(req->method, "GET") == 0 ||
        strcmp(req->method, "HEAD") == 0;
    bool post = strcmp(req->method, "POST") == 0;
    size_t idlen;
    json_t *j;

    if (strcmp(rest, "summary") == 0) {
        if (!get) {
            resp->allow = "GET, HEAD";
            gale_httpd_json_error(resp, 405, "method not allowed", "GET only");
            return;
        }
        gale_httpd_json(resp, 200, gale_monitor_summary_json(w->monitor));
        return;
    }
    slash = strchr(rest, '/');
    idlen = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
    if (idlen != strlen(name) || strncmp(rest, name, idlen) != 0) {
        gale_httpd_json_error(resp, 404, "not found", "no topology `%.*s` "
            "here (this server runs `%s`)", (int)(idlen > 200 ? 200 : idlen),
            rest, name);
        return;
    }
    sub = slash != NULL ? slash + 1 : "";
    if (*sub == '\0') {
        if (!get) {
            resp->allow = "GET, HEAD";
            gale_httpd_json_error(resp, 405, "method not allowed", "GET only");
            return;
        }
        gale_httpd_json(resp, 200, gale_monitor_topology_json(w->monitor));
    } else if (strncmp(sub, "component/", 10) == 0) {
        if (!get) {
            resp->allow = "GET, HEAD";
            gale_httpd_json_error(resp, 405, "method not allowed", "GET only");
            return;
        }
        if ((j = gale_monitor_component_json(w->monitor, sub + 10)) == NULL)
            gale_httpd_json_error(resp, 404, "not found", "no component "
                "`%.200s` in %s", sub + 10, name);
        else
            gale_httpd_json(resp, 200, j);
    } else if (strchr(sub, '/') == NULL && post) {
        post_action(w, req, sub, resp);
    } else if (strchr(sub, '/') == NULL) {
        resp->allow = "POST";
        gale_httpd_json_error(resp, 405, "method not allowed",
            "%.200s: POST only", sub);
    } else {
        gale_httpd_json_error(resp, 404, "not found", "no such resource");
    }
}

/* The httpd handler: routes a request. */
static void
handle(void *arg, const gale_http_req_t *req, gale_http_resp_t *resp)
{
    gale_webapi_t *w = arg;
    const gale_asset_t *a;
    bool get = strcmp(req->method, "GET") == 0 ||
        strcmp(req->method, "HEAD") == 0;

    if (strncmp(req->path, "/api/v1/topology/", 17) == 0) {
        api_topology(w, req, req->path + 17, resp);
        return;
    }
    if (strcmp(req->path, "/metrics") == 0 || strcmp(req->path, "/") == 0 ||
        strncmp(req->path, "/ui/", 4) == 0) {
        if (!get) {
            resp->allow = "GET, HEAD";
            gale_httpd_json_error(resp, 405, "method not allowed", "GET only");
            return;
        }
    }
    if (strcmp(req->path, "/metrics") == 0) {
        gale_registry_t *r = gale_monitor_registry(w->monitor);

        resp->status = 200;
        resp->type = GALE_PROMTEXT_TYPE;
        resp->body = gale_promtext_write(r, 1e-9, &resp->len);
        gale_registry_destroy(&r);
        return;
    }
    if (strcmp(req->path, "/") == 0 || strcmp(req->path, "/ui/") == 0)
        a = gale_asset_find("/ui/index.html");
    else
        a = gale_asset_find(req->path);
    if (a != NULL) {
        resp->status = 200;
        resp->type = a->type;
        resp->body = xmalloc(a->len + 1);
        memcpy(resp->body, a->data, a->len);
        resp->len = a->len;
        return;
    }
    gale_httpd_json_error(resp, 404, "not found", "no such resource (try "
        "/metrics, /api/v1/topology/summary or /ui/)");
}

gale_webapi_t *
gale_webapi_open(const char *addr, const gale_plan_t *plan,
    gale_monitor_t *monitor, gale_webapi_act_fn act, void *arg, char **cause)
{
    gale_webapi_t *w = xcalloc(1, sizeof *w);

    w->plan = plan;
    w->monitor = monitor;
    w->act = act;
    w->arg = arg;
    w->token = conf_string(plan, "gale.http.token");
    if ((w->httpd = gale_httpd_open(addr, MAX_BODY, handle, w, cause)) ==
        NULL) {
        free(w);
        return NULL;
    }
    return w;
}

void
gale_webapi_close(gale_webapi_t **wp)
{
    gale_webapi_t *w;

    if (wp == NULL || (w = *wp) == NULL)
        return;
    gale_httpd_close(&w->httpd);
    free(w);
    *wp = NULL;
}

const char *
gale_webapi_bound(const gale_webapi_t *w)
{
    return gale_httpd_address(w->httpd);
}

int
gale_webapi_pollitems(gale_webapi_t *w, zmq_pollitem_t *items, int max,
    long *timeout_ms)
{
    return w != NULL ? gale_httpd_pollitems(w->httpd, items, max,
        timeout_ms) : 0;
}

void
gale_webapi_run(gale_webapi_t *w)
{
    if (w != NULL)
        gale_httpd_run(w->httpd);
}
