/* cmd_plan.c - `gale plan FILE`: the physical plan as tables of tasks,
 * executors and channels, in a stable order that tests can compare. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "cli/table.h"
#include "common/xalloc.h"
#include "topology/plan.h"
#include "topology/topology.h"

static const gale_cmd_info_t plan_info = {
    .name = "plan",
    .operands = "FILE",
    .summary = "Print the physical plan of the topology in FILE.",
    .details =
        "Tasks (ids assigned as Storm assigns them: from 1, a block per\n"
        "component in sorted order of the ids), with the executor (thread)\n"
        "and worker (process) each runs in; executors with their task\n"
        "ranges; and the number of channels (upstream task -> downstream\n"
        "task) each stream uses; a chained stream (its consumer runs in its\n"
        "producer's executors, docs/engine.md \"Chaining\") says \"chained\",\n"
        "and its executors list the components chained into them.\n"
        "With -v, every channel as well.\n"
        "An invalid FILE is reported as by 'gale validate' (exit 2).\n",
    .flags = GALE_OPT_TOPOLOGY | GALE_OPT_VERBOSE,
    .min_args = 1,
    .max_args = 1,
};

/* Writes the task table of plan p. */
static void
print_tasks(const gale_plan_t *p, FILE *fp)
{
    gale_table_t *tab = gale_table_new(5, "rlrrr");
    size_t i;

    fprintf(fp, "tasks (%zu):\n", p->ntasks);
    gale_table_cell(tab, "task");
    gale_table_cell(tab, "component");
    gale_table_cell(tab, "index");
    gale_table_cell(tab, "executor");
    gale_table_cell(tab, "worker");
    for (i = 0; i < p->ntasks; i++) {
        const gale_task_t *k = &p->tasks[i];

        gale_table_cell(tab, "%d", k->id);
        gale_table_cell(tab, "%s", p->topo->comps[k->comp].id);
        gale_table_cell(tab, "%d", k->index);
        gale_table_cell(tab, "%d", k->executor);
        gale_table_cell(tab, "%d", k->worker);
    }
    gale_table_print(tab, "  ", fp);
    gale_table_destroy(&tab);
}

/* Writes the executor table of plan p; with chains, the components
 * chained into each executor (their tasks of the same indexes). */
static void
print_executors(const gale_plan_t *p, FILE *fp)
{
    gale_table_t *tab;
    size_t i;
    bool chains = false;
    int m;

    for (i = 0; i < p->nexecs; i++)
        chains |= p->execs[i].nmembers > 0;
    tab = gale_table_new(chains ? 5 : 4, "rllrl");
    fprintf(fp, "\nexecutors (%zu):\n", p->nexecs);
    gale_table_cell(tab, "executor");
    gale_table_cell(tab, "component");
    gale_table_cell(tab, "tasks");
    gale_table_cell(tab, "worker");
    if (chains)
        gale_table_cell(tab, "chained");
    for (i = 0; i < p->nexecs; i++) {
        const gale_executor_t *x = &p->execs[i];
        char buf[256];
        size_t k = 0;

        gale_table_cell(tab, "%d", x->id);
        gale_table_cell(tab, "%s", p->topo->comps[x->comp].id);
        if (x->ntasks == 1)
            gale_table_cell(tab, "%d", x->first_task);
        else
            gale_table_cell(tab, "%d-%d", x->first_task,
                x->first_task + x->ntasks - 1);
        gale_table_cell(tab, "%d", x->worker);
        if (!chains)
            continue;
        buf[0] = '\0';
        for (m = 0; m < x->nmembers && k + 1 < sizeof buf; m++) {
            int w = snprintf(buf + k, sizeof buf - k, "%s%s", m ? ", " : "",
                p->topo->comps[x->members[m]].id);

            if (w < 0)
                break;
            k += (size_t)w < sizeof buf - k ? (size_t)w : sizeof buf - k - 1;
        }
        gale_table_cell(tab, "%s", x->nmembers > 0 ? buf : "-");
    }
    gale_table_print(tab, "  ", fp);
    gale_table_destroy(&tab);
}

/* The number of (sending task, receiving task) pairs edge e can use. */
static size_t
edge_channels(const gale_plan_t *p, int e, int *targets)
{
    const gale_topology_t *t = p->topo;
    const gale_edge_t *edge = &t->edges[e];
    int first = p->comp_first_task[edge->from], i;
    size_t n = 0;

    for (i = 0; i < t->comps[edge->from].ntasks; i++)
        n += (size_t)gale_plan_edge_targets(p, e, first + i, targets);
    return n;
}

/* Writes the channels of plan p: a count per stream edge and, when
 * verbose, every channel. */
static void
print_channels(const gale_plan_t *p, int verbose, FILE *fp)
{
    const gale_topology_t *t = p->topo;
    gale_table_t *tab = gale_table_new(6, "lllllr");
    int *targets;
    size_t i, most = 1;

    for (i = 0; i < t->ncomps; i++) {
        if ((size_t)t->comps[i].ntasks > most)
            most = (size_t)t->comps[i].ntasks;
    }
    targets = xcalloc(most, sizeof(*targets));
    fprintf(fp, "\nchannels (%zu):\n", p->nchans);
    gale_table_cell(tab, "from");
    gale_table_cell(tab, "%s", "");
    gale_table_cell(tab, "to");
    gale_table_cell(tab, "stream");
    gale_table_cell(tab, "grouping");
    gale_table_cell(tab, "channels");
    for (i = 0; i < t->nedges; i++) {
        const gale_edge_t *e = &t->edges[i];

        gale_table_cell(tab, "%s", t->comps[e->from].id);
        gale_table_cell(tab, "->");
        gale_table_cell(tab, "%s", t->comps[e->to].id);
        gale_table_cell(tab, "%s", e->stream);
        gale_table_cell(tab, "%s", gale_grouping_name(e->grouping));
        if (p->chained[i])
            gale_table_cell(tab, "chained");
        else
            gale_table_cell(tab, "%zu", edge_channels(p, (int)i, targets));
    }
    gale_table_print(tab, "  ", fp);
    gale_table_destroy(&tab);
    free(targets);
    if (!verbose)
        return;

    fputc('\n', fp);
    tab = gale_table_new(5, "rrlrl");
    gale_table_cell(tab, "channel");
    gale_table_cell(tab, "from");
    gale_table_cell(tab, "%s", "");
    gale_table_cell(tab, "to");
    gale_table_cell(tab, "%s", "");
    for (i = 0; i < p->nchans; i++) {
        const gale_channel_t *c = &p->chans[i];

        gale_table_cell(tab, "%d", c->id);
        gale_table_cell(tab, "%d", c->from_task);
        gale_table_cell(tab, "(%s)",
            t->comps[p->tasks[c->from_task - 1].comp].id);
        gale_table_cell(tab, "%d", c->to_task);
        gale_table_cell(tab, "(%s)",
            t->comps[p->tasks[c->to_task - 1].comp].id);
    }
    gale_table_print(tab, "  ", fp);
    gale_table_destroy(&tab);
}

int
cmd_plan(int argc, char **argv)
{
    gale_opts_t o;
    gale_topology_t *t = NULL;
    gale_plan_t *p = NULL;
    int rc;

    if ((rc = gale_opts_parse(&o, &plan_info, argc, argv)) != 0) {
        gale_opts_release(&o);
        return gale_opts_status(rc);
    }
    if ((rc = gale_opts_load(&o, &t, &p)) == 0) {
        printf("topology %s: %zu tasks, %zu executors, %d worker%s, "
            "%zu channels\n\n", t->name, p->ntasks, p->nexecs, p->nworkers,
            p->nworkers == 1 ? "" : "s", p->nchans);
        print_tasks(p, stdout);
        print_executors(p, stdout);
        print_channels(p, o.verbose, stdout);
    }
    gale_plan_destroy(&p);
    gale_topology_destroy(&t);
    gale_opts_release(&o);
    return rc;
}
