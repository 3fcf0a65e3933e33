"""The status table and exception classes against include/fiie/common.h."""

import re
import unittest

import fiie
from fiie import _errors

from support import INCLUDE


def header_status_codes():
    text = re.sub(r"/\*.*?\*/", " ", (INCLUDE / "common.h").read_text(), flags=re.S)
    body = re.search(r"enum\s+fiie_status\s*\{(.*?)\}", text, re.S).group(1)
    return {name: int(value) for name, value in
            re.findall(r"\b(FIIE_\w+)\s*=\s*(-?\d+)", body)}


class TestStatusTable(unittest.TestCase):
    def test_table_equals_header(self):
        codes = header_status_codes()
        self.assertGreater(len(codes), 10)
        self.assertEqual(fiie.STATUS, codes)

    def test_every_error_code_has_its_own_class(self):
        classes = set()
        for name, code in fiie.STATUS.items():
            if code == 0:
                continue
            with self.subTest(name=name):
                cls = _errors.ERROR_CLASSES[code]
                self.assertTrue(issubclass(cls, fiie.Error))
                self.assertEqual(cls.code, code)
                classes.add(cls)
                e = _errors.error_for(code, "x")
                self.assertIsInstance(e, cls)
                self.assertEqual(e.code, code)
                self.assertEqual(e.name, name)
        self.assertEqual(len(classes), len(fiie.STATUS) - 1)

    def test_library_describes_every_code(self):
        unknown = fiie.strerror(-10000)
        self.assertEqual(unknown, "unknown error")
        for name, code in fiie.STATUS.items():
            with self.subTest(name=name):
                self.assertNotEqual(fiie.strerror(code), unknown)

    def test_authentication_error_is_distinct(self):
        e = _errors.error_for(fiie.STATUS["FIIE_E_AUTH"], "bad tag")
        self.assertIs(type(e), fiie.AuthenticationError)
        self.assertNotIsInstance(e, fiie.HeaderError)
        self.assertEqual(e.code, -14)

    def test_unknown_code_gives_base_class_with_code(self):
        e = _errors.error_for(-999, "future")
        self.assertIs(type(e), fiie.Error)
        self.assertEqual(e.code, -999)
        self.assertIn("-999", e.name)

    def test_check_raises_with_message(self):
        from fiie._lib import check
        self.assertEqual(check(0, "f"), 0)
        self.assertEqual(check(3, "f"), 3)
        with self.assertRaises(fiie.IOFailureError) as cm:
            check(fiie.STATUS["FIIE_E_IO"], "fiie_x")
        self.assertEqual(cm.exception.code, -4)
        self.assertIn("fiie_x", str(cm.exception))
        self.assertIn(fiie.strerror(-4), str(cm.exception))

    def test_file_errors_carry_errno_and_path(self):
        import errno
        e = _errors.error_for(fiie.STATUS["FIIE_E_IO"], "m", errno.EACCES, b"/x/y")
        self.assertIsInstance(e, PermissionError)
        self.assertIsInstance(e, fiie.IOFailureError)
        self.assertEqual((e.errno, e.filename, str(e)), (errno.EACCES, "/x/y", "m"))
        e = _errors.error_for(fiie.STATUS["FIIE_E_IO"], "m")
        self.assertIs(type(e), fiie.IOFailureError)
        self.assertEqual(e.errno, errno.EIO)
        e = _errors.error_for(fiie.STATUS["FIIE_E_EXISTS"], "m", None, "out.png")
        self.assertIsInstance(e, FileExistsError)
        self.assertEqual((e.errno, e.filename), (errno.EEXIST, "out.png"))

    def test_argument_errors_name_the_argument_and_range(self):
        from fiie._lib import as_float, as_int
        with self.assertRaisesRegex(fiie.InvalidArgumentError, r"threads must be in 0\.\.64 \(got 99\)"):
            as_int(99, "u32", "threads", 0, 64)
        with self.assertRaisesRegex(fiie.InvalidArgumentError, r"width must be in 0\.\.4294967295"):
            as_int(-1, "u32", "width")
        with self.assertRaisesRegex(fiie.TooLargeError, r"x must be in -2147483648\.\.2147483647"):
            as_int(2 ** 31, "i32", "x")
        with self.assertRaisesRegex(fiie.InvalidArgumentError, r"factor must be in \(0, 1\)"):
            as_float(1.0, "factor", 0, 1, open_lo=True, open_hi=True)
        with self.assertRaisesRegex(fiie.InvalidArgumentError, r"min_face must be in \[6, 65535\]"):
            fiie.Detector(min_face=2)
        with self.assertRaisesRegex(fiie.InvalidArgumentError, r"thresholds\[2\] must be in"):
            fiie.Detector(thresholds=(0.5, 0.5, 1.5))
        with self.assertRaisesRegex(fiie.InvalidArgumentError, r"format must be"):
            fiie.Image.new(2, 2, "cmyk")

    def test_builtin_bases_for_natural_catches(self):
        self.assertTrue(issubclass(fiie.InvalidArgumentError, ValueError))
        self.assertTrue(issubclass(fiie.NoMemoryError, MemoryError))
        self.assertTrue(issubclass(fiie.ClosedError, fiie.InvalidArgumentError))


if __name__ == "__main__":
    unittest.main()
