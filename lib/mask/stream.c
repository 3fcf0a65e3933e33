/* Region-stream cursors (see stream.h). */
#include <stdlib.h>
#include <string.h>

#include "mask/mask.h"

int mask_stream_init(mask_stream *rs, fiie_image *img, const fiie_mask *m)
{
    memset(rs, 0, sizeof *rs);
    rs->m = m;
    rs->img = img;
    int f = img->format;
    rs->ch = (f == FIIE_PIXEL_RGBA8 || f == FIIE_PIXEL_BGRA8) ? 4 : 3;
    int bgr = f == FIIE_PIXEL_BGR8 || f == FIIE_PIXEL_BGRA8;
    rs->ro = bgr ? 2 : 0;
    rs->bo = bgr ? 0 : 2;
    mask_rows it;
    int rc = mask_rows_init(&it, m);
    if (rc != FIIE_OK)
        return rc;
    rs->row_px = malloc(((size_t)img->height + 1) * sizeof *rs->row_px);
    if (!rs->row_px) {
        mask_rows_release(&it);
        return FIIE_E_NO_MEMORY;
    }
    uint64_t total = 0;
    for (uint32_t y = 0; y < img->height; y++) {
        rs->row_px[y] = total;
        const mask_span *s;
        size_t n = mask_row_spans(&it, y, &s);
        for (size_t i = 0; i < n; i++)
            total += s[i].x1 - s[i].x0;
    }
    rs->row_px[img->height] = total;
    rs->pixels = total;
    mask_rows_release(&it);
    return FIIE_OK;
}

void mask_stream_release(mask_stream *rs)
{
    free(rs->row_px);
    rs->row_px = NULL;
}

static void load_row(mask_cursor *c, uint32_t y)
{
    c->py = y;
    c->nsp = mask_row_spans(&c->rows, y, &c->sp);
    c->si = 0;
    c->px = c->nsp ? c->sp[0].x0 : 0;
}

/* Step to the next row that has protected pixels (if any is left). */
static void next_row(mask_cursor *c)
{
    const mask_stream *rs = c->rs;
    uint32_t y = c->py + 1;
    while (y < rs->img->height && rs->row_px[y + 1] == rs->row_px[y])
        y++;
    if (y < rs->img->height)
        load_row(c, y);
    else
        c->py = y, c->nsp = 0;
}

int mask_cursor_init(mask_cursor *c, const mask_stream *rs)
{
    memset(c, 0, sizeof *c);
    c->rs = rs;
    int rc = mask_rows_init(&c->rows, rs->m);
    if (rc != FIIE_OK)
        return rc;
    if (rs->pixels > 0)
        mask_cursor_seek(c, 0);
    return FIIE_OK;
}

void mask_cursor_release(mask_cursor *c)
{
    mask_rows_release(&c->rows);
}

void mask_cursor_seek(mask_cursor *c, uint64_t pixel)
{
    const uint64_t *r = c->rs->row_px;
    /* Last row y with r[y] <= pixel < r[y + 1]: binary search. */
    uint32_t lo = 0, hi = c->rs->img->height; /* r[lo] <= pixel < r[hi] */
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (r[mid] <= pixel)
            lo = mid;
        else
            hi = mid;
    }
    load_row(c, lo);
    uint64_t skip = pixel - r[lo];
    while (skip >= (uint64_t)(c->sp[c->si].x1 - c->sp[c->si].x0)) {
        skip -= c->sp[c->si].x1 - c->sp[c->si].x0;
        c->si++;
    }
    c->px = c->sp[c->si].x0 + (uint32_t)skip;
}

/* Run of pixels available at the cursor: start pointer and count. */
static uint8_t *run_at(const mask_cursor *c, size_t *avail)
{
    const mask_stream *rs = c->rs;
    *avail = c->sp[c->si].x1 - c->px;
    return rs->img->data + (size_t)c->py * rs->img->stride + (size_t)c->px * rs->ch;
}

static void advance(mask_cursor *c, size_t n)
{
    c->px += (uint32_t)n;
    if (c->px == c->sp[c->si].x1) {
        if (++c->si < c->nsp)
            c->px = c->sp[c->si].x0;
        else
            next_row(c);
    }
}

void mask_cursor_gather(mask_cursor *c, uint8_t *dst, size_t npx)
{
    const mask_stream *rs = c->rs;
    const size_t ch = rs->ch, ro = rs->ro, bo = rs->bo;
    while (npx > 0) {
        size_t avail;
        const uint8_t *p = run_at(c, &avail);
        size_t n = avail < npx ? avail : npx;
        if (ch == 3 && ro == 0) {
            memcpy(dst, p, n * 3);
            dst += n * 3;
        } else {
            for (size_t k = 0; k < n; k++, p += ch, dst += 3) {
                dst[0] = p[ro];
                dst[1] = p[1];
                dst[2] = p[bo];
            }
        }
        npx -= n;
        advance(c, n);
    }
}

void mask_cursor_scatter(mask_cursor *c, const uint8_t *src, size_t npx)
{
    const mask_stream *rs = c->rs;
    const size_t ch = rs->ch, ro = rs->ro, bo = rs->bo;
    while (npx > 0) {
        size_t avail;
        uint8_t *p = run_at(c, &avail);
        size_t n = avail < npx ? avail : npx;
        if (ch == 3 && ro == 0) {
            memcpy(p, src, n * 3);
            src += n * 3;
        } else {
            for (size_t k = 0; k < n; k++, p += ch, src += 3) {
                p[ro] = src[0];
                p[1] = src[1];
                p[bo] = src[2];
            }
        }
        npx -= n;
        advance(c, n);
    }
}
