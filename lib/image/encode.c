/* PNG output: stb_image_write encodes the pixels, then the optional
 * private chunk is spliced in right after IHDR (where readers find it
 * without reading the pixel data). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "image/codec.h"
#include "fiie/image.h"
#include "image/image.h"

/* Signature plus the 13-byte IHDR chunk (length, type, data, CRC). */
#define IHDR_END (IMAGE_PNG_SIGNATURE_BYTES + 12 + 13)

/* Writable chunk types: four letters, ancillary (first letter lower case:
 * decoders that do not know it skip it instead of rejecting the file) and
 * the reserved third letter upper case, as the PNG specification demands. */
static int writable_chunk_type(const char *type)
{
    return image_png_chunk_type_valid(type) && type[0] >= 'a' && type[0] <= 'z' &&
           type[2] >= 'A' && type[2] <= 'Z';
}

/* stb_image_write wants RGB/RGBA order and an int stride: repack when the
 * caller's image has neither. */
static int encode_pixels(const fiie_image *img, uint8_t **png, int *png_size)
{
    int ch = fiie_pixel_format_channels(img->format);
    fiie_image rgb;
    const fiie_image *src = img;
    if (!image_format_is_rgb_order(img->format) || img->stride > INT_MAX) {
        int rc = fiie_image_convert(&rgb, img, ch == 4 ? FIIE_PIXEL_RGBA8 : FIIE_PIXEL_RGB8);
        if (rc < 0)
            return rc;
        src = &rgb;
    }
    *png = image_stb_encode_png(src->data, (int)src->stride, (int)src->width,
                               (int)src->height, ch, png_size);
    if (src == &rgb)
        fiie_image_free(&rgb);
    if (*png == NULL)
        return FIIE_E_NO_MEMORY; /* stb only fails when malloc fails */
    /* The splice below relies on IHDR coming first, as stb writes it. */
    if (*png_size < IHDR_END || memcmp(*png + 12, "IHDR", 4) != 0)
        return FIIE_E_IMAGE_FORMAT;
    return 0;
}

int fiie_image_encode_png(const fiie_image *img, const char *chunk_type,
                          const void *chunk_data, size_t chunk_size, uint8_t **out,
                          size_t *out_size)
{
    if (out != NULL)
        *out = NULL;
    if (out_size != NULL)
        *out_size = 0;
    if (out == NULL || out_size == NULL)
        return FIIE_E_INVALID_ARGUMENT;
    int rc = fiie_image_validate(img);
    if (rc < 0)
        return rc;
    if (chunk_type != NULL) {
        if (!writable_chunk_type(chunk_type) || (chunk_data == NULL && chunk_size != 0))
            return FIIE_E_INVALID_ARGUMENT;
        if (chunk_size > IMAGE_PNG_MAX_CHUNK_BYTES)
            return FIIE_E_TOO_LARGE;
    }
    uint8_t *png = NULL;
    int png_size = 0;
    if ((rc = encode_pixels(img, &png, &png_size)) < 0) {
        free(png);
        return rc;
    }
    if (chunk_type == NULL) {
        *out = png;
        *out_size = (size_t)png_size;
        return 0;
    }
    /* png_size < 2^31 and chunk_size < 2^31: the sum fits in size_t
     * whenever size_t has 32 or more bits, which POSIX guarantees. */
    size_t total = (size_t)png_size + 12 + chunk_size;
    if (total < chunk_size) {
        free(png);
        return FIIE_E_TOO_LARGE;
    }
    uint8_t *buf = malloc(total);
    if (buf == NULL) {
        free(png);
        return FIIE_E_NO_MEMORY;
    }
    uint8_t *p = buf;
    memcpy(p, png, IHDR_END);
    p += IHDR_END;
    mem_store_be32(p, (uint32_t)chunk_size);
    memcpy(p + 4, chunk_type, 4);
    if (chunk_size != 0)
        memcpy(p + 8, chunk_data, chunk_size);
    mem_store_be32(p + 8 + chunk_size, image_crc32(p + 4, chunk_size + 4));
    p += 12 + chunk_size;
    memcpy(p, png + IHDR_END, (size_t)png_size - IHDR_END);
    free(png);
    *out = buf;
    *out_size = total;
    return 0;
}

int fiie_image_save_png(const fiie_image *img, const char *path, const char *chunk_type,
                        const void *chunk_data, size_t chunk_size, unsigned flags)
{
    if (path == NULL || path[0] == '\0' || (flags & ~FIIE_SAVE_NO_CLOBBER) != 0)
        return FIIE_E_INVALID_ARGUMENT;
    uint8_t *png = NULL;
    size_t size = 0;
    int rc = fiie_image_encode_png(img, chunk_type, chunk_data, chunk_size, &png, &size);
    if (rc < 0)
        return rc;
    rc = fiie_file_write_atomic(path, png, size,
                                (flags & FIIE_SAVE_NO_CLOBBER) ? FIIE_FILE_NO_CLOBBER : 0u);
    free(png);
    return rc;
}
