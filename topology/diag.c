/* diag.c - the list of `file:line: message` diagnostics (diag.h). */
#include <stdlib.h>

#include "common/xalloc.h"
#include "topology/diag.h"

struct gale_diag {
    char **msgs;                    /* owned formatted messages */
    size_t n;                       /* number of messages */
    size_t cap;                     /* allocated slots in msgs */
};

gale_diag_t *
gale_diag_new(void)
{
    return xcalloc(1, sizeof(gale_diag_t));
}

void
gale_diag_destroy(gale_diag_t **dp)
{
    gale_diag_t *d;
    size_t i;

    if (dp == NULL || (d = *dp) == NULL)
        return;
    for (i = 0; i < d->n; i++)
        free(d->msgs[i]);
    free(d->msgs);
    free(d);
    *dp = NULL;
}

void
gale_diag_vadd(gale_diag_t *d, const char *file, int line, const char *fmt,
    va_list ap)
{
    char *msg, *full;

    xvasprintf(&msg, fmt, ap);
    if (file == NULL)
        full = msg;
    else {
        if (line > 0)
            xasprintf(&full, "%s:%d: %s", file, line, msg);
        else
            xasprintf(&full, "%s: %s", file, msg);
        free(msg);
    }
    if (d->n == d->cap) {
        d->cap = d->cap == 0 ? 8 : d->cap * 2;
        d->msgs = xreallocarray(d->msgs, d->cap, sizeof(*d->msgs));
    }
    d->msgs[d->n++] = full;
}

void
gale_diag_add(gale_diag_t *d, const char *file, int line, const char *fmt,
    ...)
{
    va_list ap;

    va_start(ap, fmt);
    gale_diag_vadd(d, file, line, fmt, ap);
    va_end(ap);
}

size_t
gale_diag_count(const gale_diag_t *d)
{
    return d == NULL ? 0 : d->n;
}

const char *
gale_diag_message(const gale_diag_t *d, size_t i)
{
    return i < d->n ? d->msgs[i] : NULL;
}

void
gale_diag_print(const gale_diag_t *d, FILE *fp)
{
    size_t i;

    for (i = 0; i < d->n; i++)
        fprintf(fp, "%s\n", d->msgs[i]);
}
