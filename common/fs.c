/* fs.c - small filesystem helpers shared by the stores. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/xalloc.h"

int
gale_mkdir_p(const char *path)
{
    char *p = xstrdup(path), *s, save;
    int rc = 0;

    for (s = p; rc == 0; s++) {
        /* At each component's end (a '/' or the end), create it. */
        if ((*s == '/' || *s == '\0') && s != p && s[-1] != '/') {
            save = *s;
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST)
                rc = -errno;
            *s = save;
        }
        if (*s == '\0')
            break;
    }
    free(p);
    return rc;
}

/* nftw callback for gale_rm_rf: removes one entry, children first. */
static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

void
gale_rm_rf(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int
gale_fsync_dir(const char *path)
{
    int fd, rc = 0;

    if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
        return -errno;
    if (fsync(fd) == -1)
        rc = -errno;
    close(fd);
    return rc;
}

int
gale_write_all(int fd, const void *p, size_t n)
{
    const char *q = p;
    ssize_t w;

    while (n > 0) {
        if ((w = write(fd, q, n)) == -1) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        q += w;
        n -= (size_t)w;
    }
    return 0;
}

int
gale_write_atomic(const char *dir, const char *path, const void *p,
    size_t n)
{
    char *tmp;
    int fd = -1, rc;

    xasprintf(&tmp, "%s.tmp", path);
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)) == -1) {
        rc = -errno;
        goto fail;
    }
    if ((rc = gale_write_all(fd, p, n)) != 0)
        goto fail;
    if (fsync(fd) == -1) {
        rc = -errno;
        goto fail;
    }
    if (close(fd) == -1) {
        rc = -errno;
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) == -1) {
        rc = -errno;
        goto fail;
    }
    free(tmp);
    return gale_fsync_dir(dir);
fail:
    if (fd != -1)
        close(fd);
    unlink(tmp);
    free(tmp);
    return rc;
}

int
gale_read_file(const char *path, char **text, size_t *len)
{
    struct stat st;
    ssize_t r;
    size_t n = 0;
    char *p = NULL;
    int fd, rc = 0;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
        return -errno;
    if (fstat(fd, &st) == -1) {
        rc = -errno;
        goto done;
    }
    p = xmalloc((size_t)st.st_size + 1);
    while (n < (size_t)st.st_size) {
        if ((r = read(fd, p + n, (size_t)st.st_size - n)) == -1) {
            if (errno == EINTR)
                continue;
            rc = -errno;
            goto done;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    p[n] = '\0';
done:
    close(fd);
    if (rc != 0) {
        free(p);
        return rc;
    }
    *text = p;
    if (len != NULL)
        *len = n;
    return 0;
}
