/* Internal side of the header codec (format section 6). */
#ifndef FIIE_LIB_FORMAT_FORMAT_H
#define FIIE_LIB_FORMAT_FORMAT_H

#include "fiie/format.h"

#define FORMAT_HEADER_MAGIC "FIIE"
#define FORMAT_HEADER_VERSION 1u
#define FORMAT_HEADER_FLAG_KDF 1u
#define FORMAT_KDF_ARGON2ID13 1u

/* Write a header for `info` and the regions of `m` into out, which holds
 * fiie_header_size(info->alg, regions, info->kdf != 0) bytes. The tag
 * (algorithm 1) is left for the caller; its bytes are zeroed. */
void format_header_write(uint8_t *out, const fiie_header_info *info, const fiie_mask *m);

/* Region i of a header already accepted by fiie_header_parse(). */
void format_header_region_at(const uint8_t *header, const fiie_header_info *info, size_t i,
                           fiie_region *out);

#endif /* FIIE_LIB_FORMAT_FORMAT_H */
