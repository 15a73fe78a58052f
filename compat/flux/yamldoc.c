/* yamldoc.c - YAML document tree with line numbers (yamldoc.h), on
 * libyaml's document loader. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "common/xalloc.h"
#include "compat/flux/yamldoc.h"

/* Aliases are copied: these bound the copy so that `a: &x [*x]` or a
 * "billion laughs" document fails instead of exhausting memory. */
#define MAX_NODES 200000
#define MAX_DEPTH 64

struct gale_ydoc {
    char *file;                     /* owned; every node's file points here */
    gale_ynode_t *root;             /* owned tree, or NULL */
};

/* State of one conversion from libyaml's document to our tree. */
typedef struct build {
    yaml_document_t *doc;           /* borrowed */
    const char *file;               /* borrowed */
    size_t nodes;                   /* nodes made so far */
    char *cause;                    /* first error, owned */
} build_t;

/* Frees node n and its children. */
static void
ynode_free(gale_ynode_t *n)
{
    size_t i;

    if (n == NULL)
        return;
    for (i = 0; i < n->n; i++) {
        ynode_free(n->items[i]);
        if (n->keys != NULL)
            ynode_free(n->keys[i]);
    }
    free(n->items);
    free(n->keys);
    free(n->text);
    free(n);
}

/* Copies libyaml node idx (and what it holds) into a new tree node, or
 * returns NULL with b->cause set. */
static gale_ynode_t *
convert(build_t *b, int idx, int depth)
{
    yaml_node_t *y = yaml_document_get_node(b->doc, idx);
    gale_ynode_t *n;
    yaml_node_item_t *it;
    yaml_node_pair_t *pr;
    size_t i, cap;

    if (y == NULL) {
        xasprintf(&b->cause, "%s: malformed YAML document", b->file);
        return NULL;
    }
    if (++b->nodes > MAX_NODES || depth > MAX_DEPTH) {
        xasprintf(&b->cause, "%s:%lu: document too large or too deeply "
            "nested once its aliases are expanded", b->file,
            (unsigned long)y->start_mark.line + 1);
        return NULL;
    }
    n = xcalloc(1, sizeof(*n));
    n->file = b->file;
    n->line = (int)y->start_mark.line + 1;
    switch (y->type) {
    case YAML_SCALAR_NODE:
        n->kind = GALE_Y_SCALAR;
        n->len = y->data.scalar.length;
        n->text = xmalloc(n->len + 1);
        memcpy(n->text, y->data.scalar.value, n->len);
        n->text[n->len] = '\0';
        n->plain = y->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        return n;
    case YAML_SEQUENCE_NODE:
        n->kind = GALE_Y_SEQ;
        cap = (size_t)(y->data.sequence.items.top -
            y->data.sequence.items.start);
        n->items = xcalloc(cap + 1, sizeof(*n->items));
        for (it = y->data.sequence.items.start;
            it < y->data.sequence.items.top; it++) {
            if ((n->items[n->n] = convert(b, *it, depth + 1)) == NULL)
                goto fail;
            n->n++;
        }
        return n;
    case YAML_MAPPING_NODE:
        n->kind = GALE_Y_MAP;
        cap = (size_t)(y->data.mapping.pairs.top -
            y->data.mapping.pairs.start);
        n->items = xcalloc(cap + 1, sizeof(*n->items));
        n->keys = xcalloc(cap + 1, sizeof(*n->keys));
        for (pr = y->data.mapping.pairs.start;
            pr < y->data.mapping.pairs.top; pr++) {
            gale_ynode_t *k = convert(b, pr->key, depth + 1);

            if (k == NULL)
                goto fail;
            if (k->kind != GALE_Y_SCALAR) {
                xasprintf(&b->cause, "%s:%d: a mapping key must be a "
                    "scalar, not %s", b->file, k->line,
                    gale_ynode_phrase(k));
                ynode_free(k);
                goto fail;
            }
            for (i = 0; i < n->n; i++) {
                if (strcmp(n->keys[i]->text, k->text) == 0) {
                    xasprintf(&b->cause, "%s:%d: duplicate key `%s` (first "
                        "at line %d)", b->file, k->line, k->text,
                        n->keys[i]->line);
                    ynode_free(k);
                    goto fail;
                }
            }
            n->keys[n->n] = k;
            if ((n->items[n->n] = convert(b, pr->value, depth + 1)) == NULL) {
                ynode_free(k);
                n->keys[n->n] = NULL;
                goto fail;
            }
            n->n++;
        }
        return n;
    default:
        xasprintf(&b->cause, "%s:%d: empty YAML node", b->file, n->line);
        break;
    }
fail:
    ynode_free(n);
    return NULL;
}

gale_ydoc_t *
gale_ydoc_parse(const char *file, const char *buf, size_t len, char **cause)
{
    gale_ydoc_t *d = xcalloc(1, sizeof(*d));
    yaml_parser_t parser;
    yaml_document_t doc, next;
    build_t b = { &doc, NULL, 0, NULL };
    bool loaded = false, more;

    d->file = xstrdup(file);
    b.file = d->file;
    if (!yaml_parser_initialize(&parser)) {
        xasprintf(&b.cause, "%s: cannot initialise the YAML parser", file);
        goto fail;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    if (!yaml_parser_load(&parser, &doc))
        goto yaml_error;
    loaded = true;
    if (yaml_document_get_root_node(&doc) != NULL &&
        (d->root = convert(&b, 1, 0)) == NULL)
        goto fail_parser;
    if (!yaml_parser_load(&parser, &next))
        goto yaml_error;
    more = yaml_document_get_root_node(&next) != NULL;
    if (more)
        xasprintf(&b.cause, "%s:%lu: a second YAML document: a Flux file "
            "holds one", file, (unsigned long)next.start_mark.line + 1);
    yaml_document_delete(&next);
    if (more)
        goto fail_parser;
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return d;
yaml_error:
    xasprintf(&b.cause, "%s:%lu: YAML error: %s%s%s", file,
        (unsigned long)(parser.problem_mark.line + 1),
        parser.problem != NULL ? parser.problem : "cannot parse",
        parser.context != NULL ? " " : "",
        parser.context != NULL ? parser.context : "");
fail_parser:
    if (loaded)
        yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
fail:
    if (cause != NULL)
        *cause = b.cause;
    else
        free(b.cause);
    gale_ydoc_destroy(&d);
    return NULL;
}

void
gale_ydoc_destroy(gale_ydoc_t **dp)
{
    gale_ydoc_t *d;

    if (dp == NULL || (d = *dp) == NULL)
        return;
    ynode_free(d->root);
    free(d->file);
    free(d);
    *dp = NULL;
}

const gale_ynode_t *
gale_ydoc_root(const gale_ydoc_t *d)
{
    return d->root;
}

const char *
gale_ydoc_file(const gale_ydoc_t *d)
{
    return d->file;
}

const gale_ynode_t *
gale_ynode_key(const gale_ynode_t *m, const char *key)
{
    size_t i;

    if (m == NULL || m->kind != GALE_Y_MAP)
        return NULL;
    for (i = 0; i < m->n; i++)
        if (strcmp(m->keys[i]->text, key) == 0)
            return m->keys[i];
    return NULL;
}

const gale_ynode_t *
gale_ynode_get(const gale_ynode_t *m, const char *key)
{
    size_t i;

    if (m == NULL || m->kind != GALE_Y_MAP)
        return NULL;
    for (i = 0; i < m->n; i++)
        if (strcmp(m->keys[i]->text, key) == 0)
            return m->items[i];
    return NULL;
}

bool
gale_ynode_is_null(const gale_ynode_t *n)
{
    return n != NULL && n->kind == GALE_Y_SCALAR && n->plain &&
        (n->len == 0 || strcmp(n->text, "~") == 0 ||
         strcmp(n->text, "null") == 0 || strcmp(n->text, "Null") == 0 ||
         strcmp(n->text, "NULL") == 0);
}

const char *
gale_ynode_phrase(const gale_ynode_t *n)
{
    if (n == NULL)
        return "nothing";
    switch (n->kind) {
    case GALE_Y_SEQ:    return "a list";
    case GALE_Y_MAP:    return "a mapping";
    default:            return gale_ynode_is_null(n) ? "null" : "a scalar";
    }
}

/* true when s (all of it) is one of the words in the NULL-terminated list. */
static bool
word_in(const char *s, const char *const *words)
{
    for (; *words != NULL; words++)
        if (strcmp(s, *words) == 0)
            return true;
    return false;
}

/* The value of a plain scalar as YAML 1.1 types it. */
static gale_value_t *
plain_value(const gale_ynode_t *n)
{
    static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes",
        "YES", "on", "On", "ON", NULL };
    static const char *const no[] = { "false", "False", "FALSE", "no", "No",
        "NO", "off", "Off", "OFF", NULL };
    char *digits, *end;
    const char *p;
    long long ll;
    double d;
    size_t i, j;
    int base = 10;
    bool sign = false, ok;

    if (gale_ynode_is_null(n))
        return gale_value_null();
    if (word_in(n->text, yes))
        return gale_value_bool(true);
    if (word_in(n->text, no))
        return gale_value_bool(false);
    /* numbers: drop '_' separators first */
    digits = xmalloc(n->len + 1);
    for (i = j = 0; i < n->len; i++)
        if (n->text[i] != '_')
            digits[j++] = n->text[i];
    digits[j] = '\0';
    p = digits;
    if (*p == '+' || *p == '-') {
        sign = true;
        p++;
    }
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && p[2] != '\0')
        base = 16;
    else if (p[0] == '0' && p[1] >= '0' && p[1] <= '7')
        base = 8;
    if (*p >= '0' && *p <= '9' && j > 0) {
        errno = 0;
        ll = strtoll(digits, &end, base);
        ok = *end == '\0' && errno == 0 &&
            (base != 10 || strspn(p, "0123456789") == strlen(p));
        if (ok) {
            free(digits);
            return gale_value_int(ll);
        }
    }
    (void)sign;
    if ((*p >= '0' && *p <= '9') || (*p == '.' && p[1] >= '0' && p[1] <= '9')) {
        if (strspn(p, "0123456789.eE+-") == strlen(p) && strchr(p, '.') != NULL) {
            errno = 0;
            d = strtod(digits, &end);
            if (*end == '\0' && errno == 0) {
                free(digits);
                return gale_value_double(d);
            }
        }
    }
    free(digits);
    return gale_value_string(n->text, n->len);
}

gale_value_t *
gale_ynode_value(const gale_ynode_t *n)
{
    gale_value_t *v;
    size_t i;

    switch (n->kind) {
    case GALE_Y_SEQ:
        v = gale_value_list();
        for (i = 0; i < n->n; i++)
            gale_value_list_append(v, gale_ynode_value(n->items[i]));
        return v;
    case GALE_Y_MAP:
        v = gale_value_map();
        for (i = 0; i < n->n; i++)
            gale_value_map_set(v, n->keys[i]->text,
                gale_ynode_value(n->items[i]));
        return v;
    default:
        if (n->plain)
            return plain_value(n);
        return gale_value_string(n->text, n->len);
    }
}
