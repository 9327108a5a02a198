#!/usr/bin/env python3
"""Write practice/NN_name.ipynb from notebooks/NN_name.ipynb: the practice notebooks.

    python scripts/make_practice.py            # write every practice notebook
    python scripts/make_practice.py --check    # exit 1 if a practice notebook is out of date

One source: a course notebook marks each function the learner should write with one comment
line right above its ``def``::

    # ✎ practice: ...
    def my_segment_softmax(logits, receivers, num_nodes):
        \"\"\"Softmax of per-edge logits over each receiver's incoming edges.\"\"\"
        ...the solution...

The practice notebook is the course notebook with, for every marked function, the body after
the docstring replaced by a stub: what to write and the equation (from the blank's entry in
``gnnformer_lite.practice.BLANKS``) and ``raise NotImplementedError(...)`` naming the cell to
fill in. Outputs and execution counts are cleared, and a first markdown cell lists the blanks.
The solution lives only in the course notebook; ``restore_solutions`` puts it back (the tests
use it to check that a practice notebook with its solutions *is* its course notebook).
Notebooks without a marked function get no practice notebook.
"""

from __future__ import annotations

import argparse
import ast
import copy
import re
import sys
import textwrap
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR, PRACTICE_DIR = ROOT / "notebooks", ROOT / "practice"
MARKER = "# ✎ practice"  # the line above a blank's def in the course notebook
STUB_MARKER = "# ✎ practice: your turn -- write the body of this function, then run the check below"
HEADER_ID = "practice-header"


def blanks_in(source: str) -> list[tuple[str, int, int, int]]:
    """``(function, marker line, first body line, last line)`` of each marked def (0-based)."""
    lines = source.splitlines()
    found = []
    for node in ast.parse(source).body:
        if not isinstance(node, ast.FunctionDef) or node.lineno < 2:
            continue
        if not lines[node.lineno - 2].startswith(MARKER):
            continue
        first = body_start(node)
        if first > node.end_lineno - 1:
            raise ValueError(f"{node.name}: a blank needs a body after its docstring")
        found.append((node.name, node.lineno - 2, first, node.end_lineno - 1))
    return found


def body_start(node: ast.FunctionDef) -> int:
    """The 0-based line after a blank's docstring: where its body, comments included, starts."""
    first = node.body[0]
    if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)):
        raise ValueError(f"{node.name}: a blank needs a docstring (what the function returns)")
    return first.end_lineno


def stub(function: str, blank: dict, section: str, practice_name: str, indent: str) -> list[str]:
    """The lines that replace a blank's body in the practice notebook."""
    wrap = textwrap.TextWrapper(width=96, subsequent_indent="#   ")
    lines = wrap.wrap(f"# Write: {blank['task']}.")
    lines += textwrap.TextWrapper(width=96, subsequent_indent="#   ").wrap(
        f"# Equation: {blank['equation']}"
    )
    message = (
        f"{function} is yours to write: fill in its body in the cell under '{section}' "
        f"({practice_name}), run that cell, then the check below it"
    )
    pieces = textwrap.wrap(message, width=84, drop_whitespace=False)
    literals = ['    "' + p.replace("\\", "\\\\").replace('"', '\\"') + '"' for p in pieces]
    lines += ["raise NotImplementedError(", *literals, ")"]
    return [indent + line for line in lines]


def section_titles(nb) -> list[str]:
    """For every cell, the last markdown heading at or above it ("" before the first)."""
    titles, current = [], ""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            heads = re.findall(r"^#{1,4} (.+)$", cell.source, flags=re.MULTILINE)
            current = heads[-1].strip() if heads else current
        titles.append(current)
    return titles


def check_layout(nb, name: str) -> None:
    """A blank's cell holds only functions; the next code cell is its check, alone."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    for cell, after in zip(code, code[1:] + [None], strict=True):
        found = blanks_in(cell.source)
        if not found:
            continue
        tree = ast.parse(cell.source)
        if not all(isinstance(node, ast.FunctionDef) for node in tree.body):
            raise ValueError(f"{name}: the cell of {found[0][0]} must hold only functions")
        for function, *_ in found:
            call = f"gl.practice.check_{function.removeprefix('my_')}({function})"
            if after is None or after.source.strip().split("#")[0].strip() != call:
                raise ValueError(f"{name}: the code cell after {function} must be `{call}` alone")


def make_practice(nb, practice_name: str, registry: dict) -> tuple[object, list[str]]:
    """``(practice notebook, [blank functions])`` of a course notebook (None: it has no blank)."""
    check_layout(nb, practice_name)
    out = copy.deepcopy(nb)
    titles, names = section_titles(nb), []
    for cell, title in zip(out.cells, titles, strict=True):
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            found = blanks_in(cell.source)
            lines = cell.source.splitlines()
            for function, marker, first, last in reversed(found):
                if function not in registry:
                    raise KeyError(f"{function} is marked as a blank but not in practice.BLANKS")
                body = [line for line in lines[first : last + 1] if line.strip()]
                indent = re.match(r"\s*", body[0]).group(0)  # the body's own indent
                lines[first : last + 1] = stub(
                    function, registry[function], title, practice_name, indent
                )
                lines[marker] = STUB_MARKER
            names += [function for function, *_ in found]
            if found:
                cell.source = "\n".join(lines)
    if not names:
        return None, []
    out.cells.insert(0, header(nb, names, registry))
    return out, names


def header(nb, names: list[str], registry: dict):
    """The first cell of a practice notebook: what to do, and the list of blanks."""
    title = next(c for c in nb.cells if c.cell_type == "markdown").source.splitlines()[0]
    title = title.lstrip("# ").strip()
    items = "\n".join(
        f"- `{f}`: {registry[f]['task']} -- checked by `gl.practice.check_{f.removeprefix('my_')}`"
        for f in names
    )
    text = (
        f"# Practice · {title}\n\n"
        f"This is the course notebook with **{len(names)} function{'s' * (len(names) > 1)} for "
        f"you to write**. Each "
        f"one's body is replaced by what to write, its equation and a `NotImplementedError`; "
        f"the cell after it runs a check that compares your function with `gnnformer_lite` on "
        f"small and awkward inputs and, when they differ, **names the likely mistake**.\n\n"
        f"{items}\n\n"
        "Work top to bottom: fill in a function, run its cell, run the check. A later cell "
        "that needs a blank you have not written stops with that blank's `NotImplementedError`. "
        "To check the whole notebook at once: `make practice-test` (see the README). The "
        "solutions are the course notebook's cells of the same name."
    )
    cell = nbformat.v4.new_markdown_cell(text)
    cell.id = HEADER_ID
    return cell


def restore_solutions(practice_nb, course_nb):
    """The practice notebook with every blank's body taken from the course notebook again."""
    solutions = {}
    for cell in course_nb.cells:
        if cell.cell_type == "code":
            lines = cell.source.splitlines()
            for function, marker, first, last in blanks_in(cell.source):
                solutions[function] = (lines[marker], lines[first : last + 1])
    out = copy.deepcopy(practice_nb)
    out.cells = [c for c in out.cells if c.get("id") != HEADER_ID]
    for cell in out.cells:
        if cell.cell_type != "code" or STUB_MARKER not in cell.source:
            continue
        lines = cell.source.splitlines()
        tree = ast.parse(cell.source)
        for node in reversed(tree.body):
            if isinstance(node, ast.FunctionDef) and node.name in solutions:
                marker_line, body = solutions[node.name]
                lines[body_start(node) : node.end_lineno] = body
                lines[node.lineno - 2] = marker_line
        cell.source = "\n".join(lines)
    return out


def practice_notebooks() -> dict[Path, object]:
    """``{practice path: notebook}`` for every course notebook with a blank."""
    sys.path.insert(0, str(ROOT))
    from gnnformer_lite.practice import BLANKS

    written = {}
    for path in sorted(NOTEBOOK_DIR.glob("*.ipynb")):
        target = PRACTICE_DIR / path.name
        nb, _ = make_practice(nbformat.read(path, as_version=4), f"practice/{path.name}", BLANKS)
        if nb is not None:
            written[target] = nb
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only check they are up to date")
    args = parser.parse_args(argv)
    wanted = {path: nbformat.writes(nb) + "\n" for path, nb in practice_notebooks().items()}
    stale = [p for p, text in wanted.items() if not p.exists() or p.read_text("utf-8") != text]
    extra = [p for p in PRACTICE_DIR.glob("*.ipynb") if p not in wanted]
    if args.check:
        for p in stale + extra:
            print(f"out of date: {p.relative_to(ROOT)} (run `make practice`)")
        return 1 if stale or extra else 0
    PRACTICE_DIR.mkdir(exist_ok=True)
    for p in stale:
        p.write_text(wanted[p], encoding="utf-8")
        print(f"wrote {p.relative_to(ROOT)}")
    for p in extra:
        p.unlink()
        print(f"removed {p.relative_to(ROOT)} (its notebook has no blank)")
    print(f"{len(wanted)} practice notebook(s), {len(stale)} written, {len(extra)} removed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
