/* libFuzzer harness: image decoding from memory (PNG/JPEG/BMP/TGA, EXIF),
 * and fiie_image_probe_memory (format sniffing, ICC profiles) on what
 * decodes: it must agree with the decoder on the size. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

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
        /* Probed only when the image is small enough to have decoded:
         * probing runs the same checks at the library's full limits. */
        fiie_image_info info;
        if (fiie_image_probe_memory(&info, data, size) != FIIE_OK)
            abort();
        int turned = info.orientation >= 5 && info.orientation <= 8;
        if ((turned ? info.height : info.width) != img.width ||
            (turned ? info.width : info.height) != img.height)
            abort();
        for (size_t i = 0; i < info.icc_size; i++)
            sink ^= info.icc[i];
        fiie_image_info_free(&info);
        fiie_image_free(&img);
    } else if (size < 64) { /* sniffing alone; larger inputs may be huge images */
        fiie_image_info info;
        (void)fiie_image_probe_memory(&info, data, size);
        fiie_image_info_free(&info);
    }
    return 0;
}
