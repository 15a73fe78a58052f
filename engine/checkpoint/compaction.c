/* compaction.c - compaction (compaction.h): merging a task's chain into
 * one base, importing chains into a base (savepoints, rescaling), when a
 * chain is worth compacting, and rebasing a chain on a new base. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "engine/checkpoint/ckpt_int.h"

/* ---- compaction and import --------------------------------------------- */

/* Whether r's current record is one merge_files keeps. */
static bool
merge_wants(const struct frec *f, int first, int last, bool with_op)
{
    if (f->kg == -1)
        return with_op;
    return f->kg >= first && f->kg <= last;
}

/* Moves r to its next record that merge_files keeps (or its end). */
static void
merge_next(struct freader *r, int first, int last, bool with_op)
{
    while (ckpt_fr_next(r) == 1 && !merge_wants(&r->cur, first, last, with_op))
        ;
}

/* Merges the verified, opened files rs[0..n) — a higher index is newer —
 * into the base file `name` of c for task_id and checkpoint id: a k-way
 * merge where the smallest head wins and, among equal keys, the newest
 * file holds the value (the others are skipped); tombstones are dropped;
 * keyed records outside [first, last], and operator records of files
 * whose with_op is false, are left out. The base is pinned (gc keeps it
 * until metadata names it). 0 with *size, or -errno. */
static int
merge_files(gale_ckpt_t *c, struct freader *rs, const bool *with_op, size_t n,
    int first, int last, int task_id, uint64_t id, const char *name,
    uint64_t *size)
{
    struct fwriter w;
    const struct frec *min;
    size_t i, win;
    int rc;

    for (i = 0; i < n; i++) {
        (void)ckpt_fr_next(&rs[i]);      /* verified: cannot fail */
        if (rs[i].has && !merge_wants(&rs[i].cur, first, last, with_op[i]))
            merge_next(&rs[i], first, last, with_op[i]);
    }
    if ((rc = ckpt_fw_open(&w, c->dir, name, task_id, id, SNAP_BASE)) != 0)
        return rc;
    for (;;) {
        min = NULL;
        win = 0;
        for (i = 0; i < n; i++) {
            if (!rs[i].has)
                continue;
            if (min == NULL || ckpt_frec_cmp(&rs[i].cur, min) <= 0) {
                min = &rs[i].cur;
                win = i;
            }
        }
        if (min == NULL)
            break;
        if (min->put && (rc = ckpt_fw_record(&w, min->kg, min->name, min->nlen,
            min->key, min->klen, true, min->val, min->vlen)) != 0) {
            ckpt_fw_abort(&w);
            return rc;
        }
        for (i = 0; i < n; i++)
            if (i != win && rs[i].has && ckpt_frec_cmp(&rs[i].cur, min) == 0)
                merge_next(&rs[i], first, last, with_op[i]);
        merge_next(&rs[win], first, last, with_op[win]);
    }
    if ((rc = ckpt_fw_commit(&w, size)) != 0)
        return rc;
    c->pins = xreallocarray(c->pins, c->npins + 1, sizeof(*c->pins));
    c->pins[c->npins++] = xstrdup(name);
    return 0;
}

int
gale_ckpt_compact(gale_ckpt_t *c, const gale_ckpt_task_t *t, char **base)
{
    struct freader *rs = xcalloc(t->nfiles + 1, sizeof(*rs));
    bool *all = xcalloc(t->nfiles + 1, sizeof(*all));
    char *name = NULL, *cause = NULL;
    uint64_t size;
    size_t i;
    int rc;

    if (t->nfiles == 0) {
        rc = -EINVAL;
        goto done;
    }
    if ((rc = ckpt_chain_open(c->dir, t, rs, &cause)) != 0)
        goto done;
    xasprintf(&name, "t%d-%" PRIu64 ".base", t->task_id,
        rs[t->nfiles - 1].ckpt_id);
    if (t->nfiles == 1 && rs[0].kind == SNAP_BASE) {
        c->pins = xreallocarray(c->pins, c->npins + 1, sizeof(*c->pins));
        c->pins[c->npins++] = xstrdup(name);
        goto done;
    }
    for (i = 0; i < t->nfiles; i++)
        all[i] = true;
    rc = merge_files(c, rs, all, t->nfiles, 0, INT32_MAX, t->task_id,
        rs[t->nfiles - 1].ckpt_id, name, &size);
done:
    if (rc == 0) {
        *base = name;
        name = NULL;
    } else if (cause != NULL) {
        log_warn("checkpoint store %s: compacting task %d: %s", c->dir,
            t->task_id, cause);
    }
    for (i = 0; i < t->nfiles; i++)
        ckpt_fr_close(&rs[i]);
    free(rs);
    free(all);
    free(name);
    free(cause);
    return rc;
}

int
gale_ckpt_import_task(gale_ckpt_t *c, const char *src_dir,
    const gale_ckpt_task_t *const *srcs, const bool *with_op, size_t nsrcs,
    int kg_first, int kg_last, int task_id, uint64_t id, char **file,
    uint64_t *bytes, char **cause)
{
    struct freader *rs;
    bool *op;
    char *name = NULL;
    size_t i, k, n = 0;
    int rc = 0;

    for (i = 0; i < nsrcs; i++)
        n += srcs[i]->nfiles;
    rs = xcalloc(n + 1, sizeof(*rs));
    op = xcalloc(n + 1, sizeof(*op));
    /* One reader per file, chain after chain: a higher index is newer
     * within a chain, and a later chain wins on shared operator keys. */
    for (i = 0, k = 0; i < nsrcs; i++) {
        if ((rc = ckpt_chain_open(src_dir, srcs[i], rs + k, cause)) != 0)
            goto done;
        for (size_t j = 0; j < srcs[i]->nfiles; j++)
            op[k + j] = with_op[i];
        k += srcs[i]->nfiles;
    }
    xasprintf(&name, "t%d-%" PRIu64 ".base", task_id, id);
    if ((rc = merge_files(c, rs, op, n, kg_first, kg_last, task_id, id, name,
        bytes)) != 0) {
        ckpt_set_cause(cause, "files/%s: %s", name, strerror(-rc));
        goto done;
    }
    *file = name;
    name = NULL;
done:
    for (i = 0; i < n; i++)
        ckpt_fr_close(&rs[i]);
    free(rs);
    free(op);
    free(name);
    return rc;
}

bool
gale_ckpt_task_wants_compaction(const gale_ckpt_task_t *t, size_t max_files)
{
    uint64_t rest = 0;
    size_t i;

    if (t->nfiles < 2)
        return false;
    if (t->nfiles > max_files)
        return true;
    for (i = 1; i < t->nfiles; i++)
        rest += t->sizes[i];
    return rest >= t->sizes[0] / 2;
}

int
gale_ckpt_task_rebase(gale_ckpt_t *c, gale_ckpt_task_t *t, const char *base)
{
    struct stat st;
    char *path;
    uint64_t bid, id;
    int task, kind;
    bool tmp;
    size_t i, j;

    if (!ckpt_fname_parse(base, &task, &bid, &kind, &tmp) || tmp ||
        kind != SNAP_BASE || task != t->task_id)
        return -EINVAL;
    xasprintf(&path, "%s/%s", c->files, base);
    if (stat(path, &st) == -1) {
        free(path);
        return -errno;
    }
    free(path);
    /* Keep the files newer than the base, after it. */
    t->bytes = (uint64_t)st.st_size;
    for (i = j = 0; i < t->nfiles; i++) {
        if (ckpt_fname_parse(t->files[i], NULL, &id, NULL, NULL) && id > bid) {
            t->files[j] = t->files[i];
            t->sizes[j++] = t->sizes[i];
            t->bytes += t->sizes[i];
        } else
            free(t->files[i]);
    }
    t->files = xreallocarray(t->files, j + 1, sizeof(*t->files));
    t->sizes = xreallocarray(t->sizes, j + 1, sizeof(*t->sizes));
    memmove(t->files + 1, t->files, j * sizeof(*t->files));
    memmove(t->sizes + 1, t->sizes, j * sizeof(*t->sizes));
    t->files[0] = xstrdup(base);
    t->sizes[0] = (uint64_t)st.st_size;
    t->nfiles = j + 1;
    return 0;
}
