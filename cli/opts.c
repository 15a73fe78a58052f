/* opts.c - option parsing shared by the gale subcommands (see opts.h). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/opts.h"
#include "common/xalloc.h"
#include "cli/registry.h"
#include "topology/diag.h"

/* getopt_long values of options that have no short form. */
enum { OPT_PROPERTIES = 0x100, OPT_FROM_SAVEPOINT, OPT_FROM_CHECKPOINT,
    OPT_ALLOW_MISSING, OPT_TTL, OPT_CLUSTER, OPT_SLOT };

/* Writes the options part of the synopsis for info's flags. */
static void
opts_synopsis_options(const gale_cmd_info_t *info, FILE *fp)
{
    if (info->flags & GALE_OPT_TOPOLOGY)
        fputs(" [--properties FILE] [-c KEY=VALUE]...", fp);
    if (info->flags & GALE_OPT_RUN)
        fputs(" [-e COMPONENT=N]... [--from-savepoint DIR | --from-checkpoint"
            " ID]", fp);
    if (info->flags & GALE_OPT_VERBOSE)
        fputs(" [-v]", fp);
}

void
gale_opts_usage(const gale_cmd_info_t *info, FILE *fp)
{
    fprintf(fp, "usage: gale %s", info->name);
    opts_synopsis_options(info, fp);
    if (info->operands != NULL && *info->operands != '\0')
        fprintf(fp, " %s", info->operands);
    fputc('\n', fp);
}

void
gale_opts_help(const gale_cmd_info_t *info, FILE *fp)
{
    gale_opts_usage(info, fp);
    fprintf(fp, "\n%s\n", info->summary);
    if (info->details != NULL)
        fprintf(fp, "\n%s", info->details);
    fputs("\nOptions:\n", fp);
    if (info->flags & GALE_OPT_TOPOLOGY) {
        fputs("  --properties FILE  take ${NAME} values from a Java .properties"
            " file\n", fp);
        fputs("  -c KEY=VALUE       override a config key (Storm's dotted name,"
            "\n                     e.g. -c topology.workers=2); repeatable\n",
            fp);
    }
    if (info->flags & GALE_OPT_RUN) {
        fputs("  -e COMPONENT=N     run N executors of COMPONENT (its tasks "
            "follow when\n                     the file does not set more); "
            "repeatable\n", fp);
        fputs("  --from-savepoint DIR\n                     start from the "
            "savepoint in DIR (state follows component\n                     "
            "ids; other parallelism is rescaled)\n", fp);
        fputs("  --from-checkpoint ID\n                     start from "
            "retained checkpoint ID of the topology's store\n", fp);
        fputs("  --allow-non-restored-state\n                     drop the "
            "state of components the topology no longer has\n", fp);
        fputs("  --ttl SECS         stop gracefully after SECS seconds\n", fp);
        fputs("  --cluster FILE     place the workers on the supervisors of "
            "cluster FILE\n                     (this process is the "
            "topology's master; gale nimbus\n                     starts "
            "it so, docs/operations.md)\n", fp);
        fputs("  --slot K           with --cluster: use the ports of slot K "
            "(from nimbus)\n", fp);
    }
    if (info->flags & GALE_OPT_VERBOSE)
        fputs("  -v, --verbose      print more detail\n", fp);
    fputs("  -h, --help         print this help and exit\n", fp);
}

/* Reports a usage error of command info on stderr: the message, the short
 * usage and where to find more. Always returns -EINVAL. */
int
gale_opts_usage_error(const gale_cmd_info_t *info, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "gale: %s: ", info->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    gale_opts_usage(info, stderr);
    fprintf(stderr, "Try 'gale %s --help' for more information.\n",
        info->name);
    return -EINVAL;
}

/* Appends a -c value to o's overrides after checking it is KEY=VALUE with
 * a non-empty key. Returns 0, or -EINVAL after reporting the error. */
static int
opts_add_override(gale_opts_t *o, const char *kv)
{
    const char *eq = strchr(kv, '=');

    if (eq == NULL || eq == kv)
        return gale_opts_usage_error(o->info,
            "-c expects KEY=VALUE, not '%s'", kv);
    o->overrides = xreallocarray(o->overrides, o->noverrides + 2,
        sizeof(*o->overrides));
    o->overrides[o->noverrides++] = kv;
    o->overrides[o->noverrides] = NULL;
    return 0;
}

int
gale_opts_parse(gale_opts_t *o, const gale_cmd_info_t *info, int argc,
    char **argv)
{
    struct option longopts[16];
    char shortopts[12];
    size_t nl = 0, ns = 0;
    int c;

    memset(o, 0, sizeof(*o));
    o->info = info;

    /* ':' first: a missing argument is reported as ':' so the message can
     * be ours; errors are ours too (opterr = 0), all prefixed "gale: ". */
    shortopts[ns++] = ':';
    shortopts[ns++] = 'h';
    longopts[nl++] = (struct option){ "help", no_argument, NULL, 'h' };
    if (info->flags & GALE_OPT_TOPOLOGY) {
        shortopts[ns++] = 'c';
        shortopts[ns++] = ':';
        longopts[nl++] = (struct option){ "properties", required_argument,
            NULL, OPT_PROPERTIES };
    }
    if (info->flags & GALE_OPT_RUN) {
        shortopts[ns++] = 'e';
        shortopts[ns++] = ':';
        longopts[nl++] = (struct option){ "from-savepoint", required_argument,
            NULL, OPT_FROM_SAVEPOINT };
        longopts[nl++] = (struct option){ "from-checkpoint", required_argument,
            NULL, OPT_FROM_CHECKPOINT };
        longopts[nl++] = (struct option){ "allow-non-restored-state",
            no_argument, NULL, OPT_ALLOW_MISSING };
        longopts[nl++] = (struct option){ "ttl", required_argument, NULL,
            OPT_TTL };
        longopts[nl++] = (struct option){ "local-ttl", required_argument, NULL,
            OPT_TTL };
        longopts[nl++] = (struct option){ "cluster", required_argument, NULL,
            OPT_CLUSTER };
        longopts[nl++] = (struct option){ "slot", required_argument, NULL,
            OPT_SLOT };
    }
    if (info->flags & GALE_OPT_VERBOSE) {
        shortopts[ns++] = 'v';
        longopts[nl++] = (struct option){ "verbose", no_argument, NULL,
            'v' };
    }
    shortopts[ns] = '\0';
    longopts[nl] = (struct option){ NULL, 0, NULL, 0 };

    optind = 0;                     /* glibc: rescan from scratch */
    opterr = 0;
    while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            gale_opts_help(info, stdout);
            return -ECANCELED;
        case 'c':
            if (opts_add_override(o, optarg) != 0)
                return -EINVAL;
            break;
        case OPT_PROPERTIES:
            o->properties = optarg;
            break;
        case 'e':
            if (strchr(optarg, '=') == NULL || optarg[0] == '=')
                return gale_opts_usage_error(info,
                    "-e expects COMPONENT=N, not '%s'", optarg);
            o->execs = xreallocarray(o->execs, o->nexecs + 2,
                sizeof(*o->execs));
            o->execs[o->nexecs++] = optarg;
            o->execs[o->nexecs] = NULL;
            break;
        case OPT_FROM_SAVEPOINT:
            o->from_savepoint = optarg;
            break;
        case OPT_FROM_CHECKPOINT: {
            char *end;

            o->from_checkpoint = strtoull(optarg, &end, 10);
            if (*end != '\0' || o->from_checkpoint == 0)
                return gale_opts_usage_error(info, "--from-checkpoint expects a "
                    "checkpoint id (a positive integer), not '%s'", optarg);
            break;
        }
        case OPT_ALLOW_MISSING:
            o->allow_missing = true;
            break;
        case OPT_TTL: {
            char *end;

            o->ttl = strtod(optarg, &end);
            if (*end != '\0' || !(o->ttl > 0))
                return gale_opts_usage_error(info, "--ttl expects seconds (> 0), "
                    "not '%s'", optarg);
            break;
        }
        case OPT_CLUSTER:
            o->cluster = optarg;
            break;
        case OPT_SLOT: {
            char *end;
            long k = strtol(optarg, &end, 10);

            if (*end != '\0' || k < 0 || k > 10000)
                return gale_opts_usage_error(info, "--slot expects a slot "
                    "number (0 to 10000), not '%s'", optarg);
            o->slot = (int)k;
            break;
        }
        case 'v':
            o->verbose++;
            break;
        case ':':
            if (optopt == OPT_PROPERTIES)
                return gale_opts_usage_error(info,
                    "option '--properties' needs an argument");
            if (optopt >= OPT_FROM_SAVEPOINT)
                return gale_opts_usage_error(info,
                    "option '%s' needs an argument", argv[optind - 1]);
            return gale_opts_usage_error(info, "option '-%c' needs an argument",
                optopt);
        default:
            if (optopt != 0)
                return gale_opts_usage_error(info, "unknown option '-%c'", optopt);
            return gale_opts_usage_error(info, "unknown option '%s'",
                argv[optind - 1]);
        }
    }
    if (o->from_savepoint != NULL && o->from_checkpoint != 0)
        return gale_opts_usage_error(info, "--from-savepoint and --from-checkpoint "
            "exclude each other");
    o->args = argv + optind;
    o->nargs = argc - optind;
    if (o->nargs < info->min_args)
        return gale_opts_usage_error(info, "missing %s", info->operands);
    if (o->nargs > info->max_args)
        return gale_opts_usage_error(info, "unexpected operand '%s'",
            o->args[info->max_args]);
    return 0;
}

void
gale_opts_release(gale_opts_t *o)
{
    free(o->overrides);
    free(o->execs);
    memset(o, 0, sizeof(*o));
}

int
gale_opts_status(int rc)
{
    return rc == -ECANCELED ? 0 : 2;
}

/* Applies the -e COMPONENT=N options to t: N executors; the tasks follow
 * when the file gave as many tasks as executors, and are raised to N when
 * fewer. 0, or -1 with diagnostics added. */
static int
apply_execs(const gale_opts_t *o, gale_topology_t *t, gale_diag_t *diag)
{
    size_t i;
    int rc = 0;

    for (i = 0; i < o->nexecs; i++) {
        const char *eq = strchr(o->execs[i], '=');
        char *id = xstrndup(o->execs[i], (size_t)(eq - o->execs[i])), *end;
        long n = strtol(eq + 1, &end, 10);
        int k = gale_topology_find(t, id);
        gale_comp_t *c = k >= 0 ? &t->comps[k] : NULL;

        free(id);
        if (c == NULL) {
            gale_diag_add(diag, "-e", 0, "no component `%.*s` in %s",
                (int)(eq - o->execs[i]), o->execs[i], t->name);
            rc = -1;
            continue;
        }
        if (*end != '\0' || eq[1] == '\0' || n < 1 ||
            n > t->max_parallelism) {
            gale_diag_add(diag, "-e", 0, "%s: executors must be an integer "
                "from 1 to max_parallelism (%d), not `%s`", c->id,
                t->max_parallelism, eq + 1);
            rc = -1;
            continue;
        }
        c->ntasks = gale_comp_tasks_for(c, (int)n);
        c->parallelism = (int)n;
    }
    return rc;
}

int
gale_opts_load(const gale_opts_t *o, gale_topology_t **tp, gale_plan_t **pp)
{
    gale_load_opts_t lo = {
        .properties = o->properties,
        .overrides = o->overrides,
        .lookup_type = gale_registry_lookup,
        .lookup_grouping = gale_registry_lookup_grouping,
        .lookup_arg = NULL,
    };
    gale_diag_t *diag = gale_diag_new();

    *tp = NULL;
    if (pp != NULL)
        *pp = NULL;
    if ((*tp = gale_topology_load(o->args[0], &lo, diag)) == NULL)
        goto fail;
    if (o->nexecs > 0 && apply_execs(o, *tp, diag) != 0)
        goto fail;
    if (pp != NULL && (*pp = gale_plan_new(*tp, diag)) == NULL)
        goto fail;
    if (gale_diag_count(diag) != 0)
        goto fail;
    gale_diag_destroy(&diag);
    return 0;
fail:
    if (gale_diag_count(diag) == 0)     /* a loader bug; never silent */
        gale_diag_add(diag, o->args[0], 0, "cannot load topology");
    gale_diag_print(diag, stderr);
    gale_diag_destroy(&diag);
    if (pp != NULL)
        gale_plan_destroy(pp);
    gale_topology_destroy(tp);
    return 2;
}
