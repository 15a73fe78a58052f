/* stdout.c - the "stdout" bolt: tuples as lines (linefmt.h, fields
 * separated by a tab) on standard output. Each line goes out in one
 * write(2), so lines of several tasks never interleave mid-line (for
 * lines up to PIPE_BUF bytes on a pipe; any length on a file or tty). */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <gale/gale.h>

#include "bolts/builtins.h"
#include "bolts/linefmt.h"

typedef struct out {
    gale_linebuf_t line;        /* scratch */
} out_t;

static void
stdout_cleanup(gale_ctx_t *ctx, void *self)
{
    out_t *o = self;

    if (o == NULL)
        return;
    gale_linebuf_release(&o->line);
    free(o);
}

static int
stdout_prepare(gale_ctx_t *ctx, void **self)
{
    if ((*self = calloc(1, sizeof(out_t))) == NULL)
        return -ENOMEM;
    return 0;
}

/* -errno when standard output fails (a closed pipe: -EPIPE). */
static int
stdout_execute(gale_ctx_t *ctx, void *self, const gale_tuple_t *t)
{
    out_t *o = self;
    const char *p;
    size_t n;
    ssize_t w;
    int rc;

    if (gale_tuple_is_tick(t))
        return 0;
    o->line.len = 0;
    if ((rc = gale_linefmt_tuple(&o->line, t, "\t")) != 0 ||
        (rc = gale_linebuf_add(&o->line, "\n", 1)) != 0)
        return rc;
    for (p = o->line.ptr, n = o->line.len; n > 0; p += w, n -= (size_t)w)
        if ((w = write(STDOUT_FILENO, p, n)) == -1) {
            if (errno != EINTR)
                return -errno;
            w = 0;
        }
    return 0;
}

static const gale_param_spec_t stdout_params[] = {
    { NULL, GALE_NULL, false, NULL }
};

static const gale_bolt_ops_t stdout_ops = {
    .prepare = stdout_prepare,
    .execute = stdout_execute,
    .cleanup = stdout_cleanup,
};

const gale_component_def_t gale_builtin_stdout = {
    .type = "stdout",
    .kind = GALE_BOLT,
    .summary = "writes tuples as tab-separated lines to standard output",
    .params = stdout_params,
    .bolt = &stdout_ops,
};
