"""fiie.distributed on real local Dask clusters (loopback only): worker
processes protect and restore generated folders; a worker is killed
mid-run; no key material travels; TLS; re-runs skip.

Bounded in time: each cluster call has a timeout and faulthandler dumps
the stacks of a test that hangs before meson's timeout ends it."""

import faulthandler
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import unittest

import fiie
from fiie import batch as B

try:
    import distributed
    from distributed import Client
except ImportError:  # pragma: no cover - CI installs python3-distributed
    distributed = None

import fiie.distributed as fd
from fiie.distributed import _cluster as fd_cluster

HERE = pathlib.Path(__file__).resolve().parent
DATA = pathlib.Path(os.environ.get("FIIE_TEST_DATA", HERE.parents[3] / "tests" / "data"))

needs_dask = unittest.skipIf(distributed is None, "python3-distributed not installed")

#: Longest a test may take (seconds) before its stacks are dumped and the
#: run ends (a test takes 5-60 s on a loaded 2-core machine; meson's
#: timeout of the whole file is 900 s).
TEST_SECONDS = 150


def local_cluster(n=2, **kw):
    """n worker processes, one thread each, loopback only, no dashboard:
    the cluster of ``--local n`` (quiet)."""
    return fd_cluster.local_cluster(n, silence_logs=50, **kw)


def crop_to_png(img, box, path):
    """Save the part (x, y, w, h) of an Image as a PNG (binding only)."""
    x, y, w, h = box
    ch = img.format.channels
    raw = img.tobytes()
    row = img.width * ch
    rows = b"".join(raw[(y + r) * row + x * ch:(y + r) * row + (x + w) * ch] for r in range(h))
    with fiie.Image.from_buffer(bytearray(rows), w, h, img.format) as part:
        part.save_png(path)


def make_folder(root, n_faces=22, no_face=True):
    """A folder tree of generated images: crops around the faces of the
    composed test photo (two crops per face, in two sub-folders) and one
    crop without a face. Returns the paths."""
    gt = json.loads((DATA / "images" / "faces_1280x720_gt.json").read_text())
    paths = []
    with fiie.Image.open(DATA / "images" / "faces_1280x720.png") as img:
        for i in range(n_faces):
            x1, y1, x2, y2 = gt[i % len(gt)]
            fw, fh = x2 - x1, y2 - y1
            margin = 1.0 + 0.5 * (i // len(gt))
            cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
            w = int(min(img.width, fw * (1 + 2 * margin)))
            h = int(min(img.height, fh * (1 + 2 * margin)))
            x = int(min(max(0, cx - w / 2), img.width - w))
            y = int(min(max(0, cy - h / 2), img.height - h))
            sub = pathlib.Path(root) / ("set%d" % (i % 2))
            sub.mkdir(parents=True, exist_ok=True)
            p = sub / ("face%02d.png" % i)
            crop_to_png(img, (x, y, w, h), p)
            paths.append(p)
    if no_face:
        with fiie.Image.open(DATA / "images" / "coffee.png") as img:
            p = pathlib.Path(root) / "set0" / "cup.png"
            crop_to_png(img, (0, 0, 96, 96), p)
            paths.append(p)
    return paths


def write_key(path, raw):
    pathlib.Path(path).write_text(raw.hex() + "\n")
    os.chmod(path, 0o600)
    return str(path)


def same_pixels(a, b):
    with fiie.Image.open(a) as x, fiie.Image.open(b) as y:
        return (x.width, x.height, x.format, x.tobytes()) == (y.width, y.height, y.format,
                                                              y.tobytes())


def leftovers(root):
    """Temporary files anywhere below root."""
    return [p for p in pathlib.Path(root).rglob("*") if p.name.endswith(".tmp")]


def bound(test):
    """End the whole run with the stacks of every thread if ``test``
    takes longer than TEST_SECONDS (a hung cluster never hangs CI)."""
    faulthandler.dump_traceback_later(TEST_SECONDS, exit=True)
    test.addCleanup(faulthandler.cancel_dump_traceback_later)


class ClusterCase(unittest.TestCase):
    n_workers = 2

    @classmethod
    def setUpClass(cls):
        faulthandler.dump_traceback_later(TEST_SECONDS, exit=True)
        cls.cluster = local_cluster(cls.n_workers)
        cls.client = Client(cls.cluster, timeout=60)
        cls.client.wait_for_workers(cls.n_workers, timeout=60)
        faulthandler.cancel_dump_traceback_later()

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.cluster.close()

    def setUp(self):
        bound(self)
        self.tmp = tempfile.TemporaryDirectory()
        self.d = pathlib.Path(self.tmp.name)
        self.key = os.urandom(32)
        self.key_file = write_key(self.d / "archive.key", self.key)

    def tearDown(self):
        self.tmp.cleanup()


@needs_dask
class TestFolders(ClusterCase):
    def test_folder_round_trip_bit_exact_and_reruns_skip(self):
        src = self.d / "photos"
        paths = make_folder(src)
        self.assertGreaterEqual(len(paths), 20)
        # The peer: the binding's detector with encrypt's preset, here.
        with fiie.Detector.high_recall() as det:
            expected_faces = {}
            for p in paths:
                with fiie.Image.open(p) as img:
                    expected_faces[str(p)] = len(det.detect(img))
        self.assertGreaterEqual(sum(1 for n in expected_faces.values() if n), 20)
        prot = self.d / "protected"
        seen = []
        s = fd.encrypt([str(src)], recursive=True, out_dir=str(prot), key_file=self.key_file,
                       allow_empty=True, client=self.client, on_result=seen.append)
        self.assertEqual(s.exit_status, B.EXIT_OK, [r.message for r in seen])
        self.assertEqual(s.counts[B.OK], len(paths))
        self.assertEqual([r.index for r in seen], list(range(len(paths))))  # input order
        for r in seen:
            self.assertEqual(r.faces, expected_faces[r.input], r.input)
            rel = os.path.relpath(r.input, src)
            self.assertEqual(r.output, str(prot / (rel[:-4] + "_fiie.png")))
            self.assertTrue(os.path.isfile(r.output))
            if r.faces:
                self.assertGreater(r.pixels, 0)
                self.assertFalse(same_pixels(r.input, r.output))  # faces changed
        self.assertEqual(leftovers(self.d), [])
        # the copy of the image without faces is marked as the tool marks it
        self.assertTrue(B.is_noface_copy(prot / "set0" / "cup_fiie.png"))

        # decrypt: STEM_fiie.png -> STEM.png, bit-exact, the empty copy too
        restored = self.d / "restored"
        back = []
        s2 = fd.decrypt([str(prot)], recursive=True, out_dir=str(restored),
                        key_file=self.key_file, client=self.client, on_result=back.append)
        self.assertEqual(s2.exit_status, B.EXIT_OK, [r.message for r in back])
        self.assertEqual(s2.counts[B.OK], len(paths))
        for p in paths:
            out = restored / p.relative_to(src)
            self.assertTrue(same_pixels(p, out), str(p))
            self.assertEqual(out.stat().st_mode & 0o077, 0)  # restored faces: owner only

        # re-runs skip everything and rewrite nothing
        mtimes = {p: p.stat().st_mtime_ns for p in prot.rglob("*.png")}
        again = fd.encrypt([str(src)], recursive=True, out_dir=str(prot), key_file=self.key_file,
                           allow_empty=True, client=self.client)
        self.assertEqual((again.counts[B.SKIPPED], again.files, again.exit_status),
                         (len(paths), len(paths), B.EXIT_OK))
        self.assertEqual(mtimes, {p: p.stat().st_mtime_ns for p in prot.rglob("*.png")})
        again = fd.decrypt([str(prot)], recursive=True, out_dir=str(restored),
                           key_file=self.key_file, client=self.client)
        self.assertEqual((again.counts[B.SKIPPED], again.exit_status), (len(paths), B.EXIT_OK))
        # --force redoes them
        forced = fd.decrypt([str(prot)], recursive=True, out_dir=str(restored),
                            key_file=self.key_file, client=self.client, force=True)
        self.assertEqual(forced.counts[B.OK], len(paths))

    def test_quick_files_are_grouped_into_fewer_tasks(self):
        from distributed import get_task_stream
        src = self.d / "photos"
        paths = make_folder(src, n_faces=39, no_face=False)
        # Any file is "quick" against a task length this long: after the
        # first tasks, files go in groups (here at most the window of 8).
        old = fd.AUTO_TASK_SECONDS
        fd.AUTO_TASK_SECONDS = 1e6
        self.addCleanup(setattr, fd, "AUTO_TASK_SECONDS", old)
        results = []
        with get_task_stream(client=self.client) as ts:
            s = fd.encrypt([str(src)], recursive=True, out_dir=str(self.d / "out"),
                           key_file=self.key_file, client=self.client, window=8,
                           regions=[("rect", 0, 0, 8, 8)], on_result=results.append)
        self.assertEqual(s.counts[B.OK], len(paths), [r.message for r in results])
        self.assertEqual([r.index for r in results], list(range(len(paths))))
        # Task keys end with the index of their first file.
        firsts = sorted(int(str(t["key"]).rsplit("-", 1)[1]) for t in ts.data
                        if str(t["key"]).startswith("fiie-"))
        sizes = [b - a for a, b in zip(firsts, firsts[1:] + [len(paths)])]
        self.assertEqual(sizes[:4], [1, 1, 1, 1])   # one file each until measured
        self.assertGreaterEqual(max(sizes), 3, sizes)
        self.assertLessEqual(max(sizes), 8, sizes)

    def test_a_failing_file_fails_alone(self):
        src = self.d / "mixed"
        paths = make_folder(src, n_faces=3)
        (src / "set1" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
        # an input that already is a protected image: skipped with a note
        prot_in = src / "set1" / "old_copy.png"
        with fiie.Image.open(paths[0]) as img, fiie.Key.generate() as k:
            header = fiie.encrypt(img, [("rect", 0, 0, 8, 8)], k)
            fiie.save_protected_png(img, header, prot_in)
        out = self.d / "out"
        results = {}
        s = fd.encrypt([str(src)], recursive=True, out_dir=str(out), key_file=self.key_file,
                       client=self.client, on_result=lambda r: results.update({r.input: r}))
        status = {os.path.basename(k): r.status for k, r in results.items()}
        self.assertEqual(status, {"face00.png": B.OK, "face01.png": B.OK, "face02.png": B.OK,
                                  "cup.png": B.NO_FACE, "broken.png": B.ERROR,
                                  "old_copy.png": B.SKIPPED})
        self.assertEqual(s.exit_status, B.EXIT_FAIL)
        self.assertIn("cannot read image", results[str(src / "set1" / "broken.png")].message)
        self.assertIn("already protected", results[str(prot_in)].message)
        self.assertEqual(sorted(p.name for p in out.rglob("*.png")),
                         ["face00_fiie.png", "face01_fiie.png", "face02_fiie.png"])
        # decrypting with the wrong key: authentication failures, nothing written
        wrong = write_key(self.d / "wrong.key", os.urandom(32))
        s = fd.decrypt([str(out)], recursive=True, out_dir=str(self.d / "dec"), key_file=wrong,
                       client=self.client)
        self.assertEqual((s.counts[B.AUTH_FAILED], s.exit_status), (3, B.EXIT_AUTH))
        self.assertFalse((self.d / "dec").exists() and any((self.d / "dec").rglob("*.png")))
        # a passphrase for key-file images: says so, and what to pass
        pw = self.d / "pw.txt"
        pw.write_text("not the key\n")
        seen = []
        s = fd.decrypt([str(out)], recursive=True, out_dir=str(self.d / "dec"),
                       passphrase_file=str(pw), client=self.client, on_result=seen.append)
        self.assertEqual((s.counts[B.ERROR], s.exit_status), (3, B.EXIT_FAIL))
        self.assertTrue(all("protected with a key file, not a passphrase (use --key-file)"
                            in r.message for r in seen), [r.message for r in seen])

    def test_sidecar_restores_a_resaved_output(self):
        src = self.d / "src"
        paths = make_folder(src, n_faces=2, no_face=False)
        out = self.d / "out"
        s = fd.encrypt([str(src)], recursive=True, out_dir=str(out), key_file=self.key_file,
                       sidecar=True, client=self.client)
        self.assertEqual(s.counts[B.OK], 2)
        sidecars = sorted(p.name for p in out.rglob("*.fiie"))
        self.assertEqual(sidecars, ["face00_fiie.fiie", "face01_fiie.fiie"])
        # Another program re-saves the outputs: the fiIE chunk is gone.
        for p in out.rglob("*_fiie.png"):
            with fiie.Image.open(p) as img:
                img.save_png(p, overwrite=True)
            with self.assertRaises(fiie.NotFoundError):
                fiie.read_png_chunk(p, "fiIE")
        s = fd.decrypt([str(out)], recursive=True, out_dir=str(self.d / "dec"),
                       key_file=self.key_file, client=self.client)
        self.assertEqual(s.counts[B.OK], 2)
        for p in paths:
            self.assertTrue(same_pixels(p, self.d / "dec" / p.relative_to(src)))

    def test_no_key_material_travels(self):
        from fiie_test_plugins import CaptureScheduler, CaptureWorker
        self.client.register_scheduler_plugin(CaptureScheduler(), name="fiie-test-capture")
        self.client.register_worker_plugin(CaptureWorker(), name="fiie-test-capture")
        try:
            src = self.d / "src"
            make_folder(src, n_faces=4, no_face=False)
            pw = b"correct horse battery staple 4096"
            pw_file = self.d / "pass.txt"
            pw_file.write_bytes(pw + b"\n")
            results = []
            runs = [
                fd.encrypt([str(src)], recursive=True, out_dir=str(self.d / "k"),
                           key_file=self.key_file, client=self.client, on_result=results.append),
                fd.encrypt([str(src)], recursive=True, out_dir=str(self.d / "p"),
                           passphrase_file=str(pw_file), client=self.client,
                           on_result=results.append),
                fd.decrypt([str(self.d / "p")], recursive=True, out_dir=str(self.d / "pd"),
                           passphrase_file=str(pw_file), client=self.client,
                           on_result=results.append),
            ]
            self.assertEqual([r.exit_status for r in runs], [0, 0, 0])
            blobs = self.client.run_on_scheduler(
                lambda dask_scheduler: dask_scheduler.plugins["fiie-test-capture"].blobs)
            for b in self.client.run(
                    lambda dask_worker: dask_worker.plugins["fiie-test-capture"].blobs).values():
                blobs += b
            import pickle
            blobs.append(pickle.dumps(results))
            blobs.append(pickle.dumps(runs))
            # Every derived key: one per worker process that encrypted.
            derived = set()
            for p in (self.d / "p").rglob("*.png"):
                _, header = fiie.load_protected_png(p)
                with fiie.Key.from_header_passphrase(header, pw) as k:
                    raw = k.to_bytes()  # a bytearray the binding can wipe
                    derived.add(bytes(raw))
                    raw[:] = bytes(len(raw))
            self.assertGreaterEqual(len(derived), 1)
            secrets = [self.key, pw] + sorted(derived)
            needles = []
            for s in secrets:
                needles += [s, s.hex().encode(), s.hex().upper().encode()]
            everything = b"".join(blobs)
            # The capture works: the task specs name the key file.
            self.assertIn(os.fsencode(self.key_file), everything)
            self.assertIn(os.fsencode(str(pw_file)), everything)
            self.assertGreater(len(blobs), 12)
            for i, n in enumerate(needles):
                self.assertFalse(n in everything, "secret %d of %d travelled" % (i, len(needles)))
        finally:
            self.client.unregister_worker_plugin("fiie-test-capture")

    def test_command_line_json_and_exit_status(self):
        src = self.d / "cli"
        paths = make_folder(src, n_faces=3)
        out = self.d / "cli_out"
        env = dict(os.environ)
        cmd = [sys.executable, "-m", "fiie.distributed", "encrypt", "-r", str(src),
               "--out-dir", str(out), "-k", self.key_file, "--scheduler",
               self.cluster.scheduler_address, "--json"]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
        self.assertEqual(p.returncode, B.EXIT_NOFACE, p.stderr)  # cup.png has no face
        doc = json.loads(p.stdout)
        self.assertEqual(doc["command"], "encrypt")
        self.assertEqual([f["input"] for f in doc["files"]],
                         [str(src / "set0" / "cup.png"), str(src / "set0" / "face00.png"),
                          str(src / "set0" / "face02.png"), str(src / "set1" / "face01.png")])
        self.assertEqual(doc["summary"]["ok"], 3)
        self.assertEqual(doc["summary"]["no_face"], 1)
        self.assertEqual(doc["exit_status"], B.EXIT_NOFACE)
        self.assertIn("3 done", p.stderr)
        # a re-run: everything written is skipped, exit 2 for the faceless
        # one only; on a terminal, a progress line
        import pty
        master, slave = pty.openpty()
        try:
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=slave, text=True,
                               timeout=120, env=env)
            os.close(slave)
            slave = None
            terminal = b""
            while True:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: the other side is closed
                    break
                if not chunk:
                    break
                terminal += chunk
        finally:
            os.close(master)
            if slave is not None:
                os.close(slave)
        doc = json.loads(p.stdout)
        self.assertEqual((doc["summary"]["skipped"], doc["summary"]["ok"]), (3, 0))
        self.assertRegex(terminal.decode(), r"\r\d+ files: 0 done, \d skipped, \d failed, "
                                            r"[0-9.]+ files/s")
        # usage errors: 64
        p = subprocess.run(cmd[:4] + ["--local", "0", "-k", self.key_file], capture_output=True,
                           text=True, timeout=60, env=env)
        self.assertEqual(p.returncode, B.EXIT_USAGE, p.stderr)
        self.assertEqual(len(paths), 4)


@needs_dask
class TestWorkerKilled(ClusterCase):
    def kill_twice(self, start_nth, end_nth):
        """One worker dies as its start_nth task starts, one right after
        its end_nth task wrote its output(s) but before the result went out."""
        from fiie_test_plugins import KillOnce
        markers = self.d / "killed-at-start", self.d / "killed-after-write"
        plugins = KillOnce(str(markers[0]), "start", start_nth), \
            KillOnce(str(markers[1]), "end", end_nth)
        for p in plugins:
            self.client.register_worker_plugin(p, name=p.name)
            self.addCleanup(self.client.unregister_worker_plugin, p.name)
        return markers

    def test_killed_workers_with_several_files_per_task(self):
        markers = self.kill_twice(1, 2)
        src = self.d / "photos"
        paths = make_folder(src, n_faces=18, no_face=False)  # 6 tasks of 3
        results = []
        s = fd.encrypt([str(src)], recursive=True, out_dir=str(self.d / "out"),
                       key_file=self.key_file, client=self.client, batch_size=3,
                       on_result=results.append)
        self.assertTrue(all(m.exists() for m in markers), "no worker was killed")
        self.assertEqual((s.files, s.counts[B.OK]), (len(paths), len(paths)),
                         [r.message for r in results])
        # the files of the task that died after writing: recognised, all of them
        self.assertGreaterEqual(sum("already written by this run" in r.message
                                    for r in results), 3)
        self.assertEqual(leftovers(self.d), [])

    def test_killed_workers_cost_only_time(self):
        start_marker, end_marker = self.kill_twice(3, 4)
        src = self.d / "photos"
        paths = make_folder(src, n_faces=12)
        out = self.d / "out"
        results = []
        s = fd.encrypt([str(src)], recursive=True, out_dir=str(out), key_file=self.key_file,
                       allow_empty=True, client=self.client, on_result=results.append)
        self.assertTrue(start_marker.exists() and end_marker.exists(), "no worker was killed")
        self.assertEqual(s.exit_status, B.EXIT_OK, [r.message for r in results])
        self.assertEqual((s.files, s.counts[B.OK]), (len(paths), len(paths)))
        # The file whose output was written before its worker died was
        # recognised as this run's (decrypted and compared), not skipped.
        self.assertTrue(any("already written by this run" in r.message for r in results))
        self.assertEqual(leftovers(self.d), [])
        restored = self.d / "restored"
        s = fd.decrypt([str(out)], recursive=True, out_dir=str(restored), key_file=self.key_file,
                       client=self.client)
        self.assertEqual(s.counts[B.OK], len(paths))
        for p in paths:
            self.assertTrue(same_pixels(p, restored / p.relative_to(src)), str(p))


def make_certificates(d, name="fiie-test"):
    """A CA and a certificate for 127.0.0.1 / localhost signed by it."""
    import datetime
    import ipaddress
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.utcnow()

    def build(subject, issuer, public_key, signer, ca):
        b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
             .public_key(public_key).serial_number(x509.random_serial_number())
             .not_valid_before(now - datetime.timedelta(minutes=5))
             .not_valid_after(now + datetime.timedelta(days=1))
             .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if not ca:
            b = b.add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False).add_extension(x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                    critical=False)
        return b.sign(signer, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name + " CA")])
    ca = build(ca_name, ca_name, ca_key.public_key(), ca_key, True)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = build(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]), ca_name,
                 key.public_key(), ca_key, False)
    pem = serialization.Encoding.PEM
    files = {"ca": d / (name + "-ca.pem"), "cert": d / (name + ".pem"),
             "key": d / (name + ".key")}
    files["ca"].write_bytes(ca.public_bytes(pem))
    files["cert"].write_bytes(cert.public_bytes(pem))
    files["key"].write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    os.chmod(files["key"], 0o600)
    return {k: str(v) for k, v in files.items()}


@needs_dask
class TestLeanConfig(unittest.TestCase):
    def test_local_workers_and_the_documented_file_have_it(self):
        import dask
        import yaml
        bound(self)
        # The file docs/distributed.md gives for clusters started by hand.
        text = (HERE.parents[3] / "docs" / "distributed.md").read_text()
        block = text.split("```yaml\n", 1)[1].split("```", 1)[0]
        documented = {}

        def flatten(prefix, node):
            for k, v in node.items():
                if isinstance(v, dict):
                    flatten(prefix + k + ".", v)
                else:
                    documented[prefix + k] = v
        flatten("", yaml.safe_load(block))
        self.assertEqual(documented, fd.LEAN_CONFIG)
        # A --local cluster's scheduler and workers run with it; this
        # process's own configuration is left alone.
        before = {k: dask.config.get(k) for k in fd.LEAN_CONFIG}
        client, cluster = fd.connect(local=1)
        try:
            def settings():
                return {k: dask.config.get(k) for k in fd.LEAN_CONFIG}
            for got in client.run(settings).values():
                self.assertEqual(got, fd.LEAN_CONFIG)
            self.assertNotIn("stealing", cluster.scheduler.extensions)
        finally:
            client.close()
            cluster.close()
        self.assertEqual({k: dask.config.get(k) for k in fd.LEAN_CONFIG}, before)


@needs_dask
class TestTLS(unittest.TestCase):
    def test_tls_cluster(self):
        bound(self)
        with tempfile.TemporaryDirectory() as t:
            d = pathlib.Path(t)
            certs = make_certificates(d)
            other = make_certificates(d, "intruder")
            sec = fd.security(certs["ca"], certs["cert"], certs["key"])
            with local_cluster(1, protocol="tls://", security=sec) as cluster:
                address = cluster.scheduler_address
                self.assertTrue(address.startswith("tls://127.0.0.1:"), address)
                key_file = write_key(d / "k.key", os.urandom(32))
                src = d / "src"
                make_folder(src, n_faces=2, no_face=False)
                base = [sys.executable, "-m", "fiie.distributed", "encrypt", "-r", str(src),
                        "--out-dir", str(d / "out"), "-k", key_file, "--scheduler", address]
                p = subprocess.run(base + ["--tls-ca-file", certs["ca"], "--tls-cert",
                                           certs["cert"], "--tls-key", certs["key"], "--json"],
                                   capture_output=True, text=True, timeout=120)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertEqual(json.loads(p.stdout)["summary"]["ok"], 2)
                # A certificate from another CA is refused by the scheduler.
                p = subprocess.run(base + ["--tls-ca-file", other["ca"], "--tls-cert",
                                           other["cert"], "--tls-key", other["key"],
                                           "--connect-timeout", "5"],
                                   capture_output=True, text=True, timeout=120)
                self.assertEqual(p.returncode, B.EXIT_FAIL, p.stderr)
                self.assertIn("cannot reach the cluster", p.stderr)
                # Without TLS settings a tls:// scheduler is a usage error.
                p = subprocess.run(base, capture_output=True, text=True, timeout=60)
                self.assertEqual(p.returncode, B.EXIT_USAGE, p.stderr)
                # Through the Python API with a client of our own.
                with Client(address, security=sec, timeout=60) as client:
                    s = fd.decrypt([str(d / "out")], recursive=True, out_dir=str(d / "dec"),
                                   key_file=key_file, client=client)
                self.assertEqual(s.counts[B.OK], 2)
                for p in src.rglob("*.png"):
                    self.assertTrue(same_pixels(p, d / "dec" / p.relative_to(src)))


if __name__ == "__main__":
    unittest.main()
