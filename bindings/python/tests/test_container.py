"""Protected PNG, sidecar files and header inspection."""

import errno
import os
import tempfile
import unittest

import fiie

from support import image_path, needs, test_hooks

CONTAINER_FUNCS = ("fiie_encrypt", "fiie_header_parse", "fiie_header_get_region",
                   "fiie_mask_from_header", "fiie_protected_png_save",
                   "fiie_protected_png_load", "fiie_sidecar_write", "fiie_sidecar_read")

REGIONS = [(1, 150, 40, 140, 160), (0, -10, -10, 40, 30), (0, 500, 500, 10, 10)]


@needs(*CONTAINER_FUNCS)
class TestContainer(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.key = fiie.Key.generate()
        self.addCleanup(self.key.close)
        self.img = fiie.Image.open(image_path("astronaut.png"))
        self.addCleanup(self.img.close)
        self.plain = self.img.tobytes()
        self.header = fiie.encrypt(self.img, REGIONS, self.key)

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def test_protected_png_round_trip(self):
        p = self.path("p.png")
        fiie.save_protected_png(self.img, self.header, p)
        img, header = fiie.load_protected_png(p)
        with img:
            self.assertEqual(header, self.header)
            self.assertEqual(img.tobytes(), self.img.tobytes())
            fiie.decrypt(img, header, self.key)
            self.assertEqual(img.tobytes(), self.plain)
        # The header is also an ordinary PNG chunk.
        self.assertEqual(fiie.read_png_chunk(p, "fiIE"), self.header)
        with self.assertRaises(fiie.ExistsError) as cm:
            fiie.save_protected_png(self.img, self.header, p)  # no overwrite by default
        self.assertEqual((cm.exception.errno, cm.exception.filename), (errno.EEXIST, p))
        fiie.save_protected_png(self.img, self.header, p, overwrite=True)

    def test_protected_png_keeps_icc_profile(self):
        icc = (300).to_bytes(4, "big") + bytes(range(200)) + bytes(96)
        p = self.path("icc.png")
        fiie.save_protected_png(self.img, self.header, p, icc=icc)
        self.assertEqual(fiie.probe_image(p).icc, icc)
        img, header = fiie.load_protected_png(p)
        with img:
            self.assertEqual(header, self.header)
            self.assertEqual(img.tobytes(), self.img.tobytes())
        with fiie.Image.new(10, 10) as small:
            with self.assertRaises(fiie.MismatchError):
                fiie.save_protected_png(small, self.header, self.path("y.png"), icc=icc)
        with self.assertRaises(fiie.ExistsError):
            fiie.save_protected_png(self.img, self.header, p, icc=icc)

    def test_plain_png_is_not_protected(self):
        with self.assertRaises(fiie.NotFoundError):
            fiie.load_protected_png(image_path("coffee.png"))
        with self.assertRaises(fiie.IOFailureError):
            fiie.load_protected_png(self.path("missing.png"))

    def test_header_for_other_image_is_refused_on_save(self):
        with fiie.Image.new(10, 10) as small:
            with self.assertRaises(fiie.MismatchError):
                fiie.save_protected_png(small, self.header, self.path("x.png"))
        with self.assertRaises(fiie.HeaderError):
            fiie.save_protected_png(self.img, self.header[:-3], self.path("x.png"))
        self.assertEqual(os.listdir(self.tmp.name), [])

    def test_parse_header(self):
        info = fiie.parse_header(self.header)
        self.assertEqual((info.version, info.alg, info.channels), (1, fiie.Alg.V1, 3))
        self.assertEqual((info.width, info.height), self.img.size)
        self.assertEqual(info.regions, [fiie.Region(*r) for r in REGIONS])
        self.assertFalse(info.uses_passphrase)
        self.assertEqual(info.nonce, self.header[16:40])
        self.assertNotEqual(info.nonce, bytes(24))
        self.assertEqual(fiie.header_size(fiie.Alg.V1, len(REGIONS)), len(self.header))
        self.assertEqual(fiie.header_size(fiie.Alg.V1, 0), 0)
        for bad in (b"", b"garbage", self.header[:-1], self.header + b"\0",
                    b"XIIE" + self.header[4:]):
            with self.assertRaises(fiie.HeaderError):
                fiie.parse_header(bad)

    def test_passphrase_header_records_kdf(self):
        salt = bytes(range(16)) if test_hooks() else None  # fixed salts: test builds only
        with fiie.Image.new(8, 8) as img, \
                fiie.Key.from_passphrase("pw", opslimit=1, memlimit=8192, salt=salt) as k:
            header = fiie.encrypt(img, [(0, 0, 0, 8, 8)], k)
        info = fiie.parse_header(header)
        self.assertTrue(info.uses_passphrase)
        self.assertEqual((info.opslimit, info.memlimit), (1, 8192))
        self.assertEqual(info.salt, salt if salt else header[64:80])
        self.assertEqual(fiie.header_size(fiie.Alg.V1, 1, has_kdf=True), len(header))

    def test_mask_from_header(self):
        with fiie.mask_from_header(self.header) as m:
            self.assertEqual((m.width, m.height), self.img.size)
            self.assertEqual(m.regions, [fiie.Region(*r) for r in REGIONS])
        with self.assertRaises(fiie.HeaderError):
            fiie.mask_from_header(b"nope")

    def test_sidecar(self):
        p = self.path("img.fiie")
        fiie.write_sidecar(p, self.header)
        self.assertEqual(fiie.read_sidecar(p), self.header)
        with self.assertRaises(fiie.ExistsError):
            fiie.write_sidecar(p, self.header)  # no overwrite by default
        fiie.write_sidecar(p, self.header, overwrite=True)
        with self.assertRaises(fiie.HeaderError):
            fiie.write_sidecar(self.path("bad"), b"garbage")
        with open(self.path("trunc"), "wb") as f:
            f.write(self.header[:30])
        with self.assertRaises(fiie.HeaderError):
            fiie.read_sidecar(self.path("trunc"))
        with self.assertRaises(fiie.IOFailureError):
            fiie.read_sidecar(self.path("missing"))


if __name__ == "__main__":
    unittest.main()
