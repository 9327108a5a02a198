"""Run independent pieces of a big NumPy computation on several threads.

NumPy releases the GIL inside ``take``, ``einsum`` and ufuncs, so two threads
summing two halves of the edges take half the time on a 2-core laptop. Only
big inputs (``MIN_ELEMENTS`` and up) use threads: everything in the notebooks
runs in the caller's thread. Where no thread can be started (Pyodide in a
browser), the pieces simply run one after the other.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

THREADS = max(1, min(4, os.cpu_count() or 1))
MIN_ELEMENTS = 1 << 21  # ~8 MB of float32: below this, threads cost more than they save

_pool: ThreadPoolExecutor | None = None


def run(work: Callable, pieces: Sequence, num_elements: int) -> None:
    """Call ``work(piece)`` for every piece; in parallel when the input is big.

    Pieces must be independent and idempotent (each writes its own rows), so a
    piece that was started before a failure to start a thread can run again.
    """
    global _pool
    if THREADS > 1 and len(pieces) > 1 and num_elements >= MIN_ELEMENTS:
        try:
            if _pool is None:
                _pool = ThreadPoolExecutor(THREADS, thread_name_prefix="gnnformer_lite")
            list(_pool.map(work, pieces))
            return
        except RuntimeError:  # "can't start new thread": fall back to one thread
            _pool = None
    for piece in pieces:
        work(piece)
