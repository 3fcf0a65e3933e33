/* EXIF orientation (tag 0x0112 in IFD0, TIFF 6.0 / EXIF 2.3 section 4.6).
 *
 * Only IFD0 is read: every offset comes from the file, so each one is
 * checked against the TIFF data size before use. */
#include <string.h>

#include "common/common.h"
#include "image/codec.h"

#define TAG_ORIENTATION 0x0112u
#define TYPE_SHORT 3u

typedef struct tiff {
    const uint8_t *p;
    size_t size;
    int big_endian;
} tiff;

static uint32_t rd16(const tiff *t, size_t off)
{
    return t->big_endian ? mem_load_be16(t->p + off) : mem_load_le16(t->p + off);
}

static uint32_t rd32(const tiff *t, size_t off)
{
    return t->big_endian ? mem_load_be32(t->p + off) : mem_load_le32(t->p + off);
}

int image_exif_orientation(const uint8_t *data, size_t size)
{
    if (data == NULL || size < 8)
        return 1;
    tiff t = {data, size, 0};
    if (memcmp(data, "II", 2) == 0)
        t.big_endian = 0;
    else if (memcmp(data, "MM", 2) == 0)
        t.big_endian = 1;
    else
        return 1;
    if (rd16(&t, 2) != 42)
        return 1;
    uint32_t ifd = rd32(&t, 4);
    if (ifd < 8 || ifd > size || size - ifd < 2)
        return 1;
    uint32_t count = rd16(&t, ifd);
    size_t entries = ifd + 2;
    /* Entries that do not fit are ignored, the ones before them are used. */
    size_t fit = (size - entries) / 12;
    if (count > fit)
        count = (uint32_t)fit;
    for (uint32_t i = 0; i < count; i++) {
        size_t e = entries + (size_t)i * 12;
        if (rd16(&t, e) != TAG_ORIENTATION)
            continue;
        if (rd16(&t, e + 2) != TYPE_SHORT || rd32(&t, e + 4) != 1)
            return 1;
        uint32_t v = rd16(&t, e + 8); /* a single SHORT sits at the start */
        return v >= 1 && v <= 8 ? (int)v : 1;
    }
    return 1;
}

int image_orient(fiie_image *dst, const fiie_image *src, int orientation)
{
    if (dst == NULL || dst == src || orientation < 1 || orientation > 8)
        return FIIE_E_INVALID_ARGUMENT;
    memset(dst, 0, sizeof *dst);
    int rc = fiie_image_validate(src);
    if (rc < 0)
        return rc;
    uint32_t w = src->width, h = src->height;
    int transpose = orientation >= 5;
    fiie_image out;
    rc = fiie_image_alloc(&out, transpose ? h : w, transpose ? w : h, src->format);
    if (rc < 0)
        return rc;
    size_t ch = (size_t)fiie_pixel_format_channels(src->format);
    /* For each output pixel (x, y) the stored pixel (sx, sy) it shows:
     * 2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate 90 clockwise,
     * 7 transverse, 8 rotate 90 counter-clockwise. */
    for (uint32_t y = 0; y < out.height; y++) {
        uint8_t *d = out.data + (size_t)y * out.stride;
        for (uint32_t x = 0; x < out.width; x++, d += ch) {
            uint32_t sx, sy;
            switch (orientation) {
            case 2: sx = w - 1 - x; sy = y; break;
            case 3: sx = w - 1 - x; sy = h - 1 - y; break;
            case 4: sx = x; sy = h - 1 - y; break;
            case 5: sx = y; sy = x; break;
            case 6: sx = y; sy = h - 1 - x; break;
            case 7: sx = w - 1 - y; sy = h - 1 - x; break;
            case 8: sx = w - 1 - y; sy = x; break;
            default: sx = x; sy = y; break;
            }
            memcpy(d, src->data + (size_t)sy * src->stride + (size_t)sx * ch, ch);
        }
    }
    *dst = out;
    return 0;
}
