/* Thin wrappers around the private copy of stb_image / stb_image_write
 * compiled in stb_impl.c, so that no stbi_* symbol exists outside that
 * file. All buffers returned here come from malloc() and are released
 * with free(). Sizes must fit in int (callers check). */
#ifndef FIIE_LIB_STB_IMPL_H
#define FIIE_LIB_STB_IMPL_H

#include <stddef.h>
#include <stdint.h>

/* Header-only probe: 1 and the size and channel count (1..4) stored in the
 * file, or 0 when stb cannot parse the header. No pixel memory is used. */
int fiie_stb_info(const uint8_t *data, int size, int *width, int *height, int *channels);

/* Decode to 8-bit pixels with `channels` (3 or 4) per pixel; 16-bit
 * images are reduced to 8 bits. NULL on any failure. */
uint8_t *fiie_stb_decode(const uint8_t *data, int size, int channels, int *width,
                         int *height);

/* Inflate a zlib stream into out[0..cap): the decoded length, or -1 when
 * the stream is corrupt or would not fit. Never allocates beyond cap. */
int fiie_stb_inflate(const uint8_t *in, int in_size, uint8_t *out, int cap);

/* Encode 8-bit RGB (3) or RGBA (4) rows as a PNG without ancillary chunks.
 * NULL on failure. */
uint8_t *fiie_stb_encode_png(const uint8_t *pixels, int stride, int width, int height,
                             int channels, int *out_size);

#endif
