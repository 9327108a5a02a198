"""Case 7: one training step of notebook 07's Transformer, NumPy against torch autograd.

One step = forward, backward and one Adam update of the notebook's model (token
embeddings + sinusoidal positions, one post-LN Transformer layer with 4 heads and
d=16, d_ff=32, the verb's vector read out, a linear classifier, cross-entropy) on a
batch of 64 agreement sentences, float64 on both sides.

NumPy is timed with both batchings:
- **padded dense**: the batch as a ``(64, L)`` tensor with a key mask, dense attention
  (``gl.sentence_transformer_loss``) -- what the notebook trains with;
- **one disjoint graph**: the 64 complete graphs as one graph (notebook 06), attention
  by gather / segment softmax / propagate, the backward on the reversed graph;
and with one BLAS thread, as ``gl.train`` runs by default (``gl.blas_threads``), and
with the harness's threads, to show why it does. torch runs the same model, batch and
weights with ``torch.optim.Adam(fused=True)`` (its fastest Adam) and with the default
Adam, on one thread (like for like) and on the harness's threads. Target: NumPy
(padded, one thread) at most 1.0x torch with fused Adam on one thread.
"""

from __future__ import annotations

import contextlib

import numpy as np

import gnnformer_lite as gl
from benchmarks.report import Row

CASE = "7 training step"
FULL = {"train_batch": 64}
QUICK = dict(FULL)
D_MODEL, HEADS, D_FF, LR = 16, 4, 32, 1e-2
TARGET_TRAINING_STEP_RATIO = 1.0
TARGET = TARGET_TRAINING_STEP_RATIO


def batch(ctx) -> dict:
    """The first sentences of the notebook's training set, padded and as one graph."""
    d = gl.agreement_dataset(ctx.sizes["train_batch"], seed=0)
    ids = gl.token_ids(d["tokens"])
    tokens, mask = gl.pad_batch(ids)
    graphs = [gl.complete_graph(len(x)) for x in ids]
    return {
        "tokens": tokens,
        "mask": mask,
        "verb": d["verb"],
        "labels": d["labels"],
        "graph": gl.graph_batch(graphs, ids, d["verb"]),
        "positions": np.concatenate([np.arange(len(x)) for x in ids]),
    }


def padded_loss(params, b):
    return gl.sentence_transformer_loss(params, b["tokens"], b["mask"], b["verb"], b["labels"])


def graph_loss(params, b):
    """The same model with the batch as one disjoint graph of complete graphs."""
    g = b["graph"]
    c = {"embed": {}, "layer": {}, "readout": {}, "out": {}}
    pe = gl.sinusoidal_encoding(int(b["positions"].max()) + 1, D_MODEL)[b["positions"]]
    h = gl.embed(params["embed"], g["tokens"], cache=c["embed"]) + pe
    layer = params["layers"][0]
    h = gl.transformer_layer(layer, h, g["graph"], cache=c["layer"])
    r = gl.readout(h, g["rows"], cache=c["readout"])
    z = gl.linear(params["out"], r, cache=c["out"])
    loss, d_z = gl.softmax_cross_entropy(z, b["labels"])
    grads = {}
    grads["out"], d_r = gl.linear_backward(c["out"], d_z)
    d_h = gl.readout_backward(c["readout"], d_r)
    d_layer, d_h = gl.transformer_layer_backward(c["layer"], d_h)
    grads["layers"] = [d_layer]
    grads["embed"], _ = gl.embed_backward(c["embed"], d_h)
    return loss, float((z.argmax(axis=1) == b["labels"]).mean()), grads


def numpy_step(params, b, loss_fn, threads):
    """A closure doing one Adam step per call (the parameters keep training)."""
    state = {"params": params, "adam": gl.init_adam(params)}

    def step():
        with gl.blas_threads(threads) if threads else contextlib.nullcontext():
            _, _, grads = loss_fn(state["params"], b)
            state["params"], state["adam"] = gl.adam_update(
                state["params"], grads, state["adam"], LR
            )

    return step


def run(ctx) -> None:
    n = ctx.sizes["train_batch"]
    ctx.log(f"[{CASE}] notebook 07's Transformer, one Adam step on {n} sentences (float64)")
    b = batch(ctx)
    params = gl.init_sentence_transformer(
        np.random.default_rng(0), len(gl.agreement_vocabulary()), D_MODEL, HEADS, D_FF, 1
    )
    loss_pad, _, g_pad = padded_loss(params, b)
    loss_graph, _, g_graph = graph_loss(params, b)
    ctx.check(CASE, "graph", "disjoint-graph batch vs padded", loss_graph, lambda: loss_pad,
              1e-10, 1e-12)  # fmt: skip
    ctx.check(CASE, "graph_grad", "its gradient of W_Q", g_graph["layers"][0]["attn"]["W_Q"],
              lambda: g_pad["layers"][0]["attn"]["W_Q"], 1e-8, 1e-10)  # fmt: skip
    torch_jobs = reference_jobs(ctx, params, b, loss_pad) if ctx.torch is not None else []
    steps = [
        ("pad1", "NumPy step, padded dense, 1 BLAS thread", padded_loss, 1),
        ("pad", "NumPy step, padded dense, default threads", padded_loss, None),
        ("graph1", "NumPy step, disjoint graph, 1 BLAS thread", graph_loss, 1),
    ]
    jobs = [(key, label, numpy_step(params, b, f, threads)) for key, label, f, threads in steps]
    ours = ctx.phase("numpy", CASE, jobs)
    ctx.pause()
    theirs = ctx.phase("torch", CASE, torch_jobs)
    size = f"{n} sentences, d={D_MODEL}, {HEADS} heads, d_ff={D_FF}"
    threads = ctx.torch.get_num_threads() if ctx.torch is not None else "default"
    fused1, default1 = ctx.ref(theirs, "fused1"), ctx.ref(theirs, "default1")
    fused = ctx.ref(theirs, "fused")
    what = "train step (fwd+bwd+Adam), padded dense, 1 thread"
    rows = [
        (what, "pad1", "torch autograd, Adam(fused=True), 1 thread", fused1, TARGET),
        (what, "pad1", "torch autograd, Adam(), 1 thread", default1, None),
        ("train step, padded dense, default BLAS threads", "pad",
         f"torch autograd, Adam(fused=True), {threads} threads", fused, None),
        ("train step, one disjoint graph, 1 thread", "graph1",
         "torch autograd, Adam(fused=True), 1 thread", fused1, None),
    ]  # fmt: skip
    for label, key, ref_name, ref, target in rows:
        ctx.rows.append(Row(CASE, label, size, ours.get(key), ref_name, ref, target))


def torch_model(torch, params, num_words: int):
    """The notebook's model in torch, float64, holding the same weights as ``params``."""
    ref = __import__("benchmarks.torch_reference", fromlist=["load_encoder_layer"])
    embed = torch.nn.Embedding(*params["embed"].shape, dtype=torch.float64)
    layer = torch.nn.TransformerEncoderLayer(
        D_MODEL, HEADS, D_FF, dropout=0.0, batch_first=True, dtype=torch.float64
    )
    out = torch.nn.Linear(D_MODEL, 2, dtype=torch.float64)
    with torch.no_grad():
        embed.weight.copy_(torch.from_numpy(params["embed"]))
        out.weight.copy_(torch.from_numpy(params["out"]["W"].T.copy()))
        out.bias.copy_(torch.from_numpy(params["out"]["b"]))
    ref.load_encoder_layer(layer, params["layers"][0])
    pe = torch.from_numpy(gl.sinusoidal_encoding(num_words, D_MODEL))
    return embed, layer, out, pe


def reference_jobs(ctx, params, b, expected_loss) -> list:
    torch = ctx.torch
    tokens = torch.from_numpy(b["tokens"])
    pad = torch.from_numpy(~b["mask"])
    rows = torch.arange(len(b["verb"]))
    verb, labels = torch.from_numpy(b["verb"]), torch.from_numpy(b["labels"])

    def make(fused: bool, threads: int | None):
        embed, layer, out, pe = torch_model(torch, params, tokens.shape[1])
        weights = [*embed.parameters(), *layer.parameters(), *out.parameters()]
        opt = torch.optim.Adam(weights, lr=LR, fused=fused)

        def loss():
            h = layer(embed(tokens) + pe, src_key_padding_mask=pad)
            return torch.nn.functional.cross_entropy(out(h[rows, verb]), labels)

        def step():
            before = torch.get_num_threads()
            if threads:
                torch.set_num_threads(threads)
            try:
                opt.zero_grad(set_to_none=True)
                loss().backward()
                opt.step()
            finally:
                torch.set_num_threads(before)

        return loss, step

    jobs = []
    for key, fused, threads, label in (
        ("fused1", True, 1, "Adam(fused=True), 1 thread"),
        ("default1", False, 1, "Adam(), 1 thread"),
        ("fused", True, None, f"Adam(fused=True), {torch.get_num_threads()} threads"),
    ):
        loss, step = make(fused, threads)
        value = loss().item()
        if ctx.check(CASE, key, f"torch loss, {label}", expected_loss, lambda v=value: v,
                     1e-10, 1e-12):  # fmt: skip
            jobs.append((key, f"torch autograd step, {label}", step))
    return jobs
