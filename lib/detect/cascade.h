/* MTCNN cascade (internal): pyramid, P-Net/R-Net/O-Net, NMS, regression,
 * landmarks, following the original detect_face.m conventions. */
#ifndef FIIE_LIB_DETECT_CASCADE_H
#define FIIE_LIB_DETECT_CASCADE_H

#include <stddef.h>

#include "fiie/detector.h"
#include "fiie/image.h"
#include "detect/model.h"
#include "detect/nn.h"

typedef struct detect_params {
    double min_face, factor;
    float th[3];
    int v1flip;
    int threads;
} detect_params;

/* A candidate box in MATLAB 1-based coordinates (as detect_face.m). */
typedef struct detect_box {
    double x1, y1, x2, y2, score;
    float reg[4];
    float pts[10];
    size_t idx; /* crop index (stage 3 bookkeeping) */
} detect_box;

typedef struct detect_list {
    detect_box *v;
    size_t n, cap;
} detect_list;

typedef struct detect_cascade detect_cascade;

int detect_cascade_new(detect_cascade **out, int threads);
void detect_cascade_free(detect_cascade *c);

/* Run the cascade. On success the final faces (best first, landmarks in
 * pts: x1..x5, y1..y5 already in 0-based image coordinates, boxes still
 * 1-based as detect_face.m) are in *out until the next call. The stage
 * outputs stay readable through *stage1 / *stage2 for debugging. */
int detect_cascade_run(detect_cascade *c, const fiie_model *m, const detect_nn_kernels *k, const detect_params *p,
                 const fiie_image *img, const detect_list **out, const detect_list **stage1,
                 const detect_list **stage2);

/* Greedy NMS of nms.m (stable ascending order, the last = best is taken
 * first). order and pick hold n entries each; the picked indices end up in
 * pick, best first; returns their count. */
size_t detect_nms(const detect_box *b, size_t n, double thr, int use_min, size_t *order, size_t *pick);

#endif /* FIIE_LIB_DETECT_CASCADE_H */
