/* security_int.h - what engine/net/{security,keypair,keyset,zap}.c
 * share. Internal to those files. */
#ifndef GALE_NET_SECURITY_INT_H
#define GALE_NET_SECURITY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/net/security.h"

#define KEY_BYTES 32                /* a binary CurveZMQ key */

/* Sets *cause (when wanted) and returns rc, so that a failure is one
 * statement (security.c). */
int sec_fail(char **cause, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Checks that s (len characters) is a Z85 key and decodes it into key
 * when key != NULL. 0, or -EINVAL with *why pointing at a static reason
 * and *col at the 0-based offending character (-1 for the whole)
 * (keypair.c). */
int sec_z85_check(const char *s, size_t len, uint8_t *key, const char **why,
    int *col);
/* Formats the reason sec_z85_check gave for the value of setting what at
 * path:line (value starting at 1-based column vcol). Returns -EINVAL
 * (keypair.c). */
int sec_key_error(char **cause, const char *path, int line, const char *what,
    const char *why, int col, int vcol, size_t len, const char *value);
/* Whether zap is a running handler (zap.c). */
bool sec_zap_started(const gale_security_zap_t *zap);

#endif
