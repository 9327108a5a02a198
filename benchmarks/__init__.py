"""gnnformer_lite's benchmarks: ``harness`` (timing, phases, machine), ``cases/``, ``report``.

Run them with ``make bench`` or ``python benchmarks/run.py`` (see benchmarks/README.md).
This file imports nothing heavy: ``run.py`` reads the thread settings below and
exports them *before* NumPy (OpenBLAS) and torch (OpenMP) load their thread pools.
"""

import os

THREADS = 2
THREAD_ENV_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def pin_thread_env(threads: int = THREADS) -> None:
    """Set every BLAS/OpenMP thread-count variable to ``threads`` (``OPENBLAS_CORETYPE`` untouched).

    Only effective before NumPy and torch are imported: their pools read these once.
    """
    for var in THREAD_ENV_VARS:
        os.environ[var] = str(threads)
