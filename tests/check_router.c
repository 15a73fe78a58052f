/* check_router.c - Storm's grouping semantics, on the routes of a real
 * plan (tests/data/engine/groupings.cfg): shuffle spreads evenly, fields
 * sends a key always to the same task (the one owning its key group),
 * global to the lowest task, all to every task, none at random over all,
 * local_or_shuffle only within the worker, partial_key balances a hot key
 * over two tasks, and direct enforces Storm's misuse errors. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "engine/wire/keyhash.h"
#include "engine/transport/outlet.h"
#include "engine/exec/router.h"
#include "engine/exec/task.h"
#include "topology/plan.h"
#include "topology/topology.h"

static gale_topology_t *topo;
static gale_plan_t *plan;
static gale_router_t *router;
static int src_task;                /* the spout's first task (worker 0) */

/* Outlet index = channel id (the test sends nothing). */
static int
identity_out(void *arg, int channel_id)
{
    (void)arg;
    return channel_id;
}

static void
setup(void)
{
    const char *top = getenv("top_srcdir");
    char path[4096];
    gale_diag_t *d = gale_diag_new();
    gale_load_opts_t o = { 0 };

    snprintf(path, sizeof path, "%s/tests/data/engine/groupings.cfg",
        top != NULL ? top : ".");
    topo = gale_topology_load(path, &o, d);
    if (topo == NULL)
        gale_diag_print(d, stderr);
    ck_assert_ptr_nonnull(topo);
    ck_assert_ptr_nonnull(plan = gale_plan_new(topo, d));
    gale_diag_destroy(&d);
    src_task = plan->comp_first_task[gale_topology_find(topo, "src")];
    ck_assert_ptr_nonnull(router = gale_router_new(plan, src_task,
        identity_out, NULL, NULL));
}

static void
teardown(void)
{
    gale_router_destroy(&router);
    gale_plan_destroy(&plan);
    gale_topology_destroy(&topo);
}

/* The route of the default stream to component id. */
static gale_route_t *
route_to(const char *id)
{
    int comp = gale_topology_find(topo, id);
    size_t s, r;

    for (s = 0; s < router->nstreams; s++)
        for (r = 0; r < router->streams[s].nroutes; r++)
            if (topo->edges[router->streams[s].routes[r].edge].to == comp)
                return &router->streams[s].routes[r];
    ck_abort_msg("no route to %s", id);
    return NULL;
}

/* Fills a tuple ("wN", N). */
static void
tuple(gale_datum_t v[2], char *buf, size_t len, int i)
{
    int n = snprintf(buf, len, "w%d", i);

    v[0] = gale_d_str(buf, (size_t)n);
    v[1] = gale_d_int(i);
}

START_TEST(test_shuffle_spreads_evenly)
{
    gale_route_t *rt = route_to("b_shuffle");
    int picks[16], count[16] = { 0 }, kg, i;
    gale_datum_t v[2];
    char w[32];

    ck_assert_int_eq(rt->ntargets, 3);
    for (i = 0; i < 3000; i++) {
        tuple(v, w, sizeof w, i);
        ck_assert_int_eq(gale_route_choose(rt, src_task, v, 2, NULL, picks, &kg), 1);
        ck_assert_int_eq(kg, -1);
        count[picks[0]]++;
    }
    /* Round-robin over a once-shuffled list: exactly even. */
    ck_assert_int_eq(count[0], 1000);
    ck_assert_int_eq(count[1], 1000);
    ck_assert_int_eq(count[2], 1000);
}
END_TEST

START_TEST(test_fields_same_key_same_task)
{
    gale_route_t *rt = route_to("b_fields");
    int picks[16], seen[500], used[8] = { 0 }, kg, i, rep, first, last;
    gale_datum_t v[2];
    char w[32];

    ck_assert_int_eq(rt->ntargets, 8);
    for (rep = 0; rep < 3; rep++) {
        for (i = 0; i < 500; i++) {
            tuple(v, w, sizeof w, i);
            v[1] = gale_d_int(rep * 1000 + i);  /* other fields differ */
            ck_assert_int_eq(gale_route_choose(rt, src_task, v, 2, NULL, picks, &kg), 1);
            if (rep == 0)
                seen[i] = picks[0];
            ck_assert_int_eq(picks[0], seen[i]);
            /* The chosen task owns the tuple's key group. */
            ck_assert_int_eq(kg, gale_keygroup(gale_keyhash(v, 1), 128));
            gale_keygroup_range(picks[0], 8, 128, &first, &last);
            ck_assert(kg >= first && kg <= last);
            used[picks[0]]++;
        }
    }
    for (i = 0; i < 8; i++)
        ck_assert_int_gt(used[i], 0);
}
END_TEST

START_TEST(test_fields_max_parallelism_not_pow2)
{
    /* The router maps H to key group and task by mask and table; with a
     * max_parallelism that is not a power of two it must still give
     * exactly gale_keygroup and gale_keygroup_task. */
    static const int maxps[] = { 100, 7, 1, 128, 4096 };
    gale_router_t *r2;
    gale_route_t *rt;
    int picks[16], kg, i, k, comp = gale_topology_find(topo, "b_fields");
    size_t s, j;
    gale_datum_t v[2];
    char w[32];

    for (k = 0; k < (int)(sizeof maxps / sizeof maxps[0]); k++) {
        topo->max_parallelism = maxps[k];
        ck_assert_ptr_nonnull(r2 = gale_router_new(plan, src_task,
            identity_out, NULL, NULL));
        rt = NULL;
        for (s = 0; s < r2->nstreams; s++)
            for (j = 0; j < r2->streams[s].nroutes; j++)
                if (topo->edges[r2->streams[s].routes[j].edge].to == comp)
                    rt = &r2->streams[s].routes[j];
        ck_assert_ptr_nonnull(rt);
        for (i = 0; i < 2000; i++) {
            tuple(v, w, sizeof w, i);
            ck_assert_int_eq(gale_route_choose(rt, src_task, v, 2, NULL,
                picks, &kg), 1);
            ck_assert_int_eq(kg, gale_keygroup(gale_keyhash(v, 1), maxps[k]));
            ck_assert_int_eq(picks[0], gale_keygroup_task(kg, rt->ntargets,
                maxps[k]));
        }
        gale_router_destroy(&r2);
    }
    topo->max_parallelism = 128;
}
END_TEST

START_TEST(test_tuple_field_follows_the_stream)
{
    /* gale_tuple_field caches the index per stream declaration: a tuple
     * of another stream, where the field sits elsewhere or is missing,
     * must be looked up again. */
    char *fa[] = { "word", "n" }, *fb[] = { "n", "x", "word" }, *fc[] = { "n" };
    gale_stream_decl_t da = { .id = "a", .fields = fa, .nfields = 2 };
    gale_stream_decl_t db = { .id = "b", .fields = fb, .nfields = 3 };
    gale_stream_decl_t dc = { .id = "c", .fields = fc, .nfields = 1 };
    gale_datum_t va[2] = { gale_d_str("A", 1), gale_d_int(1) };
    gale_datum_t vb[3] = { gale_d_int(2), gale_d_null(), gale_d_str("B", 1) };
    gale_datum_t vc[1] = { gale_d_int(3) };
    struct gale_tuple ta = { va, 2, &da, "p", "a", 1, 1 };
    struct gale_tuple tb = { vb, 3, &db, "p", "b", 1, 1 };
    struct gale_tuple tc = { vc, 1, &dc, "p", "c", 1, 1 };
    struct gale_tuple tick = { vc, 1, NULL, "__system", "__tick", -1, 1 };
    gale_field_t f = GALE_FIELD_INIT("word");
    gale_datum_t d;
    int i;

    for (i = 0; i < 3; i++) {
        ck_assert_int_eq(gale_tuple_field(&ta, &f, &d), 0);
        ck_assert(d.type == GALE_STRING && ((const char *)d.u.s.ptr)[0] == 'A');
        ck_assert_int_eq(gale_tuple_field(&tb, &f, &d), 0);
        ck_assert(d.type == GALE_STRING && ((const char *)d.u.s.ptr)[0] == 'B');
        ck_assert_int_eq(gale_tuple_field(&tc, &f, &d), -ENOENT);
        ck_assert_int_eq(gale_tuple_field(&tick, &f, &d), -ENOENT);
    }
    f = GALE_FIELD_INIT("rate_secs");
    ck_assert_int_eq(gale_tuple_field(&tick, &f, &d), 0);
    ck_assert_int_eq(d.u.i, 3);
}
END_TEST

START_TEST(test_global_lowest_task)
{
    gale_route_t *rt = route_to("b_global");
    int picks[16], kg, i;
    gale_datum_t v[2];
    char w[32];

    ck_assert_int_eq(rt->ntargets, 1);
    ck_assert_int_eq(rt->targets[0],
        plan->comp_first_task[gale_topology_find(topo, "b_global")]);
    for (i = 0; i < 100; i++) {
        tuple(v, w, sizeof w, i);
        ck_assert_int_eq(gale_route_choose(rt, src_task, v, 2, NULL, picks, &kg), 1);
        ck_assert_int_eq(picks[0], 0);
    }
}
END_TEST

START_TEST(test_all_every_task)
{
    gale_route_t *rt = route_to("b_all");
    int picks[16], kg;
    gale_datum_t v[2];
    char w[32];

    tuple(v, w, sizeof w, 1);
    ck_assert_int_eq(gale_route_choose(rt, src_task, v, 2, NULL, picks, &kg), 3);
    ck_assert_int_eq(picks[0], 0);
    ck_assert_int_eq(picks[1], 1);
    ck_assert_int_eq(picks[2], 2);
}
END_TEST

START_TEST(test_none_random_over_all)
{
    gale_route_t *rt = route_to("b_none");
    int picks[16], count[3] = { 0 }, kg, i, changes = 0, prev = -1;
    gale_datum_t v[2];
    char w[32];

    for (i = 0; i < 3000; i++) {
        tuple(v, w, sizeof w, 7);           /* the same tuple every time */
        ck_assert_int_eq(gale_route_choose(rt, src_task, v, 2, NULL, picks, &kg), 1);
        count[picks[0]]++;
        changes += prev >= 0 && picks[0] != prev;
        prev = picks[0];
    }
    /* Uniform: each task near 1000 (6 sigma is about 155). */
    for (i = 0; i < 3; i++)
        ck_assert(count[i] > 800 && count[i] < 1200);
    /* Not round-robin: consecutive repeats happen. */
    ck_assert_int_lt(changes, 2999);
}
END_TEST

START_TEST(test_local_or_shuffle_prefers_worker)
{
    gale_route_t *rt = route_to("b_local");
    int i, w0 = plan->tasks[src_task - 1].worker, picks[16], kg, count[16] = { 0 };
    gale_datum_t v[2];
    char w[32];

    /* b_local has 4 executors dealt over 2 workers: 2 in each. */
    ck_assert_int_eq(rt->ntargets, 2);
    for (i = 0; i < rt->ntargets; i++)
        ck_assert_int_eq(plan->tasks[rt->targets[i] - 1].worker, w0);
    for (i = 0; i < 100; i++) {
        tuple(v, w, sizeof w, i);
        ck_assert_int_eq(gale_route_choose(rt, src_task, v, 2, NULL, picks, &kg), 1);
        count[picks[0]]++;
    }
    ck_assert_int_eq(count[0], 50);
    ck_assert_int_eq(count[1], 50);
}
END_TEST

START_TEST(test_partial_key_balances_hot_key)
{
    gale_route_t *rt = route_to("b_pk");
    int picks[16], count[4] = { 0 }, kg, i, used = 0;
    gale_datum_t v[2];
    char w[32];

    for (i = 0; i < 1000; i++) {
        tuple(v, w, sizeof w, 42);          /* one hot key */
        ck_assert_int_eq(gale_route_choose(rt, src_task, v, 2, NULL, picks, &kg), 1);
        count[picks[0]]++;
    }
    /* Exactly two candidates share the key, alternating: 500 each. */
    for (i = 0; i < 4; i++) {
        if (count[i] > 0) {
            used++;
            ck_assert_int_eq(count[i], 500);
        }
    }
    ck_assert_int_eq(used, 2);
}
END_TEST

/* Router callback for a task: connects channels on the test's outlet. */
static int
outlet_out(void *arg, int channel_id)
{
    return gale_outlet_add(arg, channel_id);
}

START_TEST(test_direct_misuse_errors)
{
    void *zctx = zmq_ctx_new();
    gale_outlet_cfg_t oc = { .zctx = zctx, .prefix = "inproc://check-router/",
        .epoch = 1, .batch_size = 64, .batch_bytes = 65536,
        .flush_interval_ms = 1000, .queue_depth = 4 };
    gale_outlet_t *o = gale_outlet_new(&oc, NULL);
    int d = plan->comp_first_task[gale_topology_find(topo, "b_direct")];
    int all = plan->comp_first_task[gale_topology_find(topo, "b_all")];
    int tasks[8];
    size_t ntasks = 0;
    gale_emit_opts_t eo = { .stream = 1, .direct_task = d + 2,
        .tasks_out = tasks, .tasks_cap = 8, .ntasks_out = &ntasks };
    gale_datum_t v[2];
    char w[32], *cause = NULL;
    gale_ctx_t *t;

    t = gale_task_new(plan, src_task, o, outlet_out, o, &cause);
    ck_assert_msg(t != NULL, "%s", cause);
    tuple(v, w, sizeof w, 3);
    ck_assert_int_eq(gale_ctx_stream(t, "default"), 0);
    ck_assert_int_eq(gale_ctx_stream(t, "d"), 1);
    ck_assert_int_eq(gale_ctx_stream(t, "nope"), -ENOENT);

    /* emit_direct on the default stream, which b_* consume regularly. */
    ck_assert_int_eq(gale_emit_direct(t, d, 0, v, 2), -EPERM);
    ck_assert_str_eq(t->last_error, "Cannot emitDirect to a task expecting "
        "a regular grouping (stream default)");
    /* A regular emit on the direct stream. */
    ck_assert_int_eq(gale_emit(t, 1, v, 1), -EPERM);
    ck_assert_str_eq(t->last_error, "Cannot do regular emit to direct stream d");
    /* A direct emit to a consumer task reaches exactly that task. */
    ck_assert_int_eq(gale_emit_ex(t, &eo, v, 1), 0);
    ck_assert_uint_eq(ntasks, 1);
    ck_assert_int_eq(tasks[0], d + 2);
    /* A task that does not consume the stream. */
    ck_assert_int_eq(gale_emit_direct(t, all, 1, v, 1), -ESRCH);
    /* Wrong arity and unknown stream handles. */
    ck_assert_int_eq(gale_emit(t, 0, v, 1), -EINVAL);
    ck_assert_int_eq(gale_emit(t, 5, v, 2), -ENOENT);
    /* A regular emit returns every target task: all (3) + 6 single picks. */
    eo.stream = 0;
    eo.direct_task = -1;
    ck_assert_int_eq(gale_emit_ex(t, &eo, v, 2), 0);
    ck_assert_uint_eq(ntasks, 3 + 6);
    gale_task_destroy(&t);
    gale_outlet_destroy(&o);
    zmq_ctx_term(zctx);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("router");
    TCase *tc = tcase_create("groupings");
    SRunner *sr = srunner_create(s);
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_shuffle_spreads_evenly);
    tcase_add_test(tc, test_fields_same_key_same_task);
    tcase_add_test(tc, test_fields_max_parallelism_not_pow2);
    tcase_add_test(tc, test_tuple_field_follows_the_stream);
    tcase_add_test(tc, test_global_lowest_task);
    tcase_add_test(tc, test_all_every_task);
    tcase_add_test(tc, test_none_random_over_all);
    tcase_add_test(tc, test_local_or_shuffle_prefers_worker);
    tcase_add_test(tc, test_partial_key_balances_hot_key);
    tcase_add_test(tc, test_direct_misuse_errors);
    suite_add_tcase(s, tc);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
