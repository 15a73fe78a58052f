/* keys.c - the configuration key table (keys.h). */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
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
    { "batch_size", "gale.batch.size", false, I, "8192", false, true },
    { "batch_bytes", "gale.batch.bytes", false, I, "65536", false, true },
    { "flush_interval_ms", "topology.batch.flush.interval.millis", true, I, "5", false, true },
    { "queue_depth", "gale.queue.depth", false, I, "4", false, true },
    { "combine_entries", "gale.combine.entries", false, I, "8192", false, true },
    { "combine_interval_ms", "gale.combine.interval.ms", false, I, NULL, false, true },
    { "chaining", "gale.chaining", false, B, "true", true, true },
    { "checkpoint.interval_ms", "topology.state.checkpoint.interval.ms", true, I, "1000", false, true },
    { "checkpoint.dir", "gale.checkpoint.dir", false, S, NULL, false, true },
    { "checkpoint.timeout_ms", "gale.checkpoint.timeout.ms", false, I, "60000", false, true },
    { "checkpoint.min_pause_ms", "gale.checkpoint.min.pause.ms", false, I, "0", false, true },
    { "checkpoint.retain", "gale.checkpoint.retain", false, I, "3", false, true },
    { "checkpoint.tolerable_failures", "gale.checkpoint.tolerable.failures", false, I, "0", false, true },
    { "restart_attempts", "gale.restart.attempts", false, I, "3", false, true },
    { "restart_delay_ms", "gale.restart.delay.ms", false, I, "1000", false, true },
    { "worker_timeout_ms", "gale.worker.timeout.ms", false, I, "4000", false, true },
    { "transport", "gale.transport", false, S, "\"ipc\"", false, true },
    { "tcp_base_port", "gale.tcp.base.port", false, I, "7100", false, true },
    { "state_memory_mb", "gale.state.memory.mb", false, I, "0", false, true },
    { "http", "gale.http.address", false, S, "\"127.0.0.1:0\"", false, true },
    { "http_token", "gale.http.token", false, S, NULL, false, true },
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
    { "bolts_tuple_timestamp_field_name", "topology.bolts.tuple.timestamp.field.name", true, S, NULL, true, false },
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

/* Skips JSON blanks. */
static const char *
json_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

/* Appends code point cp to s (n bytes used) as UTF-8; s has room. */
static size_t
put_utf8(char *s, size_t n, unsigned long cp)
{
    if (cp < 0x80)
        s[n++] = (char)cp;
    else if (cp < 0x800) {
        s[n++] = (char)(0xc0 | (cp >> 6));
        s[n++] = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        s[n++] = (char)(0xe0 | (cp >> 12));
        s[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
        s[n++] = (char)(0x80 | (cp & 0x3f));
    } else {
        s[n++] = (char)(0xf0 | (cp >> 18));
        s[n++] = (char)(0x80 | ((cp >> 12) & 0x3f));
        s[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
        s[n++] = (char)(0x80 | (cp & 0x3f));
    }
    return n;
}

/* Parses a JSON string at *pp (at its opening quote); NULL if malformed. */
static gale_value_t *
json_string(const char **pp)
{
    const char *p = *pp + 1;
    gale_value_t *v;
    unsigned long cp;
    char *s, *end, hex[5];
    size_t n = 0;

    s = xmalloc(strlen(p) * 2 + 4);
    for (; *p != '"'; p++) {
        if (*p == '\0' || (unsigned char)*p < 0x20)
            goto bad;
        if (*p != '\\') {
            s[n++] = *p;
            continue;
        }
        switch (*++p) {
        case '"': case '\\': case '/': s[n++] = *p; break;
        case 'b': s[n++] = '\b'; break;
        case 'f': s[n++] = '\f'; break;
        case 'n': s[n++] = '\n'; break;
        case 'r': s[n++] = '\r'; break;
        case 't': s[n++] = '\t'; break;
        case 'u':
            if (strspn(p + 1, "0123456789abcdefABCDEF") < 4)
                goto bad;
            memcpy(hex, p + 1, 4);
            hex[4] = '\0';
            cp = strtoul(hex, &end, 16);
            n = put_utf8(s, n, cp);
            p += 4;
            break;
        default:
            goto bad;
        }
    }
    v = gale_value_string(s, n);
    free(s);
    *pp = p + 1;
    return v;
bad:
    free(s);
    return NULL;
}

/* Parses one JSON value at *pp (advanced past it), or returns NULL when
 * the text is not JSON. depth bounds nesting. */
static gale_value_t *
json_value(const char **pp, int depth)
{
    const char *p = json_ws(*pp), *q;
    gale_value_t *v, *item, *key;
    char *end;
    size_t n;

    if (depth > 64)
        return NULL;
    if (*p == '"') {
        if ((v = json_string(&p)) != NULL)
            *pp = p;
        return v;
    }
    if (*p == '[' || *p == '{') {
        bool obj = *p == '{';

        v = obj ? gale_value_map() : gale_value_list();
        p = json_ws(p + 1);
        if (*p == (obj ? '}' : ']')) {
            *pp = p + 1;
            return v;
        }
        for (;;) {
            key = NULL;
            if (obj) {
                p = json_ws(p);
                if (*p != '"' || (key = json_string(&p)) == NULL)
                    goto bad;
                p = json_ws(p);
                if (*p++ != ':')
                    goto bad;
            }
            if ((item = json_value(&p, depth + 1)) == NULL)
                goto bad;
            if (obj) {
                gale_value_map_set(v, key->u.s.ptr, item);
                gale_value_destroy(&key);
            } else
                gale_value_list_append(v, item);
            p = json_ws(p);
            if (*p == ',') {
                p++;
                continue;
            }
            if (*p++ != (obj ? '}' : ']'))
                goto bad;
            *pp = p;
            return v;
        bad:
            gale_value_destroy(&key);
            gale_value_destroy(&v);
            return NULL;
        }
    }
    if (strncmp(p, "true", 4) == 0 || strncmp(p, "null", 4) == 0) {
        *pp = p + 4;
        return *p == 't' ? gale_value_bool(true) : gale_value_null();
    }
    if (strncmp(p, "false", 5) == 0) {
        *pp = p + 5;
        return gale_value_bool(false);
    }
    /* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
    q = p;
    if (*q == '-')
        q++;
    if (*q == '0')
        q++;
    else if (*q >= '1' && *q <= '9')
        q += strspn(q, "0123456789");
    else
        return NULL;
    n = (size_t)(q - p);
    if (*q == '.' || *q == 'e' || *q == 'E') {
        if (*q == '.') {
            if (strspn(q + 1, "0123456789") == 0)
                return NULL;
            q += 1 + strspn(q + 1, "0123456789");
        }
        if (*q == 'e' || *q == 'E') {
            q++;
            if (*q == '+' || *q == '-')
                q++;
            if (strspn(q, "0123456789") == 0)
                return NULL;
            q += strspn(q, "0123456789");
        }
        errno = 0;
        v = gale_value_double(strtod(p, &end));
        *pp = q;
        return v;
    }
    errno = 0;
    v = gale_value_int(strtoll(p, &end, 10));
    if (errno != 0 || (size_t)(end - p) != n) {
        /* beyond a long: json-simple makes it a BigInteger; a double here */
        gale_value_destroy(&v);
        v = gale_value_double(strtod(p, &end));
    }
    *pp = q;
    return v;
}

gale_value_t *
gale_keys_parse_value(const char *text)
{
    const char *p = text;
    gale_value_t *v;

    /* As Storm's Utils.readCommandLineOpts: JSON, else the plain text. */
    if ((v = json_value(&p, 0)) != NULL) {
        if (*json_ws(p) == '\0')
            return v;
        gale_value_destroy(&v);
    }
    return gale_value_string(text, strlen(text));
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
        strcmp(k->name, "combine_entries") == 0 ||
        strcmp(k->name, "checkpoint.interval_ms") == 0 ||
        strcmp(k->name, "checkpoint.timeout_ms") == 0 ||
        strcmp(k->name, "checkpoint.retain") == 0 ||
        strcmp(k->name, "message_timeout_secs") == 0)
        return 1;
    if (k->honoured)
        return 0;
    return LLONG_MIN;
}


/* Whether a is "off" or HOST:PORT, HOST a name or an address ("[...]"
 * for IPv6) and PORT 0 to 65535: gale.http.address (engine/web/httpd.c
 * resolves it when the run starts). */
static bool
http_address_ok(const char *a)
{
    const char *colon, *p;
    char *end;
    long port;

    if (strcmp(a, "off") == 0)
        return true;
    if (*a == '[')
        colon = (p = strchr(a, ']')) != NULL && p[1] == ':' ? p + 1 : NULL;
    else
        colon = strrchr(a, ':');
    if (colon == NULL || colon == a || colon[1] == '\0')
        return false;
    for (p = a; p < colon; p++)
        if ((unsigned char)*p <= ' ')
            return false;
    port = strtol(colon + 1, &end, 10);
    return *end == '\0' && port >= 0 && port <= 65535;
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
    if (v->type == GALE_NULL && k->def == NULL)
        return 0;                   /* Storm's null: the key is unset */
    if (k->type == GALE_DOUBLE && v->type == GALE_INT) {
        *vp = gale_value_double((double)v->u.i);
        gale_value_destroy(&v);
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
    if (strcmp(k->name, "transport") == 0 &&
        strcmp(v->u.s.ptr, "ipc") != 0 && strcmp(v->u.s.ptr, "tcp") != 0) {
        xasprintf(cause, "must be \"ipc\" or \"tcp\", not \"%s\"",
            v->u.s.ptr);
        return -EINVAL;
    }
    if (strcmp(k->name, "http") == 0 && !http_address_ok(v->u.s.ptr)) {
        xasprintf(cause, "must be \"HOST:PORT\" (\"127.0.0.1:9464\", "
            "\"[::1]:0\"; port 0 picks a free one) or \"off\", not \"%s\"",
            v->u.s.ptr);
        return -EINVAL;
    }
    if (strcmp(k->name, "tcp_base_port") == 0 &&
        (v->u.i < 1024 || v->u.i > 60000)) {
        xasprintf(cause, "must be between 1024 and 60000, not %lld",
            (long long)v->u.i);
        return -EINVAL;
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

/* Appends conf name to names (n entries) unless it is there already. */
static void
add_name(const char ***names, size_t *n, size_t *cap, const char *name)
{
    size_t i;

    for (i = 0; i < *n; i++)
        if (strcmp((*names)[i], name) == 0)
            return;
    if (*n == *cap) {
        *cap = *cap == 0 ? 16 : *cap * 2;
        *names = xreallocarray(*names, *cap, sizeof(**names));
    }
    (*names)[(*n)++] = name;
}

/* Adds the topology.* keys of conf map m that the table does not know. */
static void
add_unknown(const gale_value_t *m, const char ***names, size_t *n,
    size_t *cap)
{
    size_t i;

    if (m == NULL || m->type != GALE_MAP)
        return;
    for (i = 0; i < m->u.map.len; i++)
        if (strncmp(m->u.map.keys[i], "topology.", 9) == 0 &&
            strcmp(m->u.map.keys[i], "topology.name") != 0 &&
            gale_keys_find_conf(m->u.map.keys[i]) == NULL)
            add_name(names, n, cap, m->u.map.keys[i]);
}

int
gale_keys_ignored(const gale_topology_t *t, const char ***names, size_t *n)
{
    const gale_value_t *v;
    gale_value_t *def;
    size_t i, cap = NKEYS;

    *names = xcalloc(cap, sizeof(**names));
    *n = 0;
    for (i = 0; i < NKEYS; i++) {
        if (keys[i].honoured)
            continue;
        if ((v = gale_value_map_get(t->conf, keys[i].conf)) == NULL)
            continue;
        /* 0 ackers is acted on: no guarantee (conf.c) */
        if (strcmp(keys[i].conf, "topology.acker.executors") == 0 &&
            v->type == GALE_INT && v->u.i == 0)
            continue;
        def = gale_keys_default(&keys[i]);
        if (v->type != GALE_NULL && !gale_value_equal(v, def))
            add_name(names, n, &cap, keys[i].conf);
        gale_value_destroy(&def);
    }
    add_unknown(t->conf, names, n, &cap);
    for (i = 0; i < t->ncomps; i++)
        add_unknown(t->comps[i].conf, names, n, &cap);
    return 0;
}
