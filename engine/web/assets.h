/* assets.h - the web UI's files (ui/), compiled into the program by
 * ui/embed.sh at build time (no network, no install step). */
#ifndef GALE_WEB_ASSETS_H
#define GALE_WEB_ASSETS_H

#include <stddef.h>

typedef struct gale_asset {
    const char *path;               /* "/ui/index.html" */
    const char *type;               /* its Content-Type */
    const unsigned char *data;      /* its bytes (NUL-terminated) */
    size_t len;                     /* without the NUL */
} gale_asset_t;

/* The assets, ending with a NULL path. */
extern const gale_asset_t gale_assets[];

/* The asset at path, or NULL. */
const gale_asset_t *gale_asset_find(const char *path);

#endif
