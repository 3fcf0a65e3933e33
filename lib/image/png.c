/* PNG chunk walking, shared by the loader (whole-file CRC check before
 * stb decodes it), fiie_png_find_chunk() and fiie_png_read_chunk().
 *
 * A chunk is: 4-byte big-endian length, 4-byte type, data, 4-byte CRC of
 * type and data. Every length is bounds-checked against what is left
 * before it is used, so no input can make us read outside the buffer. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/codec.h"
#include "fiie/image.h"
#include "common/common.h"

const uint8_t image_png_signature[IMAGE_PNG_SIGNATURE_BYTES] = {0x89, 'P', 'N', 'G',
                                                               '\r', '\n', 0x1a, '\n'};

static int is_letter(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

int image_png_chunk_type_valid(const char *type)
{
    if (type == NULL)
        return 0;
    for (int i = 0; i < 4; i++)
        if (!is_letter((uint8_t)type[i]))
            return 0;
    return type[4] == '\0';
}

/* One chunk in memory, after its bounds and CRC were checked. */
typedef struct chunk {
    const uint8_t *type;
    const uint8_t *data;
    uint32_t size;
} chunk;

/* The chunk at png[*pos], bounds and type checked, and advance past it;
 * the CRC only when crc is set (the second walk over a file whose CRCs
 * were all checked skips them). */
static int walk_chunk(const uint8_t *png, size_t size, size_t *pos, chunk *c, int crc)
{
    size_t left = size - *pos;
    if (left < 12)
        return FIIE_E_IMAGE_FORMAT;
    const uint8_t *p = png + *pos;
    uint32_t len = mem_load_be32(p);
    if (len > IMAGE_PNG_MAX_CHUNK_BYTES || len > left - 12)
        return FIIE_E_IMAGE_FORMAT;
    for (int i = 4; i < 8; i++)
        if (!is_letter(p[i]))
            return FIIE_E_IMAGE_FORMAT;
    if (crc && image_crc32(p + 4, (size_t)len + 4) != mem_load_be32(p + 8 + len))
        return FIIE_E_IMAGE_FORMAT;
    c->type = p + 4;
    c->data = p + 8;
    c->size = len;
    *pos += (size_t)len + 12;
    return 0;
}

/* Check the chunk at png[*pos], CRC included, and advance past it. */
static int next_chunk(const uint8_t *png, size_t size, size_t *pos, chunk *c)
{
    return walk_chunk(png, size, pos, c, 1);
}

static int parse_ihdr(const chunk *c, image_png_header *hdr)
{
    if (memcmp(c->type, "IHDR", 4) != 0 || c->size != 13)
        return FIIE_E_IMAGE_FORMAT;
    const uint8_t *d = c->data;
    uint32_t w = mem_load_be32(d), h = mem_load_be32(d + 4);
    uint8_t depth = d[8], ct = d[9];
    if (w == 0 || h == 0 || w > IMAGE_PNG_MAX_CHUNK_BYTES || h > IMAGE_PNG_MAX_CHUNK_BYTES)
        return FIIE_E_IMAGE_FORMAT;
    /* Allowed colour type / bit depth pairs of the PNG specification. */
    int ok;
    switch (ct) {
    case 0: ok = depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16; break;
    case 3: ok = depth == 1 || depth == 2 || depth == 4 || depth == 8; break;
    case 2:
    case 4:
    case 6: ok = depth == 8 || depth == 16; break;
    default: ok = 0; break;
    }
    if (!ok || d[10] != 0 || d[11] != 0 || d[12] > 1)
        return FIIE_E_IMAGE_FORMAT;
    hdr->width = w;
    hdr->height = h;
    hdr->bit_depth = depth;
    hdr->color_type = ct;
    hdr->interlace = d[12];
    hdr->has_alpha = ct == 4 || ct == 6;
    return 0;
}

static int check_signature(const uint8_t *png, size_t size)
{
    if (size < IMAGE_PNG_SIGNATURE_BYTES ||
        memcmp(png, image_png_signature, IMAGE_PNG_SIGNATURE_BYTES) != 0)
        return FIIE_E_IMAGE_FORMAT;
    return 0;
}

/* Signature and IHDR; *pos is left after IHDR. */
static int read_header(const uint8_t *png, size_t size, image_png_header *hdr, size_t *pos)
{
    int rc = check_signature(png, size);
    if (rc < 0)
        return rc;
    *pos = IMAGE_PNG_SIGNATURE_BYTES;
    chunk c;
    if ((rc = next_chunk(png, size, pos, &c)) < 0)
        return rc;
    return parse_ihdr(&c, hdr);
}

int image_png_read_header(const uint8_t *png, size_t size, image_png_header *hdr)
{
    size_t pos;
    return read_header(png, size, hdr, &pos);
}

int image_png_validate(const uint8_t *png, size_t size, image_png_header *hdr)
{
    size_t pos;
    chunk c;
    int rc = read_header(png, size, hdr, &pos);
    if (rc < 0)
        return rc;
    int idat = 0;
    for (;;) {
        if ((rc = next_chunk(png, size, &pos, &c)) < 0)
            return rc; /* includes a missing IEND: truncated file */
        if (memcmp(c.type, "IEND", 4) == 0)
            return idat ? 0 : FIIE_E_IMAGE_FORMAT;
        if (memcmp(c.type, "IDAT", 4) == 0)
            idat = 1;
        else if (memcmp(c.type, "tRNS", 4) == 0)
            hdr->has_alpha = 1;
        else if (memcmp(c.type, "IHDR", 4) == 0)
            return FIIE_E_IMAGE_FORMAT;
    }
}

/* Bytes of filtered scanlines (a filter byte per row) for w x h pixels. */
static uint64_t scanline_bytes(uint64_t w, uint64_t h, uint64_t bits_per_pixel)
{
    if (w == 0 || h == 0)
        return 0;
    return h * (1 + (w * bits_per_pixel + 7) / 8);
}

/* Decompressed size of the image data the header promises. */
static uint64_t expected_data_size(const image_png_header *hdr)
{
    static const uint8_t samples[7] = {1, 0, 3, 1, 2, 0, 4}; /* per colour type */
    uint64_t bpp = (uint64_t)samples[hdr->color_type] * hdr->bit_depth;
    uint64_t w = hdr->width, h = hdr->height;
    if (!hdr->interlace)
        return scanline_bytes(w, h, bpp);
    /* Adam7: start column, start row, column step, row step of each pass */
    static const uint8_t pass[7][4] = {{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4},
                                       {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}};
    uint64_t total = 0;
    for (int i = 0; i < 7; i++) {
        uint64_t pw = w > pass[i][0] ? (w - pass[i][0] + pass[i][2] - 1) / pass[i][2] : 0;
        uint64_t ph = h > pass[i][1] ? (h - pass[i][1] + pass[i][3] - 1) / pass[i][3] : 0;
        total += scanline_bytes(pw, ph, bpp);
    }
    return total;
}

int image_png_check_data_size(const uint8_t *png, size_t size, const image_png_header *hdr,
                              uint8_t **data, size_t *data_size)
{
    if (data != NULL) {
        *data = NULL;
        *data_size = 0;
    }
    uint64_t want = expected_data_size(hdr);
    if (want >= INT_MAX)
        return 0; /* stb's bounded inflater takes an int; its own checks remain */
    /* Gather the IDAT payloads (the stream may be split across chunks);
     * a single IDAT is inflated where it is. The caller validated every
     * CRC: this walk only follows the lengths. */
    size_t zsize = 0, nidat = 0, pos = IMAGE_PNG_SIGNATURE_BYTES;
    const uint8_t *only = NULL;
    chunk c;
    while (walk_chunk(png, size, &pos, &c, 0) == 0 && memcmp(c.type, "IEND", 4) != 0)
        if (memcmp(c.type, "IDAT", 4) == 0) {
            zsize += c.size; /* <= size, the chunks being inside the file */
            only = c.data;
            nidat++;
        }
    if (zsize == 0 || zsize > INT_MAX)
        return FIIE_E_IMAGE_FORMAT;
    uint8_t *z = nidat > 1 ? common_buf_alloc(zsize) : NULL;
    uint8_t *out = common_buf_alloc((size_t)want + 1);
    if ((nidat > 1 && z == NULL) || out == NULL) {
        common_buf_free(z);
        common_buf_free(out);
        return FIIE_E_NO_MEMORY;
    }
    if (nidat > 1) {
        size_t at = 0;
        pos = IMAGE_PNG_SIGNATURE_BYTES;
        while (walk_chunk(png, size, &pos, &c, 0) == 0 && memcmp(c.type, "IEND", 4) != 0)
            if (memcmp(c.type, "IDAT", 4) == 0) {
                memcpy(z + at, c.data, c.size);
                at += c.size;
            }
        only = z;
    }
    /* One spare byte: a stream that fills it has surplus data. */
    long long got = image_zlib_decompress(only, zsize, out, (size_t)want + 1);
    common_buf_free(z); /* compressed scanlines: pixels */
    if (got < 0 || (uint64_t)got != want || data == NULL) {
        common_buf_free(out);
        if (got < 0 || (uint64_t)got != want)
            return got == -2 ? FIIE_E_NO_MEMORY : FIIE_E_IMAGE_FORMAT;
        return 0;
    }
    *data = out; /* the caller releases it with common_buf_free() */
    *data_size = (size_t)want;
    return 0;
}

int image_png_find(const uint8_t *png, size_t size, const char *type, const uint8_t **data,
                  size_t *data_size)
{
    int rc = check_signature(png, size);
    if (rc < 0)
        return rc;
    size_t pos = IMAGE_PNG_SIGNATURE_BYTES;
    for (int first = 1;; first = 0) {
        chunk c;
        if ((rc = next_chunk(png, size, &pos, &c)) < 0)
            return rc;
        if (first && (memcmp(c.type, "IHDR", 4) != 0 || c.size != 13))
            return FIIE_E_IMAGE_FORMAT;
        if (memcmp(c.type, type, 4) == 0) {
            *data = c.data;
            *data_size = c.size;
            return 0;
        }
        if (memcmp(c.type, "IEND", 4) == 0)
            return FIIE_E_NOT_FOUND;
    }
}

/* Stream `len` payload bytes plus the CRC through; the payload lands in
 * buf when buf is non-NULL. Returns 0, FIIE_E_IO or FIIE_E_IMAGE_FORMAT. */
static int stream_chunk(int fd, const uint8_t type[4], uint32_t len, uint8_t *buf)
{
    uint32_t crc = image_crc32_update(0, type, 4);
    uint8_t scratch[16384];
    uint32_t left = len;
    while (left > 0) {
        size_t n = left < sizeof scratch ? left : sizeof scratch;
        uint8_t *dst = buf != NULL ? buf + (len - left) : scratch;
        long long got = common_read_full(fd, dst, n);
        if (got < 0)
            return FIIE_E_IO;
        if ((size_t)got != n)
            return FIIE_E_IMAGE_FORMAT;
        crc = image_crc32_update(crc, dst, n);
        left -= (uint32_t)n;
    }
    uint8_t tail[4];
    long long got = common_read_full(fd, tail, 4);
    if (got < 0)
        return FIIE_E_IO;
    if (got != 4 || mem_load_be32(tail) != crc)
        return FIIE_E_IMAGE_FORMAT;
    return 0;
}

int image_png_find_fd(int fd, const char *type, uint8_t *buf, size_t cap, size_t *data_size)
{
    uint8_t head[IMAGE_PNG_SIGNATURE_BYTES];
    long long got = common_read_full(fd, head, sizeof head);
    if (got < 0)
        return FIIE_E_IO;
    if (check_signature(head, (size_t)got) < 0)
        return FIIE_E_IMAGE_FORMAT;
    for (int first = 1;; first = 0) {
        uint8_t h[8];
        got = common_read_full(fd, h, sizeof h);
        if (got < 0)
            return FIIE_E_IO;
        if (got != 8)
            return FIIE_E_IMAGE_FORMAT;
        uint32_t len = mem_load_be32(h);
        if (len > IMAGE_PNG_MAX_CHUNK_BYTES)
            return FIIE_E_IMAGE_FORMAT;
        for (int i = 4; i < 8; i++)
            if (!is_letter(h[i]))
                return FIIE_E_IMAGE_FORMAT;
        if (first && (memcmp(h + 4, "IHDR", 4) != 0 || len != 13))
            return FIIE_E_IMAGE_FORMAT;
        int match = memcmp(h + 4, type, 4) == 0;
        int fits = match && buf != NULL && len <= cap;
        int rc = stream_chunk(fd, h + 4, len, fits ? buf : NULL);
        if (rc < 0) {
            if (fits)
                memset(buf, 0, len); /* never hand out unverified bytes */
            return rc;
        }
        if (match) {
            *data_size = len;
            return len <= cap ? 0 : FIIE_E_BUFFER_TOO_SMALL;
        }
        if (memcmp(h + 4, "IEND", 4) == 0)
            return FIIE_E_NOT_FOUND;
    }
}

int fiie_png_find_chunk(const void *png, size_t png_size, const char *chunk_type,
                        const uint8_t **data, size_t *size)
{
    if (data != NULL)
        *data = NULL;
    if (size != NULL)
        *size = 0;
    if (png == NULL || png_size == 0 || data == NULL || size == NULL ||
        !image_png_chunk_type_valid(chunk_type))
        return FIIE_E_INVALID_ARGUMENT;
    return image_png_find(png, png_size, chunk_type, data, size);
}

int fiie_png_read_chunk(const char *path, const char *chunk_type, uint8_t *buf, size_t cap,
                        size_t *size)
{
    if (size != NULL)
        *size = 0;
    if (path == NULL || size == NULL || !image_png_chunk_type_valid(chunk_type) ||
        (buf == NULL && cap != 0))
        return FIIE_E_INVALID_ARGUMENT;
    int fd;
    do {
        fd = open(path, O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return FIIE_E_IO;
    size_t found = 0;
    int rc = image_png_find_fd(fd, chunk_type, buf, cap, &found);
    close(fd);
    if (rc == 0 || rc == FIIE_E_BUFFER_TOO_SMALL)
        *size = found;
    return rc;
}
