"""fiie.Image: an 8-bit interleaved image (struct fiie_image).

An Image either owns pixels allocated by libfiie (decoded files,
``Image.new``, conversions; released by close()) or describes memory that
belongs to a Python object (a bytearray, a numpy array), which it keeps a
reference to so the memory outlives the Image.
"""

import ctypes
import enum
import os
import threading

from . import _lib
from ._errors import STATUS, ClosedError, InvalidArgumentError, UnsupportedFormatError
from ._lib import as_int, c_uint8_p, check, clear_errno, lib

#: fiie_image_save_png() flag FIIE_SAVE_NO_CLOBBER.
SAVE_NO_CLOBBER = 1
#: FIIE_SAVE_PRIVATE (mode 0600), for fiie_image_save_png() flags and fiie_png_options.
SAVE_PRIVATE = 2
#: Largest width or height (FIIE_MAX_DIMENSION).
MAX_DIMENSION = 65535
#: Largest pixel count (FIIE_MAX_PIXELS).
MAX_PIXELS = 1 << 28
#: Largest ICC profile read or written (FIIE_MAX_ICC_BYTES).
MAX_ICC_BYTES = 1 << 24
#: Smallest ICC profile (its 128-byte header).
ICC_MIN_BYTES = 128


class PixelFormat(enum.IntEnum):
    """enum fiie_pixel_format (values frozen by the ABI)."""
    RGB8 = 1
    RGBA8 = 2
    BGR8 = 3
    BGRA8 = 4

    @property
    def channels(self):
        return 4 if self in (PixelFormat.RGBA8, PixelFormat.BGRA8) else 3


_FORMAT_NAMES = {"rgb": PixelFormat.RGB8, "rgba": PixelFormat.RGBA8,
                 "bgr": PixelFormat.BGR8, "bgra": PixelFormat.BGRA8}


def _format(value, allow_none=False):
    """Accept a PixelFormat, its int value or a name like 'rgb'/'BGRA8'."""
    if value is None and allow_none:
        return None
    if isinstance(value, str):
        key = value.lower()
        key = key[:-1] if key.endswith("8") else key
        if key in _FORMAT_NAMES:
            return _FORMAT_NAMES[key]
    else:
        try:
            return PixelFormat(value)
        except ValueError:
            pass
    raise InvalidArgumentError("format must be a PixelFormat (1..4) or one of 'rgb', "
                               "'rgba', 'bgr', 'bgra' (got %r)" % (value,))


def _numpy():
    try:
        import numpy
    except ImportError:  # numpy is optional
        raise ImportError("this feature of fiie needs numpy (apt-get install python3-numpy)") from None
    return numpy


def _load_options(fmt, apply_orientation, max_pixels):
    o = _lib.fiie_load_options()
    check(lib.fiie_load_options_init_v(ctypes.byref(o), _lib.ABI_VERSION),
          "fiie_load_options_init_v")
    o.apply_orientation = 1 if apply_orientation else 0
    if max_pixels is not None:
        o.max_pixels = as_int(max_pixels, "u64", "max_pixels")
    if fmt is not None:
        o.format = _format(fmt)
    return o


class Image:
    """An image libfiie can detect faces in and encrypt in place.

    Build one with :meth:`open`, :meth:`from_bytes`, :meth:`from_array`,
    :meth:`from_buffer` or :meth:`new`. Use it as a context manager or call
    :meth:`close` to release library-owned pixels early.
    """

    def __init__(self):
        # Use the class methods; this makes an empty (closed) image.
        self._img = _lib.fiie_image()
        self._owned = False    # pixels allocated by libfiie
        self._keep = None      # Python object owning the pixels
        self._closed = True
        self._lock = threading.RLock()  # held during C calls (see _handle)

    # ---------------------------------------------------------- creation
    @classmethod
    def _adopt(cls, img):
        self = cls()
        self._img = img
        self._owned = True
        self._closed = False
        return self

    @classmethod
    def open(cls, path, *, format=None, apply_orientation=True, max_pixels=None):
        """Decode a PNG, JPEG, BMP or TGA file (JPEG EXIF orientation
        applied unless ``apply_orientation=False``). ``format`` None gives
        RGB8 or RGBA8 as the file has alpha; 'rgb'/'rgba' force one."""
        o = _load_options(format, apply_orientation, max_pixels)
        img = _lib.fiie_image()
        what = "fiie_image_load(%s)" % os.fsdecode(path)
        clear_errno()
        st = lib.fiie_image_load(ctypes.byref(img), os.fsencode(path), ctypes.byref(o))
        if st == STATUS["FIIE_E_UNSUPPORTED_FORMAT"]:
            _raise_unsupported(what, probe_image, path)
        check(st, what, path)
        return cls._adopt(img)

    @classmethod
    def from_bytes(cls, data, *, format=None, apply_orientation=True, max_pixels=None):
        """Decode an image file held in memory (bytes-like)."""
        o = _load_options(format, apply_orientation, max_pixels)
        buf = bytes(data)
        img = _lib.fiie_image()
        st = lib.fiie_image_load_memory(ctypes.byref(img), buf, len(buf), ctypes.byref(o))
        if st == STATUS["FIIE_E_UNSUPPORTED_FORMAT"]:
            _raise_unsupported("fiie_image_load_memory", probe_image_bytes, buf)
        check(st, "fiie_image_load_memory")
        return cls._adopt(img)

    @classmethod
    def new(cls, width, height, format=PixelFormat.RGB8):
        """A zero-filled image owned by the library."""
        img = _lib.fiie_image()
        check(lib.fiie_image_alloc(ctypes.byref(img), as_int(width, "u32", "width"),
                                   as_int(height, "u32", "height"), _format(format)),
              "fiie_image_alloc")
        return cls._adopt(img)

    @classmethod
    def from_buffer(cls, buf, width, height, format=PixelFormat.RGB8, stride=0):
        """Describe a writable buffer (bytearray, writable memoryview,
        array, mmap...) as an image without copying: encryption and
        decryption then change ``buf`` itself. ``stride`` 0 means rows are
        tightly packed."""
        fmt = _format(format)
        width = as_int(width, "u32", "width")
        height = as_int(height, "u32", "height")
        stride = as_int(stride, "size", "stride")
        mv = memoryview(buf)
        if mv.readonly:
            raise InvalidArgumentError("from_buffer needs a writable buffer (got read-only)")
        if not mv.contiguous:
            raise InvalidArgumentError("from_buffer needs a contiguous buffer")
        n = mv.nbytes
        row = width * fmt.channels
        st = stride or row
        if width <= 0 or height <= 0 or st < row:
            raise InvalidArgumentError("bad image geometry %dx%d stride %d" % (width, height, st))
        need = st * (height - 1) + row
        if n < need:
            raise InvalidArgumentError("buffer holds %d bytes, a %dx%d %s image needs %d"
                                       % (n, width, height, fmt.name, need))
        carr = (ctypes.c_uint8 * n).from_buffer(mv.cast("B"))
        return cls._wrap(ctypes.addressof(carr), width, height, st, fmt, (buf, carr))

    @classmethod
    def _wrap(cls, address, width, height, stride, fmt, keep):
        img = _lib.fiie_image()
        check(lib.fiie_image_wrap(ctypes.byref(img), address, width, height, stride, fmt),
              "fiie_image_wrap")
        self = cls()
        self._img = img
        self._keep = keep
        self._closed = False
        return self

    @classmethod
    def from_array(cls, array, format=None, *, copy=False):
        """Wrap a numpy uint8 array of shape (H, W, 3) or (H, W, 4).

        ``format`` defaults to RGB8 / RGBA8 by the channel count; pass
        'bgr' / 'bgra' for OpenCV arrays. When the array's rows are
        contiguous (any C-contiguous array, or a row-slice of one) and it is
        writable, nothing is copied: the Image shares the array's memory
        (and keeps a reference to it), so encrypt/decrypt change the array.
        Otherwise, or with ``copy=True``, a C-contiguous copy is wrapped;
        ``image.shares_memory`` tells which happened.
        """
        np = _numpy()
        if not isinstance(array, np.ndarray):
            raise InvalidArgumentError("from_array needs a numpy.ndarray")
        if array.dtype != np.uint8:
            raise InvalidArgumentError("from_array needs dtype uint8, got %s" % array.dtype)
        if array.ndim != 3 or array.shape[2] not in (3, 4):
            raise InvalidArgumentError("from_array needs shape (H, W, 3) or (H, W, 4), got %r"
                                       % (array.shape,))
        h, w, c = array.shape
        fmt = _format(format, allow_none=True)
        if fmt is None:
            fmt = PixelFormat.RGB8 if c == 3 else PixelFormat.RGBA8
        if fmt.channels != c:
            raise InvalidArgumentError("%s needs %d channels, the array has %d"
                                       % (fmt.name, fmt.channels, c))
        shared = (not copy and array.flags.writeable and array.strides[2] == 1
                  and array.strides[1] == c and array.strides[0] >= w * c)
        arr = array if shared else np.ascontiguousarray(array).copy()
        self = cls._wrap(arr.ctypes.data, w, h, arr.strides[0], fmt, arr)
        self._shared = shared
        return self

    # --------------------------------------------------------- lifetime
    def close(self):
        """Release library-owned pixels (or drop the reference to the
        wrapped buffer). Safe to call twice; later use raises ClosedError."""
        lock = getattr(self, "_lock", None)
        if lock is None:  # __init__ never ran
            return
        with lock:  # waits for a C call in progress on another thread
            if self._closed:
                return
            self._closed = True
            if self._owned:
                lib.fiie_image_free(ctypes.byref(self._img))
            else:
                self._img = _lib.fiie_image()
            self._keep = None

    def __enter__(self):
        self._ref()
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    @property
    def closed(self):
        return self._closed

    def _ref(self):
        """ctypes pointer to the struct; raises when closed. C calls go
        through _call or _handle.using, which also hold the lock."""
        if self._closed:
            raise ClosedError("image is closed")
        return ctypes.byref(self._img)

    _c_arg = _ref

    def _call(self, name, *args):
        with self._lock:
            return getattr(lib, name)(self._ref(), *args)

    # -------------------------------------------------------- properties
    @property
    def width(self):
        self._ref()
        return self._img.width

    @property
    def height(self):
        self._ref()
        return self._img.height

    @property
    def stride(self):
        self._ref()
        return self._img.stride

    @property
    def format(self):
        self._ref()
        return PixelFormat(self._img.format)

    @property
    def channels(self):
        return self.format.channels

    @property
    def size(self):
        """(width, height)."""
        return (self.width, self.height)

    @property
    def shares_memory(self):
        """True when the pixels live in a caller's buffer / array."""
        self._ref()
        return getattr(self, "_shared", self._keep is not None)

    def __repr__(self):
        if self._closed:
            return "<fiie.Image closed>"
        return "<fiie.Image %dx%d %s>" % (self._img.width, self._img.height,
                                          PixelFormat(self._img.format).name)

    # ------------------------------------------------------ pixel access
    def _raw(self):
        """A ctypes array over every byte from the first row to the end of
        the last row's pixels (the struct's memory, not a copy)."""
        self._ref()
        img = self._img
        n = img.stride * (img.height - 1) + img.width * self.channels
        return (ctypes.c_uint8 * n).from_address(ctypes.cast(img.data, ctypes.c_void_p).value)

    def tobytes(self):
        """The pixels as packed rows (height * width * channels bytes)."""
        with self._lock:
            raw = bytes(self._raw())
        img = self._img
        row = img.width * self.channels
        if img.stride == row:
            return raw
        return b"".join(raw[y * img.stride: y * img.stride + row] for y in range(img.height))

    def to_array(self, copy=True):
        """The pixels as a numpy uint8 array of shape (H, W, C) in the
        image's channel order.

        ``copy=True`` (default) returns an independent array. ``copy=False``
        returns a view of the image memory; it keeps this Image object
        alive but becomes invalid after close() (for an array-backed image
        prefer the original array)."""
        np = _numpy()
        with self._lock:
            raw = self._raw()
            img = self._img
            c = self.channels
            view = np.ndarray((img.height, img.width, c), dtype=np.uint8,
                              buffer=raw, strides=(img.stride, c, 1))
            if copy:
                return view.copy()
        raw._fiie_image = self  # the view's base chain keeps the Image alive
        return view

    to_numpy = to_array

    def convert(self, format):
        """A new library-owned image in another pixel format (alpha added
        as 255 or dropped)."""
        dst = _lib.fiie_image()
        fmt = _format(format)
        with self._lock:
            check(lib.fiie_image_convert(ctypes.byref(dst), self._ref(), fmt),
                  "fiie_image_convert")
        return Image._adopt(dst)

    def copy(self):
        """An independent, library-owned copy in the same format."""
        return self.convert(self.format)

    def validate(self):
        """Run fiie_image_validate (raises on an unusable struct)."""
        check(self._call("fiie_image_validate"), "fiie_image_validate")

    # ------------------------------------------------------------ output
    def encode_png(self, chunk=None, *, icc=None):
        """PNG file bytes; ``chunk`` is an optional (type, data) pair
        written as one private chunk after IHDR; ``icc`` an ICC colour
        profile (bytes, e.g. ``probe_image(src).icc``) stored as iCCP."""
        o, keep = _png_options(chunk, icc, False, False)
        out = c_uint8_p()
        size = ctypes.c_size_t()
        check(self._call("fiie_image_encode_png_with", ctypes.byref(o),
                         ctypes.byref(out), ctypes.byref(size)),
              "fiie_image_encode_png_with")
        del keep
        try:
            return ctypes.string_at(out, size.value)
        finally:
            lib.fiie_free(out)

    def save_png(self, path, *, overwrite=False, chunk=None, icc=None, private=False):
        """Write a PNG file atomically (complete or not at all, no
        temporary file left on any failure). An existing file raises
        ExistsError (a FileExistsError) unless ``overwrite=True``, as the
        ``fiie`` tool does without ``--force``. ``icc``: an ICC profile to
        embed; ``private=True``: mode 0600 whatever the umask (restored
        faces)."""
        o, keep = _png_options(chunk, icc, overwrite, private)
        clear_errno()
        check(self._call("fiie_image_save_png_with", os.fsencode(path), ctypes.byref(o)),
              "fiie_image_save_png_with(%s)" % os.fsdecode(path), path)
        del keep


def _png_options(chunk, icc, overwrite, private):
    """(fiie_png_options, objects to keep alive during the call)."""
    o = _lib.fiie_png_options()
    check(lib.fiie_png_options_init_v(ctypes.byref(o), _lib.ABI_VERSION),
          "fiie_png_options_init_v")
    ctype, cdata = _chunk_args(chunk)
    if ctype is not None:
        o.chunk_type = ctype
        o.chunk_data = ctypes.cast(ctypes.c_char_p(cdata), ctypes.c_void_p)
        o.chunk_size = len(cdata)
    if icc is not None:
        icc = bytes(icc)
        as_int(len(icc), "size", "len(icc)", ICC_MIN_BYTES, MAX_ICC_BYTES)
        o.icc = ctypes.cast(ctypes.c_char_p(icc), ctypes.c_void_p)
        o.icc_size = len(icc)
    o.flags = (0 if overwrite else SAVE_NO_CLOBBER) | (SAVE_PRIVATE if private else 0)
    return o, (cdata, icc)


def _chunk_type(t):
    if isinstance(t, str):
        t = t.encode("ascii")
    t = bytes(t)
    if len(t) != 4:
        raise InvalidArgumentError("a PNG chunk type is 4 ASCII letters, got %r" % (t,))
    return t


def _chunk_args(chunk):
    if chunk is None:
        return None, None
    ctype, data = chunk
    return _chunk_type(ctype), bytes(data)


def find_png_chunk(png, chunk_type):
    """Payload of the first chunk of ``chunk_type`` in PNG bytes (CRCs
    checked). Raises NotFoundError when absent."""
    buf = bytes(png)
    ptr = c_uint8_p()
    size = ctypes.c_size_t()
    check(lib.fiie_png_find_chunk(buf, len(buf), _chunk_type(chunk_type),
                                  ctypes.byref(ptr), ctypes.byref(size)),
          "fiie_png_find_chunk")
    if size.value == 0:
        return b""
    return ctypes.string_at(ptr, size.value)


def has_png_chunk(path, chunk_type):
    """Does the PNG file ``path`` have a chunk of ``chunk_type``? False
    also for a file that is not a PNG or cannot be read (its reader says
    what is wrong); the payload is not read."""
    size = ctypes.c_size_t()
    st = lib.fiie_png_read_chunk(os.fsencode(path), _chunk_type(chunk_type), None, 0,
                                 ctypes.byref(size))
    return st == 0 or st == STATUS["FIIE_E_BUFFER_TOO_SMALL"]


def read_png_chunk(path, chunk_type):
    """Payload of the first chunk of ``chunk_type`` in a PNG file."""
    p = os.fsencode(path)
    t = _chunk_type(chunk_type)
    size = ctypes.c_size_t()
    st = lib.fiie_png_read_chunk(p, t, None, 0, ctypes.byref(size))
    if st < 0 and st != STATUS["FIIE_E_BUFFER_TOO_SMALL"]:
        check(st, "fiie_png_read_chunk(%s)" % os.fsdecode(path))
    buf = ctypes.create_string_buffer(max(size.value, 1))
    check(lib.fiie_png_read_chunk(p, t, buf, size.value, ctypes.byref(size)),
          "fiie_png_read_chunk(%s)" % os.fsdecode(path))
    return buf.raw[:size.value]



def as_image(obj, in_place=False):
    """(Image, temporary?) for an Image or a numpy array (wrapped without a
    copy when possible; the caller closes temporaries). With ``in_place``
    an array that cannot be shared (read-only, or rows not contiguous) is
    refused, since changes to a copy would be lost."""
    if isinstance(obj, Image):
        obj._ref()
        return obj, False
    if type(obj).__module__ == "numpy" and hasattr(obj, "shape"):
        img = Image.from_array(obj)
        if in_place and not img.shares_memory:
            img.close()
            raise InvalidArgumentError(
                "this array cannot be changed in place (read-only or rows not "
                "contiguous): pass fiie.Image.from_array(array) and use its result")
        return img, True
    raise InvalidArgumentError("expected a fiie.Image or a numpy array, got %s"
                               % type(obj).__name__)


class ImageInfo:
    """What an image file holds, read without decoding pixels
    (:func:`probe_image`): ``format`` ("PNG", "JPEG", "BMP", "TGA"),
    ``width``, ``height`` (as stored), ``bit_depth`` (bits per sample as
    stored: 16 is reduced to 8 when loading), ``channels`` (1 grey, 2 grey
    + alpha, 3 colour, 4 colour + alpha: grey is expanded to RGB when
    loading), ``orientation`` (EXIF, 1..8), ``icc`` (the ICC colour
    profile as bytes, or None)."""

    def __init__(self, info):
        self.format = info.format.decode("ascii")
        for f in ("width", "height", "bit_depth", "channels", "orientation"):
            setattr(self, f, getattr(info, f))
        self.icc = ctypes.string_at(info.icc, info.icc_size) if info.icc else None

    @property
    def grey(self):
        return self.channels in (1, 2)

    def __repr__(self):
        return "<fiie.ImageInfo %s %dx%d %d-bit %d ch%s>" % (
            self.format, self.width, self.height, self.bit_depth, self.channels,
            ", ICC %d bytes" % len(self.icc) if self.icc else "")


def _probe(call, what, path=None):
    info = _lib.fiie_image_info()
    try:
        clear_errno()
        st = call(ctypes.byref(info))
        if st == STATUS["FIIE_E_UNSUPPORTED_FORMAT"]:
            name = info.format.decode("ascii", "replace")
            e = UnsupportedFormatError("%s: Unsupported format: %s" % (what, name))
            e.format = name
            raise e
        check(st, what, path)
        return ImageInfo(info)
    finally:
        lib.fiie_image_info_free(ctypes.byref(info))


def probe_image(path):
    """:class:`ImageInfo` of an image file, with the structure checks of
    loading. A WebP, TIFF, GIF, HEIC, AVIF or JPEG XL file raises
    UnsupportedFormatError naming the format."""
    return _probe(lambda ip: lib.fiie_image_probe(ip, os.fsencode(path)),
                  "fiie_image_probe(%s)" % os.fsdecode(path), path)


def probe_image_bytes(data):
    """:class:`ImageInfo` of an image file held in memory."""
    buf = bytes(data)
    return _probe(lambda ip: lib.fiie_image_probe_memory(ip, buf, len(buf)),
                  "fiie_image_probe_memory")


def _raise_unsupported(what, prober, source):
    """Raise UnsupportedFormatError with the format's name for a load
    that returned FIIE_E_UNSUPPORTED_FORMAT."""
    try:
        prober(source)
    except UnsupportedFormatError as e:
        e.args = ("%s: Unsupported format: %s" % (what, e.format),)
        raise e from None
    raise UnsupportedFormatError("%s: %s" % (what, _lib.strerror(
        STATUS["FIIE_E_UNSUPPORTED_FORMAT"])))
