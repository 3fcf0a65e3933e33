#!/usr/bin/env python3
"""The MTCNN training pipeline of libfiie, one subcommand per stage.

    fiie_train.py anno    --wider GT.txt --split train --out anno_train.txt
    fiie_train.py detect  --wider GT.txt --images DIR --split val --out dets.jsonl [--model M]
    fiie_train.py eval    --wider GT.txt --gt-dir DIR --dets dets.jsonl
    fiie_train.py samples --net pnet|rnet|onet --wider GT.txt --images DIR --out SETDIR
                          [--model M.fiiem]   (rnet/onet: windows mined by the cascade of M)
    fiie_train.py train   --net pnet|rnet|onet --samples SETDIR [...] --out RUNDIR [--init M]
    fiie_train.py export  --base M.fiiem --pnet RUN/net.pt --rnet ... --out NEW.fiiem

Every stage writes its outputs atomically and logs to --log (default:
next to its output). Errors in the input stop the stage with a message
that names the file (and line); nothing half-written is left behind.
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import wider  # noqa: E402
from runlog import RunLog, StageError  # noqa: E402


def _entries(args, log):
    entries = wider.parse_wider(args.wider)
    sel = wider.select(entries, args.split)
    if getattr(args, "limit", 0):
        sel = sel[:args.limit]
    if getattr(args, "shuffle", None) is not None:
        # a seeded order, so that any prefix of the run is a fair sample of
        # the split (events are contiguous in WIDER's file order)
        import numpy as np
        sel = [sel[i] for i in np.random.default_rng(args.shuffle).permutation(len(sel))]
    if getattr(args, "shard", None) is not None:
        k, n = args.shard
        sel = sel[k::n]
    log("%s: %d images, split %s: %d images, %d faces"
        % (args.wider, len(entries), args.split, len(sel), sum(len(e.faces) for e in sel)))
    if not sel:
        raise StageError("split %s of %s holds no image" % (args.split, args.wider))
    return sel


def _shard(text):
    """K/N: the K-th of N interleaved parts of a split (0 <= K < N), so
    that N processes can share a stage, each with its own output."""
    try:
        k, n = (int(v) for v in text.split("/"))
    except ValueError:
        k, n = -1, 0
    if n < 1 or not 0 <= k < n:
        raise argparse.ArgumentTypeError("needs K/N with 0 <= K < N, got %r" % text)
    return k, n


def _log_for(args, out):
    return RunLog(args.log or (out + ".log"), quiet=args.quiet)


def cmd_anno(args):
    log = _log_for(args, args.out)
    sel = _entries(args, log)
    nfaces = sum(len(wider.training_boxes(e)) for e in sel)
    if nfaces == 0:
        raise StageError("split %s of %s has no valid face to train on" % (args.split, args.wider))
    wider.write_anno_list(args.out, sel, args.images)
    log("anno: wrote %s (%d images, %d valid faces)" % (args.out, len(sel), nfaces))
    return 0


def cmd_detect(args):
    import evaluate
    log = _log_for(args, args.out)
    sel = _entries(args, log)
    preset = _preset(args)
    log("detect: model %s, options %s" % (args.model or "(embedded default)", preset))
    evaluate.detect_images(sel, args.images, args.out, model=args.model, preset=preset, log=log,
                           threads=args.threads, stages=args.stages)
    return 0


def cmd_eval(args):
    import evaluate
    cuts = evaluate.parse_score_cuts(args.score_cuts) if args.score_cuts is not None else None
    log = RunLog(args.log, quiet=args.quiet)
    gt = evaluate.GroundTruth(args.gt_dir)
    dets = evaluate.read_detections(args.dets)
    if args.common_with:
        other = {d["path"] for d in evaluate.read_detections(args.common_with)}
        dets = [d for d in dets if d["path"] in other]
        log("eval: the %d images also in %s" % (len(dets), args.common_with))
    attrs = None
    if args.wider:
        attrs = {evaluate.GroundTruth.key_of(e.path): [f.attrs for f in e.faces]
                 for e in wider.parse_wider(args.wider)}
    res = evaluate.score(dets, gt, attrs, cuts)
    log("eval %s:\n%s" % (args.dets, evaluate.format_result(res)))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(res, f, indent=1)
    return 0


def _preset(args):
    import evaluate
    preset = dict(evaluate.ENCRYPT_PRESET)
    if args.min_face is not None:
        preset["min_face"] = args.min_face
    if args.factor is not None:
        preset["factor"] = args.factor
    if args.thresholds is not None:
        try:
            t = tuple(float(v) for v in args.thresholds.split(","))
        except ValueError:
            t = ()
        if len(t) != 3:
            raise StageError("--thresholds needs three numbers P,R,O, got %r" % args.thresholds)
        preset["thresholds"] = t
    return preset


def cmd_samples(args):
    import stages
    log = _log_for(args, os.path.join(args.out, "samples"))
    sel = _entries(args, log)
    preset = _preset(args)
    names = args.net.split(",")
    selection = {"annotations": os.path.abspath(args.wider), "split": args.split,
                 "limit": args.limit, "shuffle": args.shuffle, "images": len(sel)}
    if args.shard is not None:
        selection["shard"] = list(args.shard)
    if names != ["pnet"]:
        log("samples %s: windows of the cascade %s, options %s"
            % (args.net, args.model or "(embedded default)", preset))
    stages.make_samples(names, sel, args.images, args.out, log, seed=args.seed,
                        model=args.model, preset=preset, min_face=args.min_face_train,
                        n_pos=args.n_pos, neg_per_face=args.neg_per_face,
                        limit_images=args.limit_images, selection=selection)
    return 0


def _ratio(text):
    try:
        r = tuple(int(v) for v in text.split(","))
    except ValueError:
        r = ()
    if len(r) != 3 or min(r) < 0 or sum(r) == 0:
        raise StageError("--ratio needs three counts NEG,POS,PART, got %r" % text)
    return r


def cmd_train(args):
    import train
    log = _log_for(args, os.path.join(args.out, "train"))
    import torch
    torch.set_num_threads(args.threads)
    log("train %s: %s" % (args.net, {k: v for k, v in vars(args).items() if k != "fn"}))
    train.train(args.net, args.samples, args.out, log, iters=args.iters, batch=args.batch,
                lr=args.lr, seed=args.seed, init=args.init, teacher=args.teacher,
                ohem=args.ohem, pos_weight=args.pos_weight, every=args.every,
                ratio=_ratio(args.ratio), freeze=args.freeze,
                weight_decay=args.weight_decay, balance=args.balance,
                attr_weight=args.attr_weight, optim=args.optim, momentum=args.momentum)
    return 0


def cmd_export(args):
    import train
    log = _log_for(args, args.out)
    rep = {n: getattr(args, n) for n in ("pnet", "rnet", "onet") if getattr(args, n)}
    train.export(args.base, rep, args.out, log)
    return 0


def cmd_landmarks(args):
    import evaluate
    log = RunLog(args.log, quiet=args.quiet)
    res = evaluate.landmark_agreement(evaluate.read_detections(args.reference),
                                      evaluate.read_detections(args.dets))
    if res is None:
        raise StageError("no face found in both runs (were they written with landmarks?)")
    log("landmarks of %s against %s: %d faces, largest point error / box width: mean %.4f, "
        "95th percentile %.4f" % (args.dets, args.reference, res["faces"], res["mean"],
                                  res["p95"]))
    return 0


def build_parser():
    p = argparse.ArgumentParser(prog="fiie_train.py", description=__doc__.split("\n")[0])
    p.add_argument("--log", help="log file (default: next to the stage's output)")
    p.add_argument("--quiet", action="store_true", help="log to the file only")
    sub = p.add_subparsers(dest="cmd", required=True)

    def data_args(s, images=True):
        s.add_argument("--wider", required=True, help="WIDER-format annotation file")
        if images:
            s.add_argument("--images", required=True, help="its image folder")
        s.add_argument("--split", default="train", choices=("train", "val", "reserved", "all"))
        s.add_argument("--limit", type=int, default=0, help="first N images of the split only")
        s.add_argument("--shard", type=_shard, metavar="K/N",
                       help="only the K-th of N interleaved parts (N processes, one output each)")

    s = sub.add_parser("anno", help="annotation list (anno_train.txt) of a split")
    data_args(s, images=False)
    s.add_argument("--images", default=None, help="prefix image paths with this folder")
    s.add_argument("--out", required=True)
    s.set_defaults(fn=cmd_anno)

    s = sub.add_parser("detect", help="run libfiie's detector on a split (JSON lines)")
    data_args(s)
    s.add_argument("--model", help=".fiiem file or embedded model name, e.g. mtcnn-original "
                   "(default: the library's default model)")
    s.add_argument("--min-face", type=float)
    s.add_argument("--factor", type=float)
    s.add_argument("--thresholds", help="P,R,O thresholds, e.g. 0.5,0.5,0.3")
    # (defaults: fiie encrypt's high-recall preset)
    s.add_argument("--threads", type=int, default=1)
    s.add_argument("--stages", action="store_true",
                   help="also record the windows R-Net and O-Net ran on")
    s.add_argument("--out", required=True)
    s.set_defaults(fn=cmd_detect)

    s = sub.add_parser("samples", help="training samples (packed, resumable) in OUT/NET")
    data_args(s)
    s.add_argument("--net", required=True,
                   help="pnet, or rnet and/or onet (rnet,onet: one pass of the cascade)")
    s.add_argument("--model", help="cascade that proposes the rnet/onet windows (.fiiem file "
                   "or embedded model name; default: the library's default model)")
    s.add_argument("--min-face", type=float, help="cascade option (default: fiie encrypt's)")
    s.add_argument("--factor", type=float, help="cascade option")
    s.add_argument("--thresholds", help="cascade thresholds P,R,O")
    s.add_argument("--min-face-train", type=float, default=10.0,
                   help="faces smaller than this give no positives (default 10)")
    s.add_argument("--n-pos", type=int, default=20, help="jittered windows per face")
    s.add_argument("--neg-per-face", type=int, default=3,
                   help="rnet/onet: mined negatives per positive or part (default 3)")
    s.add_argument("--limit-images", type=int, default=0, help="stop after N more images")
    s.add_argument("--shuffle", type=int, metavar="SEED",
                   help="visit the images in a seeded random order (any prefix is a fair sample)")
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--out", required=True, help="directory of the sample sets (OUT/NET)")
    s.set_defaults(fn=cmd_samples)

    s = sub.add_parser("train", help="train one net (resumes from RUNDIR/checkpoint.pt)")
    s.add_argument("--net", required=True, choices=("pnet", "rnet", "onet"))
    s.add_argument("--samples", required=True, nargs="+", help="sample set directories")
    s.add_argument("--out", required=True, help="run directory")
    s.add_argument("--init", help=".fiiem to start from (default: random initialisation)")
    s.add_argument("--teacher", help="onet: .fiiem whose O-Net teaches the landmarks")
    s.add_argument("--iters", type=int, default=1000)
    s.add_argument("--batch", type=int, default=320)
    s.add_argument("--lr", type=float, default=1e-3)
    s.add_argument("--weight-decay", type=float, default=5e-4,
                   help="L2 weight decay (use 0 when fine-tuning: with Adam it pulls the "
                        "trained weights towards zero)")
    s.add_argument("--ohem", type=float, default=0.7)
    s.add_argument("--ratio", default="3,1,1",
                   help="negatives,positives,parts per batch (default the paper's 3,1,1)")
    s.add_argument("--pos-weight", type=float, default=1.0,
                   help="weight of the positives' classification loss")
    s.add_argument("--every", type=int, default=200, help="checkpoint every N iterations")
    s.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    s.add_argument("--freeze", type=int, default=0, metavar="K",
                   help="keep the first K convolution stages as --init gave them")
    s.add_argument("--balance", default="crops",
                   help="draw positives and parts uniformly by crops (default), by faces "
                        "(every face equally), or by sizes (every face-size octave equally); "
                        "faces and sizes need the sets' meta.txt")
    s.add_argument("--attr-weight", type=float, default=1.0, metavar="X",
                   help="with --balance faces/sizes: draw heavily blurred, heavily occluded "
                        "and atypical-pose faces X times as often")
    s.add_argument("--optim", default="adam", help="adam (default) or sgd")
    s.add_argument("--momentum", type=float, help="--optim sgd: momentum (default 0)")
    s.add_argument("--seed", type=int, default=1)
    s.set_defaults(fn=cmd_train)

    s = sub.add_parser("export", help="write a .fiiem from a base model and trained nets")
    s.add_argument("--base", required=True, help=".fiiem giving the nets not replaced")
    for n in ("pnet", "rnet", "onet"):
        s.add_argument("--" + n, help="net.pt (or checkpoint.pt) of a %s training run" % n)
    s.add_argument("--out", required=True)
    s.set_defaults(fn=cmd_export)

    s = sub.add_parser("eval", help="AP (official protocol) and privacy figure of detections")
    s.add_argument("--gt-dir", required=True, help="folder of wider_{easy,medium,hard}_val.mat")
    s.add_argument("--dets", required=True)
    s.add_argument("--wider", help="annotation file, for the attribute breakdown")
    s.add_argument("--json", help="write the figures as JSON here")
    s.add_argument("--common-with", metavar="DETS",
                   help="only the images also in this detection file (paired comparison)")
    s.add_argument("--score-cuts", metavar="T1,T2,...",
                   help="also coverage and area keeping only the faces scoring >= each cut "
                        "(in [0, 1]; cuts under the detection run's final threshold need "
                        "a new run)")
    s.set_defaults(fn=cmd_eval)

    s = sub.add_parser("landmarks", help="landmark agreement of two detection runs")
    s.add_argument("--reference", required=True, help="detections of the reference model")
    s.add_argument("--dets", required=True, help="detections of the model checked")
    s.set_defaults(fn=cmd_landmarks)
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.fn(args)
    except (StageError, wider.FormatError, OSError) as e:
        print("fiie_train %s: error: %s" % (args.cmd, e), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
