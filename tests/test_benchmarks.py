"""The benchmark harness (benchmarks/run.py) still runs, without torch, and writes its table.

A smoke test so the harness cannot rot: quick sizes, one repetition, torch and
PyTorch Geometric made unimportable, a few seconds in all.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

RUN_PY = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"


@pytest.fixture
def bench(monkeypatch):
    """benchmarks/run.py imported as a module, with ``import torch`` failing as if not installed."""
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.setitem(sys.modules, "torch_geometric", None)
    spec = importlib.util.spec_from_file_location("gl_bench_run", RUN_PY)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


def test_backends_report_not_installed(bench):
    backends = bench.load_backends()
    assert backends.torch is None and backends.pyg is None
    assert backends.torch_status == backends.pyg_status == "not installed"


def test_quick_run_without_torch_writes_the_table(bench, tmp_path):
    log = []
    argv = ["--quick", "--no-torch", "--reps", "1", "--cases", "propagate,softmax,window"]
    status = bench.main([*argv, "--out", str(tmp_path)], log=log.append)
    assert status == 0, "\n".join(line for line in log if line.startswith("***"))

    md = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert "| 1 propagate | gl.propagate float32 |" in md
    assert "| 2 segment_softmax | gl.segment_softmax float32 |" in md
    assert "| torch index_add_ (sorted) | not installed |" in md
    assert "## Sparse window attention vs sentence length" in md
    assert (tmp_path / "window_attention.png").read_bytes().startswith(b"\x89PNG")

    data = json.loads((tmp_path / "results.json").read_text())
    assert data["failures"] == []
    assert data["meta"]["machine"]["torch"] == "not installed"
    rows = data["rows"]
    assert {r["case"] for r in rows} == {"1 propagate", "2 segment_softmax", "4 window attention"}
    timed = [r for r in rows if r["kind"] == "time"]
    assert all(r["ours"]["median"] > 0 for r in timed)
    compared = [r for r in timed if r["ref_name"] != "—"]
    assert compared and all(r["ref"] == "not installed" and r["ratio"] is None for r in compared)
    assert all(r["met"] is None for r in compared)  # no verdict without a reference
    assert data["window"]["curves"]["sparse"]["slope"] is not None
    assert any("gl.segment_softmax" in line for line in log)  # progress is printed
