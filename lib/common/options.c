/* Checks shared by the options structs of every module (lib/options.h). */
#include <string.h>

#include "fiie/common.h"
#include "common/common.h"

int common_abi_compatible(uint32_t abi_version)
{
    return (abi_version >> 16) == FIIE_ABI_VERSION_MAJOR;
}

int common_options_begin(void *options, size_t size, int abi_version)
{
    if (options == NULL || size < sizeof(uint32_t))
        return FIIE_E_INVALID_ARGUMENT;
    uint32_t stamp = (uint32_t)abi_version;
    if (!common_abi_compatible(stamp))
        return FIIE_E_VERSION;
    memset(options, 0, size);
    memcpy(options, &stamp, sizeof stamp);
    return FIIE_OK;
}

int common_all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

int common_options_check(uint32_t abi_version, const uint8_t *reserved, size_t reserved_size)
{
    if (!common_abi_compatible(abi_version))
        return FIIE_E_VERSION;
    if (!common_all_zero(reserved, reserved_size))
        return FIIE_E_INVALID_ARGUMENT;
    return FIIE_OK;
}
