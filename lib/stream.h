/* The region stream of an image under a mask (format section 2): the R,
 * G, B bytes of the protected pixels in raster order, read and written
 * piecewise through cursors, so that the cipher never needs a copy of
 * the whole stream. */
#ifndef FIIE_LIB_STREAM_H
#define FIIE_LIB_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "fiie/image.h"
#include "mask.h"

typedef struct fiie_rs {
    const fiie_mask *m;
    fiie_image *img;
    size_t ch;          /* bytes per pixel */
    size_t ro, bo;      /* offsets of R and B inside a pixel */
    uint64_t *row_px;   /* height + 1 prefix sums: protected pixels before row y */
    uint64_t pixels;    /* protected pixels in total */
} fiie_rs;

/* One pass over the mask rows. 0 or FIIE_E_NO_MEMORY. The image must
 * have been validated and match the mask's size. */
int fiie_rs_init(fiie_rs *rs, fiie_image *img, const fiie_mask *m);
void fiie_rs_release(fiie_rs *rs);

typedef struct fiie_rs_cursor {
    const fiie_rs *rs;
    fiie_mask_rows rows;
    uint32_t py;             /* current row */
    const fiie_span *sp;     /* its spans */
    size_t nsp;
    size_t si;               /* current span */
    uint32_t px;             /* current column inside span si */
} fiie_rs_cursor;

/* 0 or FIIE_E_NO_MEMORY; the cursor then stands at pixel 0. */
int fiie_rs_cursor_init(fiie_rs_cursor *c, const fiie_rs *rs);
void fiie_rs_cursor_release(fiie_rs_cursor *c);

/* Move to protected pixel number `pixel` (< rs->pixels). */
void fiie_rs_seek(fiie_rs_cursor *c, uint64_t pixel);

/* Copy the next npx protected pixels out of (gather) or into (scatter)
 * the image as 3*npx stream bytes, and advance. */
void fiie_rs_gather(fiie_rs_cursor *c, uint8_t *dst, size_t npx);
void fiie_rs_scatter(fiie_rs_cursor *c, const uint8_t *src, size_t npx);

#endif /* FIIE_LIB_STREAM_H */
