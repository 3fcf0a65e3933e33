"""What runs on a Dask worker: a task protects or restores a few files.

A task carries paths and options only. The key is read here, on the
worker, from the key file or passphrase file named in the settings (the
same path on every machine), and kept in this process: a raw key once per
file version, a passphrase key once per worker process when encrypting and
once per (salt, limits) when decrypting. Nothing secret is returned.

Outputs are written by libfiie's atomic writer (fiie_file_write_atomic:
a temporary file in the output's directory, flushed, then renamed, or
without --force moved there only if nothing is there), so an output is
complete or absent; restored images are private (0600) from the start.
"""

import os
import secrets
import threading

from .. import batch as B
from .._errors import AuthenticationError, Error, ExistsError, NotFoundError
from ..cipher import Key, decrypt, encrypt
from ..container import (load_protected_png, mask_from_header, parse_header, read_sidecar,
                         write_sidecar)
from ..detector import Detector
from .._lib import strerror
from ..image import Image, has_png_chunk, read_png_chunk
from ..mask import Mask

#: Largest passphrase file read (as the CLI).
PASSPHRASE_MAX = 4096
#: Passphrase keys kept per worker process when decrypting (by salt).
PASS_KEYS_MAX = 64

_keys_lock = threading.Lock()
_keys = {}                  # cache key -> Key (this process only)
_local = threading.local()  # per worker thread: its detectors


class Settings:
    """The options of a run (no secret in here: key and passphrase are
    named by path). Picklable plain data."""

    __slots__ = ("command", "key_file", "passphrase_file", "detector", "regions",
                 "mask_scale", "shape", "allow_empty", "sidecar", "force", "run_id")

    def __init__(self, command, *, key_file=None, passphrase_file=None, detector=None,
                 regions=None, mask_scale=1.6, shape="ellipse", allow_empty=False,
                 sidecar=False, force=False, run_id=None):
        self.command = command
        self.key_file = key_file
        self.passphrase_file = passphrase_file
        self.detector = detector          # tuple of (option, value) pairs
        self.regions = regions            # tuple of (shape, x, y, w, h) or None
        self.mask_scale = mask_scale
        self.shape = shape
        self.allow_empty = allow_empty
        self.sidecar = sidecar
        self.force = force
        self.run_id = run_id or secrets.token_hex(8)

    def __getstate__(self):
        return tuple(getattr(self, s) for s in self.__slots__)

    def __setstate__(self, state):
        for s, v in zip(self.__slots__, state):
            setattr(self, s, v)


def detector_settings(fast=False, model=None, **overrides):
    """The detector options of encrypt as a hashable tuple: the library's
    high-recall preset, or its fast one with ``fast`` (as ``fiie encrypt
    --fast``), explicit options winning."""
    opts = {"preset": "fast" if fast else "high-recall"}
    opts.update({k: v for k, v in overrides.items() if v is not None})
    if "thresholds" in opts:
        opts["thresholds"] = tuple(opts["thresholds"])
    if model is not None:
        opts["model"] = model
    return tuple(sorted(opts.items()))


def run_batch(settings, jobs):
    """The task: ``jobs`` is a list of (index, input, output, shown input,
    shown output); returns one :class:`fiie.batch.Result` per job."""
    one = _encrypt_one if settings.command == "encrypt" else _decrypt_one
    out = []
    for index, path, output, shown_in, shown_out in jobs:
        r = B.Result(index, shown_in, shown_out, B.ERROR)
        try:
            one(settings, path, output, r)
        except Error as e:
            r.status, r.message = B.ERROR, str(e)
        except OSError as e:
            r.status, r.message = B.ERROR, "%s: %s" % (e.filename or path, e.strerror or e)
        out.append(r)
    return out


# ------------------------------------------------------------------- keys

def _file_id(path):
    st = os.stat(path)
    return (path, st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)


def _read_small(path, cap):
    with open(path, "rb") as f:
        data = f.read(cap + 1)
    return bytearray(data)


def _wipe(buf):
    for i in range(len(buf)):
        buf[i] = 0


def decode_key_file(data):
    """32 raw bytes, or 64 hex digits with surrounding blanks or a
    line end (LF or CRLF) allowed. Raises ValueError otherwise."""
    if len(data) == 32:
        return bytes(data)
    text = bytes(data).strip(b" \t\r\n")
    if len(text) == 64:
        try:
            return bytes.fromhex(text.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            pass
    raise ValueError("not a key file (expected 64 hex digits or 32 raw bytes)")


def decode_passphrase_file(data):
    """The whole file minus one trailing line end; never empty."""
    if len(data) > PASSPHRASE_MAX:
        raise ValueError("passphrase file larger than %d bytes" % PASSPHRASE_MAX)
    pw = bytes(data)
    if pw.endswith(b"\r\n"):
        pw = pw[:-2]
    elif pw.endswith(b"\n"):
        pw = pw[:-1]
    if not pw:
        raise ValueError("empty passphrase")
    return pw


def _cached_key(cache_key, make):
    with _keys_lock:
        k = _keys.get(cache_key)
    if k is not None:
        return k
    k = make()
    with _keys_lock:
        if cache_key in _keys:       # another thread was first
            k.close()
            return _keys[cache_key]
        pass_keys = [c for c in _keys if c[0] == "pass-header"]
        if cache_key[0] == "pass-header" and len(pass_keys) >= PASS_KEYS_MAX:
            _keys.pop(pass_keys[0]).close()
        _keys[cache_key] = k
    return k


def _read_passphrase(path):
    data = _read_small(path, PASSPHRASE_MAX)
    try:
        return decode_passphrase_file(data)
    except ValueError as e:
        raise ValueError("%s: %s" % (path, e)) from None
    finally:
        _wipe(data)


def _raw_key(path):
    def make():
        data = _read_small(path, 66)
        try:
            return Key.from_bytes(decode_key_file(data))
        except ValueError as e:
            raise ValueError("%s: %s" % (path, e)) from None
        finally:
            _wipe(data)
    return _cached_key(("raw",) + _file_id(path), make)


def _encrypt_key(s):
    if s.key_file:
        return _raw_key(s.key_file)
    path = s.passphrase_file
    # One Argon2id run per worker process and passphrase file version.
    return _cached_key(("pass-encrypt",) + _file_id(path),
                       lambda: Key.from_passphrase(_read_passphrase(path)))


def _decrypt_key(s, header, info):
    """The key of one header, or raises _Refused with what to pass."""
    if info.kdf:
        if not s.passphrase_file:
            raise _Refused("this image was protected with a passphrase, not a key file "
                           "(use --passphrase-file)")
        path = s.passphrase_file
        ident = ("pass-header",) + _file_id(path) + (info.salt, info.opslimit, info.memlimit)
        return _cached_key(ident, lambda: Key.from_header_passphrase(
            header, _read_passphrase(path)))
    if not s.key_file:
        raise _Refused("this image was protected with a key file, not a passphrase "
                       "(use --key-file)")
    return _raw_key(s.key_file)


class _Refused(Exception):
    pass


def _detector(s):
    cache = getattr(_local, "detectors", None)
    if cache is None:
        cache = _local.detectors = {}
    d = cache.get(s.detector)
    if d is None:
        opts = dict(s.detector)
        model = opts.pop("model", None)
        d = cache[s.detector] = Detector(model, threads=1, **opts)
    return d


# ---------------------------------------------------------------- writing

def _write(s, img, output, r, *, chunk=None, private, verify):
    """Write ``img`` as a PNG (with ``chunk``) to ``output`` (``private``:
    mode 0600, for restored faces); when the output appeared since the run
    planned it (a previous attempt of this task on a worker that died after
    writing), accept it if ``verify()`` says it is a right output for this
    input. The library encodes and writes: the PNG never becomes a Python
    bytes object, which Python would take from malloc's heap, a worker
    keeping the space of one such 20 MB copy per thread."""
    os.makedirs(os.path.dirname(output) or ".", exist_ok=True)
    try:
        img.save_png(output, overwrite=s.force, chunk=chunk, private=private)
        return True
    except ExistsError:
        pass
    if verify():
        r.message = (r.message + "; " if r.message else "") + "already written by this run"
        return True
    r.status, r.faces, r.pixels = B.SKIPPED, 0, 0
    r.message = "%s exists; skipped (use --force to redo)" % r.output
    return False


def _same_pixels(a, b):
    return (a.width, a.height, a.format) == (b.width, b.height, b.format) and \
        a.tobytes() == b.tobytes()


# ---------------------------------------------------------------- encrypt

def _encrypt_one(s, path, output, r):
    if has_png_chunk(path, "fiIE"):
        r.status = B.SKIPPED
        r.message = "already protected (it has a fiIE header); skipped"
        return
    if B.is_noface_copy(path):
        r.status = B.SKIPPED
        r.message = ("the no-face copy of an earlier 'encrypt --allow-empty'; nothing to "
                     "protect; skipped")
        return
    if output.lower().endswith((".jpg", ".jpeg", ".jpe", ".jfif")):
        r.message = "refusing JPEG output %s: lossy compression destroys the ciphertext" % output
        return
    try:
        key = _encrypt_key(s)
    except (OSError, ValueError) as e:
        r.message = "cannot set up the key: %s" % e
        return
    try:
        img = Image.open(path)
    except Error as e:
        r.message = "cannot read image: %s" % strerror(e.code)
        return
    with img:
        mask = Mask(img.width, img.height)
        with mask:
            if s.regions is not None:
                for region in s.regions:
                    mask.add_region(*region)
                r.faces = 0
            else:
                faces = _detector(s).detect(img)
                for f in faces:
                    mask.add_box(f, s.mask_scale, s.shape)
                r.faces = len(faces)
            pixels = mask.pixel_count
            if pixels == 0:
                why = ("the regions cover no pixel of the image" if s.regions is not None
                       else "no face found")
                if not s.allow_empty:
                    r.status, r.message = B.NO_FACE, why + "; nothing written"
                    return
                r.status, r.message = B.OK, why + "; unprotected copy written (--allow-empty)"
                # Marked, so that decrypt restores it and encrypt skips it.
                _write(s, img, output, r, chunk=(B.NOFACE_CHUNK, B.NOFACE_NOTE),
                       private=False, verify=lambda: _verify_copy(path, output))
                return
            header = encrypt(img, mask, key)
        r.status, r.pixels = B.OK, pixels
        what = "region" if s.regions is not None else "face"
        n = len(s.regions) if s.regions is not None else r.faces
        r.message = "%d %s%s, %d pixels protected" % (n, what, "" if n == 1 else "s", pixels)
        written = _write(s, img, output, r, chunk=("fiIE", header), private=False,
                         verify=lambda: _verify_encrypted(s, path, output))
    if written and s.sidecar:
        _write_sidecar(s, output)


def _write_sidecar(s, output):
    """The sidecar of ``output`` from the header it holds (so that it
    matches the output even when an earlier attempt wrote that)."""
    write_sidecar(B.sidecar_path(output), read_png_chunk(output, "fiIE"), overwrite=True)


def _verify_copy(path, output):
    try:
        with Image.open(path) as a, Image.open(output) as b:
            return _same_pixels(a, b)
    except Error:
        return False


def _verify_encrypted(s, path, output):
    """Is ``output`` this input encrypted with this run's key?"""
    try:
        img, header = load_protected_png(output)
        with img:
            decrypt(img, header, _decrypt_key(s, header, parse_header(header)))
            with Image.open(path) as original:
                return _same_pixels(img, original)
    except (Error, _Refused, OSError, ValueError):
        return False


# ---------------------------------------------------------------- decrypt

def _load_protected(path):
    """(Image, header) from the fiIE chunk or the sidecar; (Image, None)
    for a PNG with neither."""
    try:
        return load_protected_png(path)
    except NotFoundError:
        pass
    side = B.sidecar_path(path)
    img = Image.open(path)
    if os.path.exists(side):
        try:
            return img, read_sidecar(side)
        except BaseException:
            img.close()
            raise
    return img, None


def _decrypt_one(s, path, output, r):
    if output.lower().endswith((".jpg", ".jpeg", ".jpe", ".jfif")):
        r.message = "refusing JPEG output %s (write .png)" % output
        return
    try:
        img, header = _load_protected(path)
    except Error as e:
        r.message = "cannot read protected image: %s" % strerror(e.code)
        return
    with img:
        if header is None:
            if not B.is_noface_copy(path):
                r.status = B.SKIPPED
                r.message = ("not a protected image: no fiIE header in the PNG and no sidecar "
                             "%s (a program that re-saves a protected PNG drops the header; "
                             "encrypt --sidecar keeps a copy); skipped" % B.sidecar_path(path))
                return
            r.status = B.OK
            r.message = "no face was protected in it (encrypt --allow-empty); copied unchanged"
        else:
            info = parse_header(header)
            try:
                key = _decrypt_key(s, header, info)
            except _Refused as e:
                r.message = str(e)
                return
            except (OSError, ValueError) as e:
                r.message = "cannot derive the key: %s" % e
                return
            with mask_from_header(header) as m:
                pixels = m.pixel_count
            try:
                decrypt(img, header, key)
            except AuthenticationError:
                r.status = B.AUTH_FAILED
                r.message = ("authentication failed (wrong key, or the file was modified); "
                             "nothing written")
                return
            r.status, r.faces, r.pixels = B.OK, len(info.regions), pixels
            r.message = "%d pixels restored" % pixels
        def verify():
            try:
                with Image.open(output) as existing:
                    return _same_pixels(existing, img)
            except Error:
                return False
        _write(s, img, output, r, private=True, verify=verify)
