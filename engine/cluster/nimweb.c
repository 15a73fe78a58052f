/* nimweb.c - nimbus's HTTP server: /metrics and a read-only REST API for
 * every topology of the cluster (docs/nimbus.md, "Metrics and the REST
 * API"), built from what nimbus already asks each master's console every
 * 2 s: its status (tasks, workers, uptime, totals, last checkpoint) and
 * its `metrics` page (per component: counters, rates, capacity, latency).
 * Served on nimbus's thread, from its poll loop (engine/web/httpd.h).
 * Actions stay with the cluster verbs (`gale deactivate --cluster`...),
 * which carry the cluster's keys: over HTTP nimbus is read-only. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "engine/cluster/nimbus_int.h"
#include "engine/metrics/promtext.h"
#include "engine/metrics/registry.h"
#include "engine/web/httpd.h"

#define JSON_TYPE "application/json"

bool
nimbus_status_fresh(const topo_t *t, uint64_t now)
{
    return t->rec->pid != 0 && t->status_ns != 0 &&
        now - t->status_ns < STATUS_FRESH_MS * MS;
}

static void
json_resp(gale_http_resp_t *resp, int status, json_t *j)
{
    resp->status = status;
    resp->type = JSON_TYPE;
    resp->body = json_dumps(j, JSON_COMPACT);
    resp->len = resp->body != NULL ? strlen(resp->body) : 0;
    json_decref(j);
}

static void
error_resp(gale_http_resp_t *resp, int status, const char *shortmsg,
    const char *msg)
{
    json_resp(resp, status, json_pack("{s:s, s:s}", "error", shortmsg,
        "errorMessage", msg));
}

/* t's cached topology page, parsed (caller decrefs), or NULL. */
static json_t *
page_of(const topo_t *t)
{
    return t->page != NULL ? json_loads(t->page, 0, NULL) : NULL;
}

/* Adds the per-component series of page (the master's topology page). */
static void
component_series(gale_registry_t *r, const int *f, const char *name,
    json_t *page)
{
    static const char *const kinds[] = { "spouts", "bolts" };
    json_t *arr, *c;
    size_t k, i;

    for (k = 0; k < 2; k++) {
        arr = json_object_get(page, kinds[k]);
        json_array_foreach(arr, i, c) {
            const char *id = json_string_value(json_object_get(c, "id"));
            const char *const cl[] = { "topology", name, "component",
                id != NULL ? id : "?", NULL };

            gale_registry_add(r, f[0], cl, json_number_value(
                json_object_get(c, "emitted")));
            gale_registry_add(r, f[1], cl, json_number_value(
                json_object_get(c, "transferred")));
            gale_registry_add(r, f[2], cl, json_number_value(
                json_object_get(c, "executed")));
            gale_registry_set(r, f[3], cl, json_number_value(json_object_get(
                c, k == 0 ? "emitRate" : "executeRate")));
            if (k == 1) {
                gale_registry_set(r, f[4], cl, json_number_value(
                    json_object_get(c, "capacity")));
                gale_registry_set(r, f[5], cl, json_number_value(
                    json_object_get(c, "executeLatencyP50Ms")) / 1e3);
                gale_registry_set(r, f[6], cl, json_number_value(
                    json_object_get(c, "executeLatencyP99Ms")) / 1e3);
            }
        }
    }
}

/* GET /metrics. */
static void
metrics(nimbus_t *n, gale_http_resp_t *resp)
{
    gale_registry_t *r = gale_registry_new();
    uint64_t now = gale_now_ns();
    int up, active, uptime, tasks, workers, emitted, executed, ckpt, f[7];
    size_t i;

    up = gale_registry_family(r, "gale_topology_up", GALE_METRIC_GAUGE,
        "1 while the topology's master answers nimbus");
    active = gale_registry_family(r, "gale_topology_active",
        GALE_METRIC_GAUGE, "1 when its spouts are active");
    uptime = gale_registry_family(r, "gale_topology_uptime_seconds",
        GALE_METRIC_GAUGE, "seconds since its master started");
    tasks = gale_registry_family(r, "gale_topology_tasks", GALE_METRIC_GAUGE,
        "tasks of the topology");
    workers = gale_registry_family(r, "gale_topology_workers",
        GALE_METRIC_GAUGE, "worker processes of the topology");
    emitted = gale_registry_family(r, "gale_topology_emitted_total",
        GALE_METRIC_COUNTER, "tuples its spouts emitted");
    executed = gale_registry_family(r, "gale_topology_executed_total",
        GALE_METRIC_COUNTER, "tuples its bolts executed");
    ckpt = gale_registry_family(r, "gale_checkpoint_last_id",
        GALE_METRIC_GAUGE, "id of its last completed checkpoint");
    f[0] = gale_registry_family(r, "gale_component_emitted_total",
        GALE_METRIC_COUNTER, "tuples the component's tasks emitted");
    f[1] = gale_registry_family(r, "gale_component_transferred_total",
        GALE_METRIC_COUNTER, "tuples the component's tasks sent");
    f[2] = gale_registry_family(r, "gale_component_executed_total",
        GALE_METRIC_COUNTER, "tuples the component's tasks executed");
    f[3] = gale_registry_family(r, "gale_component_tuples_per_second",
        GALE_METRIC_GAUGE, "tuples per second over the last 10 s");
    f[4] = gale_registry_family(r, "gale_component_capacity",
        GALE_METRIC_GAUGE, "Storm's capacity over the last 10 s");
    f[5] = gale_registry_family(r, "gale_component_execute_latency_p50_seconds",
        GALE_METRIC_GAUGE, "execute time per tuple, median");
    f[6] = gale_registry_family(r, "gale_component_execute_latency_p99_seconds",
        GALE_METRIC_GAUGE, "execute time per tuple, 99th percentile");
    for (i = 0; i < n->ntopos; i++) {
        const topo_t *t = n->topos[i];
        const char *const tl[] = { "topology", t->rec->name, NULL };
        bool fresh = nimbus_status_fresh(t, now);
        json_t *page;

        gale_registry_set(r, up, tl, fresh);
        if (!fresh)
            continue;
        gale_registry_set(r, active, tl, strcmp(t->status, "ACTIVE") == 0);
        gale_registry_set(r, uptime, tl, t->uptime_s);
        gale_registry_set(r, tasks, tl, (double)t->tasks);
        gale_registry_set(r, workers, tl, t->workers);
        gale_registry_add(r, emitted, tl, (double)t->emitted);
        gale_registry_add(r, executed, tl, (double)t->executed);
        gale_registry_set(r, ckpt, tl, (double)t->last_ckpt);
        if ((page = page_of(t)) != NULL)
            component_series(r, f, t->rec->name, page);
        json_decref(page);
    }
    resp->status = 200;
    resp->type = GALE_PROMTEXT_TYPE;
    resp->body = gale_promtext_write(r, 1e-9, &resp->len);
    gale_registry_destroy(&r);
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
            t->rec->name, "status", nimbus_status_word(t, now), "slot", t->rec->slot,
            "tasksTotal", (json_int_t)(fresh ? t->tasks : 0),
            "workersTotal", fresh ? t->workers : 0,
            "uptimeSeconds", fresh ? t->uptime_s : 0.0,
            "emitted", (json_int_t)(fresh ? t->emitted : 0),
            "executed", (json_int_t)(fresh ? t->executed : 0),
            "lastCheckpoint", (json_int_t)(fresh ? t->last_ckpt : 0)));
    }
    json_resp(resp, 200, json_pack("{s:o}", "topologies", list));
}

/* GET /api/v1/topology/:id[/component/:c]: the master's page, as nimbus
 * last read it. */
static void
topology(nimbus_t *n, const char *rest, gale_http_resp_t *resp)
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
    if (t == NULL || (slash != NULL && comp == NULL)) {
        error_resp(resp, 404, "not found", t == NULL ? "no such topology on "
            "this cluster" : "no such resource");
        free(name);
        return;
    }
    free(name);
    if (!nimbus_status_fresh(t, gale_now_ns()) ||
        (page = page_of(t)) == NULL) {
        error_resp(resp, 503, "unavailable", "its master has not answered "
            "nimbus lately (starting, restarting, or gone)");
        return;
    }
    if (comp == NULL) {
        json_resp(resp, 200, page);
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
        error_resp(resp, 404, "not found", "no such component");
    else
        json_resp(resp, 200, found);
}

/* The httpd handler. */
static void
handle(void *arg, const gale_http_req_t *req, gale_http_resp_t *resp)
{
    nimbus_t *n = arg;

    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        resp->allow = "GET, HEAD";
        error_resp(resp, 405, "method not allowed", "nimbus's HTTP API is "
            "read-only: use gale activate, deactivate, kill, savepoint and "
            "rebalance with --cluster (they carry the cluster's keys)");
    } else if (strcmp(req->path, "/metrics") == 0) {
        metrics(n, resp);
    } else if (strcmp(req->path, "/api/v1/topology/summary") == 0) {
        summary(n, resp);
    } else if (strncmp(req->path, "/api/v1/topology/", 17) == 0) {
        topology(n, req->path + 17, resp);
    } else {
        error_resp(resp, 404, "not found", "no such resource (try /metrics "
            "or /api/v1/topology/summary)");
    }
}

int
nimbus_web_open(nimbus_t *n, const char *addr, char **cause)
{
    if ((n->httpd = gale_httpd_open(addr, 0, handle, n, cause)) == NULL)
        return -1;
    log_info("nimbus: http: metrics at http://%s/metrics, the topologies at "
        "http://%s/api/v1/topology/summary", gale_httpd_address(n->httpd),
        gale_httpd_address(n->httpd));
    return 0;
}
