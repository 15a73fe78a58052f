/* check_validate.c - whole-topology checks and component types: streams,
 * groupings, fields, cycles, unfed bolts, and a lookup_type callback,
 * each with its exact message. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "topology/suggest.h"
#include "topology/topology.h"

/* A fake type table standing in for the engine's registry. */
static const gale_param_spec_t gen_params[] = {
    { "path", GALE_STRING, false, "input file" },
    { "count", GALE_INT, false, "how many" },
    { NULL, GALE_NULL, false, NULL }
};
static const gale_param_spec_t lines_params[] = {
    { "path", GALE_STRING, true, "input file" },
    { NULL, GALE_NULL, false, NULL }
};
static const gale_component_def_t fake_defs[] = {
    { "gen", GALE_SPOUT, "generator", gen_params, NULL, NULL, NULL },
    { "lines", GALE_SPOUT, "lines of a file", lines_params, NULL, NULL, NULL },
    { "split", GALE_BOLT, "splits", NULL, NULL, NULL, NULL },
    { "count", GALE_BOLT, "counts", NULL, NULL, NULL, NULL },
};
#define NFAKE (sizeof(fake_defs) / sizeof(fake_defs[0]))
static int lookups;                 /* calls of fake_lookup */
static const gale_grouping_def_t fake_first_n = { "first_n", NULL, NULL,
    NULL };

static const gale_component_def_t *
fake_lookup(void *arg, const char *type, gale_kind_t kind, const char *plugin,
    char **cause)
{
    const char *names[NFAKE], *hint;
    size_t i;

    (void)plugin;
    ck_assert_ptr_eq(arg, &lookups);
    lookups++;
    for (i = 0; i < NFAKE; i++) {
        names[i] = fake_defs[i].type;
        if (strcmp(type, fake_defs[i].type) == 0)
            return &fake_defs[i];
    }
    hint = gale_suggest(type, names, NFAKE);
    if (hint != NULL)
        xasprintf(cause, "unknown component type `%s` (did you mean `%s`?)",
            type, hint);
    else
        xasprintf(cause, "unknown component type `%s`", type);
    return NULL;
}

static const gale_grouping_def_t *
fake_grouping(void *arg, const char *name, const char *plugin, char **cause)
{
    (void)arg;
    (void)plugin;
    if (strcmp(name, "first_n") == 0)
        return &fake_first_n;
    xasprintf(cause, "no grouping `%s` in any plugin", name);
    return NULL;
}

static char *
fixture_dir(void)
{
    const char *top = getenv("top_srcdir");
    char *dir;

    xasprintf(&dir, "%s/tests/data/dsl/", top != NULL ? top : ".");
    return dir;
}

/* Loads fixture name; checks it fails with exactly want's messages (the
 * fixture directory removed from them). */
static void
expect_errors(const char *name, const gale_load_opts_t *o,
    const char *const *want)
{
    gale_diag_t *d = gale_diag_new();
    char *dir = fixture_dir(), *path, *msg, *p;
    size_t i, n = 0;

    xasprintf(&path, "%s%s", dir, name);
    while (want[n] != NULL)
        n++;
    ck_assert_ptr_null(gale_topology_load(path, o, d));
    for (i = 0; i < gale_diag_count(d) && i < n; i++) {
        msg = xstrdup(gale_diag_message(d, i));
        while ((p = strstr(msg, dir)) != NULL)
            memmove(p, p + strlen(dir), strlen(p + strlen(dir)) + 1);
        ck_assert_str_eq(msg, want[i]);
        free(msg);
    }
    ck_assert_uint_eq(gale_diag_count(d), n);
    gale_diag_destroy(&d);
    free(path);
    free(dir);
}

START_TEST(test_duplicate_id)
{
    static const char *const want[] = {
        "bad-dup.cfg:5: duplicate component id `count` (first defined at bad-dup.cfg:4)",
        NULL };

    expect_errors("bad-dup.cfg", NULL, want);
}
END_TEST

START_TEST(test_stream_errors)
{
    static const char *const want[] = {
        "bad-streams.cfg:6: stream from unknown component `lnes` (did you mean `lines`?)",
        "bad-streams.cfg:7: stream to unknown component `cuont` (did you mean `count`?)",
        "bad-streams.cfg:8: stream to `lines`: it is a spout, and spouts consume no streams",
        "bad-streams.cfg:9: stream: missing `from`",
        "bad-streams.cfg:10: stream: missing `to`",
        "bad-streams.cfg:11: stream: missing `grouping`",
        "bad-streams.cfg:12: stream: fields grouping needs a non-empty `fields` list",
        "bad-streams.cfg:13: stream: unknown grouping `shufle` (did you mean `shuffle`?)",
        "bad-streams.cfg:14: stream: `fields` is only for the fields and partial_key groupings, not all",
        "bad-streams.cfg:15: stream: custom grouping needs `custom = { name = \"...\"; }`",
        NULL };

    expect_errors("bad-streams.cfg", NULL, want);
}
END_TEST

START_TEST(test_whole_topology_errors)
{
    static const char *const want[] = {
        "bad-validate.cfg:13: stream `default` of `split` has no field `wrd` (its fields: word)",
        "bad-validate.cfg:14: component `split` declares no stream `rejets` (did you mean `rejects`?)",
        "bad-validate.cfg:15: direct grouping on stream `default` of `split`, which is not declared direct",
        "bad-validate.cfg:16: stream `picked` of `split` is declared direct: only a direct grouping can consume it, not shuffle",
        "bad-validate.cfg:17: component `count` declares no stream `default` (it has no `fields`)",
        "bad-validate.cfg:8: bolt `orphan` is fed by no stream: Flux drops such a bolt silently, gale refuses it",
        NULL };

    expect_errors("bad-validate.cfg", NULL, want);
}
END_TEST

START_TEST(test_cycle)
{
    static const char *const want[] = {
        "bad-cycle.cfg:7: cycle count -> split -> count: gale rejects cycles because checkpoint barriers cannot align around a loop",
        NULL };

    expect_errors("bad-cycle.cfg", NULL, want);
}
END_TEST

START_TEST(test_self_loop_and_no_spouts)
{
    static const char text[] = "name = \"l\";\n"
        "bolts = ( { id = \"b\"; type = \"x\"; fields = [\"f\"]; } );\n"
        "streams = ( { from = \"b\"; to = \"b\"; grouping = \"all\"; } );\n";
    gale_diag_t *d = gale_diag_new();

    ck_assert_ptr_null(gale_topology_load_buffer("loop.cfg", text,
        strlen(text), NULL, d));
    ck_assert_uint_eq(gale_diag_count(d), 2);
    ck_assert_str_eq(gale_diag_message(d, 0),
        "loop.cfg: the topology has no spouts");
    ck_assert_str_eq(gale_diag_message(d, 1), "loop.cfg:3: cycle b -> b: "
        "gale rejects cycles because checkpoint barriers cannot align "
        "around a loop");
    gale_diag_destroy(&d);
}
END_TEST

START_TEST(test_direct_ok)
{
    static const char text[] = "name = \"d\";\n"
        "spouts = ( { id = \"s\"; type = \"x\"; fields = [\"f\"]; direct = true; } );\n"
        "bolts = ( { id = \"b\"; type = \"x\"; } );\n"
        "streams = ( { from = \"s\"; to = \"b\"; grouping = \"direct\"; } );\n";
    gale_diag_t *d = gale_diag_new();
    gale_topology_t *t = gale_topology_load_buffer("d.cfg", text,
        strlen(text), NULL, d);

    ck_assert_ptr_nonnull(t);
    ck_assert(t->comps[1].streams[0].direct);
    ck_assert_int_eq(t->edges[0].grouping, GALE_GROUPING_DIRECT);
    gale_topology_destroy(&t);
    gale_diag_destroy(&d);
}
END_TEST

START_TEST(test_lookup_type)
{
    static const char *const want[] = {
        "bad-types.cfg:3: component `more`: parameter `path` must be a string, not an integer",
        "bad-types.cfg:3: component `more`: unknown setting `pth` (did you mean `path`?)",
        "bad-types.cfg:4: component `wrong`: type `count` is a bolt, not a spout",
        "bad-types.cfg:5: component `nopath`: missing required parameter `path` of type `lines`",
        "bad-types.cfg:6: component `split`: unknown component type `splt` (did you mean `split`?)",
        "bad-types.cfg:7: component `sh`: missing required parameter `command` of type `shell`",
        "bad-types.cfg:7: component `sh`: `cwd` must be a string, not an integer",
        "bad-types.cfg:7: component `sh`: unknown parameter `envv` (did you mean `env`?)",
        NULL };
    static const char *const want_nolookup[] = {
        "bad-types.cfg:7: component `sh`: missing required parameter `command` of type `shell`",
        "bad-types.cfg:7: component `sh`: `cwd` must be a string, not an integer",
        "bad-types.cfg:7: component `sh`: unknown parameter `envv` (did you mean `env`?)",
        NULL };
    gale_load_opts_t o = { 0 };

    o.lookup_type = fake_lookup;
    o.lookup_arg = &lookups;
    lookups = 0;
    expect_errors("bad-types.cfg", &o, want);
    /* Every component was looked up, the shell one too (by kind). */
    ck_assert_int_eq(lookups, 6);
    expect_errors("bad-types.cfg", NULL, want_nolookup);
}
END_TEST

START_TEST(test_lookup_resolves)
{
#define HEAD "name = \"r\";\n" \
    "spouts = ( { id = \"in\"; type = \"lines\"; path = \"x\"; fields = [\"l\"]; } );\n" \
    "bolts = ( { id = \"c\"; type = \"count\"; },\n" \
    "          { id = \"sh\"; type = \"shell\"; command = [\"python3\", \"s.py\"]; env = { A = \"1\"; }; } );\n" \
    "streams = ( { from = \"in\"; to = \"c\"; grouping = \"custom\";\n" \
    "              custom = { name = \"first_n\"; args = { n = 2; }; }; },\n"
    static const char bad[] = HEAD
        "            { from = \"in\"; to = \"sh\"; grouping = \"custom\";\n"
        "              custom = { name = \"nope\"; }; } );\n";
    static const char good[] = HEAD
        "            { from = \"in\"; to = \"sh\"; grouping = \"shuffle\"; } );\n";
#undef HEAD
    gale_load_opts_t o = { 0 };
    gale_diag_t *d = gale_diag_new();
    gale_topology_t *t;

    o.lookup_type = fake_lookup;
    o.lookup_grouping = fake_grouping;
    o.lookup_arg = &lookups;
    t = gale_topology_load_buffer("r.cfg", bad, strlen(bad), &o, d);
    ck_assert_ptr_null(t);
    ck_assert_uint_eq(gale_diag_count(d), 1);
    ck_assert_str_eq(gale_diag_message(d, 0), "r.cfg:8: stream: custom "
        "grouping `nope`: no grouping `nope` in any plugin");
    gale_diag_destroy(&d);

    d = gale_diag_new();
    t = gale_topology_load_buffer("r.cfg", good, strlen(good), &o, d);
    ck_assert_msg(t != NULL, "%s", gale_diag_message(d, 0));
    ck_assert_ptr_eq(t->comps[1].def, &fake_defs[1]);
    ck_assert_ptr_eq(t->comps[0].def, &fake_defs[3]);
    ck_assert_ptr_null(t->comps[2].def);
    ck_assert_ptr_eq(t->edges[0].custom_def, &fake_first_n);
    ck_assert_int_eq(gale_value_map_get(t->edges[0].custom_args, "n")->u.i, 2);
    ck_assert_uint_eq(gale_value_map_get(t->comps[2].params,
        "command")->u.list.len, 2);
    gale_topology_destroy(&t);
    gale_diag_destroy(&d);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("validate");
    TCase *tc = tcase_create("core");
    SRunner *sr = srunner_create(s);
    int failed;

    tcase_add_test(tc, test_duplicate_id);
    tcase_add_test(tc, test_stream_errors);
    tcase_add_test(tc, test_whole_topology_errors);
    tcase_add_test(tc, test_cycle);
    tcase_add_test(tc, test_self_loop_and_no_spouts);
    tcase_add_test(tc, test_direct_ok);
    tcase_add_test(tc, test_lookup_type);
    tcase_add_test(tc, test_lookup_resolves);
    suite_add_tcase(s, tc);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
