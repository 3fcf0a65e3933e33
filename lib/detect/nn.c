/* Portable CNN kernels and the layer driver (see nn.h). */
#include "common/common.h"
#include "detect/nn.h"

#include <stdint.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

int detect_nn_out_side(const detect_nn_layer *l, int in)
{
    if (in < l->k)
        return 0;
    if (l->kind == DETECT_NN_CONV)
        return in - l->k + 1;
    /* Caffe pooling: ceil((in - k) / s) + 1, windows clipped at the end. */
    return (in - l->k + l->stride - 1) / l->stride + 1;
}

size_t detect_nn_max_activation(const detect_nn_net *net, int h, int w)
{
    size_t best = (size_t)h * (size_t)w * (size_t)net->in_c;
    for (int i = 0; i < net->n; i++) {
        h = detect_nn_out_side(&net->layer[i], h);
        w = detect_nn_out_side(&net->layer[i], w);
        if (h <= 0 || w <= 0)
            return 0;
        size_t s = (size_t)h * (size_t)w * (size_t)net->layer[i].cout;
        if (s > best)
            best = s;
    }
    return best;
}

const float *detect_nn_forward(const detect_nn_kernels *k, const detect_nn_net *net, const float *in, int h, int w,
                        float *buf0, float *buf1, int *oh, int *ow)
{
    return detect_nn_forward_layers(k, net, 0, net->n, in, h, w, buf0, buf1, oh, ow);
}

const float *detect_nn_forward_layers(const detect_nn_kernels *k, const detect_nn_net *net, int first, int last,
                               const float *in, int h, int w, float *buf0, float *buf1, int *oh,
                               int *ow)
{
    const float *cur = in;
    float *bufs[2] = {buf0, buf1};
    for (int i = first; i < last; i++) {
        const detect_nn_layer *l = &net->layer[i];
        float *dst = bufs[i & 1];
        if (l->kind == DETECT_NN_CONV)
            k->conv(l, cur, h, w, dst);
        else
            k->pool(l, cur, h, w, dst);
        h = detect_nn_out_side(l, h);
        w = detect_nn_out_side(l, w);
        cur = dst;
    }
    *oh = h;
    *ow = w;
    return cur;
}

const float *detect_nn_forward_planar(const detect_nn_kernels *k, const detect_nn_net *net, const float *in,
                                      int h, int w, float *buf0, float *buf1, int *oh, int *ow)
{
    const detect_nn_layer *conv = &net->layer[0], *pool = &net->layer[1];
    /* layer 1's output goes where detect_nn_forward_layers() expects it */
    k->conv_pool(conv, pool, in, h, w, buf1);
    h = detect_nn_out_side(pool, detect_nn_out_side(conv, h));
    w = detect_nn_out_side(pool, detect_nn_out_side(conv, w));
    return detect_nn_forward_layers(k, net, 2, net->n, buf1, h, w, buf0, buf1, oh, ow);
}

void detect_nn_maxpool(const detect_nn_layer *l, const float *in, int ih, int iw, float *out)
{
    const int c = l->cin, k = l->k, s = l->stride;
    const int oh = detect_nn_out_side(l, ih), ow = detect_nn_out_side(l, iw);
    for (int oy = 0; oy < oh; oy++) {
        int y0 = oy * s, y1 = y0 + k < ih ? y0 + k : ih;
        for (int ox = 0; ox < ow; ox++) {
            int x0 = ox * s, x1 = x0 + k < iw ? x0 + k : iw;
            float *o = out + ((size_t)oy * ow + ox) * c;
            memcpy(o, in + ((size_t)y0 * iw + x0) * c, (size_t)c * sizeof *o);
            for (int y = y0; y < y1; y++)
                for (int x = (y == y0 ? x0 + 1 : x0); x < x1; x++) {
                    const float *p = in + ((size_t)y * iw + x) * c;
                    for (int ch = 0; ch < c; ch++)
                        o[ch] = p[ch] > o[ch] ? p[ch] : o[ch];
                }
        }
    }
}

/* The rows kx, ci of one kernel row ky are contiguous in the input
 * (k * cin floats from pixel (oy+ky, ox)), so each kernel row is a small
 * matrix-vector product over a contiguous span. */
void detect_nn_conv_portable(const detect_nn_layer *l, const float *in, int ih, int iw, float *out)
{
    const int k = l->k, cin = l->cin, cout = l->cout, cp = l->cout_pad;
    const int oh = ih - k + 1, ow = iw - k + 1, span = k * cin;
    float acc[DETECT_NN_MAX_COUT];
    for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++) {
            memcpy(acc, l->b, (size_t)cp * sizeof acc[0]);
            for (int ky = 0; ky < k; ky++) {
                const float *src = in + ((size_t)(oy + ky) * iw + ox) * cin;
                const float *wk = l->w + (size_t)ky * span * cp;
                for (int j = 0; j < span; j++) {
                    const float a = src[j];
                    const float *wj = wk + (size_t)j * cp;
                    for (int o = 0; o < cp; o++)
                        acc[o] += a * wj[o];
                }
            }
            float *dst = out + ((size_t)oy * ow + ox) * cout;
            if (l->alpha) {
                for (int o = 0; o < cout; o++)
                    dst[o] = acc[o] > 0.0f ? acc[o] : acc[o] * l->alpha[o];
            } else {
                memcpy(dst, acc, (size_t)cout * sizeof acc[0]);
            }
        }
}

/* Every pooled pixel on its own (conv pixels of overlapping windows are
 * computed again; the pyramid's pool does not overlap). */
void detect_nn_conv_pool_portable(const detect_nn_layer *conv, const detect_nn_layer *pool, const float *in,
                                  int ih, int iw, float *out)
{
    const int conv_h = ih - conv->k + 1, conv_w = iw - conv->k + 1;
    const int oh = detect_nn_out_side(pool, conv_h), ow = detect_nn_out_side(pool, conv_w);
    for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
            detect_nn_conv_pool_pixel(conv, pool, in, iw, conv_h, conv_w, oy, ox,
                                      out + ((size_t)oy * ow + ox) * conv->cout, 0);
}

static inline __attribute__((always_inline)) void rgbx(const uint8_t *p, int n, float *d,
                                                      const int bpp, const int r, const int b)
{
    int x = 0;
#ifdef __SSE2__
    /* One 4-byte load per pixel (the 3-byte layouts read one byte of the
     * next pixel, masked; their last pixel is done below so that nothing
     * past the span is read). */
    const __m128i zero = _mm_setzero_si128(), mask = _mm_set1_epi32(0x00ffffff);
    for (const int end = bpp == 3 ? n - 1 : n; x < end; x++, p += bpp) {
        uint32_t u;
        memcpy(&u, p, 4);
        __m128i v = _mm_and_si128(_mm_cvtsi32_si128((int)u), mask);
        v = _mm_unpacklo_epi16(_mm_unpacklo_epi8(v, zero), zero);
        __m128 f = _mm_cvtepi32_ps(v);
        if (r == 2)
            f = _mm_shuffle_ps(f, f, _MM_SHUFFLE(3, 0, 1, 2));
        _mm_storeu_ps(d + 4 * x, f);
    }
#endif
    for (; x < n; x++, p += bpp) {
        d[4 * x] = p[r];
        d[4 * x + 1] = p[1];
        d[4 * x + 2] = p[b];
        d[4 * x + 3] = 0.0f;
    }
}

void detect_nn_rgbx_portable(const uint8_t *p, int n, int bpp, int bgr, float *dst)
{
    /* constant layouts let the compiler specialise each loop */
    if (bpp == 3)
        bgr ? rgbx(p, n, dst, 3, 2, 0) : rgbx(p, n, dst, 3, 0, 2);
    else
        bgr ? rgbx(p, n, dst, 4, 2, 0) : rgbx(p, n, dst, 4, 0, 2);
}

const detect_nn_kernels detect_nn_kernels_portable = {detect_nn_conv_portable, detect_nn_maxpool, "portable",
                                        detect_nn_rgbx_portable, detect_nn_conv_pool_portable};

#ifdef FIIE_HAVE_AVX2
const detect_nn_kernels detect_nn_kernels_avx2 = {detect_nn_conv_avx2, detect_nn_maxpool_avx2, "avx2", detect_nn_rgbx_avx2,
                                                  detect_nn_conv_pool_avx2};
const detect_nn_kernels detect_nn_kernels_avx512 = {detect_nn_conv_avx512, detect_nn_maxpool_avx2, "avx512",
                                                    detect_nn_rgbx_avx2, detect_nn_conv_pool_avx2};

#endif

const detect_nn_kernels *detect_nn_kernels_best(void)
{
#ifdef FIIE_HAVE_AVX2
    if (common_cpu_has(COMMON_CPU_AVX2_FMA | COMMON_CPU_AVX512F))
        return &detect_nn_kernels_avx512;
    if (common_cpu_has(COMMON_CPU_AVX2_FMA))
        return &detect_nn_kernels_avx2;
#endif
    return &detect_nn_kernels_portable;
}
