/* Piotr Dollar's imResample(..., 'bilinear') as used by the original
 * MTCNN (internal): separable, area-weighted when down-sampling, half-pixel
 * bilinear with clamped edges when up-sampling. */
#ifndef FIIE_LIB_DETECT_RESAMPLE_H
#define FIIE_LIB_DETECT_RESAMPLE_H

#include <stddef.h>

/* Per-output taps along one axis, na -> nb samples. The taps of one
 * output are always consecutive source indices (idx[t] = idx[0] + t). */
typedef struct detect_resample_axis {
    int nb;     /* output samples */
    int K;      /* taps slots per output */
    int *idx;   /* [nb][K] source indices */
    float *wt;  /* [nb][K] weights */
    int *ntap;  /* [nb] used taps */
} detect_resample_axis;

/* Tap slots needed per output for na -> nb (na, nb >= 1). */
int detect_resample_taps(int na, int nb);

/* Fill `a` (whose arrays hold nb * detect_resample_taps(na, nb) entries) with the
 * coefficients (slots past ntap get weight 0 on a valid index); `single` selects float (the pyramid, MATLAB single) or
 * double (the crops, MATLAB double) arithmetic for the coefficients. */
void detect_resample_axis_compute(detect_resample_axis *a, int na, int nb, int single);

/* The final scaling Piotr applies to every resampled value. */
#define DETECT_RESAMPLE_FINAL_SCALE ((float)(1.0 / (1.0 + 1e-6)))

#endif /* FIIE_LIB_DETECT_RESAMPLE_H */
