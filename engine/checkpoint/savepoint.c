/* savepoint.c - savepoints, and restoring state into a changed topology. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "engine/wire/keyhash.h"
#include "engine/checkpoint/savepoint.h"

/* Size of a snapshot file without records: header and trailer. */
#define EMPTY_SNAP 40

/* Sets *cause (when cause is not NULL) to a formatted message. */
static void __attribute__((format(printf, 2, 3)))
fail_with(char **cause, const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    if (cause != NULL && *cause == NULL)
        *cause = s;
    else
        free(s);
}

/* Copies the file from to the new file to and fsyncs it. 0 or -errno. */
static int
copy_file(const char *from, const char *to)
{
    char buf[65536];
    int in, out, rc = 0;
    ssize_t n;

    if ((in = open(from, O_RDONLY | O_CLOEXEC)) == -1)
        return -errno;
    if ((out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666)) == -1) {
        rc = -errno;
        close(in);
        return rc;
    }
    while ((n = read(in, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -errno;
            break;
        }
        if ((rc = gale_write_all(out, buf, (size_t)n)) != 0)
            break;
    }
    if (rc == 0 && fsync(out) == -1)
        rc = -errno;
    close(in);
    close(out);
    if (rc != 0)
        unlink(to);
    return rc;
}

/* Hard-links from to to (snapshot files never change once written), or
 * copies when the filesystem will not link. 0 or -errno. */
static int
link_or_copy(const char *from, const char *to)
{
    if (link(from, to) == 0)
        return 0;
    if (errno != EXDEV && errno != EPERM && errno != EMLINK &&
        errno != ENOTSUP)
        return -errno;
    return copy_file(from, to);
}

/* Writes text as the new file path, fsynced. 0 or -errno. */
static int
write_text(const char *path, const char *text)
{
    int fd, rc;

    if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)) == -1)
        return -errno;
    rc = gale_write_all(fd, text, strlen(text));
    if (rc == 0 && fsync(fd) == -1)
        rc = -errno;
    close(fd);
    return rc;
}

int
gale_savepoint_write(const char *store_dir, const gale_ckpt_meta_t *m,
    const char *topo_path, const char *dst, char **cause)
{
    gale_ckpt_t *c = NULL;
    struct stat st;
    char *tmp = NULL, *from = NULL, *to = NULL, *text = NULL, *why = NULL;
    char *abs = NULL;
    size_t i, j;
    int rc = 0;

    if (stat(dst, &st) == 0) {
        fail_with(cause, "%s already exists (a savepoint is never "
            "overwritten)", dst);
        return -EEXIST;
    }
    xasprintf(&tmp, "%s.tmp-%d", dst, (int)getpid());
    gale_rm_rf(tmp);
    if ((rc = gale_mkdir_p(tmp)) != 0) {
        fail_with(cause, "%s: %s", tmp, strerror(-rc));
        goto done;
    }
    if ((c = gale_ckpt_open(tmp, &why)) == NULL) {
        fail_with(cause, "%s: %s", tmp, why ? why : "cannot create");
        rc = -EIO;
        goto done;
    }
    for (i = 0; i < m->ntasks; i++) {
        for (j = 0; j < m->tasks[i].nfiles; j++) {
            free(from);
            free(to);
            xasprintf(&from, "%s/files/%s", store_dir, m->tasks[i].files[j]);
            xasprintf(&to, "%s/files/%s", tmp, m->tasks[i].files[j]);
            if ((rc = link_or_copy(from, to)) != 0) {
                fail_with(cause, "%s: %s", from, strerror(-rc));
                goto done;
            }
        }
    }
    free(from);
    xasprintf(&from, "%s/files", tmp);
    if ((rc = gale_fsync_dir(from)) != 0 || (rc = gale_ckpt_write_meta(c, m)) != 0) {
        fail_with(cause, "%s: %s", tmp, strerror(-rc));
        goto done;
    }
    if (topo_path != NULL) {
        free(to);
        xasprintf(&to, "%s/topology.cfg", tmp);
        if ((rc = copy_file(topo_path, to)) != 0) {
            fail_with(cause, "%s: %s", topo_path, strerror(-rc));
            goto done;
        }
        abs = realpath(topo_path, NULL);
    }
    xasprintf(&text, "gale savepoint\nformat %d\ncheckpoint %" PRIu64 "\n"
        "topology %s\nsource %s\ncreated_ms %" PRIu64 "\n",
        GALE_SAVEPOINT_VERSION, m->id, m->topology,
        abs != NULL ? abs : topo_path != NULL ? topo_path : "-", m->created_ms);
    free(to);
    xasprintf(&to, "%s/SAVEPOINT", tmp);
    if ((rc = write_text(to, text)) != 0 || (rc = gale_fsync_dir(tmp)) != 0) {
        fail_with(cause, "%s: %s", to, strerror(-rc));
        goto done;
    }
    if (rename(tmp, dst) == -1) {
        rc = -errno;
        fail_with(cause, "%s: %s", dst, strerror(errno));
        goto done;
    }
    {
        char *parent = xstrdup(dst), *slash = strrchr(parent, '/');

        if (slash == parent)
            slash[1] = '\0';
        else if (slash != NULL)
            *slash = '\0';
        else
            strcpy(parent, ".");
        (void)gale_fsync_dir(parent);
        free(parent);
    }
done:
    gale_ckpt_close(&c);
    if (rc != 0 && tmp != NULL)
        gale_rm_rf(tmp);
    free(tmp);
    free(from);
    free(to);
    free(text);
    free(why);
    free(abs);
    return rc;
}

bool
gale_savepoint_is(const char *dir)
{
    struct stat st;
    char *p;
    bool yes;

    xasprintf(&p, "%s/SAVEPOINT", dir);
    yes = stat(p, &st) == 0;
    free(p);
    return yes;
}

/* Whether task t's chain holds any record. */
static bool
has_state(const gale_ckpt_task_t *t)
{
    size_t i;

    for (i = 0; i < t->nfiles; i++)
        if (t->sizes[i] > EMPTY_SNAP)
            return true;
    return false;
}

/* Checks that m can be restored into plan. 0, or -1 with *cause. */
static int
check_fit(const gale_ckpt_meta_t *m, const char *label,
    const gale_plan_t *plan, bool allow_missing, char **cause)
{
    const gale_topology_t *topo = plan->topo;
    size_t i, k;

    if (m->max_parallelism != topo->max_parallelism) {
        fail_with(cause, "%s: its state has max_parallelism %d, the topology "
            "%d: key groups are fixed for the life of the state (set "
            "max_parallelism = %d)", label, m->max_parallelism,
            topo->max_parallelism, m->max_parallelism);
        return -1;
    }
    for (i = 0; i < m->ntasks; i++) {
        const gale_ckpt_task_t *t = &m->tasks[i];
        int ci = gale_topology_find(plan->topo, t->component);
        int old_n = 0;
        bool op = false;

        if (ci < 0) {
            if (!has_state(t) || allow_missing)
                continue;
            fail_with(cause, "%s: component `%s` holds state there but is not "
                "in the topology (rename it back, or pass "
                "--allow-non-restored-state to drop its state)", label,
                t->component);
            return -1;
        }
        if (topo->comps[ci].kind != GALE_SPOUT)
            continue;
        for (k = 0; k < m->ntasks; k++) {
            if (strcmp(m->tasks[k].component, t->component) != 0)
                continue;
            old_n++;
            op = op || has_state(&m->tasks[k]);
        }
        if (op && old_n != topo->comps[ci].ntasks) {
            fail_with(cause, "%s: spout `%s` had %d tasks, the topology gives "
                "it %d: a spout's recorded positions belong to its tasks' "
                "shares of the input, so its task count cannot change (its "
                "parallelism can: keep tasks = %d)", label, t->component,
                old_n, topo->comps[ci].ntasks, old_n);
            return -1;
        }
    }
    return 0;
}

int
gale_savepoint_import(gale_ckpt_t *dst, const char *src_dir, uint64_t id,
    const char *src_label, const gale_plan_t *plan, bool allow_missing,
    uint64_t *new_id, char **cause)
{
    const gale_topology_t *topo = plan->topo;
    gale_ckpt_t *src = NULL;
    gale_ckpt_meta_t *m = NULL, *out = NULL;
    const gale_ckpt_task_t **srcs = NULL;
    bool *with_op = NULL;
    char *why = NULL, *file = NULL, *label = NULL;
    uint64_t nid, bytes;
    size_t i, k, dropped = 0;
    int rc = -1;

    if ((src = gale_ckpt_open(src_dir, &why)) == NULL) {
        fail_with(cause, "%s: %s", src_label, why ? why : "cannot open");
        goto done;
    }
    if (id == 0 && gale_ckpt_latest(src, &id) != 0) {
        fail_with(cause, "%s: no valid checkpoint there", src_label);
        goto done;
    }
    if (gale_ckpt_read_meta(src, id, &m, &why) != 0) {
        fail_with(cause, "%s: checkpoint %" PRIu64 ": %s", src_label, id,
            why ? why : "unreadable");
        goto done;
    }
    xasprintf(&label, "%s (checkpoint %" PRIu64 ")", src_label, id);
    if (check_fit(m, label, plan, allow_missing, cause) != 0)
        goto done;
    for (i = 0; i < m->ntasks; i++)
        if (gale_topology_find(plan->topo, m->tasks[i].component) < 0 &&
            has_state(&m->tasks[i]))
            dropped++;
    if (dropped > 0)
        log_warn("%s: dropping the state of %zu task(s) of components the "
            "topology no longer has (--allow-non-restored-state)", label,
            dropped);
    if ((rc = gale_ckpt_next_id(dst, &nid)) != 0) {
        fail_with(cause, "%s: taking a checkpoint id: %s",
            gale_ckpt_dir(dst), strerror(-rc));
        rc = -1;
        goto done;
    }
    out = gale_ckpt_meta_new(nid, 1, topo->name, topo->max_parallelism);
    srcs = xcalloc(m->ntasks + 1, sizeof *srcs);
    with_op = xcalloc(m->ntasks + 1, sizeof *with_op);
    for (i = 0; i < plan->ntasks; i++) {
        const gale_task_t *pt = &plan->tasks[i];
        const gale_comp_t *comp = &topo->comps[pt->comp];
        gale_ckpt_task_t *nt;
        size_t n = 0;
        int first, last;

        gale_keygroup_range(pt->index, comp->ntasks, topo->max_parallelism,
            &first, &last);
        nt = gale_ckpt_meta_add_task(out, pt->id, comp->id, pt->index,
            first, last);
        for (k = 0; k < m->ntasks; k++) {
            const gale_ckpt_task_t *ot = &m->tasks[k];
            bool keyed, op;

            if (strcmp(ot->component, comp->id) != 0)
                continue;
            keyed = ot->kg_first <= last && ot->kg_last >= first &&
                ot->kg_last >= ot->kg_first;
            op = ot->task_index % comp->ntasks == pt->index;
            if (!keyed && !op)
                continue;
            srcs[n] = ot;
            with_op[n++] = op;
        }
        if (n == 0)
            continue;               /* a new component, or a new task */
        if (gale_ckpt_import_task(dst, src_dir, srcs, with_op, n, first, last,
            pt->id, nid, &file, &bytes, &why) != 0) {
            fail_with(cause, "%s: task %d of %s: %s", label, pt->id, comp->id,
                why ? why : "import failed");
            rc = -1;
            goto done;
        }
        gale_ckpt_task_append(nt, file, bytes);
        free(file);
        file = NULL;
    }
    gale_ckpt_meta_set(out, "topology.file", topo->path);
    gale_ckpt_meta_set(out, "final", "0");
    free(why);
    xasprintf(&why, "%s#%" PRIu64, src_label, id);
    gale_ckpt_meta_set(out, "restored.from", why);
    if ((rc = gale_ckpt_write_meta(dst, out)) != 0) {
        fail_with(cause, "%s: writing checkpoint %" PRIu64 ": %s",
            gale_ckpt_dir(dst), nid, strerror(-rc));
        rc = -1;
        goto done;
    }
    *new_id = nid;
    rc = 0;
done:
    gale_ckpt_meta_destroy(&m);
    gale_ckpt_meta_destroy(&out);
    gale_ckpt_close(&src);
    free(srcs);
    free(with_op);
    free(why);
    free(file);
    free(label);
    return rc;
}

/* Reads the value of `key` from the SAVEPOINT text into a new string. */
static char *
sp_field(const char *text, const char *key)
{
    size_t n = strlen(key);
    const char *p = text, *e;

    while (p != NULL && *p != '\0') {
        if (strncmp(p, key, n) == 0 && p[n] == ' ') {
            e = strchr(p + n + 1, '\n');
            return e != NULL ? xstrndup(p + n + 1, (size_t)(e - p - n - 1)) :
                xstrdup(p + n + 1);
        }
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    return NULL;
}

/* Reads the small file at path into a new string, or NULL. */
static char *
slurp(const char *path)
{
    FILE *fp = fopen(path, "re");
    char *s = NULL;
    size_t n = 0, cap = 0;
    int ch;

    if (fp == NULL)
        return NULL;
    while ((ch = fgetc(fp)) != EOF && n < 65536) {
        if (n + 2 > cap) {
            cap = cap ? cap * 2 : 256;
            s = xrealloc(s, cap);
        }
        s[n++] = (char)ch;
    }
    fclose(fp);
    if (s == NULL)
        return xstrdup("");
    s[n] = '\0';
    return s;
}

/* Reads dir/SAVEPOINT into *text (caller frees) and checks its format.
 * 0, or -1 with *cause. */
static int
read_descriptor(const char *dir, char **text, char **cause)
{
    char *path, *v;
    int format;

    xasprintf(&path, "%s/SAVEPOINT", dir);
    if ((*text = slurp(path)) == NULL) {
        fail_with(cause, "%s: not a savepoint (no SAVEPOINT file)", dir);
        goto fail;
    }
    if (strncmp(*text, "gale savepoint\n", 15) != 0 ||
        (v = sp_field(*text, "format")) == NULL) {
        fail_with(cause, "%s: not a gale savepoint file", path);
        goto fail;
    }
    format = atoi(v);
    free(v);
    if (format < 1 || format > GALE_SAVEPOINT_VERSION) {
        fail_with(cause, "%s: savepoint format %d; this gale reads formats 1 "
            "to %d (use a newer gale)", path, format, GALE_SAVEPOINT_VERSION);
        goto fail;
    }
    free(path);
    return 0;
fail:
    free(*text);
    *text = NULL;
    free(path);
    return -1;
}

int
gale_savepoint_check(const char *dir, char **cause)
{
    char *text = NULL;
    int rc = read_descriptor(dir, &text, cause);

    free(text);
    return rc;
}

int
gale_savepoint_inspect(const char *dir, FILE *out, char **cause)
{
    gale_ckpt_t *c = NULL;
    gale_ckpt_meta_t *m = NULL;
    char *why = NULL, *text = NULL, *v;
    uint64_t id = 0, total = 0;
    size_t i;
    int rc = -1, format = GALE_SAVEPOINT_VERSION;
    time_t secs;
    struct tm tm;
    char when[64];

    if (read_descriptor(dir, &text, cause) != 0)
        goto done;
    if ((v = sp_field(text, "format")) != NULL)
        format = atoi(v);
    free(v);
    if ((v = sp_field(text, "checkpoint")) != NULL)
        id = strtoull(v, NULL, 10);
    free(v);
    if ((c = gale_ckpt_open(dir, &why)) == NULL ||
        gale_ckpt_read_meta(c, id, &m, &why) != 0) {
        fail_with(cause, "%s: %s", dir, why ? why : "unreadable");
        goto done;
    }
    secs = (time_t)(m->created_ms / 1000);
    gmtime_r(&secs, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
    fprintf(out, "savepoint       %s\n", dir);
    fprintf(out, "format          savepoint %d, checkpoint files %u\n",
        format, m->version);
    fprintf(out, "topology        %s\n", m->topology);
    v = sp_field(text, "source");
    fprintf(out, "topology file   %s (copy: topology.cfg)\n", v ? v : "-");
    free(v);
    fprintf(out, "checkpoint      %" PRIu64 " (attempt %u), taken %s\n", m->id,
        m->attempt, when);
    fprintf(out, "max_parallelism %d\n", m->max_parallelism);
    fprintf(out, "\n%-20s %5s %6s %-11s %5s %12s\n", "component", "task",
        "index", "key groups", "files", "bytes");
    for (i = 0; i < m->ntasks; i++) {
        const gale_ckpt_task_t *t = &m->tasks[i];
        char kg[32];

        if (t->kg_last >= t->kg_first)
            snprintf(kg, sizeof kg, "%d-%d", t->kg_first, t->kg_last);
        else
            snprintf(kg, sizeof kg, "none");
        fprintf(out, "%-20s %5d %6d %-11s %5zu %12" PRIu64 "\n", t->component,
            t->task_id, t->task_index, kg, t->nfiles, t->bytes);
        total += t->bytes;
    }
    fprintf(out, "\n%zu tasks, %" PRIu64 " bytes\n", m->ntasks, total);
    rc = 0;
done:
    gale_ckpt_meta_destroy(&m);
    gale_ckpt_close(&c);
    free(why);
    free(text);
    return rc;
}
