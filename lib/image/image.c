/* The fiie_image pixel buffer: validation, wrapping, allocation and pixel
 * format conversion (fiie/image.h). */
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "image/image.h"

int fiie_pixel_format_channels(int32_t format)
{
    switch (format) {
    case FIIE_PIXEL_RGB8:
    case FIIE_PIXEL_BGR8: return 3;
    case FIIE_PIXEL_RGBA8:
    case FIIE_PIXEL_BGRA8: return 4;
    default: return FIIE_E_INVALID_ARGUMENT;
    }
}

int image_format_is_rgb_order(int32_t format)
{
    return format == FIIE_PIXEL_RGB8 || format == FIIE_PIXEL_RGBA8;
}

/* Shared by validate, wrap and alloc: sizes and format only. */
static int check_geometry(uint32_t width, uint32_t height, int32_t format)
{
    if (width == 0 || height == 0)
        return FIIE_E_INVALID_ARGUMENT;
    if (width > FIIE_MAX_DIMENSION || height > FIIE_MAX_DIMENSION)
        return FIIE_E_TOO_LARGE;
    if ((uint64_t)width * height > FIIE_MAX_PIXELS)
        return FIIE_E_TOO_LARGE;
    if (fiie_pixel_format_channels(format) < 0)
        return FIIE_E_INVALID_ARGUMENT;
    return 0;
}

int fiie_image_validate(const fiie_image *img)
{
    if (img == NULL || img->data == NULL)
        return FIIE_E_INVALID_ARGUMENT;
    int rc = check_geometry(img->width, img->height, img->format);
    if (rc < 0)
        return rc;
    if ((img->flags & ~FIIE_IMAGE_OWNS_DATA) != 0)
        return FIIE_E_INVALID_ARGUMENT;
    /* Cannot overflow: width <= 65535 and channels <= 4. */
    size_t row = (size_t)img->width * (size_t)fiie_pixel_format_channels(img->format);
    if (img->stride < row)
        return FIIE_E_INVALID_ARGUMENT;
    /* The last row must be addressable: (height - 1) * stride + row. */
    size_t rows_before_last = (size_t)img->height - 1;
    if (rows_before_last != 0 && img->stride > (SIZE_MAX - row) / rows_before_last)
        return FIIE_E_TOO_LARGE;
    return 0;
}

int fiie_image_wrap(fiie_image *img, uint8_t *data, uint32_t width, uint32_t height,
                    size_t stride, int32_t format)
{
    if (img == NULL)
        return FIIE_E_INVALID_ARGUMENT;
    memset(img, 0, sizeof *img);
    int rc = check_geometry(width, height, format);
    if (rc < 0)
        return rc;
    fiie_image tmp = {
        .data = data,
        .width = width,
        .height = height,
        .stride = stride != 0 ? stride
                              : (size_t)width * (size_t)fiie_pixel_format_channels(format),
        .format = format,
        .flags = 0,
    };
    rc = fiie_image_validate(&tmp);
    if (rc < 0)
        return rc;
    *img = tmp;
    return 0;
}

int fiie_image_alloc(fiie_image *img, uint32_t width, uint32_t height, int32_t format)
{
    if (img == NULL)
        return FIIE_E_INVALID_ARGUMENT;
    memset(img, 0, sizeof *img);
    int rc = check_geometry(width, height, format);
    if (rc < 0)
        return rc;
    size_t row = (size_t)width * (size_t)fiie_pixel_format_channels(format);
    /* row <= 262140 and height <= 65535 pixels but the pixel cap keeps the
     * product <= 2^30; still check so 16-bit size_t hosts stay correct. */
    if (row > SIZE_MAX / height)
        return FIIE_E_TOO_LARGE;
    uint8_t *data = common_buf_alloc(row * height);
    if (data == NULL)
        return FIIE_E_NO_MEMORY;
    image_adopt(img, data, width, height, format);
    return 0;
}

void image_adopt(fiie_image *img, uint8_t *data, uint32_t width, uint32_t height,
                      int32_t format)
{
    memset(img, 0, sizeof *img);
    img->data = data;
    img->width = width;
    img->height = height;
    img->stride = (size_t)width * (size_t)fiie_pixel_format_channels(format);
    img->format = format;
    img->flags = FIIE_IMAGE_OWNS_DATA;
}

void fiie_image_free(fiie_image *img)
{
    if (img == NULL)
        return;
    /* Pixels may be faces (a loaded photo, a decrypted image): the image
     * buffer is wiped or its pages handed back to the system. */
    if ((img->flags & FIIE_IMAGE_OWNS_DATA) != 0)
        common_buf_free(img->data);
    memset(img, 0, sizeof *img);
}

void image_swap_rb(fiie_image *img)
{
    size_t ch = (size_t)fiie_pixel_format_channels(img->format);
    for (uint32_t y = 0; y < img->height; y++) {
        uint8_t *p = img->data + (size_t)y * img->stride;
        for (uint32_t x = 0; x < img->width; x++, p += ch) {
            uint8_t t = p[0];
            p[0] = p[2];
            p[2] = t;
        }
    }
}

int fiie_image_convert(fiie_image *dst, const fiie_image *src, int32_t format)
{
    /* dst == src would lose (leak) the source's owned buffer. */
    if (dst == NULL || dst == src)
        return FIIE_E_INVALID_ARGUMENT;
    memset(dst, 0, sizeof *dst);
    int rc = fiie_image_validate(src);
    if (rc < 0)
        return rc;
    int dch = fiie_pixel_format_channels(format);
    if (dch < 0)
        return FIIE_E_INVALID_ARGUMENT;
    fiie_image out;
    rc = fiie_image_alloc(&out, src->width, src->height, format);
    if (rc < 0)
        return rc;
    size_t sch = (size_t)fiie_pixel_format_channels(src->format);
    /* Source byte index of R, G, B; alpha is byte 3 when present. */
    int swap = image_format_is_rgb_order(src->format) !=
               image_format_is_rgb_order(format);
    size_t ri = swap ? 2 : 0, bi = swap ? 0 : 2;
    for (uint32_t y = 0; y < src->height; y++) {
        const uint8_t *s = src->data + (size_t)y * src->stride;
        uint8_t *d = out.data + (size_t)y * out.stride;
        for (uint32_t x = 0; x < src->width; x++, s += sch, d += (size_t)dch) {
            d[0] = s[ri];
            d[1] = s[1];
            d[2] = s[bi];
            if (dch == 4)
                d[3] = sch == 4 ? s[3] : 255;
        }
    }
    *dst = out;
    return 0;
}
