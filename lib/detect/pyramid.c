/* The pixels the nets see: pyramid levels and R-Net/O-Net crops resampled
 * with Piotr Dollar's imResample straight from the caller's 8-bit pixels,
 * one source row at a time (resample.c holds the coefficients), and
 * normalised as (v - 127.5) * 0.0078125. The image is never converted
 * whole: a P-Net band needs one band of rows, a crop one crop. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "detect/detect.h"

#define NORM_MEAN 127.5f
#define NORM_SCALE 0.0078125f

/* Pixels [x, x + n) of row y as RGBX floats (MATLAB's single(img)). */
static void load_span(const detect_nn_kernels *k, const fiie_image *img, int y, int x, int n, v4f *dst)
{
    const int bpp = img->format == FIIE_PIXEL_RGB8 || img->format == FIIE_PIXEL_BGR8 ? 3 : 4;
    const int bgr = img->format == FIIE_PIXEL_BGR8 || img->format == FIIE_PIXEL_BGRA8;
    const uint8_t *row = img->data + (size_t)y * img->stride;
    k->rgbx(row + (size_t)x * bpp, n, bpp, bgr, (float *)dst);
}

/* A resampling job: a (virtual, zero-padded) window of na columns of the
 * image starting at column x0, row y0, scaled by ax/ay. */
typedef struct window {
    const detect_nn_kernels *k;
    const fiie_image *img;
    int x0, y0, na;
    const detect_resample_axis *ax, *ay;
    int inside; /* every column of the window is inside the image */
} window;

/* Load row y of the image, columns of the window only, into w->src
 * (which holds at least the image width): w->src[x - lo] is column x for
 * x in [*lo, *hi). Returns 0 when the row or the columns are outside. */
static int load_window_row(detect_worker *w, const window *win, int y, int *lo, int *hi)
{
    const int W = (int)win->img->width, x0 = win->x0;
    *lo = x0 < 0 ? 0 : x0;
    *hi = (int64_t)x0 + win->na < W ? x0 + win->na : W;
    if (y < 0 || (uint32_t)y >= win->img->height || *hi <= *lo)
        return 0;
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
         * (ordered, dependent) sums overlap; zero-weight slots pad the
         * shorter ones. */
        for (; xb + 4 <= ax->nb; xb += 4) {
            const int *i0 = ax->idx + (size_t)xb * ax->K;
            const float *w0 = ax->wt + (size_t)xb * ax->K;
            const int K = ax->K;
            int nt = ax->ntap[xb];
            for (int q = 1; q < 4; q++)
                nt = ax->ntap[xb + q] > nt ? ax->ntap[xb + q] : nt;
            v4f a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
            for (int t = 0; t < nt; t++) {
                a0 += rin[i0[t]] * w0[t];
                a1 += rin[i0[K + t]] * w0[K + t];
                a2 += rin[i0[2 * K + t]] * w0[2 * K + t];
                a3 += rin[i0[3 * K + t]] * w0[3 * K + t];
            }
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

static const v4f *cached_xrow(detect_worker *w, const window *win, int ya)
{
    const int n = win->ax->nb;
    for (int i = 0; i < 2; i++)
        if (w->tag[i] == ya)
            return w->rows + (size_t)i * n;
    int slot = w->next_slot;
    w->next_slot ^= 1;
    w->tag[slot] = ya;
    xpass(w, win, ya, w->rows + (size_t)slot * n);
    return w->rows + (size_t)slot * n;
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
    const int n = win->ax->nb;
    const int *idx = ay->idx + (size_t)yb * ay->K;
    const float *wt = ay->wt + (size_t)yb * ay->K;
    memset(acc, 0, (size_t)n * sizeof *acc);
    for (int t = 0; t < ay->ntap[yb]; t++) {
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

static void reset_cache(detect_worker *w)
{
    w->tag[0] = w->tag[1] = INT32_MIN;
    w->next_slot = 0;
}

/* Rows [y0, y1) of pyramid level sp, normalised, into dst (planar rows).
 * Neighbouring bands share 10 rows, resampled by both. */
int detect_level_rows(detect_cascade *c, detect_worker *w, const detect_scale *sp, int y0, int y1, float *dst)
{
    const fiie_image *img = c->img;
    const int ws = sp->ws;
    int rc = DETECT_GROW(w->rows, w->rows_cap, (size_t)ws * 2);
    if (!rc)
        rc = DETECT_GROW(w->acc, w->acc_cap, (size_t)ws);
    if (!rc)
        rc = DETECT_GROW(w->src, w->src_cap, (size_t)img->width);
    if (rc)
        return rc;
    window win = {c->k, img, 0, 0, (int)img->width, &sp->ax.a, &sp->ay.a, 1};
    const int same = sp->hs == (int)img->height && ws == (int)img->width;
    reset_cache(w);
    for (int y = y0; y < y1; y++) {
        float *row = dst + (size_t)(y - y0) * ws * 3;
        if (same)
            copy_row(w, &win, y, ws, 1, row);
        else
            resample_row(w, &win, y, w->acc, 1, row);
    }
    return 0;
}

int detect_plan_scales(detect_cascade *c, const detect_params *p, const fiie_model *m, int h, int w,
                       size_t *ntasks)
{
    const double mscale = 12.0 / p->min_face;
    double minl = (h < w ? h : w) * mscale;
    size_t n = 0, tasks = 0;
    c->nscales = 0;
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
        if ((rc = detect_axis_prepare(&sp->ax, w, ws, 1)) != 0 ||
            (rc = detect_axis_prepare(&sp->ay, h, hs, 1)) != 0)
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
    window win = {c->k, c->img, x1 - 1, y1 - 1, tw, NULL, NULL,
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
        rc = DETECT_GROW(w->rows, w->rows_cap, (size_t)size * 2);
    if (!rc)
        rc = DETECT_GROW(w->acc, w->acc_cap, (size_t)size);
    if (rc)
        return rc;
    win.ax = &w->ax.a;
    win.ay = &w->ay.a;
    reset_cache(w);
    for (int y = 0; y < size; y++)
        resample_row(w, &win, y, w->acc, 0, dst + (size_t)y * size * 3);
    return 0;
}

