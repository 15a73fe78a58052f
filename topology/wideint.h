/* wideint.h - integer literals too wide for 32 bits, in DSL text.
 *
 * libconfig 1.5 (Debian 12's) reads an integer literal without the `L`
 * suffix as a 32-bit int and silently keeps its low 32 bits:
 * `start_ms = 1796302918000;` became 1006588272. Before the text is
 * parsed, every decimal or hex integer literal outside strings and
 * comments whose value does not fit in 32 bits gets its `L`, so it is read
 * as the 64-bit integer it says. Literals wider than 64 bits are left for
 * libconfig to refuse. Line numbers do not move. */
#ifndef GALE_TOPOLOGY_WIDEINT_H
#define GALE_TOPOLOGY_WIDEINT_H

#include <stddef.h>

/* The text with the `L`s added (malloc()ed, NUL-terminated; *outlen its
 * length), or NULL when nothing needs one. */
char *gale_wideint_fix(const char *text, size_t len, size_t *outlen);

#endif
