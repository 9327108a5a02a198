"""The figure of the report: window attention, time vs sentence length, log-log."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks import THREADS


def window_title(window: dict) -> str:
    return (
        f"radius {window['radius']} with self loops, {window['heads']} heads × "
        f"{window['d_head']}, float32"
    )


def plot_window(window: dict, path: Path) -> None:
    from matplotlib.figure import Figure  # no pyplot: no global backend or figure state
    from matplotlib.ticker import NullLocator

    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.add_subplot()
    styles = {"sparse": "o-", "dense": "s-", "torch_dense": "s--", "torch_sparse": "o--"}
    ns = np.array(window["ns"])
    for key, c in window["curves"].items():
        pts = [(n, t) for n, t in zip(ns, c["times"], strict=True) if t is not None]
        if not pts:
            continue
        slope = "" if c["slope"] is None else f" (slope {c['slope']:.2f})"
        ax.plot(*zip(*pts, strict=True), styles[key], label=c["label"] + slope)
    ax.set_xscale("log", base=2)
    ax.set_xticks(ns, [str(n) for n in ns])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_yscale("log")
    ax.set_xlabel("sentence length n (words)")
    ax.set_ylabel("time per call (s)")
    ax.set_title(
        f"Window attention ({window_title(window).replace('×', 'x')}, {THREADS} threads)",
        fontsize=10,
    )
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=100)
