/* Tiny CNN runtime for the MTCNN nets (internal).
 *
 * Activations are HWC float32 (rows = image y, channels innermost, tightly
 * packed). Every layer is a valid (unpadded) stride-1 convolution with an
 * optional fused PReLU, or a max-pool with Caffe's ceil rounding. Fully
 * connected layers are convolutions whose kernel covers the whole input.
 */
#ifndef FIIE_NN_H
#define FIIE_NN_H

#include <stddef.h>
#include <stdint.h>

enum { NN_CONV = 1, NN_POOL = 2 };

/* Largest output channel count of a conv (for stack accumulators). */
#define NN_MAX_COUT 256

typedef struct nn_layer {
    int kind;       /* NN_CONV or NN_POOL */
    int k;          /* kernel side */
    int stride;     /* pool stride (convs are stride 1) */
    int cin, cout;  /* channels in / out (pool: equal) */
    int cout_pad;   /* cout rounded up to a multiple of 8 */
    const float *w; /* [k][k][cin][cout_pad]: ky (image y), kx (image x) */
    const float *b; /* [cout_pad] */
    const float *alpha; /* [cout_pad] PReLU slopes, or NULL */
} nn_layer;

#define NN_MAX_LAYERS 12

typedef struct nn_net {
    int n;
    int in_c;
    nn_layer layer[NN_MAX_LAYERS];
} nn_net;

/* One conv layer: in is ih x iw x cin, out (ih-k+1) x (iw-k+1) x cout. */
typedef void (*nn_conv_fn)(const nn_layer *l, const float *in, int ih, int iw, float *out);

/* n 8-bit pixels of bpp (3 or 4) bytes, R, G, B in that order (bgr 0) or
 * B, G, R (bgr 1), to RGBX floats (4 per pixel, X = 0). Exact, so every
 * kernel set gives the same floats. Reads only the n * bpp bytes. */
typedef void (*nn_rgbx_fn)(const uint8_t *p, int n, int bpp, int bgr, float *dst);

typedef struct nn_kernels {
    nn_conv_fn conv;
    nn_conv_fn pool;
    const char *name;
    nn_rgbx_fn rgbx;
} nn_kernels;

/* Output size of a layer for an input side, 0 if the input is too small. */
int nn_out_side(const nn_layer *l, int in);

/* Largest activation (floats) any layer of `net` produces for an h x w
 * input (input itself included); 0 if too small or on overflow. */
size_t nn_max_activation(const nn_net *net, int h, int w);

/* Run `net` on in (h x w x in_c) using two scratch buffers of
 * nn_max_activation() floats each. Returns the buffer holding the output
 * (oh x ow x cout of the last layer) and sets *oh, *ow. */
const float *nn_forward(const nn_kernels *k, const nn_net *net, const float *in, int h, int w,
                        float *buf0, float *buf1, int *oh, int *ow);

/* As nn_forward() for layers [first, last) of `net` only. */
const float *nn_forward_layers(const nn_kernels *k, const nn_net *net, int first, int last,
                               const float *in, int h, int w, float *buf0, float *buf1, int *oh,
                               int *ow);

void nn_maxpool(const nn_layer *l, const float *in, int ih, int iw, float *out);

/* Portable kernels (C11, auto-vectorised). */
void nn_rgbx_portable(const uint8_t *p, int n, int bpp, int bgr, float *dst);
void nn_conv_portable(const nn_layer *l, const float *in, int ih, int iw, float *out);
extern const nn_kernels nn_kernels_portable;

/* Best kernels for this CPU (AVX2+FMA when available). */
const nn_kernels *nn_kernels_best(void);

#ifdef FIIE_HAVE_AVX2
void nn_conv_avx2(const nn_layer *l, const float *in, int ih, int iw, float *out);
void nn_conv_avx512(const nn_layer *l, const float *in, int ih, int iw, float *out);
void nn_maxpool_avx512(const nn_layer *l, const float *in, int ih, int iw, float *out);
void nn_rgbx_avx2(const uint8_t *p, int n, int bpp, int bgr, float *dst);
/* Whether the CPU runs the AVX2+FMA / AVX-512F kernels. */
int nn_cpu_has_avx2(void);
int nn_cpu_has_avx512(void);
extern const nn_kernels nn_kernels_avx2, nn_kernels_avx512;
#endif

#endif /* FIIE_NN_H */
