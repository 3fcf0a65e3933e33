"""fiie.Detector through the bindings (the C tests check the cascade in
depth; here: results reach Python intact, options, errors, lifetimes).

The reference detections (tests/data/expected/) and the face counts
below were made with the original MTCNN weights: the tests that compare
with them select those weights by name (ORIGINAL), so they hold whatever
model is the library's default."""

import json
import unittest
import warnings

import fiie

from support import DATA, SOURCE_ROOT, image_path, needs, needs_numpy, numpy

DETECTOR_FUNCS = ("fiie_detector_options_init_v", "fiie_detector_new",
                  "fiie_detector_detect", "fiie_model_new_default", "fiie_model_new_embedded")
ORIGINAL = fiie.MODEL_MTCNN_ORIGINAL

# ArcFace 112x112 template (fiie/detector.h).
TEMPLATE = [(38.2946, 51.6963), (73.5318, 51.5014), (56.0252, 71.7366),
            (41.5493, 92.3655), (70.7299, 92.2041)]


def expected(name, kind="plain"):
    with open(DATA / "expected" / ("%s.%s.json" % (name, kind))) as f:
        return json.load(f)


def top_left_crop():
    """640x220 top-left part of faces_1280x720.png (5 faces, 24..96 px
    wide) wrapped with the full image's stride: small enough to keep the
    suite fast under sanitizers, and it exercises strided images."""
    with fiie.Image.open(image_path("faces_1280x720.png")) as full:
        buf = bytearray(full.tobytes())
    return fiie.Image.from_buffer(buf, 640, 220, "rgb", stride=1280 * 3)


def iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    area = lambda r: (r[2] - r[0]) * (r[3] - r[1])
    return inter / (area(a) + area(b) - inter)


@needs(*DETECTOR_FUNCS)
class TestDetector(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Detection is slow under sanitizers: detect the main sample once.
        cls.det = fiie.Detector(ORIGINAL)
        with fiie.Image.open(image_path("astronaut.png")) as img:
            cls.astronaut = cls.det.detect(img)

    @classmethod
    def tearDownClass(cls):
        cls.det.close()

    def assertMatches(self, faces, ref, kind="plain"):
        self.assertEqual(len(faces), len(ref))
        for r in ref:
            best = max(faces, key=lambda f: iou(f.box, r["box"]))
            self.assertGreaterEqual(iou(best.box, r["box"]), 0.95)
            self.assertAlmostEqual(best.score, r["score"], delta=0.01)
            for (x, y), (rx, ry) in zip(best.landmarks, r["landmarks"]):
                self.assertLess(max(abs(x - rx), abs(y - ry)), 1.5)

    def test_matches_reference(self):
        self.assertMatches(self.astronaut, expected("astronaut"))
        for name in ("coffee", "faces_640x480"):
            with self.subTest(image=name), fiie.Image.open(image_path(name + ".png")) as img:
                faces = self.det.detect(img)
                self.assertMatches(faces, expected(name))
                scores = [f.score for f in faces]
                self.assertEqual(scores, sorted(scores, reverse=True))  # best first
                for f in faces:
                    self.assertEqual(set(f.to_dict()), {"box", "score", "landmarks"})

    def test_v1flip_landmarks_and_threads(self):
        with fiie.Detector(ORIGINAL, landmarks="v1flip", threads=2) as d, \
                fiie.Image.open(image_path("astronaut.png")) as img:
            self.assertEqual(d.options["landmarks"], fiie.Landmarks.V1FLIP)
            self.assertMatches(d.detect(img), expected("astronaut", "v1flip"))

    def test_options_change_results(self):
        with top_left_crop() as img:
            all_faces = self.det.detect(img)
            self.assertEqual(len(all_faces), 5)
            with fiie.Detector(ORIGINAL, max_faces=3) as d:
                top = d.detect(img)
            self.assertEqual([f.box for f in top], [f.box for f in all_faces[:3]])
            with fiie.Detector(ORIGINAL, min_face=100) as d:
                big = d.detect(img)
            self.assertEqual(d.options["min_face"], 100)
            self.assertLess(len(big), len(all_faces))
            self.assertGreater(min(f.width for f in big), 1.5 * min(f.width for f in all_faces))

    def test_high_recall_preset(self):
        # The preset of `fiie encrypt` comes from the library (the C tests
        # hold its contract): HIGH_RECALL and Detector.high_recall() agree
        # with it, and differ from the defaults.
        preset = fiie.detector_preset("high-recall")
        self.assertEqual(fiie.HIGH_RECALL, preset)
        self.assertEqual(set(preset), {"min_face", "factor", "thresholds"})
        # the library takes the preset's min face itself: no fallback, no warning
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            d = fiie.Detector.high_recall(ORIGINAL)
        self.assertEqual(len(caught), 0)
        for k, v in preset.items():
            self.assertEqual(d.options[k], v)
        with fiie.Detector() as plain:
            self.assertNotEqual({k: plain.options[k] for k in preset}, preset)
        with fiie.Detector.high_recall(min_face=6) as d6:
            self.assertEqual(d6.options["min_face"], 6)
            self.assertEqual(d6.options["factor"], preset["factor"])
        with self.assertRaises(fiie.InvalidArgumentError):
            fiie.Detector.high_recall(min_face=5)  # an explicit value is never changed
        with d, fiie.Image.open(image_path("faces_640x480.png")) as img:
            self.assertGreaterEqual(len(d.detect(img)), len(expected("faces_640x480")))

    def test_presets(self):
        names = fiie.detector_presets()
        self.assertEqual(names[:3], ("default", "high-recall", "fast"))
        with fiie.Detector() as plain:
            defaults = {k: plain.options[k] for k in ("min_face", "factor", "thresholds")}
        self.assertEqual(fiie.detector_preset("default"), defaults)
        self.assertEqual(fiie.detector_preset("fast"), defaults)  # today (fiie/detector.h)
        for name in names:
            with self.subTest(preset=name), fiie.Detector(preset=name, threads=2) as d:
                for k, v in fiie.detector_preset(name).items():
                    self.assertEqual(d.options[k], v)
                self.assertEqual(d.options["threads"], 2)
        # explicit options win over the preset
        with fiie.Detector(preset="high-recall", factor=0.5) as d:
            self.assertEqual(d.options["factor"], 0.5)
            self.assertEqual(d.options["min_face"], fiie.HIGH_RECALL["min_face"])
        for bad in ("High-Recall", "", "nope", "fast\0"):
            with self.subTest(name=bad), self.assertRaises(fiie.NotFoundError):
                fiie.detector_preset(bad)
        with self.assertRaises(fiie.NotFoundError):
            fiie.Detector(preset="nope")
        for bad in (None, 1, b"fast"):
            with self.subTest(name=bad), self.assertRaises(fiie.InvalidArgumentError):
                fiie.detector_preset(bad)

    def test_bad_options(self):
        for kw in ({"factor": 1.5}, {"factor": 0.0}, {"min_face": 5},
                   {"thresholds": (0.5, 0.5, 1.5)}, {"threads": 1000}, {"landmarks": 9}):
            with self.subTest(**{k: str(v) for k, v in kw.items()}):
                with self.assertRaises(fiie.InvalidArgumentError):
                    fiie.Detector(**kw)
        with self.assertRaises(fiie.InvalidArgumentError):
            fiie.Detector(thresholds=(0.5, 0.5))

    def test_models(self):
        with self.assertRaises(fiie.IOFailureError):
            fiie.Model("/nonexistent/model.fiiem")
        with self.assertRaises(fiie.ModelError):
            fiie.Model(data=b"not a model" * 10)
        model_file = SOURCE_ROOT / "models" / "mtcnn.fiiem"
        if model_file.exists():
            data = model_file.read_bytes()
            fiie.Model(str(model_file)).close()
            fiie.Model(data=data).close()
            with self.assertRaises(fiie.ModelError):
                fiie.Model(data=data[:len(data) // 2])
            corrupt = bytearray(data)
            corrupt[len(data) // 2] ^= 0xFF
            with self.assertRaises(fiie.ModelError):
                fiie.Model(data=corrupt)
        m = fiie.Model(name=ORIGINAL)
        d = fiie.Detector(m)
        m.close()  # the detector keeps its own reference
        with d, fiie.Image.open(image_path("astronaut.png")) as img:
            self.assertEqual([f.box for f in d.detect(img)], [f.box for f in self.astronaut])

    def test_embedded_models(self):
        names = fiie.embedded_models()
        self.assertIn(ORIGINAL, names)
        self.assertIn(fiie.default_model(), names)
        self.assertEqual(len(set(names)), len(names))
        with fiie.Image.open(image_path("astronaut.png")) as img:
            # a name, in each place a model is taken, is that embedded model
            for how in (lambda: fiie.Detector(ORIGINAL), lambda: fiie.Detector(model=ORIGINAL),
                        lambda: fiie.Detector(fiie.Model(ORIGINAL)),
                        lambda: fiie.Detector(fiie.Model(name=ORIGINAL))):
                with how() as d:
                    self.assertEqual([f.box for f in d.detect(img)],
                                     [f.box for f in self.astronaut])
            # default model: Model(), Detector() and the default's name agree
            with fiie.Detector() as a, fiie.Detector(fiie.default_model()) as b, \
                    fiie.Detector(fiie.Model()) as c:
                ref = [f.to_dict() for f in a.detect(img)]
                self.assertEqual([f.to_dict() for f in b.detect(img)], ref)
                self.assertEqual([f.to_dict() for f in c.detect(img)], ref)
        # a file path is a file, even next to a model's name
        model_file = SOURCE_ROOT / "models" / "mtcnn.fiiem"
        if model_file.exists():
            for path in (model_file, str(model_file)):
                fiie.Detector(path).close()
        # unknown names: NotFoundError by name; as a source they are files
        for bad in ("", "MTCNN-original", "mtcnn-original ", "nope", ORIGINAL + "\0x"):
            with self.subTest(name=bad), self.assertRaises(fiie.NotFoundError):
                fiie.Model(name=bad)
        with self.assertRaises(fiie.FileMissingError):
            fiie.Detector("no-such-model")
        with self.assertRaises(fiie.FileMissingError):
            fiie.Model("./" + ORIGINAL)  # a '/' makes it a path
        with self.assertRaises(fiie.InvalidArgumentError):
            fiie.Model(name=b"mtcnn-original")

    def test_alignment(self):
        (face,) = self.astronaut
        with fiie.Image.open(image_path("astronaut.png")) as img:
            m = face.alignment_transform()
            for (x, y), (tx, ty) in zip(face.landmarks, TEMPLATE):
                u = m[0] * x + m[1] * y + m[2]
                v = m[3] * x + m[4] * y + m[5]
                self.assertLess(max(abs(u - tx), abs(v - ty)), 8.0)
            with face.align(img) as crop:
                self.assertEqual((crop.size, crop.format), ((112, 112), img.format))
                self.assertGreater(len(set(crop.tobytes())), 50)
        with self.assertRaises(fiie.InvalidArgumentError):
            fiie.Face((0, 0, 1, 1), 0.5).alignment_transform()  # coincident landmarks

    def test_close(self):
        d = fiie.Detector()
        d.close()
        d.close()
        with self.assertRaises(fiie.ClosedError):
            d.detect(fiie.Image.new(16, 16))
        with fiie.Image.new(16, 16) as img:
            pass
        with self.assertRaises(fiie.ClosedError):
            self.det.detect(img)

    @needs_numpy
    def test_numpy_input_rgb_and_bgr(self):
        ref = self.astronaut
        with fiie.Image.open(image_path("astronaut.png")) as img:
            rgb = img.to_array()
        from_rgb = self.det.detect(rgb)
        with fiie.Image.from_array(numpy.ascontiguousarray(rgb[:, :, ::-1]), "bgr") as bgr:
            from_bgr = self.det.detect(bgr)
        self.assertEqual([f.box for f in from_rgb], [f.box for f in ref])
        self.assertEqual([f.box for f in from_bgr], [f.box for f in ref])
        with self.assertRaises(fiie.InvalidArgumentError):
            self.det.detect([[0, 0, 0]])


INSPECT_FUNCS = ("fiie_detector_windows", "fiie_crop_patch", "fiie_model_forward",
                 "fiie_model_output_size")


@needs(*INSPECT_FUNCS)
class TestInsideTheCascade(unittest.TestCase):
    """windows / crop_patch / Model.forward: the crops of the O-Net
    windows run through O-Net give back the detector's scores."""

    def test_windows(self):
        with top_left_crop() as img, fiie.Detector.high_recall() as det:
            wins = det.windows(img)
            faces = det.detect(img)
        nets = [w[0] for w in wins]
        self.assertIn("rnet", nets)
        self.assertIn("onet", nets)
        self.assertEqual(nets, sorted(nets, key=lambda n: n != "rnet"))  # R-Net first
        for net, x, y, w, h, score in wins:
            self.assertTrue(w >= 1 and h >= 1 and 0 <= score <= 1)
            if net == "onet":
                self.assertGreater(score, 0.5)
        self.assertGreaterEqual(nets.count("onet"), len(faces))

    @needs_numpy
    def test_crops_reproduce_scores(self):
        with top_left_crop() as img, fiie.Detector.high_recall() as det, fiie.Model() as m:
            faces = det.detect(img)
            wins = [w for w in det.windows(img) if w[0] == "onet"]
            crops = numpy.stack([fiie.crop_patch(img, *w[1:5], 48) for w in wins])
            self.assertEqual(crops.shape, (len(wins), 48, 48, 3))
            self.assertEqual(crops.dtype, numpy.float32)
            out = m.forward("onet", crops)
        self.assertEqual(out.shape, (len(wins), 1, 1, 16))
        logits = out[:, 0, 0, :2].astype(numpy.float64)
        prob = 1 / (1 + numpy.exp(logits[:, 0] - logits[:, 1]))
        for f in faces:
            self.assertLess(numpy.abs(prob - f.score).min(), 1e-5)

    @needs_numpy
    def test_crop_copy_and_padding(self):
        with fiie.Image.open(image_path("coffee.png")) as img:
            a = img.to_array()
            c = fiie.crop_patch(img, 10, 20, 12, 12, 12)
            numpy.testing.assert_array_equal(
                c, (a[20:32, 10:22].astype(numpy.float32) - 127.5) * 0.0078125)
            out = fiie.crop_patch(img, -100, -100, 30, 30, 24)
            self.assertTrue(numpy.all(out == numpy.float32(-127.5 * 0.0078125)))
            for bad in ((0, 0, 0, 10, 12), (0, 0, 10, 10, 0), (0, 0, 10, 10, 1025),
                        (0, 0, 2 ** 20 + 1, 10, 12)):
                with self.assertRaises(fiie.InvalidArgumentError):
                    fiie.crop_patch(img, *bad)
            with self.assertRaises(fiie.TooLargeError):  # not an int32
                fiie.crop_patch(img, 2 ** 31, 0, 10, 10, 12)

    @needs_numpy
    def test_forward_sizes_and_errors(self):
        with fiie.Model() as m:
            self.assertEqual(m.output_size("pnet", 47, 100), (19, 45, 6))
            self.assertEqual(m.output_size(fiie.Net.RNET, 24, 24), (1, 1, 6))
            self.assertEqual(m.output_size("onet", 48, 48), (1, 1, 16))
            self.assertEqual(m.forward("pnet", numpy.zeros((2, 12, 12, 3))).shape, (2, 1, 1, 6))
            self.assertEqual(m.forward("rnet", numpy.zeros((0, 24, 24, 3))).shape, (0, 1, 1, 6))
            with self.assertRaises(fiie.InvalidArgumentError):
                m.forward("rnet", numpy.zeros((1, 48, 48, 3)))
            with self.assertRaises(fiie.InvalidArgumentError):
                m.forward("onet", numpy.zeros((48, 48, 3)))
            with self.assertRaises(fiie.InvalidArgumentError):
                m.forward("xnet", numpy.zeros((1, 12, 12, 3)))
            with self.assertRaises(fiie.InvalidArgumentError):
                m.output_size(5, 12, 12)
            with self.assertRaises(fiie.InvalidArgumentError):
                m.output_size("pnet", 11, 12)


@needs(*(DETECTOR_FUNCS + ("fiie_mask_new", "fiie_encrypt")))
class TestPipeline(unittest.TestCase):
    def test_detect_mask_encrypt_decrypt(self):
        # five faces: counted with the original weights
        with top_left_crop() as img, fiie.Detector(ORIGINAL) as det, \
                fiie.Key.generate() as key:
            plain = img.tobytes()
            faces = det.detect(img)
            self.assertEqual(len(faces), 5)
            with fiie.Mask.from_faces(img, faces) as mask:
                self.assertEqual(len(mask), len(faces))
                header = fiie.encrypt(img, mask, key)
            enc = img.tobytes()
            w = img.width
            for f in faces:  # the pixels around every face centre changed
                cx, cy = int((f.box[0] + f.box[2]) / 2), int((f.box[1] + f.box[3]) / 2)
                o = [3 * (y * w + x) for y in range(cy - 2, cy + 3) for x in range(cx - 2, cx + 3)]
                self.assertNotEqual([enc[i:i + 3] for i in o], [plain[i:i + 3] for i in o])
            fiie.decrypt(img, header, key)
            self.assertEqual(img.tobytes(), plain)


if __name__ == "__main__":
    unittest.main()
