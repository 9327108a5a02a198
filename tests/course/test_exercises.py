"""The notebooks' exercises, done the way a reader does them, checked against the folded answers.

Every ``[[edit]]`` table of ``tests/course/exercises/NN_name.toml`` (one file per notebook) is
one substitution a reader makes:
in the code cell that contains ``cell`` (default: ``find``), replace the text ``find`` by
``replace``. All edits of one (notebook, exercise) are applied together, the edited notebook
runs top to bottom in a fresh kernel (cwd = notebooks/, as ``scripts/run_notebooks.py`` runs
it), and then

* ``expect = [{cell = "...", output = "..."}, ...]``: the outputs of the code cell that
  contains ``cell`` (in the edited notebook) contain ``output`` — the value the answer gives;
* ``fails = [{cell = "...", error = "AssertionError"}, ...]``: exactly these cells raise, with
  these errors (the answer says which later cells break); every other cell runs, and nothing
  is printed on stderr.

Keys may be spread over the tables of one exercise; ``expect`` and ``fails`` lists are joined.
A table may carry only ``expect`` / ``fails`` (no ``find``). Keep the edits literal: they are the
edits the exercise text asks for.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
EDITS = Path(__file__).with_name("exercises")  # one NN_name.toml per notebook
CELL_TIMEOUT = 120  # seconds, as scripts/run_notebooks.py


def load_exercises() -> dict[tuple[str, str], list[dict]]:
    """``{(notebook, exercise): [edit, ...]}`` in file order, notebook by notebook."""
    grouped = defaultdict(list)
    for path in sorted(EDITS.glob("*.toml")):
        with open(path, "rb") as fh:
            for table in tomllib.load(fh)["edit"]:
                grouped[(table["notebook"], str(table["exercise"]))].append(table)
    return dict(grouped)


EXERCISES = load_exercises()


def code_cell(cells, snippet: str, where: str) -> int:
    """The index of the one code cell whose source contains ``snippet``."""
    found = [k for k, c in enumerate(cells) if c.cell_type == "code" and snippet in c.source]
    assert len(found) == 1, f"{where}: {snippet!r} is in {len(found)} code cells, not exactly 1"
    return found[0]


def apply_edits(nb, edits: list[dict], name: str) -> None:
    for edit in edits:
        if "find" not in edit:
            continue  # a table that only adds expectations
        find, replace = edit["find"], edit["replace"]
        cell = nb.cells[code_cell(nb.cells, edit.get("cell", find), name)]
        count = cell.source.count(find)
        assert count == 1, f"{name}: {find!r} occurs {count} times in its cell, not once"
        cell.source = cell.source.replace(find, replace)


def outputs_text(cell) -> str:
    """Everything a cell printed or displayed as text, errors included."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append("".join(out["text"]))
        elif out.get("output_type") == "error":
            parts.append(f"{out['ename']}: {out['evalue']}")
        elif "text/plain" in out.get("data", {}):
            parts.append("".join(out["data"]["text/plain"]))
    return "".join(parts)


def errors_of(cell) -> list[str]:
    return [o["ename"] for o in cell.get("outputs", []) if o.get("output_type") == "error"]


def stderr_of(cell) -> str:
    outs = cell.get("outputs", [])
    return "".join("".join(o["text"]) for o in outs if o.get("name") == "stderr")


def execute(nb):
    from nbclient import NotebookClient

    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
        allow_errors=True,  # run every cell: the answer may say that some of them fail
    )
    client.execute()


@pytest.fixture
def kernel_env(monkeypatch):
    """The kernel's environment of scripts/run_notebooks.py: deterministic, inline backend."""
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    monkeypatch.delenv("MPLBACKEND", raising=False)
    monkeypatch.setenv("JUPYTER_PREFER_ENV_PATH", "1")
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")


def test_every_exercise_edit_names_an_existing_notebook():
    names = {nb for nb, _ in EXERCISES}
    assert names, "tests/course/exercises/ has no [[edit]] table"
    missing = sorted(n for n in names if not (NOTEBOOKS / n).is_file())
    assert missing == []


@pytest.mark.parametrize(
    ("notebook", "exercise"),
    [pytest.param(nb, ex, id=f"{nb.split('_')[0]}-exercise-{ex}") for nb, ex in EXERCISES],
)
def test_exercise_edit_gives_the_folded_answer(notebook, exercise, kernel_env):
    import nbformat

    name = f"{notebook} exercise {exercise}"
    edits = EXERCISES[(notebook, exercise)]
    nb = nbformat.read(NOTEBOOKS / notebook, as_version=4)
    apply_edits(nb, edits, name)
    execute(nb)

    expected_failures = {}
    for fail in (f for e in edits for f in e.get("fails", [])):
        expected_failures[code_cell(nb.cells, fail["cell"], name)] = fail["error"]
    for k, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        head = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
        want = [expected_failures[k]] if k in expected_failures else []
        assert errors_of(cell) == want, (
            f"{name}: cell {k} ({head!r}) raised {errors_of(cell)}, the answer says {want}:\n"
            f"{outputs_text(cell)[-1500:]}"
        )
        assert stderr_of(cell) == "", f"{name}: cell {k} ({head!r}) wrote to stderr"

    expectations = [x for e in edits for x in e.get("expect", [])]
    assert expectations or expected_failures, f"{name}: the edit checks nothing"
    for x in expectations:
        cell = nb.cells[code_cell(nb.cells, x["cell"], name)]
        text = outputs_text(cell)
        assert x["output"] in text, (
            f"{name}: the answer says the cell containing {x['cell']!r} prints "
            f"{x['output']!r}; it printed:\n{text}"
        )
