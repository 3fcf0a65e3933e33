#!/usr/bin/env python3
"""Every public header compiles on its own, as C99 and as C++.

For each include/fiie/*.h (found when the test runs, so a new header is
checked without touching the build files) a one-line translation unit
includes it twice (include guard) and takes the address of every FIIE_API
function it declares. It is compiled as C99 and, when a C++ compiler is
given, as C++11, with -Wall -Wextra -Wpedantic -Werror; `nm` then shows
each function referenced under its plain C name, which fails if the header
misses `extern "C"` (C++ would mangle the name).

usage: check_headers.py --include DIR --cc "CC ARGS" [--cxx "CXX ARGS"] [--nm NM]
       check_headers.py --self-test --cc "CC ARGS" [--cxx "CXX ARGS"] [--nm NM]
"""
import argparse
import pathlib
import re
import shlex
import subprocess
import sys
import tempfile

C_FLAGS = ["-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-Wstrict-prototypes"]
CXX_FLAGS = ["-std=c++11", "-Wall", "-Wextra", "-Wpedantic", "-Werror"]
DECL = re.compile(r"FIIE_API\b[^;{}]*?\b(fiie_\w+)\s*\(", re.S)


def api_functions(header):
    text = re.sub(r"/\*.*?\*/", " ", header.read_text(), flags=re.S)
    text = "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("#"))
    return sorted(set(DECL.findall(text)))


def translation_unit(name, functions):
    refs = "".join("    (void (*)(void))%s,\n" % f for f in functions)
    body = ("void (*const check_header_refs[])(void) = {\n%s};\n" % refs) if functions else ""
    return '#include "fiie/%s"\n#include "fiie/%s"\n%sint check_header_unit;\n' % (name, name, body)


def undefined_symbols(nm, obj):
    out = subprocess.run([nm, "-u", str(obj)], check=True, capture_output=True, text=True).stdout
    return {line.split()[-1] for line in out.splitlines() if line.strip()}


def check_one(header, include, compiler, flags, suffix, nm, tmp):
    """None if `header` compiles alone with this compiler, else why not."""
    functions = api_functions(header)
    src = pathlib.Path(tmp) / ("unit" + suffix)
    obj = pathlib.Path(tmp) / "unit.o"
    src.write_text(translation_unit(header.name, functions))
    r = subprocess.run(compiler + flags + ["-I", str(include), "-c", str(src), "-o", str(obj)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return "does not compile:\n" + (r.stderr or r.stdout).strip()
    missing = set(functions) - undefined_symbols(nm, obj)
    if missing:
        return "without C linkage (no extern \"C\"?): " + ", ".join(sorted(missing))
    return None


def check_all(include, cc, cxx, nm):
    include = pathlib.Path(include)
    headers = sorted((include / "fiie").glob("*.h"))
    if not headers:
        return ["no header in %s/fiie" % include], []
    errors, lines = [], []
    langs = [("C99", cc, C_FLAGS, ".c")]
    if cxx:
        langs.append(("C++11", cxx, CXX_FLAGS, ".cpp"))
    with tempfile.TemporaryDirectory() as tmp:
        for h in headers:
            verdicts = []
            for lang, compiler, flags, suffix in langs:
                why = check_one(h, include, compiler, flags, suffix, nm, tmp)
                verdicts.append("%s %s" % (lang, "ok" if why is None else "FAILED"))
                if why:
                    errors.append("fiie/%s as %s: %s" % (h.name, lang, why))
            lines.append("  fiie/%-14s %3d functions  %s" % (h.name, len(api_functions(h)),
                                                            ", ".join(verdicts)))
    return errors, lines


SELF_GOOD = """#ifndef GOOD_H
#define GOOD_H
#include <stdint.h>
#define FIIE_API
#ifdef __cplusplus
extern "C" {
#endif
FIIE_API int fiie_good(uint32_t x);
#ifdef __cplusplus
}
#endif
#endif
"""

SELF_BAD = {
    "no_guard.h": "typedef int fiie_t;\n",  # redefinition when included twice
    "c11_only.h": "#define FIIE_API\n_Static_assert(1, \"x\");\nFIIE_API int fiie_c11(void);\n",
    "no_prototype.h": "#define FIIE_API\nFIIE_API int fiie_noproto();\n",
    "needs_other.h": "#define FIIE_API\nFIIE_API size_t fiie_needs(void);\n",
}
SELF_BAD_CXX = {"no_extern_c.h": "#define FIIE_API\nFIIE_API int fiie_mangled(int x);\n"}


def self_test(cc, cxx, nm):
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        inc = pathlib.Path(tmp) / "include"
        (inc / "fiie").mkdir(parents=True)
        (inc / "fiie" / "good.h").write_text(SELF_GOOD)
        errors, _ = check_all(inc, cc, cxx, nm)
        if errors:
            failures.append("good header refused: %s" % errors)
        bad = dict(SELF_BAD)
        if cxx:
            bad.update(SELF_BAD_CXX)
        for name, text in bad.items():
            case = pathlib.Path(tmp) / name
            (case / "fiie").mkdir(parents=True)
            (case / "fiie" / name).write_text(text)
            errors, _ = check_all(case, cc, cxx, nm)
            if not any(("fiie/" + name) in e for e in errors):
                failures.append("%s accepted" % name)
    for f in failures:
        print("self-test FAILED: " + f)
    if not failures:
        print("self-test: %d bad headers refused%s, the good one passes"
              % (len(bad), "" if cxx else " (no C++ compiler: C++ cases not run)"))
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--include")
    ap.add_argument("--cc", required=True)
    ap.add_argument("--cxx", default="")
    ap.add_argument("--nm", default="nm")
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    cc, cxx = shlex.split(a.cc), shlex.split(a.cxx)
    if a.self_test:
        return self_test(cc, cxx, a.nm)
    if not a.include:
        ap.error("--include is required")
    errors, lines = check_all(a.include, cc, cxx, a.nm)
    print("\n".join(lines))
    if not cxx:
        print("  C++: skipped (no C++ compiler configured)")
    for e in errors:
        print(e)
    print("headers: %s" % ("%d failure(s)" % len(errors) if errors else "ok"))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
