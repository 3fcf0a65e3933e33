/* Hostile and broken inputs across the public API that no module test
 * covers on its own (docs/robustness.md lists every case and its test):
 * protected PNG files truncated, bit-flipped or with lying chunk lengths,
 * headers with 65535 regions, 2^31 and 65535x65535 sizes, regions far
 * outside the image, unwritable output directories and a full disk
 * (RLIMIT_FSIZE in a forked child). Public API only. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "fiie/fiie.h"
#include "test_tmpdir.h"
#include "test_util.h"

/* ---- helpers ---------------------------------------------------------- */

typedef struct bytes {
    uint8_t *p;
    size_t n;
} bytes;

static bytes read_all(const char *path)
{
    bytes b = {NULL, 0};
    b.p = read_whole(path, &b.n);
    assert_non_null(b.p);
    assert_true(b.n > 0);
    return b;
}

static void write_all(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8),
    p[3] = (uint8_t)v;
}

/* CRC-32 of PNG chunks (bitwise; test inputs are small). */
static uint32_t crc32_png(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}

static void fill_pattern(fiie_image *img, uint32_t seed)
{
    for (uint32_t y = 0; y < img->height; y++)
        for (size_t x = 0; x < (size_t)img->width * 3; x++) {
            seed = seed * 1664525u + 1013904223u;
            img->data[y * img->stride + x] = (uint8_t)(seed >> 24);
        }
}

/* A protected 64x48 RGB image: its plain and encrypted pixels, header. */
typedef struct protected_sample {
    fiie_key *key;
    fiie_image plain;
    fiie_image cipher;
    uint8_t header[256];
    size_t hlen;
} protected_sample;

static void sample_make(protected_sample *s)
{
    memset(s, 0, sizeof *s);
    assert_int_equal(fiie_key_generate(&s->key), FIIE_OK);
    assert_int_equal(fiie_image_alloc(&s->plain, 64, 48, FIIE_PIXEL_RGB8), FIIE_OK);
    assert_int_equal(fiie_image_alloc(&s->cipher, 64, 48, FIIE_PIXEL_RGB8), FIIE_OK);
    fill_pattern(&s->plain, 5);
    memcpy(s->cipher.data, s->plain.data, (size_t)64 * 48 * 3);
    fiie_mask *m;
    assert_int_equal(fiie_mask_new(&m, 64, 48), FIIE_OK);
    assert_int_equal(fiie_mask_add_region(m, FIIE_SHAPE_ELLIPSE, 10, 5, 30, 36), FIIE_OK);
    assert_int_equal(fiie_mask_add_region(m, FIIE_SHAPE_RECT, 50, 30, 30, 30), FIIE_OK);
    assert_int_equal(fiie_encrypt(s->key, &s->cipher, m, NULL, s->header, sizeof s->header,
                                  &s->hlen),
                     FIIE_OK);
    fiie_mask_free(m);
}

static void sample_free(protected_sample *s)
{
    fiie_key_free(s->key);
    fiie_image_free(&s->plain);
    fiie_image_free(&s->cipher);
}

/* Load a protected PNG file and decrypt it: the combined status. On
 * success the pixels must be the plain ones. */
static int load_and_decrypt(const char *path, const protected_sample *s)
{
    fiie_image img;
    uint8_t h[256];
    size_t len = 0;
    int rc = fiie_protected_png_load(&img, path, h, sizeof h, &len);
    if (rc != FIIE_OK) {
        assert_null(img.data);
        return rc;
    }
    rc = fiie_decrypt(s->key, &img, h, len, NULL);
    if (rc == FIIE_OK)
        for (uint32_t y = 0; y < img.height; y++)
            assert_memory_equal(img.data + y * img.stride, s->plain.data + y * s->plain.stride,
                                (size_t)img.width * 3);
    fiie_image_free(&img);
    return rc;
}

/* ---- protected PNG files ------------------------------------------------ */

/* Cut at every length class: signature, IHDR, fiIE chunk, IDAT, IEND. */
static void protected_png_truncated(void **state)
{
    (void)state;
    tmpdir t;
    tmpdir_make(&t);
    protected_sample s;
    sample_make(&s);
    char path[512], cut[512];
    snprintf(path, sizeof path, "%s", tmpdir_file(&t, "p.png"));
    snprintf(cut, sizeof cut, "%s", tmpdir_file(&t, "cut.png"));
    assert_int_equal(fiie_protected_png_save(&s.cipher, s.header, s.hlen, path, 0), FIIE_OK);
    assert_int_equal(load_and_decrypt(path, &s), FIIE_OK);
    bytes f = read_all(path);
    for (size_t n = 0; n < f.n; n += (n < 64 ? 1 : 53)) {
        write_all(cut, f.p, n);
        int rc = load_and_decrypt(cut, &s);
        /* never success; a file cut before the fiIE chunk is "not a
         * protected image" or unreadable, later cuts are unreadable */
        if (rc != FIIE_E_IMAGE_FORMAT && rc != FIIE_E_NOT_FOUND)
            fail_msg("cut at %zu of %zu: %s", n, f.n, fiie_strerror(rc));
    }
    write_all(cut, f.p, f.n - 1);
    assert_int_equal(load_and_decrypt(cut, &s), FIIE_E_IMAGE_FORMAT);
    free(f.p);
    sample_free(&s);
    tmpdir_remove(&t);
}

/* One flipped bit anywhere in the file: refused when loading (CRC) or
 * when decrypting (tag), never decrypted to wrong pixels. With the chunk
 * CRC recomputed, a flipped header bit is caught by the header checks or
 * the tag. */
static void protected_png_bit_flips(void **state)
{
    (void)state;
    tmpdir t;
    tmpdir_make(&t);
    protected_sample s;
    sample_make(&s);
    char path[512], bad[512];
    snprintf(path, sizeof path, "%s", tmpdir_file(&t, "p.png"));
    snprintf(bad, sizeof bad, "%s", tmpdir_file(&t, "bad.png"));
    assert_int_equal(fiie_protected_png_save(&s.cipher, s.header, s.hlen, path, 0), FIIE_OK);
    bytes f = read_all(path);
    for (size_t i = 0; i < f.n; i += (i < 64 ? 1 : 41)) {
        f.p[i] ^= (uint8_t)(1u << (i % 8));
        write_all(bad, f.p, f.n);
        int rc = load_and_decrypt(bad, &s);
        f.p[i] ^= (uint8_t)(1u << (i % 8));
        if (rc == FIIE_OK || rc == FIIE_E_NO_MEMORY || rc == FIIE_E_INVALID_ARGUMENT)
            fail_msg("flip at byte %zu: %s", i, fiie_strerror(rc));
    }
    /* fiIE chunk right after IHDR: its data at 41 .. 41+len, CRC fixed. */
    assert_memory_equal(f.p + 37, "fiIE", 4);
    size_t clen = be32(f.p + 33);
    assert_int_equal(clen, s.hlen);
    for (size_t i = 0; i < clen; i++) {
        for (int bit = 0; bit < 8; bit += 5) {
            f.p[41 + i] ^= (uint8_t)(1u << bit);
            put_be32(f.p + 41 + clen, crc32_png(f.p + 37, clen + 4));
            write_all(bad, f.p, f.n);
            int rc = load_and_decrypt(bad, &s);
            f.p[41 + i] ^= (uint8_t)(1u << bit);
            if (rc != FIIE_E_HEADER && rc != FIIE_E_MISMATCH && rc != FIIE_E_AUTH)
                fail_msg("header bit %d of byte %zu: %s", bit, i, fiie_strerror(rc));
        }
    }
    put_be32(f.p + 41 + clen, crc32_png(f.p + 37, clen + 4));
    write_all(bad, f.p, f.n);
    assert_int_equal(load_and_decrypt(bad, &s), FIIE_OK);
    free(f.p);
    sample_free(&s);
    tmpdir_remove(&t);
}

/* Chunk lengths that lie: larger than the file, 2^31 - 1, and the header's
 * own region count (covered in test_container) - here the PNG level. */
static void protected_png_lying_lengths(void **state)
{
    (void)state;
    tmpdir t;
    tmpdir_make(&t);
    protected_sample s;
    sample_make(&s);
    char path[512], bad[512];
    snprintf(path, sizeof path, "%s", tmpdir_file(&t, "p.png"));
    snprintf(bad, sizeof bad, "%s", tmpdir_file(&t, "bad.png"));
    assert_int_equal(fiie_protected_png_save(&s.cipher, s.header, s.hlen, path, 0), FIIE_OK);
    bytes f = read_all(path);
    const uint32_t lies[] = {(uint32_t)s.hlen + 1, (uint32_t)f.n, 0x7FFFFFFFu, 0xFFFFFFFFu};
    for (size_t i = 0; i < sizeof lies / sizeof lies[0]; i++) {
        put_be32(f.p + 33, lies[i]);
        write_all(bad, f.p, f.n);
        assert_int_equal(load_and_decrypt(bad, &s), FIIE_E_IMAGE_FORMAT);
        const uint8_t *chunk;
        size_t clen;
        assert_int_equal(fiie_png_find_chunk(f.p, f.n, "fiIE", &chunk, &clen),
                         FIIE_E_IMAGE_FORMAT);
    }
    /* A shorter length with a matching CRC: the header is cut short. */
    put_be32(f.p + 33, (uint32_t)s.hlen - 16);
    uint8_t *g = malloc(f.n);
    assert_non_null(g);
    memcpy(g, f.p, 41 + s.hlen - 16);
    put_be32(g + 41 + s.hlen - 16, crc32_png(f.p + 37, s.hlen - 16 + 4));
    memcpy(g + 41 + s.hlen - 16 + 4, f.p + 41 + s.hlen + 4, f.n - (41 + s.hlen + 4));
    write_all(bad, g, f.n - 16);
    assert_int_equal(load_and_decrypt(bad, &s), FIIE_E_HEADER);
    free(g);
    free(f.p);
    sample_free(&s);
    tmpdir_remove(&t);
}

/* ---- sizes ---------------------------------------------------------------- */

static void sizes_zero_huge_and_2_31(void **state)
{
    (void)state;
    fiie_image img;
    fiie_mask *m = NULL;
    uint8_t px[16];
    /* zero-sized */
    assert_int_equal(fiie_image_alloc(&img, 0, 10, FIIE_PIXEL_RGB8), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_image_alloc(&img, 10, 0, FIIE_PIXEL_RGB8), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_image_wrap(&img, px, 0, 1, 0, FIIE_PIXEL_RGB8), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_mask_new(&m, 0, 5), FIIE_E_INVALID_ARGUMENT);
    assert_null(m);
    /* 2^31 (and 2^32 - 1) in one dimension, and 65535 x 65535: refused by
     * size before any allocation */
    const uint32_t big[][2] = {{0x80000000u, 1}, {1, 0x80000000u}, {0xFFFFFFFFu, 1},
                               {65535, 65535}, {65536, 1}, {16385, 16385}};
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
        assert_int_equal(fiie_image_alloc(&img, big[i][0], big[i][1], FIIE_PIXEL_RGB8),
                         FIIE_E_TOO_LARGE);
        assert_null(img.data);
        assert_int_equal(fiie_mask_new(&m, big[i][0], big[i][1]), FIIE_E_TOO_LARGE);
        assert_null(m);
        /* wrapped memory that cannot be that large is refused too */
        int rc = fiie_image_wrap(&img, px, big[i][0], big[i][1], 0, FIIE_PIXEL_RGB8);
        assert_true(rc == FIIE_E_TOO_LARGE);
    }
    /* the largest allowed pixel count still passes the check */
    assert_int_equal(fiie_mask_new(&m, 16384, 16384), FIIE_OK);
    fiie_mask_free(m);
}

/* A header claiming 65535 x 65535 (or 2^31 x 1) on a small image. */
static void header_claims_huge_image(void **state)
{
    (void)state;
    protected_sample s;
    sample_make(&s);
    uint8_t h[256];
    const uint32_t dims[][2] = {{65535, 65535}, {0x80000000u, 1}, {1, 0x80000000u}};
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) {
        memcpy(h, s.header, s.hlen);
        put_be32(h + 8, dims[i][0]);
        put_be32(h + 12, dims[i][1]);
        fiie_header_info info;
        int rp = fiie_header_parse(&info, h, s.hlen);
        assert_true(rp == FIIE_OK || rp == FIIE_E_HEADER);
        fiie_mask *m = NULL;
        int rm = fiie_mask_from_header(&m, h, s.hlen);
        assert_true(rm == FIIE_E_TOO_LARGE || rm == FIIE_E_HEADER);
        assert_null(m);
        int rc = fiie_decrypt(s.key, &s.cipher, h, s.hlen, NULL);
        assert_true(rc == FIIE_E_MISMATCH || rc == FIIE_E_HEADER);
    }
    sample_free(&s);
}

/* 65535 regions (the format's maximum), all covering the whole image, on
 * a tiny image and on a 640x480 one: encrypt and decrypt work, a wrong key
 * is refused; span building no longer tests every region on every row
 * (counted in test_mask span_work_bounded). */
static void header_with_65535_regions(void **state)
{
    (void)state;
    const uint32_t sizes[][2] = {{3, 2}, {640, 480}};
    uint8_t *h = malloc(FIIE_HEADER_MAX_BYTES);
    assert_non_null(h);
    for (size_t i = 0; i < 2; i++) {
        uint32_t W = sizes[i][0], H = sizes[i][1];
        fiie_image img, plain;
        assert_int_equal(fiie_image_alloc(&img, W, H, FIIE_PIXEL_RGB8), FIIE_OK);
        assert_int_equal(fiie_image_alloc(&plain, W, H, FIIE_PIXEL_RGB8), FIIE_OK);
        fill_pattern(&plain, 9);
        memcpy(img.data, plain.data, (size_t)W * H * 3);
        fiie_mask *m;
        assert_int_equal(fiie_mask_new(&m, W, H), FIIE_OK);
        for (uint32_t r = 0; r < FIIE_MAX_REGIONS; r++)
            assert_int_equal(fiie_mask_add_region(m, (int32_t)(r & 1), -(int32_t)(r % 64),
                                                  -(int32_t)(r % 32), W + 2 * (r % 64),
                                                  H + 2 * (r % 32)),
                             FIIE_OK);
        assert_int_equal(fiie_mask_add_region(m, 0, 0, 0, 1, 1), FIIE_E_TOO_LARGE);
        fiie_key *k, *wrong;
        assert_int_equal(fiie_key_generate(&k), FIIE_OK);
        assert_int_equal(fiie_key_generate(&wrong), FIIE_OK);
        size_t len;
        assert_int_equal(fiie_encrypt(k, &img, m, NULL, h, FIIE_HEADER_MAX_BYTES, &len), FIIE_OK);
        assert_int_equal(len, FIIE_HEADER_MAX_BYTES - FIIE_HEADER_KDF_BYTES);
        assert_memory_not_equal(img.data, plain.data, (size_t)W * H * 3);
        assert_int_equal(fiie_decrypt(wrong, &img, h, len, NULL), FIIE_E_AUTH);
        assert_int_equal(fiie_decrypt(k, &img, h, len, NULL), FIIE_OK);
        assert_memory_equal(img.data, plain.data, (size_t)W * H * 3);
        fiie_key_free(wrong);
        fiie_key_free(k);
        fiie_mask_free(m);
        fiie_image_free(&img);
        fiie_image_free(&plain);
    }
    free(h);
}

/* Regions far outside the image: kept, protect nothing; a mask of only
 * such regions is refused by fiie_encrypt and the image is untouched. */
static void regions_far_outside(void **state)
{
    (void)state;
    fiie_image img, plain;
    assert_int_equal(fiie_image_alloc(&img, 20, 10, FIIE_PIXEL_RGB8), FIIE_OK);
    assert_int_equal(fiie_image_alloc(&plain, 20, 10, FIIE_PIXEL_RGB8), FIIE_OK);
    fill_pattern(&img, 3);
    memcpy(plain.data, img.data, 600);
    fiie_mask *m;
    assert_int_equal(fiie_mask_new(&m, 20, 10), FIIE_OK);
    assert_int_equal(fiie_mask_add_region(m, FIIE_SHAPE_RECT, INT32_MIN, INT32_MIN, 1000, 1000),
                     FIIE_OK);
    assert_int_equal(fiie_mask_add_region(m, FIIE_SHAPE_ELLIPSE, INT32_MAX, 0, 0xFFFFFFFFu, 10),
                     FIIE_OK);
    assert_int_equal(fiie_mask_add_region(m, FIIE_SHAPE_ELLIPSE, -1000, -1000, 1000, 1000),
                     FIIE_OK);
    assert_int_equal(fiie_mask_add_region(m, FIIE_SHAPE_RECT, 20, 0, 5, 5), FIIE_OK);
    uint64_t count = 1;
    assert_int_equal(fiie_mask_pixel_count(m, &count), FIIE_OK);
    assert_true(count == 0);
    fiie_key *k;
    assert_int_equal(fiie_key_generate(&k), FIIE_OK);
    uint8_t h[512];
    size_t len;
    assert_int_equal(fiie_encrypt(k, &img, m, NULL, h, sizeof h, &len), FIIE_E_EMPTY_MASK);
    assert_memory_equal(img.data, plain.data, 600);
    /* one real region among them: only its pixels change */
    assert_int_equal(fiie_mask_add_region(m, FIIE_SHAPE_RECT, -5, -5, 7, 7), FIIE_OK);
    assert_int_equal(fiie_encrypt(k, &img, m, NULL, h, sizeof h, &len), FIIE_OK);
    for (uint32_t y = 0; y < 10; y++)
        for (uint32_t x = 0; x < 20; x++)
            if (x >= 2 || y >= 2)
                assert_memory_equal(img.data + y * 60 + x * 3, plain.data + y * 60 + x * 3, 3);
    assert_int_equal(fiie_decrypt(k, &img, h, len, NULL), FIIE_OK);
    assert_memory_equal(img.data, plain.data, 600);
    fiie_key_free(k);
    fiie_mask_free(m);
    fiie_image_free(&img);
    fiie_image_free(&plain);
}

/* ---- output files ----------------------------------------------------------- */

/* Output directory missing, a file where a directory should be, and (when
 * not running as root, which ignores permissions) a read-only directory:
 * FIIE_E_IO and nothing written. */
static void output_directory_not_writable(void **state)
{
    (void)state;
    tmpdir t;
    tmpdir_make(&t);
    protected_sample s;
    sample_make(&s);
    char path[600];
    snprintf(path, sizeof path, "%s/missing/out.png", t.path);
    assert_int_equal(fiie_protected_png_save(&s.cipher, s.header, s.hlen, path, 0), FIIE_E_IO);
    assert_int_equal(fiie_image_save_png(&s.plain, path, NULL, NULL, 0, 0), FIIE_E_IO);
    snprintf(path, sizeof path, "%s/missing/out.fiie", t.path);
    assert_int_equal(fiie_sidecar_write(path, s.header, s.hlen, 0), FIIE_E_IO);
    write_all(tmpdir_file(&t, "file"), (const uint8_t *)"x", 1);
    snprintf(path, sizeof path, "%s/file/out.png", t.path);
    assert_int_equal(fiie_protected_png_save(&s.cipher, s.header, s.hlen, path, 0), FIIE_E_IO);
    assert_int_equal(tmpdir_count(&t), 1);
    if (geteuid() != 0) {
        char ro[300];
        snprintf(ro, sizeof ro, "%.200s/ro", t.path);
        assert_int_equal(mkdir(ro, 0500), 0);
        snprintf(path, sizeof path, "%s/out.png", ro);
        assert_int_equal(fiie_protected_png_save(&s.cipher, s.header, s.hlen, path, 0),
                         FIIE_E_IO);
        assert_int_equal(rmdir(ro), 0);
    }
    sample_free(&s);
    tmpdir_remove(&t);
}

/* Disk full, simulated by a file-size limit in a forked child (SIGXFSZ
 * ignored, so write() fails with EFBIG): every writer returns FIIE_E_IO
 * and leaves neither the file nor its temporary behind. */
enum { W_PNG, W_PROTECTED, W_SIDECAR };

static int child_write(int which, const char *path)
{
    fiie_image img;
    if (fiie_image_alloc(&img, 300, 200, FIIE_PIXEL_RGB8) != FIIE_OK)
        return 100;
    fill_pattern(&img, 11); /* noise: the PNG stays about 180 kB */
    int rc = FIIE_E_INVALID_ARGUMENT;
    if (which == W_PNG) {
        rc = fiie_image_save_png(&img, path, NULL, NULL, 0, 0);
    } else {
        fiie_mask *m = NULL;
        fiie_key *k = NULL;
        uint8_t *h = malloc(FIIE_HEADER_MAX_BYTES);
        size_t len = 0;
        if (!h || fiie_mask_new(&m, 300, 200) || fiie_key_generate(&k))
            return 101;
        /* many regions: a header of about 100 kB for the sidecar */
        for (int i = 0; i < 5000; i++)
            fiie_mask_add_region(m, i & 1, i % 300, i % 200, 10, 10);
        if (fiie_encrypt(k, &img, m, NULL, h, FIIE_HEADER_MAX_BYTES, &len))
            return 102;
        rc = which == W_PROTECTED ? fiie_protected_png_save(&img, h, len, path, 0)
                                  : fiie_sidecar_write(path, h, len, 0);
        free(h);
        fiie_key_free(k);
        fiie_mask_free(m);
    }
    fiie_image_free(&img);
    return rc == FIIE_E_IO ? 0 : 1;
}

static void disk_full_write_fails_cleanly(void **state)
{
    (void)state;
    tmpdir t;
    tmpdir_make(&t);
    const char *names[] = {"plain.png", "protected.png", "header.fiie"};
    for (int which = 0; which < 3; which++) {
        char path[512];
        snprintf(path, sizeof path, "%s", tmpdir_file(&t, names[which]));
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            signal(SIGXFSZ, SIG_IGN);
            struct rlimit rl = {16384, 16384};
            if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
                _exit(103);
            _exit(child_write(which, path));
        }
        int st;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st));
        if (WEXITSTATUS(st) != 0)
            fail_msg("%s: child status %d (1: not FIIE_E_IO)", names[which], WEXITSTATUS(st));
        assert_int_equal(access(path, F_OK), -1);
        assert_int_equal(tmpdir_count(&t), 0);
    }
    /* Control: the same writers succeed without the limit. */
    for (int which = 0; which < 3; which++) {
        char path[512];
        snprintf(path, sizeof path, "%s", tmpdir_file(&t, names[which]));
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            _exit(child_write(which, path) == 1 ? 0 : 1);
        int st;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
        assert_int_equal(access(path, F_OK), 0);
        struct stat sb;
        assert_int_equal(stat(path, &sb), 0);
        assert_true(sb.st_size > 16384);
    }
    tmpdir_remove(&t);
}

/* ---- model files ----------------------------------------------------------- */

#ifndef FIIE_MODEL_FILE
#define FIIE_MODEL_FILE "models/mtcnn.fiiem"
#endif

/* A model file cut short (or empty, or a directory): FIIE_E_MODEL or
 * FIIE_E_IO, no model returned. (Every cut length and bit flips of the
 * model bytes are in test_detector model_truncated_or_flipped.) */
static void model_file_truncated(void **state)
{
    (void)state;
    tmpdir t;
    tmpdir_make(&t);
    bytes f = read_all(FIIE_MODEL_FILE);
    char path[512];
    snprintf(path, sizeof path, "%s", tmpdir_file(&t, "cut.fiiem"));
    const size_t cuts[] = {0, 8, 100, f.n / 2, f.n - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        write_all(path, f.p, cuts[i]);
        fiie_model *m = (fiie_model *)&f; /* must be reset to NULL */
        assert_int_equal(fiie_model_new_from_file(&m, path), FIIE_E_MODEL);
        assert_null(m);
    }
    write_all(path, f.p, f.n);
    fiie_model *m = NULL;
    assert_int_equal(fiie_model_new_from_file(&m, path), FIIE_OK);
    fiie_model_free(m);
    assert_int_equal(fiie_model_new_from_file(&m, t.path), FIIE_E_IO);
    assert_null(m);
    free(f.p);
    tmpdir_remove(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(protected_png_truncated),
        cmocka_unit_test(protected_png_bit_flips),
        cmocka_unit_test(protected_png_lying_lengths),
        cmocka_unit_test(sizes_zero_huge_and_2_31),
        cmocka_unit_test(header_claims_huge_image),
        cmocka_unit_test(header_with_65535_regions),
        cmocka_unit_test(regions_far_outside),
        cmocka_unit_test(output_directory_not_writable),
        cmocka_unit_test(disk_full_write_fails_cleanly),
        cmocka_unit_test(model_file_truncated),
    };
    return cmocka_run_group_tests_name("robustness", tests, NULL, NULL);
}
