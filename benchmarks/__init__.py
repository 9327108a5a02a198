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


ORIGINAL_THREAD_ENV: dict = {}  # their values before pin_thread_env (None: unset)


def pin_thread_env(threads: int = THREADS) -> None:
    """Set every BLAS/OpenMP thread-count variable to ``threads`` (``OPENBLAS_CORETYPE`` untouched).

    Only effective before NumPy and torch are imported: their pools read these once.
    The notebooks' kernels get the values from before (``ORIGINAL_THREAD_ENV``).
    """
    for var in THREAD_ENV_VARS:
        ORIGINAL_THREAD_ENV.setdefault(var, os.environ.get(var))
        os.environ[var] = str(threads)
