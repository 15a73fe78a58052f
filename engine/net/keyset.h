/* keyset.h - the cluster's allowed client public keys, which the ZAP
 * handler (zap.h) lets in.
 *
 * Threads: a key set is a plain value of whoever holds it (the ZAP
 * handler's thread once it is handed over).
 */
#ifndef GALE_NET_KEYSET_H
#define GALE_NET_KEYSET_H

#include <stddef.h>
#include <stdint.h>

/* The cluster's allowed client public keys, each with a name (its file's
 * name, or "PATH:LINE" for a list file). */
typedef struct gale_security_keyset gale_security_keyset_t;

/* An empty set. */
gale_security_keyset_t *gale_security_keyset_new(void);
/* Frees *ksp and sets it to NULL. Accepts NULL and *NULL. */
void gale_security_keyset_destroy(gale_security_keyset_t **ksp);
/* Adds the Z85 key z85 under name (copied). A key already present is
 * kept once. 0 or -EINVAL (not a key). */
int gale_security_keyset_add(gale_security_keyset_t *ks, const char *z85,
    const char *name);
/* The set of every NAME.key file in dir (not the .key_secret ones). NULL
 * with *cause when dir cannot be read, a file is malformed, or there are
 * none (an empty set would lock out every client, which is never meant). */
gale_security_keyset_t *gale_security_keyset_load_dir(const char *dir,
    char **cause);
/* The set of a list file: one Z85 key per line, blank lines and comments
 * ignored. As '#' is also a Z85 character, a comment is a '#' followed by
 * a blank or the end of the line, on a line of its own or after a key and
 * a blank. NULL with *cause, as above. */
gale_security_keyset_t *gale_security_keyset_load_list(const char *path,
    char **cause);
size_t gale_security_keyset_count(const gale_security_keyset_t *ks);
/* The name of the 32-byte binary key, or NULL when it is not in ks. */
const char *gale_security_keyset_find(const gale_security_keyset_t *ks,
    const uint8_t key[32]);

#endif
