/* Encoders for building test inputs (JPEG, BMP, TGA, PNG) in memory, from a
 * private copy of stb_image_write. Returns a malloc()ed buffer or NULL. */
#ifndef FIIE_TEST_ENCODERS_H
#define FIIE_TEST_ENCODERS_H

#include <stddef.h>
#include <stdint.h>

/* TEST_PNG: stb_image_write's own PNG writer (its filters, its deflate),
 * the reference for the library's encoder. */
enum test_encoding { TEST_JPEG, TEST_BMP, TEST_TGA, TEST_PNG };

/* Tightly packed 8-bit pixels with `comp` (3 or 4) channels. */
uint8_t *test_encode(enum test_encoding kind, const uint8_t *pixels, int width, int height,
                     int comp, int jpeg_quality, size_t *size);

#endif
