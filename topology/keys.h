/* keys.h - the configuration keys a DSL file's `config` group may set.
 *
 * One table maps gale's DSL names (libconfig names cannot contain dots)
 * to the names used in conf maps: Storm's dotted names (`workers` ->
 * `topology.workers`), or `gale.*` for gale-only keys. The rule for Storm
 * keys is mechanical: drop "topology." and replace "." by "_". Keys of
 * the `checkpoint` subgroup are named "checkpoint.<name>". Each key says
 * whether gale acts on it (honoured) or only accepts it and passes it to
 * components' conf (passed through). Read-only; any thread. */
#ifndef GALE_KEYS_H
#define GALE_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include <gale/value.h>

#include "topology/topology.h"

typedef struct gale_key {
    const char *name;               /* DSL name in `config = { ... }` */
    const char *conf;               /* name in conf maps (Storm's or gale.*) */
    bool storm;                     /* conf is one of Storm's keys */
    gale_type_t type;               /* INT, DOUBLE, BOOL, STRING; NULL = any */
    const char *def;                /* default as -c text; NULL = none */
    bool component;                 /* may be set in a component's config */
    bool honoured;                  /* gale acts on it (else passed through) */
} gale_key_t;

/* Number of keys in the table, and the i-th one. */
size_t gale_keys_count(void);
const gale_key_t *gale_keys_at(size_t i);
/* The key with this DSL name, or NULL. */
const gale_key_t *gale_keys_find(const char *name);
/* The key with this conf (dotted) name, or NULL. */
const gale_key_t *gale_keys_find_conf(const char *conf);
/* Parses a -c value as Storm does (Utils.readCommandLineOpts): as JSON
 * (an integer, a number, true, false, null, a "string" with JSON escapes,
 * a [list] or an {object}), else the text itself as a string. Caller owns
 * the result. */
gale_value_t *gale_keys_parse_value(const char *text);
/* The default value of k, or NULL when it has none. Caller owns it. */
gale_value_t *gale_keys_default(const gale_key_t *k);
/* Checks *vp against k's type and range, converting an int to a double
 * where a double is expected. 0, or -EINVAL with *cause (caller frees)
 * saying what is wrong, e.g. "must be an integer, not a string". */
int gale_keys_check(const gale_key_t *k, gale_value_t **vp, char **cause);
/* The conf names of the keys that gale passes through without acting on
 * them: the table's, set in t->conf to something other than their default
 * (in table order; topology.acker.executors = 0 is acted on, so not
 * listed), then the topology.* keys the table does not know, set in the
 * topology's or a component's conf. *names is an array the caller frees
 * (the strings are borrowed from the table and from t). 0 always. */
int gale_keys_ignored(const gale_topology_t *t, const char ***names,
    size_t *n);

#endif
