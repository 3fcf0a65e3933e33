/* MTCNN cascade (internal): pyramid, P-Net/R-Net/O-Net, NMS, regression,
 * landmarks, following the original detect_face.m conventions. */
#ifndef FIIE_MTCNN_H
#define FIIE_MTCNN_H

#include <stddef.h>

#include "fiie/detector.h"
#include "fiie/image.h"
#include "detect/model.h"
#include "detect/nn.h"

typedef struct mtcnn_params {
    double min_face, factor;
    float th[3];
    int v1flip;
    int threads;
} mtcnn_params;

/* A candidate box in MATLAB 1-based coordinates (as detect_face.m). */
typedef struct mt_box {
    double x1, y1, x2, y2, score;
    float reg[4];
    float pts[10];
    size_t idx; /* crop index (stage 3 bookkeeping) */
} mt_box;

typedef struct mt_list {
    mt_box *v;
    size_t n, cap;
} mt_list;

typedef struct mtcnn_ctx mtcnn_ctx;

int mtcnn_ctx_new(mtcnn_ctx **out, int threads);
void mtcnn_ctx_free(mtcnn_ctx *c);

/* Run the cascade. On success the final faces (best first, landmarks in
 * pts: x1..x5, y1..y5 already in 0-based image coordinates, boxes still
 * 1-based as detect_face.m) are in *out until the next call. The stage
 * outputs stay readable through *stage1 / *stage2 for debugging. */
int mtcnn_detect(mtcnn_ctx *c, const fiie_model *m, const nn_kernels *k, const mtcnn_params *p,
                 const fiie_image *img, const mt_list **out, const mt_list **stage1,
                 const mt_list **stage2);

/* Greedy NMS of nms.m (stable ascending order, the last = best is taken
 * first). order and pick hold n entries each; the picked indices end up in
 * pick, best first; returns their count. */
size_t mtcnn_nms(const mt_box *b, size_t n, double thr, int use_min, size_t *order, size_t *pick);

#endif /* FIIE_MTCNN_H */
