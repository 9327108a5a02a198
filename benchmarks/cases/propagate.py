"""Case 1: ``gl.propagate`` and ``gl.segment_sum`` against torch ``index_add_``, PyG ``scatter``."""

from __future__ import annotations

import numpy as np

import gnnformer_lite as gl
from benchmarks.harness import normal, random_edges, si
from benchmarks.report import Row

CASE = "1 propagate"
FULL = {"prop_nodes": 100_000, "prop_edges": 1_000_000, "prop_dim": 64}
QUICK = {"prop_nodes": 5_000, "prop_edges": 50_000, "prop_dim": 16}
TARGET_PROPAGATE = 1.3  # ours / torch index_add_ (sorted), at THREADS threads
DTYPES = (np.float32, np.float64)


def run(ctx) -> None:
    N, E, d = ctx.sizes["prop_nodes"], ctx.sizes["prop_edges"], ctx.sizes["prop_dim"]
    ctx.log(f"[{CASE}] N={si(N)} nodes, E={si(E)} random edges, d={d}")
    rng = np.random.default_rng(1)
    senders, receivers = random_edges(rng, N, E)
    g = gl.Graph(senders, receivers, N)
    order = np.argsort(receivers * N + senders, kind="stable")  # the Graph's canonical order
    assert np.array_equal(g.receivers, receivers[order])
    assert np.array_equal(g.senders, senders[order])
    msgs = {}  # dtype -> (messages in random edge order, the same in the graph's order)
    for dtype in DTYPES:
        m_random = normal(rng, (E, d), dtype)
        msgs[dtype] = (m_random, m_random[order])

    torch_jobs = reference_jobs(ctx, g, receivers, msgs) if ctx.torch is not None else []
    f32, f64 = np.float32, np.float64
    ours = ctx.phase(
        "numpy",
        CASE,
        [
            (
                "graph",
                "gl.Graph(senders, receivers, N).indptr",
                lambda: gl.Graph(senders, receivers, N).indptr,
            ),
            ("prop_float32", "gl.propagate float32", lambda: gl.propagate(g, msgs[f32][1])),
            ("prop_float64", "gl.propagate float64", lambda: gl.propagate(g, msgs[f64][1])),
            (
                "segsum_float32",
                "gl.segment_sum unsorted ids float32",
                lambda: gl.segment_sum(msgs[f32][0], receivers, N),
            ),
        ],
    )
    ctx.pause()
    theirs = ctx.phase("torch", CASE, torch_jobs)
    add_rows(ctx, ours, theirs, N, E, d)


def reference_jobs(ctx, g, receivers, msgs) -> list:
    """Checked torch ``index_add_`` (sorted, random order) and PyG ``scatter`` jobs."""
    torch, pyg, to_t = ctx.torch, ctx.backends.pyg, ctx.backends.ref.to_torch
    N, d = g.num_nodes, msgs[np.float32][0].shape[1]
    r_sorted, r_random = to_t(g.receivers), to_t(receivers)
    torch_jobs, pyg_jobs = [], []
    for dtype in DTYPES:
        name = np.dtype(dtype).name
        m_random, m_sorted = (to_t(m) for m in msgs[dtype])
        expected = gl.propagate(g, msgs[dtype][1])
        rtol, atol = (1e-4, 1e-4) if dtype == np.float32 else (1e-10, 1e-10)
        for key, label, idx, m in (
            (f"sorted_{name}", f"torch index_add_ sorted {name}", r_sorted, m_sorted),
            (f"random_{name}", f"torch index_add_ random order {name}", r_random, m_random),
        ):

            def call(idx=idx, m=m):
                return torch.zeros((N, d), dtype=m.dtype).index_add_(0, idx, m)

            if ctx.check(CASE, key, label, expected, call, rtol, atol):
                torch_jobs.append((key, label, call))
        if pyg is not None:
            key, label = f"pyg_{name}", f"PyG scatter(reduce='sum') {name}"

            def call(m=m_sorted):
                return pyg.scatter(m, r_sorted, dim=0, dim_size=N, reduce="sum")

            if ctx.check(CASE, key, label, expected, call, rtol, atol):
                pyg_jobs.append((key, label, call))
        del expected
    return torch_jobs + pyg_jobs


def add_rows(ctx, ours: dict, theirs: dict, N: int, E: int, d: int) -> None:
    size = f"N={si(N)}, E={si(E)}, d={d}"
    bw = ctx.limits["bandwidth_GBps"]
    what = "Graph construction (sort, checks, indptr)"
    ctx.rows.append(Row(CASE, what, f"N={si(N)}, E={si(E)}", ours.get("graph")))
    for dtype in DTYPES:
        name, item = np.dtype(dtype).name, np.dtype(dtype).itemsize
        work = (E * d + N * d) * item + (N + 1) * 8  # read messages + indptr, write output
        common = {"work": work, "unit": "GB/s", "limit": bw}
        t = ours.get(f"prop_{name}")
        refs = (
            ("torch index_add_ (sorted)", f"sorted_{name}", "torch", TARGET_PROPAGATE),
            ("torch index_add_ (random order)", f"random_{name}", "torch", None),
            ("PyG scatter sum (sorted)", f"pyg_{name}", "pyg", None),
        )
        for ref_name, key, needs, target in refs:
            ref = ctx.ref(theirs, key, needs)
            ctx.rows.append(
                Row(CASE, f"gl.propagate {name}", size, t, ref_name, ref, target, **common)
            )
    ctx.rows.append(
        Row(
            CASE,
            "gl.segment_sum, unsorted ids, float32",
            size,
            ours.get("segsum_float32"),
            "torch index_add_ (random order)",
            ctx.ref(theirs, "random_float32"),
            work=(E * d + N * d) * 4 + E * 8,
            unit="GB/s",
            limit=bw,
        )
    )
