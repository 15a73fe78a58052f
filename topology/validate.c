/* validate.c - whole-topology checks (validate.h). It sees only the model
 * (topology.h, topology.c), never the loader that calls it. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "topology/suggest.h"
#include "topology/validate.h"

/* DFS colours for the cycle search. */
enum { WHITE = 0, GREY = 1, BLACK = 2 };

/* State of the cycle search. */
typedef struct dfs {
    gale_topology_t *t;             /* the topology searched */
    gale_diag_t *diag;              /* where cycles are reported */
    int *colour;                    /* per component */
    int *stack;                     /* components on the current path */
    int depth;                      /* entries in stack */
    int errors;                     /* cycles found */
} dfs_t;

/* Reports the cycle closed by edge e, which leads back to component c
 * that is on the current path. */
static void
report_cycle(dfs_t *d, const gale_edge_t *e, int c)
{
    char *path = NULL, *tmp;
    int i = d->depth - 1;

    while (i > 0 && d->stack[i] != c)
        i--;
    path = xstrdup(d->t->comps[c].id);
    for (i++; i < d->depth; i++) {
        xasprintf(&tmp, "%s -> %s", path, d->t->comps[d->stack[i]].id);
        free(path);
        path = tmp;
    }
    gale_diag_add(d->diag, e->where.file, e->where.line,
        "cycle %s -> %s: gale rejects cycles because checkpoint barriers "
        "cannot align around a loop", path, d->t->comps[c].id);
    free(path);
    d->errors++;
}

/* Depth-first visit of component c, reporting the back edges it meets:
 * each closes a cycle through components on the current path. */
static void
visit(dfs_t *d, int c)
{
    size_t i;
    const gale_edge_t *e;

    d->colour[c] = GREY;
    d->stack[d->depth++] = c;
    for (i = 0; i < d->t->nedges; i++) {
        e = &d->t->edges[i];
        if (e->from != c)
            continue;
        if (d->colour[e->to] == GREY)
            report_cycle(d, e, e->to);
        else if (d->colour[e->to] == WHITE)
            visit(d, e->to);
    }
    d->depth--;
    d->colour[c] = BLACK;
}

/* Reports every cycle that a depth-first search meets. */
static int
check_cycles(gale_topology_t *t, gale_diag_t *diag)
{
    dfs_t d = { t, diag, NULL, NULL, 0, 0 };
    size_t c;

    d.colour = xcalloc(t->ncomps + 1, sizeof(int));
    d.stack = xcalloc(t->ncomps + 1, sizeof(int));
    for (c = 0; c < t->ncomps; c++)
        if (d.colour[c] == WHITE)
            visit(&d, (int)c);
    free(d.colour);
    free(d.stack);
    return d.errors;
}

/* The stream names of c, for "did you mean". Caller frees the array. */
static const char **
stream_names(const gale_comp_t *c)
{
    const char **names = xcalloc(c->nstreams + 1, sizeof(*names));
    size_t i;

    for (i = 0; i < c->nstreams; i++)
        names[i] = c->streams[i].id;
    return names;
}

/* "a, b, c" of a stream's fields. Caller frees. */
static char *
field_list(const gale_stream_decl_t *s)
{
    char *out = xstrdup(""), *tmp;
    size_t i;

    for (i = 0; i < s->nfields; i++) {
        xasprintf(&tmp, "%s%s%s", out, i > 0 ? ", " : "", s->fields[i]);
        free(out);
        out = tmp;
    }
    return out;
}

/* Checks edge e's stream and grouping; returns the problems found. */
static int
check_edge(gale_topology_t *t, gale_edge_t *e, gale_diag_t *diag)
{
    const gale_comp_t *from = &t->comps[e->from];
    const gale_stream_decl_t *s;
    const char **names, *hint;
    char *list;
    size_t i, j;
    int errors = 0;

    e->stream_idx = gale_comp_find_stream(from, e->stream);
    if (e->stream_idx < 0) {
        names = stream_names(from);
        hint = gale_suggest(e->stream, names, from->nstreams);
        if (strcmp(e->stream, "default") == 0)
            gale_diag_add(diag, e->where.file, e->where.line,
                "component `%s` declares no stream `default` (it has no "
                "`fields`)", from->id);
        else if (hint != NULL)
            gale_diag_add(diag, e->where.file, e->where.line,
                "component `%s` declares no stream `%s` (did you mean "
                "`%s`?)", from->id, e->stream, hint);
        else
            gale_diag_add(diag, e->where.file, e->where.line,
                "component `%s` declares no stream `%s`", from->id,
                e->stream);
        free(names);
        return 1;
    }
    s = &from->streams[e->stream_idx];
    if (e->grouping == GALE_GROUPING_DIRECT && !s->direct) {
        gale_diag_add(diag, e->where.file, e->where.line,
            "direct grouping on stream `%s` of `%s`, which is not declared "
            "direct", s->id, from->id);
        errors++;
    } else if (e->grouping != GALE_GROUPING_DIRECT && s->direct) {
        gale_diag_add(diag, e->where.file, e->where.line,
            "stream `%s` of `%s` is declared direct: only a direct "
            "grouping can consume it, not %s", s->id, from->id,
            gale_grouping_name(e->grouping));
        errors++;
    }
    if (e->nfields > 0) {
        e->field_idx = xcalloc(e->nfields, sizeof(int));
        for (i = 0; i < e->nfields; i++) {
            e->field_idx[i] = -1;
            for (j = 0; j < s->nfields; j++)
                if (strcmp(e->fields[i], s->fields[j]) == 0)
                    e->field_idx[i] = (int)j;
            if (e->field_idx[i] < 0) {
                list = field_list(s);
                gale_diag_add(diag, e->where.file, e->where.line,
                    "stream `%s` of `%s` has no field `%s` (its fields: %s)",
                    s->id, from->id, e->fields[i], list);
                free(list);
                errors++;
            }
        }
    }
    return errors;
}

int
gale_validate_topology(gale_topology_t *t, gale_diag_t *diag)
{
    bool *fed = xcalloc(t->ncomps + 1, sizeof(bool));
    size_t i;
    int errors = 0, nspouts = 0;

    for (i = 0; i < t->nedges; i++) {
        errors += check_edge(t, &t->edges[i], diag);
        fed[t->edges[i].to] = true;
    }
    for (i = 0; i < t->ncomps; i++) {
        if (t->comps[i].kind == GALE_SPOUT)
            nspouts++;
        else if (!fed[i]) {
            gale_diag_add(diag, t->comps[i].where.file,
                t->comps[i].where.line, "bolt `%s` is fed by no stream: "
                "Flux drops such a bolt silently, gale refuses it",
                t->comps[i].id);
            errors++;
        }
    }
    if (nspouts == 0) {
        gale_diag_add(diag, t->path, 0, "the topology has no spouts");
        errors++;
    }
    errors += check_cycles(t, diag);
    free(fed);
    return errors;
}
