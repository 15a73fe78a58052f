/* fuzz_control.c - libFuzzer target for the control plane's decoders:
 * the control messages and reports between the master and its executors
 * (engine/wire/control.c) and the console's status reply
 * (engine/run/status.c), both of which cross processes and hosts, and
 * the STATS report's histogram, user counter and channel parts
 * (engine/metrics/histogram.c, userstats.c, chanreport.c).
 *
 * The first byte picks the decoder, the rest is its input. Whatever a
 * decoder accepts must re-encode to exactly the bytes it was given
 * (control) or format to a reply that parses back to the same fields
 * (status); whatever it refuses must leave no allocation behind. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "engine/metrics/chanreport.h"
#include "engine/metrics/histogram.h"
#include "engine/metrics/userstats.h"
#include "engine/run/status.h"
#include "engine/wire/control.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_ctl(const uint8_t *p, size_t n)
{
    gale_ctl_msg_t m;
    uint8_t out[GALE_CTL_MSG_SIZE];

    if (gale_ctl_msg_decode(p, n, &m) != 0)
        return;
    if (gale_ctl_msg_encode(&m, out) != n || memcmp(out, p, n) != 0)
        abort();
}

static void
fuzz_hdr(const uint8_t *p, size_t n)
{
    gale_report_hdr_t h;
    uint8_t out[GALE_REPORT_HDR_SIZE];

    if (gale_report_hdr_decode(p, n, &h) != 0)
        return;
    if (gale_report_hdr_encode(&h, out) != n || memcmp(out, p, n) != 0)
        abort();
}

static void
fuzz_ack(const uint8_t *p, size_t n)
{
    gale_report_ack_t a;
    uint8_t out[GALE_REPORT_ACK_SIZE];

    if (gale_report_ack_decode(p, n, &a) != 0)
        return;
    if (gale_report_ack_encode(&a, out) != n || memcmp(out, p, n) != 0)
        abort();
}

static void
fuzz_tasks(const uint8_t *p, size_t n)
{
    gale_report_task_t *t = NULL;
    uint8_t *out;
    size_t k;

    if (gale_report_tasks_decode(p, n, &t, &k) != 0)
        return;
    if ((out = malloc(GALE_REPORT_TASKS_SIZE(k))) == NULL)
        abort();
    if (gale_report_tasks_encode(t, k, out) != n || memcmp(out, p, n) != 0)
        abort();
    free(out);
    free(t);
}

static void
fuzz_status(const uint8_t *p, size_t n)
{
    gale_status_t st, back;
    char *text, *again;

    if ((text = malloc(n + 1)) == NULL)
        abort();
    memcpy(text, p, n);
    text[n] = '\0';
    if (gale_status_parse(text, &st) == 0) {
        again = gale_status_format(&st);
        if (gale_status_parse(again, &back) != 0 ||
            strcmp(back.word, st.word) != 0 || back.tasks != st.tasks ||
            back.workers != st.workers || back.pid != st.pid ||
            back.emitted != st.emitted || back.executed != st.executed ||
            back.last_ckpt != st.last_ckpt)
            abort();
        free(again);
    }
    free(text);
}

/* fuzz_hists: each histogram the part holds, re-encoded. */
typedef struct hist_check {
    const uint8_t *p;               /* the part */
    size_t off;                     /* where the next entry starts */
} hist_check_t;

static void
check_hist(void *arg, int32_t task, const gale_hist_t *h)
{
    hist_check_t *c = arg;
    int32_t ids[1] = { task };
    const gale_hist_t *hs[1] = { h };
    uint8_t out[GALE_HIST_PART_MAX(1)];
    size_t len = gale_hist_part_encode(ids, hs, 1, out);

    /* out is a version byte, then the entry: it must be the bytes read. */
    if (memcmp(out + 1, c->p + c->off, len - 1) != 0)
        abort();
    c->off += len - 1;
}

static void
fuzz_hists(const uint8_t *p, size_t n)
{
    hist_check_t c = { p, 1 };

    if (gale_hist_part_decode(p, n, check_hist, &c) == 0 && c.off != n)
        abort();
}

/* fuzz_users: what decodes, re-encoded entry by entry, is the input. */
static void
add_user(void *arg, int32_t task, const char *name, int64_t value)
{
    gale_userstats_add(arg, task, name, value);
}

static void
fuzz_users(const uint8_t *p, size_t n)
{
    gale_buf_t b;

    gale_buf_init(&b, 0);
    gale_userstats_begin(&b);
    if (gale_userstats_decode(p, n, add_user, &b) == 0 &&
        (b.len != n || memcmp(b.data, p, n) != 0))
        abort();
    gale_buf_release(&b);
}

/* fuzz_chans: what decodes, re-encoded entry by entry, is the input; a
 * version 1 input (no totals) re-encodes as version 2 with each entry's
 * first 21 bytes the input's and zero totals. */
static void
add_chan(void *arg, const gale_chanreport_t *e)
{
    gale_chanreport_add(arg, e);
}

static void
fuzz_chans(const uint8_t *p, size_t n)
{
    static const uint8_t zero[16];
    size_t k, v1 = GALE_CHANREPORT_ENTRY_V1, v2 = GALE_CHANREPORT_ENTRY;
    gale_buf_t b;

    gale_buf_init(&b, 0);
    gale_chanreport_begin(&b);
    if (gale_chanreport_decode(p, n, add_chan, &b) == 0) {
        if (p[0] == 2 && (b.len != n || memcmp(b.data, p, n) != 0))
            abort();
        if (p[0] == 1) {
            if (b.len != 1 + (n - 1) / v1 * v2)
                abort();
            for (k = 0; k < (n - 1) / v1; k++)
                if (memcmp(b.data + 1 + k * v2, p + 1 + k * v1, v1) != 0 ||
                    memcmp(b.data + 1 + k * v2 + v1, zero, v2 - v1) != 0)
                    abort();
        }
    }
    gale_buf_release(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    switch (data[0] % 8) {
    case 0: fuzz_ctl(data + 1, size - 1); break;
    case 1: fuzz_hdr(data + 1, size - 1); break;
    case 2: fuzz_ack(data + 1, size - 1); break;
    case 3: fuzz_tasks(data + 1, size - 1); break;
    case 5: fuzz_hists(data + 1, size - 1); break;
    case 6: fuzz_users(data + 1, size - 1); break;
    case 7: fuzz_chans(data + 1, size - 1); break;
    default: fuzz_status(data + 1, size - 1); break;
    }
    return 0;
}
