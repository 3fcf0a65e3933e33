"""The batch rules of ``fiie encrypt -r`` / ``fiie decrypt -r``, in one
place, for every Python driver of a batch (fiie.distributed today).

What a batch takes, where it writes, what it skips and how it reports,
written down once so that these rules can be checked against the C tool's
(examples/fiie/walk.c and batch.c) by one test:

- **Inputs** (:func:`walk`): files and directories; directories only with
  ``recursive``. Directory entries in byte order of their names,
  depth-first; symbolic links followed, each directory (device, inode)
  visited once; the output directory never entered; in directories, only
  the command's extensions (:data:`IMAGE_EXTS` for encrypt, :data:`PNG_EXTS`
  for decrypt), never a file named like the command's own outputs. A file
  named on the command line is taken whatever its extension.
- **Output names** (:func:`output_path`): encrypt writes ``STEM_fiie.png``;
  decrypt gives back ``STEM.png`` for an input named ``STEM_fiie.png``
  (suffixes never stack) and ``STEM_decrypted.png`` otherwise, or when
  ``STEM.png`` would be the input itself. An explicit suffix replaces the
  default. Next to each input, or below ``out_dir`` keeping the path
  relative to the directory given.
- **Planning** (:class:`Planner`): two inputs that map to one output: the
  first in input order wins, the other is an error. An output that exists
  is **skipped** (counted as skipped, not an error) unless ``force``; an
  output that is the input itself is an error.
- **Per file** (decided where the file is read): encrypt skips an input
  that already is a protected image (it has a ``fiIE`` chunk) or the copy
  ``encrypt --allow-empty`` wrote for an image without faces (it has a
  ``fiNF`` chunk, :data:`NOFACE_CHUNK`), with a note; decrypt restores
  such a copy as the unchanged copy it is, and skips a PNG that is not
  protected (no ``fiIE`` chunk, no sidecar, no ``fiNF`` mark) with a note.
- **Statuses** (:data:`STATUSES`), the **exit status** (:func:`exit_status`)
  and the ``--json`` summary (:class:`Summary`).
"""

import os
import stat

from .image import has_png_chunk

#: The statuses of one file, as the --json summary names them.
OK = "ok"
SKIPPED = "skipped"
ERROR = "error"
NO_FACE = "no_face"
AUTH_FAILED = "auth_failed"
STATUSES = (OK, SKIPPED, ERROR, NO_FACE, AUTH_FAILED)

#: Exit statuses (docs/fiie.1).
EXIT_OK = 0
EXIT_FAIL = 1
EXIT_NOFACE = 2
EXIT_AUTH = 3
EXIT_USAGE = 64

#: Extensions read from directories, per command (files named explicitly
#: are always taken).
IMAGE_EXTS = ("png", "jpg", "jpeg", "bmp", "tga")
PNG_EXTS = ("png",)

#: Default output suffixes: encrypt's, and decrypt's when the input does
#: not carry encrypt's.
ENCRYPT_SUFFIX = "_fiie.png"
DECRYPT_SUFFIX = "_decrypted.png"
#: The chunk marking the unprotected copy ``encrypt --allow-empty`` writes
#: for an image without faces, and what it says (as the C tool's,
#: examples/fiie/protected.c).
NOFACE_CHUNK = "fiNF"
NOFACE_NOTE = b"fiie: no face found; this copy is not encrypted"
#: Extension of a sidecar header file (``--sidecar``): NAME_fiie.png ->
#: NAME_fiie.fiie.
SIDECAR_EXT = ".fiie"

COMMANDS = ("encrypt", "decrypt")


def exts_for(command):
    return IMAGE_EXTS if command == "encrypt" else PNG_EXTS


def default_suffix(command):
    return ENCRYPT_SUFFIX if command == "encrypt" else DECRYPT_SUFFIX


def has_ext(name, exts):
    """Case-insensitive: does the file name end with "." + one of exts?
    (A leading dot alone is not an extension: '.png' has none.)"""
    base = os.path.basename(name)
    dot = base.rfind(".")
    return dot > 0 and base[dot + 1:].lower() in exts


def _split_stem(rel):
    """(stem, extension) of the last path component; no extension when
    the name has no dot or only a leading one."""
    base_start = rel.rfind("/") + 1
    dot = rel.rfind(".")
    if dot > base_start:
        return rel[:dot], rel[dot:]
    return rel, ""


def output_path(command, rel, out_dir=None, suffix=None, input_path=None):
    """The output file of one input.

    ``rel`` is the input's name relative to the directory it was found in
    (its base name when named on the command line), or its path when
    ``out_dir`` is None (output next to the input). ``input_path`` lets
    decrypt tell "STEM.png would be the input itself" (then it uses the
    ``_decrypted.png`` suffix instead)."""
    stem, _ = _split_stem(rel)
    explicit = suffix is not None
    if not explicit:
        suffix = default_suffix(command)
    name = None
    if command == "decrypt" and not explicit:
        marker = ENCRYPT_SUFFIX[:-len(".png")]
        base = stem[stem.rfind("/") + 1:]
        if base.endswith(marker) and len(base) > len(marker):
            name = stem[:-len(marker)] + ".png"
            path = os.path.join(out_dir, name) if out_dir else name
            if input_path is not None and _same_file(path, input_path):
                name = None
    if name is None:
        name = stem + suffix
    return os.path.join(out_dir, name) if out_dir else name


def sidecar_path(output):
    """Where ``--sidecar`` writes the header of ``output``."""
    stem, _ = _split_stem(output)
    return stem + SIDECAR_EXT


def is_noface_copy(path):
    """Is ``path`` the copy ``encrypt --allow-empty`` wrote for an image
    without faces (a PNG with a :data:`NOFACE_CHUNK` chunk), whatever its
    name? As the C tool decides (examples/fiie/protected.c)."""
    return has_png_chunk(path, NOFACE_CHUNK)


def _same_file(a, b):
    if os.path.abspath(a) == os.path.abspath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


# ---------------------------------------------------------------- inputs

class Item:
    """One input file: ``index`` (input order), ``path``, ``rel``."""

    __slots__ = ("index", "path", "rel")

    def __init__(self, index, path, rel):
        self.index, self.path, self.rel = index, path, rel

    def __repr__(self):
        return "Item(%d, %r, %r)" % (self.index, self.path, self.rel)


def walk(inputs, *, command, recursive=False, out_dir=None, suffix=None, problem=None):
    """Yield the input files of a batch as :class:`Item` (a generator: an
    archive is never listed in memory at once, only the names of the
    directory being read). ``problem(path, message)`` is called for each
    input problem (missing file, directory without ``recursive``,
    unreadable directory, the output directory given as input)."""
    exts = exts_for(command)
    skip_suffix = suffix if suffix is not None else default_suffix(command)
    skip_dir = None
    if out_dir is not None:
        try:
            st = os.stat(out_dir)
            skip_dir = (st.st_dev, st.st_ino)
        except OSError:
            pass
    seen = set()
    index = 0
    report = problem or (lambda path, msg: None)

    def walk_dir(directory, rel):
        try:
            names = os.listdir(directory)
        except OSError as e:
            report(directory, e.strerror or str(e))
            return
        names.sort(key=os.fsencode)  # strcmp order, as the C walk
        for name in names:
            path = os.path.join(directory, name)
            r = rel + "/" + name if rel else name
            try:
                st = os.stat(path)
            except OSError as e:
                # A dangling link is not an image; anything else is worth saying.
                if not os.path.islink(path):
                    report(path, e.strerror or str(e))
                continue
            if stat.S_ISDIR(st.st_mode):
                ident = (st.st_dev, st.st_ino)
                if ident != skip_dir and ident not in seen:
                    seen.add(ident)
                    yield from walk_dir(path, r)
            elif stat.S_ISREG(st.st_mode):
                if has_ext(name, exts) and not (skip_suffix and name.endswith(skip_suffix)):
                    yield path, r

    for given in inputs:
        given = os.fspath(given)
        try:
            st = os.stat(given)
        except OSError as e:
            report(given, e.strerror or str(e))
            continue
        if stat.S_ISDIR(st.st_mode):
            ident = (st.st_dev, st.st_ino)
            if not recursive:
                report(given, "is a directory (use -r to process directories)")
            elif ident == skip_dir:
                report(given, "is the output directory")
            elif ident not in seen:
                seen.add(ident)
                for path, rel in walk_dir(given, ""):
                    yield Item(index, path, rel)
                    index += 1
        else:
            base = os.path.basename(given)
            if not base:
                report(given, "not a file")
                continue
            yield Item(index, given, base)
            index += 1


# -------------------------------------------------------------- planning

class Plan:
    """What to do with one input: ``output`` and, when decided without
    reading the file, ``status`` and ``message`` (None: run it)."""

    __slots__ = ("item", "output", "status", "message")

    def __init__(self, item, output, status=None, message=None):
        self.item, self.output, self.status, self.message = item, output, status, message


class Planner:
    """Decides outputs and skips in input order, one input at a time.

    Outputs of one directory can only collide with each other (a.jpg and
    a.png); across inputs given separately (two directories, or a file and
    a directory with ``out_dir``) any two may collide, so the outputs seen
    are remembered only when more than one input was given."""

    def __init__(self, command, *, out_dir=None, suffix=None, force=False, several_inputs=True):
        if command not in COMMANDS:
            raise ValueError("command is 'encrypt' or 'decrypt', not %r" % (command,))
        self.command = command
        self.out_dir = out_dir
        self.suffix = suffix
        self.force = force
        self._global = several_inputs
        self._owner = {}          # output -> input that took it
        self._dir = None          # directory whose outputs _dir_owner holds
        self._dir_owner = {}

    def plan(self, item):
        rel = item.rel if self.out_dir else item.path
        out = output_path(self.command, rel, self.out_dir, self.suffix, item.path)
        owners = self._owner if self._global else self._dir_owners(out)
        first = owners.setdefault(out, item.path)
        if first != item.path:
            return Plan(item, out, ERROR,
                        "output %s would also be written for %s; skipped" % (out, first))
        try:
            out_st = os.stat(out)
        except OSError:
            return Plan(item, out)
        try:
            in_st = os.stat(item.path)
            same = (in_st.st_dev, in_st.st_ino) == (out_st.st_dev, out_st.st_ino)
        except OSError:
            same = False
        if same:
            return Plan(item, out, ERROR, "output %s is the input itself" % out)
        if not self.force:
            return Plan(item, out, SKIPPED, "%s exists; skipped (use --force to redo)" % out)
        return Plan(item, out)

    def _dir_owners(self, out):
        d = os.path.dirname(out)
        if d != self._dir:
            self._dir, self._dir_owner = d, {}
        return self._dir_owner


# ------------------------------------------------------- summary, status

def exit_status(counts, input_errors=0):
    """The batch's exit status from its per-status counts (no file at
    all is a failure: nothing was found to work on)."""
    if counts.get(ERROR, 0) or input_errors or not sum(counts.values()):
        return EXIT_FAIL
    if counts.get(AUTH_FAILED, 0):
        return EXIT_AUTH
    if counts.get(NO_FACE, 0):
        return EXIT_NOFACE
    return EXIT_OK


class Result:
    """The outcome of one file, as tasks return it (no key material, only
    what the summary shows)."""

    __slots__ = ("index", "input", "output", "status", "faces", "pixels", "message")

    def __init__(self, index, input, output, status, faces=0, pixels=0, message=""):
        self.index, self.input, self.output = index, input, output
        self.status, self.faces, self.pixels, self.message = status, faces, pixels, message

    def __getstate__(self):
        return tuple(getattr(self, s) for s in self.__slots__)

    def __setstate__(self, state):
        for s, v in zip(self.__slots__, state):
            setattr(self, s, v)

    def file_json(self):
        """This file's object of the --json summary."""
        d = {"input": self.input,
             "output": self.output if self.status in (OK, SKIPPED) else None,
             "status": self.status, "faces": self.faces, "protected_pixels": self.pixels}
        if self.status == SKIPPED:
            d["note"] = self.message
        elif self.status != OK:
            d["error"] = self.message or self.status
        return d

    def line(self, command):
        """The per-file message of the CLI (None: nothing to say)."""
        if self.status == OK:
            note = " (%s)" % self.message if self.message else ""
            return "%s -> %s%s" % (self.input, self.output, note)
        return "fiie %s: %s: %s" % (command, self.input, self.message or self.status)


class Summary:
    """Counts of a batch, accumulated one :class:`Result` at a time (the
    per-file objects are written out as they come, never all kept)."""

    def __init__(self, command):
        self.command = command
        self.counts = dict.fromkeys(STATUSES, 0)
        self.faces = 0
        self.ok_faces = 0   # faces of the files done (the closing line's count)
        self.pixels = 0
        self.input_errors = 0

    @property
    def files(self):
        return sum(self.counts.values())

    def add(self, result):
        self.counts[result.status] += 1
        self.faces += result.faces
        if result.status == OK:
            self.ok_faces += result.faces
        self.pixels += result.pixels

    @property
    def exit_status(self):
        return exit_status(self.counts, self.input_errors)

    def summary_json(self):
        c = self.counts
        return {"files": self.files, "ok": c[OK], "skipped": c[SKIPPED], "no_face": c[NO_FACE],
                "auth_failed": c[AUTH_FAILED], "failed": c[ERROR],
                "input_errors": self.input_errors, "faces": self.faces,
                "protected_pixels": self.pixels}

    def closing_line(self):
        """The CLI's last line on stderr."""
        c, n = self.counts, self.files
        errors = c[ERROR] + self.input_errors
        head = "fiie %s: %d file%s: " % (self.command, n, "" if n == 1 else "s")
        tail = "%d skipped, %d error%s" % (c[SKIPPED], errors, "" if errors == 1 else "s")
        if self.command == "decrypt":
            a = c[AUTH_FAILED]
            return head + "%d restored, %d authentication failure%s, %s" % (
                c[OK], a, "" if a == 1 else "s", tail)
        return head + "%d done (%d face%s), %d without faces, %s" % (
            c[OK], self.ok_faces, "" if self.ok_faces == 1 else "s", c[NO_FACE], tail)
