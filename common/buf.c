/* buf.c - a growable byte buffer. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/xalloc.h"

void
gale_buf_init(gale_buf_t *b, size_t cap)
{
    b->data = cap != 0 ? xmalloc(cap) : NULL;
    b->len = 0;
    b->cap = cap;
}

/* Doubles the capacity (at least 64 bytes) until n more bytes fit, so that
 * appending byte by byte costs amortised O(1). */
uint8_t *
gale_buf_reserve(gale_buf_t *b, size_t n)
{
    size_t want, cap;

    if (n > SIZE_MAX - b->len)
        fatalx("gale_buf_reserve: size overflow");
    want = b->len + n;
    if (want > b->cap) {
        cap = b->cap < 64 ? 64 : b->cap;
        while (cap < want)
            cap = cap > SIZE_MAX / 2 ? want : cap * 2;
        b->data = xrealloc(b->data, cap);
        b->cap = cap;
    }
    return b->data + b->len;
}

void
gale_buf_append(gale_buf_t *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    memcpy(gale_buf_reserve(b, n), p, n);
    b->len += n;
}

void
gale_buf_append_byte(gale_buf_t *b, uint8_t c)
{
    if (b->len == b->cap)
        gale_buf_reserve(b, 1);
    b->data[b->len++] = c;
}

void
gale_buf_reset(gale_buf_t *b)
{
    b->len = 0;
}

void
gale_buf_release(gale_buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}
