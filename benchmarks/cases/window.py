"""Case 4: sparse window attention vs sentence length, against torch gather/scatter and SDPA."""

from __future__ import annotations

import numpy as np

import gnnformer_lite as gl
from benchmarks.harness import NOT_INSTALLED, Timing, fmt_timing, normal
from benchmarks.report import Row

CASE = "4 window attention"
FULL = {"window_ns": (16, 64, 256, 1024, 4096)}
QUICK = {"window_ns": (16, 64, 256, 1024)}
RADIUS, HEADS, D_HEAD = 4, 4, 16
SLOPE_MIN_N = 256  # log-log slopes are fitted over n >= this
TARGET_WINDOW = 1.5  # ours / torch gather/scatter at the largest n
TARGET_WINDOW_SLOPE = 1.15
CURVES = (  # key, label (also the plot legend), library
    ("sparse", "gl.graph_attention (sparse)", "numpy"),
    ("dense", "gl.scaled_dot_product_attention + mask (dense)", "numpy"),
    ("torch_dense", "torch SDPA + bool attn_mask (dense)", "torch"),
    ("torch_sparse", "torch gather/scatter (torch_reference.py)", "torch"),
)


def run(ctx) -> None:
    ns = ctx.sizes["window_ns"]
    ctx.log(f"[{CASE}] radius {RADIUS}, self loops, H={HEADS}, d_head={D_HEAD}, float32, n = {ns}")
    rng = np.random.default_rng(4)
    data, ours_jobs = {}, []
    for n in ns:
        g = gl.window_graph(n, RADIUS)
        q, k, v = (normal(rng, (n, HEADS, D_HEAD), np.float32) for _ in range(3))
        mask = g.adjacency(np.float32) > 0
        data[n] = (g, q, k, v, mask)
        ours_jobs.append(
            (
                f"sparse_{n}",
                f"gl.graph_attention n={n}",
                lambda g=g, q=q, k=k, v=v: gl.graph_attention(q, k, v, g),
            )
        )
        ours_jobs.append(
            (
                f"dense_{n}",
                f"gl.scaled_dot_product_attention masked n={n}",
                lambda q=q, k=k, v=v, mask=mask: gl.scaled_dot_product_attention(
                    q, k, v, mask=mask
                ),
            )
        )
    torch_jobs = []
    if ctx.torch is not None:
        for n in ns:
            torch_jobs += reference_jobs(ctx, n, *data[n])
    ours = ctx.phase("numpy", CASE, ours_jobs)
    ctx.pause()
    theirs = ctx.phase("torch", CASE, torch_jobs)
    ctx.window = curves(ctx, ours | theirs, ns, [data[n][0].num_edges for n in ns])
    add_rows(ctx, ours, theirs, data[ns[-1]][0])


def reference_jobs(ctx, n, g, q, k, v, mask) -> list:
    """Checked torch gather/scatter and torch SDPA + boolean mask jobs for one length ``n``."""
    sdpa = ctx.torch.nn.functional.scaled_dot_product_attention
    ref, to_t = ctx.backends.ref, ctx.backends.ref.to_torch
    out, alpha = gl.graph_attention(q, k, v, g)
    dense_out, _ = gl.scaled_dot_product_attention(q, k, v, mask=mask)
    if not np.allclose(out, dense_out, rtol=1e-4, atol=1e-5):
        ctx.fail(f"{CASE}: gl.graph_attention != gl.scaled_dot_product_attention(mask) n={n}")
    qt, kt, vt = (to_t(x) for x in (q, k, v))
    s_t, r_t = to_t(g.senders), to_t(g.receivers)
    jobs = []

    def sparse_call():
        return ref.graph_attention(qt, kt, vt, s_t, r_t, n)

    def sparse_both():  # check out and alpha together
        o, a = sparse_call()
        return np.concatenate([o.numpy().ravel(), a.numpy().ravel()])

    key, label = f"torch_sparse_{n}", f"torch gather/scatter n={n}"
    ours_both = np.concatenate([out.ravel(), alpha.ravel()])
    if ctx.check(CASE, key, label, ours_both, sparse_both, 1e-4, 1e-5):
        jobs.append((key, label, sparse_call))
    qh, kh, vh = (to_t(np.moveaxis(x, 1, 0)[None]) for x in (q, k, v))  # (1, H, n, d)
    mask_t = to_t(mask)

    def dense_call():
        return sdpa(qh, kh, vh, attn_mask=mask_t)

    key, label = f"torch_dense_{n}", f"torch SDPA + bool mask n={n}"
    if ctx.check(CASE, key, label, np.moveaxis(out, 1, 0)[None], dense_call, 1e-4, 1e-5):
        jobs.append((key, label, dense_call))
    return jobs


def loglog_slope(ns, times) -> float | None:
    pts = [(n, t) for n, t in zip(ns, times, strict=True) if n >= SLOPE_MIN_N and t is not None]
    if len(pts) < 2:
        return None
    x, y = np.log([p[0] for p in pts]), np.log([p[1] for p in pts])
    return float(np.polyfit(x, y, 1)[0])


def curves(ctx, results: dict, ns, edges) -> dict:
    """Time vs n of each curve, with its log-log slope: ``ctx.window`` for the report."""
    found = {}
    for key, label, library in CURVES:
        timings = [ctx.ref(results, f"{key}_{n}") for n in ns]
        times = [t.median if isinstance(t, Timing) else None for t in timings]
        found[key] = {
            "label": label,
            "library": library,
            "times": times,
            "cells": [fmt_timing(t) if isinstance(t, Timing) else t for t in timings],
            "slope": loglog_slope(ns, times),
        }
    return {
        "ns": list(ns),
        "edges": edges,
        "curves": found,
        "slope_min_n": SLOPE_MIN_N,
        "radius": RADIUS,
        "heads": HEADS,
        "d_head": D_HEAD,
    }


def add_rows(ctx, ours: dict, theirs: dict, g) -> None:
    n, H, dh = g.num_nodes, HEADS, D_HEAD
    work = 4 * n * H * dh * 4 + g.num_edges * (H * 4 + 8) + (n + 1) * 8  # q, k, v, out, alpha
    size = f"n={n}, E={g.num_edges}, H={H}, d={dh}"
    sparse = ours.get(f"sparse_{n}")
    common = {"work": work, "unit": "GB/s", "limit": ctx.limits["bandwidth_GBps"]}
    for label, key, target in (
        ("torch gather/scatter", "torch_sparse", TARGET_WINDOW),
        ("torch SDPA + bool mask (dense)", "torch_dense", None),
    ):
        reference = ctx.ref(theirs, f"{key}_{n}")
        what = "gl.graph_attention float32"
        ctx.rows.append(Row(CASE, what, size, sparse, label, reference, target, **common))
    curves = ctx.window["curves"]
    ref_slope = curves["torch_sparse"]["slope"]
    ctx.rows.append(
        Row(
            CASE,
            "gl.graph_attention: log-log slope of time vs n",
            f"n = {', '.join(str(m) for m in ctx.window['ns'] if m >= SLOPE_MIN_N)}",
            curves["sparse"]["slope"],
            "torch gather/scatter",
            ref_slope if ref_slope is not None else NOT_INSTALLED if ctx.torch is None else "—",
            TARGET_WINDOW_SLOPE,
            kind="slope",
        )
    )
