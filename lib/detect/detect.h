/* lib/detect: the MTCNN detector behind fiie/detector.h. No other folder
 * of the library uses it; this header holds the white-box hooks its tests
 * and benchmarks use (hidden symbols, never exported). */
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

#endif /* FIIE_LIB_DETECT_DETECT_H */
