/* epoch.c - the durable attempt epoch of a cluster master. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fs.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "engine/run/epoch.h"

uint32_t
gale_epoch_load(const char *dir)
{
    char *path, buf[32];
    FILE *fp;
    unsigned long v = 0;

    xasprintf(&path, "%s/epoch", dir);
    if ((fp = fopen(path, "re")) != NULL) {
        if (fgets(buf, sizeof buf, fp) != NULL)
            v = strtoul(buf, NULL, 10);
        fclose(fp);
    }
    free(path);
    return v > UINT32_MAX / 2 ? 0 : (uint32_t)v;
}

int
gale_epoch_save(const char *dir, uint32_t epoch)
{
    char *path, buf[32];
    int n = snprintf(buf, sizeof buf, "%u\n", epoch), rc;

    xasprintf(&path, "%s/epoch", dir);
    if ((rc = gale_write_atomic(dir, path, buf, (size_t)n)) != 0)
        log_error("%s: %s", path, strerror(-rc));
    free(path);
    return rc != 0 ? -1 : 0;
}
