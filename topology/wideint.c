/* wideint.c - integer literals too wide for 32 bits (wideint.h). */
#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "topology/wideint.h"

/* A character of a setting name (libconfig: [A-Za-z*][-A-Za-z0-9_*]*). */
static bool
name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '*' || c == '-' ||
        c == '.';
}

/* Whether the number token t[0..n) is an integer literal (no suffix) whose
 * magnitude needs more than 32 bits, and fits in 64. */
static bool
wide(const char *t, size_t n)
{
    unsigned long long v = 0, d;
    bool hex = n > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X');
    size_t i;

    for (i = hex ? 2 : 0; i < n; i++) {
        if (hex ? !isxdigit((unsigned char)t[i]) : !isdigit((unsigned char)t[i]))
            return false;
        d = isdigit((unsigned char)t[i]) ? (unsigned)(t[i] - '0') :
            (unsigned)(tolower((unsigned char)t[i]) - 'a' + 10);
        if (v > (ULLONG_MAX - d) / (hex ? 16 : 10))
            return false;           /* wider than 64 bits */
        v = v * (hex ? 16 : 10) + d;
    }
    return hex ? v > UINT32_MAX : v > INT32_MAX;
}

char *
gale_wideint_fix(const char *text, size_t len, size_t *outlen)
{
    char *out = NULL;
    size_t i = 0, o = 0, n, cap = 0;

    while (i < len) {
        char c = text[i];

        if (c == '"') {                                 /* a string */
            size_t j = i + 1;

            while (j < len && text[j] != '"')
                j += text[j] == '\\' && j + 1 < len ? 2 : 1;
            n = (j < len ? j + 1 : j) - i;
        } else if (c == '#' || (c == '/' && i + 1 < len && text[i + 1] == '/')) {
            n = 0;                                      /* to end of line */
            while (i + n < len && text[i + n] != '\n')
                n++;
        } else if (c == '/' && i + 1 < len && text[i + 1] == '*') {
            const char *e = NULL;
            size_t j;

            for (j = i + 2; j + 1 < len; j++)
                if (text[j] == '*' && text[j + 1] == '/') {
                    e = text + j + 2;
                    break;
                }
            n = e != NULL ? (size_t)(e - (text + i)) : len - i;
        } else if (isdigit((unsigned char)c) && (i == 0 ||
            !name_char(text[i - 1]) || ((text[i - 1] == '-' ||
            text[i - 1] == '+') && (i < 2 || !name_char(text[i - 2]))))) {
            n = 0;                                      /* a number */
            while (i + n < len && (isalnum((unsigned char)text[i + n]) ||
                text[i + n] == '.' || ((text[i + n] == '+' ||
                text[i + n] == '-') && n > 0 &&
                tolower((unsigned char)text[i + n - 1]) == 'e' &&
                !(n > 1 && text[i] == '0' && tolower((unsigned char)text[i + 1]) == 'x'))))
                n++;
            if (wide(text + i, n)) {
                if (out == NULL) {
                    cap = len + len / 8 + 16;
                    out = xmalloc(cap);
                    memcpy(out, text, i);
                    o = i;
                }
                if (o + n + 2 > cap) {
                    cap = (o + n + 2) * 2;
                    out = xrealloc(out, cap);
                }
                memcpy(out + o, text + i, n);
                o += n;
                out[o++] = 'L';
                i += n;
                continue;
            }
        } else {
            n = 1;
        }
        if (out != NULL) {
            if (o + n + 1 > cap) {
                cap = (o + n + 1) * 2;
                out = xrealloc(out, cap);
            }
            memcpy(out + o, text + i, n);
            o += n;
        }
        i += n;
    }
    if (out == NULL)
        return NULL;
    out[o] = '\0';
    *outlen = o;
    return out;
}
