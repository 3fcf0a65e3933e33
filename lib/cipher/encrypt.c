/* FIIE v1 encrypt/decrypt and the keystreams (fiie/cipher.h).
 *
 * Both directions stream the region stream through cache-sized chunks
 * (gather, transform, scatter; see "the pipeline" below) instead of
 * copying it whole. Decryption verifies the tag in a read-only pass first
 * and encryption checks everything that can fail before its first write,
 * so an error never leaves a half-written image. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cipher/cipher.h"
#include "cipher/logistic.h"
#include "common/common.h"
#include "format/format.h"
#include "mask/mask.h"

/* ---- options --------------------------------------------------------------- */

int fiie_encrypt_options_init_v(fiie_encrypt_options *o, int abi_version)
{
    int rc = common_options_begin(o, sizeof *o, abi_version);
    if (rc)
        return rc;
    o->alg = FIIE_ALG_V1;
    o->threads = 1;
    return FIIE_OK;
}

int fiie_decrypt_options_init_v(fiie_decrypt_options *o, int abi_version)
{
    int rc = common_options_begin(o, sizeof *o, abi_version);
    if (rc)
        return rc;
    o->threads = 1;
    return FIIE_OK;
}

/* ---- subkeys and keystream ----------------------------------------------- */

static void subkey(uint8_t out[32], const uint8_t key[FIIE_KEY_BYTES], const char label[8],
                   const uint8_t nonce[FIIE_NONCE_BYTES])
{
    uint8_t msg[8 + FIIE_NONCE_BYTES];
    memcpy(msg, label, 8);
    memcpy(msg + 8, nonce, FIIE_NONCE_BYTES);
    crypto_generichash(out, 32, msg, sizeof msg, key, FIIE_KEY_BYTES);
}

void cipher_derive_subkeys(const uint8_t key[FIIE_KEY_BYTES],
                         const uint8_t nonce[FIIE_NONCE_BYTES], uint8_t k_lm[32],
                         uint8_t k_ae[32])
{
    subkey(k_lm, key, "FIIE1 lm", nonce);
    subkey(k_ae, key, "FIIE1 ae", nonce);
}

typedef struct subkeys {
    uint8_t ae[32];
    cipher_lm lm;
} subkeys;

static int subkeys_derive(subkeys *s, const fiie_key *k, const uint8_t nonce[FIIE_NONCE_BYTES])
{
    uint8_t k_lm[32];
    cipher_derive_subkeys(k->k, nonce, k_lm, s->ae);
    int rc = cipher_lm_init(&s->lm, k_lm);
    sodium_memzero(k_lm, sizeof k_lm);
    return rc;
}

static void subkeys_wipe(subkeys *s)
{
    sodium_memzero(s, sizeof *s);
}

int fiie_keystream(const fiie_key *k, const uint8_t *nonce, uint8_t *out, size_t len,
                   unsigned threads)
{
    if (!k || !nonce || (!out && len > 0))
        return FIIE_E_INVALID_ARGUMENT;
    if (sodium_init() < 0)
        return FIIE_E_CRYPTO;
    subkeys s;
    int rc = subkeys_derive(&s, k, nonce);
    if (rc == FIIE_OK && len > 0) {
        memset(out, 0, len);
        cipher_lm_xor(&s.lm, out, len, threads);
    }
    subkeys_wipe(&s);
    return rc;
}

int fiie_paper_keystream(double x0, double mu, uint8_t *out, size_t len)
{
    if ((!out && len > 0) || !cipher_paper_key_valid(x0, mu))
        return FIIE_E_INVALID_ARGUMENT;
    if (len > 0) {
        memset(out, 0, len);
        cipher_paper_xor(x0, mu, out, len);
    }
    return FIIE_OK;
}

/* ---- image checks --------------------------------------------------------- */

/* fiie_image_validate() (the one definition of a valid image, flags
 * included), then the channel count the stream needs. */
static int image_check(const fiie_image *img, size_t *channels)
{
    int rc = fiie_image_validate(img);
    if (rc == FIIE_OK)
        *channels = (size_t)fiie_pixel_format_channels(img->format);
    return rc;
}

/* ---- the pipeline ---------------------------------------------------------- *
 *
 * The region stream is processed in chunks that stay in cache: gather a
 * chunk from the image, apply the layers, scatter it back. Threads take
 * contiguous parts of the stream; a part boundary falls on a Logistic
 * block boundary and on a pixel boundary (3 blocks = 524288 pixels), so
 * each thread seeks its own cursors and starts its own lanes. Poly1305
 * runs over the ciphertext in order: fused into the loop on one thread,
 * otherwise as a separate read-only pass. Everything that can fail
 * (allocation, parameter derivation, the tag check) happens before the
 * first pixel is written.
 *
 * The Logistic keystream is made ahead, CIPHER_LM_MAX_CHAINS blocks at a
 * time into a per-worker scratch buffer: the SIMD kernel needs several
 * independent blocks side by side to hide its latency, which a chunk of
 * one block cannot offer. The chunks then XOR their slice of it.
 *
 * Decryption reads the ciphertext twice: the tag pass, then the decrypt
 * pass (on several threads). So that pixels changed in between (a buffer
 * another process can write) are never decrypted as if authenticated,
 * the tag pass also seals every part (PART_BYTES of the stream) with a
 * one-time Poly1305 key drawn for this call, and the decrypt pass checks
 * each part's seal over the very bytes it decrypts: a mismatch gives
 * FIIE_E_AUTH. */

#define CHUNK_BYTES 65472u /* 341 * 192: whole pixels, whole ChaCha20 and lane groups */
#define PART_BYTES ((uint64_t)3 * CIPHER_LM_BLOCK)

typedef struct worker {
    mask_cursor rd;
    mask_cursor wr;
    uint8_t *buf;
    uint8_t *ks;           /* Logistic keystream scratch (key material) */
    uint64_t ks0, ks1;     /* stream bytes it holds */
    int changed;           /* a part's seal did not match (decryption) */
} worker;

typedef struct pipeline {
    mask_stream rs;
    uint64_t len;          /* M */
    int decrypt;
    int paper;
    const cipher_lm *lm;     /* algorithm 1 */
    const cipher_lm_impl *impl;
    size_t ks_bytes;       /* size of each worker's keystream scratch */
    const cipher_v1 *v1;
    cipher_v1_mac *mac;      /* fused MAC (one thread, encryption) or NULL */
    double x0, mu;         /* algorithm 0 */
    unsigned parts;
    worker *w;
    uint8_t seal_key[32];  /* decryption: random, keys the part seals */
    uint8_t (*seals)[16];  /* decryption: one Poly1305 seal per part, or NULL */
} pipeline;

/* ---- part seals (decryption) ----------------------------------------------- */

static uint64_t part_count(const pipeline *pl)
{
    return (pl->len + PART_BYTES - 1) / PART_BYTES;
}

/* A one-time Poly1305 state for part p: its key is BLAKE2b(seal_key, p). */
static void seal_begin(const pipeline *pl, uint64_t p, crypto_onetimeauth_poly1305_state *st)
{
    uint8_t key[crypto_onetimeauth_poly1305_KEYBYTES], idx[8];
    mem_store_le64(idx, p);
    crypto_generichash(key, sizeof key, idx, sizeof idx, pl->seal_key, sizeof pl->seal_key);
    crypto_onetimeauth_poly1305_init(st, key);
    sodium_memzero(key, sizeof key);
}

/* Finish a seal into out[16] and wipe the state. */
static void seal_end(crypto_onetimeauth_poly1305_state *st, uint8_t out[16])
{
    crypto_onetimeauth_poly1305_final(st, out);
    sodium_memzero(st, sizeof *st);
}

/* End of part p of the stream, or limit if that comes first. */
static uint64_t part_end(uint64_t p, uint64_t limit)
{
    return (p + 1) * PART_BYTES < limit ? (p + 1) * PART_BYTES : limit;
}

/* Bytes of the chunk starting at off in a part ending at end. */
static size_t chunk_len(uint64_t off, uint64_t end)
{
    return (size_t)(end - off < CHUNK_BYTES ? end - off : CHUNK_BYTES);
}

static int seals_init(pipeline *pl)
{
    pl->seals = calloc(part_count(pl) ? part_count(pl) : 1, sizeof *pl->seals);
    if (!pl->seals)
        return FIIE_E_NO_MEMORY;
    randombytes_buf(pl->seal_key, sizeof pl->seal_key);
    return FIIE_OK;
}

static void pipeline_release(pipeline *pl)
{
    if (pl->w) {
        for (unsigned t = 0; t < pl->parts; t++) {
            mask_cursor_release(&pl->w[t].rd);
            mask_cursor_release(&pl->w[t].wr);
            common_buf_free(pl->w[t].buf); /* pixels: wiped */
            common_buf_free(pl->w[t].ks);  /* keystream: wiped */
        }
        free(pl->w);
        pl->w = NULL;
    }
    common_free_wiped(pl->seals, part_count(pl) * sizeof *pl->seals);
    pl->seals = NULL;
    sodium_memzero(pl->seal_key, sizeof pl->seal_key);
    mask_stream_release(&pl->rs);
}

/* Count the stream and allocate every worker's cursors and chunk, and
 * with lm_impl (algorithm 1) its keystream scratch. */
static int pipeline_init(pipeline *pl, fiie_image *img, const fiie_mask *m, unsigned threads,
                         const cipher_lm_impl *lm_impl)
{
    memset(pl, 0, sizeof *pl);
    int rc = mask_stream_init(&pl->rs, img, m);
    if (rc != FIIE_OK)
        return rc;
    pl->len = pl->rs.pixels * 3;
    if (!cipher_v1_len_ok(pl->len)) {
        mask_stream_release(&pl->rs);
        return FIIE_E_TOO_LARGE;
    }
    pl->parts = common_parallel_parts((pl->len + PART_BYTES - 1) / PART_BYTES, threads);
    pl->impl = lm_impl;
    if (lm_impl) {
        uint64_t group = (uint64_t)CIPHER_LM_MAX_CHAINS * CIPHER_LM_BLOCK;
        pl->ks_bytes = (size_t)(pl->len < group ? pl->len : group);
    }
    pl->w = calloc(pl->parts, sizeof *pl->w);
    if (!pl->w) {
        pipeline_release(pl);
        return FIIE_E_NO_MEMORY;
    }
    for (unsigned t = 0; t < pl->parts; t++) {
        worker *w = &pl->w[t];
        /* image buffers: wiped when released, and the keystream's (up to
         * 2 MB per call) off malloc's heap */
        w->buf = common_buf_alloc(CHUNK_BYTES);
        if (pl->ks_bytes > 0)
            w->ks = common_buf_alloc(pl->ks_bytes);
        if (!w->buf || (pl->ks_bytes > 0 && !w->ks) || mask_cursor_init(&w->rd, &pl->rs) != FIIE_OK ||
            mask_cursor_init(&w->wr, &pl->rs) != FIIE_OK) {
            pipeline_release(pl);
            return FIIE_E_NO_MEMORY;
        }
    }
    return FIIE_OK;
}

/* XOR the Logistic keystream of stream bytes [off, off + n) into p; the
 * worker's part ends at b1. Groups start on block boundaries, at the
 * part's start and every CIPHER_LM_MAX_CHAINS blocks after it. */
static void ks_xor(const pipeline *pl, worker *w, uint64_t b1, uint8_t *p, uint64_t off, size_t n)
{
    while (n > 0) {
        if (off >= w->ks1) {
            uint64_t end = b1 - off < pl->ks_bytes ? b1 : off + pl->ks_bytes;
            size_t glen = (size_t)(end - off);
            unsigned nb = (unsigned)((glen + CIPHER_LM_BLOCK - 1) / CIPHER_LM_BLOCK);
            memset(w->ks, 0, glen);
            cipher_lm_blocks_impl(pl->impl, pl->lm, off / CIPHER_LM_BLOCK, nb, w->ks,
                                glen - (size_t)(nb - 1) * CIPHER_LM_BLOCK);
            w->ks0 = off;
            w->ks1 = end;
        }
        size_t k = (size_t)(w->ks1 - off < n ? w->ks1 - off : n);
        const uint8_t *s = w->ks + (off - w->ks0);
        for (size_t i = 0; i < k; i++)
            p[i] ^= s[i];
        p += k;
        off += k;
        n -= k;
    }
}

/* Transform parts [first, last) of the stream in place in the image.
 * When decrypting with seals, each part's ciphertext is sealed again as it
 * is read and compared with the tag pass's seal. */
static void pipeline_part(void *arg, unsigned t, uint64_t first, uint64_t last)
{
    const pipeline *pl = arg;
    worker *w = &pl->w[t];
    uint64_t b0 = first * PART_BYTES;
    uint64_t b1 = last * PART_BYTES < pl->len ? last * PART_BYTES : pl->len;
    mask_cursor_seek(&w->rd, b0 / 3);
    mask_cursor_seek(&w->wr, b0 / 3);
    double x = 0;
    if (pl->paper)
        x = cipher_paper_start(pl->x0, pl->mu); /* one part only: no thread split */
    else
        w->ks0 = w->ks1 = b0; /* b0 is block aligned: the first group starts there */
    for (uint64_t p = first; p < last; p++) {
        uint64_t p1 = part_end(p, b1);
        crypto_onetimeauth_poly1305_state seal;
        if (pl->seals)
            seal_begin(pl, p, &seal);
        for (uint64_t off = p * PART_BYTES; off < p1; off += CHUNK_BYTES) {
            size_t n = chunk_len(off, p1);
            mask_cursor_gather(&w->rd, w->buf, n / 3);
            if (pl->paper) {
                cipher_paper_stream_xor(&x, pl->mu, w->buf, n);
            } else if (pl->decrypt) {
                if (pl->seals)
                    crypto_onetimeauth_poly1305_update(&seal, w->buf, n);
                cipher_v1_chacha(pl->v1, w->buf, n, off);
                ks_xor(pl, w, b1, w->buf, off, n);
            } else {
                ks_xor(pl, w, b1, w->buf, off, n);
                cipher_v1_chacha(pl->v1, w->buf, n, off);
                if (pl->mac)
                    cipher_v1_mac_update(pl->mac, w->buf, n);
            }
            mask_cursor_scatter(&w->wr, w->buf, n / 3);
        }
        if (pl->seals) {
            uint8_t tag[16];
            seal_end(&seal, tag);
            w->changed |= crypto_verify_16(tag, pl->seals[p]) != 0;
        }
    }
}

static void pipeline_run(pipeline *pl, unsigned threads)
{
    if (pl->len == 0)
        return;
    if (pl->paper || pl->mac)
        pipeline_part(pl, 0, 0, (pl->len + PART_BYTES - 1) / PART_BYTES);
    else
        common_parallel_for((pl->len + PART_BYTES - 1) / PART_BYTES, threads, pipeline_part, pl);
}

/* Read-only pass: Poly1305 over the ciphertext now in the image, and
 * with seals (decryption) the seal of every part. */
static void pipeline_mac(pipeline *pl, cipher_v1_mac *st)
{
    worker *w = &pl->w[0];
    if (pl->len == 0)
        return;
    mask_cursor_seek(&w->rd, 0);
    for (uint64_t p = 0; p < part_count(pl); p++) {
        uint64_t p1 = part_end(p, pl->len);
        crypto_onetimeauth_poly1305_state seal;
        if (pl->seals)
            seal_begin(pl, p, &seal);
        for (uint64_t off = p * PART_BYTES; off < p1; off += CHUNK_BYTES) {
            size_t n = chunk_len(off, p1);
            mask_cursor_gather(&w->rd, w->buf, n / 3);
            cipher_v1_mac_update(st, w->buf, n);
            if (pl->seals)
                crypto_onetimeauth_poly1305_update(&seal, w->buf, n);
        }
        if (pl->seals)
            seal_end(&seal, pl->seals[p]);
    }
}

/* ---- encrypt / decrypt --------------------------------------------------- */

/* Paper mode (algorithm 0): the Logistic map alone, one thread. */
static void pipeline_run_paper(pipeline *pl, double x0, double mu)
{
    pl->paper = 1;
    pl->x0 = x0;
    pl->mu = mu;
    pipeline_run(pl, 1);
}

static int encrypt_options_check(const fiie_encrypt_options *o, const fiie_key *k)
{
    int rc = common_options_check(o->abi_version, o->reserved, sizeof o->reserved);
    if (rc != FIIE_OK)
        return rc;
    if ((o->alg != FIIE_ALG_V1 && o->alg != FIIE_ALG_PAPER) ||
        (o->flags & ~FIIE_ENCRYPT_FIXED_NONCE) != 0)
        return FIIE_E_INVALID_ARGUMENT;
    if ((o->flags & FIIE_ENCRYPT_FIXED_NONCE) && !CIPHER_TEST_HOOKS)
        return FIIE_E_UNSUPPORTED;
    if (o->alg == FIIE_ALG_PAPER ? !cipher_paper_key_valid(o->paper_x0, o->paper_mu) : !k)
        return FIIE_E_INVALID_ARGUMENT;
    return FIIE_OK;
}

/* The header fields of an encryption (all but the nonce). */
static void header_info_fill(fiie_header_info *info, const fiie_encrypt_options *o,
                             const fiie_key *k, const fiie_image *img, size_t ch, size_t nreg)
{
    memset(info, 0, sizeof *info);
    info->version = FORMAT_HEADER_VERSION;
    info->alg = o->alg;
    info->channels = (uint32_t)ch;
    info->width = img->width;
    info->height = img->height;
    info->n_regions = (uint32_t)nreg;
    if (o->alg != FIIE_ALG_PAPER && k->has_kdf) {
        info->kdf = FORMAT_KDF_ARGON2ID13;
        info->flags = FORMAT_HEADER_FLAG_KDF;
        info->opslimit = k->opslimit;
        info->memlimit = k->memlimit;
        memcpy(info->salt, k->salt, FIIE_SALT_BYTES);
    }
}

/* Algorithm 1: a fresh nonce (or the tests' fixed one), the header, then
 * the pixels encrypted and the tag over header and ciphertext. */
static int encrypt_v1(pipeline *pl, const fiie_key *k, fiie_header_info *info,
                      const fiie_mask *m, const fiie_encrypt_options *o, uint8_t *header,
                      size_t hlen)
{
    if (o->flags & FIIE_ENCRYPT_FIXED_NONCE)
        memcpy(info->nonce, o->nonce, FIIE_NONCE_BYTES);
    else
        randombytes_buf(info->nonce, FIIE_NONCE_BYTES);
    subkeys s;
    int rc = subkeys_derive(&s, k, info->nonce);
    if (rc == FIIE_OK) {
        cipher_v1 v1;
        cipher_v1_mac st;
        size_t alen = hlen - FIIE_TAG_BYTES;
        format_header_write(header, info, m);
        cipher_v1_init(&v1, s.ae, info->nonce);
        cipher_v1_mac_begin(&v1, &st, header, alen);
        pl->lm = &s.lm;
        pl->v1 = &v1;
        pl->mac = pl->parts == 1 ? &st : NULL;
        pipeline_run(pl, o->threads);
        if (!pl->mac)
            pipeline_mac(pl, &st);
        cipher_v1_mac_end(&st, alen, pl->len, header + alen);
        cipher_v1_wipe(&v1);
    }
    subkeys_wipe(&s);
    return rc;
}

int cipher_encrypt_lm_impl(const cipher_lm_impl *impl, const fiie_key *k, fiie_image *img,
                         const fiie_mask *m, const fiie_encrypt_options *o, uint8_t *header,
                         size_t cap, size_t *header_len)
{
    if (header_len)
        *header_len = 0;
    if (!img || !m || !header_len)
        return FIIE_E_INVALID_ARGUMENT;
    fiie_encrypt_options def;
    if (!o) {
        fiie_encrypt_options_init(&def);
        o = &def;
    }
    int rc = encrypt_options_check(o, k);
    if (rc != FIIE_OK)
        return rc;
    size_t ch;
    rc = image_check(img, &ch);
    if (rc != FIIE_OK)
        return rc;
    if (fiie_mask_width(m) != img->width || fiie_mask_height(m) != img->height)
        return FIIE_E_MISMATCH;
    size_t nreg = fiie_mask_region_count(m);
    if (nreg == 0)
        return FIIE_E_EMPTY_MASK;

    fiie_header_info info;
    header_info_fill(&info, o, k, img, ch, nreg);
    size_t hlen = fiie_header_size((int)info.alg, nreg, info.kdf != 0);
    *header_len = hlen;
    if (!header || cap < hlen)
        return FIIE_E_BUFFER_TOO_SMALL;
    if (sodium_init() < 0)
        return FIIE_E_CRYPTO;

    int paper = o->alg == FIIE_ALG_PAPER;
    pipeline pl;
    rc = pipeline_init(&pl, img, m, paper ? 1 : o->threads, paper ? NULL : impl);
    if (rc != FIIE_OK)
        return rc;
    if (pl.len == 0) {
        rc = FIIE_E_EMPTY_MASK;
    } else if (paper) {
        format_header_write(header, &info, m);
        pipeline_run_paper(&pl, o->paper_x0, o->paper_mu);
    } else {
        rc = encrypt_v1(&pl, k, &info, m, o, header, hlen);
    }
    pipeline_release(&pl);
    return rc;
}

int fiie_encrypt(const fiie_key *k, fiie_image *img, const fiie_mask *m,
                 const fiie_encrypt_options *o, uint8_t *header, size_t cap,
                 size_t *header_len)
{
    return cipher_encrypt_lm_impl(cipher_lm_impl_best(), k, img, m, o, header, cap, header_len);
}

int cipher_decrypt_lm_impl(const cipher_lm_impl *impl, const fiie_key *k, fiie_image *img,
                         const uint8_t *header, size_t len, const fiie_decrypt_options *o)
{
    return cipher_decrypt_hooked(impl, k, img, header, len, o, NULL, NULL);
}

/* Algorithm 1: the tag over header and ciphertext is checked before a
 * single pixel is written; then the pixels are decrypted. `between`
 * (tests only) runs between the two passes. */
static int decrypt_v1(pipeline *pl, const fiie_key *k, const uint8_t nonce[FIIE_NONCE_BYTES],
                      const uint8_t *header, size_t len, unsigned threads,
                      void (*between)(void *arg), void *arg)
{
    subkeys s;
    int rc = subkeys_derive(&s, k, nonce);
    if (rc == FIIE_OK) {
        cipher_v1 v1;
        cipher_v1_mac st;
        uint8_t tag[FIIE_TAG_BYTES];
        size_t alen = len - FIIE_TAG_BYTES;
        cipher_v1_init(&v1, s.ae, nonce);
        cipher_v1_mac_begin(&v1, &st, header, alen);
        rc = seals_init(pl);
        if (rc == FIIE_OK) {
            pipeline_mac(pl, &st);
            cipher_v1_mac_end(&st, alen, pl->len, tag);
            if (crypto_verify_16(tag, header + alen) != 0)
                rc = FIIE_E_AUTH;
        }
        if (rc == FIIE_OK) {
            if (between)
                between(arg); /* tests: the pixels change between the passes */
            pl->lm = &s.lm;
            pl->v1 = &v1;
            pipeline_run(pl, threads);
            for (unsigned t = 0; t < pl->parts; t++)
                if (pl->w[t].changed)
                    rc = FIIE_E_AUTH; /* changed after the tag pass */
        }
        cipher_v1_wipe(&v1);
    }
    subkeys_wipe(&s);
    return rc;
}

int cipher_decrypt_hooked(const cipher_lm_impl *impl, const fiie_key *k, fiie_image *img,
                          const uint8_t *header, size_t len, const fiie_decrypt_options *o,
                          void (*between)(void *arg), void *arg)
{
    if (!img || !header)
        return FIIE_E_INVALID_ARGUMENT;
    fiie_decrypt_options def;
    if (!o) {
        fiie_decrypt_options_init(&def);
        o = &def;
    }
    int rc = common_options_check(o->abi_version, o->reserved, sizeof o->reserved);
    if (rc != FIIE_OK)
        return rc;
    size_t ch;
    rc = image_check(img, &ch);
    if (rc != FIIE_OK)
        return rc;
    fiie_header_info info;
    rc = fiie_header_parse(&info, header, len);
    if (rc != FIIE_OK)
        return rc;
    /* The caller's arguments say which algorithm it expects: a key means
     * algorithm 1 only, no key and a paper key means algorithm 0 only. A
     * header of the other algorithm is refused, so rewriting a v1 header
     * as algorithm 0 cannot turn off authentication (a downgrade). */
    int paper = !k;
    int paper_given = o->paper_x0 != 0.0 || o->paper_mu != 0.0;
    if (paper ? !cipher_paper_key_valid(o->paper_x0, o->paper_mu) : paper_given)
        return FIIE_E_INVALID_ARGUMENT;
    if (info.width != img->width || info.height != img->height || info.channels != ch ||
        info.alg != (paper ? FIIE_ALG_PAPER : FIIE_ALG_V1))
        return FIIE_E_MISMATCH;
    if (sodium_init() < 0)
        return FIIE_E_CRYPTO;

    fiie_mask *m;
    rc = fiie_mask_from_header(&m, header, len);
    if (rc != FIIE_OK)
        return rc;
    pipeline pl;
    rc = pipeline_init(&pl, img, m, paper ? 1 : o->threads, paper ? NULL : impl);
    if (rc == FIIE_OK) {
        pl.decrypt = 1;
        if (paper)
            pipeline_run_paper(&pl, o->paper_x0, o->paper_mu);
        else
            rc = decrypt_v1(&pl, k, info.nonce, header, len, o->threads, between, arg);
        pipeline_release(&pl);
    }
    fiie_mask_free(m);
    return rc;
}

int fiie_decrypt(const fiie_key *k, fiie_image *img, const uint8_t *header, size_t len,
                 const fiie_decrypt_options *o)
{
    return cipher_decrypt_lm_impl(cipher_lm_impl_best(), k, img, header, len, o);
}
