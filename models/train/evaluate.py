"""Detection quality on WIDER FACE, measured two ways.

1. AP the official way (widerface_evaluate / the MATLAB wider_eval): the
   official ground truth and easy / medium / hard difficulty lists (.mat),
   scores normalised over the whole run, IoU >= 0.5 with the "+1" pixel
   areas, faces outside the setting's list ignored, 1000 score thresholds,
   VOC-style AP. Computed over the images evaluated (a split), not over
   all 3226.
2. The privacy figure: the share of valid easy and medium faces that are
   at least 90 % covered by the mask `fiie encrypt` would store (every
   detected box scaled 1.6 about its centre as an ellipse, detector preset
   min face 10, factor 0.79, thresholds 0.5, 0.5, 0.3), and the share of
   image area that mask covers. Beside it, what that area is spent on:
   the area the same mask of the ground-truth boxes takes (a perfect
   detector's), the area of detections on an annotated face against the
   rest (false positives), and the curve of coverage and area as the
   final score cut rises.

Detections are written once (JSON lines, one image per line) by
`detect_images` and scored by `score`, so one detector run serves both.
"""

import json
import os
import time

import numpy as np

import matv5
from runlog import StageError, import_fiie

#: `fiie encrypt`'s detector preset. The CLI stores the factor as a C
#: float (0.79f), so the pyramid uses float32(0.79), not the double 0.79.
ENCRYPT_PRESET = {"min_face": 10.0, "factor": float(np.float32(0.79)),
                  "thresholds": (0.5, 0.5, 0.3)}
MASK_SCALE = 1.6
COVER_MIN = 0.9
IOU = 0.5
#: A detection overlapping some annotated face (any difficulty, invalid
#: ones included) at this official IoU spends "face" area, else
#: false-positive area. Looser than IOU: a badly boxed face is not a
#: false positive.
FACE_IOU = 0.3
THRESH_NUM = 1000
SETTINGS = ("easy", "medium", "hard")


# ---------------------------------------------------------------- ground truth

class GroundTruth:
    """The official WIDER FACE validation ground truth: per image key
    ("event/file" without extension) the boxes (x, y, w, h) and, per
    setting, the 0-based indices of the faces that setting counts."""

    def __init__(self, gt_dir):
        self.boxes = {}
        self.keep = {s: {} for s in SETTINGS}
        for s in SETTINGS:
            path = os.path.join(gt_dir, "wider_%s_val.mat" % s)
            if not os.path.isfile(path):
                raise StageError("missing official difficulty file %s" % path)
            d = matv5.load(path)
            for ev in range(d["event_list"].shape[0]):
                event = d["event_list"][ev, 0]
                files = d["file_list"][ev, 0]
                boxes = d["face_bbx_list"][ev, 0]
                gts = d["gt_list"][ev, 0]
                for j in range(files.shape[0]):
                    key = "%s/%s" % (event, files[j, 0])
                    self.boxes.setdefault(key, np.asarray(boxes[j, 0], dtype=np.float64)
                                          .reshape(-1, 4))
                    idx = np.asarray(gts[j, 0]).astype(np.int64).ravel() - 1
                    self.keep[s][key] = idx

    @staticmethod
    def key_of(path):
        """The key of an image path relative to the WIDER image folder."""
        p = path.replace("\\", "/")
        return os.path.splitext(p)[0]


# ---------------------------------------------------------------- AP

def _overlaps(pred, gt):
    """IoU of one predicted box against all gt boxes, both (x1, y1, x2, y2),
    areas with +1 as the official bbox_overlaps."""
    iw = np.minimum(gt[:, 2], pred[2]) - np.maximum(gt[:, 0], pred[0]) + 1
    ih = np.minimum(gt[:, 3], pred[3]) - np.maximum(gt[:, 1], pred[1]) + 1
    inter = np.where((iw > 0) & (ih > 0), iw * ih, 0.0)
    ua = ((pred[2] - pred[0] + 1) * (pred[3] - pred[1] + 1)
          + (gt[:, 2] - gt[:, 0] + 1) * (gt[:, 3] - gt[:, 1] + 1) - inter)
    return np.where((iw > 0) & (ih > 0), inter / ua, 0.0)


def image_eval(pred, gt, ignore, iou_thresh):
    """The official image_eval: pred (n, 5) x y w h score sorted by score
    descending, gt (m, 4) x y w h, ignore[m] 1 = counted. Returns
    (pred_recall[n], proposal_list[n])."""
    p = pred[:, :4].copy()
    p[:, 2] += p[:, 0]
    p[:, 3] += p[:, 1]
    g = gt.copy()
    g[:, 2] += g[:, 0]
    g[:, 3] += g[:, 1]
    recall = np.zeros(len(g))
    proposal = np.ones(len(p))
    pred_recall = np.zeros(len(p))
    for h in range(len(p)):
        ov = _overlaps(p[h], g)
        idx = int(np.argmax(ov))
        if ov[idx] >= iou_thresh:
            if ignore[idx] == 0:
                recall[idx] = -1
                proposal[h] = -1
            elif recall[idx] == 0:
                recall[idx] = 1
        pred_recall[h] = np.count_nonzero(recall == 1)
    return pred_recall, proposal


def img_pr_info(pred, proposal, pred_recall, thresh_num=THRESH_NUM):
    pr = np.zeros((thresh_num, 2))
    for t in range(thresh_num):
        thresh = 1 - (t + 1) / thresh_num
        r = np.nonzero(pred[:, 4] >= thresh)[0]
        if len(r):
            r = r[-1]
            pr[t, 0] = np.count_nonzero(proposal[:r + 1] == 1)
            pr[t, 1] = pred_recall[r]
    return pr


def voc_ap(rec, prec):
    mrec = np.concatenate(([0.0], rec, [1.0]))
    mpre = np.concatenate(([0.0], prec, [0.0]))
    for i in range(mpre.size - 1, 0, -1):
        mpre[i - 1] = max(mpre[i - 1], mpre[i])
    i = np.nonzero(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1]))


def normalise_scores(preds):
    """Official norm_score: (s - min) / (max - min) over every prediction."""
    scores = [p[:, 4] for p in preds.values() if len(p)]
    if not scores:
        return preds
    allv = np.concatenate(scores)
    lo, hi = float(allv.min()), float(allv.max())
    diff = hi - lo if hi > lo else 1.0
    out = {}
    for k, p in preds.items():
        q = p.copy()
        if len(q):
            q[:, 4] = (q[:, 4] - lo) / diff
        out[k] = q
    return out


def wider_ap(preds, gt, keys, setting, iou_thresh=IOU):
    """AP of one setting over the images `keys`. preds: key -> (n, 5)
    x y w h score (any order; sorted here by score, stable)."""
    preds = normalise_scores({k: preds.get(k, np.zeros((0, 5))) for k in keys})
    pr = np.zeros((THRESH_NUM, 2))
    count = 0
    for k in keys:
        gtb = gt.boxes[k]
        keep = gt.keep[setting][k]
        count += len(keep)
        p = preds[k]
        if len(gtb) == 0 or len(p) == 0:
            continue
        p = p[np.argsort(-p[:, 4], kind="stable")]
        ignore = np.zeros(len(gtb))
        if len(keep):
            ignore[keep] = 1
        rec, prop = image_eval(p, gtb, ignore, iou_thresh)
        pr += img_pr_info(p, prop, rec)
    if count == 0:
        raise StageError("no face of setting %s in the evaluated images" % setting)
    with np.errstate(invalid="ignore", divide="ignore"):
        prec = pr[:, 1] / pr[:, 0]
    prec = np.nan_to_num(prec)
    return voc_ap(pr[:, 1] / count, prec)


# ---------------------------------------------------------------- detection

def detect_images(entries, image_root, out_path, model=None, preset=None, log=print,
                  threads=1, stages=False):
    """Run libfiie's detector on every entry and write one JSON line per
    image: path, width, height, faces [[x1, y1, x2, y2, score], ...]; with
    stages, also the windows R-Net and O-Net ran on ("rnet", "onet":
    [[x, y, w, h, score], ...]) to see which stage loses faces.
    Missing or undecodable images are skipped, counted and named."""
    fiie = import_fiie()
    preset = dict(ENCRYPT_PRESET if preset is None else preset)
    skipped = []
    t0 = time.monotonic()
    tmp = out_path + ".tmp"
    with fiie.Detector(model, threads=threads, **preset) as det, \
            open(tmp, "w", encoding="utf-8", buffering=1) as out:
        for n, e in enumerate(entries):
            path = os.path.join(image_root, e.path)
            try:
                img = fiie.Image.open(path)
            except (OSError, fiie.Error) as err:
                skipped.append(e.path)
                log("skipped %s: %s" % (e.path, err))
                continue
            with img:
                faces = det.detect(img)
                rec = {"path": e.path, "width": img.width, "height": img.height,
                       "faces": [list(f.box) + [f.score] for f in faces],
                       "landmarks": [[c for p in f.landmarks for c in p] for f in faces]}
                if stages:
                    wins = det.windows(img)
                    for net in ("rnet", "onet"):
                        rec[net] = [list(w[1:]) for w in wins if w[0] == net]
            out.write(json.dumps(rec) + "\n")
            if hasattr(log, "progress"):
                log.progress("detect: %d/%d images, %.2f images/s"
                             % (n + 1, len(entries), (n + 1) / (time.monotonic() - t0)))
    os.replace(tmp, out_path)
    log("detect: %d images in %.1f s, %d skipped%s"
        % (len(entries) - len(skipped), time.monotonic() - t0, len(skipped),
           (": " + ", ".join(skipped[:10])) if skipped else ""))
    return skipped


def read_detections(path):
    out = []
    with open(path, "r", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                out.append(json.loads(line))
    return out


# ---------------------------------------------------------------- privacy

def face_coverage(mask, box):
    """Share of the pixels of box (x, y, w, h) (pixel centres inside it,
    clipped to the image) that the mask (H, W bool) covers; None when no
    pixel of the box is inside the image."""
    x, y, w, h = box
    hgt, wid = mask.shape
    x0, x1 = max(0, int(np.ceil(x - 0.5))), min(wid, int(np.ceil(x + w - 0.5)))
    y0, y1 = max(0, int(np.ceil(y - 0.5))), min(hgt, int(np.ceil(y + h - 0.5)))
    if x1 <= x0 or y1 <= y0:
        return None
    return float(mask[y0:y1, x0:x1].mean())


def mask_of(size, boxes, scale=MASK_SCALE):
    """The mask `fiie encrypt` would store for boxes [x1, y1, x2, y2] on
    an image of size (width, height), as an (H, W) bool array."""
    fiie = import_fiie()
    with fiie.Mask.from_faces(size, boxes, scale=scale) as m:
        return m.to_array() != 0


def valid_faces(gt, key):
    """The indices of the valid easy and medium faces of an image."""
    return sorted(set(gt.keep["easy"][key].tolist()) | set(gt.keep["medium"][key].tolist()))


def gt_corners(gt, key):
    """The annotated boxes of an image as (x1, y1, x2, y2), x2 = x + w."""
    b = gt.boxes[key]
    return np.concatenate([b[:, :2], b[:, :2] + b[:, 2:]], axis=1)


def privacy(dets, gt, attrs=None, scale=MASK_SCALE):
    """Coverage of the valid easy and medium faces and encrypted area.
    attrs: optional key -> list of WIDER attribute tuples (for the
    breakdown by blur / occlusion / size / pose)."""
    covered = total = 0
    masked_px = image_px = 0
    per_image_share = []
    groups = {}

    def tally(name, ok):
        g = groups.setdefault(name, [0, 0])
        g[0] += ok
        g[1] += 1

    for d in dets:
        key = GroundTruth.key_of(d["path"])
        w, h = d["width"], d["height"]
        arr = mask_of((w, h), [f[:4] for f in d["faces"]], scale)
        masked_px += int(arr.sum())
        image_px += w * h
        per_image_share.append(arr.mean())
        for i in valid_faces(gt, key):
            box = gt.boxes[key][i]
            c = face_coverage(arr, box)
            if c is None:
                continue
            ok = int(c >= COVER_MIN)
            covered += ok
            total += 1
            side = min(box[2], box[3])
            tally("size<30" if side < 30 else "size>=30", ok)
            if attrs is not None and key in attrs and i < len(attrs[key]):
                a = attrs[key][i]
                if a[0] == 2:
                    tally("heavy blur", ok)
                if a[4] == 2:
                    tally("heavy occlusion", ok)
                if a[5] == 1:
                    tally("atypical pose", ok)
    if total == 0:
        raise StageError("no valid easy/medium face in the evaluated images")
    return {"faces": total, "covered": covered, "coverage": covered / total,
            "area": masked_px / image_px if image_px else 0.0,
            "area_mean_per_image": float(np.mean(per_image_share)) if per_image_share else 0.0,
            "groups": {k: {"faces": v[1], "coverage": v[0] / v[1]} for k, v in groups.items()}}


def oracle_area(dets, gt, scale=MASK_SCALE):
    """The share of image area the mask of the ground-truth boxes takes, as
    if a perfect detector had found them: of every annotated face ("all")
    and of the valid easy and medium faces only ("valid"). Coverage 1 at
    no less than "valid"; what a detector spends above it goes to other
    faces, box errors and false positives. Empty boxes (some invalid
    faces) cover nothing."""
    px = {"all": 0, "valid": 0}
    image_px = 0
    for d in dets:
        key = GroundTruth.key_of(d["path"])
        size = (d["width"], d["height"])
        boxes = gt_corners(gt, key)
        real = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
        valid = np.zeros(len(boxes), bool)
        valid[valid_faces(gt, key)] = True
        px["all"] += int(mask_of(size, boxes[real].tolist(), scale).sum())
        px["valid"] += int(mask_of(size, boxes[real & valid].tolist(), scale).sum())
        image_px += size[0] * size[1]
    return {k: v / image_px if image_px else 0.0 for k, v in px.items()}


def area_split(dets, gt, scale=MASK_SCALE, iou_thresh=FACE_IOU):
    """The encrypted area split by the detections it comes from: those
    overlapping some annotated face (official IoU >= iou_thresh, any face
    of any difficulty) give "face" area, the pixels only the others cover
    are "false_positive" area; the two add up to the privacy area. With
    the number of detections of each kind."""
    out = {k: {"area": 0, "detections": 0} for k in ("face", "false_positive")}
    image_px = 0
    for d in dets:
        key = GroundTruth.key_of(d["path"])
        size = (d["width"], d["height"])
        g = gt_corners(gt, key)
        on, off = [], []
        for f in d["faces"]:
            hit = len(g) and _overlaps(np.asarray(f[:4], dtype=np.float64), g).max() >= iou_thresh
            (on if hit else off).append(f[:4])
        m_on = mask_of(size, on, scale)
        out["face"]["area"] += int(m_on.sum())
        out["false_positive"]["area"] += int((mask_of(size, off, scale) & ~m_on).sum())
        out["face"]["detections"] += len(on)
        out["false_positive"]["detections"] += len(off)
        image_px += size[0] * size[1]
    for v in out.values():
        v["area"] = v["area"] / image_px if image_px else 0.0
    return out


def parse_score_cuts(text):
    """The score cuts of "t1,t2,..." (each in [0, 1]), ascending."""
    items = [t.strip() for t in text.split(",")] if text is not None else []
    if not items or not all(items):
        raise StageError("--score-cuts: expected a comma-separated list of scores in [0, 1], "
                         "got %r" % text)
    cuts = []
    for t in items:
        try:
            v = float(t)
        except ValueError:
            raise StageError("--score-cuts: %r is not a number" % t) from None
        if not 0.0 <= v <= 1.0:
            raise StageError("--score-cuts: %r is outside [0, 1]" % t)
        cuts.append(v)
    return sorted(set(cuts))


def score_cuts(dets, gt, cuts, scale=MASK_SCALE):
    """Coverage and area (and false-positive area) when only the final faces
    scoring >= t are kept, for each cut t: the operating curve of raising
    O-Net's final threshold, read from one detection run. Raising it only
    drops faces (non-maximum suppression keeps the higher score), so the
    curve is exact for cuts at or above the run's threshold; cuts under
    it need a new detection run."""
    out = []
    for t in cuts:
        kept = [dict(d, faces=[f for f in d["faces"] if f[4] >= t]) for d in dets]
        p = privacy(kept, gt, scale=scale)
        fp = area_split(kept, gt, scale)["false_positive"]
        out.append({"score": t, "coverage": p["coverage"], "area": p["area"],
                    "false_positive_area": fp["area"],
                    "false_positive_detections": fp["detections"]})
    return out


def stage_recall(dets, gt, iou_thresh=IOU):
    """Share of the valid easy and medium faces that some window entering
    R-Net, entering O-Net, or some final face overlaps with IoU >= 0.5
    (official IoU), for detections written with stages."""
    hits = {"rnet": 0, "onet": 0, "final": 0}
    total = 0
    for d in dets:
        if "rnet" not in d:
            return None
        key = GroundTruth.key_of(d["path"])
        keep = valid_faces(gt, key)
        boxes = {"rnet": [[w[0], w[1], w[0] + w[2], w[1] + w[3]] for w in d["rnet"]],
                 "onet": [[w[0], w[1], w[0] + w[2], w[1] + w[3]] for w in d["onet"]],
                 "final": [f[:4] for f in d["faces"]]}
        for i in keep:
            x, y, w, h = gt.boxes[key][i]
            g = np.array([[x, y, x + w, y + h]])
            total += 1
            for k, b in boxes.items():
                if b and max(_overlaps(np.asarray(bb, dtype=np.float64), g)[0]
                             for bb in b) >= iou_thresh:
                    hits[k] += 1
    return {k: v / total for k, v in hits.items()} if total else None


def landmark_agreement(dets_a, dets_b, min_iou=0.7):
    """How far the landmarks of run b are from those of run a on the same
    faces (boxes matched greedily at IoU >= min_iou): mean and 95th
    percentile of the largest point distance divided by the box width of
    a, and the number of matched faces. Checks that alignment still works
    with a retrained O-Net."""
    by_path = {d["path"]: d for d in dets_b}
    errs = []
    for da in dets_a:
        db = by_path.get(da["path"])
        if db is None or "landmarks" not in da or "landmarks" not in db:
            continue
        used = set()
        for fa, la in zip(da["faces"], da["landmarks"]):
            best, bi = min_iou, None
            for j, fb in enumerate(db["faces"]):
                if j in used:
                    continue
                o = float(iou_xyxy(fa[:4], fb[:4]))
                if o >= best:
                    best, bi = o, j
            if bi is None:
                continue
            used.add(bi)
            pa = np.asarray(la).reshape(5, 2)
            pb = np.asarray(db["landmarks"][bi]).reshape(5, 2)
            width = max(fa[2] - fa[0], 1e-6)
            errs.append(np.sqrt(((pa - pb) ** 2).sum(1)).max() / width)
    if not errs:
        return None
    return {"faces": len(errs), "mean": float(np.mean(errs)),
            "p95": float(np.percentile(errs, 95))}


def iou_xyxy(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / u if u > 0 else 0.0


def score(dets, gt, attrs=None, cuts=None):
    """AP easy / medium / hard and the privacy figure of a detection run,
    with what its area is spent on; the operating curve over the score
    cuts when given."""
    keys = [GroundTruth.key_of(d["path"]) for d in dets]
    missing = [k for k in keys if k not in gt.boxes]
    if missing:
        raise StageError("%d evaluated images are not in the official ground truth, e.g. %s"
                         % (len(missing), missing[0]))
    preds = {}
    for d in dets:
        f = np.asarray(d["faces"], dtype=np.float64).reshape(-1, 5)
        p = np.zeros((len(f), 5))
        p[:, 0] = f[:, 0]
        p[:, 1] = f[:, 1]
        p[:, 2] = f[:, 2] - f[:, 0]
        p[:, 3] = f[:, 3] - f[:, 1]
        p[:, 4] = f[:, 4]
        preds[GroundTruth.key_of(d["path"])] = p
    res = {"images": len(keys)}
    for s in SETTINGS:
        res["ap_" + s] = wider_ap(preds, gt, keys, s)
    res["privacy"] = privacy(dets, gt, attrs)
    res["privacy"]["oracle_area"] = oracle_area(dets, gt)
    res["privacy"]["area_split"] = area_split(dets, gt)
    if cuts:
        res["score_cuts"] = score_cuts(dets, gt, cuts)
    sr = stage_recall(dets, gt)
    if sr is not None:
        res["stage_recall"] = sr
    return res


def format_result(res):
    p = res["privacy"]
    lines = ["images %d" % res["images"],
             "AP easy %.4f  medium %.4f  hard %.4f" % (res["ap_easy"], res["ap_medium"],
                                                      res["ap_hard"]),
             "coverage >= 90%%: %.4f of %d valid easy+medium faces; area encrypted %.4f "
             "(mean per image %.4f)" % (p["coverage"], p["faces"], p["area"],
                                        p["area_mean_per_image"])]
    if "stage_recall" in res:
        sr = res["stage_recall"]
        lines.append("faces reached (IoU >= 0.5): R-Net input %.4f, O-Net input %.4f, final %.4f"
                     % (sr["rnet"], sr["onet"], sr["final"]))
    for k in sorted(p["groups"]):
        g = p["groups"][k]
        lines.append("  %-16s %5d faces, coverage %.4f" % (k, g["faces"], g["coverage"]))
    if "oracle_area" in p:
        o, a = p["oracle_area"], p["area_split"]
        lines.append("oracle area (mask of the ground-truth boxes): all annotated faces %.4f, "
                     "valid easy+medium %.4f" % (o["all"], o["valid"]))
        lines.append("area of detections on an annotated face (IoU >= %.1f): %.4f (%d detections); "
                     "false-positive area %.4f (%d detections)"
                     % (FACE_IOU, a["face"]["area"], a["face"]["detections"],
                        a["false_positive"]["area"], a["false_positive"]["detections"]))
    for c in res.get("score_cuts", []):
        lines.append("score >= %.4g: coverage %.4f, area %.4f, false-positive area %.4f "
                     "(%d detections)" % (c["score"], c["coverage"], c["area"],
                                          c["false_positive_area"],
                                          c["false_positive_detections"]))
    return "\n".join(lines)
