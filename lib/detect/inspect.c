/* Inside the cascade (fiie/detector.h, ABI 1.1): one crop as the cascade
 * cuts it, and one net on its own, for training and parity tests. Both
 * reuse the cascade's own code (detect_crop, detect_nn_forward) so they
 * can never drift from what detection does. */
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "detect/detect.h"
#include "detect/model.h"
#include "fiie/detector.h"

/* Same bound as detect_crop(): larger windows are not crops but absurd boxes. */
#define MAX_WINDOW_SIDE (1u << 20)

int fiie_crop_patch(const fiie_image *img, int32_t x, int32_t y, uint32_t w, uint32_t h,
                    uint32_t size, float *out)
{
    if (out == NULL || size < 1 || size > FIIE_CROP_MAX_SIZE || w < 1 || h < 1 ||
        w > MAX_WINDOW_SIDE || h > MAX_WINDOW_SIDE)
        return FIIE_E_INVALID_ARGUMENT;
    int rc = fiie_image_validate(img);
    if (rc != FIIE_OK)
        return rc;
    detect_cascade *c;
    if ((rc = detect_cascade_new(&c, 1)) != FIIE_OK)
        return rc;
    c->img = img;
    c->k = detect_nn_kernels_best();
    /* detect_crop() takes detect_face.m's 1-based inclusive boxes */
    detect_box b = {0};
    b.x1 = (double)x + 1;
    b.y1 = (double)y + 1;
    b.x2 = (double)x + w;
    b.y2 = (double)y + h;
    rc = detect_crop(c, &c->w[0], &b, (int)size, out);
    detect_cascade_free(c);
    return rc;
}

static const detect_nn_net *net_of(const fiie_model *m, int net)
{
    switch (net) {
    case FIIE_NET_PNET:
        return &m->pnet;
    case FIIE_NET_RNET:
        return &m->rnet;
    case FIIE_NET_ONET:
        return &m->onet;
    default:
        return NULL;
    }
}

/* The net and its output geometry for an input, or NULL when the net or
 * the input size is not one the cascade runs. */
static const detect_nn_net *check_input(const fiie_model *m, int net, uint32_t h, uint32_t w,
                                        int *oh, int *ow)
{
    const detect_nn_net *n = m == NULL ? NULL : net_of(m, net);
    if (n == NULL)
        return NULL;
    if (net == FIIE_NET_RNET && (h != 24 || w != 24))
        return NULL;
    if (net == FIIE_NET_ONET && (h != 48 || w != 48))
        return NULL;
    if (h < 12 || w < 12 || h > FIIE_MAX_DIMENSION || w > FIIE_MAX_DIMENSION ||
        (uint64_t)h * w > FIIE_MAX_PIXELS)
        return NULL;
    int sh = (int)h, sw = (int)w;
    for (int i = 0; i < n->n; i++) {
        sh = detect_nn_out_side(&n->layer[i], sh);
        sw = detect_nn_out_side(&n->layer[i], sw);
    }
    if (sh <= 0 || sw <= 0)
        return NULL;
    *oh = sh;
    *ow = sw;
    return n;
}

int fiie_model_output_size(const fiie_model *m, int net, uint32_t h, uint32_t w, uint32_t *oh,
                           uint32_t *ow, uint32_t *channels)
{
    int sh, sw;
    const detect_nn_net *n = check_input(m, net, h, w, &sh, &sw);
    if (n == NULL || oh == NULL || ow == NULL || channels == NULL)
        return FIIE_E_INVALID_ARGUMENT;
    *oh = (uint32_t)sh;
    *ow = (uint32_t)sw;
    *channels = (uint32_t)n->layer[n->n - 1].cout;
    return FIIE_OK;
}

int fiie_model_forward(const fiie_model *m, int net, const float *in, size_t count, uint32_t h,
                       uint32_t w, float *out, size_t out_len)
{
    int oh, ow;
    const detect_nn_net *n = check_input(m, net, h, w, &oh, &ow);
    if (n == NULL || (count > 0 && (in == NULL || out == NULL)))
        return FIIE_E_INVALID_ARGUMENT;
    const size_t per_in = (size_t)h * w * 3;
    const size_t per_out = (size_t)oh * ow * (size_t)n->layer[n->n - 1].cout;
    if (count > SIZE_MAX / per_in || count > SIZE_MAX / per_out)
        return FIIE_E_TOO_LARGE;
    if (out_len < count * per_out)
        return FIIE_E_BUFFER_TOO_SMALL;
    if (count == 0)
        return FIIE_OK;
    const size_t act = detect_nn_max_activation(n, (int)h, (int)w);
    if (act == 0)
        return FIIE_E_TOO_LARGE;
    float *b0 = malloc(act * sizeof *b0), *b1 = malloc(act * sizeof *b1);
    if (b0 == NULL || b1 == NULL) {
        free(b0);
        free(b1);
        return FIIE_E_NO_MEMORY;
    }
    const detect_nn_kernels *k = detect_nn_kernels_best();
    for (size_t i = 0; i < count; i++) {
        int rh, rw;
        const float *o = detect_nn_forward(k, n, in + i * per_in, (int)h, (int)w, b0, b1, &rh, &rw);
        memcpy(out + i * per_out, o, per_out * sizeof *o);
    }
    free(b0);
    free(b1);
    return FIIE_OK;
}
