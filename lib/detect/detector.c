/* Public detector API (fiie/detector.h): options, handle, detection. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "detect/detect.h"
#include "detect/model.h"
#include "fiie/detector.h"

/* Smallest accepted min_face: the first pyramid level is then up-sampled
 * by 12 / 6 = 2 per axis at most (4x the pixels; detect_cascade_run() refuses
 * levels above FIIE_MAX_PIXELS before allocating anything). */
#define MIN_FACE_LOWER 6.0

struct fiie_detector {
    fiie_model *model;
    fiie_detector_options opt;
    const detect_nn_kernels *kernels;
    detect_cascade *ctx;
};

/* The settings each fiie_detector_preset names (fiie/detector.h): the one
 * place these numbers are written. */
typedef struct detector_preset {
    const char *name;
    double min_face;
    double factor;
    float thresholds[3];
} detector_preset;

/* The original MTCNN demo's settings: the defaults, and "fast". */
#define DEFAULT_SETTINGS 20.0, 0.709, {0.6f, 0.7f, 0.7f}

static const detector_preset presets[] = {
    [FIIE_DETECTOR_PRESET_DEFAULT] = {"default", DEFAULT_SETTINGS},
    [FIIE_DETECTOR_PRESET_HIGH_RECALL] = {"high-recall", FIIE_MIN_FACE_BY_SIZE, 0.79,
                                          {0.5f, 0.5f, 0.3f}},
    [FIIE_DETECTOR_PRESET_FAST] = {"fast", DEFAULT_SETTINGS},
};
#define PRESET_COUNT (sizeof presets / sizeof presets[0])

static void apply_preset(fiie_detector_options *o, const detector_preset *p)
{
    o->min_face = p->min_face;
    o->factor = p->factor;
    memcpy(o->thresholds, p->thresholds, sizeof o->thresholds);
}

int fiie_detector_options_init_v(fiie_detector_options *o, int abi_version)
{
    int rc = common_options_begin(o, sizeof *o, abi_version);
    if (rc)
        return rc;
    apply_preset(o, &presets[FIIE_DETECTOR_PRESET_DEFAULT]);
    o->max_faces = 0;
    o->threads = 1;
    o->landmarks = FIIE_LANDMARKS_PLAIN;
    return FIIE_OK;
}

int fiie_detector_options_preset(fiie_detector_options *o, int preset)
{
    if (o == NULL || preset < 0 || (size_t)preset >= PRESET_COUNT)
        return FIIE_E_INVALID_ARGUMENT;
    if (!common_abi_compatible(o->abi_version))
        return FIIE_E_VERSION;
    apply_preset(o, &presets[preset]);
    return FIIE_OK;
}

int fiie_detector_preset_from_name(const char *name, int *preset)
{
    if (name == NULL || preset == NULL)
        return FIIE_E_INVALID_ARGUMENT;
    for (size_t i = 0; i < PRESET_COUNT; i++)
        if (strcmp(name, presets[i].name) == 0) {
            *preset = (int)i;
            return FIIE_OK;
        }
    return FIIE_E_NOT_FOUND;
}

const char *fiie_detector_preset_name(int preset)
{
    if (preset < 0 || (size_t)preset >= PRESET_COUNT)
        return NULL;
    return presets[preset].name;
}

static int check_options(const fiie_detector_options *o)
{
    int rc = common_options_check(o->abi_version, o->reserved, sizeof o->reserved);
    if (rc != FIIE_OK)
        return rc;
    if (!(o->min_face == FIIE_MIN_FACE_BY_SIZE ||
          (o->min_face >= MIN_FACE_LOWER && o->min_face <= (double)FIIE_MAX_DIMENSION)))
        return FIIE_E_INVALID_ARGUMENT;
    if (!(o->factor > 0.0 && o->factor < 1.0))
        return FIIE_E_INVALID_ARGUMENT;
    for (int i = 0; i < 3; i++)
        if (!(o->thresholds[i] >= 0.0f && o->thresholds[i] <= 1.0f))
            return FIIE_E_INVALID_ARGUMENT;
    if (o->threads > FIIE_MAX_THREADS)
        return FIIE_E_INVALID_ARGUMENT;
    if (o->landmarks != FIIE_LANDMARKS_PLAIN && o->landmarks != FIIE_LANDMARKS_V1FLIP)
        return FIIE_E_INVALID_ARGUMENT;
    return FIIE_OK;
}

static int resolve_threads(uint32_t t)
{
    if (t != 0)
        return (int)t;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > (long)FIIE_MAX_THREADS ? (int)FIIE_MAX_THREADS : (int)n;
}

int fiie_detector_new(fiie_detector **out, const fiie_model *model,
                      const fiie_detector_options *o)
{
    if (out == NULL)
        return FIIE_E_INVALID_ARGUMENT;
    *out = NULL;
    fiie_detector_options def;
    if (o == NULL) {
        fiie_detector_options_init(&def);
        o = &def;
    }
    int rc = check_options(o);
    if (rc != FIIE_OK)
        return rc;
    fiie_detector *d = calloc(1, sizeof *d);
    if (d == NULL)
        return FIIE_E_NO_MEMORY;
    d->opt = *o;
    d->kernels = detect_nn_kernels_best();
    if (model != NULL)
        d->model = detect_model_ref(model);
    else
        rc = fiie_model_new_default(&d->model);
    if (rc == FIIE_OK)
        rc = detect_cascade_new(&d->ctx, resolve_threads(o->threads));
    if (rc != FIIE_OK) {
        fiie_detector_free(d);
        return rc;
    }
    *out = d;
    return FIIE_OK;
}

void fiie_detector_free(fiie_detector *d)
{
    if (d == NULL)
        return;
    detect_cascade_free(d->ctx);
    fiie_model_free(d->model);
    free(d);
}

int detect_check_image(const fiie_image *img)
{
    /* the image module's rules: sizes, limits, format, stride, flags */
    return fiie_image_validate(img);
}

int detect_use_kernels(fiie_detector *d, const char *name)
{
    if (name == NULL) {
        d->kernels = detect_nn_kernels_best();
        return FIIE_OK;
    }
    if (strcmp(name, "portable") == 0) {
        d->kernels = &detect_nn_kernels_portable;
        return FIIE_OK;
    }
#ifdef FIIE_HAVE_AVX2
    if (strcmp(name, "avx2") == 0 && common_cpu_has(COMMON_CPU_AVX2_FMA)) {
        d->kernels = &detect_nn_kernels_avx2;
        return FIIE_OK;
    }
    if (strcmp(name, "avx512") == 0 && common_cpu_has(COMMON_CPU_AVX2_FMA | COMMON_CPU_AVX512F)) {
        d->kernels = &detect_nn_kernels_avx512;
        return FIIE_OK;
    }
#endif
    return FIIE_E_UNSUPPORTED;
}

const char *detect_kernels_name(const fiie_detector *d)
{
    return d->kernels->name;
}

double detect_min_face_by_size(uint32_t width, uint32_t height)
{
    /* The side of the smallest face grows with the image's side (the
     * square root of its pixels): the same scene photographed at twice
     * the resolution has faces twice as large, so the floor keeps the
     * same share of the picture. 10 px up to 3 MP, 20 px from 12 MP
     * (4000 x 3000) up; measured on WIDER FACE up-scaled 2x and 3x
     * (docs/performance.md). */
    double side = 10.0 * sqrt((double)width * (double)height / 3e6);
    return side < 10.0 ? 10.0 : side > 20.0 ? 20.0 : side;
}

static int run_cascade(fiie_detector *d, const fiie_image *img, const detect_list **out)
{
    detect_params p = {
        .min_face = d->opt.min_face == FIIE_MIN_FACE_BY_SIZE
                        ? detect_min_face_by_size(img->width, img->height)
                        : d->opt.min_face,
        .factor = d->opt.factor,
        .th = {d->opt.thresholds[0], d->opt.thresholds[1], d->opt.thresholds[2]},
        .v1flip = d->opt.landmarks == FIIE_LANDMARKS_V1FLIP,
    };
    return detect_cascade_run(d->ctx, d->model, d->kernels, &p, img, out);
}

/* The common start of fiie_detector_detect() and fiie_detector_windows():
 * argument and image checks, then one run of the cascade. */
static int checked_run(fiie_detector *d, const fiie_image *img, const void *out, size_t cap,
                       size_t *n, const detect_list **res)
{
    if (n != NULL)
        *n = 0;
    if (d == NULL || n == NULL || (out == NULL && cap != 0))
        return FIIE_E_INVALID_ARGUMENT;
    int rc = detect_check_image(img);
    if (rc != FIIE_OK)
        return rc;
    return run_cascade(d, img, res);
}

int fiie_detector_detect(fiie_detector *d, const fiie_image *img, fiie_face *faces, size_t cap,
                         size_t *n)
{
    const detect_list *res;
    int rc = checked_run(d, img, faces, cap, n, &res);
    if (rc != FIIE_OK)
        return rc;
    size_t total = res->n;
    if (d->opt.max_faces != 0 && total > d->opt.max_faces)
        total = d->opt.max_faces;
    for (size_t i = 0; i < total && i < cap; i++) {
        const detect_box *b = &res->v[i];
        fiie_face *f = &faces[i];
        memset(f, 0, sizeof *f);
        /* detect_face.m boxes are 1-based inclusive: [x1-1, y1-1, x2, y2] */
        f->box[0] = (float)(b->x1 - 1);
        f->box[1] = (float)(b->y1 - 1);
        f->box[2] = (float)b->x2;
        f->box[3] = (float)b->y2;
        f->score = (float)b->score;
        for (int j = 0; j < 5; j++) {
            f->landmarks[j][0] = b->pts[j];
            f->landmarks[j][1] = b->pts[5 + j];
        }
    }
    *n = total;
    return total > cap ? FIIE_E_BUFFER_TOO_SMALL : FIIE_OK;
}

/* A window of the cascade's 1-based inclusive box (already truncated to
 * whole pixels); 0 when the cascade would crop nothing from it. */
static int window_of(const detect_box *b, int net, fiie_window *w)
{
    const double lim = 1 << 20; /* as detect_crop() */
    if (!(fabs(b->x1) < lim && fabs(b->x2) < lim && fabs(b->y1) < lim && fabs(b->y2) < lim))
        return 0;
    const double ww = b->x2 - b->x1 + 1, hh = b->y2 - b->y1 + 1;
    if (!(ww >= 1 && hh >= 1 && ww <= lim && hh <= lim))
        return 0;
    memset(w, 0, sizeof *w);
    w->net = net;
    w->x = (int32_t)b->x1 - 1;
    w->y = (int32_t)b->y1 - 1;
    w->w = (uint32_t)ww;
    w->h = (uint32_t)hh;
    w->score = (float)b->score;
    return 1;
}

int fiie_detector_windows(fiie_detector *d, const fiie_image *img, fiie_window *windows,
                          size_t cap, size_t *n)
{
    const detect_list *res;
    int rc = checked_run(d, img, windows, cap, n, &res);
    if (rc != FIIE_OK)
        return rc;
    /* stage1: R-Net's input boxes as they are; stage2: O-Net's once
     * truncated, as detect_stage3() does */
    const detect_list *lists[2] = {&d->ctx->stage1, &d->ctx->stage2};
    const int nets[2] = {FIIE_NET_RNET, FIIE_NET_ONET};
    size_t total = 0;
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < lists[s]->n; i++) {
            detect_box b = lists[s]->v[i];
            if (s == 1)
                detect_truncate(&b);
            fiie_window w;
            if (!window_of(&b, nets[s], &w))
                continue;
            if (total < cap)
                windows[total] = w;
            total++;
        }
    *n = total;
    return total > cap ? FIIE_E_BUFFER_TOO_SMALL : FIIE_OK;
}
