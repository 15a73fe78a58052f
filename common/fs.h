/* fs.h - small filesystem helpers shared by the stores. */
#ifndef GALE_FS_H
#define GALE_FS_H

/* Creates directory path and every missing parent (mkdir -p), mode 0777
 * before the umask. 0 or -errno. */
int gale_mkdir_p(const char *path);

/* Removes path and everything under it (rm -rf; symbolic links are
 * removed, not followed). Best effort: what cannot be removed stays. */
void gale_rm_rf(const char *path);

#endif
