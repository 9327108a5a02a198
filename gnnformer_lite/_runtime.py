"""How NumPy runs in this process: BLAS threads and the memory allocator.

Two settings outside NumPy that decide how fast the course's small arrays are:

- ``blas_threads``: on the course's small matrices (a batch of 64 sentences of width
  16) OpenBLAS's second thread costs more than it saves, up to 10x when another
  process keeps the other core busy; ``train`` runs on one thread.
- ``keep_freed_memory``: glibc's malloc hands every array over 128 kB back to the
  system when it is freed and asks for fresh, zeroed pages for the next one; a training
  step makes hundreds of such temporaries. Raising the thresholds (what importing
  PyTorch does as a side effect) makes a step 20-30 % faster. ``setup_notebook`` and
  ``train`` call it.

Both work through ``ctypes`` on Linux's glibc and NumPy's OpenBLAS; elsewhere they do
nothing. Nothing else of the package depends on this module.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os

import numpy as np

from ._checks import as_count

__all__ = ["blas_threads", "keep_freed_memory"]


def _openblas_thread_setters() -> list:
    """``(get, set)`` ctypes functions of the OpenBLAS that NumPy loaded, if it can be found.

    NumPy's wheels bundle OpenBLAS under a prefixed name (``scipy_openblas64_`` in
    NumPy 2, ``openblas64_`` in 1.26); a NumPy built against the system OpenBLAS
    uses the plain names. Anything else (Accelerate, MKL, Pyodide) gives ``[]``.
    """
    root = os.path.dirname(os.path.dirname(np.__file__))
    paths = glob.glob(os.path.join(root, "numpy.libs", "*openblas*"))
    paths += glob.glob(os.path.join(os.path.dirname(np.__file__), ".dylibs", "*openblas*"))
    with contextlib.suppress(OSError):  # Linux: the libraries this process has loaded
        with open("/proc/self/maps") as maps:
            paths += sorted({line.split()[-1] for line in maps if "openblas" in line.lower()})
    names = [
        "scipy_openblas_{}_num_threads64_",
        "openblas_{}_num_threads64_",
        "scipy_openblas_{}_num_threads",
        "openblas_{}_num_threads",
    ]
    for path in paths:
        try:
            lib = ctypes.CDLL(path)  # already loaded by NumPy: the same library, not a copy
        except OSError:
            continue
        for name in names:
            get = getattr(lib, name.format("get"), None)
            set_ = getattr(lib, name.format("set"), None)
            if get is not None and set_ is not None:
                get.restype = ctypes.c_int
                set_.argtypes = [ctypes.c_int]
                return [(get, set_)]
    return []


_SETTERS: list | None = None


def _setters() -> list:
    global _SETTERS
    if _SETTERS is None:
        try:
            _SETTERS = _openblas_thread_setters()
        except Exception:  # noqa: BLE001 -- any failure: leave BLAS alone
            _SETTERS = []
    return _SETTERS


@contextlib.contextmanager
def blas_threads(num_threads: int = 1):
    """Run the ``with`` block with NumPy's BLAS (OpenBLAS) on ``num_threads`` threads.

    On the course's small matrices (a batch of 64 sentences of width 16) OpenBLAS's
    second thread costs more than it saves, up to 10x when another process keeps the
    other core busy. ``train`` uses one thread by default. Works through ``ctypes`` on
    the OpenBLAS NumPy ships with; where that library is not found (Accelerate on a
    Mac, MKL, Pyodide) it does nothing. Yields the thread count in effect inside the
    block, or ``None`` when BLAS could not be controlled.
    """
    num_threads = as_count(num_threads, "num_threads")
    if num_threads < 1:
        raise ValueError(f"num_threads must be >= 1, got {num_threads}")
    setters = _setters()
    if not setters:
        yield None
        return
    get, set_ = setters[0]
    before = get()
    set_(num_threads)
    try:
        yield get()
    finally:
        set_(before)


_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3  # glibc's mallopt parameters
_MALLOC_TUNED: list[bool] = []


def keep_freed_memory() -> bool:
    """Let glibc's malloc keep freed arrays up to 64 MB for reuse; True if it could.

    Sets ``M_MMAP_THRESHOLD`` (64 MB: smaller arrays come from the heap, not fresh
    pages), ``M_TRIM_THRESHOLD`` (256 MB kept before the heap shrinks) and
    ``M_TOP_PAD`` (16 MB of headroom per growth). Once per process; elsewhere than
    glibc (macOS, Windows, musl) it does nothing and returns False.
    """
    if not _MALLOC_TUNED:
        try:
            mallopt = ctypes.CDLL(None).mallopt
            settings = {
                _M_MMAP_THRESHOLD: 64 << 20,
                _M_TRIM_THRESHOLD: 256 << 20,
                _M_TOP_PAD: 16 << 20,
            }
            _MALLOC_TUNED.append(all(mallopt(key, value) == 1 for key, value in settings.items()))
        except (OSError, AttributeError):  # no glibc: leave malloc alone
            _MALLOC_TUNED.append(False)
    return _MALLOC_TUNED[0]
