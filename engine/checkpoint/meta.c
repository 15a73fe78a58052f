/* meta.c - checkpoint metadata (meta.h): building a checkpoint's record
 * of tasks and file chains, and its text form on disk.
 *
 * Metadata is a line-oriented text file (an operator can read it) whose
 * last line is the CRC32C of the lines before it. Strings are escaped
 * (%XX) so that a field never holds a space or a newline. It is written
 * under a temporary name, fsynced, renamed and its directory fsynced.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/fs.h"
#include "common/xalloc.h"
#include "engine/checkpoint/ckpt_int.h"
#include "engine/wire/crc32c.h"

#define META_MAGIC "gale-checkpoint"

/* Milliseconds since the epoch. */
static uint64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Parses a metadata file name "<20 digits>.meta", optionally followed by
 * ".tmp". true and *id, *tmp if it is one. */
bool
ckpt_mname_parse(const char *name, uint64_t *id, bool *tmp)
{
    uint64_t n = 0;
    int i;

    for (i = 0; i < 20; i++) {
        if (name[i] < '0' || name[i] > '9')
            return false;
        if (n > (UINT64_MAX - 9) / 10)
            return false;
        n = n * 10 + (uint64_t)(name[i] - '0');
    }
    if (strcmp(name + 20, ".meta") == 0)
        *tmp = false;
    else if (strcmp(name + 20, ".meta.tmp") == 0)
        *tmp = true;
    else
        return false;
    *id = n;
    return true;
}

/* ---- metadata: building ------------------------------------------------ */

gale_ckpt_meta_t *
gale_ckpt_meta_new(uint64_t id, uint32_t attempt, const char *topology,
    int max_parallelism)
{
    gale_ckpt_meta_t *m = xcalloc(1, sizeof(*m));

    m->version = GALE_CKPT_VERSION;
    m->id = id;
    m->attempt = attempt;
    m->topology = xstrdup(topology);
    m->max_parallelism = max_parallelism;
    m->created_ms = now_ms();
    return m;
}

void
gale_ckpt_meta_destroy(gale_ckpt_meta_t **mp)
{
    gale_ckpt_meta_t *m;
    gale_ckpt_task_t *t;
    size_t i, j;

    if (mp == NULL || (m = *mp) == NULL)
        return;
    for (i = 0; i < m->ntasks; i++) {
        t = &m->tasks[i];
        free(t->component);
        for (j = 0; j < t->nfiles; j++)
            free(t->files[j]);
        free(t->files);
        free(t->sizes);
    }
    free(m->tasks);
    for (i = 0; i < m->nkv; i++) {
        free(m->keys[i]);
        free(m->vals[i]);
    }
    free(m->keys);
    free(m->vals);
    free(m->topology);
    free(m);
    *mp = NULL;
}

gale_ckpt_task_t *
gale_ckpt_meta_add_task(gale_ckpt_meta_t *m, int task_id,
    const char *component, int task_index, int kg_first, int kg_last)
{
    gale_ckpt_task_t *t;

    m->tasks = xreallocarray(m->tasks, m->ntasks + 1, sizeof(*m->tasks));
    t = &m->tasks[m->ntasks++];
    memset(t, 0, sizeof(*t));
    t->task_id = task_id;
    t->component = xstrdup(component);
    t->task_index = task_index;
    t->kg_first = kg_first;
    t->kg_last = kg_last;
    return t;
}

void
gale_ckpt_meta_set(gale_ckpt_meta_t *m, const char *key, const char *val)
{
    size_t i;

    for (i = 0; i < m->nkv; i++) {
        if (strcmp(m->keys[i], key) == 0) {
            free(m->vals[i]);
            m->vals[i] = xstrdup(val);
            return;
        }
    }
    m->keys = xreallocarray(m->keys, m->nkv + 1, sizeof(*m->keys));
    m->vals = xreallocarray(m->vals, m->nkv + 1, sizeof(*m->vals));
    m->keys[m->nkv] = xstrdup(key);
    m->vals[m->nkv++] = xstrdup(val);
}

const char *
gale_ckpt_meta_get(const gale_ckpt_meta_t *m, const char *key)
{
    size_t i;

    for (i = 0; i < m->nkv; i++)
        if (strcmp(m->keys[i], key) == 0)
            return m->vals[i];
    return NULL;
}

gale_ckpt_task_t *
gale_ckpt_meta_task(const gale_ckpt_meta_t *m, int task_id)
{
    size_t i;

    for (i = 0; i < m->ntasks; i++)
        if (m->tasks[i].task_id == task_id)
            return &m->tasks[i];
    return NULL;
}

gale_ckpt_meta_t *
gale_ckpt_meta_copy(const gale_ckpt_meta_t *m, uint64_t id, uint32_t attempt)
{
    gale_ckpt_meta_t *n;
    const gale_ckpt_task_t *s;
    gale_ckpt_task_t *t;
    size_t i, j;

    n = gale_ckpt_meta_new(id, attempt, m->topology, m->max_parallelism);
    for (i = 0; i < m->ntasks; i++) {
        s = &m->tasks[i];
        t = gale_ckpt_meta_add_task(n, s->task_id, s->component,
            s->task_index, s->kg_first, s->kg_last);
        for (j = 0; j < s->nfiles; j++)
            gale_ckpt_task_append(t, s->files[j],
                s->sizes != NULL ? s->sizes[j] : 0);
    }
    for (i = 0; i < m->nkv; i++)
        gale_ckpt_meta_set(n, m->keys[i], m->vals[i]);
    return n;
}

void
gale_ckpt_task_append(gale_ckpt_task_t *t, const char *file, uint64_t bytes)
{
    t->files = xreallocarray(t->files, t->nfiles + 1, sizeof(*t->files));
    t->sizes = xreallocarray(t->sizes, t->nfiles + 1, sizeof(*t->sizes));
    t->files[t->nfiles] = xstrdup(file);
    t->sizes[t->nfiles++] = bytes;
    t->bytes += bytes;
}

void
gale_ckpt_task_add(gale_ckpt_task_t *t, const char *file, uint64_t bytes)
{
    int kind;
    size_t i;

    if (ckpt_fname_parse(file, NULL, NULL, &kind, NULL) && kind == SNAP_BASE) {
        for (i = 0; i < t->nfiles; i++)
            free(t->files[i]);
        t->nfiles = 0;
        t->bytes = 0;
    }
    gale_ckpt_task_append(t, file, bytes);
}

/* ---- metadata: the text form ------------------------------------------- */

/* Appends s escaped: bytes that are not printable ASCII, the space and
 * '%' become %XX, so that a field is one token. */
static void
esc_append(gale_buf_t *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p;

    for (p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p <= ' ' || *p >= 0x7f || *p == '%') {
            gale_buf_append_byte(b, '%');
            gale_buf_append_byte(b, (uint8_t)hex[*p >> 4]);
            gale_buf_append_byte(b, (uint8_t)hex[*p & 15]);
        } else
            gale_buf_append_byte(b, *p);
    }
}

/* Appends formatted text to b. */
static void __attribute__((format(printf, 2, 3)))
buf_printf(gale_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    char *s;
    int n;

    va_start(ap, fmt);
    n = xvasprintf(&s, fmt, ap);
    va_end(ap);
    gale_buf_append(b, s, (size_t)n);
    free(s);
}

/* Renders m in the text form, CRC line included. */
static void
meta_render(const gale_ckpt_meta_t *m, gale_buf_t *b)
{
    const gale_ckpt_task_t *t;
    size_t i, j;

    buf_printf(b, "%s %d\n", META_MAGIC, GALE_CKPT_VERSION);
    buf_printf(b, "id %" PRIu64 "\nattempt %" PRIu32 "\ntopology ", m->id,
        m->attempt);
    esc_append(b, m->topology != NULL ? m->topology : "");
    buf_printf(b, "\nmax_parallelism %d\ncreated_ms %" PRIu64 "\n",
        m->max_parallelism, m->created_ms);
    for (i = 0; i < m->ntasks; i++) {
        t = &m->tasks[i];
        buf_printf(b, "task %d ", t->task_id);
        esc_append(b, t->component != NULL ? t->component : "");
        buf_printf(b, " %d %d %d %zu\n", t->task_index, t->kg_first,
            t->kg_last, t->nfiles);
        for (j = 0; j < t->nfiles; j++) {
            buf_printf(b, "file ");
            esc_append(b, t->files[j]);
            buf_printf(b, " %" PRIu64 "\n", t->sizes != NULL ? t->sizes[j] : 0);
        }
    }
    for (i = 0; i < m->nkv; i++) {
        buf_printf(b, "kv ");
        esc_append(b, m->keys[i]);
        gale_buf_append_byte(b, ' ');
        esc_append(b, m->vals[i]);
        gale_buf_append_byte(b, '\n');
    }
    buf_printf(b, "crc32c %08" PRIx32 "\n", gale_crc32c_value(b->data, b->len));
}

int
gale_ckpt_write_meta(gale_ckpt_t *c, const gale_ckpt_meta_t *m)
{
    gale_buf_t b;
    char *path;
    size_t i, j;
    int rc;

    gale_buf_init(&b, 1024);
    meta_render(m, &b);
    xasprintf(&path, "%s/%020" PRIu64 ".meta", c->meta, m->id);
    rc = gale_write_atomic(c->meta, path, b.data, b.len);
    free(path);
    gale_buf_release(&b);
    if (rc == 0)
        for (i = 0; i < m->ntasks; i++)
            for (j = 0; j < m->tasks[i].nfiles; j++)
                ckpt_unpin(c, m->tasks[i].files[j]);
    return rc;
}

/* Undoes esc_append in place. false if an escape is malformed or
 * yields a NUL. */
static bool
unescape(char *s)
{
    char *w = s, hexs[3] = { 0 };
    unsigned long v;

    for (; *s != '\0'; s++) {
        if (*s != '%') {
            *w++ = *s;
            continue;
        }
        if (s[1] == '\0' || s[2] == '\0')
            return false;
        hexs[0] = s[1];
        hexs[1] = s[2];
        if (strspn(hexs, "0123456789ABCDEFabcdef") != 2 ||
            (v = strtoul(hexs, NULL, 16)) == 0)
            return false;
        *w++ = (char)v;
        s += 2;
    }
    *w = '\0';
    return true;
}

/* Splits line (NUL-terminated, modified) at single spaces into at most
 * max tokens. Returns the number of tokens, or max + 1 if there are more. */
static int
tokenize(char *line, char **tok, int max)
{
    int n = 0;
    char *sp;

    for (;;) {
        if (n == max)
            return max + 1;
        tok[n++] = line;
        if ((sp = strchr(line, ' ')) == NULL)
            return n;
        *sp = '\0';
        line = sp + 1;
    }
}

/* Parses a decimal integer token into *v within [lo, hi]. */
static bool
tok_int(const char *s, long long lo, long long hi, long long *v)
{
    char *end;

    if (*s == '\0' || (*s != '-' && (*s < '0' || *s > '9')))
        return false;
    errno = 0;
    *v = strtoll(s, &end, 10);
    return errno == 0 && *end == '\0' && *v >= lo && *v <= hi;
}

/* Parses a decimal u64 token into *v. */
static bool
tok_u64(const char *s, uint64_t *v)
{
    char *end;

    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    *v = strtoull(s, &end, 10);
    return errno == 0 && *end == '\0';
}

/* Parses the text of one metadata file (len bytes at text, modified) into
 * *mp. 0, or -EBADMSG with *why (a static string or one written into
 * whybuf). */
static int
meta_parse(char *text, size_t len, gale_ckpt_meta_t **mp, const char **why,
    char *whybuf, size_t whylen)
{
    gale_ckpt_meta_t *m = NULL;
    gale_ckpt_task_t *t = NULL;
    char *line, *nl, *tok[8], *crcline, *first;
    long long a, b, c2, d;
    uint64_t u;
    uint32_t crc;
    size_t want = 0, lineno = 0;
    unsigned seen = 0;
    int n;

    *why = "truncated";
    if (len == 0 || text[len - 1] != '\n' || memchr(text, '\0', len) != NULL)
        goto fail;
    text[len - 1] = '\0';
    /* The version first: a future format may end differently. */
    if ((nl = strchr(text, '\n')) == NULL)
        goto fail;
    first = xstrndup(text, (size_t)(nl - text));
    n = tokenize(first, tok, 2);
    if (n != 2 || strcmp(tok[0], META_MAGIC) != 0)
        *why = "not a gale checkpoint metadata file";
    else if (!tok_int(tok[1], 0, INT32_MAX, &a) || a != GALE_CKPT_VERSION) {
        snprintf(whybuf, whylen, "unknown format version %.20s", tok[1]);
        *why = whybuf;
    } else
        *why = NULL;
    free(first);
    if (*why != NULL)
        goto fail;
    *why = "truncated";
    if ((crcline = strrchr(text, '\n')) == NULL ||
        strncmp(crcline + 1, "crc32c ", 7) != 0 ||
        strlen(crcline + 8) != 8 || strspn(crcline + 8, "0123456789abcdef") != 8)
        goto fail;
    crc = (uint32_t)strtoul(crcline + 8, NULL, 16);
    if (crc != gale_crc32c_value(text, (size_t)(crcline + 1 - text))) {
        *why = "bad checksum";
        goto fail;
    }
    *crcline = '\0';
    m = xcalloc(1, sizeof(*m));
    m->version = GALE_CKPT_VERSION;
    line = nl == crcline ? NULL : nl + 1;
    lineno = 1;
    *why = whybuf;
    for (; line != NULL; line = nl) {
        lineno++;
        if ((nl = strchr(line, '\n')) != NULL)
            *nl++ = '\0';
        n = tokenize(line, tok, 7);
        if (t != NULL && t->nfiles < want && strcmp(tok[0], "file") != 0)
            goto missing;
        if (n == 2 && strcmp(tok[0], "id") == 0 && tok_u64(tok[1], &u) &&
            !(seen & 1)) {
            m->id = u;
            seen |= 1;
        } else if (n == 2 && strcmp(tok[0], "attempt") == 0 &&
            tok_int(tok[1], 0, UINT32_MAX, &a) && !(seen & 2)) {
            m->attempt = (uint32_t)a;
            seen |= 2;
        } else if (n == 2 && strcmp(tok[0], "topology") == 0 &&
            unescape(tok[1]) && !(seen & 4)) {
            m->topology = xstrdup(tok[1]);
            seen |= 4;
        } else if (n == 2 && strcmp(tok[0], "max_parallelism") == 0 &&
            tok_int(tok[1], 0, INT32_MAX, &a) && !(seen & 8)) {
            m->max_parallelism = (int)a;
            seen |= 8;
        } else if (n == 2 && strcmp(tok[0], "created_ms") == 0 &&
            tok_u64(tok[1], &u) && !(seen & 16)) {
            m->created_ms = u;
            seen |= 16;
        } else if (n == 7 && strcmp(tok[0], "task") == 0 &&
            tok_int(tok[1], INT32_MIN, INT32_MAX, &a) && unescape(tok[2]) &&
            tok_int(tok[3], INT32_MIN, INT32_MAX, &b) &&
            tok_int(tok[4], -1, 65535, &c2) &&
            tok_int(tok[5], -2, 65535, &d) && tok_u64(tok[6], &u) &&
            u < 1000000) {
            t = gale_ckpt_meta_add_task(m, (int)a, tok[2], (int)b, (int)c2,
                (int)d);
            want = (size_t)u;
        } else if (n == 3 && strcmp(tok[0], "file") == 0 && t != NULL &&
            t->nfiles < want && unescape(tok[1]) && tok_u64(tok[2], &u)) {
            gale_ckpt_task_append(t, tok[1], u);
        } else if (n == 3 && strcmp(tok[0], "kv") == 0 && unescape(tok[1]) &&
            unescape(tok[2])) {
            gale_ckpt_meta_set(m, tok[1], tok[2]);
        } else {
            snprintf(whybuf, whylen, "malformed line %zu", lineno);
            goto fail;
        }
    }
    if (t != NULL && t->nfiles < want)
        goto missing;
    if (seen != 31) {
        snprintf(whybuf, whylen, "missing fields");
        goto fail;
    }
    *mp = m;
    return 0;
missing:
    snprintf(whybuf, whylen, "task %d lists %zu files, has %zu",
        t->task_id, want, t->nfiles);
fail:
    gale_ckpt_meta_destroy(&m);
    return -EBADMSG;
}

int
gale_ckpt_read_meta(gale_ckpt_t *c, uint64_t id, gale_ckpt_meta_t **m,
    char **cause)
{
    char *path, *text = NULL, whybuf[96];
    const char *why = NULL;
    size_t len = 0;
    int rc;

    *m = NULL;
    xasprintf(&path, "%s/%020" PRIu64 ".meta", c->meta, id);
    if ((rc = gale_read_file(path, &text, &len)) != 0)
        why = rc == -ENOENT ? "no such checkpoint" : strerror(-rc);
    else if ((rc = meta_parse(text, len, m, &why, whybuf,
        sizeof(whybuf))) == 0 && (*m)->id != id) {
        snprintf(whybuf, sizeof(whybuf), "holds checkpoint %" PRIu64,
            (*m)->id);
        why = whybuf;
        gale_ckpt_meta_destroy(m);
        rc = -EBADMSG;
    }
    if (rc != 0)
        ckpt_set_cause(cause, "meta/%020" PRIu64 ".meta: %s", id, why);
    free(text);
    free(path);
    return rc;
}
