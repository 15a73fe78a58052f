/* keyset.c - the cluster's allowed client keys (keyset.h): a sorted set
 * of binary keys with names, loaded from a directory of NAME.key files or
 * from a list file. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/xalloc.h"
#include "engine/net/security_int.h"

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

    if (z85 == NULL || sec_z85_check(z85, strlen(z85), key, &why, &col) != 0)
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
        sec_fail(cause, -errno, "keys directory %s: %s", dir, strerror(errno));
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
        rc = sec_fail(cause, -ENOENT, "keys directory %s has no NAME.key files "
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
        sec_fail(cause, -errno, "keys list %s: %s", path, strerror(errno));
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
            rc = sec_fail(cause, -EINVAL, "%s:%d: expected one Z85 public key "
                "per line", path, line);
            break;
        }
        s[len] = '\0';
        if (sec_z85_check(s, len, NULL, &why, &col) != 0) {
            rc = sec_key_error(cause, path, line, "key", why, col,
                (int)(s - buf) + 1, len, s);
            break;
        }
        xasprintf(&name, "%s:%d", path, line);
        rc = gale_security_keyset_add(ks, s, name);
        free(name);
    }
    if (rc == 0 && ferror(fp))
        rc = sec_fail(cause, -EIO, "keys list %s: read error", path);
    fclose(fp);
    free(buf);
    if (rc == 0 && ks->n == 0)
        rc = sec_fail(cause, -ENOENT, "keys list %s has no keys: no client "
            "could connect", path);
    if (rc != 0)
        gale_security_keyset_destroy(&ks);
    return ks;
}
