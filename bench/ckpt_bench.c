/* ckpt_bench.c - checkpoints of one task's keyed state at scale.
 *
 * A word-count-like state (KEYS short string keys, 7 to 12 letters, each
 * with an i64 count, in one keyed state "counts" over 128 key groups, plus
 * one operator state entry, as a spout's position) goes through the code
 * path a task's checkpoints take in the engine: gale_snap_take on the
 * executor thread (the synchronous part), gale_ckpt_write_snap and
 * gale_snap_destroy on the writer thread (the asynchronous part, timed
 * here on the same thread), gale_ckpt_compact on the coordinator thread,
 * gale_ckpt_restore_task on recovery. Each repetition:
 *
 *  1. fills the store (set_keygroup + add_i64 per key, key groups from the
 *     engine's key hash of the word as a string datum) and takes
 *     checkpoint 1, which holds every key;
 *  2. compacts checkpoint 1 into a base and restores the base alone;
 *  3. takes DELTAS more checkpoints, each after adding to CHANGE percent of
 *     the keys (random draws, so a few keys are drawn twice), from the third
 *     on also deleting DELETE per mille of them (tombstones; a later draw of
 *     a deleted key revives it): the bytes of each delta against the raw
 *     bytes of the changed entries (key + value, a deletion its key);
 *  4. restores base + deltas, compacts that chain and restores the new
 *     base;
 *  5. with a memory cap (CAP_MB, default a sixteenth of the uncapped
 *     state's bytes, at least 1 MiB; 0 skips this step): restores the
 *     chain into a store with a spill, changes CHANGE percent of the keys
 *     there, takes a checkpoint, and restores the whole chain into a second
 *     capped store.
 *
 * Every restore is checked against a model kept in plain arrays: every
 * key, its key group and its value, no key twice and none missing or
 * extra; a difference prints the key and exits 1. Timings are printed per
 * repetition and as median (min-max) over REPS repetitions.
 *
 * Environment: KEYS (10000000), CHANGE (percent, 1), DELTAS (8), DELETE
 * (per mille of the keys deleted per delta from the third, 1), REPS (3),
 * CAP_MB (see 5), BENCH_DIR (${TMPDIR:-/tmp}; a directory is made in it
 * and removed at the end). Exit 0, or 1 on a wrong restore or an error.
 */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "engine/checkpoint/ckpt.h"
#include "engine/wire/keyhash.h"
#include "engine/state/kvstate.h"

#define MAXPAR 128              /* max_parallelism (the engine's default) */
#define TASK 3                  /* the task id in file names */
#define MULT UINT32_C(0x9e3779b1)   /* odd: key index -> spelled number */
#define MAXREPS 16
#define DELETED INT64_MIN       /* model value of a deleted key */

/* ---- the model: what the state must hold ----------------------------- */

static size_t nkeys;            /* key indexes 0..nkeys-1 */
static int64_t *model;          /* value of each key, or DELETED */
static uint8_t *kgs;            /* key group of each key */
static uint32_t *stamp;         /* checkpoint that last changed each key */
static uint32_t mult_inv;       /* inverse of MULT mod 2^32 */
static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint64_t
next_rand(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545f4914f6cdd1dULL;
}

/* Spells key i into buf (at least 13 bytes): its scrambled number in 7
 * base-26 letters, which makes keys distinct, then 0 to 5 more letters
 * that depend on it. Returns the length. */
static size_t
key_of(size_t i, char *buf)
{
    uint32_t p = (uint32_t)i * MULT, q = p, h;
    size_t n, j;

    for (j = 0; j < 7; j++) {
        buf[j] = (char)('a' + q % 26);
        q /= 26;
    }
    h = p ^ (p >> 15);
    n = 7 + h % 6;
    for (j = 7; j < n; j++) {
        h = h * 1103515245u + 12345u;
        buf[j] = (char)('a' + (h >> 16) % 26);
    }
    return n;
}

/* The index of key k, or SIZE_MAX if k is not a key of the bench. */
static size_t
index_of(const void *k, size_t klen)
{
    const char *s = k;
    char again[16];
    uint64_t p = 0;
    size_t i;
    int j;

    if (klen < 7 || klen > 12)
        return SIZE_MAX;
    for (j = 6; j >= 0; j--) {
        if (s[j] < 'a' || s[j] > 'z')
            return SIZE_MAX;
        p = p * 26 + (uint64_t)(s[j] - 'a');
    }
    if (p > UINT32_MAX)
        return SIZE_MAX;
    i = (uint32_t)p * mult_inv;
    if (i >= nkeys || key_of(i, again) != klen || memcmp(again, k, klen) != 0)
        return SIZE_MAX;
    return i;
}

/* ---- small helpers ----------------------------------------------------- */

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of the calling thread, in seconds (the machine is shared: wall
 * time also counts other programs). */
static double
cpu_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Resident set size now, in MiB (from /proc/self/statm). */
static double
rss_mb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, res = 0;

    if (f != NULL) {
        if (fscanf(f, "%lu %lu", &size, &res) != 2)
            res = 0;
        fclose(f);
    }
    return (double)res * (double)sysconf(_SC_PAGESIZE) / 1048576.0;
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fprintf(stderr, "ckpt_bench: FAIL: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static size_t
env_size(const char *name, size_t dflt)
{
    const char *v = getenv(name);
    char *end;
    unsigned long long n;

    if (v == NULL || *v == '\0')
        return dflt;
    errno = 0;
    n = strtoull(v, &end, 10);
    if (errno != 0 || *end != '\0')
        die("%s=%s is not a number", name, v);
    return (size_t)n;
}

static double
env_double(const char *name, double dflt)
{
    const char *v = getenv(name);
    char *end;
    double x;

    if (v == NULL || *v == '\0')
        return dflt;
    x = strtod(v, &end);
    if (*end != '\0' || x < 0)
        die("%s=%s is not a number", name, v);
    return x;
}

/* nftw callback: removes one entry. */
static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

/* ---- the figures --------------------------------------------------------- */

struct metric {
    const char *name;           /* what it measures */
    const char *unit;           /* "s", "MB", "x", ... */
    double v[MAXREPS];          /* one value per repetition */
};

enum {
    M_FILL, M_C1_SYNC, M_C1_ASYNC, M_C1_SYNC_CPU, M_C1_ASYNC_CPU, M_C1_MB, M_C1_RSS, M_COMPACT1,
    M_RESTORE_BASE, M_C2_SYNC, M_C2_ASYNC, M_C2_BYTES, M_C2_RAW, M_C2_RATIO,
    M_D_SYNC, M_D_ASYNC, M_D_RATIO_MAX, M_RESTORE_CHAIN, M_COMPACT2,
    M_RESTORE_BASE2, M_STATE_MB, M_CAP_RESTORE, M_CAP_PEAK_MB, M_CAP_CHANGE,
    M_CAP_SYNC, M_CAP_ASYNC, M_CAP_RATIO, M_CAP_RESTORE2, M_PEAK_RSS, M_N
};

static struct metric metrics[M_N] = {
    [M_FILL] = { "fill (set_keygroup + add_i64 per key)", "s" },
    [M_C1_SYNC] = { "checkpoint 1 (every key): sync part (snap_take)", "s" },
    [M_C1_ASYNC] = { "checkpoint 1: async part (sort, write, fsync, free)", "s" },
    [M_C1_SYNC_CPU] = { "checkpoint 1: sync part, CPU of the thread", "s" },
    [M_C1_ASYNC_CPU] = { "checkpoint 1: async part, CPU of the thread", "s" },
    [M_C1_MB] = { "checkpoint 1: file size", "MB" },
    [M_C1_RSS] = { "RSS with the snapshot of checkpoint 1 held", "MB" },
    [M_COMPACT1] = { "compact checkpoint 1 into a base", "s" },
    [M_RESTORE_BASE] = { "restore from the base alone", "s" },
    [M_C2_SYNC] = { "checkpoint 2 (after the change): sync part", "s" },
    [M_C2_ASYNC] = { "checkpoint 2: async part", "s" },
    [M_C2_BYTES] = { "checkpoint 2: bytes written", "B" },
    [M_C2_RAW] = { "checkpoint 2: raw changed bytes (key + value)", "B" },
    [M_C2_RATIO] = { "checkpoint 2: written / raw changed", "x" },
    [M_D_SYNC] = { "deltas 2..: sync part, median", "s" },
    [M_D_ASYNC] = { "deltas 2..: async part, median", "s" },
    [M_D_RATIO_MAX] = { "deltas 2..: written / raw changed, worst", "x" },
    [M_RESTORE_CHAIN] = { "restore from base + deltas", "s" },
    [M_COMPACT2] = { "compact base + deltas into a new base", "s" },
    [M_RESTORE_BASE2] = { "restore from the new base", "s" },
    [M_STATE_MB] = { "state bytes without a cap (gale_kvstore_bytes)", "MB" },
    [M_CAP_RESTORE] = { "capped: restore base + deltas", "s" },
    [M_CAP_PEAK_MB] = { "capped: state bytes after restore", "MB" },
    [M_CAP_CHANGE] = { "capped: apply the change (add_i64, misses load)", "s" },
    [M_CAP_SYNC] = { "capped: checkpoint sync part", "s" },
    [M_CAP_ASYNC] = { "capped: checkpoint async part", "s" },
    [M_CAP_RATIO] = { "capped: written / raw changed", "x" },
    [M_CAP_RESTORE2] = { "capped: restore the chain again (fresh store)", "s" },
    [M_PEAK_RSS] = { "peak RSS of the process", "MB" },
};

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* ---- checking a store against the model ---------------------------------- */

struct check {
    uint8_t *seen;              /* owned; one byte per key index */
    size_t count;               /* keys reported */
    int kg;                     /* key group being walked */
    const char *what;           /* the restore being checked */
};

/* iterate callback: one entry must be a live key of the model, in its key
 * group, with its value, reported once. */
static int
check_one(void *arg, const void *key, size_t klen, const void *val,
    size_t vlen)
{
    struct check *c = arg;
    size_t i = index_of(key, klen);
    int64_t v;

    if (i == SIZE_MAX)
        die("%s: unknown key '%.*s'", c->what, (int)klen, (const char *)key);
    if (kgs[i] != c->kg)
        die("%s: key '%.*s' in key group %d, not %d", c->what, (int)klen,
            (const char *)key, c->kg, kgs[i]);
    if (c->seen[i])
        die("%s: key '%.*s' reported twice", c->what, (int)klen,
            (const char *)key);
    c->seen[i] = 1;
    if (model[i] == DELETED)
        die("%s: deleted key '%.*s' is back", c->what, (int)klen,
            (const char *)key);
    if (vlen != 8)
        die("%s: key '%.*s' has a %zu-byte value", c->what, (int)klen,
            (const char *)key, vlen);
    memcpy(&v, val, 8);
    if (v != model[i])
        die("%s: key '%.*s' is %" PRId64 ", expected %" PRId64, c->what,
            (int)klen, (const char *)key, v, model[i]);
    c->count++;
    return 0;
}

/* Checks that s holds exactly the model (every key group walked on its
 * own, so each key must be in its own group) and operator state
 * position/offset = pos. Exits on a difference. */
static void
check_store(gale_kvstore_t *s, int64_t pos, const char *what)
{
    struct check c = { .what = what };
    gale_kv_t *kv = gale_kvstore_keyed(s, "counts");
    size_t i, live = 0;
    const void *v;
    size_t vlen;
    int64_t got;
    int rc;

    c.seen = xcalloc(nkeys, 1);
    for (c.kg = 0; c.kg < MAXPAR; c.kg++) {
        gale_kvstore_set_keygroup(s, c.kg);
        if ((rc = gale_kv_iterate(kv, check_one, &c)) != 0)
            die("%s: iterate: %s", what, strerror(-rc));
    }
    gale_kvstore_set_keygroup(s, -1);
    for (i = 0; i < nkeys; i++)
        if (model[i] != DELETED) {
            live++;
            if (!c.seen[i]) {
                char k[16];
                size_t n = key_of(i, k);

                die("%s: key '%.*s' is missing", what, (int)n, k);
            }
        }
    if (c.count != live)
        die("%s: %zu keys, expected %zu", what, c.count, live);
    rc = gale_kv_get(gale_kvstore_operator(s, "position"), "offset", 6, &v,
        &vlen);
    if (rc != 0 || vlen != 8)
        die("%s: operator state position/offset: %d", what, rc);
    memcpy(&got, v, 8);
    if (got != pos)
        die("%s: position/offset %" PRId64 ", expected %" PRId64, what, got,
            pos);
    free(c.seen);
}

/* ---- the checkpoint path ------------------------------------------------- */

struct ckres {
    double sync_s;              /* snap_take */
    double async_s;             /* write_snap + snap_destroy */
    double sync_cpu;            /* the same as CPU time of the thread */
    double async_cpu;
    size_t bytes;               /* the file's size */
    size_t payload;             /* the snapshot's key and value bytes */
    size_t count;               /* the snapshot's entries */
    double rss_mb;              /* RSS while the snapshot was held */
};

/* Takes checkpoint id of s as a task does, writes it and appends it to
 * chain t. Checks that the snapshot holds exactly the keys the model
 * stamped with id (plus the operator entry) and their bytes. */
static struct ckres
checkpoint(const char *dir, gale_kvstore_t *s, uint64_t id,
    gale_ckpt_task_t *t)
{
    struct ckres r = { 0 };
    gale_snap_t *sn;
    char *file = NULL, k[16];
    size_t i, n = 1, raw = 6 + 8;
    double t0, c0;
    int rc;

    for (i = 0; i < nkeys; i++)
        if (stamp[i] == id) {
            n++;
            raw += key_of(i, k) + (model[i] == DELETED ? 0 : 8);
        }
    t0 = now_s();
    c0 = cpu_s();
    sn = gale_snap_take(s, TASK, id);
    r.sync_cpu = cpu_s() - c0;
    r.sync_s = now_s() - t0;
    r.rss_mb = rss_mb();
    r.count = gale_snap_count(sn);
    r.payload = gale_snap_payload(sn);
    if (r.count != n || r.payload != raw)
        die("checkpoint %" PRIu64 ": %zu changes of %zu bytes, expected %zu"
            " of %zu", id, r.count, r.payload, n, raw);
    t0 = now_s();
    c0 = cpu_s();
    if ((rc = gale_ckpt_write_snap(dir, sn, &file, &r.bytes)) != 0)
        die("checkpoint %" PRIu64 ": %s", id, strerror(-rc));
    gale_snap_destroy(&sn);
    r.async_cpu = cpu_s() - c0;
    r.async_s = now_s() - t0;
    gale_ckpt_task_append(t, file, r.bytes);
    free(file);
    return r;
}

/* Sets the operator entry position/offset to pos (a spout's snapshot). */
static void
set_position(gale_kvstore_t *s, int64_t pos)
{
    gale_kvstore_set_keygroup(s, -1);
    if (gale_kv_put(gale_kvstore_operator(s, "position"), "offset", 6, &pos,
        8) != 0)
        die("put position");
}

/* Adds d to key i in s and the model, stamping it with checkpoint id. */
static void
add_key(gale_kvstore_t *s, gale_kv_t *kv, size_t i, int64_t d, uint32_t id)
{
    char k[16];
    size_t n = key_of(i, k);
    int64_t out;
    int rc;

    gale_kvstore_set_keygroup(s, kgs[i]);
    if ((rc = gale_kv_add_i64(kv, k, n, d, &out)) != 0)
        die("add_i64: %s", strerror(-rc));
    model[i] = model[i] == DELETED ? d : model[i] + d;
    if (out != model[i])
        die("add_i64 gave %" PRId64 ", model %" PRId64, out, model[i]);
    stamp[i] = id;
}

/* Deletes key i from s and the model, stamping it with checkpoint id. */
static void
delete_key(gale_kvstore_t *s, gale_kv_t *kv, size_t i, uint32_t id)
{
    char k[16];
    size_t n = key_of(i, k);
    int rc;

    gale_kvstore_set_keygroup(s, kgs[i]);
    if ((rc = gale_kv_delete(kv, k, n)) != 0 && rc != -ENOENT)
        die("delete: %s", strerror(-rc));
    if (model[i] != DELETED || stamp[i] == id)
        stamp[i] = id;
    model[i] = DELETED;
}

/* The changes before checkpoint id: CHANGE percent of random draws added
 * to, then (from checkpoint 3) DELETE per mille deleted. */
static void
change(gale_kvstore_t *s, double pct, double del_pm, uint32_t id)
{
    gale_kv_t *kv = gale_kvstore_keyed(s, "counts");
    size_t i, n = (size_t)((double)nkeys * pct / 100.0);

    for (i = 0; i < n; i++)
        add_key(s, kv, (size_t)(next_rand() % nkeys), 1 + (int64_t)(next_rand() % 3), id);
    n = id >= 3 ? (size_t)((double)nkeys * del_pm / 1000.0) : 0;
    for (i = 0; i < n; i++)
        delete_key(s, kv, (size_t)(next_rand() % nkeys), id);
    set_position(s, id);
    gale_kvstore_set_keygroup(s, -1);
}

/* Restores chain t into s, timed; exits on an error. */
static double
restore(gale_ckpt_t *ck, const gale_ckpt_task_t *t, gale_kvstore_t *s)
{
    char *cause = NULL;
    double t0 = now_s();
    int rc = gale_ckpt_restore_task(ck, t, s, &cause);

    if (rc != 0)
        die("restore: %s", cause != NULL ? cause : strerror(-rc));
    return now_s() - t0;
}

/* Compacts chain t, timed, and replaces t's chain by the base. */
static double
compact(gale_ckpt_t *ck, gale_ckpt_task_t *t)
{
    char *base = NULL;
    double t0 = now_s();
    int rc;

    if ((rc = gale_ckpt_compact(ck, t, &base)) != 0)
        die("compact: %s", strerror(-rc));
    t0 = now_s() - t0;
    if ((rc = gale_ckpt_task_rebase(ck, t, base)) != 0)
        die("rebase: %s", strerror(-rc));
    free(base);
    return t0;
}

/* A copy of chain t (files and sizes). */
static void
chain_copy(gale_ckpt_task_t *dst, const gale_ckpt_task_t *src)
{
    size_t i;

    memset(dst, 0, sizeof(*dst));
    dst->task_id = src->task_id;
    dst->kg_first = src->kg_first;
    dst->kg_last = src->kg_last;
    for (i = 0; i < src->nfiles; i++)
        gale_ckpt_task_append(dst, src->files[i], src->sizes[i]);
}

static void
chain_free(gale_ckpt_task_t *t)
{
    size_t i;

    for (i = 0; i < t->nfiles; i++)
        free(t->files[i]);
    free(t->files);
    free(t->sizes);
    memset(t, 0, sizeof(*t));
}

/* A store with a spill of cap bytes under dir/name. */
static gale_kvstore_t *
capped_store(const char *dir, const char *name, size_t cap)
{
    gale_kvstore_t *s = gale_kvstore_new(MAXPAR, 0, MAXPAR - 1);
    char *path, *cause = NULL;

    xasprintf(&path, "%s/%s", dir, name);
    if (gale_kvstore_set_spill(s, path, cap, &cause) != 0)
        die("spill: %s", cause);
    free(path);
    return s;
}

/* ---- one repetition ------------------------------------------------------- */

static void
one_rep(int r, const char *root, double pct, size_t ndeltas, double del_pm,
    double cap_mb)
{
    gale_kvstore_t *s, *g;
    gale_kv_t *kv;
    gale_ckpt_t *ck;
    gale_ckpt_task_t t = { .task_id = TASK, .kg_first = 0,
        .kg_last = MAXPAR - 1 }, t2;
    struct ckres c;
    char *dir, *cause = NULL;
    double t0, dsync[64], dasync[64], worst = 0;
    size_t i, d, cap;
    uint32_t id;

#define M(x) (metrics[x].v[r])
    xasprintf(&dir, "%s/rep%d", root, r);
    if ((ck = gale_ckpt_open(dir, &cause)) == NULL)
        die("%s", cause);
    rng = 0x2545f4914f6cdd1dULL + (uint64_t)r;
    memset(stamp, 0, nkeys * sizeof(*stamp));

    /* 1. The state, and checkpoint 1 with every key. */
    s = gale_kvstore_new(MAXPAR, 0, MAXPAR - 1);
    kv = gale_kvstore_keyed(s, "counts");
    t0 = now_s();
    for (i = 0; i < nkeys; i++) {
        model[i] = DELETED;
        add_key(s, kv, i, 1 + (int64_t)(i % 1000), 1);
    }
    set_position(s, 1);
    gale_kvstore_set_keygroup(s, -1);
    M(M_FILL) = now_s() - t0;
    M(M_STATE_MB) = (double)gale_kvstore_bytes(s) / 1e6;
    c = checkpoint(dir, s, 1, &t);
    M(M_C1_SYNC) = c.sync_s;
    M(M_C1_ASYNC) = c.async_s;
    M(M_C1_SYNC_CPU) = c.sync_cpu;
    M(M_C1_ASYNC_CPU) = c.async_cpu;
    M(M_C1_MB) = (double)c.bytes / 1e6;
    M(M_C1_RSS) = c.rss_mb;
    printf("rep %d: %zu keys, state %.1f MB, filled in %.2f s; checkpoint 1:"
        " %.1f MB, sync %.3f s, async %.2f s, RSS %.0f MB with the snapshot\n",
        r, nkeys, M(M_STATE_MB), M(M_FILL), M(M_C1_MB), c.sync_s, c.async_s,
        c.rss_mb);

    /* 2. A base, restored alone. */
    M(M_COMPACT1) = compact(ck, &t);
    g = gale_kvstore_new(MAXPAR, 0, MAXPAR - 1);
    M(M_RESTORE_BASE) = restore(ck, &t, g);
    check_store(g, 1, "restore of the base");
    gale_kvstore_destroy(&g);
    printf("rep %d: compact %.2f s; restore base %.2f s (checked)\n", r,
        M(M_COMPACT1), M(M_RESTORE_BASE));

    /* 3. Deltas. */
    for (d = 0; d < ndeltas; d++) {
        id = (uint32_t)(2 + d);
        change(s, pct, del_pm, id);
        c = checkpoint(dir, s, id, &t);
        dsync[d] = c.sync_s;
        dasync[d] = c.async_s;
        if ((double)c.bytes / (double)c.payload > worst)
            worst = (double)c.bytes / (double)c.payload;
        if (d == 0) {
            M(M_C2_SYNC) = c.sync_s;
            M(M_C2_ASYNC) = c.async_s;
            M(M_C2_BYTES) = (double)c.bytes;
            M(M_C2_RAW) = (double)c.payload;
            M(M_C2_RATIO) = (double)c.bytes / (double)c.payload;
        }
        printf("rep %d: checkpoint %" PRIu32 ": %zu changes, %zu raw bytes,"
            " %zu written (%.2fx), sync %.4f s, async %.3f s\n", r, id,
            c.count, c.payload, c.bytes, (double)c.bytes / (double)c.payload,
            c.sync_s, c.async_s);
    }
    qsort(dsync, ndeltas, sizeof(double), cmp_double);
    qsort(dasync, ndeltas, sizeof(double), cmp_double);
    M(M_D_SYNC) = dsync[ndeltas / 2];
    M(M_D_ASYNC) = dasync[ndeltas / 2];
    M(M_D_RATIO_MAX) = worst;

    /* 4. Restores of the chain and of its compaction. */
    g = gale_kvstore_new(MAXPAR, 0, MAXPAR - 1);
    M(M_RESTORE_CHAIN) = restore(ck, &t, g);
    check_store(g, 1 + (int64_t)ndeltas, "restore of base + deltas");
    gale_kvstore_destroy(&g);
    chain_copy(&t2, &t);
    M(M_COMPACT2) = compact(ck, &t2);
    g = gale_kvstore_new(MAXPAR, 0, MAXPAR - 1);
    M(M_RESTORE_BASE2) = restore(ck, &t2, g);
    check_store(g, 1 + (int64_t)ndeltas, "restore of the new base");
    gale_kvstore_destroy(&g);
    chain_free(&t2);
    printf("rep %d: restore base + %zu deltas %.2f s; compact them %.2f s;"
        " restore new base %.2f s (all checked)\n", r, ndeltas,
        M(M_RESTORE_CHAIN), M(M_COMPACT2), M(M_RESTORE_BASE2));
    gale_kvstore_destroy(&s);

    /* 5. Under a memory cap. */
    if (cap_mb >= 0) {
        gale_kvstore_stats_t st;

        cap = cap_mb > 0 ? (size_t)(cap_mb * 1048576.0) :
            (size_t)(M(M_STATE_MB) * 1e6 / 16);
        if (cap < (1u << 20))
            cap = 1u << 20;
        id = (uint32_t)(2 + ndeltas);
        s = capped_store(dir, "spill-a", cap);
        M(M_CAP_RESTORE) = restore(ck, &t, s);
        M(M_CAP_PEAK_MB) = (double)gale_kvstore_bytes(s) / 1e6;
        check_store(s, id - 1, "capped restore");
        t0 = now_s();
        change(s, pct, 0, id);
        M(M_CAP_CHANGE) = now_s() - t0;
        c = checkpoint(dir, s, id, &t);
        M(M_CAP_SYNC) = c.sync_s;
        M(M_CAP_ASYNC) = c.async_s;
        M(M_CAP_RATIO) = (double)c.bytes / (double)c.payload;
        gale_kvstore_stats(s, &st);
        printf("rep %d: cap %.1f MB: restore %.2f s, %.1f MB after it;"
            " change %.2f s; checkpoint %zu changes, %.2fx, sync %.4f s,"
            " async %.3f s; %" PRIu64 " evicted, %" PRIu64 " loads\n", r,
            (double)cap / 1e6, M(M_CAP_RESTORE), M(M_CAP_PEAK_MB),
            M(M_CAP_CHANGE), c.count, M(M_CAP_RATIO), c.sync_s, c.async_s,
            st.evicted, st.loads);
        gale_kvstore_destroy(&s);
        g = capped_store(dir, "spill-b", cap);
        M(M_CAP_RESTORE2) = restore(ck, &t, g);
        check_store(g, id, "capped restore of the chain + capped delta");
        gale_kvstore_destroy(&g);
        printf("rep %d: capped restore of %zu files %.2f s (checked)\n", r,
            t.nfiles, M(M_CAP_RESTORE2));
    } else {
        for (i = M_CAP_RESTORE; i <= M_CAP_RESTORE2; i++)
            metrics[i].v[r] = 0;
    }
    {
        struct rusage ru;

        getrusage(RUSAGE_SELF, &ru);
        M(M_PEAK_RSS) = (double)ru.ru_maxrss / 1024.0;
    }
#undef M
    chain_free(&t);
    gale_ckpt_close(&ck);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

int
main(void)
{
    const char *tmp = getenv("BENCH_DIR");
    size_t reps = env_size("REPS", 3), ndeltas = env_size("DELTAS", 8), i;
    double pct = env_double("CHANGE", 1), del_pm = env_double("DELETE", 1);
    double cap_mb = -1, x;
    char *root;
    int r;

    nkeys = env_size("KEYS", 10000000);
    if (getenv("CAP_MB") == NULL || *getenv("CAP_MB") == '\0')
        cap_mb = 0;
    else if ((cap_mb = env_double("CAP_MB", 0)) == 0)
        cap_mb = -1;                /* CAP_MB=0: no capped step */
    if (nkeys == 0 || nkeys > UINT32_MAX || reps < 1 || reps > MAXREPS ||
        ndeltas < 1 || ndeltas > 64)
        die("KEYS 1..2^32-1, REPS 1..%d, DELTAS 1..64", MAXREPS);
    for (mult_inv = MULT, i = 0; i < 5; i++)    /* Newton: x(2 - ax) */
        mult_inv *= 2 - MULT * mult_inv;
    if (tmp == NULL)
        tmp = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
    xasprintf(&root, "%s/ckpt_bench.XXXXXX", tmp);
    if (mkdtemp(root) == NULL)
        die("mkdtemp %s: %s", root, strerror(errno));
    model = xreallocarray(NULL, nkeys, sizeof(*model));
    stamp = xreallocarray(NULL, nkeys, sizeof(*stamp));
    kgs = xmalloc(nkeys);
    for (i = 0; i < nkeys; i++) {
        char k[16];
        size_t n = key_of(i, k);
        gale_datum_t dv = gale_d_str(k, n);

        kgs[i] = (uint8_t)gale_keygroup(gale_keyhash(&dv, 1), MAXPAR);
    }
    printf("ckpt_bench: KEYS=%zu CHANGE=%g%% DELTAS=%zu DELETE=%g/1000"
        " REPS=%zu CAP_MB=%s in %s\n", nkeys, pct, ndeltas, del_pm, reps,
        cap_mb < 0 ? "off" : cap_mb == 0 ? "auto (state/16)" :
        getenv("CAP_MB"), root);
    fflush(stdout);
    for (r = 0; r < (int)reps; r++) {
        one_rep(r, root, pct, ndeltas, del_pm, cap_mb);
        fflush(stdout);
    }
    rmdir(root);
    printf("\nsummary over %zu repetitions: median (min-max)\n", reps);
    for (i = 0; i < M_N; i++) {
        struct metric *m = &metrics[i];

        if (cap_mb < 0 && i >= M_CAP_RESTORE && i <= M_CAP_RESTORE2)
            continue;
        qsort(m->v, reps, sizeof(double), cmp_double);
        x = m->v[reps / 2];
        printf("RESULT %-55s %12.4g %-2s (%.4g-%.4g)\n", m->name, x,
            m->unit, m->v[0], m->v[reps - 1]);
    }
    free(model);
    free(stamp);
    free(kgs);
    free(root);
    return 0;
}
