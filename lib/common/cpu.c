/* The one CPU feature probe of the library. SIMD kernels are chosen at
 * run time from these bits, never by build flags (docs/architecture.md). */
#include "common/common.h"

#if defined(__x86_64__) || defined(__i386__)
static unsigned probe(void)
{
    __builtin_cpu_init();
    unsigned f = 0;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        f |= COMMON_CPU_AVX2_FMA;
    if (__builtin_cpu_supports("avx512f"))
        f |= COMMON_CPU_AVX512F;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512ifma") &&
        __builtin_cpu_supports("avx512vbmi"))
        f |= COMMON_CPU_AVX512_IFMA_VBMI;
    return f;
}
#else
static unsigned probe(void)
{
    return 0;
}
#endif

int common_cpu_has(unsigned features)
{
    return (probe() & features) == features;
}
