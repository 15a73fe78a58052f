/* cmd_top.c - gale top: a running topology's components, the way top(1)
 * shows processes: rates, capacity and execute latencies, refreshed. It
 * asks the topology's console for `metrics` (engine/run/console.h), the
 * same document as the REST API's topology page (docs/rest.md), or with
 * --cluster the cluster's nimbus, which asks the master's console. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/commands.h"
#include "common/xalloc.h"
#include "engine/cluster/nimclient.h"
#include "engine/net/cluster.h"
#include "engine/net/nimproto.h"
#include "engine/run/console.h"

#define ASK_MS 5000

static volatile sig_atomic_t stop_seen;

static void
on_signal(int sig)
{
    (void)sig;
    stop_seen = 1;
}

static void
usage(FILE *fp)
{
    fputs("usage: gale top [-d SECS] [-n COUNT] [--once] "
        "[--cluster FILE [--key NAME|PATH]] [NAME]\n", fp);
}

static void
help(void)
{
    usage(stdout);
    fputs("\nShow the components of running topology NAME (the only one "
        "running on\nthis host when NAME is left out), refreshed every -d SECS "
        "(default 2):\ntuples per second over the last 10 s (emitted for a "
        "spout, executed for\na bolt), Storm's capacity, execute latency p50 "
        "and p99, totals,\ntuples waiting in a bolt's input channels.\n\n"
        "  -d, --delay SECS   seconds between refreshes (0.2 to 3600)\n"
        "  -n, --iterations N refresh N times, then exit\n"
        "      --once         print once and exit (as -n 1)\n"
        "      --cluster FILE a topology of that cluster (or $GALE_CLUSTER),\n"
        "                     through its nimbus; NAME is then required\n"
        "      --key NAME|PATH the key pair to ask nimbus as ($GALE_KEY,\n"
        "                     else admin)\n"
        "  -h, --help         this help\n", stdout);
}

/* Number member key of o, 0 when missing. */
static double
num(const json_t *o, const char *key)
{
    return json_number_value(json_object_get(o, key));
}

/* Prints one component's row. */
static void
row(const json_t *c)
{
    const char *type = json_string_value(json_object_get(c, "type"));
    bool spout = type != NULL && strcmp(type, "spout") == 0;

    printf("%-20s %-5s %4d %5d %12.0f %12.0f %10.1f", json_string_value(
        json_object_get(c, "id")), spout ? "spout" : "bolt",
        (int)num(c, "executors"), (int)num(c, "tasks"), num(c, "emitted"),
        num(c, "executed"), spout ? num(c, "emitRate") : num(c, "executeRate"));
    if (spout)
        printf(" %8s %10s %10s %8s\n", "-", "-", "-", "-");
    else
        printf(" %8.3f %10.4f %10.4f %8.0f\n", num(c, "capacity"),
            num(c, "executeLatencyP50Ms"), num(c, "executeLatencyP99Ms"),
            num(c, "queuedTuples"));
}

/* Prints the screen for document text. 0, or 1 when it does not parse. */
static int
show(const char *name, const char *text, bool clear)
{
    json_error_t err;
    json_t *j = json_loads(text, 0, &err), *c;
    size_t i;

    if (j == NULL) {
        fprintf(stderr, "gale: top: %s: the metrics do not parse: %s\n", name,
            err.text);
        return 1;
    }
    if (clear)
        fputs("\033[H\033[2J", stdout);
    printf("%s  %s  %s  up %.0f s  %d worker(s)  %d tasks  checkpoint %lld  "
        "recoveries %d\n\n", json_string_value(json_object_get(j, "name")),
        json_string_value(json_object_get(j, "status")),
        json_string_value(json_object_get(j, "guarantee")),
        num(j, "uptimeSeconds"), (int)num(j, "workersTotal"),
        (int)num(j, "tasksTotal"), (long long)num(j, "lastCheckpoint"),
        (int)num(j, "recoveries"));
    printf("%-20s %-5s %4s %5s %12s %12s %10s %8s %10s %10s %8s\n",
        "COMPONENT", "KIND", "EXEC", "TASKS", "EMITTED", "EXECUTED",
        "TUPLES/S", "CAPACITY", "P50_MS", "P99_MS", "QUEUE");
    json_array_foreach(json_object_get(j, "spouts"), i, c)
        row(c);
    json_array_foreach(json_object_get(j, "bolts"), i, c)
        row(c);
    fflush(stdout);
    json_decref(j);
    return 0;
}

/* Where the metrics come from: this host's console, or a cluster's
 * nimbus. */
typedef struct source {
    gale_cluster_t *c;              /* owned; NULL: this host */
    gale_nimclient_t *cl;           /* owned */
    const char *key;                /* borrowed */
} source_t;

/* Asks for name's metrics page: 0 with *page (caller frees), or 1 after
 * saying why. */
static int
ask_page(source_t *src, const char *name, char **page)
{
    gale_nimreply_t r = { 0 };
    const char *const args[] = { name };
    char *reply = NULL, *cause = NULL;
    int rc;

    *page = NULL;
    if (src->c == NULL) {
        rc = gale_console_request(name, "metrics", ASK_MS, &reply);
        if (rc == -ESRCH)
            fprintf(stderr, "gale: top: no topology called `%s` runs on this "
                "host (see `gale list`)\n", name);
        else if (rc != 0 || strncmp(reply, "ok ", 3) != 0)
            fprintf(stderr, "gale: top: %s: %s\n", name, rc != 0 ?
                strerror(-rc) : reply);
        else
            *page = xstrdup(reply + 3);
        free(reply);
        return *page != NULL ? 0 : 1;
    }
    if (src->cl == NULL && (src->cl = gale_nimclient_new(src->c, src->key,
        &cause)) == NULL) {
        fprintf(stderr, "gale: top: %s\n", cause);
        free(cause);
        return 1;
    }
    rc = gale_nimclient_call(src->cl, GALE_NIM_METRICS, args, 1, ASK_MS, &r,
        &cause);
    if (rc != 0)
        fprintf(stderr, "gale: top: %s: nimbus: %s\n", name, cause != NULL ?
            cause : rc == -ETIMEDOUT ? "no answer" : strerror(-rc));
    else if (!r.ok)
        fprintf(stderr, "gale: top: %s\n", r.text);
    else
        *page = xstrdup(r.text);
    free(cause);
    gale_nimreply_release(&r);
    return *page != NULL ? 0 : 1;
}

/* The name of the only topology running here, or NULL (with a message). */
static char *
only_topology(void)
{
    gale_console_entry_t *e = NULL;
    char *name = NULL;
    size_t n = 0;

    if (gale_console_list(&e, &n) != 0 || n == 0)
        fprintf(stderr, "gale: top: no topology runs on this host\n");
    else if (n > 1)
        fprintf(stderr, "gale: top: %zu topologies run on this host: name "
            "one (see `gale list`)\n", n);
    else
        name = xstrdup(e[0].name);
    gale_console_entries_destroy(e, n);
    return name;
}

int
cmd_top(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "delay", required_argument, NULL, 'd' },
        { "iterations", required_argument, NULL, 'n' },
        { "once", no_argument, NULL, 'o' },
        { "cluster", required_argument, NULL, 'C' },
        { "key", required_argument, NULL, 'k' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    struct sigaction sa;
    source_t src = { .key = getenv("GALE_KEY") };
    const char *file = getenv("GALE_CLUSTER");
    double delay = 2;
    long count = 0, k;
    char *name, *page = NULL, *end, *cause = NULL;
    int c, rc = 0;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":d:n:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            delay = strtod(optarg, &end);
            if (*end != '\0' || !(delay >= 0.2 && delay <= 3600)) {
                fprintf(stderr, "gale: top: -d expects seconds (0.2 to 3600), "
                    "not '%s'\n", optarg);
                return 2;
            }
            break;
        case 'n':
            count = strtol(optarg, &end, 10);
            if (*end != '\0' || count < 1) {
                fprintf(stderr, "gale: top: -n expects a count (1 or more), "
                    "not '%s'\n", optarg);
                return 2;
            }
            break;
        case 'o':
            count = 1;
            break;
        case 'C':
            file = optarg;
            break;
        case 'k':
            src.key = optarg;
            break;
        case 'h':
            help();
            return 0;
        default:
            fprintf(stderr, "gale: top: %s '%s'\n", c == ':' ?
                "missing argument for" : "unknown option", argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    if (argc - optind > 1) {
        usage(stderr);
        return 2;
    }
    if (file != NULL && *file != '\0') {
        if (argc - optind != 1) {
            fprintf(stderr, "gale: top: --cluster: name the topology\n");
            usage(stderr);
            return 2;
        }
        if ((src.c = gale_cluster_load(file, &cause)) == NULL) {
            fprintf(stderr, "gale: top: %s\n", cause);
            free(cause);
            return 2;
        }
        if (src.key == NULL || *src.key == '\0')
            src.key = "admin";
    }
    if ((name = argc - optind == 1 ? xstrdup(argv[optind]) :
        only_topology()) == NULL)
        return 1;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    for (k = 0; !stop_seen && (count == 0 || k < count); k++) {
        if (k > 0)
            usleep((useconds_t)(delay * 1e6));
        if (stop_seen)
            break;
        if ((rc = ask_page(&src, name, &page)) != 0)
            break;
        rc = show(name, page, count != 1 && isatty(STDOUT_FILENO));
        free(page);
        if (rc != 0)
            break;
    }
    gale_nimclient_destroy(&src.cl);
    gale_cluster_destroy(&src.c);
    free(name);
    return rc;
}
