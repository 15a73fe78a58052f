/* keypair.h - CurveZMQ long-term key pairs and their files (written by
 * `gale keygen`):
 *   NAME.key         # comment lines
 *                    public-key = "<40 characters of Z85>"
 *   NAME.key_secret  mode 0600; public-key = "..." and secret-key = "..."
 * A secret file that group or others can read is refused, as ssh does.
 *
 * Threads: key pairs are plain values of whoever holds them.
 */
#ifndef GALE_NET_KEYPAIR_H
#define GALE_NET_KEYPAIR_H

#include <stdbool.h>

/* A Z85 CurveZMQ key: 40 characters for 32 bytes. */
#define GALE_SECURITY_Z85_LEN 40

/* A long-term key pair, Z85 text. A value (no pointers), so a copy is a
 * copy; gale_security_keypair_release() wipes the secret from memory. */
typedef struct gale_security_keypair {
    char public_z85[GALE_SECURITY_Z85_LEN + 1];  /* NUL-terminated */
    char secret_z85[GALE_SECURITY_Z85_LEN + 1];  /* "" when unknown */
} gale_security_keypair_t;

/* Makes a new random key pair. 0, or -ENOTSUP without CURVE. */
int gale_security_keypair_generate(gale_security_keypair_t *kp);
/* Overwrites kp with zeros in a way the compiler keeps. */
void gale_security_keypair_release(gale_security_keypair_t *kp);
/* Whether s is 40 characters of Z85 that decode to a key. */
bool gale_security_key_valid(const char *s);

/* Writes dir/name.key (0644) and dir/name.key_secret (0600). Refuses to
 * overwrite either: -EEXIST, and nothing is written. name must be a plain
 * file name (no '/', not starting with '.'): -EINVAL. On any failure
 * nothing is left behind. 0 or -errno, with *cause (caller frees). */
int gale_security_keypair_write(const char *dir, const char *name,
    const gale_security_keypair_t *kp, char **cause);
/* Reads the public key of a NAME.key (or NAME.key_secret) file into
 * out. 0, or -errno / -EINVAL with *cause "file:line: what is wrong". */
int gale_security_public_read(const char *path,
    char out[GALE_SECURITY_Z85_LEN + 1], char **cause);
/* Reads a NAME.key_secret file into *kp, checking that the file is not
 * readable by group or others (-EPERM) and that its public key is the
 * one its secret key makes (-EINVAL). 0 or -errno with *cause. */
int gale_security_secret_read(const char *path, gale_security_keypair_t *kp,
    char **cause);

#endif
