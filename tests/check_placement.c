/* check_placement.c - a master's workers on the cluster's hosts
 * (engine/run/placement) against real supervisor daemons: up to three
 * are forked per test (before the test makes its ZeroMQ context) on
 * 127.0.0.1 ports the kernel picked free (as tests/check_supervisor does;
 * the e2e scripts' fixed ports are not in that range), and their "worker"
 * program is a shell script that runs its argument, which records the
 * worker's GALE_WORKER_SPEC and the host that started it.
 *
 * Checked: workers go round robin over the live hosts in the cluster
 * file's order (Storm's even scheduler) and really start there with the
 * right spec; a host that never answers is skipped; a host heard lately
 * is preferred to one that has been silent for a while, and once the
 * latter answers again check() asks for a new spread; no live host is an
 * error; a host that stops answering, or a worker that exits, fails the
 * check; a new epoch stops the last one's workers and uses the other
 * port set. */
#include "config.h"

#include <check.h>
#include <dirent.h>
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

#include <zmq.h>

#include "common/fs.h"
#include "common/xalloc.h"
#include "engine/cluster/supervisor.h"
#include "engine/net/cluster.h"
#include "engine/run/placement.h"
#include "engine/run/supclient.h"
#include "engine/transport/outlet.h"
#include "tests/testutil.h"

#define NSUP 3
#define WAIT_NS 10000000000ull
#define DATA_BASE 40000

static char dir[PATH_MAX];
static char cluster[PATH_MAX + 32];
static char exe[PATH_MAX + 32];
static char topo[PATH_MAX + 32];
static char out[PATH_MAX + 32];     /* where workers record themselves */
static int ports[NSUP + 1];
static int nimbus_port;
static pid_t sup_pid[NSUP + 1];
static void *zctx;
static gale_cluster_t *c;
static gale_placement_t *pl;

static void
setup(void)
{
    char tmpl[] = "/tmp/check_placement.XXXXXX";
    int i;

    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    ck_assert_ptr_nonnull(realpath(tmpl, dir));
    snprintf(cluster, sizeof cluster, "%s/cluster.cfg", dir);
    snprintf(exe, sizeof exe, "%s/fake-worker", dir);
    snprintf(topo, sizeof topo, "%s/topo.cfg", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    ck_assert_int_eq(mkdir(out, 0755), 0);
    /* `EXE worker FILE SNIPPET`: runs SNIPPET with $file set. */
    test_write_text(exe, "#!/bin/sh\n"
        "[ \"$1\" = worker ] || exit 99\n"
        "file=$2\n"
        "shift 2\n"
        "eval \"$1\"\n", 0755);
    test_write_text(topo, "name = \"topo\";\n", 0644);
    for (i = 0; i <= NSUP; i++) {
        ports[i] = test_free_port();
        sup_pid[i] = 0;
    }
    nimbus_port = test_free_port();
    zctx = NULL;
    c = NULL;
    pl = NULL;
}

/* Stops supervisor i (SIGCONT first, in case a test froze it). */
static void
stop_sup(int i)
{
    uint64_t until = gale_now_ns() + WAIT_NS;
    pid_t r;
    int st;

    if (sup_pid[i] <= 0)
        return;
    kill(sup_pid[i], SIGCONT);
    kill(sup_pid[i], SIGTERM);
    while ((r = waitpid(sup_pid[i], &st, WNOHANG)) == 0 && gale_now_ns() < until)
        usleep(10000);
    if (r == 0) {
        kill(sup_pid[i], SIGKILL);
        waitpid(sup_pid[i], &st, 0);
    }
    sup_pid[i] = 0;
}

static void
teardown(void)
{
    int i;

    gale_placement_destroy(&pl);
    if (zctx != NULL)
        zmq_ctx_term(zctx);
    zctx = NULL;
    for (i = 0; i <= NSUP; i++)
        stop_sup(i);
    gale_cluster_destroy(&c);
    gale_rm_rf(dir);
}

/* Writes the cluster file listing hosts h1..hn (on ports[0..n)) with
 * the supervisor timeout. */
static void
write_cluster(int n, int timeout_ms)
{
    char *text, *list = xstrdup(""), *more;
    int i;

    for (i = 0; i < n; i++) {
        xasprintf(&more, "%s%s{ name = \"h%d\"; host = \"127.0.0.1\"; port = %d; }",
            list, i > 0 ? ",\n  " : "", i + 1, ports[i]);
        free(list);
        list = more;
    }
    xasprintf(&text,
        "security = \"none\";\n"
        "nimbus = { host = \"127.0.0.1\"; port = %d; dir = \"nimbus\"; };\n"
        "supervisor = { dir = \"sup\"; timeout_ms = %d; };\n"
        "supervisors = (\n  %s\n);\n", nimbus_port, timeout_ms, list);
    test_write_text(cluster, text, 0644);
    free(text);
    free(list);
}

/* Forks the supervisor of host h<i+1> (no ZeroMQ context may exist yet
 * in this process). */
static void
start_sup(int i)
{
    gale_cluster_t *cc;
    char *cause = NULL, name[16];
    int rc;

    ck_assert_ptr_null(zctx);
    sup_pid[i] = fork();
    ck_assert_int_ge(sup_pid[i], 0);
    if (sup_pid[i] > 0)
        return;
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    snprintf(name, sizeof name, "h%d", i + 1);
    if ((cc = gale_cluster_load(cluster, &cause)) == NULL) {
        fprintf(stderr, "supervisor: %s\n", cause);
        _exit(3);
    }
    rc = gale_supervisor_run(cc, name, cluster, exe, &cause);
    if (rc != 0)
        fprintf(stderr, "supervisor %s: %s\n", name, cause);
    free(cause);
    gale_cluster_destroy(&cc);
    _exit(rc == 0 ? 0 : 3);
}

/* The snippet every worker runs: records "<spec>" in OUT/<worker=W>.<host>.<pid>,
 * then stays (or, for worker fail_w, exits with status 3). */
static char *
snippet(int fail_w)
{
    char *s;

    xasprintf(&s,
        "s=${file%%/*}; s=${s%%/*}; s=${s##*/}; w=${GALE_WORKER_SPEC%%%%;*}; "
        "echo \"$GALE_WORKER_SPEC\" > \"%s/$w.$s.$$.tmp\"; "
        "mv \"%s/$w.$s.$$.tmp\" \"%s/$w.$s.$$\"; "
        "[ \"$w\" = worker=%d ] && exit 3; exec sleep 60", out, out, out,
        fail_w);
    return s;
}

/* Waits until every supervisor started answers pings (slow under
 * valgrind), so that the tests do not depend on start-up times. */
static void
wait_up(void)
{
    gale_supclient_t *sc = gale_supclient_new(zctx, c);
    uint64_t until = gale_now_ns() + 3 * WAIT_NS, now;
    int i, up;

    do {
        now = gale_now_ns();
        gale_supclient_poll(sc, now, 50);
        for (i = 0, up = 0; i < c->nsups; i++)
            up += sup_pid[i] <= 0 ||
                gale_supclient_workers(sc, i, &(int){ 0 }) != NULL;
        if (up == c->nsups)
            break;
        usleep(10000);
    } while (now < until);
    ck_assert_int_eq(up, c->nsups);
    gale_supclient_destroy(&sc);
}

/* Loads the cluster and makes the placement (after the supervisors). */
static void
open_placement(int fail_w)
{
    char *cause = NULL, *args[2] = { snippet(fail_w), NULL };

    c = gale_cluster_load(cluster, &cause);
    ck_assert_msg(c != NULL, "%s", cause);
    ck_assert_ptr_nonnull(zctx = zmq_ctx_new());
    wait_up();
    pl = gale_placement_new(zctx, c, "topo", topo, args, DATA_BASE, &cause);
    ck_assert_msg(pl != NULL, "%s", cause);
    free(args[0]);
}

/* Polls the placement for ms (its supervisors get pinged and heard). */
static void
listen_for(int ms)
{
    uint64_t until = gale_now_ns() + (uint64_t)ms * 1000000u;
    char *cause = NULL;

    while (gale_now_ns() < until) {
        ck_assert_int_eq(gale_placement_check(pl, gale_now_ns(), &cause), 0);
        usleep(10000);
    }
}

/* Waits for worker w's record written on host (e.g. "h2") whose spec
 * holds tag; returns the spec line (caller frees) and *pid. */
static char *
wait_record(int w, const char *host, const char *tag, pid_t *pid)
{
    uint64_t until = gale_now_ns() + WAIT_NS;
    char prefix[64], path[PATH_MAX + 300], *line = NULL;
    struct dirent *de;
    DIR *d;

    snprintf(prefix, sizeof prefix, "worker=%d.%s.", w, host);
    while (gale_now_ns() < until) {
        ck_assert_ptr_nonnull(d = opendir(out));
        while ((de = readdir(d)) != NULL && line == NULL) {
            FILE *fp;
            char buf[1024];
            size_t n;

            if (strncmp(de->d_name, prefix, strlen(prefix)) != 0 ||
                strstr(de->d_name, ".tmp") != NULL)
                continue;
            snprintf(path, sizeof path, "%s/%s", out, de->d_name);
            if ((fp = fopen(path, "r")) == NULL)
                continue;
            n = fread(buf, 1, sizeof buf - 1, fp);
            fclose(fp);
            buf[n] = '\0';
            if (n > 0 && buf[n - 1] == '\n')
                buf[n - 1] = '\0';
            if (strstr(buf, tag) == NULL)
                continue;
            line = xstrdup(buf);
            if (pid != NULL)
                *pid = (pid_t)atoi(de->d_name + strlen(prefix));
        }
        closedir(d);
        if (line != NULL)
            return line;
        usleep(20000);
    }
    ck_abort_msg("worker %d never started on %s with %s", w, host, tag);
    return NULL;
}

/* Number of worker records in out. */
static int
count_records(void)
{
    struct dirent *de;
    DIR *d = opendir(out);
    int n = 0;

    ck_assert_ptr_nonnull(d);
    while ((de = readdir(d)) != NULL)
        n += strncmp(de->d_name, "worker=", 7) == 0 &&
            strstr(de->d_name, ".tmp") == NULL;
    closedir(d);
    return n;
}

/* Asserts worker w was placed on host and started there with the spec
 * "worker=w;<tag>;hosts=<hosts>;dport=<dport>". */
static void
expect_worker(int w, const char *host, const char *tag, const char *hosts,
    int dport)
{
    char want[PATH_MAX + 512], *line;

    ck_assert_str_eq(gale_placement_host(pl, w), host);
    /* The supervisor adds the cluster file and the host's own name. */
    snprintf(want, sizeof want, "worker=%d;%s;hosts=%s;dport=%d;cluster=%s;"
        "self=%s", w, tag, hosts, dport, cluster, host);
    line = wait_record(w, host, tag, NULL);
    ck_assert_str_eq(line, want);
    free(line);
}

START_TEST(test_round_robin_over_live_hosts)
{
    char *cause = NULL;
    int i;

    write_cluster(3, 2000);
    for (i = 0; i < 3; i++)
        start_sup(i);
    open_placement(-1);
    ck_assert_msg(gale_placement_spawn(pl, 5, 2, "e=2", &cause) == 0,
        "spawn: %s", cause);
    /* Even epoch: the first port set. */
    expect_worker(0, "h1", "e=2", "h1,h2,h3,h1,h2", DATA_BASE);
    expect_worker(1, "h2", "e=2", "h1,h2,h3,h1,h2", DATA_BASE);
    expect_worker(2, "h3", "e=2", "h1,h2,h3,h1,h2", DATA_BASE);
    expect_worker(3, "h1", "e=2", "h1,h2,h3,h1,h2", DATA_BASE);
    expect_worker(4, "h2", "e=2", "h1,h2,h3,h1,h2", DATA_BASE);
    ck_assert_int_eq(count_records(), 5);
    ck_assert_str_eq(gale_placement_host(pl, 5), "?");
    ck_assert_str_eq(gale_placement_host(pl, -1), "?");
    ck_assert_int_eq(gale_placement_check(pl, gale_now_ns(), &cause), 0);
    gale_placement_stop(pl, true);
}
END_TEST

START_TEST(test_fewer_workers_than_hosts)
{
    char *cause = NULL;
    int i;

    write_cluster(3, 2000);
    for (i = 0; i < 3; i++)
        start_sup(i);
    open_placement(-1);
    ck_assert_int_eq(gale_placement_spawn(pl, 2, 2, "e=2", &cause), 0);
    expect_worker(0, "h1", "e=2", "h1,h2", DATA_BASE);
    expect_worker(1, "h2", "e=2", "h1,h2", DATA_BASE);
    /* h3 answers and runs nothing, but there are no more workers to
     * spread: nothing to do. */
    ck_assert_int_eq(gale_placement_check(pl, gale_now_ns(), &cause), 0);
    gale_placement_stop(pl, true);
}
END_TEST

START_TEST(test_dead_host_skipped)
{
    uint64_t t0;
    char *cause = NULL;

    /* h2 is listed but its supervisor never runs. */
    write_cluster(3, 1000);
    start_sup(0);
    start_sup(2);
    open_placement(-1);
    t0 = gale_now_ns();
    ck_assert_msg(gale_placement_spawn(pl, 4, 2, "e=2", &cause) == 0,
        "spawn: %s", cause);
    /* It got the supervisor timeout to answer first. */
    ck_assert_uint_ge(gale_now_ns() - t0, 900000000ull);
    expect_worker(0, "h1", "e=2", "h1,h3,h1,h3", DATA_BASE);
    expect_worker(1, "h3", "e=2", "h1,h3,h1,h3", DATA_BASE);
    expect_worker(2, "h1", "e=2", "h1,h3,h1,h3", DATA_BASE);
    expect_worker(3, "h3", "e=2", "h1,h3,h1,h3", DATA_BASE);
    ck_assert_int_eq(gale_placement_check(pl, gale_now_ns(), &cause), 0);
    gale_placement_stop(pl, true);
}
END_TEST

START_TEST(test_recently_heard_preferred_then_respread)
{
    uint64_t until;
    char *cause = NULL;
    int i, rc = 0;

    write_cluster(3, 8000);
    for (i = 0; i < 3; i++)
        start_sup(i);
    open_placement(-1);
    listen_for(1000);               /* every host heard */
    /* h2 goes silent (frozen): not dead yet (8 s), but not heard for
     * longer than the placement's freshness window (1 s). */
    ck_assert_int_eq(kill(sup_pid[1], SIGSTOP), 0);
    listen_for(1600);               /* the master keeps pinging meanwhile */
    ck_assert_msg(gale_placement_spawn(pl, 4, 2, "e=2", &cause) == 0,
        "spawn: %s", cause);
    expect_worker(0, "h1", "e=2", "h1,h3,h1,h3", DATA_BASE);
    expect_worker(1, "h3", "e=2", "h1,h3,h1,h3", DATA_BASE);
    expect_worker(2, "h1", "e=2", "h1,h3,h1,h3", DATA_BASE);
    expect_worker(3, "h3", "e=2", "h1,h3,h1,h3", DATA_BASE);
    /* h2 answers again: it could run workers, so check asks for a new
     * spread. */
    ck_assert_int_eq(kill(sup_pid[1], SIGCONT), 0);
    until = gale_now_ns() + WAIT_NS;
    while (gale_now_ns() < until &&
        (rc = gale_placement_check(pl, gale_now_ns(), &cause)) == 0)
        usleep(20000);
    ck_assert_int_eq(rc, 1);
    ck_assert_str_eq(cause, "3 host(s) answer but only 2 run workers: "
        "spreading the workers again");
    free(cause);
    gale_placement_stop(pl, true);
}
END_TEST

START_TEST(test_no_live_host)
{
    char *cause = NULL, want[PATH_MAX + 128];

    write_cluster(2, 300);
    open_placement(-1);
    ck_assert_int_eq(gale_placement_spawn(pl, 2, 1, "e=1", &cause), -1);
    snprintf(want, sizeof want, "no supervisor answers (2 listed in %s)",
        cluster);
    ck_assert_str_eq(cause, want);
    free(cause);
    ck_assert_str_eq(gale_placement_host(pl, 0), "?");
    /* Nothing placed: nothing to check or stop. */
    cause = NULL;
    ck_assert_int_eq(gale_placement_check(pl, gale_now_ns(), &cause), 0);
    gale_placement_stop(pl, false);
    ck_assert_int_eq(count_records(), 0);
}
END_TEST

START_TEST(test_host_stops_answering)
{
    uint64_t until, now;
    char *cause = NULL;
    int rc = 0;

    write_cluster(2, 1000);
    start_sup(0);
    start_sup(1);
    open_placement(-1);
    ck_assert_int_eq(gale_placement_spawn(pl, 2, 2, "e=2", &cause), 0);
    expect_worker(0, "h1", "e=2", "h1,h2", DATA_BASE);
    expect_worker(1, "h2", "e=2", "h1,h2", DATA_BASE);
    ck_assert_int_eq(gale_placement_check(pl, gale_now_ns(), &cause), 0);
    ck_assert_int_eq(kill(sup_pid[1], SIGSTOP), 0);
    until = gale_now_ns() + WAIT_NS;
    while ((now = gale_now_ns()) < until &&
        (rc = gale_placement_check(pl, now, &cause)) == 0)
        usleep(20000);
    ck_assert_int_eq(rc, -1);
    ck_assert_str_eq(cause, "host h2 (127.0.0.1) stopped answering for "
        "1000 ms: declared dead");
    free(cause);
    /* Worker 1's silence is its host's; worker 0's host still answers. */
    now = gale_now_ns();
    ck_assert(gale_placement_host_quiet(pl, 1, now, 500));
    ck_assert(!gale_placement_host_quiet(pl, 0, now, 1000));
    ck_assert(!gale_placement_host_quiet(pl, 7, now, 500));
    gale_placement_stop(pl, true);
}
END_TEST

START_TEST(test_worker_exit_fails_check)
{
    uint64_t until, now;
    char *cause = NULL, want[128];
    pid_t pid = 0;
    int rc = 0;

    write_cluster(2, 2000);
    start_sup(0);
    start_sup(1);
    open_placement(1);              /* worker 1 exits with status 3 */
    ck_assert_int_eq(gale_placement_spawn(pl, 2, 2, "e=2", &cause), 0);
    free(wait_record(1, "h2", "e=2", &pid));
    ck_assert_int_gt(pid, 0);
    until = gale_now_ns() + WAIT_NS;
    while ((now = gale_now_ns()) < until &&
        (rc = gale_placement_check(pl, now, &cause)) == 0)
        usleep(20000);
    ck_assert_int_eq(rc, -1);
    snprintf(want, sizeof want, "worker 1 on host h2 (pid %d) exited with "
        "status 3", (int)pid);
    ck_assert_str_eq(cause, want);
    free(cause);
    gale_placement_stop(pl, true);
}
END_TEST

START_TEST(test_new_epoch_replaces_workers)
{
    char *cause = NULL, *line;
    pid_t old[2] = { 0, 0 };
    uint64_t until;
    int i;

    write_cluster(2, 2000);
    start_sup(0);
    start_sup(1);
    open_placement(-1);
    /* Odd epoch: the second port set, base + nworkers^2. */
    ck_assert_int_eq(gale_placement_spawn(pl, 2, 1, "e=1", &cause), 0);
    expect_worker(0, "h1", "e=1", "h1,h2", DATA_BASE + 4);
    expect_worker(1, "h2", "e=1", "h1,h2", DATA_BASE + 4);
    free(wait_record(0, "h1", "e=1", &old[0]));
    free(wait_record(1, "h2", "e=1", &old[1]));
    ck_assert_int_eq(kill(old[0], 0), 0);
    ck_assert_int_eq(kill(old[1], 0), 0);
    /* The next attempt stops epoch 1's workers before it starts its own. */
    ck_assert_int_eq(gale_placement_spawn(pl, 2, 2, "e=2", &cause), 0);
    expect_worker(0, "h1", "e=2", "h1,h2", DATA_BASE);
    expect_worker(1, "h2", "e=2", "h1,h2", DATA_BASE);
    line = wait_record(1, "h2", "e=2", NULL);
    free(line);
    until = gale_now_ns() + WAIT_NS;
    for (i = 0; i < 2; i++) {
        while (kill(old[i], 0) == 0 && gale_now_ns() < until)
            usleep(20000);
        ck_assert_int_eq(kill(old[i], 0), -1);
        ck_assert_int_eq(errno, ESRCH);
    }
    ck_assert_int_eq(gale_placement_check(pl, gale_now_ns(), &cause), 0);
    gale_placement_stop(pl, true);
}
END_TEST

START_TEST(test_unreadable_topology_file)
{
    char *cause = NULL, *args[1] = { NULL }, missing[PATH_MAX + 32];

    write_cluster(1, 1000);
    c = gale_cluster_load(cluster, &cause);
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_nonnull(zctx = zmq_ctx_new());
    snprintf(missing, sizeof missing, "%s/missing.cfg", dir);
    ck_assert_ptr_null(gale_placement_new(zctx, c, "topo", missing, args,
        DATA_BASE, &cause));
    ck_assert_ptr_nonnull(cause);
    ck_assert_ptr_nonnull(strstr(cause, "missing.cfg: "));
    ck_assert_ptr_nonnull(strstr(cause, strerror(ENOENT)));
    free(cause);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("placement");
    TCase *tc = tcase_create("core");
    SRunner *sr = srunner_create(s);
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, test_round_robin_over_live_hosts);
    tcase_add_test(tc, test_fewer_workers_than_hosts);
    tcase_add_test(tc, test_dead_host_skipped);
    tcase_add_test(tc, test_recently_heard_preferred_then_respread);
    tcase_add_test(tc, test_no_live_host);
    tcase_add_test(tc, test_host_stops_answering);
    tcase_add_test(tc, test_worker_exit_fails_check);
    tcase_add_test(tc, test_new_epoch_replaces_workers);
    tcase_add_test(tc, test_unreadable_topology_file);
    suite_add_tcase(s, tc);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
