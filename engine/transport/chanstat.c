/* chanstat.c - per-channel counts shared by a channel's ends (chanstat.h). */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "engine/transport/chanstat.h"

/* One channel. The sending and the receiving side sit on separate cache
 * lines: their writers are different threads. */
typedef struct slot {
    _Alignas(64) _Atomic uint64_t sent_frames;
    _Atomic uint64_t sent_tuples;
    _Alignas(64) _Atomic uint64_t recv_frames;
    _Atomic uint64_t recv_tuples;
} slot_t;

struct gale_chanstat {
    slot_t *slots;              /* owned, nchans */
    size_t nchans;
};

gale_chanstat_t *
gale_chanstat_new(size_t nchans)
{
    gale_chanstat_t *cs = xcalloc(1, sizeof *cs);
    size_t i;

    cs->nchans = nchans;
    if (nchans > 0 && posix_memalign((void **)&cs->slots, 64,
        nchans * sizeof *cs->slots) != 0)
        fatal("out of memory");
    for (i = 0; i < nchans; i++) {
        atomic_init(&cs->slots[i].sent_frames, 0);
        atomic_init(&cs->slots[i].sent_tuples, 0);
        atomic_init(&cs->slots[i].recv_frames, 0);
        atomic_init(&cs->slots[i].recv_tuples, 0);
    }
    return cs;
}

void
gale_chanstat_destroy(gale_chanstat_t **csp)
{
    gale_chanstat_t *cs;

    if (csp == NULL || (cs = *csp) == NULL)
        return;
    free(cs->slots);
    free(cs);
    *csp = NULL;
}

void
gale_chanstat_sent(gale_chanstat_t *cs, int id, uint64_t frames,
    uint64_t tuples)
{
    if (cs == NULL || id < 0 || (size_t)id >= cs->nchans)
        return;
    atomic_store_explicit(&cs->slots[id].sent_tuples, tuples,
        memory_order_relaxed);
    /* Release: a reader that sees these frames sees their tuples. */
    atomic_store_explicit(&cs->slots[id].sent_frames, frames,
        memory_order_release);
}

void
gale_chanstat_recv(gale_chanstat_t *cs, int id, uint64_t frames,
    uint64_t tuples)
{
    if (cs == NULL || id < 0 || (size_t)id >= cs->nchans)
        return;
    atomic_store_explicit(&cs->slots[id].recv_tuples, tuples,
        memory_order_relaxed);
    atomic_store_explicit(&cs->slots[id].recv_frames, frames,
        memory_order_release);
}

int
gale_chanstat_get(const gale_chanstat_t *cs, int id, gale_chanstat_read_t *r)
{
    slot_t *s;

    memset(r, 0, sizeof *r);
    if (cs == NULL || id < 0 || (size_t)id >= cs->nchans)
        return -ERANGE;
    s = &cs->slots[id];
    r->recv_frames = atomic_load_explicit(&s->recv_frames, memory_order_acquire);
    r->recv_tuples = atomic_load_explicit(&s->recv_tuples, memory_order_relaxed);
    r->sent_frames = atomic_load_explicit(&s->sent_frames, memory_order_acquire);
    r->sent_tuples = atomic_load_explicit(&s->sent_tuples, memory_order_relaxed);
    return 0;
}
