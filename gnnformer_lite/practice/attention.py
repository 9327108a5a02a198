"""Checks of the attention blanks: GAT's scores and layer (notebook 03), dense self-attention
and masked multi-head attention (notebook 04).

Features are row vectors (``z = h @ W``), an edge j -> i is sender j, receiver i, and the
attention of a receiver is a softmax over its incoming edges (for dense attention: over row i,
the keys j). A mask here says ``True`` = may attend, the orientation of ``g.adjacency()``;
PyTorch's ``nn.MultiheadAttention`` reads a boolean ``True`` as blocked.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from ..attention import scaled_dot_product_attention, self_attention, softmax
from ..gnn_layers import elu, gat_layer, init_gat_layer, leaky_relu
from ..graphs import add_self_loops
from ..message_passing import propagate, segment_softmax, segment_sum
from .harness import run_check, sentence_tree, star_graph, uneven_graph

__all__ = [
    "check_gat_layer",
    "check_gat_scores",
    "check_masked_attention",
    "check_self_attention",
]

BLANKS = {
    "my_gat_scores": {
        "task": "GAT's scores, one per edge and head: project h, split the heads, score sender "
        "and receiver, LeakyReLU",
        "equation": "e_ij^k = LeakyReLU_0.2(a_src^k . z_j^k + a_dst^k . z_i^k), "
        "z = (h W).reshape(n, H, d_out)",
    },
    "my_gat_layer": {
        "task": "a GAT layer: scores, softmax over each receiver's edges, sum of alpha_ij z_j, "
        "heads joined (or averaged), + b, activation; return (h', alpha)",
        "equation": "h'_i = act(||_k sum_{j in N(i)} alpha_ij^k z_j^k + b), "
        "alpha_ij^k = softmax_{j in N(i)} e_ij^k",
    },
    "my_self_attention": {
        "task": "one head of dense self-attention: queries, keys and values from h, scaled "
        "scores, a softmax over each row; return (h', alpha)",
        "equation": "alpha = softmax_rows(Q K^T / sqrt(d_k)), h' = alpha V, "
        "Q = h W_Q, K = h W_K, V = h W_V",
    },
    "my_masked_attention": {
        "task": "masked attention for every head: scaled scores, -inf where mask is False, a "
        "softmax over the keys, 0 for a query with nothing to attend to",
        "equation": "w[k, i] = softmax(where(mask[i], q[i, k] . k[:, k] / sqrt(d), -inf)), "
        "out[i, k] = w[k, i] @ v[:, k]",
    },
}


# --- GAT: scores and layer (notebook 03) -----------------------------------------------------


def _gat_params(seed: int, d_in: int, d_out: int, num_heads: int, concat=True, dtype=np.float64):
    """``gl.init_gat_layer``'s weights and a random bias (its zeros would hide a forgotten b)."""
    rng = np.random.default_rng(seed)
    params = init_gat_layer(rng, d_in, d_out, num_heads, concat, dtype=dtype)
    return {**params, "b": rng.normal(size=params["b"].shape).astype(dtype)}


def _star_params() -> tuple[dict, np.ndarray]:
    """Notebook 03's hand example: W = I, a_src = (1, 1), a_dst = (1, 0), and a bias."""
    params = {
        "W": np.eye(2),
        "a_src": np.array([[1.0, 1.0]]),
        "a_dst": np.array([[1.0, 0.0]]),
        "b": np.array([0.5, -1.0]),
    }
    z = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, -1.0]])  # sat, cat, mat, tired
    return params, z


def _gat_inputs():
    star, tree, g = star_graph(), sentence_tree(self_loops=True), uneven_graph(4)
    rng = np.random.default_rng(9)
    h_tree, h = rng.normal(size=(tree.num_nodes, 5)), rng.normal(size=(g.num_nodes, 4))
    return star, tree, g, h_tree, h


def _gat_scores_cases() -> list:
    star, tree, g, h_tree, h = _gat_inputs()
    small, z = _star_params()
    p3 = _gat_params(11, 4, 2, 3)
    p32 = {key: value.astype(np.float32) for key, value in p3.items()}
    return [
        ("notebook 03's star around 'sat': W = I, one head", (small, z, star)),
        (
            "the sentence's tree with self loops: 10 words, d_in=5, d_out=3, one head",
            (_gat_params(10, 5, 3, 1), h_tree, tree),
        ),
        (
            f"3 heads of d_out=2 on a random graph, in-degrees {g.in_degree.tolist()}",
            (p3, h, g),
        ),
        ("float32 features and weights", (p32, h.astype(np.float32), g)),
    ]


def _gat_scores(params, h, graph):
    """The scores inside ``gl.gat_layer``, from its cache: LeakyReLU(s_src[j] + s_dst[i])."""
    cache = {}
    gat_layer(params, h, graph, activation=None, cache=cache)
    return leaky_relu(cache["s_src"][graph.senders] + cache["s_dst"][graph.receivers], 0.2)


def _scores(params, h, graph, *, swap=False, heads="right", slope=0.2, halves=False):
    """``(z, e)`` with hooks for the mistakes below (the defaults: the right computation)."""
    n, (H, d_out) = h.shape[0], params["a_src"].shape
    hw = h @ params["W"]
    if heads == "right":
        z = hw.reshape(n, H, d_out)  # column block k of h W is head k
    else:  # head k gets columns k, k + H, k + 2H, ...
        z = hw.reshape(n, d_out, H).transpose(0, 2, 1)
    a_src, a_dst = params["a_src"], params["a_dst"]
    if swap:
        a_src, a_dst = a_dst, a_src
    s_src, s_dst = (z * a_src).sum(axis=-1), (z * a_dst).sum(axis=-1)  # (n, H)
    if halves:
        return z, leaky_relu(s_src, slope)[graph.senders] + leaky_relu(s_dst, slope)[
            graph.receivers
        ]
    return z, leaky_relu(s_src[graph.senders] + s_dst[graph.receivers], slope)


def _scores_mistake(params, h, graph, **wrong):
    return _scores(params, h, graph, **wrong)[1]


_SWAPPED = (
    "a_src and a_dst swapped (or senders and receivers)",
    "a_src scores the sender j and a_dst the receiver i of each edge j -> i:\n"
    "e_ij = LeakyReLU(a_src . z_j + a_dst . z_i): s_src[graph.senders] + s_dst[graph.receivers].",
)
_HEADS = (
    "heads split in the wrong order: head k took every H-th column of h W",
    "Head k is the k-th block of d_out columns of z = h W: z.reshape(n, H, d_out), not\n"
    "z.reshape(n, d_out, H) (that gives head k the columns k, k + H, k + 2H, ...).",
)

GAT_SCORES_MISTAKES = [
    (*_SWAPPED, partial(_scores_mistake, swap=True)),
    (*_HEADS, partial(_scores_mistake, heads="strided")),
    (
        "the LeakyReLU forgotten",
        "GAT's score is LeakyReLU_0.2 of the sum: negative sums are multiplied by 0.2,\n"
        "gl.leaky_relu(s_src[graph.senders] + s_dst[graph.receivers], 0.2).",
        partial(_scores_mistake, slope=1.0),
    ),
    (
        "negative slope 0.01 (PyTorch's nn.LeakyReLU default) instead of GAT's 0.2",
        "GAT uses LeakyReLU with negative_slope=0.2 (as PyG's GATConv): gl.leaky_relu(x, 0.2).",
        partial(_scores_mistake, slope=0.01),
    ),
    (
        "ReLU instead of LeakyReLU: negative scores set to 0",
        "Negative sums are multiplied by 0.2, not cut to 0: gl.leaky_relu(x, 0.2).",
        partial(_scores_mistake, slope=0.0),
    ),
    (
        "the LeakyReLU applied to each half instead of to the sum",
        "Add the sender's and the receiver's halves first, then apply the LeakyReLU once:\n"
        "LeakyReLU(a_src . z_j + a_dst . z_i).",
        partial(_scores_mistake, halves=True),
    ),
]


def check_gat_scores(fn) -> None:
    """Check ``fn(params, h, graph)`` against the scores inside ``gl.gat_layer``: (E, H)."""
    __tracebackhide__ = True
    run_check(
        "gat_scores",
        fn,
        _gat_scores_cases(),
        _gat_scores,
        "the scores inside gl.gat_layer",
        GAT_SCORES_MISTAKES,
        atol=1e-5,
        same_dtype=True,
    )


def _gat_layer_cases() -> list:
    star, tree, g, h_tree, h = _gat_inputs()
    small, z = _star_params()
    p3, p3_mean = _gat_params(12, 4, 2, 3), _gat_params(13, 4, 2, 3, concat=False)
    p_big = _gat_params(14, 5, 3, 2)
    p32 = {key: value.astype(np.float32) for key, value in p3.items()}
    return [
        ("notebook 03's star around 'sat': W = I, one head, b = (0.5, -1)", (small, z, star)),
        (
            "the sentence's tree with self loops: d_in=5, d_out=3, one head, activation=gl.elu",
            (_gat_params(15, 5, 3, 1), h_tree, tree, elu),
        ),
        (
            f"3 heads of d_out=2, concatenated, on a random graph, in-degrees "
            f"{g.in_degree.tolist()}",
            (p3, h, g),
        ),
        (
            "the same graph, 3 heads averaged (concat=False), activation=gl.elu",
            (p3_mean, h, g, elu, False),
        ),
        (
            "features x 1000 on the tree, 2 heads: scores in the thousands",
            (p_big, 1000 * h_tree, tree),
        ),
        ("float32 features and weights, 3 heads", (p32, h.astype(np.float32), g)),
    ]


def _gat_reference(params, h, graph, activation=None, concat=True):
    return gat_layer(params, h, graph, activation, concat, return_attention=True)


def _gat(
    params,
    h,
    graph,
    activation=None,
    concat=True,
    *,
    by="receivers",
    bias="inside",
    mean="mean",
    stable=True,
    loops=False,
    order="heads",
    **score_mistake,
):
    """GAT with hooks for the mistakes below (all defaults: the right computation)."""
    graph = add_self_loops(graph) if loops else graph
    n, (H, d_out) = h.shape[0], params["a_src"].shape
    z, e = _scores(params, h, graph, **score_mistake)
    ids = graph.receivers if by == "receivers" else graph.senders
    if stable:
        alpha = segment_softmax(e, ids, n)
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            ex = np.exp(e)
            alpha = ex / segment_sum(ex, ids, n)[ids]
    out = propagate(graph, alpha[:, :, None] * z[graph.senders])  # (n, H, d_out)
    if concat:
        out = out if order == "heads" else out.transpose(0, 2, 1)
        out = out.reshape(n, H * d_out)
    else:
        out = out.mean(axis=1) if mean == "mean" else out.sum(axis=1)
    sigma = (lambda x: x) if activation is None else activation
    if bias == "inside":
        return sigma(out + params["b"]), alpha
    return (sigma(out) if bias == "forgotten" else sigma(out) + params["b"]), alpha


GAT_LAYER_MISTAKES = [
    (
        "the softmax over each sender's outgoing edges instead of each receiver's incoming ones",
        "Receiver i shares its attention among its neighbours j in N(i): normalise over the edges\n"
        "with the same receiver, gl.segment_softmax(e, graph.receivers, n) (not graph.senders).",
        partial(_gat, by="senders"),
    ),
    (*_SWAPPED, partial(_gat, swap=True)),
    (*_HEADS, partial(_gat, heads="strided")),
    (
        "the LeakyReLU of the scores forgotten",
        "The scores are e_ij = LeakyReLU_0.2(a_src . z_j + a_dst . z_i), before the softmax:\n"
        "gl.leaky_relu(x, 0.2).",
        partial(_gat, slope=1.0),
    ),
    (
        "no max subtracted in the softmax, so exp overflows at large scores",
        "exp(1000) is inf and inf / inf is NaN: subtract each receiver's largest score first, or\n"
        "use your my_segment_softmax (gl.segment_softmax) on the scores.",
        partial(_gat, stable=False),
    ),
    (
        "the bias b forgotten",
        "Add params['b'] after combining the heads and before the activation:\n"
        "activation(out + b).",
        partial(_gat, bias="forgotten"),
    ),
    (
        "the bias added after the activation",
        "The bias goes inside: activation(out + b), not activation(out) + b.",
        partial(_gat, bias="after"),
    ),
    (
        "the heads summed instead of averaged (concat=False)",
        "With concat=False the H heads are averaged: out.mean(axis=1) on (n, H, d_out).",
        partial(_gat, mean="sum"),
    ),
    (
        "the heads interleaved when concatenated: (n, d_out, H) flattened",
        "Concatenating puts head 1's d_out numbers first, then head 2's, ...: reshape the\n"
        "(n, H, d_out) sum to (n, H * d_out) directly, without moving the heads axis last.",
        partial(_gat, order="features"),
    ),
    (
        "self loops added inside the layer",
        "The graph carries its own edges (add self loops when you build it, if you want them):\n"
        "the layer attends along graph's edges as given, and alpha has one row per edge of graph.",
        partial(_gat, loops=True),
    ),
]


def check_gat_layer(fn) -> None:
    """Check ``fn(params, h, graph, activation=None, concat=True) -> (h', alpha)``."""
    __tracebackhide__ = True
    run_check(
        "gat_layer",
        fn,
        _gat_layer_cases(),
        _gat_reference,
        "gl.gat_layer(..., return_attention=True)",
        GAT_LAYER_MISTAKES,
        atol=1e-5,
        same_dtype=True,
    )


# --- dense self-attention, one head (notebook 04) ------------------------------------------


def _self_attention_cases() -> list:
    h = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    W_Q, W_K = np.array([[1.0, 1.0], [0.0, 1.0]]), np.array([[1.0, 0.0], [2.0, 1.0]])
    W_V = np.array([[1.0, 2.0], [0.0, -1.0]])
    rng = np.random.default_rng(16)
    words = rng.normal(size=(10, 6))
    W = [rng.normal(size=(6, d)) / np.sqrt(6) for d in (4, 4, 5)]
    return [
        ("3 words, d = d_k = d_v = 2", (h, W_Q, W_K, W_V)),
        ("10 words, d = 6, d_k = 4, d_v = 5", (words, *W)),
        ("features x 40: scores in the thousands", (40 * words, *W)),
        ("float32", (words.astype(np.float32), *(w.astype(np.float32) for w in W))),
    ]


def _attention(h, W_Q, W_K, W_V, *, scale="d_k", axis=-1, scores="QK", stable=True, **wrong):
    """One head of attention with hooks for the mistakes below."""
    if wrong.get("transpose"):
        W_Q, W_K, W_V = W_Q.T, W_K.T, W_V.T
    q, k = h @ W_Q, h @ W_K
    v = h if wrong.get("no_values") else h @ W_V
    s = q @ k.T if scores == "QK" else k @ q.T
    s = (
        s
        / {"d_k": np.sqrt(k.shape[1]), "none": 1.0, "twice": k.shape[1], "d": np.sqrt(h.shape[1])}[
            scale
        ]
    )
    if stable:
        alpha = softmax(s, axis=axis)
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            alpha = np.exp(s) / np.exp(s).sum(axis=axis, keepdims=True)
    return alpha @ v, alpha


SELF_ATTENTION_MISTAKES = [
    (
        "1/sqrt(d_k) forgotten",
        "Scale the scores before the softmax: Q K^T / sqrt(d_k), d_k = the width of the keys.",
        partial(_attention, scale="none"),
    ),
    (
        "1/sqrt(d_k) applied twice: the scores divided by d_k",
        "Divide once by sqrt(d_k): np.sqrt(k.shape[1]), not k.shape[1].",
        partial(_attention, scale="twice"),
    ),
    (
        "scaled by sqrt(d), the width of h, instead of sqrt(d_k), the width of the keys",
        "The scale is the width of q and k: d_k = W_K.shape[1] (here not the d of h).",
        partial(_attention, scale="d"),
    ),
    (
        "the softmax over the queries (axis 0): each column sums to 1 instead of each row",
        "Row i of alpha holds receiver (query) i's weights over the words j: softmax along the\n"
        "last axis, axis=-1.",
        partial(_attention, axis=0),
    ),
    (
        "K Q^T instead of Q K^T: row i holds key i's scores",
        "scores[i, j] = q_i . k_j, row = receiver i: Q @ K.T, not K @ Q.T.",
        partial(_attention, scores="KQ"),
    ),
    (
        "weights transposed (the column-vector habit: the talk's W_Q h_i written h_i W_Q^T)",
        "Features are row vectors: q_i = h_i @ W_Q with W_Q stored as (d, d_k); use the\n"
        "matrices as given, without .T.",
        partial(_attention, transpose=True),
    ),
    (
        "the values not projected: alpha @ h instead of alpha @ (h W_V)",
        "The update sums values, v_j = h_j W_V: h' = alpha @ (h @ W_V).",
        partial(_attention, no_values=True),
    ),
    (
        "no max subtracted in the softmax, so exp overflows at large scores",
        "exp(1000) is inf and inf / inf is NaN: subtract each row's max first,\n"
        "np.exp(s - s.max(axis=-1, keepdims=True)).",
        partial(_attention, stable=False),
    ),
]


def check_self_attention(fn) -> None:
    """Check ``fn(h, W_Q, W_K, W_V) -> (h', alpha)`` against ``gl.self_attention``."""
    __tracebackhide__ = True
    run_check(
        "self_attention",
        fn,
        _self_attention_cases(),
        self_attention,
        "gl.self_attention",
        SELF_ATTENTION_MISTAKES,
        atol=1e-5,
    )


# --- masked multi-head attention (notebook 04) ---------------------------------------------


def _masked_cases() -> list:
    q = np.array([[[1.0, 0.0]], [[0.0, 1.0]], [[1.0, 1.0]]])  # (n, H, d) = (3, 1, 2)
    k = np.array([[[1.0, 1.0]], [[0.0, 2.0]], [[1.0, 0.0]]])
    v = np.array([[[1.0, 0.0]], [[0.0, 1.0]], [[2.0, 2.0]]])
    causal3, causal = np.tril(np.ones((3, 3), dtype=bool)), np.tril(np.ones((10, 10), dtype=bool))
    rng = np.random.default_rng(17)
    q2, k2, v2 = (
        rng.normal(size=(10, 2, 4)),
        rng.normal(size=(10, 2, 4)),
        rng.normal(size=(10, 2, 3)),
    )
    g = uneven_graph(5)
    graph_mask = g.adjacency() > 0  # mask[i, j]: the edge j -> i
    q7, k7, v7 = rng.normal(size=(7, 2, 4)), rng.normal(size=(7, 2, 4)), rng.normal(size=(7, 2, 3))
    as32 = (x.astype(np.float32) for x in (q2, k2, v2))
    return [
        ("3 words, one head, the causal mask", (q, k, v, causal3)),
        ("10 words, 2 heads, d = 4, d_v = 3, the causal mask", (q2, k2, v2, causal)),
        ("the same x 30: scores in the thousands", (30 * q2, 30 * k2, v2, causal)),
        (
            f"the mask of a random graph (mask[i, j]: the edge j -> i), in-degrees "
            f"{g.in_degree.tolist()}: rows with nothing to attend to",
            (q7, k7, v7, graph_mask),
        ),
        ("float32, the causal mask", (*as32, causal)),
    ]


def _masked_reference(q, k, v, mask):
    return scaled_dot_product_attention(q, k, v, mask)


def _masked(q, k, v, mask, *, fill=-np.inf, scale="once", after=False, stable=True, safe=True):
    """Masked attention with hooks for the mistakes below, heads first inside."""
    q, k, v = (np.swapaxes(x, 0, 1) for x in (q, k, v))  # (H, n, d)
    d = q.shape[-1]
    s = q @ np.swapaxes(k, -1, -2) / {"once": math.sqrt(d), "none": 1.0, "twice": d}[scale]
    s = s if after else np.where(mask, s, fill)
    with np.errstate(over="ignore", invalid="ignore"):
        m = s.max(axis=-1, keepdims=True) if stable else 0.0
        if safe:
            m = np.where(np.isfinite(m), m, 0.0)
        e = np.exp(s - m)
        total = e.sum(axis=-1, keepdims=True)
        w = e / (np.where(total == 0, 1.0, total) if safe else total)
    w = w * mask if after else w
    return np.swapaxes(w @ v, 0, 1), w


def _masked_inverted(q, k, v, mask):
    return scaled_dot_product_attention(q, k, v, ~mask)


def _masked_transposed(q, k, v, mask):
    return scaled_dot_product_attention(q, k, v, mask.T)


def _masked_heads_first(q, k, v, mask):
    out, w = scaled_dot_product_attention(q, k, v, mask)
    return np.swapaxes(out, 0, 1), w


MASKED_MISTAKES = [
    (
        "mask polarity inverted (PyTorch's nn.MultiheadAttention: True = blocked)",
        "Here mask[i, j] = True means query i MAY attend to key j (like g.adjacency()):\n"
        "keep the scores where mask is True, np.where(mask, scores, -np.inf).",
        _masked_inverted,
    ),
    (
        "mask transposed: mask[j, i] used for query i and key j",
        "Row i of the mask is query i (the receiver), column j key j: mask[i, j] goes with\n"
        "scores[..., i, j] = q_i . k_j, as it is, without .T.",
        _masked_transposed,
    ),
    (
        "1/sqrt(d) forgotten",
        "Scale the scores: q_i . k_j / sqrt(d), d = q.shape[-1] (the width of one head).",
        partial(_masked, scale="none"),
    ),
    (
        "1/sqrt(d) applied twice: the scores divided by d",
        "Divide once by sqrt(d), d = q.shape[-1].",
        partial(_masked, scale="twice"),
    ),
    (
        "blocked scores set to 0 instead of -inf: they still get weight exp(0 - max)",
        "A blocked pair must get weight exactly 0: set its score to -np.inf before the softmax,\n"
        "np.where(mask, scores, -np.inf).",
        partial(_masked, fill=0.0),
    ),
    (
        "the mask applied after the softmax: the weights no longer sum to 1",
        "Mask the scores (-inf) before the softmax, so that each row's allowed weights still sum\n"
        "to 1; zeroing weights afterwards leaves rows that sum to less.",
        partial(_masked, after=True),
    ),
    (
        "out left heads first, (H, n, d_v), instead of (n, H, d_v)",
        "Compute per head with (H, n, d) arrays if you like, then swap back:\n"
        "out = (weights @ v_heads).swapaxes(0, 1) has shape (n, H, d_v).",
        _masked_heads_first,
    ),
    (
        "a row with nothing to attend to gives NaN (0 / 0)",
        "A query whose mask row is all False has only -inf scores: its max is -inf and\n"
        "exp(-inf - (-inf)) is NaN. Use 0 as that row's max and 1 as its sum: weights 0, output 0.",
        partial(_masked, safe=False),
    ),
    (
        "no max subtracted in the softmax, so exp overflows at large scores",
        "exp(1000) is inf and inf / inf is NaN: subtract each row's largest allowed score first\n"
        "(a row with nothing allowed: subtract 0 instead of -inf).",
        partial(_masked, stable=False, safe=False),
    ),
    (
        "blocked scores set to -1e9 instead of -inf: a row with nothing to attend to gets "
        "uniform weights",
        "With a large finite number a fully blocked row is a softmax of equal numbers, weights\n"
        "1/n each. Use -np.inf, and give such a row weights 0 (output 0).",
        partial(_masked, fill=-1e9),
    ),
]


def check_masked_attention(fn) -> None:
    """Check ``fn(q, k, v, mask) -> (out, weights)`` against ``gl.scaled_dot_product_attention``."""
    __tracebackhide__ = True
    run_check(
        "masked_attention",
        fn,
        _masked_cases(),
        _masked_reference,
        "gl.scaled_dot_product_attention",
        MASKED_MISTAKES,
        atol=1e-5,
    )
