/* security.h - CurveZMQ between hosts: key pairs and their files, the
 * cluster's allowed keys, and the ZAP handler that enforces them.
 *
 * The model (docs/security.md): every socket that crosses hosts speaks
 * CURVE (RFC 26: encrypted and authenticated); every process that binds
 * such a socket runs one ZAP handler (RFC 27) in its ZeroMQ context, which
 * lets a client in only when its long-term public key is one of the
 * cluster's. libzmq consults ZAP only for sockets that have a ZAP domain
 * and only when a handler is bound; with neither it lets in any client
 * that knows the server's public key. So a server socket is made through
 * gale_security_server_setup(), which demands a running handler and sets
 * the domain, and the handler is stopped only after every server socket of
 * its context is closed.
 *
 * Key files (written by `gale keygen`):
 *   NAME.key         # comment lines
 *                    public-key = "<40 characters of Z85>"
 *   NAME.key_secret  mode 0600; public-key = "..." and secret-key = "..."
 * A secret file that group or others can read is refused, as ssh does.
 *
 * Threads: key pairs and key sets are plain values of whoever holds them.
 * A ZAP handler runs its own thread; the thread that started it is the
 * one that reloads and stops it (they are messages over an inproc pipe).
 * Its counters may be read from any thread.
 */
#ifndef GALE_SECURITY_H
#define GALE_SECURITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A Z85 CurveZMQ key: 40 characters for 32 bytes. */
#define GALE_SECURITY_Z85_LEN 40
/* The ZAP domain of gale's server sockets; the handler refuses others. */
#define GALE_SECURITY_ZAP_DOMAIN "gale"

/* The cluster config's `security = "..."`. */
typedef enum gale_security_mode {
    GALE_SECURITY_CURVE,            /* "curve": the default */
    GALE_SECURITY_NONE,             /* "none": plain tcp, see below */
} gale_security_mode_t;

/* What `security = "none"` exposes, for the daemons to log at start. */
#define GALE_SECURITY_NONE_WARNING \
    "security = \"none\": sockets between hosts are neither encrypted nor " \
    "authenticated; anyone who can reach their ports can inject tuples, " \
    "read the data and command the coordinator"

/* Parses "curve" or "none" into *mode. 0, or -EINVAL with *cause (caller
 * frees) when cause != NULL. */
int gale_security_mode_parse(const char *s, gale_security_mode_t *mode,
    char **cause);
/* "curve" or "none". */
const char *gale_security_mode_name(gale_security_mode_t mode);

/* 0 when this libzmq was built with CURVE; -ENOTSUP otherwise, with
 * *cause (caller frees) saying so and how to get one. */
int gale_security_check_curve(char **cause);

/* A long-term key pair, Z85 text. A value (no pointers), so a copy is a
 * copy; gale_security_keypair_clear() wipes the secret from memory. */
typedef struct gale_security_keypair {
    char public_z85[GALE_SECURITY_Z85_LEN + 1];  /* NUL-terminated */
    char secret_z85[GALE_SECURITY_Z85_LEN + 1];  /* "" when unknown */
} gale_security_keypair_t;

/* Makes a new random key pair. 0, or -ENOTSUP without CURVE. */
int gale_security_keypair_generate(gale_security_keypair_t *kp);
/* Overwrites kp with zeros in a way the compiler keeps. */
void gale_security_keypair_clear(gale_security_keypair_t *kp);
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

/* A ZAP handler: a thread answering inproc://zeromq.zap.01 of one
 * ZeroMQ context. */
typedef struct gale_security_zap gale_security_zap_t;

/* Binds inproc://zeromq.zap.01 in ctx and starts answering it with keys
 * (ownership passes to the handler, also on failure). The endpoint is
 * bound when this returns, so a server made afterwards is never without
 * a handler. NULL with *cause; -EADDRINUSE's cause says that ctx already
 * has a handler (there can be one per context). */
gale_security_zap_t *gale_security_zap_start(void *ctx,
    gale_security_keyset_t *keys, char **cause);
/* Stops the thread, unbinds, frees, sets *zapp to NULL. Close the server
 * sockets first: without a handler libzmq would let any client in.
 * Accepts NULL and *NULL. */
void gale_security_zap_stop(gale_security_zap_t **zapp);
/* Replaces the allowed set with keys (ownership passes, also on failure)
 * for every handshake from now on; connections already made stay. 0 when
 * the handler has the new set, or -errno. */
int gale_security_zap_reload(gale_security_zap_t *zap,
    gale_security_keyset_t *keys);
/* Handshakes let in and refused since start (any thread). */
uint64_t gale_security_zap_accepted(const gale_security_zap_t *zap);
uint64_t gale_security_zap_refused(const gale_security_zap_t *zap);

/* Makes sock (not yet bound) a CURVE server with kp's secret key whose
 * clients zap decides on. zap must be the running handler of sock's
 * context: -EINVAL without one. 0 or -errno (ZeroMQ's). */
int gale_security_server_setup(void *sock, const gale_security_keypair_t *kp,
    const gale_security_zap_t *zap);
/* Makes sock (not yet connected) a CURVE client with key pair kp, of the
 * server whose public key is server_z85. 0 or -errno (-EINVAL for a key
 * that is not one). */
int gale_security_client_setup(void *sock, const gale_security_keypair_t *kp,
    const char *server_z85);

#endif
