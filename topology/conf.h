/* conf.h - the topology's conf map: the DSL's `config` sections (topology
 * and component level, `user`, `passthrough`, `checkpoint`), the -c
 * KEY=VALUE overrides, and the typed fields derived from the result.
 * Keys are checked against the table in keys.h. Part of one load
 * (reader.h); not thread-safe. */
#ifndef GALE_CONF_H
#define GALE_CONF_H

#include <stdbool.h>
#include <stdint.h>

#include "topology/reader.h"

/* Reads a `config` group into conf (a MAP): the topology's, or a
 * component's when comp; ctx prefixes messages. Problems are reported
 * and the offending keys skipped. */
void gale_conf_read(gale_reader_t *l, const config_setting_t *g,
    gale_value_t *conf, bool comp, const char *ctx);
/* Applies the caller's -c KEY=VALUE overrides (l->opts) to conf. */
void gale_conf_overrides(gale_reader_t *l, gale_value_t *conf);
/* Storm's topology.acker.executors = 0: sets gale.guarantee to "none"
 * unless the file or -c set the guarantee. */
void gale_conf_ackers(gale_reader_t *l, gale_value_t *conf);
/* An integer from conf, or def when absent or not an integer. */
int64_t gale_conf_int(const gale_value_t *conf, const char *key,
    int64_t def);
/* Fills t's typed fields (workers, batch sizes, guarantee...) from
 * t->conf. */
void gale_conf_derive(gale_topology_t *t);

#endif
