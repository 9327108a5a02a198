"""`make practice-test` as a learner meets it: the practice notebooks run, blanks open and filled.

- With the blanks as committed, every blank fails once, with its own NotImplementedError
  (the table at the end says "not written"), and nothing else fails: the cells that need a
  blank are skipped, not a cascade of NameErrors.
- With the solutions put back (``restore_solutions``: the course notebook's code), every cell
  runs and every blank is right.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import make_practice  # noqa: E402  (scripts/make_practice.py)

PRACTICE = sorted((ROOT / "practice").glob("*.ipynb"))


def practice_test(folder: Path) -> tuple[str, dict[str, int]]:
    """Run what `make practice-test` runs on ``folder``: (its output, {outcome: count})."""
    shutil.copy(ROOT / "practice" / "conftest.py", folder / "conftest.py")
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--nbval-lax"]
    command += ["--nbval-current-env", "--nbval-cell-timeout=120", "-q", str(folder)]
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"} | {"PYTHONHASHSEED": "0"}
    run = subprocess.run(command, cwd=folder, capture_output=True, text=True, env=env)
    counts = {k: int(n) for n, k in re.findall(r"(\d+) (passed|failed|skipped|error)", run.stdout)}
    return run.stdout, counts


def blank_count() -> int:
    return sum(
        make_practice.STUB_MARKER in c.source
        for path in PRACTICE
        for c in nbformat.read(path, as_version=4).cells
    )


@pytest.mark.skipif(not PRACTICE, reason="no practice notebooks")
def test_with_the_blanks_each_blank_fails_once_with_its_own_message(tmp_path):
    for path in PRACTICE:
        shutil.copy(path, tmp_path / path.name)
    out, counts = practice_test(tmp_path)
    blanks = blank_count()
    assert counts.get("failed", 0) == blanks, out[-4000:]
    assert "NameError" not in out.split("practice blanks")[0].split("FAILURES")[-1], out[-4000:]
    assert len(re.findall(r"not written", out)) == blanks, out[-4000:]
    assert f"0 of {blanks} blanks right" in out, out[-2000:]


@pytest.mark.skipif(not PRACTICE, reason="no practice notebooks")
def test_with_the_solutions_put_back_every_blank_is_right(tmp_path):
    for path in PRACTICE:
        course = nbformat.read(ROOT / "notebooks" / path.name, as_version=4)
        restored = make_practice.restore_solutions(nbformat.read(path, as_version=4), course)
        nbformat.write(restored, tmp_path / path.name)
    out, counts = practice_test(tmp_path)
    blanks = blank_count()
    assert counts.get("failed", 0) == 0 and counts.get("skipped", 0) == 0, out[-4000:]
    assert f"{blanks} of {blanks} blanks right" in out, out[-2000:]
