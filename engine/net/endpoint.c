/* endpoint.c - the ZeroMQ endpoints of a run's control plane. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/net/endpoint.h"

/* The port offset of name under a tcp prefix, or -1. */
static long
port_offset(const char *name)
{
    char *end;
    long n;

    if (strcmp(name, "report") == 0)
        return 0;
    if (strcmp(name, "lease") == 0)
        return 1;
    if (strncmp(name, "ctl/", 4) == 0 && name[4] >= '0' && name[4] <= '9') {
        n = strtol(name + 4, &end, 10);
        if (*end == '\0' && n >= 0 && n < 60000)
            return 2 + n;
    }
    return -1;
}

int
gale_endpoint(char *buf, size_t len, const char *prefix, const char *name)
{
    const char *colon, *slash;
    char *end;
    long base, off;
    int n;

    if (strncmp(prefix, "tcp://", 6) != 0) {
        n = snprintf(buf, len, "%s%s", prefix, name);
        return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
    }
    /* tcp://HOST:BASE/ (HOST may be an IPv6 address in brackets). */
    if ((slash = strrchr(prefix, '/')) == NULL || slash[1] != '\0' ||
        (colon = strrchr(prefix, ':')) == NULL || colon < prefix + 6 ||
        colon > slash)
        return -EINVAL;
    base = strtol(colon + 1, &end, 10);
    if (end != slash || base < 1 || (off = port_offset(name)) < 0 ||
        base + off > 65535)
        return -EINVAL;
    n = snprintf(buf, len, "%.*s:%ld", (int)(colon - prefix), prefix,
        base + off);
    return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}
