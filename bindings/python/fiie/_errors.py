"""Status codes of libfiie (include/fiie/common.h) and the exceptions they
raise.

The numeric values are frozen by the C ABI; tests/test_errors.py parses the
header and fails if this table and ``enum fiie_status`` ever differ.

File errors are ``OSError`` subclasses carrying ``errno`` and ``filename``
(the path), so ``except OSError`` and ``except FileNotFoundError`` work as
for Python's own file functions.
"""

import errno as _errno
import os as _os

# name in common.h -> value
STATUS = {
    "FIIE_OK": 0,
    "FIIE_E_INVALID_ARGUMENT": -1,
    "FIIE_E_NO_MEMORY": -2,
    "FIIE_E_TOO_LARGE": -3,
    "FIIE_E_IO": -4,
    "FIIE_E_IMAGE_FORMAT": -5,
    "FIIE_E_UNSUPPORTED": -6,
    "FIIE_E_BUFFER_TOO_SMALL": -7,
    "FIIE_E_NOT_FOUND": -8,
    "FIIE_E_EXISTS": -9,
    "FIIE_E_VERSION": -10,
    "FIIE_E_MODEL": -11,
    "FIIE_E_HEADER": -12,
    "FIIE_E_MISMATCH": -13,
    "FIIE_E_AUTH": -14,
    "FIIE_E_CRYPTO": -15,
    "FIIE_E_THREAD": -16,
    "FIIE_E_EMPTY_MASK": -17,
    "FIIE_E_UNSUPPORTED_FORMAT": -18,
}


class Error(Exception):
    """Base class of every libfiie failure.

    ``code`` is the negative ``FIIE_E_*`` status the C library returned,
    ``name`` its symbolic name (``"FIIE_E_AUTH"``), ``args[0]`` the
    message (the library's ``fiie_strerror`` text, possibly prefixed with
    the function that failed).
    """

    code = None  # set on each subclass; instances may override

    def __init__(self, message, code=None):
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def name(self):
        for k, v in STATUS.items():
            if v == self.code:
                return k
        return "FIIE_E_UNKNOWN(%s)" % self.code


class InvalidArgumentError(Error, ValueError):
    """FIIE_E_INVALID_ARGUMENT: NULL, zero size, bad enum or option."""
    code = STATUS["FIIE_E_INVALID_ARGUMENT"]


class NoMemoryError(Error, MemoryError):
    """FIIE_E_NO_MEMORY: an allocation inside the library failed."""
    code = STATUS["FIIE_E_NO_MEMORY"]


class TooLargeError(Error, ValueError):
    """FIIE_E_TOO_LARGE: a size over a documented limit."""
    code = STATUS["FIIE_E_TOO_LARGE"]


class _FileError(Error, OSError):
    """A libfiie failure about a file: also an OSError with ``errno`` (the
    cause the C library met, EIO when unknown) and ``filename``."""

    default_errno = _errno.EIO

    def __init__(self, message, code=None, errno=None, filename=None):
        Error.__init__(self, message, code)
        self.errno = errno or self.default_errno
        self.strerror = _os.strerror(self.errno)
        self.filename = filename

    def __str__(self):
        return str(self.args[0])


class IOFailureError(_FileError):
    """FIIE_E_IO: a file could not be opened, read, written or renamed.
    Raised as one of the subclasses below when ``errno`` says more."""
    code = STATUS["FIIE_E_IO"]


class FileMissingError(IOFailureError, FileNotFoundError):
    """FIIE_E_IO with errno ENOENT: no such file or directory."""


class FileAccessError(IOFailureError, PermissionError):
    """FIIE_E_IO with errno EACCES or EPERM: permission denied."""


class IsDirectoryError(IOFailureError, IsADirectoryError):
    """FIIE_E_IO with errno EISDIR: a directory where a file was expected."""


class NotDirectoryError(IOFailureError, NotADirectoryError):
    """FIIE_E_IO with errno ENOTDIR: a path component is not a directory."""


_IO_BY_ERRNO = {
    _errno.ENOENT: FileMissingError,
    _errno.EACCES: FileAccessError,
    _errno.EPERM: FileAccessError,
    _errno.EISDIR: IsDirectoryError,
    _errno.ENOTDIR: NotDirectoryError,
}


class ImageFormatError(Error):
    """FIIE_E_IMAGE_FORMAT: unknown, truncated or corrupt image file."""
    code = STATUS["FIIE_E_IMAGE_FORMAT"]


class UnsupportedFormatError(ImageFormatError):
    """FIIE_E_UNSUPPORTED_FORMAT: a WebP, TIFF, GIF, HEIC, AVIF or JPEG XL
    file; ``format`` names it (the message says "Unsupported format:
    WebP"). A subclass of ImageFormatError, which older callers catch."""
    code = STATUS["FIIE_E_UNSUPPORTED_FORMAT"]
    format = None


class UnsupportedError(Error):
    """FIIE_E_UNSUPPORTED: valid request this build does not support
    (also raised by the bindings for a function the loaded library lacks)."""
    code = STATUS["FIIE_E_UNSUPPORTED"]


class BufferTooSmallError(Error):
    """FIIE_E_BUFFER_TOO_SMALL (the bindings size buffers themselves, so
    seeing this means a library bug)."""
    code = STATUS["FIIE_E_BUFFER_TOO_SMALL"]


class NotFoundError(Error):
    """FIIE_E_NOT_FOUND: e.g. a PNG without a ``fiIE`` chunk."""
    code = STATUS["FIIE_E_NOT_FOUND"]


class ExistsError(_FileError, FileExistsError):
    """FIIE_E_EXISTS: the output exists and overwriting was not allowed
    (errno EEXIST, ``filename`` the output)."""
    code = STATUS["FIIE_E_EXISTS"]
    default_errno = _errno.EEXIST


class VersionError(Error):
    """FIIE_E_VERSION: options made for an incompatible ABI."""
    code = STATUS["FIIE_E_VERSION"]


class ModelError(Error):
    """FIIE_E_MODEL: detector model corrupt, truncated or unknown."""
    code = STATUS["FIIE_E_MODEL"]


class HeaderError(Error):
    """FIIE_E_HEADER: malformed protected-image header."""
    code = STATUS["FIIE_E_HEADER"]


class MismatchError(Error):
    """FIIE_E_MISMATCH: the header does not describe this image."""
    code = STATUS["FIIE_E_MISMATCH"]


class AuthenticationError(Error):
    """FIIE_E_AUTH: wrong key, or the pixels or header were tampered with.
    The image is left untouched."""
    code = STATUS["FIIE_E_AUTH"]


class CryptoError(Error):
    """FIIE_E_CRYPTO: crypto library failure."""
    code = STATUS["FIIE_E_CRYPTO"]


class ThreadError(Error):
    """FIIE_E_THREAD: a worker thread could not be started."""
    code = STATUS["FIIE_E_THREAD"]


class EmptyMaskError(Error):
    """FIIE_E_EMPTY_MASK: the mask protects no pixel of the image."""
    code = STATUS["FIIE_E_EMPTY_MASK"]


class ClosedError(InvalidArgumentError):
    """A handle was used after close() (raised by the bindings; the C
    library never sees the freed pointer)."""


# value -> exception class
ERROR_CLASSES = {cls.code: cls for cls in (
    InvalidArgumentError, NoMemoryError, TooLargeError, IOFailureError,
    ImageFormatError, UnsupportedError, BufferTooSmallError, NotFoundError,
    ExistsError, VersionError, ModelError, HeaderError, MismatchError,
    AuthenticationError, CryptoError, ThreadError, EmptyMaskError,
    UnsupportedFormatError)}


def error_for(code, message, errno=None, filename=None):
    """The exception instance for a negative status (unknown codes give
    the base class, still carrying the code). File errors (FIIE_E_IO,
    FIIE_E_EXISTS) get ``errno`` and ``filename``; FIIE_E_IO is raised as
    the subclass matching errno (FileMissingError for ENOENT...)."""
    cls = ERROR_CLASSES.get(code, Error)
    if cls is IOFailureError:
        cls = _IO_BY_ERRNO.get(errno, IOFailureError)
    if issubclass(cls, _FileError):
        if filename is not None:
            filename = _os.fsdecode(filename)
        return cls(message, code, errno, filename)
    return cls(message, code)
