/* Byte-order helpers: the one copy of the little- and big-endian loads and
 * stores every file format of the library needs (FIIE headers, model files,
 * PNG, BMP/TGA, EXIF, the Logistic seeds, Poly1305 lengths). Byte by byte,
 * so they are correct on any host and any alignment; compilers fuse them
 * into single moves. Included through common/common.h. */
#ifndef FIIE_LIB_COMMON_MEM_H
#define FIIE_LIB_COMMON_MEM_H

#include <stdint.h>

static inline uint16_t mem_load_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t mem_load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t mem_load_le64(const uint8_t *p)
{
    return (uint64_t)mem_load_le32(p) | (uint64_t)mem_load_le32(p + 4) << 32;
}

static inline uint16_t mem_load_be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t mem_load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline void mem_store_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void mem_store_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void mem_store_le64(uint8_t *p, uint64_t v)
{
    mem_store_le32(p, (uint32_t)v);
    mem_store_le32(p + 4, (uint32_t)(v >> 32));
}

static inline void mem_store_be32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (24 - 8 * i));
}

#endif /* FIIE_LIB_COMMON_MEM_H */
