/* cluster.c - the cluster config file (cluster.h says what it holds). */
#include "config.h"

#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "common/xalloc.h"
#include "engine/net/cluster.h"

/* What parsing needs besides the result: the file, for messages. */
typedef struct parse {
    const char *path;
    char *dir;                      /* the file's directory, owned */
    char *cause;                    /* first error, owned */
} parse_t;

static void __attribute__((format(printf, 3, 4)))
fail(parse_t *p, const config_setting_t *s, const char *fmt, ...)
{
    char *msg = NULL;
    va_list ap;

    if (p->cause != NULL)
        return;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    if (s != NULL && config_setting_source_line(s) > 0)
        xasprintf(&p->cause, "%s:%d: %s", p->path,
            config_setting_source_line(s), msg != NULL ? msg : "error");
    else
        xasprintf(&p->cause, "%s: %s", p->path, msg != NULL ? msg : "error");
    free(msg);
}

/* path made absolute against the file's directory (caller frees). */
static char *
relative_to_file(const parse_t *p, const char *path)
{
    char *out;

    if (path[0] == '/')
        return xstrdup(path);
    xasprintf(&out, "%s/%s", p->dir, path);
    return out;
}

/* The string setting name of group g, or dflt when absent. NULL (and an
 * error) when present but not a string. */
static const char *
get_string(parse_t *p, const config_setting_t *g, const char *name,
    const char *dflt)
{
    const config_setting_t *s = g != NULL ? config_setting_get_member(g, name) :
        NULL;

    if (s == NULL)
        return dflt;
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        fail(p, s, "`%s` must be a string", name);
        return NULL;
    }
    return config_setting_get_string(s);
}

/* The int setting name of group g within [lo, hi], or dflt. -1 on error. */
static int
get_int(parse_t *p, const config_setting_t *g, const char *name, int dflt,
    int lo, int hi)
{
    const config_setting_t *s = g != NULL ? config_setting_get_member(g, name) :
        NULL;
    long long v;

    if (s == NULL)
        return dflt;
    if (config_setting_type(s) != CONFIG_TYPE_INT &&
        config_setting_type(s) != CONFIG_TYPE_INT64) {
        fail(p, s, "`%s` must be an integer", name);
        return -1;
    }
    v = config_setting_get_int64(s);
    if (v < lo || v > hi) {
        fail(p, s, "`%s` = %lld is out of range (%d to %d)", name, v, lo, hi);
        return -1;
    }
    return (int)v;
}

/* Refuses members of group g other than the names in allowed. */
static void
check_members(parse_t *p, const config_setting_t *g, const char *what,
    const char *const *allowed)
{
    int i, k;

    for (i = 0; g != NULL && i < config_setting_length(g); i++) {
        const config_setting_t *s = config_setting_get_elem(g, i);
        const char *n = config_setting_name(s);

        for (k = 0; allowed[k] != NULL; k++)
            if (n != NULL && strcmp(n, allowed[k]) == 0)
                break;
        if (allowed[k] == NULL) {
            fail(p, s, "unknown setting `%s` in %s", n != NULL ? n : "?", what);
            return;
        }
    }
}

/* Reads one member's host, port and key from group g. */
static void
read_member(parse_t *p, gale_cluster_t *c, const config_setting_t *g,
    gale_cluster_member_t *m, const char *name, int dflt_port)
{
    const char *host = get_string(p, g, "host", NULL);
    const char *key = get_string(p, g, "key", name);
    int port = get_int(p, g, "port", dflt_port, 1, 65535);

    m->name = xstrdup(name);
    if (host == NULL || host[0] == '\0') {
        fail(p, g, "%s needs a `host` (its address)", name);
        return;
    }
    if (key == NULL || key[0] == '\0' || strchr(key, '/') != NULL) {
        fail(p, g, "%s: `key` must be a key pair's name (a file name "
            "under `keys`)", name);
        return;
    }
    m->host = xstrdup(host);
    m->port = port;
    m->key = xstrdup(key);
    if (c->security == GALE_SECURITY_CURVE && p->cause == NULL) {
        char *file = gale_cluster_key_path(c, key, false), *why = NULL;

        if (gale_security_public_read(file, m->public_z85, &why) != 0) {
            fail(p, g, "%s's public key: %s", name, why);
            free(why);
        }
        free(file);
    }
}

static void
member_clear(gale_cluster_member_t *m)
{
    free(m->name);
    free(m->host);
    free(m->key);
    memset(m, 0, sizeof *m);
}

gale_cluster_t *
gale_cluster_load(const char *path, char **cause)
{
    static const char *const top[] = { "security", "keys", "nimbus",
        "supervisor", "supervisors", "ports", NULL };
    static const char *const nimbus_keys[] = { "host", "port", "key", "dir",
        NULL };
    static const char *const sup_keys[] = { "port", "dir", "timeout_ms", NULL };
    static const char *const member_keys[] = { "name", "host", "port", "key",
        NULL };
    static const char *const port_keys[] = { "first", "per_topology", NULL };
    parse_t p = { .path = path };
    gale_cluster_t *c = xcalloc(1, sizeof *c);
    config_setting_t *root, *g, *list;
    const char *s;
    config_t cfg;
    char *copy;
    int i, k;

    config_init(&cfg);
    copy = xstrdup(path);
    p.dir = xstrdup(dirname(copy));
    free(copy);
    c->path = xstrdup(path);
    if (!config_read_file(&cfg, path)) {
        if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
            xasprintf(&p.cause, "%s: cannot read the cluster config: %s",
                path, strerror(errno));
        else
            xasprintf(&p.cause, "%s:%d: %s", path, config_error_line(&cfg),
                config_error_text(&cfg));
        goto out;
    }
    root = config_root_setting(&cfg);
    check_members(&p, root, "the cluster config", top);
    s = get_string(&p, root, "security", "curve");
    if (s != NULL && gale_security_mode_parse(s, &c->security, NULL) != 0)
        fail(&p, config_setting_get_member(root, "security"),
            "`security` must be \"curve\" or \"none\", not \"%s\"", s);
    s = get_string(&p, root, "keys", NULL);
    if (s != NULL)
        c->keys_dir = relative_to_file(&p, s);
    else if (c->security == GALE_SECURITY_CURVE)
        fail(&p, NULL, "security \"curve\" needs `keys` (the directory of "
            "the cluster's public keys)");
    if (p.cause != NULL)
        goto out;

    if ((g = config_setting_get_member(root, "nimbus")) == NULL ||
        !config_setting_is_group(g)) {
        fail(&p, g, "needs a group `nimbus = { host = \"...\"; }`");
        goto out;
    }
    check_members(&p, g, "nimbus", nimbus_keys);
    read_member(&p, c, g, &c->nimbus, "nimbus", 6627);
    s = get_string(&p, g, "dir", "/var/lib/gale/nimbus");
    if (s != NULL)
        c->nimbus_dir = relative_to_file(&p, s);

    g = config_setting_get_member(root, "supervisor");
    if (g != NULL && !config_setting_is_group(g))
        fail(&p, g, "`supervisor` must be a group");
    check_members(&p, g, "supervisor", sup_keys);
    c->supervisor_port = get_int(&p, g, "port", 6700, 1, 65535);
    c->supervisor_timeout_ms = get_int(&p, g, "timeout_ms", 3000, 100,
        3600000);
    s = get_string(&p, g, "dir", "/var/lib/gale/supervisor");
    if (s != NULL)
        c->supervisor_dir = relative_to_file(&p, s);

    g = config_setting_get_member(root, "ports");
    if (g != NULL && !config_setting_is_group(g))
        fail(&p, g, "`ports` must be a group");
    check_members(&p, g, "ports", port_keys);
    c->ports_first = get_int(&p, g, "first", 7000, 1024, 65535);
    c->ports_per_topology = get_int(&p, g, "per_topology", 1000, 16, 65535);
    if (p.cause != NULL)
        goto out;

    list = config_setting_get_member(root, "supervisors");
    if (list == NULL || !config_setting_is_list(list) ||
        config_setting_length(list) == 0) {
        fail(&p, list, "needs a list `supervisors = ( { name = \"...\"; "
            "host = \"...\"; }, ... )` with at least one host");
        goto out;
    }
    c->nsups = config_setting_length(list);
    c->sups = xcalloc((size_t)c->nsups, sizeof *c->sups);
    for (i = 0; i < c->nsups && p.cause == NULL; i++) {
        g = config_setting_get_elem(list, (unsigned)i);
        if (!config_setting_is_group(g)) {
            fail(&p, g, "each supervisor must be a group { name; host; }");
            break;
        }
        check_members(&p, g, "a supervisor", member_keys);
        s = get_string(&p, g, "name", NULL);
        if (s == NULL || s[0] == '\0' || strchr(s, '/') != NULL ||
            strchr(s, ' ') != NULL) {
            fail(&p, g, "a supervisor needs a `name` (no '/' or blanks)");
            break;
        }
        for (k = 0; k < i; k++)
            if (strcmp(c->sups[k].name, s) == 0)
                fail(&p, g, "supervisor `%s` is listed twice", s);
        read_member(&p, c, g, &c->sups[i], s, c->supervisor_port);
    }
out:
    config_destroy(&cfg);
    free(p.dir);
    if (p.cause != NULL) {
        gale_cluster_destroy(&c);
        if (cause != NULL)
            *cause = p.cause;
        else
            free(p.cause);
        return NULL;
    }
    return c;
}

void
gale_cluster_destroy(gale_cluster_t **cp)
{
    gale_cluster_t *c;
    int i;

    if (cp == NULL || (c = *cp) == NULL)
        return;
    for (i = 0; i < c->nsups; i++)
        member_clear(&c->sups[i]);
    free(c->sups);
    member_clear(&c->nimbus);
    free(c->path);
    free(c->keys_dir);
    free(c->nimbus_dir);
    free(c->supervisor_dir);
    free(c);
    *cp = NULL;
}

const gale_cluster_member_t *
gale_cluster_sup(const gale_cluster_t *c, const char *name)
{
    int i;

    for (i = 0; i < c->nsups; i++)
        if (strcmp(c->sups[i].name, name) == 0)
            return &c->sups[i];
    return NULL;
}

char *
gale_cluster_key_path(const gale_cluster_t *c, const char *name, bool secret)
{
    char *out;

    xasprintf(&out, "%s/%s.key%s", c->keys_dir != NULL ? c->keys_dir : ".",
        name, secret ? "_secret" : "");
    return out;
}

char *
gale_cluster_endpoint(const gale_cluster_member_t *m)
{
    char *out;

    if (strchr(m->host, ':') != NULL && m->host[0] != '[')
        xasprintf(&out, "tcp://[%s]:%d", m->host, m->port);
    else
        xasprintf(&out, "tcp://%s:%d", m->host, m->port);
    return out;
}
