#!/usr/bin/env python3
"""End-to-end tests of `fiie` on folders of ordinary photos (issue 11):
interruption, re-runs, whole-batch round trips, previews that match what
is encrypted, inputs that would lose something, keys as people handle
them, sidecars, and the command-line details (man page example, grouped
flags). Every test drives the real binary.

usage: test_cli_folders.py FIIE_BINARY   (FIIE_TEST_DATA points at tests/data)
"""
import json
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_cli  # noqa: E402  (the PNG helpers and run())
from test_cli import FACES, listing, png_chunks, png_decode, png_encode, read_bytes  # noqa: E402

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(*args, **kw):
    return test_cli.run(*args, **kw)


def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))


def write_png(path, w, h, depth, ctype, raw_rows, extra=()):
    """A PNG from unfiltered rows, with extra chunks after IHDR."""
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, 0))
    for t, d in extra:
        data += chunk(t, d)
    data += chunk(b"IDAT", zlib.compress(raw_rows, 1)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(data)


def chunk_types(path):
    return [t for t, _ in png_chunks(read_bytes(path))]


def icc_of(path):
    """The inflated profile of a PNG's iCCP chunk, or None."""
    for t, d in png_chunks(read_bytes(path)):
        if t == b"iCCP":
            name_end = d.index(b"\0")
            return zlib.decompress(d[name_end + 2:])
    return None


def png_complete(path):
    """All chunks whole (CRC), IEND last, the image data of its full size."""
    data = read_bytes(path)
    chunks = png_chunks(data)
    if chunks[-1][0] != b"IEND":
        return False
    pos = 8
    while pos < len(data):
        n, = struct.unpack(">I", data[pos:pos + 4])
        t, d = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        if struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0] != zlib.crc32(t + d):
            return False
        pos += 12 + n
    w, h, depth, ctype = struct.unpack(">IIBB", chunks[0][1][:10])
    ch = {2: 3, 6: 4}[ctype]
    raw = zlib.decompress(b"".join(d for t, d in chunks if t == b"IDAT"))
    return len(raw) == h * (w * ch + 1)


def litter(root):
    """Temporary files a write could leave behind."""
    return [f for f in listing(root) if os.path.basename(f).startswith(".fiie-")
            or ".tmp" in os.path.basename(f)]


class FoldersTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="fiie_folders_")
        self.key = self.p("k.key")
        rc, _, err = run("keygen", self.key)
        self.assertEqual(rc, 0, err)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def p(self, *parts):
        return os.path.join(self.tmp, *parts)

    def photos(self, names=("a.png", "b.png")):
        d = self.p("photos")
        os.makedirs(d, exist_ok=True)
        for n in names:
            shutil.copy(FACES, os.path.join(d, n))
        return d

    def flat(self, path, w=64, h=48, grey=False):
        if grey:
            write_png(path, w, h, 8, 0, b"".join(b"\0" + bytes([90]) * w for _ in range(h)))
        else:
            png_encode(path, w, h, bytes([128]) * (w * h * 3))

    # ---- never leave secrets or litter behind ------------------------------

    def big_protected(self):
        """A large protected PNG: writing its restored copy takes a while."""
        w, h = 3000, 2400
        rows = bytearray()
        row = bytes((i * 131 + 7) % 251 for i in range(w * 3))
        for y in range(h):
            rows += b"\0" + row[y % 97:] + row[:y % 97]
        big = self.p("big.png")
        write_png(big, w, h, 8, 2, bytes(rows))
        prot = self.p("big_fiie.png")
        rc, _, err = run("encrypt", big, prot, "-k", self.key, "--regions",
                         "rect:0,0,%d,%d" % (w, h))
        self.assertEqual(rc, 0, err)
        return prot

    def wait_for_write(self, proc, out_dir, timeout=60):
        """Poll until the process holds a file open for writing in out_dir
        (the unnamed temporary file of the library). True when caught."""
        end = time.time() + timeout
        fd_dir = "/proc/%d/fd" % proc.pid
        real_out = os.path.realpath(out_dir)
        while time.time() < end and proc.poll() is None:
            try:
                for fd in os.listdir(fd_dir):
                    try:
                        target = os.readlink(os.path.join(fd_dir, fd))
                    except OSError:
                        continue
                    if target.startswith(real_out + "/"):
                        return True
            except OSError:
                pass
            time.sleep(0.002)
        return False

    def test_signal_during_write_leaves_nothing_and_exits_128_plus(self):
        prot = self.big_protected()
        for sig, code in ((signal.SIGTERM, 143), (signal.SIGINT, 130)):
            with self.subTest(signal=sig):
                out_dir = self.p("out_%d" % sig)
                os.makedirs(out_dir)
                out = os.path.join(out_dir, "restored.png")
                # The write lasts milliseconds: a run whose write the poller
                # missed proves nothing, so it is redone (a few times at most).
                for _ in range(8):
                    proc = subprocess.Popen([test_cli.FIIE, "decrypt", prot, out, "-k", self.key],
                                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                    caught = self.wait_for_write(proc, out_dir)
                    if caught:
                        break
                    proc.communicate(timeout=120)
                    for f in listing(out_dir):
                        os.unlink(os.path.join(out_dir, f))
                self.assertTrue(caught, "the write was never seen")
                # While the library writes, no named temporary file exists.
                self.assertEqual(litter(out_dir), [])
                proc.send_signal(sig)
                _, err = proc.communicate(timeout=120)
                self.assertEqual(proc.returncode, code, err)
                self.assertIn(b"interrupted", err)
                self.assertEqual(litter(out_dir), [])
                # The write in progress was finished, never cut, and the
                # restored faces were never readable by others.
                for f in listing(out_dir):
                    self.assertTrue(png_complete(os.path.join(out_dir, f)), f)
                    self.assertEqual(os.stat(os.path.join(out_dir, f)).st_mode & 0o777, 0o600)

    def test_signal_during_detection_exits_at_once(self):
        photos = self.photos(("a.png", "b.png", "c.png"))
        out = self.p("prot")
        proc = subprocess.Popen([test_cli.FIIE, "encrypt", "-r", photos, "--out-dir", out, "-k",
                                 self.key], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 143, err)
        self.assertEqual(litter(self.tmp), [])
        for f in listing(out) if os.path.isdir(out) else []:
            self.assertTrue(png_complete(os.path.join(out, f)))

    # ---- re-running a batch is normal ---------------------------------------

    def test_second_run_skips_and_force_redoes(self):
        photos = self.photos(("a.png", "b.png"))
        # A protected image among the inputs, under another name.
        out = self.p("prot")
        rc, _, err = run("encrypt", "-r", photos, "--out-dir", out, "-k", self.key)
        self.assertEqual(rc, 0, err)
        shutil.copy(os.path.join(out, "a_fiie.png"), os.path.join(photos, "again.png"))
        mtimes = {f: os.stat(os.path.join(out, f)).st_mtime_ns for f in listing(out)}
        rc, stdout, err = run("encrypt", "-r", photos, "--out-dir", out, "-k", self.key, "--json")
        self.assertEqual(rc, 0, err)
        summary = json.loads(stdout)
        by = {os.path.basename(f["input"]): f for f in summary["files"]}
        self.assertEqual({k: v["status"] for k, v in by.items()},
                         {"a.png": "skipped", "b.png": "skipped", "again.png": "skipped"})
        self.assertIn("already protected", by["again.png"]["note"])
        self.assertIn("exists", by["a.png"]["note"])
        self.assertEqual(summary["summary"]["skipped"], 3)
        self.assertEqual(summary["summary"]["failed"], 0)
        self.assertEqual(summary["exit_status"], 0)
        self.assertRegex(err, r"3 files: 0 done \(0 faces\), 3 skipped, 0 without faces, 0 errors")
        self.assertEqual({f: os.stat(os.path.join(out, f)).st_mtime_ns for f in listing(out)},
                         mtimes)
        # --force redoes the existing outputs (a protected input stays skipped).
        rc, stdout, err = run("encrypt", "-r", photos, "--out-dir", out, "-k", self.key, "--json",
                              "--force")
        self.assertEqual(rc, 0, err)
        statuses = {os.path.basename(f["input"]): f["status"] for f in json.loads(stdout)["files"]}
        self.assertEqual(statuses, {"a.png": "ok", "b.png": "ok", "again.png": "skipped"})
        # An explicit -o of an existing file stays an error.
        rc, _, err = run("encrypt", os.path.join(photos, "a.png"), "-o",
                         os.path.join(out, "a_fiie.png"), "-k", self.key)
        self.assertEqual(rc, 1)
        self.assertIn("exists", err)
        # decrypt -r: a second run skips too; an unprotected PNG is skipped.
        shutil.copy(FACES, os.path.join(out, "plain.png"))
        back = self.p("back")
        rc, _, err = run("decrypt", "-r", out, "--out-dir", back, "-k", self.key)
        self.assertEqual(rc, 0, err)
        self.assertIn("plain.png: skipped: not a protected image", err)
        rc, stdout, err = run("decrypt", "-r", out, "--out-dir", back, "-k", self.key, "--json")
        self.assertEqual(rc, 0, err)
        s = json.loads(stdout)["summary"]
        self.assertEqual((s["ok"], s["skipped"]), (0, 3))
        self.assertEqual(litter(self.tmp), [])

    # ---- a batch round-trips as a whole ---------------------------------------

    def test_allow_empty_batch_round_trip_and_names(self):
        photos = self.photos(("photo.png",))
        self.flat(os.path.join(photos, "flat.png"))
        os.makedirs(os.path.join(photos, "sub"))
        shutil.copy(FACES, os.path.join(photos, "sub", "deep.png"))
        prot, back = self.p("prot"), self.p("back")
        rc, _, err = run("encrypt", "-r", photos, "--out-dir", prot, "-k", self.key, "--allow-empty")
        self.assertEqual(rc, 0, err)
        self.assertEqual(listing(prot), ["flat_fiie.png", "photo_fiie.png", "sub/deep_fiie.png"])
        self.assertIn(b"fiNF", chunk_types(os.path.join(prot, "flat_fiie.png")))
        rc, stdout, err = run("decrypt", "-r", prot, "--out-dir", back, "-k", self.key, "--json")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(stdout)["summary"]["ok"], 3)
        # Names without stacked suffixes, every file restored exactly.
        self.assertEqual(listing(back), ["flat.png", "photo.png", "sub/deep.png"])
        for name in listing(back):
            self.assertEqual(png_decode(os.path.join(back, name))[3],
                             png_decode(os.path.join(photos, name))[3], name)
            self.assertEqual(os.stat(os.path.join(back, name)).st_mode & 0o777, 0o600, name)
        # A protected PNG that lost its chunk is no "no-face copy".
        stripped = self.p("stripped_fiie.png")
        data = b"".join([read_bytes(os.path.join(prot, "photo_fiie.png"))[:8]] +
                        [chunk(t, d) for t, d in png_chunks(read_bytes(os.path.join(prot, "photo_fiie.png")))
                         if t != b"fiIE"])
        with open(stripped, "wb") as f:
            f.write(data)
        rc, _, err = run("decrypt", stripped, self.p("x.png"), "-k", self.key)
        self.assertEqual(rc, 1)
        self.assertIn("no fiIE header", err)
        self.assertIn("sidecar", err)
        # Next to the input, NAME_fiie.png gives NAME.png; an explicit
        # --suffix is used as given.
        rc, _, err = run("decrypt", os.path.join(prot, "photo_fiie.png"), "-k", self.key)
        self.assertEqual(rc, 0, err)
        self.assertTrue(os.path.exists(os.path.join(prot, "photo.png")))
        rc, _, err = run("decrypt", os.path.join(prot, "photo_fiie.png"), "-k", self.key,
                         "--suffix", "_x.png")
        self.assertEqual(rc, 0, err)
        self.assertTrue(os.path.exists(os.path.join(prot, "photo_fiie_x.png")))

    # ---- the preview shows what will be protected ------------------------------

    def test_dry_run_draws_exactly_the_encrypted_pixels(self):
        preview, prot = self.p("preview.png"), self.p("prot.png")
        rc, _, err = run("encrypt", "--dry-run", "--draw", preview, FACES, prot)
        self.assertEqual(rc, 0, err)
        self.assertFalse(os.path.exists(prot))           # nothing but the preview
        self.assertEqual(sorted(os.listdir(self.tmp)), ["k.key", "preview.png"])
        m = re.search(r"(\d+) faces?, (\d+) pixels would be protected", err)
        self.assertIsNotNone(m, err)
        faces, pixels = int(m.group(1)), int(m.group(2))
        rc, _, err = run("encrypt", FACES, prot, "-k", self.key)
        self.assertEqual(rc, 0, err)
        self.assertIn("%d face%s, %d pixels protected" % (faces, "" if faces == 1 else "s", pixels),
                      err)
        orig = png_decode(FACES)[3]
        drawn, enc = png_decode(preview)[3], png_decode(prot)[3]
        changed_drawn = {i // 3 for i in range(len(orig)) if drawn[i] != orig[i]}
        changed_enc = {i // 3 for i in range(len(orig)) if enc[i] != orig[i]}
        self.assertEqual(len(changed_enc), pixels)
        self.assertEqual(changed_drawn, changed_enc)
        # detect with encrypt's preset finds the faces encrypt protects.
        rc, out, err = run("detect", FACES, "--preset", "high-recall")
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(json.loads(out)["faces"]), faces)
        rc, _, err = run("detect", FACES, "--preset", "slow")
        self.assertEqual(rc, 64)
        self.assertIn("high-recall", err)
        rc, _, err = run("encrypt", "--draw", preview, FACES, prot, "-k", self.key)
        self.assertEqual(rc, 64)                          # --draw needs --dry-run

    # ---- no silent loss ------------------------------------------------------

    def test_inputs_that_would_lose_something(self):
        d = self.p("in")
        os.makedirs(d)
        webp = os.path.join(d, "x.webp")
        with open(webp, "wb") as f:
            f.write(b"RIFF\x24\0\0\0WEBPVP8 " + bytes(40))
        rc, _, err = run("encrypt", webp, self.p("o.png"), "-k", self.key)
        self.assertEqual(rc, 1)
        self.assertIn("Unsupported format: WebP", err)
        rc, _, err = run("detect", webp)
        self.assertEqual(rc, 1)
        self.assertIn("Unsupported format: WebP", err)
        # 16-bit: refused, naming the flag; accepted with it.
        w, h = 32, 24
        deep = os.path.join(d, "deep.png")
        write_png(deep, w, h, 16, 2, b"".join(b"\0" + bytes(range(w * 6)) for _ in range(h)))
        rc, _, err = run("encrypt", deep, self.p("d.png"), "-k", self.key, "--regions", "rect:0,0,8,8")
        self.assertEqual(rc, 1)
        self.assertIn("16-bit", err)
        self.assertIn("--allow-8bit", err)
        self.assertFalse(os.path.exists(self.p("d.png")))
        rc, _, err = run("encrypt", deep, self.p("d.png"), "-k", self.key, "--regions",
                         "rect:0,0,8,8", "--allow-8bit")
        self.assertEqual(rc, 0, err)
        # Grey: converted, with a warning.
        grey = os.path.join(d, "grey.png")
        self.flat(grey, grey=True)
        rc, _, err = run("encrypt", grey, self.p("g.png"), "-k", self.key, "--regions", "rect:0,0,8,8")
        self.assertEqual(rc, 0, err)
        self.assertIn("warning: grey image", err)
        # ICC: kept in the protected PNG and in the restored one.
        icc = struct.pack(">I", 400) + bytes(i % 256 for i in range(396))
        w, h, ch, px = png_decode(FACES)
        rows = b"".join(b"\0" + px[y * w * 3:(y + 1) * w * 3] for y in range(h))
        withicc = os.path.join(d, "icc.png")
        write_png(withicc, w, h, 8, 2, rows,
                  extra=[(b"iCCP", b"sRGB-ish\0\0" + zlib.compress(icc))])
        rc, _, err = run("encrypt", withicc, self.p("i.png"), "-k", self.key)
        self.assertEqual(rc, 0, err)
        self.assertEqual(icc_of(self.p("i.png")), icc)
        rc, _, err = run("decrypt", self.p("i.png"), self.p("i_back.png"), "-k", self.key)
        self.assertEqual(rc, 0, err)
        self.assertEqual(icc_of(self.p("i_back.png")), icc)
        self.assertEqual(png_decode(self.p("i_back.png"))[3], px)

    # ---- keys as people handle them ---------------------------------------------

    def test_keys_from_stdin_crlf_and_mismatches(self):
        prot = self.p("p.png")
        with open(self.key) as f:
            hexkey = f.read().strip()
        crlf = self.p("crlf.key")
        with open(crlf, "w", newline="") as f:
            f.write("  " + hexkey + " \r\n\r\n")
        os.chmod(crlf, 0o600)
        rc, _, err = run("encrypt", FACES, prot, "-k", crlf)
        self.assertEqual(rc, 0, err)
        self.assertNotIn("warning", err)
        p = subprocess.run([test_cli.FIIE, "decrypt", prot, self.p("back.png"), "-k", "-"],
                           input=hexkey + "\n", capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(png_decode(self.p("back.png"))[3], png_decode(FACES)[3])
        # passphrase from stdin; a passphrase file others can read is warned about
        pp = subprocess.run([test_cli.FIIE, "encrypt", FACES, self.p("pp.png"),
                             "--passphrase-file", "-"], input="secret words\r\n",
                            capture_output=True, text=True, timeout=120)
        self.assertEqual(pp.returncode, 0, pp.stderr)
        pw = self.p("pw.txt")
        with open(pw, "w") as f:
            f.write("secret words\n")
        os.chmod(pw, 0o644)
        rc, _, err = run("decrypt", self.p("pp.png"), self.p("pp_back.png"), "-p", pw)
        self.assertEqual(rc, 0, err)
        self.assertIn("passphrase file %s is accessible by other users" % pw, err)
        # the wrong kind of key says what the file needs
        rc, _, err = run("decrypt", self.p("pp.png"), self.p("x.png"), "-k", self.key)
        self.assertEqual(rc, 1)
        self.assertIn("protected with a passphrase, not a key file: pass --passphrase-file", err)
        rc, _, err = run("decrypt", prot, self.p("x.png"), "-p", pw)
        self.assertEqual(rc, 1)
        self.assertIn("protected with a key file, not a passphrase: pass --key-file", err)
        rc, _, err = run("encrypt", FACES, self.p("paper.png"), "--paper", "0.3,3.99")
        self.assertEqual(rc, 0, err)
        rc, _, err = run("decrypt", self.p("paper.png"), self.p("x.png"), "-k", self.key)
        self.assertEqual(rc, 1)
        self.assertIn("encrypted in paper mode: pass --paper X0,MU", err)
        self.assertFalse(os.path.exists(self.p("x.png")))
        # --passphrase needs a terminal
        p = subprocess.run([test_cli.FIIE, "encrypt", FACES, self.p("t.png"), "--passphrase"],
                           capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                           start_new_session=True)
        self.assertEqual(p.returncode, 1)
        self.assertIn("needs a terminal", p.stderr)

    def on_terminal(self, args, answers):
        """Run fiie on a pseudo-terminal, answering each prompt; returns
        (exit status, everything the terminal showed)."""
        pid, fd = pty.fork()
        if pid == 0:
            os.execv(test_cli.FIIE, [test_cli.FIIE] + args)
        shown = b""
        answers = list(answers)
        while True:
            r, _, _ = select.select([fd], [], [], 60)
            if not r:
                break
            try:
                data = os.read(fd, 4096)
            except OSError:
                break
            if not data:
                break
            shown += data
            if answers and shown.rstrip().endswith(b":"):
                time.sleep(0.1)  # a person takes a moment to type
                os.write(fd, answers.pop(0).encode() + b"\n")
                shown += b"\n"
        done, status = os.waitpid(pid, os.WNOHANG)
        if done == 0:
            os.kill(pid, signal.SIGKILL)  # never hang the suite
            _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status), shown.decode(errors="replace")

    def test_passphrase_prompt_without_echo(self):
        prot = self.p("t.png")
        rc, shown = self.on_terminal(["encrypt", FACES, prot, "--passphrase"], ["one", "two"])
        self.assertEqual(rc, 1, shown)
        self.assertIn("differ", shown)
        self.assertFalse(os.path.exists(prot))
        rc, shown = self.on_terminal(["encrypt", FACES, prot, "--passphrase"],
                                     ["tty secret", "tty secret"])
        self.assertEqual(rc, 0, shown)
        self.assertEqual(shown.count("assphrase:"), 2)
        self.assertNotIn("tty secret", shown)            # never echoed
        rc, shown = self.on_terminal(["decrypt", prot, self.p("t_back.png"), "--passphrase"],
                                     ["tty secret"])
        self.assertEqual(rc, 0, shown)
        self.assertEqual(shown.count("assphrase:"), 1)

    # ---- keep the protection attached ----------------------------------------

    def test_sidecar_keeps_the_header(self):
        prot = self.p("photo_fiie.png")
        rc, _, err = run("encrypt", FACES, prot, "-k", self.key, "--sidecar")
        self.assertEqual(rc, 0, err)
        side = self.p("photo_fiie.fiie")
        header = dict(png_chunks(read_bytes(prot)))[b"fiIE"]
        self.assertEqual(read_bytes(side), header)
        # Another program re-saves the PNG and drops the chunk.
        data = read_bytes(prot)
        with open(prot, "wb") as f:
            f.write(data[:8] + b"".join(chunk(t, d) for t, d in png_chunks(data) if t != b"fiIE"))
        rc, _, err = run("decrypt", prot, self.p("back.png"), "-k", self.key)
        self.assertEqual(rc, 0, err)
        self.assertIn("sidecar", err)
        self.assertEqual(png_decode(self.p("back.png"))[3], png_decode(FACES)[3])
        os.unlink(side)
        rc, _, err = run("decrypt", prot, self.p("back2.png"), "-k", self.key)
        self.assertEqual(rc, 1)
        self.assertIn("no fiIE header in the PNG and no sidecar %s" % side, err)

    # ---- command-line details --------------------------------------------------

    def test_man_page_regions_example_and_grouped_flags(self):
        with open(os.path.join(SRC, "docs", "fiie.1")) as f:
            man = f.read()
        examples = re.findall(r"\-\-regions '([^']+)'", man.replace("\\-", "-"))
        self.assertTrue(examples, "no --regions example in the man page")
        for regions in examples:
            out = self.p("r.png")
            rc, _, err = run("encrypt", FACES, out, "-k", self.key, "--regions", regions, "-fq")
            self.assertEqual(rc, 0, (regions, err))
            self.assertEqual(err, "")                    # -q took effect
        photos = self.photos(("a.png",))
        rc, _, err = run("encrypt", "-rfq", photos, "--out-dir", self.p("o"), "-k", self.key)
        self.assertEqual(rc, 0, err)
        rc, _, err = run("encrypt", "-rx", photos, "-k", self.key)
        self.assertEqual(rc, 64)
        self.assertIn("unknown option -x", err)


if __name__ == "__main__":
    test_cli.FIIE = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
