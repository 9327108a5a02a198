"""Time gnnformer_lite against PyTorch / PyTorch Geometric, and against its own textbook lines.

    make bench                                  # = .venv/bin/python benchmarks/run.py
    .venv/bin/python benchmarks/run.py --quick  # smoke run: small sizes, 2 repetitions
    .venv/bin/python benchmarks/run.py --no-torch --cases propagate,softmax

Writes ``results.md`` (tables, machine, limits), ``results.json`` (raw numbers) and
``window_attention.png`` to ``benchmarks/results/`` (``--quick``: a temporary
directory unless ``--out`` is given). torch and torch_geometric are optional
(``pip install -e ".[bench]"``): without them, or with ``--no-torch`` (or
``GNNFORMER_BENCH_NO_TORCH=1``), the comparison columns say "not installed".

The harness (timing, phases, noise re-measurement) is ``harness.py``, the machine
description ``machine.py``, the cases ``cases/``, the tables ``report.py``.
See benchmarks/README.md.
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":
    # Run as a script: make `benchmarks` importable, and set the thread counts that
    # NumPy (OpenBLAS) and torch (OpenMP) read when they load, before they load.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from benchmarks import pin_thread_env

    pin_thread_env()

import argparse  # noqa: E402
import contextlib  # noqa: E402
import datetime  # noqa: E402
import pickle  # noqa: E402
import shlex  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

from benchmarks import THREADS, cases  # noqa: E402
from benchmarks.harness import (  # noqa: E402
    Context,
    busy_warning,
    cpu_counters,
    hide_torch,
    load_backends,
    other_cpu_load,
)
from benchmarks.machine import (  # noqa: E402
    LIMIT_SIZES,
    blas_summary,
    describe_machine,
    measure_limits,
    pin_blas_threads,
)
from benchmarks.report import print_summary, write_results  # noqa: E402

DEFAULT_OUT = Path(__file__).resolve().parent / "results"
NO_TORCH_ENV = "GNNFORMER_BENCH_NO_TORCH"
CASES = cases.CASES
# Cases that change the whole process run in a child process of their own: the training
# steps turn on gl.keep_freed_memory() (glibc's malloc settings, as gl.train does), which
# also changes the big cases' times, torch's and ours, and a fresh process keeps the big
# cases' heap away from the small steps.
ISOLATED = ("training",)
CHILD_RESULTS = ("rows", "course", "measurements", "failures", "mismatched")  # Context fields


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
        default=None,
        help="comma-separated subset of: " + ", ".join(CASES) + " (default: all; --quick: "
        "all but notebooks)",
    )
    p.add_argument("--reps", type=int, default=None, help="repetitions (default 5, quick 2)")
    p.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)  # see ISOLATED
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output directory (default benchmarks/results; --quick: a new temporary directory)",
    )
    args = p.parse_args(argv)
    if args.cases is None:
        args.cases = cases.default(args.quick)
    else:
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
        return run(args, argv, backends, log)
    finally:
        if limiter is not None:  # give the caller (e.g. pytest) its thread pools back
            limiter.restore_original_limits()


def make_context(args, backends, machine: dict, log) -> Context:
    mode = "quick" if args.quick else "full"
    reps = args.reps or (2 if args.quick else 5)
    if args.child is None:
        log(f"gnnformer_lite benchmarks ({mode}), {machine['date']}")
        log(f"  CPU {machine['cpu']}, {machine['usable_cpus']} usable CPUs, {THREADS} threads")
        log(f"  NumPy {machine['numpy']}; BLAS {blas_summary(machine['blas'])}")
        log(f"  torch {backends.torch_status}; torch_geometric {backends.pyg_status}")
    return Context(
        sizes=LIMIT_SIZES[mode] | cases.sizes(args.quick),
        reps=reps,
        min_seconds=0.005 if args.quick else 0.05,
        backends=backends,
        limits={} if args.child else measure_limits(LIMIT_SIZES[mode], reps, log),
        pause_seconds=0.05 if args.quick else 0.5,
        retries=0 if args.quick else 2,
        log=log,
    )


def run(args: argparse.Namespace, argv: list[str], backends, log) -> int:
    started = time.perf_counter()
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load_start = os.getloadavg() if hasattr(os, "getloadavg") else None
    counters_start = cpu_counters()
    machine = describe_machine(backends)
    ctx = make_context(args, backends, machine | {"date": date}, log)
    for name in args.cases:
        try:
            if name in ISOLATED and args.child is None:
                run_in_child(name, args, ctx)
            else:
                CASES[name].run(ctx)
        except Exception as err:  # e.g. a kernel being rewritten: report it, run the rest
            log(traceback.format_exc())
            ctx.fail(f"case {name} stopped: {type(err).__name__}: {err}")
        ctx.pause()
    if args.child is not None:  # hand the results to the parent process
        args.child.write_bytes(pickle.dumps({key: getattr(ctx, key) for key in CHILD_RESULTS}))
        return 0
    elapsed = time.perf_counter() - started

    out = args.out or (Path(tempfile.mkdtemp(prefix="gl-bench-")) if args.quick else DEFAULT_OUT)
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
        "reps": ctx.reps,
        "elapsed_s": elapsed,
        "load_average": {
            "start": None if load_start is None else [round(x, 2) for x in load_start],
            "end": None if load_end is None else [round(x, 2) for x in load_end],
        },
        "machine": machine,
    }
    sizes = {k: list(v) if isinstance(v, tuple) else v for k, v in ctx.sizes.items()}
    names = write_results(ctx, meta, {"sizes": sizes, "targets": cases.targets()}, out)
    print_summary(ctx, log)
    log("")
    log(f"wrote {out / names[0]}, {', '.join(names[1:])} in {elapsed:.0f} s")
    if ctx.failures:
        log(f"*** {len(ctx.failures)} failure(s):")
        for f in ctx.failures:
            log(f"***   {f}")
        return 1
    return 0


def run_in_child(name: str, args: argparse.Namespace, ctx: Context) -> None:
    """Run case ``name`` in a fresh Python process (``ISOLATED``); add its results to ctx."""
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "results.pickle"
        argv = [sys.executable, str(Path(__file__).resolve()), "--cases", name]
        argv += ["--child", str(results)] + ["--quick"] * args.quick
        argv += ["--reps", str(ctx.reps)] + ["--no-torch"] * (ctx.torch is None)
        subprocess.run(argv, check=True)
        child = pickle.loads(results.read_bytes())
    for key in CHILD_RESULTS:
        if isinstance(getattr(ctx, key), set):
            getattr(ctx, key).update(child[key])
        else:
            getattr(ctx, key).extend(child[key])


def command_line(argv: list[str]) -> str:
    exe = Path(sys.executable)
    with contextlib.suppress(ValueError):
        exe = exe.relative_to(Path.cwd())
    return shlex.join([str(exe), "benchmarks/run.py", *argv])


if __name__ == "__main__":
    sys.exit(main())
