/* keyhash.h - the key hash and key groups that fields grouping and keyed
 * state share (docs/wire.md "Key hash" and "Key groups").
 *
 * kg = H(values) mod max_parallelism; the task index of kg is
 * kg x ntasks / max_parallelism, so each task owns a contiguous range of
 * key groups. H is defined on the canonical encoding of the values and is
 * stable across processes, hosts and versions: changing it moves every
 * key, which breaks restored state. Pure functions; safe on any thread.
 */
#ifndef GALE_KEYHASH_H
#define GALE_KEYHASH_H

#include <stddef.h>
#include <stdint.h>

#include <gale/value.h>

/* H over the canonical encoding of n values (the grouping's selected
 * fields, in grouping order). Stable across processes, hosts, versions.
 * Allocates nothing unless a MAP has more than 16 entries. A datum that is
 * malformed (unknown type, bad LIST/MAP bytes) still hashes, by a rule
 * docs/wire.md defines, but such a tuple cannot be sent anyway. */
uint64_t gale_keyhash(const gale_datum_t *vals, size_t n);
/* H of an arbitrary byte string: the function the key hash applies to the
 * canonical encoding (exposed for tests and for docs/wire.md vectors). */
uint64_t gale_keyhash_bytes(const void *p, size_t len);
/* The key group of hash h: h mod max_parallelism (> 0). */
int gale_keygroup(uint64_t h, int max_parallelism);
/* The task index (0..ntasks-1) that owns key group kg, for
 * 0 < ntasks <= max_parallelism. */
int gale_keygroup_task(int kg, int ntasks, int max_parallelism);
/* The key-group range [*first, *last] owned by task index i. */
void gale_keygroup_range(int i, int ntasks, int max_parallelism,
    int *first, int *last);

#endif
