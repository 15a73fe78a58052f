/* kafka.c - the "kafka" spout: records of Kafka topics as tuples, through
 * librdkafka, exactly once.
 *
 * No consumer-group rebalancing: each task computes which partitions are
 * its own (partition p of topic T belongs to task (fnv1a(T) + p) mod
 * ntasks) and assigns them itself. The next offset of every partition it
 * owns is its operator state "position" (key "next:<topic>:<partition>",
 * 8 bytes little-endian), written at each checkpoint; restore seeks back
 * to it. Offsets are committed to Kafka (group `group_id`) only when a
 * checkpoint completes, for monitoring and for start = "committed": the
 * checkpoint, not Kafka, is the truth. Bounded (`bounded = true`): the end
 * offsets seen at the first start are recorded too ("end:..."), and the
 * task is done when it has read up to them. Every wait on the brokers is
 * at most POLL_MS long, so that the executor keeps answering; a broker
 * that stays unreachable fails the task after timeout_ms, with the
 * reason. Fields are chosen by name: key, value, topic, partition, offset,
 * timestamp, and with value_format = "json" any member of the record's
 * JSON object. */
/* _GNU_SOURCE (pthread_timedjoin_np) is defined for every file (Makefile.am). */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include <gale/gale.h>

#include "common/kafkaconf.h"
#include "common/le.h"
#include "spouts/builtins.h"
#include "spouts/pace.h"

#define BATCH 1024              /* records per next() at most */
#define POLL_MS 100             /* longest wait on a broker per call */

enum phase { DISCOVER, RESOLVE, RUN };
enum start { START_EARLIEST, START_LATEST, START_COMMITTED, START_TIMESTAMP };
enum fieldsrc { F_KEY, F_VALUE, F_TOPIC, F_PARTITION, F_OFFSET, F_TIMESTAMP,
    F_JSON };
enum fmt { FMT_STRING, FMT_BYTES, FMT_JSON };

/* One partition this task owns. */
typedef struct part {
    char *topic;                /* owned */
    int32_t id;                 /* partition number */
    int64_t next;               /* next offset to emit; -1 until resolved */
    int64_t end;                /* bounded: stop here; -1 = none */
    bool done;                  /* bounded and read up to end */
    bool assigned;              /* in the consumer's assignment */
} part_t;

/* A position to commit when its checkpoint completes. */
typedef struct pending {
    uint64_t id;                        /* checkpoint id */
    rd_kafka_topic_partition_list_t *offsets;   /* owned */
    struct pending *next;               /* older one */
} pending_t;

typedef struct kafka {
    rd_kafka_t *rk;             /* owned consumer */
    char *brokers;              /* owned copy, for messages */
    char **topics;              /* owned list; NULL with a pattern */
    size_t ntopics;             /* entries of topics */
    regex_t pattern;            /* topic_pattern, when has_pattern */
    bool has_pattern;           /* topics come from the pattern */
    enum start start;           /* where a partition without state starts */
    int64_t start_ts;           /* start = timestamp: ms since the epoch */
    bool bounded;               /* stop at the end offsets of the first start */
    enum fmt key_fmt, value_fmt;
    bool skip_bad;              /* on_error = "skip": bad JSON is counted, dropped */
    int64_t timeout_ms;         /* give up on unreachable brokers after this */
    int64_t discovery_ms;       /* new partitions: metadata every this; 0 = off */
    enum fieldsrc *src;         /* owned: per declared field, where it comes from */
    char **names;               /* owned: the declared field names */
    size_t nfields;             /* declared fields */
    part_t *parts;              /* owned: the partitions this task owns */
    size_t nparts, capparts;    /* in use, allocated */
    size_t last;                /* index of the last partition looked up */
    enum phase phase;           /* what next() does */
    uint64_t wait_since_ns;     /* start of the current broker wait; 0 = none */
    uint64_t next_discovery_ns; /* when to look for new partitions */
    char *last_error;           /* owned: the last broker error seen */
    bool fatal;                 /* librdkafka reported a fatal error */
    uint64_t gone_ns;           /* since when a topic is unknown to the
                                   brokers (deleted?); 0: it is not */
    uint64_t gone_said_ns;      /* when that was last logged */
    uint64_t gone_last_ns;      /* the last such error */
    pending_t *pending;         /* owned: positions awaiting completion */
    gale_pace_t pace;           /* `rate`: records per second per task */
    gale_kv_t *position;        /* operator state, engine-owned */
    gale_ctx_t *ctx;            /* for the callbacks, which run in poll */
} kafka_t;

static uint32_t
fnv1a(const char *s)
{
    uint32_t h = 2166136261u;

    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* Whether partition p of topic belongs to this task. */
static bool
owns(gale_ctx_t *ctx, const char *topic, int32_t p)
{
    uint32_t n = (uint32_t)gale_ctx_ntasks(ctx);

    return (fnv1a(topic) + (uint32_t)p) % n == (uint32_t)gale_ctx_task_index(ctx);
}

static void
set_error(kafka_t *k, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
set_error(kafka_t *k, const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    if (s != NULL) {
        free(k->last_error);
        k->last_error = s;
    }
}

/* librdkafka's error callback, served by consumer_poll on the task's
 * thread: a transient error (a broker down) is logged and retried by
 * librdkafka; a fatal one fails the task at the next next(). */
static void
on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    kafka_t *k = opaque;

    set_error(k, "%s", reason);
    if (rd_kafka_fatal_error(rk, NULL, 0) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        k->fatal = true;
        return;
    }
    if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
        err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
        err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION) {
        /* A topic the brokers no longer know (deleted, or a broker not
         * yet caught up): retried, said every 5 s, and after timeout_ms
         * without a record the task fails. */
        uint64_t now = gale_now_ns();

        /* Errors 10 s apart are separate episodes, not one outage. */
        if (k->gone_ns == 0 || now - k->gone_last_ns > 10000000000u)
            k->gone_ns = now;
        k->gone_last_ns = now;
        if ((int64_t)((now - k->gone_ns) / 1000000) >= k->timeout_ms) {
            set_error(k, "%s, for %lld ms (was the topic deleted?)", reason,
                (long long)k->timeout_ms);
            k->fatal = true;
            return;
        }
        if (k->gone_said_ns != 0 && now - k->gone_said_ns < 5000000000u)
            return;
        k->gone_said_ns = now;
        gale_ctx_log(k->ctx, GALE_LOG_WARN, "kafka %s: %s (retrying; the "
            "task fails if it lasts timeout_ms = %lld)", k->brokers, reason,
            (long long)k->timeout_ms);
        return;
    }
    gale_ctx_log(k->ctx, GALE_LOG_WARN, "kafka %s: %s (retrying)", k->brokers,
        reason);
}

/* librdkafka's log lines, forwarded to the task's log on its own thread
 * (log.queue), at debug level but for warnings and worse. */
static void
on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    kafka_t *k = rd_kafka_opaque(rk);

    if (k == NULL)
        return;
    gale_ctx_log(k->ctx, level <= 4 ? GALE_LOG_WARN : GALE_LOG_DEBUG,
        "librdkafka %s: %s", fac, buf);
}

/* Commit results (of checkpoint_complete's asynchronous commits). A
 * failure is only logged: the checkpoint holds the position. */
static void
on_commit(rd_kafka_t *rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
    kafka_t *k = opaque;

    if (err != RD_KAFKA_RESP_ERR_NO_ERROR &&
        err != RD_KAFKA_RESP_ERR__NO_OFFSET)
        gale_ctx_log(k->ctx, GALE_LOG_WARN, "kafka: offset commit failed: "
            "%s (the checkpoint still holds the position)",
            rd_kafka_err2str(err));
}

static void
free_pending(pending_t **pp)
{
    pending_t *p, *n;

    for (p = *pp; p != NULL; p = n) {
        n = p->next;
        rd_kafka_topic_partition_list_destroy(p->offsets);
        free(p);
    }
    *pp = NULL;
}

/* rd_kafka_destroy, on a thread of its own. */
static void *
destroy_main(void *arg)
{
    rd_kafka_destroy(arg);
    return NULL;
}

/* Destroys the client, waiting at most DESTROY_WAIT_S: librdkafka 2.0.2's
 * rd_kafka_destroy of a consumer can wait forever for its broker threads
 * once an assigned topic has become unknown (reproduced with the mock
 * cluster), and a failed task must not hold up its topology's recovery
 * or exit. Such a client is left to finish on its own thread (logged);
 * false then, and the spout's state stays allocated, since the client's
 * callbacks may still read it. */
#define DESTROY_WAIT_S 5

static bool
destroy_client(gale_ctx_t *ctx, rd_kafka_t *rk)
{
    struct timespec until;
    pthread_t th;

    if (pthread_create(&th, NULL, destroy_main, rk) != 0) {
        rd_kafka_destroy(rk);
        return true;
    }
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += DESTROY_WAIT_S;
    if (pthread_timedjoin_np(th, NULL, &until) == 0)
        return true;
    pthread_detach(th);
    gale_ctx_log(ctx, GALE_LOG_WARN, "kafka: the client did not shut down "
        "within %d s (librdkafka waits on a broker thread); left to finish "
        "in the background", DESTROY_WAIT_S);
    return false;
}

static void
kafka_close(gale_ctx_t *ctx, void *self)
{
    kafka_t *k = self;
    size_t i;

    if (k == NULL)
        return;
    if (k->rk != NULL) {
        rd_kafka_consumer_close(k->rk);
        if (!destroy_client(ctx, k->rk))
            return;                 /* k stays: the client may still use it */
    }
    for (i = 0; i < k->ntopics; i++)
        free(k->topics[i]);
    free(k->topics);
    if (k->has_pattern)
        regfree(&k->pattern);
    for (i = 0; i < k->nparts; i++)
        free(k->parts[i].topic);
    free(k->parts);
    for (i = 0; i < k->nfields; i++)
        free(k->names[i]);
    free(k->names);
    free(k->src);
    free(k->brokers);
    free(k->last_error);
    free_pending(&k->pending);
    free(k);
}

/* Reads the declared output fields (the default stream's) and where each
 * comes from. -EINVAL (reported) for a field that cannot be filled. */
static int
read_fields(gale_ctx_t *ctx, kafka_t *k)
{
    static const char *const fixed[] = { "key", "value", "topic", "partition",
        "offset", "timestamp" };
    gale_value_t *sc = gale_ctx_storm_context(ctx);
    const gale_value_t *of, *fl = NULL;
    size_t i, j;
    int rc = 0;

    if (sc != NULL && (of = gale_value_map_get(sc, "stream->outputfields")) != NULL &&
        of->type == GALE_MAP)
        fl = gale_value_map_get(of, "default");
    if (fl == NULL || fl->type != GALE_LIST || fl->u.list.len == 0) {
        gale_ctx_report_error(ctx, "kafka: declare the fields to emit "
            "(fields = [\"value\"], or any of key, value, topic, partition, "
            "offset, timestamp)");
        rc = -EINVAL;
        goto out;
    }
    k->nfields = fl->u.list.len;
    k->src = calloc(k->nfields, sizeof *k->src);
    k->names = calloc(k->nfields, sizeof *k->names);
    if (k->src == NULL || k->names == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    for (i = 0; i < k->nfields; i++) {
        const gale_value_t *f = fl->u.list.items[i];

        if (f->type != GALE_STRING || (k->names[i] = strdup(f->u.s.ptr)) == NULL) {
            rc = -ENOMEM;
            goto out;
        }
        k->src[i] = F_JSON;
        for (j = 0; j < sizeof fixed / sizeof fixed[0]; j++)
            if (strcmp(f->u.s.ptr, fixed[j]) == 0)
                k->src[i] = (enum fieldsrc)j;
        if (k->src[i] == F_JSON && k->value_fmt != FMT_JSON) {
            gale_ctx_report_error(ctx, "kafka: field \"%s\" is none of key, "
                "value, topic, partition, offset, timestamp (a member of a "
                "JSON value needs value_format = \"json\")", f->u.s.ptr);
            rc = -EINVAL;
            goto out;
        }
    }
out:
    gale_value_destroy(&sc);
    return rc;
}

/* Parses "string", "bytes" or (values only) "json". */
static int
read_fmt(gale_ctx_t *ctx, const char *name, bool json_ok, enum fmt *out)
{
    const char *s = gale_ctx_param_str(ctx, name, "string");

    if (strcmp(s, "string") == 0)
        *out = FMT_STRING;
    else if (strcmp(s, "bytes") == 0)
        *out = FMT_BYTES;
    else if (json_ok && strcmp(s, "json") == 0)
        *out = FMT_JSON;
    else {
        gale_ctx_report_error(ctx, "kafka: %s must be \"string\", \"bytes\"%s, "
            "not \"%s\"", name, json_ok ? " or \"json\"" : "", s);
        return -EINVAL;
    }
    return 0;
}

/* Reads start (or Storm's first_poll_offset_strategy). */
static int
read_start(gale_ctx_t *ctx, kafka_t *k)
{
    const char *storm = gale_ctx_param_str(ctx, "first_poll_offset_strategy", NULL);
    const char *s = gale_ctx_param_str(ctx, "start", NULL);

    if (s == NULL && storm != NULL) {
        if (strcmp(storm, "EARLIEST") == 0)
            s = "earliest";
        else if (strcmp(storm, "LATEST") == 0)
            s = "latest";
        else if (strcmp(storm, "UNCOMMITTED_EARLIEST") == 0)
            s = "committed";
        else if (strcmp(storm, "UNCOMMITTED_LATEST") == 0)
            s = "committed_latest";
        else {
            gale_ctx_report_error(ctx, "kafka: first_poll_offset_strategy "
                "\"%s\" is none of EARLIEST, LATEST, UNCOMMITTED_EARLIEST, "
                "UNCOMMITTED_LATEST", storm);
            return -EINVAL;
        }
    }
    if (s == NULL)
        s = "committed";
    k->start_ts = gale_ctx_param_int(ctx, "start_timestamp_ms", -1);
    if (strcmp(s, "earliest") == 0)
        k->start = START_EARLIEST;
    else if (strcmp(s, "latest") == 0)
        k->start = START_LATEST;
    else if (strcmp(s, "committed") == 0 || strcmp(s, "committed_latest") == 0)
        k->start = START_COMMITTED;
    else if (strcmp(s, "timestamp") == 0) {
        k->start = START_TIMESTAMP;
        if (k->start_ts < 0) {
            gale_ctx_report_error(ctx, "kafka: start = \"timestamp\" needs "
                "start_timestamp_ms (milliseconds since the epoch)");
            return -EINVAL;
        }
    } else {
        gale_ctx_report_error(ctx, "kafka: start must be \"earliest\", "
            "\"latest\", \"committed\" or \"timestamp\", not \"%s\"", s);
        return -EINVAL;
    }
    return 0;
}

/* Reads topics (a string or a list of strings) or topic_pattern. */
static int
read_topics(gale_ctx_t *ctx, kafka_t *k)
{
    const gale_value_t *t = gale_ctx_param(ctx, "topics");
    const char *pat = gale_ctx_param_str(ctx, "topic_pattern", NULL);
    char err[256];
    size_t i;
    int rc;

    if ((t == NULL) == (pat == NULL)) {
        gale_ctx_report_error(ctx, "kafka: give either topics (a name or a "
            "list of names) or topic_pattern (a POSIX extended regex)");
        return -EINVAL;
    }
    if (pat != NULL) {
        if ((rc = regcomp(&k->pattern, pat, REG_EXTENDED | REG_NOSUB)) != 0) {
            regerror(rc, &k->pattern, err, sizeof err);
            gale_ctx_report_error(ctx, "kafka: topic_pattern \"%s\": %s", pat, err);
            return -EINVAL;
        }
        k->has_pattern = true;
        return 0;
    }
    if (t->type == GALE_STRING) {
        k->topics = calloc(1, sizeof *k->topics);
        if (k->topics == NULL || (k->topics[0] = strdup(t->u.s.ptr)) == NULL)
            return -ENOMEM;
        k->ntopics = 1;
        return 0;
    }
    if (t->type != GALE_LIST || t->u.list.len == 0) {
        gale_ctx_report_error(ctx, "kafka: topics must be a name or a "
            "non-empty list of names");
        return -EINVAL;
    }
    if ((k->topics = calloc(t->u.list.len, sizeof *k->topics)) == NULL)
        return -ENOMEM;
    for (i = 0; i < t->u.list.len; i++) {
        if (t->u.list.items[i]->type != GALE_STRING) {
            gale_ctx_report_error(ctx, "kafka: topics entry %zu is a %s, not "
                "a topic name", i + 1, gale_type_name(t->u.list.items[i]->type));
            return -EINVAL;
        }
        if ((k->topics[i] = strdup(t->u.list.items[i]->u.s.ptr)) == NULL)
            return -ENOMEM;
        k->ntopics++;
    }
    return 0;
}

/* Creates the consumer from the parameters. Nothing is assigned yet:
 * restore may still give positions. -errno (reported) on a bad
 * parameter. */
static int
kafka_open(gale_ctx_t *ctx, void **self)
{
    const char *onerr = gale_ctx_param_str(ctx, "on_error", "fail");
    char gid[256], errstr[512], *cause = NULL;
    rd_kafka_conf_t *conf = NULL;
    kafka_t *k = calloc(1, sizeof *k);
    const char *defaults[] = {
        "group.id", gid,
        "enable.auto.commit", "false",
        "enable.auto.offset.store", "false",
        "enable.partition.eof", "true",
        "isolation.level", "read_committed",
        /* An offset that is gone (retention) fails the task instead of
         * silently skipping to another one. */
        "auto.offset.reset", "error",
        /* Bounded prefetch: a topology that stops calling next() makes
         * librdkafka stop fetching once this much is queued. */
        "queued.max.messages.kbytes", "16384",
        "log.queue", "true",
        NULL
    };
    int rc = -EINVAL;

    if (k == NULL)
        return -ENOMEM;
    k->ctx = ctx;
    k->position = gale_ctx_operator_state(ctx, "position");
    snprintf(gid, sizeof gid, "%s", gale_ctx_param_str(ctx, "group_id",
        gale_ctx_component(ctx)));
    k->bounded = gale_ctx_param_bool(ctx, "bounded", false);
    gale_pace_init(&k->pace, gale_ctx_param_int(ctx, "rate", 0));
    k->timeout_ms = gale_ctx_param_int(ctx, "timeout_ms", 30000);
    k->discovery_ms = gale_ctx_param_int(ctx, "discovery_interval_ms",
        gale_ctx_param_int(ctx, "partition_refresh_period_ms", 10000));
    if (strcmp(onerr, "fail") == 0)
        k->skip_bad = false;
    else if (strcmp(onerr, "skip") == 0)
        k->skip_bad = true;
    else {
        gale_ctx_report_error(ctx, "kafka: on_error must be \"fail\" or "
            "\"skip\", not \"%s\"", onerr);
        goto fail;
    }
    if ((rc = read_fmt(ctx, "key_format", false, &k->key_fmt)) != 0 ||
        (rc = read_fmt(ctx, "value_format", true, &k->value_fmt)) != 0 ||
        (rc = read_start(ctx, k)) != 0 || (rc = read_topics(ctx, k)) != 0 ||
        (rc = read_fields(ctx, k)) != 0)
        goto fail;
    rc = -EINVAL;
    if ((conf = gale_kafkaconf_new(ctx, defaults, &cause)) == NULL) {
        gale_ctx_report_error(ctx, "%s", cause != NULL ? cause : "kafka: out of memory");
        free(cause);
        goto fail;
    }
    k->brokers = strdup(gale_ctx_param_str(ctx, "brokers",
        gale_ctx_param_str(ctx, "bootstrap_servers", "")));
    rd_kafka_conf_set_opaque(conf, k);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_log_cb(conf, on_log);
    rd_kafka_conf_set_offset_commit_cb(conf, on_commit);
    if ((k->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr)) == NULL) {
        rd_kafka_conf_destroy(conf);
        gale_ctx_report_error(ctx, "kafka: cannot create a consumer: %s", errstr);
        goto fail;
    }
    rd_kafka_set_log_queue(k->rk, NULL);
    rd_kafka_poll_set_consumer(k->rk);
    k->phase = DISCOVER;
    *self = k;
    return 0;
fail:
    kafka_close(ctx, k);
    return rc;
}

/* The partition entry for topic/p, or NULL. */
static part_t *
find_part(kafka_t *k, const char *topic, int32_t p)
{
    size_t i;

    if (k->last < k->nparts && k->parts[k->last].id == p &&
        strcmp(k->parts[k->last].topic, topic) == 0)
        return &k->parts[k->last];
    for (i = 0; i < k->nparts; i++)
        if (k->parts[i].id == p && strcmp(k->parts[i].topic, topic) == 0) {
            k->last = i;
            return &k->parts[i];
        }
    return NULL;
}

/* Adds topic/p (unresolved unless restore gave it a position). */
static part_t *
add_part(kafka_t *k, const char *topic, int32_t p)
{
    part_t *np;

    if (k->nparts == k->capparts) {
        size_t cap = k->capparts ? k->capparts * 2 : 16;

        if ((np = realloc(k->parts, cap * sizeof *np)) == NULL)
            return NULL;
        k->parts = np;
        k->capparts = cap;
    }
    np = &k->parts[k->nparts];
    memset(np, 0, sizeof *np);
    if ((np->topic = strdup(topic)) == NULL)
        return NULL;
    np->id = p;
    np->next = -1;
    np->end = -1;
    k->nparts++;
    return np;
}

/* Whether topic is one the spout reads. */
static bool
wanted(kafka_t *k, const char *topic)
{
    size_t i;

    if (k->has_pattern)
        return topic[0] != '_' && regexec(&k->pattern, topic, 0, NULL, 0) == 0;
    for (i = 0; i < k->ntopics; i++)
        if (strcmp(k->topics[i], topic) == 0)
            return true;
    return false;
}

/* Starts (or goes on with) a broker wait: -ETIMEDOUT (reported, with the
 * last error) once timeout_ms have passed since the wait began. */
static int
waited(gale_ctx_t *ctx, kafka_t *k, const char *what)
{
    uint64_t now = gale_now_ns();

    if (k->wait_since_ns == 0) {
        k->wait_since_ns = now;
        return 0;
    }
    if ((int64_t)((now - k->wait_since_ns) / 1000000) < k->timeout_ms)
        return 0;
    gale_ctx_report_error(ctx, "kafka %s: %s for %" PRId64 " ms: %s",
        k->brokers, what, k->timeout_ms,
        k->last_error != NULL ? k->last_error : "no answer");
    return -ETIMEDOUT;
}

/* Reads the cluster's metadata and adds the partitions this task owns
 * that it does not know yet. 1 if it added some, 0 if not, -EAGAIN when
 * the brokers did not answer in time, -ENOENT (reported) for a listed
 * topic the cluster does not have once every retry is spent. */
static int
discover(gale_ctx_t *ctx, kafka_t *k, bool must_find)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err;
    int added = 0, i, j;
    size_t t;

    err = rd_kafka_metadata(k->rk, 1, NULL, &md, POLL_MS);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        set_error(k, "metadata: %s", rd_kafka_err2str(err));
        return -EAGAIN;
    }
    for (t = 0; must_find && t < k->ntopics; t++) {
        for (i = 0; i < md->topic_cnt; i++)
            if (strcmp(md->topics[i].topic, k->topics[t]) == 0 &&
                md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR)
                break;
        if (i == md->topic_cnt) {
            set_error(k, "topic \"%s\" does not exist", k->topics[t]);
            rd_kafka_metadata_destroy(md);
            return -ENOENT;
        }
    }
    for (i = 0; i < md->topic_cnt; i++) {
        const struct rd_kafka_metadata_topic *mt = &md->topics[i];

        if (mt->err != RD_KAFKA_RESP_ERR_NO_ERROR || !wanted(k, mt->topic))
            continue;
        for (j = 0; j < mt->partition_cnt; j++) {
            int32_t p = mt->partitions[j].id;

            if (!owns(ctx, mt->topic, p) || find_part(k, mt->topic, p) != NULL)
                continue;
            if (add_part(k, mt->topic, p) == NULL) {
                rd_kafka_metadata_destroy(md);
                return -ENOMEM;
            }
            added = 1;
        }
    }
    rd_kafka_metadata_destroy(md);
    return added;
}

/* Gives every partition without a position its start offset (and, when
 * bounded, its end). 0 when all are resolved, -EAGAIN to retry. */
static int
resolve(gale_ctx_t *ctx, kafka_t *k, bool first)
{
    rd_kafka_topic_partition_list_t *l = NULL;
    rd_kafka_resp_err_t err;
    int64_t lo, hi;
    size_t i;
    int rc = 0;

    for (i = 0; i < k->nparts; i++) {
        part_t *p = &k->parts[i];

        if (p->next >= 0 && (!k->bounded || p->end >= 0))
            continue;
        err = rd_kafka_query_watermark_offsets(k->rk, p->topic, p->id, &lo,
            &hi, POLL_MS);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            set_error(k, "offsets of %s/%d: %s", p->topic, p->id,
                rd_kafka_err2str(err));
            return -EAGAIN;
        }
        if (k->bounded && p->end < 0)
            p->end = first ? hi : lo;
        if (p->next >= 0)
            continue;
        /* A partition found after the start is new: all of it is read. */
        if (!first || k->start == START_EARLIEST)
            p->next = lo;
        else if (k->start == START_LATEST)
            p->next = hi;
        else {
            if (l == NULL)
                l = rd_kafka_topic_partition_list_new(4);
            rd_kafka_topic_partition_list_add(l, p->topic, p->id)->offset =
                k->start == START_TIMESTAMP ? k->start_ts : RD_KAFKA_OFFSET_INVALID;
        }
    }
    if (l == NULL)
        return 0;
    err = k->start == START_TIMESTAMP ?
        rd_kafka_offsets_for_times(k->rk, l, POLL_MS) :
        rd_kafka_committed(k->rk, l, POLL_MS);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        set_error(k, "%s: %s", k->start == START_TIMESTAMP ? "offsets for "
            "the start timestamp" : "committed offsets", rd_kafka_err2str(err));
        rc = -EAGAIN;
        goto out;
    }
    for (i = 0; i < (size_t)l->cnt; i++) {
        rd_kafka_topic_partition_t *e = &l->elems[i];
        part_t *p = find_part(k, e->topic, e->partition);

        if (e->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            set_error(k, "start offset of %s/%d: %s", e->topic, e->partition,
                rd_kafka_err2str(e->err));
            rc = -EAGAIN;
            continue;
        }
        if (e->offset >= 0) {
            p->next = e->offset;
            continue;
        }
        /* No committed offset, or no record at or after the timestamp. */
        err = rd_kafka_query_watermark_offsets(k->rk, p->topic, p->id, &lo,
            &hi, POLL_MS);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            rc = -EAGAIN;
            continue;
        }
        p->next = k->start == START_TIMESTAMP || strcmp(gale_ctx_param_str(ctx,
            "first_poll_offset_strategy", ""), "UNCOMMITTED_LATEST") == 0 ?
            hi : lo;
    }
out:
    rd_kafka_topic_partition_list_destroy(l);
    return rc;
}

/* Assigns every partition that is not done, at its next offset. */
static int
assign(gale_ctx_t *ctx, kafka_t *k)
{
    rd_kafka_topic_partition_list_t *l =
        rd_kafka_topic_partition_list_new((int)k->nparts);
    rd_kafka_resp_err_t err;
    size_t i;

    for (i = 0; i < k->nparts; i++) {
        part_t *p = &k->parts[i];

        if (k->bounded && p->next >= p->end)
            p->done = true;
        p->assigned = !p->done;
        if (!p->done)
            rd_kafka_topic_partition_list_add(l, p->topic, p->id)->offset = p->next;
    }
    err = rd_kafka_assign(k->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        gale_ctx_report_error(ctx, "kafka: assign: %s", rd_kafka_err2str(err));
        return -EIO;
    }
    gale_ctx_log(ctx, GALE_LOG_INFO, "kafka: task %d reads %zu partition(s)",
        gale_ctx_task_index(ctx), k->nparts);
    return 0;
}

static bool
all_done(const kafka_t *k)
{
    size_t i;

    for (i = 0; i < k->nparts; i++)
        if (!k->parts[i].done)
            return false;
    return true;
}

/* The datum of a JSON member (strings point into j; nested values are
 * JSON text in *tmp, which the caller frees). */
static gale_datum_t
json_datum(json_t *j, char **tmp)
{
    switch (j == NULL ? JSON_NULL : json_typeof(j)) {
    case JSON_STRING:
        return gale_d_str(json_string_value(j), json_string_length(j));
    case JSON_INTEGER:
        return gale_d_int(json_integer_value(j));
    case JSON_REAL:
        return gale_d_double(json_real_value(j));
    case JSON_TRUE:
        return gale_d_bool(true);
    case JSON_FALSE:
        return gale_d_bool(false);
    case JSON_OBJECT:
    case JSON_ARRAY:
        if ((*tmp = json_dumps(j, JSON_COMPACT)) != NULL)
            return gale_d_str(*tmp, strlen(*tmp));
        return gale_d_null();
    default:
        return gale_d_null();
    }
}

/* Emits one record. 0, 1 if it was skipped (bad JSON with on_error =
 * "skip"), or -errno (reported). */
static int
emit_record(gale_ctx_t *ctx, kafka_t *k, const rd_kafka_message_t *m)
{
    gale_datum_t vals[64], *v = vals;
    char *tmp[64] = { NULL }, **tp = tmp;
    json_t *doc = NULL;
    json_error_t jerr;
    size_t i;
    int rc;

    if (k->nfields > 64) {
        v = calloc(k->nfields, sizeof *v);
        tp = calloc(k->nfields, sizeof *tp);
        if (v == NULL || tp == NULL) {
            rc = -ENOMEM;
            goto out;
        }
    }
    if (k->value_fmt == FMT_JSON) {
        doc = m->payload != NULL ? json_loadb(m->payload, m->len, 0, &jerr) : NULL;
        if (doc == NULL || !json_is_object(doc)) {
            if (k->skip_bad) {
                gale_ctx_log(ctx, GALE_LOG_WARN, "kafka: %s/%" PRId32 " offset "
                    "%" PRId64 ": value is not a JSON object%s%s; skipped "
                    "(on_error = \"skip\")", rd_kafka_topic_name(m->rkt),
                    m->partition, m->offset, doc == NULL && m->payload ?
                    ": " : "", doc == NULL && m->payload ? jerr.text : "");
                gale_ctx_count(ctx, "kafka.skipped", 1);
                rc = 1;
                goto out;
            }
            gale_ctx_report_error(ctx, "kafka: %s/%" PRId32 " offset %" PRId64
                ": value is not a JSON object%s%s (on_error = \"skip\" drops "
                "such records)", rd_kafka_topic_name(m->rkt), m->partition,
                m->offset, doc == NULL && m->payload ? ": " : "",
                doc == NULL && m->payload ? jerr.text : "");
            rc = -EINVAL;
            goto out;
        }
    }
    for (i = 0; i < k->nfields; i++) {
        rd_kafka_timestamp_type_t tt;

        switch (k->src[i]) {
        case F_KEY:
            v[i] = m->key == NULL ? gale_d_null() : k->key_fmt == FMT_BYTES ?
                gale_d_bytes(m->key, m->key_len) : gale_d_str(m->key, m->key_len);
            break;
        case F_VALUE:
            v[i] = m->payload == NULL ? gale_d_null() : k->value_fmt == FMT_BYTES ?
                gale_d_bytes(m->payload, m->len) : gale_d_str(m->payload, m->len);
            break;
        case F_TOPIC: {
            const char *t = rd_kafka_topic_name(m->rkt);

            v[i] = gale_d_str(t, strlen(t));
            break;
        }
        case F_PARTITION:
            v[i] = gale_d_int(m->partition);
            break;
        case F_OFFSET:
            v[i] = gale_d_int(m->offset);
            break;
        case F_TIMESTAMP:
            v[i] = gale_d_int(rd_kafka_message_timestamp(m, &tt));
            break;
        case F_JSON:
            v[i] = json_datum(json_object_get(doc, k->names[i]), &tp[i]);
            break;
        }
    }
    rc = gale_emit(ctx, GALE_STREAM_DEFAULT, v, k->nfields);
out:
    for (i = 0; tp != NULL && i < k->nfields && i < 64; i++)
        free(tp[i]);
    if (tp != tmp && tp != NULL)
        for (i = 64; i < k->nfields; i++)
            free(tp[i]);
    if (v != vals)
        free(v);
    if (tp != tmp)
        free(tp);
    json_decref(doc);
    return rc;
}

/* Handles an error event of the consumer: end of a partition (bounded:
 * done at its end), a transient error (logged), or one that fails the
 * task (reported). */
static int
consumer_event(gale_ctx_t *ctx, kafka_t *k, const rd_kafka_message_t *m)
{
    part_t *p;

    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (m->rkt == NULL ||
            (p = find_part(k, rd_kafka_topic_name(m->rkt), m->partition)) == NULL)
            return 0;
        /* Past control records and aborted data, the position is the end. */
        if (m->offset > p->next)
            p->next = m->offset;
        if (k->bounded && p->next >= p->end)
            p->done = true;
        return 0;
    }
    if (m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
        m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
        m->err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION ||
        m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
        m->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE ||
        m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET) {
        gale_ctx_report_error(ctx, "kafka %s: %s/%" PRId32 ": %s", k->brokers,
            m->rkt != NULL ? rd_kafka_topic_name(m->rkt) : "?", m->partition,
            rd_kafka_message_errstr(m));
        return -EIO;
    }
    gale_ctx_log(ctx, GALE_LOG_WARN, "kafka %s: %s (retrying)", k->brokers,
        rd_kafka_message_errstr(m));
    return 0;
}

/* Consumes up to BATCH records of the assigned partitions. */
static int
consume(gale_ctx_t *ctx, kafka_t *k)
{
    size_t room = gale_pace_allow(&k->pace, BATCH);
    int emitted = 0, rc;
    rd_kafka_message_t *m;
    part_t *p;

    if (room == 0)
        return GALE_IDLE;
    while ((size_t)emitted < room &&
        (m = rd_kafka_consumer_poll(k->rk, 0)) != NULL) {
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            rc = consumer_event(ctx, k, m);
            rd_kafka_message_destroy(m);
            if (rc < 0)
                return rc;
            continue;
        }
        p = find_part(k, rd_kafka_topic_name(m->rkt), m->partition);
        /* Records of another assignment, before a seek, or past a bounded
         * end are not ours to emit. */
        if (p == NULL || p->done || m->offset < p->next ||
            (k->bounded && m->offset >= p->end)) {
            if (p != NULL && k->bounded && m->offset >= p->end)
                p->done = true;
            rd_kafka_message_destroy(m);
            continue;
        }
        rc = emit_record(ctx, k, m);
        if (rc >= 0)
            p->next = m->offset + 1;
        k->gone_ns = 0;
        rd_kafka_message_destroy(m);
        if (rc < 0)
            return rc;
        if (k->bounded && p->next >= p->end)
            p->done = true;
        emitted++;
    }
    gale_pace_spend(&k->pace, (size_t)emitted);
    if (k->fatal) {
        gale_ctx_report_error(ctx, "kafka %s: fatal: %s", k->brokers,
            k->last_error != NULL ? k->last_error : "unknown");
        return -EIO;
    }
    if (k->bounded && all_done(k))
        return emitted > 0 ? GALE_EMITTED : GALE_DONE;
    return emitted > 0 ? GALE_EMITTED : GALE_IDLE;
}

static int
kafka_next(gale_ctx_t *ctx, void *self)
{
    kafka_t *k = self;
    int rc;

    switch (k->phase) {
    case DISCOVER:
        rc = discover(ctx, k, !k->has_pattern);
        if (rc == -EAGAIN || rc == -ENOENT) {
            rd_kafka_poll(k->rk, 0);
            return waited(ctx, k, rc == -ENOENT ? "topic not found" :
                "no metadata") < 0 ? (rc == -ENOENT ? -ENOENT : -ETIMEDOUT) :
                GALE_IDLE;
        }
        if (rc < 0)
            return rc;
        k->wait_since_ns = 0;
        k->phase = RESOLVE;
        /* fall through */
    case RESOLVE:
        if ((rc = resolve(ctx, k, true)) == -EAGAIN)
            return waited(ctx, k, "no offsets") < 0 ? -ETIMEDOUT : GALE_IDLE;
        if (rc < 0)
            return rc;
        k->wait_since_ns = 0;
        if ((rc = assign(ctx, k)) < 0)
            return rc;
        k->phase = RUN;
        k->next_discovery_ns = gale_now_ns() +
            (uint64_t)k->discovery_ms * 1000000;
        /* fall through */
    case RUN:
        break;
    }
    if (!k->bounded && k->discovery_ms > 0 &&
        gale_now_ns() >= k->next_discovery_ns) {
        k->next_discovery_ns = gale_now_ns() + (uint64_t)k->discovery_ms * 1000000;
        if (discover(ctx, k, false) == 1) {
            if (resolve(ctx, k, false) == 0) {
                if ((rc = assign(ctx, k)) < 0)
                    return rc;
            } else {
                /* Retried at the next discovery; unresolved entries are
                 * dropped so that they are found again then. */
                size_t i, j = 0;

                for (i = 0; i < k->nparts; i++) {
                    if (k->parts[i].next < 0) {
                        free(k->parts[i].topic);
                        continue;
                    }
                    k->parts[j++] = k->parts[i];
                }
                k->nparts = j;
            }
        }
    }
    return consume(ctx, k);
}

/* Writes key "<what>:<topic>:<partition>" -> v. */
static int
put_pos(kafka_t *k, const char *what, const part_t *p, int64_t v)
{
    char key[512];
    unsigned char b[8];
    int n = snprintf(key, sizeof key, "%s:%s:%" PRId32, what, p->topic, p->id);

    if (n < 0 || (size_t)n >= sizeof key)
        return -ENAMETOOLONG;
    gale_put_le(b, (uint64_t)v, 8);
    return gale_kv_put(k->position, key, (size_t)n, b, sizeof b);
}

/* Records every resolved partition's next offset (and bounded end) in
 * operator state, and keeps them to commit when checkpoint_id completes. */
static int
kafka_snapshot(gale_ctx_t *ctx, void *self, uint64_t checkpoint_id)
{
    kafka_t *k = self;
    rd_kafka_topic_partition_list_t *l =
        rd_kafka_topic_partition_list_new((int)k->nparts);
    pending_t *pe;
    size_t i;
    int rc;

    for (i = 0; i < k->nparts; i++) {
        part_t *p = &k->parts[i];

        if (p->next < 0)
            continue;
        if ((rc = put_pos(k, "next", p, p->next)) < 0 ||
            (p->end >= 0 && (rc = put_pos(k, "end", p, p->end)) < 0)) {
            rd_kafka_topic_partition_list_destroy(l);
            return rc;
        }
        rd_kafka_topic_partition_list_add(l, p->topic, p->id)->offset = p->next;
    }
    if (l->cnt == 0 || (pe = calloc(1, sizeof *pe)) == NULL) {
        rd_kafka_topic_partition_list_destroy(l);
        return 0;
    }
    pe->id = checkpoint_id;
    pe->offsets = l;
    pe->next = k->pending;
    k->pending = pe;
    return 0;
}

/* Commits the newest position of a checkpoint <= checkpoint_id to the
 * consumer group (asynchronously; failures are logged). */
static void
kafka_checkpoint_complete(gale_ctx_t *ctx, void *self, uint64_t checkpoint_id)
{
    kafka_t *k = self;
    pending_t **pp = &k->pending, *pe;

    while ((pe = *pp) != NULL && pe->id > checkpoint_id)
        pp = &pe->next;
    if (pe == NULL)
        return;
    rd_kafka_commit(k->rk, pe->offsets, 1);
    free_pending(pp);
}

/* One operator-state entry into the partition table. */
static int
load_pos(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
    kafka_t *k = arg;
    char buf[512], *topic, *colon, *end;
    long p;
    part_t *e;

    if (klen >= sizeof buf || vlen != 8)
        return -EINVAL;
    memcpy(buf, key, klen);
    buf[klen] = '\0';
    if ((topic = strchr(buf, ':')) == NULL || (colon = strrchr(buf, ':')) == topic)
        return -EINVAL;
    *topic++ = '\0';
    *colon = '\0';
    p = strtol(colon + 1, &end, 10);
    if (*end != '\0' || p < 0 || p > INT32_MAX)
        return -EINVAL;
    if ((e = find_part(k, topic, (int32_t)p)) == NULL &&
        (e = add_part(k, topic, (int32_t)p)) == NULL)
        return -ENOMEM;
    if (strcmp(buf, "next") == 0)
        e->next = (int64_t)gale_get_le(val, 8);
    else if (strcmp(buf, "end") == 0)
        e->end = (int64_t)gale_get_le(val, 8);
    return 0;
}

/* Loads the recorded positions; next() assigns from them. -EINVAL for a
 * malformed entry (reported). */
static int
kafka_restore(gale_ctx_t *ctx, void *self)
{
    kafka_t *k = self;
    size_t i;
    int rc;

    for (i = 0; i < k->nparts; i++)
        free(k->parts[i].topic);
    k->nparts = 0;
    free_pending(&k->pending);
    if ((rc = gale_kv_iterate(k->position, load_pos, k)) != 0) {
        gale_ctx_report_error(ctx, "kafka: malformed position in the "
            "checkpoint's operator state");
        return rc < 0 ? rc : -EINVAL;
    }
    k->phase = DISCOVER;
    return 0;
}

static const gale_param_spec_t kafka_params[] = {
    { "brokers", GALE_STRING, false, "bootstrap servers, host:port,... (required)" },
    { "bootstrap_servers", GALE_STRING, false, "Storm's name for brokers" },
    { "topics", GALE_NULL, false, "a topic name or a list of names" },
    { "topic_pattern", GALE_STRING, false, "POSIX extended regex of topic names" },
    { "group_id", GALE_STRING, false, "consumer group offsets are committed to; default the component id" },
    { "start", GALE_STRING, false, "earliest, latest, committed (default) or timestamp" },
    { "start_timestamp_ms", GALE_INT, false, "start = timestamp: ms since the epoch" },
    { "first_poll_offset_strategy", GALE_STRING, false, "Storm's EARLIEST, LATEST, UNCOMMITTED_EARLIEST, UNCOMMITTED_LATEST" },
    { "key_format", GALE_STRING, false, "string (default) or bytes" },
    { "value_format", GALE_STRING, false, "string (default), bytes or json" },
    { "on_error", GALE_STRING, false, "bad JSON: fail (default) or skip" },
    { "bounded", GALE_BOOL, false, "stop at the end offsets of the first start" },
    { "timeout_ms", GALE_INT, false, "fail after unreachable brokers for this long; default 30000" },
    { "discovery_interval_ms", GALE_INT, false, "look for new partitions every this; 0 = never; default 10000" },
    { "partition_refresh_period_ms", GALE_INT, false, "Storm's name for discovery_interval_ms" },
    { "rate", GALE_INT, false, "records per second per task; 0 = unlimited (default)" },
    { "properties", GALE_NULL, false, "librdkafka settings, [\"name=value\", ...]" },
    { NULL, GALE_NULL, false, NULL }
};

static const gale_spout_ops_t kafka_ops = {
    .open = kafka_open,
    .next = kafka_next,
    .snapshot = kafka_snapshot,
    .restore = kafka_restore,
    .checkpoint_complete = kafka_checkpoint_complete,
    .close = kafka_close,
};

const gale_component_def_t gale_builtin_kafka = {
    .type = "kafka",
    .kind = GALE_SPOUT,
    .summary = "records of Kafka topics, partitions assigned per task, offsets checkpointed",
    .params = kafka_params,
    .spout = &kafka_ops,
};
