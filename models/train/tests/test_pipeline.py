"""The training pipeline end to end on a tiny WIDER-format set made from
the project's test images (tests/data/images, annotations committed in
tests/data/tiny_bbx_gt.txt): every stage runs for a few iterations, the
result is exported and libfiie loads it and detects. Also: PyTorch vs
libfiie parity, crops identical to the cascade's, bad inputs, resume."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
TRAIN = os.path.dirname(HERE)
MODELS = os.path.dirname(TRAIN)
sys.path.insert(0, TRAIN)
sys.path.insert(0, MODELS)

import nets  # noqa: E402
import samples  # noqa: E402
from runlog import import_fiie  # noqa: E402

fiie = import_fiie()
SHIPPED = os.path.join(MODELS, "mtcnn.fiiem")
TINY = os.path.join(HERE, "data", "tiny_bbx_gt.txt")
IMAGES = os.environ.get("FIIE_TEST_DATA",
                        os.path.join(MODELS, "..", "tests", "data")) + "/images"
CLI = os.path.join(TRAIN, "fiie_train.py")
PARITY = 1e-4


def run_cli(*args, check=True):
    r = subprocess.run([sys.executable, CLI, "--quiet"] + [str(a) for a in args],
                       capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError("fiie_train %s failed:\n%s" % (" ".join(map(str, args)), r.stderr))
    return r


def torch_outputs(net_name, net, crops):
    """The net's raw outputs per crop as libfiie lays them out (HWC, the
    channels of the heads concatenated)."""
    x = torch.from_numpy(np.ascontiguousarray(crops.transpose(0, 3, 1, 2)))
    with torch.no_grad():
        out = net(x)
    if net_name == "pnet":
        return torch.cat(out, 1).permute(0, 2, 3, 1).numpy()
    return torch.cat(out, 1).numpy()[:, None, None, :]


class TestParity(unittest.TestCase):
    """PyTorch forward == libfiie forward (max abs diff <= 1e-4 on every
    output) on crops cut by libfiie, for the shipped weights and for
    randomly initialised (exported) ones."""

    @classmethod
    def setUpClass(cls):
        cls.img = fiie.Image.open(os.path.join(IMAGES, "faces_1280x720.png"))
        rng = np.random.default_rng(5)
        cls.windows = [(int(x), int(y), int(s), int(s)) for x, y, s in
                       zip(rng.integers(-20, 1200, 24), rng.integers(-20, 650, 24),
                           rng.integers(8, 300, 24))]
        cls.windows += [(970, 350, 200, 259), (31, 31, 24, 24), (0, 0, 12, 12), (1270, 710, 30, 30)]

    @classmethod
    def tearDownClass(cls):
        cls.img.close()

    def crops(self, size):
        return np.stack([fiie.crop_patch(self.img, *w, size) for w in self.windows])

    def check(self, model_bytes):
        tnets = nets.load_nets(model_bytes)
        with fiie.Model(data=model_bytes) as m:
            for name, size in nets.SIZES.items():
                crops = self.crops(size)
                ours = m.forward(name, crops)
                ref = torch_outputs(name, tnets[name], crops)
                self.assertEqual(ours.shape, ref.shape)
                diff = float(np.abs(ours - ref).max())
                self.assertLessEqual(diff, PARITY, "%s: max abs diff %g" % (name, diff))
            # P-Net on a larger input: a whole map
            big = fiie.crop_patch(self.img, 600, 380, 220, 200, 47)[None]
            ours = m.forward("pnet", big)
            ref = torch_outputs("pnet", tnets["pnet"], big)
            self.assertEqual(ours.shape, (1, 19, 19, 6))
            self.assertLessEqual(float(np.abs(ours - ref).max()), PARITY)

    def test_shipped(self):
        with open(SHIPPED, "rb") as f:
            self.check(f.read())

    def test_random_init(self):
        torch.manual_seed(3)
        self.check(nets.export_model({n: nets.new_net(n) for n in nets.SIZES}))

    def test_crop_is_the_cascade_crop(self):
        # The O-Net windows of the cascade, cropped and run through the
        # O-Net of libfiie, give back the final faces' scores.
        with fiie.Detector.high_recall() as det, fiie.Model() as m:
            faces = det.detect(self.img)
            wins = [w[1:] for w in det.windows(self.img) if w[0] == "onet"]
            self.assertGreater(len(wins), len(faces))
            crops = np.stack([fiie.crop_patch(self.img, *w[:4], 48) for w in wins])
            out = m.forward("onet", crops)[:, 0, 0, :]
        prob = torch.softmax(torch.from_numpy(out[:, :2]), 1)[:, 1].numpy()
        for f in faces:
            self.assertLess(float(np.min(np.abs(prob - f.score))), 1e-6)


class TestPipeline(unittest.TestCase):
    """Every stage on the tiny set: anno, samples, train, mine, export,
    detect with the result, eval-free (no WIDER data in CI)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def p(self, *parts):
        return os.path.join(self.tmp, *parts)

    def test_all_stages(self):
        run_cli("anno", "--wider", TINY, "--split", "all", "--out", self.p("anno_train.txt"))
        with open(self.p("anno_train.txt")) as f:
            self.assertEqual(len(f.read().splitlines()), 5)
        data = ["--wider", TINY, "--images", IMAGES, "--split", "all"]
        # P-Net from scratch
        run_cli("samples", "--net", "pnet", *data, "--out", self.p("s"))
        s12 = samples.SampleSet(self.p("s", "pnet"))
        self.assertEqual(s12.state["images_done"], 5)
        crops, labels, off = s12.load()
        self.assertEqual(crops.shape[1:], (12, 12, 3))
        self.assertTrue({0, 1, -1} <= set(labels.tolist()))
        self.assertTrue(np.all(np.abs(off[labels == 1]) < 0.5))
        run_cli("train", "--net", "pnet", "--samples", self.p("s", "pnet"), "--out", self.p("r12"),
                "--iters", 4, "--batch", 40, "--every", 2)
        run_cli("export", "--base", SHIPPED, "--pnet", self.p("r12", "net.pt"),
                "--out", self.p("m1.fiiem"))
        # R-Net on the windows of the cascade so far (new P-Net)
        run_cli("samples", "--net", "rnet", *data, "--model", self.p("m1.fiiem"),
                "--min-face", 40, "--factor", 0.6, "--thresholds", "0.3,0.3,0.3", "--out", self.p("s"))
        run_cli("train", "--net", "rnet", "--samples", self.p("s", "rnet"), "--out", self.p("r24"),
                "--iters", 3, "--batch", 40)
        run_cli("export", "--base", self.p("m1.fiiem"), "--rnet", self.p("r24", "net.pt"),
                "--out", self.p("m2.fiiem"))
        # O-Net, landmarks taught by the shipped O-Net
        run_cli("samples", "--net", "onet", *data, "--model", self.p("m2.fiiem"),
                "--min-face", 40, "--factor", 0.6, "--thresholds", "0.3,0.3,0.3", "--out", self.p("s"))
        run_cli("train", "--net", "onet", "--samples", self.p("s", "onet"), "--out", self.p("r48"),
                "--iters", 3, "--batch", 20, "--teacher", SHIPPED)
        run_cli("export", "--base", self.p("m2.fiiem"), "--onet", self.p("r48", "net.pt"),
                "--out", self.p("m3.fiiem"))
        with open(self.p("m3.fiiem"), "rb") as f:
            m3 = f.read()
        t = nets.load_nets(m3)
        with open(self.p("m2.fiiem"), "rb") as f:
            self.assertFalse(torch.equal(nets.load_nets(f.read())["onet"].fc6_1.weight,
                                         t["onet"].fc6_1.weight))
        # libfiie loads the result and detects (any number of faces)
        with fiie.Detector(self.p("m3.fiiem"), min_face=20) as det, \
                fiie.Image.open(os.path.join(IMAGES, "astronaut.png")) as img:
            faces = det.detect(img)
            self.assertIsInstance(faces, list)
        # the detect stage writes its JSON lines with that model
        run_cli("detect", *data, "--model", self.p("m3.fiiem"), "--out", self.p("d.jsonl"))
        with open(self.p("d.jsonl")) as f:
            self.assertEqual(len(f.read().splitlines()), 5)

    def test_shards_and_frozen_stages(self):
        # two shards share a stage: together they visit every image once
        data = ["--wider", TINY, "--images", IMAGES, "--split", "all"]
        for k in (0, 1):
            run_cli("samples", "--net", "rnet", *data, "--shard", "%d/2" % k,
                    "--min-face", 40, "--out", self.p("h%d" % k))
        done = [samples.SampleSet(self.p("h%d" % k, "rnet")).state["images_done"] for k in (0, 1)]
        self.assertEqual(done, [3, 2])
        # --freeze 2: conv1/conv2 stay the shipped ones, the rest learns
        run_cli("train", "--net", "rnet", "--samples", self.p("h0", "rnet"), self.p("h1", "rnet"),
                "--out", self.p("hz"), "--iters", 3, "--batch", 30, "--lr", "1e-2",
                "--init", SHIPPED, "--freeze", 2)
        with open(SHIPPED, "rb") as f:
            ref = nets.load_nets(f.read(), ("rnet",))["rnet"].state_dict()
        got = torch.load(self.p("hz", "net.pt"))["state"]
        for name in ("conv1.weight", "conv1.bias", "prelu1.weight", "conv2.weight",
                     "prelu2.weight"):
            self.assertTrue(torch.equal(ref[name], got[name]), name)
        self.assertFalse(torch.equal(ref["fc4.weight"], got["fc4.weight"]))
        # bad values name the problem and train nothing
        for bad in (["--freeze", "4"], ["--freeze", "-1"]):
            r = run_cli("train", "--net", "rnet", "--samples", self.p("h0", "rnet"),
                        "--out", self.p("hbad"), "--iters", 1, "--init", SHIPPED, *bad,
                        check=False)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("--freeze", r.stderr)
            self.assertFalse(os.path.exists(self.p("hbad", "net.pt")))
        r = run_cli("samples", "--net", "rnet", *data, "--shard", "2/2", "--out", self.p("hx"),
                    check=False)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--shard", r.stderr)

    def test_fine_tune_keeps_alignment(self):
        # O-Net fine-tuned from the shipped weights with the teacher: the
        # landmarks of the detected face stay within 2 % of the face size.
        data = ["--wider", TINY, "--images", IMAGES, "--split", "all"]
        run_cli("samples", "--net", "rnet,onet", *data, "--out", self.p("f"))
        for n in ("rnet", "onet"):
            st = samples.SampleSet(self.p("f", n)).state
            self.assertEqual(st["images_done"], 5)
            self.assertGreater(st["counts"][1], 10)
        run_cli("train", "--net", "onet", "--samples", self.p("f", "onet"), "--out", self.p("f48r"),
                "--iters", 5, "--batch", 40, "--lr", "1e-5", "--init", SHIPPED,
                "--teacher", SHIPPED)
        run_cli("export", "--base", SHIPPED, "--onet", self.p("f48r", "net.pt"),
                "--out", self.p("ft.fiiem"))
        with fiie.Image.open(os.path.join(IMAGES, "astronaut.png")) as img, \
                fiie.Detector(fiie.MODEL_MTCNN_ORIGINAL) as d0, \
                fiie.Detector(self.p("ft.fiiem")) as d1:
            f0, f1 = d0.detect(img), d1.detect(img)
            self.assertEqual(len(f0), 1)
            self.assertEqual(len(f1), 1)
            size = f0[0].width
            err = np.abs(np.array(f0[0].landmarks) - np.array(f1[0].landmarks)).max()
            self.assertLess(err, 0.02 * size)
            with f1[0].align(img) as a:
                self.assertEqual((a.width, a.height), (112, 112))

    def test_metadata_and_balanced_training(self):
        # the tiny set with WIDER attributes on some faces
        import wider
        entries = wider.parse_wider(TINY)
        big = entries[4]
        self.assertEqual(len(big.faces), 10)
        big.faces[3].attrs = (2, 0, 0, 0, 0, 0)  # heavy blur
        big.faces[5].attrs = (0, 1, 0, 0, 2, 1)  # heavy occlusion, atypical pose
        big.faces[7].attrs = (0, 0, 0, 1, 0, 0)  # invalid: never a positive
        gt = self.p("attrs_bbx_gt.txt")
        wider.write_wider(gt, entries)
        run_cli("samples", "--net", "rnet,onet", "--wider", gt, "--images", IMAGES, "--split",
                "all", "--out", self.p("m"))
        for n in ("rnet", "onet"):
            sset = samples.SampleSet(self.p("m", n))
            _, labels, off = sset.load()
            meta = sset.load_meta()
            self.assertEqual(len(meta), len(labels))
            neg = labels == samples.NEG
            self.assertTrue((meta[neg, 1] == -1).all())
            self.assertTrue((meta[neg, 2:8] == 0).all())
            self.assertTrue((meta[~neg, 1] >= 0).all())
            seen = set()
            for row, o in zip(meta[~neg], off[~neg]):
                e = entries[int(row[0])]
                fc = e.faces[int(row[1])]
                seen.add((int(row[0]), int(row[1])))
                self.assertFalse(fc.invalid)
                self.assertEqual(tuple(row[2:4]), (fc.w, fc.h))
                a = dict(zip(wider.ATTRIBUTES, fc.attrs))
                self.assertEqual(tuple(row[4:8]), (a["blur"], a["occlusion"], a["pose"],
                                                   a["invalid"]))
                # the offsets in list.txt are those of that face: the face's
                # size follows from them and the window's side
                ww, wh = row[8:10]
                self.assertAlmostEqual(ww * (1 + o[2] - o[0]), fc.w, delta=1e-4 * ww + 1e-3)
                self.assertAlmostEqual(wh * (1 + o[3] - o[1]), fc.h, delta=1e-4 * wh + 1e-3)
            self.assertIn((4, 3), seen)
            self.assertIn((4, 5), seen)
            self.assertNotIn((4, 7), seen)
        # training draws positives by face, attribute-weighted, with SGD
        run_cli("train", "--net", "onet", "--samples", self.p("m", "onet"),
                "--out", self.p("mb"), "--iters", 3, "--batch", 40, "--lr", "1e-3",
                "--init", SHIPPED, "--teacher", SHIPPED, "--freeze", 2, "--balance", "faces",
                "--attr-weight", 3, "--optim", "sgd", "--momentum", 0.9)
        with open(self.p("mb", "train.log")) as f:
            self.assertIn("positives drawn by face from", f.read())
        run_cli("export", "--base", SHIPPED, "--onet", self.p("mb", "net.pt"),
                "--out", self.p("mb.fiiem"))
        with fiie.Detector(self.p("mb.fiiem")) as d, \
                fiie.Image.open(os.path.join(IMAGES, "astronaut.png")) as img:
            self.assertIsInstance(d.detect(img), list)
        # resuming with another optimiser is refused
        r = run_cli("train", "--net", "onet", "--samples", self.p("m", "onet"), "--out",
                    self.p("mb"), "--iters", 4, "--init", SHIPPED, "--teacher", SHIPPED,
                    check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("--optim sgd", r.stderr)
        # bad values and sets without metadata stop before training
        old = samples.SampleSet(self.p("nometa"), 24, meta=False)
        old.open_append()
        old.begin_image()
        for lab in (samples.NEG, samples.POS, samples.PART):
            old.add(np.zeros((24, 24, 3)), lab, None if lab == samples.NEG else (0, 0, 0, 0))
        old.commit_image()
        old.close()
        rnet = ["train", "--net", "rnet", "--samples", self.p("m", "rnet"), "--out",
                self.p("mbad"), "--iters", 1, "--init", SHIPPED]
        for bad, msg in ((["--balance", "pixels"], "--balance"),
                         (["--balance", "faces", "--attr-weight", 0], "--attr-weight"),
                         (["--attr-weight", 2], "--attr-weight needs --balance"),
                         (["--optim", "rmsprop"], "--optim"),
                         (["--momentum", 0.9], "--momentum applies"),
                         (["--optim", "sgd", "--momentum", 1.5], "--momentum needs"),
                         (["--balance", "faces", "--samples", self.p("nometa")],
                          "no per-crop metadata")):
            r = run_cli(*rnet, *bad, check=False)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn(msg, r.stderr)
            self.assertFalse(os.path.exists(self.p("mbad", "net.pt")))
        # the same set still trains by crops
        run_cli(*rnet[:4], self.p("nometa"), *rnet[5:], "--batch", 6)
        self.assertTrue(os.path.exists(self.p("mbad", "net.pt")))

    def test_missing_and_undecodable_images_are_skipped(self):
        d = self.p("bad_images")
        os.makedirs(d, exist_ok=True)
        shutil.copy(os.path.join(IMAGES, "astronaut.png"), d)
        with open(os.path.join(d, "broken.png"), "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n not really")
        gt = os.path.join(d, "gt.txt")
        with open(gt, "w") as f:
            f.write("astronaut.png\n1\n179 59 89 115 0 0 0 0 0 0\n"
                    "missing.png\n1\n10 10 40 40 0 0 0 0 0 0\n"
                    "broken.png\n1\n10 10 40 40 0 0 0 0 0 0\n")
        r = run_cli("samples", "--net", "pnet", "--wider", gt, "--images", d, "--split", "all",
                    "--out", self.p("sb"))
        st = samples.SampleSet(self.p("sb", "pnet")).state
        self.assertEqual(st["images_done"], 3)
        self.assertEqual(sorted(st["skipped"]), ["broken.png", "missing.png"])
        with open(self.p("sb", "samples.log")) as f:
            log = f.read()
        self.assertIn("3 images done, 2 skipped", log)
        self.assertIn("missing.png", log)
        self.assertIn("broken.png", log)
        self.assertEqual(r.returncode, 0)

    def test_no_face_stops_before_work(self):
        gt = self.p("noface.txt")
        with open(gt, "w") as f:
            f.write("coffee.png\n0\n0 0 0 0 0 0 0 0 0 0\n")
        r = run_cli("samples", "--net", "pnet", "--wider", gt, "--images", IMAGES,
                    "--split", "all", "--out", self.p("snf"), check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no valid face", r.stderr)
        self.assertFalse(os.path.exists(self.p("snf", "pnet", "crops.f32")))

    def test_train_stops_on_inconsistent_samples(self):
        s = samples.SampleSet(self.p("onlyneg"), 24, meta=False)
        s.open_append()
        s.begin_image()
        s.add(np.zeros((24, 24, 3)), samples.NEG)
        s.commit_image()
        s.close()
        r = run_cli("train", "--net", "rnet", "--samples", self.p("onlyneg"), "--out",
                    self.p("rn"), check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no pos or part sample", r.stderr)
        self.assertFalse(os.path.exists(self.p("rn", "checkpoint.pt")))
        r = run_cli("train", "--net", "onet", "--samples", self.p("onlyneg"), "--out",
                    self.p("rn"), check=False)
        self.assertIn("holds 24x24 crops", r.stderr)

    def test_resume(self):
        data = ["--wider", TINY, "--images", IMAGES, "--split", "all"]
        run_cli("samples", "--net", "pnet", *data, "--limit-images", 2, "--out", self.p("sr"))
        self.assertEqual(samples.SampleSet(self.p("sr", "pnet")).state["images_done"], 2)
        run_cli("samples", "--net", "pnet", *data, "--out", self.p("sr"))
        resumed = samples.SampleSet(self.p("sr", "pnet")).load()
        run_cli("samples", "--net", "pnet", *data, "--out", self.p("sr1"))
        whole = samples.SampleSet(self.p("sr1", "pnet")).load()
        self.assertTrue(np.array_equal(resumed[1], whole[1]))
        self.assertTrue(np.array_equal(np.asarray(resumed[0]), np.asarray(whole[0])))
        # resuming over other images (another order) is refused
        run_cli("samples", "--net", "pnet", *data, "--shuffle", 3, "--limit-images", 2,
                "--out", self.p("sh"))
        r = run_cli("samples", "--net", "pnet", *data, "--out", self.p("sh"), check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("made from other images", r.stderr)
        run_cli("train", "--net", "pnet", "--samples", self.p("sr", "pnet"), "--out", self.p("tr"),
                "--iters", 4, "--batch", 20, "--every", 2)
        run_cli("train", "--net", "pnet", "--samples", self.p("sr", "pnet"), "--out", self.p("tr"),
                "--iters", 6, "--batch", 20, "--every", 2)
        with open(self.p("tr", "train.log")) as f:
            self.assertIn("resuming at iteration 4 of 6", f.read())


if __name__ == "__main__":
    unittest.main()
