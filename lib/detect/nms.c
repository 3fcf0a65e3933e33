/* Non-maximum suppression (nms.m) and the box rules of detect_face.m
 * (rerec, bbreg, fix), in the reference's double arithmetic. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
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

/* Suppression test of detect_nms(): p the picked box, q another one. */
static int suppresses(const detect_box *p, const detect_box *q, double thr, int use_min)
{
    double ai = (p->x2 - p->x1 + 1) * (p->y2 - p->y1 + 1);
    double xx1 = fmax(p->x1, q->x1), yy1 = fmax(p->y1, q->y1);
    double xx2 = fmin(p->x2, q->x2), yy2 = fmin(p->y2, q->y2);
    double inter = fmax(0.0, xx2 - xx1 + 1) * fmax(0.0, yy2 - yy1 + 1);
    double aj = (q->x2 - q->x1 + 1) * (q->y2 - q->y1 + 1);
    double o = use_min ? inter / fmin(ai, aj) : inter / (ai + aj - inter);
    return !(o <= thr);
}

/* Below this many boxes the plain quadratic loop is as fast. */
#define NMS_GRID_MIN 2048
/* Size classes: box k has sqrt(area) in [2^k, 2^(k+1)). */
#define NMS_CLASSES 40

/* One uniform grid per size class over its boxes' extents [x1, x2 + 1] x
 * [y1, y2 + 1], cells at least as large as every box of the class (a box
 * lies in at most 2 x 2 cells of its own grid; two boxes with a common
 * point share a cell of a grid holding either). */
typedef struct nms_grid {
    double x0, y0, x1, y1, cell;
    size_t nx, ny, first; /* first: offset of its cells in the cell array */
    int used;
} nms_grid;

typedef struct nms_plan {
    nms_grid g[NMS_CLASSES];
    int neighbours_only; /* only classes k-1..k+1 can suppress class k */
    size_t ncell;
} nms_plan;

static int size_class(const detect_box *p)
{
    double a = (p->x2 - p->x1 + 1) * (p->y2 - p->y1 + 1);
    int k = (int)floor(0.5 * log2(a));
    return k < 0 ? 0 : k >= NMS_CLASSES ? NMS_CLASSES - 1 : k;
}

/* 0 when the boxes suit the grids: finite, non-empty, thr >= 0 (then only
 * boxes with a common point can suppress each other). For IoU with
 * thr >= 0.3, boxes two classes apart have areas 4x apart, so IoU <=
 * min area / max area < thr: only neighbouring classes are searched. */
static int plan_grids(const detect_box *b, size_t n, double thr, int use_min, nms_plan *pl)
{
    if (!(thr >= 0))
        return -1;
    memset(pl, 0, sizeof *pl);
    pl->neighbours_only = !use_min && thr >= 0.3;
    size_t count[NMS_CLASSES] = {0};
    for (size_t i = 0; i < n; i++) {
        const detect_box *p = &b[i];
        double w = p->x2 - p->x1 + 1, h = p->y2 - p->y1 + 1;
        if (!(isfinite(p->x1) && isfinite(p->x2) && isfinite(p->y1) && isfinite(p->y2)) ||
            !(w > 0 && h > 0))
            return -1;
        nms_grid *g = &pl->g[pl->neighbours_only ? size_class(p) : 0];
        if (!g->used) {
            g->used = 1;
            g->x0 = g->y0 = INFINITY;
            g->x1 = g->y1 = -INFINITY;
        }
        g->x0 = fmin(g->x0, p->x1);
        g->y0 = fmin(g->y0, p->y1);
        g->x1 = fmax(g->x1, p->x2 + 1);
        g->y1 = fmax(g->y1, p->y2 + 1);
        g->cell = fmax(g->cell, fmax(w, h));
        count[pl->neighbours_only ? size_class(p) : 0]++;
    }
    for (int k = 0; k < NMS_CLASSES; k++) {
        nms_grid *g = &pl->g[k];
        if (!g->used)
            continue;
        /* at most about 2 cells per box: larger cells for spread-out boxes */
        g->cell = fmax(g->cell, sqrt((g->x1 - g->x0) * (g->y1 - g->y0) / (2.0 * (double)count[k])));
        if (!(g->cell > 0) || (g->x1 - g->x0) / g->cell > 1e6 || (g->y1 - g->y0) / g->cell > 1e6)
            return -1;
        g->nx = (size_t)((g->x1 - g->x0) / g->cell) + 1;
        g->ny = (size_t)((g->y1 - g->y0) / g->cell) + 1;
        g->first = pl->ncell;
        pl->ncell += g->nx * g->ny;
    }
    return 0;
}

/* The cells of grid g that box p touches; 0 when none. */
static int cell_range(const nms_grid *g, const detect_box *p, size_t r[4])
{
    double c[4] = {floor((p->x1 - g->x0) / g->cell), floor((p->x2 + 1 - g->x0) / g->cell),
                   floor((p->y1 - g->y0) / g->cell), floor((p->y2 + 1 - g->y0) / g->cell)};
    if (c[1] < 0 || c[3] < 0 || c[0] >= (double)g->nx || c[2] >= (double)g->ny)
        return 0;
    r[0] = c[0] < 0 ? 0 : (size_t)c[0];
    r[1] = c[1] >= (double)g->nx ? g->nx - 1 : (size_t)c[1];
    r[2] = c[2] < 0 ? 0 : (size_t)c[2];
    r[3] = c[3] >= (double)g->ny ? g->ny - 1 : (size_t)c[3];
    return 1;
}

/* Whether a kept box of grid g suppresses q. */
static int suppressed_in(const nms_grid *g, const detect_box *b, const detect_box *q,
                         const size_t *head, const size_t *next, const size_t *box, double thr,
                         int use_min)
{
    size_t r[4];
    if (!g->used || !cell_range(g, q, r))
        return 0;
    for (size_t cy = r[2]; cy <= r[3]; cy++)
        for (size_t cx = r[0]; cx <= r[1]; cx++)
            for (size_t k = head[g->first + cy * g->nx + cx]; k != SIZE_MAX; k = next[k])
                if (suppresses(&b[box[k]], q, thr, use_min))
                    return 1;
    return 0;
}

/* detect_nms() found with the grids. Greedy NMS keeps a box exactly when
 * no box kept before it (in descending score order) suppresses it; only
 * kept boxes sharing a cell with it can, so only those are tested, with
 * the same arithmetic. Same picks, same order. */
static int nms_grid_run(const detect_box *b, size_t n, double thr, int use_min,
                        const nms_plan *pl, size_t *order, size_t *pick, size_t *np)
{
    size_t *head = malloc(pl->ncell * sizeof *head);
    size_t *next = malloc(4 * n * sizeof *next), *box = malloc(4 * n * sizeof *box);
    if (head == NULL || next == NULL || box == NULL) {
        free(head);
        free(next);
        free(box);
        return FIIE_E_NO_MEMORY;
    }
    for (size_t i = 0; i < pl->ncell; i++)
        head[i] = SIZE_MAX;
    sort_by_score(b, n, order, pick);
    size_t kept = 0, nodes = 0;
    for (size_t t = n; t-- > 0;) {
        const detect_box *q = &b[order[t]];
        int k = pl->neighbours_only ? size_class(q) : 0;
        int gone = 0;
        for (int j = k > 0 ? k - 1 : 0; j <= k + 1 && j < NMS_CLASSES && !gone; j++)
            gone = suppressed_in(&pl->g[j], b, q, head, next, box, thr, use_min);
        if (gone)
            continue;
        pick[kept++] = order[t];
        const nms_grid *g = &pl->g[k];
        size_t r[4];
        cell_range(g, q, r); /* q is inside its own grid */
        for (size_t cy = r[2]; cy <= r[3]; cy++)
            for (size_t cx = r[0]; cx <= r[1]; cx++) {
                size_t cell = g->first + cy * g->nx + cx;
                box[nodes] = order[t];
                next[nodes] = head[cell];
                head[cell] = nodes++;
            }
    }
    free(head);
    free(next);
    free(box);
    *np = kept;
    return 0;
}

int detect_nms_fast(const detect_box *b, size_t n, double thr, int use_min, size_t *order,
                    size_t *pick, size_t *np)
{
    nms_plan pl;
    if (n < NMS_GRID_MIN || n > SIZE_MAX / (4 * sizeof(size_t)) ||
        plan_grids(b, n, thr, use_min, &pl) != 0) {
        *np = detect_nms(b, n, thr, use_min, order, pick);
        return 0;
    }
    return nms_grid_run(b, n, thr, use_min, &pl, order, pick, np);
}

/* NMS of list l into c->tmp (in pick order). */
int detect_nms_list(detect_cascade *c, const detect_list *l, double thr, int use_min, detect_list *out)
{
    int rc = DETECT_GROW(c->order, c->order_cap, l->n + 1);
    if (!rc)
        rc = DETECT_GROW(c->pick, c->pick_cap, l->n + 1);
    if (rc)
        return rc;
    size_t np;
    if ((rc = detect_nms_fast(l->v, l->n, thr, use_min, c->order, c->pick, &np)) != 0)
        return rc;
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

