/* fs.h - small filesystem helpers shared by the stores. */
#ifndef GALE_FS_H
#define GALE_FS_H

#include <stddef.h>

/* Creates directory path and every missing parent (mkdir -p), mode 0777
 * before the umask. 0 or -errno. */
int gale_mkdir_p(const char *path);

/* Removes path and everything under it (rm -rf; symbolic links are
 * removed, not followed). Best effort: what cannot be removed stays. */
void gale_rm_rf(const char *path);

/* fsyncs the directory at path (so that renames and creations in it are
 * durable). 0 or -errno. */
int gale_fsync_dir(const char *path);
/* Writes the n bytes at p to fd, retrying short and interrupted writes.
 * 0 or -errno. */
int gale_write_all(int fd, const void *p, size_t n);
/* Reads all of path into a new NUL-terminated buffer *text (caller
 * frees), its length in *len (NULL: not wanted). 0 or -errno. */
int gale_read_file(const char *path, char **text, size_t *len);
/* Replaces path with the n bytes at p durably: path.tmp, fsync, rename,
 * fsync of dir (path's directory, which the caller names). 0 or -errno;
 * on failure path is unchanged and the temporary file is gone. */
int gale_write_atomic(const char *dir, const char *path, const void *p,
    size_t n);

#endif
