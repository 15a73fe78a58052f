/* cmd_console.c - the verbs Storm users know, for topologies running on
 * this host: gale list, kill, activate, deactivate, savepoint, rebalance.
 * Each reaches the topology's coordinator through its console
 * (engine/run/console.h). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "common/xalloc.h"
#include "engine/run/console.h"
#include "engine/run/status.h"
#include "engine/checkpoint/savepoint.h"

/* How long a verb waits for an answer: a savepoint waits for a checkpoint
 * of the whole state, so its wait is long. */
#define QUICK_MS 5000
#define SAVEPOINT_MS (30 * 60 * 1000)

static const gale_cmd_info_t list_info = {
    .name = "list", .operands = "",
    .summary = "List the topologies running on this host (Storm's columns).",
    .details =
        "Columns: Topology_name, Status (ACTIVE, INACTIVE, KILLED,\n"
        "REBALANCING), Num_tasks, Num_workers, Uptime_secs. With -v also\n"
        "Emitted (by spouts), Executed (by bolts), Last_checkpoint and Pid.\n"
        "With --cluster FILE (or GALE_CLUSTER) list, kill, activate,\n"
        "deactivate and rebalance ask that cluster's nimbus instead\n"
        "(docs/nimbus.md; `gale list --cluster FILE --help`).\n",
    .flags = GALE_OPT_VERBOSE,
    .max_args = 0,
};
static const gale_cmd_info_t kill_info = {
    .name = "kill", .operands = "[-w SECS] [--savepoint DIR] NAME",
    .summary = "Stop the running topology NAME.",
    .details =
        "As Storm: its spouts are deactivated at once, and after -w SECS\n"
        "(default 0) it stops gracefully (the rest drains, a final checkpoint\n"
        "is taken, sinks publish). With --savepoint DIR the topology takes a\n"
        "savepoint into DIR instead, waits for its sinks to publish it, and\n"
        "stops there: `gale run FILE --from-savepoint DIR` resumes it.\n",
    .min_args = 1, .max_args = 1,
};
static const gale_cmd_info_t activate_info = {
    .name = "activate", .operands = "NAME",
    .summary = "Let the spouts of topology NAME emit again.",
    .min_args = 1, .max_args = 1,
};
static const gale_cmd_info_t deactivate_info = {
    .name = "deactivate", .operands = "NAME",
    .summary = "Pause the spouts of topology NAME (checkpoints go on).",
    .min_args = 1, .max_args = 1,
};
static const gale_cmd_info_t savepoint_info = {
    .name = "savepoint", .operands = "NAME [DIR] | inspect DIR",
    .summary = "Take a savepoint of topology NAME, or show what one holds.",
    .details =
        "`gale savepoint NAME DIR` takes a checkpoint of the running\n"
        "topology NAME and copies it into DIR (which must not exist), a\n"
        "self-contained directory kept until deleted, movable anywhere;\n"
        "without DIR it goes to <checkpoint dir>/savepoints/NAME-<time>.\n"
        "`gale savepoint inspect DIR` lists its components, tasks, key\n"
        "groups, sizes, format version and the topology file it came from.\n",
    .min_args = 1, .max_args = 2,
};
static const gale_cmd_info_t rebalance_info = {
    .name = "rebalance", .operands = "[-n WORKERS] [-e COMPONENT=N]... NAME",
    .summary = "Change the parallelism of running topology NAME, state "
        "included.",
    .details =
        "A savepoint, a stop, and a restart of the same file with the new\n"
        "parallelism from that savepoint: keyed state moves by key groups,\n"
        "so a stateful topology can change its workers, executors and tasks\n"
        "without losing or doubling anything. -n sets the workers, -e the\n"
        "executors of a component (its tasks follow when the file does not\n"
        "give it more tasks than executors).\n",
    .min_args = 1, .max_args = 1,
};

/* Reports a usage error for info (gale_opts_usage_error). Returns 2. */
#define usage_error(...) gale_opts_status(gale_opts_usage_error(__VA_ARGS__))

/* Sends request to topology name and prints the answer: the text after
 * "ok " on stdout (exit 0), or the error on stderr (exit 1). */
static int
ask(const char *verb, const char *name, const char *request, int timeout_ms,
    char **reply_out)
{
    char *reply = NULL;
    int rc = gale_console_request(name, request, timeout_ms, &reply);

    if (rc == -ESRCH) {
        fprintf(stderr, "gale: %s: no topology called `%s` runs on this host "
            "(see `gale list`)\n", verb, name);
        return 1;
    }
    if (rc == -ECONNRESET) {
        fprintf(stderr, "gale: %s: topology `%s` ended before it answered\n",
            verb, name);
        return 1;
    }
    if (rc == -ETIMEDOUT) {
        fprintf(stderr, "gale: %s: topology `%s` did not answer within %d s "
            "(is its coordinator stopped?)\n", verb, name, timeout_ms / 1000);
        return 1;
    }
    if (rc != 0) {
        fprintf(stderr, "gale: %s: %s: %s\n", verb, name, strerror(-rc));
        return 1;
    }
    if (strncmp(reply, "ok", 2) != 0) {
        fprintf(stderr, "gale: %s: %s: %s\n", verb, name,
            strncmp(reply, "error ", 6) == 0 ? reply + 6 : reply);
        free(reply);
        return 1;
    }
    if (reply_out != NULL)
        *reply_out = reply;
    else {
        printf("%s\n", reply[2] == ' ' ? reply + 3 : reply + 2);
        free(reply);
    }
    return 0;
}

/* Parses only -h/--help for info. 0 to go on, else the exit status + 1. */
static int
plain_opts(const gale_cmd_info_t *info, int argc, char **argv)
{
    gale_opts_t o;
    int rc = gale_opts_parse(&o, info, argc, argv);

    gale_opts_release(&o);
    return rc == 0 ? 0 : gale_opts_status(rc) + 1;
}

int
cmd_list(int argc, char **argv)
{
    gale_console_entry_t *e;
    gale_opts_t o;
    size_t n, i;
    int rc, verbose;

    if (cmd_cluster_wanted(argc, argv))
        return cmd_cluster_verb(argc, argv);
    if ((rc = gale_opts_parse(&o, &list_info, argc, argv)) != 0) {
        gale_opts_release(&o);
        return gale_opts_status(rc);
    }
    verbose = o.verbose;
    gale_opts_release(&o);
    if ((rc = gale_console_list(&e, &n)) != 0) {
        fprintf(stderr, "gale: list: %s\n", strerror(-rc));
        return 1;
    }
    if (n == 0) {
        printf("No topologies running.\n");
        return 0;
    }
    printf("%-24s %-12s %-9s %-11s %-11s", "Topology_name", "Status",
        "Num_tasks", "Num_workers", "Uptime_secs");
    if (verbose)
        printf(" %-14s %-14s %-15s %s", "Emitted", "Executed",
            "Last_checkpoint", "Pid");
    printf("\n-------------------------------------------------------------------"
        "-------\n");
    for (i = 0; i < n; i++) {
        char *reply = NULL;
        gale_status_t parsed, st = {
            .word = "UNREACHABLE", .tasks = (unsigned long)e[i].tasks,
            .workers = e[i].workers, .pid = (int)e[i].pid,
        };
        struct timeval tv;

        gettimeofday(&tv, NULL);
        st.uptime_s = (double)tv.tv_sec - (double)e[i].started_ms / 1000;
        if (gale_console_request(e[i].name, "status", 2000, &reply) == 0 &&
            gale_status_parse(reply, &parsed) == 0)
            st = parsed;
        printf("%-24s %-12s %-9lu %-11d %-11.0f", e[i].name, st.word,
            st.tasks, st.workers, st.uptime_s);
        if (verbose)
            printf(" %-14llu %-14llu %-15llu %d", st.emitted, st.executed,
                st.last_ckpt, st.pid);
        printf("\n");
        free(reply);
    }
    gale_console_entries_destroy(e, n);
    return 0;
}

int
cmd_kill(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "wait", required_argument, NULL, 'w' },
        { "savepoint", required_argument, NULL, 's' },
        { NULL, 0, NULL, 0 }
    };
    const char *dir = NULL;
    char req[4200], *end, *abs = NULL;
    long secs = 0;
    int c, rc;

    if (cmd_cluster_wanted(argc, argv))
        return cmd_cluster_verb(argc, argv);
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hw:", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            gale_opts_help(&kill_info, stdout);
            return 0;
        case 'w':
            secs = strtol(optarg, &end, 10);
            if (*end != '\0' || secs < 0)
                return usage_error(&kill_info, "-w expects seconds, not '%s'",
                    optarg);
            break;
        case 's':
            dir = optarg;
            break;
        case ':':
            return usage_error(&kill_info, "option '%s' needs an argument",
                argv[optind - 1]);
        default:
            return usage_error(&kill_info, "unknown option '%s'",
                argv[optind - 1]);
        }
    }
    if (argc - optind != 1)
        return usage_error(&kill_info, argc - optind == 0 ? "missing NAME" :
            "unexpected operand '%s'", argv[optind + 1]);
    if (dir == NULL) {
        snprintf(req, sizeof req, "kill %ld", secs);
        return ask("kill", argv[optind], req, QUICK_MS, NULL);
    }
    /* The directory is the client's: make it absolute for the server. */
    if (dir[0] != '/') {
        char cwd[4096];

        if (getcwd(cwd, sizeof cwd) == NULL)
            return usage_error(&kill_info, "cannot resolve '%s'", dir);
        xasprintf(&abs, "%s/%s", cwd, dir);
        dir = abs;
    }
    snprintf(req, sizeof req, "stop-savepoint %s", dir);
    rc = ask("kill", argv[optind], req, SAVEPOINT_MS, NULL);
    free(abs);
    return rc;
}

/* activate and deactivate. */
static int
toggle(const gale_cmd_info_t *info, int argc, char **argv)
{
    int rc;

    if (cmd_cluster_wanted(argc, argv))
        return cmd_cluster_verb(argc, argv);
    if ((rc = plain_opts(info, argc, argv)) != 0)
        return rc - 1;
    return ask(info->name, argv[argc - 1], info->name, QUICK_MS, NULL);
}

int
cmd_activate(int argc, char **argv)
{
    return toggle(&activate_info, argc, argv);
}

int
cmd_deactivate(int argc, char **argv)
{
    return toggle(&deactivate_info, argc, argv);
}

int
cmd_savepoint(int argc, char **argv)
{
    gale_opts_t o;
    char req[4200], *cause = NULL, *abs = NULL;
    const char *dir;
    int rc, i;

    /* inspect reads a directory here, cluster or not. */
    for (i = 1; i < argc; i++)
        if (strcmp(argv[i], "inspect") == 0 && strcmp(argv[i - 1],
            "--cluster") != 0 && strcmp(argv[i - 1], "--key") != 0)
            break;
    if (i == argc && cmd_cluster_wanted(argc, argv))
        return cmd_cluster_verb(argc, argv);
    if ((rc = gale_opts_parse(&o, &savepoint_info, argc, argv)) != 0) {
        gale_opts_release(&o);
        return gale_opts_status(rc);
    }
    if (strcmp(o.args[0], "inspect") == 0) {
        if (o.nargs != 2) {
            gale_opts_release(&o);
            return usage_error(&savepoint_info, "inspect needs a DIR");
        }
        rc = gale_savepoint_inspect(o.args[1], stdout, &cause) == 0 ? 0 : 1;
        if (rc != 0)
            fprintf(stderr, "gale: savepoint: %s\n", cause);
        free(cause);
        gale_opts_release(&o);
        return rc;
    }
    dir = o.nargs == 2 ? o.args[1] : "-";
    if (dir[0] != '/' && strcmp(dir, "-") != 0) {
        char cwd[4096];

        if (getcwd(cwd, sizeof cwd) == NULL) {
            gale_opts_release(&o);
            return usage_error(&savepoint_info, "cannot resolve '%s'", dir);
        }
        xasprintf(&abs, "%s/%s", cwd, dir);
        dir = abs;
    }
    snprintf(req, sizeof req, "savepoint %s", dir);
    rc = ask("savepoint", o.args[0], req, SAVEPOINT_MS, NULL);
    free(abs);
    gale_opts_release(&o);
    return rc;
}

int
cmd_rebalance(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    char spec[4000] = "", req[4200], *end;
    size_t len = 0;
    long n;
    int c;

    if (cmd_cluster_wanted(argc, argv))
        return cmd_cluster_verb(argc, argv);
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hn:e:", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            gale_opts_help(&rebalance_info, stdout);
            return 0;
        case 'n':
            n = strtol(optarg, &end, 10);
            if (*end != '\0' || n < 1)
                return usage_error(&rebalance_info, "-n expects a number of "
                    "workers (>= 1), not '%s'", optarg);
            len += (size_t)snprintf(spec + len, sizeof spec - len,
                "%sworkers=%ld", len ? " " : "", n);
            break;
        case 'e':
            if (strchr(optarg, '=') == NULL || optarg[0] == '=' ||
                strchr(optarg, ' ') != NULL)
                return usage_error(&rebalance_info, "-e expects COMPONENT=N, "
                    "not '%s'", optarg);
            len += (size_t)snprintf(spec + len, sizeof spec - len, "%s%s",
                len ? " " : "", optarg);
            break;
        case ':':
            return usage_error(&rebalance_info, "option '%s' needs an argument",
                argv[optind - 1]);
        default:
            return usage_error(&rebalance_info, "unknown option '%s'",
                argv[optind - 1]);
        }
        if (len >= sizeof spec)
            return usage_error(&rebalance_info, "too many options");
    }
    if (argc - optind != 1)
        return usage_error(&rebalance_info, argc - optind == 0 ?
            "missing NAME" : "unexpected operand '%s'", argv[optind + 1]);
    if (len == 0)
        return usage_error(&rebalance_info, "nothing to change: give -n "
            "and/or -e");
    snprintf(req, sizeof req, "rebalance - %s", spec);
    return ask("rebalance", argv[optind], req, SAVEPOINT_MS, NULL);
}
