"""Tests of the data side of the training pipeline: WIDER parser, split,
annotation list, MAT reader, evaluation, sample rules, sample sets and
the model file round trip. Needs numpy and torch (Debian python3-numpy,
python3-torch); no WIDER FACE data."""

import io
import os
import struct
import subprocess
import sys
import tempfile
import unittest
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TRAIN = os.path.dirname(HERE)
MODELS = os.path.dirname(TRAIN)
sys.path.insert(0, TRAIN)
sys.path.insert(0, MODELS)

import evaluate  # noqa: E402
import fiiem  # noqa: E402
import matv5  # noqa: E402
import samples  # noqa: E402
import wider  # noqa: E402

SHIPPED = os.path.join(MODELS, "mtcnn.fiiem")
TINY = os.path.join(HERE, "data", "tiny_bbx_gt.txt")
IMAGES = os.environ.get("FIIE_TEST_DATA",
                        os.path.join(MODELS, "..", "tests", "data")) + "/images"


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


class TempDir(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()


class TestSplit(unittest.TestCase):
    def test_rules(self):
        self.assertEqual([wider.split_of(i) for i in range(17)],
                         ["reserved", "train", "val", "train", "reserved", "train", "train", "train",
                          "reserved", "train", "train", "train", "reserved", "train", "train",
                          "train", "reserved"])
        self.assertEqual(wider.split_of(18), "val")
        self.assertEqual(wider.split_of(34), "val")
        self.assertEqual(wider.split_of(6), "train")  # 6 % 16 != 2

    def test_shares_and_disjoint(self):
        n = 3226
        sets = {s: {i for i in range(n) if wider.split_of(i) == s} for s in wider.SPLITS}
        self.assertEqual(sum(len(v) for v in sets.values()), n)
        self.assertFalse(sets["train"] & sets["val"] or sets["train"] & sets["reserved"])
        self.assertEqual(len(sets["reserved"]), 807)
        self.assertEqual(len(sets["val"]), 202)
        self.assertTrue(all(i % 4 != 0 for i in sets["train"] | sets["val"]))

    def test_bad(self):
        with self.assertRaises(ValueError):
            wider.split_of(-1)
        with self.assertRaises(ValueError):
            wider.select([], "test")


class TestWiderParser(TempDir):
    def test_tiny(self):
        es = wider.parse_wider(TINY)
        self.assertEqual([e.path for e in es], ["astronaut.png", "camera.png", "coffee.png",
                                                "faces_640x480.png", "faces_1280x720.png"])
        self.assertEqual([len(e.faces) for e in es], [1, 1, 0, 1, 10])
        self.assertEqual(es[0].faces[0].corners(), (179, 59, 268, 174))
        self.assertEqual([e.index for e in es], list(range(5)))
        self.assertEqual([e.path for e in wider.select(es, "val")], ["coffee.png"])

    def test_round_trip(self):
        es = wider.parse_wider(TINY)
        p = os.path.join(self.tmp, "x.txt")
        wider.write_wider(p, es)
        es2 = wider.parse_wider(p)
        self.assertEqual([(e.path, [f.corners() + f.attrs for f in e.faces]) for e in es],
                         [(e.path, [f.corners() + f.attrs for f in e.faces]) for e in es2])

    def assertBad(self, text, line, what):
        p = os.path.join(self.tmp, "bad.txt")
        write(p, text)
        with self.assertRaises(wider.FormatError) as cm:
            wider.parse_wider(p)
        msg = str(cm.exception)
        self.assertIn("%s:%d" % (p, line), msg)
        self.assertIn(what, msg)

    def test_errors_name_file_and_line(self):
        ok = "a.jpg\n1\n1 2 3 4 0 0 0 0 0 0\n"
        self.assertBad(ok + "b.jpg\nx\n", 5, "face count")
        self.assertBad(ok + "b.jpg\n2\n1 2 3 4 0 0 0 0 0 0\n", 7, "file ends")
        self.assertBad(ok + "b.jpg\n1\n1 2 3\n", 6, "expected 10 values")
        self.assertBad(ok + "b.jpg\n1\n1 2 3 z 0 0 0 0 0 0\n", 6, "expected a number")
        self.assertBad(ok + "b.jpg\n1\n1 2 -3 4 0 0 0 0 0 0\n", 6, "negative box size")
        self.assertBad(ok + "b.jpg\n1\n1 2 nan 4 0 0 0 0 0 0\n", 6, "finite")
        self.assertBad("/abs/a.jpg\n0\n", 1, "relative")
        self.assertBad("../a.jpg\n0\n", 1, "relative")
        self.assertBad("12\n", 1, "image path")
        self.assertBad(ok + "c.jpg\n0\n5 5 5 5 0 0 0 0 0 0\n", 6, "0 faces")
        self.assertBad(ok + "c.jpg\n", 5, "missing face count")

    def test_empty_file(self):
        p = os.path.join(self.tmp, "empty.txt")
        write(p, "\n")
        with self.assertRaisesRegex(wider.FormatError, "no image"):
            wider.parse_wider(p)

    def test_anno_list(self):
        es = wider.parse_wider(TINY)
        es[4].faces[0].attrs = (0, 0, 0, 1, 0, 0)  # invalid: not in the list
        p = os.path.join(self.tmp, "anno_train.txt")
        wider.write_anno_list(p, es, "imgs")
        rows = wider.read_anno_list(p)
        self.assertEqual(rows[0], (os.path.join("imgs", "astronaut.png"), [(179, 59, 268, 174)]))
        self.assertEqual(rows[2][1], [])
        self.assertEqual(len(rows[4][1]), 9)
        write(p, "a.jpg 1 2 3\n")
        with self.assertRaisesRegex(wider.FormatError, "anno_train.txt:1"):
            wider.read_anno_list(p)
        write(p, "a.jpg 1 2 3 4\nb.jpg 5 5 5 9\n")
        with self.assertRaisesRegex(wider.FormatError, "anno_train.txt:2: empty box"):
            wider.read_anno_list(p)


# ---------------------------------------------------------------- MAT v5

def _el(typ, payload):
    pad = (-len(payload)) % 8
    return struct.pack("<II", typ, len(payload)) + payload + b"\0" * pad


def _mat_matrix(cls, dims, name, body):
    flags = _el(6, struct.pack("<II", cls, 0))
    d = _el(5, struct.pack("<%di" % len(dims), *dims))
    return _el(14, flags + d + _el(1, name.encode()) + body)


def _mat_double(name, arr):
    arr = np.asarray(arr, dtype=np.float64)
    return _mat_matrix(6, arr.shape, name, _el(9, arr.ravel(order="F").tobytes()))


def _mat_char(name, s):
    return _mat_matrix(4, (1, len(s)), name, _el(4, np.array([ord(c) for c in s], "<u2").tobytes()))


def _mat_cell(name, dims, cells):
    return _mat_matrix(1, dims, name, b"".join(cells))


def _mat_file(*elements, compress=True):
    head = b"MATLAB 5.0 MAT-file test".ljust(116, b" ") + b"\0" * 8 + struct.pack("<H", 0x0100) + b"IM"
    body = b""
    for e in elements:
        if compress:
            z = zlib.compress(e)
            body += struct.pack("<II", 15, len(z)) + z
        else:
            body += e
    return head + body


class TestMat(TempDir):
    def test_cells_chars_doubles(self):
        inner = _mat_cell("", (2, 1), [_mat_char("", "img_1"), _mat_char("", "img_2")])
        data = _mat_file(_mat_cell("file_list", (1, 1), [inner]),
                         _mat_double("m", [[1, 2, 3], [4, 5, 6]]),
                         _mat_char("event", "0--Parade"), compress=True)
        p = os.path.join(self.tmp, "t.mat")
        with open(p, "wb") as f:
            f.write(data)
        d = matv5.load(p)
        self.assertEqual(d["event"], "0--Parade")
        self.assertEqual(d["m"].tolist(), [[1, 2, 3], [4, 5, 6]])
        self.assertEqual(d["file_list"][0, 0][1, 0], "img_2")
        with open(p, "wb") as f:
            f.write(_mat_file(_mat_double("m", [[7.5]]), compress=False))
        self.assertEqual(matv5.load(p)["m"][0, 0], 7.5)

    def test_bad(self):
        p = os.path.join(self.tmp, "bad.mat")
        with open(p, "wb") as f:
            f.write(b"not a mat file" * 20)
        with self.assertRaises(matv5.MatError):
            matv5.load(p)
        good = _mat_file(_mat_double("m", [[1.0]]))
        with open(p, "wb") as f:
            f.write(good[:-5])
        with self.assertRaises(matv5.MatError):
            matv5.load(p)


# ---------------------------------------------------------------- evaluation

class FakeGT:
    """A GroundTruth with given boxes and keep lists for every setting."""

    def __init__(self, boxes, keep):
        self.boxes = {k: np.asarray(v, dtype=np.float64).reshape(-1, 4) for k, v in boxes.items()}
        self.keep = {s: {k: np.asarray(v, dtype=np.int64) for k, v in keep.items()}
                     for s in evaluate.SETTINGS}


class TestEvaluate(unittest.TestCase):
    def setUp(self):
        self.gt = FakeGT({"a": [[10, 10, 20, 20], [50, 50, 20, 20]], "b": [[0, 0, 30, 30]]},
                         {"a": [0, 1], "b": [0]})

    def test_perfect_and_empty(self):
        preds = {"a": np.array([[10, 10, 20, 20, 0.9], [50, 50, 20, 20, 0.8]]),
                 "b": np.array([[0, 0, 30, 30, 0.7]])}
        self.assertAlmostEqual(evaluate.wider_ap(preds, self.gt, ["a", "b"], "easy"), 1.0, 6)
        self.assertEqual(evaluate.wider_ap({}, self.gt, ["a", "b"], "easy"), 0.0)

    def test_half_recall_and_false_positive(self):
        # one hit (top score), one false positive: precision 1 up to recall 1/3
        preds = {"a": np.array([[10, 10, 20, 20, 0.9], [200, 200, 20, 20, 0.8]]),
                 "b": np.zeros((0, 5))}
        ap = evaluate.wider_ap(preds, self.gt, ["a", "b"], "easy")
        self.assertAlmostEqual(ap, 1 / 3, 6)

    def test_ignored_face_is_neither_hit_nor_false_positive(self):
        gt = FakeGT({"a": [[10, 10, 20, 20], [50, 50, 20, 20]]}, {"a": [0]})
        preds = {"a": np.array([[50, 50, 20, 20, 0.9], [10, 10, 20, 20, 0.5]])}
        rec, prop = evaluate.image_eval(preds["a"], gt.boxes["a"], np.array([1, 0]), 0.5)
        self.assertEqual(list(prop), [-1, 1])
        self.assertEqual(list(rec), [0, 1])
        self.assertAlmostEqual(evaluate.wider_ap(preds, gt, ["a"], "easy"), 1.0, 6)

    def test_iou_uses_plus_one_areas(self):
        # 10x10 boxes offset by 5: official IoU = 6*11 / (2*121 - 66)
        ov = evaluate._overlaps(np.array([5.0, 0, 15, 10]), np.array([[0.0, 0, 10, 10]]))
        self.assertAlmostEqual(ov[0], 66 / (242 - 66), 9)

    def test_stage_recall(self):
        dets = [{"path": "a.jpg", "faces": [[10, 10, 30, 30, 0.9]],
                 "rnet": [[10, 10, 20, 20, 0.5], [50, 50, 20, 20, 0.5]],
                 "onet": [[10, 10, 20, 20, 0.6]]},
                {"path": "b.jpg", "faces": [], "rnet": [], "onet": []}]
        sr = evaluate.stage_recall(dets, self.gt)
        self.assertAlmostEqual(sr["rnet"], 2 / 3)
        self.assertAlmostEqual(sr["onet"], 1 / 3)
        self.assertAlmostEqual(sr["final"], 1 / 3)
        self.assertIsNone(evaluate.stage_recall([{"path": "a.jpg", "faces": []}], self.gt))

    def test_landmark_agreement(self):
        a = [{"path": "x", "faces": [[0, 0, 100, 100, 0.9]], "landmarks": [[10] * 10]},
             {"path": "y", "faces": [[0, 0, 10, 10, 0.9]], "landmarks": [[1] * 10]}]
        b = [{"path": "x", "faces": [[2, 0, 100, 100, 0.8], [300, 300, 310, 310, 0.5]],
              "landmarks": [[13, 14] * 5, [0] * 10]},
             {"path": "y", "faces": [[50, 50, 60, 60, 0.9]], "landmarks": [[1] * 10]}]
        r = evaluate.landmark_agreement(a, b)
        self.assertEqual(r["faces"], 1)
        self.assertAlmostEqual(r["mean"], 5 / 100)
        self.assertIsNone(evaluate.landmark_agreement(a, [{"path": "z", "faces": []}]))

    def test_coverage(self):
        m = np.zeros((10, 10), bool)
        m[:, :5] = True
        self.assertEqual(evaluate.face_coverage(m, (0, 0, 10, 10)), 0.5)
        self.assertEqual(evaluate.face_coverage(m, (0, 0, 5, 3)), 1.0)
        self.assertIsNone(evaluate.face_coverage(m, (20, 20, 5, 5)))
        self.assertEqual(evaluate.face_coverage(m, (-5, 0, 10, 10)), 1.0)  # clipped


class TestHeadroom(unittest.TestCase):
    """Oracle area, the face / false-positive area split and the score
    cuts on the tiny WIDER-format set, its boxes taken as detections."""

    def setUp(self):
        fiie = evaluate.import_fiie()
        self.entries = wider.parse_wider(TINY)
        self.dets, boxes, keep = [], {}, {}
        for e in self.entries:
            with fiie.Image.open(os.path.join(IMAGES, e.path)) as img:
                size = (img.width, img.height)
            key = evaluate.GroundTruth.key_of(e.path)
            boxes[key] = [(f.x, f.y, f.w, f.h) for f in e.faces]
            keep[key] = wider.training_indices(e)[:5]  # faces_1280x720: 5 of its 10 valid
            self.dets.append({"path": e.path, "width": size[0], "height": size[1],
                              "faces": [list(f.corners()) + [0.95 - 0.05 * i]
                                        for i, f in enumerate(e.faces)]})
        self.gt = FakeGT(boxes, keep)
        self.image_px = sum(d["width"] * d["height"] for d in self.dets)

    def mask_px(self, det, boxes):
        return int(evaluate.mask_of((det["width"], det["height"]), boxes).sum())

    def test_oracle_area_is_the_mask_of_the_boxes(self):
        o = evaluate.oracle_area(self.dets, self.gt)
        every = sum(self.mask_px(d, [f[:4] for f in d["faces"]]) for d in self.dets)
        valid = sum(self.mask_px(d, [f[:4] for f in d["faces"][:5]]) for d in self.dets)
        self.assertAlmostEqual(o["all"], every / self.image_px, 12)
        self.assertAlmostEqual(o["valid"], valid / self.image_px, 12)
        self.assertLess(o["valid"], o["all"])
        # one face alone: an ellipse of 1.6 times its box
        astro = self.dets[0]
        o1 = evaluate.oracle_area([astro], self.gt)
        ellipse = np.pi * (0.8 * 89) * (0.8 * 115) / (astro["width"] * astro["height"])
        self.assertAlmostEqual(o1["all"], ellipse, 2)
        self.assertEqual(o1["all"], o1["valid"])

    def test_ground_truth_as_detections(self):
        p = evaluate.privacy(self.dets, self.gt)
        self.assertEqual(p["coverage"], 1.0)
        self.assertEqual(p["faces"], 8)
        split = evaluate.area_split(self.dets, self.gt)
        self.assertEqual(split["false_positive"], {"area": 0.0, "detections": 0})
        self.assertEqual(split["face"]["detections"], 13)
        self.assertAlmostEqual(split["face"]["area"], p["area"], 12)
        self.assertAlmostEqual(p["area"], evaluate.oracle_area(self.dets, self.gt)["all"], 12)

    def test_far_away_box_is_false_positive_area(self):
        far = [2, 400, 60, 480, 0.5]  # astronaut.png: bottom-left, no face near
        dets = [dict(self.dets[0], faces=self.dets[0]["faces"] + [far])] + self.dets[1:]
        split = evaluate.area_split(dets, self.gt)
        self.assertEqual(split["false_positive"]["detections"], 1)
        self.assertEqual(split["face"]["detections"], 13)
        self.assertAlmostEqual(split["false_positive"]["area"],
                               self.mask_px(dets[0], [far[:4]]) / self.image_px, 12)
        self.assertGreater(split["false_positive"]["area"], 0)
        self.assertAlmostEqual(split["face"]["area"] + split["false_positive"]["area"],
                               evaluate.privacy(dets, self.gt)["area"], 12)

    def test_score_cuts_are_monotone(self):
        cuts = evaluate.parse_score_cuts("0.99,0,0.5,0.9,0.75,0.3")
        self.assertEqual(cuts, [0.0, 0.3, 0.5, 0.75, 0.9, 0.99])
        curve = evaluate.score_cuts(self.dets, self.gt, cuts)
        self.assertEqual([c["score"] for c in curve], cuts)
        self.assertEqual(curve[0]["coverage"], 1.0)
        for a, b in zip(curve, curve[1:]):
            self.assertLessEqual(b["coverage"], a["coverage"])
            self.assertLessEqual(b["area"], a["area"])
        self.assertLess(curve[-2]["coverage"], 1.0)  # 0.9 drops the 0.85-0.5 faces
        self.assertGreater(curve[-2]["area"], 0)
        self.assertEqual((curve[-1]["coverage"], curve[-1]["area"]), (0.0, 0.0))

    def test_bad_score_cuts(self):
        for text in ("", ",", "0.5,", "0.5,,0.7", "high", "1.5", "-0.1", "nan"):
            with self.assertRaisesRegex(evaluate.StageError, "--score-cuts"):
                evaluate.parse_score_cuts(text)
        # the cuts are checked before the ground truth or detections are read
        r = subprocess.run([sys.executable, os.path.join(TRAIN, "fiie_train.py"), "--quiet",
                            "eval", "--gt-dir", os.path.join(HERE, "no_such_dir"),
                            "--dets", os.path.join(HERE, "no_such.jsonl"),
                            "--score-cuts", "0.5,1.5"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 1)
        self.assertIn("--score-cuts: '1.5' is outside [0, 1]", r.stderr)


# ---------------------------------------------------------------- samples

class TestSampleRules(TempDir):
    def test_iou(self):
        self.assertAlmostEqual(samples.iou((0, 0, 10, 10), [[5, 0, 15, 10]])[0], 50 / 150)
        self.assertEqual(samples.iou((0, 0, 10, 10), [[20, 20, 30, 30]])[0], 0.0)
        self.assertEqual(len(samples.iou((0, 0, 1, 1), [])), 0)

    def test_classes_and_offsets(self):
        faces = np.array([[100.0, 100, 140, 140]])
        lab, off, k = samples.classify((100, 100, 40), faces)
        self.assertEqual((lab, k), (samples.POS, 0))
        self.assertEqual(off, (0, 0, 0, 0))
        lab, off, _ = samples.classify((104, 96, 40), faces)   # IoU 36*36/(2*1600-1296)
        self.assertEqual(lab, samples.POS)
        self.assertAlmostEqual(off[0], -4 / 40)
        self.assertAlmostEqual(off[1], 4 / 40)
        self.assertAlmostEqual(off[2], (140 - 144) / 40)
        self.assertAlmostEqual(off[3], (140 - 136) / 40)
        # applying the offsets as the cascade does gives the face back
        x, y, s = 104, 96, 40
        self.assertEqual((x + off[0] * s, y + off[1] * s, x + s + off[2] * s, y + s + off[3] * s),
                         (100, 100, 140, 140))
        lab, off, _ = samples.classify((112, 100, 40), faces)  # IoU 28/52 = 0.538
        self.assertEqual(lab, samples.PART)
        lab, off, _ = samples.classify((118, 100, 40), faces)  # IoU 22/58 = 0.379
        self.assertIsNone(lab)
        lab, off, _ = samples.classify((125, 100, 40), faces)  # IoU 15/65 = 0.23
        self.assertEqual((lab, off), (samples.NEG, None))
        lab, _, k = samples.classify((0, 0, 12), np.zeros((0, 4)))
        self.assertEqual((lab, k), (samples.NEG, -1))

    def test_classify_many_agrees(self):
        rng = np.random.default_rng(2)
        faces = np.array([[100.0, 100, 140, 150], [300, 50, 330, 80]])
        wins = [(int(x), int(y), int(w), int(h)) for x, y, w, h in
                zip(rng.integers(60, 320, 400), rng.integers(30, 160, 400),
                    rng.integers(10, 70, 400), rng.integers(10, 70, 400))]
        wins += [(100, 100, 40, 50), (103, 98, 41, 50), (112, 100, 40, 50), (298, 52, 31, 30)]
        labels, offsets = samples.classify_many(wins, faces)
        seen = set()
        for win, lab, off in zip(wins, labels, offsets):
            l1, o1, _ = samples.classify(win, faces)
            self.assertEqual(samples.AMBIGUOUS if l1 is None else l1, lab)
            seen.add(int(lab))
            if o1 is not None:
                np.testing.assert_allclose(off, o1, atol=1e-12)
        self.assertEqual(seen, {samples.NEG, samples.POS, samples.PART, samples.AMBIGUOUS})
        lab, off = samples.classify_many(wins[:3], np.zeros((0, 4)))
        self.assertEqual(lab.tolist(), [samples.NEG] * 3)

    def test_random_windows_inside(self):
        rng = np.random.default_rng(1)
        faces = np.array([[10.0, 10, 40, 50], [100, 20, 105, 25]])
        ws = samples.random_windows(rng, faces, 200, 120, 12)
        self.assertGreater(len(ws), 50)
        for x, y, s in ws:
            self.assertTrue(0 <= x and 0 <= y and x + s <= 200 and y + s <= 120 and s >= 1)
        labels = [samples.classify(w, faces)[0] for w in ws]
        self.assertIn(samples.POS, labels)
        self.assertIn(samples.NEG, labels)

    def test_sample_set_resume(self):
        d = os.path.join(self.tmp, "set")
        s = samples.SampleSet(d, 12, meta=False)
        s.open_append()
        s.begin_image()
        s.add(np.ones((12, 12, 3)), samples.POS, (0.1, 0.2, 0.3, 0.4))
        s.add(np.zeros((12, 12, 3)), samples.NEG)
        s.commit_image()
        s.begin_image()
        s.add(np.full((12, 12, 3), 2.0), samples.PART, (0, 0, 0, 0))  # never committed
        s.close()
        s = samples.SampleSet(d)
        self.assertEqual(s.state["count"], 2)
        s.open_append()  # cuts the uncommitted crop away
        s.begin_image()
        s.add(np.full((12, 12, 3), 3.0), samples.PART, (-0.1, 0, 0, 0.1))
        s.commit_image()
        s.close()
        crops, labels, off = samples.SampleSet(d).load()
        self.assertEqual(labels.tolist(), [1, 0, -1])
        self.assertEqual(crops.shape, (3, 12, 12, 3))
        self.assertEqual(float(crops[2, 0, 0, 0]), 3.0)
        self.assertAlmostEqual(float(off[0, 3]), 0.4, 6)
        self.assertEqual(s.state["counts"], [1, 1, 1])
        with self.assertRaisesRegex(ValueError, "holds 12x12"):
            samples.SampleSet(d, 24)

    def test_sample_set_meta(self):
        d = os.path.join(self.tmp, "mset")
        s = samples.SampleSet(d, 12)
        self.assertTrue(s.has_meta)
        s.open_append()
        s.begin_image()
        s.add(np.ones((12, 12, 3)), samples.POS, (0.1, 0.2, 0.3, 0.4),
              (7, 2, 30, 41, 2, 1, 0, 0, 33, 33))
        s.add(np.zeros((12, 12, 3)), samples.NEG, None, (7, -1, 0, 0, 0, 0, 0, 0, 50, 50))
        with self.assertRaisesRegex(ValueError, "records metadata"):
            s.add(np.zeros((12, 12, 3)), samples.NEG)
        s.commit_image()
        s.begin_image()
        s.add(np.ones((12, 12, 3)), samples.PART, (0, 0, 0, 0), (9, 0, 5, 5, 0, 0, 1, 0, 12, 12))
        s.close()  # never committed: cut back with the list on the next open
        s = samples.SampleSet(d)
        s.open_append()
        s.begin_image()
        s.add(np.ones((12, 12, 3)), samples.PART, (0, 0, 0, 0),
              (11, 3, 20.5, 25, 0, 2, 1, 0, 24, 24))
        s.commit_image()
        s.close()
        m = samples.SampleSet(d).load_meta()
        self.assertEqual(m.tolist(), [[7, 2, 30, 41, 2, 1, 0, 0, 33, 33],
                                      [7, -1, 0, 0, 0, 0, 0, 0, 50, 50],
                                      [11, 3, 20.5, 25, 0, 2, 1, 0, 24, 24]])
        # a damaged meta.txt names the file and line
        with open(os.path.join(d, "meta.txt"), "a") as f:
            f.write("junk\n")
        with open(os.path.join(d, "meta.txt"), "r+") as f:
            lines = f.read().splitlines()
            f.seek(0)
            f.truncate()
            f.write("\n".join([lines[0], "1 2 x", lines[2]]) + "\n")
        with self.assertRaisesRegex(ValueError, "meta.txt:2: expected 10 numbers"):
            samples.SampleSet(d).load_meta()
        # a set made without metadata says so
        old = samples.SampleSet(os.path.join(self.tmp, "old"), 12, meta=False)
        old.open_append()
        old.begin_image()
        old.add(np.ones((12, 12, 3)), samples.NEG)
        old.commit_image()
        old.close()
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "old", "meta.txt")))
        with self.assertRaisesRegex(ValueError, "no per-crop metadata"):
            samples.SampleSet(os.path.join(self.tmp, "old")).load_meta()

    def test_classify_many_match(self):
        faces = np.array([[100.0, 100, 140, 150], [300, 50, 330, 80]])
        wins = [(100, 100, 40, 50), (299, 51, 30, 30), (0, 0, 20, 20), (118, 100, 40, 50)]
        labels, _, match = samples.classify_many(wins, faces, with_match=True)
        self.assertEqual(labels.tolist(), [samples.POS, samples.POS, samples.NEG,
                                           samples.AMBIGUOUS])
        self.assertEqual(match.tolist(), [0, 1, -1, 0])
        _, _, match = samples.classify_many(wins, np.zeros((0, 4)), with_match=True)
        self.assertEqual(match.tolist(), [-1] * 4)

    def test_draw_weights(self):
        import train
        # positives: face (0, 0) 20 px, 3 crops (one in a second set: the
        # same face counts once); face (0, 1) 20 px heavily blurred, 1
        # crop; face (1, 0) 100 px, 1 crop
        rows = {"a": [(samples.POS, (0, 0, 20, 20, 0, 0, 0, 0, 24, 24)),
                      (samples.POS, (0, 0, 20, 20, 0, 0, 0, 0, 22, 22)),
                      (samples.NEG, (0, -1, 0, 0, 0, 0, 0, 0, 30, 30)),
                      (samples.POS, (0, 1, 18, 20, 2, 0, 0, 0, 20, 20)),
                      (samples.PART, (1, 0, 100, 90, 0, 0, 0, 0, 140, 140))],
                "b": [(samples.POS, (0, 0, 20, 20, 0, 0, 0, 0, 25, 25)),
                      (samples.POS, (1, 0, 100, 90, 0, 0, 0, 0, 100, 100))]}
        for name, crops in rows.items():
            s = samples.SampleSet(os.path.join(self.tmp, name), 24)
            s.open_append()
            s.begin_image()
            for lab, meta in crops:
                s.add(np.zeros((24, 24, 3)), lab, None if lab == samples.NEG else (0, 0, 0, 0),
                      meta)
            s.commit_image()
            s.close()
        dirs = [os.path.join(self.tmp, n) for n in rows]
        data = train.Data(dirs, 24, with_meta=True)
        self.assertIsNone(data.draw_weights(samples.POS, "crops"))
        # positives in order: a0 a1 a3 (face 0/1) b0 b1
        np.testing.assert_allclose(data.draw_weights(samples.POS, "faces"),
                                   [1 / 9, 1 / 9, 1 / 3, 1 / 9, 1 / 3])
        np.testing.assert_allclose(data.draw_weights(samples.POS, "faces", 2.0),
                                   [1 / 12, 1 / 12, 1 / 2, 1 / 12, 1 / 4])
        # octaves: the two 20 px faces share one, the 100 px face has its own
        np.testing.assert_allclose(data.draw_weights(samples.POS, "sizes"),
                                   [1 / 12, 1 / 12, 1 / 4, 1 / 12, 1 / 2])
        np.testing.assert_allclose(data.draw_weights(samples.PART, "faces", 3.0), [1.0])
        # the draws spread over 3 faces; by crops, 3/5 1/5 1/5; weighted 1:2:1
        self.assertEqual(data.effective_faces(samples.POS, None)[1], 3)
        self.assertAlmostEqual(data.effective_faces(samples.POS, None)[0], 25 / 11)
        self.assertAlmostEqual(
            data.effective_faces(samples.POS, data.draw_weights(samples.POS, "faces"))[0], 3)
        self.assertAlmostEqual(
            data.effective_faces(samples.POS, data.draw_weights(samples.POS, "faces", 2.0))[0],
            8 / 3)
        # sets without metadata cannot be drawn by face
        s = samples.SampleSet(os.path.join(self.tmp, "old"), 24, meta=False)
        s.open_append()
        s.commit_image()
        s.close()
        with self.assertRaisesRegex(train.StageError, "old has no per-crop metadata"):
            train.Data(dirs + [os.path.join(self.tmp, "old")], 24, with_meta=True)

    def test_training_options(self):
        import train
        train.check_options("faces", 2.5, "sgd", 0.9)
        train.check_options()
        for bad, msg in ((("pixels",), "--balance"), (("faces", 0.0), "--attr-weight"),
                         (("faces", float("nan")), "--attr-weight"),
                         (("faces", float("inf")), "--attr-weight"),
                         (("crops", 2.0), "--attr-weight needs --balance"),
                         (("faces", 1.0, "rmsprop"), "--optim"),
                         (("faces", 1.0, "adam", 0.9), "--momentum applies"),
                         (("faces", 1.0, "sgd", 1.0), "--momentum needs"),
                         (("faces", 1.0, "sgd", -0.1), "--momentum needs")):
            with self.assertRaisesRegex(train.StageError, msg):
                train.check_options(*bad)

    def test_read_list_errors(self):
        p = os.path.join(self.tmp, "l.txt")
        write(p, "a 1 0 0 0 0\nb 7\n")
        with self.assertRaisesRegex(ValueError, "l.txt:2: label 7"):
            samples.read_list(p)
        write(p, "a 1 0 0\n")
        with self.assertRaisesRegex(ValueError, "l.txt:1: a positive"):
            samples.read_list(p)
        write(p, "a 1 0.5 0 0 0\nb 0\n")
        lab, off = samples.read_list(p)
        self.assertEqual(lab.tolist(), [1, 0])
        self.assertEqual(off[0, 0], 0.5)


class TestModelFile(unittest.TestCase):
    def test_shipped_round_trip(self):
        with open(SHIPPED, "rb") as f:
            data = f.read()
        self.assertEqual(fiiem.pack(fiiem.unpack(data)), data)

    def test_corrupt(self):
        with open(SHIPPED, "rb") as f:
            data = bytearray(f.read())
        data[5000] ^= 1
        with self.assertRaisesRegex(fiiem.ModelFormatError, "digest"):
            fiiem.unpack(data)
        with self.assertRaises(fiiem.ModelFormatError):
            fiiem.unpack(data[:40])
        with self.assertRaises(fiiem.ModelFormatError):
            fiiem.pack([("x", [2], b"\0" * 4)])


class TestNets(unittest.TestCase):
    def test_load_export_byte_identical(self):
        import nets
        with open(SHIPPED, "rb") as f:
            data = f.read()
        self.assertEqual(nets.export_model(nets.load_nets(data)), data)

    def test_missing_tensor(self):
        import nets
        with open(SHIPPED, "rb") as f:
            t = fiiem.unpack(f.read())
        bad = fiiem.pack([x for x in t if x[0] != "rnet.fc4.bias"])
        with self.assertRaisesRegex(fiiem.ModelFormatError, "rnet.fc4.bias"):
            nets.load_nets(bad)


class TestCliErrors(TempDir):
    def run_cli(self, *args):
        return subprocess.run([sys.executable, os.path.join(TRAIN, "fiie_train.py")] + list(args),
                              capture_output=True, text=True)

    def test_malformed_annotation_names_file_and_line(self):
        p = os.path.join(self.tmp, "gt.txt")
        write(p, "a.jpg\n1\n1 2 3 4 0 0 0 0 0 0\nb.jpg\n1\n1 2 x 4 0 0 0 0 0 0\n")
        r = self.run_cli("anno", "--wider", p, "--out", os.path.join(self.tmp, "a.txt"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("%s:6" % p, r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "a.txt")))

    def test_empty_split(self):
        p = os.path.join(self.tmp, "gt.txt")
        write(p, "a.jpg\n1\n1 2 3 4 0 0 0 0 0 0\n")  # index 0: reserved only
        out = os.path.join(self.tmp, "a.txt")
        r = self.run_cli("anno", "--wider", p, "--split", "train", "--out", out)
        self.assertEqual(r.returncode, 1)
        self.assertIn("holds no image", r.stderr)
        self.assertFalse(os.path.exists(out))

    def test_no_valid_face(self):
        p = os.path.join(self.tmp, "gt.txt")
        write(p, "a.jpg\n1\n1 2 3 4 0 0 0 1 0 0\n")
        out = os.path.join(self.tmp, "a.txt")
        r = self.run_cli("anno", "--wider", p, "--split", "all", "--out", out)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no valid face", r.stderr)
        self.assertFalse(os.path.exists(out))


if __name__ == "__main__":
    unittest.main()
