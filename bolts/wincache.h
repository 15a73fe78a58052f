/* wincache.h - the window bolt's write-back cache of decoded records.
 *
 * Decoding a key's record from keyed state and encoding it back for every
 * tuple cost the window bolt most of its time (docs/performance.md). The
 * cache keeps decoded records (bolts/winrec.h) by state key and writes the
 * changed ones back at each checkpoint barrier (the bolt's snapshot), so
 * a checkpoint holds every tuple before its barrier; records of keys
 * whose windows all ended are deleted from state then. When it holds
 * `max` records it writes every changed one back and empties itself
 * before taking the next. Keyed state is scoped to each record's key
 * group for the write. One task's; its thread only.
 */
#ifndef GALE_BOLTS_WINCACHE_H
#define GALE_BOLTS_WINCACHE_H

#include <stdbool.h>
#include <stddef.h>

#include <gale/gale.h>

#include "bolts/winrec.h"

typedef struct wincache wincache_t;

/* A cache over state (keyed when keyed: records carry a key group) of at
 * most max records (>= 1). NULL on out-of-memory. */
wincache_t *wincache_new(gale_kv_t *state, bool keyed, size_t max);
/* Frees the cache and its records without writing them. Accepts NULL. */
void wincache_destroy(wincache_t *c);

/* The record under key (key group kg), to change: loaded from state on a
 * miss (empty when absent). Valid until the next call on c. NULL with
 * *rc = -EIO (a corrupt entry, reported) or -ENOMEM. When a miss finds
 * the cache full, everything changed is written back first, and keyed
 * state is left scoped to kg. */
win_rec_t *wincache_get(wincache_t *c, gale_ctx_t *ctx, int kg,
    const void *key, size_t klen, int *rc);

/* Writes every changed record back (deleting empty ones from state and
 * cache). 0 or -errno. Keyed state is left scoped to every key group. */
int wincache_flush(wincache_t *c, gale_ctx_t *ctx);

/* Records held. */
size_t wincache_size(const wincache_t *c);

#endif
