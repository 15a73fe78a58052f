/* status.c - the console's status reply (status.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/xalloc.h"
#include "engine/run/status.h"

char *
gale_status_format(const gale_status_t *st)
{
    char *text;

    xasprintf(&text, "ok %s %lu %d %.0f %d %llu %llu %llu", st->word,
        st->tasks, st->workers, st->uptime_s, st->pid, st->emitted,
        st->executed, st->last_ckpt);
    return text;
}

int
gale_status_parse(const char *reply, gale_status_t *st)
{
    int end = -1;

    memset(st, 0, sizeof *st);
    if (reply == NULL || strncmp(reply, "ok ", 3) != 0 ||
        sscanf(reply + 3, "%23s %lu %d %lf %d %llu %llu %llu%n", st->word,
        &st->tasks, &st->workers, &st->uptime_s, &st->pid, &st->emitted,
        &st->executed, &st->last_ckpt, &end) != 8 ||
        reply[3 + end] != '\0') {
        memset(st, 0, sizeof *st);
        return -EINVAL;
    }
    return 0;
}
