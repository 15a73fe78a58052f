/* kvstate.h - one task's keyed and operator state, in memory, with an
 * optional LevelDB spill under a memory cap.
 *
 * A store holds the named states of one task (include/gale/state.h): keyed
 * states, whose entries belong to a (key group, key) pair, and operator
 * states, whose entries belong to the task as a whole (key group -1). Each
 * named state is one hash table; the store adds the scope (the key group of
 * the tuple being executed) and the set of entries changed since the last
 * snapshot, which a checkpoint takes with gale_kvstore_take_dirty.
 *
 * Not thread-safe: owned by the executor thread that runs the task. Values
 * that gale_kv_get returns are borrowed until the next write to the same
 * handle or the next gale_kvstore_set_keygroup, whichever comes first (the
 * executor sets the key group around every execute, so a value read while
 * executing one tuple is not read while executing the next). Memory
 * exhaustion aborts (xalloc.h).
 *
 * Spill (gale_kvstore_set_spill): the entries' memory is capped; clean
 * entries (not changed since the last take_dirty) are written to a
 * per-task LevelDB and dropped from memory, and read back on a miss. If
 * clean entries are not enough, changed ones (and tombstones) go too, each
 * also written as a mark that the next take_dirty reports, so the cap
 * holds while every key changes. Entries whose values a caller may still
 * hold are never evicted. LevelDB's own memory (write buffer, block cache,
 * bloom filters: a few MiB) is not counted. Without set_spill there is no
 * LevelDB and no cap, and nothing on the hot path changes.
 */
#ifndef GALE_KVSTATE_H
#define GALE_KVSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gale/state.h>

typedef struct gale_kvstore gale_kvstore_t;

/* Spill counters, for metrics (gale_kvstore_stats). */
typedef struct gale_kvstore_stats {
    uint64_t evictions;         /* eviction runs (the cap was passed) */
    uint64_t evicted;           /* entries dropped from memory */
    uint64_t written;           /* of those, written to LevelDB (the rest
                                   were there unchanged) */
    uint64_t loads;             /* misses found in LevelDB */
    uint64_t disk_misses;       /* LevelDB lookups that found nothing */
    uint64_t marked;            /* of the evicted, changed since the last
                                   take_dirty (reported from LevelDB) */
    size_t resident;            /* entries in memory now, tombstones too */
} gale_kvstore_stats_t;

/* Receives one changed entry from gale_kvstore_take_dirty: kg is its key
 * group (-1 for operator state), name the state's name, val NULL if the key
 * was deleted. Every pointer is borrowed for the call only; fn must not
 * write the store. A non-zero result stops the walk. */
typedef int (*gale_kvstore_dirty_fn)(void *arg, int kg, const char *name,
    const void *key, size_t klen, const void *val, size_t vlen);

/* The state of a task owning key groups [kg_first, kg_last] of
 * max_parallelism (at most 65536, the width of a key group in the on-disk
 * layout; 65534 with a spill). The scope starts at -1. Never NULL (aborts on OOM); the caller
 * owns the store and frees it with gale_kvstore_destroy. */
gale_kvstore_t *gale_kvstore_new(int max_parallelism, int kg_first, int kg_last);
/* Frees the store and every handle it gave out; with a spill, also closes
 * its LevelDB and removes the LevelDB's files and directory (the spill is
 * scratch, rebuilt from checkpoints). Sets *sp to NULL. Accepts NULL and
 * *NULL. */
void gale_kvstore_destroy(gale_kvstore_t **sp);
/* Gives the store a spill: opens one LevelDB at dir (creating missing
 * parents; any old contents are destroyed first, since the spill is
 * rebuilt from checkpoints, and writes are not synced) and caps the bytes
 * of gale_kvstore_bytes at cap_bytes, softly (see the top). Call it once,
 * before the first write. LevelDB keys are [key group, big-endian u16]
 * [state name][0x00][key], operator state under key group 0xFFFF and marks
 * under 0xFFFE, so the store's max_parallelism must be at most 65534. 0; -EINVAL (cap 0, or
 * max_parallelism 65536) or -errno / -EIO if LevelDB or the parent
 * directories cannot be opened, with, if cause != NULL, *cause a message
 * the caller frees. After a failure the store has no spill.
 *
 * With a spill, get, put, delete, add_i64 and iterate may also return
 * -EIO when LevelDB fails (gale_kvstore_spill_error says why). A write
 * that returns -EIO after an eviction failed was applied in memory; the
 * task should fail and restore from its checkpoint. */
int gale_kvstore_set_spill(gale_kvstore_t *s, const char *dir,
    size_t cap_bytes, char **cause);
/* The last LevelDB error of the spill, or NULL. Borrowed until the next
 * call on the store. */
const char *gale_kvstore_spill_error(const gale_kvstore_t *s);
/* Fills *st with the spill counters (all 0 without a spill but resident). */
void gale_kvstore_stats(const gale_kvstore_t *s, gale_kvstore_stats_t *st);
/* The keyed (operator) state called name, created empty on first use. Never
 * NULL; the same name returns the same handle. Keyed and operator names are
 * separate namespaces. Handles belong to the store and live as long as it;
 * name is copied. */
gale_kv_t *gale_kvstore_keyed(gale_kvstore_t *s, const char *name);
gale_kv_t *gale_kvstore_operator(gale_kvstore_t *s, const char *name);
/* Sets the scope of every keyed handle of s: key group kg (the one of the
 * tuple being executed), or -1 outside execute, where get, put, delete and
 * add_i64 on a keyed handle return -EINVAL and iterate walks every key
 * group. A kg outside [kg_first, kg_last] is a bug (assert). Operator
 * handles ignore the scope. */
void gale_kvstore_set_keygroup(gale_kvstore_t *s, int kg);
/* The scope set last (-1 outside execute). */
int gale_kvstore_keygroup(const gale_kvstore_t *s);
/* The key groups the task owns, [*first, *last] (*last = *first - 1:
 * none), as given to gale_kvstore_new. */
void gale_kvstore_keygroups(const gale_kvstore_t *s, int *first, int *last);
/* Memory held by the entries of every handle: their tables (allocated
 * capacity: 64 bytes per entry and 8 per index slot, live or not) and the
 * keys and values stored out of line. The lists of changed entries (4 bytes
 * per change) are not counted. 0 for a store whose handles never held a
 * key. This is what a spill's cap bounds. */
size_t gale_kvstore_bytes(const gale_kvstore_t *s);
/* Number of entries changed (put, added to or deleted) since the last
 * successful take_dirty; a key changed twice counts once, except that with
 * a spill a changed entry evicted (and marked, see set_spill) counts once
 * more for every eviction, so the number is then an upper bound. */
size_t gale_kvstore_dirty_count(const gale_kvstore_t *s);
/* Whether the changes since the last take_dirty are the whole state: every
 * entry in memory (tombstones too) has changed, and nothing of the store
 * is in the spill. A snapshot of them then needs nothing older, and can be
 * written as a base instead of a delta (snap.h). false for an empty
 * store. */
bool gale_kvstore_dirty_is_whole(const gale_kvstore_t *s);
/* Hands every entry changed since the last successful call to fn, handle by
 * handle in creation order, each entry once with its current value (NULL
 * for a deletion; deleting a key that was only in the spill counts), then
 * starts a new, empty set of changes and forgets the deleted keys; what
 * was changed becomes evictable. The set is swapped out first, so the walk is the only cost
 * proportional to the changes. If fn returns non-zero, the walk stops, the
 * changes stay in the set (a later call reports them again, merged with
 * newer ones) and that result is returned; else 0. */
int gale_kvstore_take_dirty(gale_kvstore_t *s, gale_kvstore_dirty_fn fn,
    void *arg);

#endif
