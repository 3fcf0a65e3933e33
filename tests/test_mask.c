/* Unit tests of fiie/mask.h: the exact membership rule, spans against a
 * brute-force evaluation, box scaling and limits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fiie/fiie.h"
#include "mask/mask.h"
#include "vectors_v1.h"

/* Literal format rule for one region, written independently of lib/mask.c
 * (exact: each product is under 2^128 and a sum that wraps is past c). */
__extension__ typedef unsigned __int128 u128;
__extension__ typedef __int128 i128;

static int rule(const fiie_region *r, int64_t px, int64_t py)
{
    int64_t x = r->x, y = r->y, w = r->w, h = r->h;
    if (!(x <= px && px < x + w && y <= py && py < y + h))
        return 0;
    if (r->shape == FIIE_SHAPE_RECT)
        return 1;
    i128 dx = 2 * px + 1 - (2 * x + w), dy = 2 * py + 1 - (2 * y + h);
    u128 a = (u128)(dx * dx) * (u128)(h * (i128)h);
    u128 b = (u128)(dy * dy) * (u128)(w * (i128)w);
    u128 c = (u128)w * (u128)w * (u128)h * (u128)h;
    u128 sum = a + b;
    return sum >= a && sum <= c;
}

/* Rasterised mask equals the per-pixel rule; pixel count agrees. */
static void check_against_rule(const fiie_mask *m)
{
    uint32_t W = fiie_mask_width(m), H = fiie_mask_height(m);
    uint8_t *bm = malloc((size_t)W * H + 1);
    assert_non_null(bm);
    bm[(size_t)W * H] = 0x5A;
    assert_int_equal(fiie_mask_rasterize(m, bm, 0), FIIE_OK);
    assert_int_equal(bm[(size_t)W * H], 0x5A);
    uint64_t count = 0, expect = 0;
    size_t n = fiie_mask_region_count(m);
    for (uint32_t y = 0; y < H; y++)
        for (uint32_t x = 0; x < W; x++) {
            int in = 0;
            for (size_t i = 0; i < n && !in; i++) {
                fiie_region r;
                assert_int_equal(fiie_mask_get_region(m, i, &r), FIIE_OK);
                in = rule(&r, x, y);
            }
            expect += (uint64_t)in;
            assert_int_equal(bm[(size_t)y * W + x], in ? 255 : 0);
            assert_int_equal(fiie_mask_contains(m, x, y), in);
        }
    assert_int_equal(fiie_mask_pixel_count(m, &count), FIIE_OK);
    assert_true(count == expect);
    free(bm);
}

static void vectors_protected_bytes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof v_images / sizeof *v_images; i++) {
        const v_image *v = &v_images[i];
        fiie_mask *m = NULL;
        assert_int_equal(fiie_mask_new(&m, v->width, v->height), FIIE_OK);
        for (size_t j = 0; j < v->n_regions; j++)
            assert_int_equal(fiie_mask_add_region(m, v->regions[j].shape, v->regions[j].x,
                                                  v->regions[j].y, v->regions[j].w,
                                                  v->regions[j].h),
                             FIIE_OK);
        uint64_t c = 0;
        assert_int_equal(fiie_mask_pixel_count(m, &c), FIIE_OK);
        assert_true(c * 3 == v->protected_bytes);
        check_against_rule(m);
        fiie_mask_free(m);
    }
}

static uint32_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005u + 1442695040888963407u;
    return (uint32_t)(*s >> 33);
}

/* Random regions of every size class, mostly overlapping the image and
 * often crossing its edges; small ellipses stress parity and rounding. */
static void random_regions_match_rule(void **state)
{
    (void)state;
    uint64_t seed = 12345;
    for (int round = 0; round < 60; round++) {
        uint32_t W = 1 + rnd(&seed) % 70, H = 1 + rnd(&seed) % 50;
        fiie_mask *m = NULL;
        assert_int_equal(fiie_mask_new(&m, W, H), FIIE_OK);
        int n = 1 + (int)(rnd(&seed) % 12);
        for (int i = 0; i < n; i++) {
            uint32_t w = 1 + rnd(&seed) % (round % 3 == 0 ? 8 : 90);
            uint32_t h = 1 + rnd(&seed) % (round % 3 == 0 ? 8 : 90);
            int32_t x = (int32_t)(rnd(&seed) % (W + w + 10)) - (int32_t)w - 5;
            int32_t y = (int32_t)(rnd(&seed) % (H + h + 10)) - (int32_t)h - 5;
            assert_int_equal(fiie_mask_add_region(m, (int32_t)(rnd(&seed) & 1), x, y, w, h),
                             FIIE_OK);
        }
        check_against_rule(m);
        fiie_mask_free(m);
    }
}

/* Huge regions: 64-bit clipping, 128-bit ellipse arithmetic, no wrap. */
static void extreme_regions(void **state)
{
    (void)state;
    const fiie_region cases[] = {
        {FIIE_SHAPE_ELLIPSE, INT32_MIN, INT32_MIN, UINT32_MAX, UINT32_MAX},
        {FIIE_SHAPE_ELLIPSE, -2147483000, 5, UINT32_MAX, 7},
        {FIIE_SHAPE_ELLIPSE, 3, -2000000000, 9, 4000000001u},
        {FIIE_SHAPE_RECT, INT32_MAX, INT32_MAX, UINT32_MAX, UINT32_MAX},
        {FIIE_SHAPE_RECT, INT32_MIN, 0, UINT32_MAX, 1},
        {FIIE_SHAPE_ELLIPSE, INT32_MAX - 3, 0, UINT32_MAX, UINT32_MAX},
        {FIIE_SHAPE_ELLIPSE, -20, -20, 41, 41},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        fiie_mask *m = NULL;
        assert_int_equal(fiie_mask_new(&m, 40, 30), FIIE_OK);
        const fiie_region *r = &cases[i];
        assert_int_equal(fiie_mask_add_region(m, r->shape, r->x, r->y, r->w, r->h), FIIE_OK);
        check_against_rule(m);
        fiie_mask_free(m);
    }
    /* The first ellipse's centre is near (-0.5, -0.5): the image corner
     * (0,0) lies inside it (deep inside a giant ellipse). */
    fiie_mask *m = NULL;
    assert_int_equal(fiie_mask_new(&m, 40, 30), FIIE_OK);
    assert_int_equal(fiie_mask_add_region(m, cases[0].shape, cases[0].x, cases[0].y,
                                          cases[0].w, cases[0].h),
                     FIIE_OK);
    assert_int_equal(fiie_mask_contains(m, 0, 0), 1);
    assert_int_equal(fiie_mask_contains(m, -1, 0), 0);
    assert_int_equal(fiie_mask_contains(m, 40, 0), 0);
    assert_int_equal(fiie_mask_contains(NULL, 0, 0), 0);
    fiie_mask_free(m);
}

static void ellipse_shapes(void **state)
{
    (void)state;
    /* A 3x3 ellipse covers its whole box (corner: 4*9 + 4*9 <= 81); a
     * 5x5 one loses exactly its four corners (16*25 + 16*25 > 625). */
    fiie_mask *m = NULL;
    assert_int_equal(fiie_mask_new(&m, 5, 5), FIIE_OK);
    assert_int_equal(fiie_mask_add_region(m, FIIE_SHAPE_ELLIPSE, 0, 0, 5, 5), FIIE_OK);
    uint8_t bm[25];
    assert_int_equal(fiie_mask_rasterize(m, bm, 5), FIIE_OK);
    for (int i = 0; i < 25; i++) {
        int corner = (i == 0 || i == 4 || i == 20 || i == 24);
        assert_int_equal(bm[i], corner ? 0 : 255);
    }
    fiie_mask_free(m);
    assert_int_equal(fiie_mask_new(&m, 3, 3), FIIE_OK);
    assert_int_equal(fiie_mask_add_region(m, FIIE_SHAPE_ELLIPSE, 0, 0, 3, 3), FIIE_OK);
    uint64_t c;
    assert_int_equal(fiie_mask_pixel_count(m, &c), FIIE_OK);
    assert_true(c == 9);
    fiie_mask_free(m);
    assert_int_equal(fiie_mask_new(&m, 2, 2), FIIE_OK);
    assert_int_equal(fiie_mask_add_region(m, FIIE_SHAPE_ELLIPSE, 1, 1, 1, 1), FIIE_OK);
    assert_int_equal(fiie_mask_pixel_count(m, &c), FIIE_OK);
    assert_true(c == 1);
    assert_int_equal(fiie_mask_contains(m, 1, 1), 1);
    fiie_mask_free(m);
    assert_int_equal(fiie_mask_new(&m, 2, 2), FIIE_OK);
    assert_int_equal(fiie_mask_add_region(m, FIIE_SHAPE_ELLIPSE, 0, 0, 2, 2), FIIE_OK);
    check_against_rule(m);
    fiie_mask_free(m);
}

static void rasterize_stride(void **state)
{
    (void)state;
    fiie_mask *m = NULL;
    assert_int_equal(fiie_mask_new(&m, 5, 2), FIIE_OK);
    assert_int_equal(fiie_mask_add_region(m, FIIE_SHAPE_RECT, 1, 1, 2, 9), FIIE_OK);
    uint8_t bm[16];
    memset(bm, 7, sizeof bm);
    assert_int_equal(fiie_mask_rasterize(m, bm, 8), FIIE_OK);
    const uint8_t expect[16] = {0, 0, 0, 0, 0, 7, 7, 7, 0, 255, 255, 0, 0, 7, 7, 7};
    assert_memory_equal(bm, expect, 16);
    assert_int_equal(fiie_mask_rasterize(m, bm, 4), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_mask_rasterize(m, NULL, 8), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_mask_rasterize(NULL, bm, 8), FIIE_E_INVALID_ARGUMENT);
    fiie_mask_free(m);
}

static void add_box_scaling(void **state)
{
    (void)state;
    fiie_mask *m = NULL;
    assert_int_equal(fiie_mask_new(&m, 100, 100), FIIE_OK);
    fiie_region r;
    /* 10 x 20 box centred on (15, 30); x1.5 -> [7.5, 22.5] x [15, 45]. */
    assert_int_equal(fiie_mask_add_box(m, 10, 20, 20, 40, 1.5f, FIIE_SHAPE_RECT), FIIE_OK);
    assert_int_equal(fiie_mask_get_region(m, 0, &r), FIIE_OK);
    assert_int_equal(r.shape, FIIE_SHAPE_RECT);
    assert_int_equal(r.x, 7);
    assert_int_equal(r.y, 15);
    assert_int_equal(r.w, 16);
    assert_int_equal(r.h, 30);
    /* Fractional edges round outward: [10.3, 20.6] x1 -> [10, 21]. */
    assert_int_equal(fiie_mask_add_box(m, 10.3f, 5.5f, 20.6f, 6.5f, 1.0f, FIIE_SHAPE_ELLIPSE),
                     FIIE_OK);
    assert_int_equal(fiie_mask_get_region(m, 1, &r), FIIE_OK);
    assert_int_equal(r.shape, FIIE_SHAPE_ELLIPSE);
    assert_int_equal(r.x, 10);
    assert_int_equal(r.w, 11);
    assert_int_equal(r.y, 5);
    assert_int_equal(r.h, 2);
    /* Boxes may leave the image (negative coordinates). */
    assert_int_equal(fiie_mask_add_box(m, -30, -30, 10, 10, 1.5f, FIIE_MASK_DEFAULT_SHAPE),
                     FIIE_OK);
    assert_int_equal(fiie_mask_get_region(m, 2, &r), FIIE_OK);
    assert_int_equal(r.x, -40);
    assert_int_equal(r.w, 60);
    assert_int_equal(r.shape, FIIE_SHAPE_ELLIPSE);
    /* A vanishing scale still gives one pixel. */
    assert_int_equal(fiie_mask_add_box(m, 4, 4, 5, 5, 1e-30f, FIIE_SHAPE_RECT), FIIE_OK);
    assert_int_equal(fiie_mask_get_region(m, 3, &r), FIIE_OK);
    assert_true(r.w == 1 && r.h == 1 && r.x == 4);
    /* 1.6f is slightly above 1.6, so 10 x 1.6f = 16.0000002 rounds out to
     * the next pixel on both sides: the rule is exact, not "nice". */
    assert_int_equal(fiie_mask_add_box(m, 10, 20, 20, 40, FIIE_MASK_DEFAULT_SCALE,
                                       FIIE_SHAPE_RECT),
                     FIIE_OK);
    assert_int_equal(fiie_mask_get_region(m, 4, &r), FIIE_OK);
    assert_true(r.x == 6 && r.w == 18 && r.y == 13 && r.h == 34);
    assert_int_equal(fiie_mask_region_count(m), 5);

    const float bad[][5] = {
        {10, 10, 10, 20, 1}, {10, 10, 20, 5, 1}, {NAN, 0, 1, 1, 1}, {0, 0, INFINITY, 1, 1},
        {0, 0, 1, 1, 0},     {0, 0, 1, 1, -1},   {0, 0, 1, 1, NAN}, {0, 0, 1, 1, INFINITY}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(fiie_mask_add_box(m, bad[i][0], bad[i][1], bad[i][2], bad[i][3],
                                           bad[i][4], FIIE_SHAPE_RECT),
                         FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_mask_add_box(m, 0, 0, 1, 1, 1, 2), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_mask_add_box(NULL, 0, 0, 1, 1, 1, 0), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_mask_add_box(m, -3e9f, 0, 1, 1, 1, 0), FIIE_E_TOO_LARGE);
    assert_int_equal(fiie_mask_add_box(m, 0, 0, 1e9f, 1, 8, 0), FIIE_E_TOO_LARGE);
    assert_int_equal(fiie_mask_region_count(m), 5);
    fiie_mask_free(m);
}

static void limits_and_bad_inputs(void **state)
{
    (void)state;
    fiie_mask *m = (fiie_mask *)&m;
    assert_int_equal(fiie_mask_new(&m, 0, 5), FIIE_E_INVALID_ARGUMENT);
    assert_null(m);
    assert_int_equal(fiie_mask_new(&m, 5, 0), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_mask_new(&m, FIIE_MAX_DIMENSION + 1, 5), FIIE_E_TOO_LARGE);
    assert_int_equal(fiie_mask_new(&m, 65535, 65535), FIIE_E_TOO_LARGE);
    assert_int_equal(fiie_mask_new(NULL, 5, 5), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_mask_new(&m, 5, 4), FIIE_OK);
    assert_int_equal(fiie_mask_width(m), 5);
    assert_int_equal(fiie_mask_height(m), 4);
    assert_int_equal(fiie_mask_width(NULL), 0);
    assert_int_equal(fiie_mask_height(NULL), 0);
    assert_int_equal(fiie_mask_region_count(NULL), 0);
    assert_int_equal(fiie_mask_add_region(m, 2, 0, 0, 1, 1), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_mask_add_region(m, -1, 0, 0, 1, 1), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_mask_add_region(m, 0, 0, 0, 0, 1), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_mask_add_region(m, 0, 0, 0, 1, 0), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_mask_add_region(NULL, 0, 0, 0, 1, 1), FIIE_E_INVALID_ARGUMENT);
    fiie_region r;
    assert_int_equal(fiie_mask_get_region(m, 0, &r), FIIE_E_NOT_FOUND);
    assert_int_equal(fiie_mask_get_region(m, 0, NULL), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_mask_get_region(NULL, 0, &r), FIIE_E_INVALID_ARGUMENT);
    uint64_t c = 99;
    assert_int_equal(fiie_mask_pixel_count(m, &c), FIIE_OK);
    assert_true(c == 0);
    assert_int_equal(fiie_mask_pixel_count(m, NULL), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_mask_pixel_count(NULL, &c), FIIE_E_INVALID_ARGUMENT);

    /* Exactly FIIE_MAX_REGIONS fit (overlaps are counted once). */
    assert_int_equal(fiie_mask_max_regions(), FIIE_MAX_REGIONS);
    for (uint32_t i = 0; i < FIIE_MAX_REGIONS; i++)
        assert_int_equal(fiie_mask_add_region(m, (int32_t)(i & 1), (int32_t)(i % 7) - 1,
                                              (int32_t)(i % 5) - 1, 1 + i % 3, 1 + i % 2),
                         FIIE_OK);
    assert_int_equal(fiie_mask_add_region(m, 0, 0, 0, 1, 1), FIIE_E_TOO_LARGE);
    assert_int_equal(fiie_mask_region_count(m), FIIE_MAX_REGIONS);
    assert_int_equal(fiie_mask_pixel_count(m, &c), FIIE_OK);
    assert_true(c == 20);
    assert_int_equal(fiie_mask_get_region(m, FIIE_MAX_REGIONS - 1, &r), FIIE_OK);
    assert_int_equal(fiie_mask_get_region(m, FIIE_MAX_REGIONS, &r), FIIE_E_NOT_FOUND);
    fiie_mask_free(m);
    fiie_mask_free(NULL);
}

/* Region-stream cursors: a sequential gather is the raster-order R, G, B
 * of protected pixels, and seeking anywhere lands on the same bytes. */
static void stream_cursor(void **state)
{
    (void)state;
    uint64_t seed = 99;
    const int32_t formats[] = {FIIE_PIXEL_RGB8, FIIE_PIXEL_BGR8, FIIE_PIXEL_RGBA8,
                               FIIE_PIXEL_BGRA8};
    for (int round = 0; round < 24; round++) {
        uint32_t W = 1 + rnd(&seed) % 60, H = 1 + rnd(&seed) % 40;
        int32_t fmt = formats[round % 4];
        size_t ch = (fmt == FIIE_PIXEL_RGBA8 || fmt == FIIE_PIXEL_BGRA8) ? 4 : 3;
        int bgr = fmt == FIIE_PIXEL_BGR8 || fmt == FIIE_PIXEL_BGRA8;
        size_t stride = W * ch + (size_t)(round % 3);
        uint8_t *data = malloc(stride * H);
        assert_non_null(data);
        for (size_t i = 0; i < stride * H; i++)
            data[i] = (uint8_t)rnd(&seed);
        fiie_image img = {data, W, H, stride, fmt, 0};
        fiie_mask *m = NULL;
        assert_int_equal(fiie_mask_new(&m, W, H), FIIE_OK);
        for (int i = 0, n = 1 + (int)(rnd(&seed) % 6); i < n; i++)
            assert_int_equal(fiie_mask_add_region(m, (int32_t)(rnd(&seed) & 1),
                                                  (int32_t)(rnd(&seed) % (W + 20)) - 10,
                                                  (int32_t)(rnd(&seed) % (H + 20)) - 10,
                                                  1 + rnd(&seed) % 40, 1 + rnd(&seed) % 30),
                             FIIE_OK);
        /* Expected stream from the per-pixel rule. */
        uint8_t *expect = malloc((size_t)W * H * 3 + 1);
        assert_non_null(expect);
        size_t np = 0;
        for (uint32_t y = 0; y < H; y++)
            for (uint32_t x = 0; x < W; x++)
                if (fiie_mask_contains(m, x, y)) {
                    const uint8_t *p = data + y * stride + x * ch;
                    expect[3 * np] = p[bgr ? 2 : 0];
                    expect[3 * np + 1] = p[1];
                    expect[3 * np + 2] = p[bgr ? 0 : 2];
                    np++;
                }
        mask_stream rs;
        assert_int_equal(mask_stream_init(&rs, &img, m), FIIE_OK);
        assert_true(rs.pixels == np);
        mask_cursor c;
        assert_int_equal(mask_cursor_init(&c, &rs), FIIE_OK);
        uint8_t *got = malloc(np * 3 + 1);
        assert_non_null(got);
        mask_cursor_gather(&c, got, np);
        assert_memory_equal(got, expect, np * 3);
        for (size_t i = 0; i < np; i += 1 + i / 7) {
            size_t n = np - i < 5 ? np - i : 5;
            mask_cursor_seek(&c, i);
            mask_cursor_gather(&c, got, n);
            assert_memory_equal(got, expect + 3 * i, 3 * n);
        }
        /* Scatter writes exactly the protected R, G, B bytes. */
        uint8_t *before = malloc(stride * H);
        assert_non_null(before);
        memcpy(before, data, stride * H);
        for (size_t i = 0; i < np * 3; i++)
            got[i] = (uint8_t)~expect[i];
        if (np > 0) {
            mask_cursor_seek(&c, 0);
            mask_cursor_scatter(&c, got, np);
        }
        for (uint32_t y = 0; y < H; y++)
            for (size_t b = 0; b < stride; b++) {
                size_t x = b / ch, k = b % ch;
                int changed = b < W * ch && k < 3 && fiie_mask_contains(m, (int64_t)x, y);
                uint8_t v = before[y * stride + b];
                assert_int_equal(data[y * stride + b], changed ? (uint8_t)~v : v);
            }
        mask_cursor_release(&c);
        mask_stream_release(&rs);
        fiie_mask_free(m);
        free(before);
        free(got);
        free(expect);
        free(data);
    }
}

/* Span building does work bounded by the regions crossing each row, not
 * regions x rows: a hostile header of 65535 regions stays cheap. Counted,
 * not timed (mask_rows::evaluated). */
static uint64_t sweep_work(const fiie_mask *m, uint64_t *pixels)
{
    mask_rows it;
    assert_int_equal(mask_rows_init(&it, m), FIIE_OK);
    uint64_t total = 0;
    for (uint32_t y = 0; y < fiie_mask_height(m); y++) {
        const mask_span *s;
        size_t n = mask_row_spans(&it, y, &s);
        for (size_t i = 0; i < n; i++)
            total += s[i].x1 - s[i].x0;
    }
    uint64_t work = it.evaluated;
    mask_rows_release(&it);
    *pixels = total;
    return work;
}

static void span_work_bounded(void **state)
{
    (void)state;
    const uint32_t W = 1500, H = 1200;
    fiie_mask *m;
    uint64_t px;
    /* 65535 full-image rectangles, identical or all different. */
    for (int distinct = 0; distinct < 2; distinct++) {
        assert_int_equal(fiie_mask_new(&m, W, H), FIIE_OK);
        for (uint32_t i = 0; i < FIIE_MAX_REGIONS; i++) {
            int32_t d = distinct ? (int32_t)(i % 1000) : 0;
            assert_int_equal(fiie_mask_add_region(m, FIIE_SHAPE_RECT, -d, -d, W + 2u * (uint32_t)d,
                                                  H + 2u * (uint32_t)d),
                             FIIE_OK);
        }
        assert_true(sweep_work(m, &px) <= H);
        assert_true(px == (uint64_t)W * H);
        fiie_mask_free(m);
    }
    /* 65535 identical full-image ellipses: one evaluation per row. */
    assert_int_equal(fiie_mask_new(&m, W, H), FIIE_OK);
    for (uint32_t i = 0; i < FIIE_MAX_REGIONS; i++)
        assert_int_equal(fiie_mask_add_region(m, FIIE_SHAPE_ELLIPSE, 0, 0, W, H), FIIE_OK);
    assert_true(sweep_work(m, &px) <= H);
    uint64_t one;
    fiie_mask *m1;
    assert_int_equal(fiie_mask_new(&m1, W, H), FIIE_OK);
    assert_int_equal(fiie_mask_add_region(m1, FIIE_SHAPE_ELLIPSE, 0, 0, W, H), FIIE_OK);
    assert_int_equal(fiie_mask_pixel_count(m1, &one), FIIE_OK);
    assert_true(px == one);
    fiie_mask_free(m1);
    fiie_mask_free(m);
    /* 65535 small distinct regions spread over the rows (and some far
     * outside): each is looked at only on the rows it crosses. */
    assert_int_equal(fiie_mask_new(&m, W, H), FIIE_OK);
    uint64_t crossings = 0;
    for (uint32_t i = 0; i < FIIE_MAX_REGIONS; i++) {
        int32_t y = (int32_t)(i % (H + 200)) - 100, x = (int32_t)((i * 7u) % W);
        uint32_t h = 1 + i % 3;
        assert_int_equal(fiie_mask_add_region(m, (int32_t)(i & 1), x, y, 1 + i % 5, h), FIIE_OK);
        for (int64_t r = y; r < (int64_t)y + h; r++)
            crossings += r >= 0 && r < (int64_t)H;
    }
    assert_true(sweep_work(m, &px) <= crossings);
    assert_true(crossings < 4u * FIIE_MAX_REGIONS);
    fiie_mask_free(m);
}

/* Rows visited in any order give the spans of the forward sweep. */
static void spans_any_row_order(void **state)
{
    (void)state;
    fiie_mask *m;
    assert_int_equal(fiie_mask_new(&m, 97, 61), FIIE_OK);
    uint32_t seed = 12345;
    for (int i = 0; i < 40; i++) {
        seed = seed * 1103515245u + 12345u;
        int32_t x = (int32_t)(seed >> 8) % 120 - 10, y = (int32_t)(seed >> 16) % 80 - 10;
        assert_int_equal(fiie_mask_add_region(m, (int32_t)(seed >> 30) & 1, x, y,
                                              1 + (seed >> 4) % 40, 1 + (seed >> 12) % 30),
                         FIIE_OK);
    }
    uint8_t *fwd = calloc(97 * 61, 1);
    assert_non_null(fwd);
    assert_int_equal(fiie_mask_rasterize(m, fwd, 0), FIIE_OK);
    mask_rows it;
    assert_int_equal(mask_rows_init(&it, m), FIIE_OK);
    const uint32_t rows[] = {60, 0, 30, 29, 31, 5, 59, 1, 45, 12};
    for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
        const mask_span *s;
        size_t n = mask_row_spans(&it, rows[k], &s);
        uint8_t line[97] = {0};
        for (size_t i = 0; i < n; i++)
            memset(line + s[i].x0, 255, s[i].x1 - s[i].x0);
        assert_memory_equal(line, fwd + (size_t)rows[k] * 97, 97);
    }
    mask_rows_release(&it);
    free(fwd);
    fiie_mask_free(m);
}

/* The region-row budget (mask_row_budget(): width x height + 2^20): a
 * list exactly at it is walked, one region-row more is refused by every
 * walker before any row is visited; full-width rectangles do not count. */
static void region_row_budget(void **state)
{
    (void)state;
    const uint32_t W = 64, H = 64;
    uint64_t budget = mask_row_budget(W, H);
    assert_int_equal(budget, (uint64_t)W * H + MASK_ROW_BUDGET_EXTRA);
    assert_int_equal(budget % H, 0);
    fiie_mask *m;
    assert_int_equal(fiie_mask_new(&m, W, H), FIIE_OK);
    /* distinct full-height ellipses (and their duplicates, counted once) */
    for (uint32_t i = 0; i < budget / H; i++) {
        assert_int_equal(fiie_mask_add_region(m, FIIE_SHAPE_ELLIPSE, (int32_t)(i % W), 0,
                                              1 + i / W, H),
                         FIIE_OK);
        if (i % 7 == 0)
            assert_int_equal(fiie_mask_add_region(m, FIIE_SHAPE_ELLIPSE, (int32_t)(i % W), 0,
                                                  1 + i / W, H),
                             FIIE_OK);
    }
    /* rows outside the image and full-width rectangles are free */
    assert_int_equal(fiie_mask_add_region(m, FIIE_SHAPE_ELLIPSE, 3, -100, 9, 100), FIIE_OK);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(fiie_mask_add_region(m, FIIE_SHAPE_RECT, -i, i % 50, W + 2u * (uint32_t)i,
                                              5 + (uint32_t)i),
                         FIIE_OK);
    uint64_t px;
    mask_rows it;
    assert_int_equal(mask_rows_init(&it, m), FIIE_OK);
    mask_rows_release(&it);
    assert_true(sweep_work(m, &px) <= budget);
    assert_int_equal(fiie_mask_pixel_count(m, &px), FIIE_OK);
    /* one region-row more */
    assert_int_equal(fiie_mask_add_region(m, FIIE_SHAPE_RECT, 5, H - 1, 3, 9), FIIE_OK);
    assert_int_equal(mask_rows_init(&it, m), FIIE_E_TOO_LARGE);
    assert_int_equal(fiie_mask_pixel_count(m, &px), FIIE_E_TOO_LARGE);
    uint8_t *bits = malloc((size_t)W * H);
    assert_non_null(bits);
    assert_int_equal(fiie_mask_rasterize(m, bits, 0), FIIE_E_TOO_LARGE);
    free(bits);
    fiie_mask_free(m);
}

/* A 128-bit sum overflowed here (issue 14): dx²h² + dy²w² reaches 2^129
 * for huge ellipses. Exact arithmetic says outside; so must both the point
 * test and the spans. */
static void contains_exact_at_extremes(void **state)
{
    (void)state;
    fiie_mask *m;
    assert_int_equal(fiie_mask_new(&m, 4, 4), FIIE_OK);
    assert_int_equal(fiie_mask_add_region(m, FIIE_SHAPE_ELLIPSE, -77253349, -192856838,
                                          4014233488u, 4057698077u),
                     FIIE_OK);
    assert_int_equal(fiie_mask_contains(m, 0, 0), 0);
    check_against_rule(m);
    fiie_mask_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vectors_protected_bytes),
        cmocka_unit_test(random_regions_match_rule),
        cmocka_unit_test(extreme_regions),
        cmocka_unit_test(ellipse_shapes),
        cmocka_unit_test(rasterize_stride),
        cmocka_unit_test(add_box_scaling),
        cmocka_unit_test(limits_and_bad_inputs),
        cmocka_unit_test(stream_cursor),
        cmocka_unit_test(span_work_bounded),
        cmocka_unit_test(spans_any_row_order),
        cmocka_unit_test(region_row_budget),
        cmocka_unit_test(contains_exact_at_extremes),
    };
    return cmocka_run_group_tests_name("mask", tests, NULL, NULL);
}
