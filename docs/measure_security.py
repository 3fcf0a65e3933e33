#!/usr/bin/env python3
"""Reproduce the measurements of docs/security.md.

Uses the Python bindings (bindings/python) over a built libfiie; python3
standard library only. Run from the source tree, e.g.

    meson setup build -Dtest_hooks=true && ninja -C build
    export FIIE_LIBRARY=$PWD/build/lib/libfiie.so PYTHONPATH=$PWD/bindings/python
    python3 docs/measure_security.py keystream v1 1073741824 /tmp/ks_v1.bin
    python3 docs/measure_security.py keystream paper 1073741824 /tmp/ks_paper.bin
    dieharder -g 201 -f /tmp/ks_v1.bin -d 0     # and -d 2, 15, 100, 205
    python3 docs/measure_security.py images

The 'full' keystream and the same-nonce case of 'images' choose nonces,
which only a library built with -Dtest_hooks=true accepts (a release
library refuses caller-chosen nonces with UnsupportedError).

Subcommands:

  keystream {v1,full,paper} NBYTES OUT
      Write NBYTES of a keystream to OUT ('-' = stdout). v1: the
      algorithm-1 Logistic layer L (fiie_keystream) for the key and nonce
      of the spec's keystream vector (00..1f, a0..b7); full: what FIIE v1
      really XORs into the pixels, L xor XChaCha20 (the ciphertexts of
      all-zero fully protected images of 100 MB, same key, nonces
      counting up from the same nonce; NBYTES a multiple of 12288); paper: the
      algorithm-0 stream (fiie_paper_keystream) for the spec's paper key
      x0 = 0.3141592653589793, mu = 3.99. Both keys can be changed with
      --key/--nonce and --x0/--mu.

  histogram FILE [NBYTES]
      Chi-square of the byte histogram of the first NBYTES (default 2e8)
      of a keystream file, and of the byte-pair histogram of its first
      2e7 bytes.

  trials [COUNT]
      Case (a) below repeated COUNT times (default 20) per photo: how
      often NPCR and UACI pass Wu's tests at each alpha.

  images [--json]
      For each sample photo (tests/data/images: astronaut, faces_640x480,
      faces_1280x720): detect faces with the high-recall preset, build the
      default mask (ellipse, scale 1.6), encrypt with FIIE v1 and print,
      per channel (R, G, B) and over the protected pixels only: entropy
      and its expected value for that many uniform bytes, chi-square of
      the histogram and its 5 % critical value (255 degrees of freedom),
      adjacent-pixel correlation H/V/D of plain and cipher, and NPCR/UACI
      between pairs of ciphertexts with the Wu, Noonan and Agaian (2011)
      critical values. The same statistics for paper mode are printed for
      comparison. Keys and nonces are random (except where a fixed nonce
      is the point), so the last digits change from run to run.
"""

import argparse
import ctypes
import json
import math
import os
import pathlib
import random
import sys

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "bindings" / "python"))

try:
    import fiie  # noqa: E402
    from fiie._lib import lib  # noqa: E402
except Exception as e:  # library not found or wrong ABI
    sys.exit("cannot load libfiie (%s); set FIIE_LIBRARY=build/lib/libfiie.so" % e)

V1_KEY = bytes(range(32))
V1_NONCE = bytes(range(0xA0, 0xB8))
PAPER_X0 = 0.3141592653589793
PAPER_MU = 3.99
IMAGES = ("astronaut.png", "faces_640x480.png", "faces_1280x720.png")
CHUNK = 1 << 26


# --------------------------------------------------------------- keystream

def cmd_keystream(a):
    n = a.nbytes
    buf = (ctypes.c_uint8 * max(n, 1))()
    if a.alg == "v1":
        key = bytes.fromhex(a.key) if a.key else V1_KEY
        nonce = bytes.fromhex(a.nonce) if a.nonce else V1_NONCE
        with fiie.Key.from_bytes(key) as k:
            # One call: the stream for one (key, nonce) is one sequence;
            # calling again would restart it.
            st = k._call("fiie_keystream", nonce, buf, n, a.threads)
    elif a.alg == "full":
        st = full_v1_stream(a, buf, n)
    else:
        st = lib.fiie_paper_keystream(a.x0, a.mu, buf, n)
    if st != 0:
        sys.exit("keystream failed: status %d" % st)
    view = memoryview(buf).cast("B")[:n]
    out = sys.stdout.buffer if a.out == "-" else open(a.out, "wb")
    try:
        for off in range(0, n, CHUNK):
            out.write(view[off:off + CHUNK])
    finally:
        if out is not sys.stdout.buffer:
            out.close()


def full_v1_stream(a, buf, n):
    """What FIIE v1 writes over an all-zero region: L xor XChaCha20. All-black
    RGB images 4096 pixels wide whose every pixel is protected, encrypted in
    place, at most 8192 rows (100 MB) each (the library caps an image at
    2^28 pixels); image i uses the nonce with i added to its last byte, so
    the file is reproducible (fixed nonces: measurement only)."""
    width, rows_max = 4096, 8192
    row = 3 * width
    if n % row:
        sys.exit("full: NBYTES must be a multiple of %d" % row)
    key = bytes.fromhex(a.key) if a.key else V1_KEY
    base = bytes.fromhex(a.nonce) if a.nonce else V1_NONCE
    view = memoryview(buf).cast("B")
    with fiie.Key.from_bytes(key) as k:
        off, i = 0, 0
        while off < n:
            height = min(rows_max, (n - off) // row)
            img = fiie.Image.from_buffer(view[off:off + height * row], width, height)
            with fiie.Mask(width, height, [("rect", 0, 0, width, height)]) as m:
                nonce = base[:-1] + bytes([(base[-1] + i) & 0xFF])
                fiie.encrypt(img, m, k, nonce=nonce, threads=a.threads)
            img.close()
            off += height * row
            i += 1
    return 0


# -------------------------------------------------------------- statistics

def entropy(hist):
    n = sum(hist)
    return -sum(c / n * math.log2(c / n) for c in hist if c)


def entropy_ideal(n):
    """E[entropy] of n uniform random bytes: 256 * sum_c P(Bin(n,1/256)=c)
    * (c/n) log2(n/c), summed around the mode in log space."""
    p = 1.0 / 256
    lp, lq = math.log(p), math.log1p(-p)
    lgn = math.lgamma(n + 1)
    mode = max(1, min(n, int((n + 1) * p)))
    total = 0.0
    for rng in (range(mode, n + 1), range(mode - 1, 0, -1)):
        for c in rng:
            pmf = math.exp(lgn - math.lgamma(c + 1) - math.lgamma(n - c + 1)
                           + c * lp + (n - c) * lq)
            total += pmf * (c / n) * math.log2(n / c)
            if pmf < 1e-20:
                break
    return 256 * total


def chi_square(hist):
    n = sum(hist)
    e = n / 256
    return sum((c - e) ** 2 / e for c in hist)


def norm_quantile(p):
    """Inverse standard normal CDF (bisection on erfc; plenty for tables)."""
    lo, hi = -40.0, 40.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if 0.5 * math.erfc(-mid / math.sqrt(2)) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def chi_square_critical(df, alpha):
    """Wilson-Hilferty approximation (within 0.1 of the exact value at df 255)."""
    z = norm_quantile(1 - alpha)
    t = 2 / (9 * df)
    return df * (1 - t + z * math.sqrt(t)) ** 3


def wu_critical(n, alpha):
    """NPCR critical value and UACI acceptance interval (percent) of Wu,
    Noonan, Agaian, 'NPCR and UACI randomness tests for image encryption',
    Cyber Journals JSAT 2011, for n compared bytes and F = 255."""
    f = 255.0
    za = norm_quantile(1 - alpha)
    npcr = 100 * (f - za * math.sqrt(f / n)) / (f + 1)
    mu = (f + 2) / (3 * f + 3)
    var = (f + 2) * (f * f + 2 * f + 3) / (18 * (f + 1) ** 2 * n * f)
    z2 = norm_quantile(1 - alpha / 2)
    return npcr, 100 * (mu - z2 * math.sqrt(var)), 100 * (mu + z2 * math.sqrt(var))


class Plane:
    """One channel of an image restricted to a bitmap (width*height, 0/1)."""

    def __init__(self, data, width, height, channels, channel, bitmap):
        self.w, self.h = width, height
        self.v = data[channel::channels]
        self.m = bitmap

    def values(self):
        return [self.v[i] for i, b in enumerate(self.m) if b]

    def histogram(self):
        hist = [0] * 256
        for x in self.values():
            hist[x] += 1
        return hist

    def correlation(self, dx, dy):
        w, h, v, m = self.w, self.h, self.v, self.m
        sx = sy = sxx = syy = sxy = n = 0
        for y in range(h - dy):
            row, nxt = y * w, (y + dy) * w + dx
            for x in range(w - dx):
                if m[row + x] and m[nxt + x]:
                    a, b = v[row + x], v[nxt + x]
                    sx += a
                    sy += b
                    sxx += a * a
                    syy += b * b
                    sxy += a * b
                    n += 1
        cov = sxy - sx * sy / n
        vx, vy = sxx - sx * sx / n, syy - sy * sy / n
        return cov / math.sqrt(vx * vy) if vx > 0 and vy > 0 else float("nan")


def npcr_uaci(a, b):
    va, vb = a.values(), b.values()
    n = len(va)
    diff = sum(1 for x, y in zip(va, vb) if x != y)
    tot = sum(abs(x - y) for x, y in zip(va, vb))
    return 100 * diff / n, 100 * tot / (255 * n)


def planes(img, bitmap):
    data = img.tobytes() if img.stride == img.width * img.channels else None
    if data is None:
        raise SystemExit("unexpected padded image")
    return [Plane(data, img.width, img.height, img.channels, c, bitmap) for c in range(3)]


# ------------------------------------------------------------------ images

def load_rgb(path):
    return fiie.Image.open(str(path), format=fiie.PixelFormat.RGB8)


def encrypt_copy(plain, mask, key=None, **kw):
    c = plain.copy()
    fiie.encrypt(c, mask, key, **kw)
    return c


def flip_one_pixel(img, mask, rnd):
    """A copy of img with the red byte of one protected pixel changed by 1."""
    inside = [i for i, b in enumerate(mask.rasterize()) if b]
    i = rnd.choice(inside)
    buf = bytearray(img.tobytes())
    buf[3 * i] ^= 1
    out = fiie.Image.from_buffer(buf, img.width, img.height, fiie.PixelFormat.RGB8)
    return out.copy(), (i % img.width, i // img.width)


def analyse(name, rnd):
    plain = load_rgb(ROOT / "tests" / "data" / "images" / name)
    with fiie.Detector.high_recall() as det:
        faces = det.detect(plain)
    mask = fiie.Mask.from_faces(plain, faces)
    bitmap = [1 if b else 0 for b in mask.rasterize()]
    n = sum(bitmap)
    res = {"image": name, "width": plain.width, "height": plain.height,
           "faces": len(faces), "regions": len(mask), "protected_pixels": n,
           "entropy_ideal": entropy_ideal(n),
           "chi2_critical_0.05": chi_square_critical(255, 0.05),
           "wu": {str(a): wu_critical(n, a) for a in (0.05, 0.01, 0.001)}}
    key = fiie.Key.generate()
    c1 = encrypt_copy(plain, mask, key)
    c2 = encrypt_copy(plain, mask, key)                     # (a) other nonce
    p2, where = flip_one_pixel(plain, mask, rnd)
    c3 = encrypt_copy(p2, mask, key)                        # (b) one pixel, fresh nonces
    nonce = os.urandom(fiie.NONCE_BYTES)
    c4 = encrypt_copy(plain, mask, key, nonce=nonce)        # (c) one pixel, SAME nonce
    c5 = encrypt_copy(p2, mask, key, nonce=nonce)
    paper = (PAPER_X0, PAPER_MU)
    c6 = encrypt_copy(plain, mask, paper=paper)             # paper mode
    c7 = encrypt_copy(p2, mask, paper=paper)
    res["flipped_pixel"] = where
    P, C1, C2, C3, C4, C5, C6, C7 = (planes(x, bitmap) for x in
                                     (plain, c1, c2, c3, c4, c5, c6, c7))
    chans = []
    for c, cname in enumerate("RGB"):
        hp, hc, h6 = P[c].histogram(), C1[c].histogram(), C6[c].histogram()
        dirs = ((1, 0), (0, 1), (1, 1))
        chans.append({
            "channel": cname,
            "entropy": {"plain": entropy(hp), "v1": entropy(hc), "paper": entropy(h6)},
            "chi2": {"plain": chi_square(hp), "v1": chi_square(hc), "paper": chi_square(h6)},
            "corr_plain": [P[c].correlation(*d) for d in dirs],
            "corr_v1": [C1[c].correlation(*d) for d in dirs],
            "corr_paper": [C6[c].correlation(*d) for d in dirs],
            "npcr_uaci": {
                "a_same_image_two_nonces": npcr_uaci(C1[c], C2[c]),
                "b_one_pixel_fresh_nonces": npcr_uaci(C1[c], C3[c]),
                "c_one_pixel_same_nonce": npcr_uaci(C4[c], C5[c]),
                "paper_one_pixel": npcr_uaci(C6[c], C7[c]),
            },
        })
    res["channels"] = chans
    for x in (plain, c1, c2, c3, c4, c5, c6, c7, p2):
        x.close()
    key.close()
    mask.close()
    return res


def print_text(r):
    print("\n## %s (%dx%d): %d face(s), %d region(s), %d protected pixels"
          % (r["image"], r["width"], r["height"], r["faces"], r["regions"],
             r["protected_pixels"]))
    print("entropy ideal %.5f bits; chi-square 5%% critical (df 255) %.2f"
          % (r["entropy_ideal"], r["chi2_critical_0.05"]))
    for a, (npcr, lo, hi) in r["wu"].items():
        print("Wu alpha=%s: NPCR* %.4f %%, UACI in [%.4f, %.4f] %%" % (a, npcr, lo, hi))
    print("ch | entropy plain/v1/paper      | chi2 plain/v1/paper          |"
          " corr plain H V D      | corr v1 H V D           | corr paper H V D")
    for c in r["channels"]:
        e, x = c["entropy"], c["chi2"]
        print("%s  | %.4f %.5f %.5f | %9.0f %7.2f %9.2f | %s | %s | %s" % (
            c["channel"], e["plain"], e["v1"], e["paper"], x["plain"], x["v1"], x["paper"],
            " ".join("%.4f" % v for v in c["corr_plain"]),
            " ".join("%+.4f" % v for v in c["corr_v1"]),
            " ".join("%+.4f" % v for v in c["corr_paper"])))
    print("NPCR %% / UACI %%:")
    for c in r["channels"]:
        print("%s  " % c["channel"] + " | ".join(
            "%s %.4f/%.4f" % (k, v[0], v[1]) for k, v in c["npcr_uaci"].items()))


def cmd_images(a):
    rnd = random.Random(a.seed)
    results = [analyse(name, rnd) for name in IMAGES]
    if a.json:
        json.dump(results, sys.stdout, indent=1)
        print()
    else:
        for r in results:
            print_text(r)


def cmd_histogram(a):
    """Chi-square of the byte histogram and of the histogram of
    non-overlapping byte pairs of the first bytes of a keystream file."""
    with open(a.file, "rb") as f:
        data = f.read(a.nbytes)
    e = len(data) / 256
    hist = [data.count(bytes([v])) for v in range(256)]
    chi = sum((x - e) ** 2 / e for x in hist)
    pairs = data[:min(len(data), a.pair_bytes) & ~1]
    cnt = {}
    for v in memoryview(pairs).cast("H"):
        cnt[v] = cnt.get(v, 0) + 1
    e2 = len(pairs) / 2 / 65536
    chi2 = sum((cnt.get(i, 0) - e2) ** 2 / e2 for i in range(65536))
    print("%s: bytes %d: chi-square %.1f (df 255, 5%% critical %.1f), min/max frequency "
          "%.4f/%.4f of expected" % (a.file, len(data), chi, chi_square_critical(255, 0.05),
                                    min(hist) / e, max(hist) / e))
    print("  byte pairs %d: chi-square %.0f (df 65535, 5%% critical %.0f)"
          % (len(pairs) // 2, chi2, chi_square_critical(65535, 0.05)))


def cmd_trials(a):
    """Repeat case (a) many times: how often do NPCR and UACI pass Wu's
    tests? For truly random ciphertexts NPCR passes with probability
    1 - alpha and UACI lies in the interval with probability 1 - alpha."""
    alphas = (0.05, 0.01, 0.001)
    for name in IMAGES:
        plain = load_rgb(ROOT / "tests" / "data" / "images" / name)
        with fiie.Detector.high_recall() as det:
            mask = fiie.Mask.from_faces(plain, det.detect(plain))
        bitmap = [1 if b else 0 for b in mask.rasterize()]
        n = sum(bitmap)
        crit = {al: wu_critical(n, al) for al in alphas}
        npass = {al: [0, 0] for al in alphas}
        total = 0
        with fiie.Key.generate() as key:
            for _ in range(a.count):
                c1, c2 = encrypt_copy(plain, mask, key), encrypt_copy(plain, mask, key)
                for p1, p2 in zip(planes(c1, bitmap), planes(c2, bitmap)):
                    npcr, uaci = npcr_uaci(p1, p2)
                    total += 1
                    for al, (nc, lo, hi) in crit.items():
                        npass[al][0] += npcr >= nc
                        npass[al][1] += lo <= uaci <= hi
                c1.close()
                c2.close()
        print("%s: %d protected pixels, %d channel comparisons" % (name, n, total))
        for al in alphas:
            print("  alpha %-5s NPCR passed %d/%d, UACI passed %d/%d (expected about %.1f)"
                  % (al, npass[al][0], total, npass[al][1], total, total * (1 - al)))
        mask.close()
        plain.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    k = sub.add_parser("keystream")
    k.add_argument("alg", choices=("v1", "full", "paper"))
    k.add_argument("nbytes", type=int)
    k.add_argument("out")
    k.add_argument("--key", help="v1 key, 64 hex digits")
    k.add_argument("--nonce", help="v1 nonce, 48 hex digits")
    k.add_argument("--x0", type=float, default=PAPER_X0)
    k.add_argument("--mu", type=float, default=PAPER_MU)
    k.add_argument("--threads", type=int, default=2)
    k.set_defaults(fn=cmd_keystream)
    i = sub.add_parser("images")
    i.add_argument("--json", action="store_true")
    i.add_argument("--seed", type=int, default=1, help="choice of the flipped pixel")
    i.set_defaults(fn=cmd_images)
    h = sub.add_parser("histogram")
    h.add_argument("file")
    h.add_argument("nbytes", type=int, nargs="?", default=200_000_000)
    h.add_argument("--pair-bytes", type=int, default=20_000_000)
    h.set_defaults(fn=cmd_histogram)
    t = sub.add_parser("trials")
    t.add_argument("count", type=int, nargs="?", default=20)
    t.set_defaults(fn=cmd_trials)
    a = ap.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
