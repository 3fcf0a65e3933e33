"""Shared helpers of the Python test suite (run by `meson test --suite python`)."""

import json
import os
import pathlib
import unittest

HERE = pathlib.Path(__file__).resolve().parent
SOURCE_ROOT = pathlib.Path(os.environ.get("FIIE_SOURCE_ROOT", HERE.parents[2]))
DATA = pathlib.Path(os.environ.get("FIIE_TEST_DATA", SOURCE_ROOT / "tests" / "data"))
INCLUDE = SOURCE_ROOT / "include" / "fiie"
VERSION_SCRIPT = SOURCE_ROOT / "lib" / "libfiie.ver"

try:
    import numpy
except ImportError:  # numpy is optional; its tests are skipped
    numpy = None

needs_numpy = unittest.skipIf(numpy is None, "numpy not installed")


def image_path(name):
    return DATA / "images" / name


def vectors():
    with open(DATA / "vectors" / "fiie-v1.json") as f:
        return json.load(f)


def has(*names):
    """True when the loaded library exports all these functions (modules
    still being written on other branches are skipped, not failed)."""
    from fiie import _lib
    return not (set(names) & _lib.MISSING)


def test_hooks():
    """True when the library honours caller-chosen nonces and salts
    (built with meson -Dtest_hooks=true; meson tells the suite in
    FIIE_TEST_HOOKS). A release library refuses them (UnsupportedError)."""
    v = os.environ.get("FIIE_TEST_HOOKS")
    if v is not None:
        return v == "1"
    import fiie
    try:
        fiie.encrypt(fiie.Image.new(1, 1), [(0, 0, 0, 1, 1)], fiie.Key.generate(),
                     nonce=bytes(24))
        return True
    except fiie.UnsupportedError:
        return False


def needs_test_hooks(test):
    return unittest.skipUnless(test_hooks(), "library built without -Dtest_hooks "
                               "(no caller-chosen nonces)")(test)


def needs(*names):
    return unittest.skipUnless(has(*names), "library lacks %s" % ", ".join(names))
