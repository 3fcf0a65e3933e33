"""setuptools hook of pyproject.toml: write fiie/_config.py with the
directory of the libfiie that pkg-config (or $FIIE_LIBDIR) names at build
time, so that the installed package loads that library (see fiie._lib).
Without either, no _config.py is written and the package uses the dynamic
loader's search (libfiie.so.1)."""

import os
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py

ABI_MAJOR = 1


def libfiie_libdir():
    env = os.environ.get("FIIE_LIBDIR")
    if env:
        return env
    pkg_config = shutil.which("pkg-config")
    if pkg_config is None:
        return None
    r = subprocess.run([pkg_config, "--variable=libdir", "fiie"],
                       capture_output=True, text=True)
    return r.stdout.strip() or None if r.returncode == 0 else None


class build_py_with_config(build_py):
    def run(self):
        super().run()
        libdir = libfiie_libdir()
        if libdir is None:
            self.announce("fiie: libfiie not found by pkg-config; the package will use "
                          "the dynamic loader's search", level=2)
            return
        with open(os.path.join(os.path.dirname(__file__), "fiie", "_config.py.in")) as f:
            text = f.read()
        text = text.replace("@LIBDIR@", libdir).replace("@SONAME@",
                                                        "libfiie.so.%d" % ABI_MAJOR)
        with open(os.path.join(self.build_lib, "fiie", "_config.py"), "w") as f:
            f.write(text)


setup(cmdclass={"build_py": build_py_with_config})
