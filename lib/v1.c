/* Algorithm-1 pipeline (see v1.h). */
#include <string.h>

#include <sodium.h>

#include "fiie/common.h"
#include "parallel.h"
#include "v1.h"

typedef struct v1 {
    const fiie_lm *lm;
    uint8_t key[32];  /* HChaCha20(k_ae, nonce[0..16]) */
    uint8_t n2[12];   /* 0^4 || nonce[16..24] */
    uint8_t *buf;
    size_t len;
    int decrypt;
    crypto_onetimeauth_poly1305_state *mac; /* fused MAC, or NULL */
} v1;

static void v1_init(v1 *c, const fiie_lm *lm, const uint8_t k_ae[32], const uint8_t nonce[24],
                    uint8_t *buf, size_t len, int decrypt)
{
    c->lm = lm;
    crypto_core_hchacha20(c->key, nonce, k_ae, NULL);
    memset(c->n2, 0, 4);
    memcpy(c->n2 + 4, nonce + 16, 8);
    c->buf = buf;
    c->len = len;
    c->decrypt = decrypt;
    c->mac = NULL;
}

static void store64_le(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static const uint8_t zeros[16];

/* Poly1305 key from ChaCha20 block 0, then the AD and its padding. */
static void mac_begin(const v1 *c, crypto_onetimeauth_poly1305_state *st, const uint8_t *ad,
                      size_t alen)
{
    uint8_t block0[64] = {0};
    crypto_stream_chacha20_ietf(block0, sizeof block0, c->n2, c->key);
    crypto_onetimeauth_poly1305_init(st, block0);
    sodium_memzero(block0, sizeof block0);
    crypto_onetimeauth_poly1305_update(st, ad, alen);
    crypto_onetimeauth_poly1305_update(st, zeros, (16 - alen % 16) % 16);
}

static void mac_end(const v1 *c, crypto_onetimeauth_poly1305_state *st, size_t alen,
                    uint8_t tag[16])
{
    uint8_t lens[16];
    crypto_onetimeauth_poly1305_update(st, zeros, (16 - c->len % 16) % 16);
    store64_le(lens, (uint64_t)alen);
    store64_le(lens + 8, (uint64_t)c->len);
    crypto_onetimeauth_poly1305_update(st, lens, sizeof lens);
    crypto_onetimeauth_poly1305_final(st, tag);
}

/* Both stream layers (and the fused MAC) over blocks [first, last). */
static void run_blocks(void *arg, uint64_t first, uint64_t last)
{
    const v1 *c = arg;
    fiie_lm_pos pos;
    for (uint64_t j = first; j < last; j++) {
        size_t start = (size_t)j * FIIE_LM_BLOCK;
        size_t end = c->len - start < FIIE_LM_BLOCK ? c->len : start + FIIE_LM_BLOCK;
        fiie_lm_block_start(c->lm, j, &pos);
        for (size_t off = start; off < end; off += FIIE_V1_CHUNK) {
            size_t n = end - off < FIIE_V1_CHUNK ? end - off : FIIE_V1_CHUNK;
            uint8_t *p = c->buf + off;
            /* ChaCha20 block 0 keys Poly1305; the message starts at 1. */
            uint32_t ic = (uint32_t)(1 + off / 64);
            if (c->decrypt) {
                if (c->mac)
                    crypto_onetimeauth_poly1305_update(c->mac, p, n);
                crypto_stream_chacha20_ietf_xor_ic(p, p, n, c->n2, ic, c->key);
                fiie_lm_block_xor(c->lm, &pos, p, n);
            } else {
                fiie_lm_block_xor(c->lm, &pos, p, n);
                crypto_stream_chacha20_ietf_xor_ic(p, p, n, c->n2, ic, c->key);
                if (c->mac)
                    crypto_onetimeauth_poly1305_update(c->mac, p, n);
            }
        }
    }
    sodium_memzero(&pos, sizeof pos);
}

static uint64_t blocks_of(size_t len)
{
    return (len + FIIE_LM_BLOCK - 1) / FIIE_LM_BLOCK;
}

/* The 32-bit ChaCha20 counter bounds a message to 2^32 - 1 blocks. */
static int len_ok(size_t len)
{
    return (uint64_t)len / 64 < UINT32_MAX - 1;
}

int fiie_v1_seal(const fiie_lm *lm, const uint8_t k_ae[32], const uint8_t nonce[24],
                 uint8_t *buf, size_t len, const uint8_t *ad, size_t alen, uint8_t tag[16],
                 unsigned threads)
{
    if (!len_ok(len))
        return FIIE_E_TOO_LARGE;
    v1 c;
    crypto_onetimeauth_poly1305_state st;
    v1_init(&c, lm, k_ae, nonce, buf, len, 0);
    mac_begin(&c, &st, ad, alen);
    if (threads <= 1 || blocks_of(len) <= 1) {
        c.mac = &st;
        run_blocks(&c, 0, blocks_of(len));
    } else {
        fiie_parallel_for(blocks_of(len), threads, run_blocks, &c);
        crypto_onetimeauth_poly1305_update(&st, buf, len);
    }
    mac_end(&c, &st, alen, tag);
    sodium_memzero(&c, sizeof c);
    sodium_memzero(&st, sizeof st);
    return FIIE_OK;
}

int fiie_v1_open(const fiie_lm *lm, const uint8_t k_ae[32], const uint8_t nonce[24],
                 uint8_t *buf, size_t len, const uint8_t *ad, size_t alen,
                 const uint8_t tag[16], unsigned threads)
{
    if (!len_ok(len))
        return FIIE_E_TOO_LARGE;
    v1 c;
    crypto_onetimeauth_poly1305_state st;
    uint8_t mine[16];
    v1_init(&c, lm, k_ae, nonce, buf, len, 1);
    mac_begin(&c, &st, ad, alen);
    int rc = FIIE_OK;
    if (threads <= 1 || blocks_of(len) <= 1) {
        /* Fused: the plaintext only ever exists in the caller's private
         * buffer, which is discarded when the tag turns out wrong. */
        c.mac = &st;
        run_blocks(&c, 0, blocks_of(len));
        mac_end(&c, &st, alen, mine);
        if (crypto_verify_16(mine, tag) != 0)
            rc = FIIE_E_AUTH;
    } else {
        /* Verify first, then decrypt in parallel. */
        crypto_onetimeauth_poly1305_update(&st, buf, len);
        mac_end(&c, &st, alen, mine);
        if (crypto_verify_16(mine, tag) != 0)
            rc = FIIE_E_AUTH;
        else
            fiie_parallel_for(blocks_of(len), threads, run_blocks, &c);
    }
    sodium_memzero(&c, sizeof c);
    sodium_memzero(&st, sizeof st);
    sodium_memzero(mine, sizeof mine);
    return rc;
}
