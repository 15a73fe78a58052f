/* check_supervisor.c - the supervisor daemon and its client: a daemon is
 * forked per test (before this process makes a ZeroMQ context) on
 * 127.0.0.1, with a cluster file written to a temporary directory, and
 * its "worker" program is a shell script that runs its last argument, so
 * the tests spawn shell snippets instead of topologies. */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <zmq.h>

#include "common/fs.h"
#include "common/xalloc.h"
#include "engine/net/cluster.h"
#include "engine/net/netsec.h"
#include "engine/run/supclient.h"
#include "engine/cluster/supervisor.h"
#include "engine/transport/outlet.h"
#include "engine/net/security.h"
#include "tests/testutil.h"

#define WAIT_NS 15000000000ull      /* upper bound of any wait here */
#define SPAWN_MS 10000

static char dir[PATH_MAX];          /* the test's directory (real path) */
static char cluster[PATH_MAX + 32];      /* DIR/cluster.cfg */
static char exe[PATH_MAX + 32];          /* DIR/fake-worker */
static int port, nimbus_port;
static pid_t sup_pid;               /* the daemon, 0 when stopped */
static bool self_exe;               /* the daemon runs its default program */
static void *zctx;
static gale_cluster_t *c;
static gale_supclient_t *sc;

/* The contents of path (caller frees), or NULL. */
static char *
slurp(const char *path)
{
    FILE *fp = fopen(path, "r");
    char *buf;
    size_t n;

    if (fp == NULL)
        return NULL;
    buf = xcalloc(1, 1 << 16);
    n = fread(buf, 1, (1 << 16) - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

/* Writes the cluster file with security sec ("none" or "curve"). */
static void
write_cluster(const char *sec)
{
    char *text;

    xasprintf(&text,
        "security = \"%s\";\n"
        "%s"
        "nimbus = { host = \"127.0.0.1\"; port = %d; dir = \"nimbus\"; };\n"
        "supervisor = { dir = \"sup\"; timeout_ms = 2000; };\n"
        "supervisors = ( { name = \"h1\"; host = \"127.0.0.1\"; "
        "port = %d; } );\n", sec,
        strcmp(sec, "curve") == 0 ? "keys = \"keys\";\n" : "", nimbus_port,
        port);
    test_write_text(cluster, text, 0644);
    free(text);
}

static void
make_dir(void)
{
    char tmpl[] = "/tmp/check_supervisor.XXXXXX";

    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    ck_assert_ptr_nonnull(realpath(tmpl, dir));
    snprintf(cluster, sizeof cluster, "%s/cluster.cfg", dir);
    snprintf(exe, sizeof exe, "%s/fake-worker", dir);
    /* Run as `EXE worker FILE ARG`: checks its first two arguments, then
     * runs ARG with $file set. */
    test_write_text(exe, "#!/bin/sh\n"
        "[ \"$1\" = worker ] || exit 99\n"
        "file=$2\n"
        "shift 2\n"
        "eval \"$1\"\n", 0755);
    port = test_free_port();
    nimbus_port = test_free_port();
}

/* Forks the daemon (this process must have no ZeroMQ context yet). A
 * stale GALE_WORKER_SPEC in its environment must not reach workers. */
static void
start_supervisor(void)
{
    gale_cluster_t *cc;
    char *cause = NULL;
    int rc;

    sup_pid = fork();
    ck_assert_int_ge(sup_pid, 0);
    if (sup_pid > 0)
        return;
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    setenv("GALE_WORKER_SPEC", "stale=1", 1);
    if ((cc = gale_cluster_load(cluster, &cause)) == NULL) {
        fprintf(stderr, "supervisor: %s\n", cause);
        _exit(3);
    }
    rc = gale_supervisor_run(cc, "h1", cluster, self_exe ? NULL : exe,
        &cause);
    if (rc != 0)
        fprintf(stderr, "supervisor: %s\n", cause);
    free(cause);
    gale_cluster_destroy(&cc);
    _exit(rc == 0 ? 0 : 3);
}

/* Stops the daemon with SIGTERM; returns its wait status. */
static int
stop_supervisor(void)
{
    uint64_t until = gale_now_ns() + WAIT_NS;
    int st = -1;
    pid_t r;

    if (sup_pid <= 0)
        return -1;
    kill(sup_pid, SIGTERM);
    while ((r = waitpid(sup_pid, &st, WNOHANG)) == 0 && gale_now_ns() < until)
        usleep(10000);
    if (r == 0) {
        kill(sup_pid, SIGKILL);
        waitpid(sup_pid, &st, 0);
        st = -1;
    }
    sup_pid = 0;
    return st;
}

static void
open_client(void)
{
    char *cause = NULL;

    c = gale_cluster_load(cluster, &cause);
    ck_assert_msg(c != NULL, "%s", cause);
    ck_assert_ptr_nonnull(zctx = zmq_ctx_new());
    ck_assert_ptr_nonnull(sc = gale_supclient_new(zctx, c));
}

static void
setup(void)
{
    make_dir();
    write_cluster("none");
    start_supervisor();
    open_client();
}

static void
teardown(void)
{
    gale_supclient_destroy(&sc);
    if (zctx != NULL)
        zmq_ctx_term(zctx);
    zctx = NULL;
    stop_supervisor();
    self_exe = false;
    gale_cluster_destroy(&c);
    gale_rm_rf(dir);
}

/* Pings until a reply comes (true) or WAIT_NS passes. */
static bool
wait_answer(gale_supclient_t *cl)
{
    uint64_t until = gale_now_ns() + WAIT_NS, now;

    while ((now = gale_now_ns()) < until) {
        gale_supclient_poll(cl, now, 20);
        /* Heard at exactly now: a reply was read by this poll. */
        if (gale_supclient_alive(cl, 0, now, 0))
            return true;
        usleep(5000);
    }
    return false;
}

/* Supervisor 0's entry for t/w/e in the last ping, or NULL. */
static const gale_sup_worker_t *
find(const char *t, int w, uint32_t e)
{
    const gale_sup_worker_t *ws;
    int n, i;

    ws = gale_supclient_workers(sc, 0, &n);
    for (i = 0; i < n; i++)
        if (strcmp(ws[i].topology, t) == 0 && ws[i].worker == w &&
            ws[i].epoch == e)
            return &ws[i];
    return NULL;
}

/* The number of supervisor 0's entries for t in the last ping. */
static int
count(const char *t)
{
    const gale_sup_worker_t *ws;
    int n, i, k = 0;

    ws = gale_supclient_workers(sc, 0, &n);
    for (i = 0; i < n; i++)
        k += strcmp(ws[i].topology, t) == 0;
    return k;
}

/* Pings until t/w/e is listed in state exited (0 running, 1 exit, 2
 * signal) with status (when exited). false after WAIT_NS. */
static bool
wait_state(const char *t, int w, uint32_t e, int exited, int status)
{
    uint64_t until = gale_now_ns() + WAIT_NS, now;
    const gale_sup_worker_t *x;

    while ((now = gale_now_ns()) < until) {
        gale_supclient_poll(sc, now, 20);
        if ((x = find(t, w, e)) != NULL && x->exited == exited &&
            (exited == 0 || x->status == status))
            return true;
        usleep(5000);
    }
    return false;
}

/* Pings until t has n entries. false after WAIT_NS. */
static bool
wait_count(const char *t, int n)
{
    uint64_t until = gale_now_ns() + WAIT_NS, now;

    while ((now = gale_now_ns()) < until) {
        gale_supclient_poll(sc, now, 20);
        if (wait_answer(sc) && count(t) == n)
            return true;
        usleep(5000);
    }
    return false;
}

/* Spawns shell snippet cmd as worker w of t at epoch e; returns its pid. */
static int
spawn(const char *t, int w, uint32_t e, const char *cwd, const char *cmd)
{
    char *const argv[] = { (char *)cmd, NULL };
    char *cause = NULL;
    int pid = 0, rc;

    rc = gale_supclient_spawn(sc, 0, t, w, e, cwd, "name = \"t\";\n",
        "worker=0;epoch=1", argv, SPAWN_MS, &pid, &cause);
    ck_assert_msg(rc == 0, "spawn: %s", cause);
    ck_assert_int_gt(pid, 0);
    return pid;
}

static bool
gone(int pid)
{
    return kill(pid, 0) != 0 && errno == ESRCH;
}

START_TEST(test_ping_answers)
{
    int n = -1;

    ck_assert(wait_answer(sc));
    gale_supclient_workers(sc, 0, &n);
    ck_assert_int_eq(n, 0);
}
END_TEST

START_TEST(test_spawn_runs_worker)
{
    char path[PATH_MAX + 64], *s, *want;
    const char *file = "name = \"t\";\n";

    spawn("wc", 0, 1, dir, "echo \"$GALE_WORKER_SPEC\" > spec.txt; "
        "pwd > pwd.txt; cat \"$file\" > file.txt; echo hello; "
        "echo oops >&2; exit 3");
    ck_assert(wait_state("wc", 0, 1, 1, 3));

    snprintf(path, sizeof path, "%s/spec.txt", dir);
    ck_assert_ptr_nonnull(s = slurp(path));
    xasprintf(&want, "worker=0;epoch=1;cluster=%s;self=h1\n", cluster);
    ck_assert_str_eq(s, want);
    free(want);
    free(s);
    snprintf(path, sizeof path, "%s/pwd.txt", dir);
    ck_assert_ptr_nonnull(s = slurp(path));
    xasprintf(&want, "%s\n", dir);
    ck_assert_str_eq(s, want);
    free(want);
    free(s);
    snprintf(path, sizeof path, "%s/file.txt", dir);
    ck_assert_ptr_nonnull(s = slurp(path));
    ck_assert_str_eq(s, file);
    free(s);
    snprintf(path, sizeof path, "%s/sup/h1/wc/topology.cfg", dir);
    ck_assert_ptr_nonnull(s = slurp(path));
    ck_assert_str_eq(s, file);
    free(s);
    snprintf(path, sizeof path, "%s/sup/h1/wc/worker-0.log", dir);
    ck_assert_ptr_nonnull(s = slurp(path));
    ck_assert_ptr_nonnull(strstr(s, "hello\n"));
    ck_assert_ptr_nonnull(strstr(s, "oops\n"));
    free(s);
}
END_TEST

START_TEST(test_missing_cwd_runs_in_topology_dir)
{
    char path[PATH_MAX + 64], *s, *want;

    spawn("wc", 2, 1, "/nonexistent/dir", "pwd > pwd.txt");
    ck_assert(wait_state("wc", 2, 1, 1, 0));
    snprintf(path, sizeof path, "%s/sup/h1/wc/pwd.txt", dir);
    ck_assert_ptr_nonnull(s = slurp(path));
    xasprintf(&want, "%s/sup/h1/wc\n", dir);
    ck_assert_str_eq(s, want);
    free(want);
    free(s);
}
END_TEST

START_TEST(test_log_is_appended)
{
    char path[PATH_MAX + 64], *s;

    spawn("wc", 0, 1, dir, "echo first");
    ck_assert(wait_state("wc", 0, 1, 1, 0));
    spawn("wc", 0, 2, dir, "echo second");
    ck_assert(wait_state("wc", 0, 2, 1, 0));
    snprintf(path, sizeof path, "%s/sup/h1/wc/worker-0.log", dir);
    ck_assert_ptr_nonnull(s = slurp(path));
    ck_assert_ptr_nonnull(strstr(s, "first\n"));
    ck_assert_ptr_nonnull(strstr(s, "second\n"));
    ck_assert(strstr(s, "first\n") < strstr(s, "second\n"));
    free(s);
}
END_TEST

START_TEST(test_kill_reaps)
{
    int pid = spawn("wc", 0, 1, dir, "exec sleep 60");

    ck_assert(wait_state("wc", 0, 1, 0, 0));
    ck_assert_int_eq(find("wc", 0, 1)->pid, pid);
    gale_supclient_kill(sc, 0, "wc", 1);
    ck_assert(wait_count("wc", 0));
    ck_assert(gone(pid));
}
END_TEST

START_TEST(test_kill_outlives_client)
{
    int p1 = spawn("wc", 0, 1, dir, "exec sleep 60");
    int p2 = spawn("wc", 1, 1, dir, "exec sleep 60");

    ck_assert(wait_count("wc", 2));
    /* A master's last words: a kill, then the client goes. */
    gale_supclient_kill(sc, 0, "wc", 0);
    gale_supclient_destroy(&sc);
    ck_assert_ptr_nonnull(sc = gale_supclient_new(zctx, c));
    ck_assert(wait_count("wc", 0));
    ck_assert(gone(p1));
    ck_assert(gone(p2));
    /* A kill asked for before a new client is connected goes later. */
    p1 = spawn("wc", 0, 2, dir, "exec sleep 60");
    gale_supclient_destroy(&sc);
    ck_assert_ptr_nonnull(sc = gale_supclient_new(zctx, c));
    gale_supclient_kill(sc, 0, "wc", 2);
    ck_assert(wait_answer(sc));
    ck_assert(wait_count("wc", 0));
    ck_assert(gone(p1));
}
END_TEST

START_TEST(test_kill_all_epochs)
{
    int p1 = spawn("wc", 0, 1, dir, "exec sleep 60");
    int p2 = spawn("wc", 1, 1, dir, "exec sleep 60");
    int p3 = spawn("other", 0, 1, dir, "exec sleep 60");

    ck_assert(wait_count("wc", 2));
    gale_supclient_kill(sc, 0, "wc", 0);
    ck_assert(wait_count("wc", 0));
    ck_assert(gone(p1));
    ck_assert(gone(p2));
    /* Another topology's worker is left alone. */
    ck_assert(wait_state("other", 0, 1, 0, 0));
    ck_assert(!gone(p3));
}
END_TEST

START_TEST(test_signal_shows_in_ping)
{
    spawn("wc", 0, 1, dir, "kill -9 $$");
    ck_assert(wait_state("wc", 0, 1, 2, 9));
}
END_TEST

START_TEST(test_new_epoch_replaces_older)
{
    int p1 = spawn("wc", 0, 1, dir, "exec sleep 60");
    int p2 = spawn("wc", 1, 1, dir, "exec sleep 60");
    int p3;

    /* An exited worker of epoch 1 is replaced as well. */
    spawn("wc", 2, 1, dir, "exit 4");
    ck_assert(wait_state("wc", 2, 1, 1, 4));
    p3 = spawn("wc", 0, 2, dir, "exec sleep 60");
    /* spawn kills and reaps before it replies. */
    ck_assert(gone(p1));
    ck_assert(gone(p2));
    ck_assert(wait_count("wc", 1));
    ck_assert(wait_state("wc", 0, 2, 0, 0));
    ck_assert_int_eq(find("wc", 0, 2)->pid, p3);
    /* kill of an older epoch leaves the newer one running. */
    gale_supclient_kill(sc, 0, "wc", 1);
    ck_assert(wait_answer(sc));
    ck_assert(wait_state("wc", 0, 2, 0, 0));
    ck_assert(!gone(p3));
}
END_TEST

START_TEST(test_same_worker_replaced)
{
    int p1 = spawn("wc", 0, 3, dir, "exec sleep 60");
    int p2 = spawn("wc", 0, 3, dir, "exec sleep 60");

    ck_assert_int_ne(p1, p2);
    ck_assert(gone(p1));
    ck_assert(wait_count("wc", 1));
    ck_assert_int_eq(find("wc", 0, 3)->pid, p2);
}
END_TEST

START_TEST(test_exited_entries_capped)
{
    char t[16];
    int i;

    for (i = 0; i < 70; i++) {
        snprintf(t, sizeof t, "t%d", i);
        spawn(t, 0, 1, dir, "exit 0");
    }
    /* All 70 end; 64 of them stay listed. */
    {
        uint64_t until = gale_now_ns() + WAIT_NS, now;
        const gale_sup_worker_t *ws;
        int n = 0, k, nexited = 0;

        while ((now = gale_now_ns()) < until) {
            gale_supclient_poll(sc, now, 20);
            ws = gale_supclient_workers(sc, 0, &n);
            for (k = nexited = 0; k < n; k++)
                nexited += ws[k].exited != 0;
            if (n == 64 && nexited == 64)
                break;
            usleep(5000);
        }
        ck_assert_int_eq(n, 64);
        ck_assert_int_eq(nexited, 64);
    }
}
END_TEST

START_TEST(test_stop_kills_workers)
{
    int pid = spawn("wc", 0, 1, dir, "exec sleep 60"), st;

    ck_assert(wait_state("wc", 0, 1, 0, 0));
    st = stop_supervisor();
    ck_assert(WIFEXITED(st));
    ck_assert_int_eq(WEXITSTATUS(st), 0);
    ck_assert(gone(pid));
}
END_TEST

START_TEST(test_bad_spawn_through_client)
{
    char *const argv[] = { NULL };
    char *cause = NULL;
    int pid = 0;

    ck_assert_int_eq(gale_supclient_spawn(sc, 0, "../escape", 0, 1, dir,
        "x", "s", argv, SPAWN_MS, &pid, &cause), -1);
    ck_assert_ptr_nonnull(strstr(cause, "topology name"));
    free(cause);
    cause = NULL;
    ck_assert_int_eq(gale_supclient_spawn(sc, 0, "wc", -1, 1, dir,
        "x", "s", argv, SPAWN_MS, &pid, &cause), -1);
    ck_assert_ptr_nonnull(strstr(cause, "must be numbers"));
    free(cause);
    ck_assert_int_eq(pid, 0);
}
END_TEST

/* Sends the n frames (lens[i] bytes each; -1: strlen) on DEALER d and
 * reads the reply; returns its status frame ("ok"/"error", caller frees)
 * after checking the protocol frame, or NULL when no reply came. */
static char *
raw_request(void *d, const char *const *frames, const ssize_t *lens, int n)
{
    zmq_pollitem_t it = { d, 0, ZMQ_POLLIN, 0 };
    char buf[256], *status = NULL;
    int i, more, r;

    for (i = 0; i < n; i++) {
        size_t len = lens != NULL && lens[i] >= 0 ? (size_t)lens[i] :
            strlen(frames[i]);

        ck_assert_int_eq(zmq_send(d, frames[i], len,
            i + 1 < n ? ZMQ_SNDMORE : 0), (int)len);
    }
    if (zmq_poll(&it, 1, 10000) != 1)
        return NULL;
    for (i = 0, more = 1; more; i++) {
        size_t sz = sizeof more;

        ck_assert_int_ge(r = zmq_recv(d, buf, sizeof buf - 1, 0), 0);
        buf[r < (int)sizeof buf - 1 ? r : (int)sizeof buf - 1] = '\0';
        if (i == 0)
            ck_assert_str_eq(buf, "GALE-SUP1");
        if (i == 3)
            status = xstrdup(buf);
        zmq_getsockopt(d, ZMQ_RCVMORE, &more, &sz);
    }
    ck_assert_int_ge(i, 5);
    return status;
}

static void
expect_error(void *d, const char *const *frames, const ssize_t *lens, int n)
{
    char *status = raw_request(d, frames, lens, n);

    ck_assert_ptr_nonnull(status);
    ck_assert_str_eq(status, "error");
    free(status);
}

START_TEST(test_malformed_requests_get_errors)
{
    void *d = zmq_socket(zctx, ZMQ_DEALER);
    char ep[64], *big = xmalloc(100000), *status;
    const char *many[100];
    int zero = 0, i;

    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    zmq_setsockopt(d, ZMQ_LINGER, &zero, sizeof zero);
    ck_assert_int_eq(zmq_connect(d, ep), 0);
    memset(big, 'a', 100000);
    {
        const char *f[] = { "" };
        expect_error(d, f, NULL, 1);
    }
    {
        const char *f[] = { "NOPE", "ping", "1" };
        expect_error(d, f, NULL, 3);
    }
    {
        const char *f[] = { "GALE-SUP1", "ping" };
        expect_error(d, f, NULL, 2);
    }
    {
        const char *f[] = { "GALE-SUP1", "ping", "x1" };
        expect_error(d, f, NULL, 3);
    }
    {
        const char *f[] = { "GALE-SUP1", "ping", "2", "extra" };
        expect_error(d, f, NULL, 4);
    }
    {
        const char *f[] = { "GALE-SUP1", "frob", "3" };
        expect_error(d, f, NULL, 3);
    }
    {
        const char *f[] = { "GALE-SUP1", "spawn", "4", "wc" };
        expect_error(d, f, NULL, 4);
    }
    {
        const char *f[] = { "GALE-SUP1", "spawn", "5", "..", "0", "1", "",
            "x", "s" };
        expect_error(d, f, NULL, 9);
    }
    {
        const char *f[] = { "GALE-SUP1", "spawn", "6", "wc", "zero", "1", "",
            "x", "s" };
        expect_error(d, f, NULL, 9);
    }
    {
        const char *f[] = { "GALE-SUP1", "spawn", "7", "wc", "0",
            "99999999999999999999999", "", "x", "s" };
        expect_error(d, f, NULL, 9);
    }
    {
        const char *f[] = { "GALE-SUP1", "spawn", "8", "wc", "0", "1", "",
            "x\0y", "s" };
        const ssize_t l[] = { -1, -1, -1, -1, -1, -1, -1, 3, -1 };
        expect_error(d, f, l, 9);
    }
    {
        const char *f[] = { "GALE-SUP1", "spawn", "9", big, "0", "1", "",
            "x", "s" };
        const ssize_t l[] = { -1, -1, -1, 100000, -1, -1, -1, -1, -1 };
        expect_error(d, f, l, 9);
    }
    {
        const char *f[] = { "GALE-SUP1", "kill", "10", "wc" };
        expect_error(d, f, NULL, 4);
    }
    {
        const char *f[] = { "GALE-SUP1", "kill", "11", "wc", "-1" };
        expect_error(d, f, NULL, 5);
    }
    many[0] = "GALE-SUP1";
    many[1] = "spawn";
    many[2] = "12";
    many[3] = "wc";
    many[4] = "0";
    many[5] = "1";
    for (i = 6; i < 100; i++)
        many[i] = "x";
    expect_error(d, many, NULL, 100);
    {
        /* Still serving, and nothing was started. */
        const char *f[] = { "GALE-SUP1", "ping", "13" };
        ck_assert_ptr_nonnull(status = raw_request(d, f, NULL, 3));
        ck_assert_str_eq(status, "ok");
        free(status);
    }
    ck_assert(wait_count("wc", 0));
    ck_assert_int_eq(waitpid(sup_pid, NULL, WNOHANG), 0);
    zmq_close(d);
    free(big);
}
END_TEST

static void
self_setup(void)
{
    self_exe = true;
    setup();
}

/* By default the daemon runs its own program (this test binary, which
 * main turns into a fake worker when its first argument is "worker"). */
START_TEST(test_default_program_is_self)
{
    char path[PATH_MAX + 16];

    spawn("wc", 0, 1, dir, "touch by-self");
    ck_assert(wait_state("wc", 0, 1, 1, 0));
    snprintf(path, sizeof path, "%s/by-self", dir);
    ck_assert_int_eq(access(path, F_OK), 0);
}
END_TEST

START_TEST(test_registers_with_nimbus)
{
    void *r = zmq_socket(zctx, ZMQ_ROUTER);
    zmq_pollitem_t it = { r, 0, ZMQ_POLLIN, 0 };
    char ep[64], buf[64], want[3][16];
    const char *fixed[] = { "GALE-NIMBUS1", "register", "h1", "127.0.0.1" };
    int zero = 0, i, n, more = 1;
    size_t sz = sizeof more;

    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", nimbus_port);
    zmq_setsockopt(r, ZMQ_LINGER, &zero, sizeof zero);
    ck_assert_int_eq(zmq_bind(r, ep), 0);
    ck_assert_int_eq(zmq_poll(&it, 1, 15000), 1);
    snprintf(want[0], sizeof want[0], "%d", port);
    snprintf(want[1], sizeof want[1], "%d", (int)sup_pid);
    snprintf(want[2], sizeof want[2], "0");
    for (i = 0; more; i++) {
        ck_assert_int_ge(n = zmq_recv(r, buf, sizeof buf - 1, 0), 0);
        buf[n < (int)sizeof buf - 1 ? n : (int)sizeof buf - 1] = '\0';
        if (i >= 1 && i <= 4)
            ck_assert_str_eq(buf, fixed[i - 1]);
        else if (i >= 5 && i <= 7)
            ck_assert_str_eq(buf, want[i - 5]);
        zmq_getsockopt(r, ZMQ_RCVMORE, &more, &sz);
    }
    ck_assert_int_eq(i, 8);     /* the routing id and 7 frames */
    zmq_close(r);
}
END_TEST

/* ---- curve -------------------------------------------------------------- */

static void
curve_setup(void)
{
    gale_security_keypair_t kp;
    const char *names[] = { "h1", "nimbus" };
    char keys[PATH_MAX + 16], other[PATH_MAX + 16], *cause = NULL;
    int i;

    make_dir();
    snprintf(keys, sizeof keys, "%s/keys", dir);
    snprintf(other, sizeof other, "%s/other", dir);
    ck_assert_int_eq(gale_mkdir_p(keys), 0);
    ck_assert_int_eq(gale_mkdir_p(other), 0);
    for (i = 0; i < 2; i++) {
        ck_assert_int_eq(gale_security_keypair_generate(&kp), 0);
        ck_assert_msg(gale_security_keypair_write(keys, names[i], &kp,
            &cause) == 0, "%s", cause);
    }
    ck_assert_int_eq(gale_security_keypair_generate(&kp), 0);
    ck_assert_int_eq(gale_security_keypair_write(other, "intruder", &kp,
        NULL), 0);
    gale_security_keypair_release(&kp);
    write_cluster("curve");
    start_supervisor();
}

static void
curve_teardown(void)
{
    stop_supervisor();
    gale_rm_rf(dir);
}

/* In a child process (netsec is set once per process): runs as key pair
 * self, pings and, when spawn, asks for a worker that touches DIR/pwned.
 * Exits 0 when answered (and spawned), 1 when nothing answered, 2
 * otherwise. */
static int
client_as(const char *self, int wait_ms, bool spawn)
{
    pid_t pid = fork();
    int st;

    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        char *const argv[] = { (char *)"touch pwned", NULL };
        gale_cluster_t *cc;
        gale_supclient_t *cl;
        char *cause = NULL;
        uint64_t until;
        void *z;
        int wpid = 0, rc, answered = 0;

        if ((cc = gale_cluster_load(cluster, &cause)) == NULL ||
            gale_netsec_init(cc, self, &cause) != 0) {
            fprintf(stderr, "client: %s\n", cause);
            _exit(2);
        }
        z = zmq_ctx_new();
        cl = gale_supclient_new(z, cc);
        until = gale_now_ns() + (uint64_t)wait_ms * 1000000u;
        while (!answered && gale_now_ns() < until) {
            uint64_t now = gale_now_ns();

            gale_supclient_poll(cl, now, 20);
            answered = gale_supclient_alive(cl, 0, now, 0);
            usleep(5000);
        }
        rc = spawn ? gale_supclient_spawn(cl, 0, "wc", 0, 1, dir, "x", "s",
            argv, wait_ms, &wpid, &cause) : answered ? 0 : -1;
        gale_supclient_destroy(&cl);
        zmq_ctx_term(z);
        gale_cluster_destroy(&cc);
        if (answered && rc == 0)
            _exit(0);
        _exit(!answered && rc != 0 ? 1 : 2);
    }
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFEXITED(st));
    return WEXITSTATUS(st);
}

START_TEST(test_curve_listed_key_answers)
{
    char path[PATH_MAX + 16];
    uint64_t until = gale_now_ns() + WAIT_NS;

    ck_assert_int_eq(client_as("nimbus", 15000, true), 0);
    snprintf(path, sizeof path, "%s/pwned", dir);
    while (access(path, F_OK) != 0 && gale_now_ns() < until)
        usleep(10000);
    ck_assert_int_eq(access(path, F_OK), 0);
}
END_TEST

START_TEST(test_curve_unlisted_key_refused)
{
    char self[PATH_MAX + 64], path[PATH_MAX + 16];

    /* The daemon answers a listed key (so it is up)... */
    ck_assert_int_eq(client_as("nimbus", 15000, false), 0);
    /* ...and neither answers nor obeys a key that is not in keys/. */
    snprintf(self, sizeof self, "%s/other/intruder.key_secret", dir);
    ck_assert_int_eq(client_as(self, 1500, true), 1);
    snprintf(path, sizeof path, "%s/pwned", dir);
    ck_assert_int_ne(access(path, F_OK), 0);
}
END_TEST

int
main(int argc, char **argv)
{
    Suite *s;
    TCase *tc, *self, *cv;
    SRunner *sr;
    int failed;

    /* Started by the daemon as `check_supervisor worker FILE CMD`. */
    if (argc == 4 && strcmp(argv[1], "worker") == 0) {
        execl("/bin/sh", "sh", "-c", argv[3], (char *)NULL);
        return 127;
    }
    s = suite_create("supervisor");
    tc = tcase_create("daemon");
    self = tcase_create("self");
    cv = tcase_create("curve");
    sr = srunner_create(s);

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_ping_answers);
    tcase_add_test(tc, test_spawn_runs_worker);
    tcase_add_test(tc, test_missing_cwd_runs_in_topology_dir);
    tcase_add_test(tc, test_log_is_appended);
    tcase_add_test(tc, test_kill_reaps);
    tcase_add_test(tc, test_kill_outlives_client);
    tcase_add_test(tc, test_kill_all_epochs);
    tcase_add_test(tc, test_signal_shows_in_ping);
    tcase_add_test(tc, test_new_epoch_replaces_older);
    tcase_add_test(tc, test_same_worker_replaced);
    tcase_add_test(tc, test_exited_entries_capped);
    tcase_add_test(tc, test_stop_kills_workers);
    tcase_add_test(tc, test_bad_spawn_through_client);
    tcase_add_test(tc, test_malformed_requests_get_errors);
    tcase_add_test(tc, test_registers_with_nimbus);
    suite_add_tcase(s, tc);
    tcase_add_checked_fixture(self, self_setup, teardown);
    tcase_set_timeout(self, 60);
    tcase_add_test(self, test_default_program_is_self);
    suite_add_tcase(s, self);
    tcase_add_checked_fixture(cv, curve_setup, curve_teardown);
    tcase_set_timeout(cv, 60);
    tcase_add_test(cv, test_curve_listed_key_answers);
    tcase_add_test(cv, test_curve_unlisted_key_refused);
    suite_add_tcase(s, cv);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
