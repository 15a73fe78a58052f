/* fuzz_multilang.c - libFuzzer target for the multilang reader: what a
 * child writes on its stdout.
 *
 * The first input byte chooses how the rest is cut into feeds (a child's
 * writes arrive in arbitrary pieces). Every message the reader accepts
 * must be a JSON object; it is converted to a gale value (as an emit's
 * tuple is), to a tuple field's wire encoding and back to JSON, and framed
 * again, and the frame must read back as an equal message. An error must
 * come with a cause and leave the reader failed. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "compat/multilang/mlproto.h"
#include "engine/wire/valuecodec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The frame of msg reads back as one message equal to it. */
static void
reframe(const json_t *msg)
{
    gale_mlreader_t *r = gale_mlreader_new(GALE_ML_MAX_MSG);
    gale_buf_t b;
    char *cause = NULL;
    json_t *back = NULL;

    gale_buf_init(&b, 0);
    if (gale_mlproto_frame(msg, &b) != 0)
        abort();
    gale_mlreader_feed(r, b.data, b.len);
    if (gale_mlreader_next(r, &back, &cause) != 1 || !json_equal(msg, back))
        abort();
    json_decref(back);
    gale_buf_release(&b);
    gale_mlreader_destroy(&r);
}

/* Nesting depth of j (a scalar is 0). */
static int
depth(const json_t *j)
{
    const char *k;
    json_t *x;
    size_t i;
    int d = 0, e;

    if (json_is_object(j)) {
        json_object_foreach((json_t *)j, k, x)
            if ((e = depth(x)) > d)
                d = e;
        return d + 1;
    }
    if (json_is_array(j)) {
        json_array_foreach(j, i, x)
            if ((e = depth(x)) > d)
                d = e;
        return d + 1;
    }
    return 0;
}

/* msg -> gale value -> tuple field -> JSON: accepted values survive
 * (trees deeper than the wire format allows excepted: decoders refuse
 * them, and so does the engine, as a task failure). */
static void
convert(const json_t *msg)
{
    gale_value_t *v = gale_mlproto_to_value(msg), *w;
    gale_buf_t scratch;
    gale_datum_t d;
    json_t *j;

    gale_buf_init(&scratch, 0);
    gale_value_to_datum_buf(v, &scratch, &d);
    w = gale_datum_to_value(&d);
    j = gale_mlproto_from_datum(&d);
    if ((w == NULL || j == NULL) && depth(msg) <= GALE_WIRE_MAX_DEPTH)
        abort();
    json_decref(j);
    gale_value_destroy(&w);
    gale_value_destroy(&v);
    gale_buf_release(&scratch);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gale_mlreader_t *r;
    size_t step, off = 0, n;
    char *cause = NULL;
    json_t *msg;
    int rc;

    if (size == 0)
        return 0;
    step = (size_t)data[0] % 17 + 1;
    data++;
    size--;
    r = gale_mlreader_new(1 << 16);
    while (off < size) {
        n = size - off < step ? size - off : step;
        gale_mlreader_feed(r, data + off, n);
        off += n;
        while ((rc = gale_mlreader_next(r, &msg, &cause)) == 1) {
            if (!json_is_object(msg))
                abort();
            convert(msg);
            reframe(msg);
            json_decref(msg);
        }
        if (rc < 0) {
            if (cause == NULL || (rc != -EBADMSG && rc != -EMSGSIZE))
                abort();
            free(cause);
            cause = NULL;
            if (gale_mlreader_next(r, &msg, &cause) >= 0)
                abort();
            free(cause);
            break;
        }
    }
    gale_mlreader_destroy(&r);
    return 0;
}
