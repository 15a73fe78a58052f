/* security.c - CurveZMQ key pairs, key files, the allowed set and the ZAP
 * handler (security.h says what each is for). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zmq.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "engine/net/security.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define KEY_BYTES 32

/* Z85's alphabet (ZeroMQ RFC 32), in value order. */
static const char z85_chars[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    ".-:+=^!/*?&<>()[]{}@%$#";

/* Sets *cause (when wanted) and returns rc, so that a failure is one
 * statement. */
static int __attribute__((format(printf, 3, 4)))
fail(char **cause, int rc, const char *fmt, ...)
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
        return fail(cause, -EINVAL, "security = \"%s\": expected \"curve\" "
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
    return fail(cause, -ENOTSUP, "this libzmq was built without CURVE "
        "security (zmq_has(\"curve\") is false): install one built with "
        "libsodium (Debian's libzmq5 is), or set security = \"none\" "
        "knowingly (see docs/security.md)");
}

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
gale_security_keypair_clear(gale_security_keypair_t *kp)
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
static int
z85_check(const char *s, size_t len, uint8_t *key, const char **why,
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

    return s != NULL && z85_check(s, strlen(s), NULL, &why, &col) == 0;
}

/* Formats the reason z85_check gave for the value of setting what at
 * path:line (value starting at 1-based column vcol). Returns -EINVAL. */
static int
key_error(char **cause, const char *path, int line, const char *what,
    const char *why, int col, int vcol, size_t len, const char *value)
{
    if (strcmp(why, "length") == 0)
        return fail(cause, -EINVAL, "%s:%d: %s is %zu characters long; a "
            "CurveZMQ key in Z85 is %d", path, line, what, len,
            GALE_SECURITY_Z85_LEN);
    if (strcmp(why, "character") == 0)
        return fail(cause, -EINVAL, "%s:%d:%d: %s: '%c' is not a Z85 "
            "character (is this really a key written by gale keygen?)",
            path, line, vcol + col, what, value[col]);
    return fail(cause, -EINVAL, "%s:%d:%d: %s: \"%.5s\" is not valid Z85 "
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
        return fail(cause, -EINVAL, "%s:%d: expected `public-key = \"...\"` "
            "or `secret-key = \"...\"`", path, line);
    p++;
    p += strspn(p, " \t");
    if (*p != '"')
        return fail(cause, -EINVAL, "%s:%d: the value must be in double "
            "quotes", path, line);
    value = p + 1;
    if ((end = strchr(value, '"')) == NULL)
        return fail(cause, -EINVAL, "%s:%d: missing closing '\"'", path,
            line);
    vlen = (size_t)(end - value);
    p = end + 1;
    p += strspn(p, " \t;");
    if (*p != '\0' && *p != '#')
        return fail(cause, -EINVAL, "%s:%d: unexpected text after the value: "
            "'%s'", path, line, p);
    if (nlen == 10 && strncmp(name, "public-key", 10) == 0) {
        dst = kf->public_z85;
        where = &kf->public_line;
    } else if (nlen == 10 && strncmp(name, "secret-key", 10) == 0) {
        dst = kf->secret_z85;
        where = &kf->secret_line;
    } else
        return fail(cause, -EINVAL, "%s:%d: unknown setting '%.*s' (a key "
            "file has public-key and, if secret, secret-key)", path, line,
            (int)nlen, name);
    if (*where != 0)
        return fail(cause, -EINVAL, "%s:%d: %.*s given twice (first at line "
            "%d)", path, line, (int)nlen, name, *where);
    name[nlen] = '\0';
    if (z85_check(value, vlen, NULL, &why, &col) != 0)
        return key_error(cause, path, line, name, why, col,
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
            rc = fail(cause, -EINVAL, "%s:%d: NUL byte in a key file", path,
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
        rc = fail(cause, -EIO, "%s: read error", path);
    if (rc == 0 && line == 0)
        rc = fail(cause, -EINVAL, "%s: empty file (expected `public-key = "
            "\"...\"`)", path);
    else if (rc == 0 && kf->public_line == 0)
        rc = fail(cause, -EINVAL, "%s:%d: no public-key in this file", path,
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
        return fail(cause, -errno, "%s: %s", path, strerror(errno));
    rc = parse_keyfile(fp, path, &kf, cause);
    fclose(fp);
    /* A secret in a file meant to be shared is a leak waiting to happen. */
    if (rc == 0 && kf.secret_line != 0 &&
        strstr(path, ".key_secret") == NULL)
        rc = fail(cause, -EINVAL, "%s:%d: a secret key in a public key file: "
            "do not share this file; keep it as NAME.key_secret (mode 0600)",
            path, kf.secret_line);
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
        return fail(cause, -errno, "%s: %s", path, strerror(errno));
    if (fstat(fd, &st) == -1) {
        rc = fail(cause, -errno, "%s: %s", path, strerror(errno));
        close(fd);
        return rc;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return fail(cause, -EINVAL, "%s: not a regular file", path);
    }
    if ((st.st_mode & 077) != 0) {
        close(fd);
        return fail(cause, -EPERM, "%s: secret key file is accessible by "
            "group or others (mode %04o); refusing to use it: run "
            "`chmod 600 %s`, and make a new key if others may have read it",
            path, (unsigned)(st.st_mode & 07777), path);
    }
    if ((fp = fdopen(fd, "r")) == NULL) {
        rc = fail(cause, -errno, "%s: %s", path, strerror(errno));
        close(fd);
        return rc;
    }
    rc = parse_keyfile(fp, path, &kf, cause);
    fclose(fp);
    if (rc != 0)
        goto done;
    if (kf.secret_line == 0) {
        rc = fail(cause, -EINVAL, "%s: no secret-key in this file (is it a "
            "public .key file?)", path);
        goto done;
    }
    if (zmq_curve_public(derived, kf.secret_z85) != 0) {
        rc = fail(cause, -errno, "%s: cannot derive the public key: %s",
            path, zmq_strerror(errno));
        goto done;
    }
    if (strcmp(derived, kf.public_z85) != 0) {
        rc = fail(cause, -EINVAL, "%s:%d: public-key is not the public key "
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
        return fail(cause, -EINVAL, "'%s' is not a key name: use a plain "
            "file name (letters, digits, '-', '_'; no '/', not starting with "
            "'.')", name != NULL ? name : "");
    if (!gale_security_key_valid(kp->public_z85) ||
        !gale_security_key_valid(kp->secret_z85) ||
        zmq_curve_public(derived, kp->secret_z85) != 0 ||
        strcmp(derived, kp->public_z85) != 0)
        return fail(cause, -EINVAL, "not a CurveZMQ key pair");
    xasprintf(&pub, "%s/%s.key", dir, name);
    xasprintf(&sec, "%s/%s.key_secret", dir, name);
    /* Check both first, so that a refusal writes nothing. */
    if (lstat(pub, &st) == 0 || lstat(sec, &st) == 0) {
        rc = fail(cause, -EEXIST, "%s exists: not overwriting a key (remove "
            "%s and %s first to replace it)", lstat(pub, &st) == 0 ? pub :
            sec, pub, sec);
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
        fail(cause, rc, "%s: %s", sec, strerror(-rc));
        goto done;
    }
    if ((rc = write_new(pub, pubtext, 0644)) != 0) {
        fail(cause, rc, "%s: %s", pub, strerror(-rc));
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

/* ---- the allowed set ------------------------------------------------ */

/* One allowed key. */
typedef struct allowed {
    uint8_t key[KEY_BYTES];         /* binary public key */
    char *name;                     /* owned: where it came from */
} allowed_t;

struct gale_security_keyset {
    allowed_t *v;                   /* owned; sorted by key */
    size_t n;                       /* entries in v */
};

gale_security_keyset_t *
gale_security_keyset_new(void)
{
    return xcalloc(1, sizeof(gale_security_keyset_t));
}

void
gale_security_keyset_destroy(gale_security_keyset_t **ksp)
{
    gale_security_keyset_t *ks;
    size_t i;

    if (ksp == NULL || (ks = *ksp) == NULL)
        return;
    for (i = 0; i < ks->n; i++)
        free(ks->v[i].name);
    free(ks->v);
    free(ks);
    *ksp = NULL;
}

/* The index of the first entry >= key. */
static size_t
lower_bound(const gale_security_keyset_t *ks, const uint8_t *key)
{
    size_t lo = 0, hi = ks->n, mid;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        if (memcmp(ks->v[mid].key, key, KEY_BYTES) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int
gale_security_keyset_add(gale_security_keyset_t *ks, const char *z85,
    const char *name)
{
    uint8_t key[KEY_BYTES];
    const char *why;
    size_t at;
    int col;

    if (z85 == NULL || z85_check(z85, strlen(z85), key, &why, &col) != 0)
        return -EINVAL;
    at = lower_bound(ks, key);
    if (at < ks->n && memcmp(ks->v[at].key, key, KEY_BYTES) == 0)
        return 0;
    ks->v = xreallocarray(ks->v, ks->n + 1, sizeof *ks->v);
    memmove(ks->v + at + 1, ks->v + at, (ks->n - at) * sizeof *ks->v);
    memcpy(ks->v[at].key, key, KEY_BYTES);
    ks->v[at].name = xstrdup(name != NULL ? name : z85);
    ks->n++;
    return 0;
}

size_t
gale_security_keyset_count(const gale_security_keyset_t *ks)
{
    return ks->n;
}

const char *
gale_security_keyset_find(const gale_security_keyset_t *ks,
    const uint8_t key[32])
{
    size_t at = lower_bound(ks, key);

    if (at < ks->n && memcmp(ks->v[at].key, key, KEY_BYTES) == 0)
        return ks->v[at].name;
    return NULL;
}

static int
by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

gale_security_keyset_t *
gale_security_keyset_load_dir(const char *dir, char **cause)
{
    char key[GALE_SECURITY_Z85_LEN + 1], *path, **names = NULL;
    gale_security_keyset_t *ks = gale_security_keyset_new();
    size_t n = 0, i, len;
    struct dirent *de;
    DIR *d;
    int rc = 0;

    if ((d = opendir(dir)) == NULL) {
        fail(cause, -errno, "keys directory %s: %s", dir, strerror(errno));
        gale_security_keyset_destroy(&ks);
        return NULL;
    }
    while ((de = readdir(d)) != NULL) {
        len = strlen(de->d_name);
        if (de->d_name[0] == '.' || len <= 4 ||
            strcmp(de->d_name + len - 4, ".key") != 0)
            continue;
        names = xreallocarray(names, n + 1, sizeof *names);
        names[n++] = xstrdup(de->d_name);
    }
    closedir(d);
    /* Sorted, so that the first error reported is the same every time. */
    if (n > 1)
        qsort(names, n, sizeof *names, by_string);
    for (i = 0; i < n && rc == 0; i++) {
        xasprintf(&path, "%s/%s", dir, names[i]);
        if ((rc = gale_security_public_read(path, key, cause)) == 0) {
            names[i][strlen(names[i]) - 4] = '\0';
            rc = gale_security_keyset_add(ks, key, names[i]);
        }
        free(path);
    }
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (rc == 0 && ks->n == 0)
        rc = fail(cause, -ENOENT, "keys directory %s has no NAME.key files "
            "(gale keygen makes them): no client could connect", dir);
    if (rc != 0)
        gale_security_keyset_destroy(&ks);
    return ks;
}

gale_security_keyset_t *
gale_security_keyset_load_list(const char *path, char **cause)
{
    gale_security_keyset_t *ks = gale_security_keyset_new();
    char *buf = NULL, *s, *rest, *name;
    const char *why;
    size_t cap = 0, len;
    int line = 0, rc = 0, col;
    FILE *fp;

    if ((fp = fopen(path, "re")) == NULL) {
        fail(cause, -errno, "keys list %s: %s", path, strerror(errno));
        gale_security_keyset_destroy(&ks);
        return NULL;
    }
    while (rc == 0 && getline(&buf, &cap, fp) != -1) {
        line++;
        buf[strcspn(buf, "\r\n")] = '\0';
        s = buf + strspn(buf, " \t");
        /* '#' is a Z85 character too: a comment is '#' then a blank. */
        if (*s == '\0' || (s[0] == '#' && (s[1] == '\0' || s[1] == ' ' ||
            s[1] == '\t')))
            continue;
        len = strcspn(s, " \t");
        rest = s + len + strspn(s + len, " \t");
        if (*rest != '\0' && *rest != '#') {
            rc = fail(cause, -EINVAL, "%s:%d: expected one Z85 public key "
                "per line", path, line);
            break;
        }
        s[len] = '\0';
        if (z85_check(s, len, NULL, &why, &col) != 0) {
            rc = key_error(cause, path, line, "key", why, col,
                (int)(s - buf) + 1, len, s);
            break;
        }
        xasprintf(&name, "%s:%d", path, line);
        rc = gale_security_keyset_add(ks, s, name);
        free(name);
    }
    if (rc == 0 && ferror(fp))
        rc = fail(cause, -EIO, "keys list %s: read error", path);
    fclose(fp);
    free(buf);
    if (rc == 0 && ks->n == 0)
        rc = fail(cause, -ENOENT, "keys list %s has no keys: no client "
            "could connect", path);
    if (rc != 0)
        gale_security_keyset_destroy(&ks);
    return ks;
}

/* ---- the ZAP handler ------------------------------------------------ */

/* Refusals already logged, so that a client retrying does not flood the
 * log: each (address, mechanism, key) is logged once, the rest counted. */
#define SEEN_MAX 64

typedef struct seen {
    char address[64];               /* the peer's IP address */
    char mechanism[8];              /* "CURVE", "NULL", "PLAIN" */
    uint8_t key[KEY_BYTES];         /* zeros unless CURVE */
} seen_t;

struct gale_security_zap {
    void *ctx;                      /* borrowed: the context served */
    void *zap;                      /* REP on ZAP_ENDPOINT; the thread's */
    void *pipe;                     /* PAIR: the starting thread's end */
    void *tpipe;                    /* PAIR: the handler thread's end */
    pthread_t thread;               /* the handler */
    bool started;                   /* thread was created */
    gale_security_keyset_t *keys;   /* owned by the thread once started */
    _Atomic uint64_t accepted;      /* handshakes let in */
    _Atomic uint64_t refused;       /* handshakes refused */
    seen_t seen[SEEN_MAX];          /* the thread's: refusals logged */
    size_t nseen;                   /* entries used */
    size_t seen_next;               /* next to overwrite when full */
};

/* The commands on the pipe: one frame, a letter then a payload. */
#define CMD_RELOAD 'R'              /* payload: a gale_security_keyset_t * */
#define CMD_STOP   'S'

/* Logs a refusal unless this (address, mechanism, key) was logged. */
static void
log_refusal(gale_security_zap_t *zap, const char *address,
    const char *mechanism, const uint8_t *key, const char *why)
{
    char z85[GALE_SECURITY_Z85_LEN + 1] = "";
    seen_t s;
    size_t i;

    memset(&s, 0, sizeof s);
    snprintf(s.address, sizeof s.address, "%s", address);
    snprintf(s.mechanism, sizeof s.mechanism, "%s", mechanism);
    if (key != NULL)
        memcpy(s.key, key, KEY_BYTES);
    for (i = 0; i < zap->nseen; i++)
        if (memcmp(&zap->seen[i], &s, sizeof s) == 0)
            return;
    if (zap->nseen < SEEN_MAX)
        zap->seen[zap->nseen++] = s;
    else {
        zap->seen[zap->seen_next] = s;
        zap->seen_next = (zap->seen_next + 1) % SEEN_MAX;
    }
    if (key != NULL)
        zmq_z85_encode(z85, key, KEY_BYTES);
    log_msg(LOG_WARN, "security", "refused a %s client from %s%s%s: %s "
        "(further refusals of it are counted, not logged)", mechanism,
        address[0] != '\0' ? address : "(unknown address)",
        key != NULL ? " with public key " : "", z85, why);
}

/* Sends one reply frame; more says whether others follow. */
static void
send_frame(void *s, const void *data, size_t len, bool more)
{
    /* A REP socket's reply cannot block: it goes to the requester, whose
     * ZAP pipe has no high-water mark. */
    zmq_send(s, data, len, more ? ZMQ_SNDMORE : 0);
}

/* Answers one ZAP request waiting on zap->zap. */
static void
answer(gale_security_zap_t *zap)
{
    enum { NFRAMES = 8 };
    zmq_msg_t f[NFRAMES];
    char address[64] = "", mechanism[8] = "";
    const char *code = "400", *text, *user = "";
    const uint8_t *key = NULL;
    size_t n = 0, i, len;
    int more = 1, rc;
    size_t more_len = sizeof more;

    /* Every frame is drained, even past the ones we read. */
    while (more) {
        zmq_msg_t extra;
        zmq_msg_t *m = n < NFRAMES ? &f[n] : &extra;

        zmq_msg_init(m);
        if ((rc = zmq_msg_recv(m, zap->zap, 0)) < 0) {
            zmq_msg_close(m);
            break;
        }
        if (n < NFRAMES)
            n++;
        else
            zmq_msg_close(&extra);
        if (zmq_getsockopt(zap->zap, ZMQ_RCVMORE, &more, &more_len) != 0)
            more = 0;
    }
#define FRAME_IS(i, s) (zmq_msg_size(&f[i]) == strlen(s) && \
    memcmp(zmq_msg_data(&f[i]), (s), strlen(s)) == 0)
    if (n >= 4) {
        len = zmq_msg_size(&f[3]);
        len = len < sizeof address ? len : sizeof address - 1;
        memcpy(address, zmq_msg_data(&f[3]), len);
        address[len] = '\0';
    }
    if (n >= 6) {
        len = zmq_msg_size(&f[5]);
        len = len < sizeof mechanism ? len : sizeof mechanism - 1;
        memcpy(mechanism, zmq_msg_data(&f[5]), len);
        mechanism[len] = '\0';
    }
    if (n < 6 || !FRAME_IS(0, "1.0"))
        text = "malformed ZAP request";
    else if (!FRAME_IS(2, GALE_SECURITY_ZAP_DOMAIN))
        text = "unknown ZAP domain";
    else if (!FRAME_IS(5, "CURVE"))
        text = "CURVE required";
    else if (n != 7 || zmq_msg_size(&f[6]) != KEY_BYTES)
        text = "malformed CURVE credentials";
    else {
        key = zmq_msg_data(&f[6]);
        if ((user = gale_security_keyset_find(zap->keys, key)) != NULL) {
            code = "200";
            text = "OK";
        } else {
            user = "";
            text = "public key not in the cluster's allowed keys";
        }
    }
    /* The reply: version, request id, status, text, user id, metadata. */
    send_frame(zap->zap, "1.0", 3, true);
    if (n >= 2)
        send_frame(zap->zap, zmq_msg_data(&f[1]), zmq_msg_size(&f[1]), true);
    else
        send_frame(zap->zap, "", 0, true);
    send_frame(zap->zap, code, 3, true);
    send_frame(zap->zap, text, strlen(text), true);
    send_frame(zap->zap, user, strlen(user), true);
    send_frame(zap->zap, "", 0, false);
    if (code[0] == '2')
        atomic_fetch_add(&zap->accepted, 1);
    else {
        atomic_fetch_add(&zap->refused, 1);
        log_refusal(zap, address, mechanism[0] != '\0' ? mechanism : "?",
            key, text);
    }
#undef FRAME_IS
    for (i = 0; i < n; i++)
        zmq_msg_close(&f[i]);
}

/* Handles one command from the pipe. Returns false on CMD_STOP. */
static bool
command(gale_security_zap_t *zap)
{
    char buf[1 + sizeof(gale_security_keyset_t *)];
    gale_security_keyset_t *keys;
    int n = zmq_recv(zap->tpipe, buf, sizeof buf, 0);

    if (n < 1 || buf[0] == CMD_STOP)
        return false;
    if (buf[0] == CMD_RELOAD && n == (int)sizeof buf) {
        memcpy(&keys, buf + 1, sizeof keys);
        gale_security_keyset_destroy(&zap->keys);
        zap->keys = keys;
        /* A key now allowed may have been logged as refused. */
        zap->nseen = 0;
        zap->seen_next = 0;
        zmq_send(zap->tpipe, "ok", 2, 0);
    }
    return true;
}

/* The handler thread: answers requests until told to stop or until its
 * context is terminated under it. */
static void *
run(void *arg)
{
    gale_security_zap_t *zap = arg;
    zmq_pollitem_t items[2];

    items[0].socket = zap->tpipe;
    items[0].events = ZMQ_POLLIN;
    items[1].socket = zap->zap;
    items[1].events = ZMQ_POLLIN;
    for (;;) {
        if (zmq_poll(items, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if ((items[0].revents & ZMQ_POLLIN) && !command(zap))
            break;
        if (items[1].revents & ZMQ_POLLIN)
            answer(zap);
    }
    return NULL;
}

/* Closes the sockets and frees zap; the thread must have ended. */
static void
zap_free(gale_security_zap_t *zap)
{
    if (zap->zap != NULL)
        zmq_close(zap->zap);
    if (zap->tpipe != NULL)
        zmq_close(zap->tpipe);
    if (zap->pipe != NULL)
        zmq_close(zap->pipe);
    gale_security_keyset_destroy(&zap->keys);
    free(zap);
}

gale_security_zap_t *
gale_security_zap_start(void *ctx, gale_security_keyset_t *keys,
    char **cause)
{
    gale_security_zap_t *zap = xcalloc(1, sizeof *zap);
    char ep[64];
    int linger = 0, rc;

    zap->ctx = ctx;
    zap->keys = keys;
    atomic_init(&zap->accepted, 0);
    atomic_init(&zap->refused, 0);
    if (keys == NULL) {
        fail(cause, -EINVAL, "ZAP handler: no allowed keys");
        goto fail;
    }
    if ((zap->zap = zmq_socket(ctx, ZMQ_REP)) == NULL ||
        zmq_setsockopt(zap->zap, ZMQ_LINGER, &linger, sizeof linger) != 0)
        goto zmq_fail;
    if (zmq_bind(zap->zap, ZAP_ENDPOINT) != 0) {
        if (errno == EADDRINUSE)
            fail(cause, -EADDRINUSE, "ZAP handler: this ZeroMQ context "
                "already has one (%s is bound); there is one per context",
                ZAP_ENDPOINT);
        else
            fail(cause, -errno, "ZAP handler: bind %s: %s", ZAP_ENDPOINT,
                zmq_strerror(errno));
        goto fail;
    }
    snprintf(ep, sizeof ep, "inproc://gale-zap-pipe-%p", (void *)zap);
    if ((zap->tpipe = zmq_socket(ctx, ZMQ_PAIR)) == NULL ||
        zmq_setsockopt(zap->tpipe, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_bind(zap->tpipe, ep) != 0 ||
        (zap->pipe = zmq_socket(ctx, ZMQ_PAIR)) == NULL ||
        zmq_setsockopt(zap->pipe, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_connect(zap->pipe, ep) != 0)
        goto zmq_fail;
    if ((rc = pthread_create(&zap->thread, NULL, run, zap)) != 0) {
        fail(cause, -rc, "ZAP handler: cannot start its thread: %s",
            strerror(rc));
        goto fail;
    }
    zap->started = true;
    return zap;
zmq_fail:
    fail(cause, -errno, "ZAP handler: %s", zmq_strerror(errno));
fail:
    zap_free(zap);
    return NULL;
}

void
gale_security_zap_stop(gale_security_zap_t **zapp)
{
    gale_security_zap_t *zap;
    char cmd = CMD_STOP;

    if (zapp == NULL || (zap = *zapp) == NULL)
        return;
    if (zap->started) {
        /* If the context is already being terminated the send fails, and
         * the thread has left its poll with ETERM on its own. */
        zmq_send(zap->pipe, &cmd, 1, 0);
        pthread_join(zap->thread, NULL);
    }
    zap_free(zap);
    *zapp = NULL;
}

int
gale_security_zap_reload(gale_security_zap_t *zap,
    gale_security_keyset_t *keys)
{
    char buf[1 + sizeof keys], ack[2];

    if (keys == NULL)
        return -EINVAL;
    buf[0] = CMD_RELOAD;
    memcpy(buf + 1, &keys, sizeof keys);
    if (zmq_send(zap->pipe, buf, sizeof buf, 0) < 0) {
        int rc = -errno;

        gale_security_keyset_destroy(&keys);
        return rc;
    }
    /* From here the thread owns keys; wait until it uses them, so that
     * the caller knows every later handshake sees the new set. */
    if (zmq_recv(zap->pipe, ack, sizeof ack, 0) < 0)
        return -errno;
    return 0;
}

uint64_t
gale_security_zap_accepted(const gale_security_zap_t *zap)
{
    return atomic_load(&((gale_security_zap_t *)zap)->accepted);
}

uint64_t
gale_security_zap_refused(const gale_security_zap_t *zap)
{
    return atomic_load(&((gale_security_zap_t *)zap)->refused);
}

/* ---- sockets -------------------------------------------------------- */

int
gale_security_server_setup(void *sock, const gale_security_keypair_t *kp,
    const gale_security_zap_t *zap)
{
    int one = 1;

    /* Without a handler libzmq would let in anyone who knows our public
     * key (the "Stonehouse" pattern), which is never what gale wants. */
    if (zap == NULL || !zap->started)
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
