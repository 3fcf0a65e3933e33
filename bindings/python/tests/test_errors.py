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

    def test_builtin_bases_for_natural_catches(self):
        self.assertTrue(issubclass(fiie.InvalidArgumentError, ValueError))
        self.assertTrue(issubclass(fiie.NoMemoryError, MemoryError))
        self.assertTrue(issubclass(fiie.ClosedError, fiie.InvalidArgumentError))


if __name__ == "__main__":
    unittest.main()
