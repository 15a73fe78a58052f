/* cmd_flux_import.c - `gale flux-import FILE.yaml [--properties FILE]
 * [-o OUT]`: converts a Storm Flux topology to the gale DSL
 * (compat/flux/convert.c does the work). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "compat/flux/convert.h"
#include "topology/diag.h"

/* getopt_long values of options that have no short form. */
enum { OPT_PROPERTIES = 0x100 };

/* Writes the one-line synopsis. */
static void
usage(FILE *fp)
{
    fputs("usage: gale flux-import [--properties FILE] [-o OUT] FILE\n", fp);
}

/* Writes --help. */
static void
help(FILE *fp)
{
    usage(fp);
    fputs("\nConvert the Storm Flux topology in FILE (YAML) to the gale DSL.\n"
        "\nEvery element of the Flux schema is converted or refused: an\n"
        "element gale cannot run (a Java class without a gale equivalent,\n"
        "a topologySource, a classpath include, ...) is reported as\n"
        "FILE:LINE: MESSAGE on stderr, nothing is written, and the exit\n"
        "status is 2. What gale leaves out on purpose (a bolt no stream\n"
        "feeds, resource hints) is a warning on stderr and a comment in the\n"
        "output. ${NAME} and ${NAME[N]} take values from --properties, and\n"
        "${ENV-NAME} from the environment, as Flux's --filter and\n"
        "--env-filter do. See docs/flux.md.\n"
        "\nOptions:\n"
        "  --properties FILE  take ${NAME} values from a Java .properties"
        " file\n"
        "  -o, --output OUT   write the DSL to OUT instead of stdout\n"
        "  -h, --help         print this help and exit\n", fp);
}

/* Reports a usage error; returns 2. */
static int
usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "gale: flux-import: %s%s%s%s\n", msg,
        arg != NULL ? " '" : "", arg != NULL ? arg : "",
        arg != NULL ? "'" : "");
    usage(stderr);
    fputs("Try 'gale flux-import --help' for more information.\n", stderr);
    return 2;
}

/* Writes text to path (or stdout when path is NULL). 0, or 1 after
 * reporting the error. */
static int
write_out(const char *path, const char *text)
{
    FILE *fp = path == NULL ? stdout : fopen(path, "w");
    int rc = 0;

    if (fp == NULL) {
        fprintf(stderr, "gale: flux-import: %s: %s\n", path, strerror(errno));
        return 1;
    }
    if (fputs(text, fp) == EOF)
        rc = 1;
    if (path != NULL && fclose(fp) != 0)
        rc = 1;
    if (rc != 0 && path != NULL)
        fprintf(stderr, "gale: flux-import: %s: %s\n", path, strerror(errno));
    return rc;
}

int
cmd_flux_import(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "output", required_argument, NULL, 'o' },
        { "properties", required_argument, NULL, OPT_PROPERTIES },
        { NULL, 0, NULL, 0 }
    };
    gale_flux_opts_t fo = { NULL };
    gale_diag_t *errs, *warns;
    const char *outpath = NULL;
    char opt[3] = { '-', 0, 0 }, *text;
    int c, rc;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            help(stdout);
            return 0;
        case 'o':
            outpath = optarg;
            break;
        case OPT_PROPERTIES:
            fo.properties = optarg;
            break;
        case ':':
            if (optopt == OPT_PROPERTIES)
                return usage_error("option '--properties' needs an argument",
                    NULL);
            if (optopt == 'o' && argv[optind - 1][1] == '-')
                return usage_error("option '--output' needs an argument",
                    NULL);
            opt[1] = (char)optopt;
            return usage_error("option needs an argument:", opt);
        default:
            if (optopt != 0) {
                opt[1] = (char)optopt;
                return usage_error("unknown option", opt);
            }
            return usage_error("unknown option", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return usage_error("missing FILE", NULL);
    if (optind + 1 < argc)
        return usage_error("unexpected operand", argv[optind + 1]);
    errs = gale_diag_new();
    warns = gale_diag_new();
    text = gale_flux_convert(argv[optind], NULL, 0, &fo, errs, warns);
    gale_diag_print(warns, stderr);
    gale_diag_print(errs, stderr);
    if (text == NULL)
        rc = 2;
    else
        rc = write_out(outpath, text);
    free(text);
    gale_diag_destroy(&errs);
    gale_diag_destroy(&warns);
    return rc;
}
