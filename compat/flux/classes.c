/* classes.c - Java classes with a gale equivalent (classes.h). docs/flux.md
 * explains each choice. */
#include <string.h>

#include "compat/flux/classes.h"

static const gale_flux_class_t classes[] = {
    { "org.apache.storm.flux.wrappers.spouts.FluxShellSpout", GALE_SPOUT,
      "shell", "", NULL, GALE_FLUX_ARGS_SHELL, false,
      "multilang spout (FluxShellSpout)" },
    { "org.apache.storm.flux.wrappers.bolts.FluxShellBolt", GALE_BOLT,
      "shell", "", NULL, GALE_FLUX_ARGS_SHELL, false,
      "multilang bolt (FluxShellBolt)" },
    /* TestWordSpout emits one of 5 words every 100 ms, unreliably: the
     * generator's words mode over a 5-word vocabulary at 10 a second has
     * that shape (its 5 words are its own, not nathan, mike, ...). */
    { "org.apache.storm.testing.TestWordSpout", GALE_SPOUT, "generator",
      "mode = \"words\"; vocabulary = 5; rate = 10;", "word",
      GALE_FLUX_ARGS_DISTRIBUTED, false,
      "TestWordSpout: 5 distinct words, 10 a second" },
    { "org.apache.storm.starter.spout.RandomSentenceSpout", GALE_SPOUT,
      "random_sentence", "", "word", GALE_FLUX_ARGS_NONE, false,
      "storm-starter RandomSentenceSpout" },
    { "org.apache.storm.testing.TestWordCounter", GALE_BOLT, "count", "",
      "word,count", GALE_FLUX_ARGS_NONE, true,
      "TestWordCounter: [word, running count]" },
    { "org.apache.storm.starter.WordCountTopology$WordCount", GALE_BOLT,
      "count", "", "word,count", GALE_FLUX_ARGS_NONE, true,
      "storm-starter WordCount: [word, running count]" },
    { "org.apache.storm.flux.wrappers.bolts.LogInfoBolt", GALE_BOLT, "log",
      "", NULL, GALE_FLUX_ARGS_NONE, false,
      "LogInfoBolt: logs each tuple at INFO" },
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
