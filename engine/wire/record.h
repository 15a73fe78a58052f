/* record.h - tuple records and the batches (DATA frames) that carry them.
 *
 * A record is: varint length of the rest, varint stream, varint
 * (keygroup + 1), varint nfields, then nfields values (valuecodec.h).
 * A batch is a buffer [32-byte header space][records...] that becomes a
 * DATA frame without a copy. A batch belongs to the thread that fills it;
 * readers are views over a frame and allocate nothing.
 */
#ifndef GALE_RECORD_H
#define GALE_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include <gale/value.h>

#include "common/buf.h"
#include "engine/wire/frame.h"
#include "engine/wire/valuecodec.h"

/* A batch being filled: [header space][records...]. */
typedef struct gale_batch {
    uint8_t *buf;       /* owned; handed over by gale_batch_take */
    size_t len;         /* bytes used, header space included */
    size_t cap;         /* byte limit appends respect (batch_bytes) */
    uint32_t count;     /* records appended */
    size_t alloc;       /* bytes allocated at buf (> cap after an oversize record) */
} gale_batch_t;

/* Allocates an empty batch of at most cap bytes, header included (a cap
 * below the header size counts as the header size); len =
 * GALE_FRAME_HDR_SIZE. Aborts on out-of-memory. */
void gale_batch_init(gale_batch_t *b, size_t cap);
/* Appends one encoded record. -ENOSPC when it would exceed cap and the
 * batch already holds a record (an oversize record alone in a batch is
 * accepted: the batch grows). */
int gale_batch_append(gale_batch_t *b, const void *rec, size_t len);
/* Writes h (with h->count = b->count) into the header space and hands the
 * buffer to the caller (*len set; caller frees with free(); it goes to
 * zmq_msg_init_data zero-copy), then re-initialises b empty with the same
 * cap. */
uint8_t *gale_batch_take(gale_batch_t *b, gale_frame_hdr_t *h, size_t *len);
/* Frees the batch's buffer; b must be initialised again before reuse. */
void gale_batch_release(gale_batch_t *b);

/* Encodes one tuple record into out (appending). keygroup -1 = none.
 * 0, or -EINVAL for an invalid datum (unknown type, LIST/MAP bytes that
 * are not a valid encoding of one value of that type); out is then
 * unchanged. */
int gale_record_encode(gale_buf_t *out, unsigned stream, int keygroup,
    const gale_datum_t *vals, size_t n);

typedef struct gale_record {
    unsigned stream;      /* stream index in the producer's declarations */
    int keygroup;         /* -1 = none */
    uint32_t nfields;     /* number of encoded fields */
    const uint8_t *data;  /* encoded fields */
    size_t len;           /* their length in bytes */
} gale_record_t;

/* Iterates the records of a frame that gale_frame_parse accepted. */
typedef struct gale_batch_reader {
    const uint8_t *p;     /* next record */
    const uint8_t *end;   /* end of the frame */
    uint32_t left;        /* records not yet returned */
} gale_batch_reader_t;

/* Starts reading frame (len bytes, header h). A frame other than DATA
 * has no records. */
void gale_batch_reader_init(gale_batch_reader_t *r, const void *frame,
    size_t len, const gale_frame_hdr_t *h);
/* 1 and *rec filled, 0 at the end. On a frame the parser did not accept,
 * reading stops (0) at the first malformed record instead of crashing. */
int gale_batch_next(gale_batch_reader_t *r, gale_record_t *rec);
/* Decodes up to cap fields into out (STRING/BYTES point into the frame;
 * LIST/MAP get their whole tagged encoding). Returns nfields, or -ENOSPC
 * if cap is too small. Never fails on a frame gale_frame_parse accepted;
 * on other bytes it returns -EPROTO instead of crashing. */
int gale_record_fields(const gale_record_t *rec, gale_datum_t *out,
    size_t cap);

#endif
