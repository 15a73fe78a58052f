/* suggest.c - edit distance and "did you mean" (suggest.h). */
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "topology/suggest.h"

/* Optimal string alignment distance with three rolling rows. */
size_t
gale_suggest_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), i, j, best, d;
    size_t *prev2, *prev, *cur, *t;

    prev2 = xcalloc(lb + 1, sizeof(size_t));
    prev = xcalloc(lb + 1, sizeof(size_t));
    cur = xcalloc(lb + 1, sizeof(size_t));
    for (j = 0; j <= lb; j++)
        prev[j] = j;
    for (i = 1; i <= la; i++) {
        cur[0] = i;
        for (j = 1; j <= lb; j++) {
            best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            d = prev[j - 1] + (a[i - 1] != b[j - 1]);
            if (d < best)
                best = d;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
                a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < best)
                best = prev2[j - 2] + 1;
            cur[j] = best;
        }
        t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    d = prev[lb];
    free(prev2);
    free(prev);
    free(cur);
    return d;
}

const char *
gale_suggest(const char *word, const char *const *cands, size_t n)
{
    const char *best = NULL;
    size_t i, d, bestd = (size_t)-1, len = strlen(word);

    for (i = 0; i < n; i++) {
        if (cands[i] == NULL)
            continue;
        d = gale_suggest_distance(word, cands[i]);
        if (d < bestd) {
            bestd = d;
            best = cands[i];
        }
    }
    if (best == NULL || bestd == 0 || bestd > 2 || bestd * 2 >= len)
        return NULL;
    return best;
}
