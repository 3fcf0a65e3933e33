"""Training samples of the MTCNN paper: square crops labelled by their IoU
with the annotated faces, with the box offsets normalised by the crop
size, stored in a packed, resumable sample set.

Rules (boxes are continuous 0-based [x1, y1, x2, y2], a crop window of
side s at integer (x, y) covers pixels x..x+s-1, i.e. [x, x+s)):
- IoU (no +1) with the best-overlapping face: < 0.3 negative (label 0),
  0.4 .. 0.65 part (label -1), >= 0.65 positive (label 1); crops in
  [0.3, 0.4) are dropped (ambiguous).
- offsets of the matched face: dx1 = (fx1 - x) / s, dy1 = (fy1 - y) / s,
  dx2 = (fx2 - (x + s)) / s, dy2 = (fy2 - (y + s)) / s, which is what the
  cascade's regression applies (x1 + dx1 * s, ...).

A sample set is a directory:
- `crops.f32`: float32 crops, size x size x 3 (HWC, normalised exactly as
  libfiie feeds its nets), one after the other;
- `list.txt`: the paper's list format, one line per crop:
  `crops.f32:INDEX label dx1 dy1 dx2 dy2` (negatives: `crops.f32:INDEX 0`);
- `meta.txt` (sets made since it exists; `state.json` says `"meta": true`):
  one line per crop, in list order, `IMAGE FACE FW FH BLUR OCCLUSION POSE
  INVALID WIN_W WIN_H`: the image's index in the annotation file, the
  index of the matched face among that image's annotated faces (-1 for
  negatives), the face's width and height, its WIDER attributes (blur 0-2,
  occlusion 0-2, pose 0-1, invalid 0-1; all 0 for negatives) and the
  window's width and height in pixels (the cascade's windows are not
  always square). Training uses it to draw positives by face
  (`--balance faces`); the paper's list format stays as it is;
- `state.json`: crop size, number of crops and of images done, so that an
  interrupted stage resumes where it stopped (files are cut back to the
  last recorded state first).
"""

import json
import os

import numpy as np

NEG, POS, PART = 0, 1, -1
AMBIGUOUS = 2  # IoU in [0.3, 0.4): not used
NEG_MAX, PART_MIN, POS_MIN = 0.3, 0.4, 0.65

# columns of meta.txt (see module doc)
META_COLUMNS = ("image", "face", "face_w", "face_h", "blur", "occlusion", "pose", "invalid",
                "window_w", "window_h")
META_IMAGE, META_FACE, META_BLUR, META_OCCLUSION, META_POSE = 0, 1, 4, 5, 6


def iou(box, boxes):
    """IoU (continuous, no +1) of one box against an (n, 4) array."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if len(boxes) == 0:
        return np.zeros(0)
    ix = np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0])
    iy = np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1])
    inter = np.clip(ix, 0, None) * np.clip(iy, 0, None)
    a = (box[2] - box[0]) * (box[3] - box[1])
    b = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = a + b - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def classify(window, faces):
    """(label, offsets or None, best face index) of a window (x, y, s)
    (square) or (x, y, w, h) against the faces; label None when the IoU
    is ambiguous. Offsets are normalised by the window's width (x) and
    height (y), as the cascade's regression applies them."""
    if len(window) == 3:
        x, y, w = window
        h = w
    else:
        x, y, w, h = window
    box = (x, y, x + w, y + h)
    ov = iou(box, faces)
    if len(ov) == 0 or ov.max() < NEG_MAX:
        return NEG, None, -1
    k = int(np.argmax(ov))
    best = ov[k]
    if best < PART_MIN:
        return None, None, k
    f = faces[k]
    off = ((f[0] - x) / w, (f[1] - y) / h, (f[2] - (x + w)) / w, (f[3] - (y + h)) / h)
    return (POS if best >= POS_MIN else PART), off, k


def iou_matrix(boxes, faces):
    """IoU (continuous) of every box (n, 4) against every face (m, 4)."""
    a = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)[:, None, :]
    b = np.asarray(faces, dtype=np.float64).reshape(-1, 4)[None, :, :]
    ix = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    iy = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = ix * iy
    union = ((a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
             + (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1]) - inter)
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def classify_many(windows, faces, with_match=False):
    """classify() of many windows (n, 4) as (x, y, w, h): labels [n]
    (NEG, POS, PART, or AMBIGUOUS = 2) and offsets [n, 4] (0 for
    negatives and ambiguous ones); with_match, also the index of the
    best-overlapping face [n] (-1 for negatives)."""
    w = np.asarray(windows, dtype=np.float64).reshape(-1, 4)
    n = len(w)
    labels = np.full(n, NEG, dtype=np.int8)
    offsets = np.zeros((n, 4))
    f = np.asarray(faces, dtype=np.float64).reshape(-1, 4)
    if n == 0 or len(f) == 0:
        return (labels, offsets, np.full(n, -1)) if with_match else (labels, offsets)
    boxes = np.stack([w[:, 0], w[:, 1], w[:, 0] + w[:, 2], w[:, 1] + w[:, 3]], 1)
    ov = iou_matrix(boxes, f)
    k = np.argmax(ov, 1)
    best = ov[np.arange(n), k]
    labels[best >= NEG_MAX] = AMBIGUOUS
    labels[best >= PART_MIN] = PART
    labels[best >= POS_MIN] = POS
    m = f[k]
    offsets = np.stack([(m[:, 0] - boxes[:, 0]) / w[:, 2], (m[:, 1] - boxes[:, 1]) / w[:, 3],
                        (m[:, 2] - boxes[:, 2]) / w[:, 2], (m[:, 3] - boxes[:, 3]) / w[:, 3]], 1)
    offsets[(labels == NEG) | (labels == AMBIGUOUS)] = 0
    if with_match:
        return labels, offsets, np.where(labels == NEG, -1, k)
    return labels, offsets


def random_windows(rng, faces, width, height, size, n_neg=50, n_near=5, n_pos=20,
                   min_face=10):
    """The P-Net sampling of the paper (as in the public MTCNN training
    code): n_neg random squares over the image, n_near squares near each
    face (negatives), n_pos jittered squares around each face
    (positives / parts). Returns [(x, y, s)], unlabeled, inside the image.
    Faces smaller than min_face on either side only repel negatives."""
    out = []
    top = min(width, height) // 2
    if top > size:
        for _ in range(n_neg):
            s = int(rng.integers(size, top + 1))
            out.append((int(rng.integers(0, width - s + 1)), int(rng.integers(0, height - s + 1)),
                        s))
    for f in faces:
        x1, y1, x2, y2 = f
        w, h = x2 - x1, y2 - y1
        if min(w, h) < min_face:
            continue
        if top > size:
            for _ in range(n_near):
                s = int(rng.integers(size, top + 1))
                dx = int(rng.integers(int(max(-s, -x1)), max(int(max(-s, -x1)) + 1, int(w))))
                dy = int(rng.integers(int(max(-s, -y1)), max(int(max(-s, -y1)) + 1, int(h))))
                nx, ny = int(x1 + dx), int(y1 + dy)
                if nx >= 0 and ny >= 0 and nx + s <= width and ny + s <= height:
                    out.append((nx, ny, s))
        lo = int(np.floor(min(w, h) * 0.8))
        hi = int(np.ceil(1.25 * max(w, h)))
        for _ in range(n_pos):
            s = int(rng.integers(max(lo, 1), max(hi, lo + 1) + 1))
            dx = rng.uniform(-0.2, 0.2) * w
            dy = rng.uniform(-0.2, 0.2) * h
            nx = int(np.floor(x1 + w / 2 + dx - s / 2))
            ny = int(np.floor(y1 + h / 2 + dy - s / 2))
            if nx >= 0 and ny >= 0 and nx + s <= width and ny + s <= height:
                out.append((nx, ny, s))
    return out


# ---------------------------------------------------------------- packed sample set

class SampleSet:
    """A packed, append-only, resumable sample set (see module doc)."""

    def __init__(self, path, size=None, meta=True):
        """Open the set at `path`, or create it for crops of `size` (meta:
        whether a new set records meta.txt)."""
        self.path = path
        self.crops_path = os.path.join(path, "crops.f32")
        self.list_path = os.path.join(path, "list.txt")
        self.state_path = os.path.join(path, "state.json")
        self.meta_path = os.path.join(path, "meta.txt")
        os.makedirs(path, exist_ok=True)
        if os.path.exists(self.state_path):
            with open(self.state_path, "r", encoding="utf-8") as f:
                self.state = json.load(f)
            if size is not None and self.state["size"] != size:
                raise ValueError("%s holds %dx%d crops, not %dx%d"
                                 % (path, self.state["size"], self.state["size"], size, size))
        else:
            if size is None:
                raise ValueError("%s is not a sample set (no state.json)" % path)
            self.state = {"size": size, "count": 0, "images_done": 0, "counts": [0, 0, 0],
                          "skipped": [], "meta": bool(meta)}
        self.size = self.state["size"]
        self.rec = self.size * self.size * 3
        self._crops = self._list = self._meta = None

    @property
    def has_meta(self):
        """Whether the set records per-crop metadata (sets made before
        meta.txt existed do not, and resuming them does not start it)."""
        return bool(self.state.get("meta"))

    # writing -------------------------------------------------------
    def open_append(self):
        """Cut the files back to the recorded state and open them for
        appending (a crash between two commits loses only that part)."""
        n = self.state["count"]
        with open(self.crops_path, "ab"):
            pass
        with open(self.crops_path, "r+b") as f:
            f.truncate(n * self.rec * 4)
        _cut_lines(self.list_path, n, "list")
        if self.has_meta:
            _cut_lines(self.meta_path, n, "meta.txt")
            self._meta = open(self.meta_path, "a", encoding="utf-8")
        self._crops = open(self.crops_path, "ab")
        self._list = open(self.list_path, "a", encoding="utf-8")

    def add(self, crop, label, offsets=None, meta=None):
        """Append one crop; meta: its META_COLUMNS values (required when
        the set records metadata, ignored otherwise)."""
        crop = np.asarray(crop, dtype="<f4")
        if crop.size != self.rec:
            raise ValueError("crop of %d values, expected %d" % (crop.size, self.rec))
        if self._meta is not None:
            if meta is None or len(meta) != len(META_COLUMNS):
                raise ValueError("%s records metadata: a crop needs its %d values"
                                 % (self.path, len(META_COLUMNS)))
            self._meta.write("%d %d %g %g %d %d %d %d %d %d\n" % tuple(meta))
        idx = self.state["count"] + self._pending
        self._crops.write(crop.tobytes())
        if label == NEG:
            self._list.write("crops.f32:%d 0\n" % idx)
        else:
            self._list.write("crops.f32:%d %d %.6f %.6f %.6f %.6f\n" % ((idx, label) + tuple(offsets)))
        self._pending += 1
        self._counts[{NEG: 0, POS: 1, PART: 2}[label]] += 1

    _pending = 0
    _counts = (0, 0, 0)

    def begin_image(self):
        self._pending = 0
        self._counts = [0, 0, 0]

    def commit_image(self, skipped=None):
        """Record one more image done (and its crops) durably."""
        for f in (self._crops, self._list, self._meta):
            if f is not None:
                f.flush()
                os.fsync(f.fileno())
        self.state["count"] += self._pending
        self.state["images_done"] += 1
        self.state["counts"] = [a + b for a, b in zip(self.state["counts"], self._counts)]
        if skipped:
            self.state["skipped"].append(skipped)
        self._pending = 0
        self._counts = [0, 0, 0]
        tmp = self.state_path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(self.state, f)
        os.replace(tmp, self.state_path)

    def close(self):
        for f in (self._crops, self._list, self._meta):
            if f:
                f.close()
        self._crops = self._list = self._meta = None

    # reading -------------------------------------------------------
    def load(self):
        """(crops memmap [n, size, size, 3], labels [n] int8, offsets [n, 4])."""
        n = self.state["count"]
        labels, offsets = read_list(self.list_path, n)
        if n == 0:
            return np.zeros((0, self.size, self.size, 3), np.float32), labels, offsets
        crops = np.memmap(self.crops_path, dtype="<f4", mode="r", shape=(n, self.size, self.size, 3))
        return crops, labels, offsets

    def load_meta(self):
        """The metadata [n, len(META_COLUMNS)] float64 (see module doc);
        raises ValueError when the set has none."""
        if not self.has_meta:
            raise ValueError("%s has no per-crop metadata (made before meta.txt existed): "
                             "sample it again" % self.path)
        n = self.state["count"]
        rows = []
        with open(self.meta_path, "r", encoding="utf-8") as f:
            for ln, line in enumerate(f, 1):
                if len(rows) >= n:
                    break
                tok = line.split()
                try:
                    if len(tok) != len(META_COLUMNS):
                        raise ValueError
                    rows.append([float(v) for v in tok])
                except ValueError:
                    raise ValueError("%s:%d: expected %d numbers (%s)"
                                     % (self.meta_path, ln, len(META_COLUMNS),
                                        " ".join(META_COLUMNS))) from None
        if len(rows) != n:
            raise ValueError("%s: %d lines, the set holds %d crops"
                             % (self.meta_path, len(rows), n))
        return np.asarray(rows, dtype=np.float64).reshape(-1, len(META_COLUMNS))


def _cut_lines(path, n, what):
    """Keep the first n lines of a text file (created if missing); an
    error when it holds fewer."""
    lines = []
    if os.path.exists(path):
        with open(path, "r", encoding="utf-8") as f:
            for i, line in enumerate(f):
                if i >= n:
                    break
                lines.append(line)
    if len(lines) != n:
        raise ValueError("%s: %s has %d lines, state says %d"
                         % (os.path.dirname(path), what, len(lines), n))
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(lines)


def read_list(path, n=None):
    """Labels and offsets of a list in the paper's text format
    (`path label [dx1 dy1 dx2 dy2]`); offsets of negatives are 0."""
    labels, offsets = [], []
    with open(path, "r", encoding="utf-8") as f:
        for ln, line in enumerate(f, 1):
            if n is not None and len(labels) >= n:
                break
            tok = line.split()
            if not tok:
                continue
            try:
                lab = int(tok[1])
                off = [float(v) for v in tok[2:6]]
            except (IndexError, ValueError):
                raise ValueError("%s:%d: expected 'path label [dx1 dy1 dx2 dy2]'" % (path, ln)) \
                    from None
            if lab not in (NEG, POS, PART):
                raise ValueError("%s:%d: label %d is not 1, -1 or 0" % (path, ln, lab))
            if lab != NEG and len(off) != 4:
                raise ValueError("%s:%d: a positive or part sample needs 4 offsets" % (path, ln))
            labels.append(lab)
            offsets.append(off if off else [0.0] * 4)
    return np.asarray(labels, dtype=np.int8), np.asarray(offsets, dtype=np.float32).reshape(-1, 4)
