/* kafkaconf.h - librdkafka configuration from a component's parameters,
 * shared by the kafka spout and the kafka_sink bolt: `brokers`, the
 * `properties` list ("name=value" librdkafka settings, applied last so
 * that they override gale's defaults) and the Storm-style aliases that map.
 * Owned by the task that builds it; nothing here starts a thread. */
#ifndef GALE_KAFKACONF_H
#define GALE_KAFKACONF_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>

#include <gale/gale.h>

/* A new configuration with bootstrap.servers from `brokers` (or Storm's
 * `bootstrap_servers`), client.id "gale-<component>-<task index>", the
 * name=value pairs of defaults (a NULL-terminated array of pairs, may be
 * NULL), then every "name=value" of the `properties` list. NULL with
 * *cause (caller frees) when brokers are missing or librdkafka refuses a
 * setting, naming it. Caller owns the result (rd_kafka_conf_destroy, or
 * rd_kafka_new takes it). */
rd_kafka_conf_t *gale_kafkaconf_new(gale_ctx_t *ctx, const char *const *defaults,
    char **cause);

/* Sets one librdkafka property. 0, or -EINVAL with *cause (caller frees)
 * naming the property and librdkafka's reason. */
int gale_kafkaconf_set(rd_kafka_conf_t *conf, const char *name,
    const char *value, char **cause);

/* The topology's guarantee (gale.guarantee in the task's conf):
 * "exactly_once" (the default when absent), "at_least_once" or "none".
 * Borrowed. */
const char *gale_kafkaconf_guarantee(gale_ctx_t *ctx);

#endif
