/* Tests of the internal CNN kernels (detect/nn.h), the resampling
 * coefficients (detect/resample.h) and NMS (detect/detect.h) on small
 * hand-computed cases. The portable kernels are the reference here;
 * tests/checkasm.c checks every SIMD kernel against them. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "detect/detect.h"
#include "detect/nn.h"
#include "detect/resample.h"

static void conv_hand_computed(void **state)
{
    (void)state;
    /* 3x3 input, one channel; 2x2 kernel, two outputs (second with PReLU) */
    const float in[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    /* w[ky][kx][ci][o_pad=8] */
    float w[2 * 2 * 1 * 8] = {0}, b[8] = {0}, alpha[8] = {0};
    const float k0[4] = {1, 0, 0, -1}, k1[4] = {-1, -1, -1, -1};
    for (int t = 0; t < 4; t++) {
        w[t * 8 + 0] = k0[t];
        w[t * 8 + 1] = k1[t];
    }
    b[0] = 0.5f;
    b[1] = 1.0f;
    alpha[0] = 0.25f;
    alpha[1] = 0.25f;
    detect_nn_layer l = {DETECT_NN_CONV, 2, 1, 1, 2, 8, w, b, alpha};
    float out[2 * 2 * 2];
    /* o0 = 0.5 + a - d = -3.5 -> PReLU * 0.25; o1 = 1 - (a+b+c+d) */
    const float expect[8] = {-3.5f * 0.25f, (1 - 12) * 0.25f, -3.5f * 0.25f, (1 - 16) * 0.25f,
                             -3.5f * 0.25f, (1 - 24) * 0.25f, -3.5f * 0.25f, (1 - 28) * 0.25f};
    detect_nn_conv_portable(&l, in, 3, 3, out);
    for (int i = 0; i < 8; i++)
        assert_true(fabsf(out[i] - expect[i]) < 1e-6f);
    /* without PReLU the negative values pass */
    l.alpha = NULL;
    detect_nn_conv_portable(&l, in, 3, 3, out);
    assert_true(fabsf(out[0] + 3.5f) < 1e-6f && fabsf(out[1] + 11.0f) < 1e-6f);
    alpha[0] = 0; /* positive values are never scaled */
    b[0] = 100;
    l.alpha = alpha;
    detect_nn_conv_portable(&l, in, 3, 3, out);
    assert_true(fabsf(out[0] - 96.0f) < 1e-5f);
}

static void maxpool_ceil(void **state)
{
    (void)state;
    /* 6x6 -> k3 s2: Caffe gives ceil(3/2)+1 = 3 (last window clipped);
     * floor rounding would give 2 */
    detect_nn_layer l = {DETECT_NN_POOL, 3, 2, 1, 1, 1, NULL, NULL, NULL};
    assert_int_equal(detect_nn_out_side(&l, 6), 3);
    assert_int_equal(detect_nn_out_side(&l, 5), 2);
    assert_int_equal(detect_nn_out_side(&l, 2), 0);
    detect_nn_layer l2 = {DETECT_NN_POOL, 2, 2, 1, 1, 1, NULL, NULL, NULL};
    assert_int_equal(detect_nn_out_side(&l2, 5), 3);
    float in[36], out[9];
    for (int i = 0; i < 36; i++)
        in[i] = (float)((i * 7) % 36) - 10.0f; /* a permutation */
    detect_nn_maxpool(&l, in, 6, 6, out);
    for (int oy = 0; oy < 3; oy++)
        for (int ox = 0; ox < 3; ox++) {
            float m = -1e9f;
            for (int y = 2 * oy; y < 2 * oy + 3 && y < 6; y++)
                for (int x = 2 * ox; x < 2 * ox + 3 && x < 6; x++)
                    m = fmaxf(m, in[y * 6 + x]);
            assert_true(out[oy * 3 + ox] == m);
        }
    /* channels are pooled independently */
    float in2[2 * 2 * 2] = {1, -1, 3, -5, 2, 8, 0, 0}, out2[2];
    detect_nn_layer l3 = {DETECT_NN_POOL, 2, 2, 2, 2, 2, NULL, NULL, NULL};
    detect_nn_maxpool(&l3, in2, 2, 2, out2);
    assert_true(out2[0] == 3 && out2[1] == 8);
}

/* Pixel conversion: exactly R, G, B, 0 for each layout and length (the
 * tails of the 4-byte loads included); the input buffers are exactly
 * n * bpp bytes, so ASan sees any read past the span. */
static void rgbx_portable(void **state)
{
    (void)state;
    for (int n = 0; n <= 23; n++)
        for (int bpp = 3; bpp <= 4; bpp++)
            for (int bgr = 0; bgr <= 1; bgr++) {
                uint8_t *px = malloc(n > 0 ? (size_t)n * bpp : 1);
                float *out = malloc(((size_t)n * 4 + 1) * sizeof *out);
                assert_non_null(px);
                assert_non_null(out);
                for (int i = 0; i < n * bpp; i++)
                    px[i] = (uint8_t)(i * 37 + 11 + bpp + bgr);
                out[4 * n] = -1.0f;
                detect_nn_rgbx_portable(px, n, bpp, bgr, out);
                for (int x = 0; x < n; x++) {
                    const uint8_t *p = px + x * bpp;
                    assert_true(out[4 * x] == (float)p[bgr ? 2 : 0]);
                    assert_true(out[4 * x + 1] == (float)p[1]);
                    assert_true(out[4 * x + 2] == (float)p[bgr ? 0 : 2]);
                    assert_true(out[4 * x + 3] == 0.0f);
                }
                assert_true(out[4 * n] == -1.0f); /* nothing written past */
                free(px);
                free(out);
            }
}

static void resample_coefficients(void **state)
{
    (void)state;
    int idx[64], ntap[8];
    float wt[64];
    detect_resample_axis a = {0, 0, idx, wt, ntap};
    /* 4 -> 2: area weights, 0.5 each over two samples */
    assert_true(detect_resample_taps(4, 2) * 2 <= 64);
    detect_resample_axis_compute(&a, 4, 2, 1);
    assert_int_equal(ntap[0], 2);
    assert_int_equal(idx[0], 0);
    assert_int_equal(idx[1], 1);
    assert_true(fabsf(wt[0] - 0.5f) < 1e-6f && fabsf(wt[1] - 0.5f) < 1e-6f);
    assert_int_equal(idx[a.K], 2);
    /* 3 -> 2: the middle sample is shared, weights 2/3 and 1/3 */
    detect_resample_axis_compute(&a, 3, 2, 0);
    assert_int_equal(ntap[0], 2);
    assert_true(fabsf(wt[0] - 2.0f / 3) < 1e-6f && fabsf(wt[1] - 1.0f / 3) < 1e-6f);
    assert_int_equal(idx[a.K], 1);
    /* 2 -> 4: half-pixel bilinear, clamped at the edges */
    detect_resample_axis_compute(&a, 2, 4, 1);
    assert_int_equal(ntap[0], 1);
    assert_int_equal(idx[0], 0);
    assert_int_equal(ntap[1], 2);
    assert_true(fabsf(wt[a.K] - 0.75f) < 1e-6f && fabsf(wt[a.K + 1] - 0.25f) < 1e-6f);
    assert_int_equal(ntap[3], 1);
    assert_int_equal(idx[3 * a.K], 1);
    /* weights of every output sum to 1 */
    int idx2[2000], ntap2[20];
    float wt2[2000];
    detect_resample_axis b = {0, 0, idx2, wt2, ntap2};
    assert_true(detect_resample_taps(500, 17) * 17 <= 2000);
    detect_resample_axis_compute(&b, 500, 17, 0);
    for (int y = 0; y < 17; y++) {
        for (int t = 1; t < ntap2[y]; t++) /* consecutive taps */
            assert_int_equal(idx2[y * b.K + t], idx2[y * b.K] + t);
        float s = 0;
        for (int t = 0; t < ntap2[y]; t++)
            s += wt2[y * b.K + t];
        assert_true(fabsf(s - 1.0f) < 1e-4f);
    }
}

static void nms_order_and_ties(void **state)
{
    (void)state;
    detect_box b[5] = {0};
    /* two overlapping boxes, a separate one, and a tie in score */
    double boxes[5][5] = {{0, 0, 9, 9, 0.8}, {1, 1, 10, 10, 0.9}, {50, 50, 59, 59, 0.8},
                          {100, 0, 109, 9, 0.8}, {0, 0, 9, 9, 0.1}};
    for (int i = 0; i < 5; i++) {
        b[i].x1 = boxes[i][0];
        b[i].y1 = boxes[i][1];
        b[i].x2 = boxes[i][2];
        b[i].y2 = boxes[i][3];
        b[i].score = boxes[i][4];
    }
    size_t order[5], pick[10];
    size_t n = detect_nms(b, 5, 0.5, 0, order, pick);
    /* best first; among equal scores the later box first (stable sort,
     * taken from the end); boxes 0 and 4 overlap box 1 with IoU > 0.5 */
    assert_int_equal(n, 3);
    assert_int_equal(pick[0], 1);
    assert_int_equal(pick[1], 3);
    assert_int_equal(pick[2], 2);
    /* "Min": a box inside another is suppressed even when IoU is small */
    detect_box c[2] = {{0, 0, 99, 99, 0.9, {0}, {0}, 0}, {10, 10, 19, 19, 0.5, {0}, {0}, 0}};
    assert_int_equal(detect_nms(c, 2, 0.7, 0, order, pick), 2);
    assert_int_equal(detect_nms(c, 2, 0.7, 1, order, pick), 1);
    assert_int_equal(detect_nms(c, 0, 0.7, 1, order, pick), 0);
}

/* The grid NMS gives the picks of the quadratic one, in the same order,
 * on many boxes: P-Net-like grids of equal boxes with score ties, mixed
 * sizes, both overlap rules; and falls back for boxes it cannot grid. */
static void nms_fast_matches_plain(void **state)
{
    (void)state;
    enum { N = 6000 };
    detect_box *b = calloc(N, sizeof *b);
    size_t *o1 = malloc(N * sizeof *o1), *p1 = malloc(2 * N * sizeof *p1);
    size_t *o2 = malloc(N * sizeof *o2), *p2 = malloc(2 * N * sizeof *p2);
    uint64_t r = 88172645463325252u;
    for (int round = 0; round < 6; round++) {
        for (int i = 0; i < N; i++) {
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            double side = round < 2 ? 12 : 4 + (double)(r % 200);
            /* a stride-2 grid of cells, as P-Net's map, or scattered boxes */
            double x = round < 2 ? 2.0 * (i % 100) : (double)((r >> 8) % 1500);
            double y = round < 2 ? 2.0 * (i / 100) : (double)((r >> 24) % 1000);
            b[i].x1 = trunc(x);
            b[i].y1 = trunc(y);
            b[i].x2 = trunc(x + side);
            b[i].y2 = trunc(y + side);
            b[i].score = (double)((r >> 40) % 50) / 50.0; /* many ties */
        }
        if (round == 5)
            b[N / 2].x2 = NAN; /* not griddable: the plain loop runs */
        double thr = round % 2 ? 0.7 : 0.5;
        int use_min = round == 3;
        size_t n1 = detect_nms(b, N, thr, use_min, o1, p1), n2 = 0;
        assert_int_equal(detect_nms_fast(b, N, thr, use_min, o2, p2, &n2), 0);
        assert_int_equal(n1, n2);
        assert_true(n1 > 10 && n1 < N);
        assert_memory_equal(p1, p2, n1 * sizeof *p1);
    }
    free(b);
    free(o1);
    free(p1);
    free(o2);
    free(p2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(conv_hand_computed),
        cmocka_unit_test(maxpool_ceil),
        cmocka_unit_test(rgbx_portable),
        cmocka_unit_test(resample_coefficients),
        cmocka_unit_test(nms_order_and_ties),
        cmocka_unit_test(nms_fast_matches_plain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
