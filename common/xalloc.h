/* xalloc.h - allocation that aborts on out-of-memory, and string helpers.
 * gale treats OOM as fatal: a stream engine that cannot allocate cannot
 * keep its guarantees, and recovery restarts the process. */
#ifndef GALE_XALLOC_H
#define GALE_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
/* Grows or shrinks p; n == 0 frees and returns NULL. */
void *xrealloc(void *p, size_t n);
/* Like xrealloc for an array of nmemb elements of size bytes, checking
 * the multiplication for overflow. */
void *xreallocarray(void *p, size_t nmemb, size_t size);
/* A zeroed array of nmemb elements of size bytes whose address is a
 * multiple of align (a power of two, at least sizeof(void *)); free()
 * releases it. For arrays of cache-line sized elements, so that each
 * element is one line instead of straddling two. */
void *xcalloc_aligned(size_t align, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Formats into a new string the caller frees; returns its length. */
int xasprintf(char **ret, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int xvasprintf(char **ret, const char *fmt, va_list ap);

#endif
