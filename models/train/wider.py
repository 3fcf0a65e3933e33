"""WIDER FACE annotations: the `wider_face_*_bbx_gt.txt` format, the
project's data split, and the paper's annotation list (`anno_train.txt`).

WIDER format, per image:

    path/relative/to/the/image/folder.jpg
    N
    x y w h blur expression illumination invalid occlusion pose   (N lines)

An image without faces has N = 0 followed by one line of ten zeros (the
official files do this); that placeholder line is consumed, not a face.
Every error names the file and line.
"""

import os


class FormatError(ValueError):
    """A malformed annotation file; the message names file and line."""


ATTRIBUTES = ("blur", "expression", "illumination", "invalid", "occlusion", "pose")


class Face:
    """One annotated face: box (x, y, w, h) in pixels and the attributes."""

    __slots__ = ("x", "y", "w", "h", "attrs")

    def __init__(self, x, y, w, h, attrs=(0,) * 6):
        self.x, self.y, self.w, self.h = x, y, w, h
        self.attrs = tuple(attrs)

    @property
    def invalid(self):
        return self.attrs[3] != 0

    def corners(self):
        """(x1, y1, x2, y2) with x2 = x + w (the official evaluation's)."""
        return (self.x, self.y, self.x + self.w, self.y + self.h)


class Entry:
    """One image of an annotation file: its index in file order, its path
    relative to the image folder and its faces."""

    __slots__ = ("index", "path", "faces", "line")

    def __init__(self, index, path, faces, line=0):
        self.index, self.path, self.faces, self.line = index, path, faces, line


def _number(tok, where):
    try:
        v = float(tok)
    except ValueError:
        raise FormatError("%s: expected a number, got %r" % (where, tok)) from None
    if v != v or v in (float("inf"), float("-inf")):
        raise FormatError("%s: expected a finite number, got %r" % (where, tok))
    return v


def parse_wider(path):
    """Read a WIDER-format annotation file into a list of Entry, in file
    order (Entry.index counts from 0). Raises FormatError (file:line) on
    anything malformed and OSError when the file cannot be read."""
    with open(path, "r", encoding="utf-8", errors="strict") as f:
        try:
            lines = f.read().splitlines()
        except UnicodeDecodeError as e:
            raise FormatError("%s: not UTF-8 text (%s)" % (path, e)) from None
    entries = []
    i, n = 0, len(lines)
    while i < n:
        name = lines[i].strip()
        if name == "":
            i += 1
            continue
        where = "%s:%d" % (path, i + 1)
        if not name.lower().endswith((".jpg", ".jpeg", ".png", ".bmp", ".tga")):
            raise FormatError("%s: expected an image path, got %r" % (where, name))
        if os.path.isabs(name) or ".." in name.replace("\\", "/").split("/"):
            raise FormatError("%s: image path must be relative to the image folder: %r"
                              % (where, name))
        start = i
        i += 1
        if i >= n:
            raise FormatError("%s:%d: missing face count after %r" % (path, i + 1, name))
        count_tok = lines[i].strip()
        if not count_tok.isdigit():
            raise FormatError("%s:%d: expected the face count of %r, got %r"
                              % (path, i + 1, name, count_tok))
        count = int(count_tok)
        i += 1
        faces = []
        rows = count if count > 0 else 1  # N = 0 is followed by a placeholder row
        for k in range(rows):
            where = "%s:%d" % (path, i + 1)
            if i >= n:
                if count == 0:
                    break  # tolerate a missing placeholder at the end of the file
                raise FormatError("%s: file ends after %d of %d faces of %r"
                                  % (where, k, count, name))
            tok = lines[i].split()
            if len(tok) not in (4, 10):
                raise FormatError("%s: expected 10 values (x y w h and 6 attributes), got %d"
                                  % (where, len(tok)))
            vals = [_number(t, where) for t in tok]
            if count == 0:
                if any(vals):
                    # not a placeholder: the next image's path, or garbage
                    raise FormatError("%s: %r has 0 faces but is followed by a face line"
                                      % (where, name))
                i += 1
                break
            x, y, w, h = vals[:4]
            if w < 0 or h < 0:
                raise FormatError("%s: negative box size %g x %g" % (where, w, h))
            attrs = tuple(int(v) for v in vals[4:]) if len(vals) == 10 else (0,) * 6
            faces.append(Face(x, y, w, h, attrs))
            i += 1
        entries.append(Entry(len(entries), name, faces, start + 1))
    if not entries:
        raise FormatError("%s: no image in the annotation file" % path)
    return entries


def write_wider(path, entries):
    """Write entries in WIDER format (inverse of parse_wider)."""
    with open(path, "w", encoding="utf-8") as f:
        for e in entries:
            f.write("%s\n%d\n" % (e.path, len(e.faces)))
            if not e.faces:
                f.write("0 0 0 0 0 0 0 0 0 0 \n")
            for fc in e.faces:
                f.write("%s %s %s %s %s \n" % (_fmt(fc.x), _fmt(fc.y), _fmt(fc.w), _fmt(fc.h),
                                              " ".join(str(a) for a in fc.attrs)))


def _fmt(v):
    return str(int(v)) if float(v).is_integer() else repr(float(v))


# ---------------------------------------------------------------- split

RESERVED, VALIDATION, TRAIN = "reserved", "val", "train"
SPLITS = (TRAIN, VALIDATION, RESERVED)


def split_of(index):
    """The split of the image numbered `index` (file order from 0):
    index % 4 == 0 is reserved (final report only: never train, tune or
    choose on it), index % 16 == 2 is validation, the rest train."""
    if index < 0:
        raise ValueError("image index must be >= 0")
    if index % 4 == 0:
        return RESERVED
    if index % 16 == 2:
        return VALIDATION
    return TRAIN


def select(entries, split):
    """The entries of one split (by Entry.index); split 'all' keeps all."""
    if split == "all":
        return list(entries)
    if split not in SPLITS:
        raise ValueError("unknown split %r (train, val, reserved or all)" % split)
    return [e for e in entries if split_of(e.index) == split]


# ---------------------------------------------------------------- annotation list

def training_indices(entry, min_side=0.0):
    """The indices (in entry.faces) of the faces used for training: valid
    (not flagged invalid) and at least min_side pixels on both sides."""
    return [k for k, fc in enumerate(entry.faces)
            if not fc.invalid and fc.w > 0 and fc.h > 0 and min(fc.w, fc.h) >= min_side]


def training_boxes(entry, min_side=0.0):
    """The faces of training_indices() as (x1, y1, x2, y2)."""
    return [entry.faces[k].corners() for k in training_indices(entry, min_side)]


def write_anno_list(path, entries, image_root=None):
    """The paper's annotation list: one line per image, `path x1 y1 x2 y2
    ...` (every valid face, x2 = x + w). With image_root, paths are joined
    to it; otherwise they stay relative."""
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        for e in entries:
            p = os.path.join(image_root, e.path) if image_root else e.path
            if any(c.isspace() for c in p):
                raise FormatError("%s: image path contains white space, which the list "
                                  "format cannot hold: %r" % (path, p))
            vals = " ".join("%g %g %g %g" % b for b in training_boxes(e))
            f.write(p + (" " + vals if vals else "") + "\n")
    os.replace(tmp, path)


def read_anno_list(path):
    """Read an annotation list: [(path, [(x1, y1, x2, y2), ...]), ...]."""
    out = []
    with open(path, "r", encoding="utf-8") as f:
        for ln, line in enumerate(f, 1):
            tok = line.split()
            if not tok:
                continue
            where = "%s:%d" % (path, ln)
            if (len(tok) - 1) % 4 != 0:
                raise FormatError("%s: expected a path and groups of 4 coordinates, got %d values"
                                  % (where, len(tok) - 1))
            v = [_number(t, where) for t in tok[1:]]
            boxes = [tuple(v[k:k + 4]) for k in range(0, len(v), 4)]
            for b in boxes:
                if b[2] <= b[0] or b[3] <= b[1]:
                    raise FormatError("%s: empty box %s" % (where, b))
            out.append((tok[0], boxes))
    return out
