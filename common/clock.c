/* clock.c - gale_now_ns (gale/clock.h) and gale_wall_ms (component.h). */
#include "config.h"

#include <time.h>

#include <gale/clock.h>
#include <gale/gale.h>

uint64_t
gale_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int64_t
gale_wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
