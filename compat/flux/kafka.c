/* kafka.c - storm-kafka-client's KafkaSpout -> the kafka spout (kafka.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "common/xalloc.h"
#include "compat/flux/conv.h"
#include "compat/flux/dslwriter.h"
#include "compat/flux/kafka.h"
#include "topology/suggest.h"

#define SPOUT_CONFIG "org.apache.storm.kafka.spout.KafkaSpoutConfig"
#define BUILDER SPOUT_CONFIG "$Builder"
#define STRING_DESER "org.apache.kafka.common.serialization.StringDeserializer"
#define BYTES_DESER \
    "org.apache.kafka.common.serialization.ByteArrayDeserializer"

/* What the Builder says, as the kafka spout's parameters. */
typedef struct kspout {
    char *brokers;
    gale_value_t *topics;           /* LIST of strings */
    char *group;                    /* NULL: the spout's default */
    char *strategy;                 /* first_poll_offset_strategy, or NULL */
    long long refresh_ms;           /* -1: not set */
    const char *key_fmt, *value_fmt;    /* NULL: string */
    gale_value_t *props;            /* LIST of "name=value" */
    rd_kafka_conf_t *check;         /* librdkafka's view of props */
} kspout_t;

bool
gale_flux_kafka_bean_class(const char *cls)
{
    return strcmp(cls, SPOUT_CONFIG) == 0 || strcmp(cls, BUILDER) == 0;
}

/* The bean a constructor argument refs, of class cls; NULL after
 * reporting. */
static const gale_ynode_t *
ref_of(gale_flux_conv_t *c, const gale_ynode_t *arg, const char *cls,
    const char *ctx)
{
    const gale_ynode_t *ref = arg != NULL ? gale_ynode_get(arg, "ref") : NULL,
        *d;

    if (ref == NULL || gale_flux_scalar(c, ref, ctx, "ref") == NULL) {
        if (ref == NULL)
            gale_flux_err(c, arg, "%sexpected a `ref` to a %s component",
                ctx, cls);
        return NULL;
    }
    if ((d = gale_flux_bean(c, ref, ctx)) == NULL)
        return NULL;
    if (strcmp(gale_flux_bean_class(d), cls) != 0) {
        gale_flux_err(c, ref, "%sref `%s` is of class %s; %s is needed",
            ctx, ref->text, gale_flux_bean_class(d), cls);
        return NULL;
    }
    return d;
}

/* setProp(key, value): a consumer property. */
static void
set_prop(gale_flux_conv_t *c, gale_flux_comp_t *o, kspout_t *k,
    const gale_ynode_t *kn, const gale_ynode_t *vn, const char *ctx)
{
    const char *key = gale_flux_scalar(c, kn, ctx, "the property"), *v;
    char err[256], *kv;

    if (key == NULL || (v = gale_flux_scalar(c, vn, ctx, key)) == NULL)
        return;
    if (strcmp(key, "group.id") == 0) {
        free(k->group);
        k->group = xstrdup(v);
    } else if (strcmp(key, "bootstrap.servers") == 0) {
        free(k->brokers);
        k->brokers = xstrdup(v);
    } else if (strcmp(key, "key.deserializer") == 0 ||
        strcmp(key, "value.deserializer") == 0) {
        const char **fmt = key[0] == 'k' ? &k->key_fmt : &k->value_fmt;

        if (strcmp(v, STRING_DESER) == 0)
            *fmt = NULL;
        else if (strcmp(v, BYTES_DESER) == 0)
            *fmt = "bytes";
        else
            gale_flux_err(c, vn, "%s%s `%s` is Java code: gale reads keys and "
                "values as strings (StringDeserializer) or bytes "
                "(ByteArrayDeserializer)", ctx, key, v);
    } else if (strcmp(key, "enable.auto.commit") == 0 ||
        strcmp(key, "auto.offset.reset") == 0) {
        gale_flux_warn(c, kn, "%sconsumer property `%s` is ignored: gale "
            "commits offsets when a checkpoint completes and starts by "
            "first_poll_offset_strategy", ctx, key);
        gale_flux_note(o, "setProp %s = %s: ignored (offsets are committed at "
            "checkpoints; the start is first_poll_offset_strategy)", key, v);
    } else if (rd_kafka_conf_set(k->check, key, v, err, sizeof err) !=
        RD_KAFKA_CONF_OK) {
        gale_flux_err(c, kn, "%sconsumer property `%s`: %s (gale's kafka "
            "spout takes librdkafka's properties)", ctx, key, err);
    } else {
        xasprintf(&kv, "%s=%s", key, v);
        gale_value_list_append(k->props, gale_value_string(kv, strlen(kv)));
        free(kv);
    }
}

/* One Builder setter, by its method name (a Flux property `x` calls
 * `setX`) and its argument list args (a SEQ) or single value one. */
static void
setter(gale_flux_conv_t *c, gale_flux_comp_t *o, kspout_t *k,
    const char *name, const gale_ynode_t *args, const gale_ynode_t *one,
    const gale_ynode_t *at, const char *ctx)
{
    static const char *const known[] = { "setProp",
        "setFirstPollOffsetStrategy", "setPartitionRefreshPeriodMs",
        "setProcessingGuarantee", "setPollTimeoutMs",
        "setOffsetCommitPeriodMs", "setMaxUncommittedOffsets",
        "setTupleTrackingEnforced", "setEmitNullTuples" };
    static const char *const strategies[] = { "EARLIEST", "LATEST",
        "UNCOMMITTED_EARLIEST", "UNCOMMITTED_LATEST" };
    const char *v, *hint;
    long long n;
    size_t nargs = args != NULL ? args->n : one != NULL ? 1 : 0, i;

    if (args != NULL && args->n > 0)
        one = args->items[0];
    if (strcmp(name, "setProp") == 0) {
        if (nargs != 2)
            gale_flux_err(c, at, "%ssetProp takes a property and a value",
                ctx);
        else
            set_prop(c, o, k, args->items[0], args->items[1], ctx);
        return;
    }
    for (i = 0; i < NELEM(known); i++)
        if (strcmp(name, known[i]) == 0)
            break;
    if (i == NELEM(known)) {
        hint = gale_suggest(name, known, NELEM(known));
        gale_flux_err(c, at, "%sKafkaSpoutConfig$Builder's `%s` has no gale "
            "equivalent (a record translator, retry service or filter is "
            "Java code; gale's kafka spout emits the fields you name: topic, "
            "partition, offset, key, value, timestamp)%s%s%s", ctx, name,
            hint != NULL ? " (did you mean `" : "", hint != NULL ? hint : "",
            hint != NULL ? "`?)" : "");
        return;
    }
    if (nargs != 1) {
        gale_flux_err(c, at, "%s%s takes one argument", ctx, name);
        return;
    }
    if (strcmp(name, "setFirstPollOffsetStrategy") == 0) {
        if ((v = gale_flux_scalar(c, one, ctx, name)) == NULL)
            return;
        for (i = 0; i < NELEM(strategies); i++)
            if (strcmp(v, strategies[i]) == 0)
                break;
        if (i == NELEM(strategies)) {
            gale_flux_err(c, one, "%sFirstPollOffsetStrategy `%s` is none of "
                "EARLIEST, LATEST, UNCOMMITTED_EARLIEST, UNCOMMITTED_LATEST",
                ctx, v);
            return;
        }
        free(k->strategy);
        k->strategy = xstrdup(v);
    } else if (strcmp(name, "setPartitionRefreshPeriodMs") == 0) {
        if (gale_flux_int(c, one, ctx, name, 0, &n) == 0)
            k->refresh_ms = n;
    } else if (strcmp(name, "setProcessingGuarantee") == 0) {
        if ((v = gale_flux_scalar(c, one, ctx, name)) != NULL)
            gale_flux_note(o, "setProcessingGuarantee(%s): gale's guarantee is "
                "the topology's `guarantee` (offsets are checkpointed)", v);
    } else if (strcmp(name, "setEmitNullTuples") == 0) {
        bool b;

        if (gale_flux_bool(c, one, ctx, name, &b) == 0 && b)
            gale_flux_err(c, one, "%ssetEmitNullTuples(true): gale's kafka "
                "spout emits every record; a null value is a null field",
                ctx);
    } else {
        /* Poll timeout, commit period, in-flight bound, tuple tracking:
         * the engine's own business (backpressure, checkpoints). */
        v = one->kind == GALE_Y_SCALAR ? one->text : "...";
        gale_flux_note(o, "%s(%s): no effect in gale (offsets are committed "
            "when a checkpoint completes; backpressure bounds what is in "
            "flight)", name, v);
    }
}

/* Reads the Builder bean d. */
static void
read_builder(gale_flux_conv_t *c, gale_flux_comp_t *o, kspout_t *k,
    const gale_ynode_t *d, const char *ctx)
{
    const gale_ynode_t *ca = gale_ynode_get(d, "constructorArgs"), *l, *m,
        *nm, *vn;
    const char *s;
    char set[128];
    size_t i;

    if (gale_ynode_key(d, "factory") != NULL)
        gale_flux_err(c, gale_ynode_key(d, "factory"), "%sthe Builder by a "
            "factory: give it constructorArgs [bootstrap servers, topics]",
            ctx);
    if (ca == NULL || ca->kind != GALE_Y_SEQ || ca->n < 2) {
        gale_flux_err(c, ca != NULL ? ca : d, "%sKafkaSpoutConfig$Builder "
            "takes constructorArgs [bootstrap servers, [topics]] or "
            "[bootstrap servers, topic, ...]", ctx);
        return;
    }
    if ((s = gale_flux_scalar(c, ca->items[0], ctx, "the bootstrap servers"))
        != NULL)
        k->brokers = xstrdup(s);
    if (ca->n == 2 && ca->items[1]->kind == GALE_Y_MAP) {
        gale_flux_err(c, ca->items[1], "%sa topic Pattern: give the topics as "
            "a list (the DSL's topic_pattern takes a POSIX regex)", ctx);
        return;
    }
    if (ca->n == 2 && ca->items[1]->kind == GALE_Y_SEQ)
        k->topics = gale_flux_strings(c, ca->items[1], ctx, "the topics");
    else {
        k->topics = gale_value_list();
        for (i = 1; i < ca->n; i++)
            if ((s = gale_flux_scalar(c, ca->items[i], ctx, "a topic")) != NULL)
                gale_value_list_append(k->topics, gale_value_string(s,
                    strlen(s)));
    }
    if ((l = gale_ynode_get(d, "properties")) != NULL && l->kind == GALE_Y_SEQ)
        for (i = 0; i < l->n; i++) {
            m = l->items[i];
            if ((nm = gale_ynode_get(m, "name")) == NULL ||
                (s = gale_flux_scalar(c, nm, ctx, "name")) == NULL ||
                (vn = gale_ynode_get(m, "value")) == NULL) {
                gale_flux_err(c, m, "%sa Builder property takes a `name` and "
                    "a `value`", ctx);
                continue;
            }
            snprintf(set, sizeof set, "set%c%s", s[0] >= 'a' && s[0] <= 'z' ?
                s[0] - 'a' + 'A' : s[0], s + 1);
            setter(c, o, k, set, NULL, vn, m, ctx);
        }
    if ((l = gale_ynode_get(d, "configMethods")) != NULL &&
        l->kind == GALE_Y_SEQ)
        for (i = 0; i < l->n; i++) {
            m = l->items[i];
            if ((nm = gale_ynode_get(m, "name")) == NULL ||
                (s = gale_flux_scalar(c, nm, ctx, "name")) == NULL) {
                gale_flux_err(c, m, "%sa configMethod needs a `name`", ctx);
                continue;
            }
            vn = gale_ynode_get(m, "args");
            if (vn != NULL && vn->kind != GALE_Y_SEQ) {
                gale_flux_err(c, vn, "%s`args` must be a list", ctx);
                continue;
            }
            setter(c, o, k, s, vn, NULL, m, ctx);
        }
}

/* Writes `name = "s";` to o's parameters. */
static void
str_param(gale_flux_comp_t *o, const char *name, const char *s)
{
    gale_dslw_printf(o->params, "%s%s = ", gale_dslw_len(o->params) ?
        "\n    " : "", name);
    gale_dslw_string(o->params, s);
    gale_dslw_printf(o->params, ";");
}

void
gale_flux_kafka_spout(gale_flux_conv_t *c, gale_flux_comp_t *o,
    const gale_ynode_t *ca, const char *ctx)
{
    const gale_ynode_t *cfg, *b, *bca;
    kspout_t k;
    char *cause = NULL;

    memset(&k, 0, sizeof k);
    k.refresh_ms = -1;
    k.props = gale_value_list();
    k.check = rd_kafka_conf_new();
    if (ca == NULL || ca->kind != GALE_Y_SEQ || ca->n != 1) {
        gale_flux_err(c, ca != NULL ? ca : o->node, "%sKafkaSpout takes "
            "constructorArgs [ref: a KafkaSpoutConfig]", ctx);
        goto out;
    }
    if ((cfg = ref_of(c, ca->items[0], SPOUT_CONFIG, ctx)) == NULL)
        goto out;
    bca = gale_ynode_get(cfg, "constructorArgs");
    if (bca == NULL || bca->kind != GALE_Y_SEQ || bca->n != 1) {
        gale_flux_err(c, bca != NULL ? bca : cfg, "%sKafkaSpoutConfig takes "
            "constructorArgs [ref: a KafkaSpoutConfig$Builder]", ctx);
        goto out;
    }
    if ((b = ref_of(c, bca->items[0], BUILDER, ctx)) == NULL)
        goto out;
    read_builder(c, o, &k, b, ctx);
    if (k.brokers == NULL || k.topics == NULL)
        goto out;
    if (k.topics->u.list.len == 0) {
        gale_flux_err(c, b, "%sthe Builder names no topic", ctx);
        goto out;
    }
    o->params = gale_dslw_new();
    str_param(o, "brokers", k.brokers);
    gale_dslw_printf(o->params, "\n    topics = ");
    gale_dslw_value(o->params, k.topics, &cause);
    gale_dslw_printf(o->params, ";");
    if (k.group != NULL)
        str_param(o, "group_id", k.group);
    if (k.strategy != NULL)
        str_param(o, "first_poll_offset_strategy", k.strategy);
    if (k.refresh_ms >= 0)
        gale_dslw_printf(o->params, "\n    discovery_interval_ms = %lld;",
            k.refresh_ms);
    if (k.key_fmt != NULL)
        str_param(o, "key_format", k.key_fmt);
    if (k.value_fmt != NULL)
        str_param(o, "value_format", k.value_fmt);
    if (k.props->u.list.len > 0) {
        gale_dslw_printf(o->params, "\n    properties = ");
        gale_dslw_value(o->params, k.props, &cause);
        gale_dslw_printf(o->params, ";");
    }
out:
    free(cause);
    free(k.brokers);
    free(k.group);
    free(k.strategy);
    gale_value_destroy(&k.topics);
    gale_value_destroy(&k.props);
    rd_kafka_conf_destroy(k.check);
}
