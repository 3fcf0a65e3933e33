"""Training of one net on its sample sets: the paper's multi-task loss
with online hard example mining, checkpoints to resume, progress and a
log.

Loss per batch (negatives : positives : parts = 3 : 1 : 1 by default):
- face classification (cross-entropy) on positives and negatives; online
  hard example mining keeps the `ohem` share (0.7) of those samples with
  the largest loss, as in the paper;
- box regression (squared error of the 4 normalised offsets) on
  positives and parts;
- landmarks (O-Net): WIDER FACE has none, so the 10 landmark outputs are
  taught by a teacher O-Net (default: the shipped weights) on the same
  positive and part crops (squared error), which keeps alignment working.
Weights (classification, box, landmarks): P-Net and R-Net 1, 0.5, 0;
O-Net 1, 0.5, 1 (the paper's).

Crops are flipped left-right at random (offsets mirrored; the teacher
sees the same flipped crop).

Which positives and parts fill a batch (`balance`): "crops" draws them
uniformly over the crops, so a face weighs as many crops as the sampler
cut around it and crowd pictures dominate; "faces" draws every annotated
face equally often (then one of its crops); "sizes" draws every face-size
octave equally often (then faces within it equally). Both need the sets'
metadata (samples.META_COLUMNS), and `attr_weight` draws faces that WIDER
labels heavily blurred, heavily occluded or in an atypical pose that much
more often. Negatives are always drawn uniformly.
"""

import os
import time

import numpy as np
import torch

import nets
import samples
from runlog import StageError

LOSS_WEIGHTS = {"pnet": (1.0, 0.5, 0.0), "rnet": (1.0, 0.5, 0.0), "onet": (1.0, 0.5, 1.0)}
BALANCES = ("crops", "faces", "sizes")
OPTIMIZERS = ("adam", "sgd")
HEAVY_BLUR, HEAVY_OCCLUSION, ATYPICAL_POSE = 2, 2, 1


class Data:
    """The samples of one or more sample sets, by label."""

    def __init__(self, dirs, size, with_meta=False):
        self.parts = []
        metas = []
        for d in dirs:
            s = samples.SampleSet(d)
            if s.size != size:
                raise StageError("%s holds %dx%d crops; this net takes %dx%d"
                                 % (d, s.size, s.size, size, size))
            if with_meta and not s.has_meta:
                raise StageError("%s has no per-crop metadata (meta.txt), which sampling by "
                                 "face needs: sample it again, or use --balance crops" % d)
            crops, labels, offsets = s.load()
            if len(labels) != len(crops):
                raise StageError("%s: %d crops but %d list entries" % (d, len(crops), len(labels)))
            if with_meta:
                try:
                    metas.append(s.load_meta())
                except ValueError as e:
                    raise StageError(str(e)) from None
            self.parts.append((crops, labels, offsets))
        self.meta = np.concatenate(metas) if metas else None
        labels = np.concatenate([p[1] for p in self.parts]) if self.parts else np.zeros(0)
        self.where = np.concatenate([np.stack([np.full(len(p[1]), k), np.arange(len(p[1]))], 1)
                                     for k, p in enumerate(self.parts)]) if self.parts else \
            np.zeros((0, 2), int)
        self.by_label = {lab: np.nonzero(labels == lab)[0] for lab in (samples.NEG, samples.POS,
                                                                        samples.PART)}
        self.labels = labels

    def draw_weights(self, label, balance="crops", attr_weight=1.0):
        """Probabilities [len(by_label[label])] of drawing each crop of a
        label (see the module doc), None for uniform."""
        if balance == "crops":
            return None
        idx = self.by_label[label]
        if len(idx) == 0:
            return None
        m = self.meta[idx]
        faces, face_of = np.unique(m[:, [samples.META_IMAGE, samples.META_FACE]], axis=0,
                                   return_inverse=True)
        face_of = face_of.reshape(-1)
        crops_per_face = np.bincount(face_of, minlength=len(faces))
        w = 1.0 / crops_per_face[face_of]
        if balance == "sizes":
            side = np.maximum(m[:, 2], m[:, 3])
            octave = np.floor(np.log2(np.maximum(side, 1.0))).astype(int)
            face_octave = np.zeros(len(faces), int)
            face_octave[face_of] = octave
            faces_per_octave = np.bincount(face_octave)
            w = w / faces_per_octave[octave]
        hard = ((m[:, samples.META_BLUR] == HEAVY_BLUR)
                | (m[:, samples.META_OCCLUSION] == HEAVY_OCCLUSION)
                | (m[:, samples.META_POSE] == ATYPICAL_POSE))
        w = w * np.where(hard, attr_weight, 1.0)
        return w / w.sum()

    def effective_faces(self, label, p):
        """How many faces the draws of a label spread over (1 / sum of
        the squared face shares; p: draw_weights(), None for uniform),
        and how many faces there are: a balance that draws few faces
        over and over overfits them."""
        idx = self.by_label[label]
        if len(idx) == 0:
            return 0.0, 0
        _, face_of = np.unique(self.meta[idx][:, [samples.META_IMAGE, samples.META_FACE]],
                               axis=0, return_inverse=True)
        face_of = face_of.reshape(-1)
        share = np.bincount(face_of, weights=np.full(len(idx), 1 / len(idx)) if p is None else p)
        return float(1 / np.sum(share ** 2)), len(share)

    def counts(self):
        return {name: len(self.by_label[lab]) for name, lab in
                (("neg", samples.NEG), ("pos", samples.POS), ("part", samples.PART))}

    def batch(self, idx):
        crops, offs = [], []
        for g in idx:
            k, i = self.where[g]
            p = self.parts[k]
            crops.append(np.asarray(p[0][i]))
            offs.append(p[2][i])
        return np.stack(crops), self.labels[idx], np.stack(offs)


def _flip(crops, offsets, rng):
    m = rng.random(len(crops)) < 0.5
    crops = crops.copy()
    offsets = offsets.copy()
    crops[m] = crops[m][:, :, ::-1]
    o = offsets[m]
    offsets[m] = np.stack([-o[:, 2], o[:, 1], -o[:, 0], o[:, 3]], 1)
    return crops, offsets


def _outputs(net_name, out):
    """(logits [N, 2], box [N, 4], landmarks or None) of a net's output."""
    if net_name == "pnet":
        return out[0][:, :, 0, 0], out[1][:, :, 0, 0], None
    if net_name == "rnet":
        return out[0], out[1], None
    return out[0], out[1], out[2]


def losses(net_name, out, labels, offsets, teacher_lmk=None, ohem=0.7, pos_weight=1.0):
    """(total, cls, box, lmk) of one batch."""
    logits, box, lmk = _outputs(net_name, out)
    labels = torch.as_tensor(labels, dtype=torch.int64)
    cls_mask = labels >= 0
    box_mask = labels != 0
    zero = logits.sum() * 0
    cls = zero
    if cls_mask.any():
        target = labels[cls_mask]
        ce = torch.nn.functional.cross_entropy(logits[cls_mask], target, reduction="none")
        ce = ce * torch.where(target == 1, pos_weight, 1.0)
        k = max(1, int(round(ohem * len(ce))))
        cls = torch.topk(ce, k).values.mean()
    reg = zero
    if box_mask.any():
        reg = ((box[box_mask] - torch.as_tensor(offsets)[box_mask]) ** 2).sum(1).mean()
    lm = zero
    if lmk is not None and teacher_lmk is not None and box_mask.any():
        lm = ((lmk[box_mask] - teacher_lmk[box_mask]) ** 2).sum(1).mean()
    wc, wb, wl = LOSS_WEIGHTS[net_name]
    return wc * cls + wb * reg + wl * lm, cls, reg, lm


def freeze_stages(net, count):
    """Stop training the first `count` convolution stages of a net (its
    convN / preluN modules for N <= count); returns their names."""
    if count < 0:
        raise StageError("--freeze needs a count >= 0, got %d" % count)
    convs = [n for n, m in net.named_children() if isinstance(m, torch.nn.Conv2d)
             and n[4:].isdigit()]
    if count > len(convs):
        raise StageError("--freeze %d: this net has %d convolution stages" % (count, len(convs)))
    names = []
    for n in convs[:count]:
        for mod in (n, "prelu" + n[4:]):
            for p in getattr(net, mod).parameters():
                p.requires_grad_(False)
            names.append(mod)
    return names


def _save_checkpoint(path, state):
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


def check_options(balance="crops", attr_weight=1.0, optim="adam", momentum=None):
    """Stop with a message on sampling / optimiser options that do not
    go together (before any data is read)."""
    if balance not in BALANCES:
        raise StageError("--balance must be one of %s, got %r" % (", ".join(BALANCES), balance))
    if optim not in OPTIMIZERS:
        raise StageError("--optim must be one of %s, got %r" % (", ".join(OPTIMIZERS), optim))
    if not attr_weight > 0 or attr_weight == float("inf"):
        raise StageError("--attr-weight needs a finite number > 0, got %r" % attr_weight)
    if attr_weight != 1.0 and balance == "crops":
        raise StageError("--attr-weight needs --balance faces or sizes (the crops' metadata)")
    if momentum is not None:
        if optim != "sgd":
            raise StageError("--momentum applies to --optim sgd only")
        if not 0 <= momentum < 1:
            raise StageError("--momentum needs a number in [0, 1), got %r" % momentum)


def _optimizer(params, optim, lr, weight_decay, momentum):
    if optim == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum or 0.0,
                               weight_decay=weight_decay)
    return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)


def train(net_name, sample_dirs, out_dir, log, iters=1000, batch=320, lr=1e-3, seed=1,
          init=None, teacher=None, ohem=0.7, pos_weight=1.0, ratio=(3, 1, 1), every=200,
          weight_decay=5e-4, freeze=0, balance="crops", attr_weight=1.0, optim="adam",
          momentum=None):
    """Train `net_name` and write out_dir/net.pt (weights) and
    out_dir/checkpoint.pt (to resume). init: a .fiiem whose weights for
    this net start the training (None: random initialisation). teacher:
    a .fiiem whose O-Net teaches the landmarks (O-Net only). freeze: keep
    the first `freeze` convolution stages (conv + PReLU) as initialised:
    fine-tuning then spends its time on the layers that decide, and the
    frozen layers' backward pass is skipped altogether."""
    check_options(balance, attr_weight, optim, momentum)
    size = nets.SIZES[net_name]
    data = Data(sample_dirs, size, with_meta=balance != "crops")
    c = data.counts()
    log("train %s: samples %s" % (net_name, c))
    need = {"neg": ratio[0], "pos": ratio[1], "part": ratio[2]}
    missing = [k for k, v in need.items() if v > 0 and c[k] == 0]
    if missing:
        raise StageError("no %s sample in %s: cannot train %s (generate samples first)"
                         % (" or ".join(missing), ", ".join(sample_dirs), net_name))
    if net_name == "onet" and teacher is None:
        raise StageError("O-Net training needs a landmark teacher model (--teacher)")
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(seed)
    net = nets.load_nets(init, (net_name,))[net_name] if init else nets.new_net(net_name)
    teach = nets.load_nets(teacher, ("onet",))["onet"].eval() if net_name == "onet" else None
    net = net.to(memory_format=torch.channels_last)
    if teach is not None:
        teach = teach.to(memory_format=torch.channels_last)
    frozen = freeze_stages(net, freeze)
    if frozen:
        log("train %s: frozen %s" % (net_name, ", ".join(frozen)))
    opt = _optimizer([p for p in net.parameters() if p.requires_grad], optim, lr, weight_decay,
                     momentum)
    draw = {lab: data.draw_weights(lab, balance, attr_weight)
            for lab in (samples.NEG, samples.POS, samples.PART)}
    draw[samples.NEG] = None
    if balance != "crops":
        eff, nf = data.effective_faces(samples.POS, draw[samples.POS])
        log("train %s: positives drawn by %s from %d faces, as if from %.0f equally drawn "
            "ones (attribute weight %g)" % (net_name, balance[:-1], nf, eff, attr_weight))
    ckpt_path = os.path.join(out_dir, "checkpoint.pt")
    start = 0
    rng = np.random.default_rng(seed)
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path)
        if ck["net"] != net_name:
            raise StageError("%s is a %s checkpoint, not %s" % (ckpt_path, ck["net"], net_name))
        if ck.get("optim", "adam") != optim:
            raise StageError("%s was trained with --optim %s, not %s"
                             % (ckpt_path, ck.get("optim", "adam"), optim))
        net.load_state_dict(ck["state"])
        opt.load_state_dict(ck["opt"])
        start = ck["iter"]
        rng.bit_generator.state = ck["rng"]
        log("train %s: resuming at iteration %d of %d" % (net_name, start, iters))
    total = sum(ratio)
    per = [batch * r // total for r in ratio]
    per[0] += batch - sum(per)
    t0 = time.monotonic()
    seen = 0
    run = np.zeros(4)
    net.train()
    for it in range(start, iters):
        idx = np.concatenate([rng.choice(data.by_label[lab], n, p=draw[lab]) if n
                              else np.zeros(0, int)
                              for lab, n in zip((samples.NEG, samples.POS, samples.PART), per)])
        crops, labels, offsets = data.batch(idx)
        crops, offsets = _flip(crops, offsets, rng)
        # NHWC crops as a channels-last NCHW view: no copy, and PyTorch's
        # CPU convolutions run faster in that layout
        x = torch.from_numpy(np.ascontiguousarray(crops)).permute(0, 3, 1, 2)
        out = net(x)
        tl = None
        if teach is not None:
            # the teacher only speaks for positives and parts (the rows
            # the landmark loss reads)
            tl = torch.zeros(len(idx), 10)
            rows = torch.as_tensor(labels != samples.NEG)
            if rows.any():
                with torch.no_grad():
                    tl[rows] = teach(x[rows])[2]
        loss, lc, lb, ll = losses(net_name, out, labels, offsets, tl, ohem, pos_weight)
        if not torch.isfinite(loss):
            raise StageError("training diverged at iteration %d (loss %s); lower --lr"
                             % (it, loss.item()))
        opt.zero_grad()
        loss.backward()
        opt.step()
        seen += len(idx)
        run = 0.9 * run + 0.1 * np.array([loss.item(), lc.item(), lb.item(), ll.item()]) \
            if it > start else np.array([loss.item(), lc.item(), lb.item(), ll.item()])
        dt = time.monotonic() - t0
        log.progress("train %s: iter %d/%d epoch %.2f, %.0f samples/s, loss %.4f "
                     "(cls %.4f box %.4f lmk %.4f)"
                     % (net_name, it + 1, iters, (it + 1) * batch / max(1, len(data.labels)),
                        seen / max(dt, 1e-9), *run), force=(it + 1) % every == 0)
        if (it + 1) % every == 0 or it + 1 == iters:
            _save_checkpoint(ckpt_path, {"net": net_name, "state": net.state_dict(),
                                         "opt": opt.state_dict(), "optim": optim, "iter": it + 1,
                                         "rng": rng.bit_generator.state})
    weights = os.path.join(out_dir, "net.pt")
    _save_checkpoint(weights, {"net": net_name, "state": net.state_dict()})
    log("train %s: %d iterations done in %.1f s (%.0f samples/s); weights %s"
        % (net_name, iters - start, time.monotonic() - t0, seen / max(time.monotonic() - t0, 1e-9),
           weights))
    return weights


def export(base, replace, out_path, log):
    """Write a .fiiem: the nets of `base` (a .fiiem) with some replaced by
    trained weights {net_name: net.pt path}."""
    all_nets = nets.load_nets(base)
    for name, path in replace.items():
        st = torch.load(path)
        if st["net"] != name:
            raise StageError("%s holds %s weights, not %s" % (path, st["net"], name))
        all_nets[name].load_state_dict(st["state"])
    n = nets.save_model(all_nets, out_path)
    log("export: %s (%d bytes): %s; the rest from %s"
        % (out_path, n, ", ".join("%s from %s" % kv for kv in sorted(replace.items()))
           or "no net replaced", base))
    return out_path
