/* JPEG marker walk (ITU T.81 B.1): every segment length is checked
 * against the bytes left before it is used. */
#include <string.h>

#include "fiie/common.h"
#include "common/common.h"
#include "image/codec.h"

enum {
    M_DHT = 0xc4,
    M_SOI = 0xd8,
    M_EOI = 0xd9,
    M_SOS = 0xda,
    M_APP1 = 0xe1,
    M_TEM = 0x01,
};

static int is_rst(uint8_t m)
{
    return m >= 0xd0 && m <= 0xd7;
}

/* Huffman tables defined so far: bit (class * 4 + id). */
typedef unsigned huffman_set;

/* Huffman table segments must be well-formed before stb sees them:
 * stb_image 2.27 does not check that a table's code counts sum to at most
 * 256 and then writes past its table arrays (fixed upstream in 2.28). */
static int check_dht(const uint8_t *p, size_t n, huffman_set *defined)
{
    while (n > 0) {
        if (n < 17 || (p[0] >> 4) > 1 || (p[0] & 15) > 3)
            return FIIE_E_IMAGE_FORMAT;
        size_t codes = 0;
        for (int i = 1; i <= 16; i++)
            codes += p[i];
        if (codes > 256 || codes > n - 17)
            return FIIE_E_IMAGE_FORMAT;
        *defined |= 1u << ((p[0] >> 4) * 4 + (p[0] & 15));
        p += 17 + codes;
        n -= 17 + codes;
    }
    return 0;
}

/* A scan may only use Huffman tables defined before it: stb 2.27 decodes
 * with whatever its never-initialised table memory holds and then indexes
 * outside its arrays. DC tables serve scans starting at coefficient 0, AC
 * tables scans reaching past it. */
static int check_sos(const uint8_t *p, size_t n, huffman_set defined)
{
    if (n < 1)
        return FIIE_E_IMAGE_FORMAT;
    size_t ns = p[0];
    if (ns < 1 || ns > 4 || n != 1 + 2 * ns + 3)
        return FIIE_E_IMAGE_FORMAT;
    uint8_t ss = p[1 + 2 * ns], se = p[2 + 2 * ns];
    for (size_t i = 0; i < ns; i++) {
        unsigned td = p[2 + 2 * i] >> 4, ta = p[2 + 2 * i] & 15;
        if (td > 3 || ta > 3)
            return FIIE_E_IMAGE_FORMAT;
        if (ss == 0 && !(defined & (1u << td)))
            return FIIE_E_IMAGE_FORMAT;
        if (se > 0 && !(defined & (1u << (4 + ta))))
            return FIIE_E_IMAGE_FORMAT;
    }
    return 0;
}

/* Skip entropy-coded data starting at *pos: stop at the 0xFF of the next
 * real marker (not a stuffed 0xFF00, not RSTn, not fill bytes). */
static int skip_entropy_data(const uint8_t *d, size_t n, size_t *pos)
{
    size_t p = *pos;
    for (;;) {
        const uint8_t *ff = memchr(d + p, 0xff, n - p);
        if (ff == NULL)
            return FIIE_E_IMAGE_FORMAT;
        p = (size_t)(ff - d);
        if (p + 1 >= n)
            return FIIE_E_IMAGE_FORMAT;
        uint8_t m = d[p + 1];
        if (m == 0x00 || is_rst(m)) {
            p += 2;
        } else if (m == 0xff) {
            p += 1; /* fill byte before a marker */
        } else {
            *pos = p;
            return 0;
        }
    }
}

int image_jpeg_validate(const uint8_t *d, size_t n, const uint8_t **exif, size_t *exif_size)
{
    *exif = NULL;
    *exif_size = 0;
    if (n < 4 || d[0] != 0xff || d[1] != M_SOI)
        return FIIE_E_IMAGE_FORMAT;
    size_t pos = 2;
    int seen_sos = 0;
    huffman_set tables = 0;
    for (;;) {
        if (pos >= n || d[pos] != 0xff)
            return FIIE_E_IMAGE_FORMAT;
        while (pos < n && d[pos] == 0xff)
            pos++; /* optional fill bytes */
        if (pos >= n)
            return FIIE_E_IMAGE_FORMAT;
        uint8_t m = d[pos++];
        if (m == M_EOI)
            return seen_sos ? 0 : FIIE_E_IMAGE_FORMAT;
        if (m == 0x00 || m == M_SOI)
            return FIIE_E_IMAGE_FORMAT;
        if (is_rst(m) || m == M_TEM)
            continue; /* markers without a segment */
        if (n - pos < 2)
            return FIIE_E_IMAGE_FORMAT;
        size_t len = mem_load_be16(d + pos);
        if (len < 2 || len > n - pos)
            return FIIE_E_IMAGE_FORMAT;
        const uint8_t *payload = d + pos + 2;
        size_t plen = len - 2;
        if (m == M_APP1 && *exif == NULL && plen >= 6 && memcmp(payload, "Exif\0\0", 6) == 0) {
            *exif = payload + 6;
            *exif_size = plen - 6;
        }
        if (m == M_DHT && check_dht(payload, plen, &tables) < 0)
            return FIIE_E_IMAGE_FORMAT;
        if (m == M_SOS && check_sos(payload, plen, tables) < 0)
            return FIIE_E_IMAGE_FORMAT;
        pos += len;
        if (m == M_SOS) {
            seen_sos = 1;
            if (skip_entropy_data(d, n, &pos) < 0)
                return FIIE_E_IMAGE_FORMAT;
        }
    }
}
