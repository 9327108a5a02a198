"""Case 6: the sizes the course runs, each public function against its textbook lines.

Every ``textbook_*`` function below is the equation written directly in NumPy, the
way a notebook cell writes it by hand (``np.add.at`` for a segment sum; max,
subtract, exp, sum, divide for a softmax; ``softmax(q kᵀ/√d) v`` for attention).
Each row checks that the package gives the textbook's numbers, then times the
textbook lines and the package call in alternation, one repetition of each in turn,
so that a burst of load elsewhere on the machine hits both. The target (in
``benchmarks/report.py``): at most 1.2x the textbook lines or 15 µs more.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

import gnnformer_lite as gl
from benchmarks.report import CourseRow

CASE = "6 course sizes"
FULL = {"course_batch": 64, "course_batch_words": (6, 16)}
QUICK = dict(FULL)  # the course's sizes are small: --quick only repeats less
D_MODEL, HEADS = 16, 2  # the notebooks' features and heads
D_HEAD = D_MODEL // HEADS
WINDOW_RADIUS = 2  # the window graph of notebook 01


# --- the textbook lines -------------------------------------------------------------------


def textbook_segment_sum(data, segment_ids, num_segments):
    out = np.zeros((num_segments, *data.shape[1:]), dtype=data.dtype)
    np.add.at(out, segment_ids, data)  # out[segment_ids[e]] += data[e]
    return out


def textbook_segment_softmax(logits, segment_ids, num_segments):
    seg_max = np.full((num_segments, *logits.shape[1:]), -np.inf, dtype=logits.dtype)
    np.maximum.at(seg_max, segment_ids, logits)  # max over each segment
    e = np.exp(logits - seg_max[segment_ids])  # subtract, exp
    return e / textbook_segment_sum(e, segment_ids, num_segments)[segment_ids]  # sum, divide


def textbook_propagate(graph, messages):
    return textbook_segment_sum(messages, graph.receivers, graph.num_nodes)


def textbook_softmax(scores):
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def textbook_sdpa(q, k, v):
    """softmax(q kᵀ / √d) v, one head per slice: q, k, v (n, H, d) -> (n, H, d), (H, n, n)."""
    qh, kh, vh = (x.transpose(1, 0, 2) for x in (q, k, v))
    weights = textbook_softmax(qh @ kh.transpose(0, 2, 1) / np.sqrt(q.shape[-1]))
    return (weights @ vh).transpose(1, 0, 2), weights


def textbook_self_attention(h, W_Q, W_K, W_V):
    q, k, v = h @ W_Q, h @ W_K, h @ W_V
    alpha = textbook_softmax(q @ k.T / np.sqrt(k.shape[-1]))
    return alpha @ v, alpha


def textbook_multi_head_attention(p, h, num_heads):
    n, d = h.shape
    q, k, v = ((h @ p[f"W_{x}"] + p[f"b_{x}"]).reshape(n, num_heads, -1) for x in "QKV")
    heads, _ = textbook_sdpa(q, k, v)
    return heads.reshape(n, d) @ p["W_O"] + p["b_O"]


def textbook_graph_attention(q, k, v, graph):
    """gather -> score -> segment_softmax -> propagate."""
    s, r, n = graph.senders, graph.receivers, graph.num_nodes
    scores = np.einsum("ehd,ehd->eh", q[r], k[s]) / np.sqrt(q.shape[-1])
    alpha = textbook_segment_softmax(scores, r, n)
    return textbook_propagate(graph, alpha[:, :, None] * v[s]), alpha


def textbook_gat_layer(p, h, graph):
    s, r, n = graph.senders, graph.receivers, graph.num_nodes
    H, d_out = p["a_src"].shape
    z = (h @ p["W"]).reshape(n, H, d_out)
    e = (z * p["a_src"]).sum(-1)[s] + (z * p["a_dst"]).sum(-1)[r]  # a_src·z_j + a_dst·z_i
    e = np.where(e > 0, e, 0.2 * e)  # LeakyReLU
    alpha = textbook_segment_softmax(e, r, n)
    out = textbook_propagate(graph, alpha[:, :, None] * z[s]).reshape(n, H * d_out) + p["b"]
    return np.where(out > 0, out, np.expm1(np.minimum(out, 0)))  # ELU


# --- the course's inputs ------------------------------------------------------------------


def qkv(rng, n):
    return [rng.standard_normal((n, HEADS, D_HEAD)) for _ in range(3)]


def random_params(rng, params):
    """Nonzero biases, so that the textbook lines must add them too."""
    return {k: rng.standard_normal(v.shape) if k.startswith("b") else v for k, v in params.items()}


def comparisons(sizes: dict) -> list:
    """(example, function, size, package call, textbook call) of every row."""
    rng = np.random.default_rng(6)
    words, heads = gl.example_sentence()
    n = len(words)
    h = rng.standard_normal((n, D_MODEL))
    W = [rng.standard_normal((D_MODEL, D_HEAD)) for _ in range(3)]
    mha = random_params(rng, gl.init_multi_head_attention(rng, D_MODEL, HEADS))
    q, k, v = qkv(rng, n)
    complete, window = gl.complete_graph(n), gl.window_graph(n, WINDOW_RADIUS)
    tree = gl.dependency_graph(heads)
    tree_msgs = rng.standard_normal((tree.num_edges, D_MODEL))
    sentence = f"{n} words, {HEADS} heads x {D_HEAD}"
    windowed = f"n={n}, radius {WINDOW_RADIUS}, E={window.num_edges}"
    rows = [
        ("10-word sentence", "gl.scaled_dot_product_attention", sentence,
         lambda: gl.scaled_dot_product_attention(q, k, v), lambda: textbook_sdpa(q, k, v)),
        ("10-word sentence", "gl.self_attention", f"{n} words, d={D_MODEL} -> {D_HEAD}",
         lambda: gl.self_attention(h, *W), lambda: textbook_self_attention(h, *W)),
        ("10-word sentence", "gl.multi_head_attention", f"{n} words, d={D_MODEL}, {HEADS} heads",
         lambda: gl.multi_head_attention(mha, h, num_heads=HEADS),
         lambda: textbook_multi_head_attention(mha, h, HEADS)),
        ("10-word sentence", "gl.graph_attention", f"complete graph, E={complete.num_edges}",
         lambda: gl.graph_attention(q, k, v, complete),
         lambda: textbook_graph_attention(q, k, v, complete)),
        ("window graph", "gl.graph_attention", windowed,
         lambda: gl.graph_attention(q, k, v, window),
         lambda: textbook_graph_attention(q, k, v, window)),
        ("dependency tree", "gl.segment_sum", f"E={tree.num_edges}, d={D_MODEL}",
         lambda: gl.segment_sum(tree_msgs, tree.receivers, n),
         lambda: textbook_segment_sum(tree_msgs, tree.receivers, n)),
    ]  # fmt: skip
    return rows + karate_rows(rng) + batch_rows(rng, sizes)


def karate_rows(rng) -> list:
    karate = gl.from_networkx(nx.karate_club_graph())
    looped = gl.add_self_loops(karate)
    n = karate.num_nodes
    h = rng.standard_normal((n, D_MODEL))
    gat = random_params(rng, gl.init_gat_layer(rng, D_MODEL, D_HEAD, num_heads=HEADS))
    q, k, v = qkv(rng, n)
    msgs = rng.standard_normal((karate.num_edges, D_MODEL))
    size = f"n={n}, E={karate.num_edges}"
    return [
        ("karate club", "gl.gat_layer", f"n={n}, E={looped.num_edges} (self loops), "
         f"{D_MODEL} -> {HEADS} x {D_HEAD}",
         lambda: gl.gat_layer(gat, h, looped), lambda: textbook_gat_layer(gat, h, looped)),
        ("karate club", "gl.graph_attention", f"{size}, {HEADS} heads x {D_HEAD}",
         lambda: gl.graph_attention(q, k, v, karate),
         lambda: textbook_graph_attention(q, k, v, karate)),
        ("karate club", "gl.propagate", f"{size}, d={D_MODEL}",
         lambda: gl.propagate(karate, msgs), lambda: textbook_propagate(karate, msgs)),
    ]  # fmt: skip


def batch_rows(rng, sizes: dict) -> list:
    """A batch of sentences of random lengths, each a complete graph, as one disjoint graph."""
    low, high = sizes["course_batch_words"]
    lengths = rng.integers(low, high + 1, size=sizes["course_batch"])
    g, _, _ = gl.batch_graphs([gl.complete_graph(int(m)) for m in lengths])
    q, k, v = qkv(rng, g.num_nodes)
    logits = rng.standard_normal((g.num_edges, HEADS))
    msgs = rng.standard_normal((g.num_edges, D_MODEL))
    size = f"{len(lengths)} x {low}-{high} words: n={g.num_nodes}, E={g.num_edges}"
    r, n = g.receivers, g.num_nodes
    return [
        ("batch of sentences", "gl.graph_attention", f"{size}, {HEADS} heads x {D_HEAD}",
         lambda: gl.graph_attention(q, k, v, g), lambda: textbook_graph_attention(q, k, v, g)),
        ("batch of sentences", "gl.segment_softmax", f"{size}, {HEADS} heads",
         lambda: gl.segment_softmax(logits, r, n),
         lambda: textbook_segment_softmax(logits, r, n)),
        ("batch of sentences", "gl.propagate", f"{size}, d={D_MODEL}",
         lambda: gl.propagate(g, msgs), lambda: textbook_propagate(g, msgs)),
    ]  # fmt: skip


# --- the case -----------------------------------------------------------------------------


def flat(result) -> np.ndarray:
    """One array of all outputs, e.g. ``(out, alpha)``, to compare in one ``np.allclose``."""
    parts = result if isinstance(result, tuple) else (result,)
    return np.concatenate([np.asarray(x).ravel() for x in parts])


def run(ctx) -> None:
    rows = comparisons(ctx.sizes)
    ctx.log(f"[{CASE}] {len(rows)} public functions against their textbook lines, float64")
    ctx.log("  numpy phase: textbook lines and package, one repetition of each in turn")
    for i, (example, function, size, package, textbook) in enumerate(rows):
        label, key = f"{function} ({example})", f"textbook_{i}"
        times = {}
        if ctx.check(CASE, key, f"textbook {label}", flat(package()),
                     lambda f=textbook: flat(f()), 1e-10, 1e-12):  # fmt: skip
            jobs = [(key, f"textbook lines: {label}", textbook), (f"package_{i}", label, package)]
            times = ctx.measure_quietly(CASE, "numpy", jobs)
        textbook_time = ctx.ref(times, key)
        package_time = times.get(f"package_{i}", "not run")
        ctx.course.append(CourseRow(example, function, size, textbook_time, package_time))
