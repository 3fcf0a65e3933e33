/* libFuzzer harness (tests/fuzz/meson.build): the header parser, the
 * mask a header describes and fiie_decrypt() on arbitrary header bytes.
 * The image is 40 x 30 RGB so that random headers for that size reach
 * the tag check; nothing may crash, leak or read out of bounds. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fiie/fiie.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fiie_header_info info;
    if (fiie_header_parse(&info, data, size) == FIIE_OK) {
        fiie_region r;
        for (size_t i = 0; i < info.n_regions && i < 64; i++)
            if (fiie_header_get_region(data, size, i, &r) != FIIE_OK)
                __builtin_trap(); /* a parsed header has every region */
    }
    fiie_mask *m = NULL;
    if (fiie_mask_from_header(&m, data, size) == FIIE_OK && info.width <= 256 &&
        info.height <= 256) {
        uint64_t n;
        int rc = fiie_mask_pixel_count(m, &n);
        if (rc != FIIE_OK && rc != FIIE_E_TOO_LARGE && rc != FIIE_E_NO_MEMORY)
            __builtin_trap();
    }
    fiie_mask_free(m);

    static uint8_t pixels[40 * 30 * 3];
    static const uint8_t key_bytes[32] = {1, 2, 3};
    fiie_key *k = NULL;
    if (fiie_key_from_bytes(&k, key_bytes, sizeof key_bytes) != FIIE_OK)
        return 0;
    fiie_image img = {pixels, 40, 30, 40 * 3, FIIE_PIXEL_RGB8, 0};
    int rc = fiie_decrypt(k, &img, data, size, NULL);
    (void)rc; /* any status; only crashes, leaks and bad reads matter */
    fiie_key_free(k);
    return 0;
}
