"""python3 -m fiie.distributed encrypt|decrypt [OPTIONS] INPUT...

``fiie encrypt -r`` / ``fiie decrypt -r`` on a Dask cluster: the same
options, output names, skip and force rules, exit statuses and --json
summary, plus where to run (--scheduler ADDRESS or --local N) and TLS.
"""

import argparse
import json
import os
import re
import sys
import time

from .. import batch as B

_REGION = re.compile(r"(rect|ellipse):(-?\d{1,12}),(-?\d{1,12}),(\d{1,12}),(\d{1,12})$")


def parse_regions(text):
    """'rect:x,y,w,h;ellipse:x,y,w,h' (blanks after ';' allowed) as a
    list of (shape, x, y, w, h); ValueError naming the bad region."""
    out = []
    parts = text.split(";")
    if parts and parts[-1].strip() == "" and len(parts) > 1:
        parts.pop()  # a trailing ';'
    for i, part in enumerate(parts, 1):
        m = _REGION.match(part.lstrip(" \t"))
        what = "region %d: expected rect:x,y,w,h or ellipse:x,y,w,h, w,h >= 1" % i
        if not m:
            raise ValueError(what)
        x, y, w, h = (int(v) for v in m.groups()[1:])
        if not (-2**31 <= x < 2**31 and -2**31 <= y < 2**31 and 1 <= w < 2**32 and 1 <= h < 2**32):
            raise ValueError(what)
        out.append((m.group(1), x, y, w, h))
    return out


def _thresholds(text):
    try:
        t = tuple(float(v) for v in text.split(","))
    except ValueError:
        t = ()
    if len(t) != 3 or not all(0 <= v <= 1 for v in t):
        raise argparse.ArgumentTypeError("expected A,B,C in [0, 1], got %r" % text)
    return t


def _positive(text):
    try:
        v = int(text)
    except ValueError:
        v = 0
    if v < 1:
        raise argparse.ArgumentTypeError("expected an integer >= 1, got %r" % text)
    return v


def _batch_size(text):
    """--batch-size: 'auto' (None) or an integer >= 1."""
    return None if text == "auto" else _positive(text)


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        sys.stderr.write("%s: %s (see --help)\n" % (self.prog, message))
        sys.exit(B.EXIT_USAGE)


def _parser():
    p = _Parser(prog="python3 -m fiie.distributed",
                description="Protect (encrypt) or restore (decrypt) a photo archive on a Dask "
                            "cluster, with the rules of 'fiie encrypt -r' / 'fiie decrypt -r'.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name in B.COMMANDS:
        c = sub.add_parser(name, help="%s images (files, directories with -r)" % name)
        c.add_argument("inputs", nargs="+", metavar="INPUT")
        keys = c.add_mutually_exclusive_group(required=True)
        keys.add_argument("-k", "--key-file", metavar="F",
                          help="key file (64 hex digits, or 32 raw bytes), the same path on "
                               "every worker")
        keys.add_argument("-p", "--passphrase-file", metavar="F",
                          help="passphrase file (Argon2id), the same path on every worker")
        c.add_argument("-r", "--recursive", action="store_true",
                       help="read images from directories recursively")
        c.add_argument("--out-dir", metavar="DIR",
                       help="write outputs below DIR, keeping relative paths")
        c.add_argument("--suffix", metavar="S",
                       help="output name suffix (default %s)" % B.default_suffix(name))
        c.add_argument("-f", "--force", action="store_true",
                       help="redo inputs whose output exists (default: skip them)")
        c.add_argument("-q", "--quiet", action="store_true", help="only errors; no progress line")
        c.add_argument("--json", action="store_true",
                       help="print a JSON summary of the batch on stdout")
        if name == "encrypt":
            c.add_argument("--fast", action="store_true",
                           help="detector defaults instead of the high-recall preset")
            c.add_argument("--min-face", type=float, metavar="N",
                           help="smallest face side in pixels (default 10)")
            c.add_argument("--factor", type=float, metavar="F",
                           help="image pyramid step (default 0.79)")
            c.add_argument("--thresholds", type=_thresholds, metavar="A,B,C",
                           help="detector thresholds (default 0.5,0.5,0.3)")
            c.add_argument("--max-faces", type=int, metavar="N",
                           help="protect at most the N best faces")
            c.add_argument("--model", metavar="FILE",
                           help="MTCNN model file, the same path on every worker")
            c.add_argument("--regions", metavar="LIST",
                           help="protect 'rect:x,y,w,h;ellipse:x,y,w,h' instead of detecting")
            c.add_argument("--mask-scale", type=float, default=1.6, metavar="S",
                           help="enlarge face boxes by S about their centre (default 1.6)")
            c.add_argument("--shape", choices=("rect", "ellipse"), default="ellipse",
                           help="region shape for faces (default ellipse)")
            c.add_argument("--allow-empty", action="store_true",
                           help="no face: write an unprotected copy")
            c.add_argument("--sidecar", action="store_true",
                           help="also write the header beside each output (NAME.fiie)")
        g = c.add_argument_group("cluster")
        where = g.add_mutually_exclusive_group()
        where.add_argument("--scheduler", metavar="ADDRESS",
                           help="address of a running dask scheduler (tcp://HOST:8786, "
                                "tls://HOST:8786)")
        where.add_argument("--local", type=_positive, metavar="N",
                           help="start a local cluster of N worker processes (default: one "
                                "per CPU)")
        g.add_argument("--connect-timeout", type=float, default=30, metavar="S",
                       help="give up reaching the scheduler after S seconds (default 30)")
        g.add_argument("--batch-size", type=_batch_size, default=None, metavar="N|auto",
                       help="files per task (default auto: as many as make a task last "
                            "about a second, at most 16)")
        g.add_argument("--tls-ca-file", metavar="F", help="CA certificate (PEM)")
        g.add_argument("--tls-cert", metavar="F", help="this client's certificate (PEM)")
        g.add_argument("--tls-key", metavar="F", help="this client's private key (PEM)")
    p.epilog = ("Exit status: 0 every file done or skipped, 1 an error, 2 no face found in "
                "some file (encrypt), 3 authentication failed for some file (decrypt), "
                "64 usage error.")
    return p


class _Reporter:
    """Per-file lines, the progress line on a terminal, the --json
    document written as results arrive."""

    def __init__(self, command, quiet, json_out):
        self.command = command
        self.quiet = quiet
        self.json_out = json_out
        self.tty = sys.stderr.isatty() and not quiet
        self.start = time.monotonic()
        self.counts = dict.fromkeys(B.STATUSES, 0)
        self.first = True
        self.last_draw = 0.0
        self.drawn = False
        if json_out:
            sys.stdout.write('{"command": %s, "files": [' % json.dumps(command))

    def _clear(self):
        if self.drawn:
            sys.stderr.write("\r\033[K")
            self.drawn = False

    def problem(self, path, msg):
        self._clear()
        sys.stderr.write("fiie %s: %s: %s\n" % (self.command, path, msg))

    def result(self, r):
        self.counts[r.status] += 1
        if self.json_out:
            sys.stdout.write(("" if self.first else ", ") + json.dumps(r.file_json()))
            self.first = False
        noisy = r.status not in (B.OK, B.SKIPPED)
        if noisy or (not self.quiet and not self.tty):
            self._clear()
            sys.stderr.write(r.line(self.command) + "\n")
        if self.tty:
            now = time.monotonic()
            if now - self.last_draw > 0.2:
                self._draw(now)

    def _draw(self, now):
        c = self.counts
        done = sum(c.values())
        rate = done / max(now - self.start, 1e-9)
        failed = c[B.ERROR] + c[B.AUTH_FAILED] + c[B.NO_FACE]
        sys.stderr.write("\r%d files: %d done, %d skipped, %d failed, %.1f files/s\033[K"
                         % (done, c[B.OK], c[B.SKIPPED], failed, rate))
        sys.stderr.flush()
        self.last_draw = now
        self.drawn = True

    def finish(self, summary):
        self._clear()
        if not self.quiet and (summary.files > 1 or summary.input_errors):
            sys.stderr.write(summary.closing_line() + "\n")
        if self.json_out:
            sys.stdout.write("], \"summary\": %s, \"exit_status\": %d}\n"
                             % (json.dumps(summary.summary_json()), summary.exit_status))
        sys.stdout.flush()


def main(argv=None):
    args = _parser().parse_args(argv)
    cmd = args.command
    prog = "fiie.distributed %s" % cmd

    def usage(msg):
        sys.stderr.write("%s: %s (see --help)\n" % (prog, msg))
        return B.EXIT_USAGE

    from . import connect, decrypt, encrypt, security
    options = dict(key_file=args.key_file, passphrase_file=args.passphrase_file,
                   out_dir=args.out_dir, recursive=args.recursive, force=args.force,
                   suffix=args.suffix, batch_size=args.batch_size)
    if cmd == "encrypt":
        regions = None
        if args.regions is not None:
            try:
                regions = parse_regions(args.regions)
            except ValueError as e:
                return usage("--regions: %s" % e)
        if not 0.1 <= args.mask_scale <= 10:
            return usage("--mask-scale: expected a factor in [0.1, 10]")
        options.update(regions=regions, fast=args.fast, min_face=args.min_face,
                       factor=args.factor, thresholds=args.thresholds, max_faces=args.max_faces,
                       model=args.model, mask_scale=args.mask_scale, shape=args.shape,
                       allow_empty=args.allow_empty, sidecar=args.sidecar)
    secret = args.key_file or args.passphrase_file
    if not os.path.isfile(secret):
        sys.stderr.write("%s: %s: no such file\n" % (prog, secret))
        return B.EXIT_FAIL
    try:
        sec = security(args.tls_ca_file, args.tls_cert, args.tls_key)
    except ValueError as e:
        return usage(str(e))
    if args.scheduler and args.scheduler.startswith("tls://") and sec is None:
        return usage("a tls:// scheduler needs --tls-ca-file, --tls-cert and --tls-key")
    if args.out_dir and os.path.exists(args.out_dir) and not os.path.isdir(args.out_dir):
        return usage("--out-dir %s is not a directory" % args.out_dir)
    try:
        client, cluster = connect(args.scheduler, args.local, sec, args.connect_timeout)
    except (OSError, ValueError, TimeoutError) as e:
        sys.stderr.write("%s: cannot reach the cluster: %s\n" % (prog, e))
        return B.EXIT_FAIL
    rep = _Reporter(cmd, args.quiet, args.json)
    try:
        run = encrypt if cmd == "encrypt" else decrypt
        summary = run(args.inputs, client=client, on_result=rep.result,
                      on_problem=rep.problem, **options)
    except KeyboardInterrupt:
        sys.stderr.write("\n%s: interrupted\n" % prog)
        return 130
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    if summary.files == 0 and summary.input_errors == 0:
        sys.stderr.write("fiie %s: no input images found\n" % cmd)
    rep.finish(summary)
    return summary.exit_status


if __name__ == "__main__":
    sys.exit(main())
