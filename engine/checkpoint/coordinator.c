/* coordinator.c - checkpoint coordination for one topology run. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/failpoint.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "engine/checkpoint/coordinator.h"
#include "engine/wire/keyhash.h"
#include "engine/transport/outlet.h"

struct gale_coord {
    const gale_plan_t *plan;        /* borrowed */
    gale_ckpt_t *store;             /* owned */
    char *dir;                      /* owned */
    gale_ckpt_meta_t *last;         /* last completed (or restored), owned */
    gale_ckpt_meta_t *next;         /* the one in flight, owned */
    bool *acked;                    /* per task id - 1, for next */
    char ***carry;                  /* per task id - 1: files of declined
                                       checkpoints, owed to the next chain */
    uint64_t **carry_bytes;         /* their sizes */
    size_t *ncarry;                 /* per task id - 1 */
    uint64_t declined_max;          /* highest declined id */
    size_t nacked;
    uint64_t inflight;              /* id in flight, 0 = none */
    uint64_t started_ns;            /* when it was triggered */
    uint64_t align_max_ns;          /* its slowest alignment */
    uint64_t last_end_ns;           /* when the last one ended */
    uint32_t attempt;               /* epoch in force */
    int interval_ms, timeout_ms, min_pause_ms, retain, tolerable;
    int declined_in_row;            /* consecutive declines */
    bool final;                     /* the next checkpoint is the final one */
    gale_coord_stats_t stats;
    uint64_t cur_bytes;             /* bytes acknowledged for the one in flight */
    gale_coord_record_t *records;   /* every checkpoint of this run, in order */
    size_t nrecords;
};

/* An integer of the topology's conf, or def. */
static int
conf_int(const gale_topology_t *t, const char *key, int def)
{
    const gale_value_t *v = gale_value_map_get(t->conf, key);

    return v != NULL && v->type == GALE_INT ? (int)v->u.i : def;
}

/* Forgets the files owed from declined checkpoints. */
static void
drop_carry(gale_coord_t *c)
{
    size_t i, k;

    if (c->carry == NULL)
        return;
    for (i = 0; i < c->plan->ntasks; i++) {
        for (k = 0; k < c->ncarry[i]; k++)
            free(c->carry[i][k]);
        free(c->carry[i]);
        free(c->carry_bytes[i]);
        c->carry[i] = NULL;
        c->carry_bytes[i] = NULL;
        c->ncarry[i] = 0;
    }
}

/* A declined checkpoint's snapshot still moved the task's changes out of
 * its store: the file must join the task's chain at the next checkpoint,
 * or those changes would be lost. */
static void
owe_file(gale_coord_t *c, int task, const char *file, uint64_t bytes)
{
    size_t i = (size_t)task - 1, n = c->ncarry[i];

    c->carry[i] = xreallocarray(c->carry[i], n + 1, sizeof *c->carry[i]);
    c->carry_bytes[i] = xreallocarray(c->carry_bytes[i], n + 1,
        sizeof *c->carry_bytes[i]);
    c->carry[i][n] = xstrdup(file);
    c->carry_bytes[i][n] = bytes;
    c->ncarry[i] = n + 1;
}

/* Records how the checkpoint in flight ended, in memory (the run summary)
 * and as a line of <dir>/checkpoints.log (id, attempt, outcome, duration
 * ms, slowest alignment ms, bytes, time), which outlives the run. */
static void
record(gale_coord_t *c, gale_coord_outcome_t outcome, uint64_t now_ns)
{
    static const char *const names[] = { "completed", "declined", "abandoned" };
    gale_coord_record_t *r;
    char *path;
    FILE *fp;

    c->records = xreallocarray(c->records, c->nrecords + 1, sizeof *c->records);
    r = &c->records[c->nrecords++];
    r->id = c->inflight;
    r->attempt = c->attempt;
    r->outcome = outcome;
    r->duration_ns = now_ns - c->started_ns;
    r->align_ns = c->align_max_ns;
    r->bytes = c->cur_bytes;
    xasprintf(&path, "%s/checkpoints.log", c->dir);
    if ((fp = fopen(path, "ae")) != NULL) {
        fprintf(fp, "%llu\t%u\t%s\t%.1f\t%.2f\t%llu\t%lld\n",
            (unsigned long long)r->id, r->attempt, names[outcome],
            r->duration_ns / 1e6, r->align_ns / 1e6,
            (unsigned long long)r->bytes, (long long)time(NULL));
        fclose(fp);
    }
    free(path);
}

gale_coord_t *
gale_coord_open(const gale_plan_t *plan, const char *dir, char **cause)
{
    const gale_topology_t *t = plan->topo;
    gale_coord_t *c = xcalloc(1, sizeof *c);

    c->plan = plan;
    c->dir = xstrdup(dir);
    if ((c->store = gale_ckpt_open(dir, cause)) == NULL) {
        gale_coord_close(&c);
        return NULL;
    }
    c->acked = xcalloc(plan->ntasks + 1, sizeof *c->acked);
    c->carry = xcalloc(plan->ntasks + 1, sizeof *c->carry);
    c->carry_bytes = xcalloc(plan->ntasks + 1, sizeof *c->carry_bytes);
    c->ncarry = xcalloc(plan->ntasks + 1, sizeof *c->ncarry);
    c->attempt = 1;
    c->interval_ms = t->checkpoint_interval_ms;
    c->timeout_ms = conf_int(t, "gale.checkpoint.timeout.ms", 60000);
    c->min_pause_ms = conf_int(t, "gale.checkpoint.min.pause.ms", 0);
    c->retain = conf_int(t, "gale.checkpoint.retain", 3);
    c->tolerable = conf_int(t, "gale.checkpoint.tolerable.failures", 0);
    c->last_end_ns = gale_now_ns();
    return c;
}

void
gale_coord_close(gale_coord_t **cp)
{
    gale_coord_t *c;

    if (cp == NULL || (c = *cp) == NULL)
        return;
    gale_ckpt_close(&c->store);
    free(c->records);
    gale_ckpt_meta_destroy(&c->last);
    gale_ckpt_meta_destroy(&c->next);
    drop_carry(c);
    free(c->carry);
    free(c->carry_bytes);
    free(c->ncarry);
    free(c->acked);
    free(c->dir);
    free(c);
    *cp = NULL;
}

const char *
gale_coord_dir(const gale_coord_t *c)
{
    return c->dir;
}

gale_ckpt_t *
gale_coord_store(gale_coord_t *c)
{
    return c->store;
}

bool
gale_coord_is_final(const gale_ckpt_meta_t *meta)
{
    const char *v = gale_ckpt_meta_get(meta, "final");

    return v != NULL && strcmp(v, "1") == 0;
}

/* Checks that meta describes this plan's tasks and key groups. */
static int
fits_plan(const gale_coord_t *c, const gale_ckpt_meta_t *m, char **cause)
{
    const gale_plan_t *p = c->plan;
    size_t i;

    if (m->max_parallelism != p->topo->max_parallelism) {
        xasprintf(cause, "checkpoint %llu has max_parallelism %d, the "
            "topology %d (it is fixed for the life of the state)",
            (unsigned long long)m->id, m->max_parallelism,
            p->topo->max_parallelism);
        return -1;
    }
    for (i = 0; i < m->ntasks; i++) {
        const gale_ckpt_task_t *ct = &m->tasks[i];
        const gale_task_t *pt;

        if (ct->task_id < 1 || (size_t)ct->task_id > p->ntasks ||
            strcmp(p->topo->comps[(pt = &p->tasks[ct->task_id - 1])->comp].id,
            ct->component) != 0 || pt->index != ct->task_index) {
            xasprintf(cause, "checkpoint %llu holds task %d of %s, which this "
                "topology does not have: its parallelism or components changed "
                "(restore it rescaled with --from-checkpoint %llu)",
                (unsigned long long)m->id, ct->task_id, ct->component,
                (unsigned long long)m->id);
            return -1;
        }
    }
    return 0;
}

int
gale_coord_load_latest(gale_coord_t *c, const gale_ckpt_meta_t **meta,
    char **cause)
{
    uint64_t id;
    char *why = NULL;
    int rc;

    *meta = NULL;
    if ((rc = gale_ckpt_latest(c->store, &id)) == -ENOENT)
        return 0;
    if (rc != 0) {
        xasprintf(cause, "%s: %s", c->dir, strerror(-rc));
        return -1;
    }
    gale_ckpt_meta_destroy(&c->last);
    if (gale_ckpt_read_meta(c->store, id, &c->last, &why) != 0) {
        xasprintf(cause, "%s: checkpoint %llu: %s", c->dir,
            (unsigned long long)id, why ? why : "unreadable");
        free(why);
        return -1;
    }
    if (fits_plan(c, c->last, cause) != 0)
        return -1;
    *meta = c->last;
    return 1;
}

void
gale_coord_set_attempt(gale_coord_t *c, uint32_t attempt)
{
    c->attempt = attempt;
}

void
gale_coord_set_final(gale_coord_t *c)
{
    c->final = true;
}

bool
gale_coord_busy(const gale_coord_t *c)
{
    return c->inflight != 0;
}

/* A fresh metadata record for id: the last one's chains, or empty chains
 * for every task of the plan. */
static gale_ckpt_meta_t *
meta_for(gale_coord_t *c, uint64_t id)
{
    const gale_plan_t *p = c->plan;
    gale_ckpt_meta_t *m;
    size_t i;

    if (c->last != NULL) {
        m = gale_ckpt_meta_copy(c->last, id, c->attempt);
    } else {
        m = gale_ckpt_meta_new(id, c->attempt, p->topo->name,
            p->topo->max_parallelism);
        for (i = 0; i < p->ntasks; i++) {
            const gale_task_t *pt = &p->tasks[i];
            int first, last;

            gale_keygroup_range(pt->index, p->topo->comps[pt->comp].ntasks,
                p->topo->max_parallelism, &first, &last);
            gale_ckpt_meta_add_task(m, pt->id, p->topo->comps[pt->comp].id,
                pt->index, first, last);
        }
    }
    gale_ckpt_meta_set(m, "topology.file", p->topo->path);
    gale_ckpt_meta_set(m, "final", c->final ? "1" : "0");
    return m;
}

int
gale_coord_maybe_trigger(gale_coord_t *c, uint64_t now_ns, bool force,
    uint64_t *id, char **cause)
{
    uint64_t wait_ns;
    int rc;

    if (c->inflight != 0)
        return 0;
    wait_ns = (uint64_t)(c->interval_ms > c->min_pause_ms ? c->interval_ms :
        c->min_pause_ms) * 1000000u;
    if (!force && now_ns < c->last_end_ns + wait_ns)
        return 0;
    if ((rc = gale_ckpt_next_id(c->store, id)) != 0) {
        xasprintf(cause, "%s: taking a checkpoint id: %s", c->dir, strerror(-rc));
        return -1;
    }
    c->inflight = *id;
    c->cur_bytes = 0;
    c->started_ns = now_ns;
    c->align_max_ns = 0;
    memset(c->acked, 0, sizeof *c->acked * c->plan->ntasks);
    c->nacked = 0;
    gale_ckpt_meta_destroy(&c->next);
    c->next = meta_for(c, *id);
    return 1;
}

/* Folds every chain whose deltas reach half its base, or longer than
 * GALE_CHAIN_MAX files (gale_ckpt_task_wants_compaction), into a new base, so
 * that restores read a bounded number of files and old deltas can be
 * deleted once no retained checkpoint needs them. The next checkpoint's
 * metadata (built from c->last) names the base; until then the store pins
 * it. Runs on the coordinator thread (merging small deltas takes
 * milliseconds; a background merge is future work). A failed compaction
 * only leaves the chain long. */
#define GALE_CHAIN_MAX 64

static void
compact_chains(gale_coord_t *c)
{
    char *base = NULL;
    size_t i;

    for (i = 0; i < c->last->ntasks; i++) {
        gale_ckpt_task_t *t = &c->last->tasks[i];

        if (!gale_ckpt_task_wants_compaction(t, GALE_CHAIN_MAX))
            continue;
        if (gale_ckpt_compact(c->store, t, &base) == 0 &&
            gale_ckpt_task_rebase(c->store, t, base) != 0)
            log_warn("%s: task %d: cannot use compacted %s", c->dir,
                t->task_id, base);
        free(base);
        base = NULL;
    }
}

int
gale_coord_ack(gale_coord_t *c, const gale_report_ack_t *ack,
    const char *file, uint64_t *done, char **cause)
{
    gale_ckpt_task_t *t;
    uint64_t now;
    size_t k;
    int rc;

    if (ack->task < 1 || (size_t)ack->task > c->plan->ntasks)
        return 0;
    if (ack->ckpt != c->inflight) {
        /* Late acknowledgement of a declined checkpoint. */
        if (ack->ckpt <= c->declined_max)
            owe_file(c, ack->task, file, ack->bytes);
        return 0;
    }
    if (c->acked[ack->task - 1])
        return 0;                   /* duplicate */
    if ((t = gale_ckpt_meta_task(c->next, ack->task)) == NULL) {
        xasprintf(cause, "checkpoint %llu: acknowledgement from unknown task %d",
            (unsigned long long)ack->ckpt, ack->task);
        return -1;
    }
    /* Files of declined checkpoints first (the writer acknowledges each
     * task's files in order), then this one. */
    for (k = 0; k < c->ncarry[ack->task - 1]; k++) {
        gale_ckpt_task_add(t, c->carry[ack->task - 1][k],
            c->carry_bytes[ack->task - 1][k]);
        free(c->carry[ack->task - 1][k]);
    }
    c->ncarry[ack->task - 1] = 0;
    gale_ckpt_task_add(t, file, ack->bytes);
    c->acked[ack->task - 1] = true;
    c->stats.bytes += ack->bytes;
    c->cur_bytes += ack->bytes;
    if (ack->align_ns > c->align_max_ns)
        c->align_max_ns = ack->align_ns;
    if (++c->nacked < c->plan->ntasks)
        return 0;
    /* Every task acknowledged: the metadata makes the checkpoint exist. */
    gale_failpoint("before_meta");
    if ((rc = gale_ckpt_write_meta(c->store, c->next)) != 0) {
        xasprintf(cause, "%s: writing checkpoint %llu: %s", c->dir,
            (unsigned long long)c->inflight, strerror(-rc));
        return -1;
    }
    gale_failpoint("after_meta");
    now = gale_now_ns();
    c->stats.completed++;
    c->stats.total_ns += now - c->started_ns;
    if (now - c->started_ns > c->stats.max_ns)
        c->stats.max_ns = now - c->started_ns;
    c->stats.align_ns += c->align_max_ns;
    c->stats.last_id = c->inflight;
    record(c, GALE_COORD_COMPLETED, now);
    gale_ckpt_meta_destroy(&c->last);
    c->last = c->next;
    c->next = NULL;
    *done = c->inflight;
    c->inflight = 0;
    c->declined_in_row = 0;
    c->last_end_ns = now;
    if ((rc = gale_ckpt_gc(c->store, c->retain)) < 0)
        log_warn("%s: removing old checkpoints: %s", c->dir, strerror(-rc));
    compact_chains(c);
    return 1;
}

/* Moves the files that tasks already acknowledged for the checkpoint in
 * flight (about to be declined) to what the next chain owes. */
static void
owe_acked(gale_coord_t *c)
{
    size_t i;

    for (i = 0; i < c->plan->ntasks; i++) {
        const gale_ckpt_task_t *t;
        const gale_ckpt_task_t *prev;
        size_t k, from;

        if (!c->acked[i] || (t = gale_ckpt_meta_task(c->next, (int)i + 1)) == NULL)
            continue;
        prev = c->last != NULL ? gale_ckpt_meta_task(c->last, (int)i + 1) : NULL;
        from = prev != NULL ? prev->nfiles : 0;
        for (k = from; k < t->nfiles; k++)
            owe_file(c, (int)i + 1, t->files[k], t->sizes[k]);
    }
}

int
gale_coord_check_timeout(gale_coord_t *c, uint64_t now_ns, uint64_t *id,
    char **cause)
{
    if (c->inflight == 0 ||
        now_ns < c->started_ns + (uint64_t)c->timeout_ms * 1000000u)
        return 0;
    *id = c->inflight;
    log_warn("checkpoint %llu declined: not acknowledged by %zu of %zu tasks "
        "within %d ms", (unsigned long long)c->inflight,
        c->plan->ntasks - c->nacked, c->plan->ntasks, c->timeout_ms);
    c->stats.declined++;
    record(c, GALE_COORD_DECLINED, now_ns);
    c->declined_max = c->inflight;
    owe_acked(c);
    c->inflight = 0;
    c->last_end_ns = now_ns;
    gale_ckpt_meta_destroy(&c->next);
    if (++c->declined_in_row > c->tolerable) {
        xasprintf(cause, "%d checkpoints in a row declined (tolerable: %d)",
            c->declined_in_row, c->tolerable);
        return -1;
    }
    return 1;
}

void
gale_coord_abandon(gale_coord_t *c)
{
    /* A restart rebuilds every store from the last complete checkpoint:
     * nothing is owed any more. */
    drop_carry(c);
    if (c->inflight != 0)
        record(c, GALE_COORD_ABANDONED, gale_now_ns());
    c->inflight = 0;
    gale_ckpt_meta_destroy(&c->next);
    c->last_end_ns = gale_now_ns();
}

const gale_coord_record_t *
gale_coord_records(const gale_coord_t *c, size_t *n)
{
    *n = c->nrecords;
    return c->records;
}

const gale_ckpt_meta_t *
gale_coord_last(const gale_coord_t *c)
{
    return c->last;
}

const gale_coord_stats_t *
gale_coord_stats(const gale_coord_t *c)
{
    return &c->stats;
}
