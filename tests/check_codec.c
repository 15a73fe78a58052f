/* check_codec.c - frames, batches, records and the value encoding. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "common/buf.h"
#include "engine/wire/frame.h"
#include "engine/wire/record.h"
#include "engine/wire/valuecodec.h"

/* A header for a frame of the given kind on channel 7, epoch 3, seq 9. */
static gale_frame_hdr_t
hdr(int kind, uint32_t count)
{
    gale_frame_hdr_t h;

    memset(&h, 0, sizeof h);
    h.version = GALE_WIRE_VERSION;
    h.kind = (uint8_t)kind;
    h.epoch = 3;
    h.channel = 7;
    h.count = count;
    h.seq = 9;
    return h;
}

/* Builds a DATA frame holding the records in recs (n of them, as one
 * encoded buffer) with header count 'count'. Caller frees. */
static uint8_t *
frame_of(const gale_buf_t *recs, uint32_t count, size_t *len)
{
    gale_frame_hdr_t h = hdr(GALE_FRAME_DATA, count);
    uint8_t *f = malloc(GALE_FRAME_HDR_SIZE + recs->len + 1);

    gale_frame_hdr_write(&h, f);
    if (recs->len != 0)
        memcpy(f + GALE_FRAME_HDR_SIZE, recs->data, recs->len);
    *len = GALE_FRAME_HDR_SIZE + recs->len;
    return f;
}

/* Encodes vals as one record, sends it through a batch, parses the frame
 * and decodes the fields into out (at most cap). Returns nfields; the
 * frame (which out points into) is left in *framep for the caller. */
static int
through_batch(const gale_datum_t *vals, size_t n, gale_datum_t *out,
    size_t cap, uint8_t **framep)
{
    gale_buf_t rec;
    gale_batch_t b;
    gale_frame_hdr_t h = hdr(GALE_FRAME_DATA, 0), ph;
    gale_batch_reader_t r;
    gale_record_t gr;
    size_t len;
    char *cause = NULL;
    int nf;

    gale_buf_init(&rec, 0);
    ck_assert_int_eq(gale_record_encode(&rec, 2, 17, vals, n), 0);
    gale_batch_init(&b, 4096);
    ck_assert_int_eq(gale_batch_append(&b, rec.data, rec.len), 0);
    *framep = gale_batch_take(&b, &h, &len);
    gale_batch_release(&b);
    gale_buf_release(&rec);
    ck_assert_int_eq(gale_frame_parse(*framep, len, &ph, &cause), 0);
    ck_assert_ptr_null(cause);
    ck_assert_uint_eq(ph.count, 1);
    gale_batch_reader_init(&r, *framep, len, &ph);
    ck_assert_int_eq(gale_batch_next(&r, &gr), 1);
    ck_assert_uint_eq(gr.stream, 2);
    ck_assert_int_eq(gr.keygroup, 17);
    ck_assert_uint_eq(gr.nfields, n);
    nf = gale_record_fields(&gr, out, cap);
    ck_assert_int_eq(gale_batch_next(&r, &gr), 0);
    return nf;
}

START_TEST(test_header_round_trip)
{
    gale_frame_hdr_t h, g;
    uint8_t buf[GALE_FRAME_HDR_SIZE];
    static const uint8_t want[GALE_FRAME_HDR_SIZE] = {
        1, 2, 0, 0, 0x04, 0x03, 0x02, 0x01, 0xff, 0xff, 0xff, 0xff,
        0, 0, 0, 0, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
        0x2a, 0, 0, 0, 0, 0, 0, 0x80 };

    memset(&h, 0, sizeof h);
    h.version = GALE_WIRE_VERSION;
    h.kind = GALE_FRAME_BARRIER;
    h.epoch = 0x01020304;
    h.channel = UINT32_MAX;
    h.seq = 0x0102030405060708ULL;
    h.arg = 0x800000000000002aULL;
    gale_frame_hdr_write(&h, buf);
    ck_assert_mem_eq(buf, want, sizeof want);
    ck_assert_int_eq(gale_frame_parse(buf, sizeof buf, &g, NULL), 0);
    ck_assert_uint_eq(g.version, 1);
    ck_assert_uint_eq(g.kind, GALE_FRAME_BARRIER);
    ck_assert_uint_eq(g.flags, 0);
    ck_assert_uint_eq(g.epoch, h.epoch);
    ck_assert_uint_eq(g.channel, h.channel);
    ck_assert_uint_eq(g.count, 0);
    ck_assert_uint_eq(g.seq, h.seq);
    ck_assert_uint_eq(g.arg, h.arg);
    ck_assert_str_eq(gale_frame_kind_name(GALE_FRAME_END_ACK), "END_ACK");
    ck_assert_str_eq(gale_frame_kind_name(99), "unknown");
}
END_TEST

START_TEST(test_scalars_round_trip)
{
    static const char utf8[] = "gr\xc3\xbc\xc3\x9f \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80";
    static const uint8_t raw[] = { 0, 1, 2, 255, 0 };
    gale_datum_t in[14], out[14];
    uint8_t *frame;
    int nf;

    in[0] = gale_d_null();
    in[1] = gale_d_bool(true);
    in[2] = gale_d_bool(false);
    in[3] = gale_d_int(0);
    in[4] = gale_d_int(INT64_MIN);
    in[5] = gale_d_int(INT64_MAX);
    in[6] = gale_d_int(-1);
    in[7] = gale_d_double(-0.0);
    in[8] = gale_d_double(NAN);
    in[9] = gale_d_double(1e308);
    in[10] = gale_d_str("", 0);
    in[11] = gale_d_str(utf8, strlen(utf8));
    in[12] = gale_d_bytes(raw, sizeof raw);
    in[13] = gale_d_bytes(NULL, 0);
    nf = through_batch(in, 14, out, 14, &frame);
    ck_assert_int_eq(nf, 14);
    ck_assert_int_eq(out[0].type, GALE_NULL);
    ck_assert_int_eq(out[1].type, GALE_BOOL);
    ck_assert(out[1].u.b);
    ck_assert(!out[2].u.b);
    ck_assert_int_eq(out[3].type, GALE_INT);
    ck_assert(out[3].u.i == 0);
    ck_assert(out[4].u.i == INT64_MIN);
    ck_assert(out[5].u.i == INT64_MAX);
    ck_assert(out[6].u.i == -1);
    ck_assert_int_eq(out[7].type, GALE_DOUBLE);
    ck_assert(out[7].u.d == 0 && signbit(out[7].u.d));
    ck_assert(isnan(out[8].u.d));
    ck_assert(out[9].u.d == 1e308);
    ck_assert_int_eq(out[10].type, GALE_STRING);
    ck_assert_uint_eq(out[10].u.s.len, 0);
    ck_assert_uint_eq(out[11].u.s.len, strlen(utf8));
    ck_assert_mem_eq(out[11].u.s.ptr, utf8, strlen(utf8));
    ck_assert_int_eq(out[12].type, GALE_BYTES);
    ck_assert_uint_eq(out[12].u.s.len, sizeof raw);
    ck_assert_mem_eq(out[12].u.s.ptr, raw, sizeof raw);
    ck_assert_int_eq(out[13].type, GALE_BYTES);
    ck_assert_uint_eq(out[13].u.s.len, 0);
    free(frame);
}
END_TEST

/* A tree with nested lists and maps, and non-ASCII keys. */
static gale_value_t *
nested_tree(void)
{
    gale_value_t *m = gale_value_map(), *l = gale_value_list(), *inner;

    gale_value_list_append(l, gale_value_int(INT64_MIN));
    gale_value_list_append(l, gale_value_string("", 0));
    gale_value_list_append(l, gale_value_double(2.5));
    inner = gale_value_map();
    gale_value_map_set(inner, "\xc3\xa9t\xc3\xa9", gale_value_bool(true));
    gale_value_map_set(inner, "", gale_value_null());
    gale_value_list_append(l, inner);
    gale_value_list_append(l, gale_value_list());
    gale_value_map_set(m, "zeta", l);
    gale_value_map_set(m, "alpha", gale_value_bytes("\0\1", 2));
    gale_value_map_set(m, "empty", gale_value_map());
    return m;
}

START_TEST(test_tree_round_trip)
{
    gale_value_t *t = nested_tree(), *back = NULL, *back2;
    gale_buf_t enc, scratch;
    gale_datum_t d, out[2], in[2];
    uint8_t *frame;

    gale_buf_init(&enc, 0);
    gale_value_encode(t, &enc);
    ck_assert_uint_eq(enc.data[0], GALE_TAG_MAP);
    ck_assert_int_eq(gale_value_decode(enc.data, enc.len, &back), 0);
    ck_assert(gale_value_equal(t, back));
    gale_value_destroy(&back);
    /* One byte more or less is not one value. */
    ck_assert_int_eq(gale_value_decode(enc.data, enc.len - 1, &back), -EPROTO);
    ck_assert_ptr_null(back);
    gale_buf_append_byte(&enc, 0);
    ck_assert_int_eq(gale_value_decode(enc.data, enc.len, &back), -EPROTO);

    /* Through a datum and a record. */
    gale_buf_init(&scratch, 0);
    gale_value_to_datum_buf(t, &scratch, &d);
    ck_assert_int_eq(d.type, GALE_MAP);
    in[0] = d;
    in[1] = gale_d_str("x", 1);
    ck_assert_int_eq(through_batch(in, 2, out, 2, &frame), 2);
    ck_assert_int_eq(out[0].type, GALE_MAP);
    ck_assert_uint_eq(out[0].u.s.len, d.u.s.len);
    back2 = gale_datum_to_value(&out[0]);
    ck_assert_ptr_nonnull(back2);
    ck_assert(gale_value_equal(t, back2));
    gale_value_destroy(&back2);
    free(frame);
    gale_buf_release(&scratch);
    gale_buf_release(&enc);
    gale_value_destroy(&t);
    ck_assert_ptr_null(t);
}
END_TEST

START_TEST(test_datum_to_value_scalars)
{
    gale_datum_t d = gale_d_str("h\xc3\xa9", 3), bad;
    gale_value_t *v = gale_datum_to_value(&d);
    static const uint8_t notalist[] = { GALE_TAG_MAP, 0 };

    ck_assert_int_eq(v->type, GALE_STRING);
    ck_assert_uint_eq(v->u.s.len, 3);
    ck_assert_str_eq(v->u.s.ptr, "h\xc3\xa9");
    gale_value_destroy(&v);
    bad.type = GALE_LIST;
    bad.u.s.ptr = notalist;
    bad.u.s.len = sizeof notalist;
    ck_assert_ptr_null(gale_datum_to_value(&bad));
    bad.type = (gale_type_t)42;
    ck_assert_ptr_null(gale_datum_to_value(&bad));
}
END_TEST

START_TEST(test_record_encode_rejects)
{
    static const uint8_t badlist[] = { GALE_TAG_LIST, 2, 0 };
    gale_datum_t d[2];
    gale_buf_t out;

    gale_buf_init(&out, 16);
    d[0] = gale_d_int(1);
    d[1].type = GALE_LIST;
    d[1].u.s.ptr = badlist;
    d[1].u.s.len = sizeof badlist;
    ck_assert_int_eq(gale_record_encode(&out, 0, -1, d, 2), -EINVAL);
    ck_assert_uint_eq(out.len, 0);
    d[1].type = (gale_type_t)9;
    ck_assert_int_eq(gale_record_encode(&out, 0, -1, d, 2), -EINVAL);
    ck_assert_uint_eq(out.len, 0);
    ck_assert_int_eq(gale_record_encode(&out, 0, -1, d, 1), 0);
    /* length 4, stream 0, keygroup none, 1 field, int 1 (zigzag 2) */
    ck_assert_uint_eq(out.len, 6);
    ck_assert_mem_eq(out.data, "\x05\x00\x00\x01\x03\x02", 6);
    gale_buf_release(&out);
}
END_TEST

START_TEST(test_fields_enospc)
{
    gale_datum_t in[3] = { gale_d_int(1), gale_d_int(2), gale_d_int(3) };
    gale_datum_t out[2];
    uint8_t *frame;

    ck_assert_int_eq(through_batch(in, 3, out, 2, &frame), -ENOSPC);
    free(frame);
}
END_TEST

START_TEST(test_batch_fill)
{
    gale_batch_t b;
    gale_frame_hdr_t h = hdr(GALE_FRAME_DATA, 0), ph;
    gale_batch_reader_t r;
    gale_record_t rec;
    gale_datum_t d, f;
    gale_buf_t enc;
    uint8_t *frame;
    size_t len, reclen;
    int i, n = 0;

    gale_buf_init(&enc, 0);
    d = gale_d_str("word", 4);
    ck_assert_int_eq(gale_record_encode(&enc, 0, -1, &d, 1), 0);
    reclen = enc.len;
    gale_batch_init(&b, 100);
    ck_assert_uint_eq(b.len, GALE_FRAME_HDR_SIZE);
    /* 32 + k * reclen <= 100 */
    for (i = 0; i < 100; i++) {
        if (gale_batch_append(&b, enc.data, enc.len) != 0)
            break;
        n++;
    }
    ck_assert_int_eq(n, (int)((100 - GALE_FRAME_HDR_SIZE) / reclen));
    ck_assert_int_eq(gale_batch_append(&b, enc.data, enc.len), -ENOSPC);
    ck_assert_uint_eq(b.count, (unsigned)n);
    frame = gale_batch_take(&b, &h, &len);
    ck_assert_uint_eq(h.count, (unsigned)n);
    ck_assert_uint_eq(len, GALE_FRAME_HDR_SIZE + n * reclen);
    ck_assert_uint_eq(b.count, 0);
    ck_assert_uint_eq(b.len, GALE_FRAME_HDR_SIZE);
    ck_assert_int_eq(gale_frame_parse(frame, len, &ph, NULL), 0);
    ck_assert_uint_eq(ph.count, (unsigned)n);
    ck_assert_uint_eq(ph.channel, 7);
    gale_batch_reader_init(&r, frame, len, &ph);
    for (i = 0; gale_batch_next(&r, &rec) == 1; i++) {
        ck_assert_int_eq(rec.keygroup, -1);
        ck_assert_int_eq(gale_record_fields(&rec, &f, 1), 1);
        ck_assert_int_eq(f.type, GALE_STRING);
        ck_assert_mem_eq(f.u.s.ptr, "word", 4);
    }
    ck_assert_int_eq(i, n);
    free(frame);
    gale_batch_release(&b);
    gale_buf_release(&enc);
}
END_TEST

START_TEST(test_batch_oversize_record)
{
    gale_batch_t b;
    gale_frame_hdr_t h = hdr(GALE_FRAME_DATA, 0), ph;
    gale_batch_reader_t r;
    gale_record_t rec;
    gale_datum_t d, f;
    gale_buf_t enc;
    char *big = malloc(1000);
    uint8_t *frame;
    size_t len;

    memset(big, 'x', 1000);
    gale_buf_init(&enc, 0);
    d = gale_d_bytes(big, 1000);
    ck_assert_int_eq(gale_record_encode(&enc, 1, 5, &d, 1), 0);
    gale_batch_init(&b, 64);
    ck_assert_int_eq(gale_batch_append(&b, enc.data, enc.len), 0);
    ck_assert_int_eq(gale_batch_append(&b, "\x03\x00\x00\x00", 4), -ENOSPC);
    frame = gale_batch_take(&b, &h, &len);
    ck_assert_uint_eq(b.cap, 64);
    ck_assert_int_eq(gale_frame_parse(frame, len, &ph, NULL), 0);
    gale_batch_reader_init(&r, frame, len, &ph);
    ck_assert_int_eq(gale_batch_next(&r, &rec), 1);
    ck_assert_int_eq(rec.keygroup, 5);
    ck_assert_int_eq(gale_record_fields(&rec, &f, 1), 1);
    ck_assert_uint_eq(f.u.s.len, 1000);
    ck_assert_mem_eq(f.u.s.ptr, big, 1000);
    /* The batch is back to its cap: a small record fits again. */
    ck_assert_int_eq(gale_batch_append(&b, "\x03\x00\x00\x00", 4), 0);
    free(frame);
    free(big);
    gale_batch_release(&b);
    gale_buf_release(&enc);
}
END_TEST

START_TEST(test_control_frames)
{
    gale_frame_hdr_t h = hdr(GALE_FRAME_WATERMARK, 0), g;
    gale_batch_reader_t r;
    gale_record_t rec;
    uint8_t buf[GALE_FRAME_HDR_SIZE];

    h.arg = 1700000000000ULL;
    gale_frame_hdr_write(&h, buf);
    ck_assert_int_eq(gale_frame_parse(buf, sizeof buf, &g, NULL), 0);
    ck_assert_uint_eq(g.arg, h.arg);
    gale_batch_reader_init(&r, buf, sizeof buf, &g);
    ck_assert_int_eq(gale_batch_next(&r, &rec), 0);
}
END_TEST

/* Whether the receiver's single-pass path (header check, then records
 * validated as they are decoded) accepts frame f. */
static bool
reader_accepts(const void *f, size_t len)
{
    gale_frame_hdr_t h;
    gale_batch_reader_t r;
    gale_record_t rec;
    gale_datum_t out[64];
    int rc;

    if (gale_frame_hdr_parse(f, len, &h, NULL) != 0)
        return false;
    gale_batch_reader_init(&r, f, len, &h);
    while ((rc = gale_batch_next(&r, &rec)) == 1)
        if (gale_record_fields(&rec, out, 64) < 0)
            return false;
    return rc == 0;
}

/* Expects gale_frame_parse to reject f with exactly this cause, and the
 * receiver's single-pass reader to reject it too. */
static void
expect_bad(const void *f, size_t len, const char *want)
{
    gale_frame_hdr_t h;
    char *cause = NULL;

    ck_assert_msg(!reader_accepts(f, len), "the reader accepts a frame "
        "the parser rejects with: %s", want);
    ck_assert_int_eq(gale_frame_parse(f, len, &h, &cause), -EPROTO);
    ck_assert_ptr_nonnull(cause);
    ck_assert_str_eq(cause, want);
    free(cause);
    ck_assert_int_eq(gale_frame_parse(f, len, &h, NULL), -EPROTO);
}

/* Expects a DATA frame with count records and this body to be rejected. */
static void
expect_bad_body(uint32_t count, const void *body, size_t blen,
    const char *want)
{
    gale_buf_t b;
    uint8_t *f;
    size_t len;

    gale_buf_init(&b, 0);
    gale_buf_append(&b, body, blen);
    f = frame_of(&b, count, &len);
    expect_bad(f, len, want);
    free(f);
    gale_buf_release(&b);
}

START_TEST(test_malformed_header)
{
    gale_frame_hdr_t h = hdr(GALE_FRAME_END, 0);
    uint8_t buf[GALE_FRAME_HDR_SIZE + 1];

    gale_frame_hdr_write(&h, buf);
    expect_bad(buf, 10, "truncated header: 10 bytes, a header has 32");
    expect_bad(buf, 0, "truncated header: 0 bytes, a header has 32");
    buf[0] = 2;
    expect_bad(buf, 32, "unsupported wire version 2 at byte 0 (this build speaks 1)");
    buf[0] = 1;
    buf[1] = 7;
    expect_bad(buf, 32, "unknown frame kind 7 at byte 1");
    buf[1] = 0;
    expect_bad(buf, 32, "unknown frame kind 0 at byte 1");
    buf[1] = GALE_FRAME_END;
    buf[3] = 0x80;
    expect_bad(buf, 32, "unknown flags 0x8000 at byte 2");
    buf[3] = 0;
    buf[12] = 1;
    expect_bad(buf, 32, "END frame with record count 1 at byte 12");
    buf[12] = 0;
    buf[32] = 0;
    expect_bad(buf, 33, "trailing data after a END frame at byte 32 (1 bytes)");
}
END_TEST

START_TEST(test_malformed_records)
{
    uint8_t deep[160];
    size_t i, k;

    /* Count mismatch: two announced, one present. */
    expect_bad_body(2, "\x04\x00\x00\x01\x00", 5,
        "count mismatch: header says 2 records, frame ends after 1 at byte 37");
    /* The record length is a truncated varint. */
    expect_bad_body(1, "\x80", 1, "record 0: truncated varint at byte 32");
    /* The stream is an overlong varint (0 in two bytes). */
    expect_bad_body(1, "\x04\x80\x00\x00\x00", 5,
        "record 0: overlong varint at byte 33");
    /* A varint of 11 bytes. */
    expect_bad_body(1, "\x0e\x00\x00\x01\x03\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
        16, "record 0 field 0: varint longer than 64 bits at byte 37");
    /* Record length past the end of the frame. */
    expect_bad_body(1, "\x64\x00\x00\x00", 4,
        "record 0: record length 100 past end of frame at byte 32");
    /* String length past the end of the record. */
    expect_bad_body(1, "\x06\x00\x00\x01\x05\x0a\x61", 7,
        "record 0 field 0: string length 10 past end at byte 37");
    /* Bad tag. */
    expect_bad_body(1, "\x04\x00\x00\x01\x09", 5,
        "record 0 field 0: bad tag 9 at byte 36");
    /* Fewer fields than declared. */
    expect_bad_body(1, "\x04\x00\x00\x02\x00", 5,
        "record 0: 2 fields declared, 1 present at byte 37");
    /* Bytes left in the record after its fields. */
    expect_bad_body(1, "\x05\x00\x00\x01\x00\x00", 6,
        "record 0: trailing data after the last field (1 bytes) at byte 37");
    /* Bytes left in the frame after its records. */
    expect_bad_body(1, "\x04\x00\x00\x01\x00\x00", 6,
        "trailing data after 1 records at byte 37 (1 bytes)");
    /* A truncated double. */
    expect_bad_body(1, "\x06\x00\x00\x01\x04\x00\x00", 7,
        "record 0 field 0: double truncated (2 of 8 bytes) at byte 36");
    /* A map key holding a NUL byte. */
    expect_bad_body(1, "\x09\x00\x00\x01\x08\x01\x02\x61\x00\x00", 10,
        "record 0 field 0: map key contains a NUL byte at byte 38");
    /* A key group past INT_MAX. */
    expect_bad_body(1, "\x08\x00\x80\x80\x80\x80\x10\x01\x00", 9,
        "record 0: key group 4294967295 out of range at byte 34");

    /* 65 nested lists: the 65th is refused where it starts; 64 pass. */
    for (k = 64; k <= 65; k++) {
        size_t body = 3 + k * 2 + 1;

        deep[0] = (uint8_t)(0x80 | (body & 0x7f));
        deep[1] = (uint8_t)(body >> 7);
        deep[2] = 0;
        deep[3] = 0;
        deep[4] = 1;
        for (i = 0; i < k; i++) {
            deep[5 + 2 * i] = GALE_TAG_LIST;
            deep[6 + 2 * i] = 1;
        }
        deep[5 + 2 * k] = GALE_TAG_NULL;
        if (k == 65)
            expect_bad_body(1, deep, 2 + body,
                "record 0 field 0: lists and maps nested deeper than 64 at byte 165");
        else {
            gale_buf_t b;
            gale_frame_hdr_t h;
            uint8_t *f;
            size_t len;

            gale_buf_init(&b, 0);
            gale_buf_append(&b, deep, 2 + body);
            f = frame_of(&b, 1, &len);
            ck_assert_int_eq(gale_frame_parse(f, len, &h, NULL), 0);
            free(f);
            gale_buf_release(&b);
        }
    }
}
END_TEST

START_TEST(test_varints)
{
    static const uint64_t vals[] = { 0, 1, 127, 128, 300, 16383, 16384,
        UINT32_MAX, (uint64_t)INT64_MAX, UINT64_MAX };
    uint8_t buf[GALE_VARINT_MAX];
    const uint8_t *p;
    uint64_t v;
    size_t i, n;
    gale_wire_err_t err;

    for (i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        n = (size_t)(gale_varint_put(buf, vals[i]) - buf);
        ck_assert_uint_eq(n, gale_varint_size(vals[i]));
        p = buf;
        ck_assert_int_eq(gale_varint_get(&p, buf + n, &v, &err), 0);
        ck_assert(v == vals[i]);
        ck_assert_ptr_eq(p, buf + n);
        p = buf;
        /* One byte short is truncated. */
        ck_assert_int_eq(gale_varint_get(&p, buf + n - 1, &v, &err), -EPROTO);
        ck_assert_str_eq(err.msg, "truncated varint");
    }
    ck_assert_uint_eq(gale_varint_size(UINT64_MAX), 10);
    ck_assert(gale_unzigzag(gale_zigzag(INT64_MIN)) == INT64_MIN);
    ck_assert(gale_zigzag(-1) == 1 && gale_zigzag(1) == 2);
}
END_TEST

START_TEST(test_reader_on_garbage)
{
    /* A reader and fields over bytes the parser never saw must not crash. */
    static const uint8_t junk[] = { 0x03, 0x00, 0x00, 0x05, 0x07, 0xff };
    gale_frame_hdr_t h = hdr(GALE_FRAME_DATA, 3);
    gale_batch_reader_t r;
    gale_record_t rec;
    gale_datum_t out[8];
    uint8_t f[GALE_FRAME_HDR_SIZE + sizeof junk];

    gale_frame_hdr_write(&h, f);
    memcpy(f + GALE_FRAME_HDR_SIZE, junk, sizeof junk);
    gale_batch_reader_init(&r, f, sizeof f, &h);
    ck_assert_int_eq(gale_batch_next(&r, &rec), 1);
    ck_assert_int_eq(gale_record_fields(&rec, out, 8), -EPROTO);
    ck_assert_int_eq(gale_batch_next(&r, &rec), -EPROTO);
    ck_assert_int_eq(gale_batch_next(&r, &rec), 0);
}
END_TEST

START_TEST(test_weighted_frames)
{
    /* A WEIGHTED batch: each record carries its multiplicity after its key
     * group. The parser and the single-pass reader accept it and give the
     * weights back; weight 0, and the flag on a control frame, are
     * refused by both. */
    static const uint64_t weights[] = { 1, 5, 300, 1ULL << 40 };
    gale_batch_t b;
    gale_frame_hdr_t h = hdr(GALE_FRAME_DATA, 0), ph;
    gale_batch_reader_t r;
    gale_record_t rec;
    gale_datum_t v[2], out[2];
    uint8_t *f, *p, ctl[GALE_FRAME_HDR_SIZE];
    size_t len, body, sz;
    char *cause = NULL;
    int i;

    gale_batch_init(&b, 4096);
    for (i = 0; i < 4; i++) {
        v[0] = gale_d_str("word", 4);
        v[1] = gale_d_int(i);
        sz = gale_record_size(0, 17 + i, weights[i], v, 2, &body);
        ck_assert_uint_gt(sz, 0);
        ck_assert_ptr_nonnull(p = gale_batch_room(&b, sz));
        ck_assert_uint_eq(gale_record_write(p, body, 0, 17 + i, weights[i],
            v, 2), sz);
        gale_batch_commit(&b, sz);
    }
    b.weighted = true;
    f = gale_batch_take(&b, &h, &len);
    ck_assert_int_eq(gale_frame_parse(f, len, &ph, &cause), 0);
    ck_assert_uint_eq(ph.flags, GALE_FRAME_WEIGHTED);
    ck_assert(reader_accepts(f, len));
    gale_batch_reader_init(&r, f, len, &ph);
    for (i = 0; i < 4; i++) {
        ck_assert_int_eq(gale_batch_next(&r, &rec), 1);
        ck_assert_uint_eq(rec.weight, weights[i]);
        ck_assert_int_eq(rec.keygroup, 17 + i);
        ck_assert_int_eq(gale_record_fields(&rec, out, 2), 2);
        ck_assert_int_eq(out[1].u.i, i);
    }
    ck_assert_int_eq(gale_batch_next(&r, &rec), 0);
    /* The same bytes read as unweighted are malformed, not misread. */
    f[2] = 0;
    ck_assert_int_eq(gale_frame_parse(f, len, &ph, NULL), -EPROTO);
    ck_assert(!reader_accepts(f, len));
    free(f);
    gale_batch_release(&b);

    /* Weight 0. */
    gale_batch_init(&b, 4096);
    sz = gale_record_size(0, -1, 1, v, 2, &body);
    p = gale_batch_room(&b, sz);
    gale_record_write(p, body, 0, -1, 1, v, 2);
    p[3] = 0;                       /* len, stream, kg + 1, weight */
    gale_batch_commit(&b, sz);
    b.weighted = true;
    h = hdr(GALE_FRAME_DATA, 0);
    f = gale_batch_take(&b, &h, &len);
    expect_bad(f, len, "record 0: multiplicity 0 at byte 35");
    free(f);
    gale_batch_release(&b);

    /* The flag means nothing on a control frame. */
    h = hdr(GALE_FRAME_END, 0);
    h.flags = GALE_FRAME_WEIGHTED;
    gale_frame_hdr_write(&h, ctl);
    expect_bad(ctl, sizeof ctl, "unknown flags 0x0001 at byte 2");
    free(cause);
}
END_TEST

START_TEST(test_put_small_matches_two_passes)
{
    /* gale_record_put_small writes exactly the two passes' bytes whenever
     * it accepts, accepts every record whose body is under 128 bytes and
     * fits (without LIST/MAP), and declines the rest. */
    static const char text[] = "abcdefghijklmnopqrstuvwxyz0123456789"
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    uint8_t a[1024], b[1024];
    gale_datum_t v[6];
    unsigned seed = 11;
    int round, accepted = 0, declined = 0;

    for (round = 0; round < 20000; round++) {
        size_t n, i, body, sz, got, cap;
        uint64_t weight;
        int kg;

        seed = seed * 1103515245u + 12345u;
        n = (seed >> 16) % 6;
        kg = (int)((seed >> 8) % 300) - 1;
        weight = (seed >> 4) % 3 == 0 ? 0 : (seed >> 2) % 100000 + 1;
        for (i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            switch ((seed >> 16) % 6) {
            case 0: v[i] = gale_d_str(text, (seed >> 4) % 140); break;
            case 1: v[i] = gale_d_bytes(text + 3, (seed >> 4) % 20); break;
            case 2: v[i] = gale_d_int((int64_t)seed * ((seed & 1) ? -977 : 31)); break;
            case 3: v[i] = gale_d_double((double)seed / 7.0); break;
            case 4: v[i] = gale_d_bool(seed & 8); break;
            default: v[i] = gale_d_null(); break;
            }
        }
        sz = gale_record_size(7, kg, weight, v, n, &body);
        ck_assert_uint_gt(sz, 0);
        gale_record_write(a, body, 7, kg, weight, v, n);
        ck_assert_uint_le(sz, sizeof a);
        cap = round % 2 ? 64 : 200;
        got = gale_record_put_small(b, cap, 7, kg, weight, v, n);
        if (body < 128 && sz <= cap) {
            ck_assert_uint_eq(got, sz);
            ck_assert_mem_eq(a, b, sz);
            accepted++;
        } else {
            ck_assert_uint_eq(got, 0);
            declined++;
        }
    }
    ck_assert_int_gt(accepted, 1000);
    ck_assert_int_gt(declined, 1000);
    ck_assert_uint_eq(gale_record_put_small(b, 64, 0, -2, 0, v, 0), 0);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("codec");
    TCase *tc = tcase_create("core");
    SRunner *sr = srunner_create(s);
    int failed;

    tcase_add_test(tc, test_header_round_trip);
    tcase_add_test(tc, test_scalars_round_trip);
    tcase_add_test(tc, test_tree_round_trip);
    tcase_add_test(tc, test_datum_to_value_scalars);
    tcase_add_test(tc, test_record_encode_rejects);
    tcase_add_test(tc, test_fields_enospc);
    tcase_add_test(tc, test_batch_fill);
    tcase_add_test(tc, test_batch_oversize_record);
    tcase_add_test(tc, test_control_frames);
    tcase_add_test(tc, test_malformed_header);
    tcase_add_test(tc, test_malformed_records);
    tcase_add_test(tc, test_varints);
    tcase_add_test(tc, test_reader_on_garbage);
    tcase_add_test(tc, test_weighted_frames);
    tcase_add_test(tc, test_put_small_matches_two_passes);
    suite_add_tcase(s, tc);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
