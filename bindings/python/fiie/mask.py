"""fiie.Mask: which pixels get protected (fiie/mask.h).

A mask is bound to one image size and holds rectangles and inscribed
ellipses; a pixel is protected when it is inside at least one region and
inside the image (exact integer rule of the FIIE v1 format).
"""

import ctypes
import enum
from collections import namedtuple

from . import _lib
from ._errors import InvalidArgumentError
from ._handle import Handle
from ._lib import as_int, check, lib

#: FIIE_MASK_DEFAULT_SCALE: enlargement of a face box around its centre.
DEFAULT_SCALE = 1.6


class Shape(enum.IntEnum):
    """enum fiie_shape (values stored in protected files)."""
    RECT = 0
    ELLIPSE = 1


#: FIIE_MASK_DEFAULT_SHAPE.
DEFAULT_SHAPE = Shape.ELLIPSE

#: One region: shape and bounding rectangle (x, y may be negative).
Region = namedtuple("Region", "shape x y w h")


def _shape(s):
    if isinstance(s, str):
        try:
            return Shape[s.upper()]
        except KeyError:
            raise InvalidArgumentError("unknown shape %r (rect or ellipse)" % s) from None
    return Shape(s) if s in (0, 1) else int(s)  # let C reject unknown values


def _box_of(face):
    """A face object (with .box) or a plain [x1, y1, x2, y2]."""
    box = getattr(face, "box", face)
    x1, y1, x2, y2 = box
    return float(x1), float(y1), float(x2), float(y2)


class Mask(Handle):
    """Regions to protect in images of one size.

    ``Mask(width, height, regions=())``; regions are (shape, x, y, w, h)
    tuples or Region values. See also :meth:`from_faces`.
    """

    _free_name = "fiie_mask_free"
    _what = "mask"

    def __init__(self, width, height, regions=()):
        super().__init__()
        p = ctypes.c_void_p()
        check(lib.fiie_mask_new(ctypes.byref(p), as_int(width, "u32", "width"),
                                as_int(height, "u32", "height")), "fiie_mask_new")
        self._set(p)
        for r in regions:
            self.add_region(*r)

    @classmethod
    def _from_ptr(cls, p):
        self = cls.__new__(cls)
        Handle.__init__(self)
        self._set(p)
        return self

    @classmethod
    def for_image(cls, image, regions=()):
        """An empty (or pre-filled) mask sized for ``image``."""
        return cls(image.width, image.height, regions)

    @classmethod
    def from_faces(cls, image, faces, scale=DEFAULT_SCALE, shape=DEFAULT_SHAPE):
        """A mask covering detected faces: each box scaled by ``scale``
        about its centre, rounded outward, as an ellipse (default) or
        rectangle. ``image`` is an Image or a (width, height) pair;
        ``faces`` are Face objects or [x1, y1, x2, y2] boxes."""
        w, h = (image.width, image.height) if hasattr(image, "width") else image
        m = cls(w, h)
        try:
            for f in faces:
                m.add_box(_box_of(f), scale=scale, shape=shape)
        except BaseException:
            m.close()
            raise
        return m

    # ------------------------------------------------------------ build
    def add_region(self, shape, x, y, w, h):
        """Add a rectangle or ellipse given in pixels."""
        check(self._call("fiie_mask_add_region", _shape(shape), as_int(x, "i32", "x"),
                         as_int(y, "i32", "y"), as_int(w, "u32", "w"), as_int(h, "u32", "h")),
              "fiie_mask_add_region")
        return self

    def add_rect(self, x, y, w, h):
        return self.add_region(Shape.RECT, x, y, w, h)

    def add_ellipse(self, x, y, w, h):
        return self.add_region(Shape.ELLIPSE, x, y, w, h)

    def add_box(self, box, scale=DEFAULT_SCALE, shape=DEFAULT_SHAPE):
        """Add a region from a detection box [x1, y1, x2, y2] (or a Face)."""
        x1, y1, x2, y2 = _box_of(box)
        check(self._call("fiie_mask_add_box", x1, y1, x2, y2, scale, _shape(shape)),
              "fiie_mask_add_box")
        return self

    # ------------------------------------------------------------ query
    @property
    def width(self):
        return self._call("fiie_mask_width")

    @property
    def height(self):
        return self._call("fiie_mask_height")

    def __len__(self):
        return self._call("fiie_mask_region_count")

    def region(self, index):
        r = _lib.fiie_region()
        check(self._call("fiie_mask_get_region", as_int(index, "size", "index"), ctypes.byref(r)),
              "fiie_mask_get_region")
        return Region(Shape(r.shape), r.x, r.y, r.w, r.h)

    @property
    def regions(self):
        """The regions, in insertion order."""
        return [self.region(i) for i in range(len(self))]

    def contains(self, px, py):
        """True when pixel (px, py) is protected."""
        return bool(self._call("fiie_mask_contains", as_int(px, "i64", "px"),
                               as_int(py, "i64", "py")))

    def __contains__(self, xy):
        return self.contains(*xy)

    @property
    def pixel_count(self):
        """Number of protected pixels (overlaps counted once)."""
        n = ctypes.c_uint64()
        check(self._call("fiie_mask_pixel_count", ctypes.byref(n)), "fiie_mask_pixel_count")
        return n.value

    def rasterize(self):
        """The mask as width*height bytes, 255 protected, 0 not (row-major)."""
        with self._lock:
            w, h = self.width, self.height
            buf = ctypes.create_string_buffer(w * h)
            check(self._call("fiie_mask_rasterize", buf, w), "fiie_mask_rasterize")
        return buf.raw

    def to_array(self):
        """The rasterised mask as a numpy uint8 array of shape (H, W)."""
        from .image import _numpy
        np = _numpy()
        return np.frombuffer(self.rasterize(), dtype=np.uint8).reshape(self.height, self.width)

    def __repr__(self):
        if self.closed:
            return "<fiie.Mask closed>"
        return "<fiie.Mask %dx%d, %d regions>" % (self.width, self.height, len(self))
