/* Prints the size of every public struct and the offset and size of each
 * field, one per line ("TYPE size N" / "TYPE.FIELD OFFSET SIZE"), so that
 * test_lib.py can compare the ctypes mirrors of the Python bindings with
 * what the C compiler actually lays out. Headers not yet present in the
 * tree are skipped. */
#include <stddef.h>
#include <stdio.h>

#include "fiie/fiie.h"
#if defined(__has_include)
#if __has_include("fiie/mask.h")
#include "fiie/mask.h"
#define HAVE_MASK 1
#endif
#if __has_include("fiie/detector.h")
#include "fiie/detector.h"
#define HAVE_DETECTOR 1
#endif
#if __has_include("fiie/cipher.h")
#include "fiie/cipher.h"
#define HAVE_CIPHER 1
#endif
#if __has_include("fiie/container.h")
#include "fiie/container.h"
#define HAVE_CONTAINER 1
#endif
#endif

#define S(T) printf(#T " size %zu\n", sizeof(T))
#define F(T, f) printf(#T "." #f " %zu %zu\n", offsetof(T, f), sizeof(((T *)0)->f))

int main(void)
{
    S(fiie_image);
    F(fiie_image, data); F(fiie_image, width); F(fiie_image, height);
    F(fiie_image, stride); F(fiie_image, format); F(fiie_image, flags);
    S(fiie_load_options);
    F(fiie_load_options, abi_version); F(fiie_load_options, apply_orientation);
    F(fiie_load_options, max_pixels); F(fiie_load_options, format);
    F(fiie_load_options, reserved);
#ifdef HAVE_MASK
    S(fiie_region);
    F(fiie_region, shape); F(fiie_region, x); F(fiie_region, y);
    F(fiie_region, w); F(fiie_region, h);
#endif
#ifdef HAVE_DETECTOR
    S(fiie_face);
    F(fiie_face, box); F(fiie_face, score); F(fiie_face, landmarks); F(fiie_face, reserved);
    S(fiie_detector_options);
    F(fiie_detector_options, abi_version); F(fiie_detector_options, min_face);
    F(fiie_detector_options, factor); F(fiie_detector_options, thresholds);
    F(fiie_detector_options, max_faces); F(fiie_detector_options, threads);
    F(fiie_detector_options, landmarks); F(fiie_detector_options, reserved);
    S(fiie_window);
    F(fiie_window, net); F(fiie_window, x); F(fiie_window, y); F(fiie_window, w);
    F(fiie_window, h); F(fiie_window, score); F(fiie_window, reserved);
#endif
#ifdef HAVE_CIPHER
    S(fiie_kdf_params);
    F(fiie_kdf_params, abi_version); F(fiie_kdf_params, flags);
    F(fiie_kdf_params, opslimit); F(fiie_kdf_params, memlimit);
    F(fiie_kdf_params, salt); F(fiie_kdf_params, reserved);
    S(fiie_encrypt_options);
    F(fiie_encrypt_options, abi_version); F(fiie_encrypt_options, alg);
    F(fiie_encrypt_options, flags); F(fiie_encrypt_options, threads);
    F(fiie_encrypt_options, nonce); F(fiie_encrypt_options, paper_x0);
    F(fiie_encrypt_options, paper_mu); F(fiie_encrypt_options, reserved);
    S(fiie_decrypt_options);
    F(fiie_decrypt_options, abi_version); F(fiie_decrypt_options, threads);
    F(fiie_decrypt_options, paper_x0); F(fiie_decrypt_options, paper_mu);
    F(fiie_decrypt_options, reserved);
#endif
#ifdef HAVE_CONTAINER
    S(fiie_header_info);
    F(fiie_header_info, version); F(fiie_header_info, alg); F(fiie_header_info, flags);
    F(fiie_header_info, channels); F(fiie_header_info, width); F(fiie_header_info, height);
    F(fiie_header_info, n_regions); F(fiie_header_info, kdf); F(fiie_header_info, opslimit);
    F(fiie_header_info, memlimit); F(fiie_header_info, salt); F(fiie_header_info, nonce);
    F(fiie_header_info, reserved);
#endif
    return 0;
}
