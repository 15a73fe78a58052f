/* nimweb.c - nimbus's HTTP server: /metrics and the REST API for every
 * topology of the cluster (docs/nimbus.md, "Metrics and the REST API"),
 * built from what nimbus already asks each master's console every 2 s:
 * its status (tasks, workers, uptime, totals, last checkpoint), its
 * `metrics` page (per component: counters, rates, capacity, latency) and
 * its `prometheus` text (the master's own /metrics: every task series,
 * histogram and checkpoint figure), relayed. Served on nimbus's thread,
 * from its poll loop (engine/web/httpd.h). POST actions run the cluster
 * verbs' own code (nimverbs.c) for the topology, taken from loopback or
 * with nimbus's --http-token. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "engine/cluster/nimbus_int.h"
#include "engine/metrics/prommerge.h"
#include "engine/metrics/promtext.h"
#include "engine/metrics/registry.h"
#include "engine/net/nimproto.h"
#include "engine/run/webapi.h"
#include "engine/web/httpd.h"


bool
nimbus_status_fresh(const topo_t *t, uint64_t now)
{
    return t->rec->pid != 0 && t->status_ns != 0 &&
        now - t->status_ns < STATUS_FRESH_MS * MS;
}

/* t's cached topology page, parsed (caller decrefs), or NULL. */
static json_t *
page_of(const topo_t *t)
{
    return t->page != NULL ? json_loads(t->page, 0, NULL) : NULL;
}

/* The families of nimbus's /metrics (docs/nimbus.md), in their order. */
enum {
    N_UP, N_ACTIVE, N_UPTIME, N_TASKS, N_WORKERS, N_EMITTED, N_EXECUTED,
    N_CKPT, N_CEMIT, N_CTRANS, N_CEXEC, N_RATE, N_CAP, N_P50, N_P99,
    NFAMILIES
};

static const struct family {
    const char *name;               /* as the masters' where they share one */
    gale_metric_type_t type;        /* counter or gauge */
    const char *help;               /* the # HELP line */
    const char *key;                /* components: the page's field */
    double scale;                   /* components: times the field */
} families[NFAMILIES] = {
#define C GALE_METRIC_COUNTER
#define G GALE_METRIC_GAUGE
    [N_UP] = { "gale_topology_up", G, "1 while the topology's master "
        "answers nimbus", NULL, 0 },
    [N_ACTIVE] = { "gale_topology_active", G, "1 when its spouts are "
        "active", NULL, 0 },
    [N_UPTIME] = { "gale_topology_uptime_seconds", G, "seconds since its "
        "master started", NULL, 0 },
    [N_TASKS] = { "gale_topology_tasks", G, "tasks of the topology", NULL,
        0 },
    [N_WORKERS] = { "gale_topology_workers", G, "worker processes of the "
        "topology", NULL, 0 },
    [N_EMITTED] = { "gale_topology_emitted_total", C, "tuples every task "
        "of the topology emitted (the sum over its hosts)", NULL, 0 },
    [N_EXECUTED] = { "gale_topology_executed_total", C, "tuples the "
        "topology's tasks executed", NULL, 0 },
    [N_CKPT] = { "gale_checkpoint_last_id", G, "id of its last completed "
        "checkpoint", NULL, 0 },
    [N_CEMIT] = { "gale_component_emitted_total", C, "tuples the "
        "component's tasks emitted", "emitted", 1 },
    [N_CTRANS] = { "gale_component_transferred_total", C, "tuples the "
        "component's tasks sent", "transferred", 1 },
    [N_CEXEC] = { "gale_component_executed_total", C, "tuples the "
        "component's tasks executed", "executed", 1 },
    [N_RATE] = { "gale_component_tuples_per_second", G, "tuples per second "
        "over the last 10 s: emitted for a spout, executed for a bolt",
        NULL, 1 },
    [N_CAP] = { "gale_component_capacity", G, "Storm's capacity over the "
        "last 10 s (bolts)", "capacity", 1 },
    [N_P50] = { "gale_component_execute_latency_p50_seconds", G, "execute "
        "time per tuple, median (bolts)", "executeLatencyP50Ms", 1e-3 },
    [N_P99] = { "gale_component_execute_latency_p99_seconds", G, "execute "
        "time per tuple, 99th percentile (bolts)", "executeLatencyP99Ms",
        1e-3 },
#undef C
#undef G
};

/* Adds or sets (by the family's type) v in family k's series. */
static void
put(gale_registry_t *r, const int *fam, int k, const char *const *labels,
    double v)
{
    if (families[k].type == GALE_METRIC_GAUGE)
        gale_registry_set(r, fam[k], labels, v);
    else
        gale_registry_add(r, fam[k], labels, v);
}

/* Whether nimbus holds a recent /metrics text of t's master. */
static bool
relayed(const topo_t *t, uint64_t now)
{
    return nimbus_status_fresh(t, now) && t->prom != NULL &&
        now - t->prom_ns < STATUS_FRESH_MS * MS;
}

/* Adds the per-component series of page (the master's topology page);
 * with only_own, only those the master's /metrics has not (the p50 and
 * p99 gauges). */
static void
component_series(gale_registry_t *r, const int *fam, const char *name,
    json_t *page, bool only_own)
{
    static const char *const kinds[] = { "spouts", "bolts" };
    json_t *c;
    size_t k, i;
    int f;

    for (k = 0; k < 2; k++)
        json_array_foreach(json_object_get(page, kinds[k]), i, c) {
            const char *id = json_string_value(json_object_get(c, "id"));
            const char *const cl[] = { "topology", name, "component",
                id != NULL ? id : "?", NULL };

            for (f = N_CEMIT; f < NFAMILIES; f++) {
                const char *key = f == N_RATE ? (k == 0 ? "emitRate" :
                    "executeRate") : families[f].key;

                if (k == 0 && f >= N_CAP)
                    break;              /* spouts: no capacity, latency */
                if (only_own && f != N_P50 && f != N_P99)
                    continue;
                put(r, fam, f, cl, families[f].scale * json_number_value(
                    json_object_get(c, key)));
            }
        }
}

/* The topology's totals as its master's /metrics has them (every
 * task's: the sums of the page's components). */
static void
page_totals(gale_registry_t *r, const int *fam, const char *name,
    json_t *page)
{
    static const char *const kinds[] = { "spouts", "bolts" };
    const char *const tl[] = { "topology", name, NULL };
    double emitted = 0, executed = 0;
    json_t *c;
    size_t k, i;

    for (k = 0; k < 2; k++)
        json_array_foreach(json_object_get(page, kinds[k]), i, c) {
            emitted += json_number_value(json_object_get(c, "emitted"));
            executed += json_number_value(json_object_get(c, "executed"));
        }
    put(r, fam, N_EMITTED, tl, emitted);
    put(r, fam, N_EXECUTED, tl, executed);
}

/* GET /metrics: nimbus's own series of each topology and, for those
 * whose master's text is recent, that text merged in (prommerge.h). */
static void
metrics(nimbus_t *n, gale_http_resp_t *resp)
{
    gale_registry_t *r = gale_registry_new();
    gale_prommerge_t *pm;
    uint64_t now = gale_now_ns();
    int fam[NFAMILIES], f;
    size_t i, len;
    char *own;

    for (f = 0; f < NFAMILIES; f++)
        fam[f] = gale_registry_family(r, families[f].name, families[f].type,
            families[f].help);
    for (i = 0; i < n->ntopos; i++) {
        const topo_t *t = n->topos[i];
        const char *const tl[] = { "topology", t->rec->name, NULL };
        bool fresh = nimbus_status_fresh(t, now);
        json_t *page;

        if (relayed(t, now)) {
            /* The master's text has the rest, gale_topology_up and the
             * topology's totals too. */
            if ((page = page_of(t)) != NULL)
                component_series(r, fam, t->rec->name, page, true);
            json_decref(page);
            continue;
        }
        put(r, fam, N_UP, tl, fresh);
        if (!fresh)
            continue;
        put(r, fam, N_ACTIVE, tl, strcmp(t->status, "ACTIVE") == 0);
        put(r, fam, N_UPTIME, tl, t->uptime_s);
        put(r, fam, N_TASKS, tl, (double)t->tasks);
        put(r, fam, N_WORKERS, tl, t->workers);
        put(r, fam, N_CKPT, tl, (double)t->last_ckpt);
        if ((page = page_of(t)) != NULL) {
            component_series(r, fam, t->rec->name, page, false);
            page_totals(r, fam, t->rec->name, page);
        } else {
            /* Without the page, the status's: spouts' emitted. */
            put(r, fam, N_EMITTED, tl, (double)t->emitted);
            put(r, fam, N_EXECUTED, tl, (double)t->executed);
        }
        json_decref(page);
    }
    own = gale_promtext_write(r, 1e-9, &len);
    gale_registry_destroy(&r);
    pm = gale_prommerge_new();
    gale_prommerge_add(pm, own, len);
    free(own);
    for (i = 0; i < n->ntopos; i++)
        if (relayed(n->topos[i], now))
            gale_prommerge_add(pm, n->topos[i]->prom,
                strlen(n->topos[i]->prom));
    resp->status = 200;
    resp->type = GALE_PROMTEXT_TYPE;
    resp->body = gale_prommerge_write(pm, &resp->len);
    gale_prommerge_destroy(&pm);
}

/* POST /api/v1/topology/NAME/ACTION: the cluster verb of ACTION for
 * topology t, run through nimverbs.c as if a client had sent it (the
 * same checks, the same record updates); the body is the master's
 * (docs/rest.md). 202 when it went to the master (its answer is logged),
 * 200 or 409 when nimbus answered itself, 400/404 for a bad request. */
static void
post_action(nimbus_t *n, const gale_http_req_t *req, topo_t *t,
    const char *action, gale_http_resp_t *resp)
{
    char *line, *sp, *arg = NULL;
    const char *verb;
    req_t q;
    char *f[4];
    size_t flen[4], k;

    if ((line = gale_webapi_post_request(req, n->http_token, "nimbus's "
        "--http-token", action, resp)) == NULL)
        return;
    /* The console line is "VERB [ARG...]"; the cluster verb wants NAME,
     * then one argument. */
    sp = strchr(line, ' ');
    if (sp != NULL)
        *sp++ = '\0';
    verb = line;
    if (strcmp(verb, "kill") == 0 || strcmp(verb, "savepoint") == 0 ||
        strcmp(verb, "stop-savepoint") == 0) {
        arg = xstrdup(sp != NULL ? sp : "");
    } else if (strcmp(verb, "rebalance") == 0) {
        /* "rebalance DIR SPEC": nimbus's rebalance lets the master choose
         * the savepoint's place. */
        char *spec = sp != NULL ? strchr(sp, ' ') : NULL;

        if (sp == NULL || spec == NULL || strncmp(sp, "- ", 2) != 0) {
            gale_httpd_json_error(resp, 400, "bad request", "rebalance: "
                "nimbus lets the master choose the savepoint's directory: "
                "leave \"dir\" out");
            free(line);
            return;
        }
        arg = xstrdup(spec + 1);
    }
    memset(&q, 0, sizeof q);
    f[0] = (char *)GALE_NIMBUS_MAGIC;
    f[1] = (char *)verb;
    f[2] = t->rec->name;
    f[3] = arg;
    q.f = f;
    q.nf = arg != NULL ? 4 : 3;
    for (k = 0; k < q.nf; k++)
        flen[k] = strlen(f[k]);
    q.flen = flen;
    q.http = true;
    free(n->http_reply);
    n->http_reply = NULL;
    n->http_forwarded = false;
    nimbus_dispatch(n, &q, 0);
    if (n->http_reply != NULL && n->http_ok)
        gale_httpd_json(resp, 200, json_pack("{s:s, s:s, s:s}", "status",
            "success", "action", action, "reply", n->http_reply));
    else if (n->http_reply != NULL)
        gale_httpd_json_error(resp, 409, "refused", "%s", n->http_reply);
    else if (n->http_forwarded)
        gale_httpd_json(resp, 202, json_pack("{s:s, s:s, s:s}", "status",
            "accepted", "action", action, "topology", t->rec->name));
    else
        gale_httpd_json_error(resp, 500, "internal", "%s: no answer", verb);
    log_info("nimbus: %s: http: POST %s%s%s: %s", t->rec->name, verb,
        arg != NULL ? " " : "", arg != NULL ? arg : "",
        n->http_reply != NULL ? n->http_reply : n->http_forwarded ?
        "sent to its master" : "?");
    free(n->http_reply);
    n->http_reply = NULL;
    free(arg);
    free(line);
}

/* GET /api/v1/topology/summary. */
static void
summary(nimbus_t *n, gale_http_resp_t *resp)
{
    json_t *list = json_array();
    uint64_t now = gale_now_ns();
    size_t i;

    for (i = 0; i < n->ntopos; i++) {
        const topo_t *t = n->topos[i];
        bool fresh = nimbus_status_fresh(t, now);

        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:i, s:I, "
            "s:i, s:f, s:I, s:I, s:I}", "id", t->rec->name, "name",
            t->rec->name, "status", nimbus_status_word(t, now),
            "slot", t->rec->slot,
            "tasksTotal", (json_int_t)(fresh ? t->tasks : 0),
            "workersTotal", fresh ? t->workers : 0,
            "uptimeSeconds", fresh ? t->uptime_s : 0.0,
            "emitted", (json_int_t)(fresh ? t->emitted : 0),
            "executed", (json_int_t)(fresh ? t->executed : 0),
            "lastCheckpoint", (json_int_t)(fresh ? t->last_ckpt : 0)));
    }
    gale_httpd_json(resp, 200, json_pack("{s:o}", "topologies", list));
}

/* GET /api/v1/topology/:id[/component/:c]: the master's page, as nimbus
 * last read it; POST /api/v1/topology/:id/ACTION. */
static void
topology(nimbus_t *n, const gale_http_req_t *req, const char *rest,
    gale_http_resp_t *resp)
{
    const char *slash = strchr(rest, '/'), *comp = NULL;
    size_t len = slash != NULL ? (size_t)(slash - rest) : strlen(rest), i;
    static const char *const kinds[] = { "spouts", "bolts" };
    char *name = xstrndup(rest, len);
    topo_t *t = nimbus_topo_find(n, name);
    json_t *page, *c, *found = NULL;
    size_t k;

    if (slash != NULL && strncmp(slash, "/component/", 11) == 0)
        comp = slash + 11;
    if (t != NULL && strcmp(req->method, "POST") == 0) {
        free(name);
        if (slash == NULL || comp != NULL || slash[1] == '\0' ||
            strchr(slash + 1, '/') != NULL) {
            resp->allow = "GET, HEAD";
            gale_httpd_json_error(resp, 405, "method not allowed", "POST "
                "goes to /api/v1/topology/:id/ACTION");
            return;
        }
        post_action(n, req, t, slash + 1, resp);
        return;
    }
    if (t == NULL || (slash != NULL && comp == NULL)) {
        gale_httpd_json_error(resp, 404, "not found", "%s", t == NULL ?
            "no such topology on this cluster" : "no such resource");
        free(name);
        return;
    }
    free(name);
    if (!nimbus_status_fresh(t, gale_now_ns()) ||
        (page = page_of(t)) == NULL) {
        gale_httpd_json_error(resp, 503, "unavailable", "its master has not "
            "answered nimbus lately (starting, restarting, or gone)");
        return;
    }
    if (comp == NULL) {
        gale_httpd_json(resp, 200, page);
        return;
    }
    for (k = 0; k < 2 && found == NULL; k++)
        json_array_foreach(json_object_get(page, kinds[k]), i, c)
            if (strcmp(json_string_value(json_object_get(c, "id")) != NULL ?
                json_string_value(json_object_get(c, "id")) : "", comp) == 0) {
                found = json_incref(c);
                break;
            }
    json_decref(page);
    if (found == NULL)
        gale_httpd_json_error(resp, 404, "not found", "no such component");
    else
        gale_httpd_json(resp, 200, found);
}

/* The httpd handler. */
static void
handle(void *arg, const gale_http_req_t *req, gale_http_resp_t *resp)
{
    nimbus_t *n = arg;

    bool get = strcmp(req->method, "GET") == 0 ||
        strcmp(req->method, "HEAD") == 0;

    if (strncmp(req->path, "/api/v1/topology/", 17) == 0 &&
        strcmp(req->path, "/api/v1/topology/summary") != 0 &&
        (get || strcmp(req->method, "POST") == 0)) {
        topology(n, req, req->path + 17, resp);
    } else if (!get) {
        resp->allow = "GET, HEAD";
        gale_httpd_json_error(resp, 405, "method not allowed", "only the "
            "actions, POST /api/v1/topology/:id/ACTION, change anything");
    } else if (strcmp(req->path, "/metrics") == 0) {
        metrics(n, resp);
    } else if (strcmp(req->path, "/api/v1/topology/summary") == 0) {
        summary(n, resp);
    } else {
        gale_httpd_json_error(resp, 404, "not found", "no such resource "
            "(try /metrics or /api/v1/topology/summary)");
    }
}

/* Reads the bearer token from the first line of path into n. 0, or -1
 * with *cause. */
static int
read_token(nimbus_t *n, const char *path, char **cause)
{
    char line[512];
    size_t len;
    FILE *fp;

    if ((fp = fopen(path, "r")) == NULL) {
        xasprintf(cause, "--http-token %s: %s", path, strerror(errno));
        return -1;
    }
    if (fgets(line, sizeof line, fp) == NULL)
        line[0] = '\0';
    fclose(fp);
    len = strcspn(line, "\r\n");
    line[len] = '\0';
    if (len < 16) {
        xasprintf(cause, "--http-token %s: the first line must hold a token "
            "of 16 characters or more", path);
        return -1;
    }
    n->http_token = xstrdup(line);
    return 0;
}

int
nimbus_web_open(nimbus_t *n, const char *addr, char **cause)
{
    if (n->o->http_token != NULL &&
        read_token(n, n->o->http_token, cause) != 0)
        return -1;
    /* The actions' bodies are small JSON objects (docs/rest.md). */
    if ((n->httpd = gale_httpd_open(addr, 16384, handle, n, cause)) == NULL)
        return -1;
    log_info("nimbus: http: metrics at http://%s/metrics, the topologies at "
        "http://%s/api/v1/topology/summary", gale_httpd_address(n->httpd),
        gale_httpd_address(n->httpd));
    return 0;
}
