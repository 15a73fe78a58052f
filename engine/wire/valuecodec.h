/* valuecodec.h - the wire encoding of one typed value (docs/wire.md).
 *
 * One tag byte, then a payload: 0 null, 1 false, 2 true, 3 int (zigzag
 * varint), 4 double (8 bytes little-endian), 5 string and 6 bytes (varint
 * length + bytes), 7 list (varint n + n values), 8 map (varint n + n x
 * (varint key length + key bytes + value)). Varints are LEB128, at most 10
 * bytes and canonical. A gale_datum_t of type LIST or MAP carries the whole
 * tagged encoding of its value (tag byte included).
 *
 * This header also holds the low-level pieces that frame.c, record.c and
 * keyhash.c share: varints and a bounds-checked scanner. Pure functions;
 * safe on any thread.
 */
#ifndef GALE_VALUECODEC_H
#define GALE_VALUECODEC_H

#include <stddef.h>
#include <stdint.h>

#include <gale/value.h>

#include "common/buf.h"

/* Tags of the value encoding. */
enum gale_wire_tag {
    GALE_TAG_NULL = 0,
    GALE_TAG_FALSE = 1,
    GALE_TAG_TRUE = 2,
    GALE_TAG_INT = 3,
    GALE_TAG_DOUBLE = 4,
    GALE_TAG_STRING = 5,
    GALE_TAG_BYTES = 6,
    GALE_TAG_LIST = 7,
    GALE_TAG_MAP = 8
};

#define GALE_VARINT_MAX 10      /* bytes in the longest varint */
#define GALE_WIRE_MAX_DEPTH GALE_VALUE_MAX_DEPTH  /* gale/value.h */

/* Why a scan failed: a fixed description and where in the input. */
typedef struct gale_wire_err {
    char msg[96];               /* what is wrong, e.g. "bad tag 9" */
    const uint8_t *at;          /* the offending byte */
} gale_wire_err_t;

/* Bytes the varint encoding of v takes (1..10). */
static inline size_t
gale_varint_size(uint64_t v)
{
    size_t n = 1;

    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Writes v as a canonical LEB128 varint at p, which must have room for
 * GALE_VARINT_MAX bytes; returns the byte after it. */
static inline uint8_t *
gale_varint_put(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* Zigzag: small magnitudes of either sign give small varints. */
static inline uint64_t
gale_zigzag(int64_t i)
{
    return ((uint64_t)i << 1) ^ (uint64_t)(i >> 63);
}

static inline int64_t
gale_unzigzag(uint64_t u)
{
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

/* Reads a varint at *pp, not past end. 0 with *v set and *pp advanced, or
 * -EPROTO with err filled (truncated, overlong or over 64 bits). */
int gale_varint_get(const uint8_t **pp, const uint8_t *end, uint64_t *v,
    gale_wire_err_t *err);

/* Checks that one well-formed value starts at p and ends at or before
 * end: valid tags, lengths in bounds, canonical varints, nesting depth at
 * most GALE_WIRE_MAX_DEPTH, map keys without NUL bytes. 0 with *next just
 * past the value, or -EPROTO with err filled. Does not allocate. */
int gale_value_scan(const uint8_t *p, const uint8_t *end,
    const uint8_t **next, gale_wire_err_t *err);

/* Appends the wire encoding of v (one tagged value) to out. A tree nested
 * deeper than GALE_WIRE_MAX_DEPTH encodes, but decoders reject it. */
void gale_value_encode(const gale_value_t *v, gale_buf_t *out);
/* Decodes one value occupying exactly len bytes. 0, or -EPROTO if the
 * bytes are malformed or followed by others. Caller owns *out (NULL on
 * failure). A map key that repeats keeps its last value. */
int gale_value_decode(const void *p, size_t len, gale_value_t **out);
/* gale_datum_to_value() and gale_value_to_datum() are public (gale/value.h).
 * This one fills *d viewing v as gale_value_to_datum() does, but appends
 * LIST/MAP encodings to scratch and points into it, so scratch must outlive
 * *d and must not grow while *d is in use (growing may move it; use one
 * scratch per datum or reserve room first). */
void gale_value_to_datum_buf(const gale_value_t *v, gale_buf_t *scratch,
    gale_datum_t *d);

#endif
