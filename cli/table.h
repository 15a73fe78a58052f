/* table.h - aligned text tables for the gale command's output.
 *
 * Rows are filled cell by cell with printf formats; columns are padded to
 * their widest cell, numbers can be right-aligned, and no line ends in
 * spaces, so the output is stable for tests to compare. Owned by one
 * thread; the table copies every cell.
 */
#ifndef GALE_TABLE_H
#define GALE_TABLE_H

#include <stddef.h>
#include <stdio.h>

typedef struct gale_table gale_table_t;

/* A table of ncols columns; align has one letter per column, 'l' or 'r'.
 * The first row added is the header. Never NULL (aborts on OOM). */
gale_table_t *gale_table_new(size_t ncols, const char *align);
/* Frees the table and sets *tp to NULL. Accepts NULL and *NULL. */
void gale_table_destroy(gale_table_t **tp);
/* Appends a cell to the current row; a row is complete after ncols cells
 * and the next cell starts a new one. */
void gale_table_cell(gale_table_t *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Writes every row, each line prefixed with indent and the columns
 * separated by two spaces. */
void gale_table_print(const gale_table_t *t, const char *indent, FILE *fp);

#endif
