/* zctx.c - the process's ZeroMQ context (zctx.h). */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

#include <zmq.h>

#include "common/xalloc.h"
#include "engine/transport/zctx.h"

/* File descriptors kept for what is not a socket: state files, logs,
 * pipes of multilang children, the HTTP server. */
#define FD_RESERVE 128

void *
gale_zctx_new(void)
{
    struct rlimit rl;
    void *zctx = zmq_ctx_new();
    long want;
    int limit;

    if (zctx == NULL)
        return NULL;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return zctx;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            getrlimit(RLIMIT_NOFILE, &rl);
    }
    want = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1000000 ? 1000000 :
        (long)rl.rlim_cur;
    want -= FD_RESERVE;
    limit = zmq_ctx_get(zctx, ZMQ_SOCKET_LIMIT);
    if (limit > 0 && want > limit)
        want = limit;
    if (want > zmq_ctx_get(zctx, ZMQ_MAX_SOCKETS))
        zmq_ctx_set(zctx, ZMQ_MAX_SOCKETS, (int)want);
    return zctx;
}

int
gale_zctx_check(void *zctx, size_t need, const char *where, char **why)
{
    int have = zmq_ctx_get(zctx, ZMQ_MAX_SOCKETS);
    struct rlimit rl;
    size_t fds;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        fds = SIZE_MAX;
    else
        fds = (size_t)rl.rlim_cur;
    if ((have < 0 || need <= (size_t)have) && need + FD_RESERVE <= fds)
        return 0;
    xasprintf(why, "%s needs about %zu ZeroMQ sockets (one file descriptor "
        "each, and %d more kept for files), but this process may open %d "
        "sockets and %zu files (ulimit -n): raise the file limit, or spread "
        "the topology over more workers (`workers`)", where, need,
        FD_RESERVE, have, fds);
    return -EMFILE;
}
