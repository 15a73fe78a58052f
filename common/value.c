/* value.c - the owned value tree of include/gale/value.h.
 *
 * Used for configuration, component parameters and lists or maps that a
 * component builds. Allocation failures abort (xalloc), so constructors
 * never return NULL. Maps keep insertion order and are searched linearly:
 * they hold tens of keys, not thousands. */
#include <stdlib.h>
#include <string.h>

#include <gale/value.h>

#include "common/xalloc.h"

/* Allocates a value of type t with a zeroed payload. Caller owns it. */
static gale_value_t *
value_new(gale_type_t t)
{
    gale_value_t *v = xcalloc(1, sizeof(*v));

    v->type = t;
    return v;
}

gale_value_t *
gale_value_null(void)
{
    return value_new(GALE_NULL);
}

gale_value_t *
gale_value_bool(bool b)
{
    gale_value_t *v = value_new(GALE_BOOL);

    v->u.b = b;
    return v;
}

gale_value_t *
gale_value_int(int64_t i)
{
    gale_value_t *v = value_new(GALE_INT);

    v->u.i = i;
    return v;
}

gale_value_t *
gale_value_double(double d)
{
    gale_value_t *v = value_new(GALE_DOUBLE);

    v->u.d = d;
    return v;
}

/* Copies len bytes of p into a NUL-terminated buffer owned by a new
 * value of type t. */
static gale_value_t *
value_bytes(gale_type_t t, const void *p, size_t len)
{
    gale_value_t *v = value_new(t);

    v->u.s.ptr = xmalloc(len + 1);
    if (len > 0)
        memcpy(v->u.s.ptr, p, len);
    v->u.s.ptr[len] = '\0';
    v->u.s.len = len;
    return v;
}

gale_value_t *
gale_value_string(const char *s, size_t len)
{
    return value_bytes(GALE_STRING, s, len);
}

gale_value_t *
gale_value_bytes(const void *p, size_t len)
{
    return value_bytes(GALE_BYTES, p, len);
}

gale_value_t *
gale_value_list(void)
{
    return value_new(GALE_LIST);
}

gale_value_t *
gale_value_map(void)
{
    return value_new(GALE_MAP);
}

gale_value_t *
gale_value_clone(const gale_value_t *v)
{
    gale_value_t *c;
    size_t i;

    if (v == NULL)
        return NULL;
    switch (v->type) {
    case GALE_STRING:
    case GALE_BYTES:
        return value_bytes(v->type, v->u.s.ptr, v->u.s.len);
    case GALE_LIST:
        c = gale_value_list();
        for (i = 0; i < v->u.list.len; i++)
            gale_value_list_append(c, gale_value_clone(v->u.list.items[i]));
        return c;
    case GALE_MAP:
        c = gale_value_map();
        for (i = 0; i < v->u.map.len; i++)
            gale_value_map_set(c, v->u.map.keys[i],
                gale_value_clone(v->u.map.vals[i]));
        return c;
    default:
        c = value_new(v->type);
        c->u = v->u;
        return c;
    }
}

void
gale_value_destroy(gale_value_t **vp)
{
    gale_value_t *v;
    size_t i;

    if (vp == NULL || (v = *vp) == NULL)
        return;
    switch (v->type) {
    case GALE_STRING:
    case GALE_BYTES:
        free(v->u.s.ptr);
        break;
    case GALE_LIST:
        for (i = 0; i < v->u.list.len; i++)
            gale_value_destroy(&v->u.list.items[i]);
        free(v->u.list.items);
        break;
    case GALE_MAP:
        for (i = 0; i < v->u.map.len; i++) {
            free(v->u.map.keys[i]);
            gale_value_destroy(&v->u.map.vals[i]);
        }
        free(v->u.map.keys);
        free(v->u.map.vals);
        break;
    default:
        break;
    }
    free(v);
    *vp = NULL;
}

void
gale_value_list_append(gale_value_t *list, gale_value_t *item)
{
    if (list->u.list.len == list->u.list.cap) {
        list->u.list.cap = list->u.list.cap == 0 ? 4 : list->u.list.cap * 2;
        list->u.list.items = xreallocarray(list->u.list.items,
            list->u.list.cap, sizeof(*list->u.list.items));
    }
    list->u.list.items[list->u.list.len++] = item;
}

/* Index of key in map, or -1. */
static long
map_index(const gale_value_t *map, const char *key)
{
    size_t i;

    for (i = 0; i < map->u.map.len; i++)
        if (strcmp(map->u.map.keys[i], key) == 0)
            return (long)i;
    return -1;
}

void
gale_value_map_set(gale_value_t *map, const char *key, gale_value_t *val)
{
    long i = map_index(map, key);

    if (i >= 0) {
        gale_value_destroy(&map->u.map.vals[i]);
        map->u.map.vals[i] = val;
        return;
    }
    if (map->u.map.len == map->u.map.cap) {
        map->u.map.cap = map->u.map.cap == 0 ? 8 : map->u.map.cap * 2;
        map->u.map.keys = xreallocarray(map->u.map.keys, map->u.map.cap,
            sizeof(*map->u.map.keys));
        map->u.map.vals = xreallocarray(map->u.map.vals, map->u.map.cap,
            sizeof(*map->u.map.vals));
    }
    map->u.map.keys[map->u.map.len] = xstrdup(key);
    map->u.map.vals[map->u.map.len] = val;
    map->u.map.len++;
}

const gale_value_t *
gale_value_map_get(const gale_value_t *map, const char *key)
{
    long i;

    if (map == NULL || map->type != GALE_MAP)
        return NULL;
    i = map_index(map, key);
    return i < 0 ? NULL : map->u.map.vals[i];
}

bool
gale_value_equal(const gale_value_t *a, const gale_value_t *b)
{
    const gale_value_t *o;
    size_t i;

    if (a == NULL || b == NULL)
        return a == b;
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case GALE_NULL:
        return true;
    case GALE_BOOL:
        return a->u.b == b->u.b;
    case GALE_INT:
        return a->u.i == b->u.i;
    case GALE_DOUBLE:
        return a->u.d == b->u.d;
    case GALE_STRING:
    case GALE_BYTES:
        return a->u.s.len == b->u.s.len &&
            memcmp(a->u.s.ptr, b->u.s.ptr, a->u.s.len) == 0;
    case GALE_LIST:
        if (a->u.list.len != b->u.list.len)
            return false;
        for (i = 0; i < a->u.list.len; i++)
            if (!gale_value_equal(a->u.list.items[i], b->u.list.items[i]))
                return false;
        return true;
    case GALE_MAP:
        if (a->u.map.len != b->u.map.len)
            return false;
        for (i = 0; i < a->u.map.len; i++) {
            o = gale_value_map_get(b, a->u.map.keys[i]);
            if (o == NULL || !gale_value_equal(a->u.map.vals[i], o))
                return false;
        }
        return true;
    }
    return false;
}

const char *
gale_type_name(gale_type_t t)
{
    switch (t) {
    case GALE_NULL:     return "null";
    case GALE_BOOL:     return "bool";
    case GALE_INT:      return "int";
    case GALE_DOUBLE:   return "double";
    case GALE_STRING:   return "string";
    case GALE_BYTES:    return "bytes";
    case GALE_LIST:     return "list";
    case GALE_MAP:      return "map";
    }
    return "unknown";
}
