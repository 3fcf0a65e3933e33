/* Internal side of the cipher: subkey derivation (format section 1),
 * exposed for the known-answer tests. */
#ifndef FIIE_LIB_CIPHER_H
#define FIIE_LIB_CIPHER_H

#include <stdint.h>

#include "fiie/cipher.h"

/* k_lm = BLAKE2b-256(key, "FIIE1 lm" || nonce), k_ae likewise with "ae". */
void fiie_derive_subkeys(const uint8_t key[FIIE_KEY_BYTES],
                         const uint8_t nonce[FIIE_NONCE_BYTES], uint8_t k_lm[32],
                         uint8_t k_ae[32]);

#endif /* FIIE_LIB_CIPHER_H */
