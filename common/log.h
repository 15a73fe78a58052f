/* log.h - the process's log: one line per message on stderr (or a file),
 * prefixed with time, level and origin. Thread-safe: each message is one
 * write(2). */
#ifndef GALE_LOG_H
#define GALE_LOG_H

#include <stdarg.h>

enum { LOG_TRACE = 0, LOG_DEBUG = 1, LOG_INFO = 2, LOG_WARN = 3,
       LOG_ERROR = 4 };

/* Messages below level are dropped. Default LOG_INFO, or GALE_LOG_LEVEL
 * from the environment (trace, debug, info, warn, error). */
void log_set_level(int level);
int log_get_level(void);
/* Sends the log to fd instead of stderr (not closed by log). */
void log_set_fd(int fd);
/* Sends the log to the end of file path (made 0644 when missing), which
 * log owns until log_close_file(). 0 or -errno (the log is unchanged). */
int log_open_file(const char *path);
/* Sends the log to stderr again and closes the file log_open_file()
 * opened, if any. */
void log_close_file(void);
void log_msg(int level, const char *origin, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void log_vmsg(int level, const char *origin, const char *fmt, va_list ap);
/* Logs at ERROR with strerror(errno) appended, then exits 1. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Logs at ERROR, then exits 1. */
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#define log_debug(...) log_msg(LOG_DEBUG, NULL, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, NULL, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, NULL, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, NULL, __VA_ARGS__)

#endif
