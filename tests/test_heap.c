/* The library's image-sized buffers never raise glibc's mmap threshold.
 *
 * glibc serves blocks above its mmap threshold (128 KiB at start) with
 * mmap, and when one such block is freed it raises the threshold to that
 * block's size: from then on buffers of that size live on the heap, and a
 * process that protects photo after photo (a Python or Dask worker, any
 * program linking libfiie) keeps their freed space resident. libfiie
 * must not change malloc's settings (they are the process's), so it keeps
 * its big buffers (pixels, file bytes, scanlines, compressed streams,
 * detector scratch, keystream) off malloc's heap. This test runs the
 * whole pipeline on a 3 MP image in a fresh process and checks that a
 * 2 MiB malloc() afterwards is still served by mmap, as it was before.
 *
 * A process of its own (not a test in another binary): the threshold only
 * ever rises, so whatever ran before would decide the outcome. glibc only,
 * and not under sanitizers (they replace malloc). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "fiie/fiie.h"

#include "test_tmpdir.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33)) && \
    !defined(UNDER_SANITIZER)
#define CAN_PROBE 1

/* Above every block the library still takes from malloc (< 1 MiB). */
#define PROBE_BYTES ((size_t)2 << 20)

/* A PROBE_BYTES block from malloc, and whether glibc mapped it. */
static void *probe(int *mapped)
{
    size_t before = mallinfo2().hblks;
    void *p = malloc(PROBE_BYTES);
    assert_non_null(p);
    memset(p, 1, PROBE_BYTES);
    *mapped = mallinfo2().hblks == before + 1;
    return p;
}

/* A photo-like 2000x1500 image: gradients and seeded noise, so that its
 * PNG is megabytes, not kilobytes. */
static void fill_photo(fiie_image *img)
{
    uint32_t s = 12345;
    for (uint32_t y = 0; y < img->height; y++) {
        uint8_t *row = img->data + (size_t)y * img->stride;
        for (uint32_t x = 0; x < img->width * 3; x++) {
            s = s * 1103515245u + 12345u;
            row[x] = (uint8_t)((x / 3 + y) / 16 + ((s >> 16) & 15));
        }
    }
}

/* Everything a user does to protect and restore one photo. */
static void protect_and_restore_one(const char *png_path)
{
    fiie_image img, loaded, back;
    assert_int_equal(fiie_image_alloc(&img, 2000, 1500, FIIE_PIXEL_RGB8), 0);
    fill_photo(&img);
    uint8_t *png = NULL;
    size_t png_size = 0;
    assert_int_equal(fiie_image_encode_png(&img, NULL, NULL, 0, &png, &png_size), 0);
    assert_true(png_size > PROBE_BYTES);
    assert_int_equal(fiie_file_write_atomic(png_path, png, png_size, 0), 0);
    fiie_free(png);
    fiie_image_free(&img);

    assert_int_equal(fiie_image_load(&loaded, png_path, NULL), 0);
    fiie_detector *det = NULL;
    assert_int_equal(fiie_detector_new(&det, NULL, NULL), 0);
    fiie_face faces[16];
    size_t n = 0;
    assert_int_equal(fiie_detector_detect(det, &loaded, faces, 16, &n), 0);
    fiie_detector_free(det);

    fiie_mask *mask = NULL;
    assert_int_equal(fiie_mask_new(&mask, loaded.width, loaded.height), 0);
    assert_int_equal(fiie_mask_add_region(mask, FIIE_SHAPE_RECT, 0, 0, loaded.width, 1000), 0);
    fiie_key *key = NULL;
    assert_int_equal(fiie_key_generate(&key), 0);
    static uint8_t header[FIIE_HEADER_MAX_BYTES];
    size_t hlen = 0;
    assert_int_equal(fiie_encrypt(key, &loaded, mask, NULL, header, sizeof header, &hlen), 0);
    assert_int_equal(fiie_protected_png_save(&loaded, header, hlen, png_path, 0), 0);
    fiie_image_free(&loaded);
    fiie_mask_free(mask);

    assert_int_equal(fiie_protected_png_load(&back, png_path, header, sizeof header, &hlen), 0);
    assert_int_equal(fiie_decrypt(key, &back, header, hlen, NULL), 0);
    fiie_key_free(key);
    fiie_image_free(&back);
}
#endif

static void big_buffers_leave_the_mmap_threshold_alone(void **state)
{
    (void)state;
#if defined(CAN_PROBE)
    int mapped = 0;
    void *first = probe(&mapped); /* kept: freeing it would raise the threshold */
    if (!mapped) {
        free(first);
        skip(); /* this malloc does not map such blocks at start: nothing to check */
    }
    tmpdir t;
    tmpdir_make(&t);
    for (int i = 0; i < 2; i++)
        protect_and_restore_one(tmpdir_file(&t, "photo.png"));
    void *second = probe(&mapped);
    assert_true(mapped);
    free(second);
    free(first);
    tmpdir_remove(&t);
#else
    skip();
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(big_buffers_leave_the_mmap_threshold_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
