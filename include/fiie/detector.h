/**
 * @file fiie/detector.h
 * @brief MTCNN face detector (P-Net, R-Net, O-Net cascade), its model and
 *        5-point face alignment.
 *
 * A faithful port of the original MTCNN (Zhang et al. 2016) MATLAB
 * pipeline: the same image pyramid, resampling, score thresholds, NMS
 * order and box rules, so that with the original weights (the embedded
 * model FIIE_MODEL_MTCNN_ORIGINAL) the detections match the reference
 * implementation within float noise, for images of up to 3 megapixels.
 * Larger images resample the pyramid levels at scale 1/2^k or below from
 * the image reduced k times by exact 2x2 averages instead of from the
 * full-resolution pixels (the reference's way): the nets see slightly
 * different pixels there, and the pyramid reads a tenth of the pixels
 * (docs/performance.md: on WIDER FACE validation images up-scaled 2x
 * and 3x, as many faces are protected as before). The library embeds
 * one or more models by name (fiie_model_new_embedded(); provenance in
 * models/README.md); the default one may be other, trained weights.
 *
 * Objects:
 * - ::fiie_model: the three networks' weights. Immutable after loading and
 *   reference counted: any number of detectors on any threads may share
 *   one; fiie_model_free() drops the caller's reference and detectors keep
 *   their own, so a model may be freed right after fiie_detector_new().
 * - ::fiie_detector: a model plus options and scratch memory. One thread at
 *   a time per detector (it may itself use several worker threads).
 *
 * Thread safety: fiie_model_new_*(), fiie_face_alignment_transform() and
 * fiie_face_align() may be called from any thread at any time. A model may
 * be shared by detectors on any number of threads, and fiie_model_free()
 * may be called while they run (reference counting). A detector must not
 * be used by two threads at once: create one per thread. Its `threads`
 * option only starts internal workers for one call and never changes the
 * result. The image passed to fiie_detector_detect() is only read, so
 * several threads may detect on the same image concurrently (tested by
 * tests/test_threads.c under ThreadSanitizer).
 *
 * Coordinates: 0-based continuous pixel coordinates, pixel (i, j) spans
 * [i, i+1) x [j, j+1); a box is [x1, y1, x2, y2].
 */
#ifndef FIIE_DETECTOR_H
#define FIIE_DETECTOR_H

#include "fiie/common.h"
#include "fiie/image.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque, immutable, reference-counted MTCNN weights. */
typedef struct fiie_model fiie_model;
/** Opaque detector handle. */
typedef struct fiie_detector fiie_detector;

/** Landmark computation of fiie_detector_options::landmarks. */
typedef enum fiie_landmarks_mode {
    /** One O-Net pass (as most MTCNN ports; the default). */
    FIIE_LANDMARKS_PLAIN = 0,
    /** MTCNNv1 MATLAB: O-Net also runs on the mirrored crop and the two
     *  landmark sets are averaged. Boxes and scores are unchanged. */
    FIIE_LANDMARKS_V1FLIP = 1,
} fiie_landmarks_mode;

/** Number of landmarks per face. */
#define FIIE_FACE_LANDMARKS 5
/** Side of the aligned face crop written by fiie_face_align(). */
#define FIIE_ALIGN_SIZE 112

/** One detected face. Layout frozen. */
typedef struct fiie_face {
    /** 0-based box [x1, y1, x2, y2] (may extend past the image border). */
    float box[4];
    /** O-Net face probability, 0..1. */
    float score;
    /** (x, y) of left eye, right eye, nose, left and right mouth corner
     *  ("left" = smaller x in the image). */
    float landmarks[FIIE_FACE_LANDMARKS][2];
    /** zero; room for later fields */
    float reserved[5];
} fiie_face;

/**
 * fiie_detector_options::min_face value: the smallest face side follows
 * the image size, 10 px up to 3 megapixels, then growing with the image
 * side (10 * sqrt(pixels / 3e6)) up to 20 px at 12 megapixels and above
 * (the `fiie encrypt` preset). A face keeps its share of the picture
 * whatever the resolution it was taken at. Libraries before ABI 1.1
 * refuse it (FIIE_E_INVALID_ARGUMENT).
 */
#define FIIE_MIN_FACE_BY_SIZE 0.0

/** Detector options. Initialise with fiie_detector_options_init(). */
typedef struct fiie_detector_options {
    uint32_t abi_version; /**< set by the init function; checked on use */
    double min_face;      /**< smallest face side in pixels, 6..65535 (default 20),
                               or FIIE_MIN_FACE_BY_SIZE (0).
                               Below 12 the image is up-sampled by 12 / min_face
                               (at most 2x per axis) for the first pyramid levels;
                               fiie_detector_detect() returns FIIE_E_TOO_LARGE
                               when that first level would exceed FIIE_MAX_PIXELS. */
    double factor;        /**< pyramid scale step, in (0, 1) exclusive (default 0.709) */
    float thresholds[3];  /**< P-Net, R-Net, O-Net score thresholds in [0, 1]
                               (default 0.6, 0.7, 0.7) */
    uint32_t max_faces;   /**< keep at most this many best faces; 0 = no limit (default) */
    uint32_t threads;     /**< worker threads, 1..#FIIE_MAX_THREADS; 0 = one per online
                               CPU, at most #FIIE_MAX_THREADS (default 1).
                               Results never depend on it. */
    int32_t landmarks;    /**< a fiie_landmarks_mode (default FIIE_LANDMARKS_PLAIN) */
    uint8_t reserved[40]; /**< zero; room for later options */
} fiie_detector_options;

/**
 * @brief Initialise detector options to their defaults (use the macro form).
 * @param o           options to fill
 * @param abi_version FIIE_ABI_VERSION of the caller's headers
 * @return 0, FIIE_E_INVALID_ARGUMENT or FIIE_E_VERSION (major mismatch).
 */
FIIE_API int fiie_detector_options_init_v(fiie_detector_options *o, int abi_version);
/** Initialise detector options to their defaults for the headers in use. */
#define fiie_detector_options_init(o) fiie_detector_options_init_v((o), FIIE_ABI_VERSION)

/** Named detector settings (min_face, factor, thresholds), one source for
 *  the library, the fiie tool and the bindings. Values are frozen; the
 *  names of fiie_detector_preset_name() are what command lines accept. */
typedef enum fiie_detector_preset {
    /** "default": what fiie_detector_options_init() sets: min face 20,
     *  factor 0.709, thresholds 0.6, 0.7, 0.7. */
    FIIE_DETECTOR_PRESET_DEFAULT = 0,
    /** "high-recall": min face 10 (FIIE_MIN_FACE_BY_SIZE: 10 up to 3 MP,
     *  growing with the image side to 20 at 12 MP), factor 0.79,
     *  thresholds 0.5, 0.5, 0.3 (the MTCNN authors' WIDER FACE settings).
     *  A missed face is a leaked face, so `fiie encrypt` detects with this
     *  one. */
    FIIE_DETECTOR_PRESET_HIGH_RECALL = 1,
    /** "fast": speed before recall, what `fiie encrypt --fast` uses; today
     *  the same settings as FIIE_DETECTOR_PRESET_DEFAULT. */
    FIIE_DETECTOR_PRESET_FAST = 2,
} fiie_detector_preset;

/**
 * @brief Set the min_face, factor and thresholds of a preset into options
 *        made by fiie_detector_options_init(); the other fields (threads,
 *        max_faces, landmarks) are left as they are.
 * @param o      initialised options
 * @param preset a ::fiie_detector_preset value
 * @return 0, FIIE_E_INVALID_ARGUMENT (NULL o, unknown preset; o is then
 *         unchanged) or FIIE_E_VERSION (o not initialised for this ABI major).
 */
FIIE_NODISCARD
FIIE_API int fiie_detector_options_preset(fiie_detector_options *o, int preset);

/**
 * @brief The preset a name stands for ("default", "high-recall", "fast";
 *        exact, lower case).
 * @param name   NUL-terminated name
 * @param preset receives the ::fiie_detector_preset value (untouched on error)
 * @return 0, FIIE_E_INVALID_ARGUMENT (NULL argument) or FIIE_E_NOT_FOUND
 *         (no preset of that name).
 */
FIIE_NODISCARD
FIIE_API int fiie_detector_preset_from_name(const char *name, int *preset);

/**
 * @brief The name of a preset, for messages and help texts.
 *
 * The presets are numbered from 0 without gaps, so counting up from 0
 * until NULL lists every name.
 * @param preset a ::fiie_detector_preset value
 * @return a static NUL-terminated string, or NULL for an unknown value.
 */
FIIE_API const char *fiie_detector_preset_name(int preset);

/**
 * @brief Load the default model: the embedded model named by
 *        fiie_model_default_name().
 *
 * Which embedded model is the default may change between releases (for
 * better weights); callers that need particular weights, for example to
 * reproduce earlier detections, load them by name with
 * fiie_model_new_embedded().
 * @param out receives the model (release with fiie_model_free())
 * @return 0, FIIE_E_INVALID_ARGUMENT (NULL out), FIIE_E_NO_MEMORY,
 *         FIIE_E_MODEL or FIIE_E_CRYPTO (libsodium, which checks the
 *         model's digest, failed to initialise).
 */
FIIE_NODISCARD
FIIE_API int fiie_model_new_default(fiie_model **out);

/* ---- Since ABI 1.2: embedded models by name ------------------------------ */

/** Name of the embedded model holding the converted original MTCNN weights
 *  (models/mtcnn.fiiem), the weights the faithful port is checked against.
 *  Every library since ABI 1.2 embeds it, default or not. */
#define FIIE_MODEL_MTCNN_ORIGINAL "mtcnn-original"

/**
 * @brief Load a model compiled into the library, by name.
 *
 * Names are stable (models/README.md lists each model's provenance).
 * They contain no '/' and never end in ".fiiem", so a command line can
 * tell a model name from a file name.
 * @param out  receives the model (NULL on error; release with fiie_model_free())
 * @param name NUL-terminated name, exact and case-sensitive, e.g.
 *             FIIE_MODEL_MTCNN_ORIGINAL or fiie_model_default_name()
 * @return 0, FIIE_E_INVALID_ARGUMENT (NULL out or name), FIIE_E_NOT_FOUND
 *         (no embedded model of that name, the empty name included),
 *         FIIE_E_NO_MEMORY, FIIE_E_MODEL or FIIE_E_CRYPTO (libsodium, which
 *         checks the model's digest, failed to initialise).
 */
FIIE_NODISCARD
FIIE_API int fiie_model_new_embedded(fiie_model **out, const char *name);

/**
 * @brief The name of an embedded model, to list them.
 *
 * Models are numbered from 0 without gaps, so counting up from 0 until
 * NULL lists every name; the default is one of them.
 * @param index 0-based index
 * @return a static NUL-terminated string, or NULL past the last model.
 */
FIIE_API const char *fiie_model_embedded_name(size_t index);

/**
 * @brief The name of the embedded model fiie_model_new_default() loads
 *        (and fiie_detector_new() uses when given no model).
 * @return a static NUL-terminated string, never NULL.
 */
FIIE_API const char *fiie_model_default_name(void);

/**
 * @brief Load a model file (format in models/README.md).
 *
 * The checksum, every size and every tensor shape are verified.
 * @param out  receives the model (NULL on error)
 * @param path file name
 * @return 0, FIIE_E_INVALID_ARGUMENT (NULL out or path), FIIE_E_IO
 *         (cannot open or read), FIIE_E_TOO_LARGE (file over the model
 *         size limit), FIIE_E_NO_MEMORY, FIIE_E_MODEL (corrupt, truncated,
 *         unknown version) or FIIE_E_CRYPTO (libsodium failed to
 *         initialise).
 */
FIIE_NODISCARD
FIIE_API int fiie_model_new_from_file(fiie_model **out, const char *path);

/**
 * @brief Load a model from memory; the bytes are not referenced afterwards.
 * @param out  receives the model (NULL on error)
 * @param data model file bytes
 * @param size their count
 * @return 0, FIIE_E_INVALID_ARGUMENT (NULL out or data), FIIE_E_NO_MEMORY,
 *         FIIE_E_MODEL (corrupt, truncated, wrong size, unknown version)
 *         or FIIE_E_CRYPTO (libsodium failed to initialise).
 */
FIIE_NODISCARD
FIIE_API int fiie_model_new_from_memory(fiie_model **out, const void *data, size_t size);

/**
 * @brief Drop the caller's reference to a model (thread-safe).
 * @param m model, or NULL (then nothing happens)
 */
FIIE_API void fiie_model_free(fiie_model *m);

/**
 * @brief Create a detector.
 * @param out   receives the detector (NULL on error)
 * @param model model to use (a reference is taken), or NULL for the
 *              embedded default model
 * @param o     options, or NULL for the defaults
 * @return 0, FIIE_E_INVALID_ARGUMENT (NULL out, bad option value),
 *         FIIE_E_VERSION (options of another ABI major), FIIE_E_NO_MEMORY,
 *         or, when `model` is NULL, the errors of fiie_model_new_default()
 *         (FIIE_E_MODEL, FIIE_E_CRYPTO).
 */
FIIE_NODISCARD
FIIE_API int fiie_detector_new(fiie_detector **out, const fiie_model *model,
                               const fiie_detector_options *o);

/**
 * @brief Find the faces in an image.
 *
 * The image is read in place, never copied: each worker thread resamples
 * the pyramid in bands of rows, so the scratch memory grows with the image
 * width (and the number of candidate faces), not with its area.
 *
 * Faces are written best first (highest O-Net score first, as MTCNN's
 * final NMS picks them). With more faces than `cap`, the best `cap` are
 * written, `*n` receives the total and FIIE_E_BUFFER_TOO_SMALL is returned;
 * `faces` may be NULL with `cap` 0 to query the count.
 * @param d     detector (one thread at a time)
 * @param img   RGB8, RGBA8, BGR8 or BGRA8 image, any stride
 * @param faces output array of `cap` faces
 * @param cap   its capacity
 * @param n     receives the number of faces found (limited by max_faces)
 * @return 0, FIIE_E_INVALID_ARGUMENT (NULL d or n, NULL faces with a
 *         non-zero cap, invalid image), FIIE_E_TOO_LARGE (image over the
 *         size limits), FIIE_E_BUFFER_TOO_SMALL or FIIE_E_NO_MEMORY.
 *         Worker threads that cannot be started are replaced by the
 *         calling thread (same result), so FIIE_E_THREAD is never returned.
 */
FIIE_NODISCARD
FIIE_API int fiie_detector_detect(fiie_detector *d, const fiie_image *img,
                                  fiie_face *faces, size_t cap, size_t *n);

/**
 * @brief Release a detector (its model reference is dropped).
 * @param d detector, or NULL (then nothing happens)
 */
FIIE_API void fiie_detector_free(fiie_detector *d);

/**
 * @brief Similarity transform (rotation, uniform scale, translation) that
 *        maps a face's 5 landmarks onto the standard 112x112 ArcFace
 *        template, least squares (Umeyama without reflection).
 *
 * Template points: (38.2946, 51.6963), (73.5318, 51.5014), (56.0252,
 * 71.7366), (41.5493, 92.3655), (70.7299, 92.2041).
 * @param f      a detected face
 * @param matrix receives the 2x3 row-major affine map image -> template:
 *               u = m[0] x + m[1] y + m[2], v = m[3] x + m[4] y + m[5]
 * @return 0 or FIIE_E_INVALID_ARGUMENT (NULL, non-finite or coincident landmarks).
 */
FIIE_NODISCARD
FIIE_API int fiie_face_alignment_transform(const fiie_face *f, float matrix[6]);

/**
 * @brief Write the aligned face crop (bilinear warp; outside the image 0).
 * @param src source image (RGB8, RGBA8, BGR8 or BGRA8)
 * @param f   a face detected in `src`
 * @param out caller-allocated image of FIIE_ALIGN_SIZE x FIIE_ALIGN_SIZE
 *            pixels in the same format as `src`
 * @return 0, FIIE_E_INVALID_ARGUMENT (NULL, invalid image, wrong size or
 *         format of `out`, non-finite or coincident landmarks) or
 *         FIIE_E_TOO_LARGE (`src` over the size limits).
 */
FIIE_NODISCARD
FIIE_API int fiie_face_align(const fiie_image *src, const fiie_face *f, fiie_image *out);

/* ------------------------------------------------------------------------
 * Inside the cascade (ABI 1.1): the windows each net is run on, the crop
 * each of them becomes, and each net on its own. These are what a training
 * pipeline needs to train the nets on exactly the pixels and windows the
 * cascade gives them (models/train/), and what a parity test compares.
 * ------------------------------------------------------------------------ */

/** The three networks of the cascade. */
typedef enum fiie_net {
    FIIE_NET_PNET = 0, /**< P-Net: any input of at least 12 x 12 pixels */
    FIIE_NET_RNET = 1, /**< R-Net: 24 x 24 crops */
    FIIE_NET_ONET = 2, /**< O-Net: 48 x 48 crops */
} fiie_net;

/** Outputs per position of P-Net and R-Net: 2 face logits (no face, face;
 *  the score is their softmax), 4 box offsets (x1, y1, x2, y2, relative
 *  to the window's width and height). O-Net adds 10 landmark coordinates
 *  (x1..x5, y1..y5, relative to the window), FIIE_NET_MAX_OUTPUTS in all. */
#define FIIE_NET_OUTPUTS 6
/** Outputs per crop of O-Net, the most of the three nets. */
#define FIIE_NET_MAX_OUTPUTS 16
/** Largest crop side fiie_crop_patch() writes. */
#define FIIE_CROP_MAX_SIZE 1024

/** A window of the cascade: the pixels it crops and resamples for R-Net or
 *  O-Net. Layout frozen. */
typedef struct fiie_window {
    int32_t net;          /**< the fiie_net it is fed to: FIIE_NET_RNET or FIIE_NET_ONET */
    int32_t x;            /**< left pixel column, 0-based (may lie outside the image) */
    int32_t y;            /**< top pixel row, 0-based (may lie outside the image) */
    uint32_t w;           /**< width in pixels, >= 1 */
    uint32_t h;           /**< height in pixels, >= 1 */
    float score;          /**< score of the net that proposed it (P-Net for
                               R-Net windows, R-Net for O-Net windows) */
    uint32_t reserved[2]; /**< zero */
} fiie_window;

/**
 * @brief The windows the cascade runs R-Net and O-Net on for an image.
 *
 * Runs the whole cascade with the detector's options (as
 * fiie_detector_detect()) and reports, in the cascade's order, every
 * window R-Net was run on, then every window O-Net was run on. Each
 * fed to fiie_crop_patch() gives the net's input crop bit for bit.
 * Windows of no pixel (a degenerate box) or beyond 2^20 pixels, which the
 * cascade replaces by an empty crop, are left out. With more windows
 * than `cap`, the first `cap` are written, `*n` receives the total and
 * FIIE_E_BUFFER_TOO_SMALL is returned.
 * @param d       detector (one thread at a time)
 * @param img     RGB8, RGBA8, BGR8 or BGRA8 image
 * @param windows output array of `cap` windows (may be NULL with cap 0)
 * @param cap     its capacity
 * @param n       receives the number of windows
 * @return 0, FIIE_E_INVALID_ARGUMENT (NULL d or n, NULL windows with a
 *         non-zero cap, invalid image), FIIE_E_TOO_LARGE,
 *         FIIE_E_BUFFER_TOO_SMALL or FIIE_E_NO_MEMORY.
 */
FIIE_NODISCARD
FIIE_API int fiie_detector_windows(fiie_detector *d, const fiie_image *img,
                                   fiie_window *windows, size_t cap, size_t *n);

/**
 * @brief Cut a window out of an image and resample it to size x size, as
 *        the cascade makes the input crops of R-Net and O-Net.
 *
 * Pixels outside the image are 0 (before normalisation); resampling is
 * the cascade's (Piotr Dollar's imResample, bilinear / area-weighted);
 * values are normalised as the nets expect, (v - 127.5) / 128.
 * @param img  RGB8, RGBA8, BGR8 or BGRA8 image
 * @param x    left pixel of the window, 0-based (may be outside the image)
 * @param y    top pixel of the window
 * @param w    window width in pixels, 1..2^20
 * @param h    window height in pixels, 1..2^20
 * @param size crop side, 1..FIIE_CROP_MAX_SIZE
 * @param out  size * size * 3 floats: rows, then columns, then R, G, B
 * @return 0, FIIE_E_INVALID_ARGUMENT (NULL, invalid image, size or window
 *         out of range; `out` is then untouched), FIIE_E_TOO_LARGE or
 *         FIIE_E_NO_MEMORY.
 */
FIIE_NODISCARD
FIIE_API int fiie_crop_patch(const fiie_image *img, int32_t x, int32_t y, uint32_t w,
                             uint32_t h, uint32_t size, float *out);

/**
 * @brief Output geometry of one net for an input size.
 * @param m        model
 * @param net      a fiie_net
 * @param h        input height
 * @param w        input width
 * @param oh       receives the output map height (1 for R-Net and O-Net)
 * @param ow       receives the output map width
 * @param channels receives the outputs per position (FIIE_NET_OUTPUTS, or
 *                 FIIE_NET_MAX_OUTPUTS for O-Net)
 * @return 0 or FIIE_E_INVALID_ARGUMENT (NULL pointer, unknown net, an
 *         R-Net input other than 24 x 24, an O-Net input other than
 *         48 x 48, a P-Net input under 12 or over FIIE_MAX_DIMENSION on a
 *         side or over FIIE_MAX_PIXELS).
 */
FIIE_NODISCARD
FIIE_API int fiie_model_output_size(const fiie_model *m, int net, uint32_t h, uint32_t w,
                                    uint32_t *oh, uint32_t *ow, uint32_t *channels);

/**
 * @brief Run one net of a model on `count` inputs, as the cascade runs it.
 *
 * Inputs are h x w x 3 floats each (rows, columns, R G B; normalised as
 * fiie_crop_patch() writes them), one after the other. Outputs are the
 * raw values of the net (logits before the softmax), oh x ow x channels
 * per input (see fiie_model_output_size()), one after the other.
 * @param m       model
 * @param net     a fiie_net
 * @param in      count * h * w * 3 floats
 * @param count   number of inputs (0: nothing to do)
 * @param h       input height
 * @param w       input width
 * @param out     output array of out_len floats
 * @param out_len its length; at least count * oh * ow * channels
 * @return 0, FIIE_E_INVALID_ARGUMENT (NULL pointer with a non-zero count,
 *         bad net or size as fiie_model_output_size()),
 *         FIIE_E_BUFFER_TOO_SMALL (out_len too small; nothing written) or
 *         FIIE_E_NO_MEMORY.
 */
FIIE_NODISCARD
FIIE_API int fiie_model_forward(const fiie_model *m, int net, const float *in, size_t count,
                                uint32_t h, uint32_t w, float *out, size_t out_len);

#ifdef __cplusplus
}
#endif

#endif /* FIIE_DETECTOR_H */
