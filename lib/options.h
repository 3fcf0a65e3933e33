/* Helpers shared by every public options struct (internal).
 *
 * Every options struct starts with `uint32_t abi_version` and ends with
 * reserved bytes that must stay zero; these functions hold the checks so
 * that the modules cannot drift apart. */
#ifndef FIIE_LIB_OPTIONS_H
#define FIIE_LIB_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

/* Non-zero when an options struct stamped with `abi_version` has this
 * library's layout (same ABI major). */
int fiie_abi_compatible(uint32_t abi_version);

/* Common start of fiie_X_options_init_v(): NULL and ABI-major checks, then
 * zero the whole struct and stamp the caller's ABI version into its first
 * field. Returns 0, FIIE_E_INVALID_ARGUMENT or FIIE_E_VERSION. */
int fiie_options_begin(void *options, size_t size, int abi_version);

/* Non-zero when all n bytes are zero (reserved option bytes must be, so
 * that a field added later is never silently ignored by an older library). */
int fiie_all_zero(const uint8_t *p, size_t n);

#endif /* FIIE_LIB_OPTIONS_H */
