"""`make practice-test`: the practice notebooks under nbval (lax), and one line per blank.

nbval runs every cell of a practice notebook and fails a cell that raises (``--nbval-lax``:
outputs are not compared, since yours differ). This plugin adds two things:

- a cell whose error is only the consequence of a blank not written yet (its
  ``NotImplementedError`` again, or a ``NameError`` for a value that blank's cell never
  made) is reported as *skipped*, naming the blank, instead of failing: one blank left
  open is one failure, its own, not a cascade;
- at the end, a table: every blank (the cell ``gl.practice.check_<blank>(my_<blank>)``)
  as passed, wrong (with the check's first line: the likely mistake) or not written.
"""

from __future__ import annotations

import re

import pytest

CHECK = re.compile(r"gl\.practice\.check_(\w+)\(")
RESULTS: list[tuple[str, str, str, str]] = []  # (notebook, blank, status, detail)
OPEN: dict[str, list[str]] = {}  # notebook -> blanks not written yet (or wrong) so far
CASCADE = ("NameError", "NotImplementedError")  # what a cell after an open blank raises


def _error(item) -> dict | None:
    outputs = getattr(item, "test_outputs", None) or []
    return next((o for o in outputs if o.get("output_type") == "error"), None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if call.when != "call" or not hasattr(item, "cell"):
        return report
    notebook, error = item.path.name, _error(item)
    check = CHECK.search(item.cell.source)
    open_blanks = OPEN.setdefault(notebook, [])
    if check:
        blank = check.group(1)
        if error is None:
            RESULTS.append((notebook, blank, "passed", ""))
        elif error["ename"] == "NotImplementedError":
            open_blanks.append(blank)
            RESULTS.append((notebook, blank, "not written", ""))
        else:
            open_blanks.append(blank)
            first = str(error["evalue"]).splitlines()[1:2] or [str(error["evalue"])]
            RESULTS.append((notebook, blank, "wrong", first[0]))
    elif error is not None and open_blanks and error["ename"] in CASCADE:
        report.outcome = "skipped"
        names = ", ".join(f"my_{b}" for b in open_blanks)
        report.longrepr = (str(item.path), None, f"needs {names}, not right yet")
    return report


def pytest_terminal_summary(terminalreporter):
    if not RESULTS:
        return
    tr = terminalreporter
    tr.section("practice blanks")
    marks = {"passed": "✔", "wrong": "✘", "not written": "·"}
    for notebook, blank, status, detail in RESULTS:
        line = f"{marks[status]} {notebook:32} my_{blank:24} {status}"
        tr.line(f"{line}: {detail}" if detail else line)
    done = sum(status == "passed" for *_, status, _ in RESULTS)
    tr.line(f"{done} of {len(RESULTS)} blanks right")
