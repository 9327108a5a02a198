"""Case 2: ``gl.segment_softmax`` against PyG ``softmax(src, index)`` and a torch one."""

from __future__ import annotations

import numpy as np

import gnnformer_lite as gl
from benchmarks.harness import normal, si
from benchmarks.report import Row

CASE = "2 segment_softmax"
FULL = {"sm_nodes": 100_000, "sm_edges": 1_000_000, "sm_heads": 4}
QUICK = {"sm_nodes": 5_000, "sm_edges": 50_000, "sm_heads": 4}
TARGET_SOFTMAX = 1.2  # ours / PyG softmax


def run(ctx) -> None:
    N, E, H = ctx.sizes["sm_nodes"], ctx.sizes["sm_edges"], ctx.sizes["sm_heads"]
    ctx.log(f"[{CASE}] E={si(E)} sorted ids into N={si(N)} segments, H={H}, float32")
    rng = np.random.default_rng(2)
    ids = np.sort(rng.integers(0, N, size=E))
    logits = normal(rng, (E, H), np.float32)
    torch_jobs = reference_jobs(ctx, logits, ids, N) if ctx.torch is not None else []
    ours = ctx.phase(
        "numpy",
        CASE,
        [("ours", "gl.segment_softmax float32", lambda: gl.segment_softmax(logits, ids, N))],
    )
    ctx.pause()
    theirs = ctx.phase("torch", CASE, torch_jobs)

    size = f"E={si(E)}, N={si(N)}, H={H}"
    work = 2 * E * H * 4 + (N + 1) * 8  # read logits + offsets, write alpha
    common = {"work": work, "unit": "GB/s", "limit": ctx.limits["bandwidth_GBps"]}
    t, what = ours.get("ours"), "gl.segment_softmax float32"
    pyg = ctx.ref(theirs, "pyg", "pyg")
    ctx.rows.append(
        Row(CASE, what, size, t, "PyG softmax(src, index)", pyg, TARGET_SOFTMAX, **common)
    )
    hand = ctx.ref(theirs, "hand")
    ctx.rows.append(Row(CASE, what, size, t, "torch scatter_reduce/index_add_", hand, **common))


def reference_jobs(ctx, logits, ids, N) -> list:
    to_t, ref = ctx.backends.ref.to_torch, ctx.backends.ref
    src, index = to_t(logits), to_t(ids)
    expected = gl.segment_softmax(logits, ids, N)
    jobs = []
    if ctx.backends.pyg is not None:
        softmax = ctx.backends.pyg.softmax

        def pyg_call():
            return softmax(src, index, num_nodes=N)

        if ctx.check(CASE, "pyg", "PyG softmax", expected, pyg_call, 1e-5, 1e-6):
            jobs.append(("pyg", "torch_geometric.utils.softmax", pyg_call))

    def ref_call():
        return ref.segment_softmax(src, index, N)

    label = "torch_reference.segment_softmax"
    if ctx.check(CASE, "hand", label, expected, ref_call, 1e-5, 1e-6):
        jobs.append(("hand", label, ref_call))
    return jobs
