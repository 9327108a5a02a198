"""Case 5: ``gl.gat_layer`` against PyG ``GATConv``; ``gl.transformer_layer`` against torch's."""

from __future__ import annotations

import numpy as np

import gnnformer_lite as gl
from benchmarks.harness import normal, random_edges, si
from benchmarks.report import Row

CASE = "5 layers"
FULL = {"gat_nodes": 100_000, "gat_edges": 1_000_000, "tf_words": 512}
QUICK = {"gat_nodes": 5_000, "gat_edges": 50_000, "tf_words": 64}
H, D_HEAD, D = 4, 16, 64
F32 = np.float32


def inputs(ctx) -> tuple:
    """A graph with self loops, its features, GAT and Transformer parameters, the words."""
    N, E, n_words = ctx.sizes["gat_nodes"], ctx.sizes["gat_edges"], ctx.sizes["tf_words"]
    rng = np.random.default_rng(5)
    senders, receivers = random_edges(rng, N, E - N, self_loops=False)
    loops = np.arange(N)
    g = gl.Graph(np.concatenate([senders, loops]), np.concatenate([receivers, loops]), N)
    h = normal(rng, (N, D), F32)
    gat = gl.init_gat_layer(rng, D, D_HEAD, H, dtype=F32)
    gat["b"] = normal(rng, gat["b"].shape, F32) * F32(0.1)
    tf = gl.init_transformer_layer(rng, D, H, 4 * D, dtype=F32)
    for group in tf.values():
        for name in group:
            if name.startswith("b") or name in ("beta",):
                group[name] = normal(rng, group[name].shape, F32) * F32(0.1)
            elif name == "gamma":
                group[name] = F32(1) + normal(rng, group[name].shape, F32) * F32(0.1)
    x = normal(rng, (n_words, D), F32)
    return g, h, gat, tf, x


def run(ctx) -> None:
    N, E, n_words = ctx.sizes["gat_nodes"], ctx.sizes["gat_edges"], ctx.sizes["tf_words"]
    ctx.log(
        f"[{CASE}] GAT on N={si(N)}, E={si(E)} (incl. self loops), 64 -> 4 x 16; "
        f"Transformer layer on {n_words} words"
    )
    g, h, gat, tf, x = inputs(ctx)
    torch_jobs = reference_jobs(ctx, g, h, gat, tf, x) if ctx.torch is not None else []
    ours = ctx.phase(
        "numpy",
        CASE,
        [
            (
                "gat",
                "gl.gat_layer (activation=None)",
                lambda: gl.gat_layer(gat, h, g, activation=None),
            ),
            ("tf", "gl.transformer_layer", lambda: gl.transformer_layer(tf, x, num_heads=H)),
        ],
    )
    ctx.pause()
    theirs = ctx.phase("torch", CASE, torch_jobs)
    gat_ref = ctx.ref(theirs, "gat", "pyg")
    what, size = "gl.gat_layer float32, 4 heads x 16, concat", f"N={si(N)}, E={si(E)}, d=64"
    ctx.rows.append(Row(CASE, what, size, ours.get("gat"), "PyG GATConv", gat_ref))
    n, d, dff = n_words, D, 4 * D
    flops = 2 * n * d * 3 * d + 4 * n * n * d + 2 * n * d * d + 4 * n * d * dff
    ctx.rows.append(
        Row(
            CASE,
            "gl.transformer_layer float32 (dense, post-LN)",
            f"{n} words, d=64, 4 heads, d_ff={dff}",
            ours.get("tf"),
            "torch TransformerEncoderLayer",
            ctx.ref(theirs, "tf"),
            None,
            flops,
            "GFLOP/s",
            ctx.limits["matmul_float32_GFLOPs"],
        )
    )


def reference_jobs(ctx, g, h, gat, tf, x) -> list:
    torch, ref, to_t = ctx.torch, ctx.backends.ref, ctx.backends.ref.to_torch
    jobs = []
    if ctx.backends.pyg is not None:
        conv = ctx.backends.pyg.GATConv(
            D, D_HEAD, heads=H, concat=True, negative_slope=0.2, dropout=0.0,
            add_self_loops=False, bias=True,
        ).eval()  # fmt: skip
        ref.load_gatconv(conv, gat)
        h_t = to_t(h)
        edge_index = torch.stack([to_t(g.senders), to_t(g.receivers)])

        def gat_call():
            with torch.no_grad():
                return conv(h_t, edge_index)

        expected = gl.gat_layer(gat, h, g, activation=None)
        if ctx.check(CASE, "gat", "PyG GATConv", expected, gat_call, 1e-4, 1e-5):
            jobs.append(("gat", "PyG GATConv", gat_call))
    layer = torch.nn.TransformerEncoderLayer(D, H, 4 * D, dropout=0.0, batch_first=True)
    layer.eval()
    ref.load_encoder_layer(layer, tf)
    x_t = to_t(x)[None]

    def tf_call():
        with torch.no_grad():
            return layer(x_t)[0]

    expected = gl.transformer_layer(tf, x, num_heads=H)
    if ctx.check(CASE, "tf", "torch TransformerEncoderLayer", expected, tf_call, 1e-4, 1e-4):
        jobs.append(("tf", "torch TransformerEncoderLayer (eval, no_grad)", tf_call))
    return jobs
