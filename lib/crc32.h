/* CRC-32 of ISO 3309 / ITU-T V.42 (the PNG and zlib polynomial). */
#ifndef FIIE_LIB_CRC32_H
#define FIIE_LIB_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Continue a CRC: start with crc = 0, feed the bytes in any number of
 * pieces, the result is the CRC of their concatenation. */
uint32_t fiie_crc32_update(uint32_t crc, const void *data, size_t size);

/* CRC-32 of one buffer. */
uint32_t fiie_crc32(const void *data, size_t size);

#endif
