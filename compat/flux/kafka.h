/* kafka.h - storm-kafka-client's KafkaSpout in a Flux file -> gale's
 * `kafka` spout: the KafkaSpoutConfig its constructor refs, and the
 * KafkaSpoutConfig$Builder that one refs (constructor: bootstrap servers
 * and topics; `properties` and `configMethods`: the Builder's setters and
 * setProp). Consumer properties are checked against librdkafka's own
 * configuration at conversion time. docs/flux.md lists what converts.
 * Part of one conversion (conv.h); one thread. */
#ifndef GALE_FLUX_KAFKA_H
#define GALE_FLUX_KAFKA_H

#include <stdbool.h>

#include "compat/flux/conv.h"

/* True for the `components` classes a KafkaSpout is built from. */
bool gale_flux_kafka_bean_class(const char *cls);

/* Converts KafkaSpout o's constructorArgs ca (NULL: none) into its
 * parameters; problems are reported at their line. */
void gale_flux_kafka_spout(gale_flux_conv_t *c, gale_flux_comp_t *o,
    const gale_ynode_t *ca, const char *ctx);

#endif
