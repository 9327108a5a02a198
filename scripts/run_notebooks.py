#!/usr/bin/env python3
"""Execute the course notebooks in place; the only way outputs get into the repository.

    python scripts/run_notebooks.py                      # every notebooks/*.ipynb, sorted
    python scripts/run_notebooks.py notebooks/01_x.ipynb # only these

Each notebook runs top to bottom in a fresh ``python3`` kernel (cwd = the notebook's folder,
PYTHONHASHSEED=0, 120 s per cell). Outputs and execution counts are kept; volatile metadata
(timings, widget state, UI state, the Python patch version) is stripped and the kernelspec is
normalised, so re-running an unchanged notebook gives a minimal diff. Each notebook written
also gets its text views in notebooks/text/ (scripts/notebook_text.py, what `make sync` does).

A notebook is *not* written, and the script exits non-zero, when
  * a cell raises (unless the cell is tagged ``raises-exception``; prefer catching the error
    in code and printing it),
  * any output is a ``stderr`` stream (rule: no stderr in committed outputs),
  * any output is ``image/svg+xml`` (rule: PNG figures only).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import notebook_text  # scripts/notebook_text.py, beside this file

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
CELL_TIMEOUT = 120  # seconds per cell
KERNEL_NAME = "python3"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
# Cell metadata keys that only record timings or UI state.
VOLATILE_CELL_METADATA = ("execution", "ExecuteTime", "collapsed", "scrolled")


def kernel_environment() -> None:
    """Environment inherited by the kernel: deterministic and free of debugger noise."""
    os.environ["PYTHONHASHSEED"] = "0"
    # The kernel picks matplotlib's inline backend itself unless MPLBACKEND is inherited.
    os.environ.pop("MPLBACKEND", None)
    # Use the kernelspec of the environment running this script (i.e. .venv), not ~/.local.
    os.environ["JUPYTER_PREFER_ENV_PATH"] = "1"
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")


def problems_in(nb) -> list[str]:
    """Rule violations in an executed notebook, one message per offending output."""
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        tags = cell.metadata.get("tags", [])
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind == "stream" and output.get("name") == "stderr":
                text = "".join(output.get("text", "")).strip()
                found.append(f"cell {index}: output on stderr: {text[:500]!r}")
            elif kind == "error" and "raises-exception" not in tags:
                found.append(f"cell {index}: {output.get('ename')}: {output.get('evalue')}")
            elif kind in ("display_data", "execute_result"):
                if "image/svg+xml" in output.get("data", {}):
                    found.append(f"cell {index}: image/svg+xml output (use PNG figures)")
    return found


def normalise(nb) -> None:
    """Strip volatile metadata in place."""
    meta = nb.metadata
    meta.pop("widgets", None)
    meta["kernelspec"] = dict(KERNELSPEC)
    if "language_info" in meta:
        meta["language_info"].pop("version", None)
    for cell in nb.cells:
        for key in VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = merge_streams(cell.outputs)
        if cell.cell_type == "code" and not cell.source.strip():
            # nbclient does not execute empty cells: drop whatever they held before.
            cell.execution_count = None
            cell.outputs = []


def merge_streams(outputs: list) -> list:
    """Join consecutive prints to the same stream into one output.

    How many stream outputs a cell gets depends on timing (a cell that prints,
    computes, then prints again may be split), so the file would differ between
    identical runs; merged, it does not.
    """
    merged = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            output.get("output_type") == "stream"
            and previous is not None
            and previous.get("output_type") == "stream"
            and previous.get("name") == output.get("name")
        ):
            previous["text"] = "".join(previous["text"]) + "".join(output["text"])
        else:
            merged.append(output)
    return merged


def run_one(path: Path) -> list[str]:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name=KERNEL_NAME,
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
        allow_errors=False,  # cells tagged raises-exception are still allowed to raise
    )
    try:
        client.execute()
    except CellExecutionError as exc:
        where = next(
            (
                f"cell {i}"
                for i, cell in enumerate(nb.cells)
                if any(out.get("output_type") == "error" for out in cell.get("outputs", []))
            ),
            "a cell",
        )
        tail = "\n".join(str(exc).strip().splitlines()[-25:])
        return [f"{where}: execution failed:\n{tail}"]
    problems = problems_in(nb)
    if problems:
        return problems
    normalise(nb)
    nbformat.validate(nb)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        nbformat.write(nb, fh)  # indent 1, sorted keys, trailing newline
    return []


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    args = ap.parse_args(argv)

    paths = sorted(p.resolve() for p in args.notebooks) or sorted(NOTEBOOK_DIR.glob("*.ipynb"))
    if not paths:
        print(f"no notebooks found in {NOTEBOOK_DIR}")
        return 0
    missing = [p for p in paths if not p.is_file() or p.suffix != ".ipynb"]
    if missing:
        print("not a notebook: " + ", ".join(map(str, missing)), file=sys.stderr)
        return 2

    kernel_environment()
    failed = {}
    total = time.perf_counter()
    for path in paths:
        name = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
        print(f"running {name}", flush=True)
        start = time.perf_counter()
        problems = run_one(path)
        status = "ok" if not problems else "FAILED (not written)"
        print(f"{name}: {status} in {time.perf_counter() - start:.1f} s", flush=True)
        if problems:
            failed[name] = problems
        else:
            for file in notebook_text.write([path]):
                print(f"wrote {file.relative_to(ROOT)}", flush=True)
    print(f"{len(paths)} notebook(s) in {time.perf_counter() - total:.1f} s")
    for name, problems in failed.items():
        for problem in problems:
            print(f"{name}: {problem}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
