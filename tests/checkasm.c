/* checkasm (after dav1d's tests/checkasm): every SIMD kernel of the library
 * against its portable counterpart, on random inputs and random sizes.
 *
 *   nn.conv   detect_nn_kernels_*.conv: random k, odd and even input and
 *             output channel counts (1 .. DETECT_NN_MAX_COUT, so every
 *             vector tail), pixel counts that end inside a tile; within
 *             1e-4 x (1 + |portable|), the promise of the kernels (FMA
 *             rounds once where the portable code rounds twice).
 *   nn.pool   .pool: random window, stride, channels, values with ties,
 *             signed zeros and NaNs; bit-exact.
 *   nn.conv_pool  .conv_pool (conv + PReLU + max-pool fused, planar input):
 *             random layers and pools (mostly P-Net's 2x2 stride 2), maps
 *             narrower and wider than a vector, odd and even; within the
 *             conv tolerance of the portable conv_pool and bit-identical
 *             to the same table's conv then pool (the portable one too).
 *   nn.rgbx   .rgbx: every length 0 .. 40 and random longer ones, both
 *             pixel sizes and orders; bit-exact.
 *   lm.run    cipher_lm_impl_*.run: one step on carry corner cases against
 *             cipher_lm_f() (the portable kernel too), then random states,
 *             chain counts and step counts against the portable kernel;
 *             bit-exact (the cipher must not depend on the CPU).
 *   lm.xor    cipher_lm_xor_impl() with each kernel set: random keys,
 *             lengths around 8-byte groups, blocks and groups of blocks,
 *             1 and 2 threads; bit-exact.
 *
 * Inputs are allocated to their exact size (ASan sees any over-read) and
 * outputs are followed by a canary (any over-write fails). A variant this
 * build lacks or this CPU cannot run is reported "skipped", never "ok".
 *
 * usage: checkasm [SEED]       random seed by default, printed to repeat a run
 *        checkasm --self-test  each check must fail on a broken kernel and
 *                              pass on the portable one (runs every check's
 *                              code on any CPU) */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cipher/logistic.h"
#include "common/common.h"
#include "detect/nn.h"
#include "kernel_variants.h"

#define CONV_TOLERANCE 1e-4 /* relative to 1 + |portable output| */
#define CANARY_FLOATS 8 /* after float outputs */
#define CANARY_BYTES 32 /* after byte outputs */
#define CANARY_BYTE 0xA5

/* ---- harness ----------------------------------------------------------- */

typedef struct harness {
    uint64_t rng;
    int ok, skipped, failed;
    char why[256]; /* first mismatch of the check that ran last */
} harness;

/* splitmix64: reproducible from the printed seed. */
static uint64_t rnd(harness *h)
{
    uint64_t z = (h->rng += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static int rnd_below(harness *h, int n)
{
    return (int)(rnd(h) % (uint64_t)n);
}

/* Uniform in [-1, 1), a multiple of 2^-15 (never NaN or infinite). */
static float rnd_float(harness *h)
{
    return (float)((int)(rnd(h) & 0xffff) - 32768) / 32768.0f;
}

static void rnd_bytes(harness *h, void *p, size_t n)
{
    uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)rnd(h);
}

static int mismatch(harness *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->why, sizeof h->why, fmt, ap);
    va_end(ap);
    return 0;
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "checkasm: out of memory (%zu bytes)\n", n);
        exit(2);
    }
    return p;
}

static void row(const char *kernel, const char *variant, const char *status, const char *detail)
{
    printf("  %-12s %-12s %-8s %s\n", kernel, variant, status, detail ? detail : "");
}

static void report(harness *h, const char *kernel, const char *variant, int passed,
                   const char *detail)
{
    if (passed) {
        h->ok++;
        row(kernel, variant, "ok", detail);
    } else {
        h->failed++;
        row(kernel, variant, "FAILED", h->why);
    }
}

/* Built and runnable here, or reported skipped (with the reason). */
static int runs_here(harness *h, const char *kernel, const kernel_variant *v)
{
    if (kernel_variant_runs(v))
        return 1;
    char why[96];
    snprintf(why, sizeof why, v->table ? "(CPU lacks %s)" : "(not in this build)", v->cpu_name);
    h->skipped++;
    row(kernel, v->name, "skipped", why);
    return 0;
}

static void canary_fill(void *p, size_t n)
{
    memset(p, CANARY_BYTE, n);
}

static int canary_intact(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != CANARY_BYTE)
            return 0;
    return 1;
}

/* The portable kernel's output and the checked kernel's, which is followed
 * by a canary. */
typedef struct outputs {
    float *want, *got;
    size_t n;
} outputs;

static outputs outputs_new(size_t n)
{
    outputs o = {xmalloc(n * sizeof(float)), xmalloc((n + CANARY_FLOATS) * sizeof(float)), n};
    canary_fill(o.got, (n + CANARY_FLOATS) * sizeof(float));
    return o;
}

static int outputs_canary_intact(const outputs *o)
{
    return canary_intact(o->got + o->n, CANARY_FLOATS * sizeof(float));
}

static void outputs_free(outputs *o)
{
    free(o->want);
    free(o->got);
}

/* ---- nn.conv -------------------------------------------------------------- */

/* Output channel counts around every vector width (8, 16) and tile of
 * vectors (32, 64 channels); random counts follow. */
static const int conv_couts[] = {1,  2,  3,  5,  7,  8,  9,  10, 15,  16,  17,  24,  28,  31,
                                 32, 33, 40, 47, 48, 49, 63, 64, 65,  95,  96,  97,  127, 128,
                                 129, 191, 192, 193, 255, 256};
#define CONV_CASES 300
#define CONV_MAX_MACS 2000000
/* Largest k * k * cin: the model's widest layer (ONet's fully connected
 * 3x3x128). Longer sums drift further apart under FMA. */
#define CONV_MAX_SPAN 1152

static int check_conv(harness *h, detect_nn_conv_fn ref, detect_nn_conv_fn conv, double *max_err)
{
    *max_err = 0;
    const int nfixed = (int)(sizeof conv_couts / sizeof conv_couts[0]);
    for (int c = 0; c < CONV_CASES; c++) {
        const int k = 1 + rnd_below(h, 5);
        int cin = 1 + rnd_below(h, c % 5 == 0 ? 128 : 33);
        if (k * k * cin > CONV_MAX_SPAN)
            cin = CONV_MAX_SPAN / (k * k);
        const int cout = c < nfixed ? conv_couts[c] : 1 + rnd_below(h, DETECT_NN_MAX_COUT);
        const int cp = (cout + 7) / 8 * 8;
        int oh = 1 + rnd_below(h, 17), ow = 1 + rnd_below(h, 17);
        while ((double)oh * ow * k * k * cin * cp > CONV_MAX_MACS) {
            if (oh > 1 || ow > 1)
                *(oh > ow ? &oh : &ow) -= 1;
            else
                cin = cin / 2 + 1;
        }
        const int ih = oh + k - 1, iw = ow + k - 1;
        const size_t nw = (size_t)k * k * cin * cp, nin = (size_t)ih * iw * cin;
        float *w = xmalloc(nw * sizeof *w), *b = xmalloc(cp * sizeof *b);
        float *a = xmalloc(cp * sizeof *a), *in = xmalloc(nin * sizeof *in);
        outputs o = outputs_new((size_t)oh * ow * cout);
        for (size_t i = 0; i < nw; i++)
            w[i] = rnd_float(h);
        for (int i = 0; i < cp; i++) {
            b[i] = rnd_float(h);
            a[i] = rnd_float(h) * 0.5f;
        }
        for (size_t i = 0; i < nin; i++)
            in[i] = rnd_float(h);
        const detect_nn_layer l = {DETECT_NN_CONV, k, 1, cin, cout, cp, w, b,
                                   rnd_below(h, 2) ? a : NULL};
        ref(&l, in, ih, iw, o.want);
        conv(&l, in, ih, iw, o.got);
        int ok = outputs_canary_intact(&o) ||
                 mismatch(h, "wrote past the output (k %d, cin %d, cout %d, %dx%d)", k, cin,
                          cout, ih, iw);
        for (size_t i = 0; ok && i < o.n; i++) {
            const double err = fabs((double)o.got[i] - o.want[i]) / (1.0 + fabs(o.want[i]));
            if (!(err <= CONV_TOLERANCE)) /* NaN fails too */
                ok = mismatch(h, "k %d, cin %d, cout %d, %dx%d%s: out[%zu] = %.9g, portable %.9g",
                              k, cin, cout, ih, iw, l.alpha ? " +PReLU" : "", i, o.got[i],
                              o.want[i]);
            else if (err > *max_err)
                *max_err = err;
        }
        free(w);
        free(b);
        free(a);
        free(in);
        outputs_free(&o);
        if (!ok)
            return 0;
    }
    return 1;
}

/* ---- nn.pool -------------------------------------------------------------- */

#define POOL_CASES 300

static int check_pool(harness *h, detect_nn_conv_fn ref, detect_nn_conv_fn pool)
{
    for (int c = 0; c < POOL_CASES; c++) {
        const int k = 1 + rnd_below(h, 4), s = 1 + rnd_below(h, k < 3 ? k : 3);
        const int ch = 1 + rnd_below(h, c % 4 == 0 ? 80 : 20);
        const int ih = k + rnd_below(h, 20), iw = k + rnd_below(h, 20);
        const detect_nn_layer l = {DETECT_NN_POOL, k, s, ch, ch, ch, NULL, NULL, NULL};
        const size_t nin = (size_t)ih * iw * ch;
        float *in = xmalloc(nin * sizeof *in);
        outputs o = outputs_new((size_t)detect_nn_out_side(&l, ih) * detect_nn_out_side(&l, iw) * ch);
        /* Coarse values, so that windows hold ties; in every third layer
         * also zeros of both signs and NaNs, equal or unordered values
         * whose result depends on which operand a comparison keeps. */
        for (size_t i = 0; i < nin; i++) {
            in[i] = (float)(rnd_below(h, 64) - 32) / 8.0f + 0.0625f;
            if (c % 3 == 0 && rnd_below(h, 4) == 0) {
                const int r = rnd_below(h, 5);
                in[i] = r < 2 ? 0.0f : r < 4 ? -0.0f : NAN;
            }
        }
        ref(&l, in, ih, iw, o.want);
        pool(&l, in, ih, iw, o.got);
        int ok = outputs_canary_intact(&o) ||
                 mismatch(h, "wrote past the output (k %d, stride %d, %d channels, %dx%d)", k, s,
                          ch, ih, iw);
        for (size_t i = 0; ok && i < o.n; i++)
            if (memcmp(&o.got[i], &o.want[i], sizeof o.got[i]) != 0)
                ok = mismatch(h, "k %d, stride %d, %d channels, %dx%d: out[%zu] = %.9g, portable %.9g",
                              k, s, ch, ih, iw, i, o.got[i], o.want[i]);
        free(in);
        outputs_free(&o);
        if (!ok)
            return 0;
    }
    return 1;
}

/* ---- nn.conv_pool --------------------------------------------------------- */

/* Output channel counts around P-Net's 10 and the fused kernels' group of
 * 12; random counts follow. */
static const int conv_pool_couts[] = {1, 2, 3, 7, 8, 9, 10, 11, 12, 13, 16, 23, 24, 25};
#define CONV_POOL_CASES 200
/* Pools tried: P-Net's 2x2 stride 2 (the fast path) most often. */
static const int conv_pool_shapes[][2] = {{2, 2}, {2, 2}, {2, 2}, {3, 2}, {1, 1}, {2, 1}, {3, 3}};

typedef struct conv_pool_case {
    detect_nn_layer conv, pool;
    float *w, *b, *a, *in, *hwc; /* in: planar rows; hwc: the same input in HWC */
    int ih, iw, oh, ow;
} conv_pool_case;

static conv_pool_case conv_pool_case_new(harness *h, int c)
{
    conv_pool_case t;
    const int nfixed = (int)(sizeof conv_pool_couts / sizeof conv_pool_couts[0]);
    const int nshapes = (int)(sizeof conv_pool_shapes / sizeof conv_pool_shapes[0]);
    const int k = 1 + rnd_below(h, 4), cin = 1 + rnd_below(h, c % 5 == 0 ? 16 : 4);
    const int cout = c < nfixed ? conv_pool_couts[c] : 1 + rnd_below(h, 40);
    const int cp = (cout + 7) / 8 * 8;
    const int *shape = conv_pool_shapes[rnd_below(h, nshapes)];
    /* conv maps from below one vector of columns to a few vectors, odd and even */
    const int ch = shape[0] + rnd_below(h, 12), cw = shape[0] + rnd_below(h, 40);
    t.ih = ch + k - 1;
    t.iw = cw + k - 1;
    const size_t nw = (size_t)k * k * cin * cp, nin = (size_t)t.ih * t.iw * cin;
    t.w = xmalloc(nw * sizeof *t.w);
    t.b = xmalloc(cp * sizeof *t.b);
    t.a = xmalloc(cp * sizeof *t.a);
    t.in = xmalloc(nin * sizeof *t.in);
    t.hwc = xmalloc(nin * sizeof *t.hwc);
    for (size_t i = 0; i < nw; i++)
        t.w[i] = rnd_float(h);
    for (int i = 0; i < cp; i++) {
        t.b[i] = rnd_float(h);
        t.a[i] = rnd_float(h) * 0.5f;
    }
    for (size_t i = 0; i < nin; i++)
        t.in[i] = rnd_float(h);
    for (int y = 0; y < t.ih; y++)
        for (int x = 0; x < t.iw; x++)
            for (int ci = 0; ci < cin; ci++)
                t.hwc[((size_t)y * t.iw + x) * cin + ci] = t.in[((size_t)y * cin + ci) * t.iw + x];
    t.conv = (detect_nn_layer){DETECT_NN_CONV, k, 1, cin, cout, cp, t.w, t.b, rnd_below(h, 4) ? t.a : NULL};
    t.pool = (detect_nn_layer){DETECT_NN_POOL, shape[0], shape[1], cout, cout, cout, NULL, NULL, NULL};
    t.oh = detect_nn_out_side(&t.pool, ch);
    t.ow = detect_nn_out_side(&t.pool, cw);
    return t;
}

static void conv_pool_case_free(conv_pool_case *t)
{
    free(t->w);
    free(t->b);
    free(t->a);
    free(t->in);
    free(t->hwc);
}

/* Checks `k`'s conv_pool on random layers: within CONV_TOLERANCE of the
 * portable conv_pool, and bit-identical to k's own conv then pool (what
 * the detector computed before the fusion). */
static int check_conv_pool(harness *h, const detect_nn_kernels *ref, const detect_nn_kernels *k)
{
    for (int c = 0; c < CONV_POOL_CASES; c++) {
        conv_pool_case t = conv_pool_case_new(h, c);
        const detect_nn_layer *cv = &t.conv, *pl = &t.pool;
        const size_t n = (size_t)t.oh * t.ow * cv->cout;
        const int ch = t.ih - cv->k + 1, cw = t.iw - cv->k + 1;
        float *map = xmalloc((size_t)ch * cw * cv->cout * sizeof *map);
        outputs o = outputs_new(n), unfused = outputs_new(n);
        ref->conv_pool(cv, pl, t.in, t.ih, t.iw, o.want);
        k->conv_pool(cv, pl, t.in, t.ih, t.iw, o.got);
        k->conv(cv, t.hwc, t.ih, t.iw, map);
        k->pool(pl, map, ch, cw, unfused.want);
        int ok = outputs_canary_intact(&o) ||
                 mismatch(h, "wrote past the output (k %d, cin %d, cout %d, pool %d/%d, %dx%d)", cv->k,
                          cv->cin, cv->cout, pl->k, pl->stride, t.ih, t.iw);
        for (size_t i = 0; ok && i < n; i++) {
            const double err = fabs((double)o.got[i] - o.want[i]) / (1.0 + fabs(o.want[i]));
            if (!(err <= CONV_TOLERANCE))
                ok = mismatch(h, "k %d, cin %d, cout %d, pool %d/%d, %dx%d: out[%zu] = %.9g, portable %.9g",
                              cv->k, cv->cin, cv->cout, pl->k, pl->stride, t.ih, t.iw, i, o.got[i],
                              o.want[i]);
            else if (memcmp(&o.got[i], &unfused.want[i], sizeof o.got[i]) != 0)
                ok = mismatch(h, "k %d, cin %d, cout %d, pool %d/%d, %dx%d: out[%zu] = %.9g, its conv + pool %.9g",
                              cv->k, cv->cin, cv->cout, pl->k, pl->stride, t.ih, t.iw, i, o.got[i],
                              unfused.want[i]);
        }
        free(map);
        outputs_free(&o);
        outputs_free(&unfused);
        conv_pool_case_free(&t);
        if (!ok)
            return 0;
    }
    return 1;
}

/* ---- nn.rgbx -------------------------------------------------------------- */

static int check_rgbx_one(harness *h, detect_nn_rgbx_fn ref, detect_nn_rgbx_fn rgbx, int n,
                          int bpp, int bgr)
{
    uint8_t *px = xmalloc((size_t)n * bpp);
    outputs o = outputs_new((size_t)n * 4);
    rnd_bytes(h, px, (size_t)n * bpp);
    ref(px, n, bpp, bgr, o.want);
    rgbx(px, n, bpp, bgr, o.got);
    int ok = 1;
    if (!outputs_canary_intact(&o))
        ok = mismatch(h, "%d pixels of %d bytes%s: wrote past the output", n, bpp,
                      bgr ? " (BGR)" : "");
    else if (n > 0 && memcmp(o.got, o.want, o.n * sizeof *o.got) != 0)
        ok = mismatch(h, "%d pixels of %d bytes%s differ from portable", n, bpp,
                      bgr ? " (BGR)" : "");
    free(px);
    outputs_free(&o);
    return ok;
}

static int check_rgbx(harness *h, detect_nn_rgbx_fn ref, detect_nn_rgbx_fn rgbx)
{
    for (int i = 0; i < 41 + 60; i++) {
        const int n = i <= 40 ? i : 41 + rnd_below(h, 400);
        for (int bpp = 3; bpp <= 4; bpp++)
            for (int bgr = 0; bgr <= 1; bgr++)
                if (!check_rgbx_one(h, ref, rgbx, n, bpp, bgr))
                    return 0;
    }
    return 1;
}

/* ---- lm.run --------------------------------------------------------------- */

/* States where the carries and the ceiling of the SIMD arithmetic have
 * corner cases: low 32 bits zero, all-ones halves, the extremes. */
static const uint64_t lm_edge_states[] = {
    0, 1, 2, UINT64_C(0xffffffff), UINT64_C(0x100000000), UINT64_C(0x100000001),
    UINT64_C(0x7fffffffffffffff), UINT64_C(0x8000000000000000), UINT64_C(0x8000000000000001),
    UINT64_C(0x4000000000000000), UINT64_C(0xc000000000000000), UINT64_C(0xffffffff00000000),
    UINT64_C(0xfffffffe00000000), UINT64_C(0x00000001ffffffff), UINT64_C(0xfffffffffffffffe),
    UINT64_C(0xffffffffffffffff), UINT64_C(0x000fffffffffffff), UINT64_C(0x0010000000000000)};
#define LM_EDGE_COUNT (sizeof lm_edge_states / sizeof lm_edge_states[0])
#define LM_Q_SETS 4

/* Lane parameters q = 2^64 - 1 - (r >> 8), as cipher_lm_init() makes them;
 * sets 0 and 1 are the extremes of that range. */
static void lm_random_q(harness *h, int set, uint64_t q[CIPHER_LM_LANES])
{
    for (int l = 0; l < CIPHER_LM_LANES; l++)
        q[l] = set == 0 ? UINT64_MAX
               : set == 1 ? UINT64_MAX - (UINT64_MAX >> 8)
                          : UINT64_MAX - (rnd(h) >> 8);
}

/* One step of every chain from the edge states equals cipher_lm_f(). */
static int check_lm_edges(harness *h, cipher_lm_run_fn run)
{
    for (int set = 0; set < LM_Q_SETS; set++) {
        uint64_t q[CIPHER_LM_LANES];
        lm_random_q(h, set, q);
        for (size_t x0 = 0; x0 < LM_EDGE_COUNT; x0 += CIPHER_LM_LANES) {
            uint64_t x[CIPHER_LM_MAX_CHAINS * CIPHER_LM_LANES], want[CIPHER_LM_LANES];
            uint8_t out[CIPHER_LM_MAX_CHAINS][8] = {{0}};
            uint8_t *b[CIPHER_LM_MAX_CHAINS];
            for (int l = 0; l < CIPHER_LM_LANES; l++)
                want[l] = cipher_lm_f(lm_edge_states[(x0 + (size_t)l) % LM_EDGE_COUNT], q[l]);
            for (int c = 0; c < CIPHER_LM_MAX_CHAINS; c++) {
                for (int l = 0; l < CIPHER_LM_LANES; l++)
                    x[CIPHER_LM_LANES * c + l] = lm_edge_states[(x0 + (size_t)l) % LM_EDGE_COUNT];
                b[c] = out[c];
            }
            run(q, x, CIPHER_LM_MAX_CHAINS, b, 1);
            for (int c = 0; c < CIPHER_LM_MAX_CHAINS; c++)
                for (int l = 0; l < CIPHER_LM_LANES; l++)
                    if (x[CIPHER_LM_LANES * c + l] != want[l] || out[c][l] != (uint8_t)(want[l] >> 24))
                        return mismatch(h, "one step from x = 0x%016" PRIx64 ", q = 0x%016" PRIx64
                                        ": 0x%016" PRIx64 ", cipher_lm_f 0x%016" PRIx64,
                                        lm_edge_states[(x0 + (size_t)l) % LM_EDGE_COUNT], q[l],
                                        x[CIPHER_LM_LANES * c + l], want[l]);
        }
    }
    return 1;
}

#define LM_RUN_CASES 200
#define LM_RUN_MAX_STEPS 700 /* several of the portable kernel's 64-step batches */

/* Random states, chain counts and step counts, with and without output. */
static int check_lm_random(harness *h, cipher_lm_run_fn ref, cipher_lm_run_fn run)
{
    const size_t cap = 8 * (size_t)LM_RUN_MAX_STEPS;
    uint8_t *want = xmalloc(CIPHER_LM_MAX_CHAINS * cap);
    uint8_t *got = xmalloc(CIPHER_LM_MAX_CHAINS * (cap + CANARY_BYTES));
    int ok = 1;
    for (int c = 0; ok && c < LM_RUN_CASES; c++) {
        const unsigned nb = 1 + (unsigned)rnd_below(h, CIPHER_LM_MAX_CHAINS);
        const size_t steps = (size_t)rnd_below(h, LM_RUN_MAX_STEPS + 1);
        const int with_output = rnd_below(h, 4) != 0;
        uint64_t q[CIPHER_LM_LANES], xw[CIPHER_LM_MAX_CHAINS * CIPHER_LM_LANES],
            xg[CIPHER_LM_MAX_CHAINS * CIPHER_LM_LANES];
        uint8_t *bw[CIPHER_LM_MAX_CHAINS], *bg[CIPHER_LM_MAX_CHAINS];
        lm_random_q(h, 2, q);
        for (unsigned i = 0; i < nb * CIPHER_LM_LANES; i++)
            xw[i] = xg[i] = rnd(h);
        for (unsigned i = 0; i < nb; i++) {
            bw[i] = want + i * cap;
            bg[i] = got + i * (cap + CANARY_BYTES);
            rnd_bytes(h, bw[i], 8 * steps);
            memcpy(bg[i], bw[i], 8 * steps);
            canary_fill(bg[i] + 8 * steps, CANARY_BYTES);
        }
        ref(q, xw, nb, with_output ? bw : NULL, steps);
        run(q, xg, nb, with_output ? bg : NULL, steps);
        if (memcmp(xw, xg, nb * CIPHER_LM_LANES * sizeof xw[0]) != 0)
            ok = mismatch(h, "%u chain(s), %zu steps%s: states differ from portable", nb, steps,
                          with_output ? "" : " (no output)");
        for (unsigned i = 0; ok && i < nb; i++)
            if (memcmp(bw[i], bg[i], 8 * steps) != 0 || !canary_intact(bg[i] + 8 * steps, CANARY_BYTES))
                ok = mismatch(h, "%u chain(s), %zu steps%s: output of chain %u differs from portable",
                              nb, steps, with_output ? "" : " (no output)", i);
    }
    free(want);
    free(got);
    return ok;
}

/* ---- lm.xor --------------------------------------------------------------- */

static int lm_random_key(harness *h, cipher_lm *lm)
{
    uint8_t k_lm[32];
    rnd_bytes(h, k_lm, sizeof k_lm);
    return cipher_lm_init(lm, k_lm) == 0 || mismatch(h, "cipher_lm_init refused a random key");
}

/* The whole keystream with a kernel set equals the portable one XORed into
 * random data: lengths around 8-byte groups, blocks and groups of
 * CIPHER_LM_MAX_CHAINS blocks, then random ones; 1 and 2 threads. */
static int check_lm_xor(harness *h, const cipher_lm_impl *impl)
{
    const size_t B = CIPHER_LM_BLOCK;
    const size_t lens[] = {0,         1,         7,     8,         9,          63,
                           4099,      B - 1,     B,     B + 1,     2 * B + 8,  3 * B - 5,
                           4 * B,     4 * B + 13, 5 * B + 777, 9 * B + 3, 0, 0, 0 /* random */};
    const size_t nl = sizeof lens / sizeof lens[0], maxlen = 9 * B + 3;
    uint8_t *data = xmalloc(maxlen), *want = xmalloc(maxlen), *got = xmalloc(maxlen + CANARY_BYTES);
    int ok = 1;
    for (size_t t = 0; ok && t < nl; t++) {
        /* The last three: random lengths up to six blocks. */
        const size_t len = t + 3 < nl ? lens[t] : 1 + (size_t)rnd_below(h, (int)(6 * B));
        cipher_lm lm;
        if (!(ok = lm_random_key(h, &lm)))
            break;
        rnd_bytes(h, data, len);
        memcpy(want, data, len);
        cipher_lm_xor_impl(&cipher_lm_impl_portable, &lm, want, len, 1);
        for (unsigned threads = 1; ok && threads <= 2; threads++) {
            memcpy(got, data, len);
            canary_fill(got + len, CANARY_BYTES);
            cipher_lm_xor_impl(impl, &lm, got, len, threads);
            if (memcmp(got, want, len) != 0 || !canary_intact(got + len, CANARY_BYTES))
                ok = mismatch(h, "%zu bytes on %u thread(s) differ from portable", len, threads);
        }
        cipher_lm_wipe(&lm);
    }
    free(data);
    free(want);
    free(got);
    return ok;
}

/* ---- the runs ------------------------------------------------------------- */

/* Name of an earlier nn table with the same function as `k` for the given
 * kernel, or NULL: a table may reuse another's function (the AVX2 table
 * pools with the portable code), which is then not checked twice. */
static const char *nn_same_function(const detect_nn_kernels *const *earlier, size_t n,
                                    const detect_nn_kernels *k, int which)
{
    for (size_t i = 0; i < n; i++) {
        const detect_nn_kernels *e = earlier[i];
        /* a shared conv_pool is checked again against a table's own conv */
        if ((which == 0 && e->conv == k->conv) || (which == 1 && e->pool == k->pool) ||
            (which == 2 && e->rgbx == k->rgbx) ||
            (which == 3 && e->conv_pool == k->conv_pool && e->conv == k->conv && e->pool == k->pool))
            return e->name;
    }
    return NULL;
}

static void check_nn_table(harness *h, const char *name, const detect_nn_kernels *k,
                           const detect_nn_kernels *const *earlier, size_t nearlier)
{
    static const char *const kernel_names[4] = {"nn.conv", "nn.pool", "nn.rgbx", "nn.conv_pool"};
    const detect_nn_kernels *ref = &detect_nn_kernels_portable;
    for (int which = 0; which < 4; which++) {
        const char *same = nn_same_function(earlier, nearlier, k, which);
        char detail[128];
        if (same) {
            snprintf(detail, sizeof detail, "(the %s function, not checked again)", same);
            row(kernel_names[which], name, "same", detail);
            continue;
        }
        int passed;
        if (which == 0) {
            double err;
            passed = check_conv(h, ref->conv, k->conv, &err);
            snprintf(detail, sizeof detail, "(%d layers, max error %.1e x (1+|portable|), limit %.0e)",
                     CONV_CASES, err, CONV_TOLERANCE);
        } else if (which == 1) {
            passed = check_pool(h, ref->pool, k->pool);
            snprintf(detail, sizeof detail, "(%d layers, bit-exact)", POOL_CASES);
        } else if (which == 2) {
            passed = check_rgbx(h, ref->rgbx, k->rgbx);
            snprintf(detail, sizeof detail, "(lengths 0..40 and 60 random, 3/4 bytes, RGB/BGR, bit-exact)");
        } else {
            passed = check_conv_pool(h, ref, k);
            snprintf(detail, sizeof detail, "(%d layers; = its conv + pool bit for bit)", CONV_POOL_CASES);
        }
        report(h, kernel_names[which], name, passed, detail);
    }
}

static void check_lm_table(harness *h, const char *name, const cipher_lm_impl *impl,
                           const char *same_run)
{
    char detail[128];
    if (same_run) {
        snprintf(detail, sizeof detail, "(the %s function, not checked again)", same_run);
        row("lm.run", name, "same", detail);
    } else {
        snprintf(detail, sizeof detail, "(%d edge steps vs cipher_lm_f, %d random runs, bit-exact)",
                 (int)(LM_Q_SETS * ((LM_EDGE_COUNT + 7) / 8)), LM_RUN_CASES);
        report(h, "lm.run", name,
               check_lm_edges(h, impl->run) &&
                   check_lm_random(h, cipher_lm_impl_portable.run, impl->run),
               detail);
    }
    snprintf(detail, sizeof detail, "(min %u chain(s); 19 lengths up to 9 blocks, 1-2 threads, bit-exact)",
             impl->min_chains);
    report(h, "lm.xor", name, check_lm_xor(h, impl), detail);
}

/* The table the library dispatches to is the portable one or a variant
 * checked above: never one this CPU cannot run or that went unchecked. */
static void check_dispatch(harness *h, const char *kernel, const char *name, int known)
{
    char detail[96];
    snprintf(detail, sizeof detail, "(the library uses %s)", name);
    if (!known)
        mismatch(h, "the library uses %s, which was not checked here", name);
    report(h, kernel, "dispatch", known, detail);
}

static int run_all(harness *h)
{
    kernel_variant v[KERNEL_VARIANTS_MAX];

    /* nn: the portable fused kernel against the portable conv + pool, then
     * each SIMD table against detect_nn_kernels_portable. */
    report(h, "nn.conv_pool", "portable", check_conv_pool(h, &detect_nn_kernels_portable, &detect_nn_kernels_portable),
           "(= conv + pool bit for bit; the reference of the rows below)");
    const detect_nn_kernels *seen[1 + KERNEL_VARIANTS_MAX] = {&detect_nn_kernels_portable};
    size_t nseen = 1, nv = nn_simd_variants(v);
    for (size_t i = 0; i < nv; i++) {
        if (!runs_here(h, "nn.*", &v[i]))
            continue;
        check_nn_table(h, v[i].name, v[i].table, seen, nseen);
        seen[nseen++] = v[i].table;
    }
    int known = 0;
    for (size_t i = 0; i < nseen; i++)
        known |= seen[i] == detect_nn_kernels_best();
    check_dispatch(h, "nn", detect_nn_kernels_best()->name, known);

    /* Logistic: the portable kernel against the map's definition, then
     * each SIMD set against the portable one. */
    report(h, "lm.run", "portable", check_lm_edges(h, cipher_lm_impl_portable.run),
           "(one step = cipher_lm_f on the edge states; the reference of the rows below)");
    const cipher_lm_impl *lm_seen[1 + KERNEL_VARIANTS_MAX] = {&cipher_lm_impl_portable};
    size_t nlm = 1;
    nv = lm_simd_variants(v);
    for (size_t i = 0; i < nv; i++) {
        if (!runs_here(h, "lm.*", &v[i]))
            continue;
        const cipher_lm_impl *impl = v[i].table;
        const char *same = NULL;
        for (size_t j = 1; j < nlm; j++)
            if (lm_seen[j]->run == impl->run)
                same = lm_seen[j]->name;
        check_lm_table(h, v[i].name, impl, same);
        lm_seen[nlm++] = impl;
    }
    known = 0;
    for (size_t i = 0; i < nlm; i++)
        known |= lm_seen[i] == cipher_lm_impl_best();
    check_dispatch(h, "lm", cipher_lm_impl_best()->name, known);
    printf("checkasm: %d ok, %d skipped, %d failed\n", h->ok, h->skipped, h->failed);
    return h->failed ? 1 : 0;
}

/* ---- self-test: each check fails on a broken kernel ----------------------- */

static void conv_off(const detect_nn_layer *l, const float *in, int ih, int iw, float *out)
{
    detect_nn_conv_portable(l, in, ih, iw, out);
    const size_t n = (size_t)(ih - l->k + 1) * (iw - l->k + 1) * l->cout;
    out[n / 2] += 2e-4f * (1.0f + fabsf(out[n / 2]));
}

static void conv_overrun(const detect_nn_layer *l, const float *in, int ih, int iw, float *out)
{
    detect_nn_conv_portable(l, in, ih, iw, out);
    if (l->cout % 8 == 3) /* as a kernel storing whole vectors would */
        out[(size_t)(ih - l->k + 1) * (iw - l->k + 1) * l->cout] = 0.0f;
}

static void pool_off(const detect_nn_layer *l, const float *in, int ih, int iw, float *out)
{
    detect_nn_maxpool(l, in, ih, iw, out);
    if (ih > 7 && l->cin > 5)
        out[l->cin - 1] = nextafterf(out[l->cin - 1], INFINITY);
}

static void rgbx_overrun(const uint8_t *p, int n, int bpp, int bgr, float *dst)
{
    detect_nn_rgbx_portable(p, n, bpp, bgr, dst);
    if (n % 8 == 5)
        dst[4 * n] = 0.0f;
}

static void rgbx_swapped(const uint8_t *p, int n, int bpp, int bgr, float *dst)
{
    detect_nn_rgbx_portable(p, n, bpp, n > 30 ? !bgr : bgr, dst);
}

static void conv_pool_off(const detect_nn_layer *conv, const detect_nn_layer *pool, const float *in,
                          int ih, int iw, float *out)
{
    detect_nn_conv_pool_portable(conv, pool, in, ih, iw, out);
    /* One ulp in every layer: within tolerance, not bit-exact. In every
     * layer, not in some shapes only, so that no seed can miss it. */
    const size_t n = (size_t)detect_nn_out_side(pool, ih - conv->k + 1) *
                     detect_nn_out_side(pool, iw - conv->k + 1) * conv->cout;
    out[n / 2] = nextafterf(out[n / 2], INFINITY);
}

static void conv_pool_overrun(const detect_nn_layer *conv, const detect_nn_layer *pool, const float *in,
                              int ih, int iw, float *out)
{
    detect_nn_conv_pool_portable(conv, pool, in, ih, iw, out);
    if (conv->cout == 11) /* as a kernel storing whole groups would */
        out[(size_t)detect_nn_out_side(pool, ih - conv->k + 1) * detect_nn_out_side(pool, iw - conv->k + 1) *
            conv->cout] = 0.0f;
}

static void lm_run_off(const uint64_t q[CIPHER_LM_LANES], uint64_t *x, unsigned nb,
                       uint8_t *const *buf, size_t steps)
{
    cipher_lm_run_portable(q, x, nb, buf, steps);
    if (nb == 3 && steps > 0) /* chain 2, lane 5; the map forgets the low bits */
        x[2 * CIPHER_LM_LANES + 5] ^= UINT64_C(1) << 40;
}

static void lm_run_edge(const uint64_t q[CIPHER_LM_LANES], uint64_t *x, unsigned nb,
                        uint8_t *const *buf, size_t steps)
{
    /* wrong only where x is 2^32 + 1 (a carry corner case) */
    int hit[CIPHER_LM_MAX_CHAINS * CIPHER_LM_LANES] = {0};
    for (unsigned i = 0; i < nb * CIPHER_LM_LANES; i++)
        hit[i] = x[i] == UINT64_C(0x100000001);
    cipher_lm_run_portable(q, x, nb, buf, steps);
    for (unsigned i = 0; i < nb * CIPHER_LM_LANES; i++)
        x[i] += (uint64_t)hit[i];
}

/* A broken kernel must fail its check, the portable one must pass it. */
static int expect(const char *what, int passed, int want_pass, const harness *h)
{
    const int good = passed == want_pass;
    printf("  %-38s %-7s %s\n", what, passed ? "passed" : "failed", good ? "as it must" : "WRONG");
    if (!passed)
        printf("      %s\n", h->why);
    return good;
}

static int self_test(harness *h)
{
    double err;
    int good = 1;
    const detect_nn_kernels *P = &detect_nn_kernels_portable;
    const cipher_lm_impl lm_off = {lm_run_off, 1, "broken"};
    const cipher_lm_impl lm_off2 = {lm_run_off, 2, "broken-2"};
    good &= expect("nn.conv portable vs itself", check_conv(h, P->conv, P->conv, &err), 1, h);
    good &= expect("nn.conv off by 2e-4 in one output", check_conv(h, P->conv, conv_off, &err), 0, h);
    good &= expect("nn.conv writing one float past", check_conv(h, P->conv, conv_overrun, &err), 0, h);
    good &= expect("nn.pool portable vs itself", check_pool(h, P->pool, P->pool), 1, h);
    good &= expect("nn.pool one ulp off", check_pool(h, P->pool, pool_off), 0, h);
    detect_nn_kernels broken = *P, overrun = *P;
    broken.conv_pool = conv_pool_off;
    overrun.conv_pool = conv_pool_overrun;
    good &= expect("nn.conv_pool portable", check_conv_pool(h, P, P), 1, h);
    good &= expect("nn.conv_pool one ulp off", check_conv_pool(h, P, &broken), 0, h);
    good &= expect("nn.conv_pool writing one float past", check_conv_pool(h, P, &overrun), 0, h);
    good &= expect("nn.rgbx portable vs itself", check_rgbx(h, P->rgbx, P->rgbx), 1, h);
    good &= expect("nn.rgbx writing one float past", check_rgbx(h, P->rgbx, rgbx_overrun), 0, h);
    good &= expect("nn.rgbx wrong order on long rows", check_rgbx(h, P->rgbx, rgbx_swapped), 0, h);
    good &= expect("lm.run portable edge states", check_lm_edges(h, cipher_lm_run_portable), 1, h);
    good &= expect("lm.run wrong on a carry corner case", check_lm_edges(h, lm_run_edge), 0, h);
    good &= expect("lm.run portable vs itself",
                   check_lm_random(h, cipher_lm_run_portable, cipher_lm_run_portable), 1, h);
    good &= expect("lm.run one bit off on 3 chains",
                   check_lm_random(h, cipher_lm_run_portable, lm_run_off), 0, h);
    good &= expect("lm.xor portable vs itself", check_lm_xor(h, &cipher_lm_impl_portable), 1, h);
    good &= expect("lm.xor with the broken kernel", check_lm_xor(h, &lm_off), 0, h);
    good &= expect("lm.xor with it from 2 chains on", check_lm_xor(h, &lm_off2), 0, h);
    printf("checkasm self-test: %s\n", good ? "every check fails on its broken kernel" : "FAILED");
    return good ? 0 : 1;
}

int main(int argc, char **argv)
{
    harness h = {0};
    uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    int self = 0;
    for (int i = 1; i < argc; i++) {
        char *end;
        if (strcmp(argv[i], "--self-test") == 0)
            self = 1;
        else if ((seed = strtoull(argv[i], &end, 0)), *end != '\0' || end == argv[i]) {
            fprintf(stderr, "usage: checkasm [SEED] [--self-test]\n");
            return 2;
        }
    }
    h.rng = seed;
    printf("checkasm: seed %" PRIu64 " (checkasm %" PRIu64 " repeats this run)\n", seed, seed);
    return self ? self_test(&h) : run_all(&h);
}
