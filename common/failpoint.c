/* failpoint.c - deterministic crashes for testing critical windows. */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/failpoint.h"

#define MAX_POINTS 8

typedef struct point {
    char name[64];              /* failpoint name */
    long at;                    /* die on this hit */
    atomic_long hits;           /* passes so far */
} point_t;

static point_t points[MAX_POINTS];
static int npoints;             /* entries of points in use */
static pthread_once_t parsed = PTHREAD_ONCE_INIT;

/* Parses GALE_FAILPOINT once ("a:1,b:3"); bad entries are ignored. */
static void
parse(void)
{
    const char *env = getenv("GALE_FAILPOINT");
    char buf[512], *save = NULL, *tok, *colon;
    int n = 0;

    if (env != NULL) {
        snprintf(buf, sizeof buf, "%s", env);
        for (tok = strtok_r(buf, ",", &save); tok != NULL && n < MAX_POINTS;
            tok = strtok_r(NULL, ",", &save)) {
            if ((colon = strchr(tok, ':')) == NULL)
                continue;
            *colon = '\0';
            snprintf(points[n].name, sizeof points[n].name, "%s", tok);
            points[n].at = atol(colon + 1);
            if (points[n].at > 0)
                n++;
        }
    }
    npoints = n;
}

void
gale_failpoint(const char *name)
{
    int i;

    pthread_once(&parsed, parse);
    for (i = 0; i < npoints; i++) {
        if (strcmp(points[i].name, name) != 0)
            continue;
        if (atomic_fetch_add(&points[i].hits, 1) + 1 == points[i].at) {
            fprintf(stderr, "gale: failpoint %s:%ld hit: exiting\n", name,
                points[i].at);
            _exit(GALE_FAILPOINT_EXIT);
        }
    }
}
