/* Algorithm 1 building blocks (format section 4): the XChaCha20-Poly1305
 * IETF construction assembled from libsodium's HChaCha20, ChaCha20-IETF
 * and Poly1305 primitives, byte for byte what
 * crypto_aead_xchacha20poly1305_ietf_*_detached compute, but usable piece
 * by piece (while a piece is in cache, between the Logistic layer and the
 * scatter into the image) and on several threads. */
#ifndef FIIE_LIB_V1_H
#define FIIE_LIB_V1_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

typedef struct fiie_v1 {
    uint8_t key[32];  /* HChaCha20(k_ae, nonce[0..16]) */
    uint8_t n2[12];   /* 0^4 || nonce[16..24] */
} fiie_v1;

typedef crypto_onetimeauth_poly1305_state fiie_v1_mac;

void fiie_v1_init(fiie_v1 *c, const uint8_t k_ae[32], const uint8_t nonce[24]);
void fiie_v1_wipe(fiie_v1 *c);

/* 1 when a message of len bytes fits the 32-bit ChaCha20 block counter. */
int fiie_v1_len_ok(uint64_t len);

/* Poly1305 keyed by ChaCha20 block 0, over ad and its padding. */
void fiie_v1_mac_begin(const fiie_v1 *c, fiie_v1_mac *st, const uint8_t *ad, size_t alen);
/* Ciphertext pieces, in order. */
void fiie_v1_mac_update(fiie_v1_mac *st, const uint8_t *p, size_t n);
/* Padding, lengths, tag; wipes the state. */
void fiie_v1_mac_end(fiie_v1_mac *st, size_t alen, uint64_t mlen, uint8_t tag[16]);

/* XOR ChaCha20 (message blocks start at counter 1) into the n bytes at
 * stream offset off, a multiple of 64. */
void fiie_v1_chacha(const fiie_v1 *c, uint8_t *p, size_t n, uint64_t off);

#endif /* FIIE_LIB_V1_H */
