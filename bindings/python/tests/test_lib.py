"""Library loading, ABI check, and the prototype table against the C
headers and the version script."""

import ctypes
import os
import re
import subprocess
import sys
import unittest

import fiie
from fiie import _lib

from support import INCLUDE, VERSION_SCRIPT


def _strip_c(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    return "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("#"))


def header_declarations(path):
    """name -> (returns void?, parameter count) of every FIIE_API function."""
    decl = re.compile(r"FIIE_API\b([^;{}]*?)\b(fiie_\w+)\s*\(([^;{}]*?)\)\s*;", re.S)
    out = {}
    for ret, name, params in decl.findall(_strip_c(path.read_text())):
        params = params.strip()
        n = 0 if params in ("", "void") else params.count(",") + 1
        is_void = re.fullmatch(r"\s*void\s*", ret) is not None
        out[name] = (is_void, n)
    return out


def version_script_names():
    text = re.sub(r"/\*.*?\*/", " ", VERSION_SCRIPT.read_text(), flags=re.S)
    return set(re.findall(r"\b(fiie_\w+)\s*;", text))


def run_python(code, env_extra):
    env = dict(os.environ)
    env.update(env_extra)
    return subprocess.run([sys.executable, "-c", code], env=env,
                          capture_output=True, text=True, timeout=60)


class TestPrototypes(unittest.TestCase):
    def present_headers(self):
        hs = {}
        for h in sorted(INCLUDE.glob("*.h")):
            d = header_declarations(h)
            if d:
                hs[h.name] = d
        self.assertIn("common.h", hs)
        return hs

    def test_every_header_function_is_declared_in_python(self):
        for header, decls in self.present_headers().items():
            with self.subTest(header=header):
                self.assertIn(header, _lib.HEADERS, "no prototype group for " + header)
                self.assertEqual(set(decls), set(_lib.HEADERS[header]))

    def test_argument_counts_and_void_results_match_the_headers(self):
        for header, decls in self.present_headers().items():
            for name, (is_void, nargs) in decls.items():
                restype, argtypes = _lib.HEADERS.get(header, {}).get(name, (0, None))
                if argtypes is None:
                    continue  # reported by the test above
                with self.subTest(name=name):
                    self.assertEqual(len(argtypes), nargs)
                    self.assertEqual(restype is None, is_void)

    def test_version_script_equals_bound_functions_of_present_headers(self):
        bound = set()
        for header in self.present_headers():
            bound |= set(_lib.HEADERS.get(header, {}))
        self.assertEqual(version_script_names(), bound)

    def test_library_exports_every_bound_function(self):
        wanted = version_script_names()
        self.assertEqual(sorted(wanted & _lib.MISSING), [])
        for name in wanted:
            f = getattr(_lib.lib, name)
            self.assertIsNotNone(f.argtypes, name)

    def test_header_parser_sees_real_declarations(self):
        # Guards the tests above against a parser that finds nothing.
        d = header_declarations(INCLUDE / "common.h")
        self.assertEqual(d["fiie_free"], (True, 1))
        self.assertEqual(d["fiie_abi_version"], (False, 0))


class TestLoading(unittest.TestCase):
    def test_abi_major_matches(self):
        major, minor = fiie.abi_version()
        self.assertEqual(major, _lib.ABI_MAJOR)
        self.assertEqual(_lib.ABI_VERSION >> 16, major)

    def test_loaded_from_fiie_library(self):
        env = os.environ.get("FIIE_LIBRARY")
        if env:
            self.assertEqual(fiie.library_path, env)
        else:
            self.assertEqual(fiie.library_path, "libfiie.so.%d" % _lib.ABI_MAJOR)

    def test_version_queries(self):
        s = fiie.library_version()
        self.assertRegex(s, r"^\d+\.\d+\.\d+$")
        a, b, c = map(int, s.split("."))
        self.assertEqual(fiie.library_version_number(), a * 10000 + b * 100 + c)

    def test_bad_library_path_is_an_import_error(self):
        r = run_python("import fiie", {"FIIE_LIBRARY": "/nonexistent/libfiie.so.1"})
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ImportError", r.stderr)
        self.assertIn("/nonexistent/libfiie.so.1", r.stderr)

    def test_other_abi_major_is_refused(self):
        fake = os.environ.get("FIIE_FAKE_ABI2_LIBRARY")
        if not fake:
            self.skipTest("FIIE_FAKE_ABI2_LIBRARY not set (run through meson test)")
        r = run_python("import fiie", {"FIIE_LIBRARY": fake})
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ImportError", r.stderr)
        self.assertIn("ABI 2.0", r.stderr)

    def test_works_without_numpy(self):
        code = ("import sys; sys.modules['numpy'] = None\n"
                "import fiie\n"
                "print(fiie.abi_version()[0])\n"
                "img = fiie.Image.new(2, 2)\n"
                "print(len(img.tobytes()))\n"
                "try:\n"
                "    img.to_array()\n"
                "except ImportError as e:\n"
                "    print('needs numpy' if 'numpy' in str(e) else e)\n")
        r = run_python(code, {})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.split(), [str(_lib.ABI_MAJOR), "12", "needs", "numpy"])


if __name__ == "__main__":
    unittest.main()


class TestStructLayout(unittest.TestCase):
    """ctypes mirrors against sizeof/offsetof from the C compiler."""

    def c_layout(self):
        exe = os.environ.get("FIIE_STRUCT_LAYOUT")
        if not exe:
            self.skipTest("FIIE_STRUCT_LAYOUT not set (run through meson test)")
        out = subprocess.run([exe], check=True, capture_output=True, text=True).stdout
        structs = {}
        for line in out.splitlines():
            name, a, b = line.split()
            if a == "size":
                structs[name] = {"size": int(b), "fields": {}}
            else:
                t, f = name.split(".")
                structs[t]["fields"][f] = (int(a), int(b))
        return structs

    def test_every_mirrored_struct_of_a_present_header_is_checked(self):
        structs = self.c_layout()
        self.assertIn("fiie_image", structs)
        for name, header in _lib.STRUCT_HEADERS.items():
            if (INCLUDE / header).exists():
                self.assertIn(name, structs)

    def test_sizes_and_offsets_match(self):
        for name, c in self.c_layout().items():
            cls = getattr(_lib, name)
            with self.subTest(struct=name):
                self.assertEqual(ctypes.sizeof(cls), c["size"])
                py_fields = [f[0] for f in cls._fields_]
                self.assertEqual(sorted(py_fields), sorted(c["fields"]))
                for f, (off, size) in c["fields"].items():
                    self.assertEqual((getattr(cls, f).offset, getattr(cls, f).size),
                                     (off, size), f)


class TestPackaging(unittest.TestCase):
    def test_every_module_is_installed(self):
        from support import SOURCE_ROOT
        build = (SOURCE_ROOT / "bindings" / "meson.build").read_text()
        listed = set(re.findall(r"'python/fiie/((?:\w+/)?\w+\.py)'", build))
        package = SOURCE_ROOT / "bindings" / "python" / "fiie"
        present = {p.relative_to(package).as_posix() for p in package.rglob("*.py")}
        self.assertEqual(listed, present)


class TestNamespace(unittest.TestCase):
    def test_all_names_exist(self):
        for name in fiie.__all__:
            self.assertTrue(hasattr(fiie, name), name)
        self.assertEqual(len(set(fiie.__all__)), len(fiie.__all__))


class TestVersion(unittest.TestCase):
    def test_package_version_follows_the_c_release(self):
        text = (INCLUDE / "version.h").read_text()
        parts = [re.search(r"#define FIIE_VERSION_%s (\d+)" % p, text).group(1)
                 for p in ("MAJOR", "MINOR", "PATCH")]
        self.assertEqual(fiie.__version__, ".".join(parts))
        self.assertEqual(fiie.library_version(), fiie.__version__)
