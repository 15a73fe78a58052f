/* file_sink.c - the "file_sink" bolt: each task writes its tuples as
 * lines (linefmt.h, fields separated by a tab) to path/part-NNNNN, NNNNN
 * being its task index. Buffered; flushed and fsynced at finish, at a
 * checkpoint and at cleanup.
 *
 * Every byte reaches the file through sink_write(), so that the
 * transactional sink of the exactly-once issue can stage there. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gale/gale.h>

#include "bolts/builtins.h"
#include "bolts/linefmt.h"

#define FLUSH_AT (1 << 20)      /* bytes buffered before a write(2) */

typedef struct sink {
    char *dir;                  /* owned output directory */
    char *file;                 /* owned path of this task's part file */
    int fd;                     /* the part file; -1 when closed */
    gale_linebuf_t buf;         /* lines not yet written */
} sink_t;

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

/* Writes n bytes to the part file. 0 or -errno. */
static int
sink_write(sink_t *s, const void *p, size_t n)
{
    const char *c = p;
    ssize_t w;

    while (n > 0) {
        if ((w = write(s->fd, c, n)) == -1) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Writes out the buffer and, with sync, makes the file (and its entry in
 * the directory) durable. 0 or -errno (reported). */
static int
sink_flush(gale_ctx_t *ctx, sink_t *s, int sync)
{
    int rc, dfd;

    if ((rc = sink_write(s, s->buf.ptr, s->buf.len)) != 0)
        goto fail;
    s->buf.len = 0;
    if (!sync)
        return 0;
    if (fsync(s->fd) == -1) {
        rc = -errno;
        goto fail;
    }
    if ((dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
fail:
    gale_ctx_report_error(ctx, "file_sink: %s: %s", s->file, strerror(-rc));
    return rc;
}

static void
sink_free(sink_t *s)
{
    if (s == NULL)
        return;
    if (s->fd != -1)
        close(s->fd);
    free(s->dir);
    free(s->file);
    gale_linebuf_release(&s->buf);
    free(s);
}

/* Creates the directory and truncates the part file. -errno (reported)
 * when either fails. */
static int
sink_prepare(gale_ctx_t *ctx, void **self)
{
    const char *dir = gale_ctx_param_str(ctx, "path", NULL);
    sink_t *s = calloc(1, sizeof *s);
    int rc = -ENOMEM;

    if (s == NULL)
        return -ENOMEM;
    s->fd = -1;
    if (dir == NULL) {
        gale_ctx_report_error(ctx, "file_sink: parameter path is required");
        rc = -EINVAL;
        goto fail;
    }
    if ((s->dir = strdup(dir)) == NULL ||
        asprintf(&s->file, "%s/part-%05d", dir, gale_ctx_task_index(ctx)) < 0) {
        s->file = NULL;
        goto fail;
    }
    if ((rc = make_dirs(dir)) != 0) {
        gale_ctx_report_error(ctx, "file_sink: %s: %s", dir, strerror(-rc));
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

static int
sink_finish(gale_ctx_t *ctx, void *self)
{
    return sink_flush(ctx, self, 1);
}

static int
sink_snapshot(gale_ctx_t *ctx, void *self, uint64_t checkpoint_id)
{
    return sink_flush(ctx, self, 1);
}

/* Flushes what finish did not (a stopped unbounded run) and closes. */
static void
sink_cleanup(gale_ctx_t *ctx, void *self)
{
    sink_t *s = self;

    if (s == NULL)
        return;
    if (s->fd != -1)
        sink_flush(ctx, s, 1);
    sink_free(s);
}

static const gale_param_spec_t sink_params[] = {
    { "path", GALE_STRING, true,
      "output directory; task i writes path/part-<i, 5 digits>" },
    { NULL, GALE_NULL, false, NULL }
};

static const gale_bolt_ops_t sink_ops = {
    .prepare = sink_prepare,
    .execute = sink_execute,
    .finish = sink_finish,
    .snapshot = sink_snapshot,
    .cleanup = sink_cleanup,
};

const gale_component_def_t gale_builtin_file_sink = {
    .type = "file_sink",
    .kind = GALE_BOLT,
    .summary = "writes tuples as tab-separated lines, one file per task",
    .params = sink_params,
    .bolt = &sink_ops,
};
