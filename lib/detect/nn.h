/* Tiny CNN runtime for the MTCNN nets (internal).
 *
 * Activations are HWC float32 (rows = image y, channels innermost, tightly
 * packed). Every layer is a valid (unpadded) stride-1 convolution with an
 * optional fused PReLU, or a max-pool with Caffe's ceil rounding. Fully
 * connected layers are convolutions whose kernel covers the whole input.
 */
#ifndef FIIE_LIB_DETECT_NN_H
#define FIIE_LIB_DETECT_NN_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum { DETECT_NN_CONV = 1, DETECT_NN_POOL = 2 };

/* Largest output channel count of a conv (for stack accumulators). */
#define DETECT_NN_MAX_COUT 256

typedef struct detect_nn_layer {
    int kind;       /* DETECT_NN_CONV or DETECT_NN_POOL */
    int k;          /* kernel side */
    int stride;     /* pool stride (convs are stride 1) */
    int cin, cout;  /* channels in / out (pool: equal) */
    int cout_pad;   /* cout rounded up to a multiple of 8 */
    const float *w; /* [k][k][cin][cout_pad]: ky (image y), kx (image x) */
    const float *b; /* [cout_pad] */
    const float *alpha; /* [cout_pad] PReLU slopes, or NULL */
} detect_nn_layer;

#define DETECT_NN_MAX_LAYERS 12

typedef struct detect_nn_net {
    int n;
    int in_c;
    detect_nn_layer layer[DETECT_NN_MAX_LAYERS];
} detect_nn_net;

/* One conv layer: in is ih x iw x cin, out (ih-k+1) x (iw-k+1) x cout. */
typedef void (*detect_nn_conv_fn)(const detect_nn_layer *l, const float *in, int ih, int iw, float *out);

/* A conv layer, its PReLU and the max-pool after it in one pass: in is
 * ih x iw with the channels as planes within each row (the cin values of
 * pixel (y, x) at in[(y * cin + c) * iw + x]), out the pooled map in HWC
 * (what the next layer reads). Each conv value is summed in the conv
 * kernel's order and pooled in the pool kernel's order, so the output is
 * bit-identical to conv then pool of the same kernel set; the conv's
 * output is never stored. */
typedef void (*detect_nn_conv_pool_fn)(const detect_nn_layer *conv, const detect_nn_layer *pool,
                                       const float *in, int ih, int iw, float *out);

/* n 8-bit pixels of bpp (3 or 4) bytes, R, G, B in that order (bgr 0) or
 * B, G, R (bgr 1), to RGBX floats (4 per pixel, X = 0). Exact, so every
 * kernel set gives the same floats. Reads only the n * bpp bytes. */
typedef void (*detect_nn_rgbx_fn)(const uint8_t *p, int n, int bpp, int bgr, float *dst);

typedef struct detect_nn_kernels {
    detect_nn_conv_fn conv;
    detect_nn_conv_fn pool;
    const char *name;
    detect_nn_rgbx_fn rgbx;
    detect_nn_conv_pool_fn conv_pool;
} detect_nn_kernels;

/* Output size of a layer for an input side, 0 if the input is too small. */
int detect_nn_out_side(const detect_nn_layer *l, int in);

/* Largest activation (floats) any layer of `net` produces for an h x w
 * input (input itself included); 0 if too small or on overflow. */
size_t detect_nn_max_activation(const detect_nn_net *net, int h, int w);

/* Run `net` on in (h x w x in_c) using two scratch buffers of
 * detect_nn_max_activation() floats each. Returns the buffer holding the output
 * (oh x ow x cout of the last layer) and sets *oh, *ow. */
const float *detect_nn_forward(const detect_nn_kernels *k, const detect_nn_net *net, const float *in, int h, int w,
                        float *buf0, float *buf1, int *oh, int *ow);

/* As detect_nn_forward() for layers [first, last) of `net` only. */
const float *detect_nn_forward_layers(const detect_nn_kernels *k, const detect_nn_net *net, int first, int last,
                               const float *in, int h, int w, float *buf0, float *buf1, int *oh,
                               int *ow);

/* As detect_nn_forward() for a net whose first two layers are a conv and
 * a pool (P-Net), on an input with planar rows (see detect_nn_conv_pool_fn):
 * the two run fused. */
const float *detect_nn_forward_planar(const detect_nn_kernels *k, const detect_nn_net *net, const float *in,
                                      int h, int w, float *buf0, float *buf1, int *oh, int *ow);

void detect_nn_maxpool(const detect_nn_layer *l, const float *in, int ih, int iw, float *out);

/* Pooled pixel (oy, ox) of a conv_pool (planar input, conv map conv_h x
 * conv_w) computed on its own: every conv value of the window is the bias
 * plus the products in the order ky, kx, input channel (`fused`: each
 * added by one fmaf, as the FMA kernels round; else product, then sum, as
 * the portable conv), then the PReLU; the window's max is taken in
 * detect_nn_maxpool()'s order (raster, a value replaces the kept one only
 * if greater). The portable conv_pool, and the fast ones at the edges. */
static inline __attribute__((always_inline)) void detect_nn_conv_pool_pixel(
    const detect_nn_layer *conv, const detect_nn_layer *pool, const float *in, int iw, int conv_h,
    int conv_w, int oy, int ox, float *o, const int fused)
{
    const int k = conv->k, cin = conv->cin, cp = conv->cout_pad, c = conv->cout;
    const int y0 = oy * pool->stride, y1 = y0 + pool->k < conv_h ? y0 + pool->k : conv_h;
    const int x0 = ox * pool->stride, x1 = x0 + pool->k < conv_w ? x0 + pool->k : conv_w;
    float acc[DETECT_NN_MAX_COUT];
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            memcpy(acc, conv->b, (size_t)cp * sizeof acc[0]);
            for (int ky = 0; ky < k; ky++)
                for (int kx = 0; kx < k; kx++)
                    for (int ci = 0; ci < cin; ci++) {
                        const float a = in[((size_t)(y + ky) * cin + ci) * iw + x + kx];
                        const float *wj = conv->w + ((size_t)(ky * k + kx) * cin + ci) * cp;
                        for (int i = 0; i < cp; i++)
                            acc[i] = fused ? fmaf(a, wj[i], acc[i]) : acc[i] + a * wj[i];
                    }
            if (conv->alpha)
                for (int i = 0; i < c; i++)
                    acc[i] = acc[i] > 0.0f ? acc[i] : acc[i] * conv->alpha[i];
            if (y == y0 && x == x0)
                memcpy(o, acc, (size_t)c * sizeof *o);
            else
                for (int i = 0; i < c; i++)
                    o[i] = acc[i] > o[i] ? acc[i] : o[i];
        }
}

/* Portable kernels (C11, auto-vectorised). */
void detect_nn_rgbx_portable(const uint8_t *p, int n, int bpp, int bgr, float *dst);
void detect_nn_conv_portable(const detect_nn_layer *l, const float *in, int ih, int iw, float *out);
void detect_nn_conv_pool_portable(const detect_nn_layer *conv, const detect_nn_layer *pool, const float *in,
                                  int ih, int iw, float *out);
extern const detect_nn_kernels detect_nn_kernels_portable;

/* Best kernels for this CPU (AVX2+FMA when available). */
const detect_nn_kernels *detect_nn_kernels_best(void);

#ifdef FIIE_HAVE_AVX2
void detect_nn_conv_avx2(const detect_nn_layer *l, const float *in, int ih, int iw, float *out);
void detect_nn_conv_avx512(const detect_nn_layer *l, const float *in, int ih, int iw, float *out);
/* Bit-identical to detect_nn_maxpool() (same comparisons in the same
 * order); the AVX-512 table pools with it too. */
void detect_nn_maxpool_avx2(const detect_nn_layer *l, const float *in, int ih, int iw, float *out);
void detect_nn_rgbx_avx2(const uint8_t *p, int n, int bpp, int bgr, float *dst);
/* FMA in the conv kernels' order: bit-identical to the AVX2 and the
 * AVX-512 conv + pool, so both tables use it. */
void detect_nn_conv_pool_avx2(const detect_nn_layer *conv, const detect_nn_layer *pool, const float *in,
                              int ih, int iw, float *out);
/* Kernel tables of the AVX2+FMA and AVX-512F builds (common_cpu_has()
 * says whether this CPU runs them). */
extern const detect_nn_kernels detect_nn_kernels_avx2, detect_nn_kernels_avx512;
#endif

#endif /* FIIE_LIB_DETECT_NN_H */
