/* console.c - where running topologies on this host take commands. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <zmq.h>

#include "common/fs.h"
#include "common/xalloc.h"
#include "engine/run/console.h"

char *
gale_console_endpoint(const char *name)
{
    char *ep;

    xasprintf(&ep, "ipc://@gale-console-%u-%s", (unsigned)getuid(), name);
    return ep;
}

char *
gale_console_rundir(void)
{
    const char *x = getenv("XDG_RUNTIME_DIR");
    char *d;

    if (x != NULL && x[0] == '/')
        xasprintf(&d, "%s/gale", x);
    else
        xasprintf(&d, "/tmp/gale-%u", (unsigned)getuid());
    return d;
}

/* The path of name's .topology file (caller frees). */
static char *
entry_path(const char *name)
{
    char *d = gale_console_rundir(), *p;

    xasprintf(&p, "%s/%s.topology", d, name);
    free(d);
    return p;
}

static uint64_t
now_ms(void)
{
    struct timeval tv;

    gettimeofday(&tv, NULL);
    return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

int
gale_console_register(const char *name, const char *file, int tasks,
    int workers)
{
    char *d = gale_console_rundir(), *p = entry_path(name), *tmp;
    FILE *fp;
    int rc;

    if ((rc = gale_mkdir_p(d)) != 0)
        goto done;
    xasprintf(&tmp, "%s.%d", p, (int)getpid());
    if ((fp = fopen(tmp, "we")) == NULL) {
        rc = -errno;
        free(tmp);
        goto done;
    }
    fprintf(fp, "pid %d\nstarted_ms %" PRIu64 "\ntasks %d\nworkers %d\n"
        "file %s\n", (int)getpid(), now_ms(), tasks, workers, file);
    if (fclose(fp) != 0 || rename(tmp, p) == -1) {
        rc = -errno;
        unlink(tmp);
    }
    free(tmp);
done:
    free(d);
    free(p);
    return rc;
}

/* Reads the .topology file at path into e (name set by the caller). 0, or
 * -1 when it is not one. */
static int
read_entry(const char *path, gale_console_entry_t *e)
{
    FILE *fp = fopen(path, "re");
    char line[4096];
    int pid = 0;

    if (fp == NULL)
        return -1;
    while (fgets(line, sizeof line, fp) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "pid ", 4) == 0)
            pid = atoi(line + 4);
        else if (strncmp(line, "started_ms ", 11) == 0)
            e->started_ms = strtoull(line + 11, NULL, 10);
        else if (strncmp(line, "tasks ", 6) == 0)
            e->tasks = atoi(line + 6);
        else if (strncmp(line, "workers ", 8) == 0)
            e->workers = atoi(line + 8);
        else if (strncmp(line, "file ", 5) == 0 && e->file == NULL)
            e->file = xstrdup(line + 5);
    }
    fclose(fp);
    e->pid = pid;
    return pid > 0 ? 0 : -1;
}

void
gale_console_unregister(const char *name)
{
    gale_console_entry_t e = { 0 };
    char *p = entry_path(name);

    if (read_entry(p, &e) == 0 && e.pid == getpid())
        unlink(p);
    free(e.file);
    free(p);
}

/* Whether process pid exists. */
static int
alive(pid_t pid)
{
    return kill(pid, 0) == 0 || errno == EPERM;
}

static int
by_name(const void *a, const void *b)
{
    return strcmp(((const gale_console_entry_t *)a)->name,
        ((const gale_console_entry_t *)b)->name);
}

int
gale_console_list(gale_console_entry_t **out, size_t *n)
{
    char *d = gale_console_rundir(), *p;
    gale_console_entry_t *v = NULL, e;
    struct dirent *de;
    size_t len, cnt = 0;
    DIR *dir;

    *out = NULL;
    *n = 0;
    if ((dir = opendir(d)) == NULL) {
        free(d);
        return errno == ENOENT ? 0 : -errno;
    }
    while ((de = readdir(dir)) != NULL) {
        len = strlen(de->d_name);
        if (len <= 9 || strcmp(de->d_name + len - 9, ".topology") != 0)
            continue;
        memset(&e, 0, sizeof e);
        xasprintf(&p, "%s/%s", d, de->d_name);
        if (read_entry(p, &e) != 0 || !alive(e.pid)) {
            unlink(p);              /* its coordinator is gone */
            free(e.file);
            free(p);
            continue;
        }
        free(p);
        e.name = xstrndup(de->d_name, len - 9);
        v = xreallocarray(v, cnt + 1, sizeof *v);
        v[cnt++] = e;
    }
    closedir(dir);
    free(d);
    if (cnt > 1)
        qsort(v, cnt, sizeof *v, by_name);
    *out = v;
    *n = cnt;
    return 0;
}

void
gale_console_entries_destroy(gale_console_entry_t *e, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(e[i].name);
        free(e[i].file);
    }
    free(e);
}

int
gale_console_request(const char *name, const char *request, int timeout_ms,
    char **reply)
{
    gale_console_entry_t e = { 0 };
    char *p = entry_path(name), *ep = NULL;
    void *ctx = NULL, *s = NULL;
    zmq_pollitem_t item;
    zmq_msg_t msg;
    int rc, linger = 0;

    *reply = NULL;
    rc = read_entry(p, &e);
    free(p);
    free(e.file);
    if (rc != 0 || !alive(e.pid))
        return -ESRCH;
    ctx = zmq_ctx_new();
    s = zmq_socket(ctx, ZMQ_REQ);
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    ep = gale_console_endpoint(name);
    if (zmq_connect(s, ep) != 0 ||
        zmq_send(s, request, strlen(request), 0) < 0) {
        rc = -errno;
        goto done;
    }
    item.socket = s;
    item.events = ZMQ_POLLIN;
    /* In slices, watching the topology's process: one that ends before
     * it answers (a bounded input finished) gets no long wait. */
    for (;;) {
        int slice = timeout_ms < 250 ? timeout_ms : 250;

        if ((rc = zmq_poll(&item, 1, slice)) > 0)
            break;
        if (rc < 0) {
            rc = -errno;
            goto done;
        }
        timeout_ms -= slice;
        if (!alive(e.pid)) {
            rc = -ECONNRESET;
            goto done;
        }
        if (timeout_ms <= 0) {
            rc = -ETIMEDOUT;
            goto done;
        }
    }
    zmq_msg_init(&msg);
    if (zmq_msg_recv(&msg, s, 0) < 0) {
        rc = -errno;
        zmq_msg_close(&msg);
        goto done;
    }
    *reply = xstrndup(zmq_msg_data(&msg), zmq_msg_size(&msg));
    zmq_msg_close(&msg);
    rc = 0;
done:
    free(ep);
    if (s != NULL)
        zmq_close(s);
    zmq_ctx_term(ctx);
    return rc;
}
