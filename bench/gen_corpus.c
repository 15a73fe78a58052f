/* gen_corpus.c - writes the generator spout's sentences to a file or to
 * standard output, one per line: exactly what `type = "generator"` emits
 * for the same seed, count, words and vocabulary (spouts/wordgen.h), so
 * that tests and the benchmark can compute the expected result.
 *
 * usage: gen_corpus [-s seed] [-n sentences] [-w words] [-v vocabulary]
 *                   [-t tasks] [-d zipf|cycle] [-o file]
 * With -t, the tasks' streams are written one after the other, as the
 * generator's tasks would split -n between them.
 *
 * -d cycle (for benchmarks of state size; the generator spout has no such
 * mode) replaces the Zipf draws: word j of the output (counting from 0
 * over all sentences and tasks) is the word of rank j * P mod vocabulary,
 * P a prime above GALE_WORDGEN_MAXVOCAB, hence coprime with it. Every
 * block of `vocabulary` consecutive words is then a permutation of the
 * vocabulary: a corpus of at least that many words has exactly
 * `vocabulary` distinct words, each min(words) or min + 1 times. The seed
 * is not used. The default, -d zipf, is the generator's output.
 *
 * -e START,STEP,DISORDER writes the generator's "events" mode instead,
 * one event a line: "key ts value" (start_ms, step_ms, disorder_ms). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spouts/wordgen.h"

/* The step between two ranks in -d cycle: a prime larger than any
 * vocabulary (Knuth's multiplicative-hash constant). */
#define CYCLE_STEP 2654435761ull

static void
usage(void)
{
    fprintf(stderr, "usage: gen_corpus [-s seed] [-n sentences] [-w words] "
        "[-v vocabulary] [-t tasks] [-d zipf|cycle] [-e start,step,disorder] "
        "[-o file]\n");
    exit(2);
}

/* Writes a sentence of `words` words for -d cycle into buf (room for
 * gale_wordgen_sentence_max(words) bytes), advancing *rank; returns its
 * length. */
static size_t
cycle_sentence(const gale_wordgen_t *g, uint64_t *rank, int words, char *buf)
{
    uint64_t vocab = (uint64_t)gale_wordgen_vocabulary(g);
    size_t len = 0, wl;
    const char *w;
    int i;

    for (i = 0; i < words; i++) {
        w = gale_wordgen_word(g, (int)*rank, &wl);
        if (i > 0)
            buf[len++] = ' ';
        memcpy(buf + len, w, wl);
        len += wl;
        *rank = (*rank + CYCLE_STEP % vocab) % vocab;
    }
    return len;
}

static long long
number(const char *s)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 0);
    if (errno != 0 || *end != '\0' || v < 0)
        usage();
    return v;
}

int
main(int argc, char **argv)
{
    long long seed = 1, count = 200000, words = 10, vocab = 10000, tasks = 1;
    long long t, i, share;
    const char *out = NULL;
    gale_wordgen_t *g;
    uint64_t rng, rank = 0;
    bool cycle = false, events = false;
    long long ev_start = 0, ev_step = 0, ev_disorder = 0;
    FILE *f = stdout;
    size_t len;
    char *buf;
    int c;

    while ((c = getopt(argc, argv, "s:n:w:v:t:d:o:e:")) != -1) {
        switch (c) {
        case 's': seed = number(optarg); break;
        case 'n': count = number(optarg); break;
        case 'w': words = number(optarg); break;
        case 'v': vocab = number(optarg); break;
        case 't': tasks = number(optarg); break;
        case 'o': out = optarg; break;
        case 'e':
            if (sscanf(optarg, "%lld,%lld,%lld", &ev_start, &ev_step,
                &ev_disorder) != 3 || ev_step < 0 || ev_disorder < 0)
                usage();
            events = true;
            break;
        case 'd':
            if (strcmp(optarg, "cycle") == 0)
                cycle = true;
            else if (strcmp(optarg, "zipf") != 0)
                usage();
            break;
        default: usage();
        }
    }
    if (optind != argc || words < 1 || words > 100000 || tasks < 1)
        usage();
    if ((g = gale_wordgen_new((int)vocab)) == NULL) {
        fprintf(stderr, "gen_corpus: vocabulary must be in 1..%d\n",
            GALE_WORDGEN_MAXVOCAB);
        return 1;
    }
    if (out != NULL && (f = fopen(out, "w")) == NULL) {
        fprintf(stderr, "gen_corpus: %s: %s\n", out, strerror(errno));
        return 1;
    }
    if ((buf = malloc(gale_wordgen_sentence_max((int)words) + 1)) == NULL)
        return 1;
    for (t = 0; t < tasks; t++) {
        rng = gale_wordgen_seed((uint64_t)seed + (uint64_t)t);
        share = count / tasks + (t < count % tasks);
        for (i = 0; i < share && events; i++) {
            int64_t ts, value;
            int r;
            size_t wl;
            const char *w;

            gale_wordgen_event(g, &rng, (uint64_t)i, ev_start, ev_step,
                ev_disorder, &r, &ts, &value);
            w = gale_wordgen_word(g, r, &wl);
            fprintf(f, "%.*s %lld %lld\n", (int)wl, w, (long long)ts,
                (long long)value);
        }
        for (i = 0; i < share && !events; i++) {
            len = cycle ? cycle_sentence(g, &rank, (int)words, buf) :
                gale_wordgen_sentence(g, &rng, (int)words, buf);
            buf[len++] = '\n';
            fwrite(buf, 1, len, f);
        }
    }
    free(buf);
    gale_wordgen_destroy(&g);
    if (ferror(f) || fclose(f) != 0) {
        fprintf(stderr, "gen_corpus: write failed\n");
        return 1;
    }
    return 0;
}
