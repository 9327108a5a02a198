"""The benchmarks (benchmarks/run.py and its harness, cases, report) run without torch.

A smoke test so the harness cannot rot: quick sizes, one repetition, torch and
PyTorch Geometric made unimportable, a few seconds in all.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def bench(monkeypatch):
    """benchmarks/run.py imported as a module, with ``import torch`` failing as if not installed."""
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.setitem(sys.modules, "torch_geometric", None)
    monkeypatch.syspath_prepend(str(ROOT))
    return importlib.import_module("benchmarks.run")


def test_backends_report_not_installed(bench):
    backends = bench.load_backends()
    assert backends.torch is None and backends.pyg is None
    assert backends.torch_status == backends.pyg_status == "not installed"


def test_quick_run_without_torch_writes_the_table(bench, tmp_path):
    log = []
    cases = "propagate,softmax,window,course,training"
    argv = ["--quick", "--no-torch", "--reps", "1", "--cases", cases]
    status = bench.main([*argv, "--out", str(tmp_path)], log=log.append)
    assert status == 0, "\n".join(line for line in log if line.startswith("***"))

    md = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert "| 1 propagate | gl.propagate float32 |" in md
    assert "| 2 segment_softmax | gl.segment_softmax float32 |" in md
    assert "| torch index_add_ (sorted) | not installed |" in md
    assert "## Sparse window attention vs sentence length" in md
    assert (tmp_path / "window_attention.png").read_bytes().startswith(b"\x89PNG")
    assert "## Course sizes: the package against the textbook lines" in md
    assert "| karate club | gl.gat_layer |" in md
    assert "## One training step of every course model" in md
    assert "| node classifier, karate club (02, 07) | 34 nodes, 156 edges," in md
    assert "| Graph Transformer, pre-LN (09) | 20 graphs," in md

    data = json.loads((tmp_path / "results.json").read_text())
    cpu = data["meta"]["machine"]["cpu"]
    assert cpu and f"on {cpu}." in md and f"- CPU: {cpu}," in md  # the report names the CPU
    assert data["failures"] == []
    assert data["meta"]["machine"]["torch"] == "not installed"
    rows = data["rows"]
    assert {r["case"] for r in rows} == {
        "1 propagate",
        "2 segment_softmax",
        "4 window attention",
        "7 training steps",
    }
    assert sum(r["table"] == "training" for r in rows) == 7  # one row per course model
    timed = [r for r in rows if r["kind"] == "time"]
    assert all(r["ours"]["median"] > 0 for r in timed)
    compared = [r for r in timed if r["ref_name"] != "—"]
    assert compared and all(r["ref"] == "not installed" and r["ratio"] is None for r in compared)
    assert all(r["met"] is None for r in compared)  # no verdict without a reference
    assert data["window"]["curves"]["sparse"]["slope"] is not None
    assert any("gl.segment_softmax" in line for line in log)  # progress is printed

    course = data["course"]
    assert {r["example"] for r in course} >= {"10-word sentence", "karate club", "window graph"}
    for r in course:  # every row was checked against its textbook lines, then timed
        assert r["textbook"]["median"] > 0 and r["package"]["median"] > 0, r
        assert r["met"] is not None
        assert r["extra_s"] == pytest.approx(r["package"]["median"] - r["textbook"]["median"])


@pytest.mark.parametrize(
    ("textbook_us", "package_us", "met"),
    [
        (100.0, 119.0, True),  # within 1.2x
        (100.0, 125.0, False),  # 1.25x and 25 us more
        (5.0, 19.0, True),  # 3.8x, but only 14 us more
        (5.0, 21.0, False),  # 4.2x and 16 us more
        (50.0, 40.0, True),  # faster than the textbook
    ],
)
def test_course_target_is_ratio_or_microseconds(monkeypatch, textbook_us, package_us, met):
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks.harness import Timing
    from benchmarks.report import CourseRow

    def timing(us):
        return Timing(us * 1e-6, us * 1e-6, [us * 1e-6], [1])

    row = CourseRow("x", "gl.f", "n=1", timing(textbook_us), timing(package_us))
    assert row.met() is met
    assert row.cells()[-1] == ("yes" if met else "**no**")
    assert CourseRow("x", "gl.f", "n=1", "output mismatch", timing(1.0)).met() is None


def test_benchmark_files_stay_small():
    """The harness, the cases and the report: no file over 400 lines, no function over 60."""
    import ast

    for path in sorted((ROOT / "benchmarks").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert text.count("\n") < 400, path
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef):
                assert node.end_lineno - node.lineno < 60, (path, node.name)


def test_quick_leaves_out_the_notebooks_unless_asked(bench):
    assert "notebooks" not in bench.parse_args(["--quick"]).cases
    assert "notebooks" in bench.parse_args([]).cases
    assert bench.parse_args(["--quick", "--cases", "notebooks"]).cases == ["notebooks"]


def test_notebook_times_come_from_the_cell_metadata(bench):
    import nbformat

    from benchmarks.cases import notebooks

    def cell(source, start, end):
        execution = {"iopub.execute_input": start, "shell.execute_reply": end}
        return nbformat.v4.new_code_cell(source, metadata={"execution": execution})

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        cell("# a comment\ntrain()", "2026-01-01T00:00:01.000Z", "2026-01-01T00:00:03.500Z"),
        cell("x = 1", "2026-01-01T00:00:04.000Z", "2026-01-01T00:00:04.250Z"),
        nbformat.v4.new_code_cell("never run"),
        nbformat.v4.new_markdown_cell("text"),
    ]
    assert notebooks.cell_times(nb) == [(2.5, "train()"), (0.25, "x = 1")]
    row = {"notebook": "07_x", "cells_s": 2.75, "wall_s": 4.0, "others": 0.0,
           "slowest_cell": {"seconds": 2.5, "first_line": "train()"}}  # fmt: skip
    table = notebooks.table([row, {"notebook": "09_y", "error": "CellExecutionError"}])
    assert "| 07_x | 2.8 s | 4.0 s | 2.5 s: `train()` |" in table
    assert "| 09_y | error (CellExecutionError) |" in table
    assert "| **all 1** | **2.8 s** | 4.0 s |" in table
    assert "**missed**" in notebooks.section([row, {"notebook": "09_y", "error": "E"}], {
        "cpu": "x", "usable_cpus": 2})[-1]  # fmt: skip
