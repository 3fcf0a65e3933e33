/* Unit tests of fiie/container.h: header decoding and validation, the
 * mask a header describes, the PNG container and sidecar files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "fiie/fiie.h"
#include "test_util.h"
#include "vectors_v1.h"

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void parse_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof v_images / sizeof *v_images; i++) {
        const v_image *v = &v_images[i];
        fiie_header_info info;
        assert_int_equal(fiie_header_parse(&info, v->header, v->header_len), FIIE_OK);
        assert_int_equal(info.version, 1);
        assert_int_equal(info.alg, FIIE_ALG_V1);
        assert_int_equal(info.flags, 0);
        assert_int_equal(info.kdf, 0);
        assert_int_equal(info.channels, v->channels);
        assert_int_equal(info.width, v->width);
        assert_int_equal(info.height, v->height);
        assert_int_equal(info.n_regions, v->n_regions);
        assert_memory_equal(info.nonce, v->nonce, 24);
        for (size_t j = 0; j < v->n_regions; j++) {
            fiie_region r;
            assert_int_equal(fiie_header_get_region(v->header, v->header_len, j, &r), FIIE_OK);
            assert_int_equal(r.shape, v->regions[j].shape);
            assert_int_equal(r.x, v->regions[j].x);
            assert_int_equal(r.y, v->regions[j].y);
            assert_int_equal(r.w, v->regions[j].w);
            assert_int_equal(r.h, v->regions[j].h);
        }
        fiie_region r;
        assert_int_equal(fiie_header_get_region(v->header, v->header_len, v->n_regions, &r),
                         FIIE_E_NOT_FOUND);
        fiie_mask *m = NULL;
        assert_int_equal(fiie_mask_from_header(&m, v->header, v->header_len), FIIE_OK);
        assert_int_equal(fiie_mask_width(m), v->width);
        assert_int_equal(fiie_mask_height(m), v->height);
        assert_int_equal(fiie_mask_region_count(m), v->n_regions);
        uint64_t c;
        assert_int_equal(fiie_mask_pixel_count(m, &c), FIIE_OK);
        assert_true(c * 3 == v->protected_bytes);
        fiie_mask_free(m);
    }
}

static void header_sizes(void **state)
{
    (void)state;
    assert_int_equal(fiie_header_size(FIIE_ALG_V1, 1, 0), 44 + 20 + 16);
    assert_int_equal(fiie_header_size(FIIE_ALG_V1, 3, 1), 44 + 36 + 60 + 16);
    assert_int_equal(fiie_header_size(FIIE_ALG_PAPER, 2, 0), 44 + 40);
    assert_int_equal(fiie_header_size(FIIE_ALG_V1, FIIE_MAX_REGIONS, 1), FIIE_HEADER_MAX_BYTES);
    assert_int_equal(fiie_header_size(FIIE_ALG_V1, 0, 0), 0);
    assert_int_equal(fiie_header_size(FIIE_ALG_V1, FIIE_MAX_REGIONS + 1, 0), 0);
    assert_int_equal(fiie_header_size(2, 1, 0), 0);
    assert_int_equal(fiie_header_size(-1, 1, 0), 0);
}

/* Build a valid header by hand and break each rule of the format once. */
static size_t make_header(uint8_t *h, int kdf, uint32_t n)
{
    memset(h, 0, 44);
    memcpy(h, "FIIE", 4);
    h[4] = 1;
    h[5] = 1;
    h[6] = (uint8_t)(kdf ? 1 : 0);
    h[7] = 3;
    put32(h + 8, 50);
    put32(h + 12, 40);
    for (int i = 0; i < 24; i++)
        h[16 + i] = (uint8_t)i;
    h[40] = (uint8_t)n;
    h[41] = (uint8_t)(n >> 8);
    size_t off = 44;
    if (kdf) {
        memset(h + off, 0, 36);
        h[off] = 1;
        h[off + 4] = 2;
        h[off + 12 + 2] = 1; /* 64 KiB */
        off += 36;
    }
    for (uint32_t i = 0; i < n; i++, off += 20) {
        memset(h + off, 0, 20);
        h[off] = (uint8_t)(i & 1);
        put32(h + off + 4, (uint32_t)-5);
        put32(h + off + 8, i);
        put32(h + off + 12, 10);
        put32(h + off + 16, 12);
    }
    memset(h + off, 0xAB, 16);
    return off + 16;
}

static void parse_rejects(void **state)
{
    (void)state;
    uint8_t h[400], g[400];
    fiie_header_info info;
    for (int kdf = 0; kdf < 2; kdf++) {
        size_t len = make_header(h, kdf, 2);
        assert_int_equal(fiie_header_parse(&info, h, len), FIIE_OK);
        assert_int_equal(info.kdf, (uint32_t)kdf);
        if (kdf) {
            assert_true(info.opslimit == 2);
            assert_true(info.memlimit == 65536);
        }
        fiie_region r;
        assert_int_equal(fiie_header_get_region(h, len, 0, &r), FIIE_OK);
        assert_int_equal(r.x, -5);
        assert_int_equal(r.h, 12);
        /* Truncation at every length, trailing bytes. */
        for (size_t l = 0; l < len; l++)
            assert_int_equal(fiie_header_parse(&info, h, l), FIIE_E_HEADER);
        h[len] = 0;
        assert_int_equal(fiie_header_parse(&info, h, len + 1), FIIE_E_HEADER);
        size_t regs = 44 + (kdf ? 36u : 0u);
        struct {
            size_t off;
            uint8_t val;
        } breaks[] = {
            {0, 'f'}, {3, 'e'}, {4, 0}, {4, 2}, {5, 2}, {5, 0} /* no tag: length */,
            {6, 2}, {6, 0x80}, {6, (uint8_t)(kdf ? 0 : 1)} /* length */, {7, 1}, {7, 5},
            {8, 0}, /* width 0 */ {12, 0}, /* height 0 */ {40, 0}, /* n = 0 */ {40, 3},
            {41, 1}, {42, 1}, {43, 0x80},
            {regs, 2}, {regs + 1, 1}, {regs + 3, 1}, {regs + 20, 7}, {regs + 22, 1},
            {regs + 12, 0}, /* w 0 (10 = one byte) */ {regs + 16, 0}, /* h 0 */
        };
        for (size_t i = 0; i < sizeof breaks / sizeof *breaks; i++) {
            memcpy(g, h, len);
            g[breaks[i].off] = breaks[i].val;
            assert_int_equal(fiie_header_parse(&info, g, len), FIIE_E_HEADER);
            fiie_region rr;
            assert_int_equal(fiie_header_get_region(g, len, 0, &rr), FIIE_E_HEADER);
            fiie_mask *m = NULL;
            assert_int_equal(fiie_mask_from_header(&m, g, len), FIIE_E_HEADER);
            assert_null(m);
        }
        if (kdf) {
            const size_t kb[] = {44, 45, 46, 47};
            for (size_t i = 0; i < 4; i++) {
                memcpy(g, h, len);
                g[kb[i]] = (uint8_t)(kb[i] == 44 ? 2 : 1);
                assert_int_equal(fiie_header_parse(&info, g, len), FIIE_E_HEADER);
            }
        }
    }
    /* Valid format, but an image size over the library's limits. */
    size_t l2 = make_header(h, 0, 1);
    put32(h + 8, 70000);
    assert_int_equal(fiie_header_parse(&info, h, l2), FIIE_OK);
    fiie_mask *big = NULL;
    assert_int_equal(fiie_mask_from_header(&big, h, l2), FIIE_E_TOO_LARGE);
    assert_null(big);
    /* A huge region count with few bytes present is refused by length. */
    size_t len = make_header(h, 0, 1);
    h[40] = 0xFF;
    h[41] = 0xFF;
    assert_int_equal(fiie_header_parse(&info, h, len), FIIE_E_HEADER);
    assert_int_equal(fiie_header_parse(&info, h, sizeof h), FIIE_E_HEADER);
    assert_int_equal(fiie_header_parse(NULL, h, len), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_header_parse(&info, NULL, len), FIIE_E_INVALID_ARGUMENT);
    fiie_region r;
    assert_int_equal(fiie_header_get_region(NULL, len, 0, &r), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_mask_from_header(NULL, h, len), FIIE_E_INVALID_ARGUMENT);
}

/* The largest header the format allows: 65535 regions. */
static void maximal_header(void **state)
{
    (void)state;
    uint8_t *h = malloc(FIIE_HEADER_MAX_BYTES + 1);
    assert_non_null(h);
    size_t len = make_header(h, 1, 65535);
    assert_int_equal(len, FIIE_HEADER_MAX_BYTES);
    fiie_header_info info;
    assert_int_equal(fiie_header_parse(&info, h, len), FIIE_OK);
    assert_int_equal(info.n_regions, 65535);
    fiie_region r;
    assert_int_equal(fiie_header_get_region(h, len, 65534, &r), FIIE_OK);
    assert_int_equal(r.y, 65534);
    assert_int_equal(r.shape, 0);
    fiie_mask *m = NULL;
    assert_int_equal(fiie_mask_from_header(&m, h, len), FIIE_OK);
    assert_int_equal(fiie_mask_region_count(m), 65535);
    fiie_mask_free(m);
    free(h);
}

/* Random corruption of valid headers: every call returns a defined code,
 * never crashes or reads out of bounds (run under ASan), and decryption
 * never reports success for a changed header. */
static void mutated_headers(void **state)
{
    (void)state;
    uint64_t seed = 7;
    const v_image *v = &v_images[0];
    fiie_key *k = NULL;
    assert_int_equal(fiie_key_from_bytes(&k, v->key, 32), FIIE_OK);
    uint8_t *pix = malloc(v->plain_len);
    assert_non_null(pix);
    fiie_image img = {pix, v->width, v->height, (size_t)v->width * 3, FIIE_PIXEL_RGB8, 0};
    uint8_t h[512];
    for (int round = 0; round < 3000; round++) {
        memcpy(h, v->header, v->header_len);
        size_t len = v->header_len;
        int edits = 1 + (int)((seed = seed * 6364136223846793005u + 1) >> 61);
        for (int e = 0; e < edits; e++) {
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            size_t at = (size_t)(seed >> 33) % len;
            switch ((seed >> 20) % 4) {
            case 0: h[at] ^= (uint8_t)(1u << ((seed >> 8) % 8)); break;
            case 1: h[at] = (uint8_t)(seed >> 40); break;
            case 2: len = at; break;                     /* truncate */
            default: len = len + 1 < sizeof h ? len + 1 : len; h[len - 1] = 0; break;
            }
            if (len == 0)
                len = 1;
        }
        fiie_header_info info;
        int rc = fiie_header_parse(&info, h, len);
        assert_true(rc == FIIE_OK || rc == FIIE_E_HEADER);
        fiie_mask *m = NULL;
        int rm = fiie_mask_from_header(&m, h, len);
        assert_true(rm == FIIE_OK || rm == FIIE_E_HEADER || rm == FIIE_E_TOO_LARGE);
        assert_true((rm == FIIE_OK) == (m != NULL));
        fiie_mask_free(m);
        memcpy(pix, v->cipher, v->plain_len);
        int rd = fiie_decrypt(k, &img, h, len, NULL);
        int same = len == v->header_len && memcmp(h, v->header, len) == 0;
        if (same) {
            assert_int_equal(rd, FIIE_OK);
        } else {
            assert_true(rd == FIIE_E_HEADER || rd == FIIE_E_MISMATCH || rd == FIIE_E_AUTH);
            assert_memory_equal(pix, v->cipher, v->plain_len);
        }
    }
    free(pix);
    fiie_key_free(k);
}

/* ---- files ---------------------------------------------------------------- */

static void tmp_path(char *buf, size_t cap, const char *name)
{
    const char *dir = getenv("TMPDIR");
    snprintf(buf, cap, "%s/fiie_test_container_%ld_%s", dir && *dir ? dir : "/tmp",
             (long)getpid(), name);
}

static void protect_vector(const v_image *v, fiie_image *img, uint8_t *hdr, size_t *hlen)
{
    fiie_key *k = NULL;
    assert_int_equal(fiie_key_from_bytes(&k, v->key, 32), FIIE_OK);
    fiie_mask *m = NULL;
    assert_int_equal(fiie_mask_from_header(&m, v->header, v->header_len), FIIE_OK);
    assert_int_equal(fiie_image_alloc(img, v->width, v->height,
                                      v->channels == 4 ? FIIE_PIXEL_RGBA8 : FIIE_PIXEL_RGB8),
                     FIIE_OK);
    memcpy(img->data, v->plain, v->plain_len);
    fiie_encrypt_options o;
    fiie_encrypt_options_init(&o);
    o.flags = FIIE_ENCRYPT_FIXED_NONCE;
    memcpy(o.nonce, v->nonce, 24);
    assert_int_equal(fiie_encrypt(k, img, m, &o, hdr, 256, hlen), FIIE_OK);
    assert_memory_equal(img->data, v->cipher, v->plain_len);
    fiie_mask_free(m);
    fiie_key_free(k);
}

static void png_round_trip(void **state)
{
    (void)state;
    char path[512];
    tmp_path(path, sizeof path, "p.png");
    for (size_t i = 0; i < sizeof v_images / sizeof *v_images; i++) {
        const v_image *v = &v_images[i];
        fiie_image img;
        uint8_t hdr[256];
        size_t hlen;
        protect_vector(v, &img, hdr, &hlen);
        remove(path);
        assert_int_equal(fiie_protected_png_save(&img, hdr, hlen, path, 0), FIIE_OK);
        assert_int_equal(fiie_protected_png_save(&img, hdr, hlen, path, FIIE_SAVE_NO_CLOBBER),
                         FIIE_E_EXISTS);

        /* Size query, then the real load. */
        fiie_image back;
        size_t len = 0;
        assert_int_equal(fiie_protected_png_load(&back, path, NULL, 0, &len),
                         FIIE_E_BUFFER_TOO_SMALL);
        assert_int_equal(len, hlen);
        assert_null(back.data);
        uint8_t got[256];
        assert_int_equal(fiie_protected_png_load(&back, path, got, hlen - 1, &len),
                         FIIE_E_BUFFER_TOO_SMALL);
        assert_int_equal(fiie_protected_png_load(&back, path, got, sizeof got, &len), FIIE_OK);
        assert_int_equal(len, hlen);
        assert_memory_equal(got, hdr, hlen);
        assert_int_equal(back.width, v->width);
        assert_int_equal(back.height, v->height);
        assert_int_equal(fiie_pixel_format_channels(back.format), (int)v->channels);
        for (uint32_t y = 0; y < back.height; y++)
            assert_memory_equal(back.data + y * back.stride,
                                v->cipher + (size_t)y * v->width * v->channels,
                                (size_t)v->width * v->channels);

        /* The chunk sits right after IHDR: bytes 33..40 are its length and type. */
        size_t fsize = 0;
        uint8_t *file = read_whole(path, &fsize);
        assert_non_null(file);
        assert_true(fsize > 41 + hlen);
        assert_memory_equal(file + 37, "fiIE", 4);
        assert_int_equal(((size_t)file[33] << 24 | (size_t)file[34] << 16 |
                          (size_t)file[35] << 8 | file[36]),
                         hlen);
        const uint8_t *chunk;
        size_t clen;
        assert_int_equal(fiie_png_find_chunk(file, fsize, "fiIE", &chunk, &clen), FIIE_OK);
        assert_int_equal(clen, hlen);
        free(file);

        /* Decrypting the loaded image gives the plain vector back. */
        fiie_key *k = NULL;
        assert_int_equal(fiie_key_from_bytes(&k, v->key, 32), FIIE_OK);
        assert_int_equal(fiie_decrypt(k, &back, got, len, NULL), FIIE_OK);
        for (uint32_t y = 0; y < back.height; y++)
            assert_memory_equal(back.data + y * back.stride,
                                v->plain + (size_t)y * v->width * v->channels,
                                (size_t)v->width * v->channels);
        fiie_key_free(k);
        fiie_image_free(&back);

        /* A header for another image is refused when saving. */
        fiie_image other = img;
        other.width--;
        assert_int_equal(fiie_protected_png_save(&other, hdr, hlen, path, 0), FIIE_E_MISMATCH);
        hdr[4] = 9;
        assert_int_equal(fiie_protected_png_save(&img, hdr, hlen, path, 0), FIIE_E_HEADER);
        assert_int_equal(fiie_protected_png_save(&img, hdr, hlen, path, 8),
                         FIIE_E_INVALID_ARGUMENT);
        fiie_image_free(&img);
    }
    remove(path);
}

static void png_load_errors(void **state)
{
    (void)state;
    char path[512];
    tmp_path(path, sizeof path, "plain.png");
    fiie_image img, back;
    assert_int_equal(fiie_image_alloc(&img, 8, 6, FIIE_PIXEL_RGB8), FIIE_OK);
    /* A PNG without the chunk is not a protected image. */
    assert_int_equal(fiie_image_save_png(&img, path, NULL, NULL, 0, 0), FIIE_OK);
    uint8_t hdr[256];
    size_t len = 99;
    assert_int_equal(fiie_protected_png_load(&back, path, hdr, sizeof hdr, &len),
                     FIIE_E_NOT_FOUND);
    assert_null(back.data);
    /* A chunk holding garbage. */
    assert_int_equal(fiie_image_save_png(&img, path, "fiIE", "garbage", 7, 0), FIIE_OK);
    assert_int_equal(fiie_protected_png_load(&back, path, hdr, sizeof hdr, &len),
                     FIIE_E_HEADER);
    /* A valid header for an RGBA image on an RGB file. */
    const v_image *v = &v_images[1];
    fiie_image_free(&img);
    assert_int_equal(fiie_image_alloc(&img, v->width, v->height, FIIE_PIXEL_RGB8), FIIE_OK);
    assert_int_equal(fiie_image_save_png(&img, path, "fiIE", v->header, v->header_len, 0),
                     FIIE_OK);
    assert_int_equal(fiie_protected_png_load(&back, path, hdr, sizeof hdr, &len),
                     FIIE_E_MISMATCH);
    assert_null(back.data);
    remove(path);
    assert_int_equal(fiie_protected_png_load(&back, path, hdr, sizeof hdr, &len), FIIE_E_IO);
    assert_int_equal(fiie_protected_png_load(NULL, path, hdr, sizeof hdr, &len),
                     FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_protected_png_load(&back, NULL, hdr, sizeof hdr, &len),
                     FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_protected_png_load(&back, path, hdr, sizeof hdr, NULL),
                     FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_protected_png_save(NULL, hdr, 10, path, 0), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_protected_png_save(&img, NULL, 10, path, 0), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_protected_png_save(&img, v->header, v->header_len, NULL, 0),
                     FIIE_E_INVALID_ARGUMENT);
    fiie_image_free(&img);
}

static void sidecar_round_trip(void **state)
{
    (void)state;
    char path[512];
    tmp_path(path, sizeof path, "h.fiie");
    remove(path);
    const v_image *v = &v_images[0];
    assert_int_equal(fiie_sidecar_write(path, v->header, v->header_len, FIIE_SAVE_NO_CLOBBER),
                     FIIE_OK);
    assert_int_equal(fiie_sidecar_write(path, v->header, v->header_len, FIIE_SAVE_NO_CLOBBER),
                     FIIE_E_EXISTS);
    assert_int_equal(fiie_sidecar_write(path, v->header, v->header_len, 0), FIIE_OK);
    uint8_t got[256];
    size_t len = 0;
    assert_int_equal(fiie_sidecar_read(path, NULL, 0, &len), FIIE_E_BUFFER_TOO_SMALL);
    assert_int_equal(len, v->header_len);
    assert_int_equal(fiie_sidecar_read(path, got, sizeof got, &len), FIIE_OK);
    assert_memory_equal(got, v->header, v->header_len);
    /* Writing a malformed header is refused and leaves the file alone. */
    assert_int_equal(fiie_sidecar_write(path, v->header, v->header_len - 1, 0), FIIE_E_HEADER);
    assert_int_equal(fiie_sidecar_read(path, got, sizeof got, &len), FIIE_OK);
    assert_int_equal(fiie_sidecar_write(path, v->header, v->header_len, 2),
                     FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_sidecar_write(NULL, v->header, v->header_len, 0),
                     FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_sidecar_write(path, NULL, v->header_len, 0), FIIE_E_INVALID_ARGUMENT);
    /* A corrupt or oversized file reads as a bad header. */
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(v->header, 1, v->header_len - 3, f), v->header_len - 3);
    fclose(f);
    assert_int_equal(fiie_sidecar_read(path, got, sizeof got, &len), FIIE_E_HEADER);
    f = fopen(path, "wb");
    assert_non_null(f);
    static uint8_t big[FIIE_HEADER_MAX_BYTES + 1];
    assert_int_equal(fwrite(big, 1, sizeof big, f), sizeof big);
    fclose(f);
    assert_int_equal(fiie_sidecar_read(path, got, sizeof got, &len), FIIE_E_HEADER);
    remove(path);
    assert_int_equal(fiie_sidecar_read(path, got, sizeof got, &len), FIIE_E_IO);
    assert_int_equal(fiie_sidecar_read(NULL, got, sizeof got, &len), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_sidecar_read(path, got, sizeof got, NULL), FIIE_E_INVALID_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_vectors),
        cmocka_unit_test(header_sizes),
        cmocka_unit_test(parse_rejects),
        cmocka_unit_test(maximal_header),
        cmocka_unit_test(mutated_headers),
        cmocka_unit_test(png_round_trip),
        cmocka_unit_test(png_load_errors),
        cmocka_unit_test(sidecar_round_trip),
    };
    return cmocka_run_group_tests_name("container", tests, NULL, NULL);
}
