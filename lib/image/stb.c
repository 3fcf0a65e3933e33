/* The one translation unit that compiles stb_image and stb_image_write.
 *
 * Both are built as static (file-local) code: no stbi_* symbol can leak
 * from libfiie or clash with a copy the application links itself. Only the
 * decoders libfiie documents are compiled (fewer parsers, less attack
 * surface), without stdio and without the failure-reason strings, which
 * would be (thread-local) global state. stb's global settings
 * (compression level, flip on load/write, iPhone PNG handling) keep their
 * defaults and are never written: changing them at run time would be
 * process-wide mutable state. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "image/codec.h"

/* stb's working buffers hold pixels (inflated scanlines, filtered rows,
 * the compressed output): all of them are image buffers (common_buf), so
 * they are wiped when released and the big ones never sit on malloc's
 * heap. Its realloc calls pass the old size; the buffers know it. */
#define STBI_MALLOC(n) common_buf_alloc(n)
#define STBI_REALLOC_SIZED(p, old_size, new_size) common_buf_realloc(p, new_size)
#define STBI_FREE(p) common_buf_free(p)
#define STBIW_MALLOC(n) common_buf_alloc(n)
#define STBIW_REALLOC_SIZED(p, old_size, new_size) common_buf_realloc(p, new_size)
#define STBIW_FREE(p) common_buf_free(p)

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_NO_FAILURE_STRINGS
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_ONLY_TGA
/* Same cap as FIIE_MAX_DIMENSION (the loader checks first anyway). */
#define STBI_MAX_DIMENSIONS 65535

#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
/* stb_image_write's hooks: PNG checksums by the one CRC-32 of image/, and
 * (fast codec builds) deflate by libdeflate or zlib at the level its caller
 * passes (image/deflate.c). */
#define STBIW_CRC32(buffer, len) image_crc32((buffer), (size_t)(len))
#if defined(FIIE_HAVE_LIBDEFLATE) || defined(FIIE_HAVE_ZLIB)
static unsigned char *zlib_hook(unsigned char *data, int data_len, int *out_len, int level)
{
    size_t n = 0;
    uint8_t *z = image_zlib_compress(data, (size_t)data_len, level, &n);
    if (z != NULL && n > INT_MAX) { /* cannot happen: deflate output of < 2 GiB */
        common_buf_free(z);
        z = NULL;
    }
    *out_len = z != NULL ? (int)n : 0;
    return z;
}
#define STBIW_ZLIB_COMPRESS zlib_hook
#endif

/* Third-party code. Two of its warnings would trip -Werror; GCC reports
 * them at the end of the file or after inlining, where a push/pop around
 * the includes does not reach, so they are off for this whole file, which
 * holds nothing but the wrappers and the PNG row filters below: unused
 * static stb functions, and a
 * maybe-uninitialized false positive on stb's (unused) callback reader. */
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wunused-function"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#endif
/* Built as its own archive (lib/meson.build) so that UBSan can skip stb's
 * known arithmetic undefined behaviour here without losing it elsewhere. */
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

int image_stb_info(const uint8_t *data, int size, int *width, int *height, int *channels)
{
    return stbi_info_from_memory(data, size, width, height, channels);
}

uint8_t *image_stb_decode(const uint8_t *data, int size, int channels, int *width,
                         int *height)
{
    int file_channels = 0;
    return stbi_load_from_memory(data, size, width, height, &file_channels, channels);
}

int image_stb_inflate(const uint8_t *in, int in_size, uint8_t *out, int cap)
{
    return stbi_zlib_decode_buffer((char *)out, cap, (const char *)in, in_size);
}

/* stb_image_write's filter choice, made in one pass: per row, the PNG
 * filter (none, sub, up, average, Paeth) whose output bytes, read as
 * signed, have the least sum of magnitudes, the first on ties (stb's and
 * libpng's heuristic). stb filters the row five times to compare them;
 * here the five sums come out of one pass (SSE2, 16 bytes per step, where
 * the compiler made scalar code of the Paeth selection), and the first
 * row sees a zero row above, which gives exactly stb's first-row
 * variants. The output is the same bytes as stb's. */
static int paeth(int a, int b, int c)
{
    int pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

static int mag(int v)
{
    return abs((int)(signed char)(uint8_t)v);
}

/* The scalar sums and filtering, for bytes [i0, i1) of a row: what stb
 * does, byte by byte (the vector loops below do the middle of the row). */
static void filter_sums(const uint8_t *x, const uint8_t *up, size_t i0, size_t i1, int bpp,
                        uint32_t sum[5])
{
    for (size_t i = i0; i < i1; i++) {
        int a = i >= (size_t)bpp ? x[i - (size_t)bpp] : 0;
        int c = i >= (size_t)bpp ? up[i - (size_t)bpp] : 0;
        int b = up[i], v = x[i];
        sum[0] += (uint32_t)mag(v);
        sum[1] += (uint32_t)mag(v - a);
        sum[2] += (uint32_t)mag(v - b);
        sum[3] += (uint32_t)mag(v - ((a + b) >> 1));
        sum[4] += (uint32_t)mag(v - paeth(a, b, c));
    }
}

static void apply_filter(uint8_t *out, const uint8_t *x, const uint8_t *up, size_t i0, size_t i1,
                         int bpp, int f)
{
    for (size_t i = i0; i < i1; i++) {
        int a = i >= (size_t)bpp ? x[i - (size_t)bpp] : 0;
        int c = i >= (size_t)bpp ? up[i - (size_t)bpp] : 0;
        int b = up[i], pred;
        switch (f) {
        case 1: pred = a; break;
        case 2: pred = b; break;
        case 3: pred = (a + b) >> 1; break;
        case 4: pred = paeth(a, b, c); break;
        default: pred = 0; break;
        }
        out[i] = (uint8_t)(x[i] - pred);
    }
}

#ifdef __SSE2__
/* 16 bytes at a time from byte bpp on (where a and c are in the row):
 * the same integer results as the scalar code, so the same bytes. */
#include <emmintrin.h>

static inline __m128i load16(const uint8_t *p)
{
    return _mm_loadu_si128((const __m128i *)p);
}

static inline __m128i abs_epi16(__m128i v)
{
    return _mm_max_epi16(v, _mm_sub_epi16(_mm_setzero_si128(), v));
}

/* paeth() on 8 lanes of 16 bits */
static inline __m128i paeth_epi16(__m128i a, __m128i b, __m128i c)
{
    const __m128i pa = abs_epi16(_mm_sub_epi16(b, c)), pb = abs_epi16(_mm_sub_epi16(a, c));
    const __m128i pc = abs_epi16(_mm_sub_epi16(_mm_add_epi16(a, b), _mm_add_epi16(c, c)));
    const __m128i not_a = _mm_or_si128(_mm_cmpgt_epi16(pa, pb), _mm_cmpgt_epi16(pa, pc));
    const __m128i take_c = _mm_cmpgt_epi16(pb, pc);
    const __m128i bc = _mm_or_si128(_mm_and_si128(take_c, c), _mm_andnot_si128(take_c, b));
    return _mm_or_si128(_mm_and_si128(not_a, bc), _mm_andnot_si128(not_a, a));
}

/* The prediction of filter f (1..4) for 16 bytes: a left, b up, c up-left. */
static inline __m128i predict16(int f, __m128i a, __m128i b, __m128i c)
{
    const __m128i z = _mm_setzero_si128();
    switch (f) {
    case 1: return a;
    case 2: return b;
    case 3: /* (a + b) >> 1 without overflow */
        return _mm_add_epi8(_mm_and_si128(a, b),
                            _mm_and_si128(_mm_srli_epi16(_mm_xor_si128(a, b), 1), _mm_set1_epi8(0x7f)));
    case 4:
        return _mm_packus_epi16(
            paeth_epi16(_mm_unpacklo_epi8(a, z), _mm_unpacklo_epi8(b, z), _mm_unpacklo_epi8(c, z)),
            paeth_epi16(_mm_unpackhi_epi8(a, z), _mm_unpackhi_epi8(b, z), _mm_unpackhi_epi8(c, z)));
    default: return z;
    }
}

/* Sum of the magnitudes of 16 bytes read as signed (min(d, -d) unsigned
 * is |d|, 128 for -128), in two 64-bit lanes. */
static inline __m128i sum_mag16(__m128i d)
{
    const __m128i z = _mm_setzero_si128();
    return _mm_sad_epu8(_mm_min_epu8(d, _mm_sub_epi8(z, d)), z);
}

/* Bytes [bpp, end) done; returns end. */
static size_t filter_sums16(const uint8_t *x, const uint8_t *up, size_t row, int bpp, uint32_t sum[5])
{
    __m128i acc[5];
    for (int f = 0; f < 5; f++)
        acc[f] = _mm_setzero_si128();
    size_t i = (size_t)bpp;
    for (; i + 16 <= row; i += 16) {
        const __m128i v = load16(x + i), a = load16(x + i - bpp);
        const __m128i b = load16(up + i), c = load16(up + i - bpp);
        acc[0] = _mm_add_epi64(acc[0], sum_mag16(v));
        for (int f = 1; f < 5; f++)
            acc[f] = _mm_add_epi64(acc[f], sum_mag16(_mm_sub_epi8(v, predict16(f, a, b, c))));
    }
    for (int f = 0; f < 5; f++) {
        uint64_t lanes[2];
        _mm_storeu_si128((__m128i *)lanes, acc[f]);
        sum[f] += (uint32_t)(lanes[0] + lanes[1]);
    }
    return i;
}

static size_t apply_filter16(uint8_t *out, const uint8_t *x, const uint8_t *up, size_t row, int bpp,
                             int f)
{
    size_t i = (size_t)bpp;
    for (; i + 16 <= row; i += 16) {
        const __m128i v = load16(x + i), a = load16(x + i - bpp);
        const __m128i b = load16(up + i), c = load16(up + i - bpp);
        _mm_storeu_si128((__m128i *)(out + i), _mm_sub_epi8(v, predict16(f, a, b, c)));
    }
    return i;
}
#endif

static int best_filter(const uint8_t *x, const uint8_t *up, size_t row, int bpp)
{
    uint32_t sum[5] = {0, 0, 0, 0, 0};
    size_t i = row < (size_t)bpp ? row : (size_t)bpp;
    filter_sums(x, up, 0, i, bpp, sum);
#ifdef __SSE2__
    i = filter_sums16(x, up, row, bpp, sum);
#endif
    filter_sums(x, up, i, row, bpp, sum);
    int best = 0;
    for (int f = 1; f < 5; f++)
        if (sum[f] < sum[best])
            best = f;
    return best;
}

static void filter_row(uint8_t *out, const uint8_t *x, const uint8_t *up, size_t row, int bpp, int f)
{
    size_t i = row < (size_t)bpp ? row : (size_t)bpp;
    apply_filter(out, x, up, 0, i, bpp, f);
#ifdef __SSE2__
    i = apply_filter16(out, x, up, row, bpp, f);
#endif
    apply_filter(out, x, up, i, row, bpp, f);
}

/* Filtered scanlines (a filter byte, then the row) of rows [y0, y1). */
static void filter_rows(const uint8_t *pixels, size_t stride, int width, int y0, int y1,
                        int channels, const uint8_t *zero_row, uint8_t *filt)
{
    size_t row = (size_t)width * (size_t)channels;
    for (int y = y0; y < y1; y++) {
        const uint8_t *x = pixels + (size_t)y * stride;
        const uint8_t *up = y > 0 ? x - stride : zero_row;
        uint8_t *out = filt + (size_t)(y - y0) * (row + 1);
        int f = best_filter(x, up, row, channels);
        out[0] = (uint8_t)f;
        filter_row(out + 1, x, up, row, channels, f);
    }
}

uint8_t *image_stb_encode_png(const uint8_t *pixels, int stride, int width, int height,
                             int channels, int level, size_t room, size_t *out_size)
{
    size_t row = (size_t)width * (size_t)channels;
    size_t filt_size = (row + 1) * (size_t)height;
    if (filt_size > INT_MAX)
        return NULL;
    uint8_t *filt = common_buf_alloc(filt_size);
    uint8_t *zero_row = calloc(1, row);
    if (filt == NULL || zero_row == NULL) {
        common_buf_free(filt);
        free(zero_row);
        return NULL;
    }
    filter_rows(pixels, (size_t)stride, width, 0, height, channels, zero_row, filt);
    free(zero_row);
    int zlen = 0;
    /* stb_image_write's compressor entry: the hook above in fast builds,
     * stb's own deflate (quality 5..9) otherwise */
    uint8_t *z = stbi_zlib_compress(filt, (int)filt_size, &zlen, level);
    common_buf_free(filt); /* filtered pixels */
    if (z == NULL)
        return NULL;
    size_t head = IMAGE_PNG_SIGNATURE_BYTES + 12 + 13;
    size_t total = head + room + 12 + (size_t)zlen + 12;
    uint8_t *out = common_buf_alloc(total);
    if (out == NULL) {
        STBIW_FREE(z);
        return NULL;
    }
    static const int color_type[5] = {-1, 0, 4, 2, 6};
    unsigned char *o = out;
    memcpy(o, image_png_signature, IMAGE_PNG_SIGNATURE_BYTES);
    o += IMAGE_PNG_SIGNATURE_BYTES;
    stbiw__wp32(o, 13);
    stbiw__wptag(o, "IHDR");
    stbiw__wp32(o, width);
    stbiw__wp32(o, height);
    *o++ = 8;
    *o++ = (unsigned char)color_type[channels];
    *o++ = 0;
    *o++ = 0;
    *o++ = 0;
    stbiw__wpcrc(&o, 13);
    o += room;
    stbiw__wp32(o, zlen);
    stbiw__wptag(o, "IDAT");
    memcpy(o, z, (size_t)zlen);
    o += zlen;
    stbiw__wpcrc(&o, zlen);
    stbiw__wp32(o, 0);
    stbiw__wptag(o, "IEND");
    stbiw__wpcrc(&o, 0);
    STBIW_FREE(z);
    *out_size = total;
    return out;
}

uint8_t *image_stb_png_from_data(uint8_t *data, size_t size, int width, int height,
                                 int file_channels, int channels)
{
    if (size > UINT32_MAX || (file_channels != 3 && file_channels != 4))
        return NULL;
    stbi__context s;
    memset(&s, 0, sizeof s);
    s.img_x = (stbi__uint32)width;
    s.img_y = (stbi__uint32)height;
    s.img_n = file_channels;
    stbi__png p;
    memset(&p, 0, sizeof p);
    p.s = &s;
    p.depth = 8;
    /* colour type 2 (RGB) or 6 (RGBA): stb's colour argument is unused
     * for 8-bit data without palette */
    if (!stbi__create_png_image(&p, data, (stbi__uint32)size, file_channels, 8,
                                file_channels == 4 ? 6 : 2, 0)) {
        STBI_FREE(p.out);
        return NULL;
    }
    if (channels == file_channels)
        return p.out;
    return stbi__convert_format(p.out, file_channels, channels, (unsigned)width, (unsigned)height);
}

uint8_t *image_stb_deflate(const uint8_t *data, int size, int *out_size)
{
    /* Quality 8 is stb's own choice for PNG image data. */
    return stbi_zlib_compress((unsigned char *)data, size, out_size, 8);
}
