/* zctx.h - the ZeroMQ context a process's sockets share, sized for big
 * topologies: ZeroMQ allows 1023 sockets per context by default, and
 * every channel end, control socket and bridge takes one (and a file
 * descriptor for its mailbox), so a topology of a few thousand channels
 * failed setup with "Too many open files". The process's soft file limit
 * is raised to its hard one and the context allows as many sockets as
 * that leaves room for (within ZeroMQ's own ZMQ_SOCKET_LIMIT). */
#ifndef GALE_TRANSPORT_ZCTX_H
#define GALE_TRANSPORT_ZCTX_H

#include <stddef.h>

/* A new context (zmq_ctx_term frees it), or NULL with errno set. */
void *gale_zctx_new(void);

/* 0 if the context allows need sockets, else -EMFILE with *why (caller
 * frees) saying what to do: ZeroMQ aborts the process when it runs out of
 * descriptors inside, so a run that would is refused before it starts. */
int gale_zctx_check(void *zctx, size_t need, const char *where, char **why);

#endif
