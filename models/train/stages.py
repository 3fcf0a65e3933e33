"""Sample stages of the pipeline: P-Net samples from random windows, R-Net
and O-Net samples mined by running the cascade trained so far through
libfiie. Every crop is cut and resampled by libfiie (fiie.crop_patch, the
code of the cascade's own crops), so training and detection see the same
pixels. Images are decoded by libfiie too.

Both stages go image by image and commit after each one, so they resume
where they stopped; images that are missing or cannot be decoded are
skipped, counted and named.
"""

import os
import time

import numpy as np

import samples
import wider
from runlog import StageError, import_fiie

SIZES = {"pnet": 12, "rnet": 24, "onet": 48}


def _open_image(fiie, root, entry, log):
    path = os.path.join(root, entry.path)
    try:
        return fiie.Image.open(path), None
    except (OSError, fiie.Error) as e:
        log("skipped %s: %s" % (entry.path, e))
        return None, entry.path


def _check_dataset(entries, min_face):
    if not entries:
        raise StageError("no image to sample from")
    faces = sum(1 for e in entries for b in wider.training_boxes(e, min_face))
    if faces == 0:
        raise StageError("the %d images hold no valid face of at least %g px: nothing to "
                         "learn positives from" % (len(entries), min_face))
    return faces


class _Faces:
    """The faces of one image that crops are labelled against, as boxes
    (x1, y1, x2, y2) and the metadata of each (samples.META_COLUMNS but
    the window's size)."""

    def __init__(self, entry, min_side=0.0):
        ids = wider.training_indices(entry, min_side)
        self.boxes = np.asarray([entry.faces[k].corners() for k in ids],
                                dtype=np.float64).reshape(-1, 4)
        self.meta = []
        for k in ids:
            fc = entry.faces[k]
            a = dict(zip(wider.ATTRIBUTES, fc.attrs))
            self.meta.append((entry.index, k, fc.w, fc.h, a["blur"], a["occlusion"], a["pose"],
                              a["invalid"]))
        self.negative = (entry.index, -1, 0, 0, 0, 0, 0, 0)


def _add_windows(fiie, img, sset, windows, faces, size, max_neg=None, repel=None):
    """Label windows [(x, y, w, h, ...)] by IoU with the faces (_Faces),
    crop them through libfiie and add them with their metadata: at most
    max_neg negatives (the first ones given); negatives that overlap a
    face of `repel` (annotations not trained on: too small, invalid) by
    IoU >= 0.3 are dropped, they are faces, not background. Returns the
    number of positives and parts."""
    if not len(windows):
        return 0
    w = np.asarray([tuple(v[:4]) for v in windows], dtype=np.float64)
    labels, offsets, match = samples.classify_many(w, faces.boxes, with_match=True)
    if repel is not None and len(repel):
        boxes = np.stack([w[:, 0], w[:, 1], w[:, 0] + w[:, 2], w[:, 1] + w[:, 3]], 1)
        near = samples.iou_matrix(boxes, repel).max(1) >= samples.NEG_MAX
        labels[(labels == samples.NEG) & near] = samples.AMBIGUOUS
    neg = np.nonzero(labels == samples.NEG)[0]
    if max_neg is not None and len(neg) > max_neg:
        labels[neg[max_neg:]] = samples.AMBIGUOUS
    for i in np.nonzero(labels != samples.AMBIGUOUS)[0]:
        x, y, ww, hh = (int(v) for v in w[i])
        lab = int(labels[i])
        meta = faces.negative if lab == samples.NEG else faces.meta[match[i]]
        sset.add(fiie.crop_patch(img, x, y, ww, hh, size), lab,
                 None if lab == samples.NEG else offsets[i], meta + (ww, hh))
    return int(np.count_nonzero((labels == samples.POS) | (labels == samples.PART)))


def make_samples(net_names, entries, image_root, out_dir, log, seed=1, model=None, preset=None,
                 min_face=10, n_neg=50, n_near=5, n_pos=20, neg_per_face=3, limit_images=0,
                 selection=None):
    """Write the sample sets out_dir/NET of the nets named (pnet alone, or
    rnet and/or onet, mined in one pass of the cascade).

    P-Net: the paper's random windows (n_neg random, n_near near faces,
    n_pos jittered around each face). R-Net / O-Net: the windows the
    cascade (model, preset) feeds that net, labelled by IoU, negatives
    capped at neg_per_face x (positives + parts) per image (at least 10),
    highest scores first; plus n_pos jittered windows per face so that
    every face contributes positives even where the cascade lost it."""
    fiie = import_fiie()
    net_names = list(net_names)
    if not net_names or any(n not in SIZES for n in net_names) or \
            ("pnet" in net_names and len(net_names) > 1):
        raise StageError("sample nets: pnet alone, or rnet and/or onet (got %s)"
                         % ",".join(net_names))
    nfaces = _check_dataset(entries, min_face)
    sets = {n: samples.SampleSet(os.path.join(out_dir, n), SIZES[n]) for n in net_names}
    for n, s in sets.items():
        # resuming is only meaningful over the same images in the same order
        have = s.state.setdefault("selection", selection)
        if s.state["images_done"] and have != selection:
            raise StageError("%s was made from other images (%s); use a new --out or the same "
                             "options" % (s.path, have))
        s.state["selection"] = selection
    done = min(s.state["images_done"] for s in sets.values())
    if done:
        log("samples %s: resuming after %d of %d images"
            % (",".join(net_names), done, len(entries)))
    log("samples %s: %d images, %d faces >= %g px"
        % (",".join(net_names), len(entries), nfaces, min_face))
    det = None
    if net_names != ["pnet"]:
        det = fiie.Detector(model, threads=1, **preset)
    for s in sets.values():
        s.open_append()
    t0 = time.monotonic()
    n0 = sum(s.state["count"] for s in sets.values())
    try:
        for i in range(done, len(entries)):
            e = entries[i]
            todo = [n for n in net_names if sets[n].state["images_done"] <= i]
            for n in todo:
                sets[n].begin_image()
            img, bad = _open_image(fiie, image_root, e, log)
            if img is not None:
                with img:
                    _image_samples(fiie, det, img, e, todo, sets, seed, min_face, n_neg, n_near,
                                   n_pos, neg_per_face)
            for n in todo:
                sets[n].commit_image(skipped=bad)
            k = i + 1
            dt = time.monotonic() - t0
            made = sum(s.state["count"] for s in sets.values()) - n0
            log.progress("samples: %d/%d images, %s, %.1f crops/s"
                         % (k, len(entries), "; ".join(_counts(n, sets[n]) for n in net_names),
                            made / max(dt, 1e-9)))
            if limit_images and k - done >= limit_images:
                break
    finally:
        for s in sets.values():
            s.close()
        if det is not None:
            det.close()
    for n in net_names:
        st = sets[n].state
        log("samples %s in %.1f s; %d images done, %d skipped%s"
            % (_counts(n, sets[n]), time.monotonic() - t0, st["images_done"], len(st["skipped"]),
               (": " + ", ".join(st["skipped"][:10])) if st["skipped"] else ""))
    return {n: sets[n].state for n in net_names}


def _counts(name, sset):
    c = sset.state["counts"]
    return "%s %d crops (pos %d, neg %d, part %d)" % (name, sset.state["count"], c[1], c[0], c[2])


def _image_samples(fiie, det, img, e, todo, sets, seed, min_face, n_neg, n_near, n_pos,
                   neg_per_face):
    faces = _Faces(e)
    big = _Faces(e, min_face)
    # every annotated face (too small or invalid ones too) repels negatives
    allf = np.asarray([f.corners() for f in e.faces if f.w > 0 and f.h > 0],
                      dtype=np.float64).reshape(-1, 4)
    if todo == ["pnet"]:
        rng = np.random.default_rng([seed, e.index])
        ws = samples.random_windows(rng, big.boxes, img.width, img.height, SIZES["pnet"], n_neg,
                                    n_near, n_pos, min_face)
        _add_windows(fiie, img, sets["pnet"], [(x, y, s, s) for x, y, s in ws], big,
                     SIZES["pnet"], repel=allf)
        return
    mined = det.windows(img) if todo else []
    for n in todo:
        rng = np.random.default_rng([seed, e.index, SIZES[n]])
        ws = [w[1:] for w in mined if w[0] == n]
        # positives and parts first (all of them), then the negatives,
        # highest scores (the hardest) first, up to neg_per_face per face
        labels, _ = samples.classify_many([w[:4] for w in ws], faces.boxes)
        keep = [w for w, lab in zip(ws, labels) if lab in (samples.POS, samples.PART)]
        npos = _add_windows(fiie, img, sets[n], keep, faces, SIZES[n], max_neg=0)
        negs = sorted((w for w, lab in zip(ws, labels) if lab == samples.NEG),
                      key=lambda w: -w[4])
        _add_windows(fiie, img, sets[n], negs, faces, SIZES[n],
                     max_neg=max(10, neg_per_face * npos), repel=allf)
        jitter = samples.random_windows(rng, big.boxes, img.width, img.height, SIZES[n], 0, 0,
                                        n_pos, min_face)
        _add_windows(fiie, img, sets[n], [(x, y, s, s) for x, y, s in jitter], big, SIZES[n],
                     max_neg=0)
