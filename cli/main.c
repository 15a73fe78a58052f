/* main.c - the gale command: global options, then dispatch to a
 * subcommand (cli/cmd_*.c) with the arguments that follow its name. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

/* A subcommand: its name, what it does, and the function that runs it. */
typedef struct cmd_entry {
    const char *name;               /* as typed after "gale" */
    const char *summary;            /* one line for `gale --help` */
    int (*fn)(int, char **);        /* runs it; returns the exit status */
} cmd_entry_t;

static const cmd_entry_t commands[] = {
    { "validate", "check a topology file and print a summary", cmd_validate },
    { "graph",    "print a topology as a Graphviz DOT graph", cmd_graph },
    { "plan",     "print the physical plan: tasks, executors, channels",
                  cmd_plan },
    { "run",      "run a topology (in this process, or in worker processes)",
                  cmd_run },
    { "local",    "run a topology for a while (Storm's `storm local`)",
                  cmd_local },
    { "list",     "list the topologies running on this host", cmd_list },
    { "kill",     "stop a running topology (optionally with a savepoint)",
                  cmd_kill },
    { "activate", "let a running topology's spouts emit again", cmd_activate },
    { "deactivate", "pause a running topology's spouts", cmd_deactivate },
    { "savepoint", "take a savepoint of a running topology, or inspect one",
                  cmd_savepoint },
    { "rebalance", "change a running topology's parallelism, state included",
                  cmd_rebalance },
    { "top",      "show a running topology's components, refreshed",
                  cmd_top },
    { "flux-import", "convert a Storm Flux YAML topology to the gale DSL",
                  cmd_flux_import },
    { "keygen",   "make a CurveZMQ key pair for a cluster host", cmd_keygen },
    { "submit",   "submit a topology to a cluster's nimbus", cmd_submit },
    { "nimbus",   "run a cluster's coordinator daemon", cmd_nimbus },
    { "supervisor", "run the supervisor daemon of a cluster host",
                  cmd_supervisor },
    /* Internal: started by `gale run`; not listed by --help. */
    { "worker",   NULL, cmd_worker },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/* Writes the one-line synopsis of the gale command. */
static void
usage(FILE *fp)
{
    fputs("usage: gale [--version] [--help] COMMAND [ARGS]\n", fp);
}

/* Writes `gale --help`: the synopsis and every command. */
static void
help(FILE *fp)
{
    size_t i;

    usage(fp);
    fputs("\ngale runs Apache Storm topologies written in a libconfig DSL,"
        " exactly once.\n\nCommands:\n", fp);
    for (i = 0; i < NCOMMANDS; i++)
        if (commands[i].summary != NULL)
            fprintf(fp, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fputs("\nOptions:\n"
        "  -h, --help     print this help and exit\n"
        "  -V, --version  print the version and exit\n"
        "\nRun 'gale COMMAND --help' for the options of a command;"
        " see gale(1).\n", fp);
}

/* Reports a usage error of the gale command itself. Returns 2. */
static int
usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "gale: %s '%s'\n", what, arg);
    usage(stderr);
    fputs("Try 'gale --help' for more information.\n", stderr);
    return 2;
}

/* Flushes stdout so that a failed write (a full disk, a closed pipe) is
 * not lost silently. Returns status, or 1 when the output failed. */
static int
finish(int status)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "gale: error writing output: %s\n", strerror(errno));
        return 1;
    }
    return status;
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 }
    };
    char opt[3] = { '-', 0, 0 };
    size_t i;
    int c;

    /* '+': stop at the command's name; its options are its own. */
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            help(stdout);
            return finish(0);
        case 'V':
            printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
            return finish(0);
        default:
            if (optopt == 0)
                return usage_error("unknown option", argv[optind - 1]);
            opt[1] = (char)optopt;
            return usage_error("unknown option", opt);
        }
    }
    if (optind >= argc) {
        fputs("gale: no command given\n", stderr);
        usage(stderr);
        fputs("Try 'gale --help' for more information.\n", stderr);
        return 2;
    }
    for (i = 0; i < NCOMMANDS; i++) {
        if (strcmp(argv[optind], commands[i].name) == 0)
            return finish(commands[i].fn(argc - optind, argv + optind));
    }
    return usage_error("unknown command", argv[optind]);
}
