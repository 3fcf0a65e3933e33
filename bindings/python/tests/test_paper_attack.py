"""The known-plaintext attack on paper mode (docs/security.md, "Paper mode
broken"), and the same attack failing against FIIE v1.

An attacker holds two protected images made with one key, knows the
original of the first, and reads the region lists from the public
headers. XORing the first image's plain and cipher region streams gives
the keystream; XORing it into the second image's region stream decrypts
it. Paper mode: bit-exact recovery. FIIE v1: every image has its own
nonce, so the recovered bytes are useless (about 1 byte in 256 right by
chance) - unless the test-only fixed nonce is reused, which is why that
option is for known-answer tests only.
"""

import unittest

import fiie

from support import image_path, needs, needs_test_hooks

PAPER_KEY = (0.3141592653589793, 3.99)
NONCE = bytes(range(0x40, 0x58))

# Two different photos with different region lists; the known image's
# region stream (A) is longer than the target's (B), as the attack needs.
A_FILE, A_REGIONS = "faces_1280x720.png", [("ellipse", 100, 60, 420, 520),
                                           ("rect", 700, 200, 300, 250)]
B_FILE, B_REGIONS = "faces_640x480.png", [("ellipse", 220, 80, 200, 260),
                                          ("rect", -10, 400, 120, 100)]


def load(name):
    return fiie.Image.open(str(image_path(name)), format=fiie.PixelFormat.RGB8)


def region_stream(img, mask):
    """Spec section 3: R, G, B of every protected pixel in raster order."""
    data = img.tobytes()
    bits = mask.rasterize()
    return b"".join(data[3 * i:3 * i + 3] for i, b in enumerate(bits) if b)


def with_region_stream(img, mask, stream):
    """A copy of img's pixels with the protected bytes replaced by stream."""
    data = bytearray(img.tobytes())
    it = iter(stream)
    for i, b in enumerate(mask.rasterize()):
        if b:
            for c in range(3):
                data[3 * i + c] = next(it)
    return bytes(data)


def xor(a, b):
    return bytes(x ^ y for x, y in zip(a, b))


@needs("fiie_encrypt", "fiie_mask_new", "fiie_mask_rasterize", "fiie_paper_keystream")
class TestKnownPlaintextAttack(unittest.TestCase):
    def setUp(self):
        self.a_plain, self.b_plain = load(A_FILE), load(B_FILE)
        self.a_mask = fiie.Mask.for_image(self.a_plain, A_REGIONS)
        self.b_mask = fiie.Mask.for_image(self.b_plain, B_REGIONS)
        self.assertNotEqual(self.a_plain.tobytes()[:1000], self.b_plain.tobytes()[:1000])
        self.assertGreater(self.a_mask.pixel_count, self.b_mask.pixel_count)
        self.addCleanup(lambda: [x.close() for x in (self.a_plain, self.b_plain,
                                                     self.a_mask, self.b_mask)])

    def encrypt_both(self, **kw):
        a, b = self.a_plain.copy(), self.b_plain.copy()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        fiie.encrypt(a, self.a_mask, **kw)
        fiie.encrypt(b, self.b_mask, **kw)
        return a, b

    def attack(self, a_cipher, b_cipher):
        """Known plain A and cipher A -> keystream -> decrypt cipher B.
        Returns (recovered B pixels, fraction of B's protected bytes right)."""
        keystream = xor(region_stream(self.a_plain, self.a_mask),
                        region_stream(a_cipher, self.a_mask))
        b_stream = region_stream(b_cipher, self.b_mask)
        self.assertGreaterEqual(len(keystream), len(b_stream))
        guess = xor(b_stream, keystream)
        truth = region_stream(self.b_plain, self.b_mask)
        right = sum(1 for x, y in zip(guess, truth) if x == y) / len(truth)
        return with_region_stream(b_cipher, self.b_mask, guess), right

    def test_paper_mode_keystream_recovered_and_other_image_decrypted(self):
        a, b = self.encrypt_both(paper=PAPER_KEY)
        self.assertNotEqual(b.tobytes(), self.b_plain.tobytes())  # it was encrypted
        # The recovered bytes are the paper keystream itself ...
        n = self.a_mask.pixel_count * 3
        self.assertEqual(xor(region_stream(self.a_plain, self.a_mask),
                             region_stream(a, self.a_mask)),
                         fiie.paper_keystream(*PAPER_KEY, n))
        # ... and decrypt the other image bit-exactly, without the key.
        recovered, right = self.attack(a, b)
        self.assertEqual(right, 1.0)
        self.assertEqual(recovered, self.b_plain.tobytes())

    def test_v1_fresh_nonces_defeat_the_attack(self):
        with fiie.Key.generate() as key:
            a, b = self.encrypt_both(key=key)
        recovered, right = self.attack(a, b)
        self.assertNotEqual(recovered, self.b_plain.tobytes())
        # Unrelated streams: about 1/256 of the bytes match by chance
        # (B has ~110000 protected bytes; 2 % is > 30 standard deviations away).
        self.assertLess(right, 0.02)

    @needs_test_hooks
    def test_v1_reused_fixed_nonce_is_broken_too(self):
        # Why the nonce option is for known-answer tests only: the same
        # (key, nonce) twice gives the same stream, as in paper mode.
        with fiie.Key.generate() as key:
            a, b = self.encrypt_both(key=key, nonce=NONCE)
        recovered, right = self.attack(a, b)
        self.assertEqual(right, 1.0)
        self.assertEqual(recovered, self.b_plain.tobytes())


if __name__ == "__main__":
    unittest.main()
