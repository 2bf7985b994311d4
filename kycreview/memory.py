"""Give the memory a request freed back to the system once it is answered (issue 14 item 15).

A Step 1 or Step 2 request allocates and frees tens of megabytes of image buffers (Pillow,
numpy, OpenCV). glibc keeps freed heap memory for reuse, and after large frees its dynamic mmap
threshold rises so that the next large buffers come from the heap too: without a trim, a
worker's RSS ratchets up request after request though nothing is live. `malloc_trim(0)` returns
the free pages; it costs about a millisecond. Not glibc (musl, macOS): nothing to do.
"""

import ctypes
import ctypes.util

_libc_name = ctypes.util.find_library("c")
try:
    _malloc_trim = ctypes.CDLL(_libc_name).malloc_trim if _libc_name else None
except (OSError, AttributeError):
    _malloc_trim = None


def memory_release(**_signal_kwargs) -> None:
    """`request_finished` receiver: hand the free heap back to the system."""
    if _malloc_trim is not None:
        _malloc_trim(0)
