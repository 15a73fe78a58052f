/* state.h - keyed and operator state that gale checkpoints for a task.
 *
 * Keyed state is a map from byte keys to byte values, partitioned by key
 * group: every access is scoped to the key group of the tuple being
 * executed (the one its fields grouping routed it by), so that the state
 * can move with its keys when parallelism changes. Outside execute() (in
 * prepare or finish) a keyed-state handle reaches every key group the task
 * owns.
 *
 * Operator state is a small map per task that is not partitioned by key:
 * a spout's read position, a sink's staged transactions.
 *
 * Values returned by get are borrowed until the next write to the same
 * handle or the end of the callback (execute, prepare, ...) that got them,
 * whichever comes first: state larger than memory must be able to evict
 * them afterwards. Handles are owned by the engine and live as long as the
 * task.
 */
#ifndef GALE_STATE_H
#define GALE_STATE_H

#include <stddef.h>
#include <stdint.h>

typedef struct gale_kv gale_kv_t;

/* Looks key up. 0 and *val, *vlen set; -ENOENT if absent. */
int gale_kv_get(gale_kv_t *kv, const void *key, size_t klen,
    const void **val, size_t *vlen);
/* Inserts or replaces key. 0 or -errno (-EIO if the spill store failed;
 * the value may then be stored, but the task should fail). */
int gale_kv_put(gale_kv_t *kv, const void *key, size_t klen,
    const void *val, size_t vlen);
/* Removes key; 0 whether or not it was there. */
int gale_kv_delete(gale_kv_t *kv, const void *key, size_t klen);
/* Calls fn for every key in the handle's scope, in no particular order,
 * until fn returns non-zero (which is then returned). The handle must not
 * be written during the walk. */
int gale_kv_iterate(gale_kv_t *kv,
    int (*fn)(void *arg, const void *key, size_t klen,
        const void *val, size_t vlen), void *arg);
/* Convenience for 64-bit counters: adds delta to the value at key (absent
 * counts as 0) and returns the new value in *out. 0 or -errno. */
int gale_kv_add_i64(gale_kv_t *kv, const void *key, size_t klen,
    int64_t delta, int64_t *out);

#endif
