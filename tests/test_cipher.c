/* Unit tests of fiie/cipher.h: every known-answer value of the FIIE v1
 * vectors, round trips, tamper detection and bad inputs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "fiie/fiie.h"
#include "cipher/cipher.h"
#include "cipher/logistic.h"
#include "kernel_variants.h"
#include "lm_reference.h"
#include "vectors_v1.h"

/* ---- helpers -------------------------------------------------------------- */

static fiie_key *key_of(const uint8_t *bytes)
{
    fiie_key *k = NULL;
    assert_int_equal(fiie_key_from_bytes(&k, bytes, FIIE_KEY_BYTES), FIIE_OK);
    return k;
}

/* A packed image holding a copy of `pixels`. */
static fiie_image image_of(const uint8_t *pixels, uint32_t w, uint32_t h, int32_t format)
{
    size_t ch = (format == FIIE_PIXEL_RGBA8 || format == FIIE_PIXEL_BGRA8) ? 4 : 3;
    fiie_image img = {0};
    img.data = malloc((size_t)w * h * ch);
    assert_non_null(img.data);
    if (pixels)
        memcpy(img.data, pixels, (size_t)w * h * ch);
    else
        for (size_t i = 0; i < (size_t)w * h * ch; i++)
            img.data[i] = (uint8_t)(i * 131 + 7);
    img.width = w;
    img.height = h;
    img.stride = (size_t)w * ch;
    img.format = format;
    return img;
}

static size_t image_bytes(const fiie_image *img)
{
    return img->stride * img->height;
}

static fiie_mask *mask_of(const v_image *v)
{
    fiie_mask *m = NULL;
    assert_int_equal(fiie_mask_new(&m, v->width, v->height), FIIE_OK);
    for (size_t i = 0; i < v->n_regions; i++) {
        const v_region *r = &v->regions[i];
        assert_int_equal(fiie_mask_add_region(m, r->shape, r->x, r->y, r->w, r->h), FIIE_OK);
    }
    return m;
}

static fiie_encrypt_options fixed_nonce(const uint8_t *nonce)
{
    fiie_encrypt_options o;
    assert_int_equal(fiie_encrypt_options_init(&o), FIIE_OK);
    o.flags = FIIE_ENCRYPT_FIXED_NONCE;
    memcpy(o.nonce, nonce, FIIE_NONCE_BYTES);
    return o;
}

/* A small RGB image protected under a raw key, for the tamper tests. */
typedef struct sample {
    fiie_key *key;
    fiie_image img;    /* protected */
    uint8_t *plain;    /* the original pixels */
    uint8_t *cipher;   /* copy of the protected pixels */
    uint8_t header[512];
    size_t hlen;
} sample;

static void sample_make(sample *s, int32_t format)
{
    memset(s, 0, sizeof *s);
    s->key = key_of(v_ks_key);
    s->img = image_of(NULL, 37, 23, format);
    size_t n = image_bytes(&s->img);
    s->plain = malloc(n);
    s->cipher = malloc(n);
    assert_non_null(s->plain);
    assert_non_null(s->cipher);
    memcpy(s->plain, s->img.data, n);
    fiie_mask *m = NULL;
    assert_int_equal(fiie_mask_new(&m, 37, 23), FIIE_OK);
    assert_int_equal(fiie_mask_add_region(m, FIIE_SHAPE_ELLIPSE, 3, 2, 20, 15), FIIE_OK);
    assert_int_equal(fiie_mask_add_region(m, FIIE_SHAPE_RECT, 30, -5, 100, 9), FIIE_OK);
    assert_int_equal(
        fiie_encrypt(s->key, &s->img, m, NULL, s->header, sizeof s->header, &s->hlen), FIIE_OK);
    fiie_mask_free(m);
    memcpy(s->cipher, s->img.data, n);
    assert_memory_not_equal(s->cipher, s->plain, n);
}

static void sample_free(sample *s)
{
    fiie_key_free(s->key);
    free(s->img.data);
    free(s->plain);
    free(s->cipher);
}

/* ---- known answers ------------------------------------------------------- */

static void kat_subkeys(void **state)
{
    (void)state;
    uint8_t lm[32], ae[32];
    cipher_derive_subkeys(v_sk_key, v_sk_nonce, lm, ae);
    assert_memory_equal(lm, v_sk_k_lm, 32);
    assert_memory_equal(ae, v_sk_k_ae, 32);
}

static void kat_lane_q(void **state)
{
    (void)state;
    cipher_lm lm;
    assert_int_equal(cipher_lm_init(&lm, v_sk_k_lm), FIIE_OK);
    for (int l = 0; l < 8; l++)
        assert_true(lm.q[l] == v_lane_q[l]);
    cipher_lm_wipe(&lm);
}

static void kat_map_step(void **state)
{
    (void)state;
    uint64_t x = v_f_x0;
    for (int i = 0; i < 5; i++) {
        x = cipher_lm_f(x, v_f_q);
        assert_true(x == v_f_next5[i]);
    }
    /* Fixed points and extremes stay in range. */
    assert_true(cipher_lm_f(0, UINT64_MAX) == 0);
    assert_true(cipher_lm_f(UINT64_C(1) << 63, UINT64_MAX) == UINT64_MAX);
}

static void kat_keystream(void **state)
{
    (void)state;
    fiie_key *k = key_of(v_ks_key);
    uint8_t *ks = malloc(V_KS_LENGTH);
    assert_non_null(ks);
    assert_int_equal(fiie_keystream(k, v_ks_nonce, ks, V_KS_LENGTH, 1), FIIE_OK);
    assert_memory_equal(ks, v_ks_first64, 64);
    assert_memory_equal(ks + 524280, v_ks_524280, 16);
    uint8_t h[32];
    crypto_hash_sha256(h, ks, V_KS_LENGTH);
    assert_memory_equal(h, v_ks_sha256, 32);

    /* Thread count never changes the output. */
    uint8_t *other = malloc(V_KS_LENGTH);
    assert_non_null(other);
    const unsigned threads[] = {0, 2, 3, 8, 1000};
    for (size_t t = 0; t < sizeof threads / sizeof *threads; t++) {
        memset(other, 0xA5, V_KS_LENGTH);
        assert_int_equal(fiie_keystream(k, v_ks_nonce, other, V_KS_LENGTH, threads[t]),
                         FIIE_OK);
        assert_memory_equal(other, ks, V_KS_LENGTH);
    }
    /* Every prefix is a prefix (tails of 1..7 bytes after whole groups). */
    for (size_t len = 0; len < 20; len++) {
        memset(other, 0, 32);
        assert_int_equal(fiie_keystream(k, v_ks_nonce, other, len, 1), FIIE_OK);
        assert_memory_equal(other, ks, len);
        for (size_t i = len; i < 32; i++)
            assert_int_equal(other[i], 0);
    }
    assert_int_equal(fiie_keystream(k, v_ks_nonce, NULL, 0, 1), FIIE_OK);
    assert_int_equal(fiie_keystream(NULL, v_ks_nonce, other, 8, 1), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_keystream(k, NULL, other, 8, 1), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_keystream(k, v_ks_nonce, NULL, 8, 1), FIIE_E_INVALID_ARGUMENT);
    free(other);
    free(ks);
    fiie_key_free(k);
}

/* ---- Logistic keystream: the reference -------------------------------------
 * Each SIMD kernel set is checked against the portable one by
 * tests/checkasm.c; here the portable kernel meets the format's text. */

static void random_lm(cipher_lm *lm)
{
    uint8_t k_lm[32];
    randombytes_buf(k_lm, sizeof k_lm);
    assert_int_equal(cipher_lm_init(lm, k_lm), FIIE_OK);
}

/* The reference stream (tests/lm_reference.h), started at a later block
 * and fed in random pieces (multiples of 8 but the last), reproduces the
 * portable kernel's whole-buffer output there. */
static void reference_stream_matches_portable(void **state)
{
    (void)state;
    const size_t len = 6 * (size_t)CIPHER_LM_BLOCK + 100;
    uint8_t *ref = malloc(len), *piece = malloc(len);
    assert_non_null(ref);
    assert_non_null(piece);
    cipher_lm lm;
    random_lm(&lm);
    memset(ref, 0, len);
    cipher_lm_xor_impl(&cipher_lm_impl_portable, &lm, ref, len, 1);
    const uint64_t starts[] = {0, 1, 3, 5};
    for (size_t k = 0; k < sizeof starts / sizeof *starts; k++) {
        size_t off = (size_t)starts[k] * CIPHER_LM_BLOCK;
        lm_ref_stream s;
        lm_ref_block_start(&lm, &s, starts[k]);
        memset(piece, 0, len - off);
        size_t done = 0;
        while (done < len - off) {
            size_t m = 8 * (size_t)randombytes_uniform(40000);
            if (m > len - off - done)
                m = len - off - done;
            lm_ref_stream_xor(&lm, &s, piece + done, m);
            done += m;
        }
        assert_memory_equal(piece, ref + off, len - off);
    }
    cipher_lm_wipe(&lm);
    free(ref);
    free(piece);
}

static void kat_images(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof v_images / sizeof *v_images; i++) {
        const v_image *v = &v_images[i];
        int32_t fmt = v->channels == 4 ? FIIE_PIXEL_RGBA8 : FIIE_PIXEL_RGB8;
        fiie_key *k = key_of(v->key);
        fiie_mask *m = mask_of(v);
        uint64_t px = 0;
        assert_int_equal(fiie_mask_pixel_count(m, &px), FIIE_OK);
        assert_int_equal(px * 3, v->protected_bytes);

        fiie_image img = image_of(v->plain, v->width, v->height, fmt);
        fiie_encrypt_options o = fixed_nonce(v->nonce);
        size_t need = 0;
        assert_int_equal(fiie_encrypt(k, &img, m, &o, NULL, 0, &need),
                         FIIE_E_BUFFER_TOO_SMALL);
        assert_int_equal(need, v->header_len);
        assert_int_equal(fiie_header_size(FIIE_ALG_V1, v->n_regions, 0), v->header_len);
        assert_memory_equal(img.data, v->plain, v->plain_len);
        uint8_t hdr[256];
        size_t hlen = 0;
        assert_int_equal(fiie_encrypt(k, &img, m, &o, hdr, need - 1, &hlen),
                         FIIE_E_BUFFER_TOO_SMALL);
        assert_int_equal(fiie_encrypt(k, &img, m, &o, hdr, sizeof hdr, &hlen), FIIE_OK);
        assert_int_equal(hlen, v->header_len);
        assert_memory_equal(hdr, v->header, hlen);
        assert_memory_equal(img.data, v->cipher, v->plain_len);

        /* Decrypt the vector's own bytes, with several thread counts. */
        for (unsigned t = 0; t < 4; t++) {
            fiie_decrypt_options d;
            assert_int_equal(fiie_decrypt_options_init(&d), FIIE_OK);
            d.threads = t * 3;
            memcpy(img.data, v->cipher, v->plain_len);
            assert_int_equal(fiie_decrypt(k, &img, v->header, v->header_len, &d), FIIE_OK);
            assert_memory_equal(img.data, v->plain, v->plain_len);
        }
        free(img.data);
        fiie_mask_free(m);
        fiie_key_free(k);
    }
}

/* The region stream is R, G, B whatever the layout: a BGR copy of a vector
 * encrypts to the BGR copy of its ciphertext, with padded rows too. */
static void layouts_give_same_stream(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof v_images / sizeof *v_images; i++) {
        const v_image *v = &v_images[i];
        size_t ch = v->channels, w = v->width, h = v->height;
        size_t stride = w * ch + 5;
        uint8_t *buf = malloc(stride * h);
        assert_non_null(buf);
        memset(buf, 0xEE, stride * h);
        for (size_t y = 0; y < h; y++)
            for (size_t x = 0; x < w; x++) {
                const uint8_t *s = v->plain + (y * w + x) * ch;
                uint8_t *d = buf + y * stride + x * ch;
                d[0] = s[2];
                d[1] = s[1];
                d[2] = s[0];
                if (ch == 4)
                    d[3] = s[3];
            }
        fiie_image img = {buf, v->width, v->height, stride,
                          ch == 4 ? FIIE_PIXEL_BGRA8 : FIIE_PIXEL_BGR8, 0};
        fiie_key *k = key_of(v->key);
        fiie_mask *m = mask_of(v);
        fiie_encrypt_options o = fixed_nonce(v->nonce);
        uint8_t hdr[256];
        size_t hlen;
        assert_int_equal(fiie_encrypt(k, &img, m, &o, hdr, sizeof hdr, &hlen), FIIE_OK);
        assert_memory_equal(hdr, v->header, hlen);
        for (size_t y = 0; y < h; y++) {
            for (size_t x = 0; x < w; x++) {
                const uint8_t *s = v->cipher + (y * w + x) * ch;
                const uint8_t *d = buf + y * stride + x * ch;
                assert_int_equal(d[0], s[2]);
                assert_int_equal(d[1], s[1]);
                assert_int_equal(d[2], s[0]);
                if (ch == 4)
                    assert_int_equal(d[3], s[3]);
            }
            for (size_t p = w * ch; p < stride; p++)
                assert_int_equal(buf[y * stride + p], 0xEE);
        }
        assert_int_equal(fiie_decrypt(k, &img, hdr, hlen, NULL), FIIE_OK);
        for (size_t y = 0; y < h; y++)
            for (size_t x = 0; x < w; x++)
                assert_int_equal(buf[y * stride + x * ch], v->plain[(y * w + x) * ch + 2]);
        free(buf);
        fiie_mask_free(m);
        fiie_key_free(k);
    }
}

static void kat_paper(void **state)
{
    (void)state;
    uint8_t *ks = malloc(100000);
    assert_non_null(ks);
    assert_int_equal(fiie_paper_keystream(v_paper_x0, v_paper_mu, ks, 100000), FIIE_OK);
    assert_memory_equal(ks, v_paper_first64, 64);
    uint8_t h[32];
    crypto_hash_sha256(h, ks, 100000);
    assert_memory_equal(h, v_paper_sha256_100000, 32);
    free(ks);

    uint8_t b[4];
    const double bad[][2] = {{0.0, 3.9}, {1.0, 3.9}, {-0.1, 3.9}, {0.5, 3.5699}, {0.5, 4.0001},
                             {NAN, 3.9}, {0.5, NAN}, {INFINITY, 3.9}, {0.5, -INFINITY}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(fiie_paper_keystream(bad[i][0], bad[i][1], b, sizeof b),
                         FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_paper_keystream(0.5, 3.57, b, sizeof b), FIIE_OK);
    assert_int_equal(fiie_paper_keystream(0.5, 4.0, b, sizeof b), FIIE_OK);
    assert_int_equal(fiie_paper_keystream(0.5, 4.0, NULL, 1), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_paper_keystream(0.5, 4.0, NULL, 0), FIIE_OK);
}

static void paper_round_trip(void **state)
{
    (void)state;
    const v_image *v = &v_images[0];
    fiie_image img = image_of(v->plain, v->width, v->height, FIIE_PIXEL_RGB8);
    fiie_mask *m = mask_of(v);
    fiie_encrypt_options o;
    fiie_encrypt_options_init(&o);
    o.alg = FIIE_ALG_PAPER;
    o.paper_x0 = v_paper_x0;
    o.paper_mu = v_paper_mu;
    uint8_t hdr[256];
    size_t hlen;
    assert_int_equal(fiie_encrypt(NULL, &img, m, &o, hdr, sizeof hdr, &hlen), FIIE_OK);
    assert_int_equal(hlen, fiie_header_size(FIIE_ALG_PAPER, v->n_regions, 0));
    assert_int_equal(hlen, 44 + 20 * v->n_regions);
    fiie_header_info info;
    assert_int_equal(fiie_header_parse(&info, hdr, hlen), FIIE_OK);
    assert_int_equal(info.alg, FIIE_ALG_PAPER);
    static const uint8_t zero[24];
    assert_memory_equal(info.nonce, zero, 24);

    /* C = P xor paper keystream over the region stream (R, G, B raster). */
    uint8_t ks[975];
    assert_int_equal(fiie_paper_keystream(v_paper_x0, v_paper_mu, ks, sizeof ks), FIIE_OK);
    size_t s = 0;
    for (uint32_t y = 0; y < v->height; y++)
        for (uint32_t x = 0; x < v->width; x++) {
            size_t off = ((size_t)y * v->width + x) * 3;
            if (fiie_mask_contains(m, x, y)) {
                for (int c = 0; c < 3; c++, s++)
                    assert_int_equal(img.data[off + c], v->plain[off + c] ^ ks[s]);
            } else {
                assert_memory_equal(img.data + off, v->plain + off, 3);
            }
        }
    assert_int_equal(s, v->protected_bytes);

    fiie_decrypt_options d;
    fiie_decrypt_options_init(&d);
    assert_int_equal(fiie_decrypt(NULL, &img, hdr, hlen, &d), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_decrypt(NULL, &img, hdr, hlen, NULL), FIIE_E_INVALID_ARGUMENT);
    d.paper_x0 = v_paper_x0;
    d.paper_mu = NAN;
    assert_int_equal(fiie_decrypt(NULL, &img, hdr, hlen, &d), FIIE_E_INVALID_ARGUMENT);
    d.paper_mu = v_paper_mu;
    assert_int_equal(fiie_decrypt(NULL, &img, hdr, hlen, &d), FIIE_OK);
    assert_memory_equal(img.data, v->plain, v->plain_len);

    /* Bad paper keys are refused before anything is touched. */
    o.paper_mu = 3.0;
    assert_int_equal(fiie_encrypt(NULL, &img, m, &o, hdr, sizeof hdr, &hlen),
                     FIIE_E_INVALID_ARGUMENT);
    o.paper_mu = v_paper_mu;
    o.paper_x0 = NAN;
    assert_int_equal(fiie_encrypt(NULL, &img, m, &o, hdr, sizeof hdr, &hlen),
                     FIIE_E_INVALID_ARGUMENT);
    assert_memory_equal(img.data, v->plain, v->plain_len);
    free(img.data);
    fiie_mask_free(m);
}

static void kat_argon2id(void **state)
{
    (void)state;
    fiie_kdf_params p;
    assert_int_equal(fiie_kdf_params_init(&p), FIIE_OK);
    assert_true(p.opslimit >= crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE);
    assert_true(p.memlimit >= crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE);
    p.flags = FIIE_KDF_FIXED_SALT;
    memcpy(p.salt, v_argon_salt, 16);
    p.opslimit = V_ARGON_OPSLIMIT;
    p.memlimit = V_ARGON_MEMLIMIT;
    fiie_key *k = NULL;
    assert_int_equal(fiie_key_from_passphrase(&k, v_argon_pass, strlen(v_argon_pass), &p),
                     FIIE_OK);
    uint8_t out[32];
    assert_int_equal(fiie_key_get_bytes(k, out, sizeof out), FIIE_OK);
    assert_memory_equal(out, v_argon_key, 32);
    fiie_key_free(k);
}

/* ---- passphrase headers -------------------------------------------------- */

static void passphrase_round_trip(void **state)
{
    (void)state;
    fiie_kdf_params p;
    fiie_kdf_params_init(&p);
    p.opslimit = 1;          /* small limits keep the test fast */
    p.memlimit = 65536;
    static const char pass[] = "open sesame";
    fiie_key *k = NULL;
    assert_int_equal(fiie_key_from_passphrase(&k, pass, strlen(pass), &p), FIIE_OK);
    fiie_image img = image_of(NULL, 16, 12, FIIE_PIXEL_RGBA8);
    uint8_t *plain = malloc(image_bytes(&img));
    assert_non_null(plain);
    memcpy(plain, img.data, image_bytes(&img));
    fiie_mask *m = NULL;
    assert_int_equal(fiie_mask_new(&m, 16, 12), FIIE_OK);
    assert_int_equal(fiie_mask_add_region(m, FIIE_SHAPE_ELLIPSE, 2, 2, 10, 8), FIIE_OK);
    uint8_t hdr[256];
    size_t hlen;
    assert_int_equal(fiie_encrypt(k, &img, m, NULL, hdr, sizeof hdr, &hlen), FIIE_OK);
    assert_int_equal(hlen, fiie_header_size(FIIE_ALG_V1, 1, 1));
    fiie_header_info info;
    assert_int_equal(fiie_header_parse(&info, hdr, hlen), FIIE_OK);
    assert_int_equal(info.flags, 1);
    assert_int_equal(info.kdf, 1);
    assert_true(info.opslimit == 1 && info.memlimit == 65536);

    /* Only the passphrase and the header are needed to decrypt. */
    fiie_key *k2 = NULL;
    assert_int_equal(fiie_key_from_header_passphrase(&k2, hdr, hlen, pass, strlen(pass)),
                     FIIE_OK);
    uint8_t a[32], b[32];
    fiie_key_get_bytes(k, a, 32);
    fiie_key_get_bytes(k2, b, 32);
    assert_memory_equal(a, b, 32);
    fiie_key *bad = NULL;
    assert_int_equal(fiie_key_from_header_passphrase(&bad, hdr, hlen, "open sesamE", 11),
                     FIIE_OK);
    uint8_t *cipher = malloc(image_bytes(&img));
    assert_non_null(cipher);
    memcpy(cipher, img.data, image_bytes(&img));
    assert_int_equal(fiie_decrypt(bad, &img, hdr, hlen, NULL), FIIE_E_AUTH);
    assert_memory_equal(img.data, cipher, image_bytes(&img));
    assert_int_equal(fiie_decrypt(k2, &img, hdr, hlen, NULL), FIIE_OK);
    assert_memory_equal(img.data, plain, image_bytes(&img));

    /* Hostile limits in a header are refused before any hashing. */
    uint8_t evil[256];
    memcpy(evil, hdr, hlen);
    evil[44 + 4] = 0xFF; /* opslimit low byte */
    assert_int_equal(fiie_key_from_header_passphrase(&bad, evil, hlen, pass, 4),
                     FIIE_E_TOO_LARGE);
    assert_null(bad);
    memcpy(evil, hdr, hlen);
    evil[44 + 12 + 5] = 0x10; /* memlimit 2^44 + ... */
    assert_int_equal(fiie_key_from_header_passphrase(&bad, evil, hlen, pass, 4),
                     FIIE_E_TOO_LARGE);
    memcpy(evil, hdr, hlen);
    memset(evil + 44 + 12, 0, 8);
    evil[44 + 12 + 1] = 0x04;
    evil[44 + 12 + 3] = 0x40; /* memlimit 2^30 + 1024: just over the cap */
    assert_int_equal(fiie_key_from_header_passphrase(&bad, evil, hlen, pass, 4),
                     FIIE_E_TOO_LARGE);
    memcpy(evil, hdr, hlen);
    memset(evil + 44 + 4, 0, 8);
    evil[44 + 4] = FIIE_KDF_MAX_OPSLIMIT + 1;
    assert_int_equal(fiie_key_from_header_passphrase(&bad, evil, hlen, pass, 4),
                     FIIE_E_TOO_LARGE);
    memcpy(evil, hdr, hlen);
    memset(evil + 44 + 4, 0, 8); /* opslimit 0 */
    assert_int_equal(fiie_key_from_header_passphrase(&bad, evil, hlen, pass, 4),
                     FIIE_E_TOO_LARGE);
    /* A raw-key header has no KDF block. */
    sample s;
    sample_make(&s, FIIE_PIXEL_RGB8);
    assert_int_equal(fiie_key_from_header_passphrase(&bad, s.header, s.hlen, pass, 4),
                     FIIE_E_NOT_FOUND);
    assert_int_equal(fiie_key_from_header_passphrase(&bad, hdr, hlen - 1, pass, 4),
                     FIIE_E_HEADER);
    assert_int_equal(fiie_key_from_header_passphrase(NULL, hdr, hlen, pass, 4),
                     FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_key_from_header_passphrase(&bad, NULL, hlen, pass, 4),
                     FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_key_from_header_passphrase(&bad, hdr, hlen, NULL, 4),
                     FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_key_from_header_passphrase(&bad, hdr, hlen, pass, 0),
                     FIIE_E_INVALID_ARGUMENT);
    sample_free(&s);

    /* Parameter validation of fiie_key_from_passphrase(). */
    fiie_kdf_params q = p;
    q.opslimit = FIIE_KDF_MAX_OPSLIMIT + 1;
    assert_int_equal(fiie_key_from_passphrase(&bad, pass, 4, &q), FIIE_E_TOO_LARGE);
    q = p;
    q.memlimit = FIIE_KDF_MIN_MEMLIMIT - 1;
    assert_int_equal(fiie_key_from_passphrase(&bad, pass, 4, &q), FIIE_E_TOO_LARGE);
    q = p;
    q.reserved[5] = 1;
    assert_int_equal(fiie_key_from_passphrase(&bad, pass, 4, &q), FIIE_E_INVALID_ARGUMENT);
    q = p;
    q.flags = 2;
    assert_int_equal(fiie_key_from_passphrase(&bad, pass, 4, &q), FIIE_E_INVALID_ARGUMENT);
    q = p;
    q.abi_version = (FIIE_ABI_VERSION_MAJOR + 1) << 16;
    assert_int_equal(fiie_key_from_passphrase(&bad, pass, 4, &q), FIIE_E_VERSION);
    assert_int_equal(fiie_key_from_passphrase(&bad, pass, 0, &p), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_key_from_passphrase(&bad, NULL, 4, &p), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_key_from_passphrase(NULL, pass, 4, &p), FIIE_E_INVALID_ARGUMENT);
    /* Random salts differ. */
    fiie_key *r1 = NULL, *r2 = NULL;
    assert_int_equal(fiie_key_from_passphrase(&r1, pass, 4, &p), FIIE_OK);
    assert_int_equal(fiie_key_from_passphrase(&r2, pass, 4, &p), FIIE_OK);
    fiie_key_get_bytes(r1, a, 32);
    fiie_key_get_bytes(r2, b, 32);
    assert_memory_not_equal(a, b, 32);
    fiie_key_free(r1);
    fiie_key_free(r2);

    fiie_key_free(bad);
    fiie_key_free(k2);
    fiie_key_free(k);
    fiie_mask_free(m);
    free(cipher);
    free(plain);
    free(img.data);
}

/* ---- authentication ------------------------------------------------------ */

static void wrong_key_is_refused(void **state)
{
    (void)state;
    sample s;
    sample_make(&s, FIIE_PIXEL_RGB8);
    uint8_t other[32];
    memcpy(other, v_ks_key, 32);
    other[31] ^= 1;
    fiie_key *k = key_of(other);
    assert_int_equal(fiie_decrypt(k, &s.img, s.header, s.hlen, NULL), FIIE_E_AUTH);
    assert_memory_equal(s.img.data, s.cipher, image_bytes(&s.img));
    fiie_key *g = NULL;
    assert_int_equal(fiie_key_generate(&g), FIIE_OK);
    assert_int_equal(fiie_decrypt(g, &s.img, s.header, s.hlen, NULL), FIIE_E_AUTH);
    assert_memory_equal(s.img.data, s.cipher, image_bytes(&s.img));
    assert_int_equal(fiie_decrypt(s.key, &s.img, s.header, s.hlen, NULL), FIIE_OK);
    assert_memory_equal(s.img.data, s.plain, image_bytes(&s.img));
    fiie_key_free(g);
    fiie_key_free(k);
    sample_free(&s);
}

static void tampered_pixels(void **state)
{
    (void)state;
    sample s;
    sample_make(&s, FIIE_PIXEL_RGB8);
    fiie_mask *m = NULL;
    assert_int_equal(fiie_mask_from_header(&m, s.header, s.hlen), FIIE_OK);
    size_t n = image_bytes(&s.img);
    size_t inside = 0, outside = 0;
    for (uint32_t y = 0; y < s.img.height; y++)
        for (uint32_t x = 0; x < s.img.width; x++)
            for (int c = 0; c < 3; c++) {
                size_t off = (size_t)y * s.img.stride + (size_t)x * 3 + (size_t)c;
                int in = fiie_mask_contains(m, x, y);
                /* Every protected byte; every 7th unprotected one. */
                if (!in && (off % 7) != 0)
                    continue;
                memcpy(s.img.data, s.cipher, n);
                s.img.data[off] ^= 0x01;
                int rc = fiie_decrypt(s.key, &s.img, s.header, s.hlen, NULL);
                if (in) {
                    inside++;
                    assert_int_equal(rc, FIIE_E_AUTH);
                    assert_int_equal(s.img.data[off], s.cipher[off] ^ 0x01);
                    s.img.data[off] ^= 0x01;
                    assert_memory_equal(s.img.data, s.cipher, n);
                } else {
                    /* Unprotected pixels are not covered by the tag. */
                    outside++;
                    assert_int_equal(rc, FIIE_OK);
                    s.img.data[off] ^= 0x01;
                    assert_memory_equal(s.img.data, s.plain, n);
                }
            }
    assert_true(inside > 100 && outside > 50);
    fiie_mask_free(m);
    sample_free(&s);
}

static void tampered_header_bytes(void **state)
{
    (void)state;
    sample s;
    sample_make(&s, FIIE_PIXEL_RGBA8);
    size_t n = image_bytes(&s.img);
    uint8_t h[512];
    for (size_t i = 0; i < s.hlen; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            memcpy(h, s.header, s.hlen);
            h[i] ^= (uint8_t)(1u << bit);
            int rc = fiie_decrypt(s.key, &s.img, h, s.hlen, NULL);
            assert_true(rc == FIIE_E_AUTH || rc == FIIE_E_HEADER || rc == FIIE_E_MISMATCH);
            /* Fields that never parse wrongly are caught by the tag. */
            if ((i >= 16 && i < 40) || i >= s.hlen - 16)
                assert_int_equal(rc, FIIE_E_AUTH);
            if (i < 8 || (i >= 40 && i < 44))
                assert_int_equal(rc, FIIE_E_HEADER);
            if (i >= 8 && i < 16 && bit != 0)
                assert_int_equal(rc, FIIE_E_MISMATCH);
            assert_memory_equal(s.img.data, s.cipher, n);
        }
    }
    /* Truncated at every length, and one trailing byte. */
    for (size_t len = 0; len < s.hlen; len++) {
        assert_int_equal(fiie_decrypt(s.key, &s.img, s.header, len, NULL), FIIE_E_HEADER);
        assert_memory_equal(s.img.data, s.cipher, n);
    }
    memcpy(h, s.header, s.hlen);
    h[s.hlen] = 0;
    assert_int_equal(fiie_decrypt(s.key, &s.img, h, s.hlen + 1, NULL), FIIE_E_HEADER);
    assert_memory_equal(s.img.data, s.cipher, n);
    assert_int_equal(fiie_decrypt(s.key, &s.img, s.header, s.hlen, NULL), FIIE_OK);
    assert_memory_equal(s.img.data, s.plain, n);
    sample_free(&s);
}

static void header_must_match_image(void **state)
{
    (void)state;
    sample s;
    sample_make(&s, FIIE_PIXEL_RGB8);
    size_t n = image_bytes(&s.img);
    fiie_image img = s.img;
    img.width--;
    assert_int_equal(fiie_decrypt(s.key, &img, s.header, s.hlen, NULL), FIIE_E_MISMATCH);
    img = s.img;
    img.height--;
    assert_int_equal(fiie_decrypt(s.key, &img, s.header, s.hlen, NULL), FIIE_E_MISMATCH);
    img = s.img;
    img.format = FIIE_PIXEL_BGR8; /* same channel count: allowed, but pixels differ */
    assert_int_equal(fiie_decrypt(s.key, &img, s.header, s.hlen, NULL), FIIE_E_AUTH);
    img = s.img;
    img.format = FIIE_PIXEL_RGBA8;
    img.width = 27; /* 37 * 3 bytes of stride still cover 27 RGBA pixels */
    assert_int_equal(fiie_decrypt(s.key, &img, s.header, s.hlen, NULL), FIIE_E_MISMATCH);
    assert_memory_equal(s.img.data, s.cipher, n);
    sample_free(&s);
}

/* The cipher accepts exactly the images fiie_image_validate() accepts:
 * unknown flag bits are refused by both directions before any work. */
static void image_flags_are_validated(void **state)
{
    (void)state;
    sample s;
    sample_make(&s, FIIE_PIXEL_RGB8);
    size_t n = image_bytes(&s.img);
    fiie_image img = s.img;
    img.flags = 0x80u;
    assert_int_equal(fiie_image_validate(&img), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_decrypt(s.key, &img, s.header, s.hlen, NULL), FIIE_E_INVALID_ARGUMENT);
    assert_memory_equal(s.img.data, s.cipher, n);
    fiie_mask *m = NULL;
    assert_int_equal(fiie_mask_from_header(&m, s.header, s.hlen), FIIE_OK);
    uint8_t header[512];
    size_t hlen = 0;
    assert_int_equal(fiie_encrypt(s.key, &img, m, NULL, header, sizeof header, &hlen),
                     FIIE_E_INVALID_ARGUMENT);
    assert_memory_equal(s.img.data, s.cipher, n);
    fiie_mask_free(m);
    sample_free(&s);
}

/* A fresh random nonce per call: same key, image and mask, different output. */
static void nonce_is_fresh(void **state)
{
    (void)state;
    sample a, b;
    sample_make(&a, FIIE_PIXEL_RGB8);
    sample_make(&b, FIIE_PIXEL_RGB8);
    assert_int_equal(a.hlen, b.hlen);
    assert_memory_not_equal(a.header + 16, b.header + 16, 24);
    assert_memory_not_equal(a.cipher, b.cipher, image_bytes(&a.img));
    sample_free(&a);
    sample_free(&b);
}

/* Thread count never changes ciphertext, also over several 512 KiB blocks. */
static void threads_do_not_change_output(void **state)
{
    (void)state;
    fiie_key *k = key_of(v_ks_key);
    /* ~5.2 MB region stream: 4 thread parts of 3 blocks, whose
     * boundaries fall inside rows and inside spans. */
    const uint32_t w = 1700, h = 1250;
    fiie_image ref = image_of(NULL, w, h, FIIE_PIXEL_RGB8);
    uint8_t *plain = malloc(image_bytes(&ref));
    assert_non_null(plain);
    memcpy(plain, ref.data, image_bytes(&ref));
    fiie_mask *m = NULL;
    assert_int_equal(fiie_mask_new(&m, w, h), FIIE_OK);
    assert_int_equal(fiie_mask_add_region(m, FIIE_SHAPE_ELLIPSE, -10, -10, 1720, 1270), FIIE_OK);
    assert_int_equal(fiie_mask_add_region(m, FIIE_SHAPE_RECT, 700, 0, 100, 1250), FIIE_OK);
    assert_int_equal(fiie_mask_add_region(m, FIIE_SHAPE_ELLIPSE, 100, 500, 300, 200), FIIE_OK);
    uint64_t px;
    assert_int_equal(fiie_mask_pixel_count(m, &px), FIIE_OK);
    assert_true(px * 3 > 3 * 3 * 524288u);
    fiie_encrypt_options o = fixed_nonce(v_ks_nonce);
    uint8_t hdr0[128], hdr[128];
    size_t hlen;
    o.threads = 1;
    assert_int_equal(fiie_encrypt(k, &ref, m, &o, hdr0, sizeof hdr0, &hlen), FIIE_OK);
    const unsigned threads[] = {2, 3, 8};
    for (size_t t = 0; t < 3; t++) {
        fiie_image img = image_of(plain, w, h, FIIE_PIXEL_RGB8);
        o.threads = threads[t];
        assert_int_equal(fiie_encrypt(k, &img, m, &o, hdr, sizeof hdr, &hlen), FIIE_OK);
        assert_memory_equal(hdr, hdr0, hlen);
        assert_memory_equal(img.data, ref.data, image_bytes(&ref));
        fiie_decrypt_options d;
        fiie_decrypt_options_init(&d);
        d.threads = threads[t];
        assert_int_equal(fiie_decrypt(k, &img, hdr, hlen, &d), FIIE_OK);
        assert_memory_equal(img.data, plain, image_bytes(&ref));
        free(img.data);
    }
    free(plain);
    free(ref.data);
    fiie_mask_free(m);
    fiie_key_free(k);
}

/* Every Logistic kernel set gives the same image through the whole
 * pipeline, on 1 to 3 threads: a stream of more than CIPHER_LM_MAX_CHAINS
 * blocks (whole groups, a short group, a partial last block) whose length
 * is not a multiple of 8, against the portable kernel on one thread. */
static void kernels_agree_through_pipeline(void **state)
{
    (void)state;
    fiie_key *k = key_of(v_ks_key);
    const uint32_t w = 1601, h = 1111;
    fiie_image ref = image_of(NULL, w, h, FIIE_PIXEL_BGRA8);
    uint8_t *plain = malloc(image_bytes(&ref));
    assert_non_null(plain);
    memcpy(plain, ref.data, image_bytes(&ref));
    fiie_mask *m = NULL;
    assert_int_equal(fiie_mask_new(&m, w, h), FIIE_OK);
    assert_int_equal(fiie_mask_add_region(m, FIIE_SHAPE_RECT, 0, 0, w, h), FIIE_OK);
    assert_int_equal(fiie_mask_add_region(m, FIIE_SHAPE_ELLIPSE, 900, 300, 1000, 1000), FIIE_OK);
    uint64_t px;
    assert_int_equal(fiie_mask_pixel_count(m, &px), FIIE_OK);
    assert_true(px * 3 > (uint64_t)(CIPHER_LM_MAX_CHAINS + 4) * CIPHER_LM_BLOCK);
    assert_true(px * 3 % 8 != 0 && px * 3 % CIPHER_LM_BLOCK != 0);
    fiie_encrypt_options o = fixed_nonce(v_ks_nonce);
    uint8_t hdr0[128], hdr[128];
    size_t hlen0, hlen;
    o.threads = 1;
    assert_int_equal(cipher_encrypt_lm_impl(&cipher_lm_impl_portable, k, &ref, m, &o, hdr0,
                                          sizeof hdr0, &hlen0),
                     FIIE_OK);
    assert_memory_not_equal(ref.data, plain, image_bytes(&ref));
    const cipher_lm_impl *impl[1 + KERNEL_VARIANTS_MAX];
    size_t ni = lm_impls_runnable(impl);
    for (size_t i = 0; i < ni; i++) {
        for (unsigned t = 1; t <= 3; t++) {
            fiie_image img = image_of(plain, w, h, FIIE_PIXEL_BGRA8);
            o.threads = t;
            assert_int_equal(cipher_encrypt_lm_impl(impl[i], k, &img, m, &o, hdr, sizeof hdr,
                                                  &hlen),
                             FIIE_OK);
            assert_int_equal(hlen, hlen0);
            assert_memory_equal(hdr, hdr0, hlen);
            assert_memory_equal(img.data, ref.data, image_bytes(&ref));
            fiie_decrypt_options d;
            fiie_decrypt_options_init(&d);
            d.threads = t;
            assert_int_equal(cipher_decrypt_lm_impl(impl[i], k, &img, hdr, hlen, &d), FIIE_OK);
            assert_memory_equal(img.data, plain, image_bytes(&ref));
            free(img.data);
        }
    }
    free(plain);
    free(ref.data);
    fiie_mask_free(m);
    fiie_key_free(k);
}

/* The chunked pipeline equals the textbook composition on a stream of
 * several Logistic blocks: C, T = libsodium AEAD(P xor L, header). */
static void pipeline_matches_reference(void **state)
{
    (void)state;
    const uint32_t w = 1001, h = 700; /* 2.1 MB: 5 blocks, not chunk-aligned */
    fiie_key *k = key_of(v_ks_key);
    fiie_image img = image_of(NULL, w, h, FIIE_PIXEL_RGB8);
    size_t n = image_bytes(&img);
    uint8_t *ref = malloc(n);
    uint8_t *ks = malloc(n);
    assert_non_null(ref);
    assert_non_null(ks);
    memcpy(ref, img.data, n);
    fiie_mask *m = NULL;
    assert_int_equal(fiie_mask_new(&m, w, h), FIIE_OK);
    assert_int_equal(fiie_mask_add_region(m, FIIE_SHAPE_RECT, 0, 0, w, h), FIIE_OK);
    fiie_encrypt_options o = fixed_nonce(v_ks_nonce);
    uint8_t hdr[128];
    size_t hlen;
    assert_int_equal(fiie_encrypt(k, &img, m, &o, hdr, sizeof hdr, &hlen), FIIE_OK);

    assert_int_equal(fiie_keystream(k, v_ks_nonce, ks, n, 1), FIIE_OK);
    for (size_t i = 0; i < n; i++)
        ref[i] ^= ks[i];
    uint8_t ae[32], lm[32], tag[16];
    cipher_derive_subkeys(v_ks_key, v_ks_nonce, lm, ae);
    assert_int_equal(crypto_aead_xchacha20poly1305_ietf_encrypt_detached(
                         ref, tag, NULL, ref, n, hdr, hlen - 16, NULL, v_ks_nonce, ae),
                     0);
    assert_memory_equal(img.data, ref, n);
    assert_memory_equal(hdr + hlen - 16, tag, 16);
    free(ks);
    free(ref);
    free(img.data);
    fiie_mask_free(m);
    fiie_key_free(k);
}

/* A header whose regions protect no pixel is valid: decryption checks its
 * tag and changes nothing. */
static void empty_stream_header(void **state)
{
    (void)state;
    sample s;
    sample_make(&s, FIIE_PIXEL_RGB8);
    uint8_t h[512];
    memcpy(h, s.header, s.hlen);
    /* Move both regions (at offset 44 and 64) to x = 1000. */
    for (size_t r = 44; r < 84; r += 20) {
        h[r + 4] = 0xE8;
        h[r + 5] = 0x03;
        h[r + 6] = 0;
        h[r + 7] = 0;
    }
    uint8_t lm[32], ae[32], nonce[24];
    memcpy(nonce, h + 16, 24);
    cipher_derive_subkeys(v_ks_key, nonce, lm, ae);
    uint8_t dummy = 0;
    assert_int_equal(crypto_aead_xchacha20poly1305_ietf_encrypt_detached(
                         &dummy, h + s.hlen - 16, NULL, &dummy, 0, h, s.hlen - 16, NULL, nonce,
                         ae),
                     0);
    for (unsigned t = 1; t <= 2; t++) {
        fiie_decrypt_options d;
        fiie_decrypt_options_init(&d);
        d.threads = t;
        assert_int_equal(fiie_decrypt(s.key, &s.img, h, s.hlen, &d), FIIE_OK);
        assert_memory_equal(s.img.data, s.cipher, image_bytes(&s.img));
    }
    h[s.hlen - 1] ^= 1;
    assert_int_equal(fiie_decrypt(s.key, &s.img, h, s.hlen, NULL), FIIE_E_AUTH);
    sample_free(&s);
}

/* ---- bad inputs ---------------------------------------------------------- */

static void encrypt_bad_inputs(void **state)
{
    (void)state;
    fiie_key *k = key_of(v_ks_key);
    fiie_image img = image_of(NULL, 20, 10, FIIE_PIXEL_RGB8);
    uint8_t *orig = malloc(image_bytes(&img));
    assert_non_null(orig);
    memcpy(orig, img.data, image_bytes(&img));
    fiie_mask *m = NULL;
    assert_int_equal(fiie_mask_new(&m, 20, 10), FIIE_OK);
    uint8_t hdr[256];
    size_t hlen = 99;

    assert_int_equal(fiie_encrypt(k, &img, m, NULL, hdr, sizeof hdr, &hlen), FIIE_E_EMPTY_MASK);
    /* Regions entirely outside the image protect nothing. */
    assert_int_equal(fiie_mask_add_region(m, FIIE_SHAPE_RECT, 20, 0, 5, 5), FIIE_OK);
    assert_int_equal(fiie_mask_add_region(m, FIIE_SHAPE_ELLIPSE, -100, -100, 100, 100), FIIE_OK);
    assert_int_equal(fiie_mask_add_region(m, FIIE_SHAPE_RECT, INT32_MAX, INT32_MAX, UINT32_MAX,
                                          UINT32_MAX),
                     FIIE_OK);
    assert_int_equal(fiie_encrypt(k, &img, m, NULL, hdr, sizeof hdr, &hlen), FIIE_E_EMPTY_MASK);
    assert_int_equal(fiie_mask_add_region(m, FIIE_SHAPE_RECT, INT32_MIN, INT32_MIN,
                                          UINT32_C(1) << 31, UINT32_C(1) << 31),
                     FIIE_OK); /* ends just before column/row 0 */
    assert_int_equal(fiie_encrypt(k, &img, m, NULL, hdr, sizeof hdr, &hlen), FIIE_E_EMPTY_MASK);
    assert_memory_equal(img.data, orig, image_bytes(&img));
    /* A region far outside kept alongside one that protects pixels. */
    assert_int_equal(fiie_mask_add_region(m, FIIE_SHAPE_RECT, 19, 9, 1, 1), FIIE_OK);

    assert_int_equal(fiie_encrypt(NULL, &img, m, NULL, hdr, sizeof hdr, &hlen),
                     FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_encrypt(k, NULL, m, NULL, hdr, sizeof hdr, &hlen),
                     FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_encrypt(k, &img, NULL, NULL, hdr, sizeof hdr, &hlen),
                     FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_encrypt(k, &img, m, NULL, hdr, sizeof hdr, NULL),
                     FIIE_E_INVALID_ARGUMENT);
    fiie_encrypt_options o;
    assert_int_equal(fiie_encrypt_options_init(NULL), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_encrypt_options_init_v(&o, (FIIE_ABI_VERSION_MAJOR + 1) << 16),
                     FIIE_E_VERSION);
    fiie_encrypt_options_init(&o);
    o.abi_version = 0;
    assert_int_equal(fiie_encrypt(k, &img, m, &o, hdr, sizeof hdr, &hlen), FIIE_E_VERSION);
    fiie_encrypt_options_init(&o);
    o.alg = 2;
    assert_int_equal(fiie_encrypt(k, &img, m, &o, hdr, sizeof hdr, &hlen),
                     FIIE_E_INVALID_ARGUMENT);
    fiie_encrypt_options_init(&o);
    o.flags = 4;
    assert_int_equal(fiie_encrypt(k, &img, m, &o, hdr, sizeof hdr, &hlen),
                     FIIE_E_INVALID_ARGUMENT);
    fiie_encrypt_options_init(&o);
    o.reserved[39] = 1;
    assert_int_equal(fiie_encrypt(k, &img, m, &o, hdr, sizeof hdr, &hlen),
                     FIIE_E_INVALID_ARGUMENT);

    fiie_image bad = img;
    bad.data = NULL;
    assert_int_equal(fiie_encrypt(k, &bad, m, NULL, hdr, sizeof hdr, &hlen),
                     FIIE_E_INVALID_ARGUMENT);
    bad = img;
    bad.format = 9;
    assert_int_equal(fiie_encrypt(k, &bad, m, NULL, hdr, sizeof hdr, &hlen),
                     FIIE_E_INVALID_ARGUMENT);
    bad = img;
    bad.stride = 59;
    assert_int_equal(fiie_encrypt(k, &bad, m, NULL, hdr, sizeof hdr, &hlen),
                     FIIE_E_INVALID_ARGUMENT);
    bad = img;
    bad.width = 0;
    assert_int_equal(fiie_encrypt(k, &bad, m, NULL, hdr, sizeof hdr, &hlen),
                     FIIE_E_INVALID_ARGUMENT);
    bad = img;
    bad.width = 70000;
    bad.stride = 210000;
    assert_int_equal(fiie_encrypt(k, &bad, m, NULL, hdr, sizeof hdr, &hlen), FIIE_E_TOO_LARGE);
    bad = img;
    bad.height = 60000;
    bad.stride = SIZE_MAX / 1000;
    assert_int_equal(fiie_encrypt(k, &bad, m, NULL, hdr, sizeof hdr, &hlen), FIIE_E_TOO_LARGE);
    bad = img;
    bad.height = 11; /* mask made for 20 x 10 */
    assert_int_equal(fiie_encrypt(k, &bad, m, NULL, hdr, sizeof hdr, &hlen), FIIE_E_MISMATCH);
    assert_memory_equal(img.data, orig, image_bytes(&img));

    assert_int_equal(fiie_encrypt(k, &img, m, NULL, hdr, sizeof hdr, &hlen), FIIE_OK);
    assert_int_equal(hlen, fiie_header_size(FIIE_ALG_V1, 5, 0));
    fiie_region r;
    assert_int_equal(fiie_header_get_region(hdr, hlen, 3, &r), FIIE_OK);
    assert_int_equal(r.x, INT32_MIN);
    assert_int_equal(r.w, UINT32_C(1) << 31);
    /* Exactly one pixel changed. */
    size_t changed = 0;
    for (size_t i = 0; i < image_bytes(&img); i++)
        changed += img.data[i] != orig[i];
    assert_true(changed >= 1 && changed <= 3);
    assert_memory_equal(img.data, orig, image_bytes(&img) - 3);

    fiie_decrypt_options d;
    assert_int_equal(fiie_decrypt_options_init(NULL), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_decrypt_options_init_v(&d, 0), FIIE_E_VERSION);
    fiie_decrypt_options_init(&d);
    d.abi_version = (FIIE_ABI_VERSION_MAJOR + 1) << 16;
    assert_int_equal(fiie_decrypt(k, &img, hdr, hlen, &d), FIIE_E_VERSION);
    fiie_decrypt_options_init(&d);
    d.reserved[0] = 1;
    assert_int_equal(fiie_decrypt(k, &img, hdr, hlen, &d), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_decrypt(NULL, &img, hdr, hlen, NULL), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_decrypt(k, NULL, hdr, hlen, NULL), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_decrypt(k, &img, NULL, hlen, NULL), FIIE_E_INVALID_ARGUMENT);
    bad = img;
    bad.data = NULL;
    assert_int_equal(fiie_decrypt(k, &bad, hdr, hlen, NULL), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_decrypt(k, &img, hdr, hlen, NULL), FIIE_OK);
    assert_memory_equal(img.data, orig, image_bytes(&img));

    free(orig);
    free(img.data);
    fiie_mask_free(m);
    fiie_key_free(k);
}

static void key_bad_inputs(void **state)
{
    (void)state;
    fiie_key *k = (fiie_key *)&k;
    uint8_t bytes[33] = {1};
    assert_int_equal(fiie_key_from_bytes(&k, bytes, 31), FIIE_E_INVALID_ARGUMENT);
    assert_null(k);
    assert_int_equal(fiie_key_from_bytes(&k, bytes, 33), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_key_from_bytes(&k, NULL, 32), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_key_from_bytes(NULL, bytes, 32), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_key_generate(NULL), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_key_from_bytes(&k, bytes, 32), FIIE_OK);
    uint8_t out[32];
    assert_int_equal(fiie_key_get_bytes(k, out, 31), FIIE_E_BUFFER_TOO_SMALL);
    assert_int_equal(fiie_key_get_bytes(k, NULL, 32), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_key_get_bytes(NULL, out, 32), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_key_get_bytes(k, out, 32), FIIE_OK);
    assert_memory_equal(out, bytes, 32);
    fiie_key_free(k);
    fiie_key_free(NULL);
    fiie_key *g1 = NULL, *g2 = NULL;
    assert_int_equal(fiie_key_generate(&g1), FIIE_OK);
    assert_int_equal(fiie_key_generate(&g2), FIIE_OK);
    uint8_t a[32], b[32];
    fiie_key_get_bytes(g1, a, 32);
    fiie_key_get_bytes(g2, b, 32);
    assert_memory_not_equal(a, b, 32);
    fiie_key_free(g1);
    fiie_key_free(g2);
    assert_int_equal(fiie_key_bytes(), 32);
    assert_int_equal(fiie_nonce_bytes(), 24);
    assert_int_equal(fiie_salt_bytes(), 16);
    fiie_kdf_params p;
    assert_int_equal(fiie_kdf_params_init(NULL), FIIE_E_INVALID_ARGUMENT);
    assert_int_equal(fiie_kdf_params_init_v(&p, 0x20000), FIIE_E_VERSION);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kat_subkeys),
        cmocka_unit_test(kat_lane_q),
        cmocka_unit_test(kat_map_step),
        cmocka_unit_test(kat_keystream),
        cmocka_unit_test(reference_stream_matches_portable),
        cmocka_unit_test(kat_images),
        cmocka_unit_test(layouts_give_same_stream),
        cmocka_unit_test(kat_paper),
        cmocka_unit_test(paper_round_trip),
        cmocka_unit_test(kat_argon2id),
        cmocka_unit_test(passphrase_round_trip),
        cmocka_unit_test(wrong_key_is_refused),
        cmocka_unit_test(tampered_pixels),
        cmocka_unit_test(tampered_header_bytes),
        cmocka_unit_test(header_must_match_image),
        cmocka_unit_test(image_flags_are_validated),
        cmocka_unit_test(nonce_is_fresh),
        cmocka_unit_test(threads_do_not_change_output),
        cmocka_unit_test(kernels_agree_through_pipeline),
        cmocka_unit_test(pipeline_matches_reference),
        cmocka_unit_test(empty_stream_header),
        cmocka_unit_test(encrypt_bad_inputs),
        cmocka_unit_test(key_bad_inputs),
    };
    return cmocka_run_group_tests_name("cipher", tests, NULL, NULL);
}
