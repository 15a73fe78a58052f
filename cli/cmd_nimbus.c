/* cmd_nimbus.c - `gale nimbus --cluster FILE`: the cluster's coordinator
 * daemon (engine/cluster/nimbus.h, docs/nimbus.md). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "engine/net/cluster.h"
#include "engine/cluster/nimbus.h"

static const gale_cmd_info_t nimbus_info = {
    .name = "nimbus", .operands = "[--cluster FILE] [--key NAME|PATH] "
        "[--log FILE] [--http ADDR] [--http-token FILE]",
    .summary = "Run the cluster's coordinator daemon on this host.",
    .details =
        "Listens at the cluster file's nimbus host and port for `gale\n"
        "submit` and the cluster forms of list, kill, activate, deactivate\n"
        "and rebalance. Each submitted topology runs as a master process\n"
        "(`gale run ... --cluster FILE --slot K`) that outlives nimbus; its\n"
        "record is kept under nimbus.dir/topologies/NAME. Started again,\n"
        "nimbus adopts the masters that still run and restarts the others.\n"
        "SIGINT or SIGTERM stops nimbus (not the masters). The cluster file\n"
        "is --cluster FILE or $GALE_CLUSTER; the key pair nimbus runs as is\n"
        "--key, or the file's nimbus.key. The log goes to stderr, or is\n"
        "appended to --log FILE. --http HOST:PORT is where nimbus serves\n"
        "/metrics and the REST API of every topology (default\n"
        "127.0.0.1:0, a free port on loopback, logged; off: none); its POST\n"
        "actions are taken from loopback, or from a peer that sends the\n"
        "token on the first line of --http-token FILE as a bearer token.\n"
        "See docs/nimbus.md.\n",
    .max_args = 0,
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

/* Reports a usage error. Returns 2. */
#define usage_error(...) \
    gale_opts_status(gale_opts_usage_error(&nimbus_info, __VA_ARGS__))

int
cmd_nimbus(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "cluster", required_argument, NULL, 'C' },
        { "key", required_argument, NULL, 'k' },
        { "log", required_argument, NULL, 'l' },
        { "http", required_argument, NULL, 'H' },
        { "http-token", required_argument, NULL, 'T' },
        { NULL, 0, NULL, 0 }
    };
    const char *file = getenv("GALE_CLUSTER"), *key = NULL, *logpath = NULL;
    const char *local = getenv("GALE_NIMBUS_LOCAL_MASTERS");
    gale_nimbus_opts_t no = { 0 };
    gale_cluster_t *c = NULL;
    struct sigaction sa;
    char *cause = NULL, *abs = NULL;
    int ch, rc;

    optind = 0;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'h':
            gale_opts_help(&nimbus_info, stdout);
            return 0;
        case 'C':
            file = optarg;
            break;
        case 'k':
            key = optarg;
            break;
        case 'l':
            logpath = optarg;
            break;
        case 'H':
            no.http = optarg;
            break;
        case 'T':
            no.http_token = optarg;
            break;
        case ':':
            return usage_error("option '%s' needs an argument",
                argv[optind - 1]);
        default:
            return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected operand '%s'", argv[optind]);
    if (file == NULL || *file == '\0')
        return usage_error("no cluster file: give --cluster FILE or set "
            "GALE_CLUSTER");
    if (logpath != NULL && (rc = log_open_file(logpath)) != 0) {
        fprintf(stderr, "gale: nimbus: %s: %s\n", logpath, strerror(-rc));
        return 1;
    }
    if ((c = gale_cluster_load(file, &cause)) == NULL) {
        fprintf(stderr, "gale: nimbus: %s\n", cause);
        rc = 2;
        goto out;
    }
    /* Masters are started from other directories: they get it absolute. */
    if ((abs = realpath(file, NULL)) == NULL) {
        fprintf(stderr, "gale: nimbus: %s: %s\n", file, strerror(errno));
        rc = 1;
        goto out;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    no.cluster_path = abs;
    no.self_key = key;
    no.local_masters = local != NULL && strcmp(local, "1") == 0;
    no.stop = &stop;
    if (no.local_masters)
        log_warn("nimbus: GALE_NIMBUS_LOCAL_MASTERS=1: masters run their "
            "topologies in local mode (no --cluster/--slot)");
    if ((rc = gale_nimbus_run(c, &no, &cause)) != 0) {
        log_error("nimbus: %s", cause != NULL ? cause : strerror(-rc));
        rc = 1;
    }
out:
    free(cause);
    free(abs);
    gale_cluster_destroy(&c);
    log_close_file();
    return rc;
}
