/* libFuzzer harness: PNG chunk walker (fiie_png_find_chunk). */
#include <stddef.h>
#include <stdint.h>

#include "fiie/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *chunk = NULL;
    size_t len = 0;
    if (fiie_png_find_chunk(data, size, "fiIE", &chunk, &len) == FIIE_OK) {
        /* The returned span must lie inside the input. */
        if (chunk < data || len > size || (size_t)(chunk - data) > size - len)
            __builtin_trap();
        volatile uint8_t sink = 0;
        for (size_t i = 0; i < len; i++)
            sink ^= chunk[i];
        (void)sink;
    }
    return 0;
}
