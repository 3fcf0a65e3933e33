#!/usr/bin/env python3
"""Turn the FIIE v1 known-answer vectors (tests/data/vectors/fiie-v1.json)
into C constants for the cmocka tests, which must not parse JSON.

meson runs this at build time (custom_target 'vectors_v1.h' in
tests/meson.build) and writes the header into the build tree, as it embeds
the model; no copy is committed, so the C tests cannot drift from the JSON.
Every field the header needs is checked (type, hex digits, byte length,
consistent sizes): a missing or malformed vector stops the build with its
path in the JSON, and no header is written.

usage: gen_vectors_h.py VECTORS_JSON OUTPUT_H
       gen_vectors_h.py --self-test   (each kind of bad vector must fail)
"""
import copy
import json
import math
import os
import pathlib
import re
import sys
import tempfile


class VectorError(Exception):
    pass


def field(obj, path, kind):
    """obj[path] (path "a.b[2].c") of the given Python type."""
    cur = obj
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if part.startswith("["):
            i = int(part[1:-1])
            if not isinstance(cur, list) or i >= len(cur):
                raise VectorError("%s: missing" % path)
            cur = cur[i]
        else:
            if not isinstance(cur, dict) or part not in cur:
                raise VectorError("%s: missing" % path)
            cur = cur[part]
    # bool is an int in Python; a vector never is one.
    if not isinstance(cur, kind) or isinstance(cur, bool):
        raise VectorError("%s: expected %s, found %s" % (path, kind.__name__, type(cur).__name__))
    return cur


def hex_bytes(obj, path, length=None):
    s = field(obj, path, str)
    if not re.fullmatch(r"(?:[0-9a-fA-F]{2})*", s):
        raise VectorError("%s: not a string of hex byte pairs" % path)
    b = bytes.fromhex(s)
    if length is not None and len(b) != length:
        raise VectorError("%s: %d bytes, expected %d" % (path, len(b), length))
    if not b:
        raise VectorError("%s: empty" % path)
    return b


def integer(obj, path, lo, hi):
    v = field(obj, path, int)
    if not lo <= v <= hi:
        raise VectorError("%s: %d outside %d .. %d" % (path, v, lo, hi))
    return v


def uint64_hex(obj, path):
    s = field(obj, path, str)
    if not re.fullmatch(r"[0-9a-fA-F]{16}", s):
        raise VectorError("%s: expected 16 hex digits (a uint64)" % path)
    return int(s, 16)


def uint64_dec(obj, path):
    s = field(obj, path, str)
    if not re.fullmatch(r"\d{1,20}", s) or int(s) >= 1 << 64:
        raise VectorError("%s: expected a decimal uint64" % path)
    return int(s)


def finite(obj, path):
    v = field(obj, path, float)
    if not math.isfinite(v):
        raise VectorError("%s: not finite" % path)
    return v


def c_string(obj, path):
    s = field(obj, path, str)
    if not re.fullmatch(r"[ -~]*", s):
        raise VectorError("%s: only printable ASCII fits a C string here" % path)
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')


def c_array(name, data):
    lines = ["    " + ", ".join("0x%02x" % c for c in data[i:i + 16]) + ","
             for i in range(0, len(data), 16)]
    return "static const uint8_t %s[%d] = {\n%s\n};\n" % (name, len(data), "\n".join(lines))


INT32 = (-(1 << 31), (1 << 31) - 1)
UINT32 = (0, (1 << 32) - 1)


def image(v, i):
    p = "images[%d]." % i
    w = integer(v, p + "width", 1, UINT32[1])
    h = integer(v, p + "height", 1, UINT32[1])
    ch = integer(v, p + "channels", 3, 4)
    plain = hex_bytes(v, p + "plain", w * h * ch)
    regions = field(v, p + "regions", list)
    regs = []
    for r in range(len(regions)):
        q = p + "regions[%d]." % r
        regs.append((integer(v, q + "shape", *INT32), integer(v, q + "x", *INT32),
                     integer(v, q + "y", *INT32), integer(v, q + "w", *UINT32),
                     integer(v, q + "h", *UINT32)))
    return {
        "name": c_string(v, p + "name"), "width": w, "height": h, "channels": ch,
        "key": hex_bytes(v, p + "key", 32), "nonce": hex_bytes(v, p + "nonce", 24),
        "plain": plain, "cipher": hex_bytes(v, p + "cipher", len(plain)),
        "header": hex_bytes(v, p + "header"), "regions": regs,
        "protected_bytes": integer(v, p + "protected_bytes", 0, len(plain)),
    }


def generate(v, source_name):
    if not isinstance(v, dict):
        raise VectorError("top level: expected an object")
    out = ["/* Generated at build time by tests/gen_vectors_h.py from %s." % source_name,
           " * Known-answer values of the FIIE v1 format; edit the JSON, not this. */",
           "#ifndef FIIE_TEST_VECTORS_V1_H", "#define FIIE_TEST_VECTORS_V1_H", "",
           "#include <stddef.h>", "#include <stdint.h>", "",
           "typedef struct v_region { int32_t shape, x, y; uint32_t w, h; } v_region;", "",
           "typedef struct v_image {", "    const char *name;",
           "    uint32_t width, height, channels;",
           "    const uint8_t *key, *nonce, *plain, *cipher, *header;",
           "    size_t plain_len, header_len, n_regions, protected_bytes;",
           "    const v_region *regions;", "} v_image;", ""]
    out.append(c_array("v_ks_key", hex_bytes(v, "keystream.key", 32)))
    out.append(c_array("v_ks_nonce", hex_bytes(v, "keystream.nonce", 24)))
    out.append(c_array("v_ks_first64", hex_bytes(v, "keystream.first64", 64)))
    out.append(c_array("v_ks_524280", hex_bytes(v, "keystream.bytes_524280_524296", 16)))
    out.append("#define V_KS_LENGTH ((size_t)%d)\n"
               % integer(v, "keystream.length", 524296, 1 << 30))
    out.append(c_array("v_ks_sha256", hex_bytes(v, "keystream.sha256", 32)))
    out.append(c_array("v_sk_key", hex_bytes(v, "subkeys.key", 32)))
    out.append(c_array("v_sk_nonce", hex_bytes(v, "subkeys.nonce", 24)))
    out.append(c_array("v_sk_k_lm", hex_bytes(v, "subkeys.k_lm", 32)))
    out.append(c_array("v_sk_k_ae", hex_bytes(v, "subkeys.k_ae", 32)))
    if len(field(v, "subkeys.lane_q", list)) != 8:
        raise VectorError("subkeys.lane_q: expected 8 lanes")
    out.append("static const uint64_t v_lane_q[8] = {\n%s\n};\n" % ",\n".join(
        "    UINT64_C(%d)" % uint64_dec(v, "subkeys.lane_q[%d]" % i) for i in range(8)))
    out.append("static const uint64_t v_f_x0 = UINT64_C(0x%016x);" % uint64_hex(v, "F.x0"))
    out.append("static const uint64_t v_f_q = UINT64_C(0x%016x);" % uint64_hex(v, "F.q"))
    if len(field(v, "F.next5", list)) != 5:
        raise VectorError("F.next5: expected 5 values")
    out.append("static const uint64_t v_f_next5[5] = {%s};\n" % ", ".join(
        "UINT64_C(0x%016x)" % uint64_hex(v, "F.next5[%d]" % i) for i in range(5)))
    n_images = len(field(v, "images", list))
    if n_images == 0:
        raise VectorError("images: empty")
    images = [image(v, i) for i in range(n_images)]
    for i, im in enumerate(images):
        p = "v_img%d_" % i
        for part in ("key", "nonce", "plain", "cipher", "header"):
            out.append(c_array(p + part, im[part]))
        out.append("static const v_region %sregions[%d] = {%s};\n" % (
            p, max(len(im["regions"]), 1),
            ", ".join("{%d, %d, %d, %du, %du}" % r for r in im["regions"]) or "{0, 0, 0, 0u, 0u}"))
    out.append("static const v_image v_images[%d] = {" % len(images))
    for i, im in enumerate(images):
        p = "v_img%d_" % i
        out.append("    {%s, %d, %d, %d, %skey, %snonce, %splain, %scipher, %sheader,"
                   % (im["name"], im["width"], im["height"], im["channels"], p, p, p, p, p))
        out.append("     sizeof %splain, sizeof %sheader, %d, %d, %sregions},"
                   % (p, p, len(im["regions"]), im["protected_bytes"], p))
    out.append("};\n")
    out.append("static const double v_paper_x0 = %r;" % finite(v, "paper.x0"))
    out.append("static const double v_paper_mu = %r;" % finite(v, "paper.mu"))
    out.append(c_array("v_paper_first64", hex_bytes(v, "paper.first64", 64)))
    out.append(c_array("v_paper_sha256_100000", hex_bytes(v, "paper.sha256_100000", 32)))
    out.append("static const char v_argon_pass[] = %s;" % c_string(v, "argon2id.passphrase"))
    out.append(c_array("v_argon_salt", hex_bytes(v, "argon2id.salt", 16)))
    out.append("#define V_ARGON_OPSLIMIT UINT64_C(%d)" % integer(v, "argon2id.opslimit", 1, UINT32[1]))
    out.append("#define V_ARGON_MEMLIMIT UINT64_C(%d)"
               % integer(v, "argon2id.memlimit", 8192, (1 << 64) - 1))
    out.append(c_array("v_argon_key", hex_bytes(v, "argon2id.key", 32)))
    out.append("#endif /* FIIE_TEST_VECTORS_V1_H */")
    return "\n".join(out) + "\n"


def convert(src, dst):
    """Writes dst from src, or raises VectorError and leaves dst alone."""
    try:
        text = pathlib.Path(src).read_text()
    except OSError as e:
        raise VectorError("cannot read: %s" % e.strerror)
    try:
        v = json.loads(text)
    except ValueError as e:
        raise VectorError("not JSON: %s" % e)
    header = generate(v, "tests/data/vectors/" + pathlib.Path(src).name)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(dst)), prefix=".vectors")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(header)
        os.replace(tmp, dst)
    except BaseException:
        os.unlink(tmp)
        raise


def self_test():
    src = pathlib.Path(__file__).resolve().parent / "data" / "vectors" / "fiie-v1.json"
    good = json.loads(src.read_text())

    def drop(path):
        def f(v):
            *head, last = path.split(".")
            d = v
            for h in head:
                d = d[h]
            del d[last]
        return f

    def set_(path, value):
        def f(v):
            *head, last = path.split(".")
            d = v
            for h in head:
                d = d[int(h)] if isinstance(d, list) else d[h]
            d[last] = value
        return f

    cases = [
        ("missing key", drop("keystream.sha256"), "keystream.sha256: missing"),
        ("odd hex", set_("subkeys.k_lm", good["subkeys"]["k_lm"][:-1]), "hex byte pairs"),
        ("short key", set_("argon2id.key", "00" * 31), "31 bytes, expected 32"),
        ("not hex", set_("keystream.nonce", "zz" * 24), "hex byte pairs"),
        ("cipher length", set_("images.1.cipher", good["images"][1]["cipher"] + "00"),
         "images[1].cipher"),
        ("plain size", set_("images.0.width", good["images"][0]["width"] + 1), "images[0].plain"),
        ("region field", set_("images.2.regions", [{"shape": 0, "x": 1, "y": 2, "w": 3}]),
         "images[2].regions[0].h: missing"),
        ("wrong type", set_("keystream.length", "1048676"), "expected int"),
        ("bool for int", set_("argon2id.opslimit", True), "expected int"),
        ("lane count", set_("subkeys.lane_q", ["1"] * 7), "8 lanes"),
        ("uint64 range", set_("subkeys.lane_q", [str(1 << 64)] * 8), "decimal uint64"),
        ("quote in a C string", set_("images.0.name", 'a"b\x01'), "printable ASCII"),
    ]
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "v.h"
        convert(src, out)
        if "v_argon_key" not in out.read_text():
            failures.append("the real vectors give no header")
        for what, change, expect in cases:
            v = copy.deepcopy(good)
            change(v)
            bad = pathlib.Path(tmp) / "bad.json"
            bad.write_text(json.dumps(v))
            dst = pathlib.Path(tmp) / "bad.h"
            try:
                convert(bad, dst)
                failures.append("%s: accepted" % what)
            except VectorError as e:
                if expect not in str(e):
                    failures.append("%s: wrong message %r" % (what, str(e)))
                if dst.exists():
                    failures.append("%s: a header was written anyway" % what)
        for what, text in (("not JSON", "{"), ("not an object", "[]")):
            bad = pathlib.Path(tmp) / "bad.json"
            bad.write_text(text)
            try:
                convert(bad, pathlib.Path(tmp) / "bad.h")
                failures.append("%s: accepted" % what)
            except VectorError:
                pass
        try:
            convert(pathlib.Path(tmp) / "absent.json", pathlib.Path(tmp) / "bad.h")
            failures.append("missing file: accepted")
        except VectorError:
            pass
    for f in failures:
        print("self-test FAILED: " + f)
    if not failures:
        print("self-test: %d malformed vector files refused, none wrote a header" % (len(cases) + 3))
    return 1 if failures else 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        convert(argv[1], argv[2])
    except VectorError as e:
        print("gen_vectors_h.py: %s: %s" % (argv[1], e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
