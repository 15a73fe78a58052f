/* cmd_keygen.c - gale keygen: make a host's or a user's CurveZMQ key pair
 * (engine/net/security.h, docs/security.md). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "common/fs.h"
#include "engine/net/security.h"

static const gale_cmd_info_t keygen_info = {
    .name = "keygen", .operands = "[-o DIR] NAME",
    .summary = "Make a CurveZMQ key pair for a host of the cluster.",
    .details =
        "Writes DIR/NAME.key (the public key: copy it into the keys\n"
        "directory of every host of the cluster) and DIR/NAME.key_secret\n"
        "(the secret key, mode 0600: keep it on the hosts that run as NAME\n"
        "only), then prints the public key. DIR is the current directory\n"
        "unless -o DIR is given; it is made when missing. An existing key\n"
        "is never overwritten.\n",
    .min_args = 1, .max_args = 1,
};

/* Reports a usage error (gale_opts_usage_error). Returns 2. */
#define usage_error(...) \
    gale_opts_status(gale_opts_usage_error(&keygen_info, __VA_ARGS__))

int
cmd_keygen(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "output", required_argument, NULL, 'o' },
        { NULL, 0, NULL, 0 }
    };
    gale_security_keypair_t kp;
    const char *dir = ".", *name;
    char *cause = NULL;
    int c, rc;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            gale_opts_help(&keygen_info, stdout);
            return 0;
        case 'o':
            if (optarg[0] == '\0')
                return usage_error("-o expects a directory");
            dir = optarg;
            break;
        case ':':
            return usage_error("option '%s' needs an argument",
                argv[optind - 1]);
        default:
            return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 1)
        return usage_error(argc - optind == 0 ? "missing NAME" :
            "unexpected operand '%s'", argv[optind + 1]);
    name = argv[optind];
    if (name[0] == '\0' || name[0] == '.' || strchr(name, '/') != NULL)
        return usage_error("'%s' is not a key name: use a plain file name "
            "(no '/', not starting with '.')", name);
    if (gale_security_check_curve(&cause) != 0) {
        fprintf(stderr, "gale: keygen: %s\n", cause);
        free(cause);
        return 1;
    }
    if ((rc = gale_mkdir_p(dir)) != 0) {
        fprintf(stderr, "gale: keygen: %s: %s\n", dir, strerror(-rc));
        return 1;
    }
    if ((rc = gale_security_keypair_generate(&kp)) != 0) {
        fprintf(stderr, "gale: keygen: %s\n", strerror(-rc));
        return 1;
    }
    rc = gale_security_keypair_write(dir, name, &kp, &cause);
    if (rc != 0) {
        fprintf(stderr, "gale: keygen: %s\n", cause);
        free(cause);
        gale_security_keypair_release(&kp);
        return rc == -EINVAL ? 2 : 1;
    }
    fprintf(stderr, "gale: keygen: wrote %s/%s.key (public) and "
        "%s/%s.key_secret (secret, mode 0600)\n", dir, name, dir, name);
    printf("%s\n", kp.public_z85);
    gale_security_keypair_release(&kp);
    return 0;
}
