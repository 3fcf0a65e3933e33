/* Algorithm-1 AEAD pieces (see v1.h). */
#include <string.h>

#include "cipher/cipher.h"
#include "common/common.h"

void cipher_v1_init(cipher_v1 *c, const uint8_t k_ae[32], const uint8_t nonce[24])
{
    crypto_core_hchacha20(c->key, nonce, k_ae, NULL);
    memset(c->n2, 0, 4);
    memcpy(c->n2 + 4, nonce + 16, 8);
}

void cipher_v1_wipe(cipher_v1 *c)
{
    sodium_memzero(c, sizeof *c);
}

int cipher_v1_len_ok(uint64_t len)
{
    return len / 64 < UINT32_MAX - 1;
}

static const uint8_t zeros[16];

void cipher_v1_mac_begin(const cipher_v1 *c, cipher_v1_mac *st, const uint8_t *ad, size_t alen)
{
    uint8_t block0[64] = {0};
    crypto_stream_chacha20_ietf(block0, sizeof block0, c->n2, c->key);
    crypto_onetimeauth_poly1305_init(st, block0);
    sodium_memzero(block0, sizeof block0);
    crypto_onetimeauth_poly1305_update(st, ad, alen);
    crypto_onetimeauth_poly1305_update(st, zeros, (16 - alen % 16) % 16);
}

void cipher_v1_mac_update(cipher_v1_mac *st, const uint8_t *p, size_t n)
{
    crypto_onetimeauth_poly1305_update(st, p, n);
}

void cipher_v1_mac_end(cipher_v1_mac *st, size_t alen, uint64_t mlen, uint8_t tag[16])
{
    uint8_t lens[16];
    crypto_onetimeauth_poly1305_update(st, zeros, (size_t)((16 - mlen % 16) % 16));
    mem_store_le64(lens, (uint64_t)alen);
    mem_store_le64(lens + 8, mlen);
    crypto_onetimeauth_poly1305_update(st, lens, sizeof lens);
    crypto_onetimeauth_poly1305_final(st, tag);
    sodium_memzero(st, sizeof *st);
}

void cipher_v1_chacha(const cipher_v1 *c, uint8_t *p, size_t n, uint64_t off)
{
    crypto_stream_chacha20_ietf_xor_ic(p, p, n, c->n2, (uint32_t)(1 + off / 64), c->key);
}
