#!/usr/bin/python3
"""Does the size-dependent min-face floor (FIIE_MIN_FACE_BY_SIZE, the
`fiie encrypt` preset) lose faces on large photos? A measurement, not a
test (WIDER FACE is not part of the project).

Every image of the project's WIDER FACE validation split (models/train's
wider.select(..., "val"): index % 16 == 2 in wider_face_val_bbx_gt.txt;
the reserved index % 4 == 0 images are never read) is up-scaled 1x, 2x,
3x (and more with --scales, bicubic), detected with the `fiie encrypt`
preset (min face by size, factor 0.79, thresholds 0.5/0.5/0.3), and scored with models/train/evaluate.py's privacy figure: the
share of the valid faces of the official easy + medium lists (the .mat
difficulty files) whose box, scaled with the image, is at least 90 %
covered by the mask `fiie encrypt` stores (boxes scaled 1.6 about their
centre, ellipses). The floor may grow with the image size only if that
share does not fall below the 1x share.

Detections go to OUT/scale<k>.jsonl (evaluate.py's format, one image per
line, coordinates of the up-scaled image), image by image; a run that is stopped resumes
where it stopped, and --score-only scores what is there.

usage: FIIE_LIBRARY=build/lib/libfiie.so PYTHONPATH=bindings/python \\
       /usr/bin/python3 tests/wider_scale_coverage.py WIDER_ROOT OUT
       [--scales 1,2,3,4] [--limit N] [--threads N] [--score-only]
WIDER_ROOT holds WIDER_val/images, wider_face_split/wider_face_val_bbx_gt.txt
(or data/wider_face_split/...) and widerface_evaluate/ground_truth/*.mat.
"""
import argparse
import json
import os
import sys
import time

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "models", "train"))

import evaluate  # noqa: E402  (models/train)
import wider  # noqa: E402
from runlog import import_fiie  # noqa: E402


class ScaledTruth:
    """evaluate.GroundTruth with every box multiplied by k (the same
    faces, same easy/medium/hard lists, in up-scaled coordinates)."""

    def __init__(self, gt, k):
        self.boxes = {key: b * k for key, b in gt.boxes.items()}
        self.keep = gt.keep


def find(root, *candidates):
    for c in candidates:
        p = os.path.join(root, c)
        if os.path.exists(p):
            return p
    raise SystemExit("none of %s under %s" % (", ".join(candidates), root))


def done_paths(path):
    if not os.path.isfile(path):
        return set()
    return {d["path"] for d in evaluate.read_detections(path)}


def detect_all(fiie, entries, image_dir, scales, out, threads):
    """Detections of every entry up-scaled k times for each k, appended to
    OUT/scale<k>.jsonl image by image (all scales of one image, then the
    next), so that a partial run covers the same images at every scale."""
    paths = {k: os.path.join(out, "scale%d.jsonl" % k) for k in scales}
    done = {k: done_paths(paths[k]) for k in scales}
    files = {k: open(paths[k], "a", encoding="utf-8") for k in scales}
    t0 = time.monotonic()
    try:
        with fiie.Detector(preset="high-recall", threads=threads) as det:
            for n, e in enumerate(entries):
                todo = [k for k in scales if e.path not in done[k]]
                src = cv2.imread(os.path.join(image_dir, e.path), cv2.IMREAD_COLOR) if todo else None
                if todo and src is None:
                    print("skipped", e.path, file=sys.stderr)
                    continue
                for k in todo:
                    img = src if k == 1 else cv2.resize(src, None, fx=k, fy=k,
                                                        interpolation=cv2.INTER_CUBIC)
                    rgb = np.ascontiguousarray(img[:, :, ::-1])
                    faces = det.detect(rgb)
                    h, w = rgb.shape[:2]
                    files[k].write(json.dumps({"path": e.path, "width": w, "height": h,
                                               "faces": [list(f.box) + [f.score] for f in faces]})
                                   + "\n")
                    files[k].flush()
                print("%d/%d (%.1f s)" % (n + 1, len(entries), time.monotonic() - t0),
                      file=sys.stderr, flush=True)
    finally:
        for f in files.values():
            f.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("out")
    ap.add_argument("--scales", default="1,2,3")
    ap.add_argument("--limit", type=int, default=0, help="first N validation images only")
    ap.add_argument("--score-only", action="store_true")
    ap.add_argument("--threads", type=int, default=1,
                    help="detector threads (the results do not depend on it)")
    args = ap.parse_args()
    fiie = import_fiie()
    scales = [int(s) for s in args.scales.split(",")]
    gt_txt = find(args.root, "wider_face_split/wider_face_val_bbx_gt.txt",
                  "data/wider_face_split/wider_face_val_bbx_gt.txt")
    image_dir = find(args.root, "WIDER_val/images")
    gt = evaluate.GroundTruth(find(args.root, "widerface_evaluate/ground_truth"))
    entries = wider.select(wider.parse_wider(gt_txt), wider.VALIDATION)
    assert all(e.index % 4 != 0 for e in entries)
    if args.limit:
        entries = entries[:args.limit]
    os.makedirs(args.out, exist_ok=True)
    res = {"images": len(entries), "scales": {}}
    if not args.score_only:
        detect_all(fiie, entries, image_dir, scales, args.out, args.threads)
    # score the images every scale has (a partial run compares like with like)
    dets = {k: {d["path"]: d for d in evaluate.read_detections(
        os.path.join(args.out, "scale%d.jsonl" % k))} for k in scales}
    common = [e.path for e in entries if all(e.path in dets[k] for k in scales)]
    res["images_scored"] = len(common)
    for k in scales:
        p = evaluate.privacy([dets[k][p] for p in common], ScaledTruth(gt, k))
        res["scales"][k] = {"faces": p["faces"], "covered": p["covered"],
                            "coverage": p["coverage"], "area": p["area"],
                            "groups": p["groups"]}
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    sys.exit(main())
