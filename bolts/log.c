/* log.c - the "log" bolt: logs every tuple, as Storm's LogInfoBolt does
 * ("source: split:3, stream: default, [hello]"), and declares no fields. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gale/gale.h>

#include "bolts/builtins.h"
#include "bolts/linefmt.h"

static const char *const levels[] = { "trace", "debug", "info", "warn",
    "error" };  /* indexed by GALE_LOG_* */

typedef struct logbolt {
    int level;                  /* GALE_LOG_* */
    gale_linebuf_t line;        /* scratch */
} logbolt_t;

static void
log_cleanup(gale_ctx_t *ctx, void *self)
{
    logbolt_t *l = self;

    if (l == NULL)
        return;
    gale_linebuf_release(&l->line);
    free(l);
}

/* -EINVAL (reported) for an unknown level. */
static int
log_prepare(gale_ctx_t *ctx, void **self)
{
    const char *level = gale_ctx_param_str(ctx, "level", "info");
    logbolt_t *l;
    int i;

    for (i = 0; i < (int)(sizeof levels / sizeof levels[0]); i++)
        if (strcmp(level, levels[i]) == 0)
            break;
    if (i == (int)(sizeof levels / sizeof levels[0])) {
        gale_ctx_report_error(ctx, "log: level \"%s\" is not one of trace, "
            "debug, info, warn, error", level);
        return -EINVAL;
    }
    if ((l = calloc(1, sizeof *l)) == NULL)
        return -ENOMEM;
    l->level = i;
    *self = l;
    return 0;
}

static int
log_execute(gale_ctx_t *ctx, void *self, const gale_tuple_t *t)
{
    logbolt_t *l = self;
    char head[256];
    int rc, n;

    n = snprintf(head, sizeof head, "source: %s:%d, stream: %s, [",
        gale_tuple_component(t), gale_tuple_source_task(t),
        gale_tuple_stream(t));
    if (n < 0)
        return -EINVAL;
    l->line.len = 0;
    if ((rc = gale_linebuf_add(&l->line, head,
            (size_t)n < sizeof head ? (size_t)n : sizeof head - 1)) != 0 ||
        (rc = gale_linefmt_tuple(&l->line, t, ", ")) != 0 ||
        (rc = gale_linebuf_add(&l->line, "]", 1)) != 0)
        return rc;
    gale_ctx_log(ctx, l->level, "%.*s", (int)l->line.len, l->line.ptr);
    return 0;
}

static const gale_param_spec_t log_params[] = {
    { "level", GALE_STRING, false,
      "trace, debug, info (default), warn or error" },
    { NULL, GALE_NULL, false, NULL }
};

static const gale_bolt_ops_t log_ops = {
    .prepare = log_prepare,
    .execute = log_execute,
    .cleanup = log_cleanup,
};

const gale_component_def_t gale_builtin_log = {
    .type = "log",
    .kind = GALE_BOLT,
    .summary = "logs every tuple, like Storm's LogInfoBolt",
    .params = log_params,
    .bolt = &log_ops,
};
