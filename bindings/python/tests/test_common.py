"""fiie/common.h beyond status codes: the thread limit and the atomic
file writer (the C tests check the writer in depth; here: flags, errors
and modes reach Python intact)."""

import os
import re
import stat
import tempfile
import unittest

import fiie

from support import INCLUDE


def header_define(header, name):
    text = (INCLUDE / header).read_text()
    return int(re.search(r"#define %s \(?(\d+)u?" % name, text).group(1), 0)


class TestConstants(unittest.TestCase):
    def test_mirrored_constants_match_the_headers(self):
        self.assertEqual(fiie.MAX_THREADS, header_define("common.h", "FIIE_MAX_THREADS"))
        self.assertEqual(fiie.FILE_NO_CLOBBER, header_define("common.h", "FIIE_FILE_NO_CLOBBER"))
        self.assertEqual(fiie.FILE_PRIVATE, header_define("common.h", "FIIE_FILE_PRIVATE"))
        self.assertEqual(fiie.MAX_DIMENSION, header_define("image.h", "FIIE_MAX_DIMENSION"))

    def test_thread_limit_is_the_detectors(self):
        with fiie.Detector(threads=fiie.MAX_THREADS) as d:
            self.assertEqual(d.options["threads"], fiie.MAX_THREADS)
        with self.assertRaises(fiie.InvalidArgumentError):
            fiie.Detector(threads=fiie.MAX_THREADS + 1)


class TestWriteFileAtomic(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def p(self, name):
        return os.path.join(self.tmp.name, name)

    def test_write_replace_and_refuse(self):
        path = self.p("f.bin")
        fiie.write_file_atomic(path, b"one")
        with open(path, "rb") as f:
            self.assertEqual(f.read(), b"one")
        fiie.write_file_atomic(path, bytearray(b"two!"))
        with open(path, "rb") as f:
            self.assertEqual(f.read(), b"two!")
        with self.assertRaises(fiie.ExistsError):
            fiie.write_file_atomic(path, b"three", overwrite=False)
        fiie.write_file_atomic(self.p("empty"), b"", overwrite=False)
        self.assertEqual(os.path.getsize(self.p("empty")), 0)
        self.assertEqual(sorted(os.listdir(self.tmp.name)), ["empty", "f.bin"])

    def test_private_is_0600_whatever_the_umask(self):
        old = os.umask(0)
        try:
            fiie.write_file_atomic(self.p("key"), b"secret", private=True)
            fiie.write_file_atomic(self.p("doc"), b"public")
        finally:
            os.umask(old)
        self.assertEqual(stat.S_IMODE(os.stat(self.p("key")).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(self.p("doc")).st_mode), 0o666)

    def test_errors_leave_nothing(self):
        with self.assertRaises(fiie.IOFailureError):
            fiie.write_file_atomic(self.p("missing/dir/f"), b"x")
        with self.assertRaises(fiie.InvalidArgumentError):
            fiie.write_file_atomic(self.p("dir/"), b"x")
        with self.assertRaises(fiie.InvalidArgumentError):
            fiie.write_file_atomic("", b"x")
        with self.assertRaises(TypeError):
            fiie.write_file_atomic(self.p("f"), "text, not bytes")
        self.assertEqual(os.listdir(self.tmp.name), [])


if __name__ == "__main__":
    unittest.main()
