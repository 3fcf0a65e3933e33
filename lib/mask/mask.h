/* mask/: interface of lib/mask to the cipher: row spans and the region stream. */
#ifndef FIIE_LIB_MASK_MASK_H
#define FIIE_LIB_MASK_MASK_H

/* ==== mask/mask.h */
/* Internal view of a mask: per-row spans of protected pixels, in raster
 * order. The cipher walks these spans to gather and scatter the region
 * stream without testing pixels one by one. */

#include "fiie/mask.h"

#ifndef __SIZEOF_INT128__
#error "libfiie needs a compiler with unsigned __int128 (gcc, clang)"
#endif

/** Half-open run [x0, x1) of protected pixels in one row. */
typedef struct mask_span {
    uint32_t x0;
    uint32_t x1;
} mask_span;

/** Row walker. Work per row is bounded by the regions that cross the row
 *  (a sweep over regions sorted by first row; identical regions and
 *  regions missing the image dropped once), and a row that one region
 *  covers entirely is finished at once: a hostile header of 65535 regions
 *  cannot make every row test every region. */
typedef struct mask_rows {
    const fiie_mask *m;
    mask_span *spans;     /* scratch, one per region */
    fiie_region *order;   /* distinct regions meeting the image, by first row */
    uint32_t *active;     /* indices into order of regions crossing the row */
    size_t n_order;
    size_t next;          /* first region of order not yet activated */
    size_t n_active;
    int64_t last_row;     /* rows must not go backwards without a restart */
    uint64_t evaluated;   /* region/row evaluations so far (tests bound the work) */
} mask_rows;

/* 0 or FIIE_E_NO_MEMORY. */
int mask_rows_init(mask_rows *it, const fiie_mask *m);
void mask_rows_release(mask_rows *it);

/* Sorted, disjoint, non-adjacent spans of row py (< height); returns their
 * count and points *out at them (valid until the next call). Cheapest when
 * rows are visited in increasing order; any order is correct. */
size_t mask_row_spans(mask_rows *it, uint32_t py, const mask_span **out);

/* ==== stream.h */
/* The region stream of an image under a mask (format section 2): the R,
 * G, B bytes of the protected pixels in raster order, read and written
 * piecewise through cursors, so that the cipher never needs a copy of
 * the whole stream. */

#include <stddef.h>
#include <stdint.h>

#include "fiie/image.h"

typedef struct mask_stream {
    const fiie_mask *m;
    fiie_image *img;
    size_t ch;          /* bytes per pixel */
    size_t ro, bo;      /* offsets of R and B inside a pixel */
    uint64_t *row_px;   /* height + 1 prefix sums: protected pixels before row y */
    uint64_t pixels;    /* protected pixels in total */
} mask_stream;

/* One pass over the mask rows. 0 or FIIE_E_NO_MEMORY. The image must
 * have been validated and match the mask's size. */
int mask_stream_init(mask_stream *rs, fiie_image *img, const fiie_mask *m);
void mask_stream_release(mask_stream *rs);

typedef struct mask_cursor {
    const mask_stream *rs;
    mask_rows rows;
    uint32_t py;             /* current row */
    const mask_span *sp;     /* its spans */
    size_t nsp;
    size_t si;               /* current span */
    uint32_t px;             /* current column inside span si */
} mask_cursor;

/* 0 or FIIE_E_NO_MEMORY; the cursor then stands at pixel 0. */
int mask_cursor_init(mask_cursor *c, const mask_stream *rs);
void mask_cursor_release(mask_cursor *c);

/* Move to protected pixel number `pixel` (< rs->pixels). */
void mask_cursor_seek(mask_cursor *c, uint64_t pixel);

/* Copy the next npx protected pixels out of (gather) or into (scatter)
 * the image as 3*npx stream bytes, and advance. */
void mask_cursor_gather(mask_cursor *c, uint8_t *dst, size_t npx);
void mask_cursor_scatter(mask_cursor *c, const uint8_t *src, size_t npx);

#endif /* FIIE_LIB_MASK_MASK_H */
