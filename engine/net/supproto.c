/* supproto.c - the supervisor protocol's texts (supproto.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "engine/net/supproto.h"

int
gale_supproto_request(const char **f, char seqbuf[24], const char *verb,
    unsigned long long seq, const char *const *args, int nargs)
{
    int i;

    snprintf(seqbuf, 24, "%llu", seq);
    f[GALE_SUP_F_MAGIC] = GALE_SUP_MAGIC;
    f[GALE_SUP_F_VERB] = verb;
    f[GALE_SUP_F_SEQ] = seqbuf;
    for (i = 0; i < nargs; i++)
        f[GALE_SUP_F_ARG + i] = args[i];
    return GALE_SUP_F_ARG + nargs;
}

char *
gale_supproto_worker_format(const gale_sup_worker_t *w)
{
    char *item;

    if (w->exited == 0)
        xasprintf(&item, "topology=%s worker=%d epoch=%u pid=%d "
            "state=running", w->topology, w->worker, w->epoch, w->pid);
    else
        xasprintf(&item, "topology=%s worker=%d epoch=%u pid=%d "
            "state=%s:%d", w->topology, w->worker, w->epoch, w->pid,
            w->exited == 1 ? "exited" : "signal", w->status);
    return item;
}

bool
gale_supproto_worker_parse(const char *item, gale_sup_worker_t *w)
{
    char *copy = xstrdup(item), *save = NULL, *tok, *eq;
    int seen = 0;

    memset(w, 0, sizeof *w);
    for (tok = strtok_r(copy, " ", &save); tok != NULL;
        tok = strtok_r(NULL, " ", &save)) {
        if ((eq = strchr(tok, '=')) == NULL)
            continue;
        *eq++ = '\0';
        if (strcmp(tok, "topology") == 0) {
            snprintf(w->topology, sizeof w->topology, "%s", eq);
            seen |= 1;
        } else if (strcmp(tok, "worker") == 0) {
            w->worker = atoi(eq);
            seen |= 2;
        } else if (strcmp(tok, "epoch") == 0) {
            w->epoch = (uint32_t)strtoul(eq, NULL, 10);
            seen |= 4;
        } else if (strcmp(tok, "pid") == 0) {
            w->pid = atoi(eq);
            seen |= 8;
        } else if (strcmp(tok, "state") == 0) {
            if (strcmp(eq, "running") == 0)
                w->exited = 0;
            else if (strncmp(eq, "exited:", 7) == 0)
                w->exited = 1, w->status = atoi(eq + 7);
            else if (strncmp(eq, "signal:", 7) == 0)
                w->exited = 2, w->status = atoi(eq + 7);
            else
                break;
            seen |= 16;
        }
    }
    free(copy);
    return seen == 31;
}

char *
gale_supproto_ping_format(const char *name, int pid, int workers)
{
    char *text;

    xasprintf(&text, "name=%s pid=%d workers=%d", name, pid, workers);
    return text;
}

void
gale_supproto_spawned_format(char *buf, size_t len, int pid)
{
    snprintf(buf, len, "pid=%d", pid);
}

bool
gale_supproto_spawned_parse(const char *text, int *pid)
{
    return sscanf(text, "pid=%d", pid) == 1;
}

void
gale_supproto_killed_format(char *buf, size_t len, int killed)
{
    snprintf(buf, len, "killed=%d", killed);
}

bool
gale_supproto_reply_parse(char *const *f, int nf, gale_sup_reply_t *r)
{
    memset(r, 0, sizeof *r);
    if (nf < GALE_SUP_F_ITEM ||
        strcmp(f[GALE_SUP_F_MAGIC], GALE_SUP_MAGIC) != 0 ||
        sscanf(f[GALE_SUP_F_SEQ], "%llu", &r->seq) != 1 ||
        (strcmp(f[GALE_SUP_F_STATUS], GALE_SUP_OK) != 0 &&
        strcmp(f[GALE_SUP_F_STATUS], GALE_SUP_ERROR) != 0))
        return false;
    r->verb = f[GALE_SUP_F_VERB];
    r->ok = strcmp(f[GALE_SUP_F_STATUS], GALE_SUP_OK) == 0;
    r->text = f[GALE_SUP_F_TEXT];
    r->items = f + GALE_SUP_F_ITEM;
    r->nitems = nf - GALE_SUP_F_ITEM;
    return true;
}
