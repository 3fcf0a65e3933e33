/* zlib streams of PNG image data: libdeflate where the build has it, else
 * zlib, else stb's own inflater and deflater (docs/performance.md). The
 * choice never changes what a PNG decodes to: inflating is exact
 * whatever the library, only compressed sizes and speed differ. */
#include <limits.h>
#include <stdlib.h>

#include "common/common.h"
#include "image/codec.h"

#if defined(FIIE_HAVE_LIBDEFLATE)
#include <libdeflate.h>
#elif defined(FIIE_HAVE_ZLIB)
#include <zlib.h>
#endif

#if defined(FIIE_HAVE_LIBDEFLATE) || defined(FIIE_HAVE_ZLIB)
/* Level 1..9 of the caller (0: the default), clamped. */
static int effective_level(int level)
{
    if (level <= 0)
        return image_zlib_default_level;
    return level > 9 ? 9 : level;
}
#endif

#if defined(FIIE_HAVE_LIBDEFLATE)

const char *const image_zlib_name = "libdeflate";
const int image_zlib_default_level = 4;

uint8_t *image_zlib_compress(const uint8_t *data, size_t size, int level, size_t *out_size)
{
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(effective_level(level));
    if (c == NULL)
        return NULL;
    size_t cap = libdeflate_zlib_compress_bound(c, size);
    /* The bound is a little above the input size; pages the stream never
     * reaches are never touched (large image buffers are mapped pages). */
    uint8_t *out = common_buf_alloc(cap);
    size_t n = out != NULL ? libdeflate_zlib_compress(c, data, size, out, cap) : 0;
    libdeflate_free_compressor(c);
    if (n == 0) {
        common_buf_free(out); /* a partial stream of pixels */
        return NULL;
    }
    *out_size = n;
    return out; /* not shrunk: see image_zlib_compress() in codec.h */
}

long long image_zlib_decompress(const uint8_t *in, size_t in_size, uint8_t *out, size_t cap)
{
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    if (d == NULL)
        return -2;
    size_t got = 0;
    enum libdeflate_result r = libdeflate_zlib_decompress(d, in, in_size, out, cap, &got);
    libdeflate_free_decompressor(d);
    return r == LIBDEFLATE_SUCCESS ? (long long)got : -1;
}

uint32_t image_crc32_update(uint32_t crc, const void *data, size_t size)
{
    return libdeflate_crc32(crc, data, size);
}

#elif defined(FIIE_HAVE_ZLIB)

const char *const image_zlib_name = "zlib";
const int image_zlib_default_level = 6;

uint8_t *image_zlib_compress(const uint8_t *data, size_t size, int level, size_t *out_size)
{
    uLong cap = compressBound((uLong)size);
    uint8_t *out = common_buf_alloc(cap);
    if (out == NULL)
        return NULL;
    uLongf n = cap;
    if (compress2(out, &n, data, (uLong)size, effective_level(level)) != Z_OK) {
        common_buf_free(out);
        return NULL;
    }
    *out_size = n;
    return out; /* not shrunk: see image_zlib_compress() in codec.h */
}

long long image_zlib_decompress(const uint8_t *in, size_t in_size, uint8_t *out, size_t cap)
{
    if (in_size > UINT_MAX || cap > UINT_MAX)
        return -1;
    z_stream z = {0};
    if (inflateInit(&z) != Z_OK)
        return -2;
    z.next_in = (Bytef *)in; /* zlib's API is not const-correct; it only reads */
    z.avail_in = (uInt)in_size;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    int r = inflate(&z, Z_FINISH);
    long long got = r == Z_STREAM_END ? (long long)z.total_out : -1;
    inflateEnd(&z);
    return got;
}

uint32_t image_crc32_update(uint32_t crc, const void *data, size_t size)
{
    const uint8_t *p = data;
    while (size > 0) { /* zlib's length is a uInt */
        uInt n = size > UINT_MAX ? UINT_MAX : (uInt)size;
        crc = (uint32_t)crc32(crc, p, n);
        p += n;
        size -= n;
    }
    return crc;
}

#else

/* Compression is stb_image_write's own (image_stb_encode_png). */
const char *const image_zlib_name = "stb";
const int image_zlib_default_level = 8;

long long image_zlib_decompress(const uint8_t *in, size_t in_size, uint8_t *out, size_t cap)
{
    if (in_size > INT_MAX || cap > INT_MAX)
        return -1;
    return image_stb_inflate(in, (int)in_size, out, (int)cap);
}

uint32_t image_crc32_update(uint32_t crc, const void *data, size_t size)
{
    return image_crc32_table_update(crc, data, size);
}

#endif
