"""The machine a benchmark ran on: CPU model, cores, BLAS, thread settings, measured limits."""

from __future__ import annotations

import contextlib
import io
import os
import platform
import re
from pathlib import Path

import numpy as np

import gnnformer_lite as gl
from benchmarks import THREAD_ENV_VARS, THREADS
from benchmarks.harness import Backends, measure, normal


def cpu_model() -> str:
    """The CPU's name from /proc/cpuinfo ("model name"), else what ``platform`` knows."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def physical_cores() -> int | None:
    """Distinct (physical id, core id) pairs in /proc/cpuinfo; None where there is none."""
    with contextlib.suppress(OSError):
        pairs, phys = set(), "0"
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "physical id":
                phys = value.strip()
            elif key.strip() == "core id":
                pairs.add((phys, value.strip()))
        return len(pairs) or None
    return None


def blas_info() -> dict:
    """NumPy's BLAS: from threadpoolctl if installed, else parsed from numpy.show_config."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        pass
    else:
        keys = ("user_api", "internal_api", "version", "num_threads", "threading_layer")
        keys += ("architecture", "filepath")
        pools = [{k: p.get(k) for k in keys if k in p} for p in threadpool_info()]
        return {"source": "threadpoolctl", "pools": pools}
    info = {"source": "numpy.show_config"}
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        info.update(name=blas.get("name"), version=blas.get("version"))
        info["config"] = blas.get("openblas configuration")
    except Exception:  # older NumPy: parse the printed text
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            np.show_config()
        m = re.search(r"blas\w*:\s*\n(?:.*\n)*?\s*name:\s*(\S+)", buf.getvalue())
        info["name"] = m.group(1) if m else "unknown"
    info["threads"] = f"{os.environ.get('OPENBLAS_NUM_THREADS', '(unset)')} (OPENBLAS_NUM_THREADS)"
    return info


def describe_machine(backends: Backends) -> dict:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    info = {
        "cpu": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "physical_cores": physical_cores(),
        "usable_cpus": usable,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": blas_info(),
        "gnnformer_lite": gl.__version__,
        "threads": THREADS,
        "thread_env": {v: os.environ.get(v) for v in (*THREAD_ENV_VARS, "OPENBLAS_CORETYPE")},
        "torch": backends.torch_status,
        "torch_geometric": backends.pyg_status,
    }
    if backends.torch is not None:
        torch = backends.torch
        info["torch_threads"] = torch.get_num_threads()
        info["torch_parallel_info"] = torch.__config__.parallel_info()
    return info


def blas_summary(blas: dict) -> str:
    if blas["source"] == "threadpoolctl":
        pools = sorted(blas["pools"], key=lambda p: p.get("user_api") != "blas")  # BLAS first
        parts = [
            " ".join(str(x) for x in (p.get("internal_api"), p.get("version")) if x)
            + f" ({p.get('user_api')}, {p.get('num_threads')} threads, "
            + f"{Path(p.get('filepath') or '?').name})"
            for p in pools
        ]
        return "; ".join(parts) + " [threadpoolctl]"
    text = f"{blas.get('name')} {blas.get('version') or ''}".strip()
    if blas.get("config"):
        text += f" ({blas['config'].strip()})"
    return f"{text}, threads {blas.get('threads')} [numpy.show_config]"


def pin_blas_threads(threads: int = THREADS):
    """Limit BLAS/OpenMP pools with threadpoolctl if installed (else the env vars set at start).

    Returns the threadpoolctl limiter (keep it alive) or None.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    return threadpool_limits(limits=threads)


def measure_limits(sizes: dict, reps: int, log=print) -> dict:
    """Read bandwidth (``np.sum``, one thread) and matmul GFLOP/s (BLAS, THREADS threads)."""
    nbytes = sizes["limit_bytes"]
    ones = np.ones(nbytes // 8)
    t = measure(lambda x=ones: np.sum(x), reps, 0.0)
    limits = {"bandwidth_GBps": nbytes / t.median / 1e9, "bandwidth_bytes": nbytes}
    del ones
    n = sizes["limit_matmul"]
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        x, y = normal(rng, (n, n), dtype), normal(rng, (n, n), dtype)
        out = np.empty_like(x)
        t = measure(lambda x=x, y=y, out=out: np.matmul(x, y, out=out), reps, 0.0)
        limits[f"matmul_{np.dtype(dtype).name}_GFLOPs"] = 2 * n**3 / t.median / 1e9
    limits["matmul_n"] = n
    log(
        f"machine limits: np.sum read bandwidth {limits['bandwidth_GBps']:.1f} GB/s "
        f"({nbytes / 2**20:.0f} MiB float64, 1 thread); matmul {n}x{n}: "
        f"{limits['matmul_float32_GFLOPs']:.0f} GFLOP/s float32, "
        f"{limits['matmul_float64_GFLOPs']:.0f} GFLOP/s float64 ({THREADS} BLAS threads)"
    )
    return limits


LIMIT_SIZES = {  # sizes of measure_limits: full run, --quick
    "full": {"limit_bytes": 2**28, "limit_matmul": 2048},  # np.sum over 256 MiB
    "quick": {"limit_bytes": 2**24, "limit_matmul": 256},
}
