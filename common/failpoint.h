/* failpoint.h - deterministic crashes for testing critical windows.
 *
 * GALE_FAILPOINT=name:n (several separated by commas) makes the n-th time
 * (1-based) the process passes failpoint `name` kill the process on the
 * spot with _exit(GALE_FAILPOINT_EXIT), as kill -9 would: no cleanup, no
 * flush. Unset, a failpoint costs one branch on a flag read once.
 * Thread-safe (the hit counters are atomic).
 */
#ifndef GALE_FAILPOINT_H
#define GALE_FAILPOINT_H

#define GALE_FAILPOINT_EXIT 86

/* Counts a pass through failpoint name, and dies if it is the chosen one. */
void gale_failpoint(const char *name);

#endif
