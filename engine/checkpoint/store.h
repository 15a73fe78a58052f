/* store.h - the checkpoint store: a directory of snapshot files and
 * metadata (ckpt.h has the layout), its id counter, restoring a task from
 * a checkpoint, the latest checkpoint and retention.
 *
 * Threads: a gale_ckpt_t has one owner thread (the coordinator's, or a
 * worker's for restore); several processes may open the same directory,
 * but only one (the coordinator) may call next_id, write_meta, compact
 * and gc.
 */
#ifndef GALE_CHECKPOINT_STORE_H
#define GALE_CHECKPOINT_STORE_H

#include <stdint.h>

#include "engine/checkpoint/meta.h"
#include "engine/state/kvstate.h"

typedef struct gale_ckpt gale_ckpt_t;

/* Opens the store at dir, creating dir, dir/files and dir/meta if needed,
 * and reads COUNTER (if COUNTER is missing, the next id is one past every
 * id found in meta/ and files/, so ids are not reused even then). NULL on
 * failure, with *cause (caller frees) if cause is not NULL. The caller
 * owns the store and closes it with gale_ckpt_close. */
gale_ckpt_t *gale_ckpt_open(const char *dir, char **cause);
/* Frees the store (nothing on disk changes); sets *cp to NULL. Accepts
 * NULL and *NULL. */
void gale_ckpt_close(gale_ckpt_t **cp);
/* The store's directory, borrowed for the store's life. */
const char *gale_ckpt_dir(const gale_ckpt_t *c);
/* Takes the next checkpoint id (the first is 1) into *id, after making
 * COUNTER durable past it (tmp file, fsync, rename, fsync directory), so
 * no id is handed out twice, even across crashes and rollbacks. 0 or
 * -errno (then *id is untouched and the id is not consumed). */
int gale_ckpt_next_id(gale_ckpt_t *c, uint64_t *id);

/* The newest checkpoint whose metadata is valid into *id (corrupt ones are
 * skipped and logged; a meta.tmp alone is no checkpoint), or -ENOENT, or
 * -errno if meta/ cannot be read. */
int gale_ckpt_latest(gale_ckpt_t *c, uint64_t *id);

/* Loads task t's chain into store (which must hold nothing of t's yet):
 * files applied oldest first, tombstones delete. Every file is verified
 * (size, header, order, CRC) before anything is applied, so a corrupt
 * chain leaves store untouched. Keyed entries outside [t->kg_first,
 * t->kg_last] are skipped (rescaling passes a narrower range); the
 * range must lie within store's own. Operator state (key group -1) is
 * always restored. The restored entries are not left dirty and the
 * store's scope is as before. 0, -EBADMSG with *cause, or another -errno
 * with *cause (a missing file is -ENOENT). */
int gale_ckpt_restore_task(gale_ckpt_t *c, const gale_ckpt_task_t *t,
    gale_kvstore_t *store, char **cause);
/* Retention: deletes every metadata file older than the newest `retain`
 * valid checkpoints (retain >= 1), then every file in files/ that no
 * remaining metadata references, except files of checkpoints newer than
 * the newest valid one (in flight) and files pinned by compaction; also
 * stale temporary files. Returns the number of files removed, or -errno
 * if a directory cannot be read (-ENOENT: no valid checkpoint, nothing
 * removed). */
int gale_ckpt_gc(gale_ckpt_t *c, int retain);

#endif
