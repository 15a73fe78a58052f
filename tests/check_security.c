/* check_security.c - CurveZMQ with the ZAP handler over tcp on 127.0.0.1,
 * and the key files (engine/security).
 *
 * No assertion is about time: a refusal is shown by the handler's counter
 * or a handshake-failure event (each waited for, up to a generous bound),
 * and only after that is the server polled briefly to show that nothing
 * got through - nothing could arrive later, the only connection is gone. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "common/fs.h"
#include "engine/net/security.h"

/* The bound on every wait for something that must happen. */
#define WAIT_MS 10000
/* How long the server is polled to show that nothing arrived. */
#define QUIET_MS 300

#define FAILED_EVENTS (ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | \
    ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)

static void *ctx;
static gale_security_zap_t *zap;
static gale_security_keypair_t server_kp, alice, bob;
static void *server;                /* ROUTER, CURVE server */
static char endpoint[256];          /* where server is bound */
static void *socks[16];             /* every socket, closed by teardown */
static size_t nsocks;
static char dir[64];

/* ---- helpers ---------------------------------------------------------- */

static void *
new_socket(int type)
{
    void *s = zmq_socket(ctx, type);
    int linger = 0, tmo = WAIT_MS;

    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger), 0);
    ck_assert_int_eq(zmq_setsockopt(s, ZMQ_RCVTIMEO, &tmo, sizeof tmo), 0);
    ck_assert_uint_lt(nsocks, sizeof socks / sizeof socks[0]);
    socks[nsocks++] = s;
    return s;
}

static void
close_socket(void *s)
{
    size_t i;

    for (i = 0; i < nsocks; i++)
        if (socks[i] == s) {
            zmq_close(s);
            socks[i] = socks[--nsocks];
            return;
        }
    ck_abort_msg("not a test socket");
}

/* Binds s to an ephemeral port of 127.0.0.1 and stores where in ep. */
static void
bind_ephemeral(void *s, char *ep, size_t len)
{
    ck_assert_int_eq(zmq_bind(s, "tcp://127.0.0.1:*"), 0);
    ck_assert_int_eq(zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &len), 0);
}

/* A DEALER connected to ep: a CURVE client with kp when kp != NULL, a
 * NULL-mechanism one otherwise. */
static void *
client_to(const char *ep, const gale_security_keypair_t *kp)
{
    void *c = new_socket(ZMQ_DEALER);

    if (kp != NULL)
        ck_assert_int_eq(gale_security_client_setup(c, kp,
            server_kp.public_z85), 0);
    ck_assert_int_eq(zmq_connect(c, ep), 0);
    return c;
}

/* A PAIR receiving the events of s (mask events). */
static void *
monitor(void *s, int events)
{
    static int seq;
    char ep[64];
    void *m;

    snprintf(ep, sizeof ep, "inproc://check-monitor-%d", seq++);
    ck_assert_int_eq(zmq_socket_monitor(s, ep, events), 0);
    m = new_socket(ZMQ_PAIR);
    ck_assert_int_eq(zmq_connect(m, ep), 0);
    return m;
}

/* Waits for an event of mask on monitor m. The event, with its value in
 * *value, or -1 when none came within WAIT_MS. */
static int
wait_event(void *m, int mask, uint32_t *value)
{
    zmq_pollitem_t it = { .socket = m, .events = ZMQ_POLLIN };
    uint8_t buf[6];
    char addr[256];
    uint16_t ev;
    int waited = 0;

    while (waited < WAIT_MS) {
        if (zmq_poll(&it, 1, 100) <= 0) {
            waited += 100;
            continue;
        }
        ck_assert_int_eq(zmq_recv(m, buf, sizeof buf, 0), 6);
        ck_assert_int_ge(zmq_recv(m, addr, sizeof addr, 0), 0);
        memcpy(&ev, buf, 2);
        if (ev & mask) {
            memcpy(value, buf + 2, 4);
            return ev;
        }
    }
    return -1;
}

/* Queues len bytes on the client socket c without blocking. A connection
 * whose handshake was refused loses its pipe until ZeroMQ reconnects, and
 * a send meanwhile says EAGAIN (seen under ASan, where the refusal can
 * come before the first send): tries again for up to WAIT_MS. Returns
 * what the last zmq_send did. */
static int
send_soon(void *c, const char *buf, size_t len)
{
    struct timespec ts = { 0, 10 * 1000 * 1000 };
    int i, rc = -1;

    for (i = 0; i < WAIT_MS / 10; i++) {
        if ((rc = zmq_send(c, buf, len, ZMQ_DONTWAIT)) >= 0 || errno != EAGAIN)
            break;
        nanosleep(&ts, NULL);
    }
    return rc;
}

/* Waits until the handler has refused at least n handshakes. */
static void
wait_refused(uint64_t n)
{
    struct timespec ts = { 0, 10 * 1000 * 1000 };
    int i;

    for (i = 0; i < WAIT_MS / 10 && gale_security_zap_refused(zap) < n; i++)
        nanosleep(&ts, NULL);
    ck_assert_uint_ge(gale_security_zap_refused(zap), n);
}

/* Asserts that nothing reaches s within QUIET_MS. */
static void
assert_nothing_arrives(void *s)
{
    zmq_pollitem_t it = { .socket = s, .events = ZMQ_POLLIN };

    ck_assert_int_eq(zmq_poll(&it, 1, QUIET_MS), 0);
}

/* Sends text from client c; the server must receive it from a peer whose
 * ZAP user id is user, and answer; c must receive the answer. */
static void
exchange(void *c, const char *text, const char *user)
{
    char ident[256], buf[64];
    zmq_msg_t msg;
    int n;

    ck_assert_int_eq(zmq_send(c, text, strlen(text), 0), (int)strlen(text));
    n = zmq_recv(server, ident, sizeof ident, 0);
    ck_assert_int_gt(n, 0);
    zmq_msg_init(&msg);
    ck_assert_int_eq(zmq_msg_recv(&msg, server, 0), (int)strlen(text));
    ck_assert_int_eq(memcmp(zmq_msg_data(&msg), text, strlen(text)), 0);
    /* The user id our handler gave in its 200 reply travels with every
     * message of the connection: proof that ZAP decided. */
    ck_assert_ptr_nonnull(zmq_msg_gets(&msg, "User-Id"));
    ck_assert_str_eq(zmq_msg_gets(&msg, "User-Id"), user);
    zmq_msg_close(&msg);
    ck_assert_int_eq(zmq_send(server, ident, (size_t)n, ZMQ_SNDMORE), n);
    ck_assert_int_eq(zmq_send(server, "ack", 3, 0), 3);
    ck_assert_int_eq(zmq_recv(c, buf, sizeof buf, 0), 3);
    ck_assert_int_eq(memcmp(buf, "ack", 3), 0);
}

static gale_security_keyset_t *
set_of(const gale_security_keypair_t *a, const char *an,
    const gale_security_keypair_t *b, const char *bn)
{
    gale_security_keyset_t *ks = gale_security_keyset_new();

    if (a != NULL)
        ck_assert_int_eq(gale_security_keyset_add(ks, a->public_z85, an), 0);
    if (b != NULL)
        ck_assert_int_eq(gale_security_keyset_add(ks, b->public_z85, bn), 0);
    return ks;
}

static void
setup(void)
{
    char *cause = NULL;

    ck_assert_int_eq(gale_security_check_curve(NULL), 0);
    ck_assert_ptr_nonnull(ctx = zmq_ctx_new());
    ck_assert_int_eq(gale_security_keypair_generate(&server_kp), 0);
    ck_assert_int_eq(gale_security_keypair_generate(&alice), 0);
    ck_assert_int_eq(gale_security_keypair_generate(&bob), 0);
    /* The cluster lists alice, not bob. */
    zap = gale_security_zap_start(ctx, set_of(&alice, "alice", NULL, NULL),
        &cause);
    ck_assert_msg(zap != NULL, "%s", cause);
    server = new_socket(ZMQ_ROUTER);
    ck_assert_int_eq(gale_security_server_setup(server, &server_kp, zap), 0);
    bind_ephemeral(server, endpoint, sizeof endpoint);
}

static void
teardown(void)
{
    while (nsocks > 0)
        zmq_close(socks[--nsocks]);
    /* The handler goes after the servers it guards. */
    gale_security_zap_stop(&zap);
    ck_assert_ptr_null(zap);
    ck_assert_int_eq(zmq_ctx_term(ctx), 0);
}

/* ---- (a) to (e): handshakes ------------------------------------------- */

START_TEST(test_listed_client_exchanges)
{
    void *c = client_to(endpoint, &alice);

    exchange(c, "hello", "alice");
    exchange(c, "again", "alice");
    ck_assert_uint_eq(gale_security_zap_accepted(zap), 1);
    ck_assert_uint_eq(gale_security_zap_refused(zap), 0);
}
END_TEST

START_TEST(test_unlisted_client_refused)
{
    void *mon = monitor(server, FAILED_EVENTS);
    void *c = client_to(endpoint, &bob);
    uint32_t value = 0;

    ck_assert_int_eq(send_soon(c, "intrude", 7), 7);
    ck_assert_int_eq(wait_event(mon, FAILED_EVENTS, &value),
        ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    ck_assert_uint_eq(value, 400);          /* our handler's status code */
    wait_refused(1);
    assert_nothing_arrives(server);
    ck_assert_uint_eq(gale_security_zap_accepted(zap), 0);
}
END_TEST

START_TEST(test_null_client_refused)
{
    void *mon = monitor(server, FAILED_EVENTS);
    void *c = client_to(endpoint, NULL);
    uint32_t value;

    /* A client without CURVE does not get past the greeting: the
     * mechanisms differ, so the server ends it before ZAP is asked. */
    ck_assert_int_eq(send_soon(c, "plain", 5), 5);
    ck_assert_int_ge(wait_event(mon, FAILED_EVENTS, &value), 0);
    assert_nothing_arrives(server);
    ck_assert_uint_eq(gale_security_zap_accepted(zap), 0);
}
END_TEST

/* A socket of the process that asks ZAP about NULL or PLAIN (a domain set,
 * no CURVE) is refused by the handler too: only CURVE keys get a 200. */
START_TEST(test_null_and_plain_mechanisms_get_400)
{
    void *nullsrv = new_socket(ZMQ_ROUTER), *plainsrv = new_socket(ZMQ_ROUTER);
    char nullep[256], plainep[256];
    int one = 1;
    void *c;

    ck_assert_int_eq(zmq_setsockopt(nullsrv, ZMQ_ZAP_DOMAIN,
        GALE_SECURITY_ZAP_DOMAIN, strlen(GALE_SECURITY_ZAP_DOMAIN)), 0);
    bind_ephemeral(nullsrv, nullep, sizeof nullep);
    c = client_to(nullep, NULL);
    ck_assert_int_eq(send_soon(c, "null", 4), 4);
    wait_refused(1);
    assert_nothing_arrives(nullsrv);

    ck_assert_int_eq(zmq_setsockopt(plainsrv, ZMQ_PLAIN_SERVER, &one,
        sizeof one), 0);
    ck_assert_int_eq(zmq_setsockopt(plainsrv, ZMQ_ZAP_DOMAIN,
        GALE_SECURITY_ZAP_DOMAIN, strlen(GALE_SECURITY_ZAP_DOMAIN)), 0);
    bind_ephemeral(plainsrv, plainep, sizeof plainep);
    c = new_socket(ZMQ_DEALER);
    ck_assert_int_eq(zmq_setsockopt(c, ZMQ_PLAIN_USERNAME, "admin", 5), 0);
    ck_assert_int_eq(zmq_setsockopt(c, ZMQ_PLAIN_PASSWORD, "secret", 6), 0);
    ck_assert_int_eq(zmq_connect(c, plainep), 0);
    ck_assert_int_eq(send_soon(c, "plain", 5), 5);
    wait_refused(2);
    assert_nothing_arrives(plainsrv);
    ck_assert_uint_eq(gale_security_zap_accepted(zap), 0);
}
END_TEST

START_TEST(test_wrong_secret_refused)
{
    void *mon = monitor(server, FAILED_EVENTS);
    gale_security_keypair_t forged = alice;
    uint32_t value;
    void *c;

    /* alice's listed public key, but a secret that is not hers: the
     * client cannot make the vouch that proves it holds alice's secret. */
    memcpy(forged.secret_z85, bob.secret_z85, sizeof forged.secret_z85);
    c = client_to(endpoint, &forged);
    ck_assert_int_eq(send_soon(c, "forged", 6), 6);
    ck_assert_int_ge(wait_event(mon, FAILED_EVENTS, &value), 0);
    assert_nothing_arrives(server);
    ck_assert_uint_eq(gale_security_zap_accepted(zap), 0);
}
END_TEST

START_TEST(test_reload_adds_and_removes)
{
    void *c = client_to(endpoint, &bob);

    ck_assert_int_eq(send_soon(c, "early", 5), 5);
    wait_refused(1);
    assert_nothing_arrives(server);
    close_socket(c);

    /* bob is added: a new connection with the same key pair gets in. */
    ck_assert_int_eq(gale_security_zap_reload(zap,
        set_of(&alice, "alice", &bob, "bob")), 0);
    c = client_to(endpoint, &bob);
    exchange(c, "let me in", "bob");
    ck_assert_uint_eq(gale_security_zap_accepted(zap), 1);

    /* alice is removed: her next connection is refused. */
    ck_assert_int_eq(gale_security_zap_reload(zap,
        set_of(&bob, "bob", NULL, NULL)), 0);
    c = client_to(endpoint, &alice);
    ck_assert_int_eq(send_soon(c, "late", 4), 4);
    wait_refused(2);
    assert_nothing_arrives(server);
    ck_assert_uint_eq(gale_security_zap_accepted(zap), 1);
}
END_TEST

START_TEST(test_server_needs_a_handler)
{
    void *s = new_socket(ZMQ_ROUTER);
    gale_security_keypair_t pub_only = alice;
    char *cause = NULL;

    ck_assert_int_eq(gale_security_server_setup(s, &server_kp, NULL),
        -EINVAL);
    pub_only.secret_z85[0] = '\0';
    ck_assert_int_eq(gale_security_server_setup(s, &pub_only, zap), -EINVAL);
    ck_assert_int_eq(gale_security_client_setup(s, &alice, "short"),
        -EINVAL);
    /* One handler per context. */
    ck_assert_ptr_null(gale_security_zap_start(ctx,
        gale_security_keyset_new(), &cause));
    ck_assert_ptr_nonnull(strstr(cause, "already has one"));
    free(cause);
}
END_TEST

/* ---- (f): key files --------------------------------------------------- */

static void
files_setup(void)
{
    strcpy(dir, "/tmp/check_security.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(gale_security_keypair_generate(&alice), 0);
    ck_assert_int_eq(gale_security_keypair_generate(&bob), 0);
}

static void
files_teardown(void)
{
    gale_rm_rf(dir);
}

/* Writes text to dir/name with mode; returns the path (static). */
static const char *
write_file(const char *name, const char *text, mode_t mode)
{
    static char path[256];
    FILE *fp;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    ck_assert_ptr_nonnull(fp = fopen(path, "w"));
    fputs(text, fp);
    ck_assert_int_eq(fclose(fp), 0);
    ck_assert_int_eq(chmod(path, mode), 0);
    return path;
}

/* Reading path as a public (secret when secret) key file fails with rc
 * and a cause containing each of want1 and want2. */
static void
assert_read_fails(const char *path, bool secret, int rc, const char *want1,
    const char *want2)
{
    char key[GALE_SECURITY_Z85_LEN + 1], *cause = NULL;
    gale_security_keypair_t kp;

    if (secret)
        ck_assert_int_eq(gale_security_secret_read(path, &kp, &cause), rc);
    else
        ck_assert_int_eq(gale_security_public_read(path, key, &cause), rc);
    ck_assert_ptr_nonnull(cause);
    ck_assert_msg(strstr(cause, want1) != NULL, "'%s' not in: %s", want1,
        cause);
    ck_assert_msg(want2 == NULL || strstr(cause, want2) != NULL,
        "'%s' not in: %s", want2, cause);
    free(cause);
}

START_TEST(test_keyfile_round_trip)
{
    char key[GALE_SECURITY_Z85_LEN + 1], path[256], *cause = NULL;
    gale_security_keypair_t back;
    struct stat st;

    ck_assert_int_eq(gale_security_keypair_write(dir, "alice", &alice,
        &cause), 0);
    snprintf(path, sizeof path, "%s/alice.key_secret", dir);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0600);
    ck_assert_int_eq(gale_security_secret_read(path, &back, &cause), 0);
    ck_assert_str_eq(back.public_z85, alice.public_z85);
    ck_assert_str_eq(back.secret_z85, alice.secret_z85);
    snprintf(path, sizeof path, "%s/alice.key", dir);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0644);
    ck_assert_int_eq(gale_security_public_read(path, key, &cause), 0);
    ck_assert_str_eq(key, alice.public_z85);
    /* Never overwritten; a bad name is refused. */
    ck_assert_int_eq(gale_security_keypair_write(dir, "alice", &bob, &cause),
        -EEXIST);
    ck_assert_ptr_nonnull(strstr(cause, "not overwriting"));
    free(cause);
    ck_assert_int_eq(gale_security_keypair_write(dir, "../x", &bob, NULL),
        -EINVAL);
    gale_security_keypair_release(&back);
    ck_assert_int_eq(back.secret_z85[0], '\0');
}
END_TEST

START_TEST(test_keyfile_bad_base85)
{
    const char *p = write_file("bad.key", "# comment\n"
        "public-key = \"rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf~\"\n", 0644);

    assert_read_fails(p, false, -EINVAL, "bad.key:2:54:",
        "'~' is not a Z85 character");
    /* Z85 characters whose group exceeds 32 bits. */
    p = write_file("big.key",
        "public-key = \"#####>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf}\"\n", 0644);
    assert_read_fails(p, false, -EINVAL, "big.key:1:15:", "exceeds 32 bits");
}
END_TEST

START_TEST(test_keyfile_wrong_length)
{
    const char *p = write_file("short.key",
        "public-key = \"rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf\"\n", 0644);

    assert_read_fails(p, false, -EINVAL, "short.key:1:",
        "is 39 characters long");
}
END_TEST

START_TEST(test_keyfile_malformed)
{
    char text[256];
    const char *p;

    p = write_file("a.key", "\n# nothing else\n", 0644);
    assert_read_fails(p, false, -EINVAL, "a.key:2:", "no public-key");
    p = write_file("b.key", "public_key: abc\n", 0644);
    assert_read_fails(p, false, -EINVAL, "b.key:1:", "expected");
    p = write_file("c.key", "colour = \"red\"\n", 0644);
    assert_read_fails(p, false, -EINVAL, "c.key:1:", "unknown setting");
    snprintf(text, sizeof text, "public-key = \"%s\"\npublic-key = \"%s\"\n",
        alice.public_z85, bob.public_z85);
    p = write_file("d.key", text, 0644);
    assert_read_fails(p, false, -EINVAL, "d.key:2:", "given twice");
    p = write_file("e.key", "public-key = \"abc\n", 0644);
    assert_read_fails(p, false, -EINVAL, "e.key:1:", "closing");
    /* A secret in a public file is refused: it is about to be shared. */
    snprintf(text, sizeof text, "public-key = \"%s\"\nsecret-key = \"%s\"\n",
        alice.public_z85, alice.secret_z85);
    p = write_file("f.key", text, 0644);
    assert_read_fails(p, false, -EINVAL, "f.key:2:", "secret key in a public");
    /* Public and secret of different pairs. */
    snprintf(text, sizeof text, "public-key = \"%s\"\nsecret-key = \"%s\"\n",
        alice.public_z85, bob.secret_z85);
    p = write_file("g.key_secret", text, 0600);
    assert_read_fails(p, true, -EINVAL, "g.key_secret:1:",
        "different key pairs");
    p = write_file("h.key_secret", "", 0600);
    assert_read_fails(p, true, -EINVAL, "h.key_secret:", "empty file");
    assert_read_fails("/nonexistent/x.key", false, -ENOENT, "/nonexistent",
        NULL);
}
END_TEST

START_TEST(test_world_readable_secret_refused)
{
    char path[256];

    ck_assert_int_eq(gale_security_keypair_write(dir, "alice", &alice,
        NULL), 0);
    snprintf(path, sizeof path, "%s/alice.key_secret", dir);
    ck_assert_int_eq(chmod(path, 0644), 0);
    assert_read_fails(path, true, -EPERM, "(mode 0644)", "chmod 600");
    ck_assert_int_eq(chmod(path, 0640), 0);
    assert_read_fails(path, true, -EPERM, "group or others", NULL);
}
END_TEST

START_TEST(test_keyset_from_dir_and_list)
{
    gale_security_keyset_t *ks;
    char sub[256], text[256], *cause = NULL;
    uint8_t key[32];
    const char *p;

    snprintf(sub, sizeof sub, "%s/keys", dir);
    ck_assert_int_eq(gale_mkdir_p(sub), 0);
    /* Empty: refused, it would let no one in. */
    ck_assert_ptr_null(gale_security_keyset_load_dir(sub, &cause));
    ck_assert_ptr_nonnull(strstr(cause, "no NAME.key files"));
    free(cause);
    ck_assert_int_eq(gale_security_keypair_write(sub, "alice", &alice, NULL),
        0);
    ck_assert_int_eq(gale_security_keypair_write(sub, "bob", &bob, NULL), 0);
    ks = gale_security_keyset_load_dir(sub, &cause);
    ck_assert_msg(ks != NULL, "%s", cause);
    ck_assert_uint_eq(gale_security_keyset_count(ks), 2);
    ck_assert_ptr_nonnull(zmq_z85_decode(key, alice.public_z85));
    ck_assert_str_eq(gale_security_keyset_find(ks, key), "alice");
    ck_assert_ptr_nonnull(zmq_z85_decode(key, bob.secret_z85));
    ck_assert_ptr_null(gale_security_keyset_find(ks, key));
    gale_security_keyset_destroy(&ks);
    ck_assert_ptr_null(ks);

    snprintf(text, sizeof text, "# the cluster\n%s\n\n  %s  # bob\n",
        alice.public_z85, bob.public_z85);
    p = write_file("list", text, 0644);
    ks = gale_security_keyset_load_list(p, &cause);
    ck_assert_msg(ks != NULL, "%s", cause);
    ck_assert_uint_eq(gale_security_keyset_count(ks), 2);
    ck_assert_ptr_nonnull(zmq_z85_decode(key, bob.public_z85));
    ck_assert_ptr_nonnull(strstr(gale_security_keyset_find(ks, key),
        "list:4"));
    gale_security_keyset_destroy(&ks);
    snprintf(text, sizeof text, "%s\n%s extra\n", alice.public_z85,
        bob.public_z85);
    p = write_file("list2", text, 0644);
    ck_assert_ptr_null(gale_security_keyset_load_list(p, &cause));
    ck_assert_ptr_nonnull(strstr(cause, "list2:2:"));
    free(cause);
}
END_TEST

START_TEST(test_mode_parse)
{
    gale_security_mode_t m;
    char *cause = NULL;

    ck_assert_int_eq(gale_security_mode_parse("none", &m, NULL), 0);
    ck_assert_int_eq(m, GALE_SECURITY_NONE);
    ck_assert_int_eq(gale_security_mode_parse("curve", &m, NULL), 0);
    ck_assert_int_eq(m, GALE_SECURITY_CURVE);
    ck_assert_str_eq(gale_security_mode_name(m), "curve");
    ck_assert_int_eq(gale_security_mode_parse("tls", &m, &cause), -EINVAL);
    ck_assert_ptr_nonnull(strstr(cause, "\"curve\" or \"none\""));
    free(cause);
    ck_assert(!gale_security_key_valid(NULL));
    ck_assert(gale_security_key_valid(alice.public_z85));
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("security");
    TCase *hs = tcase_create("handshake"), *kf = tcase_create("keyfiles");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(hs, setup, teardown);
    tcase_set_timeout(hs, 60);
    tcase_add_test(hs, test_listed_client_exchanges);
    tcase_add_test(hs, test_unlisted_client_refused);
    tcase_add_test(hs, test_null_client_refused);
    tcase_add_test(hs, test_null_and_plain_mechanisms_get_400);
    tcase_add_test(hs, test_wrong_secret_refused);
    tcase_add_test(hs, test_reload_adds_and_removes);
    tcase_add_test(hs, test_server_needs_a_handler);
    suite_add_tcase(s, hs);
    tcase_add_checked_fixture(kf, files_setup, files_teardown);
    tcase_add_test(kf, test_keyfile_round_trip);
    tcase_add_test(kf, test_keyfile_bad_base85);
    tcase_add_test(kf, test_keyfile_wrong_length);
    tcase_add_test(kf, test_keyfile_malformed);
    tcase_add_test(kf, test_world_readable_secret_refused);
    tcase_add_test(kf, test_keyset_from_dir_and_list);
    tcase_add_test(kf, test_mode_parse);
    suite_add_tcase(s, kf);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
