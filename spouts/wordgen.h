/* wordgen.h - the deterministic corpus generator: a vocabulary of made-up
 * words and Zipf(1.0)-distributed draws from it, driven by a 64-bit PRNG
 * state the caller keeps (so a spout can snapshot it as one integer).
 *
 * Shared by the generator spout, bench/gen_corpus and the example's e2e
 * test: the same (seed, vocabulary, words per sentence) gives the same
 * sentences in any process, on any host. The vocabulary depends only on
 * its size, not on the seed, so that several spout tasks (each with its
 * own seed) draw from the same words.
 *
 * A gale_wordgen_t is immutable once built: any number of threads may
 * draw from one, each with its own PRNG state.
 */
#ifndef GALE_WORDGEN_H
#define GALE_WORDGEN_H

#include <stddef.h>
#include <stdint.h>

/* Longest word the vocabulary can contain (bytes, without a NUL). */
#define GALE_WORDGEN_MAXWORD 16
/* Largest vocabulary accepted. */
#define GALE_WORDGEN_MAXVOCAB (1 << 24)

typedef struct gale_wordgen gale_wordgen_t;     /* opaque */

/* Builds the vocabulary of `vocabulary` words (1 .. GALE_WORDGEN_MAXVOCAB)
 * and its Zipf(1.0) distribution. NULL if vocabulary is out of range or
 * memory ran out.
 * Caller destroys. */
gale_wordgen_t *gale_wordgen_new(int vocabulary);
/* Frees the generator and sets *gp to NULL. Accepts NULL and *NULL. */
void gale_wordgen_destroy(gale_wordgen_t **gp);

/* Number of words in the vocabulary. */
int gale_wordgen_vocabulary(const gale_wordgen_t *g);
/* The word of rank r (0 = the most frequent); *len set. Borrowed from g. */
const char *gale_wordgen_word(const gale_wordgen_t *g, int r, size_t *len);

/* The PRNG state for a seed: seeds that differ in one bit give unrelated
 * streams, and seed 0 is valid. */
uint64_t gale_wordgen_seed(uint64_t seed);
/* Advances *state (xorshift64*) and returns 64 random bits. */
uint64_t gale_wordgen_next(uint64_t *state);

/* Draws a rank from the Zipf(1.0) distribution, advancing *state. */
int gale_wordgen_draw(const gale_wordgen_t *g, uint64_t *state);
/* Writes `words` (>= 1) drawn words separated by single spaces into buf,
 * which holds at least gale_wordgen_sentence_max(words) bytes; no newline,
 * no NUL. Returns the number of bytes written. */
size_t gale_wordgen_sentence(const gale_wordgen_t *g, uint64_t *state,
    int words, char *buf);
/* One event of a seeded, out-of-order event stream (the generator's
 * "events" mode): the i-th event of a stream (i from 0) gets a word rank
 * (*rank, Zipf), an event time start + i * step - j with j uniform in
 * 0 .. disorder (*ts), and a value 0 .. 999 (*value); advances *state.
 * A watermark lag >= disorder makes no event late. */
void gale_wordgen_event(const gale_wordgen_t *g, uint64_t *state, uint64_t i,
    int64_t start, int64_t step, int64_t disorder, int *rank, int64_t *ts,
    int64_t *value);
/* Room gale_wordgen_sentence needs for `words` words. */
size_t gale_wordgen_sentence_max(int words);

#endif
