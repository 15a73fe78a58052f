/* suggest.h - "did you mean": the closest known word to a misspelt one.
 * Pure functions; any thread. */
#ifndef GALE_SUGGEST_H
#define GALE_SUGGEST_H

#include <stddef.h>

/* Edit distance between a and b (insertions, deletions, substitutions and
 * transpositions of neighbours each cost 1). */
size_t gale_suggest_distance(const char *a, const char *b);
/* The candidate closest to word when it is close enough to be a likely
 * typo (distance <= 2, and less than half of word's length), else NULL.
 * cands has n entries; NULL entries are skipped. Borrowed from cands. */
const char *gale_suggest(const char *word, const char *const *cands,
    size_t n);

#endif
