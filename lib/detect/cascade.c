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
#include "detect/detect.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

int detect_cascade_new(detect_cascade **out, int threads)
{
    *out = NULL;
    if (threads < 1 || (unsigned)threads > FIIE_MAX_THREADS)
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
    for (unsigned i = 0; i < FIIE_MAX_THREADS; i++) {
        detect_worker *w = &c->w[i];
        common_buf_free(w->in);
        common_buf_free(w->b0);
        common_buf_free(w->b1);
        common_buf_free(w->rows);
        common_buf_free(w->tags);
        common_buf_free(w->acc);
        common_buf_free(w->flip);
        common_buf_free(w->src);
        detect_axis_free(&w->ax);
        detect_axis_free(&w->ay);
    }
    for (size_t i = 0; i < c->scales_cap; i++) {
        detect_axis_free(&c->scales[i].ax);
        detect_axis_free(&c->scales[i].ay);
    }
    common_buf_free(c->scales);
    detect_free_reduced(c);
    for (size_t i = 0; i < c->bands_cap; i++)
        common_buf_free(c->bands[i].v);
    free(c->bands);
    common_buf_free(c->tmp.v);
    common_buf_free(c->stage1.v);
    common_buf_free(c->stage2.v);
    common_buf_free(c->final.v);
    common_buf_free(c->crops);
    common_buf_free(c->feat);
    common_buf_free(c->order);
    common_buf_free(c->pick);
    common_buf_free(c->crop_order);
    free(c);
}

/* Free one buffer if it holds more than DETECT_KEEP_BYTES. */
#define TRIM(ptr, cap)                                                                             \
    do {                                                                                           \
        if ((cap) * sizeof *(ptr) > DETECT_KEEP_BYTES) {                                           \
            common_buf_free(ptr);                                                                  \
            (ptr) = NULL;                                                                          \
            (cap) = 0;                                                                             \
        }                                                                                          \
    } while (0)

/* The scratch a large image needed (P-Net bands, crop batches, candidate
 * lists, the levels' coefficients) is released at the end of its run: a
 * 12 MP photo's 34 MB would otherwise stay with the detector while the
 * caller encrypts and encodes (a quarter of the CLI's peak memory), and
 * making them again costs milliseconds against seconds of detection.
 * Small images keep theirs for the next call, where page faults would
 * cost a few per cent. The lists the caller reads (stage1, stage2,
 * final) stay. */
static void trim_scratch(detect_cascade *c)
{
    for (unsigned i = 0; i < FIIE_MAX_THREADS; i++) {
        detect_worker *w = &c->w[i];
        TRIM(w->in, w->in_cap);
        TRIM(w->b0, w->b0_cap);
        TRIM(w->b1, w->b1_cap);
        TRIM(w->flip, w->flip_cap);
    }
    size_t bands = 0;
    for (size_t i = 0; i < c->bands_cap; i++)
        bands += c->bands[i].cap * sizeof *c->bands[i].v;
    if (bands > DETECT_KEEP_BYTES)
        for (size_t i = 0; i < c->bands_cap; i++) {
            common_buf_free(c->bands[i].v);
            memset(&c->bands[i], 0, sizeof c->bands[i]);
        }
    size_t axes = 0; /* every level's resampling coefficients, remade each run */
    for (size_t i = 0; i < c->scales_cap; i++)
        axes += (c->scales[i].ax.cap_idx + c->scales[i].ay.cap_idx) * sizeof(int) +
                (c->scales[i].ax.cap_wt + c->scales[i].ay.cap_wt) * sizeof(float);
    if (axes > DETECT_KEEP_BYTES)
        for (size_t i = 0; i < c->scales_cap; i++) {
            detect_axis_free(&c->scales[i].ax);
            detect_axis_free(&c->scales[i].ay);
        }
    TRIM(c->tmp.v, c->tmp.cap);
    c->tmp.n = 0;
    TRIM(c->crops, c->crops_cap);
    TRIM(c->feat, c->feat_cap);
    TRIM(c->order, c->order_cap);
    TRIM(c->pick, c->pick_cap);
    TRIM(c->crop_order, c->crop_order_cap);
}

int detect_cascade_run(detect_cascade *c, const fiie_model *m, const detect_nn_kernels *k,
                       const detect_params *p, const fiie_image *img, const detect_list **out)
{
    detect_stage_arg arg = {.m = m, .k = k, .p = p};
    c->img = img;
    c->k = k;
    c->stage1.n = c->stage2.n = c->final.n = 0;
    int rc = detect_stage1(c, &arg, (int)img->height, (int)img->width);
    if (!rc)
        rc = detect_stage2(c, &arg);
    if (!rc)
        rc = detect_stage3(c, &arg);
    if ((double)img->width * img->height > DETECT_TRIM_PIXELS)
        trim_scratch(c);
    if (rc)
        return rc;
    *out = &c->final;
    return 0;
}
