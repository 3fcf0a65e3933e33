/* lib/detect: the MTCNN cascade behind fiie/detector.h, following the
 * original detect_face.m conventions (pyramid, P-Net/R-Net/O-Net, NMS,
 * regression, landmarks). The folder's one shared header: its files meet
 * here; no other folder of the library includes it (tests and benchmarks
 * do, for the white-box hooks at the end). */
#ifndef FIIE_LIB_DETECT_DETECT_H
#define FIIE_LIB_DETECT_DETECT_H

#include <stddef.h>
#include <stdint.h>

#include "common/common.h"
#include "detect/model.h"
#include "detect/nn.h"
#include "detect/resample.h"
#include "fiie/detector.h"
#include "fiie/image.h"

typedef struct detect_params {
    double min_face, factor;
    float th[3];
    int v1flip;
} detect_params;

/* A candidate box in MATLAB 1-based coordinates (as detect_face.m). */
typedef struct detect_box {
    double x1, y1, x2, y2, score;
    float reg[4];
    float pts[10];
    size_t idx; /* crop index (stage 3 bookkeeping) */
} detect_box;

typedef struct detect_list {
    detect_box *v;
    size_t n, cap;
} detect_list;

typedef struct detect_cascade detect_cascade;

int detect_cascade_new(detect_cascade **out, int threads);
void detect_cascade_free(detect_cascade *c);

/* Run the cascade. On success the final faces (best first, landmarks in
 * pts: x1..x5, y1..y5 already in 0-based image coordinates, boxes still
 * 1-based as detect_face.m) are in *out until the next call. */
int detect_cascade_run(detect_cascade *c, const fiie_model *m, const detect_nn_kernels *k,
                       const detect_params *p, const fiie_image *img, const detect_list **out);

/* Greedy NMS of nms.m (stable ascending order, the last = best is taken
 * first). order and pick hold n entries each; the picked indices end up in
 * pick, best first; returns their count. */
size_t detect_nms(const detect_box *b, size_t n, double thr, int use_min, size_t *order,
                  size_t *pick);

/* detect_nms() with the same picks in the same order (*np of them), in
 * about linear time for many boxes: each box is compared only with the
 * kept boxes near it (a grid), so textured images with 10^5 P-Net boxes
 * per level do not take minutes. 0 or FIIE_E_NO_MEMORY. */
int detect_nms_fast(const detect_box *b, size_t n, double thr, int use_min, size_t *order,
                    size_t *pick, size_t *np);

/* ---- scratch.c: buffers, lists, axes, tasks ------------------------------- */

/* Grow *p (capacity *cap elements of elem bytes) to hold n; 0,
 * FIIE_E_TOO_LARGE or FIIE_E_NO_MEMORY. Capacities only grow within a
 * run, so the buffers of a detector are reused from call to call (up to
 * DETECT_KEEP_BYTES each). They are image buffers (common_buf_realloc:
 * they hold resampled pixels, and the big ones a run releases must not
 * raise malloc's mmap threshold), released with common_buf_free(). */
int detect_grow(void **p, size_t *cap, size_t n, size_t elem);
#define DETECT_GROW(ptr, cap, n) detect_grow((void **)&(ptr), &(cap), (n), sizeof *(ptr))

int detect_list_push(detect_list *l, const detect_box *b);

/* Resampling coefficients along one axis with a reusable buffer. */
typedef struct detect_axis_buf {
    detect_resample_axis a;
    size_t cap_idx, cap_wt, cap_n;
} detect_axis_buf;

int detect_axis_prepare(detect_axis_buf *ab, int na, int nb, int single);
void detect_axis_free(detect_axis_buf *ab);

/* Four floats (R, G, B, unused) processed as one vector: each lane does
 * exactly the scalar float operations of the reference (a product, then
 * a sum, no fused multiply-add), so results are bit-identical. */
typedef float v4f __attribute__((vector_size(16)));

#define DETECT_PNET_BAND 32 /* P-Net map rows per task */
/* After a run on an image of more than DETECT_TRIM_PIXELS, scratch
 * buffers larger than DETECT_KEEP_BYTES are released (see cascade.c);
 * smaller images keep all of theirs for the next call. */
#define DETECT_KEEP_BYTES ((size_t)1 << 20)
#define DETECT_TRIM_PIXELS 3000000.0

/* Per-thread scratch, kept between calls. */
typedef struct detect_worker {
    float *in, *b0, *b1, *flip;
    v4f *rows, *acc; /* nslots cached x-pass rows, one y-pass row */
    v4f *src;        /* the source pixels of one row of a window, as floats */
    int *tags;       /* window row held by each slot of rows */
    size_t in_cap, b0_cap, b1_cap, flip_cap, rows_cap, acc_cap, src_cap, tags_cap;
    int nslots;
    detect_axis_buf ax, ay;
} detect_worker;

/* Large images (more than DETECT_CASCADE_PIXELS): a pyramid level at
 * scale <= 1/2^k is resampled from R_k, the image reduced k times by
 * exact 2x2 sums (R_k holds, per channel, the sum of 4^k source pixels:
 * exact in 16 bits for k <= DETECT_MAX_HALVINGS; an odd last row or
 * column is paired with itself), instead of from the full-resolution
 * pixels 20-odd times. Smaller images keep the reference's pyramid. */
#define DETECT_CASCADE_PIXELS 3000000.0
#define DETECT_MAX_HALVINGS 4

typedef struct detect_reduced {
    uint16_t *px; /* width x height RGB sums, rows packed */
    size_t bytes; /* of px (common_alloc_pages) */
    int width, height;
} detect_reduced;

typedef struct detect_scale {
    double scale;
    int hs, ws, oh, ow, nbands;
    int halvings; /* resampled from R_halvings (0: the image itself) */
    size_t first_task;
    detect_axis_buf ax, ay;
} detect_scale;

typedef struct detect_crop_out {
    float score, reg[4], pts[10], flip_pts[10];
} detect_crop_out;

struct detect_cascade {
    int nworkers;
    detect_worker w[FIIE_MAX_THREADS];
    detect_scale *scales;
    size_t nscales, scales_cap;
    detect_reduced reduced[DETECT_MAX_HALVINGS + 1]; /* [k] = R_k; [0] unused */
    int nreduced;                                    /* R_1 .. R_nreduced needed */
    detect_list *bands;
    size_t bands_cap;
    const fiie_image *img;
    const detect_nn_kernels *k;
    detect_list tmp, stage1, stage2, final;
    detect_crop_out *crops;
    size_t crops_cap;
    float *feat; /* per crop: the 3x3xC input of the fully connected layer */
    size_t feat_cap;
    size_t *order, *pick;
    size_t order_cap, pick_cap;
    size_t *crop_order; /* the boxes in the order their crops are made */
    size_t crop_order_cap;
};


/* One task of a stage: task index, the thread's own scratch. */
typedef int (*detect_task_fn)(detect_cascade *c, detect_worker *w, size_t task, void *arg);

/* Run fn on tasks 0..n-1 over the cascade's threads (common_run_tasks),
 * each thread with its own detect_worker. */
int detect_run_tasks(detect_cascade *c, size_t n, detect_task_fn fn, void *arg);

/* What the stages share for one call. */
typedef struct detect_stage_arg {
    const fiie_model *m;
    const detect_nn_kernels *k;
    const detect_params *p;
    const detect_list *boxes;
    const size_t *crop_order; /* task t crops box crop_order[t] */
    int size;
    int flip;
} detect_stage_arg;


/* ---- pyramid.c: resampling straight from the caller's pixels -------------- */

/* Plan the pyramid levels of an h x w image and their P-Net bands; *ntasks
 * is the number of bands over all levels. FIIE_E_TOO_LARGE when an
 * up-sampled first level would exceed FIIE_MAX_PIXELS. */
int detect_plan_scales(detect_cascade *c, const detect_params *p, const fiie_model *m, int h, int w,
                       size_t *ntasks);

/* Make R_1 .. R_nreduced of c->img for the planned levels (no-op when
 * none is needed); detect_free_reduced() releases them. */
int detect_build_reduced(detect_cascade *c);
void detect_free_reduced(detect_cascade *c);

/* Rows [y0, y1) of pyramid level sp, normalised, into dst as planar rows
 * (row y's R, G, B planes of ws floats each: detect_nn_forward_planar()'s
 * input). */
int detect_level_rows(detect_cascade *c, detect_worker *w, const detect_scale *sp, int y0, int y1,
                      float *dst);

/* The size x size normalised patch the R-Net (24) or O-Net (48) sees for
 * box b (pad.m + crop + imResample of detect_face.m). */
int detect_crop(detect_cascade *c, detect_worker *w, const detect_box *b, int size, float *dst);

/* ---- nms.c: non-maximum suppression and the box rules --------------------- */

/* NMS of list l into out (in pick order), scratch from c. */
int detect_nms_list(detect_cascade *c, const detect_list *l, double thr, int use_min,
                    detect_list *out);

/* rerec.m: square the box around its centre. */
void detect_square(detect_box *b);
/* bbreg.m: apply the regression offsets (width x2 - x1 + 1). */
void detect_regress(detect_box *b, const float reg[4]);
/* fix.m: truncate the corners towards zero. */
void detect_truncate(detect_box *b);

/* Face probability from the two logits (softmax, second class). */
float detect_face_prob(float a0, float a1);

/* P-Net's map is mostly background. detect_face_prob() is a function of
 * d = a1 - a0 alone (the float difference), increasing; a cell with
 * d < detect_logit_floor(th), the threshold's logit log(th / (1 - th))
 * less a margin far above the rounding of expf and the division, cannot
 * reach th and skips the softmax (-INFINITY: no shortcut for th). */
float detect_logit_floor(float th);

/* ---- pnet.c, refine.c: the three stages ---------------------------------- */

/* P-Net over the pyramid, NMS per level and across levels, regression:
 * the proposals in c->stage1. */
int detect_stage1(detect_cascade *c, const detect_stage_arg *arg, int h, int w);
/* R-Net on the proposals: c->stage2. */
int detect_stage2(detect_cascade *c, detect_stage_arg *arg);
/* O-Net and landmarks: c->final. */
int detect_stage3(detect_cascade *c, detect_stage_arg *arg);

/* ---- detector.c: white-box hooks for tests and benchmarks ---------------- */

/* Validate an image struct as fiie_detector_detect() does. */
/* The smallest face side FIIE_MIN_FACE_BY_SIZE means for a width x height
 * image: 10 px up to 3 MP, growing with the image side to 20 px at 12 MP. */
double detect_min_face_by_size(uint32_t width, uint32_t height);

int detect_check_image(const fiie_image *img);

/* Select the CPU kernels: "portable", "avx2", "avx512", or NULL for the
 * best this CPU runs; FIIE_E_UNSUPPORTED when the CPU or build lacks them. */
int detect_use_kernels(fiie_detector *d, const char *name);
const char *detect_kernels_name(const fiie_detector *d);

#endif /* FIIE_LIB_DETECT_DETECT_H */
