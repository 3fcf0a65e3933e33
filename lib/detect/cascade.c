/* MTCNN cascade, following the MTCNNv1 detect_face.m conventions listed in
 * the project's reference notes: RGB input in [0, 255] resampled with
 * Piotr's imResample, normalised as (v - 127.5) * 0.0078125, P-Net on a
 * pyramid (cells of 12 px, stride 2), NMS 0.5 per scale then 0.7 across
 * scales, regression with width x2-x1 (P-Net) or x2-x1+1 (R/O-Net),
 * squaring (rerec), truncation (fix), zero-padded crops, R-Net (24 px),
 * O-Net (48 px) with "Min" NMS, landmarks relative to the O-Net input box.
 *
 * The nets were trained on transposed images; the model loader transposes
 * the kernels instead, so everything here runs on upright images (rows =
 * image y) and the P-Net map comes out in raster order directly.
 *
 * Memory: the image is never converted whole. Each P-Net band resamples
 * its own rows of the pyramid level straight from the caller's 8-bit
 * pixels (one source row at a time, as floats), so the scratch memory per
 * worker is one band, whatever the image size.
 *
 * Parallelism: P-Net work is split into fixed bands of map rows, R-Net and
 * O-Net into single crops. Every task writes its own output slot and the
 * slots are merged in task order, so the result never depends on the
 * thread count. */
#include "detect/cascade.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/resample.h"


#define PNET_BAND 32         /* P-Net map rows per task */
#define MAX_THREADS 64
#define NORM_MEAN 127.5f
#define NORM_SCALE 0.0078125f

/* Four floats (R, G, B, unused) processed as one vector: each lane does
 * exactly the scalar float operations of the reference (a product, then
 * a sum, no fused multiply-add), so results are bit-identical. */
typedef float v4f __attribute__((vector_size(16)));

/* ---------------------------------------------------------------- memory */

static int grow(void **p, size_t *cap, size_t n, size_t elem)
{
    if (n <= *cap)
        return 0;
    if (elem != 0 && n > SIZE_MAX / elem / 2)
        return FIIE_E_TOO_LARGE;
    size_t ncap = n + n / 2 + 16;
    void *q = realloc(*p, ncap * elem);
    if (q == NULL)
        return FIIE_E_NO_MEMORY;
    *p = q;
    *cap = ncap;
    return 0;
}

#define GROW(ptr, cap, n) grow((void **)&(ptr), &(cap), (n), sizeof *(ptr))

static int list_push(detect_list *l, const detect_box *b)
{
    int rc = GROW(l->v, l->cap, l->n + 1);
    if (rc)
        return rc;
    l->v[l->n++] = *b;
    return 0;
}

typedef struct axis_buf {
    detect_resample_axis a;
    size_t cap_idx, cap_wt, cap_n;
} axis_buf;

static int axis_prepare(axis_buf *ab, int na, int nb, int single)
{
    size_t slots = (size_t)nb * (size_t)detect_resample_taps(na, nb);
    int rc = GROW(ab->a.idx, ab->cap_idx, slots);
    if (!rc)
        rc = GROW(ab->a.wt, ab->cap_wt, slots);
    if (!rc)
        rc = GROW(ab->a.ntap, ab->cap_n, (size_t)nb);
    if (!rc)
        detect_resample_axis_compute(&ab->a, na, nb, single);
    return rc;
}

static void axis_free(axis_buf *ab)
{
    free(ab->a.idx);
    free(ab->a.wt);
    free(ab->a.ntap);
    memset(ab, 0, sizeof *ab);
}

/* Per-thread scratch, kept between calls. */
typedef struct worker {
    float *in, *b0, *b1, *flip;
    v4f *rows, *acc; /* two cached x-pass rows, one y-pass row */
    v4f *src;        /* the source pixels of one row of a window, as floats */
    size_t in_cap, b0_cap, b1_cap, flip_cap, rows_cap, acc_cap, src_cap;
    int tag[2], next_slot;
    axis_buf ax, ay;
} worker;

typedef struct scale_plan {
    double scale;
    int hs, ws, oh, ow, nbands;
    size_t first_task;
    axis_buf ax, ay;
} scale_plan;

typedef struct crop_out {
    float score, reg[4], pts[10], flip_pts[10];
} crop_out;

struct detect_cascade {
    int nworkers;
    worker w[MAX_THREADS];
    scale_plan *scales;
    size_t nscales, scales_cap;
    detect_list *bands;
    size_t bands_cap;
    const fiie_image *img;
    const detect_nn_kernels *k;
    detect_list tmp, stage1, stage2, final;
    crop_out *crops;
    size_t crops_cap;
    float *feat; /* per crop: the 3x3xC input of the fully connected layer */
    size_t feat_cap;
    size_t *order, *pick;
    size_t order_cap, pick_cap;
};

int detect_cascade_new(detect_cascade **out, int threads)
{
    *out = NULL;
    if (threads < 1 || threads > MAX_THREADS)
        return FIIE_E_INVALID_ARGUMENT;
    detect_cascade *c = calloc(1, sizeof *c);
    if (c == NULL)
        return FIIE_E_NO_MEMORY;
    c->nworkers = threads;
    *out = c;
    return 0;
}

void detect_cascade_free(detect_cascade *c)
{
    if (c == NULL)
        return;
    for (int i = 0; i < MAX_THREADS; i++) {
        worker *w = &c->w[i];
        free(w->in);
        free(w->b0);
        free(w->b1);
        free(w->rows);
        free(w->acc);
        free(w->flip);
        free(w->src);
        axis_free(&w->ax);
        axis_free(&w->ay);
    }
    for (size_t i = 0; i < c->scales_cap; i++) {
        axis_free(&c->scales[i].ax);
        axis_free(&c->scales[i].ay);
    }
    free(c->scales);
    for (size_t i = 0; i < c->bands_cap; i++)
        free(c->bands[i].v);
    free(c->bands);
    free(c->tmp.v);
    free(c->stage1.v);
    free(c->stage2.v);
    free(c->final.v);
    free(c->crops);
    free(c->feat);
    free(c->order);
    free(c->pick);
    free(c);
}

/* ---------------------------------------------------------------- threads */

typedef int (*task_fn)(detect_cascade *c, worker *w, size_t task, void *arg);

typedef struct job {
    detect_cascade *c;
    task_fn fn;
    void *arg;
    size_t ntasks;
    atomic_size_t next;
    atomic_int err;
} job;

typedef struct thread_arg {
    job *j;
    worker *w;
} thread_arg;

static void *run_worker(void *p)
{
    thread_arg *t = p;
    job *j = t->j;
    for (;;) {
        size_t i = atomic_fetch_add(&j->next, 1);
        if (i >= j->ntasks || atomic_load(&j->err) != 0)
            break;
        int rc = j->fn(j->c, t->w, i, j->arg);
        if (rc != 0) {
            int zero = 0;
            atomic_compare_exchange_strong(&j->err, &zero, rc);
        }
    }
    return NULL;
}

/* Run fn on tasks 0..n-1 with up to c->nworkers threads (the caller's
 * thread included). If a thread cannot be started the others do its share. */
static int run_tasks(detect_cascade *c, size_t n, task_fn fn, void *arg)
{
    job j = {.c = c, .fn = fn, .arg = arg, .ntasks = n};
    atomic_init(&j.next, 0);
    atomic_init(&j.err, 0);
    pthread_t tid[MAX_THREADS];
    thread_arg ta[MAX_THREADS];
    int started = 0;
    size_t want = (size_t)c->nworkers < n ? (size_t)c->nworkers : n;
    for (size_t i = 1; i < want; i++) {
        ta[i] = (thread_arg){&j, &c->w[i]};
        if (pthread_create(&tid[started + 1], NULL, run_worker, &ta[i]) != 0)
            break;
        started++;
    }
    ta[0] = (thread_arg){&j, &c->w[0]};
    run_worker(&ta[0]);
    for (int i = 1; i <= started; i++)
        pthread_join(tid[i], NULL);
    return atomic_load(&j.err);
}

/* ---------------------------------------------------------------- pixels */

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
static int load_window_row(worker *w, const window *win, int y, int *lo, int *hi)
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
static void xpass(worker *w, const window *win, int ya, v4f *out)
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

static const v4f *cached_xrow(worker *w, const window *win, int ya)
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

/* Output row yb of the resampled window, normalised for the nets (3
 * floats per pixel); `acc` holds nb vectors of scratch. */
static void resample_row(worker *w, const window *win, int yb, v4f *acc, float *out)
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
    for (int i = 0; i < n; i++) {
        v4f v = acc[i] * DETECT_RESAMPLE_FINAL_SCALE;
        v = (v - NORM_MEAN) * NORM_SCALE;
        out[3 * i] = v[0];
        out[3 * i + 1] = v[1];
        out[3 * i + 2] = v[2];
    }
}

/* Row y of the window copied without resampling (imResample returns its
 * input unchanged when the size does not change). */
static void copy_row(worker *w, const window *win, int y, int width, float *out)
{
    int lo, hi;
    const int in = load_window_row(w, win, win->y0 + y, &lo, &hi);
    for (int x = 0; x < width; x++) {
        const int xx = win->x0 + x;
        v4f v = {0.0f, 0.0f, 0.0f, 0.0f};
        if (in && xx >= lo && xx < hi)
            v = w->src[xx - lo];
        v = (v - NORM_MEAN) * NORM_SCALE;
        out[3 * x] = v[0];
        out[3 * x + 1] = v[1];
        out[3 * x + 2] = v[2];
    }
}

static void reset_cache(worker *w)
{
    w->tag[0] = w->tag[1] = INT32_MIN;
    w->next_slot = 0;
}

/* ---------------------------------------------------------------- NMS */

/* Stable bottom-up merge sort of the indices 0..n-1 by ascending score
 * (numpy's argsort(kind="stable")); tmp holds n entries. */
static void sort_by_score(const detect_box *b, size_t n, size_t *order, size_t *tmp)
{
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    size_t *src = order, *dst = tmp;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = b[src[j]].score < b[src[i]].score ? src[j++] : src[i++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        size_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != order)
        memcpy(order, src, n * sizeof *order);
}

size_t detect_nms(const detect_box *b, size_t n, double thr, int use_min, size_t *order, size_t *pick)
{
    if (n == 0)
        return 0;
    sort_by_score(b, n, order, pick);
    size_t m = n, np = 0;
    while (m > 0) {
        size_t i = order[m - 1];
        pick[np++] = i;
        const detect_box *p = &b[i];
        double ai = (p->x2 - p->x1 + 1) * (p->y2 - p->y1 + 1);
        size_t keep = 0;
        for (size_t t = 0; t + 1 < m; t++) {
            const detect_box *q = &b[order[t]];
            double xx1 = fmax(p->x1, q->x1), yy1 = fmax(p->y1, q->y1);
            double xx2 = fmin(p->x2, q->x2), yy2 = fmin(p->y2, q->y2);
            double inter = fmax(0.0, xx2 - xx1 + 1) * fmax(0.0, yy2 - yy1 + 1);
            double aj = (q->x2 - q->x1 + 1) * (q->y2 - q->y1 + 1);
            double o = use_min ? inter / fmin(ai, aj) : inter / (ai + aj - inter);
            if (o <= thr)
                order[keep++] = order[t];
        }
        m = keep;
    }
    return np;
}

/* NMS of list l into c->tmp (in pick order). */
static int nms_list(detect_cascade *c, const detect_list *l, double thr, int use_min, detect_list *out)
{
    int rc = GROW(c->order, c->order_cap, l->n + 1);
    if (!rc)
        rc = GROW(c->pick, c->pick_cap, l->n + 1);
    if (rc)
        return rc;
    size_t np = detect_nms(l->v, l->n, thr, use_min, c->order, c->pick);
    out->n = 0;
    if ((rc = GROW(out->v, out->cap, np + 1)) != 0)
        return rc;
    for (size_t i = 0; i < np; i++)
        out->v[out->n++] = l->v[c->pick[i]];
    return 0;
}

/* ---------------------------------------------------------------- box rules */

static void rerec(detect_box *b)
{
    double w = b->x2 - b->x1, h = b->y2 - b->y1;
    double l = fmax(w, h);
    b->x1 = b->x1 + w * 0.5 - l * 0.5;
    b->y1 = b->y1 + h * 0.5 - l * 0.5;
    b->x2 = b->x1 + l;
    b->y2 = b->y1 + l;
}

static void bbreg(detect_box *b, const float reg[4])
{
    double w = b->x2 - b->x1 + 1, h = b->y2 - b->y1 + 1;
    b->x1 += reg[0] * w;
    b->y1 += reg[1] * h;
    b->x2 += reg[2] * w;
    b->y2 += reg[3] * h;
}

static void fix_box(detect_box *b)
{
    b->x1 = trunc(b->x1);
    b->y1 = trunc(b->y1);
    b->x2 = trunc(b->x2);
    b->y2 = trunc(b->y2);
}

static float softmax1(float a0, float a1)
{
    float m = a0 > a1 ? a0 : a1;
    float e0 = expf(a0 - m), e1 = expf(a1 - m);
    return e1 / (e0 + e1);
}

/* ---------------------------------------------------------------- stage 1 */

typedef struct stage_arg {
    const fiie_model *m;
    const detect_nn_kernels *k;
    const detect_params *p;
    const detect_list *boxes;
    int size;
    int flip;
} stage_arg;

static size_t find_scale(const detect_cascade *c, size_t task)
{
    size_t si = 0;
    while (si + 1 < c->nscales && c->scales[si + 1].first_task <= task)
        si++;
    return si;
}

/* Rows [y0, y1) of pyramid level sp, normalised, into dst (3 floats per
 * pixel). Neighbouring bands share 10 rows, resampled by both. */
static int level_rows(detect_cascade *c, worker *w, const scale_plan *sp, int y0, int y1, float *dst)
{
    const fiie_image *img = c->img;
    const int ws = sp->ws;
    int rc = GROW(w->rows, w->rows_cap, (size_t)ws * 2);
    if (!rc)
        rc = GROW(w->acc, w->acc_cap, (size_t)ws);
    if (!rc)
        rc = GROW(w->src, w->src_cap, (size_t)img->width);
    if (rc)
        return rc;
    window win = {c->k, img, 0, 0, (int)img->width, &sp->ax.a, &sp->ay.a, 1};
    const int same = sp->hs == (int)img->height && ws == (int)img->width;
    reset_cache(w);
    for (int y = y0; y < y1; y++) {
        float *row = dst + (size_t)(y - y0) * ws * 3;
        if (same)
            copy_row(w, &win, y, ws, row);
        else
            resample_row(w, &win, y, w->acc, row);
    }
    return 0;
}

static int pnet_task(detect_cascade *c, worker *w, size_t task, void *argp)
{
    const stage_arg *arg = argp;
    const scale_plan *sp = &c->scales[find_scale(c, task)];
    const int band = (int)(task - sp->first_task);
    const int r0 = band * PNET_BAND;
    const int r1 = r0 + PNET_BAND < sp->oh ? r0 + PNET_BAND : sp->oh;
    const int iy0 = 2 * r0;
    const int iy1 = 2 * r1 + 10 < sp->hs ? 2 * r1 + 10 : sp->hs;
    const int hb = iy1 - iy0, ws = sp->ws;
    const detect_nn_net *net = &arg->m->pnet;
    size_t act = detect_nn_max_activation(net, hb, ws);
    int rc = GROW(w->b0, w->b0_cap, act);
    if (!rc)
        rc = GROW(w->b1, w->b1_cap, act);
    if (!rc)
        rc = GROW(w->in, w->in_cap, (size_t)hb * ws * 3);
    if (!rc)
        rc = level_rows(c, w, sp, iy0, iy1, w->in);
    if (rc)
        return rc;
    const float *in = w->in;
    int oh, ow;
    const float *out = detect_nn_forward(arg->k, net, in, hb, ws, w->b0, w->b1, &oh, &ow);
    if (oh != r1 - r0 || ow != sp->ow)
        return FIIE_E_INVALID_ARGUMENT; /* cannot happen: band geometry */
    detect_list *dst = &c->bands[task];
    dst->n = 0;
    const float th = arg->p->th[0];
    const double scale = sp->scale;
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++) {
            const float *o = out + ((size_t)y * ow + x) * 6;
            float prob = softmax1(o[0], o[1]);
            if (!(prob >= th))
                continue;
            const int gy = r0 + y;
            detect_box b = {0};
            b.x1 = trunc((2.0 * x + 1.0) / scale);
            b.y1 = trunc((2.0 * gy + 1.0) / scale);
            b.x2 = trunc((2.0 * x + 12.0) / scale);
            b.y2 = trunc((2.0 * gy + 12.0) / scale);
            b.score = prob;
            memcpy(b.reg, o + 2, sizeof b.reg);
            if ((rc = list_push(dst, &b)) != 0)
                return rc;
        }
    return 0;
}

static int plan_scales(detect_cascade *c, const detect_params *p, const fiie_model *m, int h, int w,
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
        int rc = GROW(c->scales, c->scales_cap, n + 1);
        if (rc)
            return rc;
        if (c->scales_cap > old) /* new slots: empty axis buffers */
            memset(c->scales + old, 0, (c->scales_cap - old) * sizeof *c->scales);
        scale_plan *sp = &c->scales[n];
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
        sp->nbands = (oh + PNET_BAND - 1) / PNET_BAND;
        sp->first_task = tasks;
        if ((rc = axis_prepare(&sp->ax, w, ws, 1)) != 0 ||
            (rc = axis_prepare(&sp->ay, h, hs, 1)) != 0)
            return rc;
        tasks += (size_t)sp->nbands;
        n++;
        c->nscales = n;
    }
    *ntasks = tasks;
    return 0;
}

static int stage1(detect_cascade *c, const stage_arg *arg, int h, int w)
{
    size_t ntasks = 0;
    int rc = plan_scales(c, arg->p, arg->m, h, w, &ntasks);
    if (rc)
        return rc;
    if (ntasks > c->bands_cap) {
        detect_list *nb = realloc(c->bands, ntasks * sizeof *nb);
        if (nb == NULL)
            return FIIE_E_NO_MEMORY;
        memset(nb + c->bands_cap, 0, (ntasks - c->bands_cap) * sizeof *nb);
        c->bands = nb;
        c->bands_cap = ntasks;
    }
    /* Every band of every scale is one task (resampling, then P-Net):
     * one pool of work, each result in its own slot. */
    stage_arg sa = *arg;
    if ((rc = run_tasks(c, ntasks, pnet_task, &sa)) != 0)
        return rc;
    detect_list all = {0}, per = {0};
    c->stage1.n = 0;
    for (size_t s = 0; s < c->nscales && !rc; s++) {
        const scale_plan *sp = &c->scales[s];
        c->tmp.n = 0;
        for (int b = 0; b < sp->nbands && !rc; b++) {
            const detect_list *l = &c->bands[sp->first_task + (size_t)b];
            for (size_t i = 0; i < l->n && !rc; i++)
                rc = list_push(&c->tmp, &l->v[i]);
        }
        if (!rc)
            rc = nms_list(c, &c->tmp, 0.5, 0, &per);
        for (size_t i = 0; i < per.n && !rc; i++)
            rc = list_push(&all, &per.v[i]);
    }
    if (!rc)
        rc = nms_list(c, &all, 0.7, 0, &c->stage1);
    free(all.v);
    free(per.v);
    if (rc)
        return rc;
    for (size_t i = 0; i < c->stage1.n; i++) {
        detect_box *b = &c->stage1.v[i];
        double rw = b->x2 - b->x1, rh = b->y2 - b->y1;
        detect_box o = *b;
        o.x1 = b->x1 + b->reg[0] * rw;
        o.y1 = b->y1 + b->reg[1] * rh;
        o.x2 = b->x2 + b->reg[2] * rw;
        o.y2 = b->y2 + b->reg[3] * rh;
        rerec(&o);
        fix_box(&o);
        *b = o;
    }
    return 0;
}

/* ---------------------------------------------------------------- stages 2, 3 */

/* Largest box side cropped; larger (absurd) boxes give an all-zero patch. */
#define MAX_CROP_SIDE (1 << 20)

/* pad.m + crop + imResample of one box into a size x size normalised patch. */
static int make_crop(detect_cascade *c, worker *w, const detect_box *b, int size, float *dst)
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
    int rc = GROW(w->src, w->src_cap, (size_t)c->img->width);
    if (rc)
        return rc;
    if (tw == size && th == size) {
        for (int y = 0; y < size; y++)
            copy_row(w, &win, y, size, dst + (size_t)y * size * 3);
        return 0;
    }
    rc = axis_prepare(&w->ax, tw, size, 0);
    if (!rc)
        rc = axis_prepare(&w->ay, th, size, 0);
    if (!rc)
        rc = GROW(w->rows, w->rows_cap, (size_t)size * 2);
    if (!rc)
        rc = GROW(w->acc, w->acc_cap, (size_t)size);
    if (rc)
        return rc;
    win.ax = &w->ax.a;
    win.ay = &w->ay.a;
    reset_cache(w);
    for (int y = 0; y < size; y++)
        resample_row(w, &win, y, w->acc, dst + (size_t)y * size * 3);
    return 0;
}

/* R-Net and O-Net run in two steps: the convolutions per crop (crop_task)
 * down to the 3x3xC map, whose (y, x, c) order is the input order of the
 * fully connected layer; then the fully connected layer and the heads for
 * a batch of crops at once (fc_task), as 1x1 convolutions over a row of
 * crops, so that each weight load serves several crops. Each output
 * still sums its terms in the same order, so batching changes no bit. */
#define FC_BATCH 32

static int crop_task(detect_cascade *c, worker *w, size_t task, void *argp)
{
    const stage_arg *arg = argp;
    const int size = arg->size;
    const detect_nn_net *net = size == 24 ? &arg->m->rnet : &arg->m->onet;
    const size_t nb = arg->boxes->n, F = (size_t)net->layer[net->n - 2].cin * 9;
    size_t act = detect_nn_max_activation(net, size, size);
    size_t n = (size_t)size * size * 3;
    int rc = GROW(w->in, w->in_cap, n);
    if (!rc)
        rc = GROW(w->b0, w->b0_cap, act);
    if (!rc)
        rc = GROW(w->b1, w->b1_cap, act);
    if (!rc && arg->flip)
        rc = GROW(w->flip, w->flip_cap, n);
    if (!rc)
        rc = make_crop(c, w, &arg->boxes->v[task], size, w->in);
    if (rc)
        return rc;
    int oh, ow;
    const float *o = detect_nn_forward_layers(arg->k, net, 0, net->n - 2, w->in, size, size, w->b0,
                                       w->b1, &oh, &ow);
    memcpy(c->feat + task * F, o, F * sizeof *o);
    if (arg->flip) {
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                memcpy(w->flip + ((size_t)y * size + x) * 3,
                       w->in + ((size_t)y * size + (size - 1 - x)) * 3, 3 * sizeof(float));
        o = detect_nn_forward_layers(arg->k, net, 0, net->n - 2, w->flip, size, size, w->b0, w->b1,
                              &oh, &ow);
        memcpy(c->feat + (nb + task) * F, o, F * sizeof *o);
    }
    return 0;
}

/* Crops [FC_BATCH task, ...) of the normal (then, with flip, the mirrored)
 * crops through the fully connected layer and the heads. */
static int fc_task(detect_cascade *c, worker *w, size_t task, void *argp)
{
    const stage_arg *arg = argp;
    const detect_nn_net *net = arg->size == 24 ? &arg->m->rnet : &arg->m->onet;
    const detect_nn_layer *fc = &net->layer[net->n - 2], *head = &net->layer[net->n - 1];
    const size_t nb = arg->boxes->n, total = arg->flip ? 2 * nb : nb;
    const size_t F = (size_t)fc->cin * 9, i0 = task * FC_BATCH;
    const int m = (int)(total - i0 < FC_BATCH ? total - i0 : FC_BATCH);
    /* the fc weights [3][3][cin][o] are those of a 1x1 conv with 9 cin inputs */
    detect_nn_layer fc1 = *fc;
    fc1.k = 1;
    fc1.cin = (int)F;
    int rc = GROW(w->b0, w->b0_cap, (size_t)m * fc->cout_pad);
    if (!rc)
        rc = GROW(w->b1, w->b1_cap, (size_t)m * head->cout_pad);
    if (rc)
        return rc;
    arg->k->conv(&fc1, c->feat + i0 * F, 1, m, w->b0);
    arg->k->conv(head, w->b0, 1, m, w->b1);
    for (int j = 0; j < m; j++) {
        const float *o = w->b1 + (size_t)j * head->cout;
        size_t i = i0 + (size_t)j;
        if (i >= nb) {
            memcpy(c->crops[i - nb].flip_pts, o + 6, sizeof c->crops[0].flip_pts);
            continue;
        }
        crop_out *co = &c->crops[i];
        co->score = softmax1(o[0], o[1]);
        memcpy(co->reg, o + 2, sizeof co->reg);
        if (arg->size == 48)
            memcpy(co->pts, o + 6, sizeof co->pts);
    }
    return 0;
}

static int run_crops(detect_cascade *c, stage_arg *arg, const detect_list *boxes, int size, int flip)
{
    const detect_nn_net *net = size == 24 ? &arg->m->rnet : &arg->m->onet;
    const size_t F = (size_t)net->layer[net->n - 2].cin * 9;
    const size_t total = (flip ? 2 : 1) * boxes->n;
    int rc = GROW(c->crops, c->crops_cap, boxes->n + 1);
    if (!rc)
        rc = GROW(c->feat, c->feat_cap, total * F + 1);
    if (rc)
        return rc;
    arg->boxes = boxes;
    arg->size = size;
    arg->flip = flip;
    if ((rc = run_tasks(c, boxes->n, crop_task, arg)) != 0)
        return rc;
    return run_tasks(c, (total + FC_BATCH - 1) / FC_BATCH, fc_task, arg);
}

static int stage2(detect_cascade *c, stage_arg *arg)
{
    c->stage2.n = 0;
    if (c->stage1.n == 0)
        return 0;
    int rc = run_crops(c, arg, &c->stage1, 24, 0);
    if (rc)
        return rc;
    c->tmp.n = 0;
    for (size_t i = 0; i < c->stage1.n && !rc; i++) {
        const crop_out *co = &c->crops[i];
        if (!(co->score > arg->p->th[1]))
            continue;
        detect_box b = c->stage1.v[i];
        b.score = co->score;
        memcpy(b.reg, co->reg, sizeof b.reg);
        rc = list_push(&c->tmp, &b);
    }
    if (rc || c->tmp.n == 0)
        return rc;
    if ((rc = nms_list(c, &c->tmp, 0.7, 0, &c->stage2)) != 0)
        return rc;
    for (size_t i = 0; i < c->stage2.n; i++) {
        bbreg(&c->stage2.v[i], c->stage2.v[i].reg);
        rerec(&c->stage2.v[i]);
    }
    return 0;
}

static int stage3(detect_cascade *c, stage_arg *arg)
{
    c->final.n = 0;
    if (c->stage2.n == 0)
        return 0;
    detect_list in = {0};
    int rc = 0;
    for (size_t i = 0; i < c->stage2.n && !rc; i++) {
        detect_box b = c->stage2.v[i];
        fix_box(&b);
        rc = list_push(&in, &b);
    }
    if (!rc)
        rc = run_crops(c, arg, &in, 48, arg->p->v1flip);
    /* pre: the O-Net input boxes that passed (landmarks are relative to
     * them); tmp: the same boxes after regression, for the final NMS */
    detect_list pre = {0};
    c->tmp.n = 0;
    for (size_t i = 0; i < in.n && !rc; i++) {
        const crop_out *co = &c->crops[i];
        if (!(co->score > arg->p->th[2]))
            continue;
        detect_box b0 = in.v[i];
        b0.score = co->score;
        memcpy(b0.reg, co->reg, sizeof b0.reg);
        rc = list_push(&pre, &b0);
        if (!rc) {
            detect_box b = b0;
            bbreg(&b, b.reg);
            b.idx = i;
            rc = list_push(&c->tmp, &b);
        }
    }
    if (!rc && c->tmp.n > 0) {
        rc = GROW(c->order, c->order_cap, c->tmp.n + 1);
        if (!rc)
            rc = GROW(c->pick, c->pick_cap, c->tmp.n + 1);
        size_t np = rc ? 0 : detect_nms(c->tmp.v, c->tmp.n, 0.7, 1, c->order, c->pick);
        if (!rc)
            rc = GROW(c->final.v, c->final.cap, np + 1);
        for (size_t t = 0; t < np && !rc; t++) {
            size_t k = c->pick[t];
            detect_box out = c->tmp.v[k];
            const detect_box *bt = &pre.v[k];
            const crop_out *co = &c->crops[c->tmp.v[k].idx];
            double w = bt->x2 - bt->x1 + 1, h = bt->y2 - bt->y1 + 1;
            for (int j = 0; j < 5; j++) {
                double px = co->pts[j], py = co->pts[5 + j];
                if (arg->p->v1flip) {
                    static const int mx[5] = {1, 0, 2, 4, 3};
                    double fx = 1.0 - (double)co->flip_pts[mx[j]];
                    double fy = (double)co->flip_pts[5 + mx[j]];
                    px = (px + fx) / 2.0;
                    py = (py + fy) / 2.0;
                }
                out.pts[j] = (float)(w * px + bt->x1 - 1);
                out.pts[5 + j] = (float)(h * py + bt->y1 - 1);
            }
            c->final.v[c->final.n++] = out;
        }
    }
    free(in.v);
    free(pre.v);
    return rc;
}

int detect_cascade_run(detect_cascade *c, const fiie_model *m, const detect_nn_kernels *k, const detect_params *p,
                 const fiie_image *img, const detect_list **out, const detect_list **s1,
                 const detect_list **s2)
{
    stage_arg arg = {.m = m, .k = k, .p = p};
    c->img = img;
    c->k = k;
    c->stage1.n = c->stage2.n = c->final.n = 0;
    int rc = stage1(c, &arg, (int)img->height, (int)img->width);
    if (!rc)
        rc = stage2(c, &arg);
    if (!rc)
        rc = stage3(c, &arg);
    if (rc)
        return rc;
    *out = &c->final;
    if (s1)
        *s1 = &c->stage1;
    if (s2)
        *s2 = &c->stage2;
    return 0;
}
