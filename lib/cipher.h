/* Internal side of the cipher: subkey derivation (format section 1),
 * exposed for the known-answer tests. */
#ifndef FIIE_LIB_CIPHER_H
#define FIIE_LIB_CIPHER_H

#include <stdint.h>

#include "fiie/cipher.h"
#include "logistic.h"

/* k_lm = BLAKE2b-256(key, "FIIE1 lm" || nonce), k_ae likewise with "ae". */
void fiie_derive_subkeys(const uint8_t key[FIIE_KEY_BYTES],
                         const uint8_t nonce[FIIE_NONCE_BYTES], uint8_t k_lm[32],
                         uint8_t k_ae[32]);

/* fiie_encrypt() / fiie_decrypt() with a given Logistic kernel set
 * (tests compare the kernels through the whole pipeline). */
int fiie_encrypt_lm_impl(const fiie_lm_impl *impl, const fiie_key *k, fiie_image *img,
                         const fiie_mask *m, const fiie_encrypt_options *o, uint8_t *header,
                         size_t cap, size_t *header_len);
int fiie_decrypt_lm_impl(const fiie_lm_impl *impl, const fiie_key *k, fiie_image *img,
                         const uint8_t *header, size_t len, const fiie_decrypt_options *o);

#endif /* FIIE_LIB_CIPHER_H */
