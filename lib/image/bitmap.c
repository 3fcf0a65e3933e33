/* BMP and TGA size checks. All arithmetic is done in 64 bits on values
 * already limited to 16 or 32 bits, so nothing here can overflow. */
#include "image/codec.h"
#include "fiie/image.h"
#include "common/common.h"

int image_bmp_detect(const uint8_t *data, size_t size)
{
    return size >= 2 && data[0] == 'B' && data[1] == 'M';
}

int image_bmp_validate(const uint8_t *d, size_t n, uint32_t *width, uint32_t *height)
{
    if (n < 26 || !image_bmp_detect(d, n))
        return FIIE_E_IMAGE_FORMAT;
    uint32_t offset = mem_load_le32(d + 10), hsz = mem_load_le32(d + 14);
    if (hsz != 12 && hsz != 40 && hsz != 56 && hsz != 108 && hsz != 124)
        return FIIE_E_IMAGE_FORMAT;
    if (n < 14 + (size_t)hsz)
        return FIIE_E_IMAGE_FORMAT;
    uint64_t w, h;
    uint32_t bpp;
    if (hsz == 12) {
        w = mem_load_le16(d + 18);
        h = mem_load_le16(d + 20);
        bpp = mem_load_le16(d + 24);
    } else {
        int32_t sw = (int32_t)mem_load_le32(d + 18), sh = (int32_t)mem_load_le32(d + 22);
        if (sw <= 0 || sh == 0 || sh == INT32_MIN)
            return FIIE_E_IMAGE_FORMAT;
        w = (uint64_t)sw;
        h = (uint64_t)(sh < 0 ? -(int64_t)sh : sh);
        bpp = mem_load_le16(d + 28);
        uint32_t compression = mem_load_le32(d + 30);
        if (compression != 0 && compression != 3)
            return FIIE_E_IMAGE_FORMAT; /* RLE, JPEG, PNG: unsupported */
    }
    if (w == 0 || h == 0)
        return FIIE_E_IMAGE_FORMAT;
    if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32)
        return FIIE_E_IMAGE_FORMAT;
    if (w > FIIE_MAX_DIMENSION || h > FIIE_MAX_DIMENSION)
        return FIIE_E_TOO_LARGE;
    uint64_t row = (w * bpp + 31) / 32 * 4;
    if ((uint64_t)offset + row * h > n)
        return FIIE_E_IMAGE_FORMAT;
    *width = (uint32_t)w;
    *height = (uint32_t)h;
    return 0;
}

/* Walk RLE packets until `pixels` are covered; returns 0 or -1. */
static int tga_rle_fits(const uint8_t *d, size_t n, size_t pos, uint64_t pixels,
                        uint32_t px_bytes)
{
    uint64_t done = 0;
    while (done < pixels) {
        if (pos >= n)
            return -1;
        uint8_t head = d[pos++];
        uint32_t count = (uint32_t)(head & 0x7f) + 1;
        uint64_t bytes = (head & 0x80) != 0 ? px_bytes : (uint64_t)count * px_bytes;
        if (bytes > n - pos)
            return -1;
        pos += (size_t)bytes;
        done += count;
    }
    return 0;
}

int image_tga_validate(const uint8_t *d, size_t n)
{
    if (n < 18)
        return FIIE_E_IMAGE_FORMAT;
    uint32_t id_len = d[0], cmap_type = d[1], type = d[2];
    uint32_t cmap_first = mem_load_le16(d + 3), cmap_len = mem_load_le16(d + 5), cmap_bits = d[7];
    uint64_t w = mem_load_le16(d + 12), h = mem_load_le16(d + 14);
    uint32_t bits = d[16];
    if (w == 0 || h == 0 || cmap_type > 1 || bits == 0 || bits > 32)
        return FIIE_E_IMAGE_FORMAT;
    uint64_t start = 18 + (uint64_t)id_len;
    if (cmap_type == 1) /* stb skips cmap_first bytes, then reads the map */
        start += cmap_first + (uint64_t)cmap_len * ((cmap_bits + 7) / 8);
    if (start > n)
        return FIIE_E_IMAGE_FORMAT;
    uint32_t px_bytes = (bits + 7) / 8;
    uint64_t pixels = w * h;
    if (type >= 9) {
        if (tga_rle_fits(d, n, (size_t)start, pixels, px_bytes) < 0)
            return FIIE_E_IMAGE_FORMAT;
    } else if (pixels * px_bytes > n - start) {
        return FIIE_E_IMAGE_FORMAT;
    }
    return 0;
}
