/* Drawing detection results onto an image for a person to check
 * (fiie detect --draw, fiie demo preview). Pure pixel code; uses only the
 * fiie_image struct layout. */
#ifndef FIIE_CLI_DRAW_H
#define FIIE_CLI_DRAW_H

#include <stdint.h>

#include "fiie/image.h"

/** Outline of the rectangle [x1, x2) x [y1, y2) rounded to pixels,
 * `thick` pixels wide, clipped to the image. Colour given as R, G, B
 * whatever the pixel format; alpha set to 255. */
void draw_box(fiie_image *img, double x1, double y1, double x2, double y2, int thick,
              const uint8_t rgb[3]);

/** Filled square of side 2*radius+1 centred on (x, y), clipped. */
void draw_dot(fiie_image *img, double x, double y, int radius, const uint8_t rgb[3]);

/** Blend a colour into the pixels where bitmap != 0 (alpha 0..256). */
void draw_tint(fiie_image *img, const uint8_t *bitmap, size_t bstride, const uint8_t rgb[3],
               unsigned alpha);

/** Colour the border pixels of the bitmap's regions (a pixel where bitmap
 * != 0 with a 4-neighbour where it is 0, or on the image edge): the exact
 * outline of a mask, as `encrypt --dry-run --draw` shows it. */
void draw_outline(fiie_image *img, const uint8_t *bitmap, size_t bstride, const uint8_t rgb[3]);

#endif
