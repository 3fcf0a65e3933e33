/* Status strings and version queries (fiie/common.h). */
#include <stdlib.h>

#include "common/common.h"
#include "fiie/common.h"

const char *fiie_strerror(int status)
{
    switch (status) {
    case FIIE_OK: return "success";
    case FIIE_E_INVALID_ARGUMENT: return "invalid argument";
    case FIIE_E_NO_MEMORY: return "out of memory";
    case FIIE_E_TOO_LARGE: return "size exceeds a limit";
    case FIIE_E_IO: return "input/output error";
    case FIIE_E_IMAGE_FORMAT: return "unreadable image: unknown, truncated or corrupt file";
    case FIIE_E_UNSUPPORTED: return "not supported";
    case FIIE_E_BUFFER_TOO_SMALL: return "output buffer too small";
    case FIIE_E_NOT_FOUND: return "not found";
    case FIIE_E_EXISTS: return "output file exists";
    case FIIE_E_VERSION: return "options initialised for an incompatible libfiie ABI";
    case FIIE_E_MODEL: return "model data corrupt, truncated or of an unknown version";
    case FIIE_E_HEADER: return "malformed protected-image header";
    case FIIE_E_MISMATCH: return "header does not match the image";
    case FIIE_E_AUTH: return "authentication failed: wrong key or tampered data";
    case FIIE_E_CRYPTO: return "cryptographic failure";
    case FIIE_E_THREAD: return "cannot start a worker thread";
    case FIIE_E_EMPTY_MASK: return "the mask protects no pixel of the image";
    case FIIE_E_UNSUPPORTED_FORMAT:
        return "unsupported image format (libfiie reads PNG, JPEG, BMP and TGA)";
    default: return "unknown error";
    }
}

#define FIIE_STR2(x) #x
#define FIIE_STR(x) FIIE_STR2(x)

int fiie_version_number(void)
{
    return FIIE_VERSION_NUMBER;
}

const char *fiie_version_string(void)
{
    return FIIE_STR(FIIE_VERSION_MAJOR) "." FIIE_STR(FIIE_VERSION_MINOR) "." FIIE_STR(
        FIIE_VERSION_PATCH);
}

int fiie_abi_version(void)
{
    return FIIE_ABI_VERSION;
}

void fiie_free(void *p)
{
    common_buf_free(p); /* every buffer libfiie hands out is an image buffer */
}
