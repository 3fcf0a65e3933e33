/* Regions, exact membership rule and per-row spans (fiie/mask.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fiie/image.h"
#include "mask/mask.h"

__extension__ typedef unsigned __int128 u128; /* -Wpedantic: a GNU extension */

struct fiie_mask {
    uint32_t width;
    uint32_t height;
    size_t count;
    size_t cap;
    fiie_region *regions;
};

size_t fiie_mask_max_regions(void)
{
    return FIIE_MAX_REGIONS;
}

int fiie_mask_new(fiie_mask **out, uint32_t width, uint32_t height)
{
    if (!out)
        return FIIE_E_INVALID_ARGUMENT;
    *out = NULL;
    if (width == 0 || height == 0)
        return FIIE_E_INVALID_ARGUMENT;
    if (width > FIIE_MAX_DIMENSION || height > FIIE_MAX_DIMENSION ||
        (uint64_t)width * height > FIIE_MAX_PIXELS)
        return FIIE_E_TOO_LARGE;
    fiie_mask *m = calloc(1, sizeof *m);
    if (!m)
        return FIIE_E_NO_MEMORY;
    m->width = width;
    m->height = height;
    *out = m;
    return FIIE_OK;
}

void fiie_mask_free(fiie_mask *m)
{
    if (!m)
        return;
    free(m->regions);
    free(m);
}

uint32_t fiie_mask_width(const fiie_mask *m)
{
    return m ? m->width : 0;
}

uint32_t fiie_mask_height(const fiie_mask *m)
{
    return m ? m->height : 0;
}

int fiie_mask_add_region(fiie_mask *m, int32_t shape, int32_t x, int32_t y, uint32_t w,
                         uint32_t h)
{
    if (!m || (shape != FIIE_SHAPE_RECT && shape != FIIE_SHAPE_ELLIPSE) || w == 0 || h == 0)
        return FIIE_E_INVALID_ARGUMENT;
    if (m->count >= FIIE_MAX_REGIONS)
        return FIIE_E_TOO_LARGE;
    if (m->count == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 8;
        if (cap > FIIE_MAX_REGIONS)
            cap = FIIE_MAX_REGIONS;
        fiie_region *r = realloc(m->regions, cap * sizeof *r);
        if (!r)
            return FIIE_E_NO_MEMORY;
        m->regions = r;
        m->cap = cap;
    }
    m->regions[m->count++] = (fiie_region){shape, x, y, w, h};
    return FIIE_OK;
}

/* Scale [lo, hi] about its centre and round outward; the doubles are exact
 * enough and, without contraction, identical on every IEEE platform. */
static int scale_edge(float lo, float hi, float scale, int32_t *start, uint32_t *len)
{
    double c = ((double)lo + (double)hi) / 2.0;
    double half = ((double)hi - (double)lo) * (double)scale / 2.0;
    double a = floor(c - half);
    double b = ceil(c + half);
    if (!(a >= (double)INT32_MIN && a <= (double)INT32_MAX))
        return FIIE_E_TOO_LARGE;
    if (b <= a)
        b = a + 1.0; /* a vanishing scale still protects one pixel */
    if (!(b - a <= (double)UINT32_MAX))
        return FIIE_E_TOO_LARGE;
    *start = (int32_t)a;
    *len = (uint32_t)(b - a);
    return FIIE_OK;
}

int fiie_mask_add_box(fiie_mask *m, float x1, float y1, float x2, float y2, float scale,
                      int32_t shape)
{
    if (!m || (shape != FIIE_SHAPE_RECT && shape != FIIE_SHAPE_ELLIPSE))
        return FIIE_E_INVALID_ARGUMENT;
    if (!isfinite(x1) || !isfinite(y1) || !isfinite(x2) || !isfinite(y2) || !isfinite(scale) ||
        !(scale > 0.0f) || !(x2 > x1) || !(y2 > y1))
        return FIIE_E_INVALID_ARGUMENT;
    int32_t x, y;
    uint32_t w, h;
    int rc = scale_edge(x1, x2, scale, &x, &w);
    if (rc == FIIE_OK)
        rc = scale_edge(y1, y2, scale, &y, &h);
    if (rc != FIIE_OK)
        return rc;
    return fiie_mask_add_region(m, shape, x, y, w, h);
}

size_t fiie_mask_region_count(const fiie_mask *m)
{
    return m ? m->count : 0;
}

int fiie_mask_get_region(const fiie_mask *m, size_t index, fiie_region *out)
{
    if (!m || !out)
        return FIIE_E_INVALID_ARGUMENT;
    if (index >= m->count)
        return FIIE_E_NOT_FOUND;
    *out = m->regions[index];
    return FIIE_OK;
}

/* The literal membership rule of the format, one pixel at a time. */
static int region_contains(const fiie_region *r, int64_t px, int64_t py)
{
    int64_t x = r->x, y = r->y, w = r->w, h = r->h;
    if (px < x || px >= x + w || py < y || py >= y + h)
        return 0;
    if (r->shape == FIIE_SHAPE_RECT)
        return 1;
    /* Inside the bounding box |dx| < w and |dy| < h, so each of the three
     * products below is under 2^128, but the sum of the first two may not
     * be (it can reach 2^129): compare dx^2 h^2 <= w^2 h^2 - dy^2 w^2
     * instead, whose right side cannot go negative. */
    int64_t dx = 2 * px + 1 - (2 * x + w);
    int64_t dy = 2 * py + 1 - (2 * y + h);
    u128 adx = (u128)(uint64_t)(dx < 0 ? -dx : dx);
    u128 ady = (u128)(uint64_t)(dy < 0 ? -dy : dy);
    u128 w2 = (u128)w * (u128)w, h2 = (u128)h * (u128)h;
    return adx * adx * h2 <= w2 * h2 - ady * ady * w2;
}

int fiie_mask_contains(const fiie_mask *m, int64_t px, int64_t py)
{
    if (!m || px < 0 || py < 0 || px >= m->width || py >= m->height)
        return 0;
    for (size_t i = 0; i < m->count; i++)
        if (region_contains(&m->regions[i], px, py))
            return 1;
    return 0;
}

/* Columns [*lo, *hi] (inclusive, unclipped) of region r in row py, or 0
 * when the row misses it. */
static int region_row(const fiie_region *r, int64_t py, int64_t *lo, int64_t *hi)
{
    int64_t x = r->x, y = r->y, w = r->w, h = r->h;
    if (py < y || py >= y + h)
        return 0;
    if (r->shape == FIIE_SHAPE_RECT) {
        *lo = x;
        *hi = x + w - 1;
        return 1;
    }
    /* Largest |dx| with dx^2 h^2 <= w^2 (h^2 - dy^2) and dx of the parity
     * every dx of this region has (that of w + 1). A double gives it to
     * within a unit or two; exact 128-bit comparisons settle it (every
     * product is under 2^128: d <= w + 1, rest < h^2). */
    int64_t dy = 2 * py + 1 - (2 * y + h);
    uint64_t ady = (uint64_t)(dy < 0 ? -dy : dy);
    u128 h2 = (u128)(uint64_t)h * (uint64_t)h;
    uint64_t rest = (uint64_t)(h2 - (u128)ady * ady); /* ady <= h inside the box */
    u128 bound = (u128)(uint64_t)w * (uint64_t)w * rest;
    double est = sqrt((double)rest) * (double)w / (double)h;
    int64_t d = est < (double)w ? (int64_t)est : w;
    while (d > 0 && (u128)(uint64_t)d * (uint64_t)d * h2 > bound)
        d--;
    while ((u128)(uint64_t)(d + 1) * (uint64_t)(d + 1) * h2 <= bound)
        d++;
    if (((uint64_t)d ^ (uint64_t)(w + 1)) & 1u)
        d--;
    if (d < 0)
        return 0;
    *lo = (2 * x + w - 1 - d) / 2;
    *hi = (2 * x + w - 1 + d) / 2;
    return 1;
}

/* Order of the sweep: first row, then the rest of the region so that
 * identical regions end up next to each other. */
static int region_cmp(const void *a, const void *b)
{
    const fiie_region *p = a, *q = b;
    if (p->y != q->y)
        return (p->y > q->y) - (p->y < q->y);
    if (p->x != q->x)
        return (p->x > q->x) - (p->x < q->x);
    if (p->w != q->w)
        return (p->w > q->w) - (p->w < q->w);
    if (p->h != q->h)
        return (p->h > q->h) - (p->h < q->h);
    return (p->shape > q->shape) - (p->shape < q->shape);
}

static int same_region(const fiie_region *p, const fiie_region *q)
{
    return p->x == q->x && p->y == q->y && p->w == q->w && p->h == q->h &&
           p->shape == q->shape;
}

/* A rectangle spanning every column: its rows are whole rows. */
static int covers_width(const fiie_region *r, uint32_t width)
{
    return r->shape == FIIE_SHAPE_RECT && r->x <= 0 && (int64_t)r->x + r->w >= (int64_t)width;
}

/* Rows of r inside an image of the given height. */
static uint64_t rows_inside(const fiie_region *r, uint32_t height)
{
    int64_t y0 = r->y < 0 ? 0 : r->y;
    int64_t y1 = (int64_t)r->y + r->h;
    if (y1 > (int64_t)height)
        y1 = height;
    return y1 > y0 ? (uint64_t)(y1 - y0) : 0;
}

uint64_t mask_row_budget(uint32_t width, uint32_t height)
{
    return (uint64_t)width * height + MASK_ROW_BUDGET_EXTRA;
}

/* Rows covered whole by a full-width rectangle, marked in one pass over a
 * difference array (a region's rows are never walked one by one here). */
static int mark_full_rows(mask_rows *it, const fiie_mask *m)
{
    int32_t *depth = calloc((size_t)m->height + 1, sizeof *depth);
    it->full = malloc(m->height);
    if (!depth || !it->full) {
        free(depth);
        return FIIE_E_NO_MEMORY;
    }
    for (size_t i = 0; i < m->count; i++) {
        const fiie_region *r = &m->regions[i];
        if (!covers_width(r, m->width) || rows_inside(r, m->height) == 0)
            continue;
        int64_t y0 = r->y < 0 ? 0 : r->y;
        int64_t y1 = y0 + (int64_t)rows_inside(r, m->height);
        depth[y0]++;
        depth[y1]--;
    }
    int32_t d = 0;
    for (uint32_t y = 0; y < m->height; y++) {
        d += depth[y];
        it->full[y] = d > 0;
    }
    free(depth);
    return FIIE_OK;
}

int mask_rows_init(mask_rows *it, const fiie_mask *m)
{
    memset(it, 0, sizeof *it);
    it->m = m;
    size_t n = m->count ? m->count : 1;
    it->spans = malloc(n * sizeof *it->spans);
    it->order = malloc(n * sizeof *it->order);
    it->active = malloc(n * sizeof *it->active);
    if (!it->spans || !it->order || !it->active || mark_full_rows(it, m) != FIIE_OK) {
        mask_rows_release(it);
        return FIIE_E_NO_MEMORY;
    }
    /* Regions whose bounding box misses the image protect nothing here;
     * full-width rectangles are already in it->full. */
    size_t k = 0;
    for (size_t i = 0; i < m->count; i++) {
        const fiie_region *r = &m->regions[i];
        if ((int64_t)r->x + r->w <= 0 || r->x >= (int64_t)m->width ||
            rows_inside(r, m->height) == 0 || covers_width(r, m->width))
            continue;
        it->order[k++] = *r;
    }
    qsort(it->order, k, sizeof *it->order, region_cmp);
    size_t u = 0;
    uint64_t rows = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || !same_region(&it->order[u - 1], &it->order[i])) {
            it->order[u++] = it->order[i];
            rows += rows_inside(&it->order[u - 1], m->height);
        }
    it->n_order = u;
    it->last_row = -1;
    if (u > 16 && u * 8 > m->width) {
        it->edges = malloc(((size_t)m->width + 1) * sizeof *it->edges);
        if (!it->edges) {
            mask_rows_release(it);
            return FIIE_E_NO_MEMORY;
        }
    }
    /* The sweep evaluates each remaining region once per row it crosses:
     * refuse, before any row is walked, a list that would cost more than
     * the budget (format.md section 10). */
    if (rows > mask_row_budget(m->width, m->height)) {
        mask_rows_release(it);
        return FIIE_E_TOO_LARGE;
    }
    return FIIE_OK;
}

void mask_rows_release(mask_rows *it)
{
    free(it->spans);
    free(it->order);
    free(it->active);
    free(it->full);
    free(it->edges);
    it->edges = NULL;
    it->spans = NULL;
    it->order = NULL;
    it->active = NULL;
    it->full = NULL;
}

static int span_cmp(const void *a, const void *b)
{
    const mask_span *p = a, *q = b;
    return (p->x0 > q->x0) - (p->x0 < q->x0);
}

/* Union of n spans in O(n + width) (instead of sorting them) when there
 * are many per row: count how many start and end at each column. */
static size_t merge_by_count(mask_rows *it, mask_span *s, size_t n)
{
    uint32_t width = it->m->width;
    int32_t *edge = it->edges;
    memset(edge, 0, ((size_t)width + 1) * sizeof *edge);
    for (size_t i = 0; i < n; i++) {
        edge[s[i].x0]++;
        edge[s[i].x1]--;
    }
    size_t k = 0;
    int32_t depth = 0;
    for (uint32_t x = 0; x < width; x++) {
        int32_t before = depth;
        depth += edge[x];
        if (before == 0 && depth > 0)
            s[k].x0 = x;
        else if (before > 0 && depth == 0)
            s[k++].x1 = x;
    }
    if (depth > 0)
        s[k++].x1 = width;
    return k;
}

/* Bring the active list to row py: add regions starting at or above it,
 * drop those that ended above it. */
static void advance_to(mask_rows *it, uint32_t py)
{
    if ((int64_t)py < it->last_row) {
        it->next = 0;
        it->n_active = 0;
    }
    it->last_row = py;
    while (it->next < it->n_order && it->order[it->next].y <= (int64_t)py)
        it->active[it->n_active++] = (uint32_t)it->next++;
    size_t k = 0;
    for (size_t i = 0; i < it->n_active; i++) {
        const fiie_region *r = &it->order[it->active[i]];
        if ((int64_t)r->y + r->h > (int64_t)py)
            it->active[k++] = it->active[i];
    }
    it->n_active = k;
}

size_t mask_row_spans(mask_rows *it, uint32_t py, const mask_span **out)
{
    const fiie_mask *m = it->m;
    mask_span *s = it->spans;
    size_t n = 0;
    *out = s;
    advance_to(it, py);
    if (it->full[py]) {
        s[0] = (mask_span){0, m->width};
        return 1;
    }
    for (size_t i = 0; i < it->n_active; i++) {
        int64_t lo, hi;
        it->evaluated++;
        if (!region_row(&it->order[it->active[i]], py, &lo, &hi))
            continue;
        if (lo < 0)
            lo = 0;
        if (hi >= (int64_t)m->width)
            hi = (int64_t)m->width - 1;
        if (lo > hi)
            continue;
        if (lo == 0 && hi == (int64_t)m->width - 1) {
            /* The whole row: no other region can add anything. */
            s[0] = (mask_span){0, m->width};
            return 1;
        }
        s[n++] = (mask_span){(uint32_t)lo, (uint32_t)hi + 1};
    }
    if (n > 1) {
        if (n <= 16) {
            for (size_t i = 1; i < n; i++) {
                mask_span v = s[i];
                size_t j = i;
                for (; j > 0 && s[j - 1].x0 > v.x0; j--)
                    s[j] = s[j - 1];
                s[j] = v;
            }
        } else if (n * 8 > m->width) {
            return merge_by_count(it, s, n);
        } else {
            qsort(s, n, sizeof *s, span_cmp);
        }
        size_t k = 0;
        for (size_t i = 1; i < n; i++) {
            if (s[i].x0 <= s[k].x1) {
                if (s[i].x1 > s[k].x1)
                    s[k].x1 = s[i].x1;
            } else {
                s[++k] = s[i];
            }
        }
        n = k + 1;
    }
    return n;
}

int fiie_mask_pixel_count(const fiie_mask *m, uint64_t *count)
{
    if (!m || !count)
        return FIIE_E_INVALID_ARGUMENT;
    *count = 0;
    mask_rows it;
    int rc = mask_rows_init(&it, m);
    if (rc != FIIE_OK)
        return rc;
    uint64_t total = 0;
    for (uint32_t py = 0; py < m->height; py++) {
        const mask_span *s;
        size_t n = mask_row_spans(&it, py, &s);
        for (size_t i = 0; i < n; i++)
            total += s[i].x1 - s[i].x0;
    }
    mask_rows_release(&it);
    *count = total;
    return FIIE_OK;
}

int fiie_mask_rasterize(const fiie_mask *m, uint8_t *out, size_t stride)
{
    if (!m || !out)
        return FIIE_E_INVALID_ARGUMENT;
    if (stride == 0)
        stride = m->width;
    if (stride < m->width)
        return FIIE_E_INVALID_ARGUMENT;
    mask_rows it;
    int rc = mask_rows_init(&it, m);
    if (rc != FIIE_OK)
        return rc;
    for (uint32_t py = 0; py < m->height; py++) {
        uint8_t *row = out + (size_t)py * stride;
        memset(row, 0, m->width);
        const mask_span *s;
        size_t n = mask_row_spans(&it, py, &s);
        for (size_t i = 0; i < n; i++)
            memset(row + s[i].x0, 255, s[i].x1 - s[i].x0);
    }
    mask_rows_release(&it);
    return FIIE_OK;
}
