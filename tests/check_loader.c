/* check_loader.c - the DSL loader: parsing, includes, ${} substitution,
 * config keys and every file-level mistake, with exact messages. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "topology/dot.h"
#include "topology/keys.h"
#include "topology/props.h"
#include "topology/suggest.h"
#include "topology/topology.h"
#include "topology/wideint.h"

/* The fixture directory with a trailing slash. Caller frees. */
static char *
fixture_dir(void)
{
    const char *top = getenv("top_srcdir");
    char *dir;

    xasprintf(&dir, "%s/tests/data/dsl/", top != NULL ? top : ".");
    return dir;
}

/* The path of fixture name. Caller frees. */
static char *
fixture(const char *name)
{
    char *dir = fixture_dir(), *path;

    xasprintf(&path, "%s%s", dir, name);
    free(dir);
    return path;
}

/* msg with every occurrence of the fixture directory removed, so that
 * expected messages do not depend on where the tree is. Caller frees. */
static char *
strip_dir(const char *msg)
{
    char *dir = fixture_dir(), *out = xstrdup(msg), *p;
    size_t n = strlen(dir);

    while ((p = strstr(out, dir)) != NULL)
        memmove(p, p + n, strlen(p + n) + 1);
    free(dir);
    return out;
}

/* Loads fixture name with o; checks that it fails with exactly the
 * messages in want (NULL-terminated). */
static void
expect_errors(const char *name, const gale_load_opts_t *o,
    const char *const *want)
{
    gale_diag_t *d = gale_diag_new();
    char *path = fixture(name), *msg;
    gale_topology_t *t;
    size_t i, n = 0;

    while (want[n] != NULL)
        n++;
    t = gale_topology_load(path, o, d);
    ck_assert_ptr_null(t);
    for (i = 0; i < gale_diag_count(d) && i < n; i++) {
        msg = strip_dir(gale_diag_message(d, i));
        ck_assert_str_eq(msg, want[i]);
        free(msg);
    }
    ck_assert_uint_eq(gale_diag_count(d), n);
    gale_diag_destroy(&d);
    free(path);
}

/* Loads fixture name with o and asserts that it loads cleanly. */
static gale_topology_t *
load_ok(const char *name, const gale_load_opts_t *o)
{
    gale_diag_t *d = gale_diag_new();
    char *path = fixture(name);
    gale_topology_t *t = gale_topology_load(path, o, d);

    if (gale_diag_count(d) > 0)
        ck_abort_msg("%s: %s", name, gale_diag_message(d, 0));
    ck_assert_ptr_nonnull(t);
    gale_diag_destroy(&d);
    free(path);
    return t;
}

START_TEST(test_good_model)
{
    gale_topology_t *t = load_ok("good.cfg", NULL);
    const gale_comp_t *c;
    const gale_edge_t *e;
    const gale_value_t *v;

    ck_assert_str_eq(t->name, "word-count");
    ck_assert_int_eq(t->workers, 2);
    ck_assert_int_eq(t->max_parallelism, 64);
    ck_assert_int_eq(t->guarantee, GALE_GUARANTEE_AT_LEAST_ONCE);
    ck_assert_int_eq(t->batch_size, 512);
    ck_assert_uint_eq(t->batch_bytes, 65536);
    ck_assert_int_eq(t->flush_interval_ms, 10);
    ck_assert_int_eq(t->queue_depth, 4);
    ck_assert_int_eq(t->checkpoint_interval_ms, 2000);
    ck_assert_str_eq(t->checkpoint_dir, "state/wc");
    ck_assert(t->debug);
    /* Components sorted by id. */
    ck_assert_uint_eq(t->ncomps, 5);
    ck_assert_str_eq(t->comps[0].id, "count");
    ck_assert_str_eq(t->comps[1].id, "lines");
    ck_assert_str_eq(t->comps[2].id, "log");
    ck_assert_str_eq(t->comps[3].id, "split");
    ck_assert_str_eq(t->comps[4].id, "upper");
    ck_assert_int_eq(gale_topology_find(t, "split"), 3);
    ck_assert_int_eq(gale_topology_find(t, "nope"), -1);

    c = &t->comps[1];
    ck_assert_int_eq(c->kind, GALE_SPOUT);
    ck_assert_str_eq(c->type, "lines");
    ck_assert_int_eq(c->parallelism, 1);
    ck_assert_int_eq(c->ntasks, 1);
    ck_assert_ptr_null(c->plugin);
    ck_assert_uint_eq(c->params->u.map.len, 1);
    ck_assert_str_eq(gale_value_map_get(c->params, "path")->u.s.ptr,
        "data/in.txt");
    ck_assert_int_eq(c->where.line, 15);

    c = &t->comps[3];
    ck_assert_int_eq(c->kind, GALE_BOLT);
    ck_assert_int_eq(c->parallelism, 2);
    ck_assert_int_eq(c->ntasks, 4);
    ck_assert_uint_eq(c->nstreams, 2);
    ck_assert_str_eq(c->streams[0].id, "default");
    ck_assert_str_eq(c->streams[0].fields[0], "word");
    ck_assert_str_eq(c->streams[1].id, "rejects");
    ck_assert_str_eq(c->streams[1].fields[0], "line");
    ck_assert(!c->streams[1].direct);
    ck_assert_int_eq(gale_comp_find_stream(c, "rejects"), 1);
    ck_assert_int_eq(gale_comp_find_stream(c, "x"), -1);
    ck_assert_int_eq(c->tick_secs, 5);
    /* Component conf: the topology's merged with its own. */
    v = gale_value_map_get(c->conf, "topology.debug");
    ck_assert(v != NULL && v->type == GALE_BOOL && !v->u.b);
    ck_assert_int_eq(gale_value_map_get(c->conf,
        "topology.tick.tuple.freq.secs")->u.i, 5);
    ck_assert_int_eq(gale_value_map_get(c->conf, "topology.workers")->u.i, 2);
    ck_assert_uint_eq(c->params->u.map.len, 0);

    c = &t->comps[0];
    ck_assert_str_eq(gale_value_map_get(c->params, "key")->u.s.ptr, "word");
    ck_assert_uint_eq(c->streams[0].nfields, 2);
    ck_assert_int_eq(c->tick_secs, 0);

    c = &t->comps[4];
    ck_assert_ptr_nonnull(strstr(c->plugin, "tests/data/dsl/plugins/upper.so"));

    /* Edges in file order, resolved. */
    ck_assert_uint_eq(t->nedges, 5);
    e = &t->edges[0];
    ck_assert_int_eq(e->from, 1);
    ck_assert_int_eq(e->to, 3);
    ck_assert_str_eq(e->stream, "default");
    ck_assert_int_eq(e->stream_idx, 0);
    ck_assert_int_eq(e->grouping, GALE_GROUPING_SHUFFLE);
    ck_assert_int_eq(t->edges[1].grouping, GALE_GROUPING_LOCAL_OR_SHUFFLE);
    e = &t->edges[2];
    ck_assert_int_eq(e->grouping, GALE_GROUPING_FIELDS);
    ck_assert_uint_eq(e->nfields, 1);
    ck_assert_str_eq(e->fields[0], "word");
    ck_assert_int_eq(e->field_idx[0], 0);
    e = &t->edges[3];
    ck_assert_str_eq(e->stream, "rejects");
    ck_assert_int_eq(e->stream_idx, 1);
    ck_assert_int_eq(e->grouping, GALE_GROUPING_GLOBAL);
    e = &t->edges[4];
    ck_assert_int_eq(e->grouping, GALE_GROUPING_CUSTOM);
    ck_assert_str_eq(e->custom, "first_n");
    ck_assert_ptr_nonnull(strstr(e->custom_plugin, "dsl/plugins/upper.so"));
    ck_assert_int_eq(gale_value_map_get(e->custom_args, "n")->u.i, 2);
    ck_assert_int_eq(e->where.line, 31);
    gale_topology_destroy(&t);
    ck_assert_ptr_null(t);
}
END_TEST

START_TEST(test_conf_map)
{
    gale_topology_t *t = load_ok("good.cfg", NULL);
    const char **names;
    size_t n;

    ck_assert_int_eq(gale_value_map_get(t->conf, "topology.workers")->u.i, 2);
    ck_assert_int_eq(gale_value_map_get(t->conf,
        "topology.max.spout.pending")->u.i, 500);
    ck_assert_int_eq(gale_value_map_get(t->conf,
        "topology.state.checkpoint.interval.ms")->u.i, 2000);
    ck_assert_int_eq(gale_value_map_get(t->conf,
        "gale.checkpoint.retain")->u.i, 5);
    ck_assert_str_eq(gale_value_map_get(t->conf, "topology.name")->u.s.ptr,
        "word-count");
    /* Storm's defaults for keys not set. */
    ck_assert_int_eq(gale_value_map_get(t->conf,
        "topology.message.timeout.secs")->u.i, 30);
    ck_assert_double_eq(gale_value_map_get(t->conf,
        "topology.stats.sample.rate")->u.d, 0.05);
    ck_assert_ptr_null(gale_value_map_get(t->conf, "topology.tasks"));
    /* user keys unchanged. */
    ck_assert_str_eq(gale_value_map_get(t->conf, "greeting")->u.s.ptr,
        "hello");
    ck_assert_int_eq(gale_value_map_get(t->conf, "answer")->u.i, 42);
    /* Passed through without effect: only the one set. */
    ck_assert_int_eq(gale_keys_ignored(t, &names, &n), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(names[0], "topology.shellbolt.max.pending");
    free(names);
    gale_topology_destroy(&t);
}
END_TEST

START_TEST(test_defaults)
{
    static const char text[] = "name = \"d\";\n"
        "spouts = ( { id = \"s\"; type = \"gen\"; fields = [\"x\"]; } );\n";
    gale_diag_t *d = gale_diag_new();
    gale_topology_t *t = gale_topology_load_buffer("mem.cfg", text,
        strlen(text), NULL, d);

    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(t->workers, 1);
    ck_assert_int_eq(t->max_parallelism, 128);
    ck_assert_int_eq(t->guarantee, GALE_GUARANTEE_EXACTLY_ONCE);
    ck_assert_int_eq(t->batch_size, 8192);
    ck_assert_uint_eq(t->batch_bytes, 65536);
    ck_assert_int_eq(t->flush_interval_ms, 5);
    ck_assert_int_eq(t->queue_depth, 4);
    ck_assert_int_eq(t->checkpoint_interval_ms, 1000);
    ck_assert_ptr_null(t->checkpoint_dir);
    ck_assert(!t->debug);
    ck_assert_uint_eq(t->nfiles, 1);
    ck_assert_str_eq(t->files[0], "mem.cfg");
    ck_assert_str_eq(t->comps[0].where.file, "mem.cfg");
    ck_assert_int_eq(t->comps[0].where.line, 2);
    gale_topology_destroy(&t);
    gale_diag_destroy(&d);
}
END_TEST

START_TEST(test_overrides)
{
    static const char *const ov_ok[] = { "topology.workers=4",
        "topology.debug=true", "gale.guarantee=\"none\"",
        "topology.stats.sample.rate=1", NULL };
    static const char *const ov_bad[] = { "topology.worker=3",
        "topology.workers=zero", "noequals", NULL };
    static const char *const want[] = {
        "-c topology.worker=3: unknown config key `topology.worker` (did you mean `topology.workers`?)",
        "-c topology.workers=zero: `topology.workers` must be an integer, not a string",
        "-c noequals: expected KEY=VALUE",
        NULL };
    gale_load_opts_t o = { 0 };
    gale_topology_t *t;

    o.overrides = ov_ok;
    t = load_ok("good.cfg", &o);
    ck_assert_int_eq(t->workers, 4);
    ck_assert(t->debug);
    ck_assert_int_eq(t->guarantee, GALE_GUARANTEE_NONE);
    ck_assert_int_eq(gale_value_map_get(t->conf,
        "topology.stats.sample.rate")->type, GALE_DOUBLE);
    gale_topology_destroy(&t);
    o.overrides = ov_bad;
    expect_errors("good.cfg", &o, want);
}
END_TEST

START_TEST(test_parse_value)
{
    gale_value_t *v;

    v = gale_keys_parse_value("42");
    ck_assert_int_eq(v->type, GALE_INT);
    ck_assert_int_eq(v->u.i, 42);
    gale_value_destroy(&v);
    v = gale_keys_parse_value("-2.5");
    ck_assert_int_eq(v->type, GALE_DOUBLE);
    ck_assert_double_eq(v->u.d, -2.5);
    gale_value_destroy(&v);
    v = gale_keys_parse_value("false");
    ck_assert_int_eq(v->type, GALE_BOOL);
    ck_assert(!v->u.b);
    gale_value_destroy(&v);
    v = gale_keys_parse_value("\"a \\\"b\\\"\"");
    ck_assert_int_eq(v->type, GALE_STRING);
    ck_assert_str_eq(v->u.s.ptr, "a \"b\"");
    gale_value_destroy(&v);
    v = gale_keys_parse_value("inf");
    ck_assert_int_eq(v->type, GALE_STRING);
    ck_assert_str_eq(v->u.s.ptr, "inf");
    gale_value_destroy(&v);
}
END_TEST

START_TEST(test_include_and_properties)
{
    gale_load_opts_t o = { 0 };
    char *props = fixture("include.properties");
    gale_topology_t *t;
    const gale_value_t *v;

    setenv("GALE_TEST_OUT", "/tmp/galeout", 1);
    o.properties = props;
    t = load_ok("main-include.cfg", &o);
    ck_assert_str_eq(t->name, "included");
    ck_assert_int_eq(t->workers, 3);
    ck_assert_uint_eq(t->nfiles, 2);
    ck_assert_ptr_nonnull(strstr(t->files[1], "dsl/inc/spouts.cfg"));
    ck_assert_str_eq(t->comps[0].id, "gen");
    /* Lines of an included file are its own. */
    ck_assert_ptr_eq(t->comps[0].where.file, t->files[1]);
    ck_assert_int_eq(t->comps[0].where.line, 2);
    v = gale_value_map_get(t->comps[0].params, "count");
    ck_assert_int_eq(v->type, GALE_INT);
    ck_assert_int_eq(v->u.i, 1000);
    ck_assert_str_eq(gale_value_map_get(t->comps[1].params, "path")->u.s.ptr,
        "/tmp/galeout/out");
    /* Lines after the include map back to the main file. */
    ck_assert_ptr_eq(t->comps[1].where.file, t->files[0]);
    ck_assert_int_eq(t->comps[1].where.line, 4);
    ck_assert_int_eq(t->edges[0].where.line, 5);
    gale_topology_destroy(&t);
    free(props);
}
END_TEST

START_TEST(test_properties_reader)
{
    static const char text[] = "# comment\n! also\n a = 1\nb:2\nc 3\n"
        "long = one \\\n    two\nesc = t\\tab\\u00e9\nempty=\na = again\n";
    gale_props_t *p = gale_props_parse(text, strlen(text));
    char *cause = NULL;

    ck_assert_uint_eq(gale_props_count(p), 6);
    ck_assert_str_eq(gale_props_get(p, "a"), "again");
    ck_assert_str_eq(gale_props_get(p, "b"), "2");
    ck_assert_str_eq(gale_props_get(p, "c"), "3");
    ck_assert_str_eq(gale_props_get(p, "long"), "one two");
    ck_assert_str_eq(gale_props_get(p, "esc"), "t\tab\xc3\xa9");
    ck_assert_str_eq(gale_props_get(p, "empty"), "");
    ck_assert_ptr_null(gale_props_get(p, "zzz"));
    gale_props_destroy(&p);
    ck_assert_ptr_null(p);
    ck_assert_ptr_null(gale_props_load("/nonexistent/x.properties", &cause));
    ck_assert_str_eq(cause,
        "/nonexistent/x.properties: cannot open: No such file or directory");
    free(cause);
}
END_TEST

START_TEST(test_missing_properties_file)
{
    static const char *const want[] = {
        "/nonexistent/p.properties: cannot open: No such file or directory",
        NULL };
    gale_load_opts_t o = { 0 };

    o.properties = "/nonexistent/p.properties";
    expect_errors("good.cfg", &o, want);
}
END_TEST

START_TEST(test_bad_substitution)
{
    static const char *const want_noprops[] = {
        "bad-subst.cfg:2: ${DATA} is not defined (no --properties file given)",
        "bad-subst.cfg:4: ${ENV-GALE_TEST_UNSET} is not defined (environment variable GALE_TEST_UNSET is not set)",
        NULL };
    static const char *const want_props[] = {
        "bad-subst.cfg:2: ${DATA} is not defined (no property DATA in include.properties)",
        "bad-subst.cfg:4: ${ENV-GALE_TEST_UNSET} is not defined (environment variable GALE_TEST_UNSET is not set)",
        NULL };
    gale_load_opts_t o = { 0 };
    char *props = fixture("include.properties");

    unsetenv("GALE_TEST_UNSET");
    expect_errors("bad-subst.cfg", NULL, want_noprops);
    o.properties = props;
    expect_errors("bad-subst.cfg", &o, want_props);
    free(props);
}
END_TEST

START_TEST(test_newline_in_value)
{
    static const char text[] = "name = \"${ENV-GALE_TEST_NL}\";\n";
    gale_diag_t *d = gale_diag_new();

    setenv("GALE_TEST_NL", "a\nb", 1);
    ck_assert_ptr_null(gale_topology_load_buffer("nl.cfg", text,
        strlen(text), NULL, d));
    ck_assert_uint_eq(gale_diag_count(d), 1);
    ck_assert_str_eq(gale_diag_message(d, 0),
        "nl.cfg:1: ${ENV-GALE_TEST_NL}: its value contains a line break");
    gale_diag_destroy(&d);
}
END_TEST

START_TEST(test_file_errors)
{
    static const char *const missing[] = {
        "nope.cfg: cannot open: No such file or directory", NULL };
    static const char *const dir[] = {
        "inc: cannot open: Is a directory", NULL };
    static const char *const syntax[] = {
        "bad-syntax.cfg:2: syntax error", NULL };
    static const char *const eof[] = {
        "bad-eof.cfg:2: syntax error", NULL };
    static const char *const inc_missing[] = {
        "bad-include-missing.cfg:2: cannot open include file \"nope.cfg\": No such file or directory",
        NULL };
    static const char *const inc_loop[] = {
        "bad-include-loop.cfg:2: include loop: \"bad-include-loop.cfg\" is already being included",
        NULL };
    static const char *const inc_syntax[] = {
        "inc/broken.inc:2: syntax error", NULL };
    static const char *const noname[] = {
        "bad-noname.cfg: missing `name`", NULL };

    expect_errors("nope.cfg", NULL, missing);
    expect_errors("inc", NULL, dir);
    expect_errors("bad-syntax.cfg", NULL, syntax);
    expect_errors("bad-eof.cfg", NULL, eof);
    expect_errors("bad-include-missing.cfg", NULL, inc_missing);
    expect_errors("bad-include-loop.cfg", NULL, inc_loop);
    expect_errors("bad-include-syntax.cfg", NULL, inc_syntax);
    expect_errors("bad-noname.cfg", NULL, noname);
}
END_TEST

START_TEST(test_unknown_keys)
{
    static const char *const want[] = {
        "bad-keys.cfg:2: unknown top-level setting `sprouts` (did you mean `spouts`?)",
        "bad-keys.cfg:4: unknown config key `worker` (did you mean `workers`?)",
        "bad-keys.cfg:5: unknown checkpoint key `intervl_ms` (did you mean `interval_ms`?)",
        "bad-keys.cfg:6: config key `guarantee` must be \"none\", \"at_least_once\" or \"exactly_once\", not \"twice\"",
        "bad-keys.cfg:7: config key `batch_size` must be an integer, not a string",
        "bad-keys.cfg:9: component `lines`: unknown setting `paralelism` (did you mean `parallelism`?)",
        "bad-keys.cfg:10: component `sink`: config key `workers` cannot be set per component (Storm applies only its component whitelist there)",
        "bad-keys.cfg:10: component `sink`: unknown config key `tick_sec` (did you mean `tick_secs`?)",
        "bad-keys.cfg:11: stream: unknown stream key `groupng` (did you mean `grouping`?)",
        NULL };

    expect_errors("bad-keys.cfg", NULL, want);
}
END_TEST

START_TEST(test_workers_and_max_parallelism)
{
    static const char *const want[] = {
        "bad-workers.cfg:2: config key `workers` must be at least 1, not 0",
        "bad-workers.cfg:2: config key `max_parallelism` must be between 1 and 32768, not 40000",
        NULL };

    expect_errors("bad-workers.cfg", NULL, want);
}
END_TEST

START_TEST(test_parallelism_and_tasks)
{
    static const char *const want[] = {
        "bad-parallelism.cfg:3: component `lines`: `parallelism` must be a positive integer, not 0",
        "bad-parallelism.cfg:5: component `a`: `parallelism` must be a positive integer, not a string",
        "bad-parallelism.cfg:6: component `b`: `tasks` (2) is fewer than `parallelism` (4): every executor needs at least one task",
        "bad-parallelism.cfg:7: component `c`: 16 tasks exceed max_parallelism (8): each task owns at least one key group",
        "bad-parallelism.cfg:8: component `d`: `tasks` must be a positive integer, not -1",
        NULL };

    expect_errors("bad-parallelism.cfg", NULL, want);
}
END_TEST

START_TEST(test_dot)
{
    gale_topology_t *t = load_ok("good.cfg", NULL);
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);

    ck_assert_int_eq(gale_topology_write_dot(t, fp), 0);
    fclose(fp);
    ck_assert_ptr_nonnull(strstr(buf, "digraph \"word-count\" {\n"));
    ck_assert_ptr_nonnull(strstr(buf,
        "  \"lines\" [shape=ellipse, label=\"lines\\nlines \xc3\x97" "1\"];\n"));
    ck_assert_ptr_nonnull(strstr(buf,
        "  \"split\" [shape=box, label=\"split\\nsplit \xc3\x97" "2\"];\n"));
    ck_assert_ptr_nonnull(strstr(buf,
        "  \"lines\" -> \"split\" [label=\"shuffle\"];\n"));
    ck_assert_ptr_nonnull(strstr(buf,
        "  \"upper\" -> \"count\" [label=\"fields(word)\"];\n"));
    ck_assert_ptr_nonnull(strstr(buf,
        "  \"split\" -> \"log\" [label=\"rejects\\nglobal\"];\n"));
    ck_assert_ptr_nonnull(strstr(buf,
        "  \"count\" -> \"log\" [label=\"custom first_n\"];\n"));
    /* It renders, when graphviz is there. */
    if (system("command -v dot >/dev/null 2>&1") == 0) {
        fp = popen("dot -Tsvg >/dev/null", "w");
        ck_assert_ptr_nonnull(fp);
        fputs(buf, fp);
        ck_assert_int_eq(pclose(fp), 0);
    }
    free(buf);
    gale_topology_destroy(&t);
}
END_TEST

START_TEST(test_suggest)
{
    static const char *const words[] = { "shuffle", "fields", "global" };

    ck_assert_uint_eq(gale_suggest_distance("kitten", "sitting"), 3);
    ck_assert_uint_eq(gale_suggest_distance("abc", "acb"), 1);
    ck_assert_uint_eq(gale_suggest_distance("", "abc"), 3);
    ck_assert_str_eq(gale_suggest("shufle", words, 3), "shuffle");
    ck_assert_str_eq(gale_suggest("feilds", words, 3), "fields");
    ck_assert_ptr_null(gale_suggest("xyz", words, 3));
    ck_assert_ptr_null(gale_suggest("shuffle", words, 3));
}
END_TEST

START_TEST(test_value_tree)
{
    gale_value_t *m = gale_value_map(), *l = gale_value_list(), *c;

    gale_value_list_append(l, gale_value_string("a", 1));
    gale_value_list_append(l, gale_value_null());
    gale_value_map_set(m, "list", l);
    gale_value_map_set(m, "n", gale_value_int(1));
    gale_value_map_set(m, "n", gale_value_int(2));
    gale_value_map_set(m, "b", gale_value_bytes("\0x", 2));
    ck_assert_uint_eq(m->u.map.len, 3);
    ck_assert_int_eq(gale_value_map_get(m, "n")->u.i, 2);
    c = gale_value_clone(m);
    ck_assert(gale_value_equal(m, c));
    gale_value_map_set(c, "n", gale_value_double(2));
    ck_assert(!gale_value_equal(m, c));
    ck_assert_str_eq(gale_type_name(GALE_MAP), "map");
    gale_value_destroy(&m);
    gale_value_destroy(&c);
    ck_assert_ptr_null(m);
}
END_TEST

/* Integer literals beyond 32 bits get libconfig's L; strings, comments,
 * names, floats, suffixed and 32-bit literals stay as they are. */
START_TEST(test_wide_ints)
{
    static const char in[] =
        "a = 1796302918000; b = -3000000000; c = 0x1FFFFFFFF;\n"
        "d = 2147483647; e = 5000000000L; f = 1.5e12; g = \"12345678901\";\n"
        "x12345678901 = 1; # 99999999999\n// 88888888888\n/* 77777777777 */\n"
        "h = [1, 99999999999];\n";
    static const char want[] =
        "a = 1796302918000L; b = -3000000000L; c = 0x1FFFFFFFFL;\n"
        "d = 2147483647; e = 5000000000L; f = 1.5e12; g = \"12345678901\";\n"
        "x12345678901 = 1; # 99999999999\n// 88888888888\n/* 77777777777 */\n"
        "h = [1, 99999999999L];\n";
    static const char narrow[] = "a = 1; b = \"9999999999\";";
    static const char topo[] = "name = \"w\";\n"
        "spouts = ( { id = \"g\"; type = \"generator\"; mode = \"events\";\n"
        "  start_ms = 1796302918000; fields = [\"k\", \"ts\", \"v\"]; } );\n"
        "bolts = ( { id = \"o\"; type = \"stdout\"; } );\n"
        "streams = ( { from = \"g\"; to = \"o\"; grouping = \"shuffle\"; } );\n";
    size_t len = 0;
    char *out = gale_wideint_fix(in, strlen(in), &len);
    gale_diag_t *d = gale_diag_new();
    gale_topology_t *t;

    ck_assert_ptr_nonnull(out);
    ck_assert_str_eq(out, want);
    ck_assert_uint_eq(len, strlen(want));
    free(out);
    ck_assert_ptr_null(gale_wideint_fix(narrow, strlen(narrow), &len));
    /* Through the loader: the generator's start_ms keeps all its bits. */
    t = gale_topology_load_buffer("w.cfg", topo, strlen(topo), NULL, d);
    ck_assert_msg(t != NULL, "%s", gale_diag_count(d) ? gale_diag_message(d, 0) : "?");
    ck_assert_int_eq(gale_value_map_get(t->comps[0].params, "start_ms")->u.i,
        1796302918000LL);
    gale_topology_destroy(&t);
    gale_diag_destroy(&d);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("loader");
    TCase *tc = tcase_create("core");
    SRunner *sr = srunner_create(s);
    int failed;

    tcase_add_test(tc, test_good_model);
    tcase_add_test(tc, test_conf_map);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_overrides);
    tcase_add_test(tc, test_parse_value);
    tcase_add_test(tc, test_include_and_properties);
    tcase_add_test(tc, test_properties_reader);
    tcase_add_test(tc, test_missing_properties_file);
    tcase_add_test(tc, test_bad_substitution);
    tcase_add_test(tc, test_newline_in_value);
    tcase_add_test(tc, test_file_errors);
    tcase_add_test(tc, test_unknown_keys);
    tcase_add_test(tc, test_workers_and_max_parallelism);
    tcase_add_test(tc, test_parallelism_and_tasks);
    tcase_add_test(tc, test_dot);
    tcase_add_test(tc, test_suggest);
    tcase_add_test(tc, test_value_tree);
    tcase_add_test(tc, test_wide_ints);
    suite_add_tcase(s, tc);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
