"""Sharing objects between Python threads: ctypes releases the GIL during
C calls, so the bindings' per-object locks must serialise use of one
handle and make close() wait for a call in progress."""

import threading
import unittest

import fiie

from support import image_path, needs


def run_threads(n, fn):
    errors = []

    def wrap(i):
        try:
            fn(i)
        except BaseException as e:  # reported in the main thread
            errors.append(e)

    threads = [threading.Thread(target=wrap, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


@needs("fiie_key_generate", "fiie_encrypt", "fiie_mask_new")
class TestSharedCipherObjects(unittest.TestCase):
    def test_one_key_and_mask_many_threads(self):
        with fiie.Key.generate() as key, fiie.Mask(64, 48, [(1, 4, 4, 50, 30)]) as mask:
            def work(i):
                for _ in range(20):
                    buf = bytearray((i + j) & 0xFF for j in range(64 * 48 * 3))
                    plain = bytes(buf)
                    with fiie.Image.from_buffer(buf, 64, 48) as img:
                        header = fiie.encrypt(img, mask, key)
                        self.assertNotEqual(bytes(buf), plain)
                        fiie.decrypt(img, header, key)
                    self.assertEqual(bytes(buf), plain)
            run_threads(4, work)

    def test_close_while_other_threads_use_it(self):
        key = fiie.Key.generate()
        mask = fiie.Mask(32, 32, [(0, 0, 0, 32, 32)])
        outcomes = []

        def work(i):
            for _ in range(50):
                try:
                    with fiie.Image.new(32, 32) as img:
                        fiie.encrypt(img, mask, key)
                    outcomes.append("ok")
                except fiie.ClosedError:
                    outcomes.append("closed")
                    return
        threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        key.close()  # never frees the key under a running fiie_encrypt
        for t in threads:
            t.join()
        # Every thread either finished or stopped cleanly at ClosedError
        # (a freed key reaching C would crash this process under ASan).
        self.assertTrue(key.closed)
        self.assertGreaterEqual(outcomes.count("ok") + outcomes.count("closed"), 3)
        self.assertLessEqual(outcomes.count("closed"), 3)
        with fiie.Image.new(32, 32) as img, self.assertRaises(fiie.ClosedError):
            fiie.encrypt(img, mask, key)
        mask.close()


@needs("fiie_detector_new", "fiie_detector_detect")
class TestSharedDetector(unittest.TestCase):
    def test_one_detector_two_threads_same_result(self):
        with fiie.Image.open(image_path("faces_1280x720.png")) as full:
            buf = bytearray(full.tobytes())
        # 160x150 around one face (keeps sanitizer runs short).
        off = 0 * 1280 * 3 + 150 * 3
        crop = fiie.Image.from_buffer(memoryview(buf)[off:], 160, 150, "rgb", stride=1280 * 3)
        # the one-face count was measured with the original weights
        with crop, fiie.Detector(fiie.MODEL_MTCNN_ORIGINAL) as det:
            ref = [f.box for f in det.detect(crop)]
            self.assertEqual(len(ref), 1)
            results = [None] * 2

            def work(i):
                results[i] = [[f.box for f in det.detect(crop)] for _ in range(2)]
            run_threads(2, work)
            for r in results:
                self.assertEqual(r, [ref, ref])


if __name__ == "__main__":
    unittest.main()
