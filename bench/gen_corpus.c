/* gen_corpus.c - writes the generator spout's sentences to a file or to
 * standard output, one per line: exactly what `type = "generator"` emits
 * for the same seed, count, words and vocabulary (spouts/wordgen.h), so
 * that tests and the benchmark can compute the expected result.
 *
 * usage: gen_corpus [-s seed] [-n sentences] [-w words] [-v vocabulary]
 *                   [-t tasks] [-o file]
 * With -t, the tasks' streams are written one after the other, as the
 * generator's tasks would split -n between them. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spouts/wordgen.h"

static void
usage(void)
{
    fprintf(stderr, "usage: gen_corpus [-s seed] [-n sentences] [-w words] "
        "[-v vocabulary] [-t tasks] [-o file]\n");
    exit(2);
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
    uint64_t rng;
    FILE *f = stdout;
    size_t len;
    char *buf;
    int c;

    while ((c = getopt(argc, argv, "s:n:w:v:t:o:")) != -1) {
        switch (c) {
        case 's': seed = number(optarg); break;
        case 'n': count = number(optarg); break;
        case 'w': words = number(optarg); break;
        case 'v': vocab = number(optarg); break;
        case 't': tasks = number(optarg); break;
        case 'o': out = optarg; break;
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
        for (i = 0; i < share; i++) {
            len = gale_wordgen_sentence(g, &rng, (int)words, buf);
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
