/* cmd_cluster.c - the gale command against a cluster's nimbus: `gale
 * submit`, and list, kill, activate, deactivate and rebalance when given
 * --cluster FILE (or GALE_CLUSTER). engine/cluster/nimbus.h has the wire;
 * cmd_console.c sends its verbs here when a cluster is named. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "common/fs.h"
#include "common/xalloc.h"
#include "engine/net/cluster.h"
#include "engine/net/nimproto.h"
#include "engine/cluster/nimclient.h"
#include "topology/topology.h"

#define QUICK_MS 10000                      /* nimbus answers at once */
#define REBALANCE_MS (30 * 60 * 1000 + 30000) /* nimbus waits 30 min */

static const gale_cmd_info_t submit_info = {
    .name = "submit", .operands = "[--cluster FILE] [--key NAME|PATH] FILE",
    .summary = "Submit the topology in FILE to the cluster's nimbus.",
    .details =
        "Checks FILE here as `gale validate` does (errors are file:line,\n"
        "exit 2), then sends its text, this directory and the run options\n"
        "to nimbus, which records them and starts the topology's master\n"
        "(`gale run` on the nimbus host, in this directory when that host\n"
        "has it). FILE must not use @include. The cluster file is --cluster\n"
        "FILE or $GALE_CLUSTER; the key pair this client uses is --key (a\n"
        "name under the cluster's keys directory, or a .key_secret path),\n"
        "$GALE_KEY, or \"admin\". See docs/nimbus.md.\n",
    .flags = GALE_OPT_TOPOLOGY | GALE_OPT_RUN,
    .min_args = 1, .max_args = 1,
};

/* The cluster forms of the console verbs, for their help. */
static const gale_cmd_info_t cl_list_info = {
    .name = "list", .operands = "--cluster FILE [--key NAME|PATH]",
    .summary = "List the topologies of the cluster (Storm's columns).",
    .details =
        "Columns: Topology_name, Status (ACTIVE, INACTIVE, KILLED,\n"
        "REBALANCING, STARTING, RESTARTING, UNREACHABLE, FINISHED, FAILED),\n"
        "Num_tasks, Num_workers, Uptime_secs (since the submit). With -v also\n"
        "the port slot, the master's pid and restarts, and the supervisors\n"
        "nimbus has heard from.\n",
    .flags = GALE_OPT_VERBOSE,
};
static const gale_cmd_info_t cl_kill_info = {
    .name = "kill", .operands = "--cluster FILE [--key NAME|PATH] [-w SECS] "
        "[--savepoint DIR] NAME",
    .summary = "Stop topology NAME on the cluster (a finished one: forget "
        "it).",
    .details =
        "With --savepoint DIR the topology's master takes a savepoint into\n"
        "DIR (a path on the nimbus host, on the shared mount so that every\n"
        "host can read it; relative to this directory), waits for its sinks\n"
        "to publish it, and stops: the topology is then FINISHED, and\n"
        "`gale submit FILE --from-savepoint DIR` resumes it.\n",
    .min_args = 1, .max_args = 1,
};
static const gale_cmd_info_t cl_toggle_info = {
    .name = "activate", .operands = "--cluster FILE [--key NAME|PATH] NAME",
    .summary = "Let the spouts of topology NAME emit again (deactivate: "
        "pause them).",
    .min_args = 1, .max_args = 1,
};
static const gale_cmd_info_t cl_rebalance_info = {
    .name = "rebalance", .operands = "--cluster FILE [--key NAME|PATH] "
        "[-n WORKERS] [-e COMPONENT=N]... NAME",
    .summary = "Change the parallelism of topology NAME on the cluster, "
        "state included.",
    .min_args = 1, .max_args = 1,
};
static const gale_cmd_info_t cl_savepoint_info = {
    .name = "savepoint", .operands = "--cluster FILE [--key NAME|PATH] NAME "
        "[DIR]",
    .summary = "Take a savepoint of topology NAME on the cluster; it runs "
        "on.",
    .details =
        "DIR is a path on the nimbus host, where the master writes the\n"
        "savepoint (relative paths are made absolute here); put it on the\n"
        "shared mount. Without DIR it goes to <checkpoint\n"
        "dir>/savepoints/NAME-<time>. `gale savepoint inspect DIR` needs no\n"
        "cluster.\n",
    .min_args = 1, .max_args = 2,
};

/* Where the cluster is and who asks. */
typedef struct target {
    const char *file;           /* the cluster file */
    const char *key;            /* the client's key pair */
    gale_cluster_t *c;          /* owned; loaded by target_load */
    gale_nimclient_t *cl;       /* owned; made by the first call */
} target_t;

/* Takes --cluster FILE and --key K (also --opt=VALUE) out of argv, into
 * t; the other arguments are copied to *out (caller frees the array).
 * Returns the new argc, or -1 after a usage error about info. */
static int
take_target(const gale_cmd_info_t *info, int argc, char **argv, target_t *t,
    char ***out)
{
    char **v = xcalloc((size_t)argc + 1, sizeof *v);
    int i, k = 0;

    memset(t, 0, sizeof *t);
    t->file = getenv("GALE_CLUSTER");
    t->key = getenv("GALE_KEY");
    for (i = 0; i < argc; i++) {
        const char **dst = NULL;
        size_t len = 0;

        if (strcmp(argv[i], "--") == 0) {
            while (i < argc)
                v[k++] = argv[i++];
            break;
        }
        if (strncmp(argv[i], "--cluster", 9) == 0)
            dst = &t->file, len = 9;
        else if (strncmp(argv[i], "--key", 5) == 0)
            dst = &t->key, len = 5;
        if (dst == NULL || (argv[i][len] != '\0' && argv[i][len] != '=')) {
            v[k++] = argv[i];
            continue;
        }
        if (argv[i][len] == '=') {
            *dst = argv[i] + len + 1;
        } else if (i + 1 < argc) {
            *dst = argv[++i];
        } else {
            free(v);
            gale_opts_usage_error(info, "option '%s' needs an argument",
                argv[i]);
            return -1;
        }
    }
    if (t->key == NULL || *t->key == '\0')
        t->key = "admin";
    *out = v;
    return k;
}

/* Loads t's cluster file. 0, or the exit status after the error. */
static int
target_load(const gale_cmd_info_t *info, target_t *t)
{
    char *cause = NULL;

    if (t->file == NULL || *t->file == '\0') {
        gale_opts_usage_error(info, "no cluster: give --cluster FILE or set "
            "GALE_CLUSTER");
        return 2;
    }
    if ((t->c = gale_cluster_load(t->file, &cause)) == NULL) {
        fprintf(stderr, "gale: %s: %s\n", info->name, cause);
        free(cause);
        return 2;
    }
    return 0;
}

/* Sends verb to nimbus and reports failures. 0 with *r (ok: the caller
 * prints it), or the exit status (1; 2 for a refused submit whose reply
 * lists file:line errors) after printing why. */
static int
call(target_t *t, const char *verb, const char *const *args, size_t nargs,
    int timeout_ms, gale_nimreply_t *r)
{
    char *cause = NULL;
    size_t i;
    int rc;

    if (t->cl == NULL && (t->cl = gale_nimclient_new(t->c, t->key, &cause)) ==
        NULL) {
        fprintf(stderr, "gale: %s: %s\n", verb, cause);
        free(cause);
        return 1;
    }
    rc = gale_nimclient_call(t->cl, verb, args, nargs, timeout_ms, r, &cause);
    if (rc == -EACCES) {
        char *ep = gale_cluster_endpoint(&t->c->nimbus);

        fprintf(stderr, "gale: %s: nimbus at %s refused key %s: it is not on "
            "the cluster's list (%s)\n", verb, ep, t->key,
            t->c->keys_dir != NULL ? t->c->keys_dir : "keys");
        free(ep);
        return 1;
    }
    if (rc == -ETIMEDOUT) {
        char *ep = gale_cluster_endpoint(&t->c->nimbus);

        if (t->c->security == GALE_SECURITY_NONE)
            fprintf(stderr, "gale: %s: no answer from nimbus at %s within %d "
                "s (is it running? this client's cluster file says security "
                "\"none\": a nimbus with security \"curve\" never answers "
                "it)\n", verb, ep, timeout_ms / 1000);
        else
            fprintf(stderr, "gale: %s: no answer from nimbus at %s within %d "
                "s (is it running, and is key %s on the cluster's list?)\n",
                verb, ep, timeout_ms / 1000, t->key);
        free(ep);
        return 1;
    }
    if (rc != 0) {
        fprintf(stderr, "gale: %s: %s\n", verb, cause != NULL ? cause :
            strerror(-rc));
        free(cause);
        return 1;
    }
    if (!r->ok) {
        fprintf(stderr, "gale: %s: %s\n", verb, r->text);
        for (i = 0; i < r->nitems; i++)
            fprintf(stderr, "%s\n", r->items[i]);
        rc = strcmp(verb, GALE_NIM_SUBMIT) == 0 && r->nitems > 0 ? 2 : 1;
        gale_nimreply_release(r);
        return rc;
    }
    return 0;
}

/* Sends verb and prints an ok reply's text. The exit status. */
static int
call_print(target_t *t, const char *verb, const char *const *args,
    size_t nargs, int timeout_ms)
{
    gale_nimreply_t r;
    int rc;

    if ((rc = call(t, verb, args, nargs, timeout_ms, &r)) != 0)
        return rc;
    printf("%s\n", r.text);
    gale_nimreply_release(&r);
    return 0;
}

/* The value of key k in an item "k1=v1 k2=v2 ..." (caller frees), or a
 * copy of dflt. */
static char *
field(const char *item, const char *k, const char *dflt)
{
    size_t kl = strlen(k);
    const char *p = item;

    while ((p = strstr(p, k)) != NULL) {
        if ((p == item || p[-1] == ' ') && p[kl] == '=')
            return xstrndup(p + kl + 1, strcspn(p + kl + 1, " "));
        p += kl;
    }
    return xstrdup(dflt);
}

/* Prints one cell padded to width w, or ending the line when last (no
 * line ends in blanks). */
static void
print_cell(const char *s, size_t w, bool last)
{
    if (last)
        printf("%s\n", s);
    else
        printf("%-*s  ", (int)w, s);
}

/* Prints a table with a header; rows are items, cols their keys. */
static void
print_items(const gale_nimreply_t *r, const char *const *keys,
    const char *const *heads, size_t ncols)
{
    size_t *w = xcalloc(ncols, sizeof *w), i, j;
    char ***cell = xcalloc(r->nitems + 1, sizeof *cell);

    for (j = 0; j < ncols; j++)
        w[j] = strlen(heads[j]);
    for (i = 0; i < r->nitems; i++) {
        cell[i] = xcalloc(ncols, sizeof **cell);
        for (j = 0; j < ncols; j++) {
            cell[i][j] = field(r->items[i], keys[j], "-");
            if (strlen(cell[i][j]) > w[j])
                w[j] = strlen(cell[i][j]);
        }
    }
    for (j = 0; j < ncols; j++)
        print_cell(heads[j], w[j], j + 1 == ncols);
    for (i = 0; i < r->nitems; i++) {
        for (j = 0; j < ncols; j++) {
            print_cell(cell[i][j], w[j], j + 1 == ncols);
            free(cell[i][j]);
        }
        free(cell[i]);
    }
    free(cell);
    free(w);
}

static int
cluster_list(target_t *t, int argc, char **argv)
{
    static const char *const keys[] = { "name", "status", "tasks", "workers",
        "uptime", "slot", "pid", "restarts" };
    static const char *const heads[] = { "Topology_name", "Status",
        "Num_tasks", "Num_workers", "Uptime_secs", "Slot", "Master_pid",
        "Restarts" };
    static const char *const skeys[] = { "name", "host", "port", "pid",
        "workers", "seen_ms", "alive" };
    static const char *const sheads[] = { "Supervisor", "Host", "Port", "Pid",
        "Workers", "Seen_ms_ago", "Alive" };
    gale_nimreply_t r;
    gale_opts_t o;
    int rc, verbose;

    if ((rc = gale_opts_parse(&o, &cl_list_info, argc, argv)) != 0) {
        gale_opts_release(&o);
        return gale_opts_status(rc);
    }
    verbose = o.verbose;
    gale_opts_release(&o);
    if ((rc = target_load(&cl_list_info, t)) != 0)
        return rc;
    if ((rc = call(t, GALE_NIM_LIST, NULL, 0, QUICK_MS, &r)) != 0)
        return rc;
    if (r.nitems == 0)
        printf("No topologies on the cluster.\n");
    else
        print_items(&r, keys, heads, verbose ? 8 : 5);
    gale_nimreply_release(&r);
    if (!verbose)
        return 0;
    if ((rc = call(t, GALE_NIM_SUPERVISORS, NULL, 0, QUICK_MS, &r)) != 0)
        return rc;
    printf("\n");
    if (r.nitems == 0)
        printf("No supervisor has registered.\n");
    else
        print_items(&r, skeys, sheads, 7);
    gale_nimreply_release(&r);
    return 0;
}

static int
cluster_kill(target_t *t, int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "wait", required_argument, NULL, 'w' },
        { "savepoint", required_argument, NULL, 's' },
        { NULL, 0, NULL, 0 }
    };
    const char *args[2];
    char secs[32], *end, *sp = NULL, cwd[4096];
    const char *sp_arg = NULL;
    long w = 0;
    int c, rc;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hw:", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            gale_opts_help(&cl_kill_info, stdout);
            return 0;
        case 'w':
            w = strtol(optarg, &end, 10);
            if (*end != '\0' || end == optarg || w < 0)
                return gale_opts_status(gale_opts_usage_error(&cl_kill_info,
                    "-w expects seconds, not '%s'", optarg));
            break;
        case 's':
            if (optarg[0] == '\0')
                return gale_opts_status(gale_opts_usage_error(&cl_kill_info,
                    "--savepoint expects a directory"));
            sp_arg = optarg;
            break;
        case ':':
            return gale_opts_status(gale_opts_usage_error(&cl_kill_info,
                "option '%s' needs an argument", argv[optind - 1]));
        default:
            return gale_opts_status(gale_opts_usage_error(&cl_kill_info,
                "unknown option '%s'", argv[optind - 1]));
        }
    }
    if (argc - optind != 1)
        return gale_opts_status(gale_opts_usage_error(&cl_kill_info,
            argc - optind == 0 ? "missing NAME" : "unexpected operand '%s'",
            argv[optind + 1]));
    if ((rc = target_load(&cl_kill_info, t)) != 0)
        return rc;
    args[0] = argv[optind];
    if (sp_arg != NULL) {
        if (sp_arg[0] == '/')
            sp = xstrdup(sp_arg);
        else if (getcwd(cwd, sizeof cwd) != NULL)
            xasprintf(&sp, "%s/%s", cwd, sp_arg);
        else
            return gale_opts_status(gale_opts_usage_error(&cl_kill_info,
                "cannot make '%s' absolute: %s", sp_arg, strerror(errno)));
        /* Answered once the sinks published the savepoint. */
        args[1] = sp;
        rc = call_print(t, GALE_NIM_STOP_SAVEPOINT, args, 2, REBALANCE_MS);
        free(sp);
        return rc;
    }
    snprintf(secs, sizeof secs, "%ld", w);
    args[1] = secs;
    return call_print(t, GALE_NIM_KILL, args, 2, QUICK_MS);
}

static int
cluster_toggle(target_t *t, int argc, char **argv)
{
    gale_cmd_info_t info = cl_toggle_info;
    const char *args[1];
    gale_opts_t o;
    int rc;

    info.name = argv[0];
    if ((rc = gale_opts_parse(&o, &info, argc, argv)) != 0) {
        gale_opts_release(&o);
        return gale_opts_status(rc);
    }
    args[0] = o.args[0];
    gale_opts_release(&o);
    if ((rc = target_load(&info, t)) != 0)
        return rc;
    return call_print(t, argv[0], args, 1, QUICK_MS);
}

static int
cluster_rebalance(target_t *t, int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    char spec[4000] = "", *end;
    const char *args[2];
    size_t len = 0;
    long n;
    int c, rc;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hn:e:", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            gale_opts_help(&cl_rebalance_info, stdout);
            return 0;
        case 'n':
            n = strtol(optarg, &end, 10);
            if (*end != '\0' || n < 1)
                return gale_opts_status(gale_opts_usage_error(
                    &cl_rebalance_info, "-n expects a number of workers "
                    "(>= 1), not '%s'", optarg));
            len += (size_t)snprintf(spec + len, sizeof spec - len,
                "%sworkers=%ld", len ? " " : "", n);
            break;
        case 'e':
            if (strchr(optarg, '=') == NULL || optarg[0] == '=' ||
                strchr(optarg, ' ') != NULL)
                return gale_opts_status(gale_opts_usage_error(
                    &cl_rebalance_info, "-e expects COMPONENT=N, not '%s'",
                    optarg));
            len += (size_t)snprintf(spec + len, sizeof spec - len, "%s%s",
                len ? " " : "", optarg);
            break;
        case ':':
            return gale_opts_status(gale_opts_usage_error(&cl_rebalance_info,
                "option '%s' needs an argument", argv[optind - 1]));
        default:
            return gale_opts_status(gale_opts_usage_error(&cl_rebalance_info,
                "unknown option '%s'", argv[optind - 1]));
        }
        if (len >= sizeof spec)
            return gale_opts_status(gale_opts_usage_error(&cl_rebalance_info,
                "too many options"));
    }
    if (argc - optind != 1)
        return gale_opts_status(gale_opts_usage_error(&cl_rebalance_info,
            argc - optind == 0 ? "missing NAME" : "unexpected operand '%s'",
            argv[optind + 1]));
    if (len == 0)
        return gale_opts_status(gale_opts_usage_error(&cl_rebalance_info,
            "nothing to change: give -n and/or -e"));
    if ((rc = target_load(&cl_rebalance_info, t)) != 0)
        return rc;
    args[0] = argv[optind];
    args[1] = spec;
    return call_print(t, GALE_NIM_REBALANCE, args, 2, REBALANCE_MS);
}

bool
cmd_cluster_wanted(int argc, char **argv)
{
    const char *env = getenv("GALE_CLUSTER");
    int i;

    if (env != NULL && *env != '\0')
        return true;
    for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--cluster") == 0 ||
            strncmp(argv[i], "--cluster=", 10) == 0)
            return true;
    return false;
}

static int
cluster_savepoint(target_t *t, int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char *args[2];
    char *dir = NULL, cwd[4096];
    int c, rc;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        if (c == 'h') {
            gale_opts_help(&cl_savepoint_info, stdout);
            return 0;
        }
        return gale_opts_status(gale_opts_usage_error(&cl_savepoint_info,
            "unknown option '%s'", argv[optind - 1]));
    }
    if (argc - optind < 1 || argc - optind > 2)
        return gale_opts_status(gale_opts_usage_error(&cl_savepoint_info,
            argc - optind < 1 ? "missing NAME" : "unexpected operand '%s'",
            argv[optind + 2]));
    if (strcmp(argv[optind], "inspect") == 0)
        return gale_opts_status(gale_opts_usage_error(&cl_savepoint_info,
            "`gale savepoint inspect DIR` reads DIR here: run it without "
            "--cluster (and GALE_CLUSTER)"));
    if ((rc = target_load(&cl_savepoint_info, t)) != 0)
        return rc;
    if (argc - optind == 1)
        dir = xstrdup("-");
    else if (argv[optind + 1][0] == '/')
        dir = xstrdup(argv[optind + 1]);
    else if (getcwd(cwd, sizeof cwd) != NULL)
        xasprintf(&dir, "%s/%s", cwd, argv[optind + 1]);
    else
        return gale_opts_status(gale_opts_usage_error(&cl_savepoint_info,
            "cannot make '%s' absolute: %s", argv[optind + 1],
            strerror(errno)));
    args[0] = argv[optind];
    args[1] = dir;
    rc = call_print(t, GALE_NIM_SAVEPOINT, args, 2, REBALANCE_MS);
    free(dir);
    return rc;
}

int
cmd_cluster_verb(int argc, char **argv)
{
    gale_cmd_info_t info = { .name = argv[0] };
    target_t t;
    char **v;
    int n, rc;

    if ((n = take_target(&info, argc, argv, &t, &v)) < 0)
        return 2;
    if (strcmp(argv[0], "list") == 0)
        rc = cluster_list(&t, n, v);
    else if (strcmp(argv[0], "kill") == 0)
        rc = cluster_kill(&t, n, v);
    else if (strcmp(argv[0], "activate") == 0 ||
        strcmp(argv[0], "deactivate") == 0)
        rc = cluster_toggle(&t, n, v);
    else if (strcmp(argv[0], "rebalance") == 0)
        rc = cluster_rebalance(&t, n, v);
    else if (strcmp(argv[0], "savepoint") == 0)
        rc = cluster_savepoint(&t, n, v);
    else
        rc = gale_opts_status(gale_opts_usage_error(&info, "not available "
            "with --cluster"));
    gale_nimclient_destroy(&t.cl);
    gale_cluster_destroy(&t.c);
    free(v);
    return rc;
}

/* path made absolute against cwd (caller frees). */
static char *
absolute(const char *cwd, const char *path)
{
    char *p;

    if (path[0] == '/')
        return xstrdup(path);
    xasprintf(&p, "%s/%s", cwd, path);
    return p;
}

int
cmd_submit(int argc, char **argv)
{
    gale_topology_t *topo = NULL;
    gale_plan_t *plan = NULL;
    const char **args = NULL;
    char **v = NULL, **own = NULL, *text = NULL, cwd[4096], num[64];
    size_t nargs = 0, nown = 0, i;
    gale_opts_t o;
    target_t t;
    int n, rc;

    memset(&o, 0, sizeof o);
    if ((n = take_target(&submit_info, argc, argv, &t, &v)) < 0)
        return 2;
    if ((rc = gale_opts_parse(&o, &submit_info, n, v)) != 0) {
        rc = gale_opts_status(rc);
        goto out;
    }
    if (o.slot != 0) {
        rc = gale_opts_status(gale_opts_usage_error(&submit_info, "--slot is "
            "for nimbus to choose"));
        goto out;
    }
    if ((rc = target_load(&submit_info, &t)) != 0)
        goto out;
    /* Checked here, with this host's plugins, before anything is sent. */
    if ((rc = gale_opts_load(&o, &topo, &plan)) != 0)
        goto out;
    if (getcwd(cwd, sizeof cwd) == NULL) {
        fprintf(stderr, "gale: submit: cannot tell the current directory: "
            "%s\n", strerror(errno));
        rc = 1;
        goto out;
    }
    if ((rc = gale_read_file(o.args[0], &text, NULL)) != 0) {
        fprintf(stderr, "gale: submit: %s: %s\n", o.args[0], strerror(-rc));
        rc = 1;
        goto out;
    }
    /* SOURCE TEXT CWD OPTION...: paths absolute, since the master runs
     * elsewhere (or in cwd, when the nimbus host has it). */
    args = xcalloc(16 + 2 * (o.noverrides + o.nexecs), sizeof *args);
    own = xcalloc(4, sizeof *own);
    own[nown++] = absolute(cwd, o.args[0]);
    args[nargs++] = own[nown - 1];
    args[nargs++] = text;
    args[nargs++] = cwd;
    if (o.properties != NULL) {
        own[nown++] = absolute(cwd, o.properties);
        args[nargs++] = "--properties";
        args[nargs++] = own[nown - 1];
    }
    for (i = 0; i < o.noverrides; i++) {
        args[nargs++] = "-c";
        args[nargs++] = o.overrides[i];
    }
    for (i = 0; i < o.nexecs; i++) {
        args[nargs++] = "-e";
        args[nargs++] = o.execs[i];
    }
    if (o.from_savepoint != NULL) {
        own[nown++] = absolute(cwd, o.from_savepoint);
        args[nargs++] = "--from-savepoint";
        args[nargs++] = own[nown - 1];
    }
    if (o.from_checkpoint != 0) {
        snprintf(num, sizeof num, "%llu", o.from_checkpoint);
        args[nargs++] = "--from-checkpoint";
        args[nargs++] = num;
    }
    if (o.allow_missing)
        args[nargs++] = "--allow-non-restored-state";
    if (o.ttl > 0) {
        char *ttl;

        xasprintf(&ttl, "%g", o.ttl);
        own[nown++] = ttl;
        args[nargs++] = "--ttl";
        args[nargs++] = ttl;
    }
    rc = call_print(&t, GALE_NIM_SUBMIT, args, nargs, QUICK_MS);
out:
    for (i = 0; i < nown; i++)
        free(own[i]);
    free(own);
    free(args);
    free(text);
    gale_plan_destroy(&plan);
    gale_topology_destroy(&topo);
    gale_opts_release(&o);
    gale_nimclient_destroy(&t.cl);
    gale_cluster_destroy(&t.c);
    free(v);
    return rc;
}
