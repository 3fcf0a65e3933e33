/* White-box hooks of the detector for tests and benchmarks (internal,
 * not exported: the names end in '_' and the version script hides them). */
#ifndef FIIE_LIB_DETECT_DETECT_H
#define FIIE_LIB_DETECT_DETECT_H

#include "fiie/detector.h"
#include "detect/cascade.h"

/* Validate an image struct as fiie_detector_detect() does. */
int detect_check_image(const fiie_image *img);

/* Select the CPU kernels: "portable", "avx2", "avx512", or NULL for the
 * best this CPU runs; FIIE_E_UNSUPPORTED when the CPU or build lacks them. */
int detect_use_kernels(fiie_detector *d, const char *name);
const char *detect_kernels_name(const fiie_detector *d);

/* Run the cascade and expose the stage outputs (1-based MATLAB boxes). */
int detect_run_stages(fiie_detector *d, const fiie_image *img, const detect_list **out,
                       const detect_list **s1, const detect_list **s2);

#endif /* FIIE_LIB_DETECT_DETECT_H */
