#!/usr/bin/env python3
"""Writes the small seed corpora of the fuzz harnesses (standard library
only, deterministic): PNG (RGB, RGBA,
grey, palette, 16-bit, with a fiIE chunk), BMP, TGA, and a minimal model
file in the FIIEMTCN layout of models/README.md. The two JPEG seeds
(tiny.jpg, progressive.jpg: 8x8 pixels) were written once with OpenCV and
are committed as they are."""
import hashlib
import os
import struct
import sys
import zlib

here = os.path.dirname(os.path.abspath(__file__))


def chunk(t, data):
    c = struct.pack(">I", len(data)) + t + data
    return c + struct.pack(">I", zlib.crc32(t + data) & 0xFFFFFFFF)


def png(w, h, color_type, depth, rows, extra=None, plte=None):
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 0))
    if extra:
        out += chunk(b"fiIE", extra)
    if plte:
        out += chunk(b"PLTE", plte)
    raw = b"".join(b"\x00" + r for r in rows)
    return out + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def icc_profile(n=160):
    """A plausible ICC profile: its size field right, the rest a pattern."""
    return struct.pack(">I", n) + bytes((i * 7) & 255 for i in range(n - 4))


def png_icc(w, h, rows):
    """An RGB PNG with an iCCP chunk (fiie_image_probe reads it)."""
    base = png(w, h, 2, 8, rows)
    iccp = chunk(b"iCCP", b"fuzz\0\0" + zlib.compress(icc_profile()))
    return base[:33] + iccp + base[33:]


def jpeg_icc(jpeg):
    """A JPEG with its ICC profile in two APP2 pieces after SOI."""
    prof = icc_profile()
    half = len(prof) // 2
    segs = b""
    for num, piece in ((1, prof[:half]), (2, prof[half:])):
        body = b"ICC_PROFILE\0" + bytes([num, 2]) + piece
        segs += b"\xff\xe2" + struct.pack(">H", len(body) + 2) + body
    return jpeg[:2] + segs + jpeg[2:]


def bmp24(w, h):
    row = bytes((x * 40) & 255 for x in range(w * 3))
    pad = (4 - len(row) % 4) % 4
    pix = (row + b"\0" * pad) * h
    hdr = struct.pack("<2sIHHI", b"BM", 54 + len(pix), 0, 0, 54)
    dib = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, len(pix), 2835, 2835, 0, 0)
    return hdr + dib + pix


def tga24(w, h):
    hdr = struct.pack("<BBBHHBHHHHBB", 0, 0, 2, 0, 0, 0, 0, 0, w, h, 24, 0)
    return hdr + bytes((i * 7) & 255 for i in range(w * h * 3))


def model_seed():
    names = [b"pnet.conv1.bias"]
    n = len(names)
    data_off = (32 + 96 * n + 63) // 64 * 64
    body_len = data_off + 64
    total = body_len + 32
    hdr = b"FIIEMTCN" + struct.pack("<IIQII", 1, n, total, data_off, 0)
    table = b""
    for nm in names:
        table += nm.ljust(64, b"\0") + struct.pack("<I4IIII", 1, 10, 0, 0, 0, data_off, 10, 1)
    body = (hdr + table).ljust(data_off, b"\0") + struct.pack("<10f", *range(10)).ljust(64, b"\0")
    return body + hashlib.blake2b(body, digest_size=32).digest()


def write(sub, name, data):
    d = os.path.join(here, "corpus", sub)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    rgb = [bytes((x * 60 + y * 30 + c * 10) & 255 for x in range(4) for c in range(3)) for y in range(3)]
    rgba = [bytes((x * 60 + y * 30 + c * 10) & 255 for x in range(4) for c in range(4)) for y in range(3)]
    grey16 = [bytes((x * 50 + y) & 255 for x in range(8)) for y in range(2)]
    pal = [bytes([0, 1, 2, 1]) for _ in range(2)]
    header = bytes.fromhex("46494945010100030400000003000000") + bytes(24) + struct.pack("<HH", 1, 0) + \
        struct.pack("<B3xiiII", 0, 0, 0, 2, 2) + bytes(16)
    write("image_load", "rgb.png", png(4, 3, 2, 8, rgb))
    write("image_load", "rgba.png", png(4, 3, 6, 8, rgba))
    write("image_load", "grey16.png", png(4, 2, 0, 16, grey16))
    write("image_load", "palette.png", png(4, 2, 3, 8, pal, plte=bytes(range(9))))
    write("image_load", "rgb.bmp", bmp24(5, 3))
    write("image_load", "rgb.tga", tga24(5, 3))
    write("image_load", "icc.png", png_icc(4, 3, rgb))
    with open(os.path.join(here, "corpus", "image_load", "tiny.jpg"), "rb") as f:
        write("image_load", "icc.jpg", jpeg_icc(f.read()))
    write("png_chunk", "protected.png", png(4, 3, 2, 8, rgb, extra=header))
    write("png_chunk", "plain.png", png(4, 3, 2, 8, rgb))
    write("model", "tiny.fiiem", model_seed())
    write("header", "v1_rect.bin", header)
    return 0


if __name__ == "__main__":
    sys.exit(main())
