/* fuzz_dsl.c - libFuzzer target for the DSL loader and planner.
 *
 * The input is the text of a topology file, loaded from memory under the
 * name fuzz.cfg (so @include resolves relative to the working directory)
 * with a properties file of one entry and the planner run on whatever
 * loads. The loader must never crash, hang or leak, whatever it is fed. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "topology/plan.h"
#include "topology/topology.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);

/* libconfig 1.5's scanner leaks the string it was reading when a syntax
 * error interrupts it (its strbuf is never freed on that path); that is
 * not ours to fix, so LeakSanitizer is told to ignore libconfig. */
const char *
__lsan_default_suppressions(void)
{
    return "leak:libconfig.so\n";
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const overrides[] = { "topology.debug=true", NULL };
    gale_load_opts_t opts = { 0 };
    gale_diag_t *diag = gale_diag_new();
    gale_topology_t *t;
    gale_plan_t *p;

    if (size > 65536)
        goto out;
    opts.overrides = overrides;
    t = gale_topology_load_buffer("fuzz.cfg", (const char *)data, size,
        &opts, diag);
    if (t != NULL) {
        p = gale_plan_new(t, diag);
        gale_plan_destroy(&p);
    }
    gale_topology_destroy(&t);
out:
    gale_diag_destroy(&diag);
    return 0;
}
