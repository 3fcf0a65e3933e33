/* Non-maximum suppression (nms.m) and the box rules of detect_face.m
 * (rerec, bbreg, fix), in the reference's double arithmetic. */
#include <math.h>
#include <string.h>

#include "detect/detect.h"

/* Stable bottom-up merge sort of the indices 0..n-1 by ascending score
 * (numpy's argsort(kind="stable")); tmp holds n entries. */
static void sort_by_score(const detect_box *b, size_t n, size_t *order, size_t *tmp)
{
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    size_t *src = order, *dst = tmp;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = b[src[j]].score < b[src[i]].score ? src[j++] : src[i++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        size_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != order)
        memcpy(order, src, n * sizeof *order);
}

size_t detect_nms(const detect_box *b, size_t n, double thr, int use_min, size_t *order, size_t *pick)
{
    if (n == 0)
        return 0;
    sort_by_score(b, n, order, pick);
    size_t m = n, np = 0;
    while (m > 0) {
        size_t i = order[m - 1];
        pick[np++] = i;
        const detect_box *p = &b[i];
        double ai = (p->x2 - p->x1 + 1) * (p->y2 - p->y1 + 1);
        size_t keep = 0;
        for (size_t t = 0; t + 1 < m; t++) {
            const detect_box *q = &b[order[t]];
            double xx1 = fmax(p->x1, q->x1), yy1 = fmax(p->y1, q->y1);
            double xx2 = fmin(p->x2, q->x2), yy2 = fmin(p->y2, q->y2);
            double inter = fmax(0.0, xx2 - xx1 + 1) * fmax(0.0, yy2 - yy1 + 1);
            double aj = (q->x2 - q->x1 + 1) * (q->y2 - q->y1 + 1);
            double o = use_min ? inter / fmin(ai, aj) : inter / (ai + aj - inter);
            if (o <= thr)
                order[keep++] = order[t];
        }
        m = keep;
    }
    return np;
}

/* NMS of list l into c->tmp (in pick order). */
int detect_nms_list(detect_cascade *c, const detect_list *l, double thr, int use_min, detect_list *out)
{
    int rc = DETECT_GROW(c->order, c->order_cap, l->n + 1);
    if (!rc)
        rc = DETECT_GROW(c->pick, c->pick_cap, l->n + 1);
    if (rc)
        return rc;
    size_t np = detect_nms(l->v, l->n, thr, use_min, c->order, c->pick);
    out->n = 0;
    if ((rc = DETECT_GROW(out->v, out->cap, np + 1)) != 0)
        return rc;
    for (size_t i = 0; i < np; i++)
        out->v[out->n++] = l->v[c->pick[i]];
    return 0;
}

/* ---------------------------------------------------------------- box rules */

void detect_square(detect_box *b)
{
    double w = b->x2 - b->x1, h = b->y2 - b->y1;
    double l = fmax(w, h);
    b->x1 = b->x1 + w * 0.5 - l * 0.5;
    b->y1 = b->y1 + h * 0.5 - l * 0.5;
    b->x2 = b->x1 + l;
    b->y2 = b->y1 + l;
}

void detect_regress(detect_box *b, const float reg[4])
{
    double w = b->x2 - b->x1 + 1, h = b->y2 - b->y1 + 1;
    b->x1 += reg[0] * w;
    b->y1 += reg[1] * h;
    b->x2 += reg[2] * w;
    b->y2 += reg[3] * h;
}

void detect_truncate(detect_box *b)
{
    b->x1 = trunc(b->x1);
    b->y1 = trunc(b->y1);
    b->x2 = trunc(b->x2);
    b->y2 = trunc(b->y2);
}

float detect_face_prob(float a0, float a1)
{
    float m = a0 > a1 ? a0 : a1;
    float e0 = expf(a0 - m), e1 = expf(a1 - m);
    return e1 / (e0 + e1);
}

