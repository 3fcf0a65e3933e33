/* Completeness checks for the uncompressed-style formats BMP and TGA.
 * stb reads past the end of these as zero bytes and "succeeds", so a
 * truncated file must be caught before decoding. */
#ifndef FIIE_LIB_BITMAP_H
#define FIIE_LIB_BITMAP_H

#include <stddef.h>
#include <stdint.h>

/* Does data start like a BMP ("BM")? */
int fiie_bmp_detect(const uint8_t *data, size_t size);

/* Parse the BMP header and check that the file holds every pixel row.
 * *width / *height receive the image size (height made positive).
 * Returns 0, FIIE_E_IMAGE_FORMAT or FIIE_E_TOO_LARGE. */
int fiie_bmp_validate(const uint8_t *data, size_t size, uint32_t *width, uint32_t *height);

/* Check a TGA file (header fields as stb reads them) holds all its pixel
 * data, walking RLE packets when compressed. The caller has already
 * checked width * height against the pixel limit.
 * Returns 0 or FIIE_E_IMAGE_FORMAT. */
int fiie_tga_validate(const uint8_t *data, size_t size);

#endif
