/* The pixels the nets see: pyramid levels and R-Net/O-Net crops resampled
 * with Piotr Dollar's imResample straight from the caller's 8-bit pixels,
 * one source row at a time (resample.c holds the coefficients), and
 * normalised as (v - 127.5) * 0.0078125. The image is never converted
 * whole: a P-Net band needs one band of rows, a crop one crop. Above
 * DETECT_CASCADE_PIXELS the smaller levels read a reduced copy instead
 * (detect.h, detect_build_reduced below). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "detect/detect.h"

#define NORM_MEAN 127.5f
#define NORM_SCALE 0.0078125f
/* Most x-pass rows kept per window (see reset_cache()). */
#define DETECT_XROW_SLOTS 64

/* Pixels [x, x + n) of row y as RGBX floats (MATLAB's single(img)). */
static void load_span(const detect_nn_kernels *k, const fiie_image *img, int y, int x, int n, v4f *dst)
{
    const int bpp = img->format == FIIE_PIXEL_RGB8 || img->format == FIIE_PIXEL_BGR8 ? 3 : 4;
    const int bgr = img->format == FIIE_PIXEL_BGR8 || img->format == FIIE_PIXEL_BGRA8;
    const uint8_t *row = img->data + (size_t)y * img->stride;
    k->rgbx(row + (size_t)x * bpp, n, bpp, bgr, (float *)dst);
}

/* The same from R_k: sums of 4^k pixels times 4^-k, exact in float. */
static void load_reduced_span(const detect_reduced *r, int halvings, int y, int x, int n, v4f *dst)
{
    const float q = 1.0f / (float)(1u << 2 * halvings);
    const uint16_t *p = r->px + ((size_t)y * r->width + x) * 3;
    for (int i = 0; i < n; i++, p += 3)
        dst[i] = (v4f){(float)p[0] * q, (float)p[1] * q, (float)p[2] * q, 0.0f};
}

/* A resampling job: a (virtual, zero-padded) window of na columns of the
 * image starting at column x0, row y0, scaled by ax/ay. */
typedef struct window {
    const detect_nn_kernels *k;
    const fiie_image *img;
    const detect_reduced *red; /* NULL: read img; else R_halvings */
    int halvings, width, height; /* of the source read */
    int x0, y0, na;
    const detect_resample_axis *ax, *ay;
    int inside; /* every column of the window is inside the image */
} window;

/* Load row y of the image, columns of the window only, into w->src
 * (which holds at least the image width): w->src[x - lo] is column x for
 * x in [*lo, *hi). Returns 0 when the row or the columns are outside. */
static int load_window_row(detect_worker *w, const window *win, int y, int *lo, int *hi)
{
    const int W = win->width, x0 = win->x0;
    *lo = x0 < 0 ? 0 : x0;
    *hi = (int64_t)x0 + win->na < W ? x0 + win->na : W;
    if (y < 0 || y >= win->height || *hi <= *lo)
        return 0;
    if (win->red)
        load_reduced_span(win->red, win->halvings, y, *lo, *hi - *lo, w->src);
    else
        load_span(win->k, win->img, y, *lo, *hi - *lo, w->src);
    return 1;
}

/* Horizontal pass of window row ya. Taps outside the image add 0 * w = +0
 * in the reference and are skipped here, which changes nothing. */
static void xpass(detect_worker *w, const window *win, int ya, v4f *out)
{
    const detect_resample_axis *ax = win->ax;
    int lo, hi;
    if (!load_window_row(w, win, win->y0 + ya, &lo, &hi)) {
        memset(out, 0, (size_t)ax->nb * sizeof *out);
        return;
    }
    const v4f *row = w->src;
    const int x0 = win->x0;
    int xb = 0;
    if (win->inside) {
        const v4f *rin = row; /* lo == x0 */
        /* Every tap is inside the image. Four outputs at once so that their
         * (ordered, dependent) sums overlap. An output's taps are
         * consecutive pixels from its first index (no index loads); the
         * zero-weight slots past its own taps are left out: the pixels
         * and weights are >= 0, so every partial sum is >= +0 and adding
         * the +0 of such a slot, as the reference does, changes no bit. */
        const int K = ax->K;
        for (; xb + 4 <= ax->nb; xb += 4) {
            const size_t f = (size_t)xb * K;
            const v4f *r0 = rin + ax->idx[f], *r1 = rin + ax->idx[f + K];
            const v4f *r2 = rin + ax->idx[f + 2 * K], *r3 = rin + ax->idx[f + 3 * K];
            const float *w0 = ax->wt + f, *w1 = w0 + K, *w2 = w0 + 2 * K, *w3 = w0 + 3 * K;
            const int n0 = ax->ntap[xb], n1 = ax->ntap[xb + 1], n2 = ax->ntap[xb + 2],
                      n3 = ax->ntap[xb + 3];
            int m = n0 < n1 ? n0 : n1;
            m = m < n2 ? m : n2;
            m = m < n3 ? m : n3;
            v4f a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
            int t = 0;
            for (; t < m; t++) {
                a0 += r0[t] * w0[t];
                a1 += r1[t] * w1[t];
                a2 += r2[t] * w2[t];
                a3 += r3[t] * w3[t];
            }
            for (int u = t; u < n0; u++)
                a0 += r0[u] * w0[u];
            for (int u = t; u < n1; u++)
                a1 += r1[u] * w1[u];
            for (int u = t; u < n2; u++)
                a2 += r2[u] * w2[u];
            for (int u = t; u < n3; u++)
                a3 += r3[u] * w3[u];
            out[xb] = a0;
            out[xb + 1] = a1;
            out[xb + 2] = a2;
            out[xb + 3] = a3;
        }
    }
    for (; xb < ax->nb; xb++) {
        const int *idx = ax->idx + (size_t)xb * ax->K;
        const float *wt = ax->wt + (size_t)xb * ax->K;
        const int nt = ax->ntap[xb];
        v4f acc = {0.0f, 0.0f, 0.0f, 0.0f};
        for (int t = 0; t < nt; t++) {
            const int x = x0 + idx[t];
            if (x >= lo && x < hi)
                acc += row[x - lo] * wt[t];
        }
        out[xb] = acc;
    }
}

/* The x-pass of window row ya, from the ring of nslots rows (row ya in
 * slot ya % nslots): the taps of one output row are consecutive rows, so
 * when there are no more of them than slots, all are held at once. */
static const v4f *cached_xrow(detect_worker *w, const window *win, int ya)
{
    const int n = win->ax->nb, slot = ya % w->nslots;
    v4f *r = w->rows + (size_t)slot * n;
    if (w->tags[slot] != ya) {
        w->tags[slot] = ya;
        xpass(w, win, ya, r);
    }
    return r;
}

/* Pixel i of a row of n normalised pixels: 3 floats per pixel (HWC), or
 * with `planar` the row's R, G and B planes one after the other (what
 * P-Net's fused first layers read). */
static inline void put_pixel(float *out, int i, int n, int planar, v4f v)
{
    v = (v - NORM_MEAN) * NORM_SCALE;
    if (planar) {
        out[i] = v[0];
        out[n + i] = v[1];
        out[2 * n + i] = v[2];
    } else {
        out[3 * i] = v[0];
        out[3 * i + 1] = v[1];
        out[3 * i + 2] = v[2];
    }
}

/* Output row yb of the resampled window, normalised for the nets;
 * `acc` holds nb vectors of scratch. */
static void resample_row(detect_worker *w, const window *win, int yb, v4f *acc, int planar, float *out)
{
    const detect_resample_axis *ay = win->ay;
    const int n = win->ax->nb, nt = ay->ntap[yb];
    const int *idx = ay->idx + (size_t)yb * ay->K;
    const float *wt = ay->wt + (size_t)yb * ay->K;
    if (nt <= w->nslots) {
        /* every tap's row at hand: four pixels' sums stay in registers
         * over the taps, summed in the same order (from +0, tap by tap) */
        const v4f *r[DETECT_XROW_SLOTS];
        for (int t = 0; t < nt; t++)
            r[t] = cached_xrow(w, win, idx[t]);
        int i = 0;
        for (; i + 4 <= n; i += 4) {
            v4f a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
            for (int t = 0; t < nt; t++) {
                const float wv = wt[t];
                a0 += r[t][i] * wv;
                a1 += r[t][i + 1] * wv;
                a2 += r[t][i + 2] * wv;
                a3 += r[t][i + 3] * wv;
            }
            put_pixel(out, i, n, planar, a0 * DETECT_RESAMPLE_FINAL_SCALE);
            put_pixel(out, i + 1, n, planar, a1 * DETECT_RESAMPLE_FINAL_SCALE);
            put_pixel(out, i + 2, n, planar, a2 * DETECT_RESAMPLE_FINAL_SCALE);
            put_pixel(out, i + 3, n, planar, a3 * DETECT_RESAMPLE_FINAL_SCALE);
        }
        for (; i < n; i++) {
            v4f a = {0};
            for (int t = 0; t < nt; t++)
                a += r[t][i] * wt[t];
            put_pixel(out, i, n, planar, a * DETECT_RESAMPLE_FINAL_SCALE);
        }
        return;
    }
    memset(acc, 0, (size_t)n * sizeof *acc);
    for (int t = 0; t < nt; t++) {
        const v4f *r = cached_xrow(w, win, idx[t]);
        const float wv = wt[t];
        for (int i = 0; i < n; i++)
            acc[i] += r[i] * wv;
    }
    for (int i = 0; i < n; i++)
        put_pixel(out, i, n, planar, acc[i] * DETECT_RESAMPLE_FINAL_SCALE);
}

/* Row y of the window copied without resampling (imResample returns its
 * input unchanged when the size does not change). */
static void copy_row(detect_worker *w, const window *win, int y, int width, int planar, float *out)
{
    int lo, hi;
    const int in = load_window_row(w, win, win->y0 + y, &lo, &hi);
    for (int x = 0; x < width; x++) {
        const int xx = win->x0 + x;
        v4f v = {0.0f, 0.0f, 0.0f, 0.0f};
        if (in && xx >= lo && xx < hi)
            v = w->src[xx - lo];
        put_pixel(out, x, width, planar, v);
    }
}

/* An empty ring of x-pass rows of nb pixels for a y axis of K tap slots:
 * K + 1 rows (the taps of an output row and the next one's first) when
 * that is at most DETECT_XROW_SLOTS, else two, and resample_row() goes
 * tap by tap through a row of sums in memory. */
static int reset_cache(detect_worker *w, int nb, int K)
{
    const int slots = K + 1 <= DETECT_XROW_SLOTS ? K + 1 : 2;
    int rc = DETECT_GROW(w->rows, w->rows_cap, (size_t)nb * slots);
    if (!rc)
        rc = DETECT_GROW(w->tags, w->tags_cap, (size_t)slots);
    if (rc)
        return rc;
    w->nslots = slots;
    for (int i = 0; i < slots; i++)
        w->tags[i] = INT32_MIN;
    return 0;
}

/* ---- reduced copies for large images (detect.h: DETECT_CASCADE_PIXELS) ---- */

/* Row of R_k from rows r0, r1 (r1 == r0 for an odd last row) of a source
 * of w pixels of bpp values, channels r, 1, b: each output channel the
 * sum of a 2x2 block, the odd last column paired with itself. */
#define REDUCE_ROW(NAME, T)                                                                        \
    static inline __attribute__((always_inline)) void NAME(const T *r0, const T *r1, int w,       \
                                                           uint16_t *o, const int bpp,             \
                                                           const int r, const int b)               \
    {                                                                                              \
        const int pairs = w / 2;                                                                   \
        for (int x = 0; x < pairs; x++, r0 += 2 * bpp, r1 += 2 * bpp, o += 3) {                    \
            o[0] = (uint16_t)(r0[r] + r0[bpp + r] + r1[r] + r1[bpp + r]);                          \
            o[1] = (uint16_t)(r0[1] + r0[bpp + 1] + r1[1] + r1[bpp + 1]);                          \
            o[2] = (uint16_t)(r0[b] + r0[bpp + b] + r1[b] + r1[bpp + b]);                          \
        }                                                                                          \
        if (w & 1) {                                                                               \
            o[0] = (uint16_t)(2 * (r0[r] + r1[r]));                                                \
            o[1] = (uint16_t)(2 * (r0[1] + r1[1]));                                                \
            o[2] = (uint16_t)(2 * (r0[b] + r1[b]));                                                \
        }                                                                                          \
    }

REDUCE_ROW(reduce_row8, uint8_t)
REDUCE_ROW(reduce_row16, uint16_t)

#define REDUCE_BAND 64 /* output rows per task */

static int reduce_task(detect_cascade *c, detect_worker *w, size_t task, void *arg)
{
    (void)w;
    const int k = *(const int *)arg;
    detect_reduced *dst = &c->reduced[k];
    const int y0 = (int)task * REDUCE_BAND;
    const int y1 = y0 + REDUCE_BAND < dst->height ? y0 + REDUCE_BAND : dst->height;
    const fiie_image *img = c->img;
    const detect_reduced *src = &c->reduced[k - 1];
    const int sh = k == 1 ? (int)img->height : src->height;
    const int sw = k == 1 ? (int)img->width : src->width;
    for (int y = y0; y < y1; y++) {
        const int ya = 2 * y, yb = 2 * y + 1 < sh ? 2 * y + 1 : 2 * y;
        uint16_t *o = dst->px + (size_t)y * dst->width * 3;
        if (k > 1) {
            const uint16_t *p = src->px;
            reduce_row16(p + (size_t)ya * sw * 3, p + (size_t)yb * sw * 3, sw, o, 3, 0, 2);
            continue;
        }
        const uint8_t *r0 = img->data + (size_t)ya * img->stride;
        const uint8_t *r1 = img->data + (size_t)yb * img->stride;
        /* constant layouts let the compiler specialise each loop */
        switch (img->format) {
        case FIIE_PIXEL_RGB8: reduce_row8(r0, r1, sw, o, 3, 0, 2); break;
        case FIIE_PIXEL_BGR8: reduce_row8(r0, r1, sw, o, 3, 2, 0); break;
        case FIIE_PIXEL_BGRA8: reduce_row8(r0, r1, sw, o, 4, 2, 0); break;
        default: reduce_row8(r0, r1, sw, o, 4, 0, 2); break;
        }
    }
    return 0;
}

int detect_build_reduced(detect_cascade *c)
{
    int h = (int)c->img->height, w = (int)c->img->width;
    for (int k = 1; k <= c->nreduced; k++) {
        detect_reduced *r = &c->reduced[k];
        h = (h + 1) / 2;
        w = (w + 1) / 2;
        /* pages of their own: made and dropped once per large image
         * (common_alloc_pages says why not malloc) */
        const size_t bytes = (size_t)h * w * 3 * sizeof *r->px;
        if (r->bytes != bytes) {
            common_free_pages(r->px, r->bytes);
            r->bytes = 0;
            if ((r->px = common_alloc_pages(bytes)) == NULL)
                return FIIE_E_NO_MEMORY;
            r->bytes = bytes;
        }
        r->height = h;
        r->width = w;
        /* each level waits for the one it reads; the rows split over the threads */
        int rc = detect_run_tasks(c, (size_t)(h + REDUCE_BAND - 1) / REDUCE_BAND, reduce_task, &k);
        if (rc)
            return rc;
    }
    return 0;
}

void detect_free_reduced(detect_cascade *c)
{
    for (int k = 0; k <= DETECT_MAX_HALVINGS; k++) {
        common_free_pages(c->reduced[k].px, c->reduced[k].bytes);
        memset(&c->reduced[k], 0, sizeof c->reduced[k]);
    }
}

/* Rows [y0, y1) of pyramid level sp, normalised, into dst (planar rows).
 * Neighbouring bands share 10 rows, resampled by both. */
int detect_level_rows(detect_cascade *c, detect_worker *w, const detect_scale *sp, int y0, int y1, float *dst)
{
    const fiie_image *img = c->img;
    const detect_reduced *red = sp->halvings ? &c->reduced[sp->halvings] : NULL;
    const int ws = sp->ws;
    const int sw = red ? red->width : (int)img->width, sh = red ? red->height : (int)img->height;
    int rc = reset_cache(w, ws, sp->ay.a.K);
    if (!rc)
        rc = DETECT_GROW(w->acc, w->acc_cap, (size_t)ws);
    if (!rc)
        rc = DETECT_GROW(w->src, w->src_cap, (size_t)img->width);
    if (rc)
        return rc;
    window win = {c->k, img, red, sp->halvings, sw, sh, 0, 0, sw, &sp->ax.a, &sp->ay.a, 1};
    const int same = sp->hs == sh && ws == sw;
    for (int y = y0; y < y1; y++) {
        float *row = dst + (size_t)(y - y0) * ws * 3;
        if (same)
            copy_row(w, &win, y, ws, 1, row);
        else
            resample_row(w, &win, y, w->acc, 1, row);
    }
    return 0;
}

/* The most halvings k (up to max) whose R_k (h_k x w_k, each side halved
 * rounding up) still has at least hs x ws pixels. */
static int level_halvings(int h, int w, int hs, int ws, int max)
{
    int k = 0;
    while (k < max && hs <= (h + 1) / 2 && ws <= (w + 1) / 2) {
        h = (h + 1) / 2;
        w = (w + 1) / 2;
        k++;
    }
    return k;
}

int detect_plan_scales(detect_cascade *c, const detect_params *p, const fiie_model *m, int h, int w,
                       size_t *ntasks)
{
    const double mscale = 12.0 / p->min_face;
    const int max_halvings = (double)h * w > DETECT_CASCADE_PIXELS ? DETECT_MAX_HALVINGS : 0;
    double minl = (h < w ? h : w) * mscale;
    size_t n = 0, tasks = 0;
    c->nscales = 0;
    c->nreduced = 0;
    /* min_face < 12 up-samples: bound the first (largest) level before
     * anything is allocated for it */
    if (minl >= 12 && ceil(h * mscale) * ceil(w * mscale) > (double)FIIE_MAX_PIXELS)
        return FIIE_E_TOO_LARGE;
    for (int count = 0; minl >= 12; count++) {
        size_t old = c->scales_cap;
        int rc = DETECT_GROW(c->scales, c->scales_cap, n + 1);
        if (rc)
            return rc;
        if (c->scales_cap > old) /* new slots: empty axis buffers */
            memset(c->scales + old, 0, (c->scales_cap - old) * sizeof *c->scales);
        detect_scale *sp = &c->scales[n];
        double scale = mscale * pow(p->factor, count);
        int hs = (int)ceil(h * scale), ws = (int)ceil(w * scale);
        int oh = hs, ow = ws;
        for (int i = 0; i < m->pnet.n; i++) {
            oh = detect_nn_out_side(&m->pnet.layer[i], oh);
            ow = detect_nn_out_side(&m->pnet.layer[i], ow);
        }
        minl *= p->factor;
        if (oh <= 0 || ow <= 0)
            continue;
        sp->scale = scale;
        sp->hs = hs;
        sp->ws = ws;
        sp->oh = oh;
        sp->ow = ow;
        sp->nbands = (oh + DETECT_PNET_BAND - 1) / DETECT_PNET_BAND;
        sp->first_task = tasks;
        sp->halvings = level_halvings(h, w, hs, ws, max_halvings);
        c->nreduced = sp->halvings > c->nreduced ? sp->halvings : c->nreduced;
        const int sh = (int)((h + (1 << sp->halvings) - 1) >> sp->halvings); /* R_k's sides */
        const int sw = (int)((w + (1 << sp->halvings) - 1) >> sp->halvings);
        if ((rc = detect_axis_prepare(&sp->ax, sw, ws, 1)) != 0 ||
            (rc = detect_axis_prepare(&sp->ay, sh, hs, 1)) != 0)
            return rc;
        tasks += (size_t)sp->nbands;
        n++;
        c->nscales = n;
    }
    *ntasks = tasks;
    return 0;
}

/* Largest box side cropped; larger (absurd) boxes give an all-zero patch. */
#define MAX_CROP_SIDE (1 << 20)

/* pad.m + crop + imResample of one box into a size x size normalised patch. */
int detect_crop(detect_cascade *c, detect_worker *w, const detect_box *b, int size, float *dst)
{
    const double lim = MAX_CROP_SIDE;
    const size_t n = (size_t)size * size * 3;
    int ok = fabs(b->x1) < lim && fabs(b->x2) < lim && fabs(b->y1) < lim && fabs(b->y2) < lim;
    int x1 = ok ? (int)b->x1 : 0, y1 = ok ? (int)b->y1 : 0;
    int tw = ok ? (int)b->x2 - x1 + 1 : 0, th = ok ? (int)b->y2 - y1 + 1 : 0;
    if (tw <= 0 || th <= 0 || tw > MAX_CROP_SIDE || th > MAX_CROP_SIDE) {
        for (size_t i = 0; i < n; i++)
            dst[i] = (0.0f - NORM_MEAN) * NORM_SCALE;
        return 0;
    }
    window win = {c->k, c->img, NULL, 0, (int)c->img->width, (int)c->img->height, x1 - 1, y1 - 1, tw, NULL, NULL,
                  x1 - 1 >= 0 && (int64_t)x1 - 1 + tw <= (int64_t)c->img->width};
    int rc = DETECT_GROW(w->src, w->src_cap, (size_t)c->img->width);
    if (rc)
        return rc;
    if (tw == size && th == size) {
        for (int y = 0; y < size; y++)
            copy_row(w, &win, y, size, 0, dst + (size_t)y * size * 3);
        return 0;
    }
    rc = detect_axis_prepare(&w->ax, tw, size, 0);
    if (!rc)
        rc = detect_axis_prepare(&w->ay, th, size, 0);
    if (!rc)
        rc = reset_cache(w, size, w->ay.a.K);
    if (!rc)
        rc = DETECT_GROW(w->acc, w->acc_cap, (size_t)size);
    if (rc)
        return rc;
    win.ax = &w->ax.a;
    win.ay = &w->ay.a;
    for (int y = 0; y < size; y++)
        resample_row(w, &win, y, w->acc, 0, dst + (size_t)y * size * 3);
    return 0;
}

