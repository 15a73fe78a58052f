/* ckptwriter.h - the thread that writes task snapshots to disk.
 *
 * An executor takes a snapshot synchronously (gale_snap_take: the changed
 * keys, moved out of the task's store) and hands it to the writer, which
 * writes and fsyncs the file and then acknowledges the task's checkpoint
 * to the runtime on its report socket. Ownership of the snapshot passes
 * with the message. One writer per runtime; executors submit through their
 * own PUSH socket connected to `<prefix>writer`.
 */
#ifndef GALE_CKPTWRITER_H
#define GALE_CKPTWRITER_H

#include "engine/checkpoint/ckpt.h"
#include "engine/wire/control.h"

typedef struct gale_ckptwriter gale_ckptwriter_t;

/* Starts the writer thread: binds `<prefix>writer`, reports to
 * `<report_prefix>report` (the coordinator's), writes files under dir.
 * NULL with *cause. */
gale_ckptwriter_t *gale_ckptwriter_start(void *zctx, const char *prefix,
    const char *report_prefix, const char *dir, char **cause);
/* Stops the thread after the jobs already queued, and frees. */
void gale_ckptwriter_stop(gale_ckptwriter_t **wp);

/* Executor side: sends snap (ownership passes) with its ack details on
 * sock (a PUSH connected to `<prefix>writer`). exec is the executor
 * index the ack is reported under. 0 or -errno (snap freed either way). */
int gale_ckptwriter_submit(void *sock, int exec, gale_snap_t *snap,
    const gale_report_ack_t *ack);

#endif
