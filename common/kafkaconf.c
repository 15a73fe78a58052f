/* kafkaconf.c - librdkafka configuration from component parameters
 * (kafkaconf.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/kafkaconf.h"

int
gale_kafkaconf_set(rd_kafka_conf_t *conf, const char *name, const char *value,
    char **cause)
{
    char err[512];

    if (rd_kafka_conf_set(conf, name, value, err, sizeof err) !=
        RD_KAFKA_CONF_OK) {
        if (cause != NULL && asprintf(cause, "kafka property %s=%s: %s",
            name, value, err) < 0)
            *cause = NULL;
        return -EINVAL;
    }
    return 0;
}

/* Applies one "name=value" string of the properties list. */
static int
set_pair(rd_kafka_conf_t *conf, const char *pair, char **cause)
{
    const char *eq = strchr(pair, '=');
    char *name;
    int rc;

    if (eq == NULL || eq == pair) {
        if (cause != NULL && asprintf(cause, "kafka: properties entry "
            "\"%s\" is not name=value (a librdkafka setting, e.g. "
            "\"linger.ms=5\")", pair) < 0)
            *cause = NULL;
        return -EINVAL;
    }
    if ((name = strndup(pair, (size_t)(eq - pair))) == NULL)
        return -ENOMEM;
    rc = gale_kafkaconf_set(conf, name, eq + 1, cause);
    free(name);
    return rc;
}

rd_kafka_conf_t *
gale_kafkaconf_new(gale_ctx_t *ctx, const char *const *defaults, char **cause)
{
    const char *brokers = gale_ctx_param_str(ctx, "brokers",
        gale_ctx_param_str(ctx, "bootstrap_servers", NULL));
    const gale_value_t *props = gale_ctx_param(ctx, "properties");
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char id[256];
    size_t i;

    if (brokers == NULL || brokers[0] == '\0') {
        if (cause != NULL && asprintf(cause, "kafka: parameter brokers "
            "(\"host:port,...\") is required") < 0)
            *cause = NULL;
        goto fail;
    }
    snprintf(id, sizeof id, "gale-%s-%d", gale_ctx_component(ctx),
        gale_ctx_task_index(ctx));
    if (gale_kafkaconf_set(conf, "bootstrap.servers", brokers, cause) != 0 ||
        gale_kafkaconf_set(conf, "client.id", id, cause) != 0)
        goto fail;
    for (i = 0; defaults != NULL && defaults[i] != NULL; i += 2)
        if (gale_kafkaconf_set(conf, defaults[i], defaults[i + 1], cause) != 0)
            goto fail;
    if (props != NULL) {
        if (props->type == GALE_STRING) {
            if (set_pair(conf, props->u.s.ptr, cause) != 0)
                goto fail;
        } else if (props->type == GALE_LIST) {
            for (i = 0; i < props->u.list.len; i++) {
                const gale_value_t *p = props->u.list.items[i];

                if (p->type != GALE_STRING) {
                    if (cause != NULL && asprintf(cause, "kafka: properties "
                        "must be a list of \"name=value\" strings, entry %zu "
                        "is a %s", i + 1, gale_type_name(p->type)) < 0)
                        *cause = NULL;
                    goto fail;
                }
                if (set_pair(conf, p->u.s.ptr, cause) != 0)
                    goto fail;
            }
        } else {
            if (cause != NULL && asprintf(cause, "kafka: properties must be "
                "a list of \"name=value\" strings, not a %s",
                gale_type_name(props->type)) < 0)
                *cause = NULL;
            goto fail;
        }
    }
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

const char *
gale_kafkaconf_guarantee(gale_ctx_t *ctx)
{
    const gale_value_t *conf = gale_ctx_conf(ctx), *v = NULL;

    if (conf != NULL && conf->type == GALE_MAP)
        v = gale_value_map_get(conf, "gale.guarantee");
    if (v != NULL && v->type == GALE_STRING)
        return v->u.s.ptr;
    return "exactly_once";
}
