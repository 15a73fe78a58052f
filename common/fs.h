/* fs.h - filesystem helpers shared by the stores: the public durable-file
 * helpers (gale/file.h) and what only the engine needs. */
#ifndef GALE_FS_H
#define GALE_FS_H

#include <gale/file.h>

/* Removes path and everything under it (rm -rf; symbolic links are
 * removed, not followed). Best effort: what cannot be removed stays. */
void gale_rm_rf(const char *path);

#endif
