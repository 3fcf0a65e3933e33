/* libFuzzer harness: model loader (format, tensor table, bounds).
 *
 * Random bytes almost never carry a valid BLAKE2b digest, which would stop
 * every input at the checksum. So the harness loads each input twice: as
 * given (digest path), and with its last 32 bytes replaced by the correct
 * digest, which lets the fuzzer explore the header and tensor-table checks
 * behind it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fiie/detector.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void try_load(const uint8_t *data, size_t size)
{
    fiie_model *m = NULL;
    if (fiie_model_new_from_memory(&m, data, size) == FIIE_OK)
        fiie_model_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    try_load(data, size);
    if (size < 32)
        return 0;
    uint8_t *copy = malloc(size);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    crypto_generichash(copy + size - 32, 32, copy, size - 32, NULL, 0);
    try_load(copy, size);
    free(copy);
    return 0;
}
