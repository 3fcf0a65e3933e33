/* Algorithm 0: keystream of the published (insecure) scheme, format
 * section 5. Binary64 arithmetic, exact evaluation order. */
#ifndef FIIE_LIB_PAPER_H
#define FIIE_LIB_PAPER_H

#include <stddef.h>
#include <stdint.h>

#define FIIE_PAPER_DISCARD 1000

/* 1 when 0 < x0 < 1 and 3.57 <= mu <= 4 (NaN fails). */
int fiie_paper_key_valid(double x0, double mu);

/* State after the discarded iterations (key assumed valid). */
double fiie_paper_start(double x0, double mu);

/* XOR the next len keystream bytes into buf, advancing *x. */
void fiie_paper_stream_xor(double *x, double mu, uint8_t *buf, size_t len);

/* XOR the first len keystream bytes into buf (key assumed valid). */
void fiie_paper_xor(double x0, double mu, uint8_t *buf, size_t len);

#endif /* FIIE_LIB_PAPER_H */
