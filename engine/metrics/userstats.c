/* userstats.c - the STATS report's user counters part (userstats.h). */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "common/le.h"
#include "engine/metrics/userstats.h"

void
gale_userstats_begin(gale_buf_t *b)
{
    gale_buf_reset(b);
    gale_buf_append_byte(b, 1);
}

void
gale_userstats_add(gale_buf_t *b, int32_t task, const char *name,
    int64_t value)
{
    size_t n = strlen(name);
    uint8_t *p;

    if (n == 0)
        return;
    if (n > GALE_USERSTATS_NAME_MAX)
        n = GALE_USERSTATS_NAME_MAX;
    p = gale_buf_reserve(b, 4 + 1 + n + 8);
    gale_put_le(p, (uint32_t)task, 4);
    p[4] = (uint8_t)n;
    memcpy(p + 5, name, n);
    gale_put_le(p + 5 + n, (uint64_t)value, 8);
    b->len += 4 + 1 + n + 8;
}

int
gale_userstats_decode(const void *buf, size_t len,
    void (*fn)(void *arg, int32_t task, const char *name, int64_t value),
    void *arg)
{
    const uint8_t *p = buf;
    char name[GALE_USERSTATS_NAME_MAX + 1];
    size_t off = 1, n;

    if (len == 0)
        return -EMSGSIZE;
    if (p[0] != 1)
        return -EPROTO;
    while (off < len) {
        if (len - off < 5)
            return -EMSGSIZE;
        n = p[off + 4];
        if (n == 0 || n > GALE_USERSTATS_NAME_MAX)
            return -EINVAL;
        if (len - off < 5 + n + 8)
            return -EMSGSIZE;
        memcpy(name, p + off + 5, n);
        name[n] = '\0';
        if (strlen(name) != n)
            return -EINVAL;
        fn(arg, (int32_t)(uint32_t)gale_get_le(p + off, 4), name,
            (int64_t)gale_get_le(p + off + 5 + n, 8));
        off += 5 + n + 8;
    }
    return 0;
}
