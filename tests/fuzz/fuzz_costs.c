/* The costs and sequence-lengths readers (one number per line, or a CSV
 * column by index or header name), as numbers and as integers. */
#include "fuzz_util.h"

#include <stdlib.h>

#include "io/costs_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const columns[] = {NULL, "2", "tokens"};
    for (size_t c = 0; c < 3; c++)
        for (int integers = 0; integers <= 1; integers++) {
            double *out = NULL;
            size_t n = 0;
            struct diag d = {0};
            costs_parse((const char *)data, size, "fuzz", columns[c], integers, &out, &n, &d);
            free(out);
        }
    return 0;
}
