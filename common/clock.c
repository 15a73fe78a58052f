/* clock.c - gale_now_ns (gale/clock.h). */
#include "config.h"

#include <time.h>

#include <gale/clock.h>

uint64_t
gale_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
