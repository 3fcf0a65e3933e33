/* Unit tests of the preview drawing helpers (boxes, dots, tint). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "draw.h"

#define W 20
#define H 10

static uint8_t px[H][W][4];

static fiie_image image(int32_t format, int ch)
{
    fiie_image img = {&px[0][0][0], W, H, (size_t)W * (size_t)ch, format, 0};
    return img;
}

static int count_colour(const fiie_image *img, int ch, int r_off, uint8_t r)
{
    int n = 0;
    for (uint32_t y = 0; y < img->height; y++)
        for (uint32_t x = 0; x < img->width; x++)
            n += img->data[y * img->stride + x * (size_t)ch + (size_t)r_off] == r;
    return n;
}

static void box_outline(void **state)
{
    (void)state;
    memset(px, 0, sizeof px);
    fiie_image img = image(FIIE_PIXEL_RGB8, 3);
    const uint8_t c[3] = {9, 8, 7};
    draw_box(&img, 2, 3, 8, 7, 1, c);
    /* Perimeter of a 6x4 rectangle: 2*6 + 2*4 - 4 = 16 pixels. */
    assert_int_equal(count_colour(&img, 3, 0, 9), 16);
    assert_int_equal(img.data[3 * img.stride + 2 * 3 + 0], 9);
    assert_int_equal(img.data[3 * img.stride + 2 * 3 + 2], 7);
    assert_int_equal(img.data[4 * img.stride + 3 * 3], 0); /* inside stays */
    /* Clipped far outside, NaN and empty boxes: no writes out of bounds. */
    memset(px, 0, sizeof px);
    draw_box(&img, -1e30, -5, 1e30, 1e30, 3, c);
    draw_box(&img, 0.0 / 0.0, 0, 5, 5, 1, c);
    draw_box(&img, 5, 5, 5, 9, 1, c);
    assert_true(count_colour(&img, 3, 0, 9) > 0);
}

static void bgra_order_and_alpha(void **state)
{
    (void)state;
    memset(px, 0, sizeof px);
    fiie_image img = image(FIIE_PIXEL_BGRA8, 4);
    const uint8_t c[3] = {200, 100, 50};
    draw_dot(&img, 5.5, 5.5, 1, c);
    uint8_t *p = img.data + 5 * img.stride + 5 * 4;
    assert_int_equal(p[0], 50);
    assert_int_equal(p[1], 100);
    assert_int_equal(p[2], 200);
    assert_int_equal(p[3], 255);
    assert_int_equal(count_colour(&img, 4, 2, 200), 9);
    draw_dot(&img, 0, 0, 2, c); /* corner: clipped to 3x3 */
    assert_int_equal(count_colour(&img, 4, 2, 200), 18);
}

static void tint_blends_only_masked(void **state)
{
    (void)state;
    memset(px, 100, sizeof px);
    fiie_image img = image(FIIE_PIXEL_RGB8, 3);
    uint8_t bm[H][W];
    memset(bm, 0, sizeof bm);
    bm[1][1] = 1;
    const uint8_t c[3] = {255, 0, 0};
    draw_tint(&img, &bm[0][0], W, c, 128);
    uint8_t *p = img.data + 1 * img.stride + 1 * 3;
    assert_int_equal(p[0], (100 * 128 + 255 * 128) >> 8);
    assert_int_equal(p[1], 50);
    assert_int_equal(img.data[0], 100);
    fiie_image bad = img;
    bad.format = 99;
    draw_tint(&bad, &bm[0][0], W, c, 128); /* unknown format: ignored */
    draw_box(&bad, 0, 0, 5, 5, 1, c);
}

static void outline_is_the_mask_border(void **state)
{
    (void)state;
    memset(px, 0, sizeof px);
    fiie_image img = image(FIIE_PIXEL_BGRA8, 4);
    uint8_t bm[H][W];
    memset(bm, 0, sizeof bm);
    for (int y = 2; y <= 6; y++) /* a 5x5 square, and a region on the right edge */
        for (int x = 3; x <= 7; x++)
            bm[y][x] = 255;
    bm[4][W - 1] = 255;
    const uint8_t c[3] = {255, 0, 0};
    draw_outline(&img, &bm[0][0], W, c);
    int n = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            const uint8_t *p = &px[y][x][0];
            int border = bm[y][x] && (y == 2 || y == 6 || x == 3 || x == 7 || x == W - 1);
            assert_int_equal(p[2], border ? 255 : 0); /* red is byte 2 in BGRA */
            assert_int_equal(p[3], border ? 255 : 0);
            n += border;
        }
    assert_int_equal(n, 16 + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(box_outline),
        cmocka_unit_test(bgra_order_and_alpha),
        cmocka_unit_test(tint_blends_only_masked),
        cmocka_unit_test(outline_is_the_mask_border),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
