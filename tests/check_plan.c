/* check_plan.c - the physical plan: Storm's task ids, executor ranges,
 * worker interleaving and the channel set of each grouping. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "topology/plan.h"
#include "topology/topology.h"

static gale_topology_t *topo;
static gale_plan_t *plan;

/* Loads text and plans it; both are freed by teardown. */
static void
build(const char *text)
{
    gale_diag_t *d = gale_diag_new();

    topo = gale_topology_load_buffer("plan.cfg", text, strlen(text), NULL, d);
    ck_assert_msg(topo != NULL, "%s", gale_diag_message(d, 0));
    plan = gale_plan_new(topo, d);
    ck_assert_ptr_nonnull(plan);
    ck_assert_uint_eq(gale_diag_count(d), 0);
    gale_diag_destroy(&d);
}

static void
teardown(void)
{
    gale_plan_destroy(&plan);
    ck_assert_ptr_null(plan);
    gale_topology_destroy(&topo);
}

/* Asserts task id's component, index, executor and worker. */
static void
check_task(int id, const char *comp, int index, int exec, int worker)
{
    const gale_task_t *t = &plan->tasks[id - 1];

    ck_assert_int_eq(t->id, id);
    ck_assert_str_eq(topo->comps[t->comp].id, comp);
    ck_assert_int_eq(t->index, index);
    ck_assert_int_eq(t->executor, exec);
    ck_assert_int_eq(t->worker, worker);
}

START_TEST(test_storm_task_ids)
{
    /* Declared b, a, c with 2, 3, 1 tasks: ids go by sorted id. */
    build("name = \"ids\";\n"
        "spouts = ( { id = \"b\"; type = \"x\"; tasks = 2; fields = [\"f\"]; } );\n"
        "bolts = ( { id = \"a\"; type = \"x\"; tasks = 3; fields = [\"f\"]; },\n"
        "          { id = \"c\"; type = \"x\"; } );\n"
        "streams = ( { from = \"b\"; to = \"a\"; grouping = \"shuffle\"; },\n"
        "            { from = \"a\"; to = \"c\"; grouping = \"shuffle\"; } );\n");
    ck_assert_uint_eq(plan->ntasks, 6);
    check_task(1, "a", 0, 0, 0);
    check_task(2, "a", 1, 0, 0);
    check_task(3, "a", 2, 0, 0);
    check_task(4, "b", 0, 1, 0);
    check_task(5, "b", 1, 1, 0);
    check_task(6, "c", 0, 2, 0);
    ck_assert_int_eq(plan->comp_first_task[0], 1);
    ck_assert_int_eq(plan->comp_first_task[1], 4);
    ck_assert_int_eq(plan->comp_first_task[2], 6);
    ck_assert_int_eq(plan->comp_first_exec[2], 2);
    ck_assert_int_eq(plan->nworkers, 1);
}
END_TEST

START_TEST(test_executor_ranges)
{
    /* 5 tasks over 3 executors: 2, 2, 1. 4 over 4: one each. */
    build("name = \"ex\";\n"
        "spouts = ( { id = \"s\"; type = \"x\"; parallelism = 3; tasks = 5; fields = [\"f\"]; } );\n"
        "bolts = ( { id = \"t\"; type = \"x\"; parallelism = 4; } );\n"
        "streams = ( { from = \"s\"; to = \"t\"; grouping = \"shuffle\"; } );\n");
    ck_assert_uint_eq(plan->nexecs, 7);
    ck_assert_int_eq(plan->execs[0].first_task, 1);
    ck_assert_int_eq(plan->execs[0].ntasks, 2);
    ck_assert_int_eq(plan->execs[1].first_task, 3);
    ck_assert_int_eq(plan->execs[1].ntasks, 2);
    ck_assert_int_eq(plan->execs[2].first_task, 5);
    ck_assert_int_eq(plan->execs[2].ntasks, 1);
    ck_assert_int_eq(plan->execs[3].first_task, 6);
    ck_assert_int_eq(plan->execs[3].ntasks, 1);
    ck_assert_int_eq(plan->execs[6].first_task, 9);
    ck_assert_int_eq(plan->execs[6].comp, 1);
    check_task(4, "s", 3, 1, 0);
    check_task(5, "s", 4, 2, 0);
    /* shuffle: every pair, 5 x 4. */
    ck_assert_uint_eq(plan->nchans, 20);
}
END_TEST

START_TEST(test_worker_interleaving)
{
    build("name = \"w\";\n"
        "config = { workers = 3; };\n"
        "spouts = ( { id = \"s\"; type = \"x\"; parallelism = 2; fields = [\"f\"]; } );\n"
        "bolts = ( { id = \"t\"; type = \"x\"; parallelism = 3; tasks = 6; } );\n"
        "streams = ( { from = \"s\"; to = \"t\"; grouping = \"shuffle\"; } );\n");
    /* Executors s0 s1 t0 t1 t2 dealt over 3 workers. */
    ck_assert_int_eq(plan->nworkers, 3);
    ck_assert_int_eq(plan->execs[0].worker, 0);
    ck_assert_int_eq(plan->execs[1].worker, 1);
    ck_assert_int_eq(plan->execs[2].worker, 2);
    ck_assert_int_eq(plan->execs[3].worker, 0);
    ck_assert_int_eq(plan->execs[4].worker, 1);
    /* s: tasks 1 and 2; t's tasks: 3-4 exec 2, 5-6 exec 3, 7-8 exec 4. */
    check_task(1, "s", 0, 0, 0);
    check_task(2, "s", 1, 1, 1);
    check_task(3, "t", 0, 2, 2);
    check_task(4, "t", 1, 2, 2);
    check_task(5, "t", 2, 3, 0);
    check_task(8, "t", 5, 4, 1);
}
END_TEST

START_TEST(test_fewer_executors_than_workers)
{
    build("name = \"few\";\n"
        "config = { workers = 5; chaining = false; };\n"
        "spouts = ( { id = \"s\"; type = \"x\"; fields = [\"f\"]; } );\n"
        "bolts = ( { id = \"t\"; type = \"x\"; } );\n"
        "streams = ( { from = \"s\"; to = \"t\"; grouping = \"shuffle\"; } );\n");
    ck_assert_int_eq(plan->nworkers, 2);
    ck_assert_int_eq(plan->execs[1].worker, 1);
}
END_TEST

START_TEST(test_channels_per_grouping)
{
    static const int want[][2] = {
        { 10, 1 }, { 10, 2 }, { 10, 3 }, { 10, 6 }, { 10, 8 },
        { 11, 1 }, { 11, 2 }, { 11, 3 }, { 11, 7 }, { 11, 9 }
    };
    int out[8], n;
    size_t i;

    build("name = \"ch\";\n"
        "config = { workers = 2; };\n"
        "spouts = ( { id = \"s\"; type = \"x\"; parallelism = 2; fields = [\"k\"];\n"
        "             streams = ( { id = \"x\"; fields = [\"k\"]; } ); } );\n"
        "bolts = ( { id = \"f\"; type = \"x\"; tasks = 2; },\n"
        "          { id = \"g\"; type = \"x\"; tasks = 3; },\n"
        "          { id = \"l\"; type = \"x\"; parallelism = 4; } );\n"
        "streams = ( { from = \"s\"; to = \"g\"; grouping = \"global\"; },\n"
        "            { from = \"s\"; to = \"l\"; grouping = \"local_or_shuffle\"; },\n"
        "            { from = \"s\"; to = \"f\"; grouping = \"fields\"; fields = [\"k\"]; },\n"
        "            { from = \"s\"; to = \"f\"; stream = \"x\"; grouping = \"all\"; } );\n");
    /* f: 1-2 (w0), g: 3-5 (w1), l: 6 w0, 7 w1, 8 w0, 9 w1, s: 10 w0, 11 w1 */
    ck_assert_uint_eq(plan->nchans, sizeof(want) / sizeof(want[0]));
    for (i = 0; i < plan->nchans; i++) {
        ck_assert_int_eq(plan->chans[i].id, (int)i);
        ck_assert_int_eq(plan->chans[i].from_task, want[i][0]);
        ck_assert_int_eq(plan->chans[i].to_task, want[i][1]);
        ck_assert_int_eq(gale_plan_channel(plan, want[i][0], want[i][1]),
            (int)i);
    }
    ck_assert_int_eq(gale_plan_channel(plan, 10, 4), -1);
    ck_assert_int_eq(gale_plan_channel(plan, 10, 7), -1);
    ck_assert_int_eq(gale_plan_channel(plan, 1, 10), -1);
    ck_assert_int_eq(gale_plan_channel(plan, 99, 99), -1);
    /* Targets per edge. */
    n = gale_plan_edge_targets(plan, 0, 11, out);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(out[0], 3);
    n = gale_plan_edge_targets(plan, 1, 11, out);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(out[0], 7);
    ck_assert_int_eq(out[1], 9);
    n = gale_plan_edge_targets(plan, 2, 10, out);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(out[0], 1);
    ck_assert_int_eq(out[1], 2);
}
END_TEST

START_TEST(test_local_or_shuffle_fallback)
{
    int out[4];

    build("name = \"lf\";\n"
        "config = { workers = 2; };\n"
        "spouts = ( { id = \"a\"; type = \"x\"; parallelism = 2; fields = [\"k\"]; } );\n"
        "bolts = ( { id = \"b\"; type = \"x\"; parallelism = 1; } );\n"
        "streams = ( { from = \"a\"; to = \"b\"; grouping = \"local_or_shuffle\"; } );\n");
    /* a: 1 (w0), 2 (w1); b: 3 (w0). Task 2 has no local b: all of b. */
    check_task(3, "b", 0, 2, 0);
    ck_assert_int_eq(gale_plan_edge_targets(plan, 0, 1, out), 1);
    ck_assert_int_eq(out[0], 3);
    ck_assert_int_eq(gale_plan_edge_targets(plan, 0, 2, out), 1);
    ck_assert_int_eq(out[0], 3);
    ck_assert_uint_eq(plan->nchans, 2);
    ck_assert_int_eq(gale_plan_channel(plan, 1, 3), 0);
    ck_assert_int_eq(gale_plan_channel(plan, 2, 3), 1);
}
END_TEST

START_TEST(test_other_groupings_use_all_tasks)
{
    static const char *const groupings[] = { "shuffle", "none", "all",
        "direct", "partial_key", "custom" };
    char text[1024];
    size_t i;

    for (i = 0; i < sizeof(groupings) / sizeof(groupings[0]); i++) {
        snprintf(text, sizeof(text), "name = \"g\";\n"
            "config = { workers = 2; };\n"
            "spouts = ( { id = \"a\"; type = \"x\"; parallelism = 2; fields = [\"k\"]; direct = %s; } );\n"
            "bolts = ( { id = \"b\"; type = \"x\"; parallelism = 3; } );\n"
            "streams = ( { from = \"a\"; to = \"b\"; grouping = \"%s\"; %s } );\n",
            strcmp(groupings[i], "direct") == 0 ? "true" : "false",
            groupings[i],
            strcmp(groupings[i], "partial_key") == 0 ? "fields = [\"k\"];" :
            strcmp(groupings[i], "custom") == 0 ?
            "custom = { name = \"c\"; };" : "");
        build(text);
        ck_assert_uint_eq(plan->nchans, 6);
        gale_plan_destroy(&plan);
        gale_topology_destroy(&topo);
    }
}
END_TEST


/* Whether edge e of the plan is chained. */
static bool
chained(int e)
{
    return plan->chained[e];
}

START_TEST(test_chains)
{
    int out[4];

    /* s x2 -> shuffle -> a x2 -> fields -> b x2 -> none -> c x2, and a ->
     * local_or_shuffle -> d x2: chained but the fields edge; b heads a
     * chain with c. Task ids are Storm's, whatever is chained. */
    build("name = \"ch\";\n"
        "config = { workers = 2; };\n"
        "spouts = ( { id = \"s\"; type = \"x\"; parallelism = 2; fields = [\"k\"]; } );\n"
        "bolts = ( { id = \"a\"; type = \"x\"; parallelism = 2; fields = [\"k\"]; },\n"
        "          { id = \"b\"; type = \"x\"; parallelism = 2; fields = [\"k\"]; },\n"
        "          { id = \"c\"; type = \"x\"; parallelism = 2; },\n"
        "          { id = \"d\"; type = \"x\"; parallelism = 2; } );\n"
        "streams = ( { from = \"s\"; to = \"a\"; grouping = \"shuffle\"; },\n"
        "            { from = \"a\"; to = \"b\"; grouping = \"fields\"; fields = [\"k\"]; },\n"
        "            { from = \"b\"; to = \"c\"; grouping = \"none\"; },\n"
        "            { from = \"a\"; to = \"d\"; grouping = \"local_or_shuffle\"; } );\n");
    ck_assert(chained(0));
    ck_assert(!chained(1));
    ck_assert(chained(2));
    ck_assert(chained(3));
    /* Executors: b's two (with c), s's two (with a, then d). */
    ck_assert_uint_eq(plan->nexecs, 4);
    ck_assert_int_eq(plan->execs[0].comp, 1);       /* b */
    ck_assert_int_eq(plan->execs[0].nmembers, 1);
    ck_assert_int_eq(plan->execs[0].members[0], 2); /* c */
    ck_assert_int_eq(plan->execs[2].comp, 4);       /* s */
    ck_assert_int_eq(plan->execs[2].nmembers, 2);
    ck_assert_int_eq(plan->execs[2].members[0], 0); /* a, then what a feeds */
    ck_assert_int_eq(plan->execs[2].members[1], 3); /* d */
    /* a = 1-2, b = 3-4, c = 5-6, d = 7-8, s = 9-10; a member's task i
     * runs where its head's task i runs. */
    check_task(1, "a", 0, 2, 0);
    check_task(2, "a", 1, 3, 1);
    check_task(3, "b", 0, 0, 0);
    check_task(5, "c", 0, 0, 0);
    check_task(6, "c", 1, 1, 1);
    check_task(8, "d", 1, 3, 1);
    check_task(9, "s", 0, 2, 0);
    ck_assert_int_eq(gale_plan_exec_task(plan, 3, 3, 0), 8);
    ck_assert_int_eq(gale_plan_exec_task(plan, 3, 4, 0), 10);
    /* A chained edge targets the task of the same index, by no channel. */
    ck_assert_int_eq(gale_plan_edge_targets(plan, 0, 10, out), 1);
    ck_assert_int_eq(out[0], 2);
    ck_assert_uint_eq(plan->nchans, 4);             /* a -> b only */
    ck_assert_int_eq(gale_plan_channel(plan, 10, 2), -1);
    ck_assert_int_eq(gale_plan_channel(plan, 1, 4), 1);
}
END_TEST

START_TEST(test_what_does_not_chain)
{
    /* s x2 -> a: the edge from s to a is edge 0. */
    static const char *const cases[][3] = {
        /* fields, global, all: not a one-to-one forward */
        { "", "parallelism = 2;", "grouping = \"fields\"; fields = [\"k\"];" },
        { "", "parallelism = 2;", "grouping = \"global\";" },
        { "", "parallelism = 2;", "grouping = \"all\";" },
        /* other parallelism, other task counts */
        { "", "parallelism = 3;", "grouping = \"shuffle\";" },
        { "", "parallelism = 2; tasks = 4;", "grouping = \"shuffle\";" },
        /* switched off: for the topology, for a component */
        { "chaining = false;", "parallelism = 2;", "grouping = \"shuffle\";" },
        { "", "parallelism = 2; config = { chaining = false; };",
          "grouping = \"shuffle\";" },
        /* a shell component */
        { "", "parallelism = 2; type = \"shell\"; command = [\"true\"];",
          "grouping = \"shuffle\";" },
    };
    char text[2048];
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(text, sizeof(text), "name = \"no\";\n"
            "config = { %s };\n"
            "spouts = ( { id = \"s\"; type = \"x\"; parallelism = 2; fields = [\"k\"]; } );\n"
            "bolts = ( { id = \"a\"; %s%s } );\n"
            "streams = ( { from = \"s\"; to = \"a\"; %s } );\n",
            cases[i][0], strstr(cases[i][1], "type") ? "" : "type = \"x\"; ",
            cases[i][1], cases[i][2]);
        build(text);
        ck_assert_msg(!chained(0), "case %zu chained", i);
        ck_assert_int_eq(plan->chain_from[0], -1);
        gale_plan_destroy(&plan);
        gale_topology_destroy(&topo);
    }
    /* A second input: neither edge chains. */
    build("name = \"two\";\n"
        "spouts = ( { id = \"s\"; type = \"x\"; fields = [\"k\"]; },\n"
        "           { id = \"t\"; type = \"x\"; fields = [\"k\"]; } );\n"
        "bolts = ( { id = \"a\"; type = \"x\"; } );\n"
        "streams = ( { from = \"s\"; to = \"a\"; grouping = \"shuffle\"; },\n"
        "            { from = \"t\"; to = \"a\"; grouping = \"shuffle\"; } );\n");
    ck_assert(!chained(0) && !chained(1));
    ck_assert_uint_eq(plan->nexecs, 3);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("plan");
    TCase *tc = tcase_create("core");
    SRunner *sr = srunner_create(s);
    int failed;

    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, test_storm_task_ids);
    tcase_add_test(tc, test_executor_ranges);
    tcase_add_test(tc, test_worker_interleaving);
    tcase_add_test(tc, test_fewer_executors_than_workers);
    tcase_add_test(tc, test_channels_per_grouping);
    tcase_add_test(tc, test_local_or_shuffle_fallback);
    tcase_add_test(tc, test_other_groupings_use_all_tasks);
    tcase_add_test(tc, test_chains);
    tcase_add_test(tc, test_what_does_not_chain);
    suite_add_tcase(s, tc);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
