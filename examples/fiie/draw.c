#include "draw.h"

#include <math.h>

/* Byte offsets of R, G, B and alpha (-1: none) for a format. */
static int layout(int32_t format, int off[4])
{
    switch (format) {
    case FIIE_PIXEL_RGB8:  off[0] = 0; off[1] = 1; off[2] = 2; off[3] = -1; return 3;
    case FIIE_PIXEL_RGBA8: off[0] = 0; off[1] = 1; off[2] = 2; off[3] = 3; return 4;
    case FIIE_PIXEL_BGR8:  off[0] = 2; off[1] = 1; off[2] = 0; off[3] = -1; return 3;
    case FIIE_PIXEL_BGRA8: off[0] = 2; off[1] = 1; off[2] = 0; off[3] = 3; return 4;
    default: return 0;
    }
}

static void fill(fiie_image *img, int64_t x0, int64_t y0, int64_t x1, int64_t y1, const uint8_t rgb[3])
{
    int off[4];
    int ch = layout(img->format, off);
    if (!ch || !img->data)
        return;
    if (x0 < 0)
        x0 = 0;
    if (y0 < 0)
        y0 = 0;
    if (x1 > (int64_t)img->width)
        x1 = img->width;
    if (y1 > (int64_t)img->height)
        y1 = img->height;
    for (int64_t y = y0; y < y1; y++)
        for (int64_t x = x0; x < x1; x++) {
            uint8_t *p = img->data + (size_t)y * img->stride + (size_t)x * (size_t)ch;
            p[off[0]] = rgb[0];
            p[off[1]] = rgb[1];
            p[off[2]] = rgb[2];
            if (off[3] >= 0)
                p[off[3]] = 255;
        }
}

/* Clamp a coordinate to a range that cannot overflow later arithmetic. */
static int64_t px(double v)
{
    if (!(v == v))
        return 0;
    if (v < -1e9)
        return -1000000000;
    if (v > 1e9)
        return 1000000000;
    return (int64_t)floor(v);
}

void draw_box(fiie_image *img, double x1, double y1, double x2, double y2, int thick,
              const uint8_t rgb[3])
{
    int64_t a = px(x1), b = px(y1), c = px(x2), d = px(y2);
    if (thick < 1)
        thick = 1;
    if (c <= a || d <= b)
        return;
    fill(img, a, b, c, b + thick, rgb);         /* top */
    fill(img, a, d - thick, c, d, rgb);         /* bottom */
    fill(img, a, b, a + thick, d, rgb);         /* left */
    fill(img, c - thick, b, c, d, rgb);         /* right */
}

void draw_dot(fiie_image *img, double x, double y, int radius, const uint8_t rgb[3])
{
    int64_t cx = px(x), cy = px(y);
    fill(img, cx - radius, cy - radius, cx + radius + 1, cy + radius + 1, rgb);
}

void draw_tint(fiie_image *img, const uint8_t *bitmap, size_t bstride, const uint8_t rgb[3],
               unsigned alpha)
{
    int off[4];
    int ch = layout(img->format, off);
    if (!ch || !img->data || !bitmap)
        return;
    if (alpha > 256)
        alpha = 256;
    for (uint32_t y = 0; y < img->height; y++)
        for (uint32_t x = 0; x < img->width; x++) {
            if (!bitmap[(size_t)y * bstride + x])
                continue;
            uint8_t *p = img->data + (size_t)y * img->stride + (size_t)x * (size_t)ch;
            for (int k = 0; k < 3; k++)
                p[off[k]] = (uint8_t)((p[off[k]] * (256 - alpha) + rgb[k] * alpha) >> 8);
        }
}

/* Inside the bitmap with a 4-neighbour outside it (or at the image edge). */
static int on_border(const uint8_t *bitmap, size_t bstride, uint32_t w, uint32_t h, uint32_t x,
                     uint32_t y)
{
    const uint8_t *row = bitmap + (size_t)y * bstride;
    if (!row[x])
        return 0;
    if (x == 0 || y == 0 || x + 1 == w || y + 1 == h)
        return 1;
    const uint8_t *up = row - bstride, *down = row + bstride;
    return !row[x - 1] || !row[x + 1] || !up[x] || !down[x];
}

void draw_outline(fiie_image *img, const uint8_t *bitmap, size_t bstride, const uint8_t rgb[3])
{
    int off[4];
    int ch = layout(img->format, off);
    if (!ch || !img->data || !bitmap)
        return;
    for (uint32_t y = 0; y < img->height; y++)
        for (uint32_t x = 0; x < img->width; x++) {
            if (!on_border(bitmap, bstride, img->width, img->height, x, y))
                continue;
            uint8_t *p = img->data + (size_t)y * img->stride + (size_t)x * (size_t)ch;
            for (int k = 0; k < 3; k++)
                p[off[k]] = rgb[k];
            if (ch == 4)
                p[off[3]] = 255;
        }
}
