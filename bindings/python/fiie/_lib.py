"""Loading libfiie and declaring the C prototypes.

The library is looked up, in order:

1. the path in the environment variable ``FIIE_LIBRARY`` (no fallback
   when it is set: a wrong path is an ImportError, never a silent switch
   to another copy);
2. the library this package was installed with: ``fiie/_config.py``,
   written at install time (by meson, or by setup.py from pkg-config),
   names its directory; used when the file is there;
3. the versioned SONAME ``libfiie.so.<ABI major>`` through the dynamic
   loader (``LD_LIBRARY_PATH``, ld.so.cache), so an incompatible major
   release is never picked up.

At import the ABI major of the loaded library (``fiie_abi_version() >> 16``)
must equal ``ABI_MAJOR`` below, the major these bindings were written for.

Every function the bindings can call is listed in ``PROTOTYPES`` with its
``restype`` and ``argtypes``; tests/test_lib.py checks that this table
names exactly the symbols of the version script ``lib/libfiie.ver``.
"""

import ctypes
import numbers
import os
import sys
from ctypes import (POINTER, Structure, c_char_p, c_double, c_float,
                    c_int, c_int32, c_int64, c_size_t, c_uint, c_uint8,
                    c_uint32, c_uint64, c_void_p)

from ._errors import (STATUS, InvalidArgumentError, TooLargeError, UnsupportedError,
                      error_for)

_IO_STATUS = STATUS["FIIE_E_IO"]

#: ABI major of the C headers these bindings mirror (FIIE_ABI_VERSION_MAJOR).
ABI_MAJOR = 1
#: ABI minor the bindings were written against (FIIE_ABI_VERSION_MINOR).
ABI_MINOR = 2
#: FIIE_ABI_VERSION of the headers mirrored here, passed to *_options_init_v.
ABI_VERSION = (ABI_MAJOR << 16) | ABI_MINOR

c_uint8_p = POINTER(c_uint8)
c_void_pp = POINTER(c_void_p)


# ---------------------------------------------------------------- structs
# Layouts mirror include/fiie/*.h exactly (frozen by the ABI).

class fiie_image(Structure):
    """struct fiie_image (image.h)."""
    _fields_ = [
        ("data", c_uint8_p),
        ("width", c_uint32),
        ("height", c_uint32),
        ("stride", c_size_t),
        ("format", c_int32),
        ("flags", c_uint32),
    ]


class fiie_load_options(Structure):
    """struct fiie_load_options (image.h)."""
    _fields_ = [
        ("abi_version", c_uint32),
        ("apply_orientation", c_uint32),
        ("max_pixels", c_uint64),
        ("format", c_int32),
        ("reserved", c_uint8 * 44),
    ]


class fiie_image_info(Structure):
    """struct fiie_image_info (image.h, ABI 1.1)."""
    _fields_ = [
        ("format", ctypes.c_char * 8),
        ("width", c_uint32),
        ("height", c_uint32),
        ("bit_depth", c_uint32),
        ("channels", c_uint32),
        ("orientation", c_uint32),
        ("reserved0", c_uint32),
        ("icc", POINTER(c_uint8)),
        ("icc_size", c_size_t),
        ("reserved", c_uint8 * 32),
    ]


class fiie_png_options(Structure):
    """struct fiie_png_options (image.h, ABI 1.1)."""
    _fields_ = [
        ("abi_version", c_uint32),
        ("flags", c_uint32),
        ("icc", c_void_p),
        ("icc_size", c_size_t),
        ("chunk_type", c_char_p),
        ("chunk_data", c_void_p),
        ("chunk_size", c_size_t),
        ("reserved", c_uint8 * 40),
    ]


class fiie_region(Structure):
    """struct fiie_region (mask.h)."""
    _fields_ = [
        ("shape", c_int32),
        ("x", c_int32),
        ("y", c_int32),
        ("w", c_uint32),
        ("h", c_uint32),
    ]


class fiie_face(Structure):
    """struct fiie_face (detector.h)."""
    _fields_ = [
        ("box", c_float * 4),
        ("score", c_float),
        ("landmarks", (c_float * 2) * 5),
        ("reserved", c_float * 5),
    ]


class fiie_window(Structure):
    """struct fiie_window (detector.h)."""
    _fields_ = [
        ("net", c_int32),
        ("x", c_int32),
        ("y", c_int32),
        ("w", c_uint32),
        ("h", c_uint32),
        ("score", c_float),
        ("reserved", c_uint32 * 2),
    ]


class fiie_detector_options(Structure):
    """struct fiie_detector_options (detector.h)."""
    _fields_ = [
        ("abi_version", c_uint32),
        ("min_face", c_double),
        ("factor", c_double),
        ("thresholds", c_float * 3),
        ("max_faces", c_uint32),
        ("threads", c_uint32),
        ("landmarks", c_int32),
        ("reserved", c_uint8 * 40),
    ]


class fiie_kdf_params(Structure):
    """struct fiie_kdf_params (cipher.h)."""
    _fields_ = [
        ("abi_version", c_uint32),
        ("flags", c_uint32),
        ("opslimit", c_uint64),
        ("memlimit", c_uint64),
        ("salt", c_uint8 * 16),
        ("reserved", c_uint8 * 32),
    ]


class fiie_encrypt_options(Structure):
    """struct fiie_encrypt_options (cipher.h)."""
    _fields_ = [
        ("abi_version", c_uint32),
        ("alg", c_uint32),
        ("flags", c_uint32),
        ("threads", c_uint32),
        ("nonce", c_uint8 * 24),
        ("paper_x0", c_double),
        ("paper_mu", c_double),
        ("reserved", c_uint8 * 40),
    ]


class fiie_decrypt_options(Structure):
    """struct fiie_decrypt_options (cipher.h)."""
    _fields_ = [
        ("abi_version", c_uint32),
        ("threads", c_uint32),
        ("paper_x0", c_double),
        ("paper_mu", c_double),
        ("reserved", c_uint8 * 40),
    ]


class fiie_header_info(Structure):
    """struct fiie_header_info (format.h)."""
    _fields_ = [
        ("version", c_uint32),
        ("alg", c_uint32),
        ("flags", c_uint32),
        ("channels", c_uint32),
        ("width", c_uint32),
        ("height", c_uint32),
        ("n_regions", c_uint32),
        ("kdf", c_uint32),
        ("opslimit", c_uint64),
        ("memlimit", c_uint64),
        ("salt", c_uint8 * 16),
        ("nonce", c_uint8 * 24),
        ("reserved", c_uint8 * 24),
    ]


fiie_image_p = POINTER(fiie_image)

#: Header declaring each mirrored struct (for the layout test).
STRUCT_HEADERS = {
    "fiie_image": "image.h", "fiie_load_options": "image.h",
    "fiie_image_info": "image.h", "fiie_png_options": "image.h",
    "fiie_region": "mask.h",
    "fiie_face": "detector.h", "fiie_detector_options": "detector.h",
    "fiie_window": "detector.h",
    "fiie_kdf_params": "cipher.h", "fiie_encrypt_options": "cipher.h",
    "fiie_decrypt_options": "cipher.h",
    "fiie_header_info": "format.h",
}

# ------------------------------------------------------------- prototypes
# header -> {name -> (restype, [argtypes])}. Handles are opaque: c_void_p.
# tests/test_lib.py checks each group against the FIIE_API declarations of
# include/fiie/<header> (names, argument counts, void results) and the
# union against lib/libfiie.ver.

HEADERS = {}

HEADERS["common.h"] = {
    "fiie_abi_version": (c_int, []),
    "fiie_free": (None, [c_void_p]),
    "fiie_strerror": (c_char_p, [c_int]),
    "fiie_version_number": (c_int, []),
    "fiie_version_string": (c_char_p, []),
    "fiie_file_write_atomic": (c_int, [c_char_p, c_void_p, c_size_t, c_uint]),
}

HEADERS["image.h"] = {
    "fiie_pixel_format_channels": (c_int, [c_int32]),
    "fiie_image_validate": (c_int, [fiie_image_p]),
    "fiie_image_wrap": (c_int, [fiie_image_p, c_void_p, c_uint32, c_uint32,
                                c_size_t, c_int32]),
    "fiie_image_alloc": (c_int, [fiie_image_p, c_uint32, c_uint32, c_int32]),
    "fiie_image_free": (None, [fiie_image_p]),
    "fiie_image_convert": (c_int, [fiie_image_p, fiie_image_p, c_int32]),
    "fiie_load_options_init_v": (c_int, [POINTER(fiie_load_options), c_int]),
    "fiie_image_load": (c_int, [fiie_image_p, c_char_p,
                                POINTER(fiie_load_options)]),
    "fiie_image_load_memory": (c_int, [fiie_image_p, c_void_p, c_size_t,
                                       POINTER(fiie_load_options)]),
    "fiie_image_encode_png": (c_int, [fiie_image_p, c_char_p, c_void_p,
                                      c_size_t, POINTER(c_uint8_p),
                                      POINTER(c_size_t)]),
    "fiie_image_save_png": (c_int, [fiie_image_p, c_char_p, c_char_p,
                                    c_void_p, c_size_t, c_uint]),
    "fiie_png_find_chunk": (c_int, [c_void_p, c_size_t, c_char_p,
                                    POINTER(c_uint8_p), POINTER(c_size_t)]),
    "fiie_png_read_chunk": (c_int, [c_char_p, c_char_p, c_void_p, c_size_t,
                                    POINTER(c_size_t)]),
    # ABI 1.1
    "fiie_image_probe": (c_int, [POINTER(fiie_image_info), c_char_p]),
    "fiie_image_probe_memory": (c_int, [POINTER(fiie_image_info), c_void_p, c_size_t]),
    "fiie_image_info_free": (None, [POINTER(fiie_image_info)]),
    "fiie_png_options_init_v": (c_int, [POINTER(fiie_png_options), c_int]),
    "fiie_image_encode_png_with": (c_int, [fiie_image_p, POINTER(fiie_png_options),
                                           POINTER(c_uint8_p), POINTER(c_size_t)]),
    "fiie_image_save_png_with": (c_int, [fiie_image_p, c_char_p,
                                         POINTER(fiie_png_options)]),
}

HEADERS["mask.h"] = {
    "fiie_mask_max_regions": (c_size_t, []),
    "fiie_mask_new": (c_int, [c_void_pp, c_uint32, c_uint32]),
    "fiie_mask_free": (None, [c_void_p]),
    "fiie_mask_width": (c_uint32, [c_void_p]),
    "fiie_mask_height": (c_uint32, [c_void_p]),
    "fiie_mask_add_region": (c_int, [c_void_p, c_int32, c_int32, c_int32,
                                     c_uint32, c_uint32]),
    "fiie_mask_add_box": (c_int, [c_void_p, c_float, c_float, c_float,
                                  c_float, c_float, c_int32]),
    "fiie_mask_region_count": (c_size_t, [c_void_p]),
    "fiie_mask_get_region": (c_int, [c_void_p, c_size_t,
                                     POINTER(fiie_region)]),
    "fiie_mask_contains": (c_int, [c_void_p, c_int64, c_int64]),
    "fiie_mask_pixel_count": (c_int, [c_void_p, POINTER(c_uint64)]),
    "fiie_mask_rasterize": (c_int, [c_void_p, c_void_p, c_size_t]),
}

HEADERS["detector.h"] = {
    "fiie_detector_options_init_v": (c_int, [POINTER(fiie_detector_options), c_int]),
    "fiie_detector_options_preset": (c_int, [POINTER(fiie_detector_options), c_int]),
    "fiie_detector_preset_from_name": (c_int, [c_char_p, POINTER(c_int)]),
    "fiie_detector_preset_name": (c_char_p, [c_int]),
    "fiie_model_new_default": (c_int, [c_void_pp]),
    "fiie_model_new_from_file": (c_int, [c_void_pp, c_char_p]),
    "fiie_model_new_from_memory": (c_int, [c_void_pp, c_void_p, c_size_t]),
    "fiie_model_free": (None, [c_void_p]),
    "fiie_detector_new": (c_int, [c_void_pp, c_void_p, POINTER(fiie_detector_options)]),
    "fiie_detector_detect": (c_int, [c_void_p, fiie_image_p, POINTER(fiie_face),
                                     c_size_t, POINTER(c_size_t)]),
    "fiie_detector_free": (None, [c_void_p]),
    "fiie_face_alignment_transform": (c_int, [POINTER(fiie_face), POINTER(c_float)]),
    "fiie_face_align": (c_int, [fiie_image_p, POINTER(fiie_face), fiie_image_p]),
    "fiie_detector_windows": (c_int, [c_void_p, fiie_image_p, POINTER(fiie_window),
                                      c_size_t, POINTER(c_size_t)]),
    "fiie_crop_patch": (c_int, [fiie_image_p, c_int32, c_int32, c_uint32, c_uint32,
                                c_uint32, c_void_p]),
    "fiie_model_output_size": (c_int, [c_void_p, c_int, c_uint32, c_uint32,
                                       POINTER(c_uint32), POINTER(c_uint32),
                                       POINTER(c_uint32)]),
    "fiie_model_forward": (c_int, [c_void_p, c_int, c_void_p, c_size_t, c_uint32,
                                   c_uint32, c_void_p, c_size_t]),
    # ABI 1.2
    "fiie_model_new_embedded": (c_int, [c_void_pp, c_char_p]),
    "fiie_model_embedded_name": (c_char_p, [c_size_t]),
    "fiie_model_default_name": (c_char_p, []),
}

HEADERS["cipher.h"] = {
    "fiie_kdf_params_init_v": (c_int, [POINTER(fiie_kdf_params), c_int]),
    "fiie_key_bytes": (c_size_t, []),
    "fiie_nonce_bytes": (c_size_t, []),
    "fiie_salt_bytes": (c_size_t, []),
    "fiie_key_generate": (c_int, [c_void_pp]),
    "fiie_key_from_bytes": (c_int, [c_void_pp, c_void_p, c_size_t]),
    "fiie_key_from_passphrase": (c_int, [c_void_pp, c_char_p, c_size_t,
                                         POINTER(fiie_kdf_params)]),
    "fiie_key_from_header_passphrase": (c_int, [c_void_pp, c_void_p, c_size_t,
                                                c_char_p, c_size_t]),
    "fiie_key_from_header_passphrase_limits": (c_int, [c_void_pp, c_void_p, c_size_t,
                                                       c_char_p, c_size_t, c_uint64,
                                                       c_uint64]),
    "fiie_key_get_bytes": (c_int, [c_void_p, c_void_p, c_size_t]),
    "fiie_key_free": (None, [c_void_p]),
    "fiie_encrypt_options_init_v": (c_int, [POINTER(fiie_encrypt_options), c_int]),
    "fiie_decrypt_options_init_v": (c_int, [POINTER(fiie_decrypt_options), c_int]),
    "fiie_encrypt": (c_int, [c_void_p, fiie_image_p, c_void_p,
                             POINTER(fiie_encrypt_options), c_void_p, c_size_t,
                             POINTER(c_size_t)]),
    "fiie_decrypt": (c_int, [c_void_p, fiie_image_p, c_void_p, c_size_t,
                             POINTER(fiie_decrypt_options)]),
    "fiie_keystream": (c_int, [c_void_p, c_void_p, c_void_p, c_size_t, c_uint]),
    "fiie_paper_keystream": (c_int, [c_double, c_double, c_void_p, c_size_t]),
}

HEADERS["format.h"] = {
    "fiie_header_size": (c_size_t, [c_int, c_size_t, c_int]),
    "fiie_header_parse": (c_int, [POINTER(fiie_header_info), c_void_p, c_size_t]),
    "fiie_header_get_region": (c_int, [c_void_p, c_size_t, c_size_t,
                                       POINTER(fiie_region)]),
    "fiie_mask_from_header": (c_int, [c_void_pp, c_void_p, c_size_t]),
}

HEADERS["container.h"] = {
    "fiie_protected_png_save": (c_int, [fiie_image_p, c_void_p, c_size_t, c_char_p,
                                        c_uint]),
    "fiie_protected_png_load": (c_int, [fiie_image_p, c_char_p, c_void_p, c_size_t,
                                        POINTER(c_size_t)]),
    "fiie_sidecar_write": (c_int, [c_char_p, c_void_p, c_size_t, c_uint]),
    "fiie_sidecar_read": (c_int, [c_char_p, c_void_p, c_size_t, POINTER(c_size_t)]),
}

#: Every declared function: name -> (restype, argtypes).
PROTOTYPES = {n: p for group in HEADERS.values() for n, p in group.items()}


class _Missing:
    """Stand-in for a symbol the loaded library does not export (an older
    minor release): calling it raises UnsupportedError."""

    def __init__(self, name):
        self.__name__ = name

    def __call__(self, *args):
        raise UnsupportedError(
            "%s: not exported by the loaded libfiie (%s)" % (self.__name__, PATH),
            UnsupportedError.code)


def _installed_library():
    """The library named by fiie/_config.py, when that file exists and the
    library is where it says."""
    try:
        from . import _config
    except ImportError:
        return None
    libdir = getattr(_config, "LIBDIR", None)
    soname = getattr(_config, "SONAME", None) or "libfiie.so.%d" % ABI_MAJOR
    if not libdir:
        return None
    path = os.path.join(libdir, soname)
    return path if os.path.isfile(path) else None


def _candidates():
    env = os.environ.get("FIIE_LIBRARY")
    if env:
        return [env], True
    names = []
    installed = _installed_library()
    if installed:
        names.append(installed)
    if sys.platform == "darwin":
        names.append("libfiie.%d.dylib" % ABI_MAJOR)
    else:
        names.append("libfiie.so.%d" % ABI_MAJOR)
    return names, False


def _load():
    names, from_env = _candidates()
    errors = []
    for name in names:
        try:
            # use_errno: file errors report the errno the C library met.
            return ctypes.CDLL(name, use_errno=True), name
        except OSError as e:
            errors.append("%s: %s" % (name, e))
    hint = ("FIIE_LIBRARY is set" if from_env
            else "set FIIE_LIBRARY to the path of libfiie.so.%d or install it" % ABI_MAJOR)
    raise ImportError("cannot load libfiie (%s): %s" % (hint, "; ".join(errors)))


def _bind(cdll):
    funcs = {}
    missing = set()
    for name, (restype, argtypes) in PROTOTYPES.items():
        try:
            f = getattr(cdll, name)
        except AttributeError:
            funcs[name] = _Missing(name)
            missing.add(name)
            continue
        f.restype = restype
        f.argtypes = argtypes
        funcs[name] = f
    return funcs, missing


CDLL, PATH = _load()
_funcs, MISSING = _bind(CDLL)
if "fiie_abi_version" in MISSING:
    raise ImportError("%s is not libfiie (no fiie_abi_version)" % PATH)
RUNTIME_ABI = _funcs["fiie_abi_version"]()
if RUNTIME_ABI >> 16 != ABI_MAJOR:
    raise ImportError("%s has ABI %d.%d; these bindings need ABI major %d"
                      % (PATH, RUNTIME_ABI >> 16, RUNTIME_ABI & 0xFFFF, ABI_MAJOR))


class _Namespace:
    pass


#: Bound C functions as attributes: ``lib.fiie_image_load(...)``.
lib = _Namespace()
for _n, _f in _funcs.items():
    setattr(lib, _n, _f)


_RANGES = {
    "u32": (0, (1 << 32) - 1),
    "i32": (-(1 << 31), (1 << 31) - 1),
    "u64": (0, (1 << 64) - 1),
    "i64": (-(1 << 63), (1 << 63) - 1),
    "size": (0, (1 << (8 * ctypes.sizeof(c_size_t))) - 1),
}


def as_int(value, kind, what, lo=None, hi=None):
    """``value`` checked to fit the C type ``kind`` (ctypes would silently
    wrap it) and, when given, the allowed range ``lo..hi``; the message
    names the argument and its range. Negative for an unsigned type, or
    outside ``lo..hi``: InvalidArgumentError; outside a signed type or too
    large for the type: TooLargeError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidArgumentError("%s must be an integer, not %s" % (what, type(value).__name__))
    v = int(value)
    tlo, thi = _RANGES[kind]
    rlo = tlo if lo is None else lo
    rhi = thi if hi is None else hi
    if (v < 0 and tlo == 0) or (lo is not None and v < lo) or (hi is not None and v > hi):
        raise InvalidArgumentError("%s must be in %d..%d (got %d)" % (what, rlo, rhi, v))
    if not tlo <= v <= thi:
        raise TooLargeError("%s must be in %d..%d (got %d)" % (what, rlo, rhi, v))
    return v


def as_float(value, what, lo, hi, open_lo=False, open_hi=False):
    """``value`` as a float checked against ``lo..hi`` (an end excluded
    when ``open_lo`` / ``open_hi``); the message names the argument and its
    range. Outside: InvalidArgumentError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidArgumentError("%s must be a number, not %s" % (what, type(value).__name__))
    v = float(value)
    ok_lo = v > lo if open_lo else v >= lo
    ok_hi = v < hi if open_hi else v <= hi
    if not (ok_lo and ok_hi):  # NaN fails both
        raise InvalidArgumentError("%s must be in %s%g, %g%s (got %r)" % (
            what, "(" if open_lo else "[", lo, hi, ")" if open_hi else "]", value))
    return v


def strerror(code):
    """The library's message for a status code."""
    return lib.fiie_strerror(code).decode("utf-8", "replace")


def check(status, what, path=None):
    """Raise the fiie.Error subclass for a negative status; return it
    otherwise (some functions return a count). ``path``: the file the call
    was about; a file error (FIIE_E_IO, FIIE_E_EXISTS) then carries it as
    ``filename``, with the errno the C library met, and says why."""
    if status < 0:
        err = ctypes.get_errno() if path is not None and status == _IO_STATUS else 0
        msg = strerror(status)
        if err and path is not None and status == _IO_STATUS:
            msg = "%s (%s)" % (msg, os.strerror(err))
        raise error_for(status, "%s: %s" % (what, msg), err or None, path)
    return status


def clear_errno():
    """Forget the errno of earlier calls, before a call whose file error
    check() will report (ctypes keeps errno per thread between calls)."""
    ctypes.set_errno(0)


def call(name, *args):
    """Call a C function by name and raise on a negative status."""
    return check(getattr(lib, name)(*args), name)
