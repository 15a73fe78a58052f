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

#include <stdbool.h>
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
    bool weighted;      /* its records carry a multiplicity (WEIGHTED) */
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
/* The room for a record of len bytes at the end of the batch, or NULL
 * when it would exceed cap and the batch already holds a record (an
 * oversize record alone in a batch gets room: the batch grows). Write
 * the record there, then gale_batch_commit it. */
uint8_t *gale_batch_room(gale_batch_t *b, size_t len);
/* Counts the len bytes written at gale_batch_room as one record. */
static inline void
gale_batch_commit(gale_batch_t *b, size_t len)
{
    b->len += len;
    b->count++;
}
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
/* The two passes of gale_record_encode, for writing a record in place
 * (into a batch, without a copy), with a multiplicity for a WEIGHTED
 * batch (weight >= 1) or without (weight 0): the bytes the record takes
 * (*body set for gale_record_write), or 0 for an invalid datum or
 * keygroup < -1; then the writing, which returns that many bytes. */
size_t gale_record_size(unsigned stream, int keygroup, uint64_t weight,
    const gale_datum_t *vals, size_t n, size_t *body);
size_t gale_record_write(uint8_t *out, size_t body, unsigned stream,
    int keygroup, uint64_t weight, const gale_datum_t *vals, size_t n);

/* One pass for a small record, the common tuple of a few short fields:
 * writes it at out exactly as gale_record_write would and returns its
 * bytes, if its body is under 128 bytes, it fits in cap and it holds no
 * LIST or MAP; else 0 (out's contents are then undefined: use the two
 * passes above). cap must be at least 32. */
size_t gale_record_put_small(uint8_t *out, size_t cap, unsigned stream,
    int keygroup, uint64_t weight, const gale_datum_t *vals, size_t n);

typedef struct gale_record {
    unsigned stream;      /* stream index in the producer's declarations */
    int keygroup;         /* -1 = none */
    uint64_t weight;      /* tuples it stands for: 1, or more in a WEIGHTED frame */
    uint32_t nfields;     /* number of encoded fields */
    const uint8_t *data;  /* encoded fields */
    size_t len;           /* their length in bytes */
} gale_record_t;

/* Iterates the records of a DATA frame, validating each as it goes. */
typedef struct gale_batch_reader {
    const uint8_t *p;     /* next record */
    const uint8_t *end;   /* end of the frame */
    uint32_t left;        /* records not yet returned */
    bool weighted;        /* records carry a multiplicity */
} gale_batch_reader_t;

/* Starts reading frame (len bytes, header h). A frame other than DATA
 * has no records. */
void gale_batch_reader_init(gale_batch_reader_t *r, const void *frame,
    size_t len, const gale_frame_hdr_t *h);
/* 1 and *rec filled, 0 at the end of a well-formed frame, -EPROTO at a
 * malformed record header, at fewer records than the header counts, or
 * at bytes after the last one (reading then stops; gale_frame_parse says
 * exactly what is wrong). Never reads outside the frame. */
int gale_batch_next(gale_batch_reader_t *r, gale_record_t *rec);
/* Decodes up to cap fields into out (STRING/BYTES point into the frame;
 * LIST/MAP get their whole tagged encoding), validating each as
 * gale_frame_parse does. Returns nfields, -ENOSPC if cap is too small, or
 * -EPROTO for a malformed field, a missing one or bytes after the last.
 * Never fails on a frame gale_frame_parse accepted. */
int gale_record_fields(const gale_record_t *rec, gale_datum_t *out,
    size_t cap);

#endif
