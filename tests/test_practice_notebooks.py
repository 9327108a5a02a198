"""The practice notebooks: one source, up to date, each blank's stub fails with its message.

``scripts/make_practice.py`` writes practice/NN_name.ipynb from the course notebook; these
tests check what a learner relies on without executing a notebook (``make test-course`` runs
them: tests/course/test_practice_runs.py):

- the committed practice notebooks are what ``make practice`` writes today;
- a practice notebook with its solutions put back *is* its course notebook, cell for cell
  (so it passes wherever the course notebook passes: strict nbval in ``make test``);
- every blank has a check, and the stub a learner starts from makes that check raise its
  NotImplementedError with the message that names the cell to fill in.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import gnnformer_lite as gl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import make_practice  # noqa: E402  (scripts/make_practice.py)

PRACTICE = sorted((ROOT / "practice").glob("*.ipynb"))


def course_of(path: Path) -> Path:
    return ROOT / "notebooks" / path.name


def stubs(nb) -> dict[str, str]:
    """``{function: source of its def}`` for every blank of a practice notebook."""
    found = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and make_practice.STUB_MARKER in cell.source:
            for node in ast.parse(cell.source).body:
                if isinstance(node, ast.FunctionDef):
                    found[node.name] = ast.get_source_segment(cell.source, node)
    return found


def test_the_practice_notebooks_are_up_to_date():
    run = subprocess.run(
        [sys.executable, "scripts/make_practice.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, f"run `make practice`:\n{run.stdout}{run.stderr}"


def test_there_are_at_least_25_blanks_and_each_has_a_check():
    blanks = [f for path in PRACTICE for f in stubs(nbformat.read(path, as_version=4))]
    assert len(blanks) >= 25, f"{len(blanks)} blanks in practice/: {blanks}"
    assert len(set(blanks)) == len(blanks), "a blank's function is defined in two notebooks"
    assert sorted(blanks) == sorted(gl.practice.BLANKS), "BLANKS and the notebooks disagree"
    for function in blanks:
        assert callable(getattr(gl.practice, f"check_{function.removeprefix('my_')}"))


@pytest.mark.parametrize("path", PRACTICE, ids=lambda p: p.stem)
def test_with_its_solutions_put_back_a_practice_notebook_is_its_course_notebook(path):
    practice = nbformat.read(path, as_version=4)
    course = nbformat.read(course_of(path), as_version=4)
    restored = make_practice.restore_solutions(practice, course)
    assert [c.source for c in restored.cells] == [c.source for c in course.cells]
    assert [c.get("id") for c in restored.cells] == [c.get("id") for c in course.cells]
    code = [c for c in practice.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "outputs left"


@pytest.mark.parametrize("path", PRACTICE, ids=lambda p: p.stem)
def test_each_stub_makes_its_check_fail_with_its_own_message(path):
    for function, source in stubs(nbformat.read(path, as_version=4)).items():
        namespace: dict = {"gl": gl}
        exec(source, namespace)  # the learner's starting point: the stub as written
        check = getattr(gl.practice, f"check_{function.removeprefix('my_')}")
        with pytest.raises(NotImplementedError, match=f"^{function} is yours to write"):
            check(namespace[function])
