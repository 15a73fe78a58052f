/* clock.h - the engine's one clock, for plugins too.
 *
 * Every timeout, flush interval, heartbeat and latency in gale is measured
 * on this clock, so a plugin that times its own work compares like with
 * like. Thread-safe.
 */
#ifndef GALE_CLOCK_H
#define GALE_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in nanoseconds: only differences mean anything; it does
 * not jump when the wall clock is set. */
uint64_t gale_now_ns(void);

#endif
