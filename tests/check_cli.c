/* check_cli.c - the gale command's shared pieces: option parsing
 * (cli/opts.c) and aligned tables (cli/table.c). The commands themselves
 * are tested end to end by tests/e2e/cli_*.sh. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/opts.h"
#include "cli/table.h"

static const gale_cmd_info_t info = {
    .name = "test",
    .operands = "FILE",
    .summary = "A command for tests.",
    .details = NULL,
    .flags = GALE_OPT_TOPOLOGY | GALE_OPT_VERBOSE,
    .min_args = 1,
    .max_args = 1,
};

static const gale_cmd_info_t info_plain = {
    .name = "plain",
    .operands = "FILE",
    .summary = "A command without the shared options.",
    .flags = 0,
    .min_args = 1,
    .max_args = 1,
};

/* Parses the NULL-terminated words as a command line of cmd into o. */
static int
parse(gale_opts_t *o, const gale_cmd_info_t *cmd, char **words)
{
    int argc = 0;

    while (words[argc] != NULL)
        argc++;
    return gale_opts_parse(o, cmd, argc, words);
}

/* The text that gale_table_print writes for t with indent. Caller frees. */
static char *
table_text(const gale_table_t *t, const char *indent)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);

    ck_assert_ptr_nonnull(fp);
    gale_table_print(t, indent, fp);
    fclose(fp);
    return buf;
}

START_TEST(test_opts_all_options)
{
    char *argv[] = { "test", "-c", "topology.workers=2", "--properties",
        "p.properties", "-v", "topo.cfg", "-c", "topology.debug=true",
        "-vv", NULL };
    gale_opts_t o;

    ck_assert_int_eq(parse(&o, &info, argv), 0);
    ck_assert_str_eq(o.properties, "p.properties");
    ck_assert_uint_eq(o.noverrides, 2);
    ck_assert_str_eq(o.overrides[0], "topology.workers=2");
    ck_assert_str_eq(o.overrides[1], "topology.debug=true");
    ck_assert_ptr_null(o.overrides[2]);
    ck_assert_int_eq(o.verbose, 3);
    ck_assert_int_eq(o.nargs, 1);
    ck_assert_str_eq(o.args[0], "topo.cfg");
    gale_opts_release(&o);
    ck_assert_ptr_null(o.overrides);
}
END_TEST

START_TEST(test_opts_defaults)
{
    char *argv[] = { "test", "topo.cfg", NULL };
    gale_opts_t o;

    ck_assert_int_eq(parse(&o, &info, argv), 0);
    ck_assert_ptr_null(o.properties);
    ck_assert_ptr_null(o.overrides);
    ck_assert_uint_eq(o.noverrides, 0);
    ck_assert_int_eq(o.verbose, 0);
    ck_assert_str_eq(o.args[0], "topo.cfg");
    gale_opts_release(&o);
}
END_TEST

START_TEST(test_opts_properties_equals_form)
{
    char *argv[] = { "test", "--properties=x.properties", "t.cfg", NULL };
    gale_opts_t o;

    ck_assert_int_eq(parse(&o, &info, argv), 0);
    ck_assert_str_eq(o.properties, "x.properties");
    gale_opts_release(&o);
}
END_TEST

START_TEST(test_opts_double_dash_ends_options)
{
    char *argv[] = { "test", "--", "-v", NULL };
    gale_opts_t o;

    ck_assert_int_eq(parse(&o, &info, argv), 0);
    ck_assert_int_eq(o.verbose, 0);
    ck_assert_int_eq(o.nargs, 1);
    ck_assert_str_eq(o.args[0], "-v");
    gale_opts_release(&o);
}
END_TEST

START_TEST(test_opts_help)
{
    char *argv[] = { "test", "topo.cfg", "--help", NULL };
    gale_opts_t o;
    int rc = parse(&o, &info, argv);

    ck_assert_int_eq(rc, -ECANCELED);
    ck_assert_int_eq(gale_opts_status(rc), 0);
    gale_opts_release(&o);
}
END_TEST

START_TEST(test_opts_usage_errors)
{
    char *unknown[] = { "test", "--nope", "t.cfg", NULL };
    char *missing[] = { "test", NULL };
    char *extra[] = { "test", "a.cfg", "b.cfg", NULL };
    char *noarg[] = { "test", "t.cfg", "-c", NULL };
    char *noeq[] = { "test", "-c", "key", "t.cfg", NULL };
    char *emptykey[] = { "test", "-c", "=1", "t.cfg", NULL };
    char *notallowed[] = { "plain", "-c", "a=1", "t.cfg", NULL };
    char *noverbose[] = { "plain", "-v", "t.cfg", NULL };
    gale_opts_t o;
    int rc;

    ck_assert_int_eq(rc = parse(&o, &info, unknown), -EINVAL);
    ck_assert_int_eq(gale_opts_status(rc), 2);
    gale_opts_release(&o);
    ck_assert_int_eq(parse(&o, &info, missing), -EINVAL);
    gale_opts_release(&o);
    ck_assert_int_eq(parse(&o, &info, extra), -EINVAL);
    gale_opts_release(&o);
    ck_assert_int_eq(parse(&o, &info, noarg), -EINVAL);
    gale_opts_release(&o);
    ck_assert_int_eq(parse(&o, &info, noeq), -EINVAL);
    gale_opts_release(&o);
    ck_assert_int_eq(parse(&o, &info, emptykey), -EINVAL);
    gale_opts_release(&o);
    ck_assert_int_eq(parse(&o, &info_plain, notallowed), -EINVAL);
    gale_opts_release(&o);
    ck_assert_int_eq(parse(&o, &info_plain, noverbose), -EINVAL);
    gale_opts_release(&o);
}
END_TEST

START_TEST(test_opts_reparse)
{
    /* getopt keeps global state: a second parse must start afresh. */
    char *first[] = { "test", "-v", "a.cfg", NULL };
    char *second[] = { "test", "b.cfg", NULL };
    gale_opts_t o;

    ck_assert_int_eq(parse(&o, &info, first), 0);
    gale_opts_release(&o);
    ck_assert_int_eq(parse(&o, &info, second), 0);
    ck_assert_int_eq(o.verbose, 0);
    ck_assert_str_eq(o.args[0], "b.cfg");
    gale_opts_release(&o);
}
END_TEST

START_TEST(test_opts_usage_line)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);

    gale_opts_usage(&info, fp);
    gale_opts_usage(&info_plain, fp);
    fclose(fp);
    ck_assert_str_eq(buf,
        "usage: gale test [--properties FILE] [-c KEY=VALUE]... [-v] FILE\n"
        "usage: gale plain FILE\n");
    free(buf);
}
END_TEST

START_TEST(test_table_alignment)
{
    gale_table_t *t = gale_table_new(3, "lrl");
    char *text;

    gale_table_cell(t, "id");
    gale_table_cell(t, "tasks");
    gale_table_cell(t, "fields");
    gale_table_cell(t, "%s", "count");
    gale_table_cell(t, "%d", 12);
    gale_table_cell(t, "%s", "word, count");
    gale_table_cell(t, "%s", "a");
    gale_table_cell(t, "%d", 3);
    gale_table_cell(t, "%s", "");
    text = table_text(t, "  ");
    ck_assert_str_eq(text,
        "  id     tasks  fields\n"
        "  count     12  word, count\n"
        "  a          3\n");
    free(text);
    gale_table_destroy(&t);
    ck_assert_ptr_null(t);
    gale_table_destroy(&t);            /* accepts *NULL */
    gale_table_destroy(NULL);
}
END_TEST

START_TEST(test_table_no_trailing_spaces)
{
    gale_table_t *t = gale_table_new(3, "lll");
    char *text;

    gale_table_cell(t, "%s", "long first cell");
    gale_table_cell(t, "%s", "");
    gale_table_cell(t, "%s", "");
    gale_table_cell(t, "%s", "x");
    gale_table_cell(t, "%s", "y");
    gale_table_cell(t, "%s", "");
    text = table_text(t, "");
    ck_assert_str_eq(text,
        "long first cell\n"
        "x                y\n");
    free(text);
    gale_table_destroy(&t);
}
END_TEST

START_TEST(test_table_empty)
{
    gale_table_t *t = gale_table_new(2, "ll");
    char *text = table_text(t, "  ");

    ck_assert_str_eq(text, "");
    free(text);
    gale_table_destroy(&t);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("opts");
    TCase *tt = tcase_create("table");
    SRunner *sr = srunner_create(s);
    int failed;

    tcase_add_test(tc, test_opts_all_options);
    tcase_add_test(tc, test_opts_defaults);
    tcase_add_test(tc, test_opts_properties_equals_form);
    tcase_add_test(tc, test_opts_double_dash_ends_options);
    tcase_add_test(tc, test_opts_help);
    tcase_add_test(tc, test_opts_usage_errors);
    tcase_add_test(tc, test_opts_reparse);
    tcase_add_test(tc, test_opts_usage_line);
    suite_add_tcase(s, tc);
    tcase_add_test(tt, test_table_alignment);
    tcase_add_test(tt, test_table_no_trailing_spaces);
    tcase_add_test(tt, test_table_empty);
    suite_add_tcase(s, tt);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
