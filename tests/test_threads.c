/* Thread safety (fiie/common.h rules): four threads, one detector per
 * thread sharing ONE model, each detecting faces and encrypting/decrypting
 * with its own key and mask, give exactly the single-threaded results. The
 * library's own worker threads (detector and cipher `threads` options) run
 * too. Built into the ThreadSanitizer step of .ci/test, where any data race
 * fails the test. The inputs are small so that TSan stays fast. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fiie/fiie.h"
#include "test_util.h"

#define N_THREADS 4
#define MAX_FACES 16
/* Crop of faces_640x480 around its face (box about [223, 80, 332, 216]). */
#define CROP_X 170
#define CROP_Y 40
#define CROP_W 220
#define CROP_H 230
/* Cipher image: large enough for the cipher to split the work in parts
 * (1.5 MiB of protected bytes each) and start worker threads. */
#define CW 1024
#define CH 800

typedef struct job {
    /* inputs */
    const fiie_model *model;
    const fiie_image *crop;
    int index;
    uint32_t det_threads;
    uint32_t cipher_threads;
    /* outputs */
    int rc;
    const char *where;
    fiie_face faces[MAX_FACES];
    size_t n_faces;
    uint8_t *cipher_px; /* CW*CH*3 encrypted pixels */
    uint8_t header[4096];
    size_t header_len;
    int restored; /* decrypted image equals the plain one */
} job;

/* Deterministic plain image of job i. */
static void fill_plain(uint8_t *px, int index)
{
    uint32_t s = 0x9E3779B9u * (uint32_t)(index + 1);
    for (size_t i = 0; i < (size_t)CW * CH * 3; i++) {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        px[i] = (uint8_t)s;
    }
}

#define CHECK(expr, name)                                                                          \
    do {                                                                                           \
        if ((j->rc = (expr)) != 0) {                                                               \
            j->where = name;                                                                       \
            goto out;                                                                              \
        }                                                                                          \
    } while (0)

static void *run_job(void *p)
{
    job *j = p;
    fiie_detector *d = NULL;
    fiie_key *k = NULL;
    fiie_mask *m = NULL;
    uint8_t *plain = malloc((size_t)CW * CH * 3);
    j->cipher_px = malloc((size_t)CW * CH * 3);
    j->rc = -1;
    j->where = "malloc";
    if (!plain || !j->cipher_px)
        goto out;

    fiie_detector_options dop;
    CHECK(fiie_detector_options_init(&dop), "detector options");
    dop.min_face = 40;
    dop.threads = j->det_threads;
    CHECK(fiie_detector_new(&d, j->model, &dop), "detector_new");
    CHECK(fiie_detector_detect(d, j->crop, j->faces, MAX_FACES, &j->n_faces), "detect");

    /* Own key and own mask: the detected boxes moved by the job index,
     * plus a band whose place depends on the index. */
    uint8_t kb[FIIE_KEY_BYTES];
    for (size_t i = 0; i < sizeof kb; i++)
        kb[i] = (uint8_t)(i * 7 + (size_t)j->index * 31);
    CHECK(fiie_key_from_bytes(&k, kb, sizeof kb), "key");
    CHECK(fiie_mask_new(&m, CW, CH), "mask_new");
    for (size_t i = 0; i < j->n_faces; i++) {
        const float *b = j->faces[i].box;
        float dx = 100.0f * (float)j->index, dy = 50.0f * (float)j->index;
        CHECK(fiie_mask_add_box(m, b[0] + dx, b[1] + dy, b[2] + dx, b[3] + dy,
                                FIIE_MASK_DEFAULT_SCALE, FIIE_SHAPE_ELLIPSE),
              "add_box");
    }
    CHECK(fiie_mask_add_region(m, FIIE_SHAPE_RECT, -5, 100 * j->index, CW + 10, 620), "region");

    fill_plain(plain, j->index);
    memcpy(j->cipher_px, plain, (size_t)CW * CH * 3);
    fiie_image img;
    CHECK(fiie_image_wrap(&img, j->cipher_px, CW, CH, 0, FIIE_PIXEL_RGB8), "wrap");
    fiie_encrypt_options eo;
    CHECK(fiie_encrypt_options_init(&eo), "encrypt options");
    eo.flags = FIIE_ENCRYPT_FIXED_NONCE;
    memset(eo.nonce, 0xA0 + j->index, sizeof eo.nonce);
    eo.threads = j->cipher_threads;
    CHECK(fiie_encrypt(k, &img, m, &eo, j->header, sizeof j->header, &j->header_len), "encrypt");

    uint8_t *copy = malloc((size_t)CW * CH * 3);
    j->where = "malloc";
    if (!copy) {
        j->rc = -1;
        goto out;
    }
    memcpy(copy, j->cipher_px, (size_t)CW * CH * 3);
    fiie_image dimg;
    fiie_decrypt_options dco;
    if ((j->rc = fiie_image_wrap(&dimg, copy, CW, CH, 0, FIIE_PIXEL_RGB8)) == 0 &&
        (j->rc = fiie_decrypt_options_init(&dco)) == 0) {
        dco.threads = j->cipher_threads == 1 ? 3 : 1;
        j->rc = fiie_decrypt(k, &dimg, j->header, j->header_len, &dco);
    }
    j->where = "decrypt";
    j->restored = j->rc == 0 && memcmp(copy, plain, (size_t)CW * CH * 3) == 0;
    free(copy);
out:
    fiie_mask_free(m);
    fiie_key_free(k);
    fiie_detector_free(d);
    free(plain);
    return NULL;
}

static fiie_image load_crop(fiie_image *full)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/images/faces_640x480.png", test_data_dir());
    fiie_load_options lo;
    assert_int_equal(fiie_load_options_init(&lo), 0);
    lo.format = FIIE_PIXEL_RGB8;
    assert_int_equal(fiie_image_load(full, path, &lo), 0);
    fiie_image crop;
    assert_int_equal(fiie_image_wrap(&crop, full->data + (size_t)CROP_Y * full->stride + CROP_X * 3,
                                     CROP_W, CROP_H, full->stride, FIIE_PIXEL_RGB8),
                     0);
    return crop;
}

static void check_job(const job *j)
{
    if (j->rc != 0)
        print_error("job %d failed in %s: %s\n", j->index, j->where, fiie_strerror(j->rc));
    assert_int_equal(j->rc, 0);
    assert_true(j->restored);
}

static void free_job(job *j)
{
    free(j->cipher_px);
}

/* Reference results, computed on the calling thread without workers. */
static void reference(const fiie_model *model, const fiie_image *crop, job ref[N_THREADS])
{
    for (int i = 0; i < N_THREADS; i++) {
        memset(&ref[i], 0, sizeof ref[i]);
        ref[i].model = model;
        ref[i].crop = crop;
        ref[i].index = i;
        ref[i].det_threads = 1;
        ref[i].cipher_threads = 1;
        run_job(&ref[i]);
        check_job(&ref[i]);
    }
    /* The crop holds the sample's face: a test that finds nothing would
     * compare empty results. */
    assert_true(ref[0].n_faces >= 1);
}

static void same_as(const job *got, const job *want)
{
    assert_int_equal(got->n_faces, want->n_faces);
    assert_memory_equal(got->faces, want->faces, want->n_faces * sizeof(fiie_face));
    assert_int_equal(got->header_len, want->header_len);
    assert_memory_equal(got->header, want->header, want->header_len);
    assert_memory_equal(got->cipher_px, want->cipher_px, (size_t)CW * CH * 3);
}

static void four_threads_shared_model(void **state)
{
    (void)state;
    fiie_model *model;
    assert_int_equal(fiie_model_new_default(&model), 0);
    fiie_image full;
    fiie_image crop = load_crop(&full);
    job ref[N_THREADS], run[N_THREADS];
    reference(model, &crop, ref);

    /* Jobs 0 and 1 single-threaded inside, 2 and 3 with library workers. */
    pthread_t tid[N_THREADS];
    for (int i = 0; i < N_THREADS; i++) {
        memset(&run[i], 0, sizeof run[i]);
        run[i].model = model;
        run[i].crop = &crop;
        run[i].index = i;
        run[i].det_threads = i >= 2 ? 2 : 1;
        run[i].cipher_threads = i >= 2 ? 2 : 1;
        assert_int_equal(pthread_create(&tid[i], NULL, run_job, &run[i]), 0);
    }
    for (int i = 0; i < N_THREADS; i++)
        assert_int_equal(pthread_join(tid[i], NULL), 0);
    for (int i = 0; i < N_THREADS; i++) {
        check_job(&run[i]);
        same_as(&run[i], &ref[i]);
    }
    /* Different keys and masks really gave different ciphertexts. */
    assert_memory_not_equal(run[0].header, run[1].header, run[0].header_len < run[1].header_len
                                                              ? run[0].header_len
                                                              : run[1].header_len);
    for (int i = 0; i < N_THREADS; i++) {
        free_job(&run[i]);
        free_job(&ref[i]);
    }
    fiie_image_free(&full);
    fiie_model_free(model);
}

/* The library's own worker threads alone (detector threads 4, cipher
 * threads 4 and 0 = default) on the calling thread's handles. */
static void library_worker_threads(void **state)
{
    (void)state;
    fiie_model *model;
    assert_int_equal(fiie_model_new_default(&model), 0);
    fiie_image full;
    fiie_image crop = load_crop(&full);
    job ref, run;
    memset(&ref, 0, sizeof ref);
    ref.model = model;
    ref.crop = &crop;
    ref.index = 1;
    ref.det_threads = 1;
    ref.cipher_threads = 1;
    run_job(&ref);
    check_job(&ref);
    for (uint32_t t = 0; t < 2; t++) {
        memset(&run, 0, sizeof run);
        run.model = model;
        run.crop = &crop;
        run.index = 1;
        run.det_threads = t ? 4 : 0; /* 0: one per online CPU */
        run.cipher_threads = t ? 4 : 3;
        run_job(&run);
        check_job(&run);
        same_as(&run, &ref);
        free_job(&run);
    }
    /* The keystream alone, split over workers, equals the serial one. */
    fiie_key *k;
    assert_int_equal(fiie_key_generate(&k), 0);
    uint8_t nonce[FIIE_NONCE_BYTES] = {1, 2, 3};
    size_t len = 5u << 20;
    uint8_t *a = malloc(len), *b = malloc(len);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(fiie_keystream(k, nonce, a, len, 1), 0);
    assert_int_equal(fiie_keystream(k, nonce, b, len, 4), 0);
    assert_memory_equal(a, b, len);
    free(a);
    free(b);
    fiie_key_free(k);
    free_job(&ref);
    fiie_image_free(&full);
    fiie_model_free(model);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(four_threads_shared_model),
        cmocka_unit_test(library_worker_threads),
    };
    return cmocka_run_group_tests_name("threads", tests, NULL, NULL);
}
