/* kafka_sink.c - the "kafka_sink" bolt: tuples as records of a Kafka
 * topic, through librdkafka.
 *
 * exactly_once: a write-ahead, two-phase-commit sink. Records are kept in
 * memory until the barrier; snapshot(n) stages them in operator state
 * "sink" (key "staged:<task index>:<n>"), so they are part of checkpoint
 * n. When "everything <= n is complete" arrives, one Kafka transaction
 * (transactional.id "<prefix>-<task index>") produces every staged batch
 * <= n and, in the same transaction, commits the offset n for group
 * "<prefix>.<staging task index>" on partition 0 of the topic: the marker
 * of what was published, atomic with the records. restore() publishes
 * what the restored checkpoint lists above its marker, so a crash after
 * the commit and before the entries' removal was checkpointed publishes
 * nothing twice, and a crash during the transaction (aborted by the next
 * init_transactions of the same id, which also fences a zombie) publishes
 * it again. librdkafka cannot resume a transaction another process began,
 * which is why records wait in the checkpoint rather than in an open
 * Kafka transaction.
 *
 * With marker_topic set, the marker is a record of that topic instead
 * (partition 0, key "<prefix>-<component>-<staging task index>", value
 * the checkpoint id in decimal), produced in the same transaction; a
 * restore reads the partition's committed tail for the newest record of
 * its key. Same protocol, for clusters that do not keep transactional
 * offset commits (librdkafka's mock cluster, docs/kafka.md).
 *
 * at_least_once and none: an idempotent producer sends in execute();
 * at_least_once waits at each barrier until every record is acknowledged.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include <gale/gale.h>

#include "bolts/builtins.h"
#include "bolts/linefmt.h"
#include "common/failpoint.h"
#include "common/kafkaconf.h"

#define WAIT_MS 100             /* longest single wait on a broker */
#define STAGE_STATE "sink"      /* operator state of the staged batches */

typedef struct ksink {
    rd_kafka_t *rk;             /* owned producer */
    char *topic;                /* owned */
    char *prefix;               /* owned: transactional.id prefix */
    char *brokers;              /* owned copy, for messages */
    char *marker_topic;         /* owned; NULL: markers are group offsets */
    bool transactional;         /* exactly_once */
    bool acked;                 /* at_least_once: flush at barriers */
    gale_field_t key, value;    /* fields; value.name NULL = whole tuple */
    bool has_key, has_value;    /* key_field / value_field given */
    gale_linebuf_t buf;         /* exactly_once: records since the last barrier */
    gale_linebuf_t text;        /* scratch: one field or tuple as text */
    size_t max_bytes;           /* cap on buf */
    int64_t timeout_ms;         /* longest wait on brokers for one step */
    int failed;                 /* a delivery or commit failed: -errno */
    char *last_error;           /* owned: librdkafka's last error */
    gale_kv_t *staged;          /* operator state, engine-owned */
    gale_ctx_t *ctx;            /* for the callbacks (served on this thread) */
} ksink_t;

static void
note_error(ksink_t *s, const char *msg)
{
    char *c = strdup(msg);

    if (c != NULL) {
        free(s->last_error);
        s->last_error = c;
    }
}

/* Delivery reports, served by rd_kafka_poll/flush on the task's thread. */
static void
on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    ksink_t *s = opaque;

    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR)
        return;
    note_error(s, rd_kafka_err2str(m->err));
    if (!s->transactional) {
        gale_ctx_report_error(s->ctx, "kafka_sink %s: record to %s not "
            "delivered: %s", s->brokers, s->topic, rd_kafka_err2str(m->err));
        s->failed = -EIO;
    }
}

static void
on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    ksink_t *s = opaque;

    note_error(s, reason);
    if (rd_kafka_fatal_error(rk, NULL, 0) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        gale_ctx_report_error(s->ctx, "kafka_sink %s: fatal: %s", s->brokers,
            reason);
        s->failed = -EIO;
        return;
    }
    gale_ctx_log(s->ctx, GALE_LOG_WARN, "kafka_sink %s: %s (retrying)",
        s->brokers, reason);
}

static void
on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    ksink_t *s = rd_kafka_opaque(rk);

    if (s != NULL)
        gale_ctx_log(s->ctx, level <= 4 ? GALE_LOG_WARN : GALE_LOG_DEBUG,
            "librdkafka %s: %s", fac, buf);
}

/* Runs a transactional call that can be retried after a timeout, in
 * WAIT_MS steps so that a cancelled task stops waiting. NULL on success,
 * or the error (caller destroys). */
static rd_kafka_error_t *
txn_call(ksink_t *s, rd_kafka_error_t *(*fn)(rd_kafka_t *, int))
{
    uint64_t start = gale_now_ns();
    rd_kafka_error_t *e;

    for (;;) {
        if ((e = fn(s->rk, WAIT_MS)) == NULL)
            return NULL;
        if (!rd_kafka_error_is_retriable(e) ||
            (int64_t)((gale_now_ns() - start) / 1000000) >= s->timeout_ms ||
            gale_ctx_cancelled(s->ctx))
            return e;
        rd_kafka_error_destroy(e);
        rd_kafka_poll(s->rk, 0);
    }
}

static rd_kafka_error_t *
do_init(rd_kafka_t *rk, int ms)
{
    return rd_kafka_init_transactions(rk, ms);
}

static rd_kafka_error_t *
do_commit(rd_kafka_t *rk, int ms)
{
    return rd_kafka_commit_transaction(rk, ms);
}

static rd_kafka_error_t *
do_abort(rd_kafka_t *rk, int ms)
{
    return rd_kafka_abort_transaction(rk, ms);
}

static void
ksink_cleanup(gale_ctx_t *ctx, void *self)
{
    ksink_t *s = self;

    if (s == NULL)
        return;
    if (s->rk != NULL) {
        /* Not published: what is staged waits in the checkpoint. */
        if (!s->transactional)
            rd_kafka_flush(s->rk, 5000);
        rd_kafka_destroy(s->rk);
    }
    gale_linebuf_release(&s->buf);
    gale_linebuf_release(&s->text);
    free(s->topic);
    free(s->prefix);
    free(s->brokers);
    free(s->marker_topic);
    free(s->last_error);
    free(s);
}

static int
ksink_prepare(gale_ctx_t *ctx, void **self)
{
    const char *topic = gale_ctx_param_str(ctx, "topic", NULL);
    const char *g = gale_kafkaconf_guarantee(ctx);
    const char *kf = gale_ctx_param_str(ctx, "key_field", NULL);
    const char *vf = gale_ctx_param_str(ctx, "value_field", NULL);
    const gale_value_t *tn = gale_value_map_get(gale_ctx_conf(ctx), "topology.name");
    char txid[512], errstr[512], *cause = NULL;
    const char *defaults[] = {
        "enable.idempotence", "true",
        "partitioner", "murmur2_random",    /* Java's, for keyed records */
        "log.queue", "true",
        NULL, NULL, NULL
    };
    rd_kafka_conf_t *conf;
    rd_kafka_error_t *e;
    ksink_t *s = calloc(1, sizeof *s);
    int rc = -EINVAL;

    if (s == NULL)
        return -ENOMEM;
    s->ctx = ctx;
    s->staged = gale_ctx_operator_state(ctx, STAGE_STATE);
    s->transactional = strcmp(g, "exactly_once") == 0;
    s->acked = strcmp(g, "at_least_once") == 0;
    s->timeout_ms = gale_ctx_param_int(ctx, "timeout_ms", 60000);
    s->max_bytes = (size_t)gale_ctx_param_int(ctx, "max_buffer_mb", 256) << 20;
    if (topic == NULL) {
        gale_ctx_report_error(ctx, "kafka_sink: parameter topic is required");
        goto fail;
    }
    if ((s->topic = strdup(topic)) == NULL)
        goto nomem;
    if (gale_ctx_param_str(ctx, "marker_topic", NULL) != NULL &&
        (s->marker_topic = strdup(gale_ctx_param_str(ctx, "marker_topic",
        NULL))) == NULL)
        goto nomem;
    if (kf != NULL) {
        s->key = GALE_FIELD_INIT(gale_ctx_param_str(ctx, "key_field", NULL));
        s->has_key = true;
    }
    if (vf != NULL) {
        s->value = GALE_FIELD_INIT(gale_ctx_param_str(ctx, "value_field", NULL));
        s->has_value = true;
    }
    if (asprintf(&s->prefix, "%s", gale_ctx_param_str(ctx, "transactional_id",
        tn != NULL && tn->type == GALE_STRING ? tn->u.s.ptr :
        gale_ctx_component(ctx))) < 0) {
        s->prefix = NULL;
        goto nomem;
    }
    snprintf(txid, sizeof txid, "%s-%s-%d", s->prefix, gale_ctx_component(ctx),
        gale_ctx_task_index(ctx));
    if (s->transactional) {
        defaults[6] = "transactional.id";
        defaults[7] = txid;
    }
    if ((conf = gale_kafkaconf_new(ctx, defaults, &cause)) == NULL) {
        gale_ctx_report_error(ctx, "kafka_sink: %s", cause != NULL ? cause :
            "out of memory");
        free(cause);
        goto fail;
    }
    s->brokers = strdup(gale_ctx_param_str(ctx, "brokers",
        gale_ctx_param_str(ctx, "bootstrap_servers", "")));
    rd_kafka_conf_set_opaque(conf, s);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_log_cb(conf, on_log);
    if ((s->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr)) == NULL) {
        rd_kafka_conf_destroy(conf);
        gale_ctx_report_error(ctx, "kafka_sink: cannot create a producer: %s", errstr);
        goto fail;
    }
    rd_kafka_set_log_queue(s->rk, NULL);
    if (s->transactional && (e = txn_call(s, do_init)) != NULL) {
        gale_ctx_report_error(ctx, "kafka_sink %s: init_transactions (id %s): "
            "%s", s->brokers, txid, rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        rc = -EIO;
        goto fail;
    }
    *self = s;
    return 0;
nomem:
    rc = -ENOMEM;
fail:
    ksink_cleanup(ctx, s);
    return rc;
}

/* The key (or *null_key) and value of t as text in s->text: the value at
 * offset 0 (length *vlen), the key after it. */
static int
format(ksink_t *s, const gale_tuple_t *t, size_t *vlen, size_t *klen,
    bool *null_key)
{
    gale_datum_t d;
    int rc;

    s->text.len = 0;
    if (s->has_value) {
        if (gale_tuple_field(t, &s->value, &d) != 0) {
            gale_ctx_report_error(s->ctx, "kafka_sink: tuple has no field %s",
                s->value.name);
            return -EINVAL;
        }
        rc = d.type == GALE_STRING || d.type == GALE_BYTES ?
            gale_linebuf_add(&s->text, d.u.s.ptr, d.u.s.len) :
            gale_linefmt_datum(&s->text, &d);
    } else
        rc = gale_linefmt_tuple(&s->text, t, "\t");
    if (rc != 0)
        return rc;
    *vlen = s->text.len;
    *null_key = !s->has_key;
    *klen = 0;
    if (s->has_key) {
        if (gale_tuple_field(t, &s->key, &d) != 0) {
            gale_ctx_report_error(s->ctx, "kafka_sink: tuple has no field %s",
                s->key.name);
            return -EINVAL;
        }
        rc = d.type == GALE_STRING || d.type == GALE_BYTES ?
            gale_linebuf_add(&s->text, d.u.s.ptr, d.u.s.len) :
            gale_linefmt_datum(&s->text, &d);
        if (rc != 0)
            return rc;
        *klen = s->text.len - *vlen;
    }
    return 0;
}

/* Sends one record, waiting (served, in WAIT_MS steps) while librdkafka's
 * queue is full. 0 or -errno (reported). */
static int
send_to(ksink_t *s, const char *topic, int32_t part, const void *k,
    size_t klen, bool null_key, const void *v, size_t vlen)
{
    rd_kafka_resp_err_t err;

    for (;;) {
        err = rd_kafka_producev(s->rk, RD_KAFKA_V_TOPIC(topic),
            RD_KAFKA_V_PARTITION(part),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY(null_key ? NULL : k, null_key ? 0 : klen),
            RD_KAFKA_V_VALUE((void *)v, vlen), RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            break;
        if (gale_ctx_cancelled(s->ctx))
            return -ECANCELED;
        rd_kafka_poll(s->rk, WAIT_MS);
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        gale_ctx_report_error(s->ctx, "kafka_sink %s: cannot send to %s: %s",
            s->brokers, topic, rd_kafka_err2str(err));
        return -EIO;
    }
    return 0;
}

/* Sends one record of the sink's topic, partitioned by its key. */
static int
send_record(ksink_t *s, const void *k, size_t klen, bool null_key,
    const void *v, size_t vlen)
{
    return send_to(s, s->topic, RD_KAFKA_PARTITION_UA, k, klen, null_key,
        v, vlen);
}

static void
put_u32(unsigned char *b, uint32_t v)
{
    b[0] = (unsigned char)v;
    b[1] = (unsigned char)(v >> 8);
    b[2] = (unsigned char)(v >> 16);
    b[3] = (unsigned char)(v >> 24);
}

static uint32_t
get_u32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
        (uint32_t)b[3] << 24;
}

/* exactly_once: appends [u32 key length, 0xffffffff = null][key][u32 value
 * length][value] to the batch of this checkpoint. Otherwise sends. */
static int
ksink_execute(gale_ctx_t *ctx, void *self, const gale_tuple_t *t)
{
    ksink_t *s = self;
    unsigned char hdr[4];
    size_t vlen, klen;
    bool null_key;
    int rc;

    if (s->failed != 0)
        return s->failed;
    if (gale_tuple_is_tick(t))
        return 0;
    if ((rc = format(s, t, &vlen, &klen, &null_key)) != 0)
        return rc;
    if (!s->transactional) {
        rc = send_record(s, s->text.ptr + vlen, klen, null_key, s->text.ptr, vlen);
        rd_kafka_poll(s->rk, 0);
        return rc;
    }
    if (s->buf.len + vlen + klen + 8 > s->max_bytes) {
        gale_ctx_report_error(ctx, "kafka_sink: more than max_buffer_mb = "
            "%zu MiB of records between two checkpoints: take checkpoints "
            "more often, or raise max_buffer_mb", s->max_bytes >> 20);
        return -ENOBUFS;
    }
    put_u32(hdr, null_key ? 0xffffffffu : (uint32_t)klen);
    if ((rc = gale_linebuf_add(&s->buf, hdr, 4)) != 0 ||
        (rc = gale_linebuf_add(&s->buf, s->text.ptr + vlen, klen)) != 0)
        return rc;
    put_u32(hdr, (uint32_t)vlen);
    if ((rc = gale_linebuf_add(&s->buf, hdr, 4)) != 0 ||
        (rc = gale_linebuf_add(&s->buf, s->text.ptr, vlen)) != 0)
        return rc;
    return 0;
}

/* Waits until every record sent is acknowledged. 0, or -errno (reported)
 * when one failed or the brokers did not answer within timeout_ms. */
static int
flush_all(ksink_t *s)
{
    uint64_t start = gale_now_ns();

    while (rd_kafka_outq_len(s->rk) > 0) {
        rd_kafka_flush(s->rk, WAIT_MS);
        if (s->failed != 0)
            return s->failed;
        if (gale_ctx_cancelled(s->ctx))
            return -ECANCELED;
        if ((int64_t)((gale_now_ns() - start) / 1000000) >= s->timeout_ms) {
            gale_ctx_report_error(s->ctx, "kafka_sink %s: %d record(s) not "
                "acknowledged after %" PRId64 " ms: %s", s->brokers,
                rd_kafka_outq_len(s->rk), s->timeout_ms,
                s->last_error != NULL ? s->last_error : "no answer");
            return -ETIMEDOUT;
        }
    }
    return s->failed;
}

/* exactly_once: stages the batch as "staged:<task index>:<id>" (nothing
 * staged for an empty one). at_least_once: waits for every ack. */
static int
ksink_snapshot(gale_ctx_t *ctx, void *self, uint64_t checkpoint_id)
{
    ksink_t *s = self;
    char key[64];
    int n, rc;

    if (s->failed != 0)
        return s->failed;
    if (!s->transactional)
        return s->acked ? flush_all(s) : 0;
    if (s->buf.len == 0)
        return 0;
    n = snprintf(key, sizeof key, "staged:%d:%" PRIu64,
        gale_ctx_task_index(ctx), checkpoint_id);
    if ((rc = gale_kv_put(s->staged, key, (size_t)n, s->buf.ptr, s->buf.len)) != 0)
        return rc;
    s->buf.len = 0;
    return 0;
}

/* A staged batch found in operator state. */
typedef struct entry {
    int index;                  /* the task that staged it */
    uint64_t id;                /* its checkpoint */
    char *key;                  /* owned: its operator-state key */
    size_t klen;
} entry_t;

typedef struct entries {
    entry_t *e;                 /* owned */
    size_t n, cap;
    uint64_t upto;              /* only ids <= this */
} entries_t;

static int
collect(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
    entries_t *es = arg;
    char buf[64], *end;
    unsigned long idx;
    unsigned long long id;

    if (klen < 8 || klen >= sizeof buf || memcmp(key, "staged:", 7) != 0)
        return 0;
    memcpy(buf, key, klen);
    buf[klen] = '\0';
    idx = strtoul(buf + 7, &end, 10);
    if (*end != ':')
        return -EINVAL;
    id = strtoull(end + 1, &end, 10);
    if (*end != '\0')
        return -EINVAL;
    if (id > es->upto)
        return 0;
    if (es->n == es->cap) {
        size_t cap = es->cap ? es->cap * 2 : 8;
        entry_t *ne = realloc(es->e, cap * sizeof *ne);

        if (ne == NULL)
            return -ENOMEM;
        es->e = ne;
        es->cap = cap;
    }
    if ((es->e[es->n].key = malloc(klen)) == NULL)
        return -ENOMEM;
    memcpy(es->e[es->n].key, key, klen);
    es->e[es->n].klen = klen;
    es->e[es->n].index = (int)idx;
    es->e[es->n].id = id;
    es->n++;
    return 0;
}

static int
by_id(const void *a, const void *b)
{
    const entry_t *x = a, *y = b;

    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return x->index - y->index;
}

static void
free_entries(entries_t *es)
{
    size_t i;

    for (i = 0; i < es->n; i++)
        free(es->e[i].key);
    free(es->e);
    es->e = NULL;
    es->n = es->cap = 0;
}

/* The marker group of the batches staged by task index. */
static void
marker_group(const ksink_t *s, int index, char *buf, size_t len)
{
    snprintf(buf, len, "%s-%s-%d.published", s->prefix,
        gale_ctx_component(s->ctx), index);
}

/* A consumer with settings kv (name, value, ..., NULL) on the sink's
 * brokers, to read markers; NULL after reporting why not. */
static rd_kafka_t *
marker_reader(ksink_t *s, const char **kv)
{
    char errstr[512], *cause = NULL;
    rd_kafka_conf_t *conf;
    rd_kafka_t *c;

    if ((conf = gale_kafkaconf_new(s->ctx, kv, &cause)) == NULL) {
        gale_ctx_report_error(s->ctx, "kafka_sink: %s", cause ? cause : "out of memory");
        free(cause);
        return NULL;
    }
    if ((c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr)) == NULL) {
        rd_kafka_conf_destroy(conf);
        gale_ctx_report_error(s->ctx, "kafka_sink: %s", errstr);
    }
    return c;
}

/* Records read back from the marker partition's end at first; each
 * try that finds no marker of the key reads four times as many. */
#define MARKER_WINDOW 1024

/* The newest marker record of key name in partition 0 of the marker
 * topic, read_committed: its checkpoint id, 0 if there is none, -errno
 * (reported) when the brokers cannot tell within timeout_ms. */
static int64_t
marker_record_upto(ksink_t *s, const char *name)
{
    char group[640];
    const char *kv[] = { "group.id", group, "enable.auto.commit", "false",
        "isolation.level", "read_committed", "enable.partition.eof", "true",
        NULL };
    rd_kafka_topic_partition_list_t *l;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__TIMED_OUT;
    rd_kafka_message_t *m;
    rd_kafka_t *c;
    uint64_t t0 = gale_now_ns();
    int64_t lo = 0, hi = -1, from, found = -1, window = MARKER_WINDOW, v;
    size_t nlen = strlen(name);
    char num[32], *end;
    bool eof;

#define LEFT_MS() (s->timeout_ms - (int64_t)((gale_now_ns() - t0) / 1000000))
    snprintf(group, sizeof group, "%s.reader", name);
    if ((c = marker_reader(s, kv)) == NULL)
        return -EIO;
    while (LEFT_MS() > 0 && !gale_ctx_cancelled(s->ctx) &&
        (err = rd_kafka_query_watermark_offsets(c, s->marker_topic, 0, &lo,
        &hi, (int)WAIT_MS * 10)) != RD_KAFKA_RESP_ERR_NO_ERROR)
        ;
    while (err == RD_KAFKA_RESP_ERR_NO_ERROR && found < 0) {
        from = hi - window > lo ? hi - window : lo;
        if (from >= hi) {
            found = 0;              /* an empty partition: no marker */
            break;
        }
        l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, s->marker_topic, 0)->offset = from;
        err = rd_kafka_assign(c, l);
        rd_kafka_topic_partition_list_destroy(l);
        eof = false;
        while (err == RD_KAFKA_RESP_ERR_NO_ERROR && !eof) {
            if (LEFT_MS() <= 0 || gale_ctx_cancelled(s->ctx)) {
                err = RD_KAFKA_RESP_ERR__TIMED_OUT;
                break;
            }
            if ((m = rd_kafka_consumer_poll(c, (int)WAIT_MS)) == NULL)
                continue;
            if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                eof = true;
            } else if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                gale_ctx_log(s->ctx, GALE_LOG_WARN, "kafka_sink %s: reading "
                    "markers of %s: %s", s->brokers, s->marker_topic,
                    rd_kafka_message_errstr(m));
            } else if (m->key_len == nlen && memcmp(m->key, name, nlen) == 0 &&
                m->len > 0 && m->len < sizeof num) {
                memcpy(num, m->payload, m->len);
                num[m->len] = '\0';
                v = strtoll(num, &end, 10);
                if (*end == '\0' && v >= 0 && v > found)
                    found = v;
            }
            rd_kafka_message_destroy(m);
        }
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
            break;
        if (found < 0 && from == lo)
            found = 0;              /* read all: none of this key */
        window *= 4;
    }
#undef LEFT_MS
    if (found < 0)
        gale_ctx_report_error(s->ctx, "kafka_sink %s: cannot read what was "
            "published (marker topic %s, key %s): %s", s->brokers,
            s->marker_topic, name, rd_kafka_err2str(err));
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    return found < 0 ? -EIO : found;
}

/* The last checkpoint id published for task index's batches: 0 if none,
 * -errno (reported) when the brokers cannot tell within timeout_ms. */
static int64_t
published_upto(ksink_t *s, int index)
{
    const char *kv[] = { "group.id", NULL, "enable.auto.commit", "false", NULL };
    rd_kafka_topic_partition_list_t *l;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__TIMED_OUT;
    rd_kafka_t *c;
    char group[600];
    uint64_t start = gale_now_ns();
    int64_t off = -EIO;

    marker_group(s, index, group, sizeof group);
    if (s->marker_topic != NULL) {
        /* The record's key is the group's name without ".published". */
        group[strlen(group) - strlen(".published")] = '\0';
        return marker_record_upto(s, group);
    }
    kv[1] = group;
    if ((c = marker_reader(s, kv)) == NULL)
        return -EIO;
    l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, s->topic, 0);
    while ((int64_t)((gale_now_ns() - start) / 1000000) < s->timeout_ms &&
        !gale_ctx_cancelled(s->ctx)) {
        l->elems[0].offset = RD_KAFKA_OFFSET_INVALID;
        err = rd_kafka_committed(c, l, (int)WAIT_MS * 10);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
            err = l->elems[0].err;
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            off = l->elems[0].offset < 0 ? 0 : l->elems[0].offset;
            break;
        }
    }
    if (off < 0)
        gale_ctx_report_error(s->ctx, "kafka_sink %s: cannot read what was "
            "published (group %s): %s", s->brokers, group, rd_kafka_err2str(err));
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    return off;
}

/* Sends one staged batch. 0 or -errno (reported). */
static int
send_batch(ksink_t *s, const unsigned char *p, size_t len)
{
    size_t at = 0;
    uint32_t kl, vl;
    int rc;

    while (at < len) {
        const unsigned char *k;

        if (len - at < 4)
            return -EINVAL;
        kl = get_u32(p + at);
        at += 4;
        k = p + at;
        if (kl != 0xffffffffu)
            at += kl;
        if (at > len || len - at < 4)
            return -EINVAL;
        vl = get_u32(p + at);
        at += 4;
        if (vl > len - at)
            return -EINVAL;
        if ((rc = send_record(s, k, kl == 0xffffffffu ? 0 : kl,
            kl == 0xffffffffu, p + at, vl)) != 0)
            return rc;
        at += vl;
        rd_kafka_poll(s->rk, 0);
    }
    return 0;
}

/* Publishes, in one transaction, every staged batch with an id <= upto
 * (and, for each staging task, above skip_upto[index] when check is set),
 * with the markers; then deletes the entries. 0 or -errno (reported; the
 * entries stay, and the next completion retries). */
static int
publish(ksink_t *s, uint64_t upto, bool check)
{
    entries_t es = { .upto = upto };
    rd_kafka_topic_partition_list_t *offs = NULL;
    rd_kafka_consumer_group_metadata_t *gm;
    rd_kafka_error_t *e = NULL;
    char group[600];
    int64_t done;
    size_t i, j, sent = 0;
    int rc;

    if ((rc = gale_kv_iterate(s->staged, collect, &es)) != 0) {
        gale_ctx_report_error(s->ctx, "kafka_sink: malformed staged entry "
            "in operator state");
        free_entries(&es);
        return rc < 0 ? rc : -EINVAL;
    }
    if (es.n == 0)
        return 0;
    qsort(es.e, es.n, sizeof *es.e, by_id);
    if (check) {
        /* After a crash: what the markers show as published is dropped. */
        for (i = 0; i < es.n; i++) {
            if (i > 0 && es.e[i].index == es.e[i - 1].index)
                continue;
            if ((done = published_upto(s, es.e[i].index)) < 0) {
                rc = (int)done;
                goto out;
            }
            for (j = 0; j < es.n; j++)
                if (es.e[j].index == es.e[i].index && es.e[j].id <= (uint64_t)done &&
                    es.e[j].klen != 0) {
                    gale_ctx_log(s->ctx, GALE_LOG_INFO, "kafka_sink: batch of "
                        "checkpoint %" PRIu64 " was published before the "
                        "restart", es.e[j].id);
                    gale_kv_delete(s->staged, es.e[j].key, es.e[j].klen);
                    es.e[j].klen = 0;
                }
        }
    }
    for (i = 0; i < es.n; i++)
        if (es.e[i].klen != 0)
            break;
    if (i == es.n)
        goto out;
    if ((e = rd_kafka_begin_transaction(s->rk)) != NULL)
        goto txn_error;
    for (i = 0; i < es.n; i++) {
        const void *v;
        size_t vlen;

        if (es.e[i].klen == 0)
            continue;
        if (gale_kv_get(s->staged, es.e[i].key, es.e[i].klen, &v, &vlen) != 0)
            continue;
        if ((rc = send_batch(s, v, vlen)) != 0) {
            if (rc == -EINVAL)
                gale_ctx_report_error(s->ctx, "kafka_sink: staged batch of "
                    "checkpoint %" PRIu64 " is malformed", es.e[i].id);
            e = txn_call(s, do_abort);
            goto out;
        }
        sent++;
        gale_failpoint("kafka_publish");
    }
    /* The markers: per staging task, its newest id in this transaction. */
    for (i = 0; i < es.n; i++) {
        if (es.e[i].klen == 0)
            continue;
        for (j = i + 1; j < es.n; j++)
            if (es.e[j].klen != 0 && es.e[j].index == es.e[i].index)
                break;
        if (j < es.n)
            continue;
        marker_group(s, es.e[i].index, group, sizeof group);
        if (s->marker_topic != NULL) {
            char num[32];
            int nn = snprintf(num, sizeof num, "%" PRIu64, es.e[i].id);

            group[strlen(group) - strlen(".published")] = '\0';
            if ((rc = send_to(s, s->marker_topic, 0, group, strlen(group),
                false, num, (size_t)nn)) != 0) {
                e = txn_call(s, do_abort);
                goto out;
            }
            continue;
        }
        offs = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(offs, s->topic, 0)->offset =
            (int64_t)es.e[i].id;
        gm = rd_kafka_consumer_group_metadata_new(group);
        e = rd_kafka_send_offsets_to_transaction(s->rk, offs, gm,
            (int)s->timeout_ms);
        rd_kafka_consumer_group_metadata_destroy(gm);
        rd_kafka_topic_partition_list_destroy(offs);
        if (e != NULL)
            goto txn_error;
    }
    gale_failpoint("kafka_commit");
    if ((e = txn_call(s, do_commit)) != NULL)
        goto txn_error;
    gale_failpoint("kafka_committed");
    for (i = 0; i < es.n; i++)
        if (es.e[i].klen != 0)
            gale_kv_delete(s->staged, es.e[i].key, es.e[i].klen);
    gale_ctx_count(s->ctx, "kafka.transactions", 1);
    goto out;
txn_error:
    rc = -EIO;
    gale_ctx_log(s->ctx, GALE_LOG_WARN, "kafka_sink %s: transaction of %zu "
        "batch(es) up to checkpoint %" PRIu64 " failed: %s%s", s->brokers,
        sent, upto, rd_kafka_error_string(e),
        rd_kafka_error_txn_requires_abort(e) ? " (aborted; retried at the "
        "next completion)" : "");
    if (rd_kafka_error_is_fatal(e)) {
        gale_ctx_report_error(s->ctx, "kafka_sink %s: fatal transaction "
            "error: %s", s->brokers, rd_kafka_error_string(e));
        s->failed = -EIO;
    } else if (rd_kafka_error_txn_requires_abort(e)) {
        rd_kafka_error_destroy(e);
        e = txn_call(s, do_abort);
    }
out:
    if (e != NULL)
        rd_kafka_error_destroy(e);
    free_entries(&es);
    return rc;
}

static void
ksink_checkpoint_complete(gale_ctx_t *ctx, void *self, uint64_t checkpoint_id)
{
    ksink_t *s = self;

    if (s->transactional)
        publish(s, checkpoint_id, false);
}

/* Publishes what the restored checkpoint staged and the markers do not
 * show as published. Fails the restore when that cannot be known. */
static int
ksink_restore(gale_ctx_t *ctx, void *self)
{
    ksink_t *s = self;

    if (!s->transactional)
        return 0;
    return publish(s, UINT64_MAX, true);
}

static int
ksink_finish(gale_ctx_t *ctx, void *self)
{
    ksink_t *s = self;

    if (!s->transactional)
        return flush_all(s);
    return s->failed;
}

static const gale_param_spec_t ksink_params[] = {
    { "brokers", GALE_STRING, false, "bootstrap servers, host:port,... (required)" },
    { "bootstrap_servers", GALE_STRING, false, "Storm's name for brokers" },
    { "topic", GALE_STRING, true, "the topic to write" },
    { "key_field", GALE_STRING, false, "the field that keys each record; default none" },
    { "value_field", GALE_STRING, false, "the field that is the value; default the whole tuple, tab-separated" },
    { "transactional_id", GALE_STRING, false, "prefix of the transactional ids; default the topology name" },
    { "marker_topic", GALE_STRING, false, "exactly_once: keep the published markers as records of this topic (partition 0) instead of group offsets" },
    { "timeout_ms", GALE_INT, false, "longest wait on the brokers for one step; default 60000" },
    { "max_buffer_mb", GALE_INT, false, "exactly_once: records between two checkpoints at most; default 256" },
    { "properties", GALE_NULL, false, "librdkafka settings, [\"name=value\", ...]" },
    { NULL, GALE_NULL, false, NULL }
};

static const gale_bolt_ops_t ksink_ops = {
    .prepare = ksink_prepare,
    .execute = ksink_execute,
    .finish = ksink_finish,
    .snapshot = ksink_snapshot,
    .restore = ksink_restore,
    .checkpoint_complete = ksink_checkpoint_complete,
    .cleanup = ksink_cleanup,
};

const gale_component_def_t gale_builtin_kafka_sink = {
    .type = "kafka_sink",
    .kind = GALE_BOLT,
    .summary = "records to a Kafka topic; transactional per checkpoint with exactly_once",
    .params = ksink_params,
    .spout = NULL,
    .bolt = &ksink_ops,
};
