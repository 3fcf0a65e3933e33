"""fiie.Image: loading, wrapping caller memory, numpy, PNG output."""

import errno
import os
import tempfile
import unittest

import fiie

from support import image_path, needs, needs_numpy, numpy

IMAGE_FUNCS = ("fiie_image_load", "fiie_image_wrap", "fiie_image_alloc",
               "fiie_image_encode_png", "fiie_image_save_png", "fiie_png_find_chunk")


def png_bytes(width, height, fmt=fiie.PixelFormat.RGB8, fill=lambda i: i % 251):
    """A PNG made by the library from a known pixel pattern."""
    ch = 4 if fmt in (fiie.PixelFormat.RGBA8, fiie.PixelFormat.BGRA8) else 3
    buf = bytearray(fill(i) for i in range(width * height * ch))
    with fiie.Image.from_buffer(buf, width, height, fmt) as img:
        return img.encode_png(), bytes(buf)


@needs(*IMAGE_FUNCS)
class TestImage(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def test_open_sample(self):
        with fiie.Image.open(image_path("faces_640x480.png")) as img:
            self.assertEqual(img.size, (640, 480))
            self.assertEqual(img.format, fiie.PixelFormat.RGB8)
            self.assertEqual(img.channels, 3)
            self.assertGreaterEqual(img.stride, 640 * 3)
            self.assertEqual(len(img.tobytes()), 640 * 480 * 3)
            self.assertFalse(img.shares_memory)
            img.validate()

    def test_open_pathlike_and_forced_rgba(self):
        with fiie.Image.open(image_path("camera.png"), format="rgba") as img:
            self.assertEqual(img.format, fiie.PixelFormat.RGBA8)
            px = img.tobytes()
            self.assertEqual(set(px[3::4]), {255})

    def test_missing_file_is_io_error(self):
        with self.assertRaises(fiie.IOFailureError) as cm:
            fiie.Image.open(self.path("nope.png"))
        self.assertEqual(cm.exception.code, fiie.STATUS["FIIE_E_IO"])
        self.assertIn("nope.png", str(cm.exception))

    def test_corrupt_and_truncated_bytes(self):
        png, _ = png_bytes(8, 6)
        for bad in (b"not an image at all", png[:len(png) // 2], b"\x89PNG\r\n\x1a\n"):
            with self.subTest(size=len(bad)):
                with self.assertRaises(fiie.ImageFormatError) as cm:
                    fiie.Image.from_bytes(bad)
                self.assertEqual(cm.exception.code, -5)
        with self.assertRaises(fiie.Error):
            fiie.Image.from_bytes(b"")

    def test_bytes_round_trip_is_lossless(self):
        for fmt in fiie.PixelFormat:
            with self.subTest(fmt=fmt.name):
                png, raw = png_bytes(13, 7, fmt)
                with fiie.Image.from_bytes(png) as back:
                    self.assertEqual(back.size, (13, 7))
                    with fiie.Image.from_buffer(bytearray(raw), 13, 7, fmt) as orig, \
                            orig.convert(back.format) as want:
                        self.assertEqual(back.tobytes(), want.tobytes())

    def test_from_buffer_shares_memory(self):
        buf = bytearray(4 * 3 * 3)
        with fiie.Image.from_buffer(buf, 4, 3) as img:
            self.assertTrue(img.shares_memory)
            raw = img._raw()
            raw[0] = 200  # a write through the C struct's pointer
            self.assertEqual(buf[0], 200)

    def test_from_buffer_with_stride(self):
        w, h, stride = 3, 2, 16
        buf = bytearray(range(stride * h))
        with fiie.Image.from_buffer(buf, w, h, "rgb", stride=stride) as img:
            self.assertEqual(img.stride, stride)
            self.assertEqual(img.tobytes(), bytes(buf[0:9] + buf[16:25]))

    def test_from_buffer_rejects_bad_input(self):
        with self.assertRaises(fiie.InvalidArgumentError):
            fiie.Image.from_buffer(b"\0" * 12, 2, 2)           # read-only
        with self.assertRaises(fiie.InvalidArgumentError):
            fiie.Image.from_buffer(bytearray(11), 2, 2)        # too small
        with self.assertRaises(fiie.InvalidArgumentError):
            fiie.Image.from_buffer(bytearray(12), 2, 2, "xyz")  # unknown format
        with self.assertRaises(fiie.InvalidArgumentError):
            fiie.Image.from_buffer(bytearray(12), 2, 2, stride=5)

    def test_new_and_limits(self):
        with fiie.Image.new(5, 4, "bgra") as img:
            self.assertEqual(img.tobytes(), bytes(5 * 4 * 4))
            self.assertEqual(img.format, fiie.PixelFormat.BGRA8)
        with self.assertRaises(fiie.InvalidArgumentError):
            fiie.Image.new(0, 4)
        with self.assertRaises(fiie.InvalidArgumentError):
            fiie.Image.new(-1, 4)
        with self.assertRaises(fiie.TooLargeError):
            fiie.Image.new(2 ** 32 + 1, 1)  # would wrap to 1 in ctypes
        with self.assertRaises(fiie.TooLargeError):
            fiie.Image.new(fiie.MAX_DIMENSION + 1, 1)
        with self.assertRaises(fiie.TooLargeError):
            fiie.Image.new(fiie.MAX_DIMENSION, fiie.MAX_DIMENSION)

    def test_convert_bgr_swaps_channels(self):
        buf = bytearray([1, 2, 3, 4, 5, 6])
        with fiie.Image.from_buffer(buf, 2, 1, "rgb") as img, img.convert("bgra") as out:
            self.assertEqual(out.tobytes(), bytes([3, 2, 1, 255, 6, 5, 4, 255]))

    def test_save_png_and_no_clobber(self):
        p = self.path("out.png")
        png, raw = png_bytes(6, 5)
        with fiie.Image.from_bytes(png) as img:
            img.save_png(p)
            with fiie.Image.open(p) as back:
                self.assertEqual(back.tobytes(), raw)
            with self.assertRaises(fiie.ExistsError) as cm:
                img.save_png(p)  # never overwrites by default, as the CLI
            self.assertIsInstance(cm.exception, FileExistsError)
            self.assertEqual(cm.exception.errno, errno.EEXIST)
            self.assertEqual(cm.exception.filename, p)
            img.save_png(p, overwrite=True)
            missing = self.path("no/such/dir/out.png")
            with self.assertRaises(fiie.IOFailureError) as cm:
                img.save_png(missing)
            e = cm.exception
            self.assertIsInstance(e, OSError)
            self.assertIsInstance(e, FileNotFoundError)
            self.assertEqual(e.errno, errno.ENOENT)
            self.assertEqual(e.filename, missing)
            self.assertIn(missing, str(e))
            self.assertEqual(e.code, fiie.STATUS["FIIE_E_IO"])
        self.assertEqual(sorted(os.listdir(self.tmp.name)), ["out.png"])  # no temp files left

    def test_file_errors_are_oserrors_with_errno_and_path(self):
        missing = self.path("missing.png")
        with self.assertRaises(FileNotFoundError) as cm:
            fiie.Image.open(missing)
        self.assertIsInstance(cm.exception, fiie.IOFailureError)
        self.assertEqual((cm.exception.errno, cm.exception.filename), (errno.ENOENT, missing))
        with self.assertRaises(IsADirectoryError):
            fiie.Image.open(self.tmp.name)
        with self.assertRaises(FileNotFoundError):
            fiie.probe_image(missing)
        with self.assertRaises(FileNotFoundError):
            fiie.read_sidecar(missing)
        with self.assertRaises(FileNotFoundError):
            fiie.load_protected_png(missing)

    def test_unsupported_formats_named(self):
        heads = {"WebP": b"RIFF\x24\0\0\0WEBPVP8 ", "TIFF": b"II*\0\x08\0\0\0",
                 "GIF": b"GIF89a\x01\0\x01\0", "HEIC": b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"}
        for name, head in heads.items():
            data = head + bytes(48)
            with self.subTest(format=name):
                p = self.path("x." + name.lower())
                with open(p, "wb") as f:
                    f.write(data)
                with self.assertRaises(fiie.UnsupportedFormatError) as cm:
                    fiie.Image.open(p)
                self.assertEqual(cm.exception.format, name)
                self.assertIn("Unsupported format: " + name, str(cm.exception))
                self.assertIsInstance(cm.exception, fiie.ImageFormatError)
                self.assertEqual(cm.exception.code, fiie.STATUS["FIIE_E_UNSUPPORTED_FORMAT"])
                with self.assertRaises(fiie.UnsupportedFormatError):
                    fiie.Image.from_bytes(data)
                with self.assertRaises(fiie.UnsupportedFormatError) as cm:
                    fiie.probe_image_bytes(data)
                self.assertEqual(cm.exception.format, name)
        with self.assertRaises(fiie.ImageFormatError) as cm:
            fiie.Image.from_bytes(b"not an image at all")
        self.assertNotIsInstance(cm.exception, fiie.UnsupportedFormatError)

    def test_probe_and_icc_round_trip(self):
        icc = (1000).to_bytes(4, "big") + bytes(i % 256 for i in range(996))
        png, raw = png_bytes(6, 5)
        info = fiie.probe_image_bytes(png)
        self.assertEqual((info.format, info.width, info.height, info.bit_depth, info.channels),
                         ("PNG", 6, 5, 8, 3))
        self.assertIsNone(info.icc)
        self.assertFalse(info.grey)
        p = self.path("icc.png")
        with fiie.Image.from_bytes(png) as img:
            img.save_png(p, icc=icc, private=True)
            self.assertEqual(fiie.probe_image_bytes(img.encode_png(icc=icc)).icc, icc)
            with self.assertRaises(fiie.InvalidArgumentError) as cm:
                img.save_png(self.path("small.png"), icc=b"x" * 10)
            self.assertIn("len(icc) must be in 128..", str(cm.exception))
        self.assertEqual(os.stat(p).st_mode & 0o777, 0o600)
        info = fiie.probe_image(p)
        self.assertEqual(info.icc, icc)
        with fiie.Image.open(p) as back:
            self.assertEqual(back.tobytes(), raw)

    def test_private_chunk(self):
        payload = bytes(range(200))
        with fiie.Image.new(3, 3) as img:
            png = img.encode_png(chunk=("teST", payload))
            p = self.path("c.png")
            img.save_png(p, chunk=(b"teST", payload))
        self.assertEqual(fiie.find_png_chunk(png, "teST"), payload)
        self.assertEqual(fiie.read_png_chunk(p, "teST"), payload)
        self.assertTrue(fiie.has_png_chunk(p, "teST"))
        self.assertFalse(fiie.has_png_chunk(p, "abCD"))
        self.assertFalse(fiie.has_png_chunk(self.path("missing.png"), "teST"))
        with open(self.path("junk.png"), "wb") as f:
            f.write(b"not a png")
        self.assertFalse(fiie.has_png_chunk(self.path("junk.png"), "teST"))
        with self.assertRaises(fiie.NotFoundError):
            fiie.find_png_chunk(png, "abCD")
        with self.assertRaises(fiie.NotFoundError):
            fiie.read_png_chunk(p, "abCD")
        with self.assertRaises(fiie.ImageFormatError):
            fiie.find_png_chunk(b"garbage", "teST")
        corrupt = bytearray(png)
        corrupt[png.index(b"teST") + 10] ^= 1  # payload byte: CRC no longer matches
        with self.assertRaises(fiie.ImageFormatError):
            fiie.find_png_chunk(bytes(corrupt), "teST")
        with self.assertRaises(fiie.InvalidArgumentError):
            fiie.find_png_chunk(png, "toolong")
        with fiie.Image.from_bytes(png) as back:
            self.assertEqual(back.tobytes(), bytes(27))

    def test_close_twice_and_use_after_close(self):
        img = fiie.Image.new(2, 2)
        with img:
            pass
        self.assertTrue(img.closed)
        img.close()
        for op in (lambda: img.width, img.tobytes, lambda: img.encode_png(),
                   lambda: img.convert("rgb"), lambda: img.__enter__()):
            with self.assertRaises(fiie.ClosedError):
                op()
        self.assertIn("closed", repr(img))


@needs(*IMAGE_FUNCS)
@needs_numpy
class TestImageNumpy(unittest.TestCase):
    def test_from_array_shares_c_contiguous_memory(self):
        a = numpy.zeros((4, 5, 3), dtype=numpy.uint8)
        with fiie.Image.from_array(a) as img:
            self.assertTrue(img.shares_memory)
            self.assertEqual((img.width, img.height, img.stride), (5, 4, 15))
            view = img.to_array(copy=False)
            self.assertTrue(numpy.shares_memory(view, a))
            view[1, 2, 0] = 77
            self.assertEqual(a[1, 2, 0], 77)

    def test_from_array_keeps_array_alive(self):
        a = numpy.arange(2 * 3 * 4, dtype=numpy.uint8).reshape(2, 3, 4)
        want = a.tobytes()
        img = fiie.Image.from_array(a)
        del a
        self.assertEqual(img.format, fiie.PixelFormat.RGBA8)
        self.assertEqual(img.tobytes(), want)
        img.close()

    def test_row_slice_shares_with_stride(self):
        a = numpy.zeros((10, 8, 3), dtype=numpy.uint8)
        sub = a[2:5, 1:4]
        with fiie.Image.from_array(sub) as img:
            self.assertTrue(img.shares_memory)
            self.assertEqual(img.stride, 8 * 3)
            img.to_array(copy=False)[0, 0] = (9, 9, 9)
        self.assertEqual(a[2, 1].tolist(), [9, 9, 9])

    def test_non_contiguous_or_readonly_is_copied(self):
        a = numpy.arange(6 * 4 * 3, dtype=numpy.uint8).reshape(6, 4, 3)
        flipped = a[::-1]
        ro = a.copy()
        ro.flags.writeable = False
        for arr in (flipped, a[:, ::2], ro):
            with fiie.Image.from_array(arr) as img:
                self.assertFalse(img.shares_memory)
                self.assertTrue(numpy.array_equal(img.to_array(), arr))
        with fiie.Image.from_array(a, copy=True) as img:
            self.assertFalse(img.shares_memory)

    def test_from_array_rejects(self):
        for bad in (numpy.zeros((4, 4), numpy.uint8), numpy.zeros((4, 4, 2), numpy.uint8),
                    numpy.zeros((4, 4, 3), numpy.float32), [[1, 2, 3]]):
            with self.assertRaises(fiie.InvalidArgumentError):
                fiie.Image.from_array(bad)
        with self.assertRaises(fiie.InvalidArgumentError):
            fiie.Image.from_array(numpy.zeros((4, 4, 3), numpy.uint8), format="rgba")
        with self.assertRaises(fiie.InvalidArgumentError):
            fiie.Image.from_array(numpy.zeros((0, 4, 3), numpy.uint8))

    def test_bgr_array_round_trip_through_png(self):
        bgr = numpy.random.default_rng(1).integers(0, 256, (7, 9, 3), dtype=numpy.uint8)
        with fiie.Image.from_array(bgr, "bgr") as img, \
                fiie.Image.from_bytes(img.encode_png()) as back:
            self.assertEqual(back.format, fiie.PixelFormat.RGB8)
            self.assertTrue(numpy.array_equal(back.to_array(), bgr[:, :, ::-1]))

    def test_to_array_copy_is_independent(self):
        with fiie.Image.open(image_path("coffee.png")) as img:
            a = img.to_array()
            self.assertEqual(a.shape, (img.height, img.width, 3))
            self.assertEqual(a.tobytes(), img.tobytes())
        a[0, 0, 0] ^= 1  # still valid after close


if __name__ == "__main__":
    unittest.main()
