"""Case 7: one training step of every model the course trains, NumPy against torch.

One step = forward, backward and one Adam update, float64, on one thread, with the
notebooks' widths, learning rates and data (the first batch of each training set):

- notebooks 02/07: the node classifier on the karate club (2 GNN layers, width 16,
  one-hot features, trained on its 2 labelled members);
- notebook 07: the sentence GNN on the word chain (3 layers) and on the dependency
  tree (2 layers), d = 16, and the Transformer (1 post-LN layer, d = 16, 4 heads,
  d_ff = 32, a padded batch with a key mask), on 64 agreement sentences;
- notebook 09: the residual GNN (4 layers; 3 layers + a virtual node per graph), width
  32, and the Graph Transformer (1 pre-LN layer, d = 32, 4 heads, d_ff = 64, 8
  Laplacian positions), on 100 graphs of ``gl.nearest_marked_dataset``.

NumPy: the model's ``gl.*_loss`` + ``gl.adam_update`` under ``gl.blas_threads(1)``, with
``gl.keep_freed_memory()`` in effect (both as ``gl.train`` runs them; the malloc setting is
the whole process's, torch's too). torch: the same model (``torch_reference.py``) in autograd with
``torch.optim.Adam(fused=True)``, ``torch.set_num_threads(1)``, the same weights and
batch; a GNN layer both by hand with ``index_add_`` and as PyG ``GraphConv``, and the
faster of the two is the reference; Transformer layers are
``torch.nn.TransformerEncoderLayer``. Before timing, torch's loss must equal ours to
1e-10, before and after one Adam step (which checks the gradients and Adam too). Each
model's NumPy and torch steps are timed in turn, one repetition of each (on one thread
each there are no worker threads to compete), in a child process (``run.ISOLATED``).
Target: every NumPy step at most 1.0x torch's.
"""

from __future__ import annotations

import contextlib

import numpy as np

import gnnformer_lite as gl
from benchmarks.harness import fmt_time
from benchmarks.report import Row

CASE = "7 training steps"
FULL = {"train_sentences": 64, "train_graphs": 100}
QUICK = {"train_sentences": 16, "train_graphs": 20}
TARGET_TRAINING_STEP_RATIO = 1.0
SENTENCE = {"d": 16, "heads": 4, "d_ff": 32}  # notebook 07
GRAPH = {"d": 32, "heads": 4, "d_ff": 64, "k": 8}  # notebook 09
GNN_LAYERS = ("index_add_", "PyG GraphConv")  # the torch versions of a GNN layer


def karate() -> list[dict]:
    """Notebooks 02/07's node classifier: one-hot features, the 2 best-connected members."""
    graph, club, _ = gl.karate_club()
    x, labelled = np.eye(graph.num_nodes), gl.best_connected(graph, club)
    params = gl.init_node_classifier(np.random.default_rng(0), graph.num_nodes, 16, 2)
    size = f"{graph.num_nodes} nodes, {graph.num_edges} edges, 2 layers, d=16, 2 labelled"
    return [
        model("karate", "node classifier, karate club (02, 07)", size, params, 1e-2,
              lambda p: gl.node_classifier_loss(p, x, graph, labelled, club[labelled]),
              "NodeClassifier", graph, (x, labelled), club[labelled]),
    ]  # fmt: skip


def sentences(n: int) -> list[dict]:
    """Notebook 07's sentence GNNs (chain, tree) and Transformer on its first n sentences."""
    data = gl.agreement_dataset(n, seed=0)  # = the first n of the notebook's training set
    ids, vocab, labels = (
        gl.token_ids(data["tokens"]),
        len(gl.agreement_vocabulary()),
        data["labels"],
    )
    d, heads, d_ff = SENTENCE["d"], SENTENCE["heads"], SENTENCE["d_ff"]
    models = []
    for kind, layers, name in (("path", 3, "chain"), ("tree", 2, "tree")):
        b = gl.graph_batch(gl.dataset_graphs(data, kind), ids, data["verb"])
        g = b["graph"]
        params = gl.init_sentence_gnn(np.random.default_rng(0), vocab, d, layers)
        size = f"{n} sentences, {g.num_nodes} words, {g.num_edges} edges, {layers} layers, d={d}"
        models.append(model(
            kind, f"sentence GNN on the {name} (07)", size, params, 3e-2,
            lambda p, b=b: gl.sentence_gnn_loss(p, b, labels),
            "SentenceGNN", g, (b["tokens"], b["rows"]), labels,
        ))  # fmt: skip
    tokens, mask = gl.pad_batch(ids)
    pe = gl.sinusoidal_encoding(tokens.shape[1], d)
    params = gl.init_sentence_transformer(np.random.default_rng(0), vocab, d, heads, d_ff, 1)
    size = f"{n} sentences, L={tokens.shape[1]}, 1 layer, d={d}, {heads} heads, d_ff={d_ff}"
    models.append(model(
        "transformer", "sentence Transformer, post-LN (07)", size, params, 1e-2,
        lambda p: gl.sentence_transformer_loss(p, tokens, mask, data["verb"], labels),
        "SentenceTransformer", None, (tokens, pe, ~mask, (np.arange(n), data["verb"])), labels,
    ))  # fmt: skip
    return models


def graphs(n: int) -> list[dict]:
    """Notebook 09's residual GNNs and Graph Transformer on its first n training graphs."""
    data = gl.nearest_marked_dataset(n, seed=0, max_distance=12, num_colours=4)
    labels, F, C = data["labels"], data["features"][0].shape[1], 4
    d, heads, d_ff, k = GRAPH["d"], GRAPH["heads"], GRAPH["d_ff"], GRAPH["k"]
    models = []
    for layers, vn in ((4, False), (3, True)):
        b = gl.node_batch(data["graphs"], data["features"], virtual_node=vn)
        g = b["graph"]
        params = gl.init_residual_gnn(np.random.default_rng(0), F, d, layers, C, virtual_node=vn)
        size = f"{n} graphs, {g.num_nodes} nodes, {g.num_edges} edges, {layers} layers, d={d}"
        models.append(model(
            f"residual{layers}", f"residual GNN{' + virtual node' * vn} (09)", size, params, 1e-2,
            lambda p, b=b: gl.residual_gnn_loss(p, b, labels),
            "ResidualGNN", g, (b["x"], b["rows"]), labels,
        ))  # fmt: skip
    x, mask = gl.pad_batch(data["features"])
    pe = gl.pad_batch(gl.laplacian_positions(data["graphs"], k))[0]
    params = gl.init_graph_transformer(np.random.default_rng(0), F, k, d, heads, d_ff, C)
    size = f"{n} graphs, L={x.shape[1]}, 1 layer, d={d}, {heads} heads, d_ff={d_ff}, k={k}"
    models.append(model(
        "gt", "Graph Transformer, pre-LN (09)", size, params, 3e-3,
        lambda p: gl.graph_transformer_loss(p, x, pe, mask, labels),
        "GraphTransformer", None, (x, pe, ~mask), labels,
    ))  # fmt: skip
    return models


def model(key, label, size, params, lr, loss, torch_class, graph, inputs, labels) -> dict:
    """A course model: ``loss(params) -> (loss, accuracy, grads)`` for NumPy; for torch, the
    class in torch_reference.py (built on ``graph``'s edges for a GNN), its inputs, labels."""
    return {"key": key, "label": label, "size": size, "params": params, "lr": lr,
            "loss": loss, "torch_class": torch_class, "graph": graph, "inputs": inputs,
            "labels": labels}  # fmt: skip


def numpy_step(m: dict):
    """A closure doing one Adam step per call (the parameters keep training)."""
    state = {"params": m["params"], "adam": gl.init_adam(m["params"])}

    def step():
        _, _, grads = m["loss"](state["params"])
        state["params"], state["adam"] = gl.adam_update(
            state["params"], grads, state["adam"], m["lr"]
        )

    return step


def expected_losses(m: dict) -> np.ndarray:
    """Our loss at the initial weights and after one Adam step from there."""
    loss, _, grads = m["loss"](m["params"])
    after, _ = gl.adam_update(m["params"], grads, gl.init_adam(m["params"]), m["lr"])
    return np.array([loss, m["loss"](after)[0]])


def run(ctx) -> None:
    sizes = ctx.sizes
    ctx.log(f"[{CASE}] every course model, one Adam step, float64, 1 thread")
    ctx.log("  NumPy and torch steps in turn, one repetition of each (one thread each)")
    gl.keep_freed_memory()  # as gl.train and the notebooks' setup do (see gl.keep_freed_memory)
    models = karate() + sentences(sizes["train_sentences"]) + graphs(sizes["train_graphs"])
    torch_jobs = reference_jobs(ctx, models) if ctx.torch is not None else []
    times = {}
    # Unlike the other cases, NumPy and torch alternate: on one thread each no worker
    # threads compete, and a slow spell of the machine then hits both steps alike.
    with gl.blas_threads(1), one_torch_thread(ctx.torch):
        for m in models:
            ours = (f"{m['key']} (NumPy)", f"NumPy step, {m['label']}", numpy_step(m))
            theirs = [job for job in torch_jobs if job[0].split(": ")[0] == m["key"]]
            times |= ctx.measure_quietly(CASE, "numpy and torch", [ours, *theirs])
    for m in models:
        ref_name, ref = reference(ctx, times, m)
        ours = times.get(f"{m['key']} (NumPy)")
        ctx.rows.append(Row(CASE, m["label"], m["size"], ours, ref_name, ref,
                            TARGET_TRAINING_STEP_RATIO, table="training"))  # fmt: skip


def reference(ctx, theirs: dict, m: dict) -> tuple[str, object]:
    """The faster torch version of a model (naming the other's time), or why there is none."""
    if m["graph"] is None:
        return "nn.TransformerEncoderLayer", ctx.ref(theirs, m["key"])
    timed = {v: theirs[f"{m['key']}: {v}"] for v in GNN_LAYERS if f"{m['key']}: {v}" in theirs}
    if not timed:
        return GNN_LAYERS[0], ctx.ref(theirs, f"{m['key']}: {GNN_LAYERS[0]}")
    best = min(timed, key=lambda v: timed[v].median)
    others = ", ".join(f"{v} {fmt_time(t.median)}" for v, t in timed.items() if v != best)
    return best + (f" (faster than {others})" if others else ""), timed[best]


def torch_models(ctx, m: dict) -> list[tuple]:
    """[(key, module, its inputs)]: one per torch version of the GNN layer, else one."""
    ref = ctx.backends.ref
    cls, inputs = getattr(ref, m["torch_class"]), to_torch(ref, m["inputs"])
    if m["graph"] is None:
        return [(m["key"], cls(m["params"]), inputs)]
    edges = ref.to_torch(m["graph"].senders), ref.to_torch(m["graph"].receivers)
    layers = {GNN_LAYERS[0]: ref.GNNLayer, GNN_LAYERS[1]: ref.PyGLayer}
    versions = GNN_LAYERS if ctx.backends.pyg is not None else GNN_LAYERS[:1]
    return [(f"{m['key']}: {v}", cls(m["params"], layers[v], *edges), inputs) for v in versions]


def to_torch(ref, x):
    return tuple(to_torch(ref, a) for a in x) if isinstance(x, tuple) else ref.to_torch(x)


def reference_jobs(ctx, models: list[dict]) -> list:
    """The torch step of each model (and GNN layer version) whose losses match ours."""
    jobs = []
    for m in models:
        expected = expected_losses(m)
        labels = ctx.backends.ref.to_torch(m["labels"])
        for key, module, inputs in torch_models(ctx, m):
            step, loss = torch_step(ctx.torch, module, inputs, labels, m["lr"])
            with one_torch_thread(ctx.torch):
                before = loss()
                step()  # the timed steps go on from here
                values = np.array([before, loss()])
            label = f"torch loss {key}, before and after one Adam step"
            if ctx.check(CASE, key, label, expected, lambda v=values: v, 1e-10, 1e-12):
                jobs.append((key, f"torch step, {key}", step))
    return jobs


def torch_step(torch, module, inputs: tuple, labels, lr: float):
    """(one Adam step, the current loss as a float) of a torch model."""
    opt = torch.optim.Adam(module.parameters(), lr=lr, fused=True)

    def step():
        opt.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(module(*inputs), labels).backward()
        opt.step()

    def loss() -> float:
        with torch.no_grad():
            return torch.nn.functional.cross_entropy(module(*inputs), labels).item()

    return step, loss


@contextlib.contextmanager
def one_torch_thread(torch):
    """torch on one intra-op thread inside the block (nothing without torch)."""
    before = torch.get_num_threads() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if torch is not None:
            torch.set_num_threads(before)
