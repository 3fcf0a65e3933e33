/* Paper-mode keystream (format section 5). This is the one place where
 * floating point reaches ciphertext, so the arithmetic must be plain
 * IEEE binary64: no FMA contraction (-ffp-contract=off project-wide), no
 * fast-math, no excess precision. */
#include <math.h>

#include "cipher/cipher.h"

#if defined(__FAST_MATH__)
#error "paper.c must not be built with -ffast-math: the paper keystream needs exact IEEE arithmetic"
#endif

int cipher_paper_key_valid(double x0, double mu)
{
    return x0 > 0.0 && x0 < 1.0 && mu >= 3.57 && mu <= 4.0;
}

static double step(double x, double mu)
{
    /* x = (mu * x) * (1.0 - x). Each intermediate is assigned to a double,
     * which ISO C requires to round to binary64 even on x87 targets with
     * excess precision (gcc's -fexcess-precision=standard in C11 mode). */
    double a = mu * x;
    double b = 1.0 - x;
    double r = a * b;
    return r;
}

double cipher_paper_start(double x0, double mu)
{
    double x = x0;
    for (int i = 0; i < CIPHER_PAPER_DISCARD; i++)
        x = step(x, mu);
    return x;
}

void cipher_paper_stream_xor(double *xp, double mu, uint8_t *buf, size_t len)
{
    double x = *xp;
    for (size_t n = 0; n < len; n++) {
        x = step(x, mu);
        double s = x * 1e14;
        buf[n] ^= (uint8_t)((uint64_t)floor(s) & 0xFFu);
    }
    *xp = x;
}

void cipher_paper_xor(double x0, double mu, uint8_t *buf, size_t len)
{
    double x = cipher_paper_start(x0, mu);
    cipher_paper_stream_xor(&x, mu, buf, len);
}
