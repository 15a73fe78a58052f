/* frame.c - frame headers and the validating frame parser. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "engine/wire/frame.h"
#include "engine/wire/valuecodec.h"

/* Little-endian stores and loads, independent of the host's order. */
static void
put_le(uint8_t *p, uint64_t v, int n)
{
    int i;

    for (i = 0; i < n; i++, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t
get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    int i;

    for (i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

void
gale_frame_hdr_write(const gale_frame_hdr_t *h,
    uint8_t out[GALE_FRAME_HDR_SIZE])
{
    out[0] = h->version;
    out[1] = h->kind;
    put_le(out + 2, h->flags, 2);
    put_le(out + 4, h->epoch, 4);
    put_le(out + 8, h->channel, 4);
    put_le(out + 12, h->count, 4);
    put_le(out + 16, h->seq, 8);
    put_le(out + 24, h->arg, 8);
}

/* Reads the header fields at p (at least GALE_FRAME_HDR_SIZE bytes). */
static void
hdr_read(const uint8_t *p, gale_frame_hdr_t *h)
{
    h->version = p[0];
    h->kind = p[1];
    h->flags = (uint16_t)get_le(p + 2, 2);
    h->epoch = (uint32_t)get_le(p + 4, 4);
    h->channel = (uint32_t)get_le(p + 8, 4);
    h->count = (uint32_t)get_le(p + 12, 4);
    h->seq = get_le(p + 16, 8);
    h->arg = get_le(p + 24, 8);
}

const char *
gale_frame_kind_name(int kind)
{
    switch (kind) {
    case GALE_FRAME_DATA:
        return "DATA";
    case GALE_FRAME_BARRIER:
        return "BARRIER";
    case GALE_FRAME_WATERMARK:
        return "WATERMARK";
    case GALE_FRAME_END:
        return "END";
    case GALE_FRAME_END_ACK:
        return "END_ACK";
    case GALE_FRAME_CREDIT:
        return "CREDIT";
    }
    return "unknown";
}

/* Validates record number idx at *pp, which must end by end; advances *pp
 * past it. 0, or -EPROTO with *cause set when cause != NULL. */
static int
parse_record(const uint8_t *base, const uint8_t **pp, const uint8_t *end,
    uint32_t idx, bool weighted, char **cause)
{
    const uint8_t *p = *pp, *rend, *at;
    gale_wire_err_t err;
    uint64_t rlen, stream, kg1, weight, nfields, i;

    if (gale_varint_get(&p, end, &rlen, &err) != 0)
        goto fail_err;
    if (rlen > (uint64_t)(end - p)) {
        at = *pp;
        snprintf(err.msg, sizeof err.msg, "record length %llu past end of "
            "frame", (unsigned long long)rlen);
        goto fail_at;
    }
    rend = p + rlen;
    at = p;
    if (gale_varint_get(&p, rend, &stream, &err) != 0)
        goto fail_err;
    if (stream > UINT32_MAX) {
        snprintf(err.msg, sizeof err.msg, "stream %llu out of range",
            (unsigned long long)stream);
        goto fail_at;
    }
    at = p;
    if (gale_varint_get(&p, rend, &kg1, &err) != 0)
        goto fail_err;
    if (kg1 > (uint64_t)INT_MAX + 1) {
        snprintf(err.msg, sizeof err.msg, "key group %llu out of range",
            (unsigned long long)kg1 - 1);
        goto fail_at;
    }
    at = p;
    if (weighted) {
        if (gale_varint_get(&p, rend, &weight, &err) != 0)
            goto fail_err;
        if (weight == 0) {
            snprintf(err.msg, sizeof err.msg, "multiplicity 0");
            goto fail_at;
        }
    }
    if (gale_varint_get(&p, rend, &nfields, &err) != 0)
        goto fail_err;
    for (i = 0; i < nfields; i++) {
        if (p == rend) {
            at = p;
            snprintf(err.msg, sizeof err.msg, "%llu fields declared, %llu "
                "present", (unsigned long long)nfields, (unsigned long long)i);
            goto fail_at;
        }
        if (gale_value_scan(p, rend, &p, &err) != 0) {
            if (cause != NULL)
                xasprintf(cause, "record %u field %llu: %s at byte %zu", idx,
                    (unsigned long long)i, err.msg, (size_t)(err.at - base));
            return -EPROTO;
        }
    }
    if (p != rend) {
        at = p;
        snprintf(err.msg, sizeof err.msg, "trailing data after the last "
            "field (%zu bytes)", (size_t)(rend - p));
        goto fail_at;
    }
    *pp = p;
    return 0;
fail_err:
    at = err.at;
fail_at:
    if (cause != NULL)
        xasprintf(cause, "record %u: %s at byte %zu", idx, err.msg,
            (size_t)(at - base));
    return -EPROTO;
}

int
gale_frame_hdr_parse(const void *buf, size_t len, gale_frame_hdr_t *h,
    char **cause)
{
    const uint8_t *base = buf;

    if (cause != NULL)
        *cause = NULL;
    if (len < GALE_FRAME_HDR_SIZE) {
        if (cause != NULL)
            xasprintf(cause, "truncated header: %zu bytes, a header has %d",
                len, GALE_FRAME_HDR_SIZE);
        return -EPROTO;
    }
    hdr_read(base, h);
    if (h->version != GALE_WIRE_VERSION) {
        if (cause != NULL)
            xasprintf(cause, "unsupported wire version %u at byte 0 "
                "(this build speaks %d)", h->version, GALE_WIRE_VERSION);
        return -EPROTO;
    }
    if (h->kind < GALE_FRAME_DATA || h->kind > GALE_FRAME_CREDIT) {
        if (cause != NULL)
            xasprintf(cause, "unknown frame kind %u at byte 1", h->kind);
        return -EPROTO;
    }
    if ((h->flags & ~(h->kind == GALE_FRAME_DATA ? GALE_FRAME_WEIGHTED : 0u))
        != 0) {
        if (cause != NULL)
            xasprintf(cause, "unknown flags 0x%04x at byte 2", h->flags);
        return -EPROTO;
    }
    if (h->kind != GALE_FRAME_DATA) {
        if (h->count != 0) {
            if (cause != NULL)
                xasprintf(cause, "%s frame with record count %u at byte 12",
                    gale_frame_kind_name(h->kind), h->count);
            return -EPROTO;
        }
        if (len != GALE_FRAME_HDR_SIZE) {
            if (cause != NULL)
                xasprintf(cause, "trailing data after a %s frame at byte "
                    "%d (%zu bytes)", gale_frame_kind_name(h->kind),
                    GALE_FRAME_HDR_SIZE, len - GALE_FRAME_HDR_SIZE);
            return -EPROTO;
        }
    }
    return 0;
}

int
gale_frame_parse(const void *buf, size_t len, gale_frame_hdr_t *h,
    char **cause)
{
    const uint8_t *base = buf, *p, *end;
    uint32_t i;
    int rc;

    if ((rc = gale_frame_hdr_parse(buf, len, h, cause)) != 0 ||
        h->kind != GALE_FRAME_DATA)
        return rc;
    p = base + GALE_FRAME_HDR_SIZE;
    end = base + len;
    for (i = 0; i < h->count; i++) {
        if (p == end) {
            if (cause != NULL)
                xasprintf(cause, "count mismatch: header says %u records, "
                    "frame ends after %u at byte %zu", h->count, i, len);
            return -EPROTO;
        }
        if (parse_record(base, &p, end, i,
            (h->flags & GALE_FRAME_WEIGHTED) != 0, cause) != 0)
            return -EPROTO;
    }
    if (p != end) {
        if (cause != NULL)
            xasprintf(cause, "trailing data after %u records at byte %zu "
                "(%zu bytes)", h->count, (size_t)(p - base),
                (size_t)(end - p));
        return -EPROTO;
    }
    return 0;
}
