"""What fiie/common.h declares beyond status codes and versions: the
thread limit and the atomic file writer."""

import os

from ._lib import check, lib

#: FIIE_MAX_THREADS: most worker threads any call uses.
MAX_THREADS = 64
#: FIIE_FILE_NO_CLOBBER and FIIE_FILE_PRIVATE (write_file_atomic flags).
FILE_NO_CLOBBER = 1
FILE_PRIVATE = 2


def write_file_atomic(path, data, *, overwrite=True, private=False):
    """Write ``data`` (bytes-like) to ``path`` so that the file holds all of
    it or is untouched, never a part (fiie_file_write_atomic).

    ``overwrite=False`` refuses an existing file (ExistsError);
    ``private=True`` gives the file mode 0600 whatever the umask (keys,
    secrets). A failure leaves no temporary file."""
    b = bytes(data)
    flags = (0 if overwrite else FILE_NO_CLOBBER) | (FILE_PRIVATE if private else 0)
    check(lib.fiie_file_write_atomic(os.fsencode(path), b, len(b), flags),
          "fiie_file_write_atomic(%s)" % os.fsdecode(path))
