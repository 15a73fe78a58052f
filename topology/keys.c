/* keys.c - the configuration key table (keys.h). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "topology/keys.h"

#define I GALE_INT
#define D GALE_DOUBLE
#define B GALE_BOOL
#define S GALE_STRING
#define A GALE_NULL

/* Storm's component whitelist (STORM-SURFACE.md §5) has component=true. */
static const gale_key_t keys[] = {
    /* gale's own knobs */
    { "workers", "topology.workers", true, I, "1", false, true },
    { "max_parallelism", "gale.max.parallelism", false, I, "128", false, true },
    { "guarantee", "gale.guarantee", false, S, "\"exactly_once\"", false, true },
    { "batch_size", "gale.batch.size", false, I, "1024", false, true },
    { "batch_bytes", "gale.batch.bytes", false, I, "65536", false, true },
    { "flush_interval_ms", "topology.batch.flush.interval.millis", true, I, "5", false, true },
    { "queue_depth", "gale.queue.depth", false, I, "4", false, true },
    { "checkpoint.interval_ms", "topology.state.checkpoint.interval.ms", true, I, "1000", false, true },
    { "checkpoint.dir", "gale.checkpoint.dir", false, S, NULL, false, true },
    { "checkpoint.timeout_ms", "gale.checkpoint.timeout.ms", false, I, "60000", false, true },
    { "checkpoint.min_pause_ms", "gale.checkpoint.min.pause.ms", false, I, "0", false, true },
    { "checkpoint.retain", "gale.checkpoint.retain", false, I, "3", false, true },
    { "checkpoint.tolerable_failures", "gale.checkpoint.tolerable.failures", false, I, "0", false, true },
    { "restart_attempts", "gale.restart.attempts", false, I, "3", false, true },
    { "restart_delay_ms", "gale.restart.delay.ms", false, I, "1000", false, true },
    { "worker_timeout_ms", "gale.worker.timeout.ms", false, I, "4000", false, true },
    { "state_memory_mb", "gale.state.memory.mb", false, I, "0", false, true },
    /* Storm keys gale acts on */
    { "debug", "topology.debug", true, B, "false", true, true },
    { "max_spout_pending", "topology.max.spout.pending", true, I, NULL, true, true },
    { "message_timeout_secs", "topology.message.timeout.secs", true, I, "30", false, true },
    { "tick_secs", "topology.tick.tuple.freq.secs", true, I, NULL, true, true },
    /* Storm keys accepted and passed to components' conf */
    { "tasks", "topology.tasks", true, I, NULL, false, false },
    { "acker_executors", "topology.acker.executors", true, I, NULL, false, false },
    { "enable_message_timeouts", "topology.enable.message.timeouts", true, B, "true", false, false },
    { "max_task_parallelism", "topology.max.task.parallelism", true, I, NULL, true, false },
    { "transactional_id", "topology.transactional.id", true, S, NULL, true, false },
    { "eventlogger_executors", "topology.eventlogger.executors", true, I, "0", false, false },
    { "multilang_serializer", "topology.multilang.serializer", true, S, "\"org.apache.storm.multilang.JsonSerializer\"", false, false },
    { "multilang_log_handler", "topology.multilang.log.handler", true, S, NULL, false, false },
    { "shellbolt_max_pending", "topology.shellbolt.max.pending", true, I, "100", false, false },
    { "subprocess_timeout_secs", "topology.subprocess.timeout.secs", true, I, NULL, false, false },
    { "state_provider", "topology.state.provider", true, S, NULL, true, false },
    { "state_provider_config", "topology.state.provider.config", true, S, NULL, true, false },
    { "stats_sample_rate", "topology.stats.sample.rate", true, D, "0.05", false, false },
    { "builtin_metrics_bucket_size_secs", "topology.builtin.metrics.bucket.size.secs", true, I, "60", false, false },
    { "disable_loadaware_messaging", "topology.disable.loadaware.messaging", true, B, "false", false, false },
    { "localityaware_higher_bound", "topology.localityaware.higher.bound", true, D, "0.8", false, false },
    { "localityaware_lower_bound", "topology.localityaware.lower.bound", true, D, "0.2", false, false },
    { "executor_receive_buffer_size", "topology.executor.receive.buffer.size", true, I, "32768", false, false },
    { "producer_batch_size", "topology.producer.batch.size", true, I, "1", false, false },
    { "transfer_batch_size", "topology.transfer.batch.size", true, I, "1", false, false },
    { "spout_wait_strategy", "topology.spout.wait.strategy", true, S, NULL, true, false },
    { "sleep_spout_wait_strategy_time_ms", "topology.sleep.spout.wait.strategy.time.ms", true, I, NULL, true, false },
    { "bolt_wait_strategy", "topology.bolt.wait.strategy", true, S, NULL, false, false },
    { "backpressure_wait_strategy", "topology.backpressure.wait.strategy", true, S, NULL, false, false },
    { "backpressure_enable", "topology.backpressure.enable", true, B, NULL, false, false },
    { "environment", "topology.environment", true, A, NULL, false, false },
    { "worker_childopts", "topology.worker.childopts", true, S, NULL, false, false },
    { "kryo_register", "topology.kryo.register", true, A, NULL, false, false },
    { "fall_back_on_java_serialization", "topology.fall.back.on.java.serialization", true, B, NULL, false, false },
    { "bolts_window_length_count", "topology.bolts.window.length.count", true, I, NULL, true, false },
    { "bolts_window_length_duration_ms", "topology.bolts.window.length.duration.ms", true, I, NULL, true, false },
    { "bolts_window_sliding_interval_count", "topology.bolts.window.sliding.interval.count", true, I, NULL, true, false },
    { "bolts_window_sliding_interval_duration_ms", "topology.bolts.window.sliding.interval.duration.ms", true, I, NULL, true, false },
    { "bolts_tuple_timestamp_max_lag_ms", "topology.bolts.tuple.timestamp.max.lag.ms", true, I, NULL, true, false },
    { "bolts_message_id_field_name", "topology.bolts.message.id.field.name", true, S, NULL, true, false },
    { "bolts_late_tuple_stream", "topology.bolts.late.tuple.stream", true, S, NULL, true, false },
    { "bolts_watermark_event_interval_ms", "topology.bolts.watermark.event.interval.ms", true, I, NULL, false, false },
    { "metrics_consumer_register", "topology.metrics.consumer.register", true, A, NULL, false, false },
    { "metrics_reporters", "topology.metrics.reporters", true, A, NULL, false, false },
};

#undef I
#undef D
#undef B
#undef S
#undef A

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

size_t
gale_keys_count(void)
{
    return NKEYS;
}

const gale_key_t *
gale_keys_at(size_t i)
{
    return i < NKEYS ? &keys[i] : NULL;
}

const gale_key_t *
gale_keys_find(const char *name)
{
    size_t i;

    for (i = 0; i < NKEYS; i++)
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

const gale_key_t *
gale_keys_find_conf(const char *conf)
{
    size_t i;

    for (i = 0; i < NKEYS; i++)
        if (strcmp(keys[i].conf, conf) == 0)
            return &keys[i];
    return NULL;
}

gale_value_t *
gale_keys_parse_value(const char *text)
{
    gale_value_t *v;
    const char *p;
    char *end, *s;
    long long ll;
    double d;
    size_t n, len = strlen(text);

    if (strcmp(text, "true") == 0)
        return gale_value_bool(true);
    if (strcmp(text, "false") == 0)
        return gale_value_bool(false);
    if (len >= 2 && text[0] == '"' && text[len - 1] == '"') {
        s = xmalloc(len);
        n = 0;
        for (p = text + 1; p < text + len - 1; p++) {
            if (*p == '\\' && p + 1 < text + len - 1)
                p++;
            s[n++] = *p;
        }
        v = gale_value_string(s, n);
        free(s);
        return v;
    }
    if (len > 0) {
        errno = 0;
        ll = strtoll(text, &end, 10);
        if (*end == '\0' && errno == 0)
            return gale_value_int(ll);
        errno = 0;
        d = strtod(text, &end);
        if (*end == '\0' && errno == 0 && strspn(text, "+-.0123456789eE") == len)
            return gale_value_double(d);
    }
    return gale_value_string(text, len);
}

gale_value_t *
gale_keys_default(const gale_key_t *k)
{
    return k->def == NULL ? NULL : gale_keys_parse_value(k->def);
}

/* A lower bound on an integer key, or LLONG_MIN. */
static long long
key_min(const gale_key_t *k)
{
    if (strcmp(k->name, "workers") == 0 ||
        strcmp(k->name, "max_parallelism") == 0 ||
        strcmp(k->name, "batch_size") == 0 ||
        strcmp(k->name, "batch_bytes") == 0 ||
        strcmp(k->name, "queue_depth") == 0 ||
        strcmp(k->name, "checkpoint.interval_ms") == 0 ||
        strcmp(k->name, "checkpoint.timeout_ms") == 0 ||
        strcmp(k->name, "checkpoint.retain") == 0 ||
        strcmp(k->name, "message_timeout_secs") == 0)
        return 1;
    if (k->honoured)
        return 0;
    return LLONG_MIN;
}

/* What to call a value of type t in a message. */
static const char *
type_phrase(gale_type_t t)
{
    switch (t) {
    case GALE_INT:      return "an integer";
    case GALE_DOUBLE:   return "a number";
    case GALE_BOOL:     return "a boolean";
    case GALE_STRING:   return "a string";
    case GALE_LIST:     return "a list";
    case GALE_MAP:      return "a group";
    default:            return gale_type_name(t);
    }
}

int
gale_keys_check(const gale_key_t *k, gale_value_t **vp, char **cause)
{
    gale_value_t *v = *vp;
    long long min, max = LLONG_MAX;
    const char *s;

    if (k->type == GALE_NULL)
        return 0;
    if (k->type == GALE_DOUBLE && v->type == GALE_INT) {
        *vp = gale_value_double((double)v->u.i);
        gale_value_free(&v);
        return 0;
    }
    if (v->type != k->type) {
        xasprintf(cause, "must be %s, not %s", type_phrase(k->type),
            type_phrase(v->type));
        return -EINVAL;
    }
    if (k->type == GALE_INT) {
        min = key_min(k);
        if (strcmp(k->name, "max_parallelism") == 0)
            max = 32768;
        else if (k->honoured)
            max = INT_MAX;
        if (v->u.i < min || v->u.i > max) {
            if (max != INT_MAX && max != LLONG_MAX)
                xasprintf(cause, "must be between %lld and %lld, not %lld",
                    min, max, (long long)v->u.i);
            else if (v->u.i < min)
                xasprintf(cause, "must be at least %lld, not %lld", min,
                    (long long)v->u.i);
            else
                xasprintf(cause, "must be at most %lld, not %lld", max,
                    (long long)v->u.i);
            return -EINVAL;
        }
    }
    if (strcmp(k->name, "guarantee") == 0) {
        s = v->u.s.ptr;
        if (strcmp(s, "none") != 0 && strcmp(s, "at_least_once") != 0 &&
            strcmp(s, "exactly_once") != 0) {
            xasprintf(cause, "must be \"none\", \"at_least_once\" or "
                "\"exactly_once\", not \"%s\"", s);
            return -EINVAL;
        }
    }
    return 0;
}

int
gale_keys_ignored(const gale_topology_t *t, const char ***names, size_t *n)
{
    const gale_value_t *v;
    gale_value_t *def;
    size_t i;

    *names = xcalloc(NKEYS, sizeof(**names));
    *n = 0;
    for (i = 0; i < NKEYS; i++) {
        if (keys[i].honoured)
            continue;
        if ((v = gale_value_map_get(t->conf, keys[i].conf)) == NULL)
            continue;
        def = gale_keys_default(&keys[i]);
        if (!gale_value_equal(v, def))
            (*names)[(*n)++] = keys[i].conf;
        gale_value_free(&def);
    }
    return 0;
}
