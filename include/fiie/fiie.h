/**
 * @file fiie/fiie.h
 * @brief Umbrella header: the whole public API of libfiie.
 *
 * @mainpage libfiie
 * libfiie finds faces in photos (MTCNN), turns them into a mask of regions
 * and encrypts exactly those pixels (FIIE v1: Logistic-map keystream under
 * XChaCha20-Poly1305) so that only a key holder can restore them
 * bit-exactly. The detector, mask and cipher APIs are independent and meet
 * in the plain ::fiie_image struct.
 */
#ifndef FIIE_FIIE_H
#define FIIE_FIIE_H

#include "fiie/version.h"
#include "fiie/common.h"
#include "fiie/image.h"
#include "fiie/mask.h"
#include "fiie/format.h"
#include "fiie/cipher.h"
#include "fiie/container.h"
#include "fiie/detector.h"

#endif /* FIIE_FIIE_H */
