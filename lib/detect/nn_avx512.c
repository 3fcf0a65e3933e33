/* AVX-512F convolution (compiled with -mavx512f -mfma, called only after
 * detect_nn_kernels_best() checked the CPU): 16 output channels per vector, the
 * input value broadcast from memory into the FMA. The tile loops are fully
 * unrolled (pragmas) so the accumulators stay in the 32 registers; tile
 * sizes (pixels x vectors) were measured on a Sapphire Rapids core. Same loop order as the portable kernel. */
#include "detect/nn.h"

#include <immintrin.h>

#define ALWAYS_INLINE static inline __attribute__((always_inline))

ALWAYS_INLINE __mmask16 lane_mask(int n)
{
    return n >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1u);
}

/* NP output pixels x NV vectors of 16 output channels starting at ob. */
ALWAYS_INLINE void tile(const detect_nn_layer *l, const float *in, int iw, int ow, int p0, int ob,
                        float *out, const int NP, const int NV)
{
    /* pixels p0 .. p0+NP-1 in raster order; they may span rows */
    size_t off[12];
    _Pragma("GCC unroll 32") for (int p = 0; p < NP; p++)
        off[p] = ((size_t)((p0 + p) / ow) * iw + (size_t)((p0 + p) % ow)) * l->cin;
    const int k = l->k, cin = l->cin, cp = l->cout_pad, cout = l->cout;
    const int span = k * cin;
    __m512 acc[12][4];
    __mmask16 lm[4];
    _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++) {
        lm[v] = lane_mask(cp - (ob + 16 * v));
        __m512 b = _mm512_maskz_loadu_ps(lm[v], l->b + ob + 16 * v);
        _Pragma("GCC unroll 32") for (int p = 0; p < NP; p++)
            acc[p][v] = b;
    }
    for (int ky = 0; ky < k; ky++) {
        const float *src = in + (size_t)ky * iw * cin;
        const float *wk = l->w + (size_t)ky * span * cp + ob;
        for (int j = 0; j < span; j++) {
            const float *wj = wk + (size_t)j * cp;
            __m512 w[4];
            _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++)
                w[v] = _mm512_maskz_loadu_ps(lm[v], wj + 16 * v);
            _Pragma("GCC unroll 32") for (int p = 0; p < NP; p++) {
                __m512 a = _mm512_set1_ps(src[off[p] + j]);
                _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++)
                    acc[p][v] = _mm512_fmadd_ps(a, w[v], acc[p][v]);
            }
        }
    }
    const __m512 zero = _mm512_setzero_ps();
    _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++) {
        const int o = ob + 16 * v;
        const __mmask16 sm = lane_mask(cout - o);
        __m512 alpha = l->alpha ? _mm512_maskz_loadu_ps(lm[v], l->alpha + o) : zero;
        _Pragma("GCC unroll 32") for (int p = 0; p < NP; p++) {
            __m512 x = acc[p][v];
            if (l->alpha) {
                __mmask16 pos = _mm512_cmp_ps_mask(x, zero, _CMP_GT_OQ);
                x = _mm512_mask_blend_ps(pos, _mm512_mul_ps(x, alpha), x);
            }
            if (o < cout)
                _mm512_mask_storeu_ps(out + ((size_t)p0 + p) * cout + o, sm, x);
        }
    }
}

#define ROW(NP, NV)                                                        \
    do {                                                                   \
        int p = 0;                                                         \
        for (; p + (NP) <= total; p += (NP))                               \
            tile(l, in, iw, ow, p, ob, out, (NP), (NV));                   \
        for (; p < total; p++)                                             \
            tile(l, in, iw, ow, p, ob, out, 1, (NV));                      \
    } while (0)

void detect_nn_conv_avx512(const detect_nn_layer *l, const float *in, int ih, int iw, float *out)
{
    const int oh = ih - l->k + 1, ow = iw - l->k + 1, cp = l->cout_pad;
    const int total = oh * ow;
    for (int ob = 0; ob < cp; ob += 64) {
            int nv = (cp - ob + 15) / 16;
            if (nv >= 4)
                ROW(5, 4);
            else if (nv == 3)
                ROW(6, 3);
            else if (nv == 2)
                ROW(10, 2);
            else
                ROW(12, 1);
        }
}
