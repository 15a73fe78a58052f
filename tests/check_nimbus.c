/* check_nimbus.c - nimbus's durable record (engine/cluster/nimrecord) and
 * its wire (engine/cluster/nimbus): malformed requests get error replies
 * and never a crash, supervisors register and are listed, a submit that
 * does not load is refused with file:line items. tests/e2e/nimbus.sh
 * covers masters, adoption and the CLI.
 *
 * The wire tests run nimbus in a child forked before this process makes
 * any ZeroMQ context (nimbus holds one; a fork after would share it), on
 * 127.0.0.1 with security "none". No assertion is about time: every wait
 * has a generous bound only. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "common/fs.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "engine/net/cluster.h"
#include "engine/cluster/nimbus.h"
#include "engine/cluster/nimrecord.h"

#define WAIT_MS 10000

static char dir[64];

static void
setup(void)
{
    strcpy(dir, "/tmp/check_nimbus.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
    gale_rm_rf(dir);
}

/* ---- the record ------------------------------------------------------ */

START_TEST(test_record_roundtrip)
{
    char *args[] = { "-c", "topology.workers=2", "-e", "count=3" };
    gale_nimrec_t *r = gale_nimrec_new("wc", 3, "/home/u", args, 4), *back;
    char *cause = NULL, **names;
    size_t n;

    ck_assert_int_eq(gale_nimrec_save_text(dir, "wc", "name = \"wc\";\n", 13),
        0);
    r->status = GALE_NIMREC_KILLING;
    r->pid = 1234;
    r->restarts = 2;
    ck_assert_int_eq(gale_nimrec_save(dir, r), 0);
    back = gale_nimrec_load(dir, "wc", &cause);
    ck_assert_msg(back != NULL, "%s", cause);
    ck_assert_str_eq(back->name, "wc");
    ck_assert_int_eq(back->status, GALE_NIMREC_KILLING);
    ck_assert_int_eq(back->slot, 3);
    ck_assert_int_eq(back->pid, 1234);
    ck_assert_int_eq(back->restarts, 2);
    ck_assert(back->submitted == r->submitted);
    ck_assert_str_eq(back->cwd, "/home/u");
    ck_assert_uint_eq(back->nargs, 4);
    ck_assert_str_eq(back->args[1], "topology.workers=2");
    ck_assert_str_eq(back->args[3], "count=3");
    ck_assert_int_eq(gale_nimrec_list(dir, &names, &n), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(names[0], "wc");
    free(names[0]);
    free(names);
    ck_assert_int_eq(gale_nimrec_remove(dir, "wc"), 0);
    ck_assert_int_eq(gale_nimrec_list(dir, &names, &n), 0);
    ck_assert_uint_eq(n, 0);
    free(names);
    ck_assert_ptr_null(gale_nimrec_load(dir, "wc", &cause));
    free(cause);
    gale_nimrec_destroy(&back);
    gale_nimrec_destroy(&r);
    gale_nimrec_destroy(&r);                   /* accepts *NULL */
}
END_TEST

START_TEST(test_record_refusals)
{
    char *nl[] = { "-c", "a=b\nstatus=finished" }, *cause = NULL, *path;
    gale_nimrec_t *r = gale_nimrec_new("t", 0, "/", nl, 2);
    FILE *fp;

    ck_assert(gale_nimrec_name_ok("word-count_2.v1"));
    ck_assert(!gale_nimrec_name_ok(""));
    ck_assert(!gale_nimrec_name_ok(".hidden"));
    ck_assert(!gale_nimrec_name_ok("a/b"));
    ck_assert(!gale_nimrec_name_ok("a b"));
    ck_assert(gale_nimrec_live(GALE_NIMREC_ACTIVE));
    ck_assert(!gale_nimrec_live(GALE_NIMREC_FINISHED));
    ck_assert_int_eq(gale_nimrec_save_text(dir, "t", "x", 1), 0);
    /* A newline would let an option forge record lines. */
    ck_assert_int_eq(gale_nimrec_save(dir, r), -EINVAL);
    /* A damaged record is refused with file:line. */
    xasprintf(&path, "%s/topologies/t/record", dir);
    ck_assert_ptr_nonnull(fp = fopen(path, "w"));
    fputs("name=t\nslot=0\ncwd=/\nstatus=sleeping\n", fp);
    fclose(fp);
    ck_assert_ptr_null(gale_nimrec_load(dir, "t", &cause));
    ck_assert_ptr_nonnull(strstr(cause, "record:4: "));
    free(cause);
    /* A record naming another topology is not this one's. */
    ck_assert_ptr_nonnull(fp = fopen(path, "w"));
    fputs("name=other\nslot=0\ncwd=/\n", fp);
    fclose(fp);
    ck_assert_ptr_null(gale_nimrec_load(dir, "t", &cause));
    free(cause);
    free(path);
    gale_nimrec_destroy(&r);
}
END_TEST

/* ---- the wire ------------------------------------------------------- */

static volatile sig_atomic_t child_stop;

static void
on_term(int sig)
{
    (void)sig;
    child_stop = 1;
}

/* Runs nimbus on 127.0.0.1:port in a child; exits 3 when it cannot. */
static pid_t
start_nimbus(int port)
{
    static gale_cluster_member_t sup = { .name = "h1", .host = "127.0.0.1",
        .port = 6700, .key = "h1" };
    pid_t pid = fork();

    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        gale_cluster_t c = { 0 };
        gale_nimbus_opts_t o = { 0 };
        struct sigaction sa;
        char *cause = NULL, *ndir;

        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_term;
        sigaction(SIGTERM, &sa, NULL);
        log_set_level(LOG_WARN);
        xasprintf(&ndir, "%s/nimbus", dir);
        c.path = "cluster.cfg";
        c.security = GALE_SECURITY_NONE;
        c.nimbus = (gale_cluster_member_t){ .name = "nimbus",
            .host = "127.0.0.1", .port = port, .key = "nimbus" };
        c.nimbus_dir = ndir;
        c.supervisor_timeout_ms = 5000;
        c.sups = &sup;
        c.nsups = 1;
        c.ports_first = 10000;
        c.ports_per_topology = 100;
        o.cluster_path = "/nonexistent/cluster.cfg";
        o.local_masters = true;
        o.stop = &child_stop;
        _exit(gale_nimbus_run(&c, &o, &cause) == 0 ? 0 : 3);
    }
    return pid;
}

static void *zctx, *sock;
static pid_t npid;

/* Sends the n frames (NULL: end) and reads the reply into frames (up to
 * max; *got of them, each malloc()ed). false when none came in time. */
static bool
ask(const char *const *f, size_t n, char **frames, size_t max, size_t *got)
{
    zmq_pollitem_t item = { .socket = sock, .events = ZMQ_POLLIN };
    size_t i;
    int more = 1;

    for (i = 0; i < n; i++)
        ck_assert_int_ge(zmq_send(sock, f[i], strlen(f[i]),
            i + 1 < n ? ZMQ_SNDMORE : 0), 0);
    *got = 0;
    if (zmq_poll(&item, 1, WAIT_MS) != 1)
        return false;
    while (more) {
        zmq_msg_t m;

        zmq_msg_init(&m);
        ck_assert_int_ge(zmq_msg_recv(&m, sock, 0), 0);
        more = zmq_msg_more(&m);
        if (*got < max)
            frames[(*got)++] = xstrndup(zmq_msg_data(&m), zmq_msg_size(&m));
        zmq_msg_close(&m);
    }
    return true;
}

static void
free_frames(char **frames, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        free(frames[i]);
}

/* Starts nimbus (another port when one is taken) and connects to it. */
static void
wire_setup(void)
{
    const char *list[] = { GALE_NIMBUS_MAGIC, "list" };
    char ep[64], *frames[8];
    int attempt, linger = 0, st;
    size_t got;

    setup();
    srand((unsigned)getpid() ^ (unsigned)time(NULL));
    for (attempt = 0; attempt < 10; attempt++) {
        /* Above the ephemeral ports (to 60999) and apart from the e2e
         * tests' ranges below them. */
        int port = 61000 + rand() % 4000;

        npid = start_nimbus(port);
        zctx = zmq_ctx_new();
        sock = zmq_socket(zctx, ZMQ_DEALER);
        zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
        snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
        ck_assert_int_eq(zmq_connect(sock, ep), 0);
        if (ask(list, 2, frames, 8, &got)) {
            ck_assert_uint_ge(got, 3);
            ck_assert_str_eq(frames[1], "ok");
            ck_assert_str_eq(frames[2], "0 topologies");
            free_frames(frames, got);
            return;
        }
        zmq_close(sock);
        zmq_ctx_term(zctx);
        kill(npid, SIGKILL);
        waitpid(npid, &st, 0);
    }
    ck_abort_msg("nimbus did not answer on any port");
}

static void
wire_teardown(void)
{
    int st = -1;

    zmq_close(sock);
    zmq_ctx_term(zctx);
    kill(npid, SIGTERM);
    ck_assert_int_eq(waitpid(npid, &st, 0), npid);
    /* It stopped because it was asked to, not because it crashed. */
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    teardown();
}

/* Asserts an error reply to f whose text contains what. */
static void
assert_error(const char *const *f, size_t n, const char *what)
{
    char *frames[8];
    size_t got;

    ck_assert(ask(f, n, frames, 8, &got));
    ck_assert_uint_ge(got, 3);
    ck_assert_str_eq(frames[0], GALE_NIMBUS_MAGIC);
    ck_assert_str_eq(frames[1], "error");
    ck_assert_msg(strstr(frames[2], what) != NULL, "'%s' lacks '%s'",
        frames[2], what);
    free_frames(frames, got);
}

START_TEST(test_wire_malformed)
{
    const char *junk[] = { "hello" };
    const char *wrong[] = { "GALE-NIMBUS0", "list" };
    const char *unknown[] = { GALE_NIMBUS_MAGIC, "explode" };
    const char *kill0[] = { GALE_NIMBUS_MAGIC, "kill" };
    const char *killbad[] = { GALE_NIMBUS_MAGIC, "kill", "x", "soon" };
    const char *act[] = { GALE_NIMBUS_MAGIC, "activate", "nothing" };
    const char *reb[] = { GALE_NIMBUS_MAGIC, "rebalance", "nothing" };
    const char *sub[] = { GALE_NIMBUS_MAGIC, "submit", "f.cfg" };
    const char *opt[] = { GALE_NIMBUS_MAGIC, "submit", "f.cfg",
        "name = \"t\";", "/", "--exec-this", "sh" };
    const char *rel[] = { GALE_NIMBUS_MAGIC, "submit", "f.cfg",
        "name = \"t\";", "relative/dir" };
    const char *many[1100];
    size_t i;

    assert_error(junk, 1, "malformed request");
    assert_error(wrong, 2, "malformed request");
    assert_error(unknown, 2, "unknown verb `explode`");
    assert_error(kill0, 2, "expected 2 argument(s)");
    assert_error(killbad, 4, "no topology called `x`");
    assert_error(act, 3, "no topology called `nothing`");
    assert_error(reb, 3, "expected 2 argument(s)");
    assert_error(sub, 3, "expected SOURCE, TEXT, CWD");
    assert_error(opt, 7, "`--exec-this` is not a run option");
    assert_error(rel, 5, "absolute path");
    many[0] = GALE_NIMBUS_MAGIC;
    for (i = 1; i < sizeof many / sizeof many[0]; i++)
        many[i] = "list";
    assert_error(many, sizeof many / sizeof many[0], "at most");
}
END_TEST

START_TEST(test_wire_submit_refused)
{
    const char *bad[] = { GALE_NIMBUS_MAGIC, "submit", "/u/bad.cfg",
        "name = \"t\";\nspouts = ( { id = 3 } );\n", "/" };
    const char *inc[] = { GALE_NIMBUS_MAGIC, "submit", "/u/inc.cfg",
        "name = \"t\";\n  @include \"more.cfg\"\n", "/" };
    char *frames[16];
    size_t got;

    ck_assert(ask(bad, 5, frames, 16, &got));
    ck_assert_uint_ge(got, 4);
    ck_assert_str_eq(frames[1], "error");
    ck_assert_msg(strncmp(frames[3], "/u/bad.cfg:", 11) == 0, "item '%s'",
        frames[3]);
    free_frames(frames, got);
    ck_assert(ask(inc, 5, frames, 16, &got));
    ck_assert_uint_eq(got, 4);
    ck_assert_str_eq(frames[1], "error");
    ck_assert_msg(strncmp(frames[3], "/u/inc.cfg:2: @include", 22) == 0,
        "item '%s'", frames[3]);
    free_frames(frames, got);
}
END_TEST

/* Sends the n frames and expects no reply. */
static void
tell(const char *const *f, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        ck_assert_int_ge(zmq_send(sock, f[i], strlen(f[i]),
            i + 1 < n ? ZMQ_SNDMORE : 0), 0);
}

START_TEST(test_wire_supervisors)
{
    const char *reg[] = { GALE_NIMBUS_MAGIC, "register", "h1", "10.0.0.11",
        "6700", "4242", "3" };
    const char *stranger[] = { GALE_NIMBUS_MAGIC, "register", "zz", "h",
        "1", "2", "3" };
    const char *badreg[] = { GALE_NIMBUS_MAGIC, "register", "h1", "h",
        "port", "2", "3" };
    const char *sups[] = { GALE_NIMBUS_MAGIC, "supervisors" };
    char *frames[8];
    size_t got;

    /* No replies to these: a supervisor's announcements are one-way. A
     * stranger (not in the cluster file) and a malformed one are ignored.
     * One DEALER's messages arrive in order, so the supervisors request
     * is answered after all three were handled. */
    tell(reg, 7);
    tell(stranger, 7);
    tell(badreg, 7);
    ck_assert(ask(sups, 2, frames, 8, &got));
    ck_assert_uint_eq(got, 4);
    ck_assert_str_eq(frames[1], "ok");
    ck_assert_str_eq(frames[2], "1 supervisors");
    ck_assert_msg(strncmp(frames[3], "name=h1 host=10.0.0.11 port=6700 "
        "pid=4242 workers=3 ", 50) == 0, "item '%s'", frames[3]);
    ck_assert_ptr_nonnull(strstr(frames[3], "alive=yes"));
    free_frames(frames, got);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("nimbus");
    TCase *rec = tcase_create("record"), *wire = tcase_create("wire");
    SRunner *sr = srunner_create(s);
    int failed;

    tcase_add_checked_fixture(rec, setup, teardown);
    tcase_add_test(rec, test_record_roundtrip);
    tcase_add_test(rec, test_record_refusals);
    suite_add_tcase(s, rec);
    /* Checked: the fixture forks nimbus in each test's own process. */
    tcase_add_checked_fixture(wire, wire_setup, wire_teardown);
    tcase_set_timeout(wire, 60);
    tcase_add_test(wire, test_wire_malformed);
    tcase_add_test(wire, test_wire_submit_refused);
    tcase_add_test(wire, test_wire_supervisors);
    suite_add_tcase(s, wire);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
