#include "stats.h"

#include <math.h>
#include <string.h>

static int selected(const stats_plane *p, uint32_t x, uint32_t y)
{
    return !p->mask || p->mask[(size_t)y * p->mask_stride + x];
}

static unsigned sample(const stats_plane *p, uint32_t x, uint32_t y)
{
    return p->data[(size_t)y * p->stride + (size_t)x * p->pixel_bytes + p->channel];
}

uint64_t stats_histogram(const stats_plane *p, uint64_t hist[256])
{
    memset(hist, 0, 256 * sizeof hist[0]);
    uint64_t n = 0;
    for (uint32_t y = 0; y < p->height; y++)
        for (uint32_t x = 0; x < p->width; x++)
            if (selected(p, x, y)) {
                hist[sample(p, x, y)]++;
                n++;
            }
    return n;
}

double stats_entropy(const uint64_t hist[256])
{
    uint64_t n = 0;
    for (int i = 0; i < 256; i++)
        n += hist[i];
    if (n == 0)
        return 0.0;
    double h = 0.0;
    for (int i = 0; i < 256; i++)
        if (hist[i]) {
            double q = (double)hist[i] / (double)n;
            h -= q * log2(q);
        }
    return h;
}

/* E[H] = 256 * sum_c P(Bin(n, 1/256) = c) * (c/n) * log2(n/c). The terms
 * are summed outward from the mode until they no longer matter, with the
 * binomial probabilities in log space (lgamma) so that n may be large. */
double stats_entropy_ideal(uint64_t n)
{
    if (n <= 1)
        return 0.0;
    const double p = 1.0 / 256.0, lp = log(p), lq = log1p(-p);
    double dn = (double)n;
    double lgn1 = lgamma(dn + 1.0);
    uint64_t mode = (uint64_t)floor((dn + 1.0) * p);
    if (mode < 1)
        mode = 1;
    if (mode > n)
        mode = n;
    double sum = 0.0;
    /* The pmf decreases monotonically away from the mode on both sides. */
    for (int side = 0; side < 2; side++) {
        for (uint64_t c = side == 0 ? mode : mode - 1; c >= 1 && c <= n; c = side == 0 ? c + 1 : c - 1) {
            double dc = (double)c;
            double pmf = exp(lgn1 - lgamma(dc + 1.0) - lgamma(dn - dc + 1.0) + dc * lp + (dn - dc) * lq);
            sum += pmf * (dc / dn) * log2(dn / dc);
            if (pmf < 1e-20)
                break;
        }
    }
    return 256.0 * sum;
}

double stats_chi_square(const uint64_t hist[256])
{
    uint64_t n = 0;
    for (int i = 0; i < 256; i++)
        n += hist[i];
    if (n == 0)
        return NAN;
    double e = (double)n / 256.0, chi = 0.0;
    for (int i = 0; i < 256; i++) {
        double d = (double)hist[i] - e;
        chi += d * d / e;
    }
    return chi;
}

double stats_chi_square_critical(double df, double alpha)
{
    double z = stats_norm_quantile(1.0 - alpha);
    double a = 2.0 / (9.0 * df);
    double t = 1.0 - a + z * sqrt(a);
    return df * t * t * t;
}

double stats_correlation(const stats_plane *p, int dir, uint64_t *pairs)
{
    uint32_t dx = dir == STATS_DIR_V ? 0 : 1, dy = dir == STATS_DIR_H ? 0 : 1;
    double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    uint64_t n = 0;
    if (p->width > dx && p->height > dy)
        for (uint32_t y = 0; y + dy < p->height; y++)
            for (uint32_t x = 0; x + dx < p->width; x++) {
                if (!selected(p, x, y) || !selected(p, x + dx, y + dy))
                    continue;
                double a = sample(p, x, y), b = sample(p, x + dx, y + dy);
                sx += a;
                sy += b;
                sxx += a * a;
                syy += b * b;
                sxy += a * b;
                n++;
            }
    if (pairs)
        *pairs = n;
    if (n < 2)
        return NAN;
    double dn = (double)n;
    double cov = sxy - sx * sy / dn;
    double vx = sxx - sx * sx / dn, vy = syy - sy * sy / dn;
    if (vx <= 0 || vy <= 0)
        return NAN;
    return cov / sqrt(vx * vy);
}

uint64_t stats_npcr_uaci(const stats_plane *a, const stats_plane *b, double *npcr, double *uaci)
{
    uint64_t n = 0, diff = 0, sum = 0;
    for (uint32_t y = 0; y < a->height; y++)
        for (uint32_t x = 0; x < a->width; x++) {
            if (!selected(a, x, y))
                continue;
            unsigned u = sample(a, x, y), v = sample(b, x, y);
            n++;
            diff += u != v;
            sum += u > v ? u - v : v - u;
        }
    *npcr = n ? 100.0 * (double)diff / (double)n : NAN;
    *uaci = n ? 100.0 * (double)sum / (255.0 * (double)n) : NAN;
    return n;
}

/* Acklam's rational approximation followed by one Halley step on erfc. */
double stats_norm_quantile(double p)
{
    if (!(p > 0.0 && p < 1.0))
        return NAN;
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00, 2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                               2.445134137142996e+00, 3.754408661907416e+00};
    double x, q, r;
    if (p < 0.02425) {
        q = sqrt(-2 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else if (p > 1 - 0.02425) {
        q = sqrt(-2 * log1p(-p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else {
        q = p - 0.5;
        r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    }
    double e = 0.5 * erfc(-x / sqrt(2.0)) - p;
    double u = e * sqrt(2.0 * 3.14159265358979323846) * exp(x * x / 2.0);
    return x - u / (1.0 + x * u / 2.0);
}

void stats_wu_critical(uint64_t n, double alpha, double *npcr_crit, double *uaci_lo,
                       double *uaci_hi)
{
    const double F = 255.0;
    double dn = (double)n;
    double za = stats_norm_quantile(1.0 - alpha);
    *npcr_crit = 100.0 * (F - za * sqrt(F / dn)) / (F + 1.0);
    double mu = (F + 2.0) / (3.0 * F + 3.0);
    double var = (F + 2.0) * (F * F + 2.0 * F + 3.0) / (18.0 * (F + 1.0) * (F + 1.0) * dn * F);
    double z2 = stats_norm_quantile(1.0 - alpha / 2.0);
    *uaci_lo = 100.0 * (mu - z2 * sqrt(var));
    *uaci_hi = 100.0 * (mu + z2 * sqrt(var));
}
