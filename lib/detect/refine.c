/* Stages 2 and 3: R-Net (24 px crops) and O-Net (48 px crops, landmarks)
 * on the proposals of the stage before. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect.h"

/* R-Net and O-Net run in two steps: the convolutions per crop (crop_task)
 * down to the 3x3xC map, whose (y, x, c) order is the input order of the
 * fully connected layer; then the fully connected layer and the heads for
 * a batch of crops at once (fc_task), as 1x1 convolutions over a row of
 * crops, so that each weight load serves several crops. Each output
 * still sums its terms in the same order, so batching changes no bit. */
#define FC_BATCH 32

static int crop_task(detect_cascade *c, detect_worker *w, size_t t, void *argp)
{
    const detect_stage_arg *arg = argp;
    const size_t task = arg->crop_order[t];
    const int size = arg->size;
    const detect_nn_net *net = size == 24 ? &arg->m->rnet : &arg->m->onet;
    const size_t nb = arg->boxes->n, F = (size_t)net->layer[net->n - 2].cin * 9;
    size_t act = detect_nn_max_activation(net, size, size);
    size_t n = (size_t)size * size * 3;
    int rc = DETECT_GROW(w->in, w->in_cap, n);
    if (!rc)
        rc = DETECT_GROW(w->b0, w->b0_cap, act);
    if (!rc)
        rc = DETECT_GROW(w->b1, w->b1_cap, act);
    if (!rc && arg->flip)
        rc = DETECT_GROW(w->flip, w->flip_cap, n);
    if (!rc)
        rc = detect_crop(c, w, &arg->boxes->v[task], size, w->in);
    if (rc)
        return rc;
    int oh, ow;
    const float *o = detect_nn_forward_layers(arg->k, net, 0, net->n - 2, w->in, size, size, w->b0,
                                       w->b1, &oh, &ow);
    memcpy(c->feat + task * F, o, F * sizeof *o);
    if (arg->flip) {
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                memcpy(w->flip + ((size_t)y * size + x) * 3,
                       w->in + ((size_t)y * size + (size - 1 - x)) * 3, 3 * sizeof(float));
        o = detect_nn_forward_layers(arg->k, net, 0, net->n - 2, w->flip, size, size, w->b0, w->b1,
                              &oh, &ow);
        memcpy(c->feat + (nb + task) * F, o, F * sizeof *o);
    }
    return 0;
}

/* Crops [FC_BATCH task, ...) of the normal (then, with flip, the mirrored)
 * crops through the fully connected layer and the heads. */
static int fc_task(detect_cascade *c, detect_worker *w, size_t task, void *argp)
{
    const detect_stage_arg *arg = argp;
    const detect_nn_net *net = arg->size == 24 ? &arg->m->rnet : &arg->m->onet;
    const detect_nn_layer *fc = &net->layer[net->n - 2], *head = &net->layer[net->n - 1];
    const size_t nb = arg->boxes->n, total = arg->flip ? 2 * nb : nb;
    const size_t F = (size_t)fc->cin * 9, i0 = task * FC_BATCH;
    const int m = (int)(total - i0 < FC_BATCH ? total - i0 : FC_BATCH);
    /* the fc weights [3][3][cin][o] are those of a 1x1 conv with 9 cin inputs */
    detect_nn_layer fc1 = *fc;
    fc1.k = 1;
    fc1.cin = (int)F;
    int rc = DETECT_GROW(w->b0, w->b0_cap, (size_t)m * fc->cout_pad);
    if (!rc)
        rc = DETECT_GROW(w->b1, w->b1_cap, (size_t)m * head->cout_pad);
    if (rc)
        return rc;
    arg->k->conv(&fc1, c->feat + i0 * F, 1, m, w->b0);
    arg->k->conv(head, w->b0, 1, m, w->b1);
    for (int j = 0; j < m; j++) {
        const float *o = w->b1 + (size_t)j * head->cout;
        size_t i = i0 + (size_t)j;
        if (i >= nb) {
            memcpy(c->crops[i - nb].flip_pts, o + 6, sizeof c->crops[0].flip_pts);
            continue;
        }
        detect_crop_out *co = &c->crops[i];
        co->score = detect_face_prob(o[0], o[1]);
        memcpy(co->reg, o + 2, sizeof co->reg);
        if (arg->size == 48)
            memcpy(co->pts, o + 6, sizeof co->pts);
    }
    return 0;
}

/* Crops are made in the order of their boxes' tiles of the image
 * (CROP_TILE px, row by row), not in score order: proposals crowd around
 * the same faces (at 12 MP the crops read 9x the image's pixels), so
 * neighbours in this order read the same rows while they are in the
 * cache. Each crop still writes its own slot: the order changes no result. */
#define CROP_TILE 128.0

typedef struct crop_key {
    double ty, tx;
    size_t i;
} crop_key;

static int cmp_crop_key(const void *pa, const void *pb)
{
    const crop_key *a = pa, *b = pb;
    if (a->ty != b->ty)
        return a->ty < b->ty ? -1 : 1;
    if (a->tx != b->tx)
        return a->tx < b->tx ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

static int plan_crop_order(detect_cascade *c, const detect_list *boxes)
{
    int rc = DETECT_GROW(c->crop_order, c->crop_order_cap, boxes->n + 1);
    crop_key *keys = rc ? NULL : malloc((boxes->n + 1) * sizeof *keys);
    if (keys == NULL)
        return rc ? rc : FIIE_E_NO_MEMORY;
    for (size_t i = 0; i < boxes->n; i++) {
        const detect_box *b = &boxes->v[i];
        /* NaN or huge boxes (cropped as zeros) sort first, deterministically */
        keys[i].ty = b->y1 == b->y1 ? floor(b->y1 / CROP_TILE) : -HUGE_VAL;
        keys[i].tx = b->x1 == b->x1 ? floor(b->x1 / CROP_TILE) : -HUGE_VAL;
        keys[i].i = i;
    }
    qsort(keys, boxes->n, sizeof *keys, cmp_crop_key);
    for (size_t i = 0; i < boxes->n; i++)
        c->crop_order[i] = keys[i].i;
    free(keys);
    return 0;
}

static int run_crops(detect_cascade *c, detect_stage_arg *arg, const detect_list *boxes, int size, int flip)
{
    const detect_nn_net *net = size == 24 ? &arg->m->rnet : &arg->m->onet;
    const size_t F = (size_t)net->layer[net->n - 2].cin * 9;
    const size_t total = (flip ? 2 : 1) * boxes->n;
    int rc = DETECT_GROW(c->crops, c->crops_cap, boxes->n + 1);
    if (!rc)
        rc = DETECT_GROW(c->feat, c->feat_cap, total * F + 1);
    if (!rc)
        rc = plan_crop_order(c, boxes);
    if (rc)
        return rc;
    arg->boxes = boxes;
    arg->crop_order = c->crop_order;
    arg->size = size;
    arg->flip = flip;
    if ((rc = detect_run_tasks(c, boxes->n, crop_task, arg)) != 0)
        return rc;
    return detect_run_tasks(c, (total + FC_BATCH - 1) / FC_BATCH, fc_task, arg);
}

int detect_stage2(detect_cascade *c, detect_stage_arg *arg)
{
    c->stage2.n = 0;
    if (c->stage1.n == 0)
        return 0;
    int rc = run_crops(c, arg, &c->stage1, 24, 0);
    if (rc)
        return rc;
    c->tmp.n = 0;
    for (size_t i = 0; i < c->stage1.n && !rc; i++) {
        const detect_crop_out *co = &c->crops[i];
        if (!(co->score > arg->p->th[1]))
            continue;
        detect_box b = c->stage1.v[i];
        b.score = co->score;
        memcpy(b.reg, co->reg, sizeof b.reg);
        rc = detect_list_push(&c->tmp, &b);
    }
    if (rc || c->tmp.n == 0)
        return rc;
    if ((rc = detect_nms_list(c, &c->tmp, 0.7, 0, &c->stage2)) != 0)
        return rc;
    for (size_t i = 0; i < c->stage2.n; i++) {
        detect_regress(&c->stage2.v[i], c->stage2.v[i].reg);
        detect_square(&c->stage2.v[i]);
    }
    return 0;
}

int detect_stage3(detect_cascade *c, detect_stage_arg *arg)
{
    c->final.n = 0;
    if (c->stage2.n == 0)
        return 0;
    detect_list in = {0};
    int rc = 0;
    for (size_t i = 0; i < c->stage2.n && !rc; i++) {
        detect_box b = c->stage2.v[i];
        detect_truncate(&b);
        rc = detect_list_push(&in, &b);
    }
    if (!rc)
        rc = run_crops(c, arg, &in, 48, arg->p->v1flip);
    /* pre: the O-Net input boxes that passed (landmarks are relative to
     * them); tmp: the same boxes after regression, for the final NMS */
    detect_list pre = {0};
    c->tmp.n = 0;
    for (size_t i = 0; i < in.n && !rc; i++) {
        const detect_crop_out *co = &c->crops[i];
        if (!(co->score > arg->p->th[2]))
            continue;
        detect_box b0 = in.v[i];
        b0.score = co->score;
        memcpy(b0.reg, co->reg, sizeof b0.reg);
        rc = detect_list_push(&pre, &b0);
        if (!rc) {
            detect_box b = b0;
            detect_regress(&b, b.reg);
            b.idx = i;
            rc = detect_list_push(&c->tmp, &b);
        }
    }
    if (!rc && c->tmp.n > 0) {
        rc = DETECT_GROW(c->order, c->order_cap, c->tmp.n + 1);
        if (!rc)
            rc = DETECT_GROW(c->pick, c->pick_cap, c->tmp.n + 1);
        size_t np = rc ? 0 : detect_nms(c->tmp.v, c->tmp.n, 0.7, 1, c->order, c->pick);
        if (!rc)
            rc = DETECT_GROW(c->final.v, c->final.cap, np + 1);
        for (size_t t = 0; t < np && !rc; t++) {
            size_t k = c->pick[t];
            detect_box out = c->tmp.v[k];
            const detect_box *bt = &pre.v[k];
            const detect_crop_out *co = &c->crops[c->tmp.v[k].idx];
            double w = bt->x2 - bt->x1 + 1, h = bt->y2 - bt->y1 + 1;
            for (int j = 0; j < 5; j++) {
                double px = co->pts[j], py = co->pts[5 + j];
                if (arg->p->v1flip) {
                    static const int mx[5] = {1, 0, 2, 4, 3};
                    double fx = 1.0 - (double)co->flip_pts[mx[j]];
                    double fy = (double)co->flip_pts[5 + mx[j]];
                    px = (px + fx) / 2.0;
                    py = (py + fy) / 2.0;
                }
                out.pts[j] = (float)(w * px + bt->x1 - 1);
                out.pts[5 + j] = (float)(h * py + bt->y1 - 1);
            }
            c->final.v[c->final.n++] = out;
        }
    }
    common_buf_free(in.v);
    common_buf_free(pre.v);
    return rc;
}

