"""Case 3: dense ``gl.scaled_dot_product_attention`` against torch's fused SDPA."""

from __future__ import annotations

import math

import numpy as np

import gnnformer_lite as gl
from benchmarks.harness import normal
from benchmarks.report import Row

CASE = "3 dense attention"
FULL = {"dense_batch": 64, "dense_batch_words": 32, "dense_long": 2048}
QUICK = {"dense_batch": 8, "dense_batch_words": 32, "dense_long": 256}
TARGET_DENSE_BATCH = 1.5  # ours / torch SDPA
TARGET_DENSE_LONG = 1.7


def configs(sizes: dict) -> list:
    """(key, description, batch shape, n, H, d_head, target) of each row."""
    B, n_b, n_long = sizes["dense_batch"], sizes["dense_batch_words"], sizes["dense_long"]
    return [
        (
            "batch",
            f"batch of {B} x {n_b} words, 4 heads x 16",
            (B,),
            n_b,
            4,
            16,
            TARGET_DENSE_BATCH,
        ),
        ("long1", f"{n_long} words, 1 head x 64", (), n_long, 1, 64, TARGET_DENSE_LONG),
        ("long4", f"{n_long} words, 4 heads x 16", (), n_long, 4, 16, TARGET_DENSE_LONG),
    ]


def run(ctx) -> None:
    B, n_b = ctx.sizes["dense_batch"], ctx.sizes["dense_batch_words"]
    n_long = ctx.sizes["dense_long"]
    ctx.log(f"[{CASE}] batch {B}x{n_b} words (4 heads of 16), {n_long} words (1x64, 4x16)")
    rng = np.random.default_rng(3)
    rows = configs(ctx.sizes)
    inputs = {}
    for key, _, batch, n, H, dh, _ in rows:
        inputs[key] = [normal(rng, (*batch, n, H, dh), np.float32) for _ in range(3)]
    torch_jobs = reference_jobs(ctx, inputs) if ctx.torch is not None else []
    ours = ctx.phase(
        "numpy",
        CASE,
        [
            (
                key,
                f"gl.scaled_dot_product_attention {key}",
                lambda x=inputs[key]: gl.scaled_dot_product_attention(*x),
            )
            for key in inputs
        ],
    )
    ctx.pause()
    theirs = ctx.phase("torch", CASE, torch_jobs)
    for key, desc, batch, n, H, dh, target in rows:
        flops = 4 * math.prod(batch) * H * n * n * dh  # q k^T and weights @ v
        ctx.rows.append(
            Row(
                CASE,
                "gl.scaled_dot_product_attention float32",
                desc,
                ours.get(key),
                "torch SDPA (B, H, n, d)",
                ctx.ref(theirs, key),
                target,
                flops,
                "GFLOP/s",
                ctx.limits["matmul_float32_GFLOPs"],
            )
        )


def reference_jobs(ctx, inputs: dict) -> list:
    sdpa = ctx.torch.nn.functional.scaled_dot_product_attention
    to_t = ctx.backends.ref.to_torch
    jobs = []
    for key, (q, k, v) in inputs.items():
        # torch's natural layout (..., H, n, d), made contiguous here, outside the timing
        qt, kt, vt = (to_t(np.moveaxis(x, -2, -3)) for x in (q, k, v))
        expected = np.moveaxis(gl.scaled_dot_product_attention(q, k, v)[0], -2, -3)

        def call(qt=qt, kt=kt, vt=vt):
            return sdpa(qt, kt, vt)

        label = f"torch SDPA {key}"
        if ctx.check(CASE, key, label, expected, call, 1e-4, 1e-5):
            jobs.append((key, label, call))
    return jobs
