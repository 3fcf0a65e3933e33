/* White-box hooks of the detector for tests and benchmarks (internal,
 * not exported: the names end in '_' and the version script hides them). */
#ifndef FIIE_DETECTOR_INTERNAL_H
#define FIIE_DETECTOR_INTERNAL_H

#include "fiie/detector.h"
#include "detect/cascade.h"

/* Validate an image struct as fiie_detector_detect() does. */
int fiie_detector_check_image_(const fiie_image *img);

/* Select the CPU kernels: "portable", "avx2", "avx512", or NULL for the
 * best this CPU runs; FIIE_E_UNSUPPORTED when the CPU or build lacks them. */
int fiie_detector_use_kernels_(fiie_detector *d, const char *name);
const char *fiie_detector_kernels_name_(const fiie_detector *d);

/* Run the cascade and expose the stage outputs (1-based MATLAB boxes). */
int fiie_detector_run_(fiie_detector *d, const fiie_image *img, const mt_list **out,
                       const mt_list **s1, const mt_list **s2);

#endif /* FIIE_DETECTOR_INTERNAL_H */
