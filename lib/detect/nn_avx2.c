/* AVX2 + FMA convolution (compiled with -mavx2 -mfma, called only after
 * detect_nn_kernels_best() checked the CPU). Same loop order as the portable
 * kernel; FMA rounding may differ in the last bits, which never changes
 * the detections beyond float noise. The tile loops are fully unrolled
 * (pragmas) so the accumulators stay in registers; tile sizes measured. */
#include "detect/nn.h"

#include <immintrin.h>
#include <string.h>

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* NP output pixels x NV vectors of 8 output channels starting at ob. */
ALWAYS_INLINE void conv_tile(const detect_nn_layer *l, const float *in, int iw, int ow, int p0, int ob,
                             float *out, const int NP, const int NV)
{
    /* pixels p0 .. p0+NP-1 in raster order; they may span rows */
    size_t off[10];
    _Pragma("GCC unroll 32") for (int p = 0; p < NP; p++)
        off[p] = ((size_t)((p0 + p) / ow) * iw + (size_t)((p0 + p) % ow)) * l->cin;
    const int k = l->k, cin = l->cin, cp = l->cout_pad, cout = l->cout;
    const int span = k * cin;
    __m256 acc[10][4];
    _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++) {
        __m256 b = _mm256_loadu_ps(l->b + ob + 8 * v);
        _Pragma("GCC unroll 32") for (int p = 0; p < NP; p++)
            acc[p][v] = b;
    }
    for (int ky = 0; ky < k; ky++) {
        const float *src = in + (size_t)ky * iw * cin;
        const float *wk = l->w + (size_t)ky * span * cp + ob;
        for (int j = 0; j < span; j++) {
            const float *wj = wk + (size_t)j * cp;
            __m256 w[4];
            _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++)
                w[v] = _mm256_loadu_ps(wj + 8 * v);
            _Pragma("GCC unroll 32") for (int p = 0; p < NP; p++) {
                __m256 a = _mm256_broadcast_ss(src + off[p] + j);
                _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++)
                    acc[p][v] = _mm256_fmadd_ps(a, w[v], acc[p][v]);
            }
        }
    }
    const __m256 zero = _mm256_setzero_ps();
    _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++) {
        const int o = ob + 8 * v;
        __m256 alpha = l->alpha ? _mm256_loadu_ps(l->alpha + o) : zero;
        _Pragma("GCC unroll 32") for (int p = 0; p < NP; p++) {
            __m256 x = acc[p][v];
            if (l->alpha) {
                __m256 pos = _mm256_cmp_ps(x, zero, _CMP_GT_OQ);
                x = _mm256_blendv_ps(_mm256_mul_ps(x, alpha), x, pos);
            }
            float *dst = out + ((size_t)p0 + p) * cout + o;
            if (o + 8 <= cout) {
                _mm256_storeu_ps(dst, x);
            } else if (o < cout) {
                float tmp[8];
                _mm256_storeu_ps(tmp, x);
                memcpy(dst, tmp, (size_t)(cout - o) * sizeof tmp[0]);
            }
        }
    }
}

#define ROW(NP, NV)                                                                  \
    do {                                                                             \
        int p = 0;                                                                   \
        for (; p + (NP) <= total; p += (NP))                                         \
            conv_tile(l, in, iw, ow, p, ob, out, (NP), (NV));                        \
        for (; p < total; p++)                                                       \
            conv_tile(l, in, iw, ow, p, ob, out, 1, (NV));                           \
    } while (0)

void detect_nn_conv_avx2(const detect_nn_layer *l, const float *in, int ih, int iw, float *out)
{
    const int oh = ih - l->k + 1, ow = iw - l->k + 1, cp = l->cout_pad;
    const int total = oh * ow;
    for (int ob = 0; ob < cp; ob += 32) {
            int nv = (cp - ob) / 8;
            if (nv >= 4)
                ROW(3, 4);
            else if (nv == 3)
                ROW(4, 3);
            else if (nv == 2)
                ROW(6, 2);
            else
                ROW(10, 1);
        }
}

/* ---- conv + PReLU + max-pool in one pass (P-Net's first two layers) ------ */

/* Conv row y, columns x0 .. x0+7 (one per lane), channels cb .. cb+NC-1
 * (one vector each), with the PReLU: all eight lanes do useful work
 * whatever the channel count. */
ALWAYS_INLINE void conv_strip(const detect_nn_layer *l, const float *in, int iw, int y, int x0, int cb,
                              __m256 *acc, const int NC)
{
    const int k = l->k, cin = l->cin, cp = l->cout_pad;
    _Pragma("GCC unroll 16") for (int c = 0; c < NC; c++)
        acc[c] = _mm256_broadcast_ss(l->b + cb + c);
    for (int ky = 0; ky < k; ky++)
        for (int kx = 0; kx < k; kx++)
            for (int ci = 0; ci < cin; ci++) {
                const __m256 a = _mm256_loadu_ps(in + ((size_t)(y + ky) * cin + ci) * iw + x0 + kx);
                const float *wj = l->w + ((size_t)(ky * k + kx) * cin + ci) * cp + cb;
                _Pragma("GCC unroll 16") for (int c = 0; c < NC; c++)
                    acc[c] = _mm256_fmadd_ps(a, _mm256_broadcast_ss(wj + c), acc[c]);
            }
    if (l->alpha) {
        const __m256 zero = _mm256_setzero_ps();
        _Pragma("GCC unroll 16") for (int c = 0; c < NC; c++) {
            const __m256 pos = _mm256_cmp_ps(acc[c], zero, _CMP_GT_OQ);
            const __m256 neg = _mm256_mul_ps(acc[c], _mm256_broadcast_ss(l->alpha + cb + c));
            acc[c] = _mm256_blendv_ps(neg, acc[c], pos);
        }
    }
}

/* Pooled row oy, pooled columns x0/2 .. x0/2+3 (x0 even), channels cb ..
 * cb+NC-1, of a 2x2 stride-2 pool: conv rows 2oy and (if `two`) 2oy+1.
 * Lane 2j ends with the window's max in the pool kernel's order, as
 * _mm256_max_ps(p, o) is p > o ? p : o. */
ALWAYS_INLINE void pool_strip(const detect_nn_layer *conv, const float *in, int iw, int oy, int x0, int cb,
                              int two, int ow, float *out, const int NC)
{
    __m256 m[12], r[12];
    conv_strip(conv, in, iw, 2 * oy, x0, cb, m, NC);
    _Pragma("GCC unroll 16") for (int c = 0; c < NC; c++) /* (x, y), then (x+1, y) */
        m[c] = _mm256_max_ps(_mm256_permute_ps(m[c], 0xB1), m[c]);
    if (two) {
        conv_strip(conv, in, iw, 2 * oy + 1, x0, cb, r, NC);
        _Pragma("GCC unroll 16") for (int c = 0; c < NC; c++) { /* (x, y+1), (x+1, y+1) */
            m[c] = _mm256_max_ps(r[c], m[c]);
            m[c] = _mm256_max_ps(_mm256_permute_ps(r[c], 0xB1), m[c]);
        }
    }
    float t[12][8];
    _Pragma("GCC unroll 16") for (int c = 0; c < NC; c++)
        _mm256_storeu_ps(t[c], m[c]);
    const int cout = conv->cout;
    for (int j = 0; j < 4; j++) {
        float *o = out + ((size_t)oy * ow + x0 / 2 + j) * cout + cb;
        _Pragma("GCC unroll 16") for (int c = 0; c < NC; c++)
            o[c] = t[c][2 * j];
    }
}

#define POOL_GROUP 12 /* channels per pass: 12 accumulators, 2 more registers */

static void pool_strip_group(const detect_nn_layer *conv, const float *in, int iw, int oy, int x0, int cb,
                             int two, int ow, float *out)
{
    switch (conv->cout - cb < POOL_GROUP ? conv->cout - cb : POOL_GROUP) {
#define CASE(n)                                                                                    \
    case n:                                                                                        \
        pool_strip(conv, in, iw, oy, x0, cb, two, ow, out, n);                                     \
        break;
        CASE(1) CASE(2) CASE(3) CASE(4) CASE(5) CASE(6) CASE(7) CASE(8) CASE(9) CASE(10) CASE(11) CASE(12)
#undef CASE
    default:
        break;
    }
}

/* Eight conv columns per step (pixels in lanes, so P-Net's 10 channels
 * waste no lane); the odd last column, narrow maps and pools other than
 * 2x2 stride 2 go through the scalar copy. */
void detect_nn_conv_pool_avx2(const detect_nn_layer *conv, const detect_nn_layer *pool, const float *in,
                              int ih, int iw, float *out)
{
    const int conv_h = ih - conv->k + 1, conv_w = iw - conv->k + 1;
    const int oh = detect_nn_out_side(pool, conv_h), ow = detect_nn_out_side(pool, conv_w);
    const int c = conv->cout;
    int first_scalar = 0; /* pooled columns from here on: scalar */
    if (pool->k == 2 && pool->stride == 2 && conv_w >= 8)
        first_scalar = conv_w / 2;
    const int last_x0 = (conv_w - 8) & ~1; /* even, so lanes pair as the windows */
    for (int oy = 0; oy < oh; oy++) {
        if (first_scalar > 0) {
            const int two = 2 * oy + 1 < conv_h;
            for (int x0 = 0;; x0 += 8) {
                if (x0 > last_x0)
                    x0 = last_x0; /* the last strip overlaps: same values written again */
                for (int cb = 0; cb < c; cb += POOL_GROUP)
                    pool_strip_group(conv, in, iw, oy, x0, cb, two, ow, out);
                if (x0 == last_x0)
                    break;
            }
        }
        for (int ox = first_scalar; ox < ow; ox++)
            detect_nn_conv_pool_pixel(conv, pool, in, iw, conv_h, conv_w, oy, ox,
                                      out + ((size_t)oy * ow + ox) * c, 1);
    }
}

/* 8-bit pixels to RGBX floats, 4 pixels per step: a byte shuffle puts
 * each pixel in 4 bytes (R, G, B, 0), two zero-extensions and two exact
 * conversions. The tail goes through the portable code, which never
 * reads past the span. */
void detect_nn_rgbx_avx2(const uint8_t *p, int n, int bpp, int bgr, float *dst)
{
    const __m128i shuf3 = bgr ? _mm_setr_epi8(2, 1, 0, -1, 5, 4, 3, -1, 8, 7, 6, -1, 11, 10, 9, -1)
                              : _mm_setr_epi8(0, 1, 2, -1, 3, 4, 5, -1, 6, 7, 8, -1, 9, 10, 11, -1);
    const __m128i shuf4 = bgr ? _mm_setr_epi8(2, 1, 0, -1, 6, 5, 4, -1, 10, 9, 8, -1, 14, 13, 12, -1)
                              : _mm_setr_epi8(0, 1, 2, -1, 4, 5, 6, -1, 8, 9, 10, -1, 12, 13, 14, -1);
    const __m128i shuf = bpp == 3 ? shuf3 : shuf4;
    int x = 0;
    /* 16 bytes are loaded per 4 pixels: stop while they are in the span */
    for (; (size_t)(x + 4) * (size_t)bpp + (size_t)(16 - 4 * bpp) <= (size_t)n * (size_t)bpp;
         x += 4) {
        __m128i v = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + (size_t)x * bpp)), shuf);
        __m256 lo = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v));
        __m256 hi = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_unpackhi_epi64(v, v)));
        _mm256_storeu_ps(dst + 4 * (size_t)x, lo);
        _mm256_storeu_ps(dst + 4 * (size_t)x + 8, hi);
    }
    if (x < n)
        detect_nn_rgbx_portable(p + (size_t)x * bpp, n - x, bpp, bgr, dst + 4 * (size_t)x);
}

/* ---- max-pool ------------------------------------------------------------- */

/* Window of K x K (ny x nx at the far edges) pixels of c channels, in
 * detect_nn_maxpool()'s order: the first pixel, then the others in raster
 * order, each replacing the kept value only if greater. _mm256_max_ps(p,
 * o) is p > o ? p : o (NaN and signed zeros included), so every bit is
 * the portable kernel's. */
ALWAYS_INLINE void pool_window(const float *base, int iw, int c, int ny, int nx, float *o)
{
    const size_t row = (size_t)iw * c;
    int ch = 0;
    for (; ch + 8 <= c; ch += 8) {
        __m256 m = _mm256_loadu_ps(base + ch);
        for (int y = 0; y < ny; y++)
            for (int x = y == 0; x < nx; x++)
                m = _mm256_max_ps(_mm256_loadu_ps(base + y * row + (size_t)x * c + ch), m);
        _mm256_storeu_ps(o + ch, m);
    }
    for (; ch + 4 <= c; ch += 4) {
        __m128 m = _mm_loadu_ps(base + ch);
        for (int y = 0; y < ny; y++)
            for (int x = y == 0; x < nx; x++)
                m = _mm_max_ps(_mm_loadu_ps(base + y * row + (size_t)x * c + ch), m);
        _mm_storeu_ps(o + ch, m);
    }
    for (; ch < c; ch++) {
        __m128 m = _mm_load_ss(base + ch);
        for (int y = 0; y < ny; y++)
            for (int x = y == 0; x < nx; x++)
                m = _mm_max_ss(_mm_load_ss(base + y * row + (size_t)x * c + ch), m);
        _mm_store_ss(o + ch, m);
    }
}

ALWAYS_INLINE void pool_k(const detect_nn_layer *l, const float *in, int ih, int iw, float *out, const int K)
{
    const int c = l->cin, s = l->stride;
    const int oh = detect_nn_out_side(l, ih), ow = detect_nn_out_side(l, iw);
    for (int oy = 0; oy < oh; oy++) {
        const int y0 = oy * s, ny = y0 + K <= ih ? K : ih - y0;
        for (int ox = 0; ox < ow; ox++) {
            const int x0 = ox * s, nx = x0 + K <= iw ? K : iw - x0;
            const float *base = in + ((size_t)y0 * iw + x0) * c;
            float *o = out + ((size_t)oy * ow + ox) * c;
            if (ny == K && nx == K) /* constant trip counts: unrolled */
                pool_window(base, iw, c, K, K, o);
            else
                pool_window(base, iw, c, ny, nx, o);
        }
    }
}

/* R-Net's and O-Net's pools (3x3 stride 2, 2x2 stride 2); other windows
 * go through the portable kernel. */
void detect_nn_maxpool_avx2(const detect_nn_layer *l, const float *in, int ih, int iw, float *out)
{
    if (l->k == 3)
        pool_k(l, in, ih, iw, out, 3);
    else if (l->k == 2)
        pool_k(l, in, ih, iw, out, 2);
    else
        detect_nn_maxpool(l, in, ih, iw, out);
}
