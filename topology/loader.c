/* loader.c - DSL file -> gale_topology_t (topology.h).
 *
 * The file is first expanded by source.c (includes, ${...}), then parsed
 * by libconfig, then read setting by setting into the model: the
 * top-level settings here, `config` by conf.c, `spouts` and `bolts` by
 * comps.c, `streams` by streams.c, each through the helpers of reader.c.
 * Every problem is reported with the file and line of the offending
 * setting and reading goes on, so that one run shows every mistake; the
 * loader returns NULL if there was any. Whole-topology checks live in
 * validate.c, which the loader calls last; validate.c and the loader
 * share only the model (topology.c). */
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "topology/comps.h"
#include "topology/conf.h"
#include "topology/keys.h"
#include "topology/props.h"
#include "topology/reader.h"
#include "topology/source.h"
#include "topology/streams.h"
#include "topology/topology.h"
#include "topology/validate.h"

static const char *const top_keys[] = {
    "name", "config", "spouts", "bolts", "streams"
};

/* Reads the parsed tree into l->t. */
static void
parse_root(gale_reader_t *l, const config_setting_t *root)
{
    gale_topology_t *t = l->t;
    config_setting_t *m;
    const gale_key_t *k;
    const char *s;
    size_t i;
    int seq = 0;

    for (i = 0; i < (size_t)config_setting_length(root); i++) {
        m = config_setting_get_elem(root, (unsigned)i);
        s = config_setting_name(m);
        if (strcmp(s, "name") != 0 && strcmp(s, "config") != 0 &&
            strcmp(s, "spouts") != 0 && strcmp(s, "bolts") != 0 &&
            strcmp(s, "streams") != 0)
            gale_reader_unknown(l, m, "", "top-level setting", s, top_keys,
                NELEM(top_keys));
    }
    if ((m = config_setting_get_member(root, "name")) == NULL)
        gale_diag_add(l->diag, t->path, 0, "missing `name`");
    else if ((s = gale_reader_string(l, m, "")) != NULL) {
        if (*s == '\0')
            gale_reader_error(l, m, "`name` must not be empty");
        t->name = xstrdup(s);
    }
    t->conf = gale_value_map();
    for (i = 0; i < gale_keys_count(); i++) {
        k = gale_keys_at(i);
        if (k->def != NULL)
            gale_value_map_set(t->conf, k->conf, gale_keys_default(k));
    }
    if (t->name != NULL)
        gale_value_map_set(t->conf, "topology.name",
            gale_value_string(t->name, strlen(t->name)));
    if ((m = config_setting_get_member(root, "config")) != NULL)
        gale_conf_read(l, m, t->conf, false, "");
    gale_conf_overrides(l, t->conf);
    gale_conf_ackers(l, t->conf);
    gale_conf_derive(t);
    if ((m = config_setting_get_member(root, "spouts")) != NULL)
        gale_comps_read(l, m, GALE_SPOUT, &seq);
    if ((m = config_setting_get_member(root, "bolts")) != NULL)
        gale_comps_read(l, m, GALE_BOLT, &seq);
    gale_comps_sort(l);
    if ((m = config_setting_get_member(root, "streams")) != NULL)
        gale_streams_read(l, m);
}

gale_topology_t *
gale_topology_load_buffer(const char *path, const char *buf, size_t len,
    const gale_load_opts_t *opts, gale_diag_t *diag)
{
    gale_reader_t l = { NULL, NULL, opts, diag, NULL, false };
    gale_props_t *props = NULL;
    const char *props_path = NULL, *file, *text;
    size_t before = gale_diag_count(diag);
    char *cause = NULL;
    config_t cfg;
    int line;

    config_init(&cfg);
    if (opts != NULL && opts->properties != NULL) {
        props_path = opts->properties;
        if ((props = gale_props_load(props_path, &cause)) == NULL) {
            gale_diag_add(diag, NULL, 0, "%s", cause);
            free(cause);
            goto fail;
        }
    }
    l.src = gale_source_new(path, buf, len, props, props_path, diag);
    if (l.src == NULL)
        goto fail;
    l.t = xcalloc(1, sizeof(*l.t));
    l.t->path = xstrdup(path);
    if (config_read_string(&cfg, gale_source_text(l.src)) != CONFIG_TRUE) {
        gale_source_where(l.src, config_error_line(&cfg), &file, &line);
        text = config_error_text(&cfg);
        if (text == NULL || strcmp(text, "syntax error") == 0)
            gale_diag_add(diag, file, line, "syntax error");
        else
            gale_diag_add(diag, file, line, "syntax error: %s", text);
        goto fail;
    }
    parse_root(&l, config_root_setting(&cfg));
    if (gale_diag_count(diag) == before)
        gale_validate_topology(l.t, diag);
    if (gale_diag_count(diag) != before)
        goto fail;
    l.t->files = gale_source_take_files(l.src, &l.t->nfiles);
    config_destroy(&cfg);
    gale_source_destroy(&l.src);
    gale_props_destroy(&props);
    free(l.seq);
    return l.t;
fail:
    if (l.t != NULL && l.src != NULL)
        l.t->files = gale_source_take_files(l.src, &l.t->nfiles);
    config_destroy(&cfg);
    gale_source_destroy(&l.src);
    gale_props_destroy(&props);
    gale_topology_destroy(&l.t);
    free(l.seq);
    return NULL;
}

gale_topology_t *
gale_topology_load(const char *path, const gale_load_opts_t *opts,
    gale_diag_t *diag)
{
    return gale_topology_load_buffer(path, NULL, 0, opts, diag);
}
