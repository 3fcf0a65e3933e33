/* PNG writing with options (fiie_image_encode_png_with,
 * fiie_image_save_png_with): the colour profile of the source carried
 * into the written file as an iCCP chunk, a private chunk, a private file.
 * The pixels are encoded by fiie_image_encode_png(); this file only adds
 * the iCCP chunk after IHDR, where PNG wants it (before PLTE and IDAT). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "fiie/image.h"
#include "image/codec.h"

/* Signature plus the 13-byte IHDR chunk (length, type, data, CRC). */
#define IHDR_END (IMAGE_PNG_SIGNATURE_BYTES + 12 + 13)
/* iCCP payload head: a profile name, NUL, compression method 0. */
static const char icc_name[] = "ICC profile";
#define ICC_MIN_BYTES 128 /* an ICC profile header */

int fiie_png_options_init_v(fiie_png_options *o, int abi_version)
{
    return common_options_begin(o, sizeof *o, abi_version);
}

static int check_options(const fiie_png_options *o)
{
    int rc = common_options_check(o->abi_version, o->reserved, sizeof o->reserved);
    if (rc != FIIE_OK)
        return rc;
    if (image_save_flags_level(o->flags) < 0 ||
        (o->icc == NULL) != (o->icc_size == 0))
        return FIIE_E_INVALID_ARGUMENT;
    if (o->icc_size > FIIE_MAX_ICC_BYTES)
        return FIIE_E_TOO_LARGE;
    if (o->icc != NULL && o->icc_size < ICC_MIN_BYTES)
        return FIIE_E_INVALID_ARGUMENT;
    return 0;
}

/* Insert an iCCP chunk holding the compressed profile after IHDR. */
static int add_icc(uint8_t **png, size_t *png_size, const uint8_t *icc, size_t icc_size)
{
    int zlen = 0;
    uint8_t *z = image_stb_deflate(icc, (int)icc_size, &zlen);
    if (z == NULL)
        return FIIE_E_NO_MEMORY;
    size_t payload = sizeof icc_name + 1 + (size_t)zlen;
    size_t total = *png_size + 12 + payload;
    uint8_t *buf = common_buf_alloc(total);
    if (buf == NULL) {
        common_buf_free(z);
        return FIIE_E_NO_MEMORY;
    }
    uint8_t *p = buf;
    memcpy(p, *png, IHDR_END);
    p += IHDR_END;
    mem_store_be32(p, (uint32_t)payload);
    memcpy(p + 4, "iCCP", 4);
    memcpy(p + 8, icc_name, sizeof icc_name); /* with its NUL */
    p[8 + sizeof icc_name] = 0;               /* compression method: zlib */
    memcpy(p + 9 + sizeof icc_name, z, (size_t)zlen);
    mem_store_be32(p + 8 + payload, image_crc32(p + 4, payload + 4));
    p += 12 + payload;
    memcpy(p, *png + IHDR_END, *png_size - IHDR_END);
    common_buf_free(z);
    common_buf_free(*png); /* wiped: the pixels, compressed */
    *png = buf;
    *png_size = total;
    return 0;
}

int fiie_image_encode_png_with(const fiie_image *img, const fiie_png_options *o,
                               uint8_t **out, size_t *out_size)
{
    if (out != NULL)
        *out = NULL;
    if (out_size != NULL)
        *out_size = 0;
    if (out == NULL || out_size == NULL)
        return FIIE_E_INVALID_ARGUMENT;
    if (o == NULL)
        return fiie_image_encode_png(img, NULL, NULL, 0, out, out_size);
    int rc = check_options(o);
    if (rc < 0)
        return rc;
    uint8_t *png;
    size_t size;
    if ((rc = image_encode_png(img, o->chunk_type, o->chunk_data, o->chunk_size,
                               image_save_flags_level(o->flags), &png, &size)) < 0)
        return rc;
    if (o->icc != NULL && (rc = add_icc(&png, &size, o->icc, o->icc_size)) < 0) {
        common_buf_free(png);
        return rc;
    }
    *out = png;
    *out_size = size;
    return 0;
}

int fiie_image_save_png_with(const fiie_image *img, const char *path,
                             const fiie_png_options *o)
{
    if (path == NULL || path[0] == '\0')
        return FIIE_E_INVALID_ARGUMENT;
    uint8_t *png = NULL;
    size_t size = 0;
    int rc = fiie_image_encode_png_with(img, o, &png, &size);
    if (rc < 0)
        return rc;
    unsigned flags = 0;
    if (o != NULL)
        flags = ((o->flags & FIIE_SAVE_NO_CLOBBER) ? FIIE_FILE_NO_CLOBBER : 0u) |
                ((o->flags & FIIE_SAVE_PRIVATE) ? FIIE_FILE_PRIVATE : 0u);
    rc = fiie_file_write_atomic(path, png, size, flags);
    common_buf_free(png); /* wiped: the pixels, compressed */
    return rc;
}
