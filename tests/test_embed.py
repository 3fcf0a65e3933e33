#!/usr/bin/env python3
"""models/embed.py refuses what would make a broken registry of embedded
models: a corrupt or truncated file, a bad or repeated name, a default
that is not embedded; it writes nothing then. A good list gives the table
in the order given with the default named.

usage: test_embed.py EMBED_PY MODEL.fiiem
"""
import os
import subprocess
import sys
import tempfile
import unittest

EMBED = MODEL = None


class EmbedTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.out_s = os.path.join(self.tmp.name, "m.S")
        self.out_c = os.path.join(self.tmp.name, "m.c")
        with open(MODEL, "rb") as f:
            self.data = f.read()

    def tearDown(self):
        self.tmp.cleanup()

    def file(self, name, data):
        path = os.path.join(self.tmp.name, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def embed(self, default, *models):
        p = subprocess.run([sys.executable, EMBED, "--default", default, self.out_s, self.out_c]
                           + list(models), capture_output=True, text=True)
        return p.returncode, p.stderr

    def test_good_list(self):
        other = self.file("other.fiiem", self.data)
        rc, err = self.embed("b-2", "a.1=" + MODEL, "b-2=" + other)
        self.assertEqual(rc, 0, err)
        with open(self.out_c) as f:
            c = f.read()
        self.assertLess(c.index('"a.1", detect_model_blob_0, %du' % len(self.data)),
                        c.index('"b-2", detect_model_blob_1'))
        self.assertIn("detect_embedded_model_count = 2;", c)
        self.assertIn('detect_embedded_default_name[] = "b-2";', c)
        with open(self.out_s) as f:
            s = f.read()
        self.assertEqual(s.count(".incbin"), 2)
        self.assertEqual(s.count(".hidden"), 2)

    def test_refused(self):
        flipped = bytearray(self.data)
        flipped[len(flipped) // 2] ^= 1
        bad_files = {"truncated": self.data[:1000], "flipped": bytes(flipped),
                     "not a model": b"\x89PNG" + bytes(100), "appended": self.data + b"\0"}
        cases = [("a", ["a=" + self.file(k + ".fiiem", v)], k) for k, v in bad_files.items()]
        cases += [("A", ["A=" + MODEL], "bad model name"),
                  ("a.fiiem", ["a.fiiem=" + MODEL], "bad model name"),
                  ("a/b", ["a/b=" + MODEL], "bad model name"),
                  ("", ["=" + MODEL], "bad model name"),
                  ("a", ["a=" + MODEL, "a=" + MODEL], "given twice"),
                  ("b", ["a=" + MODEL], "none of the embedded models"),
                  ("a", ["a"], "expected NAME=FILE")]
        for default, models, what in cases:
            with self.subTest(what=what):
                rc, err = self.embed(default, *models)
                self.assertNotEqual(rc, 0)
                self.assertIn("embed.py:", err)
                self.assertFalse(os.path.exists(self.out_s) or os.path.exists(self.out_c))


if __name__ == "__main__":
    EMBED, MODEL = sys.argv[1], sys.argv[2]
    unittest.main(argv=sys.argv[:1])
