/* kafkatool.c - what the Kafka tests need around gale, on librdkafka:
 *
 *   kafkatool mock FILE [TOPIC:PARTITIONS]...
 *       starts librdkafka's in-process mock cluster (3 brokers) with the
 *       topics given, writes its bootstrap servers to FILE (atomically),
 *       and serves until SIGTERM/SIGINT or until its parent goes away;
 *       SIGUSR1 takes every broker down for 3 s, then up again (a broker
 *       restart, as the Kafka tests need one); SIGUSR2 makes the topic
 *       named by $KAFKATOOL_GONE unknown in metadata from then on (the
 *       mock cannot delete a topic; this is as near as it comes).
 *   kafkatool produce BROKERS TOPIC [-k] [-p PARTITIONS] < lines
 *       one record per line of stdin (the line without its newline),
 *       round-robin over PARTITIONS (default: librdkafka's partitioner;
 *       -k keys each record by its line number); exits non-zero unless
 *       every record was acknowledged.
 *   kafkatool consume BROKERS TOPIC [-u] [-v]
 *       prints every record of every partition of TOPIC from the start up
 *       to its end, one value per line (-v: "partition offset value"),
 *       read_committed (-u: read_uncommitted). Exits non-zero on an error
 *       or when the end is not reached within 30 s.
 *   kafkatool committed BROKERS GROUP TOPIC
 *       prints GROUP's committed offset of partition 0 of TOPIC (-1001:
 *       none): the kafka_sink's marker.
 *   kafkatool create BROKERS TOPIC PARTITIONS
 *       creates a topic (or adds partitions up to PARTITIONS) on a mock
 *       or real cluster, through the admin API.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static volatile sig_atomic_t stop, outage, gone;

static void
on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

/* SIGUSR1 to a mock: every broker goes down for a while, then up. */
static void
on_usr1(int sig)
{
    (void)sig;
    outage = 1;
}

/* SIGUSR2: the topic $KAFKATOOL_GONE is reported unknown from now on. */
static void
on_usr2(int sig)
{
    (void)sig;
    gone = 1;
}

static void
die(const char *fmt, const char *arg)
{
    fprintf(stderr, "kafkatool: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(1);
}

static rd_kafka_t *
client(rd_kafka_type_t type, const char *brokers, const char *const *kv)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char err[512];
    rd_kafka_t *rk;

    if (brokers != NULL &&
        rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, sizeof err))
        die("%s", err);
    for (; kv != NULL && *kv != NULL; kv += 2)
        if (rd_kafka_conf_set(conf, kv[0], kv[1], err, sizeof err))
            die("%s", err);
    if ((rk = rd_kafka_new(type, conf, err, sizeof err)) == NULL)
        die("%s", err);
    return rk;
}

#define OUTAGE_MS 3000

static int
cmd_mock(int argc, char **argv)
{
    rd_kafka_mock_cluster_t *mc;
    char tmp[4096];
    rd_kafka_t *rk;
    FILE *f;
    int i;

    if (argc < 2)
        die("%s", "usage: kafkatool mock FILE [TOPIC:PARTITIONS]...");
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGUSR1, on_usr1);
    signal(SIGUSR2, on_usr2);
    rk = client(RD_KAFKA_PRODUCER, NULL, NULL);
    if ((mc = rd_kafka_mock_cluster_new(rk, 3)) == NULL)
        die("%s", "cannot start the mock cluster");
    for (i = 2; i < argc; i++) {
        char *c = strrchr(argv[i], ':');

        if (c == NULL)
            die("bad topic %s (TOPIC:PARTITIONS)", argv[i]);
        *c = '\0';
        if (rd_kafka_mock_topic_create(mc, argv[i], atoi(c + 1), 1))
            die("cannot create topic %s", argv[i]);
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", argv[1]);
    if ((f = fopen(tmp, "w")) == NULL)
        die("cannot write %s", tmp);
    fprintf(f, "%s\n", rd_kafka_mock_cluster_bootstraps(mc));
    if (fclose(f) != 0 || rename(tmp, argv[1]) != 0)
        die("cannot write %s", argv[1]);
    while (!stop) {
        pause();
        if (gone && getenv("KAFKATOOL_GONE") != NULL) {
            gone = 0;
            rd_kafka_mock_topic_set_error(mc, getenv("KAFKATOOL_GONE"),
                RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
            fprintf(stderr, "kafkatool: topic %s is gone\n",
                getenv("KAFKATOOL_GONE"));
        }
        if (outage) {
            struct timespec down = { OUTAGE_MS / 1000,
                (OUTAGE_MS % 1000) * 1000000L };

            outage = 0;
            for (i = 1; i <= 3; i++)
                rd_kafka_mock_broker_set_down(mc, i);
            fprintf(stderr, "kafkatool: brokers down for %d ms\n", OUTAGE_MS);
            while (nanosleep(&down, &down) != 0 && !stop)
                ;
            for (i = 1; i <= 3; i++)
                rd_kafka_mock_broker_set_up(mc, i);
            fprintf(stderr, "kafkatool: brokers up\n");
        }
    }
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    return 0;
}

static int delivery_failed;

static void
on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    if (m->err) {
        fprintf(stderr, "kafkatool: delivery failed: %s\n",
            rd_kafka_err2str(m->err));
        delivery_failed = 1;
    }
}

static int
cmd_produce(int argc, char **argv)
{
    static const char *const kv[] = { "enable.idempotence", "true",
        "linger.ms", "5", NULL };
    rd_kafka_t *rk;
    char *line = NULL, key[32];
    size_t cap = 0;
    ssize_t n;
    long no = 0;
    int keyed = 0, parts = 0, i;

    if (argc < 3)
        die("%s", "usage: kafkatool produce BROKERS TOPIC [-k] [-p N] < lines");
    for (i = 3; i < argc; i++) {
        if (strcmp(argv[i], "-k") == 0)
            keyed = 1;
        else if (strcmp(argv[i], "-p") == 0 && i + 1 < argc)
            parts = atoi(argv[++i]);
        else
            die("unknown option %s", argv[i]);
    }
    {
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        char err[512];

        if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], err, sizeof err) ||
            rd_kafka_conf_set(conf, kv[0], kv[1], err, sizeof err) ||
            rd_kafka_conf_set(conf, kv[2], kv[3], err, sizeof err))
            die("%s", err);
        rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
        if ((rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err)) == NULL)
            die("%s", err);
    }
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        rd_kafka_resp_err_t err;

        if (n > 0 && line[n - 1] == '\n')
            n--;
        snprintf(key, sizeof key, "%ld", no);
        do {
            err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(argv[2]),
                RD_KAFKA_V_VALUE(line, (size_t)n),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_PARTITION(parts > 0 ? (int32_t)(no % parts) :
                    RD_KAFKA_PARTITION_UA),
                RD_KAFKA_V_KEY(keyed ? key : NULL, keyed ? strlen(key) : 0),
                RD_KAFKA_V_END);
            if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                rd_kafka_poll(rk, 10);
        } while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
        if (err)
            die("produce: %s", rd_kafka_err2str(err));
        rd_kafka_poll(rk, 0);
        no++;
    }
    free(line);
    if (rd_kafka_flush(rk, 60000) != RD_KAFKA_RESP_ERR_NO_ERROR)
        die("%s", "flush timed out");
    rd_kafka_destroy(rk);
    return delivery_failed;
}

static int
cmd_consume(int argc, char **argv)
{
    const char *kv[] = { "group.id", "kafkatool", "enable.partition.eof", "true",
        "enable.auto.commit", "false", "isolation.level", "read_committed",
        "auto.offset.reset", "earliest", NULL };
    const struct rd_kafka_metadata *md;
    rd_kafka_topic_partition_list_t *l;
    rd_kafka_topic_t *rkt;
    rd_kafka_t *rk;
    time_t deadline = time(NULL) + 30;
    int verbose = 0, i, np, eofs = 0;
    char *seen;

    if (argc < 3)
        die("%s", "usage: kafkatool consume BROKERS TOPIC [-u] [-v]");
    for (i = 3; i < argc; i++) {
        if (strcmp(argv[i], "-u") == 0)
            kv[7] = "read_uncommitted";
        else if (strcmp(argv[i], "-v") == 0)
            verbose = 1;
        else
            die("unknown option %s", argv[i]);
    }
    rk = client(RD_KAFKA_CONSUMER, argv[1], kv);
    rkt = rd_kafka_topic_new(rk, argv[2], NULL);
    if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        md->topic_cnt != 1 || md->topics[0].err)
        die("no metadata for topic %s", argv[2]);
    np = md->topics[0].partition_cnt;
    l = rd_kafka_topic_partition_list_new(np);
    for (i = 0; i < np; i++)
        rd_kafka_topic_partition_list_add(l, argv[2],
            md->topics[0].partitions[i].id)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    seen = calloc((size_t)np + 1, 1);
    rd_kafka_poll_set_consumer(rk);
    if (rd_kafka_assign(rk, l))
        die("%s", "assign failed");
    rd_kafka_topic_partition_list_destroy(l);
    while (eofs < np) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);

        if (time(NULL) > deadline)
            die("%s", "the end of the topic was not reached in 30 s");
        if (m == NULL)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (m->partition >= 0 && m->partition < np && !seen[m->partition]) {
                seen[m->partition] = 1;
                eofs++;
            }
        } else if (m->err) {
            die("consume: %s", rd_kafka_message_errstr(m));
        } else {
            if (verbose)
                printf("%d %lld ", (int)m->partition, (long long)m->offset);
            fwrite(m->payload, 1, m->len, stdout);
            putchar('\n');
        }
        rd_kafka_message_destroy(m);
    }
    free(seen);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return fflush(stdout) == 0 ? 0 : 1;
}

static int
cmd_create(int argc, char **argv)
{
    rd_kafka_t *rk;
    rd_kafka_NewTopic_t *nt;
    rd_kafka_NewPartitions_t *npart;
    rd_kafka_queue_t *q;
    rd_kafka_event_t *ev;
    char err[512];
    int n, rc = 0;

    if (argc < 4)
        die("%s", "usage: kafkatool create BROKERS TOPIC PARTITIONS");
    n = atoi(argv[3]);
    rk = client(RD_KAFKA_PRODUCER, argv[1], NULL);
    q = rd_kafka_queue_new(rk);
    nt = rd_kafka_NewTopic_new(argv[2], n, 1, err, sizeof err);
    if (nt == NULL)
        die("%s", err);
    rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
    ev = rd_kafka_queue_poll(q, 30000);
    if (ev == NULL)
        die("%s", "create topics timed out");
    {
        const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
        size_t cnt;
        const rd_kafka_topic_result_t **tr = rd_kafka_CreateTopics_result_topics(res, &cnt);

        if (rd_kafka_event_error(ev))
            die("create: %s", rd_kafka_event_error_string(ev));
        if (cnt == 1 && rd_kafka_topic_result_error(tr[0]) ==
            RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
            rd_kafka_event_destroy(ev);
            npart = rd_kafka_NewPartitions_new(argv[2], (size_t)n, err, sizeof err);
            rd_kafka_CreatePartitions(rk, &npart, 1, NULL, q);
            if ((ev = rd_kafka_queue_poll(q, 30000)) == NULL)
                die("%s", "create partitions timed out");
            if (rd_kafka_event_error(ev))
                die("create partitions: %s", rd_kafka_event_error_string(ev));
            rd_kafka_NewPartitions_destroy(npart);
        } else if (cnt == 1 && rd_kafka_topic_result_error(tr[0])) {
            fprintf(stderr, "kafkatool: create %s: %s\n", argv[2],
                rd_kafka_topic_result_error_string(tr[0]));
            rc = 1;
        }
    }
    rd_kafka_event_destroy(ev);
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
    return rc;
}

static int
cmd_committed(int argc, char **argv)
{
    const char *kv[] = { "group.id", NULL, NULL };
    rd_kafka_topic_partition_list_t *l;
    rd_kafka_resp_err_t err;
    rd_kafka_t *rk;

    if (argc < 4)
        die("%s", "usage: kafkatool committed BROKERS GROUP TOPIC");
    kv[1] = argv[2];
    rk = client(RD_KAFKA_CONSUMER, argv[1], kv);
    l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, argv[3], 0);
    if ((err = rd_kafka_committed(rk, l, 10000)) != RD_KAFKA_RESP_ERR_NO_ERROR)
        die("committed: %s", rd_kafka_err2str(err));
    printf("%lld\n", (long long)l->elems[0].offset);
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(rk);
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "committed") == 0)
        return cmd_committed(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "mock") == 0)
        return cmd_mock(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "produce") == 0)
        return cmd_produce(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "consume") == 0)
        return cmd_consume(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "create") == 0)
        return cmd_create(argc - 1, argv + 1);
    fprintf(stderr, "usage: kafkatool mock|produce|consume|create ...\n");
    return 2;
}
