/* libFuzzer harness for the --regions parser of the fiie tool. Checks the
 * parser's own promises on every input: success gives 1..65535 regions
 * with w, h >= 1 and a known shape; failure gives NULL and 0. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "regions.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cli_region *r = NULL;
    size_t n = 0;
    char err[200];
    int rc = cli_regions_parse((const char *)data, size, &r, &n, err, sizeof err);
    if (rc == 0) {
        if (!r || n == 0 || n > CLI_MAX_REGIONS)
            abort();
        for (size_t i = 0; i < n; i++)
            if (r[i].w == 0 || r[i].h == 0 ||
                (r[i].shape != CLI_SHAPE_RECT && r[i].shape != CLI_SHAPE_ELLIPSE))
                abort();
    } else if (r || n) {
        abort();
    }
    free(r);
    return 0;
}
