/* check_savepoint.c - savepoints (engine/checkpoint/savepoint): taking one
 * from a checkpoint store (self-contained, never overwritten), checking
 * and inspecting it, importing it into a topology's store with the same
 * or another task count (keyed state follows key groups: every key lands
 * once, in the task owning its key group; operator state follows the task
 * index), the refusals (max_parallelism, a missing component with state,
 * a spout's task count), and corrupt or foreign savepoints giving a clear
 * error without a half-written restore point. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/xalloc.h"
#include "engine/checkpoint/ckpt.h"
#include "engine/checkpoint/savepoint.h"
#include "engine/state/kvstate.h"
#include "engine/wire/keyhash.h"
#include "topology/plan.h"
#include "topology/topology.h"
#include "tests/testutil.h"

#define MAXP 64
#define NKEYS 300

static char root[64];               /* everything the test writes */
static char src_dir[128];           /* the source store */
static char sp_dir[128];            /* the savepoint */
static char cfg_path[128];          /* a topology file to copy */

/* A topology: spout src (spout_tasks tasks) feeding bolt comp (ntasks). */
static void
build(gale_topology_t **t, gale_plan_t **p, const char *comp, int ntasks,
    int spout_tasks, int maxp)
{
    gale_diag_t *d = gale_diag_new();
    char *text;

    xasprintf(&text, "name = \"sp\";\n"
        "config = { max_parallelism = %d; };\n"
        "spouts = ( { id = \"src\"; type = \"x\"; tasks = %d; fields = [\"w\"]; } );\n"
        "bolts = ( { id = \"%s\"; type = \"x\"; tasks = %d; } );\n"
        "streams = ( { from = \"src\"; to = \"%s\"; grouping = \"fields\"; "
        "fields = [\"w\"]; } );\n", maxp, spout_tasks, comp, ntasks, comp);
    *t = gale_topology_load_buffer(cfg_path, text, strlen(text), NULL, d);
    ck_assert_msg(*t != NULL, "%s", gale_diag_message(d, 0));
    ck_assert_ptr_nonnull(*p = gale_plan_new(*t, d));
    gale_diag_destroy(&d);
    free(text);
}

static void
free_plan(gale_topology_t **t, gale_plan_t **p)
{
    gale_plan_destroy(p);
    gale_topology_destroy(t);
}

/* Key i's name and key group. */
static int
key_of(int i, char *k, size_t len)
{
    snprintf(k, len, "w%d", i);
    return gale_keygroup(gale_keyhash_bytes(k, strlen(k)), MAXP);
}

/* Writes checkpoint 1 of plan p into src_dir, as running tasks would:
 * bolt task(s) of `count` hold keyed "counts" w<i> = "<i>" for the keys in
 * their key groups and operator "who" = "count/<index>"; spout tasks hold
 * operator "pos" = "src/<index>". Returns the metadata (caller frees). */
static gale_ckpt_meta_t *
make_store(const gale_plan_t *p)
{
    const gale_topology_t *topo = p->topo;
    gale_ckpt_t *c;
    gale_ckpt_meta_t *m;
    char *cause = NULL, *file = NULL, k[32], v[32];
    uint64_t id;
    size_t i, bytes;
    int j;

    ck_assert_msg((c = gale_ckpt_open(src_dir, &cause)) != NULL, "%s", cause);
    ck_assert_int_eq(gale_ckpt_next_id(c, &id), 0);
    m = gale_ckpt_meta_new(id, 1, topo->name, topo->max_parallelism);
    for (i = 0; i < p->ntasks; i++) {
        const gale_task_t *pt = &p->tasks[i];
        const gale_comp_t *comp = &topo->comps[pt->comp];
        gale_kvstore_t *s;
        gale_ckpt_task_t *ct;
        gale_snap_t *snap;
        int first, last;

        gale_keygroup_range(pt->index, comp->ntasks, topo->max_parallelism,
            &first, &last);
        s = gale_kvstore_new(topo->max_parallelism, first, last);
        if (comp->kind == GALE_BOLT) {
            for (j = 0; j < NKEYS; j++) {
                int kg = key_of(j, k, sizeof k);

                if (kg < first || kg > last)
                    continue;
                snprintf(v, sizeof v, "%d", j);
                gale_kvstore_set_keygroup(s, kg);
                ck_assert_int_eq(gale_kv_put(gale_kvstore_keyed(s, "counts"),
                    k, strlen(k), v, strlen(v)), 0);
            }
            gale_kvstore_set_keygroup(s, -1);
        }
        snprintf(v, sizeof v, "%s/%d", comp->id, pt->index);
        ck_assert_int_eq(gale_kv_put(gale_kvstore_operator(s,
            comp->kind == GALE_BOLT ? "who" : "pos"), "k", 1, v, strlen(v)), 0);
        snap = gale_snap_take(s, pt->id, id);
        ck_assert_int_eq(gale_ckpt_write_snap(src_dir, snap, &file, &bytes), 0);
        ct = gale_ckpt_meta_add_task(m, pt->id, comp->id, pt->index, first, last);
        gale_ckpt_task_append(ct, file, bytes);
        free(file);
        gale_snap_destroy(&snap);
        gale_kvstore_destroy(&s);
    }
    gale_ckpt_meta_set(m, "final", "0");
    ck_assert_int_eq(gale_ckpt_write_meta(c, m), 0);
    gale_ckpt_close(&c);
    return m;
}

static void
setup(void)
{
    FILE *fp;

    strcpy(root, "/tmp/check_savepoint.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    snprintf(src_dir, sizeof src_dir, "%s/state", root);
    snprintf(sp_dir, sizeof sp_dir, "%s/sp1", root);
    snprintf(cfg_path, sizeof cfg_path, "%s/sp.cfg", root);
    ck_assert_ptr_nonnull(fp = fopen(cfg_path, "w"));
    fputs("# the topology file\n", fp);
    fclose(fp);
}

static void
teardown(void)
{
    test_rm_tree(root);
}

/* Takes a savepoint of a 3-task `count` topology into sp_dir. */
static void
take_savepoint(void)
{
    gale_topology_t *t;
    gale_plan_t *p;
    gale_ckpt_meta_t *m;
    char *cause = NULL;

    build(&t, &p, "count", 3, 2, MAXP);
    m = make_store(p);
    ck_assert_msg(gale_savepoint_write(src_dir, m, cfg_path, sp_dir, &cause)
        == 0, "write: %s", cause);
    gale_ckpt_meta_destroy(&m);
    free_plan(&t, &p);
}

/* Reads a whole small file into a new string. */
static char *
slurp(const char *path)
{
    FILE *fp = fopen(path, "r");
    char *s = xcalloc(1, 65536);

    ck_assert_ptr_nonnull(fp);
    (void)!fread(s, 1, 65535, fp);
    fclose(fp);
    return s;
}

/* Counts of where each key landed after an import. */
typedef struct found {
    int owner[NKEYS];               /* task index holding key i, or -1 */
    int dups;                       /* keys found in two tasks */
    int bad;                        /* wrong value, or unknown key */
    int cur;                        /* task index being walked */
} found_t;

static int
found_key(void *arg, const void *key, size_t klen, const void *val,
    size_t vlen)
{
    found_t *f = arg;
    char k[32], v[32];
    int i;

    snprintf(k, sizeof k, "%.*s", (int)klen, (const char *)key);
    snprintf(v, sizeof v, "%.*s", (int)vlen, (const char *)val);
    i = atoi(k + 1);
    if (k[0] != 'w' || i < 0 || i >= NKEYS || atoi(v) != i) {
        f->bad++;
        return 0;
    }
    if (f->owner[i] != -1)
        f->dups++;
    f->owner[i] = f->cur;
    return 0;
}

/* Imports the savepoint into a fresh store for a `count` topology of
 * ntasks and checks the result: every key once, in the task owning its
 * key group, operator state by task index. */
static void
check_rescale(int ntasks)
{
    gale_topology_t *t;
    gale_plan_t *p;
    gale_ckpt_t *dst;
    gale_ckpt_meta_t *m = NULL;
    char dst_dir[160], *cause = NULL, k[32];
    const void *val;
    size_t vlen, i;
    uint64_t nid = 0;
    found_t f;
    int j, ci;

    snprintf(dst_dir, sizeof dst_dir, "%s/state%d", root, ntasks);
    build(&t, &p, "count", ntasks, 2, MAXP);
    ck_assert_ptr_nonnull(dst = gale_ckpt_open(dst_dir, &cause));
    ck_assert_msg(gale_savepoint_import(dst, sp_dir, 0, "sp1", p, false, &nid,
        &cause) == 0, "import: %s", cause);
    ck_assert_uint_eq(nid, 1);
    ck_assert_int_eq(gale_ckpt_read_meta(dst, nid, &m, &cause), 0);
    ck_assert_uint_eq(m->ntasks, p->ntasks);
    ck_assert_str_eq(gale_ckpt_meta_get(m, "restored.from"), "sp1#1");
    ci = gale_topology_find(t, "count");
    for (j = 0; j < NKEYS; j++)
        f.owner[j] = -1;
    f.dups = f.bad = 0;
    for (i = 0; i < m->ntasks; i++) {
        const gale_ckpt_task_t *ct = &m->tasks[i];
        const gale_task_t *pt = &p->tasks[ct->task_id - 1];
        gale_kvstore_t *s;
        int first, last;

        gale_keygroup_range(pt->index, t->comps[pt->comp].ntasks, MAXP,
            &first, &last);
        ck_assert_int_eq(ct->kg_first, first);
        ck_assert_int_eq(ct->kg_last, last);
        s = gale_kvstore_new(MAXP, first, last);
        ck_assert_msg(gale_ckpt_restore_task(dst, ct, s, &cause) == 0,
            "restore %d: %s", ct->task_id, cause);
        if (pt->comp == ci) {
            char want[32];
            int rc;

            f.cur = pt->index;
            gale_kv_iterate(gale_kvstore_keyed(s, "counts"), found_key, &f);
            /* Operator state: old task index i goes to i mod ntasks; with
             * two sources the later one wins. */
            rc = gale_kv_get(gale_kvstore_operator(s, "who"), "k", 1, &val,
                &vlen);
            if (pt->index < 3) {
                int from = pt->index, o;

                for (o = 0; o < 3; o++)
                    if (o % ntasks == pt->index)
                        from = o;
                snprintf(want, sizeof want, "count/%d", from);
                ck_assert_int_eq(rc, 0);
                ck_assert_uint_eq(vlen, strlen(want));
                ck_assert(memcmp(val, want, vlen) == 0);
            } else {
                ck_assert_int_eq(rc, -ENOENT);  /* a new task */
            }
        } else {
            char want[32];

            snprintf(want, sizeof want, "src/%d", pt->index);
            ck_assert_int_eq(gale_kv_get(gale_kvstore_operator(s, "pos"), "k",
                1, &val, &vlen), 0);
            ck_assert(vlen == strlen(want) && memcmp(val, want, vlen) == 0);
        }
        gale_kvstore_destroy(&s);
    }
    ck_assert_int_eq(f.bad, 0);
    ck_assert_int_eq(f.dups, 0);
    for (j = 0; j < NKEYS; j++) {
        int kg = key_of(j, k, sizeof k);

        ck_assert_msg(f.owner[j] != -1, "key %s lost", k);
        ck_assert_int_eq(f.owner[j], gale_keygroup_task(kg, ntasks, MAXP));
    }
    gale_ckpt_meta_destroy(&m);
    gale_ckpt_close(&dst);
    free_plan(&t, &p);
}

START_TEST(test_take_is_self_contained)
{
    struct stat st;
    char path[256], *text, *cause = NULL;
    gale_topology_t *t;
    gale_plan_t *p;
    gale_ckpt_meta_t *m;
    gale_ckpt_t *c;
    size_t i;

    build(&t, &p, "count", 3, 2, MAXP);
    m = make_store(p);
    ck_assert_int_eq(gale_savepoint_write(src_dir, m, cfg_path, sp_dir,
        &cause), 0);
    ck_assert(gale_savepoint_is(sp_dir));
    ck_assert(!gale_savepoint_is(src_dir));
    ck_assert_int_eq(gale_savepoint_check(sp_dir, &cause), 0);
    /* Every file of the chains, the metadata and the topology copy. */
    for (i = 0; i < m->ntasks; i++) {
        snprintf(path, sizeof path, "%s/files/%s", sp_dir, m->tasks[i].files[0]);
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_uint_eq((uint64_t)st.st_size, m->tasks[i].sizes[0]);
    }
    snprintf(path, sizeof path, "%s/topology.cfg", sp_dir);
    text = slurp(path);
    ck_assert_str_eq(text, "# the topology file\n");
    free(text);
    snprintf(path, sizeof path, "%s/SAVEPOINT", sp_dir);
    text = slurp(path);
    ck_assert_ptr_nonnull(strstr(text, "gale savepoint\nformat 1\ncheckpoint 1\n"
        "topology sp\n"));
    free(text);
    /* Its store verifies on its own, even after the source is gone. */
    gale_rm_rf(src_dir);
    ck_assert_ptr_nonnull(c = gale_ckpt_open(sp_dir, &cause));
    {
        gale_ckpt_meta_t *r = NULL;
        uint64_t id;

        ck_assert_int_eq(gale_ckpt_latest(c, &id), 0);
        ck_assert_uint_eq(id, 1);
        ck_assert_int_eq(gale_ckpt_read_meta(c, 1, &r, &cause), 0);
        ck_assert_uint_eq(r->ntasks, 5);
        gale_ckpt_meta_destroy(&r);
    }
    gale_ckpt_close(&c);
    /* Never overwritten; no temporary left behind. */
    ck_assert_int_eq(gale_savepoint_write(src_dir, m, cfg_path, sp_dir,
        &cause), -EEXIST);
    ck_assert_ptr_nonnull(strstr(cause, "already exists"));
    free(cause);
    gale_ckpt_meta_destroy(&m);
    free_plan(&t, &p);
}
END_TEST

START_TEST(test_write_failure_leaves_nothing)
{
    gale_topology_t *t;
    gale_plan_t *p;
    gale_ckpt_meta_t *m;
    char path[256], *cause = NULL;
    struct stat st;

    build(&t, &p, "count", 3, 2, MAXP);
    m = make_store(p);
    /* A chain names a file that is gone: no savepoint, no temporary. */
    snprintf(path, sizeof path, "%s/files/%s", src_dir, m->tasks[1].files[0]);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(gale_savepoint_write(src_dir, m, cfg_path, sp_dir,
        &cause), -ENOENT);
    ck_assert_msg(strstr(cause, m->tasks[1].files[0]) != NULL, "%s", cause);
    free(cause);
    ck_assert_int_ne(stat(sp_dir, &st), 0);
    snprintf(path, sizeof path, "%s.tmp-%d", sp_dir, (int)getpid());
    ck_assert_int_ne(stat(path, &st), 0);
    gale_ckpt_meta_destroy(&m);
    free_plan(&t, &p);
}
END_TEST

START_TEST(test_inspect)
{
    char *buf = NULL, *cause = NULL;
    size_t len = 0;
    FILE *out;

    take_savepoint();
    ck_assert_ptr_nonnull(out = open_memstream(&buf, &len));
    ck_assert_int_eq(gale_savepoint_inspect(sp_dir, out, &cause), 0);
    fclose(out);
    ck_assert_ptr_nonnull(strstr(buf, "format          savepoint 1, checkpoint files 1\n"));
    ck_assert_ptr_nonnull(strstr(buf, "topology        sp\n"));
    ck_assert_ptr_nonnull(strstr(buf, "checkpoint      1 (attempt 1)"));
    ck_assert_ptr_nonnull(strstr(buf, "max_parallelism 64\n"));
    ck_assert_ptr_nonnull(strstr(buf, "sp.cfg (copy: topology.cfg)"));
    /* One row per task: count's three split 0-63, src's two too. */
    ck_assert_ptr_nonnull(strstr(buf, "count                    1      0 0-21"));
    ck_assert_ptr_nonnull(strstr(buf, "count                    3      2 43-63"));
    ck_assert_ptr_nonnull(strstr(buf, "src                      5      1 32-63"));
    ck_assert_ptr_nonnull(strstr(buf, "\n5 tasks, "));
    free(buf);
}
END_TEST

START_TEST(test_restore_same_layout)
{
    take_savepoint();
    check_rescale(3);
}
END_TEST

START_TEST(test_rescale_up)
{
    take_savepoint();
    check_rescale(5);
}
END_TEST

START_TEST(test_rescale_down)
{
    take_savepoint();
    check_rescale(2);
    check_rescale(1);
}
END_TEST

START_TEST(test_import_ids_fresh)
{
    gale_topology_t *t;
    gale_plan_t *p;
    gale_ckpt_t *dst;
    uint64_t id = 0, nid = 0;
    char dst_dir[160], *cause = NULL;

    take_savepoint();
    snprintf(dst_dir, sizeof dst_dir, "%s/busy", root);
    build(&t, &p, "count", 4, 2, MAXP);
    ck_assert_ptr_nonnull(dst = gale_ckpt_open(dst_dir, &cause));
    /* The destination already handed out ids: the import takes a new one. */
    ck_assert_int_eq(gale_ckpt_next_id(dst, &id), 0);
    ck_assert_int_eq(gale_ckpt_next_id(dst, &id), 0);
    ck_assert_int_eq(gale_savepoint_import(dst, sp_dir, 1, "sp1", p, false,
        &nid, &cause), 0);
    ck_assert_uint_eq(nid, 3);
    ck_assert_int_eq(gale_ckpt_latest(dst, &id), 0);
    ck_assert_uint_eq(id, 3);
    gale_ckpt_close(&dst);
    free_plan(&t, &p);
}
END_TEST

/* Imports checkpoint id (0: newest) of src into plan p; expects a
 * refusal whose cause holds want, and no checkpoint written. */
static void
expect_refused_from(const char *src, uint64_t id, gale_plan_t *p,
    bool allow_missing, const char *want)
{
    gale_ckpt_t *dst;
    char dst_dir[160], *cause = NULL;
    uint64_t nid = 0;

    snprintf(dst_dir, sizeof dst_dir, "%s/refused", root);
    gale_rm_rf(dst_dir);
    ck_assert_ptr_nonnull(dst = gale_ckpt_open(dst_dir, &cause));
    ck_assert_int_eq(gale_savepoint_import(dst, src, id, "sp1", p,
        allow_missing, &nid, &cause), -1);
    ck_assert_ptr_nonnull(cause);
    ck_assert_msg(strstr(cause, want) != NULL, "cause: %s", cause);
    free(cause);
    ck_assert_int_eq(gale_ckpt_latest(dst, &nid), -ENOENT);
    gale_ckpt_close(&dst);
}

static void
expect_refused(gale_plan_t *p, bool allow_missing, const char *want)
{
    expect_refused_from(sp_dir, 0, p, allow_missing, want);
}

START_TEST(test_refusals)
{
    gale_topology_t *t;
    gale_plan_t *p;
    gale_ckpt_t *dst;
    char dst_dir[160], *cause = NULL;
    uint64_t nid = 0;

    take_savepoint();
    /* A checkpoint id the savepoint does not hold. */
    build(&t, &p, "count", 3, 2, MAXP);
    expect_refused_from(sp_dir, 5, p, false, "sp1: checkpoint 5: "
        "meta/00000000000000000005.meta: no such checkpoint");
    free_plan(&t, &p);
    build(&t, &p, "count", 3, 2, 128);
    expect_refused(p, false, "max_parallelism 64, the topology 128");
    free_plan(&t, &p);
    /* count renamed: its state would be dropped. */
    build(&t, &p, "tally", 3, 2, MAXP);
    expect_refused(p, false, "component `count` holds state there but is not "
        "in the topology");
    /* Unless allowed: then the import goes through without it. */
    snprintf(dst_dir, sizeof dst_dir, "%s/allowed", root);
    ck_assert_ptr_nonnull(dst = gale_ckpt_open(dst_dir, &cause));
    ck_assert_int_eq(gale_savepoint_import(dst, sp_dir, 0, "sp1", p, true,
        &nid, &cause), 0);
    gale_ckpt_close(&dst);
    free_plan(&t, &p);
    /* A spout's task count. */
    build(&t, &p, "count", 3, 3, MAXP);
    expect_refused(p, false, "spout `src` had 2 tasks, the topology gives it 3");
    free_plan(&t, &p);
}
END_TEST

START_TEST(test_not_a_savepoint)
{
    char path[256], *cause = NULL;
    gale_topology_t *t;
    gale_plan_t *p;
    FILE *fp;

    ck_assert(!gale_savepoint_is(root));
    ck_assert_int_eq(gale_savepoint_check(root, &cause), -1);
    ck_assert_ptr_nonnull(strstr(cause, "not a savepoint (no SAVEPOINT file)"));
    free(cause);
    cause = NULL;
    /* Importing a store with nothing in it. */
    snprintf(path, sizeof path, "%s/empty", root);
    build(&t, &p, "count", 3, 2, MAXP);
    expect_refused_from(path, 0, p, false, "no valid checkpoint there");
    free_plan(&t, &p);

    take_savepoint();
    snprintf(path, sizeof path, "%s/SAVEPOINT", sp_dir);
    ck_assert_ptr_nonnull(fp = fopen(path, "w"));
    fputs("something else\n", fp);
    fclose(fp);
    ck_assert_int_eq(gale_savepoint_check(sp_dir, &cause), -1);
    ck_assert_ptr_nonnull(strstr(cause, "not a gale savepoint file"));
    free(cause);
    cause = NULL;
    ck_assert_ptr_nonnull(fp = fopen(path, "w"));
    fputs("gale savepoint\nformat 99\ncheckpoint 1\n", fp);
    fclose(fp);
    ck_assert_int_eq(gale_savepoint_check(sp_dir, &cause), -1);
    ck_assert_ptr_nonnull(strstr(cause, "savepoint format 99; this gale reads "
        "formats 1 to 1"));
    free(cause);
    cause = NULL;
    ck_assert_int_eq(gale_savepoint_inspect(sp_dir, stdout, &cause), -1);
    ck_assert_ptr_nonnull(strstr(cause, "format 99"));
    free(cause);
}
END_TEST

/* Flips one byte in the middle of path. */
static void
corrupt(const char *path)
{
    struct stat st;
    FILE *fp;
    int ch;

    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_ptr_nonnull(fp = fopen(path, "r+"));
    fseek(fp, st.st_size / 2, SEEK_SET);
    ch = fgetc(fp);
    fseek(fp, st.st_size / 2, SEEK_SET);
    fputc(ch ^ 0x5a, fp);
    fclose(fp);
}

START_TEST(test_corrupt_metadata)
{
    gale_topology_t *t;
    gale_plan_t *p;
    char path[256], *cause = NULL;
    FILE *out;

    take_savepoint();
    snprintf(path, sizeof path, "%s/meta/%020d.meta", sp_dir, 1);
    corrupt(path);
    ck_assert_ptr_nonnull(out = fopen("/dev/null", "w"));
    ck_assert_int_eq(gale_savepoint_inspect(sp_dir, out, &cause), -1);
    fclose(out);
    ck_assert_msg(strstr(cause, sp_dir) != NULL, "cause: %s", cause);
    free(cause);
    cause = NULL;
    build(&t, &p, "count", 3, 2, MAXP);
    /* The newest valid one is wanted: there is none; asked by id, the
     * checksum is named. */
    expect_refused(p, false, "sp1: no valid checkpoint there");
    expect_refused_from(sp_dir, 1, p, false, "sp1: checkpoint 1: "
        "meta/00000000000000000001.meta: bad checksum");
    free_plan(&t, &p);
}
END_TEST

START_TEST(test_corrupt_snapshot_file)
{
    gale_topology_t *t;
    gale_plan_t *p;
    char path[256];

    take_savepoint();
    /* Task 2's delta (count's second task): the import verifies before
     * it writes, and refuses, naming the task. */
    snprintf(path, sizeof path, "%s/files/t2-1.delta", sp_dir);
    corrupt(path);
    build(&t, &p, "count", 5, 2, MAXP);
    expect_refused(p, false, "sp1 (checkpoint 1): task 2 of count: "
        "files/t2-1.delta: bad checksum");
    free_plan(&t, &p);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("savepoint");
    TCase *tc = tcase_create("core");
    SRunner *sr = srunner_create(s);
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_take_is_self_contained);
    tcase_add_test(tc, test_write_failure_leaves_nothing);
    tcase_add_test(tc, test_inspect);
    tcase_add_test(tc, test_restore_same_layout);
    tcase_add_test(tc, test_rescale_up);
    tcase_add_test(tc, test_rescale_down);
    tcase_add_test(tc, test_import_ids_fresh);
    tcase_add_test(tc, test_refusals);
    tcase_add_test(tc, test_not_a_savepoint);
    tcase_add_test(tc, test_corrupt_metadata);
    tcase_add_test(tc, test_corrupt_snapshot_file);
    suite_add_tcase(s, tc);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
