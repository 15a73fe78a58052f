/* buf.h - a growable byte buffer.
 *
 * The struct is public (not opaque) because encoders append to it in the
 * per-tuple path and callers hand its bytes to ZeroMQ or a frame without a
 * copy. Growing may move data: pointers into it are valid until the next
 * call that grows it. Not thread-safe: one owner at a time.
 */
#ifndef GALE_BUF_H
#define GALE_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct gale_buf {
    uint8_t *data;  /* owned; NULL while cap is 0 */
    size_t len;     /* bytes in use */
    size_t cap;     /* bytes allocated */
} gale_buf_t;

/* Makes b empty with room for cap bytes (none allocated if cap is 0).
 * Aborts on out-of-memory. b must not hold memory already. */
void gale_buf_init(gale_buf_t *b, size_t cap);
/* Makes room for n more bytes after len and returns where they start;
 * len is unchanged. Aborts on out-of-memory or size overflow. */
uint8_t *gale_buf_reserve(gale_buf_t *b, size_t n);
/* Appends n bytes from p. */
void gale_buf_append(gale_buf_t *b, const void *p, size_t n);
/* Appends one byte. */
void gale_buf_append_byte(gale_buf_t *b, uint8_t c);
/* Empties b and keeps its memory for reuse. */
void gale_buf_reset(gale_buf_t *b);
/* Frees b's memory; b is left empty and may be used again. */
void gale_buf_release(gale_buf_t *b);

#endif
