"""Common lifetime logic of the opaque C handles (mask, key, detector)."""

import ctypes

from ._errors import ClosedError


class Handle:
    """Owns one C pointer released by ``_free_name``. close() is
    idempotent; any use after close raises ClosedError instead of handing
    a freed pointer to C."""

    _free_name = None  # name of the fiie_*_free function
    _what = "handle"

    def __init__(self):
        self._ptr = None

    def _set(self, ptr):
        self._ptr = ptr.value if isinstance(ptr, ctypes.c_void_p) else ptr

    @property
    def _as_parameter_(self):
        if not self._ptr:
            raise ClosedError("%s is closed" % self._what)
        return ctypes.c_void_p(self._ptr)

    def _p(self):
        """The pointer for a C call (raises when closed)."""
        return self._as_parameter_

    def close(self):
        """Free the C object. Safe to call more than once."""
        p, self._ptr = getattr(self, "_ptr", None), None
        if p:
            from ._lib import lib
            getattr(lib, self._free_name)(ctypes.c_void_p(p))

    @property
    def closed(self):
        return not self._ptr

    def __enter__(self):
        self._p()
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass
