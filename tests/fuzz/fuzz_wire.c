/* fuzz_wire.c - libFuzzer target for the wire decoder.
 *
 * Parses the input as a frame; when the parser accepts it, iterates every
 * record, decodes every field, turns LIST/MAP fields into trees, hashes
 * the fields and re-encodes each record, checking that what the parser
 * accepted decodes without error and re-encodes to the same bytes; and
 * that the receiver's single-pass reader (header check, then records
 * validated as they are decoded) accepts exactly the frames the parser
 * accepts. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "engine/wire/frame.h"
#include "engine/wire/keyhash.h"
#include "engine/wire/record.h"
#include "engine/wire/valuecodec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXF 256

/* Whether the receiver's path accepts the frame: the header check, then
 * every record read and decoded. */
static int
reader_accepts(const uint8_t *data, size_t size)
{
    gale_frame_hdr_t h;
    gale_batch_reader_t r;
    gale_record_t rec;
    gale_datum_t *f;
    int rc, n;

    if (gale_frame_hdr_parse(data, size, &h, NULL) != 0)
        return 0;
    gale_batch_reader_init(&r, data, size, &h);
    while ((rc = gale_batch_next(&r, &rec)) == 1) {
        if (rec.nfields > rec.len)
            return 0;               /* each field takes a byte at least */
        f = malloc(((size_t)rec.nfields + 1) * sizeof *f);
        if (f == NULL)
            abort();
        n = gale_record_fields(&rec, f, (size_t)rec.nfields + 1);
        free(f);
        if (n < 0)
            return 0;
    }
    return rc == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static gale_datum_t f[MAXF];
    gale_frame_hdr_t h;
    gale_batch_reader_t r;
    gale_record_t rec;
    gale_value_t *v;
    gale_buf_t enc, scratch;
    gale_datum_t d;
    char *cause = NULL;
    int n, i;

    if (gale_frame_parse(data, size, &h, &cause) != 0) {
        if (cause == NULL || reader_accepts(data, size))
            abort();
        free(cause);
        return 0;
    }
    if (!reader_accepts(data, size))
        abort();
    gale_buf_init(&enc, 0);
    gale_buf_init(&scratch, 0);
    gale_batch_reader_init(&r, data, size, &h);
    while (gale_batch_next(&r, &rec) == 1) {
        n = gale_record_fields(&rec, f, MAXF);
        if (n == -ENOSPC)
            continue;
        if (n < 0 || (uint32_t)n != rec.nfields)
            abort();
        (void)gale_keyhash(f, (size_t)n);
        for (i = 0; i < n; i++) {
            if (f[i].type != GALE_LIST && f[i].type != GALE_MAP)
                continue;
            if ((v = gale_datum_to_value(&f[i])) == NULL)
                abort();
            /* A tree's encoding decodes to an equal tree. */
            gale_buf_reset(&scratch);
            gale_value_to_datum_buf(v, &scratch, &d);
            gale_value_t *w = gale_datum_to_value(&d);
            if (w == NULL)
                abort();
            gale_value_destroy(&w);
            gale_value_destroy(&v);
        }
        gale_buf_reset(&enc);
        if (gale_record_encode(&enc, rec.stream, rec.keygroup, f,
            (size_t)n) != 0)
            abort();
        /* The record re-encodes to its own bytes (length prefix aside). */
        if (enc.len < rec.len || memcmp(enc.data + enc.len - rec.len,
            rec.data, rec.len) != 0)
            abort();
    }
    if (r.left != 0)
        abort();
    gale_buf_release(&enc);
    gale_buf_release(&scratch);
    return 0;
}
