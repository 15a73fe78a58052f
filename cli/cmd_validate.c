/* cmd_validate.c - `gale validate FILE`: loads and checks a topology and
 * prints a one-screen summary of it, or every error found. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "cli/table.h"
#include "common/xalloc.h"
#include "topology/keys.h"
#include "topology/plan.h"
#include "topology/topology.h"

static const gale_cmd_info_t validate_info = {
    .name = "validate",
    .operands = "FILE",
    .summary = "Check the topology in FILE and print a summary of it.",
    .details =
        "Loads FILE (with @include and ${...} substitution), checks every\n"
        "component type, parameter, stream and grouping, and builds the\n"
        "physical plan. On success prints the topology's settings, its\n"
        "components, its streams and the totals of tasks, executors and\n"
        "channels, and exits 0. On errors prints each as FILE:LINE: MESSAGE\n"
        "on stderr, prints nothing on stdout, and exits 2.\n",
    .flags = GALE_OPT_TOPOLOGY,
    .min_args = 1,
    .max_args = 1,
};

/* Writes "a-b" for a task id range, or "a" when it holds one task. */
static void
cell_range(gale_table_t *tab, int first, int n)
{
    if (n == 1)
        gale_table_cell(tab, "%d", first);
    else
        gale_table_cell(tab, "%d-%d", first, first + n - 1);
}

/* Writes a list of names as "a, b, c" into a new string; caller frees. */
static char *
join(char *const *names, size_t n)
{
    size_t i, len = 1;
    char *s, *p;

    for (i = 0; i < n; i++)
        len += strlen(names[i]) + 2;
    p = s = xmalloc(len);
    *p = '\0';
    for (i = 0; i < n; i++)
        p += sprintf(p, "%s%s", i > 0 ? ", " : "", names[i]);
    return s;
}

/* Writes comp's declared output streams as "id [f1, f2]" separated by
 * "; ", "direct" marking direct streams; "-" when it declares none. */
static void
cell_streams(gale_table_t *tab, const gale_comp_t *c)
{
    char *all = NULL, *fields, *next;
    size_t i;

    for (i = 0; i < c->nstreams; i++) {
        const gale_stream_decl_t *s = &c->streams[i];

        fields = join(s->fields, s->nfields);
        xasprintf(&next, "%s%s%s [%s]%s", all != NULL ? all : "",
            all != NULL ? "; " : "", s->id, fields,
            s->direct ? " direct" : "");
        free(fields);
        free(all);
        all = next;
    }
    gale_table_cell(tab, "%s", all != NULL ? all : "-");
    free(all);
}

/* Writes the summary of topology t with plan p to fp. */
static void
print_summary(const gale_topology_t *t, const gale_plan_t *p, FILE *fp)
{
    const char **ignored = NULL;
    size_t i, nignored = 0;
    gale_table_t *tab;
    char *fields;

    tab = gale_table_new(2, "ll");
    gale_table_cell(tab, "topology:");
    gale_table_cell(tab, "%s", t->name);
    gale_table_cell(tab, "file:");
    gale_table_cell(tab, "%s", t->path);
    gale_table_cell(tab, "guarantee:");
    gale_table_cell(tab, "%s", gale_guarantee_name(t->guarantee));
    gale_table_cell(tab, "workers:");
    gale_table_cell(tab, "%d", t->workers);
    gale_table_cell(tab, "max_parallelism:");
    gale_table_cell(tab, "%d", t->max_parallelism);
    gale_table_print(tab, "", fp);
    gale_table_destroy(&tab);

    fprintf(fp, "\ncomponents (%zu):\n", t->ncomps);
    tab = gale_table_new(7, "lllrrll");
    gale_table_cell(tab, "kind");
    gale_table_cell(tab, "id");
    gale_table_cell(tab, "type");
    gale_table_cell(tab, "executors");
    gale_table_cell(tab, "tasks");
    gale_table_cell(tab, "task ids");
    gale_table_cell(tab, "output streams");
    for (i = 0; i < t->ncomps; i++) {
        const gale_comp_t *c = &t->comps[i];

        gale_table_cell(tab, "%s", c->kind == GALE_SPOUT ? "spout" : "bolt");
        gale_table_cell(tab, "%s", c->id);
        gale_table_cell(tab, "%s", c->type);
        gale_table_cell(tab, "%d", c->parallelism);
        gale_table_cell(tab, "%d", c->ntasks);
        cell_range(tab, p->comp_first_task[i], c->ntasks);
        cell_streams(tab, c);
    }
    gale_table_print(tab, "  ", fp);
    gale_table_destroy(&tab);

    fprintf(fp, "\nstreams (%zu):\n", t->nedges);
    tab = gale_table_new(6, "llllll");
    gale_table_cell(tab, "from");
    gale_table_cell(tab, "%s", "");
    gale_table_cell(tab, "to");
    gale_table_cell(tab, "stream");
    gale_table_cell(tab, "grouping");
    gale_table_cell(tab, "fields");
    for (i = 0; i < t->nedges; i++) {
        const gale_edge_t *e = &t->edges[i];

        gale_table_cell(tab, "%s", t->comps[e->from].id);
        gale_table_cell(tab, "->");
        gale_table_cell(tab, "%s", t->comps[e->to].id);
        gale_table_cell(tab, "%s", e->stream);
        if (e->grouping == GALE_GROUPING_CUSTOM)
            gale_table_cell(tab, "custom %s", e->custom);
        else
            gale_table_cell(tab, "%s", gale_grouping_name(e->grouping));
        fields = join(e->fields, e->nfields);
        gale_table_cell(tab, "%s", fields);
        free(fields);
    }
    gale_table_print(tab, "  ", fp);
    gale_table_destroy(&tab);

    fprintf(fp, "\ntotal: %zu tasks, %zu executors, %zu channels, "
        "%d worker%s\n", p->ntasks, p->nexecs, p->nchans, p->nworkers,
        p->nworkers == 1 ? "" : "s");

    /* Storm keys gale accepts but does not act on: never dropped silently. */
    gale_keys_ignored(t, &ignored, &nignored);
    for (i = 0; i < nignored; i++)
        fprintf(fp, "ignored by gale: %s (passed to components' conf)\n",
            ignored[i]);
    free(ignored);
}

int
cmd_validate(int argc, char **argv)
{
    gale_opts_t o;
    gale_topology_t *t = NULL;
    gale_plan_t *p = NULL;
    int rc;

    if ((rc = gale_opts_parse(&o, &validate_info, argc, argv)) != 0) {
        gale_opts_release(&o);
        return gale_opts_status(rc);
    }
    if ((rc = gale_opts_load(&o, &t, &p)) == 0)
        print_summary(t, p, stdout);
    gale_plan_destroy(&p);
    gale_topology_destroy(&t);
    gale_opts_release(&o);
    return rc;
}
