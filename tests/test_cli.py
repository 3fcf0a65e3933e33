#!/usr/bin/env python3
"""End-to-end tests of the `fiie` command-line tool (standard library only).

usage: test_cli.py FIIE_BINARY [PEAK_RSS_HELPER]   (FIIE_TEST_DATA points at tests/data)

Runs the built tool on temporary folders - faces, no faces, a corrupt
file, a nested output directory - and checks exit statuses, outputs, that
no partial or unexpected file appears, and the JSON contracts.
"""
import json
import os
import re
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import unittest
import zlib

FIIE = None
PEAK_RSS = os.environ.get("FIIE_PEAK_RSS")
DATA = os.environ.get("FIIE_TEST_DATA", os.path.join(os.path.dirname(__file__), "data"))
FACES = os.path.join(DATA, "images", "faces_640x480.png")


# ---- a tiny PNG codec (8-bit gray/RGB/RGBA, not interlaced) -----------------

def png_chunks(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    i, out = 8, []
    while i < len(data):
        n, = struct.unpack(">I", data[i:i + 4])
        out.append((data[i + 4:i + 8], data[i + 8:i + 8 + n]))
        i += 12 + n
    return out


def png_decode(path):
    """(width, height, channels, bytes of rows without filter bytes)."""
    with open(path, "rb") as f:
        chunks = png_chunks(f.read())
    w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert depth == 8 and interlace == 0 and ctype in (0, 2, 6)
    ch = {0: 1, 2: 3, 6: 4}[ctype]
    raw = zlib.decompress(b"".join(d for t, d in chunks if t == b"IDAT"))
    stride = w * ch
    out = bytearray()
    prev = bytearray(stride)
    pos = 0
    for _ in range(h):
        ft = raw[pos]
        line = bytearray(raw[pos + 1:pos + 1 + stride])
        pos += 1 + stride
        for x in range(stride):
            a = line[x - ch] if x >= ch else 0
            b = prev[x]
            c = prev[x - ch] if x >= ch else 0
            if ft == 1:
                line[x] = (line[x] + a) & 255
            elif ft == 2:
                line[x] = (line[x] + b) & 255
            elif ft == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif ft == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pr) & 255
        out += line
        prev = line
    return w, h, ch, bytes(out)


def png_encode(path, w, h, rgb_rows):
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    raw = b"".join(b"\x00" + rgb_rows[y * w * 3:(y + 1) * w * 3] for y in range(h))
    data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(data)


def png_rewrite_chunk(path, ctype, fn):
    """Apply fn to the payload of chunk ctype and fix its CRC."""
    with open(path, "rb") as f:
        chunks = png_chunks(f.read())
    out = b"\x89PNG\r\n\x1a\n"
    for t, d in chunks:
        if t == ctype:
            d = fn(bytearray(d))
        out += struct.pack(">I", len(d)) + t + bytes(d) + struct.pack(">I", zlib.crc32(t + bytes(d)))
    with open(path, "wb") as f:
        f.write(out)


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def run(*args, cwd=None, env=None):
    p = subprocess.run([FIIE] + [str(a) for a in args], capture_output=True, text=True,
                       cwd=cwd, env=env, timeout=600)
    return p.returncode, p.stdout, p.stderr


def listing(root):
    out = []
    for dirpath, _, files in os.walk(root):
        for f in files:
            out.append(os.path.relpath(os.path.join(dirpath, f), root))
    return sorted(out)


class CliTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="fiie_cli_")
        self.key = os.path.join(self.tmp, "k.key")
        rc, _, err = run("keygen", self.key)
        self.assertEqual(rc, 0, err)
        w, h, ch, px = png_decode(FACES)
        self.assertEqual(ch, 3)
        self.faces_pixels = px
        # A flat grey image: no face anywhere.
        self.noface = os.path.join(self.tmp, "flat.png")
        png_encode(self.noface, 64, 48, bytes([128]) * (64 * 48 * 3))

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def p(self, *parts):
        return os.path.join(self.tmp, *parts)

    # ---- help, version, usage ------------------------------------------------

    def test_help_and_version(self):
        rc, out, _ = run("--help")
        self.assertEqual(rc, 0)
        for cmd in ("detect", "encrypt", "decrypt", "keygen", "analyze", "bench", "demo",
                    "models"):
            self.assertIn(cmd, out)
        self.assertIn("metadata", out)
        rc, out, _ = run("--version")
        self.assertEqual(rc, 0)
        self.assertRegex(out, r"^fiie \d+\.\d+\.\d+")
        for cmd in ("detect", "encrypt", "decrypt", "keygen", "analyze", "bench", "demo",
                    "models"):
            rc, out, _ = run(cmd, "--help")
            self.assertEqual(rc, 0, cmd)
            self.assertIn("Usage: fiie " + cmd, out)
            self.assertIn("Exit status:", out, cmd)
        # Every exit status of the tool (examples/fiie/cli.h) is documented in
        # --help and in the man page's EXIT STATUS section.
        src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        with open(os.path.join(src, "examples", "fiie", "cli.h")) as f:
            codes = sorted({int(v) for v in re.findall(r"#define CLI_EXIT_\w+ (\d+)", f.read())})
        self.assertEqual(codes, [0, 1, 2, 3, 64])
        with open(os.path.join(src, "docs", "fiie.1")) as f:
            man = f.read()
        section = man.split(".SH EXIT STATUS", 1)[1].split(".SH ", 1)[0]
        rc, top, _ = run("--help")
        for c in codes:
            self.assertIn(".B %d\n" % c, section)
            self.assertRegex(top.split("Exit status:", 1)[1], r"\b%d\b" % c)
        rc, out, _ = run("encrypt", "--help")
        self.assertIn("without identifying metadata", out.replace("\n", " "))
        self.assertIn("Only the ICC colour profile is kept", out.replace("\n", " "))

    def test_usage_errors(self):
        for args in (["nope"], ["encrypt", FACES, self.p("o.png")],            # no key
                     ["encrypt", FACES, self.p("o.png"), "--key-file", self.key, "--regions", "rect:1,2,-3,4"],
                     ["encrypt", FACES, self.p("o.png"), "--key-file", self.key, "--thresholds", "0.5,0.5"],
                     ["encrypt", FACES, self.p("o.png"), "--key-file", self.key, "--bogus"],
                     ["encrypt", FACES, FACES, "--key-file", self.key, "--nonce", "00" * 24, "--out-dir", self.p("d")],
                     ["detect"], ["keygen"], ["analyze", FACES], ["bench", "nope"]):
            rc, _, err = run(*args)
            self.assertEqual(rc, 64, (args, err))
        self.assertEqual(listing(self.tmp), ["flat.png", "k.key"])

    # ---- models --------------------------------------------------------------

    def test_models_by_name_or_file(self):
        src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        original_file = os.path.join(src, "models", "mtcnn.fiiem")
        rc, out, err = run("models")
        self.assertEqual((rc, err), (0, ""))
        lines = out.splitlines()
        names = [l.split(" ")[0] for l in lines]
        self.assertIn("mtcnn-original", names)
        self.assertEqual(len(set(names)), len(names))
        defaults = [l[:-len(" (default)")] for l in lines if l.endswith(" (default)")]
        self.assertEqual(len(defaults), 1, out)
        for n in names:
            self.assertRegex(n, r"^[a-z0-9][a-z0-9._-]*$")
            self.assertFalse(n.endswith(".fiiem"))
        self.assertEqual(run("models", "extra")[0], 64)

        def detect(*model):
            rc, out, err = run("detect", FACES, *model)
            self.assertEqual(rc, 0, (model, err))
            return json.loads(out)

        # a name and the same weights as a file give the same JSON, in the
        # same format whatever the model; no --model is the default's name
        by_name = detect("--model", "mtcnn-original")
        self.assertEqual(detect("--model", original_file), by_name)
        self.assertEqual(set(by_name), {"image", "width", "height", "faces"})
        self.assertGreater(len(by_name["faces"]), 0)
        for face in by_name["faces"]:
            self.assertEqual(set(face), {"box", "score", "landmarks"})
        self.assertEqual(detect(), detect("--model", defaults[0]))
        # a bare word that is no built-in model may still be a file (cwd)
        shutil.copy(original_file, self.p("weights"))
        rc, out, err = run("detect", FACES, "--model", "weights", cwd=self.tmp)
        self.assertEqual((rc, json.loads(out)), (0, by_name), err)
        # encrypt takes the same values
        for model in ("mtcnn-original", original_file):
            out_png = self.p("enc-%d.png" % len(os.listdir(self.tmp)))
            rc, _, err = run("encrypt", FACES, out_png, "--key-file", self.key, "--model", model)
            self.assertEqual(rc, 0, err)
        # unknown names and missing files: a clear message, nothing written
        before = listing(self.tmp)
        for bad, says in (("nope", "no built-in model of that name"),
                          ("MTCNN-original", "no built-in model of that name"),
                          ("", "no built-in model of that name"),
                          ("./mtcnn-original", "face model file ./mtcnn-original"),
                          ("nope.fiiem", "face model file nope.fiiem")):
            for cmd in (["detect", FACES], ["encrypt", FACES, self.p("x.png"), "--key-file",
                                            self.key]):
                rc, out, err = run(*cmd, "--model", bad, cwd=self.tmp)
                self.assertEqual((rc, out), (1, ""), (bad, err))
                self.assertIn(says, err, bad)
        self.assertEqual(listing(self.tmp), before)

    # ---- keygen --------------------------------------------------------------

    def test_keygen(self):
        st = os.stat(self.key)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        with open(self.key) as f:
            text = f.read()
        self.assertRegex(text, r"^[0-9a-f]{64}\n$")
        rc, _, err = run("keygen", self.key)
        self.assertEqual(rc, 1)
        self.assertIn("exists", err)
        with open(self.key) as f:
            self.assertEqual(f.read(), text)

    # ---- detect --------------------------------------------------------------

    def test_detect_contract(self):
        bad = self.p("corrupt.png")
        with open(bad, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
        draw = self.p("drawn.png")
        rc, out, err = run("detect", FACES, "--draw", draw)
        self.assertEqual(rc, 0, err)
        w, h, _, px = png_decode(draw)
        self.assertEqual((w, h), (640, 480))
        self.assertNotEqual(px, self.faces_pixels)
        rc, out, err = run("detect", FACES, bad, self.noface)
        self.assertEqual(rc, 1)
        self.assertIn("corrupt.png", err)
        lines = out.splitlines()
        self.assertEqual(len(lines), 2)
        first, second = json.loads(lines[0]), json.loads(lines[1])
        self.assertEqual(set(first), {"image", "width", "height", "faces"})
        self.assertEqual((first["image"], first["width"], first["height"]), (FACES, 640, 480))
        self.assertGreater(len(first["faces"]), 0)
        for face in first["faces"]:
            self.assertEqual(set(face), {"box", "score", "landmarks"})
            self.assertEqual(len(face["box"]), 4)
            self.assertLess(face["box"][0], face["box"][2])
            self.assertTrue(0 <= face["score"] <= 1)
            self.assertEqual([len(p) for p in face["landmarks"]], [2] * 5)
        self.assertEqual(second["image"], self.noface)
        self.assertEqual(second["faces"], [])
        # Several files in parallel: lines still come in input order.
        rc, out, err = run("detect", "-j", "3", FACES, self.noface, FACES, self.noface)
        self.assertEqual(rc, 0, err)
        self.assertEqual([json.loads(l)["image"] for l in out.splitlines()],
                         [FACES, self.noface, FACES, self.noface])
        # Strict thresholds find fewer or equal faces.
        rc, out, _ = run("detect", "--thresholds", "0.9,0.9,0.99", "--min-face", "40", FACES)
        self.assertEqual(rc, 0)
        self.assertLessEqual(len(json.loads(out)["faces"]), len(first["faces"]))

    # ---- encrypt / decrypt ---------------------------------------------------

    def test_round_trip_and_wrong_key(self):
        prot, rest = self.p("prot.png"), self.p("rest.png")
        rc, _, err = run("encrypt", FACES, prot, "--key-file", self.key)
        self.assertEqual(rc, 0, err)
        chunks = [t for t, _ in png_chunks(read_bytes(prot))]
        self.assertEqual(chunks[:2], [b"IHDR", b"fiIE"])
        self.assertFalse(set(chunks) & {b"tEXt", b"iTXt", b"zTXt", b"eXIf", b"tIME"})
        w, h, ch, px = png_decode(prot)
        self.assertNotEqual(px, self.faces_pixels)
        # Never overwrite without --force.
        rc, _, err = run("encrypt", FACES, prot, "--key-file", self.key)
        self.assertEqual(rc, 1)
        self.assertIn("--force", err)
        rc, _, err = run("decrypt", prot, rest, "--key-file", self.key)
        self.assertEqual(rc, 0, err)
        self.assertEqual(png_decode(rest)[3], self.faces_pixels)
        # The restored faces are secret: owner-only file (issue 14).
        self.assertEqual(stat.S_IMODE(os.stat(rest).st_mode) & 0o077, 0)
        # Wrong key: exit 3, nothing written.
        other = self.p("other.key")
        with open(other, "wb") as f:
            f.write(os.urandom(32))        # the raw 32-byte form
        rc, _, err = run("decrypt", prot, self.p("nope.png"), "--key-file", other)
        self.assertEqual(rc, 3, err)
        self.assertIn("authentication", err)
        self.assertFalse(os.path.exists(self.p("nope.png")))
        # Tampered header (nonce byte, CRC fixed): exit 3, nothing written.
        tampered = self.p("tampered.png")
        shutil.copy(prot, tampered)
        def flip(d):
            d[20] ^= 1
            return d
        png_rewrite_chunk(tampered, b"fiIE", flip)
        rc, _, err = run("decrypt", tampered, self.p("nope.png"), "--key-file", self.key)
        self.assertEqual(rc, 3, err)
        self.assertFalse(os.path.exists(self.p("nope.png")))
        # Truncated protected PNG: an error, nothing written.
        trunc = self.p("trunc.png")
        data = read_bytes(prot)
        with open(trunc, "wb") as f:
            f.write(data[:len(data) // 2])
        rc, _, err = run("decrypt", trunc, self.p("nope.png"), "--key-file", self.key)
        self.assertEqual(rc, 1, err)
        self.assertFalse(os.path.exists(self.p("nope.png")))
        # Not a protected image.
        rc, _, err = run("decrypt", FACES, self.p("nope.png"), "--key-file", self.key)
        self.assertEqual(rc, 1)
        self.assertFalse(os.path.exists(self.p("nope.png")))

    def test_no_face_regions_jpeg_and_nonce(self):
        out = self.p("out.png")
        rc, _, err = run("encrypt", self.noface, out, "--key-file", self.key)
        self.assertEqual(rc, 2, err)
        self.assertIn("no face", err)
        self.assertFalse(os.path.exists(out))
        rc, _, err = run("encrypt", self.noface, out, "--key-file", self.key, "--allow-empty")
        self.assertEqual(rc, 0, err)
        self.assertEqual(png_decode(out)[3], png_decode(self.noface)[3])
        os.unlink(out)
        # Hand-made regions replace detection; far-outside regions protect nothing.
        rc, _, err = run("encrypt", self.noface, out, "-k", self.key,
                         "--regions", "rect:0,0,10,10;ellipse:20,10,30,20")
        self.assertEqual(rc, 0, err)
        px = png_decode(out)[3]
        self.assertNotEqual(px[:30], bytes([128]) * 30)      # row 0 inside the rect
        self.assertEqual(px[-30:], bytes([128]) * 30)        # bottom-right corner untouched
        rc, _, err = run("decrypt", out, self.p("back.png"), "-k", self.key)
        self.assertEqual(rc, 0, err)
        self.assertEqual(png_decode(self.p("back.png"))[3], png_decode(self.noface)[3])
        rc, _, err = run("encrypt", self.noface, self.p("x.png"), "-k", self.key,
                         "--regions", "rect:1000,1000,5,5")
        self.assertEqual(rc, 2, err)
        # JPEG output refused.
        rc, _, err = run("encrypt", FACES, self.p("out.jpg"), "-k", self.key)
        self.assertEqual(rc, 1)
        self.assertFalse(os.path.exists(self.p("out.jpg")))
        # A fixed nonce is deterministic (tests only): a library built
        # without -Dtest_hooks refuses it and nothing is written (issue 14).
        n = "ab" * 24
        a, b = self.p("n1.png"), self.p("n2.png")
        hooks = os.environ.get("FIIE_TEST_HOOKS") == "1"
        for path in (a, b):
            rc, _, err = run("encrypt", FACES, path, "-k", self.key, "--nonce", n)
            self.assertEqual(rc, 0 if hooks else 1, err)
        if hooks:
            self.assertEqual(read_bytes(a), read_bytes(b))
        else:
            self.assertIn("not supported", err)
            self.assertIn("--nonce needs a library built with -Dtest_hooks=true", err)
            self.assertFalse(os.path.exists(a) or os.path.exists(b))

    def test_passphrase(self):
        pw, bad = self.p("pw.txt"), self.p("bad.txt")
        with open(pw, "w") as f:
            f.write("correct horse battery staple\n")
        with open(bad, "w") as f:
            f.write("wrong\n")
        prot = self.p("prot.png")
        rc, _, err = run("encrypt", FACES, prot, "--passphrase-file", pw)
        self.assertEqual(rc, 0, err)
        rc, _, err = run("decrypt", prot, self.p("r.png"), "--passphrase-file", bad)
        self.assertEqual(rc, 3, err)
        self.assertFalse(os.path.exists(self.p("r.png")))
        rc, _, err = run("decrypt", prot, self.p("r.png"), "--passphrase-file", pw)
        self.assertEqual(rc, 0, err)
        self.assertEqual(png_decode(self.p("r.png"))[3], self.faces_pixels)
        rc, _, err = run("decrypt", prot, self.p("r2.png"), "--passphrase-file", self.p("missing"))
        self.assertEqual(rc, 1)

    def test_encrypt_uses_the_high_recall_preset(self):
        # Issue 4's preset exactly (min face 10, factor 0.79, thresholds
        # 0.5,0.5,0.3): no fallback, no warning, the same faces as detect
        # with those options.
        rc, _, err = run("encrypt", FACES, self.p("e.png"), "-k", self.key, "--json")
        self.assertEqual(rc, 0, err)
        self.assertNotIn("warning", err)
        rc, out, _ = run("encrypt", FACES, self.p("e2.png"), "-k", self.key, "--json", "-q")
        enc = json.loads(out)["files"][0]
        rc, out, err = run("detect", FACES, "--min-face", "10", "--factor", "0.79",
                           "--thresholds", "0.5,0.5,0.3")
        self.assertEqual(rc, 0, err)
        self.assertEqual(enc["faces"], len(json.loads(out)["faces"]))

    def test_passphrase_batch_threads(self):
        # -j 4 shares one derived key among workers; decrypt meets two salts
        # (two encrypt runs) and a raw-key file in one batch.
        pw = self.p("pw.txt")
        with open(pw, "w") as f:
            f.write("batch passphrase\n")
        src = self.p("src")
        os.mkdir(src)
        for i in range(4):
            shutil.copy(FACES, os.path.join(src, "a%d.png" % i))
        rc, _, err = run("encrypt", "-r", src, "--out-dir", self.p("enc"), "-p", pw, "-j", "4")
        self.assertEqual(rc, 0, err)
        rc, _, err = run("encrypt", FACES, self.p("enc", "other.png"), "-p", pw)
        self.assertEqual(rc, 0, err)
        rc, _, err = run("encrypt", FACES, self.p("enc", "raw.png"), "-k", self.key)
        self.assertEqual(rc, 0, err)
        rc, out, err = run("decrypt", "-r", self.p("enc"), "--out-dir", self.p("dec"), "-p", pw,
                           "-j", "4", "--json")
        self.assertEqual(rc, 1, err)
        r = json.loads(out)
        st = {os.path.basename(f["input"]): f["status"] for f in r["files"]}
        self.assertEqual(st.pop("raw.png"), "error")
        self.assertEqual(set(st.values()), {"ok"}, st)
        self.assertEqual(len(st), 5)
        for name in ("a0.png", "other_decrypted.png"):  # one per salt; NAME_fiie.png -> NAME.png
            self.assertEqual(png_decode(self.p("dec", name))[3], self.faces_pixels, name)

    def test_passphrase_kdf_cap(self):
        # decrypt refuses headers asking for more Argon2id work than
        # libsodium's sensitive level (anti-DoS), with a message that says
        # so, before deriving anything; nothing is written.
        pw = self.p("pw.txt")
        with open(pw, "w") as f:
            f.write("correct horse\n")
        prot = self.p("prot.png")
        rc, _, err = run("encrypt", FACES, prot, "-p", pw)
        self.assertEqual(rc, 0, err)
        for field, value in ((48, 5), (56, (1 << 30) + 1)):  # opslimit, memlimit (u64 LE)
            greedy = self.p("greedy%d.png" % field)
            shutil.copy(prot, greedy)
            def patch(d, field=field, value=value):
                d[field:field + 8] = struct.pack("<Q", value)
                return d
            png_rewrite_chunk(greedy, b"fiIE", patch)
            rc, _, err = run("decrypt", greedy, self.p("nope.png"), "-p", pw)
            self.assertEqual(rc, 1, err)
            self.assertIn("more Argon2id work than decrypt allows", err)
            self.assertFalse(os.path.exists(self.p("nope.png")))
        rc, _, err = run("decrypt", prot, self.p("ok.png"), "-p", pw)
        self.assertEqual(rc, 0, err)

    def test_paper_mode(self):
        prot = self.p("paper.png")
        rc, _, err = run("encrypt", FACES, prot, "--paper", "0.3,3.99")
        self.assertEqual(rc, 0, err)
        self.assertIn("INSECURE", err)
        rc, _, err = run("decrypt", prot, self.p("r.png"), "--paper", "0.3,3.99")
        self.assertEqual(rc, 0, err)
        self.assertEqual(png_decode(self.p("r.png"))[3], self.faces_pixels)

    # ---- batches -------------------------------------------------------------

    def make_tree(self):
        photos = self.p("photos")
        os.makedirs(os.path.join(photos, "sub", "deeper"))
        shutil.copy(FACES, os.path.join(photos, "group.png"))
        shutil.copy(FACES, os.path.join(photos, "sub", "deeper", "again.png"))
        shutil.copy(self.noface, os.path.join(photos, "sub", "empty.png"))
        with open(os.path.join(photos, "corrupt.jpg"), "wb") as f:
            f.write(b"\xff\xd8\xff\xe0" + b"\x00" * 100)
        with open(os.path.join(photos, "notes.txt"), "w") as f:
            f.write("not an image\n")
        os.symlink("..", os.path.join(photos, "sub", "loop"))
        return photos

    def test_batch_nested_output_dir(self):
        photos = self.make_tree()
        out = os.path.join(photos, "out")          # nested inside the input tree
        before = listing(photos)
        rc, stdout, err = run("encrypt", "-r", photos, "--out-dir", out, "--key-file", self.key,
                              "--json", "--threads", "2")
        self.assertEqual(rc, 1, err)               # the corrupt file fails the batch
        summary = json.loads(stdout)
        self.assertEqual(summary["command"], "encrypt")
        self.assertEqual(summary["exit_status"], 1)
        by_name = {os.path.relpath(f["input"], photos): f for f in summary["files"]}
        self.assertEqual(sorted(by_name), ["corrupt.jpg", "group.png", "sub/deeper/again.png",
                                           "sub/empty.png"])
        for f in summary["files"]:
            self.assertEqual(set(f) - {"error"}, {"input", "output", "status", "faces",
                                                  "protected_pixels"})
        self.assertEqual(by_name["group.png"]["status"], "ok")
        self.assertGreater(by_name["group.png"]["faces"], 0)
        self.assertGreater(by_name["group.png"]["protected_pixels"], 0)
        self.assertEqual(by_name["sub/empty.png"]["status"], "no_face")
        self.assertEqual(by_name["corrupt.jpg"]["status"], "error")
        self.assertIn("error", by_name["corrupt.jpg"])
        self.assertEqual(summary["summary"]["files"], 4)
        self.assertEqual(summary["summary"]["ok"], 2)
        # Exactly the two outputs, no temporary or partial file, inputs untouched.
        self.assertEqual(listing(out), ["group_fiie.png", "sub/deeper/again_fiie.png"])
        self.assertEqual(sorted(set(listing(photos)) - set(before)),
                         ["out/group_fiie.png", "out/sub/deeper/again_fiie.png"])
        mtime = os.stat(os.path.join(out, "group_fiie.png")).st_mtime_ns
        # Second run: the output dir is not read as input, nothing overwritten.
        rc, stdout, err = run("encrypt", "-r", photos, "--out-dir", out, "-k", self.key, "--json",
                              "--quiet")
        self.assertEqual(rc, 1)                    # the corrupt file still fails
        second = json.loads(stdout)
        statuses = {os.path.relpath(f["input"], photos): f["status"] for f in second["files"]}
        self.assertEqual(statuses["group.png"], "skipped")  # a re-run skips what is done
        self.assertEqual(statuses["sub/deeper/again.png"], "skipped")
        self.assertEqual(second["summary"]["skipped"], 2)
        self.assertEqual(len(statuses), 4)
        self.assertEqual(os.stat(os.path.join(out, "group_fiie.png")).st_mtime_ns, mtime)
        # Decrypt the output tree.
        restored = self.p("restored")
        rc, stdout, err = run("decrypt", "-r", out, "--out-dir", restored, "-k", self.key, "--json")
        self.assertEqual(rc, 0, err)
        self.assertEqual(listing(restored), ["group.png",  # suffixes never stack
                                             "sub/deeper/again.png"])
        for f in listing(restored):
            self.assertEqual(png_decode(os.path.join(restored, f))[3], self.faces_pixels)

    def test_batch_exit_statuses(self):
        d = self.p("d")
        os.makedirs(d)
        shutil.copy(FACES, os.path.join(d, "a.png"))
        shutil.copy(self.noface, os.path.join(d, "b.png"))
        # Only no-face problems: exit 2; the face image is still written.
        rc, _, err = run("encrypt", "-r", d, "--out-dir", self.p("o"), "-k", self.key)
        self.assertEqual(rc, 2, err)
        self.assertEqual(listing(self.p("o")), ["a_fiie.png"])
        # Directory without -r: an error.
        rc, _, err = run("encrypt", d, "--out-dir", self.p("o2"), "-k", self.key)
        self.assertEqual(rc, 1)
        self.assertIn("-r", err)
        # Outputs next to the inputs by default; -o with several inputs refused.
        rc, _, err = run("encrypt", os.path.join(d, "a.png"), "-k", self.key, "--quiet")
        self.assertEqual(rc, 0, err)
        self.assertTrue(os.path.exists(os.path.join(d, "a_fiie.png")))
        rc, _, _ = run("encrypt", os.path.join(d, "a.png"), os.path.join(d, "b.png"), "-o",
                       self.p("x.png"), "-k", self.key)
        self.assertEqual(rc, 64)
        # Decrypt batch with one wrong-key file: exit 3.
        other = self.p("o.key")
        run("keygen", other)
        rc, _, err = run("encrypt", os.path.join(d, "a.png"), self.p("other.png"), "-k", other)
        self.assertEqual(rc, 0, err)
        rc, _, err = run("decrypt", os.path.join(d, "a_fiie.png"), self.p("other.png"),
                         "--out-dir", self.p("r"), "-k", self.key)
        self.assertEqual(rc, 3, err)
        self.assertEqual(listing(self.p("r")), ["a.png"])

    def test_already_protected_and_write_failures(self):
        prot = self.p("prot.png")
        rc, _, err = run("encrypt", FACES, prot, "-k", self.key)
        self.assertEqual(rc, 0, err)
        # Encrypting twice would lose the first header: refused.
        rc, _, err = run("encrypt", prot, self.p("twice.png"), "-k", self.key)
        self.assertEqual(rc, 1)
        self.assertIn("already protected", err)
        self.assertFalse(os.path.exists(self.p("twice.png")))
        # Disk full, simulated with a file-size limit: an error, no partial
        # or temporary file left behind.
        import resource
        def limit():
            resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        out = self.p("full")
        os.makedirs(out)
        p = subprocess.run([FIIE, "encrypt", FACES, os.path.join(out, "o.png"), "-k", self.key],
                           capture_output=True, text=True, preexec_fn=limit, timeout=600)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(os.listdir(out), [])
        # Output directory not writable (meaningless as root).
        if os.geteuid() != 0:
            ro = self.p("ro")
            os.makedirs(ro)
            os.chmod(ro, 0o555)
            rc, _, err = run("encrypt", FACES, os.path.join(ro, "o.png"), "-k", self.key)
            os.chmod(ro, 0o755)
            self.assertEqual(rc, 1, err)
            self.assertEqual(os.listdir(ro), [])
        # A missing key file or passphrase file: exit 1, nothing written.
        for opt in ("--key-file", "--passphrase-file"):
            rc, _, err = run("encrypt", FACES, self.p("m.png"), opt, self.p("missing"))
            self.assertEqual(rc, 1, err)
            self.assertFalse(os.path.exists(self.p("m.png")))

    def test_in_place(self):
        target = self.p("inplace.png")
        shutil.copy(FACES, target)
        rc, _, err = run("encrypt", "--in-place", target, "-k", self.key)
        self.assertEqual(rc, 0, err)
        self.assertNotEqual(png_decode(target)[3], self.faces_pixels)
        rc, _, err = run("decrypt", "--in-place", target, "-k", self.key)
        self.assertEqual(rc, 0, err)
        self.assertEqual(png_decode(target)[3], self.faces_pixels)
        self.assertEqual(listing(self.tmp), ["flat.png", "inplace.png", "k.key"])

    # ---- demo, analyze, bench --------------------------------------------------

    def test_demo(self):
        d = self.p("demo")
        rc, out, err = run("demo", "--out-dir", d)
        self.assertEqual(rc, 0, err)
        self.assertIn("bit-exact", out)
        self.assertEqual(listing(d), ["demo.key", "preview.png", "protected.png", "restored.png"])
        self.assertEqual(png_decode(os.path.join(d, "restored.png"))[3], self.faces_pixels)
        rc, _, err = run("demo", "--out-dir", d)     # not fresh: refused
        self.assertEqual(rc, 1)

    def test_analyze(self):
        a, b = self.p("a.png"), self.p("b.png")
        for path in (a, b):
            rc, _, err = run("encrypt", FACES, path, "-k", self.key)
            self.assertEqual(rc, 0, err)
        rc, out, err = run("analyze", FACES, a, "--cipher2", b, "--json")
        self.assertEqual(rc, 0, err)
        r = json.loads(out)
        self.assertEqual([c["channel"] for c in r["channels"]], ["R", "G", "B"])
        self.assertEqual(r["region_source"], "header")
        for c in r["channels"]:
            self.assertGreater(c["entropy"]["cipher"], c["entropy"]["plain"])
            self.assertGreater(c["entropy"]["cipher"], 7.9)
            self.assertGreater(c["correlation"]["plain"]["h"], 0.5)
            self.assertLess(abs(c["correlation"]["cipher"]["h"]), 0.1)
            self.assertGreater(c["npcr"], 99.0)
            self.assertLess(abs(c["uaci"] - 33.46), 1.0)
        self.assertEqual([w["alpha"] for w in r["wu_critical"]], [0.05, 0.01, 0.001])
        rc, out, err = run("analyze", FACES, a, "--mask", "rect:0,0,10,10")
        self.assertEqual(rc, 0, err)
        self.assertIn("100 pixels", out)
        rc, _, _ = run("analyze", FACES, FACES)       # no header, no --mask
        self.assertEqual(rc, 1)

    # ---- resources -----------------------------------------------------------

    def peak_rss_kb(self, *args):
        """Peak resident set of one fresh fiie process, measured by the small
        tests/peak_rss helper (a child of this big Python process would
        inherit its peak RSS)."""
        # Under AddressSanitizer freed blocks wait in a quarantine that
        # grows with every allocation: turn it off to see real growth.
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"), "quarantine_size_mb=0",
                                                     "thread_local_quarantine_size_kb=0"]))
        p = subprocess.run([PEAK_RSS, FIIE] + [str(a) for a in args], capture_output=True,
                           text=True, timeout=600, env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        return int(p.stdout.strip().splitlines()[-1])

    def test_batch_memory_does_not_grow(self):
        if not PEAK_RSS:
            self.skipTest("needs the tests/peak_rss helper (second argument)")
        # Issue 6: the peak memory of a batch must not grow with the number
        # of files. A 200x220 crop around the face keeps the runs short.
        w, h, x0, y0 = 200, 220, 180, 40
        rows = b"".join(self.faces_pixels[((y0 + y) * 640 + x0) * 3:((y0 + y) * 640 + x0 + w) * 3]
                        for y in range(h))
        peaks = {}
        for n in (4, 16):
            d = self.p("in%d" % n)
            os.mkdir(d)
            png_encode(os.path.join(d, "f0.png"), w, h, rows)
            for i in range(1, n):
                shutil.copy(os.path.join(d, "f0.png"), os.path.join(d, "f%d.png" % i))
            peaks[("encrypt", n)] = self.peak_rss_kb("encrypt", "-r", d, "--out-dir", self.p("out%d" % n),
                                                     "-k", self.key, "-j", "2", "-q")
            self.assertEqual(len(listing(self.p("out%d" % n))), n)
            peaks[("detect", n)] = self.peak_rss_kb("detect", "-r", d, "-j", "2", "-q")
        print("\npeak RSS (KiB):", {"%s %d files" % k: v for k, v in sorted(peaks.items())},
              file=sys.stderr)
        for cmd in ("encrypt", "detect"):
            small, large = peaks[(cmd, 4)], peaks[(cmd, 16)]
            self.assertLessEqual(large, max(small * 1.25, small + 8192), (cmd, small, large))

    def test_bench_json(self):
        rc, out, err = run("bench", "detect", FACES, "--runs", "1", "--json")
        self.assertEqual(rc, 0, err)
        r = json.loads(out)
        self.assertEqual(set(r), {"median_ms", "min_ms", "max_ms", "runs", "threads", "peak_rss_kb"})
        self.assertEqual((r["runs"], r["threads"]), (1, 1))
        self.assertGreater(r["peak_rss_kb"], 0)
        rc, out, err = run("bench", "cipher", "--size", "1", "--json")
        self.assertEqual(rc, 0, err)
        r = json.loads(out)
        self.assertEqual(set(r), {"logistic_gbps", "fiie_v1_gbps", "xchacha20_gbps", "threads"})
        self.assertTrue(all(r[k] > 0 for k in ("logistic_gbps", "fiie_v1_gbps", "xchacha20_gbps")))
        # The key sets of issues 3 and 4 whatever the options; one object on
        # one line, nothing else on stdout.
        for args, keys in ((["bench", "detect", FACES, "--runs", "1", "--threads", "2", "--json"],
                            {"median_ms", "min_ms", "max_ms", "runs", "threads", "peak_rss_kb"}),
                           (["bench", "cipher", "--size", "1", "--threads", "2", "--json"],
                            {"logistic_gbps", "fiie_v1_gbps", "xchacha20_gbps", "threads"})):
            rc, out, err = run(*args)
            self.assertEqual(rc, 0, err)
            self.assertEqual(len(out.strip().splitlines()), 1, out)
            r = json.loads(out)
            self.assertEqual(set(r), keys, args)
            self.assertEqual(r["threads"], 2)


if __name__ == "__main__":
    FIIE = os.path.abspath(sys.argv.pop(1))
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-") and os.path.isfile(sys.argv[1]):
        PEAK_RSS = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
