/**
 * @file fiie/version.h
 * @brief Version numbers of libfiie.
 *
 * This header is the single source of truth for the version: meson reads
 * these macros to set the project version and the SONAME
 * (`libfiie.so.FIIE_ABI_VERSION_MAJOR`).
 *
 * Two numbers exist on purpose (as in dav1d):
 * - the release version (FIIE_VERSION_*) names a tarball;
 * - the ABI version (FIIE_ABI_VERSION_*) changes only with the binary
 *   interface: MAJOR on an incompatible change (new SONAME), MINOR when
 *   symbols or options fields are added compatibly.
 */
#ifndef FIIE_VERSION_H
#define FIIE_VERSION_H

/** Release version, major part. */
#define FIIE_VERSION_MAJOR 0
/** Release version, minor part. */
#define FIIE_VERSION_MINOR 1
/** Release version, patch part. */
#define FIIE_VERSION_PATCH 0

/** ABI major: the SONAME is libfiie.so.FIIE_ABI_VERSION_MAJOR. */
#define FIIE_ABI_VERSION_MAJOR 1
/** ABI minor: bumped when symbols or option fields are added compatibly. */
#define FIIE_ABI_VERSION_MINOR 2

/** Release version as one number: major * 10000 + minor * 100 + patch. */
#define FIIE_VERSION_NUMBER \
    (FIIE_VERSION_MAJOR * 10000 + FIIE_VERSION_MINOR * 100 + FIIE_VERSION_PATCH)

/** ABI version passed to the `*_options_init_v` functions (major << 16 | minor). */
#define FIIE_ABI_VERSION ((FIIE_ABI_VERSION_MAJOR << 16) | FIIE_ABI_VERSION_MINOR)

#endif /* FIIE_VERSION_H */
