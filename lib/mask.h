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

/** Row walker; holds a scratch array of one span per region. */
typedef struct fiie_mask_rows {
    const fiie_mask *m;
    fiie_span *spans;
} fiie_mask_rows;

/* 0 or FIIE_E_NO_MEMORY. */
int fiie_mask_rows_init(fiie_mask_rows *it, const fiie_mask *m);
void fiie_mask_rows_release(fiie_mask_rows *it);

/* Sorted, disjoint, non-adjacent spans of row py (< height); returns their
 * count and points *out at them (valid until the next call). */
size_t fiie_mask_row_spans(fiie_mask_rows *it, uint32_t py, const fiie_span **out);

#endif /* FIIE_LIB_MASK_H */
