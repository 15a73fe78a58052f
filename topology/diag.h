/* diag.h - diagnostics: the list of `file:line: message` errors that
 * loading, validating or planning a topology found. Collecting them (rather
 * than stopping at the first) lets `gale validate` report every mistake in
 * one run. Not thread-safe; owned by whoever created it. */
#ifndef GALE_DIAG_H
#define GALE_DIAG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

typedef struct gale_diag gale_diag_t;

gale_diag_t *gale_diag_new(void);
/* Frees and sets *dp to NULL. Accepts NULL. */
void gale_diag_destroy(gale_diag_t **dp);
/* Records "file:line: message" (or "file: message" when line <= 0, or
 * "message" when file is NULL). */
void gale_diag_add(gale_diag_t *d, const char *file, int line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void gale_diag_vadd(gale_diag_t *d, const char *file, int line,
    const char *fmt, va_list ap);
size_t gale_diag_count(const gale_diag_t *d);
/* The i-th formatted message. Borrowed. */
const char *gale_diag_message(const gale_diag_t *d, size_t i);
/* Writes every message, one per line, as compilers do: each line starts
 * with `file:line:`, so that editors can jump to it. */
void gale_diag_print(const gale_diag_t *d, FILE *fp);

#endif
