/**
 * @file fiie/image.h
 * @brief The plain pixel buffer every libfiie API works on, and image files.
 *
 * `fiie_image` is a plain struct (no hidden state) so that callers can point
 * it at their own memory: a camera frame, a numpy array, a decoded video
 * frame. Its layout is frozen forever.
 *
 * Files: PNG, JPEG, BMP and TGA are read (JPEG EXIF orientation applied).
 * Before any pixel is decoded the file structure is checked (every PNG
 * CRC; JPEG segments up to EOI; BMP/TGA pixel data present), so truncated
 * or damaged files are refused rather than decoded with filler pixels.
 * PNG is written, optionally with one private chunk after IHDR (used for the
 * `fiIE` header of protected images). Every write is atomic: the data goes
 * to a temporary file in the destination directory which is renamed over the
 * destination only when complete, so a failure never leaves a partial file.
 * Written PNGs carry no metadata (no EXIF, GPS, text or thumbnail).
 */
#ifndef FIIE_IMAGE_H
#define FIIE_IMAGE_H

#include "fiie/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Pixel layouts: 8 bits per channel, interleaved. Values are frozen. */
typedef enum fiie_pixel_format {
    FIIE_PIXEL_RGB8 = 1,   /**< R, G, B */
    FIIE_PIXEL_RGBA8 = 2,  /**< R, G, B, A */
    FIIE_PIXEL_BGR8 = 3,   /**< B, G, R (OpenCV order) */
    FIIE_PIXEL_BGRA8 = 4,  /**< B, G, R, A */
} fiie_pixel_format;

/** fiie_image::flags bit: `data` was allocated by libfiie and is released by fiie_image_free(). */
#define FIIE_IMAGE_OWNS_DATA 1u

/** Largest width or height accepted anywhere in the library. */
#define FIIE_MAX_DIMENSION 65535u
/** Largest pixel count (width * height) accepted anywhere in the library. */
#define FIIE_MAX_PIXELS (1u << 28)

/**
 * @brief An 8-bit interleaved image. Layout frozen forever.
 *
 * Row `y` starts at `data + y * stride`; a row holds `width` pixels of
 * fiie_pixel_format_channels(format) bytes. `stride` may exceed a row
 * (padding is never read or written).
 */
typedef struct fiie_image {
    uint8_t *data;    /**< first byte of the top row */
    uint32_t width;   /**< pixels per row, 1..FIIE_MAX_DIMENSION */
    uint32_t height;  /**< rows, 1..FIIE_MAX_DIMENSION */
    size_t stride;    /**< bytes from one row to the next, >= width * channels */
    int32_t format;   /**< a fiie_pixel_format value */
    uint32_t flags;   /**< FIIE_IMAGE_OWNS_DATA or 0; other bits zero */
} fiie_image;

/**
 * @brief Bytes per pixel of a format.
 * @param format a fiie_pixel_format value
 * @return 3 or 4, or FIIE_E_INVALID_ARGUMENT for an unknown format.
 */
FIIE_API int fiie_pixel_format_channels(int32_t format);

/**
 * @brief Check that an image struct is usable: data non-NULL, sizes within
 *        the limits, stride large enough, known format, no row-offset
 *        overflow, no unknown flag bits.
 * @param img image to check, or NULL (FIIE_E_INVALID_ARGUMENT)
 * @return 0, FIIE_E_INVALID_ARGUMENT or FIIE_E_TOO_LARGE.
 */
FIIE_NODISCARD
FIIE_API int fiie_image_validate(const fiie_image *img);

/**
 * @brief Describe caller-owned memory as an image (nothing is copied).
 *
 * fiie_image_free() on a wrapped image does not release `data`.
 * @param img    struct to fill
 * @param data   first byte of the top row, owned by the caller
 * @param width  pixels per row
 * @param height rows
 * @param stride bytes between rows; 0 means tightly packed
 * @param format a fiie_pixel_format
 * @return 0, FIIE_E_INVALID_ARGUMENT (NULL img or data, zero width or
 *         height, unknown format, stride smaller than a row) or
 *         FIIE_E_TOO_LARGE (width, height or pixel count over the limits,
 *         or the last row not addressable). img is zeroed on error.
 */
FIIE_NODISCARD
FIIE_API int fiie_image_wrap(fiie_image *img, uint8_t *data, uint32_t width,
                             uint32_t height, size_t stride, int32_t format);

/**
 * @brief Allocate a zero-filled, tightly packed image.
 * @param img    struct to fill; release with fiie_image_free()
 * @param width  pixels per row
 * @param height rows
 * @param format a fiie_pixel_format
 * @return 0, FIIE_E_INVALID_ARGUMENT, FIIE_E_TOO_LARGE (checked before any
 *         allocation) or FIIE_E_NO_MEMORY. img is zeroed on error.
 */
FIIE_NODISCARD
FIIE_API int fiie_image_alloc(fiie_image *img, uint32_t width, uint32_t height,
                              int32_t format);

/**
 * @brief Release an image's pixels if libfiie owns them (flags has
 *        FIIE_IMAGE_OWNS_DATA), wiping them first (they may be faces), and
 *        zero the struct. Wrapped (caller-owned) pixels are left as they are.
 * @param img image, or NULL (then nothing happens)
 */
FIIE_API void fiie_image_free(fiie_image *img);

/**
 * @brief Convert between pixel formats into a newly allocated image.
 *
 * Adding alpha sets it to 255; removing it drops it. The result is tightly
 * packed and owned (release with fiie_image_free()).
 * @param dst    image to fill; must not be `src` (FIIE_E_INVALID_ARGUMENT)
 * @param src    image to read
 * @param format any fiie_pixel_format, including the one of src (a copy)
 * @return 0, FIIE_E_INVALID_ARGUMENT (NULL dst, dst == src, src fails
 *         fiie_image_validate(), unknown format), FIIE_E_TOO_LARGE (src
 *         over the limits) or FIIE_E_NO_MEMORY. dst is zeroed on error,
 *         unless it is src.
 */
FIIE_NODISCARD
FIIE_API int fiie_image_convert(fiie_image *dst, const fiie_image *src, int32_t format);

/**
 * @brief Options for fiie_image_load(). Initialise with fiie_load_options_init().
 *
 * A struct with another ABI major gives FIIE_E_VERSION; non-zero
 * `reserved` bytes or an unknown `format` give FIIE_E_INVALID_ARGUMENT.
 */
typedef struct fiie_load_options {
    uint32_t abi_version;      /**< set by the init function; checked by the loader */
    uint32_t apply_orientation;/**< non-zero (default): rotate/flip JPEGs by their EXIF orientation */
    uint64_t max_pixels;       /**< refuse larger images (FIIE_E_TOO_LARGE) before decoding;
                                    default FIIE_MAX_PIXELS, larger values and 0 mean FIIE_MAX_PIXELS */
    int32_t format;            /**< 0 (default): RGB8, or RGBA8 when the file has alpha (alpha
                                    channel or PNG tRNS); or any fiie_pixel_format to force it
                                    (alpha added as 255 or dropped) */
    uint8_t reserved[44];      /**< zero; room for later options */
} fiie_load_options;

/**
 * @brief Initialise load options to their defaults (use the macro form).
 * @param o           options to fill
 * @param abi_version FIIE_ABI_VERSION of the caller's headers
 * @return 0, FIIE_E_INVALID_ARGUMENT or FIIE_E_VERSION (major mismatch).
 */
FIIE_API int fiie_load_options_init_v(fiie_load_options *o, int abi_version);
/** Initialise load options to their defaults for the headers in use. */
#define fiie_load_options_init(o) fiie_load_options_init_v((o), FIIE_ABI_VERSION)

/**
 * @brief Decode a PNG, JPEG, BMP or TGA file into a new RGB8/RGBA8 image
 *        (or the format forced by the options).
 *
 * The size in the file header is checked against the limits before any
 * pixel memory is allocated. PNG chunk CRCs are verified and the
 * compressed image data must inflate to exactly the size the header
 * implies (no decompression bombs); 16-bit PNGs are
 * reduced to 8 bits, grey expands to R = G = B, palettes are resolved.
 * A JPEG must end with its EOI marker (a cut file is refused, not
 * completed with grey); an EXIF block that cannot be parsed is ignored.
 * Files over 1 GiB + 16 MiB give FIIE_E_TOO_LARGE without being read.
 * @param out  image to fill (owns its data, tightly packed; release with
 *             fiie_image_free())
 * @param path file name
 * @param o    options, or NULL for the defaults
 * @return 0, FIIE_E_INVALID_ARGUMENT (NULL out or path, non-zero
 *         reserved bytes or unknown format in the options),
 *         FIIE_E_VERSION (options of another ABI major), FIIE_E_IO
 *         (cannot open/read), FIIE_E_UNSUPPORTED_FORMAT (since ABI 1.1:
 *         a WebP, TIFF, GIF, HEIC, AVIF or JPEG XL file; fiie_image_probe()
 *         names it), FIIE_E_IMAGE_FORMAT (unknown, empty,
 *         truncated or corrupt), FIIE_E_TOO_LARGE (file or image over the
 *         limits) or FIIE_E_NO_MEMORY. out is zeroed on error.
 */
FIIE_NODISCARD
FIIE_API int fiie_image_load(fiie_image *out, const char *path,
                             const fiie_load_options *o);

/**
 * @brief Decode a PNG, JPEG, BMP or TGA image held in memory, with the
 *        same checks and limits as fiie_image_load().
 * @param out  image to fill (owns its data, tightly packed; release with
 *             fiie_image_free())
 * @param data file contents (not modified, not retained)
 * @param size their count; 0 gives FIIE_E_INVALID_ARGUMENT
 * @param o    options, or NULL for the defaults
 * @return 0, FIIE_E_INVALID_ARGUMENT (NULL out or data, size 0, bad
 *         options), FIIE_E_VERSION (options of another ABI major),
 *         FIIE_E_UNSUPPORTED_FORMAT (a recognised format libfiie does not
 *         read, since ABI 1.1), FIIE_E_IMAGE_FORMAT (unknown, truncated or
 *         corrupt), FIIE_E_TOO_LARGE (more than 1 GiB + 16 MiB of data, or image
 *         over the limits) or FIIE_E_NO_MEMORY. out is zeroed on error.
 */
FIIE_NODISCARD
FIIE_API int fiie_image_load_memory(fiie_image *out, const void *data, size_t size,
                                    const fiie_load_options *o);

/** fiie_image_save_png() flag: fail with FIIE_E_EXISTS instead of replacing a file. */
#define FIIE_SAVE_NO_CLOBBER 1u
/** fiie_image_save_png() flag: create the file with mode 0600 (owner only),
 *  for pixels that are secret, e.g. a decrypted image holding the faces
 *  (ABI 1.1; older libraries refuse it with FIIE_E_INVALID_ARGUMENT). */
#define FIIE_SAVE_PRIVATE 2u
/**
 * fiie_image_save_png() / fiie_protected_png_save() flags: PNG compression
 * level 1 (fastest) .. 9 (smallest); 0, or no such flag, is the build's
 * default (4 with libdeflate: about the size zlib's default level 6
 * makes of photos, in much less time; 6 with zlib; 8 with stb alone).
 * Levels above 9 give FIIE_E_INVALID_ARGUMENT. The pixels stored are
 * the same at every level; only the file size and the time differ (and
 * they depend on the build's deflate library: docs/performance.md).
 * Libraries before ABI 1.1 refuse these bits with FIIE_E_INVALID_ARGUMENT.
 */
#define FIIE_SAVE_COMPRESSION(level) (((unsigned)(level) & 15u) << 4)
/** The bits of FIIE_SAVE_COMPRESSION() in a flags word. */
#define FIIE_SAVE_COMPRESSION_MASK 0xf0u

/**
 * @brief Encode an image as PNG in memory.
 *
 * RGB8/BGR8 images are stored as 8-bit RGB, RGBA8/BGRA8 as 8-bit RGBA.
 * When `chunk_type` is non-NULL, one chunk of that type holding
 * `chunk_size` bytes of `chunk_data` is placed right after IHDR.
 * The type must be an ancillary chunk (first letter lower case, so other
 * decoders skip it) with the reserved third letter upper case, e.g. "fiIE".
 * @param img        image to encode
 * @param chunk_type four ASCII letters as above, or NULL for no extra chunk
 * @param chunk_data chunk payload (may be NULL when chunk_size is 0)
 * @param chunk_size payload size, at most 2^31 - 1 (else FIIE_E_TOO_LARGE)
 * @param out        receives a buffer to release with fiie_free(); it holds
 *                   the pixels (compressed): wipe it first when they are
 *                   secret (the library wipes its own copies)
 * @param out_size   receives its size
 * @return 0, FIIE_E_INVALID_ARGUMENT (NULL pointers, invalid image, chunk
 *         type not ancillary/valid), FIIE_E_TOO_LARGE (image over the
 *         limits, chunk too large) or FIIE_E_NO_MEMORY (*out is NULL and
 *         *out_size 0 on error).
 */
FIIE_NODISCARD
FIIE_API int fiie_image_encode_png(const fiie_image *img, const char *chunk_type,
                                   const void *chunk_data, size_t chunk_size,
                                   uint8_t **out, size_t *out_size);

/**
 * @brief Write an image as a PNG file, atomically.
 *
 * The image and chunk are encoded as by fiie_image_encode_png(). The file
 * appears complete or not at all; with FIIE_SAVE_NO_CLOBBER an existing file is never replaced
 * (race-free). A new file gets mode 0666 & ~umask (0600 & ~umask with
 * FIIE_SAVE_PRIVATE); a symbolic link at
 * `path` is replaced, not followed. The temporary file
 * (`.fiie-XXXXXXXXXXXXXXXX.tmp` in the same directory) is removed on
 * every failure.
 * @param img        image to encode
 * @param path       destination file name (not empty, not ending in '/')
 * @param chunk_type four ASCII letters of an ancillary chunk type with the
 *                   third letter upper case (e.g. "fiIE"), or NULL for no
 *                   extra chunk
 * @param chunk_data chunk payload (may be NULL when chunk_size is 0)
 * @param chunk_size payload size, at most 2^31 - 1 (else FIIE_E_TOO_LARGE)
 * @param flags      0, or FIIE_SAVE_NO_CLOBBER, FIIE_SAVE_PRIVATE and/or
 *                   FIIE_SAVE_COMPRESSION(1..9)
 *                   (other bits give FIIE_E_INVALID_ARGUMENT)
 * @return 0, FIIE_E_INVALID_ARGUMENT, FIIE_E_EXISTS (only with
 *         FIIE_SAVE_NO_CLOBBER), FIIE_E_IO, FIIE_E_TOO_LARGE or
 *         FIIE_E_NO_MEMORY.
 */
FIIE_NODISCARD
FIIE_API int fiie_image_save_png(const fiie_image *img, const char *path,
                                 const char *chunk_type, const void *chunk_data,
                                 size_t chunk_size, unsigned flags);

/**
 * @brief Find a chunk in a PNG held in memory.
 *
 * The chunk structure up to the chunk is validated (signature, IHDR
 * first, lengths, CRCs); the first chunk of the given type is returned.
 * Nothing after it is examined.
 * @param png        PNG bytes
 * @param png_size   their count
 * @param chunk_type four ASCII letters
 * @param data       receives a pointer into `png` at the chunk payload
 * @param size       receives the payload size
 * @return 0, FIIE_E_INVALID_ARGUMENT, FIIE_E_IMAGE_FORMAT (not a PNG, bad
 *         CRC, truncated) or FIIE_E_NOT_FOUND.
 */
FIIE_NODISCARD
FIIE_API int fiie_png_find_chunk(const void *png, size_t png_size, const char *chunk_type,
                                 const uint8_t **data, size_t *size);

/**
 * @brief Read a chunk's payload from a PNG file into a caller buffer.
 *
 * Validates as fiie_png_find_chunk() and reads the file only up to the
 * end of the chunk (cheap for a chunk right after IHDR). `buf` is not
 * written on FIIE_E_BUFFER_TOO_SMALL and is zeroed if the chunk's CRC is
 * wrong.
 * @param path       PNG file
 * @param chunk_type four ASCII letters
 * @param buf        output buffer (may be NULL when cap is 0, to query the size)
 * @param cap        its capacity
 * @param size       receives the payload size (also on FIIE_E_BUFFER_TOO_SMALL)
 * @return 0, FIIE_E_INVALID_ARGUMENT, FIIE_E_IO, FIIE_E_IMAGE_FORMAT,
 *         FIIE_E_NOT_FOUND or FIIE_E_BUFFER_TOO_SMALL.
 */
FIIE_NODISCARD
FIIE_API int fiie_png_read_chunk(const char *path, const char *chunk_type,
                                 uint8_t *buf, size_t cap, size_t *size);

/* ---- Since ABI 1.1: file facts, colour profiles, PNG options ----------- */

/**
 * @brief What an image file holds, read from its headers and metadata
 *        without decoding pixels (fiie_image_probe()). Layout frozen.
 *
 * Callers use it to decide before loading: fiie_image_load() reduces
 * 16-bit samples to 8 bits and expands grey to R = G = B, and the decoded
 * pixels carry no colour profile, so a caller that must not lose anything
 * silently checks `bit_depth`, `channels` and `icc`.
 */
typedef struct fiie_image_info {
    char format[8];        /**< NUL-terminated name: "PNG", "JPEG", "BMP", "TGA" (readable);
                                "WebP", "TIFF", "GIF", "HEIC", "AVIF", "JPEG XL"
                                (recognised, not readable: FIIE_E_UNSUPPORTED_FORMAT) */
    uint32_t width;        /**< as stored (before EXIF orientation) */
    uint32_t height;       /**< as stored */
    uint32_t bit_depth;    /**< bits per sample as stored: 1, 2, 4, 8 or 16 */
    uint32_t channels;     /**< samples per pixel as stored: 1 grey, 2 grey + alpha,
                                3 colour, 4 colour + alpha (a PNG palette counts as 3,
                                or 4 with a tRNS chunk) */
    uint32_t orientation;  /**< EXIF orientation 1..8 of a JPEG, 1 otherwise */
    uint32_t reserved0;    /**< zero */
    uint8_t *icc;          /**< embedded ICC colour profile (PNG iCCP inflated, or the
                                JPEG APP2 "ICC_PROFILE" pieces joined), or NULL; owned
                                by the struct, released by fiie_image_info_free() */
    size_t icc_size;       /**< its size in bytes, 0 when there is none */
    uint8_t reserved[32];  /**< zero */
} fiie_image_info;

/** Largest ICC profile read or written (a damaged or hostile file cannot make
 *  the library inflate more). */
#define FIIE_MAX_ICC_BYTES (1u << 24)

/**
 * @brief Identify an image held in memory and read its facts and ICC
 *        profile, with the same structure checks as fiie_image_load().
 *
 * A colour profile that is damaged (bad deflate stream, pieces missing,
 * size field disagreeing with the data, over FIIE_MAX_ICC_BYTES) is
 * ignored as a bad EXIF block is: `icc` stays NULL.
 * @param info receives the facts; release with fiie_image_info_free()
 *             (also after an error: it is then zeroed but for `format`)
 * @param data file contents (not modified, not retained)
 * @param size their count; 0 gives FIIE_E_INVALID_ARGUMENT
 * @return 0, FIIE_E_INVALID_ARGUMENT (NULL pointer, size 0),
 *         FIIE_E_UNSUPPORTED_FORMAT (a WebP, TIFF, GIF, HEIC, AVIF or
 *         JPEG XL file: `info->format` names it), FIIE_E_IMAGE_FORMAT
 *         (unknown, truncated or corrupt), FIIE_E_TOO_LARGE (image over
 *         the limits) or FIIE_E_NO_MEMORY.
 */
FIIE_NODISCARD
FIIE_API int fiie_image_probe_memory(fiie_image_info *info, const void *data, size_t size);

/**
 * @brief fiie_image_probe_memory() on a file.
 * @param info receives the facts; release with fiie_image_info_free()
 * @param path file name
 * @return as fiie_image_probe_memory(), and FIIE_E_IO (cannot open or
 *         read), FIIE_E_IMAGE_FORMAT for an empty file.
 */
FIIE_NODISCARD
FIIE_API int fiie_image_probe(fiie_image_info *info, const char *path);

/**
 * @brief Release the ICC profile of an info struct and zero it.
 * @param info struct filled by fiie_image_probe(), or NULL (nothing happens)
 */
FIIE_API void fiie_image_info_free(fiie_image_info *info);

/**
 * @brief Options of fiie_image_encode_png_with() and
 *        fiie_image_save_png_with(). Initialise with fiie_png_options_init().
 */
typedef struct fiie_png_options {
    uint32_t abi_version;     /**< set by the init function */
    uint32_t flags;           /**< 0, or FIIE_SAVE_NO_CLOBBER and FIIE_SAVE_PRIVATE (saving only)
                                   and FIIE_SAVE_COMPRESSION(1..9), as fiie_image_save_png() */
    const uint8_t *icc;       /**< ICC profile to embed (iCCP chunk, compressed), or NULL */
    size_t icc_size;          /**< its size, at most FIIE_MAX_ICC_BYTES; 0 when icc is NULL */
    const char *chunk_type;   /**< private ancillary chunk as in fiie_image_encode_png(), or NULL */
    const void *chunk_data;   /**< its payload (may be NULL when chunk_size is 0) */
    size_t chunk_size;        /**< payload size, at most 2^31 - 1 */
    uint8_t reserved[40];     /**< zero; room for later options */
} fiie_png_options;

/**
 * @brief Initialise PNG options to their defaults (use the macro form).
 * @param o           options to fill
 * @param abi_version FIIE_ABI_VERSION of the caller's headers
 * @return 0, FIIE_E_INVALID_ARGUMENT or FIIE_E_VERSION (major mismatch).
 */
FIIE_API int fiie_png_options_init_v(fiie_png_options *o, int abi_version);
/** Initialise PNG options to their defaults for the headers in use. */
#define fiie_png_options_init(o) fiie_png_options_init_v((o), FIIE_ABI_VERSION)

/**
 * @brief Encode an image as PNG in memory with the options' ICC profile
 *        and private chunk (both placed right after IHDR: iCCP first).
 * @param img      image to encode
 * @param o        options, or NULL for none (then as fiie_image_encode_png()
 *                 without a chunk)
 * @param out      receives a buffer to release with fiie_free()
 * @param out_size receives its size
 * @return 0, FIIE_E_INVALID_ARGUMENT (NULL pointers, invalid image, bad
 *         chunk type, icc NULL with a size or a profile under 128 bytes,
 *         non-zero reserved bytes, unknown flags), FIIE_E_VERSION,
 *         FIIE_E_TOO_LARGE or FIIE_E_NO_MEMORY (*out NULL on error).
 */
FIIE_NODISCARD
FIIE_API int fiie_image_encode_png_with(const fiie_image *img, const fiie_png_options *o,
                                        uint8_t **out, size_t *out_size);

/**
 * @brief Write an image as a PNG file atomically, as fiie_image_save_png(),
 *        with the options' ICC profile, chunk and flags (no-clobber,
 *        private).
 * @param img  image to encode
 * @param path destination file name
 * @param o    options, or NULL for the defaults
 * @return as fiie_image_encode_png_with(), and FIIE_E_EXISTS (only with
 *         FIIE_SAVE_NO_CLOBBER) or FIIE_E_IO.
 */
FIIE_NODISCARD
FIIE_API int fiie_image_save_png_with(const fiie_image *img, const char *path,
                                      const fiie_png_options *o);

#ifdef __cplusplus
}
#endif

#endif /* FIIE_IMAGE_H */
