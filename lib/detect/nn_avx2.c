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
