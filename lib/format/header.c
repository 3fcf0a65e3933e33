/* Header encode/decode (format section 6). Every length is checked against
 * the bytes actually present before it is used. */
#include <string.h>

#include "fiie/format.h"
#include "format/format.h"
#include "common/common.h"

static int all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

size_t fiie_header_size(int alg, size_t n_regions, int has_kdf)
{
    if ((alg != FIIE_ALG_V1 && alg != FIIE_ALG_PAPER) || n_regions == 0 ||
        n_regions > FIIE_MAX_REGIONS)
        return 0;
    return FIIE_HEADER_FIXED_BYTES + (has_kdf ? FIIE_HEADER_KDF_BYTES : 0) +
           FIIE_HEADER_REGION_BYTES * n_regions + (alg == FIIE_ALG_V1 ? FIIE_TAG_BYTES : 0);
}

static size_t regions_offset(const fiie_header_info *info)
{
    return FIIE_HEADER_FIXED_BYTES + (info->kdf ? FIIE_HEADER_KDF_BYTES : 0);
}

int fiie_header_parse(fiie_header_info *info, const uint8_t *h, size_t len)
{
    if (!info || !h)
        return FIIE_E_INVALID_ARGUMENT;
    memset(info, 0, sizeof *info);
    if (len < FIIE_HEADER_FIXED_BYTES || memcmp(h, FORMAT_HEADER_MAGIC, 4) != 0)
        return FIIE_E_HEADER;
    fiie_header_info v = {0};
    v.version = h[4];
    v.alg = h[5];
    v.flags = h[6];
    v.channels = h[7];
    v.width = mem_load_le32(h + 8);
    v.height = mem_load_le32(h + 12);
    memcpy(v.nonce, h + 16, sizeof v.nonce);
    v.n_regions = mem_load_le16(h + 40);
    if (v.version != FORMAT_HEADER_VERSION || (v.alg != FIIE_ALG_V1 && v.alg != FIIE_ALG_PAPER) ||
        (v.flags & ~FORMAT_HEADER_FLAG_KDF) != 0 || (v.channels != 3 && v.channels != 4) ||
        v.width == 0 || v.height == 0 || v.n_regions == 0 || !all_zero(h + 42, 2))
        return FIIE_E_HEADER;
    int has_kdf = (v.flags & FORMAT_HEADER_FLAG_KDF) != 0;
    if (len != fiie_header_size((int)v.alg, v.n_regions, has_kdf))
        return FIIE_E_HEADER;
    /* Algorithm 0 has no nonce and no passphrase (section 6): a paper
     * header carrying either is a rewritten v1 header, not a paper one. */
    if (v.alg == FIIE_ALG_PAPER && (has_kdf || !all_zero(v.nonce, sizeof v.nonce)))
        return FIIE_E_HEADER;
    if (has_kdf) {
        const uint8_t *k = h + FIIE_HEADER_FIXED_BYTES;
        if (k[0] != FORMAT_KDF_ARGON2ID13 || !all_zero(k + 1, 3))
            return FIIE_E_HEADER;
        v.kdf = k[0];
        v.opslimit = mem_load_le64(k + 4);
        v.memlimit = mem_load_le64(k + 12);
        memcpy(v.salt, k + 20, sizeof v.salt);
    }
    const uint8_t *r = h + regions_offset(&v);
    for (uint32_t i = 0; i < v.n_regions; i++, r += FIIE_HEADER_REGION_BYTES) {
        if ((r[0] != FIIE_SHAPE_RECT && r[0] != FIIE_SHAPE_ELLIPSE) || !all_zero(r + 1, 3) ||
            mem_load_le32(r + 12) == 0 || mem_load_le32(r + 16) == 0)
            return FIIE_E_HEADER;
    }
    *info = v;
    return FIIE_OK;
}

void format_header_region_at(const uint8_t *h, const fiie_header_info *info, size_t i,
                           fiie_region *out)
{
    const uint8_t *r = h + regions_offset(info) + FIIE_HEADER_REGION_BYTES * i;
    out->shape = r[0];
    out->x = (int32_t)mem_load_le32(r + 4);
    out->y = (int32_t)mem_load_le32(r + 8);
    out->w = mem_load_le32(r + 12);
    out->h = mem_load_le32(r + 16);
}

int fiie_header_get_region(const uint8_t *header, size_t len, size_t index, fiie_region *out)
{
    if (!header || !out)
        return FIIE_E_INVALID_ARGUMENT;
    fiie_header_info info;
    int rc = fiie_header_parse(&info, header, len);
    if (rc != FIIE_OK)
        return rc;
    if (index >= info.n_regions)
        return FIIE_E_NOT_FOUND;
    format_header_region_at(header, &info, index, out);
    return FIIE_OK;
}

int fiie_mask_from_header(fiie_mask **out, const uint8_t *header, size_t len)
{
    if (!out)
        return FIIE_E_INVALID_ARGUMENT;
    *out = NULL;
    fiie_header_info info;
    int rc = fiie_header_parse(&info, header, len);
    if (rc != FIIE_OK)
        return rc;
    fiie_mask *m;
    rc = fiie_mask_new(&m, info.width, info.height);
    if (rc != FIIE_OK)
        return rc;
    for (size_t i = 0; i < info.n_regions && rc == FIIE_OK; i++) {
        fiie_region r;
        format_header_region_at(header, &info, i, &r);
        rc = fiie_mask_add_region(m, r.shape, r.x, r.y, r.w, r.h);
    }
    if (rc != FIIE_OK) {
        fiie_mask_free(m);
        return rc;
    }
    *out = m;
    return FIIE_OK;
}

void format_header_write(uint8_t *out, const fiie_header_info *info, const fiie_mask *m)
{
    size_t n = fiie_mask_region_count(m);
    memcpy(out, FORMAT_HEADER_MAGIC, 4);
    out[4] = FORMAT_HEADER_VERSION;
    out[5] = (uint8_t)info->alg;
    out[6] = info->kdf ? FORMAT_HEADER_FLAG_KDF : 0;
    out[7] = (uint8_t)info->channels;
    mem_store_le32(out + 8, info->width);
    mem_store_le32(out + 12, info->height);
    memcpy(out + 16, info->nonce, 24);
    mem_store_le16(out + 40, (uint16_t)n);
    mem_store_le16(out + 42, 0);
    if (info->kdf) {
        uint8_t *k = out + FIIE_HEADER_FIXED_BYTES;
        memset(k, 0, FIIE_HEADER_KDF_BYTES);
        k[0] = FORMAT_KDF_ARGON2ID13;
        mem_store_le64(k + 4, info->opslimit);
        mem_store_le64(k + 12, info->memlimit);
        memcpy(k + 20, info->salt, 16);
    }
    uint8_t *r = out + regions_offset(info);
    for (size_t i = 0; i < n; i++, r += FIIE_HEADER_REGION_BYTES) {
        fiie_region g = {0};
        int rc = fiie_mask_get_region(m, i, &g); /* i < count: cannot fail */
        (void)rc;
        memset(r, 0, FIIE_HEADER_REGION_BYTES);
        r[0] = (uint8_t)g.shape;
        mem_store_le32(r + 4, (uint32_t)g.x);
        mem_store_le32(r + 8, (uint32_t)g.y);
        mem_store_le32(r + 12, g.w);
        mem_store_le32(r + 16, g.h);
    }
    if (info->alg == FIIE_ALG_V1)
        memset(r, 0, FIIE_TAG_BYTES);
}
