/* wc_baseline.c - the benchmark's baseline: a hand-written,
 * single-threaded word count over a corpus file (bench/gen_corpus): read
 * it whole, split on spaces and newlines, count in an open-addressing
 * table with inline keys. Prints words/s over the timed part (split and
 * count, not the read) and checks that the counts add up to the words.
 *
 * usage: wc_baseline [-r repetitions] [-o counts-file] corpus
 * With -o, writes "count word" lines, sorted by word, to compare with
 * `tr -s ' ' '\n' | sort | uniq -c`. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAXKEY 47               /* longer words are counted by hash only */

typedef struct slot {
    uint64_t hash;              /* 0 = empty */
    uint64_t count;             /* occurrences */
    uint8_t len;                /* key length */
    char key[MAXKEY];           /* inline copy of the word */
} slot_t;

typedef struct table {
    slot_t *slots;              /* owned, power-of-two many */
    size_t mask;                /* slots - 1 */
    size_t used;                /* occupied slots */
} table_t;

/* FNV-1a over the word, then a final mix: simple and good enough here. */
static uint64_t
hash_word(const char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    size_t i;

    for (i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 0x100000001b3ull;
    h ^= h >> 32;
    return h != 0 ? h : 1;
}

static void
table_init(table_t *t, size_t cap)
{
    if ((t->slots = calloc(cap, sizeof *t->slots)) == NULL) {
        perror("calloc");
        exit(1);
    }
    t->mask = cap - 1;
    t->used = 0;
}

static void table_add(table_t *t, const char *w, size_t n, uint64_t h);

/* Doubles the table, rehashing by the stored hashes. */
static void
table_grow(table_t *t)
{
    table_t nt;
    size_t i, j;

    table_init(&nt, (t->mask + 1) * 2);
    for (i = 0; i <= t->mask; i++) {
        if (t->slots[i].hash == 0)
            continue;
        for (j = t->slots[i].hash & nt.mask; nt.slots[j].hash != 0;
            j = (j + 1) & nt.mask)
            ;
        nt.slots[j] = t->slots[i];
        nt.used++;
    }
    free(t->slots);
    *t = nt;
}

static void
table_add(table_t *t, const char *w, size_t n, uint64_t h)
{
    size_t i, kl = n < MAXKEY ? n : MAXKEY;
    slot_t *s;

    for (i = h & t->mask; ; i = (i + 1) & t->mask) {
        s = &t->slots[i];
        if (s->hash == h && s->len == kl && memcmp(s->key, w, kl) == 0) {
            s->count++;
            return;
        }
        if (s->hash == 0)
            break;
    }
    if ((t->used + 1) * 2 > t->mask + 1) {
        table_grow(t);
        table_add(t, w, n, h);
        return;
    }
    s->hash = h;
    s->len = (uint8_t)kl;
    memcpy(s->key, w, kl);
    s->count = 1;
    t->used++;
}

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Counts every word of buf[0, len) into t; returns the number of words. */
static uint64_t
count_words(table_t *t, const char *buf, size_t len)
{
    const char *p = buf, *end = buf + len, *w;
    uint64_t words = 0;

    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\n'))
            p++;
        if (p == end)
            break;
        w = p;
        while (p < end && *p != ' ' && *p != '\n')
            p++;
        table_add(t, w, (size_t)(p - w), hash_word(w, (size_t)(p - w)));
        words++;
    }
    return words;
}

static int
cmp_slot(const void *a, const void *b)
{
    const slot_t *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->key, y->key, n);

    return c != 0 ? c : (int)x->len - (int)y->len;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
    int reps = 5, c, r;
    const char *counts_out = NULL;
    uint64_t words = 0, total;
    double t0, secs[64], med;
    struct stat st;
    table_t t;
    char *buf;
    size_t i, n;
    ssize_t got;
    FILE *f;
    int fd;

    while ((c = getopt(argc, argv, "r:o:")) != -1) {
        switch (c) {
        case 'r': reps = atoi(optarg); break;
        case 'o': counts_out = optarg; break;
        default: goto usage;
        }
    }
    if (optind + 1 != argc || reps < 1 || reps > 64)
        goto usage;
    if ((fd = open(argv[optind], O_RDONLY)) == -1 || fstat(fd, &st) == -1) {
        fprintf(stderr, "wc_baseline: %s: %s\n", argv[optind], strerror(errno));
        return 1;
    }
    if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
        return 1;
    for (n = 0; n < (size_t)st.st_size; n += (size_t)got)
        if ((got = read(fd, buf + n, (size_t)st.st_size - n)) <= 0) {
            fprintf(stderr, "wc_baseline: short read\n");
            return 1;
        }
    close(fd);
    for (r = 0; r < reps; r++) {
        table_init(&t, 1 << 16);
        t0 = now();
        words = count_words(&t, buf, n);
        secs[r] = now() - t0;
        for (total = 0, i = 0; i <= t.mask; i++)
            total += t.slots[i].count;
        if (total != words) {
            fprintf(stderr, "wc_baseline: counts add up to %llu, not %llu\n",
                (unsigned long long)total, (unsigned long long)words);
            return 1;
        }
        printf("run %d: %llu words, %zu distinct, %.3f s, %.1f M words/s\n",
            r + 1, (unsigned long long)words, t.used, secs[r],
            (double)words / secs[r] / 1e6);
        if (r + 1 < reps || counts_out == NULL)
            free(t.slots);
    }
    qsort(secs, (size_t)reps, sizeof secs[0], cmp_double);
    med = reps % 2 ? secs[reps / 2] : (secs[reps / 2 - 1] + secs[reps / 2]) / 2;
    printf("RESULT baseline words=%llu median_s=%.3f words_per_s=%.0f\n",
        (unsigned long long)words, med, (double)words / med);
    if (counts_out != NULL) {
        qsort(t.slots, t.mask + 1, sizeof *t.slots, cmp_slot);
        if ((f = fopen(counts_out, "w")) == NULL)
            return 1;
        for (i = 0; i <= t.mask; i++)
            if (t.slots[i].hash != 0)
                fprintf(f, "%llu %.*s\n", (unsigned long long)t.slots[i].count,
                    (int)t.slots[i].len, t.slots[i].key);
        fclose(f);
        free(t.slots);
    }
    free(buf);
    return 0;
usage:
    fprintf(stderr, "usage: wc_baseline [-r repetitions] [-o counts] corpus\n");
    return 2;
}
