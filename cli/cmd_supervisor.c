/* cmd_supervisor.c - gale supervisor: the daemon of one host of a
 * cluster, which starts and stops worker processes for the topologies'
 * masters (engine/cluster/supervisor.h, docs/supervisor.md). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "common/log.h"
#include "engine/net/cluster.h"
#include "engine/cluster/supervisor.h"
#include "engine/net/security.h"

static const gale_cmd_info_t supervisor_info = {
    .name = "supervisor", .operands = "--cluster FILE [--name NAME] [--log FILE]",
    .summary = "Run the supervisor daemon of one host of a cluster.",
    .details =
        "Listens at the host and port the cluster file gives supervisor\n"
        "NAME, starts and stops worker processes as topology masters ask,\n"
        "and registers with nimbus every second. Worker files and logs go\n"
        "under the cluster's supervisor dir, in NAME/TOPOLOGY/. Runs until\n"
        "SIGTERM or SIGINT, which kill its workers.\n"
        "\n"
        "  --cluster FILE  the cluster file (default: $GALE_CLUSTER)\n"
        "  --name NAME     which supervisor of the file this host is\n"
        "                  (default: this host's name, when listed)\n"
        "  --log FILE      append the log to FILE instead of stderr\n",
    .min_args = 0, .max_args = 0,
};

/* Reports a usage error (gale_opts_usage_error). Returns 2. */
#define usage_error(...) \
    gale_opts_status(gale_opts_usage_error(&supervisor_info, __VA_ARGS__))

/* The supervisor of c named like this host (its full name, then the
 * part before the first dot), or NULL. */
static const char *
default_name(const gale_cluster_t *c)
{
    char host[256], *dot;

    if (gethostname(host, sizeof host) != 0)
        return NULL;
    host[sizeof host - 1] = '\0';
    if (gale_cluster_sup(c, host) != NULL)
        return gale_cluster_sup(c, host)->name;
    if ((dot = strchr(host, '.')) != NULL) {
        *dot = '\0';
        if (gale_cluster_sup(c, host) != NULL)
            return gale_cluster_sup(c, host)->name;
    }
    return NULL;
}

int
cmd_supervisor(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "cluster", required_argument, NULL, 'C' },
        { "name", required_argument, NULL, 'n' },
        { "log", required_argument, NULL, 'l' },
        { NULL, 0, NULL, 0 }
    };
    const char *path = getenv("GALE_CLUSTER"), *name = NULL, *logpath = NULL;
    gale_cluster_t *c = NULL;
    char *cause = NULL;
    int ch, rc;

    optind = 0;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'h':
            gale_opts_help(&supervisor_info, stdout);
            return 0;
        case 'C':
            path = optarg;
            break;
        case 'n':
            name = optarg;
            break;
        case 'l':
            logpath = optarg;
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
    if (path == NULL || path[0] == '\0')
        return usage_error("no cluster file: give --cluster FILE or set "
            "GALE_CLUSTER");
    if (name != NULL && name[0] == '\0')
        return usage_error("--name expects a supervisor's name");

    if (logpath != NULL && (rc = log_open_file(logpath)) != 0) {
        fprintf(stderr, "gale: supervisor: %s: %s\n", logpath, strerror(-rc));
        return 1;
    }
    if ((c = gale_cluster_load(path, &cause)) == NULL) {
        fprintf(stderr, "gale: supervisor: %s\n", cause);
        free(cause);
        rc = 2;
        goto out;
    }
    if (name == NULL && (name = default_name(c)) == NULL) {
        fprintf(stderr, "gale: supervisor: this host's name is not one of "
            "the supervisors of %s: give --name NAME\n", path);
        rc = 2;
        goto out;
    }
    if (gale_cluster_sup(c, name) == NULL) {
        fprintf(stderr, "gale: supervisor: %s lists no supervisor `%s`\n",
            path, name);
        rc = 2;
        goto out;
    }
    if (c->security == GALE_SECURITY_NONE)
        log_warn("%s", GALE_SECURITY_NONE_WARNING);
    rc = gale_supervisor_run(c, name, path, NULL, &cause) == 0 ? 0 : 1;
    if (rc != 0) {
        log_error("supervisor: %s", cause);
        free(cause);
    }
out:
    gale_cluster_destroy(&c);
    log_close_file();
    return rc;
}
