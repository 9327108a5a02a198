"""Case 8: one training step of notebook 09's models, NumPy against torch.

One step = forward, backward and one Adam update, float64 on both sides, on the first
graphs of the notebook's training set (``gl.nearest_marked_dataset(2000, seed=0)``, 4
colours), read out at node 0, 4 classes, with the notebook's widths and learning rates:

- **the Graph Transformer**: a linear input layer plus a linear map of 8 Laplacian
  positions, one pre-LN Transformer layer (d_model 32, 4 heads, d_ff 64) with full
  attention among each graph's nodes (a padded batch with a key mask), a linear
  classifier (``gl.graph_transformer_loss``), lr 3e-3;
- **the 3-layer residual GNN with a virtual node** (width 32, sum aggregation;
  ``gl.node_batch(..., virtual_node=True)``, ``gl.residual_gnn_loss``), lr 1e-2.

NumPy runs on one BLAS thread (``gl.blas_threads``), as ``gl.train`` does, with
``gl.adam_update``. torch runs the same models, batches and weights on one thread
(``torch.set_num_threads(1)``) with ``torch.optim.Adam(fused=True)``: the Transformer as
``torch.nn.TransformerEncoderLayer(norm_first=True)`` with ``src_key_padding_mask``, the
GNN hand-written with ``index_add_`` for the sum over neighbours. Before timing, both
losses must agree to 1e-10, at the start and again after one Adam step (which checks
the gradients too). The batches are built once, outside the timing; the notebook
rebuilds the GNN's batch every step, so ``gl.node_batch`` is timed on its own.
Target: each NumPy step at most 1.0x torch's.
"""

from __future__ import annotations

import numpy as np

import gnnformer_lite as gl
from benchmarks.report import Row

CASE = "8 graph training step"
FULL = {"graph_train_batch": 100}
QUICK = {"graph_train_batch": 20}
WIDTH, HEADS, D_FF, K, CLASSES, GNN_LAYERS = 32, 4, 64, 8, 4, 3
GT_LR, GNN_LR = 3e-3, 1e-2  # notebook 09's learning rates
TARGET_GRAPH_TRAINING_STEP_RATIO = 1.0
TARGET = TARGET_GRAPH_TRAINING_STEP_RATIO
TORCH_1 = "torch autograd, Adam(fused=True), 1 thread"


def batches(ctx) -> dict:
    """The first graphs of the notebook's training set: padded (Transformer) and disjoint (GNN)."""
    d = gl.nearest_marked_dataset(2000, seed=0)
    n = ctx.sizes["graph_train_batch"]
    graphs, features = d["graphs"][:n], d["features"][:n]
    x, mask = gl.pad_batch(features)
    return {
        "x": x,
        "pe": gl.pad_batch(gl.laplacian_positions(graphs, K))[0],
        "mask": mask,
        "labels": d["labels"][:n],
        "node_batch": gl.node_batch(graphs, features, virtual_node=True),
        "make_node_batch": lambda: gl.node_batch(graphs, features, virtual_node=True),
    }


def gt_loss(params, b):
    return gl.graph_transformer_loss(params, b["x"], b["pe"], b["mask"], b["labels"])


def gnn_loss(params, b):
    return gl.residual_gnn_loss(params, b["node_batch"], b["labels"])


def numpy_step(params, b, loss_fn, lr):
    """A closure doing one Adam step per call on one BLAS thread (the parameters keep training)."""
    state = {"params": params, "adam": gl.init_adam(params)}

    def step():
        with gl.blas_threads(1):
            _, _, grads = loss_fn(state["params"], b)
            state["params"], state["adam"] = gl.adam_update(
                state["params"], grads, state["adam"], lr
            )

    return step


def losses(params, b, loss_fn, lr) -> tuple[float, float]:
    """The loss at ``params`` and after one Adam step from there."""
    loss, _, grads = loss_fn(params, b)
    after, _ = gl.adam_update(params, grads, gl.init_adam(params), lr)
    return loss, loss_fn(after, b)[0]


def run(ctx) -> None:
    b = batches(ctx)
    n, (_, L, F) = len(b["labels"]), b["x"].shape
    ctx.log(f"[{CASE}] notebook 09's models, one Adam step on {n} graphs (float64)")
    gt = gl.init_graph_transformer(np.random.default_rng(0), F, K, WIDTH, HEADS, D_FF, CLASSES)
    gnn = gl.init_residual_gnn(
        np.random.default_rng(0), F, WIDTH, GNN_LAYERS, CLASSES, virtual_node=True
    )
    models = {  # key: (label, params, loss, lr)
        "gt": ("Graph Transformer", gt, gt_loss, GT_LR),
        "gnn": ("residual GNN + virtual node", gnn, gnn_loss, GNN_LR),
    }
    torch_jobs = []
    for key, (label, params, loss_fn, lr) in models.items():
        if ctx.torch is not None:
            expected = losses(params, b, loss_fn, lr)
            torch_jobs += reference_jobs(ctx, key, label, params, b, expected, lr)
    jobs = [
        (key, f"NumPy step, {label}, 1 BLAS thread", numpy_step(params, b, loss_fn, lr))
        for key, (label, params, loss_fn, lr) in models.items()
    ]
    jobs.append(("batch", "gl.node_batch, virtual nodes", b["make_node_batch"]))
    ours = ctx.phase("numpy", CASE, jobs)
    ctx.pause()
    theirs = ctx.phase("torch", CASE, torch_jobs)
    g = b["node_batch"]["graph"]
    gt_size = f"{n} graphs, L={L}, d={WIDTH}, {HEADS} heads, d_ff={D_FF}, k={K}"
    gnn_size = f"{n} graphs, {g.num_nodes} nodes, {g.num_edges} edges, d={WIDTH}"
    rows = [
        ("train step (fwd+bwd+Adam), Graph Transformer, 1 thread", "gt", gt_size, TORCH_1,
         ctx.ref(theirs, "gt_torch"), TARGET),
        (f"train step (fwd+bwd+Adam), {GNN_LAYERS}-layer residual GNN + virtual node, 1 thread",
         "gnn", gnn_size, f"{TORCH_1}, index_add_", ctx.ref(theirs, "gnn_torch"), TARGET),
        ("gl.node_batch (the GNN's batch, rebuilt every step in notebook 09)", "batch",
         f"{n} graphs + virtual nodes", "—", None, None),
    ]  # fmt: skip
    for label, key, size, ref_name, ref, target in rows:
        ctx.rows.append(Row(CASE, label, size, ours.get(key), ref_name, ref, target))


# --- torch -------------------------------------------------------------------------------


def linear(torch, p: dict):
    """A float64 ``torch.nn.Linear`` holding ``gl.init_linear``'s weights (``W.T``)."""
    d_in, d_out = p["W"].shape
    layer = torch.nn.Linear(d_in, d_out, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(p["W"].T.copy()))
        layer.bias.copy_(torch.from_numpy(p["b"]))
    return layer


def torch_graph_transformer(ctx, params, b):
    """The Graph Transformer in torch modules: (its parameters, a loss closure)."""
    torch, to_t = ctx.torch, ctx.backends.ref.to_torch
    inp, pos, out = (linear(torch, params[k]) for k in ("input", "positions", "out"))
    layer = torch.nn.TransformerEncoderLayer(
        WIDTH, HEADS, D_FF, dropout=0.0, batch_first=True, norm_first=True, dtype=torch.float64
    )
    ctx.backends.ref.load_encoder_layer(layer, params["layers"][0])
    x, pe, pad, labels = to_t(b["x"]), to_t(b["pe"]), to_t(~b["mask"]), to_t(b["labels"])

    def loss():
        h = layer(inp(x) + pos(pe), src_key_padding_mask=pad)
        return torch.nn.functional.cross_entropy(out(h[:, 0]), labels)

    modules = (inp, pos, layer, out)
    return [w for m in modules for w in m.parameters()], loss


def torch_residual_gnn(ctx, params, b):
    """The residual GNN by hand in torch ops, ``index_add_`` for the sums: (leaves, loss)."""
    torch, to_t = ctx.torch, ctx.backends.ref.to_torch
    nb = b["node_batch"]
    g, x, rows, labels = nb["graph"], to_t(nb["x"]), to_t(nb["rows"]), to_t(b["labels"])
    senders, receivers, n = to_t(g.senders), to_t(g.receivers), g.num_nodes

    def leaf(a):
        return torch.tensor(a, dtype=torch.float64, requires_grad=True)

    p = {k: {name: leaf(a) for name, a in params[k].items()} for k in ("input", "out")}
    layers = params["layers"]
    layers = [{part: {name: leaf(a) for name, a in ps.items()} for part, ps in la.items()}
              for la in layers]  # fmt: skip
    fn = torch.nn.functional

    def loss():
        h = x @ p["input"]["W"] + p["input"]["b"]
        for la in layers:
            u = fn.layer_norm(h, (WIDTH,), la["norm"]["gamma"], la["norm"]["beta"], 1e-5)
            gnn = la["gnn"]
            messages = (u @ gnn["V"]).index_select(0, senders)
            total = torch.zeros(n, WIDTH, dtype=torch.float64).index_add_(0, receivers, messages)
            h = h + torch.relu(u @ gnn["U"] + total + gnn["b"])
        return fn.cross_entropy(h[rows] @ p["out"]["W"] + p["out"]["b"], labels)

    tensors = [*p["input"].values(), *p["out"].values()]
    tensors += [t for la in layers for part in la.values() for t in part.values()]
    return tensors, loss


def reference_jobs(ctx, key, label, params, b, expected, lr) -> list:
    """The torch step of model ``key``, if its loss matches ours before and after one step."""
    torch, key = ctx.torch, f"{key}_torch"
    weights, loss = (torch_graph_transformer if key == "gt_torch" else torch_residual_gnn)(
        ctx, params, b
    )
    opt = torch.optim.Adam(weights, lr=lr, fused=True)

    def step():
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            opt.zero_grad(set_to_none=True)
            loss().backward()
            opt.step()
        finally:
            torch.set_num_threads(before)

    value = loss().item()
    if not ctx.check(CASE, key, f"torch loss, {label}", expected[0], lambda: value, 1e-10, 1e-12):
        return []
    step()  # the timed steps go on from here
    after = loss().item()
    if not ctx.check(CASE, key, f"torch loss after one Adam step, {label}", expected[1],
                     lambda: after, 1e-10, 1e-12):  # fmt: skip
        return []
    return [(key, f"torch autograd step, {label}, Adam(fused=True), 1 thread", step)]
