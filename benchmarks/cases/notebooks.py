"""Case 8: the course, Run All of notebooks 00-09 (in the full run; not in ``--quick``).

Each notebook is executed in memory by nbclient in a fresh kernel (the venv's ``python3``
kernel), with its working directory ``notebooks/``, ``PYTHONHASHSEED=0``, ``MPLBACKEND``
unset and the thread variables as ``make bench`` found them (run.py pins them to 2 for
itself only). Nothing is written into the notebooks. Per notebook:

- **cells**: the sum of the code cells' execution times from the metadata nbclient
  records (``iopub.execute_input`` to ``shell.execute_reply``), which is what JupyterLab's
  Run All takes on a kernel that has started;
- **wall**: the whole execution, with the kernel's start and shutdown.

Target: the cells of all ten notebooks within 75 s in all, on a quiet 2-core machine.
"""

from __future__ import annotations

import datetime
import os
import time
from pathlib import Path

from benchmarks import ORIGINAL_THREAD_ENV
from benchmarks.harness import NOISY_CPUS, cpu_counters, other_cpu_load
from benchmarks.report import markdown_table

CASE = "8 course Run All"
FULL = {}
QUICK = None  # too slow for a smoke run: only when asked (--cases notebooks)
TARGET_COURSE_SECONDS = 75.0
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def kernel_env() -> dict:
    """This process's environment as a learner's JupyterLab would pass it on to a kernel."""
    env = dict(os.environ)
    for var, value in ORIGINAL_THREAD_ENV.items():  # undo run.py's pinning
        if value is None:
            env.pop(var, None)
        else:
            env[var] = value
    env.pop("MPLBACKEND", None)
    return env | {"PYTHONHASHSEED": "0"}


def cell_times(nb) -> list[tuple[float, str]]:
    """(seconds, first line of the source) of every executed code cell, from its metadata."""
    out = []
    for cell in nb.cells:
        t = cell.get("metadata", {}).get("execution", {})
        if cell.cell_type == "code" and "iopub.execute_input" in t and "shell.execute_reply" in t:
            start, end = (stamp(t[k]) for k in ("iopub.execute_input", "shell.execute_reply"))
            lines = [x for x in cell.source.split("\n") if x.strip() and not x.startswith("#")]
            out.append(((end - start).total_seconds(), (lines or [""])[0]))
    return out


def stamp(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def execute(path: Path) -> dict:
    """Run one notebook in a fresh kernel: its cell and wall times, the others' CPU load."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    resources = {"metadata": {"path": str(NOTEBOOKS)}}
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources=resources)
    counters, start = cpu_counters(), time.perf_counter()
    client.execute(env=kernel_env())  # the kernel's CPU time counts as ours once it has exited
    wall = time.perf_counter() - start
    cells = cell_times(nb)
    slowest = max(cells, default=(0.0, ""))
    return {
        "notebook": path.stem,
        "cells_s": sum(s for s, _ in cells),
        "wall_s": wall,
        "slowest_cell": {"seconds": slowest[0], "first_line": slowest[1][:60]},
        "cell_seconds": [s for s, _ in cells],
        "others": other_cpu_load(counters, cpu_counters()),
    }


def run(ctx) -> None:
    try:
        import nbclient  # noqa: F401
    except ImportError:
        ctx.log(f"[{CASE}] nbclient is not installed: skipped")
        return
    paths = sorted(NOTEBOOKS.glob("0[0-9]_*.ipynb"))
    ctx.log(f"[{CASE}] {len(paths)} notebooks, each in a fresh kernel")
    rows = []
    for path in paths:
        try:
            row = execute(path)
            for attempt in range(ctx.retries):
                if row["others"] is None or row["others"] <= NOISY_CPUS:
                    break
                ctx.log(f"    {path.stem}: others busy ({row['others']:.2f} CPUs): retry "
                        f"{attempt + 1}")  # fmt: skip
                again = execute(path)
                row = again if (again["others"] or 0.0) < row["others"] else row
        except Exception as err:  # a cell raised or timed out: report it, run the rest
            ctx.fail(f"{CASE}: {path.name} stopped: {type(err).__name__}: {str(err)[:300]}")
            row = {"notebook": path.stem, "error": type(err).__name__}
        rows.append(row)
        if "error" not in row:
            noisy = " †" if (row["others"] or 0.0) > NOISY_CPUS else ""
            ctx.log(f"    {path.stem:<32} cells {row['cells_s']:6.1f} s, wall "
                    f"{row['wall_s']:6.1f} s{noisy}")  # fmt: skip
    ctx.notebooks = {"rows": rows, "target_s": TARGET_COURSE_SECONDS}
    ctx.log("")
    ctx.log(table(rows))
    ctx.sections.append(lambda machine: section(rows, machine))


def table(rows: list[dict]) -> str:
    header = ["notebook", "cells (Run All)", "wall, with the kernel's start", "slowest cell"]
    cells = []
    for r in rows:
        if "error" in r:
            cells.append([r["notebook"], f"error ({r['error']})", "—", "—"])
            continue
        noisy = " †" if (r["others"] or 0.0) > NOISY_CPUS else ""
        line = r["slowest_cell"]["first_line"].replace("|", "\\|").replace("`", "'")
        slowest = f"{r['slowest_cell']['seconds']:.1f} s: `{line}`"
        cells.append(
            [r["notebook"], f"{r['cells_s']:.1f} s{noisy}", f"{r['wall_s']:.1f} s", slowest]
        )
    done = [r for r in rows if "error" not in r]
    total, wall = sum(r["cells_s"] for r in done), sum(r["wall_s"] for r in done)
    cells.append([f"**all {len(done)}**", f"**{total:.1f} s**", f"{wall:.1f} s", ""])
    return markdown_table(header, cells)


def section(rows: list[dict], machine: dict) -> list[str]:
    """This case's part of results.md."""
    total = sum(r.get("cells_s", 0.0) for r in rows)
    met = all("error" not in r for r in rows) and total <= TARGET_COURSE_SECONDS
    return [
        "",
        "## The course: Run All of the notebooks",
        "",
        "Each notebook executed by nbclient in a fresh kernel (cwd `notebooks/`, "
        "`PYTHONHASHSEED=0`, `MPLBACKEND` unset; nothing written back). *Cells*: the sum of the "
        "code cells' execution times from their metadata, what JupyterLab's Run All takes on a "
        "started kernel; *wall*: the whole run, with the kernel's start and shutdown. † marks a "
        f"notebook during which other processes kept more than {NOISY_CPUS} CPUs busy.",
        "",
        table(rows),
        "",
        f"Target: the cells of all notebooks within {TARGET_COURSE_SECONDS:g} s on a quiet 2-core "
        f"machine: {'met' if met else '**missed**'} ({total:.1f} s on {machine['cpu']}, "
        f"{machine['usable_cpus']} usable CPUs).",
    ]
