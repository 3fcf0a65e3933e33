/* Internal view of a mask: per-row spans of protected pixels, in raster
 * order. The cipher walks these spans to gather and scatter the region
 * stream without testing pixels one by one. */
#ifndef FIIE_LIB_MASK_H
#define FIIE_LIB_MASK_H

#include "fiie/mask.h"

#ifndef __SIZEOF_INT128__
#error "libfiie needs a compiler with unsigned __int128 (gcc, clang)"
#endif

/** Half-open run [x0, x1) of protected pixels in one row. */
typedef struct fiie_span {
    uint32_t x0;
    uint32_t x1;
} fiie_span;

/** Row walker. Work per row is bounded by the regions that cross the row
 *  (a sweep over regions sorted by first row; identical regions and
 *  regions missing the image dropped once), and a row that one region
 *  covers entirely is finished at once: a hostile header of 65535 regions
 *  cannot make every row test every region. */
typedef struct fiie_mask_rows {
    const fiie_mask *m;
    fiie_span *spans;     /* scratch, one per region */
    fiie_region *order;   /* distinct regions meeting the image, by first row */
    uint32_t *active;     /* indices into order of regions crossing the row */
    size_t n_order;
    size_t next;          /* first region of order not yet activated */
    size_t n_active;
    int64_t last_row;     /* rows must not go backwards without a restart */
    uint64_t evaluated;   /* region/row evaluations so far (tests bound the work) */
} fiie_mask_rows;

/* 0 or FIIE_E_NO_MEMORY. */
int fiie_mask_rows_init(fiie_mask_rows *it, const fiie_mask *m);
void fiie_mask_rows_release(fiie_mask_rows *it);

/* Sorted, disjoint, non-adjacent spans of row py (< height); returns their
 * count and points *out at them (valid until the next call). Cheapest when
 * rows are visited in increasing order; any order is correct. */
size_t fiie_mask_row_spans(fiie_mask_rows *it, uint32_t py, const fiie_span **out);

#endif /* FIIE_LIB_MASK_H */
