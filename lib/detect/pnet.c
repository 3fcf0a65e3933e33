/* Stage 1: P-Net over every pyramid level. Each band of map rows of each
 * level is one task (resampling, then P-Net), each writing its own slot;
 * the slots are merged in task order, so the proposals never depend on
 * the thread count. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect.h"

static size_t find_scale(const detect_cascade *c, size_t task)
{
    size_t si = 0;
    while (si + 1 < c->nscales && c->scales[si + 1].first_task <= task)
        si++;
    return si;
}

float detect_logit_floor(float th)
{
    if (!(th > 0.0f && th < 0.99999f))
        return -INFINITY; /* no shortcut */
    return (float)(log((double)th / (1.0 - (double)th)) - 0.05);
}

static int pnet_task(detect_cascade *c, detect_worker *w, size_t task, void *argp)
{
    const detect_stage_arg *arg = argp;
    const detect_scale *sp = &c->scales[find_scale(c, task)];
    const int band = (int)(task - sp->first_task);
    const int r0 = band * DETECT_PNET_BAND;
    const int r1 = r0 + DETECT_PNET_BAND < sp->oh ? r0 + DETECT_PNET_BAND : sp->oh;
    const int iy0 = 2 * r0;
    const int iy1 = 2 * r1 + 10 < sp->hs ? 2 * r1 + 10 : sp->hs;
    const int hb = iy1 - iy0, ws = sp->ws;
    const detect_nn_net *net = &arg->m->pnet;
    size_t act = detect_nn_max_activation(net, hb, ws);
    int rc = DETECT_GROW(w->b0, w->b0_cap, act);
    if (!rc)
        rc = DETECT_GROW(w->b1, w->b1_cap, act);
    if (!rc)
        rc = DETECT_GROW(w->in, w->in_cap, (size_t)hb * ws * 3);
    if (!rc)
        rc = detect_level_rows(c, w, sp, iy0, iy1, w->in);
    if (rc)
        return rc;
    const float *in = w->in;
    int oh, ow;
    /* conv1, PReLU and the pool fused: the full-resolution conv map is
     * never stored */
    const float *out = detect_nn_forward_planar(arg->k, net, in, hb, ws, w->b0, w->b1, &oh, &ow);
    if (oh != r1 - r0 || ow != sp->ow)
        return FIIE_E_INVALID_ARGUMENT; /* cannot happen: band geometry */
    detect_list *dst = &c->bands[task];
    dst->n = 0;
    const float th = arg->p->th[0], skip = detect_logit_floor(th);
    const double scale = sp->scale;
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++) {
            const float *o = out + ((size_t)y * ow + x) * 6;
            if (o[1] - o[0] < skip)
                continue;
            float prob = detect_face_prob(o[0], o[1]);
            if (!(prob >= th))
                continue;
            const int gy = r0 + y;
            detect_box b = {0};
            b.x1 = trunc((2.0 * x + 1.0) / scale);
            b.y1 = trunc((2.0 * gy + 1.0) / scale);
            b.x2 = trunc((2.0 * x + 12.0) / scale);
            b.y2 = trunc((2.0 * gy + 12.0) / scale);
            b.score = prob;
            memcpy(b.reg, o + 2, sizeof b.reg);
            if ((rc = detect_list_push(dst, &b)) != 0)
                return rc;
        }
    return 0;
}

int detect_stage1(detect_cascade *c, const detect_stage_arg *arg, int h, int w)
{
    size_t ntasks = 0;
    int rc = detect_plan_scales(c, arg->p, arg->m, h, w, &ntasks);
    if (rc)
        return rc;
    if (ntasks > c->bands_cap) {
        detect_list *nb = realloc(c->bands, ntasks * sizeof *nb);
        if (nb == NULL)
            return FIIE_E_NO_MEMORY;
        memset(nb + c->bands_cap, 0, (ntasks - c->bands_cap) * sizeof *nb);
        c->bands = nb;
        c->bands_cap = ntasks;
    }
    /* Every band of every scale is one task (resampling, then P-Net):
     * one pool of work, each result in its own slot. */
    detect_stage_arg sa = *arg;
    rc = detect_build_reduced(c);
    if (!rc)
        rc = detect_run_tasks(c, ntasks, pnet_task, &sa);
    detect_free_reduced(c); /* P-Net alone reads them */
    if (rc)
        return rc;
    detect_list all = {0}, per = {0};
    c->stage1.n = 0;
    for (size_t s = 0; s < c->nscales && !rc; s++) {
        const detect_scale *sp = &c->scales[s];
        c->tmp.n = 0;
        for (int b = 0; b < sp->nbands && !rc; b++) {
            const detect_list *l = &c->bands[sp->first_task + (size_t)b];
            for (size_t i = 0; i < l->n && !rc; i++)
                rc = detect_list_push(&c->tmp, &l->v[i]);
        }
        if (!rc)
            rc = detect_nms_list(c, &c->tmp, 0.5, 0, &per);
        for (size_t i = 0; i < per.n && !rc; i++)
            rc = detect_list_push(&all, &per.v[i]);
    }
    if (!rc)
        rc = detect_nms_list(c, &all, 0.7, 0, &c->stage1);
    common_buf_free(all.v);
    common_buf_free(per.v);
    if (rc)
        return rc;
    for (size_t i = 0; i < c->stage1.n; i++) {
        detect_box *b = &c->stage1.v[i];
        double rw = b->x2 - b->x1, rh = b->y2 - b->y1;
        detect_box o = *b;
        o.x1 = b->x1 + b->reg[0] * rw;
        o.y1 = b->y1 + b->reg[1] * rh;
        o.x2 = b->x2 + b->reg[2] * rw;
        o.y2 = b->y2 + b->reg[3] * rh;
        detect_square(&o);
        detect_truncate(&o);
        *b = o;
    }
    return 0;
}

