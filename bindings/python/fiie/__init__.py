"""Python bindings of libfiie: face detection (MTCNN) and reversible
encryption of face regions (FIIE v1), over ctypes.

Pure Python, standard library only; numpy is optional (Image.from_array,
Image.to_array). The C library is found through ``FIIE_LIBRARY`` or the
versioned SONAME ``libfiie.so.1``; see fiie._lib.

    import fiie
    with fiie.Image.open("photo.jpg") as img, fiie.Detector() as det:
        faces = det.detect(img)
        with fiie.Mask.from_faces(img, faces) as mask, fiie.Key.generate() as key:
            header = fiie.encrypt(img, mask, key)
            fiie.save_protected_png(img, header, "protected.png")
"""

from ._errors import (STATUS, AuthenticationError, BufferTooSmallError,  # noqa: F401
                      ClosedError, CryptoError, EmptyMaskError, Error,
                      ExistsError, HeaderError, ImageFormatError,
                      InvalidArgumentError, IOFailureError, MismatchError,
                      ModelError, NoMemoryError, NotFoundError, ThreadError,
                      TooLargeError, UnsupportedError, VersionError,
                      UnsupportedFormatError, FileMissingError, FileAccessError,
                      IsDirectoryError, NotDirectoryError)
from ._lib import ABI_MAJOR, ABI_MINOR, strerror  # noqa: F401
from ._lib import PATH as library_path  # noqa: F401
from ._lib import lib as _c
from .image import (MAX_DIMENSION, MAX_PIXELS, Image, PixelFormat,  # noqa: F401
                    find_png_chunk, has_png_chunk, read_png_chunk, ImageInfo, probe_image,
                    probe_image_bytes, MAX_ICC_BYTES)
from .mask import Mask, Region, Shape  # noqa: F401
from .common import (FILE_NO_CLOBBER, FILE_PRIVATE, MAX_THREADS,  # noqa: F401
                     write_file_atomic)
from .detector import (HIGH_RECALL, MIN_FACE_BY_SIZE, MODEL_MTCNN_ORIGINAL,  # noqa: F401
                       NET_SIZES, Detector, Face, Landmarks, Model, Net, crop_patch,
                       default_model, detector_preset, detector_presets, embedded_models)
from .cipher import (KDF_MAX_MEMLIMIT, KDF_MAX_OPSLIMIT,  # noqa: F401
                     KDF_READ_MAX_MEMLIMIT, KDF_READ_MAX_OPSLIMIT, KEY_BYTES,
                     NONCE_BYTES, SALT_BYTES, Alg, Key, decrypt, encrypt,
                     paper_keystream)
from .container import (HeaderInfo, header_size, load_protected_png,  # noqa: F401
                        mask_from_header, parse_header, read_sidecar,
                        save_protected_png, write_sidecar)

__all__ = [
    # errors
    "Error", "InvalidArgumentError", "NoMemoryError", "TooLargeError", "IOFailureError",
    "ImageFormatError", "UnsupportedError", "BufferTooSmallError", "NotFoundError",
    "ExistsError", "VersionError", "ModelError", "HeaderError", "MismatchError",
    "AuthenticationError", "CryptoError", "ThreadError", "EmptyMaskError", "ClosedError",
    "UnsupportedFormatError", "FileMissingError", "FileAccessError", "IsDirectoryError",
    "NotDirectoryError",
    "STATUS", "strerror",
    # library
    "ABI_MAJOR", "ABI_MINOR", "library_path", "library_version", "library_version_number",
    "abi_version",
    # files, threads
    "MAX_THREADS", "FILE_NO_CLOBBER", "FILE_PRIVATE", "write_file_atomic",
    # image
    "Image", "PixelFormat", "MAX_DIMENSION", "MAX_PIXELS", "find_png_chunk", "has_png_chunk",
    "read_png_chunk",
    "ImageInfo", "probe_image", "probe_image_bytes", "MAX_ICC_BYTES",
    # mask
    "Mask", "Region", "Shape",
    # detector
    "Detector", "Face", "Landmarks", "Model", "HIGH_RECALL", "MIN_FACE_BY_SIZE", "detector_preset",
    "detector_presets", "Net", "NET_SIZES", "crop_patch", "MODEL_MTCNN_ORIGINAL",
    "default_model", "embedded_models",
    # cipher
    "Key", "Alg", "encrypt", "decrypt", "paper_keystream", "KEY_BYTES", "NONCE_BYTES",
    "SALT_BYTES", "KDF_MAX_OPSLIMIT", "KDF_MAX_MEMLIMIT", "KDF_READ_MAX_OPSLIMIT",
    "KDF_READ_MAX_MEMLIMIT",
    # container
    "HeaderInfo", "header_size", "parse_header", "mask_from_header", "save_protected_png",
    "load_protected_png", "write_sidecar", "read_sidecar",
]

#: Release version of the bindings (follows the C library's release).
__version__ = "0.1.0"


def __getattr__(name):
    # fiie.HIGH_RECALL comes from the library when asked for (fiie.detector).
    if name == "HIGH_RECALL":
        from . import detector
        return detector.HIGH_RECALL
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


def library_version():
    """Release version string of the loaded C library, e.g. '0.1.0'."""
    return _c.fiie_version_string().decode("ascii")


def library_version_number():
    """major * 10000 + minor * 100 + patch of the loaded C library."""
    return _c.fiie_version_number()


def abi_version():
    """(major, minor) ABI version of the loaded C library."""
    v = _c.fiie_abi_version()
    return (v >> 16, v & 0xFFFF)
