/* epoch.h - the durable attempt epoch of a cluster master.
 *
 * A cluster master records the epoch of each attempt in <dir>/epoch of
 * its checkpoint store before starting it. A restarted master goes on
 * above it, so workers of its predecessor (still running until they lose
 * the lease) carry an older epoch and everything they send is dropped.
 * Plain functions; any thread.
 */
#ifndef GALE_EPOCH_H
#define GALE_EPOCH_H

#include <stdint.h>

/* The last epoch recorded in dir, or 0 (none, unreadable, or not a
 * plausible epoch). */
uint32_t gale_epoch_load(const char *dir);
/* Records epoch as the last used, durably (common/fs.h's atomic
 * replace). 0 or -1 (logged). */
int gale_epoch_save(const char *dir, uint32_t epoch);

#endif
