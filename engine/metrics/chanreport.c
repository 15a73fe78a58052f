/* chanreport.c - the STATS report's channels part (chanreport.h). */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "common/le.h"
#include "engine/metrics/chanreport.h"

void
gale_chanreport_begin(gale_buf_t *b)
{
    gale_buf_reset(b);
    gale_buf_append_byte(b, 2);
}

void
gale_chanreport_add(gale_buf_t *b, const gale_chanreport_t *e)
{
    uint8_t *p = gale_buf_reserve(b, GALE_CHANREPORT_ENTRY);

    gale_put_le(p, (uint32_t)e->channel, 4);
    p[4] = e->side;
    gale_put_le(p + 5, e->frames, 4);
    gale_put_le(p + 9, e->tuples, 8);
    gale_put_le(p + 17, e->window, 4);
    gale_put_le(p + 21, e->through_frames, 8);
    gale_put_le(p + 29, e->through_tuples, 8);
    b->len += GALE_CHANREPORT_ENTRY;
}

int
gale_chanreport_decode(const void *buf, size_t len,
    void (*fn)(void *arg, const gale_chanreport_t *e), void *arg)
{
    const uint8_t *p = buf;
    gale_chanreport_t e;
    size_t off, size;

    if (len == 0)
        return -EMSGSIZE;
    if (p[0] != 1 && p[0] != 2)
        return -EPROTO;
    size = p[0] == 1 ? GALE_CHANREPORT_ENTRY_V1 : GALE_CHANREPORT_ENTRY;
    if ((len - 1) % size != 0)
        return -EMSGSIZE;
    /* Validate all first: a bad part passes nothing on. */
    for (off = 1; off < len; off += size)
        if (p[off + 4] > GALE_CHAN_OUT)
            return -EINVAL;
    for (off = 1; off < len; off += size) {
        memset(&e, 0, sizeof e);
        e.channel = (int32_t)(uint32_t)gale_get_le(p + off, 4);
        e.side = p[off + 4];
        e.frames = (uint32_t)gale_get_le(p + off + 5, 4);
        e.tuples = gale_get_le(p + off + 9, 8);
        e.window = (uint32_t)gale_get_le(p + off + 17, 4);
        if (size == GALE_CHANREPORT_ENTRY) {
            e.has_through = true;
            e.through_frames = gale_get_le(p + off + 21, 8);
            e.through_tuples = gale_get_le(p + off + 29, 8);
        }
        fn(arg, &e);
    }
    return 0;
}
