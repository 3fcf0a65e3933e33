/* EXIF orientation: reading tag 0x0112 and applying it to decoded pixels. */
#ifndef FIIE_LIB_EXIF_H
#define FIIE_LIB_EXIF_H

#include <stddef.h>
#include <stdint.h>

#include "fiie/image.h"

/* Orientation (1..8) stored in IFD0 of EXIF TIFF data (the bytes after
 * "Exif\0\0"), either byte order. Missing, malformed or out-of-range
 * values give 1 (as stored): bad metadata never makes an image
 * unreadable. */
int fiie_exif_orientation(const uint8_t *tiff, size_t size);

/* New packed image of src transformed so that it displays upright for
 * EXIF orientation 1..8 (5..8 swap width and height). dst must not be
 * src. Returns 0, FIIE_E_INVALID_ARGUMENT or FIIE_E_NO_MEMORY. */
int fiie_image_orient(fiie_image *dst, const fiie_image *src, int orientation);

#endif
