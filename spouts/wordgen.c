/* wordgen.c - deterministic vocabulary and Zipf(1.0) draws (wordgen.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/rand.h"
#include "spouts/wordgen.h"

/* The vocabulary's own PRNG seed: fixed, so the words depend only on the
 * vocabulary size. */
#define VOCAB_SEED 0x67616c65766f6361ull    /* "galevoca" */

struct gale_wordgen {
    int vocab;              /* number of words */
    char *arena;            /* every word, back to back, no separators */
    uint32_t *off;          /* word r starts at arena + off[r] */
    uint8_t *len;           /* word r's length */
    double *cdf;            /* cdf[r] = P(rank <= r); cdf[vocab-1] = 1 */
    int *guide;             /* guide[g] = first r with cdf[r] >= g/nguide */
    int nguide;             /* guide table size */
};

/* splitmix64: spreads a seed over all 64 bits so nearby seeds differ. */
uint64_t
gale_wordgen_seed(uint64_t seed)
{
    uint64_t z = seed + 0x9E3779B97F4A7C15ull;

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return z != 0 ? z : 0x9E3779B97F4A7C15ull;  /* xorshift must not be 0 */
}

/* xorshift64*: small, fast, and the same on every platform. */
uint64_t
gale_wordgen_next(uint64_t *state)
{
    return gale_xorshift64s(state);
}

/* Number of base-26 digits that tell n distinct ranks apart, at least 3. */
static int
code_digits(int n)
{
    int k = 1;
    long long span = 26;

    while (span < n) {
        span *= 26;
        k++;
    }
    return k < 3 ? 3 : k;
}

/* Each word is a few random letters followed by its rank written in
 * base 26 with a fixed number of digits, which makes every word unique
 * without a hash set; lengths spread over k .. k+7 letters. */
static int
make_vocabulary(gale_wordgen_t *g)
{
    uint64_t rng = gale_wordgen_seed(VOCAB_SEED);
    int k = code_digits(g->vocab), r, i, n, L;
    size_t pos = 0;

    g->arena = malloc((size_t)g->vocab * (size_t)(k + 8));
    g->off = malloc((size_t)g->vocab * sizeof *g->off);
    g->len = malloc((size_t)g->vocab);
    if (g->arena == NULL || g->off == NULL || g->len == NULL)
        return -ENOMEM;
    for (r = 0; r < g->vocab; r++) {
        L = k + (int)(gale_wordgen_next(&rng) % 8);
        g->off[r] = (uint32_t)pos;
        g->len[r] = (uint8_t)L;
        for (i = 0; i < L - k; i++)
            g->arena[pos++] = (char)('a' + gale_wordgen_next(&rng) % 26);
        for (i = 0, n = r; i < k; i++, n /= 26)
            g->arena[pos++] = (char)('a' + n % 26);
    }
    return 0;
}

/* The Zipf(1.0) distribution over ranks 1..V has P(r) proportional to
 * 1/r; a guide table (Chen and Asau) turns the inverse-CDF search into
 * a short forward walk. Only IEEE additions and divisions: the same on
 * every host. */
static int
make_distribution(gale_wordgen_t *g)
{
    double acc = 0;
    int r, i;

    if ((g->cdf = malloc((size_t)g->vocab * sizeof *g->cdf)) == NULL)
        return -ENOMEM;
    for (r = 0; r < g->vocab; r++) {
        acc += 1.0 / (double)(r + 1);
        g->cdf[r] = acc;
    }
    for (r = 0; r < g->vocab; r++)
        g->cdf[r] /= acc;
    g->cdf[g->vocab - 1] = 1.0;
    for (g->nguide = 1024; g->nguide < g->vocab; g->nguide *= 2)
        ;
    if ((g->guide = malloc((size_t)g->nguide * sizeof *g->guide)) == NULL)
        return -ENOMEM;
    for (i = 0, r = 0; i < g->nguide; i++) {
        while (g->cdf[r] < (double)i / g->nguide)
            r++;
        g->guide[i] = r;
    }
    return 0;
}

/* NULL for a vocabulary out of range or out of memory (spouts/ uses
 * only libc and the public API, so it does not abort on OOM); caller
 * destroys the result. */
gale_wordgen_t *
gale_wordgen_new(int vocabulary)
{
    gale_wordgen_t *g;

    if (vocabulary < 1 || vocabulary > GALE_WORDGEN_MAXVOCAB)
        return NULL;
    if ((g = calloc(1, sizeof *g)) == NULL)
        return NULL;
    g->vocab = vocabulary;
    if (make_vocabulary(g) != 0 || make_distribution(g) != 0)
        goto fail;
    return g;
fail:
    gale_wordgen_destroy(&g);
    return NULL;
}

void
gale_wordgen_destroy(gale_wordgen_t **gp)
{
    gale_wordgen_t *g;

    if (gp == NULL || (g = *gp) == NULL)
        return;
    free(g->arena);
    free(g->off);
    free(g->len);
    free(g->cdf);
    free(g->guide);
    free(g);
    *gp = NULL;
}

int
gale_wordgen_vocabulary(const gale_wordgen_t *g)
{
    return g->vocab;
}

/* Borrowed from g; r must be in 0 .. vocabulary-1. */
const char *
gale_wordgen_word(const gale_wordgen_t *g, int r, size_t *len)
{
    *len = g->len[r];
    return g->arena + g->off[r];
}

int
gale_wordgen_draw(const gale_wordgen_t *g, uint64_t *state)
{
    double u = (double)(gale_wordgen_next(state) >> 11) *
        (1.0 / 9007199254740992.0);     /* [0, 1) with 53 bits */
    int r = g->guide[(int)(u * g->nguide)];

    while (g->cdf[r] < u)
        r++;
    return r;
}

void
gale_wordgen_event(const gale_wordgen_t *g, uint64_t *state, uint64_t i,
    int64_t start, int64_t step, int64_t disorder, int *rank, int64_t *ts,
    int64_t *value)
{
    uint64_t r;

    *rank = gale_wordgen_draw(g, state);
    r = gale_wordgen_next(state);
    *ts = start + (int64_t)i * step -
        (disorder > 0 ? (int64_t)(r % (uint64_t)(disorder + 1)) : 0);
    *value = (int64_t)((r >> 32) % 1000);
}

size_t
gale_wordgen_sentence_max(int words)
{
    return (size_t)words * (GALE_WORDGEN_MAXWORD + 1);
}

/* buf must hold gale_wordgen_sentence_max(words) bytes. */
size_t
gale_wordgen_sentence(const gale_wordgen_t *g, uint64_t *state, int words,
    char *buf)
{
    size_t pos = 0;
    int i, r;

    for (i = 0; i < words; i++) {
        r = gale_wordgen_draw(g, state);
        if (i > 0)
            buf[pos++] = ' ';
        memcpy(buf + pos, g->arena + g->off[r], g->len[r]);
        pos += g->len[r];
    }
    return pos;
}
