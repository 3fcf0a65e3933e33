/* libFuzzer harness: image decoding from memory (PNG/JPEG/BMP/TGA, EXIF). */
#include <stddef.h>
#include <stdint.h>

#include "fiie/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fiie_load_options o;
    fiie_load_options_init(&o);
    /* Small pixel cap: the harness explores parsers, not allocators. */
    o.max_pixels = 1u << 20;
    fiie_image img;
    if (fiie_image_load_memory(&img, data, size, &o) == FIIE_OK) {
        /* Touch every pixel so that a wrong size would show under ASan. */
        volatile uint8_t sink = 0;
        int ch = fiie_pixel_format_channels(img.format);
        for (uint32_t y = 0; y < img.height; y++)
            for (size_t x = 0; x < (size_t)img.width * (size_t)ch; x++)
                sink ^= img.data[y * img.stride + x];
        (void)sink;
        fiie_image_free(&img);
    }
    return 0;
}
