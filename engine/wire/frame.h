/* frame.h - the frames that travel on a channel (docs/wire.md).
 *
 * A frame is a 32-byte little-endian header, followed for DATA frames by
 * `count` tuple records (engine/wire/record.h). Control frames (BARRIER,
 * WATERMARK, END, END_ACK, CREDIT) are a header alone. Pure functions;
 * safe on any thread.
 */
#ifndef GALE_FRAME_H
#define GALE_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define GALE_WIRE_VERSION 1
#define GALE_FRAME_HDR_SIZE 32

enum gale_frame_kind {
    GALE_FRAME_DATA = 1,        /* a batch of tuple records */
    GALE_FRAME_BARRIER = 2,     /* checkpoint barrier; arg = checkpoint id */
    GALE_FRAME_WATERMARK = 3,   /* event time; arg = milliseconds */
    GALE_FRAME_END = 4,         /* end of stream on this channel */
    GALE_FRAME_END_ACK = 5,     /* the receiver saw END */
    GALE_FRAME_CREDIT = 6       /* flow control; arg = credits granted */
};

/* Header flags. WEIGHTED (DATA only): every record carries its
 * multiplicity, a varint >= 1 after its key group: the number of equal
 * tuples it stands for (engine/transport/combiner.h). */
#define GALE_FRAME_WEIGHTED 0x0001u

typedef struct gale_frame_hdr {
    uint8_t version;   /* GALE_WIRE_VERSION */
    uint8_t kind;      /* gale_frame_kind */
    uint16_t flags;    /* GALE_FRAME_WEIGHTED on DATA, else 0 */
    uint32_t epoch;    /* attempt epoch */
    uint32_t channel;  /* channel id */
    uint32_t count;    /* DATA: number of tuple records; else 0 */
    uint64_t seq;      /* per-channel sequence number, from 1 */
    uint64_t arg;      /* BARRIER: checkpoint id; WATERMARK: ms; CREDIT: credits */
} gale_frame_hdr_t;

/* Writes the 32-byte little-endian header (layout in docs/wire.md). */
void gale_frame_hdr_write(const gale_frame_hdr_t *h,
    uint8_t out[GALE_FRAME_HDR_SIZE]);
/* Parses and validates a frame's header only (version, kind, flags and,
 * for frames other than DATA, a zero count and no bytes after the
 * header). The receiver's hot path: DATA records are validated as they
 * are decoded (gale_batch_next, gale_record_fields), so each byte is read
 * once. 0, or -EPROTO with *cause as gale_frame_parse gives it. */
int gale_frame_hdr_parse(const void *buf, size_t len, gale_frame_hdr_t *h,
    char **cause);
/* Parses and fully validates a frame: header (version, kind, flags,
 * sizes) and, for DATA, every record and value (count matches, lengths in
 * bounds, nesting depth <= 64, valid tags, map keys without NUL bytes, no
 * trailing bytes). The sequence number is not checked: continuity is the
 * receiver's business. 0, or -EPROTO with *cause (caller frees; not set if
 * cause is NULL) naming what is wrong and at which byte offset. *h is
 * filled whenever the 32 header bytes are present. */
int gale_frame_parse(const void *buf, size_t len, gale_frame_hdr_t *h,
    char **cause);
/* The name of a frame kind ("DATA", "BARRIER", ...), or "unknown". */
const char *gale_frame_kind_name(int kind);

#endif
