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
STAGE_OF = {"rnet": 1, "onet": 2}  # index of the net in fiie.NETS order


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


def _add_windows(fiie, img, sset, windows, faces, size, rng, max_neg=None):
    """Label windows [(x, y, w, h, ...)], crop them through libfiie and add
    them; at most max_neg negatives (the first ones given)."""
    nneg = 0
    for win in windows:
        x, y, w, h = (int(v) for v in win[:4])
        lab, off, _ = samples.classify((x, y, w, h), faces)
        if lab is None:
            continue
        if lab == samples.NEG:
            if max_neg is not None and nneg >= max_neg:
                continue
            nneg += 1
        crop = fiie.crop_patch(img, x, y, w, h, size)
        sset.add(crop, lab, off)


def make_samples(net, entries, image_root, out_dir, log, seed=1, model=None, preset=None,
                 min_face=10, n_neg=50, n_near=5, n_pos=20, neg_per_face=3, limit_images=0):
    """Write the sample set of `net` from the entries.

    P-Net: the paper's random windows (n_neg random, n_near near faces,
    n_pos jittered around each face). R-Net / O-Net: the windows the
    cascade (model, preset) feeds that net, labelled by IoU, negatives
    capped at neg_per_face x (positives + parts) per image (at least 10),
    highest scores first; plus n_pos jittered windows per face so that
    every face contributes positives even when the cascade lost it."""
    fiie = import_fiie()
    size = SIZES[net]
    nfaces = _check_dataset(entries, min_face)
    sset = samples.SampleSet(out_dir, size)
    done = sset.state["images_done"]
    if done:
        log("%s samples: resuming after %d of %d images (%d crops)"
            % (net, done, len(entries), sset.state["count"]))
    log("%s samples: %d images, %d faces >= %g px, crops %dx%d"
        % (net, len(entries), nfaces, min_face, size, size))
    det = None
    if net != "pnet":
        det = fiie.Detector(model, threads=1, **preset)
    sset.open_append()
    t0 = time.monotonic()
    n0 = sset.state["count"]
    try:
        for i in range(done, len(entries)):
            e = entries[i]
            sset.begin_image()
            img, bad = _open_image(fiie, image_root, e, log)
            if img is None:
                sset.commit_image(skipped=bad)
                continue
            with img:
                faces = np.asarray(wider.training_boxes(e), dtype=np.float64).reshape(-1, 4)
                big = np.asarray(wider.training_boxes(e, min_face), dtype=np.float64).reshape(-1, 4)
                # every annotated face (invalid ones too) repels negatives
                allf = np.asarray([f.corners() for f in e.faces if f.w > 0 and f.h > 0],
                                  dtype=np.float64).reshape(-1, 4)
                rng = np.random.default_rng([seed, e.index])
                if net == "pnet":
                    ws = samples.random_windows(rng, big, img.width, img.height, size, n_neg,
                                                n_near, n_pos, min_face)
                    ws = [(x, y, s, s) for x, y, s in ws]
                    _add_windows(fiie, img, sset, _drop_ambiguous_negatives(ws, big, allf),
                                 big, size, rng)
                else:
                    mined = det.windows(img, STAGE_OF[net])
                    mined = _drop_ambiguous_negatives(mined, faces, allf)
                    npos = sum(1 for w in mined
                               if samples.classify(tuple(w[:4]), faces)[0] in (samples.POS,
                                                                                 samples.PART))
                    _add_windows(fiie, img, sset, mined, faces, size, rng,
                                 max_neg=max(10, neg_per_face * npos))
                    jitter = samples.random_windows(rng, big, img.width, img.height, size, 0, 0,
                                                    n_pos, min_face)
                    _add_windows(fiie, img, sset, [(x, y, s, s) for x, y, s in jitter], big,
                                 size, rng, max_neg=0)
            sset.commit_image()
            k = i + 1
            dt = time.monotonic() - t0
            log.progress("%s samples: %d/%d images, %d crops (pos %d, neg %d, part %d), "
                         "%.1f crops/s" % (net, k, len(entries), sset.state["count"],
                                           sset.state["counts"][1], sset.state["counts"][0],
                                           sset.state["counts"][2],
                                           (sset.state["count"] - n0) / max(dt, 1e-9)))
            if limit_images and k - done >= limit_images:
                break
    finally:
        sset.close()
        if det is not None:
            det.close()
    st = sset.state
    log("%s samples: %d images done, %d crops (pos %d, neg %d, part %d) in %.1f s; "
        "%d images skipped%s" % (net, st["images_done"], st["count"], st["counts"][1],
                                 st["counts"][0], st["counts"][2], time.monotonic() - t0,
                                 len(st["skipped"]),
                                 (": " + ", ".join(st["skipped"][:10])) if st["skipped"] else ""))
    return st


def _drop_ambiguous_negatives(windows, faces, all_faces):
    """Windows that are negatives for the training faces but overlap an
    unused annotation (too small or flagged invalid) by IoU >= 0.3 are
    dropped: they are faces, not background."""
    out = []
    for w in windows:
        x, y, ww, hh = (float(v) for v in w[:4])
        lab = samples.classify((x, y, ww, hh), faces)[0]
        if lab == samples.NEG and len(all_faces) and \
                samples.iou((x, y, x + ww, y + hh), all_faces).max() >= samples.NEG_MAX:
            continue
        out.append(w)
    return out
