/* AVX-512 Logistic kernel: the eight lanes of a block in one zmm, up to
 * CIPHER_LM_MAX_CHAINS blocks interleaved. One block alone is latency-bound
 * (a step is a chain of ~20 dependent multiplies, shifts and adds), so it
 * is slower than the scalar code; independent blocks fill those cycles.
 * Built with -mavx512f -mavx512ifma -mavx512vbmi and called only when
 * common_cpu_has(COMMON_CPU_AVX512_IFMA_VBMI) says so. Integer-only and bit-exact with
 * cipher_lm_f(): every intermediate sum below is < 2^64. */
#include <immintrin.h>

#include "cipher/logistic.h"

static inline __m512i lm_f8(__m512i x, __m512i q0, __m512i q1)
{
    const __m512i m32 = _mm512_set1_epi64(0xffffffff);
    const __m512i m52 = _mm512_set1_epi64((INT64_C(1) << 52) - 1);
    const __m512i one = _mm512_set1_epi64(1), zero = _mm512_setzero_si512();
    /* t = floor(x (2^64 - x) / 2^64) = x - ceil(x^2 / 2^64), and x^2 is a
     * multiple of 2^64 exactly when the low 32 bits of x are zero. With
     * x = xh 2^32 + xl: floor(x^2 / 2^64)
     *   = xh^2 + ((xh xl + (xl^2 >> 33)) >> 31), all sums < 2^64. */
    __m512i xh = _mm512_srli_epi64(x, 32);
    __m512i m = _mm512_add_epi64(_mm512_mul_epu32(xh, x),
                                 _mm512_srli_epi64(_mm512_mul_epu32(x, x), 33));
    __m512i hi = _mm512_add_epi64(_mm512_mul_epu32(xh, xh), _mm512_srli_epi64(m, 31));
    __m512i t = _mm512_sub_epi64(x, hi);
    t = _mm512_mask_sub_epi64(t, _mm512_test_epi64_mask(x, m32), t, one);
    /* (q t) >> 62 in 52-bit limbs (IFMA): q = q1 2^52 + q0, t = t1 2^52 + t0
     * with t <= 2^62. q t = B 2^104 + A 2^52 + C, C < 2^52, where
     * A = hi(q0 t0) + lo(q1 t0) + lo(q0 t1), B = hi(q1 t0) + hi(q0 t1)
     * + lo(q1 t1) (lo/hi: the low/high 52 bits of a 104-bit product);
     * so (q t) >> 62 = B 2^42 + (A >> 10), exact since it fits 64 bits. */
    __m512i t0 = _mm512_and_si512(t, m52), t1 = _mm512_srli_epi64(t, 52);
    __m512i a = _mm512_madd52hi_epu64(zero, q0, t0);
    __m512i b = _mm512_madd52hi_epu64(zero, q1, t0);
    a = _mm512_madd52lo_epu64(a, q1, t0);
    b = _mm512_madd52hi_epu64(b, q0, t1);
    a = _mm512_madd52lo_epu64(a, q0, t1);
    b = _mm512_madd52lo_epu64(b, q1, t1);
    return _mm512_add_epi64(_mm512_slli_epi64(b, 42), _mm512_srli_epi64(a, 10));
}

static inline void xor8(uint8_t *p, __m512i x)
{
    __m128i b = _mm512_cvtepi64_epi8(_mm512_srli_epi64(x, 24));
    _mm_storel_epi64((__m128i *)(void *)p,
                     _mm_xor_si128(_mm_loadl_epi64((const __m128i *)(const void *)p), b));
}

/* nb is a constant in each caller, so the chains stay in registers. */
static inline __attribute__((always_inline)) void
lm_run(const uint64_t q[CIPHER_LM_LANES], uint64_t *x, uint8_t *const *buf, size_t steps,
       const int nb)
{
    const __m512i vq = _mm512_loadu_si512(q);
    const __m512i vq0 = _mm512_and_si512(vq, _mm512_set1_epi64((INT64_C(1) << 52) - 1));
    const __m512i vq1 = _mm512_srli_epi64(vq, 52);
    __m512i v[CIPHER_LM_MAX_CHAINS];
    for (int c = 0; c < nb; c++)
        v[c] = _mm512_loadu_si512(x + CIPHER_LM_LANES * c);
    if (buf) {
        uint8_t *b[CIPHER_LM_MAX_CHAINS];
        for (int c = 0; c < nb; c++)
            b[c] = buf[c];
        /* Byte 3 of each lane of two consecutive steps: one vpermt2b. */
        const __m512i pick = _mm512_setr_epi64(INT64_C(0x3b332b231b130b03),
                                               INT64_C(0x7b736b635b534b43), 0, 0, 0, 0, 0, 0);
        size_t s = 0;
        for (; s + 2 <= steps; s += 2)
            for (int c = 0; c < nb; c++) {
                __m512i a = lm_f8(v[c], vq0, vq1);
                v[c] = lm_f8(a, vq0, vq1);
                __m128i k = _mm512_castsi512_si128(_mm512_permutex2var_epi8(a, pick, v[c]));
                __m128i *p = (__m128i *)(void *)(b[c] + 8 * s);
                _mm_storeu_si128(p, _mm_xor_si128(_mm_loadu_si128(p), k));
            }
        for (; s < steps; s++)
            for (int c = 0; c < nb; c++) {
                v[c] = lm_f8(v[c], vq0, vq1);
                xor8(b[c] + 8 * s, v[c]);
            }
    } else {
        for (size_t s = 0; s < steps; s++)
            for (int c = 0; c < nb; c++)
                v[c] = lm_f8(v[c], vq0, vq1);
    }
    for (int c = 0; c < nb; c++) {
        _mm512_storeu_si512(x + CIPHER_LM_LANES * c, v[c]);
        v[c] = _mm512_setzero_si512();
    }
}

void cipher_lm_run_avx512(const uint64_t q[CIPHER_LM_LANES], uint64_t *x, unsigned nb,
                        uint8_t *const *buf, size_t steps)
{
    switch (nb) {
    case 1: lm_run(q, x, buf, steps, 1); break;
    case 2: lm_run(q, x, buf, steps, 2); break;
    case 3: lm_run(q, x, buf, steps, 3); break;
    default: lm_run(q, x, buf, steps, 4); break;
    }
}
