/* prommerge.h - merges several texts in the Prometheus text format
 * (promtext.h) into one: nimbus's /metrics is its own families plus each
 * running master's (docs/nimbus.md). The format wants all the lines of a
 * family together under one "# HELP" and one "# TYPE", so texts are not
 * simply concatenated: the lines of each family, from every text, are
 * gathered under the first text's HELP and TYPE, families in the order
 * they were first seen. A sample line belongs to the family named by the
 * last HELP or TYPE line before it when its metric name is that family's
 * (or, for a histogram or summary, NAME_bucket, NAME_sum, NAME_count);
 * otherwise to a family of its own name, with no HELP or TYPE. Series
 * are not deduplicated: the texts must not share one (nimbus's and the
 * masters' differ by their topology label). Not thread-safe: one owner.
 */
#ifndef GALE_METRICS_PROMMERGE_H
#define GALE_METRICS_PROMMERGE_H

#include <stddef.h>

typedef struct gale_prommerge gale_prommerge_t;

gale_prommerge_t *gale_prommerge_new(void);
/* Frees and sets *mp to NULL. Accepts NULL and *NULL. */
void gale_prommerge_destroy(gale_prommerge_t **mp);
/* Adds the lines of text (len bytes; a last line without '\n' counts).
 * Lines that are neither a comment nor a sample ("NAME VALUE" or
 * "NAME{...} VALUE") are dropped; returns how many were. */
size_t gale_prommerge_add(gale_prommerge_t *m, const char *text, size_t len);
/* The merged text (NUL-terminated; *len without the NUL). Caller frees. */
char *gale_prommerge_write(const gale_prommerge_t *m, size_t *len);

#endif
