#!/usr/bin/env python3
"""Misuse resistance (issue 14): every fallible function of the cipher,
key, container and format APIs (and the other status-returning ones) is
marked FIIE_NODISCARD, and with the compiler in use a caller that drops
the status of fiie_encrypt() fails to build under -Werror.

usage: check_nodiscard.py INCLUDE_DIR CC [CC ARGS...]"""
import pathlib
import re
import subprocess
import sys
import tempfile

# Status-returning functions that may be ignored: options initialisers
# (their status comes back at use) and queries that return values.
MAY_IGNORE = {"fiie_kdf_params_init_v", "fiie_encrypt_options_init_v",
              "fiie_decrypt_options_init_v", "fiie_detector_options_init_v",
              "fiie_load_options_init_v", "fiie_png_options_init_v", "fiie_version_number", "fiie_abi_version",
              "fiie_pixel_format_channels", "fiie_mask_contains"}
MUST_MARK = {"fiie_encrypt", "fiie_decrypt", "fiie_key_generate", "fiie_key_from_bytes",
             "fiie_key_from_passphrase", "fiie_key_from_header_passphrase",
             "fiie_key_get_bytes", "fiie_protected_png_save", "fiie_protected_png_load",
             "fiie_sidecar_write", "fiie_sidecar_read", "fiie_header_parse"}


def main():
    inc = pathlib.Path(sys.argv[1])
    cc = sys.argv[2:]
    errors = []
    seen = set()
    decl = re.compile(r"(FIIE_NODISCARD\s+)?FIIE_API\s+int\s+(fiie_\w+)\s*\(")
    for h in sorted(inc.glob("fiie/*.h")):
        for marked, name in decl.findall(h.read_text()):
            seen.add(name)
            if not marked and name not in MAY_IGNORE:
                errors.append("%s: %s returns a status but is not FIIE_NODISCARD" % (h.name, name))
    for name in MUST_MARK - seen:
        errors.append("%s not found as a marked declaration" % name)
    with tempfile.TemporaryDirectory() as tmp:
        src = pathlib.Path(tmp) / "drop.c"
        obj = str(pathlib.Path(tmp) / "drop.o")  # (gcc warns only when compiling)
        base = ["-std=c11", "-Werror", "-Wall", "-c", "-o", obj, "-I", str(inc)]
        body = ("#include \"fiie/fiie.h\"\n"
                "void f(const fiie_key *k, fiie_image *i, const fiie_mask *m,"
                " uint8_t *h, size_t *n);\n"
                "void f(const fiie_key *k, fiie_image *i, const fiie_mask *m,"
                " uint8_t *h, size_t *n)\n{\n    %s\n}\n")
        src.write_text(body % "if (fiie_encrypt(k, i, m, NULL, h, 64, n) != 0) return;")
        r = subprocess.run(cc + base + [str(src)], capture_output=True, text=True)
        if r.returncode != 0:
            errors.append("a checked call does not compile:\n" + r.stderr)
        src.write_text(body % "fiie_encrypt(k, i, m, NULL, h, 64, n);")
        r = subprocess.run(cc + base + [str(src)], capture_output=True, text=True)
        if r.returncode == 0 or "unused" not in r.stderr:
            errors.append("dropping fiie_encrypt()'s status compiles without a warning")
    for e in errors:
        print("check_nodiscard: " + e)
    if not errors:
        print("check_nodiscard: %d status functions, all but %d marked; dropped status refused"
              % (len(seen), len(seen & MAY_IGNORE)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
