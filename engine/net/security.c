/* security.c - CurveZMQ's modes and capability, and making CURVE server
 * and client sockets (security.h). Key pairs are keypair.c's, the allowed
 * set keyset.c's, the ZAP handler zap.c's. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <zmq.h>

#include "common/xalloc.h"
#include "engine/net/security_int.h"

/* ---- causes ---------------------------------------------------------- */

int __attribute__((format(printf, 3, 4)))
sec_fail(char **cause, int rc, const char *fmt, ...)
{
    va_list ap;

    if (cause != NULL) {
        va_start(ap, fmt);
        xvasprintf(cause, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* ---- modes and capability ------------------------------------------- */

int
gale_security_mode_parse(const char *s, gale_security_mode_t *mode,
    char **cause)
{
    if (s != NULL && strcmp(s, "curve") == 0)
        *mode = GALE_SECURITY_CURVE;
    else if (s != NULL && strcmp(s, "none") == 0)
        *mode = GALE_SECURITY_NONE;
    else
        return sec_fail(cause, -EINVAL, "security = \"%s\": expected \"curve\" "
            "or \"none\"", s != NULL ? s : "");
    return 0;
}

const char *
gale_security_mode_name(gale_security_mode_t mode)
{
    return mode == GALE_SECURITY_NONE ? "none" : "curve";
}

int
gale_security_check_curve(char **cause)
{
    if (zmq_has("curve"))
        return 0;
    return sec_fail(cause, -ENOTSUP, "this libzmq was built without CURVE "
        "security (zmq_has(\"curve\") is false): install one built with "
        "libsodium (Debian's libzmq5 is), or set security = \"none\" "
        "knowingly (see docs/security.md)");
}

/* ---- sockets -------------------------------------------------------- */

int
gale_security_server_setup(void *sock, const gale_security_keypair_t *kp,
    const gale_security_zap_t *zap)
{
    int one = 1;

    /* Without a handler libzmq would let in anyone who knows our public
     * key (the "Stonehouse" pattern), which is never what gale wants. */
    if (!sec_zap_started(zap))
        return -EINVAL;
    if (!gale_security_key_valid(kp->secret_z85))
        return -EINVAL;
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, kp->secret_z85,
            GALE_SECURITY_Z85_LEN + 1) != 0 ||
        zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, GALE_SECURITY_ZAP_DOMAIN,
            strlen(GALE_SECURITY_ZAP_DOMAIN)) != 0)
        return -errno;
#ifdef ZMQ_ZAP_ENFORCE_DOMAIN
    /* Draft API: refuse every client when no handler is bound, instead of
     * letting them all in. Our own check above covers stable builds. */
    if (zmq_setsockopt(sock, ZMQ_ZAP_ENFORCE_DOMAIN, &one, sizeof one) != 0)
        return -errno;
#endif
    return 0;
}

int
gale_security_client_setup(void *sock, const gale_security_keypair_t *kp,
    const char *server_z85)
{
    if (!gale_security_key_valid(server_z85) ||
        !gale_security_key_valid(kp->public_z85) ||
        !gale_security_key_valid(kp->secret_z85))
        return -EINVAL;
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, server_z85,
            GALE_SECURITY_Z85_LEN + 1) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, kp->public_z85,
            GALE_SECURITY_Z85_LEN + 1) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, kp->secret_z85,
            GALE_SECURITY_Z85_LEN + 1) != 0)
        return -errno;
    return 0;
}
