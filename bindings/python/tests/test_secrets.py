"""Secrets leave no copies (issue 14): after a key is used through the
binding, the process memory holds its raw bytes only in libfiie's guarded
page (and nowhere once the key is closed); pixels decoded and freed by the
C library are wiped.

The scan reads every readable private mapping of this process through
/proc/self/mem into one preallocated buffer (so the scan itself makes no
copies), skipping that buffer and the needle being looked for. Needles are
kept XOR-masked until the scan, so the test holds no plain copy either."""

import ctypes
import os
import sys
import tempfile
import unittest

import fiie

MASK = 0xA5
CHUNK = 1 << 20
MAX_REGION = 1 << 30   # skips sanitizer shadow reservations (terabytes)


def _address(buf):
    return ctypes.addressof((ctypes.c_char * len(buf)).from_buffer(buf))


def _random_into(buf):
    """Fill a bytearray from the kernel without an immutable copy."""
    with open("/dev/urandom", "rb", buffering=0) as f:
        view = memoryview(buf)
        got = 0
        while got < len(buf):
            got += f.readinto(view[got:])
        view.release()


def count_in_memory(masked, scratch):
    """Occurrences of the unmasked needle in this process's readable
    private memory, besides the needle itself and the scratch buffer."""
    needle = bytearray(len(masked))
    for i, b in enumerate(masked):
        needle[i] = b ^ MASK
    skip = [(_address(needle), len(needle)), (_address(scratch), len(scratch))]
    view = memoryview(scratch)
    hits = []
    try:
        with open("/proc/self/maps") as maps:
            regions = [line.split() for line in maps]
        with open("/proc/self/mem", "rb", buffering=0) as mem:
            for fields in regions:
                start, end = (int(x, 16) for x in fields[0].split("-"))
                perms = fields[1]
                name = fields[5] if len(fields) > 5 else ""
                if perms[0] != "r" or name in ("[vvar]", "[vsyscall]", "[vdso]") \
                        or end - start > MAX_REGION:
                    continue
                pos = start
                while pos < end:
                    n = min(CHUNK, end - pos)
                    try:
                        mem.seek(pos)
                        got = mem.readinto(view[:n])
                    except OSError:
                        break
                    if not got:
                        break
                    # overlap so a needle across two chunks is seen once
                    at = scratch.find(needle, 0, got)
                    while at >= 0:
                        addr = pos + at
                        if not any(a <= addr < a + size for a, size in skip):
                            hits.append(addr)
                        at = scratch.find(needle, at + 1, got)
                    if got < len(needle):
                        break
                    pos += got - (len(needle) - 1) if got == n and pos + got < end else got
    finally:
        view.release()
        needle[:] = bytes(len(needle))
    return sorted(set(hits))


@unittest.skipUnless(sys.platform.startswith("linux") and os.path.exists("/proc/self/mem"),
                     "needs /proc/self/mem")
class TestNoCopies(unittest.TestCase):
    def setUp(self):
        self.scratch = bytearray(CHUNK)

    def tearDown(self):
        self.scratch[:] = bytes(len(self.scratch))

    def test_raw_key_only_in_guarded_memory(self):
        raw = bytearray(fiie.KEY_BYTES)
        _random_into(raw)
        masked = bytearray(b ^ MASK for b in raw)
        key = fiie.Key.from_bytes(raw)
        raw[:] = bytes(len(raw))                      # the caller's copy, wiped
        out = key.to_bytes()                          # a bytearray the caller wipes
        self.assertTrue(all(o ^ MASK == m for o, m in zip(out, masked)))
        out[:] = bytes(len(out))
        with fiie.Image.new(16, 16) as img:          # use it: subkeys, keystream
            header = fiie.encrypt(img, [(0, 0, 0, 16, 16)], key)
            fiie.decrypt(img, header, key)
        self.assertEqual(len(count_in_memory(masked, self.scratch)), 1)   # the guarded page
        key.close()
        self.assertEqual(count_in_memory(masked, self.scratch), [])

    def test_hex_key_and_passphrase_leave_no_copies(self):
        raw = bytearray(fiie.KEY_BYTES)
        _random_into(raw)
        masked = bytearray(b ^ MASK for b in raw)
        text = bytearray(raw.hex(), "ascii")       # hex digits of the key, mutable
        raw[:] = bytes(len(raw))
        key = fiie.Key.from_hex(text.decode("ascii"))
        text[:] = bytes(len(text))
        # (the str passed to from_hex is the caller's own object; the bytes
        # decoded from it must not survive)
        self.assertEqual(len(count_in_memory(masked, self.scratch)), 1)
        key.close()
        self.assertEqual(count_in_memory(masked, self.scratch), [])

        secret = bytearray(24)
        _random_into(secret)
        secret_masked = bytearray(b ^ MASK for b in secret)
        with fiie.Key.from_passphrase(secret, opslimit=1, memlimit=8192) as k:
            derived = k.to_bytes()
            derived_masked = bytearray(b ^ MASK for b in derived)
            derived[:] = bytes(len(derived))
            with fiie.Image.new(8, 8) as img:
                header = fiie.encrypt(img, [(0, 0, 0, 8, 8)], k)
            with fiie.Key.from_header_passphrase(header, secret) as k2:
                self.assertEqual(len(count_in_memory(derived_masked, self.scratch)), 2)
        secret[:] = bytes(len(secret))
        self.assertEqual(count_in_memory(secret_masked, self.scratch), [])
        self.assertEqual(count_in_memory(derived_masked, self.scratch), [])

    def test_freed_pixels_are_wiped(self):
        # Pixels the C library decodes from a file and frees must not stay
        # in the heap. 64 x 64 RGB (12 KiB) stays below malloc's mmap
        # threshold, so an unwiped buffer would remain readable after free.
        w = h = 64
        px = bytearray(w * h * 3)
        _random_into(px)
        masked = bytearray(b ^ MASK for b in px[3000:3048])
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "p.png")
            with fiie.Image.from_buffer(px, w, h) as img:
                img.save_png(path)
            px[:] = bytes(len(px))
            self.assertEqual(count_in_memory(masked, self.scratch), [])
            with fiie.Image.open(path) as img:
                self.assertGreaterEqual(len(count_in_memory(masked, self.scratch)), 1)
                secret = os.path.join(d, "s.png")
                old = os.umask(0o022)
                try:
                    img.save_png(secret, private=True)
                finally:
                    os.umask(old)
                self.assertEqual(os.stat(secret).st_mode & 0o777, 0o600)
            self.assertEqual(count_in_memory(masked, self.scratch), [])


if __name__ == "__main__":
    unittest.main()
