"""Time gnnformer_lite against PyTorch / PyTorch Geometric on the same inputs, in one process.

    make bench                                  # = .venv/bin/python benchmarks/run.py
    .venv/bin/python benchmarks/run.py --quick  # smoke run: small sizes, 2 repetitions
    .venv/bin/python benchmarks/run.py --no-torch --cases propagate,softmax

Writes ``results.md`` (tables, machine, limits), ``results.json`` (raw numbers) and
``window_attention.png`` to ``benchmarks/results/`` (``--quick``: a temporary
directory unless ``--out`` is given). torch and torch_geometric are optional
(``pip install -e ".[bench]"``): without them, or with ``--no-torch`` (or
``GNNFORMER_BENCH_NO_TORCH=1``), the comparison columns say "not installed".

Method: BLAS/OpenMP pinned to ``THREADS`` threads; every reference is checked
against our output before anything is timed; a case times all its NumPy calls,
pauses, then all its torch calls (never alternating: OpenBLAS and OpenMP threads
fight on a small machine); each time is the median of ``--reps`` repetitions after
one warm-up, a repetition looping a fast call until it lasts ``min_seconds``.
See benchmarks/README.md.
"""

from __future__ import annotations

import os
import sys

THREADS = 2
THREAD_ENV_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
NO_TORCH_ENV = "GNNFORMER_BENCH_NO_TORCH"

if __name__ == "__main__":
    # Thread pools read these when NumPy (OpenBLAS) and torch (OpenMP) load: set them first.
    # OPENBLAS_CORETYPE, if the environment sets it, is left alone.
    for _var in THREAD_ENV_VARS:
        os.environ[_var] = str(THREADS)
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import argparse  # noqa: E402
import contextlib  # noqa: E402
import dataclasses  # noqa: E402
import datetime  # noqa: E402
import gc  # noqa: E402
import importlib.util  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import shlex  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from types import SimpleNamespace  # noqa: E402

import numpy as np  # noqa: E402

import gnnformer_lite as gl  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_OUT = HERE / "results"
NOT_INSTALLED = "not installed"
F32, F64 = np.float32, np.float64

# Sizes of every case: FULL for `make bench`, QUICK for --quick and the unit test.
FULL = {
    "prop_nodes": 100_000,
    "prop_edges": 1_000_000,
    "prop_dim": 64,
    "sm_nodes": 100_000,
    "sm_edges": 1_000_000,
    "sm_heads": 4,
    "dense_batch": 64,
    "dense_batch_words": 32,
    "dense_long": 2048,
    "window_ns": (16, 64, 256, 1024, 4096),
    "gat_nodes": 100_000,
    "gat_edges": 1_000_000,
    "tf_words": 512,
    "limit_bytes": 2**28,  # np.sum over 256 MiB
    "limit_matmul": 2048,
}
QUICK = {
    "prop_nodes": 5_000,
    "prop_edges": 50_000,
    "prop_dim": 16,
    "sm_nodes": 5_000,
    "sm_edges": 50_000,
    "sm_heads": 4,
    "dense_batch": 8,
    "dense_batch_words": 32,
    "dense_long": 256,
    "window_ns": (16, 64, 256, 1024),
    "gat_nodes": 5_000,
    "gat_edges": 50_000,
    "tf_words": 64,
    "limit_bytes": 2**24,
    "limit_matmul": 256,
}
NOISY_CPUS = 0.2  # a time is flagged if other processes used more CPUs than this meanwhile
SLOPE_MIN_N = 256  # log-log slopes are fitted over n >= this
WINDOW_RADIUS, WINDOW_HEADS, WINDOW_DHEAD = 4, 4, 16

# Targets: the largest acceptable ratio ours / reference (at THREADS threads).
TARGET_PROPAGATE = 1.3
TARGET_SOFTMAX = 1.2
TARGET_DENSE_BATCH = 1.5
TARGET_DENSE_LONG = 1.7
TARGET_WINDOW = 1.5
TARGET_WINDOW_SLOPE = 1.15


# --- optional torch / PyG ---------------------------------------------------------------


@dataclasses.dataclass
class Backends:
    """What is importable: ``torch``/``ref`` (torch_reference.py) and ``pyg``, or None."""

    torch: object = None
    ref: object = None
    pyg: object = None
    torch_status: str = NOT_INSTALLED
    pyg_status: str = NOT_INSTALLED

    def status(self, needs: str) -> str:
        """Why a reference needing ``needs`` ("torch" or "pyg") was not timed."""
        return self.torch_status if needs == "torch" else self.pyg_status


def hide_torch() -> None:
    """Make ``import torch`` / ``import torch_geometric`` fail as if they were not installed."""
    for name in ("torch", "torch_geometric"):
        sys.modules[name] = None  # the import system raises ImportError for a None entry


def load_backends(threads: int = THREADS) -> Backends:
    """Import torch, torch_reference.py and PyG if installed; pin torch to ``threads``."""
    b = Backends()
    try:
        import torch
    except ImportError:
        return b
    torch.set_num_threads(threads)
    spec = importlib.util.spec_from_file_location("torch_reference", HERE / "torch_reference.py")
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    b.torch, b.ref, b.torch_status = torch, ref, torch.__version__
    try:
        import torch_geometric
        from torch_geometric.nn import GATConv
        from torch_geometric.utils import scatter, softmax
    except ImportError:
        return b
    b.pyg = SimpleNamespace(GATConv=GATConv, scatter=scatter, softmax=softmax)
    b.pyg_status = torch_geometric.__version__
    return b


def pin_blas_threads(threads: int = THREADS):
    """Limit BLAS/OpenMP pools with threadpoolctl if installed (else the env vars set at start).

    Returns the threadpoolctl limiter (keep it alive) or None.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    return threadpool_limits(limits=threads)


# --- machine ------------------------------------------------------------------------------


def cpu_model() -> str:
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


# --- timing -------------------------------------------------------------------------------


@dataclasses.dataclass
class Timing:
    median: float  # seconds per call
    min: float
    times: list  # seconds per call, one entry per repetition
    calls: list  # calls per repetition
    others: float | None = None  # CPUs used by other processes meanwhile (see other_cpu_load)

    @property
    def noisy(self) -> bool:
        return self.others is not None and self.others > NOISY_CPUS


def measure(fn: Callable[[], object], reps: int, min_seconds: float) -> Timing:
    """Median time of ``fn()`` over ``reps`` repetitions, after one warm-up call.

    A repetition calls ``fn`` until ``min_seconds`` have passed (once, for a slow
    call) and counts the time per call. The garbage collector is off while timing,
    as in ``timeit``.
    """
    gc.collect()
    fn()  # warm-up: caches, lazy attributes (Graph.indptr), torch's first-call set-up
    counters = cpu_counters()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        times, calls = [], []
        for _ in range(reps):
            count, t0 = 0, time.perf_counter()
            while True:
                fn()
                count += 1
                elapsed = time.perf_counter() - t0
                if elapsed >= min_seconds:
                    break
            times.append(elapsed / count)
            calls.append(count)
    finally:
        if was_enabled:
            gc.enable()
    others = other_cpu_load(counters, cpu_counters())
    return Timing(float(np.median(times)), float(min(times)), times, calls, others)


def fmt_timing(t: Timing) -> str:
    """The median, marked with † if other processes were busy while it was measured."""
    return fmt_time(t.median) + (" †" if t.noisy else "")


def fmt_time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale or unit == "µs":
            value = seconds / scale
            return f"{value:.3g} {unit}" if value < 100 else f"{value:.0f} {unit}"
    raise AssertionError  # pragma: no cover


def si(n: int) -> str:
    """100000 -> '100k', 1000000 -> '1M'."""
    for suffix, scale in (("M", 10**6), ("k", 10**3)):
        if n >= scale and n % (scale // 10) == 0:
            return f"{n / scale:g}{suffix}"
    return str(n)


# --- rows of the results table ------------------------------------------------------------


@dataclasses.dataclass
class Row:
    case: str
    what: str
    size: str
    ours: Timing | float | str | None  # a Timing, a number for kind="slope", or an error
    ref_name: str = "—"
    ref: Timing | float | str | None = None  # a status string when the reference did not run
    target: float | None = None  # ratio (kind "time") or value (kind "slope") not to exceed
    work: float | None = None  # bytes or flops of one call (the minimum any implementation needs)
    unit: str = ""  # "GB/s" or "GFLOP/s"
    limit: float | None = None  # this machine's limit, in `unit`
    kind: str = "time"

    def ratio(self) -> float | None:
        if isinstance(self.ours, Timing) and isinstance(self.ref, Timing):
            return self.ours.median / self.ref.median
        return None

    def met(self) -> bool | None:
        if self.target is None:
            return None
        if self.kind == "slope":
            return None if self.ours is None else self.ours <= self.target
        ratio = self.ratio()
        return None if ratio is None else ratio <= self.target

    def effective(self) -> float | None:
        if not isinstance(self.ours, Timing) or self.work is None:
            return None
        return self.work / self.ours.median / 1e9

    def cells(self) -> list[str]:
        if self.kind == "slope":
            ours = "—" if self.ours is None else f"slope {self.ours:.2f}"
            if self.ref is None or isinstance(self.ref, str):
                ref = self.ref or "—"
            else:
                ref = f"slope {self.ref:.2f}"
            target = "—" if self.target is None else f"slope ≤ {self.target:g}"
            ratio = "—"
        else:
            ours = fmt_timing(self.ours) if isinstance(self.ours, Timing) else self.ours or "—"
            if isinstance(self.ref, Timing):
                ref = fmt_timing(self.ref)
            else:
                ref = "—" if self.ref is None else self.ref
            r = self.ratio()
            ratio = "—" if r is None else f"{r:.2f}×" if r >= 0.1 else f"{r:.2g}×"
            target = "—" if self.target is None else f"≤ {self.target:g}×"
        met = {None: "—" if self.target is None else "n/a", True: "yes", False: "**no**"}
        eff = self.effective()
        eff_txt = "—" if eff is None else f"{eff:.3g} {self.unit}"
        pct = "—" if eff is None or not self.limit else f"{100 * eff / self.limit:.0f} %"
        cells = [self.case, self.what, self.size, ours, self.ref_name, ref, ratio, target]
        return cells + [met[self.met()], eff_txt, pct]

    def to_json(self) -> dict:
        def t(x):
            return dataclasses.asdict(x) if isinstance(x, Timing) else x

        return {
            "case": self.case,
            "what": self.what,
            "size": self.size,
            "kind": self.kind,
            "ours": t(self.ours),
            "ref_name": self.ref_name,
            "ref": t(self.ref),
            "ratio": self.ratio(),
            "target": self.target,
            "met": self.met(),
            "work": self.work,
            "unit": self.unit,
            "effective": self.effective(),
            "limit": self.limit,
        }


TABLE_HEADER = [
    "case",
    "benchmark (ours)",
    "size",
    "gnnformer_lite",
    "reference",
    "reference time",
    "ours / ref",
    "target",
    "met?",
    "ours effective",
    "% of machine limit",
]


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


# --- the run context ----------------------------------------------------------------------


@dataclasses.dataclass
class Context:
    sizes: dict
    reps: int
    min_seconds: float
    backends: Backends
    limits: dict
    pause_seconds: float = 0.5
    retries: int = 2  # re-measurements of a time taken while other processes were busy
    log: Callable[[str], None] = print
    rows: list = dataclasses.field(default_factory=list)
    measurements: list = dataclasses.field(default_factory=list)
    failures: list = dataclasses.field(default_factory=list)
    mismatched: set = dataclasses.field(default_factory=set)
    window: dict | None = None

    @property
    def torch(self):
        return self.backends.torch

    def pause(self) -> None:
        """Let the other library's worker threads go idle before the next phase."""
        time.sleep(self.pause_seconds)

    def phase(self, library: str, case: str, jobs: list) -> dict:
        """Time ``jobs`` = [(key, label, fn)] one after the other; return {key: Timing}."""
        results = {}
        if jobs:
            self.log(f"  {library} phase")
        for key, label, fn in jobs:
            if key in self.mismatched:
                continue
            try:
                timing = self.measure_quietly(fn, label)
            except Exception as err:
                self.fail(f"{case}: timing {label} raised {type(err).__name__}: {err}")
                results[key] = f"error ({type(err).__name__})"
                continue
            results[key] = timing
            loops = f", up to {max(timing.calls)} calls each" if max(timing.calls) > 1 else ""
            busy = f"; others busy: {timing.others:.2f} CPUs †" if timing.noisy else ""
            self.log(
                f"    {label:<54} {fmt_time(timing.median):>9}  ({self.reps} reps{loops}{busy})"
            )
            self.measurements.append(
                {"case": case, "library": library, "key": key, "label": label}
                | dataclasses.asdict(timing)
            )
        return results

    def measure_quietly(self, fn, label: str) -> Timing:
        """``measure(fn)``, again up to ``retries`` times while other processes were busy.

        Keeps the attempt during which the others used the least CPU.
        """
        best = measure(fn, self.reps, self.min_seconds)
        for attempt in range(self.retries):
            if not best.noisy:
                break
            self.log(f"    {label:<54} others busy ({best.others:.2f} CPUs): retry {attempt + 1}")
            self.pause()
            timing = measure(fn, self.reps, self.min_seconds)
            if timing.others is not None and timing.others < best.others:
                best = timing
        return best

    def check(self, case: str, key: str, label: str, ours, theirs, rtol: float, atol: float):
        """Compare a reference's output with ours; a mismatch is recorded and not timed."""
        try:
            theirs = theirs()
            if hasattr(theirs, "numpy"):
                theirs = theirs.numpy()
            ours, theirs = np.asarray(ours), np.asarray(theirs)
            ok = ours.shape == theirs.shape and np.allclose(ours, theirs, rtol=rtol, atol=atol)
            diff = float(np.max(np.abs(ours - theirs))) if ours.shape == theirs.shape else math.inf
        except Exception as err:
            ok, diff = False, math.nan
            self.log(traceback.format_exc())
            self.log(f"    check {label}: raised {type(err).__name__}: {err}")
        self.log(f"    check {label:<48} max |diff| {diff:.2g}  {'ok' if ok else 'MISMATCH'}")
        if not ok:
            self.mismatched.add(key)
            self.fail(f"{case}: {label} differs from gnnformer_lite (max |diff| {diff:.3g})")
        return ok

    def fail(self, message: str) -> None:
        self.failures.append(message)
        self.log(f"*** {message}")

    def ref(self, results: dict, key: str, needs: str = "torch"):
        """The reference's Timing, or why there is none."""
        if key in results:
            return results[key]
        if key in self.mismatched:
            return "output mismatch"
        if needs == "pyg" and self.backends.pyg is None:
            return self.backends.status("pyg") if self.torch is None else NOT_INSTALLED
        return NOT_INSTALLED if self.torch is None else "not run"

    def jobs_if(self, needs: str, jobs: list) -> list:
        """``jobs`` if the library they need is importable, else none."""
        available = self.torch is not None and (needs != "pyg" or self.backends.pyg is not None)
        return jobs if available else []


# --- inputs -------------------------------------------------------------------------------


def random_edges(rng: np.random.Generator, n: int, e: int, self_loops: bool = True):
    """``e`` distinct random edges (senders, receivers) on ``n`` nodes, in random order."""
    keys = np.empty(0, dtype=np.int64)
    while keys.size < e:
        extra = rng.integers(0, n * n, size=int((e - keys.size) * 1.05) + 16)
        keys = np.unique(np.concatenate([keys, extra]))
        if not self_loops:
            keys = keys[keys % n != keys // n]
    keys = rng.permutation(keys)[:e]
    return keys % n, keys // n


def normal(rng: np.random.Generator, shape, dtype) -> np.ndarray:
    return rng.standard_normal(shape, dtype=dtype)


# --- machine limits -----------------------------------------------------------------------


def measure_limits(sizes: dict, reps: int, log=print) -> dict:
    """Read bandwidth (``np.sum``, one thread) and matmul GFLOP/s (BLAS, THREADS threads)."""
    nbytes = sizes["limit_bytes"]
    ones = np.ones(nbytes // 8)
    t = measure(lambda x=ones: np.sum(x), reps, 0.0)
    limits = {"bandwidth_GBps": nbytes / t.median / 1e9, "bandwidth_bytes": nbytes}
    del ones
    n = sizes["limit_matmul"]
    rng = np.random.default_rng(0)
    for dtype in (F32, F64):
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


# --- case 1: propagate / segment_sum ------------------------------------------------------


def case_propagate(ctx: Context) -> None:
    N, E, d = ctx.sizes["prop_nodes"], ctx.sizes["prop_edges"], ctx.sizes["prop_dim"]
    case = "1 propagate"
    ctx.log(f"[{case}] N={si(N)} nodes, E={si(E)} random edges, d={d}")
    rng = np.random.default_rng(1)
    senders, receivers = random_edges(rng, N, E)
    g = gl.Graph(senders, receivers, N)
    order = np.argsort(receivers * N + senders, kind="stable")  # the Graph's canonical order
    assert np.array_equal(g.receivers, receivers[order]) and np.array_equal(
        g.senders, senders[order]
    )
    msgs = {}  # dtype -> (messages in random edge order, the same in the graph's order)
    for dtype in (F32, F64):
        m_random = normal(rng, (E, d), dtype)
        msgs[dtype] = (m_random, m_random[order])
    size = f"N={si(N)}, E={si(E)}, d={d}"

    torch_jobs, pyg_jobs = [], []
    if ctx.torch is not None:
        torch, pyg, to_t = ctx.torch, ctx.backends.pyg, ctx.backends.ref.to_torch
        r_sorted, r_random = to_t(g.receivers), to_t(receivers)
        for dtype in (F32, F64):
            name = np.dtype(dtype).name
            m_random, m_sorted = (to_t(m) for m in msgs[dtype])
            expected = gl.propagate(g, msgs[dtype][1])
            rtol, atol = (1e-4, 1e-4) if dtype == F32 else (1e-10, 1e-10)
            for key, label, idx, m in (
                (f"sorted_{name}", f"torch index_add_ sorted {name}", r_sorted, m_sorted),
                (f"random_{name}", f"torch index_add_ random order {name}", r_random, m_random),
            ):

                def call(idx=idx, m=m):
                    return torch.zeros((N, d), dtype=m.dtype).index_add_(0, idx, m)

                if ctx.check(case, key, label, expected, call, rtol, atol):
                    torch_jobs.append((key, label, call))
            if pyg is not None:
                key, label = f"pyg_{name}", f"PyG scatter(reduce='sum') {name}"

                def call(m=m_sorted):
                    return pyg.scatter(m, r_sorted, dim=0, dim_size=N, reduce="sum")

                if ctx.check(case, key, label, expected, call, rtol, atol):
                    pyg_jobs.append((key, label, call))
            del expected

    ours = ctx.phase(
        "numpy",
        case,
        [
            (
                "graph",
                "gl.Graph(senders, receivers, N).indptr",
                lambda: gl.Graph(senders, receivers, N).indptr,
            ),
            ("prop_float32", "gl.propagate float32", lambda: gl.propagate(g, msgs[F32][1])),
            ("prop_float64", "gl.propagate float64", lambda: gl.propagate(g, msgs[F64][1])),
            (
                "segsum_float32",
                "gl.segment_sum unsorted ids float32",
                lambda: gl.segment_sum(msgs[F32][0], receivers, N),
            ),
        ],
    )
    ctx.pause()
    theirs = ctx.phase("torch", case, torch_jobs + pyg_jobs)

    bw = ctx.limits["bandwidth_GBps"]
    ctx.rows.append(
        Row(
            case,
            "Graph construction (sort, checks, indptr)",
            f"N={si(N)}, E={si(E)}",
            ours.get("graph"),
        )
    )
    for dtype in (F32, F64):
        name, item = np.dtype(dtype).name, np.dtype(dtype).itemsize
        work = (E * d + N * d) * item + (N + 1) * 8  # read messages + indptr, write output
        common = {"work": work, "unit": "GB/s", "limit": bw}
        t = ours.get(f"prop_{name}")
        refs = (
            ("torch index_add_ (sorted)", f"sorted_{name}", "torch", TARGET_PROPAGATE),
            ("torch index_add_ (random order)", f"random_{name}", "torch", None),
            ("PyG scatter sum (sorted)", f"pyg_{name}", "pyg", None),
        )
        for ref_name, key, needs, target in refs:
            ref = ctx.ref(theirs, key, needs)
            ctx.rows.append(
                Row(case, f"gl.propagate {name}", size, t, ref_name, ref, target, **common)
            )
    work = (E * d + N * d) * 4 + E * 8
    ctx.rows.append(
        Row(
            case,
            "gl.segment_sum, unsorted ids, float32",
            size,
            ours.get("segsum_float32"),
            "torch index_add_ (random order)",
            ctx.ref(theirs, "random_float32"),
            None,
            work,
            "GB/s",
            bw,
        )
    )


# --- case 2: segment_softmax --------------------------------------------------------------


def case_segment_softmax(ctx: Context) -> None:
    N, E, H = ctx.sizes["sm_nodes"], ctx.sizes["sm_edges"], ctx.sizes["sm_heads"]
    case = "2 segment_softmax"
    ctx.log(f"[{case}] E={si(E)} sorted ids into N={si(N)} segments, H={H}, float32")
    rng = np.random.default_rng(2)
    ids = np.sort(rng.integers(0, N, size=E))
    logits = normal(rng, (E, H), F32)
    size = f"E={si(E)}, N={si(N)}, H={H}"

    torch_jobs, pyg_jobs = [], []
    if ctx.torch is not None:
        to_t, ref = ctx.backends.ref.to_torch, ctx.backends.ref
        src, index = to_t(logits), to_t(ids)
        expected = gl.segment_softmax(logits, ids, N)
        if ctx.backends.pyg is not None:
            softmax = ctx.backends.pyg.softmax

            def pyg_call():
                return softmax(src, index, num_nodes=N)

            if ctx.check(case, "pyg", "PyG softmax", expected, pyg_call, 1e-5, 1e-6):
                pyg_jobs.append(("pyg", "torch_geometric.utils.softmax", pyg_call))

        def ref_call():
            return ref.segment_softmax(src, index, N)

        if ctx.check(
            case, "hand", "torch_reference.segment_softmax", expected, ref_call, 1e-5, 1e-6
        ):
            torch_jobs.append(("hand", "torch_reference.segment_softmax", ref_call))

    ours = ctx.phase(
        "numpy",
        case,
        [("ours", "gl.segment_softmax float32", lambda: gl.segment_softmax(logits, ids, N))],
    )
    ctx.pause()
    theirs = ctx.phase("torch", case, pyg_jobs + torch_jobs)
    work = 2 * E * H * 4 + (N + 1) * 8  # read logits + offsets, write alpha
    common = {"work": work, "unit": "GB/s", "limit": ctx.limits["bandwidth_GBps"]}
    t = ours.get("ours")
    ctx.rows.append(
        Row(
            case,
            "gl.segment_softmax float32",
            size,
            t,
            "PyG softmax(src, index)",
            ctx.ref(theirs, "pyg", "pyg"),
            TARGET_SOFTMAX,
            **common,
        )
    )
    ctx.rows.append(
        Row(
            case,
            "gl.segment_softmax float32",
            size,
            t,
            "torch scatter_reduce/index_add_",
            ctx.ref(theirs, "hand"),
            None,
            **common,
        )
    )


# --- case 3: dense attention --------------------------------------------------------------


def case_dense_attention(ctx: Context) -> None:
    case = "3 dense attention"
    B, n_b = ctx.sizes["dense_batch"], ctx.sizes["dense_batch_words"]
    n_long = ctx.sizes["dense_long"]
    ctx.log(f"[{case}] batch {B}x{n_b} words (4 heads of 16), {n_long} words (1x64, 4x16)")
    rng = np.random.default_rng(3)
    configs = [  # key, description, batch shape, n, H, d_head, target
        (
            "batch",
            f"batch of {B} x {n_b} words, 4 heads x 16",
            (B,),
            n_b,
            4,
            16,
            TARGET_DENSE_BATCH,
        ),
        ("long1", f"{n_long} words, 1 head x 64", (), n_long, 1, 64, TARGET_DENSE_LONG),
        ("long4", f"{n_long} words, 4 heads x 16", (), n_long, 4, 16, TARGET_DENSE_LONG),
    ]
    inputs, torch_jobs = {}, []
    for key, _, batch, n, H, dh, _ in configs:
        inputs[key] = [normal(rng, (*batch, n, H, dh), F32) for _ in range(3)]
    if ctx.torch is not None:
        sdpa = ctx.torch.nn.functional.scaled_dot_product_attention
        to_t = ctx.backends.ref.to_torch
        for key, *_ in configs:
            q, k, v = inputs[key]
            # torch's natural layout (..., H, n, d), made contiguous here, outside the timing
            qt, kt, vt = (to_t(np.moveaxis(x, -2, -3)) for x in (q, k, v))
            expected = np.moveaxis(gl.scaled_dot_product_attention(q, k, v)[0], -2, -3)

            def call(qt=qt, kt=kt, vt=vt):
                return sdpa(qt, kt, vt)

            label = f"torch SDPA {key}"
            if ctx.check(case, key, label, expected, call, 1e-4, 1e-5):
                torch_jobs.append((key, label, call))

    ours = ctx.phase(
        "numpy",
        case,
        [
            (
                key,
                f"gl.scaled_dot_product_attention {key}",
                lambda x=inputs[key]: gl.scaled_dot_product_attention(*x),
            )
            for key, *_ in configs
        ],
    )
    ctx.pause()
    theirs = ctx.phase("torch", case, torch_jobs)
    for key, desc, batch, n, H, dh, target in configs:
        flops = 4 * math.prod(batch) * H * n * n * dh  # q k^T and weights @ v
        ctx.rows.append(
            Row(
                case,
                "gl.scaled_dot_product_attention float32",
                desc,
                ours.get(key),
                "torch SDPA (B, H, n, d)",
                ctx.ref(theirs, key),
                target,
                flops,
                "GFLOP/s",
                ctx.limits["matmul_float32_GFLOPs"],
            )
        )


# --- case 4: window attention -------------------------------------------------------------


def loglog_slope(ns, times) -> float | None:
    pts = [(n, t) for n, t in zip(ns, times, strict=True) if n >= SLOPE_MIN_N and t is not None]
    if len(pts) < 2:
        return None
    x, y = np.log([p[0] for p in pts]), np.log([p[1] for p in pts])
    return float(np.polyfit(x, y, 1)[0])


WINDOW_CURVES = (  # key, label (also the plot legend), library
    ("sparse", "gl.graph_attention (sparse)", "numpy"),
    ("dense", "gl.scaled_dot_product_attention + mask (dense)", "numpy"),
    ("torch_dense", "torch SDPA + bool attn_mask (dense)", "torch"),
    ("torch_sparse", "torch gather/scatter (torch_reference.py)", "torch"),
)


def case_window_attention(ctx: Context) -> None:
    case = "4 window attention"
    ns, H, dh, radius = ctx.sizes["window_ns"], WINDOW_HEADS, WINDOW_DHEAD, WINDOW_RADIUS
    ctx.log(f"[{case}] radius {radius}, self loops, H={H}, d_head={dh}, float32, n = {ns}")
    rng = np.random.default_rng(4)
    data, ours_jobs, torch_jobs = {}, [], []
    for n in ns:
        g = gl.window_graph(n, radius)
        q, k, v = (normal(rng, (n, H, dh), F32) for _ in range(3))
        mask = g.adjacency(np.float32) > 0
        data[n] = (g, q, k, v, mask)
        ours_jobs.append(
            (
                f"sparse_{n}",
                f"gl.graph_attention n={n}",
                lambda g=g, q=q, k=k, v=v: gl.graph_attention(q, k, v, g),
            )
        )
        ours_jobs.append(
            (
                f"dense_{n}",
                f"gl.scaled_dot_product_attention masked n={n}",
                lambda q=q, k=k, v=v, mask=mask: gl.scaled_dot_product_attention(
                    q, k, v, mask=mask
                ),
            )
        )
    if ctx.torch is not None:
        sdpa = ctx.torch.nn.functional.scaled_dot_product_attention
        ref, to_t = ctx.backends.ref, ctx.backends.ref.to_torch
        for n in ns:
            g, q, k, v, mask = data[n]
            out, alpha = gl.graph_attention(q, k, v, g)
            dense_out, _ = gl.scaled_dot_product_attention(q, k, v, mask=mask)
            if not np.allclose(out, dense_out, rtol=1e-4, atol=1e-5):
                ctx.fail(
                    f"{case}: gl.graph_attention != gl.scaled_dot_product_attention(mask) n={n}"
                )
            qt, kt, vt = (to_t(x) for x in (q, k, v))
            s_t, r_t = to_t(g.senders), to_t(g.receivers)

            def sparse_call(qt=qt, kt=kt, vt=vt, s_t=s_t, r_t=r_t, n=n):
                return ref.graph_attention(qt, kt, vt, s_t, r_t, n)

            def sparse_both(call=sparse_call):  # check out and alpha together
                o, a = call()
                return np.concatenate([o.numpy().ravel(), a.numpy().ravel()])

            key = f"torch_sparse_{n}"
            label = f"torch gather/scatter n={n}"
            ours_both = np.concatenate([out.ravel(), alpha.ravel()])
            if ctx.check(case, key, label, ours_both, sparse_both, 1e-4, 1e-5):
                torch_jobs.append((key, label, sparse_call))
            qh, kh, vh = (to_t(np.moveaxis(x, 1, 0)[None]) for x in (q, k, v))  # (1, H, n, d)
            mask_t = to_t(mask)

            def dense_call(qh=qh, kh=kh, vh=vh, mask_t=mask_t):
                return sdpa(qh, kh, vh, attn_mask=mask_t)

            key, label = f"torch_dense_{n}", f"torch SDPA + bool mask n={n}"
            expected = np.moveaxis(out, 1, 0)[None]
            if ctx.check(case, key, label, expected, dense_call, 1e-4, 1e-5):
                torch_jobs.append((key, label, dense_call))

    ours = ctx.phase("numpy", case, ours_jobs)
    ctx.pause()
    theirs = ctx.phase("torch", case, torch_jobs)
    results = ours | theirs

    curves = {}
    for key, label, library in WINDOW_CURVES:
        found = [ctx.ref(results, f"{key}_{n}") for n in ns]
        times = [t.median if isinstance(t, Timing) else None for t in found]
        curves[key] = {
            "label": label,
            "library": library,
            "times": times,
            "cells": [fmt_timing(t) if isinstance(t, Timing) else t for t in found],
            "slope": loglog_slope(ns, times),
        }
    ctx.window = {
        "ns": list(ns),
        "edges": [data[n][0].num_edges for n in ns],
        "curves": curves,
        "slope_min_n": SLOPE_MIN_N,
    }
    n = ns[-1]
    g = data[n][0]
    work = 4 * n * H * dh * 4 + g.num_edges * (H * 4 + 8) + (n + 1) * 8  # q, k, v, out, alpha
    size = f"n={n}, E={g.num_edges}, H={H}, d={dh}"
    sparse = ours.get(f"sparse_{n}")
    common = {"work": work, "unit": "GB/s", "limit": ctx.limits["bandwidth_GBps"]}
    for label, key, target in (
        ("torch gather/scatter", "torch_sparse", TARGET_WINDOW),
        ("torch SDPA + bool mask (dense)", "torch_dense", None),
    ):
        reference = ctx.ref(theirs, f"{key}_{n}")
        row = Row(
            case, "gl.graph_attention float32", size, sparse, label, reference, target, **common
        )
        ctx.rows.append(row)
    ref_slope = curves["torch_sparse"]["slope"]
    ctx.rows.append(
        Row(
            case,
            "gl.graph_attention: log-log slope of time vs n",
            f"n = {', '.join(str(m) for m in ns if m >= SLOPE_MIN_N)}",
            curves["sparse"]["slope"],
            "torch gather/scatter",
            ref_slope if ref_slope is not None else NOT_INSTALLED if ctx.torch is None else "—",
            TARGET_WINDOW_SLOPE,
            kind="slope",
        )
    )


def window_table(window: dict) -> str:
    header = ["n", "edges"] + [c["label"] for c in window["curves"].values()]
    header.append("ours sparse / torch gather/scatter")
    rows = []
    curves = window["curves"]
    for i, (n, e) in enumerate(zip(window["ns"], window["edges"], strict=True)):
        row = [str(n), str(e)]
        row += [c["cells"][i] for c in curves.values()]
        ours_t, ref_t = curves["sparse"]["times"][i], curves["torch_sparse"]["times"][i]
        row.append(f"{ours_t / ref_t:.3g}×" if ours_t and ref_t else "—")
        rows.append(row)
    slope_row = [f"slope (n ≥ {window['slope_min_n']})", ""]
    for c in curves.values():
        slope_row.append("—" if c["slope"] is None else f"{c['slope']:.2f}")
    rows.append(slope_row + [""])
    return markdown_table(header, rows)


def plot_window(window: dict, path: Path) -> None:
    from matplotlib.figure import Figure  # no pyplot: no global backend or figure state
    from matplotlib.ticker import NullLocator

    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.add_subplot()
    styles = {"sparse": "o-", "dense": "s-", "torch_dense": "s--", "torch_sparse": "o--"}
    ns = np.array(window["ns"])
    for key, c in window["curves"].items():
        pts = [(n, t) for n, t in zip(ns, c["times"], strict=True) if t is not None]
        if not pts:
            continue
        slope = "" if c["slope"] is None else f" (slope {c['slope']:.2f})"
        ax.plot(*zip(*pts, strict=True), styles[key], label=c["label"] + slope)
    ax.set_xscale("log", base=2)
    ax.set_xticks(ns, [str(n) for n in ns])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_yscale("log")
    ax.set_xlabel("sentence length n (words)")
    ax.set_ylabel("time per call (s)")
    ax.set_title(
        f"Window attention (radius {WINDOW_RADIUS}, {WINDOW_HEADS} heads x {WINDOW_DHEAD}, "
        f"float32, {THREADS} threads)",
        fontsize=10,
    )
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=100)


# --- case 5: layers -----------------------------------------------------------------------


def case_layers(ctx: Context) -> None:
    case = "5 layers"
    N, E = ctx.sizes["gat_nodes"], ctx.sizes["gat_edges"]
    n_words = ctx.sizes["tf_words"]
    H, d_head, d = 4, 16, 64
    ctx.log(
        f"[{case}] GAT on N={si(N)}, E={si(E)} (incl. self loops), 64 -> 4 x 16; "
        f"Transformer layer on {n_words} words"
    )
    rng = np.random.default_rng(5)
    senders, receivers = random_edges(rng, N, E - N, self_loops=False)
    loops = np.arange(N)
    g = gl.Graph(np.concatenate([senders, loops]), np.concatenate([receivers, loops]), N)
    h = normal(rng, (N, d), F32)
    gat = gl.init_gat_layer(rng, d, d_head, H, dtype=F32)
    gat["b"] = normal(rng, gat["b"].shape, F32) * F32(0.1)
    tf = gl.init_transformer_layer(rng, d, H, 4 * d, dtype=F32)
    for group in tf.values():
        for name in group:
            if name.startswith("b") or name in ("beta",):
                group[name] = normal(rng, group[name].shape, F32) * F32(0.1)
            elif name == "gamma":
                group[name] = F32(1) + normal(rng, group[name].shape, F32) * F32(0.1)
    x = normal(rng, (n_words, d), F32)

    torch_jobs, pyg_jobs = [], []
    if ctx.torch is not None:
        torch, ref, to_t = ctx.torch, ctx.backends.ref, ctx.backends.ref.to_torch
        if ctx.backends.pyg is not None:
            conv = ctx.backends.pyg.GATConv(
                d,
                d_head,
                heads=H,
                concat=True,
                negative_slope=0.2,
                dropout=0.0,
                add_self_loops=False,
                bias=True,
            ).eval()
            ref.load_gatconv(conv, gat)
            h_t = to_t(h)
            edge_index = torch.stack([to_t(g.senders), to_t(g.receivers)])

            def gat_call():
                with torch.no_grad():
                    return conv(h_t, edge_index)

            expected = gl.gat_layer(gat, h, g, activation=None)
            if ctx.check(case, "gat", "PyG GATConv", expected, gat_call, 1e-4, 1e-5):
                pyg_jobs.append(("gat", "PyG GATConv", gat_call))
        layer = torch.nn.TransformerEncoderLayer(d, H, 4 * d, dropout=0.0, batch_first=True)
        layer.eval()
        ref.load_encoder_layer(layer, tf)
        x_t = to_t(x)[None]

        def tf_call():
            with torch.no_grad():
                return layer(x_t)[0]

        expected = gl.transformer_layer(tf, x, num_heads=H)
        if ctx.check(case, "tf", "torch TransformerEncoderLayer", expected, tf_call, 1e-4, 1e-4):
            torch_jobs.append(("tf", "torch TransformerEncoderLayer (eval, no_grad)", tf_call))

    ours = ctx.phase(
        "numpy",
        case,
        [
            (
                "gat",
                "gl.gat_layer (activation=None)",
                lambda: gl.gat_layer(gat, h, g, activation=None),
            ),
            ("tf", "gl.transformer_layer", lambda: gl.transformer_layer(tf, x, num_heads=H)),
        ],
    )
    ctx.pause()
    theirs = ctx.phase("torch", case, pyg_jobs + torch_jobs)
    ctx.rows.append(
        Row(
            case,
            "gl.gat_layer float32, 4 heads x 16, concat",
            f"N={si(N)}, E={si(E)}, d=64",
            ours.get("gat"),
            "PyG GATConv",
            ctx.ref(theirs, "gat", "pyg"),
        )
    )
    n, dff = n_words, 4 * d
    flops = 2 * n * d * 3 * d + 4 * n * n * d + 2 * n * d * d + 4 * n * d * dff
    ctx.rows.append(
        Row(
            case,
            "gl.transformer_layer float32 (dense, post-LN)",
            f"{n} words, d=64, 4 heads, d_ff={dff}",
            ours.get("tf"),
            "torch TransformerEncoderLayer",
            ctx.ref(theirs, "tf"),
            None,
            flops,
            "GFLOP/s",
            ctx.limits["matmul_float32_GFLOPs"],
        )
    )


CASES = {
    "propagate": case_propagate,
    "softmax": case_segment_softmax,
    "dense": case_dense_attention,
    "window": case_window_attention,
    "layers": case_layers,
}


# --- output -------------------------------------------------------------------------------


def render_markdown(ctx: Context, meta: dict) -> str:
    m, lim = meta["machine"], ctx.limits
    table = markdown_table(TABLE_HEADER, [row.cells() for row in ctx.rows])
    cores = m["physical_cores"] or "?"
    load = meta["load_average"]
    lines = [
        "# gnnformer_lite vs PyTorch / PyTorch Geometric",
        "",
        f"Generated {meta['date']} by `{meta['command']}` in {meta['elapsed_s']:.0f} s.",
    ]
    if meta["quick"]:
        lines += ["", "**Quick mode** (`--quick`): small sizes, 2 repetitions; a smoke test only."]
    if meta["busy"]:
        lines += [
            "",
            f"**Warning: the machine was busy** ({meta['busy']}): timings are unreliable.",
        ]
    lines += [
        "",
        "## Machine",
        "",
        f"- CPU: {m['cpu']}, {cores} physical cores, {m['logical_cpus']} logical CPUs "
        f"({m['usable_cpus']} usable by this process); {m['platform']}",
        f"- Python {m['python']}, NumPy {m['numpy']}, gnnformer_lite {m['gnnformer_lite']}",
        f"- BLAS: {blas_summary(m['blas'])}",
        f"- torch: {m['torch']}"
        + (f" ({m['torch_threads']} intra-op threads)" if "torch_threads" in m else ""),
        f"- torch_geometric: {m['torch_geometric']}",
        f"- Threads: {THREADS} (`torch.set_num_threads`, "
        + ", ".join(f"{k}={v}" for k, v in m["thread_env"].items() if v is not None)
        + "); NumPy's own ufuncs and reductions are single-threaded",
        f"- Other processes: {others_text(meta['other_processes_cpus'])}; load average "
        f"(1, 5, 15 min) {load['start']} at start, {load['end']} at end",
        "",
        "## This machine's limits",
        "",
        markdown_table(
            ["limit", "value", "how"],
            [
                [
                    "memory read bandwidth",
                    f"{lim['bandwidth_GBps']:.1f} GB/s",
                    f"`np.sum` over {lim['bandwidth_bytes'] / 2**20:.0f} MiB float64, 1 thread",
                ],
                [
                    "matmul float32",
                    f"{lim['matmul_float32_GFLOPs']:.0f} GFLOP/s",
                    f"{lim['matmul_n']}×{lim['matmul_n']} `np.matmul`, {THREADS} BLAS threads",
                ],
                [
                    "matmul float64",
                    f"{lim['matmul_float64_GFLOPs']:.0f} GFLOP/s",
                    f"{lim['matmul_n']}×{lim['matmul_n']} `np.matmul`, {THREADS} BLAS threads",
                ],
            ],
        ),
        "",
        "## Results",
        "",
        f"Times are per call: the median of {ctx.reps} repetitions after one warm-up (fast calls "
        "are looped within a repetition). *ours / ref* < 1 means gnnformer_lite is faster. "
        "*Effective* throughput counts the minimal bytes read and written (GB/s, against the "
        "`np.sum` bandwidth, which data in cache can exceed) or the useful matmul flops "
        "(GFLOP/s, against the float32 matmul rate).",
        "",
        table,
    ]
    if ctx.window is not None:
        lines += [
            "",
            "## Sparse window attention vs sentence length",
            "",
            f"Radius {WINDOW_RADIUS} with self loops, {WINDOW_HEADS} heads × {WINDOW_DHEAD}, "
            f"float32. Slopes: `np.polyfit` of log time on log n over n ≥ {SLOPE_MIN_N} "
            "(1 = linear, 2 = quadratic).",
            "",
            window_table(ctx.window),
            "",
            "![time vs n, log-log](window_attention.png)",
        ]
    if ctx.failures:
        lines += ["", "## Failures", ""] + [f"- {f}" for f in ctx.failures]
    lines += [
        "",
        "## Notes",
        "",
        f"- † marks a time measured while other processes kept more than {NOISY_CPUS} CPUs "
        f"busy (from /proc/stat), even after {ctx.retries} re-measurements: rerun on a quiet "
        "machine before trusting it.",
        "- Every reference is checked against gnnformer_lite's output (`np.allclose`) on the "
        "benchmark inputs before it is timed; a mismatch is reported instead of a time.",
        f"- Each case times all its NumPy calls, pauses {ctx.pause_seconds:g} s, then all its "
        "torch calls: "
        "alternating calls make OpenBLAS and OpenMP worker threads compete for the cores.",
        "- Each library gets its natural layout, built outside the timing: ours "
        "`(..., n, H, d)`, torch's SDPA `(B, H, n, d)` (contiguous). No transposes are timed.",
        "- `gl.scaled_dot_product_attention` and `gl.graph_attention` also return the "
        "attention weights; torch's SDPA does not compute them.",
        "- propagate: torch `index_add_` receives the messages in the Graph's sorted order "
        "(`sorted`) or in the original random edge order with the matching receivers "
        "(`random order`); PyG `scatter` gets the sorted ones. The Graph is built once, outside "
        "the timing; its construction is timed on its own.",
        "- The GAT comparison calls `gl.gat_layer(..., activation=None)` and `GATConv(64, 16, "
        "heads=4, add_self_loops=False)` with the same weights on a graph that has self loops.",
        "- The torch gather/scatter attention is `benchmarks/torch_reference.py` "
        "(`index_select`, `scatter_reduce_(amax)`, `index_add_`).",
    ]
    return "\n".join(lines) + "\n"


def others_text(others: float | None) -> str:
    if others is None:
        return "unknown (no /proc/stat)"
    return f"{others:.2f} CPUs busy on average during the run (from /proc/stat)"


def print_summary(ctx: Context, log=print) -> None:
    log("")
    log(markdown_table(TABLE_HEADER, [row.cells() for row in ctx.rows]))
    if ctx.window is not None:
        log("")
        log(window_table(ctx.window))


def cpu_counters() -> tuple[float, float, float] | None:
    """(wall clock, busy CPU-seconds of the whole machine, CPU-seconds of this process)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        hz = os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, AttributeError):
        return None
    busy = (sum(fields) - fields[3] - fields[4]) / hz  # all but idle and iowait (steal counts)
    t = os.times()
    return time.perf_counter(), busy, t.user + t.system


def other_cpu_load(start, end, min_seconds: float = 0.25) -> float | None:
    """Average number of CPUs kept busy by other processes (or the hypervisor) in between.

    The kernel counts CPU time in clock ticks (10 ms), so a window shorter than
    ``min_seconds`` gives None (unknown) rather than a number that is mostly rounding.
    """
    if start is None or end is None or end[0] - start[0] < min_seconds:
        return None
    return max(0.0, ((end[1] - start[1]) - (end[2] - start[2])) / (end[0] - start[0]))


def busy_warning(others: float | None, cpus: int) -> str:
    """A note if other processes used more than a tenth of the CPUs during the run."""
    if others is not None and others > 0.1 * cpus:
        return f"other processes kept {others:.2f} of {cpus} CPUs busy on average during the run"
    return ""


def command_line(argv: list[str]) -> str:
    exe = Path(sys.executable)
    with contextlib.suppress(ValueError):
        exe = exe.relative_to(Path.cwd())
    return shlex.join([str(exe), "benchmarks/run.py", *argv])


# --- main ---------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes and 2 repetitions (smoke)")
    p.add_argument(
        "--no-torch",
        action="store_true",
        help=f"act as if torch and PyG were not installed (also: {NO_TORCH_ENV}=1)",
    )
    p.add_argument(
        "--cases",
        default=",".join(CASES),
        help="comma-separated subset of: " + ", ".join(CASES) + " (default: all)",
    )
    p.add_argument("--reps", type=int, default=None, help="repetitions (default 5, quick 2)")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output directory (default benchmarks/results; --quick: a new temporary directory)",
    )
    args = p.parse_args(argv)
    args.cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = [c for c in args.cases if c not in CASES]
    if unknown:
        p.error(f"unknown case(s) {unknown}; choose from {list(CASES)}")
    if args.reps is not None and args.reps < 1:
        p.error("--reps must be >= 1")
    return args


def main(argv: list[str] | None = None, log: Callable[[str], None] = print) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    if args.no_torch or os.environ.get(NO_TORCH_ENV, "") not in ("", "0"):
        hide_torch()
    backends = load_backends()
    limiter = pin_blas_threads()
    try:
        return _run(args, argv, backends, log)
    finally:
        if limiter is not None:  # give the caller (e.g. pytest) its thread pools back
            limiter.restore_original_limits()


def _run(args: argparse.Namespace, argv: list[str], backends: Backends, log) -> int:
    started = time.perf_counter()
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load_start = os.getloadavg() if hasattr(os, "getloadavg") else None
    counters_start = cpu_counters()
    machine = describe_machine(backends)
    log(f"gnnformer_lite benchmarks ({'quick' if args.quick else 'full'}), {date}")
    log(f"  CPU {machine['cpu']}, {machine['usable_cpus']} usable CPUs, {THREADS} threads")
    log(f"  NumPy {machine['numpy']}; BLAS {blas_summary(machine['blas'])}")
    log(f"  torch {backends.torch_status}; torch_geometric {backends.pyg_status}")
    sizes = QUICK if args.quick else FULL
    reps = args.reps or (2 if args.quick else 5)
    limits = measure_limits(sizes, reps, log)
    ctx = Context(
        sizes=sizes,
        reps=reps,
        min_seconds=0.005 if args.quick else 0.05,
        backends=backends,
        limits=limits,
        pause_seconds=0.05 if args.quick else 0.5,
        retries=0 if args.quick else 2,
        log=log,
    )
    for name in args.cases:
        try:
            CASES[name](ctx)
        except Exception as err:  # e.g. a kernel being rewritten: report it, run the rest
            log(traceback.format_exc())
            ctx.fail(f"case {name} stopped: {type(err).__name__}: {err}")
        ctx.pause()
    elapsed = time.perf_counter() - started

    out = args.out or (Path(tempfile.mkdtemp(prefix="gl-bench-")) if args.quick else DEFAULT_OUT)
    out.mkdir(parents=True, exist_ok=True)
    load_end = os.getloadavg() if hasattr(os, "getloadavg") else None
    others = other_cpu_load(counters_start, cpu_counters())
    busy = busy_warning(others, machine["usable_cpus"])
    if busy:
        log(f"*** warning: the machine was busy ({busy}): timings are unreliable")
    meta = {
        "busy": busy,
        "other_processes_cpus": others,
        "date": date,
        "command": command_line(argv),
        "quick": args.quick,
        "cases": args.cases,
        "reps": reps,
        "elapsed_s": elapsed,
        "load_average": {
            "start": None if load_start is None else [round(x, 2) for x in load_start],
            "end": None if load_end is None else [round(x, 2) for x in load_end],
        },
        "machine": machine,
    }
    (out / "results.md").write_text(render_markdown(ctx, meta), encoding="utf-8")
    raw = {
        "meta": meta,
        "limits": limits,
        "sizes": {k: list(v) if isinstance(v, tuple) else v for k, v in sizes.items()},
        "targets": {k: v for k, v in globals().items() if k.startswith("TARGET_")},
        "rows": [row.to_json() for row in ctx.rows],
        "window": ctx.window,
        "measurements": ctx.measurements,
        "failures": ctx.failures,
    }
    (out / "results.json").write_text(json.dumps(raw, indent=1, default=str) + "\n")
    if ctx.window is not None:
        plot_window(ctx.window, out / "window_attention.png")
    print_summary(ctx, log)
    log("")
    log(
        f"wrote {out / 'results.md'}, results.json"
        + (", window_attention.png" if ctx.window is not None else "")
        + f" in {elapsed:.0f} s"
    )
    if ctx.failures:
        log(f"*** {len(ctx.failures)} failure(s):")
        for f in ctx.failures:
            log(f"***   {f}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
