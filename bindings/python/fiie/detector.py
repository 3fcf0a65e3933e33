"""fiie.Detector: MTCNN face detection (fiie/detector.h)."""

import ctypes
import enum
import os

from . import _lib
from ._errors import STATUS, InvalidArgumentError, NotFoundError, UnsupportedError
from ._handle import Handle, using
from ._lib import as_float, as_int, check, clear_errno, lib
from .image import Image, as_image

#: FIIE_ALIGN_SIZE: side of the aligned face crop.
ALIGN_SIZE = 112

#: FIIE_MIN_FACE_BY_SIZE: a ``min_face`` that follows the image size (10 px
#: up to 3 megapixels, growing with the image side to 20 px at 12 MP); the
#: "high-recall" preset uses it.
MIN_FACE_BY_SIZE = 0.0



#: FIIE_MODEL_MTCNN_ORIGINAL: name of the embedded original MTCNN weights
#: (models/mtcnn.fiiem), embedded in every library since ABI 1.2.
MODEL_MTCNN_ORIGINAL = "mtcnn-original"


def _names(name_at):
    """The names name_at(0), name_at(1)... up to the first NULL (the C
    lists numbered from 0 without gaps)."""
    names = []
    while True:
        name = name_at(len(names))
        if name is None:
            return tuple(names)
        names.append(name.decode("ascii"))


def embedded_models():
    """Names of the models compiled into the library, e.g.
    ('mtcnn-original',) (fiie_model_embedded_name); default_model() is
    one of them."""
    return _names(lib.fiie_model_embedded_name)


def default_model():
    """Name of the embedded model ``Model()`` and ``Detector()`` load
    (fiie_model_default_name)."""
    return lib.fiie_model_default_name().decode("ascii")


def _is_model_name(source):
    """The rule of ``fiie detect --model``: a str that contains no path
    separator and does not end in ".fiiem" names an embedded model when
    the library has one of that name; anything else is a file."""
    if not isinstance(source, str) or "/" in source or os.sep in source or \
            source.endswith(".fiiem"):
        return False
    try:
        return source in embedded_models()
    except UnsupportedError:  # a library before ABI 1.2: files only
        return False


def detector_presets():
    """Names of the library's detector presets, e.g. ('default',
    'high-recall', 'fast') (fiie_detector_preset_name)."""
    return _names(lib.fiie_detector_preset_name)


def _preset_number(name):
    if not isinstance(name, str):
        raise InvalidArgumentError("a preset is named by a string, e.g. 'high-recall'")
    if "\0" in name:  # C would read only the part before it
        raise NotFoundError("no detector preset is named %r" % name, NotFoundError.code)
    n = ctypes.c_int()
    check(lib.fiie_detector_preset_from_name(name.encode("utf-8"), ctypes.byref(n)),
          "fiie_detector_preset_from_name(%r)" % name)
    return n.value


def _options(preset=None):
    """Initialised C options, with a preset's settings (by name) if given."""
    o = _lib.fiie_detector_options()
    check(lib.fiie_detector_options_init_v(ctypes.byref(o), _lib.ABI_VERSION),
          "fiie_detector_options_init_v")
    if preset is not None:
        check(lib.fiie_detector_options_preset(ctypes.byref(o), _preset_number(preset)),
              "fiie_detector_options_preset")
    return o


def detector_preset(name):
    """The settings a preset stands for, as the C library defines them:
    {"min_face", "factor", "thresholds"}. Unknown name: NotFoundError."""
    _preset_number(name)  # None is no name here (Detector: no preset)
    o = _options(name)
    return {"min_face": o.min_face, "factor": o.factor, "thresholds": tuple(o.thresholds)}


def __getattr__(name):
    # HIGH_RECALL is read from the library when asked for, so that
    # importing the bindings never needs the presets (ABI 1.1).
    if name == "HIGH_RECALL":
        #: Options used by ``fiie encrypt`` by default: a missed face is a
        #: leaked face, so detect with the settings the MTCNN authors used
        #: on WIDER FACE.
        return detector_preset("high-recall")
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


class Net(enum.IntEnum):
    """enum fiie_net: the three networks of the cascade."""
    PNET = 0  #: any input of at least 12 x 12
    RNET = 1  #: 24 x 24 crops
    ONET = 2  #: 48 x 48 crops


#: Crop side of each net (P-Net's training crops are 12 x 12).
NET_SIZES = {Net.PNET: 12, Net.RNET: 24, Net.ONET: 48}
#: FIIE_CROP_MAX_SIZE: largest crop side of crop_patch().
CROP_MAX_SIZE = 1024


def _net(net):
    if isinstance(net, str):
        try:
            return Net[net.upper()]
        except KeyError:
            raise InvalidArgumentError("unknown net %r (pnet, rnet or onet)" % net) from None
    return Net(net) if net in (0, 1, 2) else int(net)  # let C reject unknown values


def crop_patch(image, x, y, w, h, size):
    """The window (x, y, w, h) of ``image`` cut and resampled to
    size x size exactly as the cascade makes R-Net and O-Net crops
    (outside pixels 0, values normalised (v - 127.5) / 128), as a numpy
    float32 array of shape (size, size, 3), R G B."""
    from .image import _numpy
    np = _numpy()
    size = as_int(size, "u32", "size")
    src, tmp = as_image(image)
    try:
        out = np.empty((size, size, 3), dtype=np.float32) if 1 <= size <= CROP_MAX_SIZE \
            else np.empty(3, dtype=np.float32)
        with using(src) as (ip,):
            check(lib.fiie_crop_patch(ip, as_int(x, "i32", "x"), as_int(y, "i32", "y"),
                                      as_int(w, "u32", "w"), as_int(h, "u32", "h"), size,
                                      out.ctypes.data), "fiie_crop_patch")
        return out
    finally:
        if tmp:
            src.close()


class Landmarks(enum.IntEnum):
    """enum fiie_landmarks_mode."""
    PLAIN = 0    #: one O-Net pass (default)
    V1FLIP = 1   #: MTCNNv1: average with the mirrored crop


class Face:
    """One detected face.

    ``box`` is (x1, y1, x2, y2) in 0-based pixel coordinates, ``score``
    the O-Net probability, ``landmarks`` five (x, y) pairs: left eye,
    right eye, nose, left and right mouth corner.
    """

    __slots__ = ("box", "score", "landmarks", "_c")

    def __init__(self, box, score, landmarks=((0.0, 0.0),) * 5):
        self.box = tuple(float(v) for v in box)
        self.score = float(score)
        self.landmarks = tuple((float(x), float(y)) for x, y in landmarks)
        if len(self.box) != 4 or len(self.landmarks) != 5:
            raise InvalidArgumentError("a face has a 4-value box and 5 landmarks")
        c = _lib.fiie_face()
        c.box[:] = self.box
        c.score = self.score
        for i, (x, y) in enumerate(self.landmarks):
            c.landmarks[i][0] = x
            c.landmarks[i][1] = y
        self._c = c

    @classmethod
    def _from_c(cls, c):
        return cls(tuple(c.box), c.score, [tuple(p) for p in c.landmarks])

    @property
    def width(self):
        return self.box[2] - self.box[0]

    @property
    def height(self):
        return self.box[3] - self.box[1]

    def to_dict(self):
        """The face as in ``fiie detect`` JSON output."""
        return {"box": list(self.box), "score": self.score,
                "landmarks": [list(p) for p in self.landmarks]}

    def alignment_transform(self):
        """The 2x3 row-major similarity map image -> 112x112 template, as
        6 floats (u = m0 x + m1 y + m2, v = m3 x + m4 y + m5)."""
        m = (ctypes.c_float * 6)()
        check(lib.fiie_face_alignment_transform(ctypes.byref(self._c), m),
              "fiie_face_alignment_transform")
        return tuple(m)

    def align(self, image):
        """The aligned 112x112 crop of this face from ``image`` (same pixel
        format), as a new Image."""
        src, tmp = as_image(image)
        try:
            out = Image.new(ALIGN_SIZE, ALIGN_SIZE, src.format)
            try:
                with using(src, out) as (sp, op):
                    check(lib.fiie_face_align(sp, ctypes.byref(self._c), op), "fiie_face_align")
            except BaseException:
                out.close()
                raise
            return out
        finally:
            if tmp:
                src.close()

    def __repr__(self):
        return "Face(box=(%.1f, %.1f, %.1f, %.1f), score=%.3f)" % (self.box + (self.score,))


class Model(Handle):
    """MTCNN weights (immutable, shareable by many detectors)."""

    _free_name = "fiie_model_free"
    _what = "model"

    def __init__(self, path=None, *, data=None, name=None):
        """Model() is the library's default model (default_model());
        Model(name="mtcnn-original") an embedded model by name (unknown:
        NotFoundError); Model(data=bytes) loads one from memory.

        Model(source) takes what ``fiie detect --model`` takes: the name
        of an embedded model (embedded_models()), unless ``source``
        contains a '/' or ends in ".fiiem"; anything else is a model file
        (a path-like object always is)."""
        super().__init__()
        p = ctypes.c_void_p()
        if path is not None and _is_model_name(path):
            path, name = None, path
        if data is not None:
            buf = bytes(data)
            check(lib.fiie_model_new_from_memory(ctypes.byref(p), buf, len(buf)),
                  "fiie_model_new_from_memory")
        elif name is not None:
            if not isinstance(name, str):
                raise InvalidArgumentError("an embedded model is named by a string, e.g. %r"
                                           % MODEL_MTCNN_ORIGINAL)
            if "\0" in name:  # C would read only the part before it
                raise NotFoundError("no embedded model is named %r" % name, NotFoundError.code)
            check(lib.fiie_model_new_embedded(ctypes.byref(p), name.encode("utf-8")),
                  "fiie_model_new_embedded(%r)" % name)
        elif path is not None:
            clear_errno()
            check(lib.fiie_model_new_from_file(ctypes.byref(p), os.fsencode(path)),
                  "fiie_model_new_from_file(%s)" % os.fsdecode(path), path)
        else:
            check(lib.fiie_model_new_default(ctypes.byref(p)), "fiie_model_new_default")
        self._set(p)

    def output_size(self, net, height, width):
        """(oh, ow, channels) of ``net`` for a height x width input."""
        oh, ow, ch = ctypes.c_uint32(), ctypes.c_uint32(), ctypes.c_uint32()
        with using(self) as (mp,):
            check(lib.fiie_model_output_size(mp, _net(net), as_int(height, "u32", "height"),
                                             as_int(width, "u32", "width"), ctypes.byref(oh),
                                             ctypes.byref(ow), ctypes.byref(ch)),
                  "fiie_model_output_size")
        return oh.value, ow.value, ch.value

    def forward(self, net, inputs):
        """Run one net (Net or 'pnet'/'rnet'/'onet') on inputs, a float32
        array of shape (N, H, W, 3) as crop_patch() makes them; returns
        its raw outputs (logits, box offsets, O-Net landmarks), shape
        (N, oh, ow, channels)."""
        from .image import _numpy
        np = _numpy()
        a = np.ascontiguousarray(inputs, dtype=np.float32)
        if a.ndim != 4 or a.shape[3] != 3:
            raise InvalidArgumentError("inputs must have shape (N, H, W, 3), not %s"
                                       % (a.shape,))
        n, h, w = a.shape[:3]
        oh, ow, ch = self.output_size(net, h, w)
        out = np.empty((n, oh, ow, ch), dtype=np.float32)
        with using(self) as (mp,):
            check(lib.fiie_model_forward(mp, _net(net), a.ctypes.data, n, h, w, out.ctypes.data,
                                         out.size), "fiie_model_forward")
        return out


class Detector(Handle):
    """An MTCNN face detector.

    Keyword options (defaults from the C library): ``min_face`` (20),
    ``factor`` (0.709), ``thresholds`` ((0.6, 0.7, 0.7)), ``max_faces``
    (0: no limit), ``threads`` (1; 0 = one per CPU), ``landmarks``
    (Landmarks.PLAIN). ``model`` is a Model, the name of an embedded model
    (embedded_models(), e.g. "mtcnn-original") or a model file path, told
    apart as Model(source) does; None uses the default model
    (default_model()). One thread at a time per detector.

    ``preset`` (a name of detector_presets()) sets min_face, factor and
    thresholds first; the keyword options then override single values.
    :meth:`high_recall` gives the high-recall preset of ``fiie encrypt``.
    """

    _free_name = "fiie_detector_free"
    _what = "detector"

    def __init__(self, model=None, *, preset=None, min_face=None, factor=None,
                 thresholds=None, max_faces=None, threads=None, landmarks=None):
        super().__init__()
        o = _options(preset)
        if min_face is not None:
            o.min_face = as_float(min_face, "min_face", 6, 65535)
        if factor is not None:
            o.factor = as_float(factor, "factor", 0, 1, open_lo=True, open_hi=True)
        if thresholds is not None:
            t = tuple(thresholds)
            if len(t) != 3:
                raise InvalidArgumentError("thresholds needs 3 values (P-Net, R-Net, O-Net), "
                                           "got %d" % len(t))
            o.thresholds[:] = [as_float(v, "thresholds[%d]" % i, 0, 1)
                               for i, v in enumerate(t)]
        if max_faces is not None:
            o.max_faces = as_int(max_faces, "u32", "max_faces")
        if threads is not None:
            o.threads = as_int(threads, "u32", "threads", 0, 64)
        if landmarks is not None:
            if isinstance(landmarks, str):
                try:
                    landmarks = Landmarks[landmarks.upper()]
                except KeyError:
                    raise InvalidArgumentError("landmarks is 'plain' or 'v1flip', not %r"
                                               % landmarks) from None
            o.landmarks = landmarks
        own_model = None
        if model is not None and not isinstance(model, Model):
            model = own_model = Model(model)
        try:
            p = ctypes.c_void_p()
            with using(model) as (mp,):
                check(lib.fiie_detector_new(ctypes.byref(p), mp, ctypes.byref(o)),
                      "fiie_detector_new")
            self._set(p)
        finally:
            if own_model is not None:
                own_model.close()  # the detector holds its own reference
        #: The options in effect (C defaults filled in).
        self.options = {"min_face": o.min_face, "factor": o.factor,
                        "thresholds": tuple(o.thresholds), "max_faces": o.max_faces,
                        "threads": o.threads, "landmarks": Landmarks(o.landmarks)}

    @classmethod
    def high_recall(cls, model=None, **options):
        """A detector with the high-recall preset of ``fiie encrypt``
        (HIGH_RECALL, see fiie/detector.h); ``options`` override single
        values. The library accepts minimum faces down to 6 px (it
        up-samples the first pyramid levels)."""
        return cls(model, preset="high-recall", **options)

    def _run(self, image, func, ctype, cap):
        """Call func(detector, image, array, cap, &n) with an array of
        ctype, growing it once when the C side reports more results
        (FIIE_E_BUFFER_TOO_SMALL); returns the filled part."""
        img, tmp = as_image(image)
        try:
            while True:
                arr = (ctype * cap)()
                n = ctypes.c_size_t()
                with using(self, img) as (dp, ip):
                    st = getattr(lib, func)(dp, ip, arr, cap, ctypes.byref(n))
                if st == STATUS["FIIE_E_BUFFER_TOO_SMALL"] and n.value > cap:
                    cap = n.value
                    continue
                check(st, func)
                return arr[:n.value]
        finally:
            if tmp:
                img.close()

    def windows(self, image):
        """The windows the cascade runs R-Net and O-Net on for ``image``:
        a list of (net, x, y, w, h, score) with net 'rnet' or 'onet', in
        the cascade's order; crop_patch(image, x, y, w, h, 24 or 48) is
        that net's input."""
        # each call runs the whole cascade: ask for plenty at once
        wins = self._run(image, "fiie_detector_windows", _lib.fiie_window, 1 << 16)
        return [(Net(w.net).name.lower(), w.x, w.y, w.w, w.h, w.score) for w in wins]

    def detect(self, image):
        """Faces in ``image`` (an Image or a numpy HxWx3/4 uint8 array,
        RGB order), best first."""
        return [Face._from_c(f) for f in self._run(image, "fiie_detector_detect", _lib.fiie_face,
                                                    64)]
