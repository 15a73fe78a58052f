/* log.c - the process's log. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

static int log_level = -1;          /* -1: not read from the environment yet */
static int log_fd = STDERR_FILENO;  /* where lines go */
static int owned_fd = -1;           /* log_open_file's, or -1 */

static const char *const level_names[] = {
    "TRACE", "DEBUG", "INFO", "WARN", "ERROR"
};

/* Reads GALE_LOG_LEVEL once; unknown values leave INFO. */
static int
level_from_env(void)
{
    const char *s = getenv("GALE_LOG_LEVEL");
    int i;

    if (s != NULL) {
        for (i = 0; i <= LOG_ERROR; i++)
            if (strcasecmp(s, level_names[i]) == 0)
                return i;
    }
    return LOG_INFO;
}

void
log_set_level(int level)
{
    log_level = level;
}

int
log_get_level(void)
{
    if (log_level < 0)
        log_level = level_from_env();
    return log_level;
}

void
log_set_fd(int fd)
{
    log_fd = fd;
}

int
log_open_file(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

    if (fd < 0)
        return -errno;
    log_close_file();
    owned_fd = log_fd = fd;
    return 0;
}

void
log_close_file(void)
{
    if (owned_fd < 0)
        return;
    log_fd = STDERR_FILENO;
    close(owned_fd);
    owned_fd = -1;
}

void
log_vmsg(int level, const char *origin, const char *fmt, va_list ap)
{
    char line[2048];
    struct timespec ts;
    struct tm tm;
    size_t n;
    int k;

    if (level < log_get_level())
        return;
    if (level < 0 || level > LOG_ERROR)
        level = LOG_INFO;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
    k = snprintf(line + n, sizeof line - n, ".%03ldZ %-5s %s%s", ts.tv_nsec / 1000000,
        level_names[level], origin != NULL ? origin : "",
        origin != NULL ? ": " : "");
    if (k > 0)
        n += (size_t)k < sizeof line - n ? (size_t)k : sizeof line - n - 1;
    k = vsnprintf(line + n, sizeof line - n, fmt, ap);
    if (k > 0)
        n += (size_t)k < sizeof line - n ? (size_t)k : sizeof line - n - 1;
    if (n >= sizeof line - 1)
        n = sizeof line - 2;
    line[n++] = '\n';
    /* One write per line so that threads do not interleave within a line. */
    if (write(log_fd, line, n) < 0) {
        /* Nowhere left to report it. */
    }
}

void
log_msg(int level, const char *origin, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vmsg(level, origin, fmt, ap);
    va_end(ap);
}

void
fatal(const char *fmt, ...)
{
    char msg[1024];
    int saved = errno;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_msg(LOG_ERROR, NULL, "%s: %s", msg, strerror(saved));
    exit(1);
}

void
fatalx(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vmsg(LOG_ERROR, NULL, fmt, ap);
    va_end(ap);
    exit(1);
}
