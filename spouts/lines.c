/* lines.c - the "lines" spout: one tuple per line of a file, read in
 * large blocks. Bounded (GALE_DONE at end of file) or, with follow, a tail
 * of a growing file (GALE_IDLE until a new complete line arrives). The
 * byte offset of the next unread line is its position in operator state.
 *
 * With N tasks (bounded only), the file is cut into N byte ranges of
 * equal size at the first start, and task i emits the lines that start in
 * range i: it begins at the first line start at or after the range's
 * first byte, and stops at the first line start at or after its end (the
 * last task reads to the end of the file). A line starts at offset 0 and
 * after every newline, so each line has one task. The range is operator
 * state too ("range": first and end offset), so that a restore reads the
 * shares of the first start even if the file grew since. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gale/gale.h>

#include "common/le.h"
#include "spouts/builtins.h"

#define BLOCK (1 << 20)         /* bytes per read(2) */
#define BATCH 1024              /* lines per next() at most */
#define POSITION_KEY "offset"   /* key in operator state "position" */
#define RANGE_KEY "range"       /* key of the task's range, N > 1 */

typedef struct lines {
    char *path;                 /* owned copy of the path parameter */
    int fd;                     /* the file; -1 when not open */
    bool follow;                /* tail: wait at EOF instead of ending */
    bool eof;                   /* read(2) returned 0 (bounded: the end) */
    bool done;                  /* bounded and every line emitted */
    char *buf;                  /* owned read buffer */
    size_t cap;                 /* its size */
    size_t start;               /* first byte not yet emitted */
    size_t end;                 /* bytes of buf holding file data */
    uint64_t base;              /* file offset of buf[0] */
    bool ranged;                /* one of N > 1 tasks: a range of the file */
    uint64_t lo;                /* ranged: the range's first byte */
    uint64_t hi;                /* ranged: its end (UINT64_MAX: the file's) */
    bool skip;                  /* the bytes up to the next newline are the
                                 * end of a line of the range before */
    gale_kv_t *position;        /* operator state, engine-owned */
} lines_t;

/* Starts reading at line start or range start off: a range that does not
 * begin the file begins after the first newline at or after off - 1. */
static int
seek_to(lines_t *l, uint64_t off, bool skip)
{
    if (skip && off > 0)
        off--;
    else
        skip = false;
    if (lseek(l->fd, (off_t)off, SEEK_SET) == (off_t)-1)
        return -errno;
    l->base = off;
    l->start = l->end = 0;
    l->eof = l->done = false;
    l->skip = skip;
    return 0;
}

static void
lines_close(gale_ctx_t *ctx, void *self)
{
    lines_t *l = self;

    if (l == NULL)
        return;
    if (l->fd != -1)
        close(l->fd);
    free(l->path);
    free(l->buf);
    free(l);
}

/* Opens the file. -errno (reported, naming the file) when it cannot be
 * opened. */
static int
lines_open(gale_ctx_t *ctx, void **self)
{
    const char *path = gale_ctx_param_str(ctx, "path", NULL);
    lines_t *l = calloc(1, sizeof *l);
    int rc = -ENOMEM;

    if (l == NULL)
        return -ENOMEM;
    l->fd = -1;
    if (path == NULL) {
        gale_ctx_report_error(ctx, "lines: parameter path is required");
        rc = -EINVAL;
        goto fail;
    }
    l->follow = gale_ctx_param_bool(ctx, "follow", false);
    l->cap = BLOCK;
    if ((l->path = strdup(path)) == NULL || (l->buf = malloc(l->cap)) == NULL)
        goto fail;
    if ((l->fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
        rc = -errno;
        gale_ctx_report_error(ctx, "lines: %s: %s", path, strerror(errno));
        goto fail;
    }
    l->position = gale_ctx_operator_state(ctx, "position");
    if (gale_ctx_ntasks(ctx) > 1) {
        uint64_t n = (uint64_t)gale_ctx_ntasks(ctx);
        uint64_t i = (uint64_t)gale_ctx_task_index(ctx);
        struct stat st;
        uint64_t size;

        if (l->follow) {
            gale_ctx_report_error(ctx, "lines: %s: follow reads a growing "
                "file from one task: parallelism must be 1, not %d", path,
                gale_ctx_ntasks(ctx));
            rc = -EINVAL;
            goto fail;
        }
        if (fstat(l->fd, &st) != 0) {
            rc = -errno;
            gale_ctx_report_error(ctx, "lines: %s: %s", path, strerror(errno));
            goto fail;
        }
        size = (uint64_t)st.st_size;
        l->ranged = true;
        l->lo = size / n * i + size % n * i / n;
        l->hi = i + 1 == n ? UINT64_MAX :
            size / n * (i + 1) + size % n * (i + 1) / n;
        if ((rc = seek_to(l, l->lo, true)) != 0) {
            gale_ctx_report_error(ctx, "lines: %s: %s", path, strerror(-rc));
            goto fail;
        }
    }
    *self = l;
    return 0;
fail:
    lines_close(ctx, l);
    return rc;
}

/* Makes room after the unread bytes: moves them to the front, and grows
 * the buffer when one line fills it. */
static int
make_room(lines_t *l)
{
    char *nb;

    if (l->start > 0) {
        memmove(l->buf, l->buf + l->start, l->end - l->start);
        l->base += l->start;
        l->end -= l->start;
        l->start = 0;
    }
    if (l->end == l->cap) {
        if ((nb = realloc(l->buf, l->cap * 2)) == NULL)
            return -ENOMEM;
        l->buf = nb;
        l->cap *= 2;
    }
    return 0;
}

/* Emits buf[start, start+len) minus a trailing CR. */
static int
emit_line(gale_ctx_t *ctx, lines_t *l, size_t len)
{
    const char *p = l->buf + l->start;
    gale_datum_t d;

    if (len > 0 && p[len - 1] == '\r')
        len--;
    d = gale_d_str(p, len);
    return gale_emit(ctx, GALE_STREAM_DEFAULT, &d, 1);
}

/* Emits up to BATCH lines. A bounded file's last line needs no newline;
 * a followed file's incomplete last line waits for its newline. */
static int
lines_next(gale_ctx_t *ctx, void *self)
{
    lines_t *l = self;
    int emitted = 0, rc;
    const char *nl;
    ssize_t r;

    if (l->done)
        return GALE_DONE;
    while (emitted < BATCH) {
        if (l->ranged && !l->skip && l->base + l->start >= l->hi) {
            l->done = true;         /* the next range's first line */
            return emitted > 0 ? GALE_EMITTED : GALE_DONE;
        }
        nl = memchr(l->buf + l->start, '\n', l->end - l->start);
        if (nl != NULL && l->skip) {
            l->start = (size_t)(nl - l->buf) + 1;
            l->skip = false;
            continue;
        }
        if (nl != NULL) {
            if ((rc = emit_line(ctx, l, (size_t)(nl - l->buf) - l->start)) < 0)
                return rc;
            l->start = (size_t)(nl - l->buf) + 1;
            emitted++;
            continue;
        }
        if (l->skip)
            l->start = l->end;      /* all of it the line before's */
        if (l->eof && !l->follow)
            break;
        if ((rc = make_room(l)) < 0)
            return rc;
        r = read(l->fd, l->buf + l->end, l->cap - l->end);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            rc = -errno;
            gale_ctx_report_error(ctx, "lines: %s: %s", l->path,
                strerror(errno));
            return rc;
        }
        if (r == 0) {
            l->eof = true;
            if (l->follow)
                return emitted > 0 ? GALE_EMITTED : GALE_IDLE;
            continue;
        }
        l->end += (size_t)r;
    }
    if (emitted == BATCH)
        return GALE_EMITTED;
    /* Bounded, at the end: the last line may lack its newline (unless it
     * is the end of a line of the range before). */
    if (l->start < l->end && !l->skip &&
        (!l->ranged || l->base + l->start < l->hi)) {
        if ((rc = emit_line(ctx, l, l->end - l->start)) < 0)
            return rc;
        l->start = l->end;
        emitted++;
    }
    l->done = true;
    return emitted > 0 ? GALE_EMITTED : GALE_DONE;
}

/* Records the offset of the next unread line (8 bytes, little-endian),
 * and a ranged task's range (first byte, end: 16 bytes). Before the first
 * line of the range is found, the next unread line is the range's. */
static int
lines_snapshot(gale_ctx_t *ctx, void *self, uint64_t checkpoint_id)
{
    lines_t *l = self;
    unsigned char v[16];
    int rc;

    (void)ctx, (void)checkpoint_id;
    gale_put_le(v, l->skip ? l->lo : l->base + l->start, 8);
    if ((rc = gale_kv_put(l->position, POSITION_KEY, strlen(POSITION_KEY),
        v, 8)) != 0 || !l->ranged)
        return rc;
    gale_put_le(v, l->lo, 8);
    gale_put_le(v + 8, l->hi, 8);
    return gale_kv_put(l->position, RANGE_KEY, strlen(RANGE_KEY), v, 16);
}

/* Seeks to the recorded offset (none recorded: the start). -EINVAL for a
 * malformed record, -errno if the seek fails. */
static int
lines_restore(gale_ctx_t *ctx, void *self)
{
    lines_t *l = self;
    const void *vp;
    uint64_t off;
    size_t len;

    (void)ctx;
    if (l->ranged && gale_kv_get(l->position, RANGE_KEY, strlen(RANGE_KEY),
        &vp, &len) == 0) {
        if (len != 16)
            return -EINVAL;
        l->lo = gale_get_le(vp, 8);
        l->hi = gale_get_le((const uint8_t *)vp + 8, 8);
    }
    if (gale_kv_get(l->position, POSITION_KEY, strlen(POSITION_KEY),
        &vp, &len) != 0)
        return l->ranged ? seek_to(l, l->lo, true) : 0;
    if (len != 8)
        return -EINVAL;
    off = gale_get_le(vp, 8);
    /* A ranged task still before its first line recorded the range's
     * first byte, which may be inside a line of the range before. */
    return seek_to(l, off, l->ranged && off == l->lo);
}

static const gale_param_spec_t lines_params[] = {
    { "path", GALE_STRING, true, "the file to read, one tuple per line" },
    { "follow", GALE_BOOL, false,
      "keep reading as the file grows (unbounded); default false" },
    { NULL, GALE_NULL, false, NULL }
};

static const gale_spout_ops_t lines_ops = {
    .open = lines_open,
    .next = lines_next,
    .snapshot = lines_snapshot,
    .restore = lines_restore,
    .close = lines_close,
};

const gale_component_def_t gale_builtin_lines = {
    .type = "lines",
    .kind = GALE_SPOUT,
    .summary = "one tuple per line of a file; bounded, or following it",
    .params = lines_params,
    .spout = &lines_ops,
};
