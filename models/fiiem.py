"""Read and write libfiie's model file format `FIIEMTCN` version 1
(described in models/README.md). Python 3 standard library only; used by
the converter (models/convert.py) and the training pipeline
(models/train/).

A model is a list of tensors (name, shape, raw little-endian float32
bytes) in file order. pack() lays them out exactly as libfiie expects
(64-byte aligned, BLAKE2b-256 digest at the end); unpack() checks
everything libfiie's loader checks about the container.
"""

import hashlib
import math
import struct

MAGIC = b"FIIEMTCN"
FORMAT_VERSION = 1
HEADER_SIZE = 32
ENTRY_SIZE = 96
NAME_SIZE = 64
DIGEST_SIZE = 32
ALIGN = 64
MAX_TENSORS = 256
MAX_BYTES = 64 << 20
DTYPE_F32 = 1


class ModelFormatError(ValueError):
    """Not a valid model file; the message says what is wrong."""


def pack(tensors):
    """Bytes of a model file holding `tensors`: [(name, shape, raw), ...]."""
    n = len(tensors)
    if not 1 <= n <= MAX_TENSORS:
        raise ModelFormatError("a model holds 1..%d tensors, not %d" % (MAX_TENSORS, n))
    data_start = (HEADER_SIZE + ENTRY_SIZE * n + ALIGN - 1) // ALIGN * ALIGN
    table, blob = [], []
    pos = data_start
    for name, shape, raw in tensors:
        shape = [int(d) for d in shape]
        bname = name.encode("ascii")
        if len(bname) >= NAME_SIZE:
            raise ModelFormatError("tensor name too long: %r" % name)
        if not 1 <= len(shape) <= 4 or any(d < 1 for d in shape):
            raise ModelFormatError("tensor %s: bad shape %s" % (name, shape))
        count = math.prod(shape)
        if len(raw) != 4 * count:
            raise ModelFormatError("tensor %s: %d bytes for shape %s" % (name, len(raw), shape))
        dims = shape + [0] * (4 - len(shape))
        table.append(bname.ljust(NAME_SIZE, b"\0") + struct.pack("<6I", len(shape), *dims, pos)
                     + struct.pack("<2I", count, DTYPE_F32))
        pad = (-len(raw)) % ALIGN
        blob.append(bytes(raw) + b"\0" * pad)
        pos += len(raw) + pad
    total = pos + DIGEST_SIZE
    header = MAGIC + struct.pack("<IIQII", FORMAT_VERSION, n, total, data_start, 0)
    body = header + b"".join(table)
    body += b"\0" * (data_start - len(body)) + b"".join(blob)
    return body + hashlib.blake2b(body, digest_size=DIGEST_SIZE).digest()


def unpack(data):
    """[(name, shape, raw), ...] of a model file, in file order."""
    data = bytes(data)
    size = len(data)
    if size < HEADER_SIZE + DIGEST_SIZE or size > MAX_BYTES:
        raise ModelFormatError("file size %d out of range" % size)
    if data[:8] != MAGIC:
        raise ModelFormatError("not a libfiie model (bad magic)")
    version, n, total, data_start, flags = struct.unpack_from("<IIQII", data, 8)
    if version != FORMAT_VERSION:
        raise ModelFormatError("unknown model format version %d" % version)
    if total != size or flags != 0:
        raise ModelFormatError("header size/flags mismatch")
    digest = hashlib.blake2b(data[:-DIGEST_SIZE], digest_size=DIGEST_SIZE).digest()
    if digest != data[-DIGEST_SIZE:]:
        raise ModelFormatError("digest mismatch (corrupt file)")
    if not 1 <= n <= MAX_TENSORS or data_start < HEADER_SIZE + n * ENTRY_SIZE \
            or data_start % ALIGN or data_start > size - DIGEST_SIZE:
        raise ModelFormatError("bad tensor table")
    out = []
    end = size - DIGEST_SIZE
    for i in range(n):
        e = data[HEADER_SIZE + i * ENTRY_SIZE:HEADER_SIZE + (i + 1) * ENTRY_SIZE]
        if b"\0" not in e[:NAME_SIZE]:
            raise ModelFormatError("tensor %d: unterminated name" % i)
        name = e[:NAME_SIZE].split(b"\0")[0].decode("ascii", "replace")
        ndim, d0, d1, d2, d3, off, count, dtype = struct.unpack_from("<8I", e, NAME_SIZE)
        dims = [d0, d1, d2, d3]
        if not 1 <= ndim <= 4 or any(d == 0 for d in dims[:ndim]) or any(dims[ndim:]):
            raise ModelFormatError("tensor %s: bad dimensions" % name)
        shape = dims[:ndim]
        if dtype != DTYPE_F32 or count != math.prod(shape) or off % ALIGN or off < data_start \
                or off + 4 * count > end:
            raise ModelFormatError("tensor %s: bad type, count or offset" % name)
        out.append((name, shape, data[off:off + 4 * count]))
    return out
