/* reader.c - reading libconfig settings for the loader (reader.h). */
#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "topology/reader.h"
#include "topology/source.h"
#include "topology/suggest.h"

/* Where setting s was written. */
gale_where_t
gale_reader_where(const gale_reader_t *l, const config_setting_t *s)
{
    gale_where_t w;

    gale_source_where(l->src, (int)config_setting_source_line(s), &w.file,
        &w.line);
    return w;
}

/* Reports a problem at setting s. */
void
gale_reader_error(gale_reader_t *l, const config_setting_t *s,
    const char *fmt, ...)
{
    gale_where_t w = gale_reader_where(l, s);
    va_list ap;

    va_start(ap, fmt);
    gale_diag_vadd(l->diag, w.file, w.line, fmt, ap);
    va_end(ap);
}

/* Reports "unknown WHAT `name`", with a suggestion from cands. */
void
gale_reader_unknown(gale_reader_t *l, const config_setting_t *s,
    const char *prefix,
    const char *what, const char *name, const char *const *cands, size_t n)
{
    const char *hint = gale_suggest(name, cands, n);

    if (hint != NULL)
        gale_reader_error(l, s, "%sunknown %s `%s` (did you mean `%s`?)",
            prefix, what, name, hint);
    else
        gale_reader_error(l, s, "%sunknown %s `%s`", prefix, what, name);
}

/* What to call a libconfig setting's type in a message. */
const char *
gale_reader_phrase(const config_setting_t *s)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:     return "an integer";
    case CONFIG_TYPE_FLOAT:     return "a number";
    case CONFIG_TYPE_STRING:    return "a string";
    case CONFIG_TYPE_BOOL:      return "a boolean";
    case CONFIG_TYPE_ARRAY:
    case CONFIG_TYPE_LIST:      return "a list";
    case CONFIG_TYPE_GROUP:     return "a group";
    }
    return "nothing";
}

/* The value of setting s as an owned tree. */
gale_value_t *
gale_reader_value(const config_setting_t *s)
{
    gale_value_t *v;
    config_setting_t *c;
    const char *str;
    int i, n;

    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        return gale_value_int(config_setting_get_int64(s));
    case CONFIG_TYPE_FLOAT:
        return gale_value_double(config_setting_get_float(s));
    case CONFIG_TYPE_STRING:
        str = config_setting_get_string(s);
        return gale_value_string(str, strlen(str));
    case CONFIG_TYPE_BOOL:
        return gale_value_bool(config_setting_get_bool(s));
    case CONFIG_TYPE_ARRAY:
    case CONFIG_TYPE_LIST:
        v = gale_value_list();
        n = config_setting_length(s);
        for (i = 0; i < n; i++)
            gale_value_list_append(v,
                gale_reader_value(config_setting_get_elem(s, (unsigned)i)));
        return v;
    case CONFIG_TYPE_GROUP:
        v = gale_value_map();
        n = config_setting_length(s);
        for (i = 0; i < n; i++) {
            c = config_setting_get_elem(s, (unsigned)i);
            gale_value_map_set(v, config_setting_name(c),
                gale_reader_value(c));
        }
        return v;
    }
    return gale_value_null();
}

/* The string value of s, or NULL with a problem reported. */
const char *
gale_reader_string(gale_reader_t *l, const config_setting_t *s,
    const char *ctx)
{
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        gale_reader_error(l, s, "%s`%s` must be a string, not %s", ctx,
            config_setting_name(s), gale_reader_phrase(s));
        return NULL;
    }
    return config_setting_get_string(s);
}

/* Reads a list of distinct non-empty strings into *out and *n (owned
 * by the caller). 0, or -EINVAL with a problem reported. */
int
gale_reader_strings(gale_reader_t *l, const config_setting_t *s,
    const char *ctx, char ***out, size_t *n)
{
    config_setting_t *e;
    const char *str;
    int i, len, j;

    *out = NULL;
    *n = 0;
    if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
        config_setting_type(s) != CONFIG_TYPE_LIST) {
        gale_reader_error(l, s, "%s`%s` must be a list of strings, not %s",
            ctx, config_setting_name(s), gale_reader_phrase(s));
        return -EINVAL;
    }
    len = config_setting_length(s);
    *out = xcalloc((size_t)len + 1, sizeof(char *));
    for (i = 0; i < len; i++) {
        e = config_setting_get_elem(s, (unsigned)i);
        if (config_setting_type(e) != CONFIG_TYPE_STRING ||
            *(str = config_setting_get_string(e)) == '\0') {
            gale_reader_error(l, s,
                "%s`%s` must be a list of non-empty strings", ctx,
                config_setting_name(s));
            return -EINVAL;
        }
        for (j = 0; j < i; j++) {
            if (strcmp((*out)[j], str) == 0) {
                gale_reader_error(l, s, "%s`%s` names `%s` twice", ctx,
                    config_setting_name(s), str);
                return -EINVAL;
            }
        }
        (*out)[(*n)++] = xstrdup(str);
    }
    return 0;
}

/* Resolves a path written in the file of setting s against that file's
 * directory. Caller frees. */
char *
gale_reader_path(const gale_reader_t *l, const config_setting_t *s,
    const char *p)
{
    gale_where_t w = gale_reader_where(l, s);
    const char *slash = strrchr(w.file, '/');
    char *out;

    if (p[0] == '/' || slash == NULL)
        return xstrdup(p);
    xasprintf(&out, "%.*s/%s", (int)(slash - w.file), w.file, p);
    return out;
}
