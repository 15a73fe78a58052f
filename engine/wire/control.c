/* control.c - the encoding of control messages (docs/wire.md). */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/le.h"
#include "common/xalloc.h"
#include "engine/wire/control.h"

/* Checks the version byte and the size of a fixed-size part. 0, -EMSGSIZE
 * or -EPROTO. An empty part has no version byte: it is short. */
static int
check_part(const uint8_t *p, size_t len, size_t want)
{
    if (len == 0)
        return -EMSGSIZE;
    if (p[0] != GALE_CONTROL_VERSION)
        return -EPROTO;
    return len == want ? 0 : -EMSGSIZE;
}

size_t
gale_ctl_msg_encode(const gale_ctl_msg_t *m, uint8_t out[GALE_CTL_MSG_SIZE])
{
    assert(m->type <= UINT8_MAX);
    out[0] = GALE_CONTROL_VERSION;
    out[1] = (uint8_t)m->type;
    gale_put_le(out + 2, m->arg, 8);
    return GALE_CTL_MSG_SIZE;
}

int
gale_ctl_msg_decode(const void *buf, size_t len, gale_ctl_msg_t *out)
{
    const uint8_t *p = buf;
    int rc;

    if ((rc = check_part(p, len, GALE_CTL_MSG_SIZE)) != 0)
        return rc;
    memset(out, 0, sizeof *out);
    out->type = p[1];
    out->arg = gale_get_le(p + 2, 8);
    return 0;
}

size_t
gale_report_hdr_encode(const gale_report_hdr_t *h,
    uint8_t out[GALE_REPORT_HDR_SIZE])
{
    assert(h->type <= UINT8_MAX);
    out[0] = GALE_CONTROL_VERSION;
    out[1] = (uint8_t)h->type;
    gale_put_le(out + 2, (uint32_t)h->exec, 4);
    gale_put_le(out + 6, h->ntasks, 4);
    gale_put_le(out + 10, h->epoch, 4);
    gale_put_le(out + 14, h->arg, 8);
    return GALE_REPORT_HDR_SIZE;
}

int
gale_report_hdr_decode(const void *buf, size_t len, gale_report_hdr_t *out)
{
    const uint8_t *p = buf;
    int rc;

    if ((rc = check_part(p, len, GALE_REPORT_HDR_SIZE)) != 0)
        return rc;
    memset(out, 0, sizeof *out);
    out->type = p[1];
    out->exec = (int32_t)(uint32_t)gale_get_le(p + 2, 4);
    out->ntasks = (uint32_t)gale_get_le(p + 6, 4);
    out->epoch = (uint32_t)gale_get_le(p + 10, 4);
    out->arg = gale_get_le(p + 14, 8);
    return 0;
}

size_t
gale_report_ack_encode(const gale_report_ack_t *a,
    uint8_t out[GALE_REPORT_ACK_SIZE])
{
    out[0] = GALE_CONTROL_VERSION;
    gale_put_le(out + 1, (uint32_t)a->task, 4);
    gale_put_le(out + 5, a->ckpt, 8);
    gale_put_le(out + 13, a->bytes, 8);
    gale_put_le(out + 21, a->align_ns, 8);
    gale_put_le(out + 29, a->sync_ns, 8);
    return GALE_REPORT_ACK_SIZE;
}

int
gale_report_ack_decode(const void *buf, size_t len, gale_report_ack_t *out)
{
    const uint8_t *p = buf;
    int rc;

    if ((rc = check_part(p, len, GALE_REPORT_ACK_SIZE)) != 0)
        return rc;
    memset(out, 0, sizeof *out);
    out->task = (int32_t)(uint32_t)gale_get_le(p + 1, 4);
    out->ckpt = gale_get_le(p + 5, 8);
    out->bytes = gale_get_le(p + 13, 8);
    out->align_ns = gale_get_le(p + 21, 8);
    out->sync_ns = gale_get_le(p + 29, 8);
    return 0;
}

size_t
gale_report_tasks_encode(const gale_report_task_t *t, size_t n, uint8_t *out)
{
    uint8_t *p = out + 1;
    size_t i;

    out[0] = GALE_CONTROL_VERSION;
    for (i = 0; i < n; i++, p += GALE_REPORT_TASK_SIZE) {
        gale_put_le(p, (uint32_t)t[i].task, 4);
        gale_put_le(p + 4, t[i].emitted, 8);
        gale_put_le(p + 12, t[i].transferred, 8);
        gale_put_le(p + 20, t[i].executed, 8);
        gale_put_le(p + 28, t[i].exec_ns, 8);
        gale_put_le(p + 36, t[i].errors, 8);
        gale_put_le(p + 44, (uint64_t)t[i].watermark_ms, 8);
        gale_put_le(p + 52, t[i].state_bytes, 8);
        gale_put_le(p + 60, t[i].spilled, 8);
    }
    return GALE_REPORT_TASKS_SIZE(n);
}

int
gale_report_tasks_decode(const void *buf, size_t len,
    gale_report_task_t **out, size_t *n)
{
    const uint8_t *p = buf;
    gale_report_task_t *t = NULL;
    size_t k, i;

    if (len == 0)
        return -EMSGSIZE;
    if (p[0] != GALE_CONTROL_VERSION)
        return -EPROTO;
    if ((len - 1) % GALE_REPORT_TASK_SIZE != 0)
        return -EMSGSIZE;
    k = (len - 1) / GALE_REPORT_TASK_SIZE;
    if (k > 0)
        t = xcalloc(k, sizeof *t);
    for (i = 0, p++; i < k; i++, p += GALE_REPORT_TASK_SIZE) {
        t[i].task = (int32_t)(uint32_t)gale_get_le(p, 4);
        t[i].emitted = gale_get_le(p + 4, 8);
        t[i].transferred = gale_get_le(p + 12, 8);
        t[i].executed = gale_get_le(p + 20, 8);
        t[i].exec_ns = gale_get_le(p + 28, 8);
        t[i].errors = gale_get_le(p + 36, 8);
        t[i].watermark_ms = (int64_t)gale_get_le(p + 44, 8);
        t[i].state_bytes = gale_get_le(p + 52, 8);
        t[i].spilled = gale_get_le(p + 60, 8);
    }
    *out = t;
    *n = k;
    return 0;
}
