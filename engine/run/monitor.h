/* monitor.h - what the topology master knows about a running topology,
 * as metrics (engine/metrics/registry.h) and as the JSON of the REST API
 * (docs/rest.md): the task counters of engine/run/progress.h (not kept
 * twice), the execute latency histograms and backpressure times the
 * executors report with them (STATS, docs/wire.md), rates sampled once a
 * second over the last two minutes (the UI's throughput chart, Storm's
 * capacity), checkpoints from the coordinator, the console state and
 * the host each worker runs on (the per-host sums).
 *
 * Everything here is built off the data path: executors write plain
 * counters on their own threads and send them every report period; the
 * master's thread merges them here when it reads the reports, and builds
 * a registry or a JSON document only when someone asks. Not thread-safe:
 * the master's thread is its only user.
 */
#ifndef GALE_RUN_MONITOR_H
#define GALE_RUN_MONITOR_H

#include <stdint.h>

#include <jansson.h>

#include "engine/checkpoint/coordinator.h"
#include "engine/metrics/registry.h"
#include "engine/run/console_server.h"
#include "engine/run/progress.h"
#include "engine/wire/control.h"
#include "topology/plan.h"

typedef struct gale_monitor gale_monitor_t;     /* opaque */

/* plan, progress, coord (NULL with guarantee "none") and cs are borrowed
 * and outlive the monitor. Never NULL (aborts on OOM). */
gale_monitor_t *gale_monitor_new(const gale_plan_t *plan,
    const gale_progress_t *progress, gale_coord_t *coord,
    const gale_console_state_t *cs, uint64_t start_ns);
/* Frees and sets *mp to NULL. Accepts NULL and *NULL. */
void gale_monitor_destroy(gale_monitor_t **mp);

/* A STATS report was read (after gale_progress_update took its counters):
 * h's executor waited h->arg ns on full channels; hists is the report's
 * histogram part, users its user counters part (NULL, 0: none, as from
 * an older executor). A part that does not decode is ignored. */
void gale_monitor_stats(gale_monitor_t *m, const gale_report_hdr_t *h,
    const void *hists, size_t len, const void *users, size_t ulen);
/* A STATS report's channels part (engine/metrics/chanreport.h; NULL, 0:
 * none, as from an older executor): keeps each channel end's queue depth
 * and window. A part that does not decode is ignored. */
void gale_monitor_channels(gale_monitor_t *m, const void *chans, size_t len);
/* A STATS report's sixth part (engine/metrics/histogram.h's part; NULL,
 * 0: none): each task's process (bolts) or complete (spouts) latency. */
void gale_monitor_latencies(gale_monitor_t *m, const void *hists, size_t len);
/* Worker worker (0 .. nworkers-1) runs on host (copied): the host label
 * and the per-host sums (docs/metrics.md). Until told, a worker's host
 * is "?". */
void gale_monitor_host(gale_monitor_t *m, int worker, const char *host);
/* The run's recoveries so far and its attempt epoch. */
void gale_monitor_attempt(gale_monitor_t *m, int recoveries, uint32_t epoch);
/* Takes a rate sample when a second has passed since the last. */
void gale_monitor_sample(gale_monitor_t *m, uint64_t now_ns);

/* Every metric (docs/metrics.md). Caller destroys. */
gale_registry_t *gale_monitor_registry(gale_monitor_t *m);
/* GET /api/v1/topology/summary. Caller decrefs. */
json_t *gale_monitor_summary_json(gale_monitor_t *m);
/* GET /api/v1/topology/:id: the topology, its components, its graph,
 * its checkpoints and the rate history. Caller decrefs. */
json_t *gale_monitor_topology_json(gale_monitor_t *m);
/* GET /api/v1/topology/:id/component/:component: its tasks and
 * executors; NULL when the topology has no such component. */
json_t *gale_monitor_component_json(gale_monitor_t *m, const char *comp);

#endif
