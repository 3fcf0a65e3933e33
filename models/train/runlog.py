"""Run bookkeeping shared by every stage: the libfiie binding, a log file
per run, terminal progress, and the error type the commands report."""

import os
import sys
import time


class StageError(Exception):
    """A problem that stops a stage before or during its work, with a
    message meant for the user (no traceback)."""


def import_fiie():
    """The libfiie Python binding: installed, on PYTHONPATH, or the copy in
    this source tree (bindings/python) with FIIE_LIBRARY naming the
    library."""
    try:
        import fiie
        return fiie
    except ImportError:
        pass
    here = os.path.dirname(os.path.abspath(__file__))
    tree = os.path.normpath(os.path.join(here, "..", "..", "bindings", "python"))
    if os.path.isdir(os.path.join(tree, "fiie")) and tree not in sys.path:
        sys.path.insert(0, tree)
    try:
        import fiie
    except ImportError as e:
        raise StageError("cannot load libfiie's Python binding (%s); build the library and "
                         "set FIIE_LIBRARY=build/lib/libfiie.so.1" % e) from None
    return fiie


class RunLog:
    """Messages to the terminal (stderr) and to a log file; progress lines
    at most every `every` seconds."""

    def __init__(self, path=None, quiet=False, every=2.0):
        self.path = path
        self.quiet = quiet
        self.every = every
        self._last = 0.0
        self._f = None
        if path:
            d = os.path.dirname(os.path.abspath(path))
            os.makedirs(d, exist_ok=True)
            self._f = open(path, "a", encoding="utf-8", buffering=1)

    def __call__(self, msg):
        line = time.strftime("%Y-%m-%d %H:%M:%S ") + msg
        if self._f:
            self._f.write(line + "\n")
        if not self.quiet:
            print(msg, file=sys.stderr, flush=True)

    def progress(self, msg, force=False):
        """A progress line; rate-limited unless force."""
        now = time.monotonic()
        if force or now - self._last >= self.every:
            self._last = now
            self(msg)

    def close(self):
        if self._f:
            self._f.close()
            self._f = None


def atomic_write_text(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
