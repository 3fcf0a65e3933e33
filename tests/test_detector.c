/* Tests of fiie/detector.h: reference detections on every sample image,
 * pixel formats and strides, thread-count and CPU-kernel independence,
 * the embedded models, the model loader against corrupt input, options,
 * bad arguments and the face alignment.
 *
 * The reference detections (tests/data/expected/) were made with the
 * original MTCNN weights, so every test that compares with them, or with
 * numbers measured on them, selects those weights by name
 * (FIIE_MODEL_MTCNN_ORIGINAL): they hold whatever model is the default.
 * Only the tests marked "default model" run on fiie_model_new_default(). */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sodium.h>

#include "common/common.h"
#include "detect/detect.h"
#include "fiie/fiie.h"
#include "detect/model.h"
#include "kernel_variants.h"
#include "test_util.h"

#ifndef FIIE_MODEL_FILE
#define FIIE_MODEL_FILE "models/mtcnn.fiiem"
#endif

#define MAX_FACES 64

static const char *images[] = {"astronaut", "camera", "coffee", "faces_640x480",
                               "faces_1280x720"};

/* A sample image as RGB8 (release with fiie_image_free()). */
static fiie_image load_rgb(const char *name)
{
    fiie_image img;
    assert_int_equal(load_sample(&img, name, FIIE_PIXEL_RGB8), 0);
    assert_int_equal(img.format, FIIE_PIXEL_RGB8);
    return img;
}

/* The converted original MTCNN weights, by name. */
static fiie_model *original_model(void)
{
    fiie_model *m = NULL;
    assert_int_equal(fiie_model_new_embedded(&m, FIIE_MODEL_MTCNN_ORIGINAL), 0);
    assert_non_null(m);
    return m;
}

/* A detector on the original weights with these options. */
static fiie_detector *new_original_detector(const fiie_detector_options *o)
{
    fiie_model *m = original_model();
    fiie_detector *d = NULL;
    assert_int_equal(fiie_detector_new(&d, m, o), 0);
    assert_non_null(d);
    fiie_model_free(m); /* the detector keeps its own reference */
    return d;
}

static fiie_detector *new_detector(int landmarks, uint32_t threads)
{
    fiie_detector_options o;
    assert_int_equal(fiie_detector_options_init(&o), 0);
    o.landmarks = landmarks;
    o.threads = threads;
    return new_original_detector(&o);
}

/* The acceptance criterion of the detector against the reference. */
static void check_against_expected(const char *name, const char *mode, const fiie_face *f,
                                   size_t n)
{
    char path[1024];
    expected_face ex[MAX_FACES];
    snprintf(path, sizeof path, "%s/expected/%s.%s.json", test_data_dir(), name, mode);
    int ne = read_expected(path, ex, MAX_FACES);
    assert_true(ne >= 0);
    assert_int_equal(n, (size_t)ne);
    for (int i = 0; i < ne; i++) {
        assert_true(box_iou(f[i].box, ex[i].box) >= 0.95);
        assert_true(fabs(f[i].score - ex[i].score) <= 0.01);
        for (int j = 0; j < 5; j++) {
            assert_true(fabs(f[i].landmarks[j][0] - ex[i].lm[j][0]) <= 1.5);
            assert_true(fabs(f[i].landmarks[j][1] - ex[i].lm[j][1]) <= 1.5);
        }
    }
}

static void detect_all(fiie_detector *d, const fiie_image *img, fiie_face *f, size_t *n)
{
    memset(f, 0, sizeof(fiie_face) * MAX_FACES);
    assert_int_equal(fiie_detector_detect(d, img, f, MAX_FACES, n), 0);
}

static void matches_reference(int mode)
{
    fiie_detector *d = new_detector(mode, 1);
    for (size_t i = 0; i < sizeof images / sizeof images[0]; i++) {
        fiie_image img = load_rgb(images[i]);
        fiie_face f[MAX_FACES];
        size_t n;
        detect_all(d, &img, f, &n);
        check_against_expected(images[i], mode == FIIE_LANDMARKS_PLAIN ? "plain" : "v1flip", f, n);
        if (strcmp(images[i], "coffee") == 0)
            assert_int_equal(n, 0);
        else
            assert_true(n >= 1);
        fiie_image_free(&img);
    }
    fiie_detector_free(d);
}

static void reference_plain(void **state)
{
    (void)state;
    matches_reference(FIIE_LANDMARKS_PLAIN);
}

static void reference_v1flip(void **state)
{
    (void)state;
    matches_reference(FIIE_LANDMARKS_V1FLIP);
}

/* d finds exactly the faces ref on img, `rounds` times (later calls
 * reuse the handle's scratch memory). */
static void assert_detects_exactly(fiie_detector *d, const fiie_image *img, const fiie_face *ref,
                                   size_t nref, int rounds)
{
    fiie_face f[MAX_FACES];
    size_t n;
    for (int round = 0; round < rounds; round++) {
        detect_all(d, img, f, &n);
        assert_int_equal(n, nref);
        assert_memory_equal(f, ref, n * sizeof f[0]);
    }
}

/* Other layouts of the same pixels give bit-identical detections. */
static void assert_formats_agree(fiie_detector *d, const fiie_image *rgb)
{
    fiie_face ref[MAX_FACES];
    size_t nref;
    detect_all(d, rgb, ref, &nref);
    assert_true(nref >= 1);
    const int32_t fmts[] = {FIIE_PIXEL_RGB8, FIIE_PIXEL_BGR8, FIIE_PIXEL_RGBA8, FIIE_PIXEL_BGRA8};
    for (int k = 0; k < 4; k++) {
        int ch = k >= 2 ? 4 : 3, bgr = (k & 1);
        size_t stride = (size_t)rgb->width * ch + 13;
        uint8_t *buf = malloc(stride * rgb->height);
        assert_non_null(buf);
        memset(buf, 0x5a, stride * rgb->height);
        for (uint32_t y = 0; y < rgb->height; y++)
            for (uint32_t x = 0; x < rgb->width; x++) {
                const uint8_t *s = rgb->data + y * rgb->stride + x * 3;
                uint8_t *p = buf + y * stride + x * ch;
                p[0] = bgr ? s[2] : s[0];
                p[1] = s[1];
                p[2] = bgr ? s[0] : s[2];
                if (ch == 4)
                    p[3] = (uint8_t)(x * 7);
            }
        fiie_image img = {buf, rgb->width, rgb->height, stride, fmts[k], 0};
        assert_detects_exactly(d, &img, ref, nref, 1);
        free(buf);
    }
}

static void formats_and_strides(void **state)
{
    (void)state;
    fiie_detector *d = new_detector(FIIE_LANDMARKS_PLAIN, 1);
    fiie_image rgb = load_rgb("astronaut");
    assert_formats_agree(d, &rgb);
    fiie_image_free(&rgb);
    fiie_detector_free(d);
}

/* Thread count never changes the result (bit for bit). */
static void threads_do_not_change_results(void **state)
{
    (void)state;
    fiie_image img = load_rgb("faces_1280x720");
    fiie_face ref[MAX_FACES];
    size_t nref;
    fiie_detector *d1 = new_detector(FIIE_LANDMARKS_V1FLIP, 1);
    detect_all(d1, &img, ref, &nref);
    assert_true(nref >= 5);
    for (uint32_t t = 2; t <= 5; t += 3) {
        fiie_detector *d = new_detector(FIIE_LANDMARKS_V1FLIP, t);
        assert_detects_exactly(d, &img, ref, nref, 2);
        fiie_detector_free(d);
    }
    fiie_detector_free(d1);
    fiie_image_free(&img);
}

/* Every kernel set gives the same detections as the dispatched one through
 * the whole cascade (tests/checkasm.c compares the kernels themselves);
 * the detector accepts exactly the sets this CPU runs. */
static void kernels_agree(void **state)
{
    (void)state;
    fiie_detector *d = new_detector(FIIE_LANDMARKS_PLAIN, 2);
    const char *names[] = {"faces_640x480", "astronaut"};
    kernel_variant kernels[1 + KERNEL_VARIANTS_MAX] = {
        {"portable", &detect_nn_kernels_portable, 0, "nothing"}};
    const int nk = 1 + (int)nn_simd_variants(kernels + 1);
    assert_int_equal(detect_use_kernels(d, "nonexistent"), FIIE_E_UNSUPPORTED);
    for (int i = 0; i < 2 * nk; i++) {
        const kernel_variant *kv = &kernels[i / 2];
        if (!kernel_variant_runs(kv)) {
            assert_int_equal(detect_use_kernels(d, kv->name), FIIE_E_UNSUPPORTED);
            continue;
        }
        fiie_image img = load_rgb(names[i % 2]);
        fiie_face a[MAX_FACES], b[MAX_FACES];
        size_t na, nb;
        assert_int_equal(detect_use_kernels(d, NULL), 0);
        detect_all(d, &img, a, &na);
        assert_int_equal(detect_use_kernels(d, kv->name), 0);
        assert_string_equal(detect_kernels_name(d), kv->name);
        detect_all(d, &img, b, &nb);
        assert_int_equal(na, nb);
        for (size_t k = 0; k < na; k++) {
            for (int j = 0; j < 4; j++)
                assert_true(fabsf(a[k].box[j] - b[k].box[j]) < 0.05f);
            assert_true(fabsf(a[k].score - b[k].score) < 1e-4f);
            for (int j = 0; j < 5; j++) {
                assert_true(fabsf(a[k].landmarks[j][0] - b[k].landmarks[j][0]) < 0.05f);
                assert_true(fabsf(a[k].landmarks[j][1] - b[k].landmarks[j][1]) < 0.05f);
            }
        }
        check_against_expected(names[i % 2], "plain", b, nb);
        fiie_image_free(&img);
    }
    fiie_detector_free(d);
}

/* One model shared by detectors running at the same time on two threads. */
typedef struct shared_run {
    const fiie_model *model;
    const fiie_image *img;
    fiie_face faces[MAX_FACES];
    size_t n;
    int rc;
} shared_run;

static void *run_shared(void *p)
{
    shared_run *r = p;
    fiie_detector *d = NULL;
    r->rc = fiie_detector_new(&d, r->model, NULL);
    for (int i = 0; i < 2 && r->rc == 0; i++)
        r->rc = fiie_detector_detect(d, r->img, r->faces, MAX_FACES, &r->n);
    fiie_detector_free(d);
    return NULL;
}

static void shared_model_on_threads(void **state)
{
    (void)state;
    fiie_model *m = original_model();
    fiie_image img = load_rgb("astronaut");
    shared_run runs[2];
    pthread_t tid[2];
    for (int i = 0; i < 2; i++) {
        memset(&runs[i], 0, sizeof runs[i]);
        runs[i].model = m;
        runs[i].img = &img;
        assert_int_equal(pthread_create(&tid[i], NULL, run_shared, &runs[i]), 0);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(tid[i], NULL);
    fiie_model_free(m);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(runs[i].rc, 0);
        check_against_expected("astronaut", "plain", runs[i].faces, runs[i].n);
    }
    assert_int_equal(runs[0].n, runs[1].n);
    assert_memory_equal(runs[0].faces, runs[1].faces, runs[0].n * sizeof(fiie_face));
    fiie_image_free(&img);
}

static void cap_max_faces_and_query(void **state)
{
    (void)state;
    fiie_image img = load_rgb("faces_1280x720");
    fiie_detector *d = new_detector(FIIE_LANDMARKS_PLAIN, 1);
    fiie_face all[MAX_FACES], f[3];
    size_t nall, n = 99;
    detect_all(d, &img, all, &nall);
    assert_true(nall > 3);
    assert_int_equal(fiie_detector_detect(d, &img, NULL, 0, &n), FIIE_E_BUFFER_TOO_SMALL);
    assert_int_equal(n, nall);
    assert_int_equal(fiie_detector_detect(d, &img, f, 3, &n), FIIE_E_BUFFER_TOO_SMALL);
    assert_int_equal(n, nall);
    assert_memory_equal(f, all, sizeof f);
    for (size_t i = 1; i < nall; i++)
        assert_true(all[i - 1].score >= all[i].score);
    fiie_detector_free(d);

    fiie_detector_options o;
    fiie_detector_options_init(&o);
    o.max_faces = 2;
    d = new_original_detector(&o);
    assert_int_equal(fiie_detector_detect(d, &img, f, 3, &n), 0);
    assert_int_equal(n, 2);
    assert_memory_equal(f, all, 2 * sizeof f[0]);
    fiie_detector_free(d);
    fiie_image_free(&img);
}

static void bad_arguments(void **state)
{
    (void)state;
    fiie_detector *d = new_detector(FIIE_LANDMARKS_PLAIN, 1);
    uint8_t px[24 * 24 * 3] = {0};
    fiie_image img = {px, 16, 16, 48, FIIE_PIXEL_RGB8, 0};
    fiie_face f[4];
    size_t n = 7;
    assert_int_equal(fiie_detector_detect(NULL, &img, f, 4, &n), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_detector_detect(d, NULL, f, 4, &n), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_detector_detect(d, &img, f, 4, NULL), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_detector_detect(d, &img, NULL, 4, &n), FIIE_E_INVALID_ARGUMENT);
    fiie_image bad = img;
    bad.width = 0;
    assert_int_equal(fiie_detector_detect(d, &bad, f, 4, &n), FIIE_E_INVALID_ARGUMENT);
    bad = img;
    bad.height = 0;
    assert_int_equal(fiie_detector_detect(d, &bad, f, 4, &n), FIIE_E_INVALID_ARGUMENT);
    bad = img;
    bad.stride = 47;
    assert_int_equal(fiie_detector_detect(d, &bad, f, 4, &n), FIIE_E_INVALID_ARGUMENT);
    bad = img;
    bad.format = 9;
    assert_int_equal(fiie_detector_detect(d, &bad, f, 4, &n), FIIE_E_INVALID_ARGUMENT);
    bad = img;
    bad.data = NULL;
    assert_int_equal(fiie_detector_detect(d, &bad, f, 4, &n), FIIE_E_INVALID_ARGUMENT);
    bad = img;
    bad.flags = 2;
    assert_int_equal(fiie_detector_detect(d, &bad, f, 4, &n), FIIE_E_INVALID_ARGUMENT);
    bad = img;
    bad.width = 70000;
    bad.stride = 70000 * 3;
    assert_int_equal(fiie_detector_detect(d, &bad, f, 4, &n), FIIE_E_TOO_LARGE);
    bad = img;
    bad.width = bad.height = 60000;
    bad.stride = 180000;
    assert_int_equal(fiie_detector_detect(d, &bad, f, 4, &n), FIIE_E_TOO_LARGE);
    /* images smaller than one P-Net cell are valid and have no face */
    for (uint32_t s = 1; s <= 24; s += 11) {
        fiie_image tiny = {px, s, s, s * 3, FIIE_PIXEL_RGB8, 0};
        n = 5;
        assert_int_equal(fiie_detector_detect(d, &tiny, f, 4, &n), 0);
        assert_int_equal(n, 0);
    }
    fiie_detector_free(d);
    fiie_detector_free(NULL);
}

static void options(void **state)
{
    (void)state;
    fiie_detector_options o;
    fiie_detector *d = (fiie_detector *)&o;
    assert_int_equal(fiie_detector_options_init_v(NULL, FIIE_ABI_VERSION), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_detector_options_init_v(&o, (FIIE_ABI_VERSION_MAJOR + 1) << 16),
                     FIIE_E_VERSION);
    assert_int_equal(fiie_detector_options_init(&o), 0);
    assert_true(o.min_face == 20.0 && o.factor == 0.709);
    assert_true(o.thresholds[0] == 0.6f && o.thresholds[1] == 0.7f && o.thresholds[2] == 0.7f);
    assert_int_equal(o.threads, 1);
    assert_int_equal(o.landmarks, FIIE_LANDMARKS_PLAIN);
    assert_int_equal(fiie_detector_new(NULL, NULL, &o), FIIE_E_INVALID_ARGUMENT);

#define REJECT(field, value, code)                                    \
    do {                                                              \
        fiie_detector_options_init(&o);                               \
        o.field = value;                                              \
        d = (fiie_detector *)&o;                                      \
        assert_int_equal(fiie_detector_new(&d, NULL, &o), code);      \
        assert_null(d);                                               \
    } while (0)
    REJECT(abi_version, (uint32_t)(FIIE_ABI_VERSION_MAJOR + 1) << 16, FIIE_E_VERSION);
    REJECT(abi_version, 0, FIIE_E_VERSION);
    REJECT(min_face, 5.9, FIIE_E_INVALID_ARGUMENT);
    REJECT(min_face, 0.5, FIIE_E_INVALID_ARGUMENT);
    REJECT(min_face, -1.0, FIIE_E_INVALID_ARGUMENT);
    REJECT(min_face, NAN, FIIE_E_INVALID_ARGUMENT);
    REJECT(min_face, 1e9, FIIE_E_INVALID_ARGUMENT);
    REJECT(factor, 0.0, FIIE_E_INVALID_ARGUMENT);
    REJECT(factor, 1.0, FIIE_E_INVALID_ARGUMENT);
    REJECT(factor, -0.5, FIIE_E_INVALID_ARGUMENT);
    REJECT(thresholds[0], -0.01f, FIIE_E_INVALID_ARGUMENT);
    REJECT(thresholds[1], 1.01f, FIIE_E_INVALID_ARGUMENT);
    REJECT(thresholds[2], NAN, FIIE_E_INVALID_ARGUMENT);
    REJECT(threads, FIIE_MAX_THREADS + 1, FIIE_E_INVALID_ARGUMENT);
    REJECT(landmarks, 2, FIIE_E_INVALID_ARGUMENT);
    REJECT(reserved[5], 1, FIIE_E_INVALID_ARGUMENT);

    /* (default model) NULL options = defaults; threads 0 = one per CPU; a
     * larger min_face finds only the larger faces of the same image */
    fiie_image img = load_rgb("faces_1280x720");
    fiie_face f[MAX_FACES], g[MAX_FACES];
    size_t n, m;
    assert_int_equal(fiie_detector_new(&d, NULL, NULL), 0);
    detect_all(d, &img, f, &n);
    fiie_detector_free(d);
    fiie_detector_options_init(&o);
    o.threads = 0;
    o.min_face = 60;
    assert_int_equal(fiie_detector_new(&d, NULL, &o), 0);
    detect_all(d, &img, g, &m);
    assert_true(m >= 1 && m < n);
    fiie_detector_free(d);
    /* threshold 1.0 on O-Net keeps nothing */
    fiie_detector_options_init(&o);
    o.thresholds[2] = 1.0f;
    assert_int_equal(fiie_detector_new(&d, NULL, &o), 0);
    detect_all(d, &img, g, &m);
    assert_int_equal(m, 0);
    fiie_detector_free(d);
    fiie_image_free(&img);
}

/* ------------------------------------------------------------- high recall */

/* The library's presets: the contract of each (the one place a test
 * states the numbers), names both ways, and bad inputs. */
static void presets(void **state)
{
    (void)state;
    fiie_detector_options o, def;
    assert_int_equal(fiie_detector_options_init(&def), 0);
    /* high-recall is issue 4's preset of `fiie encrypt`: the MTCNN
     * authors' WIDER FACE settings; only these three fields change. */
    assert_int_equal(fiie_detector_options_init(&o), 0);
    o.threads = 3;
    o.max_faces = 7;
    o.landmarks = FIIE_LANDMARKS_V1FLIP;
    assert_int_equal(fiie_detector_options_preset(&o, FIIE_DETECTOR_PRESET_HIGH_RECALL), 0);
    assert_true(o.min_face == FIIE_MIN_FACE_BY_SIZE && o.factor == 0.79);
    assert_true(o.thresholds[0] == 0.5f && o.thresholds[1] == 0.5f && o.thresholds[2] == 0.3f);
    assert_int_equal(o.threads, 3);
    assert_int_equal(o.max_faces, 7);
    assert_int_equal(o.landmarks, FIIE_LANDMARKS_V1FLIP);
    /* default (and fast, today) give back what the init function sets */
    const int back[] = {FIIE_DETECTOR_PRESET_DEFAULT, FIIE_DETECTOR_PRESET_FAST};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(fiie_detector_options_preset(&o, FIIE_DETECTOR_PRESET_HIGH_RECALL), 0);
        assert_int_equal(fiie_detector_options_preset(&o, back[i]), 0);
        assert_true(o.min_face == def.min_face && o.factor == def.factor);
        assert_memory_equal(o.thresholds, def.thresholds, sizeof o.thresholds);
    }
    /* names: numbered from 0 without gaps, each found by its name */
    static const char *const names[] = {"default", "high-recall", "fast"};
    int p = -1;
    for (int i = 0; i < 3; i++) {
        assert_string_equal(fiie_detector_preset_name(i), names[i]);
        assert_int_equal(fiie_detector_preset_from_name(names[i], &p), 0);
        assert_int_equal(p, i);
    }
    assert_null(fiie_detector_preset_name(3));
    assert_null(fiie_detector_preset_name(-1));
    /* bad inputs: clear status, nothing changed */
    p = 42;
    assert_int_equal(fiie_detector_preset_from_name("High-Recall", &p), FIIE_E_NOT_FOUND);
    assert_int_equal(fiie_detector_preset_from_name("", &p), FIIE_E_NOT_FOUND);
    assert_int_equal(p, 42);
    assert_int_equal(fiie_detector_preset_from_name(NULL, &p), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_detector_preset_from_name("fast", NULL), FIIE_E_INVALID_ARGUMENT);
    o = def;
    assert_int_equal(fiie_detector_options_preset(NULL, 0), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_detector_options_preset(&o, 3), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_detector_options_preset(&o, -1), FIIE_E_INVALID_ARGUMENT);
    assert_memory_equal(&o, &def, sizeof o);
    o.abi_version = 0; /* never initialised */
    assert_int_equal(fiie_detector_options_preset(&o, FIIE_DETECTOR_PRESET_HIGH_RECALL),
                     FIIE_E_VERSION);
    assert_true(o.min_face == def.min_face);
}

/* A detector with the high-recall preset of `fiie encrypt` (min face 10:
 * the pyramid starts up-sampled by 1.2); min_face > 0 replaces the
 * preset's. */
static fiie_detector *new_high_recall(uint32_t threads, double min_face)
{
    fiie_detector_options o;
    assert_int_equal(fiie_detector_options_init(&o), 0);
    assert_int_equal(fiie_detector_options_preset(&o, FIIE_DETECTOR_PRESET_HIGH_RECALL), 0);
    if (min_face > 0)
        o.min_face = min_face;
    o.threads = threads;
    return new_original_detector(&o);
}

/* The high-recall detector finds at least `found` faces on img with one
 * thread, and exactly the same with three. */
static void assert_high_recall_threads_agree(const fiie_image *img, double min_face, size_t found)
{
    fiie_face ref[MAX_FACES];
    size_t nref;
    fiie_detector *d1 = new_high_recall(1, min_face);
    detect_all(d1, img, ref, &nref);
    assert_true(nref >= found);
    fiie_detector *d3 = new_high_recall(3, min_face);
    assert_detects_exactly(d3, img, ref, nref, 2);
    fiie_detector_free(d3);
    fiie_detector_free(d1);
}

/* Same criterion as the default settings, against the reference run with
 * the preset (expected/NAME.recall.json). */
static void high_recall_matches_reference(void **state)
{
    (void)state;
    fiie_detector *d = new_high_recall(1, 0);
    for (size_t i = 0; i < sizeof images / sizeof images[0]; i++) {
        fiie_image img = load_rgb(images[i]);
        fiie_face f[MAX_FACES];
        size_t n;
        detect_all(d, &img, f, &n);
        check_against_expected(images[i], "recall", f, n);
        fiie_image_free(&img);
    }
    fiie_detector_free(d);
}

/* The pasted face boxes of faces_1280x720 (faces_1280x720_gt.json,
 * 0-based [x1, y1, x2, y2]). */
static int read_gt(double gt[MAX_FACES][4])
{
    char path[1024];
    snprintf(path, sizeof path, "%s/images/faces_1280x720_gt.json", test_data_dir());
    size_t len = 0;
    char *text = (char *)read_whole(path, &len);
    assert_non_null(text);
    text = realloc(text, len + 1);
    assert_non_null(text);
    text[len] = 0;
    int ngt = 0;
    const char *p = strchr(text, '[') ? strchr(text, '[') + 1 : NULL;
    while (p && ngt < MAX_FACES && (p = strchr(p, '[')) != NULL) {
        for (int k = 0; k < 4 && p; k++)
            p = next_number(p, &gt[ngt][k]);
        assert_non_null(p);
        ngt++;
    }
    free(text);
    assert_int_equal(ngt, 10);
    return ngt;
}

/* Every pasted face of faces_1280x720 is found by `d` (which this
 * frees): some detection overlaps it with IoU >= 0.5. `label` names the
 * model in the message about a missed face. */
static void assert_finds_every_face(fiie_detector *d, const char *label)
{
    double gt[MAX_FACES][4];
    int ngt = read_gt(gt);
    fiie_image img = load_rgb("faces_1280x720");
    fiie_face f[MAX_FACES];
    size_t n;
    detect_all(d, &img, f, &n);
    for (int g = 0; g < ngt; g++) {
        double best = 0;
        for (size_t i = 0; i < n; i++)
            best = fmax(best, box_iou(f[i].box, gt[g]));
        if (best < 0.5)
            print_message("%s: face %d best IoU %.2f\n", label, g, best);
        assert_true(best >= 0.5);
    }
    fiie_detector_free(d);
    fiie_image_free(&img);
}

static void high_recall_finds_every_face(void **state)
{
    (void)state;
    assert_finds_every_face(new_high_recall(1, 0), FIIE_MODEL_MTCNN_ORIGINAL);
}

/* FIIE_MIN_FACE_BY_SIZE: 10 px up to 3 MP, 20 px from 12 MP, growing
 * with the image side in between; below 3 MP the faces of min face 10
 * exactly. */
static void min_face_by_size(void **state)
{
    (void)state;
    assert_true(detect_min_face_by_size(1280, 720) == 10.0);
    assert_true(detect_min_face_by_size(2000, 1500) == 10.0);
    assert_true(detect_min_face_by_size(4000, 3000) == 20.0);
    assert_true(detect_min_face_by_size(65535, 65535) == 20.0);
    assert_true(fabs(detect_min_face_by_size(3000, 2000) - 10.0 * sqrt(2.0)) < 1e-9);
    assert_true(detect_min_face_by_size(3000, 2001) > detect_min_face_by_size(3000, 2000));
    fiie_image img = load_rgb("faces_1280x720");
    fiie_face a[MAX_FACES], b[MAX_FACES];
    size_t na, nb;
    fiie_detector *by_size = new_high_recall(1, FIIE_MIN_FACE_BY_SIZE);
    fiie_detector *ten = new_high_recall(1, 10.0);
    detect_all(by_size, &img, a, &na);
    detect_all(ten, &img, b, &nb);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na * sizeof a[0]);
    fiie_detector_free(by_size);
    fiie_detector_free(ten);
    fiie_image_free(&img);
}

/* src with every pixel repeated k x k times. */
static fiie_image upscale(const fiie_image *src, uint32_t k)
{
    fiie_image big;
    assert_int_equal(fiie_image_alloc(&big, src->width * k, src->height * k, src->format), 0);
    for (uint32_t y = 0; y < big.height; y++)
        for (uint32_t x = 0; x < big.width; x++)
            memcpy(big.data + y * big.stride + 3 * x,
                   src->data + (y / k) * src->stride + 3 * (x / k), 3);
    return big;
}

/* Share of the pixel centres of box (x1, y1, x2, y2) inside the image that
 * the mask protects. */
static double box_coverage(const fiie_mask *m, const double box[4], uint32_t w, uint32_t h)
{
    long x0 = lround(fmax(0, ceil(box[0] - 0.5))), x1 = lround(fmin(w, ceil(box[2] - 0.5)));
    long y0 = lround(fmax(0, ceil(box[1] - 0.5))), y1 = lround(fmin(h, ceil(box[3] - 0.5)));
    size_t in = 0, all = 0;
    for (long y = y0; y < y1; y++)
        for (long x = x0; x < x1; x++) {
            in += fiie_mask_contains(m, x, y) == 1;
            all++;
        }
    return all ? (double)in / (double)all : 0.0;
}

/* The mask `fiie encrypt` builds from the faces found with the size rule. */
static fiie_mask *encrypt_mask(fiie_detector *d, const fiie_image *img)
{
    fiie_face f[MAX_FACES];
    size_t n;
    detect_all(d, img, f, &n);
    fiie_mask *m = NULL;
    assert_int_equal(fiie_mask_new(&m, img->width, img->height), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(fiie_mask_add_box(m, f[i].box[0], f[i].box[1], f[i].box[2], f[i].box[3],
                                           FIIE_MASK_DEFAULT_SCALE, FIIE_MASK_DEFAULT_SHAPE),
                         0);
    return m;
}

/* Issue 12's condition for a floor that grows with the image: every face
 * of faces_1280x720 protected (>= 90 % of its box in the mask) at 1x is
 * still protected in the image up-scaled 2x (3.7 MP, min face 11.1) and
 * 3x (8.3 MP, min face 16.6). */
static void by_size_keeps_faces_when_upscaled(void **state)
{
    (void)state;
    double gt[MAX_FACES][4];
    int ngt = read_gt(gt);
    fiie_image img = load_rgb("faces_1280x720");
    fiie_detector *d = new_high_recall(2, FIIE_MIN_FACE_BY_SIZE);
    fiie_mask *m1 = encrypt_mask(d, &img);
    int protected_1x = 0;
    for (int g = 0; g < ngt; g++) {
        if (box_coverage(m1, gt[g], img.width, img.height) < 0.9)
            continue;
        protected_1x++;
    }
    assert_int_equal(protected_1x, ngt); /* all ten today */
    for (uint32_t k = 2; k <= 3; k++) {
        fiie_image big = upscale(&img, k);
        fiie_mask *mk = encrypt_mask(d, &big);
        for (int g = 0; g < ngt; g++) {
            if (box_coverage(m1, gt[g], img.width, img.height) < 0.9)
                continue;
            double box[4] = {gt[g][0] * k, gt[g][1] * k, gt[g][2] * k, gt[g][3] * k};
            double c = box_coverage(mk, box, big.width, big.height);
            if (c < 0.9)
                print_message("face %d at %ux: %.3f covered\n", g, k, c);
            assert_true(c >= 0.9);
        }
        fiie_mask_free(mk);
        fiie_image_free(&big);
    }
    fiie_mask_free(m1);
    fiie_detector_free(d);
    fiie_image_free(&img);
}

/* common_alloc_pages (the reduced copies' memory): zero-filled, writable
 * to the last byte, NULL for 0 bytes; freeing NULL is fine. */
static void pages_alloc_and_free(void **state)
{
    (void)state;
    assert_null(common_alloc_pages(0));
    common_free_pages(NULL, 0);
    const size_t sizes[] = {1, 4095, 4096, 3 * 1000 * 1000 + 7};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        uint8_t *p = common_alloc_pages(sizes[i]);
        assert_non_null(p);
        assert_int_equal(p[0], 0);
        assert_int_equal(p[sizes[i] - 1], 0);
        memset(p, 0xa5, sizes[i]);
        common_free_pages(p, sizes[i]);
    }
}

/* The P-Net shortcut never skips a cell that reaches the threshold:
 * random logit pairs, and pairs right at the floor, for thresholds from
 * tiny to almost 1. */
static void logit_floor_is_safe(void **state)
{
    (void)state;
    const float ths[] = {0.0f, 1e-6f, 0.3f, 0.5f, 0.6f, 0.7f, 0.95f, 0.999f, 0.99998f, 1.0f};
    uint32_t seed = 12345;
    for (size_t i = 0; i < sizeof ths / sizeof ths[0]; i++) {
        const float floor_d = detect_logit_floor(ths[i]);
        if (ths[i] <= 0.0f || ths[i] >= 1.0f)
            assert_true(isinf(floor_d) && floor_d < 0);
        for (int k = 0; k < 200000; k++) {
            seed = seed * 1664525u + 1013904223u;
            float a0 = (float)(seed >> 8) / (float)(1u << 24) * 40.0f - 20.0f;
            seed = seed * 1664525u + 1013904223u;
            float a1 = k & 1 ? a0 + floor_d - (float)(seed >> 8) / (float)(1u << 24) * 1e-2f
                             : (float)(seed >> 8) / (float)(1u << 24) * 40.0f - 20.0f;
            if (a1 - a0 < floor_d)
                assert_true(detect_face_prob(a0, a1) < ths[i]);
        }
    }
}

/* Above DETECT_CASCADE_PIXELS the smaller pyramid levels are resampled
 * from the image's reduced copies: on an up-scaled photo of odd sides
 * (an odd last row and column in every copy), every pixel format and
 * thread count still gives the same faces bit for bit, and the faces of
 * the photo are found. */
static void reduced_levels_formats_and_threads(void **state)
{
    (void)state;
    fiie_image img = load_rgb("faces_1280x720");
    fiie_image big = upscale(&img, 2);
    /* just above the size, all ten faces inside (ASan runs this too) */
    fiie_image odd = {big.data, 2381, 1261, big.stride, big.format, 0};
    assert_true((double)odd.width * odd.height > DETECT_CASCADE_PIXELS);
    fiie_detector *d = new_high_recall(1, FIIE_MIN_FACE_BY_SIZE);
    assert_formats_agree(d, &odd);
    fiie_detector_free(d);
    assert_high_recall_threads_agree(&odd, FIIE_MIN_FACE_BY_SIZE, 10);
    fiie_image_free(&big);
    fiie_image_free(&img);
}

/* Up-sampled pyramid levels are split into bands like any other: the
 * thread count still changes no bit. The lower bound 6 works too. */
static void high_recall_threads(void **state)
{
    (void)state;
    fiie_image img = load_rgb("faces_640x480");
    const double min_faces[] = {0, 6.0}; /* the preset's (10 here), then the lower bound */
    for (size_t i = 0; i < sizeof min_faces / sizeof min_faces[0]; i++)
        assert_high_recall_threads_agree(&img, min_faces[i], 1);
    fiie_image_free(&img);
}

/* A first pyramid level above FIIE_MAX_PIXELS is refused before any
 * allocation or pixel access (the data pointer covers one row only). */
static void high_recall_level_limit(void **state)
{
    (void)state;
    static uint8_t row[3 * 16384];
    fiie_image big = {row, 16384, 8192, 3 * 16384, FIIE_PIXEL_RGB8, 0};
    fiie_face f[4];
    size_t n = 9;
    fiie_detector *d = new_high_recall(1, 6.0); /* level 32768 x 16384 */
    assert_int_equal(fiie_detector_detect(d, &big, f, 4, &n), FIIE_E_TOO_LARGE);
    assert_int_equal(n, 0);
    fiie_detector_free(d);
}

/* ------------------------------------------------------------- model */

static unsigned char *model_bytes(size_t *len)
{
    unsigned char *buf = read_whole(FIIE_MODEL_FILE, len);
    assert_non_null(buf);
    return buf;
}

static void model_sources_agree(void **state)
{
    (void)state;
    fiie_model *a = original_model(), *b = NULL, *c = NULL;
    assert_int_equal(fiie_model_new_from_file(&b, FIIE_MODEL_FILE), 0);
    size_t len = 0;
    unsigned char *buf = model_bytes(&len);
    const detect_embedded_model *e = detect_embedded_find(FIIE_MODEL_MTCNN_ORIGINAL);
    assert_non_null(e);
    assert_int_equal(len, e->size);
    assert_memory_equal(buf, e->data, len);
    assert_int_equal(fiie_model_new_from_memory(&c, buf, len), 0);
    memset(buf, 0, len); /* the model must not reference the caller's bytes */
    free(buf);

    fiie_image img = load_rgb("camera");
    fiie_face fa[MAX_FACES], fc[MAX_FACES];
    size_t na, nc;
    fiie_detector *da, *dc;
    assert_int_equal(fiie_detector_new(&da, a, NULL), 0);
    assert_int_equal(fiie_detector_new(&dc, c, NULL), 0);
    fiie_model_free(c); /* the detector keeps its own reference */
    detect_all(da, &img, fa, &na);
    detect_all(dc, &img, fc, &nc);
    assert_int_equal(na, nc);
    assert_memory_equal(fa, fc, na * sizeof fa[0]);
    check_against_expected("camera", "plain", fc, nc);
    fiie_detector_free(da);
    fiie_detector_free(dc);
    fiie_model_free(a);
    fiie_model_free(b);
    fiie_model_free(NULL);
    fiie_image_free(&img);

    fiie_model *m = (fiie_model *)&na;
    assert_int_equal(fiie_model_new_from_file(&m, "/nonexistent/model.fiiem"), FIIE_E_IO);
    assert_null(m);
    assert_int_equal(fiie_model_new_from_file(NULL, FIIE_MODEL_FILE), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_model_new_from_file(&m, NULL), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_model_new_from_memory(&m, NULL, 10), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_model_new_from_memory(NULL, e->data, 10), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_model_new_default(NULL), FIIE_E_INVALID_ARGUMENT);
    /* a file that is not a model */
    char path[1024];
    snprintf(path, sizeof path, "%s/images/camera.png", test_data_dir());
    assert_int_equal(fiie_model_new_from_file(&m, path), FIIE_E_MODEL);
}

/* Detections of two detectors on the same image, bit for bit. */
static void assert_same_detections(fiie_detector *a, fiie_detector *b, const fiie_image *img)
{
    fiie_face fa[MAX_FACES], fb[MAX_FACES];
    size_t na, nb;
    detect_all(a, img, fa, &na);
    detect_all(b, img, fb, &nb);
    assert_int_equal(na, nb);
    assert_memory_equal(fa, fb, na * sizeof fa[0]);
}

/* The registry of embedded models: names listed from 0 without gaps,
 * unique, usable on a command line (no '/', no ".fiiem" ending), each
 * loads; the original weights are always there; the default is one of
 * them and is what fiie_model_new_default() and a NULL model load. */
static void embedded_models(void **state)
{
    (void)state;
    size_t count = 0;
    int default_listed = 0, original_listed = 0;
    const char *def = fiie_model_default_name();
    assert_non_null(def);
    for (const char *name; (name = fiie_model_embedded_name(count)) != NULL; count++) {
        assert_true(name[0] != 0);
        assert_null(strchr(name, '/'));
        size_t len = strlen(name);
        assert_false(len >= 6 && strcmp(name + len - 6, ".fiiem") == 0);
        for (size_t j = 0; j < count; j++)
            assert_string_not_equal(fiie_model_embedded_name(j), name);
        default_listed += strcmp(name, def) == 0;
        original_listed += strcmp(name, FIIE_MODEL_MTCNN_ORIGINAL) == 0;
        fiie_model *m = NULL;
        assert_int_equal(fiie_model_new_embedded(&m, name), 0);
        assert_non_null(m);
        fiie_model_free(m);
    }
    assert_int_equal(count, detect_embedded_model_count);
    assert_true(count >= 1);
    assert_int_equal(default_listed, 1);
    assert_int_equal(original_listed, 1);
    assert_null(fiie_model_embedded_name(count + 1));
    assert_null(fiie_model_embedded_name(SIZE_MAX));

    /* default model: the same detections from each way of asking for it */
    fiie_model *by_default = NULL, *by_name = NULL;
    assert_int_equal(fiie_model_new_default(&by_default), 0);
    assert_int_equal(fiie_model_new_embedded(&by_name, def), 0);
    fiie_detector *d1 = NULL, *d2 = NULL, *d3 = NULL;
    assert_int_equal(fiie_detector_new(&d1, by_default, NULL), 0);
    assert_int_equal(fiie_detector_new(&d2, by_name, NULL), 0);
    assert_int_equal(fiie_detector_new(&d3, NULL, NULL), 0);
    fiie_image img = load_rgb("faces_640x480");
    assert_same_detections(d1, d2, &img);
    assert_same_detections(d1, d3, &img);
    fiie_image_free(&img);
    fiie_detector_free(d1);
    fiie_detector_free(d2);
    fiie_detector_free(d3);
    fiie_model_free(by_default);
    fiie_model_free(by_name);

    /* bad inputs: a clear status and a NULL model, never a guess */
    static const char *const unknown[] = {"", "MTCNN-original", "mtcnn-original ",
                                          "mtcnn", "mtcnn.fiiem", FIIE_MODEL_FILE,
                                          "mtcnn-original/", "../mtcnn-original"};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        fiie_model *m = (fiie_model *)&count;
        assert_int_equal(fiie_model_new_embedded(&m, unknown[i]), FIIE_E_NOT_FOUND);
        assert_null(m);
    }
    fiie_model *m = (fiie_model *)&count;
    assert_int_equal(fiie_model_new_embedded(&m, NULL), FIIE_E_INVALID_ARGUMENT);
    assert_null(m);
    assert_int_equal(fiie_model_new_embedded(NULL, FIIE_MODEL_MTCNN_ORIGINAL),
                     FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_model_new_embedded(NULL, NULL), FIIE_E_INVALID_ARGUMENT);
}

/* default model: it finds every pasted face of faces_1280x720 with the
 * settings of `fiie encrypt`, as the original weights do
 * (high_recall_finds_every_face). */
static void default_model_finds_every_face(void **state)
{
    (void)state;
    fiie_detector_options o;
    assert_int_equal(fiie_detector_options_init(&o), 0);
    assert_int_equal(fiie_detector_options_preset(&o, FIIE_DETECTOR_PRESET_HIGH_RECALL), 0);
    fiie_detector *d = NULL;
    assert_int_equal(fiie_detector_new(&d, NULL, &o), 0);
    assert_finds_every_face(d, fiie_model_default_name());
}

/* A model of exactly the size limit is judged on its content, from a file
 * as from memory; one byte more is refused (FIIE_E_TOO_LARGE from a file,
 * before reading it; FIIE_E_MODEL from memory, as documented). */
static void model_size_limit_same_from_file_and_memory(void **state)
{
    (void)state;
    const size_t sizes[2] = {DETECT_MODEL_MAX_BYTES, (size_t)DETECT_MODEL_MAX_BYTES + 1};
    const int want_memory[2] = {FIIE_E_MODEL, FIIE_E_MODEL};
    const int want_file[2] = {FIIE_E_MODEL, FIIE_E_TOO_LARGE};
    size_t len = 0;
    unsigned char *model = model_bytes(&len);
    unsigned char *buf = calloc(1, sizes[1]);
    assert_non_null(buf);
    memcpy(buf, model, len); /* a real model, padded: wrong size field */
    free(model);
    for (int i = 0; i < 2; i++) {
        fiie_model *m = NULL;
        assert_int_equal(fiie_model_new_from_memory(&m, buf, sizes[i]), want_memory[i]);
        char path[] = "/tmp/fiie-test-model-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        FILE *fp = fdopen(fd, "wb");
        assert_non_null(fp);
        assert_int_equal(fwrite(buf, 1, sizes[i], fp), sizes[i]);
        assert_int_equal(fclose(fp), 0);
        assert_int_equal(fiie_model_new_from_file(&m, path), want_file[i]);
        assert_null(m);
        unlink(path);
    }
    free(buf);
}

static void expect_model_error(const unsigned char *buf, size_t len)
{
    fiie_model *m = (fiie_model *)buf;
    assert_int_equal(fiie_model_new_from_memory(&m, buf, len), FIIE_E_MODEL);
    assert_null(m);
}

static void model_truncated_or_flipped(void **state)
{
    (void)state;
    size_t len = 0;
    unsigned char *buf = model_bytes(&len);
    /* truncation: every length up to the table end, then a spread */
    for (size_t cut = 0; cut < 4096; cut += 7)
        expect_model_error(buf, cut);
    for (size_t cut = 4096; cut < len; cut += len / 97)
        expect_model_error(buf, cut);
    expect_model_error(buf, len - 1);
    /* single bit flips anywhere (header, table, data, digest) */
    for (size_t pos = 0; pos < len; pos += len / 89 + 1) {
        for (int bit = 0; bit < 8; bit += 3) {
            buf[pos] ^= (unsigned char)(1u << bit);
            expect_model_error(buf, len);
            buf[pos] ^= (unsigned char)(1u << bit);
        }
    }
    size_t last = len - 1;
    buf[last] ^= 0x80;
    expect_model_error(buf, len);
    buf[last] ^= 0x80;
    /* appended bytes */
    unsigned char *longer = malloc(len + 64);
    memcpy(longer, buf, len);
    memset(longer + len, 0, 64);
    expect_model_error(longer, len + 64);
    free(longer);
    fiie_model *m;
    assert_int_equal(fiie_model_new_from_memory(&m, buf, len), 0);
    fiie_model_free(m);
    free(buf);
}

/* Structurally wrong files with a valid digest: the checks behind the
 * checksum must hold on their own. */
static void model_bad_structure(void **state)
{
    (void)state;
    size_t len = 0;
    unsigned char *orig = model_bytes(&len);
    unsigned char *buf = malloc(len);
    const size_t E = DETECT_MODEL_HEADER_BYTES; /* first table entry */
    const size_t ES = DETECT_MODEL_ENTRY_BYTES;
    uint32_t count = (uint32_t)orig[12] | (uint32_t)orig[13] << 8;
    struct {
        size_t off;
        uint32_t val;
    } edits[] = {
        {8, 2},                       /* format version */
        {12, 0},                      /* tensor count */
        {12, 100000},                 /* tensor count */
        {24, 8},                      /* data offset inside the table */
        {24, 0xfffffff0u},            /* data offset past the end */
        {28, 1},                      /* flags */
        {E + 64, 0},                  /* ndim */
        {E + 64, 5},                  /* ndim */
        {E + 68, 11},                 /* dims[0] */
        {E + 68, 0},                  /* dims[0] */
        {E + ES + 72, 3},             /* unused dim of a 1-D tensor not zero */
        {E + 84, 0},                  /* offset inside the header */
        {E + 84, 0x7ffffff0u},        /* offset past the end */
        {E + 88, 7},                  /* count disagrees with dims */
        {E + 92, 2},                  /* dtype */
        {E + ES + 84, 4096 + 3},      /* misplaced tensor */
        {E + (count - 1) * ES + 68, 9}, /* last tensor: wrong shape */
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        memcpy(buf, orig, len);
        mem_store_le32(buf + edits[i].off, edits[i].val);
        crypto_generichash(buf + len - 32, 32, buf, len - 32, NULL, 0);
        expect_model_error(buf, len);
    }
    /* a renamed (hence missing) tensor, a name without NUL, a NaN weight */
    memcpy(buf, orig, len);
    buf[E + 2] = 'X';
    crypto_generichash(buf + len - 32, 32, buf, len - 32, NULL, 0);
    expect_model_error(buf, len);
    memcpy(buf, orig, len);
    memset(buf + E, 'a', 64);
    crypto_generichash(buf + len - 32, 32, buf, len - 32, NULL, 0);
    expect_model_error(buf, len);
    memcpy(buf, orig, len);
    uint32_t off0 = (uint32_t)buf[E + 84] | (uint32_t)buf[E + 85] << 8 |
                    (uint32_t)buf[E + 86] << 16 | (uint32_t)buf[E + 87] << 24;
    mem_store_le32(buf + off0 + 4, 0x7fc00000u);
    crypto_generichash(buf + len - 32, 32, buf, len - 32, NULL, 0);
    expect_model_error(buf, len);
    /* the untouched copy with a recomputed digest still loads */
    memcpy(buf, orig, len);
    crypto_generichash(buf + len - 32, 32, buf, len - 32, NULL, 0);
    fiie_model *m;
    assert_int_equal(fiie_model_new_from_memory(&m, buf, len), 0);
    fiie_model_free(m);
    free(buf);
    free(orig);
}

/* ------------------------------------------------------------- alignment */

static const double tmpl[5][2] = {{38.2946, 51.6963}, {73.5318, 51.5014}, {56.0252, 71.7366},
                                  {41.5493, 92.3655}, {70.7299, 92.2041}};

static void alignment_transform(void **state)
{
    (void)state;
    /* landmarks = template rotated by 30 degrees, scaled by 2, shifted */
    const double ang = 30 * 3.14159265358979 / 180, s = 2.0, tx = 100, ty = 50;
    fiie_face f = {0};
    for (int i = 0; i < 5; i++) {
        double x = tmpl[i][0], y = tmpl[i][1];
        f.landmarks[i][0] = (float)(s * (cos(ang) * x - sin(ang) * y) + tx);
        f.landmarks[i][1] = (float)(s * (sin(ang) * x + cos(ang) * y) + ty);
    }
    float m[6];
    assert_int_equal(fiie_face_alignment_transform(&f, m), 0);
    /* the inverse map: scale 1/2, rotation -30 degrees */
    assert_true(fabs(m[0] - cos(ang) / s) < 1e-4 && fabs(m[4] - cos(ang) / s) < 1e-4);
    assert_true(fabs(m[1] - sin(ang) / s) < 1e-4 && fabs(m[3] + sin(ang) / s) < 1e-4);
    for (int i = 0; i < 5; i++) {
        double u = m[0] * f.landmarks[i][0] + m[1] * f.landmarks[i][1] + m[2];
        double v = m[3] * f.landmarks[i][0] + m[4] * f.landmarks[i][1] + m[5];
        assert_true(fabs(u - tmpl[i][0]) < 1e-2 && fabs(v - tmpl[i][1]) < 1e-2);
    }
    assert_int_equal(fiie_face_alignment_transform(NULL, m), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_face_alignment_transform(&f, NULL), FIIE_E_INVALID_ARGUMENT);
    fiie_face same = {0};
    for (int i = 0; i < 5; i++)
        same.landmarks[i][0] = same.landmarks[i][1] = 7.0f;
    assert_int_equal(fiie_face_alignment_transform(&same, m), FIIE_E_INVALID_ARGUMENT);
    same.landmarks[2][0] = NAN;
    assert_int_equal(fiie_face_alignment_transform(&same, m), FIIE_E_INVALID_ARGUMENT);
}

static void alignment_warp(void **state)
{
    (void)state;
    /* a source whose pixels encode their coordinates; landmarks = template
     * scaled by 2 and shifted by (10, 20): out(u, v) = src(2u + 10, 2v + 20) */
    const uint32_t W = 300, H = 300;
    uint8_t *px = malloc((size_t)W * H * 3);
    for (uint32_t y = 0; y < H; y++)
        for (uint32_t x = 0; x < W; x++) {
            px[(y * W + x) * 3] = (uint8_t)(x & 255);
            px[(y * W + x) * 3 + 1] = (uint8_t)(y & 255);
            px[(y * W + x) * 3 + 2] = 77;
        }
    fiie_image src = {px, W, H, W * 3, FIIE_PIXEL_RGB8, 0};
    fiie_face f = {0};
    for (int i = 0; i < 5; i++) {
        f.landmarks[i][0] = (float)(2 * tmpl[i][0] + 10);
        f.landmarks[i][1] = (float)(2 * tmpl[i][1] + 20);
    }
    uint8_t outpx[112 * 112 * 3];
    fiie_image out = {outpx, 112, 112, 112 * 3, FIIE_PIXEL_RGB8, 0};
    assert_int_equal(fiie_face_align(&src, &f, &out), 0);
    for (int v = 0; v < 112; v += 13)
        for (int u = 0; u < 112; u += 11) {
            /* pixel centre u + 0.5 maps to 2u + 11, i.e. pixel index 2u + 10.5 */
            double ex = 2 * u + 10.5, ey = 2 * v + 20.5;
            assert_true(fabs(outpx[(v * 112 + u) * 3] - ex) <= 1.0);
            assert_true(fabs(outpx[(v * 112 + u) * 3 + 1] - ey) <= 1.0);
            assert_int_equal(outpx[(v * 112 + u) * 3 + 2], 77);
        }
    fiie_image bad = out;
    bad.width = 111;
    assert_int_equal(fiie_face_align(&src, &f, &bad), FIIE_E_INVALID_ARGUMENT);
    bad = out;
    bad.format = FIIE_PIXEL_BGR8;
    assert_int_equal(fiie_face_align(&src, &f, &bad), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_face_align(NULL, &f, &out), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_face_align(&src, NULL, &out), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_face_align(&src, &f, NULL), FIIE_E_INVALID_ARGUMENT);
    free(px);
}

/* imResample of one crop written out plainly, as the reference runs it:
 * the x pass over every tap slot of the axis (zero-weight pads and
 * pixels outside the image, 0, included), then the y pass over every
 * slot of the rows of x sums, each sum from +0 in slot order, a product
 * then a sum; then Piotr's final scale and the nets' normalisation. */
static void plain_crop(const uint8_t *rgb, int iw, int ih, int x0, int y0, int tw, int th, int size,
                       float *out)
{
    if (tw == size && th == size) {
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                for (int ch = 0; ch < 3; ch++) {
                    const int sx = x0 + x, sy = y0 + y;
                    const float v = sx >= 0 && sx < iw && sy >= 0 && sy < ih
                                        ? (float)rgb[((size_t)sy * iw + sx) * 3 + ch]
                                        : 0.0f;
                    out[((size_t)y * size + x) * 3 + ch] = (v - 127.5f) * 0.0078125f;
                }
        return;
    }
    detect_resample_axis ax, ay;
    ax.K = detect_resample_taps(tw, size);
    ay.K = detect_resample_taps(th, size);
    ax.idx = malloc((size_t)size * ax.K * sizeof(int));
    ax.wt = malloc((size_t)size * ax.K * sizeof(float));
    ax.ntap = malloc((size_t)size * sizeof(int));
    ay.idx = malloc((size_t)size * ay.K * sizeof(int));
    ay.wt = malloc((size_t)size * ay.K * sizeof(float));
    ay.ntap = malloc((size_t)size * sizeof(int));
    float *xs = malloc((size_t)th * size * 3 * sizeof(float));
    assert_non_null(ax.idx && ax.wt && ax.ntap && ay.idx && ay.wt && ay.ntap && xs);
    detect_resample_axis_compute(&ax, tw, size, 0);
    detect_resample_axis_compute(&ay, th, size, 0);
    for (int ya = 0; ya < th; ya++)
        for (int xb = 0; xb < size; xb++)
            for (int ch = 0; ch < 3; ch++) {
                float sum = 0.0f;
                for (int t = 0; t < ax.K; t++) {
                    const int sx = x0 + ax.idx[xb * ax.K + t], sy = y0 + ya;
                    const float v = sx >= 0 && sx < iw && sy >= 0 && sy < ih
                                        ? (float)rgb[((size_t)sy * iw + sx) * 3 + ch]
                                        : 0.0f;
                    const float prod = v * ax.wt[xb * ax.K + t];
                    sum = sum + prod;
                }
                xs[((size_t)ya * size + xb) * 3 + ch] = sum;
            }
    for (int yb = 0; yb < size; yb++)
        for (int xb = 0; xb < size; xb++)
            for (int ch = 0; ch < 3; ch++) {
                float sum = 0.0f;
                for (int t = 0; t < ay.K; t++) {
                    const float prod = xs[((size_t)ay.idx[yb * ay.K + t] * size + xb) * 3 + ch] *
                                       ay.wt[yb * ay.K + t];
                    sum = sum + prod;
                }
                const float v = sum * DETECT_RESAMPLE_FINAL_SCALE;
                out[((size_t)yb * size + xb) * 3 + ch] = (v - 127.5f) * 0.0078125f;
            }
    free(ax.idx);
    free(ax.wt);
    free(ax.ntap);
    free(ay.idx);
    free(ay.wt);
    free(ay.ntap);
    free(xs);
}

/* The crops R-Net and O-Net see are the plain imResample's bit for bit,
 * whatever the crop's code keeps of the x sums and however it orders the
 * work: boxes inside, across the edges and outside the image, smaller
 * and larger than the patch (up to more y taps than rows kept at once),
 * RGB8 and BGRA8 pixels. */
static void crops_match_plain_resample(void **state)
{
    (void)state;
    enum { W = 97, H = 61, BOXES = 120 };
    uint8_t *rgb = malloc((size_t)W * H * 3), *bgra = malloc((size_t)W * H * 4);
    float *got = malloc(48 * 48 * 3 * sizeof(float)), *want = malloc(48 * 48 * 3 * sizeof(float));
    assert_non_null(rgb && bgra && got && want);
    uint32_t seed = 12345;
    for (size_t i = 0; i < (size_t)W * H; i++)
        for (int ch = 0; ch < 3; ch++) {
            seed = seed * 1664525u + 1013904223u;
            rgb[i * 3 + ch] = (uint8_t)(seed >> 24);
            bgra[i * 4 + 2 - ch] = rgb[i * 3 + ch];
        }
    for (size_t i = 0; i < (size_t)W * H; i++)
        bgra[i * 4 + 3] = 255;
    fiie_image img[2];
    assert_int_equal(fiie_image_wrap(&img[0], rgb, W, H, W * 3, FIIE_PIXEL_RGB8), FIIE_OK);
    assert_int_equal(fiie_image_wrap(&img[1], bgra, W, H, W * 4, FIIE_PIXEL_BGRA8), FIIE_OK);
    detect_cascade *c = NULL;
    assert_int_equal(detect_cascade_new(&c, 1), FIIE_OK);
    c->k = detect_nn_kernels_best();
    for (int i = 0; i < BOXES; i++) {
        const int size = i % 2 ? 48 : 24;
        seed = seed * 1664525u + 1013904223u;
        int tw = 1 + (int)(seed >> 8) % 150, th = 1 + (int)(seed >> 16) % 150;
        if (i % 10 == 0)
            tw = th = size; /* copied, not resampled */
        if (i % 10 == 1)
            th = 70 * size; /* more y taps than x-pass rows kept */
        const int x0 = (int)((seed >> 4) % (W + 60)) - 40 - tw / 4, y0 = (int)((seed >> 12) % (H + 60)) - 40;
        /* detect_crop() reads detect_face.m's 1-based inclusive boxes */
        const detect_box b = {.x1 = x0 + 1, .y1 = y0 + 1, .x2 = x0 + tw, .y2 = y0 + th};
        plain_crop(rgb, W, H, x0, y0, tw, th, size, want);
        for (int f = 0; f < 2; f++) {
            c->img = &img[f];
            assert_int_equal(detect_crop(c, &c->w[0], &b, size, got), FIIE_OK);
            if (memcmp(got, want, (size_t)size * size * 3 * sizeof *got) != 0)
                fail_msg("crop %d (%d,%d %dx%d -> %d, format %d) differs from the plain imResample", i,
                         x0, y0, tw, th, size, img[f].format);
        }
    }
    detect_cascade_free(c);
    free(rgb);
    free(bgra);
    free(got);
    free(want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reference_plain),
        cmocka_unit_test(crops_match_plain_resample),
        cmocka_unit_test(reference_v1flip),
        cmocka_unit_test(formats_and_strides),
        cmocka_unit_test(threads_do_not_change_results),
        cmocka_unit_test(kernels_agree),
        cmocka_unit_test(shared_model_on_threads),
        cmocka_unit_test(cap_max_faces_and_query),
        cmocka_unit_test(bad_arguments),
        cmocka_unit_test(options),
        cmocka_unit_test(presets),
        cmocka_unit_test(high_recall_matches_reference),
        cmocka_unit_test(high_recall_finds_every_face),
        cmocka_unit_test(high_recall_threads),
        cmocka_unit_test(min_face_by_size),
        cmocka_unit_test(by_size_keeps_faces_when_upscaled),
        cmocka_unit_test(reduced_levels_formats_and_threads),
        cmocka_unit_test(logit_floor_is_safe),
        cmocka_unit_test(pages_alloc_and_free),
        cmocka_unit_test(high_recall_level_limit),
        cmocka_unit_test(model_sources_agree),
        cmocka_unit_test(embedded_models),
        cmocka_unit_test(default_model_finds_every_face),
        cmocka_unit_test(model_truncated_or_flipped),
        cmocka_unit_test(model_bad_structure),
        cmocka_unit_test(model_size_limit_same_from_file_and_memory),
        cmocka_unit_test(alignment_transform),
        cmocka_unit_test(alignment_warp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
