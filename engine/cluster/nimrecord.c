/* nimrecord.c - nimbus's durable record of the topologies it runs. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/xalloc.h"
#include "engine/cluster/nimrecord.h"

static const char *const status_names[] = {
    [GALE_NIMREC_ACTIVE] = "active",
    [GALE_NIMREC_KILLING] = "killing",
    [GALE_NIMREC_FINISHED] = "finished",
    [GALE_NIMREC_FAILED] = "failed",
};

const char *
gale_nimrec_status_name(gale_nimrec_status_t s)
{
    return (size_t)s < sizeof status_names / sizeof status_names[0] ?
        status_names[s] : "?";
}

bool
gale_nimrec_live(gale_nimrec_status_t s)
{
    return s == GALE_NIMREC_ACTIVE || s == GALE_NIMREC_KILLING;
}

bool
gale_nimrec_name_ok(const char *name)
{
    size_t i, n = strlen(name);

    if (n == 0 || n > 128 || name[0] == '.')
        return false;
    for (i = 0; i < n; i++) {
        char ch = name[i];

        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
            (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
            return false;
    }
    return true;
}

char *
gale_nimrec_dir(const char *root, const char *name)
{
    char *d;

    xasprintf(&d, "%s/topologies/%s", root, name);
    return d;
}

gale_nimrec_t *
gale_nimrec_new(const char *name, int slot, const char *cwd,
    char *const *args, size_t nargs)
{
    gale_nimrec_t *r = xcalloc(1, sizeof *r);
    size_t i;

    r->name = xstrdup(name);
    r->status = GALE_NIMREC_ACTIVE;
    r->slot = slot;
    r->submitted = (long long)time(NULL);
    r->cwd = xstrdup(cwd);
    for (i = 0; i < nargs; i++)
        gale_nimrec_add_arg(r, args[i]);
    return r;
}

void
gale_nimrec_destroy(gale_nimrec_t **rp)
{
    gale_nimrec_t *r;
    size_t i;

    if (rp == NULL || (r = *rp) == NULL)
        return;
    for (i = 0; i < r->nargs; i++)
        free(r->args[i]);
    free(r->args);
    free(r->name);
    free(r->cwd);
    free(r);
    *rp = NULL;
}

void
gale_nimrec_add_arg(gale_nimrec_t *r, const char *arg)
{
    r->args = xreallocarray(r->args, r->nargs + 1, sizeof *r->args);
    r->args[r->nargs++] = xstrdup(arg);
}

/* Replaces dir/file with len bytes of data durably. 0 or -errno; on
 * failure the old file stays. */
static int
replace_file(const char *dir, const char *file, const void *data, size_t len)
{
    char *path;
    int rc;

    xasprintf(&path, "%s/%s", dir, file);
    rc = gale_write_atomic(dir, path, data, len);
    free(path);
    return rc;
}

int
gale_nimrec_save_text(const char *root, const char *name, const char *text,
    size_t len)
{
    char *dir = gale_nimrec_dir(root, name), *parent;
    int rc;

    xasprintf(&parent, "%s/topologies", root);
    if ((rc = gale_mkdir_p(dir)) == 0 && (rc = gale_fsync_dir(parent)) == 0)
        rc = replace_file(dir, "topology.cfg", text, len);
    free(parent);
    free(dir);
    return rc;
}

int
gale_nimrec_save(const char *root, const gale_nimrec_t *r)
{
    char *dir, *text = NULL;
    size_t len = 0, i;
    FILE *fp;
    int rc;

    if (strchr(r->cwd, '\n') != NULL)
        return -EINVAL;
    for (i = 0; i < r->nargs; i++)
        if (strchr(r->args[i], '\n') != NULL)
            return -EINVAL;
    if ((fp = open_memstream(&text, &len)) == NULL)
        return -errno;
    fprintf(fp, "name=%s\nstatus=%s\nslot=%d\nsubmitted=%lld\ncwd=%s\n",
        r->name, gale_nimrec_status_name(r->status), r->slot, r->submitted,
        r->cwd);
    for (i = 0; i < r->nargs; i++)
        fprintf(fp, "arg=%s\n", r->args[i]);
    fprintf(fp, "pid=%d\nrestarts=%d\n", r->pid, r->restarts);
    if (fclose(fp) != 0) {
        free(text);
        return -ENOMEM;
    }
    dir = gale_nimrec_dir(root, r->name);
    rc = replace_file(dir, "record", text, len);
    free(dir);
    free(text);
    return rc;
}

/* Parses one "key=value" line of a record into r. 0, or -1 when the key
 * is known and its value is not valid. Unknown keys are ignored, so that
 * a newer nimbus may add some. */
static int
parse_line(gale_nimrec_t *r, const char *key, size_t klen, const char *val)
{
    char *end;
    long v;

#define IS(k) (klen == sizeof(k) - 1 && strncmp(key, k, klen) == 0)
    if (IS("name")) {
        free(r->name);
        r->name = xstrdup(val);
    } else if (IS("status")) {
        size_t i;

        for (i = 0; i < sizeof status_names / sizeof status_names[0]; i++)
            if (strcmp(val, status_names[i]) == 0)
                break;
        if (i == sizeof status_names / sizeof status_names[0])
            return -1;
        r->status = (gale_nimrec_status_t)i;
    } else if (IS("cwd")) {
        free(r->cwd);
        r->cwd = xstrdup(val);
    } else if (IS("arg")) {
        gale_nimrec_add_arg(r, val);
    } else if (IS("submitted")) {
        r->submitted = strtoll(val, &end, 10);
        if (*end != '\0' || end == val)
            return -1;
    } else if (IS("slot") || IS("pid") || IS("restarts")) {
        v = strtol(val, &end, 10);
        if (*end != '\0' || end == val || v < 0 || v > 0x7fffffff)
            return -1;
        if (IS("slot"))
            r->slot = (int)v;
        else if (IS("pid"))
            r->pid = (int)v;
        else
            r->restarts = (int)v;
    }
#undef IS
    return 0;
}

gale_nimrec_t *
gale_nimrec_load(const char *root, const char *name, char **cause)
{
    gale_nimrec_t *r = xcalloc(1, sizeof *r);
    char *dir = gale_nimrec_dir(root, name), *path, *line = NULL, *eq;
    size_t cap = 0;
    ssize_t n;
    int lineno = 0, seen_slot = 0;
    FILE *fp;

    r->slot = -1;
    xasprintf(&path, "%s/record", dir);
    if ((fp = fopen(path, "re")) == NULL) {
        if (cause != NULL)
            xasprintf(cause, "%s: %s", path, strerror(errno));
        goto fail;
    }
    while ((n = getline(&line, &cap, fp)) > 0) {
        lineno++;
        if (line[n - 1] == '\n')
            line[--n] = '\0';
        if ((eq = strchr(line, '=')) == NULL ||
            parse_line(r, line, (size_t)(eq - line), eq + 1) != 0) {
            if (cause != NULL)
                xasprintf(cause, "%s:%d: not a record line: %s", path, lineno,
                    line);
            goto fail;
        }
        if (strncmp(line, "slot=", 5) == 0)
            seen_slot = 1;
    }
    if (r->name == NULL || strcmp(r->name, name) != 0 || r->cwd == NULL ||
        !seen_slot) {
        if (cause != NULL)
            xasprintf(cause, "%s: incomplete record (name, slot and cwd are "
                "required, and the name must be its directory's)", path);
        goto fail;
    }
    fclose(fp);
    free(line);
    free(path);
    free(dir);
    return r;
fail:
    if (fp != NULL)
        fclose(fp);
    free(line);
    free(path);
    free(dir);
    gale_nimrec_destroy(&r);
    return NULL;
}

int
gale_nimrec_remove(const char *root, const char *name)
{
    char *dir = gale_nimrec_dir(root, name), *gone, *parent;
    int rc = 0;

    xasprintf(&parent, "%s/topologies", root);
    xasprintf(&gone, "%s/.removed-%s-%d", parent, name, (int)getpid());
    gale_rm_rf(gone);
    if (rename(dir, gone) != 0)
        rc = -errno;
    else
        rc = gale_fsync_dir(parent);
    gale_rm_rf(gone);
    free(gone);
    free(parent);
    free(dir);
    return rc;
}

static int
by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int
gale_nimrec_list(const char *root, char ***names, size_t *n)
{
    char *parent, **v = NULL;
    struct dirent *de;
    size_t cnt = 0;
    DIR *d;

    *names = NULL;
    *n = 0;
    xasprintf(&parent, "%s/topologies", root);
    d = opendir(parent);
    free(parent);
    if (d == NULL)
        return errno == ENOENT ? 0 : -errno;
    while ((de = readdir(d)) != NULL) {
        if (!gale_nimrec_name_ok(de->d_name))
            continue;               /* ".", "..", ".removed-*" */
        v = xreallocarray(v, cnt + 1, sizeof *v);
        v[cnt++] = xstrdup(de->d_name);
    }
    closedir(d);
    if (cnt > 1)
        qsort(v, cnt, sizeof *v, by_string);
    *names = v;
    *n = cnt;
    return 0;
}
