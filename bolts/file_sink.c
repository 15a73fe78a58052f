/* file_sink.c - the "file_sink" bolt: each task writes its tuples as
 * lines (linefmt.h, fields separated by a tab) under the directory path.
 *
 * With guarantee "none" task i writes path/part-<i, 5 digits> directly,
 * truncated at prepare, fsynced at finish, at a checkpoint and at cleanup.
 *
 * Otherwise ("exactly_once", "at_least_once") it is a two-phase-commit
 * sink. Output goes to a staging file; snapshot(n) makes it durable under
 * a name that carries checkpoint n and the attempt epoch and records it
 * in operator state; checkpoint_complete(n) publishes every staged
 * transaction <= n by renaming it to path/part-<i, 5>-<n, 12 digits>.
 * Layout, for task i and attempt a:
 *
 *   path/.staging/part-<i>.<tag>.<a>.tmp   open transaction; tag is the
 *                                          next checkpoint id or "open"
 *   path/.staging/part-<i>.<n>.<a>         staged transaction of n
 *   path/part-<i>-<n>                      published (visible) output
 *
 * Operator state "sink" holds "staged:<n>" -> "<a>" (decimal text) for
 * every staged transaction not yet known to be published. It is the only
 * record of what may be published: a staged file without an entry is
 * garbage from a failed attempt, and restore() deletes it.
 *
 * Every byte reaches a file through sink_write(). One task's thread owns
 * a sink. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gale/gale.h>

#include "bolts/builtins.h"
#include "bolts/linefmt.h"

#define FLUSH_AT (1 << 20)      /* bytes buffered before a write(2) */
#define STAGING ".staging"      /* staging directory inside path */
#define STATE "sink"            /* operator state of the staged transactions */
#define STAGED_KEY "staged:"    /* its key prefix, then "<task index>:<checkpoint
                                   id>" (older: "<checkpoint id>", own index) */

typedef struct sink {
    char *dir;                  /* owned output directory */
    char *staging;              /* owned dir/.staging; NULL with guarantee none */
    char *file;                 /* owned path of the open file; NULL if none */
    int fd;                     /* that file; -1 when closed */
    int index;                  /* the task's index */
    uint32_t attempt;           /* the attempt epoch, in staged names */
    uint64_t next_id;           /* id after the last snapshot; 0 before one */
    gale_linebuf_t buf;         /* lines not yet written */
} sink_t;

/* One staged transaction, as recorded in operator state. */
typedef struct staged {
    uint64_t id;                /* checkpoint id */
    uint32_t attempt;           /* attempt epoch that staged it */
    int index;                  /* the task index that staged it (another
                                   than ours after a rescale) */
    char key[48];               /* its key in operator state */
    char dir[PATH_MAX];         /* the output directory it was staged in */
} staged_t;

/* A growable list of staged transactions, filled by collect(). */
typedef struct staged_list {
    staged_t *v;                /* owned entries */
    size_t n;                   /* entries in use */
    size_t cap;                 /* entries allocated */
    uint64_t upto;              /* only ids <= upto are collected */
    int own;                    /* our task index (keys of the old form) */
    const char *dir;            /* our directory (values of the old form) */
} staged_list_t;

/* Creates dir and its missing parents. 0 or -errno. */
static int
make_dirs(const char *dir)
{
    char *p, *tmp;
    int rc = 0;

    if (dir[0] == '\0')
        return -ENOENT;
    if ((tmp = strdup(dir)) == NULL)
        return -ENOMEM;
    for (p = tmp + 1; ; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(tmp, 0777) == -1 && errno != EEXIST) {
            rc = -errno;
            break;
        }
        *p = c;
        if (c == '\0')
            break;
    }
    free(tmp);
    return rc;
}

/* Whether the sink stages and publishes: any guarantee but "none". The
 * engine's conf always carries gale.guarantee; absent means the default,
 * exactly_once. */
static int
is_transactional(gale_ctx_t *ctx)
{
    const gale_value_t *conf = gale_ctx_conf(ctx), *v = NULL;

    if (conf != NULL && conf->type == GALE_MAP)
        v = gale_value_map_get(conf, "gale.guarantee");
    return !(v != NULL && v->type == GALE_STRING &&
        strcmp(v->u.s.ptr, "none") == 0);
}

/* The staged name of transaction id of attempt a, or the published one
 * with published set. NULL on OOM; caller frees. */
static char *
txn_name(const char *dir, int index, uint64_t id, uint32_t a, int published)
{
    char *p;
    int rc;

    if (published)
        rc = asprintf(&p, "%s/part-%05d-%012" PRIu64, dir, index, id);
    else
        rc = asprintf(&p, "%s/" STAGING "/part-%05d.%" PRIu64 ".%" PRIu32,
            dir, index, id, a);
    return rc < 0 ? NULL : p;
}

/* Writes n bytes to the open file. 0 or -errno. */
static int
sink_write(sink_t *s, const void *p, size_t n)
{
    return gale_write_all(s->fd, p, n);
}

/* Opens this attempt's transaction file in staging, named after the next
 * checkpoint (or "open" before the first snapshot), truncating leftovers
 * of a run that used the same name. 0 or -errno; s->file names the file
 * for the error message either way. */
static int
open_txn(sink_t *s)
{
    char tag[24];
    int rc;

    if (s->next_id == 0)
        strcpy(tag, "open");
    else
        snprintf(tag, sizeof tag, "%" PRIu64, s->next_id);
    free(s->file);
    rc = asprintf(&s->file, "%s/part-%05d.%s.%" PRIu32 ".tmp", s->staging,
        s->index, tag, s->attempt);
    if (rc < 0) {
        s->file = NULL;
        return -ENOMEM;
    }
    s->fd = open(s->file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    return s->fd == -1 ? -errno : 0;
}

/* Writes out the buffer, opening the transaction file first when there is
 * none (so that a checkpoint without output stages nothing), and, with
 * sync, makes the file durable (with guarantee none also its directory
 * entry). 0 or -errno (reported). */
static int
sink_flush(gale_ctx_t *ctx, sink_t *s, int sync)
{
    int rc;

    if (s->fd == -1) {
        if (s->buf.len == 0)
            return 0;
        if ((rc = open_txn(s)) != 0)
            goto fail;
    }
    if ((rc = sink_write(s, s->buf.ptr, s->buf.len)) != 0)
        goto fail;
    s->buf.len = 0;
    if (!sync)
        return 0;
    if (fsync(s->fd) == -1) {
        rc = -errno;
        goto fail;
    }
    if (s->staging == NULL)
        (void)gale_fsync_dir(s->dir);     /* the file exists since prepare */
    return 0;
fail:
    gale_ctx_report_error(ctx, "file_sink: %s: %s",
        s->file != NULL ? s->file : s->dir, strerror(-rc));
    return rc;
}

/* Closes the open file, if any, and frees s. Accepts NULL. Publishes
 * nothing and removes no file. */
static void
sink_free(sink_t *s)
{
    if (s == NULL)
        return;
    if (s->fd != -1)
        close(s->fd);
    free(s->dir);
    free(s->staging);
    free(s->file);
    gale_linebuf_release(&s->buf);
    free(s);
}

/* Creates the directory (and .staging for a transactional sink); with
 * guarantee none also truncates the part file. -errno (reported) when
 * any of it fails. */
static int
sink_prepare(gale_ctx_t *ctx, void **self)
{
    const char *dir = gale_ctx_param_str(ctx, "path", NULL);
    sink_t *s = calloc(1, sizeof *s);
    int rc = -ENOMEM;

    if (s == NULL)
        return -ENOMEM;
    s->fd = -1;
    s->index = gale_ctx_task_index(ctx);
    s->attempt = gale_ctx_attempt(ctx);
    if (dir == NULL) {
        gale_ctx_report_error(ctx, "file_sink: parameter path is required");
        rc = -EINVAL;
        goto fail;
    }
    if ((s->dir = strdup(dir)) == NULL)
        goto fail;
    if (is_transactional(ctx) &&
        asprintf(&s->staging, "%s/" STAGING, dir) < 0) {
        s->staging = NULL;
        goto fail;
    }
    if ((rc = make_dirs(s->staging != NULL ? s->staging : dir)) != 0) {
        gale_ctx_report_error(ctx, "file_sink: %s: %s", dir, strerror(-rc));
        goto fail;
    }
    if (s->staging != NULL) {
        *self = s;
        return 0;
    }
    if (asprintf(&s->file, "%s/part-%05d", dir, s->index) < 0) {
        s->file = NULL;
        rc = -ENOMEM;
        goto fail;
    }
    s->fd = open(s->file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (s->fd == -1) {
        rc = -errno;
        gale_ctx_report_error(ctx, "file_sink: %s: %s", s->file,
            strerror(errno));
        goto fail;
    }
    *self = s;
    return 0;
fail:
    sink_free(s);
    return rc;
}

/* Appends t as a line to the buffer, writing the buffer out when it is
 * full. Tick tuples are skipped. 0 or -errno (a write error is reported). */
static int
sink_execute(gale_ctx_t *ctx, void *self, const gale_tuple_t *t)
{
    sink_t *s = self;
    int rc;

    if (gale_tuple_is_tick(t))
        return 0;
    if ((rc = gale_linefmt_tuple(&s->buf, t, "\t")) != 0 ||
        (rc = gale_linebuf_add(&s->buf, "\n", 1)) != 0)
        return rc;
    if (s->buf.len >= FLUSH_AT)
        return sink_flush(ctx, s, 0);
    return 0;
}

/* Guarantee none: the output is final, so it is made durable. Otherwise
 * the buffer is only written out: the final checkpoint's snapshot stages
 * it and its completion publishes it. */
static int
sink_finish(gale_ctx_t *ctx, void *self)
{
    sink_t *s = self;

    return sink_flush(ctx, s, s->staging == NULL);
}

/* Stages the open transaction as checkpoint n's: fsync, rename to
 * part-<i>.<n>.<a>, fsync .staging, record it in operator state. Nothing
 * is staged without output since the last snapshot. 0 or -errno
 * (reported): the task cannot acknowledge n. */
static int
sink_snapshot(gale_ctx_t *ctx, void *self, uint64_t checkpoint_id)
{
    sink_t *s = self;
    char key[32], val[PATH_MAX + 16], *staged = NULL, *abs;
    int rc;

    if (s->staging == NULL)
        return sink_flush(ctx, s, 1);
    if ((rc = sink_flush(ctx, s, 1)) != 0)
        return rc;
    s->next_id = checkpoint_id + 1;
    if (s->fd == -1)
        return 0;
    if ((staged = txn_name(s->dir, s->index, checkpoint_id, s->attempt, 0)) == NULL) {
        rc = -ENOMEM;
        goto fail;
    }
    close(s->fd);
    s->fd = -1;
    if (rename(s->file, staged) == -1) {
        rc = -errno;
        goto fail;
    }
    if ((rc = gale_fsync_dir(s->staging)) != 0)
        goto fail;
    snprintf(key, sizeof key, STAGED_KEY "%d:%" PRIu64, s->index,
        checkpoint_id);
    /* "attempt<TAB>directory": a restore with another path still
     * publishes this transaction where it was staged. */
    abs = realpath(s->dir, NULL);
    snprintf(val, sizeof val, "%" PRIu32 "\t%s", s->attempt,
        abs != NULL ? abs : s->dir);
    free(abs);
    if ((rc = gale_kv_put(gale_ctx_operator_state(ctx, STATE), key,
        strlen(key), val, strlen(val))) != 0)
        goto fail;
    free(staged);
    return 0;
fail:
    gale_ctx_report_error(ctx, "file_sink: staging %s: %s",
        staged != NULL ? staged : s->file, strerror(-rc));
    free(staged);
    return rc;
}

/* Parses the decimal digits p[0..n) into *out. 0, or -EINVAL when there
 * are none, something else, or too many. */
static int
parse_u64(const char *p, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    size_t i;

    if (n == 0 || n > 19)
        return -EINVAL;
    for (i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -EINVAL;
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    *out = v;
    return 0;
}

/* gale_kv_iterate callback: appends the staged transactions with an id
 * <= list->upto; other keys are ignored. 0, or -ENOMEM. */
static int
collect(void *arg, const void *key, size_t klen, const void *val,
    size_t vlen)
{
    staged_list_t *l = arg;
    size_t plen = strlen(STAGED_KEY), rlen, alen;
    const char *rest = (const char *)key + plen, *colon, *tab;
    staged_t e, *v;
    uint64_t a, idx;

    if (klen <= plen || klen >= sizeof e.key ||
        memcmp(key, STAGED_KEY, plen) != 0)
        return 0;
    rlen = klen - plen;
    e.index = l->own;
    if ((colon = memchr(rest, ':', rlen)) != NULL) {
        if (parse_u64(rest, (size_t)(colon - rest), &idx) != 0 ||
            idx > 99999)
            return 0;
        e.index = (int)idx;
        rlen -= (size_t)(colon + 1 - rest);
        rest = colon + 1;
    }
    /* The value: "attempt", or "attempt<TAB>directory". */
    tab = memchr(val, '\t', vlen);
    alen = tab != NULL ? (size_t)(tab - (const char *)val) : vlen;
    if (parse_u64(rest, rlen, &e.id) != 0 ||
        parse_u64(val, alen, &a) != 0 || a > UINT32_MAX || e.id > l->upto)
        return 0;
    if (tab != NULL && vlen - alen - 1 > 0 && vlen - alen - 1 < sizeof e.dir) {
        memcpy(e.dir, tab + 1, vlen - alen - 1);
        e.dir[vlen - alen - 1] = '\0';
    } else {
        snprintf(e.dir, sizeof e.dir, "%s", l->dir);
    }
    e.attempt = (uint32_t)a;
    memcpy(e.key, key, klen);
    e.key[klen] = '\0';
    if (l->n == l->cap) {
        l->cap = l->cap == 0 ? 8 : l->cap * 2;
        if ((v = realloc(l->v, l->cap * sizeof *v)) == NULL)
            return -ENOMEM;
        l->v = v;
    }
    l->v[l->n++] = e;
    return 0;
}

/* qsort comparator: ascending checkpoint id. */
static int
by_id(const void *a, const void *b)
{
    const staged_t *x = a, *y = b;

    return x->id < y->id ? -1 : x->id > y->id;
}

/* Moves staged transaction e to its published name. Idempotent: when the
 * staged file is gone and the published one exists, an earlier call (or
 * attempt) did it. The transaction is published where it was staged,
 * which is another directory when the topology was restored with another
 * path (a replay into a new directory). 0 or -errno (reported); -ENOENT
 * when both are gone. */
static int
publish_one(gale_ctx_t *ctx, const sink_t *s, const staged_t *e)
{
    char *from = txn_name(e->dir, e->index, e->id, e->attempt, 0);
    char *to = txn_name(e->dir, e->index, e->id, e->attempt, 1);
    struct stat st;
    int rc = 0;

    if (from == NULL || to == NULL) {
        rc = -ENOMEM;
        goto fail;
    }
    if (rename(from, to) == 0)
        goto done;
    rc = -errno;
    if (rc == -ENOENT && stat(to, &st) == 0)
        rc = 0;
    if (rc != 0)
        goto fail;
done:
    free(from);
    free(to);
    return 0;
fail:
    gale_ctx_report_error(ctx, "file_sink: publishing checkpoint %" PRIu64
        " (%s): %s", e->id, from != NULL ? from : "?", strerror(-rc));
    free(from);
    free(to);
    return rc;
}

/* Publishes every staged transaction in operator state with an id <= upto,
 * oldest first, makes the renames durable, then forgets them. Stops at the
 * first failure; what was published before it is still forgotten. 0 or
 * -errno (reported). */
static int
publish_upto(gale_ctx_t *ctx, sink_t *s, uint64_t upto)
{
    gale_kv_t *kv = gale_ctx_operator_state(ctx, STATE);
    staged_list_t l = { .upto = upto, .own = s->index, .dir = s->dir };
    size_t i, done = 0;
    int rc;

    if ((rc = gale_kv_iterate(kv, collect, &l)) != 0) {
        gale_ctx_report_error(ctx, "file_sink: reading operator state: %s",
            strerror(-rc));
        goto out;
    }
    if (l.n == 0)
        goto out;
    if (l.n > 0)
        qsort(l.v, l.n, sizeof *l.v, by_id);
    for (done = 0; done < l.n; done++)
        if ((rc = publish_one(ctx, s, &l.v[done])) != 0)
            break;
    for (i = 0; i < done; i++)      /* transactions staged elsewhere */
        if (strcmp(l.v[i].dir, s->dir) != 0)
            (void)gale_fsync_dir(l.v[i].dir);
    if (done > 0) {
        int src;

        if ((src = gale_fsync_dir(s->dir)) != 0 ||
            (src = gale_fsync_dir(s->staging)) != 0) {
            gale_ctx_report_error(ctx, "file_sink: %s: fsync: %s", s->dir,
                strerror(-src));
            rc = src;
            goto out;
        }
    }
    for (i = 0; i < done; i++)
        gale_kv_delete(kv, l.v[i].key, strlen(l.v[i].key));
out:
    free(l.v);
    return rc;
}

/* "Everything <= n is complete": publishes every staged transaction <= n,
 * which covers declined checkpoints staged before n. Failures are
 * reported; the entries stay and the next notification retries. */
static void
sink_checkpoint_complete(gale_ctx_t *ctx, void *self, uint64_t checkpoint_id)
{
    sink_t *s = self;

    if (s->staging != NULL)
        (void)publish_upto(ctx, s, checkpoint_id);
}

/* Deletes every file of this task in .staging: staged transactions of
 * checkpoints after the restored one, those of failed attempts, and open
 * transactions. 0 or -errno (reported). */
static int
discard_staging(gale_ctx_t *ctx, sink_t *s)
{
    int ntasks = gale_ctx_ntasks(ctx);
    struct dirent *de;
    DIR *d;
    int rc = 0;

    if ((d = opendir(s->staging)) == NULL) {
        rc = -errno;
        goto fail;
    }
    while ((errno = 0, de = readdir(d)) != NULL) {
        int idx;
        char dot;

        /* Ours, and after a rescale to fewer tasks those of the old task
         * indexes that map to us (i mod tasks), as their state did. */
        if (sscanf(de->d_name, "part-%5d%c", &idx, &dot) != 2 || dot != '.' ||
            idx % ntasks != s->index)
            continue;
        if (unlinkat(dirfd(d), de->d_name, 0) == -1 && errno != ENOENT) {
            rc = -errno;
            break;
        }
    }
    if (rc == 0 && errno != 0)
        rc = -errno;
    closedir(d);
    if (rc == 0)
        rc = gale_fsync_dir(s->staging);
    if (rc != 0)
        goto fail;
    return 0;
fail:
    gale_ctx_report_error(ctx, "file_sink: %s: %s", s->staging,
        strerror(-rc));
    return rc;
}

/* Rolls back to the restored checkpoint n, whose operator state is loaded:
 * re-publishes the staged transactions it lists (n's may not have been
 * published before the crash), then discards the rest of this task's
 * staging. Idempotent. 0 or -errno (reported); on failure nothing is
 * discarded. */
static int
sink_restore(gale_ctx_t *ctx, void *self)
{
    sink_t *s = self;
    int rc;

    if (s->staging == NULL)
        return 0;
    if (s->fd != -1) {
        close(s->fd);
        s->fd = -1;
    }
    s->buf.len = 0;
    if ((rc = publish_upto(ctx, s, UINT64_MAX)) != 0)
        return rc;
    return discard_staging(ctx, s);
}

/* Closes the files. Guarantee none: flushes what finish did not (a
 * stopped unbounded run). Otherwise never publishes: unstaged output is
 * left in .staging for the next restore to discard. */
static void
sink_cleanup(gale_ctx_t *ctx, void *self)
{
    sink_t *s = self;

    if (s == NULL)
        return;
    if (s->fd != -1 && s->staging == NULL)
        sink_flush(ctx, s, 1);
    sink_free(s);
}

static const gale_param_spec_t sink_params[] = {
    { "path", GALE_STRING, true,
      "output directory; task i writes path/part-<i, 5 digits>, or with "
      "checkpoints path/part-<i>-<checkpoint, 12 digits>" },
    { NULL, GALE_NULL, false, NULL }
};

static const gale_bolt_ops_t sink_ops = {
    .prepare = sink_prepare,
    .execute = sink_execute,
    .finish = sink_finish,
    .snapshot = sink_snapshot,
    .restore = sink_restore,
    .checkpoint_complete = sink_checkpoint_complete,
    .cleanup = sink_cleanup,
};

const gale_component_def_t gale_builtin_file_sink = {
    .type = "file_sink",
    .kind = GALE_BOLT,
    .summary = "writes tuples as tab-separated lines; two-phase commit per checkpoint",
    .params = sink_params,
    .bolt = &sink_ops,
};
