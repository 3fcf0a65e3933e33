/* The SIMD kernel tables of the library and the CPU features each needs,
 * listed once for tests/checkasm.c (every kernel against the portable one)
 * and for the tests that run a whole pipeline on each kernel set. A table
 * this build lacks (no FIIE_HAVE_* for it) is listed with a NULL table so
 * that a report can say "not built" instead of leaving it out. White-box:
 * needs the internal archive (fiie_internal_dep). */
#ifndef FIIE_TESTS_KERNEL_VARIANTS_H
#define FIIE_TESTS_KERNEL_VARIANTS_H

#include <stddef.h>

#include "cipher/logistic.h"
#include "common/common.h"
#include "detect/nn.h"

typedef struct kernel_variant {
    const char *name;
    const void *table;    /* detect_nn_kernels or cipher_lm_impl; NULL: not built */
    unsigned cpu;         /* common_cpu_has() bits it needs */
    const char *cpu_name; /* those features, for reports */
} kernel_variant;

#define KERNEL_VARIANTS_MAX 2

/* The nn kernel tables other than detect_nn_kernels_portable. */
static inline size_t nn_simd_variants(kernel_variant out[KERNEL_VARIANTS_MAX])
{
    const void *avx2 = NULL, *avx512 = NULL;
#ifdef FIIE_HAVE_AVX2
    avx2 = &detect_nn_kernels_avx2;
    avx512 = &detect_nn_kernels_avx512;
#endif
    out[0] = (kernel_variant){"avx2", avx2, COMMON_CPU_AVX2_FMA, "AVX2+FMA"};
    out[1] = (kernel_variant){"avx512", avx512, COMMON_CPU_AVX2_FMA | COMMON_CPU_AVX512F,
                              "AVX2+FMA+AVX-512F"};
    return 2;
}

/* The Logistic kernel sets other than cipher_lm_impl_portable. */
static inline size_t lm_simd_variants(kernel_variant out[KERNEL_VARIANTS_MAX])
{
    const void *avx512 = NULL, *avx512_only = NULL;
#ifdef FIIE_HAVE_LM_AVX512
    avx512 = &cipher_lm_impl_avx512;
    avx512_only = &cipher_lm_impl_avx512_only;
#endif
    out[0] = (kernel_variant){"avx512", avx512, COMMON_CPU_AVX512_IFMA_VBMI,
                              "AVX-512F+IFMA+VBMI"};
    out[1] = (kernel_variant){"avx512-only", avx512_only, COMMON_CPU_AVX512_IFMA_VBMI,
                              "AVX-512F+IFMA+VBMI"};
    return 2;
}

/* Built, and this CPU runs it. */
static inline int kernel_variant_runs(const kernel_variant *v)
{
    return v->table != NULL && common_cpu_has(v->cpu);
}

/* The Logistic kernel sets this CPU runs, the portable one first. */
static inline size_t lm_impls_runnable(const cipher_lm_impl *out[1 + KERNEL_VARIANTS_MAX])
{
    kernel_variant v[KERNEL_VARIANTS_MAX];
    size_t n = 0, nv = lm_simd_variants(v);
    out[n++] = &cipher_lm_impl_portable;
    for (size_t i = 0; i < nv; i++)
        if (kernel_variant_runs(&v[i]))
            out[n++] = v[i].table;
    return n;
}

#endif /* FIIE_TESTS_KERNEL_VARIANTS_H */
