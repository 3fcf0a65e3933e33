/* Unit tests of fiie/image.h: the pixel buffer, PNG/JPEG/BMP/TGA loading,
 * PNG writing with a private chunk, atomic saving, EXIF orientation.
 *
 * Test inputs that are not committed files are built here: PNGs byte by
 * byte (to craft headers and corruptions), JPEG/BMP/TGA with a private
 * copy of stb_image_write (test_encoders.c). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/common.h"
#include "image/codec.h"
#include "fiie/fiie.h"

#include "test_encoders.h"
#include "test_tmpdir.h"
#include "test_util.h"

/* ---------------------------------------------------------------- helpers */

typedef struct bytes {
    uint8_t *p;
    size_t n;
} bytes;

static void bytes_add(bytes *b, const void *data, size_t n)
{
    uint8_t *q = realloc(b->p, b->n + n + 1);
    assert_non_null(q);
    b->p = q;
    if (n != 0)
        memcpy(b->p + b->n, data, n);
    b->n += n;
}

static void bytes_be32(bytes *b, uint32_t v)
{
    uint8_t q[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    bytes_add(b, q, 4);
}

static bytes encode(enum test_encoding kind, const uint8_t *px, int w, int h, int comp)
{
    bytes b = {NULL, 0};
    b.p = test_encode(kind, px, w, h, comp, 100, &b.n);
    assert_non_null(b.p);
    return b;
}

static char *image_path(const char *name)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/images/%s", test_data_dir(), name);
    return path;
}

/* A pattern where every byte of every pixel differs from its neighbours. */
static uint8_t pattern(uint32_t x, uint32_t y, int c)
{
    return (uint8_t)(x * 7u + y * 13u + (uint32_t)c * 61u + (x * y) % 5u);
}

/* Fill a test image in `format` with pattern(): channel c of the pattern
 * is red (0), green (1), blue (2), alpha (3) whatever the byte order. */
static void fill_pattern(fiie_image *img)
{
    int ch = fiie_pixel_format_channels(img->format);
    int bgr = img->format == FIIE_PIXEL_BGR8 || img->format == FIIE_PIXEL_BGRA8;
    for (uint32_t y = 0; y < img->height; y++)
        for (uint32_t x = 0; x < img->width; x++) {
            uint8_t *p = img->data + y * img->stride + (size_t)x * (size_t)ch;
            p[bgr ? 2 : 0] = pattern(x, y, 0);
            p[1] = pattern(x, y, 1);
            p[bgr ? 0 : 2] = pattern(x, y, 2);
            if (ch == 4)
                p[3] = pattern(x, y, 3);
        }
}

/* Semantic channel c (0 R, 1 G, 2 B, 3 A; 255 when absent) at (x, y). */
static uint8_t channel_at(const fiie_image *img, uint32_t x, uint32_t y, int c)
{
    int ch = fiie_pixel_format_channels(img->format);
    int bgr = img->format == FIIE_PIXEL_BGR8 || img->format == FIIE_PIXEL_BGRA8;
    const uint8_t *p = img->data + y * img->stride + (size_t)x * (size_t)ch;
    if (c == 3)
        return ch == 4 ? p[3] : 255;
    if (bgr && c != 1)
        c = 2 - c;
    return p[c];
}

/* Same colours (and alpha) at every pixel, whatever the layouts. */
static void assert_same_pixels(const fiie_image *a, const fiie_image *b)
{
    assert_int_equal(a->width, b->width);
    assert_int_equal(a->height, b->height);
    for (uint32_t y = 0; y < a->height; y++)
        for (uint32_t x = 0; x < a->width; x++)
            for (int c = 0; c < 4; c++)
                if (channel_at(a, x, y, c) != channel_at(b, x, y, c))
                    fail_msg("pixel (%u,%u) channel %d: %u != %u", x, y, c,
                             channel_at(a, x, y, c), channel_at(b, x, y, c));
}

/* An owned image with `pad` bytes of padding (filled with 0xEE) per row. */
static void make_image(fiie_image *img, uint32_t w, uint32_t h, int32_t format, size_t pad)
{
    size_t stride = (size_t)w * (size_t)fiie_pixel_format_channels(format) + pad;
    uint8_t *buf = malloc(stride * h);
    assert_non_null(buf);
    memset(buf, 0xee, stride * h);
    assert_int_equal(fiie_image_wrap(img, buf, w, h, stride, format), 0);
    fill_pattern(img);
}

static void free_made_image(fiie_image *img)
{
    free(img->data);
    memset(img, 0, sizeof *img);
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static bytes read_file_bytes(const char *path)
{
    bytes b = {NULL, 0};
    b.p = read_whole(path, &b.n);
    assert_non_null(b.p);
    return b;
}

/* ------------------------------------------------------- hand-made PNGs */

static void png_chunk(bytes *b, const char *type, const void *data, uint32_t n)
{
    bytes_be32(b, n);
    size_t at = b->n;
    bytes_add(b, type, 4);
    bytes_add(b, data, n);
    bytes_be32(b, image_crc32(b->p + at, (size_t)n + 4));
}

static void png_start(bytes *b, uint32_t w, uint32_t h, uint8_t depth, uint8_t color)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    bytes_add(b, sig, 8);
    uint8_t ihdr[13] = {(uint8_t)(w >> 24), (uint8_t)(w >> 16), (uint8_t)(w >> 8), (uint8_t)w,
                        (uint8_t)(h >> 24), (uint8_t)(h >> 16), (uint8_t)(h >> 8), (uint8_t)h,
                        depth, color, 0, 0, 0};
    png_chunk(b, "IHDR", ihdr, 13);
}

/* zlib stream of stored (uncompressed) deflate blocks. */
static void zlib_stored(bytes *z, const uint8_t *raw, size_t n)
{
    const uint8_t head[2] = {0x78, 0x01};
    bytes_add(z, head, 2);
    size_t off = 0;
    do {
        size_t len = n - off > 65535 ? 65535 : n - off;
        uint8_t h[5] = {(uint8_t)(off + len == n), (uint8_t)len, (uint8_t)(len >> 8),
                        (uint8_t)~len, (uint8_t)(~len >> 8)};
        bytes_add(z, h, 5);
        bytes_add(z, raw + off, len);
        off += len;
    } while (off < n);
    uint32_t a = 1, b = 0;
    for (size_t i = 0; i < n; i++) {
        a = (a + raw[i]) % 65521u;
        b = (b + a) % 65521u;
    }
    bytes_be32(z, (b << 16) | a);
}

/* Deflate bit writer (LSB first), for hand-made compressed streams. */
typedef struct bits {
    bytes *out;
    uint32_t acc;
    int n;
} bits;

static void bits_put(bits *b, uint32_t v, int count)
{
    for (int i = 0; i < count; i++) {
        b->acc |= ((v >> i) & 1u) << b->n;
        if (++b->n == 8) {
            uint8_t c = (uint8_t)b->acc;
            bytes_add(b->out, &c, 1);
            b->acc = 0;
            b->n = 0;
        }
    }
}

/* Huffman codes go out most significant bit first. */
static void bits_code(bits *b, uint32_t code, int len)
{
    for (int i = len - 1; i >= 0; i--)
        bits_put(b, (code >> i) & 1u, 1);
}

/* zlib stream of 1 + 258 * k (+ 9 with tail9) zero bytes in a few bytes:
 * a fixed-Huffman block of one literal and repeated length-258 matches. */
static void zlib_zeros(bytes *z, uint32_t k, int tail9)
{
    const uint8_t head[2] = {0x78, 0x01};
    bytes_add(z, head, 2);
    bits b = {z, 0, 0};
    bits_put(&b, 1, 1);          /* final block */
    bits_put(&b, 1, 2);          /* fixed Huffman */
    bits_code(&b, 0x30, 8);      /* literal 0 */
    for (uint32_t i = 0; i < k; i++) {
        bits_code(&b, 0xc5, 8);  /* length 258 (code 285) */
        bits_code(&b, 0, 5);     /* distance 1 */
    }
    if (tail9) {
        bits_code(&b, 7, 7);     /* length 9 (code 263) */
        bits_code(&b, 0, 5);     /* distance 1 */
    }
    bits_code(&b, 0, 7);         /* end of block */
    if (b.n != 0)
        bits_put(&b, 0, 8 - b.n);
    uint64_t total = 1 + 258ull * k + (tail9 ? 9 : 0);
    bytes_be32(z, (uint32_t)((total % 65521u) << 16) | 1u);
}

/* A complete PNG from filter-0 rows of `row_bytes` bytes. */
static bytes png_from_rows(uint32_t w, uint32_t h, uint8_t depth, uint8_t color,
                           const uint8_t *rows, size_t row_bytes, const bytes *trns)
{
    bytes raw = {NULL, 0}, z = {NULL, 0}, png = {NULL, 0};
    for (uint32_t y = 0; y < h; y++) {
        const uint8_t f = 0;
        bytes_add(&raw, &f, 1);
        bytes_add(&raw, rows + y * row_bytes, row_bytes);
    }
    zlib_stored(&z, raw.p, raw.n);
    png_start(&png, w, h, depth, color);
    if (trns != NULL)
        png_chunk(&png, "tRNS", trns->p, (uint32_t)trns->n);
    png_chunk(&png, "IDAT", z.p, (uint32_t)z.n);
    png_chunk(&png, "IEND", NULL, 0);
    free(raw.p);
    free(z.p);
    return png;
}

/* ------------------------------------------------------- image struct */

static void crc32_known_answer(void **state)
{
    (void)state;
    assert_int_equal(image_crc32("123456789", 9), 0xcbf43926u);
    assert_int_equal(image_crc32("", 0), 0);
    uint32_t c = image_crc32_update(0, "1234", 4);
    assert_int_equal(image_crc32_update(c, "56789", 5), 0xcbf43926u);
    /* the codec library's CRC (fast builds) is the table's */
    uint8_t buf[4099];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 131u + (i >> 5));
    for (size_t n = 0; n <= sizeof buf; n += 97)
        assert_int_equal(image_crc32_update(0x12345678u, buf, n),
                         image_crc32_table_update(0x12345678u, buf, n));
}

static void channels_of_formats(void **state)
{
    (void)state;
    assert_int_equal(fiie_pixel_format_channels(FIIE_PIXEL_RGB8), 3);
    assert_int_equal(fiie_pixel_format_channels(FIIE_PIXEL_BGR8), 3);
    assert_int_equal(fiie_pixel_format_channels(FIIE_PIXEL_RGBA8), 4);
    assert_int_equal(fiie_pixel_format_channels(FIIE_PIXEL_BGRA8), 4);
    assert_int_equal(fiie_pixel_format_channels(0), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_pixel_format_channels(5), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_pixel_format_channels(-1), FIIE_E_INVALID_ARGUMENT);
}

static void validate_rejects_bad_structs(void **state)
{
    (void)state;
    uint8_t px[64];
    fiie_image ok = {px, 4, 4, 12, FIIE_PIXEL_RGB8, 0};
    assert_int_equal(fiie_image_validate(&ok), 0);
    assert_int_equal(fiie_image_validate(NULL), FIIE_E_INVALID_ARGUMENT);
    fiie_image b = ok;
    b.data = NULL;
    assert_int_equal(fiie_image_validate(&b), FIIE_E_INVALID_ARGUMENT);
    b = ok, b.width = 0;
    assert_int_equal(fiie_image_validate(&b), FIIE_E_INVALID_ARGUMENT);
    b = ok, b.height = 0;
    assert_int_equal(fiie_image_validate(&b), FIIE_E_INVALID_ARGUMENT);
    b = ok, b.width = FIIE_MAX_DIMENSION + 1, b.stride = (size_t)b.width * 3;
    assert_int_equal(fiie_image_validate(&b), FIIE_E_TOO_LARGE);
    b = ok, b.height = 0x80000000u;
    assert_int_equal(fiie_image_validate(&b), FIIE_E_TOO_LARGE);
    b = ok, b.width = b.height = FIIE_MAX_DIMENSION, b.stride = (size_t)b.width * 3;
    assert_int_equal(fiie_image_validate(&b), FIIE_E_TOO_LARGE); /* > FIIE_MAX_PIXELS */
    b = ok, b.stride = 11;
    assert_int_equal(fiie_image_validate(&b), FIIE_E_INVALID_ARGUMENT);
    b = ok, b.format = 0;
    assert_int_equal(fiie_image_validate(&b), FIIE_E_INVALID_ARGUMENT);
    b = ok, b.format = FIIE_PIXEL_RGBA8; /* stride 12 < 4 * 4 */
    assert_int_equal(fiie_image_validate(&b), FIIE_E_INVALID_ARGUMENT);
    b = ok, b.flags = 2;
    assert_int_equal(fiie_image_validate(&b), FIIE_E_INVALID_ARGUMENT);
    b = ok, b.stride = SIZE_MAX / 2; /* 3 rows of that do not fit in size_t */
    assert_int_equal(fiie_image_validate(&b), FIIE_E_TOO_LARGE);
    b = ok, b.height = 1, b.stride = SIZE_MAX; /* one row: no offset overflow */
    assert_int_equal(fiie_image_validate(&b), 0);
}

static void wrap_describes_caller_memory(void **state)
{
    (void)state;
    uint8_t px[100];
    fiie_image img;
    assert_int_equal(fiie_image_wrap(&img, px, 5, 4, 0, FIIE_PIXEL_BGRA8), 0);
    assert_ptr_equal(img.data, px);
    assert_int_equal(img.width, 5);
    assert_int_equal(img.height, 4);
    assert_int_equal(img.stride, 20);
    assert_int_equal(img.format, FIIE_PIXEL_BGRA8);
    assert_int_equal(img.flags, 0);
    assert_int_equal(fiie_image_wrap(&img, px, 3, 4, 24, FIIE_PIXEL_RGB8), 0);
    assert_int_equal(img.stride, 24);
    fiie_image_free(&img); /* must not free stack memory (ASan would say) */
    assert_null(img.data);

    assert_int_equal(fiie_image_wrap(NULL, px, 1, 1, 0, FIIE_PIXEL_RGB8),
                     FIIE_E_INVALID_ARGUMENT);
    const struct {
        uint8_t *data;
        uint32_t w, h;
        size_t stride;
        int32_t fmt;
        int rc;
    } bad[] = {
        {NULL, 1, 1, 0, FIIE_PIXEL_RGB8, FIIE_E_INVALID_ARGUMENT},
        {px, 0, 1, 0, FIIE_PIXEL_RGB8, FIIE_E_INVALID_ARGUMENT},
        {px, 1, 0, 0, FIIE_PIXEL_RGB8, FIIE_E_INVALID_ARGUMENT},
        {px, 1, 1, 0, 9, FIIE_E_INVALID_ARGUMENT},
        {px, 4, 1, 11, FIIE_PIXEL_RGB8, FIIE_E_INVALID_ARGUMENT},
        {px, 0x80000000u, 1, 0, FIIE_PIXEL_RGB8, FIIE_E_TOO_LARGE},
        {px, 1, UINT32_MAX, 0, FIIE_PIXEL_RGB8, FIIE_E_TOO_LARGE},
        {px, 65535, 65535, 0, FIIE_PIXEL_RGBA8, FIIE_E_TOO_LARGE},
        {px, 1, 3, SIZE_MAX / 2, FIIE_PIXEL_RGB8, FIIE_E_TOO_LARGE},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&img, 0x5a, sizeof img);
        assert_int_equal(fiie_image_wrap(&img, bad[i].data, bad[i].w, bad[i].h, bad[i].stride,
                                         bad[i].fmt),
                         bad[i].rc);
        assert_null(img.data);
        assert_int_equal(img.width, 0);
        assert_int_equal(img.stride, 0);
    }
}

static void alloc_and_free(void **state)
{
    (void)state;
    fiie_image img;
    assert_int_equal(fiie_image_alloc(&img, 7, 3, FIIE_PIXEL_RGBA8), 0);
    assert_non_null(img.data);
    assert_int_equal(img.stride, 28);
    assert_int_equal(img.flags, FIIE_IMAGE_OWNS_DATA);
    assert_int_equal(fiie_image_validate(&img), 0);
    for (size_t i = 0; i < 28 * 3; i++)
        assert_int_equal(img.data[i], 0);
    fiie_image_free(&img);
    assert_null(img.data);
    assert_int_equal(img.flags, 0);
    fiie_image_free(&img); /* twice is harmless */
    fiie_image_free(NULL);

    assert_int_equal(fiie_image_alloc(NULL, 1, 1, FIIE_PIXEL_RGB8), FIIE_E_INVALID_ARGUMENT);
    const struct {
        uint32_t w, h;
        int32_t fmt;
        int rc;
    } bad[] = {
        {0, 5, FIIE_PIXEL_RGB8, FIIE_E_INVALID_ARGUMENT},
        {5, 0, FIIE_PIXEL_RGB8, FIIE_E_INVALID_ARGUMENT},
        {5, 5, 0, FIIE_E_INVALID_ARGUMENT},
        {0x80000000u, 0x80000000u, FIIE_PIXEL_RGB8, FIIE_E_TOO_LARGE},
        {UINT32_MAX, 1, FIIE_PIXEL_RGB8, FIIE_E_TOO_LARGE},
        {65536, 1, FIIE_PIXEL_RGB8, FIIE_E_TOO_LARGE},
        /* Within the dimension limit, over the pixel limit: refused
         * before malloc (the 16 GiB request would fail under ASan). */
        {65535, 65535, FIIE_PIXEL_RGBA8, FIIE_E_TOO_LARGE},
        {16385, 16385, FIIE_PIXEL_RGB8, FIIE_E_TOO_LARGE},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&img, 0x5a, sizeof img);
        assert_int_equal(fiie_image_alloc(&img, bad[i].w, bad[i].h, bad[i].fmt), bad[i].rc);
        assert_null(img.data);
        assert_int_equal(img.flags, 0);
    }
}

static void convert_between_all_formats(void **state)
{
    (void)state;
    const int32_t fmts[] = {FIIE_PIXEL_RGB8, FIIE_PIXEL_RGBA8, FIIE_PIXEL_BGR8,
                            FIIE_PIXEL_BGRA8};
    for (int i = 0; i < 4; i++) {
        fiie_image src;
        make_image(&src, 9, 5, fmts[i], 3);
        for (int j = 0; j < 4; j++) {
            fiie_image dst;
            assert_int_equal(fiie_image_convert(&dst, &src, fmts[j]), 0);
            assert_int_equal(dst.format, fmts[j]);
            assert_int_equal(dst.flags, FIIE_IMAGE_OWNS_DATA);
            assert_int_equal(dst.stride, 9u * (unsigned)fiie_pixel_format_channels(fmts[j]));
            for (uint32_t y = 0; y < 5; y++)
                for (uint32_t x = 0; x < 9; x++) {
                    for (int c = 0; c < 3; c++)
                        assert_int_equal(channel_at(&dst, x, y, c), pattern(x, y, c));
                    int has_a = fiie_pixel_format_channels(fmts[i]) == 4;
                    if (fiie_pixel_format_channels(fmts[j]) == 4)
                        assert_int_equal(channel_at(&dst, x, y, 3),
                                         has_a ? pattern(x, y, 3) : 255);
                }
            fiie_image_free(&dst);
        }
        fiie_image dst;
        assert_int_equal(fiie_image_convert(&dst, &src, 7), FIIE_E_INVALID_ARGUMENT);
        assert_null(dst.data);
        assert_int_equal(fiie_image_convert(&src, &src, FIIE_PIXEL_RGB8),
                         FIIE_E_INVALID_ARGUMENT);
        assert_non_null(src.data); /* untouched */
        assert_int_equal(fiie_image_convert(NULL, &src, FIIE_PIXEL_RGB8),
                         FIIE_E_INVALID_ARGUMENT);
        free_made_image(&src);
    }
    fiie_image dst;
    assert_int_equal(fiie_image_convert(&dst, NULL, FIIE_PIXEL_RGB8), FIIE_E_INVALID_ARGUMENT);
    fiie_image bad = {NULL, 1, 1, 3, FIIE_PIXEL_RGB8, 0};
    assert_int_equal(fiie_image_convert(&dst, &bad, FIIE_PIXEL_RGB8), FIIE_E_INVALID_ARGUMENT);
    assert_null(dst.data);
}

/* ------------------------------------------------------- PNG round trips */

static void png_round_trip_exact(void **state)
{
    (void)state;
    const int32_t fmts[] = {FIIE_PIXEL_RGB8, FIIE_PIXEL_RGBA8, FIIE_PIXEL_BGR8,
                            FIIE_PIXEL_BGRA8};
    const size_t pads[] = {0, 1, 13};
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < 3; k++) {
            fiie_image src;
            make_image(&src, 37, 23, fmts[i], pads[k]);
            uint8_t *png = NULL;
            size_t n = 0;
            assert_int_equal(fiie_image_encode_png(&src, NULL, NULL, 0, &png, &n), 0);
            assert_non_null(png);
            /* the file holds RGB(A) order: colour type 2 or 6 */
            assert_int_equal(png[25], fiie_pixel_format_channels(fmts[i]) == 4 ? 6 : 2);
            fiie_image back;
            assert_int_equal(fiie_image_load_memory(&back, png, n, NULL), 0);
            int has_a = fiie_pixel_format_channels(fmts[i]) == 4;
            assert_int_equal(back.format, has_a ? FIIE_PIXEL_RGBA8 : FIIE_PIXEL_RGB8);
            assert_int_equal(back.flags, FIIE_IMAGE_OWNS_DATA);
            assert_same_pixels(&src, &back);
            fiie_image_free(&back);

            /* Loading straight into the original layout gives its bytes. */
            fiie_load_options o;
            assert_int_equal(fiie_load_options_init(&o), 0);
            o.format = fmts[i];
            assert_int_equal(fiie_image_load_memory(&back, png, n, &o), 0);
            assert_int_equal(back.format, fmts[i]);
            size_t row = (size_t)37 * (size_t)fiie_pixel_format_channels(fmts[i]);
            for (uint32_t y = 0; y < 23; y++)
                assert_memory_equal(back.data + y * back.stride, src.data + y * src.stride,
                                    row);
            fiie_image_free(&back);
            fiie_free(png);
            free_made_image(&src);
        }
}

/* The inflated IDAT data (filter bytes and filtered rows) of a PNG with one
 * IDAT chunk. */
static uint8_t *png_filtered_data(const uint8_t *png, size_t n, size_t want)
{
    const uint8_t *z;
    size_t zn;
    assert_int_equal(image_png_find(png, n, "IDAT", &z, &zn), 0);
    uint8_t *out = malloc(want + 1);
    assert_non_null(out);
    assert_int_equal(image_zlib_decompress(z, zn, out, want + 1), (long long)want);
    return out;
}

/* Seeded noise over every byte of a made image (all five filters and
 * every Paeth case get picked somewhere). */
static void fill_noise(fiie_image *img, uint32_t seed)
{
    size_t row = (size_t)img->width * (size_t)fiie_pixel_format_channels(img->format);
    for (uint32_t y = 0; y < img->height; y++)
        for (size_t i = 0; i < row; i++) {
            seed = seed * 1664525u + 1013904223u;
            /* smooth rows with a little noise, and some pure noise rows */
            img->data[y * img->stride + i] =
                (uint8_t)(y % 3 == 2 ? seed >> 24 : (i * 7 + y * 5) / 3 + (seed >> 29));
        }
}

/* The encoder picks each row's filter as stb_image_write does and writes
 * the same filtered bytes (only the deflate library may differ), on a
 * photo, on patterns and on noise, with rows whose vectorised middle
 * part is empty, ends exactly or leaves a tail. */
static void png_filters_match_stb(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/images/faces_640x480.png", test_data_dir());
    fiie_image imgs[8];
    assert_int_equal(fiie_image_load(&imgs[0], path, NULL), 0);
    make_image(&imgs[1], 37, 23, FIIE_PIXEL_RGB8, 0);
    make_image(&imgs[2], 19, 7, FIIE_PIXEL_RGBA8, 0);
    make_image(&imgs[3], 17, 9, FIIE_PIXEL_RGB8, 0); /* 3 + 48 bytes */
    make_image(&imgs[4], 1, 9, FIIE_PIXEL_RGBA8, 0);
    make_image(&imgs[5], 6, 4, FIIE_PIXEL_RGB8, 0);
    make_image(&imgs[6], 33, 12, FIIE_PIXEL_RGBA8, 0);
    make_image(&imgs[7], 101, 30, FIIE_PIXEL_RGB8, 0);
    for (int i = 3; i < 8; i++)
        fill_noise(&imgs[i], (uint32_t)i);
    for (int i = 0; i < 8; i++) {
        const fiie_image *img = &imgs[i];
        int ch = fiie_pixel_format_channels(img->format);
        size_t want = ((size_t)img->width * (size_t)ch + 1) * img->height;
        uint8_t *ours = NULL;
        size_t n = 0;
        assert_int_equal(fiie_image_encode_png(img, NULL, NULL, 0, &ours, &n), 0);
        size_t sn = 0;
        uint8_t *ref = test_encode(TEST_PNG, img->data, (int)img->width, (int)img->height, ch, 0,
                                   &sn);
        assert_non_null(ref);
        uint8_t *a = png_filtered_data(ours, n, want);
        uint8_t *b = png_filtered_data(ref, sn, want);
        assert_memory_equal(a, b, want);
        free(a);
        free(b);
        free(ref);
        fiie_free(ours);
    }
    fiie_image_free(&imgs[0]);
    for (int i = 1; i < 8; i++)
        free_made_image(&imgs[i]);
}

/* FIIE_SAVE_COMPRESSION: every level stores the same pixels, higher
 * levels no larger files on a photo; levels above 9 and unknown bits are
 * refused before anything is written. */
static void png_compression_levels(void **state)
{
    (void)state;
    tmpdir t;
    tmpdir_make(&t);
    char src[1024];
    snprintf(src, sizeof src, "%s/images/faces_640x480.png", test_data_dir());
    fiie_image img;
    assert_int_equal(fiie_image_load(&img, src, NULL), 0);
    char path[512];
    snprintf(path, sizeof path, "%s", tmpdir_file(&t, "l.png"));
    size_t size[10] = {0};
    for (int level = 0; level <= 9; level++) {
        assert_int_equal(fiie_image_save_png(&img, path, NULL, NULL, 0,
                                             FIIE_SAVE_COMPRESSION(level)),
                         0);
        bytes f = read_file_bytes(path);
        size[level] = f.n;
        free(f.p);
        fiie_image back;
        assert_int_equal(fiie_image_load(&back, path, NULL), 0);
        assert_same_pixels(&img, &back);
        fiie_image_free(&back);
    }
    assert_int_equal(size[0], size[image_zlib_default_level]);
    assert_true(size[9] <= size[1]);
    remove(path);
    assert_int_equal(fiie_image_save_png(&img, path, NULL, NULL, 0, FIIE_SAVE_COMPRESSION(10)),
                     FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_image_save_png(&img, path, NULL, NULL, 0, 0x100u),
                     FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(tmpdir_count(&t), 0);
    fiie_image_free(&img);
    tmpdir_remove(&t);
}

static void png_encode_rejects_bad_arguments(void **state)
{
    (void)state;
    fiie_image img;
    make_image(&img, 4, 4, FIIE_PIXEL_RGB8, 0);
    uint8_t *png = (uint8_t *)&img; /* must be reset to NULL */
    size_t n = 99;
    assert_int_equal(fiie_image_encode_png(NULL, NULL, NULL, 0, &png, &n),
                     FIIE_E_INVALID_ARGUMENT);
    assert_null(png);
    assert_int_equal(n, 0);
    assert_int_equal(fiie_image_encode_png(&img, NULL, NULL, 0, NULL, &n),
                     FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_image_encode_png(&img, NULL, NULL, 0, &png, NULL),
                     FIIE_E_INVALID_ARGUMENT);
    fiie_image bad = img;
    bad.stride = 5;
    assert_int_equal(fiie_image_encode_png(&bad, NULL, NULL, 0, &png, &n),
                     FIIE_E_INVALID_ARGUMENT);
    /* chunk types: four letters, ancillary, reserved bit clear */
    const char *types[] = {"fiI", "fiIEx", "fi1E", "FIIE", "IDAT", "fiiE", "", "fi E"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        assert_int_equal(fiie_image_encode_png(&img, types[i], "x", 1, &png, &n),
                         FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_image_encode_png(&img, "fiIE", NULL, 4, &png, &n),
                     FIIE_E_INVALID_ARGUMENT);
    assert_null(png);
    /* Size over the PNG chunk limit is refused before the data is read. */
    assert_int_equal(fiie_image_encode_png(&img, "fiIE", "x", (size_t)0x80000000u, &png, &n),
                     FIIE_E_TOO_LARGE);
    assert_null(png);
    free_made_image(&img);
}

static void png_chunk_round_trip(void **state)
{
    (void)state;
    fiie_image img;
    make_image(&img, 20, 11, FIIE_PIXEL_BGR8, 5);
    uint8_t payload[300];
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)(i * 31 + 7);
    uint8_t *png;
    size_t n;
    assert_int_equal(fiie_image_encode_png(&img, "fiIE", payload, sizeof payload, &png, &n), 0);
    /* Placement: signature (8) + IHDR (25), then our chunk. */
    assert_memory_equal(png + 12, "IHDR", 4);
    assert_int_equal(((uint32_t)png[33] << 24) | ((uint32_t)png[34] << 16) |
                         ((uint32_t)png[35] << 8) | png[36],
                     sizeof payload);
    assert_memory_equal(png + 37, "fiIE", 4);
    assert_memory_equal(png + 41, payload, sizeof payload);

    const uint8_t *data;
    size_t size;
    assert_int_equal(fiie_png_find_chunk(png, n, "fiIE", &data, &size), 0);
    assert_int_equal(size, sizeof payload);
    assert_ptr_equal(data, png + 41);
    assert_memory_equal(data, payload, size);
    assert_int_equal(fiie_png_find_chunk(png, n, "IHDR", &data, &size), 0);
    assert_int_equal(size, 13);
    assert_int_equal(fiie_png_find_chunk(png, n, "teXt", &data, &size), FIIE_E_NOT_FOUND);
    assert_null(data);
    assert_int_equal(size, 0);

    /* The pixels are unaffected by the extra chunk. */
    fiie_image back;
    assert_int_equal(fiie_image_load_memory(&back, png, n, NULL), 0);
    assert_same_pixels(&img, &back);
    fiie_image_free(&back);

    /* Damage after the chunk is not looked at by find ... */
    png[n - 5] ^= 0x01; /* IEND CRC */
    assert_int_equal(fiie_png_find_chunk(png, n, "fiIE", &data, &size), 0);
    /* ... but the loader checks every CRC, and find does when it has to
     * walk that far. */
    assert_int_equal(fiie_image_load_memory(&back, png, n, NULL), FIIE_E_IMAGE_FORMAT);
    assert_int_equal(fiie_png_find_chunk(png, n, "teXt", &data, &size), FIIE_E_IMAGE_FORMAT);
    png[n - 5] ^= 0x01;
    /* A flipped payload byte breaks the chunk's own CRC. */
    png[41 + 100] ^= 0x80;
    assert_int_equal(fiie_png_find_chunk(png, n, "fiIE", &data, &size), FIIE_E_IMAGE_FORMAT);
    png[41 + 100] ^= 0x80;
    /* Truncation inside the chunk. */
    assert_int_equal(fiie_png_find_chunk(png, 41 + 200, "fiIE", &data, &size),
                     FIIE_E_IMAGE_FORMAT);
    /* Not a PNG, bad arguments. */
    assert_int_equal(fiie_png_find_chunk("GIF89a....", 10, "fiIE", &data, &size),
                     FIIE_E_IMAGE_FORMAT);
    assert_int_equal(fiie_png_find_chunk(NULL, n, "fiIE", &data, &size),
                     FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_png_find_chunk(png, 0, "fiIE", &data, &size),
                     FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_png_find_chunk(png, n, "fiI", &data, &size),
                     FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_png_find_chunk(png, n, NULL, &data, &size), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_png_find_chunk(png, n, "fiIE", NULL, &size),
                     FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_png_find_chunk(png, n, "fiIE", &data, NULL),
                     FIIE_E_INVALID_ARGUMENT);

    /* Empty chunk. */
    uint8_t *png0;
    size_t n0;
    assert_int_equal(fiie_image_encode_png(&img, "abCd", NULL, 0, &png0, &n0), 0);
    assert_int_equal(n0, n - sizeof payload); /* same 12 bytes of chunk framing */
    assert_int_equal(fiie_png_find_chunk(png0, n0, "abCd", &data, &size), 0);
    assert_int_equal(size, 0);
    fiie_free(png0);
    fiie_free(png);
    free_made_image(&img);
}

static void png_file_chunk_read(void **state)
{
    (void)state;
    tmpdir t;
    tmpdir_make(&t);
    fiie_image img;
    make_image(&img, 16, 16, FIIE_PIXEL_RGBA8, 0);
    const char payload[] = "header bytes of a protected image";
    char path[512];
    snprintf(path, sizeof path, "%s", tmpdir_file(&t, "c.png"));
    assert_int_equal(fiie_image_save_png(&img, path, "fiIE", payload, sizeof payload, 0), 0);

    uint8_t buf[64];
    size_t size = 0;
    assert_int_equal(fiie_png_read_chunk(path, "fiIE", buf, sizeof buf, &size), 0);
    assert_int_equal(size, sizeof payload);
    assert_memory_equal(buf, payload, sizeof payload);
    /* exact capacity, size query, too small */
    assert_int_equal(fiie_png_read_chunk(path, "fiIE", buf, sizeof payload, &size), 0);
    assert_int_equal(fiie_png_read_chunk(path, "fiIE", NULL, 0, &size),
                     FIIE_E_BUFFER_TOO_SMALL);
    assert_int_equal(size, sizeof payload);
    memset(buf, 0x11, sizeof buf);
    assert_int_equal(fiie_png_read_chunk(path, "fiIE", buf, sizeof payload - 1, &size),
                     FIIE_E_BUFFER_TOO_SMALL);
    assert_int_equal(size, sizeof payload);
    assert_int_equal(buf[0], 0x11); /* nothing written */
    assert_int_equal(fiie_png_read_chunk(path, "zzZz", buf, sizeof buf, &size),
                     FIIE_E_NOT_FOUND);
    assert_int_equal(size, 0);
    /* bad arguments, missing file, not a PNG */
    assert_int_equal(fiie_png_read_chunk(NULL, "fiIE", buf, sizeof buf, &size),
                     FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_png_read_chunk(path, "fi", buf, sizeof buf, &size),
                     FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_png_read_chunk(path, "fiIE", buf, sizeof buf, NULL),
                     FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_png_read_chunk(path, "fiIE", NULL, 5, &size),
                     FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_png_read_chunk(tmpdir_file(&t, "missing.png"), "fiIE", buf,
                                         sizeof buf, &size),
                     FIIE_E_IO);
    assert_int_equal(fiie_png_read_chunk(t.path, "fiIE", buf, sizeof buf, &size), FIIE_E_IO);
    /* corrupt CRC of the chunk, and truncation inside it */
    bytes f = read_file_bytes(path);
    f.p[41 + 3] ^= 0x40;
    write_file(path, f.p, f.n);
    memset(buf, 0x11, sizeof buf);
    assert_int_equal(fiie_png_read_chunk(path, "fiIE", buf, sizeof buf, &size),
                     FIIE_E_IMAGE_FORMAT);
    for (size_t i = 0; i < sizeof payload; i++)
        assert_int_equal(buf[i], 0); /* unverified bytes were wiped */
    f.p[41 + 3] ^= 0x40;
    write_file(path, f.p, 41 + 10);
    assert_int_equal(fiie_png_read_chunk(path, "fiIE", buf, sizeof buf, &size),
                     FIIE_E_IMAGE_FORMAT);
    write_file(path, "\x89PNG", 4);
    assert_int_equal(fiie_png_read_chunk(path, "fiIE", buf, sizeof buf, &size),
                     FIIE_E_IMAGE_FORMAT);
    free(f.p);
    free_made_image(&img);
    tmpdir_remove(&t);
}

/* ------------------------------------------------------- saving */

static void save_png_atomically(void **state)
{
    (void)state;
    tmpdir t;
    tmpdir_make(&t);
    fiie_image a, b;
    make_image(&a, 30, 20, FIIE_PIXEL_RGB8, 2);
    make_image(&b, 10, 10, FIIE_PIXEL_RGBA8, 0);
    char path[512];
    snprintf(path, sizeof path, "%s", tmpdir_file(&t, "out.png"));

    mode_t old_mask = umask(027);
    assert_int_equal(fiie_image_save_png(&a, path, NULL, NULL, 0, 0), 0);
    umask(old_mask);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640); /* 0666 & ~umask */
    /* secret pixels (decrypted faces): owner only, also when replacing */
    old_mask = umask(022);
    assert_int_equal(fiie_image_save_png(&a, path, NULL, NULL, 0, FIIE_SAVE_PRIVATE), 0);
    umask(old_mask);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(fiie_image_save_png(&a, path, NULL, NULL, 0, FIIE_SAVE_PRIVATE |
                                         FIIE_SAVE_NO_CLOBBER),
                     FIIE_E_EXISTS);
    assert_int_equal(fiie_image_save_png(&a, path, NULL, NULL, 0, 4u), FIIE_E_INVALID_ARGUMENT);
    fiie_image back;
    assert_int_equal(fiie_image_load(&back, path, NULL), 0);
    assert_same_pixels(&a, &back);
    fiie_image_free(&back);
    assert_int_equal(tmpdir_count(&t), 1);

    /* no-clobber keeps the existing file byte for byte */
    bytes before = read_file_bytes(path);
    assert_int_equal(fiie_image_save_png(&b, path, NULL, NULL, 0, FIIE_SAVE_NO_CLOBBER),
                     FIIE_E_EXISTS);
    bytes after = read_file_bytes(path);
    assert_int_equal(before.n, after.n);
    assert_memory_equal(before.p, after.p, before.n);
    free(before.p);
    free(after.p);
    assert_int_equal(tmpdir_count(&t), 1);

    /* default replaces */
    assert_int_equal(fiie_image_save_png(&b, path, NULL, NULL, 0, 0), 0);
    assert_int_equal(fiie_image_load(&back, path, NULL), 0);
    assert_same_pixels(&b, &back);
    fiie_image_free(&back);

    /* no-clobber on a new name writes */
    char path2[512];
    snprintf(path2, sizeof path2, "%s", tmpdir_file(&t, "new.png"));
    assert_int_equal(fiie_image_save_png(&a, path2, "fiIE", "k", 1, FIIE_SAVE_NO_CLOBBER), 0);
    assert_int_equal(fiie_image_load(&back, path2, NULL), 0);
    assert_same_pixels(&a, &back);
    fiie_image_free(&back);
    assert_int_equal(tmpdir_count(&t), 2);

    /* failures leave nothing behind */
    assert_int_equal(fiie_image_save_png(&a, tmpdir_file(&t, "no/such/dir/x.png"), NULL,
                                         NULL, 0, 0),
                     FIIE_E_IO);
    assert_int_equal(fiie_image_save_png(&a, "/proc/fiie-cannot-write.png", NULL, NULL, 0, 0),
                     FIIE_E_IO);
    char sub[512];
    snprintf(sub, sizeof sub, "%s", tmpdir_file(&t, "adir"));
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(path, sizeof path, "%s", tmpdir_file(&t, "adir/inner"));
    assert_int_equal(mkdir(path, 0700), 0);
    /* rename onto a non-empty directory fails after the temp file exists */
    assert_int_equal(fiie_image_save_png(&a, sub, NULL, NULL, 0, 0), FIIE_E_IO);
    assert_int_equal(fiie_image_save_png(&a, sub, NULL, NULL, 0, FIIE_SAVE_NO_CLOBBER),
                     FIIE_E_EXISTS);
    assert_int_equal(tmpdir_count(&t), 3); /* out.png, new.png, adir */
    assert_int_equal(rmdir(path), 0);

    /* bad arguments */
    assert_int_equal(fiie_image_save_png(&a, NULL, NULL, NULL, 0, 0), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_image_save_png(&a, "", NULL, NULL, 0, 0), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_image_save_png(&a, path2, NULL, NULL, 0, 8), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_image_save_png(NULL, path2, NULL, NULL, 0, 0),
                     FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_image_save_png(&a, tmpdir_file(&t, "x.png"), "bad", NULL, 0, 0),
                     FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(tmpdir_count(&t), 3);
    free_made_image(&a);
    free_made_image(&b);
    tmpdir_remove(&t);
}

/* The file-writing tests run twice: through fiie_file_write_atomic()
 * (an unnamed O_TMPFILE file where the system has it) and through the
 * named temporary file that systems without O_TMPFILE or /proc get. */
static int write_atomic(void **state, const char *path, const void *data, size_t size,
                        unsigned flags)
{
    int named_only = *(const int *)*state;
    return named_only ? common_write_atomic(path, data, size, flags, 1)
                      : fiie_file_write_atomic(path, data, size, flags);
}

static const int write_unnamed_first = 0, write_named_only = 1;

static void file_write_atomic_modes(void **state)
{
    tmpdir t;
    tmpdir_make(&t);
    mode_t old_mask = umask(022);
    char path[512];
    snprintf(path, sizeof path, "%s", tmpdir_file(&t, "key"));
    assert_int_equal(write_atomic(state, path, "secret", 6, FIIE_FILE_PRIVATE), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(st.st_size, 6);
    assert_int_equal(write_atomic(state, path, "x", 1, FIIE_FILE_NO_CLOBBER), FIIE_E_EXISTS);
    assert_int_equal(write_atomic(state, path, NULL, 0, 0), 0); /* empty file, replaced */
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 0);
    assert_int_equal(st.st_mode & 07777, 0644); /* 0666 minus the umask */
    /* Private means exactly 0600, whatever the umask removes or keeps. */
    const mode_t masks[] = {0, 0277, 0777};
    for (size_t i = 0; i < sizeof masks / sizeof masks[0]; i++) {
        umask(masks[i]);
        assert_int_equal(write_atomic(state, path, "k", 1, FIIE_FILE_PRIVATE), 0);
        umask(022);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
    }
    umask(old_mask);
    /* relative path in the current directory */
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(t.path), 0);
    assert_int_equal(write_atomic(state, "rel", "abc", 3, FIIE_FILE_NO_CLOBBER), 0);
    assert_int_equal(chdir(cwd), 0);
    bytes r = read_file_bytes(tmpdir_file(&t, "rel"));
    assert_int_equal(r.n, 3);
    assert_memory_equal(r.p, "abc", 3);
    free(r.p);
    assert_int_equal(tmpdir_count(&t), 2); /* key, rel: no temporary file left */
    tmpdir_remove(&t);
}

static void file_write_atomic_links(void **state)
{
    tmpdir t;
    tmpdir_make(&t);
    char target[512], link_path[512];
    snprintf(target, sizeof target, "%s", tmpdir_file(&t, "target"));
    snprintf(link_path, sizeof link_path, "%s", tmpdir_file(&t, "link"));
    assert_int_equal(write_atomic(state, target, "old", 3, 0), 0);
    /* No clobbering: a symlink is never followed, even a dangling one. */
    assert_int_equal(symlink(target, link_path), 0);
    assert_int_equal(write_atomic(state, link_path, "new", 3, FIIE_FILE_NO_CLOBBER),
                     FIIE_E_EXISTS);
    char dangling[512];
    snprintf(dangling, sizeof dangling, "%s", tmpdir_file(&t, "dangling"));
    assert_int_equal(symlink("/nonexistent/fiie-target", dangling), 0);
    assert_int_equal(write_atomic(state, dangling, "new", 3, FIIE_FILE_NO_CLOBBER),
                     FIIE_E_EXISTS);
    /* Replacing: the link itself is replaced, its target untouched. */
    assert_int_equal(write_atomic(state, link_path, "new", 3, 0), 0);
    struct stat st;
    assert_int_equal(lstat(link_path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    bytes r = read_file_bytes(target);
    assert_int_equal(r.n, 3);
    assert_memory_equal(r.p, "old", 3);
    free(r.p);
    assert_int_equal(tmpdir_count(&t), 3);
    tmpdir_remove(&t);
}

static void file_write_atomic_errors(void **state)
{
    tmpdir t;
    tmpdir_make(&t);
    char path[512];
    snprintf(path, sizeof path, "%s", tmpdir_file(&t, "f"));
    assert_int_equal(write_atomic(state, NULL, "x", 1, 0), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(write_atomic(state, "", "x", 1, 0), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(write_atomic(state, path, NULL, 1, 0), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(write_atomic(state, path, "x", 1, 4), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(write_atomic(state, path, "x", 1, ~0u), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(write_atomic(state, tmpdir_file(&t, "d/"), "x", 1, 0),
                     FIIE_E_INVALID_ARGUMENT);
    /* A missing directory: FIIE_E_IO with errno telling why. */
    errno = 0;
    assert_int_equal(write_atomic(state, tmpdir_file(&t, "no/such/f"), "x", 1, 0), FIIE_E_IO);
    assert_int_equal(errno, ENOENT);
    /* A directory in the way cannot be replaced; the temporary file goes. */
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(write_atomic(state, path, "x", 1, 0), FIIE_E_IO);
    assert_int_equal(write_atomic(state, path, "x", 1, FIIE_FILE_NO_CLOBBER), FIIE_E_EXISTS);
    assert_int_equal(tmpdir_count(&t), 1);
    assert_int_equal(rmdir(path), 0);
    assert_int_equal(tmpdir_count(&t), 0);
    tmpdir_remove(&t);
}

/* A pipe's size is unknown: common_read_file() starts at 64 KiB and
 * grows (each larger buffer a wiped copy of the last, or the same pages
 * moved once they are mapped). */
typedef struct fifo_writer {
    const char *path;
    const uint8_t *data;
    size_t size;
} fifo_writer;

static void *fifo_write(void *arg)
{
    const fifo_writer *fw = arg;
    int fd = open(fw->path, O_WRONLY);
    if (fd >= 0) {
        size_t done = 0;
        while (done < fw->size) {
            ssize_t n = write(fd, fw->data + done, fw->size - done);
            if (n <= 0)
                break;
            done += (size_t)n;
        }
        close(fd);
    }
    return NULL;
}

static int read_from_fifo(const char *path, const uint8_t *data, size_t size, size_t max_size,
                          uint8_t **out, size_t *out_size)
{
    fifo_writer fw = {path, data, size};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, fifo_write, &fw), 0);
    int rc = common_read_file(path, max_size, out, out_size);
    pthread_join(t, NULL);
    return rc;
}

static void read_file_grows_for_pipes(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN); /* a reader that stops early must not kill the writer */
    tmpdir t;
    tmpdir_make(&t);
    char path[512];
    snprintf(path, sizeof path, "%s", tmpdir_file(&t, "fifo"));
    assert_int_equal(mkfifo(path, 0600), 0);
    /* 64 KiB -> ... -> 512 KiB (malloc'd) -> 1 MiB -> 2 -> 4 MiB (mapped) */
    size_t size = 3000000;
    uint8_t *data = malloc(size);
    assert_non_null(data);
    for (size_t i = 0; i < size; i++)
        data[i] = (uint8_t)(i * 2654435761u >> 13);
    uint8_t *got = NULL;
    size_t n = 0;
    assert_int_equal(read_from_fifo(path, data, size, size, &got, &n), 0);
    assert_int_equal(n, size);
    assert_memory_equal(got, data, size);
    common_buf_free(got);
    /* one byte over the limit: refused, nothing returned */
    got = NULL;
    assert_int_equal(read_from_fifo(path, data, size, size - 1, &got, &n), FIIE_E_TOO_LARGE);
    assert_null(got);
    free(data);
    assert_int_equal(unlink(path), 0);
    tmpdir_remove(&t);
}

/* The image buffers (common_buf): zero-filled, their size known, content
 * kept by a resize across the line between malloc'd and mapped memory in
 * both directions, and a failed resize leaves the buffer as it was. */
static void image_buffers_resize_and_release(void **state)
{
    (void)state;
    const size_t sizes[] = {0, 1, 4096, COMMON_BUF_PAGES_MIN - 1, COMMON_BUF_PAGES_MIN,
                            3 * COMMON_BUF_PAGES_MIN + 5};
    const size_t ns = sizeof sizes / sizeof sizes[0];
    for (size_t i = 0; i < ns; i++)
        for (size_t j = 0; j < ns; j++) {
            uint8_t *p = common_buf_alloc(sizes[i]);
            assert_non_null(p);
            assert_int_equal((uintptr_t)p % alignof(max_align_t), 0);
            assert_int_equal(common_buf_size(p), sizes[i]);
            for (size_t k = 0; k < sizes[i]; k++) {
                assert_int_equal(p[k], 0);
                p[k] = (uint8_t)(k * 7 + 1);
            }
            uint8_t *q = common_buf_realloc(p, sizes[j]);
            assert_non_null(q);
            assert_int_equal(common_buf_size(q), sizes[j]);
            for (size_t k = 0; k < sizes[j]; k++)
                assert_int_equal(q[k], k < sizes[i] ? (uint8_t)(k * 7 + 1) : 0);
            common_buf_free(q);
        }
    /* sizes no header can be added to, and a resize that cannot be done */
    assert_null(common_buf_alloc(SIZE_MAX));
    assert_null(common_buf_alloc(SIZE_MAX - 8));
    uint8_t *p = common_buf_realloc(NULL, 100);
    assert_non_null(p);
    memset(p, 0xab, 100);
    assert_null(common_buf_realloc(p, SIZE_MAX));
    assert_int_equal(common_buf_size(p), 100);
    for (size_t k = 0; k < 100; k++)
        assert_int_equal(p[k], 0xab);
    common_buf_free(p);
    common_buf_free(NULL);
    assert_int_equal(common_buf_size(NULL), 0);
}

/* ------------------------------------------------------- loading */

static void load_sample_images(void **state)
{
    (void)state;
    const struct {
        const char *name;
        uint32_t w, h;
        int gray;
    } samples[] = {
        {"astronaut.png", 512, 512, 0},      {"camera.png", 512, 512, 1},
        {"coffee.png", 600, 400, 0},         {"faces_640x480.png", 640, 480, 0},
        {"faces_1280x720.png", 1280, 720, 0},
    };
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        fiie_image img;
        assert_int_equal(fiie_image_load(&img, image_path(samples[i].name), NULL), 0);
        assert_int_equal(img.width, samples[i].w);
        assert_int_equal(img.height, samples[i].h);
        assert_int_equal(img.format, FIIE_PIXEL_RGB8);
        assert_int_equal(img.stride, samples[i].w * 3);
        assert_int_equal(img.flags, FIIE_IMAGE_OWNS_DATA);
        /* a grey file expands to R = G = B; colour photos are not grey,
         * and no photo is a constant image */
        int all_gray = 1, all_same = 1;
        for (size_t p = 0; p < (size_t)img.width * img.height; p++) {
            const uint8_t *px = img.data + 3 * p;
            if (px[0] != px[1] || px[1] != px[2])
                all_gray = 0;
            if (px[0] != img.data[0])
                all_same = 0;
        }
        assert_int_equal(all_gray, samples[i].gray);
        assert_false(all_same);
        /* The file and memory loaders agree; re-encoding is lossless. */
        bytes f = read_file_bytes(image_path(samples[i].name));
        fiie_image mem;
        assert_int_equal(fiie_image_load_memory(&mem, f.p, f.n, NULL), 0);
        assert_memory_equal(mem.data, img.data, (size_t)img.stride * img.height);
        fiie_image_free(&mem);
        uint8_t *png;
        size_t n;
        assert_int_equal(fiie_image_encode_png(&img, NULL, NULL, 0, &png, &n), 0);
        assert_int_equal(fiie_image_load_memory(&mem, png, n, NULL), 0);
        assert_memory_equal(mem.data, img.data, (size_t)img.stride * img.height);
        fiie_image_free(&mem);
        fiie_free(png);
        free(f.p);
        fiie_image_free(&img);
    }
}

static void load_options_versions_and_fields(void **state)
{
    (void)state;
    fiie_load_options o;
    assert_int_equal(fiie_load_options_init(&o), 0);
    assert_int_equal(o.abi_version, FIIE_ABI_VERSION);
    assert_int_equal(o.apply_orientation, 1);
    assert_int_equal(o.max_pixels, FIIE_MAX_PIXELS);
    assert_int_equal(o.format, 0);
    assert_int_equal(fiie_load_options_init(NULL), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_load_options_init_v(&o, (FIIE_ABI_VERSION_MAJOR + 1) << 16),
                     FIIE_E_VERSION);
    assert_int_equal(fiie_load_options_init_v(&o, 0), FIIE_E_VERSION);
    /* a newer minor of the same major is fine */
    assert_int_equal(fiie_load_options_init_v(&o, FIIE_ABI_VERSION + 1), 0);

    const char *path = image_path("coffee.png");
    fiie_image img;
    assert_int_equal(fiie_load_options_init(&o), 0);
    o.abi_version = (uint32_t)(FIIE_ABI_VERSION_MAJOR + 1) << 16;
    assert_int_equal(fiie_image_load(&img, path, &o), FIIE_E_VERSION);
    assert_null(img.data);
    bytes f = read_file_bytes(path);
    assert_int_equal(fiie_image_load_memory(&img, f.p, f.n, &o), FIIE_E_VERSION);
    assert_int_equal(fiie_load_options_init(&o), 0);
    o.reserved[43] = 1;
    assert_int_equal(fiie_image_load(&img, path, &o), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_load_options_init(&o), 0);
    o.format = 17;
    assert_int_equal(fiie_image_load(&img, path, &o), FIIE_E_INVALID_ARGUMENT);

    /* max_pixels below the image: refused; at the image size: fine */
    assert_int_equal(fiie_load_options_init(&o), 0);
    o.max_pixels = 600 * 400 - 1;
    assert_int_equal(fiie_image_load(&img, path, &o), FIIE_E_TOO_LARGE);
    o.max_pixels = 600 * 400;
    assert_int_equal(fiie_image_load(&img, path, &o), 0);
    fiie_image_free(&img);
    o.max_pixels = UINT64_MAX; /* capped at FIIE_MAX_PIXELS, not an error */
    assert_int_equal(fiie_image_load(&img, path, &o), 0);
    fiie_image rgb = img;
    /* forced RGBA adds an opaque alpha channel */
    o.format = FIIE_PIXEL_RGBA8;
    assert_int_equal(fiie_image_load_memory(&img, f.p, f.n, &o), 0);
    assert_int_equal(img.format, FIIE_PIXEL_RGBA8);
    assert_same_pixels(&rgb, &img);
    fiie_image_free(&img);
    fiie_image_free(&rgb);
    free(f.p);
}

static void load_rejects_bad_arguments_and_files(void **state)
{
    (void)state;
    tmpdir t;
    tmpdir_make(&t);
    fiie_image img;
    assert_int_equal(fiie_image_load(NULL, image_path("coffee.png"), NULL),
                     FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_image_load(&img, NULL, NULL), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_image_load(&img, tmpdir_file(&t, "missing.png"), NULL), FIIE_E_IO);
    assert_int_equal(fiie_image_load(&img, t.path, NULL), FIIE_E_IO);
    write_file(tmpdir_file(&t, "empty"), "", 0);
    assert_int_equal(fiie_image_load(&img, tmpdir_file(&t, "empty"), NULL),
                     FIIE_E_IMAGE_FORMAT);
    const char text[] = "this is plain text, not an image at all........";
    write_file(tmpdir_file(&t, "text"), text, sizeof text);
    assert_int_equal(fiie_image_load(&img, tmpdir_file(&t, "text"), NULL),
                     FIIE_E_IMAGE_FORMAT);
    assert_null(img.data);
    assert_int_equal(fiie_image_load_memory(NULL, text, sizeof text, NULL),
                     FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_image_load_memory(&img, NULL, 10, NULL), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_image_load_memory(&img, text, 0, NULL), FIIE_E_INVALID_ARGUMENT);
    /* pseudo-random garbage, and garbage behind each signature */
    uint8_t junk[4096];
    uint32_t s = 12345;
    for (size_t i = 0; i < sizeof junk; i++) {
        s = s * 1103515245u + 12345u;
        junk[i] = (uint8_t)(s >> 16);
    }
    const uint8_t *sigs[] = {(const uint8_t *)"\x89PNG\r\n\x1a\n", (const uint8_t *)"\xff\xd8\xff",
                             (const uint8_t *)"BM", (const uint8_t *)""};
    const size_t sig_len[] = {8, 3, 2, 0};
    for (int k = 0; k < 4; k++) {
        memcpy(junk, sigs[k], sig_len[k]);
        assert_int_equal(fiie_image_load_memory(&img, junk, sizeof junk, NULL),
                         FIIE_E_IMAGE_FORMAT);
        assert_null(img.data);
    }
    tmpdir_remove(&t);
}

static void truncated_and_corrupt_png(void **state)
{
    (void)state;
    bytes f = read_file_bytes(image_path("coffee.png"));
    const size_t cuts[] = {1, 7, 8, 16, 33, 40, f.n / 3, f.n / 2, f.n - 13, f.n - 12, f.n - 1};
    fiie_image img;
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        assert_int_equal(fiie_image_load_memory(&img, f.p, cuts[i], NULL), FIIE_E_IMAGE_FORMAT);
        assert_null(img.data);
    }
    /* one flipped bit anywhere in a chunk: CRC mismatch */
    const size_t flips[] = {20, 29, 40, f.n / 2, f.n - 20, f.n - 5};
    for (size_t i = 0; i < sizeof flips / sizeof flips[0]; i++) {
        f.p[flips[i]] ^= 0x04;
        assert_int_equal(fiie_image_load_memory(&img, f.p, f.n, NULL), FIIE_E_IMAGE_FORMAT);
        f.p[flips[i]] ^= 0x04;
    }
    assert_int_equal(fiie_image_load_memory(&img, f.p, f.n, NULL), 0);
    fiie_image_free(&img);
    free(f.p);

    /* IDAT with a valid CRC but a broken zlib stream */
    uint8_t rows[4 * 3] = {0};
    bytes p = png_from_rows(4, 1, 8, 2, rows, 12, NULL);
    /* stored-block header sits at 8+25+8+2; make its type the invalid 3 */
    size_t idat = 8 + 25;
    p.p[idat + 8 + 2] = 0x07;
    uint32_t len = ((uint32_t)p.p[idat] << 24) | ((uint32_t)p.p[idat + 1] << 16) |
                   ((uint32_t)p.p[idat + 2] << 8) | p.p[idat + 3];
    uint32_t crc = image_crc32(p.p + idat + 4, len + 4);
    uint8_t *c = p.p + idat + 8 + len;
    c[0] = (uint8_t)(crc >> 24), c[1] = (uint8_t)(crc >> 16), c[2] = (uint8_t)(crc >> 8),
    c[3] = (uint8_t)crc;
    assert_int_equal(fiie_image_load_memory(&img, p.p, p.n, NULL), FIIE_E_IMAGE_FORMAT);
    free(p.p);
}

static void png_header_limits_before_decoding(void **state)
{
    (void)state;
    fiie_image img;
    /* Only a header: the size check must come before anything else. */
    const uint32_t dims[][2] = {{100000, 100000}, {65536, 1},     {1, 65536},
                                {65535, 65535},   {16385, 16385}, {0x7fffffffu, 0x7fffffffu}};
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) {
        bytes p = {NULL, 0};
        png_start(&p, dims[i][0], dims[i][1], 8, 6);
        assert_int_equal(fiie_image_load_memory(&img, p.p, p.n, NULL), FIIE_E_TOO_LARGE);
        /* with a (tiny) IDAT and IEND it is still refused by size */
        uint8_t z[] = {0x78, 0x01, 0x01, 0x00, 0x00, 0xff, 0xff, 0, 0, 0, 1};
        png_chunk(&p, "IDAT", z, sizeof z);
        png_chunk(&p, "IEND", NULL, 0);
        assert_int_equal(fiie_image_load_memory(&img, p.p, p.n, NULL), FIIE_E_TOO_LARGE);
        assert_null(img.data);
        free(p.p);
    }
    /* zero size, bad depth, over the PNG limit: malformed */
    const uint8_t bad[][3] = {{0, 8, 2}, {1, 7, 2}, {1, 8, 5}, {1, 4, 2}, {1, 16, 3}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bytes p = {NULL, 0};
        png_start(&p, bad[i][0], 4, bad[i][1], bad[i][2]);
        png_chunk(&p, "IEND", NULL, 0);
        assert_int_equal(fiie_image_load_memory(&img, p.p, p.n, NULL), FIIE_E_IMAGE_FORMAT);
        free(p.p);
    }
    bytes p = {NULL, 0};
    png_start(&p, 0x80000000u, 4, 8, 2);
    assert_int_equal(fiie_image_load_memory(&img, p.p, p.n, NULL), FIIE_E_IMAGE_FORMAT);
    free(p.p);
}

static void png_depths_gray_and_transparency(void **state)
{
    (void)state;
    fiie_image img;
    /* 16-bit RGB: reduced to the high byte */
    uint8_t rows16[3 * 2 * 6];
    for (size_t i = 0; i < sizeof rows16; i++)
        rows16[i] = (uint8_t)(i * 37 + 11);
    bytes p = png_from_rows(3, 2, 16, 2, rows16, 18, NULL);
    assert_int_equal(fiie_image_load_memory(&img, p.p, p.n, NULL), 0);
    assert_int_equal(img.format, FIIE_PIXEL_RGB8);
    assert_int_equal(img.width, 3);
    assert_int_equal(img.height, 2);
    for (size_t i = 0; i < 18; i++)
        assert_int_equal(img.data[i], rows16[2 * i]);
    fiie_image_free(&img);
    free(p.p);

    /* 16-bit grey + alpha -> RGBA */
    uint8_t ga16[2 * 4] = {0x12, 0x34, 0xfe, 0xdc, 0x80, 0x00, 0x01, 0xff};
    p = png_from_rows(2, 1, 16, 4, ga16, 8, NULL);
    assert_int_equal(fiie_image_load_memory(&img, p.p, p.n, NULL), 0);
    assert_int_equal(img.format, FIIE_PIXEL_RGBA8);
    const uint8_t want_ga[8] = {0x12, 0x12, 0x12, 0xfe, 0x80, 0x80, 0x80, 0x01};
    assert_memory_equal(img.data, want_ga, 8);
    fiie_image_free(&img);
    free(p.p);

    /* 8-bit RGB with a tRNS colour key -> RGBA, key colour transparent */
    uint8_t rgb[2 * 3] = {10, 20, 30, 40, 50, 60};
    bytes key = {NULL, 0};
    const uint8_t k[6] = {0, 40, 0, 50, 0, 60};
    bytes_add(&key, k, 6);
    p = png_from_rows(2, 1, 8, 2, rgb, 6, &key);
    assert_int_equal(fiie_image_load_memory(&img, p.p, p.n, NULL), 0);
    assert_int_equal(img.format, FIIE_PIXEL_RGBA8);
    const uint8_t want_key[8] = {10, 20, 30, 255, 40, 50, 60, 0};
    assert_memory_equal(img.data, want_key, 8);
    fiie_image_free(&img);
    /* forced RGB drops it */
    fiie_load_options o;
    fiie_load_options_init(&o);
    o.format = FIIE_PIXEL_RGB8;
    assert_int_equal(fiie_image_load_memory(&img, p.p, p.n, &o), 0);
    assert_int_equal(img.format, FIIE_PIXEL_RGB8);
    assert_memory_equal(img.data, rgb, 6);
    fiie_image_free(&img);
    free(p.p);
    free(key.p);

    /* palette with a tRNS alpha table shorter than the palette */
    uint8_t idx[3] = {0, 1, 2};
    bytes pal = {NULL, 0}, alpha = {NULL, 0};
    const uint8_t plte[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    bytes_add(&alpha, "\x80", 1);
    p = (bytes){NULL, 0};
    png_start(&p, 3, 1, 8, 3);
    png_chunk(&p, "PLTE", plte, 9);
    png_chunk(&p, "tRNS", alpha.p, (uint32_t)alpha.n);
    bytes raw = {NULL, 0}, z = {NULL, 0};
    bytes_add(&raw, "\0", 1);
    bytes_add(&raw, idx, 3);
    zlib_stored(&z, raw.p, raw.n);
    png_chunk(&p, "IDAT", z.p, (uint32_t)z.n);
    png_chunk(&p, "IEND", NULL, 0);
    assert_int_equal(fiie_image_load_memory(&img, p.p, p.n, NULL), 0);
    assert_int_equal(img.format, FIIE_PIXEL_RGBA8);
    const uint8_t want_pal[12] = {1, 2, 3, 0x80, 4, 5, 6, 255, 7, 8, 9, 255};
    assert_memory_equal(img.data, want_pal, 12);
    fiie_image_free(&img);
    free(p.p);
    free(pal.p);
    free(alpha.p);
    free(raw.p);
    free(z.p);

    /* 1-bit grey */
    uint8_t bits[1] = {0xa0}; /* 1 0 1 0 */
    p = png_from_rows(4, 1, 1, 0, bits, 1, NULL);
    assert_int_equal(fiie_image_load_memory(&img, p.p, p.n, NULL), 0);
    const uint8_t want_bits[12] = {255, 255, 255, 0, 0, 0, 255, 255, 255, 0, 0, 0};
    assert_memory_equal(img.data, want_bits, 12);
    fiie_image_free(&img);
    free(p.p);

    /* A decompression bomb: 16 x 16 RGB needs 784 bytes of image data,
     * the stream holds 10 MB. stb alone would inflate all of it and
     * accept the image. The same stream with exactly 784 bytes decodes
     * (a black image); 775 bytes are too few. */
    for (int variant = 0; variant < 3; variant++) {
        bytes z = {NULL, 0};
        if (variant == 0)
            zlib_zeros(&z, 40000, 0);
        else
            zlib_zeros(&z, 3, variant == 1);
        p = (bytes){NULL, 0};
        png_start(&p, 16, 16, 8, 2);
        png_chunk(&p, "IDAT", z.p, (uint32_t)z.n);
        png_chunk(&p, "IEND", NULL, 0);
        assert_true(p.n < 70000);
        if (variant == 1) {
            assert_int_equal(fiie_image_load_memory(&img, p.p, p.n, NULL), 0);
            for (size_t i = 0; i < 16 * 16 * 3; i++)
                assert_int_equal(img.data[i], 0);
            fiie_image_free(&img);
        } else {
            assert_int_equal(fiie_image_load_memory(&img, p.p, p.n, NULL),
                             FIIE_E_IMAGE_FORMAT);
        }
        free(p.p);
        free(z.p);
    }

    /* no IDAT at all */
    p = (bytes){NULL, 0};
    png_start(&p, 2, 2, 8, 2);
    png_chunk(&p, "IEND", NULL, 0);
    assert_int_equal(fiie_image_load_memory(&img, p.p, p.n, NULL), FIIE_E_IMAGE_FORMAT);
    free(p.p);
}

/* ------------------------------------------------------- JPEG, EXIF, BMP, TGA */

#define JW 24
#define JH 16

/* 3 x 2 blocks of 8 x 8 flat colours: DCT-friendly (near lossless) and
 * asymmetric under every flip and rotation. */
static const uint8_t block_rgb[6][3] = {{200, 30, 30},  {30, 200, 30}, {30, 30, 200},
                                        {200, 200, 30}, {30, 200, 200}, {120, 120, 120}};

static bytes make_jpeg(void)
{
    uint8_t px[JW * JH * 3];
    for (int y = 0; y < JH; y++)
        for (int x = 0; x < JW; x++)
            memcpy(px + (y * JW + x) * 3, block_rgb[(y / 8) * 3 + x / 8], 3);
    return encode(TEST_JPEG, px, JW, JH, 3);
}

/* EXIF APP1 with IFD0 holding `n_before` dummy entries and Orientation. */
static bytes exif_segment(int big_endian, unsigned orientation, int n_before)
{
    bytes t = {NULL, 0};
#define PUT16(v)                                                                              \
    do {                                                                                      \
        uint16_t v_ = (uint16_t)(v);                                                          \
        uint8_t q_[2] = {big_endian ? (uint8_t)(v_ >> 8) : (uint8_t)v_,                       \
                         big_endian ? (uint8_t)v_ : (uint8_t)(v_ >> 8)};                      \
        bytes_add(&t, q_, 2);                                                                 \
    } while (0)
#define PUT32(v)                                                                              \
    do {                                                                                      \
        uint32_t w_ = (uint32_t)(v);                                                          \
        if (big_endian) {                                                                     \
            PUT16(w_ >> 16);                                                                  \
            PUT16(w_);                                                                        \
        } else {                                                                              \
            PUT16(w_);                                                                        \
            PUT16(w_ >> 16);                                                                  \
        }                                                                                     \
    } while (0)
    bytes_add(&t, big_endian ? "MM" : "II", 2);
    PUT16(42);
    PUT32(8);
    PUT16(n_before + 1);
    for (int i = 0; i < n_before; i++) { /* ImageWidth LONG, sorted before 0x0112 */
        PUT16(0x0100 + i);
        PUT16(4);
        PUT32(1);
        PUT32(JW);
    }
    PUT16(0x0112);
    PUT16(3);
    PUT32(1);
    PUT16(orientation);
    PUT16(0);
    PUT32(0); /* next IFD */
#undef PUT16
#undef PUT32
    bytes seg = {NULL, 0};
    size_t len = 2 + 6 + t.n;
    uint8_t h[4] = {0xff, 0xe1, (uint8_t)(len >> 8), (uint8_t)len};
    bytes_add(&seg, h, 4);
    bytes_add(&seg, "Exif\0\0", 6);
    bytes_add(&seg, t.p, t.n);
    free(t.p);
    return seg;
}

/* jpeg with `seg` inserted right after SOI */
static bytes splice_after_soi(const bytes *jpg, const bytes *seg)
{
    bytes out = {NULL, 0};
    bytes_add(&out, jpg->p, 2);
    bytes_add(&out, seg->p, seg->n);
    bytes_add(&out, jpg->p + 2, jpg->n - 2);
    return out;
}

static void jpeg_decodes_and_rejects_truncation(void **state)
{
    (void)state;
    bytes j = make_jpeg();
    fiie_image img;
    assert_int_equal(fiie_image_load_memory(&img, j.p, j.n, NULL), 0);
    assert_int_equal(img.width, JW);
    assert_int_equal(img.height, JH);
    assert_int_equal(img.format, FIIE_PIXEL_RGB8);
    for (int y = 0; y < JH; y++)
        for (int x = 0; x < JW; x++)
            for (int c = 0; c < 3; c++) {
                int want = block_rgb[(y / 8) * 3 + x / 8][c];
                int got = img.data[(y * JW + x) * 3 + c];
                assert_true(abs(want - got) <= 6);
            }
    fiie_image_free(&img);
    /* every cut, including a missing EOI (last two bytes) */
    for (size_t cut = 1; cut < j.n; cut += (cut < 700 ? 37 : 1)) {
        if (fiie_image_load_memory(&img, j.p, cut, NULL) != FIIE_E_IMAGE_FORMAT)
            fail_msg("JPEG cut at %zu of %zu was not rejected", cut, j.n);
        assert_null(img.data);
    }
    /* trailing bytes after EOI are ignored */
    bytes longer = {NULL, 0};
    bytes_add(&longer, j.p, j.n);
    bytes_add(&longer, "trailing", 8);
    assert_int_equal(fiie_image_load_memory(&img, longer.p, longer.n, NULL), 0);
    fiie_image_free(&img);
    /* a frame header claiming 60000 x 60000: refused by size first */
    size_t sof = 2;
    while (sof + 9 < j.n && !(j.p[sof] == 0xff && j.p[sof + 1] == 0xc0))
        sof++;
    assert_true(sof + 9 < j.n);
    bytes big = {NULL, 0};
    bytes_add(&big, j.p, j.n);
    big.p[sof + 5] = 0xea, big.p[sof + 6] = 0x60; /* height 60000 */
    big.p[sof + 7] = 0xea, big.p[sof + 8] = 0x60; /* width 60000 */
    assert_int_equal(fiie_image_load_memory(&img, big.p, big.n, NULL), FIIE_E_TOO_LARGE);
    fiie_load_options o;
    fiie_load_options_init(&o);
    o.max_pixels = JW * JH - 1;
    assert_int_equal(fiie_image_load_memory(&img, j.p, j.n, &o), FIIE_E_TOO_LARGE);
    free(big.p);
    /* Huffman table with more than 256 codes: stb 2.27 would write past
     * its tables (ASan catches that here if the check is missing). */
    size_t dht = 2;
    while (dht + 21 < j.n && !(j.p[dht] == 0xff && j.p[dht + 1] == 0xc4))
        dht++;
    assert_true(dht + 21 < j.n);
    bytes bad_dht = {NULL, 0};
    bytes_add(&bad_dht, j.p, j.n);
    for (int i = 0; i < 16; i++)
        bad_dht.p[dht + 5 + i] = 0x11; /* 16 * 17 = 272 codes */
    assert_int_equal(fiie_image_load_memory(&img, bad_dht.p, bad_dht.n, NULL),
                     FIIE_E_IMAGE_FORMAT);
    /* stb also takes 0xFF fill bytes before SOI as a JPEG: so must the
     * structure check, or such a file would skip it */
    bytes filled = {NULL, 0};
    bytes_add(&filled, "\xff\xff", 2);
    bytes_add(&filled, bad_dht.p, bad_dht.n);
    assert_int_equal(fiie_image_load_memory(&img, filled.p, filled.n, NULL),
                     FIIE_E_IMAGE_FORMAT);
    filled.n = 0;
    bytes_add(&filled, "\xff\xff", 2);
    bytes_add(&filled, j.p, j.n);
    assert_int_equal(fiie_image_load_memory(&img, filled.p, filled.n, NULL), 0);
    assert_int_equal(img.width, JW);
    fiie_image_free(&img);
    assert_int_equal(fiie_image_load_memory(&img, filled.p, filled.n - 2, NULL),
                     FIIE_E_IMAGE_FORMAT);
    free(filled.p);
    bad_dht.p[dht + 4] = 0x24; /* table class 2 */
    assert_int_equal(fiie_image_load_memory(&img, bad_dht.p, bad_dht.n, NULL),
                     FIIE_E_IMAGE_FORMAT);
    free(bad_dht.p);
    /* a segment length running past the end */
    longer.p[4] = 0xff;
    longer.p[5] = 0xff;
    assert_int_equal(fiie_image_load_memory(&img, longer.p, longer.n, NULL),
                     FIIE_E_IMAGE_FORMAT);
    free(longer.p);
    free(j.p);
}

/* Where the stored top-left, top-right and bottom-left pixels must appear
 * for each orientation (EXIF 2.3 table of tag 0x0112), as (x, y) in units
 * of "last column / last row" of the displayed image: 0 or 1. */
static const int corner_map[9][3][2] = {
    {{0, 0}, {0, 0}, {0, 0}},
    {{0, 0}, {1, 0}, {0, 1}}, /* 1 top-left */
    {{1, 0}, {0, 0}, {1, 1}}, /* 2 top-right: mirrored */
    {{1, 1}, {0, 1}, {1, 0}}, /* 3 bottom-right: rotated 180 */
    {{0, 1}, {1, 1}, {0, 0}}, /* 4 bottom-left: flipped */
    {{0, 0}, {0, 1}, {1, 0}}, /* 5 left-top: transposed */
    {{1, 0}, {1, 1}, {0, 0}}, /* 6 right-top: turned 90 clockwise */
    {{1, 1}, {1, 0}, {0, 1}}, /* 7 right-bottom: transverse */
    {{0, 1}, {0, 0}, {1, 1}}, /* 8 left-bottom: turned 90 counter-clockwise */
};

/* Expected displayed image: the affine map fixed by the three corners. */
static void check_orientation(const fiie_image *stored, const fiie_image *shown, int o)
{
    uint32_t w = stored->width, h = stored->height;
    int swap = o >= 5;
    assert_int_equal(shown->width, swap ? h : w);
    assert_int_equal(shown->height, swap ? w : h);
    int64_t W1 = shown->width - 1, H1 = shown->height - 1;
    int64_t tl[2] = {corner_map[o][0][0] * W1, corner_map[o][0][1] * H1};
    int64_t tr[2] = {corner_map[o][1][0] * W1, corner_map[o][1][1] * H1};
    int64_t bl[2] = {corner_map[o][2][0] * W1, corner_map[o][2][1] * H1};
    for (uint32_t sy = 0; sy < h; sy++)
        for (uint32_t sx = 0; sx < w; sx++) {
            /* a step along a stored row moves (tr - tl) / (w - 1) */
            int64_t dx = tl[0] + (tr[0] - tl[0]) * sx / (int64_t)(w - 1) +
                         (bl[0] - tl[0]) * sy / (int64_t)(h - 1);
            int64_t dy = tl[1] + (tr[1] - tl[1]) * sx / (int64_t)(w - 1) +
                         (bl[1] - tl[1]) * sy / (int64_t)(h - 1);
            assert_memory_equal(stored->data + sy * stored->stride + sx * 3,
                                shown->data + (size_t)dy * shown->stride + (size_t)dx * 3, 3);
        }
}

/* A progressive JPEG (found by fuzzing) whose AC scan uses an AC Huffman
 * table that no DHT defined; stb 2.27 reads outside its tables on it. */
static const uint8_t undefined_table_jpeg[] = {
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01,
    0x00, 0x01, 0x00, 0x00, 0xff, 0xdb, 0x00, 0x43, 0x00, 0x02, 0x01, 0x01, 0x01, 0x01, 0x01, 0x02,
    0x01, 0x01, 0x01, 0x02, 0x02, 0x02, 0x02, 0x02, 0x04, 0x03, 0x02, 0x02, 0x02, 0x02, 0x05, 0x04,
    0x04, 0x03, 0x04, 0x06, 0x05, 0x06, 0x06, 0x06, 0x05, 0x06, 0x06, 0x06, 0x07, 0x09, 0x08, 0x06,
    0x07, 0x09, 0x07, 0x06, 0x06, 0x08, 0x0b, 0x08, 0x09, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x06, 0x08,
    0x0b, 0x0c, 0x0b, 0x0a, 0x0c, 0x09, 0x0a, 0x0a, 0x0a, 0xff, 0xdb, 0x00, 0x43, 0x01, 0x02, 0x02,
    0x02, 0x02, 0x02, 0x02, 0x05, 0x03, 0x03, 0x05, 0x0a, 0x07, 0x06, 0x07, 0x0a, 0x0a, 0x0a, 0x0a,
    0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a,
    0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a,
    0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0xff, 0xc2,
    0x00, 0x11, 0x08, 0x08, 0x00, 0x00, 0x08, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11,
    0x01, 0xff, 0xc4, 0x00, 0x15, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0xff, 0xc4, 0x00, 0x15, 0x01, 0x01, 0x01, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xff,
    0xda, 0x00, 0x0c, 0x03, 0x01, 0x00, 0x02, 0x10, 0x03, 0x10, 0x00, 0x00, 0x8c, 0x01, 0x96, 0x26,
    0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x01, 0x3f, 0x10, 0x1e, 0x9d, 0xed, 0x74, 0xf4, 0x6d,
    0x49, 0x36, 0x3a, 0x7f, 0xff, 0xd9,

};

static void jpeg_scan_with_undefined_table(void **state)
{
    (void)state;
    fiie_image img;
    const uint8_t *exif;
    size_t exif_size;
    /* stb may or may not notice by itself: check the structure check */
    assert_int_equal(image_jpeg_validate(undefined_table_jpeg, sizeof undefined_table_jpeg,
                                        &exif, &exif_size),
                     FIIE_E_IMAGE_FORMAT);
    assert_int_equal(fiie_image_load_memory(&img, undefined_table_jpeg,
                                            sizeof undefined_table_jpeg, NULL),
                     FIIE_E_IMAGE_FORMAT);
    assert_null(img.data);
    /* Baseline file whose scan names a table that was never defined. */
    bytes j = make_jpeg();
    size_t sos = 2;
    while (sos + 5 < j.n && !(j.p[sos] == 0xff && j.p[sos + 1] == 0xda))
        sos++;
    assert_true(sos + 5 < j.n);
    assert_int_equal(image_jpeg_validate(j.p, j.n, &exif, &exif_size), 0);
    assert_null(exif);
    j.p[sos + 6] = 0x33; /* first component: DC table 3, AC table 3 */
    assert_int_equal(image_jpeg_validate(j.p, j.n, &exif, &exif_size), FIIE_E_IMAGE_FORMAT);
    assert_int_equal(fiie_image_load_memory(&img, j.p, j.n, NULL), FIIE_E_IMAGE_FORMAT);
    free(j.p);
}

static void exif_orientations(void **state)
{
    (void)state;
    bytes j = make_jpeg();
    fiie_image stored;
    assert_int_equal(fiie_image_load_memory(&stored, j.p, j.n, NULL), 0);
    fiie_load_options raw;
    fiie_load_options_init(&raw);
    raw.apply_orientation = 0;
    for (int be = 0; be <= 1; be++)
        for (unsigned o = 1; o <= 8; o++) {
            bytes seg = exif_segment(be, o, (int)o % 3);
            bytes f = splice_after_soi(&j, &seg);
            fiie_image shown, unturned;
            assert_int_equal(fiie_image_load_memory(&shown, f.p, f.n, NULL), 0);
            check_orientation(&stored, &shown, (int)o);
            /* as stored when orientation is not applied */
            assert_int_equal(fiie_image_load_memory(&unturned, f.p, f.n, &raw), 0);
            assert_int_equal(unturned.width, JW);
            assert_memory_equal(unturned.data, stored.data, (size_t)JW * JH * 3);
            /* orientation and a BGR request combine */
            fiie_load_options bgr;
            fiie_load_options_init(&bgr);
            bgr.format = FIIE_PIXEL_BGR8;
            fiie_image shown_bgr;
            assert_int_equal(fiie_image_load_memory(&shown_bgr, f.p, f.n, &bgr), 0);
            assert_same_pixels(&shown, &shown_bgr);
            fiie_image_free(&shown_bgr);
            fiie_image_free(&shown);
            fiie_image_free(&unturned);
            free(seg.p);
            free(f.p);
        }
    /* invalid values and broken EXIF are ignored (image as stored) */
    const unsigned odd[] = {0, 9, 0xffff};
    for (size_t i = 0; i < 3; i++) {
        bytes seg = exif_segment(0, odd[i], 0);
        bytes f = splice_after_soi(&j, &seg);
        fiie_image img;
        assert_int_equal(fiie_image_load_memory(&img, f.p, f.n, NULL), 0);
        assert_memory_equal(img.data, stored.data, (size_t)JW * JH * 3);
        fiie_image_free(&img);
        free(seg.p);
        free(f.p);
    }
    for (int damage = 0; damage < 4; damage++) {
        bytes seg = exif_segment(1, 6, 2);
        uint8_t *tiff = seg.p + 10;
        if (damage == 0)
            tiff[7] = 0xf0; /* IFD offset far outside */
        else if (damage == 1)
            tiff[9] = 0xff; /* 255 entries claimed, 3 present */
        else if (damage == 2)
            tiff[3] = 41; /* not 42 */
        else
            tiff[0] = 'X'; /* unknown byte order */
        bytes f = splice_after_soi(&j, &seg);
        fiie_image img;
        assert_int_equal(fiie_image_load_memory(&img, f.p, f.n, NULL), 0);
        if (damage == 1) /* entries that fit are still read */
            check_orientation(&stored, &img, 6);
        else
            assert_memory_equal(img.data, stored.data, (size_t)JW * JH * 3);
        fiie_image_free(&img);
        free(seg.p);
        free(f.p);
    }
    fiie_image_free(&stored);
    free(j.p);
}

static void bmp_and_tga(void **state)
{
    (void)state;
    const int w = 13, h = 7;
    for (int comp = 3; comp <= 4; comp++) {
        uint8_t px[13 * 7 * 4];
        for (int i = 0; i < w * h * comp; i++)
            px[i] = (uint8_t)(i * 29 + 3);
        for (int kind = 0; kind < 2; kind++) {
            bytes b = encode(kind == 0 ? TEST_BMP : TEST_TGA, px, w, h, comp);
            fiie_image img;
            assert_int_equal(fiie_image_load_memory(&img, b.p, b.n, NULL), 0);
            assert_int_equal(img.width, (uint32_t)w);
            assert_int_equal(img.height, (uint32_t)h);
            int has_a = comp == 4; /* 32-bit BMP with an alpha mask, 32-bit TGA */
            assert_int_equal(img.format, has_a ? FIIE_PIXEL_RGBA8 : FIIE_PIXEL_RGB8);
            int ch = has_a ? 4 : 3;
            for (int i = 0; i < w * h; i++)
                assert_memory_equal(img.data + i * ch, px + i * comp, (size_t)ch);
            fiie_image_free(&img);
            for (size_t cut = 1; cut < b.n; cut += 1 + b.n / 40) {
                if (fiie_image_load_memory(&img, b.p, cut, NULL) != FIIE_E_IMAGE_FORMAT)
                    fail_msg("%s cut at %zu of %zu not rejected", kind ? "TGA" : "BMP", cut,
                             b.n);
            }
            assert_int_equal(fiie_image_load_memory(&img, b.p, b.n - 1, NULL),
                             FIIE_E_IMAGE_FORMAT);
            if (kind == 0) {
                /* header claiming 70000 x 7 and an impossible height */
                b.p[18] = 0x70, b.p[19] = 0x11, b.p[20] = 0x01, b.p[21] = 0;
                assert_int_equal(fiie_image_load_memory(&img, b.p, b.n, NULL),
                                 FIIE_E_TOO_LARGE);
                b.p[18] = (uint8_t)w, b.p[19] = 0, b.p[20] = 0, b.p[21] = 0;
                b.p[22] = 0, b.p[23] = 0, b.p[24] = 0, b.p[25] = 0x80;
                assert_int_equal(fiie_image_load_memory(&img, b.p, b.n, NULL),
                                 FIIE_E_IMAGE_FORMAT);
            }
            free(b.p);
        }
    }
}

/* ------------------------------------------------------- probe, ICC, PNG options */

static void unsupported_formats_are_named(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        uint8_t head[32];
        size_t n;
    } cases[] = {
        {"WebP", "RIFF\x24\0\0\0WEBPVP8 ", 16},
        {"TIFF", "II*\0\x08\0\0\0", 8},
        {"TIFF", "MM\0*\0\0\0\x08", 8},
        {"GIF", "GIF89a\x01\0\x01\0", 10},
        {"GIF", "GIF87a\x01\0\x01\0", 10},
        {"HEIC", "\0\0\0\x18" "ftypheic\0\0\0\0mif1heic", 24},
        {"HEIC", "\0\0\0\x10" "ftypmif1\0\0\0\0", 16},
        {"AVIF", "\0\0\0\x1c" "ftypmif1\0\0\0\0mif1avifmiaf", 28},
        {"AVIF", "\0\0\0\x14" "ftypavif\0\0\0\0mif1", 20},
        {"JPEG XL", "\xff\x0a\xfa\x7f", 4},
        {"JPEG XL", "\0\0\0\x0cJXL \x0d\x0a\x87\x0a", 12},
    };
    tmpdir t;
    tmpdir_make(&t);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t file[64] = {0};
        memcpy(file, cases[i].head, cases[i].n);
        fiie_image img;
        fiie_image_info info;
        assert_int_equal(fiie_image_load_memory(&img, file, sizeof file, NULL),
                         FIIE_E_UNSUPPORTED_FORMAT);
        assert_null(img.data);
        assert_int_equal(fiie_image_probe_memory(&info, file, sizeof file),
                         FIIE_E_UNSUPPORTED_FORMAT);
        assert_string_equal(info.format, cases[i].name);
        assert_int_equal(info.width, 0);
        assert_null(info.icc);
        fiie_image_info_free(&info);
        /* through files too */
        char path[512];
        snprintf(path, sizeof path, "%s", tmpdir_file(&t, "x.img"));
        write_file(path, file, sizeof file);
        assert_int_equal(fiie_image_load(&img, path, NULL), FIIE_E_UNSUPPORTED_FORMAT);
        assert_int_equal(fiie_image_probe(&info, path), FIIE_E_UNSUPPORTED_FORMAT);
        assert_string_equal(info.format, cases[i].name);
        fiie_image_info_free(&info);
    }
    /* an ISO BMFF file of another brand (MP4) is not called HEIC */
    uint8_t mp4[32] = "\0\0\0\x14" "ftypisom\0\0\0\0mp41";
    fiie_image_info info;
    assert_int_equal(fiie_image_probe_memory(&info, mp4, sizeof mp4), FIIE_E_IMAGE_FORMAT);
    assert_string_equal(info.format, "");
    assert_string_not_equal(fiie_strerror(FIIE_E_UNSUPPORTED_FORMAT),
                            fiie_strerror(FIIE_E_IMAGE_FORMAT));
    tmpdir_remove(&t);
}

static void probe_reports_what_loading_changes(void **state)
{
    (void)state;
    static const struct {
        uint8_t depth, color;
        int trns;
        uint32_t channels;
    } pngs[] = {
        {16, 2, 0, 3}, {8, 2, 0, 3}, {8, 0, 0, 1}, {16, 0, 0, 1}, {1, 0, 0, 1},
        {8, 4, 0, 2},  {8, 6, 0, 4}, {8, 2, 1, 4}, {8, 0, 1, 2},
    };
    for (size_t i = 0; i < sizeof pngs / sizeof pngs[0]; i++) {
        static const uint8_t samples[7] = {1, 0, 3, 3, 2, 0, 4};
        size_t row = ((size_t)4 * samples[pngs[i].color] * pngs[i].depth + 7) / 8;
        uint8_t rows[4 * 8 * 2] = {0};
        bytes trns = {NULL, 0};
        if (pngs[i].trns) {
            const uint8_t k[6] = {0, 1, 0, 2, 0, 3};
            bytes_add(&trns, k, pngs[i].color == 0 ? 2 : 6);
        }
        bytes p = png_from_rows(4, 2, pngs[i].depth, pngs[i].color, rows, row,
                                pngs[i].trns ? &trns : NULL);
        fiie_image_info info;
        assert_int_equal(fiie_image_probe_memory(&info, p.p, p.n), 0);
        assert_string_equal(info.format, "PNG");
        assert_int_equal(info.width, 4);
        assert_int_equal(info.height, 2);
        assert_int_equal(info.bit_depth, pngs[i].depth);
        assert_int_equal(info.channels, pngs[i].channels);
        assert_int_equal(info.orientation, 1);
        assert_null(info.icc);
        assert_int_equal(info.icc_size, 0);
        fiie_image_info_free(&info);
        assert_null(info.icc);
        free(p.p);
        free(trns.p);
    }
    bytes j = make_jpeg();
    fiie_image_info info;
    assert_int_equal(fiie_image_probe_memory(&info, j.p, j.n), 0);
    assert_string_equal(info.format, "JPEG");
    assert_int_equal(info.bit_depth, 8);
    assert_int_equal(info.channels, 3);
    assert_int_equal(info.width, JW);
    fiie_image_info_free(&info);
    /* the same checks as loading: a cut JPEG is refused */
    assert_int_equal(fiie_image_probe_memory(&info, j.p, j.n - 2), FIIE_E_IMAGE_FORMAT);
    free(j.p);
    uint8_t px[4 * 4 * 3] = {0};
    bytes b = encode(TEST_BMP, px, 4, 4, 3);
    assert_int_equal(fiie_image_probe_memory(&info, b.p, b.n), 0);
    assert_string_equal(info.format, "BMP");
    assert_int_equal(info.channels, 3);
    free(b.p);
    /* bad arguments */
    assert_int_equal(fiie_image_probe_memory(NULL, px, 4), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_image_probe_memory(&info, NULL, 4), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_image_probe_memory(&info, px, 0), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_image_probe_memory(&info, px, sizeof px), FIIE_E_IMAGE_FORMAT);
    assert_int_equal(fiie_image_probe(NULL, "x"), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_image_probe(&info, NULL), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_image_probe(&info, "/nonexistent/fiie.png"), FIIE_E_IO);
    fiie_image_info_free(NULL);
}

/* A plausible ICC profile: size field right, the rest a pattern. */
static bytes fake_icc(size_t n)
{
    bytes b = {NULL, 0};
    bytes_be32(&b, (uint32_t)n);
    for (size_t i = 4; i < n; i++) {
        uint8_t v = (uint8_t)(i * 7 + i / 251);
        bytes_add(&b, &v, 1);
    }
    return b;
}

static void icc_profile_carried_into_png(void **state)
{
    (void)state;
    tmpdir t;
    tmpdir_make(&t);
    fiie_image a;
    make_image(&a, 13, 7, FIIE_PIXEL_BGR8, 1);
    bytes icc = fake_icc(3000);
    fiie_png_options o;
    assert_int_equal(fiie_png_options_init(&o), 0);
    assert_int_equal(o.flags, 0);
    o.icc = icc.p;
    o.icc_size = icc.n;
    o.chunk_type = "fiIE";
    o.chunk_data = "hdr";
    o.chunk_size = 3;
    o.flags = FIIE_SAVE_NO_CLOBBER | FIIE_SAVE_PRIVATE;
    char path[512];
    snprintf(path, sizeof path, "%s", tmpdir_file(&t, "icc.png"));
    mode_t old_mask = umask(0);
    assert_int_equal(fiie_image_save_png_with(&a, path, &o), 0);
    umask(old_mask);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600); /* private whatever the umask */
    assert_int_equal(fiie_image_save_png_with(&a, path, &o), FIIE_E_EXISTS);
    assert_int_equal(tmpdir_count(&t), 1);

    fiie_image_info info;
    assert_int_equal(fiie_image_probe(&info, path), 0);
    assert_int_equal(info.icc_size, icc.n);
    assert_memory_equal(info.icc, icc.p, icc.n);
    fiie_image_info_free(&info);
    fiie_image back;
    assert_int_equal(fiie_image_load(&back, path, NULL), 0);
    assert_same_pixels(&a, &back);
    fiie_image_free(&back);
    uint8_t hdr[8];
    size_t hlen;
    assert_int_equal(fiie_png_read_chunk(path, "fiIE", hdr, sizeof hdr, &hlen), 0);
    assert_int_equal(hlen, 3);
    assert_memory_equal(hdr, "hdr", 3);

    /* in memory, without a private chunk */
    o.chunk_type = NULL;
    o.chunk_data = NULL;
    o.chunk_size = 0;
    uint8_t *png;
    size_t n;
    assert_int_equal(fiie_image_encode_png_with(&a, &o, &png, &n), 0);
    assert_int_equal(fiie_image_probe_memory(&info, png, n), 0);
    assert_int_equal(info.icc_size, icc.n);
    fiie_image_info_free(&info);
    /* a profile whose size field lies is ignored when read back */
    bytes bad = fake_icc(200);
    bad.p[3] = 201;
    o.icc = bad.p;
    o.icc_size = bad.n;
    fiie_free(png);
    assert_int_equal(fiie_image_encode_png_with(&a, &o, &png, &n), 0);
    assert_int_equal(fiie_image_probe_memory(&info, png, n), 0);
    assert_null(info.icc);
    fiie_image_info_free(&info);
    fiie_free(png);
    free(bad.p);
    /* NULL options: plain PNG */
    assert_int_equal(fiie_image_encode_png_with(&a, NULL, &png, &n), 0);
    assert_int_equal(fiie_image_probe_memory(&info, png, n), 0);
    assert_null(info.icc);
    fiie_free(png);

    /* bad options */
    fiie_png_options b;
    fiie_png_options_init(&b);
    b.icc = icc.p; /* size 0 */
    assert_int_equal(fiie_image_encode_png_with(&a, &b, &png, &n), FIIE_E_INVALID_ARGUMENT);
    assert_null(png);
    b.icc_size = 127;
    assert_int_equal(fiie_image_encode_png_with(&a, &b, &png, &n), FIIE_E_INVALID_ARGUMENT);
    b.icc_size = (size_t)FIIE_MAX_ICC_BYTES + 1;
    assert_int_equal(fiie_image_encode_png_with(&a, &b, &png, &n), FIIE_E_TOO_LARGE);
    fiie_png_options_init(&b);
    b.flags = 8;
    assert_int_equal(fiie_image_encode_png_with(&a, &b, &png, &n), FIIE_E_INVALID_ARGUMENT);
    fiie_png_options_init(&b);
    b.flags = 4;
    assert_int_equal(fiie_image_save_png_with(&a, tmpdir_file(&t, "m.png"), &b),
                     FIIE_E_INVALID_ARGUMENT);
    fiie_png_options_init(&b);
    b.reserved[39] = 1;
    assert_int_equal(fiie_image_encode_png_with(&a, &b, &png, &n), FIIE_E_INVALID_ARGUMENT);
    fiie_png_options_init(&b);
    b.abi_version = (FIIE_ABI_VERSION_MAJOR + 1u) << 16;
    assert_int_equal(fiie_image_encode_png_with(&a, &b, &png, &n), FIIE_E_VERSION);
    fiie_png_options_init(&b);
    b.chunk_type = "IDAT";
    assert_int_equal(fiie_image_encode_png_with(&a, &b, &png, &n), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_image_encode_png_with(NULL, NULL, &png, &n), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_image_encode_png_with(&a, NULL, NULL, &n), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_image_save_png_with(&a, NULL, NULL), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_image_save_png_with(&a, "", NULL), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_png_options_init_v(NULL, FIIE_ABI_VERSION), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_png_options_init_v(&b, (FIIE_ABI_VERSION_MAJOR + 1) << 16),
                     FIIE_E_VERSION);
    /* failures leave no file, named or temporary */
    assert_int_equal(fiie_image_save_png_with(&a, tmpdir_file(&t, "no/dir/x.png"), NULL),
                     FIIE_E_IO);
    assert_int_equal(tmpdir_count(&t), 1);
    free(icc.p);
    free_made_image(&a);
    tmpdir_remove(&t);
}

/* JPEG with the profile split over APP2 segments in the given order. */
static bytes jpeg_with_icc(const bytes *icc, const int *order, int pieces, int count)
{
    bytes j = make_jpeg();
    bytes out = {NULL, 0};
    bytes_add(&out, j.p, 2); /* SOI */
    size_t piece = (icc->n + (size_t)count - 1) / (size_t)count;
    for (int i = 0; i < pieces; i++) {
        int num = order[i];
        size_t off = (size_t)(num - 1) * piece;
        size_t len = off + piece > icc->n ? icc->n - off : piece;
        size_t seg = 2 + 12 + 2 + len;
        uint8_t head[4] = {0xff, 0xe2, (uint8_t)(seg >> 8), (uint8_t)seg};
        bytes_add(&out, head, 4);
        bytes_add(&out, "ICC_PROFILE", 12);
        uint8_t nc[2] = {(uint8_t)num, (uint8_t)count};
        bytes_add(&out, nc, 2);
        bytes_add(&out, icc->p + off, len);
    }
    bytes_add(&out, j.p + 2, j.n - 2);
    free(j.p);
    return out;
}

static void icc_profile_read_from_jpeg(void **state)
{
    (void)state;
    bytes icc = fake_icc(1000);
    const int in_order[3] = {1, 2, 3}, swapped[3] = {2, 1, 3}, twice[3] = {1, 1, 2};
    fiie_image_info info;
    bytes j = jpeg_with_icc(&icc, in_order, 3, 3);
    assert_int_equal(fiie_image_probe_memory(&info, j.p, j.n), 0);
    assert_string_equal(info.format, "JPEG");
    assert_int_equal(info.icc_size, icc.n);
    assert_memory_equal(info.icc, icc.p, icc.n);
    fiie_image_info_free(&info);
    fiie_image img;
    assert_int_equal(fiie_image_load_memory(&img, j.p, j.n, NULL), 0);
    fiie_image_free(&img);
    free(j.p);
    /* a missing, repeated or misplaced piece: no profile, image still fine */
    const int *bad[3] = {swapped, twice, in_order};
    const int bad_pieces[3] = {3, 3, 2};
    for (int k = 0; k < 3; k++) {
        j = jpeg_with_icc(&icc, bad[k], bad_pieces[k], 3);
        assert_int_equal(fiie_image_probe_memory(&info, j.p, j.n), 0);
        assert_null(info.icc);
        assert_int_equal(info.icc_size, 0);
        fiie_image_info_free(&info);
        free(j.p);
    }
    free(icc.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crc32_known_answer),
        cmocka_unit_test(channels_of_formats),
        cmocka_unit_test(validate_rejects_bad_structs),
        cmocka_unit_test(wrap_describes_caller_memory),
        cmocka_unit_test(alloc_and_free),
        cmocka_unit_test(convert_between_all_formats),
        cmocka_unit_test(png_round_trip_exact),
        cmocka_unit_test(png_filters_match_stb),
        cmocka_unit_test(png_compression_levels),
        cmocka_unit_test(png_encode_rejects_bad_arguments),
        cmocka_unit_test(png_chunk_round_trip),
        cmocka_unit_test(png_file_chunk_read),
        cmocka_unit_test(save_png_atomically),
        cmocka_unit_test_prestate(file_write_atomic_modes, (void *)&write_unnamed_first),
        cmocka_unit_test_prestate(file_write_atomic_modes, (void *)&write_named_only),
        cmocka_unit_test_prestate(file_write_atomic_links, (void *)&write_unnamed_first),
        cmocka_unit_test_prestate(file_write_atomic_links, (void *)&write_named_only),
        cmocka_unit_test_prestate(file_write_atomic_errors, (void *)&write_unnamed_first),
        cmocka_unit_test_prestate(file_write_atomic_errors, (void *)&write_named_only),
        cmocka_unit_test(read_file_grows_for_pipes),
        cmocka_unit_test(image_buffers_resize_and_release),
        cmocka_unit_test(load_sample_images),
        cmocka_unit_test(load_options_versions_and_fields),
        cmocka_unit_test(load_rejects_bad_arguments_and_files),
        cmocka_unit_test(truncated_and_corrupt_png),
        cmocka_unit_test(png_header_limits_before_decoding),
        cmocka_unit_test(png_depths_gray_and_transparency),
        cmocka_unit_test(jpeg_decodes_and_rejects_truncation),
        cmocka_unit_test(jpeg_scan_with_undefined_table),
        cmocka_unit_test(exif_orientations),
        cmocka_unit_test(bmp_and_tga),
        cmocka_unit_test(unsupported_formats_are_named),
        cmocka_unit_test(probe_reports_what_loading_changes),
        cmocka_unit_test(icc_profile_carried_into_png),
        cmocka_unit_test(icc_profile_read_from_jpeg),
    };
    return cmocka_run_group_tests_name("image", tests, NULL, NULL);
}
