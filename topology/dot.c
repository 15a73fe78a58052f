/* dot.c - DOT output (dot.h). */
#include <errno.h>
#include <string.h>

#include "topology/dot.h"

/* Writes s as the inside of a DOT double-quoted string. */
static void
put_escaped(FILE *fp, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', fp);
        if (*s == '\n')
            fputs("\\n", fp);
        else
            fputc(*s, fp);
    }
}

int
gale_topology_write_dot(const gale_topology_t *t, FILE *fp)
{
    const gale_comp_t *c;
    const gale_edge_t *e;
    size_t i, j;

    fputs("digraph \"", fp);
    put_escaped(fp, t->name);
    fputs("\" {\n  rankdir=LR;\n", fp);
    for (i = 0; i < t->ncomps; i++) {
        c = &t->comps[i];
        fputs("  \"", fp);
        put_escaped(fp, c->id);
        fputs("\" [shape=", fp);
        fputs(c->kind == GALE_SPOUT ? "ellipse" : "box", fp);
        fputs(", label=\"", fp);
        put_escaped(fp, c->id);
        fputs("\\n", fp);
        put_escaped(fp, c->type);
        fprintf(fp, " \xc3\x97%d\"];\n", c->parallelism);
    }
    for (i = 0; i < t->nedges; i++) {
        e = &t->edges[i];
        fputs("  \"", fp);
        put_escaped(fp, t->comps[e->from].id);
        fputs("\" -> \"", fp);
        put_escaped(fp, t->comps[e->to].id);
        fputs("\" [label=\"", fp);
        if (e->stream != NULL && strcmp(e->stream, "default") != 0) {
            put_escaped(fp, e->stream);
            fputs("\\n", fp);
        }
        fputs(e->grouping == GALE_GROUPING_CUSTOM && e->custom != NULL ?
            "custom " : gale_grouping_name(e->grouping), fp);
        if (e->grouping == GALE_GROUPING_CUSTOM && e->custom != NULL)
            put_escaped(fp, e->custom);
        if (e->nfields > 0) {
            fputc('(', fp);
            for (j = 0; j < e->nfields; j++) {
                if (j > 0)
                    fputs(", ", fp);
                put_escaped(fp, e->fields[j]);
            }
            fputc(')', fp);
        }
        fputs("\"];\n", fp);
    }
    fputs("}\n", fp);
    return ferror(fp) ? -EIO : 0;
}
