/* table.c - aligned text tables (see table.h). */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/table.h"
#include "common/xalloc.h"

struct gale_table {
    size_t ncols;                   /* cells per row */
    char *align;                    /* 'l' or 'r' per column; owned */
    char **cells;                   /* row-major; owned strings */
    size_t ncells;                  /* cells added so far */
    size_t *width;                  /* widest cell per column */
};

gale_table_t *
gale_table_new(size_t ncols, const char *align)
{
    gale_table_t *t = xcalloc(1, sizeof(*t));

    t->ncols = ncols;
    t->align = xstrndup(align, ncols);
    t->width = xcalloc(ncols, sizeof(*t->width));
    return t;
}

void
gale_table_destroy(gale_table_t **tp)
{
    gale_table_t *t;
    size_t i;

    if (tp == NULL || (t = *tp) == NULL)
        return;
    for (i = 0; i < t->ncells; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t->width);
    free(t->align);
    free(t);
    *tp = NULL;
}

void
gale_table_cell(gale_table_t *t, const char *fmt, ...)
{
    va_list ap;
    size_t col = t->ncells % t->ncols, len;
    char *s;

    va_start(ap, fmt);
    len = (size_t)xvasprintf(&s, fmt, ap);
    va_end(ap);
    t->cells = xreallocarray(t->cells, t->ncells + 1, sizeof(*t->cells));
    t->cells[t->ncells++] = s;
    if (len > t->width[col])
        t->width[col] = len;
}

void
gale_table_print(const gale_table_t *t, const char *indent, FILE *fp)
{
    size_t i, col, pad, last;

    for (i = 0; i < t->ncells; i += t->ncols) {
        /* The last non-empty cell of the row: nothing is padded after it. */
        last = 0;
        for (col = 0; col < t->ncols && i + col < t->ncells; col++) {
            if (*t->cells[i + col] != '\0')
                last = col;
        }
        fputs(indent, fp);
        for (col = 0; col <= last; col++) {
            const char *s = t->cells[i + col];

            pad = t->width[col] - strlen(s);
            if (col > 0)
                fputs("  ", fp);
            if (t->align[col] == 'r')
                fprintf(fp, "%*s%s", (int)pad, "", s);
            else if (col == last)
                fputs(s, fp);
            else
                fprintf(fp, "%s%*s", s, (int)pad, "");
        }
        fputc('\n', fp);
    }
}
