/* opts.h - option parsing shared by the gale subcommands.
 *
 * Every command that reads a topology file takes the same options:
 * --properties FILE (values for ${NAME}), -c KEY=VALUE (repeatable; a
 * Storm dotted key overriding the file's config) and --help; some also
 * take -v. A command describes itself once in a gale_cmd_info_t, from
 * which both its --help text and its short usage on errors are made, so
 * the two cannot drift apart. Used from the main thread only.
 */
#ifndef GALE_OPTS_H
#define GALE_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "topology/plan.h"
#include "topology/topology.h"

/* Which of the shared options a command accepts (gale_cmd_info_t.flags). */
#define GALE_OPT_TOPOLOGY   0x1     /* --properties FILE and -c KEY=VALUE */
#define GALE_OPT_VERBOSE    0x2     /* -v, --verbose */
#define GALE_OPT_RUN        0x4     /* -e, --from-savepoint, --from-checkpoint,
                                       --allow-non-restored-state, --ttl */

/* What a subcommand is, for its help and its usage errors. */
typedef struct gale_cmd_info {
    const char *name;               /* "validate" */
    const char *operands;           /* "FILE", shown after the options */
    const char *summary;            /* one line: what the command does */
    const char *details;            /* --help paragraph(s), or NULL */
    unsigned flags;                 /* GALE_OPT_* the command accepts */
    int min_args;                   /* fewest positional operands */
    int max_args;                   /* most positional operands */
} gale_cmd_info_t;

/* The parsed command line of one subcommand. */
typedef struct gale_opts {
    const gale_cmd_info_t *info;    /* borrowed: the command parsed for */
    const char *properties;         /* --properties FILE (borrowed), or NULL */
    const char **overrides;         /* -c values, NULL-terminated; the array
                                       is owned, the strings borrowed */
    size_t noverrides;              /* entries before the NULL */
    int verbose;                    /* number of -v given */
    const char **execs;             /* -e COMPONENT=N values, NULL-terminated;
                                       the array owned, strings borrowed */
    size_t nexecs;
    const char *from_savepoint;     /* --from-savepoint DIR, or NULL */
    unsigned long long from_checkpoint; /* --from-checkpoint ID, or 0 */
    bool allow_missing;             /* --allow-non-restored-state */
    double ttl;                     /* --ttl SECS, or 0 */
    const char *cluster;            /* --cluster FILE, or NULL */
    int slot;                       /* --slot K, or 0 */
    char **args;                    /* positional operands (borrowed argv) */
    int nargs;                      /* their number */
} gale_opts_t;

/* Parses argv (argv[0] is the command's name) as info describes. Returns
 * 0 when the command should run; -ECANCELED when --help was given and the
 * command's help has been printed to stdout; -EINVAL on a usage error,
 * which has been reported on stderr (prefixed "gale: ") with the short
 * usage. gale_opts_status() turns that into the exit status. o's strings
 * point into argv; free o with gale_opts_release() whatever is returned. */
int gale_opts_parse(gale_opts_t *o, const gale_cmd_info_t *info, int argc,
    char **argv);
/* Frees what gale_opts_parse allocated and zeroes o. Accepts a zeroed o. */
void gale_opts_release(gale_opts_t *o);
/* The process exit status for a gale_opts_parse result that is not 0:
 * 0 for -ECANCELED (help), 2 otherwise. */
int gale_opts_status(int rc);
/* Writes the command's full help (synopsis, summary, details, options). */
void gale_opts_help(const gale_cmd_info_t *info, FILE *fp);
/* Loads the topology file o->args[0] with o's --properties and -c
 * overrides, checking component types and custom groupings against the
 * registry (built-ins and plugins), and, when pp is not NULL, builds its
 * physical plan. Returns 0 with *tp (and *pp) owned by the caller, or 2
 * with *tp and *pp NULL after printing every diagnostic to stderr. */
int gale_opts_load(const gale_opts_t *o, gale_topology_t **tp,
    gale_plan_t **pp);
/* Reports a usage error of command info on stderr ("gale: NAME: " and
 * the message, the short usage, where to find more). Returns -EINVAL. */
int gale_opts_usage_error(const gale_cmd_info_t *info, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Writes the one-line synopsis, "usage: gale NAME [OPTIONS] OPERANDS". */
void gale_opts_usage(const gale_cmd_info_t *info, FILE *fp);

#endif
