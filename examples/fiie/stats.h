/* Statistics of `fiie analyze`: the usual image-cipher quality measures,
 * computed per channel over the pixels selected by a mask only.
 *
 * Pixels are given as an interleaved 8-bit plane: byte of channel `c` of
 * pixel (x, y) at data[y*stride + x*pixel_bytes + c]. The mask is a
 * width*height bitmap (non-zero = selected, stride mask_stride) or NULL for
 * every pixel. */
#ifndef FIIE_CLI_STATS_H
#define FIIE_CLI_STATS_H

#include <stddef.h>
#include <stdint.h>

typedef struct stats_plane {
    const uint8_t *data;
    size_t stride;
    uint32_t width, height;
    unsigned pixel_bytes; /* 1, 3 or 4 */
    unsigned channel;     /* 0 .. pixel_bytes-1 */
    const uint8_t *mask;  /* NULL: all pixels */
    size_t mask_stride;
} stats_plane;

/** Histogram of the selected samples; returns their count. */
uint64_t stats_histogram(const stats_plane *p, uint64_t hist[256]);

/** Shannon entropy in bits of a histogram (0 for an empty one). */
double stats_entropy(const uint64_t hist[256]);

/** Expected entropy of n independent uniform bytes: the best a cipher can
 * reach on that many samples (8 only as n grows; e.g. n=2 gives 255/256). */
double stats_entropy_ideal(uint64_t n);

/** Chi-square statistic of a histogram against the uniform distribution. */
double stats_chi_square(const uint64_t hist[256]);

/** Upper critical value of chi-square with `df` degrees of freedom at
 * level alpha in (0, 0.5] (Wilson-Hilferty; 293.25 for df=255, 0.05). */
double stats_chi_square_critical(double df, double alpha);

/** Directions of adjacent-pixel correlation. */
enum { STATS_DIR_H = 0, STATS_DIR_V = 1, STATS_DIR_D = 2 };

/** Pearson correlation of pixel pairs (p, neighbour in `dir`), both
 * selected. *pairs receives the pair count. Returns NAN when undefined
 * (fewer than 2 pairs, or a constant sequence). */
double stats_correlation(const stats_plane *p, int dir, uint64_t *pairs);

/** NPCR and UACI (in percent) between two ciphertext planes of the same
 * geometry, over the pixels selected by a's mask. Returns the count. */
uint64_t stats_npcr_uaci(const stats_plane *a, const stats_plane *b, double *npcr, double *uaci);

/** Inverse of the standard normal CDF (|error| < 1e-12 after refinement). */
double stats_norm_quantile(double p);

/** Wu, Noonan, Agaian (2011) critical values for n samples of 8-bit
 * data: NPCR must exceed npcr_crit; UACI must lie in [uaci_lo, uaci_hi].
 * All in percent. */
void stats_wu_critical(uint64_t n, double alpha, double *npcr_crit, double *uaci_lo,
                       double *uaci_hi);

#endif
