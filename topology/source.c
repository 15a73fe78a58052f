/* source.c - include expansion, ${} substitution and the line map
 * (source.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/xalloc.h"
#include "topology/source.h"
#include "topology/wideint.h"

/* Included files deeper than this are refused: a guard against runaway
 * includes that the loop check cannot see (different paths, one file). */
#define MAX_DEPTH 16
/* Larger files are refused rather than read into memory. */
#define MAX_FILE (16 * 1024 * 1024)

/* Where one line of the expanded text came from. */
typedef struct line_origin {
    int file;                       /* index into files */
    int line;                       /* 1-based line in that file */
} line_origin_t;

struct gale_source {
    char *text;                     /* owned expanded text */
    size_t len;                     /* its length */
    size_t cap;                     /* allocated bytes */
    line_origin_t *lines;           /* owned: origin of each output line */
    size_t nlines;                  /* output lines */
    size_t linecap;                 /* allocated entries */
    char **files;                   /* file names (owned until taken) */
    size_t nfiles;                  /* number of files */
    bool files_taken;               /* files belong to someone else */
    const gale_props_t *props;      /* borrowed, may be NULL */
    const char *props_path;         /* borrowed, may be NULL */
    gale_diag_t *diag;              /* borrowed */
    int errors;                     /* problems reported */
    int stack[MAX_DEPTH + 1];       /* file indexes being expanded */
    int depth;                      /* entries in stack */
};

/* Appends n bytes of p to the expanded text. */
static void
out_add(gale_source_t *s, const char *p, size_t n)
{
    if (s->len + n + 1 > s->cap) {
        while (s->len + n + 1 > s->cap)
            s->cap = s->cap == 0 ? 4096 : s->cap * 2;
        s->text = xrealloc(s->text, s->cap);
    }
    memcpy(s->text + s->len, p, n);
    s->len += n;
    s->text[s->len] = '\0';
}

/* Ends an output line that came from line `line` of file `file`. */
static void
out_line(gale_source_t *s, int file, int line)
{
    out_add(s, "\n", 1);
    if (s->nlines == s->linecap) {
        s->linecap = s->linecap == 0 ? 256 : s->linecap * 2;
        s->lines = xreallocarray(s->lines, s->linecap, sizeof(*s->lines));
    }
    s->lines[s->nlines].file = file;
    s->lines[s->nlines].line = line;
    s->nlines++;
}

/* Interns a file name; returns its index. */
static int
add_file(gale_source_t *s, const char *name)
{
    s->files = xreallocarray(s->files, s->nfiles + 1, sizeof(*s->files));
    s->files[s->nfiles] = xstrdup(name);
    return (int)s->nfiles++;
}

/* Reads the whole regular file at path into *data (caller frees).
 * 0 or -errno. */
static int
read_file(const char *path, char **data, size_t *len)
{
    struct stat st;
    size_t cap = 0, r;
    int err = 0;
    FILE *fp;

    *data = NULL;
    *len = 0;
    if ((fp = fopen(path, "r")) == NULL)
        return -errno;
    if (fstat(fileno(fp), &st) != 0)
        err = -errno;
    else if (S_ISDIR(st.st_mode))
        err = -EISDIR;
    else if (!S_ISREG(st.st_mode))
        err = -EINVAL;
    while (err == 0) {
        if (cap - *len < 4096) {
            cap = cap == 0 ? 8192 : cap * 2;
            *data = xrealloc(*data, cap + 1);
        }
        r = fread(*data + *len, 1, cap - *len, fp);
        *len += r;
        if (r == 0) {
            if (ferror(fp))
                err = errno != 0 ? -errno : -EIO;
            break;
        }
        if (*len > MAX_FILE)
            err = -EFBIG;
    }
    fclose(fp);
    if (err != 0) {
        free(*data);
        *data = NULL;
        return err;
    }
    if (*data == NULL)
        *data = xmalloc(1);
    (*data)[*len] = '\0';
    return 0;
}

/* Text for a read_file error. */
static const char *
read_error(int err)
{
    if (err == -EINVAL)
        return "not a regular file";
    if (err == -EFBIG)
        return "larger than 16 MiB";
    return strerror(-err);
}

/* The directory part of path with a trailing slash ("" for none). Caller
 * frees. */
static char *
dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (slash == NULL)
        return xstrdup("");
    return xstrndup(path, (size_t)(slash - path) + 1);
}

static void expand(gale_source_t *s, int file, const char *data,
    size_t len);

/* Handles `@include "x"` at line `line` of file `file`; rest points after
 * "@include" and ends at end. */
static void
do_include(gale_source_t *s, int file, int line, const char *rest,
    const char *end)
{
    const char *p = rest, *q;
    char *name = NULL, *dir = NULL, *path = NULL, *data = NULL;
    size_t len;
    int err, i, idx;

    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (p == end || *p != '"' || (q = memchr(p + 1, '"', (size_t)(end - p - 1))) == NULL) {
        gale_diag_add(s->diag, s->files[file], line,
            "malformed @include: expected @include \"FILE\"");
        s->errors++;
        return;
    }
    name = xstrndup(p + 1, (size_t)(q - p - 1));
    if (name[0] == '/')
        path = xstrdup(name);
    else {
        dir = dir_of(s->files[file]);
        xasprintf(&path, "%s%s", dir, name);
    }
    for (i = 0; i < s->depth; i++) {
        if (strcmp(s->files[s->stack[i]], path) == 0) {
            gale_diag_add(s->diag, s->files[file], line,
                "include loop: \"%s\" is already being included", path);
            s->errors++;
            goto out;
        }
    }
    if (s->depth >= MAX_DEPTH) {
        gale_diag_add(s->diag, s->files[file], line,
            "includes nested more than %d deep", MAX_DEPTH);
        s->errors++;
        goto out;
    }
    if ((err = read_file(path, &data, &len)) != 0) {
        gale_diag_add(s->diag, s->files[file], line,
            "cannot open include file \"%s\": %s", name, read_error(err));
        s->errors++;
        goto out;
    }
    idx = add_file(s, path);
    expand(s, idx, data, len);
out:
    free(data);
    free(path);
    free(dir);
    free(name);
}

/* Appends the value of ${name} (name of n bytes) or reports why there is
 * none. */
static void
substitute(gale_source_t *s, int file, int line, const char *name, size_t n)
{
    char *key = xstrndup(name, n);
    const char *val = NULL;

    if (strncmp(key, "ENV-", 4) == 0) {
        if ((val = getenv(key + 4)) == NULL) {
            gale_diag_add(s->diag, s->files[file], line,
                "${%s} is not defined (environment variable %s is not set)",
                key, key + 4);
            s->errors++;
        }
    } else if ((val = gale_props_get(s->props, key)) == NULL) {
        if (s->props_path == NULL)
            gale_diag_add(s->diag, s->files[file], line,
                "${%s} is not defined (no --properties file given)", key);
        else
            gale_diag_add(s->diag, s->files[file], line,
                "${%s} is not defined (no property %s in %s)", key, key,
                s->props_path);
        s->errors++;
    }
    if (val != NULL && strpbrk(val, "\r\n") != NULL) {
        gale_diag_add(s->diag, s->files[file], line,
            "${%s}: its value contains a line break", key);
        s->errors++;
        val = NULL;
    }
    if (val != NULL)
        out_add(s, val, strlen(val));
    free(key);
}

/* Expands the len bytes of data, the contents of files[file]. */
static void
expand(gale_source_t *s, int file, const char *data, size_t len)
{
    const char *p = data, *end = data + len, *eol, *q, *close;
    bool in_block = false, in_string;
    int line = 0;

    s->stack[s->depth++] = file;
    while (p < end) {
        line++;
        if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
            eol = end;
        q = p;
        while (q < eol && (*q == ' ' || *q == '\t'))
            q++;
        if (!in_block && (size_t)(eol - q) >= 8 &&
            memcmp(q, "@include", 8) == 0) {
            do_include(s, file, line, q + 8, eol);
            p = eol < end ? eol + 1 : end;
            continue;
        }
        in_string = false;
        q = p;
        while (q < eol) {
            if (in_block) {
                if (q + 1 < eol && q[0] == '*' && q[1] == '/') {
                    in_block = false;
                    out_add(s, q, 2);
                    q += 2;
                } else
                    out_add(s, q++, 1);
                continue;
            }
            if (in_string) {
                if (*q == '\\' && q + 1 < eol) {
                    out_add(s, q, 2);
                    q += 2;
                    continue;
                }
                if (*q == '"')
                    in_string = false;
            } else if (*q == '"')
                in_string = true;
            else if (*q == '#' || (q + 1 < eol && q[0] == '/' && q[1] == '/')) {
                out_add(s, q, (size_t)(eol - q));
                break;
            } else if (q + 1 < eol && q[0] == '/' && q[1] == '*') {
                in_block = true;
                out_add(s, q, 2);
                q += 2;
                continue;
            }
            if (*q == '$' && q + 1 < eol && q[1] == '{' &&
                (close = memchr(q + 2, '}', (size_t)(eol - q - 2))) != NULL) {
                substitute(s, file, line, q + 2, (size_t)(close - q - 2));
                q = close + 1;
                continue;
            }
            out_add(s, q++, 1);
        }
        out_line(s, file, line);
        p = eol < end ? eol + 1 : end;
    }
    s->depth--;
}

gale_source_t *
gale_source_new(const char *path, const char *buf, size_t len,
    const gale_props_t *props, const char *props_path, gale_diag_t *diag)
{
    gale_source_t *s = xcalloc(1, sizeof(*s));
    char *data = NULL;
    int err, idx;

    s->props = props;
    s->props_path = props_path;
    s->diag = diag;
    idx = add_file(s, path);
    if (buf == NULL) {
        if ((err = read_file(path, &data, &len)) != 0) {
            gale_diag_add(diag, path, 0, "cannot open: %s", read_error(err));
            goto fail;
        }
        buf = data;
    }
    out_add(s, "", 0);
    expand(s, idx, buf, len);
    free(data);
    data = NULL;
    if (s->errors > 0)
        goto fail;
    if ((data = gale_wideint_fix(s->text, s->len, &len)) != NULL) {
        free(s->text);
        s->text = data;
        s->len = len;
        s->cap = len + 1;
        data = NULL;
    }
    return s;
fail:
    free(data);
    gale_source_destroy(&s);
    return NULL;
}

void
gale_source_destroy(gale_source_t **sp)
{
    gale_source_t *s;
    size_t i;

    if (sp == NULL || (s = *sp) == NULL)
        return;
    if (!s->files_taken) {
        for (i = 0; i < s->nfiles; i++)
            free(s->files[i]);
        free(s->files);
    }
    free(s->text);
    free(s->lines);
    free(s);
    *sp = NULL;
}

const char *
gale_source_text(const gale_source_t *s)
{
    return s->text;
}

void
gale_source_where(const gale_source_t *s, int line, const char **file,
    int *fline)
{
    if (line >= 1 && s->nlines > 0 && (size_t)line > s->nlines)
        line = (int)s->nlines;      /* an error at the end of the text */
    if (line < 1 || (size_t)line > s->nlines) {
        *file = s->files[0];
        *fline = 0;
        return;
    }
    *file = s->files[s->lines[line - 1].file];
    *fline = s->lines[line - 1].line;
}

char **
gale_source_take_files(gale_source_t *s, size_t *n)
{
    *n = s->nfiles;
    s->files_taken = true;
    return s->files;
}
