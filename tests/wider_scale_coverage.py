#!/usr/bin/python3
"""Does the size-dependent min-face floor (FIIE_MIN_FACE_BY_SIZE, the
`fiie encrypt` preset) lose faces on large photos? A measurement, not a
test (WIDER FACE is not part of the project).

WIDER FACE validation images of the project's validation split (index in
wider_face_val_bbx_gt.txt, counted from 0, with index % 16 == 2; images
with index % 4 == 0 are never used) are up-scaled 1x, 2x, 3x (and more
with --scales), detected with the `fiie encrypt` preset, and masked as
`fiie encrypt` masks (boxes scaled 1.6 about their centre, ellipses). For
each scale it reports the share of valid faces (invalid flag 0) whose
(scaled) box is at least 90 % covered by the mask: the floor may grow with
the image size only if that share does not fall below the 1x share.

This is a minimal stand-alone version of the privacy figure of the
training branch's models/train/evaluate.py (same coverage rule and mask),
counting all valid faces instead of the official easy + medium lists.

usage: FIIE_LIBRARY=build/lib/libfiie.so PYTHONPATH=bindings/python \\
       /usr/bin/python3 tests/wider_scale_coverage.py GT_TXT IMAGE_DIR
       [--limit N] [--scales 1,2,3] [--min-face F]
"""
import argparse
import json
import os
import sys
import time

import cv2
import numpy as np

import fiie

MASK_SCALE = 1.6
COVER_MIN = 0.9


def parse_gt(path):
    """(index, relative path, valid boxes [x, y, w, h]) in file order."""
    with open(path) as f:
        lines = f.read().split("\n")
    i = index = 0
    out = []
    while i < len(lines) and lines[i].strip():
        name = lines[i].strip()
        n = int(lines[i + 1])
        rows = [list(map(float, lines[i + 2 + k].split()[:10])) for k in range(max(n, 1))]
        boxes = [r[:4] for r in rows[:n] if r[7] == 0 and r[2] > 0 and r[3] > 0]
        out.append((index, name, boxes))
        index += 1
        i += 2 + max(n, 1)
    return out


def coverage(mask, box):
    """Share of the pixel centres of box (x, y, w, h) inside the image that
    the mask covers (None when none is inside), as evaluate.py."""
    x, y, w, h = box
    hgt, wid = mask.shape
    x0, x1 = max(0, int(np.ceil(x - 0.5))), min(wid, int(np.ceil(x + w - 0.5)))
    y0, y1 = max(0, int(np.ceil(y - 0.5))), min(hgt, int(np.ceil(y + h - 0.5)))
    if x1 <= x0 or y1 <= y0:
        return None
    return float(mask[y0:y1, x0:x1].mean())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gt")
    ap.add_argument("images")
    ap.add_argument("--limit", type=int, default=0, help="first N validation images only")
    ap.add_argument("--scales", default="1,2,3")
    ap.add_argument("--min-face", type=float, default=fiie.MIN_FACE_BY_SIZE,
                    help="detector min_face (default: the size rule)")
    args = ap.parse_args()
    scales = [int(s) for s in args.scales.split(",")]
    entries = [e for e in parse_gt(args.gt) if e[0] % 16 == 2]
    assert all(e[0] % 4 != 0 for e in entries)
    if args.limit:
        entries = entries[:args.limit]
    preset = dict(fiie.HIGH_RECALL, min_face=args.min_face)
    stats = {k: {"faces": 0, "covered": 0, "faces_ge10": 0, "covered_ge10": 0, "seconds": 0.0}
             for k in scales}
    with fiie.Detector(**preset) as det:
        for n, (_, name, boxes) in enumerate(entries):
            src = cv2.imread(os.path.join(args.images, name), cv2.IMREAD_COLOR)
            if src is None:
                print("skipped", name, file=sys.stderr)
                continue
            for k in scales:
                img = src if k == 1 else cv2.resize(src, None, fx=k, fy=k,
                                                    interpolation=cv2.INTER_CUBIC)
                rgb = np.ascontiguousarray(img[:, :, ::-1])
                t0 = time.monotonic()
                faces = det.detect(rgb)
                stats[k]["seconds"] += time.monotonic() - t0
                h, w = rgb.shape[:2]
                with fiie.Mask.from_faces((w, h), [f.box for f in faces], scale=MASK_SCALE) as m:
                    arr = m.to_array() != 0
                for b in boxes:
                    c = coverage(arr, [v * k for v in b])
                    if c is None:
                        continue
                    ok = int(c >= COVER_MIN)
                    s = stats[k]
                    s["faces"] += 1
                    s["covered"] += ok
                    if min(b[2], b[3]) >= 10:
                        s["faces_ge10"] += 1
                        s["covered_ge10"] += ok
            print("%d/%d %s" % (n + 1, len(entries), " ".join(
                "%dx %.4f" % (k, stats[k]["covered"] / max(1, stats[k]["faces"])) for k in scales)),
                file=sys.stderr, flush=True)
    for k in scales:
        s = stats[k]
        s["coverage"] = s["covered"] / max(1, s["faces"])
        s["coverage_ge10"] = s["covered_ge10"] / max(1, s["faces_ge10"])
    print(json.dumps({"images": len(entries), "min_face": args.min_face, "scales": stats},
                     indent=1))


if __name__ == "__main__":
    sys.exit(main())
