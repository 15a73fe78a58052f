/* fuzz_flux.c - libFuzzer target for the Flux converter: the input is the
 * text of a Flux YAML file, converted from memory under the name
 * fuzz.yaml. It must never crash, hang or leak, whatever it is fed. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "compat/flux/convert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gale_diag_t *errs = gale_diag_new(), *warns = gale_diag_new();
    char *out;

    if (size <= 65536) {
        out = gale_flux_convert("fuzz.yaml", (const char *)data, size, NULL,
            errs, warns);
        free(out);
    }
    gale_diag_destroy(&errs);
    gale_diag_destroy(&warns);
    return 0;
}
