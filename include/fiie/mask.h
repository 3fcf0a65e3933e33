/**
 * @file fiie/mask.h
 * @brief Which pixels get protected: a set of rectangles and ellipses bound
 *        to one image size (FIIE v1 format, docs/format.md section 2).
 *
 * A mask is a list of regions. Each region is an axis-aligned rectangle
 * `{x, y, w, h}` (x, y may be negative; w, h >= 1) or the ellipse inscribed
 * in it. A pixel is protected when it lies in at least one region and in
 * the image; regions may reach far outside the image and are simply
 * clipped. The membership test is exact integer arithmetic, so every
 * implementation protects exactly the same pixels.
 *
 * The mask module does not depend on the face detector: face boxes are
 * passed as four floats to fiie_mask_add_box().
 *
 * Thread safety: functions taking a `const fiie_mask *` only read it, so
 * any number of threads may query, rasterize or encrypt with one mask at
 * once; fiie_mask_add_region(), fiie_mask_add_box() and fiie_mask_free()
 * modify it and must not run concurrently with any other use of that
 * mask. Different masks are independent.
 */
#ifndef FIIE_MASK_H
#define FIIE_MASK_H

#include "fiie/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Region shapes. Values are the ones stored in protected files (frozen). */
typedef enum fiie_shape {
    FIIE_SHAPE_RECT = 0,     /**< the rectangle itself */
    FIIE_SHAPE_ELLIPSE = 1,  /**< the ellipse inscribed in the rectangle */
} fiie_shape;

/** One region: shape and bounding rectangle in pixel units. */
typedef struct fiie_region {
    int32_t shape;  /**< a fiie_shape value */
    int32_t x;      /**< left column of the bounding rectangle (may be negative) */
    int32_t y;      /**< top row of the bounding rectangle (may be negative) */
    uint32_t w;     /**< width of the bounding rectangle, >= 1 */
    uint32_t h;     /**< height of the bounding rectangle, >= 1 */
} fiie_region;

/**
 * Most regions one mask can hold. It equals the largest count a FIIE v1
 * header can record (a 16-bit field), so every valid protected file can be
 * turned back into a mask.
 */
#define FIIE_MAX_REGIONS 65535u

/** Box enlargement used by the CLI and bindings when none is given. */
#define FIIE_MASK_DEFAULT_SCALE 1.6f
/** Region shape used by the CLI and bindings when none is given. */
#define FIIE_MASK_DEFAULT_SHAPE FIIE_SHAPE_ELLIPSE

/** Opaque mask handle (one thread at a time). */
typedef struct fiie_mask fiie_mask;

/**
 * @brief FIIE_MAX_REGIONS as a function (for FFI bindings).
 * @return the largest number of regions a mask can hold.
 */
FIIE_API size_t fiie_mask_max_regions(void);

/**
 * @brief Create an empty mask for images of the given size.
 * @param out    receives the new mask (NULL on error)
 * @param width  image width, 1..FIIE_MAX_DIMENSION
 * @param height image height, 1..FIIE_MAX_DIMENSION
 * @return 0, FIIE_E_INVALID_ARGUMENT (NULL out, zero width or height),
 *         FIIE_E_TOO_LARGE (over FIIE_MAX_DIMENSION or FIIE_MAX_PIXELS) or
 *         FIIE_E_NO_MEMORY.
 */
FIIE_NODISCARD
FIIE_API int fiie_mask_new(fiie_mask **out, uint32_t width, uint32_t height);

/**
 * @brief Release a mask.
 * @param m mask, or NULL (then nothing happens)
 */
FIIE_API void fiie_mask_free(fiie_mask *m);

/**
 * @brief Image width the mask was created for.
 * @param m mask (NULL gives 0)
 * @return the width in pixels.
 */
FIIE_API uint32_t fiie_mask_width(const fiie_mask *m);

/**
 * @brief Image height the mask was created for.
 * @param m mask (NULL gives 0)
 * @return the height in pixels.
 */
FIIE_API uint32_t fiie_mask_height(const fiie_mask *m);

/**
 * @brief Add one region given in pixel units.
 *
 * The region may lie partly or entirely outside the image; only its
 * pixels inside the image count.
 * @param m     mask
 * @param shape FIIE_SHAPE_RECT or FIIE_SHAPE_ELLIPSE
 * @param x     left column (any int32 value)
 * @param y     top row (any int32 value)
 * @param w     width, >= 1
 * @param h     height, >= 1
 * @return 0, FIIE_E_INVALID_ARGUMENT (NULL, unknown shape, zero size),
 *         FIIE_E_TOO_LARGE (already FIIE_MAX_REGIONS regions) or
 *         FIIE_E_NO_MEMORY.
 */
FIIE_NODISCARD
FIIE_API int fiie_mask_add_region(fiie_mask *m, int32_t shape, int32_t x, int32_t y,
                                  uint32_t w, uint32_t h);

/**
 * @brief Add a region derived from a detection box `[x1, y1, x2, y2]`.
 *
 * The box is scaled by `scale` about its centre, then rounded outward to
 * whole pixels (left/top with floor, right/bottom with ceil, in IEEE
 * double arithmetic, so the result is the same on every platform). A face
 * box is tight around the eyes and mouth; enlarging it (default
 * FIIE_MASK_DEFAULT_SCALE) also covers hair, ears and chin.
 * @param m     mask
 * @param x1    left edge (pixels, 0-based)
 * @param y1    top edge
 * @param x2    right edge, > x1
 * @param y2    bottom edge, > y1
 * @param scale enlargement factor, > 0 and finite
 * @param shape FIIE_SHAPE_RECT or FIIE_SHAPE_ELLIPSE
 * @return 0, FIIE_E_INVALID_ARGUMENT (NULL, NaN/infinite values, empty
 *         box, bad scale or shape), FIIE_E_TOO_LARGE (the scaled box does
 *         not fit the int32/uint32 region fields, or the mask is full) or
 *         FIIE_E_NO_MEMORY.
 */
FIIE_NODISCARD
FIIE_API int fiie_mask_add_box(fiie_mask *m, float x1, float y1, float x2, float y2,
                               float scale, int32_t shape);

/**
 * @brief Number of regions added so far.
 * @param m mask (NULL gives 0)
 * @return the region count.
 */
FIIE_API size_t fiie_mask_region_count(const fiie_mask *m);

/**
 * @brief Copy out one region.
 * @param m     mask
 * @param index 0 .. fiie_mask_region_count() - 1
 * @param out   receives the region
 * @return 0, FIIE_E_INVALID_ARGUMENT (NULL) or FIIE_E_NOT_FOUND (index out
 *         of range).
 */
FIIE_NODISCARD
FIIE_API int fiie_mask_get_region(const fiie_mask *m, size_t index, fiie_region *out);

/**
 * @brief Test one pixel with the exact membership rule (exact also for
 *        ellipses whose products pass 2^128; it costs one test per region).
 * @param m  mask (NULL gives 0)
 * @param px column
 * @param py row
 * @return 1 when the pixel is inside the image and inside at least one
 *         region, otherwise 0.
 */
FIIE_API int fiie_mask_contains(const fiie_mask *m, int64_t px, int64_t py);

/**
 * @brief Count the protected pixels (each counted once).
 *
 * The region stream of an image under this mask is 3 times this many
 * bytes.
 * @param m     mask
 * @param count receives the number of protected pixels
 * @return 0, FIIE_E_INVALID_ARGUMENT (NULL m or count), FIIE_E_TOO_LARGE
 *         (regions over the work budget, docs/format.md section 10:
 *         refused before any row is walked) or FIIE_E_NO_MEMORY.
 */
FIIE_NODISCARD
FIIE_API int fiie_mask_pixel_count(const fiie_mask *m, uint64_t *count);

/**
 * @brief Draw the mask as an 8-bit bitmap (255 protected, 0 not), e.g. for
 *        previews.
 * @param m      mask
 * @param out    first byte of a width x height bitmap
 * @param stride bytes between bitmap rows, >= width (0 means width)
 * @return 0, FIIE_E_INVALID_ARGUMENT (NULL m or out, stride smaller than
 *         the width), FIIE_E_TOO_LARGE (regions over the work budget,
 *         docs/format.md section 10) or FIIE_E_NO_MEMORY. Padding bytes
 *         beyond `width` in each row are not written.
 */
FIIE_NODISCARD
FIIE_API int fiie_mask_rasterize(const fiie_mask *m, uint8_t *out, size_t stride);

#ifdef __cplusplus
}
#endif

#endif /* FIIE_MASK_H */
