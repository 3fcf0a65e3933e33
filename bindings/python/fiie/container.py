"""Protected-image headers and their containers (fiie/container.h): a
``fiIE`` chunk in a PNG, or a sidecar file."""

import ctypes
import os

from . import _lib
from ._errors import STATUS
from ._handle import using
from ._lib import as_int, check, clear_errno, lib
from .image import SAVE_NO_CLOBBER, Image
from .mask import Mask, Region, Shape

#: PNG chunk type of the header.
PNG_CHUNK = "fiIE"
#: Largest possible header (KDF block, 65535 regions, tag).
HEADER_MAX_BYTES = 44 + 36 + 20 * 65535 + 16


class HeaderInfo:
    """What a header says (no key needed): ``version``, ``alg``,
    ``flags``, ``channels``, ``width``, ``height``, ``regions`` (list of
    Region), ``kdf`` (0 raw key, 1 Argon2id), ``opslimit``, ``memlimit``,
    ``salt``, ``nonce`` (bytes)."""

    def __init__(self, info, regions):
        for f in ("version", "alg", "flags", "channels", "width", "height", "kdf",
                  "opslimit", "memlimit"):
            setattr(self, f, getattr(info, f))
        self.salt = bytes(info.salt)
        self.nonce = bytes(info.nonce)
        self.regions = regions

    @property
    def uses_passphrase(self):
        return self.kdf != 0

    def __repr__(self):
        return ("<fiie.HeaderInfo v%d alg %d %dx%d ch %d, %d regions%s>"
                % (self.version, self.alg, self.width, self.height, self.channels,
                   len(self.regions), ", passphrase" if self.kdf else ""))


def header_size(alg, n_regions, has_kdf=False):
    """Size in bytes of a header (0 for an invalid combination)."""
    return lib.fiie_header_size(int(alg), as_int(n_regions, "size", "n_regions"),
                                1 if has_kdf else 0)


def parse_header(header):
    """Validate and decode a header; raises HeaderError when malformed."""
    h = bytes(header)
    info = _lib.fiie_header_info()
    check(lib.fiie_header_parse(ctypes.byref(info), h, len(h)), "fiie_header_parse")
    regions = []
    r = _lib.fiie_region()
    for i in range(info.n_regions):
        check(lib.fiie_header_get_region(h, len(h), i, ctypes.byref(r)),
              "fiie_header_get_region")
        regions.append(Region(Shape(r.shape), r.x, r.y, r.w, r.h))
    return HeaderInfo(info, regions)


def mask_from_header(header):
    """The Mask a header describes (e.g. to preview protected pixels)."""
    h = bytes(header)
    p = ctypes.c_void_p()
    check(lib.fiie_mask_from_header(ctypes.byref(p), h, len(h)), "fiie_mask_from_header")
    return Mask._from_ptr(p)


def save_protected_png(image, header, path, *, overwrite=False, icc=None):
    """Write an encrypted image as PNG with its header in a ``fiIE``
    chunk, atomically. The header must describe this image. An existing
    file raises ExistsError unless ``overwrite=True``. ``icc``: the
    source's ICC colour profile (``probe_image(src).icc``) to keep."""
    h = bytes(header)
    what = "fiie_protected_png_save(%s)" % os.fsdecode(path)
    if icc is None:
        clear_errno()
        with using(image) as (ip,):
            check(lib.fiie_protected_png_save(ip, h, len(h), os.fsencode(path),
                                              0 if overwrite else SAVE_NO_CLOBBER),
                  what, path)
        return
    info = parse_header(h)
    if (info.width, info.height, info.channels) != (image.width, image.height,
                                                     image.channels):
        check(STATUS["FIIE_E_MISMATCH"], what)
    image.save_png(path, overwrite=overwrite, chunk=(PNG_CHUNK, h), icc=icc)


def load_protected_png(path):
    """(Image, header bytes) of a protected PNG. NotFoundError when the
    PNG has no ``fiIE`` chunk."""
    p = os.fsencode(path)
    what = "fiie_protected_png_load(%s)" % os.fsdecode(path)
    size = ctypes.c_size_t()
    img = _lib.fiie_image()
    clear_errno()
    st = lib.fiie_protected_png_load(ctypes.byref(img), p, None, 0, ctypes.byref(size))
    if st != STATUS["FIIE_E_BUFFER_TOO_SMALL"]:
        check(st if st < 0 else STATUS["FIIE_E_INVALID_ARGUMENT"], what, path)
    buf = ctypes.create_string_buffer(max(size.value, 1))
    check(lib.fiie_protected_png_load(ctypes.byref(img), p, buf, size.value,
                                      ctypes.byref(size)), what, path)
    return Image._adopt(img), buf.raw[:size.value]


def write_sidecar(path, header, *, overwrite=False):
    """Write a header alone to a sidecar file, atomically. An existing
    file raises ExistsError unless ``overwrite=True``."""
    h = bytes(header)
    clear_errno()
    check(lib.fiie_sidecar_write(os.fsencode(path), h, len(h),
                                 0 if overwrite else SAVE_NO_CLOBBER),
          "fiie_sidecar_write(%s)" % os.fsdecode(path), path)


def read_sidecar(path):
    """Header bytes of a sidecar file (validated)."""
    p = os.fsencode(path)
    what = "fiie_sidecar_read(%s)" % os.fsdecode(path)
    size = ctypes.c_size_t()
    clear_errno()
    st = lib.fiie_sidecar_read(p, None, 0, ctypes.byref(size))
    if st != STATUS["FIIE_E_BUFFER_TOO_SMALL"]:
        check(st if st < 0 else STATUS["FIIE_E_INVALID_ARGUMENT"], what, path)
    buf = ctypes.create_string_buffer(max(size.value, 1))
    check(lib.fiie_sidecar_read(p, buf, size.value, ctypes.byref(size)), what, path)
    return buf.raw[:size.value]
