/* Internal helpers of the image module shared by the loader, the PNG
 * writer and the EXIF orientation code. */
#ifndef FIIE_LIB_IMAGE_IMAGE_H
#define FIIE_LIB_IMAGE_IMAGE_H

#include "fiie/image.h"

/* Zero *img and take ownership of a malloc()ed, tightly packed buffer. */
void image_adopt(fiie_image *img, uint8_t *data, uint32_t width, uint32_t height,
                      int32_t format);

/* Exchange the first and third byte of every pixel (RGB <-> BGR) in place. */
void image_swap_rb(fiie_image *img);

/* Does the format put red first (RGB8/RGBA8)? */
int image_format_is_rgb_order(int32_t format);

#endif /* FIIE_LIB_IMAGE_IMAGE_H */
