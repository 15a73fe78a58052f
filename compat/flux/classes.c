/* classes.c - Java classes with a gale equivalent (classes.h). docs/flux.md
 * explains each choice. */
#include <string.h>

#include "compat/flux/classes.h"

static const gale_flux_class_t classes[] = {
    { "org.apache.storm.flux.wrappers.spouts.FluxShellSpout", GALE_SPOUT,
      "shell", "", NULL, GALE_FLUX_ARGS_SHELL, NULL, false,
      "multilang spout (FluxShellSpout)" },
    { "org.apache.storm.flux.wrappers.bolts.FluxShellBolt", GALE_BOLT,
      "shell", "", NULL, GALE_FLUX_ARGS_SHELL, NULL, false,
      "multilang bolt (FluxShellBolt)" },
    /* TestWordSpout emits one of 5 words every 100 ms, unreliably: the
     * generator's words mode over a 5-word vocabulary at 10 a second has
     * that shape (its 5 words are its own, not nathan, mike, ...). */
    { "org.apache.storm.testing.TestWordSpout", GALE_SPOUT, "generator",
      "mode = \"words\"; vocabulary = 5; rate = 10;", "word",
      GALE_FLUX_ARGS_DISTRIBUTED, NULL, false,
      "TestWordSpout: 5 distinct words, 10 a second" },
    { "org.apache.storm.starter.spout.RandomSentenceSpout", GALE_SPOUT,
      "random_sentence", "", "word", GALE_FLUX_ARGS_NONE, NULL, false,
      "storm-starter RandomSentenceSpout" },
    { "org.apache.storm.testing.TestWordCounter", GALE_BOLT, "count", "",
      "word,count", GALE_FLUX_ARGS_NONE, "key", false,
      "TestWordCounter: [word, running count]" },
    { "org.apache.storm.starter.WordCountTopology$WordCount", GALE_BOLT,
      "count", "", "word,count", GALE_FLUX_ARGS_NONE, "key", false,
      "storm-starter WordCount: [word, running count]" },
    /* storm-kafka-client's DefaultRecordTranslator emits these five. */
    { "org.apache.storm.kafka.spout.KafkaSpout", GALE_SPOUT, "kafka", "",
      "topic,partition,offset,key,value", GALE_FLUX_ARGS_KAFKA, NULL, false,
      "storm-kafka-client KafkaSpout (its KafkaSpoutConfig$Builder below)" },
    { "org.apache.storm.flux.wrappers.bolts.LogInfoBolt", GALE_BOLT, "log",
      "", NULL, GALE_FLUX_ARGS_NONE, NULL, false,
      "LogInfoBolt: logs each tuple at INFO" },
    { "org.apache.storm.flux.examples.TestPrintBolt", GALE_BOLT, "log", "",
      NULL, GALE_FLUX_ARGS_NONE, NULL, false,
      "flux-examples TestPrintBolt: each tuple to the log" },
    /* Windowed bolts: their configMethods set the window (windowing.c).
     * gale's window bolt emits the window's start and end before the
     * aggregate, which these classes emit alone. */
    { "org.apache.storm.flux.examples.TestWindowBolt", GALE_BOLT, "window",
      "aggregate = \"count\";", "start,end,count", GALE_FLUX_ARGS_NONE, NULL,
      true, "flux-examples TestWindowBolt: the number of tuples in each "
      "window (gale adds the window's start and end before it)" },
    { "org.apache.storm.starter.bolt.SlidingWindowSumBolt", GALE_BOLT,
      "window", "aggregate = \"sum\";", "start,end,sum", GALE_FLUX_ARGS_NONE,
      "value", true, "storm-starter SlidingWindowSumBolt: the sum of the "
      "input's first field over each window (gale adds the window's start "
      "and end before it)" },
};

#define NCLASSES (sizeof(classes) / sizeof(classes[0]))

const gale_flux_class_t *
gale_flux_class_find(const char *cls)
{
    size_t i;

    for (i = 0; i < NCLASSES; i++)
        if (strcmp(classes[i].cls, cls) == 0)
            return &classes[i];
    return NULL;
}

size_t
gale_flux_class_count(void)
{
    return NCLASSES;
}

const gale_flux_class_t *
gale_flux_class_at(size_t i)
{
    return i < NCLASSES ? &classes[i] : NULL;
}
