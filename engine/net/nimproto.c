/* nimproto.c - the nimbus protocol's messages (nimproto.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/net/nimproto.h"

void
gale_nimproto_register_frames(const gale_nim_register_t *r,
    gale_nim_register_buf_t *buf, const char *f[GALE_NIM_REGISTER_FRAMES])
{
    snprintf(buf->port, sizeof buf->port, "%d", r->port);
    snprintf(buf->pid, sizeof buf->pid, "%d", r->pid);
    snprintf(buf->workers, sizeof buf->workers, "%d", r->workers);
    f[GALE_NIM_F_MAGIC] = GALE_NIMBUS_MAGIC;
    f[GALE_NIM_F_VERB] = GALE_NIM_REGISTER;
    f[GALE_NIM_F_ARG] = r->name;
    f[GALE_NIM_F_ARG + 1] = r->host;
    f[GALE_NIM_F_ARG + 2] = buf->port;
    f[GALE_NIM_F_ARG + 3] = buf->pid;
    f[GALE_NIM_F_ARG + 4] = buf->workers;
}

/* s as a non-negative int, or -1 when it is not one. */
static int
parse_int(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);

    return *end != '\0' || end == s || v < 0 || v > 0x7fffffff ? -1 : (int)v;
}

bool
gale_nimproto_register_parse(char *const *f, size_t nf,
    gale_nim_register_t *r)
{
    char *const *a = f + GALE_NIM_F_ARG;

    memset(r, 0, sizeof *r);
    if (nf != GALE_NIM_REGISTER_FRAMES ||
        strcmp(f[GALE_NIM_F_MAGIC], GALE_NIMBUS_MAGIC) != 0 ||
        strcmp(f[GALE_NIM_F_VERB], GALE_NIM_REGISTER) != 0 ||
        (r->port = parse_int(a[2])) < 0 || (r->pid = parse_int(a[3])) < 0 ||
        (r->workers = parse_int(a[4])) < 0 ||
        strlen(a[0]) > GALE_NIM_REGISTER_MAX ||
        strlen(a[1]) > GALE_NIM_REGISTER_MAX)
        return false;
    r->name = a[0];
    r->host = a[1];
    return true;
}

bool
gale_nimproto_reply_parse(char *const *f, size_t nf, bool *ok)
{
    if (nf <= GALE_NIM_F_TEXT ||
        strcmp(f[GALE_NIM_F_MAGIC], GALE_NIMBUS_MAGIC) != 0)
        return false;
    *ok = strcmp(f[GALE_NIM_F_STATUS], GALE_NIM_OK) == 0;
    return true;
}
