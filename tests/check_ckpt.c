/* check_ckpt.c - the checkpoint store (engine/checkpoint/: snap, snapfile,
 * meta, store, compaction) and CRC32C. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "engine/checkpoint/ckpt.h"
#include "engine/wire/crc32c.h"
#include "engine/state/kvstate.h"
#include "tests/testutil.h"

#define MAXP 128                    /* max_parallelism of the test stores */

static char dir[64];
static gale_ckpt_t *ck;

static void
setup(void)
{
    char *cause = NULL;

    strcpy(dir, "/tmp/check_ckpt.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck = gale_ckpt_open(dir, &cause);
    ck_assert_msg(ck != NULL, "open: %s", cause);
}

static void
teardown(void)
{
    gale_ckpt_close(&ck);
    ck_assert_ptr_null(ck);
    test_rm_tree(dir);
}

/* ---- helpers ----------------------------------------------------------- */

static const char *knames[] = { "counts", "seen", "" };     /* keyed */
static const char *onames[] = { "pos", "txn" };             /* operator */
#define NKN (sizeof(knames) / sizeof(knames[0]))
#define NON (sizeof(onames) / sizeof(onames[0]))

/* Puts k=v in keyed state name under key group kg. */
static void
kput(gale_kvstore_t *s, int kg, const char *name, const char *k,
    const char *v)
{
    gale_kvstore_set_keygroup(s, kg);
    ck_assert_int_eq(gale_kv_put(gale_kvstore_keyed(s, name), k, strlen(k),
        v, strlen(v)), 0);
    gale_kvstore_set_keygroup(s, -1);
}

/* Deletes k from keyed state name under key group kg. */
static void
kdel(gale_kvstore_t *s, int kg, const char *name, const char *k)
{
    gale_kvstore_set_keygroup(s, kg);
    ck_assert_int_eq(gale_kv_delete(gale_kvstore_keyed(s, name), k,
        strlen(k)), 0);
    gale_kvstore_set_keygroup(s, -1);
}

/* Puts k=v in operator state name. */
static void
oput(gale_kvstore_t *s, const char *name, const char *k, const char *v)
{
    ck_assert_int_eq(gale_kv_put(gale_kvstore_operator(s, name), k,
        strlen(k), v, strlen(v)), 0);
}

struct dump {
    char **lines;                   /* "kg name key=value" */
    size_t n;
    int kg;
    const char *name;
};

/* iterate callback: appends one entry to the dump. */
static int
dump_one(void *arg, const void *key, size_t klen, const void *val,
    size_t vlen)
{
    struct dump *d = arg;

    d->lines = xreallocarray(d->lines, d->n + 1, sizeof(*d->lines));
    xasprintf(&d->lines[d->n++], "%d %s %.*s=%.*s", d->kg, d->name,
        (int)klen, (const char *)key, (int)vlen, (const char *)val);
    return 0;
}

static int
str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every entry of s (key groups first..last and the test's state names),
 * one sorted string. Caller frees. */
static char *
dump_store(gale_kvstore_t *s, int first, int last)
{
    struct dump d = { 0 };
    size_t i, len = 1;
    char *out;
    int kg;

    for (kg = first; kg <= last; kg++) {
        gale_kvstore_set_keygroup(s, kg);
        d.kg = kg;
        for (i = 0; i < NKN; i++) {
            d.name = knames[i];
            gale_kv_iterate(gale_kvstore_keyed(s, knames[i]), dump_one, &d);
        }
    }
    gale_kvstore_set_keygroup(s, -1);
    d.kg = -1;
    for (i = 0; i < NON; i++) {
        d.name = onames[i];
        gale_kv_iterate(gale_kvstore_operator(s, onames[i]), dump_one, &d);
    }
    qsort(d.lines, d.n, sizeof(*d.lines), str_cmp);
    for (i = 0; i < d.n; i++)
        len += strlen(d.lines[i]) + 1;
    out = xmalloc(len);
    for (i = 0, len = 0; i < d.n; i++) {
        len += (size_t)sprintf(out + len, "%s\n", d.lines[i]);
        free(d.lines[i]);
    }
    out[len] = '\0';
    free(d.lines);
    return out;
}

/* Asserts that a and b, stores of key groups first..last, hold the same
 * entries. */
static void
assert_same_range(gale_kvstore_t *a, gale_kvstore_t *b, int first, int last)
{
    char *da = dump_store(a, first, last), *db = dump_store(b, first, last);

    ck_assert_str_eq(da, db);
    free(da);
    free(db);
}

/* Asserts that a and b hold the same entries. */
static void
assert_same(gale_kvstore_t *a, gale_kvstore_t *b)
{
    assert_same_range(a, b, 0, MAXP - 1);
}

/* Takes s's changes as checkpoint id of task, writes them and appends the
 * file to t's chain. Returns the file's size. */
static size_t
snap_into(gale_kvstore_t *s, int task, uint64_t id, gale_ckpt_task_t *t)
{
    gale_snap_t *sn = gale_snap_take(s, task, id);
    char *file = NULL;
    size_t bytes = 0;

    ck_assert_int_eq(gale_ckpt_write_snap(dir, sn, &file, &bytes), 0);
    gale_snap_destroy(&sn);
    ck_assert_ptr_null(sn);
    if (t != NULL)
        gale_ckpt_task_append(t, file, bytes);
    free(file);
    return bytes;
}

/* Restores t into a fresh store and asserts it equals want. */
static void
assert_restores(const gale_ckpt_task_t *t, gale_kvstore_t *want)
{
    gale_kvstore_t *got = gale_kvstore_new(MAXP, 0, MAXP - 1);
    char *cause = NULL;
    int rc = gale_ckpt_restore_task(ck, t, got, &cause);

    ck_assert_msg(rc == 0, "restore: %d %s", rc, cause);
    ck_assert_uint_eq(gale_kvstore_dirty_count(got), 0);
    ck_assert_int_eq(gale_kvstore_keygroup(got), -1);
    assert_same(want, got);
    gale_kvstore_destroy(&got);
}

/* Fills s with keyed entries in several key groups and names, and
 * operator entries. */
static void
fill(gale_kvstore_t *s)
{
    char k[32], v[32];
    int i;

    for (i = 0; i < 300; i++) {
        snprintf(k, sizeof(k), "key%d", i);
        snprintf(v, sizeof(v), "value-%d", i * 7);
        kput(s, i % MAXP, knames[i % NKN], k, v);
    }
    kput(s, 5, "counts", "same", "in five");
    kput(s, 6, "counts", "same", "in six");
    kput(s, 7, "", "", "");                 /* empty name, key and value */
    oput(s, "pos", "offset", "12345");
    oput(s, "txn", "staged", "a b\nc");
}

/* Path of a file under the store. Caller frees. */
static char *
path_of(const char *rel)
{
    char *p;

    xasprintf(&p, "%s/%s", dir, rel);
    return p;
}

/* XORs the byte at offset off (from the end if negative) of file rel. */
static void
flip_byte(const char *rel, long off)
{
    char *p = path_of(rel);
    int fd = open(p, O_RDWR);
    struct stat st;
    unsigned char c;

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fstat(fd, &st), 0);
    if (off < 0)
        off += st.st_size;
    ck_assert_int_eq(pread(fd, &c, 1, off), 1);
    c ^= 0x10;
    ck_assert_int_eq(pwrite(fd, &c, 1, off), 1);
    close(fd);
    free(p);
}

static bool
exists(const char *rel)
{
    char *p = path_of(rel);
    bool r = access(p, F_OK) == 0;

    free(p);
    return r;
}

/* Writes metadata for checkpoint id with task 7 holding chain t's files. */
static void
write_meta_with(uint64_t id, const gale_ckpt_task_t *t)
{
    gale_ckpt_meta_t *m = gale_ckpt_meta_new(id, 1, "wc", MAXP);
    gale_ckpt_task_t *mt = gale_ckpt_meta_add_task(m, 7, "count", 0, 0,
        MAXP - 1);
    size_t i;

    for (i = 0; t != NULL && i < t->nfiles; i++)
        gale_ckpt_task_append(mt, t->files[i], t->sizes[i]);
    ck_assert_int_eq(gale_ckpt_write_meta(ck, m), 0);
    gale_ckpt_meta_destroy(&m);
}

/* ---- CRC32C -------------------------------------------------------------- */

START_TEST(test_crc32c_vectors)
{
    unsigned char zeros[32] = { 0 }, ff[32], data[4099];
    uint32_t a, b;
    size_t i, off, len;
    int soft;

    memset(ff, 0xff, sizeof(ff));
    for (i = 0; i < sizeof(data); i++)
        data[i] = (unsigned char)(i * 131 + 7);
    for (soft = 0; soft < 2; soft++) {
        gale_crc32c_force_tables(soft);
        ck_assert_uint_eq(gale_crc32c_value("123456789", 9), 0xE3069283u);
        ck_assert_uint_eq(gale_crc32c_value(zeros, 32), 0x8A9136AAu);
        ck_assert_uint_eq(gale_crc32c_value(ff, 32), 0x62A8AB43u);
        ck_assert_uint_eq(gale_crc32c_value("", 0), 0);
        a = gale_crc32c_extend(gale_crc32c_extend(0, "1234", 4), "56789", 5);
        ck_assert_uint_eq(a, 0xE3069283u);
    }
    /* Both ways agree at every alignment and length. */
    for (off = 0; off < 9; off++) {
        for (len = 0; len < 70; len += 3) {
            gale_crc32c_force_tables(true);
            a = gale_crc32c_value(data + off, len * 59 % 4090);
            gale_crc32c_force_tables(false);
            b = gale_crc32c_value(data + off, len * 59 % 4090);
            ck_assert_uint_eq(a, b);
        }
    }
}
END_TEST

/* ---- round trips -------------------------------------------------------------- */

START_TEST(test_roundtrip)
{
    gale_kvstore_t *s = gale_kvstore_new(MAXP, 0, MAXP - 1);
    gale_ckpt_meta_t *m, *r = NULL;
    gale_ckpt_task_t *t, *rt;
    gale_snap_t *sn;
    char *file = NULL, *cause = NULL;
    size_t bytes;
    uint64_t id, latest;

    fill(s);
    ck_assert_int_eq(gale_ckpt_next_id(ck, &id), 0);
    ck_assert_uint_eq(id, 1);
    sn = gale_snap_take(s, 7, id);
    ck_assert_uint_eq(gale_snap_count(sn), 300 + 3 + 2);
    ck_assert_uint_eq(gale_kvstore_dirty_count(s), 0);
    ck_assert_int_eq(gale_ckpt_write_snap(dir, sn, &file, &bytes), 0);
    ck_assert_str_eq(file, "t7-1.delta");
    gale_snap_destroy(&sn);

    m = gale_ckpt_meta_new(id, 3, "word count", MAXP);
    t = gale_ckpt_meta_add_task(m, 7, "count bolt", 2, 0, MAXP - 1);
    gale_ckpt_task_append(t, file, bytes);
    gale_ckpt_meta_add_task(m, 8, "spout", 0, 0, -1);
    gale_ckpt_meta_set(m, "topology_file", "/tmp/a b/wc.cfg");
    gale_ckpt_meta_set(m, "odd", "100%\tsure\n");
    gale_ckpt_meta_set(m, "", "");
    ck_assert_int_eq(gale_ckpt_write_meta(ck, m), 0);
    ck_assert(exists("meta/00000000000000000001.meta"));
    ck_assert(!exists("meta/00000000000000000001.meta.tmp"));

    ck_assert_int_eq(gale_ckpt_read_meta(ck, id, &r, &cause), 0);
    ck_assert_uint_eq(r->version, 1);
    ck_assert_uint_eq(r->id, 1);
    ck_assert_uint_eq(r->attempt, 3);
    ck_assert_str_eq(r->topology, "word count");
    ck_assert_int_eq(r->max_parallelism, MAXP);
    ck_assert_uint_eq(r->created_ms, m->created_ms);
    ck_assert_uint_eq(r->ntasks, 2);
    rt = gale_ckpt_meta_task(r, 7);
    ck_assert_ptr_nonnull(rt);
    ck_assert_str_eq(rt->component, "count bolt");
    ck_assert_int_eq(rt->task_index, 2);
    ck_assert_int_eq(rt->kg_first, 0);
    ck_assert_int_eq(rt->kg_last, MAXP - 1);
    ck_assert_uint_eq(rt->nfiles, 1);
    ck_assert_str_eq(rt->files[0], "t7-1.delta");
    ck_assert_uint_eq(rt->sizes[0], bytes);
    ck_assert_uint_eq(rt->bytes, bytes);
    rt = gale_ckpt_meta_task(r, 8);
    ck_assert_int_eq(rt->kg_last, -1);
    ck_assert_uint_eq(rt->nfiles, 0);
    ck_assert_str_eq(gale_ckpt_meta_get(r, "topology_file"), "/tmp/a b/wc.cfg");
    ck_assert_str_eq(gale_ckpt_meta_get(r, "odd"), "100%\tsure\n");
    ck_assert_str_eq(gale_ckpt_meta_get(r, ""), "");
    ck_assert_ptr_null(gale_ckpt_meta_get(r, "nope"));
    ck_assert_int_eq(gale_ckpt_latest(ck, &latest), 0);
    ck_assert_uint_eq(latest, 1);

    assert_restores(gale_ckpt_meta_task(r, 7), s);
    gale_ckpt_meta_destroy(&r);
    gale_ckpt_meta_destroy(&m);
    ck_assert_ptr_null(m);
    free(file);
    gale_kvstore_destroy(&s);
}
END_TEST

START_TEST(test_chain_with_overwrites_and_deletes)
{
    gale_kvstore_t *s = gale_kvstore_new(MAXP, 0, MAXP - 1);
    gale_ckpt_meta_t *m = gale_ckpt_meta_new(3, 1, "wc", MAXP);
    gale_ckpt_task_t *t = gale_ckpt_meta_add_task(m, 7, "count", 0, 0,
        MAXP - 1);
    char k[32];
    int i;

    fill(s);
    snap_into(s, 7, 1, t);
    /* 2: overwrite some, delete some (one of two same keys), add some. */
    for (i = 0; i < 300; i += 3) {
        snprintf(k, sizeof(k), "key%d", i);
        kput(s, i % MAXP, knames[i % NKN], k, "new");
    }
    for (i = 1; i < 300; i += 5) {
        snprintf(k, sizeof(k), "key%d", i);
        kdel(s, i % MAXP, knames[i % NKN], k);
    }
    kdel(s, 5, "counts", "same");
    kput(s, 100, "seen", "fresh", "1");
    oput(s, "pos", "offset", "99999");
    ck_assert_int_eq(gale_kv_delete(gale_kvstore_operator(s, "txn"),
        "staged", 6), 0);
    snap_into(s, 7, 2, t);
    /* 3: delete something added in 2, revive something deleted in 2. */
    kdel(s, 100, "seen", "fresh");
    kput(s, 1, knames[1], "key1", "back");
    kdel(s, 9, "counts", "never existed");
    snap_into(s, 7, 3, t);
    ck_assert_uint_eq(t->nfiles, 3);
    assert_restores(t, s);
    /* The metadata carries the chain the same way. */
    ck_assert_int_eq(gale_ckpt_write_meta(ck, m), 0);
    gale_ckpt_meta_destroy(&m);
    ck_assert_int_eq(gale_ckpt_read_meta(ck, 3, &m, NULL), 0);
    assert_restores(gale_ckpt_meta_task(m, 7), s);
    gale_ckpt_meta_destroy(&m);
    gale_kvstore_destroy(&s);
}
END_TEST

START_TEST(test_restore_range_and_operator)
{
    gale_kvstore_t *s = gale_kvstore_new(MAXP, 0, MAXP - 1);
    gale_kvstore_t *want = gale_kvstore_new(MAXP, 0, MAXP - 1);
    gale_kvstore_t *got = gale_kvstore_new(MAXP, 0, MAXP - 1);
    gale_ckpt_task_t t = { .task_id = 7, .kg_first = 10, .kg_last = 19 };
    char *da, *db;
    int kg;

    for (kg = 0; kg < MAXP; kg++) {
        kput(s, kg, "counts", "k", "v");
        if (kg >= 10 && kg <= 19)
            kput(want, kg, "counts", "k", "v");
    }
    oput(s, "pos", "offset", "1");
    oput(want, "pos", "offset", "1");
    snap_into(s, 7, 1, &t);
    gale_kvstore_set_keygroup(got, 12);
    ck_assert_int_eq(gale_ckpt_restore_task(ck, &t, got, NULL), 0);
    ck_assert_int_eq(gale_kvstore_keygroup(got), 12);
    gale_kvstore_set_keygroup(got, -1);
    da = dump_store(want, 0, MAXP - 1);
    db = dump_store(got, 0, MAXP - 1);
    ck_assert_str_eq(da, db);
    free(da);
    free(db);
    /* Nothing restored is reported as a change. */
    ck_assert_uint_eq(gale_kvstore_dirty_count(got), 0);
    free(t.files[0]);
    free(t.files);
    free(t.sizes);
    gale_kvstore_destroy(&s);
    gale_kvstore_destroy(&want);
    gale_kvstore_destroy(&got);
}
END_TEST

START_TEST(test_snap_sorted_and_empty)
{
    gale_kvstore_t *s = gale_kvstore_new(MAXP, 0, MAXP - 1);
    gale_kvstore_t *got;
    gale_ckpt_task_t t = { .task_id = 3, .kg_first = 0, .kg_last = MAXP - 1 };
    gale_snap_t *sn;
    char *file = NULL;
    size_t bytes;

    /* Inserted out of order: the file must come out sorted (the reader
     * rejects records out of order, so a restore proves it). */
    kput(s, 9, "b", "z", "1");
    kput(s, 2, "b", "a", "2");
    kput(s, 9, "a", "y", "3");
    kput(s, 2, "b", "", "4");
    oput(s, "pos", "x", "5");
    sn = gale_snap_take(s, 3, 1);
    ck_assert_uint_eq(gale_snap_count(sn), 5);
    ck_assert_uint_eq(gale_snap_payload(sn), 9);
    ck_assert_int_eq(gale_ckpt_write_snap(dir, sn, &file, &bytes), 0);
    gale_ckpt_task_append(&t, file, bytes);
    free(file);
    gale_snap_destroy(&sn);
    /* An empty snapshot is a valid (header and trailer) file. */
    sn = gale_snap_take(s, 3, 2);
    ck_assert_uint_eq(gale_snap_count(sn), 0);
    gale_snap_destroy(&sn);
    gale_snap_destroy(&sn);         /* NULL is fine */
    gale_snap_destroy(NULL);
    snap_into(s, 3, 4, &t);
    ck_assert_uint_eq(t.sizes[1], 28 + 12);
    got = gale_kvstore_new(MAXP, 0, MAXP - 1);
    ck_assert_int_eq(gale_ckpt_restore_task(ck, &t, got, NULL), 0);
    assert_same(s, got);
    gale_kvstore_destroy(&got);
    free(t.files[0]);
    free(t.files[1]);
    free(t.files);
    free(t.sizes);
    gale_kvstore_destroy(&s);
}
END_TEST

START_TEST(test_restore_under_memory_cap)
{
    gale_kvstore_t *s = gale_kvstore_new(MAXP, 0, MAXP - 1);
    gale_kvstore_t *got = gale_kvstore_new(MAXP, 0, MAXP - 1);
    gale_ckpt_task_t t = { .task_id = 2, .kg_first = 0, .kg_last = MAXP - 1 };
    char k[32], v[64], *cause = NULL, *spill;
    int i;

    for (i = 0; i < 60000; i++) {
        snprintf(k, sizeof(k), "k%07d", i);
        snprintf(v, sizeof(v), "%060d", i);
        kput(s, i % MAXP, "counts", k, v);
    }
    snap_into(s, 2, 1, &t);
    xasprintf(&spill, "%s/spill", dir);
    ck_assert_int_eq(gale_kvstore_set_spill(got, spill, 1 << 20, &cause), 0);
    free(spill);
    ck_assert_int_eq(gale_ckpt_restore_task(ck, &t, got, &cause), 0);
    /* About 10 MiB of entries in memory without the cap. */
    ck_assert_uint_le(gale_kvstore_bytes(got), 2u << 20);
    ck_assert_uint_eq(gale_kvstore_dirty_count(got), 0);
    assert_same(s, got);
    free(t.files[0]);
    free(t.files);
    free(t.sizes);
    gale_kvstore_destroy(&s);
    gale_kvstore_destroy(&got);
}
END_TEST

/* ---- compaction and retention --------------------------------------------------- */

START_TEST(test_compaction)
{
    gale_kvstore_t *s = gale_kvstore_new(MAXP, 0, MAXP - 1);
    gale_ckpt_task_t t = { .task_id = 7, .kg_first = 0, .kg_last = MAXP - 1 };
    char *base = NULL, *again = NULL, k[32];
    size_t b1;
    int i;

    fill(s);
    b1 = snap_into(s, 7, 1, &t);
    for (i = 0; i < 300; i += 2) {
        snprintf(k, sizeof(k), "key%d", i);
        kdel(s, i % MAXP, knames[i % NKN], k);
    }
    kput(s, 3, "seen", "late", "x");
    snap_into(s, 7, 2, &t);
    kput(s, 3, "seen", "late", "y");
    snap_into(s, 7, 4, &t);
    ck_assert_int_eq(gale_ckpt_compact(ck, &t, &base), 0);
    ck_assert_str_eq(base, "t7-4.base");
    /* Tombstones are gone: half the keys, so well under the first delta. */
    {
        struct stat st;
        char *p = path_of("files/t7-4.base");

        ck_assert_int_eq(stat(p, &st), 0);
        ck_assert_uint_lt((uint64_t)st.st_size, b1);
        free(p);
    }
    /* A delta written while compaction ran stays after the base. */
    kput(s, 4, "counts", "after", "1");
    snap_into(s, 7, 5, &t);
    ck_assert_int_eq(gale_ckpt_task_rebase(ck, &t, base), 0);
    ck_assert_uint_eq(t.nfiles, 2);
    ck_assert_str_eq(t.files[0], "t7-4.base");
    ck_assert_str_eq(t.files[1], "t7-5.delta");
    ck_assert_uint_eq(t.bytes, t.sizes[0] + t.sizes[1]);
    assert_restores(&t, s);
    ck_assert_int_eq(gale_ckpt_task_rebase(ck, &t, "t8-4.base"), -EINVAL);
    ck_assert_int_eq(gale_ckpt_task_rebase(ck, &t, "t7-9.base"), -ENOENT);
    /* A chain that is one base compacts to itself. */
    t.nfiles = 1;
    ck_assert_int_eq(gale_ckpt_compact(ck, &t, &again), 0);
    ck_assert_str_eq(again, "t7-4.base");
    t.nfiles = 2;
    free(again);
    free(base);
    for (i = 0; i < (int)t.nfiles; i++)
        free(t.files[i]);
    free(t.files);
    free(t.sizes);
    gale_kvstore_destroy(&s);
}
END_TEST

START_TEST(test_gc_keeps_what_is_referenced)
{
    gale_kvstore_t *s = gale_kvstore_new(MAXP, 0, MAXP - 1);
    gale_ckpt_task_t t = { .task_id = 7, .kg_first = 0, .kg_last = MAXP - 1 };
    gale_ckpt_task_t t2 = { .task_id = 7, .kg_first = 0, .kg_last = MAXP - 1 };
    char *base = NULL, *base2 = NULL, *p;
    uint64_t latest;
    size_t i;
    int fd;

    ck_assert_int_eq(gale_ckpt_gc(ck, 2), -ENOENT);
    fill(s);
    snap_into(s, 7, 1, &t);
    write_meta_with(1, &t);
    kput(s, 1, "seen", "a", "1");
    snap_into(s, 7, 2, &t);
    write_meta_with(2, &t);
    kput(s, 1, "seen", "a", "2");
    snap_into(s, 7, 3, &t);
    write_meta_with(3, &t);
    /* Compact 1..3 and use [base] from checkpoint 4 on. */
    ck_assert_int_eq(gale_ckpt_compact(ck, &t, &base), 0);
    ck_assert_int_eq(gale_ckpt_task_rebase(ck, &t, base), 0);
    kput(s, 2, "seen", "b", "3");
    snap_into(s, 7, 4, &t);
    write_meta_with(4, &t);
    /* In flight: checkpoint 5's delta without metadata, and a temporary
     * file of a crashed writer for checkpoint 2. */
    kput(s, 2, "seen", "b", "4");
    snap_into(s, 7, 5, NULL);
    p = path_of("files/t7-2.delta.tmp");
    ck_assert_int_ge(fd = open(p, O_CREAT | O_WRONLY, 0666), 0);
    close(fd);
    free(p);
    p = path_of("meta/00000000000000000002.meta.tmp");
    ck_assert_int_ge(fd = open(p, O_CREAT | O_WRONLY, 0666), 0);
    close(fd);
    free(p);

    /* Retaining 2 keeps checkpoints 3 and 4: 3 needs t7-1..3.delta. */
    ck_assert_int_eq(gale_ckpt_gc(ck, 2), 4);  /* meta 1, 2, 2.tmp, t7-2.tmp */
    ck_assert(!exists("meta/00000000000000000001.meta"));
    ck_assert(!exists("meta/00000000000000000002.meta"));
    ck_assert(exists("meta/00000000000000000003.meta"));
    ck_assert(exists("files/t7-1.delta"));
    ck_assert(exists("files/t7-3.delta"));
    ck_assert(exists("files/t7-3.base"));
    ck_assert(exists("files/t7-5.delta"));
    ck_assert(!exists("files/t7-2.delta.tmp"));
    /* Retaining 1: only [t7-3.base, t7-4.delta] and the in-flight file. */
    ck_assert_int_eq(gale_ckpt_gc(ck, 1), 4);  /* meta 3, t7-1..3.delta */
    ck_assert(!exists("files/t7-1.delta"));
    ck_assert(!exists("files/t7-2.delta"));
    ck_assert(!exists("files/t7-3.delta"));
    ck_assert(exists("files/t7-3.base"));
    ck_assert(exists("files/t7-4.delta"));
    ck_assert(exists("files/t7-5.delta"));
    ck_assert_int_eq(gale_ckpt_latest(ck, &latest), 0);
    ck_assert_uint_eq(latest, 4);
    /* The chain is checkpoint 4's: without checkpoint 5's change. */
    kput(s, 2, "seen", "b", "3");
    assert_restores(&t, s);

    /* A base compacted but not yet in metadata is pinned, not removed. */
    for (i = 0; i < t.nfiles; i++)
        gale_ckpt_task_append(&t2, t.files[i], t.sizes[i]);
    ck_assert_int_eq(gale_ckpt_compact(ck, &t2, &base2), 0);
    ck_assert_str_eq(base2, "t7-4.base");
    ck_assert_int_eq(gale_ckpt_gc(ck, 1), 0);
    ck_assert(exists("files/t7-4.base"));
    /* Once metadata names it, the older chain goes. */
    ck_assert_int_eq(gale_ckpt_task_rebase(ck, &t2, base2), 0);
    write_meta_with(5, &t2);
    ck_assert_int_eq(gale_ckpt_gc(ck, 1), 4);
    ck_assert(!exists("meta/00000000000000000004.meta"));
    ck_assert(exists("files/t7-4.base"));
    ck_assert(!exists("files/t7-3.base"));
    ck_assert(!exists("files/t7-4.delta"));
    /* Checkpoint 5's metadata does not name t7-5.delta: it is garbage
     * now (a declined checkpoint's file, say). */
    ck_assert(!exists("files/t7-5.delta"));

    free(base);
    free(base2);
    for (i = 0; i < t.nfiles; i++)
        free(t.files[i]);
    for (i = 0; i < t2.nfiles; i++)
        free(t2.files[i]);
    free(t.files);
    free(t.sizes);
    free(t2.files);
    free(t2.sizes);
    gale_kvstore_destroy(&s);
}
END_TEST

/* ---- corruption ----------------------------------------------------------------- */

START_TEST(test_corrupt_delta)
{
    gale_kvstore_t *s = gale_kvstore_new(MAXP, 0, MAXP - 1);
    gale_kvstore_t *got = gale_kvstore_new(MAXP, 0, MAXP - 1);
    gale_ckpt_task_t t = { .task_id = 7, .kg_first = 0, .kg_last = MAXP - 1 };
    char *cause = NULL, *base = NULL, *p;

    fill(s);
    snap_into(s, 7, 1, &t);
    kput(s, 3, "seen", "x", "y");
    snap_into(s, 7, 2, &t);
    flip_byte("files/t7-2.delta", 40);
    ck_assert_int_eq(gale_ckpt_restore_task(ck, &t, got, &cause), -EBADMSG);
    ck_assert_str_eq(cause, "files/t7-2.delta: bad checksum");
    free(cause);
    /* Verified before anything is applied: the store is untouched. */
    ck_assert_uint_eq(gale_kvstore_bytes(got), 0);
    ck_assert_int_eq(gale_ckpt_compact(ck, &t, &base), -EBADMSG);
    ck_assert_ptr_null(base);
    ck_assert(!exists("files/t7-2.base"));
    flip_byte("files/t7-2.delta", 40);
    ck_assert_int_eq(gale_ckpt_restore_task(ck, &t, got, NULL), 0);
    gale_kvstore_destroy(&got);

    /* The trailer's CRC itself, the magic and the version. */
    got = gale_kvstore_new(MAXP, 0, MAXP - 1);
    flip_byte("files/t7-1.delta", -1);
    ck_assert_int_eq(gale_ckpt_restore_task(ck, &t, got, &cause), -EBADMSG);
    ck_assert_str_eq(cause, "files/t7-1.delta: bad checksum");
    free(cause);
    flip_byte("files/t7-1.delta", -1);
    flip_byte("files/t7-1.delta", 0);
    ck_assert_int_eq(gale_ckpt_restore_task(ck, &t, got, &cause), -EBADMSG);
    ck_assert_str_eq(cause, "files/t7-1.delta: not a gale snapshot file");
    free(cause);
    flip_byte("files/t7-1.delta", 0);
    flip_byte("files/t7-1.delta", 8);
    ck_assert_int_eq(gale_ckpt_restore_task(ck, &t, got, &cause), -EBADMSG);
    ck_assert_str_eq(cause, "files/t7-1.delta: unknown format version 17");
    free(cause);
    flip_byte("files/t7-1.delta", 8);

    /* Truncated: the size in the metadata catches it first; without a
     * size, the checksum does. */
    p = path_of("files/t7-1.delta");
    ck_assert_int_eq(truncate(p, (off_t)t.sizes[0] - 5), 0);
    free(p);
    ck_assert_int_eq(gale_ckpt_restore_task(ck, &t, got, &cause), -EBADMSG);
    xasprintf(&p, "files/t7-1.delta: size %" PRIu64 ", metadata says %"
        PRIu64, t.sizes[0] - 5, t.sizes[0]);
    ck_assert_str_eq(cause, p);
    free(p);
    free(cause);
    t.sizes[0] = 0;
    ck_assert_int_eq(gale_ckpt_restore_task(ck, &t, got, &cause), -EBADMSG);
    ck_assert_str_eq(cause, "files/t7-1.delta: bad checksum");
    free(cause);

    /* A missing file, and a file of another task. */
    p = path_of("files/t7-1.delta");
    ck_assert_int_eq(unlink(p), 0);
    free(p);
    ck_assert_int_eq(gale_ckpt_restore_task(ck, &t, got, &cause), -ENOENT);
    ck_assert_str_eq(cause, "files/t7-1.delta: No such file or directory");
    free(cause);
    t.task_id = 8;
    t.nfiles = 1;
    free(t.files[0]);
    t.files[0] = xstrdup("t7-2.delta");
    ck_assert_int_eq(gale_ckpt_restore_task(ck, &t, got, &cause), -EBADMSG);
    ck_assert_str_eq(cause, "files/t7-2.delta: belongs to task 7, not 8");
    free(cause);
    t.nfiles = 2;
    free(t.files[0]);
    free(t.files[1]);
    free(t.files);
    free(t.sizes);
    gale_kvstore_destroy(&s);
    gale_kvstore_destroy(&got);
}
END_TEST

START_TEST(test_chain_order_checked)
{
    gale_kvstore_t *s = gale_kvstore_new(MAXP, 0, MAXP - 1);
    gale_kvstore_t *got = gale_kvstore_new(MAXP, 0, MAXP - 1);
    gale_ckpt_task_t t = { .task_id = 7, .kg_first = 0, .kg_last = MAXP - 1 };
    char *cause = NULL, *tmp;

    kput(s, 3, "seen", "x", "y");
    snap_into(s, 7, 1, &t);
    snap_into(s, 7, 2, &t);
    tmp = t.files[0];
    t.files[0] = t.files[1];
    t.files[1] = tmp;
    t.sizes[0] = t.sizes[1] = 0;
    ck_assert_int_eq(gale_ckpt_restore_task(ck, &t, got, &cause), -EBADMSG);
    ck_assert_str_eq(cause,
        "files/t7-1.delta: checkpoint ids not increasing in task 7's chain");
    free(cause);
    free(t.files[0]);
    free(t.files[1]);
    free(t.files);
    free(t.sizes);
    gale_kvstore_destroy(&s);
    gale_kvstore_destroy(&got);
}
END_TEST

/* Rewrites meta rel with its first occurrence of from replaced by to. */
static void
edit_file(const char *rel, const char *from, const char *to)
{
    char *p = path_of(rel), buf[8192], *at, *out;
    FILE *f = fopen(p, "r+");
    size_t n;

    ck_assert_ptr_nonnull(f);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    ck_assert_ptr_nonnull(at = strstr(buf, from));
    *at = '\0';
    xasprintf(&out, "%s%s%s", buf, to, at + strlen(from));
    fclose(f);
    f = fopen(p, "w");
    fputs(out, f);
    fclose(f);
    free(out);
    free(p);
}

START_TEST(test_corrupt_meta)
{
    gale_ckpt_meta_t *m = NULL;
    char *cause = NULL, *p;
    uint64_t latest;
    struct stat st;

    write_meta_with(1, NULL);
    write_meta_with(2, NULL);
    ck_assert_int_eq(gale_ckpt_read_meta(ck, 2, &m, NULL), 0);
    gale_ckpt_meta_destroy(&m);

    /* A flipped byte in the body. */
    flip_byte("meta/00000000000000000002.meta", 25);
    ck_assert_int_eq(gale_ckpt_read_meta(ck, 2, &m, &cause), -EBADMSG);
    ck_assert_ptr_null(m);
    ck_assert_str_eq(cause, "meta/00000000000000000002.meta: bad checksum");
    free(cause);
    ck_assert_int_eq(gale_ckpt_latest(ck, &latest), 0);
    ck_assert_uint_eq(latest, 1);
    flip_byte("meta/00000000000000000002.meta", 25);
    ck_assert_int_eq(gale_ckpt_read_meta(ck, 2, &m, NULL), 0);
    gale_ckpt_meta_destroy(&m);

    /* Truncated anywhere, even inside the checksum line. */
    p = path_of("meta/00000000000000000002.meta");
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert_int_eq(truncate(p, st.st_size - 3), 0);
    ck_assert_int_eq(gale_ckpt_read_meta(ck, 2, &m, &cause), -EBADMSG);
    ck_assert_str_eq(cause, "meta/00000000000000000002.meta: truncated");
    free(cause);
    ck_assert_int_eq(truncate(p, st.st_size / 2), 0);
    ck_assert_int_eq(gale_ckpt_read_meta(ck, 2, &m, &cause), -EBADMSG);
    ck_assert_str_eq(cause, "meta/00000000000000000002.meta: truncated");
    free(cause);
    ck_assert_int_eq(truncate(p, 0), 0);
    ck_assert_int_eq(gale_ckpt_read_meta(ck, 2, &m, &cause), -EBADMSG);
    ck_assert_str_eq(cause, "meta/00000000000000000002.meta: truncated");
    free(cause);
    free(p);
    ck_assert_int_eq(gale_ckpt_latest(ck, &latest), 0);
    ck_assert_uint_eq(latest, 1);

    /* An unknown version. */
    edit_file("meta/00000000000000000001.meta", "gale-checkpoint 1",
        "gale-checkpoint 2");
    ck_assert_int_eq(gale_ckpt_read_meta(ck, 1, &m, &cause), -EBADMSG);
    ck_assert_str_eq(cause,
        "meta/00000000000000000001.meta: unknown format version 2");
    free(cause);
    ck_assert_int_eq(gale_ckpt_latest(ck, &latest), -ENOENT);

    /* Missing. */
    ck_assert_int_eq(gale_ckpt_read_meta(ck, 9, &m, &cause), -ENOENT);
    ck_assert_str_eq(cause, "meta/00000000000000000009.meta: no such checkpoint");
    free(cause);
}
END_TEST

START_TEST(test_tmp_meta_is_no_checkpoint)
{
    char *p;
    int fd;
    uint64_t latest;
    gale_ckpt_meta_t *m = NULL;

    ck_assert_int_eq(gale_ckpt_latest(ck, &latest), -ENOENT);
    write_meta_with(1, NULL);
    /* A crash between writing 2's temporary file and the rename. */
    write_meta_with(2, NULL);
    p = path_of("meta/00000000000000000002.meta");
    {
        char *q;

        xasprintf(&q, "%s.tmp", p);
        ck_assert_int_eq(rename(p, q), 0);
        free(q);
    }
    free(p);
    ck_assert_int_eq(gale_ckpt_latest(ck, &latest), 0);
    ck_assert_uint_eq(latest, 1);
    ck_assert_int_eq(gale_ckpt_read_meta(ck, 2, &m, NULL), -ENOENT);
    /* And a meta file holding another checkpoint's id is rejected. */
    p = path_of("meta/00000000000000000003.meta");
    {
        char *q = path_of("meta/00000000000000000001.meta");
        char buf[4096];
        int in = open(q, O_RDONLY);
        ssize_t n = read(in, buf, sizeof(buf));

        close(in);
        ck_assert_int_ge(fd = open(p, O_CREAT | O_WRONLY, 0666), 0);
        ck_assert_int_eq(write(fd, buf, (size_t)n), n);
        close(fd);
        free(q);
    }
    free(p);
    ck_assert_int_eq(gale_ckpt_latest(ck, &latest), 0);
    ck_assert_uint_eq(latest, 1);
}
END_TEST

/* ---- ids ------------------------------------------------------------------------- */

START_TEST(test_counter_survives_reopen)
{
    uint64_t id;
    char *cause = NULL, *p;
    FILE *f;

    ck_assert_int_eq(gale_ckpt_next_id(ck, &id), 0);
    ck_assert_uint_eq(id, 1);
    ck_assert_int_eq(gale_ckpt_next_id(ck, &id), 0);
    ck_assert_uint_eq(id, 2);
    gale_ckpt_close(&ck);
    gale_ckpt_close(&ck);
    ck = gale_ckpt_open(dir, NULL);
    ck_assert_int_eq(gale_ckpt_next_id(ck, &id), 0);
    ck_assert_uint_eq(id, 3);
    /* Ids never repeat, even when COUNTER is lost but checkpoints exist. */
    write_meta_with(7, NULL);
    gale_ckpt_close(&ck);
    p = path_of("COUNTER");
    ck_assert_int_eq(unlink(p), 0);
    ck = gale_ckpt_open(dir, NULL);
    ck_assert_int_eq(gale_ckpt_next_id(ck, &id), 0);
    ck_assert_uint_eq(id, 8);
    gale_ckpt_close(&ck);
    /* A malformed COUNTER stops the store from opening. */
    f = fopen(p, "w");
    fputs("seven\n", f);
    fclose(f);
    ck_assert_ptr_null(ck = gale_ckpt_open(dir, &cause));
    ck_assert_ptr_nonnull(strstr(cause, "/COUNTER: malformed"));
    free(cause);
    free(p);
    /* Nested directories are created. */
    xasprintf(&p, "%s/a/b//c", dir);
    ck_assert_ptr_nonnull(ck = gale_ckpt_open(p, NULL));
    ck_assert_str_eq(gale_ckpt_dir(ck), p);
    free(p);
    ck_assert(exists("a/b/c/files"));
    ck_assert(exists("a/b/c/meta"));
}
END_TEST

/* ---- size --------------------------------------------------------------------- */

START_TEST(test_delta_size)
{
    gale_kvstore_t *s = gale_kvstore_new(MAXP, 0, MAXP - 1);
    gale_snap_t *sn;
    char k[32], *file = NULL;
    size_t bytes, payload, all;
    int64_t out;
    int i;

    for (i = 0; i < 100000; i++) {
        snprintf(k, sizeof(k), "word%06d", i);
        gale_kvstore_set_keygroup(s, i % MAXP);
        ck_assert_int_eq(gale_kv_add_i64(gale_kvstore_keyed(s, "counts"), k,
            strlen(k), 1, &out), 0);
    }
    gale_kvstore_set_keygroup(s, -1);
    sn = gale_snap_take(s, 1, 1);
    ck_assert_uint_eq(gale_snap_count(sn), 100000);
    ck_assert_int_eq(gale_ckpt_write_snap(dir, sn, &file, &all), 0);
    gale_snap_destroy(&sn);
    free(file);
    for (i = 0; i < 100000; i += 100) {
        snprintf(k, sizeof(k), "word%06d", i);
        gale_kvstore_set_keygroup(s, i % MAXP);
        ck_assert_int_eq(gale_kv_add_i64(gale_kvstore_keyed(s, "counts"), k,
            strlen(k), 1, &out), 0);
    }
    gale_kvstore_set_keygroup(s, -1);
    sn = gale_snap_take(s, 1, 2);
    ck_assert_uint_eq(gale_snap_count(sn), 1000);
    payload = gale_snap_payload(sn);
    ck_assert_uint_eq(payload, 1000 * (10 + 8));
    ck_assert_int_eq(gale_ckpt_write_snap(dir, sn, &file, &bytes), 0);
    gale_snap_destroy(&sn);
    free(file);
    ck_assert_msg(bytes <= 3 * payload, "delta %zu bytes for %zu changed",
        bytes, payload);
    ck_assert_uint_lt(bytes * 50, all);
    gale_kvstore_destroy(&s);
}
END_TEST

/* ---- sort order and large chains ------------------------------------------------ */

/* Puts the n-byte key k (any bytes) = v in keyed state name under kg, or
 * in operator state name if kg is -1. */
static void
bput(gale_kvstore_t *s, int kg, const char *name, const char *k, size_t n,
    const char *v)
{
    gale_kv_t *kv = kg < 0 ? gale_kvstore_operator(s, name) :
        gale_kvstore_keyed(s, name);

    gale_kvstore_set_keygroup(s, kg);
    ck_assert_int_eq(gale_kv_put(kv, k, n, v, strlen(v)), 0);
    gale_kvstore_set_keygroup(s, -1);
}

/* Puts n keys k<i> into key groups i % 5 of state counts of s, values of
 * 8 or 60 bytes (inline in the entry or on the heap) tagged with tag. */
static void
fill_tagged(gale_kvstore_t *s, int n, const char *tag)
{
    char k[32], v[80];
    int i;

    for (i = 0; i < n; i++) {
        snprintf(k, sizeof k, "k%d", i);
        if (i % 2)
            snprintf(v, sizeof v, "%s%05d", tag, i);
        else
            snprintf(v, sizeof v, "%s%056d", tag, i);
        kput(s, i % 5, "counts", k, v);
    }
}

START_TEST(test_snap_independent_of_store)
{
    /* What a snapshot holds is the state at the take: changing, deleting
     * and adding keys afterwards (enough new keys to move the store's
     * tables, values moving between inline and heap) before the writer
     * runs changes neither the file nor what a restore gives; the store
     * keeps the new values, and its next snapshot holds them. A write
     * that fails (no such directory) returns the error and leaves the
     * snapshot to be freed. */
    gale_kvstore_t *s = gale_kvstore_new(MAXP, 0, MAXP - 1);
    gale_kvstore_t *want = gale_kvstore_new(MAXP, 0, MAXP - 1), *got;
    gale_kvstore_t *now = gale_kvstore_new(MAXP, 0, MAXP - 1);
    gale_ckpt_task_t t = { .task_id = 9, .kg_first = 0, .kg_last = MAXP - 1 };
    gale_snap_t *sn;
    char *file = NULL, k[32], *cause = NULL;
    size_t bytes;
    int i, rc;

    fill_tagged(s, 3000, "old");
    fill_tagged(want, 3000, "old");
    fill_tagged(now, 3000, "old");
    sn = gale_snap_take(s, 9, 1);
    ck_assert_uint_eq(gale_snap_count(sn), 3000);
    ck_assert_int_eq(gale_ckpt_write_snap("/nonexistent/gale-ckpt", sn,
        &file, &bytes), -ENOENT);
    ck_assert_ptr_null(file);
    /* The changes after the take, to s and to the model of now. */
    fill_tagged(s, 20000, "new");
    fill_tagged(now, 20000, "new");
    for (i = 0; i < 3000; i += 7) {
        snprintf(k, sizeof k, "k%d", i);
        kdel(s, i % 5, "counts", k);
        kdel(now, i % 5, "counts", k);
    }
    ck_assert_int_eq(gale_ckpt_write_snap(dir, sn, &file, &bytes), 0);
    gale_snap_destroy(&sn);
    gale_ckpt_task_append(&t, file, bytes);
    free(file);
    got = gale_kvstore_new(MAXP, 0, MAXP - 1);
    rc = gale_ckpt_restore_task(ck, &t, got, &cause);
    ck_assert_msg(rc == 0, "restore: %d %s", rc, cause);
    assert_same(want, got);
    gale_kvstore_destroy(&got);
    assert_same(now, s);
    /* The next snapshot: the changes since the take, deletions too. */
    snap_into(s, 9, 2, &t);
    got = gale_kvstore_new(MAXP, 0, MAXP - 1);
    rc = gale_ckpt_restore_task(ck, &t, got, &cause);
    ck_assert_msg(rc == 0, "restore: %d %s", rc, cause);
    assert_same(now, got);
    gale_kvstore_destroy(&got);
    free(t.files[0]);
    free(t.files[1]);
    free(t.files);
    free(t.sizes);
    gale_kvstore_destroy(&s);
    gale_kvstore_destroy(&want);
    gale_kvstore_destroy(&now);
}
END_TEST

START_TEST(test_snap_groups_skewed)
{
    /* The snapshot keeps one record buffer per key group, sized for an
     * even share of the changes (snap.c): here a task owning groups 64 to
     * 127 puts 9 000 of its changes into group 127 (far past its share,
     * so that buffer grows many times), a few into group 64 and operator
     * state, values longer than the share's 24 bytes, keys whose first 8
     * bytes are >= 0x80 (the prefix is compared unsigned) or tie on 7 and
     * differ on the 8th (the sort's last byte), written in descending
     * group order; then deletions of a third and a second snapshot. The
     * reader rejects records out of order and assert_same compares the
     * content. */
    gale_kvstore_t *s = gale_kvstore_new(MAXP, 64, MAXP - 1), *got;
    gale_ckpt_task_t t = { .task_id = 8, .kg_first = 64, .kg_last = MAXP - 1 };
    char k[32], v[80], *cause = NULL;
    size_t n, i;
    int first, last, rc;

    gale_kvstore_keygroups(s, &first, &last);
    ck_assert_int_eq(first, 64);
    ck_assert_int_eq(last, MAXP - 1);
    for (i = 9000; i-- > 0;) {
        switch (i % 3) {
        case 0:
            n = (size_t)snprintf(k, sizeof k, "xxxxxxx%c", (char)(1 + i / 3 % 255));
            n += (size_t)snprintf(k + n, sizeof k - n, "%zu", i);
            break;
        case 1:
            n = (size_t)snprintf(k, sizeof k, "%08zu", i);
            k[0] = (char)(0x80 | (i & 0x7f));
            break;
        default:
            n = (size_t)snprintf(k, sizeof k, "%zu", i);
            break;
        }
        snprintf(v, sizeof v, "%060zu", i);
        bput(s, MAXP - 1, "counts", k, n, v);
        if (i % 1000 == 0) {
            bput(s, 64, "counts", k, n, "small");
            bput(s, -1, "pos", k, n, v);
        }
    }
    snap_into(s, 8, 1, &t);
    got = gale_kvstore_new(MAXP, 64, MAXP - 1);
    rc = gale_ckpt_restore_task(ck, &t, got, &cause);
    ck_assert_msg(rc == 0, "restore: %d %s", rc, cause);
    assert_same_range(s, got, 64, MAXP - 1);
    gale_kvstore_destroy(&got);
    gale_kvstore_set_keygroup(s, MAXP - 1);
    for (i = 0; i < 9000; i += 3) {
        n = (size_t)snprintf(k, sizeof k, "%zu", i + 2);
        ck_assert_int_eq(gale_kv_delete(gale_kvstore_keyed(s, "counts"), k,
            n), 0);
    }
    gale_kvstore_set_keygroup(s, -1);
    snap_into(s, 8, 2, &t);
    got = gale_kvstore_new(MAXP, 64, MAXP - 1);
    rc = gale_ckpt_restore_task(ck, &t, got, &cause);
    ck_assert_msg(rc == 0, "restore: %d %s", rc, cause);
    assert_same_range(s, got, 64, MAXP - 1);
    gale_kvstore_destroy(&got);
    for (i = 0; i < t.nfiles; i++)
        free(t.files[i]);
    free(t.files);
    free(t.sizes);
    gale_kvstore_destroy(&s);
}
END_TEST

START_TEST(test_snap_radix_sort)
{
    /* Groups long enough for the writer's radix sort (snap.c), with three
     * state names (the pass on the name's rank), keys that tie on their
     * first 8 bytes (the runs sorted by comparison afterwards), short
     * keys, zero and 0xff bytes, and deletions in a second snapshot. The
     * reader rejects records out of strictly increasing order, so the
     * restores prove the order; assert_same proves the content. */
    static const char *names[] = { "zz", "a", "counts" };
    static const int kgs[] = { -1, 3, 100 };
    gale_kvstore_t *s = gale_kvstore_new(MAXP, 0, MAXP - 1);
    gale_ckpt_task_t t = { .task_id = 6, .kg_first = 0, .kg_last = MAXP - 1 };
    char k[32], v[32];
    size_t g, j, i, n;
    gale_kv_t *kv;

    for (i = 0; i < 2000; i++)
        for (g = 0; g < 3; g++)
            for (j = 0; j < 3; j++) {
                size_t x = (i * 7919 + g * 31 + j) % 2000;

                switch (x % 4) {
                case 0:
                    n = (size_t)snprintf(k, sizeof k, "abcdefgh%zu", x);
                    break;
                case 1:
                    n = (size_t)snprintf(k, sizeof k, "%zu", x);
                    break;
                case 2:
                    n = (size_t)snprintf(k, sizeof k, "k%zu", x);
                    k[1] = (char)(x & 1 ? 0xff : 0);
                    break;
                default:
                    n = (size_t)snprintf(k, sizeof k, "%08zu", x % 50);
                    k[n++] = (char)(x / 50);
                    break;
                }
                snprintf(v, sizeof v, "%zu/%zu/%zu", x, g, j);
                bput(s, kgs[g], names[j], k, n, v);
            }
    snap_into(s, 6, 1, &t);
    assert_restores(&t, s);
    /* Deletions and changes of a third. */
    for (g = 0; g < 3; g++)
        for (j = 0; j < 3; j++) {
            kv = kgs[g] < 0 ? gale_kvstore_operator(s, names[j]) :
                gale_kvstore_keyed(s, names[j]);
            gale_kvstore_set_keygroup(s, kgs[g]);
            for (i = 0; i < 2000; i += 3) {
                n = (size_t)snprintf(k, sizeof k, "%zu", i);
                if (i % 2)
                    ck_assert_int_eq(gale_kv_delete(kv, k, n), 0);
                else
                    ck_assert_int_eq(gale_kv_put(kv, k, n, "new", 3), 0);
                n = (size_t)snprintf(k, sizeof k, "abcdefgh%zu", i);
                ck_assert_int_eq(gale_kv_delete(kv, k, n), 0);
            }
            gale_kvstore_set_keygroup(s, -1);
        }
    snap_into(s, 6, 2, &t);
    assert_restores(&t, s);
    gale_kvstore_destroy(&s);
    for (i = 0; i < t.nfiles; i++)
        free(t.files[i]);
    free(t.files);
    free(t.sizes);
}
END_TEST

START_TEST(test_snap_sort_prefix_ties)
{
    /* Keys that tie on their first 8 bytes, keys that are prefixes of
     * others, zero and 0xff bytes: the writer sorts on an 8-byte prefix
     * first, and the reader rejects a file whose records are not in
     * strictly increasing order, so a restore proves the order. */
    static const struct { const char *k; size_t n; } keys[] = {
        { "", 0 }, { "\0", 1 }, { "\0\0", 2 }, { "a", 1 }, { "a\0", 2 },
        { "abcdefg", 7 }, { "abcdefg\0", 8 }, { "abcdefgh", 8 },
        { "abcdefgh\0", 9 }, { "abcdefghA", 9 }, { "abcdefghB", 9 },
        { "abcdefghAA", 10 }, { "abcdefgh\xff", 9 },
        { "\xff\xff\xff\xff\xff\xff\xff\xff", 8 },
        { "\xff\xff\xff\xff\xff\xff\xff\xff\x01", 9 },
        { "\x7f\xff\xff\xff\xff\xff\xff\xff", 8 }, { "\x80", 1 },
    };
    static const int kgs[] = { -1, 0, 1, 127 };
    static const char *names[] = { "counts", "c", "counts2" };
    gale_kvstore_t *s = gale_kvstore_new(MAXP, 0, MAXP - 1);
    gale_kvstore_t *got = gale_kvstore_new(MAXP, 0, MAXP - 1);
    gale_ckpt_task_t t = { .task_id = 5, .kg_first = 0, .kg_last = MAXP - 1 };
    size_t nk = sizeof(keys) / sizeof(keys[0]), i, j, g, n = 0;
    char v[32];

    /* Inserted in an order unrelated to the file's. */
    for (i = 0; i < nk; i++)
        for (g = 0; g < 4; g++)
            for (j = 0; j < 3; j++) {
                size_t x = (i * 7 + g * 3 + j) % nk;

                snprintf(v, sizeof(v), "%zu/%zu/%zu", x, g, j);
                bput(s, kgs[3 - g], names[j], keys[x].k, keys[x].n, v);
                n++;
            }
    snap_into(s, 5, 1, &t);
    ck_assert_int_eq(gale_ckpt_restore_task(ck, &t, got, NULL), 0);
    /* Compare entry by entry (the dump helper prints keys with %.*s). */
    for (g = 0; g < 4; g++)
        for (j = 0; j < 3; j++)
            for (i = 0; i < nk; i++) {
                const void *a, *b;
                size_t alen, blen;
                gale_kv_t *ka, *kb;

                ka = kgs[g] < 0 ? gale_kvstore_operator(s, names[j]) :
                    gale_kvstore_keyed(s, names[j]);
                kb = kgs[g] < 0 ? gale_kvstore_operator(got, names[j]) :
                    gale_kvstore_keyed(got, names[j]);
                gale_kvstore_set_keygroup(s, kgs[g]);
                gale_kvstore_set_keygroup(got, kgs[g]);
                ck_assert_int_eq(gale_kv_get(ka, keys[i].k, keys[i].n, &a,
                    &alen), 0);
                ck_assert_int_eq(gale_kv_get(kb, keys[i].k, keys[i].n, &b,
                    &blen), 0);
                ck_assert_uint_eq(alen, blen);
                ck_assert_int_eq(memcmp(a, b, alen), 0);
            }
    ck_assert_uint_eq(n, nk * 4 * 3);
    free(t.files[0]);
    free(t.files);
    free(t.sizes);
    gale_kvstore_destroy(&s);
    gale_kvstore_destroy(&got);
}
END_TEST

/* A model of one keyed state for test_large_chain: key i holds version
 * ver[i] of its value (0: absent). Keys and values are derived from
 * (i, version), with lengths from 1 to 24 and 0 to 60 bytes, so that some
 * entries are inline and some on the heap. */
#define LNKEYS 200000

static uint32_t *lver;              /* the model: version of each key */
static uint32_t lvers = 1;          /* the last version handed out */

/* Key i into buf (at least 32 bytes); returns its length. */
static size_t
lkey(size_t i, char *buf)
{
    int n = snprintf(buf, 32, "%zx", i * 2654435761u % 4294967291u);

    for (; n < (int)(1 + i % 24); n++)
        buf[n] = (char)('a' + (i + (size_t)n) % 26);
    return (size_t)n;
}

/* Version ver of key i's value into buf (at least 64 bytes). */
static size_t
lval(size_t i, uint32_t ver, char *buf)
{
    size_t n = (i * 7 + ver * 13) % 61, j;

    for (j = 0; j < n; j++)
        buf[j] = (char)(i + ver * 31 + j);
    return n;
}

/* Key group of key i. */
static int
lkg(size_t i)
{
    return (int)(i * 40503u % MAXP);
}

struct lcheck {
    uint8_t *seen;                  /* one byte per key */
    size_t count;                   /* entries reported */
    int kg;                         /* key group walked */
    size_t *byk;                    /* owned: key index by key, sorted */
};

/* iterate callback: the entry must be key i of the model, in its key
 * group, with its current value, once. Keys are found by binary search
 * over a table built once. */
static char (*lkeys)[32];           /* key of each index */
static uint8_t *lklen;              /* length of each key */

static int
lkey_cmp(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    size_t n = lklen[x] < lklen[y] ? lklen[x] : lklen[y];
    int c = memcmp(lkeys[x], lkeys[y], n);

    return c != 0 ? c : (int)lklen[x] - (int)lklen[y];
}

static int
lcheck_one(void *arg, const void *key, size_t klen, const void *val,
    size_t vlen)
{
    struct lcheck *c = arg;
    size_t lo = 0, hi = LNKEYS, mid, i, n;
    char want[64];
    int r;

    ck_assert_uint_le(klen, 31);
    while (lo < hi) {
        mid = (lo + hi) / 2;
        i = c->byk[mid];
        n = lklen[i] < klen ? lklen[i] : klen;
        r = memcmp(lkeys[i], key, n);
        if (r == 0)
            r = (int)lklen[i] - (int)klen;
        if (r == 0)
            break;
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    ck_assert_msg(lo < hi, "unknown key %.*s", (int)klen, (const char *)key);
    i = c->byk[mid];
    ck_assert_int_eq(lkg(i), c->kg);
    ck_assert_msg(!c->seen[i], "key %zu twice", i);
    c->seen[i] = 1;
    ck_assert_msg(lver[i] != 0, "deleted key %zu is back", i);
    n = lval(i, lver[i], want);
    ck_assert_uint_eq(vlen, n);
    ck_assert_msg(memcmp(val, want, n) == 0, "key %zu: wrong value", i);
    c->count++;
    return 0;
}

/* Asserts that s holds exactly the model in keyed state "big". */
static void
lassert(gale_kvstore_t *s, size_t *byk)
{
    struct lcheck c = { .byk = byk };
    size_t i, live = 0;

    c.seen = xcalloc(LNKEYS, 1);
    for (c.kg = 0; c.kg < MAXP; c.kg++) {
        gale_kvstore_set_keygroup(s, c.kg);
        ck_assert_int_eq(gale_kv_iterate(gale_kvstore_keyed(s, "big"),
            lcheck_one, &c), 0);
    }
    gale_kvstore_set_keygroup(s, -1);
    for (i = 0; i < LNKEYS; i++)
        if (lver[i] != 0)
            live++;
    ck_assert_uint_eq(c.count, live);
    free(c.seen);
}

/* Restores t into a fresh store (with a 2 MiB cap if capped) and checks
 * it against the model. */
static void
lrestore(const gale_ckpt_task_t *t, size_t *byk, bool capped)
{
    gale_kvstore_t *got = gale_kvstore_new(MAXP, 0, MAXP - 1);
    char *cause = NULL, *spill;

    if (capped) {
        xasprintf(&spill, "%s/spill-large", dir);
        ck_assert_int_eq(gale_kvstore_set_spill(got, spill, 2u << 20,
            &cause), 0);
        free(spill);
    }
    ck_assert_msg(gale_ckpt_restore_task(ck, t, got, &cause) == 0,
        "restore: %s", cause);
    ck_assert_uint_eq(gale_kvstore_dirty_count(got), 0);
    lassert(got, byk);
    gale_kvstore_destroy(&got);
}

/* Records in snapshot file name (its trailer). */
static uint64_t
records_in(const char *name)
{
    char *rel, *p;
    unsigned char b[12];
    struct stat st;
    uint64_t n = 0;
    int fd, i;

    xasprintf(&rel, "files/%s", name);
    p = path_of(rel);
    ck_assert_int_ge(fd = open(p, O_RDONLY), 0);
    ck_assert_int_eq(fstat(fd, &st), 0);
    ck_assert_int_eq(pread(fd, b, 12, st.st_size - 12), 12);
    close(fd);
    for (i = 7; i >= 0; i--)
        n = n << 8 | b[i];
    free(rel);
    free(p);
    return n;
}

/* One step of changes: every draw puts a new version of a random key
 * (a deleted key comes back) or, one in five, deletes one (sometimes a
 * key that is not there). */
static void
lchange(gale_kvstore_t *s, size_t draws, uint64_t *rng)
{
    gale_kv_t *kv = gale_kvstore_keyed(s, "big");
    char k[32], v[64];
    size_t d, i, kn, vn;

    for (d = 0; d < draws; d++) {
        *rng = *rng * 6364136223846793005u + 1442695040888963407u;
        i = (size_t)(*rng >> 33) % LNKEYS;
        kn = lkey(i, k);
        gale_kvstore_set_keygroup(s, lkg(i));
        if ((*rng >> 20) % 5 == 0) {
            ck_assert_int_eq(gale_kv_delete(kv, k, kn), 0);
            lver[i] = 0;
        } else {
            /* Versions only grow, so a revived key gets a new value. */
            lver[i] = ++lvers;
            vn = lval(i, lver[i], v);
            ck_assert_int_eq(gale_kv_put(kv, k, kn, v, vn), 0);
        }
    }
    gale_kvstore_set_keygroup(s, -1);
}

START_TEST(test_wants_compaction)
{
    gale_ckpt_task_t t = { .task_id = 7 };
    size_t i;

    ck_assert(!gale_ckpt_task_wants_compaction(&t, 8));
    gale_ckpt_task_append(&t, "t7-1.delta", 1000);
    ck_assert(!gale_ckpt_task_wants_compaction(&t, 0));  /* one file */
    /* Small deltas: not until they reach half the first file. */
    for (i = 2; i <= 50; i++) {
        char name[32];

        snprintf(name, sizeof(name), "t7-%zu.delta", i);
        gale_ckpt_task_append(&t, name, 10);
        /* i files; i - 1 deltas of 10 bytes, under 500. */
        ck_assert(!gale_ckpt_task_wants_compaction(&t, i));
        ck_assert(gale_ckpt_task_wants_compaction(&t, i - 1));
    }
    gale_ckpt_task_append(&t, "t7-51.delta", 10);
    ck_assert(gale_ckpt_task_wants_compaction(&t, 64));     /* 500 bytes */
    for (i = 0; i < t.nfiles; i++)
        free(t.files[i]);
    free(t.files);
    free(t.sizes);
}
END_TEST

START_TEST(test_large_chain)
{
    /* 200 000 keys: a first checkpoint, compacted into a base; deltas of
     * puts, deletions (tombstones) and revivals; a compaction in the
     * middle of the chain; every restore (base alone, base + deltas,
     * compacted bases, and under a memory cap) is checked key by key. */
    gale_kvstore_t *s = gale_kvstore_new(MAXP, 0, MAXP - 1);
    gale_ckpt_task_t t = { .task_id = 9, .kg_first = 0, .kg_last = MAXP - 1 };
    gale_ckpt_task_t t2 = { .task_id = 9, .kg_first = 0, .kg_last = MAXP - 1 };
    gale_kv_t *kv = gale_kvstore_keyed(s, "big");
    uint64_t rng = 42, live;
    size_t i, kn, vn, *byk;
    char k[32], v[64], *base = NULL;
    int id;

    lver = xcalloc(LNKEYS, sizeof(*lver));
    lkeys = xcalloc(LNKEYS, sizeof(*lkeys));
    lklen = xcalloc(LNKEYS, 1);
    byk = xcalloc(LNKEYS, sizeof(*byk));
    for (i = 0; i < LNKEYS; i++) {
        lklen[i] = (uint8_t)lkey(i, lkeys[i]);
        byk[i] = i;
    }
    qsort(byk, LNKEYS, sizeof(*byk), lkey_cmp);
    for (i = 1; i < LNKEYS; i++)     /* the keys are distinct */
        ck_assert_int_ne(lkey_cmp(&byk[i - 1], &byk[i]), 0);
    for (i = 0; i < LNKEYS; i++) {
        kn = lkey(i, k);
        lver[i] = 1;
        vn = lval(i, 1, v);
        gale_kvstore_set_keygroup(s, lkg(i));
        ck_assert_int_eq(gale_kv_put(kv, k, kn, v, vn), 0);
    }
    gale_kvstore_set_keygroup(s, -1);
    snap_into(s, 9, 1, &t);
    ck_assert_int_eq(gale_ckpt_compact(ck, &t, &base), 0);
    ck_assert_int_eq(gale_ckpt_task_rebase(ck, &t, base), 0);
    free(base);
    ck_assert_str_eq(t.files[0], "t9-1.base");
    lrestore(&t, byk, false);
    for (id = 2; id <= 7; id++) {
        lchange(s, LNKEYS / 20, &rng);
        snap_into(s, 9, (uint64_t)id, &t);
        if (id == 4) {
            /* Fold 1..4 into a base; 5.. follow it. */
            ck_assert_int_eq(gale_ckpt_compact(ck, &t, &base), 0);
            ck_assert_int_eq(gale_ckpt_task_rebase(ck, &t, base), 0);
            free(base);
            ck_assert_uint_eq(t.nfiles, 1);
            lrestore(&t, byk, false);
        }
    }
    ck_assert_uint_eq(t.nfiles, 4);     /* t9-4.base, 5, 6, 7 deltas */
    lassert(s, byk);                    /* the model is the store's */
    lrestore(&t, byk, false);
    lrestore(&t, byk, true);
    /* The whole chain compacted: exact, and tombstones gone (the base
     * holds exactly the live keys). */
    for (i = 0; i < t.nfiles; i++)
        gale_ckpt_task_append(&t2, t.files[i], t.sizes[i]);
    ck_assert_int_eq(gale_ckpt_compact(ck, &t2, &base), 0);
    ck_assert_str_eq(base, "t9-7.base");
    ck_assert_int_eq(gale_ckpt_task_rebase(ck, &t2, base), 0);
    for (i = 0, live = 0; i < LNKEYS; i++)
        live += lver[i] != 0;
    ck_assert_uint_lt(live, LNKEYS);
    ck_assert_uint_gt(live, LNKEYS / 2);
    ck_assert_uint_eq(records_in(base), live);
    free(base);
    lrestore(&t2, byk, false);
    for (i = 0; i < t.nfiles; i++)
        free(t.files[i]);
    for (i = 0; i < t2.nfiles; i++)
        free(t2.files[i]);
    free(t.files);
    free(t.sizes);
    free(t2.files);
    free(t2.sizes);
    free(lver);
    free(lkeys);
    free(lklen);
    free(byk);
    gale_kvstore_destroy(&s);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("ckpt");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_crc32c_vectors);
    tcase_add_test(tc, test_roundtrip);
    tcase_add_test(tc, test_chain_with_overwrites_and_deletes);
    tcase_add_test(tc, test_restore_range_and_operator);
    tcase_add_test(tc, test_snap_sorted_and_empty);
    tcase_add_test(tc, test_restore_under_memory_cap);
    tcase_add_test(tc, test_compaction);
    tcase_add_test(tc, test_gc_keeps_what_is_referenced);
    tcase_add_test(tc, test_corrupt_delta);
    tcase_add_test(tc, test_chain_order_checked);
    tcase_add_test(tc, test_corrupt_meta);
    tcase_add_test(tc, test_tmp_meta_is_no_checkpoint);
    tcase_add_test(tc, test_counter_survives_reopen);
    tcase_add_test(tc, test_delta_size);
    tcase_add_test(tc, test_snap_sort_prefix_ties);
    tcase_add_test(tc, test_snap_radix_sort);
    tcase_add_test(tc, test_snap_groups_skewed);
    tcase_add_test(tc, test_snap_independent_of_store);
    tcase_add_test(tc, test_large_chain);
    tcase_add_test(tc, test_wants_compaction);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
