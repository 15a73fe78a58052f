/* endpoint.h - the ZeroMQ endpoints of a run's control plane.
 *
 * The coordinator and its executors meet at named endpoints under a
 * prefix: "report" (executors and writers push reports), "lease" (the
 * coordinator publishes its lease), "ctl/<N>" (executor N's control
 * pair). With an inproc:// or ipc:// prefix a name is simply appended
 * ("ipc://@gale-1-1-1/ctl/3"). A tcp:// prefix has the form
 * "tcp://HOST:BASE/" and names map to ports: report = BASE, lease =
 * BASE + 1, ctl/N = BASE + 2 + N — the same code then runs across hosts.
 * Pure functions; any thread.
 */
#ifndef GALE_ENDPOINT_H
#define GALE_ENDPOINT_H

#include <stddef.h>

/* Writes the endpoint of name under prefix into buf (len bytes). 0, or
 * -EINVAL (a tcp prefix that is not "tcp://HOST:BASE/", a name without a
 * port under tcp, a port past 65535) or -ENOSPC (buf too small). */
int gale_endpoint(char *buf, size_t len, const char *prefix, const char *name);

#endif
