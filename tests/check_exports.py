#!/usr/bin/env python3
"""ABI surface check (as xkbcommon does): the FIIE_API declarations of the
public headers, the linker version script and the dynamic symbols of the
built library must be exactly the same set, every export must carry a
FIIE_* version node, and nothing else (no stbi_*, no internal helper) may
leak.

usage: check_exports.py INCLUDE_DIR VERSION_SCRIPT LIBRARY
"""
import pathlib
import re
import subprocess
import sys


def header_symbols(include_dir):
    decl = re.compile(r"FIIE_API\b[^;{}]*?\b(fiie_\w+)\s*\(", re.S)
    names = set()
    for h in sorted(pathlib.Path(include_dir).glob("fiie/*.h")):
        text = re.sub(r"/\*.*?\*/", " ", h.read_text(), flags=re.S)
        text = "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("#"))
        names.update(decl.findall(text))
    return names


def script_symbols(path):
    text = re.sub(r"/\*.*?\*/", " ", pathlib.Path(path).read_text(), flags=re.S)
    return set(re.findall(r"\b(fiie_\w+)\s*;", text))


def library_symbols(lib):
    out = subprocess.run(["nm", "-D", "--defined-only", "--with-symbol-versions", lib],
                         check=True, capture_output=True, text=True).stdout
    syms = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        name = parts[2]
        base, _, ver = name.partition("@")
        syms[base] = ver.lstrip("@")
    return syms


def main():
    inc, script, lib = sys.argv[1:4]
    hdr = header_symbols(inc)
    ver = script_symbols(script)
    exported = library_symbols(lib)
    # Version-node names themselves appear as absolute symbols; ignore them.
    exported = {k: v for k, v in exported.items() if not re.fullmatch(r"FIIE_[\d.]+", k)}
    errors = []
    if not hdr:
        errors.append("no FIIE_API declaration found in %s" % inc)
    for name in sorted(hdr - ver):
        errors.append("declared FIIE_API but missing from the version script: " + name)
    for name in sorted(ver - hdr):
        errors.append("in the version script but not declared FIIE_API: " + name)
    for name in sorted(hdr - exported.keys()):
        errors.append("declared but not exported by the library: " + name)
    for name in sorted(exported.keys() - hdr):
        errors.append("exported but not a public API: " + name)
    for name, v in sorted(exported.items()):
        if not v.startswith("FIIE_"):
            errors.append("exported without a FIIE_* version node: %s (%r)" % (name, v))
    for e in errors:
        print("check_exports: " + e)
    print("check_exports: %d public functions, %d exported, %d problems"
          % (len(hdr), len(exported), len(errors)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
