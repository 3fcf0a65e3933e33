/* Coefficients of Piotr Dollar's imResample (see resample.h). The float and
 * double variants are written out twice on purpose: the rounding of each
 * step is what makes the pyramid match the reference bit for bit. */
#include "detect/resample.h"

#include <math.h>

int detect_resample_taps(int na, int nb)
{
    return na > nb ? (na + nb - 1) / nb + 3 : 2;
}

static void add_tap(detect_resample_axis *a, int yb, int ya, float w)
{
    int n = a->ntap[yb];
    if (n < a->K) {
        a->idx[(size_t)yb * a->K + n] = ya;
        a->wt[(size_t)yb * a->K + n] = w;
        a->ntap[yb] = n + 1;
    }
}

/* Two passes over the taps (sum, then store) instead of a temporary list:
 * the number of taps is unbounded for extreme down-sampling. */
#define DOWN(NAME, T, CEIL, ONE)                                                        \
    static void NAME(detect_resample_axis *a, int na, int nb)                                        \
    {                                                                                   \
        const T s = (T)nb / (T)na, sinv = ONE / s, wt0 = (T)1e-3 * s;                   \
        for (int yb = 0; yb < nb; yb++) {                                               \
            const T a0f = (T)yb * sinv, a1f = a0f + sinv;                               \
            const int a0 = (int)CEIL(a0f), a1 = (int)a1f;                               \
            const size_t first = (size_t)yb * a->K;                                     \
            T sum = 0;                                                                  \
            for (int pass = 0; pass < 2; pass++) {                                      \
                int n = 0;                                                              \
                for (int ya = a0 - 1; ya <= a1; ya++) {                                 \
                    T wt = ya == a0 - 1 ? ((T)a0 - a0f) * s                             \
                           : ya == a1   ? (a1f - (T)a1) * s                             \
                                        : s;                                            \
                    if (!(wt > wt0 && ya >= 0 && ya < na && n < a->K))                  \
                        continue;                                                       \
                    if (pass == 0) {                                                    \
                        sum += wt;                                                      \
                    } else {                                                            \
                        a->idx[first + n] = ya;                                         \
                        a->wt[first + n] = (float)(sum > ONE ? wt / sum : wt);          \
                    }                                                                   \
                    n++;                                                                \
                }                                                                       \
                a->ntap[yb] = n;                                                        \
            }                                                                           \
        }                                                                               \
    }

DOWN(down_single, float, ceilf, 1.0f)
DOWN(down_double, double, ceil, 1.0)

static void up(detect_resample_axis *a, int na, int nb, int single)
{
    for (int yb = 0; yb < nb; yb++) {
        double yaf;
        if (single) {
            const float s = (float)nb / (float)na, sinv = 1.0f / s;
            yaf = (0.5f + (float)yb) * sinv - 0.5f;
        } else {
            const double s = (double)nb / (double)na, sinv = 1.0 / s;
            yaf = (0.5 + (double)yb) * sinv - 0.5;
        }
        int ya = (int)floor(yaf);
        a->ntap[yb] = 0;
        if (ya >= 0 && ya < na - 1) {
            float w0, w1;
            if (single) {
                float wt = 1.0f - ((float)yaf - (float)ya);
                w0 = wt;
                w1 = 1.0f - wt;
            } else {
                double wt = 1.0 - (yaf - (double)ya);
                w0 = (float)wt;
                w1 = (float)(1.0 - wt);
            }
            add_tap(a, yb, ya, w0);
            add_tap(a, yb, ya + 1, w1);
        } else {
            ya = ya < 0 ? 0 : ya > na - 1 ? na - 1 : ya;
            add_tap(a, yb, ya, 1.0f);
        }
    }
}

void detect_resample_axis_compute(detect_resample_axis *a, int na, int nb, int single)
{
    a->nb = nb;
    a->K = detect_resample_taps(na, nb);
    if (na > nb) {
        if (single)
            down_single(a, na, nb);
        else
            down_double(a, na, nb);
    } else {
        up(a, na, nb, single);
    }
    /* Unused slots: weight 0 on a valid index (adding 0 * v changes no sum). */
    for (int yb = 0; yb < nb; yb++) {
        size_t first = (size_t)yb * a->K;
        int last = a->ntap[yb] > 0 ? a->idx[first + a->ntap[yb] - 1] : 0;
        for (int t = a->ntap[yb]; t < a->K; t++) {
            a->idx[first + t] = last;
            a->wt[first + t] = 0.0f;
        }
    }
}
