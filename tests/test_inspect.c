/* Tests of the inside-the-cascade API of fiie/detector.h (ABI 1.1):
 * fiie_detector_windows, fiie_crop_patch, fiie_model_output_size and
 * fiie_model_forward. The crops of the windows, run through the nets one
 * by one, must give back the cascade's own scores; bad arguments give a
 * clear status and leave the outputs untouched. Public API only. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fiie/fiie.h"
#include "test_util.h"

#define NORM(v) (((float)(v) - 127.5f) * 0.0078125f)
#define SENTINEL 12345.0f

static fiie_image load(const char *name, int32_t format)
{
    fiie_image img;
    assert_int_equal(load_sample(&img, name, format), 0);
    return img;
}

static fiie_detector *high_recall(void)
{
    fiie_detector_options o;
    assert_int_equal(fiie_detector_options_init(&o), 0);
    o.min_face = 10;
    o.factor = 0.79f;
    o.thresholds[0] = 0.5f;
    o.thresholds[1] = 0.5f;
    o.thresholds[2] = 0.3f;
    fiie_detector *d = NULL;
    assert_int_equal(fiie_detector_new(&d, NULL, &o), 0);
    return d;
}

static float face_prob(const float *o)
{
    float m = o[0] > o[1] ? o[0] : o[1];
    float e0 = expf(o[0] - m), e1 = expf(o[1] - m);
    return e1 / (e0 + e1);
}

/* Every final face's score is the O-Net score of one O-Net window, and
 * every O-Net window's R-Net score is that of one R-Net window. */
static void windows_reproduce_the_cascade(void **state)
{
    (void)state;
    fiie_image img = load("faces_1280x720", FIIE_PIXEL_RGB8);
    fiie_detector *d = high_recall();
    fiie_model *m = NULL;
    assert_int_equal(fiie_model_new_default(&m), 0);
    size_t n = 0;
    assert_int_equal(fiie_detector_windows(d, &img, NULL, 0, &n), FIIE_E_BUFFER_TOO_SMALL);
    assert_true(n > 20);
    fiie_window *w = calloc(n, sizeof *w);
    size_t n2 = 0;
    assert_int_equal(fiie_detector_windows(d, &img, w, n, &n2), 0);
    assert_int_equal(n2, n);
    fiie_face faces[64];
    size_t nf = 0;
    assert_int_equal(fiie_detector_detect(d, &img, faces, 64, &nf), 0);
    assert_int_equal(nf, 10);
    size_t nr = 0, no = 0;
    float *r_scores = calloc(n, sizeof(float)), *o_scores = calloc(n, sizeof(float));
    float crop24[24 * 24 * 3], crop48[48 * 48 * 3], out[FIIE_NET_MAX_OUTPUTS];
    for (size_t i = 0; i < n; i++) {
        assert_true(w[i].w >= 1 && w[i].h >= 1);
        assert_int_equal(w[i].reserved[0] | w[i].reserved[1], 0);
        if (w[i].net == FIIE_NET_RNET) {
            assert_int_equal(no, 0); /* R-Net windows come first */
            assert_int_equal(fiie_crop_patch(&img, w[i].x, w[i].y, w[i].w, w[i].h, 24, crop24), 0);
            assert_int_equal(fiie_model_forward(m, FIIE_NET_RNET, crop24, 1, 24, 24, out, 6), 0);
            r_scores[nr++] = face_prob(out);
        } else {
            assert_int_equal(w[i].net, FIIE_NET_ONET);
            assert_true(w[i].score > 0.5f); /* R-Net's threshold */
            assert_int_equal(fiie_crop_patch(&img, w[i].x, w[i].y, w[i].w, w[i].h, 48, crop48), 0);
            assert_int_equal(fiie_model_forward(m, FIIE_NET_ONET, crop48, 1, 48, 48, out, 16), 0);
            o_scores[no++] = face_prob(out);
        }
    }
    assert_true(nr > 0 && no >= nf);
    for (size_t i = nr; i < n; i++) { /* each O-Net window's R-Net score was computed */
        int found = 0;
        for (size_t j = 0; j < nr && !found; j++)
            found = fabsf(r_scores[j] - w[i].score) <= 1e-6f;
        assert_true(found);
    }
    for (size_t f = 0; f < nf; f++) {
        int found = 0;
        for (size_t j = 0; j < no && !found; j++)
            found = fabsf(o_scores[j] - faces[f].score) <= 1e-6f;
        assert_true(found);
    }
    free(r_scores);
    free(o_scores);
    free(w);
    fiie_model_free(m);
    fiie_detector_free(d);
    fiie_image_free(&img);
}

static void windows_bad_arguments(void **state)
{
    (void)state;
    fiie_image img = load("astronaut", FIIE_PIXEL_RGB8);
    fiie_detector *d = high_recall();
    fiie_window w[4];
    size_t n = 99;
    assert_int_equal(fiie_detector_windows(NULL, &img, w, 4, &n), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(n, 0);
    assert_int_equal(fiie_detector_windows(d, &img, w, 4, NULL), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_detector_windows(d, &img, NULL, 4, &n), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_detector_windows(d, NULL, w, 4, &n), FIIE_E_INVALID_ARGUMENT);
    fiie_image bad = img;
    bad.stride = 1;
    assert_int_equal(fiie_detector_windows(d, &bad, w, 4, &n), FIIE_E_INVALID_ARGUMENT);
    /* a short buffer holds the first windows of the full list */
    assert_int_equal(fiie_detector_windows(d, &img, w, 4, &n), FIIE_E_BUFFER_TOO_SMALL);
    assert_true(n > 4);
    fiie_window *all = calloc(n, sizeof *all);
    size_t n2;
    assert_int_equal(fiie_detector_windows(d, &img, all, n, &n2), 0);
    assert_memory_equal(all, w, sizeof w);
    free(all);
    fiie_detector_free(d);
    fiie_image_free(&img);
}

/* A window of the crop's own size is copied, normalised; outside pixels
 * are 0; BGR and RGBA images give the crop of the RGB image. */
static void crop_values(void **state)
{
    (void)state;
    fiie_image img = load("coffee", FIIE_PIXEL_RGB8);
    float c[12 * 12 * 3];
    assert_int_equal(fiie_crop_patch(&img, 100, 50, 12, 12, 12, c), 0);
    for (int y = 0; y < 12; y++)
        for (int x = 0; x < 12; x++)
            for (int ch = 0; ch < 3; ch++) {
                uint8_t v = img.data[(size_t)(50 + y) * img.stride + (size_t)(100 + x) * 3 + ch];
                assert_true(c[(y * 12 + x) * 3 + ch] == NORM(v));
            }
    assert_int_equal(fiie_crop_patch(&img, -5000, -5000, 40, 30, 12, c), 0);
    for (int i = 0; i < 12 * 12 * 3; i++)
        assert_true(c[i] == NORM(0));
    /* half outside: the left columns are padding */
    float h[24 * 24 * 3];
    assert_int_equal(fiie_crop_patch(&img, -24, 0, 48, 48, 24, h), 0);
    assert_true(h[0] == NORM(0));
    float r[24 * 24 * 3], b[24 * 24 * 3];
    assert_int_equal(fiie_crop_patch(&img, 200, 100, 77, 61, 24, r), 0);
    fiie_image bgr, rgba = load("coffee", FIIE_PIXEL_RGBA8);
    assert_int_equal(fiie_image_convert(&bgr, &img, FIIE_PIXEL_BGR8), 0);
    assert_int_equal(fiie_crop_patch(&bgr, 200, 100, 77, 61, 24, b), 0);
    assert_memory_equal(r, b, sizeof r);
    assert_int_equal(fiie_crop_patch(&rgba, 200, 100, 77, 61, 24, b), 0);
    assert_memory_equal(r, b, sizeof r);
    fiie_image_free(&bgr);
    fiie_image_free(&rgba);
    fiie_image_free(&img);
}

static void crop_bad_arguments(void **state)
{
    (void)state;
    fiie_image img = load("coffee", FIIE_PIXEL_RGB8);
    float c[4] = {SENTINEL, SENTINEL, SENTINEL, SENTINEL};
    assert_int_equal(fiie_crop_patch(&img, 0, 0, 10, 10, 12, NULL), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_crop_patch(NULL, 0, 0, 10, 10, 1, c), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_crop_patch(&img, 0, 0, 10, 10, 0, c), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_crop_patch(&img, 0, 0, 10, 10, FIIE_CROP_MAX_SIZE + 1, c),
                     FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_crop_patch(&img, 0, 0, 0, 10, 1, c), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_crop_patch(&img, 0, 0, 10, 0, 1, c), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_crop_patch(&img, 0, 0, (1u << 20) + 1, 10, 1, c),
                     FIIE_E_INVALID_ARGUMENT);
    fiie_image bad = img;
    bad.format = 77;
    assert_int_equal(fiie_crop_patch(&bad, 0, 0, 10, 10, 1, c), FIIE_E_INVALID_ARGUMENT);
    for (int i = 0; i < 4; i++)
        assert_true(c[i] == SENTINEL);
    /* extreme coordinates: a valid, all-padding crop, no overflow */
    assert_int_equal(fiie_crop_patch(&img, INT32_MAX, INT32_MIN, 1u << 20, 1u << 20, 1, c), 0);
    assert_true(c[0] == NORM(0));
    fiie_image_free(&img);
}

static void output_sizes(void **state)
{
    (void)state;
    fiie_model *m = NULL;
    assert_int_equal(fiie_model_new_default(&m), 0);
    uint32_t oh, ow, ch;
    assert_int_equal(fiie_model_output_size(m, FIIE_NET_PNET, 12, 12, &oh, &ow, &ch), 0);
    assert_true(oh == 1 && ow == 1 && ch == FIIE_NET_OUTPUTS);
    assert_int_equal(fiie_model_output_size(m, FIIE_NET_PNET, 47, 100, &oh, &ow, &ch), 0);
    assert_true(oh == 19 && ow == 45 && ch == 6);
    assert_int_equal(fiie_model_output_size(m, FIIE_NET_RNET, 24, 24, &oh, &ow, &ch), 0);
    assert_true(oh == 1 && ow == 1 && ch == 6);
    assert_int_equal(fiie_model_output_size(m, FIIE_NET_ONET, 48, 48, &oh, &ow, &ch), 0);
    assert_true(oh == 1 && ow == 1 && ch == FIIE_NET_MAX_OUTPUTS);
    const struct {
        int net;
        uint32_t h, w;
    } bad[] = {{FIIE_NET_PNET, 11, 12}, {FIIE_NET_PNET, 12, 0}, {FIIE_NET_PNET, 70000, 12},
               {FIIE_NET_PNET, 65535, 65535}, {FIIE_NET_RNET, 25, 24}, {FIIE_NET_ONET, 24, 24},
               {3, 24, 24}, {-1, 12, 12}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(fiie_model_output_size(m, bad[i].net, bad[i].h, bad[i].w, &oh, &ow, &ch),
                         FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_model_output_size(NULL, 0, 12, 12, &oh, &ow, &ch),
                     FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_model_output_size(m, 0, 12, 12, NULL, &ow, &ch), FIIE_E_INVALID_ARGUMENT);
    fiie_model_free(m);
}

/* A batch gives each input's own outputs; a short output buffer or a bad
 * input size writes nothing. */
static void forward_batches_and_errors(void **state)
{
    (void)state;
    fiie_image img = load("astronaut", FIIE_PIXEL_RGB8);
    fiie_model *m = NULL;
    assert_int_equal(fiie_model_new_default(&m), 0);
    enum { N = 3, S = 48 * 48 * 3 };
    float *in = malloc(N * S * sizeof(float));
    const int32_t xs[N] = {178, 0, 300};
    for (int i = 0; i < N; i++)
        assert_int_equal(fiie_crop_patch(&img, xs[i], 59, 90, 115, 48, in + i * S), 0);
    float batch[N * 16], one[16];
    assert_int_equal(fiie_model_forward(m, FIIE_NET_ONET, in, N, 48, 48, batch, N * 16), 0);
    for (int i = 0; i < N; i++) {
        assert_int_equal(fiie_model_forward(m, FIIE_NET_ONET, in + i * S, 1, 48, 48, one, 16), 0);
        assert_memory_equal(one, batch + i * 16, sizeof one);
    }
    assert_true(face_prob(batch) > 0.99f); /* the astronaut's face */
    /* P-Net on a whole 48 x 48 input: a 19 x 19 map of 6 outputs */
    float *map = malloc(19 * 19 * 6 * sizeof(float));
    assert_int_equal(fiie_model_forward(m, FIIE_NET_PNET, in, 1, 48, 48, map, 19 * 19 * 6), 0);
    free(map);
    float guard[16];
    for (int i = 0; i < 16; i++)
        guard[i] = SENTINEL;
    assert_int_equal(fiie_model_forward(m, FIIE_NET_ONET, in, 1, 48, 48, guard, 15),
                     FIIE_E_BUFFER_TOO_SMALL);
    assert_int_equal(fiie_model_forward(m, FIIE_NET_RNET, in, 1, 48, 48, guard, 16),
                     FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_model_forward(m, FIIE_NET_ONET, NULL, 1, 48, 48, guard, 16),
                     FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_model_forward(m, FIIE_NET_ONET, in, 1, 48, 48, NULL, 16),
                     FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_model_forward(NULL, FIIE_NET_ONET, in, 1, 48, 48, guard, 16),
                     FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_model_forward(m, 7, in, 1, 48, 48, guard, 16), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_model_forward(m, FIIE_NET_ONET, in, SIZE_MAX / 4, 48, 48, guard, 16),
                     FIIE_E_TOO_LARGE);
    for (int i = 0; i < 16; i++)
        assert_true(guard[i] == SENTINEL);
    assert_int_equal(fiie_model_forward(m, FIIE_NET_ONET, NULL, 0, 48, 48, NULL, 0), 0);
    free(in);
    fiie_model_free(m);
    fiie_image_free(&img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(windows_reproduce_the_cascade),
        cmocka_unit_test(windows_bad_arguments),
        cmocka_unit_test(crop_values),
        cmocka_unit_test(crop_bad_arguments),
        cmocka_unit_test(output_sizes),
        cmocka_unit_test(forward_batches_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
