/* registry.c - metric families and their series (registry.h). */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/fnv.h"
#include "common/xalloc.h"
#include "engine/metrics/registry.h"

typedef struct series {
    char **labels;                  /* owned: name, value, ... */
    size_t nlabels;                 /* pairs */
    uint64_t hash;                  /* of the labels (label_hash) */
    double value;                   /* counter, gauge */
    gale_hist_t *hist;              /* histogram, owned */
} series_t;

typedef struct family {
    char *name;                     /* owned */
    char *help;                     /* owned */
    gale_metric_type_t type;        /* what its series hold */
    series_t *series;               /* owned, in the order created */
    size_t nseries;                 /* entries of series */
    size_t cap;                     /* entries allocated */
    size_t *slots;                  /* owned: open-addressed index of
                                       series by hash, series index + 1;
                                       0 is empty */
    size_t nslots;                  /* a power of two > 2 nseries, or 0 */
} family_t;

struct gale_registry {
    family_t *fams;                 /* owned, in declaration order */
    size_t nfams;                   /* entries of fams */
};

gale_registry_t *
gale_registry_new(void)
{
    return xcalloc(1, sizeof(gale_registry_t));
}

void
gale_registry_destroy(gale_registry_t **rp)
{
    gale_registry_t *r;
    size_t i, k, j;

    if (rp == NULL || (r = *rp) == NULL)
        return;
    for (i = 0; i < r->nfams; i++) {
        family_t *f = &r->fams[i];

        for (k = 0; k < f->nseries; k++) {
            for (j = 0; j < 2 * f->series[k].nlabels; j++)
                free(f->series[k].labels[j]);
            free(f->series[k].labels);
            free(f->series[k].hist);
        }
        free(f->series);
        free(f->slots);
        free(f->name);
        free(f->help);
    }
    free(r->fams);
    free(r);
    *rp = NULL;
}

/* Whether s is [first][rest]*, first and rest being sets of punctuation
 * allowed besides letters (and, for rest, digits). */
static bool
ident_ok(const char *s, const char *extra)
{
    const char *p;

    if (s == NULL || *s == '\0')
        return false;
    for (p = s; *p != '\0'; p++) {
        bool alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            *p == '_' || (*p != '\0' && strchr(extra, *p) != NULL);

        if (!alpha && !(p > s && *p >= '0' && *p <= '9'))
            return false;
    }
    return true;
}

bool
gale_metric_name_ok(const char *name)
{
    return ident_ok(name, ":");
}

bool
gale_label_name_ok(const char *name)
{
    return ident_ok(name, "") && strncmp(name, "__", 2) != 0;
}

int
gale_registry_family(gale_registry_t *r, const char *name,
    gale_metric_type_t type, const char *help)
{
    size_t i;

    if (!gale_metric_name_ok(name))
        return -EINVAL;
    for (i = 0; i < r->nfams; i++)
        if (strcmp(r->fams[i].name, name) == 0)
            return r->fams[i].type == type ? (int)i : -EEXIST;
    r->fams = xreallocarray(r->fams, r->nfams + 1, sizeof *r->fams);
    memset(&r->fams[r->nfams], 0, sizeof *r->fams);
    r->fams[r->nfams].name = xstrdup(name);
    r->fams[r->nfams].help = xstrdup(help != NULL ? help : "");
    r->fams[r->nfams].type = type;
    return (int)r->nfams++;
}

/* The number of pairs in labels, or -1 when a name is not valid. */
static int
count_labels(const char *const *labels)
{
    int n = 0;

    if (labels == NULL)
        return 0;
    for (; labels[2 * n] != NULL; n++)
        if (!gale_label_name_ok(labels[2 * n]) || labels[2 * n + 1] == NULL)
            return -1;
    return n;
}

/* Whether series s has exactly these n label pairs, in this order. */
static bool
same_labels(const series_t *s, const char *const *labels, size_t n)
{
    size_t j;

    if (s->nlabels != n)
        return false;
    for (j = 0; j < 2 * n; j++)
        if (strcmp(s->labels[j], labels[j]) != 0)
            return false;
    return true;
}

/* FNV-1a over n label pairs, each string ended by its NUL. */
static uint64_t
label_hash(const char *const *labels, size_t n)
{
    uint64_t h = GALE_FNV_BASIS;
    size_t j;

    for (j = 0; j < 2 * n; j++)
        h = gale_fnv(h, labels[j], strlen(labels[j]) + 1);
    return h;
}

/* Puts series k into fam's index (which has room). */
static void
index_series(family_t *fam, size_t k)
{
    size_t mask = fam->nslots - 1, i = (size_t)fam->series[k].hash & mask;

    while (fam->slots[i] != 0)
        i = (i + 1) & mask;
    fam->slots[i] = k + 1;
}

/* Series of family f with labels, created when missing; NULL when f is
 * out of range, not of type, or a label is not valid. A scrape adds a
 * series per task to each family: the index keeps that linear. */
static series_t *
series_of(gale_registry_t *r, int f, gale_metric_type_t type,
    const char *const *labels)
{
    family_t *fam;
    series_t *s;
    int n = count_labels(labels);
    uint64_t h;
    size_t k, i;

    if (f < 0 || (size_t)f >= r->nfams || n < 0)
        return NULL;
    fam = &r->fams[f];
    if (fam->type != type &&
        !(type == GALE_METRIC_COUNTER && fam->type == GALE_METRIC_GAUGE))
        return NULL;
    h = label_hash(labels, (size_t)n);
    for (i = fam->nslots ? (size_t)h & (fam->nslots - 1) : 0;
        fam->nslots && fam->slots[i] != 0; i = (i + 1) & (fam->nslots - 1)) {
        s = &fam->series[fam->slots[i] - 1];
        if (s->hash == h && same_labels(s, labels, (size_t)n))
            return s;
    }
    if (fam->nseries == fam->cap) {
        fam->cap = fam->cap ? 2 * fam->cap : 8;
        fam->series = xreallocarray(fam->series, fam->cap,
            sizeof *fam->series);
    }
    s = &fam->series[fam->nseries++];
    memset(s, 0, sizeof *s);
    s->nlabels = (size_t)n;
    s->hash = h;
    s->labels = xcalloc(2 * (size_t)n + 1, sizeof *s->labels);
    for (k = 0; k < 2 * (size_t)n; k++)
        s->labels[k] = xstrdup(labels[k]);
    if (type == GALE_METRIC_HISTOGRAM)
        s->hist = xcalloc(1, sizeof *s->hist);
    if (2 * fam->nseries >= fam->nslots) {
        free(fam->slots);
        fam->nslots = fam->nslots ? 2 * fam->nslots : 16;
        fam->slots = xcalloc(fam->nslots, sizeof *fam->slots);
        for (k = 0; k < fam->nseries; k++)
            index_series(fam, k);
    } else {
        index_series(fam, fam->nseries - 1);
    }
    return s;
}

int
gale_registry_add(gale_registry_t *r, int f, const char *const *labels,
    double v)
{
    series_t *s;

    if (f >= 0 && (size_t)f < r->nfams &&
        r->fams[f].type == GALE_METRIC_COUNTER && v < 0)
        return -EINVAL;
    if ((s = series_of(r, f, GALE_METRIC_COUNTER, labels)) == NULL)
        return -EINVAL;
    s->value += v;
    return 0;
}

int
gale_registry_set(gale_registry_t *r, int f, const char *const *labels,
    double v)
{
    series_t *s;

    if ((s = series_of(r, f, GALE_METRIC_GAUGE, labels)) == NULL)
        return -EINVAL;
    s->value = v;
    return 0;
}

int
gale_registry_observe(gale_registry_t *r, int f, const char *const *labels,
    const gale_hist_t *h)
{
    series_t *s;

    if ((s = series_of(r, f, GALE_METRIC_HISTOGRAM, labels)) == NULL)
        return -EINVAL;
    gale_hist_merge(s->hist, h);
    return 0;
}

size_t
gale_registry_nfamilies(const gale_registry_t *r)
{
    return r->nfams;
}

const char *
gale_registry_name(const gale_registry_t *r, int f, gale_metric_type_t *type,
    const char **help)
{
    if (type != NULL)
        *type = r->fams[f].type;
    if (help != NULL)
        *help = r->fams[f].help;
    return r->fams[f].name;
}

size_t
gale_registry_nseries(const gale_registry_t *r, int f)
{
    return r->fams[f].nseries;
}

void
gale_registry_series(const gale_registry_t *r, int f, size_t k,
    gale_series_view_t *out)
{
    const series_t *s = &r->fams[f].series[k];

    out->labels = (const char *const *)s->labels;
    out->nlabels = s->nlabels;
    out->value = s->value;
    out->hist = s->hist;
}

int
gale_registry_get(const gale_registry_t *r, const char *name,
    const char *const *labels, double *v)
{
    int n = count_labels(labels);
    size_t i, k;

    for (i = 0; i < r->nfams && n >= 0; i++) {
        if (strcmp(r->fams[i].name, name) != 0)
            continue;
        for (k = 0; k < r->fams[i].nseries; k++)
            if (same_labels(&r->fams[i].series[k], labels, (size_t)n)) {
                *v = r->fams[i].series[k].value;
                return 0;
            }
    }
    return -ENOENT;
}
