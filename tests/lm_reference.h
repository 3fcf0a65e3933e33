/* Test-only reference of the Logistic keystream L (format section 3),
 * written straight from the format's text: one lane at a time, one byte
 * at a time, crossing block boundaries by itself. The library's portable
 * grouped kernel is checked against it mid-stream (test_cipher; checkasm
 * checks the SIMD kernels against the portable one); it is deliberately
 * slow and shares nothing with them but the map step cipher_lm_f() and the
 * seed hash cipher_lm_h8(). */
#ifndef FIIE_TESTS_LM_REFERENCE_H
#define FIIE_TESTS_LM_REFERENCE_H

#include <stdint.h>
#include <string.h>

#include "cipher/logistic.h"

typedef struct lm_ref_stream {
    uint64_t j;    /* current block */
    size_t used;   /* bytes of it already produced */
    uint64_t x[CIPHER_LM_LANES];
} lm_ref_stream;

/* Seed lane l of block j, then run the warm-up steps. */
static inline void lm_ref_block_start(const cipher_lm *lm, lm_ref_stream *s, uint64_t j)
{
    s->j = j;
    s->used = 0;
    for (int l = 0; l < CIPHER_LM_LANES; l++) {
        const uint8_t msg[9] = {'s', 'e', 'e', 'd', (uint8_t)j, (uint8_t)(j >> 8),
                                (uint8_t)(j >> 16), (uint8_t)(j >> 24), (uint8_t)l};
        s->x[l] = cipher_lm_h8(lm->k_lm, msg, sizeof msg) | 1u;
        for (int i = 0; i < CIPHER_LM_WARMUP; i++)
            s->x[l] = cipher_lm_f(s->x[l], lm->q[l]);
    }
}

/* XOR the next len bytes of L into buf: byte i of a block comes from lane
 * i % 8 after its (i / 8 + 1)-th step, bits 24..31. */
static inline void lm_ref_stream_xor(const cipher_lm *lm, lm_ref_stream *s, uint8_t *buf,
                                     size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s->used == CIPHER_LM_BLOCK)
            lm_ref_block_start(lm, s, s->j + 1);
        const size_t l = s->used % CIPHER_LM_LANES;
        s->x[l] = cipher_lm_f(s->x[l], lm->q[l]);
        buf[i] ^= (uint8_t)(s->x[l] >> 24);
        s->used++;
    }
}

#endif /* FIIE_TESTS_LM_REFERENCE_H */
