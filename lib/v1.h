/* Algorithm 1 on a region-stream buffer (format section 4):
 * P' = P xor L, then XChaCha20-Poly1305-IETF (detached) of P' with the
 * header as associated data. The AEAD is assembled from libsodium's
 * HChaCha20, ChaCha20-IETF and Poly1305 primitives, byte for byte the
 * construction of crypto_aead_xchacha20poly1305_ietf_*, so that both
 * layers can run chunk by chunk while the chunk is in cache, and the
 * stream ciphers can run on several threads. */
#ifndef FIIE_LIB_V1_H
#define FIIE_LIB_V1_H

#include <stddef.h>
#include <stdint.h>

#include "logistic.h"

/* Work unit that stays in L2 cache; divides FIIE_LM_BLOCK, multiple of 64. */
#define FIIE_V1_CHUNK 65536u

/* Encrypt buf in place and write the tag. 0 or FIIE_E_TOO_LARGE. */
int fiie_v1_seal(const fiie_lm *lm, const uint8_t k_ae[32], const uint8_t nonce[24],
                 uint8_t *buf, size_t len, const uint8_t *ad, size_t alen, uint8_t tag[16],
                 unsigned threads);

/* Check the tag and decrypt buf in place: 0, FIIE_E_AUTH (buf then holds
 * garbage the caller must discard) or FIIE_E_TOO_LARGE. */
int fiie_v1_open(const fiie_lm *lm, const uint8_t k_ae[32], const uint8_t nonce[24],
                 uint8_t *buf, size_t len, const uint8_t *ad, size_t alen,
                 const uint8_t tag[16], unsigned threads);

#endif /* FIIE_LIB_V1_H */
