/* Unit tests of the `fiie analyze` statistics on synthetic data whose
 * answers are known in closed form or published (Wu et al. 2011). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "stats.h"

#define W 256
#define H 64

static uint8_t img_a[H][W][3], img_b[H][W][3], mask[H][W];

static stats_plane plane(uint8_t (*img)[W][3], unsigned ch, const uint8_t *m)
{
    stats_plane p = {&img[0][0][0], W * 3, W, H, 3, ch, m, W};
    return p;
}

static void entropy_and_chi_square(void **state)
{
    (void)state;
    uint64_t hist[256];
    /* Channel 0: x (each value H times, uniform). Channel 1: two values. */
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            img_a[y][x][0] = (uint8_t)x;
            img_a[y][x][1] = (uint8_t)(x & 1 ? 200 : 10);
            img_a[y][x][2] = 77;
        }
    stats_plane p = plane(img_a, 0, NULL);
    assert_int_equal(stats_histogram(&p, hist), W * H);
    assert_float_equal(stats_entropy(hist), 8.0, 1e-12);
    assert_float_equal(stats_chi_square(hist), 0.0, 1e-12);
    p.channel = 1;
    stats_histogram(&p, hist);
    assert_float_equal(stats_entropy(hist), 1.0, 1e-12);
    /* Two bins of n/2, 254 empty: chi = 2*(n/2-e)^2/e + 254*e, e = n/256. */
    double n = W * H, e = n / 256;
    assert_float_equal(stats_chi_square(hist), 2 * (n / 2 - e) * (n / 2 - e) / e + 254 * e, 1e-6);
    p.channel = 2;
    stats_histogram(&p, hist);
    assert_float_equal(stats_entropy(hist), 0.0, 1e-12);
    /* Masked: only columns 0..15 of row 0 -> 16 distinct values, 4 bits. */
    memset(mask, 0, sizeof mask);
    memset(mask[0], 1, 16);
    p = plane(img_a, 0, &mask[0][0]);
    assert_int_equal(stats_histogram(&p, hist), 16);
    assert_float_equal(stats_entropy(hist), 4.0, 1e-12);
    memset(hist, 0, sizeof hist);
    assert_float_equal(stats_entropy(hist), 0.0, 0);
    assert_true(isnan(stats_chi_square(hist)));
    assert_float_equal(stats_chi_square_critical(255, 0.05), 293.2478, 0.01);
    assert_float_equal(stats_chi_square_critical(255, 0.01), 310.4574, 0.05);
}

static void ideal_entropy(void **state)
{
    (void)state;
    assert_float_equal(stats_entropy_ideal(0), 0.0, 0);
    assert_float_equal(stats_entropy_ideal(1), 0.0, 0);
    assert_float_equal(stats_entropy_ideal(2), 255.0 / 256.0, 1e-12);
    /* n = 3 by enumeration: all distinct, one pair, all equal. */
    double q = 1.0 / 256.0;
    double p_distinct = 1.0 * (255 * q) * (254 * q), p_pair = 3 * (255 * q) * q;
    double h_pair = -(2.0 / 3 * log2(2.0 / 3) + 1.0 / 3 * log2(1.0 / 3));
    assert_float_equal(stats_entropy_ideal(3), p_distinct * log2(3.0) + p_pair * h_pair, 1e-12);
    /* Large n: the Miller-Madow bias 255 / (2 n ln 2) below 8 bits. */
    for (uint64_t n = 100000; n <= 10000000; n *= 10) {
        double mm = 8.0 - 255.0 / (2.0 * (double)n * log(2.0));
        assert_float_equal(stats_entropy_ideal(n), mm, 2e-5 * 100000.0 / (double)n + 1e-9);
        assert_true(stats_entropy_ideal(n) < 8.0);
    }
    /* Monotone in n. */
    double prev = 0;
    for (uint64_t n = 2; n < 5000; n += 97) {
        double h = stats_entropy_ideal(n);
        assert_true(h > prev);
        prev = h;
    }
}

static void correlations(void **state)
{
    (void)state;
    /* Checkerboard: H and V neighbours opposite (-1), diagonal equal (+1). */
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            img_a[y][x][0] = (uint8_t)((x + y) & 1 ? 255 : 0);
    stats_plane p = plane(img_a, 0, NULL);
    uint64_t pairs;
    assert_float_equal(stats_correlation(&p, STATS_DIR_H, &pairs), -1.0, 1e-12);
    assert_int_equal(pairs, (W - 1) * H);
    assert_float_equal(stats_correlation(&p, STATS_DIR_V, &pairs), -1.0, 1e-12);
    assert_int_equal(pairs, W * (H - 1));
    assert_float_equal(stats_correlation(&p, STATS_DIR_D, &pairs), 1.0, 1e-12);
    assert_int_equal(pairs, (W - 1) * (H - 1));
    /* A pseudo-random plane has correlation near 0 (|r| < 4/sqrt(n)). */
    uint32_t s = 12345;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            s = s * 1664525u + 1013904223u;
            img_a[y][x][1] = (uint8_t)(s >> 24);
        }
    p.channel = 1;
    assert_true(fabs(stats_correlation(&p, STATS_DIR_H, &pairs)) < 4.0 / sqrt((double)pairs));
    /* Masked: a 2x2 block has 2 horizontal pairs; constant data -> NAN. */
    memset(mask, 0, sizeof mask);
    mask[3][4] = mask[3][5] = mask[4][4] = mask[4][5] = 1;
    p = plane(img_a, 0, &mask[0][0]);
    assert_float_equal(stats_correlation(&p, STATS_DIR_H, &pairs), -1.0, 1e-12);
    assert_int_equal(pairs, 2);
    assert_true(isnan(stats_correlation(&p, STATS_DIR_D, &pairs))); /* < 2 pairs */
    assert_int_equal(pairs, 1);
    p.channel = 2;
    assert_true(isnan(stats_correlation(&p, STATS_DIR_H, NULL)));
}

static void npcr_uaci(void **state)
{
    (void)state;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            img_a[y][x][0] = 0;
            img_b[y][x][0] = 255;
            img_a[y][x][1] = 0;
            img_b[y][x][1] = (uint8_t)x;
        }
    double npcr, uaci;
    stats_plane a = plane(img_a, 0, NULL), b = plane(img_b, 0, NULL);
    assert_int_equal(stats_npcr_uaci(&a, &b, &npcr, &uaci), W * H);
    assert_float_equal(npcr, 100.0, 1e-12);
    assert_float_equal(uaci, 100.0, 1e-12);
    a.channel = b.channel = 1;
    stats_npcr_uaci(&a, &b, &npcr, &uaci);
    assert_float_equal(npcr, 100.0 * 255 / 256, 1e-9);
    assert_float_equal(uaci, 50.0, 1e-9);
    /* Identical planes. */
    assert_int_equal(stats_npcr_uaci(&a, &a, &npcr, &uaci), W * H);
    assert_float_equal(npcr, 0.0, 0);
    assert_float_equal(uaci, 0.0, 0);
    /* Empty mask. */
    memset(mask, 0, sizeof mask);
    a.mask = &mask[0][0];
    assert_int_equal(stats_npcr_uaci(&a, &b, &npcr, &uaci), 0);
    assert_true(isnan(npcr));
}

static void normal_quantile_and_wu_values(void **state)
{
    (void)state;
    assert_float_equal(stats_norm_quantile(0.975), 1.959963984540054, 1e-12);
    assert_float_equal(stats_norm_quantile(0.95), 1.6448536269514722, 1e-12);
    assert_float_equal(stats_norm_quantile(0.001), -3.090232306167813, 1e-11);
    assert_float_equal(stats_norm_quantile(0.5), 0.0, 1e-15);
    assert_true(isnan(stats_norm_quantile(0.0)));
    assert_true(isnan(stats_norm_quantile(1.0)));
    /* Table of Wu, Noonan and Agaian (2011) for 256x256 images. */
    struct {
        double alpha, npcr, lo, hi;
    } t[] = {
        {0.05, 99.5693, 33.2824, 33.6447},
        {0.01, 99.5527, 33.2255, 33.7016},
        {0.001, 99.5341, 33.1594, 33.7677},
    };
    for (size_t i = 0; i < 3; i++) {
        double n, lo, hi;
        stats_wu_critical(256 * 256, t[i].alpha, &n, &lo, &hi);
        assert_float_equal(n, t[i].npcr, 1e-4);
        assert_float_equal(lo, t[i].lo, 1e-4);
        assert_float_equal(hi, t[i].hi, 1e-4);
    }
    /* Larger samples tighten the bounds. */
    double n1, lo1, hi1, n2, lo2, hi2;
    stats_wu_critical(1000, 0.05, &n1, &lo1, &hi1);
    stats_wu_critical(1000000, 0.05, &n2, &lo2, &hi2);
    assert_true(n2 > n1 && lo2 > lo1 && hi2 < hi1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(entropy_and_chi_square),
        cmocka_unit_test(ideal_entropy),
        cmocka_unit_test(correlations),
        cmocka_unit_test(npcr_uaci),
        cmocka_unit_test(normal_quantile_and_wu_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
