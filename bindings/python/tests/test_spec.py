"""An independent, pure-Python model of the FIIE v1 keystreams (docs/format.md
sections 1, 3 and 5), checked against the published vectors and against
the C library through the bindings for keys and nonces the vectors do not
cover. Only the first bytes of each block are modelled: Python is slow,
and the C tests cover whole streams."""

import hashlib
import math
import os
import struct
import unittest

import fiie

from support import needs, vectors

V = vectors()
M64 = (1 << 64) - 1


def F(x, q):
    """One step of the integer Logistic map (Q0.64 state, mu = q / 2^62)."""
    return (q * ((x * ((-x) & M64)) >> 64)) >> 62


def subkeys(key, nonce):
    k_lm = hashlib.blake2b(b"FIIE1 lm" + nonce, digest_size=32, key=key).digest()
    k_ae = hashlib.blake2b(b"FIIE1 ae" + nonce, digest_size=32, key=key).digest()
    return k_lm, k_ae


def h8(k_lm, msg):
    return struct.unpack("<Q", hashlib.blake2b(msg, digest_size=16, key=k_lm).digest()[:8])[0]


def lane_q(k_lm, lane):
    for attempt in range(32):
        r = h8(k_lm, b"mu" + bytes([lane, attempt]))
        q = M64 - (r >> 8)
        x = ((r << 1) | 1) & M64
        for _ in range(1024):
            x = F(x, q)
        y = x
        weak = False
        for _ in range(16384):
            x = F(x, q)
            if x == y:
                weak = True
                break
        if not weak:
            return q
    raise AssertionError("no usable q")


def keystream_block_prefix(k_lm, qs, block, n_per_lane):
    """The first 8 * n_per_lane bytes of keystream block ``block``."""
    out = bytearray(8 * n_per_lane)
    for lane in range(8):
        q = qs[lane]
        x = h8(k_lm, b"seed" + struct.pack("<IB", block, lane)) | 1
        for _ in range(1024):
            x = F(x, q)
        for n in range(n_per_lane):
            x = F(x, q)
            out[8 * n + lane] = (x >> 24) & 0xFF
    return bytes(out)


def paper_keystream(x0, mu, n, discard=1000):
    x = x0
    for _ in range(discard):
        x = (mu * x) * (1.0 - x)
    out = bytearray()
    for _ in range(n):
        x = (mu * x) * (1.0 - x)
        out.append(int(math.floor(x * 1e14)) % 256)
    return bytes(out)


class TestModelAgainstVectors(unittest.TestCase):
    def test_map_step(self):
        f = V["F"]
        x, q = int(f["x0"], 16), int(f["q"], 16)
        got = []
        for _ in range(5):
            x = F(x, q)
            got.append("%016x" % x)
        self.assertEqual(got, f["next5"])

    def test_subkeys_and_lane_parameters(self):
        s = V["subkeys"]
        k_lm, k_ae = subkeys(bytes.fromhex(s["key"]), bytes.fromhex(s["nonce"]))
        self.assertEqual(k_lm.hex(), s["k_lm"])
        self.assertEqual(k_ae.hex(), s["k_ae"])
        self.assertEqual([str(lane_q(k_lm, l)) for l in range(8)], s["lane_q"])

    def test_keystream_prefixes(self):
        ks = V["keystream"]
        k_lm, _ = subkeys(bytes.fromhex(ks["key"]), bytes.fromhex(ks["nonce"]))
        qs = [int(q) for q in V["subkeys"]["lane_q"]]
        self.assertEqual(keystream_block_prefix(k_lm, qs, 0, 8).hex(), ks["first64"])
        # bytes 524280..524296 straddle blocks 0 and 1: check block 1's start.
        self.assertEqual(keystream_block_prefix(k_lm, qs, 1, 1).hex(),
                         ks["bytes_524280_524296"][16:])

    def test_paper_keystream(self):
        p = V["paper"]
        self.assertEqual(paper_keystream(p["x0"], p["mu"], 64, p["discard"]).hex(),
                         p["first64"])


@needs("fiie_key_from_bytes", "fiie_keystream", "fiie_paper_keystream")
class TestLibraryAgainstModel(unittest.TestCase):
    """Random keys and nonces: the library must agree with the model."""

    def test_random_key_and_nonce(self):
        for _ in range(2):
            key, nonce = os.urandom(32), os.urandom(24)
            k_lm, _ = subkeys(key, nonce)
            qs = [lane_q(k_lm, l) for l in range(8)]
            with fiie.Key.from_bytes(key) as k:
                lib = k.keystream(nonce, 524288 + 16)
            self.assertEqual(lib[:32], keystream_block_prefix(k_lm, qs, 0, 4))
            self.assertEqual(lib[524288:], keystream_block_prefix(k_lm, qs, 1, 2))

    def test_other_paper_keys(self):
        for x0, mu in ((0.123456789, 3.9), (0.9, 3.57), (0.5000001, 4.0)):
            with self.subTest(x0=x0, mu=mu):
                self.assertEqual(fiie.paper_keystream(x0, mu, 32), paper_keystream(x0, mu, 32))


if __name__ == "__main__":
    unittest.main()
