/* JPEG marker structure: completeness check and EXIF lookup. */
#ifndef FIIE_LIB_JPEG_H
#define FIIE_LIB_JPEG_H

#include <stddef.h>
#include <stdint.h>

/* Walk the marker segments and entropy-coded data from SOI to EOI.
 * A file that ends before EOI is rejected as truncated: stb would decode
 * it "successfully" with the missing part filled in, and a silently
 * partial image must never be encrypted or published. Bytes after EOI are
 * ignored. *exif / *exif_size receive the TIFF data of the first APP1
 * "Exif" segment (NULL / 0 when there is none).
 * Returns 0 or FIIE_E_IMAGE_FORMAT. */
int fiie_jpeg_validate(const uint8_t *jpg, size_t size, const uint8_t **exif,
                       size_t *exif_size);

#endif
