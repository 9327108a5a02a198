#!/usr/bin/env python3
"""Text views of the notebooks, for review (``make sync``; also written by ``make notebooks``).

    python scripts/notebook_text.py            # write notebooks/text/* for every notebook
    python scripts/notebook_text.py --check    # exit 1 if a view is missing, stale or orphaned

Most of a notebook's bytes are base64 PNG, so its diff cannot be read. For every
``notebooks/NN_name.ipynb`` two generated files in ``notebooks/text/`` can:

* ``NN_name.py`` -- the cells as a jupytext ``py:percent`` script (markdown as comments,
  code as code, cell tags kept, no outputs): a change to the course reads as a code diff;
* ``NN_name.outputs.txt`` -- what every code cell printed (streams and text reprs, as
  committed) and one line per figure (its pixel size and a short hash): a change to the
  results reads as a diff of numbers.

The views are one-way: the ``.ipynb`` is the source, the views are never edited (and never
read back). ``tests/test_notebook_text.py`` fails when one is out of date.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
TEXT_DIR = NOTEBOOK_DIR / "text"
SUFFIXES = (".py", ".outputs.txt")


def banner(path: Path) -> str:
    return (
        f"Generated from notebooks/{path.name} by `make sync` (or `make notebooks`): "
        "do not edit; edit the notebook."
    )


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def script_view(nb, path: Path) -> str:
    """The notebook as a py:percent script without outputs or volatile metadata."""
    import jupytext

    text = jupytext.writes(
        nb,
        fmt={
            "extension": ".py",
            "format_name": "percent",
            # No header (it would carry jupytext's version); keep cell tags only.
            "notebook_metadata_filter": "-all",
            "cell_metadata_filter": "tags,-all",
        },
    )
    return f"# {banner(path)}\n\n{text}"


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG image")
    return struct.unpack(">II", data[16:24])


def output_lines(output) -> list[str]:
    kind = output.get("output_type")
    if kind == "stream":
        return [f"[{output.get('name')}]", *"".join(output.get("text", "")).splitlines()]
    if kind == "error":
        return [f"[error] {output.get('ename')}: {output.get('evalue')}"]
    data = output.get("data", {})
    lines = []
    for mime in sorted(data):
        value = data[mime]
        if mime == "image/png":
            raw = base64.b64decode("".join(value) if isinstance(value, list) else value)
            width, height = png_size(raw)
            digest = hashlib.sha256(raw).hexdigest()[:12]
            lines.append(f"[image/png {width}x{height} px, sha256 {digest}]")
        elif mime == "text/plain" and "image/png" in data:
            continue  # the <Figure size ...> repr beside a figure
        elif mime.startswith("text/"):
            text = "".join(value) if isinstance(value, list) else value
            lines += [f"[{mime}]", *text.splitlines()]
        else:
            lines.append(f"[{mime}]")
    return lines


def outputs_view(nb, path: Path) -> str:
    """What each code cell printed, cell by cell."""
    lines = [banner(path), ""]
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code" or not cell.get("outputs"):
            continue
        first = next((ln for ln in _source(cell).splitlines() if ln.strip()), "")
        lines.append(f"---- cell {index} [{cell.get('execution_count')}]: {first[:70]}")
        for output in cell["outputs"]:
            lines += output_lines(output)
        lines.append("")
    return "\n".join(line.rstrip() for line in lines).rstrip("\n") + "\n"


def views(path: Path) -> dict[Path, str]:
    """{text file: its content} for one notebook."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    return {
        TEXT_DIR / f"{path.stem}.py": script_view(nb, path),
        TEXT_DIR / f"{path.stem}.outputs.txt": outputs_view(nb, path),
    }


def notebooks() -> list[Path]:
    return sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def orphans() -> list[Path]:
    """Text views whose notebook no longer exists."""
    stems = {p.stem for p in notebooks()}
    found = []
    for file in sorted(TEXT_DIR.glob("*")):
        stem = next((file.name[: -len(s)] for s in SUFFIXES if file.name.endswith(s)), None)
        if stem is None or stem not in stems:
            found.append(file)
    return found


def write(paths: list[Path]) -> list[Path]:
    """Write the views of ``paths``; return the files that changed."""
    TEXT_DIR.mkdir(exist_ok=True)
    changed = []
    for path in paths:
        for file, text in views(path).items():
            if not file.exists() or file.read_text(encoding="utf-8") != text:
                file.write_text(text, encoding="utf-8")
                changed.append(file)
    return changed


def stale() -> list[str]:
    """One message per missing, out-of-date or orphaned view."""
    problems = []
    for path in notebooks():
        for file, text in views(path).items():
            name = file.relative_to(ROOT).as_posix()
            if not file.exists():
                problems.append(f"{name} is missing")
            elif file.read_text(encoding="utf-8") != text:
                problems.append(f"{name} is out of date with notebooks/{path.name}")
    problems += [f"{f.relative_to(ROOT).as_posix()} has no notebook" for f in orphans()]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only report, write nothing")
    args = parser.parse_args(argv)
    if args.check:
        problems = stale()
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("run `make sync`", file=sys.stderr)
        return 1 if problems else 0
    for file in orphans():
        file.unlink()
        print(f"removed {file.relative_to(ROOT)}")
    for file in write(notebooks()):
        print(f"wrote {file.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
