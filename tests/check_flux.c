/* check_flux.c - the Flux converter (compat/flux/): the YAML reader keeps
 * lines and types scalars as SnakeYAML does, substitution, the DSL
 * writer, and conversions and refusals with their file:line. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "compat/flux/classes.h"
#include "compat/flux/convert.h"
#include "compat/flux/dslwriter.h"
#include "compat/flux/subst.h"
#include "compat/flux/yamldoc.h"
#include "topology/topology.h"

/* Converts text as file mem.yaml; *errs gets the diagnostics. */
static char *
conv(const char *text, gale_diag_t **errs)
{
    gale_diag_t *w = gale_diag_new();
    char *out;

    *errs = gale_diag_new();
    out = gale_flux_convert("mem.yaml", text, strlen(text), NULL, *errs, w);
    gale_diag_destroy(&w);
    return out;
}

START_TEST(test_yaml_lines_and_types)
{
    static const char y[] = "a: 1\nb:\n  - yes\n  - '7'\n  - 0x10\n"
        "  - 2.5\n  - ~\n  - off\n";
    gale_ydoc_t *d = gale_ydoc_parse("t.yaml", y, strlen(y), NULL);
    const gale_ynode_t *b;
    gale_value_t *v;

    ck_assert_ptr_nonnull(d);
    b = gale_ynode_get(gale_ydoc_root(d), "b");
    ck_assert_int_eq(b->line, 3);
    ck_assert_int_eq(b->items[3]->line, 6);
    v = gale_ynode_value(b);
    ck_assert_int_eq(v->u.list.items[0]->type, GALE_BOOL);
    ck_assert_int_eq(v->u.list.items[1]->type, GALE_STRING);
    ck_assert_int_eq(v->u.list.items[2]->u.i, 16);
    ck_assert_double_eq(v->u.list.items[3]->u.d, 2.5);
    ck_assert_int_eq(v->u.list.items[4]->type, GALE_NULL);
    ck_assert(!v->u.list.items[5]->u.b);
    gale_value_destroy(&v);
    gale_ydoc_destroy(&d);
    ck_assert_ptr_null(d);
}
END_TEST

START_TEST(test_yaml_errors)
{
    static const char dup[] = "a: 1\nb: 2\na: 3\n";
    static const char bomb[] = "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
        "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
        "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
        "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n";
    static const char two[] = "a: 1\n---\nb: 2\n";
    char *cause = NULL;

    ck_assert_ptr_null(gale_ydoc_parse("t.yaml", dup, strlen(dup), &cause));
    ck_assert_str_eq(cause, "t.yaml:3: duplicate key `a` (first at line 1)");
    free(cause);
    ck_assert_ptr_null(gale_ydoc_parse("t.yaml", bomb, strlen(bomb),
        &cause));
    ck_assert_ptr_nonnull(strstr(cause, "too large"));
    free(cause);
    ck_assert_ptr_null(gale_ydoc_parse("t.yaml", two, strlen(two), &cause));
    ck_assert_ptr_nonnull(strstr(cause, "t.yaml:2: a second YAML document"));
    free(cause);
}
END_TEST

START_TEST(test_subst)
{
    static const char text[] = "a: ${x}\nb: ${l[1]} # ${not.here}\n"
        "c: ${ENV-CHECK_FLUX_VAR}\n";
    static const char props[] = "x=1\nl=[\"p\", \"q\"]\n";
    gale_props_t *p = gale_props_parse(props, strlen(props));
    gale_diag_t *d = gale_diag_new();
    size_t n;
    char *out;

    setenv("CHECK_FLUX_VAR", "env", 1);
    out = gale_flux_subst("f.yaml", text, strlen(text), p, "p.properties",
        d, &n);
    ck_assert_ptr_nonnull(out);
    ck_assert_str_eq(out, "a: 1\nb: q # ${not.here}\nc: env\n");
    free(out);
    unsetenv("CHECK_FLUX_VAR");
    ck_assert_ptr_null(gale_flux_subst("f.yaml", text, strlen(text), p,
        "p.properties", d, &n));
    ck_assert_str_eq(gale_diag_message(d, 0), "f.yaml:3: ${ENV-CHECK_FLUX_VAR}"
        " is not defined (environment variable CHECK_FLUX_VAR is not set)");
    gale_props_destroy(&p);
    gale_diag_destroy(&d);
}
END_TEST

START_TEST(test_writer)
{
    gale_dslw_t *w = gale_dslw_new();
    gale_value_t *v = gale_value_list();
    char *cause = NULL;

    gale_dslw_string(w, "a\"b ${c}\n");
    ck_assert_str_eq(gale_dslw_text(w), "\"a\\\"b \\x24{c}\\n\"");
    gale_dslw_destroy(&w);
    w = gale_dslw_new();
    gale_value_list_append(v, gale_value_int(5000000000LL));
    gale_value_list_append(v, gale_value_string("s", 1));
    ck_assert_int_eq(gale_dslw_value(w, v, &cause), 0);
    ck_assert_str_eq(gale_dslw_text(w), "(5000000000L, \"s\")");
    gale_value_list_append(v, gale_value_null());
    ck_assert_int_ne(gale_dslw_value(w, v, &cause), 0);
    free(cause);
    gale_value_destroy(&v);
    gale_dslw_destroy(&w);
    ck_assert(gale_dslw_is_name("a_b-c"));
    ck_assert(!gale_dslw_is_name("a.b"));
}
END_TEST

START_TEST(test_convert_word_count)
{
    static const char y[] = "name: wc\nconfig:\n  topology.workers: 2\n"
        "spouts:\n  - id: s\n    className: org.apache.storm.testing.TestWordSpout\n"
        "bolts:\n  - id: c\n    className: org.apache.storm.testing.TestWordCounter\n"
        "    parallelism: 2\n    numTasks: 4\n"
        "streams:\n  - from: s\n    to: c\n    grouping: {type: FIELDS, args: [word]}\n";
    gale_diag_t *e;
    gale_topology_t *t;
    char *out = conv(y, &e);

    ck_assert_uint_eq(gale_diag_count(e), 0);
    ck_assert_ptr_nonnull(out);
    /* the output loads, and says what the Flux file said */
    t = gale_topology_load_buffer("out.cfg", out, strlen(out), NULL, e);
    ck_assert_ptr_nonnull(t);
    ck_assert_str_eq(t->name, "wc");
    ck_assert_int_eq(t->workers, 2);
    ck_assert_str_eq(t->comps[0].type, "count");
    ck_assert_int_eq(t->comps[0].parallelism, 2);
    ck_assert_int_eq(t->comps[0].ntasks, 4);
    ck_assert_str_eq(gale_value_map_get(t->comps[0].params, "key")->u.s.ptr,
        "word");
    ck_assert_str_eq(t->comps[1].type, "generator");
    ck_assert_int_eq(t->edges[0].grouping, GALE_GROUPING_FIELDS);
    gale_topology_destroy(&t);
    free(out);
    gale_diag_destroy(&e);
}
END_TEST

START_TEST(test_convert_refusals)
{
    static const char y[] = "name: x\n"
        "spouts:\n  - id: s\n    className: com.example.MySpout\n"
        "topologySource:\n  className: com.example.Src\n";
    static const char z[] = "spouts:\n  - id: s\n"
        "    className: org.apache.storm.testing.TestWordSpout\n"
        "    constructorArgs: [maybe]\n";
    gale_diag_t *e;

    ck_assert_ptr_null(conv(y, &e));
    ck_assert_uint_eq(gale_diag_count(e), 2);
    ck_assert_str_eq(gale_diag_message(e, 0), "mem.yaml:6: Spouts, bolts and "
        "streams cannot be defined in the same configuration as a "
        "topologySource");
    gale_diag_destroy(&e);
    ck_assert_ptr_null(conv(z, &e));
    ck_assert_str_eq(gale_diag_message(e, 0), "mem.yaml: missing `name`");
    ck_assert_str_eq(gale_diag_message(e, 1), "mem.yaml:4: spout `s`: "
        "`isDistributed` must be true or false");
    gale_diag_destroy(&e);
}
END_TEST

/* Event time around a windowed bolt: the watermark goes on the sender,
 * which must carry the timestamp field, and windowed bolts sharing a
 * sender must agree on it. */
/* A Flux file: spout s emitting [v, TSNAME] into two tumbling windowed
 * bolts a (lag 1 s) and b (lag ref LAG_B: "sec" 1 s or "lag" 250 ms). */
static const char *
windowed(char *y, size_t len, const char *tsname, const char *lag_b)
{
    static const char head[] = "name: w\n"
        "components:\n"
        "  - id: sec\n"
        "    className: org.apache.storm.topology.base.BaseWindowedBolt$Duration\n"
        "    constructorArgs: [1, SECONDS]\n"
        "  - id: lag\n"
        "    className: org.apache.storm.topology.base.BaseWindowedBolt$Duration\n"
        "    factory: of\n"
        "    factoryArgs: [%d]\n"
        "spouts:\n"
        "  - id: s\n"
        "    className: org.apache.storm.flux.wrappers.spouts.FluxShellSpout\n"
        "    constructorArgs: [[python3, s.py], [v, %s]]\n"
        "bolts:\n";
    static const char bolt[] = "  - id: %s\n"
        "    className: org.apache.storm.flux.examples.TestWindowBolt\n"
        "    configMethods:\n"
        "      - { name: withTumblingWindow, args: [ref: sec] }\n"
        "      - { name: withTimestampField, args: [ts] }\n"
        "      - { name: withLag, args: [ref: %s] }\n";
    static const char streams[] = "streams:\n"
        "  - { from: s, to: a, grouping: { type: SHUFFLE } }\n"
        "  - { from: s, to: b, grouping: { type: SHUFFLE } }\n";

    snprintf(y, len, head, 250, tsname);
    snprintf(y + strlen(y), len - strlen(y), bolt, "a", "sec");
    snprintf(y + strlen(y), len - strlen(y), bolt, "b", lag_b);
    snprintf(y + strlen(y), len - strlen(y), "%s", streams);
    return y;
}

START_TEST(test_convert_windowing)
{
    char y[2048];
    gale_diag_t *e;
    char *out;

    /* Both bolts lag 1 s: one watermark on the spout. */
    out = conv(windowed(y, sizeof y, "ts", "sec"), &e);
    ck_assert_msg(out != NULL, "%s", gale_diag_count(e) ?
        gale_diag_message(e, 0) : "?");
    ck_assert_ptr_nonnull(strstr(out, "watermark = { field = \"ts\"; "
        "lag_ms = 1000; interval_ms = 1000; };"));
    ck_assert_ptr_nonnull(strstr(out, "length_ms = 1000;"));
    ck_assert_ptr_null(strstr(out, "slide_ms"));
    free(out);
    gale_diag_destroy(&e);
    /* Lags 1 s and 250 ms from one sender: refused. */
    ck_assert_ptr_null(conv(windowed(y, sizeof y, "ts", "lag"), &e));
    ck_assert_uint_eq(gale_diag_count(e), 1);
    ck_assert_str_eq(gale_diag_message(e, 0), "mem.yaml:29: bolt `b`: `s` "
        "already generates watermarks for bolt `a` from field `ts` with lag "
        "1000 ms, interval 1000 ms; gale generates them at the sender, so "
        "windowed bolts it feeds must agree");
    gale_diag_destroy(&e);
    /* The sender has no field ts. */
    ck_assert_ptr_null(conv(windowed(y, sizeof y, "time", "sec"), &e));
    ck_assert_uint_eq(gale_diag_count(e), 2);
    ck_assert_str_eq(gale_diag_message(e, 0), "mem.yaml:28: bolt `a`: "
        "withTimestampField `ts`: its input from `s` has no such field");
    gale_diag_destroy(&e);
}
END_TEST

START_TEST(test_classes)
{
    size_t i;

    ck_assert_uint_ge(gale_flux_class_count(), 5);
    for (i = 0; i < gale_flux_class_count(); i++)
        ck_assert_ptr_eq(gale_flux_class_find(gale_flux_class_at(i)->cls),
            gale_flux_class_at(i));
    ck_assert_ptr_null(gale_flux_class_find("java.lang.Object"));
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("flux");
    TCase *tc = tcase_create("core");
    SRunner *sr = srunner_create(s);
    int failed;

    tcase_add_test(tc, test_yaml_lines_and_types);
    tcase_add_test(tc, test_yaml_errors);
    tcase_add_test(tc, test_subst);
    tcase_add_test(tc, test_writer);
    tcase_add_test(tc, test_convert_word_count);
    tcase_add_test(tc, test_convert_refusals);
    tcase_add_test(tc, test_convert_windowing);
    tcase_add_test(tc, test_classes);
    suite_add_tcase(s, tc);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
