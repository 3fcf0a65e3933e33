"""A small reader of MATLAB level-5 MAT files (numpy + zlib only), enough
for the WIDER FACE evaluation files: numeric arrays, char arrays, cell
arrays and structs, compressed or not, little-endian.

load(path) returns {name: value}: numeric arrays as numpy arrays in
MATLAB's shape (column-major data), chars as str, cells as numpy object
arrays of the same shape, structs as dicts of such arrays.
"""

import struct
import zlib

import numpy as np


class MatError(ValueError):
    """Not a MAT v5 file we can read; the message says why."""


_NUMERIC = {1: "<i1", 2: "<u1", 3: "<i2", 4: "<u2", 5: "<i4", 6: "<u4", 7: "<f4", 9: "<f8",
            12: "<i8", 13: "<u8"}
_MATRIX, _COMPRESSED, _UTF8, _UTF16, _UTF32 = 14, 15, 16, 17, 18
_CELL, _STRUCT, _CHAR, _SPARSE = 1, 2, 4, 5
_CLASS_DTYPE = {6: "<f8", 7: "<f4", 8: "<i1", 9: "<u1", 10: "<i2", 11: "<u2", 12: "<i4",
                13: "<u4", 14: "<i8", 15: "<u8"}


def _elements(buf, pos, end):
    """Yield (type, payload) of the data elements in buf[pos:end]."""
    while pos < end:
        if end - pos < 8:
            raise MatError("truncated element tag at byte %d" % pos)
        first, second = struct.unpack_from("<II", buf, pos)
        if first >> 16:  # small data element: type and size packed in 4 bytes
            typ, n = first & 0xFFFF, first >> 16
            if n > 4:
                raise MatError("bad small element at byte %d" % pos)
            yield typ, buf[pos + 4:pos + 4 + n]
            pos += 8
            continue
        typ, n = first, second
        start = pos + 8
        if start + n > end:
            raise MatError("element at byte %d runs past the end" % pos)
        yield typ, buf[start:start + n]
        pos = start + (n if typ == _COMPRESSED else (n + 7) // 8 * 8)


def _numeric(typ, payload):
    if typ in _NUMERIC:
        return np.frombuffer(payload, dtype=_NUMERIC[typ])
    if typ == _UTF8:
        return np.frombuffer(payload, dtype="<u1")
    if typ == _UTF16:
        return np.frombuffer(payload, dtype="<u2")
    if typ == _UTF32:
        return np.frombuffer(payload, dtype="<u4")
    raise MatError("unsupported data type %d" % typ)


def _shape_array(flat, dims, dtype):
    n = int(np.prod(dims)) if dims else 0
    if flat.size != n:
        raise MatError("array of %d values for dimensions %s" % (flat.size, dims))
    return flat.astype(dtype, copy=False).reshape(dims, order="F")


def _matrix(payload):
    """Decode the payload of one miMATRIX element: (name, value)."""
    if len(payload) == 0:
        return "", np.zeros((0, 0))
    it = _elements(payload, 0, len(payload))
    try:
        _, flags = next(it)
        _, dims = next(it)
        _, name = next(it)
    except StopIteration:
        raise MatError("matrix element without flags, dimensions and name") from None
    cls = struct.unpack_from("<I", flags, 0)[0] & 0xFF
    complex_ = struct.unpack_from("<I", flags, 0)[0] & 0x800
    dims = tuple(int(d) for d in np.frombuffer(dims, dtype="<i4"))
    name = bytes(name).decode("ascii", "replace")
    if cls == _CELL:
        cells = np.empty(int(np.prod(dims)), dtype=object)
        for k in range(cells.size):
            try:
                typ, sub = next(it)
            except StopIteration:
                raise MatError("cell array %r has fewer cells than %s" % (name, dims)) from None
            if typ != _MATRIX:
                raise MatError("cell of type %d in %r" % (typ, name))
            cells[k] = _matrix(sub)[1]
        return name, cells.reshape(dims, order="F")
    if cls == _STRUCT:
        _, flen = next(it)
        _, fnames = next(it)
        flen = int(np.frombuffer(flen, dtype="<i4")[0])
        names = [bytes(fnames[i:i + flen]).split(b"\0")[0].decode("ascii")
                 for i in range(0, len(fnames), flen)]
        n = int(np.prod(dims))
        out = {f: np.empty(n, dtype=object) for f in names}
        for k in range(n):
            for f in names:
                typ, sub = next(it)
                out[f][k] = _matrix(sub)[1]
        return name, {f: v.reshape(dims, order="F") for f, v in out.items()}
    if cls == _CHAR:
        typ, data = next(it)
        codes = _numeric(typ, data)
        if typ == _UTF8:
            return name, bytes(data).decode("utf-8")
        arr = _shape_array(codes, dims, codes.dtype)
        if len(dims) == 2 and dims[0] <= 1:
            return name, "".join(chr(c) for c in arr.ravel(order="F"))
        return name, arr
    if cls in _CLASS_DTYPE:
        typ, data = next(it)
        real = _shape_array(_numeric(typ, data), dims, _CLASS_DTYPE[cls])
        if complex_:
            typ, data = next(it)
            real = real + 1j * _shape_array(_numeric(typ, data), dims, _CLASS_DTYPE[cls])
        return name, real
    raise MatError("unsupported MATLAB class %d (variable %r)" % (cls, name))


def load(path):
    """Read every variable of a MAT v5 file into a dict."""
    with open(path, "rb") as f:
        buf = f.read()
    if len(buf) < 128:
        raise MatError("%s: too short for a MAT file" % path)
    version, endian = struct.unpack_from("<H2s", buf, 124)
    if endian != b"IM" or version != 0x0100:
        raise MatError("%s: not a little-endian MAT v5 file" % path)
    out = {}
    for typ, payload in _elements(buf, 128, len(buf)):
        if typ == _COMPRESSED:
            try:
                raw = zlib.decompress(payload)
            except zlib.error as e:
                raise MatError("%s: bad compressed element (%s)" % (path, e)) from None
            inner = list(_elements(raw, 0, len(raw)))
            if len(inner) != 1 or inner[0][0] != _MATRIX:
                raise MatError("%s: compressed element is not one matrix" % path)
            typ, payload = inner[0]
        if typ != _MATRIX:
            continue
        name, value = _matrix(payload)
        out[name] = value
    return out
