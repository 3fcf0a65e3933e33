"""Keys and the FIIE v1 cipher (fiie/cipher.h)."""

import ctypes
import enum

from . import _lib
from ._errors import STATUS, InvalidArgumentError
from ._handle import Handle, using
from ._lib import as_int, check, lib
from .image import as_image
from .mask import Mask

KEY_BYTES = 32    #: FIIE_KEY_BYTES
NONCE_BYTES = 24  #: FIIE_NONCE_BYTES
SALT_BYTES = 16   #: FIIE_SALT_BYTES
TAG_BYTES = 16    #: FIIE_TAG_BYTES
KDF_MAX_OPSLIMIT = 16               #: FIIE_KDF_MAX_OPSLIMIT
KDF_MAX_MEMLIMIT = 1 << 30          #: FIIE_KDF_MAX_MEMLIMIT
KDF_READ_MAX_OPSLIMIT = 4           #: FIIE_KDF_READ_MAX_OPSLIMIT (SENSITIVE)
KDF_READ_MAX_MEMLIMIT = 1 << 30     #: FIIE_KDF_READ_MAX_MEMLIMIT (SENSITIVE)

_KDF_FIXED_SALT = 1        # FIIE_KDF_FIXED_SALT
_ENCRYPT_FIXED_NONCE = 1   # FIIE_ENCRYPT_FIXED_NONCE


class Alg(enum.IntEnum):
    """enum fiie_alg (stored in headers)."""
    PAPER = 0  #: insecure reproduction of the published scheme
    V1 = 1     #: Logistic keystream + XChaCha20-Poly1305 (default)


class _SecretBuffer:
    """A secret as a ctypes char array the C call reads directly, wiped by
    close(). Writable bytes-like secrets (bytearray, memoryview of one) are
    used in place, without a copy; anything else is copied into a mutable
    buffer that close() wipes. A str is encoded one character at a time,
    so no immutable bytes copy of the whole secret is ever made (the str
    itself belongs to the caller and cannot be wiped: pass a bytearray to
    leave no copy at all)."""

    def __init__(self, value, what):
        self._own = None
        if isinstance(value, str):
            buf = bytearray()
            for ch in value:        # 1-byte chars are interned objects: no copies
                buf += ch.encode("utf-8")
            self._own = buf
            view = buf
        else:
            try:
                view = memoryview(value)
            except TypeError:
                raise InvalidArgumentError("%s must be str or bytes-like" % what) from None
            if view.readonly or not view.c_contiguous or view.format not in ("B", "b", "c"):
                self._own = bytearray(view.nbytes)
                self._own[:] = view.cast("B") if view.c_contiguous else view.tobytes()
                view.release()
                view = self._own
            else:
                view = view.cast("B")
        self.len = len(view)
        self.arg = (ctypes.c_char * max(self.len, 1)).from_buffer(view) if self.len else b""
        self._view = view

    def close(self):
        if self._own is not None:
            self._own[:] = bytes(len(self._own))
            self._own = None
        self.arg = None
        if isinstance(self._view, memoryview):
            self._view.release()
        self._view = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _fixed(value, size, what):
    b = bytes(value)
    if len(b) != size:
        raise InvalidArgumentError("%s must be %d bytes, got %d" % (what, size, len(b)))
    return b


class Key(Handle):
    """A master key. The secret stays in libfiie's guarded memory and is
    wiped by close(). Build one with :meth:`generate`, :meth:`from_bytes`,
    :meth:`from_passphrase` or :meth:`from_header_passphrase`."""

    _free_name = "fiie_key_free"
    _what = "key"

    def __init__(self):
        super().__init__()

    @classmethod
    def _make(cls, fn, *args):
        p = ctypes.c_void_p()
        check(getattr(lib, fn)(ctypes.byref(p), *args), fn)
        k = cls()
        k._set(p)
        return k

    @classmethod
    def generate(cls):
        """A fresh random key (libsodium's CSPRNG)."""
        return cls._make("fiie_key_generate")

    @classmethod
    def from_bytes(cls, raw):
        """A key from its 32 raw bytes. A bytearray is read in place (no
        copy is made; wipe it yourself afterwards); other bytes-like values
        go through a buffer the binding wipes."""
        with _SecretBuffer(raw, "key") as s:
            return cls._make("fiie_key_from_bytes", s.arg, s.len)

    @classmethod
    def from_hex(cls, text):
        """A key from 64 hex digits (the ``fiie keygen`` key-file form)."""
        try:
            raw = bytearray.fromhex(text.strip())
        except ValueError:
            raise InvalidArgumentError("a hex key is 64 hexadecimal digits") from None
        try:
            return cls.from_bytes(raw)
        finally:
            raw[:] = bytes(len(raw))

    @classmethod
    def from_passphrase(cls, passphrase, *, opslimit=None, memlimit=None, salt=None):
        """Argon2id key from a passphrase (str is UTF-8 encoded). The salt
        and limits are recorded in the header of images encrypted with it.
        ``salt`` (16 bytes) is for known-answer tests only; by default a
        random salt is drawn."""
        p = _lib.fiie_kdf_params()
        check(lib.fiie_kdf_params_init_v(ctypes.byref(p), _lib.ABI_VERSION),
              "fiie_kdf_params_init_v")
        if opslimit is not None:
            p.opslimit = as_int(opslimit, "u64", "opslimit")
        if memlimit is not None:
            p.memlimit = as_int(memlimit, "u64", "memlimit")
        if salt is not None:
            p.salt[:] = _fixed(salt, SALT_BYTES, "salt")
            p.flags |= _KDF_FIXED_SALT
        with _SecretBuffer(passphrase, "passphrase") as pw:
            return cls._make("fiie_key_from_passphrase", pw.arg, pw.len, ctypes.byref(p))

    @classmethod
    def from_header_passphrase(cls, header, passphrase, *, max_opslimit=None,
                               max_memlimit=None):
        """Re-derive the key of a passphrase-protected image from its
        header (salt and limits come from the header). Headers asking for
        more than libsodium's SENSITIVE level (KDF_READ_MAX_OPSLIMIT,
        KDF_READ_MAX_MEMLIMIT) raise TooLargeError before any hashing unless
        ``max_opslimit``/``max_memlimit`` raise the caps (at most
        KDF_MAX_OPSLIMIT and KDF_MAX_MEMLIMIT)."""
        h = bytes(header)
        ops = KDF_READ_MAX_OPSLIMIT if max_opslimit is None else max_opslimit
        mem = KDF_READ_MAX_MEMLIMIT if max_memlimit is None else max_memlimit
        limits = (as_int(ops, "u64", "max_opslimit"), as_int(mem, "u64", "max_memlimit"))
        with _SecretBuffer(passphrase, "passphrase") as pw:
            if max_opslimit is None and max_memlimit is None:
                return cls._make("fiie_key_from_header_passphrase", h, len(h), pw.arg, pw.len)
            return cls._make("fiie_key_from_header_passphrase_limits", h, len(h), pw.arg,
                             pw.len, *limits)

    def to_bytes(self):
        """The 32 secret bytes as a bytearray, the only copy outside the
        key's guarded memory: wipe it after use (``b[:] = bytes(32)``)."""
        buf = bytearray(KEY_BYTES)
        arg = (ctypes.c_char * KEY_BYTES).from_buffer(buf)
        try:
            check(self._call("fiie_key_get_bytes", arg, KEY_BYTES), "fiie_key_get_bytes")
        except BaseException:
            buf[:] = bytes(KEY_BYTES)
            raise
        finally:
            del arg
        return buf

    def keystream(self, nonce, length, threads=0):
        """Low level: the first ``length`` bytes of the algorithm-1
        Logistic keystream for ``nonce`` (tests, statistics, benchmarks)."""
        n = _fixed(nonce, NONCE_BYTES, "nonce")
        length = as_int(length, "size", "length")
        threads = as_int(threads, "u32", "threads")
        out = ctypes.create_string_buffer(max(length, 1))
        check(self._call("fiie_keystream", n, out, length, threads), "fiie_keystream")
        return out.raw[:length]

    def __repr__(self):
        return "<fiie.Key %s>" % ("closed" if self.closed else "(secret)")


def paper_keystream(x0, mu, length):
    """Low level: ``length`` bytes of the insecure paper keystream of key
    (x0, mu) (algorithm 0)."""
    length = as_int(length, "size", "length")
    out = ctypes.create_string_buffer(max(length, 1))
    check(lib.fiie_paper_keystream(x0, mu, out, length), "fiie_paper_keystream")
    return out.raw[:length]


def _as_mask(mask, image):
    if isinstance(mask, Mask):
        return mask, False
    try:
        regions = list(mask)
    except TypeError:
        raise InvalidArgumentError("mask must be a fiie.Mask or a list of "
                                   "(shape, x, y, w, h) regions") from None
    return Mask(image.width, image.height, regions), True


def _check_key(key):
    if key is not None and not isinstance(key, Key):
        raise InvalidArgumentError("key must be a fiie.Key (see Key.from_bytes), not %s"
                                   % type(key).__name__)


def _paper_key(paper):
    try:
        x0, mu = paper
        return float(x0), float(mu)
    except (TypeError, ValueError):
        raise InvalidArgumentError("paper= takes an (x0, mu) pair") from None


def encrypt(image, mask, key=None, *, nonce=None, threads=0, paper=None):
    """Encrypt the masked pixels of ``image`` in place; return the header
    bytes (to store with the image, see save_protected_png).

    ``image``: a fiie.Image or a writable numpy array (changed in place).
    ``mask``: a fiie.Mask for the image's size, or a list of
    (shape, x, y, w, h) regions. ``nonce``: 24 bytes, for known-answer
    tests ONLY (reusing a nonce with a key leaks the XOR of two images);
    by default a fresh random nonce is drawn. ``paper=(x0, mu)`` selects
    the insecure paper algorithm (no key, no nonce, no tag; for
    reproducing published results only).
    On any error the image is unchanged.
    """
    _check_key(key)
    img, tmp_img = as_image(image, in_place=True)
    try:
        m, tmp_mask = _as_mask(mask, img)
        try:
            o = _lib.fiie_encrypt_options()
            check(lib.fiie_encrypt_options_init_v(ctypes.byref(o), _lib.ABI_VERSION),
                  "fiie_encrypt_options_init_v")
            o.threads = as_int(threads, "u32", "threads")
            if paper is not None:
                o.alg = Alg.PAPER
                o.paper_x0, o.paper_mu = _paper_key(paper)
            if nonce is not None:
                o.nonce[:] = _fixed(nonce, NONCE_BYTES, "nonce")
                o.flags |= _ENCRYPT_FIXED_NONCE
            size = ctypes.c_size_t()
            with using(key, img, m) as (kp, ip, mp):
                st = lib.fiie_encrypt(kp, ip, mp, ctypes.byref(o), None, 0, ctypes.byref(size))
                if st != STATUS["FIIE_E_BUFFER_TOO_SMALL"]:
                    check(st if st < 0 else STATUS["FIIE_E_INVALID_ARGUMENT"], "fiie_encrypt")
                header = ctypes.create_string_buffer(size.value)
                check(lib.fiie_encrypt(kp, ip, mp, ctypes.byref(o), header, size.value,
                                       ctypes.byref(size)),
                      "fiie_encrypt")
            return header.raw[:size.value]
        finally:
            if tmp_mask:
                m.close()
    finally:
        if tmp_img:
            img.close()


def decrypt(image, header, key=None, *, threads=0, paper=None):
    """Restore the protected pixels of ``image`` in place from its header.

    Raises AuthenticationError (image untouched) for a wrong key or
    tampered pixels/header, HeaderError for a malformed header,
    MismatchError for a header made for another image size or of another
    algorithm than asked for: with ``key`` only algorithm-1 headers are
    accepted; paper-mode images need ``paper=(x0, mu)`` and no key, and
    detect nothing. Giving both is refused (a v1 header rewritten as
    paper mode must never decrypt without authentication).
    """
    _check_key(key)
    if key is not None and paper is not None:
        raise InvalidArgumentError("give key= (algorithm 1) or paper= (algorithm 0), not both")
    img, tmp_img = as_image(image, in_place=True)
    try:
        h = bytes(header)
        o = _lib.fiie_decrypt_options()
        check(lib.fiie_decrypt_options_init_v(ctypes.byref(o), _lib.ABI_VERSION),
              "fiie_decrypt_options_init_v")
        o.threads = as_int(threads, "u32", "threads")
        if paper is not None:
            o.paper_x0, o.paper_mu = _paper_key(paper)
        with using(key, img) as (kp, ip):
            check(lib.fiie_decrypt(kp, ip, h, len(h), ctypes.byref(o)), "fiie_decrypt")
    finally:
        if tmp_img:
            img.close()
