/* promtext.c - the Prometheus text format (promtext.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "engine/metrics/promtext.h"

/* The histogram buckets written: le = 2^LE_FIRST .. 2^LE_LAST units. */
#define LE_FIRST 7
#define LE_LAST 36

/* Writes s escaped as Prometheus wants: in a label value \, " and
 * newline; in a help line \ and newline. */
static void
escape(FILE *fp, const char *s, int quote)
{
    for (; *s != '\0'; s++) {
        if (*s == '\\')
            fputs("\\\\", fp);
        else if (*s == '\n')
            fputs("\\n", fp);
        else if (*s == '"' && quote)
            fputs("\\\"", fp);
        else
            fputc(*s, fp);
    }
}

/* Writes {a="x",b="y"[,le="..."]}, or nothing without labels. */
static void
labels(FILE *fp, const gale_series_view_t *v, const char *le)
{
    size_t i;

    if (v->nlabels == 0 && le == NULL)
        return;
    fputc('{', fp);
    for (i = 0; i < v->nlabels; i++) {
        fprintf(fp, "%s%s=\"", i ? "," : "", v->labels[2 * i]);
        escape(fp, v->labels[2 * i + 1], 1);
        fputc('"', fp);
    }
    if (le != NULL)
        fprintf(fp, "%sle=\"%s\"", v->nlabels ? "," : "", le);
    fputc('}', fp);
}

static void
histogram(FILE *fp, const char *name, const gale_series_view_t *v,
    double scale)
{
    char le[48];
    int e;

    for (e = LE_FIRST; e <= LE_LAST; e++) {
        snprintf(le, sizeof le, "%.9g", (double)(1ULL << e) * scale);
        fprintf(fp, "%s_bucket", name);
        labels(fp, v, le);
        fprintf(fp, " %llu\n", (unsigned long long)
            gale_hist_count_below(v->hist, 1ULL << e));
    }
    fprintf(fp, "%s_bucket", name);
    labels(fp, v, "+Inf");
    fprintf(fp, " %llu\n%s_sum", (unsigned long long)v->hist->count, name);
    labels(fp, v, NULL);
    fprintf(fp, " %.9g\n%s_count", (double)v->hist->sum * scale, name);
    labels(fp, v, NULL);
    fprintf(fp, " %llu\n", (unsigned long long)v->hist->count);
}

char *
gale_promtext_write(const gale_registry_t *r, double hist_scale, size_t *len)
{
    static const char *const types[] = { "counter", "gauge", "histogram" };
    gale_series_view_t v;
    gale_metric_type_t type;
    const char *name, *help;
    char *text = NULL;
    size_t f, k, n = 0;
    FILE *fp;

    if ((fp = open_memstream(&text, &n)) == NULL)
        fatal("open_memstream");
    for (f = 0; f < gale_registry_nfamilies(r); f++) {
        name = gale_registry_name(r, (int)f, &type, &help);
        fprintf(fp, "# HELP %s ", name);
        escape(fp, help, 0);
        fprintf(fp, "\n# TYPE %s %s\n", name, types[type]);
        for (k = 0; k < gale_registry_nseries(r, (int)f); k++) {
            gale_registry_series(r, (int)f, k, &v);
            if (type == GALE_METRIC_HISTOGRAM) {
                histogram(fp, name, &v, hist_scale);
                continue;
            }
            fputs(name, fp);
            labels(fp, &v, NULL);
            /* Counts exactly, as integers; times to the ns. */
            if (v.value == (double)(long long)v.value &&
                v.value < 9007199254740992.0 && v.value > -9007199254740992.0)
                fprintf(fp, " %lld\n", (long long)v.value);
            else
                fprintf(fp, " %.12g\n", v.value);
        }
    }
    if (fclose(fp) != 0)
        fatal("open_memstream");
    if (len != NULL)
        *len = n;
    return text;
}
