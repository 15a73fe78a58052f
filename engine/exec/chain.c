/* chain.c - executing a chained edge's tuples in the producer's thread
 * (chain.h). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "engine/exec/chain.h"
#include "engine/exec/task.h"

/* A chained task's execute time is sampled, one tuple in SAMPLE, and
 * scaled: reading the clock around every tuple would cost more than
 * chaining saves. */
#define SAMPLE 64

int
gale_chain_push(gale_ctx_t *from, gale_ctx_t *to, int s,
    const gale_datum_t *vals, size_t n, int kg)
{
    struct gale_tuple view;
    uint64_t t0 = 0;
    int rc;

    if (*to->chain_error != NULL)
        return -ECANCELED;
    gale_task_view(from, s, vals, n, &view);
    from->stats.transferred++;
    /* Data from an idle input: it counts again (docs/windows.md). */
    if (to->wm != NULL)
        gale_wmark_active(to->wm, 0);
    to->wm_idle_sent = false;
    gale_kvstore_set_keygroup(to->state, kg >= to->kg_first &&
        kg <= to->kg_last ? kg : -1);
    if (to->stats.executed % SAMPLE == 0)
        t0 = gale_now_ns();
    rc = to->def->bolt->execute(to, to->self, &view);
    if (t0 != 0) {
        uint64_t dt = gale_now_ns() - t0;

        /* One timed tuple in SAMPLE stands for SAMPLE of them. */
        to->stats.exec_ns += dt * SAMPLE;
        gale_hist_record_n(&to->stats.exec_lat, dt, SAMPLE);
    }
    to->stats.executed++;
    if (rc == 0)
        return 0;
    if (*to->chain_error == NULL)
        xasprintf(to->chain_error, "%s: execute failed on a tuple from "
            "%s[%d] stream %s (chained): %s", to->origin, from->comp->id,
            from->task_id, view.stream, strerror(rc < 0 ? -rc : rc));
    return -ECANCELED;
}
