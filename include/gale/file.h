/* file.h - durable files, for sinks.
 *
 * A two-phase-commit sink stages its output per checkpoint and must make
 * it durable before it acknowledges the barrier (docs/components.md,
 * "Writing a sink"): these are the steps the built-in file_sink uses, so a
 * plugin sink has the same. Thread-safe (they touch only the named paths).
 * Every function returns 0 or -errno.
 */
#ifndef GALE_FILE_H
#define GALE_FILE_H

#include <stddef.h>

/* Creates directory path and every missing parent (mkdir -p), mode 0777
 * before the umask. */
int gale_mkdir_p(const char *path);
/* fsyncs the directory at path, so that renames and creations in it are
 * durable. */
int gale_fsync_dir(const char *path);
/* Writes the n bytes at p to fd, retrying short and interrupted writes. */
int gale_write_all(int fd, const void *p, size_t n);
/* Reads all of path into a new NUL-terminated buffer *text (the caller
 * frees it), its length in *len (NULL: not wanted). */
int gale_read_file(const char *path, char **text, size_t *len);
/* Replaces path with the n bytes at p durably: path.tmp, fsync, rename,
 * fsync of dir (path's directory, which the caller names). On failure path
 * is unchanged and the temporary file is gone. */
int gale_write_atomic(const char *dir, const char *path, const void *p,
    size_t n);

#endif
