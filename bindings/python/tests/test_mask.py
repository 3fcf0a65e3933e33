"""fiie.Mask: regions, membership, from_faces."""

import unittest

import fiie

from support import needs, needs_numpy

MASK_FUNCS = ("fiie_mask_new", "fiie_mask_add_region", "fiie_mask_add_box",
              "fiie_mask_pixel_count", "fiie_mask_rasterize")


def inside(shape, x, y, w, h, px, py):
    """The spec's membership rule, independently in Python integers."""
    if shape == fiie.Shape.RECT:
        return x <= px < x + w and y <= py < y + h
    dx = 2 * px + 1 - (2 * x + w)
    dy = 2 * py + 1 - (2 * y + h)
    return dx * dx * h * h + dy * dy * w * w <= w * w * h * h


@needs(*MASK_FUNCS)
class TestMask(unittest.TestCase):
    def test_regions_round_trip(self):
        regs = [(fiie.Shape.RECT, -3, -3, 6, 6), ("ellipse", 12, 10, 20, 15)]
        with fiie.Mask(40, 30, regs) as m:
            self.assertEqual((m.width, m.height, len(m)), (40, 30, 2))
            self.assertEqual(m.regions, [fiie.Region(fiie.Shape.RECT, -3, -3, 6, 6),
                                         fiie.Region(fiie.Shape.ELLIPSE, 12, 10, 20, 15)])
            with self.assertRaises(fiie.NotFoundError):
                m.region(2)

    def test_membership_matches_integer_rule(self):
        regs = [(0, 5, 4, 10, 8), (1, 12, 10, 20, 15), (0, -3, -3, 6, 6), (1, 30, -5, 9, 14)]
        w, h = 40, 30
        with fiie.Mask(w, h, regs) as m:
            raster = m.rasterize()
            count = 0
            for py in range(h):
                for px in range(w):
                    want = any(inside(*r, px, py) for r in regs)
                    count += want
                    self.assertEqual(m.contains(px, py), want, (px, py))
                    self.assertEqual(raster[py * w + px], 255 if want else 0)
            self.assertEqual(m.pixel_count, count)
            self.assertFalse((-1, 0) in m)
            self.assertFalse(m.contains(w, 0))

    def test_contains_exact_on_extreme_ellipses(self):
        """fiie_mask_contains agrees with exact (Python integer) arithmetic on
        random masks of huge ellipses, where dx²h² + dy²w² passes 2^128."""
        import random
        rng = random.Random(14)
        # The case of issue 14: 128-bit arithmetic said inside.
        cases = [(-77253349, -192856838, 4014233488, 4057698077, 0, 0)]
        for _ in range(20000):
            w = rng.randrange(1 << 31, 1 << 32)
            h = rng.randrange(1 << 31, 1 << 32)
            x = -rng.randrange(0, 1 << 31)
            y = -rng.randrange(0, 1 << 31)
            cases.append((x, y, w, h, rng.randrange(0, 8), rng.randrange(0, 8)))
        disagree = 0
        for x, y, w, h, px, py in cases:
            with fiie.Mask(8, 8, [(fiie.Shape.ELLIPSE, x, y, w, h)]) as m:
                got = m.contains(px, py)
                if got != inside(fiie.Shape.ELLIPSE, x, y, w, h, px, py):
                    disagree += 1
                # The span code (rasterize) is the cipher's rule: it must agree.
                self.assertEqual(bool(m.rasterize()[py * 8 + px]), got)
        self.assertEqual(disagree, 0)
        with fiie.Mask(8, 8, [(fiie.Shape.ELLIPSE, *cases[0][:4])]) as m:
            self.assertFalse(m.contains(0, 0))

    def test_bad_regions(self):
        with fiie.Mask(10, 10) as m:
            with self.assertRaises(fiie.InvalidArgumentError):
                m.add_region(fiie.Shape.RECT, 0, 0, 0, 5)
            with self.assertRaises(fiie.InvalidArgumentError):
                m.add_region(7, 0, 0, 5, 5)
            with self.assertRaises(fiie.InvalidArgumentError):
                m.add_region("triangle", 0, 0, 5, 5)
            with self.assertRaises(fiie.InvalidArgumentError):
                m.add_box((5, 5, 1, 1))           # x2 < x1
            with self.assertRaises(fiie.InvalidArgumentError):
                m.add_box((0, 0, 4, 4), scale=float("nan"))
            self.assertEqual(len(m), 0)
        with self.assertRaises(fiie.InvalidArgumentError):
            fiie.Mask(0, 10)
        # Values ctypes would silently wrap are refused before reaching C.
        with self.assertRaises(fiie.InvalidArgumentError):
            fiie.Mask(-1, 10)
        with self.assertRaises(fiie.InvalidArgumentError):
            fiie.Mask(1.5, 10)
        with self.assertRaises(fiie.TooLargeError):
            fiie.Mask(2 ** 32 + 5, 10)
        with fiie.Mask(10, 10) as m:
            with self.assertRaises(fiie.TooLargeError):
                m.add_rect(2 ** 31, 0, 1, 1)
            with self.assertRaises(fiie.TooLargeError):
                m.add_rect(0, -2 ** 31 - 1, 1, 1)
            with self.assertRaises(fiie.InvalidArgumentError):
                m.add_rect(0, 0, -1, 1)
            with self.assertRaises(fiie.TooLargeError):
                m.contains(2 ** 64, 0)
            with self.assertRaises(fiie.InvalidArgumentError):
                m.region(-1)
            m.add_rect(-2 ** 31, -2 ** 31, 2 ** 32 - 1, 2 ** 32 - 1)  # extremes are fine
            self.assertEqual(m.pixel_count, 100)
        with self.assertRaises(fiie.TooLargeError):
            fiie.Mask(fiie.MAX_DIMENSION + 1, 10)

    def test_from_faces_scales_about_centre(self):
        boxes = [(10.0, 20.0, 30.0, 60.0)]
        with fiie.Mask.from_faces((100, 100), boxes, scale=1.0, shape="rect") as m:
            self.assertEqual(m.regions, [fiie.Region(fiie.Shape.RECT, 10, 20, 20, 40)])
        with fiie.Mask.from_faces((100, 100), boxes, scale=1.5) as m:  # exact in float
            self.assertEqual(m.regions, [fiie.Region(fiie.Shape.ELLIPSE, 5, 10, 30, 60)])
        with fiie.Mask.from_faces((100, 100), boxes) as m:  # defaults: ellipse, 1.6
            (r,) = m.regions
            self.assertEqual(r.shape, fiie.Shape.ELLIPSE)
            # 1.6x box is [4, 8, 36, 72]; rounding outward may add a pixel
            self.assertTrue(3 <= r.x <= 4 and 7 <= r.y <= 8, r)
            self.assertTrue(36 <= r.x + r.w <= 37 and 72 <= r.y + r.h <= 73, r)
        face = fiie.Face((0.5, 0.5, 10.5, 10.5), 0.9)
        with fiie.Mask.from_faces((20, 20), [face, face], scale=1.0) as m:
            self.assertEqual(len(m), 2)
            self.assertEqual(m.regions[0][1:], (0, 0, 11, 11))  # rounded outward

    def test_close(self):
        m = fiie.Mask(4, 4)
        m.close()
        m.close()
        with self.assertRaises(fiie.ClosedError):
            len(m)
        with self.assertRaises(fiie.ClosedError):
            m.add_rect(0, 0, 1, 1)

    @needs_numpy
    def test_to_array(self):
        with fiie.Mask(6, 4, [(0, 1, 1, 2, 2)]) as m:
            a = m.to_array()
            self.assertEqual(a.shape, (4, 6))
            self.assertEqual(int(a.sum()), 4 * 255)
            self.assertEqual(a[1, 1], 255)


if __name__ == "__main__":
    unittest.main()
