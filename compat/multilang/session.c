/* session.c - a task's conversation with its multilang child (session.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "compat/multilang/mlproto.h"
#include "compat/multilang/session.h"

/* Most task ids an emit can report. */
#define MAX_TARGETS 4096

const char *
gale_mlsession_command(const json_t *msg)
{
    return json_string_value(json_object_get(msg, "command"));
}

/* An excerpt of msg's JSON for messages. Caller frees. */
static char *
excerpt(const json_t *msg)
{
    char *j, *e;

    if (msg == NULL)
        return NULL;
    j = json_dumps(msg, JSON_COMPACT | JSON_ENCODE_ANY);
    e = gale_mlproto_excerpt(j != NULL ? j : "?", j != NULL ? strlen(j) : 1, 200);
    free(j);
    return e;
}

int
gale_mlsession_fail(gale_mlsession_t *s, int rc, const json_t *msg,
    const char *fmt, ...)
{
    char *what, *ex;
    va_list ap;

    if (s->err != 0)
        return s->err;
    s->err = rc;
    va_start(ap, fmt);
    xvasprintf(&what, fmt, ap);
    va_end(ap);
    ex = excerpt(msg);
    gale_ctx_report_error(s->ctx, "shell %s %s[%d]: %s%s%s", s->kind,
        gale_ctx_component(s->ctx), gale_ctx_task(s->ctx), what,
        ex != NULL ? "; the child sent: " : "", ex != NULL ? ex : "");
    free(what);
    free(ex);
    return rc;
}

/* The conf value at key as an int, or def. */
static int64_t
conf_int(gale_ctx_t *ctx, const char *key, int64_t def)
{
    const gale_value_t *v = gale_value_map_get(gale_ctx_conf(ctx), key);

    if (v != NULL && v->type == GALE_INT)
        return v->u.i;
    if (v != NULL && v->type == GALE_DOUBLE)
        return (int64_t)v->u.d;
    return def;
}

/* Creates the task's pid dir under $TMPDIR. NULL on failure. */
static char *
make_pid_dir(gale_ctx_t *ctx)
{
    const char *tmp = getenv("TMPDIR");
    char *dir, *p;

    xasprintf(&dir, "%s/gale-ml-%d-%.40s-t%d-XXXXXX",
        tmp != NULL && *tmp != '\0' ? tmp : "/tmp", (int)getpid(),
        gale_ctx_component(ctx), gale_ctx_task(ctx));
    for (p = dir + strlen(tmp != NULL && *tmp != '\0' ? tmp : "/tmp") + 1;
        *p != '\0'; p++)
        if (*p == '/')
            *p = '_';
    if (mkdtemp(dir) == NULL) {
        free(dir);
        return NULL;
    }
    return dir;
}

/* Removes the pid dir and the files in it. */
static void
remove_pid_dir(const char *dir)
{
    struct dirent *de;
    char *path;
    DIR *d;

    if (dir == NULL || (d = opendir(dir)) == NULL)
        return;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        xasprintf(&path, "%s/%s", dir, de->d_name);
        unlink(path);
        free(path);
    }
    closedir(d);
    rmdir(dir);
}

/* A NULL-terminated copy of the strings of LIST v (NULL when v is not a
 * non-empty list of strings). Caller frees with free_strv. */
static char **
strv(const gale_value_t *v)
{
    char **a;
    size_t i;

    if (v == NULL || v->type != GALE_LIST || v->u.list.len == 0)
        return NULL;
    a = xcalloc(v->u.list.len + 1, sizeof *a);
    for (i = 0; i < v->u.list.len; i++) {
        if (v->u.list.items[i]->type != GALE_STRING) {
            a[i] = NULL;
            while (i > 0)
                free(a[--i]);
            free(a);
            return NULL;
        }
        a[i] = xstrdup(v->u.list.items[i]->u.s.ptr);
    }
    return a;
}

static void
free_strv(char **a)
{
    size_t i;

    for (i = 0; a != NULL && a[i] != NULL; i++)
        free(a[i]);
    free(a);
}

/* NAME=VALUE strings of the `env` group (values of any scalar type). */
static char **
envv(const gale_value_t *v)
{
    char **a;
    size_t i, n = 0;

    if (v == NULL || v->type != GALE_MAP)
        return NULL;
    a = xcalloc(v->u.map.len + 1, sizeof *a);
    for (i = 0; i < v->u.map.len; i++) {
        const gale_value_t *x = v->u.map.vals[i];

        if (x->type == GALE_STRING)
            xasprintf(&a[n++], "%s=%s", v->u.map.keys[i], x->u.s.ptr);
        else if (x->type == GALE_INT)
            xasprintf(&a[n++], "%s=%lld", v->u.map.keys[i], (long long)x->u.i);
        else if (x->type == GALE_DOUBLE)
            xasprintf(&a[n++], "%s=%g", v->u.map.keys[i], x->u.d);
        else if (x->type == GALE_BOOL)
            xasprintf(&a[n++], "%s=%s", v->u.map.keys[i], x->u.b ? "true" : "false");
    }
    return a;
}

int
gale_mlsession_open(gale_mlsession_t *s, gale_ctx_t *ctx, const char *kind)
{
    gale_mlchild_cfg_t cfg;
    gale_value_t *context;
    char origin[128], *cause = NULL, **argv, **env;
    json_t *hs, *msg = NULL;
    const char *cmd;
    int64_t secs;
    int rc;

    memset(s, 0, sizeof *s);
    s->ctx = ctx;
    s->kind = kind;
    gale_buf_init(&s->out, 4096);
    secs = conf_int(ctx, "topology.subprocess.timeout.secs",
        conf_int(ctx, "supervisor.worker.timeout.secs", 30));
    s->timeout_ms = secs > 0 && secs < 86400 ? (int)secs * 1000 : 30000;
    if ((argv = strv(gale_ctx_param(ctx, "command"))) == NULL)
        return gale_mlsession_fail(s, -EINVAL, NULL, "`command` must be a "
            "non-empty list of strings");
    if ((s->pid_dir = make_pid_dir(ctx)) == NULL) {
        free_strv(argv);
        return gale_mlsession_fail(s, -errno, NULL, "cannot create a pid "
            "dir: %s", strerror(errno));
    }
    env = envv(gale_ctx_param(ctx, "env"));
    snprintf(origin, sizeof origin, "%s[%d]", gale_ctx_component(ctx),
        gale_ctx_task(ctx));
    memset(&cfg, 0, sizeof cfg);
    cfg.argv = argv;
    cfg.cwd = gale_ctx_param_str(ctx, "cwd", NULL);
    cfg.env = env;
    cfg.origin = origin;
    cfg.max_msg = GALE_ML_MAX_MSG;
    s->child = gale_mlchild_open(&cfg, &cause);
    free_strv(argv);
    free_strv(env);
    if (s->child == NULL) {
        rc = gale_mlsession_fail(s, -ENOENT, NULL, "%s", cause);
        free(cause);
        return rc;
    }
    /* The handshake: pidDir, conf, context; the child answers its pid. */
    context = gale_ctx_storm_context(ctx);
    hs = json_object();
    json_object_set_new(hs, "pidDir", json_string(s->pid_dir));
    json_object_set_new(hs, "conf", gale_mlproto_from_value(gale_ctx_conf(ctx)));
    json_object_set_new(hs, "context", gale_mlproto_from_value(context));
    gale_value_destroy(&context);
    s->owed_since = gale_now_ns();
    if ((rc = gale_mlsession_send(s, hs)) != 0)
        return rc;
    for (;;) {
        if ((rc = gale_mlsession_recv(s, &msg, 100, true)) < 0)
            return rc;
        if (rc == 0)
            continue;
        if (json_is_integer(json_object_get(msg, "pid")))
            break;
        cmd = gale_mlsession_command(msg);
        if (cmd == NULL || gale_mlsession_common(s, msg, cmd) == 0) {
            rc = gale_mlsession_fail(s, -EPROTO, msg, "expected the pid "
                "reply to the handshake");
            json_decref(msg);
            return rc;
        }
        json_decref(msg);
    }
    gale_ctx_log(ctx, GALE_LOG_INFO, "Launched subprocess with pid %lld "
        "(command pid %d)", (long long)json_integer_value(json_object_get(msg,
        "pid")), (int)gale_mlchild_pid(s->child));
    json_decref(msg);
    return 0;
}

void
gale_mlsession_close(gale_mlsession_t *s)
{
    size_t i;

    gale_mlchild_close(&s->child);
    remove_pid_dir(s->pid_dir);
    free(s->pid_dir);
    s->pid_dir = NULL;
    gale_buf_release(&s->out);
    for (i = 0; i < s->cap; i++) {
        free(s->blocks[i]);
        gale_value_destroy(&s->trees[i]);
    }
    free(s->blocks);
    free(s->trees);
    free(s->vals);
    s->blocks = NULL;
    s->trees = NULL;
    s->vals = NULL;
    s->cap = 0;
}

int
gale_mlsession_send(gale_mlsession_t *s, json_t *msg)
{
    int rc;

    if (s->err != 0) {
        json_decref(msg);
        return s->err;
    }
    gale_buf_reset(&s->out);
    rc = gale_mlproto_frame(msg, &s->out);
    json_decref(msg);
    if (rc != 0)
        return gale_mlsession_fail(s, rc, NULL, "cannot encode a message "
            "to the child");
    rc = gale_mlchild_write(s->child, s->out.data, s->out.len, s->timeout_ms);
    if (rc == -ETIMEDOUT)
        return gale_mlsession_fail(s, rc, NULL, "the child read nothing of "
            "its stdin for %d s (topology.subprocess.timeout.secs)",
            s->timeout_ms / 1000);
    if (rc != 0) {
        char *cause = NULL;
        json_t *m = NULL;

        /* The reader usually knows more (how it exited, a last word). */
        if (gale_mlchild_read(s->child, &m, 200, &cause) < 0) {
            rc = gale_mlsession_fail(s, -EPIPE, NULL, "%s", cause);
            free(cause);
            return rc;
        }
        json_decref(m);
        return gale_mlsession_fail(s, rc, NULL, "writing to the child: %s",
            strerror(-rc));
    }
    return 0;
}

int
gale_mlsession_recv(gale_mlsession_t *s, json_t **msg, int wait_ms, bool owed)
{
    char *cause = NULL;
    uint64_t alive, now;
    int rc;

    *msg = NULL;
    if (s->err != 0)
        return s->err;
    rc = gale_mlchild_read(s->child, msg, wait_ms, &cause);
    if (rc < 0) {
        rc = gale_mlsession_fail(s, rc, NULL, "%s", cause);
        free(cause);
        return rc;
    }
    /* Let the engine tear us down, and report, even while messages flow. */
    now = gale_now_ns();
    if (rc == 0 || now - s->polled_ns >= 100000000u) {
        s->polled_ns = now;
        if (gale_ctx_cancelled(s->ctx)) {
            json_decref(*msg);
            *msg = NULL;
            return -ECANCELED;
        }
    }
    if (rc > 0)
        return rc;
    if (owed) {
        alive = gale_mlchild_last_output(s->child);
        if (s->owed_since > alive)
            alive = s->owed_since;
        if (now > alive && now - alive > (uint64_t)s->timeout_ms * 1000000u)
            return gale_mlsession_fail(s, -ETIMEDOUT, NULL, "the child (pid "
                "%d) sent nothing for %d s (topology.subprocess.timeout.secs)",
                (int)gale_mlchild_pid(s->child), s->timeout_ms / 1000);
    }
    return 0;
}

int
gale_mlsession_common(gale_mlsession_t *s, const json_t *msg, const char *cmd)
{
    const json_t *m = json_object_get(msg, "msg"), *lv, *params;
    const char *name;
    char *text = NULL;
    int level;

    if (strcmp(cmd, "log") == 0 || strcmp(cmd, "error") == 0) {
        if (!json_is_string(m))
            text = json_dumps(m != NULL ? m : json_null(),
                JSON_COMPACT | JSON_ENCODE_ANY);
        if (cmd[0] == 'e') {
            gale_ctx_report_error(s->ctx, "Shell Process Exception: %s",
                text != NULL ? text : json_string_value(m));
        } else {
            lv = json_object_get(msg, "level");
            level = json_is_integer(lv) ? (int)json_integer_value(lv) : 2;
            if (level < GALE_LOG_TRACE || level > GALE_LOG_ERROR)
                level = GALE_LOG_INFO;
            gale_ctx_log(s->ctx, level, "ShellLog pid:%d, name:%s %s",
                (int)gale_mlchild_pid(s->child), gale_ctx_component(s->ctx),
                text != NULL ? text : json_string_value(m));
        }
        free(text);
        return 1;
    }
    if (strcmp(cmd, "metrics") == 0) {
        name = json_string_value(json_object_get(msg, "name"));
        params = json_object_get(msg, "params");
        if (name != NULL && json_is_integer(params))
            gale_ctx_count(s->ctx, name, (int64_t)json_integer_value(params));
        else if (name != NULL && json_is_real(params))
            gale_ctx_count(s->ctx, name, (int64_t)json_real_value(params));
        else if (name != NULL)
            gale_ctx_count(s->ctx, name, 1);
        gale_ctx_log(s->ctx, GALE_LOG_DEBUG, "metric %s updated with %s",
            name != NULL ? name : "(no name)", json_is_number(params) ?
            "a number" : "a non-numeric value (counted as 1)");
        return 1;
    }
    return 0;
}

/* Makes room for n fields of emit scratch. */
static void
reserve_fields(gale_mlsession_t *s, size_t n)
{
    size_t i;

    if (n <= s->cap)
        return;
    s->blocks = xreallocarray(s->blocks, n, sizeof *s->blocks);
    s->trees = xreallocarray(s->trees, n, sizeof *s->trees);
    s->vals = xreallocarray(s->vals, n, sizeof *s->vals);
    for (i = s->cap; i < n; i++) {
        s->blocks[i] = NULL;
        s->trees[i] = NULL;
    }
    s->cap = n;
}

/* true if j nests lists and maps deeper than the wire format allows. */
static bool
too_deep(const json_t *j, int depth)
{
    const char *k;
    json_t *x;
    size_t i;

    if (!json_is_object(j) && !json_is_array(j))
        return false;
    if (depth >= GALE_VALUE_MAX_DEPTH)
        return true;
    if (json_is_object(j)) {
        json_object_foreach((json_t *)j, k, x)
            if (too_deep(x, depth + 1))
                return true;
    } else {
        json_array_foreach(j, i, x)
            if (too_deep(x, depth + 1))
                return true;
    }
    return false;
}

/* Fills s->vals[i] viewing JSON value j (strings point into j). */
static void
field(gale_mlsession_t *s, size_t i, const json_t *j)
{
    gale_datum_t *d = &s->vals[i];

    switch (json_typeof(j)) {
    case JSON_STRING:
        *d = gale_d_str(json_string_value(j), json_string_length(j));
        break;
    case JSON_INTEGER:
        *d = gale_d_int((int64_t)json_integer_value(j));
        break;
    case JSON_REAL:
        *d = gale_d_double(json_real_value(j));
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        *d = gale_d_bool(json_is_true(j));
        break;
    case JSON_NULL:
        *d = gale_d_null();
        break;
    default:
        s->trees[i] = gale_mlproto_to_value(j);
        gale_value_to_datum(s->trees[i], d, &s->blocks[i]);
        break;
    }
}

int
gale_mlsession_emit(gale_mlsession_t *s, const json_t *msg, bool drop)
{
    const json_t *tuple = json_object_get(msg, "tuple");
    const json_t *jstream = json_object_get(msg, "stream");
    const json_t *jtask = json_object_get(msg, "task");
    const json_t *need = json_object_get(msg, "need_task_ids");
    const char *stream = "default";
    gale_emit_opts_t o;
    int targets[MAX_TARGETS], rc = 0, h;
    size_t i, n, nt = 0;
    json_t *ids;

    if (!json_is_array(tuple))
        return gale_mlsession_fail(s, -EPROTO, msg, "an emit without a "
            "`tuple` list");
    if (json_is_string(jstream))
        stream = json_string_value(jstream);
    else if (jstream != NULL && !json_is_null(jstream))
        return gale_mlsession_fail(s, -EPROTO, msg, "`stream` must be a string");
    if (jtask != NULL && !json_is_null(jtask) && !json_is_integer(jtask))
        return gale_mlsession_fail(s, -EPROTO, msg, "`task` must be an integer");
    memset(&o, 0, sizeof o);
    o.direct_task = json_is_integer(jtask) ? (int)json_integer_value(jtask) : -1;
    if (o.direct_task < -1)
        o.direct_task = INT32_MAX;      /* no such task: -ESRCH below */
    if (!drop) {
        if ((h = gale_ctx_stream(s->ctx, stream)) < 0)
            return gale_mlsession_fail(s, -ENOENT, msg, "emit to stream `%s`, "
                "which the component does not declare", stream);
        n = json_array_size(tuple);
        for (i = 0; i < n; i++)
            if (too_deep(json_array_get(tuple, i), 0))
                return gale_mlsession_fail(s, -EPROTO, msg, "field %zu "
                    "nests lists and maps deeper than %d", i,
                    GALE_VALUE_MAX_DEPTH);
        reserve_fields(s, n ? n : 1);
        for (i = 0; i < n; i++)
            field(s, i, json_array_get(tuple, i));
        o.stream = h;
        o.tasks_out = targets;
        o.tasks_cap = MAX_TARGETS;
        o.ntasks_out = &nt;
        rc = gale_emit_ex(s->ctx, &o, s->vals, n);
        for (i = 0; i < n; i++) {
            gale_value_destroy(&s->trees[i]);
            free(s->blocks[i]);
            s->blocks[i] = NULL;
        }
        if (rc == -EINVAL)
            return gale_mlsession_fail(s, rc, msg, "emit of %zu values to "
                "stream `%s`, which declares a different number of fields",
                n, stream);
        if (rc == -ESRCH)
            return gale_mlsession_fail(s, rc, msg, "emitDirect to task %d, "
                "which does not consume stream `%s`", o.direct_task, stream);
        if (rc == -EPERM)
            return gale_mlsession_fail(s, rc, msg, "%s to stream `%s`: its "
                "grouping does not allow it", o.direct_task >= 0 ?
                "emitDirect" : "a regular emit", stream);
        if (rc != 0) {
            if (rc == -ECANCELED)
                return rc;
            return gale_mlsession_fail(s, rc, msg, "emit failed: %s",
                strerror(-rc));
        }
    }
    if (o.direct_task >= 0 || json_is_false(need))
        return 0;
    ids = json_array();
    for (i = 0; i < nt && i < MAX_TARGETS; i++)
        json_array_append_new(ids, json_integer(targets[i]));
    return gale_mlsession_send(s, ids);
}
