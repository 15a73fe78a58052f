/* xalloc.c - allocation that aborts on out-of-memory. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

/* Prints why and aborts: allocation failure is not recoverable here. */
static void
oom(size_t n)
{
    fprintf(stderr, "gale: out of memory allocating %zu bytes\n", n);
    abort();
}

void *
xmalloc(size_t n)
{
    void *p = malloc(n == 0 ? 1 : n);

    if (p == NULL)
        oom(n);
    return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
    void *p;

    if (nmemb == 0 || size == 0)
        nmemb = size = 1;
    if ((p = calloc(nmemb, size)) == NULL)
        oom(nmemb * size);
    return p;
}

void *
xrealloc(void *p, size_t n)
{
    void *q;

    if (n == 0) {
        free(p);
        return NULL;
    }
    if ((q = realloc(p, n)) == NULL)
        oom(n);
    return q;
}

void *
xreallocarray(void *p, size_t nmemb, size_t size)
{
    if (size != 0 && nmemb > SIZE_MAX / size) {
        fprintf(stderr, "gale: array of %zu x %zu bytes overflows\n",
            nmemb, size);
        abort();
    }
    return xrealloc(p, nmemb * size);
}

void *
xcalloc_aligned(size_t align, size_t nmemb, size_t size)
{
    void *p;
    size_t n;

    if (size != 0 && nmemb > SIZE_MAX / size) {
        fprintf(stderr, "gale: array of %zu x %zu bytes overflows\n",
            nmemb, size);
        abort();
    }
    n = nmemb * size;
    if (posix_memalign(&p, align, n == 0 ? align : n) != 0) {
        fprintf(stderr, "gale: out of memory (%zu bytes)\n", n);
        abort();
    }
    memset(p, 0, n);
    return p;
}

char *
xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = xmalloc(len + 1);

    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

int
xvasprintf(char **ret, const char *fmt, va_list ap)
{
    va_list aq;
    int n;

    va_copy(aq, ap);
    n = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    if (n < 0) {
        fprintf(stderr, "gale: bad format string %s\n", fmt);
        abort();
    }
    *ret = xmalloc((size_t)n + 1);
    vsnprintf(*ret, (size_t)n + 1, fmt, ap);
    return n;
}

int
xasprintf(char **ret, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = xvasprintf(ret, fmt, ap);
    va_end(ap);
    return n;
}
