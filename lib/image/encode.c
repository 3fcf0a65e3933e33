/* PNG output: stb_image_write's filters and zlib entry encode the pixels
 * (image_stb_encode_png), leaving room right after IHDR for the optional
 * private chunk (where readers find it without reading the pixel data). */
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

/* Compression level of save flags: 0 (the default) or 1..9; -1 for bits
 * that mean nothing. */
int image_save_flags_level(unsigned flags)
{
    if ((flags & ~(FIIE_SAVE_NO_CLOBBER | FIIE_SAVE_PRIVATE | FIIE_SAVE_COMPRESSION_MASK)) != 0)
        return -1;
    unsigned level = (flags & FIIE_SAVE_COMPRESSION_MASK) >> 4;
    return level <= 9 ? (int)level : -1;
}

/* stb_image_write wants RGB/RGBA order and an int stride: repack when the
 * caller's image has neither. `room` bytes are left after IHDR. */
static int encode_pixels(const fiie_image *img, int level, size_t room, uint8_t **png,
                         size_t *png_size)
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
    if (level == 0)
        level = image_zlib_default_level;
    *png = image_stb_encode_png(src->data, (int)src->stride, (int)src->width, (int)src->height,
                                ch, level, room, png_size);
    if (src == &rgb)
        fiie_image_free(&rgb);
    if (*png == NULL) /* out of memory, or filtered data beyond stb's int sizes */
        return (uint64_t)img->width * img->height * (uint64_t)ch >= INT_MAX ? FIIE_E_TOO_LARGE
                                                                             : FIIE_E_NO_MEMORY;
    return 0;
}

int image_encode_png(const fiie_image *img, const char *chunk_type, const void *chunk_data,
                     size_t chunk_size, int level, uint8_t **out, size_t *out_size)
{
    int rc = fiie_image_validate(img);
    if (rc < 0)
        return rc;
    if (chunk_type != NULL) {
        if (!writable_chunk_type(chunk_type) || (chunk_data == NULL && chunk_size != 0))
            return FIIE_E_INVALID_ARGUMENT;
        if (chunk_size > IMAGE_PNG_MAX_CHUNK_BYTES)
            return FIIE_E_TOO_LARGE;
    }
    /* The chunk goes right after IHDR, in room the encoder leaves there
     * (no second copy of the encoded image). */
    size_t room = chunk_type != NULL ? 12 + chunk_size : 0;
    uint8_t *png = NULL;
    size_t png_size = 0;
    if ((rc = encode_pixels(img, level, room, &png, &png_size)) < 0)
        return rc;
    if (chunk_type != NULL) {
        uint8_t *p = png + IHDR_END;
        mem_store_be32(p, (uint32_t)chunk_size);
        memcpy(p + 4, chunk_type, 4);
        if (chunk_size != 0)
            memcpy(p + 8, chunk_data, chunk_size);
        mem_store_be32(p + 8 + chunk_size, image_crc32(p + 4, chunk_size + 4));
    }
    *out = png;
    *out_size = png_size;
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
    return image_encode_png(img, chunk_type, chunk_data, chunk_size, 0, out, out_size);
}

int fiie_image_save_png(const fiie_image *img, const char *path, const char *chunk_type,
                        const void *chunk_data, size_t chunk_size, unsigned flags)
{
    int level = image_save_flags_level(flags);
    if (path == NULL || path[0] == '\0' || level < 0)
        return FIIE_E_INVALID_ARGUMENT;
    uint8_t *png = NULL;
    size_t size = 0;
    int rc = image_encode_png(img, chunk_type, chunk_data, chunk_size, level, &png, &size);
    if (rc < 0)
        return rc;
    unsigned fflags = ((flags & FIIE_SAVE_NO_CLOBBER) ? FIIE_FILE_NO_CLOBBER : 0u) |
                      ((flags & FIIE_SAVE_PRIVATE) ? FIIE_FILE_PRIVATE : 0u);
    rc = fiie_file_write_atomic(path, png, size, fflags);
    common_buf_free(png); /* wiped: the pixels, compressed */
    return rc;
}
