#!/usr/bin/env python3
"""The layering rule of lib/ (docs/architecture.md, "Layers"), checked.

The layer table in docs/architecture.md (the lines after the
`<!-- layers: ... -->` marker) says which folders of lib/ each folder may
include and which public headers belong to it. This script fails unless:

  - every `#include "..."` in lib/<X>/ names a header of X itself, the
    interface header `Y/Y.h` of a folder Y in X's "may include" column, or
    a public header `fiie/*.h` of X or of such a Y (fiie/fiie.h, the
    umbrella header, never); written from lib/ (`"detect/nn.h"`, not
    `"nn.h"`);
  - every public header includes only public headers of its own folder or
    of the folders that folder may include (so no rule is broken through
    a public header), and every public header has a folder in the table;
  - the table itself is a layering: each folder may include only folders
    of lower layers, and it lists exactly the folders of lib/;
  - every header of lib/<X>/ is guarded by FIIE_LIB_<X>_<NAME>_H, and no
    header includes itself through others (no include cycle);
  - with --archive: every global symbol the objects of lib/<X>/ define
    starts with `<X>_`, or is a `fiie_` function declared (FIIE_API) in a
    public header of X itself (read with nm from the internal static
    archive, so macros and declarations cannot fool it).

usage: check_layers.py [--root DIR] [--archive LIBFIIE_INTERNAL.a] [--nm NM]
       check_layers.py --self-test     (proves each check fails on a bad tree)
"""
import argparse
import os
import pathlib
import re
import subprocess
import sys
import tempfile

MARKER = "<!-- layers:"
# Public headers that belong to common/ but are not named in its row.
COMMON_EXTRA_PUBLIC = ("fiie/version.h",)
UMBRELLA = "fiie/fiie.h"


class Layers:
    """The table: folder -> layer, allowed folders, public headers."""

    def __init__(self):
        self.layer = {}
        self.may_include = {}
        self.public_owner = {}  # "fiie/x.h" -> folder


def parse_table(text):
    """Reads the table after the marker; raises ValueError when malformed."""
    lines = text.splitlines()
    start = next((i for i, l in enumerate(lines) if l.strip().startswith(MARKER)), None)
    if start is None:
        raise ValueError("no '%s' marker in docs/architecture.md" % MARKER)
    rows = []
    for line in lines[start + 1:]:
        if not line.strip().startswith("|"):
            if rows:
                break
            continue
        rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    if len(rows) < 3:
        raise ValueError("layer table after the marker is empty")
    head = [h.lower() for h in rows[0]]
    want = ["layer", "folder", "may include", "public header"]
    missing = [w for w in want if w not in head]
    if missing:
        raise ValueError("layer table lacks column(s): " + ", ".join(missing))
    col = {w: head.index(w) for w in want}
    t = Layers()
    for row in rows[2:]:  # rows[1] is the |---| rule
        if len(row) != len(head):
            raise ValueError("layer table row has %d cells, not %d: %s" % (len(row), len(head), row))
        folder = row[col["folder"]].strip("`").rstrip("/")
        if not re.fullmatch(r"[a-z][a-z0-9]*", folder):
            raise ValueError("bad folder name in layer table: %r" % folder)
        try:
            t.layer[folder] = int(row[col["layer"]])
        except ValueError:
            raise ValueError("layer of %s is not a number: %r" % (folder, row[col["layer"]]))
        allowed = row[col["may include"]]
        t.may_include[folder] = set() if allowed.startswith("(") else {
            a.strip().strip("`").rstrip("/") for a in allowed.split(",") if a.strip()}
        for h in re.findall(r"`(fiie/[a-z0-9_]+\.h)`", row[col["public header"]]):
            if h in t.public_owner:
                raise ValueError("%s is the public header of two folders" % h)
            t.public_owner[h] = folder
    if "common" not in t.layer:
        raise ValueError("layer table has no common/ row")
    for h in COMMON_EXTRA_PUBLIC:
        t.public_owner.setdefault(h, "common")
    return t


def check_table(t, lib_folders):
    errors = []
    for folder, allowed in sorted(t.may_include.items()):
        for a in sorted(allowed):
            if a not in t.layer:
                errors.append("layer table: %s may include unknown folder %s" % (folder, a))
            elif t.layer[a] >= t.layer[folder]:
                errors.append("layer table: %s (layer %d) may include %s (layer %d), not a lower layer"
                              % (folder, t.layer[folder], a, t.layer[a]))
    for f in sorted(set(lib_folders) - set(t.layer)):
        errors.append("lib/%s/ is not in the layer table" % f)
    for f in sorted(set(t.layer) - set(lib_folders)):
        errors.append("layer table names %s/, which is not a folder of lib/" % f)
    return errors


def strip_comments(text):
    return re.sub(r"/\*.*?\*/|//[^\n]*", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)


INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)


def quoted_includes(text):
    """(line number, name) of each #include "..." outside comments."""
    text = strip_comments(text)
    return [(text.count("\n", 0, m.start()) + 1, m.group(1)) for m in INCLUDE.finditer(text)]


def include_allowed(t, folder, name):
    """None if lib/<folder>/ may include `name`, else why not."""
    allowed = t.may_include.get(folder, set())
    if name == UMBRELLA:
        return "the umbrella header %s is for applications, not the library" % UMBRELLA
    if name.startswith("fiie/"):
        owner = t.public_owner.get(name)
        if owner is None:
            return "%s is not a public header in the layer table" % name
        if owner != folder and owner not in allowed:
            return "public header %s belongs to %s/, which %s/ may not include" % (name, owner, folder)
        return None
    parts = name.split("/")
    if len(parts) != 2 or parts[0] not in t.layer:
        return "not written from lib/ as \"<folder>/<header>.h\""
    other, header = parts
    if other == folder:
        return None
    if other not in allowed:
        return "%s/ may not include %s/ (layer table)" % (folder, other)
    if header != other + ".h":
        return "%s is private to %s/; include its interface header %s/%s.h" % (name, other, other, other)
    return None


def guard_of(folder, header):
    return "FIIE_LIB_%s_%s_H" % (folder.upper(), re.sub(r"[^A-Za-z0-9]", "_", header[:-2]).upper())


def check_guard(text, folder, header):
    want = guard_of(folder, header)
    directives = re.findall(r"^\s*#\s*(\w+)[ \t]*([^\n]*)", strip_comments(text), re.M)
    if len(directives) < 3:
        return "no include guard (want %s)" % want
    (d0, a0), (d1, a1), (dl, _) = directives[0], directives[1], directives[-1]
    if d0 != "ifndef" or d1 != "define" or dl != "endif" or a0.strip() != a1.strip():
        return "not guarded by #ifndef/#define ... #endif (want %s)" % want
    if a0.strip() != want:
        return "include guard %s, want %s" % (a0.strip(), want)
    return None


def lib_sources(lib):
    """{folder: [paths]} of the .c/.h/.S files under lib/; files directly in lib/ under ''."""
    out = {}
    for p in sorted(lib.rglob("*")):
        if p.suffix not in (".c", ".h", ".S") or not p.is_file():
            continue
        rel = p.relative_to(lib)
        folder = rel.parts[0] if len(rel.parts) > 1 else ""
        out.setdefault(folder, []).append(p)
    return out


def include_cycles(edges):
    """Each cycle of the header graph {header: [headers it includes]}, once."""
    cycles, state = [], {}

    def visit(h, stack):
        state[h] = "open"
        stack.append(h)
        for n in edges.get(h, ()):
            if state.get(n) == "open":
                cycles.append(stack[stack.index(n):] + [n])
            elif n not in state:
                visit(n, stack)
        stack.pop()
        state[h] = "done"

    for h in sorted(edges):
        if h not in state:
            visit(h, [])
    return cycles


def check_sources(t, lib):
    errors = []
    edges = {}
    n_inc = 0
    for folder, paths in sorted(lib_sources(lib).items()):
        for p in paths:
            rel = p.relative_to(lib.parent)
            if folder == "" or len(p.relative_to(lib).parts) != 2:
                errors.append("%s: lib/ sources live one level deep, in a folder of the layer table" % rel)
                continue
            text = p.read_text(errors="replace")
            for line, name in quoted_includes(text):
                n_inc += 1
                if p.suffix == ".h" and (lib / name).is_file():
                    edges.setdefault("%s/%s" % (folder, p.name), []).append(name)
                why = include_allowed(t, folder, name)
                if why:
                    errors.append('%s:%d: #include "%s": %s' % (rel, line, name, why))
            if p.suffix == ".h":
                why = check_guard(text, folder, p.name)
                if why:
                    errors.append("%s: %s" % (rel, why))
    for cycle in include_cycles(edges):
        errors.append("include cycle: %s" % " -> ".join(cycle))
    return errors, n_inc


def check_public_headers(t, include):
    errors = []
    for p in sorted((include / "fiie").glob("*.h")):
        name = "fiie/" + p.name
        if name == UMBRELLA:
            continue
        owner = t.public_owner.get(name)
        if owner is None:
            errors.append("include/%s: public header without a folder in the layer table" % name)
            continue
        allowed = t.may_include.get(owner, set()) | {owner}
        for line, inc in quoted_includes(p.read_text(errors="replace")):
            o = t.public_owner.get(inc)
            if o is None or o not in allowed:
                errors.append('include/%s:%d: #include "%s": %s belongs to %s/, which may not include it'
                              % (name, line, inc, name, owner))
    return errors


def object_folder(obj, lib, folders):
    """The lib/ folder an archive member was compiled from, or None.

    meson names the objects of a target after their source path
    (`libfiie_internal.a.p/detect_nn.c.o`, generated files
    `meson-generated_.._detect_model_embedded.S.o`); kernels built in their
    own archive sit in that folder's build directory
    (`lib/detect/libfiie_nn_avx2.a.p/nn_avx2.c.o`)."""
    base = os.path.basename(obj)
    stem = base[:-2] if base.endswith(".o") else base
    hits = {p.relative_to(lib).parts[0] for f in folders for p in (lib / f).glob("*")
            if "_".join(p.relative_to(lib).parts) == stem}
    if len(hits) == 1:
        return hits.pop()
    parts = pathlib.PurePath(obj).parts
    for i in range(len(parts) - 2):
        if parts[i] == "lib" and parts[i + 1] in folders:
            return parts[i + 1]
    m = re.match(r"meson-generated_(?:\.\._)*(%s)_" % "|".join(map(re.escape, folders)), stem)
    return m.group(1) if m else None


def parse_nm(out):
    """[(object, type, symbol)] from `nm -A -g --defined-only` output."""
    syms = []
    for line in out.splitlines():
        m = re.match(r"^(.*?):\s*(?:[0-9a-fA-F]+\s+)?([A-Za-z])\s+(\S+)$", line)
        if not m:
            continue
        obj = m.group(1)
        a = re.match(r"^.*\[(.*)\]$", obj)  # archive[member]
        syms.append((a.group(1) if a else obj, m.group(2), m.group(3)))
    return syms


API_DECL = re.compile(r"FIIE_API\b[^;{}]*?\b(fiie_\w+)\s*\(", re.S)


def public_functions(include):
    """{fiie_name: "fiie/x.h"} of the FIIE_API declarations."""
    out = {}
    for h in sorted((include / "fiie").glob("*.h")):
        for name in API_DECL.findall(strip_comments(h.read_text(errors="replace"))):
            out[name] = "fiie/" + h.name
    return out


# Symbols the compiler makes, not the code: ASan's ODR indicators
# (`__odr_asan.x` with gcc, `__odr_asan_gen_x` with clang) and other
# instrumentation, and anything that is no C identifier.
GENERATED = re.compile(r"__(odr_asan|asan|ubsan|tsan|msan|sancov|llvm|gcov)|.*[^A-Za-z0-9_]")


def check_symbols(syms, lib, folders, t, api):
    errors = []
    for obj, _kind, name in syms:
        if GENERATED.match(name):
            continue
        folder = object_folder(obj, lib, folders)
        where = "%s (lib/%s/)" % (os.path.basename(obj), folder)
        if folder is None:
            errors.append("%s: cannot tell which lib/ folder this object comes from" % obj)
        elif name.startswith("fiie_"):
            header = api.get(name)
            if header is None:
                errors.append("%s: global %s is declared in no public header; internal names "
                              "start with %s_" % (where, name, folder))
            elif t.public_owner.get(header) != folder:
                errors.append("%s: defines %s of %s, which belongs to %s/"
                              % (where, name, header, t.public_owner.get(header)))
        elif not name.startswith(folder + "_"):
            errors.append("%s: global symbol %s starts with neither fiie_ nor %s_"
                          % (where, name, folder))
    return errors


def run(root, archive=None, nm="nm"):
    root = pathlib.Path(root)
    lib = root / "lib"
    try:
        t = parse_table((root / "docs" / "architecture.md").read_text())
    except (OSError, ValueError) as e:
        return ["docs/architecture.md: %s" % e], ""
    folders = sorted(p.name for p in lib.iterdir() if p.is_dir())
    errors = check_table(t, folders)
    src_errors, n_inc = check_sources(t, lib)
    errors += src_errors
    errors += check_public_headers(t, root / "include")
    n_sym = 0
    if archive:
        out = subprocess.run([nm, "-A", "-g", "--defined-only", archive], check=True,
                             capture_output=True, text=True).stdout
        syms = parse_nm(out)
        if not syms:
            errors.append("%s: nm lists no global symbol" % archive)
        n_sym = sum(1 for _obj, _kind, name in syms if not GENERATED.match(name))
        errors += check_symbols(syms, lib, folders, t, public_functions(root / "include"))
    summary = "%d folders, %d includes, %d global symbols checked" % (len(folders), n_inc, n_sym)
    return errors, summary


# ---- self-test ------------------------------------------------------------

SELF_TABLE = """# test
<!-- layers: test -->
| layer | folder | may include | owns | public header |
|---|---|---|---|---|
| 0 | `common/` | (nothing) | x | `fiie/common.h` |
| 1 | `image/` | common | x | `fiie/image.h` |
| 2 | `mask/` | common, image | x | `fiie/mask.h` |
| 2 | `detect/` | common, image | x | `fiie/detector.h` |

after the table
"""


def write_tree(root, files):
    for rel, text in files.items():
        p = pathlib.Path(root) / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def good_header(folder, name, body=""):
    g = guard_of(folder, name)
    return "/* doc */\n#ifndef %s\n#define %s\n%s\n#endif /* %s */\n" % (g, g, body, g)


def good_tree():
    header = good_header
    return {
        "docs/architecture.md": SELF_TABLE,
        "include/fiie/version.h": "#define V 1\n",
        "include/fiie/common.h": '#include "fiie/version.h"\n',
        "include/fiie/image.h": '#include "fiie/common.h"\n',
        "include/fiie/mask.h": '#include "fiie/image.h"\n',
        "include/fiie/detector.h": '#include "fiie/image.h"\n',
        "include/fiie/fiie.h": '#include "fiie/mask.h"\n#include "fiie/detector.h"\n',
        "lib/common/common.h": header("common", "common.h", '#include "fiie/common.h"'),
        "lib/common/mem.h": header("common", "mem.h"),
        "lib/common/cpu.c": '#include "common/common.h"\n#include "common/mem.h"\n',
        "lib/image/image.h": header("image", "image.h", '#include "fiie/image.h"'),
        "lib/image/load.c": '#include "common/common.h"\n#include "image/image.h"\n'
                            '#include <stdio.h>\n/* #include "detect/detect.h" */\n',
        "lib/mask/mask.h": header("mask", "mask.h", '#include "fiie/mask.h"'),
        "lib/mask/mask.c": '#include "image/image.h"\n#include "fiie/image.h"\n',
        "lib/detect/detect.h": header("detect", "detect.h"),
        "lib/detect/nn-avx2.h": header("detect", "nn-avx2.h"),
        "lib/detect/nn.c": '#include "detect/nn-avx2.h"\n#include "fiie/detector.h"\n',
    }


# Each bad change to the good tree, and a piece of the error it must cause.
SELF_CASES = [
    ("upward include", {"lib/image/load.c": '#include "mask/mask.h"\n'}, "image/ may not include mask/"),
    ("sibling include", {"lib/mask/mask.c": '#include "detect/detect.h"\n'},
     "mask/ may not include detect/"),
    ("private header of a lower folder", {"lib/mask/mask.c": '#include "common/mem.h"\n'},
     "private to common/"),
    ("public header of a higher folder", {"lib/image/load.c": '#include "fiie/mask.h"\n'},
     "belongs to mask/"),
    ("umbrella header", {"lib/detect/nn.c": '#include "fiie/fiie.h"\n'}, "umbrella"),
    ("relative include", {"lib/detect/nn.c": '#include "nn-avx2.h"\n'}, "written from lib/"),
    ("unknown public header", {"lib/common/cpu.c": '#include "fiie/nothing.h"\n'},
     "not a public header in the layer table"),
    ("file outside a folder", {"lib/loose.c": "int x;\n"}, "one level deep"),
    ("folder missing from the table", {"lib/cipher/c.c": "int x;\n"}, "not in the layer table"),
    ("wrong guard", {"lib/common/mem.h": "#ifndef MEM_H\n#define MEM_H\n#endif\n"},
     "include guard MEM_H, want FIIE_LIB_COMMON_MEM_H"),
    ("no guard", {"lib/common/mem.h": "int x;\n"}, "no include guard"),
    ("include cycle", {"lib/detect/detect.h": good_header("detect", "detect.h", '#include "detect/nn-avx2.h"'),
                       "lib/detect/nn-avx2.h": good_header("detect", "nn-avx2.h", '#include "detect/detect.h"')},
     "include cycle: detect/detect.h -> detect/nn-avx2.h -> detect/detect.h"),
    ("public header reaching up", {"include/fiie/image.h": '#include "fiie/detector.h"\n'},
     "which may not include it"),
    ("public header not in the table", {"include/fiie/extra.h": "\n"}, "without a folder"),
    ("table not layered", {"docs/architecture.md": SELF_TABLE.replace(
        "| 1 | `image/` | common |", "| 1 | `image/` | common, mask |")}, "not a lower layer"),
    ("table missing", {"docs/architecture.md": "# no table\n"}, "marker"),
]

SELF_NM = """\
{a}[{o}/libfiie_internal.a.p/common_cpu.c.o]:0000000000000000 T common_cpu_has
{o}/libfiie_internal.a.p/common_cpu.c.o:0000000000000010 T fiie_version
{o}/libfiie_internal.a.p/image_load.c.o:0000000000000010 T fiie_image_load
{o}/libfiie_internal.a.p/image_load.c.o:0000000000000010 D __odr_asan.image_table
{o}/libfiie_internal.a.p/image_load.c.o:0000000000000010 D __odr_asan_gen_image_table
{o}/lib/detect/libx.a.p/nn.c.o:0000000000000000 D detect_nn_kernels
{o}/libfiie_internal.a.p/meson-generated_.._detect_model_embedded.S.o:0000000000000000 R detect_model
"""


def self_test():
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp) / "good"
        write_tree(root, good_tree())
        errors, _ = run(root)
        if errors:
            failures.append("the good tree fails: %s" % errors)
        for i, (what, change, expect) in enumerate(SELF_CASES):
            bad = pathlib.Path(tmp) / ("bad%d" % i)
            files = good_tree()
            files.update(change)
            write_tree(bad, files)
            errors, _ = run(bad)
            if not any(expect in e for e in errors):
                failures.append("%s: not caught (errors: %s)" % (what, errors))
        lib = root / "lib"
        folders = ["common", "detect", "image", "mask"]
        t = parse_table(SELF_TABLE)
        api = {"fiie_version": "fiie/common.h", "fiie_image_load": "fiie/image.h"}
        good = parse_nm(SELF_NM.format(a="x.a", o="build"))
        errors = check_symbols(good, lib, folders, t, api)
        if len(good) != 7 or errors:
            failures.append("good nm output: %s" % errors)
        bad_nm = (SELF_NM.replace("T common_cpu_has", "T cpu_has")
                  .replace("R detect_model", "R model")
                  .replace("T fiie_version", "T fiie_hidden")
                  .replace("T fiie_image_load", "T fiie_version"))
        errors = check_symbols(parse_nm(bad_nm.format(a="x.a", o="build")), lib, folders, t, api)
        want = ["neither fiie_ nor common_", "declared in no public header", "belongs to common/",
                "neither fiie_ nor detect_"]
        if len(errors) != len(want) or any(w not in e for w, e in zip(want, errors)):
            failures.append("badly named symbols not caught: %s" % errors)
        errors = check_symbols([("elsewhere/other.c.o", "T", "other_f")], lib, folders, t, api)
        if not errors or "cannot tell" not in errors[0]:
            failures.append("object of unknown folder not caught: %s" % errors)
    for f in failures:
        print("self-test FAILED: " + f)
    if not failures:
        print("self-test: %d bad trees and 5 bad symbols all caught, the good ones pass"
              % len(SELF_CASES))
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=pathlib.Path(__file__).resolve().parent.parent)
    ap.add_argument("--archive", help="the internal static archive (all lib/ objects)")
    ap.add_argument("--nm", default="nm")
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        return self_test()
    errors, summary = run(a.root, a.archive, a.nm)
    for e in errors:
        print(e)
    if errors:
        print("layers: %d violation(s) of the layer rule (docs/architecture.md, Layers)" % len(errors))
        return 1
    print("layers: ok (%s)" % summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
