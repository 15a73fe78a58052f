/* store.c - the checkpoint store (store.h): its directory and id
 * counter, restoring a task's chain, finding the latest checkpoint and
 * retention. Metadata is meta.c's, compaction compaction.c's and the file
 * format snapfile.c's. */
#include "config.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "engine/checkpoint/ckpt_int.h"

/* ---- small helpers ----------------------------------------------------- */

/* Formats *cause (the caller frees it) unless cause is NULL. */
void __attribute__((format(printf, 2, 3)))
ckpt_set_cause(char **cause, const char *fmt, ...)
{
    va_list ap;

    if (cause == NULL)
        return;
    va_start(ap, fmt);
    xvasprintf(cause, fmt, ap);
    va_end(ap);
}

/* ---- the store --------------------------------------------------------- */

const char *
gale_ckpt_dir(const gale_ckpt_t *c)
{
    return c->dir;
}

/* The largest checkpoint id named by an entry of directory path (snapshot
 * or metadata names, temporary or not) into *max. 0 or -errno. */
static int
scan_max_id(const char *path, uint64_t *max)
{
    DIR *d;
    struct dirent *e;
    uint64_t id;
    bool tmp;

    if ((d = opendir(path)) == NULL)
        return -errno;
    while ((e = readdir(d)) != NULL) {
        if ((ckpt_fname_parse(e->d_name, NULL, &id, NULL, NULL) ||
            ckpt_mname_parse(e->d_name, &id, &tmp)) && id > *max)
            *max = id;
    }
    closedir(d);
    return 0;
}

gale_ckpt_t *
gale_ckpt_open(const char *dir, char **cause)
{
    gale_ckpt_t *c = xcalloc(1, sizeof(*c));
    char *path = NULL, buf[32], *end;
    uint64_t max = 0, counter = 1;
    ssize_t n;
    int fd = -1, rc;
    const char *what = dir;

    c->dir = xstrdup(dir);
    xasprintf(&c->files, "%s/files", dir);
    xasprintf(&c->meta, "%s/meta", dir);
    if ((rc = gale_mkdir_p(c->dir)) != 0 ||
        (rc = gale_mkdir_p(what = c->files)) != 0 ||
        (rc = gale_mkdir_p(what = c->meta)) != 0 ||
        (rc = scan_max_id(what = c->files, &max)) != 0 ||
        (rc = scan_max_id(what = c->meta, &max)) != 0)
        goto fail;
    xasprintf(&path, "%s/COUNTER", dir);
    what = path;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
        if ((n = read(fd, buf, sizeof(buf) - 1)) == -1) {
            rc = -errno;
            goto fail;
        }
        buf[n] = '\0';
        errno = 0;
        counter = strtoull(buf, &end, 10);
        if (n == 0 || buf[0] < '0' || buf[0] > '9' || errno != 0 ||
            strcmp(end, "\n") != 0 || counter == 0) {
            rc = -EBADMSG;
            goto fail;
        }
        close(fd);
        fd = -1;
    } else if (errno != ENOENT) {
        rc = -errno;
        goto fail;
    }
    c->next = counter > max ? counter : max + 1;
    free(path);
    return c;
fail:
    ckpt_set_cause(cause, "checkpoint store %s: %s", what,
            rc == -EBADMSG ? "malformed" : strerror(-rc));
    if (fd != -1)
        close(fd);
    free(path);
    gale_ckpt_close(&c);
    return NULL;
}

void
gale_ckpt_close(gale_ckpt_t **cp)
{
    gale_ckpt_t *c;
    size_t i;

    if (cp == NULL || (c = *cp) == NULL)
        return;
    for (i = 0; i < c->npins; i++)
        free(c->pins[i]);
    free(c->pins);
    free(c->dir);
    free(c->files);
    free(c->meta);
    free(c);
    *cp = NULL;
}

int
gale_ckpt_next_id(gale_ckpt_t *c, uint64_t *id)
{
    char *path, *text;
    int len, rc;

    xasprintf(&path, "%s/COUNTER", c->dir);
    len = xasprintf(&text, "%" PRIu64 "\n", c->next + 1);
    rc = gale_write_atomic(c->dir, path, text, (size_t)len);
    free(path);
    free(text);
    if (rc != 0)
        return rc;
    *id = c->next++;
    return 0;
}

/* Removes name from c's pins if there. */
void
ckpt_unpin(gale_ckpt_t *c, const char *name)
{
    size_t i;

    for (i = 0; i < c->npins; i++) {
        if (strcmp(c->pins[i], name) == 0) {
            free(c->pins[i]);
            c->pins[i] = c->pins[--c->npins];
            return;
        }
    }
}

/* ---- restore ----------------------------------------------------------- */

/* take_dirty callback that drops every change: restored entries are the
 * checkpoint's, not news for the next one. */
static int
drop_change(void *arg, int kg, const char *name, const void *key,
    size_t klen, const void *val, size_t vlen)
{
    return 0;
}

/* Restored entries are marked clean every this many records: a store with
 * a memory cap can only evict clean entries, so a large restore would
 * otherwise hold the whole state in memory until the end. */
#define RESTORE_DRAIN 4096

/* Applies every record of r to store; keyed records outside [first, last]
 * are skipped. *applied counts the records applied so far. 0 or -errno
 * from the store. */
static int
restore_file(struct freader *r, gale_kvstore_t *store, int first, int last,
    size_t *applied)
{
    gale_kv_t *kv = NULL;
    const uint8_t *lname = NULL;
    size_t lnlen = 0;
    int32_t lkg = -2;
    char *name;
    int rc;

    while (ckpt_fr_next(r) == 1) {
        const struct frec *f = &r->cur;

        if (f->kg != -1 && (f->kg < first || f->kg > last))
            continue;
        /* Handles are looked up when the name or the kind changes. */
        if (kv == NULL || (f->kg == -1) != (lkg == -1) ||
            ckpt_bytes_cmp(f->name, f->nlen, lname, lnlen) != 0) {
            name = xstrndup((const char *)f->name, f->nlen);
            kv = f->kg == -1 ? gale_kvstore_operator(store, name) :
                gale_kvstore_keyed(store, name);
            free(name);
            lname = f->name;
            lnlen = f->nlen;
        }
        if (f->kg != lkg && f->kg != -1)
            gale_kvstore_set_keygroup(store, f->kg);
        lkg = f->kg;
        if (f->put)
            rc = gale_kv_put(kv, f->key, f->klen, f->val, f->vlen);
        else
            rc = gale_kv_delete(kv, f->key, f->klen);
        if (rc != 0)
            return rc;
        if (++*applied % RESTORE_DRAIN == 0)
            (void)gale_kvstore_take_dirty(store, drop_change, NULL);
    }
    return 0;
}

int
gale_ckpt_restore_task(gale_ckpt_t *c, const gale_ckpt_task_t *t,
    gale_kvstore_t *store, char **cause)
{
    const char *dir = gale_ckpt_dir(c);
    struct freader *rs = xcalloc(t->nfiles + 1, sizeof(*rs));
    int scope = gale_kvstore_keygroup(store);
    size_t i, applied = 0;
    int rc;

    if ((rc = ckpt_chain_open(dir, t, rs, cause)) != 0)
        goto done;
    for (i = 0; i < t->nfiles && rc == 0; i++)
        rc = restore_file(&rs[i], store, t->kg_first, t->kg_last, &applied);
    gale_kvstore_set_keygroup(store, scope);
    if (rc != 0) {
        ckpt_set_cause(cause, "restoring task %d: %s", t->task_id,
            strerror(-rc));
        goto done;
    }
    (void)gale_kvstore_take_dirty(store, drop_change, NULL);
done:
    for (i = 0; i < t->nfiles; i++)
        ckpt_fr_close(&rs[i]);
    free(rs);
    return rc;
}

/* ---- latest and retention ---------------------------------------------- */

/* qsort comparator: u64s, largest first. */
static int
u64_desc(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? 1 : x > y ? -1 : 0;
}

/* The ids of meta/'s metadata files into *ids (caller frees), newest first,
 * temporary ones left out. 0 or -errno. */
static int
list_meta(gale_ckpt_t *c, uint64_t **ids, size_t *n)
{
    DIR *d;
    struct dirent *e;
    uint64_t id;
    bool tmp;

    *ids = NULL;
    *n = 0;
    if ((d = opendir(c->meta)) == NULL)
        return -errno;
    while ((e = readdir(d)) != NULL) {
        if (!ckpt_mname_parse(e->d_name, &id, &tmp) || tmp)
            continue;
        *ids = xreallocarray(*ids, *n + 1, sizeof(**ids));
        (*ids)[(*n)++] = id;
    }
    closedir(d);
    if (*n > 0)
        qsort(*ids, *n, sizeof(**ids), u64_desc);
    return 0;
}

int
gale_ckpt_latest(gale_ckpt_t *c, uint64_t *id)
{
    gale_ckpt_meta_t *m;
    uint64_t *ids;
    char *cause = NULL;
    size_t n, i;
    int rc;

    if ((rc = list_meta(c, &ids, &n)) != 0)
        return rc;
    rc = -ENOENT;
    for (i = 0; i < n && rc != 0; i++) {
        if (gale_ckpt_read_meta(c, ids[i], &m, &cause) == 0) {
            *id = ids[i];
            rc = 0;
        } else
            log_warn("checkpoint store %s: skipping %s", c->dir, cause);
        gale_ckpt_meta_destroy(&m);
        free(cause);
        cause = NULL;
    }
    free(ids);
    return rc;
}

/* qsort/bsearch comparator of strings. */
static int
str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Unlinks dir/name; true if it was removed. */
static bool
remove_file(const char *dir, const char *name)
{
    char *path;
    int rc;

    xasprintf(&path, "%s/%s", dir, name);
    if ((rc = unlink(path)) == -1)
        log_warn("checkpoint store: removing %s: %s", path, strerror(errno));
    free(path);
    return rc == 0;
}

/* Collects the file names the metadata m references into refs. */
static void
collect_refs(const gale_ckpt_meta_t *m, char ***refs, size_t *n)
{
    size_t i, j;

    for (i = 0; i < m->ntasks; i++) {
        for (j = 0; j < m->tasks[i].nfiles; j++) {
            *refs = xreallocarray(*refs, *n + 1, sizeof(**refs));
            (*refs)[(*n)++] = xstrdup(m->tasks[i].files[j]);
        }
    }
}

/* Removes files/ entries that are neither referenced (refs, sorted) nor
 * pinned nor newer than newest, and temporary ones up to newest. Returns
 * how many were removed, or -errno. */
static int
gc_files(gale_ckpt_t *c, char **refs, size_t nrefs, uint64_t newest)
{
    DIR *d;
    struct dirent *e;
    uint64_t id;
    bool tmp, keep;
    const char *name;
    size_t i;
    int removed = 0;

    if ((d = opendir(c->files)) == NULL)
        return -errno;
    while ((e = readdir(d)) != NULL) {
        name = e->d_name;
        if (!ckpt_fname_parse(name, NULL, &id, NULL, &tmp) || id > newest)
            continue;               /* not ours, or in flight */
        keep = false;
        if (!tmp) {
            keep = bsearch(&name, refs, nrefs, sizeof(*refs), str_cmp) != NULL;
            for (i = 0; i < c->npins && !keep; i++)
                keep = strcmp(c->pins[i], name) == 0;
        }
        if (!keep && remove_file(c->files, name))
            removed++;
    }
    closedir(d);
    return removed;
}

int
gale_ckpt_gc(gale_ckpt_t *c, int retain)
{
    DIR *d;
    struct dirent *e;
    gale_ckpt_meta_t *m;
    uint64_t *ids, cutoff = 0, newest = 0, id;
    char **refs = NULL, *cause = NULL, *name;
    size_t n, nrefs = 0, i;
    int kept = 0, removed = 0, rc;
    bool tmp;

    assert(retain >= 1);
    if ((rc = list_meta(c, &ids, &n)) != 0)
        return rc;
    for (i = 0; i < n && kept < retain; i++) {
        if (gale_ckpt_read_meta(c, ids[i], &m, &cause) == 0) {
            if (kept++ == 0)
                newest = ids[i];
            cutoff = ids[i];
            collect_refs(m, &refs, &nrefs);
            gale_ckpt_meta_destroy(&m);
        } else
            log_warn("checkpoint store %s: gc skips %s", c->dir, cause);
        free(cause);
        cause = NULL;
    }
    free(ids);
    if (kept == 0) {
        rc = -ENOENT;
        goto done;
    }
    /* Metadata first: once it is gone, its files are unreferenced. */
    if ((d = opendir(c->meta)) == NULL) {
        rc = -errno;
        goto done;
    }
    while ((e = readdir(d)) != NULL) {
        name = e->d_name;
        if (ckpt_mname_parse(name, &id, &tmp) &&
            (id < cutoff || (tmp && id <= newest)) &&
            remove_file(c->meta, name))
            removed++;
    }
    closedir(d);
    if (nrefs > 0)
        qsort(refs, nrefs, sizeof(*refs), str_cmp);
    if ((rc = gc_files(c, refs, nrefs, newest)) >= 0)
        rc += removed;
done:
    for (i = 0; i < nrefs; i++)
        free(refs[i]);
    free(refs);
    return rc;
}
