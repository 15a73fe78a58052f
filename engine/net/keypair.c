/* keypair.c - CurveZMQ key pairs and their files (keypair.h): making,
 * checking, writing and reading NAME.key and NAME.key_secret. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zmq.h>

#include "common/xalloc.h"
#include "engine/net/security_int.h"

/* Z85's alphabet (ZeroMQ RFC 32), in value order. */
static const char z85_chars[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    ".-:+=^!/*?&<>()[]{}@%$#";

/* ---- keys ----------------------------------------------------------- */

int
gale_security_keypair_generate(gale_security_keypair_t *kp)
{
    memset(kp, 0, sizeof *kp);
    if (gale_security_check_curve(NULL) != 0)
        return -ENOTSUP;
    if (zmq_curve_keypair(kp->public_z85, kp->secret_z85) != 0)
        return -errno;
    return 0;
}

void
gale_security_keypair_release(gale_security_keypair_t *kp)
{
    /* A plain memset of a dying object may be optimised away. */
    volatile char *p = (volatile char *)kp;
    size_t i;

    for (i = 0; i < sizeof *kp; i++)
        p[i] = 0;
}

/* Checks that s (len characters) is a Z85 key and decodes it into key
 * when key != NULL. 0, or -EINVAL with *why pointing at a static reason
 * and *col at the 0-based offending character (-1 for the whole). */
int
sec_z85_check(const char *s, size_t len, uint8_t *key, const char **why,
    int *col)
{
    uint64_t v = 0;
    size_t i;
    const char *c;

    *col = -1;
    if (len != GALE_SECURITY_Z85_LEN) {
        *why = "length";
        return -EINVAL;
    }
    for (i = 0; i < len; i++) {
        if (s[i] == '\0' || (c = strchr(z85_chars, s[i])) == NULL) {
            *why = "character";
            *col = (int)i;
            return -EINVAL;
        }
        v = v * 85 + (uint64_t)(c - z85_chars);
        if (i % 5 == 4) {
            /* Five characters carry at most 85^5 - 1 > 2^32 - 1. */
            if (v > UINT32_MAX) {
                *why = "overflow";
                *col = (int)(i - 4);
                return -EINVAL;
            }
            if (key != NULL) {
                key[i / 5 * 4] = (uint8_t)(v >> 24);
                key[i / 5 * 4 + 1] = (uint8_t)(v >> 16);
                key[i / 5 * 4 + 2] = (uint8_t)(v >> 8);
                key[i / 5 * 4 + 3] = (uint8_t)v;
            }
            v = 0;
        }
    }
    return 0;
}

bool
gale_security_key_valid(const char *s)
{
    const char *why;
    int col;

    return s != NULL && sec_z85_check(s, strlen(s), NULL, &why, &col) == 0;
}

/* Formats the reason z85_check gave for the value of setting what at
 * path:line (value starting at 1-based column vcol). Returns -EINVAL. */
int
sec_key_error(char **cause, const char *path, int line, const char *what,
    const char *why, int col, int vcol, size_t len, const char *value)
{
    if (strcmp(why, "length") == 0)
        return sec_fail(cause, -EINVAL, "%s:%d: %s is %zu characters long; a "
            "CurveZMQ key in Z85 is %d", path, line, what, len,
            GALE_SECURITY_Z85_LEN);
    if (strcmp(why, "character") == 0)
        return sec_fail(cause, -EINVAL, "%s:%d:%d: %s: '%c' is not a Z85 "
            "character (is this really a key written by gale keygen?)",
            path, line, vcol + col, what, value[col]);
    return sec_fail(cause, -EINVAL, "%s:%d:%d: %s: \"%.5s\" is not valid Z85 "
        "(its value exceeds 32 bits)", path, line, vcol + col, what,
        value + col);
}

/* What a key file holds. */
typedef struct keyfile {
    char public_z85[GALE_SECURITY_Z85_LEN + 1];  /* "" when absent */
    char secret_z85[GALE_SECURITY_Z85_LEN + 1];  /* "" when absent */
    int public_line;                /* where public-key was; 0 if absent */
    int secret_line;
} keyfile_t;

/* Parses one `NAME = "VALUE"` line (optional ';', trailing '#' comment)
 * of path into kf. 0, or -EINVAL with *cause. */
static int
parse_setting(const char *path, int line, char *s, keyfile_t *kf,
    char **cause)
{
    char *name = s, *value, *end, *p;
    const char *why;
    size_t nlen, vlen;
    int col, *where;
    char *dst;

    nlen = strspn(name, "abcdefghijklmnopqrstuvwxyz-_");
    p = name + nlen;
    p += strspn(p, " \t");
    if (nlen == 0 || *p != '=')
        return sec_fail(cause, -EINVAL, "%s:%d: expected `public-key = "
            "\"...\"` or `secret-key = \"...\"`", path, line);
    p++;
    p += strspn(p, " \t");
    if (*p != '"')
        return sec_fail(cause, -EINVAL, "%s:%d: the value must be in double "
            "quotes", path, line);
    value = p + 1;
    if ((end = strchr(value, '"')) == NULL)
        return sec_fail(cause, -EINVAL, "%s:%d: missing closing '\"'", path,
            line);
    vlen = (size_t)(end - value);
    p = end + 1;
    p += strspn(p, " \t;");
    if (*p != '\0' && *p != '#')
        return sec_fail(cause, -EINVAL, "%s:%d: unexpected text after the "
            "value: '%s'", path, line, p);
    if (nlen == 10 && strncmp(name, "public-key", 10) == 0) {
        dst = kf->public_z85;
        where = &kf->public_line;
    } else if (nlen == 10 && strncmp(name, "secret-key", 10) == 0) {
        dst = kf->secret_z85;
        where = &kf->secret_line;
    } else
        return sec_fail(cause, -EINVAL, "%s:%d: unknown setting '%.*s' (a key "
            "file has public-key and, if secret, secret-key)", path, line,
            (int)nlen, name);
    if (*where != 0)
        return sec_fail(cause, -EINVAL, "%s:%d: %.*s given twice (first at "
            "line %d)", path, line, (int)nlen, name, *where);
    name[nlen] = '\0';
    if (sec_z85_check(value, vlen, NULL, &why, &col) != 0)
        return sec_key_error(cause, path, line, name, why, col,
            (int)(value - s) + 1, vlen, value);
    memcpy(dst, value, vlen);
    dst[vlen] = '\0';
    *where = line;
    return 0;
}

/* Parses the key file open as fp (named path). 0 or -EINVAL/-errno with
 * *cause. kf holds what was read. */
static int
parse_keyfile(FILE *fp, const char *path, keyfile_t *kf, char **cause)
{
    char *buf = NULL, *s;
    size_t cap = 0;
    ssize_t n;
    int line = 0, rc = 0;

    memset(kf, 0, sizeof *kf);
    while ((n = getline(&buf, &cap, fp)) != -1) {
        line++;
        if ((size_t)n != strlen(buf)) {
            rc = sec_fail(cause, -EINVAL, "%s:%d: NUL byte in a key file", path,
                line);
            break;
        }
        buf[strcspn(buf, "\r\n")] = '\0';
        s = buf + strspn(buf, " \t");
        if (*s == '\0' || *s == '#')
            continue;
        if ((rc = parse_setting(path, line, s, kf, cause)) != 0)
            break;
    }
    if (rc == 0 && ferror(fp))
        rc = sec_fail(cause, -EIO, "%s: read error", path);
    if (rc == 0 && line == 0)
        rc = sec_fail(cause, -EINVAL, "%s: empty file (expected `public-key = "
            "\"...\"`)", path);
    else if (rc == 0 && kf->public_line == 0)
        rc = sec_fail(cause, -EINVAL, "%s:%d: no public-key in this file", path,
            line);
    if (buf != NULL) {
        /* The line buffer may have held a secret key. */
        memset(buf, 0, cap);
        free(buf);
    }
    return rc;
}

int
gale_security_public_read(const char *path,
    char out[GALE_SECURITY_Z85_LEN + 1], char **cause)
{
    keyfile_t kf;
    FILE *fp;
    int rc;

    out[0] = '\0';
    if ((fp = fopen(path, "re")) == NULL)
        return sec_fail(cause, -errno, "%s: %s", path, strerror(errno));
    rc = parse_keyfile(fp, path, &kf, cause);
    fclose(fp);
    /* A secret in a file meant to be shared is a leak waiting to happen. */
    if (rc == 0 && kf.secret_line != 0 &&
        strstr(path, ".key_secret") == NULL)
        rc = sec_fail(cause, -EINVAL, "%s:%d: a secret key in a public key "
            "file: do not share this file; keep it as NAME.key_secret "
            "(mode 0600)", path, kf.secret_line);
    if (rc == 0)
        memcpy(out, kf.public_z85, sizeof kf.public_z85);
    memset(&kf, 0, sizeof kf);
    return rc;
}

int
gale_security_secret_read(const char *path, gale_security_keypair_t *kp,
    char **cause)
{
    char derived[GALE_SECURITY_Z85_LEN + 1];
    struct stat st;
    keyfile_t kf;
    FILE *fp;
    int fd, rc;

    memset(kp, 0, sizeof *kp);
    memset(&kf, 0, sizeof kf);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
        return sec_fail(cause, -errno, "%s: %s", path, strerror(errno));
    if (fstat(fd, &st) == -1) {
        rc = sec_fail(cause, -errno, "%s: %s", path, strerror(errno));
        close(fd);
        return rc;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return sec_fail(cause, -EINVAL, "%s: not a regular file", path);
    }
    if ((st.st_mode & 077) != 0) {
        close(fd);
        return sec_fail(cause, -EPERM, "%s: secret key file is accessible by "
            "group or others (mode %04o); refusing to use it: run "
            "`chmod 600 %s`, and make a new key if others may have read it",
            path, (unsigned)(st.st_mode & 07777), path);
    }
    if ((fp = fdopen(fd, "r")) == NULL) {
        rc = sec_fail(cause, -errno, "%s: %s", path, strerror(errno));
        close(fd);
        return rc;
    }
    rc = parse_keyfile(fp, path, &kf, cause);
    fclose(fp);
    if (rc != 0)
        goto done;
    if (kf.secret_line == 0) {
        rc = sec_fail(cause, -EINVAL, "%s: no secret-key in this file (is it a "
            "public .key file?)", path);
        goto done;
    }
    if (zmq_curve_public(derived, kf.secret_z85) != 0) {
        rc = sec_fail(cause, -errno, "%s: cannot derive the public key: %s",
            path, zmq_strerror(errno));
        goto done;
    }
    if (strcmp(derived, kf.public_z85) != 0) {
        rc = sec_fail(cause, -EINVAL, "%s:%d: public-key is not the public key "
            "of this file's secret-key (the two lines come from different "
            "key pairs)", path, kf.public_line);
        goto done;
    }
    memcpy(kp->public_z85, kf.public_z85, sizeof kp->public_z85);
    memcpy(kp->secret_z85, kf.secret_z85, sizeof kp->secret_z85);
done:
    memset(&kf, 0, sizeof kf);
    return rc;
}

/* Writes all of text to the new file path (flags as open's, mode) and
 * syncs it. 0 or -errno; on failure path does not exist unless it existed
 * before (-EEXIST). */
static int
write_new(const char *path, const char *text, mode_t mode)
{
    size_t len = strlen(text), off = 0;
    ssize_t n;
    int fd, rc = 0;

    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
        mode);
    if (fd == -1)
        return -errno;
    /* The umask may have taken bits; the mode is part of the contract. */
    if (fchmod(fd, mode) == -1)
        rc = -errno;
    while (rc == 0 && off < len) {
        if ((n = write(fd, text + off, len - off)) == -1) {
            if (errno != EINTR)
                rc = -errno;
            continue;
        }
        off += (size_t)n;
    }
    if (rc == 0 && fsync(fd) == -1)
        rc = -errno;
    if (close(fd) == -1 && rc == 0)
        rc = -errno;
    if (rc != 0)
        unlink(path);
    return rc;
}

int
gale_security_keypair_write(const char *dir, const char *name,
    const gale_security_keypair_t *kp, char **cause)
{
    char *pub = NULL, *sec = NULL, *pubtext = NULL, *sectext = NULL;
    char derived[GALE_SECURITY_Z85_LEN + 1];
    struct stat st;
    int rc;

    if (name == NULL || name[0] == '\0' || name[0] == '.' ||
        strchr(name, '/') != NULL || strlen(name) > 200)
        return sec_fail(cause, -EINVAL, "'%s' is not a key name: use a plain "
            "file name (letters, digits, '-', '_'; no '/', not starting with "
            "'.')", name != NULL ? name : "");
    if (!gale_security_key_valid(kp->public_z85) ||
        !gale_security_key_valid(kp->secret_z85) ||
        zmq_curve_public(derived, kp->secret_z85) != 0 ||
        strcmp(derived, kp->public_z85) != 0)
        return sec_fail(cause, -EINVAL, "not a CurveZMQ key pair");
    xasprintf(&pub, "%s/%s.key", dir, name);
    xasprintf(&sec, "%s/%s.key_secret", dir, name);
    /* Check both first, so that a refusal writes nothing. */
    if (lstat(pub, &st) == 0 || lstat(sec, &st) == 0) {
        rc = sec_fail(cause, -EEXIST, "%s exists: not overwriting a key "
            "(remove %s and %s first to replace it)",
            lstat(pub, &st) == 0 ? pub : sec, pub, sec);
        goto done;
    }
    xasprintf(&sectext, "# gale CurveZMQ secret key of %s (gale keygen).\n"
        "# Keep it private: mode 0600, only on the hosts that run as %s;\n"
        "# never copy it into a keys directory or share it.\n"
        "public-key = \"%s\"\nsecret-key = \"%s\"\n", name, name,
        kp->public_z85, kp->secret_z85);
    xasprintf(&pubtext, "# gale CurveZMQ public key of %s (gale keygen).\n"
        "# Not secret: copy it into the keys directory of every host of\n"
        "# the cluster that %s joins.\npublic-key = \"%s\"\n", name, name,
        kp->public_z85);
    if ((rc = write_new(sec, sectext, 0600)) != 0) {
        sec_fail(cause, rc, "%s: %s", sec, strerror(-rc));
        goto done;
    }
    if ((rc = write_new(pub, pubtext, 0644)) != 0) {
        sec_fail(cause, rc, "%s: %s", pub, strerror(-rc));
        unlink(sec);
        goto done;
    }
done:
    if (sectext != NULL) {
        memset(sectext, 0, strlen(sectext));
        free(sectext);
    }
    free(pubtext);
    free(pub);
    free(sec);
    return rc;
}
