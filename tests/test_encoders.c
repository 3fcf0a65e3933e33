/* Test-input encoders. This file is compiled without UBSan (see
 * tests/meson.build): stb_image_write's JPEG bit writer shifts signed
 * ints into the sign bit, which is harmless here and not libfiie code. */
#include <stdlib.h>
#include <string.h>

#include "test_encoders.h"

#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wunused-function"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#endif
#include <stb/stb_image_write.h>

typedef struct sink {
    uint8_t *p;
    size_t n;
    int failed;
} sink;

static void sink_write(void *ctx, void *data, int size)
{
    sink *s = ctx;
    uint8_t *q = realloc(s->p, s->n + (size_t)size);
    if (q == NULL) {
        s->failed = 1;
        return;
    }
    memcpy(q + s->n, data, (size_t)size);
    s->p = q;
    s->n += (size_t)size;
}

uint8_t *test_encode(enum test_encoding kind, const uint8_t *pixels, int width, int height,
                     int comp, int jpeg_quality, size_t *size)
{
    sink s = {NULL, 0, 0};
    int ok = 0;
    switch (kind) {
    case TEST_JPEG:
        ok = stbi_write_jpg_to_func(sink_write, &s, width, height, comp, pixels, jpeg_quality);
        break;
    case TEST_BMP: ok = stbi_write_bmp_to_func(sink_write, &s, width, height, comp, pixels); break;
    case TEST_TGA: ok = stbi_write_tga_to_func(sink_write, &s, width, height, comp, pixels); break;
    case TEST_PNG:
        ok = stbi_write_png_to_func(sink_write, &s, width, height, comp, pixels, width * comp);
        break;
    }
    if (!ok || s.failed) {
        free(s.p);
        return NULL;
    }
    *size = s.n;
    return s.p;
}
