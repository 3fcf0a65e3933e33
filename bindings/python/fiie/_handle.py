"""Common lifetime and locking logic of the objects that own C memory.

C handles may be used by one thread at a time, and ctypes releases the GIL
during every C call. So each object carries a lock held for the duration
of every C call that uses it and by close(): two Python threads sharing a
Detector take turns instead of racing inside C, and closing an object
while another thread is using it waits for that call to finish instead of
freeing memory under it.
"""

import contextlib
import ctypes
import threading

from ._errors import ClosedError


@contextlib.contextmanager
def using(*objs):
    """Lock every given object (None entries are passed through as NULL)
    and yield their C arguments in order. Locks are taken in one global
    order (by id) so that concurrent calls cannot deadlock."""
    distinct = {id(o): o for o in objs if o is not None}
    with contextlib.ExitStack() as stack:
        for _, o in sorted(distinct.items()):
            stack.enter_context(o._lock)
        yield tuple(None if o is None else o._c_arg() for o in objs)


class Handle:
    """Owns one C pointer released by ``_free_name``. close() is
    idempotent; any use after close raises ClosedError instead of handing
    a freed pointer to C."""

    _free_name = None  # name of the fiie_*_free function
    _what = "handle"

    def __init__(self):
        self._ptr = None
        self._lock = threading.RLock()

    def _set(self, ptr):
        self._ptr = ptr.value if isinstance(ptr, ctypes.c_void_p) else ptr

    def _c_arg(self):
        """The pointer for a C call (raises when closed). Hold the lock."""
        if not self._ptr:
            raise ClosedError("%s is closed" % self._what)
        return ctypes.c_void_p(self._ptr)

    def _call(self, name, *args):
        """Call C function ``name`` with this handle as first argument,
        under the lock; returns its result unchecked."""
        from ._lib import lib
        with self._lock:
            return getattr(lib, name)(self._c_arg(), *args)

    def close(self):
        """Free the C object. Safe to call more than once, and from any
        thread (waits for a call in progress)."""
        lock = getattr(self, "_lock", None)
        if lock is None:  # __init__ never ran
            return
        with lock:
            p, self._ptr = self._ptr, None
            if p:
                from ._lib import lib
                getattr(lib, self._free_name)(ctypes.c_void_p(p))

    @property
    def closed(self):
        return not self._ptr

    def __enter__(self):
        with self._lock:
            self._c_arg()
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass
