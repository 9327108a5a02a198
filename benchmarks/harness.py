"""The benchmark harness: optional torch/PyG, timing, phases, noise re-measurement, checks.

A case (``benchmarks/cases/*.py``) builds its inputs, checks every reference against
gnnformer_lite with ``ctx.check``, times its NumPy calls with ``ctx.phase("numpy", ...)``,
pauses, times its torch calls with ``ctx.phase("torch", ...)``, and appends rows.
"""

from __future__ import annotations

import dataclasses
import gc
import importlib
import math
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from benchmarks import THREADS

NOT_INSTALLED = "not installed"
NOISY_CPUS = 0.2  # a time is flagged if other processes used more CPUs than this meanwhile


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
    """Import torch, benchmarks/torch_reference.py and PyG if installed; pin torch's threads."""
    b = Backends()
    try:
        import torch
    except ImportError:
        return b
    torch.set_num_threads(threads)
    ref = importlib.import_module("benchmarks.torch_reference")
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
    return measure_alternately([fn], reps, min_seconds)[0]


def measure_alternately(fns: list, reps: int, min_seconds: float) -> list[Timing]:
    """``measure`` for several calls, one repetition of each in turn: they share the load.

    For two NumPy calls compared with each other (the course sizes); for NumPy against
    torch only on one thread each (the training steps), else their thread pools would
    fight (see ``Context.phase``).
    """
    gc.collect()
    for fn in fns:
        fn()  # warm-up: caches, lazy attributes (Graph.indptr), torch's first-call set-up
    counters = cpu_counters()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        runs = [([], []) for _ in fns]  # (seconds per call, calls) of each repetition
        for _ in range(reps):
            for fn, (times, calls) in zip(fns, runs, strict=True):
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
    return [Timing(float(np.median(t)), float(min(t)), t, c, others) for t, c in runs]


def cpu_counters() -> tuple[float, float, float] | None:
    """(wall clock, busy CPU-seconds of the machine, CPU-seconds of this process and its
    children that have exited, such as a notebook's kernel)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        hz = os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, AttributeError):
        return None
    busy = (sum(fields) - fields[3] - fields[4]) / hz  # all but idle and iowait (steal counts)
    t = os.times()
    return time.perf_counter(), busy, t.user + t.system + t.children_user + t.children_system


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


def fmt_time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale or unit == "µs":
            value = seconds / scale
            return f"{value:.3g} {unit}" if value < 100 else f"{value:.0f} {unit}"
    raise AssertionError  # pragma: no cover


def fmt_timing(t: Timing) -> str:
    """The median, marked with † if other processes were busy while it was measured."""
    return fmt_time(t.median) + (" †" if t.noisy else "")


def si(n: int) -> str:
    """100000 -> '100k', 1000000 -> '1M'."""
    for suffix, scale in (("M", 10**6), ("k", 10**3)):
        if n >= scale and n % (scale // 10) == 0:
            return f"{n / scale:g}{suffix}"
    return str(n)


# --- the run context ----------------------------------------------------------------------


@dataclasses.dataclass
class Context:
    """Everything a case needs: sizes, repetitions, backends, limits, and where rows go."""

    sizes: dict
    reps: int
    min_seconds: float
    backends: Backends
    limits: dict
    pause_seconds: float = 0.5
    retries: int = 2  # re-measurements of a time taken while other processes were busy
    log: Callable[[str], None] = print
    rows: list = dataclasses.field(default_factory=list)  # report.Row: the torch/PyG table
    course: list = dataclasses.field(default_factory=list)  # report.CourseRow
    measurements: list = dataclasses.field(default_factory=list)
    failures: list = dataclasses.field(default_factory=list)
    mismatched: set = dataclasses.field(default_factory=set)
    window: dict | None = None
    notebooks: dict | None = None  # the course's Run-All times (cases/notebooks.py)
    sections: list = dataclasses.field(default_factory=list)  # more of results.md: f(machine)

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
            if key not in self.mismatched:
                results |= self.measure_quietly(case, library, [(key, label, fn)])
        return results

    def measure_quietly(self, case: str, library: str, jobs: list) -> dict:
        """Time ``jobs`` = [(key, label, fn)] alternately; {key: Timing, or an error text}.

        Measured again, up to ``retries`` times, while other processes were busy; keeps
        the attempt during which the others used the least CPU.
        """
        fns, labels = [fn for _, _, fn in jobs], " / ".join(label for _, label, _ in jobs)
        try:
            best = measure_alternately(fns, self.reps, self.min_seconds)
            for attempt in range(self.retries):
                if not best[0].noisy:
                    break
                self.log(f"    {labels:<54} others busy ({best[0].others:.2f} CPUs): retry "
                         f"{attempt + 1}")  # fmt: skip
                self.pause()
                timings = measure_alternately(fns, self.reps, self.min_seconds)
                if timings[0].others is not None and timings[0].others < best[0].others:
                    best = timings
        except Exception as err:
            self.fail(f"{case}: timing {labels} raised {type(err).__name__}: {err}")
            return {key: f"error ({type(err).__name__})" for key, _, _ in jobs}
        for (key, label, _), timing in zip(jobs, best, strict=True):
            self.record(case, library, key, label, timing)
        return {key: timing for (key, _, _), timing in zip(jobs, best, strict=True)}

    def record(self, case: str, library: str, key: str, label: str, timing: Timing) -> None:
        loops = f", up to {max(timing.calls)} calls each" if max(timing.calls) > 1 else ""
        busy = f"; others busy: {timing.others:.2f} CPUs †" if timing.noisy else ""
        self.log(f"    {label:<54} {fmt_time(timing.median):>9}  ({self.reps} reps{loops}{busy})")
        self.measurements.append(
            {"case": case, "library": library, "key": key, "label": label}
            | dataclasses.asdict(timing)
        )

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
