/* check_coordinator.c - checkpoint coordination (engine/checkpoint/
 * coordinator) on a real plan and a real store: triggers follow the
 * interval and the minimum pause, one at a time; acknowledgements from
 * every task complete a checkpoint (its metadata is written then and only
 * then); a missing one keeps it incomplete until the timeout declines it,
 * and its files roll into the next checkpoint's chains; too many declines
 * in a row fail; completion is cumulative; ids are never reused after a
 * restart on the same directory; a checkpoint of another plan is refused. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "engine/checkpoint/ckpt.h"
#include "engine/checkpoint/coordinator.h"
#include "engine/state/kvstate.h"
#include "engine/transport/outlet.h"
#include "topology/plan.h"
#include "topology/topology.h"
#include "tests/testutil.h"

#define MS 1000000ull               /* ns per ms */
#define NTASKS 5                    /* sink 1..3, src 4..5 */

static char dir[64];
static gale_topology_t *topo;
static gale_plan_t *plan;
static gale_coord_t *coord;

/* The topology text: sink (3 tasks) fed by src (2 tasks), with conf
 * (checkpoint keys) and sink's parallelism. */
static void
build(gale_topology_t **t, gale_plan_t **p, const char *conf, int sinks,
    int maxp)
{
    gale_diag_t *d = gale_diag_new();
    char *text;

    xasprintf(&text, "name = \"coord\";\n"
        "config = { max_parallelism = %d; checkpoint = { %s }; };\n"
        "spouts = ( { id = \"src\"; type = \"x\"; parallelism = 2; fields = [\"w\"]; } );\n"
        "bolts = ( { id = \"sink\"; type = \"x\"; parallelism = %d; } );\n"
        "streams = ( { from = \"src\"; to = \"sink\"; grouping = \"fields\"; "
        "fields = [\"w\"]; } );\n", maxp, conf, sinks);
    *t = gale_topology_load_buffer("coord.cfg", text, strlen(text), NULL, d);
    ck_assert_msg(*t != NULL, "%s", gale_diag_message(d, 0));
    ck_assert_ptr_nonnull(*p = gale_plan_new(*t, d));
    gale_diag_destroy(&d);
    free(text);
}

/* Opens the coordinator for conf on the test directory. */
static void
open_coord(const char *conf)
{
    char *cause = NULL;

    build(&topo, &plan, conf, 3, 128);
    ck_assert_uint_eq(plan->ntasks, NTASKS);
    coord = gale_coord_open(plan, dir, &cause);
    ck_assert_msg(coord != NULL, "open: %s", cause);
}

static void
setup(void)
{
    strcpy(dir, "/tmp/check_coordinator.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    topo = NULL;
    plan = NULL;
    coord = NULL;
}

static void
teardown(void)
{
    gale_coord_close(&coord);
    ck_assert_ptr_null(coord);
    gale_plan_destroy(&plan);
    gale_topology_destroy(&topo);
    test_rm_tree(dir);
}

/* Whether checkpoint id's metadata file exists. */
static bool
meta_exists(uint64_t id)
{
    char path[256];

    snprintf(path, sizeof path, "%s/meta/%020llu.meta", dir,
        (unsigned long long)id);
    return access(path, F_OK) == 0;
}

/* Writes task's snapshot for checkpoint id (operator entry "pos" =
 * "<task>@<id>", and "first<task>" = "<id>" the first time), as an
 * executor and the writer would, and acknowledges it. Returns what
 * gale_coord_ack returns; *done gets the completed id. */
static int
ack(int task, uint64_t id, uint64_t *done)
{
    gale_kvstore_t *s = gale_kvstore_new(128, 0, 127);
    gale_kv_t *op = gale_kvstore_operator(s, "op");
    gale_report_ack_t a = { .task = task, .ckpt = id, .align_ns = (uint64_t)task * MS };
    gale_snap_t *snap;
    char v[32], k[32], *file = NULL, *cause = NULL;
    size_t bytes;
    int rc;

    snprintf(v, sizeof v, "%d@%llu", task, (unsigned long long)id);
    ck_assert_int_eq(gale_kv_put(op, "pos", 3, v, strlen(v)), 0);
    snprintf(k, sizeof k, "at%llu", (unsigned long long)id);
    ck_assert_int_eq(gale_kv_put(op, k, strlen(k), v, strlen(v)), 0);
    snap = gale_snap_take(s, task, id);
    ck_assert_int_eq(gale_ckpt_write_snap(dir, snap, &file, &bytes), 0);
    a.bytes = bytes;
    *done = 0;
    rc = gale_coord_ack(coord, &a, file, done, &cause);
    ck_assert_msg(rc >= 0, "ack: %s", cause);
    free(file);
    gale_snap_destroy(&snap);
    gale_kvstore_destroy(&s);
    return rc;
}

/* Triggers (forced) and returns the id. */
static uint64_t
trigger(void)
{
    uint64_t id = 0;
    char *cause = NULL;

    ck_assert_msg(gale_coord_maybe_trigger(coord, gale_now_ns(), true, &id,
        &cause) == 1, "trigger: %s", cause);
    ck_assert(gale_coord_busy(coord));
    return id;
}

/* Acknowledges id from every task; asserts it completes on the last. */
static void
ack_all(uint64_t id)
{
    uint64_t done;
    int t;

    for (t = 1; t <= NTASKS; t++) {
        ck_assert_int_eq(ack(t, id, &done), t == NTASKS);
        ck_assert(meta_exists(id) == (t == NTASKS));
    }
    ck_assert_uint_eq(done, id);
    ck_assert(!gale_coord_busy(coord));
}

/* Restores task's chain from meta into a store; returns operator value
 * key (or "" when absent), copied into buf. */
static const char *
restored(const gale_ckpt_meta_t *m, int task, const char *key, char *buf,
    size_t len)
{
    gale_kvstore_t *s = gale_kvstore_new(128, 0, 127);
    const gale_ckpt_task_t *t = gale_ckpt_meta_task(m, task);
    const void *val;
    size_t vlen;
    char *cause = NULL;

    ck_assert_ptr_nonnull(t);
    ck_assert_msg(gale_ckpt_restore_task(gale_coord_store(coord), t, s,
        &cause) == 0, "restore: %s", cause);
    buf[0] = '\0';
    if (gale_kv_get(gale_kvstore_operator(s, "op"), key, strlen(key), &val,
        &vlen) == 0)
        snprintf(buf, len, "%.*s", (int)vlen, (const char *)val);
    gale_kvstore_destroy(&s);
    return buf;
}

START_TEST(test_trigger_interval_and_one_in_flight)
{
    uint64_t now, id = 0;
    char *cause = NULL;

    open_coord("interval_ms = 1000;");
    now = gale_now_ns();
    /* Not due before the interval has passed since opening. */
    ck_assert_int_eq(gale_coord_maybe_trigger(coord, now + 100 * MS, false,
        &id, &cause), 0);
    ck_assert(!gale_coord_busy(coord));
    ck_assert_int_eq(gale_coord_maybe_trigger(coord, now + 1100 * MS, false,
        &id, &cause), 1);
    ck_assert_uint_eq(id, 1);
    ck_assert(gale_coord_busy(coord));
    /* At most one in flight, even forced. */
    id = 0;
    ck_assert_int_eq(gale_coord_maybe_trigger(coord, now + 5000 * MS, true,
        &id, &cause), 0);
    ck_assert_uint_eq(id, 0);
}
END_TEST

START_TEST(test_min_pause_after_completion)
{
    uint64_t now, id = 0;
    char *cause = NULL;

    open_coord("interval_ms = 100; min_pause_ms = 2000;");
    ack_all(trigger());
    now = gale_now_ns();
    /* The pause is longer than the interval: it rules. */
    ck_assert_int_eq(gale_coord_maybe_trigger(coord, now + 500 * MS, false,
        &id, &cause), 0);
    ck_assert_int_eq(gale_coord_maybe_trigger(coord, now + 2100 * MS, false,
        &id, &cause), 1);
    ck_assert_uint_eq(id, 2);
}
END_TEST

START_TEST(test_all_acks_complete_with_metadata)
{
    const gale_coord_stats_t *st;
    const gale_coord_record_t *r;
    gale_ckpt_meta_t *m = NULL;
    uint64_t id, done = 99, sum = 0;
    char *cause = NULL;
    size_t n, i;
    int t;

    open_coord("interval_ms = 1000;");
    id = trigger();
    ck_assert_uint_eq(id, 1);
    for (t = 1; t < NTASKS; t++)
        ck_assert_int_eq(ack(t, id, &done), 0);
    /* A duplicate does not count as task 5's. */
    ck_assert_int_eq(ack(2, id, &done), 0);
    ck_assert(!meta_exists(id));
    ck_assert(gale_coord_busy(coord));
    ck_assert_ptr_null(gale_coord_last(coord));
    ck_assert_int_eq(ack(NTASKS, id, &done), 1);
    ck_assert_uint_eq(done, 1);
    ck_assert(meta_exists(1));
    ck_assert(!gale_coord_busy(coord));

    /* The metadata on disk names every task of the plan with its file and
     * key groups. */
    ck_assert_int_eq(gale_ckpt_read_meta(gale_coord_store(coord), 1, &m,
        &cause), 0);
    ck_assert_uint_eq(m->id, 1);
    ck_assert_uint_eq(m->ntasks, NTASKS);
    ck_assert_str_eq(m->topology, "coord");
    ck_assert_int_eq(m->max_parallelism, 128);
    for (i = 0; i < m->ntasks; i++) {
        char want[32];

        ck_assert_int_eq(m->tasks[i].task_id, (int)i + 1);
        ck_assert_str_eq(m->tasks[i].component, i < 3 ? "sink" : "src");
        ck_assert_uint_eq(m->tasks[i].nfiles, 1);
        snprintf(want, sizeof want, "t%zu-1.delta", i + 1);
        ck_assert_str_eq(m->tasks[i].files[0], want);
        sum += m->tasks[i].bytes;
    }
    /* The sinks' key groups split 0..127 in three. */
    ck_assert_int_eq(m->tasks[0].kg_first, 0);
    ck_assert_int_eq(m->tasks[2].kg_last, 127);
    ck_assert_int_eq(m->tasks[1].kg_first, m->tasks[0].kg_last + 1);
    ck_assert(!gale_coord_is_final(m));
    gale_ckpt_meta_destroy(&m);

    st = gale_coord_stats(coord);
    ck_assert_uint_eq(st->completed, 1);
    ck_assert_uint_eq(st->declined, 0);
    ck_assert_uint_eq(st->last_id, 1);
    ck_assert_uint_eq(st->bytes, sum);      /* the duplicate not counted */
    ck_assert_uint_eq(st->align_ns, NTASKS * MS);   /* the slowest */
    ck_assert_ptr_nonnull(gale_coord_last(coord));
    ck_assert_uint_eq(gale_coord_last(coord)->id, 1);
    r = gale_coord_records(coord, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(r[0].outcome, GALE_COORD_COMPLETED);
    ck_assert_uint_eq(r[0].bytes, sum);
}
END_TEST

START_TEST(test_foreign_acks_ignored)
{
    gale_report_ack_t a = { .task = 0, .ckpt = 1, .bytes = 10 };
    uint64_t id, done = 0;
    char *cause = NULL;
    int t;

    open_coord("interval_ms = 1000;");
    id = trigger();
    /* Tasks the plan does not have, and a checkpoint not in flight. */
    ck_assert_int_eq(gale_coord_ack(coord, &a, "x.delta", &done, &cause), 0);
    a.task = NTASKS + 1;
    ck_assert_int_eq(gale_coord_ack(coord, &a, "x.delta", &done, &cause), 0);
    for (t = 1; t <= NTASKS; t++)
        ck_assert_int_eq(ack(t, id + 7, &done), 0);
    ck_assert(!meta_exists(id));
    ck_assert(gale_coord_busy(coord));
    ck_assert_uint_eq(gale_coord_stats(coord)->bytes, 0);
    ack_all(id);
}
END_TEST

START_TEST(test_missing_ack_times_out_and_declines)
{
    const gale_coord_record_t *r;
    const gale_ckpt_meta_t *last;
    gale_ckpt_meta_t *disk = NULL;
    uint64_t id, id2, done, declined = 0;
    char *cause = NULL, buf[64];
    size_t n;
    int t;

    open_coord("interval_ms = 1000; timeout_ms = 5000; tolerable_failures = 1;");
    id = trigger();
    for (t = 1; t < NTASKS; t++)
        ck_assert_int_eq(ack(t, id, &done), 0);
    /* Task 5 never answers: incomplete, then declined at the timeout. */
    ck_assert_int_eq(gale_coord_check_timeout(coord, gale_now_ns(), &declined,
        &cause), 0);
    ck_assert(gale_coord_busy(coord));
    ck_assert_int_eq(gale_coord_check_timeout(coord, gale_now_ns() + 5100 * MS,
        &declined, &cause), 1);
    ck_assert_uint_eq(declined, id);
    ck_assert(!gale_coord_busy(coord));
    ck_assert(!meta_exists(id));
    ck_assert_ptr_null(gale_coord_last(coord));
    ck_assert_uint_eq(gale_coord_stats(coord)->declined, 1);
    ck_assert_uint_eq(gale_coord_stats(coord)->completed, 0);

    /* Task 5's late acknowledgement of the declined one is not lost... */
    ck_assert_int_eq(ack(NTASKS, id, &done), 0);
    ck_assert(!meta_exists(id));
    /* ...the next checkpoint has a fresh id, and its chains include every
     * file of the declined one (those changes left the tasks' stores). */
    id2 = trigger();
    ck_assert_uint_eq(id2, id + 1);
    ack_all(id2);
    /* On disk (gale_coord_last may already be compacted into a base). */
    ck_assert_int_eq(gale_ckpt_read_meta(gale_coord_store(coord), id2, &disk,
        &cause), 0);
    last = gale_coord_last(coord);
    ck_assert_uint_eq(last->id, id2);
    for (t = 1; t <= NTASKS; t++) {
        const gale_ckpt_task_t *ct = gale_ckpt_meta_task(disk, t);
        char want[32];

        ck_assert_msg(ct->nfiles == 2, "task %d: %zu files", t, ct->nfiles);
        snprintf(want, sizeof want, "t%d-%llu.delta", t, (unsigned long long)id);
        ck_assert_str_eq(ct->files[0], want);
        /* The declined checkpoint's entry survives in the restore, from
         * the chain on disk and from the coordinator's (compacted) one. */
        snprintf(want, sizeof want, "%d@%llu", t, (unsigned long long)id);
        ck_assert_str_eq(restored(disk, t, "at1", buf, sizeof buf), want);
        ck_assert_str_eq(restored(last, t, "at1", buf, sizeof buf), want);
        snprintf(want, sizeof want, "%d@%llu", t, (unsigned long long)id2);
        ck_assert_str_eq(restored(last, t, "pos", buf, sizeof buf), want);
    }
    gale_ckpt_meta_destroy(&disk);
    r = gale_coord_records(coord, &n);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(r[0].outcome, GALE_COORD_DECLINED);
    ck_assert_uint_eq(r[0].id, id);
    ck_assert_int_eq(r[1].outcome, GALE_COORD_COMPLETED);
}
END_TEST

START_TEST(test_declines_beyond_tolerable_fail)
{
    uint64_t id, declined;
    char *cause = NULL;

    open_coord("interval_ms = 1000; timeout_ms = 100; tolerable_failures = 1;");
    id = trigger();
    ck_assert_int_eq(gale_coord_check_timeout(coord, gale_now_ns() + 200 * MS,
        &declined, &cause), 1);
    ck_assert_uint_eq(declined, id);
    id = trigger();
    ck_assert_int_eq(gale_coord_check_timeout(coord, gale_now_ns() + 200 * MS,
        &declined, &cause), -1);
    ck_assert_uint_eq(declined, id);
    ck_assert_ptr_nonnull(cause);
    ck_assert_str_eq(cause, "2 checkpoints in a row declined (tolerable: 1)");
    free(cause);
    cause = NULL;
    /* A completion resets the count. */
    ack_all(trigger());
    id = trigger();
    ck_assert_int_eq(gale_coord_check_timeout(coord, gale_now_ns() + 200 * MS,
        &declined, &cause), 1);
}
END_TEST

START_TEST(test_completion_is_cumulative)
{
    const gale_ckpt_meta_t *m = NULL;
    uint64_t id1, id2;
    char *cause = NULL, buf[64];
    int t;

    open_coord("interval_ms = 1000; retain = 5;");
    id1 = trigger();
    ack_all(id1);
    id2 = trigger();
    ack_all(id2);
    /* Checkpoint 2 holds each task's chain: checkpoint 1's delta, then
     * 2's; restoring it gives 1's entries and 2's newer values. */
    gale_coord_close(&coord);
    ck_assert_ptr_nonnull(coord = gale_coord_open(plan, dir, &cause));
    ck_assert_int_eq(gale_coord_load_latest(coord, &m, &cause), 1);
    ck_assert_uint_eq(m->id, id2);
    for (t = 1; t <= NTASKS; t++) {
        char want[32];

        ck_assert_uint_eq(gale_ckpt_meta_task(m, t)->nfiles, 2);
        snprintf(want, sizeof want, "%d@%llu", t, (unsigned long long)id2);
        ck_assert_str_eq(restored(m, t, "pos", buf, sizeof buf), want);
        snprintf(want, sizeof want, "%d@%llu", t, (unsigned long long)id1);
        ck_assert_str_eq(restored(m, t, "at1", buf, sizeof buf), want);
    }
    /* Both checkpoints remain valid (retain = 5). */
    ck_assert(meta_exists(id1));
    ck_assert(meta_exists(id2));
}
END_TEST

START_TEST(test_ids_not_reused_after_restart)
{
    const gale_ckpt_meta_t *m = NULL;
    uint64_t id;
    char *cause = NULL;

    open_coord("interval_ms = 1000;");
    /* No checkpoint yet: nothing to restore. */
    ck_assert_int_eq(gale_coord_load_latest(coord, &m, &cause), 0);
    ck_assert_ptr_null(m);
    ack_all(trigger());                 /* 1 completes */
    id = trigger();                     /* 2 is in flight when the run dies */
    ck_assert_uint_eq(id, 2);
    gale_coord_abandon(coord);
    ck_assert(!gale_coord_busy(coord));
    gale_coord_close(&coord);

    /* A restart on the same directory restores 1 and never hands out 2. */
    ck_assert_ptr_nonnull(coord = gale_coord_open(plan, dir, &cause));
    ck_assert_int_eq(gale_coord_load_latest(coord, &m, &cause), 1);
    ck_assert_uint_eq(m->id, 1);
    id = trigger();
    ck_assert_uint_eq(id, 3);
    ack_all(id);
    ck_assert(!meta_exists(2));
    gale_coord_close(&coord);
    /* And again, with nothing completed in between. */
    ck_assert_ptr_nonnull(coord = gale_coord_open(plan, dir, &cause));
    ck_assert_uint_eq(trigger(), 4);
}
END_TEST

START_TEST(test_final_checkpoint_marked)
{
    const gale_ckpt_meta_t *m;
    uint64_t id;
    char *cause = NULL;

    open_coord("interval_ms = 1000;");
    ack_all(trigger());
    ck_assert(!gale_coord_is_final(gale_coord_last(coord)));
    gale_coord_set_final(coord);
    id = trigger();
    ack_all(id);
    ck_assert(gale_coord_is_final(gale_coord_last(coord)));
    gale_coord_close(&coord);
    ck_assert_ptr_nonnull(coord = gale_coord_open(plan, dir, &cause));
    ck_assert_int_eq(gale_coord_load_latest(coord, &m, &cause), 1);
    ck_assert_uint_eq(m->id, id);
    ck_assert(gale_coord_is_final(m));
}
END_TEST

START_TEST(test_other_plan_refused)
{
    gale_topology_t *t2 = NULL;
    gale_plan_t *p2 = NULL;
    gale_coord_t *c2;
    const gale_ckpt_meta_t *m = NULL;
    char *cause = NULL;

    open_coord("interval_ms = 1000;");
    ack_all(trigger());
    /* Fewer sink tasks: task 4 is now src's first, not its own. */
    build(&t2, &p2, "interval_ms = 1000;", 2, 128);
    ck_assert_ptr_nonnull(c2 = gale_coord_open(p2, dir, &cause));
    ck_assert_int_eq(gale_coord_load_latest(c2, &m, &cause), -1);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(cause, "parallelism or components changed") != NULL,
        "cause: %s", cause);
    free(cause);
    cause = NULL;
    gale_coord_close(&c2);
    gale_plan_destroy(&p2);
    gale_topology_destroy(&t2);
    /* Another max_parallelism. */
    build(&t2, &p2, "interval_ms = 1000;", 3, 256);
    ck_assert_ptr_nonnull(c2 = gale_coord_open(p2, dir, &cause));
    ck_assert_int_eq(gale_coord_load_latest(c2, &m, &cause), -1);
    ck_assert_msg(strstr(cause, "max_parallelism 128") != NULL, "cause: %s",
        cause);
    free(cause);
    gale_coord_close(&c2);
    gale_plan_destroy(&p2);
    gale_topology_destroy(&t2);
}
END_TEST

START_TEST(test_checkpoints_log)
{
    char path[256], line[256];
    uint64_t declined;
    char *cause = NULL;
    FILE *fp;
    int n = 0;

    open_coord("interval_ms = 1000; timeout_ms = 100; tolerable_failures = 3;");
    ack_all(trigger());
    trigger();
    ck_assert_int_eq(gale_coord_check_timeout(coord, gale_now_ns() + 200 * MS,
        &declined, &cause), 1);
    snprintf(path, sizeof path, "%s/checkpoints.log", dir);
    ck_assert_ptr_nonnull(fp = fopen(path, "r"));
    while (fgets(line, sizeof line, fp) != NULL) {
        n++;
        ck_assert_ptr_nonnull(strstr(line, n == 1 ? "1\t1\tcompleted\t" :
            "2\t1\tdeclined\t"));
    }
    fclose(fp);
    ck_assert_int_eq(n, 2);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("coordinator");
    TCase *tc = tcase_create("core");
    SRunner *sr = srunner_create(s);
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_trigger_interval_and_one_in_flight);
    tcase_add_test(tc, test_min_pause_after_completion);
    tcase_add_test(tc, test_all_acks_complete_with_metadata);
    tcase_add_test(tc, test_foreign_acks_ignored);
    tcase_add_test(tc, test_missing_ack_times_out_and_declines);
    tcase_add_test(tc, test_declines_beyond_tolerable_fail);
    tcase_add_test(tc, test_completion_is_cumulative);
    tcase_add_test(tc, test_ids_not_reused_after_restart);
    tcase_add_test(tc, test_final_checkpoint_marked);
    tcase_add_test(tc, test_other_plan_refused);
    tcase_add_test(tc, test_checkpoints_log);
    suite_add_tcase(s, tc);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
